//! The early-warning score's inputs, gathered from the records as they stood on a date, and the
//! watch list. The score itself (points, caps, bands) is `caremarket_core::quality::score`;
//! `docs/early-warning.md` says where each input comes from.

use crate::{Result, Store, StoreError};
use caremarket_core::Date;
use caremarket_core::quality::score::{Band, RatedReport, Score, ScoreFacts, ScoreInputs, return_in_window, score, signal_window};
use caremarket_core::quality::signals::month_of;
use caremarket_core::quality::{ActionStatus, EscalationLevel, Rag, SignalKind};
use caremarket_core::register::{Rating, ServiceKind};
use serde::Serialize;
use sqlx::Row;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct WatchFilter {
    pub kind: Option<ServiceKind>,
    /// Only services in this band or worse.
    pub min_band: Option<Band>,
}

/// A service's score as at a date, with what it was computed from.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub service_id: String,
    pub service_name: String,
    pub provider_id: String,
    pub provider_name: String,
    pub kind: ServiceKind,
    pub kind_label: &'static str,
    pub on: String,
    pub inputs: ScoreInputs,
    /// Complaints logged by officers and complaints in monthly returns in the window: the score
    /// uses the larger (see `docs/early-warning.md`).
    pub complaints_logged: i64,
    pub complaints_returned: i64,
    pub score: Score,
}

/// One row of the watch list.
#[derive(Debug, Clone, Serialize)]
pub struct WatchEntry {
    pub rank: usize,
    pub service_id: String,
    pub service_name: String,
    pub provider_id: String,
    pub provider_name: String,
    pub kind: ServiceKind,
    pub kind_label: &'static str,
    pub total: i64,
    pub band: Band,
    pub band_label: &'static str,
    /// The reasons of the (up to) three factors adding most points.
    pub top_factors: Vec<String>,
}

/// A service as the score loads it.
#[derive(sqlx::FromRow)]
struct ScoredServiceRow {
    id: String,
    name: String,
    provider_id: String,
    provider_name: String,
    kind: String,
    beds: Option<i64>,
    rating_overall: Option<String>,
    rating_safe: Option<String>,
    rating_well_led: Option<String>,
    rating_date: Option<String>,
}

/// A stored rating column: a grade CQC uses, or none.
fn rating(table: &'static str, column: &'static str, v: Option<String>) -> Result<Option<Rating>> {
    v.filter(|v| !v.trim().is_empty()).map(|v| crate::quality::decode_as(table, column, &v, Rating::parse)).transpose()
}

impl Store {
    /// The council's low-occupancy threshold (issue 4's capacity settings), when it set one.
    async fn low_occupancy_setting(&self) -> Result<Option<i64>> {
        Ok(self
            .setting("capacity_thresholds")
            .await?
            .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
            .and_then(|v| v.get("low_occupancy_percent").and_then(|p| p.as_i64())))
    }

