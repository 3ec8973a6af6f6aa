//! In-memory placement decisions per second at 10,000 hosts, against a baseline in the same run: Koji's
//! algorithm shape (for each task, scan every host of its bin and take the least loaded) on the same data.
//!
//! Run: `cargo bench --bench placement` (prints decisions/s of both and their ratio).

use koji_rs::scheduler::state::{Config, HostSpec, State, TaskRow};
use std::time::{Duration, Instant};

const HOSTS: i32 = 10_000;
const TASKS: i32 = 100_000;
const ARCHES: [&str; 4] = ["x86_64", "aarch64", "ppc64le", "s390x"];

fn config() -> Config {
    Config {
        overcommit: 5.0,
        default_maxjobs: 25,
        soft_refusal_timeout: Duration::from_secs(900),
        assign_timeout: Duration::from_secs(300),
    }
}

fn host(id: i32) -> HostSpec {
    HostSpec {
        id,
        capacity: [8.0, 16.0, 24.0][(id % 3) as usize],
        arches: vec![ARCHES[(id % 4) as usize].to_string()],
        channels: vec![1],
        enabled: true,
        ready: true,
        maxjobs: None,
    }
}

fn task(id: i32) -> TaskRow {
    TaskRow {
        id,
        state: 0,
        host_id: None,
        priority: 20 - (id % 3),
        created: i64::from(id),
        channel_id: 1,
        arch: if id % 5 == 0 { "noarch".into() } else { ARCHES[(id % 4) as usize].into() },
        weight: 1.5,
        waiting: false,
        parent: None,
        awaited: false,
        refused_by: vec![],
        pinned: false,
    }
}

/// The model: tasks queued per bin, hosts indexed by rank.
fn actor_model() -> (usize, Duration) {
    let mut s = State::new(config());
    for h in 1..=HOSTS {
        s.upsert_host(h, Some(host(h)));
    }
    let now = Instant::now();
    for t in 1..=TASKS {
        s.upsert_task(task(t), now);
    }
    let start = Instant::now();
    let placed = s.place(now).len();
    (placed, start.elapsed())
}

/// Koji's shape: tasks in priority order; for each, every host of its bin is checked and the least loaded
/// eligible one taken.
fn linear_scan() -> (usize, Duration) {
    struct H {
        arch: &'static str,
        capacity: f64,
        load: f64,
        ntasks: u32,
    }
    let mut hosts: Vec<H> = (1..=HOSTS)
        .map(|id| H { arch: ARCHES[(id % 4) as usize], capacity: host(id).capacity, load: 0.0, ntasks: 0 })
        .collect();
    let mut tasks: Vec<TaskRow> = (1..=TASKS).map(task).collect();
    tasks.sort_by_key(|t| (t.priority, t.created, t.id));
    let start = Instant::now();
    let mut placed = 0;
    for t in &tasks {
        let best = hosts
            .iter_mut()
            .filter(|h| t.arch == "noarch" || h.arch == t.arch)
            .filter(|h| h.capacity - h.load > (t.weight - 5.0).max(0.0) && h.ntasks < 25)
            .min_by(|a, b| (a.load + f64::from(a.ntasks)).total_cmp(&(b.load + f64::from(b.ntasks))));
        if let Some(h) = best {
            h.load += t.weight;
            h.ntasks += 1;
            placed += 1;
        }
    }
    (placed, start.elapsed())
}

fn main() {
    let (placed, took) = actor_model();
    let ours = placed as f64 / took.as_secs_f64();
    let (base_placed, base_took) = linear_scan();
    let baseline = base_placed as f64 / base_took.as_secs_f64();
    println!("placement at {HOSTS} hosts, {TASKS} FREE tasks (in memory, one core)");
    println!("  koji-rs model : {placed:>7} decisions in {:>8.3} s = {:>12.0} decisions/s", took.as_secs_f64(), ours);
    println!(
        "  linear scan   : {base_placed:>7} decisions in {:>8.3} s = {:>12.0} decisions/s",
        base_took.as_secs_f64(),
        baseline
    );
    println!("  ratio         : {:.1}x", ours / baseline);
}
