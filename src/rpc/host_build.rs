//! The `host.*` calls of a build task (Koji's HostExports): the build row (`initBuild`, `completeBuild`,
//! `failBuild`, `moveBuildToScratch`), tagging (`tagBuild`, `tagNotification`), policies and buildroots. Each
//! checks that the calling host has the task OPEN (Koji's `Task.assertHost`) before changing anything.

use super::CallCtx;
use super::args::{Flag, InfoRef};
use super::host::{host_tx, require_host};
use super::registry::Registry;
use crate::buildroots::standard::{self, State};
use crate::builds::complete::{self, TaskResults};
use crate::builds::lifecycle::{self, InitData};
use crate::db::builds as build_db;
use crate::fault::{KojiError, KojiResult};
use crate::files::blocking;
use crate::lookup::BuildRef;
use crate::pathinfo::PathInfo;
use crate::policy;
use crate::tasks::host_side::assert_host;
use crate::xmlrpc::{Struct, Value};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Deserialize)]
struct Init {
    data: InitData,
}

#[derive(Deserialize)]
struct Complete {
    task_id: i32,
    build_id: i32,
    srpm: String,
    rpms: Vec<String>,
    brmap: Option<HashMap<String, i32>>,
    logs: Option<BTreeMap<String, Vec<String>>>,
}

#[derive(Deserialize)]
struct Fail {
    task_id: i32,
    build_id: i32,
}

#[derive(Deserialize)]
struct Scratch {
    task_id: i32,
    srpm: String,
    rpms: Vec<String>,
    logs: Option<BTreeMap<String, Vec<String>>>,
}

#[derive(Deserialize)]
struct TagBuild {
    task_id: i32,
    tag: InfoRef,
    build: BuildRef,
    force: Flag,
    fromtag: Option<InfoRef>,
}

/// `host.tagNotification`'s arguments, accepted and ignored: koji-rs sends no notification mail.
#[derive(Deserialize)]
struct Ignored {}

#[derive(Deserialize)]
struct Policy {
    name: String,
    data: Struct,
    strict: Option<Flag>,
}

#[derive(Deserialize)]
struct NewBuildRoot {
    repo: i32,
    arch: String,
    task_id: Option<i32>,
}

#[derive(Deserialize)]
struct BuildRootState {
    brootid: i32,
    state: State,
    task_id: Option<i32>,
}

#[derive(Deserialize)]
struct BuildRootList {
    brootid: i32,
    rpmlist: Vec<Value>,
    task_id: Option<i32>,
}

async fn init_build(ctx: CallCtx, a: Init) -> KojiResult<i32> {
    let host = require_host(&ctx).await?;
    if let Some(name) = &a.data.name {
        ctx.hub.verify_name_internal(name)?;
    }
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let task = assert_host(&tx, host, a.data.task_id).await?;
    let done = lifecycle::init_build(&tx, &a.data, task.owner).await?;
    let stray = if done.recycled {
        let volumes = build_db::volume_names(&tx).await?;
        let build = build_db::row_by_id(&tx, done.build_id).await?.expect("the build was just written");
        let paths = PathInfo::new(&ctx.hub.config.koji_dir);
        volumes.iter().map(|v| paths.build_dir(v, &build.name, &build.version, &build.release)).collect()
    } else {
        vec![]
    };
    tx.commit().await?;
    ctx.committed();
    if !stray.is_empty() {
        blocking(move || {
            lifecycle::remove_stray_files(&stray);
            Ok(())
        })
        .await?;
    }
    tracing::info!(build = done.build_id, task = a.data.task_id, "build started");
    Ok(done.build_id)
}

async fn complete_build(ctx: CallCtx, a: Complete) -> KojiResult<Struct> {
    let host = require_host(&ctx).await?;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    assert_host(&tx, host, a.task_id).await?;
    let results = TaskResults {
        srpm: a.srpm,
        rpms: a.rpms,
        brmap: a.brmap.unwrap_or_default(),
        logs: a.logs.unwrap_or_default(),
    };
    let build = complete::complete_build(&ctx.hub.config.koji_dir, tx, a.task_id, a.build_id, results).await?;
    ctx.committed();
    tracing::info!(build = a.build_id, task = a.task_id, "build completed");
    Ok(build)
}

async fn fail_build(ctx: CallCtx, a: Fail) -> KojiResult<()> {
    let done: KojiResult<()> = host_tx!(ctx, |tx, host| {
        assert_host(&tx, host, a.task_id).await?;
        lifecycle::fail_build(&tx, a.build_id).await?
    });
    done?;
    tracing::info!(build = a.build_id, task = a.task_id, "build failed");
    Ok(())
}

async fn move_build_to_scratch(ctx: CallCtx, a: Scratch) -> KojiResult<()> {
    let host = require_host(&ctx).await?;
    let db = ctx.db().await?;
    let task = assert_host(&db, host, a.task_id).await?;
    let owner = crate::users::resolve_strict(&db, &InfoRef::Id(task.owner.into())).await?;
    let logs = a.logs.unwrap_or_default();
    complete::move_to_scratch(&ctx.hub.config.koji_dir, &owner.name, a.task_id, &a.srpm, &a.rpms, &logs).await
}