    /// Scores of every in-area registered service (or one service) as the records stood on `on`:
    /// the facts are loaded here, and core's `ScoreFacts::inputs` and `score` decide the rest.
    async fn explanations(&self, on: Date, only: Option<&str>) -> Result<Vec<Explanation>> {
        let sid = only.unwrap_or("");
        let on_s = on.to_string();
        let low = self.low_occupancy_setting().await?;
        let services: Vec<ScoredServiceRow> = sqlx::query_as(
            "SELECT s.id, s.name, s.provider_id, p.name AS provider_name, s.kind, s.beds, s.rating_overall, s.rating_safe,
                    s.rating_well_led, s.rating_date
             FROM services s JOIN providers p ON p.id = s.provider_id
             WHERE ($1 = '' AND s.in_area = 1 AND s.registration_status <> 'deregistered') OR s.id = $1
             ORDER BY s.name, s.id",
        )
        .bind(sid)
        .fetch_all(&self.pool)
        .await?;

        let mut reports: BTreeMap<String, Vec<RatedReport>> = BTreeMap::new();
        for r in sqlx::query(
            "SELECT service_id, report_date, overall, safe, well_led FROM rating_history
             WHERE ($1 = '' OR service_id = $1) AND report_date IS NOT NULL AND report_date <= $2",
        )
        .bind(sid)
        .bind(&on_s)
        .fetch_all(&self.pool)
        .await?
        {
            let t = "rating_history";
            reports.entry(r.try_get("service_id")?).or_default().push(RatedReport {
                report_date: StoreError::decode(t, "report_date", &r.try_get::<String, _>("report_date")?)?,
                overall: rating(t, "overall", r.try_get("overall")?)?,
                safe: rating(t, "safe", r.try_get("safe")?)?,
                well_led: rating(t, "well_led", r.try_get("well_led")?)?,
            });
        }

        // Latest RAG and escalation set on or before the date (ties: the later entry).
        let latest = |table: &str, col: &str| {
            format!(
                "SELECT service_id, {col} AS v FROM {table} WHERE ($1 = '' OR service_id = $1) AND set_on <= $2 ORDER BY set_on, created_at"
            )
        };
        let mut rag: BTreeMap<String, Rag> = BTreeMap::new();
        for r in sqlx::query(sqlx::AssertSqlSafe(latest("quality_rag", "rag"))).bind(sid).bind(&on_s).fetch_all(&self.pool).await? {
            rag.insert(r.try_get("service_id")?, StoreError::decode("quality_rag", "rag", &r.try_get::<String, _>("v")?)?);
        }
        let mut esc: BTreeMap<String, EscalationLevel> = BTreeMap::new();
        for r in
            sqlx::query(sqlx::AssertSqlSafe(latest("quality_escalations", "level"))).bind(sid).bind(&on_s).fetch_all(&self.pool).await?
        {
            esc.insert(r.try_get("service_id")?, StoreError::decode("quality_escalations", "level", &r.try_get::<String, _>("v")?)?);
        }

        let mut overdue: BTreeMap<String, i64> = BTreeMap::new();
        for r in sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT service_id, CAST(COUNT(*) AS BIGINT) AS n FROM quality_actions
             WHERE ($1 = '' OR service_id = $1) AND status NOT IN {closed} AND due_on < $2 AND SUBSTR(created_at, 1, 10) <= $2
             GROUP BY service_id",
            closed = ActionStatus::sql_list(ActionStatus::closed())
        )))
        .bind(sid)
        .bind(&on_s)
        .fetch_all(&self.pool)
        .await?
        {
            overdue.insert(r.try_get("service_id")?, r.try_get("n")?);
        }

        let (after, until) = signal_window(on);
        let mut signals: BTreeMap<String, Vec<(SignalKind, i64)>> = BTreeMap::new();
        for r in sqlx::query(
            "SELECT service_id, kind, CAST(COUNT(*) AS BIGINT) AS n FROM quality_signals
             WHERE ($1 = '' OR service_id = $1) AND occurred_on > $2 AND occurred_on <= $3 GROUP BY service_id, kind",
        )
        .bind(sid)
        .bind(after.to_string())
        .bind(until.to_string())
        .fetch_all(&self.pool)
        .await?
        {
            let kind = StoreError::decode("quality_signals", "kind", &r.try_get::<String, _>("kind")?)?;
            signals.entry(r.try_get("service_id")?).or_default().push((kind, r.try_get("n")?));
        }

        // Monthly returns up to this month, oldest first: complaints of those in the window, and
        // the latest return's staffing.
        let mut returned: BTreeMap<String, i64> = BTreeMap::new();
        let mut staffing: BTreeMap<String, (Option<i64>, Option<i64>)> = BTreeMap::new();
        for r in sqlx::query(
            "SELECT service_id, month, complaints, staff_in_post, staff_vacancies FROM monthly_returns
             WHERE ($1 = '' OR service_id = $1) AND month <= $2 ORDER BY month",
        )
        .bind(sid)
        .bind(month_of(on))
        .fetch_all(&self.pool)
        .await?
        {
            let service_id: String = r.try_get("service_id")?;
            if return_in_window(&r.try_get::<String, _>("month")?, on) {
                *returned.entry(service_id.clone()).or_default() += r.try_get::<i64, _>("complaints")?;
            }
            staffing.insert(service_id, (r.try_get("staff_in_post")?, r.try_get("staff_vacancies")?));
        }

        let mut occupancy: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for h in self.latest_vacancy_returns(on).await? {
            occupancy.insert(h.service_id.clone(), (h.occupied(), h.vacant()));
        }
        let mut people: BTreeMap<String, i64> = BTreeMap::new();
        for r in sqlx::query(
            "SELECT service_id, people FROM activity_returns WHERE ($1 = '' OR service_id = $1) AND week_of <= $2 ORDER BY week_of",
        )
        .bind(sid)
        .bind(&on_s)
        .fetch_all(&self.pool)
        .await?
        {
            people.insert(r.try_get("service_id")?, r.try_get("people")?);
        }

        let mut out = Vec::with_capacity(services.len());
        for s in services {
            let id = s.id;
            let kind: ServiceKind = crate::quality::decode_as("services", "kind", &s.kind, ServiceKind::parse)?;
            let register_rating = match s.rating_date {
                Some(d) => Some(RatedReport {
                    report_date: StoreError::decode("services", "rating_date", &d)?,
                    overall: rating("services", "rating_overall", s.rating_overall)?,
                    safe: rating("services", "rating_safe", s.rating_safe)?,
                    well_led: rating("services", "rating_well_led", s.rating_well_led)?,
                }),
                None => None,
            };
            let facts = ScoreFacts {
                kind,
                beds: s.beds,
                people_supported: people.get(&id).copied(),
                occupancy: occupancy.get(&id).copied(),
                reports: reports.remove(&id).unwrap_or_default(),
                register_rating,
                rag: rag.get(&id).copied(),
                escalation: esc.get(&id).copied(),
                open_overdue_actions: overdue.get(&id).copied().unwrap_or(0),
                signals: signals.remove(&id).unwrap_or_default(),
                complaints_returned: returned.get(&id).copied().unwrap_or(0),
                staffing: staffing.get(&id).copied(),
                low_occupancy_setting: low,
            };
            let inputs = facts.inputs(on);
            let score = score(&inputs);
            out.push(Explanation {
                service_id: id,
                service_name: s.name,
                provider_id: s.provider_id,
                provider_name: s.provider_name,
                kind,
                kind_label: kind.label(),
                on: on_s.clone(),
                inputs,
                complaints_logged: facts.complaints_logged(),
                complaints_returned: facts.complaints_returned,
                score,
            });
        }
        Ok(out)
    }

    /// One service's early-warning score as at `on`, with every factor.
    pub async fn early_warning(&self, service_id: &str, on: Date) -> Result<Explanation> {
        self.explanations(on, Some(service_id))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::NotFound(format!("service {service_id}")))
    }

    /// In-area registered services ranked by score (highest first, then by name), at most
    /// `limit`, as at `on`.
    pub async fn watch_list(&self, on: Date, filter: &WatchFilter, limit: usize) -> Result<Vec<WatchEntry>> {
        let mut all: Vec<Explanation> = self
            .explanations(on, None)
            .await?
            .into_iter()
            .filter(|e| filter.kind.is_none_or(|k| e.kind == k))
            .filter(|e| filter.min_band.is_none_or(|b| e.score.band >= b))
            .collect();
        all.sort_by(|a, b| {
            b.score
                .total
                .cmp(&a.score.total)
                .then_with(|| a.service_name.cmp(&b.service_name))
                .then_with(|| a.service_id.cmp(&b.service_id))
        });
        Ok(all
            .into_iter()
            .take(limit)
            .enumerate()
            .map(|(i, e)| WatchEntry {
                rank: i + 1,
                top_factors: e.score.top(3).iter().map(|f| f.reason.clone()).collect(),
                total: e.score.total,
                band: e.score.band,
                band_label: e.score.band.label(),
                service_id: e.service_id,
                service_name: e.service_name,
                provider_id: e.provider_id,
                provider_name: e.provider_name,
                kind: e.kind,
                kind_label: e.kind_label,
            })
            .collect())
    }
}
