//! The early-warning score's inputs, gathered from the records as they stood on a date, and the
//! watch list. The score itself (points, caps, bands) is `caremarket_core::quality::score`;
//! `docs/early-warning.md` says where each input comes from.

use crate::{Result, Store, StoreError};
use caremarket_core::Date;
use caremarket_core::quality::score::{
    Band, DEFAULT_LOW_OCCUPANCY_PERCENT, RatedReport, Score, ScoreInputs, WINDOW_DAYS, cqc_inputs, score,
};
use caremarket_core::quality::{EscalationLevel, Rag};
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
    pub band_class: &'static str,
    /// The reasons of the (up to) three factors adding most points.
    pub top_factors: Vec<String>,
}

fn minus_days(d: Date, n: i64) -> Date {
    d.checked_sub(jiff::Span::new().days(n)).unwrap_or(d)
}

impl Store {
    /// The council's low-occupancy threshold (issue 4's capacity settings), or the default.
    async fn low_occupancy_percent(&self) -> Result<i64> {
        Ok(self
            .setting("capacity_thresholds")
            .await?
            .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
            .and_then(|v| v.get("low_occupancy_percent").and_then(|p| p.as_i64()))
            .unwrap_or(DEFAULT_LOW_OCCUPANCY_PERCENT))
    }

