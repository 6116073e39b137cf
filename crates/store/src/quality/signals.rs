//! Signals logged against a service (`000`, `002`, `004`): complaints, safeguarding concerns,
//! notifiable incidents, early indicators of concern, whistleblowing, and CQC rating changes
//! (logged automatically when a rating changes; see [`log_rating_change`]).

use crate::audit::{Actor, record};
use crate::register::{RatingRecord, RecordedChange};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::quality::SignalKind;
use caremarket_core::quality::signals::return_months;
use caremarket_core::register::RatingChange;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

pub use caremarket_core::quality::signals::{MAX_SUMMARY, NewSignal, RECEIVED_BY, month_of};

#[derive(Debug, Clone, Serialize)]
pub struct Signal {
    pub id: String,
    pub service_id: String,
    pub service_name: String,
    pub provider_id: String,
    pub provider_name: String,
    pub kind: SignalKind,
    pub kind_label: &'static str,
    pub occurred_on: String,
    pub summary: String,
    pub received_by: Option<String>,
    pub outcome: Option<String>,
    pub resolved_in_house: Option<bool>,
    pub rating_from: Option<String>,
    pub rating_to: Option<String>,
    pub source: String,
    pub recorded_by: String,
}

#[derive(Debug, Clone, Default)]
pub struct SignalFilter {
    pub kind: Option<SignalKind>,
    pub service_id: Option<String>,
    pub provider_id: Option<String>,
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub limit: Option<i64>,
}

/// How many signals of one kind.
#[derive(Debug, Clone, Serialize)]
pub struct KindCount {
    pub kind: SignalKind,
    pub label: &'static str,
    pub count: i64,
}

/// `000`'s complaints line ("44 complaints, 3 via the council, 41 resolved in house") from
/// records for a period. Complaints logged by officers and complaints providers report in
/// monthly returns are kept apart, never added together: a complaint made to the council is
/// logged here and (if the provider heard of it) also counted in the provider's return.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ComplaintsSummary {
    pub logged: i64,
    pub logged_via_council: i64,
    pub logged_via_provider: i64,
    pub logged_resolved_in_house: i64,
    pub logged_not_resolved_in_house: i64,
    pub returned: i64,
    pub returned_via_council: i64,
    pub returned_resolved_in_house: i64,
    /// Services with a monthly return in the period, and the returns counted.
    pub returns_services: i64,
    pub returns_count: i64,
}

/// A signal row as stored, with its service.
#[derive(sqlx::FromRow)]
struct SignalRow {
    id: String,
    service_id: String,
    service_name: String,
    provider_id: String,
    provider_name: String,
    kind: String,
    occurred_on: String,
    summary: String,
    received_by: Option<String>,
    outcome: Option<String>,
    resolved_in_house: Option<i64>,
    rating_from: Option<String>,
    rating_to: Option<String>,
    source: String,
    recorded_by: String,
}

impl TryFrom<SignalRow> for Signal {
    type Error = StoreError;
    fn try_from(r: SignalRow) -> Result<Signal> {
        let kind: SignalKind = StoreError::decode("quality_signals", "kind", &r.kind)?;
        Ok(Signal {
            kind,
            kind_label: kind.label(),
            resolved_in_house: r.resolved_in_house.map(|v| v != 0),
            id: r.id,
            service_id: r.service_id,
            service_name: r.service_name,
            provider_id: r.provider_id,
            provider_name: r.provider_name,
            occurred_on: r.occurred_on,
            summary: r.summary,
            received_by: r.received_by,
            outcome: r.outcome,
            rating_from: r.rating_from,
            rating_to: r.rating_to,
            source: r.source,
            recorded_by: r.recorded_by,
        })
    }
}

