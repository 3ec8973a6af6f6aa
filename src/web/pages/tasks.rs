//! `tasks` (filtered, paged, sortable; flat, top-level or as trees), `taskinfo` (request, result, the tree
//! below, output files, buildroots) and `getfile` (a task's output, streamed through `downloadTaskOutput`).

use super::{Page, Query, int_field, v};
use crate::fault::{KojiError, KojiResult};
use crate::web::WebState;
use crate::web::api::kw;
use crate::web::render::{self, TASK_STATES, View};
use crate::web::session::Visit;
use crate::xmlrpc::{Struct, Value};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use base64::Engine;
use futures_util::StreamExt as _;
use minijinja::context;
use std::collections::BTreeMap;

/// The methods offered in the filter (kojiweb's `_TASKS`); any other method name may still be typed in a URL.
const METHODS: &[&str] = &[
    "build",
    "buildSRPMFromSCM",
    "rebuildSRPM",
    "buildArch",
    "chainbuild",
    "newRepo",
    "createrepo",
    "distRepo",
    "createdistrepo",
    "tagBuild",
    "tagNotification",
    "buildNotification",
    "waitrepo",
    "dependantTask",
    "wrapperRPM",
    "image",
    "runroot",
];

const ORDERS: &[&str] = &["id", "method", "owner_name", "arch", "state", "priority", "create_time", "completion_time"];

/// kojiweb's state filter: `active` (FREE, OPEN, ASSIGNED), `all`, or one state's name.
fn state_filter(state: &str) -> KojiResult<Option<Vec<i64>>> {
    match state {
        "active" => Ok(Some(vec![0, 1, 4])),
        "all" => Ok(None),
        name => TASK_STATES
            .iter()
            .position(|s| s.eq_ignore_ascii_case(name))
            .map(|i| Some(vec![i as i64]))
            .ok_or_else(|| KojiError::generic(format!("Invalid value for state: {name:?}"))),
    }
}

pub async fn tasks(p: Page) -> KojiResult<View> {
    let state = p.arg("state").unwrap_or("active").to_owned();
    let view = p.arg("view").unwrap_or("tree").to_owned();
    if !["tree", "toplevel", "flat"].contains(&view.as_str()) {
        return Err(KojiError::generic(format!("Invalid value for view: {view:?}")));
    }
    let mut opts = Struct::new();
    if let Some(states) = state_filter(&state)? {
        opts.insert("state".into(), Value::Array(states.into_iter().map(Value::from).collect()));
    }
    let method = p.arg("method").filter(|m| *m != "all").map(str::to_owned);
    if let Some(m) = &method {
        opts.insert("method".into(), m.as_str().into());
    }
    let mut owner = None;
    if p.arg("owner").is_some() {
        let user = p.call("getUser", vec![p.id_or_name("owner")?, Value::Bool(true)]).await?;
        opts.insert("owner".into(), int_field(&user, "id").unwrap_or(0).into());
        owner = Some(user);
    }
    let mut host = None;
    if p.arg("hostID").is_some() {
        let h = p.call("getHost", vec![p.id_or_name("hostID")?, Value::Bool(true)]).await?;
        opts.insert("host_id".into(), int_field(&h, "id").unwrap_or(0).into());
        host = Some(h);
    }
    let mut channel = None;
    if p.arg("channelID").is_some() {
        let c = p.call("getChannel", vec![p.id_or_name("channelID")?, Value::Bool(true)]).await?;
        opts.insert("channel_id".into(), int_field(&c, "id").unwrap_or(0).into());
        channel = Some(c);
    }
    let arch = p.arg("arch").map(str::to_owned);
    if let Some(a) = &arch {
        opts.insert("arch".into(), Value::Array(vec![a.as_str().into()]));
    }
    // Filtering by host or by a method that never has children shows a flat list, as kojiweb does.
    let view = if host.is_some() && view == "tree" { "flat".to_owned() } else { view };
    if view != "flat" {
        opts.insert("parent".into(), Value::Nil);
    }
    let paging = p.paging(ORDERS, "-id");
    let rows = p.call("listTasks", vec![Value::Struct(opts), paging.query_opts()]).await?;
    let (rows, nav) = paging.page(rows);
    let rows = if view == "tree" { with_descendants(&p, rows).await? } else { rows };
    let channels = p.call("listChannels", vec![]).await?;
    Ok(View::new(
        "tasks.html",
        context! {
            title => "Tasks",
            tasks => v(&rows), nav, state, view, method, arch,
            owner => owner.as_ref().map(v), host => host.as_ref().map(v), channel => channel.as_ref().map(v),
            methods => METHODS.to_vec(), states => TASK_STATES.to_vec(), channels => v(&channels),
        },
    ))
}

