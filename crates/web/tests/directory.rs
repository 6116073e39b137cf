//! The public directory: lists in-area, active services with public fields only, as pages and
//! as Open Referral UK JSON, with no sign-in.
mod common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::register::{ContractStatus, Rating, ServiceKind, Specialism};
use caremarket_store::Actor;
use caremarket_store::register::{NewService, RatingRecord};
use common::Client;

const SECRET_NOTE: &str = "Zebra-7731 safeguarding concern, do not publish";
const SECRET_FRAMEWORK: &str = "Quokka Residential Framework 2024";
const SECRET_LOT: &str = "Lot Wombat";

fn service(provider_id: &str, name: &str, in_area: bool) -> NewService {
    NewService {
        provider_id: provider_id.to_string(),
        cqc_location_id: None,
        name: name.to_string(),
        kind: ServiceKind::CareHomeResidential,
        address_line: Some("1 High Street".into()),
        town: Some("Testtown".into()),
        postcode: Some("OL1 1AA".into()),
        local_authority: Some("Testshire".into()),
        region: Some("North West".into()),
        in_area,
        phone: Some("0161 000 0000".into()),
        website: Some("www.example.org".into()),
        registration_status: "registered".into(),
        registration_date: None,
        beds: Some(40),
        service_types: vec!["Residential homes".into()],
        specialisms: vec![Specialism::Dementia],
        contract_status: ContractStatus::NotContracted,
        framework_id: None,
        lot_id: None,
        contract_start: None,
        contract_end: None,
        council_notes: None,
    }
}

struct Fixture {
    willow: String,
    oak: String,
    faraway: String,
    closed: String,
}

async fn fixture(c: &Client) -> Fixture {
    let a = Actor::system("test");
    let s = &c.store;
    let north = s.create_area(&a, "North Testshire", &["OL1"]).await.expect("area");
    let _ = north;
    let p = s.create_provider(&a, Some("1-100"), "Acme Care Ltd", None, None).await.expect("provider");
    let fw = s.create_framework(&a, SECRET_FRAMEWORK, Some(ServiceKind::CareHomeResidential), None, None, &[SECRET_LOT]).await.expect("fw");
    let lot = s.frameworks().await.expect("frameworks")[0].lots[0].id.clone();
    let willow = s
        .create_service(
            &a,
            &NewService {
                cqc_location_id: Some("1-000000001".into()),
                contract_status: ContractStatus::Framework,
                framework_id: Some(fw),
                lot_id: Some(lot),
                contract_start: Some(jiff::civil::date(2024, 4, 1)),
                contract_end: Some(jiff::civil::date(2029, 3, 31)),
                council_notes: Some(SECRET_NOTE.into()),
                ..service(&p, "Willow Court", true)
            },
        )
        .await
        .expect("willow");
    s.add_rating(
        &a,
        &willow,
        &RatingRecord {
            overall: Some(Rating::Good),
            safe: Some(Rating::RequiresImprovement),
            effective: Some(Rating::Good),
            caring: Some(Rating::Outstanding),
            responsive: Some(Rating::Good),
            well_led: Some(Rating::Good),
            report_date: Some(jiff::civil::date(2024, 2, 3)),
        },
        "test",
    )
    .await
    .expect("rating");
    let oak = s
        .create_service(
            &a,
            &NewService {
                kind: ServiceKind::HomeCare,
                postcode: Some("M1 1AA".into()),
                town: Some("Othertown".into()),
                specialisms: vec![Specialism::LearningDisabilities],
                ..service(&p, "Oak Home Care", true)
            },
        )
        .await
        .expect("oak");
    let faraway = s.create_service(&a, &service(&p, "Faraway House", false)).await.expect("faraway");
    let closed = s
        .create_service(&a, &NewService { registration_status: "deregistered".into(), ..service(&p, "Closed House", true) })
        .await
        .expect("closed");
    Fixture { willow, oak, faraway, closed }
}

/// The page as a browser reads it: minijinja escapes '/' and quotes in text and attributes.
fn text(r: &common::Res) -> String {
    r.body.replace("&#x2f;", "/").replace("&quot;", "\"").replace("&#x27;", "'").replace("&amp;", "&")
}

