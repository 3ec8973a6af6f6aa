//! Changing tag package lists: `packageListAdd`, `packageListRemove`, `packageListBlock`,
//! `packageListUnblock`, `packageListSetOwner`, `packageListSetArches` (Koji's `pkglist_*`).
//!
//! Each call is one transaction under one event, allowed by Koji's default `package_list` policy (admin or `tag`
//! permission) and by the tag's own access rules (`assert_tag_access`: a locked tag, or one requiring a
//! permission the user lacks, refuses unless an admin forces it). Entries compare against the package's
//! effective listing (own or inherited), so re-adding what a parent already provides changes nothing.

use super::listing::{self, Listing, ListingQuery};
use crate::db::tags::{self as tag_db, TagConfig};
use crate::db::{self, versioned};
use crate::fault::{KojiError, KojiResult};
use crate::lookup::{self, Named};
use crate::rpc::CallCtx;
use crate::rpc::args::InfoRef;
use crate::tags::{self, Arches, parse_arches};
use deadpool_postgres::GenericClient;

/// How `packageListAdd` changes an entry; None fields keep the effective listing's value.
#[derive(Debug, Default)]
pub struct EntryChange {
    pub owner: Option<InfoRef>,
    pub block: Option<bool>,
    pub extra_arches: Option<Arches>,
    pub force: bool,
    /// Require an existing (possibly inherited) entry: set-owner and set-arches.
    pub update: bool,
}

/// Koji's default `package_list` policy, and the tag's access rules.
async fn assert_allowed(db: &impl GenericClient, tag: &TagConfig, user: i32, force: bool) -> KojiResult<()> {
    crate::policy::check(db, "package_list", &Default::default(), Some(user), true).await?;
    tags::assert_tag_access(db, tag, user, force).await
}

/// The tag and the (existing) package of a change to the tag's list, and the logged-in user, once the change is
/// allowed for that user.
async fn existing_entry(
    ctx: &CallCtx,
    tx: &impl GenericClient,
    taginfo: &InfoRef,
    pkginfo: &InfoRef,
    force: bool,
) -> KojiResult<(TagConfig, Named, i32)> {
    let tag = tag_db::config_strict(tx, taginfo, None).await?;
    let package = lookup::named_strict(tx, "package", pkginfo).await?;
    let user = ctx.require_login()?.user_id;
    assert_allowed(tx, &tag, user, force).await?;
    Ok((tag, package, user))
}

/// The package's effective entry in the tag (its own, or the nearest inherited one), blocked or not.
async fn effective(db: &impl GenericClient, tag: i32, package: i32) -> KojiResult<Option<Listing>> {
    let q = ListingQuery {
        tag: Some(tag),
        package: Some(package),
        inherit: true,
        with_owners: true,
        with_blocked: true,
        ..Default::default()
    };
    Ok(listing::read(db, &q).await?.into_iter().next())
}

/// A tag's own entry for a package, as written.
struct OwnEntry<'a> {
    tag: i32,
    package: i32,
    owner: i32,
    blocked: bool,
    extra_arches: &'a Option<String>,
}

/// Writes the tag's own entry for the package (a new `tag_packages` version) and its owner.
async fn write_entry(db: &impl GenericClient, e: &OwnEntry<'_>, event: i32, user: i32) -> KojiResult<()> {
    let keys: [versioned::Column; 2] = [("tag_id", &e.tag), ("package_id", &e.package)];
    let values: [versioned::Column; 2] = [("blocked", &e.blocked), ("extra_arches", e.extra_arches)];
    versioned::replace(db, "tag_packages", &keys, &values, event, user).await?;
    write_owner(db, e.tag, e.package, e.owner, event, user).await
}

async fn write_owner(
    db: &impl GenericClient,
    tag: i32,
    package: i32,
    owner: i32,
    event: i32,
    user: i32,
) -> KojiResult<()> {
    let keys: [versioned::Column; 2] = [("tag_id", &tag), ("package_id", &package)];
    versioned::replace(db, "tag_package_owners", &keys, &[("owner", &owner)], event, user).await
}

/// `packageListAdd(taginfo, pkginfo, owner, block, extra_arches, force, update)`; the package row is created
/// when a name is new.
pub async fn add(ctx: &CallCtx, taginfo: &InfoRef, pkginfo: &InfoRef, change: EntryChange) -> KojiResult<()> {
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let tag = tag_db::config_strict(&tx, taginfo, None).await?;
    let existing = lookup::named(&tx, "package", pkginfo).await?;
    if existing.is_none() && !matches!(pkginfo, InfoRef::Name(_)) {
        return Err(KojiError::generic(format!("No such package: {}", pkginfo.plain())));
    }
    let owner = match &change.owner {
        Some(o) => Some(crate::users::resolve_strict(&tx, o).await?.id),
        None => None,
    };
    let user = ctx.require_login()?.user_id;
    assert_allowed(&tx, &tag, user, change.force).await?;
    let package = match existing {
        Some(p) => p,
        None => lookup::named_or_create(&tx, "package", pkginfo).await?,
    };
    let extra_arches = change.extra_arches.as_ref().map(parse_arches).transpose()?;
    if apply_add(&tx, &tag, &package, owner, change, extra_arches, user).await? {
        tx.commit().await?;
        ctx.committed();
    }
    Ok(())
}

