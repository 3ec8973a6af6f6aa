//! Koji's `BuildTask` (`build src, target, opts`), the parent of a build (spec §1.3): the build tag's repo
//! (`repo.request`, else a `waitrepo` child), the SRPM (`buildSRPMFromSCM` or `rebuildSRPM` child, or the
//! upload as is), its header, the package-list check, `host.initBuild`, one `buildArch` child per arch
//! (all awaited, any failure fails the build), `completeBuild` (or `moveBuildToScratch`), `failBuild` on
//! error, and a `tagBuild` child.

use crate::builder::arches::{SrpmArches, arch_list, canon_arch};
use crate::builder::task::{TaskArgs, TaskCtx, TaskError, TaskResult, field, field_int, field_str, kwargs, strukt};
use crate::rpms::file::{RpmFile, header_fields};
use crate::xmlrpc::{Struct, Value};
use std::sync::Arc;

pub const METHODS: &[&str] = &["build"];
pub const WEIGHT: f64 = 0.2;

pub async fn handle(ctx: Arc<TaskCtx>, args: TaskArgs) -> TaskResult {
    let src = args.str(0, "src")?;
    let target = args.required(1, "target")?.clone();
    let opts = args.opts(2, "opts");
    let flag = |k: &str| opts.get(k).is_some_and(Value::truthy);
    let (scratch, skip_tag) = (flag("scratch"), flag("skip_tag"));
    let mut repo = None;
    let mut event = Value::Nil;
    if let Some(id) = opts.get("repo_id").filter(|v| !v.is_nil()) {
        let info = ctx.call("repoInfo", vec![id.clone(), Value::Bool(true)]).await?;
        let state = field_int(&info, "state")?;
        if state != 1 && state != 2 {
            return Err(TaskError::build(format!("Bad repo: {id:?} (state {state})")));
        }
        event = field(&info, "create_event").cloned().unwrap_or_default();
        repo = Some(info);
    }
    let target_info = ctx.call("getBuildTarget", vec![target.clone(), event.clone(), Value::Bool(true)]).await?;
    let dest_tag = ctx
        .call(
            "getTag",
            vec![field(&target_info, "dest_tag").cloned().unwrap_or_default(), Value::Bool(true), event.clone()],
        )
        .await?;
    let build_tag = ctx
        .call(
            "getTag",
            vec![field(&target_info, "build_tag").cloned().unwrap_or_default(), Value::Bool(true), event.clone()],
        )
        .await?;
    let build_tag_id = field_int(&build_tag, "id")?;
    let repo = match repo {
        Some(r) => r,
        None => get_repo(&ctx, &build_tag, flag("wait_repo")).await?,
    };
    let repo_id = field_int(&repo, "id")?;

    let (srpm, source) = get_srpm(&ctx, &src, build_tag_id, repo_id, &opts).await?;
    let local = ctx.download(&format!("work/{srpm}")).await?;
    let header = RpmFile::read(&local).map_err(|e| TaskError::build(e.to_string()))?;
    if !header.is_source {
        return Err(TaskError::build(format!("{srpm} is not a source package")));
    }
    let dest_name = field_str(&dest_tag, "name")?;
    let mut extra_arches = String::new();
    if !scratch && !skip_tag {
        extra_arches = package_config(&ctx, &dest_tag, &dest_name, &header.name).await?;
    }
    let build_config = ctx.call("getBuildConfig", vec![Value::Int(build_tag_id), event.clone()]).await?;
    let arches = arch_list(
        &field_str(&build_config, "arches").unwrap_or_default(),
        &extra_arches,
        &srpm_arches(&local)?,
        if scratch { opts.get("arch_override").and_then(Value::as_str) } else { None },
    )?;

    let mut data: Vec<(&str, Value)> = vec![
        ("name", header.name.clone().into()),
        ("version", header.version.clone().into()),
        ("release", header.release.clone().into()),
        ("epoch", header.epoch.map_or(Value::Nil, |e| Value::Int(e.into()))),
        ("task_id", Value::Int(ctx.id.into())),
    ];
    if let Some(source) = &source {
        data.push(("source", field(source, "source").cloned().unwrap_or_default()));
        let url = field(source, "url").cloned().unwrap_or_default();
        data.push(("extra", strukt(vec![("source", strukt(vec![("original_url", url)]))])));
    }
    let build_id = if scratch {
        None
    } else {
        Some(
            ctx.call("host.initBuild", vec![strukt(data)])
                .await?
                .as_i64()
                .ok_or_else(|| TaskError::generic("host.initBuild returned no id"))?,
        )
    };
    let task = Value::Int(ctx.id.into());
    let done = async {
        let (srpm, rpms, brmap, logs) = run_builds(&ctx, &srpm, build_tag_id, repo_id, &arches).await?;
        if scratch {
            ctx.call("host.moveBuildToScratch", vec![task.clone(), srpm, rpms, kwargs(vec![("logs", logs)])]).await
        } else {
            let id = Value::Int(build_id.expect("set for non-scratch"));
            ctx.call("host.completeBuild", vec![task.clone(), id, srpm, rpms, brmap, kwargs(vec![("logs", logs)])])
                .await
        }
    }
    .await;
    if let Err(e) = done {
        if let Some(id) = build_id
            && let Err(fe) = ctx.call("host.failBuild", vec![task.clone(), Value::Int(id)]).await
        {
            tracing::warn!(task = ctx.id, error = %fe, "failBuild");
        }
        return Err(e);
    }
    if let Some(id) = build_id.filter(|_| !skip_tag) {
        let args = vec![
            Value::Int(field_int(&dest_tag, "id")?),
            Value::Int(id),
            Value::Bool(false),
            Value::Nil,
            Value::Bool(true),
        ];
        let child = ctx.subtask("tagBuild", args, "tag", Some("noarch")).await?;
        ctx.wait(&[child], true, true, &[]).await?;
    }
    Ok(Value::Nil)
}

