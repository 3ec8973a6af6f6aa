//! The RepoManager's pass over the repo queue (Koji's `check_repo_queue`, kojira's expiry and deletion, and the
//! automatic requests that keep build tags current), run by the leading hub in one transaction whenever a tag,
//! a request, a repo or a watched task changes.
//!
//! 1. Automatic requests: each build tag (a target's `build_tag`, or extra `repo.auto`) among the changed tags
//!    and their descendants whose newest default repo predates its last change gets a request at
//!    `PRIO_DEFAULT + 5`, so explicit requests (waiting builds) go first.
//! 2. Requests whose task ended: a closed task's valid repo fulfils them; a failed or canceled one is retried
//!    while `tries <= RepoRetries`, then the request is given up (inactive) — the queue never wedges on it.
//! 3. Requests without a task join a running newRepo task for the same tag and options whose repo will satisfy
//!    them (one regen serves every waiter); otherwise, once no regen of that tag and options is running and
//!    under `MaxRepoTasks`, they get a new one (a burst of changes costs at most one more regen).
//! 4. INIT repos of failed tasks become PROBLEM; READY repos superseded by a newer one become EXPIRED; EXPIRED
//!    and PROBLEM repos older than `ExpiredRepoLifetime` that no live buildroot uses become DELETED (their
//!    directories are removed after the commit); old inactive requests are cleaned.

use super::REPO_READY;
use super::requests::last_change;
use crate::config::HubConfig;
use crate::db::repos::{self as q, Waiting};
use crate::db::tasks::{CANCELED, CLOSED, FAILED};
use crate::fault::KojiResult;
use crate::tasks::{PRIO_DEFAULT, TaskSpec, make_task};
use crate::xmlrpc::{Struct, Value};
use deadpool_postgres::GenericClient;
use std::collections::HashSet;

/// What a pass did and what the manager must watch next.
#[derive(Debug, Default)]
pub struct Outcome {
    pub tasks_created: Vec<i32>,
    /// Repos marked DELETED: (id, tag name), whose directories go next.
    pub deleted: Vec<(i32, String)>,
    /// Seconds until the next EXPIRED/PROBLEM repo reaches its lifetime.
    pub next_due: Option<f64>,
    /// Tasks of the requests still waiting: their state changes wake the manager.
    pub watched_tasks: HashSet<i32>,
    pub waiting: usize,
}

/// The `RepoQueueUser`, looked up (and created when missing) only when a request or task needs an owner.
struct QueueUser<'a> {
    name: &'a str,
    id: Option<i32>,
}

impl QueueUser<'_> {
    async fn id(&mut self, db: &impl GenericClient) -> KojiResult<i32> {
        if let Some(id) = self.id {
            return Ok(id);
        }
        let id = q::ensure_user(db, self.name).await?;
        self.id = Some(id);
        Ok(id)
    }
}

/// Newest ready default repo no older than `min_event`?
async fn has_current(db: &impl GenericClient, tag_id: i32, min_event: i32) -> KojiResult<bool> {
    Ok(super::get_repo(db, tag_id, Some(min_event), None, &Default::default()).await?.is_some())
}

async fn auto_requests(db: &impl GenericClient, owner: &mut QueueUser<'_>, dirty: Option<&[i32]>) -> KojiResult<()> {
    let empty = serde_json::json!({});
    for tag_id in q::regen_tags(db, dirty).await? {
        let last = last_change(db, tag_id).await?;
        if has_current(db, tag_id, last).await?
            || q::duplicate_request(db, tag_id, &empty, None, Some(last)).await?.is_some()
        {
            continue;
        }
        let new = q::NewRequest {
            owner: owner.id(db).await?,
            priority: PRIO_DEFAULT + 5,
            tag_id,
            at_event: None,
            min_event: Some(last),
            opts: empty.clone(),
        };
        let id = q::insert_request(db, &new).await?;
        tracing::info!(request = id, tag = tag_id, min_event = last, "automatic repo request");
    }
    Ok(())
}

