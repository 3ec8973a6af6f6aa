//! Login, logout and subsessions as Koji's `auth.Session` does them, plus password storage.
//!
//! Passwords: Koji stores them in plain text in `users.password`. We store an Argon2id PHC string instead and
//! still accept plain-text rows, so an existing Koji database keeps working; such a row is upgraded to a hash at
//! the user's next successful login. Passwords never reach a log line: they are not part of any `Debug` output
//! of the argument types, and the XML-RPC body is never logged.

use crate::actors::session_registry::{AuthSession, Forget, Register, SessionAuth};
use crate::db::{self, sessions::SessionRow, users::UserRow};
use crate::fault::{KojiError, KojiResult};
use crate::rpc::CallCtx;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::distr::{Alphanumeric, SampleString};
use serde::Serialize;

pub const AUTH_NORMAL: i32 = 0;
pub const AUTH_SSL: i32 = 2;

/// What login methods return; `header-auth` tells the client to send the session in headers.
#[derive(Debug, Serialize)]
pub struct SessionInfo {
    #[serde(rename = "session-id")]
    pub session_id: i32,
    #[serde(rename = "session-key")]
    pub session_key: String,
    #[serde(rename = "header-auth")]
    pub header_auth: bool,
}

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).expect("16 bytes is a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing cannot fail with defaults")
        .to_string()
}

