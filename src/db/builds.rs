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
             volume.name, build.draft FROM build JOIN package ON package.id = build.pkg_id \
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
