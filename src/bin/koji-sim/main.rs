//! `koji-sim`: a fleet of simulated builders in one process, against a running hub, and the numbers of the
//! scheduler benchmark (spec `koji-scheduler.md` §6.4–6.5; `deploy/bench/scheduler.sh` runs it).
//!
//! A run: create N hosts with sessions (SQL through `--db`), connect them (push streams, or kojid-style
//! polling loops), then three phases, each measured:
//! 1. *idle*: every host connected and idle for `--idle-secs`: database commits, tuples written and WAL per
//!    idle host per minute (`pg_stat_database`, whose counters lag up to ~10 s, hence the settling time
//!    before the first snapshot; the window is long enough for the lag to cancel out);
//! 2. *trees*: `--trees` parents (`build`) made by the admin with `makeTask` at `--rate`/s, each making
//!    `--children` labelled `buildArch` children and waiting for them: FREE→ASSIGNED and FREE→OPEN
//!    percentiles from the task and run rows, and parent wake latency (last child's `completion_time` to the
//!    `Wake` the builder received, or the `alert` a polling builder saw);
//! 3. *burst*: `--burst` FREE tasks inserted in one transaction (announced as `makeTask` does): durable
//!    placements per second (first run rows over the burst), and the same percentiles.
//!
//! Task run times are `--duration-ms lo-hi` (uniform): short on purpose, to measure coordination; the poll
//! interval and the hub's timeouts are not compressed.

mod builders;
mod db;

use anyhow::{Context as _, bail};
use builders::Fleet;
use clap::{Parser, ValueEnum};
use koji_rs::builder::hub_client::HubClient;
use koji_rs::xmlrpc::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, ValueEnum)]
enum Mode {
    Push,
    Poll,
}

#[derive(Parser)]
#[command(about = "Simulated builder fleet and scheduler benchmark for koji-rs")]
struct Args {
    /// The hub's XML-RPC endpoint.
    #[arg(long)]
    hub: String,
    /// libpq-style connection string of the hub's database (host=… port=… user=… dbname=…).
    #[arg(long)]
    db: String,
    #[arg(long, value_enum)]
    mode: Mode,
    #[arg(long)]
    hosts: usize,
    /// Host names are `<prefix>-<i>`; use a new prefix per run on the same database.
    #[arg(long)]
    prefix: String,
    #[arg(long, default_value = "kojiadmin")]
    admin: String,
    #[arg(long)]
    admin_password_file: std::path::PathBuf,
    /// The hub's process id, for its CPU time and memory.
    #[arg(long)]
    hub_pid: Option<u32>,
    #[arg(long, default_value = "x86_64,aarch64,ppc64le,s390x", value_delimiter = ',')]
    arches: Vec<String>,
    #[arg(long, default_value_t = 8.0)]
    capacity: f64,
    #[arg(long, default_value_t = 4)]
    maxjobs: u32,
    #[arg(long, default_value_t = 60)]
    idle_secs: u64,
    /// Wait before the idle window: past the first coalesced flushes of sessions and host update times
    /// (60 s) and the ~10 s by which pg_stat_database lags, so the window sees the steady state.
    #[arg(long, default_value_t = 75)]
    settle_secs: u64,
    #[arg(long, default_value_t = 100)]
    trees: usize,
    #[arg(long, default_value_t = 4)]
    children: usize,
    /// Trees submitted per second.
    #[arg(long, default_value_t = 10.0)]
    rate: f64,
    /// Leaf task run time, uniform in LO-HI milliseconds.
    #[arg(long, default_value = "0-200")]
    duration_ms: String,
    #[arg(long, default_value_t = 0)]
    burst: usize,
    /// kojid's `sleeptime` (poll mode), seconds.
    #[arg(long, default_value_t = 15)]
    sleeptime: u64,
    /// WebSocket handshakes in flight while connecting (push mode).
    #[arg(long, default_value_t = 64)]
    connect_concurrency: usize,
    /// XML-RPC calls in flight across the fleet.
    #[arg(long, default_value_t = 64)]
    rpc_concurrency: usize,
    /// Give up on a phase after this long.
    #[arg(long, default_value_t = 900)]
    phase_timeout: u64,
}

