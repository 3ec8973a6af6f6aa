//! Users and permissions as Koji's RootExports expose them (`getUser`, `listUsers`, `createUser`,
//! `grantPermission`, ...). Handlers in `rpc::root::users` only decode and encode around these.

use crate::actors::session_registry::Forget;
use crate::db::query::{QueryOpts, Select, escape_like};
use crate::db::{self, users::UserRow};
use crate::fault::{KojiError, KojiResult};
use crate::rpc::CallCtx;
use crate::rpc::args::InfoRef;
use crate::xmlrpc::{Struct, Value};
use deadpool_postgres::GenericClient;
use std::collections::BTreeMap;

/// Finds a user by id, by name (then by Kerberos principal, as Koji does), or by a struct naming either.
pub async fn resolve(db: &impl GenericClient, r: &InfoRef) -> KojiResult<Option<UserRow>> {
    match r {
        InfoRef::Id(id) => match i32::try_from(*id) {
            Ok(id) => db::users::by_id(db, id).await,
            Err(_) => Ok(None),
        },
        InfoRef::Name(name) => match db::users::by_name(db, name).await? {
            Some(u) => Ok(Some(u)),
            None => db::users::by_krb_principal(db, name).await,
        },
        InfoRef::Map { id: Some(id), .. } => Box::pin(resolve(db, &InfoRef::Id(*id))).await,
        InfoRef::Map { name: Some(name), .. } => db::users::by_name(db, name).await,
        InfoRef::Map { krb_principal: Some(p), .. } => db::users::by_krb_principal(db, p).await,
        InfoRef::Map { .. } => Err(KojiError::param("a user struct needs an id, name or krb_principal")),
    }
}

pub async fn resolve_strict(db: &impl GenericClient, r: &InfoRef) -> KojiResult<UserRow> {
    resolve(db, r).await?.ok_or_else(|| KojiError::generic(format!("No such user: {r}")))
}

/// `getUser`: without an argument, the logged-in user.
pub async fn get_user(
    ctx: &CallCtx,
    info: Option<InfoRef>,
    strict: bool,
    krb_princs: bool,
    groups: bool,
) -> KojiResult<Option<Struct>> {
    let info = match info {
        Some(i) => i,
        None => match ctx.session() {
            Some(s) => InfoRef::Id(s.user_id.into()),
            None => return Err(KojiError::generic("No user provided")),
        },
    };
    let db = ctx.db().await?;
    let Some(user) = resolve(&db, &info).await? else {
        return if strict { Err(KojiError::generic(format!("No such user: {info}"))) } else { Ok(None) };
    };
    let mut record = db::users::info(&db, user.id, groups).await?;
    if let (Some(r), false) = (record.as_mut(), krb_princs) {
        r.remove("krb_principals");
    }
    Ok(record)
}

/// `getLoggedInUser`: the user record plus how this session authenticated.
pub async fn logged_in_user(ctx: &CallCtx) -> KojiResult<Option<Struct>> {
    let Some(s) = ctx.session() else { return Ok(None) };
    let Some(mut record) = db::users::info(&ctx.db().await?, s.user_id, false).await? else { return Ok(None) };
    let first_principal = record.get("krb_principals").and_then(|p| p.as_array()).and_then(|p| p.first()).cloned();
    record.insert("authtype".into(), Value::Int(s.authtype.into()));
    record.insert("krb_principal".into(), first_principal.unwrap_or(Value::Nil));
    Ok(Some(record))
}

pub struct UserFilter {
    pub usertype: Option<i32>,
    pub prefix: Option<String>,
    pub perm: Option<String>,
    pub inherited_perm: bool,
}

