//! Koji's `queryOpts` (order, offset, limit, countOnly, asList) over a list query built from filters.
//!
//! A list call is one SQL statement: the handler names the columns (alias = Koji field name), adds a clause per
//! given filter, and `Select::fetch` applies the options. Order keys are checked against the aliases, so a client
//! can never inject SQL through them.

use crate::fault::{KojiError, KojiResult};
use crate::xmlrpc::{Struct, Value};
use deadpool_postgres::GenericClient;
use serde::Deserialize;
use std::borrow::Cow;
use std::cmp::Ordering;
use tokio_postgres::types::ToSql;

type Text = Cow<'static, str>;

#[derive(Debug, Default, Clone, Deserialize)]
pub struct QueryOpts {
    pub order: Option<String>,
    pub offset: Option<i64>,
    pub limit: Option<i64>,
    #[serde(rename = "countOnly")]
    pub count_only: Option<bool>,
    #[serde(rename = "asList")]
    pub as_list: Option<bool>,
    pub group: Option<String>,
}

/// `(alias, SQL expression)` pairs; the alias is the Koji field name.
pub type Columns = Cow<'static, [(&'static str, &'static str)]>;

pub struct Select {
    columns: Vec<(Text, Text)>,
    from: String,
    clauses: Vec<String>,
    params: Vec<Box<dyn ToSql + Sync + Send>>,
    default_order: &'static str,
}

impl Select {
    /// `columns` are `(alias, SQL expression)` pairs (a static table, or a `Vec` when the fields depend on the
    /// call's options); `from` holds the tables and joins.
    pub fn new(columns: impl Into<Columns>, from: &'static str, default_order: &'static str) -> Self {
        let columns = columns.into().iter().map(|(alias, expr)| (Text::from(*alias), Text::from(*expr))).collect();
        Select { columns, from: from.to_owned(), clauses: vec![], params: vec![], default_order }
    }
    /// Adds a column after those given to `new`, for queries whose shape depends on the call.
    pub fn column(&mut self, alias: impl Into<Text>, expr: impl Into<Text>) -> &mut Self {
        self.columns.push((alias.into(), expr.into()));
        self
    }

    /// `column` for several fixed columns at once (a type's extra fields, say).
    pub fn add_columns(&mut self, columns: &[(&'static str, &'static str)]) -> &mut Self {
        for (alias, expr) in columns {
            self.column(*alias, *expr);
        }
        self
    }

    /// Appends a join (`LEFT JOIN x ON ...`) to the FROM clause.
    pub fn join(&mut self, join: &str) -> &mut Self {
        self.from.push(' ');
        self.from.push_str(join);
        self
    }

