//! The early-warning score's inputs, gathered from the records as they stood on a date, and the
//! watch list. The score itself (points, caps, bands) is `caremarket_core::quality::score`;
//! `docs/early-warning.md` says where each input comes from.

use crate::kept::{Kept, KeptRow};
use crate::query::SqlBuilder;
use crate::{Result, Store, StoreError, now_timestamp};
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// Which services to score.
#[derive(Debug, Clone, Copy)]
enum Which<'a> {
    /// Every in-area registered service (the watch list's).
    InScope,
    /// One service, whatever its registration (its score page).
    One(&'a str),
    /// One service, when it is in the watch list's scope (none otherwise).
    OneInScope(&'a str),
}

/// The services the watch list ranks: in the council's area and not deregistered.
const IN_SCOPE: &str = "s.in_area = 1 AND s.registration_status <> 'deregistered'";

/// Care homes' beds (occupied, vacant) in their latest vacancy return.
type Occupancy = BTreeMap<String, (i64, i64)>;

/// The kept score set's row in `kept_figures`.
const SCORES: &str = "scores";

/// The `kept_figures` row of the watch list's first rows with no filter (the quality dashboard's).
const WATCH_TOP: &str = "watch_top";
/// More services changed than this since the scores were kept: score them all again (one pass
/// over every table is then cheaper than a pass per service).
pub const RESCORE_LIMIT: usize = 200;
/// Rows per statement when writing the whole score set.
const INSERT_BATCH: usize = 400;

/// What is kept of one service's score: what the watch list shows, as core computed it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct KeptScore {
    service_id: String,
    service_name: String,
    provider_id: String,
    provider_name: String,
    kind: ServiceKind,
    total: i64,
    band: Band,
    top_factors: Vec<String>,
}

impl KeptScore {
    fn of(e: Explanation) -> KeptScore {
        KeptScore {
            top_factors: e.score.top(3).iter().map(|f| f.reason.clone()).collect(),
            total: e.score.total,
            band: e.score.band,
            service_id: e.service_id,
            service_name: e.service_name,
            provider_id: e.provider_id,
            provider_name: e.provider_name,
            kind: e.kind,
        }
    }
}

/// A kept score as stored, in `kept_scores` and (the dashboard's top of the list) as JSON in
/// `kept_figures`.
#[derive(sqlx::FromRow, Serialize, serde::Deserialize)]
struct KeptScoreRow {
    service_id: String,
    service_name: String,
    provider_id: String,
    provider_name: String,
    kind: String,
    total: i64,
    band: String,
    top_factors: String,
}

impl TryFrom<KeptScoreRow> for KeptScore {
    type Error = StoreError;
    fn try_from(r: KeptScoreRow) -> Result<KeptScore> {
        Ok(KeptScore {
            kind: crate::quality::decode_as("kept_scores", "kind", &r.kind, ServiceKind::parse)?,
            band: crate::quality::decode_as("kept_scores", "band", &r.band, Band::parse)?,
            top_factors: serde_json::from_str(&r.top_factors).map_err(|_| StoreError::Corrupt {
                table: "kept_scores",
                column: "top_factors",
                value: r.top_factors.clone(),
            })?,
            service_id: r.service_id,
            service_name: r.service_name,
            provider_id: r.provider_id,
            provider_name: r.provider_name,
            total: r.total,
        })
    }
}

/// The watch list of these scores: those the filter keeps, highest total first, then by name
/// and id, at most `limit`.
fn rank(mut all: Vec<KeptScore>, filter: &WatchFilter, limit: usize) -> Vec<WatchEntry> {
    all.retain(|e| filter.kind.is_none_or(|k| e.kind == k) && filter.min_band.is_none_or(|b| e.band >= b));
    all.sort_by(|a, b| {
        b.total.cmp(&a.total).then_with(|| a.service_name.cmp(&b.service_name)).then_with(|| a.service_id.cmp(&b.service_id))
    });
    all.into_iter().take(limit).enumerate().map(|(i, e)| e.entry(i + 1)).collect()
}

