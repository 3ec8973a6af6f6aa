//! Tagging builds and reading what is tagged: decode, call `crate::tagging` / `crate::tagged`, encode.

use crate::db::query::QueryOpts;
use crate::db::tags;
use crate::fault::KojiResult;
use crate::lookup::BuildRef;
use crate::rpc::CallCtx;
use crate::rpc::args::{Flag, InfoRef, OneOrMany};
use crate::rpc::registry::Registry;
use crate::tagged::{self, Latest, RpmOptions, TaggedQuery};
use crate::tagging::{self, UntagCheck};
use crate::xmlrpc::{Struct, Value};
use serde::Deserialize;

/// `notify` (Koji's tag notification mails) is accepted and ignored: koji-rs sends no notifications.
#[derive(Deserialize)]
struct TagBuild {
    tag: InfoRef,
    build: BuildRef,
    force: Flag,
}

#[derive(Deserialize)]
struct UntagBuild {
    tag: InfoRef,
    build: BuildRef,
    strict: Flag,
    force: Flag,
}

/// `listTagged` and `listTaggedRPMS` share most arguments.
#[derive(Deserialize)]
struct ListTagged {
    tag: InfoRef,
    event: Option<i32>,
    inherit: Flag,
    #[serde(default)]
    prefix: Option<String>,
    latest: Latest,
    package: Option<String>,
    owner: Option<String>,
    #[serde(rename = "type")]
    btype: Option<String>,
    strict: Flag,
    extra: Flag,
    draft: Option<Flag>,
    #[serde(default)]
    arch: Option<OneOrMany<String>>,
    #[serde(default)]
    rpmsigs: Flag,
}

impl ListTagged {
    fn query(&self) -> TaggedQuery {
        TaggedQuery {
            event: self.event,
            inherit: self.inherit.0,
            latest: self.latest,
            package: self.package.clone(),
            owner: self.owner.clone(),
            btype: self.btype.clone(),
            extra: self.extra.0,
            draft: self.draft.map(|d| d.0),
        }
    }

    /// The tag as of `event`; a missing tag is an error when `strict`, else an empty answer (None here).
    async fn tag_id(&self, ctx: &CallCtx) -> KojiResult<Option<i32>> {
        match tags::config(&ctx.db().await?, &self.tag, self.event).await? {
            Some(tag) => Ok(Some(tag.id)),
            None if self.strict.0 => Err(tags::no_such_tag(&self.tag)),
            None => Ok(None),
        }
    }
}

#[derive(Deserialize)]
struct LatestArgs {
    tag: InfoRef,
    event: Option<i32>,
    package: Option<String>,
    #[serde(rename = "type")]
    btype: Option<String>,
    draft: Option<Flag>,
    #[serde(default)]
    arch: Option<OneOrMany<String>>,
    #[serde(default)]
    rpmsigs: Flag,
}

