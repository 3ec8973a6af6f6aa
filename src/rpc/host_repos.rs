//! The repo calls of Koji's HostExports: `host.repoInit` (the newRepo task's first step) and `host.repoDone`
//! (its last, after the createrepo subtasks uploaded their repodata).

use super::CallCtx;
use super::args::{Flag, InfoRef};
use super::host::require_host;
use super::registry::Registry;
use crate::fault::KojiResult;
use crate::repos::{done, init};
use crate::xmlrpc::{Struct, Value};
use serde::Deserialize;

#[derive(Deserialize)]
struct RepoInit {
    tag: InfoRef,
    task_id: Option<i32>,
    event: Option<i32>,
    opts: Option<Value>,
}

#[derive(Deserialize)]
struct RepoDone {
    repo_id: i32,
    data: Struct,
    expire: Flag,
    repo_json_updates: Option<Struct>,
}

fn seconds(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Double(d) => Some(*d),
        Value::Int(i) => Some(*i as f64),
        _ => None,
    }
}

async fn repo_init(ctx: CallCtx, a: RepoInit) -> KojiResult<(i32, i32)> {
    require_host(&ctx).await?;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let out = init::repo_init(&tx, &ctx.hub.config, &a.tag, a.task_id, a.event, a.opts.as_ref()).await?;
    tx.commit().await?;
    ctx.committed();
    Ok(out)
}

async fn repo_done(ctx: CallCtx, a: RepoDone) -> KojiResult<()> {
    require_host(&ctx).await?;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let repo =
        done::repo_done(&tx, &ctx.hub.config, a.repo_id, &a.data, a.expire.0, a.repo_json_updates.as_ref()).await?;
    tx.commit().await?;
    ctx.committed();
    // From the newRepo task's creation (or the repo's, without a task) to READY.
    let started = match repo.get("task_id").and_then(Value::as_i64) {
        Some(task) => {
            crate::tasks::task_info(&client, task as i32, false).await?.and_then(|t| seconds(t.get("create_ts")))
        }
        None => None,
    }
    .or_else(|| seconds(repo.get("creation_ts")));
    if let Some(start) = started {
        let now = chrono::Utc::now().timestamp_micros() as f64 / 1e6;
        metrics::histogram!("koji_repo_regen_duration_seconds").record((now - start).max(0.0));
    }
    Ok(())
}

pub fn register(r: &mut Registry) {
    r.add(
        "host.repoInit",
        "tag, task_id=None, event=None, opts=None",
        "Create an INIT repo and its package lists: [repo_id, event_id].",
        repo_init,
    );
    r.add(
        "host.repoDone",
        "repo_id, data, expire=False, repo_json_updates=None",
        "Move uploaded repodata into place and mark the repo READY.",
        repo_done,
    );
}
