//! `HostRegistry` owns the live state of the builders that talk to this hub: what each last reported (load,
//! ready, scheduler data), when it was last heard from, and its push connection.
//!
//! A heartbeat (a push `Heartbeat` frame or a polling builder's `host.updateHost`) changes memory only. The
//! `host` row is written when the effective readiness flips (reported ready and heard from recently enough),
//! `scheduler_host_data` when the reported `maxjobs` changes (other reported data, such as free memory, at most
//! once per flush), and `update_time` of every host heard from in one statement per flush (a minute). Each
//! readiness or maxjobs write also does `pg_notify('koji_host', id)`, which the scheduler leader (on whichever
//! hub) reconciles. A heartbeat that changes nothing costs no statement at all.

use super::NamedActor;
use crate::db::Pool;
use crate::protocol::ToBuilder;
use actix::prelude::*;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

pub struct Liveness {
    /// Push builders are not ready after this many missed heartbeats.
    pub missed_heartbeats: u32,
    pub heartbeat_interval: Duration,
    /// Polling builders (stock kojid) are not ready after this long without `updateHost` (Koji's ReadyTimeout).
    pub ready_timeout: Duration,
    pub update_time_flush: Duration,
}

struct Live {
    reported_ready: bool,
    task_load: f64,
    last_seen: Instant,
    /// What the `host` row says, as far as this hub wrote it, and whether the host was alive then.
    written: Option<(bool, bool)>,
    /// Reported data not written yet, and what was written last.
    data: Option<serde_json::Value>,
    written_data: Option<serde_json::Value>,
    push: Option<Recipient<ToBuilder>>,
    /// It spoke the push protocol; once its stream is gone it cannot be offered work.
    pushed: bool,
    seen_since_flush: bool,
}

impl Live {
    fn new(now: Instant, pushed: bool) -> Live {
        Live {
            reported_ready: false,
            task_load: 0.0,
            last_seen: now,
            written: None,
            data: None,
            written_data: None,
            push: None,
            pushed,
            seen_since_flush: pushed,
        }
    }

    /// Heard from recently enough: push builders within their missed heartbeats (and still connected),
    /// polling builders within `ReadyTimeout`.
    fn alive(&self, now: Instant, missed: Duration, ready_timeout: Duration) -> bool {
        if self.pushed && self.push.is_none() {
            return false;
        }
        now.duration_since(self.last_seen) <= if self.pushed { missed } else { ready_timeout }
    }

    /// Pending data the scheduler needs now: a changed `maxjobs` (free memory and the like can wait).
    fn data_urgent(&self) -> bool {
        let maxjobs = |d: Option<&serde_json::Value>| d.and_then(|d| d.get("maxjobs")).cloned();
        self.data.is_some() && maxjobs(self.data.as_ref()) != maxjobs(self.written_data.as_ref())
    }
}

/// How long a readiness change waits for others to share its transaction.
const SYNC_DELAY: Duration = Duration::from_millis(5);

pub struct HostRegistry {
    pool: Pool,
    liveness: Liveness,
    hosts: HashMap<i32, Live>,
    /// Hosts to sync at the next `sync_soon` round.
    changed: HashSet<i32>,
    sync_scheduled: bool,
}

impl NamedActor for HostRegistry {
    const NAME: &'static str = "HostRegistry";
}

impl HostRegistry {
    pub fn new(pool: Pool, liveness: Liveness) -> Self {
        HostRegistry { pool, liveness, hosts: HashMap::new(), changed: HashSet::new(), sync_scheduled: false }
    }

    /// Syncs `host` soon, with whatever else changed meanwhile: a fleet connecting at once (or a hub restart)
    /// costs one transaction per few milliseconds, not one per host.
    fn sync_soon(&mut self, ctx: &mut Context<Self>, host: i32) {
        self.changed.insert(host);
        if !self.sync_scheduled {
            self.sync_scheduled = true;
            ctx.run_later(SYNC_DELAY, |act, ctx| {
                act.sync_scheduled = false;
                let ids = std::mem::take(&mut act.changed);
                act.sync(ctx, Some(&ids), false);
            });
        }
    }

