//! Koji's `BuildSRPMFromSCMTask` (`buildSRPMFromSCM url, build_tag, opts`): checks the URL against
//! `allowed_scms`, checks the sources out (logged in `checkout.log`), finds exactly one spec, runs the
//! allowed `source_cmd`, and builds the SRPM in an `srpm-build` buildroot.

use super::rebuild_srpm::{repo_id, srpm_buildroot, upload_srpm};
use crate::builder::scm::Scm;
use crate::builder::task::{TaskArgs, TaskCtx, TaskError, TaskResult, strukt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const METHODS: &[&str] = &["buildSRPMFromSCM"];
pub const WEIGHT: f64 = 1.0;

pub async fn handle(ctx: Arc<TaskCtx>, args: TaskArgs) -> TaskResult {
    let url = args.str(0, "url")?;
    let tag = args.required(1, "build_tag")?.clone();
    let repo_id = repo_id(&args.opts(2, "opts"))?;
    let scm = Scm::parse(&url)?;
    let allowed = scm.assert_allowed(&ctx.config.allowed_scms)?;
    let broot = srpm_buildroot(&ctx, &tag, repo_id).await?;
    let made = async {
        broot.init().await?;
        let (dir, sha) = checkout(&ctx, &scm).await?;
        if let Some(cmd) = &allowed.source_cmd {
            let mut c = tokio::process::Command::new(&cmd[0]);
            c.args(&cmd[1..]).current_dir(&dir);
            let status = ctx.run(&mut c, &ctx.workdir.join("checkout.log")).await?;
            if !status.success() {
                return Err(TaskError::build(format!("Error running source command {}: {status}", cmd.join(" "))));
            }
        }
        let spec = find_spec(&dir)?;
        let sources = if dir.join("SOURCES").is_dir() { dir.join("SOURCES") } else { dir.clone() };
        Ok((broot.build_srpm(&spec, &sources).await?, sha))
    }
    .await;
    let log = ctx.workdir.join("checkout.log");
    if log.exists() {
        ctx.upload(&log, "checkout.log").await?;
    }
    let (made, sha) = match made {
        Ok((srpm, sha)) => (Ok(srpm), Some(sha)),
        Err(e) => (Err(e), None),
    };
    let mut out = upload_srpm(&ctx, &broot, made).await?;
    let source = scm.source_with(sha.as_deref().unwrap_or(&scm.revision));
    out.push(("source", strukt(vec![("source", source.into()), ("url", url.into())])));
    Ok(strukt(out))
}

/// `git clone -n` and `git reset --hard <rev>` (Koji's git checkout), logged to `checkout.log`; returns the
/// checkout and the full commit id.
async fn checkout(ctx: &TaskCtx, scm: &Scm) -> Result<(PathBuf, String), TaskError> {
    let log = ctx.workdir.join("checkout.log");
    let root = ctx.workdir.join("scmroot");
    let name = scm.repository.trim_end_matches('/').rsplit('/').next().unwrap_or("checkout").trim_end_matches(".git");
    let dir = root.join(if name.is_empty() { "checkout" } else { name });
    std::fs::create_dir_all(&root).map_err(|e| TaskError::generic(format!("{}: {e}", root.display())))?;
    let git = |args: &[&str], cwd: &Path| {
        let mut c = tokio::process::Command::new("git");
        c.args(args).current_dir(cwd);
        c
    };
    let dir_text = dir.to_string_lossy().into_owned();
    let steps: [(Vec<&str>, &Path); 2] =
        [(vec!["clone", "-n", &scm.clone_url, &dir_text], &root), (vec!["reset", "--hard", &scm.revision], &dir)];
    for (args, cwd) in steps {
        let status = ctx.run(&mut git(&args, cwd), &log).await?;
        if !status.success() {
            return Err(TaskError::build(format!(
                "Error running GIT command \"git {}\", see checkout.log for details",
                args.join(" ")
            )));
        }
    }
    let out = tokio::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(&dir)
        .output()
        .await
        .map_err(|e| TaskError::generic(format!("git rev-parse: {e}")))?;
    Ok((dir, String::from_utf8_lossy(&out.stdout).trim().to_owned()))
}

/// Exactly one `*.spec` at the top of the checkout, else in `SPECS/`.
fn find_spec(dir: &Path) -> Result<PathBuf, TaskError> {
    let specs = |d: &Path| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(d)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "spec"))
            .collect();
        v.sort();
        v
    };
    let mut found = specs(dir);
    if found.is_empty() {
        found = specs(&dir.join("SPECS"));
    }
    match found.len() {
        0 => Err(TaskError::build(format!("No spec file found in {}", dir.display()))),
        1 => Ok(found.remove(0)),
        _ => Err(TaskError::build(format!(
            "Multiple spec files found: {}",
            found.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        ))),
    }
}
