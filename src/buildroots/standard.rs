//! Koji-managed buildroots as builders report them (Koji's `BuildRoot` class behind `host.newBuildRoot`,
//! `host.setBuildRootState`, `host.setBuildRootList`, `host.updateBuildRootList`): created INIT for a host, repo
//! and task, BUILDING while a build runs, EXPIRED (with a `retire_event`) when done; what was installed goes to
//! `buildroot_listing`.

use crate::db::{self, query::Select};
use crate::fault::{KojiError, KojiResult};
use crate::rpms::{RpmRef, external, get_rpm};
use crate::tags::{Arches, parse_arches};
use crate::xmlrpc::Value;
use deadpool_postgres::GenericClient;
use serde::Deserialize;

/// Koji's `BR_STATES`.
pub const STATES: [&str; 4] = ["INIT", "WAITING", "BUILDING", "EXPIRED"];
const INIT: i32 = 0;
const BUILDING: i32 = 2;
const EXPIRED: i32 = 3;

/// A state as builders send it: its number or its name.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum State {
    Number(i32),
    Name(String),
}

impl State {
    fn number(&self) -> KojiResult<i32> {
        match self {
            State::Number(n) if (0..STATES.len() as i32).contains(n) => Ok(*n),
            State::Name(name) => STATES
                .iter()
                .position(|s| s == name)
                .map(|i| i as i32)
                .ok_or_else(|| KojiError::param(format!("No such buildroot state: {name}"))),
            State::Number(n) => Err(KojiError::param(format!("No such buildroot state: {n}"))),
        }
    }
}

/// `host.newBuildRoot`: a STANDARD chroot buildroot in state INIT; returns its id.
pub async fn create(tx: &impl GenericClient, host: i32, repo: i32, arch: &str, task: Option<i32>) -> KojiResult<i32> {
    let arch = parse_arches(&Arches::Text(arch.to_owned()))?;
    let task = task.ok_or_else(|| KojiError::generic("a buildroot needs the task it is for"))?;
    let st = tx.prepare_cached("SELECT 1 FROM repo WHERE id = $1").await?;
    if tx.query_opt(&st, &[&repo]).await?.is_none() {
        return Err(KojiError::generic(format!("No such repo: {repo}")));
    }
    let event = db::new_event(tx).await?;
    let st = tx
        .prepare_cached(
            "WITH br AS (INSERT INTO buildroot (br_type, container_type, container_arch) VALUES (0, 'chroot', $1) \
             RETURNING id) INSERT INTO standard_buildroot (buildroot_id, host_id, repo_id, task_id, state, create_event) \
             SELECT id, $2, $3, $4, 0, $5 FROM br RETURNING buildroot_id",
        )
        .await?;
    Ok(tx.query_one(&st, &[&arch, &host, &repo, &task, &event]).await?.get(0))
}

/// The standard buildroot's host, task and state, locked; Koji's errors for a missing or non-standard one.
struct Standard {
    host: i32,
    task: i32,
    state: i32,
}

async fn load(tx: &impl GenericClient, id: i32) -> KojiResult<Standard> {
    let st = tx
        .prepare_cached(
            "SELECT b.br_type, s.host_id, s.task_id, s.state FROM buildroot b \
             LEFT JOIN standard_buildroot s ON s.buildroot_id = b.id WHERE b.id = $1 FOR UPDATE OF b",
        )
        .await?;
    let row =
        tx.query_opt(&st, &[&id]).await?.ok_or_else(|| KojiError::generic(format!("no buildroot with ID: {id}")))?;
    match (row.get::<_, i32>(0), row.get::<_, Option<i32>>(1)) {
        (0, Some(host)) => Ok(Standard { host, task: row.get(2), state: row.get::<_, Option<i32>>(3).unwrap_or(INIT) }),
        _ => Err(KojiError::generic(format!("Not a standard buildroot: {id}"))),
    }
}

/// Koji's `assertHost` and, when the call names a task, `assertTask`.
async fn load_owned(tx: &impl GenericClient, id: i32, host: i32, task: Option<i32>) -> KojiResult<Standard> {
    let br = load(tx, id).await?;
    if br.host != host {
        return Err(KojiError::not_allowed(format!("Host {host} not owner of buildroot {id}")));
    }
    if let Some(task) = task.filter(|t| *t != br.task) {
        return Err(KojiError::not_allowed(format!("Task {task} does not have lock on buildroot {id}")));
    }
    Ok(br)
}

