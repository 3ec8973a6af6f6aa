//! Koji's event-versioned tables (`tag_config`, `tag_inheritance`, `host_channels`, `user_perms`, ...).
//!
//! A row is current while `active` is TRUE. A change never updates a row in place: it closes the current row
//! (`revoke_event`, `revoker_id`, `active = NULL`) and inserts a new one (`create_event`, `creator_id`), both under
//! the one `events` row of the transaction, so any query can be answered as of an earlier event.

use super::query::Select;
use crate::fault::KojiResult;
use deadpool_postgres::GenericClient;
use tokio_postgres::types::ToSql;

/// Restricts `table` to its current rows, or to the rows in force at `event`.
pub fn in_force(q: &mut Select, table: &str, event: Option<i32>) {
    match event {
        None => q.condition(&in_force_sql(table, None)),
        Some(e) => q.filter(&in_force_sql(table, Some("$?")), e),
    };
}

/// The condition `in_force` adds, for hand-written statements: current rows of `table` (`event` None), or the
/// rows in force at the event bound to the placeholder `event` (e.g. `"$2"`).
pub fn in_force_sql(table: &str, event: Option<&str>) -> String {
    match event {
        None => format!("{table}.active = TRUE"),
        Some(e) => {
            format!("{table}.create_event <= {e} AND ({table}.revoke_event IS NULL OR {e} < {table}.revoke_event)")
        }
    }
}

/// The one event of a changing transaction, allocated at its first write, so a call that turns out to change
/// nothing leaves no event behind (Koji's `get_event` is lazy the same way).
#[derive(Debug, Default)]
pub struct LazyEvent(Option<i32>);

impl LazyEvent {
    pub async fn id(&mut self, db: &impl GenericClient) -> KojiResult<i32> {
        match self.0 {
            Some(e) => Ok(e),
            None => {
                let e = super::new_event(db).await?;
                self.0 = Some(e);
                Ok(e)
            }
        }
    }

    /// Whether anything was written under it.
    pub fn used(&self) -> bool {
        self.0.is_some()
    }
}

/// A column name and its value; names are fixed strings from the code, never client input.
pub type Column<'a> = (&'static str, &'a (dyn ToSql + Sync));

/// Closes the current rows of `table` whose `keys` match; returns how many were closed.
pub async fn revoke(
    db: &impl GenericClient,
    table: &'static str,
    keys: &[Column<'_>],
    event: i32,
    revoker: i32,
) -> KojiResult<u64> {
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&event, &revoker];
    let mut sql = format!("UPDATE {table} SET active = NULL, revoke_event = $1, revoker_id = $2 WHERE active = TRUE");
    for (name, value) in keys {
        params.push(*value);
        sql.push_str(&format!(" AND {name} = ${}", params.len()));
    }
    let st = db.prepare_cached(&sql).await?;
    Ok(db.execute(&st, &params).await?)
}

/// Inserts a current row into `table` created at `event` by `creator`.
pub async fn insert(
    db: &impl GenericClient,
    table: &'static str,
    columns: &[Column<'_>],
    event: i32,
    creator: i32,
) -> KojiResult<()> {
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&event, &creator];
    let mut names = vec!["create_event", "creator_id"];
    for (name, value) in columns {
        names.push(name);
        params.push(*value);
    }
    let placeholders: Vec<String> = (1..=params.len()).map(|i| format!("${i}")).collect();
    let sql = format!("INSERT INTO {table} ({}) VALUES ({})", names.join(", "), placeholders.join(", "));
    let st = db.prepare_cached(&sql).await?;
    db.execute(&st, &params).await?;
    Ok(())
}

/// Replaces the current row for `keys` with one holding `keys` + `values` (revoke, then insert).
pub async fn replace(
    db: &impl GenericClient,
    table: &'static str,
    keys: &[Column<'_>],
    values: &[Column<'_>],
    event: i32,
    user: i32,
) -> KojiResult<()> {
    revoke(db, table, keys, event, user).await?;
    let all: Vec<Column> = keys.iter().chain(values).copied().collect();
    insert(db, table, &all, event, user).await
}
