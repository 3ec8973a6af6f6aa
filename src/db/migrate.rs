//! Versioned schema migrations, embedded in the binary and applied by `koji-hub migrate`.
//!
//! Each file under `sql/` runs once, in its own transaction, recorded in `koji_rs_migrations`. A transaction-level
//! advisory lock serialises concurrent runs (two hubs starting at once). A database that already holds Koji's
//! schema (a `users` table but no migration record) is adopted: the files that create Koji's schema are recorded
//! as applied without running, so an existing Koji database can be served as it is.

pub struct Migration {
    pub version: i32,
    pub name: &'static str,
    pub sql: &'static str,
    /// Part of Koji's own schema, present in any existing Koji database.
    pub koji_baseline: bool,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, name: "0001_core", sql: include_str!("../../sql/0001_core.sql"), koji_baseline: true },
    Migration { version: 2, name: "0002_seed", sql: include_str!("../../sql/0002_seed.sql"), koji_baseline: true },
    Migration {
        version: 3,
        name: "0003_repo_notify",
        sql: include_str!("../../sql/0003_repo_notify.sql"),
        koji_baseline: false,
    },
    Migration {
        version: 4,
        name: "0004_task_completion_index",
        sql: include_str!("../../sql/0004_task_completion_index.sql"),
        koji_baseline: false,
    },
];

/// Arbitrary constant shared by every koji-rs hub for the migration lock.
const MIGRATION_LOCK: i64 = 0x006b_6f6a_696d_6967;

#[derive(Debug, PartialEq, Eq)]
pub struct Report {
    pub applied: Vec<&'static str>,
    pub adopted: Vec<&'static str>,
}

pub async fn run(db: &mut deadpool_postgres::Object) -> Result<Report, tokio_postgres::Error> {
    let mut report = Report { applied: vec![], adopted: vec![] };
    let tx = db.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
    let tracked: bool = tx.query_one("SELECT to_regclass('koji_rs_migrations') IS NOT NULL", &[]).await?.get(0);
    let koji_schema: bool = tx.query_one("SELECT to_regclass('users') IS NOT NULL", &[]).await?.get(0);
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS koji_rs_migrations (
             version INTEGER PRIMARY KEY,
             name TEXT NOT NULL,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
             adopted BOOLEAN NOT NULL DEFAULT FALSE)",
    )
    .await?;
    if !tracked && koji_schema {
        for m in MIGRATIONS.iter().filter(|m| m.koji_baseline) {
            record(&tx, m, true).await?;
            report.adopted.push(m.name);
        }
    }
    tx.commit().await?;

    for m in MIGRATIONS {
        let tx = db.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
        let done = tx.query_opt("SELECT 1 FROM koji_rs_migrations WHERE version = $1", &[&m.version]).await?;
        if done.is_none() {
            tracing::info!(migration = m.name, "applying");
            tx.batch_execute(m.sql).await?;
            record(&tx, m, false).await?;
            report.applied.push(m.name);
        }
        tx.commit().await?;
    }
    Ok(report)
}

async fn record(
    db: &deadpool_postgres::Transaction<'_>,
    m: &Migration,
    adopted: bool,
) -> Result<(), tokio_postgres::Error> {
    db.execute(
        "INSERT INTO koji_rs_migrations (version, name, adopted) VALUES ($1, $2, $3)",
        &[&m.version, &m.name, &adopted],
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_increasing_and_unique() {
        for w in MIGRATIONS.windows(2) {
            assert!(w[0].version < w[1].version, "{} !< {}", w[0].name, w[1].name);
        }
    }
}
