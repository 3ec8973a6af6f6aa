//! Build target methods: decode, call `crate::targets`, encode.

use crate::db::query::QueryOpts;
use crate::fault::KojiResult;
use crate::rpc::CallCtx;
use crate::rpc::args::{Flag, InfoRef};
use crate::rpc::registry::Registry;
use crate::targets::{self, TargetFilter};
use crate::xmlrpc::{Struct, Value};
use serde::Deserialize;

#[derive(Deserialize)]
struct CreateTarget {
    name: String,
    build_tag: InfoRef,
    dest_tag: InfoRef,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct EditTarget {
    buildTargetInfo: InfoRef,
    name: String,
    build_tag: InfoRef,
    dest_tag: InfoRef,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct TargetInfo {
    buildTargetInfo: InfoRef,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct GetTargets {
    info: Option<InfoRef>,
    event: Option<i32>,
    buildTagID: Option<InfoRef>,
    destTagID: Option<InfoRef>,
    queryOpts: Option<QueryOpts>,
}

#[derive(Deserialize)]
struct GetTarget {
    info: InfoRef,
    event: Option<i32>,
    strict: Flag,
}

async fn create(ctx: CallCtx, a: CreateTarget) -> KojiResult<()> {
    targets::create(&ctx, &a.name, &a.build_tag, &a.dest_tag).await
}

async fn edit(ctx: CallCtx, a: EditTarget) -> KojiResult<()> {
    targets::edit(&ctx, &a.buildTargetInfo, &a.name, &a.build_tag, &a.dest_tag).await
}

async fn delete(ctx: CallCtx, a: TargetInfo) -> KojiResult<()> {
    targets::delete(&ctx, &a.buildTargetInfo).await
}

async fn list(ctx: CallCtx, a: GetTargets) -> KojiResult<Value> {
    let f = TargetFilter { info: a.info, event: a.event, build_tag: a.buildTagID, dest_tag: a.destTagID };
    targets::list(&ctx.db().await?, f, &a.queryOpts.unwrap_or_default()).await
}

async fn get(ctx: CallCtx, a: GetTarget) -> KojiResult<Option<Struct>> {
    targets::get(&ctx.db().await?, a.info, a.event, a.strict.0).await
}

pub fn register(r: &mut Registry) {
    r.add("createBuildTarget", "name, build_tag, dest_tag", "Create a build target (target permission).", create);
    r.add(
        "editBuildTarget",
        "buildTargetInfo, name, build_tag, dest_tag",
        "Rename a build target and set its build and destination tags.",
        edit,
    );
    r.add("deleteBuildTarget", "buildTargetInfo", "Delete a build target.", delete);
    r.add(
        "getBuildTargets",
        "info=None, event=None, buildTagID=None, destTagID=None, queryOpts=None",
        "Build targets, by name or id, build tag or destination tag.",
        list,
    );
    r.add("getBuildTarget", "info, event=None, strict=False", "One build target by name or id.", get);
}
