//! The Rust `kojid` end to end: a private PostgreSQL, the hub, real `kojid` processes (rpmbuild backend) and
//! the stock CLI. Task running (Koji's test tasks `sleep`/`waittest`), cancel and shutdown without orphan
//! processes, and the build flow: scratch, real (imported and tagged), from git, a `%build` failure, a
//! cancel, a builder killed mid-build, a duplicate NVR; certificate login over HTTPS.
//!
//! Liveness is shortened (heartbeat 1 s, 2 missed, HostTimeout 3 s); waits are bounded generously.

mod support;

use koji_rs::builder::buildroot::mock;
use koji_rs::xmlrpc::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use support::TempDir;
use support::certs::TestCerts;
use support::cli::KojiCli;
use support::fleet::{ADMIN_PW, add_host, setup, task_field, wait_for};
use support::hub::{Hub, HubOptions};
use support::kojid::{Kojid, add_build_target};
use support::pg::{DbInfo, PgCluster};
use support::rpc::{Rpc, kwargs};

const LIVENESS: &[(&str, &str)] = &[("BuilderHeartbeat", "1"), ("MissedHeartbeats", "2"), ("HostTimeout", "3")];
const SOON: Duration = Duration::from_secs(30);
const BUILD: Duration = Duration::from_secs(120);

/// What these tests add to every `kojid`'s config: a short kill grace and few push reconnects, so
/// cancels and hub restarts are quick.
const QUICK: &str = "kill_grace = 2\npush_reconnect_max = 2\n";

/// [`Kojid::start`] with [`QUICK`] and `extra`.
fn start_kojid(hub: &Hub, user: &str, extra: &str) -> Kojid {
    Kojid::start(hub, user, &format!("{QUICK}{extra}"))
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
    let mut kojid = start_kojid(&hub, "b1", "");
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
    assert_eq!(kojid.wait_exit(SOON), Some(0), "{}", kojid.log());
    assert!(processes(&["sleep", "3132"]).is_empty(), "no orphan left");
    assert_eq!(task_field(&db, last, "state"), "0", "freed");
    assert_eq!(db.psql(&format!("SELECT ready FROM host WHERE id = {host}")).trim(), "f");
}