    /// Writes readiness changes for the given hosts (all with `None`) whose effective state moved, and their
    /// pending scheduler data: urgent data always, the rest only with `all_data` (the periodic flush).
    fn sync(&mut self, ctx: &mut Context<Self>, only: Option<&HashSet<i32>>, all_data: bool) {
        let now = Instant::now();
        let lag = self.hosts.values().filter(|l| l.reported_ready).map(|l| now.duration_since(l.last_seen)).max();
        metrics::gauge!("koji_host_heartbeat_lag_seconds").set(lag.unwrap_or_default().as_secs_f64());
        let mut ready_changes = vec![];
        let mut data_changes = vec![];
        let (missed, ready_timeout) =
            (self.liveness.heartbeat_interval * self.liveness.missed_heartbeats, self.liveness.ready_timeout);
        for (&id, live) in self.hosts.iter_mut().filter(|(id, _)| only.is_none_or(|o| o.contains(id))) {
            let alive = live.alive(now, missed, ready_timeout);
            let ready = live.reported_ready && alive;
            if live.written != Some((ready, alive)) {
                // A host going silent while it was already not ready (busy) must still be reported lost.
                let newly_lost = !alive && live.written.is_none_or(|(_, was_alive)| was_alive);
                live.written = Some((ready, alive));
                ready_changes.push(crate::db::hosts_live::ReadyChange {
                    host: id,
                    ready,
                    load: live.task_load,
                    lost: newly_lost,
                });
                if newly_lost {
                    tracing::warn!(host = id, "host missed its heartbeats: lost");
                }
            }
            if live.data.is_some()
                && (all_data || live.data_urgent())
                && let Some(d) = live.data.take()
            {
                live.written_data = Some(d.clone());
                data_changes.push((id, d));
            }
        }
        if ready_changes.is_empty() && data_changes.is_empty() {
            return;
        }
        let pool = self.pool.clone();
        ctx.spawn(
            async move {
                let result = async {
                    let mut client = pool.get().await?;
                    let tx = client.transaction().await?;
                    if !ready_changes.is_empty() {
                        crate::db::hosts_live::set_ready(&tx, &ready_changes).await?;
                    }
                    for (id, data) in &data_changes {
                        crate::db::hosts_live::set_data(&tx, *id, data).await?;
                    }
                    tx.commit().await?;
                    Ok::<_, crate::fault::KojiError>(())
                }
                .await;
                if let Err(e) = result {
                    tracing::error!(error = %e, "could not record host readiness");
                }
            }
            .into_actor(self),
        );
        metrics::gauge!("koji_hosts_ready")
            .set(self.hosts.values().filter(|l| l.written.is_some_and(|(ready, _)| ready)).count() as f64);
    }

    fn flush_update_time(&mut self, ctx: &mut Context<Self>) {
        let ids: Vec<i32> = self
            .hosts
            .iter_mut()
            .filter_map(|(id, l)| std::mem::take(&mut l.seen_since_flush).then_some(*id))
            .collect();
        if ids.is_empty() {
            return;
        }
        let pool = self.pool.clone();
        ctx.spawn(
            async move {
                let result = async { crate::db::hosts_live::touch(&pool.get().await?, &ids).await }.await;
                if let Err(e) = result {
                    tracing::warn!(error = %e, "could not record host update times");
                }
            }
            .into_actor(self),
        );
    }
}

impl Actor for HostRegistry {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(4096);
        ctx.run_interval(Duration::from_secs(1), |act, ctx| act.sync(ctx, None, false));
        ctx.run_interval(self.liveness.update_time_flush, |act, ctx| {
            act.sync(ctx, None, true);
            act.flush_update_time(ctx);
        });
    }
}

/// A builder's report of itself: `host.updateHost` or a push heartbeat.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Report {
    pub host: i32,
    pub task_load: f64,
    pub ready: bool,
    pub data: Option<serde_json::Value>,
}

impl Handler<Report> for HostRegistry {
    type Result = ();
    fn handle(&mut self, m: Report, ctx: &mut Context<Self>) {
        let now = Instant::now();
        let live = self.hosts.entry(m.host).or_insert_with(|| Live::new(now, false));
        let flips = live.reported_ready != m.ready || live.written.is_none();
        live.reported_ready = m.ready;
        live.task_load = m.task_load;
        live.last_seen = now;
        live.seen_since_flush = true;
        if let Some(d) = m.data {
            live.data = (live.written_data.as_ref() != Some(&d)).then_some(d);
        }
        metrics::counter!("koji_host_heartbeats_total").increment(1);
        if flips || live.data_urgent() {
            self.sync_soon(ctx, m.host);
        }
    }
}

/// A push builder connected (or reconnected) to this hub.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Attach {
    pub host: i32,
    pub session: Recipient<ToBuilder>,
}

impl Handler<Attach> for HostRegistry {
    type Result = ();
    fn handle(&mut self, m: Attach, _: &mut Context<Self>) {
        let now = Instant::now();
        let live = self.hosts.entry(m.host).or_insert_with(|| Live::new(now, true));
        live.push = Some(m.session);
        live.pushed = true;
        live.last_seen = now;
        metrics::gauge!("koji_hosts_connected").set(self.hosts.values().filter(|l| l.push.is_some()).count() as f64);
    }
}

/// A push connection closed; the host stays known until its heartbeats are missed.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Detach {
    pub host: i32,
    pub session: Recipient<ToBuilder>,
}

impl Handler<Detach> for HostRegistry {
    type Result = ();
    fn handle(&mut self, m: Detach, ctx: &mut Context<Self>) {
        if let Some(live) = self.hosts.get_mut(&m.host)
            && live.push.as_ref() == Some(&m.session)
        {
            live.push = None;
            self.sync_soon(ctx, m.host);
        }
        metrics::gauge!("koji_hosts_connected").set(self.hosts.values().filter(|l| l.push.is_some()).count() as f64);
    }
}

/// Something for a builder, from the scheduler leader (through `koji_builder` notifications).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Deliver {
    pub host: i32,
    pub message: ToBuilder,
}

impl Handler<Deliver> for HostRegistry {
    type Result = ();
    fn handle(&mut self, m: Deliver, _: &mut Context<Self>) {
        if let Some(push) = self.hosts.get(&m.host).and_then(|l| l.push.as_ref()) {
            push.do_send(m.message);
        }
    }
}
