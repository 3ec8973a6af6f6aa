//! Creating, changing and deleting tags (`createTag`, `editTag2`, `deleteTag`). Each call is one transaction
//! with one event; every check runs before the first write, and a failure rolls everything back.

use super::inheritance::{self, LinkChange, LinkSettings};
use super::{Arches, parse_arches};
use crate::db::versioned::{self, LazyEvent};
use crate::db::{self, tags as q};
use crate::fault::{KojiError, KojiResult};
use crate::lookup;
use crate::rpc::CallCtx;
use crate::rpc::args::InfoRef;
use crate::xmlrpc::{self, Struct, Value};
use serde::de::DeserializeOwned;

/// `createTag`'s arguments.
pub struct NewTag {
    pub name: String,
    pub parent: Option<InfoRef>,
    pub arches: Option<Arches>,
    pub perm: Option<InfoRef>,
    pub locked: bool,
    pub maven_support: bool,
    pub maven_include_all: bool,
    pub extra: Option<Struct>,
}

fn maven_check(ctx: &CallCtx, wanted: bool) -> KojiResult<()> {
    if wanted && !ctx.hub.config.enable_maven {
        return Err(KojiError::generic("Maven support not enabled"));
    }
    Ok(())
}

/// Stores one extra option as Koji does: JSON text, or NULL for a blocked key.
async fn set_extra(
    tx: &impl deadpool_postgres::GenericClient,
    tag_id: i32,
    key: &str,
    value: Option<&Value>,
    event: i32,
    user: i32,
) -> KojiResult<()> {
    let text = value.map(|v| db::value_to_json(v).to_string());
    let key = key.to_owned();
    versioned::replace(tx, "tag_extra", &[("tag_id", &tag_id), ("key", &key)], &[("value", &text)], event, user).await
}

/// `createTag`: a new tag, optionally inheriting from `parent` at priority 0. A deleted tag's name gets its old
/// id back. Returns the id.
pub async fn create_tag(ctx: &CallCtx, t: NewTag) -> KojiResult<i32> {
    let user = ctx.assert_perm("tag").await?.user_id;
    ctx.hub.verify_name_internal(&t.name)?;
    let arches = parse_arches(t.arches.as_ref().unwrap_or(&Arches::Text(String::new())))?;
    maven_check(ctx, t.maven_support || t.maven_include_all)?;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let name = InfoRef::Name(t.name.clone());
    if q::config(&tx, &name, None).await?.is_some() {
        return Err(KojiError::generic(format!("A tag with the name '{}' already exists", t.name)));
    }
    let parent = match t.parent.filter(|p| *p != InfoRef::Name(String::new())) {
        None => None,
        Some(p) => Some(
            q::config(&tx, &p, None)
                .await?
                .ok_or_else(|| KojiError::generic(format!("Parent tag '{}' could not be found", p.plain())))?
                .id,
        ),
    };
    let perm_id = match &t.perm {
        None => None,
        Some(p) => Some(lookup::named_strict(&tx, "permissions", p).await?.id),
    };
    let tag_id = lookup::named_or_create(&tx, "tag", &name).await?.id;
    let event = db::new_event(&tx).await?;
    versioned::insert(
        &tx,
        "tag_config",
        &[
            ("tag_id", &tag_id),
            ("arches", &arches),
            ("perm_id", &perm_id),
            ("locked", &t.locked),
            ("maven_support", &t.maven_support),
            ("maven_include_all", &t.maven_include_all),
        ],
        event,
        user,
    )
    .await?;
    for (key, value) in t.extra.iter().flatten() {
        set_extra(&tx, tag_id, key, Some(value), event, user).await?;
    }
    if let Some(parent_id) = parent {
        let settings = LinkSettings {
            priority: 0,
            maxdepth: None,
            intransitive: false,
            noconfig: false,
            pkg_filter: Some(String::new()),
        };
        let change = LinkChange { parent_id, settings: Some(settings) };
        if let Some(plan) = inheritance::plan_changes(&tx, tag_id, &[change], false).await? {
            inheritance::apply(&tx, tag_id, &plan, event, user).await?;
        }
    }
    tx.commit().await?;
    ctx.committed();
    tracing::info!(tag = %t.name, tag_id, "tag created");
    Ok(tag_id)
}

/// Takes `key` out of `editTag2`'s keyword arguments as `T`; Some only when the caller passed it.
fn kwarg<T: DeserializeOwned>(kwargs: &Struct, key: &str) -> KojiResult<Option<T>> {
    kwargs
        .get(key)
        .map(|v| xmlrpc::from_value(v.clone()).map_err(|e| KojiError::param(format!("editTag2(): {key}: {e}"))))
        .transpose()
}

