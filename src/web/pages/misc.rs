//! `index` (running and recent tasks, recent builds), `users`, `userinfo` and `search`.

use super::{Page, int_field, v};
use crate::fault::{KojiError, KojiResult};
use crate::web::api::kw;
use crate::web::render::View;
use crate::xmlrpc::{Struct, Value};
use minijinja::context;

fn newest(order: &str, limit: i64) -> Value {
    let mut q = Struct::new();
    q.insert("order".into(), order.into());
    q.insert("limit".into(), limit.into());
    Value::Struct(q)
}

fn task_opts(pairs: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    Value::Struct(pairs.into_iter().map(|(k, val)| (k.to_owned(), val)).collect())
}

pub async fn index(p: Page) -> KojiResult<View> {
    let active = Value::Array(vec![0.into(), 1.into(), 4.into()]);
    let running =
        p.call("listTasks", vec![task_opts([("state", active), ("parent", Value::Nil)]), newest("-id", 20)]).await?;
    let recent = p.call("listTasks", vec![task_opts([("parent", Value::Nil)]), newest("-id", 10)]).await?;
    let builds = p.call("listBuilds", vec![kw([("queryOpts", newest("-build_id", 10))])]).await?;
    Ok(View::new(
        "index.html",
        context! { title => "Home", running => v(&running), recent => v(&recent), builds => v(&builds) },
    ))
}

pub async fn users(p: Page) -> KojiResult<View> {
    let paging = p.paging(&["name", "id"], "name");
    let mut args = vec![("queryOpts", paging.query_opts())];
    if let Some(pre) = p.arg("prefix") {
        args.push(("prefix", pre.into()));
    }
    let rows = p.call("listUsers", vec![kw(args)]).await?;
    let (rows, nav) = paging.page(rows);
    Ok(View::new("users.html", context! { title => "Users", users => v(&rows), nav, prefix => p.arg("prefix") }))
}

pub async fn userinfo(p: Page) -> KojiResult<View> {
    let user = p.call("getUser", vec![p.id_or_name("userID")?, Value::Bool(true)]).await?;
    let id = int_field(&user, "id").unwrap_or(0);
    let tasks =
        p.call("listTasks", vec![task_opts([("owner", id.into()), ("parent", Value::Nil)]), newest("-id", 20)]).await?;
    let builds =
        p.call("listBuilds", vec![kw([("userID", id.into()), ("queryOpts", newest("-build_id", 20))])]).await?;
    let perms = p.call("getUserPerms", vec![id.into()]).await?;
    Ok(View::new(
        "userinfo.html",
        context! {
            title => format!("User {}", user.as_struct().and_then(|u| u.get("name")?.as_str()).unwrap_or("")),
            user_info => v(&user), tasks => v(&tasks), builds => v(&builds), perms => v(&perms),
        },
    ))
}

/// What can be searched, and the page each result links to.
const SEARCH_TYPES: &[(&str, &str)] = &[
    ("package", "packageinfo?packageID="),
    ("build", "buildinfo?buildID="),
    ("tag", "taginfo?tagID="),
    ("target", "buildtargetinfo?targetID="),
    ("user", "userinfo?userID="),
    ("host", "hostinfo?hostID="),
];

pub async fn search(p: Page) -> KojiResult<View> {
    let terms = p.arg("terms").map(str::to_owned);
    let kind = p.arg("type").unwrap_or("package").to_owned();
    let matching = p.arg("match").unwrap_or("glob").to_owned();
    let types: Vec<&str> = SEARCH_TYPES.iter().map(|(t, _)| *t).collect();
    let base = context! { title => "Search", terms, kind => kind.clone(), matching => matching.clone(), types };
    let Some(terms) = p.arg("terms") else { return Ok(View::new("search.html", base)) };
    if !["glob", "regexp", "exact"].contains(&matching.as_str()) {
        return Err(KojiError::generic(format!("No such match type: {matching:?}")));
    }
    let link = SEARCH_TYPES
        .iter()
        .find(|(t, _)| *t == kind)
        .map(|(_, l)| *l)
        .ok_or_else(|| KojiError::generic(format!("unknown search type: {kind}")))?;
    if matching == "regexp" && regex::Regex::new(terms).is_err() {
        return Ok(View::new("search.html", context! { error => "Invalid regular expression", ..base }));
    }
    let paging = p.paging(&["name", "id"], "name");
    let rows = p
        .call("search", vec![terms.into(), kind.as_str().into(), matching.as_str().into(), paging.query_opts()])
        .await?;
    let (rows, nav) = paging.page(rows);
    Ok(View::new("search.html", context! { results => v(&rows), nav, link, ..base }))
}
