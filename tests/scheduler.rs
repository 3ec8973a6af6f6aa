//! Issue 5 against the real hub and PostgreSQL: placement, the stock-kojid host calls, parent/child waiting,
//! the task CLI commands.

mod support;

use koji_rs::xmlrpc::{self, Value};
use std::time::Duration;
use support::cli::KojiCli;
use support::fleet::{ADMIN_PW, add_host, make_task, ready, setup, task_field, wait_for};
use support::rpc::{Rpc, kwargs};

/// The ids in a builder's `host.getTasks` answer.
fn assigned(builder: &mut Rpc) -> Vec<i64> {
    builder
        .ok("host.getTasks", vec![])
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_struct().unwrap()["id"].as_i64().unwrap())
        .collect()
}

fn result_doc(v: Value) -> Value {
    Value::String(xmlrpc::encode_response(&v))
}

#[test]
fn a_polling_builder_runs_tasks_and_subtasks_to_the_end() {
    let (db, hub) = setup(&[]);
    let mut admin = Rpc::login(&hub, "kojiadmin", ADMIN_PW);
    let host = add_host(&db, "b1", "x86_64", 4.0, &["default"]);
    let mut builder = Rpc::login(&hub, "b1", "pw");
    assert_eq!(builder.ok("host.getID", vec![]).as_i64(), Some(host));
    ready(&mut builder, 5);

    // A task is placed on the ready host at once; host.getTasks only reads what was assigned.
    let t = make_task(&mut admin, "sleep", "x86_64", &[]);
    wait_for("assignment", Duration::from_secs(10), || assigned(&mut builder).contains(&t).then_some(()));
    assert_eq!(task_field(&db, t, "state"), "4");
    assert_eq!(
        db.psql(&format!("SELECT count(*) FROM scheduler_task_runs WHERE task_id = {t} AND active")).trim(),
        "1"
    );
    let opened = builder.ok("host.openTask", vec![Value::Int(t)]);
    assert!(opened.as_struct().unwrap()["request"].as_str().unwrap().contains("<methodName>sleep</methodName>"));
    assert_eq!(builder.ok("host.openTask", vec![Value::Int(t)]), Value::Nil, "a second open loses");
    builder.ok("host.closeTask", vec![Value::Int(t), result_doc(Value::from("slept"))]);
    assert_eq!(task_field(&db, t, "state"), "2");
    assert_eq!(admin.ok("getTaskResult", vec![Value::Int(t)]), Value::from("slept"));

    // A failed task keeps its fault; getTaskResult raises it with its code.
    let f = make_task(&mut admin, "sleep", "noarch", &[]);
    wait_for("assignment", Duration::from_secs(10), || assigned(&mut builder).contains(&f).then_some(()));
    builder.ok("host.openTask", vec![Value::Int(f)]);
    builder.ok(
        "host.failTask",
        vec![Value::Int(f), Value::String(xmlrpc::encode_fault(1005, "mock exited with status 1"))],
    );
    let fault = admin.call("getTaskResult", vec![Value::Int(f)]).unwrap_err();
    assert_eq!((fault.code, fault.message.as_str()), (1005, "mock exited with status 1"));

    // Parent and children: labels make subtask idempotent; waiting parents get an alert, then results.
    let p = make_task(&mut admin, "build", "noarch", &[]);
    wait_for("parent assignment", Duration::from_secs(10), || assigned(&mut builder).contains(&p).then_some(()));
    builder.ok("host.openTask", vec![Value::Int(p)]);
    let sub = |b: &mut Rpc| {
        b.ok(
            "host.subtask",
            vec![
                "buildArch".into(),
                Value::Array(vec!["x.src.rpm".into()]),
                Value::Int(p),
                kwargs(&[("label", "x86_64".into()), ("arch", "x86_64".into())]),
            ],
        )
        .as_i64()
        .unwrap()
    };
    let c = sub(&mut builder);
    assert_eq!(sub(&mut builder), c, "same label, same child");
    assert_eq!(task_field(&db, c, "parent"), p.to_string());
    assert_eq!(task_field(&db, c, "priority"), "19", "children outrank their parent");
    builder.ok("host.taskSetWait", vec![Value::Int(p), Value::Nil]);
    wait_for("child assignment", Duration::from_secs(10), || assigned(&mut builder).contains(&c).then_some(()));
    builder.ok("host.openTask", vec![Value::Int(c)]);
    builder.ok("host.closeTask", vec![Value::Int(c), result_doc(Value::from("rpms"))]);
    let open = builder.ok("host.getHostTasks", vec![]);
    let parent_row =
        open.as_array().unwrap().iter().find(|t| t.as_struct().unwrap()["id"].as_i64() == Some(p)).unwrap();
    assert_eq!(parent_row.as_struct().unwrap().get("alert"), Some(&Value::Bool(true)));
    let waited = builder.ok("host.taskWait", vec![Value::Int(p)]);
    assert_eq!(waited, Value::Array(vec![Value::Array(vec![Value::Int(c)]), Value::Array(vec![])]));
    let results = builder.ok("host.taskWaitResults", vec![Value::Int(p), Value::Array(vec![Value::Int(c)])]);
    assert_eq!(results, Value::Array(vec![Value::Array(vec![Value::Int(c), Value::from("rpms")])]));
    builder.ok("host.closeTask", vec![Value::Int(p), result_doc(Value::Nil)]);

    // The stock CLI follows the finished tree.
    let anon = KojiCli::anon(&hub);
    let out = anon.run(&["watch-task", &p.to_string()]);
    out.assert_success();
    assert!(out.stdout.contains(&format!("{p} build (")), "{}", out.stdout);
    assert!(out.stdout.contains("completed successfully"), "{}", out.stdout);
    let out = anon.run(&["taskinfo", "-r", &p.to_string()]);
    out.assert_success();
    assert!(out.stdout.contains("State: closed"), "{}", out.stdout);

    // host.* calls are for hosts only; another host's task can't be touched.
    let fault = admin.call("host.getID", vec![]).unwrap_err();
    assert_eq!((fault.code, fault.message.as_str()), (1002, "No host specified"));
    let fault = Rpc::anonymous(&hub).call("host.getTasks", vec![]).unwrap_err();
    assert_eq!(fault.code, 1002);
    add_host(&db, "b2", "x86_64", 4.0, &["default"]);
    let mut other = Rpc::login(&hub, "b2", "pw");
    let fault = other.call("host.closeTask", vec![Value::Int(p), result_doc(Value::Nil)]).unwrap_err();
    assert_eq!(fault.code, 1004, "{}", fault.message);
}

