//! `search(terms, type, matchType)`: `{id, name}` of the objects of one type whose name matches, by glob
//! (case-insensitive, `*` and `?`), regular expression (case-insensitive, PostgreSQL syntax) or exact match.

use crate::db::query::{QueryOpts, Select, glob_to_like};
use crate::fault::{KojiError, KojiResult};
use crate::xmlrpc::Value;
use deadpool_postgres::GenericClient;

/// What a search type reads: the `id`/`name` columns, the tables, and the expressions the terms are matched
/// against (any of them may match).
struct Target {
    columns: &'static [(&'static str, &'static str)],
    from: &'static str,
    names: &'static [&'static str],
}

/// The search types Koji has.
fn target(kind: &str) -> Option<Target> {
    const ID_NAME: &[(&str, &str)] = &[("id", "id"), ("name", "name")];
    const BUILD_NVR: &str = "package.name || '-' || build.version || '-' || build.release";
    const RPM_FILE: &str = "name || '-' || version || '-' || release || '.' || arch || '.rpm'";
    let (columns, from, names): (_, _, &[&str]) = match kind {
        "package" => (ID_NAME, "package", &["name"]),
        "user" => (ID_NAME, "users", &["name"]),
        "host" => (ID_NAME, "host", &["name"]),
        "build" => (
            &[("id", "build.id"), ("name", BUILD_NVR)],
            "build JOIN package ON build.pkg_id = package.id",
            &[BUILD_NVR],
        ),
        "rpm" => (&[("id", "id"), ("name", RPM_FILE)], "rpminfo", &[RPM_FILE]),
        "tag" => (
            &[("id", "tag.id"), ("name", "tag.name")],
            "tag JOIN tag_config ON tag.id = tag_config.tag_id AND tag_config.active",
            &["tag.name"],
        ),
        "target" => (
            &[("id", "build_target.id"), ("name", "build_target.name")],
            "build_target JOIN build_target_config ON build_target.id = build_target_config.build_target_id \
             AND build_target_config.active",
            &["build_target.name"],
        ),
        "maven" => (
            &[("id", "archiveinfo.id"), ("name", "archiveinfo.filename")],
            "archiveinfo JOIN maven_archives ON archiveinfo.id = maven_archives.archive_id",
            &[
                "archiveinfo.filename",
                "maven_archives.group_id || '-' || maven_archives.artifact_id || '-' || maven_archives.version",
            ],
        ),
        "win" => (
            &[
                ("id", "archiveinfo.id"),
                ("name", "trim(leading '/' from win_archives.relpath || '/' || archiveinfo.filename)"),
            ],
            "archiveinfo JOIN win_archives ON archiveinfo.id = win_archives.archive_id",
            &["archiveinfo.filename", "win_archives.relpath || '/' || archiveinfo.filename"],
        ),
        _ => return None,
    };
    Some(Target { columns, from, names })
}

pub async fn search(
    db: &impl GenericClient,
    terms: &str,
    kind: &str,
    match_type: &str,
    opts: &QueryOpts,
) -> KojiResult<Value> {
    if terms.is_empty() {
        return Err(KojiError::generic("empty search terms"));
    }
    if kind == "file" {
        // Koji dropped searching by file name; it answers an empty list.
        return Ok(Value::Array(vec![]));
    }
    let Target { columns, from, names } =
        target(kind).ok_or_else(|| KojiError::generic(format!("No such search type: {kind}")))?;
    let (op, pattern) = match match_type {
        "glob" => ("ILIKE", glob_to_like(terms)),
        "regexp" => {
            check_regex(db, terms).await?;
            ("~*", terms.to_owned())
        }
        _ => ("=", terms.to_owned()),
    };
    let mut q = Select::new(columns, from, "id");
    let placeholder = q.bind(pattern);
    let matches: Vec<String> = names.iter().map(|n| format!("{n} {op} {placeholder}")).collect();
    q.condition(&format!("({})", matches.join(" OR ")));
    q.fetch(db, opts).await
}

/// A malformed regular expression is the caller's mistake, not a database failure.
async fn check_regex(db: &impl GenericClient, pattern: &str) -> KojiResult<()> {
    let st = db.prepare_cached("SELECT '' ~* $1").await?;
    match db.query_one(&st, &[&pattern]).await {
        Ok(_) => Ok(()),
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::INVALID_REGULAR_EXPRESSION) => {
            let detail = e.as_db_error().map(|d| d.message().to_owned()).unwrap_or_default();
            Err(KojiError::generic(format!("Invalid regular expression {pattern:?}: {detail}")))
        }
        Err(e) => Err(e.into()),
    }
}
