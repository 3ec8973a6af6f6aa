//! Koji's RepoExports (`repo.*`): requests, their queue, repo queries, and the koji-rs long-poll
//! `repo.waitRequest`.

use super::CallCtx;
use super::args::{Flag, InfoRef, IntArg};
use super::registry::Registry;
use crate::actors::repo_manager::{RepoChanged, WatchRequest};
use crate::db::query::QueryOpts;
use crate::db::view;
use crate::fault::{KojiError, KojiResult};
use crate::repos::requests::{self, MinEvent, RequestArgs};
use crate::repos::{self, opts};
use crate::xmlrpc::{Struct, Value};
use serde::Deserialize;
use std::time::{Duration, Instant};

#[derive(Deserialize)]
struct Request {
    tag: InfoRef,
    min_event: Option<Value>,
    at_event: Option<i32>,
    opts: Option<Value>,
    priority: Option<i32>,
    force: Flag,
}

#[derive(Deserialize)]
struct Get {
    tag: InfoRef,
    min_event: Option<i32>,
    at_event: Option<i32>,
    opts: Option<Value>,
}

#[derive(Deserialize)]
struct ReqId {
    req_id: IntArg,
}

#[derive(Deserialize)]
struct Wait {
    request_id: IntArg,
    timeout: Option<f64>,
}

#[derive(Deserialize)]
struct Priority {
    req_id: i32,
    priority: i32,
}

#[derive(Deserialize)]
struct RepoId {
    repo_id: IntArg,
}

#[derive(Deserialize)]
struct SetState {
    repo_id: i32,
    state: i32,
}

#[derive(Deserialize)]
struct Query {
    clauses: Option<Vec<Value>>,
    fields: Option<Value>,
    opts: Option<QueryOpts>,
}

#[derive(Deserialize)]
struct NoArgs {}

/// QueryView's `fields`: a list of names, or one string (`'*'`, `'**'` or a single field).
fn field_list(fields: Option<Value>) -> KojiResult<Option<Vec<String>>> {
    match fields {
        None | Some(Value::Nil) => Ok(None),
        Some(Value::String(s)) => Ok(Some(vec![s])),
        Some(Value::Array(a)) => a
            .into_iter()
            .map(|f| match f {
                Value::String(s) => Ok(s),
                _ => Err(KojiError::param("fields must be strings")),
            })
            .collect::<KojiResult<Vec<_>>>()
            .map(Some),
        Some(_) => Err(KojiError::param("fields must be a list of field names")),
    }
}

async fn request(ctx: CallCtx, a: Request) -> KojiResult<Struct> {
    let user = ctx.require_login()?.user_id;
    if a.priority.is_some_and(|p| p < 0) && !ctx.has_perm("admin").await? {
        return Err(KojiError::not_allowed("only admins may create high-priority requests"));
    }
    let min_event = match a.min_event {
        None | Some(Value::Nil) => MinEvent::Default,
        Some(Value::String(s)) if s == "last" => MinEvent::Last,
        Some(Value::Int(e)) => MinEvent::Given(e as i32),
        Some(Value::String(s)) => {
            MinEvent::Given(s.parse().map_err(|_| KojiError::param(format!("Invalid event: {s}")))?)
        }
        Some(other) => return Err(KojiError::param(format!("Invalid event: {other:?}"))),
    };
    let args = RequestArgs {
        tag: a.tag,
        min_event,
        at_event: a.at_event,
        opts: a.opts,
        priority: a.priority,
        force: a.force.0,
    };
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let out = requests::request(&tx, &ctx.hub.config, user, args).await?;
    tx.commit().await?;
    ctx.committed();
    Ok(out)
}

async fn get(ctx: CallCtx, a: Get) -> KojiResult<Option<Struct>> {
    let db = ctx.db().await?;
    let tag = crate::tags::get_strict(&db, &a.tag, None).await?.config.id;
    let wanted = opts::convert(a.opts.as_ref(), true)?;
    repos::get_repo(&db, tag, a.min_event, a.at_event, &wanted).await
}

async fn check_request(ctx: CallCtx, a: ReqId) -> KojiResult<Struct> {
    requests::check_request(&ctx.db().await?, a.req_id.0).await
}

