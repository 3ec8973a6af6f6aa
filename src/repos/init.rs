//! `host.repoInit`: Koji's `repo_init`. Records a new INIT repo of the tag as of one event and writes what the
//! builders' createrepo needs under `repos/<tag>/<id>/`: `repo.json`, `groups/comps.xml` (groups expanded), and
//! per repo arch a `toplink` symlink to the top directory, `pkglist` (rpm paths through `toplink`),
//! `rpmlist.jsonl` (one rpm record per line) and `blocklist` (blocked package names).

use super::opts::{self, RepoOpts};
use crate::config::HubConfig;
use crate::db::{self, repos as q};
use crate::fault::{KojiError, KojiResult};
use crate::files::{blocking, io_error};
use crate::packages::listing::{self, ListingQuery};
use crate::pathinfo::{DEFAULT_VOLUME, PathInfo, rpm_relpath};
use crate::rpc::args::InfoRef;
use crate::tagged::{Latest, RpmOptions, TaggedQuery, read_tagged_rpms};
use crate::tags::groups::{GroupOptions, tag_groups};
use crate::tags::last_change::last_change_event;
use crate::xmlrpc::{Struct, Value};
use deadpool_postgres::GenericClient;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Koji's `canonArch`: the repo arch an rpm arch belongs to.
pub fn canon_arch(arch: &str) -> String {
    let i86 = arch.len() == 4 && arch.starts_with('i') && arch.ends_with("86");
    let canon = if i86 || arch == "athlon" {
        "i386"
    } else if arch == "ia32e" {
        "x86_64"
    } else if arch == "ppc64le" {
        "ppc64le"
    } else if arch.starts_with("ppc64") {
        "ppc64"
    } else if arch.starts_with("sparc64") {
        "sparc64"
    } else if arch.starts_with("sparc") {
        "sparc"
    } else if arch.starts_with("alpha") {
        "alpha"
    } else if arch.strip_prefix("arm").is_some_and(|rest| rest.contains('h')) {
        "armhfp"
    } else if arch.starts_with("arm") {
        "arm"
    } else {
        arch
    };
    canon.to_owned()
}

/// Koji's `is_debuginfo`.
fn is_debuginfo(name: &str) -> bool {
    name.ends_with("-debuginfo") || name.ends_with("-debugsource") || name.contains("-debuginfo-")
}

fn text<'a>(s: &'a Struct, key: &str) -> &'a str {
    s.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Everything written into the repo directory, computed in the transaction and written by a blocking task.
struct Layout {
    dir: PathBuf,
    comps: String,
    repo_json: String,
    /// Per repo arch, in the tag's order: (arch, pkglist, rpmlist.jsonl).
    arches: Vec<(String, String, String)>,
    blocklist: String,
}

fn write_layout(l: Layout) -> KojiResult<()> {
    fn io(p: &Path) -> impl FnOnce(std::io::Error) -> KojiError + '_ {
        move |e| io_error(p, e)
    }
    if let Some(parent) = l.dir.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    std::fs::create_dir(&l.dir).map_err(io(&l.dir))?;
    let groups = l.dir.join("groups");
    std::fs::create_dir(&groups).map_err(io(&groups))?;
    std::fs::write(groups.join("comps.xml"), &l.comps).map_err(io(&groups))?;
    std::fs::write(l.dir.join("repo.json"), &l.repo_json).map_err(io(&l.dir))?;
    for (arch, pkglist, rpmlist) in &l.arches {
        let dir = l.dir.join(arch);
        std::fs::create_dir(&dir).map_err(io(&dir))?;
        // repos/<tag>/<id>/<arch> is four levels below the top directory.
        std::os::unix::fs::symlink("../../../..", dir.join("toplink")).map_err(io(&dir))?;
        std::fs::write(dir.join("pkglist"), pkglist).map_err(io(&dir))?;
        std::fs::write(dir.join("rpmlist.jsonl"), rpmlist).map_err(io(&dir))?;
        std::fs::write(dir.join("blocklist"), &l.blocklist).map_err(io(&dir))?;
    }
    Ok(())
}

