//! Buildroots: every environment a build ran in (`buildroot`), with the Koji-managed details of mock roots
//! (`standard_buildroot`: host, repo, task, state). `listBuildroots` is what `hostinfo` shows.

pub mod standard;

use crate::builds::decode_extra;
use crate::db::query::{QueryOpts, Select};
use crate::fault::KojiResult;
use crate::rpc::CallCtx;
use crate::rpc::args::OneOrMany;
use crate::xmlrpc::Value;

/// Koji's buildroot record (`query_buildroots`).
const BUILDROOT_COLUMNS: &[(&str, &str)] = &[
    ("id", "buildroot.id"),
    ("br_type", "buildroot.br_type"),
    ("cg_id", "buildroot.cg_id"),
    ("cg_name", "content_generator.name"),
    ("cg_version", "buildroot.cg_version"),
    ("container_arch", "buildroot.container_arch"),
    ("arch", "buildroot.container_arch"),
    ("container_type", "buildroot.container_type"),
    ("host_os", "buildroot.host_os"),
    ("host_arch", "buildroot.host_arch"),
    ("extra", "buildroot.extra"),
    ("state", "standard_buildroot.state"),
    ("task_id", "standard_buildroot.task_id"),
    ("host_id", "host.id"),
    ("host_name", "host.name"),
    ("repo_id", "repo.id"),
    ("repo_state", "repo.state"),
    ("tag_id", "tag.id"),
    ("tag_name", "tag.name"),
    ("create_event_id", "create_events.id"),
    ("create_event_time", "create_events.time"),
    ("create_ts", "date_part('epoch', create_events.time)"),
    ("retire_event_id", "retire_events.id"),
    ("retire_event_time", "retire_events.time"),
    ("retire_ts", "date_part('epoch', retire_events.time)"),
    ("repo_create_event_id", "repo_create.id"),
    ("repo_create_event_time", "repo_create.time"),
];

const BUILDROOT_FROM: &str = "buildroot \
     LEFT JOIN standard_buildroot ON standard_buildroot.buildroot_id = buildroot.id \
     LEFT JOIN content_generator ON buildroot.cg_id = content_generator.id \
     LEFT JOIN host ON host.id = standard_buildroot.host_id \
     LEFT JOIN repo ON repo.id = standard_buildroot.repo_id \
     LEFT JOIN tag ON tag.id = repo.tag_id \
     LEFT JOIN events AS create_events ON create_events.id = standard_buildroot.create_event \
     LEFT JOIN events AS retire_events ON retire_events.id = standard_buildroot.retire_event \
     LEFT JOIN events AS repo_create ON repo_create.id = repo.create_event";

#[derive(Debug, Default)]
pub struct BuildrootFilter {
    pub host: Option<i32>,
    pub tag: Option<i32>,
    pub state: Option<OneOrMany<i32>>,
    pub rpm: Option<i32>,
    pub archive: Option<i32>,
    pub task: Option<i32>,
    pub buildroot: Option<OneOrMany<i32>>,
    pub repo: Option<i32>,
}

/// `listBuildroots`: one query; the rpm, archive, task and repo filters are subselects.
pub async fn list_buildroots(ctx: &CallCtx, f: BuildrootFilter, opts: &QueryOpts) -> KojiResult<Value> {
    let mut q = Select::new(BUILDROOT_COLUMNS, BUILDROOT_FROM, "id");
    if let Some(ids) = f.buildroot {
        q.filter("buildroot.id = ANY($?)", ids.into_vec());
    }
    if let Some(host) = f.host {
        q.filter("host.id = $?", host);
    }
    if let Some(tag) = f.tag {
        q.filter("tag.id = $?", tag);
    }
    if let Some(states) = f.state {
        q.filter("standard_buildroot.state = ANY($?)", states.into_vec());
    }
    if let Some(rpm) = f.rpm {
        q.filter("buildroot.id IN (SELECT buildroot_id FROM buildroot_listing WHERE rpm_id = $?)", rpm);
    }
    if let Some(archive) = f.archive {
        q.filter("buildroot.id IN (SELECT buildroot_id FROM buildroot_archives WHERE archive_id = $?)", archive);
    }
    if let Some(task) = f.task {
        q.filter("standard_buildroot.task_id = $?", task);
    }
    // Koji ignores a zero repoID.
    if let Some(repo) = f.repo.filter(|r| *r != 0) {
        q.filter("standard_buildroot.repo_id = $?", repo);
    }
    let mut rows = q.fetch(&ctx.db().await?, opts).await?;
    decode_extra(&mut rows);
    Ok(rows)
}
