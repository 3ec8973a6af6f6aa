//! Simulated builders, many per process: each is a few tokio tasks and a small state.
//!
//! Both modes run the same task handlers: a leaf (`buildArch`) sleeps for its duration and closes; a parent
//! (`build`) makes its labelled children with `host.subtask`, `taskSetWait`s, loops on `taskWait` until none is
//! unfinished, sleeping until woken, then `taskWaitResults` and closes. They differ in how work and wakes
//! arrive:
//! - *push*: the stream's `Offer` → `Accept` → `Opened` starts a task; `Wake` wakes a parent;
//! - *poll*: Koji's kojid loop, every `sleeptime` unless it just took a task: `host.getHostTasks` (an `alert`
//!   wakes a parent), `host.updateHost(load, ready, {maxjobs})`, and if ready `host.getTasks` and `openTask`
//!   of the first one.
//!
//! Capacity: a builder never runs more than `maxjobs` tasks; it reports its maxjobs and load (push: in
//! heartbeats; poll: in `updateHost`, with Koji's ready rule) and refuses (softly) an offer beyond maxjobs.

use super::db::SimHost;
use koji_rs::builder::hub_client::HubClient;
use koji_rs::builder::push::{self, PushConfig, PushSender};
use koji_rs::protocol::{FromHub, Heartbeat};
use koji_rs::xmlrpc::{self, Struct, Value};
use rand::Rng;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::sync::{Notify, Semaphore};

/// A parent that was not woken within this time asks again (a lost wake must not hang the run).
const WAKE_FALLBACK: Duration = Duration::from_secs(60);

pub struct Fleet {
    pub http: reqwest::Client,
    pub hub_url: String,
    pub maxjobs: u32,
    pub children: usize,
    pub arches: Vec<String>,
    pub duration_ms: (u64, u64),
    pub sleeptime: Duration,
    /// Bounds the XML-RPC calls in flight (and so the HTTP connections to the hub).
    pub rpc_slots: Semaphore,
    /// Bounds the WebSocket handshakes in flight while the fleet connects.
    pub connect_slots: Semaphore,
    /// Every wake each parent received: `(parent, when)`.
    pub wakes: Mutex<Vec<(i32, SystemTime)>>,
    pub parents_done: Mutex<Vec<i32>>,
    pub errors: AtomicU64,
    pub refused_busy: AtomicU64,
    /// The most tasks any one builder ran at once.
    pub max_running: AtomicU64,
    pub connected: AtomicU64,
    /// The heartbeat interval the hub asked for in `Welcome`.
    pub heartbeat_secs: AtomicU64,
    /// Set at the end of a run: polling builders leave their loops (see [`shutdown_polling`]).
    pub stopping: AtomicBool,
    pub polling: Mutex<Vec<Arc<Builder>>>,
}

/// Ends the polling builders as kojid's shutdown does: out of the loop, then `updateHost(0, ready=False)`,
/// so the next run on the same hub does not find them ready (a silent polling host stays ready for
/// `ReadyTimeout`, and would be given work it never takes).
pub async fn shutdown_polling(fleet: &Arc<Fleet>) {
    fleet.stopping.store(true, Ordering::Relaxed);
    // Loops in the middle of an iteration finish it first.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let builders = std::mem::take(&mut *fleet.polling.lock().unwrap());
    let calls = builders.into_iter().map(|b| {
        let fleet = fleet.clone();
        tokio::spawn(async move {
            fleet.call(&b.client, "host.updateHost", vec![Value::Double(0.0), Value::Bool(false)]).await;
        })
    });
    for call in calls.collect::<Vec<_>>() {
        let _ = call.await;
    }
}

impl Fleet {
    fn error(&self, what: &str, e: impl std::fmt::Display) {
        if self.errors.fetch_add(1, Ordering::Relaxed) < 20 {
            eprintln!("koji-sim: {what}: {e}");
        }
    }

    async fn call(&self, client: &HubClient, method: &str, params: Vec<Value>) -> Option<Value> {
        let _slot = self.rpc_slots.acquire().await.expect("never closed");
        match client.call(method, params).await {
            Ok(v) => Some(v),
            Err(e) => {
                self.error(method, e);
                None
            }
        }
    }
}

/// One simulated builder's state, shared by its loop and its running tasks.
pub struct Builder {
    client: HubClient,
    push: Option<PushSender>,
    /// Running tasks: weight, and whether the task is a waiting parent (its weight does not count).
    running: Mutex<HashMap<i32, (f64, bool)>>,
    waiters: Mutex<HashMap<i32, Arc<Notify>>>,
}

