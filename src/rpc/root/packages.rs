//! Package and package-list methods: decode, call `crate::packages`, encode. (`listPackages` is with the
//! other list calls in `listings`.)

use crate::fault::KojiResult;
use crate::lookup::Named;
use crate::packages::{self, edit::EntryChange};
use crate::rpc::CallCtx;
use crate::rpc::args::{Flag, InfoRef};
use crate::rpc::registry::Registry;
use crate::tags::Arches;
use serde::Deserialize;

#[derive(Deserialize)]
struct Add {
    taginfo: InfoRef,
    pkginfo: InfoRef,
    owner: Option<InfoRef>,
    block: Option<Flag>,
    extra_arches: Option<Arches>,
    force: Flag,
    update: Flag,
}

#[derive(Deserialize)]
struct Entry {
    taginfo: InfoRef,
    pkginfo: InfoRef,
    force: Flag,
}

#[derive(Deserialize)]
struct SetOwner {
    taginfo: InfoRef,
    pkginfo: InfoRef,
    owner: InfoRef,
    force: Flag,
}

#[derive(Deserialize)]
struct SetArches {
    taginfo: InfoRef,
    pkginfo: InfoRef,
    arches: Arches,
    force: Flag,
}

#[derive(Deserialize)]
struct GetPackage {
    info: InfoRef,
    strict: Flag,
    create: Flag,
}

#[derive(Deserialize)]
struct GetPackageId {
    name: String,
    strict: Flag,
}

async fn add(ctx: CallCtx, a: Add) -> KojiResult<()> {
    let change = EntryChange {
        owner: a.owner,
        block: a.block.map(|b| b.0),
        extra_arches: a.extra_arches,
        force: a.force.0,
        update: a.update.0,
    };
    packages::edit::add(&ctx, &a.taginfo, &a.pkginfo, change).await
}

async fn remove(ctx: CallCtx, a: Entry) -> KojiResult<()> {
    packages::edit::remove(&ctx, &a.taginfo, &a.pkginfo, a.force.0).await
}

async fn block(ctx: CallCtx, a: Entry) -> KojiResult<()> {
    packages::edit::block(&ctx, &a.taginfo, &a.pkginfo, a.force.0).await
}

async fn unblock(ctx: CallCtx, a: Entry) -> KojiResult<()> {
    packages::edit::unblock(&ctx, &a.taginfo, &a.pkginfo, a.force.0).await
}

async fn set_owner(ctx: CallCtx, a: SetOwner) -> KojiResult<()> {
    let change = EntryChange { owner: Some(a.owner), force: a.force.0, update: true, ..Default::default() };
    packages::edit::add(&ctx, &a.taginfo, &a.pkginfo, change).await
}

async fn set_arches(ctx: CallCtx, a: SetArches) -> KojiResult<()> {
    let change = EntryChange { extra_arches: Some(a.arches), force: a.force.0, update: true, ..Default::default() };
    packages::edit::add(&ctx, &a.taginfo, &a.pkginfo, change).await
}

async fn get_package(ctx: CallCtx, a: GetPackage) -> KojiResult<Option<Named>> {
    packages::get_package(&ctx, &a.info, a.strict.0, a.create.0).await
}

async fn get_package_id(ctx: CallCtx, a: GetPackageId) -> KojiResult<Option<i32>> {
    packages::get_package_id(&ctx, &a.name, a.strict.0).await
}

pub fn register(r: &mut Registry) {
    r.add(
        "packageListAdd",
        "taginfo, pkginfo, owner=None, block=None, extra_arches=None, force=False, update=False",
        "Add a package to a tag's package list, or update its entry.",
        add,
    );
    r.add("packageListRemove", "taginfo, pkginfo, force=False", "Remove a package from a tag's list.", remove);
    r.add("packageListBlock", "taginfo, pkginfo, force=False", "Block a package in a tag.", block);
    r.add("packageListUnblock", "taginfo, pkginfo, force=False", "Unblock a package in a tag.", unblock);
    r.add(
        "packageListSetOwner",
        "taginfo, pkginfo, owner, force=False",
        "Set the owner of a package in a tag.",
        set_owner,
    );
    r.add(
        "packageListSetArches",
        "taginfo, pkginfo, arches, force=False",
        "Set the extra arches of a package in a tag.",
        set_arches,
    );
    r.add("getPackage", "info, strict=False, create=False", "A package's id and name.", get_package);
    r.add("getPackageID", "name, strict=False", "A package's id by name.", get_package_id);
}
