//! Repo reads that tag views need: `getRepo` and `getTagExternalRepos`.

use crate::fault::KojiResult;
use crate::repos;
use crate::rpc::CallCtx;
use crate::rpc::args::{Flag, InfoRef};
use crate::rpc::registry::Registry;
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

async fn get_repo(ctx: CallCtx, a: GetRepo) -> KojiResult<Option<Struct>> {
    repos::legacy_get_repo(&ctx.db().await?, &a.tag, a.state, a.event, a.dist.0, a.min_event).await
}

async fn tag_external_repos(ctx: CallCtx, a: TagRepos) -> KojiResult<Value> {
    repos::tag_external_repos(&ctx.db().await?, a.tag_info.as_ref(), a.repo_info.as_ref(), a.event).await
}

pub fn register(r: &mut Registry) {
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
