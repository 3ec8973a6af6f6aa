//! Koji's `BuildArchTask` (`buildArch pkg, root, arch, keep_srpm, opts`): one arch of a build in a fresh
//! buildroot of the build tag's repo; uploads the rpms (and the SRPM when `keep_srpm`) and logs, and returns
//! their paths relative to `work/` with the buildroot id.

use crate::builder::arches::buildroot_arch;
use crate::builder::buildroot::Buildroot;
use crate::builder::task::{TaskArgs, TaskCtx, TaskError, TaskResult, field_str, strukt};
use crate::rpms::file::{RpmFile, header_fields};
use crate::xmlrpc::Value;
use std::sync::Arc;

pub const METHODS: &[&str] = &["buildArch"];
pub const WEIGHT: f64 = 1.5;

pub async fn handle(ctx: Arc<TaskCtx>, args: TaskArgs) -> TaskResult {
    let pkg = args.str(0, "pkg")?;
    let root = args.required(1, "root")?.clone();
    let arch = args.str(2, "arch")?;
    let keep_srpm = args.get(3, "keep_srpm").is_some_and(Value::truthy);
    let repo_id = args
        .opts(4, "opts")
        .get("repo_id")
        .and_then(Value::as_i64)
        .ok_or_else(|| TaskError::generic("buildArch needs opts.repo_id"))?;
    let srpm = ctx.download(&format!("work/{pkg}")).await?;
    if !pkg.ends_with(".src.rpm") {
        return Err(TaskError::build(format!("not a source package: {pkg}")));
    }
    update_weight(&ctx, &srpm).await;
    let host = ctx.call("host.getHost", vec![]).await?;
    let config = ctx.call("getBuildConfig", vec![root.clone()]).await?;
    let br_arch =
        buildroot_arch(&arch, &field_str(&host, "arches")?, &field_str(&config, "arches").unwrap_or_default())?;
    let broot = Buildroot::new(ctx.clone(), &root, repo_id, &br_arch, "build").await?;
    let built = async {
        broot.init().await?;
        broot.build(&srpm, &arch).await
    }
    .await;
    let files = match built {
        Ok(f) => f,
        Err(e) => {
            broot.expire().await;
            return Err(e);
        }
    };
    let (mut rpms, mut srpms) = (vec![], vec![]);
    for f in files {
        let name = crate::builder::task::file_name(&f);
        if name.ends_with(".src.rpm") {
            if keep_srpm {
                srpm_sanity_checks(&f)?;
                srpms.push(Value::String(ctx.upload(&f, &name).await?));
            }
        } else {
            rpms.push(Value::String(ctx.upload(&f, &name).await?));
        }
    }
    if keep_srpm && srpms.len() != 1 {
        return Err(TaskError::build(format!("expected one srpm, got {}", srpms.len())));
    }
    let logs = broot.log_names().into_iter().map(|n| Value::String(format!("{}/{n}", ctx.upload_dir()))).collect();
    broot.expire().await;
    Ok(strukt(vec![
        ("rpms", Value::Array(rpms)),
        ("srpms", Value::Array(srpms)),
        ("logs", Value::Array(logs)),
        ("brootid", Value::Int(broot.id)),
    ]))
}

/// Koji's `updateWeight`: a package that builds long weighs more (`1.5 + min(18, mean seconds / 4800)`).
async fn update_weight(ctx: &TaskCtx, srpm: &std::path::Path) {
    let Ok(header) = RpmFile::read(srpm) else { return };
    let avg = ctx.call("getAverageBuildDuration", vec![header.name.into(), Value::Int(6)]).await;
    if let Ok(Value::Double(secs)) = avg {
        let weight = WEIGHT + (secs / 4800.0).min(18.0);
        let _ = ctx.call("host.setTaskWeight", vec![Value::Int(ctx.id.into()), Value::Double(weight)]).await;
    }
}

/// Koji's `srpm_sanity_checks`: the imported SRPM must carry the packager, vendor and distribution the build
/// system set.
fn srpm_sanity_checks(srpm: &std::path::Path) -> Result<(), TaskError> {
    let names = ["packager", "vendor", "distribution"].map(str::to_owned);
    let h = header_fields(srpm, Some(&names)).map_err(|e| TaskError::build(e.to_string()))?;
    for tag in names {
        if h.get(&tag).is_none_or(|v| v.is_nil() || v.as_str() == Some("")) {
            return Err(TaskError::build(format!("The build system failed to set the {tag} tag")));
        }
    }
    Ok(())
}