fn parse_range(s: &str) -> anyhow::Result<(u64, u64)> {
    let (lo, hi) = s.split_once('-').unwrap_or((s, s));
    let (lo, hi) = (lo.trim().parse()?, hi.trim().parse()?);
    if lo > hi {
        bail!("--duration-ms: {lo} > {hi}");
    }
    Ok((lo, hi))
}

/// CPU seconds (user + system) and resident/peak memory of a process, from /proc.
struct ProcSample {
    cpu_secs: f64,
    rss_mb: f64,
    peak_rss_mb: f64,
}

fn proc_sample(pid: &str) -> Option<ProcSample> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields, in clock
    // ticks, which Linux reports at USER_HZ = 100 on every architecture.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb =
        |key: &str| status.lines().find_map(|l| l.strip_prefix(key)?.split_whitespace().next()?.parse::<f64>().ok());
    Some(ProcSample { cpu_secs: ticks / 100.0, rss_mb: kb("VmRSS:")? / 1024.0, peak_rss_mb: kb("VmHWM:")? / 1024.0 })
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(secs: f64) -> String {
    format!("{:.0} ms", secs * 1000.0)
}

struct Run {
    args: Args,
    fleet: Arc<Fleet>,
    db: tokio_postgres::Client,
    admin: HubClient,
    started: Instant,
}

impl Run {
    fn hub(&self) -> Option<ProcSample> {
        self.args.hub_pid.and_then(|p| proc_sample(&p.to_string()))
    }

    fn hub_line(&self, label: &str, before: &Option<ProcSample>, secs: f64) {
        if let (Some(b), Some(a)) = (before, self.hub()) {
            let cpu = a.cpu_secs - b.cpu_secs;
            println!(
                "  hub {label}: {cpu:.1} CPU s over {secs:.0} s ({:.0}% of one core), RSS {:.0} MB (peak {:.0} MB)",
                100.0 * cpu / secs.max(0.001),
                a.rss_mb,
                a.peak_rss_mb
            );
        }
    }

