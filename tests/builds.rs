//! Issue 4 §6: builds, rpms, imports, tagging and search, driven with the stock koji 1.36.1 CLI against a real
//! hub. Packages are built here with Debian's `rpmbuild` and imported with `koji import`.

mod support;

use std::path::Path;
use std::process::Command;
use support::TempDir;
use support::cli::KojiCli;
use support::hub::{Hub, HubOptions};
use support::pg::{DbInfo, PgCluster};
use support::rpmbuild::{Package, build_package, build_package_as, rpm_query};

const ADMIN_PW: &str = "admin-secret-pw";
const USER_PW: &str = "user-secret-pw";

fn hub_with_admin() -> (DbInfo, Hub) {
    let db = PgCluster::shared().create_database();
    let hub = Hub::start(&db, HubOptions::default());
    hub.create_user("kojiadmin", ADMIN_PW, true);
    (db, hub)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// What a change must not touch: every row of the build tables, in a stable order.
fn build_tables(db: &DbInfo) -> String {
    db.psql(
        "SELECT 'build', id, pkg_id, version, release, state FROM build ORDER BY id; \
         SELECT 'rpm', id, build_id, name, arch, payloadhash FROM rpminfo ORDER BY id; \
         SELECT 'sig', rpm_id, sigkey, sighash FROM rpmsigs ORDER BY rpm_id; \
         SELECT 'tagged', build_id, tag_id, create_event, revoke_event FROM tag_listing ORDER BY create_event; \
         SELECT 'events', count(*) FROM events",
    )
}

#[test]
fn import_then_inspect_builds_and_rpms() {
    let (db, hub) = hub_with_admin();
    let pkg = build_package("hello-koji", "1");
    let admin = KojiCli::password(&hub, "kojiadmin", ADMIN_PW);
    let out = admin.run(&["import", s(&pkg.srpm), s(&pkg.noarch), s(&pkg.binary)]);
    out.assert_success();
    for p in [&pkg.srpm, &pkg.noarch, &pkg.binary] {
        assert!(out.stdout.contains(&format!("uploading {}... done", s(p))), "{}", out.stdout);
        assert!(out.stdout.contains(&format!("importing {}... done", s(p))), "{}", out.stdout);
    }

    // The files moved to Koji's layout, byte for byte.
    let build_dir = hub.koji_dir().join("packages/hello-koji/1.0/1");
    for (p, arch) in [(&pkg.srpm, "src"), (&pkg.noarch, "noarch"), (&pkg.binary, pkg.arch.as_str())] {
        let stored = build_dir.join(arch).join(p.file_name().unwrap());
        assert_eq!(std::fs::read(&stored).unwrap(), std::fs::read(p).unwrap(), "{}", stored.display());
    }

    // One build, COMPLETE, owned by the importer, epoch from the SRPM; three rpms with Koji's fields.
    assert_eq!(
        db.psql(
            "SELECT p.name, b.version, b.release, b.epoch, b.state, u.name, b.volume_id, b.task_id IS NULL \
             FROM build b JOIN package p ON p.id = b.pkg_id JOIN users u ON u.id = b.owner"
        )
        .trim(),
        "hello-koji|1.0|1|2|1|kojiadmin|0|t"
    );
    assert_eq!(db.psql("SELECT name FROM btype JOIN build_types ON btype_id = btype.id").trim(), "rpm");
    for (p, arch) in [(&pkg.srpm, "src"), (&pkg.noarch, "noarch"), (&pkg.binary, pkg.arch.as_str())] {
        let name = rpm_query(p, "%{NAME}");
        let row = db.psql(&format!(
            "SELECT epoch, payloadhash, size, buildtime, buildroot_id IS NULL, external_repo_id, draft \
             FROM rpminfo WHERE name = '{name}' AND arch = '{arch}'"
        ));
        let expected = format!(
            "2|{}|{}|{}|t|0|f",
            rpm_query(p, "%{SIGMD5}"),
            std::fs::metadata(p).unwrap().len(),
            rpm_query(p, "%{BUILDTIME}")
        );
        assert_eq!(row.trim(), expected, "{name}.{arch}");
    }
    // rpmsigs: unsigned ('' key) with the md5 of the signature header, as Koji's rip_rpm_sighdr cuts it.
    let script =
        format!("import koji, hashlib\nprint(hashlib.md5(koji.rip_rpm_sighdr({:?})).hexdigest())", s(&pkg.noarch));
    let sighash = admin.python(&script).assert_success().stdout.trim().to_owned();
    assert_eq!(
        db.psql(
            "SELECT sigkey, sighash FROM rpmsigs JOIN rpminfo ON rpminfo.id = rpm_id \
             WHERE rpminfo.arch = 'noarch'"
        )
        .trim(),
        format!("|{sighash}")
    );
    let cached = build_dir.join("data/sigcache/noarch/hello-koji-data-1.0-1.noarch.rpm.sig");
    assert_eq!(rpm_md5(&std::fs::read(cached).unwrap()), sighash);

    let anon = KojiCli::anon(&hub);
    // buildinfo: getBuild, listTags, the legacy type lookups, listArchives (four times), listRPMs and a
    // multicall of queryRPMSigs.
    let out = anon.run(&["buildinfo", "hello-koji-1.0-1"]);
    out.assert_success();
    let build_id = db.psql("SELECT id FROM build").trim().to_owned();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[..5],
        [
            format!("BUILD: hello-koji-1.0-1 [{build_id}]").as_str(),
            "State: COMPLETE",
            "Built by: kojiadmin",
            "Volume: DEFAULT",
            "Task: none"
        ],
        "{}",
        out.stdout
    );
    assert!(lines[5].starts_with("Finished: "), "{}", out.stdout);
    let top = "/mnt/koji/packages/hello-koji/1.0/1";
    assert_eq!(
        lines[6..],
        [
            "Tags: ".to_owned(),
            "RPMs:".to_owned(),
            format!("{top}/src/hello-koji-1.0-1.src.rpm"),
            format!("{top}/noarch/hello-koji-data-1.0-1.noarch.rpm"),
            format!("{top}/{0}/hello-koji-1.0-1.{0}.rpm", pkg.arch),
        ],
        "{}",
        out.stdout
    );

    // rpminfo: getRPM, the SRPM through listRPMs(arches='src'), getBuild, and the license from the header.
    let out = anon.run(&["rpminfo", "hello-koji-data-1.0-1.noarch"]);
    out.assert_success();
    let noarch_id = db.psql("SELECT id FROM rpminfo WHERE arch = 'noarch'").trim().to_owned();
    let srpm_id = db.psql("SELECT id FROM rpminfo WHERE arch = 'src'").trim().to_owned();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], format!("RPM: 2:hello-koji-data-1.0-1.noarch [{noarch_id}]"));
    assert_eq!(lines[1], format!("Build: hello-koji-1.0-1 [{build_id}]"));
    assert_eq!(lines[2], "RPM Path: /mnt/koji/packages/hello-koji/1.0/1/noarch/hello-koji-data-1.0-1.noarch.rpm");
    assert_eq!(lines[3], format!("SRPM: 2:hello-koji-1.0-1 [{srpm_id}]"));
    assert_eq!(lines[4], "SRPM Path: /mnt/koji/packages/hello-koji/1.0/1/src/hello-koji-1.0-1.src.rpm");
    assert!(lines[5].starts_with("Built: "), "{}", out.stdout);
    assert_eq!(lines[6], format!("SIGMD5: {}", rpm_query(&pkg.noarch, "%{SIGMD5}")));
    assert_eq!(lines[7], format!("Size: {}", std::fs::metadata(&pkg.noarch).unwrap().len()));
    assert_eq!(lines[8], "License: MIT");
    assert_eq!(lines[9], format!("Build ID: {build_id}"));
    assert_eq!(lines[10], "No buildroot data available");
    let out = anon.run(&["rpminfo", "nosuch-1.0-1.noarch"]);
    assert_eq!(out.status, 1);
    assert!(out.stderr.contains("No such rpm: nosuch-1.0-1.noarch"), "{}", out.stderr);

    // list-builds with its filters.
    let package_id = db.psql("SELECT id FROM package").trim().to_owned();
    let header = format!("{:<55}  {:<16}  State", "Build", "Built by");
    let row = format!("{:<55}  {:<16}  COMPLETE", "hello-koji-1.0-1", "kojiadmin");
    for filter in [
        vec!["--package", package_id.as_str()],
        vec!["--owner", "kojiadmin"],
        vec!["--state", "COMPLETE"],
        vec!["--prefix", "hello"],
        vec!["--pattern", "hello-k*-1.0-?"],
        vec!["--volume", "DEFAULT"],
        vec!["--type", "rpm"],
        vec!["--after", "2000-01-01"],
        vec!["--buildid", "hello-koji-1.0-1"],
    ] {
        let out = anon.run(&[vec!["list-builds"], filter.clone()].concat());
        out.assert_success();
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(lines.first(), Some(&header.as_str()), "{filter:?}: {}", out.stdout);
        assert_eq!(lines.get(2), Some(&row.as_str()), "{filter:?}: {}", out.stdout);
        assert_eq!(lines.len(), 3, "{filter:?}: {}", out.stdout);
    }
    for filter in
        [vec!["--state", "FAILED"], vec!["--prefix", "other"], vec!["--before", "2000-01-01"], vec!["--type", "maven"]]
    {
        let out = anon.run(&[vec!["list-builds", "--quiet"], filter.clone()].concat());
        out.assert_success();
        assert_eq!(out.stdout, "", "{filter:?}");
    }
    let out = anon.run(&["list-builds", "--volume", "nosuch"]);
    assert_ne!(out.status, 0);
    assert!(out.stderr.contains("No such volume: nosuch"), "{}", out.stderr);

    // search: glob, regex and exact, over builds, rpms and packages.
    let search = |args: &[&str]| anon.run(&[&["search"], args].concat()).assert_success().stdout.clone();
    assert_eq!(search(&["build", "hello-*"]), "hello-koji-1.0-1\n");
    assert_eq!(search(&["build", "HELLO-KOJI-1.?-1"]), "hello-koji-1.0-1\n");
    assert_eq!(search(&["rpm", "-r", "^hello-koji-data-.*noarch"]), "hello-koji-data-1.0-1.noarch.rpm\n");
    let mut rpms: Vec<String> = search(&["rpm", "*1.0-1*"]).lines().map(str::to_owned).collect();
    rpms.sort();
    assert_eq!(rpms.len(), 3, "{rpms:?}");
    assert_eq!(search(&["package", "--exact", "hello-koji"]), "hello-koji\n");
    assert_eq!(search(&["package", "--exact", "hello"]), "");
    assert_eq!(search(&["user", "-r", "^koji"]), "kojiadmin\n");
    let out = anon.run(&["search", "package", "-r", "(unclosed"]);
    assert_ne!(out.status, 0);
    assert!(out.stderr.contains("Invalid regular expression"), "{}", out.stderr);
}

