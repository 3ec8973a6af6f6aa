//! The hub's PostgreSQL listener: one dedicated connection per hub process that LISTENs on `koji_task`,
//! `koji_host`, `koji_builder`, `koji_tag` and `koji_repo` and forwards each notification to the actor that
//! owns it. Notifications arrive
//! only after the writing transaction commits. They are hints: after any reconnect the scheduler rebuilds
//! from the tables, since notifications are lost while nobody listens.

use crate::actors::host_registry::{Deliver, HostRegistry};
use crate::actors::repo_manager::{self, RepoChanged, RepoManager, TagChanged, TaskChanged};
use crate::actors::supervisor::Slot;
use crate::actors::task_scheduler::{HostChanged, Reconcile, Rescan, TaskScheduler};
use crate::protocol::ToBuilder;
use futures_util::StreamExt;
use std::time::Duration;
use tokio_postgres::AsyncMessage;

/// The actors the listener feeds.
#[derive(Clone)]
pub struct Listeners {
    pub scheduler: Slot<TaskScheduler>,
    pub registry: Slot<HostRegistry>,
    pub repos: Slot<RepoManager>,
}

pub fn spawn_listener(pg: tokio_postgres::Config, to: Listeners) {
    actix_rt::spawn(async move {
        let mut first = true;
        loop {
            match listen(&pg, &to, first).await {
                Ok(()) => tracing::warn!("notification listener connection ended; reconnecting"),
                Err(e) => tracing::warn!(error = %e, "notification listener failed; reconnecting"),
            }
            first = false;
            actix_rt::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

async fn listen(pg: &tokio_postgres::Config, to: &Listeners, first: bool) -> Result<(), tokio_postgres::Error> {
    let Listeners { scheduler, registry, repos } = to;
    let (client, mut conn) = pg.connect(tokio_postgres::NoTls).await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let driver = actix_rt::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
        while let Some(m) = messages.next().await {
            match m {
                Ok(AsyncMessage::Notification(n)) => {
                    if tx.send(n).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "listener connection error");
                    break;
                }
            }
        }
    });
    client
        .batch_execute("LISTEN koji_task; LISTEN koji_host; LISTEN koji_builder; LISTEN koji_tag; LISTEN koji_repo")
        .await?;
    if !first {
        scheduler.get().do_send(Rescan);
        repos.get().do_send(repo_manager::Rescan);
    }
    while let Some(n) = rx.recv().await {
        match n.channel() {
            "koji_task" => {
                if let Ok(id) = n.payload().parse() {
                    scheduler.get().do_send(Reconcile(vec![id]));
                    repos.get().do_send(TaskChanged(id));
                }
            }
            "koji_host" => {
                let (id, lost) = match n.payload().split_once(':') {
                    Some((id, "lost")) => (id, true),
                    _ => (n.payload(), false),
                };
                if let Ok(host) = id.parse() {
                    scheduler.get().do_send(HostChanged { host, lost });
                }
            }
            "koji_builder" => {
                if let Some((host, message)) = ToBuilder::from_notification(n.payload()) {
                    registry.get().do_send(Deliver { host, message });
                }
            }
            "koji_tag" => {
                if let Ok(id) = n.payload().parse() {
                    repos.get().do_send(TagChanged(id));
                }
            }
            "koji_repo" => {
                let request = n.payload().strip_prefix("request:").and_then(|id| id.parse().ok());
                repos.get().do_send(RepoChanged { request });
            }
            _ => {}
        }
    }
    driver.abort();
    Ok(())
}
