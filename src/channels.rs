//! Channels as Koji's RootExports expose them (`getChannel`, `listChannels`, `addChannel`, `editChannel`,
//! `enableChannel`/`disableChannel`). Host subscriptions live in `hosts`.

use crate::db::channels::{self, CHANNEL_COLUMNS, ChannelRecord};
use crate::db::query::{QueryOpts, Select};
use crate::db::versioned;
use crate::fault::{KojiError, KojiResult};
use crate::lookup;
use crate::rpc::CallCtx;
use crate::rpc::args::{InfoRef, require_str};
use crate::xmlrpc::{self, Struct, Value};
use deadpool_postgres::GenericClient;

/// The channel record, or None.
pub async fn get_channel(db: &impl GenericClient, info: &InfoRef) -> KojiResult<Option<Struct>> {
    let mut q = Select::new(CHANNEL_COLUMNS, "channels", "id");
    lookup::name_or_id(&mut q, "channels", info)?;
    q.fetch_one(db).await
}

/// `getChannel`: strict lookups fail as Koji's `executeOne(strict=True)` does.
pub async fn get_channel_checked(ctx: &CallCtx, info: &InfoRef, strict: bool) -> KojiResult<Option<Struct>> {
    let found = get_channel(&ctx.db().await?, info).await?;
    if found.is_none() && strict {
        return Err(KojiError::generic("query returned no rows"));
    }
    Ok(found)
}

/// The channel as a typed record, for writes.
pub async fn find(db: &impl GenericClient, info: &InfoRef) -> KojiResult<Option<ChannelRecord>> {
    get_channel(db, info).await?.map(|s| Ok(xmlrpc::from_value(Value::Struct(s))?)).transpose()
}

/// Which host `listChannels` is asked about: Koji takes a name (looked up strictly) or an id (used as is).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged)]
pub enum HostRef {
    Id(i64),
    Name(String),
}

/// `listChannels`: every channel, or a host's subscriptions (as of `event` if given).
pub async fn list_channels(
    ctx: &CallCtx,
    host: Option<HostRef>,
    event: Option<i32>,
    enabled: Option<bool>,
) -> KojiResult<Value> {
    let db = ctx.db().await?;
    let mut q;
    match host {
        Some(host) => {
            let host_id = match host {
                HostRef::Id(id) => id,
                HostRef::Name(name) => crate::hosts::find_strict(&db, &InfoRef::Name(name)).await?.id.into(),
            };
            q = Select::new(
                CHANNEL_COLUMNS,
                "host_channels JOIN channels ON channels.id = host_channels.channel_id",
                "id",
            );
            versioned::in_force(&mut q, "host_channels", event);
            q.filter("host_channels.host_id = $?::int8", host_id);
        }
        None if event.is_some() => {
            return Err(KojiError::generic("list_channels with event and not host is not allowed."));
        }
        None => q = Select::new(CHANNEL_COLUMNS, "channels", "id"),
    }
    match enabled {
        Some(true) => q.condition("channels.enabled IS TRUE"),
        Some(false) => q.condition("channels.enabled IS FALSE"),
        None => &mut q,
    };
    q.fetch(&db, &QueryOpts::default()).await
}

/// `addChannel` (admin, as in Koji).
pub async fn add_channel(ctx: &CallCtx, name: &str, description: &Value) -> KojiResult<i32> {
    ctx.assert_perm("admin").await?;
    ctx.hub.verify_name_internal(name)?;
    let description = match description {
        Value::Nil => None,
        Value::String(s) => Some(s.as_str()),
        _ => return Err(KojiError::param("Channel description must be a string")),
    };
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    if let Some(dup) = find(&tx, &InfoRef::Name(name.to_owned())).await? {
        return Err(already_exists(&dup));
    }
    let id = channels::create(&tx, name, description).await?;
    tx.commit().await?;
    ctx.committed();
    tracing::info!(channel = name, id, "channel added");
    Ok(id)
}

fn already_exists(c: &ChannelRecord) -> KojiError {
    KojiError::generic(format!("channel {} already exists (id={})", c.name, c.id))
}

/// `editChannel(channelInfo, **kw)` (admin, as in Koji): `name`, `description`, `comment`; other keywords are
/// ignored. Returns whether anything changed.
pub async fn edit_channel(ctx: &CallCtx, info: &InfoRef, kw: &Struct) -> KojiResult<bool> {
    ctx.assert_perm("admin").await?;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let Some(mut channel) = find(&tx, info).await? else {
        return Err(KojiError::generic("query returned no rows"));
    };
    let current = |field: &str| match field {
        "name" => Value::from(channel.name.as_str()),
        "description" => channel.description.as_deref().map_or(Value::Nil, Value::from),
        _ => channel.comment.as_deref().map_or(Value::Nil, Value::from),
    };
    let changed: Vec<&str> = ["description", "comment", "name"]
        .into_iter()
        .filter(|f| kw.get(*f).is_some_and(|v| *v != current(f)))
        .collect();
    if changed.is_empty() {
        return Ok(false);
    }
    for field in ["description", "comment"] {
        if let Some(v) = kw.get(field) {
            require_str(v)?;
        }
    }
    for field in changed {
        let value = require_str(&kw[field])?.to_owned();
        match field {
            "name" => {
                ctx.hub.verify_name_internal(&value)?;
                if let Some(dup) = find(&tx, &InfoRef::Name(value.clone())).await? {
                    return Err(already_exists(&dup));
                }
                channel.name = value;
            }
            "description" => channel.description = Some(value),
            _ => channel.comment = Some(value),
        }
    }
    channels::update(&tx, &channel).await?;
    tx.commit().await?;
    ctx.committed();
    Ok(true)
}

/// `enableChannel`/`disableChannel` (perm `host`); a given comment replaces the channel's.
pub async fn set_channel_enabled(ctx: &CallCtx, info: &InfoRef, enabled: bool, comment: &Value) -> KojiResult<()> {
    ctx.assert_perm("host").await?;
    let comment = match comment {
        Value::Nil => None,
        other => Some(require_str(other)?),
    };
    let db = ctx.db().await?;
    let Some(channel) = find(&db, info).await? else {
        return Err(KojiError::generic(format!("No such channel: {}", info.plain())));
    };
    channels::set_enabled(&db, channel.id, enabled, comment).await?;
    ctx.committed();
    Ok(())
}
