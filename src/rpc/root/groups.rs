//! Comps group changes: `groupListAdd/Remove/Block/Unblock`, `groupPackageList*`, `groupReqList*` (the CLI's
//! `add-group`, `block-group`, `remove-group`, `add-group-pkg`, `block-group-pkg`, `add-group-req`, ...).

use crate::fault::KojiResult;
use crate::rpc::CallCtx;
use crate::rpc::args::{Flag, InfoRef};
use crate::rpc::registry::Registry;
use crate::tags::group_edit::{self, Kind, Target};
use crate::xmlrpc::Struct;
use serde::Deserialize;

#[derive(Deserialize)]
struct GroupAdd {
    taginfo: InfoRef,
    grpinfo: InfoRef,
    block: Flag,
    force: Flag,
    opts: Struct,
}

#[derive(Deserialize)]
struct GroupRef {
    taginfo: InfoRef,
    grpinfo: InfoRef,
    /// Only `groupListRemove` has it.
    #[serde(default)]
    force: Flag,
}

#[derive(Deserialize)]
struct PkgAdd {
    taginfo: InfoRef,
    grpinfo: InfoRef,
    pkg_name: String,
    block: Flag,
    force: Flag,
    opts: Struct,
}

#[derive(Deserialize)]
struct PkgRef {
    taginfo: InfoRef,
    grpinfo: InfoRef,
    pkg_name: String,
}

#[derive(Deserialize)]
struct ReqAdd {
    taginfo: InfoRef,
    grpinfo: InfoRef,
    reqinfo: InfoRef,
    block: Flag,
    force: Flag,
    opts: Struct,
}

#[derive(Deserialize)]
struct ReqRef {
    taginfo: InfoRef,
    grpinfo: InfoRef,
    reqinfo: InfoRef,
}

fn group(tag: InfoRef, group: InfoRef) -> Target {
    Target { tag, group, package: None, req: None }
}

fn package(tag: InfoRef, group: InfoRef, name: String) -> Target {
    Target { tag, group, package: Some(name), req: None }
}

fn req(tag: InfoRef, group: InfoRef, req: InfoRef) -> Target {
    Target { tag, group, package: None, req: Some(req) }
}

async fn group_add(ctx: CallCtx, a: GroupAdd) -> KojiResult<()> {
    group_edit::add(&ctx, Kind::Group, &group(a.taginfo, a.grpinfo), a.block.0, a.force.0, &a.opts).await
}

async fn group_block(ctx: CallCtx, a: GroupRef) -> KojiResult<()> {
    group_edit::add(&ctx, Kind::Group, &group(a.taginfo, a.grpinfo), true, false, &Struct::new()).await
}

async fn group_remove(ctx: CallCtx, a: GroupRef) -> KojiResult<()> {
    group_edit::remove(&ctx, Kind::Group, &group(a.taginfo, a.grpinfo), a.force.0).await
}

async fn group_unblock(ctx: CallCtx, a: GroupRef) -> KojiResult<()> {
    group_edit::unblock(&ctx, Kind::Group, &group(a.taginfo, a.grpinfo)).await
}

async fn pkg_add(ctx: CallCtx, a: PkgAdd) -> KojiResult<()> {
    let t = package(a.taginfo, a.grpinfo, a.pkg_name);
    group_edit::add(&ctx, Kind::Package, &t, a.block.0, a.force.0, &a.opts).await
}

async fn pkg_block(ctx: CallCtx, a: PkgRef) -> KojiResult<()> {
    group_edit::add(&ctx, Kind::Package, &package(a.taginfo, a.grpinfo, a.pkg_name), true, false, &Struct::new()).await
}

async fn pkg_remove(ctx: CallCtx, a: PkgRef) -> KojiResult<()> {
    group_edit::remove(&ctx, Kind::Package, &package(a.taginfo, a.grpinfo, a.pkg_name), true).await
}

async fn pkg_unblock(ctx: CallCtx, a: PkgRef) -> KojiResult<()> {
    group_edit::unblock(&ctx, Kind::Package, &package(a.taginfo, a.grpinfo, a.pkg_name)).await
}

async fn req_add(ctx: CallCtx, a: ReqAdd) -> KojiResult<()> {
    let t = req(a.taginfo, a.grpinfo, a.reqinfo);
    group_edit::add(&ctx, Kind::Requirement, &t, a.block.0, a.force.0, &a.opts).await
}

async fn req_block(ctx: CallCtx, a: ReqRef) -> KojiResult<()> {
    group_edit::add(&ctx, Kind::Requirement, &req(a.taginfo, a.grpinfo, a.reqinfo), true, false, &Struct::new()).await
}

async fn req_remove(ctx: CallCtx, a: ReqRef) -> KojiResult<()> {
    group_edit::remove(&ctx, Kind::Requirement, &req(a.taginfo, a.grpinfo, a.reqinfo), true).await
}

async fn req_unblock(ctx: CallCtx, a: ReqRef) -> KojiResult<()> {
    group_edit::unblock(&ctx, Kind::Requirement, &req(a.taginfo, a.grpinfo, a.reqinfo)).await
}

pub fn register(r: &mut Registry) {
    r.add(
        "groupListAdd",
        "taginfo, grpinfo, block=False, force=False, **opts",
        "Add or update a tag's group.",
        group_add,
    );
    r.add("groupListRemove", "taginfo, grpinfo, force=False", "Remove a tag's own group entry.", group_remove);
    r.add("groupListBlock", "taginfo, grpinfo", "Block a group in a tag.", group_block);
    r.add("groupListUnblock", "taginfo, grpinfo", "Remove a tag's block of a group.", group_unblock);
    r.add(
        "groupPackageListAdd",
        "taginfo, grpinfo, pkg_name, block=False, force=False, **opts",
        "Add a package to a tag's group.",
        pkg_add,
    );
    r.add("groupPackageListRemove", "taginfo, grpinfo, pkg_name", "Remove a package from a group.", pkg_remove);
    r.add("groupPackageListBlock", "taginfo, grpinfo, pkg_name", "Block a package in a group.", pkg_block);
    r.add("groupPackageListUnblock", "taginfo, grpinfo, pkg_name", "Unblock a package in a group.", pkg_unblock);
    r.add(
        "groupReqListAdd",
        "taginfo, grpinfo, reqinfo, block=False, force=False, **opts",
        "Make a group require another.",
        req_add,
    );
    r.add("groupReqListRemove", "taginfo, grpinfo, reqinfo, force=None", "Remove a group requirement.", req_remove);
    r.add("groupReqListBlock", "taginfo, grpinfo, reqinfo", "Block a group requirement.", req_block);
    r.add("groupReqListUnblock", "taginfo, grpinfo, reqinfo", "Unblock a group requirement.", req_unblock);
}
