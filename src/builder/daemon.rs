//! The builder daemon's main loop (Koji's `TaskManager`, push instead of polling): log in as the host, hold
//! the push stream, take offers it has a handler for, run each task as its own runner (a tokio task with its
//! own subsession, work dir and process groups), and report load and readiness in heartbeats.
//!
//! - A lost stream (hub restart, network) is reconnected with backoff; `Hello` lists the running tasks, and
//!   the hub answers `Cancel` for those that are no longer ours. Running tasks carry on meanwhile (their hub
//!   calls retry), and every waiting parent re-checks its children once reconnected, as a `Wake` may have been
//!   lost.
//! - `Cancel` kills the task's process groups (SIGTERM, then SIGKILL) and drops the handler; the hub has
//!   already settled the task, so nothing is reported.
//! - Shutdown (SIGTERM): not ready, no more offers taken, running tasks killed and `host.freeTasks`.
//! - Restart (a `restart` task): not ready, offers ignored (the restarted daemon is offered its pinned tasks
//!   again when it reconnects), running tasks finish; then the session is logged out and [`Exit::Restart`]
//!   tells `main` to re-execute the daemon.

use super::config::KojidConfig;
use super::hub_client::{HubClient, HubError};
use super::push::{self, PushConfig, PushError, PushSender};
use super::restart::DaemonState;
use super::task::{TaskArgs, TaskCtx, TaskError, TaskShared, task_relpath};
use super::tasks::{self, Handler};
use super::tls;
use crate::protocol::{FromHub, Heartbeat, TaskOffer};
use crate::xmlrpc::{self, Value};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::{Notify, mpsc};

/// How long a starting task waits for the hub to give it a session.
const SUBSESSION_PATIENCE: Duration = Duration::from_secs(600);

struct Running {
    weight: f64,
    shared: Arc<TaskShared>,
    cancel: Arc<Notify>,
    done: tokio::task::JoinHandle<()>,
}

pub struct Daemon {
    config: Arc<KojidConfig>,
    http: reqwest::Client,
    /// The connector of `http`, for the push stream.
    tls: native_tls::TlsConnector,
    main: Arc<HubClient>,
    running: HashMap<i32, Running>,
    offered: HashMap<i32, (TaskOffer, Handler)>,
    load_changed: Arc<Notify>,
    finished_tx: mpsc::UnboundedSender<i32>,
    finished_rx: mpsc::UnboundedReceiver<i32>,
    state: Arc<DaemonState>,
}

/// How kojid logs in, chosen as Koji's kojid does: the certificate if `cert` names a file, else the password.
enum Credentials {
    /// `sslLogin` with this certificate (the TLS connector presents it).
    Cert(std::path::PathBuf),
    Password {
        user: String,
        password: String,
    },
}

impl Credentials {
    /// Picks the login; for a certificate login, `server` becomes `https://` (Koji's `ssl_login` forces it)
    /// and a `cert` that is not a file is dropped (Koji then falls back to the password).
    fn of(config: &mut KojidConfig) -> anyhow::Result<Credentials> {
        if let Some(cert) = config.cert.take() {
            if cert.is_file() {
                if let Some(rest) = config.server.strip_prefix("http://") {
                    config.server = format!("https://{rest}");
                }
                config.cert = Some(cert.clone());
                return Ok(Credentials::Cert(cert));
            }
            tracing::warn!(cert = %cert.display(), "cert is not a file; trying user and password");
        }
        match (&config.user, &config.password) {
            (Some(user), Some(password)) => {
                Ok(Credentials::Password { user: user.clone(), password: password.clone() })
            }
            _ => anyhow::bail!(
                "kojid.conf needs cert (a PEM file with the host's certificate and key) or user and password"
            ),
        }
    }

    fn describe(&self) -> String {
        match self {
            Credentials::Cert(cert) => format!("certificate login (cert = {})", cert.display()),
            Credentials::Password { user, .. } => format!("login as {user}"),
        }
    }
}

/// How the daemon's loop ended.
enum Outcome {
    Shutdown,
    Lost,
    Restart,
}

