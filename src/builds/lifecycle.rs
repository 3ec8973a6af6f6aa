//! A task's build row from start to end (Koji's `new_build`/`recycle_build`, `failBuild`, `cancel_build`):
//! `host.initBuild` creates it BUILDING, `host.completeBuild` (`super::complete`) makes it COMPLETE,
//! `host.failBuild` FAILED, `cancelBuild` or cancelling its task CANCELED.

use crate::db::builds::{self as q, STATE_BUILDING, STATE_CANCELED, STATE_FAILED, TaskBuild, state_name};
use crate::db::{self, tasks as task_db};
use crate::fault::{KojiError, KojiResult};
use crate::lookup;
use crate::rpc::args::{Flag, InfoRef};
use crate::xmlrpc::Value;
use deadpool_postgres::GenericClient;
use serde::Deserialize;

/// `host.initBuild(data)`: what kojid reads from the SRPM header, and the build task.
#[derive(Debug, Deserialize)]
pub struct InitData {
    pub name: Option<String>,
    pub version: Option<String>,
    pub release: Option<String>,
    /// Must be present (an SRPM without epoch sends nil).
    #[serde(default, deserialize_with = "present")]
    pub epoch: Option<Option<i32>>,
    pub task_id: i32,
    pub source: Option<String>,
    pub extra: Option<Value>,
    #[serde(default)]
    pub draft: Flag,
}

/// Tells a present nil (`Some(None)`) from a missing key (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i32>>, D::Error> {
    Option::<i32>::deserialize(d).map(Some)
}

/// What `init_build` did: the build id, and whether an old FAILED/CANCELED build was recycled (its stray files
/// are to be removed once the transaction commits).
pub struct Initialized {
    pub build_id: i32,
    pub recycled: bool,
}

/// Koji's `new_build` for a task (`host.initBuild`; the caller checked the task is the host's): a new BUILDING
/// row owned by the task's owner; the same task calling again gets its build back (a restarted task); a FAILED
/// or CANCELED build with no tag history, rpms or archives is recycled; anything else already exists.
pub async fn init_build(tx: &impl GenericClient, data: &InitData, owner: i32) -> KojiResult<Initialized> {
    if data.draft.0 {
        return Err(KojiError::generic("draft builds are not supported by this hub"));
    }
    let name = data.name.as_deref().filter(|n| !n.is_empty());
    let name = name.ok_or_else(|| KojiError::generic("No name or package id provided for build"))?;
    let missing = |f: &str| KojiError::generic(format!("No {f} value for build"));
    let version = data.version.as_deref().ok_or_else(|| missing("version"))?;
    let release = data.release.as_deref().ok_or_else(|| missing("release"))?;
    let epoch = data.epoch.ok_or_else(|| missing("epoch"))?;
    let extra = data.extra.as_ref().map(|e| db::value_to_json(e).to_string());
    let package = lookup::named_or_create(tx, "package", &InfoRef::Name(name.to_owned())).await?;
    let old = q::by_nvr_for_update(tx, package.id, version, release).await?;
    if let Some(old) = &old {
        match old.state {
            STATE_BUILDING if old.task_id == Some(data.task_id) => {
                return Ok(Initialized { build_id: old.id, recycled: false });
            }
            STATE_BUILDING => {
                return Err(KojiError::generic(format!(
                    "Build already in progress (task {})",
                    old.task_id.map_or("None".into(), |t| t.to_string())
                )));
            }
            STATE_FAILED | STATE_CANCELED => {
                if let Some(why) = q::recycle_obstacle(tx, old.id).await? {
                    return Err(KojiError::generic(format!("Build already exists. Unable to recycle, {why}")));
                }
            }
            state => {
                return Err(KojiError::generic(format!(
                    "Build already exists (id={}, state={}): {}",
                    old.id,
                    state_name(state),
                    describe(data)
                )));
            }
        }
    }
    let row = TaskBuild {
        package_id: package.id,
        version,
        release,
        epoch,
        owner,
        task_id: data.task_id,
        source: data.source.as_deref(),
        extra: extra.as_deref(),
        event: db::new_event(tx).await?,
    };
    let (build_id, recycled) = match old {
        None => (q::insert_building(tx, &row).await?, false),
        Some(old) => {
            q::recycle(tx, old.id, &row).await?;
            (old.id, true)
        }
    };
    q::add_type(tx, build_id, "rpm").await?;
    Ok(Initialized { build_id, recycled })
}

/// The build data as Koji's `%r` shows it in "Build already exists".
fn describe(d: &InitData) -> String {
    let text = |v: &Option<String>| v.as_ref().map_or("None".into(), |s| format!("'{s}'"));
    let epoch = d.epoch.flatten().map_or("None".into(), |e| e.to_string());
    format!(
        "{{'name': {}, 'version': {}, 'release': {}, 'epoch': {epoch}, 'task_id': {}}}",
        text(&d.name),
        text(&d.version),
        text(&d.release),
        d.task_id
    )
}

/// `host.failBuild`: only a BUILDING build not yet completed may fail.
pub async fn fail_build(tx: &impl GenericClient, build_id: i32) -> KojiResult<()> {
    let (state, completed) = q::state_for_update(tx, build_id)
        .await?
        .ok_or_else(|| KojiError::generic(format!("No such build: {build_id}")))?;
    if state != STATE_BUILDING {
        return Err(KojiError::generic(format!("cannot update build {build_id}, state: {}", state_name(state))));
    }
    if let Some(t) = completed {
        return Err(KojiError::generic(format!("cannot update build {build_id}, completed at {t}")));
    }
    q::finish(tx, build_id, STATE_FAILED).await?;
    Ok(())
}

/// Koji's `cancel_build`: a BUILDING build becomes CANCELED and its task tree is cancelled; false when the
/// build was not BUILDING.
pub async fn cancel_build(tx: &impl GenericClient, build_id: i32, task_id: Option<i32>) -> KojiResult<bool> {
    if !q::finish(tx, build_id, STATE_CANCELED).await? {
        return Ok(false);
    }
    if let Some(task) = task_id {
        let root = task_db::root_of(tx, task).await?;
        task_db::cancel_tree(tx, root).await?;
    }
    let st = tx.prepare_cached("DELETE FROM build_reservations WHERE build_id = $1").await?;
    tx.execute(&st, &[&build_id]).await?;
    Ok(true)
}

/// Removes what an earlier attempt of a recycled build left in `packages/<n>/<v>/<r>` on every volume.
pub fn remove_stray_files(dirs: &[std::path::PathBuf]) {
    for dir in dirs {
        let removed = match std::fs::symlink_metadata(dir) {
            Ok(m) if m.file_type().is_symlink() => std::fs::remove_file(dir),
            Ok(_) => std::fs::remove_dir_all(dir),
            Err(_) => continue,
        };
        match removed {
            Ok(()) => tracing::warn!(dir = %dir.display(), "removed stray build directory"),
            Err(e) => tracing::error!(dir = %dir.display(), error = %e, "cannot remove stray build directory"),
        }
    }
}
