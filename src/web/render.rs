//! Templates and assets, embedded in the binary: one minijinja environment with Koji's state names and time
//! formats as filters. Autoescaping is on for every `.html` template, so any string that came from a user
//! (package names, comments, task arguments) is escaped wherever it is shown.

use crate::fault::KojiError;
use actix_web::{HttpResponse, http::StatusCode, web};
use minijinja::{Environment, Value};
use std::sync::OnceLock;

/// A page to render: its template and what the template shows.
pub struct View {
    pub template: &'static str,
    pub ctx: Value,
}

impl View {
    pub fn new(template: &'static str, ctx: Value) -> View {
        View { template, ctx }
    }
}

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("templates/", $name)))),*]
    };
}

const TEMPLATES: &[(&str, &str)] = templates![
    "base.html",
    "macros.html",
    "error.html",
    "index.html",
    "login.html",
    "tasks.html",
    "taskinfo.html",
    "builds.html",
    "buildinfo.html",
    "packages.html",
    "packageinfo.html",
    "tags.html",
    "taginfo.html",
    "buildtargets.html",
    "buildtargetinfo.html",
    "hosts.html",
    "hostinfo.html",
    "channels.html",
    "channelinfo.html",
    "clusterhealth.html",
    "repos.html",
    "repoinfo.html",
    "users.html",
    "userinfo.html",
    "search.html",
];

const ASSETS: &[(&str, &str, &str)] = &[
    ("koji.css", "text/css; charset=utf-8", include_str!("static/koji.css")),
    ("koji.js", "text/javascript; charset=utf-8", include_str!("static/koji.js")),
];

use crate::db::builds::STATE_NAMES as BUILD_STATES;
pub use crate::db::tasks::STATE_NAMES as TASK_STATES;
use crate::repos::STATE_NAMES as REPO_STATES;

fn state_name(names: &[&str], v: Option<i64>) -> String {
    v.and_then(|n| names.get(usize::try_from(n).ok()?)).map_or_else(|| "unknown".into(), |s| s.to_string())
}

/// Koji's timestamps without the fraction and zone (`2026-11-25 01:02:03`).
fn short_time(v: Option<String>) -> String {
    v.map(|t| t.get(..19).unwrap_or(&t).to_owned()).unwrap_or_default()
}

/// `1h 02m 03s` between two epoch timestamps (to now while the task runs).
fn duration(start: Option<f64>, end: Option<f64>) -> String {
    let Some(start) = start else { return String::new() };
    let end = end.unwrap_or_else(|| chrono::Utc::now().timestamp_millis() as f64 / 1000.0);
    let secs = (end - start).max(0.0) as i64;
    match (secs / 3600, secs % 3600 / 60, secs % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m {s:02}s"),
        (h, m, s) => format!("{h}h {m:02}m {s:02}s"),
    }
}

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source).unwrap_or_else(|e| panic!("template {name}: {e}"));
        }
        env.add_filter("task_state", |v: Option<i64>| state_name(&TASK_STATES, v));
        env.add_filter("build_state", |v: Option<i64>| state_name(&BUILD_STATES, v));
        env.add_filter("repo_state", |v: Option<i64>| state_name(&REPO_STATES, v));
        env.add_filter("time", short_time);
        env.add_filter("duration", duration);
        env.add_filter("workdir", |id: i64| format!("/kojifiles/work/tasks/{}/{id}", id % 10000));
        env
    })
}

pub fn html(status: StatusCode, view: View) -> HttpResponse {
    match environment().get_template(view.template).and_then(|t| t.render(view.ctx)) {
        Ok(body) => HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body),
        Err(e) => {
            tracing::error!(template = view.template, error = %e, "template failed");
            HttpResponse::InternalServerError().content_type("text/plain").body(format!("template error: {e}\n"))
        }
    }
}

/// The page for a fault: the hub's message, and a status that says what kind of failure it was.
pub fn error(e: &KojiError, base: Value) -> HttpResponse {
    let status = match e {
        KojiError::ActionNotAllowed(_) | KojiError::Auth(_) | KojiError::AuthExpired(_) => StatusCode::FORBIDDEN,
        KojiError::Generic(m) | KojiError::Fault { message: m, .. } if m.starts_with("No such") => {
            StatusCode::NOT_FOUND
        }
        KojiError::Generic(_) | KojiError::Parameter(_) | KojiError::Fault { .. } => StatusCode::BAD_REQUEST,
        KojiError::ServerOffline(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let ctx = minijinja::context! { code => e.code(), message => e.to_string(), ..base };
    html(status, View::new("error.html", ctx))
}

pub async fn asset(name: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().find(|(n, _, _)| *n == name.as_str()) {
        Some((_, mime, body)) => {
            HttpResponse::Ok().content_type(*mime).insert_header(("Cache-Control", "public, max-age=3600")).body(*body)
        }
        None => HttpResponse::NotFound().content_type("text/plain").body("no such asset\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles_and_escapes() {
        let env = environment();
        assert_eq!(env.templates().count(), TEMPLATES.len());
        let out = env.render_named_str("x.html", "{{ x }}", minijinja::context! { x => "<script>" }).unwrap();
        assert_eq!(out, "&lt;script&gt;");
    }

    #[test]
    fn filters_follow_koji() {
        assert_eq!(state_name(&TASK_STATES, Some(3)), "CANCELED");
        assert_eq!(state_name(&TASK_STATES, Some(9)), "unknown");
        assert_eq!(short_time(Some("2026-11-25 01:02:03.456+00:00".into())), "2026-11-25 01:02:03");
        assert_eq!(duration(Some(0.0), Some(3723.0)), "1h 02m 03s");
        assert_eq!(duration(Some(0.0), Some(65.0)), "1m 05s");
    }
}
