//! Council single sign-on (issue 17 item 8) through the router. A small OpenID provider runs in
//! the test on a loopback port: discovery, an empty key set and a token endpoint that checks the
//! client's secret and the PKCE verifier, and signs the ID token with the client secret (HS256),
//! with whatever nonce the test tells it. The browser journey 77 signs in through the real npm
//! `oidc-provider`; these tests reach what a browser cannot: a forged state, a wrong nonce.

use crate::common;

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use caremarket_core::access::Role;
use caremarket_store::{Actor, AuditQuery};
use caremarket_web::WebSettings;
use caremarket_web::single_sign_on::SingleSignOnSettings;
use common::Client;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const CLIENT_ID: &str = "caremarket-test";
const SECRET: &str = "a-client-secret-of-at-least-32-bytes-for-hs256";
const REDIRECT_BASE: &str = "http://caremarket.test";

/// What the stand-in provider will put in its next ID token, and what it saw.
#[derive(Default)]
struct Provider {
    issuer: String,
    challenge: Option<String>,
    nonce: Option<String>,
    groups: Vec<String>,
    email_verified: bool,
    token_requests: usize,
}

type Shared = Arc<Mutex<Provider>>;

fn sign(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": "HS256", "typ": "JWT"}).to_string());
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(format!("{header}.{payload}").as_bytes());
    format!("{header}.{payload}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

async fn discovery(State(p): State<Shared>) -> Json<Value> {
    let issuer = p.lock().expect("lock").issuer.clone();
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/auth"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["HS256"],
        "code_challenge_methods_supported": ["S256"],
    }))
}

async fn token(State(p): State<Shared>, headers: HeaderMap, Form(form): Form<HashMap<String, String>>) -> (StatusCode, Json<Value>) {
    let mut p = p.lock().expect("lock");
    p.token_requests += 1;
    let expected_auth = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{SECRET}")));
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected_auth.as_str()) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_client"})));
    }
    // PKCE: the verifier must be the one whose SHA-256 the authorisation request carried.
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if p.challenge.as_deref() != Some(challenge.as_str()) || form.get("code").map(String::as_str) != Some("the-code") {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_grant"})));
    }
    let now = jiff::Timestamp::now().as_second();
    let id_token = sign(&json!({
        "iss": p.issuer, "sub": "sub-sam", "aud": CLIENT_ID, "iat": now, "exp": now + 300,
        "nonce": p.nonce, "email": "sam.okafor@council.example", "email_verified": p.email_verified,
        "name": "Sam Okafor", "groups": p.groups,
    }));
    (StatusCode::OK, Json(json!({"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": id_token})))
}

/// Starts the stand-in provider and returns its state and the issuer URL.
async fn provider() -> Shared {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let issuer = format!("http://{}", listener.local_addr().expect("addr"));
    let shared: Shared = Arc::new(Mutex::new(Provider { issuer, email_verified: true, ..Default::default() }));
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(|| async { Json(json!({"keys": []})) }))
        .route("/token", post(token))
        .with_state(shared.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    shared
}

async fn client_with_sso(p: &Shared) -> Client {
    let store = caremarket_testkit::sqlite().await.expect("store");
    store.set_setting("council_name", "Testshire Council").await.expect("setting");
    let settings = SingleSignOnSettings {
        issuer_url: p.lock().expect("lock").issuer.clone(),
        client_id: CLIENT_ID.into(),
        client_secret: SECRET.to_string().into(),
        redirect_base_url: REDIRECT_BASE.into(),
        display_name: "Testshire ID".into(),
        extra_scopes: vec!["groups".into()],
    };
    Client::with_settings(store, WebSettings { single_sign_on: Some(settings), ..common::test_settings() })
}

/// Starts a sign-in, as the button does, and returns the authorisation request's parameters.
async fn start(c: &mut Client, p: &Shared) -> HashMap<String, String> {
    let res = c.get("/sign-in/single-sign-on").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let to = res.location.expect("redirect");
    let issuer = p.lock().expect("lock").issuer.clone();
    assert!(to.starts_with(&format!("{issuer}/auth?")), "{to}");
    let query: HashMap<String, String> = serde_urlencoded::from_str(to.split_once('?').expect("query").1).expect("params");
    p.lock().expect("lock").challenge = query.get("code_challenge").cloned();
    query
}

async fn sign_in_audit(c: &Client) -> Vec<String> {
    c.store
        .audit_entries(&AuditQuery { entity_type: Some("user".into()), entity_id: None, actor: None, limit: 20, offset: 0 })
        .await
        .expect("audit")
        .0
        .into_iter()
        .map(|e| e.summary)
        .collect()
}

