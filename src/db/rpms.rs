//! The fixed statements of an rpm import: `rpminfo`, `rpmsigs`, and the `tag_updates` an import leaves on the
//! tags that hold the build.

use crate::fault::KojiResult;
use crate::rpms::file::RpmFile;
use deadpool_postgres::GenericClient;

/// Koji's `TAG_UPDATE_TYPES['IMPORT']`.
const TAG_UPDATE_IMPORT: i32 = 1;

/// The id of the internal, non-draft rpm with this N-V-R.A, if one was imported already.
pub async fn internal_id(db: &impl GenericClient, rpm: &RpmFile) -> KojiResult<Option<i32>> {
    let st = db
        .prepare_cached(
            "SELECT id FROM rpminfo WHERE name = $1 AND version = $2 AND release = $3 AND arch = $4 \
             AND external_repo_id = 0 AND draft IS NOT TRUE",
        )
        .await?;
    Ok(db.query_opt(&st, &[&rpm.name, &rpm.version, &rpm.release, &rpm.arch]).await?.map(|r| r.get(0)))
}

/// Inserts an internal rpm of `build_id`, built in `buildroot` (None for an imported rpm); `size` is the file's
/// size.
pub async fn insert(
    db: &impl GenericClient,
    rpm: &RpmFile,
    build_id: i32,
    size: i64,
    buildroot: Option<i32>,
) -> KojiResult<i32> {
    let st = db
        .prepare_cached(
            "INSERT INTO rpminfo (build_id, buildroot_id, name, version, release, epoch, arch, draft, \
             external_repo_id, payloadhash, size, buildtime) \
             VALUES ($1, $10, $2, $3, $4, $5, $6, FALSE, 0, $7, $8, $9) RETURNING id",
        )
        .await?;
    let row = db
        .query_one(
            &st,
            &[
                &build_id,
                &rpm.name,
                &rpm.version,
                &rpm.release,
                &rpm.epoch,
                &rpm.arch,
                &rpm.sigmd5,
                &size,
                &rpm.buildtime,
                &buildroot,
            ],
        )
        .await?;
    Ok(row.get(0))
}

pub async fn insert_sig(db: &impl GenericClient, rpm_id: i32, sigkey: &str, sighash: &str) -> KojiResult<()> {
    let st = db.prepare_cached("INSERT INTO rpmsigs (rpm_id, sigkey, sighash) VALUES ($1, $2, $3)").await?;
    db.execute(&st, &[&rpm_id, &sigkey, &sighash]).await?;
    Ok(())
}

/// Records an IMPORT update on every tag the build is in now (Koji's `set_tag_update`), so repos of those
/// tags count as stale.
pub async fn mark_tags_updated(db: &impl GenericClient, build_id: i32, event: i32, user_id: i32) -> KojiResult<()> {
    let st = db
        .prepare_cached(
            "INSERT INTO tag_updates (tag_id, update_event, updater_id, update_type) \
             SELECT tag_id, $2, $3, $4 FROM tag_listing WHERE build_id = $1 AND active",
        )
        .await?;
    db.execute(&st, &[&build_id, &event, &user_id, &TAG_UPDATE_IMPORT]).await?;
    Ok(())
}
