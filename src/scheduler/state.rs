//! The scheduler's whole in-memory model: FREE tasks in bins, placed tasks on hosts, hosts indexed per bin by
//! rank. Every method is synchronous and does no I/O; the actor feeds it database rows and persists what
//! `place` decides.

use super::Bin;
use super::queue::{QueueKey, Queues};
use super::rank::HostLoad;
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Tasks a bin may skip (unplaceable: refused everywhere, too heavy) in one placement round before the round
/// moves on; a skipped task never blocks the ones behind it.
const SKIP_LIMIT: usize = 1000;
/// Hosts looked at for one task, in rank order, before it counts as unplaceable for this round.
const SCAN_LIMIT: usize = 256;

/// A task as the database has it (only the fields placement needs).
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRow {
    pub id: i32,
    pub state: i32,
    pub host_id: Option<i32>,
    pub priority: i32,
    /// Creation time, microseconds since the epoch.
    pub created: i64,
    pub channel_id: i32,
    pub arch: String,
    pub weight: f64,
    pub waiting: bool,
    pub parent: Option<i32>,
    pub awaited: bool,
    /// Hosts with a standing refusal: `(host, soft)`.
    pub refused_by: Vec<(i32, bool)>,
    /// Placed without a scheduler run (admin override or pre-assignment): never timed out or reassigned.
    pub pinned: bool,
}

/// A host's configuration and liveness as the database has it.
#[derive(Debug, Clone, PartialEq)]
pub struct HostSpec {
    pub id: i32,
    pub capacity: f64,
    pub arches: Vec<String>,
    /// Enabled channels the host is active in.
    pub channels: Vec<i32>,
    pub enabled: bool,
    pub ready: bool,
    /// What the builder reported; `None` falls back to the hub's `MaxJobs`.
    pub maxjobs: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Assignment {
    pub task: i32,
    pub host: i32,
}

/// Something a builder must hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuilderEvent {
    /// The task left this host (canceled, freed or placed elsewhere): kill the local copy.
    Cancel { host: i32, task: i32 },
    /// An awaited child of this waiting parent finished.
    Wake { host: i32, task: i32 },
    /// The task was assigned to this host outside the scheduler (a pinned subtask, `assignTask`): offer it.
    Offer { host: i32, task: i32 },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Placement {
    Free,
    Assigned { host: i32, at: Instant },
    Open { host: i32 },
}

impl Placement {
    fn host(&self) -> Option<i32> {
        match self {
            Placement::Free => None,
            Placement::Assigned { host, .. } | Placement::Open { host } => Some(*host),
        }
    }
}

struct Task {
    key: QueueKey,
    bin: Bin,
    weight: f64,
    waiting: bool,
    placement: Placement,
    /// Refusing hosts; a soft refusal expires.
    refusals: HashMap<i32, Option<Instant>>,
    pinned: bool,
}

impl Task {
    /// The load this task puts on its host: a waiting parent's weight does not count (Koji excludes it).
    fn load(&self) -> f64 {
        if self.waiting { 0.0 } else { self.weight }
    }

