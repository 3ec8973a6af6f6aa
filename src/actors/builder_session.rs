//! `BuilderSession`: one per connected push builder. It owns the builder's WebSocket: decodes its frames into
//! registry reports and task transitions, and turns the hub's `ToBuilder` messages into frames.

use super::host_registry::{Attach, Detach, HostRegistry, Report};
use crate::protocol::{self, FromBuilder, FromHub, PROTOCOL_VERSION, TaskOffer, ToBuilder};
use crate::rpc::Hub;
use crate::tasks::host_side;
use crate::xmlrpc::Value;
use actix::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

/// An offer is not repeated within this time: the same assignment can reach the session twice (the
/// scheduler's notification and the ASSIGNED tasks listed at `Hello`), and a builder that accepted the first
/// copy must not see a second one.
const OFFER_REPEAT: Duration = Duration::from_secs(10);

pub struct BuilderSession {
    host: i32,
    hub: Arc<Hub>,
    registry: Addr<HostRegistry>,
    out: UnboundedSender<Vec<u8>>,
    greeted: bool,
    /// Tasks offered and not yet accepted, refused or canceled, with when.
    offered: HashMap<i32, Instant>,
}

impl BuilderSession {
    pub fn new(host: i32, hub: Arc<Hub>, registry: Addr<HostRegistry>, out: UnboundedSender<Vec<u8>>) -> Self {
        BuilderSession { host, hub, registry, out, greeted: false, offered: HashMap::new() }
    }

    fn send(&self, frame: &FromHub) {
        let _ = self.out.send(protocol::encode(frame));
    }

    fn fail(&mut self, ctx: &mut Context<Self>, message: String) {
        tracing::warn!(host = self.host, %message, "closing builder stream");
        self.send(&FromHub::Error { message });
        ctx.stop();
    }

    fn report(&self, hb: &protocol::Heartbeat) {
        let data = serde_json::json!({ "maxjobs": hb.maxjobs, "free_mem_mb": hb.free_mem_mb, "free_disk_mb": hb.free_disk_mb });
        self.registry.do_send(Report { host: self.host, task_load: hb.load, ready: hb.ready, data: Some(data) });
    }

    /// After `Hello`: cancels the tasks the builder says it runs that are no longer this host's (reassigned or
    /// canceled while it was away), then offers every task ASSIGNED to it, so nothing is lost across a
    /// reconnect or a hub restart.
    fn resume(&self, running: Vec<i32>, ctx: &mut Context<Self>) {
        let (pool, host) = (self.hub.pool.clone(), self.host);
        ctx.spawn(
            async move {
                let db = pool.get().await?;
                let kept = crate::db::tasks::held_by(&db, &running, host).await?;
                let lost: Vec<i32> = running.into_iter().filter(|t| !kept.contains(t)).collect();
                Ok::<_, crate::fault::KojiError>((lost, crate::db::tasks::assigned_to(&db, host).await?))
            }
            .into_actor(self)
            .map(|result, act, ctx| match result {
                Ok((lost, assigned)) => {
                    for task in lost {
                        act.send(&FromHub::Cancel { task });
                    }
                    for t in assigned {
                        if let Some(id) = t.get("id").and_then(Value::as_i64) {
                            act.offer(id as i32, ctx);
                        }
                    }
                }
                Err(e) => tracing::error!(error = %e, "could not resume the builder's tasks"),
            }),
        );
    }

