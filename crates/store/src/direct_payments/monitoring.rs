//! Monitoring of direct payments (check-ins, reviews, financial monitoring) and the reclaims
//! financial monitoring makes.

use super::{date, date_opt};
use crate::audit::{Actor, record};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::direct_payments::monitoring::{
    self, DpTerms, DueRow, MonitoringKind, NewMonitoring, OpenDp, ReclaimTotals, check_returned,
};
use serde::Serialize;
use serde_json::json;
use sqlx::AssertSqlSafe;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct MonitoringRecord {
    pub id: String,
    pub dp_id: String,
    pub kind: MonitoringKind,
    pub completed_on: Date,
    pub period_start: Option<Date>,
    pub period_end: Option<Date>,
    pub balance_pence: Option<i64>,
    pub contingency_weeks: Option<i64>,
    pub allowed_contingency_pence: Option<i64>,
    pub surplus_pence: Option<i64>,
    pub requested_pence: Option<i64>,
    pub returned_pence: Option<i64>,
    pub returned_on: Option<Date>,
    pub notes: Option<String>,
    pub officer_label: String,
    /// A reclaim's approval: `approved`, or `awaiting` a second approver (money limits).
    pub approval: String,
    pub approved_by_label: Option<String>,
}

const TABLE: &str = "dp_monitoring";

const MON_COLS: &str =
    "id, dp_id, kind, completed_on, period_start, period_end, balance_pence, contingency_weeks, allowed_contingency_pence,
    surplus_pence, requested_pence, returned_pence, returned_on, notes,
    COALESCE((SELECT display_name FROM users WHERE email = officer_label), officer_label) AS officer_label, approval,
    COALESCE((SELECT display_name FROM users WHERE id = approved_by), approved_by_label) AS approved_by_label";

#[derive(sqlx::FromRow)]
struct MonitoringRow {
    id: String,
    dp_id: String,
    kind: String,
    completed_on: String,
    period_start: Option<String>,
    period_end: Option<String>,
    balance_pence: Option<i64>,
    contingency_weeks: Option<i64>,
    allowed_contingency_pence: Option<i64>,
    surplus_pence: Option<i64>,
    requested_pence: Option<i64>,
    returned_pence: Option<i64>,
    returned_on: Option<String>,
    notes: Option<String>,
    officer_label: String,
    approval: String,
    approved_by_label: Option<String>,
}

impl TryFrom<MonitoringRow> for MonitoringRecord {
    type Error = StoreError;
    fn try_from(r: MonitoringRow) -> Result<MonitoringRecord> {
        Ok(MonitoringRecord {
            kind: StoreError::decode(TABLE, "kind", &r.kind)?,
            completed_on: date(TABLE, "completed_on", &r.completed_on)?,
            period_start: date_opt(TABLE, "period_start", r.period_start.as_deref())?,
            period_end: date_opt(TABLE, "period_end", r.period_end.as_deref())?,
            returned_on: date_opt(TABLE, "returned_on", r.returned_on.as_deref())?,
            id: r.id,
            dp_id: r.dp_id,
            balance_pence: r.balance_pence,
            contingency_weeks: r.contingency_weeks,
            allowed_contingency_pence: r.allowed_contingency_pence,
            surplus_pence: r.surplus_pence,
            requested_pence: r.requested_pence,
            returned_pence: r.returned_pence,
            notes: r.notes,
            officer_label: r.officer_label,
            approval: r.approval,
            approved_by_label: r.approved_by_label,
        })
    }
}

fn records(rows: Vec<MonitoringRow>) -> Result<Vec<MonitoringRecord>> {
    rows.into_iter().map(MonitoringRecord::try_from).collect()
}

#[derive(sqlx::FromRow)]
struct LastRow {
    dp_id: String,
    kind: String,
    last: Option<String>,
}

#[derive(sqlx::FromRow)]
struct TotalsRow {
    req: i64,
    ret: i64,
}

impl Store {
    /// A DP's terms as monitoring checks them: its budget, and what was already asked back of it.
    pub async fn dp_terms(&self, dp_id: &str) -> Result<DpTerms> {
        let d = self.direct_payment(dp_id).await?;
        Ok(DpTerms {
            start: d.start_date,
            end: d.end_date,
            budget_pence: d.budget_pence,
            budget_period: d.budget_period,
            already_requested_pence: self.dp_requested_so_far(dp_id, None).await?,
        })
    }

