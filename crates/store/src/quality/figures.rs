//! The quality dashboard's figures and the Market Oversight Report's quality sentences
//! (`000` "Accommodation with Care"), computed from records as at a date, each with the
//! filter that lists the records behind it.

use crate::StoreError;
use crate::kept::Kept;
use crate::quality::status::{MONITORED, MONITORED_SCOPE};
use crate::{Result, Store};
use caremarket_core::Date;
use caremarket_core::quality::figures::{combined_national, good_or_outstanding_sentence, rag_sentence, visits_sentence};
use caremarket_core::quality::{ActionStatus, Activity, EscalationLevel, Rag};
use caremarket_core::register::ServiceKind;
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// The kinds `000` means by "care homes" (core's `ServiceKind::is_care_home`).
pub const CARE_HOME_KINDS: [ServiceKind; 2] = [ServiceKind::CareHomeResidential, ServiceKind::CareHomeNursing];

/// The RAG a service had as at a date: its latest RAG decision on or before that date.
/// Ties on the same day go to the later record (ids are time-ordered UUID v7).
pub(crate) const CURRENT_RAG_AS_AT: &str = "SELECT r.service_id, r.rag FROM quality_rag r
     WHERE r.set_on <= $1 AND NOT EXISTS (
        SELECT 1 FROM quality_rag r2 WHERE r2.service_id = r.service_id AND r2.set_on <= $1
          AND (r2.set_on > r.set_on OR (r2.set_on = r.set_on AND r2.id > r.id)))";

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RagCount {
    pub green: i64,
    pub amber: i64,
    pub red: i64,
    pub not_assessed: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KindRag {
    pub kind: ServiceKind,
    pub counts: RagCount,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityFigures {
    pub as_at: String,
    pub period_from: String,
    pub period_to: String,
    /// Quality visits (not meetings) to care homes in the period, and how many homes they reached.
    pub care_home_visits: i64,
    pub care_homes_visited: i64,
    pub care_homes: i64,
    pub visits_sentence: String,
    pub care_home_rag: RagCount,
    pub rag_sentence: String,
    pub rag_by_kind: Vec<KindRag>,
    pub care_homes_rated: i64,
    pub care_homes_good: i64,
    pub care_home_percent_good: Option<f64>,
    pub national_percent_good: Option<f64>,
    pub national_source: Option<String>,
    pub good_sentence: Option<String>,
    pub embargoes: i64,
    pub restrictions: i64,
    pub enhanced_monitoring: i64,
    pub risk_management: i64,
    pub open_actions: i64,
    pub overdue_actions: i64,
}

/// `'a','b'` of the stored codes of `kinds`, which are fixed ASCII identifiers.
fn kinds_sql(kinds: &[ServiceKind]) -> String {
    kinds.iter().map(|k| format!("'{}'", k.as_str())).collect::<Vec<_>>().join(",")
}

impl Store {
    /// [`Store::quality_figures`] kept (`crate::kept`): computed again only when a record behind
    /// them has changed since, or for other dates.
    pub async fn kept_quality_figures(&self, as_at: Date, from: Date, to: Date) -> Result<Kept<QualityFigures>> {
        let as_on = format!("{as_at}|{from}|{to}");
        self.kept_figure("quality_figures", &as_on, self.quality_figures(as_at, from, to)).await
    }

    /// The figures as at `as_at`, with visits counted over `from..=to`. RAG counts cover the
    /// services quality assurance monitors (`MONITORED`, as `/quality/rag` lists them); CQC
    /// rating shares cover services in the council's area on CQC's register, as the register does.
    pub async fn quality_figures(&self, as_at: Date, from: Date, to: Date) -> Result<QualityFigures> {
        let homes = kinds_sql(&CARE_HOME_KINDS);
        let live = "s.in_area = 1 AND s.registration_status <> 'deregistered'";
        let visits = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n, COUNT(DISTINCT v.service_id) AS homes FROM quality_visits v JOIN services s ON s.id = v.service_id
             WHERE v.activity = $3 AND v.visit_date >= $1 AND v.visit_date <= $2 AND s.kind IN ({homes})"
        )))
        .bind(from.to_string())
        .bind(to.to_string())
        .bind(Activity::QualityVisit.as_str())
        .fetch_one(&self.pool)
        .await?;
        let care_home_visits: i64 = visits.try_get("n")?;
        let care_homes_visited: i64 = visits.try_get("homes")?;

        // A past date counts the services on CQC's register then (as `Store::service_facts_as_at`
        // and `ServiceFact::registered_on`: registered by the date, not deregistered by it, a
        // deregistration without a date counting as before every date); today, those not
        // deregistered.
        let monitored = if as_at < crate::today() {
            format!(
                "(s.registration_date IS NULL OR s.registration_date <= $1)
                 AND ((s.deregistration_date IS NULL AND s.registration_status <> 'deregistered') OR s.deregistration_date > $1)
                 AND {MONITORED_SCOPE}"
            )
        } else {
            MONITORED.to_string()
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT s.kind, cur.rag, COUNT(*) AS n FROM services s LEFT JOIN ({CURRENT_RAG_AS_AT}) cur ON cur.service_id = s.id
             WHERE {monitored} GROUP BY s.kind, cur.rag"
        )))
        .bind(as_at.to_string())
        .fetch_all(&self.pool)
        .await?;
        let mut by_kind: std::collections::BTreeMap<ServiceKind, RagCount> = Default::default();
        for r in rows {
            let kind = crate::quality::decode_as("services", "kind", &r.try_get::<String, _>("kind")?, ServiceKind::parse)?;
            let rag: Option<String> = r.try_get("rag")?;
            let rag: Option<Rag> = rag.map(|v| StoreError::decode("quality_rag", "rag", &v)).transpose()?;
            let n: i64 = r.try_get("n")?;
            let c = by_kind.entry(kind).or_default();
            match rag {
                Some(Rag::Green) => c.green += n,
                Some(Rag::Amber) => c.amber += n,
                Some(Rag::Red) => c.red += n,
                None => c.not_assessed += n,
            }
        }
        let mut care_home_rag = RagCount::default();
        for k in CARE_HOME_KINDS {
            if let Some(c) = by_kind.get(&k) {
                care_home_rag.green += c.green;
                care_home_rag.amber += c.amber;
                care_home_rag.red += c.red;
                care_home_rag.not_assessed += c.not_assessed;
            }
        }
        let care_homes = care_home_rag.green + care_home_rag.amber + care_home_rag.red + care_home_rag.not_assessed;

        // A past date counts each home's rating in the last report published by then, on the
        // register then (the report's facts: `Store::service_facts_as_at`); today reads the
        // current ratings.
        let (care_homes_rated, care_homes_good) = if as_at < crate::today() {
            let facts = self.service_facts_as_at(as_at).await?;
            let homes: Vec<_> = facts.iter().filter(|f| f.in_area && f.registered_on(as_at) && CARE_HOME_KINDS.contains(&f.kind)).collect();
            let rated = homes.iter().filter(|f| f.overall.is_some_and(|r| r.is_grade())).count() as i64;
            let good = homes.iter().filter(|f| f.overall.is_some_and(|r| r.is_grade() && r.is_good_or_outstanding())).count() as i64;
            (rated, good)
        } else {
            let rated = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT CAST(SUM(CASE WHEN rating_overall IN {grades} THEN 1 ELSE 0 END) AS BIGINT) AS rated,
                        CAST(SUM(CASE WHEN rating_overall IN {good} THEN 1 ELSE 0 END) AS BIGINT) AS good
                 FROM services s WHERE {live} AND s.kind IN ({homes})",
                // Core's lists of grades, not a copy (issue 15 item 2).
                grades = caremarket_core::register::grades_sql_list(),
                good = caremarket_core::register::good_or_outstanding_sql_list()
            )))
            .fetch_one(&self.pool)
            .await?;
            let care_homes_rated: i64 = rated.try_get::<Option<i64>, _>("rated")?.unwrap_or(0);
            let care_homes_good: i64 = rated.try_get::<Option<i64>, _>("good")?.unwrap_or(0);
            (care_homes_rated, care_homes_good)
        };
        let care_home_percent_good = caremarket_core::register::percent(care_homes_good, care_homes_rated);
        let benchmarks: Vec<_> = self.national_benchmarks().await?.into_iter().filter(|b| CARE_HOME_KINDS.contains(&b.kind)).collect();
        let national_percent_good =
            combined_national(&benchmarks.iter().map(|b| (b.percent_good_or_outstanding, b.rated_services)).collect::<Vec<_>>());
        let national_source = benchmarks.first().map(|b| format!("{}, as at {}", b.source.trim_end_matches('.'), b.as_at));

        let day = as_at.to_string();
        let restr = sqlx::query(
            "SELECT CAST(SUM(CASE WHEN kind = 'embargo' THEN 1 ELSE 0 END) AS BIGINT) AS embargoes,
                    CAST(SUM(CASE WHEN kind = 'embargo' THEN 0 ELSE 1 END) AS BIGINT) AS restrictions
             FROM placement_restrictions WHERE starts_on <= $1 AND (ends_on IS NULL OR ends_on >= $1)",
        )
        .bind(&day)
        .fetch_one(&self.pool)
        .await?;
        let esc = sqlx::query(
            "SELECT e.level, COUNT(*) AS n FROM quality_escalations e
             WHERE e.set_on <= $1 AND NOT EXISTS (SELECT 1 FROM quality_escalations e2 WHERE e2.service_id = e.service_id AND e2.set_on <= $1
                   AND (e2.set_on > e.set_on OR (e2.set_on = e.set_on AND e2.id > e.id)))
             GROUP BY e.level",
        )
        .bind(&day)
        .fetch_all(&self.pool)
        .await?;
        let level = |wanted: EscalationLevel| -> Result<i64> {
            for r in &esc {
                let l: EscalationLevel = StoreError::decode("quality_escalations", "level", &r.try_get::<String, _>("level")?)?;
                if l == wanted {
                    return Ok(r.try_get("n")?);
                }
            }
            Ok(0)
        };
        let actions = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS open, CAST(SUM(CASE WHEN due_on < $1 THEN 1 ELSE 0 END) AS BIGINT) AS overdue
             FROM quality_actions WHERE status NOT IN {closed}",
            closed = ActionStatus::sql_list(ActionStatus::closed())
        )))
        .bind(&day)
        .fetch_one(&self.pool)
        .await?;

        Ok(QualityFigures {
            as_at: day.clone(),
            period_from: from.to_string(),
            period_to: to.to_string(),
            care_home_visits,
            care_homes_visited,
            care_homes,
            visits_sentence: visits_sentence(care_home_visits, from, to),
            rag_sentence: rag_sentence(care_home_rag.amber, care_home_rag.red),
            care_home_rag,
            rag_by_kind: by_kind.into_iter().map(|(kind, counts)| KindRag { kind, counts }).collect(),
            care_homes_rated,
            care_homes_good,
            care_home_percent_good,
            good_sentence: good_or_outstanding_sentence(care_home_percent_good, national_percent_good),
            national_percent_good,
            national_source,
            embargoes: restr.try_get::<Option<i64>, _>("embargoes")?.unwrap_or(0),
            restrictions: restr.try_get::<Option<i64>, _>("restrictions")?.unwrap_or(0),
            enhanced_monitoring: level(EscalationLevel::EnhancedMonitoring)?,
            risk_management: level(EscalationLevel::RiskManagement)?,
            open_actions: actions.try_get("open")?,
            overdue_actions: actions.try_get::<Option<i64>, _>("overdue")?.unwrap_or(0),
        })
    }
}
