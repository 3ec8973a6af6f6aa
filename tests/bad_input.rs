//! Bad input gets a clear Koji fault or the right HTTP status, never a panic, and the hub keeps serving.

mod support;

use support::hub::{Hub, HubOptions, RawResponse};
use support::pg::PgCluster;

fn xml_call(method: &str, params: &str) -> String {
    format!(
        "<?xml version='1.0'?>\n<methodCall><methodName>{method}</methodName><params>{params}</params></methodCall>"
    )
}

fn post(hub: &Hub, body: &[u8]) -> RawResponse {
    hub.post_raw("/kojihub", &[("Content-Type", "text/xml")], body)
}

/// The (code, message) of a fault response; panics if the answer is not an HTTP 200 fault.
fn fault(r: &RawResponse) -> (i64, String) {
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("Koji-Version"), Some("1.36.1"));
    let text = r.text();
    assert!(text.contains("<fault>"), "not a fault: {text}");
    let code = text.split("<int>").nth(1).and_then(|s| s.split("</int>").next()).unwrap().trim().parse().unwrap();
    let message = text.split("<string>").nth(1).and_then(|s| s.split("</string>").next()).unwrap_or("");
    let message = message.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    (code, message)
}

fn assert_alive(hub: &Hub) {
    let r = post(hub, xml_call("getAPIVersion", "").as_bytes());
    assert_eq!(r.status, 200);
    assert!(r.text().contains("<int>1</int>"), "{}", r.text());
}

#[test]
fn http_level_errors() {
    let db = PgCluster::shared().create_database();
    let hub = Hub::start(&db, HubOptions::default());
    let r = hub.get_raw("/kojihub");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("Allow"), Some("POST"));
    assert!(r.text().contains("Only POST requests are accepted"), "{}", r.text());

    let r = post(&hub, b"");
    assert_eq!(r.status, 400);
    assert!(r.text().contains("Empty request body"), "{}", r.text());

    // Beyond MaxRequestLength (4 MiB by default) the request is refused with Koji's fault.
    let huge = xml_call("echo", &format!("<param><value><string>{}</string></value></param>", "x".repeat(5 << 20)));
    let (code, msg) = fault(&post(&hub, huge.as_bytes()));
    assert_eq!((code, msg.as_str()), (1000, "Request too long"));
    assert_alive(&hub);
}

#[test]
fn malformed_requests_are_faults() {
    let db = PgCluster::shared().create_database();
    let hub = Hub::start(&db, HubOptions::default());
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("not xml", b"hello there".to_vec(), "malformed XML-RPC request"),
        ("truncated", b"<?xml version='1.0'?><methodCall><methodName>echo</methodName><params><param>".to_vec(), "malformed XML-RPC request"),
        ("wrong root", b"<methodResponse/>".to_vec(), "malformed XML-RPC request"),
        ("bad int", xml_call("echo", "<param><value><int>twelve</int></value></param>").into_bytes(), "invalid <int> value"),
        ("int overflow", xml_call("echo", "<param><value><i8>99999999999999999999</i8></value></param>").into_bytes(), "malformed XML-RPC request"),
        ("unknown type", xml_call("echo", "<param><value><float>1</float></value></param>").into_bytes(), "malformed XML-RPC request"),
        ("dtd", b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><methodCall><methodName>echo</methodName></methodCall>".to_vec(), "DTD is not allowed"),
        ("not utf-8", b"<?xml version='1.0'?><methodCall><methodName>\xff\xfe</methodName></methodCall>".to_vec(), "malformed XML-RPC request"),
        ("binary", (0u8..=255).cycle().take(4096).collect(), "malformed XML-RPC request"),
    ];
    for (what, body, expect) in cases {
        let (code, msg) = fault(&post(&hub, &body));
        assert_eq!(code, 1000, "{what}: {msg}");
        assert!(msg.contains(expect), "{what}: {msg}");
        assert!(msg.len() < 300, "{what}: the fault echoes too much: {msg}");
    }
    // 50,000 nested arrays (2 MiB, under the request limit): refused by the depth limit, no stack overflow.
    let deep = format!("{}{}", "<value><array><data>".repeat(50_000), "</data></array></value>".repeat(50_000));
    let (code, msg) = fault(&post(&hub, xml_call("echo", &format!("<param>{deep}</param>")).as_bytes()));
    assert_eq!(code, 1000);
    assert!(msg.contains("nesting deeper than"), "{msg}");
    assert_alive(&hub);
}