#[test]
fn placement_respects_arch_channel_priority_and_refusals() {
    let (db, hub) = setup(&[]);
    let mut admin = Rpc::login(&hub, "kojiadmin", ADMIN_PW);
    let x1 = add_host(&db, "x1", "x86_64", 4.0, &["default"]);
    let a1 = add_host(&db, "a1", "aarch64", 4.0, &["default"]);
    let mut bx = Rpc::login(&hub, "x1", "pw");
    let mut ba = Rpc::login(&hub, "a1", "pw");

    // Nothing is placed on hosts that are not ready; priority decides the order once they are.
    let low = make_task(&mut admin, "sleep", "aarch64", &[("priority", Value::Int(30))]);
    let high = make_task(&mut admin, "sleep", "aarch64", &[("priority", Value::Int(10))]);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(task_field(&db, high, "state"), "0");
    ready(&mut ba, 1);
    wait_for("high first", Duration::from_secs(10), || (task_field(&db, high, "state") == "4").then_some(()));
    assert_eq!(task_field(&db, low, "state"), "0", "maxjobs 1: the lower priority waits");
    ba.ok("host.openTask", vec![Value::Int(high)]);
    ba.ok("host.closeTask", vec![Value::Int(high), result_doc(Value::Nil)]);
    wait_for("low next", Duration::from_secs(10), || (task_field(&db, low, "host_id") == a1.to_string()).then_some(()));

    // Arch and channel bins: no x86_64 host is ready yet, no host serves createrepo or s390x.
    let tx = make_task(&mut admin, "sleep", "x86_64", &[]);
    let cr = make_task(&mut admin, "createrepo", "noarch", &[("channel", "createrepo".into())]);
    let s390 = make_task(&mut admin, "sleep", "s390x", &[]);
    ready(&mut bx, 5);
    wait_for("x86_64 placed", Duration::from_secs(10), || {
        (task_field(&db, tx, "host_id") == x1.to_string()).then_some(())
    });
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(task_field(&db, cr, "state"), "0");
    assert_eq!(task_field(&db, s390, "state"), "0");

    // A hard refusal sends the task elsewhere and it never comes back to the refusing host.
    let n = make_task(&mut admin, "sleep", "noarch", &[("priority", Value::Int(5))]);
    let first = wait_for("noarch placed", Duration::from_secs(10), || {
        let h = task_field(&db, n, "host_id");
        (!h.is_empty()).then_some(h)
    });
    let refuser = if first == x1.to_string() { &mut bx } else { &mut ba };
    refuser.ok("host.refuseTask", vec![Value::Int(n), Value::Bool(false), "failed host check".into()]);
    let other = if first == x1.to_string() { a1 } else { x1 };
    ready(if other == x1 { &mut bx } else { &mut ba }, 5);
    wait_for("re-placed", Duration::from_secs(10), || {
        (task_field(&db, n, "host_id") == other.to_string()).then_some(())
    });
    assert_eq!(
        db.psql(&format!("SELECT soft, by_host, msg FROM scheduler_task_refusals WHERE task_id = {n}")).trim(),
        "f|t|failed host check"
    );

    // scheduler-info and scheduler-logs read the runs and the log lines.
    let anon = KojiCli::anon(&hub);
    let out = anon.run(&["scheduler-info", "--task", &n.to_string()]);
    out.assert_success();
    assert!(out.stdout.lines().count() >= 3, "{}", out.stdout);
    let out = anon.run(&["scheduler-logs", "--task", &n.to_string()]);
    out.assert_success();
    assert!(out.stdout.contains("Assigning task"), "{}", out.stdout);
}

