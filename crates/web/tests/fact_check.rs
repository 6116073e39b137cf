//! The provider's fact-check of a visit report through the pages (issue 16 item 14, decision
//! 42): the draft reaches the provider's portal with the date its days end, and no other
//! provider; a correction needs a part and text; the officer declines only with a reason, then
//! publishes; the provider sees the decision and sends the action plan a Requires Improvement
//! result needs; the queues on both home pages count what waits.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::quality::cadence::add_days;
use caremarket_core::quality::fact_check::{ACTION_PLAN_DAYS, FACT_CHECK_DAYS};
use caremarket_core::quality::{Activity, Judgement, VisitType};
use caremarket_core::register::ServiceKind;
use caremarket_core::text::long_date;
use caremarket_store::quality::visits::{ActionDraft, NewVisit, ScoreInput};
use caremarket_store::register::NewService;
use caremarket_store::{Actor, Store};
use common::Client;

fn svc(provider_id: &str, name: &str) -> NewService {
    NewService { beds: Some(20), ..caremarket_testkit::service(provider_id, name, ServiceKind::CareHomeResidential) }
}

/// A quality visit three days ago, judged as given and finalised today.
async fn finalised(store: &Store, service: &str, judged: &[Judgement], report: &str) -> String {
    let a = Actor::system("test");
    let today = caremarket_store::today();
    let qaf = store.qa_framework_by_code("qaf_care_homes").await.expect("qaf");
    let standards = store.qa_standards(&qaf.id, false).await.expect("standards");
    let visited = add_days(today, -3);
    let nv = NewVisit {
        service_id: service.into(),
        activity: Activity::QualityVisit,
        visit_type: VisitType::Routine,
        announced: true,
        visit_date: visited,
        officers: "J Smith".into(),
        people_spoken_to: 2,
        relatives_spoken_to: 1,
        staff_spoken_to: 3,
        framework_id: Some(qaf.id.clone()),
        outcomes_framework_id: None,
        feedback_given_on_day: true,
    };
    let visit = store.create_visit(&a, &nv, today).await.expect("visit");
    let scores: Vec<ScoreInput> = standards
        .iter()
        .zip(judged)
        .map(|(s, j)| ScoreInput {
            standard_id: s.id.clone(),
            judgement: j.as_str().into(),
            evidence: Some(format!("Evidence for {}", s.code)),
        })
        .collect();
    store.score_visit(&a, &visit, &scores, Some(report), caremarket_core::versions::Version::FIRST).await.expect("score");
    let drafts: Vec<ActionDraft> = standards
        .iter()
        .zip(judged)
        .filter(|(_, j)| j.raises_action())
        .map(|(s, _)| ActionDraft {
            standard_id: s.id.clone(),
            title: String::new(),
            owner: "Manager".into(),
            due_on: Some(add_days(today, 30)),
        })
        .collect();
    store.finalise_visit(&a, &visit, &drafts).await.expect("finalise");
    visit
}

