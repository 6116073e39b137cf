//! The provider's fact-check of visit reports (issue 16 item 14, decision 42). Finalised visits
//! were sent to their providers two days after the visit; those whose 14 days have ended are
//! published, and most Requires Improvement or Poor results have had their action plan (one in
//! five has not: some are overdue). The portal provider also has two fresh reports: one awaiting
//! its check, and one with two corrections waiting for the council's decision.

use caremarket_core::Date;
use caremarket_core::quality::cadence::add_days;
use caremarket_core::quality::{Activity, Judgement, VisitType};
use caremarket_store::quality::fact_check::ReportFilter;
use caremarket_store::quality::visits::{ActionDraft, NewVisit, ScoreInput};
use caremarket_store::register::ServiceFilter;
use caremarket_store::{Actor, Store, StoreError};

const OFFICER: &str = "Quinn Lees (demo quality officer)";
const PORTAL_EMAIL: &str = "provider@demo.caremarket.test";

/// After accounts exist: the portal provider's corrections are sent by its user.
pub async fn generate(store: &Store, portal_provider_id: &str, today: Date) -> Result<(), StoreError> {
    let officer = Actor::system(OFFICER);
    let provider_actor = Actor::system("provider (demo)");
    let drafts = store.visit_reports(&ReportFilter { drafts_only: true, ..Default::default() }).await?;
    for (i, r) in drafts.iter().enumerate() {
        let Ok(ends) = r.check_ends_on.parse::<Date>() else { continue };
        if ends >= today {
            continue;
        }
        let published = add_days(ends, 2).min(today);
        store.publish_visit_report(&officer, &r.visit_id, published).await?;
        let plan_on = add_days(published, 7);
        if r.needs_action_plan() && i % 5 != 0 && plan_on <= today {
            store
                .send_action_plan(
                    &provider_actor,
                    &r.provider_id,
                    &r.visit_id,
                    "For each finding: the registered manager reviews the records weekly, staff are retrained within four weeks, and progress is reported at the monthly contract meeting.",
                    plan_on,
                )
                .await?;
        }
    }

    // Two fresh reports for the portal provider's care homes.
    let homes: Vec<_> = store
        .services(&ServiceFilter {
            provider_id: Some(portal_provider_id.to_string()),
            any_area: true,
            registration: Some("all".into()),
            per_page: 1000,
            ..Default::default()
        })
        .await?
        .items
        .into_iter()
        .filter(|s| s.provider_id == portal_provider_id && s.kind.is_care_home() && s.registration_status == "registered")
        .collect();
    let framework = store.qa_framework_by_code("qaf_care_homes").await?;
    let standards = store.qa_standards(&framework.id, false).await?;
    let portal_user = store.users().await?.into_iter().find(|u| u.email == PORTAL_EMAIL);
    let portal_actor = portal_user.map(|u| Actor::user(&u.id, &u.email)).unwrap_or(provider_actor);
    for (n, home) in homes.iter().take(2).enumerate() {
        let visited = add_days(today, -4 - 2 * n as i64);
        let id = store
            .create_visit(
                &officer,
                &NewVisit {
                    service_id: home.id.clone(),
                    activity: Activity::QualityVisit,
                    visit_type: VisitType::Routine,
                    announced: true,
                    visit_date: visited,
                    officers: "Q Lees".into(),
                    people_spoken_to: 5,
                    relatives_spoken_to: 2,
                    staff_spoken_to: 4,
                    framework_id: Some(framework.id.clone()),
                    outcomes_framework_id: None,
                    feedback_given_on_day: true,
                },
                today,
            )
            .await?;
        let judged = [Judgement::Good, Judgement::RequiresImprovement, Judgement::Good, Judgement::Excellent];
        let scores: Vec<ScoreInput> = standards
            .iter()
            .zip(judged)
            .map(|(s, j)| ScoreInput {
                standard_id: s.id.clone(),
                judgement: j.as_str().into(),
                evidence: Some(format!(
                    "{}: {}",
                    s.title,
                    if j.raises_action() { "gaps found in the records seen" } else { "records and practice seen" }
                )),
            })
            .collect();
        let report = "Routine announced visit. Care plans, medication records and staff training were checked and people were asked for their views. Medication records had gaps in signatures on two units; staff training was up to date.";
        store.score_visit(&officer, &id, &scores, Some(report), caremarket_core::versions::Version::FIRST).await?;
        let raised: Vec<ActionDraft> = standards
            .iter()
            .zip(judged)
            .filter(|(_, j)| j.raises_action())
            .map(|(s, _)| ActionDraft {
                standard_id: s.id.clone(),
                title: format!("{}: {}", s.code, s.title),
                owner: "Registered manager".into(),
                due_on: Some(add_days(visited, 42)),
            })
            .collect();
        store.finalise_visit_on(&officer, &id, &raised, add_days(visited, 2)).await?;
        if n == 1 {
            let sent = add_days(visited, 4);
            store
                .send_correction(
                    &portal_actor,
                    portal_provider_id,
                    &id,
                    caremarket_core::quality::fact_check::WHOLE_REPORT,
                    "The report says medication records had gaps on two units; the gaps were on one unit only (the first floor), as the audit shown on the day recorded.",
                    sent,
                )
                .await?;
            if let Some(s) = raised.first() {
                store
                    .send_correction(
                        &portal_actor,
                        portal_provider_id,
                        &id,
                        &s.standard_id,
                        "The evidence says records were incomplete; the missing entries were on the electronic system, which the officer did not ask to see.",
                        sent,
                    )
                    .await?;
            }
        }
    }
    Ok(())
}
