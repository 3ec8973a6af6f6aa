//! The Rust `kojid` end to end: a private PostgreSQL, the hub, real `kojid` processes (rpmbuild backend) and
//! the stock CLI. Task running (Koji's test tasks `sleep`/`waittest`), cancel and shutdown without orphan
//! processes, and the build flow: scratch, real (imported and tagged), from git, a `%build` failure, a
//! cancel, a builder killed mid-build, a duplicate NVR.
//!
//! Liveness is shortened (heartbeat 1 s, 2 missed, HostTimeout 3 s); waits are bounded generously.

mod support;

use koji_rs::xmlrpc::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::TempDir;
use support::cli::KojiCli;
use support::fleet::{ADMIN_PW, add_host, setup, task_field, wait_for};
use support::hub::Hub;
use support::pg::DbInfo;
use support::rpc::{Rpc, kwargs};

const LIVENESS: &[(&str, &str)] = &[("BuilderHeartbeat", "1"), ("MissedHeartbeats", "2"), ("HostTimeout", "3")];
const SOON: Duration = Duration::from_secs(30);
const BUILD: Duration = Duration::from_secs(120);

/// One `kojid` process with its own config and work dir; killed when dropped.
struct Kojid {
    child: Option<Child>,
    dir: TempDir,
}

impl Kojid {
    fn start(hub: &Hub, user: &str, extra: &str) -> Kojid {
        let dir = TempDir::new("kojid");
        let conf = dir.path().join("kojid.conf");
        std::fs::write(
            &conf,
            format!(
                "[kojid]\nserver = {}\ntopurl = {}/kojifiles\ntopdir = {}\nworkdir = {}\nmockdir = {}\n\
                 user = {user}\npassword = pw\nbackend = rpmbuild\nmaxjobs = 4\nminspace = 1\nkill_grace = 2\n\
                 push_reconnect_max = 2\n{extra}",
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

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("kojid.log")).unwrap_or_default()
    }

    fn pid(&self) -> i32 {
        self.child.as_ref().expect("running").id() as i32
    }

    fn signal(&self, sig: i32) {
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(self.pid(), sig) };
    }

    /// Waits for the process to exit and returns its exit code.
    fn wait_exit(&mut self) -> Option<i32> {
        let mut child = self.child.take().expect("running");
        let status = wait_for("kojid to exit", SOON, || child.try_wait().unwrap());
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

/// Keeps the hub's log in the temp dir when a test fails.
struct HubLog<'h>(&'h Hub);

impl Drop for HubLog<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let path = std::env::temp_dir().join(format!("koji-rs-hub-{}.log", std::process::id()));
            let _ = std::fs::write(&path, self.0.stderr_log());
            eprintln!("hub log kept in {}", path.display());
        }
    }
}

/// Pids whose command line is exactly `argv`.
fn processes(argv: &[&str]) -> Vec<u32> {
    let want = argv.join("\0") + "\0";
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
            (cmdline == want.as_bytes()).then_some(pid)
        })
        .collect()
}

/// `makeTask` with real arguments, as the admin.
fn make_task(admin: &mut Rpc, method: &str, args: Vec<Value>, arch: &str) -> i64 {
    admin.ok("makeTask", vec![method.into(), Value::Array(args), kwargs(&[("arch", arch.into())])]).as_i64().unwrap()
}

