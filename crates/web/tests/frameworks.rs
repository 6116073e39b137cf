//! Contract framework pages: commissioners create and edit frameworks and put services on lots;
//! other staff read them; every refusal shows a field error; roles are checked on every route.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::register::{ContractStatus, ServiceKind};
use caremarket_store::register::NewService;
use caremarket_store::{Actor, AuditQuery};
use common::Client;

fn service(provider_id: &str, name: &str, kind: ServiceKind) -> NewService {
    NewService {
        town: None,
        postcode: Some("OL1 1AA".into()),
        local_authority: Some("Oldham".into()),
        ..caremarket_testkit::service(provider_id, name, kind)
    }
}

/// The page as a browser reads it.
fn text(body: &str) -> String {
    body.replace("&#x2f;", "/").replace("&quot;", "\"").replace("&#x27;", "'").replace("&amp;", "&")
}

const FRAMEWORK: &[(&str, &str)] = &[
    ("name", "Home Care Framework 2025"),
    ("lots", "Lot 1 - North\r\nLot 2 - South"),
    ("starts_on-day", "1"),
    ("starts_on-month", "4"),
    ("starts_on-year", "2025"),
    ("ends_on-day", "31"),
    ("ends_on-month", "3"),
    ("ends_on-year", "2029"),
    ("kinds", "home_care"),
    ("kinds", "supported_living"),
];

fn with(changes: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut v: Vec<(&str, &str)> = FRAMEWORK.iter().filter(|(k, _)| !changes.iter().any(|(c, _)| c == k)).copied().collect();
    v.extend(changes.iter().filter(|(_, v)| !v.is_empty()).copied());
    v
}

