//! Dynamic SQL (a filter's WHERE clause) with its values bound, never spliced into the text.
//!
//! Why not `sqlx::QueryBuilder<sqlx::Any>`: its `push_bind` writes the placeholder the
//! `Any` driver's arguments format, `?`, which PostgreSQL rejects. This builder numbers its
//! placeholders `$1, $2, ...`, which both SQLite and PostgreSQL read, and otherwise has the same
//! shape (`push` for SQL text from the code, `push_bind` for every value), so a query built with
//! it can be run several times (a page and its count).

use sqlx::any::AnyArguments;
use sqlx::{Arguments, AssertSqlSafe};

/// A value bound to a placeholder: the types the store writes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bind {
    Text(String),
    Int(i64),
    /// A NULL text value (an optional column left empty).
    NullText,
}

impl From<Option<String>> for Bind {
    fn from(v: Option<String>) -> Self {
        v.map(Bind::Text).unwrap_or(Bind::NullText)
    }
}

impl From<String> for Bind {
    fn from(v: String) -> Self {
        Bind::Text(v)
    }
}

impl From<&str> for Bind {
    fn from(v: &str) -> Self {
        Bind::Text(v.to_string())
    }
}

impl From<&String> for Bind {
    fn from(v: &String) -> Self {
        Bind::Text(v.clone())
    }
}

impl From<i64> for Bind {
    fn from(v: i64) -> Self {
        Bind::Int(v)
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct SqlBuilder {
    sql: String,
    binds: Vec<Bind>,
}

impl SqlBuilder {
    pub fn new(init: impl Into<String>) -> Self {
        SqlBuilder { sql: init.into(), binds: Vec::new() }
    }

    /// SQL text written by the code (column names from enums, never from input).
    pub fn push(&mut self, sql: impl std::fmt::Display) -> &mut Self {
        use std::fmt::Write;
        let _ = write!(self.sql, "{sql}");
        self
    }

    /// A value, as the next numbered placeholder.
    pub fn push_bind(&mut self, value: impl Into<Bind>) -> &mut Self {
        self.binds.push(value.into());
        let n = self.binds.len();
        self.push(format_args!("${n}"))
    }

    /// Values separated by commas, for `IN (...)`.
    pub fn push_bind_list<I: IntoIterator<Item = B>, B: Into<Bind>>(&mut self, values: I) -> &mut Self {
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.push_bind(v);
        }
        self
    }

    /// ` AND {clause}`, where `{}` in `clause` stands for `value`'s placeholder
    /// (`"v.visit_date >= {}"`). List filters are built from these, after a `WHERE 1=1`
    /// or the query's own `WHERE`.
    pub fn and_bind(&mut self, clause: &str, value: impl Into<Bind>) -> &mut Self {
        let (before, after) = clause.split_once("{}").unwrap_or((clause, ""));
        self.push(" AND ").push(before).push_bind(value).push(after)
    }

    /// ` AND {column} IN (...)`, one of `values`; nothing when there are none (no filter).
    pub fn and_in<I: IntoIterator<Item = B>, B: Into<Bind>>(&mut self, column: &str, values: I) -> &mut Self {
        let values: Vec<Bind> = values.into_iter().map(Into::into).collect();
        if values.is_empty() {
            return self;
        }
        self.push(format_args!(" AND {column} IN (")).push_bind_list(values).push(")")
    }

    /// ` AND {clause}`, a clause that binds nothing (its text comes from the code).
    pub fn and_raw(&mut self, clause: impl std::fmt::Display) -> &mut Self {
        self.push(format_args!(" AND {clause}"))
    }

    /// The text built so far.
    #[cfg(test)]
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// A builder that starts with `prefix`, then this one's text and values.
    pub fn wrapped(&self, prefix: &str, suffix: &str) -> SqlBuilder {
        SqlBuilder { sql: format!("{prefix}{}{suffix}", self.sql), binds: self.binds.clone() }
    }

    fn arguments(&self) -> AnyArguments {
        let mut args = AnyArguments::default();
        for b in &self.binds {
            // Adding a string or an integer to the Any driver's buffer cannot fail.
            let _ = match b {
                Bind::Text(s) => args.add(s.clone()),
                Bind::Int(i) => args.add(*i),
                Bind::NullText => args.add(Option::<String>::None),
            };
        }
        args
    }

    pub fn query_as<T>(&self) -> sqlx::query::QueryAs<'static, sqlx::Any, T, AnyArguments>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        sqlx::query_as_with(AssertSqlSafe(self.sql.clone()), self.arguments())
    }

    pub fn query(&self) -> sqlx::query::Query<'static, sqlx::Any, AnyArguments> {
        sqlx::query_with(AssertSqlSafe(self.sql.clone()), self.arguments())
    }

    pub fn query_scalar<T>(&self) -> sqlx::query::QueryScalar<'static, sqlx::Any, T, AnyArguments>
    where
        (T,): for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        sqlx::query_scalar_with(AssertSqlSafe(self.sql.clone()), self.arguments())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_placeholders_in_order() {
        let mut b = SqlBuilder::new(" WHERE 1=1");
        b.push(" AND a = ").push_bind("x").push(" AND b IN (").push_bind_list(["y", "z"]).push(")");
        assert_eq!(b.sql(), " WHERE 1=1 AND a = $1 AND b IN ($2, $3)");
        let c = b.wrapped("SELECT COUNT(*) FROM t", " LIMIT 1");
        assert_eq!(c.sql(), "SELECT COUNT(*) FROM t WHERE 1=1 AND a = $1 AND b IN ($2, $3) LIMIT 1");
        assert_eq!(c.binds, vec![Bind::Text("x".into()), Bind::Text("y".into()), Bind::Text("z".into())]);
    }

    #[test]
    fn list_filters_add_clauses_only_when_set() {
        let mut w = SqlBuilder::new(" WHERE 1=1");
        w.and_bind("v.visit_date >= {}", "2025-01-01");
        w.and_in("s.kind", Vec::<String>::new());
        w.and_in("s.kind", ["a", "b"]);
        w.and_raw("a.status <> 'x'");
        assert_eq!(w.sql(), " WHERE 1=1 AND v.visit_date >= $1 AND s.kind IN ($2, $3) AND a.status <> 'x'");
        let mut page = w.wrapped("SELECT * FROM v", " LIMIT ");
        page.push_bind(10);
        assert_eq!(page.sql(), "SELECT * FROM v WHERE 1=1 AND v.visit_date >= $1 AND s.kind IN ($2, $3) AND a.status <> 'x' LIMIT $4");
    }
}
