//! Tag inheritance: a tag's own parent links (`getInheritanceData`), changing them (`setInheritanceData`), and
//! the full walk through every ancestor (`getFullInheritance`) that package lists, tagged builds, build configs
//! and repos follow.
//!
//! The walk reproduces Koji's `readFullInheritanceRecurse` exactly, including its quirks, because clients see
//! its output (`list-tag-inheritance` draws it) and everything inherited depends on its order:
//! - depth first, each tag's parents in `priority` order; a parent already on the current path is pruned;
//! - an `intransitive` link counts only from the starting tag (in a reverse walk it is listed, not followed);
//! - `maxdepth` limits how far past a link the walk goes (`0`: the parent only) and tightens along the path;
//!   reverse walks instead drop a link whose `maxdepth` is below the current depth;
//! - `pkg_filter` regexes accumulate along the path into `filter`;
//! - a tag reached a second time is walked again only if no earlier visit was at least as permissive (deeper
//!   `nextdepth`, no `noconfig`, no filter). The `noconfig` carried along is set by any earlier sibling too, as
//!   in Koji, while each link reports its own `noconfig`.
//!
//! The links of every tag the walk can reach are read in one recursive query; the walk itself runs in memory.

use crate::db::versioned;
use crate::fault::{KojiError, KojiResult};
use crate::rpc::args::InfoRef;
use crate::xmlrpc::{Struct, Value};
use deadpool_postgres::GenericClient;
use regex::bytes::Regex;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use std::collections::{HashMap, HashSet};

/// One `tag_inheritance` row as `getInheritanceData` returns it: a link from `child_id` to `parent_id`, with the
/// parent's name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InheritanceData {
    pub parent_id: i32,
    pub name: String,
    pub priority: i32,
    pub maxdepth: Option<i32>,
    pub intransitive: bool,
    pub noconfig: bool,
    pub pkg_filter: Option<String>,
    pub child_id: i32,
}

/// One step of the full inheritance walk (`getFullInheritance`).
#[derive(Debug, Clone, PartialEq)]
pub struct InheritanceLink {
    /// The inheriting tag of the link.
    pub child_id: i32,
    pub parent_id: i32,
    /// The name of the tag this step reaches: the parent, or the child in a reverse walk.
    pub name: String,
    pub priority: i32,
    pub maxdepth: Option<i32>,
    pub intransitive: bool,
    pub noconfig: bool,
    pub pkg_filter: Option<String>,
    /// Depth of the reached tag below the starting tag (1 = a direct parent).
    pub currdepth: i32,
    /// How many more levels the walk may go past this link (None: unlimited).
    pub nextdepth: Option<i32>,
    /// Every `pkg_filter` on the path to here; a package must match all of them (Python `re.match`).
    pub filter: Vec<String>,
    reverse: bool,
}

impl InheritanceLink {
    /// The tag this step reaches: the parent, or the child in a reverse walk.
    pub fn reached(&self) -> i32 {
        if self.reverse { self.child_id } else { self.parent_id }
    }
}

/// Koji's field set: a forward walk names the inheriting tag `child_id`, a reverse walk `tag_id`.
impl Serialize for InheritanceLink {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(11))?;
        m.serialize_entry(if self.reverse { "tag_id" } else { "child_id" }, &self.child_id)?;
        m.serialize_entry("parent_id", &self.parent_id)?;
        m.serialize_entry("name", &self.name)?;
        m.serialize_entry("priority", &self.priority)?;
        m.serialize_entry("maxdepth", &self.maxdepth)?;
        m.serialize_entry("intransitive", &self.intransitive)?;
        m.serialize_entry("noconfig", &self.noconfig)?;
        m.serialize_entry("pkg_filter", &self.pkg_filter)?;
        m.serialize_entry("currdepth", &self.currdepth)?;
        m.serialize_entry("nextdepth", &self.nextdepth)?;
        m.serialize_entry("filter", &self.filter)?;
        m.end()
    }
}

/// A `pkg_filter` as Python's `re.match` applies it: anchored at the start only. ASCII classes (`\w`, `\d`)
/// match as Python's do for package names, which are ASCII.
pub fn compile_filter(pattern: &str) -> KojiResult<Regex> {
    Regex::new(&format!("(?-u)^(?:{pattern})"))
        .map_err(|e| KojiError::generic(format!("Invalid package filter {pattern:?}: {e}")))
}