/// Each top-level task with its whole tree below (`children`, recursively), read a level at a time: one
/// `listTasks(parent=[ids])` per generation rather than a `getTaskDescendents` per task.
async fn with_descendants(p: &Page, rows: Value) -> KojiResult<Value> {
    let Value::Array(rows) = rows else { return Ok(rows) };
    let mut by_parent: BTreeMap<i64, Vec<Value>> = BTreeMap::new();
    let mut level: Vec<Value> = rows.iter().filter_map(|r| int_field(r, "id")).map(Value::from).collect();
    while !level.is_empty() {
        let mut opts = Struct::new();
        opts.insert("parent".into(), Value::Array(level));
        let mut order = Struct::new();
        order.insert("order".into(), "id".into());
        let children = p.call("listTasks", vec![Value::Struct(opts), Value::Struct(order)]).await?;
        level = vec![];
        for child in children.as_array().unwrap_or(&[]) {
            level.extend(int_field(child, "id").map(Value::from));
            by_parent.entry(int_field(child, "parent").unwrap_or(0)).or_default().push(child.clone());
        }
    }
    Ok(Value::Array(rows.into_iter().map(|r| nest(r, &by_parent)).collect()))
}

/// `task` with its `children`, recursively, from the children of each task by parent id.
fn nest(task: Value, by_parent: &BTreeMap<i64, Vec<Value>>) -> Value {
    let Value::Struct(mut task) = task else { return task };
    let id = task.get("id").and_then(Value::as_i64).unwrap_or(0);
    let children = by_parent.get(&id).map_or(&[][..], Vec::as_slice);
    let nested = children.iter().map(|c| nest(c.clone(), by_parent)).collect();
    task.insert("children".into(), Value::Array(nested));
    Value::Struct(task)
}

/// `getTaskDescendents`' map (`{"id": [children]}`) keyed by id, as [`nest`] takes it.
fn by_parent(tree: &Value) -> BTreeMap<i64, Vec<Value>> {
    let Some(tree) = tree.as_struct() else { return BTreeMap::new() };
    tree.iter().filter_map(|(id, children)| Some((id.parse().ok()?, children.as_array()?.to_vec()))).collect()
}

pub async fn taskinfo(p: Page) -> KojiResult<View> {
    let id = p.required_int("taskID")?;
    let task = p.call("getTaskInfo", vec![id.into(), Value::Bool(true)]).await?;
    if task.is_nil() {
        return Err(KojiError::generic(format!("No such task ID: {id}")));
    }
    let field = |k| int_field(&task, k);
    let parent = match field("parent") {
        Some(pid) => Some(p.call("getTaskInfo", vec![pid.into()]).await?),
        None => None,
    };
    let tree = p.call("getTaskDescendents", vec![id.into()]).await?;
    let tree = nest(task.clone(), &by_parent(&tree));
    let owner = p.call("getUser", vec![field("owner").unwrap_or(0).into()]).await?;
    let host = match field("host_id") {
        Some(h) => Some(p.call("getHost", vec![h.into()]).await?),
        None => None,
    };
    let channel = p.call("getChannel", vec![field("channel_id").unwrap_or(0).into()]).await?;
    let files = output_files(&p, id).await?;
    let buildroots = p.call("listBuildroots", vec![kw([("taskID", id.into())])]).await?;
    // What a build task made, so a packager follows it from submission to the build.
    let builds = p.call("listBuilds", vec![kw([("taskID", id.into())])]).await?;
    let state = field("state").unwrap_or(0);
    // CLOSED or FAILED: the result, or the fault as a struct.
    let result = if [2, 5].contains(&state) {
        Some(p.call("getTaskResult", vec![id.into(), Value::Bool(false)]).await?)
    } else {
        None
    };
    Ok(View::new(
        "taskinfo.html",
        context! {
            title => format!("Task {id}"),
            task => v(&task), parent => parent.as_ref().map(v), tree => v(&tree),
            owner => v(&owner), host => host.as_ref().map(v), channel => v(&channel),
            files, buildroots => v(&buildroots), builds => v(&builds), result => result.as_ref().map(pretty),
            active => [0, 1, 4].contains(&state), finished => [3, 5].contains(&state),
        },
    ))
}