#[tokio::test]
async fn a_person_in_a_mapped_group_signs_in_with_pkce_state_and_nonce_and_gets_the_role() {
    let p = provider().await;
    let mut c = client_with_sso(&p).await;
    c.store.map_group(&Actor::system("test"), "care-commissioning", Role::Commissioner).await.expect("map");

    let page = c.get("/sign-in").await;
    assert!(page.contains(">Sign in with Testshire ID</a>"), "{}", page.body);

    let q = start(&mut c, &p).await;
    assert_eq!(q.get("response_type").map(String::as_str), Some("code"));
    assert_eq!(q.get("client_id").map(String::as_str), Some(CLIENT_ID));
    assert_eq!(q.get("code_challenge_method").map(String::as_str), Some("S256"));
    assert_eq!(q.get("redirect_uri").map(String::as_str), Some("http://caremarket.test/sign-in/single-sign-on/callback"));
    assert_eq!(q.get("scope").map(String::as_str), Some("openid email profile groups"));
    {
        let mut p = p.lock().expect("lock");
        p.nonce = q.get("nonce").cloned();
        p.groups = vec!["all-staff".into(), "care-commissioning".into()];
    }
    let state = q.get("state").expect("state");
    let res = c.get(&format!("/sign-in/single-sign-on/callback?code=the-code&state={state}")).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.location.as_deref(), Some(Role::Commissioner.home()));
    let home = c.get(Role::Commissioner.home()).await;
    home.assert_ok();
    assert!(home.contains("Signed in as <strong>Sam Okafor</strong>"), "{}", home.body);
    assert_eq!(sign_in_audit(&c).await, vec!["Signed in with single sign-on", "Created Commissioner account at first single sign-on"]);
}

#[tokio::test]
async fn a_forged_or_replayed_state_is_refused_and_nothing_is_exchanged() {
    let p = provider().await;
    let mut c = client_with_sso(&p).await;
    c.store.map_group(&Actor::system("test"), "care-commissioning", Role::Commissioner).await.expect("map");

    // No sign-in started in this browser.
    let res = c.get("/sign-in/single-sign-on/callback?code=the-code&state=anything").await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.contains("This browser did not start a sign-in with Testshire ID"), "{}", res.body);

    let q = start(&mut c, &p).await;
    {
        let mut p = p.lock().expect("lock");
        p.nonce = q.get("nonce").cloned();
        p.groups = vec!["care-commissioning".into()];
    }
    let res = c.get("/sign-in/single-sign-on/callback?code=the-code&state=not-the-state").await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.contains("Sign-in could not be completed"), "{}", res.body);
    assert!(res.contains("The answer from Testshire ID does not belong to the sign-in this browser started"), "{}", res.body);

    // The state is used up by the refused attempt: the right one, now, is refused too.
    let state = q.get("state").expect("state");
    let res = c.get(&format!("/sign-in/single-sign-on/callback?code=the-code&state={state}")).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.contains("This browser did not start a sign-in with Testshire ID, or it has already finished"), "{}", res.body);
    assert_eq!(p.lock().expect("lock").token_requests, 0, "no code was exchanged");
    assert_eq!(c.get("/dashboard").await.location.as_deref(), Some("/sign-in"));
    assert_eq!(c.store.count_users().await.expect("count"), 0);
}

#[tokio::test]
async fn an_id_token_with_another_nonce_is_refused() {
    let p = provider().await;
    let mut c = client_with_sso(&p).await;
    c.store.map_group(&Actor::system("test"), "care-commissioning", Role::Commissioner).await.expect("map");
    let q = start(&mut c, &p).await;
    {
        let mut p = p.lock().expect("lock");
        p.nonce = Some("a-nonce-from-another-sign-in".into());
        p.groups = vec!["care-commissioning".into()];
    }
    let state = q.get("state").expect("state");
    let res = c.get(&format!("/sign-in/single-sign-on/callback?code=the-code&state={state}")).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert!(res.contains("caremarket could not confirm your sign-in with Testshire ID"), "{}", res.body);
    assert_eq!(p.lock().expect("lock").token_requests, 1, "the code was exchanged, and the ID token refused");
    assert_eq!(c.get("/dashboard").await.location.as_deref(), Some("/sign-in"));
    assert_eq!(c.store.count_users().await.expect("count"), 0);
}

