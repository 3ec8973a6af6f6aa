//! `RepoManager`: kojira's job inside the hub. It keeps build tags' repos current and serves repo requests as
//! soon as something changes, never on a polling cycle.
//!
//! One leader per database (advisory lock `LEADER_LOCK` on a dedicated connection, as the scheduler). Every
//! hub's listener forwards here `koji_tag` (a tag's content changed; from triggers on the versioned tables),
//! `koji_repo` (a request or repo row changed) and `koji_task` notifications. The leader collects the changed
//! tags and runs one pass of `crate::repos::manage` at a time (a change during a pass queues one more); it
//! watches only the tasks of waiting requests. The only timer is for repo lifetimes: the pass reports when the
//! next expired repo comes due for deletion.
//!
//! Every hub (leader or not) also holds the `repo.waitRequest` long-polls of its own clients and wakes them on
//! the `koji_repo` notification of their request.

use super::NamedActor;
use crate::config::HubConfig;
use crate::db::Pool;
use crate::pathinfo::PathInfo;
use crate::repos::manage::{Outcome, run_pass};
use actix::prelude::*;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;

/// The advisory-lock key of the repo manager leader ("kojirepo").
pub const LEADER_LOCK: i64 = 0x6b6f_6a69_7265_706f;
const ELECTION_INTERVAL: Duration = Duration::from_secs(2);
/// How often the leader refreshes the `koji_repo_age_seconds` gauges between passes (metrics only; no work
/// depends on it).
const AGE_GAUGE_INTERVAL: Duration = Duration::from_secs(30);

pub struct RepoManager {
    pool: Pool,
    pg: tokio_postgres::Config,
    cfg: Arc<HubConfig>,
    leader: Option<Arc<tokio_postgres::Client>>,
    electing: bool,
    busy: bool,
    /// A pass is due.
    again: bool,
    /// Every tag counts as changed (takeover, lost notifications).
    all_tags: bool,
    dirty: HashSet<i32>,
    watched: HashSet<i32>,
    deadline: Option<SpawnHandle>,
    waiters: HashMap<i32, Vec<oneshot::Sender<()>>>,
}

impl NamedActor for RepoManager {
    const NAME: &'static str = "RepoManager";
}

impl RepoManager {
    pub fn new(pool: Pool, pg: tokio_postgres::Config, cfg: Arc<HubConfig>) -> Self {
        RepoManager {
            pool,
            pg,
            cfg,
            leader: None,
            electing: false,
            busy: false,
            again: false,
            all_tags: false,
            dirty: HashSet::new(),
            watched: HashSet::new(),
            deadline: None,
            waiters: HashMap::new(),
        }
    }

    fn elect(&mut self, ctx: &mut Context<Self>) {
        if self.electing {
            return;
        }
        self.electing = true;
        let round = super::election_round(self.leader.clone(), self.pg.clone(), LEADER_LOCK, "repo manager");
        ctx.spawn(round.into_actor(self).map(|r, act, ctx| {
            act.electing = false;
            match r {
                Ok(Some(client)) => {
                    tracing::info!("this hub is the repo manager leader");
                    metrics::gauge!("koji_repo_manager_leader").set(1.0);
                    act.leader = Some(Arc::new(client));
                    act.all_tags = true;
                    act.again = true;
                    act.pump(ctx);
                }
                Ok(None) => {}
                Err(e) if act.leader.is_some() => {
                    tracing::error!(error = %e, "lost the repo manager leader connection; stepping down");
                    act.leader = None;
                    act.watched.clear();
                    act.dirty.clear();
                    metrics::gauge!("koji_repo_manager_leader").set(0.0);
                }
                Err(e) => tracing::warn!(error = %e, "repo manager election failed"),
            }
        }));
    }

    /// Runs a pass if one is due and none is running.
    fn pump(&mut self, ctx: &mut Context<Self>) {
        if self.leader.is_none() || self.busy || !self.again {
            return;
        }
        self.busy = true;
        self.again = false;
        let dirty: Option<Vec<i32>> =
            if std::mem::take(&mut self.all_tags) { None } else { Some(self.dirty.drain().collect()) };
        self.dirty.clear();
        let (pool, cfg) = (self.pool.clone(), self.cfg.clone());
        ctx.spawn(
            async move {
                let mut client = pool.get().await?;
                run_pass(&mut client, &cfg, dirty.as_deref()).await
            }
            .into_actor(self)
            .map(|r, act, ctx| {
                act.busy = false;
                match r {
                    Ok(out) => act.after_pass(out, ctx),
                    Err(e) => {
                        tracing::error!(error = %e, "repo queue pass failed; retrying with every tag");
                        act.all_tags = true;
                        act.again = true;
                        ctx.run_later(Duration::from_secs(1), |act, ctx| act.pump(ctx));
                        return;
                    }
                }
                act.pump(ctx);
            }),
        );
    }