/// The kept scores' rows the filter keeps.
fn watch_filter(filter: &WatchFilter) -> SqlBuilder {
    let mut f = SqlBuilder::new("");
    if let Some(k) = filter.kind {
        f.and_bind("kind = {}", k.as_str());
    }
    if let Some(b) = filter.min_band {
        f.and_in("band", Band::ALL.iter().filter(|x| **x >= b).map(|x| x.as_str()));
    }
    f
}

impl KeptScore {
    /// This score as the watch list's row at `rank`.
    fn entry(self, rank: usize) -> WatchEntry {
        WatchEntry {
            rank,
            top_factors: self.top_factors,
            total: self.total,
            band: self.band,
            band_label: self.band.label(),
            service_id: self.service_id,
            service_name: self.service_name,
            provider_id: self.provider_id,
            provider_name: self.provider_name,
            kind: self.kind,
            kind_label: self.kind.label(),
        }
    }
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

    /// Scores of the services `which` names as the records stood on `on`: the facts are loaded
    /// here, and core's `ScoreFacts::inputs` and `score` decide the rest. `occupancy` is each
    /// home's latest vacancy return as at `on`, when the caller has loaded it already.
    async fn explanations(&self, on: Date, which: Which<'_>, occupancy: Option<&Occupancy>) -> Result<Vec<Explanation>> {
        let (sid, service_filter) = match which {
            Which::InScope => ("", format!("{IN_SCOPE} AND $1 = ''")),
            Which::One(id) => (id, "s.id = $1".to_string()),
            Which::OneInScope(id) => (id, format!("{IN_SCOPE} AND s.id = $1")),
        };
        // Static text either way (never input), so each query can use its service_id index.
        let filter = if sid.is_empty() { "$1 = ''" } else { "service_id = $1" };
        let on_s = on.to_string();
        let low = self.low_occupancy_setting().await?;
        let services: Vec<ScoredServiceRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT s.id, s.name, s.provider_id, p.name AS provider_name, s.kind, s.beds, s.rating_overall, s.rating_safe,
                    s.rating_well_led, s.rating_date
             FROM services s JOIN providers p ON p.id = s.provider_id
             WHERE {service_filter}
             ORDER BY s.name, s.id"
        )))
        .bind(sid)
        .fetch_all(&self.pool)
        .await?;

        let mut reports: BTreeMap<String, Vec<RatedReport>> = BTreeMap::new();
        for r in sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT service_id, report_date, overall, safe, well_led FROM rating_history
             WHERE {filter} AND report_date IS NOT NULL AND report_date <= $2"
        )))
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
            format!("SELECT service_id, {col} AS v FROM {table} WHERE {filter} AND set_on <= $2 ORDER BY set_on, created_at")
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
             WHERE {filter} AND status NOT IN {closed} AND due_on < $2 AND SUBSTR(created_at, 1, 10) <= $2
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
        for r in sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT service_id, kind, CAST(COUNT(*) AS BIGINT) AS n FROM quality_signals
             WHERE {filter} AND occurred_on > $2 AND occurred_on <= $3 GROUP BY service_id, kind"
        )))
        .bind(sid)
        .bind(after.to_string())
        .bind(until.to_string())
        .fetch_all(&self.pool)
        .await?
        {
            let kind = StoreError::decode("quality_signals", "kind", &r.try_get::<String, _>("kind")?)?;
            signals.entry(r.try_get("service_id")?).or_default().push((kind, r.try_get("n")?));
        }

        // Monthly returns: complaints of those in the window (core's `return_in_window` decides,
        // over the months from the window's first month on), and the latest return's staffing.
        // Only those rows are loaded, not every return ever made.
        let mut returned: BTreeMap<String, i64> = BTreeMap::new();
        for r in sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT service_id, month, complaints FROM monthly_returns WHERE {filter} AND month <= $2 AND month >= $3"
        )))
        .bind(sid)
        .bind(month_of(on))
        .bind(month_of(after))
        .fetch_all(&self.pool)
        .await?
        {
            if return_in_window(&r.try_get::<String, _>("month")?, on) {
                *returned.entry(r.try_get("service_id")?).or_default() += r.try_get::<i64, _>("complaints")?;
            }
        }
        let mut staffing: BTreeMap<String, (Option<i64>, Option<i64>)> = BTreeMap::new();
        let mut staffing_month: BTreeMap<String, String> = BTreeMap::new();
        for r in sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT r.service_id, r.month, r.staff_in_post, r.staff_vacancies FROM monthly_returns r
             JOIN (SELECT service_id, MAX(month) AS m FROM monthly_returns WHERE {filter} AND month <= $2 GROUP BY service_id) l
               ON l.service_id = r.service_id AND l.m = r.month"
        )))
        .bind(sid)
        .bind(month_of(on))
        .fetch_all(&self.pool)
        .await?
        {
            let id: String = r.try_get("service_id")?;
            staffing_month.insert(id.clone(), r.try_get("month")?);
            staffing.insert(id, (r.try_get("staff_in_post")?, r.try_get("staff_vacancies")?));
        }
        // A workforce return (issue 13) whose quarter ends after the latest monthly return's
        // month gives the staffing instead: its staff (every role) and vacancies.
        for r in sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT w.service_id, w.last_month, w.care_workers + w.nurses + w.managers + w.other_staff AS staff, w.vacancies
             FROM workforce_returns w
             JOIN (SELECT service_id, MAX(last_month) AS m FROM workforce_returns WHERE {filter} AND last_month <= $2 GROUP BY service_id) l
               ON l.service_id = w.service_id AND l.m = w.last_month"
        )))
        .bind(sid)
        .bind(month_of(on))
        .fetch_all(&self.pool)
        .await?
        {
            let id: String = r.try_get("service_id")?;
            let month: String = r.try_get("last_month")?;
            if staffing_month.get(&id).is_none_or(|m| *m < month) {
                staffing.insert(id, (Some(r.try_get("staff")?), Some(r.try_get("vacancies")?)));
            }
        }

        let loaded;
        let occupancy = match occupancy {
            Some(o) => o,
            None => {
                let one = match which {
                    Which::InScope => None,
                    Which::One(id) | Which::OneInScope(id) => Some(vec![id.to_string()]),
                };
                loaded = self.occupancy(on, one.as_deref()).await?;
                &loaded
            }
        };
        // People supported in each service's latest weekly activity return.
        let mut people: BTreeMap<String, i64> = BTreeMap::new();
        for r in sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT a.service_id, a.people FROM activity_returns a
             JOIN (SELECT service_id, MAX(week_of) AS w FROM activity_returns WHERE {filter} AND week_of <= $2 GROUP BY service_id) l
               ON l.service_id = a.service_id AND l.w = a.week_of"
        )))
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

    /// Each care home's beds occupied and vacant in its latest vacancy return as at `on` (of
    /// the services among `only`, when given).
    async fn occupancy(&self, on: Date, only: Option<&[String]>) -> Result<Occupancy> {
        Ok(self
            .latest_vacancy_returns_of(on, only)
            .await?
            .into_iter()
            .map(|h| (h.service_id.clone(), (h.occupied(), h.vacant())))
            .collect())
    }

    /// One service's early-warning score as at `on`, with every factor.
    pub async fn early_warning(&self, service_id: &str, on: Date) -> Result<Explanation> {
        self.explanations(on, Which::One(service_id), None)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::NotFound(format!("service {service_id}")))
    }

    /// In-area registered services ranked by score (highest first, then by name), at most
    /// `limit`, as at `on`: computed from the records now, every service scored (what the kept
    /// scores must equal; the pages read [`Store::kept_watch_list`]).
    pub async fn compute_watch_list(&self, on: Date, filter: &WatchFilter, limit: usize) -> Result<Vec<WatchEntry>> {
        let all: Vec<KeptScore> = self.explanations(on, Which::InScope, None).await?.into_iter().map(KeptScore::of).collect();
        Ok(rank(all, filter, limit))
    }
}

