//! The end of a build task: `host.completeBuild` imports what the builder uploaded (Koji's `import_build`),
//! `host.moveBuildToScratch` files a scratch build's results under `scratch/` without importing them.
//!
//! Paths come relative to `KojiDir/work` (`tasks/<id % 10000>/<id>/<file>`). Everything is read and checked
//! first; the rows are written in one transaction, then the files move into `packages/<n>/<v>/<r>/` (a
//! relative symlink left behind in `work/`), and the moves are undone if anything after them fails.

use super::info::get_build;
use crate::db::builds::{self as build_db, BuildRow, STATE_BUILDING, STATE_COMPLETE, state_name};
use crate::db::rpms as rpm_db;
use crate::fault::{KojiError, KojiResult};
use crate::files::{Imported, Placed, blocking, io_error};
use crate::lookup::BuildRef;
use crate::pathinfo::{BUILD_LOGS_RELDIR, DEFAULT_VOLUME, PathInfo, rpm_relpath, sighdr_relpath};
use crate::rpms::file::{RpmFile, md5_hex};
use crate::xmlrpc::Struct;
use deadpool_postgres::GenericClient;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// What a build task hands over: the SRPM, the rpms, which buildroot made each file, and logs by arch.
pub struct TaskResults {
    pub srpm: String,
    pub rpms: Vec<String>,
    pub brmap: HashMap<String, i32>,
    pub logs: BTreeMap<String, Vec<String>>,
}

/// A path below `work/`; one that climbs out of it is refused.
fn work_file(work: &Path, rel: &str) -> KojiResult<PathBuf> {
    crate::uploads::normpath(rel)
        .filter(|p| !p.starts_with(".."))
        .map(|p| work.join(p))
        .ok_or_else(|| KojiError::generic(format!("Invalid path: {rel}")))
}

/// Koji's `check_noarch_rpms`: the same noarch rpm built on several arches is kept once (the first). Koji also
/// compares the copies with rpmdiff; koji-rs keeps the first without comparing.
fn dedupe_noarch(rpms: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    rpms.iter()
        .filter(|r| {
            let base = Path::new(r.as_str()).file_name().map(|b| b.to_owned());
            !r.ends_with(".noarch.rpm") || seen.insert(base)
        })
        .cloned()
        .collect()
}

/// Checks that every file exists, then keeps one copy of each noarch rpm; returns `[srpm] + rpms` as paths.
fn existing_files(work: &Path, srpm: &str, rpms: &[String]) -> KojiResult<(Vec<String>, Vec<PathBuf>)> {
    let mut all = vec![srpm.to_owned()];
    all.extend(rpms.iter().cloned());
    for rel in &all {
        let path = work_file(work, rel)?;
        if !path.exists() {
            return Err(KojiError::generic(format!("No such file: {}", path.display())));
        }
    }
    let mut kept = vec![srpm.to_owned()];
    kept.extend(dedupe_noarch(rpms));
    let paths = kept.iter().map(|r| work_file(work, r)).collect::<KojiResult<Vec<_>>>()?;
    Ok((kept, paths))
}

/// An rpm file read for import.
struct Read {
    rel: String,
    path: PathBuf,
    rpm: RpmFile,
    size: i64,
}

fn read_all(rels: Vec<String>, paths: Vec<PathBuf>) -> KojiResult<Vec<Read>> {
    rels.into_iter()
        .zip(paths)
        .map(|(rel, path)| {
            let rpm = RpmFile::read(&path)?;
            let size = std::fs::metadata(&path).map_err(|e| io_error(&path, e))?.len() as i64;
            Ok(Read { rel, path, rpm, size })
        })
        .collect()
}