/// Why [`Daemon::run`] returned.
#[derive(Debug, PartialEq, Eq)]
pub enum Exit {
    Shutdown,
    /// A graceful restart: the caller re-executes the daemon ([`super::restart::reexec`]).
    Restart,
}

impl Daemon {
    /// Logs in (certificate or password) and takes the exclusive session, as kojid does at start.
    pub async fn login(mut config: KojidConfig, force_lock: bool) -> anyhow::Result<Daemon> {
        let credentials = Credentials::of(&mut config)?;
        let tls = tls::connector(config.cert.as_deref(), config.serverca.as_deref())?;
        let http = tls::http_client(tls.clone())?;
        let mut main = HubClient::new(http.clone(), &config.server);
        let mut pause = Duration::from_millis(500);
        loop {
            let attempt = match &credentials {
                Credentials::Cert(_) => main.ssl_login().await,
                Credentials::Password { user, password } => main.login(user, password).await,
            };
            match attempt {
                Ok(_) => break,
                Err(e @ (HubError::Transport(_) | HubError::Http { .. })) => {
                    tracing::warn!(error = %e, "hub unreachable; retrying login");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(config.push_reconnect_max);
                }
                Err(e) => anyhow::bail!("{} failed: {e}", credentials.describe()),
            }
        }
        main.call(
            "exclusiveSession",
            vec![xmlrpc::Value::Struct(
                [("force".to_string(), Value::Bool(force_lock)), ("__starstar".to_string(), Value::Bool(true))].into(),
            )],
        )
        .await
        .map_err(|e| anyhow::anyhow!("cannot take the exclusive session (another kojid running? --force-lock): {e}"))?;
        let host_id = main.call("host.getID", vec![]).await?;
        let user = main.call("getLoggedInUser", vec![]).await?;
        let user = user.as_struct().and_then(|u| u.get("name")).and_then(Value::as_str).unwrap_or_default().to_owned();
        tracing::info!(user, host_id = host_id.as_i64(), "logged in");
        expire_stale_buildroots(&main, host_id).await;
        let (finished_tx, finished_rx) = mpsc::unbounded_channel();
        Ok(Daemon {
            config: Arc::new(config),
            http,
            tls,
            main: Arc::new(main),
            running: HashMap::new(),
            offered: HashMap::new(),
            load_changed: Arc::new(Notify::new()),
            finished_tx,
            finished_rx,
            state: Arc::new(DaemonState::default()),
        })
    }

    fn status(&self, draining: bool) -> Heartbeat {
        let load = self.running.values().filter(|r| !r.shared.waiting.load(Ordering::Relaxed)).map(|r| r.weight).sum();
        let free_disk_mb = free_mb(&self.config.mockdir).or_else(|| free_mb(&self.config.workdir));
        let space_ok = free_disk_mb.is_none_or(|mb| mb >= self.config.minspace);
        Heartbeat {
            load,
            ready: !draining
                && !self.state.restart_pending()
                && space_ok
                && (self.running.len() as u32) < self.config.maxjobs,
            maxjobs: self.config.maxjobs,
            free_mem_mb: None,
            free_disk_mb,
        }
    }

