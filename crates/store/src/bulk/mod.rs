//! Bulk writes for generated data (the demo, issue 18 item 5): many rows per statement and per
//! transaction, where the ordinary functions write one row, one audit entry and one transaction
//! at a time (about 3,000 rows a second, two minutes for the demo at scale 10).
//!
//! Each function checks every row with the same rules as its ordinary counterpart (core's
//! checks, the service's existence and kind) before writing any, writes the same rows with the
//! same values, and refuses a row the ordinary function would have *replaced* (an existing
//! return for the same service and week or month): generated data goes into an empty database.
//! The audit trail gets **one entry per batch** saying what was generated, how many rows and for
//! how many services, instead of one entry per row. The kept figures' triggers fire for every
//! row as before, so they go stale and are recomputed as after ordinary writes.
//!
//! Where a record's checks depend on the records before it (an outcomes contract's claims on the
//! cohort, the claims already verified and the payments already split), the batch is replayed
//! in memory in its order against what was read once, each record checked as its ordinary
//! function would check it after the ones before it, and the in-memory records changed as that
//! function's write would change them ([`OcBulk`]; direct payment monitoring and the ratings of
//! [`Store::bulk_create_services`] likewise; a home care package request's offers, answers and
//! start in [`Store::bulk_package_requests`], each row written once as its last step left it,
//! each step a microsecond after the one before so that offers read back in the order made).

mod actions;
mod brokerage;
mod direct_payments;
mod outcomes;
mod providers;
mod rag;
mod services;
mod visits;

pub use actions::{ActionChange, ActionStep};
pub use brokerage::{BrokeredRequest, PackageStep};
pub use outcomes::{OcApplied, OcBulk, OcEvent, OcRef};
pub use rag::{NewEscalation, NewRag};
pub use services::NewRatedService;
pub use visits::NewRecordedVisit;

use crate::audit::{Actor, record};
use crate::capacity::{NewActivity, NewVacancyReturn, SOURCES};
use crate::direct_payments::{DirectPayment, NewMonitoring};
use crate::fees::cost_of_care::SentBy;
use crate::quality::returns::NewMonthlyReturn;
use crate::quality::signals::NewSignal;
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::capacity::brokerage::check_spare_capacity;
use caremarket_core::capacity::supported_living::check_activity;
use caremarket_core::capacity::vacancies::validate_return;
use caremarket_core::direct_payments::monitoring::{DpTerms, MonitoringKind, check_returned};
use caremarket_core::quality::returns::column_label;
use caremarket_core::register::ServiceKind;
use caremarket_core::workforce::WorkforceReturn;
use serde_json::json;
use std::collections::{BTreeSet, HashMap, HashSet};

/// One value of a row to insert.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}
impl From<Option<String>> for Value {
    fn from(s: Option<String>) -> Value {
        Value::OptText(s)
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Int(n)
    }
}
impl From<Option<i64>> for Value {
    fn from(n: Option<i64>) -> Value {
        Value::OptInt(n)
    }
}

/// Parameters per statement: under SQLite's 32,766 (and PostgreSQL's 65,535).
const MAX_PARAMETERS: usize = 30_000;

/// `INSERT INTO table (columns) VALUES (...), (...), ...` for every row, as few statements as
/// the parameter limit allows.
pub(crate) async fn insert_rows(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<()> {
    insert_rows_with(tx, table, columns, rows, "").await
}

/// As [`insert_rows`] with `suffix` after each statement's values (`ON CONFLICT ...`).
pub(crate) async fn insert_rows_with(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
    suffix: &str,
) -> Result<()> {
    execute_inserts(tx, (table, columns), rows, suffix, MAX_PARAMETERS).await
}

/// As [`insert_rows`], with at most `max_parameters` values a statement.
pub(crate) async fn insert_rows_at_most(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
    max_parameters: usize,
) -> Result<()> {
    execute_inserts(tx, (table, columns), rows, "", max_parameters).await
}

async fn execute_inserts(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    (table, columns): (&str, &[&str]),
    rows: Vec<Vec<Value>>,
    suffix: &str,
    max_parameters: usize,
) -> Result<()> {
    for (sql, chunk) in insert_statements(tx.backend_name(), table, columns, rows, suffix, max_parameters)? {
        bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), chunk).execute(&mut **tx).await?;
    }
    Ok(())
}

