//! Koji's `lookup_name` / `get_*_id` lookups: a row of a table with `id` and unique `name` columns (tag,
//! package, permissions, build_target, channels, ...), given either; and the build lookup by id or N-V-R.

use crate::db::query::Select;
use crate::fault::{KojiError, KojiResult};
use crate::rpc::args::InfoRef;
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};

/// `{id, name}`, as Koji's `lookup_name` returns it (`getPackage`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Named {
    pub id: i32,
    pub name: String,
}

/// `table` is a fixed name from the code, never client input.
pub async fn named(db: &impl GenericClient, table: &'static str, r: &InfoRef) -> KojiResult<Option<Named>> {
    let row = match r {
        InfoRef::Id(id) | InfoRef::Map { id: Some(id), .. } => match i32::try_from(*id) {
            Ok(id) => {
                let st = db.prepare_cached(&format!("SELECT id, name FROM {table} WHERE id = $1")).await?;
                db.query_opt(&st, &[&id]).await?
            }
            Err(_) => None,
        },
        InfoRef::Name(n) | InfoRef::Map { name: Some(n), .. } => {
            let st = db.prepare_cached(&format!("SELECT id, name FROM {table} WHERE name = $1")).await?;
            db.query_opt(&st, &[n]).await?
        }
        InfoRef::Map { .. } => return Err(KojiError::param(format!("Invalid name or id value: {r}"))),
    };
    Ok(row.map(|r| Named { id: r.get(0), name: r.get(1) }))
}

pub async fn id_of(db: &impl GenericClient, table: &'static str, r: &InfoRef) -> KojiResult<Option<i32>> {
    Ok(named(db, table, r).await?.map(|n| n.id))
}

/// Koji's `lookup_name(..., strict=True)`, with its message.
pub async fn named_strict(db: &impl GenericClient, table: &'static str, r: &InfoRef) -> KojiResult<Named> {
    named(db, table, r)
        .await?
        .ok_or_else(|| KojiError::generic(format!("No such entry in table {table}: {}", r.plain())))
}

/// Koji's `lookup_name(..., create=True)`: a name not yet in the table gets a row (a deleted tag or target keeps
/// its row, so re-creating one by name reuses its id).
pub async fn named_or_create(db: &impl GenericClient, table: &'static str, r: &InfoRef) -> KojiResult<Named> {
    if let Some(found) = named(db, table, r).await? {
        return Ok(found);
    }
    let InfoRef::Name(name) = r else { return Err(KojiError::generic("Name must be a string")) };
    let st = db.prepare_cached(&format!("INSERT INTO {table} (name) VALUES ($1) RETURNING id")).await?;
    Ok(Named { id: db.query_one(&st, &[name]).await?.get(0), name: name.clone() })
}

/// Renames a row of a name table (tags and targets; not versioned, as in Koji).
pub async fn rename(db: &impl GenericClient, table: &'static str, id: i32, name: &str) -> KojiResult<()> {
    let st = db.prepare_cached(&format!("UPDATE {table} SET name = $2 WHERE id = $1")).await?;
    db.execute(&st, &[&id, &name]).await?;
    Ok(())
}

/// A build as Koji's `get_build` takes it: an id, an `N-V-R` string, or a struct with an id or N, V and R.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum BuildRef {
    Id(i64),
    Nvr(String),
    Map { id: Option<i64>, name: Option<String>, version: Option<String>, release: Option<String> },
}

impl BuildRef {
    /// Python's `repr` of the argument, as Koji's `No such build: %r` shows it.
    pub fn repr(&self) -> String {
        match self {
            BuildRef::Nvr(s) => format!("'{s}'"),
            BuildRef::Map { id: None, name, version, release } => {
                let fields: Vec<String> = [("name", name), ("version", version), ("release", release)]
                    .into_iter()
                    .filter_map(|(k, v)| v.as_ref().map(|v| format!("'{k}': '{v}'")))
                    .collect();
                format!("{{{}}}", fields.join(", "))
            }
            other => other.to_string(),
        }
    }
}

impl std::fmt::Display for BuildRef {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            BuildRef::Id(i) => write!(f, "{i}"),
            BuildRef::Nvr(s) => f.write_str(s),
            BuildRef::Map { id: Some(i), .. } => write!(f, "{{'id': {i}}}"),
            BuildRef::Map { name, version, release, .. } => {
                write!(
                    f,
                    "{}-{}-{}",
                    name.as_deref().unwrap_or(""),
                    version.as_deref().unwrap_or(""),
                    release.as_deref().unwrap_or("")
                )
            }
        }
    }
}

