//! Buildroot methods: decode, call `crate::buildroots`, encode.

use crate::buildroots::{self, BuildrootFilter};
use crate::db::query::QueryOpts;
use crate::fault::KojiResult;
use crate::rpc::CallCtx;
use crate::rpc::args::OneOrMany;
use crate::rpc::registry::Registry;
use crate::xmlrpc::Value;
use serde::Deserialize;

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct ListBuildroots {
    hostID: Option<i32>,
    tagID: Option<i32>,
    state: Option<OneOrMany<i32>>,
    rpmID: Option<i32>,
    archiveID: Option<i32>,
    taskID: Option<i32>,
    buildrootID: Option<OneOrMany<i32>>,
    repoID: Option<i32>,
    queryOpts: Option<QueryOpts>,
}

async fn list_buildroots(ctx: CallCtx, a: ListBuildroots) -> KojiResult<Value> {
    let filter = BuildrootFilter {
        host: a.hostID,
        tag: a.tagID,
        state: a.state,
        rpm: a.rpmID,
        archive: a.archiveID,
        task: a.taskID,
        buildroot: a.buildrootID,
        repo: a.repoID,
    };
    buildroots::list_buildroots(&ctx, filter, &a.queryOpts.unwrap_or_default()).await
}

pub fn register(r: &mut Registry) {
    r.add(
        "listBuildroots",
        "hostID=None, tagID=None, state=None, rpmID=None, archiveID=None, taskID=None, buildrootID=None, \
         repoID=None, queryOpts=None",
        "Buildroots matching the filters (state may be a list).",
        list_buildroots,
    );
}