/// Koji's `valid_repo`: the task's repo is READY, of the tag, at the right event, with the requested options.
fn valid_repo(req: &Waiting) -> bool {
    match req.task_repo {
        Some((_, create_event, state)) if state == REPO_READY => match (req.at_event, req.min_event) {
            (Some(at), _) => create_event == at,
            (None, Some(min)) => create_event >= min,
            (None, None) => true,
        },
        _ => false,
    }
}

/// Whether a running task makes the kind of repo `req` asks for: same tag, options and `at_event`.
fn same_kind(running: &Waiting, req: &Waiting) -> bool {
    running.tag_id == req.tag_id && running.opts == req.opts && running.at_event == req.at_event
}

/// Whether a task still making (or about to make) its repo would satisfy `req`: one of the same kind whose
/// repo, if already initialised, is recent enough (one not yet initialised will be: repoInit takes a fresh
/// event).
fn can_share(running: &Waiting, req: &Waiting) -> bool {
    same_kind(running, req)
        && match (req.at_event, running.task_repo, req.min_event) {
            (Some(_), _, _) => true,
            (None, None, _) => true,
            (None, Some((_, created, _)), Some(min)) => created >= min,
            (None, Some(_), None) => true,
        }
}

/// A newRepo task for the request (Koji's `repo_queue_task`). Builders refuse newRepo without `<topdir>/repos`,
/// so it is made first.
async fn new_repo_task(db: &impl GenericClient, cfg: &HubConfig, owner: i32, req: &Waiting) -> KojiResult<i32> {
    super::ensure_repos_dir(&cfg.koji_dir).await?;
    let mut tagspec = Struct::new();
    tagspec.insert("id".into(), Value::from(req.tag_id));
    tagspec.insert("name".into(), Value::from(req.tag_name.clone()));
    let mut kwargs = Struct::new();
    kwargs.insert("opts".into(), crate::db::json_to_value(req.opts.clone()));
    if let Some(at) = req.at_event {
        kwargs.insert("event".into(), Value::from(at));
    }
    kwargs.insert("__starstar".into(), Value::Bool(true));
    let spec = TaskSpec {
        method: "newRepo".into(),
        params: vec![Value::Struct(tagspec), Value::Struct(kwargs)],
        owner,
        channel: Some("createrepo".into()),
        priority: Some(15),
        ..Default::default()
    };
    make_task(db, spec).await
}

async fn serve_queue(
    db: &impl GenericClient,
    cfg: &HubConfig,
    owner: &mut QueueUser<'_>,
    out: &mut Outcome,
) -> KojiResult<()> {
    let mut waiting = q::waiting(db).await?;
    let mut given_up = HashSet::new();
    // Every waiter sharing a regen has the same repo: each is fulfilled once, below.
    let mut made = HashSet::new();
    // Pass 1: requests whose task ended.
    for req in waiting.iter_mut() {
        let Some(task) = req.task_id else { continue };
        let retry = match req.task_state {
            Some(CLOSED) if valid_repo(req) => {
                // repoDone normally fulfils requests itself; this covers a repo it did not match.
                made.insert(req.task_repo.map_or(0, |r| r.0));
                false
            }
            Some(CLOSED | CANCELED | FAILED) => true,
            _ => false,
        };
        if retry {
            if req.tries > cfg.repos.retries {
                tracing::error!(request = req.id, task, tries = req.tries, "repo request retries exhausted");
                q::deactivate_request(db, req.id).await?;
                given_up.insert(req.id);
                continue;
            }
            tracing::warn!(request = req.id, task, "repo task did not complete; retrying");
            q::set_request_task(db, req.id, None, req.tries).await?;
            req.task_id = None;
            req.task_repo = None;
        }
    }
    for repo in made {
        q::fulfil_requests(db, repo).await?;
    }
    let live = |r: &Waiting| r.task_id.is_some() && !matches!(r.task_state, Some(CLOSED | CANCELED | FAILED));
    let mut running: Vec<Waiting> = waiting.iter().filter(|r| live(r)).cloned().collect();
    let mut n_tasks = running.iter().filter_map(|r| r.task_id).collect::<HashSet<_>>().len();
    // Pass 2: a task for every request without one: a shared one, else a new one while under the cap.
    for req in waiting.iter().filter(|r| r.task_id.is_none()) {
        if let Some(shared) = running.iter().find(|r| can_share(r, req)) {
            let task = shared.task_id;
            q::set_request_task(db, req.id, task, req.tries).await?;
            tracing::info!(request = req.id, task = ?task, "repo request joins a running task");
            out.watched_tasks.extend(task);
            continue;
        }
        // One regen of a kind at a time: a burst of changes waits for the running regen, then gets one more.
        if n_tasks >= cfg.repos.max_tasks || running.iter().any(|r| same_kind(r, req)) {
            continue;
        }
        let task = new_repo_task(db, cfg, owner.id(db).await?, req).await?;
        q::set_request_task(db, req.id, Some(task), req.tries + 1).await?;
        tracing::info!(request = req.id, task, tag = %req.tag_name, "newRepo task for repo request");
        n_tasks += 1;
        out.tasks_created.push(task);
        out.watched_tasks.insert(task);
        running.push(Waiting { task_id: Some(task), task_state: None, task_repo: None, ..req.clone() });
    }
    out.watched_tasks.extend(running.iter().filter_map(|r| r.task_id));
    out.waiting = waiting.len() - given_up.len();
    Ok(())
}