#[tokio::test]
async fn a_commissioner_creates_a_framework_and_puts_services_on_its_lots() {
    let mut c = Client::sqlite().await;
    let a = Actor::system("test");
    let p = c.store.create_provider(&a, Some("1-P1"), "Riseway Care Homes Limited", None, None).await.expect("provider");
    let home_care = c.store.create_service(&a, &service(&p, "Riseway Home Care", ServiceKind::HomeCare)).await.expect("s");
    c.store.create_service(&a, &service(&p, "Coppice Nursing Home", ServiceKind::CareHomeNursing)).await.expect("s");
    c.user("commissioner@test.gov.uk", Role::Commissioner, None).await;
    c.sign_in_as("commissioner@test.gov.uk").await;

    let r = c.get("/frameworks").await;
    r.assert_ok();
    assert!(r.contains("There are no frameworks yet."));
    assert!(r.contains("href=\"&#x2f;frameworks&#x2f;new\"") || text(&r.body).contains("href=\"/frameworks/new\""));

    let r = c.post_form("/frameworks/new", FRAMEWORK).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let location = r.location.clone().expect("redirect");
    let id = location.trim_start_matches("/frameworks/").split('?').next().expect("id").to_string();
    let r = c.get(&location).await;
    r.assert_ok();
    let page = text(&r.body);
    assert!(page.contains("Framework added"));
    assert!(page.contains("<h1 class=\"govuk-heading-l\">Home Care Framework 2025</h1>"), "{page}");
    assert!(page.contains("1 April 2025") && page.contains("31 March 2029"));
    assert!(page.contains(&format!("{}, {}", ServiceKind::HomeCare.label(), ServiceKind::SupportedLiving.label())));
    // Only services of the framework's kinds are offered.
    assert!(page.contains("Riseway Home Care (Riseway Care Homes Limited"));
    assert!(!page.contains("Coppice Nursing Home ("), "a nursing home is not offered for a home care framework");

    let fw = c.store.contract_framework(&id).await.expect("fw");
    let lot2 = fw.lots.iter().find(|l| l.name == "Lot 2 - South").expect("lot 2").id.clone();
    let r = c.post_form(&format!("/frameworks/{id}/members"), &[("service_id", &home_care), ("lot_id", &lot2)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = c.get(&r.location.clone().expect("redirect")).await;
    let page = text(&r.body);
    assert!(page.contains("Service added to the framework"));
    let south = page.find("<h2 class=\"govuk-heading-m\">Lot 2 - South</h2>").expect("lot 2 heading");
    assert!(page[south..].contains("Riseway Home Care</a>"), "listed under its lot");
    let r = c.get("/frameworks").await;
    assert!(text(&r.body).contains("govuk-table__cell--numeric\">1</td>"), "one service on the framework");

    // Adding it again is refused with the reason, on the page.
    let r = c.post_form(&format!("/frameworks/{id}/members"), &[("service_id", &home_care), ("lot_id", &lot2)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(text(&r.body).contains("Riseway Home Care is already on Lot 2 - South"));
    let r = c.post_form(&format!("/frameworks/{id}/members"), &[("service_id", ""), ("lot_id", "")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("<a href=\"#service_id\">Choose a service</a>") && r.contains("<a href=\"#lot_id\">Choose a lot</a>"), "{}", r.body);

    // Remove it.
    let r = c.post_form(&format!("/frameworks/{id}/members/{home_care}/remove"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let s = c.store.service(&home_care).await.expect("s");
    assert_eq!((s.framework_id, s.contract_status), (None, ContractStatus::NotContracted));

    // Edit: rename and add a lot, from the form as opened (it carries the framework's version).
    c.get(&format!("/frameworks/{id}/edit")).await.assert_ok();
    let r = c
        .post_form(
            &format!("/frameworks/{id}/edit"),
            &with(&[("name", "Home Care Framework 2025-29"), ("lots", "Lot 1 - North\nLot 2 - South\nLot 3 - Central")]),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = c.get(&format!("/frameworks/{id}")).await;
    assert!(r.contains("Home Care Framework 2025-29") && r.contains("Lot 3 - Central"));

    // Every change is in the audit log.
    let (entries, _) =
        c.store.audit_entries(&AuditQuery { entity_type: None, entity_id: None, actor: None, limit: 100, offset: 0 }).await.expect("audit");
    let summaries: Vec<&str> = entries.iter().map(|e| e.summary.as_str()).collect();
    for expected in [
        "Added framework Home Care Framework 2025",
        "Put Riseway Home Care on Home Care Framework 2025, Lot 2 - South",
        "Took Riseway Home Care off Home Care Framework 2025",
        "Changed framework Home Care Framework 2025-29",
    ] {
        assert!(summaries.contains(&expected), "{expected} not in {summaries:?}");
    }
}

#[tokio::test]
async fn framework_forms_show_every_error_by_field() {
    let mut c = Client::sqlite().await;
    c.user("commissioner@test.gov.uk", Role::Commissioner, None).await;
    c.sign_in_as("commissioner@test.gov.uk").await;
    for (changes, field, message) in [
        (vec![("ends_on-year", "2024")], "ends_on-day", "The end date must be the same as or after the start date"),
        (vec![("lots", "Lot 1\nlot 1")], "lots", "Lot names must be different: \"lot 1\" is given twice"),
        (vec![("kinds", "")], "kinds", "Select the types of service the framework covers"),
        (vec![("kinds", "spaceships")], "kinds", "Select the types of service from the list"),
        (vec![("name", " ")], "name", "Enter the framework's name"),
        (vec![("starts_on-month", "13")], "starts_on-day", "The start date must be a real date"),
    ] {
        let r = c.post_form("/frameworks/new", &with(&changes)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{changes:?}");
        let page = text(&r.body);
        assert!(page.contains(&format!("<a href=\"#{field}\">{message}</a>")), "{changes:?}: {page}");
        // What was typed is kept.
        assert!(page.contains("Lot"), "{changes:?}");
    }
    assert!(c.store.contract_frameworks().await.expect("list").is_empty(), "nothing refused was saved");
    // A duplicate name is refused by the store, shown the same way.
    assert_eq!(c.post_form("/frameworks/new", FRAMEWORK).await.status, StatusCode::SEE_OTHER);
    let r = c.post_form("/frameworks/new", FRAMEWORK).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(text(&r.body).contains("<a href=\"#name\">There is already a framework called Home Care Framework 2025</a>"));
}

#[tokio::test]
async fn roles_are_checked_on_every_framework_route() {
    let mut c = Client::sqlite().await;
    let a = Actor::system("test");
    let id = c
        .store
        .create_contract_framework(
            &a,
            &caremarket_core::register::framework::FrameworkDraft {
                name: "Residential Framework".into(),
                lots: vec!["Lot 1".into()],
                starts_on: None,
                ends_on: None,
                kinds: vec![ServiceKind::CareHomeResidential],
            },
        )
        .await
        .expect("fw");
    let p = c.store.create_provider(&a, Some("1-P1"), "Acme", None, None).await.expect("provider");
    let s = c.store.create_service(&a, &service(&p, "Acme House", ServiceKind::CareHomeResidential)).await.expect("s");
    let lot = c.store.contract_framework(&id).await.expect("fw").lots[0].id.clone();

    // Signed out: sent to sign in.
    let r = c.get("/frameworks").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // A quality officer reads but cannot change.
    c.user("quality@test.gov.uk", Role::QualityOfficer, None).await;
    c.sign_in_as("quality@test.gov.uk").await;
    let r = c.get("/frameworks").await;
    r.assert_ok();
    assert!(r.contains("Residential Framework") && !r.contains("Add a framework"));
    let r = c.get(&format!("/frameworks/{id}")).await;
    r.assert_ok();
    assert!(!r.contains("Add a service to the framework") && !r.contains("Edit the framework"));
    for path in ["/frameworks/new".to_string(), format!("/frameworks/{id}/edit")] {
        assert_eq!(c.get(&path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    for path in [
        "/frameworks/new".to_string(),
        format!("/frameworks/{id}/edit"),
        format!("/frameworks/{id}/members"),
        format!("/frameworks/{id}/members/{s}/remove"),
    ] {
        let r = c.post_form(&path, &[("name", "X"), ("service_id", &s), ("lot_id", &lot)]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert!(c.store.service(&s).await.expect("s").framework_id.is_none());
    assert_eq!(c.store.contract_framework(&id).await.expect("fw").name, "Residential Framework");

    // A provider user cannot even read them.
    c.user("provider@test.gov.uk", Role::Provider, Some(&p)).await;
    c.sign_in_as("provider@test.gov.uk").await;
    assert_eq!(c.get("/frameworks").await.status, StatusCode::FORBIDDEN);
    assert_eq!(c.get(&format!("/frameworks/{id}")).await.status, StatusCode::FORBIDDEN);
    // An unknown framework is not found.
    c.user("admin@test.gov.uk", Role::Admin, None).await;
    c.sign_in_as("admin@test.gov.uk").await;
    assert_eq!(c.get("/frameworks/nope").await.status, StatusCode::NOT_FOUND);
}
