//! Build hosts: the live `host` row (check-ins, load, readiness), its versioned `host_config` (what admins edit)
//! and its versioned `host_channels` subscriptions.

use super::versioned::{self, Column};
use crate::fault::KojiResult;
use deadpool_postgres::GenericClient;
use serde::Deserialize;

/// Koji's host record (`getHost`, `listHosts`), read from `HOST_FROM`.
pub const HOST_COLUMNS: &[(&str, &str)] = &[
    ("id", "host.id"),
    ("user_id", "host.user_id"),
    ("name", "host.name"),
    ("update_ts", "date_part('epoch', host.update_time)"),
    ("ready", "host.ready"),
    ("task_load", "host.task_load"),
    ("arches", "host_config.arches"),
    ("capacity", "host_config.capacity"),
    ("description", "host_config.description"),
    ("comment", "host_config.comment"),
    ("enabled", "host_config.enabled"),
];

/// A host exists while it has a `host_config` row in force; callers restrict `host_config` to an event.
pub const HOST_FROM: &str = "host_config JOIN host ON host.id = host_config.host_id";

/// The fields of a host record that writes need.
#[derive(Debug, Clone, Deserialize)]
pub struct HostRecord {
    pub id: i32,
    pub name: String,
    #[serde(flatten)]
    pub config: HostConfig,
}

/// One `host_config` row: every change writes all of it again under a new event.
#[derive(Debug, Clone, Deserialize)]
pub struct HostConfig {
    pub arches: Option<String>,
    pub capacity: f64,
    pub description: Option<String>,
    pub comment: Option<String>,
    pub enabled: bool,
}

impl HostConfig {
    /// A new host's settings: the schema's defaults with the given arches.
    pub fn new(arches: String) -> Self {
        HostConfig { arches: Some(arches), capacity: 2.0, description: None, comment: None, enabled: true }
    }

    fn columns(&self) -> [Column<'_>; 5] {
        [
            ("arches", &self.arches),
            ("capacity", &self.capacity),
            ("description", &self.description),
            ("comment", &self.comment),
            ("enabled", &self.enabled),
        ]
    }
}

pub async fn create(db: &impl GenericClient, user_id: i32, name: &str) -> KojiResult<i32> {
    let st = db.prepare_cached("INSERT INTO host (user_id, name) VALUES ($1, $2) RETURNING id").await?;
    Ok(db.query_one(&st, &[&user_id, &name]).await?.get(0))
}

/// Writes a host's first settings; like every change below, it tells the scheduler leader to re-read the host.
pub async fn insert_config(
    db: &impl GenericClient,
    host_id: i32,
    config: &HostConfig,
    event: i32,
    user: i32,
) -> KojiResult<()> {
    let mut columns: Vec<Column> = vec![("host_id", &host_id)];
    columns.extend(config.columns());
    versioned::insert(db, "host_config", &columns, event, user).await?;
    super::hosts_live::notify(db, host_id).await
}

pub async fn replace_config(
    db: &impl GenericClient,
    host_id: i32,
    config: &HostConfig,
    event: i32,
    user: i32,
) -> KojiResult<()> {
    versioned::replace(db, "host_config", &[("host_id", &host_id)], &config.columns(), event, user).await?;
    super::hosts_live::notify(db, host_id).await
}

/// Ids of the channels the host is subscribed to now.
pub async fn channel_ids(db: &impl GenericClient, host_id: i32) -> KojiResult<Vec<i32>> {
    let st = db.prepare_cached("SELECT channel_id FROM host_channels WHERE host_id = $1 AND active").await?;
    Ok(db.query(&st, &[&host_id]).await?.iter().map(|r| r.get(0)).collect())
}

pub async fn subscribe(
    db: &impl GenericClient,
    host_id: i32,
    channel_id: i32,
    event: i32,
    user: i32,
) -> KojiResult<()> {
    versioned::insert(db, "host_channels", &[("host_id", &host_id), ("channel_id", &channel_id)], event, user).await?;
    super::hosts_live::notify(db, host_id).await
}

pub async fn unsubscribe(
    db: &impl GenericClient,
    host_id: i32,
    channel_id: i32,
    event: i32,
    user: i32,
) -> KojiResult<()> {
    versioned::revoke(db, "host_channels", &[("host_id", &host_id), ("channel_id", &channel_id)], event, user).await?;
    super::hosts_live::notify(db, host_id).await
}

/// When the host's user last used a session (`getLastHostUpdate`).
pub async fn last_session_update(
    db: &impl GenericClient,
    host_id: i32,
) -> KojiResult<Option<chrono::DateTime<chrono::Utc>>> {
    let st = db
        .prepare_cached(
            "SELECT max(sessions.update_time) FROM sessions JOIN host ON sessions.user_id = host.user_id \
             WHERE host.id = $1",
        )
        .await?;
    Ok(db.query_one(&st, &[&host_id]).await?.get(0))
}