/// A spec for `name-1.0-1` with a noarch `-data` subpackage and an arch-specific main package; `build` is
/// the `%build` script, `header` more preamble lines.
fn write_spec(dir: &Path, name: &str, build: &str, header: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let spec = dir.join(format!("{name}.spec"));
    std::fs::write(
        &spec,
        format!(
            "Name: {name}\nVersion: 1.0\nRelease: 1%{{?dist}}\nSummary: koji-rs kojid test\nLicense: MIT\n\
             Source0: hello.txt\n{header}\
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
    let spec = write_spec(dir, name, build, "");
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
    let b1_host = add_host(&db, "b1", "x86_64", 4.0, &["default", "createrepo"]);
    add_host(&db, "b2", "x86_64", 4.0, &["default", "createrepo"]);
    let mut b1 = start_kojid(&hub, "b1", "allowed_scms = *:/tmp/*:no:\n");
    let mut b2 = start_kojid(&hub, "b2", "allowed_scms = *:/tmp/*:no:\n");
    let cli = KojiCli::password(&hub, "kojiadmin", ADMIN_PW);
    add_build_target(&cli, &["tiny", "broken", "scm"]);
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
    let build_logs = find_files(&cli.dir().join("kojilogs"), "build.log");
    assert!(!build_logs.is_empty(), "download-logs fetched no build.log");
    assert!(
        db.psql("SELECT count(*) FROM standard_buildroot WHERE state = 3").trim().parse::<i32>().unwrap() >= 3,
        "buildroots recorded and expired"
    );

    // `koji mock-config` (client-side genMockConfig) and our generator agree on the same inputs.
    let out =
        cli.run(&["mock-config", "--tag", "dest-build", "--arch", "x86_64", "--topurl", "http://k/kojifiles", "r1"]);
    let text = out.assert_success().stdout.clone();
    let repo_id: i64 =
        text.split("repos/dest-build/").nth(1).and_then(|r| r.split('/').next()).unwrap().parse().unwrap();
    let mut o = mock::MockConfigOpts::new("r1", "x86_64", repo_id, "dest-build");
    o.topurls = vec!["http://k/kojifiles".into()];
    o.distribution = "Koji Testing".into();
    o.tag_macros = vec![("%dist".into(), ".kt1".into())];
    assert_eq!(text.trim_end(), mock::gen_mock_config(&o).trim_end());

    // The same NVR again is refused.
    let out = cli.run(&["build", "--wait", "t1", tiny.to_str().unwrap()]);
    assert_ne!(out.status, 0, "{}", out.stdout);
    assert!(format!("{}{}", out.stdout, out.stderr).contains("already exists"), "{}{}", out.stdout, out.stderr);

    // From git: the SRPM is made by buildSRPMFromSCM, the build records its source.
    let (url, sha) = git_package(&work.path().join("scm-git"), "scm", "");
    let repo = work.path().join("scm-git");
    let out = cli.run(&["build", "--wait", "t1", &url]);
    assert_eq!(out.status, 0, "{}", logs(&format!("{}{}", out.stdout, out.stderr)));
    assert_eq!(build_state(&db, "scm-1.0-1.kt1"), "1");
    assert_eq!(
        db.psql("SELECT source FROM build WHERE release = '1.kt1' AND source IS NOT NULL").trim(),
        format!("git+file://{}#{sha}", repo.display())
    );
    let srpm_task = db.psql("SELECT id FROM task WHERE method = 'buildSRPMFromSCM'").trim().to_owned();
    assert_eq!(task_field(&db, srpm_task.parse().unwrap(), "state"), "2");
    // An SCM that allowed_scms does not list is refused.
    let out = cli.run(&["build", "--wait", "t1", &format!("git+https://elsewhere.invalid/x.git#{sha}")]);
    assert_ne!(out.status, 0);

    // BuildRequires are checked against the build tag's repo: one that nothing provides fails clearly.
    cli.run(&["add-pkg", "--owner", "kojiadmin", "dest", "lonely", "chainlib", "chainuser"]).assert_success();
    let (url, _) = git_package(&work.path().join("lonely"), "lonely", "BuildRequires: nosuchthing\n");
    let out = cli.run(&["build", "--wait", "t1", &url]);
    assert_ne!(out.status, 0);
    assert!(out.stdout.contains("BuildRequires not satisfied by repo"), "{}", out.stdout);
    assert!(out.stdout.contains("nosuchthing"), "{}", out.stdout);

    // A chain build: the second level BuildRequires the first, whose repo is regenerated in between.
    let (lib, _) = git_package(&work.path().join("chainlib"), "chainlib", "");
    let (user, _) = git_package(&work.path().join("chainuser"), "chainuser", "BuildRequires: chainlib\n");
    let out = cli.run(&["chain-build", "--nowait", "t1", &lib, ":", &user]).assert_success().stdout.clone();
    let chain = created_task(&out);
    wait_state(&db, chain, "2", &[&b1, &b2]);
    assert_eq!(build_state(&db, "chainlib-1.0-1.kt1"), "1");
    assert_eq!(build_state(&db, "chainuser-1.0-1.kt1"), "1");
    let waits = db.psql(&format!("SELECT count(*) FROM task WHERE parent = {chain} AND method = 'waitrepo'"));
    assert_eq!(waits.trim(), "1");

    // A %build failure: the task fails with the log uploaded, the build row is FAILED, nothing is tagged.
    let broken = srpm(&work.path().join("broken"), "broken", "echo failing-on-purpose; exit 1");
    let out = cli.run(&["build", "--wait", "t1", broken.to_str().unwrap()]);
    assert_ne!(out.status, 0, "{}", out.stdout);
    assert!(out.stdout.contains("FAILED"), "{}", out.stdout);
    assert_eq!(build_state(&db, "broken-1.0-1.kt1"), "3");
    let parent = created_task(&out.stdout);
    assert_eq!(task_field(&db, parent, "state"), "5");
    let arch_task: i64 = db
        .psql(&format!("SELECT id FROM task WHERE parent = {parent} AND method = 'buildArch' AND state = 5"))
        .trim()
        .parse()
        .unwrap();
    let log = hub.koji_dir().join(format!("work/tasks/{}/{arch_task}/build.log", arch_task % 10000));
    assert!(std::fs::read_to_string(&log).unwrap_or_default().contains("failing-on-purpose"), "{}", log.display());
    let tagged = cli.run(&["list-tagged", "--quiet", "dest"]).assert_success().stdout.clone();
    assert!(!tagged.contains("broken"), "{tagged}");

    // koji cancel of a running build kills its rpmbuild: no process is left behind.
    cli.run(&["add-pkg", "--owner", "kojiadmin", "dest", "slow", "killed"]).assert_success();
    let slow = srpm(&work.path().join("slow"), "slow", "sleep 3133");
    let out = cli.run(&["build", "--nowait", "t1", slow.to_str().unwrap()]).assert_success().stdout.clone();
    let task = created_task(&out);
    wait_for("sleep 3133 running", BUILD, || (!processes(&["sleep", "3133"]).is_empty()).then_some(()));
    // Its build.log is on the hub while it runs (streamed).
    let running: i64 =
        db.psql(&format!("SELECT id FROM task WHERE parent = {task} AND method = 'buildArch'")).trim().parse().unwrap();
    let log = hub.koji_dir().join(format!("work/tasks/{}/{running}/build.log", running % 10000));
    wait_for("build.log streamed", SOON, || {
        std::fs::read_to_string(&log).unwrap_or_default().contains("+ sleep 3133").then_some(())
    });
    cli.run(&["cancel", &task.to_string()]).assert_success();
    wait_for("sleep 3133 killed", SOON, || processes(&["sleep", "3133"]).is_empty().then_some(()));
    assert_eq!(task_field(&db, task, "state"), "3");
    assert_eq!(build_state(&db, "slow-1.0-1.kt1"), "4");

    // SIGKILL of the builder running a buildArch: the task is freed and the build completes on the other.
    let killed = srpm(&work.path().join("killed"), "killed", "sleep 4");
    let out = cli.run(&["build", "--nowait", "t1", killed.to_str().unwrap()]).assert_success().stdout.clone();
    let task = created_task(&out);
    let (arch_task, host): (i64, i64) = wait_for("killed buildArch running", BUILD, || {
        let row = db.psql(&format!(
            "SELECT c.id || ' ' || c.host_id FROM task c JOIN task s ON s.parent = {task} AND s.method = 'rebuildSRPM' \
             WHERE c.parent = {task} AND c.method = 'buildArch' AND c.state = 1"
        ));
        let mut it = row.split_whitespace().map(|x| x.parse::<i64>().unwrap());
        Some((it.next()?, it.next()?))
    });
    wait_for("its rpmbuild running", SOON, || (!processes(&["sleep", "4"]).is_empty()).then_some(()));
    let (victim, survivor) = if host == b1_host { (&mut b1, &b2) } else { (&mut b2, &b1) };
    victim.signal(libc::SIGKILL);
    victim.wait_exit(SOON);
    wait_state(&db, task, "2", &[survivor]);
    assert_eq!(build_state(&db, "killed-1.0-1.kt1"), "1");
    assert_ne!(task_field(&db, arch_task, "host_id"), host.to_string(), "finished on the other builder");
    // The killed builder's buildroot stays BUILDING until that builder starts again and expires it.
    let open_roots =
        || db.psql(&format!("SELECT count(*) FROM standard_buildroot WHERE host_id = {host} AND state <> 3"));
    assert_ne!(open_roots().trim(), "0");
    let _back = start_kojid(&hub, if host == b1_host { "b1" } else { "b2" }, "");
    wait_for("stale buildroots expired", SOON, || (open_roots().trim() == "0").then_some(()));
}

/// A git repo holding a package written by [`write_spec`], committed; returns its `git+file://…#sha` URL and
/// the sha.
fn git_package(dir: &Path, name: &str, header: &str) -> (String, String) {
    write_spec(dir, name, "true", header);
    git(dir, &["init", "-q"]);
    git(dir, &["add", "."]);
    git(dir, &["commit", "-qm", name]);
    let sha = git(dir, &["rev-parse", "HEAD"]);
    (format!("git+file://{}#{sha}", dir.display()), sha)
}

/// `Created task: N` in the CLI's output.
fn created_task(out: &str) -> i64 {
    out.lines().find_map(|l| l.strip_prefix("Created task: ")).and_then(|n| n.trim().parse().ok()).expect(out)
}

/// Files named `name` anywhere below `dir`.
fn find_files(dir: &Path, name: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().filter_map(Result::ok) {
        let p = e.path();
        if p.is_dir() {
            out.extend(find_files(&p, name));
        } else if p.file_name().is_some_and(|n| n == name) {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_hub_restart_is_ridden_out() {
    let db = support::pg::PgCluster::shared().create_database();
    let koji_dir = TempDir::new("kojid-kojidir");
    let mut conf: Vec<(String, String)> = LIVENESS.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    conf.push(("ListenAddress".into(), format!("127.0.0.1:{}", support::free_port())));
    conf.push(("KojiDir".into(), koji_dir.path().display().to_string()));
    let start = || Hub::start(&db, support::hub::HubOptions { extra_conf: conf.clone(), ..Default::default() });
    let hub = start();
    hub.create_user("kojiadmin", ADMIN_PW, true);
    let host = add_host(&db, "b1", "x86_64", 4.0, &["default"]);
    let kojid = start_kojid(&hub, "b1", "");
    let mut admin = Rpc::login(&hub, "kojiadmin", ADMIN_PW);
    let before = make_task(&mut admin, "sleep", vec![Value::Int(3)], "noarch");
    wait_for("the task open", SOON, || (task_field(&db, before, "state") == "1").then_some(()));

    // The hub dies while the task runs, and comes back on the same address: the task's result still gets
    // there, and the builder reconnects and takes new work.
    hub.kill_hard();
    std::thread::sleep(Duration::from_secs(1));
    let hub = start();
    wait_state(&db, before, "2", &[&kojid]);
    assert_eq!(task_field(&db, before, "host_id"), host.to_string());
    let mut admin = Rpc::login(&hub, "kojiadmin", ADMIN_PW);
    let after = make_task(&mut admin, "sleep", vec![Value::Int(0)], "noarch");
    wait_state(&db, after, "2", &[&kojid]);
    assert!(kojid.log().contains("lost the hub stream"), "{}", kojid.log());
}

/// The id of the host called `name`, once it is ready.
fn wait_ready(db: &DbInfo, name: &str, kojid: &Kojid) -> i64 {
    let start = std::time::Instant::now();
    loop {
        let row = db.psql(&format!("SELECT id, ready FROM host WHERE name = '{name}'"));
        if let Some(id) = row.trim().strip_suffix("|t") {
            return id.parse().unwrap();
        }
        assert!(start.elapsed() < SOON, "{name} not ready:\n{}", kojid.log());
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn kojid_logs_in_with_a_client_certificate_over_https() {
    let db = PgCluster::shared().create_database();
    let pki = TempDir::new("pki");
    let certs = TestCerts::generate(pki.path());
    let extra_conf = LIVENESS.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let hub = Hub::start(&db, HubOptions { tls: Some(&certs), extra_conf, ..Default::default() });
    let _hub_log = HubLog(&hub);
    hub.create_user("kojiadmin", ADMIN_PW, true);
    let admin = KojiCli::ssl(&hub, &certs, &certs.client("kojiadmin"));
    admin.ok(&["add-host", "tlsb", "x86_64"]);
    let serverca = format!("serverca = {}\n", certs.ca_cert.display());

    // The host's user has no password: only its certificate logs it in. Every later call, the push stream
    // (wss://) and the task's own subsession go over TLS too.
    let kojid = start_kojid(&hub, "", &format!("cert = {}\n{serverca}", certs.client("tlsb").display()));
    let host = wait_ready(&db, "tlsb", &kojid);
    let sessions = db.psql(&format!(
        "SELECT DISTINCT authtype FROM sessions WHERE user_id = (SELECT user_id FROM host WHERE id = {host})"
    ));
    assert_eq!(sessions.trim(), "2", "sslLogin sessions only (AUTH_SSL)");
    let out = admin.ok(&["make-task", "--arch", "noarch", "sleep", "1"]);
    let task: i64 = out.trim().strip_prefix("Created task id ").and_then(|n| n.parse().ok()).expect(&out);
    wait_state(&db, task, "2", &[&kojid]);
    assert_eq!(task_field(&db, task, "host_id"), host.to_string());

    // Password login over HTTPS, trusting serverca, still works.
    add_host(&db, "pwb", "x86_64", 4.0, &["default"]);
    let pwb = start_kojid(&hub, "pwb", &serverca);
    wait_ready(&db, "pwb", &pwb);

    // A certificate the hub's CA did not sign: kojid gives up at once, saying why.
    let mut rogue = start_kojid(&hub, "", &format!("cert = {}\n{serverca}", certs.rogue_client("tlsb").display()));
    assert_eq!(rogue.wait_exit(SOON), Some(1), "{}", rogue.log());
    let log = rogue.log();
    assert!(log.contains("certificate login (cert = ") && log.contains("alert unknown ca"), "{log}");

    // And a hub whose certificate serverca does not vouch for is refused by kojid.
    let other = TempDir::new("pki");
    let other_ca = TestCerts::generate(other.path()).ca_cert;
    let mut mistrust = start_kojid(&hub, "pwb", &format!("serverca = {}\n", other_ca.display()));
    assert_eq!(mistrust.wait_exit(SOON), Some(1), "{}", mistrust.log());
    let log = mistrust.log();
    assert!(log.contains("login as pwb failed: TLS: ") && log.contains("certificate verify failed"), "{log}");
}

/// How many times the daemon has logged in (once per start, so a re-exec shows as a second).
fn starts(kojid: &Kojid) -> usize {
    kojid.log().matches("logged in").count()
}

#[test]
fn restart_hosts_reexecs_every_builder() {
    let (db, hub) = setup(LIVENESS);
    let _log = HubLog(&hub);
    let b1 = add_host(&db, "b1", "x86_64", 4.0, &["default"]);
    let b2 = add_host(&db, "b2", "x86_64", 4.0, &["default"]);
    let kojids = [start_kojid(&hub, "b1", ""), start_kojid(&hub, "b2", "")];
    wait_ready(&db, "b1", &kojids[0]);
    wait_ready(&db, "b2", &kojids[1]);
    let pids = kojids.each_ref().map(Kojid::pid);
    assert_eq!(kojids.each_ref().map(starts), [1, 1]);

    // Only admins (or the host permission) may restart hosts; nothing is made.
    hub.create_user("alice", "alice-pw", false);
    let denied = KojiCli::password(&hub, "alice", "alice-pw").fails(&["restart-hosts", "--nowait"]);
    assert!(denied.contains("ActionNotAllowed: host permission required"), "{denied}");
    assert_eq!(db.psql("SELECT count(*) FROM task").trim(), "0");

    // No host matches: the task fails. Otherwise the restartHosts task pins restart + restartVerify on each host; each daemon re-execs itself (same
    // pid, a second login) and verifies its new start time.
    let cli = KojiCli::password(&hub, "kojiadmin", ADMIN_PW);
    let none = cli.run(&["restart-hosts", "--wait", "--arch", "s390x"]);
    assert!(none.status != 0 && none.stdout.contains("No matching hosts"), "{none:?}");

    let out = cli.run(&["restart-hosts", "--wait", "--timeout", "60"]);
    let logs = || kojids.iter().map(Kojid::log).collect::<Vec<_>>().join("\n-----\n");
    assert_eq!(out.status, 0, "{out:?}\n{}", logs());
    assert!(out.stdout.contains("restartHosts") && out.stdout.contains("completed successfully"), "{}", out.stdout);
    let parent: i64 = db.psql("SELECT max(id) FROM task WHERE method = 'restartHosts'").trim().parse().unwrap();
    assert_eq!(task_field(&db, parent, "state"), "2");
    let children = db.psql(&format!(
        "SELECT method || ':' || host_id || ':' || state FROM task WHERE parent = {parent} ORDER BY host_id, id"
    ));
    assert_eq!(
        children.split_whitespace().collect::<Vec<_>>(),
        [
            format!("restart:{b1}:2"),
            format!("restartVerify:{b1}:2"),
            format!("restart:{b2}:2"),
            format!("restartVerify:{b2}:2")
        ],
        "{children}"
    );
    assert_eq!(kojids.each_ref().map(starts), [2, 2], "{}", logs());
    assert_eq!(kojids.each_ref().map(Kojid::pid), pids);

    // Both are ready again and run work pinned on each.
    wait_ready(&db, "b1", &kojids[0]);
    wait_ready(&db, "b2", &kojids[1]);
    let mut admin = Rpc::login(&hub, "kojiadmin", ADMIN_PW);
    for (name, host) in [("b1", b1), ("b2", b2)] {
        let args = vec!["sleep".into(), Value::Array(vec![Value::Int(0)]), kwargs(&[("assign", name.into())])];
        let task = admin.ok("makeTask", args).as_i64().unwrap();
        wait_state(&db, task, "2", &[&kojids[0], &kojids[1]]);
        assert_eq!(task_field(&db, task, "host_id"), host.to_string());
    }
}
