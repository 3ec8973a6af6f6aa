//! Rpms: the `rpminfo` and `rpmsigs` tables (`listRPMs`, `getRPM`, `queryRPMSigs`), and reading rpm files
//! (`file`: the header fields Koji imports, `getRPMHeaders`).

pub mod external;
pub mod file;
pub mod nvra;

use crate::builds::decode_extra_fields;
use crate::db::query::{QueryOpts, Select};
use crate::fault::{KojiError, KojiResult};
use crate::lookup;
use crate::rpc::args::{Flag, InfoRef, OneOrMany};
use crate::xmlrpc::{Struct, Value};
use deadpool_postgres::GenericClient;
use nvra::Nvra;
use serde::Deserialize;

/// Koji's rpm record (`get_rpm`; `listRPMs` adds `nvr`).
pub const RPM_COLUMNS: &[(&str, &str)] = &[
    ("id", "rpminfo.id"),
    ("name", "rpminfo.name"),
    ("version", "rpminfo.version"),
    ("release", "rpminfo.release"),
    ("arch", "rpminfo.arch"),
    ("epoch", "rpminfo.epoch"),
    ("draft", "rpminfo.draft"),
    ("payloadhash", "rpminfo.payloadhash"),
    ("size", "rpminfo.size"),
    ("buildtime", "rpminfo.buildtime"),
    ("build_id", "rpminfo.build_id"),
    ("buildroot_id", "rpminfo.buildroot_id"),
    ("external_repo_id", "rpminfo.external_repo_id"),
    ("external_repo_name", "external_repo.name"),
    ("metadata_only", "rpminfo.metadata_only"),
    ("extra", "rpminfo.extra"),
];

const RPM_FROM: &str = "rpminfo LEFT JOIN external_repo ON rpminfo.external_repo_id = external_repo.id";

const NVR_COLUMN: (&str, &str) = ("nvr", "rpminfo.name || '-' || rpminfo.version || '-' || rpminfo.release");

/// An rpm as `getRPM` takes it: an id, an id or `N-V-R.A[@location]` string, or a struct with `id` or
/// `name`, `version`, `release`, `arch` (and optionally `location`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum RpmRef {
    Id(i64),
    Text(String),
    Map {
        id: Option<i64>,
        name: Option<String>,
        version: Option<String>,
        release: Option<String>,
        arch: Option<String>,
        location: Option<String>,
    },
}

/// What identifies the rpms an `RpmRef` means.
enum RpmKey {
    Id(i64),
    Nvra { name: String, version: String, release: String, arch: String, location: Option<String> },
}

impl RpmRef {
    fn key(&self) -> KojiResult<RpmKey> {
        Ok(match self {
            RpmRef::Id(id) | RpmRef::Map { id: Some(id), .. } => RpmKey::Id(*id),
            RpmRef::Text(text) => match text.parse::<i64>() {
                Ok(id) => RpmKey::Id(id),
                Err(_) => {
                    let n = Nvra::parse(text)?;
                    RpmKey::Nvra {
                        name: n.name,
                        version: n.version,
                        release: n.release,
                        arch: n.arch,
                        location: n.location,
                    }
                }
            },
            RpmRef::Map { name: Some(n), version: Some(v), release: Some(r), arch: Some(a), location, .. } => {
                RpmKey::Nvra {
                    name: n.clone(),
                    version: v.clone(),
                    release: r.clone(),
                    arch: a.clone(),
                    location: location.clone(),
                }
            }
            RpmRef::Map { .. } => {
                return Err(KojiError::generic("an rpm needs an id or name, version, release and arch"));
            }
        })
    }
}

/// The rpms `r` names, in id order (several only for draft or external rpms sharing an N-V-R.A).
async fn matching_rpms(db: &impl GenericClient, r: &RpmRef) -> KojiResult<Vec<Struct>> {
    let mut q = Select::new(RPM_COLUMNS, RPM_FROM, "id");
    match r.key()? {
        RpmKey::Id(id) => match i32::try_from(id) {
            Ok(id) => {
                q.filter("rpminfo.id = $?", id);
            }
            Err(_) => return Ok(vec![]),
        },
        RpmKey::Nvra { name, version, release, arch, location } => {
            q.filter("rpminfo.name = $?", name)
                .filter("rpminfo.version = $?", version)
                .filter("rpminfo.release = $?", release)
                .filter("rpminfo.arch = $?", arch);
            if let Some(loc) = location {
                let repo = lookup::require_id(db, "external_repo", &InfoRef::Name(loc)).await?;
                q.filter("rpminfo.external_repo_id = $?", repo);
            }
        }
    }
    let mut rows = q.structs(db).await?;
    rows.iter_mut().for_each(decode_extra_fields);
    Ok(rows)
}