async fn tag_build(ctx: CallCtx, a: TagBuild) -> KojiResult<()> {
    host_tx!(ctx, |tx, host| {
        let task = assert_host(&tx, host, a.task_id).await?;
        crate::tagging::tag_for_task(&tx, task.owner, &a.tag, &a.build, a.force.0, a.fromtag.as_ref()).await?
    })
}

async fn tag_notification(ctx: CallCtx, _: Ignored) -> KojiResult<()> {
    require_host(&ctx).await?;
    Ok(())
}

async fn assert_policy(ctx: CallCtx, a: Policy) -> KojiResult<()> {
    require_host(&ctx).await?;
    let user = ctx.session().map(|s| s.user_id);
    policy::check(&ctx.db().await?, &a.name, &a.data, user, true).await.map(|_| ())
}

async fn check_policy(ctx: CallCtx, a: Policy) -> KojiResult<(bool, String)> {
    require_host(&ctx).await?;
    let user = ctx.session().map(|s| s.user_id);
    policy::check(&ctx.db().await?, &a.name, &a.data, user, a.strict.is_some_and(|s| s.0)).await
}

async fn eval_policy(ctx: CallCtx, a: Policy) -> KojiResult<String> {
    require_host(&ctx).await?;
    let user = ctx.session().map(|s| s.user_id);
    match policy::evaluate(&ctx.db().await?, &a.name, &a.data, user).await? {
        Some(action) => Ok(action.0),
        None => Err(KojiError::generic(format!("no such policy: {}", a.name))),
    }
}

/// A buildroot call's task, when it names one, must be OPEN on the calling host.
async fn owns(db: &impl deadpool_postgres::GenericClient, host: i32, task: Option<i32>) -> KojiResult<()> {
    if let Some(task) = task {
        assert_host(db, host, task).await?;
    }
    Ok(())
}

async fn new_buildroot(ctx: CallCtx, a: NewBuildRoot) -> KojiResult<i32> {
    host_tx!(ctx, |tx, host| {
        owns(&tx, host, a.task_id).await?;
        standard::create(&tx, host, a.repo, &a.arch, a.task_id).await?
    })
}

async fn set_buildroot_state(ctx: CallCtx, a: BuildRootState) -> KojiResult<()> {
    host_tx!(ctx, |tx, host| {
        owns(&tx, host, a.task_id).await?;
        standard::set_state(&tx, a.brootid, host, a.task_id, &a.state).await?
    })
}

async fn set_buildroot_list(ctx: CallCtx, a: BuildRootList) -> KojiResult<()> {
    host_tx!(ctx, |tx, host| {
        owns(&tx, host, a.task_id).await?;
        standard::set_list(&tx, a.brootid, host, a.task_id, &a.rpmlist, false).await?
    })
}

async fn update_buildroot_list(ctx: CallCtx, a: BuildRootList) -> KojiResult<()> {
    host_tx!(ctx, |tx, host| {
        owns(&tx, host, a.task_id).await?;
        standard::set_list(&tx, a.brootid, host, a.task_id, &a.rpmlist, true).await?
    })
}

pub fn register(r: &mut Registry) {
    r.add("host.initBuild", "data", "Create the BUILDING build of a build task.", init_build);
    r.add(
        "host.completeBuild",
        "task_id, build_id, srpm, rpms, brmap=None, logs=None",
        "Import a build task's results: the build becomes COMPLETE.",
        complete_build,
    );
    r.add("host.failBuild", "task_id, build_id", "Mark a BUILDING build FAILED.", fail_build);
    r.add(
        "host.moveBuildToScratch",
        "task_id, srpm, rpms, logs=None",
        "File a scratch build's results under scratch/<owner>/task_<id>/.",
        move_build_to_scratch,
    );
    r.add(
        "host.tagBuild",
        "task_id, tag, build, force=False, fromtag=None",
        "Tag a build as the task owner.",
        tag_build,
    );
    r.add(
        "host.tagNotification",
        "is_successful, tag_id, from_id, build_id, user_id, ignore_success=False, failure_msg=''",
        "Accepted; koji-rs sends no notifications.",
        tag_notification,
    );
    r.add("host.assertPolicy", "name, data, default='deny'", "Enforce a hub policy.", assert_policy);
    r.add(
        "host.checkPolicy",
        "name, data, default='deny', strict=False",
        "[allowed, reason] of a hub policy.",
        check_policy,
    );
    r.add("host.evalPolicy", "name, data", "The action a hub policy gives.", eval_policy);
    r.add("host.newBuildRoot", "repo, arch, task_id=None", "Record a new buildroot (state INIT).", new_buildroot);
    r.add("host.setBuildRootState", "brootid, state, task_id=None", "Change a buildroot's state.", set_buildroot_state);
    r.add(
        "host.setBuildRootList",
        "brootid, rpmlist, task_id=None",
        "The rpms installed in a new buildroot.",
        set_buildroot_list,
    );
    r.add(
        "host.updateBuildRootList",
        "brootid, rpmlist, task_id=None",
        "Rpms installed in a buildroot while it builds.",
        update_buildroot_list,
    );
}
