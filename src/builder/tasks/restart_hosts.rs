//! Koji's `RestartHostsTask` (`restartHosts [options]`, made by the hub's `restartHosts`): picks the enabled
//! hosts (`channel`, `arches` options), pins a `restart` child on each, then a `restartVerify` child on each
//! and waits for all of them, up to `timeout` seconds each stage (default a day).
//!
//! Unlike Koji, the `restartVerify` children are made once the `restart` ones are done: a builder here runs
//! the tasks it is offered concurrently, not one by one in id order, so a verify made up front could run
//! before its host's restart. Made later, it is offered to a host whose restart is pending, which ignores
//! offers, and runs in the re-executed daemon.
//!
//! If this task runs on one of those hosts, it would hold up that host's restart: once the `restart`
//! children are done and the restart is pending here, the task is freed instead (Koji's `ServerRestart`);
//! run again elsewhere or after the restart, it re-attaches to its children by label.

use crate::builder::task::{TaskArgs, TaskCtx, TaskError, TaskResult, field_int, kwargs};
use crate::xmlrpc::{Struct, Value};
use std::sync::Arc;
use std::time::Duration;

pub const METHODS: &[&str] = &["restartHosts"];
pub const WEIGHT: f64 = 0.1;

pub async fn handle(ctx: Arc<TaskCtx>, args: TaskArgs) -> TaskResult {
    let options = args.opts(0, "options");
    let option = |name: &str| options.get(name).filter(|v| !v.is_nil()).cloned();
    let mut query = vec![("enabled", Value::Bool(true))];
    if let Some(channel) = option("channel") {
        let chan = ctx.call("getChannel", vec![channel, kwargs(vec![("strict", Value::Bool(true))])]).await?;
        query.push(("channelID", Value::Int(field_int(&chan, "id")?)));
    }
    if let Some(arches) = option("arches") {
        query.push(("arches", arches));
    }
    let hosts = ctx.call("listHosts", vec![kwargs(query)]).await?;
    let hosts = hosts.as_array().unwrap_or_default().to_vec();
    if hosts.is_empty() {
        return Err(TaskError::generic("No matching hosts"));
    }
    let timeout = Duration::from_secs(option("timeout").and_then(|t| t.as_i64()).unwrap_or(86400).max(0) as u64);

    let pin = |id: i64| Struct::from([("assign".to_owned(), Value::Int(id))]);
    let mut restarts = vec![];
    for host in &hosts {
        let id = field_int(host, "id")?;
        restarts.push(ctx.subtask_opts("restart", vec![host.clone()], &format!("restart {id}"), pin(id)).await?);
    }
    wait(&ctx, &restarts, timeout).await?;
    // Our own host restarts once this task is out of the way.
    if ctx.daemon.restart_pending() {
        return Err(TaskError::ServerRestart);
    }
    let mut verifies = vec![];
    for (host, restart) in hosts.into_iter().zip(&restarts) {
        let id = field_int(&host, "id")?;
        let args = vec![Value::Int((*restart).into()), host];
        verifies.push(ctx.subtask_opts("restartVerify", args, &format!("sleep {id}"), pin(id)).await?);
    }
    wait(&ctx, &verifies, timeout).await?;
    Ok(Value::Nil)
}

/// Koji's `wait(..., all=True, timeout=…)`: past the timeout the children are canceled and the task fails.
async fn wait(ctx: &TaskCtx, subtasks: &[i32], timeout: Duration) -> Result<(), TaskError> {
    match tokio::time::timeout(timeout, ctx.wait(subtasks, true, false, &[])).await {
        Ok(done) => done.map(drop),
        Err(_) => {
            ctx.call("cancelTaskChildren", vec![Value::Int(ctx.id.into())]).await?;
            Err(TaskError::generic("Subtasks timed out"))
        }
    }
}
