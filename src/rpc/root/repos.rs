//! Repo calls of Koji's RootExports: `getRepo`, `repoInfo`, `getTagExternalRepos`, `getExternalRepoList`, the
//! legacy `newRepo` task, and the state changes kojira made (`repoExpire`, `repoDelete`, `repoProblem`).

use crate::fault::{KojiError, KojiResult};
use crate::repos::{self, REPO_EXPIRED, REPO_PROBLEM};
use crate::rpc::CallCtx;
use crate::rpc::args::{Flag, InfoRef, IntArg};
use crate::rpc::registry::Registry;
use crate::tasks::{TaskSpec, make_task};
use crate::xmlrpc::{Struct, Value};
use serde::Deserialize;

#[derive(Deserialize)]
struct GetRepo {
    tag: InfoRef,
    state: Option<i32>,
    event: Option<i32>,
    dist: Flag,
    min_event: Option<i32>,
}

#[derive(Deserialize)]
struct TagRepos {
    tag_info: Option<InfoRef>,
    repo_info: Option<InfoRef>,
    event: Option<i32>,
}

#[derive(Deserialize)]
struct RepoInfo {
    repo_id: IntArg,
    strict: Flag,
}

#[derive(Deserialize)]
struct RepoId {
    repo_id: IntArg,
}

#[derive(Deserialize)]
struct ExternalList {
    tag_info: InfoRef,
    event: Option<i32>,
}

#[derive(Deserialize)]
struct NewRepo {
    tag: InfoRef,
    event: Option<i32>,
    src: Flag,
    debuginfo: Flag,
    separate_src: Flag,
}

async fn repo_info(ctx: CallCtx, a: RepoInfo) -> KojiResult<Option<Struct>> {
    repos::repo_info(&ctx.db().await?, a.repo_id.0, a.strict.0).await
}

async fn external_repo_list(ctx: CallCtx, a: ExternalList) -> KojiResult<Vec<Value>> {
    repos::external_repo_list(&ctx.db().await?, &a.tag_info, a.event).await
}

/// The legacy direct regen: a newRepo task in the createrepo channel (only with `AllowNewRepo`, as Koji).
async fn new_repo(ctx: CallCtx, a: NewRepo) -> KojiResult<i32> {
    if !ctx.hub.config.repos.allow_new_repo {
        return Err(KojiError::not_allowed("newRepo api call is disabled"));
    }
    let owner = ctx.require_login()?.user_id;
    if !ctx.has_perm("repo").await? {
        ctx.assert_perm("regen-repo").await?;
    }
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let tag = crate::tags::get_strict(&tx, &a.tag, a.event).await?.config.name;
    repos::ensure_repos_dir(&ctx.hub.config.koji_dir).await?;
    let mut kwargs = Struct::new();
    if let Some(e) = a.event {
        kwargs.insert("event".into(), Value::from(e));
    }
    for (key, on) in [("src", a.src), ("separate_src", a.separate_src), ("debuginfo", a.debuginfo)] {
        if on.0 {
            kwargs.insert(key.into(), Value::Bool(true));
        }
    }
    let mut params = vec![Value::String(tag)];
    if !kwargs.is_empty() {
        kwargs.insert("__starstar".into(), Value::Bool(true));
        params.push(Value::Struct(kwargs));
    }
    let spec = TaskSpec {
        method: "newRepo".into(),
        params,
        owner,
        channel: Some("createrepo".into()),
        priority: Some(15),
        ..Default::default()
    };
    let id = make_task(&tx, spec).await?;
    tx.commit().await?;
    ctx.committed();
    Ok(id)
}

async fn change_state(ctx: &CallCtx, repo_id: i32, state: Option<i32>) -> KojiResult<usize> {
    ctx.assert_perm("repo").await?;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let refs = match state {
        Some(s) => repos::set_state(&tx, repo_id, s).await.map(|()| 0)?,
        None => repos::delete(&tx, repo_id).await?,
    };
    tx.commit().await?;
    ctx.committed();
    Ok(refs)
}

async fn repo_expire(ctx: CallCtx, a: RepoId) -> KojiResult<()> {
    change_state(&ctx, a.repo_id.0, Some(REPO_EXPIRED)).await.map(|_| ())
}

async fn repo_problem(ctx: CallCtx, a: RepoId) -> KojiResult<()> {
    change_state(&ctx, a.repo_id.0, Some(REPO_PROBLEM)).await.map(|_| ())
}

/// Marks the repo DELETED unless buildroots use it; returns how many do. As in Koji, the disk is left alone.
async fn repo_delete(ctx: CallCtx, a: RepoId) -> KojiResult<usize> {
    change_state(&ctx, a.repo_id.0, None).await
}

async fn get_repo(ctx: CallCtx, a: GetRepo) -> KojiResult<Option<Struct>> {
    repos::legacy_get_repo(&ctx.db().await?, &a.tag, a.state, a.event, a.dist.0, a.min_event).await
}

async fn tag_external_repos(ctx: CallCtx, a: TagRepos) -> KojiResult<Value> {
    repos::tag_external_repos(&ctx.db().await?, a.tag_info.as_ref(), a.repo_info.as_ref(), a.event).await
}

pub fn register(r: &mut Registry) {
    r.add("repoInfo", "repo_id, strict=False", "A repo's record.", repo_info);
    r.add(
        "getExternalRepoList",
        "tag_info, event=None",
        "External repos of a tag and its ancestors, depth first.",
        external_repo_list,
    );
    r.add(
        "newRepo",
        "tag, event=None, src=False, debuginfo=False, separate_src=False",
        "Create a newRepo task (AllowNewRepo).",
        new_repo,
    );
    r.add("repoExpire", "repo_id", "Mark a repo EXPIRED (perm repo).", repo_expire);
    r.add("repoProblem", "repo_id", "Mark a repo PROBLEM (perm repo).", repo_problem);
    r.add("repoDelete", "repo_id", "Mark a repo DELETED unless buildroots use it; returns their count.", repo_delete);
    r.add(
        "getRepo",
        "tag, state=None, event=None, dist=False, min_event=None",
        "The newest repo of a tag (READY unless a state or event is given).",
        get_repo,
    );
    r.add(
        "getTagExternalRepos",
        "tag_info=None, repo_info=None, event=None",
        "External repos linked to tags, by priority.",
        tag_external_repos,
    );
}
