//! `listTasks`: every filter of Koji's, one query.

use crate::db::query::{QueryOpts, Select, TimeArg};
use crate::fault::KojiResult;
use crate::rpc::CallCtx;
use crate::rpc::args::{Flag, OneOrMany};
use crate::xmlrpc::{self, Limits, Struct, Value};
use serde::Deserialize;

/// Koji's `Task.fields` plus what `listTasks` adds.
const LIST_COLUMNS: &[(&str, &str)] = &[
    ("id", "task.id"),
    ("state", "task.state"),
    ("create_time", "task.create_time"),
    ("create_ts", "date_part('epoch', task.create_time)"),
    ("start_time", "task.start_time"),
    ("start_ts", "date_part('epoch', task.start_time)"),
    ("completion_time", "task.completion_time"),
    ("completion_ts", "date_part('epoch', task.completion_time)"),
    ("channel_id", "task.channel_id"),
    ("host_id", "task.host_id"),
    ("parent", "task.parent"),
    ("label", "task.label"),
    ("waiting", "task.waiting"),
    ("awaited", "task.awaited"),
    ("owner", "task.owner"),
    ("method", "task.method"),
    ("arch", "task.arch"),
    ("priority", "task.priority"),
    ("weight", "task.weight"),
    ("request", "task.request"),
    ("result", "task.result"),
    ("owner_name", "users.name"),
    ("owner_type", "users.usertype"),
];

/// An id filter: one id, a list, or nil (meaning IS NULL), as `listTasks` takes them.
pub type IdFilter = OneOrMany<i32>;

/// `listTasks` options. `Option<Option<_>>` tells "absent" from "given as nil".
#[derive(Debug, Default, Deserialize)]
#[allow(non_snake_case)]
pub struct TaskFilter {
    pub arch: Option<Vec<String>>,
    pub not_arch: Option<Vec<String>>,
    pub state: Option<Vec<i32>>,
    pub not_state: Option<Vec<i32>>,
    #[serde(default, deserialize_with = "present")]
    pub owner: Option<Option<IdFilter>>,
    #[serde(default, deserialize_with = "present")]
    pub not_owner: Option<Option<IdFilter>>,
    #[serde(default, deserialize_with = "present")]
    pub host_id: Option<Option<IdFilter>>,
    #[serde(default, deserialize_with = "present")]
    pub not_host_id: Option<Option<IdFilter>>,
    #[serde(default, deserialize_with = "present")]
    pub channel_id: Option<Option<IdFilter>>,
    #[serde(default, deserialize_with = "present")]
    pub not_channel_id: Option<Option<IdFilter>>,
    #[serde(default, deserialize_with = "present")]
    pub parent: Option<Option<IdFilter>>,
    #[serde(default, deserialize_with = "present")]
    pub not_parent: Option<Option<IdFilter>>,
    pub method: Option<String>,
    #[serde(default)]
    pub decode: Flag,
    pub createdBefore: Option<TimeArg>,
    pub createdAfter: Option<TimeArg>,
    pub startedBefore: Option<TimeArg>,
    pub startedAfter: Option<TimeArg>,
    pub completeBefore: Option<TimeArg>,
    pub completeAfter: Option<TimeArg>,
    pub completedBefore: Option<TimeArg>,
    pub completedAfter: Option<TimeArg>,
}

/// A key that is present (even as nil) deserializes to `Some(..)`.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

fn id_filter(q: &mut Select, column: &str, include: Option<Option<IdFilter>>, exclude: Option<Option<IdFilter>>) {
    match include {
        None => {}
        Some(None) => {
            q.condition(&format!("{column} IS NULL"));
        }
        Some(Some(IdFilter::One(id))) => {
            q.filter(&format!("{column} = $?"), id);
        }
        Some(Some(IdFilter::Many(ids))) => {
            q.filter(&format!("{column} = ANY($?)"), ids);
        }
    }
    match exclude {
        None => {}
        Some(None) => {
            q.condition(&format!("{column} IS NOT NULL"));
        }
        Some(Some(IdFilter::One(id))) => {
            q.filter(&format!("{column} IS DISTINCT FROM $?"), id);
        }
        Some(Some(IdFilter::Many(ids))) => {
            q.filter(&format!("NOT ({column} = ANY($?))"), ids);
        }
    }
}

