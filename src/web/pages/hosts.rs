//! `hosts`, `hostinfo` (channels, current tasks, buildroots, enable/disable), `channels`, `channelinfo` and
//! `clusterhealth` (capacity, load and readiness per channel, queue depth per channel and arch, as a chart).

use super::{Page, int_field, v};
use crate::fault::{KojiError, KojiResult};
use crate::web::api::kw;
use crate::web::render::View;
use crate::xmlrpc::{Struct, Value};
use futures_util::future::try_join_all;
use minijinja::context;
use std::collections::BTreeSet;

/// Tasks that wait for a host: FREE and ASSIGNED (not yet opened).
const QUEUED: [i64; 2] = [0, 4];

fn yes_no(p: &Page, name: &str) -> KojiResult<Option<bool>> {
    match p.arg(name).unwrap_or("all") {
        "all" => Ok(None),
        "yes" | "enabled" => Ok(Some(true)),
        "no" | "disabled" => Ok(Some(false)),
        other => Err(KojiError::generic(format!("Invalid value for {name}: {other:?}"))),
    }
}

pub async fn hosts(p: Page) -> KojiResult<View> {
    let paging = p.paging(&["name", "id", "task_load", "capacity", "arches", "update_ts"], "name");
    let mut args = vec![("queryOpts", paging.query_opts())];
    if let Some(enabled) = yes_no(&p, "state")? {
        args.push(("enabled", enabled.into()));
    }
    if let Some(ready) = yes_no(&p, "ready")? {
        args.push(("ready", ready.into()));
    }
    if let Some(ch) = p.int("channelID")? {
        args.push(("channelID", ch.into()));
    }
    if let Some(arch) = p.arg("arch") {
        args.push(("arches", Value::Array(vec![arch.into()])));
    }
    let rows = p.call("listHosts", vec![kw(args)]).await?;
    let (rows, nav) = paging.page(rows);
    let channels = p.call("listChannels", vec![]).await?;
    Ok(View::new(
        "hosts.html",
        context! {
            title => "Hosts", hosts => v(&rows), nav, channels => v(&channels),
            state => p.arg("state").unwrap_or("all"), ready => p.arg("ready").unwrap_or("all"),
            channel => p.int("channelID")?, arch => p.arg("arch"),
        },
    ))
}

pub async fn hostinfo(p: Page) -> KojiResult<View> {
    let host = p.call("getHost", vec![p.id_or_name("hostID")?, Value::Bool(true)]).await?;
    let id = int_field(&host, "id").unwrap_or(0);
    let channels = p.call("listChannels", vec![id.into()]).await?;
    let mut opts = Struct::new();
    opts.insert("host_id".into(), Value::Array(vec![id.into()]));
    opts.insert("state".into(), Value::Array(vec![1.into(), 4.into()]));
    let tasks = p.call("listTasks", vec![Value::Struct(opts), order_limit("-id", 100)]).await?;
    let buildroots =
        p.call("listBuildroots", vec![kw([("hostID", id.into()), ("queryOpts", order_limit("-id", 10))])]).await?;
    Ok(View::new(
        "hostinfo.html",
        context! {
            title => format!("Host {}", host.as_struct().and_then(|h| h.get("name")?.as_str()).unwrap_or("")),
            host => v(&host), channels => v(&channels), tasks => v(&tasks), buildroots => v(&buildroots),
        },
    ))
}

fn order_limit(order: &str, limit: i64) -> Value {
    let mut q = Struct::new();
    q.insert("order".into(), order.into());
    q.insert("limit".into(), limit.into());
    Value::Struct(q)
}

fn count_only() -> Value {
    let mut q = Struct::new();
    q.insert("countOnly".into(), Value::Bool(true));
    Value::Struct(q)
}

pub async fn channels(p: Page) -> KojiResult<View> {
    let channels = p.call("listChannels", vec![]).await?;
    Ok(View::new("channels.html", context! { title => "Channels", channels => v(&channels) }))
}

pub async fn channelinfo(p: Page) -> KojiResult<View> {
    let channel = p.call("getChannel", vec![p.id_or_name("channelID")?, Value::Bool(true)]).await?;
    let id = int_field(&channel, "id").unwrap_or(0);
    let hosts = p.call("listHosts", vec![kw([("channelID", id.into())])]).await?;
    let queued = queue_depth(&p, id, None).await?;
    let mut opts = Struct::new();
    opts.insert("channel_id".into(), Value::Array(vec![id.into()]));
    opts.insert("state".into(), Value::Array(vec![1.into()]));
    let running = p.call("listTasks", vec![Value::Struct(opts), count_only()]).await?;
    Ok(View::new(
        "channelinfo.html",
        context! {
            title => "Channel", channel => v(&channel), hosts => v(&hosts), queued, running => v(&running),
        },
    ))
}

