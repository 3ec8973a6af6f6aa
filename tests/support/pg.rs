//! A private, throwaway PostgreSQL cluster per test process, with a fresh
//! database per test.
//!
//! There is no Docker here, and the server refuses to run as root, so when the
//! tests run as root the cluster runs as the `postgres` system user. Its data
//! directory and unix socket live in a private temp dir, and TCP listens on a
//! free port of 127.0.0.1 only, so any number of test binaries can run side by
//! side. Durability is switched off: a test database is never reused.

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use super::{free_port, run_ok, unique_dir};

/// Where the server binaries are; `KOJI_RS_PGBIN` overrides the Debian 12 path.
pub fn bin_dir() -> PathBuf {
    std::env::var_os("KOJI_RS_PGBIN").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/usr/lib/postgresql/15/bin"))
}

#[derive(Debug)]
pub struct PgCluster {
    /// Holds `data/` (PGDATA), the unix socket and `server.log`.
    dir: PathBuf,
    port: u16,
    /// uid and gid the server runs as, when we are root and must switch.
    run_as: Option<(u32, u32)>,
    next_db: AtomicU32,
}

/// Where to reach one test database. `host` is the socket directory, which
/// libpq (and the hub's `DBHost`) treat as a unix-socket path since it starts
/// with `/`; the server also listens on `127.0.0.1:port`.
#[derive(Clone, Debug)]
pub struct DbInfo {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub dbname: String,
}

impl PgCluster {
    /// The cluster of this test process, started on first use. A `static` is
    /// never dropped, so cleanup is left to the watchdog started with it.
    pub fn shared() -> &'static PgCluster {
        static SHARED: OnceLock<PgCluster> = OnceLock::new();
        SHARED.get_or_init(PgCluster::start)
    }

    fn start() -> PgCluster {
        let bin = bin_dir();
        if !bin.join("initdb").exists() {
            panic!(
                "PostgreSQL server binaries not found in {} (set KOJI_RS_PGBIN, or run deploy/install-deps.sh)",
                bin.display()
            );
        }
        let run_as = if running_as_root() { Some(postgres_ids()) } else { None };
        let dir = unique_dir("pg");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod pg dir");
        if let Some((uid, gid)) = run_as {
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).expect("chown pg dir to postgres");
        }
        // Before anything can fail, so even a half-made cluster is removed.
        start_watchdog(&dir, &bin, run_as);

        let cluster = PgCluster { dir, port: free_port(), run_as, next_db: AtomicU32::new(0) };
        run_ok(
            cluster.pg_command("initdb").arg("-D").arg(cluster.data_dir()).args(["-A", "trust", "-U", "koji"]).args([
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ]),
        );
        let options = format!(
            "-k {} -p {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=200 -c autovacuum=off",
            cluster.dir.display(),
            cluster.port
        );
        let log = cluster.dir.join("server.log");
        let started = cluster
            .pg_command("pg_ctl")
            .arg("-D")
            .arg(cluster.data_dir())
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "60", "-o", &options, "start"])
            .stdin(Stdio::null())
            .output()
            .expect("run pg_ctl start");
        if !started.status.success() {
            panic!(
                "pg_ctl start failed: {}{}\n--- server.log\n{}",
                String::from_utf8_lossy(&started.stdout),
                String::from_utf8_lossy(&started.stderr),
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        cluster
    }

    /// The directory holding data, socket and log; removed by the watchdog.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's log, for a test that fails on a database error.
    pub fn server_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// A new empty database, named uniquely within this cluster, owned by
    /// the `koji` superuser that initdb created.
    pub fn create_database(&self) -> DbInfo {
        let n = self.next_db.fetch_add(1, Ordering::Relaxed);
        let dbname = format!("koji_test_{n}");
        self.db("postgres").psql(&format!("CREATE DATABASE {dbname}"));
        self.db(&dbname)
    }

    fn db(&self, dbname: &str) -> DbInfo {
        DbInfo {
            host: self.dir.to_string_lossy().into_owned(),
            port: self.port,
            user: "koji".to_owned(),
            dbname: dbname.to_owned(),
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// A server binary run as the cluster's owner. The working directory is
    /// the cluster's own, which the `postgres` user can always enter.
    fn pg_command(&self, name: &str) -> Command {
        let mut cmd = Command::new(bin_dir().join(name));
        cmd.current_dir(&self.dir);
        if let Some((uid, gid)) = self.run_as {
            // std drops supplementary groups itself when uid is set as root.
            cmd.uid(uid).gid(gid);
        }
        cmd
    }
}

impl DbInfo {
    /// The newest event id.
    pub fn last_event(&self) -> i64 {
        self.psql("SELECT max(id) FROM events").trim().parse().expect("an event id")
    }

    /// Runs `sql` with `psql -At` (unaligned, tuples only: one row a line,
    /// columns separated by `|`) and returns stdout. The script goes through
    /// stdin, so several statements may be given and the first error stops it
    /// (and panics, with psql's stderr).
    pub fn psql(&self, sql: &str) -> String {
        let mut child = Command::new(bin_dir().join("psql"))
            .args(["-At", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", &self.host])
            .args(["-p", &self.port.to_string(), "-U", &self.user, "-d", &self.dbname])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run psql");
        // psql reads all of stdin before it exits, so writing first cannot
        // deadlock on its output.
        child.stdin.take().unwrap().write_all(sql.as_bytes()).expect("write to psql");
        let out = child.wait_with_output().expect("wait for psql");
        if !out.status.success() {
            panic!(
                "psql on {} failed ({}):\n{sql}\n--- stderr\n{}",
                self.dbname,
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// Whether this process runs as root: `/proc/self` belongs to our
/// effective uid, which saves a dependency on libc for `geteuid`.
fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

fn postgres_ids() -> (u32, u32) {
    let id = |flag: &str| -> u32 {
        let out = run_ok(Command::new("id").args([flag, "postgres"]));
        out.trim().parse().unwrap_or_else(|_| panic!("id {flag} postgres printed {out:?}"))
    };
    (id("-u"), id("-g"))
}

/// Starts a detached `sh` that waits for this process to end, however it ends
/// (return, panic, SIGKILL), then stops the cluster and removes `dir`.
///
/// It polls once a second. A zombie still answers `kill -0`, so the state
/// letter in /proc is checked too. It runs in its own process group, so the
/// Ctrl-C or the group kill that ends the tests (nextest does that on
/// timeouts) does not end it as well, and with stdio on /dev/null, so the test
/// runner never waits for it to close our output pipes. It is never waited
/// for: it is meant to outlive us.
#[allow(clippy::zombie_processes)]
fn start_watchdog(dir: &Path, bin: &Path, run_as: Option<(u32, u32)>) {
    const SCRIPT: &str = r#"
pid=$1 dir=$2; shift 2
alive() { s=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null) && [ "${s%% *}" != Z ]; }
while kill -0 "$pid" 2>/dev/null && alive; do sleep 1; done
"$@" -D "$dir/data" -m immediate -w stop
rm -rf "$dir"
"#;
    let mut cmd = Command::new("sh");
    cmd.args(["-c", SCRIPT, "koji-rs-pg-watchdog"]).arg(std::process::id().to_string()).arg(dir);
    if let Some((uid, gid)) = run_as {
        // The watchdog itself stays root: as another user `kill -0` on this
        // process would fail and look like it had exited.
        cmd.args(["setpriv", &format!("--reuid={uid}"), &format!("--regid={gid}"), "--clear-groups", "--"]);
    }
    cmd.arg(bin.join("pg_ctl"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("start the PostgreSQL watchdog");
}
