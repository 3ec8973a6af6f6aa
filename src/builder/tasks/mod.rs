//! The task handlers, a registry as Koji's `TaskManager.findHandlers`: one file per handler, each with
//! `METHODS` (the task methods it runs), `WEIGHT` (Koji's `_taskWeight`, sent with `host.setTaskWeight` when
//! the task opens) and `handle(ctx, args)`. A method no handler lists is refused for good.
//!
//! Adding a task type: write `src/builder/tasks/<name>.rs` with those three items and add `<name>` to the
//! `handlers!` list below.

use super::task::{TaskArgs, TaskCtx, TaskResult};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub mod build;
pub mod build_arch;
pub mod build_srpm_from_scm;
pub mod chainbuild;
pub mod createrepo;
pub mod new_repo;
pub mod rebuild_srpm;
pub mod restart;
pub mod restart_hosts;
pub mod restart_verify;
pub mod sleep;
pub mod tag_build;
pub mod waitrepo;
pub mod waittest;

pub type HandlerFuture = Pin<Box<dyn Future<Output = TaskResult> + Send>>;

/// A registered handler.
#[derive(Clone, Copy)]
pub struct Handler {
    pub weight: f64,
    pub run: fn(Arc<TaskCtx>, TaskArgs) -> HandlerFuture,
}

macro_rules! handlers {
    ($($m:ident),* $(,)?) => {
        /// The handler of a task method, if this builder has one.
        pub fn lookup(method: &str) -> Option<Handler> {
            $(
                if $m::METHODS.contains(&method) {
                    return Some(Handler { weight: $m::WEIGHT, run: |ctx, args| Box::pin($m::handle(ctx, args)) });
                }
            )*
            None
        }

        /// Every method this builder runs (for the registry's own test).
        #[cfg(test)]
        pub fn methods() -> Vec<&'static str> {
            let mut all = Vec::new();
            $( all.extend_from_slice($m::METHODS); )*
            all
        }
    };
}

handlers!(
    build,
    build_arch,
    build_srpm_from_scm,
    chainbuild,
    rebuild_srpm,
    tag_build,
    waitrepo,
    new_repo,
    createrepo,
    restart,
    restart_verify,
    restart_hosts,
    sleep,
    waittest,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_has_one_handler() {
        let methods = methods();
        for m in
            ["build", "buildArch", "buildSRPMFromSCM", "rebuildSRPM", "tagBuild", "waitrepo", "newRepo", "createrepo"]
        {
            assert!(methods.contains(&m), "{m}");
        }
        let mut unique = methods.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), methods.len());
        assert!(lookup("buildMaven").is_none());
        assert_eq!(lookup("buildArch").unwrap().weight, 1.5);
    }
}