impl Store {
    /// Make the kept scores current for `on` and say from when and which data version.
    ///
    /// Current: kept for `on` at the data version now. Otherwise, when they were kept for `on`
    /// and at most [`RESCORE_LIMIT`] services have changed since (`kept_changes`), only those are
    /// scored again; else every service is. The new set is written only if the set is still the
    /// one this call started from (compare-and-set on its version and date), so two processes
    /// refreshing at once can never leave a set labelled newer than its rows.
    pub async fn kept_scores(&self, on: Date) -> Result<Kept<()>> {
        let as_on = on.to_string();
        // Readers of current scores (nearly every request) need not queue behind each other.
        let row = self.kept_row(SCORES).await?;
        if row.is_current(&as_on) {
            return Ok(Kept { value: (), computed_at: row.computed_at, version: row.version });
        }
        // One refresh at a time in this process: the others wait and then find it current.
        let _guard = self.kept_lock.lock().await;
        for _ in 0..5 {
            let row = self.kept_row(SCORES).await?;
            if row.is_current(&as_on) {
                return Ok(Kept { value: (), computed_at: row.computed_at, version: row.version });
            }
            let version = row.current;
            let changed: Option<Vec<String>> = if row.as_on == as_on && row.version >= 0 {
                let ids: Vec<String> = sqlx::query_scalar("SELECT service_id FROM kept_changes WHERE version > $1 ORDER BY service_id")
                    .bind(row.version)
                    .fetch_all(&self.pool)
                    .await?;
                (ids.len() <= RESCORE_LIMIT && !ids.iter().any(|id| id == "*")).then_some(ids)
            } else {
                None
            };
            let computed_at = now_timestamp();
            let stored = match changed {
                Some(ids) => {
                    let occupancy = self.occupancy(on, Some(&ids)).await?;
                    let mut rescored = Vec::with_capacity(ids.len());
                    for id in ids {
                        let e = self.explanations(on, Which::OneInScope(&id), Some(&occupancy)).await?.into_iter().next();
                        rescored.push((id, e.map(KeptScore::of)));
                    }
                    self.store_scores(&row, &as_on, version, &computed_at, Stored::Some(rescored)).await?
                }
                None => {
                    let all = self.explanations(on, Which::InScope, None).await?.into_iter().map(KeptScore::of).collect();
                    self.store_scores(&row, &as_on, version, &computed_at, Stored::All(all)).await?
                }
            };
            if stored {
                return Ok(Kept { value: (), computed_at, version });
            }
        }
        Err(StoreError::Conflict("the kept early-warning scores kept changing while being refreshed".into()))
    }

