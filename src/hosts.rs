//! Build hosts as Koji's RootExports expose them (`addHost`, `editHost`, `getHost`, `listHosts`, channel
//! subscriptions). Every change to a host's settings or channels is a versioned write under one event, so
//! `getHost(..., event=N)` and `queryHistory` see the farm as it was.

use crate::db::hosts::{self, HOST_COLUMNS, HOST_FROM, HostConfig, HostRecord};
use crate::db::query::{QueryOpts, Select};
use crate::db::{self, versioned};
use crate::fault::{KojiError, KojiResult};
use crate::rpc::CallCtx;
use crate::rpc::args::{InfoRef, OneOrMany, require_str};
use crate::xmlrpc::{self, Struct, Value};
use crate::{lookup, users};
use deadpool_postgres::GenericClient;

/// The host record in force at `event` (now if None), or None.
pub async fn get_host(db: &impl GenericClient, info: &InfoRef, event: Option<i32>) -> KojiResult<Option<Struct>> {
    let mut q = Select::new(HOST_COLUMNS, HOST_FROM, "id");
    versioned::in_force(&mut q, "host_config", event);
    lookup::name_or_id(&mut q, "host", info)?;
    q.fetch_one(db).await
}

/// `getHost`: a strict miss is Koji's "Invalid hostInfo".
pub async fn get_host_checked(
    ctx: &CallCtx,
    info: &InfoRef,
    strict: bool,
    event: Option<i32>,
) -> KojiResult<Option<Struct>> {
    let found = get_host(&ctx.db().await?, info, event).await?;
    if found.is_none() && strict {
        return Err(invalid_host(info));
    }
    Ok(found)
}

fn invalid_host(info: &InfoRef) -> KojiError {
    KojiError::generic(format!("Invalid hostInfo: {}", info.plain()))
}

async fn find(db: &impl GenericClient, info: &InfoRef) -> KojiResult<Option<HostRecord>> {
    get_host(db, info, None).await?.map(|s| Ok(xmlrpc::from_value(Value::Struct(s))?)).transpose()
}

/// The current host, or Koji's `get_host(strict=True)` fault.
pub async fn find_strict(db: &impl GenericClient, info: &InfoRef) -> KojiResult<HostRecord> {
    find(db, info).await?.ok_or_else(|| invalid_host(info))
}

/// The current host, or the "host does not exist" fault of Koji's host writes.
async fn find_existing(db: &impl GenericClient, info: &InfoRef) -> KojiResult<HostRecord> {
    find(db, info).await?.ok_or_else(|| KojiError::generic(format!("host does not exist: {}", info.plain())))
}

pub struct HostFilter {
    pub arches: Option<OneOrMany<String>>,
    pub channel: Option<InfoRef>,
    pub ready: Option<bool>,
    pub enabled: Option<bool>,
    pub user: Option<InfoRef>,
}

/// `listHosts`. A host matches `arches` when any of them is a whole word of its space-separated arches.
pub async fn list_hosts(ctx: &CallCtx, f: HostFilter, opts: &QueryOpts) -> KojiResult<Value> {
    let db = ctx.db().await?;
    let mut q = Select::new(HOST_COLUMNS, HOST_FROM, "id");
    versioned::in_force(&mut q, "host_config", None);
    if let Some(arches) = f.arches {
        let empty = match &arches {
            OneOrMany::One(a) => a.is_empty(),
            OneOrMany::Many(a) => a.is_empty(),
        };
        if empty {
            return Err(KojiError::generic("arches option cannot be empty"));
        }
        let words: Vec<String> = arches.into_vec().iter().map(|a| regex_escape(a)).collect();
        q.filter("host_config.arches ~ $?", format!(r"\m({})\M", words.join("|")));
    }
    if let Some(channel) = &f.channel {
        let channel_id = lookup::require_id(&db, "channels", channel).await?;
        q.join("JOIN host_channels ON host_channels.host_id = host.id AND host_channels.active IS TRUE");
        q.filter("host_channels.channel_id = $?", channel_id);
    }
    for (flag, column) in [(f.ready, "host.ready"), (f.enabled, "host_config.enabled")] {
        match flag {
            Some(true) => q.condition(&format!("{column} IS TRUE")),
            Some(false) => q.condition(&format!("{column} IS FALSE")),
            None => &mut q,
        };
    }
    if let Some(user) = &f.user {
        q.filter("host.user_id = $?", users::resolve_strict(&db, user).await?.id);
    }
    q.fetch(&db, opts).await
}

