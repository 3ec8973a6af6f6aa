//! What the scheduler leader reads to rebuild its model, and its batched writes.

use crate::fault::KojiResult;
use crate::scheduler::{Assignment, HostSpec, TaskRow};
use deadpool_postgres::GenericClient;

const TASK_ROW: &str = "SELECT t.id, t.state, t.host_id, t.priority, \
     (date_part('epoch', t.create_time) * 1000000)::int8, t.channel_id, t.arch, t.weight, t.waiting, t.parent, \
     COALESCE(t.awaited, FALSE), \
     COALESCE((SELECT array_agg(r.host_id) FROM scheduler_task_refusals r WHERE r.task_id = t.id AND NOT r.soft), '{}'), \
     COALESCE((SELECT array_agg(r.host_id) FROM scheduler_task_refusals r WHERE r.task_id = t.id AND r.soft \
               AND r.time > NOW() - make_interval(secs => $1)), '{}'), \
     (t.state IN (1, 4) AND NOT EXISTS (SELECT 1 FROM scheduler_task_runs sr WHERE sr.task_id = t.id AND sr.active)) \
     FROM task t";

fn task_row(r: &tokio_postgres::Row) -> TaskRow {
    let hard: Vec<i32> = r.get(11);
    let soft: Vec<i32> = r.get(12);
    TaskRow {
        id: r.get(0),
        state: r.get(1),
        host_id: r.get(2),
        priority: r.get(3),
        created: r.get(4),
        channel_id: r.get(5),
        arch: r.get(6),
        weight: r.get(7),
        waiting: r.get::<_, Option<bool>>(8).unwrap_or(false),
        parent: r.get(9),
        awaited: r.get(10),
        refused_by: hard.into_iter().map(|h| (h, false)).chain(soft.into_iter().map(|h| (h, true))).collect(),
        pinned: r.get(13),
    }
}

/// Every task the scheduler must know: FREE, ASSIGNED and OPEN (no window).
pub async fn active_tasks(db: &impl GenericClient, soft_refusal_secs: f64) -> KojiResult<Vec<TaskRow>> {
    let st = db.prepare_cached(&format!("{TASK_ROW} WHERE t.state IN (0, 1, 4)")).await?;
    Ok(db.query(&st, &[&soft_refusal_secs]).await?.iter().map(task_row).collect())
}

pub async fn tasks_by_id(db: &impl GenericClient, ids: &[i32], soft_refusal_secs: f64) -> KojiResult<Vec<TaskRow>> {
    let st = db.prepare_cached(&format!("{TASK_ROW} WHERE t.id = ANY($2)")).await?;
    Ok(db.query(&st, &[&soft_refusal_secs, &ids]).await?.iter().map(task_row).collect())
}

const HOST_ROW: &str = "SELECT h.id, hc.capacity, hc.arches, hc.enabled, h.ready, (d.data->>'maxjobs')::int4, \
     ARRAY(SELECT c.channel_id FROM host_channels c JOIN channels ch ON ch.id = c.channel_id \
           WHERE c.host_id = h.id AND c.active AND ch.enabled ORDER BY c.channel_id) \
     FROM host h JOIN host_config hc ON hc.host_id = h.id AND hc.active \
     LEFT JOIN scheduler_host_data d ON d.host_id = h.id";

fn host_row(r: &tokio_postgres::Row) -> HostSpec {
    let arches: Option<String> = r.get(2);
    HostSpec {
        id: r.get(0),
        capacity: r.get(1),
        arches: arches.unwrap_or_default().split_whitespace().map(str::to_owned).collect(),
        enabled: r.get(3),
        ready: r.get(4),
        maxjobs: r.get::<_, Option<i32>>(5).and_then(|m| u32::try_from(m).ok()),
        channels: r.get(6),
    }
}

pub async fn hosts(db: &impl GenericClient) -> KojiResult<Vec<HostSpec>> {
    let st = db.prepare_cached(HOST_ROW).await?;
    Ok(db.query(&st, &[]).await?.iter().map(host_row).collect())
}

/// The given hosts, in one query; an id without a (configured) host is absent from the answer.
pub async fn hosts_by_id(db: &impl GenericClient, ids: &[i32]) -> KojiResult<Vec<HostSpec>> {
    let st = db.prepare_cached(&format!("{HOST_ROW} WHERE h.id = ANY($1)")).await?;
    Ok(db.query(&st, &[&ids]).await?.iter().map(host_row).collect())
}

