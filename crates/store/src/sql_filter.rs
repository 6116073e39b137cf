//! One builder for the `WHERE` clauses of list filters: each optional filter adds a clause and
//! binds its value, numbered `$1`, `$2`... as both backends accept. (sqlx's `QueryBuilder` writes
//! `?` placeholders for the `Any` driver, which PostgreSQL refuses.)

use sqlx::Any;
use sqlx::any::AnyArguments;

#[derive(Debug, Clone)]
enum Value {
    Text(String),
    Int(i64),
}

/// Clauses joined with `AND`, and the values they bind, in order.
#[derive(Debug, Default)]
pub(crate) struct Filter {
    clauses: Vec<String>,
    values: Vec<Value>,
}

impl Filter {
    pub(crate) fn new() -> Filter {
        Filter::default()
    }

    fn placeholder(&mut self, v: Value) -> String {
        self.values.push(v);
        format!("${}", self.values.len())
    }

    /// A clause comparing with one text value: `{}` in `clause` stands for it
    /// (`"v.visit_date >= {}"`).
    pub(crate) fn text(&mut self, clause: &str, v: impl Into<String>) {
        let p = self.placeholder(Value::Text(v.into()));
        self.clauses.push(clause.replace("{}", &p));
    }

    /// `column IN (...)` one of `values`; no clause when there are none.
    pub(crate) fn any_of<S: Into<String>>(&mut self, column: &str, values: impl IntoIterator<Item = S>) {
        let ps: Vec<String> = values.into_iter().map(|v| self.placeholder(Value::Text(v.into()))).collect();
        if !ps.is_empty() {
            self.clauses.push(format!("{column} IN ({})", ps.join(", ")));
        }
    }

    /// A clause that binds nothing.
    pub(crate) fn raw(&mut self, clause: impl Into<String>) {
        self.clauses.push(clause.into());
    }

    /// A parameter for the rest of the query (a limit), numbered after the filter's.
    pub(crate) fn param(&mut self, v: i64) -> String {
        self.placeholder(Value::Int(v))
    }

    /// ` WHERE a AND b`, or nothing when no filter is set.
    pub(crate) fn where_clause(&self) -> String {
        if self.clauses.is_empty() { String::new() } else { format!(" WHERE {}", self.clauses.join(" AND ")) }
    }

    /// ` AND a AND b` to follow a `WHERE` the query writes itself.
    pub(crate) fn and_clauses(&self) -> String {
        self.clauses.iter().map(|c| format!(" AND {c}")).collect()
    }

    /// Bind the values, in order, to a query made from this filter's SQL.
    pub(crate) fn bind<Q: Bind>(&self, mut q: Q) -> Q {
        for v in &self.values {
            q = match v {
                Value::Text(s) => q.bind_text(s.clone()),
                Value::Int(n) => q.bind_int(*n),
            };
        }
        q
    }
}

/// The queries a filter's values bind to.
pub(crate) trait Bind: Sized {
    fn bind_text(self, v: String) -> Self;
    fn bind_int(self, v: i64) -> Self;
}

impl<'q> Bind for sqlx::query::Query<'q, Any, AnyArguments> {
    fn bind_text(self, v: String) -> Self {
        self.bind(v)
    }
    fn bind_int(self, v: i64) -> Self {
        self.bind(v)
    }
}

impl<'q, O> Bind for sqlx::query::QueryAs<'q, Any, O, AnyArguments> {
    fn bind_text(self, v: String) -> Self {
        self.bind(v)
    }
    fn bind_int(self, v: i64) -> Self {
        self.bind(v)
    }
}

impl<'q, O> Bind for sqlx::query::QueryScalar<'q, Any, O, AnyArguments> {
    fn bind_text(self, v: String) -> Self {
        self.bind(v)
    }
    fn bind_int(self, v: i64) -> Self {
        self.bind(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_are_numbered_in_order() {
        let mut f = Filter::new();
        assert_eq!(f.where_clause(), "");
        f.text("v.visit_date >= {}", "2025-01-01");
        f.any_of("s.kind", Vec::<String>::new());
        f.any_of("s.kind", ["a", "b"]);
        f.raw("a.status <> 'x'");
        assert_eq!(f.where_clause(), " WHERE v.visit_date >= $1 AND s.kind IN ($2, $3) AND a.status <> 'x'");
        assert_eq!(f.param(10), "$4");
        assert_eq!(f.and_clauses(), " AND v.visit_date >= $1 AND s.kind IN ($2, $3) AND a.status <> 'x'");
    }
}