/// Escapes a word for a PostgreSQL regular expression, so an arch name only ever matches itself.
fn regex_escape(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        if !c.is_alphanumeric() && c != '_' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `getLastHostUpdate`: when the host's user last used a session; a timestamp string, or seconds with `ts`.
pub async fn last_host_update(ctx: &CallCtx, host_id: i32, ts: bool) -> KojiResult<Value> {
    Ok(match hosts::last_session_update(&ctx.db().await?, host_id).await? {
        None => Value::Nil,
        Some(t) if ts => Value::Double(t.timestamp_micros() as f64 / 1e6),
        Some(t) => Value::String(db::koji_time(&t)),
    })
}

/// Koji's `parse_arches(strict=True)`: space-separated words of `[a-zA-Z0-9_-]`.
fn parse_arches(arches: &[String]) -> KojiResult<String> {
    let joined = arches.join(" ");
    let words: Vec<&str> = joined.split_whitespace().collect();
    if words.iter().any(|w| !w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')) {
        return Err(KojiError::generic("Architecture can be only [a-zA-Z0-9_-]"));
    }
    Ok(words.join(" "))
}

/// `addHost` (perm `host`): the host's user (created as a host user; an existing normal user is converted only
/// with `force`), its `host` row, its first `host_config` and its subscription to the `default` channel, all
/// under one event.
pub async fn add_host(
    ctx: &CallCtx,
    hostname: &str,
    arches: &[String],
    krb_principal: Option<&str>,
    force: bool,
) -> KojiResult<i32> {
    let creator = ctx.assert_perm("host").await?.user_id;
    ctx.hub.verify_name_internal(hostname)?;
    users::validate_user_name(ctx, hostname)?;
    let arches = parse_arches(arches)?;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    if find(&tx, &InfoRef::Name(hostname.to_owned())).await?.is_some() {
        return Err(KojiError::generic(format!("host already exists: {hostname}")));
    }
    let default_channel = lookup::id_of(&tx, "channels", &InfoRef::Name("default".into()))
        .await?
        .ok_or_else(|| KojiError::generic("query returned no rows"))?;
    let user_id = host_user(&tx, hostname, krb_principal, force).await?;
    let host_id = hosts::create(&tx, user_id, hostname).await?;
    let event = db::new_event(&tx).await?;
    hosts::insert_config(&tx, host_id, &HostConfig::new(arches), event, creator).await?;
    hosts::subscribe(&tx, host_id, default_channel, event, creator).await?;
    tx.commit().await?;
    ctx.committed();
    tracing::info!(host = hostname, id = host_id, "host added");
    Ok(host_id)
}

/// The user a new host logs in as: an existing host user of that name (a builder may have logged in before it
/// was added), a normal user converted with `force`, or a new host user.
async fn host_user(
    db: &impl GenericClient,
    hostname: &str,
    krb_principal: Option<&str>,
    force: bool,
) -> KojiResult<i32> {
    let existing = db::users::by_name(db, hostname).await?;
    let principal_owner = match krb_principal {
        Some(p) => db::users::by_krb_principal(db, p).await?,
        None => None,
    };
    if let Some(owner) = &principal_owner
        && existing.as_ref().is_none_or(|u| u.id != owner.id)
    {
        return Err(KojiError::generic(format!(
            "user with this Kerberos principal already exists: {}",
            krb_principal.unwrap_or_default()
        )));
    }
    match existing {
        Some(user) if krb_principal.is_some() && principal_owner.is_none() => {
            Err(KojiError::generic(format!("user already exists: {}", user.name)))
        }
        Some(user) if user.usertype == db::users::USER_HOST => Ok(user.id),
        Some(user) if force && user.usertype == db::users::USER_NORMAL => {
            db::users::set_usertype(db, user.id, db::users::USER_HOST).await?;
            Ok(user.id)
        }
        Some(_) => Err(KojiError::generic(format!("user {hostname} already exists and it is not a host"))),
        None => {
            let id = db::users::create(db, hostname, None, db::users::STATUS_NORMAL, db::users::USER_HOST).await?;
            if let Some(p) = krb_principal {
                db::users::add_krb_principal(db, id, p).await?;
            }
            Ok(id)
        }
    }
}

/// `editHost(hostInfo, **kw)` (perm `host`): `arches`, `capacity`, `description`, `comment`; other keywords are
/// ignored, as in Koji. A change replaces the host's `host_config` row; returns whether anything changed.
pub async fn edit_host(ctx: &CallCtx, info: &InfoRef, kw: &Struct) -> KojiResult<bool> {
    let editor = ctx.assert_perm("host").await?.user_id;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let host = find_strict(&tx, info).await?;
    let mut config = host.config;
    let mut changed = false;
    for (field, text) in
        [("arches", &mut config.arches), ("description", &mut config.description), ("comment", &mut config.comment)]
    {
        match kw.get(field) {
            Some(Value::Nil) if text.is_none() => {}
            Some(Value::String(s)) if text.as_deref() == Some(s.as_str()) => {}
            Some(v) => {
                *text = Some(require_str(v)?.to_owned());
                changed = true;
            }
            None => {}
        }
    }
    if let Some(v) = kw.get("capacity") {
        let capacity = match v {
            Value::Int(i) => *i as f64,
            Value::Double(d) => *d,
            _ => return Err(KojiError::param(format!("Invalid capacity: {}", v.type_name()))),
        };
        if capacity != config.capacity {
            if capacity <= 1.0 {
                return Err(KojiError::param(format!("Capacity must be greater than 1, not {capacity}")));
            }
            config.capacity = capacity;
            changed = true;
        }
    }
    if !changed {
        return Ok(false);
    }
    let event = db::new_event(&tx).await?;
    hosts::replace_config(&tx, host.id, &config, event, editor).await?;
    tx.commit().await?;
    ctx.committed();
    Ok(true)
}

/// `enableHost`/`disableHost` (perm `host`): a new `host_config` row, even when the state does not change.
pub async fn set_host_enabled(ctx: &CallCtx, info: &InfoRef, enabled: bool) -> KojiResult<()> {
    let editor = ctx.assert_perm("host").await?.user_id;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let host = find_existing(&tx, info).await?;
    let config = HostConfig { enabled, ..host.config };
    let event = db::new_event(&tx).await?;
    hosts::replace_config(&tx, host.id, &config, event, editor).await?;
    tx.commit().await?;
    ctx.committed();
    tracing::info!(host = %host.name, enabled, "host status changed");
    Ok(())
}

/// `addHostToChannel` (perm `host`): `create` makes a missing channel, `force` allows a disabled one.
pub async fn add_host_to_channel(
    ctx: &CallCtx,
    host_info: &InfoRef,
    channel: &InfoRef,
    create: bool,
    force: bool,
) -> KojiResult<()> {
    let editor = ctx.assert_perm("host").await?.user_id;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let host = find_existing(&tx, host_info).await?;
    if create {
        match channel {
            InfoRef::Name(name) => ctx.hub.verify_name_internal(name)?,
            _ => return Err(KojiError::generic("Name should be string")),
        }
    }
    let (channel_id, enabled) = match crate::channels::find(&tx, channel).await? {
        Some(c) => (c.id, c.enabled),
        None if create => (db::channels::create(&tx, &channel.plain(), None).await?, true),
        None => return Err(KojiError::generic(format!("channel does not exist: {}", channel.plain()))),
    };
    if !force && !enabled {
        return Err(KojiError::generic(format!("channel {} is disabled", channel.plain())));
    }
    if hosts::channel_ids(&tx, host.id).await?.contains(&channel_id) {
        return Err(KojiError::generic(format!(
            "host {} is already subscribed to the {} channel",
            host_info.plain(),
            channel.plain()
        )));
    }
    let event = db::new_event(&tx).await?;
    hosts::subscribe(&tx, host.id, channel_id, event, editor).await?;
    tx.commit().await?;
    ctx.committed();
    Ok(())
}

/// `removeHostFromChannel` (perm `host`).
pub async fn remove_host_from_channel(ctx: &CallCtx, host_info: &InfoRef, channel: &InfoRef) -> KojiResult<()> {
    let editor = ctx.assert_perm("host").await?.user_id;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let host = find_existing(&tx, host_info).await?;
    let Some(channel_id) = lookup::id_of(&tx, "channels", channel).await? else {
        return Err(KojiError::generic(format!("channel does not exist: {}", channel.plain())));
    };
    if !hosts::channel_ids(&tx, host.id).await?.contains(&channel_id) {
        return Err(KojiError::generic(format!(
            "host {} is not subscribed to the {} channel",
            host_info.plain(),
            channel.plain()
        )));
    }
    let event = db::new_event(&tx).await?;
    hosts::unsubscribe(&tx, host.id, channel_id, event, editor).await?;
    tx.commit().await?;
    ctx.committed();
    Ok(())
}