impl Builder {
    fn load(&self) -> (f64, usize) {
        let running = self.running.lock().unwrap();
        (running.values().filter(|(_, waiting)| !waiting).map(|(w, _)| w).sum(), running.len())
    }

    /// Reports the new load in the next heartbeat (push; a polling builder reports it in `updateHost`).
    fn publish(&self) {
        if let Some(p) = &self.push {
            let (load, _) = self.load();
            p.update_status(|hb| hb.load = load);
        }
    }

    fn set_waiting(&self, task: i32, waiting: bool) {
        if let Some(t) = self.running.lock().unwrap().get_mut(&task) {
            t.1 = waiting;
        }
        self.publish();
    }

    fn wake(&self, fleet: &Fleet, task: i32) {
        fleet.wakes.lock().unwrap().push((task, SystemTime::now()));
        if let Some(n) = self.waiters.lock().unwrap().get(&task) {
            n.notify_one();
        }
    }

    /// Starts a task if there is room; false at maxjobs.
    fn start(self: &Arc<Self>, fleet: &Arc<Fleet>, id: i32, method: String, weight: f64) -> bool {
        {
            let mut running = self.running.lock().unwrap();
            if running.len() >= fleet.maxjobs as usize || running.contains_key(&id) {
                return false;
            }
            running.insert(id, (weight, false));
            fleet.max_running.fetch_max(running.len() as u64, Ordering::Relaxed);
        }
        self.publish();
        let (me, fleet) = (self.clone(), fleet.clone());
        tokio::spawn(async move {
            if method == "build" {
                me.run_parent(&fleet, id).await;
            } else {
                me.run_leaf(&fleet, id).await;
            }
            me.running.lock().unwrap().remove(&id);
            me.publish();
        });
        true
    }

    async fn close(&self, fleet: &Fleet, id: i32, result: Value) {
        let doc = Value::String(xmlrpc::encode_response(&result));
        fleet.call(&self.client, "host.closeTask", vec![Value::Int(id.into()), doc]).await;
    }

    async fn run_leaf(&self, fleet: &Fleet, id: i32) {
        let (lo, hi) = fleet.duration_ms;
        let ms = if hi > lo { rand::rng().random_range(lo..=hi) } else { lo };
        tokio::time::sleep(Duration::from_millis(ms)).await;
        self.close(fleet, id, Value::from("built")).await;
    }

    async fn run_parent(&self, fleet: &Fleet, id: i32) {
        let notify = Arc::new(Notify::new());
        self.waiters.lock().unwrap().insert(id, notify.clone());
        for i in 0..fleet.children {
            let arch = &fleet.arches[i % fleet.arches.len()];
            let opts: Struct = [
                ("label".to_string(), Value::from(format!("{arch}-{i}"))),
                ("arch".to_string(), Value::from(arch.as_str())),
                ("__starstar".to_string(), Value::Bool(true)),
            ]
            .into_iter()
            .collect();
            let args = vec![
                "buildArch".into(),
                Value::Array(vec![Value::from(format!("pkg-{id}.src.rpm")), Value::from(arch.as_str())]),
                Value::Int(id.into()),
                Value::Struct(opts),
            ];
            if fleet.call(&self.client, "host.subtask", args).await.is_none() {
                return;
            }
        }
        fleet.call(&self.client, "host.taskSetWait", vec![Value::Int(id.into()), Value::Nil]).await;
        self.set_waiting(id, true);
        loop {
            let Some(answer) = fleet.call(&self.client, "host.taskWait", vec![Value::Int(id.into())]).await else {
                return;
            };
            let unfinished =
                answer.as_array().and_then(|a| a.get(1)).and_then(Value::as_array).map_or(0, <[Value]>::len);
            if unfinished == 0 {
                break;
            }
            let _ = tokio::time::timeout(WAKE_FALLBACK, notify.notified()).await;
        }
        self.set_waiting(id, false);
        self.waiters.lock().unwrap().remove(&id);
        fleet.call(&self.client, "host.taskWaitResults", vec![Value::Int(id.into()), Value::Nil]).await;
        self.close(fleet, id, Value::Nil).await;
        fleet.parents_done.lock().unwrap().push(id);
    }
}

fn builder(fleet: &Fleet, host: &SimHost, push: Option<PushSender>) -> Arc<Builder> {
    Arc::new(Builder {
        client: HubClient::with_session(fleet.http.clone(), fleet.hub_url.clone(), host.session.clone()),
        push,
        running: Mutex::new(HashMap::new()),
        waiters: Mutex::new(HashMap::new()),
    })
}

