//! Finding a build from Koji's `buildInfo` argument (`find_build_id`, `get_build`).

use super::nvr::Nvr;
use super::{BUILD_COLUMNS, BUILD_FROM, decode_extra_fields};
use crate::db::builds::{self, BuildRow};
use crate::db::query::Select;
use crate::fault::{KojiError, KojiResult};
use crate::xmlrpc::Struct;
use deadpool_postgres::GenericClient;
use serde::Deserialize;
use std::fmt;

/// A build as Koji's calls take it: an id, an `N-V-R` string, or a struct with `name`, `version` and `release`
/// (any other keys, such as those of a whole build record, are ignored).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum BuildRef {
    Id(i64),
    Nvr(String),
    Map { name: Option<String>, version: Option<String>, release: Option<String> },
}

impl BuildRef {
    /// Python's `repr` of the argument, as Koji's `No such build: %r` shows it.
    pub fn repr(&self) -> String {
        match self {
            BuildRef::Id(i) => i.to_string(),
            BuildRef::Nvr(s) => format!("'{s}'"),
            BuildRef::Map { .. } => self.to_string(),
        }
    }
}

impl fmt::Display for BuildRef {
    /// Python's `str` of the argument (`No such build: %s`).
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            BuildRef::Id(i) => write!(f, "{i}"),
            BuildRef::Nvr(s) => f.write_str(s),
            BuildRef::Map { name, version, release } => {
                let fields: Vec<String> = [("name", name), ("version", version), ("release", release)]
                    .into_iter()
                    .filter_map(|(k, v)| v.as_ref().map(|v| format!("'{k}': '{v}'")))
                    .collect();
                write!(f, "{{{}}}", fields.join(", "))
            }
        }
    }
}

/// Koji's `find_build_id`: the id, or None. A malformed NVR is an error; an id is returned unchecked, as Koji
/// does (callers that need the row look it up).
pub async fn find_build_id(db: &impl GenericClient, r: &BuildRef) -> KojiResult<Option<i32>> {
    let (name, version, release) = match r {
        BuildRef::Id(id) => return Ok(i32::try_from(*id).ok()),
        BuildRef::Nvr(s) => {
            let n = Nvr::parse(s)?;
            (n.name, n.version, n.release)
        }
        BuildRef::Map { name: Some(n), version: Some(v), release: Some(r) } => (n.clone(), v.clone(), r.clone()),
        BuildRef::Map { .. } => return Err(KojiError::generic("did not provide name, version, and release")),
    };
    builds::id_by_nvr(db, &name, &version, &release).await
}

/// The build row behind `r`, or Koji's `No such build` error (`%r` for an unknown NVR, `%s` for an unknown id,
/// as `get_build(strict=True)` words them).
pub async fn build_row_strict(db: &impl GenericClient, r: &BuildRef) -> KojiResult<BuildRow> {
    let Some(id) = find_build_id(db, r).await? else {
        return Err(KojiError::generic(format!("No such build: {}", r.repr())));
    };
    builds::row_by_id(db, id).await?.ok_or_else(|| KojiError::generic(format!("No such build: {r}")))
}

/// `getBuild`'s record: `listBuilds`' columns plus `id` and the content generator.
pub async fn get_build(db: &impl GenericClient, r: &BuildRef, strict: bool) -> KojiResult<Option<Struct>> {
    let id = match find_build_id(db, r).await? {
        Some(id) => id,
        None if strict => return Err(KojiError::generic(format!("No such build: {}", r.repr()))),
        None => return Ok(None),
    };
    let mut q = Select::new(&[("id", "build.id")], BUILD_FROM, "id");
    q.add_columns(BUILD_COLUMNS).add_columns(&[
        ("cg_id", "build.cg_id"),
        ("cg_name", "(SELECT name FROM content_generator WHERE content_generator.id = build.cg_id)"),
    ]);
    q.filter("build.id = $?", id);
    match q.structs(db).await?.into_iter().next() {
        Some(mut record) => {
            decode_extra_fields(&mut record);
            Ok(Some(record))
        }
        None if strict => Err(KojiError::generic(format!("No such build: {r}"))),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xmlrpc::{Value, from_value};

    #[test]
    fn build_refs_show_as_python_would() {
        assert_eq!(BuildRef::Nvr("foo-1-1".into()).repr(), "'foo-1-1'");
        assert_eq!(BuildRef::Id(7).to_string(), "7");
        let mut s = Struct::new();
        s.insert("name".into(), Value::from("foo"));
        s.insert("version".into(), Value::from("1"));
        s.insert("release".into(), Value::from("2"));
        s.insert("id".into(), Value::Int(5));
        let r: BuildRef = from_value(Value::Struct(s)).unwrap();
        assert_eq!(r.repr(), "{'name': 'foo', 'version': '1', 'release': '2'}");
    }
}