/// Koji's `getRepo` through `RepoWatcher`: a current repo right away, or a `waitrepo` child that waits for the
/// request to be fulfilled.
async fn get_repo(ctx: &TaskCtx, build_tag: &Value, wait: bool) -> Result<Value, TaskError> {
    let tag_id = field(build_tag, "id").cloned().unwrap_or_default();
    let min_event = if wait { Value::from("last") } else { Value::Nil };
    let answer = ctx.call("repo.request", vec![tag_id, kwargs(vec![("min_event", min_event)])]).await?;
    if let Some(repo) = field(&answer, "repo") {
        return Ok(repo.clone());
    }
    let min_event = field(&answer, "request").and_then(|r| field(r, "min_event")).cloned().unwrap_or_default();
    let args = vec![field_str(build_tag, "name")?.into(), Value::Nil, Value::Nil, min_event];
    let child = ctx.subtask("waitrepo", args, "waitrepo", Some("noarch")).await?;
    let results = ctx.wait(&[child], true, true, &[]).await?;
    results.into_iter().next().map(|(_, r)| r).ok_or_else(|| TaskError::generic("waitrepo returned nothing"))
}

/// The SRPM to build (path under `work/`) and its SCM source: from `buildSRPMFromSCM`, from `rebuildSRPM`
/// (the tag's `rebuild_srpm` extra, default on; a scratch build may say otherwise), or the upload itself.
async fn get_srpm(
    ctx: &TaskCtx,
    src: &str,
    build_tag: i64,
    repo_id: i64,
    opts: &Struct,
) -> Result<(String, Option<Value>), TaskError> {
    let child_opts = strukt(vec![
        ("repo_id", Value::Int(repo_id)),
        ("scratch", Value::Bool(opts.get("scratch").is_some_and(Value::truthy))),
    ]);
    let method = if src.contains("://") {
        "buildSRPMFromSCM"
    } else {
        let config = ctx.call("getBuildConfig", vec![Value::Int(build_tag)]).await?;
        let mut rebuild = field(&config, "extra").and_then(|e| field(e, "rebuild_srpm")).is_none_or(Value::truthy);
        if opts.get("scratch").is_some_and(Value::truthy)
            && let Some(v) = opts.get("rebuild_srpm").filter(|v| !v.is_nil())
        {
            rebuild = v.truthy();
        }
        if !rebuild {
            return Ok((src.to_owned(), None));
        }
        "rebuildSRPM"
    };
    let child =
        ctx.subtask(method, vec![src.into(), Value::Int(build_tag), child_opts], "srpm", Some("noarch")).await?;
    let results = ctx.wait(&[child], true, true, &[]).await?;
    let result = results.into_iter().next().map(|(_, r)| r).unwrap_or_default();
    let srpm = field_str(&result, "srpm")?;
    Ok((srpm, field(&result, "source").cloned().filter(|_| method == "buildSRPMFromSCM")))
}

