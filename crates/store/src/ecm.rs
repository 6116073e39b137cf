//! Home care reconciliations kept in the database (issue 11 item 7): an import of a planned
//! visits file and an ECM export, reconciled by `caremarket_core::ecm` (the one home of the
//! rules: the figures stored here are exactly the command's), with every planned visit and every
//! faulty row kept so that each figure drills down to what it counts; providers' queries of a
//! visit and the officer's decision, which changes the visit's pay; and the payment schedule on
//! each contract's payment basis.
//!
//! An import is written in one transaction: a file that cannot be read, or names a provider the
//! register does not hold, leaves nothing behind but the failed import's own record.

use crate::audit::record;
use crate::bulk::{Value, insert_rows};
use crate::query::SqlBuilder;
use crate::{Actor, Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::direct_payments::money::money;
use caremarket_core::ecm::{
    Actual, Detail, Fault, Observer, Options, Planned, Ranks, ReconcileError, VisitOutcome, civil_from_days, reconcile_observed,
    visit_pence,
};
use caremarket_core::fees::{PayOn, PaymentBasis, SecondCarer};
use caremarket_core::register::ServiceKind;
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;

/// Rows written per INSERT statement (well under both databases' limits on bound values).
const FIGURE_COLUMNS: [&str; 20] = [
    "import_id",
    "provider_id",
    "file_provider",
    "period_start",
    "planned_visits",
    "planned_carer_minutes",
    "delivered_visits",
    "delivered_carer_minutes",
    "missed_visits",
    "short_visits",
    "late_visits",
    "early_visits",
    "unplanned_extras",
    "unplanned_minutes",
    "invoiced_pence",
    "payable_pence",
    "bad_end_before_start",
    "duplicate_rows",
    "repeat_visit_rows",
    "unknown_visit_rows",
];

const VISIT_COLUMNS: [&str; 20] = [
    "import_id",
    "visit_id",
    "provider_id",
    "period_start",
    "person_ref",
    "planned_start",
    "planned_minutes",
    "carers",
    "rate_pence",
    "actual_start",
    "actual_end",
    "actual_minutes",
    "paid_minutes",
    "short",
    "late",
    "early",
    "invoiced_pence",
    "payable_pence",
    "care_worker_ref",
    "extra_care",
];

const FAULT_COLUMNS: [&str; 9] =
    ["import_id", "seq", "kind", "visit_id", "provider_id", "period_start", "person_ref", "actual_start", "actual_end"];

/// An import's state.
#[derive(Debug, Clone, Serialize)]
pub struct EcmImportRecord {
    pub id: String,
    /// `running`, `completed` or `failed`.
    pub status: String,
    pub stage: String,
    pub progress_percent: i64,
    pub error: Option<String>,
    pub planned_file: String,
    pub actual_file: String,
    pub periods_from: String,
    pub period_days: i64,
    pub planned_visits: i64,
    pub actual_rows: i64,
    pub created_by_label: String,
    pub started_at: String,
    pub finished_at: Option<String>,
}

/// The figures of one provider in one period, as the rules gave them, with the change to pay
/// from accepted queries beside them.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct EcmFigureRecord {
    pub import_id: String,
    pub provider_id: String,
    pub provider_name: String,
    pub file_provider: String,
    pub period_start: String,
    pub planned_visits: i64,
    pub planned_carer_minutes: i64,
    pub delivered_visits: i64,
    pub delivered_carer_minutes: i64,
    pub missed_visits: i64,
    pub short_visits: i64,
    pub late_visits: i64,
    pub early_visits: i64,
    pub unplanned_extras: i64,
    pub unplanned_minutes: i64,
    pub invoiced_pence: i64,
    pub payable_pence: i64,
    pub bad_end_before_start: i64,
    pub duplicate_rows: i64,
    pub repeat_visit_rows: i64,
    pub unknown_visit_rows: i64,
    /// Payable after accepted queries − payable as reconciled.
    pub query_adjustment_pence: i64,
}

impl EcmFigureRecord {
    pub fn variance_pence(&self) -> i64 {
        self.invoiced_pence - self.payable_pence
    }
    pub fn faults(&self) -> i64 {
        self.bad_end_before_start + self.duplicate_rows + self.repeat_visit_rows + self.unknown_visit_rows
    }
}

/// One planned visit and what the rules made of it (pay changed by an accepted query).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct EcmVisitRecord {
    pub import_id: String,
    pub visit_id: i64,
    pub provider_id: String,
    pub provider_name: String,
    pub period_start: String,
    pub person_ref: String,
    pub planned_start: String,
    pub planned_minutes: i64,
    pub carers: i64,
    pub rate_pence: i64,
    pub actual_start: Option<String>,
    pub actual_end: Option<String>,
    pub actual_minutes: i64,
    pub paid_minutes: i64,
    pub short: i64,
    pub late: i64,
    pub early: i64,
    pub invoiced_pence: i64,
    pub payable_pence: i64,
    pub care_worker_ref: Option<String>,
}

