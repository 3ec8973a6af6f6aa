//! The pages, by kojiweb's names. Each is an async function from a [`Page`] (the visitor and the query
//! arguments) to a [`View`]; [`serve`] does the rest (who is asking, rendering, faults as error pages).

mod builds;
mod hosts;
mod misc;
mod tags;
mod tasks;

use super::WebState;
use super::render::{self, View};
use super::session::Visit;
use crate::fault::{KojiError, KojiResult};
use crate::xmlrpc::{Struct, Value};
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use std::collections::HashMap;
use std::future::Future;

/// Rows per page on paged lists.
pub const PAGE_SIZE: i64 = 50;

pub fn routes(cfg: &mut web::ServiceConfig) {
    macro_rules! get {
        ($($path:literal => $page:path),* $(,)?) => {
            $(cfg.route($path, web::get().to(|r: HttpRequest, s: web::Data<WebState>, q: Query| serve(r, s, q, $page)));)*
        };
    }
    get! {
        "" => misc::index,
        "/" => misc::index,
        "/index" => misc::index,
        "/tasks" => tasks::tasks,
        "/taskinfo" => tasks::taskinfo,
        "/builds" => builds::builds,
        "/buildinfo" => builds::buildinfo,
        "/packages" => builds::packages,
        "/packageinfo" => builds::packageinfo,
        "/tags" => tags::tags,
        "/taginfo" => tags::taginfo,
        "/buildtargets" => tags::buildtargets,
        "/buildtargetinfo" => tags::buildtargetinfo,
        "/repos" => tags::repos,
        "/repoinfo" => tags::repoinfo,
        "/hosts" => hosts::hosts,
        "/hostinfo" => hosts::hostinfo,
        "/channels" => hosts::channels,
        "/channelinfo" => hosts::channelinfo,
        "/clusterhealth" => hosts::clusterhealth,
        "/users" => misc::users,
        "/userinfo" => misc::userinfo,
        "/search" => misc::search,
    }
    cfg.route("/getfile", web::get().to(tasks::getfile));
    for (path, action) in [
        ("/canceltask", Action::CancelTask),
        ("/resubmittask", Action::ResubmitTask),
        ("/disablehost", Action::DisableHost),
        ("/enablehost", Action::EnableHost),
    ] {
        cfg.route(
            path,
            web::post().to(move |r: HttpRequest, s: web::Data<WebState>, f: web::Form<HashMap<String, String>>| {
                act(r, s, f.into_inner(), action)
            }),
        );
    }
}

pub type Query = web::Query<HashMap<String, String>>;

/// One page request: the visitor and its query arguments.
pub struct Page {
    pub visit: Visit,
    pub args: HashMap<String, String>,
}

impl Page {
    pub async fn call(&self, method: &str, params: Vec<Value>) -> KojiResult<Value> {
        self.visit.call(method, params).await
    }

    /// A non-empty argument.
    pub fn arg(&self, name: &str) -> Option<&str> {
        self.args.get(name).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    /// An integer argument; anything else is the visitor's mistake, said as kojiweb says it.
    pub fn int(&self, name: &str) -> KojiResult<Option<i64>> {
        self.arg(name)
            .map(|v| v.parse().map_err(|_| KojiError::generic(format!("Invalid value for {name}: {v:?}"))))
            .transpose()
    }

    pub fn required_int(&self, name: &str) -> KojiResult<i64> {
        self.int(name)?.ok_or_else(|| KojiError::generic(format!("{name} is required")))
    }

    /// An id or a name (`hostID=builder1` works as in kojiweb's `_convert_if_int`).
    pub fn id_or_name(&self, name: &str) -> KojiResult<Value> {
        let v = self.arg(name).ok_or_else(|| KojiError::generic(format!("{name} is required")))?;
        Ok(v.parse::<i64>().map_or_else(|_| Value::from(v), Value::from))
    }

    /// `queryOpts` for a paged list: the order (if it is one of `orders`, optionally negated) and the window,
    /// one row more than shown so the page knows whether there is a next one.
    pub fn paging(&self, orders: &[&str], default: &str) -> Paging {
        let order =
            self.arg("order").filter(|o| orders.contains(&o.trim_start_matches('-'))).unwrap_or(default).to_owned();
        let start = self.int("start").ok().flatten().unwrap_or(0).max(0);
        Paging { order, start }
    }
}

pub struct Paging {
    pub order: String,
    pub start: i64,
}

impl Paging {
    pub fn query_opts(&self) -> Value {
        let mut s = Struct::new();
        s.insert("order".into(), self.order.clone().into());
        s.insert("offset".into(), self.start.into());
        s.insert("limit".into(), (PAGE_SIZE + 1).into());
        Value::Struct(s)
    }

