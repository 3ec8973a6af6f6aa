//! What users ask of the build system (Koji's RootExports `build`, `chainBuild`, `tagBuild`, `cancelBuild`):
//! each makes a task for the builders, or cancels one. The hub checks little here, as Koji's does; the `build`
//! task itself checks the target, policies and package list on the builder.

use super::lifecycle;
use crate::db::builds::STATE_COMPLETE;
use crate::fault::{KojiError, KojiResult};
use crate::lookup::BuildRef;
use crate::rpc::CallCtx;
use crate::rpc::args::InfoRef;
use crate::tagging;
use crate::tasks::{self, PRIO_DEFAULT, TaskSpec};
use crate::xmlrpc::Value;

/// Koji's priority argument: relative to the default, higher is later; only admins may go below 0.
async fn priority(ctx: &CallCtx, relative: Option<i32>) -> KojiResult<Option<i32>> {
    match relative.filter(|p| *p != 0) {
        None => Ok(None),
        Some(p) if p < 0 && !ctx.has_perm("admin").await? => {
            Err(KojiError::not_allowed("only admins may create high-priority tasks"))
        }
        Some(p) => Ok(Some(PRIO_DEFAULT + p)),
    }
}

/// One top-level task for the logged-in user, committed.
async fn submit(ctx: &CallCtx, spec: TaskSpec) -> KojiResult<i32> {
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let id = tasks::make_task(&tx, spec).await?;
    tx.commit().await?;
    ctx.committed();
    Ok(id)
}

/// `build(src, target, opts, priority, channel)` and `chainBuild(srcs, …)`: a `build` (`chainbuild`) task
/// with `[src, target, opts]` as its request.
pub async fn build_task(
    ctx: &CallCtx,
    method: &str,
    src: Value,
    target: Value,
    opts: Option<Value>,
    relative_priority: Option<i32>,
    channel: Option<String>,
) -> KojiResult<i32> {
    let owner = ctx.require_login()?.user_id;
    let opts = opts.filter(Value::truthy).unwrap_or_else(|| Value::Struct(Default::default()));
    let priority = priority(ctx, relative_priority).await?;
    let spec = TaskSpec {
        method: method.to_owned(),
        params: vec![src, target, opts],
        owner,
        channel: channel.filter(|c| !c.is_empty()),
        priority,
        ..Default::default()
    };
    submit(ctx, spec).await
}

/// `tagBuild(tag, build, force, fromtag)`: checks what Koji's does up front (a COMPLETE build, access to the
/// tags, the package listed and not blocked; an admin's `force` adds a missing package), then makes a
/// `tagBuild` task at priority 10.
pub async fn tag_build_task(
    ctx: &CallCtx,
    tag: &InfoRef,
    build: &BuildRef,
    force: bool,
    fromtag: Option<&InfoRef>,
) -> KojiResult<i32> {
    let user = ctx.require_login()?.user_id;
    let db = ctx.db().await?;
    let (build, tag, from) = tagging::tagging_rows(&db, tag, build, fromtag).await?;
    if build.state != STATE_COMPLETE {
        return Err(tagging::not_complete(&build));
    }
    crate::tags::assert_tag_access(&db, &tag, user, force).await?;
    if let Some(from) = &from {
        crate::tags::assert_tag_access(&db, from, user, force).await?;
    }
    let problem = tagging::listing_problem(&db, tag.id, &build, &tag.name).await?;
    drop(db);
    if let Some(problem) = problem {
        if !(force && ctx.has_perm("admin").await?) {
            return Err(KojiError::Tag(problem));
        }
        let change = crate::packages::edit::EntryChange { force: true, block: Some(false), ..Default::default() };
        crate::packages::edit::add(ctx, &InfoRef::Id(tag.id.into()), &InfoRef::Id(build.package_id.into()), change)
            .await?;
        tracing::info!(tag = %tag.name, build = %build.nvr(), "package added to the tag by force");
    }
    let params = vec![
        Value::Int(tag.id.into()),
        Value::Int(build.id.into()),
        Value::Bool(force),
        from.map_or(Value::Nil, |f| Value::Int(f.id.into())),
    ];
    submit(ctx, TaskSpec { method: "tagBuild".into(), params, owner: user, priority: Some(10), ..Default::default() })
        .await
}

/// `cancelBuild(buildID, strict)`: the owner or an admin cancels a BUILDING build and its task tree; false
/// when there is no such build (not strict) or it is not BUILDING.
pub async fn cancel_build(ctx: &CallCtx, build: &BuildRef, strict: bool) -> KojiResult<bool> {
    let user = ctx.require_login()?.user_id;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let Some(info) = super::info::get_build(&tx, build, strict).await? else { return Ok(false) };
    let int = |k: &str| info.get(k).and_then(Value::as_i64).map(|v| v as i32);
    if int("owner_id") != Some(user) && !ctx.has_perm("admin").await? {
        return Err(KojiError::not_allowed("Cannot cancel build, not owner"));
    }
    let id = int("id").expect("a build record has an id");
    if !lifecycle::cancel_build(&tx, id, int("task_id")).await? {
        return Ok(false);
    }
    tx.commit().await?;
    ctx.committed();
    tracing::info!(build = id, "build canceled");
    Ok(true)
}
