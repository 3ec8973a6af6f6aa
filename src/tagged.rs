//! What is tagged where (Koji's `readTaggedBuilds`, `readTaggedRPMS`, `untagged_builds`): `listTagged`,
//! `listTaggedRPMS`, `getLatestBuilds`, `getLatestRPMS`, `untaggedBuilds`.
//!
//! A tag's builds are its own `tag_listing` rows followed by those of its ancestors in inheritance order, each
//! tag's most recently tagged first. A build only counts if its package is on the tag's package list (with
//! inheritance: the nearest entry wins, blocked ones included) and not blocked there. "Latest" is the first build
//! seen per package, i.e. the most recently tagged in the nearest tag, not the highest N-V-R.

use crate::builds::decode_extra_fields;
use crate::db::builds::STATE_COMPLETE;
use crate::db::query::{QueryOpts, Select};
use crate::db::versioned;
use crate::fault::{KojiError, KojiResult};
use crate::lookup;
use crate::packages::listing::{self, ListingQuery};
use crate::rpc::args::{Flag, InfoRef, OneOrMany};
use crate::tags::inheritance::{InheritanceLink, full_inheritance};
use crate::xmlrpc::{Struct, Value};
use deadpool_postgres::GenericClient;
use serde::Deserialize;
use serde::de::Deserializer;
use std::collections::{HashMap, HashSet};

/// `latest`: False/None for every build, True for the latest per package, N for the N latest.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Latest(pub i64);

impl<'de> Deserialize<'de> for Latest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Given {
            Int(i64),
            Flag(Flag),
        }
        Ok(Latest(match Given::deserialize(d)? {
            Given::Int(n) => n,
            Given::Flag(Flag(b)) => i64::from(b),
        }))
    }
}

/// The options `readTaggedBuilds` takes.
#[derive(Debug, Default, Clone)]
pub struct TaggedQuery {
    pub event: Option<i32>,
    pub inherit: bool,
    pub latest: Latest,
    pub package: Option<String>,
    pub owner: Option<String>,
    pub btype: Option<String>,
    pub extra: bool,
    pub draft: Option<bool>,
}

/// Koji's tagged-build record.
const TAGGED_COLUMNS: &[(&str, &str)] = &[
    ("tag_id", "tag.id"),
    ("tag_name", "tag.name"),
    ("id", "build.id"),
    ("build_id", "build.id"),
    ("version", "build.version"),
    ("release", "build.release"),
    ("epoch", "build.epoch"),
    ("state", "build.state"),
    ("completion_time", "build.completion_time"),
    ("promotion_time", "build.promotion_time"),
    ("start_time", "build.start_time"),
    ("task_id", "build.task_id"),
    ("draft", "build.draft"),
    ("owner_id", "users.id"),
    ("owner_name", "users.name"),
    ("promoter_id", "promoter.id"),
    ("promoter_name", "promoter.name"),
    ("creation_event_id", "events.id"),
    ("creation_time", "events.time"),
    ("volume_id", "volume.id"),
    ("volume_name", "volume.name"),
    ("package_id", "package.id"),
    ("package_name", "package.name"),
    ("name", "package.name"),
    ("nvr", "package.name || '-' || build.version || '-' || build.release"),
    ("create_event", "tag_listing.create_event"),
];

const TAGGED_FROM: &str = "tag_listing JOIN tag ON tag.id = tag_listing.tag_id \
     JOIN build ON build.id = tag_listing.build_id JOIN events ON events.id = build.create_event \
     JOIN package ON package.id = build.pkg_id JOIN volume ON volume.id = build.volume_id \
     JOIN users ON users.id = build.owner LEFT JOIN users AS promoter ON promoter.id = build.promoter";

/// A tag and its inheritance (Koji's `readFullInheritance`): the parents in walk order.
struct Chain {
    tag_id: i32,
    event: Option<i32>,
    links: Vec<InheritanceLink>,
}

impl Chain {
    async fn read(db: &impl GenericClient, tag_id: i32, event: Option<i32>) -> KojiResult<Chain> {
        Ok(Chain { tag_id, event, links: full_inheritance(db, tag_id, event, false).await? })
    }

    /// The tags whose listings count: the tag alone, or with `inherit` the whole chain. A tag may appear more
    /// than once when inheritance reaches it by several paths, as in Koji.
    fn tags(&self, inherit: bool) -> Vec<i32> {
        let parents = self.links.iter().map(|l| l.parent_id).filter(|_| inherit);
        std::iter::once(self.tag_id).chain(parents).collect()
    }

    /// Koji's `readPackageList(inherit=True)`, which filters every listing: package id → blocked.
    async fn package_list(&self, db: &impl GenericClient) -> KojiResult<HashMap<i32, bool>> {
        let q = ListingQuery {
            tag: Some(self.tag_id),
            event: self.event,
            inherit: true,
            with_blocked: true,
            ..Default::default()
        };
        Ok(listing::read(db, &q).await?.into_iter().map(|l| (l.package_id, l.blocked)).collect())
    }
}

