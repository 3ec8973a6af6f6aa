//! `TaskScheduler` places FREE tasks on hosts the moment it can (see `crate::scheduler` for the model).
//!
//! One leader per database: the hub whose dedicated connection holds the advisory lock `LEADER_LOCK`. Every
//! hub's listener forwards `koji_task`/`koji_host` notifications here; only the leader acts on them. The leader
//! rebuilds its model from the database when it takes over (and after a listener reconnect, when
//! notifications may have been missed), then reconciles each notified task or host from its rows: one
//! level-triggered path for creation, frees, cancels, finishes, priority and weight changes.
//!
//! Placement results are applied in memory at once and persisted in batches (one statement for the task
//! updates, run rows and log lines) before any builder hears of them; a row that changed meanwhile is
//! re-read instead. While a batch is being written, new work accumulates into the next one.

use super::NamedActor;
use crate::config::SchedulerConfig;
use crate::db::{self, Pool};
use crate::protocol::ToBuilder;
use crate::scheduler::state::{BuilderEvent, Config};
use crate::scheduler::{Assignment, State};
use actix::prelude::*;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The advisory-lock key of the scheduler leader ("kojisched").
pub const LEADER_LOCK: i64 = 0x006b_6f6a_6973_6368;
const ELECTION_INTERVAL: Duration = Duration::from_secs(2);
const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(1);
/// How often the leader looks for silent hosts at most (more often with a short `ReadyTimeout`).
const SILENT_HOST_CHECK: Duration = Duration::from_secs(30);
const MAX_BATCH: usize = 1000;

struct Release {
    assignment: Assignment,
    refuse: bool,
    reason: &'static str,
}

pub struct TaskScheduler {
    pool: Pool,
    pg: tokio_postgres::Config,
    cfg: SchedulerConfig,
    state: State,
    leader: Option<Arc<tokio_postgres::Client>>,
    electing: bool,
    busy: bool,
    rebuild: bool,
    reconcile: HashSet<i32>,
    reload_hosts: HashSet<i32>,
    pending: Vec<Assignment>,
    outbox: Vec<String>,
    releases: Vec<Release>,
    grace: Vec<(Instant, i32, Vec<i32>)>,
}

impl NamedActor for TaskScheduler {
    const NAME: &'static str = "TaskScheduler";
}

impl TaskScheduler {
    pub fn new(pool: Pool, pg: tokio_postgres::Config, cfg: SchedulerConfig) -> Self {
        let state = State::new(Config {
            overcommit: cfg.capacity_overcommit,
            default_maxjobs: cfg.max_jobs,
            soft_refusal_timeout: cfg.soft_refusal_timeout,
            assign_timeout: cfg.assign_timeout,
        });
        TaskScheduler {
            pool,
            pg,
            cfg,
            state,
            leader: None,
            electing: false,
            busy: false,
            rebuild: false,
            reconcile: HashSet::new(),
            reload_hosts: HashSet::new(),
            pending: vec![],
            outbox: vec![],
            releases: vec![],
            grace: vec![],
        }
    }

    fn soft_secs(&self) -> f64 {
        self.cfg.soft_refusal_timeout.as_secs_f64()
    }

    fn elect(&mut self, ctx: &mut Context<Self>) {
        if self.electing {
            return;
        }
        self.electing = true;
        let round = super::election_round(self.leader.clone(), self.pg.clone(), LEADER_LOCK, "scheduler");
        ctx.spawn(round.into_actor(self).map(|r, act, ctx| {
            act.electing = false;
            match r {
                Ok(Some(client)) => {
                    tracing::info!("this hub is the scheduler leader");
                    metrics::gauge!("koji_scheduler_leader").set(1.0);
                    act.leader = Some(Arc::new(client));
                    act.rebuild = true;
                    act.pump(ctx);
                }
                Ok(None) => {}
                Err(e) if act.leader.is_some() => {
                    tracing::error!(error = %e, "lost the scheduler leader connection; stepping down");
                    act.step_down();
                }
                Err(e) => tracing::warn!(error = %e, "scheduler election failed"),
            }
        }));
    }

    fn step_down(&mut self) {
        self.leader = None;
        self.state.clear();
        self.pending.clear();
        self.outbox.clear();
        self.releases.clear();
        self.grace.clear();
        metrics::gauge!("koji_scheduler_leader").set(0.0);
    }

