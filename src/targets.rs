//! Build targets: a name for "build in this tag's buildroot, land in that tag" (`build_target` names with the
//! versioned `build_target_config`). A deleted target keeps its name row, so re-creating it reuses the id.

use crate::db::query::{QueryOpts, Select};
use crate::db::{self, tags as tag_db, versioned};
use crate::fault::{KojiError, KojiResult};
use crate::lookup;
use crate::rpc::CallCtx;
use crate::rpc::args::InfoRef;
use crate::xmlrpc::{Struct, Value};
use deadpool_postgres::GenericClient;

const TARGET_COLUMNS: &[(&str, &str)] = &[
    ("id", "build_target.id"),
    ("build_tag", "build_target_config.build_tag"),
    ("dest_tag", "build_target_config.dest_tag"),
    ("name", "build_target.name"),
    ("build_tag_name", "tag1.name"),
    ("dest_tag_name", "tag2.name"),
];

const TARGET_FROM: &str = "build_target_config \
     JOIN build_target ON build_target_config.build_target_id = build_target.id \
     JOIN tag AS tag1 ON build_target_config.build_tag = tag1.id \
     JOIN tag AS tag2 ON build_target_config.dest_tag = tag2.id";

/// `getBuildTargets` filters.
#[derive(Default)]
pub struct TargetFilter {
    pub info: Option<InfoRef>,
    pub event: Option<i32>,
    pub build_tag: Option<InfoRef>,
    pub dest_tag: Option<InfoRef>,
}

/// `getBuildTargets`: targets in force at the event, by name or id, build tag or destination tag.
pub async fn list(db: &impl GenericClient, f: TargetFilter, opts: &QueryOpts) -> KojiResult<Value> {
    let mut q = Select::new(TARGET_COLUMNS, TARGET_FROM, "id");
    versioned::in_force(&mut q, "build_target_config", f.event);
    match f.info {
        None | Some(InfoRef::Id(0)) => {}
        Some(InfoRef::Name(n)) if n.is_empty() => {}
        Some(InfoRef::Id(id) | InfoRef::Map { id: Some(id), .. }) => {
            q.filter("build_target.id = $?", i32::try_from(id).unwrap_or(-1));
        }
        Some(InfoRef::Name(n) | InfoRef::Map { name: Some(n), .. }) => {
            q.filter("build_target.name = $?", n);
        }
        Some(other @ InfoRef::Map { .. }) => {
            return Err(KojiError::param(format!("Invalid name or id value: {other}")));
        }
    }
    for (tag, column) in [(f.build_tag, "build_target_config.build_tag"), (f.dest_tag, "build_target_config.dest_tag")]
    {
        if let Some(t) = tag {
            // An unknown tag matches no target.
            let id = lookup::id_of(db, "tag", &t).await?.unwrap_or(-1);
            q.filter(&format!("{column} = $?"), id);
        }
    }
    q.fetch(db, opts).await
}

/// `getBuildTarget`: the one target named or numbered by `info`.
pub async fn get(
    db: &impl GenericClient,
    info: InfoRef,
    event: Option<i32>,
    strict: bool,
) -> KojiResult<Option<Struct>> {
    let shown = info.plain();
    let found = list(db, TargetFilter { info: Some(info), event, ..Default::default() }, &QueryOpts::default()).await?;
    match found {
        Value::Array(mut rows) if rows.len() == 1 => match rows.pop() {
            Some(Value::Struct(s)) => Ok(Some(s)),
            _ => Ok(None),
        },
        _ if strict => Err(KojiError::generic(format!("No such build target: {shown}"))),
        _ => Ok(None),
    }
}

/// The ids of a target's build and destination tags, which must exist now.
async fn target_tags(db: &impl GenericClient, build_tag: &InfoRef, dest_tag: &InfoRef) -> KojiResult<(i32, i32)> {
    let build = tag_db::config(db, build_tag, None)
        .await?
        .ok_or_else(|| KojiError::generic(format!("build tag '{}' does not exist", build_tag.plain())))?;
    let dest = tag_db::config(db, dest_tag, None)
        .await?
        .ok_or_else(|| KojiError::generic(format!("destination tag '{}' does not exist", dest_tag.plain())))?;
    Ok((build.id, dest.id))
}

/// `createBuildTarget`.
pub async fn create(ctx: &CallCtx, name: &str, build_tag: &InfoRef, dest_tag: &InfoRef) -> KojiResult<()> {
    let user = ctx.assert_perm("target").await?.user_id;
    ctx.hub.verify_name_internal(name)?;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    if get(&tx, InfoRef::Name(name.to_owned()), None, false).await?.is_some() {
        return Err(KojiError::generic(format!("A build target with the name '{name}' already exists")));
    }
    let (build, dest) = target_tags(&tx, build_tag, dest_tag).await?;
    let id = lookup::named_or_create(&tx, "build_target", &InfoRef::Name(name.to_owned())).await?.id;
    let event = db::new_event(&tx).await?;
    let columns: [versioned::Column; 3] = [("build_target_id", &id), ("build_tag", &build), ("dest_tag", &dest)];
    versioned::insert(&tx, "build_target_config", &columns, event, user).await?;
    tx.commit().await?;
    ctx.committed();
    tracing::info!(target = name, "build target created");
    Ok(())
}

/// `editBuildTarget`: rename the target and point it at other tags (a new config version).
pub async fn edit(
    ctx: &CallCtx,
    info: &InfoRef,
    name: &str,
    build_tag: &InfoRef,
    dest_tag: &InfoRef,
) -> KojiResult<()> {
    let user = ctx.assert_perm("target").await?.user_id;
    ctx.hub.verify_name_internal(name)?;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let target = lookup::named(&tx, "build_target", info)
        .await?
        .ok_or_else(|| KojiError::generic(format!("No such build target: {}", info.plain())))?;
    let (build, dest) = target_tags(&tx, build_tag, dest_tag).await?;
    if target.name != name {
        if let Some(other) = lookup::named(&tx, "build_target", &InfoRef::Name(name.to_owned())).await? {
            return Err(KojiError::generic(format!("name \"{name}\" is already taken by build target {}", other.id)));
        }
        lookup::rename(&tx, "build_target", target.id, name).await?;
    }
    let event = db::new_event(&tx).await?;
    versioned::replace(
        &tx,
        "build_target_config",
        &[("build_target_id", &target.id)],
        &[("build_tag", &build), ("dest_tag", &dest)],
        event,
        user,
    )
    .await?;
    tx.commit().await?;
    ctx.committed();
    tracing::info!(target = name, "build target edited");
    Ok(())
}

/// `deleteBuildTarget`: ends the target's config; the name row stays.
pub async fn delete(ctx: &CallCtx, info: &InfoRef) -> KojiResult<()> {
    let user = ctx.assert_perm("target").await?.user_id;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let target = lookup::named(&tx, "build_target", info)
        .await?
        .ok_or_else(|| KojiError::generic(format!("No such build target: {}", info.plain())))?;
    let event = db::new_event(&tx).await?;
    versioned::revoke(&tx, "build_target_config", &[("build_target_id", &target.id)], event, user).await?;
    tx.commit().await?;
    ctx.committed();
    tracing::info!(target = %target.name, "build target deleted");
    Ok(())
}