fn assert_nothing_private(body: &str) {
    let body = &body.replace("&#x2f;", "/").replace("&quot;", "\"").replace("&#x27;", "'").replace("&amp;", "&");
    for secret in [SECRET_NOTE, "Zebra-7731", SECRET_FRAMEWORK, SECRET_LOT, "2029-03-31", "31 March 2029", "Faraway House", "Closed House"]
    {
        assert!(!body.contains(secret), "public output contains {secret:?}");
    }
}

#[tokio::test]
async fn directory_lists_in_area_active_services_without_private_details() {
    let mut c = Client::sqlite().await;
    let f = fixture(&c).await;
    let r = c.get("/directory").await;
    r.assert_ok();
    assert!(r.contains("Willow Court"));
    assert!(r.contains("Oak Home Care"));
    assert!(r.contains("2 services found"), "{}", r.body);
    assert!(r.contains("Council contracted"));
    assert!(r.contains("govuk-tag--green\">Good</strong>"));
    assert!(r.contains("3 February 2024"));
    assert!(!r.contains("Framework</"), "contract type must not be shown");
    assert_nothing_private(&r.body);
    // No staff navigation on the public page.
    assert!(!r.contains("govuk-service-navigation__link"));

    let r = c.get(&format!("/directory/services/{}", f.willow)).await;
    r.assert_ok();
    let page = text(&r);
    assert!(page.contains("href=\"https://www.cqc.org.uk/location/1-000000001\""), "{page}");
    assert!(r.contains("Acme Care Ltd"));
    assert!(r.contains("0161 000 0000"));
    assert!(page.contains("href=\"https://www.example.org\""));
    assert!(r.contains("Dementia"));
    assert!(r.contains("govuk-tag--orange\">Requires improvement</strong>"), "key question ratings shown");
    assert!(r.contains("govuk-tag--blue\">Outstanding</strong>"));
    assert!(r.contains("<dd class=\"govuk-summary-list__value\">Yes</dd>"), "contracted yes");
    assert_nothing_private(&r.body);

    let r = c.get(&format!("/directory/services/{}", f.oak)).await;
    r.assert_ok();
    assert!(r.contains("<dd class=\"govuk-summary-list__value\">No</dd>"), "not contracted");

    for id in [&f.faraway, &f.closed, &"01900000-0000-7000-8000-000000000000".to_string()] {
        let r = c.get(&format!("/directory/services/{id}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{id}");
        assert_nothing_private(&r.body);
    }
}

#[tokio::test]
async fn directory_search_and_filters() {
    let mut c = Client::sqlite().await;
    fixture(&c).await;
    let r = c.get("/directory?q=willow").await;
    assert!(r.contains("Willow Court") && !r.contains("Oak Home Care"));
    let r = c.get("/directory?q=OL1").await;
    assert!(r.contains("Willow Court") && !r.contains("Oak Home Care"), "postcode search");
    let r = c.get("/directory?q=othertown").await;
    assert!(!r.contains("Willow Court") && r.contains("Oak Home Care"), "town search");
    let r = c.get("/directory?kind=home_care").await;
    assert!(!r.contains("Willow Court") && r.contains("Oak Home Care"));
    let r = c.get("/directory?specialism=dementia").await;
    assert!(r.contains("Willow Court") && !r.contains("Oak Home Care"));
    let r = c.get("/directory?rating=good").await;
    assert!(r.contains("Willow Court") && !r.contains("Oak Home Care"));
    let r = c.get("/directory?rating=unrated").await;
    assert!(!r.contains("Willow Court") && r.contains("Oak Home Care"));
    let r = c.get("/directory?contracted=yes").await;
    assert!(r.contains("Willow Court") && !r.contains("Oak Home Care"));
    let areas = c.store.areas().await.expect("areas");
    let r = c.get(&format!("/directory?area={}", areas[0].id)).await;
    assert!(r.contains("Willow Court") && !r.contains("Oak Home Care"), "area filter");
    // Unknown values are ignored rather than failing.
    let r = c.get("/directory?kind=nonsense&rating=bogus&page=x").await;
    r.assert_ok();
    assert!(r.contains("2 services found"));
    // Deregistered and out-of-area services cannot be found by name either.
    let r = c.get("/directory?q=house").await;
    assert!(r.contains("0 services found"));
    assert_nothing_private(&r.body);
}

#[tokio::test]
async fn signed_in_staff_see_the_same_public_page() {
    let mut c = Client::sqlite().await;
    fixture(&c).await;
    c.user("admin@test.gov.uk", Role::Admin, None).await;
    c.sign_in_as("admin@test.gov.uk").await;
    let r = c.get("/directory").await;
    r.assert_ok();
    assert!(!r.contains("/admin/users"));
    assert!(!r.contains("govuk-service-navigation__link"));
    assert_nothing_private(&r.body);
}

#[tokio::test]
async fn open_referral_json_has_public_fields_only() {
    let mut c = Client::sqlite().await;
    let f = fixture(&c).await;
    let r = c.get("/directory/api/services?per_page=1").await;
    r.assert_ok();
    assert!(r.content_type.as_deref().unwrap_or("").starts_with("application/json"));
    assert_nothing_private(&r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    assert_eq!(v["total_items"], 2);
    assert_eq!(v["total_pages"], 2);
    assert_eq!(v["page_number"], 1);
    assert_eq!(v["first_page"], true);
    assert_eq!(v["last_page"], false);
    let first = &v["contents"][0];
    assert_eq!(first["name"], "Oak Home Care", "sorted by name");
    assert_eq!(first["status"], "active");

    let r = c.get("/directory/api/services?search=willow").await;
    assert_nothing_private(&r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    assert_eq!(v["total_items"], 1);
    let s = &v["contents"][0];
    assert_eq!(s["id"], f.willow.as_str());
    assert_eq!(s["organization"]["name"], "Acme Care Ltd");
    assert_eq!(s["url"], "https://www.example.org");
    let loc = &s["service_at_locations"][0]["location"];
    assert_eq!(loc["external_identifier"], "1-000000001");
    assert_eq!(loc["addresses"][0]["postal_code"], "OL1 1AA");
    assert_eq!(s["contacts"][0]["phones"][0]["number"], "0161 000 0000");
    assert_eq!(s["x_caremarket"]["council_contracted"], true);
    assert_eq!(s["x_caremarket"]["cqc"]["overall"], "good");
    assert_eq!(s["x_caremarket"]["cqc"]["key_questions"]["safe"], "requires_improvement");
    assert_eq!(s["x_caremarket"]["cqc"]["report_date"], "2024-02-03");
    // Ids of nested records are stable UUIDs.
    let again: serde_json::Value = serde_json::from_str(&c.get(&format!("/directory/api/services/{}", f.willow)).await.body).expect("json");
    assert_eq!(again["service_at_locations"][0]["location"]["id"], loc["id"]);

    for id in [&f.faraway, &f.closed] {
        let r = c.get(&format!("/directory/api/services/{id}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert!(r.content_type.as_deref().unwrap_or("").starts_with("application/json"));
        assert_nothing_private(&r.body);
    }
    let r = c.get("/directory/api").await;
    r.assert_ok();
    assert!(r.contains("\"version\":\"3.0\""));
}

#[tokio::test]
async fn open_referral_api_allows_any_origin() {
    use tower::ServiceExt;
    let c = Client::sqlite().await;
    let req = axum::http::Request::builder()
        .uri("/directory/api/services")
        .header("host", "localhost")
        .body(axum::body::Body::empty())
        .expect("req");
    let res = c.app.clone().oneshot(req).await.expect("res");
    assert_eq!(res.headers().get("access-control-allow-origin").and_then(|v| v.to_str().ok()), Some("*"));
}

#[tokio::test]
async fn accessibility_statement_is_public() {
    let mut c = Client::sqlite().await;
    let r = c.get("/accessibility").await;
    r.assert_ok();
    assert!(r.contains("Accessibility statement for Testshire Council caremarket"));
    assert!(r.contains("Enforcement procedure"));
}
