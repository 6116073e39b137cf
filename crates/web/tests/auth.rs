use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use common::Client;

#[tokio::test]
async fn sign_in_out_and_roles() {
    let mut c = Client::sqlite().await;
    c.user("viewer@test.gov.uk", Role::Viewer, None).await;
    // Not signed in: pages redirect to sign-in.
    let r = c.get("/dashboard").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location.as_deref(), Some("/sign-in"));
    // Wrong password: error summary, no session.
    c.get("/sign-in").await;
    let r = c.post_form("/sign-in", &[("email", "viewer@test.gov.uk"), ("password", "wrong-password-x")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("Enter a correct email address and password"));
    // Right password.
    let r = c.sign_in_as("viewer@test.gov.uk").await;
    assert_eq!(r.location.as_deref(), Some("/dashboard"), "{}", r.body);
    // Sign out needs the CSRF token.
    let r = c.post_form_raw("/sign-out", &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = c.post_form("/sign-out", &[]).await;
    assert_eq!(r.location.as_deref(), Some("/sign-in"));
}

#[tokio::test]
async fn form_without_csrf_token_is_refused() {
    let mut c = Client::sqlite().await;
    c.user("a@test.gov.uk", Role::Admin, None).await;
    c.get("/sign-in").await;
    let r = c.post_form_raw("/sign-in", &[("email", "a@test.gov.uk"), ("password", common::PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("This form has expired"), "{}", r.body);
}

#[tokio::test]
async fn repeated_failures_lock_the_account_sign_in() {
    let mut c = Client::sqlite().await;
    c.user("b@test.gov.uk", Role::Viewer, None).await;
    c.get("/sign-in").await;
    for _ in 0..5 {
        c.post_form("/sign-in", &[("email", "b@test.gov.uk"), ("password", "nope-nope-nope")]).await;
    }
    let r = c.post_form("/sign-in", &[("email", "b@test.gov.uk"), ("password", common::PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn healthz_reports_database() {
    let mut c = Client::sqlite().await;
    let r = c.get("/healthz").await;
    r.assert_ok();
    assert!(r.contains("\"status\":\"ok\""));
}

#[tokio::test]
async fn cross_site_post_is_refused() {
    let mut c = Client::sqlite().await;
    c.get("/sign-in").await;
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/sign-in")
        .header("host", "localhost")
        .header("origin", "https://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from("email=a&password=b"))
        .expect("req");
    let r = c.send(req).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
