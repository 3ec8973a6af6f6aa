//! Issue 6, hub side: a build task driven through the `host.*` calls as kojid makes them (a host session, real
//! rpms made by rpmbuild, uploads with Koji's fast-upload protocol), then inspected and downloaded with the
//! stock CLI through `/kojifiles/`; the error paths change nothing.

mod support;

use koji_rs::xmlrpc::{self, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::cli::KojiCli;
use support::fleet::{ADMIN_PW, add_host, ready, setup_with_cli, task_field, wait_for};
use support::hub::{Hub, http_raw};
use support::pg::DbInfo;
use support::rpc::{Rpc, kwargs};
use support::rpmbuild::{Package, build_package};

const USER_PW: &str = "user-pw";

/// Waits until the scheduler gives `task` to the builder's host, then opens it.
fn take(builder: &mut Rpc, db: &DbInfo, host: i64, task: i64) {
    wait_for("the task to be assigned", Duration::from_secs(10), || {
        (task_field(db, task, "host_id") == host.to_string()).then_some(())
    });
    assert!(builder.ok("host.openTask", vec![Value::Int(task)]).as_struct().is_some(), "task {task} opened");
}

fn result_doc(v: Value) -> Value {
    Value::String(xmlrpc::encode_response(&v))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn strs(items: &[&str]) -> Value {
    Value::Array(items.iter().map(|i| Value::from(*i)).collect())
}

fn st(pairs: &[(&str, Value)]) -> Value {
    Value::Struct(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
}

/// `work/`-relative upload directory of a task, as kojid computes it.
fn task_dir(task: i64) -> String {
    format!("tasks/{}/{task}", task % 10000)
}

/// A fault's `(code, message)`.
fn fault(r: Result<Value, xmlrpc::Fault>) -> (i32, String) {
    let f = r.expect_err("the call should fail");
    (f.code, f.message)
}

/// Tags, a target and the package list a build needs: `build` (arches = the rpm arch) → target `t` → `dest`
/// (hello-koji listed, owner kojiadmin), and `other` without the package.
fn tags(admin: &KojiCli, arch: &str) {
    admin.run(&["add-tag", "dest"]).assert_success();
    admin.run(&["add-tag", "other"]).assert_success();
    admin.run(&["add-tag", "build", "--arches", arch]).assert_success();
    admin.run(&["add-target", "t", "build", "dest"]).assert_success();
    admin.run(&["add-pkg", "--owner", "kojiadmin", "dest", "hello-koji"]).assert_success();
}

/// Uploads files into a task directory as the builder `user` does (Python's `fastUpload`), overwrites and
/// appends to a log the way kojid's incremental log upload does, and writes `root.log` with the older
/// `uploadFile` (a chunk with a wrong checksum and a wrong final checksum answer False); prints what the hub
/// answered.
fn upload_as(cli: &KojiCli, dir: &str, files: &[&Path]) -> Vec<String> {
    let list = files.iter().map(|f| format!("'{}'", s(f))).collect::<Vec<_>>().join(", ");
    let out = cli.python(&format!(
        r#"
import koji, os
s = koji.ClientSession(os.environ['KOJI_URL'], {{'user': os.environ['KOJI_USER'], 'password': os.environ['KOJI_PASSWORD']}})
s.login()
try:
    for f in [{list}]:
        s.uploadWrapper(f, '{dir}')
    r = s.rawUpload(b'line 1\n', 0, '{dir}', 'build.log', overwrite=True)
    r2 = s.rawUpload(b'line 2\n', -1, '{dir}', 'build.log')
    print('OK', r['size'], r2['offset'], r2['hexdigest'] == koji.util.adler32_constructor(b'line 2\n').hexdigest())
    print('CHECK', s.checkUpload('{dir}', 'build.log')['size'])
    import base64, hashlib
    def legacy(data, offset, digest=None, size=None):
        digest = digest or hashlib.sha256(data).hexdigest()
        size = len(data) if size is None else size
        return s.callMethod('uploadFile', '{dir}', 'root.log', size, ('sha256', digest), offset,
                            base64.b64encode(data).decode())
    whole = hashlib.sha256(b'abcdef').hexdigest()
    print('LEGACY', legacy(b'abc', 0), legacy(b'xyz', 3, digest='0' * 64), legacy(b'def', 3),
          legacy(b'', -1, digest=whole, size=6), legacy(b'', -1, digest='0' * 64, size=6))
except koji.GenericError as e:
    print('FAULT %s: %s' % (type(e).__name__, e))
"#
    ));
    out.assert_success();
    out.stdout.lines().map(str::to_owned).collect()
}

/// Everything a refused call must not change: build rows, rpm rows, tag listings.
fn build_rows(db: &DbInfo) -> String {
    db.psql(
        "SELECT 'build', id, state, task_id FROM build ORDER BY id; \
         SELECT 'rpm', id, name, arch FROM rpminfo ORDER BY id; SELECT 'sig', count(*) FROM rpmsigs; \
         SELECT 'tagged', tag_id, build_id, active FROM tag_listing ORDER BY create_event",
    )
}

struct Flow<'h> {
    hub: &'h Hub,
    db: DbInfo,
    admin: KojiCli,
    builder: Rpc<'h>,
    host: i64,
    pkg: Package,
}

impl Flow<'_> {
    /// `koji build --nowait t <srpm>` (uploading the SRPM), returning the task id.
    fn cli_build(&self, extra: &[&str]) -> i64 {
        let mut args = vec!["build", "--nowait"];
        args.extend(extra);
        args.extend(["t", s(&self.pkg.srpm)]);
        let out = self.admin.run(&args);
        out.assert_success();
        let line = out.stdout.lines().find(|l| l.starts_with("Created task: ")).expect("task line");
        line["Created task: ".len()..].trim().parse().unwrap()
    }

    fn init_build(&mut self, task: i64) -> Result<Value, xmlrpc::Fault> {
        let data = st(&[
            ("name", "hello-koji".into()),
            ("version", "1.0".into()),
            ("release", "1".into()),
            ("epoch", Value::Int(2)),
            ("task_id", Value::Int(task)),
            ("source", Value::Nil),
        ]);
        self.builder.call("host.initBuild", vec![data])
    }

    fn build_state(&self, build: i64) -> String {
        self.db.psql(&format!("SELECT state FROM build WHERE id = {build}")).trim().to_owned()
    }

    /// Copies the package's rpms and a log into the task's upload directory (the upload protocol has its own
    /// test); returns their `work/`-relative paths: srpm, noarch, binary, log.
    fn place(&self, task: i64) -> [String; 4] {
        let dir = task_dir(task);
        let abs = self.hub.koji_dir().join("work").join(&dir);
        std::fs::create_dir_all(&abs).unwrap();
        std::fs::write(abs.join("build.log"), "built\n").unwrap();
        let mut out = vec![];
        for p in [&self.pkg.srpm, &self.pkg.noarch, &self.pkg.binary] {
            let name = p.file_name().unwrap().to_str().unwrap();
            std::fs::copy(p, abs.join(name)).unwrap();
            out.push(format!("{dir}/{name}"));
        }
        out.push(format!("{dir}/build.log"));
        out.try_into().unwrap()
    }
}

fn start(hub: &Hub, db: DbInfo, admin: KojiCli) -> Flow<'_> {
    let pkg = build_package("hello-koji", "1");
    tags(&admin, &pkg.arch);
    let host = add_host(&db, "b1", &format!("{} noarch", pkg.arch), 8.0, &["default"]);
    let mut builder = Rpc::login(hub, "b1", "pw");
    ready(&mut builder, 10);
    Flow { hub, db, admin, builder, host, pkg }
}