    fn offer(&self, task: i32, ctx: &mut Context<Self>) {
        let (pool, host) = (self.hub.pool.clone(), self.host);
        ctx.spawn(async move { crate::db::tasks::offer(&pool.get().await?, task, host).await }.into_actor(self).map(
            move |result: crate::fault::KojiResult<Option<TaskOffer>>, act, _| match result {
                Ok(Some(offer)) => {
                    let now = Instant::now();
                    act.offered.retain(|_, at| now.duration_since(*at) < OFFER_REPEAT);
                    if act.offered.insert(offer.id, now).is_none() {
                        act.send(&FromHub::Offer(offer));
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, task, "could not load offered task"),
            },
        ));
    }

    fn handle_frame(&mut self, frame: FromBuilder, ctx: &mut Context<Self>) {
        match frame {
            FromBuilder::Hello { heartbeat, running, .. } if !self.greeted => {
                self.greeted = true;
                self.registry.do_send(Attach { host: self.host, session: ctx.address().recipient() });
                self.report(&heartbeat);
                let heartbeat_secs = self.hub.config.builder_heartbeat.as_secs().max(1) as u32;
                self.send(&FromHub::Welcome { version: PROTOCOL_VERSION, host_id: self.host, heartbeat_secs });
                self.resume(running, ctx);
            }
            FromBuilder::Hello { .. } => self.fail(ctx, "Hello was already received".into()),
            _ if !self.greeted => self.fail(ctx, "the first frame must be Hello".into()),
            FromBuilder::Heartbeat(hb) => self.report(&hb),
            FromBuilder::Accept { task } => {
                self.offered.remove(&task);
                let (pool, host) = (self.hub.pool.clone(), self.host);
                // Idempotent: accepting a task that is already OPEN here (a repeated Accept) answers Opened.
                let opened = async move {
                    let db = pool.get().await?;
                    Ok::<_, crate::fault::KojiError>(
                        crate::db::tasks::open(&db, task, host).await?
                            || !crate::db::tasks::held_by(&db, &[task], host).await?.is_empty(),
                    )
                };
                ctx.spawn(opened.into_actor(self).map(move |result, act, _| match result {
                    Ok(true) => act.send(&FromHub::Opened { task }),
                    Ok(false) => act.send(&FromHub::Cancel { task }),
                    Err(e) => {
                        tracing::error!(error = %e, task, "open failed");
                        act.send(&FromHub::Cancel { task });
                    }
                }));
            }
            FromBuilder::Refuse { task, soft, reason } => {
                self.offered.remove(&task);
                let (pool, host) = (self.hub.pool.clone(), self.host);
                metrics::counter!("koji_scheduler_refusals_total", "soft" => soft.to_string()).increment(1);
                ctx.spawn(
                    async move {
                        let mut client = pool.get().await?;
                        let tx = client.transaction().await?;
                        host_side::refuse(&tx, host, task, soft, &reason).await?;
                        tx.commit().await?;
                        Ok::<_, crate::fault::KojiError>(())
                    }
                    .into_actor(self)
                    .map(move |r, _, _| {
                        if let Err(e) = r {
                            tracing::warn!(error = %e, task, "refusal failed");
                        }
                    }),
                );
            }
            FromBuilder::Progress { task, message } => tracing::debug!(host = self.host, task, %message, "progress"),
        }
    }
}

impl Actor for BuilderSession {
    type Context = Context<Self>;

    fn stopped(&mut self, ctx: &mut Self::Context) {
        if self.greeted {
            self.registry.do_send(Detach { host: self.host, session: ctx.address().recipient() });
        }
        tracing::info!(host = self.host, "builder stream closed");
    }
}

impl StreamHandler<Result<actix_ws::Message, actix_ws::ProtocolError>> for BuilderSession {
    fn handle(&mut self, msg: Result<actix_ws::Message, actix_ws::ProtocolError>, ctx: &mut Context<Self>) {
        match msg {
            Ok(actix_ws::Message::Binary(bytes)) => {
                // The version first: another version's Hello may not decode as this version's.
                if !self.greeted
                    && let Some(version) = protocol::hello_version(&bytes).filter(|v| *v != PROTOCOL_VERSION)
                {
                    return self.fail(
                        ctx,
                        format!(
                            "builder protocol version {version} is not supported; this hub speaks {PROTOCOL_VERSION}"
                        ),
                    );
                }
                match protocol::decode::<FromBuilder>(&bytes) {
                    Ok(frame) => self.handle_frame(frame, ctx),
                    Err(e) => self.fail(ctx, format!("undecodable frame: {e}")),
                }
            }
            Ok(actix_ws::Message::Close(_)) => ctx.stop(),
            Ok(actix_ws::Message::Ping(_) | actix_ws::Message::Pong(_)) => {}
            Ok(other) => self.fail(ctx, format!("unexpected message {other:?}; frames are binary")),
            Err(e) => {
                tracing::warn!(host = self.host, error = %e, "builder stream error");
                ctx.stop();
            }
        }
    }

    fn finished(&mut self, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

impl Handler<ToBuilder> for BuilderSession {
    type Result = ();
    fn handle(&mut self, msg: ToBuilder, ctx: &mut Context<Self>) {
        match msg {
            ToBuilder::Offer(task) => self.offer(task, ctx),
            ToBuilder::Cancel(task) => {
                self.offered.remove(&task);
                self.send(&FromHub::Cancel { task });
            }
            ToBuilder::Wake(task) => self.send(&FromHub::Wake { task }),
        }
    }
}