    /// Record a check-in, review or financial monitoring period (core's `NewMonitoring::decide`
    /// works out the surplus and bounds the reclaim by the surplus and by what was paid in). A
    /// reclaim above the recorder's approval limit waits for a second approver.
    pub async fn record_monitoring(&self, actor: &Actor, dp_id: &str, m: &NewMonitoring) -> Result<String> {
        let terms = self.dp_terms(dp_id).await?;
        let m = m.decide(&terms, &self.dp_policy().await?, crate::today())?;
        let limit = self.approval_limits(actor.user_id.as_deref()).await?.reclaim_pence;
        let approval = if m.requested_pence.unwrap_or(0) > limit { "awaiting" } else { "approved" };
        let s = m.surplus.as_ref();
        let (bal, surplus) = (s.map(|s| s.balance_pence), s.map(|s| s.surplus_pence));
        let id = new_id();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO dp_monitoring (id, dp_id, kind, completed_on, period_start, period_end, balance_pence, contingency_weeks, allowed_contingency_pence,
                surplus_pence, requested_pence, notes, officer_label, created_at, recorded_by, approval)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(&id)
        .bind(dp_id)
        .bind(m.kind.as_str())
        .bind(m.completed_on.to_string())
        .bind(m.period.map(|p| p.0.to_string()))
        .bind(m.period.map(|p| p.1.to_string()))
        .bind(bal)
        .bind(s.map(|s| s.contingency_weeks))
        .bind(s.map(|s| s.allowed_contingency_pence))
        .bind(surplus)
        .bind(m.requested_pence)
        .bind(m.notes.clone())
        .bind(&actor.label)
        .bind(now_timestamp())
        .bind(&actor.user_id)
        .bind(approval)
        .execute(&mut *tx)
        .await?;
        let after = json!({"dp_id": dp_id, "kind": m.kind, "completed_on": m.completed_on.to_string(), "balance_pence": bal,
            "surplus_pence": surplus, "requested_pence": m.requested_pence, "approval": approval});
        record(&mut tx, actor, "create", "dp_monitoring", Some(&id), &format!("Recorded DP monitoring ({})", m.kind), None, Some(&after))
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn monitoring_record(&self, id: &str) -> Result<MonitoringRecord> {
        let row: MonitoringRow = sqlx::query_as(AssertSqlSafe(format!("SELECT {MON_COLS} FROM dp_monitoring WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("monitoring {id}")))?;
        row.try_into()
    }

    /// Record what came back of a reclaim.
    pub async fn record_returned(&self, actor: &Actor, monitoring_id: &str, returned: i64, on: Date) -> Result<()> {
        let m = self.monitoring_record(monitoring_id).await?;
        if m.approval == "awaiting" {
            return Err(StoreError::invalid(
                "returned",
                "This reclaim is waiting for a second approver: money returned can be recorded once it is approved",
            ));
        }
        check_returned(m.surplus_pence, m.requested_pence, returned, on, crate::today())?;
        let mut tx = self.begin_write().await?;
        // Recorded once (the page offers it only while nothing is recorded): a second officer's
        // entry, from a page opened before the first, is refused rather than replacing it.
        let done = sqlx::query("UPDATE dp_monitoring SET returned_pence = $1, returned_on = $2 WHERE id = $3 AND returned_pence IS NULL")
            .bind(returned)
            .bind(on.to_string())
            .bind(monitoring_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::invalid(
                "returned",
                "Someone else has already recorded the money returned from this reclaim: reload the page to see it",
            ));
        }
        record(
            &mut tx,
            actor,
            "update",
            "dp_monitoring",
            Some(monitoring_id),
            "Recorded money returned from a reclaim",
            Some(&json!({"returned_pence": m.returned_pence})),
            Some(&json!({"returned_pence": returned, "returned_on": on.to_string()})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn monitoring_for(&self, dp_id: &str) -> Result<Vec<MonitoringRecord>> {
        let rows: Vec<MonitoringRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {MON_COLS} FROM dp_monitoring WHERE dp_id = $1 ORDER BY completed_on DESC, id")))
                .bind(dp_id)
                .fetch_all(&self.pool)
                .await?;
        records(rows)
    }

    /// Everything due (and overdue) for open DPs within `horizon_days` of `today`, by officer then date.
    pub async fn monitoring_due(&self, today: Date, horizon_days: i64) -> Result<Vec<DueRow>> {
        let policy = self.dp_policy().await?;
        let open: Vec<OpenDp> = self
            .open_direct_payments()
            .await?
            .into_iter()
            .map(|d| OpenDp {
                dp_id: d.id,
                person_ref: d.person_ref,
                officer_id: d.officer_id,
                officer_name: d.officer_name,
                start: d.start_date,
                end: d.end_date,
            })
            .collect();
        let rows: Vec<LastRow> = sqlx::query_as("SELECT dp_id, kind, MAX(completed_on) AS last FROM dp_monitoring GROUP BY dp_id, kind")
            .fetch_all(&self.pool)
            .await?;
        let mut last: BTreeMap<(String, MonitoringKind), Date> = BTreeMap::new();
        for r in rows {
            if let Some(d) = date_opt(TABLE, "completed_on", r.last.as_deref())? {
                last.insert((r.dp_id, StoreError::decode(TABLE, "kind", &r.kind)?), d);
            }
        }
        let horizon = today.checked_add(jiff::Span::new().days(horizon_days)).unwrap_or(today);
        Ok(monitoring::due_list(&policy, &open, &last, today, horizon))
    }

    /// Reclaims from financial monitoring completed on or after `since` (all when `None`):
    /// totals and the records, newest first.
    pub async fn reclaims(&self, since: Option<Date>) -> Result<(ReclaimTotals, Vec<MonitoringRecord>)> {
        let since = since.map(|d| d.to_string()).unwrap_or_else(|| "0000-01-01".into());
        let t: TotalsRow = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(requested_pence), 0) AS BIGINT) AS req, CAST(COALESCE(SUM(returned_pence), 0) AS BIGINT) AS ret
             FROM dp_monitoring WHERE kind = 'financial' AND approval = 'approved' AND completed_on >= $1",
        )
        .bind(&since)
        .fetch_one(&self.pool)
        .await?;
        let rows: Vec<MonitoringRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {MON_COLS} FROM dp_monitoring WHERE kind = 'financial' AND completed_on >= $1 AND COALESCE(requested_pence, 0) > 0 ORDER BY completed_on DESC, id LIMIT 500"
        )))
        .bind(&since)
        .fetch_all(&self.pool)
        .await?;
        Ok((ReclaimTotals::new(t.req, t.ret), records(rows)?))
    }
}
