//! What the simulator reads and writes directly in PostgreSQL: the fleet's hosts and sessions (made with SQL,
//! see `create_hosts`), the burst of tasks, the latencies of a phase, and `pg_stat_database` counters.

use anyhow::Context as _;
use koji_rs::builder::hub_client::Session;
use koji_rs::xmlrpc::{self, Value};
use rand::distr::{Alphanumeric, SampleString};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio_postgres::Client;

pub async fn connect(conn: &str) -> anyhow::Result<Client> {
    let (client, connection) =
        tokio_postgres::connect(conn, tokio_postgres::NoTls).await.with_context(|| format!("connect to {conn}"))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("koji-sim: database connection: {e}");
        }
    });
    Ok(client)
}

pub struct SimHost {
    pub session: Session,
}

/// Creates `n` hosts named `<prefix>-<i>` (host user, `host`, `host_config`, the `default` channel) and one
/// exclusive session each, in a few statements. Logging 10,000 hosts in through `login` would measure
/// password hashing (Argon2 on the hub, by design slow), not scheduling; the sessions made here are the
/// rows `login` would write, and the hub validates them exactly like its own.
pub async fn create_hosts(
    db: &mut Client,
    prefix: &str,
    n: usize,
    arches: &[String],
    capacity: f64,
) -> anyhow::Result<Vec<SimHost>> {
    let names: Vec<String> = (0..n).map(|i| format!("{prefix}-{i}")).collect();
    let host_arches: Vec<String> = (0..n).map(|i| arches[i % arches.len()].clone()).collect();
    let keys: Vec<String> = (0..n).map(|_| Alphanumeric.sample_string(&mut rand::rng(), 19)).collect();
    let tx = db.transaction().await?;
    let rows = tx
        .query(
            "WITH input AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS i(name, arches, key)), \
             u AS (INSERT INTO users (name, password, status, usertype) SELECT name, 'pw', 0, 1 FROM input \
                   RETURNING id, name), \
             h AS (INSERT INTO host (user_id, name) SELECT id, name FROM u RETURNING id, user_id, name), \
             c AS (INSERT INTO host_config (host_id, arches, capacity, creator_id) \
                   SELECT h.id, i.arches, $4, 1 FROM h JOIN input i USING (name)), \
             ch AS (INSERT INTO host_channels (host_id, channel_id, creator_id) \
                    SELECT h.id, (SELECT id FROM channels WHERE name = 'default'), 1 FROM h), \
             s AS (INSERT INTO sessions (user_id, key, authtype, hostip, exclusive) \
                   SELECT h.user_id, h.user_id || '-' || i.key, 0, '127.0.0.1', TRUE FROM h JOIN input i USING (name) \
                   RETURNING id, user_id, key) \
             SELECT s.id, s.key FROM h JOIN s ON s.user_id = h.user_id ORDER BY h.id",
            &[&names, &host_arches, &keys, &capacity],
        )
        .await
        .context("create the simulated hosts")?;
    tx.commit().await?;
    Ok(rows.iter().map(|r| SimHost { session: Session { id: i64::from(r.get::<_, i32>(0)), key: r.get(1) } }).collect())
}

pub async fn ready_hosts(db: &Client, prefix: &str) -> anyhow::Result<i64> {
    let like = format!("{prefix}-%");
    Ok(db.query_one("SELECT count(*) FROM host WHERE ready AND name LIKE $1", &[&like]).await?.get(0))
}

pub async fn max_task_id(db: &Client) -> anyhow::Result<i32> {
    Ok(db.query_one("SELECT COALESCE(max(id), 0) FROM task", &[]).await?.get(0))
}

/// Tasks above `base` not finished yet.
pub async fn unfinished(db: &Client, base: i32) -> anyhow::Result<i64> {
    Ok(db.query_one("SELECT count(*) FROM task WHERE id > $1 AND state NOT IN (2, 3, 5)", &[&base]).await?.get(0))
}

