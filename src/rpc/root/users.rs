//! User and permission methods: decode, call `crate::users`, encode.

use crate::db;
use crate::db::query::QueryOpts;
use crate::fault::KojiResult;
use crate::rpc::CallCtx;
use crate::rpc::args::{Flag, InfoRef};
use crate::rpc::registry::Registry;
use crate::users::{self, UserFilter};
use crate::xmlrpc::{Struct, Value};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct NoArgs {}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct GetUser {
    userInfo: Option<InfoRef>,
    strict: Flag,
    krb_princs: Flag,
    groups: Flag,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct ListUsers {
    userType: Option<i32>,
    prefix: Option<String>,
    queryOpts: Option<QueryOpts>,
    perm: Option<String>,
    inherited_perm: Flag,
}

#[derive(Deserialize)]
struct CreateUser {
    username: String,
    status: Option<i32>,
    krb_principal: Option<String>,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct EditUser {
    userInfo: InfoRef,
    name: Option<String>,
    krb_principal_mappings: Option<Vec<crate::users::PrincipalChange>>,
}

#[derive(Deserialize)]
struct UserName {
    username: InfoRef,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct GetUserPerms {
    userID: Option<InfoRef>,
    with_groups: Flag,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct UserId {
    userID: InfoRef,
}

#[derive(Deserialize)]
struct HasPerm {
    perm: String,
    strict: Flag,
}

#[derive(Deserialize)]
struct Grant {
    userinfo: InfoRef,
    permission: String,
    create: Flag,
    description: Option<String>,
}

#[derive(Deserialize)]
struct Revoke {
    userinfo: InfoRef,
    permission: String,
}

#[derive(Deserialize)]
struct EditPermission {
    permission: String,
    description: String,
}

async fn get_logged_in_user(ctx: CallCtx, _: NoArgs) -> KojiResult<Option<Struct>> {
    users::logged_in_user(&ctx).await
}

async fn get_user(ctx: CallCtx, a: GetUser) -> KojiResult<Option<Struct>> {
    users::get_user(&ctx, a.userInfo, a.strict.0, a.krb_princs.0, a.groups.0).await
}

async fn list_users(ctx: CallCtx, a: ListUsers) -> KojiResult<Value> {
    let filter =
        UserFilter { usertype: a.userType, prefix: a.prefix, perm: a.perm, inherited_perm: a.inherited_perm.0 };
    users::list_users(&ctx, filter, &a.queryOpts.unwrap_or_default()).await
}

async fn create_user(ctx: CallCtx, a: CreateUser) -> KojiResult<i32> {
    users::create_user(&ctx, &a.username, a.status, a.krb_principal.as_deref()).await
}

async fn edit_user(ctx: CallCtx, a: EditUser) -> KojiResult<()> {
    users::edit_user(&ctx, &a.userInfo, a.name.as_deref(), a.krb_principal_mappings.unwrap_or_default()).await
}

async fn enable_user(ctx: CallCtx, a: UserName) -> KojiResult<()> {
    users::set_user_enabled(&ctx, &a.username, true).await
}

async fn disable_user(ctx: CallCtx, a: UserName) -> KojiResult<()> {
    users::set_user_enabled(&ctx, &a.username, false).await
}

async fn get_perms(ctx: CallCtx, _: NoArgs) -> KojiResult<Vec<String>> {
    match ctx.session() {
        Some(s) => db::perms::effective(&ctx.db().await?, s.user_id).await,
        None => Ok(vec![]),
    }
}

async fn get_user_perms(ctx: CallCtx, a: GetUserPerms) -> KojiResult<Vec<String>> {
    users::user_perms(&ctx, a.userID, a.with_groups.0).await
}

async fn get_user_perms_inheritance(ctx: CallCtx, a: UserId) -> KojiResult<BTreeMap<String, Vec<Option<String>>>> {
    users::user_perms_inheritance(&ctx, a.userID).await
}

async fn has_perm(ctx: CallCtx, a: HasPerm) -> KojiResult<bool> {
    if a.strict.0 && db::perms::id_by_name(&ctx.db().await?, &a.perm).await?.is_none() {
        return Err(crate::fault::KojiError::generic(format!("No such permission {}", a.perm)));
    }
    ctx.has_perm(&a.perm).await
}

async fn get_all_perms(ctx: CallCtx, _: NoArgs) -> KojiResult<Vec<Struct>> {
    db::perms::all(&ctx.db().await?).await
}

async fn grant_permission(ctx: CallCtx, a: Grant) -> KojiResult<()> {
    users::grant_permission(&ctx, &a.userinfo, &a.permission, a.create.0, a.description.as_deref()).await
}

async fn revoke_permission(ctx: CallCtx, a: Revoke) -> KojiResult<()> {
    users::revoke_permission(&ctx, &a.userinfo, &a.permission).await
}

async fn edit_permission(ctx: CallCtx, a: EditPermission) -> KojiResult<()> {
    users::edit_permission(&ctx, &a.permission, &a.description).await
}

pub fn register(r: &mut Registry) {
    r.add("getLoggedInUser", "", "The logged-in user with its authtype, or None.", get_logged_in_user);
    r.add(
        "getUser",
        "userInfo=None, strict=False, krb_princs=True, groups=False",
        "Get a user by id, name or principal.",
        get_user,
    );
    r.add(
        "listUsers",
        "userType=0, prefix=None, queryOpts=None, perm=None, inherited_perm=False",
        "List users of a type (None for any), by name prefix or permission.",
        list_users,
    );
    r.add("createUser", "username, status=None, krb_principal=None", "Create a user (admin).", create_user);
    r.add(
        "editUser",
        "userInfo, name=None, krb_principal_mappings=None",
        "Rename a user or change its principals (admin).",
        edit_user,
    );
    r.add("enableUser", "username", "Allow a user to log in again (admin).", enable_user);
    r.add("disableUser", "username", "Block a user's logins and close its sessions (admin).", disable_user);
    r.add("getPerms", "", "Permissions of the logged-in user.", get_perms);
    r.add("getUserPerms", "userID=None, with_groups=True", "Permissions of a user.", get_user_perms);
    r.add(
        "getUserPermsInheritance",
        "userID",
        "Permissions of a user with the groups they come from.",
        get_user_perms_inheritance,
    );
    r.add("hasPerm", "perm, strict=False", "Whether the logged-in user holds a permission.", has_perm);
    r.add("getAllPerms", "", "Every permission with its description.", get_all_perms);
    r.add(
        "grantPermission",
        "userinfo, permission, create=False, description=None",
        "Grant a permission, creating it when asked (admin).",
        grant_permission,
    );
    r.add("revokePermission", "userinfo, permission", "Revoke a permission (admin).", revoke_permission);
    r.add("editPermission", "permission, description", "Change a permission's description (admin).", edit_permission);
}