/// `editTag2(tagInfo, **kwargs)`: rename; change `arches`, `perm` (or `perm_id`), `locked`, `maven_support`,
/// `maven_include_all` (one new `tag_config` version if any differ); set `extra` options, block inherited ones
/// (`block_extra`) and remove own ones (`remove_extra`). Options not passed stay as they are; unknown ones are
/// ignored, as in Koji.
pub async fn edit_tag(ctx: &CallCtx, info: &InfoRef, kwargs: &Struct) -> KojiResult<()> {
    let user = ctx.assert_perm("tag").await?.user_id;
    maven_check(ctx, kwargs.contains_key("maven_support") || kwargs.contains_key("maven_include_all"))?;
    let remove_extra: Vec<String> = kwarg::<Option<Vec<String>>>(kwargs, "remove_extra")?.flatten().unwrap_or_default();
    let block_extra: Vec<String> = kwarg::<Option<Vec<String>>>(kwargs, "block_extra")?.flatten().unwrap_or_default();
    let extra: Option<Struct> = kwarg(kwargs, "extra")?;

    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let tag = super::get_strict(&tx, info, None).await?;
    let mut config = tag.config.clone();
    let perm = match kwargs.get("perm_id").or_else(|| kwargs.get("perm")) {
        None => config.perm_id,
        Some(Value::Nil) => None,
        Some(p) => {
            let p: InfoRef =
                xmlrpc::from_value(p.clone()).map_err(|e| KojiError::param(format!("editTag2(): perm: {e}")))?;
            Some(lookup::named_strict(&tx, "permissions", &p).await?.id)
        }
    };
    config.perm_id = perm;
    let mut renamed = false;
    if let Some(name) =
        kwarg::<Option<String>>(kwargs, "name")?.flatten().filter(|n| !n.is_empty() && *n != tag.config.name)
    {
        ctx.hub.verify_name_internal(&name)?;
        if let Some(other) = lookup::named(&tx, "tag", &InfoRef::Name(name.clone())).await? {
            return Err(KojiError::generic(format!("Name {name} already taken by tag {}", other.id)));
        }
        lookup::rename(&tx, "tag", tag.config.id, &name).await?;
        renamed = true;
    }
    if let Some(arches) = kwarg::<Option<Arches>>(kwargs, "arches")? {
        config.arches = match arches {
            None => None,
            Some(Arches::Text(t)) if t.is_empty() || Some(&t) == tag.config.arches.as_ref() => Some(t),
            Some(a) => Some(parse_arches(&a)?),
        };
    }
    for (key, field) in [
        ("locked", &mut config.locked),
        ("maven_support", &mut config.maven_support),
        ("maven_include_all", &mut config.maven_include_all),
    ] {
        if let Some(v) = kwargs.get(key) {
            *field = v.truthy();
        }
    }

    let mut event = LazyEvent::default();
    let id = tag.config.id;
    if config != tag.config {
        let ev = event.id(&tx).await?;
        versioned::replace(
            &tx,
            "tag_config",
            &[("tag_id", &id)],
            &[
                ("arches", &config.arches),
                ("perm_id", &config.perm_id),
                ("locked", &config.locked),
                ("maven_support", &config.maven_support),
                ("maven_include_all", &config.maven_include_all),
            ],
            ev,
            user,
        )
        .await?;
    }
    if let Some(extra) = &extra {
        let mut conflicts: Vec<&String> =
            block_extra.iter().chain(&remove_extra).filter(|k| extra.contains_key(*k)).collect();
        conflicts.sort();
        if let Some(key) = conflicts.first() {
            return Err(KojiError::generic(format!("Can not both add/update and remove tag-extra: '{key}'")));
        }
        for (key, value) in extra {
            if tag.extra.get(key).and_then(Option::as_ref) != Some(value) {
                let ev = event.id(&tx).await?;
                set_extra(&tx, id, key, Some(value), ev, user).await?;
            }
        }
    }
    for key in &block_extra {
        let ev = event.id(&tx).await?;
        set_extra(&tx, id, key, None, ev, user).await?;
    }
    let missing: Vec<&str> =
        remove_extra.iter().filter(|k| !matches!(tag.extra.get(*k), Some(Some(_)))).map(String::as_str).collect();
    if !missing.is_empty() {
        return Err(KojiError::generic(format!("Tag: {} doesn't have extra: {}", tag.config.name, missing.join(", "))));
    }
    for key in &remove_extra {
        let ev = event.id(&tx).await?;
        versioned::revoke(&tx, "tag_extra", &[("tag_id", &id), ("key", key)], ev, user).await?;
    }
    tx.commit().await?;
    if renamed || event.used() {
        ctx.committed();
        tracing::info!(tag = %tag.config.name, "tag edited");
    }
    Ok(())
}

/// Where `deleteTag` revokes a tag's rows: Koji never deletes tag data, it ends the versions in force.
const TAG_REFERENCES: &[(&str, &str)] = &[
    ("tag_config", "tag_id"),
    ("tag_extra", "tag_id"),
    ("tag_inheritance", "tag_id"),
    ("tag_inheritance", "parent_id"),
    ("build_target_config", "build_tag"),
    ("build_target_config", "dest_tag"),
    ("tag_listing", "tag_id"),
    ("tag_packages", "tag_id"),
    ("tag_package_owners", "tag_id"),
    ("tag_external_repos", "tag_id"),
    ("group_config", "tag_id"),
    ("group_req_listing", "tag_id"),
    ("group_package_listing", "tag_id"),
];

/// `deleteTag`: ends the tag's configuration and everything referring to it (links, targets, listings, groups).
pub async fn delete_tag(ctx: &CallCtx, info: &InfoRef) -> KojiResult<()> {
    let user = ctx.assert_perm("tag").await?.user_id;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let tag = q::config_strict(&tx, info, None).await?;
    let event = db::new_event(&tx).await?;
    for (table, column) in TAG_REFERENCES {
        versioned::revoke(&tx, table, &[(column, &tag.id)], event, user).await?;
    }
    tx.commit().await?;
    ctx.committed();
    tracing::info!(tag = %tag.name, "tag deleted");
    Ok(())
}
