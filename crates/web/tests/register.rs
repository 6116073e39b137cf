use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::register::{CqcLocation, CqcRatingSet, Rating, Specialism};
use caremarket_store::Actor;
use caremarket_store::import::ImportOptions;
use common::{Client, visible_text};

fn loc(id: &str, name: &str, types: &[&str], overall: Rating, date: &str) -> CqcLocation {
    let mut l = CqcLocation::new(id, name);
    l.provider_id = Some("1-P1".into());
    l.provider_name = Some("Larch Care Group".into());
    l.local_authority = Some("Testshire".into());
    l.postcode = Some("OL1 1AA".into());
    l.beds = Some(30);
    l.service_types = types.iter().map(|s| s.to_string()).collect();
    l.specialisms = vec![Specialism::Dementia];
    let dt = date.parse().expect("date");
    l.rating = Some(CqcRatingSet {
        overall: Some(overall),
        safe: Some(overall),
        effective: Some(Rating::Good),
        caring: Some(Rating::Good),
        responsive: Some(Rating::Good),
        well_led: Some(Rating::Inadequate),
        report_date: Some(dt),
    });
    l.last_inspection_date = Some(dt);
    l
}

async fn seeded() -> Client {
    let c = Client::sqlite().await;
    let records = vec![
        loc("1-100", "Alder House", &["Residential homes"], Rating::Good, "2023-05-01"),
        loc("1-101", "Beech Nursing Home", &["Nursing homes"], Rating::RequiresImprovement, "2019-03-01"),
        loc("1-102", "Cedar Homecare", &["Homecare agencies"], Rating::Outstanding, "2024-01-10"),
    ];
    let opts = ImportOptions {
        file_name: "t.csv".into(),
        format: "t".into(),
        complete_register: true,
        council_local_authorities: vec![],
        completeness: caremarket_core::register::import_plan::Completeness::Complete,
        ..Default::default()
    };
    c.store.import_cqc(&Actor::system("test"), &opts, &records, vec![], &mut |_, _| {}).await.expect("import");
    c.user("comm@test.gov.uk", Role::Commissioner, None).await;
    c.user("viewer@test.gov.uk", Role::Viewer, None).await;
    c
}

#[tokio::test]
async fn dashboard_figures_link_to_their_services() {
    let mut c = seeded().await;
    c.sign_in_as("comm@test.gov.uk").await;
    let r = c.get("/dashboard").await;
    r.assert_ok();
    assert!(r.contains("The market at a glance"));
    assert!(r.contains("href=\"/services?kind=care_home_residential&amp;rating=good_or_outstanding\""), "{}", r.body);
    assert!(r.contains("href=\"/services?not_inspected_since=2020-01-01&amp;sort=inspected\""));
    // Follow the drill-down: exactly the service behind the figure.
    let r = c.get("/services?not_inspected_since=2020-01-01").await;
    r.assert_ok();
    assert!(r.contains("Beech Nursing Home"));
    assert!(!r.contains("Alder House"));
    assert!(r.contains("1 service:"), "{}", r.body);
    // A chosen date changes the figure.
    let r = c.get("/dashboard?not_inspected_before-day=1&not_inspected_before-month=1&not_inspected_before-year=2025").await;
    r.assert_ok();
    assert!(r.contains("services not inspected since 1 January 2025"));
    // A bad date is an error on the page, not a crash.
    let r = c.get("/dashboard?changes_since-day=40&changes_since-month=1&changes_since-year=2025").await;
    assert!(r.contains("govuk-error-summary"));
}

#[tokio::test]
async fn list_filters_by_key_question_and_rejects_bad_parameters() {
    let mut c = seeded().await;
    c.sign_in_as("viewer@test.gov.uk").await;
    let r = c.get("/services?key_question=safe&key_question_rating=requires_improvement").await;
    r.assert_ok();
    assert!(r.contains("Beech Nursing Home") && !r.contains("Cedar Homecare"));
    let r = c.get("/services?kind=home_care").await;
    assert!(r.contains("Cedar Homecare") && !r.contains("Alder House"));
    let r = c.get("/services?rating=gud").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("rating"), "{}", r.body);
    let r = c.get("/services.csv?specialism=dementia").await;
    r.assert_ok();
    assert!(r.body.lines().count() == 4, "{}", r.body);
}