fn rpm_md5(bytes: &[u8]) -> String {
    let out = Command::new("md5sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(bytes)?;
            c.wait_with_output()
        })
        .expect("run md5sum");
    String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_owned()
}

fn import(cli: &KojiCli, pkg: &Package) {
    cli.run(&["import", s(&pkg.srpm), s(&pkg.noarch), s(&pkg.binary)]).assert_success();
}

/// Runs `koji call --json-output` and parses the answer.
fn call_json(cli: &KojiCli, args: &[&str]) -> serde_json::Value {
    let out = cli.run(&[&["call", "--json-output"], args].concat());
    out.assert_success();
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

fn nvrs(builds: &serde_json::Value) -> Vec<String> {
    builds.as_array().unwrap().iter().map(|b| b["nvr"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn tagging_untagging_and_tag_listings() {
    let (db, hub) = hub_with_admin();
    let admin = KojiCli::password(&hub, "kojiadmin", ADMIN_PW);
    let (v1, v2, other) =
        (build_package("hello-koji", "1"), build_package("hello-koji", "2"), build_package("other", "1"));
    for pkg in [&v1, &v2] {
        import(&admin, pkg);
    }
    admin.run(&["import", s(&other.srpm)]).assert_success();
    // Tags and package lists through the tags module's commands; frozen is locked once its list is set.
    for tag in ["dest", "admin-only", "frozen"] {
        admin.run(&["add-tag", tag]).assert_success();
        admin.run(&["add-pkg", "--owner", "kojiadmin", tag, "hello-koji"]).assert_success();
    }
    admin.run(&["edit-tag", "--perm", "admin", "admin-only"]).assert_success();
    admin.run(&["edit-tag", "--lock", "frozen"]).assert_success();
    hub.create_user("tagger", USER_PW, false);
    hub.create_user("plain", USER_PW, false);
    admin.run(&["grant-permission", "tag", "tagger"]).assert_success();
    let tagger = KojiCli::password(&hub, "tagger", USER_PW);
    let plain = KojiCli::password(&hub, "plain", USER_PW);

    // Tagging: one tag_listing row per call, each under its own event. `other` is not on dest's package list:
    // tagging bypasses that check, the listings then leave it out.
    for nvr in ["hello-koji-1.0-1", "hello-koji-1.0-2", "other-1.0-1"] {
        admin.run(&["call", "tagBuildBypass", "dest", nvr]).assert_success();
    }
    assert_eq!(
        db.psql(
            "SELECT count(*), count(DISTINCT create_event), bool_and(active), bool_and(creator_id = \
             (SELECT id FROM users WHERE name = 'kojiadmin')) FROM tag_listing"
        )
        .trim(),
        "3|3|t|t"
    );
    // Rpms imported into a build that is already tagged mark the tag as updated (IMPORT), once per import.
    admin.run(&["import", s(&other.noarch), s(&other.binary)]).assert_success();
    assert_eq!(
        db.psql(
            "SELECT t.name, u.update_type, count(*), count(DISTINCT u.update_event) FROM tag_updates u \
             JOIN tag t ON t.id = u.tag_id GROUP BY t.name, u.update_type"
        )
        .trim(),
        "dest|1|2|2"
    );

    // list-builds sorts on the client, by build id unless told otherwise.
    let out = KojiCli::anon(&hub).run(&["list-builds", "--quiet", "--package", "hello-koji", "-k", "build_id", "-r"]);
    let listed: Vec<&str> = out.stdout.lines().map(|l| l.split_whitespace().next().unwrap()).collect();
    assert_eq!(listed, ["hello-koji-1.0-2", "hello-koji-1.0-1"]);

    // Refusals change nothing.
    let before = build_tables(&db);
    for (cli, args, fault) in [
        (&admin, vec!["dest", "hello-koji-1.0-1"], "TagError: build hello-koji-1.0-1 already tagged (dest)"),
        (&plain, vec!["dest", "hello-koji-1.0-1"], "ActionNotAllowed: tag permission required"),
        (&tagger, vec!["admin-only", "hello-koji-1.0-1"], "ActionNotAllowed: tag requires admin permission"),
        (&tagger, vec!["frozen", "hello-koji-1.0-1"], "ActionNotAllowed: tag is locked"),
        (&admin, vec!["frozen", "hello-koji-1.0-1"], "ActionNotAllowed: tag is locked"),
        (&admin, vec!["nosuch", "hello-koji-1.0-1"], "GenericError: No such tagInfo: 'nosuch'"),
        (&admin, vec!["dest", "hello-koji-9-9"], "GenericError: No such build: 'hello-koji-9-9'"),
        (&admin, vec!["dest", "hello"], "GenericError: invalid format: hello"),
    ] {
        let out = cli.run(&[&["call", "tagBuildBypass"], args.as_slice()].concat());
        assert_eq!(out.status, 1, "{args:?}: {}", out.stdout);
        assert!(out.stderr.contains(fault), "{args:?}: {}", out.stderr);
    }
    assert_eq!(build_tables(&db), before);
    // An admin may force a locked tag; the tag permission suffices for a tag without a perm.
    admin.run(&["call", "tagBuildBypass", "frozen", "hello-koji-1.0-1", "force=True"]).assert_success();
    admin.run(&["call", "tagBuildBypass", "admin-only", "hello-koji-1.0-1"]).assert_success();

    // The latest build is the most recently tagged one, not the highest release.
    let anon = KojiCli::anon(&hub);
    let latest_header = format!(
        "{:<40}  {:<20}  Built by\n{}  {}  {}\n",
        "Build",
        "Tag",
        "-".repeat(40),
        "-".repeat(20),
        "-".repeat(16)
    );
    let out = anon.run(&["latest-build", "dest", "hello-koji"]);
    out.assert_success();
    assert_eq!(out.stdout, format!("{latest_header}{:<40}  {:<20}  kojiadmin\n", "hello-koji-1.0-2", "dest"));
    admin.run(&["call", "tagBuildBypass", "dest", "hello-koji-1.0-1", "force=True"]).assert_success();
    let out = anon.run(&["latest-build", "--quiet", "dest", "hello-koji"]);
    assert_eq!(out.stdout, format!("{:<40}  {:<20}  kojiadmin\n", "hello-koji-1.0-1", "dest"));
    let out = anon.run(&["latest-build", "--quiet", "--all", "dest"]);
    assert_eq!(out.stdout, format!("{:<40}  {:<20}  kojiadmin\n", "hello-koji-1.0-1", "dest"), "other is not listed");
    let out = anon.run(&["latest-build", "--quiet", "--arch", "noarch", "dest", "hello-koji"]);
    assert_eq!(out.stdout, "hello-koji-data-1.0-1.noarch\n");
    let out = anon.run(&["latest-build", "nosuch", "hello-koji"]);
    assert!(out.stderr.contains("No such entry in table tag: nosuch"), "{}", out.stderr);

    // listTagged and listTaggedRPMS: most recently tagged first; latest, package, prefix, owner, event.
    assert_eq!(nvrs(&call_json(&anon, &["listTagged", "dest"])), ["hello-koji-1.0-1", "hello-koji-1.0-2"]);
    assert_eq!(nvrs(&call_json(&anon, &["listTagged", "dest", "latest=True"])), ["hello-koji-1.0-1"]);
    assert_eq!(nvrs(&call_json(&anon, &["listTagged", "dest", "latest=2"])), ["hello-koji-1.0-1", "hello-koji-1.0-2"]);
    assert_eq!(nvrs(&call_json(&anon, &["listTagged", "dest", "prefix=HELLO", "owner=kojiadmin"])).len(), 2);
    assert_eq!(nvrs(&call_json(&anon, &["listTagged", "dest", "package=other"])), Vec::<String>::new());
    assert_eq!(nvrs(&call_json(&anon, &["listTagged", "dest", "inherit=True", "type=rpm"])).len(), 2);
    let first_event = db.psql("SELECT min(create_event) FROM tag_listing").trim().to_owned();
    let at = format!("event={first_event}");
    assert_eq!(nvrs(&call_json(&anon, &["listTagged", "dest", &at])), ["hello-koji-1.0-1"]);
    let tagged = call_json(&anon, &["listTagged", "dest", "latest=True"]);
    let b = &tagged[0];
    assert_eq!(
        (b["tag_name"].as_str(), b["name"].as_str(), b["owner_name"].as_str()),
        (Some("dest"), Some("hello-koji"), Some("kojiadmin"))
    );
    assert_eq!(b["id"], b["build_id"]);
    let pair = call_json(
        &anon,
        &["-p", "-b", "listTaggedRPMS", "dest", "latest=True", "arch=['noarch','src']", "rpmsigs=True"],
    );
    let mut rpms: Vec<String> = pair[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{}.{} [{}]",
                r["name"].as_str().unwrap(),
                r["arch"].as_str().unwrap(),
                r["sigkey"].as_str().unwrap()
            )
        })
        .collect();
    rpms.sort();
    assert_eq!(rpms, ["hello-koji-data.noarch []", "hello-koji.src []"]);
    assert_eq!(nvrs(&pair[1]), ["hello-koji-1.0-1"]);
    let out = anon.run(&["call", "listTagged", "nosuch"]);
    assert!(out.stderr.contains("No such tagInfo: 'nosuch'"), "{}", out.stderr);

    // list-tagged prints the rows sorted; its --latest, --rpms/--arch and --sigs variants.
    let row = |nvr: &str, tag: &str| format!("{nvr:<40}  {tag:<20}  kojiadmin");
    let tagged_header = latest_header.clone();
    let out = anon.run(&["list-tagged", "dest"]);
    out.assert_success();
    assert_eq!(
        out.stdout,
        format!("{tagged_header}{}\n{}\n", row("hello-koji-1.0-1", "dest"), row("hello-koji-1.0-2", "dest"))
    );
    let out = anon.run(&["list-tagged", "--quiet", "--latest", "dest", "hello-koji"]);
    assert_eq!(out.stdout, format!("{}\n", row("hello-koji-1.0-1", "dest")));
    let out = anon.run(&["list-tagged", "--quiet", "--latest", "--rpms", "dest"]);
    let arch_rpm = format!("hello-koji-1.0-1.{}", v1.arch);
    let mut expected = vec!["hello-koji-1.0-1.src", "hello-koji-data-1.0-1.noarch", arch_rpm.as_str()];
    expected.sort();
    assert_eq!(out.stdout.lines().collect::<Vec<_>>(), expected);
    let out = anon.run(&["list-tagged", "--quiet", "--arch", "noarch", "--sigs", "dest"]);
    assert_eq!(out.stdout, " hello-koji-data-1.0-1.noarch\n hello-koji-data-1.0-2.noarch\n", "unsigned: empty key");
    let out = anon.run(&["list-tagged", "--quiet", "--paths", "--latest", "dest"]);
    assert_eq!(out.stdout, format!("{:<40}  {:<20}  kojiadmin\n", "/mnt/koji/packages/hello-koji/1.0/1", "dest"));
    let out = anon.run(&["list-tagged", "--quiet", "--event", &first_event, "dest"]);
    assert!(out.stdout.ends_with(&format!("{}\n", row("hello-koji-1.0-1", "dest"))), "{}", out.stdout);
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    let out = anon.run(&["list-tagged", "nosuch"]);
    assert!(out.stderr.contains("No such tag: nosuch"), "{}", out.stderr);

    // buildinfo lists the build's tags (the tags module's listTags reads these listings).
    let out = anon.run(&["buildinfo", "hello-koji-1.0-1"]);
    let tags_line = out.stdout.lines().find(|l| l.starts_with("Tags: ")).unwrap_or_default().to_owned();
    let mut tags: Vec<&str> = tags_line["Tags: ".len()..].split_whitespace().collect();
    tags.sort();
    assert_eq!(tags, ["admin-only", "dest", "frozen"], "{}", out.stdout);
    assert_eq!(call_json(&anon, &["listTagged", "nosuch", "strict=False"]), serde_json::json!([]));

    // Untagging: untagBuild needs a login and the tag's access; untagBuildBypass the tag permission.
    let before = build_tables(&db);
    for (cli, method, args, fault) in [
        (
            &plain,
            "untagBuild",
            vec!["admin-only", "hello-koji-1.0-1"],
            "ActionNotAllowed: tag requires admin permission",
        ),
        (&tagger, "untagBuild", vec!["frozen", "hello-koji-1.0-1"], "ActionNotAllowed: tag is locked"),
        (&plain, "untagBuildBypass", vec!["dest", "hello-koji-1.0-1"], "ActionNotAllowed: tag permission required"),
    ] {
        let out = cli.run(&[&["call", method], args.as_slice()].concat());
        assert_eq!(out.status, 1, "{args:?}: {}", out.stdout);
        assert!(out.stderr.contains(fault), "{args:?}: {}", out.stderr);
    }
    assert_eq!(build_tables(&db), before);
    // untag-build finds the listing through queryHistory, then calls untagBuild; any logged-in user may untag
    // from a tag without a lock or perm.
    plain.run(&["untag-build", "dest", "other-1.0-1"]).assert_success();
    let out = admin.run(&["untag-build", "dest", "other-1.0-1"]);
    assert_eq!(out.status, 1);
    assert!(out.stderr.contains("Build other-1.0-1 not in tag dest"), "{}", out.stderr);
    let out = admin.run(&["call", "untagBuild", "dest", "other-1.0-1"]);
    assert!(out.stderr.contains("TagError: build other-1.0-1 not in tag dest"), "{}", out.stderr);
    let before = build_tables(&db);
    admin.run(&["call", "untagBuild", "dest", "other-1.0-1", "strict=False"]).assert_success();
    assert_eq!(build_tables(&db), before, "a non-strict untag of an untagged build writes nothing");
    tagger.run(&["call", "untagBuildBypass", "dest", "hello-koji-1.0-2"]).assert_success();
    assert_eq!(
        db.psql(
            "SELECT b.release, u.name FROM tag_listing tl JOIN build b ON b.id = tl.build_id \
             JOIN users u ON u.id = tl.revoker_id JOIN tag t ON t.id = tl.tag_id \
             WHERE t.name = 'dest' AND tl.active IS NULL AND tl.revoke_event IS NOT NULL ORDER BY tl.revoke_event"
        )
        .trim(),
        "1|kojiadmin\n1|plain\n2|tagger"
    );
    assert_eq!(nvrs(&call_json(&anon, &["listTagged", "dest"])), ["hello-koji-1.0-1"]);

    // list-untagged: COMPLETE builds in no tag.
    let out = anon.run(&["list-untagged"]);
    out.assert_success();
    assert_eq!(out.stdout, "hello-koji-1.0-2\nother-1.0-1\n");
    let out = anon.run(&["list-untagged", "--paths"]);
    assert_eq!(out.stdout, "/mnt/koji/packages/hello-koji/1.0/2\n/mnt/koji/packages/other/1.0/1\n");
    assert_eq!(anon.run(&["list-untagged", "other"]).stdout, "other-1.0-1\n");
    let out = anon.run(&["list-untagged", "nosuch"]);
    assert!(out.stderr.contains("No such package: nosuch"), "{}", out.stderr);

    // Inheritance: `child` inherits `dest`, which holds hello-koji-1.0-1 now; child's own listing comes first and
    // wins `latest`; a package arrives only if the link's pkg_filter admits it and child does not block it.
    admin.run(&["add-pkg", "--owner", "kojiadmin", "dest", "other"]).assert_success();
    admin.run(&["call", "tagBuildBypass", "dest", "other-1.0-1"]).assert_success();
    admin.run(&["add-tag", "child", "--parent", "dest"]).assert_success();
    admin.run(&["call", "tagBuildBypass", "child", "hello-koji-1.0-2"]).assert_success();
    let tag_of = |b: &serde_json::Value| format!("{}@{}", b["nvr"].as_str().unwrap(), b["tag_name"].as_str().unwrap());
    let listed =
        |args: &[&str]| -> Vec<String> { call_json(&anon, args).as_array().unwrap().iter().map(tag_of).collect() };
    assert_eq!(
        listed(&["listTagged", "child", "inherit=True"]),
        ["hello-koji-1.0-2@child", "other-1.0-1@dest", "hello-koji-1.0-1@dest"]
    );
    assert_eq!(listed(&["listTagged", "child"]), ["hello-koji-1.0-2@child"]);
    let mut latest = listed(&["getLatestBuilds", "child"]);
    latest.sort();
    assert_eq!(latest, ["hello-koji-1.0-2@child", "other-1.0-1@dest"]);
    let out = anon.run(&["latest-build", "--quiet", "child", "other"]);
    assert_eq!(out.stdout, format!("{:<40}  {:<20}  kojiadmin\n", "other-1.0-1", "dest"));
    let out = anon.run(&["list-tagged", "--quiet", "--inherit", "--latest", "child"]);
    assert_eq!(out.stdout, format!("{}\n{}\n", row("hello-koji-1.0-2", "child"), row("other-1.0-1", "dest")));
    admin.run(&["edit-tag-inheritance", "child", "dest", "--pkg-filter", "^hello"]).assert_success();
    assert_eq!(listed(&["getLatestBuilds", "child"]), ["hello-koji-1.0-2@child"]);
    admin.run(&["edit-tag-inheritance", "child", "dest", "--pkg-filter", "(hello|oth)"]).assert_success();
    assert_eq!(listed(&["getLatestBuilds", "child"]).len(), 2);
    admin.run(&["block-pkg", "child", "other"]).assert_success();
    assert_eq!(listed(&["getLatestBuilds", "child"]), ["hello-koji-1.0-2@child"]);
    let pair = call_json(&anon, &["listTaggedRPMS", "child", "inherit=True"]);
    assert_eq!(
        pair[1].as_array().unwrap().iter().map(tag_of).collect::<Vec<_>>(),
        ["hello-koji-1.0-2@child", "hello-koji-1.0-1@dest"]
    );
    assert_eq!(pair[0].as_array().unwrap().len(), 6, "three rpms of each build");

    // search reaches tags too.
    let out = anon.run(&["search", "tag", "*o*"]);
    let mut tags: Vec<&str> = out.stdout.lines().collect();
    tags.sort();
    assert_eq!(tags, ["admin-only", "frozen"]);
    assert_eq!(anon.run(&["search", "tag", "-r", "^(child|dest)$"]).stdout.lines().count(), 2);
}

/// A Python client logged in as the CLI's user; the script's own lines follow. `run(fn, *args)` prints
/// `OK <json result>` or `FAULT <class>: <message>` for one call.
const CLIENT_PRELUDE: &str = r#"
import koji, os, json, zlib
s = koji.ClientSession(os.environ['KOJI_URL'], {'user': os.environ['KOJI_USER'],
                                                'password': os.environ['KOJI_PASSWORD']})
s.login()
def run(f, *args, **kw):
    try:
        print('OK', json.dumps(f(*args, **kw), sort_keys=True))
    except koji.GenericError as e:
        print('FAULT %s: %s' % (type(e).__name__, e))
"#;

fn client(cli: &KojiCli, script: &str) -> Vec<String> {
    let out = cli.python(&format!("{CLIENT_PRELUDE}\n{script}"));
    out.assert_success();
    out.stdout.lines().map(str::to_owned).collect()
}

#[test]
fn upload_protocol_and_import_refusals() {
    let (db, hub) = hub_with_admin();
    hub.create_user("bob", USER_PW, false);
    let admin = KojiCli::password(&hub, "kojiadmin", ADMIN_PW);
    let bob = KojiCli::password(&hub, "bob", USER_PW);
    let pkg = build_package("hello-koji", "1");
    import(&admin, &pkg);

    // Chunks: written at their offset, a retried chunk rewrites the same bytes, a chunk that does not end the
    // file is reported (unless overwriting; the bytes are written, as in Koji), -1 appends; checkUpload reports
    // size and the whole-file checksum.
    let data = std::fs::read(&pkg.noarch).unwrap();
    let lines = client(
        &admin,
        &format!(
            r#"
data = open({path:?}, 'rb').read()
up = lambda chunk, ofs, **kw: s._callMethod('rawUpload', (chunk, ofs, 'up/one', 'f.rpm'), kw)
run(up, data[:1000], 0)
run(up, data[1000:], 1000)
run(up, data[1000:], 1000)
run(up, data[:1000], 0)
run(s._callMethod, 'rawUpload', (b'abcdef', 0, 'up/one', 'short.log'), {{'verify': ''}})
run(s._callMethod, 'rawUpload', (b'x', 2, 'up/one', 'short.log'), {{}})
run(s.checkUpload, 'up/one', 'f.rpm', verify='adler32')
print('ADLER', '%08x' % (zlib.adler32(data) & 0xffffffff))
run(s._callMethod, 'rawUpload', (b'abc', 0, 'up/two', 'g.log'), {{'verify': 'md5'}})
run(s._callMethod, 'rawUpload', (b'def', -1, 'up/two', 'g.log'), {{'verify': 'sha256'}})
run(s._callMethod, 'rawUpload', (b'', 0, 'up/two', 'g.log'), {{'verify': 'crc', 'overwrite': True}})
run(s.checkUpload, 'up/two', 'nosuch')
run(s._callMethod, 'rawUpload', (b'abc', 0, '../escape', 'g.log'), {{}})
run(s._callMethod, 'rawUpload', (b'abc', 0, 'up/two', '.hidden'), {{}})
"#,
            path = s(&pkg.noarch)
        ),
    );
    let adler = |d: &[u8]| {
        let (mut a, mut b) = (1u32, 0u32);
        for &x in d {
            a = (a + u32::from(x)) % 65521;
            b = (b + a) % 65521;
        }
        format!("{:08x}", (b << 16) | a)
    };
    let rest = data.len() - 1000;
    assert_eq!(
        lines[0],
        format!(
            r#"OK {{"fileverify": "adler32", "hexdigest": "{}", "offset": 0, "size": 1000}}"#,
            adler(&data[..1000])
        )
    );
    let second = format!(
        r#"OK {{"fileverify": "adler32", "hexdigest": "{}", "offset": 1000, "size": {rest}}}"#,
        adler(&data[1000..])
    );
    assert_eq!(lines[1], second);
    assert_eq!(lines[2], second, "a retried chunk is accepted");
    let work = hub.koji_dir().join("work");
    assert_eq!(lines[3], format!("FAULT GenericError: upload path exists: {}", work.join("up/one/f.rpm").display()));
    assert_eq!(lines[4], r#"OK {"fileverify": "", "offset": 0, "size": 6}"#);
    assert_eq!(
        lines[5],
        format!(
            "FAULT GenericError: Incorrect upload length for {} - Expected 3, actual 6",
            work.join("up/one/short.log").display()
        )
    );
    let checked: serde_json::Value = serde_json::from_str(lines[6].strip_prefix("OK ").unwrap()).unwrap();
    assert_eq!(checked["size"], data.len());
    assert_eq!(checked["sumlength"], data.len());
    assert_eq!(lines[7], format!("ADLER {}", checked["hexdigest"].as_str().unwrap()));
    assert_eq!(std::fs::read(work.join("up/one/f.rpm")).unwrap(), data, "the upload is intact");
    assert!(lines[8].contains(r#""hexdigest": "900150983cd24fb0d6963f7d28e17f72""#), "{}", lines[8]);
    assert!(lines[9].contains(r#""offset": 3"#), "-1 appends: {}", lines[9]);
    assert_eq!(std::fs::read(work.join("up/two/g.log")).unwrap(), b"abcdef");
    assert_eq!(lines[10], "FAULT GenericError: Unsupported verify type: crc");
    assert_eq!(lines[11], "OK null");
    assert_eq!(lines[12], "FAULT GenericError: Invalid upload directory: ../escape");
    assert_eq!(lines[13], "FAULT GenericError: Invalid upload filename: .hidden");
    assert_eq!(
        std::fs::read_to_string(work.join("up/one/.user")).unwrap(),
        db.psql("SELECT id FROM users WHERE name = 'kojiadmin'").trim()
    );

    // Another user may not write into kojiadmin's directory; anonymous uploads are refused.
    let lines = client(&bob, "run(s._callMethod, 'rawUpload', (b'abc', 0, 'up/one', 'h.rpm'), {})");
    assert_eq!(lines, ["FAULT GenericError: Invalid upload directory, not owner: up/one"]);
    let resp = hub.post_raw(
        "/kojihub?filename=a&filepath=anon&fileverify=adler32&offset=0",
        &[("Content-Type", "application/octet-stream")],
        b"abc",
    );
    assert_eq!(resp.status, 200);
    assert!(resp.text().contains("you must be logged-in to upload a file"), "{}", resp.text());
    assert!(!work.join("anon").exists());
    let metrics = hub.get_raw("/metrics").text();
    assert!(metrics.contains("koji_rpc_calls_total{method=\"rawUpload\"}"), "{metrics}");

    // importRPM refusals, each leaving every table as it was.
    let before = build_tables(&db);
    let twin = build_package_as("hello-koji", "1", "same N-V-R, different rpm");
    let orphan = build_package("orphan", "1");
    let junk = TempDir::new("junk");
    let junk_rpm = junk.path().join("junk-1-1.noarch.rpm");
    std::fs::write(&junk_rpm, b"not an rpm at all").unwrap();
    let lines = client(
        &admin,
        &format!(
            r#"
for i, (path, name) in enumerate([({srpm:?}, None), ({twin:?}, None), ({orphan:?}, None), ({orphan:?}, 'renamed.rpm'), ({junk:?}, None)]):
    s.uploadWrapper(path, 'imp/%d' % i, name=name)
    run(s.importRPM, 'imp/%d' % i, name or os.path.basename(path))
run(s.importRPM, 'imp/nosuch', 'x.rpm')
"#,
            srpm = s(&pkg.srpm),
            twin = s(&twin.srpm),
            orphan = s(&orphan.noarch),
            junk = s(&junk_rpm),
        ),
    );
    let srpm_id = db.psql("SELECT id FROM rpminfo WHERE arch = 'src'").trim().to_owned();
    assert_eq!(lines[0], format!("FAULT GenericError: rpm hello-koji-1.0-1.src.rpm already imported (id {srpm_id})"));
    assert_eq!(lines[1], lines[0], "a different rpm with a taken N-V-R.A");
    assert_eq!(lines[2], "FAULT GenericError: No such build: orphan-1.0-1");
    assert_eq!(lines[3], "FAULT GenericError: bad filename: renamed.rpm (expected orphan-data-1.0-1.noarch.rpm)");
    assert!(lines[4].starts_with("FAULT GenericError: error reading package header of "), "{}", lines[4]);
    assert_eq!(lines[5], format!("FAULT GenericError: No such file: {}", work.join("imp/nosuch/x.rpm").display()));
    let lines = client(
        &bob,
        &format!(
            "s.uploadWrapper({:?}, 'bob')\nrun(s.importRPM, 'bob', {:?})",
            s(&orphan.srpm),
            orphan.srpm.file_name().unwrap().to_str().unwrap()
        ),
    );
    assert_eq!(lines, ["FAULT ActionNotAllowed: admin permission required"]);
    assert_eq!(build_tables(&db), before);
    assert!(!hub.koji_dir().join("packages/orphan").exists());

    // The CLI checks first: an imported rpm is skipped, a different one with its N-V-R.A is reported, a binary
    // rpm without its build or SRPM aborts.
    let out = admin.run(&["import", s(&pkg.srpm)]);
    out.assert_success();
    assert!(out.stdout.contains(&format!("RPM already imported: {}\nSkipping import", s(&pkg.srpm))), "{}", out.stdout);
    let out = admin.run(&["import", s(&twin.srpm)]);
    out.assert_success();
    assert!(out.stderr.contains("digest mismatch"), "{}", out.stderr);
    assert!(out.stdout.contains("Skipping import"), "{}", out.stdout);
    let out = admin.run(&["import", s(&orphan.noarch)]);
    assert_eq!(out.stdout, "Missing build or srpm: orphan-1.0-1\nAborting import\n");
    assert_eq!(build_tables(&db), before);

    // buildinfo / getBuild on bad input.
    let anon = KojiCli::anon(&hub);
    let out = anon.run(&["buildinfo", "nosuch-1-1"]);
    assert_eq!(out.status, 1);
    assert!(out.stderr.contains("No such build: nosuch-1-1"), "{}", out.stderr);
    let out = anon.run(&["buildinfo", "nonvr"]);
    assert_eq!(out.status, 1);
    assert!(out.stderr.contains("GenericError: invalid format: nonvr"), "{}", out.stderr);
    let out = anon.run(&["call", "getBuild", "nosuch-1-1", "strict=True"]);
    assert!(out.stderr.contains("GenericError: No such build: 'nosuch-1-1'"), "{}", out.stderr);
    let out = anon.run(&["call", "getBuild", "999", "strict=True"]);
    assert!(out.stderr.contains("GenericError: No such build: 999"), "{}", out.stderr);

    // The other per-build calls buildinfo makes.
    let build = call_json(&anon, &["getBuild", "hello-koji-1.0-1"]);
    assert_eq!(
        (build["id"].clone(), build["nvr"].as_str(), build["epoch"].clone()),
        (build["build_id"].clone(), Some("hello-koji-1.0-1"), serde_json::json!(2))
    );
    assert_eq!(
        (build["cg_id"].clone(), build["cg_name"].clone(), build["extra"].clone()),
        (serde_json::Value::Null, serde_json::Value::Null, serde_json::Value::Null)
    );
    for method in ["getMavenBuild", "getWinBuild", "getImageBuild"] {
        assert_eq!(call_json(&anon, &[method, "hello-koji-1.0-1"]), serde_json::Value::Null, "{method}");
    }
    assert_eq!(call_json(&anon, &["getBuildType", "hello-koji-1.0-1"]), serde_json::json!({"rpm": null}));
    assert_eq!(call_json(&anon, &["listArchives", &format!("buildID={}", build["id"])]), serde_json::json!([]));
    assert_eq!(call_json(&anon, &["getBuildLogs", "hello-koji-1.0-1"]), serde_json::json!([]));
    assert_eq!(call_json(&anon, &["listVolumes"]), serde_json::json!([{"id": 0, "name": "DEFAULT"}]));
    let rpms = call_json(&anon, &["listBuildRPMs", "hello-koji-1.0-1"]);
    assert_eq!(rpms.as_array().unwrap().len(), 3);
    let sigs = call_json(&anon, &["queryRPMSigs", &format!("rpm_id={srpm_id}")]);
    assert_eq!(sigs[0]["sigkey"], "");
    assert_eq!(call_json(&anon, &["queryRPMSigs", "rpm_id=hello-koji-1.0-1.src"]), sigs);
    let headers = call_json(
        &anon,
        &["-p", "-b", "getRPMHeaders", &format!("rpmID={srpm_id}"), "headers=['License', 'summary', 'epoch', 'url']"],
    );
    assert_eq!(
        headers,
        serde_json::json!({"License": "MIT", "summary": "koji-rs test package", "epoch": 2, "url": null})
    );
    let out = anon.run(&["call", "-p", "-b", "getRPMHeaders", &format!("rpmID={srpm_id}"), "headers=['nosuch']"]);
    assert!(out.stderr.contains("GenericError: No such rpm header field: NOSUCH"), "{}", out.stderr);
    assert_eq!(call_json(&anon, &["getRPMHeaders", "rpmID=99999"]), serde_json::json!({}));
    assert_eq!(call_json(&anon, &["getRPM", "nosuch-1-1.src"]), serde_json::Value::Null);
    let out = anon.run(&["call", "getRPM", "nonvra"]);
    assert!(out.stderr.contains("GenericError: invalid format: nonvra"), "{}", out.stderr);
}
