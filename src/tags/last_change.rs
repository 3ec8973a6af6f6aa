//! `tagLastChangeEvent`: the newest event that changed what a repo of the tag would contain, over the tag and
//! its ancestors — the freshness mark `regen-repo` and `wait-repo` ask repos for. One query over every versioned
//! table that shapes a repo, plus `tag_updates` and the external repos the tags use.

use super::inheritance;
use crate::db::tags as q;
use crate::db::versioned::in_force_sql;
use crate::fault::KojiResult;
use crate::rpc::args::InfoRef;
use deadpool_postgres::GenericClient;
use std::sync::LazyLock;

/// The versioned tables keyed by `tag_id` whose changes make a tag's repo stale.
const TAG_TABLES: &[&str] = &[
    "tag_listing",
    "tag_inheritance",
    "tag_config",
    "tag_packages",
    "tag_external_repos",
    "tag_extra",
    "group_package_listing",
    "group_req_listing",
    "group_config",
];

/// The statement: `$1` the tags, `$2` the optional `before` event.
static LAST_CHANGE_SQL: LazyLock<String> = LazyLock::new(|| {
    let before = |column: &str| format!("($2::integer IS NULL OR {column} < $2)");
    let mut parts = vec![format!(
        "SELECT max(update_event) FROM tag_updates WHERE tag_id = ANY($1) AND {}",
        before("update_event")
    )];
    for table in TAG_TABLES {
        for column in ["create_event", "revoke_event"] {
            parts.push(format!("SELECT max({column}) FROM {table} WHERE tag_id = ANY($1) AND {}", before(column)));
        }
    }
    // The external repos linked to the tags as of `before` (now when it is None).
    let linked = format!(
        "SELECT external_repo_id FROM tag_external_repos WHERE tag_id = ANY($1) AND \
         (($2::integer IS NULL AND {}) OR ($2::integer IS NOT NULL AND {}))",
        in_force_sql("tag_external_repos", None),
        in_force_sql("tag_external_repos", Some("$2"))
    );
    for table in ["external_repo_config", "external_repo_data"] {
        for column in ["create_event", "revoke_event"] {
            parts.push(format!(
                "SELECT max({column}) FROM {table} WHERE external_repo_id IN ({linked}) AND {}",
                before(column)
            ));
        }
    }
    format!("SELECT max(e) FROM ({}) AS changes(e)", parts.join(" UNION ALL "))
});

/// `tagLastChangeEvent(tag, before=None, inherit=True)`; None when nothing changed before `before`. A deleted
/// tag counts its deletion as its last change.
pub async fn last_change_event(
    db: &impl GenericClient,
    tag: &InfoRef,
    before: Option<i32>,
    inherit: bool,
) -> KojiResult<Option<i32>> {
    let deleted = q::deleted_at(db, tag).await?;
    let config = q::config_strict(db, tag, deleted.map(|e| e - 1)).await?;
    if let (None, Some(d)) = (before, deleted) {
        return Ok(Some(d));
    }
    let mut tags = vec![config.id];
    if inherit {
        tags.extend(inheritance::full_inheritance(db, config.id, before, false).await?.iter().map(|l| l.parent_id));
    }
    let st = db.prepare_cached(&LAST_CHANGE_SQL).await?;
    let last: Option<i32> = db.query_one(&st, &[&tags, &before]).await?.get(0);
    Ok(match (last, deleted) {
        (Some(l), Some(d)) => Some(l.min(d)),
        (last, _) => last,
    })
}