    fn after_pass(&mut self, out: Outcome, ctx: &mut Context<Self>) {
        self.watched = out.watched_tasks;
        self.refresh_ages(ctx);
        metrics::gauge!("koji_repo_requests_waiting").set(out.waiting as f64);
        if !out.tasks_created.is_empty() {
            metrics::counter!("koji_repo_tasks_created_total").increment(out.tasks_created.len() as u64);
        }
        if !out.deleted.is_empty() {
            let top = self.cfg.koji_dir.clone();
            tracing::info!(repos = ?out.deleted.iter().map(|d| d.0).collect::<Vec<_>>(), "deleting repos");
            actix_rt::task::spawn_blocking(move || {
                for (id, tag) in out.deleted {
                    let dir = PathInfo::new(&top).repo_dir(&tag, &id.to_string());
                    if let Err(e) = std::fs::remove_dir_all(&dir)
                        && e.kind() != std::io::ErrorKind::NotFound
                    {
                        tracing::warn!(dir = %dir.display(), error = %e, "cannot remove repo directory");
                    }
                }
            });
        }
        if let Some(h) = self.deadline.take() {
            ctx.cancel_future(h);
        }
        if let Some(secs) = out.next_due {
            let wait = Duration::from_secs_f64(secs.max(0.0) + 0.05);
            self.deadline = Some(ctx.run_later(wait, |act, ctx| {
                act.deadline = None;
                act.again = true;
                act.pump(ctx);
            }));
        }
    }

    fn refresh_ages(&mut self, ctx: &mut Context<Self>) {
        if self.leader.is_none() {
            return;
        }
        let pool = self.pool.clone();
        ctx.spawn(async move { crate::db::repos::ready_ages(&pool.get().await?).await }.into_actor(self).map(
            |r, _, _| {
                if let Ok(ages) = r {
                    for (tag, age) in ages {
                        metrics::gauge!("koji_repo_age_seconds", "tag" => tag).set(age);
                    }
                }
            },
        ));
    }
}

impl Actor for RepoManager {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        metrics::gauge!("koji_repo_manager_leader").set(0.0);
        self.elect(ctx);
        ctx.run_interval(ELECTION_INTERVAL, |act, ctx| act.elect(ctx));
        ctx.run_interval(AGE_GAUGE_INTERVAL, |act, ctx| act.refresh_ages(ctx));
    }
}

/// A tag's content changed (`koji_tag`).
#[derive(Message)]
#[rtype(result = "()")]
pub struct TagChanged(pub i32);

impl Handler<TagChanged> for RepoManager {
    type Result = ();
    fn handle(&mut self, m: TagChanged, ctx: &mut Context<Self>) {
        if self.leader.is_some() {
            self.dirty.insert(m.0);
            self.again = true;
            self.pump(ctx);
        }
    }
}

/// A request (`Some(id)`) or a repo row changed (`koji_repo`).
#[derive(Message)]
#[rtype(result = "()")]
pub struct RepoChanged {
    pub request: Option<i32>,
}

impl Handler<RepoChanged> for RepoManager {
    type Result = ();
    fn handle(&mut self, m: RepoChanged, ctx: &mut Context<Self>) {
        if let Some(waiters) = m.request.and_then(|id| self.waiters.remove(&id)) {
            for w in waiters {
                let _ = w.send(());
            }
        }
        if self.leader.is_some() {
            self.again = true;
            self.pump(ctx);
        }
    }
}

/// A task row changed (`koji_task`); only the tasks of waiting requests matter.
#[derive(Message)]
#[rtype(result = "()")]
pub struct TaskChanged(pub i32);

impl Handler<TaskChanged> for RepoManager {
    type Result = ();
    fn handle(&mut self, m: TaskChanged, ctx: &mut Context<Self>) {
        if self.leader.is_some() && self.watched.contains(&m.0) {
            self.again = true;
            self.pump(ctx);
        }
    }
}

/// Notifications may have been missed: every tag counts as changed.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Rescan;

impl Handler<Rescan> for RepoManager {
    type Result = ();
    fn handle(&mut self, _: Rescan, ctx: &mut Context<Self>) {
        for (_, waiters) in self.waiters.drain() {
            for w in waiters {
                let _ = w.send(());
            }
        }
        if self.leader.is_some() {
            self.all_tags = true;
            self.again = true;
            self.pump(ctx);
        }
    }
}

/// Wake `tx` at the next change of request `id` (`repo.waitRequest`).
#[derive(Message)]
#[rtype(result = "()")]
pub struct WatchRequest {
    pub id: i32,
    pub tx: oneshot::Sender<()>,
}

impl Handler<WatchRequest> for RepoManager {
    type Result = ();
    fn handle(&mut self, m: WatchRequest, _: &mut Context<Self>) {
        let list = self.waiters.entry(m.id).or_default();
        list.retain(|w| !w.is_closed());
        list.push(m.tx);
    }
}
