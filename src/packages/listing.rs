//! Tag package lists (`tag_packages` with `tag_package_owners`), read directly or through inheritance (Koji's
//! `readPackageList`).
//!
//! With inheritance, the tag's own entries come first, then those of each ancestor in walk order; an entry is
//! taken only if the package name matches every `pkg_filter` on the path to that ancestor (Python's `re.match`:
//! anchored at the start), and the first entry for a package supersedes later ones — a block included, which is
//! how a block hides an inherited package. The rows of the tag and all its ancestors come from one query; the
//! walk runs in memory.

use crate::db::query::{Select, escape_like};
use crate::db::versioned;
use crate::fault::KojiResult;
use crate::tags::inheritance::{self, PackageFilters};
use deadpool_postgres::GenericClient;
use serde::Serialize;
use std::collections::HashMap;

/// One package listing, with Koji's field names; the owner fields are left out when not asked for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Listing {
    pub package_id: i32,
    pub package_name: String,
    pub tag_id: i32,
    pub tag_name: String,
    pub extra_arches: Option<String>,
    pub blocked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_name: Option<String>,
}

/// Which listings to read. At least one of `tag`, `user` and `package` is set.
#[derive(Debug, Clone, Default)]
pub struct ListingQuery {
    pub tag: Option<i32>,
    pub user: Option<i32>,
    pub package: Option<i32>,
    /// Case-insensitive package name prefix.
    pub prefix: Option<String>,
    pub event: Option<i32>,
    /// Follow the tag's inheritance (needs `tag`).
    pub inherit: bool,
    /// Keep superseded inherited entries too, each right after the package's first entry.
    pub with_dups: bool,
    pub with_owners: bool,
    /// Keep blocked entries in the result (they supersede inherited entries either way).
    pub with_blocked: bool,
}

/// The listings `q` selects, in Koji's order.
pub async fn read(db: &impl GenericClient, q: &ListingQuery) -> KojiResult<Vec<Listing>> {
    let walk = match (q.tag, q.inherit) {
        (Some(tag), true) => inheritance::full_inheritance(db, tag, q.event, false).await?,
        _ => vec![],
    };
    let mut tags: Vec<i32> = q.tag.into_iter().collect();
    tags.extend(walk.iter().map(|l| l.parent_id));
    let rows = fetch(db, q, &tags).await?;
    // Each package's entries, in the order packages were first met; without duplicates the first entry (the
    // nearest, with inheritance) is the one kept.
    let mut packages: Vec<Vec<Listing>> = vec![];
    let mut index: HashMap<i32, usize> = HashMap::new();
    let mut take = |row: Listing| match index.get(&row.package_id) {
        Some(&i) if q.with_dups => packages[i].push(row),
        Some(_) => {}
        None => {
            index.insert(row.package_id, packages.len());
            packages.push(vec![row]);
        }
    };
    match q.tag {
        None => rows.into_iter().for_each(&mut take),
        Some(tag) => {
            let mut by_tag: HashMap<i32, Vec<Listing>> = HashMap::new();
            for r in rows {
                by_tag.entry(r.tag_id).or_default().push(r);
            }
            by_tag.get(&tag).into_iter().flatten().for_each(|r| take(r.clone()));
            let mut filters = PackageFilters::default();
            for link in &walk {
                for r in by_tag.get(&link.parent_id).into_iter().flatten() {
                    if filters.admits(link, &r.package_name)? {
                        take(r.clone());
                    }
                }
            }
        }
    }
    Ok(packages.into_iter().flatten().filter(|r| q.with_blocked || !r.blocked).collect())
}

const COLUMNS: &[(&str, &str)] = &[
    ("package_id", "package.id"),
    ("package_name", "package.name"),
    ("tag_id", "tag.id"),
    ("tag_name", "tag.name"),
    ("extra_arches", "tag_packages.extra_arches"),
    ("blocked", "tag_packages.blocked"),
];

/// What `with_owners` adds to [`COLUMNS`] and [`FROM`].
const OWNER_COLUMNS: &[(&str, &str)] = &[("owner_id", "users.id"), ("owner_name", "users.name")];

const FROM: &str = "tag_packages JOIN tag ON tag.id = tag_packages.tag_id \
     JOIN package ON package.id = tag_packages.package_id";

const OWNER_JOINS: &str = "JOIN tag_package_owners ON tag_package_owners.tag_id = tag_packages.tag_id \
         AND tag_package_owners.package_id = tag_packages.package_id \
     JOIN users ON users.id = tag_package_owners.owner";

/// The listings of `tags` (or, without a tag, of the user or package asked for), ordered by package id.
async fn fetch(db: &impl GenericClient, q: &ListingQuery, tags: &[i32]) -> KojiResult<Vec<Listing>> {
    let mut sel = Select::new(COLUMNS, FROM, "package_id,tag_id");
    versioned::in_force(&mut sel, "tag_packages", q.event);
    if q.with_owners {
        sel.add_columns(OWNER_COLUMNS).join(OWNER_JOINS);
        versioned::in_force(&mut sel, "tag_package_owners", q.event);
    }
    if q.tag.is_some() {
        sel.filter("tag_packages.tag_id = ANY($?)", tags.to_vec());
    }
    if let Some(u) = q.user {
        sel.filter("users.id = $?", u);
    }
    if let Some(p) = q.package {
        sel.filter("package.id = $?", p);
    }
    if let Some(prefix) = q.prefix.as_ref().filter(|p| !p.is_empty()) {
        sel.filter("package.name ILIKE $? || '%'", escape_like(prefix));
    }
    Ok(sel
        .rows(db)
        .await?
        .iter()
        .map(|r| Listing {
            package_id: r.get("package_id"),
            package_name: r.get("package_name"),
            tag_id: r.get("tag_id"),
            tag_name: r.get("tag_name"),
            extra_arches: r.get("extra_arches"),
            blocked: r.get("blocked"),
            owner_id: q.with_owners.then(|| r.get("owner_id")),
            owner_name: q.with_owners.then(|| r.get("owner_name")),
        })
        .collect())
}
