//! Builds: the `build` table with its package, owner, volume and creation event (`listBuilds`), and the
//! submodules for single builds (`info`), what a build carries besides its rpms
//! (`extras`) and importing rpms into builds (`import`).

pub mod complete;
pub mod extras;
pub mod import;
pub mod info;
pub mod lifecycle;
pub mod requests;

use crate::db::query::{QueryOpts, Select, TimeArg, escape_like, glob_to_like};
use crate::fault::{KojiError, KojiResult};
use crate::lookup;
use crate::rpc::CallCtx;
use crate::rpc::args::InfoRef;
use crate::xmlrpc::{Struct, Value};
use deadpool_postgres::GenericClient;
use serde::Deserialize;

/// Koji's build record as `listBuilds` returns it (alias = field name).
pub const BUILD_COLUMNS: &[(&str, &str)] = &[
    ("build_id", "build.id"),
    ("version", "build.version"),
    ("release", "build.release"),
    ("epoch", "build.epoch"),
    ("draft", "build.draft"),
    ("state", "build.state"),
    ("completion_time", "build.completion_time"),
    ("promotion_time", "build.promotion_time"),
    ("start_time", "build.start_time"),
    ("source", "build.source"),
    ("extra", "build.extra"),
    ("creation_event_id", "events.id"),
    ("creation_time", "events.time"),
    ("task_id", "build.task_id"),
    ("creation_ts", "date_part('epoch', events.time)"),
    ("start_ts", "date_part('epoch', build.start_time)"),
    ("completion_ts", "date_part('epoch', build.completion_time)"),
    ("promotion_ts", "date_part('epoch', build.promotion_time)"),
    ("package_id", "package.id"),
    ("package_name", "package.name"),
    ("name", "package.name"),
    ("volume_id", "volume.id"),
    ("volume_name", "volume.name"),
    ("nvr", "package.name || '-' || build.version || '-' || build.release"),
    ("owner_id", "users.id"),
    ("owner_name", "users.name"),
    ("promoter_id", "promoter.id"),
    ("promoter_name", "promoter.name"),
];

pub const BUILD_FROM: &str = "build LEFT JOIN events ON build.create_event = events.id \
     LEFT JOIN package ON build.pkg_id = package.id LEFT JOIN volume ON build.volume_id = volume.id \
     LEFT JOIN users ON build.owner = users.id LEFT JOIN users AS promoter ON build.promoter = promoter.id";

/// `extra` is stored as JSON text; clients get the decoded structure (Koji's `_fix_extra_field`).
pub fn decode_extra(rows: &mut Value) {
    let Value::Array(rows) = rows else { return };
    for row in rows {
        if let Value::Struct(s) = row {
            decode_extra_fields(s);
        }
    }
}

/// `decode_extra` for one record (builds, rpms and archives all store `extra` as JSON text).
pub fn decode_extra_fields(record: &mut Struct) {
    if let Some(Value::String(text)) = record.get("extra") {
        let decoded = serde_json::from_str(text).map(crate::db::json_to_value).unwrap_or(Value::Nil);
        record.insert("extra".into(), decoded);
    }
}

/// Koji's `get_build(buildInfo, strict=True)['id']` for callers holding an `InfoRef` (a build id or an N-V-R).
pub async fn require_id(db: &impl GenericClient, r: &InfoRef) -> KojiResult<i32> {
    let build = match r {
        InfoRef::Id(id) => lookup::BuildRef::Id(*id),
        InfoRef::Name(nvr) => lookup::BuildRef::Nvr(nvr.clone()),
        InfoRef::Map { .. } => return Err(KojiError::generic("did not provide name, version, and release")),
    };
    Ok(info::build_row_strict(db, &build).await?.id)
}

