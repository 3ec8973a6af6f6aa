//! Koji's `get_*_id` lookups: the id of a row in a table with `id` and unique `name` columns, given either.

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
