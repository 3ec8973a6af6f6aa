//! Koji 1.35's repo requests (`repo.request`, `repo.checkRequest`, `repo.queryQueue`, `repo.setRequestPriority`)
//! and `repo_done_hook`, which fulfils them. A request asks for a READY repo of a tag at least as recent as its
//! `min_event` (or exactly at `at_event`); duplicates join the request already waiting, and one repo fulfils
//! every request it satisfies. The RepoManager (`super::manage`) turns waiting requests into newRepo tasks.

use super::opts;
use crate::config::RepoConfig;
use crate::db::query::Select;
use crate::db::repos as q;
use crate::db::view::View;
use crate::fault::{KojiError, KojiResult};
use crate::rpc::args::InfoRef;
use crate::tags::{self, TagInfo, last_change::last_change_event};
use crate::tasks::PRIO_DEFAULT;
use crate::xmlrpc::{Struct, Value};
use deadpool_postgres::GenericClient;

const QUEUE_COLUMNS: &[(&str, &str)] = &[
    ("id", "repo_queue.id"),
    ("create_time", "repo_queue.create_time"),
    ("create_ts", "date_part('epoch', repo_queue.create_time)"),
    ("owner", "repo_queue.owner"),
    ("owner_name", "users.name"),
    ("priority", "repo_queue.priority"),
    ("tag_id", "repo_queue.tag_id"),
    ("tag_name", "tag.name"),
    ("at_event", "repo_queue.at_event"),
    ("min_event", "repo_queue.min_event"),
    ("opts", "repo_queue.opts"),
    ("update_time", "repo_queue.update_time"),
    ("update_ts", "date_part('epoch', repo_queue.update_time)"),
    ("active", "repo_queue.active"),
    ("task_id", "repo_queue.task_id"),
    ("task_state", "task.state"),
    ("tries", "repo_queue.tries"),
    ("repo_id", "repo_queue.repo_id"),
];

const QUEUE_FROM: &str = "repo_queue JOIN tag ON repo_queue.tag_id = tag.id \
     LEFT JOIN task ON repo_queue.task_id = task.id JOIN users ON repo_queue.owner = users.id";

/// `repo.queryQueue(clauses, fields, opts)`: Koji's `RepoQueueQuery`.
pub const QUEUE_VIEW: View = View {
    from: QUEUE_FROM,
    fields: QUEUE_COLUMNS,
    default_fields: &[
        "id",
        "tag_id",
        "at_event",
        "min_event",
        "create_ts",
        "task_id",
        "tries",
        "repo_id",
        "opts",
        "active",
        "update_ts",
    ],
    default_order: "id",
};

/// The full request record.
pub async fn request_info(db: &impl GenericClient, id: i32) -> KojiResult<Option<Struct>> {
    let mut s = Select::new(QUEUE_COLUMNS, QUEUE_FROM, "id");
    s.filter("repo_queue.id = $?", id);
    s.fetch_one(db).await
}

/// `min_event` of `repo.request`: an event id, `"last"` (the tag's last change) or None (lag allowed).
pub enum MinEvent {
    Given(i32),
    Last,
    Default,
}

pub struct RequestArgs {
    pub tag: InfoRef,
    pub min_event: MinEvent,
    pub at_event: Option<i32>,
    pub opts: Option<Value>,
    /// Relative to `PRIO_DEFAULT`; negative only for admins (checked by the caller).
    pub priority: Option<i32>,
    pub force: bool,
}

async fn event_exists(db: &impl GenericClient, id: i32) -> KojiResult<bool> {
    let st = db.prepare_cached("SELECT 1 FROM events WHERE id = $1").await?;
    Ok(db.query_opt(&st, &[&id]).await?.is_some())
}

/// The tag's last change (its creation at least, so never None for a live tag).
pub async fn last_change(db: &impl GenericClient, tag_id: i32) -> KojiResult<i32> {
    Ok(last_change_event(db, &InfoRef::Id(tag_id.into()), None, true).await?.unwrap_or(0))
}

/// Koji's `default_min_event`: the last change, unless it is recent — then the last event before now minus
/// the lag (tag extra `repo.lag` or `RepoLag`), rounded down to `RepoLagWindow` so close requests agree.
async fn default_min_event(db: &impl GenericClient, cfg: &RepoConfig, tag: &TagInfo) -> KojiResult<i32> {
    let last = last_change(db, tag.config.id).await?;
    let lag = match tag.extra.get("repo.lag").cloned().flatten() {
        Some(Value::Int(secs)) => secs as f64,
        _ => cfg.lag.as_secs_f64(),
    };
    let window = cfg.lag_window.as_secs_f64();
    let now = chrono::Utc::now().timestamp_micros() as f64 / 1e6;
    let base_ts = ((now - lag) / window).floor() * window;
    let st = db
        .prepare_cached("SELECT id FROM events WHERE time < to_timestamp($1) ORDER BY time DESC, id DESC LIMIT 1")
        .await?;
    let base: Option<i32> = db.query_opt(&st, &[&base_ts]).await?.map(|r| r.get(0));
    Ok(base.map_or(last, |b| b.min(last)))
}

