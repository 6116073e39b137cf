//! Issue 17 item 12, the parts that were left: someone guessing an account's password locks it
//! for everyone except the browsers its owner signed in from before; an API token has a request
//! rate of its own, answered with 429 and Retry-After beyond it; and brokerage case references
//! are shown only to roles that manage brokerage.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::capacity::brokerage::{Lot, Route};
use caremarket_store::Actor;
use caremarket_store::capacity::NewPackageRequest;
use common::{Client, PASSWORD};

#[tokio::test]
async fn a_locked_account_still_signs_in_from_a_known_browser() {
    let mut owner = Client::sqlite().await;
    owner.user("owner@test.gov.uk", Role::Commissioner, None).await;
    // The owner signs in once: their browser is now known for this account.
    let r = owner.sign_in_as("owner@test.gov.uk").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        r.headers.get_all("set-cookie").iter().any(|v| v.to_str().unwrap_or("").starts_with("caremarket_device=")),
        "a device cookie is set at sign-in"
    );
    owner.post_form("/sign-out", &[]).await;

    // Someone else guesses five times and locks the account, even for the right password.
    let mut attacker = owner.sibling();
    for _ in 0..5 {
        let r = attacker.sign_in_with("owner@test.gov.uk", "wrong-password-guess").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
    }
    let r = attacker.sign_in_with("owner@test.gov.uk", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.contains("too many attempts to sign in"), "{}", r.body);
    // A browser that never signed in to this account is locked out too.
    let mut stranger = owner.sibling();
    assert_eq!(stranger.sign_in_with("owner@test.gov.uk", PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);

    // The owner's browser is let through with the right password.
    let r = owner.sign_in_as("owner@test.gov.uk").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(owner.get("/work").await.status != StatusCode::UNAUTHORIZED);
    owner.post_form("/sign-out", &[]).await;

    // A known browser has a lockout of its own: five wrong passwords from it lock it too.
    for _ in 0..5 {
        assert_eq!(owner.sign_in_with("owner@test.gov.uk", "owner-mistyped-it").await.status, StatusCode::BAD_REQUEST);
    }
    assert_eq!(owner.sign_in_with("owner@test.gov.uk", PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_device_cookie_for_another_account_or_forged_does_not_help() {
    let mut c = Client::sqlite().await;
    c.user("first@test.gov.uk", Role::Viewer, None).await;
    c.user("second@test.gov.uk", Role::Viewer, None).await;
    c.sign_in_as("first@test.gov.uk").await;
    c.post_form("/sign-out", &[]).await;
    let mut attacker = c.sibling();
    for _ in 0..5 {
        attacker.sign_in_with("second@test.gov.uk", "wrong-password-guess").await;
    }
    // Known for the first account only: the second stays locked from this browser.
    assert_eq!(c.sign_in_with("second@test.gov.uk", PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn api_tokens_are_rate_limited_each_on_its_own() {
    let store = caremarket_testkit::sqlite().await.expect("store");
    let settings = caremarket_web::WebSettings { api_requests_per_minute: 3, ..common::test_settings() };
    let mut c = Client::with_settings(store, settings);
    let system = Actor::system("test");
    let a = c.user("a@test.gov.uk", Role::Viewer, None).await;
    let b = c.user("b@test.gov.uk", Role::Viewer, None).await;
    let (_, token_a) = c.store.create_api_token(&system, &a, "tests").await.expect("token");
    let (_, token_b) = c.store.create_api_token(&system, &b, "tests").await.expect("token");
    for _ in 0..3 {
        c.api("GET", "/api/v1/services", Some(&token_a), None).await.assert_ok();
    }
    let r = c.api("GET", "/api/v1/services", Some(&token_a), None).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    // 3 a minute: the next request is allowed 20 seconds after the last one (rounded up).
    let wait: u64 = r.headers.get("retry-after").expect("Retry-After").to_str().expect("text").parse().expect("seconds");
    assert!((1..=20).contains(&wait), "Retry-After {wait}");
    assert!(r.contains("This API token has sent too many requests. Wait"), "{}", r.body);
    // Another token is not affected.
    c.api("GET", "/api/v1/services", Some(&token_b), None).await.assert_ok();
    assert_eq!(c.state.api_limiter.tracked(), 2);
}

async fn package(c: &Client) -> String {
    let a = Actor::system("test");
    let area = c.store.create_area(&a, "North", &["TT1"]).await.expect("area");
    let now = jiff::Timestamp::now();
    c.store
        .create_package_request(
            &a,
            &NewPackageRequest {
                person_ref: "ZX98765".into(),
                area_id: area,
                minutes_per_week: 14 * 60,
                visits_per_day: 2,
                visit_times: "08:00, 18:00".into(),
                double_up_visits: 0,
                lot: Lot::General,
                needs: vec![],
                language: None,
                cultural_needs: None,
                route: Route::HospitalDischarge,
                requested_at: now,
            },
            now,
        )
        .await
        .expect("request")
}

#[tokio::test]
async fn brokerage_case_references_are_for_brokerage_roles() {
    let mut c = Client::sqlite().await;
    let id = package(&c).await;
    let today = caremarket_store::today();
    let pages = [
        "/brokerage".to_string(),
        format!("/brokerage/requests/{id}"),
        format!("/brokerage/discharge?from={}&to={today}", today.checked_sub(jiff::Span::new().days(30)).expect("d")),
    ];
    c.user("quality@test.gov.uk", Role::QualityOfficer, None).await;
    c.sign_in_as("quality@test.gov.uk").await;
    for p in &pages {
        let r = c.get(p).await;
        r.assert_ok();
        assert!(!r.contains("ZX98765"), "{p} shows the case reference to a quality officer");
        assert!(r.contains("Request in North"), "{p}: {}", r.body);
    }
    assert!(c.get(&pages[1]).await.contains("case reference is shown to brokerage officers only."));
    c.post_form("/sign-out", &[]).await;
    for (email, role) in [("broker@test.gov.uk", Role::BrokerageOfficer), ("comm@test.gov.uk", Role::Commissioner)] {
        c.user(email, role, None).await;
        c.sign_in_as(email).await;
        for p in &pages {
            let r = c.get(p).await;
            r.assert_ok();
            assert!(r.contains("ZX98765"), "{email} {p}");
        }
        c.post_form("/sign-out", &[]).await;
    }
}