/// As [`insert_rows`] with `suffix` after each statement's values (`ON CONFLICT ... RETURNING
/// column`, both backends), returning what each statement returned: the rows that landed.
pub(crate) async fn insert_rows_returning(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
    suffix: &str,
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for (sql, chunk) in insert_statements(tx.backend_name(), table, columns, rows, suffix, MAX_PARAMETERS)? {
        let q = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), chunk);
        for row in q.fetch_all(&mut **tx).await? {
            out.push(sqlx::Row::try_get::<String, _>(&row, 0)?);
        }
    }
    Ok(out)
}

/// `{statement} IN (...)` for every id, as few statements as the parameter limit allows.
/// `statement` is this crate's constant text ("DELETE FROM t WHERE c AND id").
pub(crate) async fn delete_where_in(tx: &mut sqlx::Transaction<'_, sqlx::Any>, statement: &str, ids: &[&str]) -> Result<()> {
    let sqlite = tx.backend_name().eq_ignore_ascii_case("sqlite");
    for chunk in ids.chunks(MAX_PARAMETERS) {
        let marks: Vec<String> = (1..=chunk.len()).map(|n| if sqlite { "?".to_string() } else { format!("${n}") }).collect();
        let sql = format!("{statement} IN ({})", marks.join(", "));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    chunk: Vec<Vec<Value>>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for row in chunk {
        for v in row {
            q = match v {
                Value::Text(s) => q.bind(s),
                Value::OptText(s) => q.bind(s),
                Value::Int(n) => q.bind(n),
                Value::OptInt(n) => q.bind(n),
            };
        }
    }
    q
}

/// Each statement's text and the rows it binds.
fn insert_statements(
    backend: &str,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
    suffix: &str,
    max_parameters: usize,
) -> Result<Vec<(String, Vec<Vec<Value>>)>> {
    let per_statement = (max_parameters / columns.len().max(1)).max(1);
    // SQLite keeps the name of every `$N` (and `?N`) parameter in a list that it searches from
    // the start, on parsing each one and again when the driver asks each one's name to bind it:
    // a statement of 30,000 named parameters cost 30,000 x 30,000 / 2 comparisons, seconds per
    // statement. Plain `?` parameters have no names and are bound in order. PostgreSQL takes
    // only `$N`.
    let sqlite = backend.eq_ignore_ascii_case("sqlite");
    let mut out = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(per_statement).collect();
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut n = 0usize;
        for (i, row) in chunk.iter().enumerate() {
            if row.len() != columns.len() {
                return Err(StoreError::invalid(
                    "rows",
                    format!("a row for {table} has {} values for {} columns", row.len(), columns.len()),
                ));
            }
            sql.push_str(if i == 0 { "(" } else { ", (" });
            for k in 0..row.len() {
                n += 1;
                if k > 0 {
                    sql.push_str(", ");
                }
                if sqlite {
                    sql.push('?');
                } else {
                    sql.push_str(&format!("${n}"));
                }
            }
            sql.push(')');
        }
        // Table and column names, and the suffix, are this crate's constants; every value is bound.
        sql.push_str(suffix);
        out.push((sql, chunk));
    }
    Ok(out)
}

/// One table's rows in a batch.
pub(crate) struct TableRows<'a> {
    pub table: &'a str,
    pub columns: &'a [&'a str],
    pub rows: Vec<Vec<Value>>,
}

/// A batch's one audit entry: what was generated, as "12,345 providers generated (bulk load)".
pub(crate) struct BatchAudit<'a> {
    pub entity_type: &'a str,
    pub summary: String,
    pub after: serde_json::Value,
}

/// A batch being written: one transaction for its tables' rows, any statements of its own (an
/// update, a re-read to compare), and at the end its one audit entry. Dropped unfinished, it
/// writes nothing.
pub(crate) struct Batch {
    tx: sqlx::Transaction<'static, sqlx::Any>,
}

impl Batch {
    /// The batch's transaction, for its own statements.
    pub(crate) fn tx(&mut self) -> &mut sqlx::Transaction<'static, sqlx::Any> {
        &mut self.tx
    }

    pub(crate) async fn insert(&mut self, t: TableRows<'_>) -> Result<()> {
        insert_rows(&mut self.tx, t.table, t.columns, t.rows).await
    }

    /// The audit entry of a batch that created records, and the commit.
    pub(crate) async fn finish(self, actor: &Actor, audit: BatchAudit<'_>) -> Result<()> {
        self.finish_as(actor, "create", None, audit).await
    }

    /// The audit entry, as `action` on the record `entity_id` if the batch is about one, and the
    /// commit.
    pub(crate) async fn finish_as(mut self, actor: &Actor, action: &str, entity_id: Option<&str>, audit: BatchAudit<'_>) -> Result<()> {
        record(&mut self.tx, actor, action, audit.entity_type, entity_id, &audit.summary, None, Some(&audit.after)).await?;
        self.tx.commit().await?;
        Ok(())
    }
}

