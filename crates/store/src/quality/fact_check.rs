//! The provider's fact-check of a visit report (issue 16 item 14, decision 42): the report row
//! finalising a visit writes, the provider's corrections, the officer's decisions, publication
//! and the provider's action plan. What is allowed when is core's
//! [`caremarket_core::quality::fact_check`]; this loads the facts and saves the decisions, each
//! in one transaction with its audit row.

use crate::audit::{Actor, record};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::quality::Judgement;
use caremarket_core::quality::fact_check::{self as rules, Decision, Stage, WHOLE_REPORT};
use serde::Serialize;
use serde_json::json;

/// A visit's report as the fact-check sees it.
#[derive(Debug, Clone, Serialize)]
pub struct VisitReport {
    pub visit_id: String,
    pub service_id: String,
    pub service_name: String,
    pub provider_id: String,
    pub provider_name: String,
    pub visit_date: String,
    pub sent_on: String,
    pub check_ends_on: String,
    pub overall: Option<Judgement>,
    pub published_on: Option<String>,
    /// Who published it, by name.
    pub published_by: Option<String>,
    pub action_plan_due_on: Option<String>,
    pub action_plan: Option<String>,
    pub action_plan_sent_on: Option<String>,
    /// Who sent the action plan, by name.
    pub action_plan_sent_by: Option<String>,
    pub corrections: i64,
    pub undecided: i64,
}

impl VisitReport {
    pub fn is_published(&self) -> bool {
        self.published_on.is_some()
    }

    fn ends(&self) -> Result<Date> {
        StoreError::decode("quality_visit_reports", "check_ends_on", &self.check_ends_on)
    }

    pub fn stage(&self, today: Date) -> Result<Stage> {
        Ok(rules::stage(self.is_published(), self.undecided as usize, self.corrections as usize, self.ends()?, today))
    }

    pub fn needs_action_plan(&self) -> bool {
        rules::needs_action_plan(self.overall)
    }

    /// A published report whose action plan is due and not sent, after its due date.
    pub fn action_plan_overdue(&self, today: Date) -> bool {
        self.action_plan_sent_on.is_none()
            && self.action_plan_due_on.as_deref().and_then(|d| d.parse::<Date>().ok()).is_some_and(|d| today > d)
    }
}

/// One factual correction and the officer's decision on it.
#[derive(Debug, Clone, Serialize)]
pub struct Correction {
    pub id: String,
    pub visit_id: String,
    pub part: String,
    pub part_label: String,
    pub correction: String,
    /// Who sent it, by name.
    pub sent_by: String,
    pub sent_at: String,
    pub decision: Option<Decision>,
    pub reason: Option<String>,
    /// Who decided it, by name.
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
}

/// Which reports to list.
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    pub provider_id: Option<String>,
    /// Only drafts (not yet published).
    pub drafts_only: bool,
    /// Only the reports of these services.
    pub service_ids: Option<Vec<String>>,
}

#[derive(sqlx::FromRow)]
struct ReportRow {
    visit_id: String,
    service_id: String,
    service_name: String,
    provider_id: String,
    provider_name: String,
    visit_date: String,
    sent_on: String,
    check_ends_on: String,
    overall: Option<String>,
    published_on: Option<String>,
    published_by: Option<String>,
    action_plan_due_on: Option<String>,
    action_plan: Option<String>,
    action_plan_sent_on: Option<String>,
    action_plan_sent_by: Option<String>,
    corrections: i64,
    undecided: i64,
}

const REPORT_SELECT: &str = "SELECT r.visit_id, v.service_id, s.name AS service_name, s.provider_id, p.name AS provider_name,
        v.visit_date, r.sent_on, r.check_ends_on, r.overall, r.published_on,
        COALESCE(pu.display_name, r.published_by) AS published_by, r.action_plan_due_on, r.action_plan, r.action_plan_sent_on,
        COALESCE(au.display_name, r.action_plan_sent_by) AS action_plan_sent_by,
        CAST((SELECT COUNT(*) FROM quality_visit_corrections c WHERE c.visit_id = r.visit_id) AS BIGINT) AS corrections,
        CAST((SELECT COUNT(*) FROM quality_visit_corrections c WHERE c.visit_id = r.visit_id AND c.decision IS NULL) AS BIGINT) AS undecided
     FROM quality_visit_reports r
     JOIN quality_visits v ON v.id = r.visit_id
     JOIN services s ON s.id = v.service_id
     JOIN providers p ON p.id = s.provider_id
     LEFT JOIN users pu ON pu.email = r.published_by
     LEFT JOIN users au ON au.email = r.action_plan_sent_by";

