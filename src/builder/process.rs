//! The processes a task runs (rpmbuild, mock, git, createrepo_c), each in its own process group so that a
//! cancel, a timeout or the daemon's shutdown ends the whole tree: SIGTERM to the group, then SIGKILL after a
//! grace period (Koji's `_kill_children`). The direct child also gets SIGKILL if the daemon dies
//! (`PR_SET_PDEATHSIG`), so a SIGKILLed builder leaves no build running behind it.

use super::task::TaskError;
use std::collections::HashSet;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::Duration;

#[derive(Default)]
pub struct ProcessGroups {
    groups: Mutex<HashSet<i32>>,
}

fn signal_group(pgid: i32, signal: libc::c_int) -> bool {
    // SAFETY: kill(2) has no memory effects; a negative pid names the process group.
    unsafe { libc::kill(-pgid, signal) == 0 }
}

impl ProcessGroups {
    /// Runs `cmd` to its end with stdout and stderr appended to `log`; killed (with its group) after
    /// `timeout`, which is an error.
    pub async fn run(
        &self,
        cmd: &mut tokio::process::Command,
        log: &Path,
        timeout: Duration,
        grace: Duration,
    ) -> Result<ExitStatus, TaskError> {
        let io = |e: std::io::Error| TaskError::generic(format!("{}: {e}", log.display()));
        let out = std::fs::OpenOptions::new().create(true).append(true).open(log).map_err(io)?;
        let err = out.try_clone().map_err(io)?;
        cmd.stdin(Stdio::null()).stdout(out).stderr(err).process_group(0);
        // SAFETY: prctl is async-signal-safe; it only sets this child's parent-death signal.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let program = format!("{:?}", cmd.as_std().get_program());
        let mut child = cmd.spawn().map_err(|e| TaskError::generic(format!("cannot run {program}: {e}")))?;
        let pgid = child.id().map(|p| p as i32);
        if let Some(p) = pgid {
            self.groups.lock().unwrap().insert(p);
        }
        let waited = tokio::time::timeout(timeout, child.wait()).await;
        let result = match waited {
            Ok(status) => status.map_err(|e| TaskError::generic(format!("waiting for {program}: {e}"))),
            Err(_) => {
                if let Some(p) = pgid {
                    kill_group(p, grace).await;
                }
                let _ = child.wait().await;
                Err(TaskError::build(format!("{program} timed out after {} s", timeout.as_secs())))
            }
        };
        if let Some(p) = pgid {
            // Whatever the leader left behind in its group goes with it.
            signal_group(p, libc::SIGKILL);
            self.groups.lock().unwrap().remove(&p);
        }
        result
    }

    /// Ends every group this task still runs.
    pub async fn kill_all(&self, grace: Duration) {
        let groups: Vec<i32> = self.groups.lock().unwrap().drain().collect();
        let kills = groups.into_iter().map(|g| kill_group(g, grace));
        futures_util::future::join_all(kills).await;
    }
}

/// SIGTERM to the group, SIGKILL once `grace` has passed with any member left.
async fn kill_group(pgid: i32, grace: Duration) {
    if !signal_group(pgid, libc::SIGTERM) {
        return;
    }
    let deadline = tokio::time::Instant::now() + grace;
    while tokio::time::Instant::now() < deadline && group_has_live_members(pgid) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    signal_group(pgid, libc::SIGKILL);
}

/// Whether a process of the group is still running (zombies waiting to be reaped do not count).
fn group_has_live_members(pgid: i32) -> bool {
    let Ok(dir) = std::fs::read_dir("/proc") else { return false };
    dir.filter_map(Result::ok).any(|e| {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else { return false };
        // pid (comm) state ppid pgrp …; comm may hold spaces, so split after its closing parenthesis.
        let Some((_, rest)) = stat.rsplit_once(')') else { return false };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        fields.len() > 2 && fields[0] != "Z" && fields[2] == pgid.to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_timeout_kills_the_whole_group() {
        let dir = std::env::temp_dir().join(format!("kojid-proc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("out.log");
        let groups = ProcessGroups::default();
        let mut cmd = tokio::process::Command::new("sh");
        cmd.args(["-c", "echo started; sleep 30 & sleep 30; echo never"]);
        let err = groups.run(&mut cmd, &log, Duration::from_millis(300), Duration::from_secs(2)).await.unwrap_err();
        assert!(err.to_string().contains("timed out"), "{err}");
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "started\n");
        assert!(groups.groups.lock().unwrap().is_empty());
        let mut ok = tokio::process::Command::new("true");
        assert!(groups.run(&mut ok, &log, Duration::from_secs(5), Duration::from_secs(1)).await.unwrap().success());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
