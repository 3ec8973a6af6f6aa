//! Koji's `WaitrepoTask` (`waitrepo tag, newer_than=None, nvrs=None, min_event=None`): waits until the hub has
//! a repo of the tag as of `min_event` (or, given `nvrs`, as of the tag's last change), and returns it. It asks with `repo.request` and then holds
//! `repo.waitRequest` (the koji-rs long poll: the hub answers when the request is fulfilled or after the
//! timeout), so it never sleeps on a timer.

use crate::builder::task::{TaskArgs, TaskCtx, TaskError, TaskResult, field, kwargs};
use crate::xmlrpc::Value;
use std::sync::Arc;

pub const METHODS: &[&str] = &["waitrepo"];
pub const WEIGHT: f64 = 0.2;

/// Seconds one `repo.waitRequest` is held by the hub.
const POLL: i64 = 60;
/// Koji's waitrepo TIMEOUT (120 min).
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120 * 60);

pub async fn handle(ctx: Arc<TaskCtx>, args: TaskArgs) -> TaskResult {
    let tag = args.required(0, "tag")?.clone();
    // Builds to wait for (a chain build's previous level) are tagged already: a repo as of the tag's last
    // change has them.
    let waits_for_builds = args.get(2, "nvrs").and_then(Value::as_array).is_some_and(|n| !n.is_empty());
    let min_event = match args.get(3, "min_event") {
        Some(e) => e.clone(),
        None if waits_for_builds => "last".into(),
        None => Value::Nil,
    };
    let answer = ctx.call("repo.request", vec![tag.clone(), kwargs(vec![("min_event", min_event)])]).await?;
    if let Some(repo) = field(&answer, "repo") {
        return Ok(repo.clone());
    }
    let request = field(&answer, "request")
        .and_then(|r| field(r, "id"))
        .cloned()
        .ok_or_else(|| TaskError::generic(format!("repo.request gave neither repo nor request: {answer:?}")))?;
    let start = std::time::Instant::now();
    loop {
        let check =
            ctx.call("repo.waitRequest", vec![request.clone(), kwargs(vec![("timeout", Value::Int(POLL))])]).await?;
        if let Some(repo) = field(&check, "repo") {
            return Ok(repo.clone());
        }
        let active = field(&check, "request").and_then(|r| field(r, "active")).is_some_and(Value::truthy);
        if !active {
            return Err(TaskError::generic(format!("Repo request {request:?} for {tag:?} is no longer active")));
        }
        if start.elapsed() > TIMEOUT {
            return Err(TaskError::generic(format!("Timed out waiting for a repo of {tag:?}")));
        }
    }
}
