//! Tags: reading them (`getTag`, `listTags`, `getBuildConfig`) and who may change what is in them (Koji's
//! `check_tag_access`). Changes to tags live in `edit`, inheritance in `inheritance`, comps groups in `groups`,
//! the newest change event (repo freshness) in `last_change`.

pub mod edit;
pub mod group_edit;
pub mod groups;
pub mod inheritance;
pub mod last_change;

use crate::db::query::{QueryOpts, Select, glob_to_like};
use crate::db::tags::{self as q, TagConfig};
use crate::db::{self, versioned};
use crate::fault::{KojiError, KojiResult};
use crate::lookup::{self, BuildRef};
use crate::rpc::args::InfoRef;
use crate::xmlrpc::{self, Struct, Value};
use deadpool_postgres::GenericClient;
use serde::Deserialize;
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap};

/// A tag's extra options: key to value, None for a key blocked in this tag (it hides an inherited value).
pub type Extra = BTreeMap<String, Option<Value>>;

/// A tag as of some event: its settings and its own extra options (blocked keys included).
#[derive(Debug, Clone)]
pub struct TagInfo {
    pub config: TagConfig,
    pub extra: Extra,
    /// The event asked for, which Koji echoes back.
    pub query_event: Option<i32>,
    /// Set for a deleted tag read with `event="auto"`: when it was deleted.
    pub revoke_event: Option<i32>,
}

impl TagInfo {
    /// Koji's tag record. With `blocked`, each extra value is `[blocked, value]`; otherwise blocked keys are left
    /// out.
    pub fn to_struct(&self, blocked: bool) -> KojiResult<Struct> {
        let Value::Struct(mut s) = xmlrpc::to_value(&self.config)? else { unreachable!("a struct serializes as one") };
        let extra: Struct = self
            .extra
            .iter()
            .filter(|(_, v)| blocked || v.is_some())
            .map(|(k, v)| {
                let shown = match (blocked, v) {
                    (true, v) => Value::Array(vec![Value::Bool(v.is_none()), v.clone().unwrap_or_default()]),
                    (false, v) => v.clone().unwrap_or_default(),
                };
                (k.clone(), shown)
            })
            .collect();
        s.insert("extra".into(), Value::Struct(extra));
        if let Some(e) = self.query_event {
            s.insert("query_event".into(), Value::from(e));
        }
        if let Some(e) = self.revoke_event {
            s.insert("revoke_event".into(), Value::from(e));
        }
        Ok(s)
    }
}

/// Decodes `tag_extra` rows into each tag's options; Koji stores the values as JSON text.
fn extras_by_tag(rows: Vec<q::ExtraRow>) -> KojiResult<HashMap<i32, Extra>> {
    let mut out: HashMap<i32, Extra> = HashMap::new();
    for row in rows {
        let value = match row.value {
            None => None,
            Some(text) => Some(
                serde_json::from_str(&text)
                    .map(db::json_to_value)
                    .map_err(|_| KojiError::generic(format!("No such tag extra data: {}", row.key)))?,
            ),
        };
        out.entry(row.tag_id).or_default().insert(row.key, value);
    }
    Ok(out)
}

/// The tag `r` names as of `event` (now when None), or None if there is no such tag then.
pub async fn get(db: &impl GenericClient, r: &InfoRef, event: Option<i32>) -> KojiResult<Option<TagInfo>> {
    let Some(config) = q::config(db, r, event).await? else { return Ok(None) };
    let extra = extras_by_tag(q::extras(db, &[config.id], event).await?)?.remove(&config.id).unwrap_or_default();
    Ok(Some(TagInfo { config, extra, query_event: event, revoke_event: None }))
}

/// Koji's `get_tag(strict=True)`.
pub async fn get_strict(db: &impl GenericClient, r: &InfoRef, event: Option<i32>) -> KojiResult<TagInfo> {
    get(db, r, event).await?.ok_or_else(|| q::no_such_tag(r))
}

/// `getTag`'s `event`: an event id, or `"auto"` (a deleted tag as it was just before its deletion).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum TagEvent {
    Id(i32),
    Named(String),
}

