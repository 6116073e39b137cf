//! Writing an import's new locations in batches (issue 18 item 1).
//!
//! A location the register does not hold costs no round trip of its own: its provider (when new),
//! its service row (with its current rating and latest inspection already worked out), its
//! specialisms and its rating history are queued here and written by multi-row `INSERT`s of up
//! to [`BATCH_ROWS`] rows, inside the import's one transaction. What is written is exactly what
//! the one-row-at-a-time path wrote: core's `replaces_current` picks the current rating (the
//! service held none), core's `previous_grades` fills each history entry's previous grade, and a
//! change of rating between the entries is logged as a quality signal after its history is
//! written. The kept-figure triggers fire on these inserts as on single rows (per row on SQLite,
//! per statement on PostgreSQL). SQLite takes multi-row `VALUES` with `?` parameters,
//! PostgreSQL one `UNNEST` of arrays per table and batch.

use crate::Result;
use crate::register::{HISTORY_COLUMNS, RecordedChange};
use caremarket_core::register::{CqcLocation, CqcRatingSet, Published, Rating, RatingChange, previous_grades, replaces_current};
use sqlx::AssertSqlSafe;
use std::collections::{BTreeSet, HashMap, HashSet};

/// Locations per batch: what is queued before it is written.
pub(crate) const BATCH_ROWS: usize = 500;

/// Bound values per statement at most: below SQLite's 32,766 and PostgreSQL's 65,535.
const MAX_BINDS: usize = 30_000;

/// One value of a row to insert: the bulk path's.
type Val = crate::bulk::Value;

/// Rows for one table, written together.
struct Table {
    name: &'static str,
    columns: &'static [&'static str],
    rows: Vec<Vec<Val>>,
}

impl Table {
    fn new(name: &'static str, columns: &'static [&'static str]) -> Self {
        Table { name, columns, rows: Vec::new() }
    }

    /// Write every queued row: on SQLite with as few statements as the bind limit allows, on
    /// PostgreSQL with one.
    async fn flush(&mut self, tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<()> {
        if tx.backend_name().eq_ignore_ascii_case("sqlite") { self.flush_values(tx, MAX_BINDS).await } else { self.flush_unnest(tx).await }
    }

    /// Multi-row `INSERT ... VALUES`, at most `max_binds` values a statement (the bulk path's
    /// writer: plain `?` parameters on SQLite, see `bulk::insert_rows`).
    async fn flush_values(&mut self, tx: &mut sqlx::Transaction<'_, sqlx::Any>, max_binds: usize) -> Result<()> {
        let rows = std::mem::take(&mut self.rows);
        crate::bulk::insert_rows_at_most(tx, self.name, self.columns, rows, max_binds).await
    }

    /// `INSERT ... SELECT * FROM UNNEST($1::text[], ...)`: one statement, one value bound per
    /// column (the column's values as a PostgreSQL array literal, cast by the statement), and
    /// the same text whatever the number of rows, so PostgreSQL parses and plans it once per
    /// connection. A multi-row `VALUES` of 30,000 parameters cost PostgreSQL more to parse and
    /// plan than to insert: 6,900 rows/s for a first import of 50,000 locations.
    async fn flush_unnest(&mut self, tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<()> {
        let rows = std::mem::take(&mut self.rows);
        let Some(first) = rows.first() else {
            return Ok(());
        };
        let types: Vec<&str> = first.iter().map(|v| if matches!(v, Val::Int(_) | Val::OptInt(_)) { "bigint" } else { "text" }).collect();
        let arrays: Vec<String> = (0..self.columns.len()).map(|c| array_literal(rows.iter().map(|r| &r[c]))).collect();
        let casts: Vec<String> = types.iter().enumerate().map(|(i, t)| format!("${}::{t}[]", i + 1)).collect();
        let sql = format!("INSERT INTO {} ({}) SELECT * FROM UNNEST({})", self.name, self.columns.join(", "), casts.join(", "));
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for a in arrays {
            q = q.bind(a);
        }
        q.execute(&mut **tx).await?;
        Ok(())
    }
}

/// A PostgreSQL array literal of one column's values: `{"a",NULL,"b \"c\""}` or `{1,NULL}`.
///
/// It is on the path between two of PostgreSQL's inserts (the client builds the next batch's
/// literals while the server waits), so text is copied a run at a time between the characters
/// that need escaping rather than a character at a time.
fn array_literal<'a>(values: impl Iterator<Item = &'a Val>) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(4096);
    out.push('{');
    for (i, v) in values.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let text = match v {
            Val::Text(s) | Val::OptText(Some(s)) => s,
            Val::Int(n) | Val::OptInt(Some(n)) => {
                let _ = write!(out, "{n}");
                continue;
            }
            Val::OptText(None) | Val::OptInt(None) => {
                out.push_str("NULL");
                continue;
            }
        };
        out.push('"');
        let mut rest = text.as_str();
        while let Some(at) = rest.find(['"', '\\']) {
            out.push_str(&rest[..at]);
            out.push('\\');
            out.push_str(&rest[at..=at]);
            rest = &rest[at + 1..];
        }
        out.push_str(rest);
        out.push('"');
    }
    out.push('}');
    out
}

