//! Quality visits and meetings (`000` Provider Visits & Monitoring): recorded against a service,
//! scored standard by standard on a framework (and optionally on the Making it Real I
//! statements), with a written report. Finalising a visit raises one action on the service's
//! action plan for every standard judged Requires Improvement or Poor, in one transaction.

mod scoring;

pub(crate) use scoring::{ACTION_COLUMNS, SCORE_COLUMNS, action_row, score_rows};

use crate::audit::{Actor, record};
use crate::quality::frameworks::QaFramework;
use crate::query::SqlBuilder;
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::quality::frameworks::{OUTCOMES, STANDARDS};
use caremarket_core::quality::{Activity, Judgement, VisitStatus, VisitType};
use caremarket_core::register::ServiceKind;
use caremarket_core::versions::Version;
use serde::Serialize;
use serde_json::json;

pub use caremarket_core::quality::visits::{ActionDraft, NewVisit, ScoreInput, VisitScore};

#[derive(Debug, Clone, Serialize)]
pub struct Visit {
    pub id: String,
    pub service_id: String,
    pub service_name: String,
    pub service_kind: ServiceKind,
    pub provider_id: String,
    pub provider_name: String,
    pub activity: Activity,
    pub visit_type: VisitType,
    pub announced: bool,
    pub visit_date: String,
    pub officers: String,
    pub people_spoken_to: i64,
    pub relatives_spoken_to: i64,
    pub staff_spoken_to: i64,
    pub framework_id: Option<String>,
    pub framework_name: Option<String>,
    pub outcomes_framework_id: Option<String>,
    pub outcomes_framework_name: Option<String>,
    pub report: Option<String>,
    pub feedback_given_on_day: bool,
    pub status: VisitStatus,
    pub recorded_by: String,
    pub created_at: String,
    pub updated_at: String,
    /// How many standards were scored, and how many of those Requires Improvement or Poor.
    pub scored: i64,
    pub ri_or_poor: i64,
    /// Raised by one on each edit of the visit's details (decision 25).
    pub version: i64,
}

impl Visit {
    pub fn is_final(&self) -> bool {
        self.status == VisitStatus::Final
    }
}

/// Which visits to list. Empty vectors mean any.
#[derive(Debug, Clone, Default)]
pub struct VisitFilter {
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub activities: Vec<Activity>,
    pub visit_type: Option<VisitType>,
    pub kinds: Vec<ServiceKind>,
    pub service_id: Option<String>,
    pub provider_id: Option<String>,
    pub status: Option<VisitStatus>,
    /// At most this many rows (0 = 500).
    pub limit: i64,
    /// Rows skipped before the first returned: a page of the list.
    pub offset: i64,
}

const VISIT_FROM: &str = " FROM quality_visits v
     JOIN services s ON s.id = v.service_id
     JOIN providers p ON p.id = s.provider_id
     LEFT JOIN qa_frameworks f ON f.id = v.framework_id
     LEFT JOIN qa_frameworks o ON o.id = v.outcomes_framework_id
     LEFT JOIN users ru ON ru.email = v.recorded_by";

/// The visit's columns; the Requires Improvement or Poor count uses core's list of the
/// judgements that raise an action.
fn visit_select() -> String {
    format!(
        "SELECT v.id, v.service_id, s.name AS service_name, s.kind AS service_kind, s.provider_id,
        p.name AS provider_name, v.activity, v.visit_type, v.announced, v.visit_date, v.officers, v.people_spoken_to,
        v.relatives_spoken_to, v.staff_spoken_to, v.framework_id, f.name AS framework_name, v.outcomes_framework_id,
        o.name AS outcomes_framework_name, v.report, v.feedback_given_on_day, v.status,
        COALESCE(ru.display_name, v.recorded_by) AS recorded_by, v.created_at,
        v.updated_at, v.version,
        CAST((SELECT COUNT(*) FROM quality_visit_scores q WHERE q.visit_id = v.id) AS BIGINT) AS scored,
        CAST((SELECT COUNT(*) FROM quality_visit_scores q WHERE q.visit_id = v.id
              AND q.judgement IN {raising}) AS BIGINT) AS ri_or_poor{VISIT_FROM}",
        raising = Judgement::sql_list(Judgement::raising_action())
    )
}