#[test]
fn unknown_methods_and_bad_arguments() {
    let db = PgCluster::shared().create_database();
    let hub = Hub::start(&db, HubOptions::default());
    let (code, msg) = fault(&post(&hub, xml_call("noSuchMethod", "").as_bytes()));
    assert_eq!((code, msg.as_str()), (1000, "Invalid method: noSuchMethod"));

    let three = "<param><value><int>1</int></value></param>".repeat(3);
    let (code, msg) = fault(&post(&hub, xml_call("getAPIVersion", &three).as_bytes()));
    assert_eq!((code, msg.as_str()), (1019, "getAPIVersion() takes 0 positional arguments but 3 were given"));

    let (code, msg) = fault(&post(&hub, xml_call("hasPerm", "").as_bytes()));
    assert_eq!((code, msg.as_str()), (1019, "hasPerm() missing 1 required positional argument: 'perm'"));

    let kw = "<param><value><struct><member><name>bogus</name><value><int>1</int></value></member>\
              <member><name>__starstar</name><value><boolean>1</boolean></value></member></struct></value></param>";
    let (code, msg) = fault(&post(&hub, xml_call("getUser", kw).as_bytes()));
    assert_eq!((code, msg.as_str()), (1019, "getUser() got an unexpected keyword argument 'bogus'"));

    let wrong_type = "<param><value><array><data/></array></value></param>";
    let (code, msg) = fault(&post(&hub, xml_call("listTasks", wrong_type).as_bytes()));
    assert_eq!(code, 1019, "{msg}");
    assert!(msg.starts_with("listTasks(): invalid type"), "{msg}");

    let (code, _) =
        fault(&post(&hub, xml_call("createUser", "<param><value><string>x</string></value></param>").as_bytes()));
    assert_eq!(code, 1004, "anonymous admin call");
    assert_alive(&hub);
}

#[test]
fn invalid_session_headers() {
    let db = PgCluster::shared().create_database();
    let hub = Hub::start(&db, HubOptions::default());
    let body = xml_call("getLoggedInUser", "");
    for headers in [
        vec![("Koji-Session-Id", "42"), ("Koji-Session-Key", "1-abc"), ("Koji-Session-Callnum", "0")],
        vec![("Koji-Session-Id", "not-a-number"), ("Koji-Session-Key", "1-abc")],
        vec![("Koji-Session-Id", "1")],
        vec![("Koji-Session-Id", "1"), ("Koji-Session-Key", "1-abc"), ("Koji-Session-Callnum", "x")],
    ] {
        let mut h = vec![("Content-Type", "text/xml")];
        h.extend(headers.iter().copied());
        let (code, msg) = fault(&hub.post_raw("/kojihub", &h, body.as_bytes()));
        assert_eq!(code, 1002, "{headers:?}: {msg}");
        assert!(msg.starts_with("Invalid session or bad credentials"), "{msg}");
    }
    // The legacy query-string form is read too.
    let (code, _) = fault(&hub.post_raw(
        "/kojihub?session-id=5&session-key=x&callnum=1",
        &[("Content-Type", "text/xml")],
        body.as_bytes(),
    ));
    assert_eq!(code, 1002);
    assert_alive(&hub);
}

#[test]
fn metrics_count_calls_and_faults() {
    let db = PgCluster::shared().create_database();
    let hub = Hub::start(&db, HubOptions::default());
    assert_alive(&hub);
    assert_alive(&hub);
    fault(&post(&hub, xml_call("noSuchMethod", "").as_bytes()));
    let r = hub.get_raw("/metrics");
    assert_eq!(r.status, 200);
    let text = r.text();
    let line = |prefix: &str| {
        text.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no {prefix} in\n{text}")).to_owned()
    };
    assert!(line("koji_rpc_calls_total{method=\"getAPIVersion\"}").ends_with(" 2"), "{text}");
    assert!(line("koji_rpc_faults_total{code=\"1000\"}").ends_with(" 1"), "{text}");
    line("koji_rpc_duration_seconds_bucket{method=\"getAPIVersion\",le=\"0.005\"}");
    line("koji_actor_restarts_total{actor=\"SessionRegistry\"} 0");
}