/// `n` FREE `buildArch` tasks in one transaction (arches round-robin), each announced with `koji_task` as
/// `makeTask` does; returns the commit time.
pub async fn insert_burst(db: &mut Client, n: usize, arches: &[String], owner: i32) -> anyhow::Result<SystemTime> {
    let request = xmlrpc::encode_call("buildArch", &[Value::from("pkg-1.0-1.src.rpm"), Value::Int(1)]);
    let task_arches: Vec<String> = (0..n).map(|i| arches[i % arches.len()].clone()).collect();
    let tx = db.transaction().await?;
    tx.execute(
        "WITH t AS (INSERT INTO task (state, channel_id, owner, method, request, arch, priority, weight) \
                    SELECT 0, (SELECT id FROM channels WHERE name = 'default'), $1, 'buildArch', $2, a, 20, 1.5 \
                    FROM unnest($3::text[]) AS a RETURNING id) \
         SELECT count(pg_notify('koji_task', id::text)) FROM t",
        &[&owner, &request, &task_arches],
    )
    .await?;
    tx.commit().await?;
    Ok(SystemTime::now())
}

pub async fn user_id(db: &Client, name: &str) -> anyhow::Result<i32> {
    Ok(db.query_one("SELECT id FROM users WHERE name = $1", &[&name]).await?.get(0))
}

/// Latency percentiles (seconds) of the tasks above `base`, and when their placements happened.
pub struct PhaseLatency {
    pub tasks: i64,
    pub assigned_p50: f64,
    pub assigned_p99: f64,
    pub open_p50: f64,
    pub open_p99: f64,
    /// Seconds from the first task's creation to the first placement, and from there to the last one.
    pub first_placement: f64,
    pub placement_span: f64,
    /// The most first placements within one wall-clock second.
    pub placements_peak_second: i64,
}

pub async fn phase_latency(db: &Client, base: i32) -> anyhow::Result<PhaseLatency> {
    let r = db
        .query_one(
            "WITH first_run AS (SELECT task_id, min(create_time) AS placed FROM scheduler_task_runs \
                                WHERE task_id > $1 GROUP BY task_id), \
                  t AS (SELECT t.create_time, t.start_time, f.placed FROM task t JOIN first_run f ON f.task_id = t.id \
                        WHERE t.id > $1) \
             SELECT count(*), \
               COALESCE(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM placed - create_time)), 0), \
               COALESCE(percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM placed - create_time)), 0), \
               COALESCE(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM start_time - create_time)), 0), \
               COALESCE(percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM start_time - create_time)), 0), \
               COALESCE(extract(epoch FROM min(placed) - min(create_time))::float8, 0), \
               COALESCE(extract(epoch FROM max(placed) - min(placed))::float8, 0), \
               COALESCE((SELECT max(c) FROM (SELECT count(*) AS c FROM t GROUP BY date_trunc('second', placed)) x), 0) \
             FROM t",
            &[&base],
        )
        .await?;
    Ok(PhaseLatency {
        tasks: r.get(0),
        assigned_p50: r.get(1),
        assigned_p99: r.get(2),
        open_p50: r.get(3),
        open_p99: r.get(4),
        first_placement: r.get(5),
        placement_span: r.get(6),
        placements_peak_second: r.get(7),
    })
}

/// When each parent's last child finished (seconds since the epoch).
pub async fn last_child_done(db: &Client, parents: &[i32]) -> anyhow::Result<Vec<(i32, f64)>> {
    let rows = db
        .query(
            "SELECT parent, extract(epoch FROM max(completion_time))::float8 FROM task \
             WHERE parent = ANY($1) GROUP BY parent",
            &[&parents],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Cumulative counters of the database, for deltas over an idle period.
#[derive(Debug, Clone, Copy)]
pub struct DbCounters {
    pub commits: i64,
    pub tuples_written: i64,
    pub wal_bytes: f64,
}

pub async fn counters(db: &Client) -> anyhow::Result<DbCounters> {
    // A fresh snapshot: pg_stat_* are otherwise cached for the transaction.
    db.execute("SELECT pg_stat_clear_snapshot()", &[]).await?;
    let r = db
        .query_one(
            "SELECT xact_commit, tup_inserted + tup_updated + tup_deleted, \
                    pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::float8 \
             FROM pg_stat_database WHERE datname = current_database()",
            &[],
        )
        .await?;
    Ok(DbCounters { commits: r.get(0), tuples_written: r.get(1), wal_bytes: r.get(2) })
}

pub fn epoch_secs(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_secs_f64()
}
