//! XML-RPC: the HTTP endpoint (`http`), the method table (`registry`), and the methods by namespace
//! (`root` for Koji's RootExports, `auth` for login/logout). Handlers are thin: bound arguments come in typed,
//! a domain function does the work, the result goes out through serde.

pub mod args;
pub mod auth;
pub mod host;
pub mod host_build;
pub mod host_repos;
pub mod http;
pub mod local;
pub mod registry;
pub mod repo;
pub mod root;

use crate::actors::host_registry::HostRegistry;
use crate::actors::repo_manager::RepoManager;
use crate::actors::session_registry::{AuthSession, SessionAuth, SessionRegistry};
use crate::actors::supervisor::Slot;
use crate::actors::task_scheduler::TaskScheduler;
use crate::config::HubConfig;
use crate::db::{self, Pool};
use crate::fault::{KojiError, KojiResult};
use crate::xmlrpc::{self, Value};
use registry::Registry;
use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

/// Koji's hub version as the client expects it: numeric and dotted (the CLI parses it), at least 1.35.
pub const KOJI_VERSION: &str = "1.36.1";
pub const API_VERSION: i64 = 1;

/// Everything a call may need, shared by all workers.
pub struct Hub {
    pub config: HubConfig,
    pub pool: Pool,
    pub sessions: Slot<SessionRegistry>,
    pub scheduler: Slot<TaskScheduler>,
    pub hosts: Slot<HostRegistry>,
    pub repos: Slot<RepoManager>,
    pub registry: Registry,
    pub user_name_re: regex::Regex,
    /// `RegexNameInternal`, anchored at the start as Python's `re.match`; None when the setting is empty.
    pub name_internal_re: Option<regex::Regex>,
    /// Task changes and output growth, for the web UI's live streams.
    pub live: crate::live::LiveFeed,
}

impl Hub {
    /// Koji's `verify_name_internal`, for the names of tags, targets and other hub objects.
    pub fn verify_name_internal(&self, name: &str) -> KojiResult<()> {
        let max = self.config.max_name_length_internal;
        if max != 0 && name.chars().count() > max {
            return Err(KojiError::generic(format!("Name {name} is too long. Max length is {max} characters")));
        }
        if self.name_internal_re.as_ref().is_some_and(|re| !re.is_match(name)) {
            return Err(KojiError::generic(format!("Name {name} does not match RegexNameInternal value")));
        }
        Ok(())
    }
}

/// The client certificate presented on the TLS connection, already verified against `TLSClientCAFile`.
#[derive(Debug, Clone)]
pub struct PeerCert {
    /// `(short name, value)` in certificate order, e.g. `[("O", "Koji"), ("CN", "kojiweb")]`.
    pub components: Vec<(String, String)>,
}

impl PeerCert {
    pub fn component(&self, name: &str) -> Option<&str> {
        self.components.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The DN as mod_ssl's legacy form (`/O=Koji/CN=kojiweb`) and as RFC 2253 (`CN=kojiweb,O=Koji`): `ProxyDNs`
    /// entries written for either form match.
    pub fn dn_forms(&self) -> [String; 2] {
        let legacy: String = self.components.iter().map(|(k, v)| format!("/{k}={v}")).collect();
        let rfc: Vec<String> = self.components.iter().rev().map(|(k, v)| format!("{k}={v}")).collect();
        [legacy, rfc.join(",")]
    }
}

/// What one HTTP request carries into its calls (a multicall shares it).
pub struct RequestState {
    pub auth: Option<SessionAuth>,
    pub callnum: Option<i32>,
    pub peer_ip: String,
    /// The address recorded with sessions: the peer IP under `CheckClientIP`, else `-`, as Koji does.
    pub hostip: String,
    pub cert: Option<PeerCert>,
    wrote: Cell<bool>,
    in_multicall: Cell<bool>,
}

impl RequestState {
    pub fn new(
        auth: Option<SessionAuth>,
        callnum: Option<i32>,
        peer_ip: String,
        hostip: String,
        cert: Option<PeerCert>,
    ) -> Self {
        RequestState { auth, callnum, peer_ip, hostip, cert, wrote: Cell::new(false), in_multicall: Cell::new(false) }
    }

    pub fn wrote(&self) -> bool {
        self.wrote.get()
    }
}

#[derive(Clone)]
pub struct CallCtx {
    pub hub: Arc<Hub>,
    pub req: Rc<RequestState>,
}

impl CallCtx {
    pub fn session(&self) -> Option<&AuthSession> {
        match &self.req.auth {
            Some(SessionAuth::LoggedIn(s)) => Some(s),
            _ => None,
        }
    }