/// One pass. `dirty`: the tags changed since the last pass (None: all, after a takeover or lost notifications).
pub async fn run_pass(
    client: &mut deadpool_postgres::Object,
    cfg: &HubConfig,
    dirty: Option<&[i32]>,
) -> KojiResult<Outcome> {
    let tx = client.transaction().await?;
    let mut owner = QueueUser { name: &cfg.repos.queue_user, id: None };
    let mut out = Outcome::default();
    if cfg.repos.auto_regen && dirty.is_none_or(|d| !d.is_empty()) {
        auto_requests(&tx, &mut owner, dirty).await?;
    }
    serve_queue(&tx, cfg, &mut owner, &mut out).await?;
    for id in q::problem_failed_inits(&tx).await? {
        tracing::warn!(repo = id, "repo task failed: repo marked PROBLEM");
    }
    let expired = q::expire_superseded(&tx).await?;
    if !expired.is_empty() {
        tracing::info!(repos = ?expired, "superseded repos expired");
    }
    let (deleted, next_due) = q::delete_due(&tx, cfg.repos.expired_lifetime.as_secs_f64()).await?;
    out.deleted = deleted;
    out.next_due = next_due;
    q::clean_requests(&tx, cfg.repos.request_clean_time.as_secs_f64()).await?;
    tx.commit().await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(id: i32, min_event: Option<i32>, task: Option<i32>, repo: Option<(i32, i32, i32)>) -> Waiting {
        Waiting {
            id,
            tag_id: 1,
            tag_name: "t".into(),
            at_event: None,
            min_event,
            opts: serde_json::json!({}),
            task_id: task,
            task_state: None,
            tries: 1,
            task_repo: repo,
        }
    }

    #[test]
    fn a_request_joins_a_task_whose_repo_will_be_recent_enough() {
        let waiting = req(2, Some(50), None, None);
        assert!(can_share(&req(1, Some(10), Some(7), None), &waiting), "repoInit not yet run: a fresh event");
        assert!(can_share(&req(1, Some(10), Some(7), Some((3, 60, 0))), &waiting));
        assert!(!can_share(&req(1, Some(10), Some(7), Some((3, 40, 0))), &waiting), "initialised too early");
        let mut other_tag = req(1, Some(10), Some(7), None);
        other_tag.tag_id = 2;
        assert!(!can_share(&other_tag, &waiting));
        let mut other_opts = req(1, Some(10), Some(7), None);
        other_opts.opts = serde_json::json!({"src": true});
        assert!(!can_share(&other_opts, &waiting));
    }

    #[test]
    fn only_a_ready_repo_at_the_right_event_is_valid() {
        assert!(valid_repo(&req(1, Some(10), Some(7), Some((3, 10, REPO_READY)))));
        assert!(!valid_repo(&req(1, Some(10), Some(7), Some((3, 9, REPO_READY)))));
        assert!(!valid_repo(&req(1, Some(10), Some(7), Some((3, 12, 0)))));
        let mut at = req(1, None, Some(7), Some((3, 12, REPO_READY)));
        at.at_event = Some(11);
        assert!(!valid_repo(&at));
    }
}
