//! Channel methods: decode, call `crate::channels`, encode.

use crate::channels::{self, HostRef};
use crate::fault::KojiResult;
use crate::rpc::CallCtx;
use crate::rpc::args::{Flag, InfoRef};
use crate::rpc::registry::Registry;
use crate::xmlrpc::{Struct, Value};
use serde::Deserialize;

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct GetChannel {
    channelInfo: InfoRef,
    strict: Flag,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct ListChannels {
    hostID: Option<HostRef>,
    event: Option<i32>,
    enabled: Option<Flag>,
}

#[derive(Deserialize)]
struct AddChannel {
    channel_name: String,
    description: Value,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct EditChannel {
    channelInfo: InfoRef,
    kw: Struct,
}

#[derive(Deserialize)]
struct RenameChannel {
    old: InfoRef,
    new: Value,
}

#[derive(Deserialize)]
struct ChannelEnabled {
    channelname: InfoRef,
    comment: Value,
}

async fn get_channel(ctx: CallCtx, a: GetChannel) -> KojiResult<Option<Struct>> {
    channels::get_channel_checked(&ctx, &a.channelInfo, a.strict.0).await
}

async fn list_channels(ctx: CallCtx, a: ListChannels) -> KojiResult<Value> {
    // Koji tests `if hostID:`, so 0 and "" mean every channel.
    let host = a.hostID.filter(|h| match h {
        HostRef::Id(id) => *id != 0,
        HostRef::Name(name) => !name.is_empty(),
    });
    channels::list_channels(&ctx, host, a.event, a.enabled.map(|f| f.0)).await
}

async fn add_channel(ctx: CallCtx, a: AddChannel) -> KojiResult<i32> {
    channels::add_channel(&ctx, &a.channel_name, &a.description).await
}

async fn edit_channel(ctx: CallCtx, a: EditChannel) -> KojiResult<bool> {
    channels::edit_channel(&ctx, &a.channelInfo, &a.kw).await
}

async fn rename_channel(ctx: CallCtx, a: RenameChannel) -> KojiResult<()> {
    let kw = Struct::from([("name".to_owned(), a.new)]);
    channels::edit_channel(&ctx, &a.old, &kw).await.map(drop)
}

async fn enable_channel(ctx: CallCtx, a: ChannelEnabled) -> KojiResult<()> {
    channels::set_channel_enabled(&ctx, &a.channelname, true, &a.comment).await
}

async fn disable_channel(ctx: CallCtx, a: ChannelEnabled) -> KojiResult<()> {
    channels::set_channel_enabled(&ctx, &a.channelname, false, &a.comment).await
}

pub fn register(r: &mut Registry) {
    r.add("getChannel", "channelInfo, strict=False", "A channel by id or name.", get_channel);
    r.add(
        "listChannels",
        "hostID=None, event=None, enabled=None",
        "Every channel, or the channels of a host (optionally as of an event).",
        list_channels,
    );
    r.add("addChannel", "channel_name, description=None", "Create a channel (admin); returns its id.", add_channel);
    r.add(
        "editChannel",
        "channelInfo, **kw",
        "Change a channel's name, description or comment (admin); returns whether it changed.",
        edit_channel,
    );
    r.add("renameChannel", "old, new", "Rename a channel (admin).", rename_channel);
    r.add("enableChannel", "channelname, comment=None", "Mark a channel as enabled (perm host).", enable_channel);
    r.add("disableChannel", "channelname, comment=None", "Mark a channel as disabled (perm host).", disable_channel);
}
