//! The provider's fact-check of a visit report (issue 16 item 14, decision 42) on both backends:
//! finalising a quality visit sends its report as a draft with 14 days for corrections; a
//! provider corrects only its own reports and only while the days run; declining needs a
//! reason; publishing waits for every decision (or the end of the days); a Requires Improvement
//! or Poor result needs an action plan within 14 days of publication and puts the service on the
//! six-monthly re-visit rule; every change is audited.

use caremarket_core::quality::cadence::add_days;
use caremarket_core::quality::fact_check::{ACTION_PLAN_DAYS, Decision, FACT_CHECK_DAYS, Stage, WHOLE_REPORT, overall_result};
use caremarket_core::quality::{Activity, Judgement, VisitType};
use caremarket_core::register::ServiceKind;
use caremarket_store::quality::cadence::DueFilter;
use caremarket_store::quality::fact_check::ReportFilter;
use caremarket_store::quality::visits::{ActionDraft, NewVisit, ScoreInput};
use caremarket_store::register::NewService;
use caremarket_store::{Actor, AuditQuery, Store, StoreError};
use jiff::civil::{Date, date};

fn officer() -> Actor {
    Actor::user("officer-1", "quality@test.gov.uk")
}

fn provider_user() -> Actor {
    Actor::user("provider-1", "manager@oak.test")
}

fn svc(provider_id: &str, name: &str) -> NewService {
    NewService { beds: Some(30), ..caremarket_testkit::service(provider_id, name, ServiceKind::CareHomeResidential) }
}

const VISITED: Date = date(2025, 5, 10);
const SENT: Date = date(2025, 5, 12);

/// A finalised quality visit to a new home of a new provider, judged as given; returns
/// (provider, service, visit).
async fn finalised(s: &Store, name: &str, judged: &[Judgement]) -> (String, String, String) {
    let a = Actor::system("test");
    let provider = s.create_provider(&a, None, &format!("{name} Ltd"), None, None).await.expect("provider");
    let home = s.create_service(&a, &svc(&provider, name)).await.expect("home");
    let qaf = s.qa_framework_by_code("qaf_care_homes").await.expect("qaf");
    let standards = s.qa_standards(&qaf.id, false).await.expect("standards");
    let nv = NewVisit {
        service_id: home.clone(),
        activity: Activity::QualityVisit,
        visit_type: VisitType::Routine,
        announced: true,
        visit_date: VISITED,
        officers: "J Smith".into(),
        people_spoken_to: 1,
        relatives_spoken_to: 0,
        staff_spoken_to: 2,
        framework_id: Some(qaf.id.clone()),
        outcomes_framework_id: None,
        feedback_given_on_day: true,
    };
    let visit = s.create_visit(&officer(), &nv, SENT).await.expect("visit");
    let scores: Vec<ScoreInput> = standards
        .iter()
        .zip(judged)
        .map(|(st, j)| ScoreInput { standard_id: st.id.clone(), judgement: j.as_str().into(), evidence: Some(format!("{} seen", st.code)) })
        .collect();
    s.score_visit(&officer(), &visit, &scores, Some("Records and practice checked."), caremarket_core::versions::Version::FIRST)
        .await
        .expect("score");
    let drafts: Vec<ActionDraft> = standards
        .iter()
        .zip(judged)
        .filter(|(_, j)| j.raises_action())
        .map(|(st, _)| ActionDraft {
            standard_id: st.id.clone(),
            title: String::new(),
            owner: "Manager".into(),
            due_on: Some(add_days(VISITED, 30)),
        })
        .collect();
    s.finalise_visit_on(&officer(), &visit, &drafts, SENT).await.expect("finalise");
    (provider, home, visit)
}

