//! Who is browsing: the hub session kept in a cookie (obtained by the password form, or by `sslLogin` with the
//! TLS client certificate as kojiweb does), the CSRF token every form carries, and login/logout.
//!
//! The cookie holds the hub's own session id and key (HttpOnly, SameSite=Lax, Secure over HTTPS); the web keeps
//! no state of its own, so any number of web processes can serve the same users. The CSRF token is derived from
//! the session key (before login, from a random cookie), so a page of another site can neither read nor forge it.

use super::WebState;
use super::render::{self, View};
use crate::fault::{KojiError, KojiResult};
use crate::rpc::PeerCert;
use crate::rpc::local::{Caller, Credentials};
use crate::xmlrpc::Value;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::sync::Arc;

const SESSION_COOKIE: &str = "koji_session";
const PRELOGIN_COOKIE: &str = "koji_csrf";

/// One request's view of its visitor.
#[derive(Clone)]
pub struct Visit {
    pub api: Arc<dyn super::HubApi>,
    pub caller: Caller,
    /// `getLoggedInUser`'s record, when the cookie names a live session.
    pub user: Option<Value>,
    pub csrf: String,
    /// The page's own path and query, for the login form's way back.
    pub here: String,
    secure: bool,
}

fn token(secret: &str) -> String {
    let digest = Sha256::digest(format!("koji-web csrf\0{secret}").as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

fn session_cookie(req: &HttpRequest) -> Option<Credentials> {
    let cookie = req.cookie(SESSION_COOKIE)?;
    let (id, key) = cookie.value().split_once(':')?;
    Some(Credentials { id: id.parse().ok()?, key: key.to_owned(), callnum: None })
}

impl Visit {
    /// Reads the session cookie and asks the hub who it belongs to; an expired session browses anonymously.
    pub async fn start(req: &HttpRequest, state: &WebState) -> Visit {
        let caller = Caller {
            creds: session_cookie(req),
            peer_ip: req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "-".into()),
            cert: req.conn_data::<PeerCert>().cloned(),
        };
        let mut visit = Visit {
            api: state.api.clone(),
            csrf: String::new(),
            user: None,
            here: req.uri().path_and_query().map_or("/koji/index", |p| p.as_str()).to_owned(),
            secure: req.connection_info().scheme() == "https",
            caller,
        };
        if visit.caller.creds.is_some() {
            match visit.call("getLoggedInUser", vec![]).await {
                Ok(u) if !u.is_nil() => visit.user = Some(u),
                _ => visit.caller.creds = None,
            }
        }
        visit.csrf = match (&visit.caller.creds, req.cookie(PRELOGIN_COOKIE)) {
            (Some(c), _) => token(&c.key),
            (None, Some(c)) => token(c.value()),
            (None, None) => String::new(),
        };
        visit
    }

    pub async fn call(&self, method: &str, params: Vec<Value>) -> KojiResult<Value> {
        self.api.call(&self.caller, method, params).await
    }

    /// What every template shows around the page: the user, the CSRF token, where we are.
    pub fn base(&self) -> minijinja::Value {
        minijinja::context! {
            user => self.user.as_ref().map(|u| minijinja::Value::from(minijinja::value::Serde(u))),
            csrf => self.csrf.clone(),
            here => self.here.clone(),
        }
    }

    /// A form's CSRF token must match this visitor's; the comparison does not short-circuit.
    pub fn check_csrf(&self, given: &str) -> KojiResult<()> {
        let ok = !self.csrf.is_empty()
            && given.len() == self.csrf.len()
            && given.bytes().zip(self.csrf.bytes()).fold(0, |acc, (a, b)| acc | (a ^ b)) == 0;
        if ok { Ok(()) } else { Err(KojiError::not_allowed("invalid or missing CSRF token; reload the page")) }
    }

    fn cookie<'c>(&self, name: &'c str, value: String) -> Cookie<'c> {
        Cookie::build(name, value).path("/koji").http_only(true).same_site(SameSite::Lax).secure(self.secure).finish()
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login_form))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout));
}

/// Only local paths are followed after login, so the form cannot send anyone elsewhere.
fn local_page(page: Option<&str>) -> String {
    match page {
        Some(p) if p.starts_with("/koji/") && !p.starts_with("//") => p.to_owned(),
        _ => "/koji/index".to_owned(),
    }
}

