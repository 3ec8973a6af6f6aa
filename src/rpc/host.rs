//! Koji's HostExports (`host.*`): the calls a builder makes about itself and its tasks. Only a host's own
//! session may make them; anyone else gets Koji's AuthError.

use super::CallCtx;
use super::args::Flag;
use super::registry::Registry;
use crate::actors::host_registry::Report;
use crate::db::{self, tasks as q};
use crate::fault::{KojiError, KojiResult};
use crate::tasks::{self, host_side, host_side::SubtaskOpts};
use crate::xmlrpc::{Struct, Value};
use serde::Deserialize;

/// The host of the logged-in session, if the session belongs to a host user.
pub async fn host_id_of(ctx: &CallCtx) -> KojiResult<Option<i32>> {
    match ctx.session() {
        Some(s) if s.usertype == db::users::USER_HOST => q::host_of_user(&ctx.db().await?, s.user_id).await,
        _ => Ok(None),
    }
}

pub async fn require_host(ctx: &CallCtx) -> KojiResult<i32> {
    ctx.require_login().map_err(|_| KojiError::Auth("login required".into()))?;
    host_id_of(ctx).await?.ok_or_else(|| KojiError::Auth("No host specified".into()))
}

/// Runs `f` in a transaction for the calling host and marks the request as having written.
macro_rules! host_tx {
    ($ctx:expr, |$tx:ident, $host:ident| $body:expr) => {{
        let $host = $crate::rpc::host::require_host(&$ctx).await?;
        let mut client = $ctx.db().await?;
        let $tx = client.transaction().await?;
        let out = $body;
        $tx.commit().await?;
        $ctx.committed();
        Ok(out)
    }};
}
pub(crate) use host_tx;

#[derive(Deserialize)]
struct NoArgs {}

#[derive(Deserialize)]
struct TaskId {
    task_id: i32,
}

#[derive(Deserialize)]
struct Finish {
    task_id: i32,
    response: String,
}

#[derive(Deserialize)]
struct Tasks {
    tasks: Vec<i32>,
}

#[derive(Deserialize)]
struct Refuse {
    task_id: i32,
    soft: Flag,
    msg: Option<String>,
}

#[derive(Deserialize)]
struct Weight {
    task_id: i32,
    weight: f64,
}

