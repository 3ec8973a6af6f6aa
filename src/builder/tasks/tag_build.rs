//! Koji's `TagBuildTask` (`tagBuild tag_id, build_id, force=False, fromtag=None, ignore_success=False`):
//! `host.tagBuild` (the hub checks policy and the package list), then the tag notification.

use crate::builder::task::{TaskArgs, TaskCtx, TaskResult, field};
use crate::xmlrpc::Value;
use std::sync::Arc;

pub const METHODS: &[&str] = &["tagBuild"];
pub const WEIGHT: f64 = 1.0;

pub async fn handle(ctx: Arc<TaskCtx>, args: TaskArgs) -> TaskResult {
    let tag = args.required(0, "tag_id")?.clone();
    let build = args.required(1, "build_id")?.clone();
    let force = Value::Bool(args.get(2, "force").is_some_and(Value::truthy));
    let fromtag = args.get(3, "fromtag").cloned().unwrap_or_default();
    let ignore_success = Value::Bool(args.get(4, "ignore_success").is_some_and(Value::truthy));
    let task = ctx.call("getTaskInfo", vec![Value::Int(ctx.id.into())]).await?;
    let owner = field(&task, "owner").cloned().unwrap_or_default();
    let tagged = async {
        ctx.call("getBuild", vec![build.clone(), Value::Bool(true)]).await?;
        ctx.call("getTag", vec![tag.clone(), Value::Bool(true)]).await?;
        ctx.call("host.tagBuild", vec![Value::Int(ctx.id.into()), tag.clone(), build.clone(), force, fromtag.clone()])
            .await
    }
    .await;
    let mut note = vec![Value::Bool(tagged.is_ok()), tag, fromtag, build, owner, ignore_success];
    if let Err(e) = &tagged {
        note.push(Value::String(e.to_string()));
    }
    // Notifications are best effort: a hub without them still tags.
    if let Err(e) = ctx.hub.call("host.tagNotification", note).await {
        tracing::debug!(task = ctx.id, error = %e, "tagNotification");
    }
    tagged.map(|_| Value::Nil)
}
