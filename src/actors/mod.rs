//! The hub's actor tree. `HubSupervisor` owns the children's slots and restarts any child that dies; each child
//! owns one piece of live state and is reached only through messages (see each file).
//!
//! ```text
//! HubSupervisor ─┬─ SessionRegistry   sessions: validation in memory, coalesced writes
//!                ├─ TaskScheduler     placement (leader only), batched durable assignments
//!                ├─ RepoManager       repo requests, regens, expiry (leader only); repo.waitRequest wake-ups
//!                └─ HostRegistry      live builder state, heartbeats, push connections
//!                     └─ BuilderSession (one per connected push builder, not supervised: it ends with its stream)
//! notify::spawn_listener  LISTEN koji_task/koji_host/koji_builder → TaskScheduler / HostRegistry,
//!                         koji_tag/koji_repo (and koji_task) → RepoManager
//! ```

pub mod builder_session;
pub mod host_registry;
pub mod repo_manager;
pub mod session_registry;
pub mod supervisor;
pub mod task_scheduler;

use actix::dev::ToEnvelope;
use actix::{Actor, Addr, Handler, MailboxError, Message};
use std::sync::Arc;
use std::time::Duration;

/// One round of a leader election by PostgreSQL advisory lock on a dedicated connection (the scheduler and the
/// repo manager each lead one per database). The leader checks its connection is alive (`Ok(None)`; an error
/// means it must step down); anyone else tries the lock on a fresh connection (`Ok(Some(client))` when it won).
pub async fn election_round(
    leader: Option<Arc<tokio_postgres::Client>>,
    pg: tokio_postgres::Config,
    lock: i64,
    what: &'static str,
) -> Result<Option<tokio_postgres::Client>, tokio_postgres::Error> {
    if let Some(client) = leader {
        client.simple_query("SELECT 1").await?;
        return Ok(None);
    }
    let (client, conn) = pg.connect(tokio_postgres::NoTls).await?;
    actix_rt::spawn(async move {
        if let Err(e) = conn.await {
            tracing::warn!(error = %e, "{what} leader connection closed");
        }
    });
    let won: bool = client.query_one("SELECT pg_try_advisory_lock($1)", &[&lock]).await?.get(0);
    Ok(won.then_some(client))
}

/// A name for metrics and logs.
pub trait NamedActor: Actor {
    const NAME: &'static str;
}

/// Request/response to an actor with a timeout, counted in `koji_actor_mailbox_depth` while it is in flight
/// (queued or being handled), so a backed-up actor shows on `/metrics`.
pub async fn ask<A, M>(addr: &Addr<A>, msg: M) -> Result<M::Result, MailboxError>
where
    A: NamedActor + Handler<M>,
    A::Context: ToEnvelope<A, M>,
    M: Message + Send + 'static,
    M::Result: Send,
{
    let depth = metrics::gauge!("koji_actor_mailbox_depth", "actor" => A::NAME);
    depth.increment(1.0);
    let result = addr.send(msg).timeout(Duration::from_secs(30)).await;
    depth.decrement(1.0);
    result
}
