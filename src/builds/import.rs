//! `importRPM`: an uploaded rpm becomes an `rpminfo` row of its build and moves into the build's directory
//! (Koji's `import_rpm`, `import_rpm_file`, `add_rpm_sig`).
//!
//! A source rpm creates its build (COMPLETE, owned by the importer) when there is none; a binary rpm joins the
//! build its `SOURCERPM` names, which must exist. Everything is checked before anything is written; the database
//! rows and the file move then happen together (the move is undone if the commit fails).

use super::info::get_build;
use crate::db::builds::{
    self as build_db, BuildRow, NewBuild, STATE_CANCELED, STATE_DELETED, STATE_FAILED, state_name,
};
use crate::db::{self, rpms as rpm_db};
use crate::fault::{KojiError, KojiResult};
use crate::files::{Imported, Placed, blocking, io_error, unmove};
use crate::lookup::{self, BuildRef};
use crate::pathinfo::{PathInfo, rpm_relpath, sighdr_relpath};
use crate::rpc::CallCtx;
use crate::rpc::args::InfoRef;
use crate::rpms::file::{RpmFile, md5_hex};
use crate::rpms::nvra::Nvra;
use crate::rpms::{RpmRef, get_rpm};
use crate::uploads::upload_path;
use crate::xmlrpc::Value;
use deadpool_postgres::GenericClient;
use std::path::PathBuf;

/// The build the rpm belongs to: a source rpm's own N-V-R (created when there is none), a binary rpm's
/// `SOURCERPM` (which must exist). Builds that failed, were canceled or deleted take no rpms.
async fn build_for(
    ctx: &CallCtx,
    db: &impl GenericClient,
    rpm: &RpmFile,
    user_id: i32,
    event: i32,
) -> KojiResult<BuildRow> {
    let (name, version, release) = match &rpm.sourcerpm {
        None => (rpm.name.clone(), rpm.version.clone(), rpm.release.clone()),
        Some(srpm) => {
            let n = Nvra::parse(srpm)?;
            (n.name, n.version, n.release)
        }
    };
    let nvr = format!("{name}-{version}-{release}");
    let found = BuildRef::Map { id: None, name: Some(name), version: Some(version), release: Some(release) };
    let id = match (lookup::build_id(db, &found).await?, rpm.is_source) {
        (Some(id), _) => id,
        (None, false) => return Err(KojiError::generic(format!("No such build: {nvr}"))),
        (None, true) => {
            // Koji's new_package: the name is checked even when the package exists already.
            ctx.hub.verify_name_internal(&rpm.name)?;
            let package_id = lookup::named_or_create(db, "package", &InfoRef::Name(rpm.name.clone())).await?.id;
            let new = NewBuild {
                package_id,
                version: &rpm.version,
                release: &rpm.release,
                epoch: rpm.epoch,
                owner: user_id,
                event,
            };
            build_db::insert_complete(db, &new).await?
        }
    };
    let build = build_db::row_by_id(db, id).await?.expect("the build was just found or created");
    if [STATE_DELETED, STATE_FAILED, STATE_CANCELED].contains(&build.state) {
        return Err(KojiError::generic(format!("Build is {}: {}", state_name(build.state), build.nvr())));
    }
    Ok(build)
}

/// `importRPM(path, basename)`: admin only; the file must have been uploaded to `work/<path>/<basename>`.
pub async fn import_rpm(ctx: &CallCtx, reldir: &str, basename: &str) -> KojiResult<Value> {
    let user_id = ctx.assert_perm("admin").await?.user_id;
    let src = upload_path(ctx, reldir, basename, false, None).await?;
    let rpm = blocking({
        let src = src.clone();
        move || {
            if !src.exists() {
                return Err(KojiError::generic(format!("No such file: {}", src.display())));
            }
            RpmFile::read(&src)
        }
    })
    .await?;
    if basename != rpm.filename() {
        return Err(KojiError::generic(format!("bad filename: {basename} (expected {})", rpm.filename())));
    }
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    if let Some(id) = rpm_db::internal_id(&tx, &rpm).await? {
        return Err(KojiError::generic(format!("rpm {} already imported (id {id})", rpm.filename())));
    }
    let event = db::new_event(&tx).await?;
    let build = build_for(ctx, &tx, &rpm, user_id, event).await?;
    build_db::add_type(&tx, build.id, "rpm").await?;
    let size = blocking({
        let src = src.clone();
        move || Ok(std::fs::metadata(&src).map_err(|e| io_error(&src, e))?.len() as i64)
    })
    .await?;
    let rpm_id = rpm_db::insert(&tx, &rpm, build.id, size, None).await?;
    rpm_db::insert_sig(&tx, rpm_id, &rpm.sigkey, &md5_hex(&rpm.sighdr)).await?;
    rpm_db::mark_tags_updated(&tx, build.id, event, user_id).await?;

    let build_dir = PathInfo::new(&ctx.hub.config.koji_dir).build_dir(
        &build.volume_name,
        &build.name,
        &build.version,
        &build.release,
    );
    let relpath = rpm_relpath(&rpm.name, &rpm.version, &rpm.release, &rpm.arch);
    let dst = build_dir.join(&relpath);
    let sigcache = build_dir.join(sighdr_relpath(&relpath, &rpm.sigkey));
    place_files(src.clone(), dst.clone(), sigcache, rpm.sighdr.clone()).await?;
    if let Err(e) = tx.commit().await {
        blocking(move || {
            unmove(&src, &dst);
            Ok(())
        })
        .await?;
        return Err(e.into());
    }
    ctx.committed();
    tracing::info!(rpm = %rpm.filename(), build = %build.nvr(), "rpm imported");
    let db = ctx.db().await?;
    let mut record = get_rpm(&db, &RpmRef::Id(rpm_id.into()), true, false).await?;
    if let Value::Struct(s) = &mut record {
        let build = get_build(&db, &BuildRef::Id(build.id.into()), true).await?.unwrap_or_default();
        s.insert("build".into(), Value::Struct(build));
    }
    Ok(record)
}

/// Moves the rpm into the build directory (leaving a symlink in the upload dir) and caches its signature
/// header, as Koji's import does; refuses to replace a file already there.
async fn place_files(src: PathBuf, dst: PathBuf, sigcache: PathBuf, sighdr: Vec<u8>) -> KojiResult<()> {
    blocking(move || {
        let mut placed = Placed::default();
        let done = placed.move_new(&src, &dst, Imported::Archive).and_then(|()| placed.write(&sigcache, &sighdr));
        if done.is_err() {
            placed.undo();
        }
        done
    })
    .await
}