    /// Binds `value` and returns its placeholder (`$3`), for a value used in columns as well as clauses.
    pub fn bind<T: ToSql + Sync + Send + 'static>(&mut self, value: T) -> String {
        self.params.push(Box::new(value));
        format!("${}", self.params.len())
    }

    /// Adds a WHERE clause; each `$?` in it is replaced by the placeholder of `value`.
    pub fn filter<T: ToSql + Sync + Send + 'static>(&mut self, clause: &str, value: T) -> &mut Self {
        let placeholder = self.bind(value);
        self.clauses.push(clause.replace("$?", &placeholder));
        self
    }

    /// Adds a WHERE clause without parameters.
    pub fn condition(&mut self, clause: &str) -> &mut Self {
        self.clauses.push(clause.to_owned());
        self
    }

    fn order_by(&self, order: Option<&str>) -> KojiResult<String> {
        let order = order.unwrap_or(self.default_order);
        let mut keys = vec![];
        for key in order.split(',').map(str::trim).filter(|k| !k.is_empty()) {
            let (name, desc) = match key.strip_prefix('-') {
                Some(n) => (n, " DESC"),
                None => (key, ""),
            };
            let Some((_, expr)) = self.columns.iter().find(|(alias, _)| alias == name) else {
                return Err(KojiError::param(format!("Invalid order: {key}")));
            };
            keys.push(format!("{expr}{desc}"));
        }
        Ok(if keys.is_empty() { String::new() } else { format!(" ORDER BY {}", keys.join(", ")) })
    }

    pub fn sql(&self, opts: &QueryOpts) -> KojiResult<String> {
        if opts.group.is_some() {
            return Err(KojiError::param("queryOpts 'group' is not supported"));
        }
        let cols: Vec<String> = self.columns.iter().map(|(alias, expr)| format!("{expr} AS \"{alias}\"")).collect();
        let mut sql = format!("SELECT {} FROM {}", cols.join(", "), self.from);
        if !self.clauses.is_empty() {
            // Parenthesized, so a clause with OR keeps its meaning (as Koji's QueryProcessor does).
            let clauses: Vec<String> = self.clauses.iter().map(|c| format!("({c})")).collect();
            sql.push_str(" WHERE ");
            sql.push_str(&clauses.join(" AND "));
        }
        if opts.count_only == Some(true) {
            return Ok(format!("SELECT count(*) FROM ({sql}) AS counted"));
        }
        sql.push_str(&self.order_by(opts.order.as_deref())?);
        if let Some(limit) = opts.limit {
            sql.push_str(&format!(" LIMIT {}", limit.max(0)));
        }
        if let Some(offset) = opts.offset {
            sql.push_str(&format!(" OFFSET {}", offset.max(0)));
        }
        Ok(sql)
    }

    async fn run(&self, db: &impl GenericClient, opts: &QueryOpts) -> KojiResult<Vec<tokio_postgres::Row>> {
        let sql = self.sql(opts)?;
        let params: Vec<&(dyn ToSql + Sync)> = self.params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect();
        let st = db.prepare_cached(&sql).await?;
        Ok(db.query(&st, &params).await?)
    }

    /// Runs the query in its default order, for callers that work on typed rows (read by alias).
    pub async fn rows(&self, db: &impl GenericClient) -> KojiResult<Vec<tokio_postgres::Row>> {
        self.run(db, &QueryOpts::default()).await
    }

    /// Runs the query: a list of structs, a list of lists (`asList`), or an int (`countOnly`).
    pub async fn fetch(&self, db: &impl GenericClient, opts: &QueryOpts) -> KojiResult<Value> {
        let rows = self.run(db, opts).await?;
        if opts.count_only == Some(true) {
            return Ok(Value::Int(rows.first().map_or(0, |r| r.get(0))));
        }
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let record = super::row_to_struct(row)?;
            out.push(if opts.as_list == Some(true) {
                Value::Array(
                    self.columns
                        .iter()
                        .map(|(alias, _)| record.get(alias.as_ref()).cloned().unwrap_or(Value::Nil))
                        .collect(),
                )
            } else {
                Value::Struct(record)
            });
        }
        Ok(Value::Array(out))
    }

    /// Every row in the default order, for callers that post-process the records (inheritance walks, `latest`
    /// selection) before anything goes out.
    pub async fn structs(&self, db: &impl GenericClient) -> KojiResult<Vec<Struct>> {
        self.rows(db).await?.iter().map(super::row_to_struct).collect()
    }

    /// The first row in the default order, for lookups of one record (`getHost`, `getChannel`).
    pub async fn fetch_one(&self, db: &impl GenericClient) -> KojiResult<Option<Struct>> {
        let opts = QueryOpts { limit: Some(1), ..Default::default() };
        self.run(db, &opts).await?.first().map(super::row_to_struct).transpose()
    }
}

impl QueryOpts {
    /// Koji's `_applyQueryOpts`: the options applied to rows assembled in memory (inheritance walks), where no
    /// single SQL statement can order or page them. Sorting is stable, so rows keep their walk order among
    /// equal keys; `asList` keeps Koji's field order given by `fields`.
    pub fn apply(&self, mut rows: Vec<Struct>, fields: &[&str]) -> KojiResult<Value> {
        if self.group.is_some() {
            return Err(KojiError::param("queryOpts 'group' is not supported"));
        }
        if let Some(order) = self.order.as_deref().filter(|o| !o.is_empty()) {
            let (key, desc) = match order.strip_prefix('-') {
                Some(k) => (k, true),
                None => (order, false),
            };
            if !fields.contains(&key) {
                return Err(KojiError::param(format!("Invalid order: {order}")));
            }
            rows.sort_by(|a, b| {
                let o = compare_values(a.get(key).unwrap_or(&Value::Nil), b.get(key).unwrap_or(&Value::Nil));
                if desc { o.reverse() } else { o }
            });
        }
        let offset = usize::try_from(self.offset.unwrap_or(0)).unwrap_or(0);
        let rows = rows.into_iter().skip(offset);
        let rows: Vec<Struct> = match self.limit.filter(|l| *l > 0) {
            Some(limit) => rows.take(usize::try_from(limit).unwrap_or(usize::MAX)).collect(),
            None => rows.collect(),
        };
        if self.count_only == Some(true) {
            return Ok(Value::Int(rows.len() as i64));
        }
        Ok(Value::Array(
            rows.into_iter()
                .map(|mut r| {
                    if self.as_list == Some(true) {
                        Value::Array(fields.iter().map(|f| r.remove(*f).unwrap_or(Value::Nil)).collect())
                    } else {
                        Value::Struct(r)
                    }
                })
                .collect(),
        ))
    }
}

/// Orders field values as PostgreSQL would for one column: NULLs last, then by value.
fn compare_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Nil, Value::Nil) => Ordering::Equal,
        (Value::Nil, _) => Ordering::Greater,
        (_, Value::Nil) => Ordering::Less,
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Double(x), Value::Double(y)) => x.total_cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        _ => Ordering::Equal,
    }
}

