//! Tasks as Koji stores them: creation (`make_task`), the calls that read them, and the state changes users
//! and admins make. Builders' own transitions are in `crate::rpc::host`; placement is the scheduler's.

pub mod host_side;
mod list;

pub use list::{TaskFilter, list_tasks};

use crate::db::{self, tasks as q};
use crate::fault::{KojiError, KojiResult};
use crate::rpc::CallCtx;
use crate::xmlrpc::{self, Limits, Struct, Value};
use base64::Engine;
use deadpool_postgres::GenericClient;

/// Koji's `PRIO_DEFAULT`: lower numbers run first.
pub const PRIO_DEFAULT: i32 = 20;

/// The `_taskWeight` of Koji's task handlers: the load a task puts on its host before the builder reports
/// better (kojid's `setTaskWeight`). Unknown methods weigh 1.0, Koji's base default.
pub fn method_weight(method: &str) -> f64 {
    match method {
        "shutdown" => 0.0,
        "chainbuild" | "newRepo" | "distRepo" | "tagNotification" | "buildNotification" | "restart"
        | "restartVerify" | "restartHosts" => 0.1,
        "build" | "maven" | "chainmaven" | "waitrepo" | "dependantTask" => 0.2,
        "buildArch" | "createrepo" | "createdistrepo" | "buildMaven" | "wrapperRPM" | "createLiveCD"
        | "createAppliance" | "createLiveMedia" => 1.5,
        "createImage" | "runroot" | "createKiwiImage" => 2.0,
        "saveFailedTree" | "vmExec" => 3.0,
        "kiwiBuild" => 4.0,
        _ => 1.0,
    }
}

/// Koji's buildArch weight once the package is known: 1.5 plus the average build time in units of 80 minutes,
/// capped at 18.
pub fn build_arch_weight(avg_build_secs: Option<f64>) -> f64 {
    1.5 + avg_build_secs.map_or(0.0, |s| (s / 4800.0).min(18.0))
}

/// What a new task is; missing fields take Koji's defaults (from the parent for subtasks).
#[derive(Default)]
pub struct TaskSpec {
    pub method: String,
    pub params: Vec<Value>,
    pub owner: i32,
    pub channel: Option<String>,
    pub arch: Option<String>,
    pub priority: Option<i32>,
    pub parent: Option<i32>,
    pub label: Option<String>,
    pub assign: Option<i32>,
}

pub async fn make_task(db: &impl GenericClient, spec: TaskSpec) -> KojiResult<i32> {
    if spec.label.is_some() && spec.parent.is_none() {
        return Err(KojiError::generic("only subtasks may have a label"));
    }
    let parent = match spec.parent {
        Some(p) => Some(q::info(db, p, false).await?.ok_or_else(|| KojiError::generic(format!("No such task: {p}")))?),
        None => None,
    };
    let int = |s: &Struct, k: &str| s.get(k).and_then(Value::as_i64).map(|v| v as i32);
    let channel_id = match (&spec.channel, &parent) {
        (Some(name), _) => {
            let st = db.prepare_cached("SELECT id FROM channels WHERE name = $1").await?;
            db.query_opt(&st, &[name])
                .await?
                .ok_or_else(|| KojiError::generic(format!("No such channel: {name}")))?
                .get(0)
        }
        (None, Some(p)) => int(p, "channel_id").unwrap_or(1),
        (None, None) => {
            let st = db.prepare_cached("SELECT id FROM channels WHERE name = 'default'").await?;
            db.query_one(&st, &[]).await?.get(0)
        }
    };
    let priority = spec
        .priority
        .or_else(|| parent.as_ref().and_then(|p| int(p, "priority")).map(|p| p - 1))
        .unwrap_or(PRIO_DEFAULT);
    let arch = spec
        .arch
        .clone()
        .or_else(|| parent.as_ref().and_then(|p| p.get("arch")).and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| "noarch".into());
    let owner = parent.as_ref().and_then(|p| int(p, "owner")).unwrap_or(spec.owner);
    let request = xmlrpc::encode_call(&spec.method, &spec.params);
    let new = q::NewTask {
        method: &spec.method,
        request: &request,
        owner,
        channel_id,
        arch: &arch,
        priority,
        weight: method_weight(&spec.method),
        parent: spec.parent,
        label: spec.label.as_deref(),
        assign: spec.assign,
    };
    let id = q::insert(db, &new).await?;
    tracing::debug!(task = id, method = %spec.method, priority, arch = %arch, "task created");
    Ok(id)
}