/// The body of Koji's `_direct_pkglist_add` once the checks passed; returns whether it wrote anything.
async fn apply_add(
    tx: &impl GenericClient,
    tag: &TagConfig,
    package: &Named,
    owner: Option<i32>,
    change: EntryChange,
    extra_arches: Option<String>,
    user: i32,
) -> KojiResult<bool> {
    let previous = effective(tx, tag.id, package.id).await?;
    let (owner, block, extra_arches, rewrite) = match &previous {
        None => {
            if change.update && !change.force {
                return Err(KojiError::generic(format!(
                    "cannot update: tag {} has no data for package {}",
                    tag.name, package.name
                )));
            }
            (owner, change.block.unwrap_or(false), extra_arches, true)
        }
        Some(prev) => {
            let owner = owner.or(prev.owner_id);
            let block = change.block.unwrap_or(prev.blocked);
            let extra_arches = extra_arches.or_else(|| prev.extra_arches.clone());
            let changed = block != prev.blocked || extra_arches != prev.extra_arches;
            let owner_changed = owner != prev.owner_id;
            if !changed && !owner_changed && !change.force {
                return Ok(false);
            }
            if prev.blocked && !block && !change.force {
                return Err(KojiError::generic(format!("package {} is blocked in tag {}", package.name, tag.name)));
            }
            if !changed && !owner_changed {
                // Forced with nothing to change: Koji writes nothing either.
                return Ok(false);
            }
            // A new owner for an inherited entry needs an entry of the tag's own to hang on (Koji writes only
            // the owner row then, which no listing shows).
            (owner, block, extra_arches, changed || prev.tag_id != tag.id)
        }
    };
    let owner = match owner {
        Some(o) => o,
        None if change.force => user,
        None => return Err(KojiError::generic("owner not specified")),
    };
    let event = db::new_event(tx).await?;
    if rewrite {
        let entry = OwnEntry { tag: tag.id, package: package.id, owner, blocked: block, extra_arches: &extra_arches };
        write_entry(tx, &entry, event, user).await?;
    } else {
        write_owner(tx, tag.id, package.id, owner, event, user).await?;
    }
    tracing::info!(tag = %tag.name, package = %package.name, block, "package list changed");
    Ok(true)
}

/// `packageListRemove`: drops the tag's own entry (an inherited one may then show through).
pub async fn remove(ctx: &CallCtx, taginfo: &InfoRef, pkginfo: &InfoRef, force: bool) -> KojiResult<()> {
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let (tag, package, user) = existing_entry(ctx, &tx, taginfo, pkginfo, force).await?;
    let event = db::new_event(&tx).await?;
    versioned::revoke(&tx, "tag_packages", &[("tag_id", &tag.id), ("package_id", &package.id)], event, user).await?;
    tx.commit().await?;
    ctx.committed();
    tracing::info!(tag = %tag.name, package = %package.name, "package removed from list");
    Ok(())
}

/// `packageListBlock`: the package must be listed (own or inherited) to be blocked.
pub async fn block(ctx: &CallCtx, taginfo: &InfoRef, pkginfo: &InfoRef, force: bool) -> KojiResult<()> {
    {
        let db = ctx.db().await?;
        let tag = tag_db::config_strict(&db, taginfo, None).await?;
        let package = lookup::named_strict(&db, "package", pkginfo).await?;
        if effective(&db, tag.id, package.id).await?.is_none() {
            return Err(KojiError::generic(format!("Package {} is not in tag listing for {}", package.name, tag.name)));
        }
    }
    add(ctx, taginfo, pkginfo, EntryChange { block: Some(true), force, ..Default::default() }).await
}

/// `packageListUnblock`: an inherited block is overridden by an unblocked own entry; the tag's own block is
/// removed, and replaced by an unblocked entry only if nothing unblocked shows through then.
pub async fn unblock(ctx: &CallCtx, taginfo: &InfoRef, pkginfo: &InfoRef, force: bool) -> KojiResult<()> {
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let (tag, package, user) = existing_entry(ctx, &tx, taginfo, pkginfo, force).await?;
    let previous = effective(&tx, tag.id, package.id).await?.ok_or_else(|| {
        KojiError::generic(format!("no data (blocked or otherwise) for package {} in tag {}", package.name, tag.name))
    })?;
    if !previous.blocked {
        return Err(KojiError::generic(format!("package {} NOT blocked in tag {}", package.name, tag.name)));
    }
    let event = db::new_event(&tx).await?;
    let needs_entry = if previous.tag_id != tag.id {
        true
    } else {
        let keys: [versioned::Column; 2] = [("tag_id", &tag.id), ("package_id", &package.id)];
        versioned::revoke(&tx, "tag_packages", &keys, event, user).await?;
        effective(&tx, tag.id, package.id).await?.is_none_or(|l| l.blocked)
    };
    if needs_entry {
        let owner = previous.owner_id.unwrap_or(user);
        let entry =
            OwnEntry { tag: tag.id, package: package.id, owner, blocked: false, extra_arches: &previous.extra_arches };
        write_entry(&tx, &entry, event, user).await?;
    }
    tx.commit().await?;
    ctx.committed();
    tracing::info!(tag = %tag.name, package = %package.name, "package unblocked");
    Ok(())
}
