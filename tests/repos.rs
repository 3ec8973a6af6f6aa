//! Issue 7: repos. The hub's RepoManager, repo requests and the repo calls, driven with the stock koji 1.36.1
//! CLI, and a fake builder (tests/repos/fake_builder.py, the stock koji library) that plays the newRepo and
//! createrepo tasks through the host calls kojid makes and runs the real createrepo_c, so what is checked is
//! createrepo_c's own metadata.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use support::TempDir;
use support::cli::{KojiCli, PythonChild};
use support::fleet::{self, ADMIN_PW, wait_for};
use support::hub::{Hub, HubOptions};
use support::kojid::{Kojid, add_build_target};
use support::pg::DbInfo;
use support::rpmbuild::{Package, build_package};

const FAKE_BUILDER: &str = include_str!("repos/fake_builder.py");
const WAIT: Duration = Duration::from_secs(60);
/// The hub's default, which the test harness turns off for other tests.
const AUTO_REGEN: &[(&str, &str)] = &[("RepoAutoRegen", "yes")];

/// A host in the createrepo channel and the fake builder logged in as it; `fail_next` createrepo runs fail.
struct Builder {
    _child: PythonChild,
    failfile: PathBuf,
    _dir: TempDir,
}

impl Builder {
    fn start(db: &DbInfo, hub: &Hub, name: &str) -> Builder {
        fleet::add_host(db, name, "x86_64", 10.0, &["createrepo"]);
        let dir = TempDir::new("fake-builder");
        let failfile = dir.path().join("fail");
        let script = format!(
            "TOPDIR = {:?}\nFAILFILE = {:?}\n{FAKE_BUILDER}",
            hub.koji_dir().to_str().unwrap(),
            failfile.to_str().unwrap()
        );
        let mut child = KojiCli::password(hub, name, "pw").spawn_python(&script);
        assert_eq!(child.read_line(), "ready\n");
        Builder { _child: child, failfile, _dir: dir }
    }