#[tokio::test]
async fn unmapped_groups_and_deactivated_accounts_are_refused_with_the_reason() {
    let p = provider().await;
    let mut c = client_with_sso(&p).await;
    c.store.map_group(&Actor::system("test"), "care-commissioning", Role::Commissioner).await.expect("map");

    let q = start(&mut c, &p).await;
    {
        let mut p = p.lock().expect("lock");
        p.nonce = q.get("nonce").cloned();
        p.groups = vec!["finance".into()];
    }
    let res = c.get(&format!("/sign-in/single-sign-on/callback?code=the-code&state={}", q["state"])).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.contains("You cannot sign in to caremarket"), "{}", res.body);
    assert!(res.contains("none of your groups there has been given access to caremarket"), "{}", res.body);
    assert_eq!(c.store.count_users().await.expect("count"), 0);

    // A deactivated local account with the same email stays refused, whatever the groups.
    let id = c.user("sam.okafor@council.example", Role::Viewer, None).await;
    c.store.set_user_active(&Actor::system("test"), &id, false).await.expect("deactivate");
    let q = start(&mut c, &p).await;
    {
        let mut p = p.lock().expect("lock");
        p.nonce = q.get("nonce").cloned();
        p.groups = vec!["care-commissioning".into()];
    }
    let res = c.get(&format!("/sign-in/single-sign-on/callback?code=the-code&state={}", q["state"])).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.contains("Your caremarket account has been deactivated"), "{}", res.body);
    assert_eq!(c.get("/dashboard").await.location.as_deref(), Some("/sign-in"));
}

#[tokio::test]
async fn without_single_sign_on_configured_there_is_no_button_and_no_route() {
    let mut c = Client::sqlite().await;
    let page = c.get("/sign-in").await;
    assert!(!page.contains("Sign in with"), "{}", page.body);
    assert_eq!(c.get("/sign-in/single-sign-on").await.status, StatusCode::NOT_FOUND);
    assert_eq!(c.get("/sign-in/single-sign-on/callback?code=x&state=y").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_group_mapping_page_is_for_those_who_manage_users_only() {
    let mut c = Client::sqlite().await;
    c.user("commissioner@test.gov.uk", Role::Commissioner, None).await;
    c.user("admin@test.gov.uk", Role::Admin, None).await;

    // Signed out: sent to sign in.
    assert_eq!(c.get("/admin/sign-in").await.location.as_deref(), Some("/sign-in"));

    for role_email in ["commissioner@test.gov.uk"] {
        c.sign_in_as(role_email).await;
        assert_eq!(c.get("/admin/sign-in").await.status, StatusCode::FORBIDDEN);
        let res = c.post_form("/admin/sign-in", &[("group", "care-commissioning"), ("role", "admin")]).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        let res = c.post_form("/admin/sign-in/remove", &[("group", "care-commissioning")]).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        c.post_form("/sign-out", &[]).await;
    }
    assert!(c.store.sign_in_groups().await.expect("groups").is_empty(), "nothing was mapped by a commissioner");

    c.sign_in_as("admin@test.gov.uk").await;
    let page = c.get("/admin/sign-in").await;
    page.assert_ok();
    assert!(page.contains("Single sign-on is not set up"), "{}", page.body);
    assert!(page.contains("0 group mappings"), "{}", page.body);
    // The role choices are words, and a provider account cannot come from a group.
    assert!(page.contains(">Quality officer</option>") && !page.contains(">Provider user</option>"), "{}", page.body);

    let res = c.post_form("/admin/sign-in", &[("group", ""), ("role", "commissioner")]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.contains("Enter the group&#x27;s name or id") || res.contains("Enter the group's name or id"), "{}", res.body);
    let res = c.post_form("/admin/sign-in", &[("group", "care-commissioning"), ("role", "")]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.contains("Choose the role people in this group get"), "{}", res.body);
    let res = c.post_form("/admin/sign-in", &[("group", "care-commissioning"), ("role", "provider")]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);

    let res = c.post_form("/admin/sign-in", &[("group", "care-commissioning"), ("role", "commissioner")]).await;
    assert_eq!(res.location.as_deref(), Some("/admin/sign-in?added=1"));
    let page = c.get("/admin/sign-in?added=1").await;
    assert!(page.contains("Group mapping saved"), "{}", page.body);
    assert!(page.contains("1 group mapping<"), "{}", page.body);
    assert!(page.contains("care-commissioning") && page.contains("<td class=\"govuk-table__cell\">Commissioner</td>"), "{}", page.body);

    let res = c.post_form("/admin/sign-in/remove", &[("group", "care-commissioning")]).await;
    assert_eq!(res.location.as_deref(), Some("/admin/sign-in?removed=1"));
    assert!(c.get("/admin/sign-in?removed=1").await.contains("Group mapping removed"));
    assert!(c.store.sign_in_groups().await.expect("groups").is_empty());
    let audit = c
        .store
        .audit_entries(&AuditQuery { entity_type: Some("sign_in_group".into()), entity_id: None, actor: None, limit: 10, offset: 0 })
        .await
        .expect("audit")
        .0;
    let who: Vec<(&str, &str)> = audit.iter().map(|e| (e.summary.as_str(), e.actor_label.as_str())).collect();
    assert_eq!(
        who,
        vec![("Removed sign-in group mapping", "admin@test.gov.uk"), ("Mapped sign-in group to Commissioner", "admin@test.gov.uk")]
    );
}