#[tokio::test]
async fn provider_page_shows_services_and_history() {
    let mut c = seeded().await;
    c.sign_in_as("viewer@test.gov.uk").await;
    let s = c.store.service_by_location_id("1-100").await.expect("q").expect("s");
    let r = c.get(&format!("/providers/{}", s.provider_id)).await;
    r.assert_ok();
    assert!(r.contains("Larch Care Group") && r.contains("Alder House") && r.contains("Cedar Homecare"));
    assert!(r.contains("Registered beds (active services)"));
    let r = c.get(&format!("/services/{}", s.id)).await;
    r.assert_ok();
    assert!(r.contains("Well-led") && r.contains("Inadequate"));
    assert!(!r.contains("/edit\""), "viewers get no change links");
    let r = c.get(&format!("/services/{}/edit", s.id)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c.get("/services/not-a-real-id").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn commissioner_edits_council_fields_with_validation_and_audit() {
    let mut c = seeded().await;
    let fw = c.store.create_framework(&Actor::system("t"), "Care Homes Framework", None, None, None, &["Residential"]).await.expect("fw");
    let lot = c.store.frameworks().await.expect("f")[0].lots[0].id.clone();
    let s = c.store.service_by_location_id("1-100").await.expect("q").expect("s");
    c.sign_in_as("comm@test.gov.uk").await;
    c.get(&format!("/services/{}/edit", s.id)).await.assert_ok();
    // Framework without choosing one: refused, nothing changed.
    let r = c
        .post_form(
            &format!("/services/{}/edit", s.id),
            &[("contract_status", "framework"), ("framework_lot", ""), ("kind", "care_home_residential"), ("council_notes", "x")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("Choose the framework this service is on"), "{}", r.body);
    assert!(r.contains("href=\"#framework_lot\""));
    // A good edit.
    let lot_value = format!("lot:{lot}");
    let r = c
        .post_form(
            &format!("/services/{}/edit", s.id),
            &[
                ("contract_status", "framework"),
                ("framework_lot", &lot_value),
                ("contract_start-day", "1"),
                ("contract_start-month", "4"),
                ("contract_start-year", "2024"),
                ("kind", "care_home_residential"),
                ("council_notes", "Staffing concerns raised at QuAD"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let after = c.store.service(&s.id).await.expect("s");
    assert_eq!(after.framework_id.as_deref(), Some(fw.as_str()));
    assert_eq!(after.contract_start.as_deref(), Some("2024-04-01"));
    let r = c.get(&format!("/services/{}", s.id)).await;
    assert!(r.contains("Care Homes Framework") && r.contains("Staffing concerns raised at QuAD"));
    let (entries, _) =
        c.store.audit_entries(&caremarket_store::AuditQuery { entity_id: Some(s.id.clone()), ..Default::default() }).await.expect("audit");
    assert!(entries.iter().any(|e| e.actor_label == "comm@test.gov.uk" && e.action == "update"));
}

#[tokio::test]
async fn provider_users_cannot_see_the_register() {
    let mut c = seeded().await;
    let s = c.store.service_by_location_id("1-100").await.expect("q").expect("s");
    c.user("prov@test.example", Role::Provider, Some(&s.provider_id)).await;
    c.sign_in_as("prov@test.example").await;
    for path in ["/dashboard", "/services", "/providers", "/services.csv"] {
        assert_eq!(c.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
}

/// The register's filters offer every framework, lot and area, and "contracted (any)" finds
/// every service the council contracts, whatever the contract (issue 16 item 5).
#[tokio::test]
async fn the_filters_offer_frameworks_lots_areas_and_any_contract() {
    let mut c = seeded().await;
    let a = Actor::system("t");
    c.store.create_framework(&a, "Care Homes Framework", None, None, None, &["Residential", "Nursing"]).await.expect("fw");
    c.store.create_area(&a, "North Locality", &["S5"]).await.expect("area");
    let lot = c.store.frameworks().await.expect("f")[0].lots[0].id.clone();
    c.sign_in_as("comm@test.gov.uk").await;
    let text = visible_text(&c.get("/services?in_area=all").await.body);
    for option in [
        "Care Homes Framework",
        "Care Homes Framework – Residential",
        "Care Homes Framework – Nursing",
        "North Locality",
        "Contracted (any contract)",
    ] {
        assert!(text.contains(option), "the filters do not offer {option}: {text}");
    }
    assert!(text.contains("Rating in that key question"), "{text}");
    // Alder on the framework, Beech spot purchased, Cedar not contracted.
    let alder = c.store.service_by_location_id("1-100").await.expect("q").expect("s");
    let beech = c.store.service_by_location_id("1-101").await.expect("q").expect("s");
    let lot_value = format!("lot:{lot}");
    for (id, status, fw, kind) in
        [(&alder.id, "framework", lot_value.as_str(), "care_home_residential"), (&beech.id, "spot", "", "care_home_nursing")]
    {
        // Opened first, as a browser does: the form carries the record's version.
        c.get(&format!("/services/{id}/edit")).await.assert_ok();
        let r = c
            .post_form(
                &format!("/services/{id}/edit"),
                &[("contract_status", status), ("framework_lot", fw), ("kind", kind), ("council_notes", "")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let contracted = ["Alder House", "Beech Nursing Home"];
    let r = c.get("/services?in_area=all&contracted=true").await;
    let text = visible_text(&r.body);
    assert!(text.contains(&format!("{} services", contracted.len())), "{text}");
    assert!(contracted.iter().all(|n| text.contains(n)) && !text.contains("Cedar Homecare"), "{text}");
    assert!(r.body.contains(r#"<option value="true" selected>Contracted (any contract)</option>"#), "the choice is not kept: {}", r.body);
    let text = visible_text(&c.get("/services?in_area=all&contracted=false").await.body);
    assert!(text.contains("1 service") && text.contains("Cedar Homecare") && !text.contains("Alder House"), "{text}");
}
