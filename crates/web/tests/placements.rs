//! Out-of-area placements: recorded against out-of-area services, listed with the service's
//! current rating, refused for in-area services and name-like references, closed to viewers.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::register::{Rating, ServiceKind};
use caremarket_store::register::{NewService, RatingRecord};
use caremarket_store::{Actor, AuditQuery};
use common::Client;

fn service(provider_id: &str, name: &str, in_area: bool, la: &str) -> NewService {
    NewService {
        address_line: Some("2 Sea Road".into()),
        town: Some("Seatown".into()),
        postcode: Some("FY1 1AA".into()),
        local_authority: Some(la.into()),
        in_area,
        beds: Some(30),
        service_types: vec!["Nursing homes".into()],
        ..caremarket_testkit::service(provider_id, name, ServiceKind::CareHomeNursing)
    }
}

fn rating(overall: Rating, y: i16, m: i8, d: i8) -> RatingRecord {
    RatingRecord { overall: Some(overall), report_date: Some(jiff::civil::date(y, m, d)), ..Default::default() }
}

struct Fixture {
    seaside: String,
    home_court: String,
}

async fn fixture(c: &Client) -> Fixture {
    let a = Actor::system("test");
    let s = &c.store;
    let p = s.create_provider(&a, None, "Coastal Care Ltd", None, None).await.expect("provider");
    let seaside = s.create_service(&a, &service(&p, "Seaside Lodge", false, "Blackpool")).await.expect("seaside");
    s.add_rating(&a, &seaside, &rating(Rating::RequiresImprovement, 2023, 5, 1), "test").await.expect("rating");
    let home_court = s.create_service(&a, &service(&p, "Home Court", true, "Testshire")).await.expect("home");
    Fixture { seaside, home_court }
}

fn start_fields<'a>(person_ref: &'a str, service_id: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("person_ref", person_ref),
        ("service_id", service_id),
        ("host_authority", ""),
        ("funder", "council"),
        ("reason", "Specialist nursing care near family"),
        ("start_date-day", "3"),
        ("start_date-month", "2"),
        ("start_date-year", "2024"),
        ("host_restrictions", "Embargo on new placements"),
    ]
}

#[tokio::test]
async fn record_a_placement_and_see_the_current_rating() {
    let mut c = Client::sqlite().await;
    let f = fixture(&c).await;
    c.user("broker@test.gov.uk", Role::BrokerageOfficer, None).await;
    c.sign_in_as("broker@test.gov.uk").await;

    let r = c.get("/placements/new").await;
    r.assert_ok();
    assert!(r.contains("Seaside Lodge"), "out-of-area service offered");
    assert!(!r.contains("Home Court"), "in-area service not offered");
    // Choosing a service fills in its local authority as the host authority.
    let r = c.get(&format!("/placements/new?q=seaside&service_id={}", f.seaside)).await;
    assert!(r.contains("value=\"Blackpool\""), "{}", r.body);

    let r = c.post_form("/placements/new", &start_fields("AB12345", &f.seaside)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some("/placements?recorded=1"));

    let r = c.get("/placements?recorded=1").await;
    r.assert_ok();
    assert!(r.contains("Placement recorded"));
    assert!(r.contains("AB12345"));
    assert!(r.contains("Seaside Lodge"));
    assert!(r.contains("Coastal Care Ltd"));
    assert!(r.contains("Blackpool"), "host authority defaults to the service's local authority");
    assert!(r.contains("This council"));
    assert!(r.contains("3 February 2024"));
    assert!(r.contains("Embargo on new placements"));
    assert!(r.contains("<strong>1</strong> current placement"));
    assert!(r.contains("govuk-tag--orange\">Requires improvement</strong>"));
    assert!(r.contains("1 May 2023"), "rating date");
    assert!(r.contains("govuk-tag--red\">Requires improvement</strong>"), "flagged for attention");

    // A new CQC rating shows at once: the list reads the service's current rating.
    c.store.add_rating(&Actor::system("test"), &f.seaside, &rating(Rating::Good, 2024, 6, 1), "test").await.expect("rating");
    let r = c.get("/placements").await;
    assert!(r.contains("govuk-tag--green\">Good</strong>"), "{}", r.body);
    assert!(r.contains("1 June 2024"));
    assert!(!r.contains("govuk-tag--orange\">Requires improvement</strong>"));
    assert!(r.contains("<strong>0</strong> at services rated"));

    // The audit records the placement without the person's reference.
    let (entries, _) =
        c.store.audit_entries(&AuditQuery { entity_type: Some("placement".into()), ..Default::default() }).await.expect("audit");
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    for text in [&e.summary, e.after_json.as_deref().unwrap_or("")] {
        assert!(!text.contains("AB12345"), "audit holds the person reference: {text}");
    }

    // End it.
    let id = c.store.placements(false).await.expect("placements")[0].id.clone();
    let r = c.get(&format!("/placements/{id}/end")).await;
    r.assert_ok();
    let r =
        c.post_form(&format!("/placements/{id}/end"), &[("end_date-day", "1"), ("end_date-month", "1"), ("end_date-year", "2024")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("The end date must be on or after the start date"), "{}", r.body);
    assert!(r.contains("href=\"#end_date-day\""));
    let r =
        c.post_form(&format!("/placements/{id}/end"), &[("end_date-day", "1"), ("end_date-month", "7"), ("end_date-year", "2024")]).await;
    assert_eq!(r.location.as_deref(), Some("/placements?ended=1"), "{}", r.body);
    let r = c.get("/placements").await;
    assert!(!r.contains("AB12345"));
    assert!(r.contains("<strong>0</strong> current placements"));
    let r = c.get("/placements?include_ended=1").await;
    assert!(r.contains("AB12345") && r.contains("Ended 1 July 2024"));
}

#[tokio::test]
async fn invalid_placements_are_refused_with_messages() {
    let mut c = Client::sqlite().await;
    let f = fixture(&c).await;
    c.user("comm@test.gov.uk", Role::Commissioner, None).await;
    c.sign_in_as("comm@test.gov.uk").await;
    c.get("/placements/new").await;

    // A service in the council's area.
    let r = c.post_form("/placements/new", &start_fields("AB12345", &f.home_court)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("Home Court is in the council&#x27;s area") || r.contains("Home Court is in the council's area"), "{}", r.body);
    assert!(r.contains("href=\"#service_id\""), "error summary links to the field");

    // A name instead of a case reference; what was typed is kept.
    let r = c.post_form("/placements/new", &start_fields("John Smith", &f.seaside)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("not their name"));
    assert!(r.contains("href=\"#person_ref\""));
    assert!(r.contains("value=\"John Smith\""));
    assert!(r.contains("Specialist nursing care near family"));
    assert!(r.contains("value=\"2024\""));

    // Missing and impossible dates, missing funder.
    let mut fields = start_fields("AB12345", &f.seaside);
    fields.retain(|(k, _)| !k.starts_with("start_date") && *k != "funder");
    let r = c.post_form("/placements/new", &fields).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("Enter the date the placement started"));
    assert!(r.contains("href=\"#start_date-day\""));
    assert!(r.contains("Choose who funds the placement"));
    let mut fields = start_fields("AB12345", &f.seaside);
    fields.retain(|(k, _)| *k != "start_date-day");
    fields.push(("start_date-day", "30"));
    fields.retain(|(k, _)| *k != "start_date-month");
    fields.push(("start_date-month", "2"));
    let r = c.post_form("/placements/new", &fields).await;
    assert!(r.contains("Start date must be a real date"));

    assert!(c.store.placements(true).await.expect("placements").is_empty());
}

