//! `builds`, `buildinfo` (RPMs, logs, tags, buildroots), `packages` and `packageinfo`.

use super::{Page, int_field, v};
use crate::fault::{KojiError, KojiResult};
use crate::web::api::kw;
use crate::web::render::View;
use crate::xmlrpc::Value;
use minijinja::context;

const BUILD_STATES: &[(&str, i64)] =
    &[("building", 0), ("complete", 1), ("deleted", 2), ("failed", 3), ("canceled", 4)];

pub async fn builds(p: Page) -> KojiResult<View> {
    let paging = p.paging(&["build_id", "nvr", "owner_name", "completion_time", "creation_time"], "-build_id");
    let mut args = vec![("queryOpts", paging.query_opts())];
    let state = p.arg("state").map(str::to_owned);
    if let Some(s) = &state {
        let code = BUILD_STATES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|(_, c)| *c)
            .ok_or_else(|| KojiError::generic(format!("Invalid value for state: {s:?}")))?;
        args.push(("state", code.into()));
    }
    let package = match p.arg("packageID") {
        Some(_) => Some(p.call("getPackage", vec![p.id_or_name("packageID")?, Value::Bool(true)]).await?),
        None => None,
    };
    if let Some(pkg) = &package {
        args.push(("packageID", int_field(pkg, "id").unwrap_or(0).into()));
    }
    let owner = match p.arg("userID") {
        Some(_) => Some(p.call("getUser", vec![p.id_or_name("userID")?, Value::Bool(true)]).await?),
        None => None,
    };
    if let Some(u) = &owner {
        args.push(("userID", int_field(u, "id").unwrap_or(0).into()));
    }
    let prefix = p.arg("prefix").map(str::to_owned);
    if let Some(pre) = &prefix {
        args.push(("prefix", pre.as_str().into()));
    }
    let rows = p.call("listBuilds", vec![kw(args)]).await?;
    let (rows, nav) = paging.page(rows);
    Ok(View::new(
        "builds.html",
        context! {
            title => "Builds", builds => v(&rows), nav, state, prefix,
            package => package.as_ref().map(v), owner => owner.as_ref().map(v),
            states => BUILD_STATES.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        },
    ))
}

pub async fn buildinfo(p: Page) -> KojiResult<View> {
    let id = p.id_or_name("buildID")?;
    let build = p.call("getBuild", vec![id, Value::Bool(true)]).await?;
    let bid = int_field(&build, "id").unwrap_or(0);
    let rpms = p.call("listBuildRPMs", vec![bid.into()]).await?;
    let logs = p.call("getBuildLogs", vec![bid.into()]).await?;
    let tags = p.call("listTags", vec![bid.into()]).await?;
    let mut roots: Vec<i64> =
        rpms.as_array().unwrap_or(&[]).iter().filter_map(|r| int_field(r, "buildroot_id")).collect();
    roots.sort_unstable();
    roots.dedup();
    Ok(View::new(
        "buildinfo.html",
        context! {
            title => format!("Build {}", build.as_struct().and_then(|b| b.get("nvr")?.as_str()).unwrap_or("")),
            build => v(&build), rpms => v(&rpms), logs => v(&logs), tags => v(&tags), buildroots => roots,
        },
    ))
}

pub async fn packages(p: Page) -> KojiResult<View> {
    let paging = p.paging(&["package_name", "package_id"], "package_name");
    let prefix = p.arg("prefix").map(str::to_owned);
    let mut args = vec![("queryOpts", paging.query_opts())];
    if let Some(pre) = &prefix {
        args.push(("prefix", pre.as_str().into()));
    }
    let rows = p.call("listPackages", vec![kw(args)]).await?;
    let (rows, nav) = paging.page(rows);
    Ok(View::new("packages.html", context! { title => "Packages", packages => v(&rows), nav, prefix }))
}

pub async fn packageinfo(p: Page) -> KojiResult<View> {
    let package = p.call("getPackage", vec![p.id_or_name("packageID")?, Value::Bool(true)]).await?;
    let id = int_field(&package, "id").unwrap_or(0);
    let tags = p.call("listTags", vec![kw([("package", id.into())])]).await?;
    let paging = p.paging(&["build_id", "nvr", "completion_time"], "-build_id");
    let builds = p.call("listBuilds", vec![kw([("packageID", id.into()), ("queryOpts", paging.query_opts())])]).await?;
    let (builds, nav) = paging.page(builds);
    Ok(View::new(
        "packageinfo.html",
        context! {
            title => format!("Package {}", package.as_struct().and_then(|b| b.get("name")?.as_str()).unwrap_or("")),
            package => v(&package), tags => v(&tags), builds => v(&builds), nav,
        },
    ))
}