/// `getTag(tagInfo, strict, event, blocked)`.
pub async fn get_tag(
    db: &impl GenericClient,
    r: &InfoRef,
    strict: bool,
    event: Option<TagEvent>,
    blocked: bool,
) -> KojiResult<Option<Struct>> {
    let (event, deleted) = match event {
        None => (None, None),
        Some(TagEvent::Id(e)) => (Some(e), None),
        Some(TagEvent::Named(a)) if a == "auto" => match q::deleted_at(db, r).await? {
            Some(revoked) => (Some(revoked - 1), Some(revoked)),
            None => (None, None),
        },
        Some(TagEvent::Named(other)) => return Err(KojiError::generic(format!("Invalid event: '{other}'"))),
    };
    let found = match get(db, r, event).await? {
        Some(t) => t,
        None if strict => return Err(q::no_such_tag(r)),
        None => return Ok(None),
    };
    TagInfo { revoke_event: deleted, ..found }.to_struct(blocked).map(Some)
}

/// `getBuildConfig`: the tag with `arches` and `extra` filled in from its ancestors, skipping `noconfig` links,
/// and `config_inheritance` naming where each inherited value came from.
pub async fn build_config(db: &impl GenericClient, r: &InfoRef, event: Option<i32>) -> KojiResult<Struct> {
    let mut tag = get_strict(db, r, event).await?;
    let order = inheritance::full_inheritance(db, tag.config.id, event, false).await?;
    let sources: Vec<i32> = order.iter().filter(|l| !l.noconfig).map(|l| l.parent_id).collect();
    let configs: HashMap<i32, TagConfig> =
        q::configs(db, &sources, event).await?.into_iter().map(|c| (c.id, c)).collect();
    let extras = extras_by_tag(q::extras(db, &sources, event).await?)?;
    let mut inherited_extra = Struct::new();
    let mut inherited_arches = Value::Nil;
    for parent in &sources {
        let ancestor = configs.get(parent).ok_or_else(|| q::no_such_tag(&InfoRef::Id((*parent).into())))?;
        let origin = || {
            Value::Struct(Struct::from([
                ("id".into(), ancestor.id.into()),
                ("name".into(), ancestor.name.as_str().into()),
            ]))
        };
        if tag.config.arches.is_none() && ancestor.arches.is_some() {
            tag.config.arches = ancestor.arches.clone();
            inherited_arches = origin();
        }
        for (key, value) in extras.get(parent).cloned().unwrap_or_default() {
            if let Entry::Vacant(slot) = tag.extra.entry(key) {
                inherited_extra.insert(slot.key().clone(), origin());
                slot.insert(value);
            }
        }
    }
    let mut out = tag.to_struct(false)?;
    let inheritance =
        Struct::from([("extra".into(), Value::Struct(inherited_extra)), ("arches".into(), inherited_arches)]);
    out.insert("config_inheritance".into(), Value::Struct(inheritance));
    Ok(out)
}

/// `listTags` filters.
pub struct TagFilter {
    pub build: Option<BuildRef>,
    pub package: Option<InfoRef>,
    pub perms: bool,
    pub pattern: Option<String>,
}

/// `listTags`: current tags, optionally those a build is tagged into or a package is listed in (then with the
/// listing's owner, block and extra arches).
pub async fn list_tags(db: &impl GenericClient, f: TagFilter, opts: &QueryOpts) -> KojiResult<Value> {
    if f.build.is_some() && f.package.is_some() {
        return Err(KojiError::generic("only one of build and package may be specified"));
    }
    let mut columns = vec![
        ("id", "tag.id"),
        ("name", "tag.name"),
        ("arches", "tag_config.arches"),
        ("locked", "tag_config.locked"),
        ("maven_support", "tag_config.maven_support"),
        ("maven_include_all", "tag_config.maven_include_all"),
    ];
    if f.perms {
        columns.extend([("perm_id", "tag_config.perm_id"), ("perm", "permissions.name")]);
    }
    if f.package.is_some() {
        columns.extend([
            ("owner_id", "users.id"),
            ("owner_name", "users.name"),
            ("blocked", "tag_packages.blocked"),
            ("extra_arches", "tag_packages.extra_arches"),
        ]);
    }
    let from = match (&f.build, &f.package) {
        (Some(_), _) => {
            "tag_config JOIN tag ON tag.id = tag_config.tag_id \
             LEFT JOIN permissions ON tag_config.perm_id = permissions.id \
             JOIN tag_listing ON tag.id = tag_listing.tag_id"
        }
        (_, Some(_)) => {
            "tag_config JOIN tag ON tag.id = tag_config.tag_id \
             LEFT JOIN permissions ON tag_config.perm_id = permissions.id \
             JOIN tag_packages ON tag.id = tag_packages.tag_id \
             JOIN tag_package_owners ON tag_packages.tag_id = tag_package_owners.tag_id \
                 AND tag_packages.package_id = tag_package_owners.package_id AND tag_package_owners.active IS TRUE \
             JOIN users ON tag_package_owners.owner = users.id"
        }
        _ => {
            "tag_config JOIN tag ON tag.id = tag_config.tag_id LEFT JOIN permissions ON tag_config.perm_id = permissions.id"
        }
    };
    let mut sel = Select::new(columns, from, "id");
    versioned::in_force(&mut sel, "tag_config", None);
    if let Some(b) = &f.build {
        let id = lookup::build_id(db, b).await?.ok_or_else(|| KojiError::generic(format!("No such build: {b}")))?;
        versioned::in_force(&mut sel, "tag_listing", None);
        sel.filter("tag_listing.build_id = $?", id);
    }
    if let Some(p) = &f.package {
        let id = lookup::id_of(db, "package", p)
            .await?
            .ok_or_else(|| KojiError::generic(format!("No such package: {}", p.plain())))?;
        versioned::in_force(&mut sel, "tag_packages", None);
        sel.filter("tag_packages.package_id = $?", id);
    }
    if let Some(p) = f.pattern {
        sel.filter("tag.name ILIKE $?", glob_to_like(&p));
    }
    sel.fetch(db, opts).await
}