    /// Scores of every in-area registered service (or one service) as the records stood on `on`.
    async fn explanations(&self, on: Date, only: Option<&str>) -> Result<Vec<Explanation>> {
        let sid = only.unwrap_or("");
        let on_s = on.to_string();
        let window_start = minus_days(on, WINDOW_DAYS).to_string();
        let low = self.low_occupancy_percent().await?;
        let services = sqlx::query(
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
            let date: String = r.try_get("report_date")?;
            let Ok(report_date) = date.parse::<Date>() else { continue };
            let g = |c: &str| -> Result<Option<Rating>> { Ok(r.try_get::<Option<String>, _>(c)?.as_deref().and_then(Rating::parse)) };
            reports.entry(r.try_get("service_id")?).or_default().push(RatedReport {
                report_date,
                overall: g("overall")?,
                safe: g("safe")?,
                well_led: g("well_led")?,
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
            if let Some(v) = Rag::parse(&r.try_get::<String, _>("v")?) {
                rag.insert(r.try_get("service_id")?, v);
            }
        }
        let mut esc: BTreeMap<String, EscalationLevel> = BTreeMap::new();
        for r in
            sqlx::query(sqlx::AssertSqlSafe(latest("quality_escalations", "level"))).bind(sid).bind(&on_s).fetch_all(&self.pool).await?
        {
            if let Some(v) = EscalationLevel::parse(&r.try_get::<String, _>("v")?) {
                esc.insert(r.try_get("service_id")?, v);
            }
        }

        let mut overdue: BTreeMap<String, i64> = BTreeMap::new();
        for r in sqlx::query(
            "SELECT service_id, CAST(COUNT(*) AS BIGINT) AS n FROM quality_actions
             WHERE ($1 = '' OR service_id = $1) AND status <> 'accepted' AND due_on < $2 AND SUBSTR(created_at, 1, 10) <= $2
             GROUP BY service_id",
        )
        .bind(sid)
        .bind(&on_s)
        .fetch_all(&self.pool)
        .await?
        {
            overdue.insert(r.try_get("service_id")?, r.try_get("n")?);
        }

        let mut signals: BTreeMap<(String, String), i64> = BTreeMap::new();
        for r in sqlx::query(
            "SELECT service_id, kind, CAST(COUNT(*) AS BIGINT) AS n FROM quality_signals
             WHERE ($1 = '' OR service_id = $1) AND occurred_on > $2 AND occurred_on <= $3 GROUP BY service_id, kind",
        )
        .bind(sid)
        .bind(&window_start)
        .bind(&on_s)
        .fetch_all(&self.pool)
        .await?
        {
            signals.insert((r.try_get("service_id")?, r.try_get("kind")?), r.try_get("n")?);
        }

        // Monthly returns: complaints in the months that start inside the window; the latest
        // return's staffing.
        let mut returned: BTreeMap<String, i64> = BTreeMap::new();
        let mut vacancy: BTreeMap<String, Option<i64>> = BTreeMap::new();
        let first_month = super::signals::month_of(minus_days(on, WINDOW_DAYS - 1));
        let this_month = super::signals::month_of(on);
        for r in sqlx::query(
            "SELECT service_id, month, complaints, staff_in_post, staff_vacancies FROM monthly_returns
             WHERE ($1 = '' OR service_id = $1) AND month <= $2 ORDER BY month",
        )
        .bind(sid)
        .bind(&this_month)
        .fetch_all(&self.pool)
        .await?
        {
            let service_id: String = r.try_get("service_id")?;
            let month: String = r.try_get("month")?;
            let first_day_inside = month > first_month || (month == first_month && minus_days(on, WINDOW_DAYS - 1).day() == 1);
            if first_day_inside {
                *returned.entry(service_id.clone()).or_default() += r.try_get::<i64, _>("complaints")?;
            }
            let in_post: Option<i64> = r.try_get("staff_in_post")?;
            let vac: Option<i64> = r.try_get("staff_vacancies")?;
            let rate = match (in_post, vac) {
                (Some(p), Some(v)) if p + v > 0 => Some((v * 100 + (p + v) / 2) / (p + v)),
                _ => None,
            };
            vacancy.insert(service_id, rate);
        }

        let mut occupancy: BTreeMap<String, i64> = BTreeMap::new();
        for h in self.latest_vacancy_returns(on).await? {
            let (o, v) = (h.occupied(), h.vacant());
            if o + v > 0 {
                occupancy.insert(h.service_id.clone(), (o * 100 + (o + v) / 2) / (o + v));
            }
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
        for s in &services {
            let id: String = s.try_get("id")?;
            let kind_s: String = s.try_get("kind")?;
            let kind = ServiceKind::parse(&kind_s).unwrap_or(ServiceKind::Other);
            let mut history = reports.remove(&id).unwrap_or_default();
            if history.is_empty() {
                // A rating without history (entered before history was kept): use it as one report.
                let date: Option<String> = s.try_get("rating_date")?;
                if let Some(d) = date.and_then(|d| d.parse::<Date>().ok()).filter(|d| *d <= on) {
                    let g =
                        |c: &str| -> Result<Option<Rating>> { Ok(s.try_get::<Option<String>, _>(c)?.as_deref().and_then(Rating::parse)) };
                    history.push(RatedReport {
                        report_date: d,
                        overall: g("rating_overall")?,
                        safe: g("rating_safe")?,
                        well_led: g("rating_well_led")?,
                    });
                }
            }
            let mut inputs = cqc_inputs(&history, on);
            let count = |k: &str| signals.get(&(id.clone(), k.to_string())).copied().unwrap_or(0);
            let complaints_logged = count("complaint");
            let complaints_returned = returned.get(&id).copied().unwrap_or(0);
            let beds: Option<i64> = s.try_get("beds")?;
            inputs.rag = rag.get(&id).copied();
            inputs.escalation = esc.get(&id).copied();
            inputs.open_overdue_actions = overdue.get(&id).copied().unwrap_or(0);
            inputs.complaints = complaints_logged.max(complaints_returned);
            inputs.safeguarding = count("safeguarding");
            inputs.concerns = count("whistleblowing") + count("early_indicator");
            inputs.incidents = count("notifiable_incident");
            inputs.size = if kind.is_care_home() { beds } else { people.get(&id).copied().or(beds) }.filter(|n| *n > 0);
            inputs.occupancy_percent = if kind.is_care_home() { occupancy.get(&id).copied() } else { None };
            inputs.low_occupancy_percent = low;
            inputs.vacancy_rate_percent = vacancy.get(&id).copied().flatten();
            let score = score(&inputs);
            out.push(Explanation {
                service_id: id,
                service_name: s.try_get("name")?,
                provider_id: s.try_get("provider_id")?,
                provider_name: s.try_get("provider_name")?,
                kind,
                kind_label: kind.label(),
                on: on_s.clone(),
                inputs,
                complaints_logged,
                complaints_returned,
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
                band_class: e.score.band.tag_class(),
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
