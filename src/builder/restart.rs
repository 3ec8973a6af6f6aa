//! What Koji's `TaskManager` keeps for `restart`/`restartVerify`: when this daemon process started, and whether
//! a graceful restart is pending. The `restart` task sets the flag; the daemon then takes no new work, lets
//! its running tasks finish and re-executes itself with the same argv (no supervisor needed); the
//! `restartVerify` task, run by the new process, checks its start time is after the restart task finished.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

pub struct DaemonState {
    /// This process's start, seconds since the epoch (Koji's `start_ts`); a re-exec starts anew.
    pub start_ts: f64,
    pending: AtomicBool,
    /// Told when a restart becomes pending.
    pub changed: Notify,
}

impl Default for DaemonState {
    fn default() -> Self {
        let start_ts = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
        DaemonState { start_ts, pending: AtomicBool::new(false), changed: Notify::new() }
    }
}

impl DaemonState {
    /// Koji's `restart_pending = True`.
    pub fn request_restart(&self) {
        self.pending.store(true, Ordering::Relaxed);
        self.changed.notify_one();
    }

    pub fn restart_pending(&self) -> bool {
        self.pending.load(Ordering::Relaxed)
    }
}

/// Replaces this process with a fresh run of the same program and arguments (Koji's kojid re-execs on
/// `ServerRestart`). Returns only if the exec failed.
pub fn reexec() -> std::io::Error {
    use std::os::unix::process::CommandExt;
    let mut args = std::env::args_os();
    let program = args.next().unwrap_or_else(|| "kojid".into());
    // /proc/self/exe still runs this binary if its file was replaced meanwhile.
    std::process::Command::new("/proc/self/exe").arg0(program).args(args).exec()
}