    fn refused(&self, host: i32, now: Instant) -> bool {
        self.refusals.get(&host).is_some_and(|exp| exp.is_none_or(|e| e > now))
    }
}

struct Host {
    spec: HostSpec,
    load: HostLoad,
    bins: Vec<Bin>,
    tasks: HashSet<i32>,
    /// Where the host is in the bin indexes now: its rank and bins.
    indexed: Option<i64>,
    /// Gone for good as far as its tasks are concerned (disabled, or lost: heartbeats missed). A host that is
    /// merely busy (reports not ready, as a stock kojid does at maxjobs) takes no new work but keeps its tasks.
    down: bool,
}

impl Host {
    fn available(&self) -> bool {
        self.spec.enabled && self.spec.ready
    }
}

/// What changed when a host's configuration or liveness was updated.
#[derive(Debug, Default, PartialEq)]
pub struct HostChange {
    /// The host went down (disabled, lost, removed): its ASSIGNED tasks, to free now.
    pub free_now: Vec<i32>,
    /// …and its OPEN tasks, to free once the grace period has passed without it coming back.
    pub open: Vec<i32>,
}

pub struct Config {
    pub overcommit: f64,
    pub default_maxjobs: u32,
    pub soft_refusal_timeout: Duration,
    pub assign_timeout: Duration,
}

pub struct State {
    config: Config,
    tasks: HashMap<i32, Task>,
    hosts: HashMap<i32, Host>,
    queues: Queues,
    /// Per bin, the hosts that can take work, ordered by (rank, host id).
    index: HashMap<Bin, BTreeSet<(i64, i32)>>,
    /// Bins where something changed since the last `place`.
    pending: HashSet<Bin>,
    arches: HashMap<String, Arc<str>>,
    /// Hosts reported lost (missed heartbeats, silent) and not ready since.
    lost: HashSet<i32>,
}

impl State {
    pub fn new(config: Config) -> Self {
        State {
            config,
            tasks: HashMap::new(),
            hosts: HashMap::new(),
            queues: Queues::default(),
            index: HashMap::new(),
            pending: HashSet::new(),
            arches: HashMap::new(),
            lost: HashSet::new(),
        }
    }

    pub fn clear(&mut self) {
        self.tasks.clear();
        self.hosts.clear();
        self.queues.clear();
        self.index.clear();
        self.pending.clear();
        self.lost.clear();
    }

    fn bin(&mut self, channel: i32, arch: &str) -> Bin {
        let interned = self.arches.entry(arch.to_owned()).or_insert_with(|| Arc::from(arch)).clone();
        (channel, interned)
    }

    /// Takes the task's load off its host, or it out of its queue.
    fn detach(&mut self, id: i32) -> Option<Task> {
        let task = self.tasks.remove(&id)?;
        match task.placement {
            Placement::Free => self.queues.remove(&task.bin, &task.key),
            Placement::Assigned { host, .. } | Placement::Open { host } => self.release(host, id, task.load()),
        }
        Some(task)
    }

    fn release(&mut self, host: i32, task: i32, load: f64) {
        if let Some(h) = self.hosts.get_mut(&host)
            && h.tasks.remove(&task)
        {
            h.load.load = (h.load.load - load).max(0.0);
            h.load.ntasks = h.load.ntasks.saturating_sub(1);
            let bins = h.bins.clone();
            self.pending.extend(bins);
            self.reindex(host);
        }
    }

    fn occupy(&mut self, host: i32, task: i32, load: f64) {
        if let Some(h) = self.hosts.get_mut(&host)
            && h.tasks.insert(task)
        {
            h.load.load += load;
            h.load.ntasks += 1;
            self.reindex(host);
        }
    }

