//! The Rust `kojid` (rpmbuild backend) as a child process of a test, with its own config and work dir, and
//! the build target the build tests use.

use super::TempDir;
use super::cli::KojiCli;
use super::fleet::wait_for;
use super::hub::Hub;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// One `kojid` process logged in as a host user (password "pw", as [`super::fleet::add_host`] makes it);
/// killed when dropped, its log kept in the temp dir if the test is failing.
pub struct Kojid {
    child: Option<Child>,
    dir: TempDir,
}

impl Kojid {
    /// Starts `kojid --force-lock` as host `user` against `hub`; `extra` is more `[kojid]` lines
    /// (each ending in a newline). `--force-lock` lets a restarted builder take over its host's session.
    pub fn start(hub: &Hub, user: &str, extra: &str) -> Kojid {
        let dir = TempDir::new("kojid");
        // Without a user, `extra` says how it logs in (a certificate).
        let auth = if user.is_empty() { String::new() } else { format!("user = {user}\npassword = pw\n") };
        let conf = dir.path().join("kojid.conf");
        std::fs::write(
            &conf,
            format!(
                "[kojid]\nserver = {}\ntopurl = {}/kojifiles\ntopdir = {}\nworkdir = {}\nmockdir = {}\n\
                 {auth}backend = rpmbuild\nmaxjobs = 4\nminspace = 1\n{extra}",
                hub.url(),
                hub.base_url(),
                hub.koji_dir().display(),
                dir.path().join("work").display(),
                dir.path().display(),
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("kojid.log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_kojid"))
            .arg("--config")
            .arg(&conf)
            .arg("--force-lock")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start kojid");
        Kojid { child: Some(child), dir }
    }

    /// Everything the daemon printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("kojid.log")).unwrap_or_default()
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().expect("running").id() as i32
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(self.pid(), sig) };
    }

    /// Waits (at most `timeout`) for the process to exit and returns its exit code.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let mut child = self.child.take().expect("running");
        let status = wait_for("kojid to exit", timeout, || child.try_wait().unwrap());
        status.code()
    }
}

impl Drop for Kojid {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let name = self.dir.path().file_name().unwrap().to_string_lossy().into_owned();
            let path = std::env::temp_dir().join(format!("{name}.log"));
            let _ = std::fs::write(&path, self.log());
            eprintln!("kojid log kept in {}", path.display());
        }
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Tags `dest` and `dest-build` (child of `dest`, x86_64, dist `.kt1`), target `t1` building in
/// `dest-build` into `dest`, and `packages` listed in `dest` owned by kojiadmin; `cli` is the admin.
pub fn add_build_target(cli: &KojiCli, packages: &[&str]) {
    let mut add_pkg = vec!["add-pkg", "--owner", "kojiadmin", "dest"];
    add_pkg.extend_from_slice(packages);
    for args in [
        &["add-tag", "dest"][..],
        &["add-tag", "dest-build", "--parent", "dest", "--arches", "x86_64"],
        &["edit-tag", "dest-build", "-x", "rpm.macro.dist=.kt1"],
        &["add-target", "t1", "dest-build", "dest"],
        &add_pkg,
    ] {
        cli.run(args).assert_success();
    }
}