/// koji-rs: holds the call until the request is fulfilled or given up (woken by its `koji_repo` notification),
/// or `timeout` seconds pass; answers as `repo.checkRequest` does.
async fn wait_request(ctx: CallCtx, a: Wait) -> KojiResult<Struct> {
    let deadline = Instant::now() + Duration::from_secs_f64(a.timeout.unwrap_or(60.0).clamp(0.0, 3600.0));
    loop {
        let (tx, rx) = tokio::sync::oneshot::channel();
        // Watch first, then read: a change committed between the two still wakes us.
        crate::actors::ask(&ctx.hub.repos.get(), WatchRequest { id: a.request_id.0, tx })
            .await
            .map_err(|e| KojiError::ServerOffline(e.to_string()))?;
        let check = requests::check_request(&ctx.db().await?, a.request_id.0).await?;
        let left = deadline.saturating_duration_since(Instant::now());
        if requests::settled(&check) || left.is_zero() {
            return Ok(check);
        }
        let _ = tokio::time::timeout(left, rx).await;
    }
}

async fn query_queue(ctx: CallCtx, a: Query) -> KojiResult<Value> {
    view::query(&ctx.db().await?, &requests::QUEUE_VIEW, a.clauses, field_list(a.fields)?, a.opts).await
}

async fn query(ctx: CallCtx, a: Query) -> KojiResult<Value> {
    view::query(&ctx.db().await?, &repos::REPO_VIEW, a.clauses, field_list(a.fields)?, a.opts).await
}

async fn references(ctx: CallCtx, a: RepoId) -> KojiResult<Vec<Struct>> {
    repos::references(&ctx.db().await?, a.repo_id.0).await
}

async fn set_request_priority(ctx: CallCtx, a: Priority) -> KojiResult<()> {
    ctx.assert_perm("admin").await?;
    crate::db::repos::set_request_priority(&ctx.db().await?, a.req_id, a.priority).await?;
    ctx.committed();
    Ok(())
}

async fn set_state(ctx: CallCtx, a: SetState) -> KojiResult<()> {
    ctx.assert_perm("repo").await?;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    repos::set_state(&tx, a.repo_id, a.state).await?;
    tx.commit().await?;
    ctx.committed();
    Ok(())
}

/// kojira's queue and currency calls. The RepoManager does their work as changes commit; here they only ask it
/// for a pass, and end events stay unset (currency is computed from the tag's change events on demand).
async fn kojira_call(ctx: CallCtx, _: NoArgs) -> KojiResult<()> {
    ctx.assert_perm("repo").await?;
    ctx.hub.repos.get().do_send(RepoChanged { request: None });
    Ok(())
}

pub fn register(r: &mut Registry) {
    r.add(
        "repo.request",
        "tag, min_event=None, at_event=None, opts=None, priority=None, force=False",
        "Request a repo for a tag: {repo, request, duplicate}.",
        request,
    );
    r.add("repo.get", "tag, min_event=None, at_event=None, opts=None", "The best READY repo matching.", get);
    r.add("repo.checkRequest", "req_id", "Status of a repo request: {request, repo[, task]}.", check_request);
    r.add(
        "repo.waitRequest",
        "request_id, timeout=60",
        "koji-rs: wait until the request is settled or the timeout passes; as checkRequest.",
        wait_request,
    );
    r.add("repo.setRequestPriority", "req_id, priority", "Set a request's priority (admin).", set_request_priority);
    r.add("repo.queryQueue", "clauses=None, fields=None, opts=None", "Query repo requests.", query_queue);
    r.add("repo.query", "clauses, fields=None, opts=None", "Query repos.", query);
    r.add("repo.references", "repo_id", "Live buildroots that use the repo.", references);
    r.add("repo.setState", "repo_id, state", "Set a repo's state (perm repo).", set_state);
    r.add("repo.checkQueue", "", "Ask the RepoManager for a queue pass.", kojira_call);
    r.add("repo.autoRequests", "", "Ask the RepoManager for a pass (it requests repos itself).", kojira_call);
    r.add("repo.updateEndEvents", "", "Currency is computed from events; asks for a pass.", kojira_call);
}
