//! Koji's `CreaterepoTask` (`createrepo repo_id, arch, oldrepo`), spec §5.7: `createrepo_c` over the arch's
//! `pkglist` (reading the rpms through the repo's `toplink` on the shared topdir), `--update` from the old
//! repo's metadata, external repos merged with `mergerepo_c --koji`; the `repodata/` files are uploaded and
//! returned as `[uploadpath, files]` for `host.repoDone`.

use crate::builder::task::file_name;
use crate::builder::task::{TaskArgs, TaskCtx, TaskError, TaskResult, field, field_int, field_str, kwargs};
use crate::xmlrpc::Value;
use std::path::Path;
use std::sync::Arc;

pub const METHODS: &[&str] = &["createrepo"];
pub const WEIGHT: f64 = 1.5;

pub async fn handle(ctx: Arc<TaskCtx>, args: TaskArgs) -> TaskResult {
    let repo_id = args.int(0, "repo_id")?;
    let arch = args.str(1, "arch")?;
    let oldrepo = args.get(2, "oldrepo").cloned();
    let info = ctx.call("repoInfo", vec![Value::Int(repo_id), Value::Bool(true)]).await?;
    if field_int(&info, "state")? != 0 {
        return Err(TaskError::generic(format!("Repo {repo_id} not in INIT state")));
    }
    let repos = ctx.config.topdir.join("repos");
    if !repos.is_dir() {
        return Err(TaskError::Refuse("No access to repos dir".into()));
    }
    let tag_name = field_str(&info, "tag_name")?;
    let repodir = repos.join(&tag_name).join(repo_id.to_string());
    let archdir = repodir.join(&arch);
    let pkglist = archdir.join("pkglist");
    let has_pkgs = std::fs::metadata(&pkglist).is_ok_and(|m| m.len() > 0);
    let outdir = ctx.workdir.join("repo");
    std::fs::create_dir_all(&outdir).map_err(|e| TaskError::generic(format!("{}: {e}", outdir.display())))?;
    let log = ctx.workdir.join("createrepo.log");
    let comps = repodir.join("groups/comps.xml");

    let mut cmd = vec!["/usr/bin/createrepo_c".to_owned(), "--error-exit-val".into(), "-vd".into(), "-o".into()];
    cmd.push(outdir.to_string_lossy().into_owned());
    if has_pkgs {
        cmd.extend(["-i".to_owned(), pkglist.to_string_lossy().into_owned()]);
    }
    if comps.is_file() {
        cmd.extend(["-g".to_owned(), comps.to_string_lossy().into_owned()]);
    }
    if has_pkgs && let Some(old) = oldrepo.as_ref().filter(|o| !o.is_nil()) {
        let old_data = repos
            .join(field_str(old, "tag_name").unwrap_or_else(|_| tag_name.clone()))
            .join(field_int(old, "id")?.to_string())
            .join(&arch)
            .join("repodata");
        if old_data.is_dir() {
            copy_dir(&old_data, &outdir.join("repodata"))?;
            let _ = std::fs::remove_file(outdir.join("repodata/pkgorigins.gz"));
            cmd.extend(["--update".to_owned(), "--skip-stat".to_owned()]);
        }
    }
    cmd.push(if has_pkgs { archdir.to_string_lossy().into_owned() } else { outdir.to_string_lossy().into_owned() });
    run(&ctx, &cmd, &log).await?;

    let external = ctx
        .call(
            "getTagExternalRepos",
            vec![kwargs(vec![
                ("tag_info", field(&info, "tag_id").cloned().unwrap_or_default()),
                ("event", field(&info, "create_event").cloned().unwrap_or_default()),
            ])],
        )
        .await?;
    let external: Vec<Value> = external
        .as_array()
        .unwrap_or_default()
        .iter()
        .filter(|r| field(r, "arches").and_then(Value::as_str).is_none_or(|a| a.split_whitespace().any(|x| x == arch)))
        .cloned()
        .collect();
    if !external.is_empty() {
        merge(&ctx, &outdir, &repodir, &arch, repo_id, &external).await?;
    } else if !has_pkgs {
        std::fs::write(outdir.join("repodata/EMPTY_REPO"), b"").map_err(|e| TaskError::generic(e.to_string()))?;
    }

    ctx.upload(&log, "createrepo.log").await?;
    let mut files = Vec::new();
    let data = outdir.join("repodata");
    let mut entries: Vec<_> = std::fs::read_dir(&data)
        .map_err(|e| TaskError::generic(format!("{}: {e}", data.display())))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    entries.sort();
    for f in entries {
        let name = file_name(&f);
        ctx.upload(&f, &name).await?;
        files.push(Value::String(name));
    }
    Ok(Value::Array(vec![ctx.upload_dir().into(), Value::Array(files)]))
}

/// Koji's `merge_repos` in `koji` mode: our repo first (its packages win by srpm name), blocked names dropped.
async fn merge(
    ctx: &TaskCtx,
    outdir: &Path,
    repodir: &Path,
    arch: &str,
    repo_id: i64,
    external: &[Value],
) -> Result<(), TaskError> {
    let premerge = ctx.workdir.join(format!("repo_{repo_id}_premerge"));
    std::fs::rename(outdir, &premerge).map_err(|e| TaskError::generic(e.to_string()))?;
    std::fs::create_dir_all(outdir).map_err(|e| TaskError::generic(e.to_string()))?;
    let mut cmd = vec!["/usr/bin/mergerepo_c".to_owned(), "--koji".into()];
    let blocklist = repodir.join(arch).join("blocklist");
    cmd.extend(["-b".to_owned(), blocklist.to_string_lossy().into_owned(), "-a".into(), arch.into()]);
    cmd.extend(["-o".to_owned(), outdir.to_string_lossy().into_owned(), "--arch-expand".into()]);
    let comps = repodir.join("groups/comps.xml");
    if comps.is_file() {
        cmd.extend(["-g".to_owned(), comps.to_string_lossy().into_owned()]);
    }
    cmd.extend(["-r".to_owned(), format!("file://{}/", premerge.display())]);
    for r in external {
        let url = field_str(r, "url")?.replace("$arch", arch);
        cmd.extend(["-r".to_owned(), url]);
    }
    run(ctx, &cmd, &ctx.workdir.join("mergerepos.log")).await?;
    ctx.upload(&ctx.workdir.join("mergerepos.log"), "mergerepos.log").await?;
    Ok(())
}

async fn run(ctx: &TaskCtx, argv: &[String], log: &Path) -> Result<(), TaskError> {
    let mut cmd = tokio::process::Command::new(&argv[0]);
    cmd.args(&argv[1..]).env("TMPDIR", &ctx.workdir);
    let status = ctx.run(&mut cmd, log).await?;
    if !status.success() {
        let name = file_name(Path::new(&argv[0]));
        return Err(TaskError::generic(format!("{name} failed: {status}; see {}", file_name(log))));
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), TaskError> {
    let err = |e: std::io::Error| TaskError::generic(format!("copying {}: {e}", from.display()));
    std::fs::create_dir_all(to).map_err(err)?;
    for e in std::fs::read_dir(from).map_err(err)? {
        let e = e.map_err(err)?;
        if e.path().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).map_err(err)?;
        }
    }
    Ok(())
}