fn int_field(record: &Struct, key: &str) -> i64 {
    record.get(key).and_then(Value::as_i64).unwrap_or(0)
}

/// Koji's `get_rpm`. With several matches (draft or external rpms share an N-V-R.A) it prefers the internal
/// non-draft rpm, then the newest internal draft, then the newest external one; `multi` returns them all.
pub async fn get_rpm(db: &impl GenericClient, r: &RpmRef, strict: bool, multi: bool) -> KojiResult<Value> {
    let rows = matching_rpms(db, r).await?;
    if multi {
        return Ok(Value::Array(rows.into_iter().map(Value::Struct).collect()));
    }
    if rows.is_empty() {
        if strict {
            return Err(KojiError::generic(format!("No such rpm: {}", describe(r))));
        }
        return Ok(Value::Nil);
    }
    let (mut nondraft, mut draft, mut external): (Option<Struct>, Option<Struct>, Option<Struct>) = (None, None, None);
    for row in rows {
        let slot = if int_field(&row, "external_repo_id") != 0 {
            &mut external
        } else if row.get("draft").is_some_and(Value::truthy) {
            &mut draft
        } else {
            if nondraft.is_some() {
                return Err(KojiError::generic(format!("Multiple nondraft rpm matches for: {}", describe(r))));
            }
            &mut nondraft
        };
        // Rows come in id order, so the last one seen is the newest.
        *slot = Some(row);
    }
    Ok(nondraft.or(draft).or(external).map(Value::Struct).unwrap_or(Value::Nil))
}

/// Koji shows the looked-up key as a dict (`No such rpm: {'id': 5}`).
fn describe(r: &RpmRef) -> String {
    match r.key() {
        Ok(RpmKey::Id(id)) => format!("{{'id': {id}}}"),
        Ok(RpmKey::Nvra { name, version, release, arch, .. }) => {
            format!("{{'name': '{name}', 'version': '{version}', 'release': '{release}', 'arch': '{arch}'}}")
        }
        Err(_) => format!("{r:?}"),
    }
}

#[derive(Debug, Default, Deserialize)]
#[allow(non_snake_case)]
pub struct RpmFilter {
    pub buildID: Option<i32>,
    pub buildrootID: Option<i32>,
    pub imageID: Option<i32>,
    pub componentBuildrootID: Option<i32>,
    pub hostID: Option<i32>,
    pub arches: Option<OneOrMany<String>>,
    pub draft: Option<Flag>,
}

/// Koji's `list_rpms`: one query, filters as given.
pub async fn list_rpms(db: &impl GenericClient, f: RpmFilter, opts: &QueryOpts) -> KojiResult<Value> {
    let mut q = Select::new(RPM_COLUMNS, RPM_FROM, "id");
    q.add_columns(&[NVR_COLUMN]);
    if let Some(b) = f.buildID {
        q.filter("rpminfo.build_id = $?", b);
    }
    if let Some(b) = f.buildrootID {
        q.filter("rpminfo.buildroot_id = $?", b);
    }
    if let Some(b) = f.componentBuildrootID {
        q.add_columns(&[
            ("component_buildroot_id", "buildroot_listing.buildroot_id"),
            ("is_update", "buildroot_listing.is_update"),
        ])
        .join("JOIN buildroot_listing ON rpminfo.id = buildroot_listing.rpm_id")
        .filter("buildroot_listing.buildroot_id = $?", b);
    }
    if let Some(i) = f.imageID {
        q.join("JOIN archive_rpm_components ON rpminfo.id = archive_rpm_components.rpm_id")
            .filter("archive_rpm_components.archive_id = $?", i);
    }
    if let Some(h) = f.hostID {
        q.join("JOIN standard_buildroot ON rpminfo.buildroot_id = standard_buildroot.buildroot_id")
            .filter("standard_buildroot.host_id = $?", h);
    }
    if let Some(a) = f.arches {
        q.filter("rpminfo.arch = ANY($?)", a.into_vec());
    }
    if let Some(Flag(d)) = f.draft {
        q.condition(if d { "rpminfo.draft IS TRUE" } else { "rpminfo.draft IS NOT TRUE" });
    }
    let mut rows = q.fetch(db, opts).await?;
    crate::builds::decode_extra(&mut rows);
    Ok(rows)
}

