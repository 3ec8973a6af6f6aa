//! Asking for builds and what they ran in: decode, call `crate::builds::requests` / `crate::buildroots`,
//! encode.

use crate::buildroots::{self, BuildrootFilter, standard};
use crate::builds::requests;
use crate::db::query::QueryOpts;
use crate::fault::{KojiError, KojiResult};
use crate::lookup::{self, BuildRef};
use crate::packages::listing::{self, Listing, ListingQuery};
use crate::rpc::CallCtx;
use crate::rpc::args::{Flag, InfoRef, OneOrMany};
use crate::rpc::registry::Registry;
use crate::xmlrpc::Value;
use serde::Deserialize;

#[derive(Deserialize)]
struct Build {
    src: Value,
    target: Value,
    opts: Option<Value>,
    priority: Option<i32>,
    channel: Option<String>,
}

#[derive(Deserialize)]
struct ChainBuild {
    srcs: Value,
    target: Value,
    opts: Option<Value>,
    priority: Option<i32>,
    channel: Option<String>,
}

#[derive(Deserialize)]
struct TagBuild {
    tag: InfoRef,
    build: BuildRef,
    force: Flag,
    fromtag: Option<InfoRef>,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct CancelBuild {
    buildID: BuildRef,
    strict: Flag,
}

#[derive(Deserialize)]
struct PackageConfig {
    tag: InfoRef,
    pkg: InfoRef,
    event: Option<i32>,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct GetBuildroot {
    buildrootID: i32,
    strict: Flag,
}

#[derive(Deserialize)]
struct BuildrootId {
    id: i32,
}

/// Koji's `convert_value(value, cast=str|list, check_only=True)` on the source argument, with its messages.
fn check_type(value: &Value, want_list: bool) -> KojiResult<()> {
    let cast = if want_list { "<class 'list'>" } else { "<class 'str'>" };
    let (shown, class) = match value {
        Value::String(_) if !want_list => return Ok(()),
        Value::Array(_) if want_list => return Ok(()),
        Value::Nil => return Err(KojiError::param(format!("Invalid type, expected type {cast}"))),
        Value::String(t) => (t.clone(), "str"),
        Value::Int(i) => (i.to_string(), "int"),
        Value::Bool(b) => ((if *b { "True" } else { "False" }).to_owned(), "bool"),
        Value::Double(d) => (d.to_string(), "float"),
        Value::Array(_) => (format!("{value:?}"), "list"),
        Value::Struct(_) => (format!("{value:?}"), "dict"),
        other => (format!("{other:?}"), "object"),
    };
    Err(KojiError::param(format!("Invalid type for value '{shown}': <class '{class}'>, expected type {cast}")))
}

async fn build(ctx: CallCtx, a: Build) -> KojiResult<i32> {
    ctx.require_login()?;
    check_type(&a.src, false)?;
    requests::build_task(&ctx, "build", a.src, a.target, a.opts, a.priority, a.channel).await
}

async fn chain_build(ctx: CallCtx, a: ChainBuild) -> KojiResult<i32> {
    ctx.require_login()?;
    check_type(&a.srcs, true)?;
    requests::build_task(&ctx, "chainbuild", a.srcs, a.target, a.opts, a.priority, a.channel).await
}

async fn tag_build(ctx: CallCtx, a: TagBuild) -> KojiResult<i32> {
    requests::tag_build_task(&ctx, &a.tag, &a.build, a.force.0, a.fromtag.as_ref()).await
}

async fn cancel_build(ctx: CallCtx, a: CancelBuild) -> KojiResult<bool> {
    requests::cancel_build(&ctx, &a.buildID, a.strict.0).await
}

/// `getPackageConfig(tag, pkg, event)`: the package's effective listing in the tag (inherited, blocked or
/// not), or None.
async fn get_package_config(ctx: CallCtx, a: PackageConfig) -> KojiResult<Option<Listing>> {
    let db = ctx.db().await?;
    let (Some(tag), Some(package)) =
        (lookup::id_of(&db, "tag", &a.tag).await?, lookup::id_of(&db, "package", &a.pkg).await?)
    else {
        return Ok(None);
    };
    let q = ListingQuery {
        tag: Some(tag),
        package: Some(package),
        event: a.event,
        inherit: true,
        with_owners: true,
        with_blocked: true,
        ..Default::default()
    };
    Ok(listing::read(&db, &q).await?.into_iter().next())
}

async fn get_buildroot(ctx: CallCtx, a: GetBuildroot) -> KojiResult<Value> {
    let filter = BuildrootFilter { buildroot: Some(OneOrMany::One(a.buildrootID)), ..Default::default() };
    match buildroots::list_buildroots(&ctx, filter, &QueryOpts::default()).await? {
        Value::Array(mut rows) if !rows.is_empty() => Ok(rows.remove(0)),
        _ if a.strict.0 => Err(KojiError::generic(format!("No such buildroot: {}", a.buildrootID))),
        _ => Ok(Value::Nil),
    }
}

async fn get_buildroot_listing(ctx: CallCtx, a: BuildrootId) -> KojiResult<Value> {
    standard::listing(&ctx.db().await?, a.id).await
}

pub fn register(r: &mut Registry) {
    r.add("build", "src, target, opts=None, priority=None, channel=None", "Create a build task.", build);
    r.add(
        "chainBuild",
        "srcs, target, opts=None, priority=None, channel=None",
        "Create a chained build task (lists of sources built in order).",
        chain_build,
    );
    r.add("tagBuild", "tag, build, force=False, fromtag=None", "Create a task that tags a build.", tag_build);
    r.add("cancelBuild", "buildID, strict=False", "Cancel a BUILDING build and its task.", cancel_build);
    r.add("getPackageConfig", "tag, pkg, event=None", "A package's (inherited) listing in a tag.", get_package_config);
    r.add("getBuildroot", "buildrootID, strict=False", "One buildroot's record.", get_buildroot);
    r.add("getBuildrootListing", "id", "The rpms installed in a buildroot.", get_buildroot_listing);
}
