//! Koji's `RestartTask` (`restart host`): stage one of a graceful restart, pinned to `host`. It only marks the
//! restart pending; the daemon then takes no new work, lets its running tasks (this one included) finish
//! and re-executes itself.

use crate::builder::task::{TaskArgs, TaskCtx, TaskError, TaskResult, field_int};
use crate::xmlrpc::Value;
use std::sync::Arc;

pub const METHODS: &[&str] = &["restart"];
pub const WEIGHT: f64 = 0.1;

pub async fn handle(ctx: Arc<TaskCtx>, args: TaskArgs) -> TaskResult {
    assert_same_host(&ctx, args.required(0, "host")?).await?;
    ctx.daemon.request_restart();
    tracing::info!(task = ctx.id, "graceful restart pending");
    Ok("graceful restart initiated".into())
}

/// The task names this host (a pinned task reached the host it was meant for).
pub async fn assert_same_host(ctx: &TaskCtx, host: &Value) -> Result<(), TaskError> {
    let me = ctx.call("host.getID", vec![]).await?;
    if Some(field_int(host, "id")?) != me.as_i64() {
        return Err(TaskError::generic("Host mismatch"));
    }
    Ok(())
}
