//! PostgreSQL access: the pool, migrations, and one small query module per concern.
//!
//! PostgreSQL is the source of truth; actors only cache. Every statement goes through `prepare_cached`, and
//! rows are turned into XML-RPC structs keyed by the column aliases, which are Koji's field names.

pub mod builds;
pub mod channels;
pub mod hosts;
pub mod hosts_live;
pub mod migrate;
pub mod perms;
pub mod query;
pub mod repos;
pub mod rpms;
pub mod scheduler;
pub mod sessions;
pub mod tags;
pub mod tasks;
pub mod users;
pub mod versioned;
pub mod view;

use crate::config::HubConfig;
use crate::fault::KojiResult;
use crate::xmlrpc::{Struct, Value};
use deadpool_postgres::{GenericClient, ManagerConfig, RecyclingMethod};
use tokio_postgres::types::{ToSql, Type};

pub type Pool = deadpool_postgres::Pool;

/// Builds the hub's connection pool. Connections are opened lazily, so this does not touch the server.
pub fn make_pool(config: &HubConfig, size: usize) -> anyhow::Result<Pool> {
    let pg = config.pg_config()?;
    let mgr = deadpool_postgres::Manager::from_config(
        pg,
        tokio_postgres::NoTls,
        ManagerConfig { recycling_method: RecyclingMethod::Fast },
    );
    Ok(Pool::builder(mgr).max_size(size).build()?)
}

/// Koji opens one `events` row per changing transaction; versioned rows reference it.
pub async fn new_event(db: &impl GenericClient) -> KojiResult<i32> {
    let st = db.prepare_cached("SELECT get_event()").await?;
    Ok(db.query_one(&st, &[]).await?.get(0))
}

/// Runs a cached statement and converts each row to a struct named by its column aliases.
pub async fn query_structs(
    db: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> KojiResult<Vec<Struct>> {
    let st = db.prepare_cached(sql).await?;
    db.query(&st, params).await?.iter().map(row_to_struct).collect()
}

pub async fn query_opt_struct(
    db: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> KojiResult<Option<Struct>> {
    let st = db.prepare_cached(sql).await?;
    db.query_opt(&st, params).await?.as_ref().map(row_to_struct).transpose()
}

/// Koji's hub sends timestamps as `str(datetime)` of a TIMESTAMPTZ: `2025-07-01 12:00:00.123456+00:00`,
/// without the fraction when it is zero. The CLI slices these strings, so the shape matters.
pub fn koji_time(t: &chrono::DateTime<chrono::Utc>) -> String {
    if t.timestamp_subsec_micros() == 0 {
        t.format("%Y-%m-%d %H:%M:%S+00:00").to_string()
    } else {
        t.format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string()
    }
}

pub fn row_to_struct(row: &tokio_postgres::Row) -> KojiResult<Struct> {
    let mut out = Struct::new();
    for (i, col) in row.columns().iter().enumerate() {
        out.insert(col.name().to_owned(), column_value(row, i, col.type_())?);
    }
    Ok(out)
}

fn column_value(row: &tokio_postgres::Row, i: usize, ty: &Type) -> KojiResult<Value> {
    use chrono::{DateTime, Utc};
    Ok(match *ty {
        Type::BOOL => row.get::<_, Option<bool>>(i).into(),
        Type::INT2 => row.get::<_, Option<i16>>(i).map(i64::from).into(),
        Type::INT4 => row.get::<_, Option<i32>>(i).into(),
        Type::INT8 => row.get::<_, Option<i64>>(i).into(),
        Type::FLOAT4 => row.get::<_, Option<f32>>(i).map(f64::from).into(),
        Type::FLOAT8 => row.get::<_, Option<f64>>(i).into(),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => row.get::<_, Option<String>>(i).into(),
        Type::TIMESTAMPTZ => row.get::<_, Option<DateTime<Utc>>>(i).map(|t| koji_time(&t)).into(),
        Type::JSON | Type::JSONB => match row.get::<_, Option<serde_json::Value>>(i) {
            None => Value::Nil,
            Some(j) => json_to_value(j),
        },
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY => match row.get::<_, Option<Vec<Option<String>>>>(i) {
            None => Value::Nil,
            Some(v) => Value::Array(v.into_iter().map(Value::from).collect()),
        },
        Type::INT4_ARRAY => match row.get::<_, Option<Vec<Option<i32>>>>(i) {
            None => Value::Nil,
            Some(v) => Value::Array(v.into_iter().map(Value::from).collect()),
        },
        ref other => {
            return Err(crate::fault::KojiError::Internal(format!("unsupported column type {other} in result")));
        }
    })
}

/// JSON columns (tag `extra`, repo `opts`) go out as decoded structures, as Koji's hub sends them.
pub fn json_to_value(j: serde_json::Value) -> Value {
    match j {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Double(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Value::String(s),
        serde_json::Value::Array(a) => Value::Array(a.into_iter().map(json_to_value).collect()),
        serde_json::Value::Object(o) => Value::Struct(o.into_iter().map(|(k, v)| (k, json_to_value(v))).collect()),
    }
}

/// The reverse of [`json_to_value`], for values stored as JSON text (tag `extra`). Python's `json.dumps` has no
/// form for binary or date values either; they are kept as their text.
pub fn value_to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Nil => serde_json::Value::Null,
        Value::Bool(b) => (*b).into(),
        Value::Int(i) => (*i).into(),
        Value::Double(d) => serde_json::Number::from_f64(*d).map_or(serde_json::Value::Null, serde_json::Value::Number),
        Value::String(s) | Value::DateTime(s) => s.clone().into(),
        Value::Base64(b) => String::from_utf8_lossy(b).into_owned().into(),
        Value::Array(a) => a.iter().map(value_to_json).collect(),
        Value::Struct(s) => s.iter().map(|(k, v)| (k.clone(), value_to_json(v))).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn time_format_matches_python_str_of_datetime() {
        let t = chrono::Utc.with_ymd_and_hms(2025, 7, 1, 12, 0, 0).unwrap();
        assert_eq!(koji_time(&t), "2025-07-01 12:00:00+00:00");
        let t = t + chrono::Duration::microseconds(123456);
        assert_eq!(koji_time(&t), "2025-07-01 12:00:00.123456+00:00");
    }

    #[test]
    fn json_becomes_nested_values() {
        let v = json_to_value(serde_json::json!({"a": [1, 2.5, null, "x"], "b": {"c": true}}));
        let s = v.as_struct().unwrap();
        assert_eq!(s["a"], Value::Array(vec![Value::Int(1), Value::Double(2.5), Value::Nil, Value::from("x")]));
        assert_eq!(s["b"].as_struct().unwrap()["c"], Value::Bool(true));
        assert_eq!(json_to_value(value_to_json(&v)), v);
    }
}