impl EcmVisitRecord {
    pub fn delivered(&self) -> bool {
        self.actual_start.is_some()
    }
}

/// A faulty ECM row.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct EcmFaultRecord {
    pub seq: i64,
    pub kind: String,
    pub visit_id: Option<i64>,
    pub provider_id: String,
    pub period_start: String,
    pub person_ref: String,
    pub actual_start: String,
    pub actual_end: String,
}

/// A provider's query of a visit.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct EcmQueryRecord {
    pub id: String,
    pub import_id: String,
    pub visit_id: i64,
    pub provider_id: String,
    pub provider_name: String,
    pub reason: String,
    pub claimed_minutes: Option<i64>,
    /// `open`, `accepted` or `rejected`.
    pub status: String,
    pub raised_by_label: String,
    pub raised_at: String,
    pub decided_by_label: Option<String>,
    pub decided_at: Option<String>,
    pub decision_note: Option<String>,
    pub paid_minutes_before: Option<i64>,
    pub paid_minutes_after: Option<i64>,
    pub payable_before: Option<i64>,
    pub payable_after: Option<i64>,
}

/// Which visits to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VisitShow {
    #[default]
    All,
    Delivered,
    Missed,
    Short,
    Late,
    Early,
}

impl VisitShow {
    pub const ALL: [VisitShow; 6] =
        [VisitShow::All, VisitShow::Delivered, VisitShow::Missed, VisitShow::Short, VisitShow::Late, VisitShow::Early];
    pub fn as_str(self) -> &'static str {
        match self {
            VisitShow::All => "all",
            VisitShow::Delivered => "delivered",
            VisitShow::Missed => "missed",
            VisitShow::Short => "short",
            VisitShow::Late => "late",
            VisitShow::Early => "early",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            VisitShow::All => "Planned visits",
            VisitShow::Delivered => "Delivered visits",
            VisitShow::Missed => "Missed visits",
            VisitShow::Short => "Short visits",
            VisitShow::Late => "Late visits",
            VisitShow::Early => "Early visits",
        }
    }
    pub fn parse(s: &str) -> Option<VisitShow> {
        VisitShow::ALL.into_iter().find(|v| v.as_str() == s)
    }
    fn clause(self) -> &'static str {
        match self {
            VisitShow::All => "1=1",
            VisitShow::Delivered => "v.actual_start IS NOT NULL",
            VisitShow::Missed => "v.actual_start IS NULL",
            VisitShow::Short => "v.short = 1",
            VisitShow::Late => "v.late = 1",
            VisitShow::Early => "v.early = 1",
        }
    }
}

/// A visit as the payment schedule reads it.
#[derive(sqlx::FromRow)]
struct ScheduleVisit {
    provider_id: String,
    provider_name: String,
    cqc_provider_id: Option<String>,
    period_start: String,
    planned_start: String,
    planned_minutes: i64,
    carers: i64,
    rate_pence: i64,
    actual_start: Option<String>,
    actual_minutes: i64,
    accepted_minutes: Option<i64>,
}

/// One line of a payment schedule: what a provider is paid for a period on its contract's basis.
#[derive(Debug, Clone, Serialize)]
pub struct ScheduleLine {
    pub provider_id: String,
    pub provider_name: String,
    pub cqc_provider_id: String,
    pub period_start: String,
    pub period_end: String,
    pub visits_paid: i64,
    pub carer_minutes_paid: i64,
    pub amount_pence: i64,
    /// The basis in words ("Delivered time capped at planned; ...") and whether the contract
    /// recorded it (otherwise the reconciliation's own rule is used).
    pub basis: String,
    pub basis_recorded: bool,
}

pub fn day_text(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

pub fn time_text(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}", s / 3_600, s / 60 % 60, s % 60)
}

/// A stored visit as the observer made it, with the register's provider id.
struct VisitRow {
    visit_id: i64,
    provider_id: String,
    period_start: String,
    person_ref: String,
    planned: Planned,
    outcome: VisitOutcome,
    worker: Option<String>,
    extra_care: bool,
}

struct FaultRow {
    kind: Fault,
    visit_id: Option<i64>,
    provider_id: String,
    period_start: String,
    person_ref: String,
    row: Actual,
}

/// Keeps what the rules say of each visit and faulty row, named by the register's provider.
struct Keep<'a> {
    register: &'a HashMap<String, String>,
    persons: &'a HashMap<i64, String>,
    workers: &'a HashMap<(i64, i64, i64), String>,
    extra_care: &'a std::collections::HashSet<i64>,
    visits: Vec<VisitRow>,
    faults: Vec<FaultRow>,
}