impl Store {
    pub(crate) async fn begin_batch(&self) -> Result<Batch> {
        Ok(Batch { tx: self.begin_write().await? })
    }

    /// Every table's rows and the batch's one audit entry, in one transaction: all or nothing.
    pub(crate) async fn write_batch(&self, actor: &Actor, tables: Vec<TableRows<'_>>, audit: BatchAudit<'_>) -> Result<()> {
        let mut batch = self.begin_batch().await?;
        for t in tables {
            batch.insert(t).await?;
        }
        batch.finish(actor, audit).await
    }
}

/// What the checks need to know of a service.
struct ServiceFacts {
    name: String,
    kind: ServiceKind,
    beds: Option<i64>,
}

/// A field error of row `i` (from 0) of a batch of `what`, naming the row: "visits row 2: report".
fn in_row(what: &str, i: usize, e: StoreError) -> StoreError {
    let first = match e {
        StoreError::Invalid(f) => f,
        StoreError::InvalidFields(fs) => match fs.0.into_iter().next() {
            Some(f) => f,
            None => return StoreError::invalid(&format!("{what} row {}", i + 1), "This row is not valid"),
        },
        other => return other,
    };
    StoreError::invalid(&format!("{what} row {}: {}", i + 1, first.field), first.message)
}

/// The times of a batch's rows, each later than the one before: rows of one batch that are read
/// in the order they were made (a history) keep that order, as rows written one after another
/// would.
#[derive(Debug, Default)]
pub(crate) struct BatchClock {
    last: Option<jiff::Timestamp>,
}

impl BatchClock {
    /// Now, or a microsecond after the last time given when now is not later (a batch makes
    /// many rows within one microsecond).
    pub(crate) fn next(&mut self) -> String {
        let mut t = crate::db::now_to_the_microsecond();
        if let Some(last) = self.last
            && t <= last
        {
            t = last.checked_add(jiff::SignedDuration::from_micros(1)).unwrap_or(t);
        }
        self.last = Some(t);
        crate::db::timestamp_text(t)
    }
}

/// "12,345": core's, for a count.
fn thousands(n: usize) -> String {
    caremarket_core::text::thousands(i64::try_from(n).unwrap_or(i64::MAX))
}

impl Store {
    /// Name, kind and beds of the services named (one query, whatever their number).
    async fn service_facts(&self, ids: &BTreeSet<&str>) -> Result<HashMap<String, ServiceFacts>> {
        let rows: Vec<(String, String, String, Option<i64>)> =
            sqlx::query_as("SELECT id, name, kind, beds FROM services").fetch_all(&self.pool).await?;
        let mut out = HashMap::new();
        for (id, name, kind, beds) in rows {
            if ids.contains(id.as_str()) {
                let kind = ServiceKind::parse(&kind).ok_or_else(|| crate::register::corrupt("services", "kind", &kind))?;
                out.insert(id, ServiceFacts { name, kind, beds });
            }
        }
        Ok(out)
    }

