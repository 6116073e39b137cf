//! The demo's committees and self-assessment: the seeds' shapes, and the evidence flags the
//! demo is built to show (`004`'s "D20" and a citation of E83; E20 and E82 cited nowhere).

use caremarket_core::Date;
use caremarket_core::governance::committees::OptionOutcome;
use caremarket_core::governance::self_assessment::check;
use caremarket_demo::{DemoOptions, generate};

#[tokio::test]
async fn the_demo_has_the_seeds_work_programme_appraisal_and_evidence_flags() {
    let store = caremarket_testkit::sqlite().await.expect("store");
    let today = Date::constant(2025, 2, 14);
    generate(&store, &DemoOptions::as_at(today)).await.expect("generate");

    let committees = store.committees(today).await.expect("committees");
    let names: Vec<&str> = committees.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Adult Health and Social Care Policy Committee", "Adult Social Care Scrutiny Commission", "Cabinet"]);
    let scrutiny = &committees[1];
    // `004`'s forward plan: 13 suggested topics kept on the plan.
    assert_eq!(scrutiny.forward_plan, 13);
    let wp = store.work_programme(&scrutiny.id).await.expect("work programme");
    assert_eq!(wp.forward_plan[0].proposed.date, today.checked_add(jiff::Span::new().days(45)).ok());
    let reports = store.committee_items_for_paper("/reports/quarterly").await.expect("papers");
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].paper.as_ref().map(|p| p.url()), Some("/reports/quarterly?as_at=2024-12-31"));

    let policy = store.work_programme(&committees[0].id).await.expect("policy");
    let dp = &policy.meetings[0].1[0];
    assert_eq!(dp.cover.eia_reference, "2412");
    let outcomes: Vec<OptionOutcome> = dp.options.iter().map(|o| o.outcome).collect();
    use OptionOutcome::*;
    assert_eq!(outcomes, [Rejected, Neither, Rejected, Rejected, Preferred]);

    let list = store.self_assessments().await.expect("list");
    let a = store.self_assessment(&list[0].id).await.expect("assessment");
    let got = check(&a.statement_numbers(), &a.claims, &a.evidence);
    let missing: Vec<&str> = got.missing.iter().map(|m| m.reference.as_str()).collect();
    assert_eq!(missing, ["D20", "E83"]);
    assert_eq!(got.cited_nowhere, ["E20", "E82"]);
    assert_eq!(got.statements_without_evidence, [9]);
    assert_eq!(got.cited_by["E22"], 2);
}