/// Request and result documents; very old Koji rows are base64 of the XML.
fn document_text(stored: &str) -> String {
    if stored.get(..10).is_some_and(|head| head.contains("<?xml")) {
        return stored.to_owned();
    }
    base64::engine::general_purpose::STANDARD
        .decode(stored.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_else(|| stored.to_owned())
}

pub fn decode_request(stored: &str) -> KojiResult<Vec<Value>> {
    xmlrpc::parse_method_call(document_text(stored).as_bytes(), Limits::default())
        .map(|c| c.params)
        .map_err(|e| KojiError::generic(format!("stored task request is unreadable: {e}")))
}

/// `getTaskInfo`: the record, with the decoded request when asked.
pub async fn task_info(db: &impl GenericClient, id: i32, request: bool) -> KojiResult<Option<Struct>> {
    let Some(mut info) = q::info(db, id, request).await? else { return Ok(None) };
    decode_request_field(&mut info)?;
    Ok(Some(info))
}

pub fn decode_request_field(record: &mut Struct) -> KojiResult<()> {
    if let Some(Value::String(text)) = record.get("request") {
        let params = decode_request(text)?;
        record.insert("request".into(), Value::Array(params));
    }
    Ok(())
}

/// `getTaskResult`: the stored value; a FAILED task's stored fault is raised (or returned as a struct).
pub async fn task_result(db: &impl GenericClient, id: i32, raise_fault: bool) -> KojiResult<Value> {
    let (state, _, result) = q::request_and_result(db, id).await?.ok_or_else(|| KojiError::generic("No such task"))?;
    match state {
        q::CANCELED => return Err(KojiError::generic(format!("Task {id} is canceled"))),
        q::CLOSED | q::FAILED => {}
        _ => return Err(KojiError::generic(format!("Task {id} is not finished"))),
    }
    let text = document_text(result.as_deref().unwrap_or(""));
    match xmlrpc::parse_method_response(text.as_bytes(), Limits::default()) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(fault)) if raise_fault => Err(KojiError::Fault { code: fault.code, message: fault.message }),
        Ok(Err(fault)) => Ok(crate::rpc::fault_struct(&KojiError::Fault { code: fault.code, message: fault.message })),
        Err(e) => Err(KojiError::generic(format!("stored task result is unreadable: {e}"))),
    }
}

pub async fn task_request(db: &impl GenericClient, id: i32) -> KojiResult<Vec<Value>> {
    let (_, request, _) =
        q::request_and_result(db, id).await?.ok_or_else(|| KojiError::generic(format!("No such task: {id}")))?;
    decode_request(&request)
}

/// Koji lets the task's owner, the host running it, or an admin act on a task.
async fn assert_owner_host_or_admin(ctx: &CallCtx, task: &q::TaskCore) -> KojiResult<()> {
    let s = ctx.require_login()?;
    if task.owner == s.user_id {
        return Ok(());
    }
    if let Some(host) = crate::rpc::host::host_id_of(ctx).await?
        && task.state == q::OPEN
        && task.host_id == Some(host)
    {
        return Ok(());
    }
    ctx.assert_perm("admin").await.map(|_| ())
}

async fn locked_task(tx: &impl GenericClient, id: i32) -> KojiResult<q::TaskCore> {
    q::core_for_update(tx, id).await?.ok_or_else(|| KojiError::generic(format!("No such task: {id}")))
}

pub async fn cancel_task(ctx: &CallCtx, id: i32, recurse: bool) -> KojiResult<()> {
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let task = locked_task(&tx, id).await?;
    assert_owner_host_or_admin(ctx, &task).await?;
    let canceled = q::cancel(&tx, id, recurse).await?;
    tx.commit().await?;
    ctx.committed();
    tracing::info!(task = id, canceled = canceled.len(), "task canceled");
    Ok(())
}