    async fn wait_until(&self, what: &str, mut done: impl AsyncFnMut() -> anyhow::Result<bool>) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(self.args.phase_timeout);
        while !done().await? {
            if Instant::now() > deadline {
                bail!("timed out waiting for {what}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(())
    }

    async fn idle(&self) -> anyhow::Result<()> {
        let a = &self.args;
        tokio::time::sleep(Duration::from_secs(a.settle_secs)).await;
        let (before, hub) = (db::counters(&self.db).await?, self.hub());
        let t0 = Instant::now();
        tokio::time::sleep(Duration::from_secs(a.idle_secs)).await;
        let after = db::counters(&self.db).await?;
        let secs = t0.elapsed().as_secs_f64();
        let per_min = |d: f64| d * 60.0 / secs;
        // The measuring connection's own transactions: the two snapshots (2 statements each).
        let commits = per_min((after.commits - before.commits - 4) as f64);
        let tuples = per_min((after.tuples_written - before.tuples_written) as f64);
        let wal = per_min(after.wal_bytes - before.wal_bytes);
        let n = a.hosts as f64;
        println!("idle: {} hosts connected and idle for {secs:.0} s", a.hosts);
        println!(
            "  database, per minute: {commits:.1} commits, {tuples:.0} tuples written, {:.1} KiB WAL",
            wal / 1024.0
        );
        println!(
            "  per idle host per minute: {:.4} commits, {:.3} tuples written, {:.0} B WAL",
            commits / n,
            tuples / n,
            wal / n
        );
        if a.mode == Mode::Push {
            let beats = n * 60.0 / self.fleet.heartbeat_secs.load(Ordering::Relaxed).max(1) as f64;
            println!(
                "  per heartbeat ({beats:.0}/min): {:.5} commits, {:.5} tuples written",
                commits / beats,
                tuples / beats
            );
        }
        self.hub_line("idle", &hub, secs);
        Ok(())
    }

    async fn trees(&self) -> anyhow::Result<()> {
        let a = &self.args;
        if a.trees == 0 {
            return Ok(());
        }
        let base = db::max_task_id(&self.db).await?;
        let hub = self.hub();
        let t0 = Instant::now();
        for i in 0..a.trees {
            let due = t0 + Duration::from_secs_f64(i as f64 / a.rate);
            tokio::time::sleep_until(due.into()).await;
            let kwargs: koji_rs::xmlrpc::Struct =
                [("arch".to_string(), Value::from("noarch")), ("__starstar".to_string(), Value::Bool(true))]
                    .into_iter()
                    .collect();
            let params = vec!["build".into(), Value::Array(vec![Value::from(format!("pkg-{i}"))]), kwargs.into()];
            self.admin.call("makeTask", params).await.context("makeTask")?;
        }
        let submitted = t0.elapsed().as_secs_f64();
        self.wait_until("the trees to finish", async || Ok(db::unfinished(&self.db, base).await? == 0)).await?;
        let secs = t0.elapsed().as_secs_f64();
        let lat = db::phase_latency(&self.db, base).await?;
        println!(
            "trees: {} trees × (1 + {} children) = {} tasks, submitted over {submitted:.1} s, all done after {secs:.1} s",
            a.trees, a.children, lat.tasks
        );
        println!("  FREE→ASSIGNED p50 {} p99 {}", ms(lat.assigned_p50), ms(lat.assigned_p99));
        println!("  FREE→OPEN     p50 {} p99 {}", ms(lat.open_p50), ms(lat.open_p99));
        self.wake_latency().await?;
        self.hub_line("trees", &hub, secs);
        Ok(())
    }

    /// For each finished parent: its last child's completion to the first wake at or after it.
    async fn wake_latency(&self) -> anyhow::Result<()> {
        let parents = std::mem::take(&mut *self.fleet.parents_done.lock().unwrap());
        let mut wakes: HashMap<i32, Vec<f64>> = HashMap::new();
        for (p, t) in self.fleet.wakes.lock().unwrap().drain(..) {
            wakes.entry(p).or_default().push(db::epoch_secs(t));
        }
        let mut lat = vec![];
        for (parent, done) in db::last_child_done(&self.db, &parents).await? {
            if let Some(w) = wakes.get(&parent).and_then(|w| w.iter().copied().filter(|w| *w >= done).reduce(f64::min))
            {
                lat.push(w - done);
            }
        }
        lat.sort_by(f64::total_cmp);
        println!(
            "  parent wake (last child done → wake received) p50 {} p99 {} ({} of {} parents woken; the others saw \
             their children done before waiting)",
            ms(percentile(&lat, 0.5)),
            ms(percentile(&lat, 0.99)),
            lat.len(),
            parents.len()
        );
        Ok(())
    }

    async fn burst(&mut self) -> anyhow::Result<()> {
        let n = self.args.burst;
        if n == 0 {
            return Ok(());
        }
        let base = db::max_task_id(&self.db).await?;
        let owner = db::user_id(&self.db, &self.args.admin).await?;
        let hub = self.hub();
        let t0 = Instant::now();
        db::insert_burst(&mut self.db, n, &self.args.arches, owner).await?;
        let inserted = t0.elapsed().as_secs_f64();
        self.wait_until("the burst to finish", async || Ok(db::unfinished(&self.db, base).await? == 0)).await?;
        let secs = t0.elapsed().as_secs_f64();
        let lat = db::phase_latency(&self.db, base).await?;
        println!("burst: {n} FREE tasks in one transaction ({inserted:.2} s), all done after {secs:.1} s");
        if lat.placement_span < 0.05 {
            println!(
                "  durable placements: {} at once (one batch), {:.2} s after the tasks' creation",
                lat.tasks, lat.first_placement
            );
        } else {
            println!(
                "  durable placements: {} in {:.2} s from the first to the last = {:.0}/s sustained (peak {} in one \
             clock second); the first {:.2} s after the tasks' creation",
                lat.tasks,
                lat.placement_span,
                lat.tasks as f64 / lat.placement_span.max(0.001),
                lat.placements_peak_second,
                lat.first_placement
            );
        }
        println!("  FREE→ASSIGNED p50 {} p99 {}", ms(lat.assigned_p50), ms(lat.assigned_p99));
        println!("  FREE→OPEN     p50 {} p99 {}", ms(lat.open_p50), ms(lat.open_p99));
        self.hub_line("burst", &hub, secs);
        Ok(())
    }
}

async fn connect_fleet(run: &Run, hosts: Vec<db::SimHost>) -> anyhow::Result<()> {
    let a = &run.args;
    let t0 = Instant::now();
    let n = hosts.len();
    for host in hosts {
        let fleet = run.fleet.clone();
        match a.mode {
            Mode::Push => {
                tokio::spawn(builders::run_push(fleet, host));
            }
            Mode::Poll => {
                // Random phases, as kojid processes start at random times: spread by index, the phase would
                // follow the host id, which is also the scheduler's tie-break, and every tie would go to the
                // host that polled last.
                let offset = Duration::from_secs_f64(a.sleeptime as f64 * rand::random::<f64>());
                tokio::spawn(builders::run_poll(fleet, host, offset));
            }
        }
    }
    run.wait_until("every host to be ready", async || Ok(db::ready_hosts(&run.db, &a.prefix).await? as usize >= n))
        .await?;
    println!(
        "connect: {n} {} builders ready after {:.1} s",
        if a.mode == Mode::Push { "push" } else { "polling" },
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let duration_ms = parse_range(&args.duration_ms)?;
    let password = std::fs::read_to_string(&args.admin_password_file)
        .with_context(|| format!("read {}", args.admin_password_file.display()))?;
    let http = reqwest::Client::builder().pool_idle_timeout(Duration::from_secs(90)).build()?;
    let mut admin = HubClient::new(http.clone(), args.hub.clone());
    admin.login(&args.admin, password.trim()).await.context("admin login")?;
    let mut pg = db::connect(&args.db).await?;
    let hosts = db::create_hosts(&mut pg, &args.prefix, args.hosts, &args.arches, args.capacity).await?;
    admin.call("scheduler.doRun", vec![]).await.context("scheduler.doRun")?;
    let fleet = Arc::new(Fleet {
        http: http.clone(),
        hub_url: args.hub.clone(),
        maxjobs: args.maxjobs,
        children: args.children,
        arches: args.arches.clone(),
        duration_ms,
        sleeptime: Duration::from_secs(args.sleeptime),
        rpc_slots: tokio::sync::Semaphore::new(args.rpc_concurrency),
        connect_slots: tokio::sync::Semaphore::new(args.connect_concurrency),
        wakes: Default::default(),
        parents_done: Default::default(),
        errors: Default::default(),
        refused_busy: Default::default(),
        max_running: Default::default(),
        connected: Default::default(),
        heartbeat_secs: Default::default(),
        stopping: Default::default(),
        polling: Default::default(),
    });
    println!(
        "koji-sim: {} mode, {} hosts (arches {}, capacity {}, maxjobs {}), leaf tasks {}–{} ms{}",
        if args.mode == Mode::Push { "push" } else { "poll" },
        args.hosts,
        args.arches.join("/"),
        args.capacity,
        args.maxjobs,
        duration_ms.0,
        duration_ms.1,
        if args.mode == Mode::Poll { format!(", sleeptime {} s", args.sleeptime) } else { String::new() }
    );
    let mut run = Run { args, fleet, db: pg, admin, started: Instant::now() };
    connect_fleet(&run, hosts).await?;
    run.idle().await?;
    run.trees().await?;
    run.burst().await?;
    if run.args.mode == Mode::Poll {
        builders::shutdown_polling(&run.fleet).await;
    }
    let f = &run.fleet;
    println!(
        "fleet: {} errors, {} offers refused at maxjobs, at most {} tasks at once on one builder (maxjobs {})",
        f.errors.load(Ordering::Relaxed),
        f.refused_busy.load(Ordering::Relaxed),
        f.max_running.load(Ordering::Relaxed),
        run.args.maxjobs
    );
    if let Some(me) = proc_sample("self") {
        println!(
            "simulator: {:.1} CPU s, RSS {:.0} MB (peak {:.0} MB), {:.0} s in all",
            me.cpu_secs,
            me.rss_mb,
            me.peak_rss_mb,
            run.started.elapsed().as_secs_f64()
        );
    }
    std::process::exit(0);
}
