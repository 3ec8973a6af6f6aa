//! The `build` and `build_types` tables: the fixed statements the build code needs (the row by id, the insert of
//! an imported build). List queries go through `db::query::Select` in `crate::builds`.

use crate::fault::KojiResult;
use deadpool_postgres::GenericClient;

pub const STATE_COMPLETE: i32 = 1;
pub const STATE_DELETED: i32 = 2;
pub const STATE_FAILED: i32 = 3;
pub const STATE_CANCELED: i32 = 4;

/// Koji's `BUILD_STATES` names, indexed by state.
pub const STATE_NAMES: [&str; 5] = ["BUILDING", "COMPLETE", "DELETED", "FAILED", "CANCELED"];

pub fn state_name(state: i32) -> &'static str {
    usize::try_from(state).ok().and_then(|i| STATE_NAMES.get(i)).copied().unwrap_or("BADSTATE")
}

/// What the hub itself needs to know about a build (paths, state checks, messages).
#[derive(Debug, Clone)]
pub struct BuildRow {
    pub id: i32,
    pub package_id: i32,
    pub name: String,
    pub version: String,
    pub release: String,
    pub epoch: Option<i32>,
    pub state: i32,
    pub volume_name: String,
    pub draft: bool,
    pub task_id: Option<i32>,
}

impl BuildRow {
    pub fn nvr(&self) -> String {
        format!("{}-{}-{}", self.name, self.version, self.release)
    }
}

pub async fn row_by_id(db: &impl GenericClient, id: i32) -> KojiResult<Option<BuildRow>> {
    let st = db
        .prepare_cached(
            "SELECT build.id, build.pkg_id, package.name, build.version, build.release, build.epoch, build.state, \
             volume.name, build.draft, build.task_id FROM build JOIN package ON package.id = build.pkg_id \
             JOIN volume ON volume.id = build.volume_id WHERE build.id = $1",
        )
        .await?;
    Ok(db.query_opt(&st, &[&id]).await?.map(|r| BuildRow {
        id: r.get(0),
        package_id: r.get(1),
        name: r.get(2),
        version: r.get(3),
        release: r.get(4),
        epoch: r.get(5),
        state: r.get(6),
        volume_name: r.get(7),
        draft: r.get(8),
        task_id: r.get(9),
    }))
}

/// A build as an import creates it: COMPLETE on the DEFAULT volume, started and completed now, no task.
pub struct NewBuild<'a> {
    pub package_id: i32,
    pub version: &'a str,
    pub release: &'a str,
    pub epoch: Option<i32>,
    pub owner: i32,
    pub event: i32,
}

pub async fn insert_complete(db: &impl GenericClient, b: &NewBuild<'_>) -> KojiResult<i32> {
    let st = db
        .prepare_cached(
            "INSERT INTO build (pkg_id, version, release, epoch, draft, state, volume_id, owner, create_event, \
             start_time, completion_time) VALUES ($1, $2, $3, $4, FALSE, $5, 0, $6, $7, NOW(), NOW()) RETURNING id",
        )
        .await?;
    let row = db
        .query_one(&st, &[&b.package_id, &b.version, &b.release, &b.epoch, &STATE_COMPLETE, &b.owner, &b.event])
        .await?;
    Ok(row.get(0))
}

/// Marks the build as having `btype` (Koji's `new_typed_build`); a second call changes nothing.
pub async fn add_type(db: &impl GenericClient, build_id: i32, btype: &str) -> KojiResult<()> {
    let st = db
        .prepare_cached(
            "INSERT INTO build_types (build_id, btype_id) SELECT $1, id FROM btype WHERE name = $2 \
             ON CONFLICT DO NOTHING",
        )
        .await?;
    db.execute(&st, &[&build_id, &btype]).await?;
    Ok(())
}

pub const STATE_BUILDING: i32 = 0;

/// The names of every volume (a build's files may sit on any of them).
pub async fn volume_names(db: &impl GenericClient) -> KojiResult<Vec<String>> {
    let st = db.prepare_cached("SELECT name FROM volume").await?;
    Ok(db.query(&st, &[]).await?.iter().map(|r| r.get(0)).collect())
}

/// The build of an N-V-R (epoch is not part of Koji's uniqueness), locked for the caller's transaction.
pub struct Existing {
    pub id: i32,
    pub state: i32,
    pub task_id: Option<i32>,
}

pub async fn by_nvr_for_update(
    db: &impl GenericClient,
    package_id: i32,
    version: &str,
    release: &str,
) -> KojiResult<Option<Existing>> {
    let st = db
        .prepare_cached(
            "SELECT id, state, task_id FROM build WHERE pkg_id = $1 AND version = $2 AND release = $3 FOR UPDATE",
        )
        .await?;
    Ok(db.query_opt(&st, &[&package_id, &version, &release]).await?.map(|r| Existing {
        id: r.get(0),
        state: r.get(1),
        task_id: r.get(2),
    }))
}