fn int(record: &Struct, key: &str) -> i64 {
    record.get(key).and_then(Value::as_i64).unwrap_or(0)
}

/// `tag_listing` rows in force, joined for `columns`, for any of `tags`.
fn listing_select(
    columns: &'static [(&'static str, &'static str)],
    from: &'static str,
    tags: &[i32],
    event: Option<i32>,
) -> Select {
    let mut q = Select::new(columns, from, "-create_event,-id");
    versioned::in_force(&mut q, "tag_listing", event);
    let distinct: Vec<i32> = tags.iter().copied().collect::<HashSet<_>>().into_iter().collect();
    q.filter("tag_listing.tag_id = ANY($?)", distinct);
    q
}

/// Koji's `readTaggedBuilds` for the tag `tag_id` (known to exist).
pub async fn read_tagged_builds(db: &impl GenericClient, tag_id: i32, opts: &TaggedQuery) -> KojiResult<Vec<Struct>> {
    tagged_builds(db, &Chain::read(db, tag_id, opts.event).await?, opts).await
}

async fn tagged_builds(db: &impl GenericClient, chain: &Chain, opts: &TaggedQuery) -> KojiResult<Vec<Struct>> {
    let tags = chain.tags(opts.inherit);
    let packages = chain.package_list(db).await?;
    let mut q = listing_select(TAGGED_COLUMNS, TAGGED_FROM, &tags, opts.event);
    q.filter("build.state = $?", STATE_COMPLETE);
    match opts.btype.as_deref() {
        None => {}
        Some("maven") => {
            q.join("JOIN maven_builds ON maven_builds.build_id = tag_listing.build_id").add_columns(&[
                ("maven_group_id", "maven_builds.group_id"),
                ("maven_artifact_id", "maven_builds.artifact_id"),
                ("maven_version", "maven_builds.version"),
            ]);
        }
        Some("win") => {
            q.join("JOIN win_builds ON win_builds.build_id = tag_listing.build_id")
                .add_columns(&[("platform", "win_builds.platform")]);
        }
        Some("image") => {
            q.join("JOIN image_builds ON image_builds.build_id = tag_listing.build_id");
        }
        Some(other) => {
            let btype = lookup::id_of(db, "btype", &InfoRef::Name(other.to_owned()))
                .await?
                .ok_or_else(|| KojiError::generic(format!("unsupported build type: {other}")))?;
            q.join("JOIN build_types ON build.id = build_types.build_id").filter("build_types.btype_id = $?", btype);
        }
    }
    if let Some(p) = &opts.package {
        q.filter("package.name = $?", p.clone());
    }
    if let Some(o) = &opts.owner {
        q.filter("users.name = $?", o.clone());
    }
    if let Some(d) = opts.draft {
        q.condition(if d { "build.draft IS TRUE" } else { "build.draft IS NOT TRUE" });
    }
    if opts.extra {
        q.add_columns(&[("extra", "build.extra")]);
    }
    let mut by_tag: HashMap<i64, Vec<Struct>> = HashMap::new();
    for mut row in q.structs(db).await? {
        if opts.extra {
            decode_extra_fields(&mut row);
        }
        by_tag.entry(int(&row, "tag_id")).or_default().push(row);
    }
    let mut seen: HashMap<i64, i64> = HashMap::new();
    let mut builds = vec![];
    for tag in tags {
        for build in by_tag.get(&i64::from(tag)).into_iter().flatten() {
            let pkg = int(build, "package_id");
            if packages.get(&(pkg as i32)) != Some(&false) {
                continue;
            }
            if opts.latest.0 != 0 {
                let count = seen.entry(pkg).or_default();
                if *count >= opts.latest.0 {
                    continue;
                }
                *count += 1;
            }
            builds.push(build.clone());
        }
    }
    Ok(builds)
}

/// What `readTaggedRPMS` takes beyond `readTaggedBuilds`' options.
#[derive(Debug, Default)]
pub struct RpmOptions {
    pub arch: Option<OneOrMany<String>>,
    pub rpmsigs: bool,
    pub extra: bool,
}

const TAGGED_RPM_COLUMNS: &[(&str, &str)] = &[
    ("name", "rpminfo.name"),
    ("version", "rpminfo.version"),
    ("release", "rpminfo.release"),
    ("arch", "rpminfo.arch"),
    ("id", "rpminfo.id"),
    ("epoch", "rpminfo.epoch"),
    ("draft", "rpminfo.draft"),
    ("payloadhash", "rpminfo.payloadhash"),
    ("size", "rpminfo.size"),
    ("buildtime", "rpminfo.buildtime"),
    ("buildroot_id", "rpminfo.buildroot_id"),
    ("build_id", "rpminfo.build_id"),
    ("metadata_only", "rpminfo.metadata_only"),
    ("tag_id", "tag_listing.tag_id"),
    ("create_event", "tag_listing.create_event"),
];