    /// Serves the hub until `shutdown` resolves, reconnecting the stream whenever it is lost.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) -> anyhow::Result<Exit> {
        tokio::pin!(shutdown);
        let session = self.main.session().cloned().expect("logged in");
        let mut pause = Duration::from_millis(200);
        loop {
            let config = PushConfig {
                url: push::builder_url(&self.config.server),
                session_id: session.id,
                session_key: session.key.clone(),
                status: self.status(false),
                running: self.running.keys().copied().collect(),
                tls: Some(self.tls.clone()),
            };
            let connected = tokio::select! {
                c = push::connect(config) => c,
                () = &mut shutdown => return self.drain().await.map(|()| Exit::Shutdown),
            };
            match connected {
                Ok(conn) => {
                    tracing::info!(host_id = conn.host_id, "connected to the hub");
                    pause = Duration::from_millis(200);
                    // Offers of the lost stream are void; the hub offers again what is still ours to take.
                    self.offered.clear();
                    self.free_orphans().await;
                    for r in self.running.values() {
                        r.shared.wake.notify_one();
                    }
                    match self.serve(conn, &mut shutdown).await {
                        Outcome::Shutdown => return self.drain().await.map(|()| Exit::Shutdown),
                        Outcome::Restart => return Ok(self.restart().await),
                        Outcome::Lost => tracing::warn!("lost the hub stream; reconnecting"),
                    }
                }
                Err(PushError::Refused { status, body }) if status == 403 || status == 401 => {
                    anyhow::bail!("the hub refused this host's stream: {body}");
                }
                Err(e) => tracing::warn!(error = %e, "cannot connect to the hub"),
            }
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = &mut shutdown => return self.drain().await.map(|()| Exit::Shutdown),
            }
            pause = (pause * 2).min(self.config.push_reconnect_max);
        }
    }

    async fn serve<F: Future<Output = ()> + Unpin>(
        &mut self,
        mut conn: push::PushConnection,
        shutdown: &mut F,
    ) -> Outcome {
        let sender = conn.sender();
        loop {
            tokio::select! {
                frame = conn.recv() => match frame {
                    Some(frame) => self.on_frame(frame, &sender),
                    None => return Outcome::Lost,
                },
                Some(id) = self.finished_rx.recv() => {
                    self.running.remove(&id);
                    sender.set_status(self.status(false));
                    let _ = sender.heartbeat_now();
                    if self.restart_due() {
                        return Outcome::Restart;
                    }
                }
                () = self.load_changed.notified() => sender.set_status(self.status(false)),
                () = self.state.changed.notified() => {
                    tracing::info!(running = ?self.running.keys().collect::<Vec<_>>(), "restart pending; taking no new work");
                    sender.set_status(self.status(false));
                    let _ = sender.heartbeat_now();
                    if self.restart_due() {
                        return Outcome::Restart;
                    }
                }
                () = &mut *shutdown => {
                    sender.set_status(self.status(true));
                    let _ = sender.heartbeat_now();
                    return Outcome::Shutdown;
                }
            }
        }
    }

    fn on_frame(&mut self, frame: FromHub, sender: &PushSender) {
        match frame {
            FromHub::Offer(offer) if self.state.restart_pending() => {
                tracing::info!(task = offer.id, "restart pending; offer ignored");
            }
            FromHub::Offer(offer) => {
                let id = offer.id;
                match tasks::lookup(&offer.method) {
                    None => {
                        let _ = sender.refuse(id, false, format!("no handler for method {}", offer.method));
                    }
                    Some(_) if (self.running.len() + self.offered.len()) as u32 >= self.config.maxjobs => {
                        let _ = sender.refuse(id, true, "at maxjobs");
                    }
                    Some(handler) => {
                        self.offered.insert(id, (offer, handler));
                        let _ = sender.accept(id);
                    }
                }
            }
            FromHub::Opened { task } => {
                if let Some((offer, handler)) = self.offered.remove(&task)
                    && !self.running.contains_key(&task)
                {
                    self.start(offer, handler);
                    sender.set_status(self.status(false));
                }
            }
            FromHub::Cancel { task } => {
                self.offered.remove(&task);
                if let Some(r) = self.running.get(&task) {
                    tracing::info!(task, "canceled by the hub");
                    r.cancel.notify_one();
                }
            }
            FromHub::Wake { task } => {
                if let Some(r) = self.running.get(&task) {
                    r.shared.wake.notify_one();
                }
            }
            FromHub::Error { message } => tracing::warn!(message, "hub error"),
            FromHub::Welcome { .. } => {}
        }
    }

    /// Koji's `updateTasks` on (re)connect: tasks OPEN on the hub for this host that no runner here runs
    /// (opened just before a crash, or the `Opened` was lost with the stream) are freed for a new run.
    async fn free_orphans(&self) {
        let open = match self.main.call("host.getHostTasks", vec![]).await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "host.getHostTasks failed");
                return;
            }
        };
        let orphans: Vec<Value> = open
            .as_array()
            .unwrap_or_default()
            .iter()
            .filter_map(|t| t.as_struct()?.get("id")?.as_i64())
            .filter(|id| !self.running.contains_key(&(*id as i32)))
            .map(Value::Int)
            .collect();
        if !orphans.is_empty() {
            tracing::info!(tasks = ?orphans, "freeing tasks open on the hub but not running here");
            if let Err(e) = self.main.call("host.freeTasks", vec![Value::Array(orphans)]).await {
                tracing::warn!(error = %e, "host.freeTasks failed");
            }
        }
    }

    fn start(&mut self, offer: TaskOffer, handler: Handler) {
        let shared = Arc::new(TaskShared { load_changed: self.load_changed.clone(), ..Default::default() });
        let cancel = Arc::new(Notify::new());
        let runner = Runner {
            offer,
            handler,
            config: self.config.clone(),
            http: self.http.clone(),
            main: self.main.clone(),
            shared: shared.clone(),
            cancel: cancel.clone(),
            daemon: self.state.clone(),
        };
        let id = runner.offer.id;
        let finished = self.finished_tx.clone();
        let done = tokio::spawn(async move {
            runner.run().await;
            let _ = finished.send(id);
        });
        self.running.insert(id, Running { weight: handler.weight, shared, cancel, done });
    }

    /// A pending restart goes ahead once no task runs.
    fn restart_due(&self) -> bool {
        self.state.restart_pending() && self.running.is_empty() && self.offered.is_empty()
    }

    /// Ends this run for a re-exec: not ready, and the exclusive session logged out so the new process can
    /// take it.
    async fn restart(self) -> Exit {
        tracing::info!("restarting");
        let _ = self.main.call("host.updateHost", vec![Value::Double(0.0), Value::Bool(false)]).await;
        if let Err(e) = self.main.call("logout", vec![]).await {
            tracing::warn!(error = %e, "logout failed");
        }
        Exit::Restart
    }

    /// Kills every running task and gives them back to the hub.
    async fn drain(mut self) -> anyhow::Result<()> {
        let ids: Vec<i32> = self.running.keys().copied().collect();
        tracing::info!(?ids, "shutting down");
        for r in self.running.values() {
            r.cancel.notify_one();
        }
        for (_, r) in self.running.drain() {
            let _ = r.done.await;
        }
        if !ids.is_empty() {
            let list = Value::Array(ids.iter().map(|t| Value::Int((*t).into())).collect());
            if let Err(e) = self.main.call("host.freeTasks", vec![list]).await {
                tracing::warn!(error = %e, "host.freeTasks failed");
            }
        }
        let _ = self.main.call("host.updateHost", vec![Value::Double(0.0), Value::Bool(false)]).await;
        Ok(())
    }
}