/// A build a task starts (`host.initBuild`): BUILDING since now, not completed, on the DEFAULT volume.
pub struct TaskBuild<'a> {
    pub package_id: i32,
    pub version: &'a str,
    pub release: &'a str,
    pub epoch: Option<i32>,
    pub owner: i32,
    pub task_id: i32,
    pub source: Option<&'a str>,
    /// JSON text, as `build.extra` stores it.
    pub extra: Option<&'a str>,
    pub event: i32,
}

pub async fn insert_building(db: &impl GenericClient, b: &TaskBuild<'_>) -> KojiResult<i32> {
    let st = db
        .prepare_cached(
            "INSERT INTO build (pkg_id, version, release, epoch, draft, state, volume_id, owner, task_id, source, \
             extra, create_event, start_time, completion_time) \
             VALUES ($1, $2, $3, $4, FALSE, 0, 0, $5, $6, $7, $8, $9, NOW(), NULL) RETURNING id",
        )
        .await?;
    let row = db
        .query_one(
            &st,
            &[&b.package_id, &b.version, &b.release, &b.epoch, &b.owner, &b.task_id, &b.source, &b.extra, &b.event],
        )
        .await?;
    Ok(row.get(0))
}

/// What keeps a FAILED or CANCELED build from being reused (Koji's `recycle_build` checks), if anything.
pub async fn recycle_obstacle(db: &impl GenericClient, id: i32) -> KojiResult<Option<&'static str>> {
    let st = db
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM tag_listing WHERE build_id = $1), \
             EXISTS (SELECT 1 FROM rpminfo WHERE build_id = $1), EXISTS (SELECT 1 FROM archiveinfo WHERE build_id = $1)",
        )
        .await?;
    let row = db.query_one(&st, &[&id]).await?;
    Ok(if row.get(0) {
        Some("has tag history")
    } else if row.get(1) {
        Some("has rpm data")
    } else if row.get(2) {
        Some("has archive data")
    } else {
        None
    })
}

/// Reuses a FAILED or CANCELED build's id for a new attempt: its type records go, the row starts over.
pub async fn recycle(db: &impl GenericClient, id: i32, b: &TaskBuild<'_>) -> KojiResult<()> {
    for table in ["maven_builds", "win_builds", "image_builds", "build_types"] {
        let st = db.prepare_cached(&format!("DELETE FROM {table} WHERE build_id = $1")).await?;
        db.execute(&st, &[&id]).await?;
    }
    let st = db
        .prepare_cached(
            "UPDATE build SET state = 0, task_id = $2, owner = $3, start_time = NOW(), completion_time = NULL, \
             epoch = $4, source = $5, extra = $6, volume_id = 0, create_event = $7 WHERE id = $1",
        )
        .await?;
    db.execute(&st, &[&id, &b.task_id, &b.owner, &b.epoch, &b.source, &b.extra, &b.event]).await?;
    Ok(())
}

/// Moves a build out of BUILDING (to COMPLETE, FAILED or CANCELED) and stamps its completion; false when it
/// was not BUILDING.
pub async fn finish(db: &impl GenericClient, id: i32, state: i32) -> KojiResult<bool> {
    let st = db
        .prepare_cached(
            "UPDATE build SET state = $2, completion_time = NOW() WHERE id = $1 AND state = 0 \
             AND completion_time IS NULL",
        )
        .await?;
    Ok(db.execute(&st, &[&id, &state]).await? > 0)
}

/// The build's state and completion time (Koji's text form), locked.
pub async fn state_for_update(db: &impl GenericClient, id: i32) -> KojiResult<Option<(i32, Option<String>)>> {
    let st = db.prepare_cached("SELECT state, completion_time FROM build WHERE id = $1 FOR UPDATE").await?;
    Ok(db.query_opt(&st, &[&id]).await?.map(|r| {
        let t: Option<chrono::DateTime<chrono::Utc>> = r.get(1);
        (r.get(0), t.as_ref().map(crate::db::koji_time))
    }))
}

/// A failed build task ends its BUILDING build as FAILED even when its builder never called `host.failBuild`
/// (cancelling does the same with CANCELED, in `db::tasks`).
pub async fn fail_of_task(db: &impl GenericClient, task_id: i32) -> KojiResult<()> {
    let st = db
        .prepare_cached("UPDATE build SET state = 3, completion_time = NOW() WHERE task_id = $1 AND state = 0")
        .await?;
    db.execute(&st, &[&task_id]).await?;
    Ok(())
}
