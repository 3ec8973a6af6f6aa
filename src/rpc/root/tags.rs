//! Tag methods: decode, call `crate::tags`, encode.

use crate::db::query::QueryOpts;
use crate::fault::{KojiError, KojiResult};
use crate::lookup::{self, BuildRef};
use crate::rpc::CallCtx;
use crate::rpc::args::{Flag, InfoRef};
use crate::rpc::registry::Registry;
use crate::tags::edit::{self, NewTag};
use crate::tags::groups::{self, GroupOptions};
use crate::tags::inheritance::{self, InheritanceData, InheritanceLink, LinkChange};
use crate::tags::{self, Arches, TagEvent, TagFilter};
use crate::xmlrpc::{Struct, Value};
use serde::Deserialize;

#[derive(Deserialize)]
struct NoArgs {}

#[derive(Deserialize)]
struct CreateTag {
    name: String,
    parent: Option<InfoRef>,
    arches: Option<Arches>,
    perm: Option<InfoRef>,
    locked: Flag,
    maven_support: Flag,
    maven_include_all: Flag,
    extra: Option<Struct>,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct EditTag {
    tagInfo: InfoRef,
    kwargs: Struct,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct TagInfoArg {
    tagInfo: InfoRef,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct GetTag {
    tagInfo: InfoRef,
    strict: Flag,
    event: Option<TagEvent>,
    blocked: Flag,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct ListTags {
    build: Option<BuildRef>,
    package: Option<InfoRef>,
    perms: Flag,
    queryOpts: Option<QueryOpts>,
    pattern: Option<String>,
}

#[derive(Deserialize)]
struct TagAtEvent {
    tag: InfoRef,
    event: Option<i32>,
}

#[derive(Deserialize)]
struct SetInheritance {
    tag: InfoRef,
    data: Value,
    clear: Flag,
}

#[derive(Deserialize)]
struct FullInheritance {
    tag: InfoRef,
    event: Option<i32>,
    reverse: Flag,
    kwargs: Struct,
}

#[derive(Deserialize)]
struct TagGroups {
    tag: InfoRef,
    event: Option<i32>,
    inherit: Flag,
    incl_pkgs: Flag,
    incl_reqs: Flag,
    incl_blocked: Flag,
}

#[derive(Deserialize)]
struct LastChange {
    tag: InfoRef,
    before: Option<i32>,
    inherit: Flag,
}

async fn create_tag(ctx: CallCtx, a: CreateTag) -> KojiResult<i32> {
    let t = NewTag {
        name: a.name,
        parent: a.parent,
        arches: a.arches,
        perm: a.perm,
        locked: a.locked.0,
        maven_support: a.maven_support.0,
        maven_include_all: a.maven_include_all.0,
        extra: a.extra,
    };
    edit::create_tag(&ctx, t).await
}

async fn edit_tag(ctx: CallCtx, a: EditTag) -> KojiResult<()> {
    edit::edit_tag(&ctx, &a.tagInfo, &a.kwargs).await
}

async fn delete_tag(ctx: CallCtx, a: TagInfoArg) -> KojiResult<()> {
    edit::delete_tag(&ctx, &a.tagInfo).await
}

async fn get_tag(ctx: CallCtx, a: GetTag) -> KojiResult<Option<Struct>> {
    tags::get_tag(&ctx.db().await?, &a.tagInfo, a.strict.0, a.event, a.blocked.0).await
}

async fn list_tags(ctx: CallCtx, a: ListTags) -> KojiResult<Value> {
    let f = TagFilter { build: a.build, package: a.package, perms: a.perms.0, pattern: a.pattern };
    tags::list_tags(&ctx.db().await?, f, &a.queryOpts.unwrap_or_default()).await
}

async fn build_config(ctx: CallCtx, a: TagAtEvent) -> KojiResult<Struct> {
    tags::build_config(&ctx.db().await?, &a.tag, a.event).await
}

async fn inheritance_data(ctx: CallCtx, a: TagAtEvent) -> KojiResult<Vec<InheritanceData>> {
    let db = ctx.db().await?;
    let tag = lookup::named_strict(&db, "tag", &a.tag).await?;
    inheritance::inheritance_data(&db, tag.id, a.event).await
}

async fn set_inheritance(ctx: CallCtx, a: SetInheritance) -> KojiResult<()> {
    let tag = lookup::named_strict(&ctx.db().await?, "tag", &a.tag).await?;
    let user = ctx.assert_perm("tag").await?.user_id;
    let entries = match a.data {
        Value::Struct(s) => vec![s],
        Value::Array(items) => items
            .into_iter()
            .map(|v| match v {
                Value::Struct(s) => Ok(s),
                other => Err(KojiError::param(format!("inheritance data must be structs, not {}", other.type_name()))),
            })
            .collect::<KojiResult<_>>()?,
        other => return Err(KojiError::param(format!("inheritance data must be a list, not {}", other.type_name()))),
    };
    let changes = entries.iter().map(LinkChange::from_struct).collect::<KojiResult<Vec<_>>>()?;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let Some(plan) = inheritance::plan_changes(&tx, tag.id, &changes, a.clear.0).await? else { return Ok(()) };
    let event = crate::db::new_event(&tx).await?;
    inheritance::apply(&tx, tag.id, &plan, event, user).await?;
    tx.commit().await?;
    ctx.committed();
    tracing::info!(tag = %tag.name, "inheritance changed");
    Ok(())
}

async fn full_inheritance(ctx: CallCtx, a: FullInheritance) -> KojiResult<Vec<InheritanceLink>> {
    for (key, value) in &a.kwargs {
        match key.as_str() {
            "stops" | "jumps" if value.truthy() => {
                return Err(KojiError::param(format!("{key} option has been removed since 1.26")));
            }
            "stops" | "jumps" => {}
            _ => {
                return Err(KojiError::param(format!(
                    "getFullInheritance() got an unexpected keyword argument '{key}'"
                )));
            }
        }
    }
    let db = ctx.db().await?;
    let tag_id = match a.tag {
        // Koji walks from an id as given, even one no tag has.
        InfoRef::Id(id) => i32::try_from(id).map_err(|_| KojiError::param(format!("Invalid tag id: {id}")))?,
        other => lookup::named_strict(&db, "tag", &other).await?.id,
    };
    inheritance::full_inheritance(&db, tag_id, a.event, a.reverse.0).await
}

async fn tag_groups(ctx: CallCtx, a: TagGroups) -> KojiResult<Vec<Struct>> {
    let opts = GroupOptions {
        inherit: a.inherit.0,
        packages: a.incl_pkgs.0,
        requirements: a.incl_reqs.0,
        blocked: a.incl_blocked.0,
    };
    groups::tag_groups(&ctx.db().await?, &a.tag, a.event, opts).await
}

async fn last_change(ctx: CallCtx, a: LastChange) -> KojiResult<Option<i32>> {
    tags::last_change::last_change_event(&ctx.db().await?, &a.tag, a.before, a.inherit.0).await
}

async fn maven_enabled(ctx: CallCtx, _: NoArgs) -> KojiResult<bool> {
    Ok(ctx.hub.config.enable_maven)
}

pub fn register(r: &mut Registry) {
    r.add(
        "createTag",
        "name, parent=None, arches=None, perm=None, locked=False, maven_support=False, maven_include_all=False, \
         extra=None",
        "Create a new tag (tag permission); returns its id.",
        create_tag,
    );
    r.add(
        "editTag2",
        "tagInfo, **kwargs",
        "Edit a tag: name, arches, perm, locked, maven_support, maven_include_all, extra, remove_extra, block_extra.",
        edit_tag,
    );
    r.add("deleteTag", "tagInfo", "Delete a tag (its history stays).", delete_tag);
    r.add("getTag", "tagInfo, strict=False, event=None, blocked=False", "Get a tag by id or name.", get_tag);
    r.add(
        "listTags",
        "build=None, package=None, perms=True, queryOpts=None, pattern=None",
        "List tags, optionally those of a build or a package.",
        list_tags,
    );
    r.add("getBuildConfig", "tag, event=None", "A tag with arches and extra inherited from its parents.", build_config);
    r.add("getInheritanceData", "tag, event=None", "The parent links of a tag.", inheritance_data);
    r.add(
        "setInheritanceData",
        "tag, data, clear=False",
        "Add, change or delete parent links of a tag.",
        set_inheritance,
    );
    r.add(
        "getFullInheritance",
        "tag, event=None, reverse=False, **kwargs",
        "The full ordered inheritance of a tag (its descendants with reverse).",
        full_inheritance,
    );
    r.add(
        "getTagGroups",
        "tag, event=None, inherit=True, incl_pkgs=True, incl_reqs=True, incl_blocked=False",
        "The comps groups of a tag, through inheritance.",
        tag_groups,
    );
    r.add(
        "tagLastChangeEvent",
        "tag, before=None, inherit=True",
        "The newest event that changed the tag or its ancestors.",
        last_change,
    );
    r.add("mavenEnabled", "", "Whether Maven support is enabled.", maven_enabled);
}
