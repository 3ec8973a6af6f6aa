//! Host methods: decode, call `crate::hosts`, encode.

use crate::db::query::QueryOpts;
use crate::fault::KojiResult;
use crate::hosts::{self, HostFilter};
use crate::rpc::CallCtx;
use crate::rpc::args::{Flag, InfoRef, OneOrMany};
use crate::rpc::registry::Registry;
use crate::xmlrpc::{Struct, Value};
use serde::Deserialize;

#[derive(Deserialize)]
struct AddHost {
    hostname: String,
    arches: Vec<String>,
    krb_principal: Option<String>,
    force: Flag,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct EditHost {
    hostInfo: InfoRef,
    kw: Struct,
}

#[derive(Deserialize)]
struct HostName {
    hostname: InfoRef,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct GetHost {
    hostInfo: InfoRef,
    strict: Flag,
    event: Option<i32>,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct ListHosts {
    arches: Option<OneOrMany<String>>,
    channelID: Option<InfoRef>,
    ready: Option<Flag>,
    enabled: Option<Flag>,
    userID: Option<InfoRef>,
    queryOpts: Option<QueryOpts>,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct LastHostUpdate {
    hostID: i32,
    ts: Flag,
}

#[derive(Deserialize)]
struct AddToChannel {
    hostname: InfoRef,
    channel_name: InfoRef,
    create: Flag,
    force: Flag,
}

#[derive(Deserialize)]
struct RemoveFromChannel {
    hostname: InfoRef,
    channel_name: InfoRef,
}

async fn add_host(ctx: CallCtx, a: AddHost) -> KojiResult<i32> {
    hosts::add_host(&ctx, &a.hostname, &a.arches, a.krb_principal.as_deref(), a.force.0).await
}

async fn edit_host(ctx: CallCtx, a: EditHost) -> KojiResult<bool> {
    hosts::edit_host(&ctx, &a.hostInfo, &a.kw).await
}

async fn enable_host(ctx: CallCtx, a: HostName) -> KojiResult<()> {
    hosts::set_host_enabled(&ctx, &a.hostname, true).await
}

async fn disable_host(ctx: CallCtx, a: HostName) -> KojiResult<()> {
    hosts::set_host_enabled(&ctx, &a.hostname, false).await
}

async fn get_host(ctx: CallCtx, a: GetHost) -> KojiResult<Option<Struct>> {
    hosts::get_host_checked(&ctx, &a.hostInfo, a.strict.0, a.event).await
}

async fn list_hosts(ctx: CallCtx, a: ListHosts) -> KojiResult<Value> {
    let filter = HostFilter {
        arches: a.arches,
        channel: a.channelID,
        ready: a.ready.map(|f| f.0),
        enabled: a.enabled.map(|f| f.0),
        user: a.userID,
    };
    hosts::list_hosts(&ctx, filter, &a.queryOpts.unwrap_or_default()).await
}

async fn last_host_update(ctx: CallCtx, a: LastHostUpdate) -> KojiResult<Value> {
    hosts::last_host_update(&ctx, a.hostID, a.ts.0).await
}

async fn add_host_to_channel(ctx: CallCtx, a: AddToChannel) -> KojiResult<()> {
    hosts::add_host_to_channel(&ctx, &a.hostname, &a.channel_name, a.create.0, a.force.0).await
}

async fn remove_host_from_channel(ctx: CallCtx, a: RemoveFromChannel) -> KojiResult<()> {
    hosts::remove_host_from_channel(&ctx, &a.hostname, &a.channel_name).await
}

pub fn register(r: &mut Registry) {
    r.add(
        "addHost",
        "hostname, arches, krb_principal=None, force=False",
        "Add a build host in the default channel (perm host); returns its id.",
        add_host,
    );
    r.add(
        "editHost",
        "hostInfo, **kw",
        "Change a host's arches, capacity, description or comment (perm host); returns whether it changed.",
        edit_host,
    );
    r.add("enableHost", "hostname", "Mark a host as enabled (perm host).", enable_host);
    r.add("disableHost", "hostname", "Mark a host as disabled (perm host).", disable_host);
    r.add(
        "getHost",
        "hostInfo, strict=False, event=None",
        "A host by id or name, optionally as of an event.",
        get_host,
    );
    r.add(
        "listHosts",
        "arches=None, channelID=None, ready=None, enabled=None, userID=None, queryOpts=None",
        "Build hosts matching the filters.",
        list_hosts,
    );
    r.add(
        "getLastHostUpdate",
        "hostID, ts=False",
        "When the host last contacted the hub (a timestamp string, or seconds with ts).",
        last_host_update,
    );
    r.add(
        "addHostToChannel",
        "hostname, channel_name, create=False, force=False",
        "Subscribe a host to a channel (perm host).",
        add_host_to_channel,
    );
    r.add(
        "removeHostFromChannel",
        "hostname, channel_name",
        "Unsubscribe a host from a channel (perm host).",
        remove_host_from_channel,
    );
}