    /// Brings a task in line with its database row; returns what builders must be told.
    pub fn upsert_task(&mut self, row: TaskRow, now: Instant) -> Vec<BuilderEvent> {
        let old = self.detach(row.id);
        let mut events = vec![];
        let new_host = match row.state {
            crate::db::tasks::ASSIGNED | crate::db::tasks::OPEN => row.host_id,
            _ => None,
        };
        if let Some(old_host) = old.as_ref().and_then(|t| t.placement.host()) {
            let finished_here = matches!(row.state, crate::db::tasks::CLOSED | crate::db::tasks::FAILED);
            if new_host != Some(old_host) && !finished_here {
                events.push(BuilderEvent::Cancel { host: old_host, task: row.id });
            }
        }
        let finished =
            matches!(row.state, crate::db::tasks::CLOSED | crate::db::tasks::FAILED | crate::db::tasks::CANCELED);
        if finished {
            if let (Some(p), true) = (row.parent, row.awaited)
                && let Some(parent) = self.tasks.get(&p)
                && parent.waiting
                && let Placement::Open { host } = parent.placement
            {
                events.push(BuilderEvent::Wake { host, task: p });
            }
            return events;
        }
        let bin = self.bin(row.channel_id, &row.arch);
        let key = QueueKey { priority: row.priority, created: row.created, id: row.id };
        let expiry = now + self.config.soft_refusal_timeout;
        let refusals = row.refused_by.iter().map(|&(h, soft)| (h, soft.then_some(expiry))).collect();
        let placement = match (row.state, row.host_id) {
            (crate::db::tasks::ASSIGNED, Some(host)) => {
                let at = match old.as_ref().map(|t| t.placement) {
                    Some(Placement::Assigned { host: h, at }) if h == host => at,
                    _ => now,
                };
                Placement::Assigned { host, at }
            }
            (crate::db::tasks::OPEN, Some(host)) => Placement::Open { host },
            _ => Placement::Free,
        };
        // The scheduler's own assignments are in the model before their rows change (and offered when
        // persisted); an assignment the model did not have was made elsewhere.
        if let Placement::Assigned { host, .. } = placement
            && old.as_ref().and_then(|t| t.placement.host()) != Some(host)
        {
            events.push(BuilderEvent::Offer { host, task: row.id });
        }
        let task = Task {
            key,
            bin: bin.clone(),
            weight: row.weight,
            waiting: row.waiting,
            placement,
            refusals,
            pinned: row.pinned,
        };
        let load = task.load();
        self.tasks.insert(row.id, task);
        match placement {
            Placement::Free => {
                self.queues.push(&bin, key);
                self.pending.insert(bin);
            }
            Placement::Assigned { host, .. } | Placement::Open { host } => self.occupy(host, row.id, load),
        }
        events
    }

    /// The task no longer exists in the database.
    pub fn remove_task(&mut self, id: i32) {
        self.detach(id);
    }

    /// The host was heard to be lost (its notification said so); applied at its next `upsert_host`, and
    /// forgotten once it reports ready again.
    pub fn mark_lost(&mut self, id: i32) {
        self.lost.insert(id);
    }

    /// Brings a host in line with its database rows (or removes it with `None`).
    pub fn upsert_host(&mut self, id: i32, spec: Option<HostSpec>) -> HostChange {
        let was_down = self.hosts.get(&id).is_none_or(|h| h.down);
        let tasks: Vec<i32> = self.hosts.get(&id).map(|h| h.tasks.iter().copied().collect()).unwrap_or_default();
        if let Some(old) = self.hosts.get(&id) {
            let old_bins = old.bins.clone();
            self.pending.extend(old_bins);
        }
        self.unindex(id);
        match spec {
            None => {
                self.hosts.remove(&id);
            }
            Some(spec) => {
                let mut bins = vec![];
                for &c in &spec.channels {
                    for a in spec.arches.iter().map(String::as_str).chain(["noarch"]) {
                        let b = self.bin(c, a);
                        if !bins.contains(&b) {
                            bins.push(b);
                        }
                    }
                }
                let maxjobs = spec.maxjobs.filter(|m| *m > 0).unwrap_or(self.config.default_maxjobs);
                let (load, ntasks) =
                    tasks.iter().filter_map(|t| self.tasks.get(t)).fold((0.0, 0), |(l, n), t| (l + t.load(), n + 1));
                if spec.ready {
                    self.lost.remove(&id);
                }
                let down = !spec.enabled || self.lost.contains(&id);
                let host = Host {
                    load: HostLoad { capacity: spec.capacity, load, ntasks, maxjobs },
                    spec,
                    bins: bins.clone(),
                    tasks: tasks.iter().copied().collect(),
                    indexed: None,
                    down,
                };
                self.hosts.insert(id, host);
                self.pending.extend(bins);
                self.reindex(id);
            }
        }
        let mut change = HostChange::default();
        if !was_down && self.host_down(id) || !self.hosts.contains_key(&id) {
            for t in tasks {
                match self.tasks.get(&t).map(|t| (t.placement, t.pinned)) {
                    Some((Placement::Assigned { .. }, false)) => change.free_now.push(t),
                    Some((Placement::Open { .. }, _)) => change.open.push(t),
                    _ => {}
                }
            }
        }
        change.free_now.sort_unstable();
        change.open.sort_unstable();
        change
    }

