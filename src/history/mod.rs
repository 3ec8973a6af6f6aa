//! `queryHistory`: the rows of Koji's versioned tables with their creating and revoking events, as Koji's
//! `query_history` returns them. Each table is described once in [`tables`]; one builder turns a spec and the
//! call's keywords into that table's query.
//!
//! Keywords that name something (`tag`, `host`, `user`, ...) apply to the tables whose spec has a filter for
//! them; a table lacking one of the given keywords is left out of the answer, as in Koji. Unknown keywords are
//! ignored (the CLI sends some, e.g. `utc`, and `untag-build` sends `pkg`).

mod tables;

use crate::db::query::{QueryOpts, Select, TimeArg};
use crate::fault::{KojiError, KojiResult};
use crate::rpc::CallCtx;
use crate::rpc::args::InfoRef;
use crate::xmlrpc::{self, Struct, Value};
use crate::{builds, lookup, users};
use deadpool_postgres::GenericClient;
use std::collections::BTreeMap;
use tables::{Key, Operand, TABLES, Table};

/// The versioning fields of every table, with who and when (`{t}` = the table).
const COMMON_COLUMNS: &[(&str, &str)] = &[
    ("active", "{t}.active"),
    ("create_event", "{t}.create_event"),
    ("revoke_event", "{t}.revoke_event"),
    ("creator_id", "{t}.creator_id"),
    ("revoker_id", "{t}.revoker_id"),
    ("creator_name", "creator.name"),
    ("revoker_name", "revoker.name"),
    ("create_ts", "date_part('epoch', ev1.time)"),
    ("revoke_ts", "date_part('epoch', ev2.time)"),
];

const COMMON_JOINS: &str = "JOIN events AS ev1 ON ev1.id = {t}.create_event \
     LEFT JOIN events AS ev2 ON ev2.id = {t}.revoke_event \
     JOIN users AS creator ON creator.id = {t}.creator_id \
     LEFT JOIN users AS revoker ON revoker.id = {t}.revoker_id";

/// The keywords of one `queryHistory` call that apply to every table.
#[derive(Default)]
struct Versioning {
    active: Option<bool>,
    editor: Option<i32>,
    after: Option<TimeArg>,
    before: Option<TimeArg>,
    after_event: Option<i32>,
    before_event: Option<i32>,
}

fn keyword<T: serde::de::DeserializeOwned>(kwargs: &Struct, name: &str) -> KojiResult<Option<T>> {
    match kwargs.get(name) {
        None | Some(Value::Nil) => Ok(None),
        Some(v) => xmlrpc::from_value(v.clone())
            .map(Some)
            .map_err(|e| KojiError::param(format!("queryHistory(): {name}: {e}"))),
    }
}

/// `queryHistory(tables=None, **kwargs)`: `{table: [row, ...]}` for each table the keywords apply to.
pub async fn query_history(ctx: &CallCtx, tables: Option<Vec<String>>, kwargs: Struct) -> KojiResult<Struct> {
    let tables: Vec<&Table> = match tables {
        None => TABLES.iter().collect(),
        Some(names) => names
            .iter()
            .map(|n| tables::table(n).ok_or_else(|| KojiError::generic(format!("No such history table: {n}"))))
            .collect::<KojiResult<_>>()?,
    };
    let opts: QueryOpts = keyword(&kwargs, "queryOpts")?.unwrap_or_default();
    let db = ctx.db().await?;
    let given: Vec<(Key, &Value)> =
        Key::ALL.into_iter().filter_map(|k| kwargs.get(k.name()).filter(|v| !v.is_nil()).map(|v| (k, v))).collect();
    // A named object is looked up once, and only when some requested table can be filtered by it.
    let mut ids: BTreeMap<Key, Option<i32>> = BTreeMap::new();
    for (key, value) in &given {
        if tables.iter().any(|t| t.filter(*key).is_some_and(|f| f.operand == Operand::Id)) {
            ids.insert(*key, resolve(&db, *key, value).await?);
        }
    }
    let versioning = Versioning {
        active: kwargs.get("active").filter(|v| !v.is_nil()).map(Value::truthy),
        editor: match keyword::<InfoRef>(&kwargs, "editor")? {
            Some(u) => Some(users::resolve_strict(&db, &u).await?.id),
            None => None,
        },
        after: keyword(&kwargs, "after")?,
        before: keyword(&kwargs, "before")?,
        after_event: keyword(&kwargs, "afterEvent")?,
        before_event: keyword(&kwargs, "beforeEvent")?,
    };
    let mut out = Struct::new();
    for table in tables {
        let Some(q) = table_query(table, &given, &ids, &versioning) else { continue };
        out.insert(table.name.to_owned(), q.fetch(&db, &opts).await?);
    }
    Ok(out)
}

