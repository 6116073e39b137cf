//! Quality visits and meetings (`000` Provider Visits & Monitoring): recorded against a service,
//! scored standard by standard on a framework (and optionally on the Making it Real I
//! statements), with a written report. Finalising a visit raises one action on the service's
//! action plan for every standard judged Requires Improvement or Poor, in one transaction.

use crate::audit::{Actor, record};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::quality::{Activity, Judgement, VisitType};
use caremarket_core::register::ServiceKind;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use std::collections::BTreeMap;

/// A visit as the officer types it (new, or edited while draft).
#[derive(Debug, Clone)]
pub struct NewVisit {
    pub service_id: String,
    pub activity: Activity,
    pub visit_type: VisitType,
    pub announced: bool,
    pub visit_date: Date,
    /// Officers who visited, as written ("J Smith, A Khan").
    pub officers: String,
    pub people_spoken_to: i64,
    pub relatives_spoken_to: i64,
    pub staff_spoken_to: i64,
    pub framework_id: Option<String>,
    pub outcomes_framework_id: Option<String>,
    pub feedback_given_on_day: bool,
}

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
    /// "draft" or "final".
    pub status: String,
    pub recorded_by: String,
    pub created_at: String,
    pub updated_at: String,
    /// How many standards were scored, and how many of those Requires Improvement or Poor.
    pub scored: i64,
    pub ri_or_poor: i64,
}

