//! Keeps the hub's actors alive.
//!
//! actix's own `Supervisor` restarts an actor only when it stops; a panic in a handler instead leaves a dead
//! mailbox behind (every later `send` fails with `MailboxError::Closed`). So the HTTP layer never holds an `Addr`
//! directly: it reads the current one from a `Slot`, and `HubSupervisor` checks its children every
//! `CHECK_INTERVAL`, starting a fresh actor into the slot when one is gone. Actors rebuild their state from
//! PostgreSQL, which stays the source of truth.

use super::NamedActor;
use actix::{Actor, Addr, AsyncContext, Context};
use std::sync::{Arc, RwLock};
use std::time::Duration;

const CHECK_INTERVAL: Duration = Duration::from_millis(500);

/// The current address of a supervised actor.
pub struct Slot<A: Actor>(Arc<RwLock<Addr<A>>>);

impl<A: Actor> Clone for Slot<A> {
    fn clone(&self) -> Self {
        Slot(self.0.clone())
    }
}

impl<A: Actor> Slot<A> {
    pub fn get(&self) -> Addr<A> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

trait Child {
    /// Restarts the child if its mailbox is closed; returns whether it did.
    fn revive(&self) -> bool;
}

struct SupervisedChild<A: NamedActor> {
    slot: Slot<A>,
    start: Box<dyn Fn() -> Addr<A>>,
}

impl<A: NamedActor> Child for SupervisedChild<A> {
    fn revive(&self) -> bool {
        if self.slot.get().connected() {
            return false;
        }
        tracing::error!(actor = A::NAME, "actor died; restarting it");
        metrics::counter!("koji_actor_restarts_total", "actor" => A::NAME).increment(1);
        *self.slot.0.write().unwrap_or_else(|p| p.into_inner()) = (self.start)();
        true
    }
}

#[derive(Default)]
pub struct HubSupervisor {
    children: Vec<Box<dyn Child>>,
}

impl HubSupervisor {
    /// Starts an actor with `start` (called again for every restart) and returns its slot.
    pub fn supervise<A: NamedActor>(&mut self, start: impl Fn() -> Addr<A> + 'static) -> Slot<A> {
        metrics::counter!("koji_actor_restarts_total", "actor" => A::NAME).absolute(0);
        let slot = Slot(Arc::new(RwLock::new(start())));
        self.children.push(Box::new(SupervisedChild { slot: slot.clone(), start: Box::new(start) }));
        slot
    }
}

impl Actor for HubSupervisor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.run_interval(CHECK_INTERVAL, |act, _| {
            for child in &act.children {
                child.revive();
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix::{Handler, Message};

    struct Fragile;
    impl Actor for Fragile {
        type Context = Context<Self>;
    }
    impl NamedActor for Fragile {
        const NAME: &'static str = "Fragile";
    }

    #[derive(Message)]
    #[rtype(result = "u32")]
    struct Poke(bool);

    impl Handler<Poke> for Fragile {
        type Result = u32;
        fn handle(&mut self, m: Poke, _: &mut Context<Self>) -> u32 {
            assert!(!m.0, "poked to death");
            7
        }
    }

    #[actix_rt::test]
    async fn a_panicked_actor_is_replaced_in_its_slot() {
        let mut sup = HubSupervisor::default();
        let slot = sup.supervise(|| Fragile.start());
        sup.start();
        assert_eq!(slot.get().send(Poke(false)).await.unwrap(), 7);
        assert!(slot.get().send(Poke(true)).await.is_err(), "the panic kills the handler");
        let mut revived = false;
        for _ in 0..40 {
            actix_rt::time::sleep(Duration::from_millis(50)).await;
            if let Ok(v) = slot.get().send(Poke(false)).await {
                assert_eq!(v, 7);
                revived = true;
                break;
            }
        }
        assert!(revived, "the supervisor did not restart the actor");
    }
}
