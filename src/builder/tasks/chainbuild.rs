//! Koji's `ChainBuildTask` (`chainbuild srcs, target, opts`): builds level by level (`srcs` is a list of
//! levels, each a list of SCM URLs or NVRs of existing builds); before each level after the first it waits
//! (a `waitrepo` child) for a repo of the build tag that has the previous levels' builds.

use crate::builder::task::{TaskArgs, TaskCtx, TaskError, TaskResult, field, field_str, kwargs};
use crate::xmlrpc::Value;
use std::sync::Arc;

pub const METHODS: &[&str] = &["chainbuild"];
pub const WEIGHT: f64 = 0.1;

pub async fn handle(ctx: Arc<TaskCtx>, args: TaskArgs) -> TaskResult {
    let srcs = args.required(0, "srcs")?.as_array().unwrap_or_default().to_vec();
    let target = args.required(1, "target")?.clone();
    let opts = Value::Struct(args.opts(2, "opts"));
    if field(&opts, "scratch").is_some_and(Value::truthy) {
        return Err(TaskError::build("--scratch is not allowed with chain-builds"));
    }
    let target_info = ctx.call("getBuildTarget", vec![target.clone()]).await?;
    if target_info.is_nil() {
        return Err(TaskError::generic(format!("unknown build target: {target:?}")));
    }
    let build_tag = field_str(&target_info, "build_tag_name")?;
    let mut nvrs: Vec<Value> = Vec::new();
    for (level, sources) in srcs.iter().enumerate() {
        if !nvrs.is_empty() {
            let args = vec![build_tag.as_str().into(), Value::Nil, Value::Array(std::mem::take(&mut nvrs))];
            let wait = ctx.subtask("waitrepo", args, &format!("wait {level}"), None).await?;
            ctx.wait(&[wait], true, true, &[]).await?;
        }
        let mut builds = Vec::new();
        for (n, src) in sources.as_array().unwrap_or_default().iter().enumerate() {
            let text = src.as_str().unwrap_or_default();
            if text.contains("://") {
                let args = vec![src.clone(), target.clone(), opts.clone()];
                builds.push(ctx.subtask("build", args, &format!("build {level},{n}"), None).await?);
            } else {
                nvrs.push(src.clone());
            }
        }
        if !builds.is_empty() {
            ctx.wait(&builds, true, true, &[]).await?;
        }
        for task in builds {
            let found = ctx.call("listBuilds", vec![kwargs(vec![("taskID", Value::Int(task.into()))])]).await?;
            if let Some(b) = found.as_array().and_then(|a| a.first()) {
                nvrs.push(field(b, "nvr").cloned().unwrap_or_default());
            }
        }
    }
    Ok(Value::Nil)
}