pub async fn list_users(ctx: &CallCtx, f: UserFilter, opts: &QueryOpts) -> KojiResult<Value> {
    let mut q = Select::new(db::users::USER_COLUMNS, "users", "name");
    if let Some(t) = f.usertype {
        q.filter("users.usertype = $?", t);
    }
    if let Some(p) = f.prefix {
        q.filter("users.name LIKE $? || '%'", escape_like(&p));
    }
    if let Some(perm) = f.perm {
        let holders = if f.inherited_perm {
            "users.id IN (SELECT up.user_id FROM user_perms up JOIN permissions p ON p.id = up.perm_id \
             WHERE up.active AND p.name = $? UNION SELECT ug.user_id FROM user_groups ug JOIN user_perms up \
             ON up.user_id = ug.group_id AND up.active JOIN permissions p ON p.id = up.perm_id \
             WHERE ug.active AND p.name = $?)"
        } else {
            "users.id IN (SELECT up.user_id FROM user_perms up JOIN permissions p ON p.id = up.perm_id \
             WHERE up.active AND p.name = $?)"
        };
        q.filter(holders, perm);
    }
    q.fetch(&ctx.db().await?, opts).await
}

/// Koji's `verify_name_user`: user (and host) names are bounded by `MaxNameLengthInternal` and `RegexUserName`.
pub fn validate_user_name(ctx: &CallCtx, name: &str) -> KojiResult<()> {
    let max = ctx.hub.config.max_name_length_internal;
    if name.chars().count() > max {
        return Err(KojiError::NameValidation(format!("Name {name} is too long. Max length is {max} characters")));
    }
    if !ctx.hub.user_name_re.is_match(name) {
        return Err(KojiError::NameValidation(format!(
            "Name {name} does not match RegexUserName value {}",
            ctx.hub.user_name_re.as_str()
        )));
    }
    Ok(())
}

pub async fn create_user(
    ctx: &CallCtx,
    name: &str,
    status: Option<i32>,
    krb_principal: Option<&str>,
) -> KojiResult<i32> {
    ctx.assert_perm("admin").await?;
    validate_user_name(ctx, name)?;
    let status = status.unwrap_or(db::users::STATUS_NORMAL);
    if ![db::users::STATUS_NORMAL, db::users::STATUS_BLOCKED].contains(&status) {
        return Err(KojiError::generic(format!("Invalid status: {status}")));
    }
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    if db::users::by_name(&tx, name).await?.is_some() {
        return Err(KojiError::generic(format!("user already exists: {name}")));
    }
    if let Some(p) = krb_principal
        && db::users::by_krb_principal(&tx, p).await?.is_some()
    {
        return Err(KojiError::generic(format!("user with this Kerberos principal already exists: {p}")));
    }
    let id = db::users::create(&tx, name, None, status, db::users::USER_NORMAL).await?;
    if let Some(p) = krb_principal {
        db::users::add_krb_principal(&tx, id, p).await?;
    }
    tx.commit().await?;
    ctx.committed();
    Ok(id)
}

/// One `krb_principal_mappings` entry of `editUser`: no `old` adds, no `new` removes.
#[derive(Debug, serde::Deserialize)]
pub struct PrincipalChange {
    pub old: Option<String>,
    pub new: Option<String>,
}

/// `editUser`: rename, and change Kerberos principals.
pub async fn edit_user(
    ctx: &CallCtx,
    info: &InfoRef,
    name: Option<&str>,
    mappings: Vec<PrincipalChange>,
) -> KojiResult<()> {
    ctx.assert_perm("admin").await?;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let user = resolve_strict(&tx, info).await?;
    if let Some(new) = name.filter(|n| *n != user.name) {
        validate_user_name(ctx, new)?;
        if db::users::by_name(&tx, new).await?.is_some() {
            return Err(KojiError::generic(format!("Name {new} already taken by another user")));
        }
        db::users::rename(&tx, user.id, new).await?;
    }
    for PrincipalChange { old, new } in mappings {
        if let Some(old) = old
            && db::users::remove_krb_principal(&tx, user.id, &old).await? == 0
        {
            return Err(KojiError::generic(format!(
                "Cannot change principal {old}: user {} has no such principal",
                user.name
            )));
        }
        if let Some(new) = new {
            if db::users::by_krb_principal(&tx, &new).await?.is_some() {
                return Err(KojiError::generic(format!("user with this Kerberos principal already exists: {new}")));
            }
            db::users::add_krb_principal(&tx, user.id, &new).await?;
        }
    }
    tx.commit().await?;
    ctx.committed();
    Ok(())
}