/// Locks the task rows a transaction is about to change, in id order, as every multi-row task write does
/// first: two such writes, or one and a parent's `taskSetWait` (parent, then its children), can then never
/// deadlock.
///
/// The batch writes below take each task's host from the parameter arrays by position instead of joining
/// an `unnest` of them: with statistics that saw few FREE tasks, the planner joined such a batch by nested
/// loop over every row of the `state = 0` index, seconds per batch during a burst of 20,000.
pub async fn lock_tasks(db: &impl GenericClient, tasks: &[i32]) -> KojiResult<()> {
    let st = db.prepare_cached("SELECT id FROM task WHERE id = ANY($1) ORDER BY id FOR UPDATE").await?;
    db.query(&st, &[&tasks]).await?;
    Ok(())
}

/// Persists a batch of placements in one statement: each task goes FREE → ASSIGNED only if it is still FREE
/// (so a task canceled meanwhile is not resurrected), gets a run row, and a log line. Returns what stuck.
/// The caller locks the rows first (`lock_tasks`).
pub async fn assign(db: &impl GenericClient, batch: &[Assignment]) -> KojiResult<Vec<Assignment>> {
    let tasks: Vec<i32> = batch.iter().map(|a| a.task).collect();
    let hosts: Vec<i32> = batch.iter().map(|a| a.host).collect();
    let st = db
        .prepare_cached(
            "WITH upd AS (UPDATE task SET state = 4, host_id = ($2::int4[])[array_position($1::int4[], task.id)] \
                          WHERE task.id = ANY($1) AND task.state = 0 RETURNING task.id, task.host_id), \
             old AS (UPDATE scheduler_task_runs SET active = FALSE WHERE active AND task_id IN (SELECT id FROM upd)), \
             runs AS (INSERT INTO scheduler_task_runs (task_id, host_id) SELECT id, host_id FROM upd), \
             logs AS (INSERT INTO scheduler_log_messages (task_id, host_id, msg) SELECT id, host_id, 'Assigning task' FROM upd) \
             SELECT id, host_id FROM upd",
        )
        .await?;
    Ok(db.query(&st, &[&tasks, &hosts]).await?.iter().map(|r| Assignment { task: r.get(0), host: r.get(1) }).collect())
}

/// Frees tasks still held by the given hosts (timeouts, lost hosts), recording why; with `refuse`, the host
/// also gets an implicit soft refusal (Koji does that for assignment timeouts). The caller locks the rows
/// first (`lock_tasks`).
pub async fn release(db: &impl GenericClient, batch: &[Assignment], refuse: bool, msg: &str) -> KojiResult<Vec<i32>> {
    let tasks: Vec<i32> = batch.iter().map(|a| a.task).collect();
    let hosts: Vec<i32> = batch.iter().map(|a| a.host).collect();
    let st = db
        .prepare_cached(
            "WITH upd AS (UPDATE task SET state = 0, host_id = NULL WHERE task.id = ANY($1) AND task.state IN (1, 4) \
                          AND task.host_id = ($2::int4[])[array_position($1::int4[], task.id)] \
                          RETURNING task.id, ($2::int4[])[array_position($1::int4[], task.id)] AS host_id), \
             runs AS (UPDATE scheduler_task_runs SET active = FALSE WHERE active AND task_id IN (SELECT id FROM upd)), \
             refusals AS (INSERT INTO scheduler_task_refusals (task_id, host_id, soft, by_host, msg) \
                          SELECT id, host_id, TRUE, FALSE, $4 FROM upd WHERE $3 \
                          ON CONFLICT (task_id, host_id) DO UPDATE SET time = NOW(), msg = EXCLUDED.msg), \
             logs AS (INSERT INTO scheduler_log_messages (task_id, host_id, msg) SELECT id, host_id, $4 FROM upd) \
             SELECT id FROM upd",
        )
        .await?;
    let freed: Vec<i32> = db.query(&st, &[&tasks, &hosts, &refuse, &msg]).await?.iter().map(|r| r.get(0)).collect();
    super::tasks::notify(db, &freed).await?;
    Ok(freed)
}

/// `koji_builder` notifications for the hubs holding the builders' streams.
pub async fn notify_builders(db: &impl GenericClient, payloads: &[String]) -> KojiResult<()> {
    if payloads.is_empty() {
        return Ok(());
    }
    let st = db.prepare_cached("SELECT pg_notify('koji_builder', x) FROM unnest($1::text[]) AS x").await?;
    db.query(&st, &[&payloads]).await?;
    Ok(())
}