/// A visit row as stored.
#[derive(sqlx::FromRow)]
struct VisitRow {
    id: String,
    service_id: String,
    service_name: String,
    service_kind: String,
    provider_id: String,
    provider_name: String,
    activity: String,
    visit_type: String,
    announced: i64,
    visit_date: String,
    officers: String,
    people_spoken_to: i64,
    relatives_spoken_to: i64,
    staff_spoken_to: i64,
    framework_id: Option<String>,
    framework_name: Option<String>,
    outcomes_framework_id: Option<String>,
    outcomes_framework_name: Option<String>,
    report: Option<String>,
    feedback_given_on_day: i64,
    status: String,
    recorded_by: String,
    created_at: String,
    updated_at: String,
    version: i64,
    scored: i64,
    ri_or_poor: i64,
}

impl TryFrom<VisitRow> for Visit {
    type Error = StoreError;
    fn try_from(r: VisitRow) -> Result<Visit> {
        Ok(Visit {
            service_kind: crate::quality::decode_as("services", "kind", &r.service_kind, ServiceKind::parse)?,
            activity: StoreError::decode("quality_visits", "activity", &r.activity)?,
            visit_type: StoreError::decode("quality_visits", "visit_type", &r.visit_type)?,
            status: StoreError::decode("quality_visits", "status", &r.status)?,
            announced: r.announced != 0,
            feedback_given_on_day: r.feedback_given_on_day != 0,
            id: r.id,
            service_id: r.service_id,
            service_name: r.service_name,
            provider_id: r.provider_id,
            provider_name: r.provider_name,
            visit_date: r.visit_date,
            officers: r.officers,
            people_spoken_to: r.people_spoken_to,
            relatives_spoken_to: r.relatives_spoken_to,
            staff_spoken_to: r.staff_spoken_to,
            framework_id: r.framework_id,
            framework_name: r.framework_name,
            outcomes_framework_id: r.outcomes_framework_id,
            outcomes_framework_name: r.outcomes_framework_name,
            report: r.report,
            recorded_by: r.recorded_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            scored: r.scored,
            ri_or_poor: r.ri_or_poor,
            version: r.version,
        })
    }
}

/// The `WHERE` clause of a filter, on a query that joins `v` (visits) and `s` (services).
fn visit_filter(f: &VisitFilter) -> SqlBuilder {
    let mut w = SqlBuilder::new(" WHERE 1=1");
    if let Some(d) = f.from {
        w.and_bind("v.visit_date >= {}", d.to_string());
    }
    if let Some(d) = f.to {
        w.and_bind("v.visit_date <= {}", d.to_string());
    }
    w.and_in("v.activity", f.activities.iter().map(|a| a.as_str()));
    if let Some(t) = f.visit_type {
        w.and_bind("v.visit_type = {}", t.as_str());
    }
    w.and_in("s.kind", f.kinds.iter().map(|k| k.as_str()));
    if let Some(s) = &f.service_id {
        w.and_bind("v.service_id = {}", s);
    }
    if let Some(p) = &f.provider_id {
        w.and_bind("s.provider_id = {}", p);
    }
    if let Some(st) = f.status {
        w.and_bind("v.status = {}", st.as_str());
    }
    w
}

/// The frameworks a visit names: (form field, framework id, the purpose it must have).
pub(crate) fn visit_frameworks(v: &NewVisit) -> impl Iterator<Item = (&'static str, &str, &'static str)> {
    [("framework_id", &v.framework_id, STANDARDS), ("outcomes_framework_id", &v.outcomes_framework_id, OUTCOMES)]
        .into_iter()
        .filter_map(|(field, id, purpose)| id.as_deref().map(|id| (field, id, purpose)))
}