/// Koji's `import_build` field checks: the SRPM must be the build's, the build BUILDING under this task.
fn check_build(build: &BuildRow, srpm: &Read, task_id: i32) -> KojiResult<()> {
    if !srpm.rpm.is_source {
        return Err(KojiError::generic(format!("not a source package: {}", srpm.path.display())));
    }
    let show = |v: Option<i32>| v.map_or("None".to_owned(), |v| v.to_string());
    let pairs = [
        ("name", build.name.clone(), srpm.rpm.name.clone()),
        ("version", build.version.clone(), srpm.rpm.version.clone()),
        ("release", build.release.clone(), srpm.rpm.release.clone()),
        ("epoch", show(build.epoch), show(srpm.rpm.epoch)),
        ("task_id", show(build.task_id), task_id.to_string()),
    ];
    if let Some((key, b, r)) = pairs.into_iter().find(|(_, b, r)| b != r) {
        return Err(KojiError::generic(format!("Unable to complete build: {key} mismatch (build: {b}, rpm: {r})")));
    }
    if build.state != STATE_BUILDING {
        return Err(KojiError::generic(format!("Unable to complete build: state is {}", state_name(build.state))));
    }
    Ok(())
}

/// Koji's `import_rpm` checks against the build: the file name, and the SRPM it came from.
fn check_rpm(build: &BuildRow, f: &Read) -> KojiResult<()> {
    let basename = f.path.file_name().map(|b| b.to_string_lossy().into_owned()).unwrap_or_default();
    if basename != f.rpm.filename() {
        return Err(KojiError::generic(format!("bad filename: {basename} (expected {})", f.rpm.filename())));
    }
    let srpmname = format!("{}.src.rpm", build.nvr());
    let found = f.rpm.sourcerpm.as_deref().unwrap_or(&basename);
    if found != srpmname {
        return Err(KojiError::generic(format!(
            "srpm mismatch for {}: {found} (expected {srpmname})",
            f.path.display()
        )));
    }
    Ok(())
}

/// `host.completeBuild` after the task check: returns the COMPLETE build's record. `tx` is committed here, so
/// the file moves can be undone if the commit fails.
pub async fn complete_build(
    top: &Path,
    tx: deadpool_postgres::Transaction<'_>,
    task_id: i32,
    build_id: i32,
    results: TaskResults,
) -> KojiResult<Struct> {
    let work = PathInfo::new(top).work_dir(DEFAULT_VOLUME);
    let (rels, paths) = existing_files(&work, &results.srpm, &results.rpms)?;
    let brs: Vec<i32> = results.brmap.values().copied().collect::<HashSet<_>>().into_iter().collect();
    let st = tx.prepare_cached("SELECT id FROM buildroot WHERE id = ANY($1)").await?;
    let known: HashSet<i32> = tx.query(&st, &[&brs]).await?.iter().map(|r| r.get(0)).collect();
    if let Some(missing) = brs.iter().find(|b| !known.contains(b)) {
        return Err(KojiError::generic(format!("no buildroot with ID: {missing}")));
    }
    let files = blocking(move || read_all(rels, paths)).await?;
    build_db::state_for_update(&tx, build_id).await?;
    let build = build_db::row_by_id(&tx, build_id)
        .await?
        .ok_or_else(|| KojiError::generic(format!("No such build: {build_id}")))?;
    check_build(&build, &files[0], task_id)?;
    build_db::finish(&tx, build_id, STATE_COMPLETE).await?;

    let build_dir = PathInfo::new(top).build_dir(DEFAULT_VOLUME, &build.name, &build.version, &build.release);
    let mut moves = vec![];
    for f in &files {
        check_rpm(&build, f)?;
        if let Some(id) = rpm_db::internal_id(&tx, &f.rpm).await? {
            return Err(KojiError::generic(format!("rpm {} already imported (id {id})", f.rpm.filename())));
        }
        let rpm_id = rpm_db::insert(&tx, &f.rpm, build_id, f.size, results.brmap.get(&f.rel).copied()).await?;
        rpm_db::insert_sig(&tx, rpm_id, &f.rpm.sigkey, &md5_hex(&f.rpm.sighdr)).await?;
        let relpath = rpm_relpath(&f.rpm.name, &f.rpm.version, &f.rpm.release, &f.rpm.arch);
        let sigcache = build_dir.join(sighdr_relpath(&relpath, &f.rpm.sigkey));
        moves.push(Move::Rpm {
            src: f.path.clone(),
            dst: build_dir.join(relpath),
            sigcache,
            sighdr: f.rpm.sighdr.clone(),
        });
    }
    for (arch, logs) in &results.logs {
        let dir = build_dir.join(BUILD_LOGS_RELDIR).join(arch);
        for rel in logs {
            let src = work_file(&work, rel)?;
            let name = src.file_name().ok_or_else(|| KojiError::generic(format!("Invalid path: {rel}")))?.to_owned();
            moves.push(Move::File { dst: dir.join(name), src, kind: Imported::Log });
        }
    }
    let placed = blocking(move || place(moves)).await?;
    let record = get_build(&tx, &BuildRef::Id(build_id.into()), true).await;
    let committed = match record {
        Ok(r) => tx.commit().await.map(|()| r).map_err(KojiError::from),
        Err(e) => Err(e),
    };
    match committed {
        Ok(r) => Ok(r.unwrap_or_default()),
        Err(e) => {
            blocking(move || {
                placed.undo();
                Ok(())
            })
            .await?;
            Err(e)
        }
    }
}