/// `host.setBuildRootState`: never back to INIT; expiring an expired buildroot is a no-op, any other change
/// of one an error.
pub async fn set_state(
    tx: &impl GenericClient,
    id: i32,
    host: i32,
    task: Option<i32>,
    state: &State,
) -> KojiResult<()> {
    let br = load_owned(tx, id, host, task).await?;
    let state = state.number()?;
    if state == INIT {
        return Err(KojiError::generic("Cannot change buildroot state to INIT"));
    }
    if br.state == EXPIRED {
        return if state == EXPIRED { Ok(()) } else { Err(KojiError::generic(format!("buildroot {id} is EXPIRED"))) };
    }
    let retire = if state == EXPIRED { Some(db::new_event(tx).await?) } else { None };
    let st = tx
        .prepare_cached(
            "UPDATE standard_buildroot SET state = $2, retire_event = COALESCE($3, retire_event) WHERE buildroot_id = $1",
        )
        .await?;
    tx.execute(&st, &[&id, &state, &retire]).await?;
    Ok(())
}

/// `host.setBuildRootList` (state INIT, `update` false) and `host.updateBuildRootList` (state BUILDING,
/// `update` true: rpms already listed are skipped) — Koji's `_setList`. Each entry is an rpm Koji knows (by
/// `id` or N-V-R.A), or, with a `location`, an rpm of that external repo (recorded when new).
pub async fn set_list(
    tx: &impl GenericClient,
    id: i32,
    host: i32,
    task: Option<i32>,
    rpms: &[Value],
    update: bool,
) -> KojiResult<()> {
    let br = load_owned(tx, id, host, task).await?;
    if br.state != if update { BUILDING } else { INIT } {
        return Err(KojiError::generic(format!("buildroot {id} in wrong state {}", br.state)));
    }
    let mut ids = Vec::with_capacity(rpms.len());
    for entry in rpms {
        let location = entry.as_struct().and_then(|s| s.get("location")).and_then(Value::as_str);
        match (entry, location) {
            (Value::Struct(rpm), Some(repo)) if !repo.is_empty() => ids.push(external::add(tx, rpm, repo).await?),
            _ => {
                let r: RpmRef = crate::xmlrpc::from_value(entry.clone())?;
                match get_rpm(tx, &r, true, false).await? {
                    Value::Struct(s) => ids.push(s.get("id").and_then(Value::as_i64).unwrap_or_default() as i32),
                    _ => unreachable!("strict get_rpm returns a record"),
                }
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    let st = tx
        .prepare_cached(
            "INSERT INTO buildroot_listing (buildroot_id, rpm_id, is_update) SELECT $1, r, $3 FROM unnest($2::int4[]) r \
             WHERE NOT $3 OR r NOT IN (SELECT rpm_id FROM buildroot_listing WHERE buildroot_id = $1)",
        )
        .await?;
    tx.execute(&st, &[&id, &ids, &update]).await?;
    Ok(())
}

/// `getBuildrootListing`: the rpms installed in a buildroot.
pub async fn listing(db: &impl GenericClient, id: i32) -> KojiResult<Value> {
    let st = db.prepare_cached("SELECT 1 FROM buildroot WHERE id = $1").await?;
    if db.query_opt(&st, &[&id]).await?.is_none() {
        return Err(KojiError::generic(format!("no buildroot with ID: {id}")));
    }
    let mut q = Select::new(
        &[
            ("rpm_id", "buildroot_listing.rpm_id"),
            ("is_update", "buildroot_listing.is_update"),
            ("name", "rpminfo.name"),
            ("version", "rpminfo.version"),
            ("release", "rpminfo.release"),
            ("epoch", "rpminfo.epoch"),
            ("arch", "rpminfo.arch"),
            ("build_id", "rpminfo.build_id"),
            ("draft", "rpminfo.draft"),
            ("external_repo_id", "rpminfo.external_repo_id"),
            ("external_repo_name", "external_repo.name"),
        ],
        "buildroot_listing JOIN rpminfo ON buildroot_listing.rpm_id = rpminfo.id \
         LEFT JOIN external_repo ON rpminfo.external_repo_id = external_repo.id",
        "rpm_id",
    );
    q.filter("buildroot_listing.buildroot_id = $?", id);
    q.fetch(db, &Default::default()).await
}
