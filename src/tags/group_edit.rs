//! Changing a tag's comps groups (Koji's `grplist_*`, `grp_pkg_*`, `grp_req_*`): `groupListAdd/Remove/Block/
//! Unblock`, `groupPackageListAdd/...`, `groupReqListAdd/...`. Each call needs the `tag` permission and is one
//! transaction under one event. Adds compare against the effective (possibly inherited) entry: unchanged data
//! writes nothing, options not given keep the inherited values, and a blocked entry needs `force`.

use super::groups::{GroupOptions, tag_groups};
use crate::db::versioned::{self, Column, LazyEvent};
use crate::fault::{KojiError, KojiResult};
use crate::lookup::{self, Named};
use crate::rpc::CallCtx;
use crate::rpc::args::InfoRef;
use crate::xmlrpc::{Struct, Value};
use deadpool_postgres::GenericClient;

/// What a group entry is, as changes see it.
#[derive(Clone, Copy)]
pub enum Kind {
    Group,
    Package,
    Requirement,
}

/// The entry an edit is about: a group in a tag, a package of it, or a group it requires.
pub struct Target {
    pub tag: InfoRef,
    pub group: InfoRef,
    pub package: Option<String>,
    pub req: Option<InfoRef>,
}

impl Kind {
    fn table(self) -> &'static str {
        match self {
            Kind::Group => "group_config",
            Kind::Package => "group_package_listing",
            Kind::Requirement => "group_req_listing",
        }
    }

    /// The options a caller may set (Koji's `cfg_fields`).
    fn fields(self) -> &'static [&'static str] {
        match self {
            Kind::Group => {
                &["exported", "display_name", "is_default", "uservisible", "description", "langonly", "biarchonly"]
            }
            Kind::Package => &["type", "basearchonly", "requires"],
            Kind::Requirement => &["type", "is_metapkg"],
        }
    }
}

fn blocked(s: &Struct) -> bool {
    s.get("blocked").is_some_and(Value::truthy)
}

/// The tag's effective group `group_id` (blocked ones included), with packages and requirements.
async fn effective_group(db: &impl GenericClient, tag_id: i32, group_id: i32) -> KojiResult<Option<Struct>> {
    let opts = GroupOptions { inherit: true, packages: true, requirements: true, blocked: true };
    let groups = tag_groups(db, &InfoRef::Id(tag_id.into()), None, opts).await?;
    Ok(groups.into_iter().find(|g| g.get("group_id").and_then(Value::as_i64) == Some(group_id.into())))
}

fn entries<'a>(g: &'a Struct, key: &str) -> impl Iterator<Item = &'a Struct> {
    g.get(key).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_struct)
}

struct Resolved {
    tag: Named,
    group: Named,
    req: Option<Named>,
}

async fn resolve(db: &impl GenericClient, kind: Kind, t: &Target, create_group: bool) -> KojiResult<Resolved> {
    let tag = crate::tags::get_strict(db, &t.tag, None).await?.config;
    let tag = Named { id: tag.id, name: tag.name };
    let group = if create_group {
        lookup::named_or_create(db, "groups", &t.group).await?
    } else {
        lookup::named_strict(db, "groups", &t.group).await?
    };
    let req = match (kind, &t.req) {
        (Kind::Requirement, Some(r)) => Some(lookup::named_strict(db, "groups", r).await?),
        _ => None,
    };
    Ok(Resolved { tag, group, req })
}

/// The current own row's key columns of the entry.
fn key_columns<'a>(kind: Kind, r: &'a Resolved, package: &'a Option<String>) -> Vec<Column<'a>> {
    let mut keys: Vec<Column> = vec![("group_id", &r.group.id), ("tag_id", &r.tag.id)];
    match kind {
        Kind::Group => {}
        Kind::Package => keys.push(("package", package)),
        Kind::Requirement => keys.push(("req_id", &r.req.as_ref().expect("resolved with its requirement").id)),
    }
    keys
}

