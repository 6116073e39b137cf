//! Lost updates, part B (issue 17 item 6, decision 25): the records of people and money edited
//! through forms. For each form: two officers open it at the same version, the first saves, the
//! second is answered 409 with "This record changed since you opened it", who saved it, what
//! differs and what they typed kept; the first save is what is stored and no second audit entry
//! is written. On SQLite, and on PostgreSQL when it is configured.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::direct_payments::{BudgetPeriod, DpDraft, Holding};
use caremarket_store::direct_payments::NewDirectPayment;
use caremarket_store::{Actor, Store};
use common::two_officers::{audited, both_open_at, person, refused, signed_in};
use common::visible_text;

async fn direct_payment(store: &Store, person_ref: &str) -> String {
    let n = NewDirectPayment {
        draft: DpDraft {
            person_ref: person_ref.into(),
            service_area: "older_people".into(),
            is_child: false,
            budget_pence: 25_000,
            budget_period: BudgetPeriod::Weekly,
            holding: Holding::OwnAccount,
            mm_provider_id: None,
            start_date: "2024-01-01".parse().expect("date"),
        },
        officer_id: None,
        equality: Default::default(),
    };
    store.create_direct_payment(&Actor::system("test"), &n).await.expect("dp")
}

#[tokio::test]
async fn a_direct_payment_edited_by_two_officers_keeps_the_first_save() {
    for store in caremarket_testkit::all_backends().await.expect("backends") {
        let backend = store.backend().name();
        store.set_setting("council_name", "Testshire Council").await.expect("setting");
        person(&store, "dana@test.gov.uk", "Dana Officer", Role::DirectPaymentsOfficer).await;
        person(&store, "eli@test.gov.uk", "Eli Officer", Role::DirectPaymentsOfficer).await;
        let fay = person(&store, "fay@test.gov.uk", "Fay Named", Role::DirectPaymentsOfficer).await;
        let gus = person(&store, "gus@test.gov.uk", "Gus Named", Role::DirectPaymentsOfficer).await;

        // Equality monitoring.
        let id = direct_payment(&store, "VB001").await;
        let path = format!("/direct-payments/{id}/equality");
        let (mut dana, mut eli) = both_open_at(&store, &path, &path, "1").await;
        let r = dana.post_form(&path, &[("ethnicity", "white"), ("religion", "none")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let r = eli.post_form(&path, &[("ethnicity", "asian"), ("religion", "none")]).await;
        refused(&r, &["Ethnic group White Asian, Asian British or Asian Welsh"]);
        assert!(!visible_text(&r.body).contains("Religion No religion No religion"), "the religion did not differ");
        assert!(r.body.contains("<option value=\"asian\" selected"), "what Eli chose is kept: {}", r.body);
        assert_eq!(eli.form_version(&path).as_deref(), Some("2"), "{backend}");
        let now = store.direct_payment(&id).await.expect("dp");
        assert_eq!((now.equality.ethnicity.as_deref(), now.version), (Some("white"), 2), "{backend}");
        assert_eq!(audited(&store, "direct_payment", &id, "update").await, 1, "{backend}");
        // Saving the shown form again is a deliberate replacement.
        let r = eli.post_form(&path, &[("ethnicity", "asian"), ("religion", "none")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        assert_eq!(store.direct_payment(&id).await.expect("dp").equality.ethnicity.as_deref(), Some("asian"));

        // The named officer.
        let id = direct_payment(&store, "VB002").await;
        let path = format!("/direct-payments/{id}/officer");
        let (mut dana, mut eli) = both_open_at(&store, &path, &path, "1").await;
        let r = dana.post_form(&path, &[("officer_id", fay.as_str())]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let r = eli.post_form(&path, &[("officer_id", gus.as_str())]).await;
        refused(&r, &["Named officer Fay Named Gus Named"]);
        assert!(r.body.contains(&format!("<option value=\"{gus}\" selected")), "{}", r.body);
        assert_eq!(store.direct_payment(&id).await.expect("dp").officer_id.as_deref(), Some(fay.as_str()), "{backend}");
        assert_eq!(audited(&store, "direct_payment", &id, "update").await, 1, "{backend}");

        // Ending it: the second officer's end, from the form opened before the first ended it.
        let id = direct_payment(&store, "VB003").await;
        let path = format!("/direct-payments/{id}/end");
        let (mut dana, mut eli) = both_open_at(&store, &path, &path, "1").await;
        let end = |d: &'static str, reason: &'static str| {
            vec![("end_date-day", d), ("end_date-month", "3"), ("end_date-year", "2024"), ("closure_reason", reason)]
        };
        let r = dana.post_form(&path, &end("31", "council_arranged")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let r = eli.post_form(&path, &end("15", "deceased")).await;
        refused(&r, &["End date 31 March 2024 15 March 2024", "Why did it end? Moved to a council-arranged service Deceased"]);
        assert!(r.body.contains("value=\"15\""), "the day Eli typed is kept: {}", r.body);
        let now = store.direct_payment(&id).await.expect("dp");
        assert_eq!(
            (now.end_date.map(|d| d.to_string()), now.closure_reason.as_deref()),
            (Some("2024-03-31".to_string()), Some("council_arranged")),
            "{backend}"
        );
        assert_eq!(audited(&store, "direct_payment", &id, "update").await, 1, "{backend}");
        // And the ended agreement cannot be ended again from the refreshed form.
        let r = eli.post_form(&path, &end("15", "deceased")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{backend}: {}", r.body);
        assert_eq!(audited(&store, "direct_payment", &id, "update").await, 1, "{backend}");

        // A form without a version is not applied blindly.
        let id = direct_payment(&store, "VB004").await;
        let path = format!("/direct-payments/{id}/officer");
        let (mut dana, _) = both_open_at(&store, &path, &path, "1").await;
        let r = dana.post_form(&path, &[("version", ""), ("officer_id", fay.as_str())]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{backend}");
        assert!(visible_text(&r.body).contains("This form did not say which version of the record it was opened at"), "{}", r.body);
        assert_eq!(store.direct_payment(&id).await.expect("dp").officer_id, None, "{backend}");
    }
}

#[tokio::test]
async fn settings_saved_by_two_administrators_keep_the_first_save() {
    for store in caremarket_testkit::all_backends().await.expect("backends") {
        let backend = store.backend().name();
        // Set before anyone opens the page: saved once, so at version 2.
        store.set_setting("council_name", "Testshire Council").await.expect("setting");
        person(&store, "dana@test.gov.uk", "Dana Officer", Role::Admin).await;
        person(&store, "eli@test.gov.uk", "Eli Officer", Role::Admin).await;

        // The council's name.
        let path = "/admin/settings";
        let (mut dana, mut eli) = both_open_at(&store, path, path, "2").await;
        let r = dana.post_form(path, &[("council_name", "Northmoor Council")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let r = eli.post_form(path, &[("council_name", "Southmoor Council")]).await;
        refused(&r, &["Council's name Northmoor Council Southmoor Council"]);
        assert!(r.body.contains("value=\"Southmoor Council\""), "what Eli typed is kept: {}", r.body);
        assert_eq!(store.setting("council_name").await.expect("name").as_deref(), Some("Northmoor Council"), "{backend}");
        assert_eq!(audited(&store, "setting", "council_name", "update").await, 1, "{backend}");

        // The council's area: never set, so both open it at version 1.
        let path = "/admin/council-area";
        let (mut dana, mut eli) = both_open_at(&store, path, path, "1").await;
        let r = dana.post_form(path, &[("local_authorities", "Oldham")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let r = eli.post_form(path, &[("local_authorities", "Rochdale\nBury")]).await;
        refused(&r, &["Local authorities Oldham Rochdale, Bury"]);
        assert!(r.body.contains("Rochdale\nBury</textarea>"), "what Eli typed is kept: {}", r.body);
        assert_eq!(store.council_local_authorities().await.expect("area"), vec!["Oldham".to_string()], "{backend}");
        assert_eq!(audited(&store, "setting", "council_local_authorities", "council_area").await, 1, "{backend}");

        // The brokerage rating rule.
        let path = "/brokerage/settings";
        let (mut dana, mut eli) = both_open_at(&store, path, path, "1").await;
        let rule = |overall: &'static str, well_led: &'static str, off: &'static str| {
            vec![("min_overall", overall), ("min_well_led", well_led), ("require_inspection", "yes"), ("allow_off_framework", off)]
        };
        let r = dana.post_form(path, &rule("good", "any", "yes")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let r = eli.post_form(path, &rule("requires_improvement", "good", "yes")).await;
        refused(&r, &["Lowest overall CQC rating Good Requires improvement", "Lowest rating for Well-led Any: do not check Well-led Good"]);
        assert!(!visible_text(&r.body).contains("at least once? Yes Yes"), "unchanged answers are not listed");
        let now = store.rating_rule().await.expect("rule");
        assert_eq!((now.min_overall.as_str(), now.min_well_led), ("good", None), "{backend}");
        assert_eq!(audited(&store, "setting", "brokerage_rating_rule", "update").await, 1, "{backend}");
    }
}

#[tokio::test]
async fn a_cost_centre_changed_by_two_officers_keeps_the_first_change() {
    use caremarket_core::fees::budgets::CostCentreDraft;
    use caremarket_core::register::ServiceKind;
    for store in caremarket_testkit::all_backends().await.expect("backends") {
        let backend = store.backend().name();
        store.set_setting("council_name", "Testshire Council").await.expect("setting");
        person(&store, "dana@test.gov.uk", "Dana Officer", Role::Commissioner).await;
        person(&store, "eli@test.gov.uk", "Eli Officer", Role::Commissioner).await;
        let draft = CostCentreDraft { code: "ASC-RES".into(), name: "Residential".into(), kind: Some(ServiceKind::CareHomeResidential) };
        store.save_cost_centre(&Actor::system("test"), &draft, None).await.expect("centre");

        let page = "/fees/budgets/cost-centres?edit=ASC-RES";
        let action = "/fees/budgets/cost-centres";
        let mut dana = signed_in(&store, "dana@test.gov.uk").await;
        let mut eli = signed_in(&store, "eli@test.gov.uk").await;
        dana.get(page).await.assert_ok();
        eli.get(page).await.assert_ok();
        assert_eq!(dana.form_version(action).as_deref(), Some("1"), "{backend}");
        assert_eq!(eli.form_version(action).as_deref(), Some("1"), "{backend}");
        let form = |name: &'static str, kind: &'static str| vec![("code", "ASC-RES"), ("name", name), ("kind", kind)];
        let r = dana.post_form(action, &form("Residential homes", "care_home_residential")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let r = eli.post_form(action, &form("Care homes", "care_home_nursing")).await;
        refused(&r, &["Name Residential homes Care homes", "Market Care home (residential) Care home (nursing)"]);
        assert!(r.body.contains("value=\"Care homes\""), "what Eli typed is kept: {}", r.body);
        let now = store.cost_centres().await.expect("centres").remove(0);
        assert_eq!((now.name.as_str(), now.kind), ("Residential homes", ServiceKind::CareHomeResidential), "{backend}");
        assert_eq!(audited(&store, "budget_cost_centre", "ASC-RES", "update").await, 1, "{backend}");

        // The blank form adds: it carries no version, so it cannot overwrite a cost centre that
        // exists with another name; sending what it holds already changes nothing.
        let mut fresh = signed_in(&store, "eli@test.gov.uk").await;
        fresh.get(action).await.assert_ok();
        assert_eq!(fresh.form_version(action).as_deref(), Some(""), "{backend}");
        let r = fresh.post_form(action, &[("code", "asc-res"), ("name", "Homes"), ("kind", "care_home_residential")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{backend}: {}", r.body);
        assert!(visible_text(&r.body).contains("This form did not say which version of the record it was opened at"), "{}", r.body);
        let r = fresh
            .post_form(action, &[("version", ""), ("code", "asc-res"), ("name", "Residential homes"), ("kind", "care_home_residential")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        assert_eq!(store.cost_centres().await.expect("centres")[0].name, "Residential homes", "{backend}");
        assert_eq!(audited(&store, "budget_cost_centre", "ASC-RES", "update").await, 1, "{backend}");
    }
}

#[tokio::test]
async fn a_fee_request_decided_by_two_officers_keeps_the_first_decision() {
    use caremarket_core::fees::RateCategory;
    use caremarket_core::fees::requests::FeeRequestDraft;
    use caremarket_core::register::ServiceKind;
    for store in caremarket_testkit::all_backends().await.expect("backends") {
        let backend = store.backend().name();
        store.set_setting("council_name", "Testshire Council").await.expect("setting");
        person(&store, "dana@test.gov.uk", "Dana Officer", Role::Commissioner).await;
        person(&store, "eli@test.gov.uk", "Eli Officer", Role::Commissioner).await;
        let a = Actor::system("test");
        let provider = store.create_provider(&a, None, "Standard Care Ltd", None, None).await.expect("provider");
        let today = caremarket_store::today();
        let req = FeeRequestDraft {
            provider_id: provider,
            kind: Some(ServiceKind::HomeCare),
            category: Some(RateCategory::Hourly),
            requested: "24.50".into(),
            received_on: Some("2024-09-02".parse().expect("date")),
            reason: "Fuel costs on rural rounds".into(),
        }
        .check(today)
        .expect("request");
        let id = store.record_fee_request(&a, &req).await.expect("recorded");

        let page = format!("/fees/requests/{id}");
        let action = format!("/fees/requests/{id}/decision");
        let mut dana = signed_in(&store, "dana@test.gov.uk").await;
        let mut eli = signed_in(&store, "eli@test.gov.uk").await;
        dana.get(&page).await.assert_ok();
        eli.get(&page).await.assert_ok();
        assert_eq!(dana.form_version(&action).as_deref(), Some("1"), "{backend}");
        assert_eq!(eli.form_version(&action).as_deref(), Some("1"), "{backend}");
        let r = dana.post_form(&action, &[("decision", "refuse"), ("decision_reason", "Within the uplift already paid")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let agree = [
            ("decision", "agree"),
            ("amount", "23.75"),
            ("effective_from-day", "1"),
            ("effective_from-month", "10"),
            ("effective_from-year", "2024"),
            ("decision_reason", "Costs evidenced"),
        ];
        let r = eli.post_form(&action, &agree).await;
        refused(
            &r,
            &[
                "Decision Refused Agreed",
                "Agreed rate Not given £23.75 an hour from 1 October 2024",
                "Council's reason Within the uplift already paid Costs evidenced",
            ],
        );
        let now = store.fee_request(&id).await.expect("request");
        assert_eq!((now.status.label(), now.agreed_pence, now.rate_id), ("Refused", None, None), "{backend}");
        assert_eq!(audited(&store, "fee_request", &id, "update").await, 1, "{backend}");
        assert!(store.fee_rates().await.expect("rates").is_empty(), "{backend}: the refused agreement wrote no rate");
    }
}
