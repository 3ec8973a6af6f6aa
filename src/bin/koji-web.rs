//! `koji-web --hub-url http://hub:8080/kojihub --listen 0.0.0.0:8081`: the web UI as its own process, for farms
//! that deploy it apart from the hubs. It reaches the hub only over XML-RPC (and follows the hub's `/koji/live`
//! feed for the live pages); every hub also serves the same UI in-process at `/koji`.

use clap::Parser;
use koji_rs::web::{WebState, api::Remote};
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Parser)]
#[command(version, about = "The koji-rs web UI, talking to a hub over XML-RPC")]
struct Cli {
    /// The hub's XML-RPC endpoint
    #[arg(long, default_value = "http://localhost:8080/kojihub")]
    hub_url: String,
    /// Address to serve the UI on (at /koji)
    #[arg(long, default_value = "127.0.0.1:8081")]
    listen: SocketAddr,
    #[arg(long, default_value_t = 2)]
    workers: usize,
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,actix_server=warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let state = WebState { api: Arc::new(Remote::connect(cli.hub_url.clone())) };
    tracing::info!(hub = %cli.hub_url, "serving the web UI on http://{}/koji", cli.listen);
    actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .wrap(actix_web::middleware::Compress::default())
            .configure(|cfg| koji_rs::web::configure(cfg, state.clone()))
    })
    .workers(cli.workers)
    .bind(cli.listen)?
    .run()
    .await?;
    Ok(())
}
