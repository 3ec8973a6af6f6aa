//! Task methods of RootExports, and Koji's `scheduler.*` namespace.

use crate::db::query::QueryOpts;
use crate::db::view::{self, View};
use crate::db::{self, tasks as q};
use crate::fault::{KojiError, KojiResult};
use crate::lookup;
use crate::rpc::CallCtx;
use crate::rpc::args::{Flag, InfoRef};
use crate::rpc::registry::Registry;
use crate::tasks::{self, TaskSpec};
use crate::xmlrpc::{Struct, Value};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(i32),
    Many(Vec<i32>),
}

#[derive(Deserialize)]
struct GetInfo {
    task_id: OneOrMany,
    request: Flag,
    strict: Flag,
}

#[derive(Deserialize)]
struct Children {
    task_id: i32,
    request: Flag,
    strict: Flag,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct TaskIdArg {
    taskId: i32,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct ResultArgs {
    taskId: i32,
    raise_fault: Flag,
}

#[derive(Deserialize)]
struct Descendents {
    task_id: i32,
    request: Flag,
}

#[derive(Deserialize)]
struct Cancel {
    task_id: i32,
    recurse: Flag,
}

#[derive(Deserialize)]
struct CancelFull {
    task_id: i32,
    strict: Flag,
}

#[derive(Deserialize)]
struct JustTask {
    task_id: i32,
}

#[derive(Deserialize)]
struct Priority {
    task_id: i32,
    priority: i32,
    recurse: Flag,
}

#[derive(Deserialize)]
struct Assign {
    task_id: i32,
    host: InfoRef,
    force: Flag,
    r#override: Flag,
}

#[derive(Deserialize)]
struct MakeTask {
    args: Vec<Value>,
    opts: Struct,
}

#[derive(Deserialize, Default)]
struct MakeTaskOpts {
    channel: Option<String>,
    arch: Option<String>,
    priority: Option<i32>,
    parent: Option<i32>,
    label: Option<String>,
    assign: Option<InfoRef>,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct Resubmit {
    taskID: i32,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct TaskOutput {
    taskID: i32,
    stat: Flag,
    all_volumes: Flag,
    strict: Flag,
}

#[derive(Deserialize)]
struct ViewArgs {
    clauses: Option<Vec<Value>>,
    fields: Option<Vec<String>>,
    opts: Option<QueryOpts>,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct HostDataArgs {
    hostID: Option<i32>,
}

#[derive(Deserialize)]
struct DoRun {}

async fn get_task_info(ctx: CallCtx, a: GetInfo) -> KojiResult<Value> {
    let db = ctx.db().await?;
    let one = |id: i32, info: Option<Struct>| -> KojiResult<Value> {
        match info {
            Some(s) => Ok(Value::Struct(s)),
            None if a.strict.0 => Err(KojiError::generic(format!("No such task: {id}"))),
            None => Ok(Value::Nil),
        }
    };
    match a.task_id {
        OneOrMany::One(id) => one(id, tasks::task_info(&db, id, a.request.0).await?),
        OneOrMany::Many(ids) => {
            let mut out = vec![];
            for id in ids {
                out.push(one(id, tasks::task_info(&db, id, a.request.0).await?)?);
            }
            Ok(Value::Array(out))
        }
    }
}

async fn get_task_children(ctx: CallCtx, a: Children) -> KojiResult<Vec<Struct>> {
    let db = ctx.db().await?;
    if a.strict.0 && q::info(&db, a.task_id, false).await?.is_none() {
        return Err(KojiError::generic(format!("No such task: {}", a.task_id)));
    }
    let mut children = q::children(&db, a.task_id, a.request.0).await?;
    for c in &mut children {
        tasks::decode_request_field(c)?;
    }
    Ok(children)
}

async fn get_task_request(ctx: CallCtx, a: TaskIdArg) -> KojiResult<Vec<Value>> {
    tasks::task_request(&ctx.db().await?, a.taskId).await
}

async fn get_task_result(ctx: CallCtx, a: ResultArgs) -> KojiResult<Value> {
    tasks::task_result(&ctx.db().await?, a.taskId, a.raise_fault.0).await
}

async fn get_task_descendents(ctx: CallCtx, a: Descendents) -> KojiResult<Struct> {
    tasks::descendents(&ctx.db().await?, a.task_id, a.request.0).await
}

async fn cancel_task(ctx: CallCtx, a: Cancel) -> KojiResult<()> {
    tasks::cancel_task(&ctx, a.task_id, a.recurse.0).await
}

async fn cancel_task_full(ctx: CallCtx, a: CancelFull) -> KojiResult<()> {
    tasks::cancel_full(&ctx, a.task_id, a.strict.0).await
}

async fn cancel_task_children(ctx: CallCtx, a: JustTask) -> KojiResult<()> {
    tasks::cancel_children(&ctx, a.task_id).await
}

async fn set_task_priority(ctx: CallCtx, a: Priority) -> KojiResult<()> {
    tasks::set_priority(&ctx, a.task_id, a.priority, a.recurse.0).await
}

async fn free_task(ctx: CallCtx, a: JustTask) -> KojiResult<()> {
    tasks::free_task(&ctx, a.task_id).await
}

/// `assignTask`: admin placement. Without `force` only a FREE task moves; with `override` no run row is written,
/// so the scheduler never times the assignment out.
async fn assign_task(ctx: CallCtx, a: Assign) -> KojiResult<bool> {
    ctx.assert_perm("admin").await?;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let host = lookup::id_of(&tx, "host", &a.host)
        .await?
        .ok_or_else(|| KojiError::generic(format!("No such host: {}", a.host)))?;
    q::core_for_update(&tx, a.task_id)
        .await?
        .ok_or_else(|| KojiError::generic(format!("No such task: {}", a.task_id)))?;
    let assigned = db::tasks::admin_assign(&tx, a.task_id, host, a.force.0, a.r#override.0).await?;
    tx.commit().await?;
    ctx.committed();
    Ok(assigned)
}

async fn make_task(ctx: CallCtx, a: MakeTask) -> KojiResult<i32> {
    let admin = ctx.assert_perm("admin").await?.user_id;
    let mut opts = a.opts;
    if opts.contains_key("owner") {
        return Err(KojiError::not_allowed("The owner option is not allowed here"));
    }
    // make_task(method, arglist, **opts): the CLI passes method and arglist as keywords.
    let mut args = a.args.into_iter();
    let method = args.next().or_else(|| opts.remove("method"));
    let arglist = args.next().or_else(|| opts.remove("arglist"));
    let method = method
        .and_then(|m| m.as_str().map(str::to_owned))
        .ok_or_else(|| KojiError::param("makeTask needs a method name"))?;
    let params = match arglist {
        Some(Value::Array(p)) => p,
        None | Some(Value::Nil) => vec![],
        Some(_) => return Err(KojiError::param("makeTask: arglist must be a list")),
    };
    let opts: MakeTaskOpts = crate::xmlrpc::from_value(Value::Struct(opts))?;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let assign = match &opts.assign {
        Some(h) => {
            Some(lookup::id_of(&tx, "host", h).await?.ok_or_else(|| KojiError::generic(format!("No such host: {h}")))?)
        }
        None => None,
    };
    let spec = TaskSpec {
        method,
        params,
        owner: admin,
        channel: opts.channel,
        arch: opts.arch,
        priority: opts.priority,
        parent: opts.parent,
        label: opts.label,
        assign,
    };
    let id = tasks::make_task(&tx, spec).await?;
    tx.commit().await?;
    ctx.committed();
    Ok(id)
}

async fn resubmit_task(ctx: CallCtx, a: Resubmit) -> KojiResult<i32> {
    tasks::resubmit(&ctx, a.taskID).await
}

/// Files under the task's work directory, relative to it (Koji's `listTaskOutput`).
async fn list_task_output(ctx: CallCtx, a: TaskOutput) -> KojiResult<Value> {
    let dir =
        ctx.hub.config.koji_dir.join("work/tasks").join((a.taskID % 10000).to_string()).join(a.taskID.to_string());
    if a.strict.0 && q::info(&ctx.db().await?, a.taskID, false).await?.is_none() {
        return Err(KojiError::generic(format!("No such task: {}", a.taskID)));
    }
    let files = actix_web::web::block(move || crate::tasks::output_files(&dir))
        .await
        .map_err(|e| KojiError::Internal(e.to_string()))?;
    if !a.stat.0 && !a.all_volumes.0 {
        return Ok(Value::Array(files.into_iter().map(|(name, _)| Value::String(name)).collect()));
    }
    let mut out = Struct::new();
    for (name, meta) in files {
        let stat: Struct = [
            ("st_size".to_string(), Value::String(meta.len().to_string())),
            (
                "st_mtime".to_string(),
                Value::Double(
                    meta.modified()
                        .ok()
                        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                        .map_or(0.0, |d| d.as_secs_f64()),
                ),
            ),
        ]
        .into_iter()
        .collect();
        let entry = match (a.stat.0, a.all_volumes.0) {
            (true, true) => Value::Struct([("DEFAULT".to_string(), Value::Struct(stat))].into_iter().collect()),
            (true, false) => Value::Struct(stat),
            _ => Value::Array(vec![Value::from("DEFAULT")]),
        };
        out.insert(name, entry);
    }
    Ok(Value::Struct(out))
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct Download {
    taskID: i32,
    fileName: String,
    offset: Option<i64>,
    size: Option<i64>,
}

/// Base64 text in a string, not `<base64>`: the client decodes the string itself.
async fn download_task_output(ctx: CallCtx, a: Download) -> KojiResult<String> {
    use base64::Engine;
    let dir = tasks::work_dir(&ctx.hub.config.koji_dir, a.taskID);
    let (task, name) = (a.taskID, a.fileName);
    let (offset, size) = (a.offset.unwrap_or(0), a.size.unwrap_or(-1));
    let bytes = actix_web::web::block(move || tasks::read_output(&dir, task, &name, offset, size))
        .await
        .map_err(|e| KojiError::Internal(e.to_string()))??;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

const TASK_RUNS: View = View {
    from: "scheduler_task_runs LEFT JOIN task ON scheduler_task_runs.task_id = task.id \
           LEFT JOIN host ON scheduler_task_runs.host_id = host.id",
    fields: &[
        ("id", "scheduler_task_runs.id"),
        ("task_id", "scheduler_task_runs.task_id"),
        ("method", "task.method"),
        ("state", "task.state"),
        ("owner", "task.owner"),
        ("arch", "task.arch"),
        ("channel_id", "task.channel_id"),
        ("host_name", "host.name"),
        ("host_ready", "host.ready"),
        ("host_id", "scheduler_task_runs.host_id"),
        ("active", "scheduler_task_runs.active"),
        ("create_ts", "date_part('epoch', scheduler_task_runs.create_time)"),
        ("start_ts", "date_part('epoch', task.start_time)"),
        ("completion_ts", "date_part('epoch', task.completion_time)"),
    ],
    default_fields: &["id", "task_id", "host_id", "active", "create_ts"],
    default_order: "id",
};

const REFUSALS: View = View {
    from: "scheduler_task_refusals LEFT JOIN task ON scheduler_task_refusals.task_id = task.id \
           LEFT JOIN host ON scheduler_task_refusals.host_id = host.id",
    fields: &[
        ("id", "scheduler_task_refusals.id"),
        ("task_id", "scheduler_task_refusals.task_id"),
        ("host_id", "scheduler_task_refusals.host_id"),
        ("by_host", "scheduler_task_refusals.by_host"),
        ("soft", "scheduler_task_refusals.soft"),
        ("msg", "scheduler_task_refusals.msg"),
        ("ts", "date_part('epoch', scheduler_task_refusals.time)"),
        ("method", "task.method"),
        ("state", "task.state"),
        ("host_name", "host.name"),
    ],
    default_fields: &["id", "task_id", "host_id", "by_host", "soft", "msg", "ts"],
    default_order: "id",
};

const LOG_MESSAGES: View = View {
    from: "scheduler_log_messages LEFT JOIN task ON scheduler_log_messages.task_id = task.id \
           LEFT JOIN host ON scheduler_log_messages.host_id = host.id",
    fields: &[
        ("id", "scheduler_log_messages.id"),
        ("task_id", "scheduler_log_messages.task_id"),
        ("host_id", "scheduler_log_messages.host_id"),
        ("msg_ts", "date_part('epoch', scheduler_log_messages.msg_time)"),
        ("msg", "scheduler_log_messages.msg"),
        ("method", "task.method"),
        ("state", "task.state"),
        ("owner", "task.owner"),
        ("arch", "task.arch"),
        ("channel_id", "task.channel_id"),
        ("host_name", "host.name"),
        ("host_ready", "host.ready"),
    ],
    default_fields: &["id", "task_id", "host_id", "msg_ts", "msg"],
    default_order: "id",
};

async fn get_task_runs(ctx: CallCtx, a: ViewArgs) -> KojiResult<Value> {
    view::query(&ctx.db().await?, &TASK_RUNS, a.clauses, a.fields, a.opts).await
}

async fn get_task_refusals(ctx: CallCtx, a: ViewArgs) -> KojiResult<Value> {
    view::query(&ctx.db().await?, &REFUSALS, a.clauses, a.fields, None).await
}

async fn get_log_messages(ctx: CallCtx, a: ViewArgs) -> KojiResult<Value> {
    view::query(&ctx.db().await?, &LOG_MESSAGES, a.clauses, a.fields, a.opts).await
}

async fn get_host_data(ctx: CallCtx, a: HostDataArgs) -> KojiResult<Vec<Struct>> {
    db::query_structs(
        &ctx.db().await?,
        "SELECT host_id, data FROM scheduler_host_data WHERE $1::int4 IS NULL OR host_id = $1 ORDER BY host_id",
        &[&a.hostID],
    )
    .await
}

/// Placement is continuous here; `doRun` only asks the leader to re-read everything (admin).
async fn do_run(ctx: CallCtx, _: DoRun) -> KojiResult<bool> {
    ctx.assert_perm("admin").await?;
    ctx.hub.scheduler.get().do_send(crate::actors::task_scheduler::Rescan);
    Ok(true)
}

pub fn register(r: &mut Registry) {
    r.add("getTaskInfo", "task_id, request=False, strict=False", "A task (or a list of tasks) by id.", get_task_info);
    r.add(
        "getTaskChildren",
        "task_id, request=False, strict=False",
        "The direct children of a task.",
        get_task_children,
    );
    r.add("getTaskRequest", "taskId", "The arguments a task was created with.", get_task_request);
    r.add(
        "getTaskResult",
        "taskId, raise_fault=True",
        "A finished task's result (a failed task raises its fault).",
        get_task_result,
    );
    r.add(
        "getTaskDescendents",
        "task_id, request=False",
        "Every task below a task, by parent id.",
        get_task_descendents,
    );
    r.add("cancelTask", "task_id, recurse=True", "Cancel a task (owner, its host, or admin).", cancel_task);
    r.add("cancelTaskFull", "task_id, strict=True", "Cancel a whole task tree (admin).", cancel_task_full);
    r.add("cancelTaskChildren", "task_id", "Cancel the children of a task.", cancel_task_children);
    r.add(
        "setTaskPriority",
        "task_id, priority, recurse=False",
        "Change a task's priority (admin).",
        set_task_priority,
    );
    r.add("freeTask", "task_id", "Give a task back to the scheduler (admin).", free_task);
    r.add("assignTask", "task_id, host, force=False, override=False", "Place a task on a host (admin).", assign_task);
    r.add(
        "makeTask",
        "*args, **opts",
        "Create a task: makeTask(method, arglist, channel=…, arch=…) (admin).",
        make_task,
    );
    r.add("resubmitTask", "taskID", "Run a failed or canceled top-level task again as a new task.", resubmit_task);
    r.add(
        "listTaskOutput",
        "taskID, stat=False, all_volumes=False, strict=False",
        "Files a task produced.",
        list_task_output,
    );
    r.add(
        "downloadTaskOutput",
        "taskID, fileName, offset=0, size=-1, volume=None",
        "A chunk of a file a task produced, base64-encoded.",
        download_task_output,
    );
    r.add("scheduler.getTaskRuns", "clauses=None, fields=None, opts=None", "Scheduler placements.", get_task_runs);
    r.add("scheduler.getTaskRefusals", "clauses=None, fields=None", "Hosts' refusals of tasks.", get_task_refusals);
    r.add("scheduler.getHostData", "hostID=None", "What builders reported for scheduling.", get_host_data);
    r.add("scheduler.getLogMessages", "clauses=None, fields=None, opts=None", "Scheduler log lines.", get_log_messages);
    r.add("scheduler.doRun", "force=False", "Ask the scheduler leader to re-read everything (admin).", do_run);
}