    /// Whether the host is down (disabled, lost or gone): after a grace period, its OPEN tasks must go.
    pub fn host_down(&self, id: i32) -> bool {
        self.hosts.get(&id).is_none_or(|h| h.down)
    }

    /// Whether `task` is still OPEN on `host` in the model.
    pub fn is_open_on(&self, task: i32, host: i32) -> bool {
        self.tasks.get(&task).is_some_and(|t| t.placement == Placement::Open { host })
    }

    fn unindex(&mut self, id: i32) {
        let Some(h) = self.hosts.get_mut(&id) else { return };
        if let Some(rank) = h.indexed.take() {
            for b in &h.bins {
                if let Some(set) = self.index.get_mut(b) {
                    set.remove(&(rank, id));
                }
            }
        }
    }

    fn reindex(&mut self, id: i32) {
        self.unindex(id);
        let Some(h) = self.hosts.get_mut(&id) else { return };
        if h.available() && h.load.has_room() {
            let rank = h.load.rank();
            h.indexed = Some(rank);
            for b in &h.bins {
                self.index.entry(b.clone()).or_default().insert((rank, id));
            }
        }
    }

    fn choose_host(&self, task: &Task, now: Instant) -> Option<i32> {
        let candidates = self.index.get(&task.bin)?;
        candidates
            .iter()
            .take(SCAN_LIMIT)
            .map(|&(_, id)| id)
            .find(|id| !task.refused(*id, now) && self.hosts[id].load.admits(task.weight, self.config.overcommit))
    }

    /// Places whatever can be placed in the bins that changed, highest priority first across bins.
    pub fn place(&mut self, now: Instant) -> Vec<Assignment> {
        let mut out = vec![];
        let mut heads: BinaryHeap<Reverse<(QueueKey, Bin)>> = BinaryHeap::new();
        let mut skipped: HashMap<Bin, usize> = HashMap::new();
        for bin in self.pending.drain() {
            if self.index.get(&bin).is_some_and(|s| !s.is_empty())
                && let Some(k) = self.queues.after(&bin, None).next()
            {
                heads.push(Reverse((k, bin)));
            }
        }
        while let Some(Reverse((key, bin))) = heads.pop() {
            let chosen = self.tasks.get(&key.id).and_then(|t| self.choose_host(t, now));
            match chosen {
                Some(host) => {
                    let task = self.tasks.get_mut(&key.id).expect("queued task exists");
                    task.placement = Placement::Assigned { host, at: now };
                    task.pinned = false;
                    let load = task.load();
                    self.queues.remove(&bin, &key);
                    self.occupy(host, key.id, load);
                    out.push(Assignment { task: key.id, host });
                }
                None => *skipped.entry(bin.clone()).or_default() += 1,
            }
            let bin_has_hosts = self.index.get(&bin).is_some_and(|s| !s.is_empty());
            if bin_has_hosts
                && skipped.get(&bin).copied().unwrap_or(0) < SKIP_LIMIT
                && let Some(next) = self.queues.after(&bin, Some(key)).next()
            {
                heads.push(Reverse((next, bin)));
            }
        }
        out
    }

    /// Undoes an assignment the database refused (the task changed meanwhile); the caller re-reads the task.
    pub fn unassign(&mut self, a: Assignment) {
        if self.tasks.get(&a.task).is_some_and(|t| t.placement.host() == Some(a.host)) {
            self.detach(a.task);
        }
    }