impl TryFrom<ReportRow> for VisitReport {
    type Error = StoreError;
    fn try_from(r: ReportRow) -> Result<VisitReport> {
        let overall = match r.overall.as_deref() {
            Some(o) => Some(StoreError::decode("quality_visit_reports", "overall", o)?),
            None => None,
        };
        Ok(VisitReport {
            visit_id: r.visit_id,
            service_id: r.service_id,
            service_name: r.service_name,
            provider_id: r.provider_id,
            provider_name: r.provider_name,
            visit_date: r.visit_date,
            sent_on: r.sent_on,
            check_ends_on: r.check_ends_on,
            overall,
            published_on: r.published_on,
            published_by: r.published_by,
            action_plan_due_on: r.action_plan_due_on,
            action_plan: r.action_plan,
            action_plan_sent_on: r.action_plan_sent_on,
            action_plan_sent_by: r.action_plan_sent_by,
            corrections: r.corrections,
            undecided: r.undecided,
        })
    }
}

#[derive(sqlx::FromRow)]
struct CorrectionRow {
    id: String,
    visit_id: String,
    part: String,
    part_label: String,
    correction: String,
    sent_by: String,
    sent_at: String,
    decision: Option<String>,
    reason: Option<String>,
    decided_by: Option<String>,
    decided_at: Option<String>,
}

/// The columns [`report_row`] fills, in its order.
pub(crate) const REPORT_COLUMNS: [&str; 6] = ["visit_id", "sent_on", "check_ends_on", "overall", "created_at", "updated_at"];

/// A finalised quality visit's draft report, sent to the provider for its check on `sent_on`:
/// the check's end and the overall result are core's rules.
pub(crate) fn report_row(visit_id: &str, judgements: &[Judgement], sent_on: Date, now: &str) -> Vec<crate::bulk::Value> {
    let overall = rules::overall_result(judgements.iter().copied());
    vec![
        visit_id.into(),
        sent_on.to_string().into(),
        rules::check_ends_on(sent_on).to_string().into(),
        overall.map(|o| o.as_str().to_string()).into(),
        now.into(),
        now.into(),
    ]
}

/// Save the report row of a visit being finalised (in its transaction): sent to the provider on
/// `sent_on`, with the overall result of its judgements.
pub(crate) async fn send_report(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    actor: &Actor,
    visit_id: &str,
    what: &str,
    judgements: &[Judgement],
    sent_on: Date,
) -> Result<()> {
    let overall = rules::overall_result(judgements.iter().copied());
    let ends = rules::check_ends_on(sent_on);
    let row = report_row(visit_id, judgements, sent_on, &now_timestamp());
    crate::bulk::insert_rows(tx, "quality_visit_reports", &REPORT_COLUMNS, vec![row]).await?;
    record(
        tx,
        actor,
        "create",
        "quality_visit_report",
        Some(visit_id),
        &format!("Draft report of the {what} sent to the provider for a factual accuracy check until {ends}"),
        None,
        Some(&json!({"sent_on": sent_on.to_string(), "check_ends_on": ends.to_string(), "overall": overall.map(|o| o.as_str())})),
    )
    .await?;
    Ok(())
}

