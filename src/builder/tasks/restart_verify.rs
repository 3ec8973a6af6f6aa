//! Koji's `RestartVerifyTask` (`restartVerify task_id host`): stage two, pinned to `host`, so it runs in the
//! restarted daemon. It checks the `restart` task closed and that this process started after it did.

use super::restart::assert_same_host;
use crate::builder::task::{TaskArgs, TaskCtx, TaskError, TaskResult, field};
use crate::db::tasks::STATE_NAMES as STATES;
use crate::xmlrpc::Value;
use std::sync::Arc;

pub const METHODS: &[&str] = &["restartVerify"];
pub const WEIGHT: f64 = 0.1;

pub async fn handle(ctx: Arc<TaskCtx>, args: TaskArgs) -> TaskResult {
    let task_id = args.int(0, "task_id")?;
    let info = ctx.call("getTaskInfo", vec![Value::Int(task_id)]).await?;
    let state = field(&info, "state").and_then(Value::as_i64).unwrap_or(-1);
    if state != 2 {
        let name = usize::try_from(state).ok().and_then(|s| STATES.get(s)).copied().unwrap_or("unknown");
        return Err(TaskError::generic(format!("Stage one restart task is {name}")));
    }
    assert_same_host(&ctx, args.required(1, "host")?).await?;
    let completed = match field(&info, "completion_ts") {
        Some(Value::Double(ts)) => *ts,
        Some(Value::Int(ts)) => *ts as f64,
        _ => return Err(TaskError::generic(format!("task {task_id} has no completion time"))),
    };
    if ctx.daemon.start_ts < completed {
        let start = chrono::DateTime::from_timestamp(ctx.daemon.start_ts as i64, 0)
            .map_or_else(String::new, |t| t.with_timezone(&chrono::Local).format("%a %b %e %H:%M:%S %Y").to_string());
        return Err(TaskError::generic(format!("Restart failed - start time is {start}")));
    }
    Ok(Value::Nil)
}
