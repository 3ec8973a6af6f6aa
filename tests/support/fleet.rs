//! Hosts and tasks for the scheduler and builder-protocol tests: hosts made with SQL (a host user with the
//! legacy plain-text password "pw", its config and channels, announced to the scheduler), tasks made by
//! the admin through `makeTask`, and polling for what the hub does asynchronously.

use super::cli::KojiCli;
use super::hub::{Hub, HubOptions};
use super::pg::{DbInfo, PgCluster};
use super::rpc::{Rpc, kwargs};
use koji_rs::xmlrpc::{Struct, Value};
use std::time::{Duration, Instant};

pub const ADMIN_PW: &str = "admin-pw";

/// A fresh database and a hub on it with these extra `[hub]` keys, and an admin `kojiadmin` (`ADMIN_PW`).
pub fn setup(extra: &[(&str, &str)]) -> (DbInfo, Hub) {
    let db = PgCluster::shared().create_database();
    let opts = HubOptions {
        extra_conf: extra.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..Default::default()
    };
    let hub = Hub::start(&db, opts);
    hub.create_user("kojiadmin", ADMIN_PW, true);
    (db, hub)
}

/// [`setup`], and the stock CLI logged in as `kojiadmin`.
pub fn setup_with_cli(extra: &[(&str, &str)]) -> (DbInfo, Hub, KojiCli) {
    let (db, hub) = setup(extra);
    let admin = KojiCli::password(&hub, "kojiadmin", ADMIN_PW);
    (db, hub, admin)
}

/// A host user with password "pw", its config and channels, announced to the scheduler; returns its id.
pub fn add_host(db: &DbInfo, name: &str, arches: &str, capacity: f64, channels: &[&str]) -> i64 {
    let channels = channels.iter().map(|c| format!("'{c}'")).collect::<Vec<_>>().join(",");
    db.psql(&format!(
        "WITH u AS (INSERT INTO users (name, password, status, usertype) VALUES ('{name}', 'pw', 0, 1) RETURNING id), \
              h AS (INSERT INTO host (user_id, name) SELECT id, '{name}' FROM u RETURNING id) \
         INSERT INTO host_config (host_id, arches, capacity, creator_id) SELECT id, '{arches}', {capacity}, 1 FROM h; \
         INSERT INTO host_channels (host_id, channel_id, creator_id) SELECT h.id, c.id, 1 FROM host h, channels c \
           WHERE h.name = '{name}' AND c.name IN ({channels}); \
         SELECT pg_notify('koji_host', id::text) FROM host WHERE name = '{name}';"
    ));
    db.psql(&format!("SELECT id FROM host WHERE name = '{name}'")).trim().parse().unwrap()
}

/// `host.updateHost` as a stock kojid sends it: no load, ready, with its `maxjobs`.
pub fn ready(builder: &mut Rpc, maxjobs: i64) {
    let data: Struct = [("maxjobs".to_string(), Value::Int(maxjobs))].into_iter().collect();
    builder.ok("host.updateHost", vec![Value::Double(0.0), Value::Bool(true), Value::Struct(data)]);
}

/// Polls `f` every 50 ms until it yields a value; panics after `timeout`.
pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `makeTask(method, ["arg"], arch=…, **extra)` as the admin; returns the task id.
pub fn make_task(admin: &mut Rpc, method: &str, arch: &str, extra: &[(&str, Value)]) -> i64 {
    let mut kw = vec![("arch", Value::from(arch))];
    kw.extend(extra.iter().cloned());
    admin.ok("makeTask", vec![method.into(), Value::Array(vec![Value::from("arg")]), kwargs(&kw)]).as_i64().unwrap()
}

/// One column (or expression) of a task row, as psql prints it.
pub fn task_field(db: &DbInfo, task: i64, field: &str) -> String {
    db.psql(&format!("SELECT {field} FROM task WHERE id = {task}")).trim().to_owned()
}
