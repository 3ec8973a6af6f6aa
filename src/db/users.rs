//! The `users` and `user_krb_principals` tables (people, hosts and groups are all users in Koji).

use crate::fault::KojiResult;
use crate::xmlrpc::Struct;
use deadpool_postgres::GenericClient;

pub const USER_NORMAL: i32 = 0;
pub const USER_HOST: i32 = 1;
pub const USER_GROUP: i32 = 2;
pub const STATUS_NORMAL: i32 = 0;
pub const STATUS_BLOCKED: i32 = 1;

/// What login needs to know about a user.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: i32,
    pub name: String,
    pub status: i32,
    pub usertype: i32,
    pub password: Option<String>,
}

fn user_row(r: &tokio_postgres::Row) -> UserRow {
    UserRow { id: r.get(0), name: r.get(1), status: r.get(2), usertype: r.get(3), password: r.get(4) }
}

pub async fn by_name(db: &impl GenericClient, name: &str) -> KojiResult<Option<UserRow>> {
    let st = db.prepare_cached("SELECT id, name, status, usertype, password FROM users WHERE name = $1").await?;
    Ok(db.query_opt(&st, &[&name]).await?.as_ref().map(user_row))
}

pub async fn by_id(db: &impl GenericClient, id: i32) -> KojiResult<Option<UserRow>> {
    let st = db.prepare_cached("SELECT id, name, status, usertype, password FROM users WHERE id = $1").await?;
    Ok(db.query_opt(&st, &[&id]).await?.as_ref().map(user_row))
}

pub async fn by_krb_principal(db: &impl GenericClient, principal: &str) -> KojiResult<Option<UserRow>> {
    let st = db
        .prepare_cached(
            "SELECT users.id, users.name, users.status, users.usertype, users.password FROM users \
             JOIN user_krb_principals ON user_krb_principals.user_id = users.id WHERE krb_principal = $1",
        )
        .await?;
    Ok(db.query_opt(&st, &[&principal]).await?.as_ref().map(user_row))
}

/// Columns of Koji's user record; `krb_principals` is aggregated so a list stays one query.
pub const USER_COLUMNS: &[(&str, &str)] = &[
    ("id", "users.id"),
    ("name", "users.name"),
    ("status", "users.status"),
    ("usertype", "users.usertype"),
    (
        "krb_principals",
        "COALESCE((SELECT array_agg(krb_principal ORDER BY krb_principal) FROM user_krb_principals \
         WHERE user_krb_principals.user_id = users.id), '{}')",
    ),
];

/// The user record `getUser` returns, with the group names when asked.
pub async fn info(db: &impl GenericClient, id: i32, groups: bool) -> KojiResult<Option<Struct>> {
    let st = db
        .prepare_cached(
            "SELECT users.id, users.name, users.status, users.usertype, \
             COALESCE((SELECT array_agg(krb_principal ORDER BY krb_principal) FROM user_krb_principals \
                       WHERE user_krb_principals.user_id = users.id), '{}') AS krb_principals, \
             COALESCE((SELECT array_agg(g.name ORDER BY g.name) FROM user_groups ug JOIN users g ON g.id = ug.group_id \
                       WHERE ug.user_id = users.id AND ug.active), '{}') AS groups \
             FROM users WHERE users.id = $1",
        )
        .await?;
    let Some(row) = db.query_opt(&st, &[&id]).await? else { return Ok(None) };
    let mut record = super::row_to_struct(&row)?;
    if !groups {
        record.remove("groups");
    }
    Ok(Some(record))
}

pub async fn create(
    db: &impl GenericClient,
    name: &str,
    password: Option<&str>,
    status: i32,
    usertype: i32,
) -> KojiResult<i32> {
    let st = db
        .prepare_cached("INSERT INTO users (name, password, status, usertype) VALUES ($1, $2, $3, $4) RETURNING id")
        .await?;
    Ok(db.query_one(&st, &[&name, &password, &status, &usertype]).await?.get(0))
}

pub async fn add_krb_principal(db: &impl GenericClient, user_id: i32, principal: &str) -> KojiResult<()> {
    let st = db.prepare_cached("INSERT INTO user_krb_principals (user_id, krb_principal) VALUES ($1, $2)").await?;
    db.execute(&st, &[&user_id, &principal]).await?;
    Ok(())
}

pub async fn remove_krb_principal(db: &impl GenericClient, user_id: i32, principal: &str) -> KojiResult<u64> {
    let st = db.prepare_cached("DELETE FROM user_krb_principals WHERE user_id = $1 AND krb_principal = $2").await?;
    Ok(db.execute(&st, &[&user_id, &principal]).await?)
}

pub async fn set_status(db: &impl GenericClient, id: i32, status: i32) -> KojiResult<()> {
    let st = db.prepare_cached("UPDATE users SET status = $2 WHERE id = $1").await?;
    db.execute(&st, &[&id, &status]).await?;
    Ok(())
}

pub async fn set_usertype(db: &impl GenericClient, id: i32, usertype: i32) -> KojiResult<()> {
    let st = db.prepare_cached("UPDATE users SET usertype = $2 WHERE id = $1").await?;
    db.execute(&st, &[&id, &usertype]).await?;
    Ok(())
}

pub async fn rename(db: &impl GenericClient, id: i32, name: &str) -> KojiResult<()> {
    let st = db.prepare_cached("UPDATE users SET name = $2 WHERE id = $1").await?;
    db.execute(&st, &[&id, &name]).await?;
    Ok(())
}

pub async fn set_password(db: &impl GenericClient, id: i32, password: &str) -> KojiResult<()> {
    let st = db.prepare_cached("UPDATE users SET password = $2 WHERE id = $1").await?;
    db.execute(&st, &[&id, &password]).await?;
    Ok(())
}