fn wait_state(db: &DbInfo, task: i64, state: &str, logs: &[&Kojid]) {
    let start = std::time::Instant::now();
    while task_field(db, task, "state") != state {
        if start.elapsed() > BUILD {
            let logs: Vec<String> = logs.iter().map(|k| k.log()).collect();
            panic!(
                "task {task} is in state {} (wanted {state}); result {}\n{}",
                task_field(db, task, "state"),
                task_field(db, task, "result"),
                logs.join("\n-----\n")
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_daemon_runs_waits_cancels_refuses_and_shuts_down() {
    let (db, hub) = setup(LIVENESS);
    let host = add_host(&db, "b1", "x86_64", 4.0, &["default"]);
    let mut admin = Rpc::login(&hub, "kojiadmin", ADMIN_PW);
    let mut kojid = Kojid::start(&hub, "b1", "");
    wait_for("b1 ready", SOON, || {
        (db.psql(&format!("SELECT ready FROM host WHERE id = {host}")).trim() == "t").then_some(())
    });

    // waittest: two sleep children and a bad one it may fail; the parent is woken, not polling.
    let parent = make_task(&mut admin, "waittest", vec![Value::Int(2), Value::Int(1)], "noarch");
    wait_state(&db, parent, "2", &[&kojid]);
    let children = db.psql(&format!("SELECT state FROM task WHERE parent = {parent} ORDER BY id"));
    assert_eq!(children.split_whitespace().collect::<Vec<_>>(), ["2", "2", "5"], "{children}");
    assert_eq!(task_field(&db, parent, "weight"), "0.1");

    // A task method without a handler is refused for good.
    let maven = make_task(&mut admin, "buildMaven", vec!["x".into()], "noarch");
    wait_for("a hard refusal", SOON, || {
        let r =
            db.psql(&format!("SELECT soft FROM scheduler_task_refusals WHERE task_id = {maven} AND host_id = {host}"));
        (r.trim() == "f").then_some(())
    });

    // koji cancel kills the task's process group.
    let cli = KojiCli::password(&hub, "kojiadmin", ADMIN_PW);
    let sleeper = make_task(&mut admin, "sleep", vec![Value::Int(3131)], "noarch");
    wait_for("sleep 3131 running", SOON, || (!processes(&["sleep", "3131"]).is_empty()).then_some(()));
    cli.run(&["cancel", &sleeper.to_string()]).assert_success();
    wait_for("sleep 3131 killed", SOON, || processes(&["sleep", "3131"]).is_empty().then_some(()));
    assert_eq!(task_field(&db, sleeper, "state"), "3");

    // SIGTERM: the running task is killed and freed, and kojid exits 0.
    let last = make_task(&mut admin, "sleep", vec![Value::Int(3132)], "noarch");
    wait_for("sleep 3132 running", SOON, || (!processes(&["sleep", "3132"]).is_empty()).then_some(()));
    kojid.signal(libc::SIGTERM);
    assert_eq!(kojid.wait_exit(), Some(0), "{}", kojid.log());
    assert!(processes(&["sleep", "3132"]).is_empty(), "no orphan left");
    assert_eq!(task_field(&db, last, "state"), "0", "freed");
    assert_eq!(db.psql(&format!("SELECT ready FROM host WHERE id = {host}")).trim(), "f");
}

/// A spec for `name-1.0-1` with a noarch `-data` subpackage and an arch-specific main package; `build` is
/// the `%build` script.
fn write_spec(dir: &Path, name: &str, build: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let spec = dir.join(format!("{name}.spec"));
    std::fs::write(
        &spec,
        format!(
            "Name: {name}\nVersion: 1.0\nRelease: 1%{{?dist}}\nSummary: koji-rs kojid test\nLicense: MIT\n\
             Source0: hello.txt\n\
             %description\nTest.\n\
             %package data\nSummary: data\nBuildArch: noarch\n%description data\nData.\n\
             %prep\ncp %{{SOURCE0}} .\n%build\n{build}\n%install\n\
             mkdir -p %{{buildroot}}/usr/lib/{name} %{{buildroot}}/usr/share/{name}\n\
             cp hello.txt %{{buildroot}}/usr/lib/{name}/\n\
             echo data > %{{buildroot}}/usr/share/{name}/data.txt\n\
             %files\n/usr/lib/{name}\n%files data\n/usr/share/{name}/data.txt\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.join("hello.txt"), format!("hello from {name}\n")).unwrap();
    spec
}

/// `rpmbuild -bs` of a spec written by [`write_spec`]: the SRPM a packager uploads.
fn srpm(dir: &Path, name: &str, build: &str) -> PathBuf {
    let spec = write_spec(dir, name, build);
    let out = Command::new("rpmbuild")
        .arg("-bs")
        .arg("--define")
        .arg(format!("_topdir {}", dir.join("rpmbuild").display()))
        .arg("--define")
        .arg(format!("_sourcedir {}", dir.display()))
        .arg(&spec)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    dir.join(format!("rpmbuild/SRPMS/{name}-1.0-1.src.rpm"))
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn build_state(db: &DbInfo, nvr: &str) -> String {
    db.psql(&format!(
        "SELECT b.state FROM build b JOIN package p ON p.id = b.pkg_id \
         WHERE p.name || '-' || b.version || '-' || b.release = '{nvr}'"
    ))
    .trim()
    .to_owned()
}

#[test]
fn builds_end_to_end_with_two_builders() {
    let (db, hub) = setup(LIVENESS);
    let _hub_log = HubLog(&hub);
    // Koji's repo queue makes <topdir>/repos before its first newRepo task; builders refuse newRepo without it.
    std::fs::create_dir_all(hub.koji_dir().join("repos")).unwrap();
    add_host(&db, "b1", "x86_64", 4.0, &["default", "createrepo"]);
    add_host(&db, "b2", "x86_64", 4.0, &["default", "createrepo"]);
    let b1 = Kojid::start(&hub, "b1", "allowed_scms = *:*:no:\n");
    let b2 = Kojid::start(&hub, "b2", "allowed_scms = *:*:no:\n");
    let cli = KojiCli::password(&hub, "kojiadmin", ADMIN_PW);
    for args in [
        &["add-tag", "dest"][..],
        &["add-tag", "dest-build", "--parent", "dest", "--arches", "x86_64"],
        &["edit-tag", "dest-build", "-x", "rpm.macro.dist=.kt1"],
        &["add-target", "t1", "dest-build", "dest"],
        &["add-pkg", "--owner", "kojiadmin", "dest", "tiny", "broken", "scm"],
    ] {
        cli.run(args).assert_success();
    }
    let work = TempDir::new("kojid-src");
    let logs = |t: &str| {
        let all = format!("{t}\n--- b1\n{}\n--- b2\n{}\n--- hub\n{}", b1.log(), b2.log(), hub.stderr_log());
        let path = std::env::temp_dir().join(format!("kojid-test-{}.log", std::process::id()));
        std::fs::write(&path, &all).unwrap();
        format!("{t}\n(logs in {})", path.display())
    };

    // A scratch build: results in scratch/, nothing imported.
    let tiny = srpm(&work.path().join("tiny"), "tiny", "true");
    let out = cli.run(&["build", "--wait", "--scratch", "t1", tiny.to_str().unwrap()]);
    assert_eq!(out.status, 0, "{}", logs(&format!("{}{}", out.stdout, out.stderr)));
    assert!(out.stdout.contains("completed successfully"), "{}", out.stdout);
    assert_eq!(build_state(&db, "tiny-1.0-1.kt1"), "");

    // A real build: imported, tagged, downloadable with its logs.
    let out = cli.run(&["build", "--wait", "t1", tiny.to_str().unwrap()]);
    assert_eq!(out.status, 0, "{}", logs(&format!("{}{}", out.stdout, out.stderr)));
    assert_eq!(build_state(&db, "tiny-1.0-1.kt1"), "1");
    let info = cli.run(&["buildinfo", "tiny-1.0-1.kt1"]).assert_success().stdout.clone();
    assert!(info.contains("State: COMPLETE"), "{info}");
    assert!(info.contains("tiny-data-1.0-1.kt1.noarch.rpm"), "{info}");
    assert!(info.contains("tiny-1.0-1.kt1.x86_64.rpm"), "{info}");
    let tagged = cli.run(&["list-tagged", "--quiet", "dest"]).assert_success().stdout.clone();
    assert!(tagged.starts_with("tiny-1.0-1.kt1 "), "{tagged}");
    cli.run(&["download-build", "tiny-1.0-1.kt1"]).assert_success();
    let dl = cli.dir().join("tiny-1.0-1.kt1.x86_64.rpm");
    assert!(dl.exists(), "download-build wrote {}", dl.display());
    cli.run(&["download-logs", "-r", "--nvr", "tiny-1.0-1.kt1"]).assert_success();

    // The same NVR again is refused.
    let out = cli.run(&["build", "--wait", "t1", tiny.to_str().unwrap()]);
    assert_ne!(out.status, 0, "{}", out.stdout);
    assert!(format!("{}{}", out.stdout, out.stderr).contains("already exists"), "{}{}", out.stdout, out.stderr);

    drop(b1);
    drop(b2);
}