const PROVIDER_COLUMNS: &[&str] = &["id", "cqc_provider_id", "name", "created_at", "updated_at"];
const SERVICE_COLUMNS: &[&str] = &[
    "id",
    "provider_id",
    "cqc_location_id",
    "name",
    "kind",
    "address_line",
    "town",
    "postcode",
    "outward_code",
    "local_authority",
    "region",
    "in_area",
    "area_id",
    "phone",
    "website",
    "registration_status",
    "registration_date",
    "deregistration_date",
    "beds",
    "service_types",
    "cqc_hash",
    "relationships_json",
    "last_inspection_date",
    "created_at",
    "updated_at",
    "cqc_json",
    "rating_overall",
    "rating_safe",
    "rating_effective",
    "rating_caring",
    "rating_responsive",
    "rating_well_led",
    "rating_date",
];
const SPECIALISM_COLUMNS: &[&str] = &["service_id", "specialism"];

/// A new location's service row, as worked out before it is queued.
pub(super) struct NewService<'a> {
    pub id: String,
    pub provider_id: String,
    pub loc: &'a CqcLocation,
    pub hash: String,
    pub stored_json: Option<String>,
    pub postcode: Option<String>,
    pub outward: Option<String>,
    pub in_area: i64,
    pub area_id: Option<String>,
    pub relationships: Option<String>,
}

fn rating(r: Option<Rating>) -> Option<String> {
    r.map(|r| r.as_str().to_string())
}

/// Queued inserts of an import, written by [`Pending::flush`].
pub(super) struct Pending {
    providers: Table,
    /// Provider id → its row in `providers`, while it is queued (its name may still change).
    provider_rows: HashMap<String, usize>,
    services: Table,
    /// Services queued and not yet written.
    service_ids: HashSet<String>,
    specialisms: Table,
    history: Table,
    changes: Vec<(String, RecordedChange)>,
    now: String,
    import_id: String,
}

impl Pending {
    pub(super) fn new(now: &str, import_id: &str) -> Self {
        Pending {
            providers: Table::new("providers", PROVIDER_COLUMNS),
            provider_rows: HashMap::new(),
            services: Table::new("services", SERVICE_COLUMNS),
            service_ids: HashSet::new(),
            specialisms: Table::new("service_specialisms", SPECIALISM_COLUMNS),
            history: Table::new("rating_history", &HISTORY_COLUMNS),
            changes: Vec::new(),
            now: now.to_string(),
            import_id: import_id.to_string(),
        }
    }

    /// Queue a new provider.
    pub(super) fn add_provider(&mut self, id: &str, cqc_provider_id: Option<String>, name: String) {
        self.provider_rows.insert(id.to_string(), self.providers.rows.len());
        self.providers.rows.push(vec![id.into(), cqc_provider_id.into(), name.into(), self.now.as_str().into(), self.now.as_str().into()]);
    }

    /// Rename a provider still queued; false when it has been written (the caller updates it).
    pub(super) fn rename_queued_provider(&mut self, id: &str, name: &str) -> bool {
        match self.provider_rows.get(id) {
            Some(&row) => {
                self.providers.rows[row][2] = Val::Text(name.to_string());
                true
            }
            None => false,
        }
    }