/// A framework a visit names must exist, be active, have the purpose of the field it is chosen
/// in and apply to the service's kind.
pub(crate) fn check_visit_framework(field: &str, f: Option<&QaFramework>, purpose: &str, kind: ServiceKind) -> Result<()> {
    let f = f.ok_or_else(|| StoreError::invalid(field, "Choose a framework from the list"))?;
    if f.purpose != purpose || !f.active || !f.applies_to_kind(kind) {
        return Err(StoreError::invalid(field, format!("{} is not a framework for {}", f.name, kind.label().to_lowercase())));
    }
    Ok(())
}

/// The columns [`visit_row`] fills, in its order.
pub(crate) const VISIT_COLUMNS: [&str; 18] = [
    "id",
    "service_id",
    "activity",
    "visit_type",
    "announced",
    "visit_date",
    "officers",
    "people_spoken_to",
    "relatives_spoken_to",
    "staff_spoken_to",
    "framework_id",
    "outcomes_framework_id",
    "report",
    "feedback_given_on_day",
    "status",
    "recorded_by",
    "created_at",
    "updated_at",
];

/// A visit's row for [`VISIT_COLUMNS`], updated when it was created.
pub(crate) fn visit_row(
    id: &str,
    v: &NewVisit,
    report: Option<String>,
    status: VisitStatus,
    recorded_by: &str,
    now: &str,
) -> Vec<crate::bulk::Value> {
    vec![
        id.into(),
        v.service_id.as_str().into(),
        v.activity.as_str().into(),
        v.visit_type.as_str().into(),
        i64::from(v.announced).into(),
        v.visit_date.to_string().into(),
        v.officers.trim().into(),
        v.people_spoken_to.into(),
        v.relatives_spoken_to.into(),
        v.staff_spoken_to.into(),
        v.framework_id.clone().into(),
        v.outcomes_framework_id.clone().into(),
        report.into(),
        i64::from(v.feedback_given_on_day).into(),
        status.as_str().into(),
        recorded_by.into(),
        now.into(),
        now.into(),
    ]
}

fn visit_json(v: &NewVisit) -> serde_json::Value {
    json!({
        "service_id": v.service_id, "activity": v.activity.as_str(), "visit_type": v.visit_type.as_str(),
        "announced": v.announced, "visit_date": v.visit_date.to_string(), "officers": v.officers,
        "people_spoken_to": v.people_spoken_to, "relatives_spoken_to": v.relatives_spoken_to,
        "staff_spoken_to": v.staff_spoken_to, "framework_id": v.framework_id,
        "outcomes_framework_id": v.outcomes_framework_id, "feedback_given_on_day": v.feedback_given_on_day,
    })
}

impl Store {
    /// Check a visit against core's rules, then against the register and the frameworks: the
    /// frameworks must be active, for the right purpose and apply to the service's kind.
    async fn check_visit(&self, v: &NewVisit, today: Date) -> Result<String> {
        let service =
            self.service(&v.service_id).await.map_err(|_| StoreError::invalid("service_id", "Choose a service from the register"))?;
        v.check(today)?;
        for (field, id, purpose) in visit_frameworks(v) {
            check_visit_framework(field, self.qa_framework(id).await.ok().as_ref(), purpose, service.kind)?;
        }
        Ok(service.name)
    }