/// `host.repoInit(tag, task_id=None, event=None, opts=None)` → `[repo_id, event_id]`.
pub async fn repo_init(
    db: &impl GenericClient,
    cfg: &HubConfig,
    tag: &InfoRef,
    task_id: Option<i32>,
    event: Option<i32>,
    overrides: Option<&Value>,
) -> KojiResult<(i32, i32)> {
    let tinfo = crate::tags::get_strict(db, tag, event).await?;
    let overrides: Option<RepoOpts> = overrides.map(|o| opts::convert(Some(o), false)).transpose()?;
    let (opts, custom) = opts::for_tag(cfg, &tinfo, overrides.as_ref());
    if opts["maven"] {
        return Err(KojiError::generic("Maven support not enabled"));
    }
    let tag_id = tinfo.config.id;
    let mut repo_arches: Vec<String> = vec![];
    if opts["separate_src"] {
        repo_arches.push("src".into());
    }
    for arch in tinfo.config.arches.as_deref().unwrap_or("").split_whitespace().map(canon_arch) {
        if arch != "src" && arch != "noarch" && !repo_arches.contains(&arch) {
            repo_arches.push(arch);
        }
    }
    let event_id = match event {
        None => db::new_event(db).await?,
        Some(e) => {
            let st = db.prepare_cached("SELECT 1 FROM events WHERE id = $1").await?;
            db.query_opt(&st, &[&e]).await?.ok_or_else(|| KojiError::generic(format!("No such event: {e}")))?;
            e
        }
    };
    let tag_ref = InfoRef::Id(tag_id.into());
    let begin = last_change_event(db, &tag_ref, Some(event_id), true).await?.or(Some(event_id));
    let new = q::NewRepo {
        create_event: event_id,
        begin_event: begin,
        tag_id,
        task_id,
        opts: opts::to_json(&opts),
        custom_opts: opts::to_json(&custom),
    };
    let repo_id = q::insert(db, &new).await?;

    let include_all = tinfo.extra.get("repo_include_all").cloned().flatten().is_some_and(|v| v.truthy());
    let tagged = TaggedQuery {
        event: Some(event_id),
        inherit: true,
        latest: Latest(if include_all { 0 } else { 1 }),
        ..Default::default()
    };
    let (rpms, builds) = read_tagged_rpms(db, tag_id, &tagged, &RpmOptions::default()).await?;
    let groups = tag_groups(
        db,
        &tag_ref,
        Some(event_id),
        GroupOptions { inherit: true, packages: true, requirements: true, blocked: false },
    )
    .await?;
    let listing = ListingQuery {
        tag: Some(tag_id),
        event: Some(event_id),
        inherit: true,
        with_blocked: true,
        ..Default::default()
    };
    let blocked: String =
        listing::read(db, &listing).await?.into_iter().filter(|l| l.blocked).map(|l| l.package_name + "\n").collect();

    // toplink/packages/<n>/<v>/<r> (toplink/vol/<volume>/packages/... off the default volume), per build.
    let build_dirs: HashMap<i64, String> = builds
        .iter()
        .map(|b| {
            let volume = Some(text(b, "volume_name")).filter(|v| !v.is_empty()).unwrap_or(DEFAULT_VOLUME);
            let rel = PathInfo::new(Path::new("toplink")).build_dir(
                volume,
                text(b, "name"),
                text(b, "version"),
                text(b, "release"),
            );
            (b.get("id").and_then(Value::as_i64).unwrap_or(0), rel.to_string_lossy().into_owned())
        })
        .collect();
    let mut lists: Vec<(String, String, String)> =
        repo_arches.iter().map(|a| (a.clone(), String::new(), String::new())).collect();
    let mut add = |arch: &str, path: &str, json: &str| {
        if let Some((_, pkglist, rpmlist)) = lists.iter_mut().find(|(a, _, _)| a == arch) {
            pkglist.push_str(path);
            rpmlist.push_str(json);
            rpmlist.push('\n');
        }
    };
    for rpm in &rpms {
        let name = text(rpm, "name");
        if !opts["debuginfo"] && is_debuginfo(name) {
            continue;
        }
        let arch = text(rpm, "arch");
        let build_dir = build_dirs.get(&rpm.get("build_id").and_then(Value::as_i64).unwrap_or(0));
        let Some(build_dir) = build_dir else { continue };
        let file = rpm_relpath(name, text(rpm, "version"), text(rpm, "release"), arch);
        let path = format!("{build_dir}/{}\n", file.display());
        let json = serde_json::to_string(&db::value_to_json(&Value::Struct(rpm.clone())))
            .map_err(|e| KojiError::Internal(e.to_string()))?;
        match arch {
            "src" => {
                if opts["src"] {
                    for a in &repo_arches {
                        add(a, &path, &json);
                    }
                }
                if opts["separate_src"] {
                    add("src", &path, &json);
                }
            }
            "noarch" => {
                for a in repo_arches.iter().filter(|a| *a != "src") {
                    add(a, &path, &json);
                }
            }
            other => add(&canon_arch(other), &path, &json),
        }
    }
    let repo_json = serde_json::json!({
        "id": repo_id,
        "tag": tinfo.config.name,
        "tag_id": tag_id,
        "task_id": task_id,
        "event_id": event_id,
        "opts": opts,
        "custom_opts": custom,
        "with_src": opts["src"],
        "with_separate_src": opts["separate_src"],
        "with_debuginfo": opts["debuginfo"],
    });
    let layout = Layout {
        dir: PathInfo::new(&cfg.koji_dir).repo_dir(&tinfo.config.name, &repo_id.to_string()),
        comps: super::comps::generate(&groups),
        repo_json: serde_json::to_string_pretty(&repo_json).unwrap_or_default(),
        arches: lists,
        blocklist: blocked,
    };
    blocking(move || write_layout(layout)).await?;
    tracing::info!(repo = repo_id, tag = %tinfo.config.name, event = event_id, ?task_id, "repo initialised");
    Ok((repo_id, event_id))
}