impl Store {
    /// A visit's report, or none when the visit is a draft or was finalised before fact-checks.
    pub async fn visit_report(&self, visit_id: &str) -> Result<Option<VisitReport>> {
        let row: Option<ReportRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{REPORT_SELECT} WHERE r.visit_id = $1")))
            .bind(visit_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(VisitReport::try_from).transpose()
    }

    /// Reports matching the filter, newest visit first.
    pub async fn visit_reports(&self, f: &ReportFilter) -> Result<Vec<VisitReport>> {
        let mut w = crate::query::SqlBuilder::new(" WHERE 1=1");
        if let Some(p) = &f.provider_id {
            w.and_bind("s.provider_id = {}", p);
        }
        if f.drafts_only {
            w.and_raw("r.published_on IS NULL");
        }
        if let Some(ids) = &f.service_ids {
            w.and_in("v.service_id", ids.iter().map(String::as_str));
        }
        let rows: Vec<ReportRow> =
            w.wrapped(REPORT_SELECT, " ORDER BY v.visit_date DESC, r.visit_id").query_as().fetch_all(&self.pool).await?;
        rows.into_iter().map(VisitReport::try_from).collect()
    }

    /// A report's corrections, oldest first, with names for people.
    pub async fn visit_corrections(&self, visit_id: &str) -> Result<Vec<Correction>> {
        let rows: Vec<CorrectionRow> = sqlx::query_as(
            "SELECT c.id, c.visit_id, c.part, c.part_label, c.correction, COALESCE(su.display_name, c.sent_by) AS sent_by, c.sent_at,
                    c.decision, c.reason, COALESCE(du.display_name, c.decided_by) AS decided_by, c.decided_at
             FROM quality_visit_corrections c
             LEFT JOIN users su ON su.email = c.sent_by
             LEFT JOIN users du ON du.email = c.decided_by
             WHERE c.visit_id = $1 ORDER BY c.sent_at, c.id",
        )
        .bind(visit_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                let decision = match r.decision.as_deref() {
                    Some(d) => Some(StoreError::decode("quality_visit_corrections", "decision", d)?),
                    None => None,
                };
                Ok(Correction {
                    id: r.id,
                    visit_id: r.visit_id,
                    part: r.part,
                    part_label: r.part_label,
                    correction: r.correction,
                    sent_by: r.sent_by,
                    sent_at: r.sent_at,
                    decision,
                    reason: r.reason,
                    decided_by: r.decided_by,
                    decided_at: r.decided_at,
                })
            })
            .collect()
    }

    /// The parts of a report a correction can name: the written report, then each scored
    /// standard, as (part, label).
    pub async fn report_parts(&self, visit_id: &str) -> Result<Vec<(String, String)>> {
        let mut parts = vec![(WHOLE_REPORT.to_string(), "The written report".to_string())];
        parts.extend(
            self.visit_scores(visit_id)
                .await?
                .into_iter()
                .map(|s| (s.standard_id, format!("{} {} (judged {})", s.code, s.title, s.judgement.label()))),
        );
        Ok(parts)
    }

    /// The provider's report (a report of another provider is "not found").
    async fn own_report(&self, provider_id: &str, visit_id: &str) -> Result<VisitReport> {
        match self.visit_report(visit_id).await? {
            Some(r) if r.provider_id == provider_id => Ok(r),
            _ => Err(StoreError::NotFound(format!("visit report {visit_id}"))),
        }
    }

