//! The push protocol against the real hub and PostgreSQL, driven by the builder-side clients
//! (`koji_rs::builder::{push, hub_client}`): offers, accepts, wakes, version and auth refusals, a dead
//! builder's tasks moving to another builder, a reconnect, refusals.
//!
//! Liveness is shortened (heartbeat 1 s, 2 missed, HostTimeout 3 s); waits are bounded generously and no
//! test asserts a duration.

mod support;

use futures_util::{SinkExt, StreamExt};
use koji_rs::builder::hub_client::{HubClient, Session};
use koji_rs::builder::push::{self, PushConfig, PushConnection, PushError};
use koji_rs::protocol::{self, FromBuilder, FromHub, Heartbeat};
use koji_rs::xmlrpc::{self, Value};
use std::time::Duration;
use support::fleet::{ADMIN_PW, add_host, make_task, setup, task_field, wait_for};
use support::hub::Hub;
use support::pg::DbInfo;
use support::rpc::{Rpc, kwargs};
use tokio::net::TcpStream;
use tokio::runtime::Runtime;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const LIVENESS: &[(&str, &str)] = &[("BuilderHeartbeat", "1"), ("MissedHeartbeats", "2"), ("HostTimeout", "3")];
/// Missed heartbeats × interval, plus a second for the registry's check, plus slack for a busy machine.
const NOT_READY_WITHIN: Duration = Duration::from_secs(2 + 1 + 5);
const SOON: Duration = Duration::from_secs(10);

/// The builders' side runs on its own runtime threads, so their heartbeats go on while the test blocks.
fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap()
}

fn status(ready: bool) -> Heartbeat {
    Heartbeat { load: 0.0, ready, maxjobs: 5, free_mem_mb: None, free_disk_mb: None }
}

/// A host's XML-RPC client, logged in with its password.
fn host_client(rt: &Runtime, hub: &Hub, name: &str) -> HubClient {
    let mut client = HubClient::new(reqwest::Client::new(), hub.url());
    rt.block_on(client.login(name, "pw")).unwrap();
    client
}

fn connect(rt: &Runtime, hub: &Hub, client: &HubClient, running: Vec<i32>) -> Result<PushConnection, PushError> {
    let Session { id, key } = client.session().unwrap().clone();
    let config = PushConfig {
        url: push::builder_url(&hub.url()),
        session_id: id,
        session_key: key,
        status: status(true),
        running,
        tls: None,
    };
    rt.block_on(push::connect(config))
}

/// The next frame within `SOON`.
fn next(rt: &Runtime, conn: &mut PushConnection) -> FromHub {
    rt.block_on(async { tokio::time::timeout(SOON, conn.recv()).await })
        .expect("a frame from the hub in time")
        .expect("the stream is open")
}

fn expect_offer(rt: &Runtime, conn: &mut PushConnection, task: i64) {
    match next(rt, conn) {
        FromHub::Offer(o) => assert_eq!(o.id as i64, task, "{o:?}"),
        other => panic!("expected Offer({task}), got {other:?}"),
    }
}

fn call(rt: &Runtime, client: &HubClient, method: &str, params: Vec<Value>) -> Value {
    rt.block_on(client.call(method, params)).unwrap_or_else(|e| panic!("{method}: {e}"))
}

fn close(rt: &Runtime, client: &HubClient, task: i64, result: Value) {
    call(rt, client, "host.closeTask", vec![Value::Int(task), Value::String(xmlrpc::encode_response(&result))]);
}

fn host_ready(db: &DbInfo, host: i64) -> bool {
    db.psql(&format!("SELECT ready FROM host WHERE id = {host}")).trim() == "t"
}