#[derive(Debug, Default, Deserialize)]
#[allow(non_snake_case)]
pub struct BuildFilter {
    pub packageID: Option<InfoRef>,
    pub userID: Option<InfoRef>,
    pub taskID: Option<i32>,
    pub prefix: Option<String>,
    pub state: Option<i32>,
    pub volumeID: Option<i32>,
    pub source: Option<String>,
    pub createdBefore: Option<TimeArg>,
    pub createdAfter: Option<TimeArg>,
    pub completeBefore: Option<TimeArg>,
    pub completeAfter: Option<TimeArg>,
    #[serde(rename = "type")]
    pub btype: Option<String>,
    pub typeInfo: Option<Value>,
    pub pattern: Option<String>,
    pub cgID: Option<InfoRef>,
    pub draft: Option<bool>,
    pub promotedBefore: Option<TimeArg>,
    pub promotedAfter: Option<TimeArg>,
    pub promoter: Option<InfoRef>,
}

pub async fn list_builds(ctx: &CallCtx, f: BuildFilter, opts: &QueryOpts) -> KojiResult<Value> {
    let db = ctx.db().await?;
    let mut q = Select::new(BUILD_COLUMNS, BUILD_FROM, "build_id");
    let nothing = || Ok(Value::Array(vec![]));
    if let Some(p) = &f.packageID {
        let Some(id) = lookup::id_of(&db, "package", p).await? else { return nothing() };
        q.filter("package.id = $?", id);
    }
    if let Some(u) = &f.userID {
        let Some(user) = crate::users::resolve(&db, u).await? else { return nothing() };
        q.filter("users.id = $?", user.id);
    }
    if let Some(u) = &f.promoter {
        let Some(user) = crate::users::resolve(&db, u).await? else { return nothing() };
        q.filter("build.promoter = $?", user.id);
    }
    if let Some(v) = f.volumeID {
        q.filter("volume.id = $?", v);
    }
    match f.taskID {
        None => {}
        Some(-1) => {
            q.condition("build.task_id IS NOT NULL");
        }
        Some(t) => {
            q.filter("build.task_id = $?", t);
        }
    }
    if let Some(s) = f.source {
        q.filter("build.source ILIKE $?", glob_to_like(&s));
    }
    if let Some(p) = f.prefix.filter(|p| !p.is_empty()) {
        q.filter("package.name ILIKE $? || '%'", escape_like(&p));
    }
    if let Some(p) = f.pattern.filter(|p| !p.is_empty()) {
        q.filter("package.name || '-' || build.version || '-' || build.release ILIKE $?", glob_to_like(&p));
    }
    if let Some(s) = f.state {
        q.filter("build.state = $?", s);
    }
    for (t, column, op) in [
        (f.createdBefore, "events.time", "<"),
        (f.createdAfter, "events.time", ">"),
        (f.completeBefore, "build.completion_time", "<"),
        (f.completeAfter, "build.completion_time", ">"),
        (f.promotedBefore, "build.promotion_time", "<"),
        (f.promotedAfter, "build.promotion_time", ">"),
    ] {
        if let Some(t) = t {
            q.time_filter(column, op, t);
        }
    }
    if let Some(cg) = &f.cgID {
        let st = db.prepare_cached("SELECT id FROM content_generator WHERE id::text = $1 OR name = $1").await?;
        let key = match cg {
            InfoRef::Id(i) => i.to_string(),
            InfoRef::Name(n) => n.clone(),
            InfoRef::Map { .. } => return Err(KojiError::param("cgID must be an id or a name")),
        };
        let Some(row) = db.query_opt(&st, &[&key]).await? else { return nothing() };
        q.filter("build.cg_id = $?", row.get::<_, i32>(0));
    }
    if f.typeInfo.as_ref().is_some_and(|v| !v.is_nil()) {
        return Err(KojiError::param("listBuilds: typeInfo is not supported by this hub"));
    }
    if let Some(t) = f.btype {
        let st = db.prepare_cached("SELECT id FROM btype WHERE name = $1").await?;
        let Some(row) = db.query_opt(&st, &[&t]).await? else {
            return Err(KojiError::generic(format!("unsupported build type: {t}")));
        };
        q.filter("build.id IN (SELECT build_id FROM build_types WHERE btype_id = $?)", row.get::<_, i32>(0));
    }
    if let Some(d) = f.draft {
        q.filter("build.draft = $?", d);
    }
    let mut rows = q.fetch(&db, opts).await?;
    decode_extra(&mut rows);
    Ok(rows)
}
