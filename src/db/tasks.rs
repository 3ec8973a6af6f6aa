//! The `task` table. Every state change is a conditional write (the expected state and host are in the WHERE
//! clause), so two actors or two hubs can never both win; each also emits `pg_notify('koji_task', id)` in the
//! same transaction, which the scheduler reconciles after commit. Statements that change several rows lock
//! them in id order (`ORDER BY id FOR UPDATE`), as the scheduler's batches do, so they cannot deadlock.

use crate::fault::KojiResult;
use crate::xmlrpc::Struct;
use deadpool_postgres::GenericClient;

pub const FREE: i32 = 0;
pub const OPEN: i32 = 1;
pub const CLOSED: i32 = 2;
pub const CANCELED: i32 = 3;
pub const ASSIGNED: i32 = 4;
pub const FAILED: i32 = 5;
/// Koji's `TASK_STATES` names, by code.
pub const STATE_NAMES: [&str; 6] = ["FREE", "OPEN", "CLOSED", "CANCELED", "ASSIGNED", "FAILED"];

pub fn state_name(state: i32) -> &'static str {
    match state {
        FREE => "FREE",
        OPEN => "OPEN",
        CLOSED => "CLOSED",
        CANCELED => "CANCELED",
        ASSIGNED => "ASSIGNED",
        FAILED => "FAILED",
        _ => "BADSTATE",
    }
}

/// Koji's `Task.fields`, the record `getTaskInfo` and `getTaskChildren` return.
pub const TASK_FIELDS: &str = "task.id, task.state, task.create_time, date_part('epoch', task.create_time) AS create_ts, \
     task.start_time, date_part('epoch', task.start_time) AS start_ts, task.completion_time, \
     date_part('epoch', task.completion_time) AS completion_ts, task.channel_id, task.host_id, task.parent, \
     task.label, task.waiting, task.awaited, task.owner, task.method, task.arch, task.priority, task.weight";

pub struct NewTask<'a> {
    pub method: &'a str,
    pub request: &'a str,
    pub owner: i32,
    pub channel_id: i32,
    pub arch: &'a str,
    pub priority: i32,
    pub weight: f64,
    pub parent: Option<i32>,
    pub label: Option<&'a str>,
    /// Pre-assigned host (Koji's `make_task(assign=…)`): no scheduler run row, so never reassigned.
    pub assign: Option<i32>,
}

pub async fn notify(db: &impl GenericClient, ids: &[i32]) -> KojiResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let st = db.prepare_cached("SELECT pg_notify('koji_task', x::text) FROM unnest($1::int4[]) AS x").await?;
    db.query(&st, &[&ids]).await?;
    Ok(())
}

