//! `koji-hub migrate` and start-up checks.

mod support;

use std::process::Command;
use support::TempDir;
use support::pg::{DbInfo, PgCluster};

fn hub_conf(dir: &TempDir, db: &DbInfo, extra: &str) -> std::path::PathBuf {
    let path = dir.path().join("hub.conf");
    let text = format!(
        "[hub]\nDBName = {}\nDBHost = {}\nDBPort = {}\nDBUser = {}\nKojiDir = {}\n{extra}",
        db.dbname,
        db.host,
        db.port,
        db.user,
        dir.path().display()
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn koji_hub(conf: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_koji-hub")).arg("--config").arg(conf).args(args).output().unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn migrate_is_idempotent() {
    let db = PgCluster::shared().create_database();
    let dir = TempDir::new("migrate");
    let conf = hub_conf(&dir, &db, "");
    let (ok, out) = koji_hub(&conf, &["migrate"]);
    assert!(ok, "{out}");
    assert!(out.contains("applied 0001_core") && out.contains("applied 0002_seed"), "{out}");
    let (ok, out) = koji_hub(&conf, &["migrate"]);
    assert!(ok, "{out}");
    assert!(out.contains("schema is up to date"), "{out}");
    assert_eq!(db.psql("SELECT count(*) FROM permissions").trim(), "15");
    assert_eq!(
        db.psql("SELECT string_agg(name, ',' ORDER BY id) FROM channels").trim(),
        "default,createrepo,maven,livecd,appliance,vm,image,livemedia"
    );
}

#[test]
fn an_existing_koji_database_is_adopted_not_recreated() {
    let db = PgCluster::shared().create_database();
    // A database made by Koji itself: its schema, no koji-rs bookkeeping, some data.
    let schema = [include_str!("../sql/0001_core.sql"), include_str!("../sql/0002_seed.sql")].join("\n");
    db.psql(&schema);
    db.psql("INSERT INTO users (name, password, status, usertype) VALUES ('olduser', 'plain-pw', 0, 0)");
    let dir = TempDir::new("adopt");
    let conf = hub_conf(&dir, &db, "");
    let (ok, out) = koji_hub(&conf, &["migrate"]);
    assert!(ok, "{out}");
    assert!(out.contains("adopted existing Koji schema: 0001_core"), "{out}");
    assert_eq!(db.psql("SELECT count(*) FROM users WHERE name = 'olduser'").trim(), "1");
    // Koji's own schema is adopted; koji-rs's additions on top of it (indexes) are applied.
    assert_eq!(db.psql("SELECT bool_and(adopted) FROM koji_rs_migrations WHERE version <= 2").trim(), "t");
    assert_eq!(db.psql("SELECT count(*) FROM koji_rs_migrations WHERE version > 2 AND adopted").trim(), "0");
}

#[test]
fn bad_config_and_unmigrated_database_fail_clearly() {
    let db = PgCluster::shared().create_database();
    let dir = TempDir::new("badconf");
    let conf = hub_conf(&dir, &db, "CheckClientIP = sometimes\n");
    let (ok, out) = koji_hub(&conf, &["serve"]);
    assert!(!ok);
    assert!(out.contains("CheckClientIP") && out.contains("sometimes"), "{out}");

    let conf = hub_conf(&dir, &db, "");
    let (ok, out) = koji_hub(&conf, &["serve"]);
    assert!(!ok);
    assert!(out.contains("run `koji-hub --config FILE migrate` first"), "{out}");

    std::fs::write(dir.path().join("pw"), "pw\n").unwrap();
    koji_hub(&conf, &["migrate"]);
    let (ok, out) =
        koji_hub(&conf, &["create-user", "alice", "--password-file", dir.path().join("pw").to_str().unwrap()]);
    assert!(ok, "{out}");
    let (ok, out) =
        koji_hub(&conf, &["create-user", "alice", "--password-file", dir.path().join("pw").to_str().unwrap()]);
    assert!(!ok && out.contains("user alice already exists"), "{out}");
    assert!(db.psql("SELECT password FROM users WHERE name = 'alice'").starts_with("$argon2id$"));
}