pub async fn cancel_children(ctx: &CallCtx, id: i32) -> KojiResult<()> {
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let task = locked_task(&tx, id).await?;
    assert_owner_host_or_admin(ctx, &task).await?;
    for child in q::children(&tx, id, false).await? {
        if let Some(cid) = child.get("id").and_then(Value::as_i64) {
            q::cancel(&tx, cid as i32, true).await?;
        }
    }
    tx.commit().await?;
    ctx.committed();
    Ok(())
}

/// `cancelTaskFull`: the whole tree; with `strict`, only a top-level task may be named.
pub async fn cancel_full(ctx: &CallCtx, id: i32, strict: bool) -> KojiResult<()> {
    ctx.assert_perm("admin").await?;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let task = locked_task(&tx, id).await?;
    let root = match (task.parent, strict) {
        (Some(p), true) => return Err(KojiError::generic(format!("Task {id} is not top-level (parent={p})"))),
        (Some(_), false) => q::root_of(&tx, id).await?,
        (None, _) => id,
    };
    q::cancel_tree(&tx, root).await?;
    tx.commit().await?;
    ctx.committed();
    Ok(())
}

pub async fn free_task(ctx: &CallCtx, id: i32) -> KojiResult<()> {
    ctx.assert_perm("admin").await?;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let task = locked_task(&tx, id).await?;
    if matches!(task.state, q::CLOSED | q::CANCELED | q::FAILED) {
        return Err(KojiError::generic(format!("Cannot free task {id}, state is {}", q::state_name(task.state))));
    }
    q::free(&tx, &[id], None).await?;
    tx.commit().await?;
    ctx.committed();
    Ok(())
}

pub async fn set_priority(ctx: &CallCtx, id: i32, priority: i32, recurse: bool) -> KojiResult<()> {
    ctx.assert_perm("admin").await?;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    locked_task(&tx, id).await?;
    q::set_priority(&tx, id, priority, recurse).await?;
    tx.commit().await?;
    ctx.committed();
    Ok(())
}

/// `resubmitTask`: a new task with the same method, arguments, arch, channel and priority.
pub async fn resubmit(ctx: &CallCtx, id: i32) -> KojiResult<i32> {
    let s = ctx.require_login()?.clone();
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let task = locked_task(&tx, id).await?;
    if task.owner != s.user_id {
        ctx.assert_perm("admin").await?;
    }
    if task.parent.is_some() {
        return Err(KojiError::generic(format!("Task {id} is not a top-level task")));
    }
    if !matches!(task.state, q::CANCELED | q::FAILED) {
        return Err(KojiError::generic(format!("Task {id} is not canceled or failed")));
    }
    let info = q::info(&tx, id, false).await?.ok_or_else(|| KojiError::generic(format!("No such task: {id}")))?;
    let channel: String = {
        let st = tx.prepare_cached("SELECT name FROM channels WHERE id = $1").await?;
        tx.query_one(&st, &[&(info.get("channel_id").and_then(Value::as_i64).unwrap_or(1) as i32)]).await?.get(0)
    };
    let spec = TaskSpec {
        method: task.method.clone(),
        params: task_request(&tx, id).await?,
        owner: task.owner,
        channel: Some(channel),
        arch: info.get("arch").and_then(Value::as_str).map(str::to_owned),
        priority: info.get("priority").and_then(Value::as_i64).map(|p| p as i32),
        ..Default::default()
    };
    let new_id = make_task(&tx, spec).await?;
    tx.commit().await?;
    ctx.committed();
    Ok(new_id)
}

/// `getAverageBuildDuration`: mean seconds of the package's completed builds (optionally in the last `age`
/// months), which kojid turns into a buildArch weight.
pub async fn average_build_duration(
    db: &impl GenericClient,
    package: &str,
    age_months: Option<i32>,
) -> KojiResult<Option<f64>> {
    let st = db
        .prepare_cached(
            "SELECT date_part('epoch', avg(build.completion_time - build.start_time))::float8 FROM build \
             JOIN package ON package.id = build.pkg_id WHERE package.name = $1 AND build.state = 1 \
             AND build.start_time IS NOT NULL \
             AND ($2::int4 IS NULL OR build.completion_time > NOW() - make_interval(months => $2))",
        )
        .await?;
    Ok(db.query_one(&st, &[&package, &age_months]).await?.get(0))
}