/// `enableUser`/`disableUser`. Disabling also closes the user's sessions, so it takes effect at once.
pub async fn set_user_enabled(ctx: &CallCtx, info: &InfoRef, enabled: bool) -> KojiResult<()> {
    ctx.assert_perm("admin").await?;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let user = resolve_strict(&tx, info).await?;
    let status = if enabled { db::users::STATUS_NORMAL } else { db::users::STATUS_BLOCKED };
    db::users::set_status(&tx, user.id, status).await?;
    let closed = if enabled { vec![] } else { db::sessions::close_for_user(&tx, user.id).await? };
    tx.commit().await?;
    ctx.committed();
    ctx.hub.sessions.get().do_send(Forget(closed));
    tracing::info!(user = %user.name, enabled, "user status changed");
    Ok(())
}

async fn user_id_or_self(ctx: &CallCtx, db: &impl GenericClient, info: Option<InfoRef>) -> KojiResult<i32> {
    match info {
        Some(i) => Ok(resolve_strict(db, &i).await?.id),
        None => Ok(ctx.require_login()?.user_id),
    }
}

pub async fn user_perms(ctx: &CallCtx, info: Option<InfoRef>, with_groups: bool) -> KojiResult<Vec<String>> {
    let db = ctx.db().await?;
    let id = user_id_or_self(ctx, &db, info).await?;
    if with_groups { db::perms::effective(&db, id).await } else { db::perms::direct(&db, id).await }
}

/// `{perm: [None]}` for direct grants and `{perm: [group, ...]}` for the groups that lend it.
pub async fn user_perms_inheritance(ctx: &CallCtx, info: InfoRef) -> KojiResult<BTreeMap<String, Vec<Option<String>>>> {
    let db = ctx.db().await?;
    let user = resolve_strict(&db, &info).await?;
    let mut out: BTreeMap<String, Vec<Option<String>>> = BTreeMap::new();
    for (perm, via) in db::perms::inheritance(&db, user.id).await? {
        out.entry(perm).or_default().push(via);
    }
    Ok(out)
}

pub async fn grant_permission(
    ctx: &CallCtx,
    info: &InfoRef,
    perm: &str,
    create: bool,
    description: Option<&str>,
) -> KojiResult<()> {
    let admin = ctx.assert_perm("admin").await?.user_id;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let user = resolve_strict(&tx, info).await?;
    let perm_id = match db::perms::id_by_name(&tx, perm).await? {
        Some(id) => id,
        None if create => {
            if perm.is_empty() || perm.len() > 50 {
                return Err(KojiError::generic(format!("Invalid permission name: {perm:?}")));
            }
            db::perms::create(&tx, perm, description).await?
        }
        None => return Err(KojiError::generic(format!("No such permission {perm}"))),
    };
    if db::perms::is_granted(&tx, user.id, perm_id).await? {
        return Err(KojiError::generic(format!("user {} already has permission: {perm}", user.name)));
    }
    let event = db::new_event(&tx).await?;
    db::perms::grant(&tx, user.id, perm_id, event, admin).await?;
    tx.commit().await?;
    ctx.committed();
    tracing::info!(user = %user.name, perm, "permission granted");
    Ok(())
}

pub async fn revoke_permission(ctx: &CallCtx, info: &InfoRef, perm: &str) -> KojiResult<()> {
    let admin = ctx.assert_perm("admin").await?.user_id;
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let user = resolve_strict(&tx, info).await?;
    let perm_id = db::perms::id_by_name(&tx, perm)
        .await?
        .ok_or_else(|| KojiError::generic(format!("No such permission {perm}")))?;
    let event = db::new_event(&tx).await?;
    if !db::perms::revoke(&tx, user.id, perm_id, event, admin).await? {
        return Err(KojiError::generic(format!("user {} does not have permission: {perm}", user.name)));
    }
    tx.commit().await?;
    ctx.committed();
    tracing::info!(user = %user.name, perm, "permission revoked");
    Ok(())
}

pub async fn edit_permission(ctx: &CallCtx, perm: &str, description: &str) -> KojiResult<()> {
    ctx.assert_perm("admin").await?;
    let db = ctx.db().await?;
    let id = db::perms::id_by_name(&db, perm)
        .await?
        .ok_or_else(|| KojiError::generic(format!("No such permission {perm}")))?;
    db::perms::set_description(&db, id, description).await?;
    ctx.committed();
    Ok(())
}