/// `repo.request`: `{repo, request, duplicate}`.
pub async fn request(
    db: &impl GenericClient,
    cfg: &crate::config::HubConfig,
    user_id: i32,
    a: RequestArgs,
) -> KojiResult<Struct> {
    let tag = tags::get_strict(db, &a.tag, None).await?;
    let wanted = opts::convert(a.opts.as_ref(), true)?;
    if wanted.get("maven") == Some(&true) && !cfg.enable_maven {
        return Err(KojiError::generic("Maven support not enabled"));
    }
    let (at_event, min_event) = match (a.at_event, a.min_event) {
        (Some(_), MinEvent::Given(_) | MinEvent::Last) => {
            return Err(KojiError::param("The min_event and at_event options conflict"));
        }
        (Some(at), MinEvent::Default) => {
            if !event_exists(db, at).await? {
                return Err(KojiError::param(format!("Invalid event: {at}")));
            }
            (Some(at), None)
        }
        (None, MinEvent::Last) => (None, Some(last_change(db, tag.config.id).await?)),
        (None, MinEvent::Default) => (None, Some(default_min_event(db, &cfg.repos, &tag).await?)),
        (None, MinEvent::Given(m)) => {
            if !event_exists(db, m).await? {
                return Err(KojiError::param(format!("Invalid event: {m}")));
            }
            (None, Some(m))
        }
    };
    let priority = PRIO_DEFAULT + a.priority.unwrap_or(0);
    let mut out = Struct::new();
    out.insert("repo".into(), Value::Nil);
    out.insert("request".into(), Value::Nil);
    out.insert("duplicate".into(), Value::Bool(false));
    if !a.force
        && let Some(repo) = super::get_repo(db, tag.config.id, min_event, at_event, &wanted).await?
    {
        out.insert("repo".into(), Value::Struct(repo));
        return Ok(out);
    }
    let opts_json = opts::to_json(&wanted);
    let id = match q::duplicate_request(db, tag.config.id, &opts_json, at_event, min_event).await? {
        Some((id, old)) => {
            if old > priority {
                q::set_request_priority(db, id, priority).await?;
            }
            out.insert("duplicate".into(), Value::Bool(true));
            id
        }
        None => {
            let new =
                q::NewRequest { owner: user_id, priority, tag_id: tag.config.id, at_event, min_event, opts: opts_json };
            let id = q::insert_request(db, &new).await?;
            tracing::info!(request = id, tag = %tag.config.name, ?min_event, ?at_event, "new repo request");
            id
        }
    };
    out.insert("request".into(), request_info(db, id).await?.map_or(Value::Nil, Value::Struct));
    Ok(out)
}

/// `repo.checkRequest(req_id)`: `{request, repo}` plus `task` while a task works on it.
pub async fn check_request(db: &impl GenericClient, id: i32) -> KojiResult<Struct> {
    let req = request_info(db, id).await?.ok_or_else(|| KojiError::generic("No such request"))?;
    let mut out = Struct::new();
    out.insert("repo".into(), Value::Nil);
    let int = |k: &str| req.get(k).and_then(Value::as_i64).map(|v| v as i32);
    if let Some(repo_id) = int("repo_id") {
        out.insert("repo".into(), super::repo_info(db, repo_id, false).await?.map_or(Value::Nil, Value::Struct));
    } else if let Some(task) = int("task_id") {
        out.insert("task".into(), crate::tasks::task_info(db, task, false).await?.map_or(Value::Nil, Value::Struct));
    }
    out.insert("request".into(), Value::Struct(req));
    Ok(out)
}

/// Whether the request no longer waits (fulfilled or given up), from a `check_request` answer.
pub fn settled(check: &Struct) -> bool {
    let active =
        check.get("request").and_then(Value::as_struct).and_then(|r| r.get("active")).is_some_and(Value::truthy);
    !active || check.get("repo").is_some_and(|r| *r != Value::Nil)
}

/// Koji's `repo_done_hook`: the requests a newly READY repo satisfies take it.
pub async fn done_hook(db: &impl GenericClient, repo_id: i32) -> KojiResult<()> {
    let fulfilled = q::fulfil_requests(db, repo_id).await?;
    if !fulfilled.is_empty() {
        tracing::info!(repo = repo_id, requests = ?fulfilled, "repo fulfils requests");
    }
    Ok(())
}