fn redirect(to: &str) -> actix_web::HttpResponseBuilder {
    let mut r = HttpResponse::SeeOther();
    r.insert_header(("Location", to.to_owned()));
    r
}

#[derive(Deserialize)]
struct PageArg {
    page: Option<String>,
}

/// The login form; with a verified client certificate (in-process over HTTPS) it logs in at once, as kojiweb
/// does with `sslLogin`.
async fn login_form(req: HttpRequest, state: web::Data<WebState>, q: web::Query<PageArg>) -> HttpResponse {
    let mut visit = Visit::start(&req, &state).await;
    let page = local_page(q.page.as_deref());
    if visit.user.is_some() {
        return redirect(&page).finish();
    }
    if visit.caller.cert.is_some() && state.api.cert_login() {
        match visit.call("sslLogin", vec![]).await {
            Ok(sinfo) => return logged_in(&visit, &sinfo, &page),
            Err(e) => tracing::debug!(error = %e, "certificate login refused; offering the password form"),
        }
    }
    let secret: Option<String> =
        visit.csrf.is_empty().then(|| (0..16).map(|_| format!("{:02x}", rand::random::<u8>())).collect());
    if let Some(secret) = &secret {
        visit.csrf = token(secret);
    }
    let ctx = minijinja::context! { page => page, error => Option::<String>::None, ..visit.base() };
    let mut body = render::html(StatusCode::OK, View::new("login.html", ctx));
    if let Some(secret) = secret {
        let _ = body.add_cookie(&visit.cookie(PRELOGIN_COOKIE, secret));
    }
    body
}

#[derive(Deserialize)]
struct LoginForm {
    user: String,
    password: String,
    csrf: String,
    page: Option<String>,
}

async fn login(req: HttpRequest, state: web::Data<WebState>, form: web::Form<LoginForm>) -> HttpResponse {
    let visit = Visit::start(&req, &state).await;
    let page = local_page(form.page.as_deref());
    let result = async {
        visit.check_csrf(&form.csrf)?;
        visit.call("login", vec![form.user.clone().into(), form.password.clone().into()]).await
    }
    .await;
    match result {
        Ok(sinfo) => logged_in(&visit, &sinfo, &page),
        Err(e) => {
            let ctx = minijinja::context! { page => page, error => e.to_string(), ..visit.base() };
            render::html(StatusCode::FORBIDDEN, View::new("login.html", ctx))
        }
    }
}

fn logged_in(visit: &Visit, sinfo: &Value, page: &str) -> HttpResponse {
    let s = sinfo.as_struct();
    let field = |k: &str| s.and_then(|s| s.get(k));
    match (field("session-id").and_then(Value::as_i64), field("session-key").and_then(Value::as_str)) {
        (Some(id), Some(key)) => redirect(page).cookie(visit.cookie(SESSION_COOKIE, format!("{id}:{key}"))).finish(),
        _ => render::error(&KojiError::Internal("login returned no session".into()), visit.base()),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(req: HttpRequest, state: web::Data<WebState>, form: web::Form<CsrfForm>) -> HttpResponse {
    let visit = Visit::start(&req, &state).await;
    if let Err(e) = visit.check_csrf(&form.csrf) {
        return render::error(&e, visit.base());
    }
    if visit.user.is_some()
        && let Err(e) = visit.call("logout", vec![]).await
    {
        tracing::debug!(error = %e, "logout failed; dropping the cookie anyway");
    }
    let mut gone = visit.cookie(SESSION_COOKIE, String::new());
    gone.make_removal();
    redirect("/koji/index").cookie(gone).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_pages_are_followed() {
        assert_eq!(local_page(Some("/koji/taskinfo?taskID=3")), "/koji/taskinfo?taskID=3");
        assert_eq!(local_page(Some("https://evil.example/")), "/koji/index");
        assert_eq!(local_page(Some("//evil.example/koji/")), "/koji/index");
        assert_eq!(local_page(None), "/koji/index");
    }

    #[test]
    fn tokens_depend_on_the_secret() {
        assert_eq!(token("a"), token("a"));
        assert_ne!(token("a"), token("b"));
        assert_eq!(token("a").len(), 32);
    }
}
