//! `tags`, `taginfo` (config, extra, inheritance, packages, latest builds, targets, repo), `buildtargets`,
//! `buildtargetinfo`, `repos` and `repoinfo`.

use super::{Page, int_field, v};
use crate::fault::{KojiError, KojiResult};
use crate::web::api::kw;
use crate::web::render::View;
use crate::xmlrpc::{Struct, Value};
use minijinja::context;

/// Tagged builds shown on a tag's page; the full list is `builds?tagID=` in kojiweb, here the CLI's job.
const TAGGED_SHOWN: usize = 50;

pub async fn tags(p: Page) -> KojiResult<View> {
    let paging = p.paging(&["name", "id"], "name");
    let pattern = p.arg("prefix").map(|pre| format!("{pre}*"));
    let mut args = vec![("queryOpts", paging.query_opts())];
    if let Some(pat) = &pattern {
        args.push(("pattern", pat.as_str().into()));
    }
    let rows = p.call("listTags", vec![kw(args)]).await?;
    let (rows, nav) = paging.page(rows);
    Ok(View::new("tags.html", context! { title => "Tags", tags => v(&rows), nav, prefix => p.arg("prefix") }))
}

pub async fn taginfo(p: Page) -> KojiResult<View> {
    let tag = p.call("getTag", vec![p.id_or_name("tagID")?, Value::Bool(true)]).await?;
    let id = int_field(&tag, "id").unwrap_or(0);
    let config = p.call("getBuildConfig", vec![id.into()]).await?;
    let inheritance = p.call("getFullInheritance", vec![id.into()]).await?;
    let children = p.call("getFullInheritance", vec![id.into(), kw([("reverse", Value::Bool(true))])]).await?;
    let paging = p.paging(&["package_name"], "package_name");
    let packages = p.call("listPackages", vec![kw([("tagID", id.into()), ("queryOpts", paging.query_opts())])]).await?;
    let (packages, nav) = paging.page(packages);
    let latest = p.call("listTagged", vec![id.into(), kw([("latest", Value::Bool(true))])]).await?;
    let latest_count = latest.as_array().map_or(0, <[Value]>::len);
    let latest: Vec<Value> = latest.as_array().unwrap_or(&[]).iter().take(TAGGED_SHOWN).cloned().collect();
    let build_targets = p.call("getBuildTargets", vec![kw([("buildTagID", id.into())])]).await?;
    let dest_targets = p.call("getBuildTargets", vec![kw([("destTagID", id.into())])]).await?;
    let repo = p.call("getRepo", vec![id.into()]).await?;
    Ok(View::new(
        "taginfo.html",
        context! {
            title => format!("Tag {}", tag.as_struct().and_then(|t| t.get("name")?.as_str()).unwrap_or("")),
            tag => v(&tag), config => v(&config), inheritance => v(&inheritance), children => v(&children),
            packages => v(&packages), nav, latest => v(&Value::Array(latest)), latest_count,
            build_targets => v(&build_targets), dest_targets => v(&dest_targets), repo => v(&repo),
            extra => pretty_extra(&config),
        },
    ))
}

/// The tag's `extra` (with what it inherits) as `key = value` lines.
fn pretty_extra(config: &Value) -> Vec<(String, String)> {
    let empty = Struct::new();
    let extra = config.as_struct().and_then(|c| c.get("extra")?.as_struct()).unwrap_or(&empty);
    extra.iter().map(|(k, val)| (k.clone(), serde_json::to_string(val).unwrap_or_default())).collect()
}

pub async fn buildtargets(p: Page) -> KojiResult<View> {
    let paging = p.paging(&["name", "id"], "name");
    let rows = p.call("getBuildTargets", vec![kw([("queryOpts", paging.query_opts())])]).await?;
    let (rows, nav) = paging.page(rows);
    Ok(View::new("buildtargets.html", context! { title => "Build Targets", targets => v(&rows), nav }))
}

pub async fn buildtargetinfo(p: Page) -> KojiResult<View> {
    let info = match (p.arg("targetID"), p.arg("name")) {
        (Some(_), _) => p.id_or_name("targetID")?,
        (None, Some(name)) => name.into(),
        (None, None) => return Err(KojiError::generic("targetID or name is required")),
    };
    let target = p.call("getBuildTarget", vec![info, Value::Nil, Value::Bool(true)]).await?;
    Ok(View::new("buildtargetinfo.html", context! { title => "Build Target", target => v(&target) }))
}

pub async fn repos(p: Page) -> KojiResult<View> {
    let paging = p.paging(&["id", "tag_name"], "-id");
    let mut opts = Struct::new();
    opts.insert("order".into(), paging.order.clone().into());
    opts.insert("offset".into(), paging.start.into());
    opts.insert("limit".into(), (super::PAGE_SIZE + 1).into());
    let mut clauses = vec![];
    if p.arg("tagID").is_some() {
        let tag = p.call("getTag", vec![p.id_or_name("tagID")?, Value::Bool(true)]).await?;
        clauses.push(Value::Array(vec!["tag_id".into(), "=".into(), int_field(&tag, "id").unwrap_or(0).into()]));
    }
    let fields = ["id", "tag_id", "tag_name", "state", "dist", "create_event", "create_ts", "task_id"];
    let fields = Value::Array(fields.iter().map(|f| Value::from(*f)).collect());
    let rows = p.call("repo.query", vec![Value::Array(clauses), fields, Value::Struct(opts)]).await?;
    let (rows, nav) = paging.page(rows);
    Ok(View::new("repos.html", context! { title => "Repos", repos => v(&rows), nav, tag => p.arg("tagID") }))
}

pub async fn repoinfo(p: Page) -> KojiResult<View> {
    let id = p.required_int("repoID")?;
    let repo = p.call("repoInfo", vec![id.into(), Value::Bool(true)]).await?;
    let buildroots = p.call("listBuildroots", vec![kw([("repoID", id.into())])]).await?;
    Ok(View::new(
        "repoinfo.html",
        context! { title => format!("Repo {id}"), repo => v(&repo), buildroots => v(&buildroots) },
    ))
}
