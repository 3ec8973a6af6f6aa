//! Koji's auth exports: `login`, `sslLogin`, `logout`, `subsession`, `logoutChild`.

use super::CallCtx;
use super::args::Flag;
use super::registry::Registry;
use crate::auth::{self, SessionInfo};
use crate::fault::KojiResult;
use serde::Deserialize;

/// The password is deliberately absent from `Debug`, so it cannot end up in a log line.
#[derive(Deserialize)]
struct LoginArgs {
    user: String,
    password: String,
    renew: Flag,
}

#[derive(Deserialize)]
struct SslLoginArgs {
    proxyuser: Option<String>,
    renew: Flag,
}

#[derive(Deserialize)]
struct SessionIdArgs {
    session_id: Option<i32>,
}

#[derive(Deserialize)]
struct ChildArgs {
    session_id: i32,
}

#[derive(Deserialize)]
struct NoArgs {}

async fn login(ctx: CallCtx, a: LoginArgs) -> KojiResult<SessionInfo> {
    auth::password_login(&ctx, &a.user, &a.password, a.renew.0).await
}

async fn ssl_login(ctx: CallCtx, a: SslLoginArgs) -> KojiResult<SessionInfo> {
    auth::ssl_login(&ctx, a.proxyuser.as_deref(), a.renew.0).await
}

async fn logout(ctx: CallCtx, a: SessionIdArgs) -> KojiResult<()> {
    auth::logout(&ctx, a.session_id).await
}

async fn subsession(ctx: CallCtx, _: NoArgs) -> KojiResult<SessionInfo> {
    auth::subsession(&ctx).await
}

async fn logout_child(ctx: CallCtx, a: ChildArgs) -> KojiResult<()> {
    auth::logout_child(&ctx, a.session_id).await
}

#[derive(Deserialize)]
struct ForceArg {
    force: Flag,
}

async fn exclusive_session(ctx: CallCtx, a: ForceArg) -> KojiResult<()> {
    auth::exclusive_session(&ctx, a.force.0).await
}

async fn shared_session(ctx: CallCtx, _: NoArgs) -> KojiResult<()> {
    auth::shared_session(&ctx).await
}

pub fn register(r: &mut Registry) {
    r.add(
        "login",
        "user, password, opts=None, renew=False, exclusive=False",
        "Log in with a user name and password.",
        login,
    );
    r.add(
        "sslLogin",
        "proxyuser=None, proxyauthtype=None, renew=False, exclusive=None",
        "Log in with the verified TLS client certificate.",
        ssl_login,
    );
    r.add(
        "logout",
        "session_id=None",
        "Close the current session (or a given one of yours) and its subsessions.",
        logout,
    );
    r.add("subsession", "", "Open a child session of the current one.", subsession);
    r.add("logoutChild", "session_id", "Close a subsession of the current session.", logout_child);
    r.add(
        "exclusiveSession",
        "force=False",
        "Make this the user's only exclusive session (kojid does).",
        exclusive_session,
    );
    r.add("sharedSession", "", "Drop this session's exclusivity.", shared_session);
}
