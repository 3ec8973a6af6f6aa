//! Issue 4: build hosts, channels, buildroots, events and history, driven with the stock koji 1.36.1 CLI
//! against a real hub on a private PostgreSQL.

mod support;

use support::cli::KojiCli;
use support::fleet::setup_with_cli;

const USER_PW: &str = "user-secret-pw";

fn lines(text: &str) -> Vec<&str> {
    text.lines().map(str::trim_end).collect()
}

/// `koji call --json-output ...`, decoded.
fn call(cli: &KojiCli, args: &[&str]) -> serde_json::Value {
    let out = cli.run(&[&["call", "--json-output"], args].concat());
    out.assert_success();
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

/// `koji list-history` lines without their local-time prefix (`time.asctime`, 24 characters).
fn history(cli: &KojiCli, args: &[&str]) -> Vec<String> {
    let out = cli.ok(&[&["list-history"], args].concat());
    out.lines()
        .map(|l| if l.starts_with("    ") { l.to_owned() } else { l.get(25..).unwrap_or(l).to_owned() })
        .collect()
}

/// Every host and channel command with its filters, on a farm of five hosts in three channels.
#[test]
fn a_farm_of_hosts_in_channels() {
    let (db, hub, admin) = setup_with_cli(&[("ReadyTimeout", "315360000")]);
    let anon = KojiCli::anon(&hub);

    assert_eq!(admin.ok(&["add-channel", "bigmem", "--description", "hosts with 64G"]), "bigmem added: id 9\n");
    assert!(admin.fails(&["add-channel", "bigmem"]).contains("channel bigmem already exists"));
    assert_eq!(admin.ok(&["add-host", "builder1", "x86_64", "i686"]), "builder1 added: id 1\n");
    assert_eq!(admin.ok(&["add-host", "builder2", "aarch64"]), "builder2 added: id 2\n");
    assert_eq!(admin.ok(&["add-host", "builder3", "x86_64"]), "builder3 added: id 3\n");
    assert!(admin.fails(&["add-host", "builder1", "x86_64"]).contains("builder1 is already in the database"));
    let err = admin.fails(&["call", "--python", "addHost", "'builder1'", "['x86_64']"]);
    assert!(err.contains("GenericError: host already exists: builder1"), "{err}");
    let err = admin.fails(&["call", "--python", "addHost", "'builder9'", "['x86_64!']"]);
    assert!(err.contains("Architecture can be only [a-zA-Z0-9_-]"), "{err}");
    // Each host logs in as a host user and starts in the default channel.
    assert_eq!(
        db.psql("SELECT name, usertype FROM users WHERE name LIKE 'builder%' ORDER BY id"),
        "builder1|1\nbuilder2|1\nbuilder3|1\n"
    );
    assert_eq!(db.psql("SELECT count(*) FROM host_channels WHERE channel_id = 1 AND active"), "3\n");

    // A normal user becomes a host only with --force; a principal can be given.
    admin.ok(&["add-user", "oldbox"]);
    assert!(admin.fails(&["add-host", "oldbox", "x86_64"]).contains("user oldbox already exists and it is not a host"));
    admin.ok(&["add-host", "oldbox", "x86_64", "--force"]);
    admin.ok(&["add-host", "builder4", "s390x", "--krb-principal", "compile/builder4@EXAMPLE.COM"]);
    assert_eq!(
        db.psql(
            "SELECT u.name, u.usertype, p.krb_principal FROM users u LEFT JOIN user_krb_principals p ON p.user_id = u.id \
             WHERE u.name IN ('oldbox', 'builder4') ORDER BY u.name"
        ),
        "builder4|1|compile/builder4@EXAMPLE.COM\noldbox|1|\n"
    );
    admin.ok(&["disable-host", "oldbox", "builder4"]);
    admin.ok(&["remove-host-from-channel", "oldbox", "default"]);
    admin.ok(&["remove-host-from-channel", "builder4", "default"]);

    // Channels: subscribe, create on the fly, disabled channels need --force.
    admin.ok(&["add-host-to-channel", "builder1", "bigmem"]);
    admin.ok(&["add-host-to-channel", "builder3", "bigmem"]);
    let err = admin.fails(&["add-host-to-channel", "builder1", "bigmem"]);
    assert!(err.contains("host builder1 is already subscribed to the bigmem channel"), "{err}");
    assert!(admin.fails(&["add-host-to-channel", "builder1", "nosuch"]).contains("No such channel: nosuch"));
    assert!(admin.fails(&["add-host-to-channel", "nosuch", "bigmem"]).contains("No such host: nosuch"));
    admin.ok(&["add-host-to-channel", "builder2", "scratch", "--new"]);
    admin.ok(&["disable-channel", "scratch", "--comment", "being retired"]);
    assert!(admin.fails(&["add-host-to-channel", "builder1", "scratch"]).contains("channel scratch is disabled"));
    admin.ok(&["add-host-to-channel", "builder1", "scratch", "--force"]);

    // Host settings.
    assert_eq!(
        admin.ok(&["edit-host", "builder1", "--capacity", "4", "--description", "fast box", "--comment", "rack 3"]),
        "Edited builder1\n"
    );
    assert_eq!(
        admin.ok(&["edit-host", "builder1", "builder3", "--capacity", "4"]),
        "No changes made to builder1\nEdited builder3\n"
    );
    admin.ok(&["edit-host", "builder2", "--arches", "aarch64,armhfp"]);
    let err = admin.fails(&["edit-host", "builder1", "nosuch", "--capacity", "3"]);
    assert!(err.contains("No such host: nosuch") && err.contains("No changes made, please correct the command line"));
    admin.ok(&["disable-host", "builder2", "--comment", "broken fan"]);
    let err = admin.fails(&["enable-host", "nosuch"]);
    assert!(err.contains("No changes made. Please correct the command line."), "{err}");
    // What a builder's check-in would set.
    db.psql(
        "UPDATE host SET ready = TRUE, task_load = 1.5, update_time = '2025-07-01 12:00:00+00' WHERE name = 'builder1'",
    );

    let out = anon.ok(&["list-hosts"]);
    let rows = lines(&out);
    assert_eq!(rows[0], "Hostname Enb Rdy Load/Cap  Arches           Last Update");
    assert!(rows[2].starts_with("builder1 Y   Y    1.5/4.0  x86_64,i686      ") && rows[2].contains("2025"), "{out}");
    assert_eq!(
        &rows[3..],
        [
            "builder2 N   N    0.0/2.0  aarch64,armhfp   -",
            "builder3 Y   N    0.0/4.0  x86_64           -",
            "builder4 N   N    0.0/2.0  s390x            -",
            "oldbox   N   N    0.0/2.0  x86_64           -",
        ]
    );
    let names = |args: &[&str]| -> Vec<String> {
        let out = anon.run(&[&["list-hosts", "--quiet"], args].concat());
        out.assert_success();
        out.stdout.lines().map(|l| l.split_whitespace().next().unwrap().to_owned()).collect()
    };
    assert_eq!(names(&["--arch", "i686"]), ["builder1"]);
    assert_eq!(names(&["--arch", "x86_64"]), ["builder1", "builder3", "oldbox"]);
    assert_eq!(names(&["--arch", "armhfp", "--arch", "s390x"]), ["builder2", "builder4"]);
    assert_eq!(names(&["--channel", "bigmem"]), ["builder1", "builder3"]);
    assert_eq!(names(&["--channel", "default", "--arch", "x86_64"]), ["builder1", "builder3"]);
    assert_eq!(names(&["--ready"]), ["builder1"]);
    assert_eq!(names(&["--not-ready", "--enabled"]), ["builder3"]);
    assert_eq!(names(&["--disabled"]), ["builder2", "builder4", "oldbox"]);
    let out = anon.run(&["list-hosts", "--arch", "686"]);
    assert_eq!((out.status, out.stdout.as_str(), out.stderr.as_str()), (0, "", "No hosts found.\n"));
    assert!(anon.fails(&["list-hosts", "--channel", "nosuch"]).contains("No such channel: nosuch"));
    let out = anon.ok(&[
        "list-hosts",
        "--quiet",
        "--show-channels",
        "--comment",
        "--description",
        "--arch",
        "aarch64",
        "--arch",
        "i686",
    ]);
    let rows = lines(&out);
    assert!(rows[0].starts_with("builder1 Y   Y ") && rows[0].ends_with(" *scratch,bigmem,default"), "{out}");
    assert!(rows[0].contains(" fast box ") && rows[0].contains(" rack 3 "), "{out}");
    assert!(
        rows[1].starts_with("builder2 N   N ")
            && rows[1].ends_with(" broken fan                                         *scratch,default"),
        "{out}"
    );
    let users = call(&anon, &["listHosts", "userID=builder3"]);
    assert_eq!(users.as_array().unwrap().len(), 1);
    assert_eq!(users[0]["name"], "builder3");
    assert_eq!(users[0]["capacity"], 4.0);
    let err = anon.fails(&["call", "--python", "listHosts", "arches=[]"]);
    assert!(err.contains("arches option cannot be empty"), "{err}");

    let out = anon.ok(&["hostinfo", "builder1", "2"]);
    let info = lines(&out);
    assert_eq!(
        &info[..8],
        [
            "Name: builder1",
            "ID: 1",
            "Arches: x86_64 i686",
            "Capacity: 4.0",
            "Task Load: 1.50",
            "Description: fast box",
            "Comment: rack 3",
            "Enabled: yes",
        ]
    );
    assert_eq!(info[8], "Ready: yes");
    assert!(info[9].starts_with("Last Update: ") && info[9].contains("2025"), "{out}");
    assert_eq!(&info[10..13], ["Channels: default bigmem scratch", "Active Buildroots:", "None"]);
    assert_eq!(
        &info[13..18],
        ["Name: builder2", "ID: 2", "Arches: aarch64 armhfp", "Capacity: 2.0", "Task Load: 0.00"]
    );
    assert_eq!(
        &info[18..],
        [
            "Description:",
            "Comment: broken fan",
            "Enabled: no",
            "Ready: no",
            "Last Update: never",
            "Channels: default scratch",
            "Active Buildroots:",
            "None",
        ]
    );
    let out = anon.run(&["hostinfo", "nosuch", "builder3"]);
    assert_eq!(out.status, 1);
    assert!(out.stderr.contains("No such host: nosuch"));
    assert!(out.stdout.starts_with("Name: builder3\n"), "{}", out.stdout);

    // Channel listing: per channel, hosts enabled/ready/disabled, load and capacity.
    let out = anon.ok(&["list-channels"]);
    assert_eq!(
        lines(&out),
        [
            "Channel           Enabled  Ready Disbld   Load    Cap   Perc",
            "----------------------------------------------------------------",
            "appliance               0      0      0      0      0      0%",
            "bigmem                  2      1      0      1      8     18%",
            "createrepo              0      0      0      0      0      0%",
            "default                 2      1      1      1     10     15%",
            "image                   0      0      0      0      0      0%",
            "livecd                  0      0      0      0      0      0%",
            "livemedia               0      0      0      0      0      0%",
            "maven                   0      0      0      0      0      0%",
            "scratch [disabled]      1      1      1      1      6     25%",
            "vm                      0      0      0      0      0      0%",
        ]
    );
    let out = anon.ok(&["list-channels", "--quiet", "--disabled", "--comment"]);
    assert_eq!(lines(&out), ["scratch [disabled]      1      1      1      1      6     25%   being retired"]);
    assert_eq!(anon.ok(&["list-channels", "--simple", "--quiet", "--arch", "aarch64"]).lines().count(), 10);

    // Channel edits (admin) and enabling (perm host).
    admin.ok(&[
        "edit-channel",
        "bigmem",
        "--name",
        "highmem",
        "--description",
        "64G and more",
        "--comment",
        "new racks",
    ]);
    assert_eq!(
        call(&anon, &["getChannel", "highmem"]),
        serde_json::json!({"id": 9, "name": "highmem", "description": "64G and more", "enabled": true, "comment": "new racks"})
    );
    assert!(admin.fails(&["edit-channel", "highmem", "--comment", "new racks"]).contains("No changes made"));
    let err = admin.fails(&["edit-channel", "highmem", "--name", "default"]);
    assert!(err.contains("channel default already exists (id=1)"), "{err}");
    assert!(admin.fails(&["edit-channel", "nosuch", "--name", "x"]).contains("No such channel: nosuch"));
    let err = admin.fails(&["enable-channel", "scratch", "nosuch"]);
    assert!(err.contains("No changes made. Please correct the command line."), "{err}");
    admin.ok(&["enable-channel", "scratch", "--comment", "back"]);
    assert_eq!(db.psql("SELECT enabled, comment FROM channels WHERE name = 'scratch'"), "t|back\n");

    // Leaving a channel.
    admin.ok(&["remove-host-from-channel", "builder1", "scratch"]);
    let err = admin.fails(&["remove-host-from-channel", "builder1", "scratch"]);
    assert!(err.contains("Host builder1 is not a member of channel scratch"), "{err}");
    let err = admin.fails(&["call", "removeHostFromChannel", "builder1", "scratch"]);
    assert!(err.contains("host builder1 is not subscribed to the scratch channel"), "{err}");
    let channels = call(&anon, &["listChannels", "1"]);
    let names: Vec<&str> = channels.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["default", "highmem"]);
    admin.ok(&["enable-host", "builder2", "--comment", "fan replaced"]);
    assert_eq!(call(&anon, &["getHost", "builder2"])["comment"], "fan replaced");
    assert_eq!(call(&anon, &["getHost", "builder2"])["enabled"], true);
}

