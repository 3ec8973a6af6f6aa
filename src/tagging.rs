//! Tagging and untagging builds directly (`tagBuildBypass`, `untagBuild`, `untagBuildBypass`): the versioned
//! `tag_listing` table, changed by revoke + insert under one event.
//!
//! Koji's hub runs these through its `tag` policy, which its default configuration does not define; a missing
//! policy allows (`MissingPolicyOk`), so what remains is Koji's tag access check (`tags::assert_tag_access`): a
//! locked tag refuses everyone, a tag with a `perm` refuses users without that permission, and an admin may
//! override either with `force`.

use crate::builds::info::build_row_strict;
use crate::db::builds::{BuildRow, STATE_COMPLETE, state_name};
use crate::db::tags::TagConfig;
use crate::db::{self, tags, versioned};
use crate::fault::{KojiError, KojiResult};
use crate::lookup::BuildRef;
use crate::packages::listing::{self, ListingQuery};
use crate::rpc::CallCtx;
use crate::rpc::args::InfoRef;
use deadpool_postgres::GenericClient;

async fn is_tagged(db: &impl GenericClient, tag_id: i32, build_id: i32) -> KojiResult<bool> {
    let st = db
        .prepare_cached("SELECT 1 FROM tag_listing WHERE tag_id = $1 AND build_id = $2 AND active FOR UPDATE")
        .await?;
    Ok(db.query_opt(&st, &[&tag_id, &build_id]).await?.is_some())
}

/// `tagBuildBypass`: tag without a task. A build already in the tag is refused unless `force`, which retags it
/// (making it the most recently tagged, hence the latest).
pub async fn tag_build_bypass(ctx: &CallCtx, tag: &InfoRef, build: &BuildRef, force: bool) -> KojiResult<()> {
    let user_id = ctx.assert_perm("tag").await?.user_id;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let tag = tags::config_strict(&tx, tag, None).await?;
    let build = build_row_strict(&tx, build).await?;
    crate::tags::assert_tag_access(&tx, &tag, user_id, force).await?;
    direct_tag(&tx, &tag, &build, user_id, force, None).await?;
    tx.commit().await?;
    ctx.committed();
    tracing::info!(tag = %tag.name, build = %build.nvr(), "build tagged");
    Ok(())
}

/// Koji's `_direct_tag_build` (after the access check): only a COMPLETE build, a retag only with `force`. Uses
/// `event` when the caller's transaction has one already.
async fn direct_tag(
    tx: &impl GenericClient,
    tag: &TagConfig,
    build: &BuildRow,
    user_id: i32,
    force: bool,
    event: Option<i32>,
) -> KojiResult<()> {
    if build.state != STATE_COMPLETE {
        return Err(not_complete(build));
    }
    let tagged = is_tagged(tx, tag.id, build.id).await?;
    if tagged && !force {
        return Err(KojiError::Tag(format!("build {} already tagged ({})", build.nvr(), tag.name)));
    }
    let event = match event {
        Some(e) => e,
        None => db::new_event(tx).await?,
    };
    let keys: [versioned::Column; 2] = [("tag_id", &tag.id), ("build_id", &build.id)];
    if tagged {
        versioned::revoke(tx, "tag_listing", &keys, event, user_id).await?;
    }
    versioned::insert(tx, "tag_listing", &keys, event, user_id).await
}