    /// Does the next piece of work, one at a time: a rebuild; else placing what it can and persisting the
    /// decisions, builder messages and releases waiting; else reconciling notified tasks and hosts. Decided
    /// work goes first: under a stream of notifications, placements and wakes must not wait for the
    /// reconcile queue to drain (the conditional writes catch a decision made on a stale row).
    fn pump(&mut self, ctx: &mut Context<Self>) {
        if self.leader.is_none() || self.busy {
            return;
        }
        if self.rebuild {
            self.start_rebuild(ctx);
            return;
        }
        if self.pending.is_empty() {
            let placed = self.state.place(Instant::now());
            self.pending.extend(placed);
            self.export_gauges();
        }
        if !self.pending.is_empty() || !self.outbox.is_empty() || !self.releases.is_empty() {
            self.start_persist(ctx);
        } else if !self.reconcile.is_empty() || !self.reload_hosts.is_empty() {
            self.start_reconcile(ctx);
        }
    }

    fn start_rebuild(&mut self, ctx: &mut Context<Self>) {
        self.busy = true;
        self.rebuild = false;
        let (pool, soft) = (self.pool.clone(), self.soft_secs());
        ctx.spawn(
            async move {
                let db = pool.get().await?;
                Ok::<_, crate::fault::KojiError>((
                    db::scheduler::hosts(&db).await?,
                    db::scheduler::active_tasks(&db, soft).await?,
                ))
            }
            .into_actor(self)
            .map(|r, act, ctx| {
                act.busy = false;
                match r {
                    Ok((hosts, tasks)) => {
                        act.state.clear();
                        act.pending.clear();
                        let now = Instant::now();
                        for h in hosts {
                            act.state.upsert_host(h.id, Some(h));
                        }
                        let n = tasks.len();
                        for t in tasks {
                            act.state.upsert_task(t, now);
                        }
                        tracing::info!(tasks = n, "scheduler state rebuilt from the database");
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "scheduler rebuild failed; retrying");
                        act.rebuild = true;
                        ctx.run_later(Duration::from_secs(1), |act, ctx| act.pump(ctx));
                        return;
                    }
                }
                act.pump(ctx);
            }),
        );
    }

    fn start_reconcile(&mut self, ctx: &mut Context<Self>) {
        self.busy = true;
        let ids: Vec<i32> = self.reconcile.drain().collect();
        let hosts: Vec<i32> = self.reload_hosts.drain().collect();
        let (pool, soft) = (self.pool.clone(), self.soft_secs());
        let started = Instant::now();
        ctx.spawn(
            async move {
                let db = pool.get().await?;
                let mut found: std::collections::HashMap<i32, crate::scheduler::HostSpec> =
                    if hosts.is_empty() { Default::default() } else { db::scheduler::hosts_by_id(&db, &hosts).await? }
                        .into_iter()
                        .map(|h| (h.id, h))
                        .collect();
                let specs: Vec<_> = hosts.iter().map(|h| (*h, found.remove(h))).collect();
                let rows = if ids.is_empty() { vec![] } else { db::scheduler::tasks_by_id(&db, &ids, soft).await? };
                Ok::<_, crate::fault::KojiError>((ids, specs, rows))
            }
            .into_actor(self)
            .map(move |r, act, ctx| {
                act.busy = false;
                match r {
                    Ok((ids, specs, rows)) => {
                        tracing::debug!(tasks = ids.len(), hosts = specs.len(), read = ?started.elapsed(), "reconciling");
                        act.apply(ids, specs, rows);
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "scheduler reconcile failed; rebuilding");
                        act.rebuild = true;
                    }
                }
                act.pump(ctx);
            }),
        );
    }

    fn apply(
        &mut self,
        ids: Vec<i32>,
        specs: Vec<(i32, Option<crate::scheduler::HostSpec>)>,
        mut rows: Vec<crate::scheduler::TaskRow>,
    ) {
        let now = Instant::now();
        for (id, spec) in specs {
            let change = self.state.upsert_host(id, spec);
            for task in change.free_now {
                self.releases.push(Release {
                    assignment: Assignment { task, host: id },
                    refuse: false,
                    reason: "host unavailable",
                });
            }
            if !change.open.is_empty() {
                tracing::warn!(host = id, tasks = ?change.open, grace = ?self.cfg.host_timeout, "host unavailable with open tasks");
                self.grace.push((now + self.cfg.host_timeout, id, change.open));
            }
        }
        let found: HashSet<i32> = rows.iter().map(|r| r.id).collect();
        // Live rows first: a parent's `waiting` flag, read in the same batch as its child's finish, must be in
        // the model before the finish is applied, or the parent would not be woken.
        rows.sort_by_key(|r| matches!(r.state, db::tasks::CLOSED | db::tasks::CANCELED | db::tasks::FAILED));
        for row in rows {
            for event in self.state.upsert_task(row, now) {
                let (host, msg) = match event {
                    BuilderEvent::Cancel { host, task } => (host, ToBuilder::Cancel(task)),
                    BuilderEvent::Wake { host, task } => (host, ToBuilder::Wake(task)),
                    BuilderEvent::Offer { host, task } => (host, ToBuilder::Offer(task)),
                };
                self.outbox.push(msg.to_notification(host));
            }
        }
        for id in ids.into_iter().filter(|id| !found.contains(id)) {
            self.state.remove_task(id);
        }
    }

    fn start_persist(&mut self, ctx: &mut Context<Self>) {
        self.busy = true;
        let batch: Vec<Assignment> = self.pending.drain(..self.pending.len().min(MAX_BATCH)).collect();
        let outbox = std::mem::take(&mut self.outbox);
        let releases = std::mem::take(&mut self.releases);
        let pool = self.pool.clone();
        let started = Instant::now();
        ctx.spawn(
            async move {
                let mut client = pool.get().await?;
                let tx = client.transaction().await?;
                let mut touched: Vec<i32> =
                    batch.iter().chain(releases.iter().map(|r| &r.assignment)).map(|a| a.task).collect();
                touched.sort_unstable();
                db::scheduler::lock_tasks(&tx, &touched).await?;
                let stuck = if batch.is_empty() { vec![] } else { db::scheduler::assign(&tx, &batch).await? };
                let mut notes = outbox;
                notes.extend(stuck.iter().map(|a| ToBuilder::Offer(a.task).to_notification(a.host)));
                for (refuse, reason) in [
                    (true, "Assignment timeout"),
                    (false, "host unavailable"),
                    (false, "Freeing task from unresponsive host"),
                ] {
                    let group: Vec<Assignment> = releases
                        .iter()
                        .filter(|r| r.refuse == refuse && r.reason == reason)
                        .map(|r| r.assignment)
                        .collect();
                    if !group.is_empty() {
                        db::scheduler::release(&tx, &group, refuse, reason).await?;
                    }
                }
                db::scheduler::notify_builders(&tx, &notes).await?;
                tx.commit().await?;
                Ok::<_, crate::fault::KojiError>((batch, stuck))
            }
            .into_actor(self)
            .map(move |r, act, ctx| {
                act.busy = false;
                match r {
                    Ok((batch, stuck)) => {
                        let ok: HashSet<Assignment> = stuck.iter().copied().collect();
                        for a in batch.iter().filter(|a| !ok.contains(a)) {
                            act.state.unassign(*a);
                            act.reconcile.insert(a.task);
                        }
                        metrics::counter!("koji_scheduler_assignments_total").increment(stuck.len() as u64);
                        let now_us = chrono::Utc::now().timestamp_micros();
                        for a in &stuck {
                            if let Some(created) = act.state.created(a.task) {
                                let secs = (now_us - created).max(0) as f64 / 1e6;
                                metrics::histogram!("koji_scheduler_placement_latency_seconds").record(secs);
                            }
                        }
                        metrics::histogram!("koji_scheduler_persist_seconds").record(started.elapsed().as_secs_f64());
                        if !stuck.is_empty() {
                            tracing::debug!(
                                assigned = stuck.len(),
                                lost = batch.len() - stuck.len(),
                                "assignments persisted"
                            );
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "persisting assignments failed; rebuilding from the database");
                        act.rebuild = true;
                    }
                }
                act.pump(ctx);
            }),
        );
    }

    fn maintain(&mut self, ctx: &mut Context<Self>) {
        if self.leader.is_none() {
            return;
        }
        let now = Instant::now();
        for a in self.state.expired_assignments(now) {
            self.releases.push(Release { assignment: a, refuse: true, reason: "Assignment timeout" });
        }
        let (due, later): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.grace).into_iter().partition(|(deadline, _, _)| *deadline <= now);
        self.grace = later;
        for (_, host, tasks) in due {
            if !self.state.host_down(host) {
                continue;
            }
            for task in tasks.into_iter().filter(|t| self.state.is_open_on(*t, host)) {
                self.releases.push(Release {
                    assignment: Assignment { task, host },
                    refuse: false,
                    reason: "Freeing task from unresponsive host",
                });
            }
        }
        self.pump(ctx);
    }

    fn expire_silent_hosts(&mut self, ctx: &mut Context<Self>) {
        if self.leader.is_none() {
            return;
        }
        let (pool, secs) = (self.pool.clone(), self.cfg.ready_timeout.as_secs_f64());
        ctx.spawn(async move { db::hosts_live::expire_silent(&pool.get().await?, secs).await }.into_actor(self).map(
            |r, _, _| match r {
                Ok(ids) if !ids.is_empty() => tracing::warn!(hosts = ?ids, "hosts silent past ReadyTimeout: not ready"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "silent-host check failed"),
            },
        ));
    }

    fn export_gauges(&self) {
        for ((channel, arch), depth) in self.state.queue_depths() {
            metrics::gauge!("koji_scheduler_queue_depth", "channel" => channel.to_string(), "arch" => arch.to_string())
                .set(depth as f64);
        }
        let (hosts, ready, capacity, load) = self.state.host_totals();
        metrics::gauge!("koji_scheduler_hosts").set(hosts as f64);
        metrics::gauge!("koji_scheduler_hosts_ready").set(ready as f64);
        metrics::gauge!("koji_scheduler_capacity").set(capacity);
        metrics::gauge!("koji_scheduler_capacity_used").set(load);
    }
}

