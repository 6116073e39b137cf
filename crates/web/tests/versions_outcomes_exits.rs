//! Lost updates (issue 17 item 6, decision 25): outcome claims' decisions, cohort members'
//! leaving, the people on exit plans (quality's provider exits and the RPL's removals) and
//! approval limits (an officer's own, and the council's defaults). For each form: two officers
//! open it at the same version, the first saves, the second is answered 409 with "This record
//! changed since you opened it", who saved it, what differs and what they typed kept; the first
//! save is what is stored and no second audit entry is written. On SQLite, and on PostgreSQL
//! when it is configured.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::outcomes::{ClaimDraft, ClaimStatus, ContractDraft, LeaveReason, MemberDraft, OutcomeDraft, OutcomeKind, Placement};
use caremarket_core::text::long_date;
use caremarket_store::direct_payments::NewExitPlan;
use caremarket_store::exit_plans::NewProviderExit;
use caremarket_store::{Actor, Store};
use common::two_officers::{audited, both_open_at, person, refused, signed_in, two};
use common::visible_text;
use jiff::civil::{Date, date};

/// A date's day, month and year fields, as a GOV.UK date input sends them.
fn date_fields(name: &str, d: Date) -> Vec<(String, String)> {
    vec![
        (format!("{name}-day"), d.day().to_string()),
        (format!("{name}-month"), d.month().to_string()),
        (format!("{name}-year"), d.year().to_string()),
    ]
}

fn refs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// An outcomes contract with one outcome, one person in its cohort, and one claim for them
/// waiting for verification: (contract, member, claim).
async fn contract_with_a_claim(store: &Store) -> (String, String, String) {
    let a = Actor::system("test");
    let today = caremarket_store::today();
    let id = store
        .create_oc_contract(
            &a,
            &ContractDraft {
                name: "Promoting Independence".into(),
                starts_on: Some(date(2018, 11, 1)),
                ends_on: Some(date(2030, 10, 31)),
                envelope: "3000000".into(),
                cap: String::new(),
                baseline: "173".into(),
                forecast_low: "105".into(),
                forecast_high: "120".into(),
                forecast_by: Some(date(2024, 3, 31)),
                expected_saving_low: "3000000".into(),
                expected_saving_high: "3700000".into(),
                eligibility: "Mental health need, in 24/7 care".into(),
                age_out: "65".into(),
            },
            "Testshire Council",
        )
        .await
        .expect("contract");
    let outcome = OutcomeDraft {
        name: "Started a course".into(),
        kind: Some(OutcomeKind::Education),
        tariff: "1000".into(),
        evidence: "Enrolment letter".into(),
        prerequisite_id: String::new(),
        after_months: String::new(),
    };
    let outcome = store.add_oc_outcome(&a, &id, &outcome).await.expect("outcome");
    let member = MemberDraft {
        case_ref: "MH1".into(),
        born: "1975-06".into(),
        entered_on: Some(date(2018, 11, 1)),
        placement: Some(Placement::Residential),
        weekly_cost: "1400".into(),
        mental_health_need: true,
    };
    let member = store.add_oc_member(&a, &id, &member, today).await.expect("member");
    let claim = ClaimDraft {
        case_ref: "MH1".into(),
        outcome_id: outcome,
        achieved_on: Some(date(2020, 3, 2)),
        evidence: "Enrolment letter, Northmoor College".into(),
    };
    let claim = store.submit_oc_claim(&a, &id, None, &claim, today).await.expect("claim");
    (id, member, claim)
}