    /// A provider's factual correction to its own draft report, within the window.
    pub async fn send_correction(
        &self,
        actor: &Actor,
        provider_id: &str,
        visit_id: &str,
        part: &str,
        text: &str,
        today: Date,
    ) -> Result<String> {
        let report = self.own_report(provider_id, visit_id).await?;
        rules::may_correct(report.is_published(), report.ends()?, today).map_err(|m| StoreError::invalid("correction", m))?;
        let parts = self.report_parts(visit_id).await?;
        let codes: Vec<String> = parts.iter().map(|(p, _)| p.clone()).collect();
        rules::check_correction(&codes, part, text)?;
        let label = parts.iter().find(|(p, _)| p == part).map(|(_, l)| l.clone()).unwrap_or_default();
        let id = new_id();
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO quality_visit_corrections (id, visit_id, part, part_label, correction, sent_by, sent_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(visit_id)
        .bind(part)
        .bind(&label)
        .bind(text.trim())
        .bind(&actor.label)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            actor,
            "create",
            "quality_visit_correction",
            Some(&id),
            &format!("Factual correction sent on the report of the visit to {} on {} ({label})", report.service_name, report.visit_date),
            None,
            Some(&json!({"visit_id": visit_id, "part": part, "correction": text.trim()})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The officer's decision on one correction of a draft report.
    pub async fn decide_correction(
        &self,
        actor: &Actor,
        visit_id: &str,
        correction_id: &str,
        decision: Option<Decision>,
        reason: &str,
    ) -> Result<Decision> {
        let report = self.visit_report(visit_id).await?.ok_or_else(|| StoreError::NotFound(format!("visit report {visit_id}")))?;
        let c = self
            .visit_corrections(visit_id)
            .await?
            .into_iter()
            .find(|c| c.id == correction_id)
            .ok_or_else(|| StoreError::NotFound(format!("correction {correction_id}")))?;
        let d = rules::check_decision(decision, reason, c.decision, report.is_published())?;
        let reason = Some(reason.trim()).filter(|r| !r.is_empty());
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE quality_visit_corrections SET decision = $1, reason = $2, decided_by = $3, decided_at = $4
             WHERE id = $5 AND visit_id = $6 AND decision IS NULL",
        )
        .bind(d.as_str())
        .bind(reason)
        .bind(&actor.label)
        .bind(now_timestamp())
        .bind(correction_id)
        .bind(visit_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::Conflict("This correction has already been decided".into()));
        }
        record(
            &mut tx,
            actor,
            "update",
            "quality_visit_correction",
            Some(correction_id),
            &format!("Correction to the report of the visit to {} ({}) {}", report.service_name, c.part_label, d.label().to_lowercase()),
            Some(&json!({"decision": null})),
            Some(&json!({"decision": d.as_str(), "reason": reason})),
        )
        .await?;
        tx.commit().await?;
        Ok(d)
    }

    /// Publish a draft report once core allows it; a Requires Improvement or Poor result gets
    /// its action plan due date.
    pub async fn publish_visit_report(&self, actor: &Actor, visit_id: &str, today: Date) -> Result<()> {
        let report = self.visit_report(visit_id).await?.ok_or_else(|| StoreError::NotFound(format!("visit report {visit_id}")))?;
        rules::may_publish(report.is_published(), report.undecided as usize, report.corrections as usize, report.ends()?, today)
            .map_err(StoreError::Conflict)?;
        let plan_due = report.needs_action_plan().then(|| rules::action_plan_due_on(today).to_string());
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE quality_visit_reports SET published_on = $1, published_by = $2, action_plan_due_on = $3, updated_at = $4
             WHERE visit_id = $5 AND published_on IS NULL
               AND NOT EXISTS (SELECT 1 FROM quality_visit_corrections c WHERE c.visit_id = $5 AND c.decision IS NULL)",
        )
        .bind(today.to_string())
        .bind(&actor.label)
        .bind(&plan_due)
        .bind(now_timestamp())
        .bind(visit_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::Conflict("This report changed since it was opened: look at it again before publishing".into()));
        }
        record(
            &mut tx,
            actor,
            "update",
            "quality_visit_report",
            Some(visit_id),
            &format!("Report of the visit to {} on {} published", report.service_name, report.visit_date),
            Some(&json!({"published_on": null})),
            Some(&json!({"published_on": today.to_string(), "action_plan_due_on": plan_due})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The provider's action plan for its own published Requires Improvement or Poor report.
    pub async fn send_action_plan(&self, actor: &Actor, provider_id: &str, visit_id: &str, text: &str, today: Date) -> Result<()> {
        let report = self.own_report(provider_id, visit_id).await?;
        rules::check_action_plan(report.needs_action_plan(), report.is_published(), report.action_plan_sent_on.is_some(), text)?;
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE quality_visit_reports SET action_plan = $1, action_plan_sent_on = $2, action_plan_sent_by = $3, updated_at = $4
             WHERE visit_id = $5 AND action_plan_sent_on IS NULL",
        )
        .bind(text.trim())
        .bind(today.to_string())
        .bind(&actor.label)
        .bind(now_timestamp())
        .bind(visit_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::invalid("action_plan", "The action plan for this report has already been sent"));
        }
        record(
            &mut tx,
            actor,
            "update",
            "quality_visit_report",
            Some(visit_id),
            &format!("Action plan sent for the report of the visit to {} on {}", report.service_name, report.visit_date),
            Some(&json!({"action_plan": null})),
            Some(&json!({"action_plan": text.trim(), "action_plan_sent_on": today.to_string()})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The latest overall result of each service's fact-checked quality visits on or before `on`.
    pub(crate) async fn last_visit_results(&self, on: Date) -> Result<std::collections::HashMap<String, Judgement>> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT v.service_id, r.overall FROM quality_visit_reports r JOIN quality_visits v ON v.id = r.visit_id
             WHERE v.visit_date <= $1 AND v.activity = $2 AND r.overall IS NOT NULL
             ORDER BY v.visit_date, v.created_at",
        )
        .bind(on.to_string())
        .bind(caremarket_core::quality::Activity::QualityVisit.as_str())
        .fetch_all(&self.pool)
        .await?;
        let mut out = std::collections::HashMap::new();
        for (service, overall) in rows {
            out.insert(service, StoreError::decode("quality_visit_reports", "overall", &overall)?);
        }
        Ok(out)
    }
}