    pub fn require_login(&self) -> KojiResult<&AuthSession> {
        self.session().ok_or_else(|| KojiError::not_allowed("you must be logged in for this operation"))
    }

    pub async fn db(&self) -> KojiResult<deadpool_postgres::Object> {
        Ok(self.hub.pool.get().await?)
    }

    /// Marks that this request committed a change, so its callnum becomes the session's last one.
    pub fn committed(&self) {
        self.req.wrote.set(true);
    }

    /// Whether the logged-in user holds `perm` itself (directly or through a group); admin does not imply it,
    /// matching Koji's `hasPerm`.
    pub async fn has_perm(&self, perm: &str) -> KojiResult<bool> {
        let Some(s) = self.session() else { return Ok(false) };
        Ok(db::perms::effective(&self.db().await?, s.user_id).await?.iter().any(|p| p == perm))
    }

    /// Koji's `assertPerm`: the permission itself or admin.
    pub async fn assert_perm(&self, perm: &str) -> KojiResult<&AuthSession> {
        let s = self.require_login()?;
        let perms = db::perms::effective(&self.db().await?, s.user_id).await?;
        if perms.iter().any(|p| p == perm || p == "admin") {
            Ok(s)
        } else {
            Err(KojiError::not_allowed(format!("{perm} permission required")))
        }
    }
}

/// Runs one call: lookup, argument binding, the handler; records metrics.
pub async fn call(ctx: &CallCtx, method: &str, params: Vec<Value>) -> KojiResult<Value> {
    let started = Instant::now();
    let found = ctx.hub.registry.get(method);
    let label = found.map_or("<unknown>", |m| m.name.as_str()).to_owned();
    let result = match found {
        None => Err(KojiError::generic(format!("Invalid method: {method}"))),
        Some(m) => {
            let (args, kwargs) = xmlrpc::split_kwargs(params);
            match m.bind(args, kwargs) {
                Ok(bound) => (m.handler)(ctx.clone(), bound).await,
                Err(e) => Err(e),
            }
        }
    };
    metrics::counter!("koji_rpc_calls_total", "method" => label.clone()).increment(1);
    metrics::histogram!("koji_rpc_duration_seconds", "method" => label).record(started.elapsed().as_secs_f64());
    if let Err(e) = &result {
        metrics::counter!("koji_rpc_faults_total", "code" => e.code().to_string()).increment(1);
        tracing::debug!(method, code = e.code(), fault = %e, "call failed");
    }
    result
}

/// Koji's `multiCall`: each call runs on its own; a failure becomes its fault in place and the others still run.
/// Success entries are one-element arrays, which the client unpacks.
pub async fn multicall(ctx: &CallCtx, calls: Vec<Value>) -> KojiResult<Vec<Value>> {
    if ctx.req.in_multicall.replace(true) {
        return Err(KojiError::generic("multicall is not allowed in a multicall"));
    }
    let mut results = Vec::with_capacity(calls.len());
    for entry in calls {
        let outcome = match entry {
            Value::Struct(mut s) => {
                let method = s.remove("methodName");
                let params = s.remove("params").unwrap_or(Value::Array(vec![]));
                match (method, params) {
                    (Some(Value::String(m)), Value::Array(p)) => call(ctx, &m, p).await,
                    _ => Err(KojiError::param("each multicall entry needs a methodName string and a params array")),
                }
            }
            _ => Err(KojiError::param("each multicall entry must be a struct")),
        };
        results.push(match outcome {
            Ok(v) => Value::Array(vec![v]),
            Err(e) => fault_struct(&e),
        });
    }
    ctx.req.in_multicall.set(false);
    Ok(results)
}

pub fn fault_struct(e: &KojiError) -> Value {
    let mut s = xmlrpc::Struct::new();
    s.insert("faultCode".into(), Value::Int(e.code().into()));
    s.insert("faultString".into(), Value::String(e.to_string()));
    Value::Struct(s)
}

/// The complete method table of the hub.
pub fn build_registry() -> Registry {
    let mut r = Registry::default();
    root::register(&mut r);
    auth::register(&mut r);
    host::register(&mut r);
    host_build::register(&mut r);
    host_repos::register(&mut r);
    repo::register(&mut r);
    r
}