/// Checks a password against a stored Argon2 hash, or against a legacy plain-text value.
pub fn verify_password(stored: &str, given: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(hash) if stored.starts_with("$argon2") => Argon2::default().verify_password(given.as_bytes(), &hash).is_ok(),
        _ => constant_time_eq(stored.as_bytes(), given.as_bytes()),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Koji's session key shape: `<user id>-<19 random alphanumerics>`.
fn new_session_key(user_id: i32) -> String {
    format!("{user_id}-{}", Alphanumeric.sample_string(&mut rand::rng(), 19))
}

fn check_login_allowed(user: &UserRow) -> KojiResult<()> {
    if user.status != db::users::STATUS_NORMAL {
        return Err(KojiError::Auth(format!("logins by {} are not allowed", user.name)));
    }
    Ok(())
}

/// Creates a session for `user`, or renews the expired one the client presented (same id, new key).
async fn open_session(ctx: &CallCtx, user: &UserRow, authtype: i32, renew: bool) -> KojiResult<SessionInfo> {
    check_login_allowed(user)?;
    let db = ctx.db().await?;
    let key = new_session_key(user.id);
    let renewable = match ctx.req.auth {
        Some(SessionAuth::Renewing { id, user_id }) if renew && user_id == user.id => Some(id),
        _ => None,
    };
    let (id, start_time, renew_time) = match renewable {
        Some(id) => {
            let renewed = db::sessions::renew(&db, id, &key, authtype, &ctx.req.hostip).await?;
            (id, renewed, Some(renewed))
        }
        None => {
            let (id, start) = db::sessions::create(&db, user.id, &key, authtype, &ctx.req.hostip, None).await?;
            (id, start, None)
        }
    };
    ctx.hub.sessions.get().do_send(Register(SessionRow {
        id,
        user_id: user.id,
        key: key.clone(),
        authtype,
        hostip: ctx.req.hostip.clone(),
        callnum: None,
        master: None,
        expired: false,
        closed: false,
        start_time,
        renew_time,
        user_name: user.name.clone(),
        user_status: user.status,
        usertype: user.usertype,
    }));
    tracing::info!(user = %user.name, session = id, authtype, renewed = renewable.is_some(), "login");
    Ok(SessionInfo { session_id: id, session_key: key, header_auth: true })
}

fn refuse_if_logged_in(ctx: &CallCtx) -> KojiResult<()> {
    if ctx.session().is_some() {
        return Err(KojiError::Auth("Already logged in".into()));
    }
    Ok(())
}

pub async fn password_login(ctx: &CallCtx, user: &str, password: &str, renew: bool) -> KojiResult<SessionInfo> {
    refuse_if_logged_in(ctx)?;
    let bad = || KojiError::Auth("Invalid username or password".into());
    if password.is_empty() {
        return Err(bad());
    }
    let db = ctx.db().await?;
    let row = db::users::by_name(&db, user).await?.ok_or_else(bad)?;
    let stored = row.password.clone().ok_or_else(bad)?;
    let given = password.to_owned();
    let ok = actix_web::web::block(move || verify_password(&stored, &given))
        .await
        .map_err(|e| KojiError::Internal(format!("password check failed: {e}")))?;
    if !ok {
        tracing::info!(user, "password login refused");
        return Err(bad());
    }
    if row.password.as_deref().is_some_and(|p| !p.starts_with("$argon2")) {
        let pw = password.to_owned();
        let hashed = actix_web::web::block(move || hash_password(&pw))
            .await
            .map_err(|e| KojiError::Internal(format!("password hashing failed: {e}")))?;
        db::users::set_password(&db, row.id, &hashed).await?;
    }
    open_session(ctx, &row, AUTH_NORMAL, renew).await
}

/// `sslLogin`: the user is the configured DN component (CN by default) of the verified client certificate.
/// A `proxyuser` may be named only by a certificate listed in `ProxyDNs` (the web UI acting for its users).
pub async fn ssl_login(ctx: &CallCtx, proxyuser: Option<&str>, renew: bool) -> KojiResult<SessionInfo> {
    refuse_if_logged_in(ctx)?;
    let cert = ctx.req.cert.as_ref().ok_or_else(|| KojiError::Auth("could not verify client: NONE".into()))?;
    let config = &ctx.hub.config;
    let cert_user = cert.component(&config.dn_username_component).ok_or_else(|| {
        KojiError::Auth(format!(
            "unable to get user information from client certificate (no {})",
            config.dn_username_component
        ))
    })?;
    let username = match proxyuser {
        None => cert_user,
        Some(proxy) => {
            let forms = cert.dn_forms();
            if !config.proxy_dns.iter().any(|dn| forms.contains(dn)) {
                return Err(KojiError::Auth(format!("{} is not authorized to login other users", forms[0])));
            }
            proxy
        }
    };
    let db = ctx.db().await?;
    let user = match db::users::by_name(&db, username).await? {
        Some(u) => u,
        None if config.login_creates_user => {
            let id = db::users::create(&db, username, None, db::users::STATUS_NORMAL, db::users::USER_NORMAL).await?;
            tracing::info!(user = username, id, "created user at first certificate login");
            UserRow {
                id,
                name: username.to_owned(),
                status: db::users::STATUS_NORMAL,
                usertype: db::users::USER_NORMAL,
                password: None,
            }
        }
        None => return Err(KojiError::Auth(format!("Unknown user: {username}"))),
    };
    open_session(ctx, &user, AUTH_SSL, renew).await
}

/// Closes the current session (or, for its owner or an admin, the one named) with its subsessions.
pub async fn logout(ctx: &CallCtx, session_id: Option<i32>) -> KojiResult<()> {
    let Some(s) = ctx.session() else { return Ok(()) };
    let db = ctx.db().await?;
    let target = match session_id {
        None => s.id,
        Some(id) if id == s.id => id,
        Some(id) => {
            let other = db::sessions::load(&db, id)
                .await?
                .ok_or_else(|| KojiError::generic(format!("No such session: {id}")))?;
            if other.user_id != s.user_id && !ctx.has_perm("admin").await? {
                return Err(KojiError::not_allowed("only the owner or an admin may close that session"));
            }
            id
        }
    };
    let closed = db::sessions::close(&db, target).await?;
    ctx.hub.sessions.get().do_send(Forget(closed));
    Ok(())
}

/// A child session for the same user (kojid gives one to each task it runs).
pub async fn subsession(ctx: &CallCtx) -> KojiResult<SessionInfo> {
    let s: &AuthSession = ctx.require_login()?;
    if s.master.is_some() {
        return Err(KojiError::Auth("a subsession cannot create subsessions".into()));
    }
    let db = ctx.db().await?;
    let key = new_session_key(s.user_id);
    let (id, _) = db::sessions::create(&db, s.user_id, &key, s.authtype, &ctx.req.hostip, Some(s.id)).await?;
    Ok(SessionInfo { session_id: id, session_key: key, header_auth: true })
}

pub async fn logout_child(ctx: &CallCtx, session_id: i32) -> KojiResult<()> {
    let s = ctx.require_login()?;
    let db = ctx.db().await?;
    let child = db::sessions::load(&db, session_id).await?;
    if child.is_none_or(|c| c.master != Some(s.id)) {
        return Err(KojiError::Auth(format!("session {session_id} is not a subsession of this session")));
    }
    let closed = db::sessions::close(&db, session_id).await?;
    ctx.hub.sessions.get().do_send(Forget(closed));
    Ok(())
}

/// `exclusiveSession`: kojid holds one exclusive session per host, so two daemons can't run as the same host.
pub async fn exclusive_session(ctx: &CallCtx, force: bool) -> KojiResult<()> {
    let s = ctx.require_login()?;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let mut closed = vec![];
    if !db::sessions::make_exclusive(&tx, s.id, s.user_id, force, &mut closed).await? {
        return Err(KojiError::AuthLock("Cannot get exclusive session".into()));
    }
    tx.commit().await?;
    ctx.committed();
    ctx.hub.sessions.get().do_send(Forget(closed));
    Ok(())
}

pub async fn shared_session(ctx: &CallCtx) -> KojiResult<()> {
    let s = ctx.require_login()?;
    db::sessions::make_shared(&ctx.db().await?, s.id).await?;
    ctx.committed();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_plaintext_rows_still_work() {
        let h = hash_password("s3cret");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "s3cret"));
        assert!(!verify_password(&h, "S3cret"));
        assert!(verify_password("legacy", "legacy"));
        assert!(!verify_password("legacy", "legacy2"));
    }

    #[test]
    fn session_keys_have_kojis_shape() {
        let k = new_session_key(42);
        let (uid, rest) = k.split_once('-').unwrap();
        assert_eq!(uid, "42");
        assert_eq!(rest.len(), 19);
        assert!(rest.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