    /// Memory-only housekeeping: ASSIGNED tasks never opened within `AssignTimeout` (to free, with an implicit
    /// soft refusal), and bins whose soft refusals expired get another placement round.
    pub fn expired_assignments(&mut self, now: Instant) -> Vec<Assignment> {
        let timeout = self.config.assign_timeout;
        let mut out = vec![];
        let mut refresh = vec![];
        for (id, t) in &mut self.tasks {
            if let Placement::Assigned { host, at } = t.placement
                && !t.pinned
                && now.duration_since(at) >= timeout
            {
                out.push(Assignment { task: *id, host });
            }
            let before = t.refusals.len();
            t.refusals.retain(|_, exp| exp.is_none_or(|e| e > now));
            if t.refusals.len() != before && t.placement == Placement::Free {
                refresh.push(t.bin.clone());
            }
        }
        self.pending.extend(refresh);
        out.sort_unstable_by_key(|a| a.task);
        out
    }

    /// Queue depth per bin (for metrics and `scheduler-info`).
    pub fn queue_depths(&self) -> Vec<(Bin, usize)> {
        let mut v: Vec<(Bin, usize)> = self.queues.bins().map(|(b, n)| (b.clone(), n)).collect();
        v.sort();
        v
    }

    /// `(hosts, ready hosts, capacity of ready hosts, load on them)`.
    pub fn host_totals(&self) -> (usize, usize, f64, f64) {
        let ready: Vec<&Host> = self.hosts.values().filter(|h| h.available()).collect();
        let capacity = ready.iter().map(|h| h.load.capacity).sum();
        let load = ready.iter().map(|h| h.load.load).sum();
        (self.hosts.len(), ready.len(), capacity, load)
    }

    /// When a task was created (microseconds since the epoch), for placement-latency metrics.
    pub fn created(&self, task: i32) -> Option<i64> {
        self.tasks.get(&task).map(|t| t.key.created)
    }

