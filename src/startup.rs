//! Wires the hub: pool, actor tree, HTTP(S) server with optional client-certificate TLS.

use crate::actors::host_registry::{HostRegistry, Liveness};
use crate::actors::repo_manager::RepoManager;
use crate::actors::session_registry::{FlushNow, SessionRegistry};
use crate::actors::supervisor::HubSupervisor;
use crate::actors::task_scheduler::TaskScheduler;
use crate::config::{HubConfig, TlsConfig};
use crate::rpc::{self, Hub, PeerCert};
use crate::{db, metrics};
use actix::Actor;
use actix_tls::accept::openssl::TlsStream;
use actix_web::{App, HttpServer, dev::Extensions, middleware, rt::net::TcpStream, web};
use anyhow::Context as _;
use openssl::ssl::{SslAcceptor, SslAcceptorBuilder, SslFiletype, SslMethod, SslVerifyMode};
use std::any::Any;
use std::sync::Arc;

fn tls_acceptor(tls: &TlsConfig) -> anyhow::Result<SslAcceptorBuilder> {
    let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server())?;
    b.set_private_key_file(&tls.key_file, SslFiletype::PEM)
        .with_context(|| format!("TLSKeyFile {}", tls.key_file.display()))?;
    b.set_certificate_chain_file(&tls.cert_file).with_context(|| format!("TLSCertFile {}", tls.cert_file.display()))?;
    b.check_private_key().context("TLSKeyFile does not match TLSCertFile")?;
    if let Some(ca) = &tls.client_ca_file {
        b.set_ca_file(ca).with_context(|| format!("TLSClientCAFile {}", ca.display()))?;
        b.set_client_ca_list(openssl::x509::X509Name::load_client_ca_file(ca)?);
        // A certificate is optional at the handshake (anonymous calls need none); one that is presented must
        // chain to the CA, and only then does it reach sslLogin.
        b.set_verify(SslVerifyMode::PEER);
        b.set_session_id_context(b"koji-hub")?;
    }
    Ok(b)
}

/// Records the verified client certificate's subject on the connection, for `sslLogin`.
fn on_connect(conn: &dyn Any, ext: &mut Extensions) {
    let Some(tls) = conn.downcast_ref::<TlsStream<TcpStream>>() else { return };
    let Some(cert) = tls.ssl().peer_certificate() else { return };
    let components = cert
        .subject_name()
        .entries()
        .filter_map(|e| {
            let key = e.object().nid().short_name().ok()?.to_owned();
            let value = e.data().to_string().ok()?;
            Some((key, value))
        })
        .collect();
    ext.insert(PeerCert { components });
}

/// Checks that `koji-hub migrate` has run, so a missing schema is a clear start-up error, not a fault per call.
async fn check_schema(pool: &db::Pool) -> anyhow::Result<()> {
    let client = pool.get().await.context("cannot connect to the database")?;
    let latest = db::migrate::MIGRATIONS.last().map_or(0, |m| m.version);
    let row = client
        .query_one("SELECT COALESCE((SELECT max(version) FROM koji_rs_migrations), 0)", &[])
        .await
        .context("the database has no koji-rs schema; run `koji-hub --config FILE migrate` first")?;
    let have: i32 = row.get(0);
    anyhow::ensure!(
        have >= latest,
        "the database schema is at version {have}, this hub needs {latest}: run `koji-hub migrate`"
    );
    Ok(())
}

pub async fn serve(config: HubConfig) -> anyhow::Result<()> {
    let pool = db::make_pool(&config, config.workers * 8 + 4)?;
    check_schema(&pool).await?;
    let metrics = web::Data::new(metrics::install()?);
    let user_name_re =
        regex::Regex::new(&config.regex_user_name).context("RegexUserName is not a valid regular expression")?;
    let name_internal_re = match config.regex_name_internal.as_str() {
        "" => None,
        re => Some(
            regex::Regex::new(&format!("^(?:{re})")).context("RegexNameInternal is not a valid regular expression")?,
        ),
    };

    let mut supervisor = HubSupervisor::default();
    let sessions = {
        let (pool, renewal, flush) = (pool.clone(), config.session_renewal_timeout, config.session_flush_interval);
        supervisor.supervise(move || SessionRegistry::new(pool.clone(), renewal, flush).start())
    };
    let pg = config.pg_config()?;
    let scheduler = {
        // Its own connections: placements must not queue behind the RPC traffic they cause.
        let (pool, pg, cfg) = (db::make_pool(&config, 2)?, pg.clone(), config.scheduler.clone());
        supervisor.supervise(move || TaskScheduler::new(pool.clone(), pg.clone(), cfg.clone()).start())
    };
    let hosts = {
        let (pool, cfg, heartbeat) = (pool.clone(), config.scheduler.clone(), config.builder_heartbeat);
        supervisor.supervise(move || {
            let liveness = Liveness {
                missed_heartbeats: cfg.missed_heartbeats,
                heartbeat_interval: heartbeat,
                ready_timeout: cfg.ready_timeout,
                // Well within ReadyTimeout, or the leader's silent-host check would see live hosts as silent.
                update_time_flush: (cfg.ready_timeout / 3)
                    .clamp(std::time::Duration::from_secs(1), std::time::Duration::from_secs(60)),
            };
            HostRegistry::new(pool.clone(), liveness).start()
        })
    };
    let repos = {
        let (pool, pg, cfg) = (db::make_pool(&config, 2)?, pg.clone(), Arc::new(config.clone()));
        supervisor.supervise(move || RepoManager::new(pool.clone(), pg.clone(), cfg.clone()).start())
    };
    supervisor.start();
    let live = crate::live::LiveFeed::default();
    let listeners = crate::notify::Listeners {
        scheduler: scheduler.clone(),
        registry: hosts.clone(),
        repos: repos.clone(),
        live: live.clone(),
    };
    crate::notify::spawn_listener(pg, listeners);

    let hub = Arc::new(Hub {
        config: config.clone(),
        pool,
        sessions: sessions.clone(),
        scheduler,
        hosts,
        repos,
        registry: rpc::build_registry(),
        user_name_re,
        name_internal_re,
        live,
    });
    let app_hub = hub.clone();
    let web_ui = crate::web::WebState { api: Arc::new(crate::web::api::InProcess(hub.clone())) };
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::from(app_hub.clone()))
            .app_data(metrics.clone())
            .wrap(middleware::Compress::default())
            .configure(rpc::http::configure)
            .configure(crate::kojifiles::configure)
            .configure(|cfg| crate::web::configure(cfg, web_ui.clone()))
            .route("/metrics", web::get().to(metrics::endpoint))
    })
    .workers(config.workers)
    .on_connect(on_connect);
    let server = match &config.tls {
        Some(tls) => server.bind_openssl(config.listen, tls_acceptor(tls)?)?,
        None => server.bind(config.listen)?,
    };
    let scheme = if config.tls.is_some() { "https" } else { "http" };
    tracing::info!(address = %config.listen, "listening on {scheme}://{}/kojihub (web UI at /koji)", config.listen);
    server.run().await?;
    tracing::info!("shutting down");
    let _ = crate::actors::ask(&sessions.get(), FlushNow).await;
    Ok(())
}