    fn fail_next(&self, n: u32) {
        std::fs::write(&self.failfile, n.to_string()).unwrap();
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Imports a `build_package` build: its SRPM, an arch-specific rpm (the host's arch, x86_64 here) and a noarch
/// `-data` rpm.
fn import(cli: &KojiCli, p: &Package) {
    cli.run(&["import", s(&p.srpm), s(&p.noarch), s(&p.binary)]).assert_success();
}

fn sql(db: &DbInfo, query: &str) -> String {
    db.psql(query).trim().to_owned()
}

/// The newest READY repo of `tag` newer than `after`, once there is one.
fn ready_repo_after(db: &DbInfo, tag: &str, after: i64) -> i64 {
    wait_for(&format!("a READY repo of {tag} after {after}"), WAIT, || {
        sql(
            db,
            &format!(
                "SELECT max(repo.id) FROM repo JOIN tag ON tag.id = repo.tag_id WHERE tag.name = '{tag}' AND state = 1 \
             AND repo.id > {after}"
            ),
        )
        .parse()
        .ok()
    })
}

/// Package names in the repo's createrepo_c metadata (`primary.xml`).
fn primary_names(hub: &Hub, tag: &str, repo: i64, arch: &str) -> Vec<String> {
    let repodata = hub.koji_dir().join(format!("repos/{tag}/{repo}/{arch}/repodata"));
    let primary = std::fs::read_dir(&repodata)
        .unwrap_or_else(|e| panic!("{}: {e}", repodata.display()))
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("-primary.xml.gz"))
        .expect("primary.xml.gz");
    let out = Command::new("zcat").arg(&primary).output().unwrap();
    let xml = String::from_utf8(out.stdout).unwrap();
    let mut names: Vec<String> = xml
        .lines()
        .filter_map(|l| l.trim().strip_prefix("<name>").and_then(|r| r.strip_suffix("</name>")))
        .map(str::to_owned)
        .collect();
    names.sort();
    names
}

fn lines(out: &str) -> Vec<&str> {
    out.lines().collect()
}

#[test]
fn tagging_a_build_regenerates_the_build_tag_repo() {
    let (db, hub) = fleet::setup(AUTO_REGEN);
    let admin = KojiCli::password(&hub, "kojiadmin", ADMIN_PW);
    let _builder = Builder::start(&db, &hub, "builder1");
    for args in [
        &["add-tag", "dist"][..],
        &["add-tag", "dist-build", "--parent", "dist", "--arches", "x86_64"],
        &["add-group", "dist-build", "build"],
        &["add-group-pkg", "dist-build", "build", "bash", "rpm-build"],
        &["add-pkg", "dist", "hello", "blockme", "--owner", "kojiadmin"],
        &["add-target", "dist-target", "dist-build", "dist"],
    ] {
        admin.run(args).assert_success();
    }
    // Groups: the CLI's listing and the comps the repo gets.
    let out = admin.run(&["list-groups", "dist-build"]);
    assert_eq!(
        lines(&out.assert_success().stdout),
        ["build  [dist-build]", "  bash: None, mandatory  [dist-build]", "  rpm-build: None, mandatory  [dist-build]"]
    );
    let out = admin.run(&["show-groups", "--comps", "dist-build"]);
    assert!(
        out.assert_success().stdout.contains("<packagereq type=\"mandatory\">rpm-build</packagereq>"),
        "{}",
        out.stdout
    );

    // A new target's build tag gets a repo by itself; it is empty.
    let first = ready_repo_after(&db, "dist-build", 0);
    assert_eq!(primary_names(&hub, "dist-build", first, "x86_64"), Vec::<String>::new());
    let comps =
        std::fs::read_to_string(hub.koji_dir().join(format!("repos/dist-build/{first}/groups/comps.xml"))).unwrap();
    assert!(comps.contains("<id>build</id>") && comps.contains(">bash</packagereq>"), "{comps}");
    assert_eq!(
        std::fs::read_link(hub.koji_dir().join("repos/dist-build/latest")).unwrap(),
        PathBuf::from(first.to_string())
    );

    // Tagging into the parent makes the build tag's repo stale; a new READY repo lists the package, not the
    // package blocked in the build tag.
    let hello = build_package("hello", "1");
    let blockme = build_package("blockme", "1");
    import(&admin, &hello);
    import(&admin, &blockme);
    admin.run(&["block-pkg", "dist-build", "blockme"]).assert_success();
    admin.run(&["call", "tagBuildBypass", "dist", "hello-1.0-1"]).assert_success();
    admin.run(&["call", "tagBuildBypass", "dist", "blockme-1.0-1"]).assert_success();
    let out = admin.run(&["wait-repo", "dist-build", "--build", "hello-1.0-1", "--request"]);
    let got = lines(&out.assert_success().stdout)[0].to_owned();
    let repo: i64 = got.strip_prefix("Got repo ").unwrap_or_else(|| panic!("{got}")).parse().unwrap();
    assert!(repo > first);
    assert_eq!(primary_names(&hub, "dist-build", repo, "x86_64"), ["hello", "hello-data"]);
    let blocklist =
        std::fs::read_to_string(hub.koji_dir().join(format!("repos/dist-build/{repo}/x86_64/blocklist"))).unwrap();
    assert_eq!(blocklist, "blockme\n");
    let pkglist =
        std::fs::read_to_string(hub.koji_dir().join(format!("repos/dist-build/{repo}/x86_64/pkglist"))).unwrap();
    assert_eq!(
        pkglist,
        "toplink/packages/hello/1.0/1/x86_64/hello-1.0-1.x86_64.rpm\n\
         toplink/packages/hello/1.0/1/noarch/hello-data-1.0-1.noarch.rpm\n"
    );

    // Once the queue is idle (each change may have had its own regen), superseded repos are EXPIRED and
    // `latest` is the newest.
    wait_for("the repo queue idle", WAIT, || {
        (count(&db, "SELECT count(*) FROM repo_queue WHERE active") == 0
            && count(&db, "SELECT count(*) FROM repo WHERE state = 0") == 0)
            .then_some(())
    });
    let newest = count(&db, "SELECT max(id) FROM repo WHERE state = 1");
    assert!(newest >= repo);
    wait_for("older repos EXPIRED", WAIT, || {
        (count(&db, &format!("SELECT count(*) FROM repo WHERE state = 2 AND id < {newest}")) == newest - 1)
            .then_some(())
    });
    assert_eq!(
        std::fs::read_link(hub.koji_dir().join("repos/dist-build/latest")).unwrap(),
        PathBuf::from(newest.to_string())
    );

    // repoinfo and mock-config read what the hub recorded.
    let out = KojiCli::anon(&hub).run(&["repoinfo", &newest.to_string()]);
    let info = out.assert_success().stdout.clone();
    for want in [
        "Tag name: dist-build".to_owned(),
        "State: READY".to_owned(),
        format!("ID: {repo}"),
        "Dist repo?: no".to_owned(),
    ] {
        assert!(info.lines().any(|l| l == want), "{want} not in\n{info}");
    }
    let out = KojiCli::anon(&hub).run(&["mock-config", "--tag", "dist-build", "--arch", "x86_64"]);
    assert!(out.assert_success().stdout.contains(&format!("/repos/dist-build/{newest}/x86_64")), "{}", out.stdout);

    // Metrics: one regen duration per repo made, no waiting requests, the age of each tag's newest repo.
    let metrics = wait_for("metrics matching the repos", WAIT, || {
        let made = format!("koji_repo_regen_duration_seconds_count {}", sql(&db, "SELECT count(*) FROM repo"));
        let metrics = hub.get_raw("/metrics").text();
        metrics.contains(&made).then_some(metrics)
    });
    for want in ["koji_repo_requests_waiting 0", "koji_repo_age_seconds{tag=\"dist-build\"}"] {
        assert!(metrics.contains(want), "{want} not in\n{metrics}");
    }
}

fn count(db: &DbInfo, query: &str) -> i64 {
    sql(db, query).parse().unwrap()
}

fn request_count(db: &DbInfo, tag: &str) -> i64 {
    count(db, &format!("SELECT count(*) FROM repo_queue JOIN tag ON tag.id = tag_id WHERE tag.name = '{tag}'"))
}

fn new_repo_tasks(db: &DbInfo) -> i64 {
    count(db, "SELECT count(*) FROM task WHERE method = 'newRepo'")
}

/// The id in a `Got repo N` / `Got request: N` line.
fn id_after(out: &str, prefix: &str) -> i64 {
    let line = out.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no {prefix:?} in\n{out}"));
    line[prefix.len()..].trim().parse().unwrap()
}

#[test]
fn waiters_share_one_regen_and_failed_regens_are_retried_without_wedging() {
    let (db, hub) = fleet::setup(&[("RepoRetries", "1")]);
    let admin = KojiCli::password(&hub, "kojiadmin", ADMIN_PW);
    admin.run(&["add-tag", "side", "--arches", "x86_64"]).assert_success();
    admin.run(&["add-pkg", "side", "hello", "other", "--owner", "kojiadmin"]).assert_success();
    let hello = build_package("hello", "1");
    import(&admin, &hello);

    // Two `wait-repo --request` for the same tag, the second after a change; no builder yet, so the first
    // request's newRepo task is still waiting when the second request comes and joins it.
    let (a, b, builder) = std::thread::scope(|scope| {
        let first = scope.spawn(|| admin.run(&["wait-repo", "side", "--request"]));
        wait_for("the first request", WAIT, || (request_count(&db, "side") == 1).then_some(()));
        admin.run(&["call", "tagBuildBypass", "side", "hello-1.0-1"]).assert_success();
        let second = scope.spawn(|| admin.run(&["wait-repo", "side", "--request"]));
        wait_for("the second request", WAIT, || (request_count(&db, "side") == 2).then_some(()));
        wait_for("both requests on one task", WAIT, || {
            (count(&db, "SELECT count(DISTINCT task_id) FROM repo_queue WHERE task_id IS NOT NULL") == 1
                && count(&db, "SELECT count(*) FROM repo_queue WHERE task_id IS NULL") == 0)
                .then_some(())
        });
        assert_eq!(new_repo_tasks(&db), 1);
        // The builder's first createrepo fails: the repo becomes PROBLEM and one new task serves both.
        let builder = Builder::start(&db, &hub, "builder1");
        builder.fail_next(1);
        (first.join().unwrap(), second.join().unwrap(), builder)
    });
    let repo = id_after(&a.assert_success().stdout, "Got repo ");
    assert_eq!(id_after(&b.assert_success().stdout, "Got repo "), repo);
    assert_eq!(new_repo_tasks(&db), 2, "one failed regen, one retry for both waiters");
    assert_eq!(count(&db, "SELECT count(*) FROM repo WHERE state = 4"), 1, "the failed repo is PROBLEM");
    assert_eq!(count(&db, "SELECT count(*) FROM task WHERE method = 'newRepo' AND state = 5"), 1);
    assert_eq!(primary_names(&hub, "side", repo, "x86_64"), ["hello", "hello-data"]);

    // Retries exhausted: the request is given up (RepoRetries = 1: two tries), its waiters told so, and the
    // queue keeps serving other requests.
    let other = build_package("other", "2");
    import(&admin, &other);
    admin.run(&["call", "tagBuildBypass", "side", "other-1.0-2"]).assert_success();
    builder.fail_next(2);
    let out = admin.run(&["request-repo", "side", "--current", "--nowait"]);
    let doomed = id_after(&out.assert_success().stdout, "Got request: ");
    wait_for("request given up", WAIT, || {
        (sql(&db, &format!("SELECT active FROM repo_queue WHERE id = {doomed}")) == "f").then_some(())
    });
    assert_eq!(sql(&db, &format!("SELECT tries FROM repo_queue WHERE id = {doomed}")), "2");
    let out = admin.run(&["wait-repo-request", &doomed.to_string()]);
    assert_eq!(out.status, 1);
    let task = sql(&db, &format!("SELECT task_id FROM repo_queue WHERE id = {doomed}"));
    let want = format!("Failed to get repo -- Repo request inactive: task {task} state is FAILED");
    assert!(out.stderr.contains(&want), "{}", out.stderr);

    // The koji-rs long poll returns as soon as the request is fulfilled, also on a hub that is not the
    // RepoManager leader (woken by the request's NOTIFY): here a second hub on the same database, and a first
    // createrepo that fails, so the request is still waiting when the call comes.
    let other_hub =
        Hub::start(&db, HubOptions { extra_conf: vec![("RepoRetries".into(), "1".into())], ..Default::default() });
    assert!(other_hub.get_raw("/metrics").text().contains("koji_repo_manager_leader 0"));
    builder.fail_next(1);
    let out = admin.run(&["regen-repo", "side", "--nowait"]);
    let req = id_after(&out.assert_success().stdout, "Got request: ");
    let script = format!(
        "import koji, os, time\ns = koji.ClientSession(os.environ['KOJI_URL'])\nt = time.time()\n\
         c = s.repo.waitRequest({req}, timeout=50)\nprint(c['request']['active'], c['repo']['id'], time.time() - t < 30)"
    );
    let out = KojiCli::anon(&other_hub).python(&script);
    let fields: Vec<&str> = out.assert_success().stdout.split_whitespace().collect();
    assert_eq!(fields[0], "False");
    assert_eq!(fields[2], "True");
    let newest: i64 = fields[1].parse().unwrap();
    assert_eq!(primary_names(&hub, "side", newest, "x86_64"), ["hello", "hello-data", "other", "other-data"]);
    let out = admin.run(&["wait-repo-request", &req.to_string()]);
    assert_eq!(lines(&out.assert_success().stdout)[0], format!("Got repo {newest}"));
    // Settled already: the long poll does not wait.
    let out = KojiCli::anon(&hub).python(&format!(
        "import koji, os, time\ns = koji.ClientSession(os.environ['KOJI_URL'])\nt = time.time()\n\
         c = s.repo.waitRequest({doomed}, timeout=30)\nprint(c['repo'], time.time() - t < 5)"
    ));
    assert_eq!(out.assert_success().stdout, "None True\n");
}

#[test]
fn expired_repos_are_deleted_after_their_lifetime_unless_a_buildroot_uses_them() {
    let (db, hub) = fleet::setup(&[AUTO_REGEN[0], ("ExpiredRepoLifetime", "2")]);
    let admin = KojiCli::password(&hub, "kojiadmin", ADMIN_PW);
    let _builder = Builder::start(&db, &hub, "builder1");
    admin.run(&["add-tag", "t3", "--arches", "x86_64"]).assert_success();
    admin.run(&["add-target", "tgt3", "t3", "t3"]).assert_success();
    let old = ready_repo_after(&db, "t3", 0);
    let old_dir = hub.koji_dir().join(format!("repos/t3/{old}"));
    // A live buildroot uses the old repo.
    db.psql(&format!(
        "WITH b AS (INSERT INTO buildroot (br_type) VALUES (0) RETURNING id) \
         INSERT INTO standard_buildroot (buildroot_id, host_id, repo_id, task_id, state) \
         SELECT b.id, host.id, repo.id, repo.task_id, 2 FROM b, host, repo WHERE repo.id = {old}"
    ));
    let out = KojiCli::anon(&hub).python(&format!(
        "import koji, os\ns = koji.ClientSession(os.environ['KOJI_URL'])\nprint(len(s.repo.references({old})))"
    ));
    assert_eq!(out.assert_success().stdout, "1\n");

    // A change regenerates; the old repo expires, outlives its lifetime while in use, then goes.
    admin.run(&["add-pkg", "t3", "foo", "--owner", "kojiadmin"]).assert_success();
    let new = ready_repo_after(&db, "t3", old);
    wait_for("old repo EXPIRED", WAIT, || {
        (sql(&db, &format!("SELECT state FROM repo WHERE id = {old}")) == "2").then_some(())
    });
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(sql(&db, &format!("SELECT state FROM repo WHERE id = {old}")), "2", "kept while a buildroot uses it");
    assert!(old_dir.exists());
    db.psql(&format!(
        "UPDATE standard_buildroot SET state = 3, retire_event = (SELECT max(id) FROM events) WHERE repo_id = {old}"
    ));
    wait_for("old repo DELETED", WAIT, || {
        (sql(&db, &format!("SELECT state FROM repo WHERE id = {old}")) == "3").then_some(())
    });
    wait_for("old repo directory removed", WAIT, || (!old_dir.exists()).then_some(()));
    assert!(hub.koji_dir().join(format!("repos/t3/{new}/x86_64/repodata/repomd.xml")).exists());

    // kojira's state calls: perm repo, states only move up, DELETED is final.
    let out = KojiCli::anon(&hub).run(&["call", "repoProblem", &new.to_string()]);
    assert_ne!(out.status, 0);
    admin.run(&["call", "repoProblem", &new.to_string()]).assert_success();
    let out = admin.run(&["call", "repoExpire", &new.to_string()]);
    assert!(
        out.stderr.contains(&format!("Invalid repo state transition for repo {new}: PROBLEM -> EXPIRED")),
        "{}",
        out.stderr
    );
    assert_eq!(admin.run(&["call", "repoDelete", &new.to_string()]).assert_success().stdout, "0\n");
    let out = admin.run(&["call", "repoProblem", &new.to_string()]);
    assert!(out.stderr.contains(&format!("Repo {new} is deleted")), "{}", out.stderr);
}

/// The SRPM of a noarch `name-1.0-1%{dist}` with the given extra preamble lines (e.g. `BuildRequires: x`).
fn srpm(dir: &Path, name: &str, preamble: &str) -> PathBuf {
    let spec = dir.join(format!("{name}.spec"));
    std::fs::write(
        &spec,
        format!(
            "Name: {name}\nVersion: 1.0\nRelease: 1%{{?dist}}\nSummary: chain\nLicense: MIT\nBuildArch: noarch\n\
             {preamble}\n%description\nChain.\n%prep\n%build\n%install\nmkdir -p %{{buildroot}}/usr/share/{name}\n\
             echo {name} > %{{buildroot}}/usr/share/{name}/f\n%files\n/usr/share/{name}/f\n"
        ),
    )
    .unwrap();
    let out = Command::new("rpmbuild")
        .args(["-bs", "--define"])
        .arg(format!("_topdir {}", dir.display()))
        .arg(&spec)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    dir.join(format!("SRPMS/{name}-1.0-1.src.rpm"))
}

#[test]
fn a_build_chain_with_the_real_kojid_gets_the_regenerated_repo() {
    let (db, hub) = fleet::setup(&[]);
    // The Rust `kojid` in the default and createrepo channels.
    fleet::add_host(&db, "k1", "x86_64", 4.0, &["default", "createrepo"]);
    let kojid = Kojid::start(&hub, "k1", "");
    let cli = KojiCli::password(&hub, "kojiadmin", ADMIN_PW);
    add_build_target(&cli, &["liba", "appb", "appc"]);
    let work = TempDir::new("chain");
    let fail = |what: &str, out: &support::cli::CliOutput| {
        panic!("{what}:\n{}{}\n--- kojid\n{}\n--- hub\n{}", out.stdout, out.stderr, kojid.log(), hub.stderr_log())
    };
    let out = cli.run(&["build", "--wait", "t1", s(&srpm(work.path(), "liba", ""))]);
    if out.status != 0 {
        fail("liba", &out);
    }
    // kojid's createrepo made the regenerated repo: it lists liba.
    let out = cli.run(&["wait-repo", "dest-build", "--build", "liba-1.0-1.kt1", "--request"]);
    if out.status != 0 {
        fail("wait-repo", &out);
    }
    let repo = id_after(&out.stdout, "Got repo ");
    assert_eq!(primary_names(&hub, "dest-build", repo, "x86_64"), ["liba"]);
    // appb BuildRequires liba: the rpmbuild backend resolves it from that repo.
    let out = cli.run(&["build", "--wait", "t1", s(&srpm(work.path(), "appb", "BuildRequires: liba"))]);
    if out.status != 0 {
        fail("appb", &out);
    }
    assert_eq!(sql(&db, "SELECT count(*) FROM build WHERE state = 1"), "2");
    // The check is real: what no repo provides fails the build.
    let out = cli.run(&["build", "--wait", "t1", s(&srpm(work.path(), "appc", "BuildRequires: nothere"))]);
    assert_ne!(out.status, 0, "{}", out.stdout);
}

/// The comps rows, to check that a refused change wrote nothing.
fn group_rows(db: &DbInfo) -> String {
    db.psql(
        "SELECT 'g', group_id, tag_id, blocked, active FROM group_config ORDER BY 2, 3, create_event; \
         SELECT 'p', group_id, tag_id, package, blocked, active FROM group_package_listing ORDER BY 2, 3, 4, create_event; \
         SELECT 'r', group_id, tag_id, req_id, blocked, active FROM group_req_listing ORDER BY 2, 3, 4, create_event; \
         SELECT 'events', count(*) FROM events",
    )
}

#[test]
fn comps_groups_through_the_cli_with_inheritance_blocks_and_refusals() {
    let (db, hub) = fleet::setup(&[]);
    let admin = KojiCli::password(&hub, "kojiadmin", ADMIN_PW);
    for args in [
        &["add-tag", "base"][..],
        &["add-tag", "child", "--parent", "base"],
        &["add-group", "base", "build"],
        &["add-group", "base", "srpm-build"],
        &["add-group-pkg", "base", "build", "bash", "make"],
        &["add-group-pkg", "base", "srpm-build", "rpm-build"],
        &["add-group-req", "base", "build", "srpm-build"],
        &["block-group-pkg", "child", "build", "make"],
    ] {
        admin.run(args).assert_success();
    }
    let list = |args: &[&str]| {
        lines(&admin.run(args).assert_success().stdout).iter().map(|l| l.to_string()).collect::<Vec<_>>()
    };
    assert_eq!(
        list(&["list-groups", "child", "build"]),
        ["build  [base]", "  @srpm-build  [base]", "  bash: None, mandatory  [base]"]
    );
    assert_eq!(
        list(&["list-groups", "child", "build", "--show-blocked"]),
        [
            "build  [base]",
            "  @srpm-build  [base]",
            "  bash: None, mandatory  [base]",
            "  make: None, mandatory  [child] [BLOCKED]"
        ]
    );
    // The comps a repo of child gets: the required group expanded into build, the blocked package left out.
    let comps = admin.run(&["show-groups", "--comps", "--expand", "child"]).assert_success().stdout.clone();
    assert!(comps.contains("<!-- Expanding Group: srpm-build -->"), "{comps}");
    assert!(!comps.contains(">make<"), "{comps}");

    // Refusals print Koji's fault and change nothing.
    let before = group_rows(&db);
    let out = admin.run(&["add-group-pkg", "child", "nosuch", "bash"]);
    assert!(out.stderr.contains("No such entry in table groups: nosuch"), "{}", out.stderr);
    let out = admin.run(&["unblock-group-pkg", "child", "build", "bash"]);
    assert!(out.stderr.contains("package bash is NOT blocked in group"), "{}", out.stderr);
    let out = admin.run(&["add-group-pkg", "child", "build", "make"]);
    assert!(out.stderr.contains("package make blocked in group build, tag child"), "{}", out.stderr);
    let out = admin.run(&["add-group", "base", "build"]);
    assert!(out.stderr.contains("Group build already exists for tag base"), "{}", out.stderr);
    hub.create_user("joe", "joe-pw", false);
    let out = KojiCli::password(&hub, "joe", "joe-pw").run(&["call", "groupListAdd", "base", "extra"]);
    assert!(out.stderr.contains("tag permission required"), "{}", out.stderr);
    assert_eq!(group_rows(&db), before);

    // Unblocking brings the inherited entry back; removing a group drops it from the tag.
    admin.run(&["unblock-group-pkg", "child", "build", "make"]).assert_success();
    assert!(list(&["list-groups", "child", "build"]).contains(&"  make: None, mandatory  [base]".to_owned()));
    admin.run(&["block-group", "child", "srpm-build"]).assert_success();
    assert_eq!(list(&["list-groups", "child", "srpm-build"]), Vec::<String>::new());
    admin.run(&["remove-group", "base", "srpm-build"]).assert_success();
    assert_eq!(list(&["list-groups", "base", "srpm-build"]), Vec::<String>::new());
}