/// `N-V-R` (optionally `E:N-V-R`) split as Koji's `parse_NVR`: the last two dashes separate the fields.
pub fn parse_nvr(nvr: &str) -> KojiResult<(String, String, String)> {
    let invalid = || KojiError::generic(format!("invalid format: {nvr}"));
    let p2 = nvr.rfind('-').filter(|p| *p + 1 < nvr.len()).ok_or_else(invalid)?;
    let p1 = nvr[..p2].rfind('-').filter(|p| *p + 1 < p2).ok_or_else(invalid)?;
    let name = &nvr[..p1];
    let name = name.split_once(':').map_or(name, |(_, n)| n);
    Ok((name.to_owned(), nvr[p1 + 1..p2].to_owned(), nvr[p2 + 1..].to_owned()))
}

/// Koji's `find_build_id`: the build's id, or None.
pub async fn build_id(db: &impl GenericClient, r: &BuildRef) -> KojiResult<Option<i32>> {
    let (name, version, release) = match r {
        BuildRef::Id(id) | BuildRef::Map { id: Some(id), .. } => {
            let Ok(id) = i32::try_from(*id) else { return Ok(None) };
            let st = db.prepare_cached("SELECT id FROM build WHERE id = $1").await?;
            return Ok(db.query_opt(&st, &[&id]).await?.map(|r| r.get(0)));
        }
        BuildRef::Nvr(nvr) => parse_nvr(nvr)?,
        BuildRef::Map { name: Some(n), version: Some(v), release: Some(rel), .. } => {
            (n.clone(), v.clone(), rel.clone())
        }
        BuildRef::Map { .. } => return Err(KojiError::generic("did not provide name, version, and release")),
    };
    let st = db
        .prepare_cached(
            "SELECT build.id FROM build JOIN package ON package.id = build.pkg_id \
             WHERE package.name = $1 AND build.version = $2 AND build.release = $3",
        )
        .await?;
    Ok(db.query_opt(&st, &[&name, &version, &release]).await?.map(|r| r.get(0)))
}

/// Koji's `get_id(table, info, strict=True)`: the id, or Koji's "No such entry" fault.
pub async fn require_id(db: &impl GenericClient, table: &'static str, r: &InfoRef) -> KojiResult<i32> {
    id_of(db, table, r)
        .await?
        .ok_or_else(|| KojiError::generic(format!("No such entry in table {table}: {}", r.plain())))
}

/// Koji's `name_or_id_clause`: restricts `q` to the row of `table` named or numbered by `r`.
pub fn name_or_id(q: &mut Select, table: &'static str, r: &InfoRef) -> KojiResult<()> {
    match r {
        InfoRef::Id(id) | InfoRef::Map { id: Some(id), .. } => q.filter(&format!("{table}.id = $?::int8"), *id),
        InfoRef::Name(n) | InfoRef::Map { name: Some(n), .. } => q.filter(&format!("{table}.name = $?"), n.clone()),
        InfoRef::Map { .. } => return Err(KojiError::param(format!("Invalid name or id value: {r}"))),
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nvrs_split_at_the_last_two_dashes() {
        let nvr = |s| parse_nvr(s).unwrap();
        assert_eq!(nvr("rpm-basic-2.3.4-5.el9"), ("rpm-basic".into(), "2.3.4".into(), "5.el9".into()));
        assert_eq!(nvr("1:bash-5.2-1"), ("bash".into(), "5.2".into(), "1".into()));
        for bad in ["bash", "bash-5.2", "bash-5.2-", "bash--1"] {
            assert_eq!(parse_nvr(bad).unwrap_err(), KojiError::generic(format!("invalid format: {bad}")));
        }
    }

    #[test]
    fn build_refs_show_as_pythons_repr() {
        assert_eq!(BuildRef::Nvr("foo-1-1".into()).repr(), "'foo-1-1'");
        assert_eq!(BuildRef::Id(7).repr(), "7");
        let map = BuildRef::Map { id: None, name: Some("foo".into()), version: Some("1".into()), release: None };
        assert_eq!(map.repr(), "{'name': 'foo', 'version': '1'}");
    }
}
