//! The read-side list calls over builds, packages and tasks.

use crate::builds::{self, BuildFilter};
use crate::db::query::QueryOpts;
use crate::fault::KojiResult;
use crate::packages::{self, PackageFilter};
use crate::rpc::CallCtx;
use crate::rpc::args::{Flag, InfoRef};
use crate::rpc::registry::Registry;
use crate::tasks::{self, TaskFilter};
use crate::xmlrpc::Value;
use serde::Deserialize;

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct ListBuilds {
    #[serde(flatten)]
    filter: BuildFilter,
    queryOpts: Option<QueryOpts>,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct ListPackages {
    tagID: Option<InfoRef>,
    userID: Option<InfoRef>,
    pkgID: Option<InfoRef>,
    prefix: Option<String>,
    inherited: Flag,
    with_dups: Flag,
    event: Option<i32>,
    queryOpts: Option<QueryOpts>,
    with_owners: Flag,
    with_blocked: Flag,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct ListTasks {
    opts: Option<TaskFilter>,
    queryOpts: Option<QueryOpts>,
}

async fn list_builds(ctx: CallCtx, a: ListBuilds) -> KojiResult<Value> {
    builds::list_builds(&ctx, a.filter, &a.queryOpts.unwrap_or_default()).await
}

async fn list_packages(ctx: CallCtx, a: ListPackages) -> KojiResult<Value> {
    let filter = PackageFilter {
        tag: a.tagID,
        user: a.userID,
        package: a.pkgID,
        prefix: a.prefix,
        inherited: a.inherited.0,
        with_dups: a.with_dups.0,
        event: a.event,
        with_owners: a.with_owners.0,
        with_blocked: a.with_blocked.0,
    };
    packages::list_packages(&ctx, filter, &a.queryOpts.unwrap_or_default()).await
}

async fn list_tasks(ctx: CallCtx, a: ListTasks) -> KojiResult<Value> {
    tasks::list_tasks(&ctx, a.opts.unwrap_or_default(), &a.queryOpts.unwrap_or_default()).await
}

pub fn register(r: &mut Registry) {
    r.add(
        "listBuilds",
        "packageID=None, userID=None, taskID=None, prefix=None, state=None, volumeID=None, source=None, \
         createdBefore=None, createdAfter=None, completeBefore=None, completeAfter=None, type=None, typeInfo=None, \
         queryOpts=None, pattern=None, cgID=None, draft=None, promotedBefore=None, promotedAfter=None, promoter=None",
        "Builds matching the filters.",
        list_builds,
    );
    r.add(
        "listPackages",
        "tagID=None, userID=None, pkgID=None, prefix=None, inherited=False, with_dups=False, event=None, \
         queryOpts=None, with_owners=True, with_blocked=True",
        "Packages, or the package listings of tags, users or a package.",
        list_packages,
    );
    r.add("listTasks", "opts=None, queryOpts=None", "Tasks matching the filters in opts.", list_tasks);
}
