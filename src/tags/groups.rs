//! Comps groups as a tag sees them through its inheritance (`getTagGroups`, Koji's `readTagGroups`): the first
//! definition of a group along the walk wins, and within a group the first entry of each package or required
//! group; blocked entries hide inherited ones and are then dropped unless asked for.

use super::inheritance;
use crate::db::{self, versioned::in_force_sql};
use crate::fault::KojiResult;
use crate::lookup;
use crate::rpc::args::InfoRef;
use crate::xmlrpc::{Struct, Value};
use deadpool_postgres::GenericClient;
use std::collections::HashMap;

/// What `getTagGroups` includes besides the groups themselves.
pub struct GroupOptions {
    pub inherit: bool,
    pub packages: bool,
    pub requirements: bool,
    pub blocked: bool,
}

/// Rows of `table` (with `columns`) for the tags in `tags`, in the tags' walk order.
async fn rows_for(
    db: &impl GenericClient,
    select: &str,
    table: &str,
    tags: &[i32],
    event: Option<i32>,
) -> KojiResult<Vec<Struct>> {
    let sql = format!("{select} WHERE {table}.tag_id = ANY($1) AND {}", in_force_sql(table, event.map(|_| "$2")));
    let tag_ids = tags.to_vec();
    let mut rows = match event {
        None => db::query_structs(db, &sql, &[&tag_ids]).await?,
        Some(e) => db::query_structs(db, &sql, &[&tag_ids, &e]).await?,
    };
    let position: HashMap<i64, usize> = tags.iter().enumerate().rev().map(|(i, t)| (i64::from(*t), i)).collect();
    rows.sort_by_key(|r| r.get("tag_id").and_then(Value::as_i64).and_then(|t| position.get(&t).copied()));
    Ok(rows)
}

fn int(row: &Struct, key: &str) -> i64 {
    row.get(key).and_then(Value::as_i64).unwrap_or_default()
}

fn blocked(row: &Struct) -> bool {
    row.get("blocked").is_some_and(Value::truthy)
}

/// `getTagGroups(tag, event, inherit, incl_pkgs, incl_reqs, incl_blocked)`.
pub async fn tag_groups(
    db: &impl GenericClient,
    tag: &InfoRef,
    event: Option<i32>,
    opts: GroupOptions,
) -> KojiResult<Vec<Struct>> {
    let tag_id = lookup::named_strict(db, "tag", tag).await?.id;
    let mut tags = vec![tag_id];
    if opts.inherit {
        tags.extend(inheritance::full_inheritance(db, tag_id, event, false).await?.iter().map(|l| l.parent_id));
    }
    let mut groups: Vec<Struct> = vec![];
    let mut index: HashMap<i64, usize> = HashMap::new();
    let configs = rows_for(
        db,
        "SELECT groups.name, group_id, tag_id, blocked, exported, display_name, is_default, uservisible, \
             description, langonly, biarchonly FROM group_config JOIN groups ON groups.id = group_config.group_id",
        "group_config",
        &tags,
        event,
    )
    .await?;
    for g in configs {
        index.entry(int(&g, "group_id")).or_insert_with(|| {
            groups.push(g);
            groups.len() - 1
        });
    }
    let live = |id: i64| index.get(&id).copied().filter(|i| !blocked(&groups[*i]));

    let mut members: Vec<Vec<Struct>> = vec![vec![]; groups.len()];
    if opts.packages {
        let rows = rows_for(
            db,
            "SELECT group_id, tag_id, package, blocked, type, basearchonly, requires FROM group_package_listing",
            "group_package_listing",
            &tags,
            event,
        )
        .await?;
        for p in rows {
            if let Some(i) = live(int(&p, "group_id"))
                && !members[i].iter().any(|m| m.get("package") == p.get("package"))
            {
                members[i].push(p);
            }
        }
    }
    let mut requires: Vec<Vec<Struct>> = vec![vec![]; groups.len()];
    if opts.requirements {
        let rows = rows_for(
            db,
            "SELECT group_id, tag_id, req_id, blocked, type, is_metapkg, groups.name \
             FROM group_req_listing JOIN groups ON groups.id = group_req_listing.req_id",
            "group_req_listing",
            &tags,
            event,
        )
        .await?;
        for r in rows {
            if let (Some(i), Some(_)) = (live(int(&r, "group_id")), live(int(&r, "req_id")))
                && !requires[i].iter().any(|m| m.get("req_id") == r.get("req_id"))
            {
                requires[i].push(r);
            }
        }
    }
    let keep = |rows: Vec<Struct>| -> Value {
        Value::Array(rows.into_iter().filter(|r| opts.blocked || !blocked(r)).map(Value::Struct).collect())
    };
    let mut out = vec![];
    for ((mut g, pkgs), reqs) in groups.into_iter().zip(members).zip(requires) {
        if opts.packages {
            g.insert("packagelist".into(), keep(pkgs));
        }
        if opts.requirements {
            g.insert("grouplist".into(), keep(reqs));
        }
        if opts.blocked || !blocked(&g) {
            out.push(g);
        }
    }
    Ok(out)
}
