//! The `tag` table with its versioned `tag_config` settings and `tag_extra` options.
//!
//! A tag exists while it has a `tag_config` row in force; its `tag` row (id and name) stays forever, so a tag
//! deleted and created again keeps its id.

use super::versioned::in_force_sql;
use crate::fault::{KojiError, KojiResult};
use crate::rpc::args::InfoRef;
use deadpool_postgres::GenericClient;
use serde::Serialize;
use tokio_postgres::types::ToSql;

/// A tag's settings, with Koji's field names.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TagConfig {
    pub id: i32,
    pub name: String,
    pub perm_id: Option<i32>,
    pub perm: Option<String>,
    pub arches: Option<String>,
    pub locked: bool,
    pub maven_support: bool,
    pub maven_include_all: bool,
}

fn config_sql(key: &str, event: Option<i32>) -> String {
    format!(
        "SELECT tag.id, tag.name, tag_config.perm_id, permissions.name, tag_config.arches, tag_config.locked, \
             tag_config.maven_support, tag_config.maven_include_all \
         FROM tag_config JOIN tag ON tag.id = tag_config.tag_id \
             LEFT JOIN permissions ON permissions.id = tag_config.perm_id \
         WHERE {key} AND {}",
        in_force_sql("tag_config", event.map(|_| "$2"))
    )
}

fn config_row(r: &tokio_postgres::Row) -> TagConfig {
    TagConfig {
        id: r.get(0),
        name: r.get(1),
        perm_id: r.get(2),
        perm: r.get(3),
        arches: r.get(4),
        locked: r.get(5),
        maven_support: r.get(6),
        maven_include_all: r.get(7),
    }
}

/// Runs `sql` with `first` as `$1` and the event, when there is one, as `$2`.
async fn query_at(
    db: &impl GenericClient,
    sql: &str,
    first: &(dyn ToSql + Sync),
    event: Option<i32>,
) -> KojiResult<Vec<tokio_postgres::Row>> {
    let st = db.prepare_cached(sql).await?;
    Ok(match &event {
        None => db.query(&st, &[first]).await?,
        Some(e) => db.query(&st, &[first, e]).await?,
    })
}

/// The settings in force at `event` (now when None) of the tag named or numbered by `r`.
pub async fn config(db: &impl GenericClient, r: &InfoRef, event: Option<i32>) -> KojiResult<Option<TagConfig>> {
    let rows = match r {
        InfoRef::Id(id) | InfoRef::Map { id: Some(id), .. } => {
            let Ok(id) = i32::try_from(*id) else { return Ok(None) };
            query_at(db, &config_sql("tag.id = $1", event), &id, event).await?
        }
        InfoRef::Name(n) | InfoRef::Map { name: Some(n), .. } => {
            query_at(db, &config_sql("tag.name = $1", event), n, event).await?
        }
        InfoRef::Map { .. } => {
            return Err(KojiError::param(format!("Invalid name or id value: {r}")));
        }
    };
    Ok(rows.first().map(config_row))
}

/// Koji's `get_tag(strict=True)` for the settings alone.
pub async fn config_strict(db: &impl GenericClient, r: &InfoRef, event: Option<i32>) -> KojiResult<TagConfig> {
    config(db, r, event).await?.ok_or_else(|| no_such_tag(r))
}

/// Koji's message for a tag that does not exist (at the event asked about).
pub fn no_such_tag(r: &InfoRef) -> KojiError {
    KojiError::generic(format!("No such tagInfo: {r}"))
}

/// The settings of several tags at once (the ancestors a build config inherits from).
pub async fn configs(db: &impl GenericClient, ids: &[i32], event: Option<i32>) -> KojiResult<Vec<TagConfig>> {
    let ids = ids.to_vec();
    Ok(query_at(db, &config_sql("tag.id = ANY($1)", event), &ids, event).await?.iter().map(config_row).collect())
}

/// The last `tag_config` revocation of a deleted tag (Koji's `get_tag(event="auto")`); None while it exists.
pub async fn deleted_at(db: &impl GenericClient, r: &InfoRef) -> KojiResult<Option<i32>> {
    let sql = |key| {
        format!(
            "SELECT tag_config.revoke_event FROM tag_config JOIN tag ON tag.id = tag_config.tag_id \
             WHERE {key} ORDER BY tag_config.create_event DESC LIMIT 1"
        )
    };
    let row = match r {
        InfoRef::Id(id) | InfoRef::Map { id: Some(id), .. } => {
            let Ok(id) = i32::try_from(*id) else { return Ok(None) };
            db.query_opt(&db.prepare_cached(&sql("tag.id = $1")).await?, &[&id]).await?
        }
        InfoRef::Name(n) | InfoRef::Map { name: Some(n), .. } => {
            db.query_opt(&db.prepare_cached(&sql("tag.name = $1")).await?, &[n]).await?
        }
        InfoRef::Map { .. } => None,
    };
    Ok(row.and_then(|r| r.get(0)))
}

/// One `tag_extra` row: `value` is the JSON text, None when the key is blocked.
#[derive(Debug, Clone)]
pub struct ExtraRow {
    pub tag_id: i32,
    pub key: String,
    pub value: Option<String>,
}

/// The extra options of the given tags in force at `event`, blocked keys included.
pub async fn extras(db: &impl GenericClient, ids: &[i32], event: Option<i32>) -> KojiResult<Vec<ExtraRow>> {
    let sql = format!(
        "SELECT tag_id, key, value FROM tag_extra WHERE tag_id = ANY($1) AND {} ORDER BY key",
        in_force_sql("tag_extra", event.map(|_| "$2"))
    );
    let ids = ids.to_vec();
    Ok(query_at(db, &sql, &ids, event)
        .await?
        .iter()
        .map(|r| ExtraRow { tag_id: r.get(0), key: r.get(1), value: r.get(2) })
        .collect())
}
