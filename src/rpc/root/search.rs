//! `search`: decode, call `crate::search`, encode.

use crate::db::query::QueryOpts;
use crate::fault::KojiResult;
use crate::rpc::CallCtx;
use crate::rpc::registry::Registry;
use crate::xmlrpc::Value;
use serde::Deserialize;

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct Search {
    terms: String,
    #[serde(rename = "type")]
    kind: String,
    matchType: String,
    queryOpts: Option<QueryOpts>,
}

async fn search(ctx: CallCtx, a: Search) -> KojiResult<Value> {
    crate::search::search(&ctx.db().await?, &a.terms, &a.kind, &a.matchType, &a.queryOpts.unwrap_or_default()).await
}

pub fn register(r: &mut Registry) {
    r.add(
        "search",
        "terms, type, matchType, queryOpts=None",
        "Objects of a type (package, build, tag, target, user, host, rpm, maven, win) whose name matches terms \
         by glob, regexp or exactly: [{id, name}].",
        search,
    );
}