/// A value as indented JSON, for showing requests and results.
fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// `(name, size)` of the task's files, logs first as kojiweb sorts them.
async fn output_files(p: &Page, id: i64) -> KojiResult<Vec<(String, i64)>> {
    let listing = p.call("listTaskOutput", vec![id.into(), kw([("stat", Value::Bool(true))])]).await?;
    let mut files: Vec<(String, i64)> = listing
        .as_struct()
        .map(|s| {
            s.iter()
                .map(|(name, st)| {
                    let size = st.as_struct().and_then(|s| s.get("st_size")?.as_str()?.parse().ok()).unwrap_or(0);
                    (name.clone(), size)
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort_by_key(|(name, _)| (!name.ends_with(".log"), name.clone()));
    Ok(files)
}

/// Bytes per `downloadTaskOutput` call while streaming a file.
const CHUNK: i64 = 1 << 20;

/// `getfile?taskID=&name=[&offset=&size=]`: a task's output file, streamed in chunks from the hub.
pub async fn getfile(req: HttpRequest, state: web::Data<WebState>, q: Query) -> HttpResponse {
    let visit = Visit::start(&req, &state).await;
    let p = super::Page { visit, args: q.into_inner() };
    let parsed = (|| Ok::<_, KojiError>((p.required_int("taskID")?, p.int("offset")?, p.int("size")?)))();
    let name = p.arg("name").unwrap_or("").to_owned();
    let (task, offset, size) = match parsed {
        Ok(t) => t,
        Err(e) => return render::error(&e, p.visit.base()),
    };
    // The first chunk is fetched before answering, so a missing file is an error page, not an empty download.
    let first = fetch(&p.visit, task, &name, offset.unwrap_or(0), size.map_or(CHUNK, |s| s.min(CHUNK))).await;
    let first = match first {
        Ok(b) => b,
        Err(e) => return render::error(&e, p.visit.base()),
    };
    let mime = if name.ends_with(".log") || name.ends_with(".txt") {
        "text/plain; charset=utf-8"
    } else {
        "application/octet-stream"
    };
    let next = offset.unwrap_or(0) + first.len() as i64;
    let left = size.map(|s| s - first.len() as i64);
    let done = (first.len() as i64) < CHUNK || left.is_some_and(|l| l <= 0);
    let visit = p.visit;
    let rest = futures_util::stream::unfold(
        (visit, name.clone(), next, left, done),
        move |(visit, name, at, left, done)| async move {
            if done {
                return None;
            }
            let want = left.map_or(CHUNK, |l| l.min(CHUNK));
            let bytes = fetch(&visit, task, &name, at, want).await.ok()?;
            if bytes.is_empty() {
                return None;
            }
            let got = bytes.len() as i64;
            let left = left.map(|l| l - got);
            let done = got < want || left.is_some_and(|l| l <= 0);
            Some((Ok::<_, actix_web::Error>(Bytes::from(bytes)), (visit, name, at + got, left, done)))
        },
    );
    let body = futures_util::stream::once(async move { Ok(Bytes::from(first)) }).chain(rest);
    let shown = name.rsplit('/').next().unwrap_or(&name).replace('"', "");
    HttpResponse::Ok()
        .content_type(mime)
        .insert_header((header::CONTENT_DISPOSITION, format!("inline; filename=\"{shown}\"")))
        .streaming(body)
}

async fn fetch(visit: &Visit, task: i64, name: &str, offset: i64, size: i64) -> KojiResult<Vec<u8>> {
    let b64 = visit.call("downloadTaskOutput", vec![task.into(), name.into(), offset.into(), size.into()]).await?;
    base64::engine::general_purpose::STANDARD
        .decode(b64.as_str().unwrap_or("").as_bytes())
        .map_err(|e| KojiError::Internal(format!("bad base64 from downloadTaskOutput: {e}")))
}
