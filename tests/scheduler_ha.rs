//! The scheduler across hubs and crashes, and a randomized check that no task is ever held by two hosts.

mod support;

use koji_rs::xmlrpc::{self, Value};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Duration;
use support::fleet::{ADMIN_PW, add_host, make_task, ready, task_field, wait_for};
use support::hub::{Hub, HubOptions};
use support::pg::{DbInfo, PgCluster};
use support::rpc::{Rpc, kwargs};

fn is_leader(hub: &Hub) -> bool {
    hub.get_raw("/metrics").text().lines().any(|l| l == "koji_scheduler_leader 1")
}

fn count(db: &DbInfo, sql: &str) -> i64 {
    db.psql(sql).trim().parse().unwrap()
}

/// A host that reports itself busy (not ready, as a stock kojid at maxjobs) keeps its OPEN task past
/// `HostTimeout`; when it then dies and the leader hub crashes too, the new leader, which never heard from it,
/// finds it silent and frees the task.
#[test]
fn a_busy_host_keeps_its_task_until_it_dies_even_across_a_failover() {
    let db = PgCluster::shared().create_database();
    let conf = || HubOptions {
        extra_conf: [("ReadyTimeout", "3"), ("HostTimeout", "2"), ("SessionFlushInterval", "1")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    };
    let a = Hub::start(&db, conf());
    a.create_user("kojiadmin", ADMIN_PW, true);
    wait_for("hub A to lead", Duration::from_secs(10), || is_leader(&a).then_some(()));
    add_host(&db, "h1", "x86_64", 4.0, &["default"]);
    let mut builder = Rpc::login(&a, "h1", "pw");
    ready(&mut builder, 5);
    let mut admin = Rpc::login(&a, "kojiadmin", ADMIN_PW);
    let task = make_task(&mut admin, "sleep", "x86_64", &[]);
    wait_for("assignment", Duration::from_secs(10), || (task_field(&db, task, "state") == "4").then_some(()));
    builder.ok("host.openTask", vec![Value::Int(task)]);
    let busy = || vec![Value::Double(1.0), Value::Bool(false), Value::Struct(Default::default())];

    // Busy but alive for well past ReadyTimeout + HostTimeout: the task stays.
    for _ in 0..14 {
        builder.ok("host.updateHost", busy());
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(
        task_field(&db, task, "state || ':' || coalesce(host_id, 0)"),
        "1:1",
        "{}",
        a.stderr_log().lines().filter(|l| l.contains("WARN")).collect::<Vec<_>>().join("\n")
    );

    // The host dies, and so does the hub that tracked it; the new leader frees the task.
    a.kill_hard();
    let b = Hub::start(&db, conf());
    wait_for("hub B to lead", Duration::from_secs(15), || is_leader(&b).then_some(()));
    wait_for("the dead host's task freed", Duration::from_secs(20), || {
        (task_field(&db, task, "state") == "0").then_some(())
    });
}

#[test]
fn one_leader_places_tasks_for_every_hub_and_a_crash_loses_nothing() {
    let db = PgCluster::shared().create_database();
    let a = Hub::start(&db, HubOptions::default());
    a.create_user("kojiadmin", ADMIN_PW, true);
    wait_for("hub A to lead", Duration::from_secs(10), || is_leader(&a).then_some(()));
    let b = Hub::start(&db, HubOptions::default());
    std::thread::sleep(Duration::from_secs(3));
    assert!(!is_leader(&b), "a second hub must not place tasks while the first holds the lock");

    add_host(&db, "h1", "x86_64", 100.0, &["default"]);
    let mut builder_a = Rpc::login(&a, "h1", "pw");
    ready(&mut builder_a, 100);
    // Tasks created through hub B are placed by A's scheduler (notifications cross hubs).
    let mut admin_b = Rpc::login(&b, "kojiadmin", ADMIN_PW);
    for _ in 0..20 {
        admin_b.ok("makeTask", vec!["sleep".into(), Value::Array(vec![]), kwargs(&[("arch", "x86_64".into())])]);
    }
    wait_for("20 assignments", Duration::from_secs(10), || {
        (count(&db, "SELECT count(*) FROM task WHERE state = 4") == 20).then_some(())
    });

    // A crashes; B takes over, rebuilds from the database and places new work.
    a.kill_hard();
    wait_for("hub B to lead", Duration::from_secs(15), || is_leader(&b).then_some(()));
    let mut builder_b = Rpc::login(&b, "h1", "pw");
    ready(&mut builder_b, 100);
    for _ in 0..20 {
        admin_b.ok("makeTask", vec!["sleep".into(), Value::Array(vec![]), kwargs(&[("arch", "noarch".into())])]);
    }
    wait_for("40 assignments", Duration::from_secs(15), || {
        (count(&db, "SELECT count(*) FROM task WHERE state = 4") == 40).then_some(())
    });
    // Nothing lost, nothing duplicated: one run per task, each active and on the task's host.
    assert_eq!(count(&db, "SELECT count(*) FROM scheduler_task_runs"), 40);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM task t JOIN scheduler_task_runs r ON r.task_id = t.id AND r.active AND r.host_id = t.host_id"
        ),
        40
    );
}

