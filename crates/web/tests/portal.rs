//! The provider portal: a provider user sees their own services and nothing of any other
//! provider; council staff are refused.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::register::{ContractStatus, Rating, ServiceKind};
use caremarket_store::Actor;
use caremarket_store::register::{NewService, RatingRecord};
use common::Client;

fn service(provider_id: &str, name: &str, contract: ContractStatus, notes: Option<&str>) -> NewService {
    NewService {
        address_line: Some("3 Mill Lane".into()),
        postcode: None,
        local_authority: None,
        contract_status: contract,
        council_notes: notes.map(str::to_string),
        ..caremarket_testkit::service(provider_id, name, ServiceKind::HomeCare)
    }
}

struct Fixture {
    own: String,
    own_out_of_area: String,
    other: String,
    provider: String,
}

async fn fixture(c: &Client) -> Fixture {
    let a = Actor::system("test");
    let s = &c.store;
    let provider = s.create_provider(&a, None, "Acme Care Ltd", None, None).await.expect("provider");
    let rival = s.create_provider(&a, None, "Rival Homes plc", None, None).await.expect("rival");
    let own = s
        .create_service(&a, &service(&provider, "Acme Home Care North", ContractStatus::DirectAward, Some("Internal: Kestrel-42 concern")))
        .await
        .expect("own");
    s.add_rating(
        &a,
        &own,
        &RatingRecord {
            overall: Some(Rating::Good),
            well_led: Some(Rating::RequiresImprovement),
            report_date: Some(jiff::civil::date(2023, 9, 1)),
            ..Default::default()
        },
        "test",
    )
    .await
    .expect("rating");
    s.add_rating(
        &a,
        &own,
        &RatingRecord { overall: Some(Rating::Outstanding), report_date: Some(jiff::civil::date(2025, 1, 10)), ..Default::default() },
        "test",
    )
    .await
    .expect("rating");
    let own_out_of_area = s
        .create_service(&a, &NewService { in_area: false, ..service(&provider, "Acme Coastal", ContractStatus::NotContracted, None) })
        .await
        .expect("own2");
    let other =
        s.create_service(&a, &service(&rival, "Rival Lodge", ContractStatus::SpotPurchase, Some("Rival note"))).await.expect("other");
    Fixture { own, own_out_of_area, other, provider }
}

#[tokio::test]
async fn provider_user_sees_only_their_own_services() {
    let mut c = Client::sqlite().await;
    let f = fixture(&c).await;
    c.user("pat@acme.example", Role::Provider, Some(&f.provider)).await;
    let r = c.sign_in_as("pat@acme.example").await;
    assert_eq!(r.location.as_deref(), Some("/portal"));

    let r = c.get("/portal").await;
    r.assert_ok();
    assert!(r.contains("Acme Care Ltd"));
    assert!(r.contains("Acme Home Care North"));
    assert!(r.contains("Acme Coastal"));
    assert!(r.contains("Direct award"), "contract status");
    assert!(r.contains("Not contracted"));
    assert!(r.contains("govuk-tag--blue\">Outstanding</strong>"), "current rating");
    assert!(r.contains("10 January 2025"));
    for absent in ["Rival", "Kestrel-42", "Internal:"] {
        assert!(!r.contains(absent), "portal shows {absent}");
    }

    let r = c.get(&format!("/portal/services/{}", f.own)).await;
    r.assert_ok();
    assert!(r.contains("Acme Home Care North"));
    assert!(r.contains("Rating history"));
    assert!(r.contains("1 September 2023"), "earlier rating in history");
    assert!(!r.contains("Kestrel-42"), "council notes are not shown to providers");
    c.get(&format!("/portal/services/{}", f.own_out_of_area)).await.assert_ok();

    // Another provider's service is not found, and says nothing about it.
    let r = c.get(&format!("/portal/services/{}", f.other)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(!r.contains("Rival"));
    let r = c.get("/portal/services/not-a-service").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // A provider user cannot see council pages.
    for path in ["/placements", "/admin/users", "/admin/audit"] {
        assert_eq!(c.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
}

#[tokio::test]
async fn staff_are_refused_the_portal() {
    let mut c = Client::sqlite().await;
    let f = fixture(&c).await;
    for (email, role) in
        [("admin@test.gov.uk", Role::Admin), ("comm@test.gov.uk", Role::Commissioner), ("viewer@test.gov.uk", Role::Viewer)]
    {
        let mut s = Client::new(c.store.clone());
        s.user(email, role, None).await;
        s.sign_in_as(email).await;
        assert_eq!(s.get("/portal").await.status, StatusCode::FORBIDDEN, "{email}");
        assert_eq!(s.get(&format!("/portal/services/{}", f.own)).await.status, StatusCode::FORBIDDEN, "{email}");
    }
    assert_eq!(c.get("/portal").await.location.as_deref(), Some("/sign-in"));
}
