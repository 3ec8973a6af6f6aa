//! Session rules as Koji's: callnum sequence and retry, renewal after expiry, logout, and no database writes for
//! calls that change nothing.

mod support;

use support::cli::KojiCli;
use support::fleet::{ADMIN_PW, setup as start};
use support::hub::{Hub, RawResponse};

fn call_body(method: &str, string_args: &[&str]) -> String {
    let params: String =
        string_args.iter().map(|a| format!("<param><value><string>{a}</string></value></param>")).collect();
    format!("<?xml version='1.0'?><methodCall><methodName>{method}</methodName><params>{params}</params></methodCall>")
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    text.split(start).nth(1).and_then(|s| s.split(end).next()).unwrap_or_else(|| panic!("no {start} in {text}"))
}

struct RawSession<'h> {
    hub: &'h Hub,
    id: String,
    key: String,
}

impl<'h> RawSession<'h> {
    fn login(hub: &'h Hub) -> Self {
        let r = hub.post_raw(
            "/kojihub",
            &[("Content-Type", "text/xml")],
            call_body("login", &["kojiadmin", ADMIN_PW]).as_bytes(),
        );
        let text = r.text();
        let id = between(between(&text, "<name>session-id</name>", "</member>"), "<int>", "</int>").to_owned();
        let key = between(between(&text, "<name>session-key</name>", "</member>"), "<string>", "</string>").to_owned();
        RawSession { hub, id, key }
    }

    fn call(&self, callnum: i32, method: &str, args: &[&str]) -> RawResponse {
        let callnum = callnum.to_string();
        let headers = [
            ("Content-Type", "text/xml"),
            ("Koji-Session-Id", self.id.as_str()),
            ("Koji-Session-Key", self.key.as_str()),
            ("Koji-Session-Callnum", callnum.as_str()),
        ];
        self.hub.post_raw("/kojihub", &headers, call_body(method, args).as_bytes())
    }
}

fn fault_code(r: &RawResponse) -> Option<i64> {
    let text = r.text();
    text.contains("<fault>").then(|| between(&text, "<int>", "</int>").parse().unwrap())
}

#[test]
fn callnum_sequence_and_retry_rules() {
    let (_db, hub) = start(&[]);
    let s = RawSession::login(&hub);
    // Reads never advance the callnum, so a client may retry them with the same number.
    assert_eq!(fault_code(&s.call(0, "getLoggedInUser", &[])), None);
    assert_eq!(fault_code(&s.call(0, "getLoggedInUser", &[])), None);
    // A committed write does: repeating its callnum is a RetryError, an older one a SequenceError.
    assert_eq!(fault_code(&s.call(1, "createUser", &["u1"])), None);
    let retry = s.call(1, "createUser", &["u1"]);
    assert_eq!(fault_code(&retry), Some(1009), "{}", retry.text());
    assert!(retry.text().contains("unable to retry call 1 (method createUser)"), "{}", retry.text());
    assert_eq!(fault_code(&s.call(0, "getLoggedInUser", &[])), Some(1008));
    assert_eq!(fault_code(&s.call(2, "createUser", &["u2"])), None);
    // A wrong key for a real session id is refused.
    let forged = RawSession { hub: &hub, id: s.id.clone(), key: "1-wrongwrongwrongwrong".into() };
    assert_eq!(fault_code(&forged.call(3, "getLoggedInUser", &[])), Some(1002));
}

#[test]
fn expired_sessions_are_renewed_by_the_client() {
    // A flush interval of 1 s makes the registry re-read session rows after a second.
    let (db, hub) = start(&[("SessionFlushInterval", "1")]);
    let admin = KojiCli::password(&hub, "kojiadmin", ADMIN_PW);
    let script = r#"
import koji, os, sys, time
s = koji.ClientSession(os.environ['KOJI_URL'], {'user': os.environ['KOJI_USER'], 'password': os.environ['KOJI_PASSWORD']})
s.login()
print(s.sinfo['session-id'], flush=True)
sys.stdin.readline()
print(s.getLoggedInUser()['name'], s.sinfo['session-id'])
"#;
    let mut child = admin.spawn_python(script);
    let sid = child.read_line().trim().to_owned();
    db.psql(&format!("UPDATE sessions SET start_time = NOW() - INTERVAL '2 days' WHERE id = {sid}"));
    std::thread::sleep(std::time::Duration::from_millis(1500));
    child.write_line("");
    let out = child.finish();
    out.assert_success();
    // The client got AuthExpired, logged in again with renew=True and kept its session id.
    assert_eq!(out.stdout.lines().last().unwrap(), format!("kojiadmin {sid}"));
    let renewed = db.psql(&format!("SELECT renew_time IS NOT NULL FROM sessions WHERE id = {sid}"));
    assert_eq!(renewed.trim(), "t");
}

