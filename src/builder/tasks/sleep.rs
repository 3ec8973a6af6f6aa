//! Koji's `SleepTask` (`sleep n`): a test task. It sleeps in a child process, so canceling it shows that the
//! task's processes are killed.

use crate::builder::task::{TaskArgs, TaskCtx, TaskError, TaskResult};
use crate::xmlrpc::Value;
use std::sync::Arc;

pub const METHODS: &[&str] = &["sleep"];
pub const WEIGHT: f64 = 1.0;

pub async fn handle(ctx: Arc<TaskCtx>, args: TaskArgs) -> TaskResult {
    let n = args.int(0, "n")?;
    let mut cmd = tokio::process::Command::new("sleep");
    cmd.arg(n.to_string());
    let status = ctx.run(&mut cmd, &ctx.workdir.join("sleep.log")).await?;
    if !status.success() {
        return Err(TaskError::generic(format!("sleep {n} failed: {status}")));
    }
    Ok(Value::Nil)
}