    pub fn task_count(&self) -> usize {
        self.tasks.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::tasks::{ASSIGNED, CANCELED, CLOSED, FREE, OPEN};

    fn config() -> Config {
        Config {
            overcommit: 5.0,
            default_maxjobs: 15,
            soft_refusal_timeout: Duration::from_secs(900),
            assign_timeout: Duration::from_secs(300),
        }
    }

    fn host(id: i32, arches: &[&str], channels: &[i32], capacity: f64) -> HostSpec {
        HostSpec {
            id,
            capacity,
            arches: arches.iter().map(|a| a.to_string()).collect(),
            channels: channels.to_vec(),
            enabled: true,
            ready: true,
            maxjobs: None,
        }
    }

    fn task(id: i32, priority: i32, arch: &str, channel: i32) -> TaskRow {
        TaskRow {
            id,
            state: FREE,
            host_id: None,
            priority,
            created: i64::from(id),
            channel_id: channel,
            arch: arch.into(),
            weight: 1.0,
            waiting: false,
            parent: None,
            awaited: false,
            refused_by: vec![],
            pinned: false,
        }
    }

    #[test]
    fn places_by_arch_channel_and_priority() {
        let now = Instant::now();
        let mut s = State::new(config());
        s.upsert_host(1, Some(host(1, &["x86_64"], &[1], 2.0)));
        s.upsert_host(2, Some(host(2, &["aarch64"], &[1], 2.0)));
        s.upsert_task(task(10, 20, "aarch64", 1), now);
        s.upsert_task(task(11, 20, "x86_64", 2), now); // no host in channel 2
        s.upsert_task(task(12, 19, "noarch", 1), now);
        s.upsert_task(task(13, 20, "s390x", 1), now);
        let mut placed = s.place(now);
        placed.sort_by_key(|a| a.task);
        // noarch goes to the lowest-ranked host (tie: lower id); arch tasks only where the arch is.
        assert_eq!(placed, vec![Assignment { task: 10, host: 2 }, Assignment { task: 12, host: 1 }]);
    }

    #[test]
    fn capacity_maxjobs_and_rank() {
        let now = Instant::now();
        let mut s = State::new(config());
        s.upsert_host(1, Some(HostSpec { maxjobs: Some(2), ..host(1, &["x86_64"], &[1], 10.0) }));
        s.upsert_host(2, Some(host(2, &["x86_64"], &[1], 1.5)));
        for id in 1..=6 {
            s.upsert_task(task(id, 20, "x86_64", 1), now);
        }
        let placed = s.place(now);
        // Host 1 stops at maxjobs 2; host 2 (capacity 1.5) admits while capacity − load > 0, as Koji does for
        // light tasks, so it takes a second one at load 1.0 and is then full. Ranks alternate the hosts.
        assert_eq!(
            placed,
            vec![
                Assignment { task: 1, host: 1 },
                Assignment { task: 2, host: 2 },
                Assignment { task: 3, host: 1 },
                Assignment { task: 4, host: 2 },
            ]
        );
        // A finished task frees capacity and the next in line is placed there.
        let mut done = task(1, 20, "x86_64", 1);
        done.state = CLOSED;
        done.host_id = Some(1);
        assert!(s.upsert_task(done, now).is_empty());
        assert_eq!(s.place(now), vec![Assignment { task: 5, host: 1 }]);
    }

    #[test]
    fn refused_and_heavy_tasks_are_skipped_not_blocking() {
        let now = Instant::now();
        let mut s = State::new(config());
        s.upsert_host(1, Some(host(1, &["x86_64"], &[1], 4.0)));
        let mut refused = task(1, 10, "x86_64", 1);
        refused.refused_by = vec![(1, false)];
        s.upsert_task(refused, now);
        let mut heavy = task(2, 11, "x86_64", 1);
        heavy.weight = 19.5;
        s.upsert_task(heavy, now);
        s.upsert_task(task(3, 20, "x86_64", 1), now);
        assert_eq!(s.place(now), vec![Assignment { task: 3, host: 1 }]);
    }

    #[test]
    fn soft_refusals_expire() {
        let now = Instant::now();
        let mut s = State::new(config());
        s.upsert_host(1, Some(host(1, &["x86_64"], &[1], 4.0)));
        let mut t = task(1, 20, "x86_64", 1);
        t.refused_by = vec![(1, true)];
        s.upsert_task(t, now);
        assert!(s.place(now).is_empty());
        let later = now + Duration::from_secs(901);
        assert!(s.expired_assignments(later).is_empty());
        assert_eq!(s.place(later), vec![Assignment { task: 1, host: 1 }]);
    }

    #[test]
    fn host_loss_frees_assigned_now_and_reports_open() {
        let now = Instant::now();
        let mut s = State::new(config());
        s.upsert_host(1, Some(host(1, &["x86_64"], &[1], 8.0)));
        s.upsert_task(TaskRow { state: ASSIGNED, host_id: Some(1), ..task(1, 20, "x86_64", 1) }, now);
        s.upsert_task(TaskRow { state: OPEN, host_id: Some(1), ..task(2, 20, "x86_64", 1) }, now);
        s.upsert_task(TaskRow { state: ASSIGNED, host_id: Some(1), pinned: true, ..task(3, 20, "x86_64", 1) }, now);
        s.mark_lost(1);
        let change = s.upsert_host(1, Some(HostSpec { ready: false, ..host(1, &["x86_64"], &[1], 8.0) }));
        assert_eq!(change, HostChange { free_now: vec![1], open: vec![2] });
        assert!(s.host_down(1));
        assert!(s.is_open_on(2, 1));
        // Back again: no longer down.
        s.upsert_host(1, Some(host(1, &["x86_64"], &[1], 8.0)));
        assert!(!s.host_down(1));
    }

    #[test]
    fn a_busy_host_keeps_its_tasks() {
        let now = Instant::now();
        let mut s = State::new(config());
        s.upsert_host(1, Some(host(1, &["x86_64"], &[1], 8.0)));
        s.upsert_task(TaskRow { state: ASSIGNED, host_id: Some(1), ..task(1, 20, "x86_64", 1) }, now);
        s.upsert_task(TaskRow { state: OPEN, host_id: Some(1), ..task(2, 20, "x86_64", 1) }, now);
        s.upsert_task(task(3, 20, "x86_64", 1), now);
        let change = s.upsert_host(1, Some(HostSpec { ready: false, ..host(1, &["x86_64"], &[1], 8.0) }));
        assert_eq!(change, HostChange::default());
        assert!(!s.host_down(1));
        assert!(s.place(now).is_empty(), "a host that is not ready takes no new work");
        // Then it dies while busy: now its tasks go.
        s.mark_lost(1);
        let change = s.upsert_host(1, Some(HostSpec { ready: false, ..host(1, &["x86_64"], &[1], 8.0) }));
        assert_eq!(change, HostChange { free_now: vec![1], open: vec![2] });
    }

    #[test]
    fn cancel_and_wake_events() {
        let now = Instant::now();
        let mut s = State::new(config());
        s.upsert_host(1, Some(host(1, &["x86_64"], &[1], 8.0)));
        s.upsert_task(TaskRow { state: OPEN, host_id: Some(1), waiting: true, ..task(1, 20, "noarch", 1) }, now);
        s.upsert_task(
            TaskRow { state: OPEN, host_id: Some(1), parent: Some(1), awaited: true, ..task(2, 19, "x86_64", 1) },
            now,
        );
        let events = s.upsert_task(
            TaskRow { state: CLOSED, host_id: Some(1), parent: Some(1), awaited: true, ..task(2, 19, "x86_64", 1) },
            now,
        );
        assert_eq!(events, vec![BuilderEvent::Wake { host: 1, task: 1 }]);
        let events = s.upsert_task(TaskRow { state: CANCELED, host_id: Some(1), ..task(1, 20, "noarch", 1) }, now);
        assert_eq!(events, vec![BuilderEvent::Cancel { host: 1, task: 1 }]);
    }

    #[test]
    fn placed_tasks_are_never_pinned() {
        let now = Instant::now();
        let mut s = State::new(config());
        s.upsert_host(1, Some(host(1, &["x86_64"], &[1], 8.0)));
        s.upsert_task(TaskRow { pinned: true, ..task(1, 20, "x86_64", 1) }, now);
        assert_eq!(s.place(now).len(), 1);
        let change = s.upsert_host(1, Some(HostSpec { enabled: false, ..host(1, &["x86_64"], &[1], 8.0) }));
        assert_eq!(change.free_now, vec![1]);
    }

    #[test]
    fn assignments_time_out_unless_pinned() {
        let now = Instant::now();
        let mut s = State::new(config());
        s.upsert_host(1, Some(host(1, &["x86_64"], &[1], 8.0)));
        s.upsert_task(task(1, 20, "x86_64", 1), now);
        s.upsert_task(TaskRow { state: ASSIGNED, host_id: Some(1), pinned: true, ..task(2, 20, "x86_64", 1) }, now);
        assert_eq!(s.place(now).len(), 1);
        assert!(s.expired_assignments(now + Duration::from_secs(10)).is_empty());
        assert_eq!(s.expired_assignments(now + Duration::from_secs(301)), vec![Assignment { task: 1, host: 1 }]);
    }

    #[test]
    fn assignments_made_elsewhere_are_offered_once() {
        let now = Instant::now();
        let mut s = State::new(config());
        s.upsert_host(1, Some(host(1, &["x86_64"], &[1], 8.0)));
        let pinned = TaskRow { state: ASSIGNED, host_id: Some(1), pinned: true, ..task(1, 20, "x86_64", 1) };
        assert_eq!(s.upsert_task(pinned.clone(), now), vec![BuilderEvent::Offer { host: 1, task: 1 }]);
        assert!(s.upsert_task(pinned, now).is_empty());
        // The scheduler's own assignment is offered when persisted, not again when its row comes back.
        s.upsert_task(task(2, 20, "x86_64", 1), now);
        assert_eq!(s.place(now), vec![Assignment { task: 2, host: 1 }]);
        assert!(
            s.upsert_task(TaskRow { state: ASSIGNED, host_id: Some(1), ..task(2, 20, "x86_64", 1) }, now).is_empty()
        );
    }
}
