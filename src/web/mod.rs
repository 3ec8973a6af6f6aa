//! The web UI (kojiweb's replacement), mounted at `/koji` with kojiweb's page names and parameters
//! (`/koji/taskinfo?taskID=N`), so old links keep working.
//!
//! It uses only the hub's public API, through [`api::HubApi`]: in-process on the hub, or over XML-RPC from a
//! separate `koji-web` process. Pages are minijinja templates embedded in the binary (autoescaped), assets are
//! served locally (no CDN), and running tasks update live over server-sent events fed by the hub's events after
//! commit (`crate::live`). Actions (cancel, resubmit, enable/disable host) are POSTed forms with a CSRF token and
//! run as the logged-in user, so the hub's own permission checks decide.
//!
//! ```text
//!  browser ──GET /koji/<page>──▶ pages::* ──HubApi::call──▶ rpc::local::dispatch | XML-RPC ──▶ hub methods
//!          ◀──SSE /koji/events── stream ◀── LiveFeed ◀── notify (koji_task, koji_task_output)
//! ```

pub mod api;
mod pages;
mod render;
mod session;
mod stream;

use actix_web::web;
use api::HubApi;
use std::sync::Arc;

/// What every web request shares: the way to the hub.
#[derive(Clone)]
pub struct WebState {
    pub api: Arc<dyn HubApi>,
}

/// Mounts the UI at `/koji` (and `/` redirects there).
pub fn configure(cfg: &mut web::ServiceConfig, state: WebState) {
    cfg.app_data(web::Data::new(state)).service(
        web::scope("/koji")
            .configure(pages::routes)
            .configure(session::routes)
            .configure(stream::routes)
            .route("/static/{name}", web::get().to(render::asset)),
    );
}