    /// Weekly vacancy returns for care homes, as [`Store::submit_vacancy_return`] checks and
    /// writes each, in one transaction with one audit entry. Refused whole if any row is not
    /// valid, or if a home already has a return for that date (here or earlier in the batch).
    pub async fn bulk_vacancy_returns(&self, actor: &Actor, returns: &[NewVacancyReturn], today: Date) -> Result<usize> {
        if returns.is_empty() {
            return Ok(0);
        }
        let ids: BTreeSet<&str> = returns.iter().map(|r| r.service_id.as_str()).collect();
        let facts = self.service_facts(&ids).await?;
        let existing: Vec<(String, String)> =
            sqlx::query_as("SELECT service_id, return_date FROM vacancy_returns").fetch_all(&self.pool).await?;
        let mut seen: HashSet<(String, String)> = existing.into_iter().collect();
        let mut return_rows = Vec::with_capacity(returns.len());
        let mut line_rows = Vec::new();
        for r in returns {
            let service =
                facts.get(&r.service_id).ok_or_else(|| StoreError::invalid("service_id", "Choose a care home from the register"))?;
            if !service.kind.is_care_home() {
                return Err(StoreError::invalid(
                    "service_id",
                    format!("{} is not a care home: vacancy returns are for care homes", service.name),
                ));
            }
            validate_return(r.return_date, today, service.beds, &r.lines)?;
            if !seen.insert((r.service_id.clone(), r.return_date.to_string())) {
                return Err(StoreError::invalid(
                    "return_date",
                    format!("{} already has a return for {}: a bulk load does not replace returns", service.name, r.return_date),
                ));
            }
            let source = SOURCES.iter().find(|s| **s == r.source).copied().unwrap_or("officer");
            let id = new_id();
            for l in &r.lines {
                line_rows.push(vec![id.clone().into(), l.bed_type.as_str().into(), l.occupied.into(), l.vacant.into()]);
            }
            return_rows.push(vec![
                id.into(),
                r.service_id.clone().into(),
                r.return_date.to_string().into(),
                source.into(),
                actor.label.clone().into(),
                now_timestamp().into(),
            ]);
        }
        let (from, to) = date_range(returns.iter().map(|r| r.return_date));
        self.write_batch(
            actor,
            vec![
                TableRows {
                    table: "vacancy_returns",
                    columns: &["id", "service_id", "return_date", "source", "submitted_by", "created_at"],
                    rows: return_rows,
                },
                TableRows { table: "vacancy_return_lines", columns: &["return_id", "bed_type", "occupied", "vacant"], rows: line_rows },
            ],
            BatchAudit {
                entity_type: "vacancy_return",
                summary: format!(
                    "{} vacancy returns generated for {} care homes, {from} to {to} (bulk load)",
                    thousands(returns.len()),
                    thousands(ids.len())
                ),
                after: json!({"bulk": true, "returns": returns.len(), "services": ids.len(), "from": from, "to": to}),
            },
        )
        .await?;
        Ok(returns.len())
    }

    /// Weekly activity returns, as [`Store::record_activity`] checks and writes each, in one
    /// transaction with one audit entry. Refused whole if any row is not valid, or if a service
    /// already has figures for that week.
    pub async fn bulk_activity(&self, actor: &Actor, returns: &[NewActivity], today: Date) -> Result<usize> {
        if returns.is_empty() {
            return Ok(0);
        }
        let ids: BTreeSet<&str> = returns.iter().map(|r| r.service_id.as_str()).collect();
        let facts = self.service_facts(&ids).await?;
        let existing: Vec<(String, String)> =
            sqlx::query_as("SELECT service_id, week_of FROM activity_returns").fetch_all(&self.pool).await?;
        let mut seen: HashSet<(String, String)> = existing.into_iter().collect();
        let mut rows = Vec::with_capacity(returns.len());
        for a in returns {
            let service =
                facts.get(&a.service_id).ok_or_else(|| StoreError::invalid("service_id", "Choose a service from the register"))?;
            let week = a.week_of.ok_or_else(|| StoreError::invalid("week_of", "Enter the week the figures are for"))?;
            if week > today {
                return Err(StoreError::invalid("week_of", format!("The week {week} is in the future (today is {today})")));
            }
            let people = check_activity(a.people, a.packages, a.minutes_per_week, &a.support)?;
            if !seen.insert((a.service_id.clone(), week.to_string())) {
                return Err(StoreError::invalid(
                    "week_of",
                    format!("{} already has figures for the week of {week}: a bulk load does not replace them", service.name),
                ));
            }
            rows.push(vec![
                new_id().into(),
                a.service_id.clone().into(),
                week.to_string().into(),
                people.into(),
                a.packages.into(),
                a.minutes_per_week.into(),
                a.support.one_to_one_hours.into(),
                a.support.shared_hours.into(),
                a.support.people_shared.into(),
                a.source.into(),
                now_timestamp().into(),
            ]);
        }
        self.write_batch(
            actor,
            vec![TableRows {
                table: "activity_returns",
                columns: &[
                    "id",
                    "service_id",
                    "week_of",
                    "people",
                    "packages",
                    "minutes_per_week",
                    "one_to_one_hours",
                    "shared_hours",
                    "people_shared",
                    "source",
                    "created_at",
                ],
                rows,
            }],
            BatchAudit {
                entity_type: "activity_return",
                summary: format!("{} weekly figures generated for {} services (bulk load)", thousands(returns.len()), thousands(ids.len())),
                after: json!({"bulk": true, "returns": returns.len(), "services": ids.len()}),
            },
        )
        .await?;
        Ok(returns.len())
    }