    /// Whether this service is queued and not yet written.
    pub(super) fn holds_service(&self, id: &str) -> bool {
        self.service_ids.contains(id)
    }

    /// Whether anything is queued.
    pub(super) fn holds_any(&self) -> bool {
        !self.providers.rows.is_empty() || !self.services.rows.is_empty()
    }

    /// Services queued.
    pub(super) fn services_queued(&self) -> usize {
        self.services.rows.len()
    }

    /// Queue a new location: its service, specialisms and rating history. Returns how many
    /// changes of rating its history holds (each logged as a signal when the batch is written).
    pub(super) fn add_service(&mut self, s: NewService<'_>) -> i64 {
        let loc = s.loc;
        // The history the one-at-a-time path appended: every published set, oldest first,
        // once per (date, overall), empty sets left out.
        let mut sets: Vec<&CqcRatingSet> = loc.rating_history.iter().collect();
        if let Some(r) = &loc.rating {
            sets.push(r);
        }
        sets.sort_by_key(|r| r.report_date);
        let mut seen = BTreeSet::new();
        let entries: Vec<&CqcRatingSet> =
            sets.into_iter().filter(|set| !set.is_empty() && seen.insert((set.report_date, set.overall.map(Rating::as_str)))).collect();
        let published: Vec<Published> = entries.iter().map(|e| Published { report_date: e.report_date, overall: e.overall }).collect();
        let previous = previous_grades(&published);

        // The latest sign of CQC having looked: the file's, or a report of an inspection.
        let mut last_inspection = loc.last_inspection_date;
        for e in &entries {
            if let Some(d) = e.report_date
                && crate::register::is_inspection_report(e.overall)
                && last_inspection.is_none_or(|l| l < d)
            {
                last_inspection = Some(d);
            }
        }
        // The service held no rating, so CQC's current one becomes current when core says so.
        let current = loc.rating.as_ref().filter(|r| !r.is_empty()).filter(|r| {
            replaces_current(
                Some(Published { report_date: None, overall: None }),
                Published { report_date: r.report_date, overall: r.overall },
            )
        });

        let mut changes: Vec<RecordedChange> = Vec::new();
        for (e, prev) in entries.iter().zip(&previous) {
            self.history.rows.push(vec![
                crate::new_id().into(),
                s.id.as_str().into(),
                rating(e.overall).into(),
                rating(e.safe).into(),
                rating(e.effective).into(),
                rating(e.caring).into(),
                rating(e.responsive).into(),
                rating(e.well_led).into(),
                e.report_date.map(|d| d.to_string()).into(),
                rating(*prev).into(),
                self.now.as_str().into(),
                "cqc".into(),
                Some(self.import_id.clone()).into(),
            ]);
            if let Some(change) = RatingChange::between(*prev, e.overall) {
                changes.push(RecordedChange { change, report_date: e.report_date });
            }
        }
        changes.sort_by_key(|c| c.report_date);
        let n = changes.len() as i64;
        self.changes.extend(changes.into_iter().map(|c| (s.id.clone(), c)));

        let specialisms: BTreeSet<&str> = loc.specialisms.iter().map(|sp| sp.as_str()).collect();
        for sp in specialisms {
            self.specialisms.rows.push(vec![s.id.as_str().into(), sp.into()]);
        }

        self.service_ids.insert(s.id.clone());
        self.services.rows.push(vec![
            s.id.into(),
            s.provider_id.into(),
            loc.location_id.as_str().into(),
            loc.name.as_str().into(),
            loc.kind().as_str().into(),
            loc.address_line.clone().into(),
            loc.town.clone().into(),
            s.postcode.into(),
            s.outward.into(),
            loc.local_authority.clone().into(),
            loc.region.clone().into(),
            s.in_area.into(),
            s.area_id.into(),
            loc.phone.clone().into(),
            loc.website.clone().into(),
            loc.registration_status.as_str().into(),
            loc.registration_date.map(|d| d.to_string()).into(),
            loc.deregistration_date.map(|d| d.to_string()).into(),
            loc.beds.into(),
            loc.service_types.join("|").into(),
            s.hash.into(),
            s.relationships.into(),
            last_inspection.map(|d| d.to_string()).into(),
            self.now.as_str().into(),
            self.now.as_str().into(),
            s.stored_json.into(),
            rating(current.and_then(|r| r.overall)).into(),
            rating(current.and_then(|r| r.safe)).into(),
            rating(current.and_then(|r| r.effective)).into(),
            rating(current.and_then(|r| r.caring)).into(),
            rating(current.and_then(|r| r.responsive)).into(),
            rating(current.and_then(|r| r.well_led)).into(),
            current.and_then(|r| r.report_date).map(|d| d.to_string()).into(),
        ]);
        n
    }