    /// Write scores over the set `from` was read from; false (nothing written) if another
    /// refresh has replaced it meanwhile.
    async fn store_scores(&self, from: &KeptRow, as_on: &str, version: i64, computed_at: &str, scores: Stored) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let swapped = sqlx::query(
            "UPDATE kept_figures SET as_on = $1, version = $2, computed_at = $3 WHERE name = $4 AND as_on = $5 AND version = $6",
        )
        .bind(as_on)
        .bind(version)
        .bind(computed_at)
        .bind(SCORES)
        .bind(&from.as_on)
        .bind(from.version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if swapped != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        let rows: Vec<KeptScore> = match scores {
            Stored::All(all) => {
                sqlx::query("DELETE FROM kept_scores").execute(&mut *tx).await?;
                all
            }
            Stored::Some(some) => {
                let mut rows = Vec::new();
                for (id, s) in some {
                    sqlx::query("DELETE FROM kept_scores WHERE service_id = $1").bind(&id).execute(&mut *tx).await?;
                    rows.extend(s);
                }
                rows
            }
        };
        for chunk in rows.chunks(INSERT_BATCH) {
            let mut q = SqlBuilder::new(
                "INSERT INTO kept_scores (service_id, service_name, provider_id, provider_name, kind, total, band, top_factors) VALUES ",
            );
            for (i, s) in chunk.iter().enumerate() {
                if i > 0 {
                    q.push(", ");
                }
                let top = serde_json::to_string(&s.top_factors).unwrap_or_else(|_| "[]".into());
                q.push("(")
                    .push_bind(&s.service_id)
                    .push(", ")
                    .push_bind(&s.service_name)
                    .push(", ")
                    .push_bind(&s.provider_id)
                    .push(", ")
                    .push_bind(&s.provider_name)
                    .push(", ")
                    .push_bind(s.kind.as_str())
                    .push(", ")
                    .push_bind(s.total)
                    .push(", ")
                    .push_bind(s.band.as_str())
                    .push(", ")
                    .push_bind(top)
                    .push(")");
            }
            q.query().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// The watch list as at `on` read from the kept scores (made current first), with when they
    /// were computed: its first `limit` rows.
    pub async fn kept_watch_list(&self, on: Date, filter: &WatchFilter, limit: usize) -> Result<Kept<Vec<WatchEntry>>> {
        let kept = self.kept_scores(on).await?;
        let rows = self.kept_watch_rows(filter, 0, limit).await?;
        Ok(kept.map(|_| rows))
    }

    /// The first `limit` rows of the watch list with no filter (the quality dashboard's top
    /// ten) as at `on`, with when the scores were computed: [`Store::kept_watch_list`]'s rows,
    /// kept as a figure of their own (`crate::kept`), so that a request reads one row rather than
    /// ordering every kept score (about 2 ms of each quality dashboard at demo scale 10 on
    /// SQLite, issue 18 item 3). The scores are made current again inside the computation: the
    /// figure is labelled with the data version read before computing, so the scores it is cut
    /// from must hold at least that version.
    pub async fn kept_watch_top(&self, on: Date, limit: usize) -> Result<Kept<Vec<WatchEntry>>> {
        let scores = self.kept_scores(on).await?;
        let top = self
            .kept_figure(WATCH_TOP, &format!("{on}|{limit}"), async {
                self.kept_scores(on).await?;
                self.kept_score_rows(&WatchFilter::default(), 0, limit).await
            })
            .await?;
        let rows = top.value.into_iter().enumerate().map(|(i, r)| KeptScore::try_from(r).map(|e| e.entry(i + 1))).collect::<Result<_>>()?;
        Ok(scores.map(|_| rows))
    }

    /// How many services the watch list holds with this filter, as at `on`, from the kept
    /// scores (made current first): what a page of the list is cut from.
    pub async fn kept_watch_total(&self, on: Date, filter: &WatchFilter) -> Result<Kept<usize>> {
        let kept = self.kept_scores(on).await?;
        let total: i64 =
            watch_filter(filter).wrapped("SELECT COUNT(*) FROM kept_scores WHERE 1=1", "").query_scalar().fetch_one(&self.pool).await?;
        Ok(kept.map(|_| usize::try_from(total).unwrap_or(0)))
    }

    /// Rows `offset + 1` to `offset + limit` of the watch list as the scores were last kept
    /// (call [`Store::kept_watch_total`] first to make them current). Cut by the database, so a
    /// page costs the same at 50 services as at 50,000 (issue 18 item 3): the order is
    /// [`rank`]'s, with names and ids compared byte by byte on both backends (PostgreSQL's
    /// default collation would order some names otherwise).
    pub async fn kept_watch_rows(&self, filter: &WatchFilter, offset: usize, limit: usize) -> Result<Vec<WatchEntry>> {
        let rows = self.kept_score_rows(filter, offset, limit).await?;
        rows.into_iter().enumerate().map(|(i, r)| KeptScore::try_from(r).map(|e| e.entry(offset + i + 1))).collect()
    }

    /// Rows `offset + 1` to `offset + limit` of the kept scores in [`rank`]'s order, as stored.
    async fn kept_score_rows(&self, filter: &WatchFilter, offset: usize, limit: usize) -> Result<Vec<KeptScoreRow>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let bytes = match self.backend() {
            crate::Backend::Sqlite => "",
            crate::Backend::Postgres => " COLLATE \"C\"",
        };
        Ok(watch_filter(filter)
            .wrapped(
                "SELECT service_id, service_name, provider_id, provider_name, kind, total, band, top_factors FROM kept_scores WHERE 1=1",
                &format!(" ORDER BY total DESC, service_name{bytes}, service_id{bytes} LIMIT {limit} OFFSET {offset}"),
            )
            .query_as()
            .fetch_all(&self.pool)
            .await?)
    }

    /// [`Store::kept_watch_list`] without when it was computed.
    pub async fn watch_list(&self, on: Date, filter: &WatchFilter, limit: usize) -> Result<Vec<WatchEntry>> {
        Ok(self.kept_watch_list(on, filter, limit).await?.value)
    }
}

/// Scores to write: the whole set, or some services' (`None`: no longer in the set).
enum Stored {
    All(Vec<KeptScore>),
    Some(Vec<(String, Option<KeptScore>)>),
}
