//! Koji's `get_*_id` lookups: the id of a row in a table with `id` and unique `name` columns, given either.

use crate::db::query::Select;
use crate::fault::{KojiError, KojiResult};
use crate::rpc::args::InfoRef;
use deadpool_postgres::GenericClient;

/// `table` is a fixed name from the code (tag, package, channels, ...), never client input.
pub async fn id_of(db: &impl GenericClient, table: &'static str, r: &InfoRef) -> KojiResult<Option<i32>> {
    let row = match r {
        InfoRef::Id(id) | InfoRef::Map { id: Some(id), .. } => match i32::try_from(*id) {
            Ok(id) => {
                db.query_opt(&db.prepare_cached(&format!("SELECT id FROM {table} WHERE id = $1")).await?, &[&id])
                    .await?
            }
            Err(_) => None,
        },
        InfoRef::Name(n) | InfoRef::Map { name: Some(n), .. } => {
            db.query_opt(&db.prepare_cached(&format!("SELECT id FROM {table} WHERE name = $1")).await?, &[n]).await?
        }
        InfoRef::Map { .. } => return Err(KojiError::param(format!("a {table} reference needs an id or a name"))),
    };
    Ok(row.map(|r| r.get(0)))
}

/// Koji's `get_id(table, info, strict=True)`: the id, or Koji's "No such entry" fault.
pub async fn require_id(db: &impl GenericClient, table: &'static str, r: &InfoRef) -> KojiResult<i32> {
    id_of(db, table, r)
        .await?
        .ok_or_else(|| KojiError::generic(format!("No such entry in table {table}: {}", r.plain())))
}

/// Koji's `name_or_id_clause`: restricts `q` to the row of `table` named or numbered by `r`.
pub fn name_or_id(q: &mut Select, table: &'static str, r: &InfoRef) -> KojiResult<()> {
    match r {
        InfoRef::Id(id) | InfoRef::Map { id: Some(id), .. } => q.filter(&format!("{table}.id = $?::int8"), *id),
        InfoRef::Name(n) | InfoRef::Map { name: Some(n), .. } => q.filter(&format!("{table}.name = $?"), n.clone()),
        InfoRef::Map { .. } => return Err(KojiError::param(format!("Invalid name or id value: {r}"))),
    };
    Ok(())
}
