//! Calls into the hub from inside the process, exactly as an XML-RPC request would make them: the session is
//! validated by the session registry (with the callnum rules), `ServerOffline` and `LockOut` apply, and the
//! handler checks permissions itself. The XML-RPC endpoint and the in-process web UI both go through here, so
//! neither can bypass what the other enforces.

use super::{CallCtx, Hub, PeerCert, RequestState};
use crate::actors::{
    self,
    session_registry::{Committed, SessionAuth, Validate},
};
use crate::fault::{KojiError, KojiResult};
use crate::xmlrpc::Value;
use std::rc::Rc;
use std::sync::Arc;

/// A session as a client presents it: `Koji-Session-Id`, `-Key` and the optional `-Callnum`.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub id: i32,
    pub key: String,
    pub callnum: Option<i32>,
}

/// Where a call comes from: the session, the peer and its verified client certificate.
#[derive(Clone)]
pub struct Caller {
    pub creds: Option<Credentials>,
    pub peer_ip: String,
    pub cert: Option<PeerCert>,
}

/// `ServerOffline`'s fault, when the hub is configured offline.
pub fn offline(hub: &Hub) -> Option<KojiError> {
    hub.config.server_offline.then(|| {
        KojiError::ServerOffline(hub.config.offline_message.clone().unwrap_or_else(|| "server is offline".into()))
    })
}

/// The call context for `method`: the session validated against the callnum rules, with `LockOut` enforced.
pub async fn context(hub: Arc<Hub>, caller: Caller, method: &str) -> KojiResult<CallCtx> {
    // Sessions record the peer address only under `CheckClientIP`, as Koji does.
    let hostip = if hub.config.check_client_ip { caller.peer_ip.clone() } else { "-".into() };
    let auth = match &caller.creds {
        None => None,
        Some(c) => Some(
            actors::ask(
                &hub.sessions.get(),
                Validate {
                    id: c.id,
                    key: c.key.clone(),
                    hostip: hostip.clone(),
                    callnum: c.callnum,
                    method: method.to_owned(),
                },
            )
            .await
            .map_err(|e| KojiError::ServerOffline(format!("session registry unavailable: {e}")))??,
        ),
    };
    let callnum = caller.creds.as_ref().and_then(|c| c.callnum);
    let state = Rc::new(RequestState::new(auth, callnum, caller.peer_ip, hostip, caller.cert));
    let ctx = CallCtx { hub, req: state };
    if ctx.hub.config.lock_out && !["login", "sslLogin", "logout"].contains(&method) && !ctx.has_perm("admin").await? {
        return Err(KojiError::ServerOffline("Server disabled for maintenance".into()));
    }
    Ok(ctx)
}

/// Runs `method` in `ctx` and, when it committed a write, advances the session's callnum.
pub async fn call_in(ctx: &CallCtx, method: &str, params: Vec<Value>) -> KojiResult<Value> {
    let result = super::call(ctx, method, params).await;
    let state = &ctx.req;
    if let (true, Some(SessionAuth::LoggedIn(s)), Some(callnum)) = (state.wrote(), &state.auth, state.callnum) {
        ctx.hub.sessions.get().do_send(Committed { id: s.id, callnum });
    }
    result
}

/// One complete call from inside the process, as if it had arrived over XML-RPC from `caller`.
pub async fn dispatch(hub: Arc<Hub>, caller: Caller, method: &str, params: Vec<Value>) -> KojiResult<Value> {
    if let Some(e) = offline(&hub) {
        return Err(e);
    }
    let ctx = context(hub, caller, method).await?;
    call_in(&ctx, method, params).await
}
