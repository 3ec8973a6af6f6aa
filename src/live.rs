//! Live updates for watchers (the web UI's streams): what changed, as the hub learns it after commit.
//!
//! Every hub process fans the database's notifications out to its own watchers: `koji_task` (a task row changed,
//! sent by the task queries in the committing transaction) and `koji_task_output` (a task's output file grew,
//! sent after an upload chunk lands). Both arrive through `crate::notify`'s listener, so a change made through
//! any hub of the farm reaches the watchers of every hub. Events are hints that name what to re-read; a watcher
//! that lags behind is told so and re-reads everything it shows.

use crate::rpc::CallCtx;
use tokio::sync::broadcast;

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveEvent {
    /// The task's row changed (state, host, result...).
    Task(i32),
    /// One of the task's output files grew.
    Output(i32),
}

impl LiveEvent {
    /// The line form used on the `/koji/live` feed that remote web UIs follow (`task 12`, `output 12`).
    pub fn to_line(self) -> String {
        match self {
            LiveEvent::Task(id) => format!("task {id}"),
            LiveEvent::Output(id) => format!("output {id}"),
        }
    }

    pub fn from_line(line: &str) -> Option<LiveEvent> {
        let (kind, id) = line.trim().split_once(' ')?;
        let id = id.parse().ok()?;
        match kind {
            "task" => Some(LiveEvent::Task(id)),
            "output" => Some(LiveEvent::Output(id)),
            _ => None,
        }
    }
}

/// The hub's fan-out of live events; cloning shares it.
#[derive(Clone)]
pub struct LiveFeed(broadcast::Sender<LiveEvent>);

/// Events a slow watcher may fall behind by before it is told it lagged.
const BACKLOG: usize = 4096;

impl Default for LiveFeed {
    fn default() -> Self {
        LiveFeed(broadcast::channel(BACKLOG).0)
    }
}

impl LiveFeed {
    pub fn publish(&self, event: LiveEvent) {
        // No watcher is not an error.
        let _ = self.0.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.0.subscribe()
    }
}

/// Tells every hub that `task`'s output grew. Best effort: a lost hint only delays a log tail.
pub async fn announce_output(ctx: &CallCtx, task: i32) {
    let result = async {
        let db = ctx.db().await?;
        let st = db.prepare_cached("SELECT pg_notify('koji_task_output', $1::int4::text)").await?;
        db.execute(&st, &[&task]).await?;
        Ok::<_, crate::fault::KojiError>(())
    }
    .await;
    if let Err(e) = result {
        tracing::debug!(task, error = %e, "could not announce task output");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_lines_round_trip() {
        for e in [LiveEvent::Task(7), LiveEvent::Output(123456)] {
            assert_eq!(LiveEvent::from_line(&e.to_line()), Some(e));
        }
        assert_eq!(LiveEvent::from_line("nonsense"), None);
        assert_eq!(LiveEvent::from_line("task x"), None);
    }
}