/// A push builder: connects (retrying while the hub is busy), then serves its stream until it closes.
pub async fn run_push(fleet: Arc<Fleet>, host: SimHost) {
    let status = Heartbeat { load: 0.0, ready: true, maxjobs: fleet.maxjobs, free_mem_mb: None, free_disk_mb: None };
    let mut conn = None;
    for attempt in 0..10 {
        let slot = fleet.connect_slots.acquire().await.expect("never closed");
        let config = PushConfig {
            url: push::builder_url(&fleet.hub_url),
            session_id: host.session.id,
            session_key: host.session.key.clone(),
            status: status.clone(),
            running: vec![],
            tls: None,
        };
        let result = push::connect(config).await;
        drop(slot);
        match result {
            Ok(c) => {
                conn = Some(c);
                break;
            }
            Err(e) if attempt == 9 => fleet.error("connect", e),
            Err(_) => tokio::time::sleep(Duration::from_millis(200 << attempt.min(4))).await,
        }
    }
    let Some(mut conn) = conn else { return };
    fleet.connected.fetch_add(1, Ordering::Relaxed);
    fleet.heartbeat_secs.store(conn.heartbeat.as_secs(), Ordering::Relaxed);
    let me = builder(&fleet, &host, Some(conn.sender()));
    let sender = conn.sender();
    let mut offers: HashMap<i32, (String, f64)> = HashMap::new();
    while let Some(frame) = conn.recv().await {
        match frame {
            FromHub::Offer(o) => {
                if me.load().1 < fleet.maxjobs as usize {
                    offers.insert(o.id, (o.method, o.weight));
                    let _ = sender.accept(o.id);
                } else {
                    fleet.refused_busy.fetch_add(1, Ordering::Relaxed);
                    let _ = sender.refuse(o.id, true, "at maxjobs");
                }
            }
            FromHub::Opened { task } => {
                if let Some((method, weight)) = offers.remove(&task)
                    && !me.start(&fleet, task, method, weight)
                {
                    fleet.refused_busy.fetch_add(1, Ordering::Relaxed);
                    let _ = sender.send(koji_rs::protocol::FromBuilder::Refuse {
                        task,
                        soft: true,
                        reason: "at maxjobs".into(),
                    });
                }
            }
            FromHub::Cancel { task } => {
                offers.remove(&task);
            }
            FromHub::Wake { task } => me.wake(&fleet, task),
            FromHub::Error { message } => fleet.error("hub", message),
            FromHub::Welcome { .. } => {}
        }
    }
    fleet.connected.fetch_sub(1, Ordering::Relaxed);
}

/// A polling builder, as kojid's main loop, until the process ends; `offset` staggers the fleet's loops over
/// one sleeptime.
pub async fn run_poll(fleet: Arc<Fleet>, host: SimHost, offset: Duration) {
    tokio::time::sleep(offset).await;
    let me = builder(&fleet, &host, None);
    fleet.polling.lock().unwrap().push(me.clone());
    fleet.connected.fetch_add(1, Ordering::Relaxed);
    let data: Struct = [("maxjobs".to_string(), Value::Int(fleet.maxjobs.into()))].into_iter().collect();
    while !fleet.stopping.load(Ordering::Relaxed) {
        // updateTasks: alerts wake waiting parents.
        if let Some(open) = fleet.call(&me.client, "host.getHostTasks", vec![]).await {
            for t in open.as_array().into_iter().flatten().filter_map(Value::as_struct) {
                if t.get("alert").is_some_and(Value::truthy)
                    && let Some(id) = t.get("id").and_then(Value::as_i64)
                {
                    me.wake(&fleet, id as i32);
                }
            }
        }
        // getNextTask: kojid's ready rule is maxjobs (and load ≤ capacity, which maxjobs bounds here).
        let (load, n) = me.load();
        let ready = n < fleet.maxjobs as usize;
        let update = vec![Value::Double(load), Value::Bool(ready), Value::Struct(data.clone())];
        fleet.call(&me.client, "host.updateHost", update).await;
        let mut taken = false;
        if ready && let Some(tasks) = fleet.call(&me.client, "host.getTasks", vec![]).await {
            for t in tasks.as_array().into_iter().flatten().filter_map(Value::as_struct) {
                let Some(id) = t.get("id").and_then(Value::as_i64).map(|i| i as i32) else { continue };
                let method = t.get("method").and_then(Value::as_str).unwrap_or_default().to_owned();
                let Some(opened) = fleet.call(&me.client, "host.openTask", vec![Value::Int(id.into())]).await else {
                    continue;
                };
                let Some(info) = opened.as_struct() else { continue };
                let weight = match info.get("weight") {
                    Some(Value::Double(w)) => *w,
                    _ => 1.0,
                };
                taken = me.start(&fleet, id, method, weight);
                break;
            }
        }
        if !taken {
            tokio::time::sleep(fleet.sleeptime).await;
        }
    }
}