/// The query for one table, or None when a given keyword does not apply to it.
fn table_query(
    table: &Table,
    given: &[(Key, &Value)],
    ids: &BTreeMap<Key, Option<i32>>,
    v: &Versioning,
) -> Option<Select> {
    let t = table.name;
    let mut q = Select::new(&[], t, "create_event");
    q.join(&COMMON_JOINS.replace("{t}", t));
    for (alias, expr) in COMMON_COLUMNS {
        q.column(*alias, expr.replace("{t}", t));
    }
    for column in table.columns {
        q.column(*column, format!("{t}.{column}"));
    }
    for join in table.joins {
        q.join(&join.sql.replace("{t}", t));
        for (alias, expr) in join.fields {
            q.column(*alias, *expr);
        }
    }
    for (key, value) in given {
        let filter = table.filter(*key)?;
        match filter.operand {
            Operand::Id => q.filter(filter.condition, ids.get(key).copied().flatten()),
            Operand::Text => q.filter(filter.condition, python_str(value)),
        };
    }
    match v.active {
        Some(true) => q.condition(&format!("{t}.active = TRUE")),
        Some(false) => q.condition(&format!("{t}.active IS NULL")),
        None => &mut q,
    };
    if let Some(editor) = v.editor {
        let p = q.bind(editor);
        created_or_revoked(&mut q, "by", format!("creator.id = {p}"), format!("revoker.id = {p}"));
    }
    for (suffix, op, time) in [("after", ">", &v.after), ("before", "<", &v.before)] {
        if let Some(time) = time {
            let at = match time.clone() {
                TimeArg::Epoch(secs) => format!("to_timestamp({})", q.bind(secs)),
                TimeArg::Text(text) => format!("{}::text::timestamptz", q.bind(text)),
            };
            created_or_revoked(&mut q, suffix, format!("ev1.time {op} {at}"), format!("ev2.time {op} {at}"));
        }
    }
    for (suffix, op, event) in [("after_event", ">", v.after_event), ("before_event", "<", v.before_event)] {
        if let Some(event) = event {
            let p = q.bind(event);
            created_or_revoked(
                &mut q,
                suffix,
                format!("{t}.create_event {op} {p}"),
                format!("{t}.revoke_event {op} {p}"),
            );
        }
    }
    Some(q)
}

/// A condition on either end of a row's life. Like Koji, the two halves are also returned as `_created_<x>` and
/// `_revoked_<x>`, so the client can tell which end matched.
fn created_or_revoked(q: &mut Select, suffix: &str, created: String, revoked: String) {
    q.condition(&format!("{created} OR {revoked}"));
    q.column(format!("_created_{suffix}"), created);
    q.column(format!("_revoked_{suffix}"), revoked);
}

/// The id a table-specific keyword names. Host and channel are looked up leniently, as Koji does: an unknown
/// one matches nothing.
async fn resolve(db: &impl GenericClient, key: Key, value: &Value) -> KojiResult<Option<i32>> {
    let r: InfoRef = xmlrpc::from_value(value.clone())
        .map_err(|e| KojiError::param(format!("queryHistory(): {}: {e}", key.name())))?;
    let table = match key {
        Key::Host => return lookup::id_of(db, "host", &r).await,
        Key::Channel => return lookup::id_of(db, "channels", &r).await,
        Key::User => return Ok(Some(users::resolve_strict(db, &r).await?.id)),
        Key::Build => return Ok(Some(builds::require_id(db, &r).await?)),
        Key::Tag => "tag",
        Key::Package => "package",
        Key::Permission => "permissions",
        Key::Cg => "content_generator",
        Key::ExternalRepo => "external_repo",
        Key::BuildTarget => "build_target",
        Key::Group => "groups",
        Key::Xkey => return Err(KojiError::Internal("xkey is compared as text".into())),
    };
    Ok(Some(lookup::require_id(db, table, &r).await?))
}

/// Python's `str(value)`, for keywords Koji compares as text (`xkey`, a group package name).
fn python_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Double(d) => format!("{d:?}"),
        Value::Bool(b) => if *b { "True" } else { "False" }.to_owned(),
        other => format!("{other:?}"),
    }
}
