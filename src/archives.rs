//! Non-rpm build output (`archiveinfo`): `listArchives`. Nothing in koji-rs creates archives yet, but the CLI
//! asks for them (`buildinfo`, `list-buildroot`), and an adopted Koji database may hold some.

use crate::builds::decode_extra;
use crate::db::query::{QueryOpts, Select};
use crate::fault::{KojiError, KojiResult};
use crate::lookup;
use crate::rpc::args::InfoRef;
use crate::xmlrpc::Value;
use deadpool_postgres::GenericClient;
use serde::Deserialize;

const ARCHIVE_COLUMNS: &[(&str, &str)] = &[
    ("id", "archiveinfo.id"),
    ("type_id", "archiveinfo.type_id"),
    ("btype_id", "archiveinfo.btype_id"),
    ("btype", "btype.name"),
    ("build_id", "archiveinfo.build_id"),
    ("buildroot_id", "archiveinfo.buildroot_id"),
    ("filename", "archiveinfo.filename"),
    ("size", "archiveinfo.size"),
    ("checksum", "archiveinfo.checksum"),
    ("checksum_type", "archiveinfo.checksum_type"),
    ("metadata_only", "archiveinfo.metadata_only"),
    ("extra", "archiveinfo.extra"),
    ("type_name", "archivetypes.name"),
    ("type_description", "archivetypes.description"),
    ("type_extensions", "archivetypes.extensions"),
    ("compression_type", "archivetypes.compression_type"),
];

const ARCHIVE_FROM: &str = "archiveinfo JOIN archivetypes ON archiveinfo.type_id = archivetypes.id \
     JOIN btype ON archiveinfo.btype_id = btype.id";

#[derive(Debug, Default, Deserialize)]
#[allow(non_snake_case)]
pub struct ArchiveFilter {
    pub buildID: Option<i32>,
    pub buildrootID: Option<i32>,
    pub componentBuildrootID: Option<i32>,
    pub hostID: Option<i32>,
    #[serde(rename = "type")]
    pub btype: Option<String>,
    pub filename: Option<String>,
    pub size: Option<i64>,
    pub checksum: Option<String>,
    pub checksum_type: Option<i32>,
    pub typeInfo: Option<Value>,
    pub imageID: Option<i32>,
    pub archiveID: Option<i32>,
}

/// Koji's `list_archives` (its `typeInfo` sub-filters are not supported).
pub async fn list_archives(
    db: &impl GenericClient,
    f: ArchiveFilter,
    opts: &QueryOpts,
    strict: bool,
) -> KojiResult<Value> {
    if f.typeInfo.as_ref().is_some_and(Value::truthy) {
        return Err(KojiError::param("listArchives: typeInfo is not supported by this hub"));
    }
    let mut q = Select::new(ARCHIVE_COLUMNS, ARCHIVE_FROM, "id");
    if let Some(b) = f.buildID {
        q.filter("archiveinfo.build_id = $?", b);
    }
    if let Some(b) = f.buildrootID {
        q.filter("archiveinfo.buildroot_id = $?", b);
    }
    if let Some(b) = f.componentBuildrootID {
        q.join("JOIN buildroot_archives ON archiveinfo.id = buildroot_archives.archive_id")
            .add_columns(&[
                ("component_buildroot_id", "buildroot_archives.buildroot_id"),
                ("project", "buildroot_archives.project_dep"),
            ])
            .filter("buildroot_archives.buildroot_id = $?", b);
    }
    if let Some(i) = f.imageID {
        q.join("JOIN archive_components ON archiveinfo.id = archive_components.component_id")
            .filter("archive_components.archive_id = $?", i);
    }
    if let Some(h) = f.hostID {
        q.join("JOIN standard_buildroot ON archiveinfo.buildroot_id = standard_buildroot.buildroot_id")
            .add_columns(&[("host_id", "standard_buildroot.host_id")])
            .filter("standard_buildroot.host_id = $?", h);
    }
    if let Some(n) = f.filename {
        q.filter("archiveinfo.filename = $?", n);
    }
    if let Some(s) = f.size {
        q.filter("archiveinfo.size = $?", s);
    }
    if let Some(c) = f.checksum {
        q.filter("archiveinfo.checksum = $?", c);
    }
    if let Some(c) = f.checksum_type {
        q.filter("archiveinfo.checksum_type = $?", c);
    }
    if let Some(a) = f.archiveID {
        q.filter("archiveinfo.id = $?", a);
    }
    match f.btype.as_deref() {
        None => {}
        Some("maven") => {
            q.join("JOIN maven_archives ON archiveinfo.id = maven_archives.archive_id").add_columns(&[
                ("group_id", "maven_archives.group_id"),
                ("artifact_id", "maven_archives.artifact_id"),
                ("version", "maven_archives.version"),
            ]);
        }
        Some("win") => {
            q.join("JOIN win_archives ON archiveinfo.id = win_archives.archive_id").add_columns(&[
                ("relpath", "win_archives.relpath"),
                ("platforms", "win_archives.platforms"),
                ("flags", "win_archives.flags"),
            ]);
        }
        Some("image") => {
            q.join("JOIN image_archives ON archiveinfo.id = image_archives.archive_id")
                .add_columns(&[("arch", "image_archives.arch")]);
        }
        Some(other) => {
            let btype = lookup::id_of(db, "btype", &InfoRef::Name(other.to_owned()))
                .await?
                .ok_or_else(|| KojiError::generic(format!("unsupported archive type: {other}")))?;
            q.filter("archiveinfo.btype_id = $?", btype);
        }
    }
    let mut rows = q.fetch(db, opts).await?;
    if strict && rows.as_array().is_some_and(<[Value]>::is_empty) {
        return Err(KojiError::generic("No archives found."));
    }
    decode_extra(&mut rows);
    Ok(rows)
}