/// Koji's `check_tag_access` as an assertion: a locked tag, or one whose `perm` the user lacks, refuses changes
/// to its content; an admin may override either with `force`.
pub async fn assert_tag_access(db: &impl GenericClient, tag: &TagConfig, user_id: i32, force: bool) -> KojiResult<()> {
    let perms = db::perms::effective(db, user_id).await?;
    let reason = match &tag.perm {
        _ if tag.locked => "tag is locked".to_owned(),
        Some(needed) if !perms.contains(needed) => format!("tag requires {needed} permission"),
        _ => return Ok(()),
    };
    if force && perms.iter().any(|p| p == "admin") {
        tracing::info!(tag = %tag.name, user_id, %reason, "tag access overridden by force");
        return Ok(());
    }
    Err(KojiError::not_allowed(reason))
}

/// Arches as clients send them: a space-separated string or a list.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Arches {
    Text(String),
    List(Vec<String>),
}

/// Koji's `parse_arches(strict=True)`: space-separated names of `[a-zA-Z0-9_-]`, normalised to single spaces.
pub fn parse_arches(arches: &Arches) -> KojiResult<String> {
    let list: Vec<&str> = match arches {
        Arches::Text(t) => t.split_whitespace().collect(),
        Arches::List(l) => l.iter().map(String::as_str).collect(),
    };
    if list.iter().any(|a| !a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')) {
        return Err(KojiError::generic("Architecture can be only [a-zA-Z0-9_-]"));
    }
    Ok(list.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arches_are_normalised_and_checked() {
        assert_eq!(parse_arches(&Arches::Text(" x86_64  aarch64 ".into())).unwrap(), "x86_64 aarch64");
        assert_eq!(parse_arches(&Arches::List(vec!["i686".into(), "noarch".into()])).unwrap(), "i686 noarch");
        assert_eq!(parse_arches(&Arches::Text(String::new())).unwrap(), "");
        assert_eq!(
            parse_arches(&Arches::Text("x86_64,i686".into())).unwrap_err(),
            KojiError::generic("Architecture can be only [a-zA-Z0-9_-]")
        );
    }

    #[test]
    fn blocked_extra_shows_as_pairs_or_not_at_all() {
        let config = TagConfig {
            id: 1,
            name: "f40".into(),
            perm_id: None,
            perm: None,
            arches: None,
            locked: false,
            maven_support: false,
            maven_include_all: false,
        };
        let extra = Extra::from([("a".into(), Some(Value::Int(1))), ("b".into(), None)]);
        let tag = TagInfo { config, extra, query_event: None, revoke_event: None };
        let plain = tag.to_struct(false).unwrap();
        assert_eq!(plain["extra"], Value::Struct(Struct::from([("a".into(), Value::Int(1))])));
        let blocked = tag.to_struct(true).unwrap();
        assert_eq!(blocked["extra"].as_struct().unwrap()["b"], Value::Array(vec![Value::Bool(true), Value::Nil]));
        assert!(!plain.contains_key("query_event"));
    }
}