    /// Cuts the extra row and says where the pages around this one start.
    pub fn page(&self, rows: Value) -> (Value, minijinja::Value) {
        let mut rows = match rows {
            Value::Array(a) => a,
            _ => vec![],
        };
        let more = rows.len() as i64 > PAGE_SIZE;
        rows.truncate(PAGE_SIZE as usize);
        let nav = minijinja::context! {
            order => self.order.clone(),
            start => self.start,
            shown => rows.len(),
            prev => (self.start > 0).then(|| (self.start - PAGE_SIZE).max(0)),
            next => more.then_some(self.start + PAGE_SIZE),
        };
        (Value::Array(rows), nav)
    }
}

/// An XML-RPC value for a template.
pub fn v(value: &Value) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(value))
}

/// A struct's field as an integer.
pub fn int_field(value: &Value, key: &str) -> Option<i64> {
    value.as_struct()?.get(key)?.as_i64()
}

async fn serve<F, Fut>(req: HttpRequest, state: web::Data<WebState>, q: Query, page: F) -> HttpResponse
where
    F: FnOnce(Page) -> Fut,
    Fut: Future<Output = KojiResult<View>>,
{
    let visit = Visit::start(&req, &state).await;
    let base = visit.base();
    match page(Page { visit, args: q.into_inner() }).await {
        Ok(view) => {
            let ctx = minijinja::context! { ..view.ctx, ..base };
            render::html(StatusCode::OK, View::new(view.template, ctx))
        }
        Err(e) => render::error(&e, base),
    }
}

/// A change made from the UI, as the logged-in user: the hub decides whether they may.
#[derive(Clone, Copy)]
enum Action {
    CancelTask,
    ResubmitTask,
    DisableHost,
    EnableHost,
}

async fn act(
    req: HttpRequest,
    state: web::Data<WebState>,
    form: HashMap<String, String>,
    action: Action,
) -> HttpResponse {
    let visit = Visit::start(&req, &state).await;
    let base = visit.base();
    let page = Page { visit, args: form };
    let result = async {
        page.visit.check_csrf(page.arg("csrf").unwrap_or(""))?;
        if page.visit.user.is_none() {
            return Err(KojiError::not_allowed("you must be logged in for this operation"));
        }
        Ok(match action {
            Action::CancelTask => {
                let id = page.required_int("taskID")?;
                page.call("cancelTask", vec![id.into()]).await?;
                format!("/koji/taskinfo?taskID={id}")
            }
            Action::ResubmitTask => {
                let id = page.required_int("taskID")?;
                let new = page.call("resubmitTask", vec![id.into()]).await?;
                format!("/koji/taskinfo?taskID={}", new.as_i64().unwrap_or(id))
            }
            Action::DisableHost | Action::EnableHost => {
                let id = page.required_int("hostID")?;
                let host = page.call("getHost", vec![id.into(), Value::Bool(true)]).await?;
                let name = host.as_struct().and_then(|h| h.get("name")).cloned().unwrap_or(Value::Nil);
                let method = if matches!(action, Action::DisableHost) { "disableHost" } else { "enableHost" };
                page.call(method, vec![name]).await?;
                format!("/koji/hostinfo?hostID={id}")
            }
        })
    }
    .await;
    match result {
        Ok(to) => HttpResponse::SeeOther().insert_header(("Location", to)).finish(),
        Err(e) => render::error(&e, base),
    }
}