#[tokio::test]
async fn an_outcome_claim_decided_by_two_officers_keeps_the_first_decision() {
    for store in caremarket_testkit::all_backends().await.expect("backends") {
        let backend = store.backend().name();
        two(&store, Role::Commissioner).await;
        let (id, _, claim) = contract_with_a_claim(&store).await;
        let path = format!("/outcomes/{id}/claims/{claim}");
        let (mut dana, mut eli) = both_open_at(&store, &path, &path, "1").await;
        let r = dana.post_form(&path, &[("decision", "verify"), ("reason", "")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", visible_text(&r.body));
        let r = eli.post_form(&path, &[("decision", "reject"), ("reason", "The letter is not signed")]).await;
        refused(&r, &["Decision Verified Rejected", "Reason Not given The letter is not signed"]);
        assert!(r.body.contains("The letter is not signed</textarea>"), "what Eli typed is kept: {}", r.body);
        assert_eq!(eli.form_version(&path).as_deref(), Some("2"), "{backend}");
        let now = store.oc_contract(&id).await.expect("book");
        let now = now.claims.iter().find(|c| c.claim.id == claim).expect("claim");
        assert_eq!((now.claim.status, now.claim.reason.as_deref(), now.version), (ClaimStatus::Verified, None, 2), "{backend}");
        assert_eq!(audited(&store, "oc_claim", &claim, "update").await, 1, "{backend}");
        // The payment split was written once, by the first decision.
        let parts = store.oc_contract(&id).await.expect("book").facts.parts.len();
        assert_eq!(parts, 1, "{backend}");
        // A decision is made once: the form shown again, at the version now, is refused as decided.
        let r = eli.post_form(&path, &[("decision", "reject"), ("reason", "The letter is not signed")]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{backend}: {}", r.body);
        assert!(visible_text(&r.body).contains("This claim has already been decided: verified"), "{}", visible_text(&r.body));
        assert_eq!(audited(&store, "oc_claim", &claim, "update").await, 1, "{backend}");
    }
}

#[tokio::test]
async fn a_cohort_member_s_leaving_recorded_by_two_officers_keeps_the_first() {
    for store in caremarket_testkit::all_backends().await.expect("backends") {
        let backend = store.backend().name();
        two(&store, Role::Commissioner).await;
        let (id, member, _) = contract_with_a_claim(&store).await;
        let page = format!("/outcomes/{id}/cohort/{member}");
        let action = format!("{page}/leave");
        let (mut dana, mut eli) = both_open_at(&store, &page, &action, "1").await;
        let today = caremarket_store::today();
        let (dana_on, eli_on) = (today.yesterday().expect("date"), today);
        let form = |reason: &str, on: Date| {
            let mut f = vec![("reason".to_string(), reason.to_string())];
            f.extend(date_fields("left_on", on));
            f
        };
        let r = dana.post_form(&action, &refs(&form("moved_away", dana_on))).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", visible_text(&r.body));
        let r = eli.post_form(&action, &refs(&form("died", eli_on))).await;
        let reasons = format!("Why the person left {} {}", LeaveReason::MovedAway.label(), LeaveReason::Died.label());
        let dates = format!("Date the person left {} {}", long_date(dana_on), long_date(eli_on));
        refused(&r, &[&reasons, &dates]);
        assert!(r.body.contains("value=\"died\" checked"), "what Eli chose is kept: {}", r.body);
        assert_eq!(eli.form_version(&action).as_deref(), Some("2"), "{backend}");
        let book = store.oc_contract(&id).await.expect("book");
        let now = book.facts.members.iter().find(|m| m.id == member).expect("member");
        assert_eq!((now.leave_reason, now.left_on), (Some(LeaveReason::MovedAway), Some(dana_on)), "{backend}");
        assert_eq!(audited(&store, "oc_member", &member, "update").await, 1, "{backend}");
        // Leaving is recorded once: the form shown again is refused as recorded.
        let r = eli.post_form(&action, &refs(&form("died", eli_on))).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{backend}: {}", r.body);
        assert!(visible_text(&r.body).contains("MH1 has already left the cohort"), "{}", visible_text(&r.body));
        assert_eq!(audited(&store, "oc_member", &member, "update").await, 1, "{backend}");
    }
}

#[tokio::test]
async fn a_person_on_a_provider_exit_plan_saved_by_two_officers_keeps_the_first_arrangement() {
    for store in caremarket_testkit::all_backends().await.expect("backends") {
        let backend = store.backend().name();
        two(&store, Role::QualityOfficer).await;
        let a = Actor::system("test");
        let provider = store.create_provider(&a, None, "Willow Group", None, None).await.expect("provider");
        let today = caremarket_store::today();
        let exit = NewProviderExit {
            provider_id: provider,
            service_id: None,
            planned: true,
            reason: "closure".into(),
            detail: None,
            opened_on: today,
            target_date: None,
            extra_refs: vec!["AB123".into()],
            embargo: false,
        };
        let plan = store.open_provider_exit(&a, &exit).await.expect("plan");
        let item = store.exit_plan(&plan).await.expect("plan").items[0].id.clone();
        let path = format!("/quality/exits/{plan}/items/{item}");
        let (mut dana, mut eli) = both_open_at(&store, &path, &path, "1").await;
        let mut moved = vec![("new_arrangement".to_string(), "Ash Grove".to_string()), ("done".to_string(), "1".to_string())];
        moved.extend(date_fields("done_on", today));
        let r = dana.post_form(&path, &refs(&moved)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", visible_text(&r.body));
        let visiting = [("new_arrangement", "Visiting Birch House with family")];
        let r = eli.post_form(&path, &visiting).await;
        let when = format!("Date they moved {} Not given", long_date(today));
        refused(&r, &["New arrangement Ash Grove Visiting Birch House with family", "Moved to the new arrangement Yes No", &when]);
        assert!(r.body.contains("value=\"Visiting Birch House with family\""), "what Eli typed is kept: {}", r.body);
        assert_eq!(eli.form_version(&path).as_deref(), Some("2"), "{backend}");
        let now = store.exit_plan(&plan).await.expect("plan");
        assert_eq!((now.items[0].new_arrangement.as_deref(), now.items[0].status.as_str()), (Some("Ash Grove"), "done"), "{backend}");
        assert_eq!(now.closed_on, Some(today.to_string()), "{backend}");
        assert_eq!(audited(&store, "exit_plan_item", &item, "update").await, 1, "{backend}");
        // Saving the shown form again is a deliberate replacement: the person is not moved yet,
        // and the plan opens again.
        let r = eli.post_form(&path, &visiting).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", visible_text(&r.body));
        let now = store.exit_plan(&plan).await.expect("plan");
        assert_eq!(now.items[0].new_arrangement.as_deref(), Some("Visiting Birch House with family"), "{backend}");
        assert_eq!((now.items[0].version, now.closed_on), (3, None), "{backend}");
    }
}

#[tokio::test]
async fn a_person_on_an_rpl_exit_plan_saved_by_two_officers_keeps_the_first_arrangement() {
    for store in caremarket_testkit::all_backends().await.expect("backends") {
        let backend = store.backend().name();
        two(&store, Role::DirectPaymentsOfficer).await;
        let a = Actor::system("test");
        let provider = store.create_provider(&a, None, "Ledger Money Management Ltd", None, None).await.expect("provider");
        let new = NewExitPlan {
            provider_id: provider,
            reason: "Failed quality assurance".into(),
            planned: false,
            context: "rpl_removal".into(),
            opened_on: caremarket_store::today(),
            target_date: None,
            items: vec![("CD100".into(), "direct_payment".into(), None), ("CD200".into(), "direct_payment".into(), None)],
        };
        let plan = store.create_exit_plan(&a, &new).await.expect("plan");
        let items = store.exit_plan(&plan).await.expect("plan").items;
        let item = items.iter().find(|i| i.person_ref == "CD100").expect("item").id.clone();
        let page = format!("/direct-payments/exit-plans/{plan}");
        let action = format!("{page}/items/{item}");
        let (mut dana, mut eli) = both_open_at(&store, &page, &action, "1").await;
        let r = dana.post_form(&action, &[("new_arrangement", "Prepaid card"), ("done", "1")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", visible_text(&r.body));
        let r = eli.post_form(&action, &[("new_arrangement", "Own bank account")]).await;
        refused(&r, &["New arrangement Prepaid card Own bank account", "Moved Yes No"]);
        assert!(r.body.contains("value=\"Own bank account\""), "what Eli typed is kept: {}", r.body);
        assert_eq!(eli.form_version(&action).as_deref(), Some("2"), "{backend}");
        let now = store.exit_plan(&plan).await.expect("plan");
        let mine = now.items.iter().find(|i| i.id == item).expect("item");
        assert_eq!((mine.new_arrangement.as_deref(), mine.status.as_str()), (Some("Prepaid card"), "done"), "{backend}");
        assert_eq!(audited(&store, "exit_plan_item", &item, "update").await, 1, "{backend}");
        // Saving the shown form again is a deliberate replacement.
        let r = eli.post_form(&action, &[("new_arrangement", "Own bank account")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", visible_text(&r.body));
        let now = store.exit_plan(&plan).await.expect("plan");
        let mine = now.items.iter().find(|i| i.id == item).expect("item");
        assert_eq!((mine.new_arrangement.as_deref(), mine.status.as_str()), (Some("Own bank account"), "in_progress"), "{backend}");
    }
}

#[tokio::test]
async fn an_officer_s_approval_limits_changed_by_two_administrators_keep_the_first_save() {
    for store in caremarket_testkit::all_backends().await.expect("backends") {
        let backend = store.backend().name();
        two(&store, Role::Admin).await;
        let ann = person(&store, "ann@test.gov.uk", "Ann Officer", Role::DirectPaymentsOfficer).await;
        // Ann has no limits of her own: her form opens at version 1.
        let path = format!("/admin/approval-limits/{ann}");
        let (mut dana, mut eli) = both_open_at(&store, &path, &path, "1").await;
        let r = dana.post_form(&path, &[("reclaim", "100"), ("package", "")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", visible_text(&r.body));
        let r = eli.post_form(&path, &[("reclaim", "250"), ("package", "50")]).await;
        refused(&r, &["Reclaim limit £100.00 £250.00", "Package limit a week The council's default £50.00"]);
        assert!(r.body.contains("value=\"250\""), "what Eli typed is kept: {}", r.body);
        assert_eq!(eli.form_version(&path).as_deref(), Some("2"), "{backend}");
        let now = store.approval_limits(Some(&ann)).await.expect("limits");
        assert_eq!((now.reclaim_pence, now.own_reclaim, now.own_package), (10_000, true, false), "{backend}");
        assert_eq!(audited(&store, "approval_limits", &ann, "update").await, 1, "{backend}");
        // Saving the shown form again is a deliberate replacement.
        let r = eli.post_form(&path, &[("reclaim", "250"), ("package", "50")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", visible_text(&r.body));
        let now = store.approval_limits(Some(&ann)).await.expect("limits");
        assert_eq!((now.reclaim_pence, now.package_weekly_pence), (25_000, 5_000), "{backend}");

        // Clearing them keeps counting: a form opened before the clearing is refused after it.
        let mut before = signed_in(&store, "dana@test.gov.uk").await;
        before.get(&path).await.assert_ok();
        assert_eq!(before.form_version(&path).as_deref(), Some("3"), "{backend}");
        let mut eli = signed_in(&store, "eli@test.gov.uk").await;
        eli.get(&path).await.assert_ok();
        let r = eli.post_form(&path, &[("reclaim", ""), ("package", "")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", visible_text(&r.body));
        let r = before.post_form(&path, &[("reclaim", "75"), ("package", "")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{backend}: {}", r.body);
        let text = visible_text(&r.body);
        assert!(text.contains("Eli Officer saved it at ") && text.contains("Reclaim limit The council's default £75.00"), "{text}");
        assert!(!text.contains("Package limit a week The council's default"), "the package limit did not differ: {text}");
        let now = store.approval_limits(Some(&ann)).await.expect("limits");
        assert_eq!((now.own_reclaim, now.own_package), (false, false), "{backend}");

        // A form without a version is not applied blindly.
        let r = dana.post_form(&path, &[("version", ""), ("reclaim", "75"), ("package", "")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{backend}");
        assert!(visible_text(&r.body).contains("This form did not say which version of the record it was opened at"), "{}", r.body);
        assert!(!store.approval_limits(Some(&ann)).await.expect("limits").own_reclaim, "{backend}");
    }
}

#[tokio::test]
async fn the_default_approval_limits_changed_by_two_administrators_keep_the_first_save() {
    for store in caremarket_testkit::all_backends().await.expect("backends") {
        let backend = store.backend().name();
        two(&store, Role::Admin).await;
        // The defaults are two settings, never saved: the form carries each one's version, 1.
        let path = "/admin/approval-limits";
        let [reclaim_key, package_key] = caremarket_store::approvals::DEFAULT_LIMIT_SETTINGS;
        let package_version = format!("{path}#version_{package_key}");
        let (mut dana, mut eli) = both_open_at(&store, path, &format!("{path}#version_{reclaim_key}"), "1").await;
        assert_eq!(eli.form_version(&package_version).as_deref(), Some("1"), "{backend}");
        let r = dana.post_form(path, &[("reclaim", "6000"), ("package", "900")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", visible_text(&r.body));
        let r = eli.post_form(path, &[("reclaim", "6000"), ("package", "1200")]).await;
        refused(&r, &["Package limit a week £900.00 £1,200.00"]);
        assert!(!visible_text(&r.body).contains("Reclaim limit £6,000.00 £6,000.00"), "an unchanged limit is not listed");
        assert!(r.body.contains("value=\"1200\""), "what Eli typed is kept: {}", r.body);
        assert_eq!(eli.form_version(&package_version).as_deref(), Some("2"), "{backend}: the version now");
        assert_eq!(store.default_limits().await.expect("defaults"), (600_000, 90_000), "{backend}");
        for key in caremarket_store::approvals::DEFAULT_LIMIT_SETTINGS {
            assert_eq!(audited(&store, "setting", key, "update").await, 1, "{backend}: {key}");
        }
        // Saving the shown form again is a deliberate replacement.
        let r = eli.post_form(path, &[("reclaim", "6000"), ("package", "1200")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", visible_text(&r.body));
        assert_eq!(store.default_limits().await.expect("defaults"), (600_000, 120_000), "{backend}");
    }
}