impl Store {
    /// Log a signal against a service. `today` is the council's today (no future dates).
    pub async fn record_signal(&self, actor: &Actor, s: &NewSignal, today: Date) -> Result<String> {
        let c = s.check(today)?;
        let service = self.service(&c.service_id).await.map_err(|e| match e {
            StoreError::NotFound(_) => StoreError::invalid("service_id", "Choose a service from the register"),
            other => other,
        })?;
        let (kind, on, received_by, resolved, outcome) = (c.kind, c.occurred_on, c.received_by, c.resolved_in_house, c.outcome);
        let id = new_id();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO quality_signals (id, service_id, kind, occurred_on, summary, received_by, outcome, resolved_in_house, source, recorded_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'officer', $9, $10)",
        )
        .bind(&id)
        .bind(&service.id)
        .bind(kind.as_str())
        .bind(on.to_string())
        .bind(&c.summary)
        .bind(received_by.clone())
        .bind(outcome.clone())
        .bind(resolved.map(i64::from))
        .bind(&actor.label)
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            actor,
            "create",
            "quality_signal",
            Some(&id),
            &format!("{} logged for {} ({on})", kind.label(), service.name),
            None,
            Some(&json!({
                "service_id": service.id, "kind": kind.as_str(), "occurred_on": on.to_string(), "summary": c.summary,
                "received_by": received_by, "outcome": outcome, "resolved_in_house": resolved,
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Signals matching the filter, newest first.
    pub async fn signals(&self, f: &SignalFilter) -> Result<Vec<Signal>> {
        let rows: Vec<SignalRow> = sqlx::query_as(
            "SELECT g.id, g.service_id, s.name AS service_name, s.provider_id, p.name AS provider_name, g.kind, g.occurred_on,
                    g.summary, g.received_by, g.outcome, g.resolved_in_house, g.rating_from, g.rating_to, g.source,
                    COALESCE(u.display_name, g.recorded_by) AS recorded_by
             FROM quality_signals g JOIN services s ON s.id = g.service_id JOIN providers p ON p.id = s.provider_id
             LEFT JOIN users u ON u.email = g.recorded_by
             WHERE ($1 = '' OR g.kind = $1) AND ($2 = '' OR g.service_id = $2) AND ($3 = '' OR s.provider_id = $3)
               AND ($4 = '' OR g.occurred_on >= $4) AND ($5 = '' OR g.occurred_on <= $5)
             ORDER BY g.occurred_on DESC, g.created_at DESC LIMIT $6",
        )
        .bind(f.kind.map(|k| k.as_str()).unwrap_or(""))
        .bind(f.service_id.clone().unwrap_or_default())
        .bind(f.provider_id.clone().unwrap_or_default())
        .bind(f.from.map(|d| d.to_string()).unwrap_or_default())
        .bind(f.to.map(|d| d.to_string()).unwrap_or_default())
        .bind(f.limit.unwrap_or(500).clamp(1, 100_000))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Signal::try_from).collect()
    }

    /// Signals of each kind for one service (or every service) between two dates inclusive;
    /// every kind is listed, with 0 where there were none.
    pub async fn signal_counts(&self, service_id: Option<&str>, from: Date, to: Date) -> Result<Vec<KindCount>> {
        let rows = sqlx::query(
            "SELECT kind, CAST(COUNT(*) AS BIGINT) AS n FROM quality_signals
             WHERE ($1 = '' OR service_id = $1) AND occurred_on >= $2 AND occurred_on <= $3 GROUP BY kind",
        )
        .bind(service_id.unwrap_or(""))
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(&self.pool)
        .await?;
        let mut counts = Vec::new();
        for k in SignalKind::ALL {
            let mut n = 0;
            for r in &rows {
                let kind: String = r.try_get("kind")?;
                if kind == k.as_str() {
                    n = r.try_get("n")?;
                }
            }
            counts.push(KindCount { kind: *k, label: k.label(), count: n });
        }
        Ok(counts)
    }

    /// The complaints line for a period, for one service or all (see [`ComplaintsSummary`]).
    /// Monthly returns count when their whole month starts within the period.
    pub async fn complaints_summary(&self, service_id: Option<&str>, from: Date, to: Date) -> Result<ComplaintsSummary> {
        let logged = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n,
                    CAST(COALESCE(SUM(CASE WHEN received_by = $4 THEN 1 ELSE 0 END), 0) AS BIGINT) AS council,
                    CAST(COALESCE(SUM(CASE WHEN received_by = $5 THEN 1 ELSE 0 END), 0) AS BIGINT) AS provider,
                    CAST(COALESCE(SUM(CASE WHEN resolved_in_house = 1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS resolved,
                    CAST(COALESCE(SUM(CASE WHEN resolved_in_house = 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS unresolved
             FROM quality_signals WHERE kind = $6 AND ($1 = '' OR service_id = $1) AND occurred_on >= $2 AND occurred_on <= $3",
        )
        .bind(service_id.unwrap_or(""))
        .bind(from.to_string())
        .bind(to.to_string())
        .bind("council")
        .bind("provider")
        .bind(SignalKind::Complaint.as_str())
        .fetch_one(&self.pool)
        .await?;
        let returned = sqlx::query(
            "SELECT CAST(COALESCE(SUM(complaints), 0) AS BIGINT) AS n,
                    CAST(COALESCE(SUM(complaints_via_council), 0) AS BIGINT) AS council,
                    CAST(COALESCE(SUM(complaints_resolved_in_house), 0) AS BIGINT) AS resolved,
                    CAST(COUNT(DISTINCT service_id) AS BIGINT) AS services,
                    CAST(COUNT(*) AS BIGINT) AS returns
             FROM monthly_returns WHERE ($1 = '' OR service_id = $1) AND month >= $2 AND month <= $3",
        )
        .bind(service_id.unwrap_or(""))
        .bind(return_months(from, to).0)
        .bind(return_months(from, to).1)
        .fetch_one(&self.pool)
        .await?;
        Ok(ComplaintsSummary {
            logged: logged.try_get("n")?,
            logged_via_council: logged.try_get("council")?,
            logged_via_provider: logged.try_get("provider")?,
            logged_resolved_in_house: logged.try_get("resolved")?,
            logged_not_resolved_in_house: logged.try_get("unresolved")?,
            returned: returned.try_get("n")?,
            returned_via_council: returned.try_get("council")?,
            returned_resolved_in_house: returned.try_get("resolved")?,
            returns_services: returned.try_get("services")?,
            returns_count: returned.try_get("returns")?,
        })
    }
}

impl Store {
    /// Append a rating to a service's history and make it current if it is the newest; a change
    /// of overall rating (the register returns it) is logged as a signal in the same transaction.
    /// Here, not in the register: the register knows nothing of quality.
    pub async fn add_rating(&self, actor: &Actor, service_id: &str, r: &RatingRecord, source: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        if let Some(c) = crate::register::add_rating_tx(&mut tx, service_id, r, source, None).await? {
            // A change of the overall rating is a quality signal (issue 3).
            log_rating_change(&mut tx, service_id, c, source, None).await?;
        }
        record(
            &mut tx,
            actor,
            "create",
            "rating",
            Some(service_id),
            &format!("Recorded rating {:?} ({source})", r.overall.map(|r| r.label())),
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Log a change of CQC rating as a signal, inside the transaction that records the rating. The
/// register decides what is a change (core's `RatingChange`: from one grade to a different grade,
/// "Inspected but not rated" in between skipped over) and hands it here. `source` is the rating's
/// source ("cqc" from an import becomes "cqc_import"; anything else is "officer"), `source_id`
/// the import's id where there is one.
pub(crate) async fn log_rating_change(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    service_id: &str,
    recorded: RecordedChange,
    source: &str,
    source_id: Option<&str>,
) -> Result<()> {
    let RatingChange { from, to } = recorded.change;
    let direction = recorded.change.direction().as_str();
    let occurred_on = recorded.report_date.map(|d| d.to_string());
    let on = occurred_on.unwrap_or_else(|| crate::today().to_string());
    let summary = format!("CQC overall rating {direction} from {} to {}", from.label(), to.label());
    let src = if source == "cqc" { "cqc_import" } else { "officer" };
    let id = new_id();
    sqlx::query(
        "INSERT INTO quality_signals (id, service_id, kind, occurred_on, summary, rating_from, rating_to, source, source_id, recorded_by, created_at)
         VALUES ($1, $2, 'rating_change', $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&id)
    .bind(service_id)
    .bind(&on)
    .bind(&summary)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(src)
    .bind(source_id.map(str::to_string))
    .bind(if src == "cqc_import" { "CQC import" } else { "Rating recorded" })
    .bind(now_timestamp())
    .execute(&mut **tx)
    .await?;
    record(
        tx,
        &Actor::system(if src == "cqc_import" { "CQC import" } else { "Rating recorded" }),
        "create",
        "quality_signal",
        Some(&id),
        &summary,
        None,
        Some(&json!({"service_id": service_id, "kind": "rating_change", "occurred_on": on, "rating_from": from.as_str(), "rating_to": to.as_str(), "source": src, "source_id": source_id})),
    )
    .await
}