#[test]
fn a_build_task_imports_tags_and_serves_its_results() {
    let (db, hub, admin) = setup_with_cli(&[]);
    let mut f = start(&hub, db, admin);
    let arch = f.pkg.arch.clone();
    let admin_id: i64 = f.db.psql("SELECT id FROM users WHERE name = 'kojiadmin'").trim().parse().unwrap();

    // The CLI uploads the SRPM and asks for the build: a top-level `build` task with Koji's request.
    let task = f.cli_build(&[]);
    assert_eq!(
        task_field(&f.db, task, "method || ' ' || priority || ' ' || arch || ' ' || owner"),
        format!("build 20 noarch {admin_id}")
    );
    let mut admin_rpc = Rpc::login(&hub, "kojiadmin", ADMIN_PW);
    let request = admin_rpc.ok("getTaskRequest", vec![Value::Int(task)]);
    let request = request.as_array().unwrap();
    let src = request[0].as_str().unwrap().to_owned();
    assert!(src.starts_with("cli-build/") && src.ends_with("/hello-koji-1.0-1.src.rpm"), "{src}");
    assert_eq!(request[1], Value::from("t"));
    take(&mut f.builder, &f.db, f.host, task);

    // What the build task asks before it starts: policies (Koji's defaults) and the package's listing.
    let policy = |user: i64| st(&[("user_id", Value::Int(user)), ("source", src.as_str().into())]);
    f.builder.ok("host.assertPolicy", vec!["build_from_srpm".into(), policy(admin_id)]);
    hub.create_user("bob", USER_PW, false);
    let bob_id: i64 = f.db.psql("SELECT id FROM users WHERE name = 'bob'").trim().parse().unwrap();
    assert_eq!(
        fault(f.builder.call("host.assertPolicy", vec!["build_from_srpm".into(), policy(bob_id)])),
        (1004, "policy violation (build_from_srpm): Only admin can do this via default policy".into())
    );
    assert_eq!(f.builder.ok("host.evalPolicy", vec!["build_rpm".into(), st(&[])]), Value::from("allow"));
    assert_eq!(
        fault(f.builder.call("host.evalPolicy", vec!["nope".into(), st(&[])])),
        (1000, "no such policy: nope".into())
    );
    let cfg = f.builder.ok("getPackageConfig", vec!["dest".into(), "hello-koji".into()]);
    let cfg = cfg.as_struct().unwrap();
    assert_eq!((cfg["blocked"].clone(), cfg["owner_name"].clone()), (Value::Bool(false), Value::from("kojiadmin")));
    assert_eq!(f.builder.ok("getPackageConfig", vec!["other".into(), "hello-koji".into()]), Value::Nil);

    // initBuild: BUILDING, owned by the task's owner; the same task asking again gets the same build.
    let build = f.init_build(task).unwrap().as_i64().unwrap();
    assert_eq!(f.init_build(task).unwrap().as_i64(), Some(build));
    assert_eq!(
        f.db.psql(&format!(
            "SELECT state, owner, task_id, epoch, completion_time IS NULL FROM build WHERE id = {build}"
        ))
        .trim(),
        format!("0|{admin_id}|{task}|2|t")
    );
    let info = f.admin.run(&["buildinfo", "hello-koji-1.0-1"]);
    assert!(info.stdout.contains("State: BUILDING"), "{}", info.stdout);

    // A buildArch child runs in a buildroot on a repo of the build tag.
    let child = f
        .builder
        .ok(
            "host.subtask",
            vec![
                "buildArch".into(),
                Value::Array(vec![src.as_str().into(), Value::Int(1), arch.as_str().into(), Value::Bool(true)]),
                Value::Int(task),
                kwargs(&[("label", arch.as_str().into()), ("arch", arch.as_str().into())]),
            ],
        )
        .as_i64()
        .unwrap();
    take(&mut f.builder, &f.db, f.host, child);
    let repo: i64 =
        f.db.psql("INSERT INTO repo (tag_id, state) SELECT id, 1 FROM tag WHERE name = 'build' RETURNING id")
            .trim()
            .parse()
            .unwrap();
    let br = f
        .builder
        .ok("host.newBuildRoot", vec![Value::Int(repo), arch.as_str().into(), Value::Int(child)])
        .as_i64()
        .unwrap();
    // The installed rpms: an rpm of an external repo is recorded on first sight.
    f.db.psql("INSERT INTO external_repo (name) VALUES ('ext')");
    let bash = |hash: &str| {
        st(&[
            ("name", "bash".into()),
            ("version", "5.2".into()),
            ("release", "1".into()),
            ("epoch", Value::Nil),
            ("arch", arch.as_str().into()),
            ("payloadhash", hash.into()),
            ("size", Value::Int(1000)),
            ("buildtime", Value::Int(1700000000)),
            ("location", "ext".into()),
        ])
    };
    f.builder.ok("host.setBuildRootList", vec![Value::Int(br), Value::Array(vec![bash("aa11")]), Value::Int(child)]);
    assert_eq!(
        fault(f.builder.call("host.setBuildRootList", vec![Value::Int(br), Value::Array(vec![]), Value::Int(task)])),
        (1004, format!("Task {task} does not have lock on buildroot {br}"))
    );
    f.builder.ok("host.setBuildRootState", vec![Value::Int(br), "BUILDING".into(), Value::Int(child)]);
    let unknown =
        st(&[("name", "nope".into()), ("version", "1".into()), ("release", "1".into()), ("arch", "noarch".into())]);
    let (code, msg) = fault(
        f.builder
            .call("host.updateBuildRootList", vec![Value::Int(br), Value::Array(vec![unknown]), Value::Int(child)]),
    );
    assert_eq!((code, msg.starts_with("No such rpm")), (1000, true), "{msg}");
    f.builder.ok("host.updateBuildRootList", vec![Value::Int(br), Value::Array(vec![bash("aa11")]), Value::Int(child)]);
    assert_eq!(
        fault(f.builder.call("host.updateBuildRootList", vec![Value::Int(br), Value::Array(vec![bash("bb22")])])),
        (1000, format!("hash changed for external rpm: bash-5.2-1.{arch}@ext (aa11 -> bb22)"))
    );
    let Value::Struct(mut no_size) = bash("aa11") else { unreachable!() };
    no_size.remove("size");
    let no_size = Value::Struct(no_size);
    let (code, msg) =
        fault(f.builder.call("host.updateBuildRootList", vec![Value::Int(br), Value::Array(vec![no_size])]));
    assert_eq!((code, msg.starts_with("size field missing: ")), (1000, true), "{msg}");
    assert_eq!(
        fault(f.builder.call("host.setBuildRootState", vec![Value::Int(br), "INIT".into()])),
        (1000, "Cannot change buildroot state to INIT".into())
    );

    // The builder uploads its results into the child's directory; another host may not.
    let dir = task_dir(child);
    let b1 = KojiCli::password(&hub, "b1", "pw");
    let lines = upload_as(&b1, &dir, &[&f.pkg.srpm, &f.pkg.noarch, &f.pkg.binary]);
    assert_eq!(lines, ["OK 7 7 True", "CHECK 14", "LEGACY True False True True False"]);
    let work = hub.koji_dir().join("work").join(&dir);
    assert_eq!(std::fs::read_to_string(work.join("root.log")).unwrap(), "abcdef");
    assert_eq!(std::fs::read_to_string(work.join("build.log")).unwrap(), "line 1\nline 2\n");
    add_host(&f.db, "b2", &arch, 8.0, &["default"]);
    let b2 = KojiCli::password(&hub, "b2", "pw");
    let b2_id = f.db.psql("SELECT id FROM host WHERE name = 'b2'").trim().to_owned();
    let lines = upload_as(&b2, &dir, &[]);
    assert_eq!(lines, vec![format!("FAULT ActionNotAllowed: host {b2_id} does not own task {child}")]);
    f.builder.ok("host.setBuildRootState", vec![Value::Int(br), "EXPIRED".into(), Value::Int(child)]);
    f.builder.ok("host.setBuildRootState", vec![Value::Int(br), "EXPIRED".into(), Value::Int(child)]);
    assert_eq!(
        fault(f.builder.call("host.setBuildRootState", vec![Value::Int(br), "BUILDING".into()])),
        (1000, format!("buildroot {br} is EXPIRED"))
    );
    let broot = f.builder.ok("getBuildroot", vec![Value::Int(br)]);
    let broot = broot.as_struct().unwrap();
    assert_eq!(
        (broot["state"].clone(), broot["task_id"].clone(), broot["host_name"].clone(), broot["tag_name"].clone()),
        (Value::Int(3), Value::Int(child), Value::from("b1"), Value::from("build"))
    );
    assert!(!broot["retire_event_id"].is_nil());
    let listing = f.builder.ok("getBuildrootListing", vec![Value::Int(br)]);
    let listing: Vec<_> = listing.as_array().unwrap().iter().map(|r| r.as_struct().unwrap().clone()).collect();
    assert_eq!(listing.len(), 1, "{listing:?}");
    assert_eq!(
        (listing[0]["name"].clone(), listing[0]["external_repo_name"].clone(), listing[0]["is_update"].clone()),
        ("bash".into(), "ext".into(), Value::Bool(false))
    );
    f.builder.ok("host.closeTask", vec![Value::Int(child), result_doc(Value::Nil)]);

    // completeBuild refusals: nothing recorded, nothing moved, the build still BUILDING.
    let name = |p: &PathBuf| p.file_name().unwrap().to_str().unwrap().to_owned();
    let srpm = format!("{dir}/{}", name(&f.pkg.srpm));
    let rpms = vec![format!("{dir}/{}", name(&f.pkg.noarch)), format!("{dir}/{}", name(&f.pkg.binary))];
    let other = build_package("hello-koji", "2");
    std::fs::copy(&other.noarch, work.join(name(&other.noarch))).unwrap();
    let before = build_rows(&f.db);
    let complete = |srpm: &str, rpms: &[String], brmap: Value| {
        vec![
            Value::Int(task),
            Value::Int(build),
            srpm.into(),
            Value::Array(rpms.iter().map(|r| Value::from(r.as_str())).collect()),
            brmap,
            st(&[(arch.as_str(), strs(&[&format!("{dir}/build.log")]))]),
        ]
    };
    let mut b2_rpc = Rpc::login(&hub, "b2", "pw");
    assert_eq!(
        fault(b2_rpc.call("host.completeBuild", complete(&srpm, &rpms, Value::Nil))),
        (1004, format!("host {b2_id} does not own task {task}"))
    );
    let missing = vec![format!("{dir}/missing.noarch.rpm")];
    assert_eq!(
        fault(f.builder.call("host.completeBuild", complete(&srpm, &missing, Value::Nil))),
        (1000, format!("No such file: {}", work.join("missing.noarch.rpm").display()))
    );
    let mut mismatched = rpms.clone();
    mismatched.push(format!("{dir}/{}", name(&other.noarch)));
    assert_eq!(
        fault(f.builder.call("host.completeBuild", complete(&srpm, &mismatched, Value::Nil))),
        (
            1000,
            format!(
                "srpm mismatch for {}: hello-koji-1.0-2.src.rpm (expected hello-koji-1.0-1.src.rpm)",
                work.join(name(&other.noarch)).display()
            )
        )
    );
    let bad_br = st(&[(srpm.as_str(), Value::Int(9999))]);
    assert_eq!(
        fault(f.builder.call("host.completeBuild", complete(&srpm, &rpms, bad_br))),
        (1000, "no buildroot with ID: 9999".into())
    );
    assert_eq!(build_rows(&f.db), before);
    for file in [&srpm, &rpms[0], &rpms[1]] {
        let meta = std::fs::symlink_metadata(hub.koji_dir().join("work").join(file)).unwrap();
        assert!(meta.file_type().is_file(), "{file} not moved");
    }
    assert!(!hub.koji_dir().join("packages").exists());

    // completeBuild: COMPLETE, rpms with their buildroot, files in Koji's layout, symlinks left in work/.
    let brmap =
        st(&[(srpm.as_str(), Value::Int(br)), (rpms[0].as_str(), Value::Int(br)), (rpms[1].as_str(), Value::Int(br))]);
    let done = f.builder.ok("host.completeBuild", complete(&srpm, &rpms, brmap));
    assert_eq!(done.as_struct().unwrap()["state"], Value::Int(1));
    assert_eq!(
        f.db.psql(&format!("SELECT arch, buildroot_id FROM rpminfo WHERE build_id = {build} ORDER BY arch")).trim(),
        {
            let mut rows = [format!("{arch}|{br}"), format!("noarch|{br}"), format!("src|{br}")];
            rows.sort();
            rows.join("\n")
        }
    );
    assert_eq!(f.db.psql("SELECT count(*) FROM rpmsigs").trim(), "3");
    let bdir = hub.koji_dir().join("packages/hello-koji/1.0/1");
    for (p, a) in [(&f.pkg.srpm, "src"), (&f.pkg.noarch, "noarch"), (&f.pkg.binary, arch.as_str())] {
        assert_eq!(std::fs::read(bdir.join(a).join(name(p))).unwrap(), std::fs::read(p).unwrap());
        let left = work.join(name(p));
        assert!(std::fs::symlink_metadata(&left).unwrap().file_type().is_symlink());
    }
    assert_eq!(
        std::fs::read_to_string(bdir.join("data/logs").join(&arch).join("build.log")).unwrap(),
        "line 1\nline 2\n"
    );
    assert_eq!(
        fault(f.builder.call("host.failBuild", vec![Value::Int(task), Value::Int(build)])),
        (1000, format!("cannot update build {build}, state: COMPLETE"))
    );

    // host.tagBuild as the task's owner: the package must be listed; a second tagging is refused.
    assert_eq!(
        fault(f.builder.call("host.tagBuild", vec![Value::Int(task), "other".into(), Value::Int(build)])),
        (1003, "Package hello-koji not in list for other".into())
    );
    let dest: i64 = f.db.psql("SELECT id FROM tag WHERE name = 'dest'").trim().parse().unwrap();
    f.builder.ok("host.tagBuild", vec![Value::Int(task), Value::Int(dest), Value::Int(build)]);
    assert_eq!(
        fault(f.builder.call("host.tagBuild", vec![Value::Int(task), Value::Int(dest), Value::Int(build)])),
        (1003, "build hello-koji-1.0-1 already tagged (dest)".into())
    );
    f.builder.ok(
        "host.tagNotification",
        vec![Value::Bool(true), Value::Int(dest), Value::Nil, Value::Int(build), Value::Int(admin_id)],
    );
    assert_eq!(f.db.psql("SELECT creator_id FROM tag_listing").trim(), admin_id.to_string());
    f.builder.ok("host.closeTask", vec![Value::Int(task), result_doc(Value::Nil)]);

    // The stock CLI sees the result and downloads it through /kojifiles/.
    let info = f.admin.run(&["buildinfo", "hello-koji-1.0-1"]);
    info.assert_success();
    assert!(info.stdout.contains("State: COMPLETE"), "{}", info.stdout);
    assert!(info.stdout.contains(&format!("Task: {task} build")), "{}", info.stdout);
    let rpminfo = f.admin.ok(&["rpminfo", &format!("hello-koji-1.0-1.{arch}")]);
    for line in [
        format!("Buildroot: {br} (tag build, arch {arch}, repo {repo})"),
        "Build Host: b1".into(),
        format!("Build Task: {child}"),
    ] {
        assert!(rpminfo.lines().any(|l| l == line), "{line} missing from:\n{rpminfo}");
    }
    let built = f.admin.ok(&["list-buildroot", "--built", &br.to_string()]);
    assert_eq!(built.lines().filter(|l| l.starts_with("hello-koji")).count(), 3, "{built}");
    let tagged = f.admin.run(&["list-tagged", "--quiet", "dest"]);
    assert_eq!(tagged.stdout.split_whitespace().collect::<Vec<_>>(), ["hello-koji-1.0-1", "dest", "kojiadmin"]);
    let anon = KojiCli::anon(&hub);
    anon.run(&["download-build", "hello-koji-1.0-1"]).assert_success();
    for p in [&f.pkg.srpm, &f.pkg.noarch, &f.pkg.binary] {
        assert_eq!(std::fs::read(anon.dir().join(name(p))).unwrap(), std::fs::read(p).unwrap(), "{}", name(p));
    }
    anon.run(&["download-logs", "--nvr", "hello-koji-1.0-1"]).assert_success();
    let log = anon.dir().join("kojilogs/hello-koji-1.0-1/build.log");
    assert_eq!(std::fs::read_to_string(log).unwrap(), "line 1\nline 2\n");
    let out = anon.run(&["download-task", "--noprogress", "--arch", &arch, &task.to_string()]);
    out.assert_success();
    let got = anon.dir().join(name(&f.pkg.binary));
    assert_eq!(std::fs::read(&got).unwrap(), std::fs::read(&f.pkg.binary).unwrap());

    // /kojifiles/ itself: HEAD, Range, no way out of KojiDir, no directory listings.
    let path = format!("/kojifiles/packages/hello-koji/1.0/1/src/{}", name(&f.pkg.srpm));
    let size = std::fs::metadata(&f.pkg.srpm).unwrap().len();
    let head = http_raw(hub.addr(), "HEAD", &path, &[], None);
    assert_eq!((head.status, head.header("Content-Length")), (200, Some(size.to_string().as_str())));
    let part = http_raw(hub.addr(), "GET", &path, &[("Range", "bytes=4-13")], None);
    assert_eq!((part.status, part.body.as_slice()), (206, &std::fs::read(&f.pkg.srpm).unwrap()[4..14]));
    assert_eq!(part.header("Content-Type"), Some("application/x-rpm"));
    assert_eq!(hub.get_raw("/kojifiles/packages/../../hub.conf").status, 404);
    assert_eq!(hub.get_raw("/kojifiles/packages/%2e%2e/%2e%2e/hub.conf").status, 404);
    assert_eq!(hub.get_raw("/kojifiles/packages/").status, 404);

    // A second build of the same N-V-R is refused and changes nothing.
    let again = f.cli_build(&[]);
    take(&mut f.builder, &f.db, f.host, again);
    let before = build_rows(&f.db);
    let (code, msg) = fault(f.init_build(again));
    assert_eq!(code, 1000);
    assert!(msg.starts_with(&format!("Build already exists (id={build}, state=COMPLETE): ")), "{msg}");
    assert_eq!(build_rows(&f.db), before);

    // tagBuild (the root call) makes a tagBuild task; an admin's force adds the missing package.
    let out = f.admin.run(&["tag-build", "--nowait", "other", "hello-koji-1.0-1"]);
    assert!(out.stderr.contains("Package hello-koji not in list for other"), "{}", out.stderr);
    let out = f.admin.run(&["tag-build", "--nowait", "--force", "other", "hello-koji-1.0-1"]);
    out.assert_success();
    let tag_task: i64 = f.db.psql("SELECT max(id) FROM task WHERE method = 'tagBuild'").trim().parse().unwrap();
    assert_eq!(task_field(&f.db, tag_task, "priority"), "10");
    let other_id = f.db.psql("SELECT id FROM tag WHERE name = 'other'").trim().to_owned();
    assert_eq!(
        admin_rpc.ok("getTaskRequest", vec![Value::Int(tag_task)]),
        Value::Array(vec![Value::Int(other_id.parse().unwrap()), Value::Int(build), Value::Bool(true), Value::Nil])
    );
}