    /// Record a visit or meeting (as a draft). `today` is the council's today.
    pub async fn create_visit(&self, actor: &Actor, v: &NewVisit, today: Date) -> Result<String> {
        let service_name = self.check_visit(v, today).await?;
        let id = new_id();
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        let row = visit_row(&id, v, None, VisitStatus::Draft, &actor.label, &now);
        crate::bulk::insert_rows(&mut tx, "quality_visits", &VISIT_COLUMNS, vec![row]).await?;
        record(
            &mut tx,
            actor,
            "create",
            "quality_visit",
            Some(&id),
            &format!("{} at {} on {} recorded", v.activity.label(), service_name, v.visit_date),
            None,
            Some(&visit_json(v)),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Change a draft visit's details. A framework cannot change once standards are scored on it.
    /// Made from version `expected` of the visit: a visit saved since is refused (`Stale`).
    pub async fn update_visit(&self, actor: &Actor, id: &str, v: &NewVisit, today: Date, expected: Version) -> Result<()> {
        let before = self.visit(id).await?;
        if before.is_final() {
            return Err(StoreError::Conflict("This visit has been finalised and can no longer be changed".into()));
        }
        crate::versions::check_current(before.version, expected)?;
        if v.service_id != before.service_id {
            return Err(StoreError::invalid("service_id", "The service of a recorded visit cannot be changed"));
        }
        self.check_visit(v, today).await?;
        let mut tx = self.begin_write().await?;
        // Scores on a framework no longer chosen would be orphaned: refuse rather than lose them.
        let kept: Vec<Option<String>> = vec![v.framework_id.clone(), v.outcomes_framework_id.clone()];
        let frameworks_scored: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT st.framework_id FROM quality_visit_scores q JOIN qa_standards st ON st.id = q.standard_id WHERE q.visit_id = $1",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        if frameworks_scored.iter().any(|f| !kept.contains(&Some(f.clone()))) {
            return Err(StoreError::invalid(
                "framework_id",
                "Standards have been scored on the framework this visit used: clear those scores before changing the framework",
            ));
        }
        let changed = sqlx::query(
            "UPDATE quality_visits SET activity = $1, visit_type = $2, announced = $3, visit_date = $4, officers = $5,
                people_spoken_to = $6, relatives_spoken_to = $7, staff_spoken_to = $8, framework_id = $9,
                outcomes_framework_id = $10, feedback_given_on_day = $11, updated_at = $12, version = version + 1
             WHERE id = $13 AND version = $14",
        )
        .bind(v.activity.as_str())
        .bind(v.visit_type.as_str())
        .bind(i64::from(v.announced))
        .bind(v.visit_date.to_string())
        .bind(v.officers.trim())
        .bind(v.people_spoken_to)
        .bind(v.relatives_spoken_to)
        .bind(v.staff_spoken_to)
        .bind(&v.framework_id)
        .bind(&v.outcomes_framework_id)
        .bind(i64::from(v.feedback_given_on_day))
        .bind(now_timestamp())
        .bind(id)
        .bind(expected.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        crate::versions::saved(&mut tx, crate::versions::Versioned::QualityVisits, id, changed).await?;
        record(
            &mut tx,
            actor,
            "update",
            "quality_visit",
            Some(id),
            &format!("Visit to {} on {} edited", before.service_name, v.visit_date),
            Some(&json!(before)),
            Some(&visit_json(v)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn visit(&self, id: &str) -> Result<Visit> {
        let row: VisitRow = sqlx::query_as(sqlx::AssertSqlSafe(format!("{} WHERE v.id = $1", visit_select())))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("visit {id}")))?;
        row.try_into()
    }

    /// Visits matching the filter, newest first, with the total count of matches (which may
    /// exceed the rows returned).
    pub async fn visits(&self, f: &VisitFilter) -> Result<(i64, Vec<Visit>)> {
        let w = visit_filter(f);
        let total: i64 = w
            .wrapped(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM quality_visits v JOIN services s ON s.id = v.service_id JOIN providers p ON p.id = s.provider_id",
                "",
            )
            .query_scalar()
            .fetch_one(&self.pool)
            .await?;
        let limit = if f.limit <= 0 { 500 } else { f.limit.min(5000) };
        let mut page = w.wrapped(&visit_select(), " ORDER BY v.visit_date DESC, v.created_at DESC LIMIT ");
        page.push_bind(limit);
        page.push(" OFFSET ");
        page.push_bind(f.offset.max(0));
        let rows: Vec<VisitRow> = page.query_as().fetch_all(&self.pool).await?;
        Ok((total, rows.into_iter().map(Visit::try_from).collect::<Result<Vec<_>>>()?))
    }

    /// A service's visits, newest first.
    pub async fn visits_for_service(&self, service_id: &str) -> Result<Vec<Visit>> {
        Ok(self.visits(&VisitFilter { service_id: Some(service_id.to_string()), ..Default::default() }).await?.1)
    }
}
