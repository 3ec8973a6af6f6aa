//! `permissions` and the event-versioned `user_perms` table; group membership (`user_groups`) lends its perms.

use crate::fault::KojiResult;
use crate::xmlrpc::Struct;
use deadpool_postgres::GenericClient;

pub async fn all(db: &impl GenericClient) -> KojiResult<Vec<Struct>> {
    super::query_structs(db, "SELECT id, name, description FROM permissions ORDER BY id", &[]).await
}

pub async fn id_by_name(db: &impl GenericClient, name: &str) -> KojiResult<Option<i32>> {
    let st = db.prepare_cached("SELECT id FROM permissions WHERE name = $1").await?;
    Ok(db.query_opt(&st, &[&name]).await?.map(|r| r.get(0)))
}

pub async fn create(db: &impl GenericClient, name: &str, description: Option<&str>) -> KojiResult<i32> {
    let st = db.prepare_cached("INSERT INTO permissions (name, description) VALUES ($1, $2) RETURNING id").await?;
    Ok(db.query_one(&st, &[&name, &description]).await?.get(0))
}

pub async fn set_description(db: &impl GenericClient, id: i32, description: &str) -> KojiResult<()> {
    let st = db.prepare_cached("UPDATE permissions SET description = $2 WHERE id = $1").await?;
    db.execute(&st, &[&id, &description]).await?;
    Ok(())
}

/// Permissions granted to the user itself.
pub async fn direct(db: &impl GenericClient, user_id: i32) -> KojiResult<Vec<String>> {
    let st = db
        .prepare_cached(
            "SELECT permissions.name FROM user_perms JOIN permissions ON permissions.id = user_perms.perm_id \
             WHERE user_perms.user_id = $1 AND user_perms.active ORDER BY permissions.name",
        )
        .await?;
    Ok(db.query(&st, &[&user_id]).await?.iter().map(|r| r.get(0)).collect())
}

/// Permissions the user holds directly or through any group it belongs to.
pub async fn effective(db: &impl GenericClient, user_id: i32) -> KojiResult<Vec<String>> {
    let st = db
        .prepare_cached(
            "SELECT DISTINCT permissions.name FROM user_perms JOIN permissions ON permissions.id = user_perms.perm_id \
             WHERE user_perms.active AND (user_perms.user_id = $1 OR user_perms.user_id IN \
                 (SELECT group_id FROM user_groups WHERE user_id = $1 AND active)) \
             ORDER BY permissions.name",
        )
        .await?;
    Ok(db.query(&st, &[&user_id]).await?.iter().map(|r| r.get(0)).collect())
}

/// `(perm, None)` for a direct grant, `(perm, Some(group))` for each group that lends it.
pub async fn inheritance(db: &impl GenericClient, user_id: i32) -> KojiResult<Vec<(String, Option<String>)>> {
    let st = db
        .prepare_cached(
            "SELECT p.name, NULL::text FROM user_perms up JOIN permissions p ON p.id = up.perm_id \
             WHERE up.user_id = $1 AND up.active \
             UNION ALL \
             SELECT p.name, g.name FROM user_groups ug JOIN users g ON g.id = ug.group_id \
             JOIN user_perms up ON up.user_id = ug.group_id AND up.active JOIN permissions p ON p.id = up.perm_id \
             WHERE ug.user_id = $1 AND ug.active ORDER BY 1, 2 NULLS FIRST",
        )
        .await?;
    Ok(db.query(&st, &[&user_id]).await?.iter().map(|r| (r.get(0), r.get(1))).collect())
}

pub async fn is_granted(db: &impl GenericClient, user_id: i32, perm_id: i32) -> KojiResult<bool> {
    let st = db.prepare_cached("SELECT 1 FROM user_perms WHERE user_id = $1 AND perm_id = $2 AND active").await?;
    Ok(db.query_opt(&st, &[&user_id, &perm_id]).await?.is_some())
}

pub async fn grant(db: &impl GenericClient, user_id: i32, perm_id: i32, event: i32, creator: i32) -> KojiResult<()> {
    super::versioned::insert(db, "user_perms", &[("user_id", &user_id), ("perm_id", &perm_id)], event, creator).await
}

/// Closes the active grant as of `event`; returns whether one was active.
pub async fn revoke(db: &impl GenericClient, user_id: i32, perm_id: i32, event: i32, revoker: i32) -> KojiResult<bool> {
    Ok(super::versioned::revoke(db, "user_perms", &[("user_id", &user_id), ("perm_id", &perm_id)], event, revoker)
        .await?
        > 0)
}