#[test]
fn no_task_is_ever_held_by_two_hosts() {
    let db = PgCluster::shared().create_database();
    let hub = Hub::start(&db, HubOptions::default());
    hub.create_user("kojiadmin", ADMIN_PW, true);
    let mut admin = Rpc::login(&hub, "kojiadmin", ADMIN_PW);
    let names = ["p1", "p2", "p3"];
    for n in names {
        add_host(&db, n, "x86_64", 4.0, &["default"]);
    }
    let mut builders: Vec<Rpc> = names.iter().map(|n| Rpc::login(&hub, n, "pw")).collect();
    let host_ids: Vec<i64> =
        names.iter().map(|n| count(&db, &format!("SELECT id FROM host WHERE name = '{n}'"))).collect();
    let mut rng = StdRng::seed_from_u64(20261124);
    let mut tasks: Vec<i64> = vec![];
    // Which host opened which task (while it stays open): a second successful open would be a double hold.
    let mut opened: std::collections::HashMap<i64, usize> = Default::default();
    for step in 0..300 {
        let b = rng.random_range(0..builders.len());
        let op = rng.random_range(0..10);
        match op {
            0 | 1 => {
                let arch = if rng.random_bool(0.5) { "x86_64" } else { "noarch" };
                let prio = rng.random_range(10..30);
                tasks.push(
                    admin
                        .ok(
                            "makeTask",
                            vec![
                                "sleep".into(),
                                Value::Array(vec![]),
                                kwargs(&[("arch", arch.into()), ("priority", Value::Int(prio))]),
                            ],
                        )
                        .as_i64()
                        .unwrap(),
                );
            }
            2 => ready(&mut builders[b], rng.random_range(1..4)),
            3 | 4 if !tasks.is_empty() => {
                // Open any task, assigned to this host or not: only a task ASSIGNED to it (or FREE) may open.
                let t = tasks[rng.random_range(0..tasks.len())];
                if builders[b].ok("host.openTask", vec![Value::Int(t)]) != Value::Nil
                    && let Some(prev) = opened.insert(t, b)
                {
                    panic!("step {step}: task {t} opened by builder {b} while builder {prev} held it");
                }
            }
            5 | 6 => {
                if let Some((&t, _)) = opened.iter().find(|(_, h)| **h == b) {
                    let doc = Value::String(xmlrpc::encode_response(&Value::Nil));
                    builders[b].ok("host.closeTask", vec![Value::Int(t), doc]);
                    opened.remove(&t);
                }
            }
            7 if !tasks.is_empty() => {
                let t = tasks[rng.random_range(0..tasks.len())];
                let _ = builders[b]
                    .call("host.refuseTask", vec![Value::Int(t), Value::Bool(rng.random_bool(0.5)), "random".into()]);
                if opened.get(&t) == Some(&b) {
                    opened.remove(&t);
                }
            }
            8 if !tasks.is_empty() => {
                let t = tasks[rng.random_range(0..tasks.len())];
                let _ = admin.call("cancelTask", vec![Value::Int(t)]);
                opened.remove(&t);
            }
            9 if !tasks.is_empty() => {
                let t = tasks[rng.random_range(0..tasks.len())];
                if admin.call("freeTask", vec![Value::Int(t)]).is_ok() {
                    opened.remove(&t);
                }
            }
            _ => {}
        }
        // Invariants of the rows after every step.
        let bad = count(
            &db,
            "SELECT (SELECT count(*) FROM task WHERE state IN (1, 4) AND host_id IS NULL) \
                  + (SELECT count(*) FROM task WHERE state = 0 AND host_id IS NOT NULL) \
                  + (SELECT count(*) FROM (SELECT task_id FROM scheduler_task_runs WHERE active GROUP BY task_id HAVING count(*) > 1) x) \
                  + (SELECT count(*) FROM scheduler_task_runs r JOIN task t ON t.id = r.task_id WHERE r.active \
                     AND (t.state NOT IN (1, 4) OR t.host_id <> r.host_id))",
        );
        assert_eq!(bad, 0, "step {step}: invariant broken");
        for (&t, &holder) in &opened {
            let row = db.psql(&format!("SELECT state, host_id FROM task WHERE id = {t}"));
            assert_eq!(
                row.trim(),
                format!("1|{}", host_ids[holder]),
                "step {step}: task {t} should be open on builder {holder}"
            );
        }
    }
}
