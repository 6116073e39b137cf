//! Lost updates, the last part (issue 17 item 6, decision 25, migration 0042): a training or
//! support offer of a CQC report theme, a service's quality officer and team, a spend supplier's
//! match to a provider and a single sign-on group's role. Two people open the same record's form;
//! the first save stands; the second is answered 409 with "This record changed since you opened
//! it", who saved it, what differs and what was typed kept, and nothing of it is written, audit
//! row included; saving the shown form again replaces it. The blank forms that name their record
//! when submitted (assign one service, give a group a role) no longer replace what is there: they
//! are refused, naming the row's Change link. On SQLite, and on PostgreSQL when configured.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::fees::budgets::{CostCentreDraft, SpendCsvRow};
use caremarket_core::register::ServiceKind;
use caremarket_store::quality::themes::NewOffer;
use caremarket_store::{Actor, Store};
use common::two_officers::{audited, both_open, care_home, chosen, refused, refused_by, signed_in, two};
use common::visible_text;

#[tokio::test]
async fn a_theme_offer_changed_by_two_officers_keeps_the_first_save() {
    for store in caremarket_testkit::all_backends().await.expect("backends") {
        let backend = store.backend().name();
        two(&store, Role::QualityOfficer).await;
        let offer = NewOffer {
            offer: "Fire marshal course".into(),
            offered_by: Some("Northmoor Fire".into()),
            status: "tentative".into(),
            notes: None,
        };
        let id = store.add_theme_offer(&Actor::system("test"), "fire_safety", &offer).await.expect("offer");
        let page = "/quality/themes/fire_safety";
        let action = format!("/quality/theme-offers/{id}");
        let (mut dana, mut eli) = both_open(&store, page).await;
        assert_eq!(eli.form_version(&action).as_deref(), Some("1"), "{backend}");
        let form = |offer: &'static str, status: &'static str| {
            vec![("offer", offer), ("offered_by", "Northmoor Fire"), ("status", status), ("notes", "")]
        };
        let r = dana.post_form(&action, &form("Fire marshal course (level 2)", "in_place")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let r = eli.post_form(&action, &form("Fire warden training", "to_be_asked")).await;
        refused(
            &r,
            &[
                "Offer Fire marshal course (level 2) Fire warden training",
                "Status In place To be asked",
                "Change or withdraw “Fire marshal course (level 2)”",
            ],
        );
        assert!(!visible_text(&r.body).contains("Offered by (optional) Northmoor Fire Northmoor Fire"), "the provider did not differ");
        assert!(r.body.contains("value=\"Fire warden training\""), "what Eli typed is kept: {}", r.body);
        assert!(r.body.contains("<details class=\"govuk-details\" open>"), "Eli's row is open: {}", r.body);
        assert_eq!(eli.form_version(&action).as_deref(), Some("2"), "{backend}");
        let now = store.theme_offer(&id).await.expect("offer");
        assert_eq!((now.offer.as_str(), now.status_label), ("Fire marshal course (level 2)", "In place"), "{backend}");
        assert_eq!(audited(&store, "theme_offer", &id, "update").await, 1, "{backend}");
        // Saving the shown form again is a deliberate replacement.
        let r = eli.post_form(&action, &form("Fire warden training", "to_be_asked")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        assert_eq!(store.theme_offer(&id).await.expect("offer").offer, "Fire warden training", "{backend}");
        assert_eq!(audited(&store, "theme_offer", &id, "update").await, 2, "{backend}");
        // Withdrawing needs no version (it keeps the words as they are now) but raises it: a
        // change form opened before is refused rather than bringing the offer back.
        let r = dana.get(page).await;
        r.assert_ok();
        let r = eli.post_form(&action, &[("action", "withdraw")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let r = dana.post_form(&action, &form("Fire warden training", "in_place")).await;
        refused_by(&r, "Eli Officer", &["Status Withdrawn In place"]);
        assert_eq!(store.theme_offer(&id).await.expect("offer").status_label, "Withdrawn", "{backend}");
    }
}

async fn home(store: &Store, name: &str) -> String {
    let a = Actor::system("test");
    let p = store.create_provider(&a, None, &format!("{name} Ltd"), None, None).await.expect("provider");
    store.create_service(&a, &care_home(&p, name, "registered")).await.expect("service")
}

#[tokio::test]
async fn a_services_officer_and_team_changed_by_two_managers_keep_the_first_choice() {
    for store in caremarket_testkit::all_backends().await.expect("backends") {
        let backend = store.backend().name();
        let (dana_id, eli_id) = two(&store, Role::QualityOfficer).await;
        let oak = home(&store, "Oak House").await;
        let page = format!("/quality/assignments?service={oak}");
        let action = "/quality/assignments";
        let (mut dana, mut eli) = both_open(&store, &page).await;
        let t = visible_text(&eli.get(&page).await.body);
        assert!(t.contains("Change who looks after Oak House"), "{t}");
        assert_eq!(eli.form_version(action).as_deref(), Some("1"), "{backend}");
        let form = |officer: &str, team: &str| {
            vec![("mode", "one".to_string()), ("service_id", oak.clone()), ("officer_id", officer.to_string()), ("team", team.to_string())]
        };
        let dana_form = form(&dana_id, "North team");
        let dana_fields: Vec<(&str, &str)> = dana_form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = dana.post_form(action, &dana_fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let r = dana.get(r.location.as_deref().expect("to")).await;
        assert!(visible_text(&r.body).contains("Oak House: quality officer and team saved"), "{}", visible_text(&r.body));
        let eli_form = form(&eli_id, "North team");
        let eli_fields: Vec<(&str, &str)> = eli_form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = eli.post_form(action, &eli_fields).await;
        refused(&r, &["Quality officer Dana Officer Eli Officer", "Change who looks after Oak House"]);
        assert!(!visible_text(&r.body).contains("Team (optional) North team North team"), "the team did not differ");
        assert!(chosen(&r.body, &eli_id), "Eli's choice is kept: {}", r.body);
        assert_eq!(eli.form_version(action).as_deref(), Some("2"), "{backend}");
        let now = store.quality_assignment(&oak).await.expect("read").expect("assigned");
        assert_eq!(now.officer_id.as_deref(), Some(dana_id.as_str()), "{backend}");
        assert_eq!(audited(&store, "quality_assignment", &oak, "update").await, 1, "{backend}");
        let r = eli.post_form(action, &eli_fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let now = store.quality_assignment(&oak).await.expect("read").expect("assigned");
        assert_eq!(now.officer_id.as_deref(), Some(eli_id.as_str()), "{backend}");
        assert_eq!(audited(&store, "quality_assignment", &oak, "update").await, 2, "{backend}");

        // The blank form only assigns a service nothing is recorded for.
        let mut fay = signed_in(&store, "dana@test.gov.uk").await;
        fay.get(action).await.assert_ok();
        let r = fay.post_form(action, &dana_fields).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{backend}: {}", r.body);
        let t = visible_text(&r.body);
        assert!(
            t.contains("Oak House is already looked after by Eli Officer (North team). To change or clear it, use Change in its row"),
            "{t}"
        );
        assert_eq!(audited(&store, "quality_assignment", &oak, "update").await, 2, "{backend}");

        // Assigning in bulk raises the version of each service it fills.
        let elm = home(&store, "Elm Lodge").await;
        let page = format!("/quality/assignments?service={elm}");
        let mut eli = signed_in(&store, "eli@test.gov.uk").await;
        eli.get(&page).await.assert_ok();
        let bulk =
            [("mode", "bulk"), ("bulk_kind", "care_home_residential"), ("area_id", ""), ("bulk_officer_id", &dana_id), ("bulk_team", "")];
        let r = fay.post_form(action, &bulk).await;
        assert!(visible_text(&r.body).contains("1 service without an officer assigned"), "{}", visible_text(&r.body));
        let r = eli.post_form(action, &[("mode", "one"), ("service_id", &elm), ("officer_id", &eli_id), ("team", "")]).await;
        refused(&r, &["Quality officer Dana Officer Eli Officer"]);
    }
}

#[tokio::test]
async fn a_suppliers_match_saved_by_two_officers_keeps_the_first() {
    for store in caremarket_testkit::all_backends().await.expect("backends") {
        let backend = store.backend().name();
        two(&store, Role::Commissioner).await;
        let a = Actor::system("test");
        store
            .save_cost_centre(
                &a,
                &CostCentreDraft { code: "ASC-RES".into(), name: "Residential".into(), kind: Some(ServiceKind::CareHomeResidential) },
                None,
            )
            .await
            .expect("centre");
        let acme = store.create_provider(&a, None, "Acme Care Ltd", None, None).await.expect("provider");
        let acme_homes = store.create_provider(&a, None, "Acme Homes Ltd", None, None).await.expect("provider");
        let row = SpendCsvRow {
            row: 2,
            supplier: "ACME CARE LIMITED".into(),
            cost_centre: "ASC-RES".into(),
            period: "2024-04".into(),
            amount: "99.00".into(),
        };
        store.import_finance_spend(&a, "april.csv", &[row]).await.expect("ran").expect("ok");
        let key = "acme care ltd";
        let page = "/fees/budgets/suppliers/match?key=acme+care+ltd";
        let action = "/fees/budgets/suppliers/match";
        let (mut dana, mut eli) = both_open(&store, page).await;
        // Each searches; the form keeps the version it was first opened at.
        let search = "/fees/budgets/suppliers/match?key=acme+care+ltd&version=1&q=acme";
        dana.get(search).await.assert_ok();
        let r = eli.get(search).await;
        assert!(
            visible_text(&r.body).contains("Which provider is ACME CARE LIMITED? Acme Care Ltd Acme Homes Ltd"),
            "{}",
            visible_text(&r.body)
        );
        assert_eq!(eli.form_version(action).as_deref(), Some("1"), "{backend}");
        let r = dana.post_form(action, &[("key", key), ("q", "acme"), ("provider_id", &acme)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let r = eli.post_form(action, &[("key", key), ("q", "acme"), ("provider_id", &acme_homes)]).await;
        refused(&r, &["Provider Acme Care Ltd Acme Homes Ltd", "Provider now Acme Care Ltd"]);
        assert!(chosen(&r.body, &acme_homes), "Eli's choice is kept: {}", r.body);
        assert_eq!(eli.form_version(action).as_deref(), Some("2"), "{backend}");
        assert_eq!(store.supplier_match(key).await.expect("read").map(|m| m.1).as_deref(), Some("Acme Care Ltd"), "{backend}");
        assert_eq!(audited(&store, "spend_supplier", key, "create").await + audited(&store, "spend_supplier", key, "update").await, 1);
        let r = eli.post_form(action, &[("key", key), ("q", "acme"), ("provider_id", &acme_homes)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        assert_eq!(store.supplier_match(key).await.expect("read").map(|m| m.1).as_deref(), Some("Acme Homes Ltd"), "{backend}");
        // Clearing raises it too: a form opened before cannot bring the old match back.
        let r = dana.post_form(action, &[("key", key), ("q", "acme"), ("provider_id", "none")]).await;
        refused_by(&r, "Eli Officer", &["Provider Acme Homes Ltd Not matched"]);
    }
}

#[tokio::test]
async fn a_sign_in_groups_role_changed_by_two_administrators_keeps_the_first() {
    for store in caremarket_testkit::all_backends().await.expect("backends") {
        let backend = store.backend().name();
        two(&store, Role::Admin).await;
        let a = Actor::system("test");
        store.map_group(&a, "care-commissioning", Role::Commissioner).await.expect("map");
        let page = "/admin/sign-in?group=care-commissioning";
        let action = "/admin/sign-in";
        let (mut dana, mut eli) = both_open(&store, page).await;
        let t = visible_text(&eli.get(page).await.body);
        assert!(t.contains("Change the role of the group care-commissioning"), "{t}");
        let opened = eli.form_version(action).expect("a version");
        let r = dana.post_form(action, &[("group", "care-commissioning"), ("role", "viewer")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let r = eli.post_form(action, &[("group", "care-commissioning"), ("role", "quality_officer")]).await;
        refused(&r, &["Role Viewer Quality officer"]);
        assert!(chosen(&r.body, "quality_officer"), "Eli's choice is kept: {}", r.body);
        assert_ne!(eli.form_version(action), Some(opened), "{backend}");
        let role = |s: &Store| {
            let s = s.clone();
            async move { s.sign_in_groups().await.expect("groups").into_iter().find(|m| m.group == "care-commissioning").map(|m| m.role) }
        };
        assert_eq!(role(&store).await, Some(Role::Viewer), "{backend}");
        assert_eq!(audited(&store, "sign_in_group", "care-commissioning", "update").await, 1, "{backend}: Dana's change only");
        let r = eli.post_form(action, &[("group", "care-commissioning"), ("role", "quality_officer")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        assert_eq!(role(&store).await, Some(Role::QualityOfficer), "{backend}");

        // The blank form adds only: a group mapped to another role is refused, naming Change.
        let mut fay = signed_in(&store, "dana@test.gov.uk").await;
        fay.get(action).await.assert_ok();
        let r = fay.post_form(action, &[("group", "care-commissioning"), ("role", "admin")]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{backend}: {}", r.body);
        let t = visible_text(&r.body);
        assert!(
            t.contains("The group care-commissioning already gives the role Quality officer. To change its role, use Change in its row"),
            "{t}"
        );
        assert_eq!(role(&store).await, Some(Role::QualityOfficer), "{backend}");
        // The same role again changes nothing.
        let r = fay.post_form(action, &[("group", "care-commissioning"), ("role", "quality_officer")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        assert_eq!(audited(&store, "sign_in_group", "care-commissioning", "update").await, 2, "{backend}: Dana's and Eli's");
        // Removing raises it: a Change form opened before cannot bring the group back.
        dana.get(page).await.assert_ok();
        let r = eli.post_form("/admin/sign-in/remove", &[("group", "care-commissioning")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let r = dana.post_form(action, &[("group", "care-commissioning"), ("role", "commissioner")]).await;
        refused_by(&r, "Eli Officer", &["Role Not mapped (removed) Commissioner"]);
        assert_eq!(role(&store).await, None, "{backend}");
    }
}