/// Task states as an array literal, not a parameter: the active states are a sliver of a farm's tasks and the
/// planner must see which ones are asked for. Given as a parameter, the cached statement's generic plan assumes an
/// average share and walks the whole id index backwards for `state=[FREE, OPEN, ASSIGNED] ORDER BY -id`
/// (70 ms instead of 0.1 ms at 100,000 tasks). Integers only, so nothing user-supplied reaches the SQL text.
fn state_array(states: &[i32]) -> String {
    let list: Vec<String> = states.iter().map(i32::to_string).collect();
    format!("'{{{}}}'::int4[]", list.join(","))
}

pub async fn list_tasks(ctx: &CallCtx, f: TaskFilter, opts: &QueryOpts) -> KojiResult<Value> {
    let mut q = Select::new(LIST_COLUMNS, "task LEFT JOIN users ON task.owner = users.id", "id");
    if let Some(a) = f.arch {
        q.filter("task.arch = ANY($?)", a);
    }
    if let Some(a) = f.not_arch {
        q.filter("NOT (task.arch = ANY($?))", a);
    }
    if let Some(s) = f.state {
        q.condition(&format!("task.state = ANY({})", state_array(&s)));
    }
    if let Some(s) = f.not_state {
        q.condition(&format!("NOT (task.state = ANY({}))", state_array(&s)));
    }
    id_filter(&mut q, "task.owner", f.owner, f.not_owner);
    id_filter(&mut q, "task.host_id", f.host_id, f.not_host_id);
    id_filter(&mut q, "task.channel_id", f.channel_id, f.not_channel_id);
    id_filter(&mut q, "task.parent", f.parent, f.not_parent);
    if let Some(m) = f.method {
        q.filter("task.method = $?", m);
    }
    let times = [
        (f.createdBefore, "task.create_time", "<"),
        (f.createdAfter, "task.create_time", ">"),
        (f.startedBefore, "task.start_time", "<"),
        (f.startedAfter, "task.start_time", ">"),
        (f.completeBefore.or(f.completedBefore), "task.completion_time", "<"),
        (f.completeAfter.or(f.completedAfter), "task.completion_time", ">"),
    ];
    for (t, column, op) in times {
        if let Some(t) = t {
            q.time_filter(column, op, t);
        }
    }
    let mut result = q.fetch(&ctx.db().await?, opts).await?;
    if f.decode.0
        && let Value::Array(rows) = &mut result
    {
        for row in rows.iter_mut().filter_map(|r| match r {
            Value::Struct(s) => Some(s),
            _ => None,
        }) {
            decode_request_and_result(row);
        }
    }
    Ok(result)
}

/// `request` is stored as an XML-RPC call document and `result` as a response; `decode` returns them as values
/// (a failed task's result becomes its fault struct).
fn decode_request_and_result(row: &mut Struct) {
    if let Some(Value::String(text)) = row.get("request")
        && let Ok(call) = xmlrpc::parse_method_call(text.as_bytes(), Limits::default())
    {
        row.insert("request".into(), Value::Array(call.params));
    }
    if let Some(Value::String(text)) = row.get("result") {
        let decoded = match xmlrpc::parse_method_response(text.as_bytes(), Limits::default()) {
            Ok(Ok(v)) => v,
            Ok(Err(fault)) => {
                let mut s = Struct::new();
                s.insert("faultCode".into(), Value::Int(fault.code.into()));
                s.insert("faultString".into(), Value::String(fault.message));
                Value::Struct(s)
            }
            Err(_) => return,
        };
        row.insert("result".into(), decoded);
    }
}

#[cfg(test)]
mod tests {
    use super::state_array;

    #[test]
    fn states_are_array_literals() {
        assert_eq!(state_array(&[0, 1, 4]), "'{0,1,4}'::int4[]");
        assert_eq!(state_array(&[]), "'{}'::int4[]");
    }
}
