//! Koji's `QueryView` calls (`scheduler.getTaskRuns`, `getLogMessages`, ...): clauses as
//! `[field, value]` or `[field, op, value]` triples over a fixed field map, an optional field subset, queryOpts.

use super::query::{QueryOpts, Select};
use crate::fault::{KojiError, KojiResult};
use crate::xmlrpc::Value;
use deadpool_postgres::GenericClient;

pub struct View {
    pub from: &'static str,
    /// `(field, SQL expression)`; the order is the order of the default result.
    pub fields: &'static [(&'static str, &'static str)],
    pub default_fields: &'static [&'static str],
    pub default_order: &'static str,
}

const OPS: &[&str] = &["=", "!=", "<", ">", "<=", ">=", "IN", "NOT IN", "IS", "IS NOT", "@>", "<@"];

fn add_clause(view: &View, q: &mut Select, clause: &Value) -> KojiResult<()> {
    let parts = clause.as_array().ok_or_else(|| KojiError::param("each clause must be a list"))?;
    let (field, op, value) = match parts {
        [f, v] => (f, "=", v),
        [f, Value::String(op), v] => (f, op.as_str(), v),
        _ => return Err(KojiError::param("a clause is [field, value] or [field, op, value]")),
    };
    let field = field.as_str().ok_or_else(|| KojiError::param("clause field must be a string"))?;
    let (_, expr) = view
        .fields
        .iter()
        .find(|(name, _)| *name == field)
        .ok_or_else(|| KojiError::param(format!("Invalid field for query: {field}")))?;
    let op = op.to_ascii_uppercase();
    if !OPS.contains(&op.as_str()) {
        return Err(KojiError::param(format!("Invalid operator: {op}")));
    }
    match (value, op.as_str()) {
        (Value::Nil, "=" | "IS") => q.condition(&format!("{expr} IS NULL")),
        (Value::Nil, "!=" | "IS NOT") => q.condition(&format!("{expr} IS NOT NULL")),
        (Value::Array(items), "IN" | "NOT IN") => {
            let texts: Vec<String> = items.iter().map(value_text).collect::<KojiResult<_>>()?;
            let not = if op == "NOT IN" { "NOT " } else { "" };
            q.filter(&format!("{not}({expr})::text = ANY($?)"), texts)
        }
        (Value::Struct(_), "=" | "!=" | "@>" | "<@") => {
            q.filter(&format!("({expr})::jsonb {op} $?::jsonb"), crate::db::value_to_json(value))
        }
        (Value::Int(i), _) => q.filter(&format!("{expr} {op} $?::int8"), *i),
        (Value::Double(d), _) => q.filter(&format!("{expr} {op} $?::float8"), *d),
        (Value::Bool(b), _) => q.filter(&format!("{expr} {op} $?::bool"), *b),
        (Value::String(s), _) => q.filter(&format!("{expr} {op} $?::text"), s.clone()),
        _ => return Err(KojiError::param(format!("unsupported value in clause on {field}"))),
    };
    Ok(())
}

fn value_text(v: &Value) -> KojiResult<String> {
    Ok(match v {
        Value::Int(i) => i.to_string(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Double(d) => d.to_string(),
        _ => return Err(KojiError::param("unsupported value in an IN clause")),
    })
}

pub async fn query(
    db: &impl GenericClient,
    view: &View,
    clauses: Option<Vec<Value>>,
    fields: Option<Vec<String>>,
    opts: Option<QueryOpts>,
) -> KojiResult<Value> {
    // `*` and `**` (QueryView's "all fields", with and without joins) are every field here.
    let wanted: Vec<&str> = match &fields {
        Some(f) if f.iter().any(|f| f == "*" || f == "**") => view.fields.iter().map(|(n, _)| *n).collect(),
        Some(f) => f.iter().map(String::as_str).collect(),
        None => view.default_fields.to_vec(),
    };
    let mut columns = vec![];
    for w in &wanted {
        let col =
            view.fields.iter().find(|(n, _)| n == w).ok_or_else(|| KojiError::param(format!("Invalid field: {w}")))?;
        columns.push(*col);
    }
    let mut q = Select::new(columns, view.from, view.default_order);
    for c in clauses.unwrap_or_default() {
        add_clause(view, &mut q, &c)?;
    }
    q.fetch(db, &opts.unwrap_or(QueryOpts { order: Some(view.default_order.into()), ..Default::default() })).await
}
