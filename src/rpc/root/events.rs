//! Event methods: `getEvent` and `getLastEvent` (the CLI's `--event` and `--ts` options).

use crate::db;
use crate::fault::{KojiError, KojiResult};
use crate::rpc::CallCtx;
use crate::rpc::args::Flag;
use crate::rpc::registry::Registry;
use crate::xmlrpc::Struct;
use serde::Deserialize;

#[derive(Deserialize)]
struct GetEvent {
    id: i32,
    strict: Flag,
}

#[derive(Deserialize)]
struct LastEvent {
    before: Option<f64>,
    strict: Flag,
}

/// Koji's `executeOne(strict=True)` answer when nothing matched.
fn found(event: Option<Struct>, strict: bool) -> KojiResult<Option<Struct>> {
    match event {
        None if strict => Err(KojiError::generic("query returned no rows")),
        event => Ok(event),
    }
}

async fn get_event(ctx: CallCtx, a: GetEvent) -> KojiResult<Option<Struct>> {
    found(db::events::get(&ctx.db().await?, a.id).await?, a.strict.0)
}

async fn last_event(ctx: CallCtx, a: LastEvent) -> KojiResult<Option<Struct>> {
    found(db::events::last(&ctx.db().await?, a.before).await?, a.strict.0)
}

pub fn register(r: &mut Registry) {
    r.add("getEvent", "id, strict=True", "An event's id and timestamp.", get_event);
    r.add(
        "getLastEvent",
        "before=None, strict=True",
        "The newest event, or the newest before a timestamp.",
        last_event,
    );
}