impl LatestArgs {
    fn query(&self) -> TaggedQuery {
        TaggedQuery {
            event: self.event,
            inherit: true,
            latest: Latest(1),
            package: self.package.clone(),
            btype: self.btype.clone(),
            draft: self.draft.map(|d| d.0),
            ..Default::default()
        }
    }
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct Untagged {
    name: Option<String>,
    queryOpts: Option<QueryOpts>,
    draft: Option<Flag>,
}

async fn tag_build_bypass(ctx: CallCtx, a: TagBuild) -> KojiResult<()> {
    tagging::tag_build_bypass(&ctx, &a.tag, &a.build, a.force.0).await
}

async fn untag_build(ctx: CallCtx, a: UntagBuild) -> KojiResult<()> {
    tagging::untag_build(&ctx, &a.tag, &a.build, a.strict.0, a.force.0, UntagCheck::Login).await
}

async fn untag_build_bypass(ctx: CallCtx, a: UntagBuild) -> KojiResult<()> {
    tagging::untag_build(&ctx, &a.tag, &a.build, a.strict.0, a.force.0, UntagCheck::TagPerm).await
}

async fn list_tagged(ctx: CallCtx, a: ListTagged) -> KojiResult<Vec<Struct>> {
    let Some(tag) = a.tag_id(&ctx).await? else { return Ok(vec![]) };
    let mut builds = tagged::read_tagged_builds(&ctx.db().await?, tag, &a.query()).await?;
    if let Some(prefix) = a.prefix.as_deref().filter(|p| !p.is_empty()).map(str::to_lowercase) {
        builds.retain(|b| {
            b.get("package_name").and_then(Value::as_str).is_some_and(|n| n.to_lowercase().starts_with(&prefix))
        });
    }
    Ok(builds)
}

fn pair((rpms, builds): (Vec<Struct>, Vec<Struct>)) -> Value {
    let list = |v: Vec<Struct>| Value::Array(v.into_iter().map(Value::Struct).collect());
    Value::Array(vec![list(rpms), list(builds)])
}

async fn list_tagged_rpms(ctx: CallCtx, a: ListTagged) -> KojiResult<Value> {
    let Some(tag) = a.tag_id(&ctx).await? else { return Ok(Value::Array(vec![])) };
    let opts = RpmOptions { arch: a.arch.clone(), rpmsigs: a.rpmsigs.0, extra: a.extra.0 };
    Ok(pair(tagged::read_tagged_rpms(&ctx.db().await?, tag, &a.query(), &opts).await?))
}

async fn get_latest_builds(ctx: CallCtx, a: LatestArgs) -> KojiResult<Vec<Struct>> {
    let db = ctx.db().await?;
    let tag = tagged::tag_id_strict(&db, &a.tag).await?;
    tagged::read_tagged_builds(&db, tag, &a.query()).await
}

async fn get_latest_rpms(ctx: CallCtx, a: LatestArgs) -> KojiResult<Value> {
    let db = ctx.db().await?;
    let tag = tagged::tag_id_strict(&db, &a.tag).await?;
    let opts = RpmOptions { arch: a.arch.clone(), rpmsigs: a.rpmsigs.0, extra: true };
    Ok(pair(tagged::read_tagged_rpms(&db, tag, &a.query(), &opts).await?))
}

async fn untagged_builds(ctx: CallCtx, a: Untagged) -> KojiResult<Value> {
    tagged::untagged_builds(&ctx.db().await?, a.name, a.draft.map(|d| d.0), &a.queryOpts.unwrap_or_default()).await
}

pub fn register(r: &mut Registry) {
    r.add(
        "tagBuildBypass",
        "tag, build, force=False, notify=False",
        "Tag a build without a task (tag permission); force retags a build already in the tag.",
        tag_build_bypass,
    );
    r.add("untagBuild", "tag, build, strict=True, force=False", "Untag a build (no task).", untag_build);
    r.add(
        "untagBuildBypass",
        "tag, build, strict=True, force=False, notify=False",
        "Untag a build without policy checks (tag permission).",
        untag_build_bypass,
    );
    r.add(
        "listTagged",
        "tag, event=None, inherit=False, prefix=None, latest=False, package=None, owner=None, type=None, \
         strict=True, extra=False, draft=None",
        "Builds tagged in a tag (most recently tagged first), optionally with inheritance or only the latest.",
        list_tagged,
    );
    r.add(
        "listTaggedRPMS",
        "tag, event=None, inherit=False, latest=False, package=None, arch=None, rpmsigs=False, owner=None, \
         type=None, strict=True, extra=True, draft=None",
        "[rpms, builds] tagged in a tag.",
        list_tagged_rpms,
    );
    r.add(
        "getLatestBuilds",
        "tag, event=None, package=None, type=None, draft=None",
        "The latest build of each package in a tag, with inheritance.",
        get_latest_builds,
    );
    r.add(
        "getLatestRPMS",
        "tag, package=None, arch=None, event=None, rpmsigs=False, type=None, draft=None",
        "[rpms, builds] of the latest builds in a tag, with inheritance.",
        get_latest_rpms,
    );
    r.add("untaggedBuilds", "name=None, queryOpts=None, draft=None", "COMPLETE builds in no tag.", untagged_builds);
}