/// A WebSocket to the builder endpoint, by hand, that has sent a `Hello` of `version` and nothing else.
async fn raw_hello(hub: &Hub, client: &HubClient, version: u32) -> WebSocketStream<MaybeTlsStream<TcpStream>> {
    let session = client.session().unwrap();
    let mut request = push::builder_url(&hub.url()).into_client_request().unwrap();
    request.headers_mut().insert("Koji-Session-Id", session.id.to_string().parse().unwrap());
    request.headers_mut().insert("Koji-Session-Key", session.key.parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let hello = FromBuilder::Hello { version, heartbeat: status(true), running: vec![] };
    ws.send(Message::Binary(protocol::encode(&hello).into())).await.unwrap();
    ws
}

#[test]
fn a_push_builder_takes_offers_and_is_woken_for_its_parents() {
    let (db, hub) = setup(LIVENESS);
    let rt = runtime();
    let mut admin = Rpc::login(&hub, "kojiadmin", ADMIN_PW);
    let host = add_host(&db, "b1", "x86_64", 4.0, &["default"]);
    let builder = host_client(&rt, &hub, "b1");
    let mut conn = connect(&rt, &hub, &builder, vec![]).unwrap();
    assert_eq!((conn.host_id as i64, conn.heartbeat), (host, Duration::from_secs(1)));
    wait_for("host ready", SOON, || host_ready(&db, host).then_some(()));
    assert_eq!(
        db.psql(&format!("SELECT data->>'maxjobs' FROM scheduler_host_data WHERE host_id = {host}")).trim(),
        "5"
    );

    // A task made afterwards is offered at once; Accept opens it on this host.
    let t = make_task(&mut admin, "sleep", "x86_64", &[]);
    match next(&rt, &mut conn) {
        FromHub::Offer(o) => {
            assert_eq!((o.id as i64, o.method.as_str(), o.arch.as_str(), o.parent), (t, "sleep", "x86_64", None));
            assert!(o.request.contains("<methodName>sleep</methodName>"), "{}", o.request);
        }
        other => panic!("expected an offer, got {other:?}"),
    }
    assert_eq!(task_field(&db, t, "state || ':' || host_id"), format!("4:{host}"));
    conn.sender().accept(t as i32).unwrap();
    assert_eq!(next(&rt, &mut conn), FromHub::Opened { task: t as i32 });
    assert_eq!(task_field(&db, t, "state || ':' || host_id"), format!("1:{host}"));
    assert_eq!(task_field(&db, t, "start_time IS NOT NULL"), "t");
    conn.sender().accept(t as i32).unwrap();
    assert_eq!(next(&rt, &mut conn), FromHub::Opened { task: t as i32 }, "a repeated Accept is harmless");
    close(&rt, &builder, t, Value::from("slept"));
    assert_eq!(task_field(&db, t, "state"), "2");

    // A second Accept of a task no longer ours is answered with Cancel.
    conn.sender().accept(t as i32).unwrap();
    assert_eq!(next(&rt, &mut conn), FromHub::Cancel { task: t as i32 });

    // A waiting parent is woken when its child finishes.
    let p = make_task(&mut admin, "build", "noarch", &[]);
    expect_offer(&rt, &mut conn, p);
    conn.sender().accept(p as i32).unwrap();
    assert_eq!(next(&rt, &mut conn), FromHub::Opened { task: p as i32 });
    let sub = vec![
        "buildArch".into(),
        Value::Array(vec!["x.src.rpm".into()]),
        Value::Int(p),
        kwargs(&[("label", "x86_64".into()), ("arch", "x86_64".into())]),
    ];
    let c = call(&rt, &builder, "host.subtask", sub).as_i64().unwrap();
    call(&rt, &builder, "host.taskSetWait", vec![Value::Int(p), Value::Nil]);
    match next(&rt, &mut conn) {
        FromHub::Offer(o) => assert_eq!((o.id as i64, o.parent.map(i64::from)), (c, Some(p))),
        other => panic!("expected the child's offer, got {other:?}"),
    }
    conn.sender().accept(c as i32).unwrap();
    assert_eq!(next(&rt, &mut conn), FromHub::Opened { task: c as i32 });
    close(&rt, &builder, c, Value::from("rpms"));
    assert_eq!(next(&rt, &mut conn), FromHub::Wake { task: p as i32 });
    let results = call(&rt, &builder, "host.taskWaitResults", vec![Value::Int(p), Value::Array(vec![Value::Int(c)])]);
    assert_eq!(results, Value::Array(vec![Value::Array(vec![Value::Int(c), Value::from("rpms")])]));
    close(&rt, &builder, p, Value::Nil);
    assert_eq!(task_field(&db, p, "state"), "2");
}

#[test]
fn other_versions_silent_builders_and_non_hosts_are_refused() {
    let (db, hub) = setup(LIVENESS);
    let rt = runtime();
    let host = add_host(&db, "b1", "x86_64", 4.0, &["default"]);
    let builder = host_client(&rt, &hub, "b1");

    // A builder of another protocol version gets Error naming both versions, then the stream closes.
    let (frames, host_ready_after) = rt.block_on(async {
        let mut ws = raw_hello(&hub, &builder, 99).await;
        let mut frames = vec![];
        while let Ok(Some(Ok(msg))) = tokio::time::timeout(SOON, ws.next()).await {
            match msg {
                Message::Binary(b) => frames.push(protocol::decode::<FromHub>(&b).unwrap()),
                Message::Close(_) => break,
                _ => {}
            }
        }
        (frames, host_ready(&db, host))
    });
    assert_eq!(
        frames,
        vec![FromHub::Error { message: "builder protocol version 99 is not supported; this hub speaks 2".into() }]
    );
    assert!(!host_ready_after, "a refused builder is never ready");

    // A builder that says Hello and then falls silent, its socket still open, is not ready once it has
    // missed its heartbeats.
    let ws = rt.block_on(raw_hello(&hub, &builder, protocol::PROTOCOL_VERSION));
    wait_for("ready after Hello", SOON, || host_ready(&db, host).then_some(()));
    wait_for("not ready when silent", NOT_READY_WITHIN, || (!host_ready(&db, host)).then_some(()));
    drop(ws);

    // A session that is not a host's, or no valid session at all, is refused the WebSocket with the fault.
    let mut admin = HubClient::new(reqwest::Client::new(), hub.url());
    rt.block_on(admin.login("kojiadmin", ADMIN_PW)).unwrap();
    match connect(&rt, &hub, &admin, vec![]) {
        Err(PushError::Refused { status, body }) => {
            assert_eq!((status, body.as_str()), (403, "1002: No host specified"))
        }
        Err(e) => panic!("expected a 403, got {e}"),
        Ok(_) => panic!("an admin session must not get a builder stream"),
    }
    let forged = HubClient::with_session(
        reqwest::Client::new(),
        hub.url(),
        Session { id: builder.session().unwrap().id, key: "wrong".into() },
    );
    match connect(&rt, &hub, &forged, vec![]) {
        Err(PushError::Refused { status, body }) => {
            assert_eq!((status, body.as_str()), (403, "1002: Invalid session or bad credentials"))
        }
        Err(e) => panic!("expected a 403, got {e}"),
        Ok(_) => panic!("a wrong key must not get a builder stream"),
    }
}

#[test]
fn a_dead_builders_tasks_move_on_and_a_reconnect_is_reconciled() {
    let (db, hub) = setup(LIVENESS);
    let rt = runtime();
    let mut admin = Rpc::login(&hub, "kojiadmin", ADMIN_PW);
    let h1 = add_host(&db, "b1", "x86_64", 8.0, &["default"]);
    let h2 = add_host(&db, "b2", "x86_64", 8.0, &["default"]);
    let (c1, c2) = (host_client(&rt, &hub, "b1"), host_client(&rt, &hub, "b2"));

    // Only b1 is connected: it gets both tasks, opens one and leaves the other ASSIGNED.
    let mut a = connect(&rt, &hub, &c1, vec![]).unwrap();
    wait_for("b1 ready", SOON, || host_ready(&db, h1).then_some(()));
    let open = make_task(&mut admin, "sleep", "x86_64", &[]);
    expect_offer(&rt, &mut a, open);
    let assigned = make_task(&mut admin, "sleep", "x86_64", &[]);
    expect_offer(&rt, &mut a, assigned);
    a.sender().accept(open as i32).unwrap();
    assert_eq!(next(&rt, &mut a), FromHub::Opened { task: open as i32 });
    let mut b = connect(&rt, &hub, &c2, vec![]).unwrap();
    wait_for("b2 ready", SOON, || host_ready(&db, h2).then_some(()));

    // b1 dies: not ready; its ASSIGNED task is freed at once and offered to b2; its OPEN task stays until
    // HostTimeout, then goes to b2 as well.
    drop(a);
    wait_for("b1 not ready", NOT_READY_WITHIN, || (!host_ready(&db, h1)).then_some(()));
    expect_offer(&rt, &mut b, assigned);
    assert_eq!(task_field(&db, assigned, "state || ':' || host_id"), format!("4:{h2}"));
    assert_eq!(task_field(&db, open, "state || ':' || host_id"), format!("1:{h1}"), "OPEN waits for HostTimeout");
    expect_offer(&rt, &mut b, open);
    assert_eq!(task_field(&db, open, "state || ':' || host_id"), format!("4:{h2}"));
    b.sender().accept(open as i32).unwrap();
    assert_eq!(next(&rt, &mut b), FromHub::Opened { task: open as i32 });
    assert_eq!(
        db.psql(&format!(
            "SELECT msg FROM scheduler_log_messages WHERE task_id = {open} AND host_id = {h1} ORDER BY id"
        ))
        .lines()
        .collect::<Vec<_>>(),
        vec!["Assigning task", "Freeing task from unresponsive host"]
    );

    // While b1 is away an admin pins a task on it. b1 comes back still running its old task: it is told
    // that task is no longer its own, and is offered the pinned one.
    let pinned = make_task(&mut admin, "sleep", "s390x", &[]);
    admin.ok("assignTask", vec![Value::Int(pinned), "b1".into(), Value::Bool(false), Value::Bool(true)]);
    let mut a = connect(&rt, &hub, &c1, vec![open as i32]).unwrap();
    assert_eq!(next(&rt, &mut a), FromHub::Cancel { task: open as i32 });
    expect_offer(&rt, &mut a, pinned);
    wait_for("b1 ready again", SOON, || host_ready(&db, h1).then_some(()));

    // A hard refusal sends a task to the other builder, for good.
    let refused = make_task(&mut admin, "sleep", "x86_64", &[]);
    let chosen: i64 = wait_for("placement", SOON, || task_field(&db, refused, "host_id").parse().ok());
    let (first, second, other) = if chosen == h1 { (&mut a, &mut b, h2) } else { (&mut b, &mut a, h1) };
    expect_offer(&rt, first, refused);
    first.sender().refuse(refused as i32, false, "failed host check").unwrap();
    expect_offer(&rt, second, refused);
    assert_eq!(task_field(&db, refused, "state || ':' || host_id"), format!("4:{other}"));
    assert_eq!(
        db.psql(&format!("SELECT soft, by_host, msg FROM scheduler_task_refusals WHERE task_id = {refused}")).trim(),
        "f|t|failed host check"
    );
}
