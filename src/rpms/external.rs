//! Rpms from external repos (Koji's `add_external_rpm`): known only by what a builder reports from a
//! buildroot's rpmdb, recorded with their repo and no build, so buildroot listings can name them.

use super::{RpmRef, get_rpm};
use crate::fault::{KojiError, KojiResult};
use crate::lookup;
use crate::rpc::args::InfoRef;
use crate::xmlrpc::{Struct, Value};
use deadpool_postgres::GenericClient;

/// The fields Koji requires of an external rpm, checked as its `dtypes` are.
struct Fields<'a> {
    name: &'a str,
    version: &'a str,
    release: &'a str,
    epoch: Option<i32>,
    arch: &'a str,
    payloadhash: &'a str,
    size: i64,
    buildtime: i64,
}

fn fields(r: &Struct) -> KojiResult<Fields<'_>> {
    let get = |k: &str| r.get(k).ok_or_else(|| KojiError::generic(format!("{k} field missing: {r:?}")));
    let invalid = |k: &str, v: &Value| KojiError::generic(format!("Invalid value for {k}: {v:?}"));
    let text = |k: &str| get(k).and_then(|v| v.as_str().ok_or_else(|| invalid(k, v)));
    let int = |k: &str| get(k).and_then(|v| v.as_i64().ok_or_else(|| invalid(k, v)));
    let epoch = match get("epoch")? {
        Value::Nil => None,
        v => Some(v.as_i64().and_then(|e| i32::try_from(e).ok()).ok_or_else(|| invalid("epoch", v))?),
    };
    Ok(Fields {
        name: text("name")?,
        version: text("version")?,
        release: text("release")?,
        epoch,
        arch: text("arch")?,
        payloadhash: text("payloadhash")?,
        size: int("size")?,
        buildtime: int("buildtime")?,
    })
}

/// The rpm `f` names in `repo`, if recorded; a different payload hash is an error.
async fn previous(db: &impl GenericClient, f: &Fields<'_>, repo: &str) -> KojiResult<Option<i32>> {
    let key = RpmRef::Map {
        id: None,
        name: Some(f.name.into()),
        version: Some(f.version.into()),
        release: Some(f.release.into()),
        arch: Some(f.arch.into()),
        location: Some(repo.into()),
    };
    let Value::Struct(found) = get_rpm(db, &key, false, false).await? else { return Ok(None) };
    let hash = found.get("payloadhash").and_then(Value::as_str).unwrap_or_default();
    if hash != f.payloadhash {
        return Err(KojiError::generic(format!(
            "hash changed for external rpm: {}-{}-{}.{}@{repo} ({hash} -> {})",
            f.name, f.version, f.release, f.arch, f.payloadhash
        )));
    }
    Ok(found.get("id").and_then(Value::as_i64).map(|i| i as i32))
}

/// Koji's `add_external_rpm(rpminfo, repo, strict=False)`: the id of the recorded rpm, adding it when new.
pub async fn add(db: &impl GenericClient, rpm: &Struct, repo: &str) -> KojiResult<i32> {
    let f = fields(rpm)?;
    if let Some(id) = previous(db, &f, repo).await? {
        return Ok(id);
    }
    let repo_id = lookup::require_id(db, "external_repo", &InfoRef::Name(repo.into())).await?;
    let st = db
        .prepare_cached(
            "INSERT INTO rpminfo (build_id, buildroot_id, name, version, release, epoch, arch, draft, \
             external_repo_id, payloadhash, size, buildtime) \
             VALUES (NULL, NULL, $1, $2, $3, $4, $5, NULL, $6, $7, $8, $9) \
             ON CONFLICT (name, version, release, arch, external_repo_id) WHERE draft IS NOT TRUE DO NOTHING \
             RETURNING id",
        )
        .await?;
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 9] =
        [&f.name, &f.version, &f.release, &f.epoch, &f.arch, &repo_id, &f.payloadhash, &f.size, &f.buildtime];
    match db.query_opt(&st, &params).await? {
        Some(row) => Ok(row.get(0)),
        // Added meanwhile by another buildroot's listing.
        None => previous(db, &f, repo).await?.ok_or_else(|| KojiError::generic("external rpm vanished")),
    }
}