/// `host.tagBuild` for a `tagBuild` task, acting as the task's owner: the package must be listed (and not
/// blocked) in the tag or its parents, the tag (and `fromtag`, for a move) must allow the owner, then the
/// build is untagged from `fromtag` and tagged, under one event. (Koji's `tag` policy is not defined by
/// default, and a missing policy allows.)
pub async fn tag_for_task(
    tx: &impl GenericClient,
    owner: i32,
    tag_ref: &InfoRef,
    build: &BuildRef,
    force: bool,
    fromtag: Option<&InfoRef>,
) -> KojiResult<()> {
    let (build, tag, from) = tagging_rows(tx, tag_ref, build, fromtag).await?;
    if let Some(problem) = listing_problem(tx, tag.id, &build, &tag_ref.plain()).await? {
        return Err(KojiError::Tag(problem));
    }
    let event = db::new_event(tx).await?;
    if let Some(from) = &from {
        crate::tags::assert_tag_access(tx, from, owner, force).await?;
        let keys: [versioned::Column; 2] = [("tag_id", &from.id), ("build_id", &build.id)];
        if versioned::revoke(tx, "tag_listing", &keys, event, owner).await? == 0 {
            return Err(KojiError::Tag(format!("build {} not in tag {}", build.nvr(), from.name)));
        }
    }
    crate::tags::assert_tag_access(tx, &tag, owner, force).await?;
    direct_tag(tx, &tag, &build, owner, force, Some(event)).await?;
    tracing::info!(tag = %tag.name, build = %build.nvr(), "build tagged by task");
    Ok(())
}

/// The build, the tag and the optional `fromtag` of a tag request (`tagBuild` and its task), each looked up
/// strictly, in that order.
pub async fn tagging_rows(
    db: &impl GenericClient,
    tag: &InfoRef,
    build: &BuildRef,
    fromtag: Option<&InfoRef>,
) -> KojiResult<(BuildRow, TagConfig, Option<TagConfig>)> {
    let build = build_row_strict(db, build).await?;
    let tag = tags::config_strict(db, tag, None).await?;
    let from = match fromtag {
        Some(f) => Some(tags::config_strict(db, f, None).await?),
        None => None,
    };
    Ok((build, tag, from))
}

/// Why `build` may not be tagged into tag `tag_id` (named `shown` in the message): its package is not listed
/// there (inheritance included) or is blocked; `None` when it is listed.
pub async fn listing_problem(
    db: &impl GenericClient,
    tag_id: i32,
    build: &BuildRow,
    shown: &str,
) -> KojiResult<Option<String>> {
    let q = ListingQuery {
        tag: Some(tag_id),
        package: Some(build.package_id),
        inherit: true,
        with_blocked: true,
        ..Default::default()
    };
    Ok(match listing::read(db, &q).await?.first() {
        None => Some(format!("Package {} not in list for {shown}", build.name)),
        Some(l) if l.blocked => Some(format!("Package {} blocked in {shown}", build.name)),
        Some(_) => None,
    })
}

/// Koji's refusal to tag a build that is not COMPLETE.
pub fn not_complete(build: &BuildRow) -> KojiError {
    KojiError::Tag(format!("build {} not complete: state {}", build.nvr(), state_name(build.state)))
}

/// Who may untag: `untagBuild` needs a login (and then the tag access check), `untagBuildBypass` the `tag`
/// permission.
pub enum UntagCheck {
    Login,
    TagPerm,
}

/// `untagBuild` / `untagBuildBypass`. With `strict`, a build that is not in the tag is an error.
pub async fn untag_build(
    ctx: &CallCtx,
    tag: &InfoRef,
    build: &BuildRef,
    strict: bool,
    force: bool,
    check: UntagCheck,
) -> KojiResult<()> {
    let user_id = match check {
        UntagCheck::Login => ctx.require_login()?.user_id,
        UntagCheck::TagPerm => ctx.assert_perm("tag").await?.user_id,
    };
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let tag = tags::config_strict(&tx, tag, None).await?;
    let build = build_row_strict(&tx, build).await?;
    crate::tags::assert_tag_access(&tx, &tag, user_id, force).await?;
    let event = db::new_event(&tx).await?;
    let revoked =
        versioned::revoke(&tx, "tag_listing", &[("tag_id", &tag.id), ("build_id", &build.id)], event, user_id).await?;
    if revoked == 0 {
        if strict {
            return Err(KojiError::Tag(format!("build {} not in tag {}", build.nvr(), tag.name)));
        }
        // Nothing changed: leave no empty event behind.
        return Ok(());
    }
    tx.commit().await?;
    ctx.committed();
    tracing::info!(tag = %tag.name, build = %build.nvr(), "build untagged");
    Ok(())
}
