//! Issue 3 scenarios with the stock koji 1.36.1 CLI against a real hub on a private PostgreSQL.

mod support;

use support::TempDir;
use support::certs::TestCerts;
use support::cli::KojiCli;
use support::hub::{Hub, HubOptions};
use support::pg::{DbInfo, PgCluster};

const ADMIN_PW: &str = "admin-secret-pw";

fn hub_with_admin(opts: HubOptions) -> (DbInfo, Hub) {
    let db = PgCluster::shared().create_database();
    let hub = Hub::start(&db, opts);
    hub.create_user("kojiadmin", ADMIN_PW, true);
    (db, hub)
}

fn conf(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn password_login_version_and_api_listing() {
    let (_db, hub) = hub_with_admin(HubOptions::default());
    let admin = KojiCli::password(&hub, "kojiadmin", ADMIN_PW);
    let out = admin.run(&["hello"]);
    out.assert_success();
    assert!(out.stdout.contains(", kojiadmin!"), "{}", out.stdout);
    assert!(out.stdout.contains("(Koji 1.36.1)"), "{}", out.stdout);
    assert!(out.stdout.contains("Authenticated via password"), "{}", out.stdout);

    let anon = KojiCli::anon(&hub);
    let out = anon.run(&["version"]);
    out.assert_success();
    assert!(out.stdout.contains("Hub:    1.36.1"), "{}", out.stdout);
    assert_eq!(anon.run(&["call", "getAPIVersion"]).assert_success().stdout.trim(), "1");
    assert_eq!(anon.run(&["call", "getKojiVersion"]).assert_success().stdout.trim(), "'1.36.1'");

    let out = anon.run(&["list-api"]);
    out.assert_success();
    assert!(
        out.stdout.contains("getUser(userInfo=None, strict=False, krb_princs=True, groups=False)"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("  description: Get a user by id, name or principal."), "{}", out.stdout);
    assert!(out.stdout.contains("multiCall(calls)"), "{}", out.stdout);

    let bad = KojiCli::password(&hub, "kojiadmin", "wrong");
    let out = bad.run(&["hello"]);
    assert_ne!(out.status, 0);
    assert!(out.stderr.contains("AuthError: Invalid username or password"), "{}", out.stderr);
    assert!(!hub.stderr_log().contains(ADMIN_PW), "the password reached the log");
}

#[test]
fn ssl_login_with_client_certificates() {
    let dir = TempDir::new("certs");
    let certs = TestCerts::generate(dir.path());
    let opts = HubOptions {
        tls: Some(&certs),
        extra_conf: conf(&[("ProxyDNs", "/O=koji-rs tests/CN=kojiweb")]),
        ..Default::default()
    };
    let (db, hub) = hub_with_admin(opts);
    assert!(hub.url().starts_with("https://"));

    let admin = KojiCli::ssl(&hub, &certs, &certs.client("kojiadmin"));
    let out = admin.run(&["hello"]);
    out.assert_success();
    assert!(out.stdout.contains(", kojiadmin!"), "{}", out.stdout);
    assert!(out.stdout.contains("Authenticated via client certificate"), "{}", out.stdout);
    // An admin by certificate can act as admin.
    admin.run(&["add-user", "viacert"]).assert_success();

    // LoginCreatesUser (Koji's default): a new CN becomes a user at its first login.
    let newbie = KojiCli::ssl(&hub, &certs, &certs.client("newbie"));
    newbie.run(&["hello"]).assert_success();
    assert_eq!(db.psql("SELECT usertype, status FROM users WHERE name = 'newbie'").trim(), "0|0");
    assert_eq!(
        db.psql("SELECT authtype FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.name = 'newbie'").trim(),
        "2"
    );

    // A certificate from a CA the hub does not trust never gets a session.
    let rogue = KojiCli::ssl(&hub, &certs, &certs.rogue_client("kojiadmin"));
    let out = rogue.run(&["hello"]);
    assert_ne!(out.status, 0, "{}", out.stdout);
    assert_eq!(db.psql("SELECT count(*) FROM users WHERE name = 'rogue'").trim(), "0");

    // Proxy login: only a certificate listed in ProxyDNs may log in as someone else.
    let script = r#"
import koji, os, sys
s = koji.ClientSession(os.environ['KOJI_URL'])
try:
    s.ssl_login(os.environ['KOJI_CERT'], None, os.environ['KOJI_SERVERCA'], proxyuser='viacert')
    print('LOGGED-IN-AS', s.getLoggedInUser()['name'])
except koji.AuthError as e:
    print('REFUSED', e)
"#;
    let web = KojiCli::ssl(&hub, &certs, &certs.client("kojiweb"));
    let out = web.python(script);
    assert!(out.stdout.contains("LOGGED-IN-AS viacert"), "{}\n{}", out.stdout, out.stderr);
    let out = newbie.python(script);
    assert!(out.stdout.contains("REFUSED"), "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("not authorized to login other users"), "{}", out.stdout);
}

#[test]
fn multicall_from_the_cli_and_the_python_client() {
    let (_db, hub) = hub_with_admin(HubOptions::default());
    let admin = KojiCli::password(&hub, "kojiadmin", ADMIN_PW);
    let out = admin.run(&[
        "call",
        "--json-output",
        // The client library keeps the name multiCall for its own batching; the alias reaches the hub as is.
        "system.multicall",
        "--json",
        r#"[{"methodName": "getAPIVersion", "params": []}, {"methodName": "getUser", "params": ["nosuch", {"strict": true, "__starstar": true}]}, {"methodName": "noSuchMethod", "params": []}, {"methodName": "echo", "params": [1, "two"]}]"#,
    ]);
    out.assert_success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
    assert_eq!(v[0], serde_json::json!([1]));
    assert_eq!(v[1]["faultCode"], 1000);
    assert_eq!(v[1]["faultString"], "No such user: 'nosuch'");
    assert_eq!(v[2]["faultCode"], 1000);
    assert_eq!(v[2]["faultString"], "Invalid method: noSuchMethod");
    assert_eq!(v[3], serde_json::json!([[1, "two"]]));

    let script = r#"
import koji, os, json
s = koji.ClientSession(os.environ['KOJI_URL'], {'user': os.environ['KOJI_USER'], 'password': os.environ['KOJI_PASSWORD']})
s.login()
with s.multicall(strict=False, batch=2) as m:
    a = m.getAPIVersion()
    b = m.getUser('kojiadmin')
    c = m.createUser('fromcall')
    d = m.createUser('fromcall')
    e = m.getKojiVersion()
out = [a.result, b.result['name'], c.result]
try:
    d.result
except koji.GenericError as err:
    out.append(str(err))
out.append(e.result)
print(json.dumps(out))
s.logout()
"#;
    let out = admin.python(script);
    out.assert_success();
    let v: serde_json::Value =
        serde_json::from_str(out.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
    assert_eq!(v[0], 1);
    assert_eq!(v[1], "kojiadmin");
    assert!(v[2].as_i64().unwrap() > 1);
    assert_eq!(v[3], "user already exists: fromcall");
    assert_eq!(v[4], "1.36.1");
}

#[test]
fn permissions_grant_revoke_and_list() {
    let (db, hub) = hub_with_admin(HubOptions::default());
    let admin = KojiCli::password(&hub, "kojiadmin", ADMIN_PW);
    admin.run(&["add-user", "bob"]).assert_success();
    hub.create_user("eve", "eve-pw", false);

    let out = admin.run(&["list-permissions"]);
    out.assert_success();
    for perm in ["admin", "appliance", "dist-repo", "host", "repo", "sign", "tag", "target", "draft-promoter"] {
        assert!(
            out.stdout.lines().any(|l| l.split_whitespace().next() == Some(perm)),
            "{perm} missing:\n{}",
            out.stdout
        );
    }

    admin.run(&["grant-permission", "tag", "bob"]).assert_success();
    let out = admin.run(&["grant-permission", "tag", "bob"]);
    assert_ne!(out.status, 0);
    assert!(out.stderr.contains("user bob already has permission: tag"), "{}", out.stderr);
    admin
        .run(&["grant-permission", "--new", "--description", "Regenerate repos", "regen-repo", "bob"])
        .assert_success();
    assert_eq!(db.psql("SELECT description FROM permissions WHERE name = 'regen-repo'").trim(), "Regenerate repos");
    let out = admin.run(&["list-permissions", "--user", "bob"]);
    out.assert_success();
    let listed: Vec<&str> = out.stdout.lines().skip(2).map(|l| l.trim()).collect();
    assert_eq!(listed, vec!["regen-repo", "tag"]);

    admin.run(&["revoke-permission", "tag", "bob"]).assert_success();
    let out = admin.run(&["list-permissions", "--user", "bob"]);
    assert!(!out.stdout.contains("tag"), "{}", out.stdout);
    // Koji's versioned rows: the grant is closed by a revoke event, not deleted.
    let rows = db.psql(
        "SELECT active IS NULL, revoke_event IS NOT NULL, revoker_id FROM user_perms up JOIN permissions p \
         ON p.id = up.perm_id JOIN users u ON u.id = up.user_id WHERE u.name = 'bob' AND p.name = 'tag'",
    );
    assert_eq!(rows.trim(), "t|t|1");

    // Only admins grant; others get ActionNotAllowed and nothing changes.
    let eve = KojiCli::password(&hub, "eve", "eve-pw");
    let out = eve.run(&["grant-permission", "admin", "eve"]);
    assert_ne!(out.status, 0);
    assert!(out.stderr.contains("ActionNotAllowed: admin permission required"), "{}", out.stderr);
    assert_eq!(
        db.psql("SELECT count(*) FROM user_perms up JOIN users u ON u.id = up.user_id WHERE u.name = 'eve'").trim(),
        "0"
    );

    let script = r#"
import koji, os
s = koji.ClientSession(os.environ['KOJI_URL'], {'user': os.environ['KOJI_USER'], 'password': os.environ['KOJI_PASSWORD']})
s.login()
print(s.hasPerm('admin'), s.hasPerm('tag'), sorted(s.getPerms()))
"#;
    assert_eq!(admin.python(script).assert_success().stdout.trim(), "True False ['admin']");
}

#[test]
fn users_add_list_info_disable_enable() {
    let (db, hub) = hub_with_admin(HubOptions::default());
    let admin = KojiCli::password(&hub, "kojiadmin", ADMIN_PW);
    let out = admin.run(&["add-user", "bob", "--principal", "bob@EXAMPLE.COM"]);
    out.assert_success();
    assert!(out.stdout.starts_with("Added user bob ("), "{}", out.stdout);
    let out = admin.run(&["add-user", "bob"]);
    assert!(out.stderr.contains("user already exists: bob"), "{}", out.stderr);
    admin.run(&["add-user", "rob", "--principal", "rob@EXAMPLE.COM"]).assert_success();
    admin
        .run(&[
            "edit-user",
            "rob",
            "--rename",
            "robert",
            "--edit-krb",
            "rob@EXAMPLE.COM=robert@EXAMPLE.COM",
            "--add-krb",
            "r@X.ORG",
        ])
        .assert_success();
    assert_eq!(
        db.psql("SELECT string_agg(krb_principal, ',' ORDER BY krb_principal) FROM user_krb_principals p JOIN users u ON u.id = p.user_id WHERE u.name = 'robert'").trim(),
        "r@X.ORG,robert@EXAMPLE.COM"
    );
    let out = admin.run(&["edit-user", "robert", "--remove-krb", "nobody@X"]);
    assert!(out.stderr.contains("has no such principal"), "{}", out.stderr);
    let out = admin.run(&["add-user", "bad name!"]);
    assert!(out.stderr.contains("NameValidationError"), "{}", out.stderr);
    admin.run(&["add-user", "sleepy", "--disable"]).assert_success();

    let anon = KojiCli::anon(&hub);
    let names: Vec<String> = anon.run(&["list-users"]).assert_success().stdout.lines().map(str::to_owned).collect();
    assert_eq!(names, vec!["bob", "kojiadmin", "robert", "sleepy"]);
    admin.run(&["grant-permission", "tag", "bob"]).assert_success();
    assert_eq!(anon.run(&["list-users", "--perm", "tag"]).assert_success().stdout.trim(), "bob");
    assert_eq!(anon.run(&["list-users", "--prefix", "sl"]).assert_success().stdout.trim(), "sleepy");

    let out = anon.run(&["userinfo", "bob"]);
    out.assert_success();
    for line in [
        "User name: bob",
        "krb principals:",
        "  bob@EXAMPLE.COM",
        "Permissions:",
        "  tag",
        "Status: NORMAL",
        "Usertype: NORMAL",
        "Number of packages: 0",
        "Number of tasks: 0",
        "Number of builds: 0",
    ] {
        assert!(out.stdout.lines().any(|l| l.trim_end() == line), "missing {line:?} in:\n{}", out.stdout);
    }
    let out = anon.run(&["userinfo", "sleepy"]);
    assert!(out.stdout.contains("Status: BLOCKED"), "{}", out.stdout);

    // A disabled user can no longer log in, and its open session stops working at once.
    hub.create_user("carol", "carol-pw", false);
    let carol = KojiCli::password(&hub, "carol", "carol-pw");
    carol.run(&["hello"]).assert_success();
    let script = format!(
        r#"
import koji, os
carol = koji.ClientSession(os.environ['KOJI_URL'], {{'user': os.environ['KOJI_USER'], 'password': os.environ['KOJI_PASSWORD']}})
carol.login()
print('before', carol.getLoggedInUser()['name'])
admin = koji.ClientSession(os.environ['KOJI_URL'], {{'user': 'kojiadmin', 'password': '{ADMIN_PW}'}})
admin.login()
admin.disableUser('carol')
try:
    carol.getLoggedInUser(); print('after ok')
except koji.GenericError as e:
    print('after', type(e).__name__)
"#
    );
    let out = carol.python(&script);
    out.assert_success();
    assert_eq!(out.stdout.trim(), "before carol\nafter AuthError");
    let out = carol.run(&["hello"]);
    assert_ne!(out.status, 0);
    assert!(out.stderr.contains("logins by carol are not allowed"), "{}", out.stderr);
    assert_eq!(db.psql("SELECT status FROM users WHERE name = 'carol'").trim(), "1");
    admin.run(&["enable-user", "carol"]).assert_success();
    carol.run(&["hello"]).assert_success();

    let out = carol.run(&["disable-user", "bob"]);
    assert!(out.stderr.contains("ActionNotAllowed"), "{}", out.stderr);
    assert_eq!(db.psql("SELECT status FROM users WHERE name = 'bob'").trim(), "0");
}