/// The package's entry in the destination tag (inherited): it must be listed and not blocked; returns its
/// `extra_arches`.
async fn package_config(ctx: &TaskCtx, dest_tag: &Value, dest_name: &str, name: &str) -> Result<String, TaskError> {
    let listed = ctx
        .call(
            "listPackages",
            vec![kwargs(vec![
                ("tagID", field(dest_tag, "id").cloned().unwrap_or_default()),
                ("pkgID", name.into()),
                ("inherited", Value::Bool(true)),
            ])],
        )
        .await
        .ok()
        .and_then(|v| v.as_array().and_then(|a| a.first().cloned()));
    let Some(entry) = listed else {
        return Err(TaskError::build(format!("package {name} not in list for tag {dest_name}")));
    };
    if field(&entry, "blocked").is_some_and(Value::truthy) {
        return Err(TaskError::build(format!("package {name} is blocked for tag {dest_name}")));
    }
    Ok(field(&entry, "extra_arches").and_then(Value::as_str).unwrap_or_default().to_owned())
}

fn srpm_arches(path: &std::path::Path) -> Result<SrpmArches, TaskError> {
    let names = ["buildarchs", "exclusivearch", "excludearch"].map(str::to_owned);
    let h = header_fields(path, Some(&names)).map_err(|e| TaskError::build(e.to_string()))?;
    let list = |k: &str| match h.get(k) {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => vec![],
    };
    Ok(SrpmArches {
        buildarchs: list("buildarchs"),
        exclusivearch: list("exclusivearch"),
        excludearch: list("excludearch"),
    })
}

/// Koji's `runBuilds`: a `buildArch` child per arch (the first keeps its SRPM, which is the one imported),
/// all awaited with failany; returns `(srpm, rpms, brmap, logs by arch)`.
async fn run_builds(
    ctx: &TaskCtx,
    srpm: &str,
    build_tag: i64,
    repo_id: i64,
    arches: &[String],
) -> Result<(Value, Value, Value, Value), TaskError> {
    let mut children = Vec::new();
    for (i, arch) in arches.iter().enumerate() {
        let task_arch = if arch == "noarch" { "noarch".to_owned() } else { canon_arch(arch) };
        let args = vec![
            srpm.into(),
            Value::Int(build_tag),
            arch.as_str().into(),
            Value::Bool(i == 0),
            strukt(vec![("repo_id", Value::Int(repo_id))]),
        ];
        children.push((arch.clone(), ctx.subtask("buildArch", args, arch, Some(&task_arch)).await?));
    }
    let ids: Vec<i32> = children.iter().map(|(_, id)| *id).collect();
    let results: std::collections::HashMap<i32, Value> = ctx.wait(&ids, true, true, &[]).await?.into_iter().collect();
    let (mut built_srpm, mut rpms, mut brmap, mut logs) = (None, vec![], Struct::new(), Struct::new());
    for (arch, id) in &children {
        let result = results.get(id).ok_or_else(|| TaskError::build(format!("no result from task {id}")))?;
        let brootid = field(result, "brootid").cloned().unwrap_or_default();
        let paths = |k: &str| field(result, k).and_then(Value::as_array).unwrap_or_default().to_vec();
        for f in paths("rpms") {
            if let Some(p) = f.as_str() {
                brmap.insert(p.to_owned(), brootid.clone());
            }
            rpms.push(f);
        }
        let mut arch_logs = paths("logs");
        if let Some(Value::Array(existing)) = logs.get_mut(arch) {
            existing.append(&mut arch_logs);
        } else {
            logs.insert(arch.clone(), Value::Array(arch_logs));
        }
        if let Some(s) = paths("srpms").first() {
            if built_srpm.is_some() {
                return Err(TaskError::build(format!("multiple builds returned a srpm.  task {}", ctx.id)));
            }
            if let Some(p) = s.as_str() {
                brmap.insert(p.to_owned(), brootid.clone());
            }
            built_srpm = Some(s.clone());
        }
    }
    let srpm = built_srpm.ok_or_else(|| TaskError::build("could not find a built srpm"))?;
    Ok((srpm, Value::Array(rpms), Value::Struct(brmap), Value::Struct(logs)))
}