#[derive(Deserialize)]
struct UpdateHost {
    task_load: f64,
    ready: Flag,
    data: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct HostData {
    hostdata: Value,
}

#[derive(Deserialize)]
struct Subtask {
    method: String,
    arglist: Vec<Value>,
    parent: i32,
    opts: Struct,
}

#[derive(Deserialize)]
struct Subtask2 {
    __parent: i32,
    __taskopts: Option<SubtaskOpts>,
    __method: String,
    args: Vec<Value>,
    opts: Struct,
}

#[derive(Deserialize)]
struct SetWait {
    parent: i32,
    tasks: Option<Vec<i32>>,
}

#[derive(Deserialize)]
struct Parent {
    parent: i32,
}

#[derive(Deserialize)]
struct WaitResults {
    parent: i32,
    tasks: Option<Vec<i32>>,
    canfail: Option<Vec<i32>>,
}

async fn get_id(ctx: CallCtx, _: NoArgs) -> KojiResult<i32> {
    require_host(&ctx).await
}

/// Memory only: the HostRegistry writes the `host` row when readiness flips, never per report.
async fn update_host(ctx: CallCtx, a: UpdateHost) -> KojiResult<()> {
    let host = require_host(&ctx).await?;
    if a.data.as_ref().is_some_and(|d| !d.is_object()) {
        return Err(KojiError::param("Host data should be a dictionary"));
    }
    let report = Report { host, task_load: a.task_load, ready: a.ready.0, data: a.data };
    crate::actors::ask(&ctx.hub.hosts.get(), report).await.map_err(|e| KojiError::ServerOffline(e.to_string()))
}

async fn set_host_data(ctx: CallCtx, a: HostData) -> KojiResult<()> {
    let host = require_host(&ctx).await?;
    let data: serde_json::Value = match a.hostdata {
        Value::String(s) => {
            serde_json::from_str(&s).map_err(|e| KojiError::param(format!("Host data is not JSON: {e}")))?
        }
        other => serde_json::to_value(other).map_err(|e| KojiError::param(e.to_string()))?,
    };
    if !data.is_object() {
        return Err(KojiError::param("Host data should be a dictionary"));
    }
    db::hosts_live::set_data(&ctx.db().await?, host, &data).await?;
    ctx.committed();
    Ok(())
}

/// What the scheduler already assigned to this host; never runs a scheduling pass.
async fn get_tasks(ctx: CallCtx, _: NoArgs) -> KojiResult<Vec<Struct>> {
    let host = require_host(&ctx).await?;
    q::assigned_to(&ctx.db().await?, host).await
}

async fn open_task(ctx: CallCtx, a: TaskId) -> KojiResult<Option<Struct>> {
    host_tx!(ctx, |tx, host| host_side::open(&tx, host, a.task_id).await?)
}

async fn close_task(ctx: CallCtx, a: Finish) -> KojiResult<()> {
    host_tx!(ctx, |tx, host| host_side::finish(&tx, host, a.task_id, q::CLOSED, &a.response).await?)
}

async fn fail_task(ctx: CallCtx, a: Finish) -> KojiResult<()> {
    host_tx!(ctx, |tx, host| host_side::finish(&tx, host, a.task_id, q::FAILED, &a.response).await?)
}

async fn free_tasks(ctx: CallCtx, a: Tasks) -> KojiResult<()> {
    host_tx!(ctx, |tx, host| {
        host_side::free_own(&tx, host, &a.tasks).await?;
    })
}

async fn refuse_task(ctx: CallCtx, a: Refuse) -> KojiResult<()> {
    metrics::counter!("koji_scheduler_refusals_total", "soft" => a.soft.0.to_string()).increment(1);
    host_tx!(ctx, |tx, host| host_side::refuse(&tx, host, a.task_id, a.soft.0, a.msg.as_deref().unwrap_or("")).await?)
}

async fn set_task_weight(ctx: CallCtx, a: Weight) -> KojiResult<()> {
    host_tx!(ctx, |tx, host| host_side::set_weight(&tx, host, a.task_id, a.weight).await?)
}

async fn subtask(ctx: CallCtx, a: Subtask) -> KojiResult<i32> {
    let opts: SubtaskOpts = crate::xmlrpc::from_value(Value::Struct(a.opts))?;
    host_tx!(ctx, |tx, host| host_side::subtask(&tx, host, &a.method, a.arglist, a.parent, opts).await?)
}

/// `subtask2(parent, taskopts, method, *args, **opts)`: the call's own arguments become the child's request.
async fn subtask2(ctx: CallCtx, a: Subtask2) -> KojiResult<i32> {
    let mut args = a.args;
    if !a.opts.is_empty() {
        let mut kw = a.opts;
        kw.insert("__starstar".into(), Value::Bool(true));
        args.push(Value::Struct(kw));
    }
    let opts = a.__taskopts.unwrap_or_default();
    host_tx!(ctx, |tx, host| host_side::subtask(&tx, host, &a.__method, args, a.__parent, opts).await?)
}

async fn task_set_wait(ctx: CallCtx, a: SetWait) -> KojiResult<()> {
    host_tx!(ctx, |tx, host| host_side::set_wait(&tx, host, a.parent, a.tasks).await?)
}

async fn task_wait(ctx: CallCtx, a: Parent) -> KojiResult<(Vec<i32>, Vec<i32>)> {
    host_tx!(ctx, |tx, host| host_side::wait(&tx, host, a.parent).await?)
}

async fn task_unwait(ctx: CallCtx, a: Parent) -> KojiResult<()> {
    host_tx!(ctx, |tx, host| host_side::unwait(&tx, host, a.parent).await?)
}

async fn task_wait_results(ctx: CallCtx, a: WaitResults) -> KojiResult<Vec<Value>> {
    let canfail = a.canfail.unwrap_or_default();
    host_tx!(ctx, |tx, host| host_side::wait_results(&tx, host, a.parent, a.tasks, &canfail).await?)
}

async fn get_host_tasks(ctx: CallCtx, _: NoArgs) -> KojiResult<Vec<Struct>> {
    let host = require_host(&ctx).await?;
    q::host_open_tasks(&ctx.db().await?, host).await
}

/// `host.getHost`: the calling host's own record (kojid reads `enabled`, `capacity` and `arches` every loop).
async fn get_host(ctx: CallCtx, _: NoArgs) -> KojiResult<Option<Struct>> {
    let host = require_host(&ctx).await?;
    crate::hosts::get_host(&ctx.db().await?, &crate::rpc::args::InfoRef::Id(host.into()), None).await
}

/// `host.getLoadData` for kojid ≤ 1.34: this host and the tasks assigned to it.
async fn get_load_data(ctx: CallCtx, _: NoArgs) -> KojiResult<Vec<Value>> {
    let host = require_host(&ctx).await?;
    let db = ctx.db().await?;
    let mut me =
        crate::hosts::get_host(&db, &crate::rpc::args::InfoRef::Id(host.into()), None).await?.unwrap_or_default();
    let channels = db::hosts::channel_ids(&db, host).await?;
    me.insert("channels".into(), Value::Array(channels.into_iter().map(Value::from).collect()));
    let tasks = q::assigned_to(&db, host).await?.into_iter().map(Value::Struct).collect();
    Ok(vec![Value::Array(vec![Value::Struct(me)]), Value::Array(tasks)])
}

async fn get_average(ctx: CallCtx, a: AvgArgs) -> KojiResult<Option<f64>> {
    tasks::average_build_duration(&ctx.db().await?, &a.package, a.age).await
}

#[derive(Deserialize)]
struct AvgArgs {
    package: String,
    age: Option<i32>,
}

pub fn register(r: &mut Registry) {
    r.add("host.getID", "", "The id of the calling host.", get_id);
    r.add("host.updateHost", "task_load, ready, data=None", "Report load and readiness (kept in memory).", update_host);
    r.add("host.setHostData", "hostdata", "Report scheduler data (e.g. maxjobs).", set_host_data);
    r.add("host.getTasks", "", "Tasks assigned to the calling host, in priority order.", get_tasks);
    r.add("host.getHost", "", "The calling host's record.", get_host);
    r.add("host.getLoadData", "", "This host and its assigned tasks (kojid ≤ 1.34).", get_load_data);
    r.add("host.openTask", "task_id", "Take an assigned task.", open_task);
    r.add("host.closeTask", "task_id, response", "Finish a task with its result document.", close_task);
    r.add("host.failTask", "task_id, response", "Fail a task with its fault document.", fail_task);
    r.add("host.freeTasks", "tasks", "Give back tasks this host has open.", free_tasks);
    r.add("host.refuseTask", "task_id, soft=True, msg=''", "Refuse a task (soft refusals expire).", refuse_task);
    r.add("host.setTaskWeight", "task_id, weight", "Set the load a running task puts on the host.", set_task_weight);
    r.add("host.subtask", "method, arglist, parent, **opts", "Create a child task of an open task.", subtask);
    r.add(
        "host.subtask2",
        "__parent, __taskopts, __method, *args, **opts",
        "subtask with the child's own signature.",
        subtask2,
    );
    r.add("host.taskSetWait", "parent, tasks", "Mark a parent waiting on (some of) its children.", task_set_wait);
    r.add("host.taskWait", "parent", "[finished, unfinished] awaited children.", task_wait);
    r.add("host.taskUnwait", "parent", "Clear the wait flags.", task_unwait);
    r.add("host.taskWaitResults", "parent, tasks, canfail=None", "Results of finished children.", task_wait_results);
    r.add("host.getHostTasks", "", "Open tasks of this host, with alerts for waiting parents.", get_host_tasks);
    r.add("getAverageBuildDuration", "package, age=None", "Mean seconds of a package's builds.", get_average);
}