/// Koji's `query_rpm_sigs`: `(rpm_id, sigkey, sighash)` rows; an rpm given other than by id that does not
/// exist has no signatures.
pub async fn query_rpm_sigs(
    db: &impl GenericClient,
    rpm: Option<RpmRef>,
    sigkey: Option<String>,
    opts: &QueryOpts,
) -> KojiResult<Value> {
    let mut q = Select::new(
        &[("rpm_id", "rpmsigs.rpm_id"), ("sigkey", "rpmsigs.sigkey"), ("sighash", "rpmsigs.sighash")],
        "rpmsigs",
        "rpm_id",
    );
    let rpm_id = match rpm {
        None => None,
        Some(RpmRef::Id(id)) => Some(id),
        Some(r) => match get_rpm(db, &r, false, false).await? {
            Value::Struct(s) => Some(int_field(&s, "id")),
            _ => return Ok(Value::Array(vec![])),
        },
    };
    if let Some(id) = rpm_id {
        let Ok(id) = i32::try_from(id) else { return Ok(Value::Array(vec![])) };
        q.filter("rpmsigs.rpm_id = $?", id);
    }
    if let Some(k) = sigkey {
        q.filter("rpmsigs.sigkey = $?", k.to_lowercase());
    }
    q.fetch(db, opts).await
}

/// `getRPMHeaders`: header fields of an internal rpm's file (`rpmID`) or of a task's output file (`taskID` +
/// `filepath`). A missing rpm or file gives `{}` unless `strict`.
pub async fn rpm_headers(
    ctx: &crate::rpc::CallCtx,
    rpm: Option<RpmRef>,
    task_id: Option<i32>,
    filepath: Option<String>,
    headers: Option<Vec<String>>,
    strict: bool,
) -> KojiResult<Struct> {
    use crate::pathinfo::{PathInfo, rpm_relpath};
    let pathinfo = PathInfo::new(&ctx.hub.config.koji_dir);
    let path = match (rpm, task_id) {
        (Some(r), _) => {
            let db = ctx.db().await?;
            let Value::Struct(info) = get_rpm(&db, &r, strict, false).await? else { return Ok(Struct::new()) };
            let text = |k: &str| info.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
            if int_field(&info, "external_repo_id") != 0 {
                if strict {
                    return Err(KojiError::generic(format!("External rpm: {}", int_field(&info, "id"))));
                }
                return Ok(Struct::new());
            }
            let build_id = i32::try_from(int_field(&info, "build_id")).unwrap_or_default();
            let build = crate::db::builds::row_by_id(&db, build_id)
                .await?
                .ok_or_else(|| KojiError::generic(format!("No such build: {build_id}")))?;
            if build.state == crate::db::builds::STATE_DELETED {
                if strict {
                    return Err(KojiError::generic(format!("Build {} is deleted", build.nvr())));
                }
                return Ok(Struct::new());
            }
            pathinfo.build_dir(&build.volume_name, &build.name, &build.version, &build.release).join(rpm_relpath(
                &text("name"),
                &text("version"),
                &text("release"),
                &text("arch"),
            ))
        }
        (None, Some(task)) => {
            let filepath = filepath.ok_or_else(|| KojiError::generic("filepath must be specified with taskID"))?;
            if filepath.starts_with('/') || filepath.contains("../") {
                return Err(KojiError::generic(format!("Invalid filepath: {filepath}")));
            }
            crate::tasks::work_dir(&ctx.hub.config.koji_dir, task).join(filepath)
        }
        (None, None) => return Err(KojiError::generic("either rpmID or taskID and filepath must be specified")),
    };
    crate::files::blocking(move || {
        if !path.exists() {
            if strict {
                return Err(KojiError::generic(format!("Missing rpm file: {}", path.display())));
            }
            return Ok(Struct::new());
        }
        file::header_fields(&path, headers.as_deref())
    })
    .await
}
