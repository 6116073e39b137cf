//! Scoring a draft visit and finalising it. What is accepted and what finalising raises are
//! core's decisions (`caremarket_core::quality::visits::{judge, finalise}`); this file loads
//! what they need and saves what they decided, each in one transaction with its audit rows.

use super::{Visit, VisitScore};
use crate::audit::{Actor, record};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::quality::visits::{ActionDraft, Judged, ScoreInput, StandardRef, finalise, judge};
use caremarket_core::quality::{ActionStatus, VisitStatus};
use caremarket_core::versions::Version;
use serde_json::json;
use std::collections::BTreeMap;

/// A score row as stored, with its standard.
#[derive(sqlx::FromRow)]
struct ScoreRow {
    standard_id: String,
    framework_id: String,
    domain: String,
    code: String,
    title: String,
    judgement: String,
    evidence: Option<String>,
}

impl TryFrom<ScoreRow> for VisitScore {
    type Error = StoreError;
    fn try_from(s: ScoreRow) -> Result<VisitScore> {
        Ok(VisitScore {
            judgement: StoreError::decode("quality_visit_scores", "judgement", &s.judgement)?,
            standard_id: s.standard_id,
            framework_id: s.framework_id,
            domain: s.domain,
            code: s.code,
            title: s.title,
            evidence: s.evidence,
        })
    }
}