    /// Spare capacity declarations, as [`Store::declare_spare_capacity`] checks and writes
    /// each, in one transaction with one audit entry. Refused whole if any is not valid.
    pub async fn bulk_spare_capacity(&self, actor: &Actor, declarations: &[NewSpareCapacity], declared_on: Date) -> Result<usize> {
        if declarations.is_empty() {
            return Ok(0);
        }
        let ids: BTreeSet<&str> = declarations.iter().map(|d| d.service_id.as_str()).collect();
        let facts = self.service_facts(&ids).await?;
        let areas: HashSet<String> = self.areas().await?.into_iter().map(|a| a.id).collect();
        let mut rows = Vec::with_capacity(declarations.len());
        for d in declarations {
            if !facts.contains_key(&d.service_id) {
                return Err(StoreError::invalid("service_id", "Choose a service from the register"));
            }
            check_spare_capacity(&d.unit, d.amount)?;
            if let Some(a) = &d.area_id
                && !areas.contains(a)
            {
                return Err(StoreError::invalid("area_id", "Choose an area"));
            }
            rows.push(vec![
                new_id().into(),
                d.service_id.clone().into(),
                d.area_id.clone().into(),
                d.category.clone().into(),
                d.unit.clone().into(),
                d.amount.into(),
                declared_on.to_string().into(),
                now_timestamp().into(),
            ]);
        }
        self.write_batch(
            actor,
            vec![
                TableRows { table: "spare_capacity", columns: &["id", "service_id", "area_id", "category", "unit", "amount", "declared_on", "created_at"], rows },
            ],
            BatchAudit { entity_type: "spare_capacity", summary: format!(
                "{} spare capacity declarations generated for {} services (bulk load)",
                thousands(declarations.len()),
                thousands(ids.len())
            ), after: json!({"bulk": true, "declarations": declarations.len(), "services": ids.len(), "declared_on": declared_on.to_string()}) },
        )
        .await?;
        Ok(declarations.len())
    }

    /// Signals, as [`Store::record_signal`] checks and writes each, in one transaction with one
    /// audit entry. Refused whole if any is not valid.
    pub async fn bulk_signals(&self, actor: &Actor, signals: &[NewSignal], today: Date) -> Result<usize> {
        if signals.is_empty() {
            return Ok(0);
        }
        let mut checked = Vec::with_capacity(signals.len());
        for s in signals {
            checked.push(s.check(today)?);
        }
        let ids: BTreeSet<&str> = checked.iter().map(|c| c.service_id.as_str()).collect();
        let facts = self.service_facts(&ids).await?;
        let mut rows = Vec::with_capacity(checked.len());
        for c in &checked {
            if !facts.contains_key(&c.service_id) {
                return Err(StoreError::invalid("service_id", "Choose a service from the register"));
            }
            rows.push(vec![
                new_id().into(),
                c.service_id.clone().into(),
                c.kind.as_str().into(),
                c.occurred_on.to_string().into(),
                c.summary.clone().into(),
                c.received_by.clone().into(),
                c.outcome.clone().into(),
                c.resolved_in_house.map(i64::from).into(),
                "officer".into(),
                actor.label.clone().into(),
                now_timestamp().into(),
            ]);
        }
        let (from, to) = date_range(checked.iter().map(|c| c.occurred_on));
        self.write_batch(
            actor,
            vec![TableRows {
                table: "quality_signals",
                columns: &[
                    "id",
                    "service_id",
                    "kind",
                    "occurred_on",
                    "summary",
                    "received_by",
                    "outcome",
                    "resolved_in_house",
                    "source",
                    "recorded_by",
                    "created_at",
                ],
                rows,
            }],
            BatchAudit {
                entity_type: "quality_signal",
                summary: format!(
                    "{} signals generated for {} services, {from} to {to} (bulk load)",
                    thousands(signals.len()),
                    thousands(ids.len())
                ),
                after: json!({"bulk": true, "signals": signals.len(), "services": ids.len(), "from": from, "to": to}),
            },
        )
        .await?;
        Ok(signals.len())
    }