#[tokio::test]
async fn a_report_is_checked_corrected_decided_published_and_answered_with_an_action_plan() {
    let mut officer = Client::sqlite().await;
    let store = officer.store.clone();
    let a = Actor::system("test");
    let today = caremarket_store::today();
    let oak = store.create_provider(&a, None, "Oak Care Ltd", None, None).await.expect("p");
    let elm = store.create_provider(&a, None, "Elm Care Ltd", None, None).await.expect("p");
    let oak_home = store.create_service(&a, &svc(&oak, "Oak House")).await.expect("s");
    let elm_home = store.create_service(&a, &svc(&elm, "Elm House")).await.expect("s");
    let judged = [Judgement::Good, Judgement::RequiresImprovement, Judgement::Excellent];
    let oak_visit = finalised(&store, &oak_home, &judged, "Medication records had gaps on two units.").await;
    let elm_visit = finalised(&store, &elm_home, &[Judgement::Good], "All well at Elm.").await;

    officer.user("quality@test.gov.uk", Role::QualityOfficer, None).await;
    officer.user_named("manager@oak.test", "Olive Oakes", Role::Provider, Some(&oak)).await;
    officer.user("manager@elm.test", Role::Provider, Some(&elm)).await;
    officer.sign_in_as("quality@test.gov.uk").await;
    let mut oak_user = Client::new(store.clone());
    oak_user.sign_in_as("manager@oak.test").await;
    let mut elm_user = Client::new(store.clone());
    elm_user.sign_in_as("manager@elm.test").await;
    let ends = long_date(add_days(today, FACT_CHECK_DAYS));

    // The provider's home and list: its own draft only.
    let r = oak_user.get("/portal").await;
    r.assert_ok();
    assert!(r.contains("1 draft visit report is waiting for your factual accuracy check"), "{}", r.body);
    let r = oak_user.get("/portal/reports").await;
    r.assert_ok();
    assert!(r.contains("Oak House") && !r.contains("Elm House"), "another provider's report listed");
    assert!(r.contains(&format!("Corrections until {ends}")));

    // The draft: judgements, the overall result (the worst judgement) and the findings.
    let url = format!("/portal/reports/{oak_visit}");
    let r = oak_user.get(&url).await;
    r.assert_ok();
    assert!(r.contains("Draft visit report") && r.contains("Medication records had gaps on two units."));
    let worst = judged.iter().max().expect("judged").label();
    assert!(r.contains(&format!("govuk-tag--orange\">{worst}</strong>")), "{}", r.body);
    assert!(r.contains(&format!("Send corrections of fact by {ends}")));

    // Provider isolation: another provider reads and posts "not found".
    assert_eq!(elm_user.get(&url).await.status, StatusCode::NOT_FOUND);
    elm_user.get("/portal/reports").await;
    let r = elm_user.post_form(&format!("{url}/corrections"), &[("part", "report"), ("correction", "Not ours")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(store.visit_corrections(&oak_visit).await.expect("c").is_empty());

    // A correction needs a part and its text.
    let r = oak_user.post_form(&format!("{url}/corrections"), &[("part", ""), ("correction", " ")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.contains("Choose the part of the report the correction is about") && r.contains("<a href=\"#correction\">Enter the correction")
    );
    let r =
        oak_user.post_form(&format!("{url}/corrections"), &[("part", "report"), ("correction", "The gaps were on one unit only.")]).await;
    assert_eq!(r.location.as_deref(), Some(format!("{url}?sent=correction").as_str()), "{}", r.body);
    let r = oak_user.get(&format!("{url}?sent=correction")).await;
    assert!(r.contains("Correction sent") && r.contains("The gaps were on one unit only.") && r.contains("Waiting for the council"));

    // The officer: the visit page and the work queue say a correction waits.
    let r = officer.get(&format!("/quality/visits/{oak_visit}")).await;
    r.assert_ok();
    assert!(r.contains("1 correction is waiting for a decision"), "{}", r.body);
    let r = officer.get("/work").await;
    r.assert_ok();
    assert!(r.contains("1 visit report with corrections to decide") && r.contains("Oak House"), "{}", r.body);
    let check = format!("/quality/visits/{oak_visit}/fact-check");
    let r = officer.get(&check).await;
    r.assert_ok();
    assert!(r.contains("The gaps were on one unit only.") && r.contains("Sent by Olive Oakes"));
    // The choices say what each does: accepting changes no score, the correction stands beside
    // the report (decision 42), so the page must not promise a corrected report.
    assert!(
        r.contains("Accept: the correction is published beside the report, marked accepted")
            && r.contains("Decline: the report stands as written")
            && !r.contains("will be corrected"),
        "{}",
        r.body
    );
    // Not publishable while it waits; declining needs a reason.
    let r = officer.post_form(&format!("{check}/publish"), &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("Decide every correction before publishing: 1 is waiting"), "{}", r.body);
    let cid = store.visit_corrections(&oak_visit).await.expect("c")[0].id.clone();
    let r = officer
        .post_form(&format!("{check}/{cid}"), &[(format!("decision-{cid}").as_str(), "declined"), (format!("reason-{cid}").as_str(), " ")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains(&format!("<a href=\"#reason-{cid}\">Enter why the correction is declined</a>")), "{}", r.body);
    let r = officer
        .post_form(
            &format!("{check}/{cid}"),
            &[(format!("decision-{cid}").as_str(), "declined"), (format!("reason-{cid}").as_str(), "Both units were seen on the day.")],
        )
        .await;
    assert_eq!(r.location.as_deref(), Some(format!("{check}?done=declined").as_str()), "{}", r.body);
    let r = officer.get(&format!("{check}?done=declined")).await;
    assert!(r.contains("Correction declined") && r.contains("Both units were seen on the day."));
    let r = officer.post_form(&format!("{check}/publish"), &[]).await;
    assert_eq!(r.location.as_deref(), Some(format!("{check}?done=published").as_str()), "{}", r.body);
    let r = officer.get(&format!("{check}?done=published")).await;
    assert!(r.contains("Report published"));
    let plan_due = long_date(add_days(today, ACTION_PLAN_DAYS));
    assert!(r.contains(&format!("Due by {plan_due}")), "{}", r.body);

    // The provider sees the published report, the decision and the plan due; sends the plan.
    let r = oak_user.get("/portal").await;
    assert!(r.contains("0 draft visit reports are waiting") && r.contains("1 action plan is due on published visit reports"), "{}", r.body);
    let r = oak_user.get(&url).await;
    assert!(
        r.contains("<h1 class=\"govuk-heading-l\">Visit report</h1>")
            && r.contains("Declined")
            && r.contains("Both units were seen on the day.")
    );
    assert!(!r.contains("Send the correction"), "corrections offered after publication");
    let r = oak_user.post_form(&format!("{url}/action-plan"), &[("action_plan", " ")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = oak_user.post_form(&format!("{url}/action-plan"), &[("action_plan", "Weekly medication audits from Monday.")]).await;
    assert_eq!(r.location.as_deref(), Some(format!("{url}?sent=action_plan").as_str()), "{}", r.body);
    let r = oak_user.get(&format!("{url}?sent=action_plan")).await;
    assert!(r.contains("Action plan sent to the council") && r.contains("Weekly medication audits from Monday."));
    let r = officer.get(&check).await;
    assert!(r.contains("Weekly medication audits from Monday.") && r.contains(&format!("Sent on {}", long_date(today))));

    // Roles: staff are refused the portal, providers the officers' pages.
    assert_eq!(officer.get("/portal/reports").await.status, StatusCode::FORBIDDEN);
    assert_eq!(oak_user.get(&check).await.status, StatusCode::FORBIDDEN);
    // A Good report needs no plan; the Elm draft is not the Oak user's.
    let r = elm_user.get(&format!("/portal/reports/{elm_visit}")).await;
    r.assert_ok();
    assert!(r.contains("Not needed"));
}
