//! Quality visits recorded, scored and finalised in bulk (the demo, issue 18 item 5).
//!
//! The ordinary path is [`Store::create_visit`], [`Store::score_visit`] and
//! [`Store::finalise_visit_on`]: three transactions and 30 to 40 statements a visit. Here each
//! visit is checked as `create_visit` checks it (core's `NewVisit::check`, the service, the
//! frameworks), its judgements are core's `judge` over its frameworks' standards as in
//! `score_visit`, and a finalised visit's actions are core's `finalise` as in
//! `finalise_visit_on`, before anything is written. The rows are the ones the three calls leave:
//! the visit (scored once, so at version 2), its judgements, the draft report sent to the
//! provider for a quality visit, and each action raised, open.

use super::{BatchAudit, TableRows, in_row};
use crate::audit::Actor;
use crate::quality::fact_check::{REPORT_COLUMNS, report_row};
use crate::quality::frameworks::{QaFramework, Standard};
use crate::quality::visits::{
    ACTION_COLUMNS, SCORE_COLUMNS, VISIT_COLUMNS, action_row, check_visit_framework, score_rows, visit_frameworks, visit_row,
};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::quality::visits::{ActionDraft, NewVisit, ScoreInput, StandardRef, VisitScore, finalise, judge};
use caremarket_core::quality::{Activity, VisitStatus};
use caremarket_core::text::count;
use serde_json::json;
use std::collections::{BTreeSet, HashMap};

/// A visit to record with its judgements and report, and, when `finalised` is given, the day
/// it was finalised (its report sent to the provider) with the officer's action drafts.
#[derive(Debug, Clone)]
pub struct NewRecordedVisit {
    pub visit: NewVisit,
    pub scores: Vec<ScoreInput>,
    pub report: Option<String>,
    pub finalised: Option<(Date, Vec<ActionDraft>)>,
}

impl Store {
    /// Visits as [`Store::create_visit`], [`Store::score_visit`] (with the report) and, for
    /// those with `finalised`, [`Store::finalise_visit_on`] would write them, in one transaction
    /// with one audit entry for the batch. Refused whole, naming the row, if any visit fails
    /// their checks. `today` is the council's today. Returns the visits' ids in order.
    pub async fn bulk_record_visits(&self, actor: &Actor, visits: &[NewRecordedVisit], today: Date) -> Result<Vec<String>> {
        if visits.is_empty() {
            return Ok(Vec::new());
        }
        let services: BTreeSet<&str> = visits.iter().map(|v| v.visit.service_id.as_str()).collect();
        let facts = self.service_facts(&services).await?;
        let frameworks: HashMap<String, QaFramework> = self.qa_frameworks().await?.into_iter().map(|f| (f.id.clone(), f)).collect();
        let mut standards: HashMap<&str, Vec<Standard>> = HashMap::new();
        for v in visits {
            for (_, id, _) in visit_frameworks(&v.visit) {
                if !standards.contains_key(id) && frameworks.contains_key(id) {
                    standards.insert(id, self.qa_standards(id, true).await?);
                }
            }
        }

        let now = now_timestamp();
        let (mut visit_rows, mut scores, mut reports, mut actions) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut ids = Vec::with_capacity(visits.len());
        for (i, r) in visits.iter().enumerate() {
            let v = &r.visit;
            let service = facts
                .get(&v.service_id)
                .ok_or_else(|| in_row("visits", i, StoreError::invalid("service_id", "Choose a service from the register")))?;
            v.check(today).map_err(|e| in_row("visits", i, e.into()))?;
            let mut allowed: Vec<(&QaFramework, &Standard)> = Vec::new();
            for (field, id, purpose) in visit_frameworks(v) {
                let f = frameworks.get(id);
                check_visit_framework(field, f, purpose, service.kind).map_err(|e| in_row("visits", i, e))?;
                if let Some(f) = f {
                    allowed.extend(standards.get(id).into_iter().flatten().map(|s| (f, s)));
                }
            }
            let refs: Vec<StandardRef> =
                allowed.iter().map(|(_, s)| StandardRef { id: s.id.clone(), code: s.code.clone(), title: s.title.clone() }).collect();
            let judged = judge(&refs, &r.scores).map_err(|e| in_row("visits", i, e.into()))?;
            let report = r.report.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_string);
            let id = new_id();
            let mut status = VisitStatus::Draft;
            if let Some((on, drafts)) = &r.finalised {
                // The judgements as `visit_scores` reads them back: standards framework first,
                // then outcomes, each in its standards' order.
                let mut read: Vec<(&str, i64, &str, VisitScore)> = judged
                    .iter()
                    .filter_map(|j| allowed.iter().find(|(_, s)| s.id == j.standard_id).map(|(f, s)| (f, s, j)))
                    .map(|(f, s, j)| {
                        let score = VisitScore {
                            standard_id: s.id.clone(),
                            framework_id: s.framework_id.clone(),
                            domain: s.domain.clone(),
                            code: s.code.clone(),
                            title: s.title.clone(),
                            judgement: j.judgement,
                            evidence: j.evidence.clone(),
                        };
                        (f.purpose.as_str(), s.position, s.code.as_str(), score)
                    })
                    .collect();
                read.sort_by(|a, b| b.0.cmp(a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(b.2)));
                let read: Vec<VisitScore> = read.into_iter().map(|(_, _, _, s)| s).collect();
                let raised = finalise(v.visit_date, report.as_deref(), &read, drafts).map_err(|e| in_row("visits", i, e.into()))?;
                if v.activity == Activity::QualityVisit {
                    let judgements: Vec<_> = read.iter().map(|s| s.judgement).collect();
                    reports.push(report_row(&id, &judgements, (*on).max(v.visit_date), &now));
                }
                let mut seen = BTreeSet::new();
                for a in raised.iter().filter(|a| seen.insert(a.standard_id.clone())) {
                    actions.push(action_row(&new_id(), &v.service_id, &id, a, &now));
                }
                status = VisitStatus::Final;
            }
            let mut row = visit_row(&id, v, report, status, &actor.label, &now);
            // Scored once after it was recorded.
            row.push(2i64.into());
            visit_rows.push(row);
            scores.extend(score_rows(&id, &judged));
            ids.push(id);
        }

        let (n_scores, n_actions, n_final) = (scores.len(), actions.len(), reports.len());
        let columns: Vec<&str> = VISIT_COLUMNS.iter().copied().chain(["version"]).collect();
        self.write_batch(
            actor,
            vec![
                TableRows { table: "quality_visits", columns: &columns, rows: visit_rows },
                TableRows { table: "quality_visit_scores", columns: &SCORE_COLUMNS, rows: scores },
                TableRows { table: "quality_visit_reports", columns: &REPORT_COLUMNS, rows: reports },
                TableRows { table: "quality_actions", columns: &ACTION_COLUMNS, rows: actions },
            ],
            BatchAudit { entity_type: "quality_visit", summary: format!(
                "{} generated for {}, with {}, {} sent and {} raised (bulk load)",
                count(visits.len() as i64, "visit", None),
                count(services.len() as i64, "service", None),
                count(n_scores as i64, "judgement", None),
                count(n_final as i64, "draft report", None),
                count(n_actions as i64, "action", None)
            ), after: json!({"bulk": true, "visits": visits.len(), "services": services.len(), "judgements": n_scores, "reports": n_final, "actions": n_actions}) },
        )
        .await?;
        Ok(ids)
    }
}