/// The compiled filters of one walk, so each pattern is compiled once however many steps carry it.
#[derive(Default)]
pub struct PackageFilters {
    compiled: HashMap<String, Regex>,
}

impl PackageFilters {
    /// Whether a package arrives through `link`: its name must match every filter on the path.
    pub fn admits(&mut self, link: &InheritanceLink, package: &str) -> KojiResult<bool> {
        for pattern in &link.filter {
            if !self.compiled.contains_key(pattern) {
                self.compiled.insert(pattern.clone(), compile_filter(pattern)?);
            }
            if !self.compiled[pattern].is_match(package.as_bytes()) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// `getInheritanceData`: the tag's own parent links, by priority.
pub async fn inheritance_data(
    db: &impl GenericClient,
    tag_id: i32,
    event: Option<i32>,
) -> KojiResult<Vec<InheritanceData>> {
    let sql = format!(
        "SELECT parent_id, tag.name, priority, maxdepth, intransitive, noconfig, pkg_filter, tag_id \
         FROM tag_inheritance JOIN tag ON tag.id = tag_inheritance.parent_id \
         WHERE tag_inheritance.tag_id = $1 AND {} ORDER BY priority",
        versioned::in_force_sql("tag_inheritance", event.map(|_| "$2"))
    );
    let st = db.prepare_cached(&sql).await?;
    let rows = match event {
        None => db.query(&st, &[&tag_id]).await?,
        Some(e) => db.query(&st, &[&tag_id, &e]).await?,
    };
    Ok(rows
        .iter()
        .map(|r| InheritanceData {
            parent_id: r.get(0),
            name: r.get(1),
            priority: r.get(2),
            maxdepth: r.get(3),
            intransitive: r.get(4),
            noconfig: r.get(5),
            pkg_filter: r.get(6),
            child_id: r.get(7),
        })
        .collect())
}

/// The full, ordered inheritance of `tag_id` (its ancestors, or with `reverse` its descendants) as of `event`.
pub async fn full_inheritance(
    db: &impl GenericClient,
    tag_id: i32,
    event: Option<i32>,
    reverse: bool,
) -> KojiResult<Vec<InheritanceLink>> {
    let links = reachable_links(db, tag_id, event, reverse).await?;
    let mut walk = Walk { links, reverse, path: vec![], order: vec![], visits: HashMap::new() };
    walk.visit(tag_id, 0, None, false, &[]);
    Ok(walk.order)
}

/// Every in-force link the walk from `tag_id` can follow, grouped by the tag it leaves, in priority order.
async fn reachable_links(
    db: &impl GenericClient,
    tag_id: i32,
    event: Option<i32>,
    reverse: bool,
) -> KojiResult<HashMap<i32, Vec<InheritanceLink>>> {
    // `from` is the column of the tag a link leaves in this direction, `to` the one it reaches.
    let (from, to) = if reverse { ("parent_id", "tag_id") } else { ("tag_id", "parent_id") };
    let cond = versioned::in_force_sql("tag_inheritance", event.map(|_| "$2"));
    let sql = format!(
        "WITH RECURSIVE reach(id) AS ( \
             SELECT $1::integer \
             UNION SELECT tag_inheritance.{to} FROM tag_inheritance JOIN reach ON tag_inheritance.{from} = reach.id \
                 WHERE {cond}) \
         SELECT tag_inheritance.tag_id, tag_inheritance.parent_id, tag.name, priority, maxdepth, intransitive, \
             noconfig, pkg_filter \
         FROM tag_inheritance JOIN reach ON tag_inheritance.{from} = reach.id \
             JOIN tag ON tag.id = tag_inheritance.{to} \
         WHERE {cond} ORDER BY priority, tag_inheritance.{to}"
    );
    let st = db.prepare_cached(&sql).await?;
    let rows = match event {
        None => db.query(&st, &[&tag_id]).await?,
        Some(e) => db.query(&st, &[&tag_id, &e]).await?,
    };
    let mut links: HashMap<i32, Vec<InheritanceLink>> = HashMap::new();
    for r in &rows {
        let link = InheritanceLink {
            child_id: r.get(0),
            parent_id: r.get(1),
            name: r.get(2),
            priority: r.get(3),
            maxdepth: r.get(4),
            intransitive: r.get(5),
            noconfig: r.get(6),
            pkg_filter: r.get(7),
            currdepth: 0,
            nextdepth: None,
            filter: vec![],
            reverse,
        };
        let leaves = if reverse { link.parent_id } else { link.child_id };
        links.entry(leaves).or_default().push(link);
    }
    Ok(links)
}

/// An earlier arrival at a tag, as far as deciding whether a later one must walk on from it again.
struct Visit {
    nextdepth: Option<i32>,
    noconfig: bool,
    filtered: bool,
}

struct Walk {
    links: HashMap<i32, Vec<InheritanceLink>>,
    reverse: bool,
    /// The tags on the path from the start to the tag being walked (loops are pruned against it).
    path: Vec<i32>,
    order: Vec<InheritanceLink>,
    visits: HashMap<i32, Vec<Visit>>,
}

impl Walk {
    fn visit(&mut self, tag: i32, depth: i32, maxdepth: Option<i32>, mut noconfig: bool, filter: &[String]) {
        if maxdepth.is_some_and(|m| m < 1) {
            return;
        }
        let currdepth = depth + 1;
        self.path.push(tag);
        for mut link in self.links.get(&tag).cloned().unwrap_or_default() {
            let next = link.reached();
            if self.path.contains(&next) {
                // A loop (only possible in data written before cycles were refused): pruned, as Koji does.
                continue;
            }
            if link.intransitive && self.path.len() > 1 && !self.reverse {
                continue;
            }
            let nextdepth = if self.reverse {
                if link.maxdepth.is_some_and(|m| m < currdepth - 1) {
                    continue;
                }
                None
            } else {
                match (link.maxdepth, maxdepth) {
                    (None, None) => None,
                    (None, Some(m)) => Some(m - 1),
                    (Some(l), None) => Some(l),
                    (Some(l), Some(m)) => Some(l.min(m) - 1),
                }
            };
            link.nextdepth = nextdepth;
            link.currdepth = currdepth;
            noconfig |= link.noconfig;
            link.filter = filter.to_vec();
            if let Some(p) = link.pkg_filter.as_ref().filter(|p| !p.is_empty()) {
                link.filter.push(p.clone());
            }
            let earlier = self.visits.entry(next).or_default();
            let covered = earlier.iter().any(|v| {
                let deep_enough = match (nextdepth, v.nextdepth) {
                    (_, None) => true,
                    (None, Some(_)) => false,
                    (Some(n), Some(last)) => last >= n,
                };
                // An earlier visit with noconfig, or with filters, was more restricted than this one.
                deep_enough && (noconfig || !v.noconfig) && !v.filtered
            });
            if covered {
                continue;
            }
            earlier.push(Visit { nextdepth, noconfig: link.noconfig, filtered: !link.filter.is_empty() });
            let (follow, child_filter) = (!(link.intransitive && self.reverse), link.filter.clone());
            self.order.push(link);
            if follow {
                self.visit(next, currdepth, nextdepth, noconfig, &child_filter);
            }
        }
        self.path.pop();
    }
}

/// The settings of one parent link, as `setInheritanceData` takes them.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkSettings {
    pub priority: i32,
    pub maxdepth: Option<i32>,
    pub intransitive: bool,
    pub noconfig: bool,
    pub pkg_filter: Option<String>,
}

/// One entry of `setInheritanceData`'s data: set the link to `parent_id`, or remove it (`settings` None: the
/// entry had `'delete link': True`).
#[derive(Debug, Clone, PartialEq)]
pub struct LinkChange {
    pub parent_id: i32,
    pub settings: Option<LinkSettings>,
}

const LINK_FIELDS: [&str; 6] = ["parent_id", "priority", "maxdepth", "intransitive", "noconfig", "pkg_filter"];

impl LinkChange {
    /// Reads one entry as Koji does: every field must be present (a `None` counts), only `parent_id` for a
    /// deletion; other members (the `name` and `child_id` that `getInheritanceData` returned) are ignored.
    pub fn from_struct(s: &Struct) -> KojiResult<LinkChange> {
        let delete = s.get("delete link").is_some_and(Value::truthy);
        let required = if delete { &LINK_FIELDS[..1] } else { &LINK_FIELDS[..] };
        if let Some(missing) = required.iter().find(|f| !s.contains_key(**f)) {
            return Err(KojiError::generic(format!("No value for {missing}")));
        }
        let parent_id = int_field(s, "parent_id")?.ok_or_else(|| KojiError::param("parent_id must not be None"))?;
        if delete {
            return Ok(LinkChange { parent_id, settings: None });
        }
        let settings = LinkSettings {
            priority: int_field(s, "priority")?.ok_or_else(|| KojiError::param("priority must not be None"))?,
            maxdepth: int_field(s, "maxdepth")?,
            intransitive: s["intransitive"].truthy(),
            noconfig: s["noconfig"].truthy(),
            pkg_filter: match &s["pkg_filter"] {
                Value::Nil => None,
                Value::String(p) => {
                    // Refused now rather than breaking every listing that inherits through the link.
                    compile_filter(p)?;
                    Some(p.clone())
                }
                other => return Err(KojiError::param(format!("Invalid pkg_filter: {other:?}"))),
            },
        };
        Ok(LinkChange { parent_id, settings: Some(settings) })
    }
}

/// An integer field that clients may send as a number or as its text (the CLI passes `--priority` unparsed).
fn int_field(s: &Struct, name: &str) -> KojiResult<Option<i32>> {
    let invalid = || KojiError::param(format!("Invalid {name} value: {:?}", s[name]));
    match &s[name] {
        Value::Nil => Ok(None),
        Value::Int(i) => i32::try_from(*i).map(Some).map_err(|_| invalid()),
        Value::String(t) => t.trim().parse().map(Some).map_err(|_| invalid()),
        _ => Err(invalid()),
    }
}

/// What `setInheritanceData` will write: the parents whose current link is revoked, and the links inserted.
#[derive(Debug, Default)]
pub struct InheritancePlan {
    revoke: Vec<i32>,
    insert: Vec<(i32, LinkSettings)>,
}

/// Works out the change Koji's `_writeInheritanceData` makes, refusing (before anything is written) a missing
/// parent, two parents at one priority, and any link that would make the inheritance cyclic. None: the data
/// changes nothing.
pub async fn plan_changes(
    db: &impl GenericClient,
    tag_id: i32,
    changes: &[LinkChange],
    clear: bool,
) -> KojiResult<Option<InheritancePlan>> {
    let parents: Vec<i32> = changes.iter().map(|c| c.parent_id).collect();
    let st = db.prepare_cached("SELECT tag_id FROM tag_config WHERE active = TRUE AND tag_id = ANY($1)").await?;
    let live: HashSet<i32> = db.query(&st, &[&parents]).await?.iter().map(|r| r.get(0)).collect();
    if let Some(missing) = parents.iter().find(|p| !live.contains(p)) {
        return Err(crate::db::tags::no_such_tag(&InfoRef::Id((*missing).into())));
    }

    /// A link in the new data: its settings (None: deleted) and whether this call changes it.
    struct Entry {
        settings: Option<LinkSettings>,
        updated: bool,
    }
    let mut data: Vec<(i32, Entry)> = inheritance_data(db, tag_id, None)
        .await?
        .into_iter()
        .map(|l| {
            let settings = LinkSettings {
                priority: l.priority,
                maxdepth: l.maxdepth,
                intransitive: l.intransitive,
                noconfig: l.noconfig,
                pkg_filter: l.pkg_filter,
            };
            (l.parent_id, Entry { settings: Some(settings), updated: false })
        })
        .collect();
    for change in changes {
        let pos = data.iter().position(|(p, _)| *p == change.parent_id);
        let replace = match (&change.settings, pos) {
            (None, None) => false,
            (None, Some(_)) | (Some(_), None) => true,
            (Some(new), Some(i)) => clear || data[i].1.settings.as_ref() != Some(new),
        };
        if !replace {
            continue;
        }
        let entry = Entry { settings: change.settings.clone(), updated: true };
        match pos {
            Some(i) => data[i].1 = entry,
            None => data.push((change.parent_id, entry)),
        }
    }
    if clear {
        for (_, e) in data.iter_mut().filter(|(_, e)| !e.updated) {
            *e = Entry { settings: None, updated: true };
        }
    }
    if !data.iter().any(|(_, e)| e.updated) {
        return Ok(None);
    }

    let mut by_priority: Vec<(i32, Vec<i32>)> = vec![];
    for (parent, s) in data.iter().filter_map(|(p, e)| e.settings.as_ref().map(|s| (*p, s))) {
        match by_priority.iter_mut().find(|(pri, _)| *pri == s.priority) {
            Some((_, ids)) => ids.push(parent),
            None => by_priority.push((s.priority, vec![parent])),
        }
    }
    if let Some((pri, ids)) = by_priority.iter().find(|(_, ids)| ids.len() > 1) {
        let ids: Vec<String> = ids.iter().map(i32::to_string).collect();
        return Err(KojiError::generic(format!(
            "Multiple parent tags ([{}]) cannot have the same priority value ({pri}) on child tag {tag_id}",
            ids.join(", ")
        )));
    }

    let mut plan = InheritancePlan::default();
    for (parent, entry) in data.into_iter().filter(|(_, e)| e.updated) {
        plan.revoke.push(parent);
        if let Some(s) = entry.settings {
            plan.insert.push((parent, s));
        }
    }
    let new_parents: Vec<i32> = plan.insert.iter().map(|(p, _)| *p).collect();
    refuse_cycles(db, tag_id, &new_parents).await?;
    Ok(Some(plan))
}

/// A new parent that is the tag itself or one of its descendants would close a loop.
async fn refuse_cycles(db: &impl GenericClient, tag_id: i32, new_parents: &[i32]) -> KojiResult<()> {
    let st = db
        .prepare_cached(
            "WITH RECURSIVE down(id) AS ( \
                 SELECT $1::integer \
                 UNION SELECT tag_inheritance.tag_id FROM tag_inheritance JOIN down \
                     ON tag_inheritance.parent_id = down.id WHERE tag_inheritance.active = TRUE) \
             SELECT child.name, parent.name FROM down JOIN tag AS parent ON parent.id = down.id \
                 JOIN tag AS child ON child.id = $1 \
             WHERE down.id = ANY($2) ORDER BY array_position($2, down.id) LIMIT 1",
        )
        .await?;
    let Some(row) = db.query_opt(&st, &[&tag_id, &new_parents]).await? else { return Ok(()) };
    let (child, parent): (String, String) = (row.get(0), row.get(1));
    Err(KojiError::generic(if child == parent {
        format!("Inheritance loop: tag {child} cannot inherit from itself")
    } else {
        format!("Inheritance loop: tag {child} cannot inherit from {parent}, which inherits from {child}")
    }))
}

/// Writes a plan under the transaction's event: every changed link is revoked first, so parents may swap
/// priorities within one call.
pub async fn apply(
    db: &impl GenericClient,
    tag_id: i32,
    plan: &InheritancePlan,
    event: i32,
    user: i32,
) -> KojiResult<()> {
    for parent in &plan.revoke {
        versioned::revoke(db, "tag_inheritance", &[("tag_id", &tag_id), ("parent_id", parent)], event, user).await?;
    }
    for (parent, s) in &plan.insert {
        versioned::insert(
            db,
            "tag_inheritance",
            &[
                ("tag_id", &tag_id),
                ("parent_id", parent),
                ("priority", &s.priority),
                ("maxdepth", &s.maxdepth),
                ("intransitive", &s.intransitive),
                ("noconfig", &s.noconfig),
                ("pkg_filter", &s.pkg_filter),
            ],
            event,
            user,
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(child, parent, priority, maxdepth, intransitive, noconfig, pkg_filter)`.
    type Row<'a> = (i32, i32, i32, Option<i32>, bool, bool, &'a str);

    /// Walks forward from `start` over `rows`; gives `(parent, currdepth, nextdepth, filter)` per step.
    fn walk(start: i32, rows: &[Row]) -> Vec<(i32, i32, Option<i32>, Vec<String>)> {
        let mut links: HashMap<i32, Vec<InheritanceLink>> = HashMap::new();
        let mut sorted = rows.to_vec();
        sorted.sort_by_key(|r| (r.2, r.1));
        for &(child, parent, priority, maxdepth, intransitive, noconfig, filter) in &sorted {
            links.entry(child).or_default().push(InheritanceLink {
                child_id: child,
                parent_id: parent,
                name: format!("t{parent}"),
                priority,
                maxdepth,
                intransitive,
                noconfig,
                pkg_filter: Some(filter.to_owned()),
                currdepth: 0,
                nextdepth: None,
                filter: vec![],
                reverse: false,
            });
        }
        let mut w = Walk { links, reverse: false, path: vec![], order: vec![], visits: HashMap::new() };
        w.visit(start, 0, None, false, &[]);
        w.order.into_iter().map(|l| (l.parent_id, l.currdepth, l.nextdepth, l.filter)).collect()
    }

    #[test]
    fn depth_first_by_priority_with_loops_pruned() {
        // 1 -> 2 (10), 1 -> 3 (20); 2 -> 4; 4 -> 1 (loop back to the start).
        let order = walk(
            1,
            &[
                (1, 2, 10, None, false, false, ""),
                (1, 3, 20, None, false, false, ""),
                (2, 4, 0, None, false, false, ""),
                (4, 1, 0, None, false, false, ""),
            ],
        );
        let tags: Vec<(i32, i32)> = order.iter().map(|o| (o.0, o.1)).collect();
        assert_eq!(tags, vec![(2, 1), (4, 2), (3, 1)]);
    }

    #[test]
    fn maxdepth_intransitive_and_filters() {
        // 1 -> 2 maxdepth 0; 2 -> 5 (cut off). 1 -> 3 filter ^a; 3 -> 4 intransitive (skipped below the root);
        // 3 -> 6 filter b.
        let order = walk(
            1,
            &[
                (1, 2, 0, Some(0), false, false, ""),
                (2, 5, 0, None, false, false, ""),
                (1, 3, 1, None, false, false, "^a"),
                (3, 4, 0, None, true, false, ""),
                (3, 6, 1, None, false, false, "b"),
            ],
        );
        assert_eq!(
            order,
            vec![
                (2, 1, Some(0), vec![]),
                (3, 1, None, vec!["^a".to_string()]),
                (6, 2, None, vec!["^a".to_string(), "b".to_string()]),
            ]
        );
    }

    #[test]
    fn a_tag_reached_again_is_rewalked_only_when_less_restricted() {
        // 1 -> 2 (maxdepth 1) -> 3 -> 4; 1 -> 3 (no limit): 3 is reached again with more depth, so walked again.
        let order = walk(
            1,
            &[
                (1, 2, 0, Some(1), false, false, ""),
                (2, 3, 0, None, false, false, ""),
                (3, 4, 0, None, false, false, ""),
                (1, 3, 5, None, false, false, ""),
            ],
        );
        let tags: Vec<(i32, i32, Option<i32>)> = order.iter().map(|o| (o.0, o.1, o.2)).collect();
        assert_eq!(tags, vec![(2, 1, Some(1)), (3, 2, Some(0)), (3, 1, None), (4, 2, None)]);
        // The other way round the second arrival adds nothing.
        let order = walk(
            1,
            &[
                (1, 3, 0, None, false, false, ""),
                (3, 4, 0, None, false, false, ""),
                (1, 2, 5, None, false, false, ""),
                (2, 3, 0, None, false, false, ""),
            ],
        );
        let tags: Vec<i32> = order.iter().map(|o| o.0).collect();
        assert_eq!(tags, vec![3, 4, 2]);
    }

    #[test]
    fn filters_match_like_python_re_match() {
        let f = compile_filter("kernel|glibc").unwrap();
        assert!(f.is_match(b"kernel-tools") && f.is_match(b"glibc"));
        assert!(!f.is_match(b"xkernel"));
        let f = compile_filter(r"\w+-devel$").unwrap();
        assert!(f.is_match(b"foo-devel") && !f.is_match(b"foo-devel-x"));
        assert!(compile_filter("(").is_err());
    }

    #[test]
    fn link_changes_read_like_koji() {
        let s: Struct = [
            ("parent_id".to_string(), Value::Int(4)),
            ("priority".to_string(), Value::from("10")),
            ("maxdepth".to_string(), Value::Nil),
            ("intransitive".to_string(), Value::Bool(false)),
            ("noconfig".to_string(), Value::Nil),
            ("pkg_filter".to_string(), Value::from("")),
            ("name".to_string(), Value::from("ignored")),
        ]
        .into();
        let c = LinkChange::from_struct(&s).unwrap();
        assert_eq!(c.settings.unwrap().priority, 10);
        let mut bad = s.clone();
        bad.insert("pkg_filter".into(), Value::from("(unclosed"));
        assert!(LinkChange::from_struct(&bad).is_err());
        let mut partial = s.clone();
        partial.remove("maxdepth");
        assert_eq!(LinkChange::from_struct(&partial).unwrap_err(), KojiError::generic("No value for maxdepth"));
        let delete: Struct =
            [("parent_id".to_string(), Value::Int(4)), ("delete link".to_string(), Value::Bool(true))].into();
        assert_eq!(LinkChange::from_struct(&delete).unwrap(), LinkChange { parent_id: 4, settings: None });
    }
}