pub async fn insert(db: &impl GenericClient, t: &NewTask<'_>) -> KojiResult<i32> {
    let (state, host): (i32, Option<i32>) = match t.assign {
        Some(h) => (ASSIGNED, Some(h)),
        None => (FREE, None),
    };
    let st = db
        .prepare_cached(
            "INSERT INTO task (state, host_id, channel_id, parent, label, owner, method, request, arch, priority, weight) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .await?;
    let row = db
        .query_one(
            &st,
            &[
                &state,
                &host,
                &t.channel_id,
                &t.parent,
                &t.label,
                &t.owner,
                &t.method,
                &t.request,
                &t.arch,
                &t.priority,
                &t.weight,
            ],
        )
        .await?;
    let id: i32 = row.get(0);
    notify(db, &[id]).await?;
    Ok(id)
}

pub async fn info(db: &impl GenericClient, id: i32, with_request: bool) -> KojiResult<Option<Struct>> {
    let sql = if with_request {
        format!("SELECT {TASK_FIELDS}, task.request FROM task WHERE id = $1")
    } else {
        format!("SELECT {TASK_FIELDS} FROM task WHERE id = $1")
    };
    super::query_opt_struct(db, &sql, &[&id]).await
}

pub async fn children(db: &impl GenericClient, parent: i32, with_request: bool) -> KojiResult<Vec<Struct>> {
    let sql = if with_request {
        format!("SELECT {TASK_FIELDS}, task.request FROM task WHERE parent = $1 ORDER BY id")
    } else {
        format!("SELECT {TASK_FIELDS} FROM task WHERE parent = $1 ORDER BY id")
    };
    super::query_structs(db, &sql, &[&parent]).await
}

/// Every task below `root`, with its parent, in breadth-first order.
pub async fn descendants(db: &impl GenericClient, root: i32, with_request: bool) -> KojiResult<Vec<Struct>> {
    let request = if with_request { ", task.request" } else { "" };
    let sql = format!(
        "WITH RECURSIVE tree(id, depth) AS (SELECT id, 0 FROM task WHERE parent = $1 \
           UNION ALL SELECT t.id, tree.depth + 1 FROM task t JOIN tree ON t.parent = tree.id) \
         SELECT {TASK_FIELDS}{request} FROM task JOIN tree ON tree.id = task.id ORDER BY tree.depth, task.id"
    );
    super::query_structs(db, &sql, &[&root]).await
}

#[derive(Debug, Clone)]
pub struct TaskCore {
    pub id: i32,
    pub state: i32,
    pub host_id: Option<i32>,
    pub parent: Option<i32>,
    pub owner: i32,
    pub method: String,
}

/// The fields access checks need, with a row lock so a decision and its write see the same state.
pub async fn core_for_update(db: &impl GenericClient, id: i32) -> KojiResult<Option<TaskCore>> {
    let st = db
        .prepare_cached("SELECT id, state, host_id, parent, owner, method FROM task WHERE id = $1 FOR UPDATE")
        .await?;
    Ok(db.query_opt(&st, &[&id]).await?.map(|r| TaskCore {
        id: r.get(0),
        state: r.get(1),
        host_id: r.get(2),
        parent: r.get(3),
        owner: r.get(4),
        method: r.get(5),
    }))
}

/// ASSIGNED (to this host) or FREE → OPEN, announced in the same statement (a push builder's Accept runs
/// outside a transaction). Returns false if someone else holds it or it is gone.
pub async fn open(db: &impl GenericClient, id: i32, host: i32) -> KojiResult<bool> {
    let st = db
        .prepare_cached(
            "WITH u AS (UPDATE task SET state = 1, host_id = $2, start_time = NOW() \
             WHERE id = $1 AND ((state = 4 AND host_id = $2) OR (state = 0 AND host_id IS NULL)) RETURNING id) \
             SELECT pg_notify('koji_task', id::text) FROM u",
        )
        .await?;
    Ok(!db.query(&st, &[&id, &host]).await?.is_empty())
}

/// OPEN on this host → CLOSED or FAILED with its result document.
pub async fn finish(db: &impl GenericClient, id: i32, host: i32, state: i32, result: &str) -> KojiResult<bool> {
    let st = db
        .prepare_cached(
            "UPDATE task SET state = $3, result = $4, completion_time = NOW(), waiting = FALSE \
             WHERE id = $1 AND state = 1 AND host_id = $2",
        )
        .await?;
    let n = db.execute(&st, &[&id, &host, &state, &result]).await?;
    if n > 0 {
        let st =
            db.prepare_cached("UPDATE scheduler_task_runs SET active = FALSE WHERE task_id = $1 AND active").await?;
        db.execute(&st, &[&id]).await?;
        notify(db, &[id]).await?;
    }
    Ok(n > 0)
}

/// Back to FREE unless finished; with `host`, only if that host holds it. Returns the ids freed.
/// Rows are locked in id order, as placement batches and waits lock them, so the two never deadlock.
pub async fn free(db: &impl GenericClient, ids: &[i32], host: Option<i32>) -> KojiResult<Vec<i32>> {
    let st = db
        .prepare_cached(
            "WITH locked AS (SELECT id FROM task WHERE id = ANY($1) ORDER BY id FOR UPDATE) \
             UPDATE task SET state = 0, host_id = NULL WHERE id IN (SELECT id FROM locked) AND state IN (0, 1, 4) \
             AND ($2::int4 IS NULL OR host_id = $2) RETURNING id",
        )
        .await?;
    let freed: Vec<i32> = db.query(&st, &[&ids, &host]).await?.iter().map(|r| r.get(0)).collect();
    if !freed.is_empty() {
        let st = db
            .prepare_cached("UPDATE scheduler_task_runs SET active = FALSE WHERE task_id = ANY($1) AND active")
            .await?;
        db.execute(&st, &[&freed]).await?;
    }
    notify(db, &freed).await?;
    Ok(freed)
}

/// Koji's `Task.cancel(recurse)`: cancels the task and, through every task it cancels, their children; a task
/// already CLOSED, FAILED or CANCELED is left alone and not descended into. Also cancels BUILDING builds of the
/// canceled tasks. Returns `(id, host_id)` of every task canceled. Rows are locked in id order (see [`free`]).
pub async fn cancel(db: &impl GenericClient, id: i32, recurse: bool) -> KojiResult<Vec<(i32, Option<i32>)>> {
    let st = db
        .prepare_cached(
            "WITH RECURSIVE tree(id) AS ( \
               SELECT id FROM task WHERE id = $1 AND state IN (0, 1, 4) \
               UNION ALL SELECT t.id FROM task t JOIN tree ON t.parent = tree.id \
               WHERE $2 AND t.state IN (0, 1, 4)), \
             locked AS (SELECT id FROM task WHERE id IN (SELECT id FROM tree) ORDER BY id FOR UPDATE) \
             UPDATE task SET state = 3, completion_time = NOW(), waiting = FALSE \
             WHERE id IN (SELECT id FROM locked) AND state IN (0, 1, 4) RETURNING id, host_id",
        )
        .await?;
    let canceled: Vec<(i32, Option<i32>)> =
        db.query(&st, &[&id, &recurse]).await?.iter().map(|r| (r.get(0), r.get(1))).collect();
    after_cancel(db, &canceled).await?;
    Ok(canceled)
}

/// Koji's `cancelFull` on a top-level task: every unfinished task of the tree, however deep.
pub async fn cancel_tree(db: &impl GenericClient, root: i32) -> KojiResult<Vec<(i32, Option<i32>)>> {
    let st = db
        .prepare_cached(
            "WITH RECURSIVE tree(id) AS (SELECT $1::int4 UNION ALL SELECT t.id FROM task t JOIN tree ON t.parent = tree.id), \
             locked AS (SELECT id FROM task WHERE id IN (SELECT id FROM tree) ORDER BY id FOR UPDATE) \
             UPDATE task SET state = 3, completion_time = NOW(), waiting = FALSE \
             WHERE id IN (SELECT id FROM locked) AND state IN (0, 1, 4) RETURNING id, host_id",
        )
        .await?;
    let canceled: Vec<(i32, Option<i32>)> =
        db.query(&st, &[&root]).await?.iter().map(|r| (r.get(0), r.get(1))).collect();
    after_cancel(db, &canceled).await?;
    Ok(canceled)
}

async fn after_cancel(db: &impl GenericClient, canceled: &[(i32, Option<i32>)]) -> KojiResult<()> {
    let ids: Vec<i32> = canceled.iter().map(|(id, _)| *id).collect();
    if ids.is_empty() {
        return Ok(());
    }
    let st = db
        .prepare_cached("UPDATE build SET state = 4, completion_time = NOW() WHERE task_id = ANY($1) AND state = 0")
        .await?;
    db.execute(&st, &[&ids]).await?;
    let st =
        db.prepare_cached("UPDATE scheduler_task_runs SET active = FALSE WHERE task_id = ANY($1) AND active").await?;
    db.execute(&st, &[&ids]).await?;
    notify(db, &ids).await
}

pub async fn root_of(db: &impl GenericClient, id: i32) -> KojiResult<i32> {
    let st = db
        .prepare_cached(
            "WITH RECURSIVE up(id, parent, depth) AS (SELECT id, parent, 0 FROM task WHERE id = $1 \
               UNION ALL SELECT t.id, t.parent, up.depth + 1 FROM task t JOIN up ON t.id = up.parent WHERE up.depth < 1000) \
             SELECT id FROM up WHERE parent IS NULL",
        )
        .await?;
    Ok(db.query_opt(&st, &[&id]).await?.map_or(id, |r| r.get(0)))
}

pub async fn set_priority(db: &impl GenericClient, id: i32, priority: i32, recurse: bool) -> KojiResult<Vec<i32>> {
    let st = db
        .prepare_cached(
            "WITH RECURSIVE tree(id) AS (SELECT $1::int4 UNION ALL SELECT t.id FROM task t JOIN tree ON t.parent = tree.id WHERE $3) \
             UPDATE task SET priority = $2 WHERE id IN (SELECT id FROM tree) RETURNING id",
        )
        .await?;
    let ids: Vec<i32> = db.query(&st, &[&id, &priority, &recurse]).await?.iter().map(|r| r.get(0)).collect();
    notify(db, &ids).await?;
    Ok(ids)
}

pub async fn set_weight(db: &impl GenericClient, id: i32, weight: f64) -> KojiResult<()> {
    let st = db.prepare_cached("UPDATE task SET weight = $2 WHERE id = $1").await?;
    db.execute(&st, &[&id, &weight]).await?;
    notify(db, &[id]).await
}

pub async fn request_and_result(db: &impl GenericClient, id: i32) -> KojiResult<Option<(i32, String, Option<String>)>> {
    let st = db.prepare_cached("SELECT state, request, result FROM task WHERE id = $1").await?;
    Ok(db.query_opt(&st, &[&id]).await?.map(|r| (r.get(0), r.get(1), r.get(2))))
}

/// The `host` row of a host user; host-only calls need one.
pub async fn host_of_user(db: &impl GenericClient, user_id: i32) -> KojiResult<Option<i32>> {
    let st = db.prepare_cached("SELECT id FROM host WHERE user_id = $1").await?;
    Ok(db.query_opt(&st, &[&user_id]).await?.map(|r| r.get(0)))
}

/// What `host.getTasks` returns: the tasks assigned to the host, in the order it should take them.
pub async fn assigned_to(db: &impl GenericClient, host: i32) -> KojiResult<Vec<Struct>> {
    super::query_structs(
        db,
        "SELECT id, state, channel_id, host_id, arch, method, priority, date_part('epoch', create_time) AS create_ts \
         FROM task WHERE host_id = $1 AND state = 4 ORDER BY priority, create_time, id",
        &[&host],
    )
    .await
}

/// Which of `tasks` this host still holds (ASSIGNED or OPEN on it).
pub async fn held_by(db: &impl GenericClient, tasks: &[i32], host: i32) -> KojiResult<Vec<i32>> {
    if tasks.is_empty() {
        return Ok(vec![]);
    }
    let st = db.prepare_cached("SELECT id FROM task WHERE id = ANY($1) AND host_id = $2 AND state IN (1, 4)").await?;
    Ok(db.query(&st, &[&tasks, &host]).await?.iter().map(|r| r.get(0)).collect())
}

/// `host.openTask`'s answer: the task fields plus the raw request document, as Koji's `Task.open` returns them.
pub async fn opened_record(db: &impl GenericClient, id: i32) -> KojiResult<Option<Struct>> {
    super::query_opt_struct(db, &format!("SELECT {TASK_FIELDS}, task.request FROM task WHERE id = $1"), &[&id]).await
}

pub async fn set_wait(db: &impl GenericClient, parent: i32, tasks: Option<&[i32]>) -> KojiResult<()> {
    let st = db.prepare_cached("UPDATE task SET waiting = TRUE WHERE id = $1").await?;
    db.execute(&st, &[&parent]).await?;
    let st = db
        .prepare_cached(
            "UPDATE task SET awaited = ($2::int4[] IS NULL OR id = ANY($2)) WHERE id IN (SELECT id FROM task \
             WHERE parent = $1 AND (awaited IS DISTINCT FROM ($2::int4[] IS NULL OR id = ANY($2))) \
             ORDER BY id FOR UPDATE)",
        )
        .await?;
    db.execute(&st, &[&parent, &tasks]).await?;
    notify(db, &[parent]).await
}

/// `[finished, unfinished]` awaited children of `parent`; with `consume`, finished ones stop being awaited.
pub async fn wait_check(db: &impl GenericClient, parent: i32, consume: bool) -> KojiResult<(Vec<i32>, Vec<i32>)> {
    let st = db.prepare_cached("SELECT id, state FROM task WHERE parent = $1 AND awaited IS TRUE ORDER BY id").await?;
    let (mut finished, mut unfinished) = (vec![], vec![]);
    for r in db.query(&st, &[&parent]).await? {
        let (id, state): (i32, i32) = (r.get(0), r.get(1));
        if matches!(state, CLOSED | CANCELED | FAILED) { finished.push(id) } else { unfinished.push(id) }
    }
    if consume && !finished.is_empty() {
        let st = db
            .prepare_cached(
                "UPDATE task SET awaited = FALSE WHERE id IN (SELECT id FROM task WHERE id = ANY($1) ORDER BY id FOR UPDATE)",
            )
            .await?;
        db.execute(&st, &[&finished]).await?;
    }
    Ok((finished, unfinished))
}

pub async fn unwait(db: &impl GenericClient, parent: i32) -> KojiResult<()> {
    let st = db.prepare_cached("UPDATE task SET waiting = FALSE WHERE id = $1 AND waiting").await?;
    db.execute(&st, &[&parent]).await?;
    let st = db
        .prepare_cached(
            "UPDATE task SET awaited = FALSE WHERE id IN (SELECT id FROM task WHERE parent = $1 AND awaited \
             ORDER BY id FOR UPDATE)",
        )
        .await?;
    db.execute(&st, &[&parent]).await?;
    notify(db, &[parent]).await
}

pub async fn finished_children(db: &impl GenericClient, parent: i32) -> KojiResult<Vec<i32>> {
    let st = db.prepare_cached("SELECT id FROM task WHERE parent = $1 AND state IN (2, 3, 5) ORDER BY id").await?;
    Ok(db.query(&st, &[&parent]).await?.iter().map(|r| r.get(0)).collect())
}

/// `host.getHostTasks`: OPEN tasks of the host; `alert` marks a waiting parent with a finished awaited child.
pub async fn host_open_tasks(db: &impl GenericClient, host: i32) -> KojiResult<Vec<Struct>> {
    let st = db
        .prepare_cached(
            "SELECT t.id, t.waiting, t.weight, t.waiting AND EXISTS (SELECT 1 FROM task c WHERE c.parent = t.id \
             AND c.awaited IS TRUE AND c.state IN (2, 3, 5)) AS alert FROM task t WHERE t.host_id = $1 AND t.state = 1 \
             ORDER BY t.id",
        )
        .await?;
    let mut out = vec![];
    for row in db.query(&st, &[&host]).await? {
        let mut s = super::row_to_struct(&row)?;
        if s.get("alert") != Some(&crate::xmlrpc::Value::Bool(true)) {
            s.remove("alert");
        }
        out.push(s);
    }
    Ok(out)
}

pub async fn subtask_by_label(db: &impl GenericClient, parent: i32, label: &str) -> KojiResult<Option<i32>> {
    let st = db.prepare_cached("SELECT id FROM task WHERE parent = $1 AND label = $2").await?;
    Ok(db.query_opt(&st, &[&parent, &label]).await?.map(|r| r.get(0)))
}

/// Koji's `set_refusal`: an upsert, so a repeated refusal refreshes its time.
pub async fn refuse(
    db: &impl GenericClient,
    task: i32,
    host: i32,
    soft: bool,
    by_host: bool,
    msg: &str,
) -> KojiResult<()> {
    let st = db
        .prepare_cached(
            "INSERT INTO scheduler_task_refusals (task_id, host_id, soft, by_host, msg) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (task_id, host_id) DO UPDATE SET soft = EXCLUDED.soft, by_host = EXCLUDED.by_host, \
             msg = EXCLUDED.msg, time = NOW()",
        )
        .await?;
    db.execute(&st, &[&task, &host, &soft, &by_host, &msg]).await?;
    Ok(())
}

/// The offer for a task still ASSIGNED to `host` (`None` if it moved on meanwhile).
pub async fn offer(db: &impl GenericClient, id: i32, host: i32) -> KojiResult<Option<crate::protocol::TaskOffer>> {
    let st = db
        .prepare_cached("SELECT method, arch, priority, weight, parent, request FROM task WHERE id = $1 AND state = 4 AND host_id = $2")
        .await?;
    Ok(db.query_opt(&st, &[&id, &host]).await?.map(|r| crate::protocol::TaskOffer {
        id,
        method: r.get(0),
        arch: r.get(1),
        priority: r.get(2),
        weight: r.get(3),
        parent: r.get(4),
        request: r.get(5),
    }))
}

/// Admin placement (`assignTask`); `force` moves a task in any unfinished state, `pinned` writes no run row.
pub async fn admin_assign(db: &impl GenericClient, id: i32, host: i32, force: bool, pinned: bool) -> KojiResult<bool> {
    let st = db
        .prepare_cached(
            "UPDATE task SET state = 4, host_id = $2 WHERE id = $1 AND (state = 0 OR ($3 AND state IN (1, 4)))",
        )
        .await?;
    if db.execute(&st, &[&id, &host, &force]).await? == 0 {
        return Ok(false);
    }
    let st = db.prepare_cached("UPDATE scheduler_task_runs SET active = FALSE WHERE task_id = $1 AND active").await?;
    db.execute(&st, &[&id]).await?;
    if !pinned {
        let st = db.prepare_cached("INSERT INTO scheduler_task_runs (task_id, host_id) VALUES ($1, $2)").await?;
        db.execute(&st, &[&id, &host]).await?;
    }
    let msg = if pinned { "Assigning task (override)" } else { "Assigning task" };
    let st =
        db.prepare_cached("INSERT INTO scheduler_log_messages (task_id, host_id, msg) VALUES ($1, $2, $3)").await?;
    db.execute(&st, &[&id, &host, &msg]).await?;
    notify(db, &[id]).await?;
    Ok(true)
}
