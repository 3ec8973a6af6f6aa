//! Single builds and what hangs off them: decode, call `crate::builds` / `crate::archives`, encode.

use crate::archives::{self, ArchiveFilter};
use crate::builds::extras::{self, LegacyType};
use crate::builds::info;
use crate::db::query::QueryOpts;
use crate::fault::KojiResult;
use crate::lookup::{self, BuildRef};
use crate::rpc::CallCtx;
use crate::rpc::args::Flag;
use crate::rpc::registry::Registry;
use crate::rpms::{self, RpmFilter};
use crate::xmlrpc::{Struct, Value};
use serde::Deserialize;

#[derive(Deserialize)]
struct NoArgs {}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct BuildInfo {
    buildInfo: BuildRef,
    strict: Flag,
}

#[derive(Deserialize)]
struct Build {
    build: BuildRef,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct FindBuildId {
    X: BuildRef,
    strict: Flag,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct ListArchives {
    #[serde(flatten)]
    filter: ArchiveFilter,
    queryOpts: Option<QueryOpts>,
    strict: Flag,
}

async fn get_build(ctx: CallCtx, a: BuildInfo) -> KojiResult<Option<Struct>> {
    info::get_build(&ctx.db().await?, &a.buildInfo, a.strict.0).await
}

async fn find_build_id(ctx: CallCtx, a: FindBuildId) -> KojiResult<Option<i32>> {
    let db = ctx.db().await?;
    if a.strict.0 {
        return Ok(Some(info::build_row_strict(&db, &a.X).await?.id));
    }
    lookup::build_id(&db, &a.X).await
}

async fn get_build_type(ctx: CallCtx, a: BuildInfo) -> KojiResult<Option<Struct>> {
    extras::build_type(&ctx.db().await?, &a.buildInfo, a.strict.0).await
}

async fn legacy(ctx: CallCtx, kind: LegacyType, a: BuildInfo) -> KojiResult<Option<Struct>> {
    extras::legacy_type_info(&ctx.db().await?, kind, &a.buildInfo, a.strict.0).await
}

async fn get_build_logs(ctx: CallCtx, a: Build) -> KojiResult<Vec<Struct>> {
    extras::build_logs(&ctx, &a.build).await
}

async fn list_build_rpms(ctx: CallCtx, a: Build) -> KojiResult<Value> {
    let db = ctx.db().await?;
    let build = match a.build {
        BuildRef::Id(id) => i32::try_from(id).unwrap_or(-1),
        other => info::build_row_strict(&db, &other).await?.id,
    };
    rpms::list_rpms(&db, RpmFilter { buildID: Some(build), ..Default::default() }, &QueryOpts::default()).await
}

async fn list_volumes(ctx: CallCtx, _: NoArgs) -> KojiResult<Value> {
    extras::list_volumes(&ctx.db().await?).await
}

async fn list_archives(ctx: CallCtx, a: ListArchives) -> KojiResult<Value> {
    archives::list_archives(&ctx.db().await?, a.filter, &a.queryOpts.unwrap_or_default(), a.strict.0).await
}

pub fn register(r: &mut Registry) {
    r.add(
        "getBuild",
        "buildInfo, strict=False",
        "A build by id, N-V-R or {name, version, release}; None (or an error if strict) when there is none.",
        get_build,
    );
    r.add("findBuildID", "X, strict=False", "The id of a build given by id, N-V-R or struct.", find_build_id);
    r.add("getBuildType", "buildInfo, strict=False", "The build's types with their type info.", get_build_type);
    r.add("getMavenBuild", "buildInfo, strict=False", "Maven information of a build, or None.", |c, a| {
        legacy(c, LegacyType::Maven, a)
    });
    r.add("getWinBuild", "buildInfo, strict=False", "Windows information of a build, or None.", |c, a| {
        legacy(c, LegacyType::Win, a)
    });
    r.add("getImageBuild", "buildInfo, strict=False", "Image information of a build, or None.", |c, a| {
        legacy(c, LegacyType::Image, a)
    });
    r.add("getBuildLogs", "build", "The log files of a build: [{name, dir, path}].", get_build_logs);
    r.add("listBuildRPMs", "build", "The rpms of a build.", list_build_rpms);
    r.add("listVolumes", "", "The storage volumes: [{id, name}].", list_volumes);
    r.add(
        "listArchives",
        "buildID=None, buildrootID=None, componentBuildrootID=None, hostID=None, type=None, filename=None, \
         size=None, checksum=None, checksum_type=None, typeInfo=None, queryOpts=None, imageID=None, \
         archiveID=None, strict=False",
        "Archives (non-rpm build output) matching the filters.",
        list_archives,
    );
}
