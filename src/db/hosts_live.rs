//! The unversioned, live part of a host: `host.ready`, `task_load`, `update_time`, and `scheduler_host_data`.
//! Written only when something changes (or coalesced), never per heartbeat.

use crate::fault::KojiResult;
use deadpool_postgres::GenericClient;

/// Readiness changes `(host, ready, task_load)` of many hosts in one statement, each announced to the
/// scheduler.
/// A host's effective readiness as its hub's registry sees it.
pub struct ReadyChange {
    pub host: i32,
    pub ready: bool,
    pub load: f64,
    /// It stopped being heard from (as opposed to reporting itself busy): the scheduler frees its tasks.
    pub lost: bool,
}

pub async fn set_ready(db: &impl GenericClient, changes: &[ReadyChange]) -> KojiResult<()> {
    let ids: Vec<i32> = changes.iter().map(|c| c.host).collect();
    let ready: Vec<bool> = changes.iter().map(|c| c.ready).collect();
    let load: Vec<f64> = changes.iter().map(|c| c.load).collect();
    let lost: Vec<bool> = changes.iter().map(|c| c.lost).collect();
    // The `koji_host` payload is the host id, with `:lost` when it was lost.
    let st = db
        .prepare_cached(
            "WITH u AS (UPDATE host SET ready = c.ready, task_load = c.load, update_time = NOW() \
                        FROM unnest($1::int4[], $2::bool[], $3::float8[], $4::bool[]) AS c(id, ready, load, lost) \
                        WHERE host.id = c.id RETURNING host.id, c.lost) \
             SELECT count(pg_notify('koji_host', CASE WHEN lost THEN id::text || ':lost' ELSE id::text END)) FROM u",
        )
        .await?;
    db.execute(&st, &[&ids, &ready, &load, &lost]).await?;
    Ok(())
}

pub async fn set_data(db: &impl GenericClient, host: i32, data: &serde_json::Value) -> KojiResult<()> {
    let st = db
        .prepare_cached(
            "INSERT INTO scheduler_host_data (host_id, data) VALUES ($1, $2) \
             ON CONFLICT (host_id) DO UPDATE SET data = EXCLUDED.data WHERE scheduler_host_data.data IS DISTINCT FROM EXCLUDED.data",
        )
        .await?;
    if db.execute(&st, &[&host, data]).await? > 0 {
        notify(db, host).await?;
    }
    Ok(())
}

/// One statement for every host heard from since the last flush.
pub async fn touch(db: &impl GenericClient, hosts: &[i32]) -> KojiResult<()> {
    let st = db.prepare_cached("UPDATE host SET update_time = NOW() WHERE id = ANY($1)").await?;
    db.execute(&st, &[&hosts]).await?;
    Ok(())
}

/// Tells the scheduler leader to re-read a host (readiness, configuration, channels).
pub async fn notify(db: &impl GenericClient, host: i32) -> KojiResult<()> {
    let st = db.prepare_cached("SELECT pg_notify('koji_host', $1::int4::text)").await?;
    db.execute(&st, &[&host]).await?;
    Ok(())
}

/// Koji's check_hosts, as a safety net across hubs: hosts not heard from within the timeout that are marked
/// ready or still hold ASSIGNED/OPEN tasks (a busy host that died while no hub tracked it, e.g. across a
/// leader failover) are reported lost, so the scheduler frees their tasks.
pub async fn expire_silent(db: &impl GenericClient, timeout_secs: f64) -> KojiResult<Vec<i32>> {
    let st = db
        .prepare_cached(
            "WITH u AS (UPDATE host SET ready = FALSE \
                        WHERE (update_time IS NULL OR update_time < NOW() - make_interval(secs => $1)) \
                          AND (ready OR EXISTS (SELECT 1 FROM task \
                                                WHERE task.host_id = host.id AND task.state IN (1, 4))) \
                        RETURNING id) \
             SELECT id, pg_notify('koji_host', id::text || ':lost') FROM u",
        )
        .await?;
    Ok(db.query(&st, &[&timeout_secs]).await?.iter().map(|r| r.get(0)).collect())
}