#[test]
fn task_commands_of_the_cli() {
    let (db, hub) = setup(&[]);
    let mut admin = Rpc::login(&hub, "kojiadmin", ADMIN_PW);
    let cli = KojiCli::password(&hub, "kojiadmin", ADMIN_PW);
    let out = cli.run(&["make-task", "--arch", "x86_64", "sleep", "1"]);
    out.assert_success();
    let t: i64 = out.stdout.split_whitespace().find_map(|w| w.parse().ok()).unwrap_or_else(|| panic!("{}", out.stdout));
    assert_eq!(task_field(&db, t, "method"), "sleep");

    let out = cli.run(&["list-tasks"]);
    out.assert_success();
    assert!(
        out.stdout.lines().any(|l| l.starts_with(&t.to_string()) && l.contains("kojiadmin") && l.contains("FREE")),
        "{}",
        out.stdout
    );

    cli.run(&["set-task-priority", "--priority", "7", &t.to_string()]).assert_success();
    assert_eq!(task_field(&db, t, "priority"), "7");

    let host = add_host(&db, "b1", "x86_64", 4.0, &["default"]);
    cli.run(&["assign-task", &t.to_string(), "b1"]).assert_success();
    assert_eq!(task_field(&db, t, "state || ':' || host_id"), format!("4:{host}"));
    cli.run(&["free-task", &t.to_string()]).assert_success();
    assert_eq!(task_field(&db, t, "state"), "0");

    let out = cli.run(&["taskinfo", &t.to_string()]);
    out.assert_success();
    assert!(out.stdout.contains("Type: sleep") && out.stdout.contains("Owner: kojiadmin"), "{}", out.stdout);

    // cancel: the tree goes CANCELED; a finished task can't be freed.
    let p = make_task(&mut admin, "build", "noarch", &[]);
    cli.run(&["cancel", &p.to_string(), &t.to_string()]).assert_success();
    assert_eq!(task_field(&db, p, "state"), "3");
    assert_eq!(task_field(&db, t, "state"), "3");
    let out = cli.run(&["free-task", &t.to_string()]);
    assert!(out.stderr.contains(&format!("Cannot free task {t}, state is CANCELED")), "{}", out.stderr);
    let out = cli.run(&["cancel", "999999"]);
    assert_ne!(out.status, 0);
    assert!(out.stderr.contains("No such task: 999999"), "{}", out.stderr);

    // resubmit makes a new task with the same request; a non-admin can't change priorities.
    let out = cli.run(&["resubmit", "--nowait", &p.to_string()]);
    out.assert_success();
    assert!(out.stdout.contains(&format!("Resubmitted task {p} as new task")), "{}", out.stdout);
    hub.create_user("joe", "joe-pw", false);
    let joe = KojiCli::password(&hub, "joe", "joe-pw");
    let out = joe.run(&["set-task-priority", "--priority", "1", &p.to_string()]);
    assert!(out.stderr.contains("admin permission required"), "{}", out.stderr);
}

#[test]
fn a_disabled_host_gives_its_tasks_back() {
    let (db, hub) = setup(&[("HostTimeout", "2")]);
    let mut admin = Rpc::login(&hub, "kojiadmin", ADMIN_PW);
    add_host(&db, "d1", "x86_64", 8.0, &["default"]);
    let mut builder = Rpc::login(&hub, "d1", "pw");
    ready(&mut builder, 10);
    let open = make_task(&mut admin, "sleep", "x86_64", &[]);
    wait_for("assignment", Duration::from_secs(10), || assigned(&mut builder).contains(&open).then_some(()));
    builder.ok("host.openTask", vec![Value::Int(open)]);
    let waiting = make_task(&mut admin, "sleep", "x86_64", &[]);
    wait_for("second assignment", Duration::from_secs(10), || assigned(&mut builder).contains(&waiting).then_some(()));

    // Koji would leave both stuck; here the ASSIGNED one is freed at once, the OPEN one after HostTimeout.
    let cli = KojiCli::password(&hub, "kojiadmin", ADMIN_PW);
    cli.run(&["disable-host", "d1"]).assert_success();
    wait_for("assigned task freed", Duration::from_secs(5), || {
        (task_field(&db, waiting, "state") == "0").then_some(())
    });
    assert_eq!(task_field(&db, open, "state"), "1", "the open task gets a grace period");
    wait_for("open task freed", Duration::from_secs(10), || (task_field(&db, open, "state") == "0").then_some(()));
    assert!(assigned(&mut builder).is_empty());
    let log =
        db.psql(&format!("SELECT msg FROM scheduler_log_messages WHERE task_id = {open} ORDER BY id DESC LIMIT 1"));
    assert_eq!(log.trim(), "Freeing task from unresponsive host");

    // Enabled again, it gets work again.
    cli.run(&["enable-host", "d1"]).assert_success();
    wait_for("re-placed", Duration::from_secs(10), || (task_field(&db, open, "state") == "4").then_some(()));
}