/// `list-history` for host, channel and permission changes; the farm as of earlier events; events themselves.
#[test]
fn host_history_and_earlier_events() {
    let (db, hub, admin) = setup_with_cli(&[("ReadyTimeout", "315360000")]);
    let anon = KojiCli::anon(&hub);
    let before_host = db.last_event();
    admin.ok(&["add-host", "builder1", "x86_64"]);
    let e1 = db.last_event();
    hub.create_user("hostadm", USER_PW, false);
    admin.ok(&["grant-permission", "host", "hostadm"]);
    let hostadm = KojiCli::password(&hub, "hostadm", USER_PW);
    hostadm.ok(&["edit-host", "builder1", "--capacity", "3", "--comment", "moved"]);
    let e2 = db.last_event();
    hostadm.ok(&["add-host-to-channel", "builder1", "createrepo"]);
    let e3 = db.last_event();
    admin.ok(&["disable-host", "builder1"]);
    let e4 = db.last_event();
    hostadm.ok(&["remove-host-from-channel", "builder1", "createrepo"]);
    let e5 = db.last_event();
    assert_eq!([e1 - before_host, e3 - e2, e4 - e3, e5 - e4], [1, 1, 1, 1], "one event per change");

    let eid = |e: i64, text: &str| format!("(eid {e}) {text}");
    assert_eq!(
        history(&anon, &["--host", "builder1", "-e"]),
        [
            eid(e1, "host builder1 added to channel default by kojiadmin [still active]"),
            eid(e1, "new host: builder1 by kojiadmin"),
            eid(e2, "host configuration for builder1 altered by hostadm"),
            "    capacity: 2.0 -> 3.0".into(),
            "    comment: None -> moved".into(),
            eid(e3, "host builder1 added to channel createrepo by hostadm"),
            eid(e4, "host configuration for builder1 altered by kojiadmin [still active]"),
            "    enabled: True -> False".into(),
            eid(e5, "host builder1 removed from channel createrepo by hostadm"),
        ]
    );
    assert_eq!(
        history(&anon, &["--channel", "createrepo"]),
        [
            "host builder1 added to channel createrepo by hostadm",
            "host builder1 removed from channel createrepo by hostadm",
        ]
    );
    assert_eq!(
        history(&anon, &["--host", "builder1", "--active"]),
        [
            "host builder1 added to channel default by kojiadmin [still active]",
            "new host: builder1 by kojiadmin [still active]",
        ]
    );
    assert_eq!(
        history(&anon, &["--host", "builder1", "--after-event", &e3.to_string()]),
        [
            "host configuration for builder1 altered by kojiadmin [still active]",
            "    enabled: True -> False",
            "host builder1 removed from channel createrepo by hostadm",
        ]
    );
    assert_eq!(
        history(&anon, &["--host", "builder1", "--before-event", &e2.to_string()]),
        ["host builder1 added to channel default by kojiadmin [still active]", "new host: builder1 by kojiadmin",]
    );
    assert_eq!(
        history(&anon, &["--editor", "hostadm"]),
        [
            "host configuration for builder1 altered by hostadm",
            "    capacity: 2.0 -> 3.0",
            "    comment: None -> moved",
            "host builder1 added to channel createrepo by hostadm",
            "host builder1 removed from channel createrepo by hostadm",
        ]
    );
    let verbose =
        history(&anon, &["--host", "builder1", "--before-event", &e2.to_string(), "-v", "--show", "host_config"]);
    assert_eq!(
        verbose[1..],
        ["    arches: x86_64", "    capacity: 2.0", "    comment: None", "    description: None", "    enabled: True",]
    );

    // Permission grants, done by the users code, are versioned rows too.
    hub.create_user("bob", USER_PW, false);
    admin.ok(&["grant-permission", "admin", "bob"]);
    admin.ok(&["revoke-permission", "admin", "bob"]);
    assert_eq!(
        history(&anon, &["--permission", "admin"]),
        [
            "permission admin granted to kojiadmin by kojiadmin [still active]",
            "permission admin granted to bob by kojiadmin",
            "permission admin revoked for bob by kojiadmin",
        ]
    );
    assert_eq!(
        history(&anon, &["--user", "bob"]),
        ["permission admin granted to bob by kojiadmin", "permission admin revoked for bob by kojiadmin",]
    );

    // The farm as it was at an earlier event.
    let at = |e: i64| format!("event={e}");
    let host = call(&anon, &["getHost", "builder1", &at(e1)]);
    assert_eq!(
        (&host["capacity"], &host["comment"], &host["enabled"]),
        (&2.0.into(), &serde_json::Value::Null, &true.into())
    );
    assert_eq!(call(&anon, &["getHost", "builder1", &at(e2)])["capacity"], 3.0);
    assert_eq!(call(&anon, &["getHost", "builder1"])["enabled"], false);
    assert_eq!(call(&anon, &["getHost", "builder1", &at(before_host)]), serde_json::Value::Null);
    let channel_names = |args: &[&str]| -> Vec<String> {
        let v = call(&anon, &[&["listChannels"], args].concat());
        v.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(channel_names(&["builder1", &at(e3)]), ["default", "createrepo"]);
    assert_eq!(channel_names(&["hostID=1", &at(e1)]), ["default"]);
    assert_eq!(channel_names(&["builder1"]), ["default"]);
    let err = anon.fails(&["call", "listChannels", &at(e1)]);
    assert!(err.contains("list_channels with event and not host is not allowed."), "{err}");
    let err = anon.fails(&["call", "getHost", "nosuch", "strict=True"]);
    assert!(err.contains("GenericError: Invalid hostInfo: nosuch"), "{err}");

    // Events.
    let event = call(&anon, &["getEvent", &e2.to_string()]);
    assert_eq!(event["id"], e2);
    let ts: f64 =
        db.psql(&format!("SELECT date_part('epoch', time) FROM events WHERE id = {e2}")).trim().parse().unwrap();
    assert!((event["ts"].as_f64().unwrap() - ts).abs() < 1e-3, "{event} vs {ts}");
    // Times select as events do (the CLI sends seconds since the epoch).
    let e3_ts = call(&anon, &["getEvent", &e3.to_string()])["ts"].to_string();
    assert_eq!(
        history(&anon, &["--host", "builder1", "--after", &e3_ts]),
        history(&anon, &["--host", "builder1", "--after-event", &e3.to_string()])
    );
    assert_eq!(
        history(&anon, &["--host", "builder1", "--before", &event["ts"].to_string()]),
        history(&anon, &["--host", "builder1", "--before-event", &e2.to_string()])
    );
    assert!(anon.fails(&["call", "getEvent", "99999"]).contains("query returned no rows"));
    assert_eq!(call(&anon, &["getEvent", "99999", "strict=False"]), serde_json::Value::Null);
    assert_eq!(call(&anon, &["getLastEvent"])["id"], db.last_event());
    let before = format!("before={}", event["ts"]);
    assert_eq!(call(&anon, &["--python", "getLastEvent", &before])["id"], e2 - 1);
    assert!(anon.fails(&["call", "getLastEvent", "before=x"]).contains("Invalid type for before: <class 'str'>"));

    // When a host last checked in, from its user's sessions.
    assert_eq!(call(&anon, &["getLastHostUpdate", "1"]), serde_json::Value::Null);
    db.psql(
        "INSERT INTO sessions (user_id, key, authtype, update_time) \
         SELECT user_id, 'k', 0, '2025-07-01 12:00:00.5+00' FROM host WHERE name = 'builder1'",
    );
    assert_eq!(call(&anon, &["getLastHostUpdate", "1"]), "2025-07-01 12:00:00.500000+00:00");
    assert_eq!(call(&anon, &["getLastHostUpdate", "1", "ts=True"]), 1751371200.5);

    // Keyword-collecting signatures show as Koji's do.
    let out = anon.ok(&["list-api", "editHost", "queryHistory", "listHosts"]);
    for signature in [
        "editHost(hostInfo, **kw)",
        "queryHistory(tables=None, **kwargs)",
        "listHosts(arches=None, channelID=None, ready=None, enabled=None, userID=None, queryOpts=None)",
    ] {
        assert!(out.contains(signature), "{signature} not in {out}");
    }

    // Wrong history queries.
    assert!(anon.fails(&["list-history"]).contains("Please specify an option to limit the query"));
    assert!(anon.fails(&["list-history", "--host", "nosuch"]).contains("No such host: nosuch"));
    assert!(anon.fails(&["list-history", "--tag", "nosuch"]).contains("No such entry in table tag: nosuch"));
    let err = anon.fails(&["call", "--python", "queryHistory", "tables=['nosuch']"]);
    assert!(err.contains("No such history table: nosuch"), "{err}");
}

/// Without the host permission (or admin, for channel edits) every write is refused, and so is wrong input from an
/// allowed user; none of them leaves a trace in the database.
#[test]
fn refused_writes_change_nothing() {
    let (db, hub, admin) = setup_with_cli(&[("ReadyTimeout", "315360000")]);
    admin.ok(&["add-host", "builder1", "x86_64"]);
    admin.ok(&["add-channel", "spare"]);
    hub.create_user("bob", USER_PW, false);
    hub.create_user("hostadm", USER_PW, false);
    admin.ok(&["grant-permission", "host", "hostadm"]);
    let state = || {
        db.psql(
            "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM host), (SELECT count(*) FROM users), \
             (SELECT string_agg(concat_ws(',', host_id, arches, capacity, comment, enabled, active), ';' ORDER BY create_event) FROM host_config), \
             (SELECT string_agg(concat_ws(',', host_id, channel_id, active), ';' ORDER BY create_event) FROM host_channels), \
             (SELECT string_agg(concat_ws(',', id, name, description, enabled, comment), ';' ORDER BY id) FROM channels)",
        )
    };
    let before = state();

    let bob = KojiCli::password(&hub, "bob", USER_PW);
    let denied = "ActionNotAllowed: host permission required";
    for args in [
        &["add-host", "builder2", "x86_64"][..],
        &["edit-host", "builder1", "--capacity", "8"],
        &["disable-host", "builder1"],
        &["enable-host", "builder1", "--comment", "x"],
        &["add-host-to-channel", "builder1", "spare"],
        &["add-host-to-channel", "builder1", "brandnew", "--new"],
        &["remove-host-from-channel", "builder1", "default"],
        &["call", "disableChannel", "spare"],
        &["call", "enableChannel", "spare", "comment=x"],
    ] {
        let err = bob.fails(args);
        assert!(err.contains(denied), "koji {}: {err}", args.join(" "));
    }
    // The CLI runs these in a multicall that does not check results: the refusal shows only in what is unchanged.
    bob.run(&["disable-channel", "spare"]).assert_success();
    let hostadm = KojiCli::password(&hub, "hostadm", USER_PW);
    for cli in [&bob, &hostadm] {
        assert!(cli.fails(&["add-channel", "other"]).contains("admin permission required"));
        let err = cli.fails(&["edit-channel", "spare", "--description", "x"]);
        assert!(err.contains("admin permission required"), "{err}");
    }
    let anon = KojiCli::anon(&hub);
    let err = anon.fails(&["call", "--python", "addHost", "'builder2'", "['x86_64']"]);
    assert!(err.contains("you must be logged in for this operation"), "{err}");
    // Wrong input from an allowed user changes nothing either.
    assert!(
        hostadm.fails(&["call", "--python", "addHost", "'builder1'", "['x86_64']"]).contains("host already exists")
    );
    assert!(hostadm.fails(&["call", "editHost", "nosuch", "capacity=4.0"]).contains("Invalid hostInfo: nosuch"));
    let err = hostadm.fails(&["call", "editHost", "builder1", "comment=5"]);
    assert!(err.contains("Invalid type for value '5': <class 'int'>, expected type <class 'str'>"), "{err}");
    assert!(hostadm.fails(&["call", "addHostToChannel", "nosuch", "spare"]).contains("host does not exist: nosuch"));
    let err = hostadm.fails(&["call", "addHostToChannel", "builder1", "nosuch"]);
    assert!(err.contains("channel does not exist: nosuch"), "{err}");
    assert!(hostadm.fails(&["call", "disableHost", "nosuch"]).contains("host does not exist: nosuch"));
    assert!(hostadm.fails(&["call", "disableChannel", "nosuch"]).contains("No such channel: nosuch"));
    assert_eq!(state(), before);

    // The host permission is enough for everything else.
    hostadm.ok(&["add-host", "builder2", "x86_64"]);
    hostadm.ok(&["edit-host", "builder2", "--capacity", "8"]);
    hostadm.ok(&["add-host-to-channel", "builder2", "spare"]);
    hostadm.ok(&["disable-channel", "spare"]);
    assert_eq!(db.psql("SELECT creator_id = (SELECT id FROM users WHERE name = 'hostadm') FROM host_config WHERE active AND host_id = 2"), "t\n");
}

/// Rows of the versioned tables that other parts of the hub write (tags, targets, package lists, builds, groups,
/// external repos), inserted as Koji stores them: `queryHistory` must read every one of them.
const TAG_HISTORY_SQL: &str = "
INSERT INTO tag (id, name) VALUES (1, 'f40'), (2, 'f40-build');
INSERT INTO tag_config (tag_id, arches, creator_id) VALUES (1, NULL, 1);
INSERT INTO tag_config (tag_id, arches, creator_id) VALUES (2, 'x86_64', 1);
INSERT INTO tag_inheritance (tag_id, parent_id, priority, creator_id) VALUES (2, 1, 0, 1);
INSERT INTO tag_extra (tag_id, key, value, creator_id) VALUES (1, 'rpm.macro.dist', '\".fc40\"', 1);
INSERT INTO package (id, name) VALUES (1, 'bash');
INSERT INTO tag_packages (package_id, tag_id, creator_id) VALUES (1, 1, 1);
INSERT INTO tag_package_owners (package_id, tag_id, owner, creator_id) VALUES (1, 1, 1, 1);
INSERT INTO build (id, volume_id, pkg_id, version, release, state, completion_time, owner)
    VALUES (1, 0, 1, '5.2', '1', 1, now(), 1);
INSERT INTO tag_listing (build_id, tag_id, creator_id) VALUES (1, 1, 1);
INSERT INTO build_target (id, name) VALUES (1, 'f40-candidate');
INSERT INTO build_target_config (build_target_id, build_tag, dest_tag, creator_id) VALUES (1, 2, 1, 1);
INSERT INTO groups (id, name) VALUES (1, 'build'), (2, 'srpm-build');
INSERT INTO group_config (group_id, tag_id, display_name, creator_id) VALUES (1, 2, 'build', 1);
INSERT INTO group_package_listing (group_id, tag_id, package, type, creator_id) VALUES (1, 2, 'bash', 'mandatory', 1);
INSERT INTO group_req_listing (group_id, tag_id, req_id, creator_id) VALUES (1, 2, 2, 1);
INSERT INTO external_repo (id, name) VALUES (1, 'fedora');
INSERT INTO external_repo_config (external_repo_id, url, creator_id) VALUES (1, 'https://example.com/f40/', 1);
INSERT INTO tag_external_repos (tag_id, external_repo_id, priority, creator_id) VALUES (1, 1, 5, 1);
UPDATE tag_listing SET active = NULL, revoke_event = get_event(), revoker_id = 1 WHERE build_id = 1;
UPDATE tag_extra SET active = NULL, revoke_event = get_event(), revoker_id = 1 WHERE tag_id = 1;
";

const BUILDROOTS_SQL: &str = "
INSERT INTO repo (id, tag_id, state) VALUES (1, 2, 1);
INSERT INTO task (id, state, channel_id, owner, method, arch) VALUES (1, 1, 1, 1, 'buildArch', 'x86_64');
INSERT INTO buildroot (id, br_type, container_type, container_arch, host_os, host_arch, extra) VALUES
    (1, 0, 'chroot', 'x86_64', 'Debian 12', 'x86_64', '{\"mock\": 5}'),
    (2, 0, 'chroot', 'i686', 'Debian 12', 'x86_64', NULL),
    (3, 0, 'chroot', 'x86_64', 'Debian 12', 'x86_64', NULL);
INSERT INTO standard_buildroot (buildroot_id, host_id, repo_id, task_id, state) VALUES
    (1, 1, 1, 1, 0), (2, 1, 1, 1, 2), (3, 1, 1, 1, 3);
";

#[test]
fn history_of_every_versioned_table_and_buildroots() {
    let (db, hub, admin) = setup_with_cli(&[("ReadyTimeout", "315360000")]);
    let anon = KojiCli::anon(&hub);
    db.psql(TAG_HISTORY_SQL);
    let active = " by kojiadmin [still active]";
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["--tag", "f40"],
            &[
                "new tag: f40{a}",
                "inheritance line f40-build->f40 added{a}",
                "added tag option rpm.macro.dist for tag f40 by kojiadmin",
                "package list entry created: bash in f40{a}",
                "package owner kojiadmin set for bash in f40{a}",
                "bash-5.2-1 tagged into f40 by kojiadmin",
                // As in Koji, `tag` matches a target's destination tag.
                "new build target: f40-candidate{a}",
                "external repo entry for fedora added to tag f40{a}",
                "bash-5.2-1 untagged from f40 by kojiadmin",
                "tag option rpm.macro.dist removed for f40 by kojiadmin",
            ],
        ),
        (
            &["--tag", "f40-build"],
            &[
                "new tag: f40-build{a}",
                "inheritance line f40-build->f40 added{a}",
                "group build added to tag f40-build{a}",
                "package bash added to group build in tag f40-build{a}",
                "group dependency build->srpm-build added in tag f40-build{a}",
            ],
        ),
        (
            &["--package", "bash"],
            &[
                "package list entry created: bash in f40{a}",
                "package owner kojiadmin set for bash in f40{a}",
                "bash-5.2-1 tagged into f40 by kojiadmin",
                "package bash added to group build in tag f40-build{a}",
                "bash-5.2-1 untagged from f40 by kojiadmin",
            ],
        ),
        (
            &["--build", "bash-5.2-1"],
            &["bash-5.2-1 tagged into f40 by kojiadmin", "bash-5.2-1 untagged from f40 by kojiadmin"],
        ),
        (
            &["--xkey", "rpm.macro.dist"],
            &[
                "added tag option rpm.macro.dist for tag f40 by kojiadmin",
                "tag option rpm.macro.dist removed for f40 by kojiadmin",
            ],
        ),
        (&["--target", "f40-candidate"], &["new build target: f40-candidate{a}"]),
        (
            &["--erepo", "fedora"],
            &["new external repo: fedora{a}", "external repo entry for fedora added to tag f40{a}"],
        ),
        (
            &["--group", "build"],
            &["group build added to tag f40-build{a}", "package bash added to group build in tag f40-build{a}"],
        ),
        // As in Koji, `group` matches the required group of a group dependency.
        (&["--group", "srpm-build"], &["group dependency build->srpm-build added in tag f40-build{a}"]),
        (
            &["--user", "kojiadmin"],
            &["permission admin granted to kojiadmin{a}", "package owner kojiadmin set for bash in f40{a}"],
        ),
        (
            &["--tag", "f40", "--package", "bash", "-v"],
            &[
                "(eid 6) package list entry created: bash in f40{a}",
                "    blocked: False",
                "    extra_arches: None",
                "(eid 7) package owner kojiadmin set for bash in f40{a}",
                "    owner: kojiadmin",
                "(eid 9) bash-5.2-1 tagged into f40 by kojiadmin",
                "(eid 16) bash-5.2-1 untagged from f40 by kojiadmin",
            ],
        ),
    ];
    for (args, want) in cases {
        let want: Vec<String> = want.iter().map(|l| l.replace("{a}", active)).collect();
        assert_eq!(history(&anon, args), want, "list-history {}", args.join(" "));
    }
    let all = call(&anon, &["queryHistory"]);
    let counts: Vec<(&str, usize)> =
        all.as_object().unwrap().iter().map(|(t, rows)| (t.as_str(), rows.as_array().unwrap().len())).collect();
    assert_eq!(
        counts,
        [
            ("build_target_config", 1),
            ("cg_users", 0),
            ("external_repo_config", 1),
            ("external_repo_data", 0),
            ("group_config", 1),
            ("group_package_listing", 1),
            ("group_req_listing", 1),
            ("host_channels", 0),
            ("host_config", 0),
            ("tag_config", 2),
            ("tag_external_repos", 1),
            ("tag_extra", 1),
            ("tag_inheritance", 1),
            ("tag_listing", 1),
            ("tag_package_owners", 1),
            ("tag_packages", 1),
            ("user_groups", 0),
            ("user_perms", 1),
        ]
    );
    let tagged = &all["tag_listing"][0];
    for (field, want) in [
        ("name", serde_json::json!("bash")),
        ("version", "5.2".into()),
        ("release", "1".into()),
        ("build.state", 1.into()),
        ("tag.name", "f40".into()),
        ("creator_name", "kojiadmin".into()),
        ("revoker_name", "kojiadmin".into()),
        ("active", serde_json::Value::Null),
        ("create_event", 9.into()),
        ("revoke_event", 16.into()),
    ] {
        assert_eq!(tagged[field], want, "{field} in {tagged}");
    }
    assert!(tagged["revoke_ts"].as_f64().unwrap() >= tagged["create_ts"].as_f64().unwrap());
    let counted = call(&anon, &["--python", "queryHistory", "tag='f40'", "queryOpts={'countOnly': True}"]);
    assert_eq!((&counted["tag_config"], &counted["tag_listing"]), (&1.into(), &1.into()));
    assert!(counted.get("host_config").is_none(), "tables without a tag are left out: {counted}");
    // Unknown keywords are ignored, as the CLI's untag-build and --utc rely on.
    assert_eq!(
        call(&anon, &["queryHistory", "tag=f40", "pkg=bash", "utc=True"]),
        call(&anon, &["queryHistory", "tag=f40"])
    );

    // Buildroots on a host: hostinfo lists those not expired.
    admin.ok(&["add-host", "builder1", "x86_64"]);
    db.psql(BUILDROOTS_SQL);
    let created = db.psql(
        "SELECT to_char(e.time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') FROM standard_buildroot b \
         JOIN events e ON e.id = b.create_event ORDER BY b.buildroot_id",
    );
    let created: Vec<&str> = created.lines().collect();
    let out = anon.ok(&["hostinfo", "builder1"]);
    assert_eq!(
        lines(&out)[11..],
        [
            "Active Buildroots:".to_owned(),
            format!("{:<50} {:<10} {:<20}", "NAME", "STATE", "CREATION TIME").trim_end().to_owned(),
            format!("{:<50} {:<10} {:<20}", "f40-build-1-1", "INIT", created[0]).trim_end().to_owned(),
            format!("{:<50} {:<10} {:<20}", "f40-build-2-1", "BUILDING", created[1]).trim_end().to_owned(),
        ]
    );
    let ids = |args: &[&str]| -> Vec<i64> {
        let v = call(&anon, &[&["--python", "listBuildroots"], args].concat());
        v.as_array().unwrap().iter().map(|b| b["id"].as_i64().unwrap()).collect()
    };
    assert_eq!(ids(&["hostID=1"]), [1, 2, 3]);
    assert_eq!(ids(&["hostID=2"]), Vec::<i64>::new());
    assert_eq!(ids(&["state=[0, 3]"]), [1, 3]);
    assert_eq!(ids(&["state=2", "tagID=2", "taskID=1", "repoID=1"]), [2]);
    assert_eq!(ids(&["buildrootID=[2, 3]", "queryOpts={'order': '-id'}"]), [3, 2]);
    assert_eq!(ids(&["rpmID=1"]), Vec::<i64>::new());
    let first = call(&anon, &["listBuildroots", "buildrootID=1"]);
    assert_eq!(first[0]["extra"], serde_json::json!({"mock": 5}));
    assert_eq!(
        (&first[0]["host_name"], &first[0]["tag_name"], &first[0]["repo_state"]),
        (&"builder1".into(), &"f40-build".into(), &1.into())
    );
    assert_eq!(call(&anon, &["--python", "listBuildroots", "queryOpts={'countOnly': True}"]), 3);
}
