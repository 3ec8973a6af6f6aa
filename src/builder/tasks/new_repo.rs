//! Koji's `NewRepoTask` (`newRepo tag, event=None, src=False, debuginfo=False, separate_src=False,
//! opts=None`): `host.repoInit` lays the repo out on the hub, one `createrepo` child per arch dir makes its
//! metadata, and `host.repoDone` moves it in and marks the repo READY. Needs `topdir` (read-only is enough).

use crate::builder::task::{TaskArgs, TaskCtx, TaskError, TaskResult, field, field_str, kwargs};
use crate::xmlrpc::{Struct, Value};
use std::sync::Arc;

pub const METHODS: &[&str] = &["newRepo"];
pub const WEIGHT: f64 = 0.1;

pub async fn handle(ctx: Arc<TaskCtx>, args: TaskArgs) -> TaskResult {
    let tag = args.required(0, "tag")?.clone();
    let tag_ref = match &tag {
        Value::Struct(s) => s.get("id").cloned().unwrap_or_default(),
        other => other.clone(),
    };
    let event = args.get(1, "event").cloned();
    let mut opts = args.opts(5, "opts");
    for (i, legacy) in [(2, "src"), (3, "debuginfo"), (4, "separate_src")] {
        if let Some(v) = args.get(i, legacy).filter(|v| v.truthy()) {
            opts.entry(legacy.to_owned()).or_insert(v.clone());
        }
    }
    let info = ctx.call("getTag", vec![tag_ref, Value::Bool(true), event.clone().unwrap_or_default()]).await?;
    if !ctx.config.topdir.join("repos").is_dir() {
        return Err(TaskError::Refuse("No access to repos dir".into()));
    }
    let mut kw = vec![("opts", Value::Struct(opts)), ("task_id", Value::Int(ctx.id.into()))];
    if let Some(e) = event {
        kw.push(("event", e));
    }
    let init = ctx.call("host.repoInit", vec![field(&info, "id").cloned().unwrap_or_default(), kwargs(kw)]).await?;
    let pair = init.as_array().unwrap_or_default();
    let (repo_id, event_id) = (pair.first().cloned().unwrap_or_default(), pair.get(1).cloned().unwrap_or_default());
    let repodir = ctx
        .config
        .topdir
        .join("repos")
        .join(field_str(&info, "name")?)
        .join(repo_id.as_i64().unwrap_or_default().to_string());
    let mut arches: Vec<String> = std::fs::read_dir(&repodir)
        .map_err(|e| TaskError::generic(format!("{}: {e}", repodir.display())))?
        .filter_map(Result::ok)
        .filter(|e| e.file_name() != "groups" && e.path().join("pkglist").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    arches.sort();
    let oldrepo = match ctx.call("getRepo", vec![field(&info, "id").cloned().unwrap_or_default()]).await {
        Ok(v) if !v.is_nil() => v,
        _ => Value::Nil,
    };
    let mut children = Vec::new();
    for arch in &arches {
        let args = vec![repo_id.clone(), arch.as_str().into(), oldrepo.clone()];
        children.push((arch.clone(), ctx.subtask("createrepo", args, arch, Some("noarch")).await?));
    }
    let ids: Vec<i32> = children.iter().map(|(_, id)| *id).collect();
    let results: std::collections::HashMap<i32, Value> = ctx.wait(&ids, true, true, &[]).await?.into_iter().collect();
    let data: Struct =
        children.iter().map(|(arch, id)| (arch.clone(), results.get(id).cloned().unwrap_or_default())).collect();
    ctx.call("host.repoDone", vec![repo_id.clone(), Value::Struct(data)]).await?;
    Ok(Value::Array(vec![repo_id, event_id]))
}
