//! Koji's hub policies, as its default configuration defines them (`kojixmlrpc._default_policies`). koji-rs has
//! no policy engine: each default rule set is written out here, and a policy Koji does not define by default is
//! missing, which Koji's `MissingPolicyOk` (default on) allows.
//!
//! Policy data comes from the caller (`host.assertPolicy(name, data)`): `has_perm` tests look at the user named
//! by `data['user_id']` (kojid passes the task owner), else at the logged-in user, as Koji's `policy_get_user`.

use crate::db::perms;
use crate::fault::{KojiError, KojiResult};
use crate::xmlrpc::{Struct, Value};
use deadpool_postgres::GenericClient;

/// The action a rule set chose, with Koji's wording: `allow`, `deny <reason>`, or a value (`DEFAULT`, `stay`).
#[derive(Debug, Clone, PartialEq)]
pub struct Action(pub String);

impl Action {
    /// `(result, reason)`: the first word, lower-cased, and the rest.
    fn split(&self) -> (String, String) {
        let mut parts = self.0.splitn(2, char::is_whitespace);
        let result = parts.next().unwrap_or_default().to_lowercase();
        (result, parts.next().unwrap_or_default().trim().to_owned())
    }
}

/// Whose permissions `has_perm` tests check.
fn policy_user(data: &Struct, session_user: Option<i32>) -> KojiResult<Option<i32>> {
    match data.get("user_id").and_then(Value::as_i64) {
        Some(id) => Ok(Some(i32::try_from(id).map_err(|_| KojiError::generic(format!("No such user: {id}")))?)),
        None => Ok(session_user),
    }
}

async fn has_any_perm(db: &impl GenericClient, user: Option<i32>, wanted: &[&str]) -> KojiResult<bool> {
    let Some(user) = user else { return Ok(false) };
    Ok(perms::effective(db, user).await?.iter().any(|p| wanted.contains(&p.as_str())))
}

/// Koji's `eval_policy`: the action of the named default policy for `data`; None for a policy Koji does not
/// define by default.
pub async fn evaluate(
    db: &impl GenericClient,
    name: &str,
    data: &Struct,
    session_user: Option<i32>,
) -> KojiResult<Option<Action>> {
    let user = policy_user(data, session_user)?;
    let admin_only = "deny Only admin can do this via default policy";
    let action =
        match name {
            "build_rpm" | "cg_import" => "allow",
            "build_from_srpm" | "build_from_repo_id" | "build_from_scm" => {
                if has_any_perm(db, user, &["admin"]).await? { "allow" } else { admin_only }
            }
            "package_list" => {
                if has_any_perm(db, user, &["admin", "tag"]).await? {
                    "allow"
                } else {
                    "deny Only admin/tag can do this via default policy"
                }
            }
            "vm" => {
                if has_any_perm(db, user, &["admin", "win-admin"]).await? {
                    "allow"
                } else {
                    "deny Only admin/win-admin can do this via default policy"
                }
            }
            "channel" => {
                if data.get("req_channel").is_some_and(Value::truthy) {
                    "req"
                } else if data.get("parent").is_some_and(|p| !p.is_nil()) {
                    "parent"
                } else {
                    "use default"
                }
            }
            "volume" => "DEFAULT",
            "priority" => "stay",
            "draft_promotion" => {
                if has_any_perm(db, user, &["draft-promoter"]).await? {
                    "allow"
                } else {
                    "deny Only draft-promoter and build owner can do this via default policy"
                }
            }
            _ => return Ok(None),
        };
    Ok(Some(Action(action.to_owned())))
}

/// Koji's `check_policy`: `(allowed, reason)`; a missing policy allows (`MissingPolicyOk`). With `strict`, a
/// refusal is Koji's `ActionNotAllowed("policy violation (<name>): <reason>")`.
pub async fn check(
    db: &impl GenericClient,
    name: &str,
    data: &Struct,
    session_user: Option<i32>,
    strict: bool,
) -> KojiResult<(bool, String)> {
    let (result, reason) = match evaluate(db, name, data, session_user).await? {
        None => ("allow".to_owned(), "missing policy".to_owned()),
        Some(action) => action.split(),
    };
    if result == "allow" {
        return Ok((true, reason));
    }
    let reason = if result == "deny" { reason } else { "error in policy".to_owned() };
    if !strict {
        return Ok((false, reason));
    }
    let mut message = format!("policy violation ({name})");
    if !reason.is_empty() {
        message.push_str(&format!(": {reason}"));
    }
    Err(KojiError::not_allowed(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_split_like_kojis() {
        let (r, why) = Action("deny Only admin can do this via default policy".into()).split();
        assert_eq!((r.as_str(), why.as_str()), ("deny", "Only admin can do this via default policy"));
        assert_eq!(Action("allow".into()).split(), ("allow".into(), String::new()));
    }
}
