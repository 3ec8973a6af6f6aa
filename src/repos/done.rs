//! `host.repoDone`: Koji's finish of a repo. The createrepo results uploaded by the builders move into
//! `<repo>/<arch>/repodata/`, the repo becomes READY (fulfilling the requests it satisfies) and `latest` points
//! at it when it is the tag's newest repo with default options.

use super::{REPO_EXPIRED, REPO_INIT, REPO_READY, init::canon_arch};
use crate::config::HubConfig;
use crate::db::query_opt_struct;
use crate::fault::{KojiError, KojiResult};
use crate::files::{blocking, io_error};
use crate::pathinfo::{DEFAULT_VOLUME, PathInfo};
use crate::xmlrpc::{Struct, Value};
use deadpool_postgres::GenericClient;
use std::path::{Path, PathBuf};

/// One arch of `data`: `{arch: [uploadpath, [file, ...]]}`.
struct ArchFiles {
    arch: String,
    upload: String,
    files: Vec<String>,
}

fn parse_data(data: &Struct) -> KojiResult<Vec<ArchFiles>> {
    let bad = || KojiError::param("repoDone data must map each arch to [uploadpath, [files]]");
    data.iter()
        .map(|(arch, v)| {
            let [upload, files] = v.as_array().ok_or_else(bad)? else { return Err(bad()) };
            let files = files.as_array().ok_or_else(bad)?;
            Ok(ArchFiles {
                arch: arch.clone(),
                upload: upload.as_str().ok_or_else(bad)?.to_owned(),
                files: files
                    .iter()
                    .map(|f| f.as_str().map(str::to_owned).ok_or_else(bad))
                    .collect::<KojiResult<_>>()?,
            })
        })
        .collect()
}

/// Koji's `safer_move` for the repodata files: the name must be plain and the destination must not exist.
fn move_into_place(repodir: &Path, work: &Path, arches: &[ArchFiles]) -> KojiResult<()> {
    for a in arches {
        let archdir = repodir.join(canon_arch(&a.arch));
        if !archdir.is_dir() {
            return Err(KojiError::generic(format!("Repo arch directory missing: {}", archdir.display())));
        }
        let datadir = archdir.join("repodata");
        std::fs::create_dir_all(&datadir).map_err(|e| io_error(&datadir, e))?;
        for name in &a.files {
            if name.is_empty() || name.contains('/') || name.starts_with('.') {
                return Err(KojiError::generic(format!("Invalid repo file name: {name}")));
            }
            let src = work.join(&a.upload).join(name);
            if !src.exists() {
                return Err(KojiError::generic(format!("uploaded file missing: {}", src.display())));
            }
            let dst = if name.ends_with("pkglist") { archdir.join(name) } else { datadir.join(name) };
            if dst.exists() && !name.ends_with("pkglist") {
                return Err(KojiError::generic(format!("destination exists: {}", dst.display())));
            }
            std::fs::rename(&src, &dst).map_err(|e| io_error(&src, e))?;
        }
    }
    Ok(())
}

/// `repos/<tag>/latest → <id>`, when no newer READY repo of the tag has default options (`symlink_if_latest`).
async fn symlink_if_latest(db: &impl GenericClient, cfg: &HubConfig, repo: &Struct) -> KojiResult<()> {
    let custom = repo.get("custom_opts").and_then(Value::as_struct).is_some_and(|c| !c.is_empty());
    let dist = repo.get("dist").is_some_and(Value::truthy);
    if custom && !dist {
        return Ok(());
    }
    let int = |k: &str| repo.get(k).and_then(Value::as_i64).unwrap_or(0) as i32;
    let newer = query_opt_struct(
        db,
        "SELECT id FROM repo WHERE tag_id = $1 AND state = 1 AND create_event > $2 AND dist = $3 \
         AND ($3 OR custom_opts = '{}'::jsonb) LIMIT 1",
        &[&int("tag_id"), &int("create_event"), &dist],
    )
    .await?;
    if newer.is_some() {
        return Ok(());
    }
    let tag = repo.get("tag_name").and_then(Value::as_str).unwrap_or("").to_owned();
    let link = PathInfo::new(&cfg.koji_dir).repo_dir(&tag, "latest");
    let target = int("id").to_string();
    blocking(move || {
        let _ = std::fs::remove_file(&link);
        if let Err(e) = std::os::unix::fs::symlink(&target, &link) {
            tracing::error!(link = %link.display(), error = %e, "unable to create latest link");
        }
        Ok(())
    })
    .await
}

/// `host.repoDone(repo_id, data, expire=False, repo_json_updates=None)`; returns the repo record as it was.
pub async fn repo_done(
    db: &impl GenericClient,
    cfg: &HubConfig,
    repo_id: i32,
    data: &Struct,
    expire: bool,
    repo_json_updates: Option<&Struct>,
) -> KojiResult<Struct> {
    let rinfo = super::repo_info(db, repo_id, true).await?.unwrap_or_default();
    let state = rinfo.get("state").and_then(Value::as_i64).unwrap_or(-1) as i32;
    if state != REPO_INIT {
        return Err(KojiError::generic(format!("Repo {repo_id} not in INIT state (got {state})")));
    }
    let arches = parse_data(data)?;
    let tag = rinfo.get("tag_name").and_then(Value::as_str).unwrap_or("").to_owned();
    let repodir: PathBuf = PathInfo::new(&cfg.koji_dir).repo_dir(&tag, &repo_id.to_string());
    let work = PathInfo::new(&cfg.koji_dir).work_dir(DEFAULT_VOLUME);
    let updates = repo_json_updates.map(|u| crate::db::value_to_json(&Value::Struct(u.clone())));
    let dist = rinfo.get("dist").is_some_and(Value::truthy);
    blocking(move || {
        if let Some(serde_json::Value::Object(u)) = updates {
            let path = repodir.join("repo.json");
            let text = std::fs::read_to_string(&path).map_err(|e| io_error(&path, e))?;
            let mut json: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| KojiError::generic(format!("bad repo.json: {e}")))?;
            if let serde_json::Value::Object(o) = &mut json {
                o.extend(u);
            }
            std::fs::write(&path, serde_json::to_string_pretty(&json).unwrap_or_default())
                .map_err(|e| io_error(&path, e))?;
        }
        if !dist {
            move_into_place(&repodir, &work, &arches)?;
        }
        Ok(())
    })
    .await?;
    if expire {
        super::set_state(db, repo_id, REPO_EXPIRED).await?;
        return Ok(rinfo);
    }
    super::set_state(db, repo_id, REPO_READY).await?;
    symlink_if_latest(db, cfg, &rinfo).await?;
    Ok(rinfo)
}