/// Koji's `updateBuildroots` at start: buildroots of this host that are not expired belong to tasks of an
/// earlier run (a crash, SIGKILL); none of them runs now, so they are expired.
async fn expire_stale_buildroots(main: &HubClient, host_id: Value) {
    let query = vec![Value::Struct(
        [
            ("hostID".to_string(), host_id),
            ("state".to_string(), Value::Array(vec![Value::Int(0), Value::Int(1), Value::Int(2)])),
            ("__starstar".to_string(), Value::Bool(true)),
        ]
        .into(),
    )];
    let stale = match main.call("listBuildroots", query).await {
        Ok(v) => v.as_array().unwrap_or_default().to_vec(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot list this host's buildroots");
            return;
        }
    };
    for br in stale {
        let Some(id) = br.as_struct().and_then(|s| s.get("id")).cloned() else { continue };
        match main.call("host.setBuildRootState", vec![id.clone(), "EXPIRED".into()]).await {
            Ok(_) => tracing::info!(buildroot = id.as_i64(), "expired a buildroot of an earlier run"),
            Err(e) => tracing::warn!(buildroot = id.as_i64(), error = %e, "cannot expire buildroot"),
        }
    }
}

/// Free MB of the filesystem holding `path`, if it exists.
fn free_mb(path: &std::path::Path) -> Option<u64> {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).ok()?;
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid C string and `st` a writable statvfs.
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    Some(st.f_bavail as u64 * st.f_frsize as u64 / (1 << 20))
}

