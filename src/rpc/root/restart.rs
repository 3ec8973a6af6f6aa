//! `restartHosts`: the admin's graceful restart of the build hosts. The hub only makes the `restartHosts`
//! task; kojid's handler picks the hosts and pins a `restart` and a `restartVerify` child on each.

use crate::fault::{KojiError, KojiResult};
use crate::rpc::CallCtx;
use crate::rpc::registry::Registry;
use crate::tasks::{self, TaskSpec};
use crate::xmlrpc::Value;
use serde::Deserialize;

#[derive(Deserialize)]
struct RestartHosts {
    priority: Option<i32>,
    options: Option<Value>,
}

async fn restart_hosts(ctx: CallCtx, a: RestartHosts) -> KojiResult<i32> {
    let user = ctx.assert_perm("host").await?.user_id;
    let params = match a.options {
        None | Some(Value::Nil) => vec![],
        Some(Value::Struct(s)) => vec![Value::Struct(s)],
        Some(other) => return Err(KojiError::param(format!("Invalid type of options: {other:?}"))),
    };
    let mut client = ctx.db().await?;
    let tx = client.transaction().await?;
    let spec = TaskSpec {
        method: "restartHosts".into(),
        params,
        owner: user,
        priority: Some(a.priority.unwrap_or(5)),
        ..Default::default()
    };
    let id = tasks::make_task(&tx, spec).await?;
    tx.commit().await?;
    ctx.committed();
    Ok(id)
}

pub fn register(r: &mut Registry) {
    r.add("restartHosts", "priority=5, options=None", "Spawns restartHosts task", restart_hosts);
}