/// Koji's `readTaggedRPMS`: `[rpms, builds]`, the rpms of exactly the builds `readTaggedBuilds` selects.
pub async fn read_tagged_rpms(
    db: &impl GenericClient,
    tag_id: i32,
    opts: &TaggedQuery,
    rpm_opts: &RpmOptions,
) -> KojiResult<(Vec<Struct>, Vec<Struct>)> {
    let chain = Chain::read(db, tag_id, opts.event).await?;
    let builds = tagged_builds(db, &chain, &TaggedQuery { extra: false, ..opts.clone() }).await?;
    let tags = chain.tags(opts.inherit);
    let mut q = listing_select(
        TAGGED_RPM_COLUMNS,
        "rpminfo JOIN tag_listing ON rpminfo.build_id = tag_listing.build_id",
        &tags,
        opts.event,
    );
    if let Some(p) = &opts.package {
        q.join("JOIN build ON rpminfo.build_id = build.id JOIN package ON package.id = build.pkg_id")
            .filter("package.name = $?", p.clone());
    }
    if rpm_opts.rpmsigs {
        q.join("LEFT OUTER JOIN rpmsigs ON rpminfo.id = rpmsigs.rpm_id").add_columns(&[("sigkey", "rpmsigs.sigkey")]);
    }
    if let Some(a) = rpm_opts.arch.clone() {
        q.filter("rpminfo.arch = ANY($?)", a.into_vec());
    }
    if let Some(d) = opts.draft {
        q.condition(if d { "rpminfo.draft IS TRUE" } else { "rpminfo.draft IS NOT TRUE" });
    }
    if rpm_opts.extra {
        q.add_columns(&[("extra", "rpminfo.extra")]);
    }
    let build_tag: HashMap<i64, i64> = builds.iter().map(|b| (int(b, "build_id"), int(b, "tag_id"))).collect();
    let mut by_tag: HashMap<i64, Vec<Struct>> = HashMap::new();
    for mut row in q.structs(db).await? {
        let tag = row.remove("tag_id").and_then(|v| v.as_i64()).unwrap_or(0);
        row.remove("create_event");
        // Only the rpms of selected builds, from the tag the build was selected in.
        if build_tag.get(&int(&row, "build_id")) != Some(&tag) {
            continue;
        }
        if rpm_opts.extra {
            decode_extra_fields(&mut row);
        }
        by_tag.entry(tag).or_default().push(row);
    }
    let mut done = HashSet::new();
    let mut rpms = vec![];
    for tag in tags {
        if done.insert(tag) {
            rpms.extend(by_tag.remove(&i64::from(tag)).unwrap_or_default());
        }
    }
    Ok((rpms, builds))
}

/// `getLatestBuilds`' tag argument: a name is looked up in `tag` (Koji's `get_tag_id(strict=True)`), an id is
/// taken as is.
pub async fn tag_id_strict(db: &impl GenericClient, r: &InfoRef) -> KojiResult<i32> {
    match r {
        InfoRef::Id(id) => {
            i32::try_from(*id).map_err(|_| KojiError::generic(format!("No such entry in table tag: {id}")))
        }
        _ => lookup::require_id(db, "tag", r).await,
    }
}

/// Koji's `untagged_builds`: COMPLETE builds in no tag now.
pub async fn untagged_builds(
    db: &impl GenericClient,
    name: Option<String>,
    draft: Option<bool>,
    opts: &QueryOpts,
) -> KojiResult<Value> {
    let mut q = Select::new(
        &[("id", "build.id"), ("name", "package.name"), ("version", "build.version"), ("release", "build.release")],
        "build JOIN package ON package.id = build.pkg_id",
        "id",
    );
    q.condition("NOT EXISTS (SELECT 1 FROM tag_listing WHERE tag_listing.build_id = build.id AND tag_listing.active)")
        .filter("build.state = $?", STATE_COMPLETE);
    if let Some(n) = name {
        q.filter("package.name = $?", n);
    }
    if let Some(d) = draft {
        q.condition(if d { "build.draft IS TRUE" } else { "build.draft IS NOT TRUE" });
    }
    q.fetch(db, opts).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xmlrpc::from_value;

    #[test]
    fn latest_takes_bools_ints_and_nil() {
        assert_eq!(from_value::<Latest>(Value::Nil).unwrap(), Latest(0));
        assert_eq!(from_value::<Latest>(Value::Bool(true)).unwrap(), Latest(1));
        assert_eq!(from_value::<Latest>(Value::Bool(false)).unwrap(), Latest(0));
        assert_eq!(from_value::<Latest>(Value::Int(3)).unwrap(), Latest(3));
    }
}
