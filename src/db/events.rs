//! The `events` table: Koji's global clock, one row per changing transaction.

use crate::fault::KojiResult;
use crate::xmlrpc::Struct;
use deadpool_postgres::GenericClient;

/// `{id, ts}` of one event, `ts` in seconds since the epoch.
pub async fn get(db: &impl GenericClient, id: i32) -> KojiResult<Option<Struct>> {
    super::query_opt_struct(db, "SELECT id, date_part('epoch', time) AS ts FROM events WHERE id = $1", &[&id]).await
}

/// The newest event, or the newest one before `before` (seconds since the epoch).
pub async fn last(db: &impl GenericClient, before: Option<f64>) -> KojiResult<Option<Struct>> {
    super::query_opt_struct(
        db,
        "SELECT id, date_part('epoch', time) AS ts FROM events \
         WHERE $1::float8 IS NULL OR date_part('epoch', time) < $1 ORDER BY id DESC LIMIT 1",
        &[&before],
    )
    .await
}
