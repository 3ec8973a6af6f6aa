//! Koji's `WaitTestTask` (`waittest count, seconds=10`): a test task that makes `count` `sleep` children
//! plus one bad one it may fail, and waits for all of them.

use crate::builder::task::{TaskArgs, TaskCtx, TaskResult};
use crate::xmlrpc::Value;
use std::sync::Arc;

pub const METHODS: &[&str] = &["waittest"];
pub const WEIGHT: f64 = 0.1;

pub async fn handle(ctx: Arc<TaskCtx>, args: TaskArgs) -> TaskResult {
    let count = args.int(0, "count")?;
    let seconds = args.get(1, "seconds").and_then(Value::as_i64).unwrap_or(10);
    let mut tasks = Vec::new();
    for i in 0..count {
        tasks.push(ctx.subtask("sleep", vec![Value::Int(seconds)], &i.to_string(), None).await?);
    }
    let bad = ctx.subtask("sleep", vec!["BAD:BAD".into()], "bad", None).await?;
    tasks.push(bad);
    let results = ctx.wait(&tasks, true, false, &[bad]).await?;
    Ok(Value::Int(results.len() as i64))
}
