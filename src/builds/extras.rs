//! What a build carries besides its rpms: its types (`getBuildType`, the legacy `getMavenBuild`,
//! `getWinBuild`, `getImageBuild`), its logs (`getBuildLogs`), and the storage volumes (`listVolumes`).

use super::info::build_row_strict;
use crate::db::query::{QueryOpts, Select};
use crate::fault::{KojiError, KojiResult};
use crate::files::{blocking, io_error};
use crate::lookup::{BuildRef, build_id};
use crate::pathinfo::{BUILD_LOGS_RELDIR, PathInfo};
use crate::rpc::CallCtx;
use crate::xmlrpc::{Struct, Value};
use deadpool_postgres::GenericClient;
use std::path::{Path, PathBuf};

/// The legacy per-type tables, with the columns Koji returns and the name its strict error uses.
#[derive(Clone, Copy)]
pub enum LegacyType {
    Maven,
    Win,
    Image,
}

impl LegacyType {
    const ALL: [LegacyType; 3] = [LegacyType::Maven, LegacyType::Win, LegacyType::Image];

    fn table(self) -> (&'static str, &'static [(&'static str, &'static str)], &'static str) {
        match self {
            LegacyType::Maven => (
                "maven_builds",
                &[
                    ("build_id", "build_id"),
                    ("group_id", "group_id"),
                    ("artifact_id", "artifact_id"),
                    ("version", "version"),
                ],
                "maven",
            ),
            LegacyType::Win => ("win_builds", &[("build_id", "build_id"), ("platform", "platform")], "Windows"),
            LegacyType::Image => ("image_builds", &[("build_id", "build_id")], "image"),
        }
    }

    fn btype(self) -> &'static str {
        match self {
            LegacyType::Maven => "maven",
            LegacyType::Win => "win",
            LegacyType::Image => "image",
        }
    }

    async fn info_by_id(self, db: &impl GenericClient, build_id: i32) -> KojiResult<Option<Struct>> {
        let (table, columns, _) = self.table();
        let mut q = Select::new(columns, table, "build_id");
        q.filter("build_id = $?", build_id);
        Ok(q.structs(db).await?.into_iter().next())
    }
}

/// `getMavenBuild` / `getWinBuild` / `getImageBuild`: the type's row for the build, or None.
pub async fn legacy_type_info(
    db: &impl GenericClient,
    kind: LegacyType,
    r: &BuildRef,
    strict: bool,
) -> KojiResult<Option<Struct>> {
    let id = if strict { Some(build_row_strict(db, r).await?.id) } else { build_id(db, r).await? };
    let Some(id) = id else { return Ok(None) };
    let info = kind.info_by_id(db, id).await?;
    if strict && info.is_none() {
        return Err(KojiError::generic(format!("no such {} build: {r}", kind.table().2)));
    }
    Ok(info)
}

/// `getBuildType`: `{btype: typeinfo}`; the type info of new-style types comes from `extra['typeinfo']`, that
/// of the legacy types from their tables.
pub async fn build_type(db: &impl GenericClient, r: &BuildRef, strict: bool) -> KojiResult<Option<Struct>> {
    let id = if strict { Some(build_row_strict(db, r).await?.id) } else { build_id(db, r).await? };
    let Some(id) = id else { return Ok(None) };
    let st = db
        .prepare_cached(
            "SELECT btype.name, build.extra FROM build LEFT JOIN build_types ON build_types.build_id = build.id \
             LEFT JOIN btype ON btype.id = build_types.btype_id WHERE build.id = $1",
        )
        .await?;
    let rows = db.query(&st, &[&id]).await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let extra: Option<String> = rows[0].get(1);
    let typeinfo = extra
        .and_then(|e| serde_json::from_str::<serde_json::Value>(&e).ok())
        .and_then(|e| e.get("typeinfo").cloned())
        .unwrap_or(serde_json::Value::Null);
    let mut out = Struct::new();
    for row in &rows {
        if let Some(name) = row.get::<_, Option<String>>(0) {
            let info = typeinfo.get(&name).cloned().map(crate::db::json_to_value).unwrap_or(Value::Nil);
            out.insert(name, info);
        }
    }
    for kind in LegacyType::ALL {
        if let Some(info) = kind.info_by_id(db, id).await? {
            out.insert(kind.btype().into(), Value::Struct(info));
        }
    }
    Ok(Some(out))
}

/// `listVolumes`: `[{id, name}]`.
pub async fn list_volumes(db: &impl GenericClient) -> KojiResult<Value> {
    Select::new(&[("id", "volume.id"), ("name", "volume.name")], "volume", "id").fetch(db, &QueryOpts::default()).await
}

/// `getBuildLogs`: `[{name, dir, path}]` for the files under the build's `data/logs` (`path` relative to
/// `KojiDir`), or `[]` when it has none.
pub async fn build_logs(ctx: &CallCtx, r: &BuildRef) -> KojiResult<Vec<Struct>> {
    let build = build_row_strict(&ctx.db().await?, r).await?;
    let top = ctx.hub.config.koji_dir.clone();
    let build_dir = PathInfo::new(&top).build_dir(&build.volume_name, &build.name, &build.version, &build.release);
    blocking(move || {
        let logdir = build_dir.join(BUILD_LOGS_RELDIR);
        if !logdir.exists() {
            return Ok(vec![]);
        }
        if !logdir.is_dir() {
            return Err(KojiError::generic(format!("Not a directory: {}", logdir.display())));
        }
        let rel_logdir = logdir.strip_prefix(&top).unwrap_or(&logdir).to_owned();
        let mut logs = vec![];
        walk(&logdir, Path::new("."), &rel_logdir, &mut logs)?;
        Ok(logs)
    })
    .await
}

/// Regular files below `dir` (symlinks and specials skipped, as Koji does), depth first.
fn walk(dir: &Path, subdir: &Path, rel_logdir: &Path, out: &mut Vec<Struct>) -> KojiResult<()> {
    let here = dir.join(subdir);
    let mut entries: Vec<_> = std::fs::read_dir(&here)
        .map_err(|e| io_error(&here, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| io_error(&here, e))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let ty = entry.file_type().map_err(|e| io_error(&entry.path(), e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let sub: PathBuf = if subdir == Path::new(".") { PathBuf::from(&name) } else { subdir.join(&name) };
        if ty.is_dir() {
            walk(dir, &sub, rel_logdir, out)?;
        } else if ty.is_file() {
            let mut log = Struct::new();
            log.insert("name".into(), Value::String(name.clone()));
            log.insert("dir".into(), Value::String(subdir.to_string_lossy().into_owned()));
            log.insert("path".into(), Value::String(format!("{}/{}/{name}", rel_logdir.display(), subdir.display())));
            out.push(log);
        }
    }
    Ok(())
}
