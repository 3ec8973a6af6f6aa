//! The `sessions` table. Validation is served from the SessionRegistry's memory; this module is only touched to
//! create, renew, close or expire a session, to load one the registry has not seen, and for coalesced flushes.

use crate::fault::KojiResult;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: i32,
    pub user_id: i32,
    pub key: String,
    pub authtype: i32,
    pub hostip: String,
    pub callnum: Option<i32>,
    pub master: Option<i32>,
    pub expired: bool,
    pub closed: bool,
    pub start_time: DateTime<Utc>,
    pub renew_time: Option<DateTime<Utc>>,
    pub user_name: String,
    pub user_status: i32,
    pub usertype: i32,
}

pub async fn load(db: &impl GenericClient, id: i32) -> KojiResult<Option<SessionRow>> {
    let st = db
        .prepare_cached(
            "SELECT s.id, s.user_id, s.key, s.authtype, s.hostip, s.callnum, s.master, s.expired, s.closed, \
                    s.start_time, s.renew_time, u.name, u.status, u.usertype \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1",
        )
        .await?;
    Ok(db.query_opt(&st, &[&id]).await?.map(|r| SessionRow {
        id: r.get(0),
        user_id: r.get(1),
        key: r.get::<_, Option<String>>(2).unwrap_or_default(),
        authtype: r.get::<_, Option<i32>>(3).unwrap_or_default(),
        hostip: r.get::<_, Option<String>>(4).unwrap_or_default(),
        callnum: r.get(5),
        master: r.get(6),
        expired: r.get(7),
        closed: r.get(8),
        start_time: r.get(9),
        renew_time: r.get(10),
        user_name: r.get(11),
        user_status: r.get(12),
        usertype: r.get(13),
    }))
}

pub async fn create(
    db: &impl GenericClient,
    user_id: i32,
    key: &str,
    authtype: i32,
    hostip: &str,
    master: Option<i32>,
) -> KojiResult<(i32, DateTime<Utc>)> {
    let st = db
        .prepare_cached(
            "INSERT INTO sessions (user_id, key, authtype, hostip, master, expired, closed) \
             VALUES ($1, $2, $3, $4, $5, FALSE, FALSE) RETURNING id, start_time",
        )
        .await?;
    let r = db.query_one(&st, &[&user_id, &key, &authtype, &hostip, &master]).await?;
    Ok((r.get(0), r.get(1)))
}

/// Renewal keeps the session id (the client resends its old headers) with a new key and a fresh callnum.
pub async fn renew(
    db: &impl GenericClient,
    id: i32,
    key: &str,
    authtype: i32,
    hostip: &str,
) -> KojiResult<DateTime<Utc>> {
    let st = db
        .prepare_cached(
            "UPDATE sessions SET key = $2, authtype = $3, hostip = $4, expired = FALSE, callnum = NULL, \
             renew_time = NOW(), update_time = NOW() WHERE id = $1 AND NOT closed RETURNING renew_time",
        )
        .await?;
    Ok(db.query_one(&st, &[&id, &key, &authtype, &hostip]).await?.get(0))
}

/// Closes a session and its subsessions; returns the ids closed.
pub async fn close(db: &impl GenericClient, id: i32) -> KojiResult<Vec<i32>> {
    let st = db
        .prepare_cached(
            "UPDATE sessions SET expired = TRUE, exclusive = NULL, closed = TRUE \
             WHERE (id = $1 OR master = $1) AND NOT closed RETURNING id",
        )
        .await?;
    Ok(db.query(&st, &[&id]).await?.iter().map(|r| r.get(0)).collect())
}

/// Closes every open session of a user (it was disabled).
pub async fn close_for_user(db: &impl GenericClient, user_id: i32) -> KojiResult<Vec<i32>> {
    let st = db
        .prepare_cached(
            "UPDATE sessions SET expired = TRUE, exclusive = NULL, closed = TRUE \
             WHERE user_id = $1 AND NOT closed RETURNING id",
        )
        .await?;
    Ok(db.query(&st, &[&user_id]).await?.iter().map(|r| r.get(0)).collect())
}

/// Marks a session and its subsessions expired (renewal timeout passed).
pub async fn expire(db: &impl GenericClient, id: i32) -> KojiResult<()> {
    let st = db.prepare_cached("UPDATE sessions SET expired = TRUE WHERE id = $1 OR master = $1").await?;
    db.execute(&st, &[&id]).await?;
    Ok(())
}

/// One statement for every session whose activity changed since the last flush.
pub async fn flush(
    db: &impl GenericClient,
    ids: &[i32],
    times: &[DateTime<Utc>],
    callnums: &[Option<i32>],
) -> KojiResult<u64> {
    let st = db
        .prepare_cached(
            "UPDATE sessions SET update_time = u.t, callnum = COALESCE(u.c, sessions.callnum) \
             FROM unnest($1::int4[], $2::timestamptz[], $3::int4[]) AS u(id, t, c) WHERE sessions.id = u.id",
        )
        .await?;
    Ok(db.execute(&st, &[&ids, &times, &callnums]).await?)
}

/// Marks the session exclusive for its user; `UNIQUE (user_id, exclusive)` refuses a second one. With `force`
/// the user's other exclusive session is closed first (its id is returned in `closed`). Returns false when
/// another exclusive session holds it.
pub async fn make_exclusive(
    db: &impl GenericClient,
    id: i32,
    user_id: i32,
    force: bool,
    closed: &mut Vec<i32>,
) -> KojiResult<bool> {
    if force {
        let st = db
            .prepare_cached(
                "UPDATE sessions SET expired = TRUE, exclusive = NULL, closed = TRUE \
                 WHERE user_id = $1 AND exclusive AND id <> $2 RETURNING id",
            )
            .await?;
        closed.extend(db.query(&st, &[&user_id, &id]).await?.iter().map(|r| r.get::<_, i32>(0)));
    }
    let st = db
        .prepare_cached(
            "UPDATE sessions SET exclusive = TRUE WHERE id = $1 AND NOT EXISTS \
             (SELECT 1 FROM sessions o WHERE o.user_id = $2 AND o.exclusive AND o.id <> $1)",
        )
        .await?;
    Ok(db.execute(&st, &[&id, &user_id]).await? > 0)
}

pub async fn make_shared(db: &impl GenericClient, id: i32) -> KojiResult<()> {
    let st = db.prepare_cached("UPDATE sessions SET exclusive = NULL WHERE id = $1").await?;
    db.execute(&st, &[&id]).await?;
    Ok(())
}
