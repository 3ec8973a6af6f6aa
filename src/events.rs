//! Events: one row per changing transaction; versioned rows and history refer to them (`getEvent`,
//! `getLastEvent`).

use crate::fault::{KojiError, KojiResult};
use crate::rpc::CallCtx;
use crate::xmlrpc::{Struct, Value};

/// `{id, ts}` of an event; a strict miss fails as Koji's `executeOne(strict=True)` does.
pub async fn get_event(ctx: &CallCtx, id: i32, strict: bool) -> KojiResult<Option<Struct>> {
    let found = crate::db::query_opt_struct(
        &ctx.db().await?,
        "SELECT id, date_part('epoch', time) AS ts FROM events WHERE id = $1",
        &[&id],
    )
    .await?;
    require(found, strict)
}

/// The latest event, or the latest one before `before` (seconds since the epoch).
pub async fn get_last_event(ctx: &CallCtx, before: &Value, strict: bool) -> KojiResult<Option<Struct>> {
    let before = match before {
        Value::Nil => None,
        Value::Int(i) => Some(*i as f64),
        Value::Double(d) => Some(*d),
        other => {
            let class = match other {
                Value::String(_) => "str",
                Value::Bool(_) => "bool",
                Value::Array(_) => "list",
                Value::Struct(_) => "dict",
                _ => other.type_name(),
            };
            return Err(KojiError::generic(format!("Invalid type for before: <class '{class}'>")));
        }
    };
    let found = crate::db::query_opt_struct(
        &ctx.db().await?,
        "SELECT id, date_part('epoch', time) AS ts FROM events \
         WHERE $1::float8 IS NULL OR date_part('epoch', time) < $1 ORDER BY id DESC LIMIT 1",
        &[&before],
    )
    .await?;
    require(found, strict)
}

fn require(found: Option<Struct>, strict: bool) -> KojiResult<Option<Struct>> {
    match found {
        None if strict => Err(KojiError::generic("query returned no rows")),
        other => Ok(other),
    }
}