    /// Write the queued providers (before a statement that refers to one of them).
    pub(super) async fn flush_providers(&mut self, tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<()> {
        self.providers.flush(tx).await?;
        self.provider_rows.clear();
        Ok(())
    }

    /// Write everything queued, in the order the foreign keys need, then log the changes of
    /// rating the new histories hold.
    pub(super) async fn flush(&mut self, tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<()> {
        self.flush_providers(tx).await?;
        self.services.flush(tx).await?;
        self.service_ids.clear();
        self.specialisms.flush(tx).await?;
        self.history.flush(tx).await?;
        for (service_id, change) in std::mem::take(&mut self.changes) {
            crate::quality::signals::log_rating_change(tx, &service_id, change, "cqc", Some(&self.import_id)).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Row = (String, Option<String>, i64, Option<i64>);

    /// Awkward values: quotes, backslashes, braces, commas, a line break, the word NULL, an
    /// empty string, nulls.
    fn rows(n: i64) -> (Table, Vec<Row>) {
        let mut table = Table::new("batch_test", &["a", "b", "c", "d"]);
        let mut expected = Vec::new();
        for i in 0..n {
            let a = match i % 5 {
                0 => format!("\"{i}\" \"quoted\" \\\\ back\\"),
                1 => format!("{{braces}}, commas, {i}\nnext line"),
                2 => "NULL".to_string(),
                3 => String::new(),
                _ => format!("plain {i} é"),
            };
            let b = if i % 3 == 0 { None } else { Some(format!("b{i}")) };
            let d = if i % 2 == 0 { Some(i * 2) } else { None };
            table.rows.push(vec![a.clone().into(), b.clone().into(), i.into(), d.into()]);
            expected.push((a, b, i, d));
        }
        (table, expected)
    }

    const CREATE: &str = "CREATE TEMPORARY TABLE batch_test (a TEXT NOT NULL, b TEXT, c BIGINT NOT NULL, d BIGINT)";
    const READ: &str = "SELECT a, b, c, d FROM batch_test ORDER BY c";

    #[tokio::test]
    async fn sqlite_writes_every_row_of_a_batch_spread_over_many_statements() {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect("sqlite::memory:").await.expect("sqlite");
        let mut tx = pool.begin().await.expect("begin");
        sqlx::query(CREATE).execute(&mut *tx).await.expect("create");
        let (mut table, expected) = rows(1_001);
        // Four columns and at most 40 values a statement: ten rows each, 101 statements.
        table.flush_values(&mut tx, 40).await.expect("flush");
        let got: Vec<Row> = sqlx::query_as(READ).fetch_all(&mut *tx).await.expect("read");
        assert_eq!(got, expected);
        assert!(table.rows.is_empty());
    }

    #[tokio::test]
    async fn postgres_unnest_writes_every_value_as_given() {
        let Ok(url) = std::env::var("CAREMARKET_TEST_POSTGRES_URL") else {
            eprintln!("CAREMARKET_TEST_POSTGRES_URL is not set: the PostgreSQL batch test was skipped");
            return;
        };
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&url).await.expect("postgres");
        let mut tx = pool.begin().await.expect("begin");
        sqlx::query(CREATE).execute(&mut *tx).await.expect("create");
        let (mut table, expected) = rows(1_001);
        table.flush_unnest(&mut tx).await.expect("flush");
        let got: Vec<Row> = sqlx::query_as(READ).fetch_all(&mut *tx).await.expect("read");
        assert_eq!(got, expected);
        tx.rollback().await.expect("rollback");
    }
}
