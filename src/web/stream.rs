//! Live pages without polling: server-sent events fed by the hub's live feed (`crate::live`), which carries the
//! task changes and output growth that the hub learns after commit.
//!
//! `/koji/events?taskID=N` follows one task: `state` events when it or a task below it changes, and `log` events
//! with the new bytes of its `.log` files (read through `downloadTaskOutput`, from where the watcher left off).
//! `/koji/events` alone announces every task change, for the lists of running tasks. `/koji/live` is the raw
//! feed a remote `koji-web` follows.

use super::WebState;
use super::api::kw;
use super::session::Visit;
use crate::live::LiveEvent;
use crate::xmlrpc::Value;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use base64::Engine;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::{broadcast::error::RecvError, mpsc};

/// How much of a log a new watcher gets before the live bytes.
const TAIL_BYTES: i64 = 32 * 1024;
/// A comment line this often keeps proxies from closing a quiet stream and finds departed watchers.
const KEEPALIVE: Duration = Duration::from_secs(15);

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/events", web::get().to(events)).route("/live", web::get().to(live_feed));
}

/// A streaming response fed by a local producer; the producer stops when the client is gone.
fn streaming(content_type: &str) -> (HttpResponse, mpsc::Sender<Bytes>) {
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let body =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (Ok::<_, Infallible>(b), rx)) });
    let response = HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // Left alone by the compression middleware, which would hold events back to fill its buffers.
        .insert_header((header::CONTENT_ENCODING, "identity"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body);
    (response, tx)
}

fn sse(event: &str, data: &serde_json::Value) -> Bytes {
    Bytes::from(format!("event: {event}\ndata: {data}\n\n"))
}

async fn live_feed(state: web::Data<WebState>) -> HttpResponse {
    let mut events = state.api.live().subscribe();
    let (response, tx) = streaming("text/plain; charset=utf-8");
    actix_rt::spawn(async move {
        loop {
            let line = match tokio::time::timeout(KEEPALIVE, events.recv()).await {
                Ok(Ok(e)) => e.to_line() + "\n",
                Ok(Err(RecvError::Lagged(_))) | Err(_) => "\n".to_owned(),
                Ok(Err(RecvError::Closed)) => return,
            };
            if tx.send(Bytes::from(line)).await.is_err() {
                return;
            }
        }
    });
    response
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct EventsArgs {
    taskID: Option<i32>,
}

async fn events(req: HttpRequest, state: web::Data<WebState>, q: web::Query<EventsArgs>) -> HttpResponse {
    let visit = Visit::start(&req, &state).await;
    let mut events = state.api.live().subscribe();
    let (response, tx) = streaming("text/event-stream");
    let task = q.taskID;
    actix_rt::spawn(async move {
        let mut watch = match task {
            Some(id) => Some(TaskWatch::start(&visit, id).await),
            None => None,
        };
        if let Some(w) = &mut watch {
            for b in w.catch_up(&visit).await {
                if tx.send(b).await.is_err() {
                    return;
                }
            }
        }
        loop {
            let out = match tokio::time::timeout(KEEPALIVE, events.recv()).await {
                Err(_) => vec![Bytes::from_static(b": keepalive\n\n")],
                Ok(Err(RecvError::Closed)) => return,
                Ok(Err(RecvError::Lagged(_))) => match &mut watch {
                    Some(w) => w.catch_up(&visit).await,
                    None => vec![sse("task", &serde_json::json!(null))],
                },
                Ok(Ok(e)) => match &mut watch {
                    Some(w) => w.on_event(&visit, e).await,
                    None => match e {
                        LiveEvent::Task(id) => vec![sse("task", &serde_json::json!(id))],
                        LiveEvent::Output(_) => vec![],
                    },
                },
            };
            for b in out {
                if tx.send(b).await.is_err() {
                    return;
                }
            }
        }
    });
    response
}

/// One watcher of one task: the tasks below it, and how far into each log it has been sent.
struct TaskWatch {
    id: i32,
    family: HashSet<i32>,
    sent: HashMap<String, i64>,
}

impl TaskWatch {
    async fn start(visit: &Visit, id: i32) -> TaskWatch {
        let mut family = HashSet::from([id]);
        if let Ok(Value::Struct(tree)) = visit.call("getTaskDescendents", vec![id.into()]).await {
            for children in tree.values().filter_map(Value::as_array) {
                for c in children.iter().filter_map(|c| c.as_struct()?.get("id")?.as_i64()) {
                    family.insert(c as i32);
                }
            }
        }
        TaskWatch { id, family, sent: HashMap::new() }
    }

    /// The task's state, then whatever the logs gained since they were last sent.
    async fn catch_up(&mut self, visit: &Visit) -> Vec<Bytes> {
        let mut out = self.state(visit, self.id).await;
        out.extend(self.logs(visit).await);
        out
    }

    async fn on_event(&mut self, visit: &Visit, event: LiveEvent) -> Vec<Bytes> {
        match event {
            LiveEvent::Output(id) if id == self.id => self.logs(visit).await,
            LiveEvent::Task(id) if self.family.contains(&id) => self.state(visit, id).await,
            // Task ids come from a serial and a parent exists before its children, so only a newer task can be a
            // new subtask of ours; older ones are not worth a hub call.
            LiveEvent::Task(id) if id > self.id => {
                // A new subtask of ours announces itself by its parent.
                let info = visit.call("getTaskInfo", vec![id.into()]).await.ok();
                let parent = info.as_ref().and_then(|i| i.as_struct()?.get("parent")?.as_i64());
                if parent.is_some_and(|p| self.family.contains(&(p as i32))) {
                    self.family.insert(id);
                    self.state(visit, id).await
                } else {
                    vec![]
                }
            }
            LiveEvent::Task(_) | LiveEvent::Output(_) => vec![],
        }
    }

    async fn state(&self, visit: &Visit, id: i32) -> Vec<Bytes> {
        let Ok(info) = visit.call("getTaskInfo", vec![id.into()]).await else { return vec![] };
        let state = info.as_struct().and_then(|s| s.get("state")?.as_i64());
        let name = state.and_then(|s| super::render::TASK_STATES.get(s as usize)).copied().unwrap_or("unknown");
        vec![sse("state", &serde_json::json!({ "id": id, "state": name }))]
    }

    async fn logs(&mut self, visit: &Visit) -> Vec<Bytes> {
        let listing = visit.call("listTaskOutput", vec![self.id.into(), kw([("stat", Value::Bool(true))])]).await;
        let Ok(Value::Struct(files)) = listing else { return vec![] };
        let mut out = vec![];
        for (name, stat) in files.iter().filter(|(n, _)| n.ends_with(".log")) {
            let size = stat.as_struct().and_then(|s| s.get("st_size")?.as_str()?.parse::<i64>().ok()).unwrap_or(0);
            let from = *self.sent.get(name).unwrap_or(&(size - TAIL_BYTES).max(0));
            if size <= from {
                continue;
            }
            let args = vec![self.id.into(), name.as_str().into(), Value::from(from), Value::from(size - from)];
            let Ok(Value::String(b64)) = visit.call("downloadTaskOutput", args).await else { continue };
            let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64.as_bytes()) else { continue };
            self.sent.insert(name.clone(), from + bytes.len() as i64);
            let text = String::from_utf8_lossy(&bytes);
            out.push(sse("log", &serde_json::json!({ "name": name, "offset": from, "text": text })));
        }
        out
    }
}
