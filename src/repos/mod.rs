//! Repos: their records and states (`repoInfo`, `repo.query`, `getRepo`, `repo.get`, expire/delete/problem),
//! the external repos linked to tags, and in submodules the request queue (`requests`), the repo directory the
//! hub writes (`init`, `comps`), the finish (`done`) and the RepoManager's pass over the queue (`manage`).

pub mod comps;
pub mod done;
pub mod init;
pub mod manage;
pub mod opts;
pub mod requests;

use crate::db::query::{QueryOpts, Select};
use crate::db::versioned;
use crate::db::view::View;
use crate::fault::{KojiError, KojiResult};
use crate::lookup;
use crate::rpc::args::InfoRef;
use crate::tags::inheritance;
use crate::xmlrpc::{Struct, Value};
use deadpool_postgres::GenericClient;
use opts::RepoOpts;

/// `REPO_STATES`.
pub const REPO_INIT: i32 = 0;
pub const REPO_READY: i32 = 1;
pub const REPO_EXPIRED: i32 = 2;
pub const REPO_DELETED: i32 = 3;
pub const REPO_PROBLEM: i32 = 4;

/// Koji's `REPO_STATES` names, by code.
pub const STATE_NAMES: [&str; 5] = ["INIT", "READY", "EXPIRED", "DELETED", "PROBLEM"];

pub fn state_name(state: i32) -> &'static str {
    usize::try_from(state).ok().and_then(|i| STATE_NAMES.get(i)).copied().unwrap_or("?")
}

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

/// `repo.query(clauses, fields, opts)`: Koji's `RepoQuery`.
pub const REPO_VIEW: View = View {
    from: REPO_FROM,
    fields: REPO_COLUMNS,
    default_fields: &["id", "tag_id", "create_event", "state", "dist", "task_id", "opts", "custom_opts"],
    default_order: "id",
};

/// Koji's `repo_info(repo_id, strict)`: the full record.
pub async fn repo_info(db: &impl GenericClient, id: i32, strict: bool) -> KojiResult<Option<Struct>> {
    let mut q = Select::new(REPO_COLUMNS, REPO_FROM, "id");
    q.filter("repo.id = $?", id);
    match q.fetch_one(db).await? {
        None if strict => Err(KojiError::generic(format!("No such repo: {id}"))),
        found => Ok(found),
    }
}

/// `repo.get(tag, min_event=None, at_event=None, opts=None)`: the newest READY non-dist repo with every option
/// asked for and no custom option not asked for.
pub async fn get_repo(
    db: &impl GenericClient,
    tag_id: i32,
    min_event: Option<i32>,
    at_event: Option<i32>,
    opts: &RepoOpts,
) -> KojiResult<Option<Struct>> {
    let mut q = Select::new(REPO_COLUMNS, REPO_FROM, "-create_event");
    q.filter("repo.tag_id = $?", tag_id)
        .condition("repo.dist IS FALSE")
        .filter("repo.state = $?", REPO_READY)
        .filter("repo.opts @> $?::jsonb", opts::to_json(opts))
        .filter("repo.custom_opts <@ $?::jsonb", opts::to_json(opts));
    match (at_event, min_event) {
        (Some(at), _) => q.filter("repo.create_event = $?", at),
        (None, Some(min)) => q.filter("repo.create_event >= $?", min),
        (None, None) => &mut q,
    };
    let first = QueryOpts { limit: Some(1), ..Default::default() };
    Ok(match q.fetch(db, &first).await? {
        Value::Array(mut rows) => rows.pop().and_then(|r| match r {
            Value::Struct(s) => Some(s),
            _ => None,
        }),
        _ => None,
    })
}

/// Koji's `repo_set_state`: states only move up (except to DELETED, which is final); the same state is a
/// no-op. Entering READY fulfils the requests the repo satisfies.
pub async fn set_state(db: &impl GenericClient, id: i32, state: i32) -> KojiResult<()> {
    if !(REPO_INIT..=REPO_PROBLEM).contains(&state) {
        return Err(KojiError::param(format!("Unknown repo state: {state}")));
    }
    let old =
        crate::db::repos::lock_state(db, id).await?.ok_or_else(|| KojiError::generic(format!("No such repo: {id}")))?;
    if old > state && state != REPO_DELETED {
        return Err(KojiError::generic(format!(
            "Invalid repo state transition for repo {id}: {} -> {}",
            state_name(old),
            state_name(state)
        )));
    } else if old == state {
        tracing::warn!(repo = id, state = state_name(state), "repo already in this state");
        return Ok(());
    } else if old == REPO_DELETED {
        return Err(KojiError::generic(format!("Repo {id} is deleted")));
    }
    crate::db::repos::set_state(db, id, state).await?;
    if state == REPO_READY {
        requests::done_hook(db, id).await?;
    }
    Ok(())
}

/// `<topdir>/repos`, made before any newRepo task: builders refuse newRepo without it.
pub async fn ensure_repos_dir(koji_dir: &std::path::Path) -> KojiResult<()> {
    let repos = koji_dir.join("repos");
    crate::files::blocking(move || std::fs::create_dir_all(&repos).map_err(|e| crate::files::io_error(&repos, e))).await
}

/// Koji's `repo_references`: the live buildroots (no retire event) that use the repo.
pub async fn references(db: &impl GenericClient, id: i32) -> KojiResult<Vec<Struct>> {
    crate::db::query_structs(
        db,
        "SELECT buildroot_id AS id, host_id, task_id, create_event, state FROM standard_buildroot \
         WHERE repo_id = $1 AND retire_event IS NULL AND state IS DISTINCT FROM 3",
        &[&id],
    )
    .await
}

/// Koji's `repo_delete`: marks the repo DELETED unless buildroots still use it; returns how many do.
pub async fn delete(db: &impl GenericClient, id: i32) -> KojiResult<usize> {
    crate::db::repos::lock_state(db, id).await?.ok_or_else(|| KojiError::generic(format!("No such repo: {id}")))?;
    let refs = references(db, id).await?.len();
    if refs == 0 {
        set_state(db, id, REPO_DELETED).await?;
    }
    Ok(refs)
}

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

/// `getExternalRepoList(tag_info, event=None)`: the external repos of the tag and its ancestors, depth first, by
/// priority within each tag, each repo once.
pub async fn external_repo_list(db: &impl GenericClient, tag: &InfoRef, event: Option<i32>) -> KojiResult<Vec<Value>> {
    let tag_id = crate::tags::get_strict(db, tag, event).await?.config.id;
    let mut chain = vec![tag_id];
    chain.extend(inheritance::full_inheritance(db, tag_id, event, false).await?.iter().map(|l| l.parent_id));
    let mut q = Select::new(TAG_REPO_COLUMNS, TAG_REPO_FROM, "priority");
    versioned::in_force(&mut q, "tag_external_repos", event);
    versioned::in_force(&mut q, "external_repo_config", event);
    q.filter("tag.id = ANY($?)", chain.clone());
    let rows = q.structs(db).await?;
    let mut seen = std::collections::HashSet::new();
    let mut out = vec![];
    for t in chain {
        for r in rows.iter().filter(|r| r.get("tag_id").and_then(Value::as_i64) == Some(t.into())) {
            if seen.insert(r.get("external_repo_id").and_then(Value::as_i64)) {
                out.push(Value::Struct(r.clone()));
            }
        }
    }
    Ok(out)
}

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
