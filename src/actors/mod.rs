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
use std::time::Duration;

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