/// One file an import puts in place.
enum Move {
    Rpm { src: PathBuf, dst: PathBuf, sigcache: PathBuf, sighdr: Vec<u8> },
    File { src: PathBuf, dst: PathBuf, kind: Imported },
}

/// All the moves, or none of them.
fn place(moves: Vec<Move>) -> KojiResult<Placed> {
    let mut placed = Placed::default();
    for m in moves {
        let done = match &m {
            Move::Rpm { src, dst, sigcache, sighdr } => {
                placed.move_new(src, dst, Imported::Archive).and_then(|()| placed.write(sigcache, sighdr))
            }
            Move::File { src, dst, kind } => placed.move_new(src, dst, *kind),
        };
        if let Err(e) = done {
            placed.undo();
            return Err(e);
        }
    }
    Ok(placed)
}

/// `host.moveBuildToScratch` after the task check: the files go to `scratch/<owner>/task_<id>/` (logs under
/// `logs/<arch>/`), symlinks left behind; nothing is recorded.
pub async fn move_to_scratch(
    top: &Path,
    owner_name: &str,
    task_id: i32,
    srpm: &str,
    rpms: &[String],
    logs: &BTreeMap<String, Vec<String>>,
) -> KojiResult<()> {
    let work = PathInfo::new(top).work_dir(DEFAULT_VOLUME);
    let (_, paths) = existing_files(&work, srpm, rpms)?;
    let dir = top.join("scratch").join(owner_name).join(format!("task_{task_id}"));
    let mut moves = vec![];
    for src in paths {
        let name = src.file_name().expect("checked file").to_owned();
        moves.push(Move::File { dst: dir.join(name), src, kind: Imported::Archive });
    }
    for (arch, files) in logs {
        let logdir = if arch.is_empty() { dir.join("logs") } else { dir.join("logs").join(arch) };
        for rel in files {
            let src = work_file(&work, rel)?;
            let name = src.file_name().ok_or_else(|| KojiError::generic(format!("Invalid path: {rel}")))?.to_owned();
            moves.push(Move::File { dst: logdir.join(name), src, kind: Imported::Log });
        }
    }
    blocking(move || place(moves).map(|_| ())).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noarch_copies_are_kept_once() {
        let rpms: Vec<String> =
            ["tasks/1/1/a-1-1.noarch.rpm", "tasks/1/1/b-1-1.x86_64.rpm", "tasks/2/2/a-1-1.noarch.rpm"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        assert_eq!(dedupe_noarch(&rpms), rpms[..2].to_vec());
    }

    #[test]
    fn work_paths_stay_in_work() {
        let work = Path::new("/k/work");
        assert_eq!(work_file(work, "tasks/1/1/a.rpm").unwrap(), PathBuf::from("/k/work/tasks/1/1/a.rpm"));
        assert!(work_file(work, "../packages/x").is_err());
        assert!(work_file(work, "/etc/passwd").is_err());
    }
}