/// Records of tasks as `getTaskDescendents` returns them: `{str(parent): [child records]}` for the whole tree.
pub async fn descendents(db: &impl GenericClient, root: i32, request: bool) -> KojiResult<Struct> {
    let mut out = Struct::new();
    out.insert(root.to_string(), Value::Array(vec![]));
    for mut record in db::tasks::descendants(db, root, request).await? {
        decode_request_field(&mut record)?;
        let parent = record.get("parent").and_then(Value::as_i64).unwrap_or_default().to_string();
        let id = record.get("id").and_then(Value::as_i64).unwrap_or_default().to_string();
        out.entry(id).or_insert_with(|| Value::Array(vec![]));
        if let Some(Value::Array(children)) = out.get_mut(&parent) {
            children.push(Value::Struct(record));
        }
    }
    Ok(out)
}

/// A task's work directory: `KojiDir/work/tasks/<id % 10000>/<id>`.
pub fn work_dir(koji_dir: &std::path::Path, task: i32) -> std::path::PathBuf {
    koji_dir.join("work/tasks").join((task % 10000).to_string()).join(task.to_string())
}

/// `downloadTaskOutput`: `size` bytes (all with a negative size) from `offset` (from the end when negative)
/// of a file the task produced. The caller sends it base64-encoded, as Koji does.
pub fn read_output(dir: &std::path::Path, task: i32, name: &str, offset: i64, size: i64) -> KojiResult<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    if name.split('/').any(|part| part == "..") || name.starts_with('/') {
        return Err(KojiError::generic(format!("Invalid file name: {name}")));
    }
    let path = dir.join(name);
    let missing = || KojiError::generic(format!("no file \"{name}\" output by task {task}"));
    let mut f = std::fs::File::open(&path).map_err(|_| missing())?;
    if !f.metadata().map_err(|_| missing())?.is_file() {
        return Err(missing());
    }
    let pos = if offset < 0 { SeekFrom::End(offset) } else { SeekFrom::Start(offset as u64) };
    f.seek(pos).map_err(|e| KojiError::generic(format!("cannot seek in {name}: {e}")))?;
    let mut out = vec![];
    let read = if size < 0 { f.read_to_end(&mut out) } else { f.take(size as u64).read_to_end(&mut out) };
    read.map_err(|e| KojiError::generic(format!("cannot read {name}: {e}")))?;
    Ok(out)
}

/// Files below a task's work directory, with paths relative to it, sorted.
pub fn output_files(dir: &std::path::Path) -> Vec<(String, std::fs::Metadata)> {
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                stack.push(e.path());
            } else if let Ok(rel) = e.path().strip_prefix(dir) {
                out.push((rel.to_string_lossy().into_owned(), meta));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_follow_kojis_handlers() {
        assert_eq!(method_weight("build"), 0.2);
        assert_eq!(method_weight("buildArch"), 1.5);
        assert_eq!(method_weight("createrepo"), 1.5);
        assert_eq!(method_weight("newRepo"), 0.1);
        assert_eq!(method_weight("somethingElse"), 1.0);
        assert_eq!(build_arch_weight(None), 1.5);
        assert_eq!(build_arch_weight(Some(4800.0)), 2.5);
        assert_eq!(build_arch_weight(Some(1e9)), 19.5);
    }

    #[test]
    fn legacy_base64_requests_decode() {
        let xml = xmlrpc::encode_call("build", &[Value::from("x.src.rpm")]);
        let b64 = base64::engine::general_purpose::STANDARD.encode(xml.as_bytes());
        assert_eq!(decode_request(&b64).unwrap(), vec![Value::from("x.src.rpm")]);
        assert_eq!(decode_request(&xml).unwrap(), vec![Value::from("x.src.rpm")]);
    }
}
