//! What builders do to their tasks (Koji's HostExports): open, close, fail, free, refuse, reweigh, make
//! subtasks and wait for them. Every call checks that the task belongs to the calling host.

use super::{TaskSpec, make_task, task_result};
use crate::db::tasks as q;
use crate::fault::{KojiError, KojiResult};
use crate::xmlrpc::{Struct, Value};
use deadpool_postgres::GenericClient;

/// Koji's `Task.assertHost`: the task is OPEN on `host` (also what lets a host upload into its directory).
pub async fn assert_host(db: &impl GenericClient, host: i32, task: i32) -> KojiResult<q::TaskCore> {
    let t = q::core_for_update(db, task).await?.ok_or_else(|| KojiError::generic(format!("No such task: {task}")))?;
    if t.state != q::OPEN || t.host_id != Some(host) {
        return Err(KojiError::not_allowed(format!("host {host} does not own task {task}")));
    }
    Ok(t)
}

pub async fn open(db: &impl GenericClient, host: i32, task: i32) -> KojiResult<Option<Struct>> {
    if !q::open(db, task, host).await? {
        return Ok(None);
    }
    q::opened_record(db, task).await
}

pub async fn finish(db: &impl GenericClient, host: i32, task: i32, state: i32, response: &str) -> KojiResult<()> {
    assert_host(db, host, task).await?;
    q::finish(db, task, host, state, response).await?;
    if state == q::FAILED {
        crate::db::builds::fail_of_task(db, task).await?;
    }
    Ok(())
}

/// Frees the listed tasks this host has OPEN; others are skipped silently, as in Koji.
pub async fn free_own(db: &impl GenericClient, host: i32, tasks: &[i32]) -> KojiResult<Vec<i32>> {
    let st = db.prepare_cached("SELECT id FROM task WHERE id = ANY($1) AND state = 1 AND host_id = $2").await?;
    let own: Vec<i32> = db.query(&st, &[&tasks, &host]).await?.iter().map(|r| r.get(0)).collect();
    q::free(db, &own, Some(host)).await
}

/// A refusal by the host holding the task frees it; other hosts' refusals are ignored (and logged).
pub async fn refuse(db: &impl GenericClient, host: i32, task: i32, soft: bool, msg: &str) -> KojiResult<()> {
    let t = q::core_for_update(db, task).await?.ok_or_else(|| KojiError::generic(format!("No such task: {task}")))?;
    if t.host_id != Some(host) {
        tracing::warn!(host, task, "host refused unrelated task");
        return Ok(());
    }
    q::refuse(db, task, host, soft, true, msg).await?;
    if matches!(t.state, q::CLOSED | q::CANCELED | q::FAILED) {
        return Err(KojiError::generic(format!("Cannot free task {task}, state is {}", q::state_name(t.state))));
    }
    q::free(db, &[task], None).await?;
    Ok(())
}

pub async fn set_weight(db: &impl GenericClient, host: i32, task: i32, weight: f64) -> KojiResult<()> {
    if !(weight >= 0.0 && weight.is_finite()) {
        return Err(KojiError::param(format!("invalid weight: {weight}")));
    }
    assert_host(db, host, task).await?;
    q::set_weight(db, task, weight).await
}

/// Options of `host.subtask` besides the method, arguments and parent.
#[derive(Default, serde::Deserialize)]
pub struct SubtaskOpts {
    pub label: Option<String>,
    pub priority: Option<i32>,
    pub arch: Option<String>,
    pub channel: Option<String>,
    pub kwargs: Option<Struct>,
    pub owner: Option<Value>,
    /// A host id: the child is made ASSIGNED to it (pinned), as Koji's `make_task(assign=…)`.
    pub assign: Option<i32>,
}

/// `host.subtask`: the parent must be OPEN on this host; an existing `(parent, label)` child is returned
/// instead of a new one, so a parent re-run elsewhere re-attaches to its children.
pub async fn subtask(
    db: &impl GenericClient,
    host: i32,
    method: &str,
    mut args: Vec<Value>,
    parent: i32,
    opts: SubtaskOpts,
) -> KojiResult<i32> {
    let p = assert_host(db, host, parent).await?;
    if opts.owner.is_some() {
        return Err(KojiError::not_allowed("The owner option is not allowed here"));
    }
    if let Some(label) = &opts.label
        && let Some(existing) = q::subtask_by_label(db, parent, label).await?
    {
        return Ok(existing);
    }
    if let Some(mut kwargs) = opts.kwargs.filter(|k| !k.is_empty()) {
        kwargs.insert("__starstar".into(), Value::Bool(true));
        args.push(Value::Struct(kwargs));
    }
    let spec = TaskSpec {
        method: method.to_owned(),
        params: args,
        owner: p.owner,
        channel: opts.channel,
        arch: opts.arch,
        priority: opts.priority,
        parent: Some(parent),
        label: opts.label,
        assign: opts.assign,
    };
    make_task(db, spec).await
}

pub async fn set_wait(db: &impl GenericClient, host: i32, parent: i32, tasks: Option<Vec<i32>>) -> KojiResult<()> {
    assert_host(db, host, parent).await?;
    q::set_wait(db, parent, tasks.as_deref()).await
}

pub async fn wait(db: &impl GenericClient, host: i32, parent: i32) -> KojiResult<(Vec<i32>, Vec<i32>)> {
    assert_host(db, host, parent).await?;
    q::wait_check(db, parent, true).await
}

pub async fn unwait(db: &impl GenericClient, host: i32, parent: i32) -> KojiResult<()> {
    assert_host(db, host, parent).await?;
    q::unwait(db, parent).await
}

/// `host.taskWaitResults`: `[[id, result], ...]`; the first child fault is raised unless the child is in
/// `canfail`, where it (or a cancellation) comes back as a fault struct.
pub async fn wait_results(
    db: &impl GenericClient,
    host: i32,
    parent: i32,
    tasks: Option<Vec<i32>>,
    canfail: &[i32],
) -> KojiResult<Vec<Value>> {
    assert_host(db, host, parent).await?;
    q::unwait(db, parent).await?;
    let tasks = match tasks {
        Some(t) => t,
        None => q::finished_children(db, parent).await?,
    };
    let mut out = Vec::with_capacity(tasks.len());
    for id in tasks {
        let may_fail = canfail.contains(&id);
        let result = match task_result(db, id, !may_fail).await {
            Ok(v) => v,
            Err(e) if may_fail => crate::rpc::fault_struct(&e),
            Err(e) => return Err(e),
        };
        out.push(Value::Array(vec![Value::Int(id.into()), result]));
    }
    Ok(out)
}
