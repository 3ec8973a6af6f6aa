//! The builder daemon: `kojid [--config /etc/kojid/kojid.conf] [--force-lock] [--debug]`. It logs in as its
//! host, holds the hub's push stream and runs the tasks it is given until SIGTERM or SIGINT, then frees what
//! it still runs and exits 0. After a `restart` task it re-executes itself with the same arguments.

use clap::Parser;
use koji_rs::builder::config::KojidConfig;
use koji_rs::builder::daemon::{Daemon, Exit};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "kojid", version, about = "Koji builder daemon (koji-rs)")]
struct Args {
    /// kojid.conf (INI, section [kojid]).
    #[arg(short = 'c', long, default_value = "/etc/kojid/kojid.conf")]
    config: PathBuf,
    /// Take the host's exclusive session even if another session holds it (e.g. after a crash).
    #[arg(long)]
    force_lock: bool,
    /// Debug logging.
    #[arg(short, long)]
    debug: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let level = if args.debug { "debug" } else { "info" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("{level},hyper=warn,reqwest=warn")));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let config = KojidConfig::load(&args.config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let exit = runtime.block_on(async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let shutdown = async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        };
        Daemon::login(config, args.force_lock).await?.run(shutdown).await
    })?;
    drop(runtime);
    if exit == Exit::Restart {
        tracing::info!("re-executing kojid");
        return Err(koji_rs::builder::restart::reexec().into());
    }
    Ok(())
}