    /// Monthly returns, as [`Store::submit_monthly_return`] checks and writes each, in one
    /// transaction with one audit entry. Refused whole if any is not valid, or if a service
    /// already has a return for that month.
    pub async fn bulk_monthly_returns(
        &self,
        actor: &Actor,
        returns: &[NewMonthlyReturn],
        submitted_by_kind: &str,
        today: Date,
    ) -> Result<usize> {
        if returns.is_empty() {
            return Ok(0);
        }
        let kind = if submitted_by_kind == "provider" { "provider" } else { "officer" };
        let ids: BTreeSet<&str> = returns.iter().map(|r| r.service_id.trim()).collect();
        let facts = self.service_facts(&ids).await?;
        let existing: Vec<(String, String)> = sqlx::query_as("SELECT service_id, month FROM monthly_returns").fetch_all(&self.pool).await?;
        let mut seen: HashSet<(String, String)> = existing.into_iter().collect();
        let mut rows = Vec::with_capacity(returns.len());
        for r in returns {
            let service_id = r.service_id.trim();
            let service = facts.get(service_id).ok_or_else(|| StoreError::invalid("service_id", "Choose one of the services"))?;
            let month = r.check(today).map_err(|e| StoreError::invalid(&e.field, format!("{} {}", column_label(&e.field), e.message)))?;
            if !seen.insert((service_id.to_string(), month.clone())) {
                return Err(StoreError::invalid(
                    "month",
                    format!("{} already has a return for {month}: a bulk load does not replace returns", service.name),
                ));
            }
            rows.push(vec![
                new_id().into(),
                service_id.into(),
                month.into(),
                r.complaints.into(),
                r.complaints_via_council.into(),
                r.complaints_resolved_in_house.into(),
                r.staff_in_post.into(),
                r.staff_vacancies.into(),
                r.staff_leavers.into(),
                r.agency_hours.into(),
                kind.into(),
                actor.label.clone().into(),
                now_timestamp().into(),
            ]);
        }
        self.write_batch(
            actor,
            vec![TableRows {
                table: "monthly_returns",
                columns: &[
                    "id",
                    "service_id",
                    "month",
                    "complaints",
                    "complaints_via_council",
                    "complaints_resolved_in_house",
                    "staff_in_post",
                    "staff_vacancies",
                    "staff_leavers",
                    "agency_hours",
                    "submitted_by_kind",
                    "submitted_by",
                    "created_at",
                ],
                rows,
            }],
            BatchAudit {
                entity_type: "monthly_return",
                summary: format!(
                    "{} monthly returns generated for {} services ({kind}, bulk load)",
                    thousands(returns.len()),
                    thousands(ids.len())
                ),
                after: json!({"bulk": true, "returns": returns.len(), "services": ids.len()}),
            },
        )
        .await?;
        Ok(returns.len())
    }
}

/// One direct payment monitoring record for [`Store::bulk_monitoring`], with what came back of
/// its reclaim (amount and date), as [`Store::record_returned`] would record it afterwards.
#[derive(Debug, Clone)]
pub struct NewDpMonitoring {
    pub dp_id: String,
    pub monitoring: NewMonitoring,
    pub returned: Option<(i64, Date)>,
}

