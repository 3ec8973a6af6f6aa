//! Events and history: decode, call `crate::events` / `crate::history`, encode.

use crate::fault::KojiResult;
use crate::rpc::CallCtx;
use crate::rpc::args::Flag;
use crate::rpc::registry::Registry;
use crate::xmlrpc::{Struct, Value};
use crate::{events, history};
use serde::Deserialize;

#[derive(Deserialize)]
struct GetEvent {
    id: i32,
    strict: Flag,
}

#[derive(Deserialize)]
struct GetLastEvent {
    before: Value,
    strict: Flag,
}

#[derive(Deserialize)]
struct QueryHistory {
    tables: Option<Vec<String>>,
    kwargs: Struct,
}

async fn get_event(ctx: CallCtx, a: GetEvent) -> KojiResult<Option<Struct>> {
    events::get_event(&ctx, a.id, a.strict.0).await
}

async fn get_last_event(ctx: CallCtx, a: GetLastEvent) -> KojiResult<Option<Struct>> {
    events::get_last_event(&ctx, &a.before, a.strict.0).await
}

async fn query_history(ctx: CallCtx, a: QueryHistory) -> KojiResult<Struct> {
    history::query_history(&ctx, a.tables, a.kwargs).await
}

pub fn register(r: &mut Registry) {
    r.add("getEvent", "id, strict=True", "An event's id and timestamp (ts, seconds since the epoch).", get_event);
    r.add(
        "getLastEvent",
        "before=None, strict=True",
        "The latest event, or the latest before a time (seconds since the epoch).",
        get_last_event,
    );
    r.add(
        "queryHistory",
        "tables=None, **kwargs",
        "Created and revoked rows of the versioned tables, filtered by tag, build, package, user, permission, host, \
         channel, editor, times or events.",
        query_history,
    );
}