impl Store {
    /// A visit's judgements in framework order (the standards framework first, then outcomes).
    pub async fn visit_scores(&self, visit_id: &str) -> Result<Vec<VisitScore>> {
        let rows: Vec<ScoreRow> = sqlx::query_as(
            "SELECT q.standard_id, st.framework_id, st.domain, st.code, st.title, q.judgement, q.evidence
             FROM quality_visit_scores q JOIN qa_standards st ON st.id = q.standard_id JOIN qa_frameworks f ON f.id = st.framework_id
             WHERE q.visit_id = $1 ORDER BY f.purpose DESC, st.position, st.code",
        )
        .bind(visit_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(VisitScore::try_from).collect()
    }

    /// Save a draft visit's judgements (replacing the earlier ones) and its report. What is
    /// accepted is core's `judge`; a finalised visit cannot be rescored. Made from version
    /// `expected` of the visit (decision 25): a visit whose details, scores or report were saved
    /// since is refused (`Stale`), and nothing of this save is written.
    pub async fn score_visit(
        &self,
        actor: &Actor,
        visit_id: &str,
        scores: &[ScoreInput],
        report: Option<&str>,
        expected: Version,
    ) -> Result<()> {
        let visit = self.visit(visit_id).await?;
        if visit.is_final() {
            return Err(StoreError::Conflict("This visit has been finalised: its scores can no longer be changed".into()));
        }
        crate::versions::check_current(visit.version, expected)?;
        let mut allowed: Vec<StandardRef> = Vec::new();
        for fid in [&visit.framework_id, &visit.outcomes_framework_id].into_iter().flatten() {
            for s in self.qa_standards(fid, true).await? {
                allowed.push(StandardRef { id: s.id, code: s.code, title: s.title });
            }
        }
        let judged = judge(&allowed, scores)?;
        let codes: BTreeMap<&str, &str> = allowed.iter().map(|s| (s.id.as_str(), s.code.as_str())).collect();
        let before = self.visit_scores(visit_id).await?;
        let report = report.map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
        let mut tx = self.begin_write().await?;
        // The version first: a save that lost the race changes nothing, scores included.
        let changed = sqlx::query(
            "UPDATE quality_visits SET report = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND version = $4 AND status = $5",
        )
        .bind(&report)
        .bind(now_timestamp())
        .bind(visit_id)
        .bind(expected.get())
        .bind(VisitStatus::Draft.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            // Finalised since it was read (finalising does not raise the version).
            let status: Option<String> =
                sqlx::query_scalar("SELECT status FROM quality_visits WHERE id = $1").bind(visit_id).fetch_optional(&mut *tx).await?;
            if status.as_deref() == Some(VisitStatus::Final.as_str()) {
                return Err(StoreError::Conflict("This visit has been finalised: its scores can no longer be changed".into()));
            }
        }
        crate::versions::saved(&mut tx, crate::versions::Versioned::QualityVisits, visit_id, changed).await?;
        sqlx::query("DELETE FROM quality_visit_scores WHERE visit_id = $1").bind(visit_id).execute(&mut *tx).await?;
        // One statement for the visit's judgements (a framework has 15 to 20 standards).
        crate::bulk::insert_rows(&mut tx, "quality_visit_scores", &SCORE_COLUMNS, score_rows(visit_id, &judged)).await?;
        let after: Vec<_> = judged
            .iter()
            .map(|j| json!({"standard_id": j.standard_id, "code": codes.get(j.standard_id.as_str()), "judgement": j.judgement.as_str(), "evidence": j.evidence}))
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

    /// Finalise a visit, raising the actions core's `finalise` decides on the service's action
    /// plan in the same transaction; returns how many were raised. Finalising a visit that is
    /// already final raises nothing and returns 0.
    pub async fn finalise_visit(&self, actor: &Actor, visit_id: &str, drafts: &[ActionDraft]) -> Result<usize> {
        self.finalise_visit_on(actor, visit_id, drafts, crate::today()).await
    }

    /// [`Store::finalise_visit`] on the council's date `today`: a quality visit's report goes to
    /// the provider as a draft for its factual accuracy check from that day (decision 42).
    pub async fn finalise_visit_on(&self, actor: &Actor, visit_id: &str, drafts: &[ActionDraft], today: Date) -> Result<usize> {
        let visit = self.visit(visit_id).await?;
        if visit.is_final() {
            return Ok(0);
        }
        let visit_date: Date = StoreError::decode("quality_visits", "visit_date", &visit.visit_date)?;
        let scores = self.visit_scores(visit_id).await?;
        let actions = finalise(visit_date, visit.report.as_deref(), &scores, drafts)?;
        let mut tx = self.begin_write().await?;
        // Only a draft becomes final, so a concurrent second finalise raises nothing.
        let changed = sqlx::query("UPDATE quality_visits SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4")
            .bind(VisitStatus::Final.as_str())
            .bind(now_timestamp())
            .bind(visit_id)
            .bind(VisitStatus::Draft.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed == 0 {
            return Ok(0);
        }
        if visit.activity == caremarket_core::quality::Activity::QualityVisit {
            let judgements: Vec<_> = scores.iter().map(|s| s.judgement).collect();
            let what = format!("visit to {} on {}", visit.service_name, visit.visit_date);
            crate::quality::fact_check::send_report(&mut tx, actor, visit_id, &what, &judgements, today.max(visit_date)).await?;
        }
        let mut raised = 0;
        for a in &actions {
            if raise_action(&mut tx, actor, &visit, a).await? {
                raised += 1;
            }
        }
        record(
            &mut tx,
            actor,
            "update",
            "quality_visit",
            Some(visit_id),
            &format!("Visit to {} on {} finalised; {raised} actions raised", visit.service_name, visit.visit_date),
            Some(&json!({"status": VisitStatus::Draft.as_str()})),
            Some(&json!({"status": VisitStatus::Final.as_str(), "actions_raised": raised})),
        )
        .await?;
        tx.commit().await?;
        Ok(raised)
    }
}

/// Save one raised action with its audit row; `false` when the visit already raised one for
/// the standard.
async fn raise_action(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    actor: &Actor,
    visit: &Visit,
    a: &caremarket_core::quality::visits::RaisedAction,
) -> Result<bool> {
    let exists: Option<String> = sqlx::query_scalar("SELECT id FROM quality_actions WHERE visit_id = $1 AND standard_id = $2")
        .bind(&visit.id)
        .bind(&a.standard_id)
        .fetch_optional(&mut **tx)
        .await?;
    if exists.is_some() {
        return Ok(false);
    }
    let id = new_id();
    let row = action_row(&id, &visit.service_id, &visit.id, a, &now_timestamp());
    crate::bulk::insert_rows(tx, "quality_actions", &ACTION_COLUMNS, vec![row]).await?;
    record(
        tx,
        actor,
        "create",
        "quality_action",
        Some(&id),
        &format!("Action raised for {} at {} ({})", a.code, visit.service_name, a.judgement.label()),
        None,
        Some(&json!({"service_id": visit.service_id, "visit_id": visit.id, "standard_id": a.standard_id, "judgement": a.judgement.as_str(), "title": a.title, "owner": a.owner, "due_on": a.due_on.to_string()})),
    )
    .await?;
    Ok(true)
}

/// The columns [`score_rows`] fills, in its order.
pub(crate) const SCORE_COLUMNS: [&str; 5] = ["id", "visit_id", "standard_id", "judgement", "evidence"];

/// A visit's judgements as rows for [`SCORE_COLUMNS`].
pub(crate) fn score_rows(visit_id: &str, judged: &[Judged]) -> Vec<Vec<crate::bulk::Value>> {
    judged
        .iter()
        .map(|j| {
            vec![new_id().into(), visit_id.into(), j.standard_id.as_str().into(), j.judgement.as_str().into(), j.evidence.clone().into()]
        })
        .collect()
}

/// The columns [`action_row`] fills, in its order.
pub(crate) const ACTION_COLUMNS: [&str; 12] = [
    "id",
    "service_id",
    "visit_id",
    "standard_id",
    "judgement",
    "title",
    "detail",
    "owner",
    "due_on",
    "status",
    "created_at",
    "updated_at",
];

/// An action a finalised visit raised, open, as a row for [`ACTION_COLUMNS`].
pub(crate) fn action_row(
    id: &str,
    service_id: &str,
    visit_id: &str,
    a: &caremarket_core::quality::visits::RaisedAction,
    now: &str,
) -> Vec<crate::bulk::Value> {
    vec![
        id.into(),
        service_id.into(),
        visit_id.into(),
        a.standard_id.as_str().into(),
        a.judgement.as_str().into(),
        a.title.as_str().into(),
        a.detail.clone().into(),
        a.owner.as_str().into(),
        a.due_on.to_string().into(),
        ActionStatus::Open.as_str().into(),
        now.into(),
        now.into(),
    ]
}
