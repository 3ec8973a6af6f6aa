//! Packages (`package` names) and the tag package lists (`listPackages`); reading a list through inheritance
//! is in `listing`, changing lists (`packageListAdd` and friends) in `edit`.

pub mod edit;
pub mod listing;

use crate::db::query::{QueryOpts, Select, escape_like};
use crate::fault::{KojiError, KojiResult};
use crate::lookup::{self, Named};
use crate::rpc::CallCtx;
use crate::rpc::args::InfoRef;
use crate::xmlrpc::{self, Struct, Value};
use listing::ListingQuery;

const SIMPLE_COLUMNS: &[(&str, &str)] = &[("package_id", "package.id"), ("package_name", "package.name")];

/// The fields of a listing row, in Koji's order (for `asList`).
const LISTING_FIELDS: &[&str] =
    &["package_id", "package_name", "tag_id", "tag_name", "extra_arches", "blocked", "owner_id", "owner_name"];

pub struct PackageFilter {
    pub tag: Option<InfoRef>,
    pub user: Option<InfoRef>,
    pub package: Option<InfoRef>,
    pub prefix: Option<String>,
    pub inherited: bool,
    pub with_dups: bool,
    pub event: Option<i32>,
    pub with_owners: bool,
    pub with_blocked: bool,
}

/// `listPackages`: with no tag, user or package filter, every package; otherwise the package listings, through
/// the tag's inheritance when `inherited`.
pub async fn list_packages(ctx: &CallCtx, f: PackageFilter, opts: &QueryOpts) -> KojiResult<Value> {
    let db = ctx.db().await?;
    if f.tag.is_none() && f.user.is_none() && f.package.is_none() {
        let mut q = Select::new(SIMPLE_COLUMNS, "package", "package_id");
        if let Some(p) = f.prefix.filter(|p| !p.is_empty()) {
            q.filter("package.name ILIKE $? || '%'", escape_like(&p));
        }
        return q.fetch(&db, opts).await;
    }
    let query = ListingQuery {
        tag: match &f.tag {
            Some(t) => Some(lookup::named_strict(&db, "tag", t).await?.id),
            None => None,
        },
        user: match &f.user {
            Some(u) => Some(crate::users::resolve_strict(&db, u).await?.id),
            None => None,
        },
        package: match &f.package {
            Some(p) => Some(lookup::named_strict(&db, "package", p).await?.id),
            None => None,
        },
        prefix: f.prefix,
        event: f.event,
        inherit: f.inherited,
        with_dups: f.with_dups,
        with_owners: f.with_owners,
        with_blocked: f.with_blocked,
    };
    if query.user.is_some() && !query.with_owners {
        return Err(KojiError::generic("userID and with_owners=False can't be used together"));
    }
    let rows = listing::read(&db, &query)
        .await?
        .iter()
        .map(|l| match xmlrpc::to_value(l)? {
            Value::Struct(s) => Ok(s),
            _ => unreachable!("a listing serializes as a struct"),
        })
        .collect::<KojiResult<Vec<Struct>>>()?;
    let fields = if query.with_owners { LISTING_FIELDS } else { &LISTING_FIELDS[..6] };
    opts.apply(rows, fields)
}

/// `getPackage(info, strict=False, create=False)`: `{id, name}`. As in Koji, `create` needs no permission.
pub async fn get_package(ctx: &CallCtx, info: &InfoRef, strict: bool, create: bool) -> KojiResult<Option<Named>> {
    let db = ctx.db().await?;
    if let Some(found) = lookup::named(&db, "package", info).await? {
        return Ok(Some(found));
    }
    if strict {
        return lookup::named_strict(&db, "package", info).await.map(Some);
    }
    if !create {
        return Ok(None);
    }
    let created = lookup::named_or_create(&db, "package", info).await?;
    ctx.committed();
    Ok(Some(created))
}

/// `getPackageID(name, strict=False)`.
pub async fn get_package_id(ctx: &CallCtx, name: &str, strict: bool) -> KojiResult<Option<i32>> {
    let found = lookup::id_of(&ctx.db().await?, "package", &InfoRef::Name(name.to_owned())).await?;
    match found {
        None if strict => Err(KojiError::generic(format!("No such package name: {name}"))),
        found => Ok(found),
    }
}
