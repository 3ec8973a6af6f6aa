//! The `channels` table: pools of hosts that tasks are created in (not versioned: edits update in place).

use crate::fault::KojiResult;
use deadpool_postgres::GenericClient;
use serde::Deserialize;

/// Koji's channel record (`getChannel`, `listChannels`).
pub const CHANNEL_COLUMNS: &[(&str, &str)] = &[
    ("id", "channels.id"),
    ("name", "channels.name"),
    ("description", "channels.description"),
    ("enabled", "channels.enabled"),
    ("comment", "channels.comment"),
];

#[derive(Debug, Clone, Deserialize)]
pub struct ChannelRecord {
    pub id: i32,
    pub name: String,
    pub description: Option<String>,
    pub enabled: bool,
    pub comment: Option<String>,
}

pub async fn create(db: &impl GenericClient, name: &str, description: Option<&str>) -> KojiResult<i32> {
    let st = db.prepare_cached("INSERT INTO channels (name, description) VALUES ($1, $2) RETURNING id").await?;
    Ok(db.query_one(&st, &[&name, &description]).await?.get(0))
}

/// Writes the record's name, description and comment.
pub async fn update(db: &impl GenericClient, c: &ChannelRecord) -> KojiResult<()> {
    let st = db.prepare_cached("UPDATE channels SET name = $2, description = $3, comment = $4 WHERE id = $1").await?;
    db.execute(&st, &[&c.id, &c.name, &c.description, &c.comment]).await?;
    Ok(())
}

/// Enables or disables the channel; a given comment replaces the old one.
pub async fn set_enabled(db: &impl GenericClient, id: i32, enabled: bool, comment: Option<&str>) -> KojiResult<()> {
    let st =
        db.prepare_cached("UPDATE channels SET enabled = $2, comment = COALESCE($3, comment) WHERE id = $1").await?;
    db.execute(&st, &[&id, &enabled, &comment]).await?;
    // The hosts in the channel gain or lose its bins: the scheduler leader re-reads them.
    let st = db
        .prepare_cached(
            "SELECT pg_notify('koji_host', host_id::text) FROM host_channels WHERE channel_id = $1 AND active",
        )
        .await?;
    db.query(&st, &[&id]).await?;
    Ok(())
}