impl Actor for TaskScheduler {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(65536);
        self.elect(ctx);
        ctx.run_interval(ELECTION_INTERVAL, |act, ctx| act.elect(ctx));
        ctx.run_interval(MAINTENANCE_INTERVAL, |act, ctx| act.maintain(ctx));
        let silent_check = (self.cfg.ready_timeout / 3).clamp(Duration::from_secs(1), SILENT_HOST_CHECK);
        ctx.run_interval(silent_check, |act, ctx| act.expire_silent_hosts(ctx));
    }
}

/// Tasks whose rows changed (from `koji_task` notifications).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Reconcile(pub Vec<i32>);

impl Handler<Reconcile> for TaskScheduler {
    type Result = ();
    fn handle(&mut self, m: Reconcile, ctx: &mut Context<Self>) {
        if self.leader.is_some() {
            self.reconcile.extend(m.0);
            self.pump(ctx);
        }
    }
}

/// A host's configuration or liveness changed (from `koji_host` notifications); `lost` when the hub that
/// tracks it stopped hearing from it (as opposed to the host reporting itself busy).
#[derive(Message)]
#[rtype(result = "()")]
pub struct HostChanged {
    pub host: i32,
    pub lost: bool,
}

impl Handler<HostChanged> for TaskScheduler {
    type Result = ();
    fn handle(&mut self, m: HostChanged, ctx: &mut Context<Self>) {
        if self.leader.is_some() {
            if m.lost {
                self.state.mark_lost(m.host);
            }
            self.reload_hosts.insert(m.host);
            self.pump(ctx);
        }
    }
}

/// Notifications may have been missed (the listener reconnected): rebuild from the database.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Rescan;

impl Handler<Rescan> for TaskScheduler {
    type Result = ();
    fn handle(&mut self, _: Rescan, ctx: &mut Context<Self>) {
        if self.leader.is_some() {
            self.rebuild = true;
            self.pump(ctx);
        }
    }
}

/// Whether this hub's scheduler currently leads.
#[derive(Message)]
#[rtype(result = "bool")]
pub struct IsLeader;

impl Handler<IsLeader> for TaskScheduler {
    type Result = bool;
    fn handle(&mut self, _: IsLeader, _: &mut Context<Self>) -> bool {
        self.leader.is_some()
    }
}