impl Store {
    /// Direct payment monitoring (check-ins, reviews, financial monitoring with their reclaims),
    /// as [`Store::record_monitoring`] checks and writes each and [`Store::record_returned`]
    /// records money returned, in one transaction with one audit entry. The records are checked
    /// in the order given, each with what the ones before it in the batch asked back of its
    /// direct payment, as the ordinary function would see them one after another. Refused whole
    /// if any is not valid, or if money returned is recorded on a reclaim that waits for a second
    /// approver.
    pub async fn bulk_monitoring(&self, actor: &Actor, records: &[NewDpMonitoring]) -> Result<usize> {
        if records.is_empty() {
            return Ok(0);
        }
        let today = crate::today();
        let policy = self.dp_policy().await?;
        let limit = self.approval_limits(actor.user_id.as_deref()).await?.reclaim_pence;
        let ids: BTreeSet<&str> = records.iter().map(|r| r.dp_id.as_str()).collect();
        let dps: HashMap<String, DirectPayment> =
            self.all_direct_payments().await?.into_iter().filter(|d| ids.contains(d.id.as_str())).map(|d| (d.id.clone(), d)).collect();
        // What was asked back of each already (as `dp_requested_so_far`), then as the batch adds to it.
        let so_far: Vec<(String, i64)> = sqlx::query_as(
            "SELECT dp_id, CAST(COALESCE(SUM(requested_pence), 0) AS BIGINT) FROM dp_monitoring WHERE kind = 'financial' GROUP BY dp_id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut requested_so_far: HashMap<String, i64> = so_far.into_iter().collect();
        let mut rows = Vec::with_capacity(records.len());
        let mut returns = 0usize;
        for r in records {
            let d = dps.get(&r.dp_id).ok_or_else(|| StoreError::NotFound(format!("direct payment {}", r.dp_id)))?;
            let already = requested_so_far.entry(r.dp_id.clone()).or_default();
            let terms = DpTerms {
                start: d.start_date,
                end: d.end_date,
                budget_pence: d.budget_pence,
                budget_period: d.budget_period,
                already_requested_pence: *already,
            };
            let m = r.monitoring.decide(&terms, &policy, today)?;
            let approval = if m.requested_pence.unwrap_or(0) > limit { "awaiting" } else { "approved" };
            let s = m.surplus.as_ref();
            let (bal, surplus) = (s.map(|s| s.balance_pence), s.map(|s| s.surplus_pence));
            if let Some((returned, on)) = r.returned {
                if approval == "awaiting" {
                    return Err(StoreError::invalid(
                        "returned",
                        "This reclaim is waiting for a second approver: money returned can be recorded once it is approved",
                    ));
                }
                check_returned(surplus, m.requested_pence, returned, on, today)?;
                returns += 1;
            }
            if m.kind == MonitoringKind::Financial {
                *already += m.requested_pence.unwrap_or(0);
            }
            rows.push(vec![
                new_id().into(),
                r.dp_id.clone().into(),
                m.kind.as_str().into(),
                m.completed_on.to_string().into(),
                m.period.map(|p| p.0.to_string()).into(),
                m.period.map(|p| p.1.to_string()).into(),
                bal.into(),
                s.map(|s| s.contingency_weeks).into(),
                s.map(|s| s.allowed_contingency_pence).into(),
                surplus.into(),
                m.requested_pence.into(),
                m.notes.clone().into(),
                actor.label.clone().into(),
                now_timestamp().into(),
                actor.user_id.clone().into(),
                approval.into(),
                r.returned.map(|(n, _)| n).into(),
                r.returned.map(|(_, on)| on.to_string()).into(),
            ]);
        }
        let (from, to) = date_range(records.iter().filter_map(|r| r.monitoring.completed_on));
        self.write_batch(
            actor,
            vec![
                TableRows { table: "dp_monitoring", columns: &[
                "id",
                "dp_id",
                "kind",
                "completed_on",
                "period_start",
                "period_end",
                "balance_pence",
                "contingency_weeks",
                "allowed_contingency_pence",
                "surplus_pence",
                "requested_pence",
                "notes",
                "officer_label",
                "created_at",
                "recorded_by",
                "approval",
                "returned_pence",
                "returned_on",
            ], rows },
            ],
            BatchAudit { entity_type: "dp_monitoring", summary: format!(
                "{} monitoring records generated for {} direct payments, {from} to {to}, {} with money returned (bulk load)",
                thousands(records.len()),
                thousands(ids.len()),
                thousands(returns)
            ), after: json!({"bulk": true, "records": records.len(), "direct_payments": ids.len(), "returned": returns, "from": from, "to": to}) },
        )
        .await?;
        Ok(records.len())
    }
}

/// One workforce return for [`Store::bulk_workforce_returns`]: the service, the provider it is
/// sent for (as the portal's `only_provider`: the service must be that provider's), the return.
#[derive(Debug, Clone)]
pub struct NewWorkforceReturn {
    pub service_id: String,
    pub provider_id: Option<String>,
    pub r: WorkforceReturn,
}

impl Store {
    /// Workforce returns, as [`Store::submit_workforce_return`] checks and writes each, in one
    /// transaction with one audit entry. Refused whole if a service is not in the register or not
    /// the provider's it is sent for, or if a service already has a return for the quarter.
    pub async fn bulk_workforce_returns(&self, actor: &Actor, returns: &[NewWorkforceReturn], sent_by: SentBy) -> Result<usize> {
        if returns.is_empty() {
            return Ok(0);
        }
        let ids: BTreeSet<&str> = returns.iter().map(|r| r.service_id.as_str()).collect();
        let owners: Vec<(String, String, String)> =
            sqlx::query_as("SELECT id, name, provider_id FROM services").fetch_all(&self.pool).await?;
        let owner_of: HashMap<String, (String, String)> =
            owners.into_iter().filter(|(id, _, _)| ids.contains(id.as_str())).map(|(id, name, p)| (id, (name, p))).collect();
        let existing: Vec<(String, String)> =
            sqlx::query_as("SELECT service_id, period FROM workforce_returns").fetch_all(&self.pool).await?;
        let mut seen: HashSet<(String, String)> = existing.into_iter().collect();
        let mut rows = Vec::with_capacity(returns.len());
        let mut quarters = BTreeSet::new();
        for w in returns {
            let r = &w.r;
            let (name, provider_id) = match owner_of.get(&w.service_id) {
                Some((name, p)) if w.provider_id.as_deref().is_none_or(|only| only == p.as_str()) => (name, p),
                _ => return Err(StoreError::invalid("service_id", "Choose one of your services")),
            };
            if !seen.insert((w.service_id.clone(), r.period.code())) {
                return Err(StoreError::invalid(
                    "period",
                    format!("{name} already has a return for {}: a bulk load does not replace returns", r.period.label()),
                ));
            }
            quarters.insert(r.period.code());
            rows.push(vec![
                new_id().into(),
                w.service_id.clone().into(),
                provider_id.clone().into(),
                r.period.code().into(),
                r.period.last_month().into(),
                r.care_workers.into(),
                r.nurses.into(),
                r.managers.into(),
                r.other_staff.into(),
                r.care_workers_fte.into(),
                r.nurses_fte.into(),
                r.managers_fte.into(),
                r.other_staff_fte.into(),
                r.vacancies.into(),
                r.starters.into(),
                r.leavers.into(),
                r.zero_hours_staff.into(),
                r.guaranteed_hours_staff.into(),
                r.agency_hours.into(),
                r.lowest_hourly_pay_pence.into(),
                i64::from(r.sick_pay).into(),
                r.care_certificate_permille.into(),
                r.level2_permille.into(),
                r.level3_permille.into(),
                r.qualification_framework.as_str().into(),
                r.medication_training_permille.into(),
                i64::from(r.asc_wds_complete).into(),
                sent_by.as_str().into(),
                actor.user_id.clone().into(),
                actor.label.clone().into(),
                now_timestamp().into(),
            ]);
        }
        let from = quarters.first().cloned().unwrap_or_default();
        let to = quarters.last().cloned().unwrap_or_default();
        self.write_batch(
            actor,
            vec![
                TableRows { table: "workforce_returns", columns: &[
                "id",
                "service_id",
                "provider_id",
                "period",
                "last_month",
                "care_workers",
                "nurses",
                "managers",
                "other_staff",
                "care_workers_fte",
                "nurses_fte",
                "managers_fte",
                "other_staff_fte",
                "vacancies",
                "starters",
                "leavers",
                "zero_hours_staff",
                "guaranteed_hours_staff",
                "agency_hours",
                "lowest_hourly_pay_pence",
                "sick_pay",
                "care_certificate_permille",
                "level2_permille",
                "level3_permille",
                "qualification_framework",
                "medication_training_permille",
                "asc_wds_complete",
                "sent_by",
                "created_by",
                "created_by_label",
                "submitted_at",
            ], rows },
            ],
            BatchAudit { entity_type: "workforce_return", summary: format!(
                "{} workforce returns generated for {} services, {from} to {to} (bulk load)",
                thousands(returns.len()),
                thousands(ids.len())
            ), after: json!({"bulk": true, "returns": returns.len(), "services": ids.len(), "from": from, "to": to, "sent_by": sent_by.as_str()}) },
        )
        .await?;
        Ok(returns.len())
    }
}

/// One spare capacity declaration for [`Store::bulk_spare_capacity`].
#[derive(Debug, Clone)]
pub struct NewSpareCapacity {
    pub service_id: String,
    pub area_id: Option<String>,
    pub category: String,
    pub unit: String,
    pub amount: i64,
}

fn date_range(dates: impl Iterator<Item = Date>) -> (String, String) {
    let mut from: Option<Date> = None;
    let mut to: Option<Date> = None;
    for d in dates {
        from = Some(from.map_or(d, |f| f.min(d)));
        to = Some(to.map_or(d, |t| t.max(d)));
    }
    (from.map(|d| d.to_string()).unwrap_or_default(), to.map(|d| d.to_string()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::BatchClock;

    #[test]
    fn a_batch_clock_never_gives_a_time_twice_or_out_of_order() {
        let mut clock = BatchClock::default();
        // Far more times than a microsecond's worth: most come before the clock moves.
        let times: Vec<jiff::Timestamp> = (0..10_000).map(|_| clock.next().parse().expect("a stored timestamp")).collect();
        for pair in times.windows(2) {
            assert!(pair[0] < pair[1], "{} is not before {}", pair[0], pair[1]);
        }
        let now = jiff::Timestamp::now();
        assert!(times[0] <= now, "the first time is not in the future");
    }
}