impl Visit {
    pub fn is_final(&self) -> bool {
        self.status == "final"
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
    /// "draft" or "final".
    pub status: Option<String>,
    /// At most this many rows (0 = 500).
    pub limit: i64,
}

/// One judgement on one standard of a visit.
#[derive(Debug, Clone, Serialize)]
pub struct VisitScore {
    pub standard_id: String,
    pub framework_id: String,
    pub domain: String,
    pub code: String,
    pub title: String,
    pub judgement: Judgement,
    pub evidence: Option<String>,
}

/// A judgement as typed: `judgement` is a `Judgement` code or label, or "" / "not_assessed" for
/// a standard not looked at on this visit.
#[derive(Debug, Clone, Default)]
pub struct ScoreInput {
    pub standard_id: String,
    pub judgement: String,
    pub evidence: Option<String>,
}

/// The action a Requires Improvement or Poor judgement raises when the visit is finalised.
#[derive(Debug, Clone, Default)]
pub struct ActionDraft {
    pub standard_id: String,
    /// What the provider must do; defaults to the standard's code and title.
    pub title: String,
    pub owner: String,
    pub due_on: Option<Date>,
}

const VISIT_SELECT: &str = "SELECT v.id, v.service_id, s.name AS service_name, s.kind AS service_kind, s.provider_id,
        p.name AS provider_name, v.activity, v.visit_type, v.announced, v.visit_date, v.officers, v.people_spoken_to,
        v.relatives_spoken_to, v.staff_spoken_to, v.framework_id, f.name AS framework_name, v.outcomes_framework_id,
        o.name AS outcomes_framework_name, v.report, v.feedback_given_on_day, v.status, v.recorded_by, v.created_at,
        v.updated_at,
        CAST((SELECT COUNT(*) FROM quality_visit_scores q WHERE q.visit_id = v.id) AS BIGINT) AS scored,
        CAST((SELECT COUNT(*) FROM quality_visit_scores q WHERE q.visit_id = v.id
              AND q.judgement IN ('requires_improvement', 'poor')) AS BIGINT) AS ri_or_poor
     FROM quality_visits v
     JOIN services s ON s.id = v.service_id
     JOIN providers p ON p.id = s.provider_id
     LEFT JOIN qa_frameworks f ON f.id = v.framework_id
     LEFT JOIN qa_frameworks o ON o.id = v.outcomes_framework_id";

fn visit_from(r: &sqlx::any::AnyRow) -> Result<Visit> {
    let kind: String = r.try_get("service_kind")?;
    let activity: String = r.try_get("activity")?;
    let vt: String = r.try_get("visit_type")?;
    Ok(Visit {
        id: r.try_get("id")?,
        service_id: r.try_get("service_id")?,
        service_name: r.try_get("service_name")?,
        service_kind: ServiceKind::parse(&kind).unwrap_or(ServiceKind::Other),
        provider_id: r.try_get("provider_id")?,
        provider_name: r.try_get("provider_name")?,
        activity: Activity::parse(&activity).unwrap_or(Activity::QualityVisit),
        visit_type: VisitType::parse(&vt).unwrap_or(VisitType::Routine),
        announced: r.try_get::<i64, _>("announced")? != 0,
        visit_date: r.try_get("visit_date")?,
        officers: r.try_get("officers")?,
        people_spoken_to: r.try_get("people_spoken_to")?,
        relatives_spoken_to: r.try_get("relatives_spoken_to")?,
        staff_spoken_to: r.try_get("staff_spoken_to")?,
        framework_id: r.try_get("framework_id")?,
        framework_name: r.try_get("framework_name")?,
        outcomes_framework_id: r.try_get("outcomes_framework_id")?,
        outcomes_framework_name: r.try_get("outcomes_framework_name")?,
        report: r.try_get("report")?,
        feedback_given_on_day: r.try_get::<i64, _>("feedback_given_on_day")? != 0,
        status: r.try_get("status")?,
        recorded_by: r.try_get("recorded_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        scored: r.try_get("scored")?,
        ri_or_poor: r.try_get("ri_or_poor")?,
    })
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
    /// Check a visit against the register and the frameworks: a past (or today's) date, officers
    /// named, counts not negative, frameworks that apply to the service's kind.
    async fn check_visit(&self, v: &NewVisit, today: Date) -> Result<String> {
        let service =
            self.service(&v.service_id).await.map_err(|_| StoreError::invalid("service_id", "Choose a service from the register"))?;
        if v.visit_date > today {
            return Err(StoreError::invalid("visit_date", "The date of the visit must be today or in the past"));
        }
        if v.officers.trim().is_empty() {
            return Err(StoreError::invalid("officers", "Enter the officers who carried out the visit"));
        }
        for (field, n, what) in [
            ("people_spoken_to", v.people_spoken_to, "people using the service"),
            ("relatives_spoken_to", v.relatives_spoken_to, "relatives"),
            ("staff_spoken_to", v.staff_spoken_to, "staff"),
        ] {
            if !(0..=10_000).contains(&n) {
                return Err(StoreError::invalid(field, format!("The number of {what} spoken to must be 0 or more")));
            }
        }
        for (field, id, purpose) in
            [("framework_id", &v.framework_id, "standards"), ("outcomes_framework_id", &v.outcomes_framework_id, "outcomes")]
        {
            if let Some(id) = id {
                let f = self.qa_framework(id).await.map_err(|_| StoreError::invalid(field, "Choose a framework from the list"))?;
                if f.purpose != purpose || !f.active || !f.applies_to_kind(service.kind) {
                    return Err(StoreError::invalid(
                        field,
                        format!("{} is not a framework for {}", f.name, service.kind.label().to_lowercase()),
                    ));
                }
            }
        }
        Ok(service.name)
    }

    /// Record a visit or meeting (as a draft). `today` is the council's today.
    pub async fn create_visit(&self, actor: &Actor, v: &NewVisit, today: Date) -> Result<String> {
        let service_name = self.check_visit(v, today).await?;
        let id = new_id();
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO quality_visits (id, service_id, activity, visit_type, announced, visit_date, officers, people_spoken_to,
                relatives_spoken_to, staff_spoken_to, framework_id, outcomes_framework_id, report, feedback_given_on_day, status,
                recorded_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL, $13, 'draft', $14, $15, $15)",
        )
        .bind(&id)
        .bind(&v.service_id)
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
        .bind(&actor.label)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
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
    pub async fn update_visit(&self, actor: &Actor, id: &str, v: &NewVisit, today: Date) -> Result<()> {
        let before = self.visit(id).await?;
        if before.is_final() {
            return Err(StoreError::Conflict("This visit has been finalised and can no longer be changed".into()));
        }
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
        sqlx::query(
            "UPDATE quality_visits SET activity = $1, visit_type = $2, announced = $3, visit_date = $4, officers = $5,
                people_spoken_to = $6, relatives_spoken_to = $7, staff_spoken_to = $8, framework_id = $9,
                outcomes_framework_id = $10, feedback_given_on_day = $11, updated_at = $12
             WHERE id = $13",
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
        .execute(&mut *tx)
        .await?;
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
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{VISIT_SELECT} WHERE v.id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("visit {id}")))?;
        visit_from(&row)
    }

    /// Visits matching the filter, newest first, with the total count of matches (which may
    /// exceed the rows returned).
    pub async fn visits(&self, f: &VisitFilter) -> Result<(i64, Vec<Visit>)> {
        let mut clauses: Vec<String> = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        let mut push = |clause: &str, values: Vec<String>, binds: &mut Vec<String>| {
            let mut c = clause.to_string();
            let mut ph = Vec::new();
            for v in values {
                binds.push(v);
                ph.push(format!("${}", binds.len()));
            }
            c = c.replace("{}", &ph.join(", "));
            clauses.push(c);
        };
        if let Some(d) = f.from {
            push("v.visit_date >= {}", vec![d.to_string()], &mut binds);
        }
        if let Some(d) = f.to {
            push("v.visit_date <= {}", vec![d.to_string()], &mut binds);
        }
        if !f.activities.is_empty() {
            push("v.activity IN ({})", f.activities.iter().map(|a| a.as_str().to_string()).collect(), &mut binds);
        }
        if let Some(t) = f.visit_type {
            push("v.visit_type = {}", vec![t.as_str().to_string()], &mut binds);
        }
        if !f.kinds.is_empty() {
            push("s.kind IN ({})", f.kinds.iter().map(|k| k.as_str().to_string()).collect(), &mut binds);
        }
        if let Some(s) = &f.service_id {
            push("v.service_id = {}", vec![s.clone()], &mut binds);
        }
        if let Some(p) = &f.provider_id {
            push("s.provider_id = {}", vec![p.clone()], &mut binds);
        }
        if let Some(st) = &f.status {
            push("v.status = {}", vec![st.clone()], &mut binds);
        }
        let w = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
        let count_sql = format!(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM quality_visits v JOIN services s ON s.id = v.service_id JOIN providers p ON p.id = s.provider_id{w}"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(count_sql));
        for b in &binds {
            q = q.bind(b.clone());
        }
        let total: i64 = q.fetch_one(&self.pool).await?.try_get("n")?;
        let limit = if f.limit <= 0 { 500 } else { f.limit.min(5000) };
        let sql = format!("{VISIT_SELECT}{w} ORDER BY v.visit_date DESC, v.created_at DESC LIMIT {limit}");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for b in &binds {
            q = q.bind(b.clone());
        }
        let rows = q.fetch_all(&self.pool).await?;
        Ok((total, rows.iter().map(visit_from).collect::<Result<Vec<_>>>()?))
    }

    /// A service's visits, newest first.
    pub async fn visits_for_service(&self, service_id: &str) -> Result<Vec<Visit>> {
        Ok(self.visits(&VisitFilter { service_id: Some(service_id.to_string()), ..Default::default() }).await?.1)
    }

    /// A visit's judgements in framework order (the standards framework first, then outcomes).
    pub async fn visit_scores(&self, visit_id: &str) -> Result<Vec<VisitScore>> {
        let rows = sqlx::query(
            "SELECT q.standard_id, st.framework_id, st.domain, st.code, st.title, q.judgement, q.evidence, f.purpose
             FROM quality_visit_scores q JOIN qa_standards st ON st.id = q.standard_id JOIN qa_frameworks f ON f.id = st.framework_id
             WHERE q.visit_id = $1 ORDER BY f.purpose DESC, st.position, st.code",
        )
        .bind(visit_id)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let j: String = r.try_get("judgement")?;
            let Some(judgement) = Judgement::parse(&j) else { continue };
            out.push(VisitScore {
                standard_id: r.try_get("standard_id")?,
                framework_id: r.try_get("framework_id")?,
                domain: r.try_get("domain")?,
                code: r.try_get("code")?,
                title: r.try_get("title")?,
                judgement,
                evidence: r.try_get("evidence")?,
            });
        }
        Ok(out)
    }

    /// Save a draft visit's judgements (replacing the earlier ones: a standard left "not
    /// assessed" has no score) and its report. Every standard must belong to the visit's
    /// frameworks; every judgement must be on the four-point scale. A finalised visit cannot be
    /// rescored.
    pub async fn score_visit(&self, actor: &Actor, visit_id: &str, scores: &[ScoreInput], report: Option<&str>) -> Result<()> {
        let visit = self.visit(visit_id).await?;
        if visit.is_final() {
            return Err(StoreError::Conflict("This visit has been finalised: its scores can no longer be changed".into()));
        }
        let mut allowed = BTreeMap::new();
        for fid in [&visit.framework_id, &visit.outcomes_framework_id].into_iter().flatten() {
            for s in self.qa_standards(fid, true).await? {
                allowed.insert(s.id.clone(), s);
            }
        }
        let mut judged: Vec<(String, Judgement, Option<String>)> = Vec::new();
        for s in scores {
            let field = format!("judgement-{}", s.standard_id);
            let Some(standard) = allowed.get(&s.standard_id) else {
                return Err(StoreError::invalid(
                    &field,
                    format!(
                        "Standard '{}' is not in the framework used for this visit",
                        s.standard_id.chars().take(40).collect::<String>()
                    ),
                ));
            };
            let raw = s.judgement.trim();
            if raw.is_empty() || raw == "not_assessed" {
                continue;
            }
            let Some(j) = Judgement::parse(raw) else {
                return Err(StoreError::invalid(
                    &field,
                    format!(
                        "{} {}: the judgement must be Excellent, Good, Requires Improvement, Poor or not assessed",
                        standard.code, standard.title
                    ),
                ));
            };
            if judged.iter().any(|(id, _, _)| id == &s.standard_id) {
                return Err(StoreError::invalid(&field, format!("{} {} was judged twice", standard.code, standard.title)));
            }
            let evidence = s.evidence.as_deref().map(str::trim).filter(|e| !e.is_empty()).map(str::to_string);
            judged.push((s.standard_id.clone(), j, evidence));
        }
        let before = self.visit_scores(visit_id).await?;
        let report = report.map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM quality_visit_scores WHERE visit_id = $1").bind(visit_id).execute(&mut *tx).await?;
        for (sid, j, ev) in &judged {
            sqlx::query("INSERT INTO quality_visit_scores (id, visit_id, standard_id, judgement, evidence) VALUES ($1, $2, $3, $4, $5)")
                .bind(new_id())
                .bind(visit_id)
                .bind(sid)
                .bind(j.as_str())
                .bind(ev)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE quality_visits SET report = $1, updated_at = $2 WHERE id = $3")
            .bind(&report)
            .bind(now_timestamp())
            .bind(visit_id)
            .execute(&mut *tx)
            .await?;
        let after: Vec<_> = judged
            .iter()
            .map(|(sid, j, ev)| json!({"standard_id": sid, "code": allowed.get(sid).map(|s| s.code.clone()), "judgement": j.as_str(), "evidence": ev}))
            .collect();
        record(
            &mut tx,
            actor,
            "update",
            "quality_visit",
            Some(visit_id),
            &format!("Visit to {} on {} scored ({} standards)", visit.service_name, visit.visit_date, judged.len()),
            Some(&json!({"scores": before, "report": visit.report})),
            Some(&json!({"scores": after, "report": report})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Finalise a visit: the report must be written, and every standard judged Requires
    /// Improvement or Poor needs its action (an owner, and a due date not before the visit).
    /// Raises those actions on the service's action plan in the same transaction and returns
    /// how many were raised. Finalising a visit that is already final raises nothing and
    /// returns 0.
    pub async fn finalise_visit(&self, actor: &Actor, visit_id: &str, drafts: &[ActionDraft]) -> Result<usize> {
        let visit = self.visit(visit_id).await?;
        if visit.is_final() {
            return Ok(0);
        }
        if visit.report.as_deref().is_none_or(|r| r.trim().is_empty()) {
            return Err(StoreError::invalid("report", "Write the report before finalising the visit"));
        }
        let visit_date: Date = visit.visit_date.parse().map_err(|_| StoreError::Conflict("visit date is not a date".into()))?;
        let needing: Vec<VisitScore> = self.visit_scores(visit_id).await?.into_iter().filter(|s| s.judgement.raises_action()).collect();
        let mut actions = Vec::new();
        for s in &needing {
            let d = drafts.iter().find(|d| d.standard_id == s.standard_id);
            let owner = d.map(|d| d.owner.trim()).unwrap_or("");
            if owner.is_empty() {
                return Err(StoreError::invalid(
                    &format!("owner-{}", s.standard_id),
                    format!("Enter who owns the action for {} {} (judged {})", s.code, s.title, s.judgement.label()),
                ));
            }
            let Some(due) = d.and_then(|d| d.due_on) else {
                return Err(StoreError::invalid(
                    &format!("due_on-{}", s.standard_id),
                    format!("Enter the date the action for {} {} is due", s.code, s.title),
                ));
            };
            if due < visit_date {
                return Err(StoreError::invalid(
                    &format!("due_on-{}", s.standard_id),
                    format!("The action for {} {} cannot be due before the visit ({})", s.code, s.title, visit.visit_date),
                ));
            }
            let title = d
                .map(|d| d.title.trim())
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .unwrap_or_else(|| format!("{} {}", s.code, s.title));
            actions.push((s, title, owner.to_string(), due));
        }
        let mut tx = self.begin_write().await?;
        // Only a draft becomes final, so a concurrent second finalise raises nothing.
        let changed = sqlx::query("UPDATE quality_visits SET status = 'final', updated_at = $1 WHERE id = $2 AND status = 'draft'")
            .bind(now_timestamp())
            .bind(visit_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed == 0 {
            return Ok(0);
        }
        let mut raised = 0;
        for (s, title, owner, due) in &actions {
            let exists: Option<String> = sqlx::query_scalar("SELECT id FROM quality_actions WHERE visit_id = $1 AND standard_id = $2")
                .bind(visit_id)
                .bind(&s.standard_id)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_some() {
                continue;
            }
            let id = new_id();
            let now = now_timestamp();
            sqlx::query(
                "INSERT INTO quality_actions (id, service_id, visit_id, standard_id, judgement, title, detail, owner, due_on, status,
                    officer_note, accepted_on, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', NULL, NULL, $10, $10)",
            )
            .bind(&id)
            .bind(&visit.service_id)
            .bind(visit_id)
            .bind(&s.standard_id)
            .bind(s.judgement.as_str())
            .bind(title)
            .bind(&s.evidence)
            .bind(owner)
            .bind(due.to_string())
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            record(
                &mut tx,
                actor,
                "create",
                "quality_action",
                Some(&id),
                &format!("Action raised for {} at {} ({})", s.code, visit.service_name, s.judgement.label()),
                None,
                Some(&json!({"service_id": visit.service_id, "visit_id": visit_id, "standard_id": s.standard_id, "judgement": s.judgement.as_str(), "title": title, "owner": owner, "due_on": due.to_string()})),
            )
            .await?;
            raised += 1;
        }
        record(
            &mut tx,
            actor,
            "update",
            "quality_visit",
            Some(visit_id),
            &format!("Visit to {} on {} finalised; {raised} actions raised", visit.service_name, visit.visit_date),
            Some(&json!({"status": "draft"})),
            Some(&json!({"status": "final", "actions_raised": raised})),
        )
        .await?;
        tx.commit().await?;
        Ok(raised)
    }
}