#[tokio::test]
async fn placements_are_closed_to_viewers_and_read_only_for_quality_officers() {
    let mut c = Client::sqlite().await;
    let f = fixture(&c).await;
    c.user("viewer@test.gov.uk", Role::Viewer, None).await;
    c.sign_in_as("viewer@test.gov.uk").await;
    for path in ["/placements", "/placements/new"] {
        assert_eq!(c.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    let r = c.post_form("/placements/new", &start_fields("AB12345", &f.seaside)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let mut q = Client::new(c.store.clone());
    q.user("qo@test.gov.uk", Role::QualityOfficer, None).await;
    q.sign_in_as("qo@test.gov.uk").await;
    let r = q.get("/placements").await;
    r.assert_ok();
    assert!(!r.contains("Record a placement"));
    assert_eq!(q.get("/placements/new").await.status, StatusCode::FORBIDDEN);

    // Not signed in: sign in first.
    let mut anon = Client::new(c.store.clone());
    let r = anon.get("/placements").await;
    assert_eq!(r.location.as_deref(), Some("/sign-in"));
    assert!(c.store.placements(true).await.expect("placements").is_empty());
}

#[tokio::test]
async fn deregistered_and_inadequate_services_are_flagged_first() {
    let mut c = Client::sqlite().await;
    let f = fixture(&c).await;
    let a = Actor::system("test");
    let p = c.store.create_provider(&a, None, "Far Away Ltd", None, None).await.expect("provider");
    let gone = c
        .store
        .create_service(&a, &NewService { registration_status: "deregistered".into(), ..service(&p, "Gone House", false, "Cumbria") })
        .await
        .expect("gone");
    let fine = c.store.create_service(&a, &service(&p, "Fine House", false, "Cumbria")).await.expect("fine");
    c.store.add_rating(&a, &fine, &rating(Rating::Good, 2024, 1, 1), "test").await.expect("rating");
    c.store.add_rating(&a, &f.seaside, &rating(Rating::Inadequate, 2024, 3, 1), "test").await.expect("rating");
    for (person, service) in [("CR-1", &fine), ("CR-2", &f.seaside), ("CR-3", &gone)] {
        let np = caremarket_store::placements::NewPlacement {
            person_ref: person.into(),
            service_id: service.clone(),
            host_authority: None,
            funder: "nhs".into(),
            reason: None,
            start_date: jiff::civil::date(2024, 1, 1),
            host_restrictions: None,
        };
        c.store.create_placement(&a, &np).await.expect("placement");
    }
    c.user("comm@test.gov.uk", Role::Commissioner, None).await;
    c.sign_in_as("comm@test.gov.uk").await;
    let r = c.get("/placements").await;
    r.assert_ok();
    assert!(r.contains("<strong>3</strong> current placements"));
    assert!(r.contains("<strong>2</strong> at services rated"));
    let (gone_at, bad_at, fine_at) = (r.body.find("CR-3").expect("3"), r.body.find("CR-2").expect("2"), r.body.find("CR-1").expect("1"));
    assert!(gone_at < bad_at && bad_at < fine_at, "deregistered, then Inadequate, then the rest");
    assert!(r.contains("govuk-tag--red\">Deregistered</strong>"));
    assert!(r.contains("govuk-tag--red\">Inadequate</strong>"));
    assert!(r.contains("NHS (CHC or health-funded)"));
}
