//! Shared harness for the integration tests: a private PostgreSQL ([`pg`]),
//! test certificates ([`certs`]), a running `koji-hub` ([`hub`]), the stock
//! Python `koji` CLI pointed at it ([`cli`]) and the Rust `kojid` ([`kojid`]).
//!
//! Each file in `tests/` is its own crate and includes this module with
//! `mod support;`, so each uses only part of it; hence the crate-wide
//! `dead_code` allowance below rather than per-item attributes.
#![allow(dead_code)]

pub mod certs;
pub mod cli;
pub mod fleet;
pub mod hub;
pub mod kojid;
pub mod pg;
pub mod rpc;
pub mod rpmbuild;

use std::io::Read;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// A directory under the system temp dir, removed with everything in it when
/// dropped. Names carry the process id and a counter, so parallel tests and
/// parallel test binaries never share one.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(what: &str) -> TempDir {
        TempDir { path: unique_dir(what) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Creates `$TMPDIR/koji-rs-<what>-<pid>-<n>`; a leftover of an earlier process
/// that had the same pid is skipped rather than reused.
fn unique_dir(what: &str) -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("koji-rs-{what}-{}-{n}", std::process::id()));
        match std::fs::create_dir(&path) {
            Ok(()) => return path,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => panic!("cannot create {}: {e}", path.display()),
        }
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago. The kernel picks it, so
/// concurrent tests get different ports; another process could still take it
/// before the server binds, which is rare enough to accept.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).and_then(|l| l.local_addr()).expect("bind 127.0.0.1:0").port()
}

/// Runs `cmd` to completion and returns its stdout, panicking with both output
/// streams if it cannot start or exits non-zero: harness set-up steps either
/// work or the test cannot mean anything.
fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    if !out.status.success() {
        panic!(
            "{cmd:?} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Output of a child run under [`run_with_timeout`].
struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Waits for `child` (spawned with piped stdout and stderr) for at most
/// `timeout`. Readers drain both pipes meanwhile so a chatty child cannot
/// block on a full pipe. On timeout the child is killed and the error carries
/// what it printed so far (stdout, stderr), so the caller can show it.
fn run_with_timeout(mut child: Child, timeout: Duration) -> Result<Finished, (String, String)> {
    fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
        thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    }
    let stdout = drain(child.stdout.take().expect("stdout piped"));
    let stderr = drain(child.stderr.take().expect("stderr piped"));
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(20));
    };
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    match status {
        Some(status) => Ok(Finished { status, stdout, stderr }),
        None => Err((stdout, stderr)),
    }
}