fn fault_doc(message: &str) -> Value {
    Value::String(xmlrpc::encode_fault(1005, message))
}

#[test]
fn failed_cancelled_recycled_and_scratch_builds() {
    let (db, hub, admin) = setup_with_cli(&[]);
    let mut f = start(&hub, db, admin);
    hub.create_user("bob", USER_PW, false);
    let mut admin = Rpc::login(&hub, "kojiadmin", ADMIN_PW);
    let mut bob = Rpc::login(&hub, "bob", USER_PW);

    // The builder fails the build, then the task; a failed build cannot fail again.
    let t1 = f.cli_build(&[]);
    take(&mut f.builder, &f.db, f.host, t1);
    let build = f.init_build(t1).unwrap().as_i64().unwrap();
    f.builder.ok("host.failBuild", vec![Value::Int(t1), Value::Int(build)]);
    assert_eq!(f.build_state(build), "3");
    assert_eq!(
        fault(f.builder.call("host.failBuild", vec![Value::Int(t1), Value::Int(build)])),
        (1000, format!("cannot update build {build}, state: FAILED"))
    );
    f.builder.ok("host.failTask", vec![Value::Int(t1), fault_doc("BuildError: rpmbuild failed")]);

    // A new attempt recycles the FAILED build (same id, BUILDING under the new task, stray files gone);
    // meanwhile no other task can claim the N-V-R.
    let stray = f.hub.koji_dir().join("packages/hello-koji/1.0/1/src");
    std::fs::create_dir_all(&stray).unwrap();
    let t2 = f.cli_build(&[]);
    take(&mut f.builder, &f.db, f.host, t2);
    assert_eq!(f.init_build(t2).unwrap().as_i64(), Some(build));
    assert_eq!(f.db.psql(&format!("SELECT state, task_id FROM build WHERE id = {build}")).trim(), format!("0|{t2}"));
    assert!(!f.hub.koji_dir().join("packages/hello-koji/1.0/1").exists(), "stray files removed");
    let t3 = f.cli_build(&[]);
    take(&mut f.builder, &f.db, f.host, t3);
    assert_eq!(fault(f.init_build(t3)), (1000, format!("Build already in progress (task {t2})")));

    // `koji cancel` on the build task cancels its build.
    f.admin.run(&["cancel", &t2.to_string()]).assert_success();
    assert_eq!((task_field(&f.db, t2, "state"), f.build_state(build)), ("3".into(), "4".into()));

    // A task failed without failBuild (its builder gave up) still leaves its build FAILED.
    assert_eq!(f.init_build(t3).unwrap().as_i64(), Some(build));
    f.builder.ok("host.failTask", vec![Value::Int(t3), fault_doc("lost")]);
    assert_eq!(f.build_state(build), "3");

    // cancelBuild: the owner or an admin; it cancels the task too; false once the build is not BUILDING.
    let t4 = f.cli_build(&[]);
    take(&mut f.builder, &f.db, f.host, t4);
    assert_eq!(f.init_build(t4).unwrap().as_i64(), Some(build));
    assert_eq!(
        fault(bob.call("cancelBuild", vec![Value::Int(build)])),
        (1004, "Cannot cancel build, not owner".into())
    );
    assert_eq!(admin.ok("cancelBuild", vec![Value::Int(build)]), Value::Bool(true));
    assert_eq!((task_field(&f.db, t4, "state"), f.build_state(build)), ("3".into(), "4".into()));
    assert_eq!(admin.ok("cancelBuild", vec![Value::Int(build)]), Value::Bool(false));
    assert_eq!(admin.ok("cancelBuild", vec!["nope-1-1".into()]), Value::Bool(false));
    assert_eq!(
        fault(admin.call("cancelBuild", vec!["nope-1-1".into(), Value::Bool(true)])),
        (1000, "No such build: 'nope-1-1'".into())
    );

    // Priorities are relative to Koji's default; only admins may go below it; the source must be text.
    assert_eq!(
        fault(bob.call("build", vec!["x.src.rpm".into(), "t".into(), Value::Nil, Value::Int(-1)])),
        (1004, "only admins may create high-priority tasks".into())
    );
    let low = bob.ok("build", vec!["x.src.rpm".into(), "t".into(), Value::Nil, Value::Int(5)]).as_i64().unwrap();
    let bob_id = f.db.psql("SELECT id FROM users WHERE name = 'bob'").trim().to_owned();
    assert_eq!(task_field(&f.db, low, "priority || ' ' || owner || ' ' || channel_id"), format!("25 {bob_id} 1"));
    assert_eq!(
        fault(bob.call("build", vec![Value::Int(5), "t".into()])),
        (1019, "Invalid type for value '5': <class 'int'>, expected type <class 'str'>".into())
    );
    assert_eq!(
        fault(bob.call("build", vec!["x.src.rpm".into(), "t".into(), Value::Nil, Value::Nil, "nochannel".into()])),
        (1000, "No such channel: nochannel".into())
    );
    admin.ok("cancelTask", vec![Value::Int(low)]);

    // A scratch build: results filed under scratch/<owner>/task_<id>/, nothing recorded.
    let ts = f.cli_build(&["--scratch", "--background"]);
    assert_eq!(task_field(&f.db, ts, "priority"), "25");
    let opts = admin.ok("getTaskRequest", vec![Value::Int(ts)]).as_array().unwrap()[2].clone();
    assert_eq!(opts.as_struct().unwrap()["scratch"], Value::Bool(true));
    take(&mut f.builder, &f.db, f.host, ts);
    let [srpm, noarch, binary, log] = f.place(ts);
    let before = build_rows(&f.db);
    let logs = st(&[(f.pkg.arch.as_str(), strs(&[&log]))]);
    let missing = format!("{}/missing.rpm", task_dir(ts));
    assert_eq!(
        fault(f.builder.call(
            "host.moveBuildToScratch",
            vec![Value::Int(ts), srpm.as_str().into(), strs(&[&missing]), logs.clone()]
        )),
        (1000, format!("No such file: {}", f.hub.koji_dir().join("work").join(&missing).display()))
    );
    f.builder
        .ok("host.moveBuildToScratch", vec![Value::Int(ts), srpm.as_str().into(), strs(&[&noarch, &binary]), logs]);
    assert_eq!(build_rows(&f.db), before);
    let scratch = f.hub.koji_dir().join(format!("scratch/kojiadmin/task_{ts}"));
    for (rel, p) in [(&srpm, &f.pkg.srpm), (&noarch, &f.pkg.noarch), (&binary, &f.pkg.binary)] {
        let file = scratch.join(p.file_name().unwrap());
        assert_eq!(std::fs::read(&file).unwrap(), std::fs::read(p).unwrap());
        let left = f.hub.koji_dir().join("work").join(rel);
        assert!(std::fs::symlink_metadata(left).unwrap().file_type().is_symlink());
    }
    assert_eq!(std::fs::read_to_string(scratch.join("logs").join(&f.pkg.arch).join("build.log")).unwrap(), "built\n");
    // The CLI downloads a scratch build's rpms from the task's directory, through the symlinks left there.
    f.builder.ok("host.closeTask", vec![Value::Int(ts), result_doc(Value::Nil)]);
    let anon = KojiCli::anon(f.hub);
    anon.ok(&["download-task", "--noprogress", &ts.to_string()]);
    for p in [&f.pkg.srpm, &f.pkg.noarch, &f.pkg.binary] {
        assert_eq!(std::fs::read(anon.dir().join(p.file_name().unwrap())).unwrap(), std::fs::read(p).unwrap());
    }

    // chainBuild: lists of sources in a `chainbuild` task.
    let chain = vec![Value::Array(vec![strs(&["a.src.rpm", "b.src.rpm"]), strs(&["c.src.rpm"])]), "t".into()];
    let ct = bob.ok("chainBuild", chain).as_i64().unwrap();
    assert_eq!(task_field(&f.db, ct, "method || ' ' || priority"), "chainbuild 20");
    assert_eq!(fault(bob.call("chainBuild", vec!["a.src.rpm".into(), "t".into()])).0, 1019);
    admin.ok("cancelTask", vec![Value::Int(ct)]);

    // A locked destination tag: the CLI refuses a real build (a scratch build is still fine).
    f.admin.ok(&["edit-tag", "--lock", "dest"]);
    let err = f.admin.fails(&["build", "--nowait", "t", s(&f.pkg.srpm)]);
    assert!(err.contains("Destination tag dest is locked"), "{err}");
    f.cli_build(&["--scratch"]);

    // getBuildConfig answers as of an event.
    let before = f.db.last_event();
    f.admin.ok(&["edit-tag", "build", "--arches", "s390x"]);
    let mut arches = |event: Value| {
        let cfg = admin.ok("getBuildConfig", vec!["build".into(), event]);
        cfg.as_struct().unwrap()["arches"].clone()
    };
    assert_eq!(arches(Value::Int(before)), Value::from(f.pkg.arch.as_str()));
    assert_eq!(arches(Value::Nil), Value::from("s390x"));
}