impl Keep<'_> {
    fn provider(&self, ranks: &Ranks, rank: u32) -> String {
        let name = String::from_utf8_lossy(ranks.provider_name(rank)).into_owned();
        self.register.get(&name).cloned().unwrap_or(name)
    }
}

impl Observer for Keep<'_> {
    fn visit(&mut self, ranks: &Ranks, planned: &Planned, outcome: &VisitOutcome) {
        let id = planned.visit_id();
        let worker = outcome.record.and_then(|r| self.workers.get(&(id, r.start().0, r.end().0)).cloned());
        self.visits.push(VisitRow {
            visit_id: id,
            provider_id: self.provider(ranks, planned.provider()),
            period_start: day_text(outcome.period_start),
            person_ref: self.persons.get(&id).cloned().unwrap_or_default(),
            planned: *planned,
            outcome: *outcome,
            worker,
            extra_care: self.extra_care.contains(&id),
        });
    }
    fn fault(&mut self, ranks: &Ranks, fault: Fault, row: &Actual, period_start: i64) {
        self.faults.push(FaultRow {
            kind: fault,
            visit_id: (fault != Fault::Unplanned).then(|| row.visit_id()),
            provider_id: self.provider(ranks, row.provider()),
            period_start: day_text(period_start),
            person_ref: String::from_utf8_lossy(ranks.person_name(row.person())).into_owned(),
            row: *row,
        });
    }
}

