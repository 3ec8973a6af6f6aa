//! Repos as tag views read them: a tag's newest repo (`getRepo`, the legacy lookup `taginfo` uses) and the
//! external repos linked to tags (`getTagExternalRepos`).

use crate::db::query::{QueryOpts, Select};
use crate::db::versioned;
use crate::fault::KojiResult;
use crate::lookup;
use crate::rpc::args::InfoRef;
use crate::xmlrpc::{Struct, Value};
use deadpool_postgres::GenericClient;

/// `REPO_STATES['READY']`.
pub const REPO_READY: i32 = 1;

/// Koji's repo record (`RepoQuery` with all fields).
const REPO_COLUMNS: &[(&str, &str)] = &[
    ("id", "repo.id"),
    ("tag_id", "repo.tag_id"),
    ("creation_time", "repo.creation_time"),
    ("creation_ts", "date_part('epoch', repo.creation_time)"),
    ("state_time", "repo.state_time"),
    ("state_ts", "date_part('epoch', repo.state_time)"),
    ("create_event", "repo.create_event"),
    ("create_ts", "date_part('epoch', create_ev.time)"),
    ("begin_event", "repo.begin_event"),
    ("begin_ts", "date_part('epoch', begin_ev.time)"),
    ("end_event", "repo.end_event"),
    ("end_ts", "date_part('epoch', end_ev.time)"),
    ("state", "repo.state"),
    ("dist", "repo.dist"),
    ("opts", "repo.opts"),
    ("custom_opts", "repo.custom_opts"),
    ("task_id", "repo.task_id"),
    ("task_state", "task.state"),
    ("tag_name", "tag.name"),
];

const REPO_FROM: &str = "repo JOIN tag ON repo.tag_id = tag.id \
     JOIN events AS create_ev ON repo.create_event = create_ev.id \
     LEFT JOIN events AS begin_ev ON repo.begin_event = begin_ev.id \
     LEFT JOIN events AS end_ev ON repo.end_event = end_ev.id \
     LEFT JOIN task ON repo.task_id = task.id";

/// `getRepo(tag, state=None, event=None, dist=False, min_event=None)`: the newest matching repo of the tag.
/// Without `event` only repos in `state` (default READY) count; with it, any created at or before it.
pub async fn legacy_get_repo(
    db: &impl GenericClient,
    tag: &InfoRef,
    state: Option<i32>,
    event: Option<i32>,
    dist: bool,
    min_event: Option<i32>,
) -> KojiResult<Option<Struct>> {
    let tag_id = lookup::named_strict(db, "tag", tag).await?.id;
    let mut q = Select::new(REPO_COLUMNS, REPO_FROM, "-creation_time");
    q.filter("repo.tag_id = $?", tag_id).filter("repo.dist = $?", dist);
    match event.filter(|e| *e != 0) {
        Some(e) => q.filter("repo.create_event <= $?", e),
        None => q.filter("repo.state = $?", state.unwrap_or(REPO_READY)),
    };
    if let Some(m) = min_event {
        q.filter("repo.create_event >= $?", m);
    }
    let opts = QueryOpts { limit: Some(1), ..Default::default() };
    Ok(match q.fetch(db, &opts).await? {
        Value::Array(mut rows) => rows.pop().and_then(|r| match r {
            Value::Struct(s) => Some(s),
            _ => None,
        }),
        _ => None,
    })
}

const TAG_REPO_COLUMNS: &[(&str, &str)] = &[
    ("external_repo_id", "external_repo.id"),
    ("external_repo_name", "external_repo.name"),
    ("priority", "tag_external_repos.priority"),
    ("tag_id", "tag.id"),
    ("tag_name", "tag.name"),
    ("url", "external_repo_config.url"),
    ("merge_mode", "tag_external_repos.merge_mode"),
    ("arches", "tag_external_repos.arches"),
];

const TAG_REPO_FROM: &str = "tag_external_repos JOIN tag ON tag_external_repos.tag_id = tag.id \
     JOIN external_repo ON tag_external_repos.external_repo_id = external_repo.id \
     JOIN external_repo_config ON external_repo.id = external_repo_config.external_repo_id";

/// `getTagExternalRepos(tag_info=None, repo_info=None, event=None)`, by priority.
pub async fn tag_external_repos(
    db: &impl GenericClient,
    tag: Option<&InfoRef>,
    repo: Option<&InfoRef>,
    event: Option<i32>,
) -> KojiResult<Value> {
    let mut q = Select::new(TAG_REPO_COLUMNS, TAG_REPO_FROM, "priority");
    versioned::in_force(&mut q, "tag_external_repos", event);
    versioned::in_force(&mut q, "external_repo_config", event);
    if let Some(t) = tag {
        q.filter("tag.id = $?", lookup::named_strict(db, "tag", t).await?.id);
    }
    if let Some(r) = repo {
        q.filter("external_repo.id = $?", lookup::named_strict(db, "external_repo", r).await?.id);
    }
    q.fetch(db, &QueryOpts::default()).await
}
