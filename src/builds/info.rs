//! A build from Koji's `buildInfo` argument (`lookup::BuildRef`): its row, and `getBuild`'s record.

use super::{BUILD_COLUMNS, BUILD_FROM, decode_extra_fields};
use crate::db::builds::{self, BuildRow};
use crate::db::query::Select;
use crate::fault::{KojiError, KojiResult};
use crate::lookup::{self, BuildRef};
use crate::xmlrpc::Struct;
use deadpool_postgres::GenericClient;

/// The build row behind `r`, or Koji's `No such build` error (`%r` for an unknown NVR, `%s` for an unknown id,
/// as `get_build(strict=True)` words them).
pub async fn build_row_strict(db: &impl GenericClient, r: &BuildRef) -> KojiResult<BuildRow> {
    let Some(id) = lookup::build_id(db, r).await? else {
        return Err(KojiError::generic(format!("No such build: {}", r.repr())));
    };
    builds::row_by_id(db, id).await?.ok_or_else(|| KojiError::generic(format!("No such build: {r}")))
}

/// `getBuild`'s record: `listBuilds`' columns plus `id` and the content generator.
pub async fn get_build(db: &impl GenericClient, r: &BuildRef, strict: bool) -> KojiResult<Option<Struct>> {
    let id = match lookup::build_id(db, r).await? {
        Some(id) => id,
        None if strict => return Err(KojiError::generic(format!("No such build: {}", r.repr()))),
        None => return Ok(None),
    };
    let mut q = Select::new(&[("id", "build.id")], BUILD_FROM, "id");
    q.add_columns(BUILD_COLUMNS).add_columns(&[
        ("cg_id", "build.cg_id"),
        ("cg_name", "(SELECT name FROM content_generator WHERE content_generator.id = build.cg_id)"),
    ]);
    q.filter("build.id = $?", id);
    match q.structs(db).await?.into_iter().next() {
        Some(mut record) => {
            decode_extra_fields(&mut record);
            Ok(Some(record))
        }
        None if strict => Err(KojiError::generic(format!("No such build: {r}"))),
        None => Ok(None),
    }
}