/// Escapes LIKE's wildcards so `s` matches literally.
pub fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Koji's glob search terms (`*`, `?`) as a LIKE pattern; everything else matches literally.
pub fn glob_to_like(glob: &str) -> String {
    escape_like(glob).replace('*', "%").replace('?', "_")
}

/// A time filter argument as Koji takes it: seconds since the epoch, or a date string PostgreSQL can read.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum TimeArg {
    Epoch(f64),
    Text(String),
}

impl Select {
    /// `expr <op> time`, for `createdBefore`-style filters.
    pub fn time_filter(&mut self, expr: &str, op: &str, t: TimeArg) -> &mut Self {
        match t {
            TimeArg::Epoch(secs) => self.filter(&format!("{expr} {op} to_timestamp($?)"), secs),
            TimeArg::Text(s) => self.filter(&format!("{expr} {op} $?::text::timestamptz"), s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: &[(&str, &str)] = &[("id", "users.id"), ("name", "users.name")];

    #[test]
    fn builds_filters_order_and_paging() {
        let mut s = Select::new(COLS, "users", "name");
        s.filter("users.usertype = $?", 0i32).filter("users.name LIKE $?", "a%".to_owned());
        let opts = QueryOpts { order: Some("-id".into()), limit: Some(5), offset: Some(10), ..Default::default() };
        assert_eq!(
            s.sql(&opts).unwrap(),
            "SELECT users.id AS \"id\", users.name AS \"name\" FROM users WHERE (users.usertype = $1) AND (users.name LIKE $2) \
             ORDER BY users.id DESC LIMIT 5 OFFSET 10"
        );
    }

    #[test]
    fn columns_joins_and_bound_values_added_at_run_time() {
        let mut s = Select::new(COLS, "users", "id");
        s.join("JOIN user_perms ON user_perms.user_id = users.id");
        let p = s.bind(7i32);
        s.column("_granted_by", format!("user_perms.creator_id = {p}"));
        s.condition(&format!("user_perms.creator_id = {p} OR user_perms.revoker_id = {p}"));
        s.filter("users.name = $?", "bob".to_owned());
        assert_eq!(
            s.sql(&QueryOpts::default()).unwrap(),
            "SELECT users.id AS \"id\", users.name AS \"name\", user_perms.creator_id = $1 AS \"_granted_by\" \
             FROM users JOIN user_perms ON user_perms.user_id = users.id \
             WHERE (user_perms.creator_id = $1 OR user_perms.revoker_id = $1) AND (users.name = $2) ORDER BY users.id"
        );
        let opts = QueryOpts { order: Some("_granted_by".into()), ..Default::default() };
        assert!(s.sql(&opts).unwrap().ends_with("ORDER BY user_perms.creator_id = $1"));
    }

    #[test]
    fn count_only_wraps_the_query() {
        let s = Select::new(COLS, "users", "id");
        let opts = QueryOpts { count_only: Some(true), ..Default::default() };
        assert!(s.sql(&opts).unwrap().starts_with("SELECT count(*) FROM (SELECT"));
    }

    #[test]
    fn globs_become_escaped_like_patterns() {
        assert_eq!(glob_to_like("foo-*.fc4?"), "foo-%.fc4_");
        assert_eq!(glob_to_like("100%_x*"), "100\\%\\_x%");
        assert_eq!(escape_like("a_b"), "a\\_b");
    }

    #[test]
    fn in_memory_options_order_page_and_count() {
        let rows: Vec<Struct> = [(3, "c"), (1, "a"), (2, "b")]
            .iter()
            .map(|(id, n)| Struct::from([("id".into(), Value::Int(*id)), ("name".into(), Value::from(*n))]))
            .collect();
        let opts = QueryOpts { order: Some("-id".into()), offset: Some(1), limit: Some(1), ..Default::default() };
        let Value::Array(out) = opts.apply(rows.clone(), &["id", "name"]).unwrap() else { panic!() };
        assert_eq!(out, vec![Value::Struct(rows[2].clone())]);
        let opts = QueryOpts { count_only: Some(true), ..Default::default() };
        assert_eq!(opts.apply(rows.clone(), &["id"]).unwrap(), Value::Int(3));
        let opts = QueryOpts { order: Some("name".into()), as_list: Some(true), ..Default::default() };
        let Value::Array(out) = opts.apply(rows.clone(), &["name", "id"]).unwrap() else { panic!() };
        assert_eq!(out[0], Value::Array(vec![Value::from("a"), Value::Int(1)]));
        let opts = QueryOpts { order: Some("nope".into()), ..Default::default() };
        assert_eq!(opts.apply(rows, &["id"]).unwrap_err().code(), 1019);
    }

    #[test]
    fn unknown_order_key_is_refused() {
        let s = Select::new(COLS, "users", "id");
        let opts = QueryOpts { order: Some("id; DROP TABLE users".into()), ..Default::default() };
        assert_eq!(s.sql(&opts).unwrap_err().code(), 1019);
    }
}
