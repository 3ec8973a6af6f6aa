//! Koji's `RebuildSRPM` (`rebuildSRPM srpm, build_tag, opts`): the uploaded SRPM remade in an `srpm-build`
//! buildroot, so it carries the build tag's macros (`%dist`) like the rpms that will be built from it.

use crate::builder::arches::buildroot_arch;
use crate::builder::buildroot::Buildroot;
use crate::builder::task::{TaskArgs, TaskCtx, TaskError, TaskResult, field_str, file_name, strukt};
use crate::rpms::file::RpmFile;
use crate::xmlrpc::Value;
use std::sync::Arc;

pub const METHODS: &[&str] = &["rebuildSRPM"];
pub const WEIGHT: f64 = 1.0;

pub async fn handle(ctx: Arc<TaskCtx>, args: TaskArgs) -> TaskResult {
    let srpm_path = args.str(0, "srpm")?;
    let tag = args.required(1, "build_tag")?.clone();
    let repo_id = repo_id(&args.opts(2, "opts"))?;
    let local = ctx.download(&format!("work/{srpm_path}")).await?;
    let broot = srpm_buildroot(&ctx, &tag, repo_id).await?;
    let made = async {
        broot.init().await?;
        broot.rebuild_srpm(&local).await
    }
    .await;
    let basename = srpm_path.rsplit('/').next().unwrap_or(&srpm_path).to_owned();
    let mut out = upload_srpm(&ctx, &broot, made).await?;
    out.push(("source", strukt(vec![("source", basename.clone().into()), ("url", basename.into())])));
    Ok(strukt(out))
}

pub fn repo_id(opts: &crate::xmlrpc::Struct) -> Result<i64, TaskError> {
    opts.get("repo_id").and_then(Value::as_i64).ok_or_else(|| TaskError::generic("opts.repo_id is required"))
}

/// An `srpm-build` buildroot on a noarch-capable arch of this host (Koji's `find_arch('noarch', …)`).
pub async fn srpm_buildroot(ctx: &Arc<TaskCtx>, tag: &Value, repo_id: i64) -> Result<Buildroot, TaskError> {
    let host = ctx.call("host.getHost", vec![]).await?;
    let config = ctx.call("getBuildConfig", vec![tag.clone()]).await?;
    let arch =
        buildroot_arch("noarch", &field_str(&host, "arches")?, &field_str(&config, "arches").unwrap_or_default())?;
    Buildroot::new(ctx.clone(), tag, repo_id, &arch, "srpm-build").await
}

/// Checks the SRPM's name against its header (Koji: it must be `N-V-R.src.rpm`), uploads it, expires the
/// buildroot, and gives the result fields `srpm`, `logs`, `brootid`.
pub async fn upload_srpm(
    ctx: &TaskCtx,
    broot: &Buildroot,
    made: Result<std::path::PathBuf, TaskError>,
) -> Result<Vec<(&'static str, Value)>, TaskError> {
    let checked = made.and_then(|srpm| {
        let header = RpmFile::read(&srpm).map_err(|e| TaskError::generic(e.to_string()))?;
        let name = file_name(&srpm);
        let expected = format!("{}.src.rpm", header.nvr());
        if name != expected {
            return Err(TaskError::build(format!("srpm name mismatch: {name} != {expected}")));
        }
        Ok((srpm, name))
    });
    let (srpm, name) = match checked {
        Ok(x) => x,
        Err(e) => {
            broot.expire().await;
            return Err(e);
        }
    };
    let uploaded = ctx.upload(&srpm, &name).await?;
    let logs = broot.log_names().into_iter().map(|n| Value::String(format!("{}/{n}", ctx.upload_dir()))).collect();
    broot.expire().await;
    Ok(vec![("srpm", uploaded.into()), ("logs", Value::Array(logs)), ("brootid", Value::Int(broot.id))])
}