/// One running task (Koji's forked task process): its subsession, work dir, handler, and the report.
struct Runner {
    offer: TaskOffer,
    handler: Handler,
    config: Arc<KojidConfig>,
    http: reqwest::Client,
    main: Arc<HubClient>,
    shared: Arc<TaskShared>,
    cancel: Arc<Notify>,
    daemon: Arc<DaemonState>,
}

impl Runner {
    /// The task's own session, riding out a hub restart like its other calls.
    async fn subsession(&self) -> Result<HubClient, HubError> {
        let mut pause = Duration::from_millis(250);
        let start = std::time::Instant::now();
        loop {
            match self.main.subsession().await {
                Err(HubError::Transport(_) | HubError::Http { .. }) if start.elapsed() < SUBSESSION_PATIENCE => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(5));
                }
                other => return other,
            }
        }
    }

    async fn run(self) {
        let id = self.offer.id;
        let workdir = self.config.workdir.join(task_relpath(id));
        let sub = match self.subsession().await {
            Ok(s) => Arc::new(s),
            Err(e) => {
                tracing::error!(task = id, error = %e, "no subsession; freeing the task");
                let _ = self.main.call("host.freeTasks", vec![Value::Array(vec![Value::Int(id.into())])]).await;
                return;
            }
        };
        let ctx = Arc::new(TaskCtx {
            id,
            method: self.offer.method.clone(),
            parent: self.offer.parent,
            hub: sub.clone(),
            config: self.config.clone(),
            http: self.http.clone(),
            workdir: workdir.clone(),
            shared: self.shared.clone(),
            daemon: self.daemon.clone(),
        });
        let _ = std::fs::remove_dir_all(&workdir);
        let outcome = match std::fs::create_dir_all(&workdir) {
            Err(e) => Some(Err(TaskError::generic(format!("cannot make {}: {e}", workdir.display())))),
            Ok(()) => {
                tracing::info!(task = id, method = %self.offer.method, "running");
                let work = async {
                    let _ = ctx
                        .call("host.setTaskWeight", vec![Value::Int(id.into()), Value::Double(self.handler.weight)])
                        .await;
                    let args = TaskArgs::from_request(&self.offer.request)?;
                    (self.handler.run)(ctx.clone(), args).await
                };
                tokio::select! {
                    r = work => Some(r),
                    () = self.cancel.notified() => None,
                }
            }
        };
        match outcome {
            None => {
                ctx.shared.procs.kill_all(self.config.kill_grace).await;
                tracing::info!(task = id, "killed");
            }
            Some(result) => {
                // Whatever a failed handler left running goes too.
                ctx.shared.procs.kill_all(self.config.kill_grace).await;
                report(&ctx, result).await;
            }
        }
        let _ = std::fs::remove_dir_all(&workdir);
        if let Some(s) = sub.session() {
            let _ = self.main.call("logoutChild", vec![Value::Int(s.id)]).await;
        }
    }
}

/// `closeTask` with the result as an XML-RPC response document, `failTask` with a fault document, or
/// `refuseTask`.
async fn report(ctx: &TaskCtx, result: Result<Value, TaskError>) {
    let id = Value::Int(ctx.id.into());
    let call = match result {
        Ok(v) => {
            tracing::info!(task = ctx.id, "closed");
            ctx.call("host.closeTask", vec![id, Value::String(xmlrpc::encode_response(&v))]).await
        }
        Err(TaskError::Fault { code, message }) => {
            tracing::info!(task = ctx.id, code, %message, "failed");
            ctx.call("host.failTask", vec![id, Value::String(xmlrpc::encode_fault(code, &message))]).await
        }
        Err(TaskError::ServerRestart) => {
            tracing::info!(task = ctx.id, "freed for the pending restart");
            ctx.call("host.freeTasks", vec![Value::Array(vec![id])]).await
        }
        Err(TaskError::Refuse(msg)) => {
            tracing::info!(task = ctx.id, %msg, "refused");
            ctx.call("host.refuseTask", vec![id, Value::Bool(false), Value::String(msg)]).await
        }
    };
    if let Err(e) = call {
        tracing::error!(task = ctx.id, error = %e, "cannot report the task's end");
    }
}