fn i(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn pence(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

const FIGURES_SELECT: &str =
    "SELECT f.import_id, f.provider_id, p.name AS provider_name, f.file_provider, f.period_start, f.planned_visits,
        f.planned_carer_minutes, f.delivered_visits, f.delivered_carer_minutes, f.missed_visits, f.short_visits, f.late_visits,
        f.early_visits, f.unplanned_extras, f.unplanned_minutes, f.invoiced_pence, f.payable_pence, f.bad_end_before_start,
        f.duplicate_rows, f.repeat_visit_rows, f.unknown_visit_rows,
        CAST(COALESCE((SELECT SUM(q.payable_after - q.payable_before) FROM ecm_queries q JOIN ecm_visits v
                    ON v.import_id = q.import_id AND v.visit_id = q.visit_id
                  WHERE q.import_id = f.import_id AND q.status = 'accepted' AND v.provider_id = f.provider_id
                    AND v.period_start = f.period_start), 0) AS BIGINT) AS query_adjustment_pence
     FROM ecm_figures f JOIN providers p ON p.id = f.provider_id";

const VISIT_SELECT: &str = "SELECT v.import_id, v.visit_id, v.provider_id, p.name AS provider_name, v.period_start, v.person_ref,
        v.planned_start, v.planned_minutes, v.carers, v.rate_pence, v.actual_start, v.actual_end, v.actual_minutes, v.paid_minutes,
        v.short, v.late, v.early, v.invoiced_pence, v.payable_pence, v.care_worker_ref
     FROM ecm_visits v JOIN providers p ON p.id = v.provider_id";

const QUERY_SELECT: &str = "SELECT q.id, q.import_id, q.visit_id, q.provider_id, p.name AS provider_name, q.reason, q.claimed_minutes,
        q.status, q.raised_by_label, q.raised_at, q.decided_by_label, q.decided_at, q.decision_note, q.paid_minutes_before,
        q.paid_minutes_after, q.payable_before, q.payable_after
     FROM ecm_queries q JOIN providers p ON p.id = q.provider_id";

#[derive(sqlx::FromRow)]
struct ImportRow {
    id: String,
    status: String,
    stage: String,
    progress_percent: i64,
    error: Option<String>,
    planned_file: String,
    actual_file: String,
    periods_from: String,
    period_days: i64,
    planned_visits: i64,
    actual_rows: i64,
    created_by_label: String,
    started_at: String,
    finished_at: Option<String>,
}

impl From<ImportRow> for EcmImportRecord {
    fn from(r: ImportRow) -> Self {
        EcmImportRecord {
            id: r.id,
            status: r.status,
            stage: r.stage,
            progress_percent: r.progress_percent,
            error: r.error,
            planned_file: r.planned_file,
            actual_file: r.actual_file,
            periods_from: r.periods_from,
            period_days: r.period_days,
            planned_visits: r.planned_visits,
            actual_rows: r.actual_rows,
            created_by_label: r.created_by_label,
            started_at: r.started_at,
            finished_at: r.finished_at,
        }
    }
}

const IMPORT_SELECT: &str = "SELECT id, status, stage, progress_percent, error, planned_file, actual_file, periods_from, period_days,
        planned_visits, actual_rows, created_by_label, started_at, finished_at FROM ecm_imports";

/// The basis the reconciliation itself applies, for a contract with none recorded.
pub const RULES_BASIS: PaymentBasis =
    PaymentBasis { pay_on: PayOn::DeliveredCapped, minimum_call_minutes: None, second_carer: SecondCarer::FullRate };

pub fn basis_text(b: &PaymentBasis) -> String {
    let min = match b.minimum_call_minutes {
        Some(m) => format!("at least {m} minutes a call"),
        None => "no minimum call".to_string(),
    };
    format!("{}; {min}; second carer {}", b.pay_on.label(), b.second_carer.text())
}

impl Store {
    /// Record an import as started (so its page can show progress); returns its id.
    pub async fn start_ecm_import(&self, actor: &Actor, planned_file: &str, actual_file: &str, options: &Options) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO ecm_imports (id, status, stage, progress_percent, planned_file, actual_file, periods_from, period_days,
                created_by, created_by_label, started_at) VALUES ($1, 'running', 'Reading the files', 0, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(planned_file)
        .bind(actual_file)
        .bind(day_text(options.periods_from))
        .bind(i64::from(options.period_days))
        .bind(actor.user_id.clone())
        .bind(&actor.label)
        .bind(now_timestamp())
        .execute(&self.pool)
        .await?;
        Ok(id)
    }

    /// How far a running import has got.
    pub async fn ecm_import_progress(&self, id: &str, stage: &str, percent: u8) -> Result<()> {
        sqlx::query("UPDATE ecm_imports SET stage = $1, progress_percent = $2 WHERE id = $3 AND status = 'running'")
            .bind(stage)
            .bind(i64::from(percent.min(100)))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Mark a running import failed with the reason (nothing else was written).
    pub async fn fail_ecm_import(&self, id: &str, error: &str) -> Result<()> {
        sqlx::query("UPDATE ecm_imports SET status = 'failed', stage = 'Failed', error = $1, finished_at = $2 WHERE id = $3")
            .bind(error)
            .bind(now_timestamp())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Reconcile the files read into `detail` and keep the figures, visits and faulty rows, in
    /// one transaction with the import marked completed and its audit row. Every provider id of
    /// the files must be a provider of the register (its id or its CQC provider id): one that is
    /// not is refused, naming the file and row where it first appears.
    pub async fn finish_ecm_import(&self, actor: &Actor, id: &str, detail: Detail, options: &Options) -> Result<Vec<EcmFigureRecord>> {
        let known: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT id, cqc_provider_id FROM providers").fetch_all(&self.pool).await?;
        let mut register: HashMap<String, String> = HashMap::new();
        for (pid, cqc) in known {
            if let Some(c) = cqc {
                register.insert(c, pid.clone());
            }
            register.insert(pid.clone(), pid);
        }
        let unknown: Vec<String> = detail
            .providers
            .iter()
            .filter(|(name, _)| !register.contains_key(*name))
            .take(5)
            .map(|(name, (file, line))| format!("'{file}' row {line}: '{name}' is not a provider in the register"))
            .collect();
        if !unknown.is_empty() {
            return Err(StoreError::invalid(
                "provider_id",
                format!("{}. Use the provider's CQC provider id or its caremarket id.", unknown.join("; ")),
            ));
        }
        let (planned_rows, actual_rows) = (detail.planned_rows, detail.actual_rows);
        let Detail { planned, actual, persons, workers, extra_care, .. } = detail;
        let mut keep = Keep {
            register: &register,
            persons: &persons,
            workers: &workers,
            extra_care: &extra_care,
            visits: Vec::new(),
            faults: Vec::new(),
        };
        let figures =
            reconcile_observed(planned, actual, options, &mut keep).map_err(|ReconcileError::DuplicatePlannedVisit { visit_id }| {
                StoreError::invalid("visit_id", format!("visit_id {visit_id} is planned more than once"))
            })?;
        self.ecm_import_progress(id, "Saving the figures and visits", 60).await?;
        let Keep { visits, faults, .. } = keep;
        let mut tx = self.begin_write().await?;
        // Many rows per statement through the bulk path's writer, which numbers no parameter
        // on SQLite: SQLite searches a statement's named parameters (`$N`) from the first for
        // each one, and a statement of 400 visits has 8,000 of them.
        let figure_rows = figures
            .iter()
            .map(|f| {
                let file_provider = String::from_utf8_lossy(&f.provider_id).into_owned();
                let provider = register.get(&file_provider).cloned().unwrap_or_default();
                let mut row: Vec<Value> = vec![id.into(), provider.into(), file_provider.into(), day_text(f.period_start).into()];
                for v in [
                    f.planned_visits,
                    f.planned_carer_minutes,
                    f.delivered_visits,
                    f.delivered_carer_minutes,
                    f.missed_visits,
                    f.short_visits,
                    f.late_visits,
                    f.early_visits,
                    f.unplanned_extras,
                    f.unplanned_minutes,
                ] {
                    row.push(i(v).into());
                }
                row.push(pence(f.invoiced_pence).into());
                row.push(pence(f.payable_pence).into());
                for v in [f.bad_end_before_start, f.duplicate_rows, f.repeat_visit_rows, f.unknown_visit_rows] {
                    row.push(i(v).into());
                }
                row
            })
            .collect();
        insert_rows(&mut tx, "ecm_figures", &FIGURE_COLUMNS, figure_rows).await?;
        let visit_rows = visits
            .iter()
            .map(|v| {
                let o = &v.outcome;
                vec![
                    id.into(),
                    v.visit_id.into(),
                    v.provider_id.as_str().into(),
                    v.period_start.as_str().into(),
                    v.person_ref.as_str().into(),
                    time_text(v.planned.start().0).into(),
                    i64::from(v.planned.minutes()).into(),
                    i64::from(v.planned.carers()).into(),
                    i64::from(v.planned.rate()).into(),
                    o.record.map(|r| time_text(r.start().0)).into(),
                    o.record.map(|r| time_text(r.end().0)).into(),
                    o.actual_minutes.into(),
                    o.paid_minutes.into(),
                    i64::from(o.short).into(),
                    i64::from(o.late).into(),
                    i64::from(o.early).into(),
                    pence(o.invoiced_pence).into(),
                    pence(o.payable_pence).into(),
                    v.worker.clone().into(),
                    i64::from(v.extra_care).into(),
                ]
            })
            .collect();
        insert_rows(&mut tx, "ecm_visits", &VISIT_COLUMNS, visit_rows).await?;
        let fault_rows = faults
            .iter()
            .enumerate()
            .map(|(seq, f)| {
                vec![
                    id.into(),
                    i64::try_from(seq).unwrap_or(i64::MAX).into(),
                    f.kind.as_str().into(),
                    f.visit_id.into(),
                    f.provider_id.as_str().into(),
                    f.period_start.as_str().into(),
                    f.person_ref.as_str().into(),
                    time_text(f.row.start().0).into(),
                    time_text(f.row.end().0).into(),
                ]
            })
            .collect();
        insert_rows(&mut tx, "ecm_faults", &FAULT_COLUMNS, fault_rows).await?;
        let updated = sqlx::query(
            "UPDATE ecm_imports SET status = 'completed', stage = 'Done', progress_percent = 100, planned_visits = $1, actual_rows = $2,
                finished_at = $3 WHERE id = $4 AND status = 'running'",
        )
        .bind(i(planned_rows))
        .bind(i(actual_rows))
        .bind(now_timestamp())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated != 1 {
            return Err(StoreError::invalid("import", "This import is not running: it finished or failed already"));
        }
        let invoiced: i128 = figures.iter().map(|f| f.invoiced_pence).sum();
        let payable: i128 = figures.iter().map(|f| f.payable_pence).sum();
        let summary = format!(
            "Imported home care visits: {planned_rows} planned visits and {actual_rows} call monitoring rows; invoiced {}, payable {}",
            money(pence(invoiced)),
            money(pence(payable))
        );
        let after = json!({"planned_visits": planned_rows, "actual_rows": actual_rows, "providers_and_periods": figures.len(),
            "invoiced_pence": pence(invoiced), "payable_pence": pence(payable), "faulty_rows": faults.len()});
        record(&mut tx, actor, "create", "ecm_import", Some(id), &summary, None, Some(&after)).await?;
        tx.commit().await?;
        self.ecm_figures(id, None).await
    }

    /// Imports, newest first.
    pub async fn ecm_imports(&self) -> Result<Vec<EcmImportRecord>> {
        let rows: Vec<ImportRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{IMPORT_SELECT} ORDER BY started_at DESC, id DESC LIMIT 200")))
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    pub async fn ecm_import(&self, id: &str) -> Result<EcmImportRecord> {
        let row: Option<ImportRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{IMPORT_SELECT} WHERE id = $1"))).bind(id).fetch_optional(&self.pool).await?;
        row.map(Into::into).ok_or_else(|| StoreError::NotFound(format!("ECM import {id}")))
    }

    /// The newest completed import that holds figures for `provider` (any provider: `None`).
    pub async fn latest_ecm_import(&self, provider: Option<&str>) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT i.id FROM ecm_imports i WHERE i.status = 'completed'
               AND ($1 = '' OR EXISTS (SELECT 1 FROM ecm_figures f WHERE f.import_id = i.id AND f.provider_id = $1))
             ORDER BY i.started_at DESC, i.id DESC LIMIT 1",
        )
        .bind(provider.unwrap_or(""))
        .fetch_optional(&self.pool)
        .await?)
    }

    /// An import's figures by provider name and period (one provider's: `provider`).
    pub async fn ecm_figures(&self, import_id: &str, provider: Option<&str>) -> Result<Vec<EcmFigureRecord>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{FIGURES_SELECT} WHERE f.import_id = $1 AND ($2 = '' OR f.provider_id = $2) ORDER BY p.name, f.provider_id, f.period_start"
        )))
        .bind(import_id)
        .bind(provider.unwrap_or(""))
        .fetch_all(&self.pool)
        .await?)
    }

    /// The visits behind a figure: an import's, for a provider and period (either may be left
    /// out), of one kind; a page of `limit` from `offset`, with the number in all.
    pub async fn ecm_visits(
        &self,
        import_id: &str,
        provider: Option<&str>,
        period: Option<&str>,
        show: VisitShow,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<EcmVisitRecord>, i64)> {
        let mut w = SqlBuilder::new(" WHERE v.import_id = ");
        w.push_bind(import_id);
        if let Some(p) = provider {
            w.and_bind("v.provider_id = {}", p);
        }
        if let Some(p) = period {
            w.and_bind("v.period_start = {}", p);
        }
        w.and_raw(show.clause());
        let total: i64 = w.wrapped("SELECT COUNT(*) FROM ecm_visits v", "").query_scalar().fetch_one(&self.pool).await?;
        let mut page = w.wrapped(VISIT_SELECT, " ORDER BY v.planned_start, v.visit_id LIMIT ");
        page.push_bind(limit).push(" OFFSET ").push_bind(offset);
        Ok((page.query_as().fetch_all(&self.pool).await?, total))
    }

    pub async fn ecm_visit(&self, import_id: &str, visit_id: i64) -> Result<EcmVisitRecord> {
        let v: Option<EcmVisitRecord> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{VISIT_SELECT} WHERE v.import_id = $1 AND v.visit_id = $2")))
                .bind(import_id)
                .bind(visit_id)
                .fetch_optional(&self.pool)
                .await?;
        v.ok_or_else(|| StoreError::NotFound(format!("visit {visit_id}")))
    }

    /// Faulty rows of an import for a provider and period, of one kind (any: `None`).
    pub async fn ecm_faults(
        &self,
        import_id: &str,
        provider: Option<&str>,
        period: Option<&str>,
        kind: Option<Fault>,
    ) -> Result<Vec<EcmFaultRecord>> {
        let mut w = SqlBuilder::new(
            "SELECT seq, kind, visit_id, provider_id, period_start, person_ref, actual_start, actual_end FROM ecm_faults WHERE import_id = ",
        );
        w.push_bind(import_id);
        if let Some(p) = provider {
            w.and_bind("provider_id = {}", p);
        }
        if let Some(p) = period {
            w.and_bind("period_start = {}", p);
        }
        if let Some(k) = kind {
            w.and_bind("kind = {}", k.as_str());
        }
        w.push(" ORDER BY actual_start, seq LIMIT 1000");
        Ok(w.query_as().fetch_all(&self.pool).await?)
    }

    /// Delivered visits of an import as (provider, period, person, care worker code), for
    /// continuity of care.
    pub async fn ecm_worker_visits(&self, import_id: &str, provider: Option<&str>) -> Result<Vec<(String, String, String, String)>> {
        Ok(sqlx::query_as(
            "SELECT provider_id, period_start, person_ref, care_worker_ref FROM ecm_visits
             WHERE import_id = $1 AND ($2 = '' OR provider_id = $2) AND actual_start IS NOT NULL AND care_worker_ref IS NOT NULL",
        )
        .bind(import_id)
        .bind(provider.unwrap_or(""))
        .fetch_all(&self.pool)
        .await?)
    }

    /// A provider queries a visit of its own (portal): why, and the minutes it says were worked
    /// (blank: the planned minutes). One open query per visit.
    pub async fn raise_ecm_query(
        &self,
        actor: &Actor,
        provider_id: &str,
        import_id: &str,
        visit_id: i64,
        reason: &str,
        claimed_minutes: Option<i64>,
    ) -> Result<String> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::invalid("reason", "Enter why the visit should be paid differently"));
        }
        if reason.chars().count() > 1000 {
            return Err(StoreError::invalid("reason", "The reason must be 1,000 characters or fewer"));
        }
        if let Some(m) = claimed_minutes
            && !(0..=1440).contains(&m)
        {
            return Err(StoreError::invalid("claimed_minutes", "The minutes worked must be a whole number from 0 to 1,440"));
        }
        let visit = match self.ecm_visit(import_id, visit_id).await {
            Ok(v) if v.provider_id == provider_id => v,
            Ok(_) | Err(StoreError::NotFound(_)) => return Err(StoreError::invalid("visit_id", "Choose a visit of your own")),
            Err(e) => return Err(e),
        };
        let mut tx = self.begin_write().await?;
        let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ecm_queries WHERE import_id = $1 AND visit_id = $2 AND status = 'open'")
            .bind(import_id)
            .bind(visit_id)
            .fetch_one(&mut *tx)
            .await?;
        if open > 0 {
            return Err(StoreError::invalid("visit_id", format!("Visit {visit_id} already has an open query")));
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO ecm_queries (id, import_id, visit_id, provider_id, reason, claimed_minutes, status, raised_by, raised_by_label,
                raised_at) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9)",
        )
        .bind(&id)
        .bind(import_id)
        .bind(visit_id)
        .bind(provider_id)
        .bind(reason)
        .bind(claimed_minutes)
        .bind(actor.user_id.clone())
        .bind(&actor.label)
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        let summary = format!("{} queried visit {visit_id} (planned {})", visit.provider_name, visit.planned_start);
        let after = json!({"import_id": import_id, "visit_id": visit_id, "reason": reason, "claimed_minutes": claimed_minutes});
        record(&mut tx, actor, "create", "ecm_query", Some(&id), &summary, None, Some(&after)).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The officer decides an open query. Accepting pays the visit for `paid_minutes` (at its
    /// planned rate and carers, rounded as the rules round); rejecting leaves its pay. Both need
    /// a note; the visit's pay before and after is kept with the query and audited.
    pub async fn decide_ecm_query(
        &self,
        actor: &Actor,
        id: &str,
        accept: bool,
        paid_minutes: Option<i64>,
        note: &str,
    ) -> Result<EcmQueryRecord> {
        let note = note.trim();
        if note.is_empty() {
            return Err(StoreError::invalid("note", "Enter the reason for the decision: the provider reads it"));
        }
        let q = self.ecm_query(id).await?;
        if q.status != "open" {
            return Err(StoreError::invalid("decision", "This query was decided already"));
        }
        let visit = self.ecm_visit(&q.import_id, q.visit_id).await?;
        let after_minutes = if accept {
            match paid_minutes {
                Some(m) if (0..=1440).contains(&m) => m,
                Some(_) => return Err(StoreError::invalid("paid_minutes", "The minutes to pay must be a whole number from 0 to 1,440")),
                None => return Err(StoreError::invalid("paid_minutes", "Enter the minutes to pay the visit for")),
            }
        } else {
            visit.paid_minutes
        };
        let after_pence = if accept { pence(visit_pence(visit.rate_pence, after_minutes, visit.carers)) } else { visit.payable_pence };
        let mut tx = self.begin_write().await?;
        let now = now_timestamp();
        let changed = sqlx::query(
            "UPDATE ecm_queries SET status = $1, decided_by = $2, decided_by_label = $3, decided_at = $4, decision_note = $5,
                paid_minutes_before = $6, paid_minutes_after = $7, payable_before = $8, payable_after = $9 WHERE id = $10 AND status = 'open'",
        )
        .bind(if accept { "accepted" } else { "rejected" })
        .bind(actor.user_id.clone())
        .bind(&actor.label)
        .bind(&now)
        .bind(note)
        .bind(visit.paid_minutes)
        .bind(after_minutes)
        .bind(visit.payable_pence)
        .bind(after_pence)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed != 1 {
            return Err(StoreError::invalid("decision", "This query was decided already"));
        }
        if accept {
            sqlx::query("UPDATE ecm_visits SET paid_minutes = $1, payable_pence = $2 WHERE import_id = $3 AND visit_id = $4")
                .bind(after_minutes)
                .bind(after_pence)
                .bind(&q.import_id)
                .bind(q.visit_id)
                .execute(&mut *tx)
                .await?;
        }
        let summary = format!(
            "{} the query of visit {} by {}: paid {} minutes ({}) {}",
            if accept { "Accepted" } else { "Rejected" },
            q.visit_id,
            q.provider_name,
            after_minutes,
            money(after_pence),
            if accept { format!("instead of {} minutes ({})", visit.paid_minutes, money(visit.payable_pence)) } else { "as before".into() }
        );
        let before = json!({"status": "open", "paid_minutes": visit.paid_minutes, "payable_pence": visit.payable_pence});
        let after = json!({"status": if accept { "accepted" } else { "rejected" }, "paid_minutes": after_minutes, "payable_pence": after_pence, "note": note});
        record(&mut tx, actor, "update", "ecm_query", Some(id), &summary, Some(&before), Some(&after)).await?;
        tx.commit().await?;
        self.ecm_query(id).await
    }

    pub async fn ecm_query(&self, id: &str) -> Result<EcmQueryRecord> {
        let q: Option<EcmQueryRecord> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{QUERY_SELECT} WHERE q.id = $1"))).bind(id).fetch_optional(&self.pool).await?;
        q.ok_or_else(|| StoreError::NotFound(format!("query {id}")))
    }

    /// Queries, open first then newest; one provider's (`provider`), of one status (`status`).
    pub async fn ecm_queries(&self, provider: Option<&str>, status: Option<&str>) -> Result<Vec<EcmQueryRecord>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{QUERY_SELECT} WHERE ($1 = '' OR q.provider_id = $1) AND ($2 = '' OR q.status = $2)
             ORDER BY CASE WHEN q.status = 'open' THEN 0 ELSE 1 END, q.raised_at DESC LIMIT 500"
        )))
        .bind(provider.unwrap_or(""))
        .bind(status.unwrap_or(""))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Queries of one visit, newest first.
    pub async fn ecm_visit_queries(&self, import_id: &str, visit_id: i64) -> Result<Vec<EcmQueryRecord>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{QUERY_SELECT} WHERE q.import_id = $1 AND q.visit_id = $2 ORDER BY q.raised_at DESC"
        )))
        .bind(import_id)
        .bind(visit_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The payment schedule of an import: per provider and period, every visit paid on the
    /// basis of the provider's home care contract in force on the visit's day (the
    /// reconciliation's own rule, delivered time capped at planned, where none is recorded),
    /// from the visit's minutes after any accepted query.
    pub async fn ecm_payment_schedule(&self, import_id: &str, provider: Option<&str>) -> Result<Vec<ScheduleLine>> {
        let import = self.ecm_import(import_id).await?;
        let bases: Vec<_> = self.payment_bases().await?.into_iter().filter(|b| b.kind == ServiceKind::HomeCare).collect();
        let rows: Vec<ScheduleVisit> = sqlx::query_as(
            "SELECT v.provider_id, p.name AS provider_name, p.cqc_provider_id, v.period_start, v.planned_start, v.planned_minutes, v.carers, v.rate_pence,
                    v.actual_start, v.actual_minutes,
                    (SELECT MAX(q.paid_minutes_after) FROM ecm_queries q
                      WHERE q.import_id = v.import_id AND q.visit_id = v.visit_id AND q.status = 'accepted') AS accepted_minutes
             FROM ecm_visits v JOIN providers p ON p.id = v.provider_id
             WHERE v.import_id = $1 AND ($2 = '' OR v.provider_id = $2) ORDER BY p.name, v.provider_id, v.period_start",
        )
        .bind(import_id)
        .bind(provider.unwrap_or(""))
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<ScheduleLine> = Vec::new();
        for r in rows {
            let ScheduleVisit {
                provider_id: pid,
                provider_name: name,
                cqc_provider_id: cqc,
                period_start: period,
                planned_start,
                planned_minutes: planned,
                carers,
                rate_pence: rate,
                actual_start,
                actual_minutes: actual,
                accepted_minutes: accepted,
            } = r;
            let day: Option<Date> = planned_start.get(..10).and_then(|d| d.parse().ok());
            let basis =
                day.and_then(|d| bases.iter().filter(|b| b.provider_id == pid && b.effective_from <= d).max_by_key(|b| b.effective_from));
            let (b, recorded) = match basis {
                Some(b) => (b.basis, true),
                None => (RULES_BASIS, false),
            };
            // A query accepted for a visit sets the minutes it was worked; the basis then pays
            // those as delivered time (a missed visit accepted as made is paid too).
            let delivered = accepted.or(actual_start.map(|_| actual));
            let amount = b.visit_pence(rate, planned, delivered, carers);
            let minutes = b.paid_minutes(planned, delivered) * carers;
            let end = period.parse::<Date>().ok().and_then(|d| d.checked_add(jiff::Span::new().days(import.period_days - 1)).ok());
            let text = basis_text(&b);
            match out.last_mut() {
                Some(l) if l.provider_id == pid && l.period_start == period && l.basis == text => {
                    l.visits_paid += i64::from(amount > 0);
                    l.carer_minutes_paid += minutes;
                    l.amount_pence += amount;
                }
                _ => out.push(ScheduleLine {
                    provider_id: pid,
                    provider_name: name,
                    cqc_provider_id: cqc.unwrap_or_default(),
                    period_end: end.map(|d| d.to_string()).unwrap_or_default(),
                    period_start: period,
                    visits_paid: i64::from(amount > 0),
                    carer_minutes_paid: minutes,
                    amount_pence: amount,
                    basis: text,
                    basis_recorded: recorded,
                }),
            }
        }
        Ok(out)
    }
}