/// `group*ListAdd` (and `Block`, with `block`).
pub async fn add(ctx: &CallCtx, kind: Kind, t: &Target, block: bool, force: bool, opts: &Struct) -> KojiResult<()> {
    let user = ctx.assert_perm("tag").await?.user_id;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let r = resolve(&tx, kind, t, matches!(kind, Kind::Group)).await?;
    let g = effective_group(&tx, r.tag.id, r.group.id).await?;
    let (tag, group) = (&r.tag.name, &r.group.name);
    let previous: Option<Struct> = match kind {
        Kind::Group => g.clone(),
        _ => {
            let g = g.as_ref().ok_or_else(|| KojiError::generic(format!("group {group} not present in tag {tag}")))?;
            if blocked(g) {
                return Err(KojiError::generic(format!("group {group} is blocked in tag {tag}")));
            }
            match kind {
                Kind::Package => entries(g, "packagelist")
                    .find(|p| p.get("package").and_then(Value::as_str) == t.package.as_deref())
                    .cloned(),
                _ => {
                    let req_id = r.req.as_ref().map(|q| i64::from(q.id));
                    entries(g, "grouplist").find(|q| q.get("req_id").and_then(Value::as_i64) == req_id).cloned()
                }
            }
        }
    };
    let mut data: Struct =
        opts.iter().filter(|(k, _)| kind.fields().contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
    if let Some(prev) = &previous {
        if blocked(prev) && !force {
            return Err(KojiError::generic(match kind {
                Kind::Group => format!("group {group} is blocked in tag {tag}"),
                Kind::Package => {
                    format!("package {} blocked in group {group}, tag {tag}", t.package.as_deref().unwrap_or(""))
                }
                Kind::Requirement => format!(
                    "requirement on group {} blocked in group {group}, tag {tag}",
                    r.req.as_ref().map_or("", |q| q.name.as_str())
                ),
            }));
        }
        let mut changed = match kind {
            // A group's `blocked` is one of its fields: blocking an unblocked group is a change.
            Kind::Group => blocked(prev) != block,
            _ => block,
        };
        for field in kind.fields() {
            let old = prev.get(*field).cloned().unwrap_or_default();
            match data.get(*field) {
                Some(new) => changed |= *new != old,
                None => {
                    data.insert(field.to_string(), old);
                }
            }
        }
        let forced_rewrite = force && matches!(kind, Kind::Package);
        if !changed && !forced_rewrite {
            return Ok(());
        }
    }
    let text = |k: &str| data.get(k).and_then(Value::as_str).map(str::to_owned);
    let flag = |k: &str| data.get(k).filter(|v| **v != Value::Nil).map(Value::truthy);
    let mut event = LazyEvent::default();
    let event = event.id(&tx).await?;
    let keys = key_columns(kind, &r, &t.package);
    match kind {
        Kind::Group => {
            let display_name = text("display_name").unwrap_or_else(|| group.clone());
            let (exported, uservisible) = (flag("exported").unwrap_or(true), flag("uservisible").unwrap_or(true));
            let (biarchonly, is_default) = (flag("biarchonly").unwrap_or(false), flag("is_default"));
            let (description, langonly) = (text("description"), text("langonly"));
            let values: Vec<Column> = vec![
                ("blocked", &block),
                ("exported", &exported),
                ("display_name", &display_name),
                ("is_default", &is_default),
                ("uservisible", &uservisible),
                ("description", &description),
                ("langonly", &langonly),
                ("biarchonly", &biarchonly),
            ];
            versioned::replace(&tx, kind.table(), &keys, &values, event, user).await?;
        }
        Kind::Package => {
            let kind_text = text("type").unwrap_or_else(|| "mandatory".into());
            let (basearchonly, requires) = (flag("basearchonly"), text("requires"));
            let values: Vec<Column> = vec![
                ("blocked", &block),
                ("type", &kind_text),
                ("basearchonly", &basearchonly),
                ("requires", &requires),
            ];
            versioned::replace(&tx, kind.table(), &keys, &values, event, user).await?;
        }
        Kind::Requirement => {
            let kind_text = text("type").unwrap_or_else(|| "mandatory".into());
            let is_metapkg = flag("is_metapkg").unwrap_or(false);
            let values: Vec<Column> = vec![("blocked", &block), ("type", &kind_text), ("is_metapkg", &is_metapkg)];
            versioned::replace(&tx, kind.table(), &keys, &values, event, user).await?;
        }
    }
    tx.commit().await?;
    ctx.committed();
    Ok(())
}

/// `group*ListRemove`: revokes the tag's own entry. Only `groupListRemove` checks that there is one (unless
/// `force`), as in Koji.
pub async fn remove(ctx: &CallCtx, kind: Kind, t: &Target, force: bool) -> KojiResult<()> {
    let user = ctx.assert_perm("tag").await?.user_id;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let r = resolve(&tx, kind, t, false).await?;
    let keys = key_columns(kind, &r, &t.package);
    let mut event = LazyEvent::default();
    let id = event.id(&tx).await?;
    let n = versioned::revoke(&tx, kind.table(), &keys, id, user).await?;
    if n == 0 && matches!(kind, Kind::Group) && !force {
        return Err(KojiError::generic(format!("No group: {} found for tag: {}", r.group.name, r.tag.name)));
    }
    tx.commit().await?;
    ctx.committed();
    Ok(())
}

/// `group*ListUnblock`: removes the tag's own block; an entry not blocked here is an error.
pub async fn unblock(ctx: &CallCtx, kind: Kind, t: &Target) -> KojiResult<()> {
    let user = ctx.assert_perm("tag").await?.user_id;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let r = resolve(&tx, kind, t, false).await?;
    let keys = key_columns(kind, &r, &t.package);
    let mut sql = format!("SELECT blocked FROM {} WHERE active = TRUE", kind.table());
    for (i, (name, _)) in keys.iter().enumerate() {
        sql.push_str(&format!(" AND {name} = ${}", i + 1));
    }
    let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = keys.iter().map(|(_, v)| *v).collect();
    let st = tx.prepare_cached(&(sql + " FOR UPDATE")).await?;
    let is_blocked = tx.query_opt(&st, &params).await?.is_some_and(|row| row.get::<_, bool>(0));
    if !is_blocked {
        return Err(KojiError::generic(match kind {
            Kind::Group => format!("group {} is NOT blocked in tag {}", r.group.name, r.tag.name),
            Kind::Package => format!(
                "package {} is NOT blocked in group {}, tag {}",
                t.package.as_deref().unwrap_or(""),
                r.group.id,
                r.tag.id
            ),
            Kind::Requirement => format!(
                "group req {} is NOT blocked in group {}, tag {}",
                r.req.as_ref().map_or(0, |q| q.id),
                r.group.id,
                r.tag.id
            ),
        }));
    }
    let mut event = LazyEvent::default();
    let id = event.id(&tx).await?;
    versioned::revoke(&tx, kind.table(), &keys, id, user).await?;
    tx.commit().await?;
    ctx.committed();
    Ok(())
}