/// Tasks of `channel` (and `arch`) waiting for a host.
async fn queue_depth(p: &Page, channel: i64, arch: Option<&str>) -> KojiResult<i64> {
    let mut opts = Struct::new();
    opts.insert("channel_id".into(), Value::Array(vec![channel.into()]));
    opts.insert("state".into(), Value::Array(QUEUED.iter().map(|s| Value::from(*s)).collect()));
    if let Some(a) = arch {
        opts.insert("arch".into(), Value::Array(vec![a.into()]));
    }
    Ok(p.call("listTasks", vec![Value::Struct(opts), count_only()]).await?.as_i64().unwrap_or(0))
}

/// kojiweb's cluster health, per channel: enabled/ready hosts, capacity and load of the enabled ones, and the
/// queue; per channel and arch: the same, for the chart. Channels, and the queue counts within one, are
/// independent, so their calls run concurrently (in-process, each on its own pooled connection).
pub async fn clusterhealth(p: Page) -> KojiResult<View> {
    let channels = p.call("listChannels", vec![]).await?;
    let rows = try_join_all(channels.as_array().unwrap_or(&[]).iter().map(|c| channel_health(&p, c))).await?;
    let chart = serde_json::to_string(&rows).unwrap_or_else(|_| "[]".into());
    Ok(View::new("clusterhealth.html", context! { title => "Cluster health", channels => rows, chart }))
}

async fn channel_health(p: &Page, channel: &Value) -> KojiResult<minijinja::Value> {
    let id = int_field(channel, "id").unwrap_or(0);
    let hosts = p.call("listHosts", vec![kw([("channelID", id.into())])]).await?;
    let hosts = hosts.as_array().unwrap_or(&[]);
    let arches_of = |h: &Value| -> Vec<String> {
        let a = h.as_struct().and_then(|h| h.get("arches")?.as_str()).unwrap_or("");
        a.split_whitespace().map(str::to_owned).collect()
    };
    let mut arches: BTreeSet<String> = hosts.iter().flat_map(arches_of).collect();
    arches.insert("noarch".into());
    let queued = try_join_all(arches.iter().map(|a| queue_depth(p, id, Some(a)))).await?;
    let per_arch: Vec<minijinja::Value> = arches
        .iter()
        .zip(queued)
        .map(|(arch, queued)| {
            // Every host builds noarch.
            let of_arch: Vec<&Value> =
                hosts.iter().filter(|h| arch == "noarch" || arches_of(h).contains(arch)).collect();
            let (capacity, load, enabled, ready) = totals(&of_arch);
            context! { arch, capacity, load, enabled, ready, queued }
        })
        .collect();
    let (capacity, load, enabled, ready) = totals(&hosts.iter().collect::<Vec<_>>());
    Ok(context! {
        id, name => channel.as_struct().and_then(|c| c.get("name")?.as_str()).unwrap_or(""),
        hosts => hosts.len(), enabled, ready, capacity, load,
        queued => queue_depth(p, id, None).await?, arches => per_arch,
    })
}

/// Capacity and load of the enabled hosts, and how many are enabled and ready.
fn totals(hosts: &[&Value]) -> (f64, f64, usize, usize) {
    let f = |h: &Value, k: &str| match h.as_struct().and_then(|h| h.get(k)) {
        Some(Value::Double(d)) => *d,
        Some(Value::Int(i)) => *i as f64,
        _ => 0.0,
    };
    let b = |h: &Value, k: &str| h.as_struct().and_then(|h| h.get(k)).is_some_and(Value::truthy);
    let enabled: Vec<&&Value> = hosts.iter().filter(|h| b(h, "enabled")).collect();
    // Folded from +0.0: an empty `sum()` of floats is -0.0, shown as "-0.0".
    let capacity = enabled.iter().fold(0.0, |acc, h| acc + f(h, "capacity"));
    let load = enabled.iter().fold(0.0, |acc, h| acc + f(h, "task_load"));
    let ready = enabled.iter().filter(|h| b(h, "ready")).count();
    (capacity, load, enabled.len(), ready)
}
