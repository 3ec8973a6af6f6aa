//! Packages and tag package lists (`listPackages`).

use crate::db::query::{QueryOpts, Select, escape_like};
use crate::db::versioned;
use crate::fault::{KojiError, KojiResult};
use crate::lookup;
use crate::rpc::CallCtx;
use crate::rpc::args::InfoRef;
use crate::xmlrpc::Value;

const SIMPLE_COLUMNS: &[(&str, &str)] = &[("package_id", "package.id"), ("package_name", "package.name")];

const LISTING_COLUMNS: &[(&str, &str)] = &[
    ("package_id", "package.id"),
    ("package_name", "package.name"),
    ("tag_id", "tag.id"),
    ("tag_name", "tag.name"),
    ("extra_arches", "tag_packages.extra_arches"),
    ("blocked", "tag_packages.blocked"),
    ("owner_id", "users.id"),
    ("owner_name", "users.name"),
];

const LISTING_FROM: &str = "tag_packages JOIN tag ON tag.id = tag_packages.tag_id \
     JOIN package ON package.id = tag_packages.package_id \
     JOIN tag_package_owners ON tag_package_owners.tag_id = tag_packages.tag_id \
         AND tag_package_owners.package_id = tag_packages.package_id \
     JOIN users ON users.id = tag_package_owners.owner";

pub struct PackageFilter {
    pub tag: Option<InfoRef>,
    pub user: Option<InfoRef>,
    pub package: Option<InfoRef>,
    pub prefix: Option<String>,
    pub inherited: bool,
    pub event: Option<i32>,
    pub with_blocked: bool,
}

/// `listPackages`: with no tag, user or package filter, every package; otherwise the tag package listings.
pub async fn list_packages(ctx: &CallCtx, f: PackageFilter, opts: &QueryOpts) -> KojiResult<Value> {
    let db = ctx.db().await?;
    if f.tag.is_none() && f.user.is_none() && f.package.is_none() {
        let mut q = Select::new(SIMPLE_COLUMNS, "package", "package_id");
        if let Some(p) = f.prefix.filter(|p| !p.is_empty()) {
            q.filter("package.name ILIKE $? || '%'", escape_like(&p));
        }
        return q.fetch(&db, opts).await;
    }
    if f.inherited && f.tag.is_some() {
        return Err(KojiError::generic("inherited package listings are not available yet"));
    }
    let mut q = Select::new(LISTING_COLUMNS, LISTING_FROM, "package_id");
    versioned::in_force(&mut q, "tag_packages", f.event);
    versioned::in_force(&mut q, "tag_package_owners", f.event);
    if let Some(t) = &f.tag {
        let id = lookup::id_of(&db, "tag", t).await?.ok_or_else(|| KojiError::generic(format!("No such tag: {t}")))?;
        q.filter("tag.id = $?", id);
    }
    if let Some(u) = &f.user {
        let user = crate::users::resolve_strict(&db, u).await?;
        q.filter("users.id = $?", user.id);
    }
    if let Some(p) = &f.package {
        let id = lookup::id_of(&db, "package", p)
            .await?
            .ok_or_else(|| KojiError::generic(format!("No such package: {p}")))?;
        q.filter("package.id = $?", id);
    }
    if !f.with_blocked {
        q.condition("NOT tag_packages.blocked");
    }
    if let Some(p) = f.prefix.filter(|p| !p.is_empty()) {
        q.filter("package.name ILIKE $? || '%'", escape_like(&p));
    }
    q.fetch(&db, opts).await
}