#[test]
fn logout_and_subsessions() {
    let (db, hub) = start(&[]);
    let s = RawSession::login(&hub);
    let sub = s.call(0, "subsession", &[]);
    let text = sub.text();
    let sub_id = between(between(&text, "<name>session-id</name>", "</member>"), "<int>", "</int>").to_owned();
    assert_eq!(db.psql(&format!("SELECT master FROM sessions WHERE id = {sub_id}")).trim(), s.id);
    assert_eq!(fault_code(&s.call(1, "logout", &[])), None);
    assert_eq!(fault_code(&s.call(2, "getLoggedInUser", &[])), Some(1002));
    // Logging out closed the subsession too.
    assert_eq!(db.psql(&format!("SELECT closed FROM sessions WHERE id = {sub_id}")).trim(), "t");
}

#[test]
fn read_calls_write_nothing() {
    let (db, hub) = start(&[("SessionFlushInterval", "3600")]);
    let admin = KojiCli::password(&hub, "kojiadmin", ADMIN_PW);
    let script = r#"
import koji, os, sys
s = koji.ClientSession(os.environ['KOJI_URL'], {'user': os.environ['KOJI_USER'], 'password': os.environ['KOJI_PASSWORD']})
s.login()
s.getLoggedInUser()
print('ready', flush=True)
sys.stdin.readline()
for i in range(50):
    s.getLoggedInUser(); s.getUser('kojiadmin'); s.getAllPerms(); s.hasPerm('admin')
print('done', flush=True)
sys.stdin.readline()
"#;
    let mut child = admin.spawn_python(script);
    assert_eq!(child.read_line().trim(), "ready");
    // Transaction ids are assigned only to transactions that write; reads leave the counter alone.
    let next_xid = || db.psql("SELECT pg_snapshot_xmax(pg_current_snapshot())").trim().to_owned();
    let before = next_xid();
    child.write_line("");
    assert_eq!(child.read_line().trim(), "done");
    let after = next_xid();
    child.write_line("");
    child.finish().assert_success();
    assert_eq!(before, after, "200 read calls assigned transaction ids: something wrote");
}

#[test]
fn exclusive_sessions_as_kojid_takes_them() {
    let (_db, hub) = start(&[]);
    let first = RawSession::login(&hub);
    let second = RawSession::login(&hub);
    assert_eq!(fault_code(&first.call(0, "exclusiveSession", &[])), None);
    let refused = second.call(0, "exclusiveSession", &[]);
    assert_eq!(fault_code(&refused), Some(1006), "{}", refused.text());
    // force takes it over and closes the other session.
    let forced = second.hub.post_raw(
        "/kojihub",
        &[
            ("Content-Type", "text/xml"),
            ("Koji-Session-Id", second.id.as_str()),
            ("Koji-Session-Key", second.key.as_str()),
            ("Koji-Session-Callnum", "1"),
        ],
        b"<?xml version='1.0'?><methodCall><methodName>exclusiveSession</methodName><params><param><value><struct>\
          <member><name>force</name><value><boolean>1</boolean></value></member>\
          <member><name>__starstar</name><value><boolean>1</boolean></value></member></struct></value></param></params></methodCall>",
    );
    assert_eq!(fault_code(&forced), None, "{}", forced.text());
    assert_eq!(fault_code(&first.call(1, "getLoggedInUser", &[])), Some(1002));
    assert_eq!(fault_code(&second.call(2, "sharedSession", &[])), None);
}