/// A builder loop written with the stock koji library, the calls kojid makes: updateHost, getLoadData and
/// getTasks, openTask, setTaskWeight, closeTask.
const PYTHON_BUILDER: &str = r#"
import koji, koji.xmlrpcplus, os, time
s = koji.ClientSession(os.environ['KOJI_URL'], {'user': os.environ['KOJI_USER'], 'password': os.environ['KOJI_PASSWORD']})
s.login()
want = 3
done = 0
deadline = time.time() + 30
host_id = s.host.getID()
while done < want and time.time() < deadline:
    s.host.updateHost(0.0, True, {'maxjobs': 2, 'methods': ['sleep']})
    [[me], legacy] = s.host.getLoadData()
    assert me['id'] == host_id and me['name'] == 'py1' and me['channels'] == [1]
    assert s.host.getHost()['name'] == 'py1' and s.host.getHost()['enabled']
    for t in s.host.getTasks():
        info = s.getTaskInfo(t['id'], request=True)
        if s.host.openTask(t['id']) is None:
            continue
        s.host.setTaskWeight(t['id'], 2.5)
        result = koji.xmlrpcplus.dumps(('ran %s' % info['request'][0],), methodresponse=1, allow_none=1)
        s.host.closeTask(t['id'], result)
        done += 1
    time.sleep(0.2)
print('closed', done)
"#;

#[test]
fn a_builder_using_the_stock_koji_library_runs_tasks_to_closed() {
    let (db, hub) = setup(&[]);
    let mut admin = Rpc::login(&hub, "kojiadmin", ADMIN_PW);
    add_host(&db, "py1", "x86_64", 4.0, &["default"]);
    let ids: Vec<i64> = (0..3).map(|_| make_task(&mut admin, "sleep", "x86_64", &[])).collect();
    let builder = KojiCli::password(&hub, "py1", "pw");
    let out = builder.python(PYTHON_BUILDER);
    out.assert_success();
    assert_eq!(out.stdout.trim(), "closed 3", "{}", out.stderr);
    for id in ids {
        assert_eq!(task_field(&db, id, "state || ' ' || weight"), "2 2.5");
        assert_eq!(admin.ok("getTaskResult", vec![Value::Int(id)]), Value::from("ran arg"));
    }
}

#[test]
fn watch_logs_prints_task_output() {
    let (db, hub) = setup(&[]);
    let mut admin = Rpc::login(&hub, "kojiadmin", ADMIN_PW);
    add_host(&db, "w1", "x86_64", 4.0, &["default"]);
    let mut builder = Rpc::login(&hub, "w1", "pw");
    ready(&mut builder, 5);
    let t = make_task(&mut admin, "sleep", "x86_64", &[]);
    wait_for("assignment", Duration::from_secs(10), || assigned(&mut builder).contains(&t).then_some(()));
    builder.ok("host.openTask", vec![Value::Int(t)]);
    let dir = hub.koji_dir().join(format!("work/tasks/{}/{}", t % 10000, t));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("build.log"), "line one\nBUILD DONE\n").unwrap();
    builder.ok("host.closeTask", vec![Value::Int(t), result_doc(Value::Nil)]);
    let anon = KojiCli::anon(&hub);
    let out = anon.run(&["watch-logs", &t.to_string()]);
    out.assert_success();
    assert!(out.stdout.contains("BUILD DONE"), "{}\n{}", out.stdout, out.stderr);
    let out = anon.run(&["list-tasks", "--all", "--after", "2000-01-01"]);
    out.assert_success();
    assert!(out.stdout.contains(&t.to_string()), "{}", out.stdout);
    assert_eq!(
        admin.call("downloadTaskOutput", vec![Value::Int(t), "../../etc/passwd".into()]).unwrap_err().code,
        1000
    );
}