fn field_of(e: StoreError) -> String {
    match e {
        StoreError::Invalid(fe) => fe.field,
        StoreError::InvalidFields(fes) => fes.0.first().map(|f| f.field.clone()).unwrap_or_default(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn corrections_decisions_publication_and_the_action_plan() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let judged = [Judgement::Good, Judgement::RequiresImprovement, Judgement::Excellent];
        let (provider, home, visit) = finalised(&s, "Oak House", &judged).await;
        let (other_provider, _, _) = finalised(&s, "Elm House", &[Judgement::Good]).await;

        // Sent as a draft, with the window and the overall result worked out from the inputs.
        let r = s.visit_report(&visit).await.expect("read").expect("a report");
        let ends = add_days(SENT, FACT_CHECK_DAYS);
        assert_eq!((r.sent_on.as_str(), r.check_ends_on.clone()), ("2025-05-12", ends.to_string()));
        assert_eq!(r.overall, overall_result(judged));
        assert!(r.needs_action_plan() && !r.is_published());
        assert_eq!(r.stage(SENT).expect("stage"), Stage::AwaitingCheck);
        let drafts = s.visit_reports(&ReportFilter { provider_id: Some(provider.clone()), ..Default::default() }).await.expect("list");
        assert_eq!(drafts.iter().map(|d| d.visit_id.as_str()).collect::<Vec<_>>(), [visit.as_str()], "only the provider's own");

        // Not before the end of the days with no corrections.
        assert!(matches!(s.publish_visit_report(&officer(), &visit, SENT).await, Err(StoreError::Conflict(_))));

        // Another provider cannot correct it: "not found".
        let e = s.send_correction(&provider_user(), &other_provider, &visit, WHOLE_REPORT, "x", SENT).await;
        assert!(matches!(e, Err(StoreError::NotFound(_))));
        // Unknown part and empty text are refused, naming the fields.
        let e = s.send_correction(&provider_user(), &provider, &visit, "nonsense", " ", SENT).await.expect_err("bad");
        assert_eq!(field_of(e), "part");
        // After the window: refused with the date it ended.
        let late = s.send_correction(&provider_user(), &provider, &visit, WHOLE_REPORT, "Late", add_days(ends, 1)).await;
        match late {
            Err(StoreError::Invalid(fe)) => assert!(fe.message.contains(&caremarket_core::text::long_date(ends)), "{}", fe.message),
            other => panic!("expected the window to be closed, got {other:?}"),
        }

        let parts = s.report_parts(&visit).await.expect("parts");
        assert_eq!(parts.len(), 1 + judged.len(), "the written report and each judged standard");
        let standard_part = parts[2].0.clone();
        let c1 = s
            .send_correction(&provider_user(), &provider, &visit, WHOLE_REPORT, "The visit lasted two days, not one.", ends)
            .await
            .expect("on the last day");
        let c2 = s
            .send_correction(&provider_user(), &provider, &visit, &standard_part, "The audit was shown on the day.", SENT)
            .await
            .expect("standard");
        let r = s.visit_report(&visit).await.expect("read").expect("report");
        assert_eq!((r.corrections, r.undecided), (2, 2));
        assert_eq!(r.stage(SENT).expect("stage"), Stage::CorrectionsToDecide);
        assert!(matches!(s.publish_visit_report(&officer(), &visit, add_days(ends, 1)).await, Err(StoreError::Conflict(_))), "undecided");

        // Declining needs a reason; a decision is taken once.
        let e = s.decide_correction(&officer(), &visit, &c2, Some(Decision::Declined), " ").await.expect_err("reason");
        assert_eq!(field_of(e), "reason");
        s.decide_correction(&officer(), &visit, &c1, Some(Decision::Accepted), "").await.expect("accept");
        s.decide_correction(&officer(), &visit, &c2, Some(Decision::Declined), "The audit seen was for April.").await.expect("decline");
        let e = s.decide_correction(&officer(), &visit, &c2, Some(Decision::Accepted), "").await.expect_err("twice");
        assert_eq!(field_of(e), "decision");
        let cs = s.visit_corrections(&visit).await.expect("corrections");
        assert_eq!(cs.iter().map(|c| c.decision).collect::<Vec<_>>(), [Some(Decision::Accepted), Some(Decision::Declined)]);
        assert_eq!(cs[1].reason.as_deref(), Some("The audit seen was for April."));
        assert_eq!(cs[1].part_label, parts[2].1);

        // Every correction decided: publishable within the days; the action plan falls due.
        let published = add_days(SENT, 5);
        s.publish_visit_report(&officer(), &visit, published).await.expect("publish");
        let r = s.visit_report(&visit).await.expect("read").expect("report");
        assert_eq!(r.published_on.as_deref(), Some(published.to_string().as_str()));
        let due = add_days(published, ACTION_PLAN_DAYS);
        assert_eq!(r.action_plan_due_on, Some(due.to_string()));
        assert!(!r.action_plan_overdue(due) && r.action_plan_overdue(add_days(due, 1)));
        assert!(s.send_correction(&provider_user(), &provider, &visit, WHOLE_REPORT, "More", published).await.is_err(), "published");
        assert!(matches!(s.publish_visit_report(&officer(), &visit, published).await, Err(StoreError::Conflict(_))), "published once");

        // The action plan: the provider's own, written, once.
        assert!(matches!(s.send_action_plan(&provider_user(), &other_provider, &visit, "x", due).await, Err(StoreError::NotFound(_))));
        assert_eq!(field_of(s.send_action_plan(&provider_user(), &provider, &visit, " ", due).await.expect_err("empty")), "action_plan");
        s.send_action_plan(&provider_user(), &provider, &visit, "Retrain staff by June.", due).await.expect("plan");
        assert_eq!(
            field_of(s.send_action_plan(&provider_user(), &provider, &visit, "Again", due).await.expect_err("twice")),
            "action_plan"
        );
        let r = s.visit_report(&visit).await.expect("read").expect("report");
        assert_eq!((r.action_plan.as_deref(), r.action_plan_overdue(add_days(due, 30))), (Some("Retrain staff by June."), false));

        // A re-visit about six months after the visit: the rule applies to the Requires
        // Improvement home only, counted from the visit.
        let due_list =
            s.due_list(add_days(VISITED, 170), &DueFilter { service_id: Some(home.clone()), ..Default::default() }).await.expect("due");
        let revisit = due_list.iter().find(|d| d.rule_code == "revisit_requires_improvement").expect("the re-visit rule applies");
        assert_eq!(revisit.next_due, add_days(VISITED, 182).to_string());
        let all = s.due_list(add_days(VISITED, 170), &DueFilter::default()).await.expect("due");
        assert_eq!(all.iter().filter(|d| d.rule_code == "revisit_requires_improvement").count(), 1, "not the Good home");

        // Audited: the report sent, two corrections, two decisions, publication, the plan.
        let report_audit = s
            .audit_entries(&AuditQuery { entity_type: Some("quality_visit_report".into()), limit: 100, ..Default::default() })
            .await
            .expect("audit")
            .0;
        assert_eq!(report_audit.iter().filter(|e| e.entity_id.as_deref() == Some(visit.as_str())).count(), 3);
        let correction_audit = s
            .audit_entries(&AuditQuery { entity_type: Some("quality_visit_correction".into()), limit: 100, ..Default::default() })
            .await
            .expect("audit")
            .0;
        assert_eq!(correction_audit.len(), 4);
    }
}

#[tokio::test]
async fn a_good_report_publishes_after_the_days_with_no_plan() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let (provider, _, visit) = finalised(&s, "Ash House", &[Judgement::Good, Judgement::Excellent]).await;
        let r = s.visit_report(&visit).await.expect("read").expect("report");
        assert_eq!(r.overall, Some(Judgement::Good));
        let after = add_days(SENT, FACT_CHECK_DAYS + 1);
        assert_eq!(r.stage(after).expect("stage"), Stage::ReadyToPublish);
        s.publish_visit_report(&officer(), &visit, after).await.expect("publish");
        let r = s.visit_report(&visit).await.expect("read").expect("report");
        assert_eq!((r.action_plan_due_on.as_deref(), r.needs_action_plan()), (None, false));
        assert_eq!(
            field_of(s.send_action_plan(&provider_user(), &provider, &visit, "Plan", after).await.expect_err("none")),
            "action_plan"
        );
        let drafts = s.visit_reports(&ReportFilter { drafts_only: true, ..Default::default() }).await.expect("drafts");
        assert!(drafts.iter().all(|d| d.visit_id != visit));
    }
}
