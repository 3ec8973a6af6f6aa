//! The Prometheus `/metrics` endpoint. Actors and handlers record through the `metrics` macros; this installs
//! the recorder (with real histogram buckets, not the exporter's default summaries) and renders it.

use actix_web::{HttpResponse, web};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

const LATENCY_BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

pub fn install() -> anyhow::Result<PrometheusHandle> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)?
        .install_recorder()?;
    metrics::describe_counter!("koji_rpc_calls_total", "XML-RPC calls by method");
    metrics::describe_histogram!("koji_rpc_duration_seconds", metrics::Unit::Seconds, "XML-RPC call latency by method");
    metrics::describe_counter!("koji_rpc_faults_total", "XML-RPC faults by Koji fault code");
    metrics::describe_gauge!("koji_sessions_active", "Sessions held in the SessionRegistry");
    metrics::describe_gauge!("koji_actor_mailbox_depth", "Messages queued or in progress per actor");
    metrics::describe_counter!("koji_actor_restarts_total", "Actor restarts by the supervisor");
    metrics::describe_gauge!("koji_scheduler_queue_depth", "FREE tasks per channel and arch");
    metrics::describe_histogram!(
        "koji_scheduler_placement_latency_seconds",
        metrics::Unit::Seconds,
        "Task creation to durable assignment"
    );
    metrics::describe_histogram!("koji_scheduler_persist_seconds", metrics::Unit::Seconds, "Time to persist a batch");
    metrics::describe_counter!("koji_scheduler_assignments_total", "Durable assignments (rate: assignments/s)");
    metrics::describe_counter!("koji_scheduler_refusals_total", "Task refusals by builders");
    metrics::describe_gauge!("koji_scheduler_leader", "1 on the hub whose scheduler leads");
    metrics::describe_gauge!("koji_scheduler_hosts_ready", "Ready, enabled hosts the scheduler places on");
    metrics::describe_gauge!("koji_scheduler_capacity", "Capacity of ready hosts");
    metrics::describe_gauge!("koji_scheduler_capacity_used", "Load placed on ready hosts");
    metrics::describe_gauge!("koji_hosts_connected", "Push builders connected to this hub");
    metrics::describe_gauge!("koji_host_heartbeat_lag_seconds", "Oldest heartbeat among ready hosts");
    Ok(handle)
}

pub async fn endpoint(handle: web::Data<PrometheusHandle>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(handle.render())
}
