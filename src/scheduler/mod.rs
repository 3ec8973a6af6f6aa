//! Task placement, as a pure in-memory model the `TaskScheduler` actor drives.
//!
//! ```text
//!  task events ──► queue.rs     per-(channel, arch) bins of FREE tasks, ordered (priority, create_ts, id)
//!  host events ──► state.rs     hosts with capacity/load; each eligible host indexed per bin by rank
//!                    │
//!                    ▼  place(): bins with work, merged by queue-head priority
//!                 rank.rs      eligibility (ready, enabled, refusals, capacity − load > max(0, w − overcommit),
//!                              ntasks < maxjobs) and host choice (lowest load + ntasks, then host id)
//!                    │
//!                    ▼  Assignment{task, host}, applied in memory at once
//!  actors/task_scheduler.rs    persists a batch (one UPDATE … WHERE state = 0, one INSERT of runs), then tells
//!                              builders; rows that lost a race are reconciled from the database
//! ```
//!
//! No 1,000-task window: every FREE task is in its bin, and an unplaceable task is skipped, never blocking.

pub mod queue;
pub mod rank;
pub mod state;

pub use state::{Assignment, HostSpec, State, TaskRow};

/// `(channel_id, arch)`: a task's bin; a host serves `(c, a)` for each enabled channel `c` it is in and each of
/// its arches plus `noarch`.
pub type Bin = (i32, std::sync::Arc<str>);
