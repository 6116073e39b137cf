//! The JSON API under /api/v1 and the API tokens page, through the router in process.

use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::register::{ContractStatus, Rating, ServiceKind};
use caremarket_store::register::{NewService, RatingRecord};
use caremarket_store::{Actor, AuditQuery};
use common::{Client, Res};
use serde_json::{Value, json};

fn system() -> Actor {
    Actor::system("test")
}

fn json_of(r: &Res) -> Value {
    assert!(r.content_type.as_deref().is_some_and(|c| c.starts_with("application/json")), "not JSON ({:?}): {}", r.content_type, r.body);
    serde_json::from_str(&r.body).expect("JSON body")
}

/// A 4xx JSON error naming `field`.
fn assert_error(r: &Res, status: StatusCode, field: Option<&str>) -> Value {
    assert_eq!(r.status, status, "{}", r.body);
    let v = json_of(r);
    assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{v}");
    assert_eq!(v["status"], json!(status.as_u16()));
    if let Some(f) = field {
        assert_eq!(v["field"], json!(f), "{v}");
    }
    v
}

fn new_service(provider_id: &str, name: &str, kind: ServiceKind) -> NewService {
    NewService {
        address_line: Some("1 High Street".into()),
        town: Some("Testham".into()),
        postcode: Some("TE1 1AA".into()),
        region: Some("North West".into()),
        contract_status: ContractStatus::NotContracted,
        ..caremarket_testkit::service(provider_id, name, kind)
    }
}

/// A client with an API token for a new user of `role`. Returns the client and the token.
async fn with_token(role: Role) -> (Client, String) {
    let c = Client::sqlite().await;
    let token = token_for(&c, role, "first").await;
    (c, token)
}

async fn token_for(c: &Client, role: Role, who: &str) -> String {
    let provider_id = if role == Role::Provider {
        Some(c.store.create_provider(&system(), None, &format!("Provider of {who}"), None, None).await.expect("provider"))
    } else {
        None
    };
    let email = format!("{who}-{}@test.gov.uk", role.as_str());
    let user_id = c.user(&email, role, provider_id.as_deref()).await;
    let (_, secret) = c.store.create_api_token(&system(), &user_id, "tests").await.expect("token");
    secret
}

struct Market {
    provider: String,
    home_good: String,
    home_inadequate: String,
    nursing_good: String,
    extra_outstanding: String,
}

/// A small register: services of several kinds and ratings, one out of area, one deregistered.
async fn market(c: &Client) -> Market {
    let s = &c.store;
    let provider = s.create_provider(&system(), Some("1-100"), "Oak Care Ltd", None, Some("TE1 1AA")).await.expect("provider");
    let other = s.create_provider(&system(), Some("1-200"), "Birch Homes", None, None).await.expect("provider");
    let add = |p: String, name: &'static str, kind: ServiceKind, rating: Option<Rating>| async move {
        let id = s.create_service(&system(), &new_service(&p, name, kind)).await.expect("service");
        if let Some(r) = rating {
            let rec =
                RatingRecord { overall: Some(r), safe: Some(r), report_date: Some(jiff::civil::date(2024, 5, 1)), ..Default::default() };
            s.add_rating(&system(), &id, &rec, "test").await.expect("rating");
        }
        id
    };
    let home_good = add(provider.clone(), "Oak Home Care", ServiceKind::HomeCare, Some(Rating::Good)).await;
    let home_inadequate = add(provider.clone(), "Ash Home Care", ServiceKind::HomeCare, Some(Rating::Inadequate)).await;
    let nursing_good = add(other.clone(), "Birch Nursing Home", ServiceKind::CareHomeNursing, Some(Rating::Good)).await;
    let extra_outstanding = add(other.clone(), "Elm Court", ServiceKind::ExtraCare, Some(Rating::Outstanding)).await;
    add(provider.clone(), "Pine Home Care (new)", ServiceKind::HomeCare, None).await;
    let mut away = new_service(&provider, "Faraway Home Care", ServiceKind::HomeCare);
    away.in_area = false;
    let away = s.create_service(&system(), &away).await.expect("service");
    let rec = RatingRecord { overall: Some(Rating::Good), report_date: Some(jiff::civil::date(2023, 1, 1)), ..Default::default() };
    s.add_rating(&system(), &away, &rec, "test").await.expect("rating");
    let mut gone = new_service(&provider, "Closed Home Care", ServiceKind::HomeCare);
    gone.registration_status = "deregistered".into();
    let gone = s.create_service(&system(), &gone).await.expect("service");
    s.add_rating(&system(), &gone, &rec, "test").await.expect("rating");
    Market { provider, home_good, home_inadequate, nursing_good, extra_outstanding }
}

fn names(v: &Value) -> Vec<String> {
    let mut n: Vec<String> = v["items"].as_array().expect("items").iter().map(|s| s["name"].as_str().expect("name").to_string()).collect();
    n.sort();
    n
}

#[tokio::test]
async fn requests_without_a_valid_token_are_refused_with_json() {
    let (mut c, token) = with_token(Role::Viewer).await;
    let r = c.api("GET", "/api/v1/services", None, None).await;
    let v = assert_error(&r, StatusCode::UNAUTHORIZED, None);
    assert!(v["error"].as_str().unwrap_or_default().contains("Authorization"), "{v}");
    let r = c.api("GET", "/api/v1/services", Some("cm_not-a-real-token"), None).await;
    assert_error(&r, StatusCode::UNAUTHORIZED, None);
    // Another scheme than Bearer.
    let req = axum::http::Request::builder()
        .uri("/api/v1/services")
        .header("host", "localhost")
        .header("authorization", format!("Basic {token}"))
        .body(axum::body::Body::empty())
        .expect("request");
    assert_error(&c.send(req).await, StatusCode::UNAUTHORIZED, None);
    // A session cookie is not a credential for the API.
    c.user("staff@test.gov.uk", Role::Admin, None).await;
    c.sign_in_as("staff@test.gov.uk").await;
    let r = c.get("/api/v1/services").await;
    assert_error(&r, StatusCode::UNAUTHORIZED, None);
    // The valid token works.
    c.api("GET", "/api/v1/services", Some(&token), None).await.assert_ok();
    // Revoked: refused.
    let user_id = c.store.users().await.expect("users").into_iter().find(|u| u.role == Role::Viewer).expect("viewer").id;
    let tokens = c.store.api_tokens(&user_id).await.expect("tokens");
    c.store.revoke_api_token(&system(), &user_id, &tokens[0].id).await.expect("revoke");
    let r = c.api("GET", "/api/v1/services", Some(&token), None).await;
    assert_error(&r, StatusCode::UNAUTHORIZED, None);
}

#[tokio::test]
async fn roles_are_checked() {
    let (mut c, viewer) = with_token(Role::Viewer).await;
    let m = market(&c).await;
    let provider_user = token_for(&c, Role::Provider, "p").await;
    for path in ["/api/v1/services", "/api/v1/providers", "/api/v1/frameworks", "/api/v1/areas", "/api/v1/figures/market"] {
        let r = c.api("GET", path, Some(&provider_user), None).await;
        assert_error(&r, StatusCode::FORBIDDEN, None);
        c.api("GET", path, Some(&viewer), None).await.assert_ok();
    }
    let path = format!("/api/v1/services/{}", m.home_good);
    assert_error(&c.api("GET", &path, Some(&provider_user), None).await, StatusCode::FORBIDDEN, None);
    // A viewer reads but cannot change.
    c.api("GET", &path, Some(&viewer), None).await.assert_ok();
    let r = c.api("PATCH", &path, Some(&viewer), Some(json!({"contract_status": "spot"}))).await;
    assert_error(&r, StatusCode::FORBIDDEN, None);
    assert_eq!(c.store.service(&m.home_good).await.expect("service").contract_status, ContractStatus::NotContracted);
    // A quality officer neither.
    let qo = token_for(&c, Role::QualityOfficer, "q").await;
    let r = c.api("PATCH", &path, Some(&qo), Some(json!({"contract_status": "spot"}))).await;
    assert_error(&r, StatusCode::FORBIDDEN, None);
}

#[tokio::test]
async fn list_filters_by_kind_and_rating() {
    let (mut c, token) = with_token(Role::Viewer).await;
    let m = market(&c).await;
    let mut list = async |q: &str| {
        let r = c.api("GET", &format!("/api/v1/services{q}"), Some(&token), None).await;
        r.assert_ok();
        json_of(&r)
    };
    // Default: in area, not deregistered.
    let v = list("").await;
    assert_eq!(names(&v), ["Ash Home Care", "Birch Nursing Home", "Elm Court", "Oak Home Care", "Pine Home Care (new)"]);
    assert_eq!(v["total"], json!(5));
    assert_eq!((v["page"].clone(), v["per_page"].clone()), (json!(1), json!(50)));
    let v = list("?kind=home_care&rating=good").await;
    assert_eq!(names(&v), ["Oak Home Care"]);
    assert_eq!(v["items"][0]["id"], json!(m.home_good));
    assert_eq!(v["items"][0]["kind"], json!("home_care"));
    assert_eq!(v["items"][0]["ratings"]["overall"], json!("good"));
    assert_eq!(v["items"][0]["ratings"]["rating_date"], json!("2024-05-01"));
    assert_eq!(v["items"][0]["contract_status"], json!("not_contracted"));
    assert_eq!(names(&list("?kind=home_care").await), ["Ash Home Care", "Oak Home Care", "Pine Home Care (new)"]);
    assert_eq!(names(&list("?kind=home_care,care_home_nursing&rating=good").await), ["Birch Nursing Home", "Oak Home Care"]);
    assert_eq!(names(&list("?kind=home_care&kind=extra_care&rating=rated").await), ["Ash Home Care", "Elm Court", "Oak Home Care"]);
    assert_eq!(names(&list("?rating=good_or_outstanding").await), ["Birch Nursing Home", "Elm Court", "Oak Home Care"]);
    assert_eq!(names(&list("?rating=inadequate").await), ["Ash Home Care"]);
    assert_eq!(names(&list("?rating=unrated").await), ["Pine Home Care (new)"]);
    assert_eq!(names(&list("?key_question=safe&key_question_rating=outstanding").await), ["Elm Court"]);
    assert_eq!(names(&list("?kind=home_care&rating=good&in_area=all").await), ["Faraway Home Care", "Oak Home Care"]);
    assert_eq!(names(&list("?in_area=false").await), ["Faraway Home Care"]);
    assert_eq!(names(&list("?registration=deregistered").await), ["Closed Home Care"]);
    assert_eq!(names(&list("?q=birch").await), ["Birch Nursing Home", "Elm Court"]);
    assert_eq!(names(&list(&format!("?provider_id={}", m.provider)).await), ["Ash Home Care", "Oak Home Care", "Pine Home Care (new)"]);
    // Pages.
    let v = list("?sort=rating&per_page=2&page=1").await;
    assert_eq!(v["items"][0]["name"], json!("Ash Home Care"), "worst rating first");
    assert_eq!(v["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["total"], json!(5));
    let v = list("?per_page=2&page=3").await;
    assert_eq!(v["items"].as_array().map(Vec::len), Some(1));
    let _ = (m.home_inadequate, m.nursing_good, m.extra_outstanding);
}

#[tokio::test]
async fn bad_parameters_are_400s_naming_the_parameter() {
    let (mut c, token) = with_token(Role::Viewer).await;
    for (q, field) in [
        ("kind=care_homes", "kind"),
        ("kind=home_care,nope", "kind"),
        ("rating=Gud", "rating"),
        ("key_question=safe", "key_question_rating"),
        ("key_question=kindness&key_question_rating=good", "key_question"),
        ("contract_status=sometimes", "contract_status"),
        ("contracted=perhaps", "contracted"),
        ("framework_id=1", "framework_id"),
        ("lot_id=%27%3B%20DROP%20TABLE%20services", "lot_id"),
        ("area_id=x", "area_id"),
        ("specialism=juggling", "specialism"),
        ("in_area=maybe", "in_area"),
        ("registration=pending", "registration"),
        ("never_inspected=2", "never_inspected"),
        ("not_inspected_since=2020-02-30", "not_inspected_since"),
        ("rating_changed_since=yesterday", "rating_changed_since"),
        ("provider_id=abc", "provider_id"),
        ("sort=random", "sort"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("per_page=5000", "per_page"),
        ("per_page=ten", "per_page"),
        ("colour=blue", "colour"),
        ("q=a&q=b", "q"),
    ] {
        let r = c.api("GET", &format!("/api/v1/services?{q}"), Some(&token), None).await;
        let v = assert_error(&r, StatusCode::BAD_REQUEST, Some(field));
        assert!(v["error"].as_str().is_some_and(|e| e.starts_with(field)), "{q}: {v}");
    }
    for (path, field) in [
        ("/api/v1/providers?per_page=501", "per_page"),
        ("/api/v1/providers?name=x", "name"),
        ("/api/v1/figures/market?changes_since=last-week", "changes_since"),
        ("/api/v1/figures/market?not_inspected_before=2020-1-1x", "not_inspected_before"),
    ] {
        assert_error(&c.api("GET", path, Some(&token), None).await, StatusCode::BAD_REQUEST, Some(field));
    }
    // A query string that cannot be decoded.
    assert_error(&c.api("GET", "/api/v1/services?kind=%ZZ", Some(&token), None).await, StatusCode::BAD_REQUEST, None);
}

#[tokio::test]
async fn bad_ids_and_unknown_addresses_get_json_not_html() {
    let (mut c, token) = with_token(Role::Commissioner).await;
    for path in ["/api/v1/services/not-a-uuid", "/api/v1/providers/123", "/api/v1/services/%E2%9C%93"] {
        assert_error(&c.api("GET", path, Some(&token), None).await, StatusCode::BAD_REQUEST, Some("id"));
    }
    let r = c.api("PATCH", "/api/v1/services/not-a-uuid", Some(&token), Some(json!({"contract_status": "spot"}))).await;
    assert_error(&r, StatusCode::BAD_REQUEST, Some("id"));
    let missing = uuid::Uuid::now_v7().to_string();
    for path in [format!("/api/v1/services/{missing}"), format!("/api/v1/providers/{missing}")] {
        assert_error(&c.api("GET", &path, Some(&token), None).await, StatusCode::NOT_FOUND, None);
    }
    let r = c.api("PATCH", &format!("/api/v1/services/{missing}"), Some(&token), Some(json!({"contract_status": "spot"}))).await;
    assert_error(&r, StatusCode::NOT_FOUND, None);
    assert_error(&c.api("GET", "/api/v1/nothing-here", Some(&token), None).await, StatusCode::NOT_FOUND, None);
    assert_error(&c.api("GET", "/api/v1/nothing-here", None, None).await, StatusCode::NOT_FOUND, None);
    assert_error(&c.api("DELETE", "/api/v1/services", Some(&token), None).await, StatusCode::METHOD_NOT_ALLOWED, None);
}

#[tokio::test]
async fn patch_changes_council_fields_and_audits_before_and_after() {
    let (mut c, token) = with_token(Role::Commissioner).await;
    let m = market(&c).await;
    let path = format!("/api/v1/services/{}", m.home_good);
    let r = patch(
        &mut c,
        &path,
        &token,
        json!({"contract_status": "spot", "council_notes": "Spot purchase while the tender runs", "contract_start": "2025-04-01"}),
    )
    .await;
    r.assert_ok();
    let v = json_of(&r);
    assert_eq!(v["contract_status"], json!("spot"));
    assert_eq!(v["council_notes"], json!("Spot purchase while the tender runs"));
    assert_eq!(v["contract_start"], json!("2025-04-01"));
    // CQC's data is untouched and the history is there.
    assert_eq!(v["name"], json!("Oak Home Care"));
    assert_eq!(v["ratings"]["overall"], json!("good"));
    assert_eq!(v["rating_history"].as_array().map(Vec::len), Some(1));
    let s = c.store.service(&m.home_good).await.expect("service");
    assert_eq!(s.contract_status, ContractStatus::SpotPurchase);
    let (entries, _) = c
        .store
        .audit_entries(&AuditQuery { entity_type: Some("service".into()), entity_id: Some(m.home_good.clone()), ..Default::default() })
        .await
        .expect("audit");
    let e = entries.iter().find(|e| e.action == "update").expect("an update entry");
    assert!(e.actor_label.starts_with("first-commissioner@test.gov.uk"), "{}", e.actor_label);
    let before: Value = serde_json::from_str(e.before_json.as_deref().expect("before")).expect("json");
    let after: Value = serde_json::from_str(e.after_json.as_deref().expect("after")).expect("json");
    assert_eq!(before["contract_status"], json!("not_contracted"));
    assert_eq!(after["contract_status"], json!("spot"));
    assert_eq!(before["council_notes"], Value::Null);
    assert_eq!(after["council_notes"], json!("Spot purchase while the tender runs"));
    // Fields left out keep their values; null clears.
    let r = patch(&mut c, &path, &token, json!({"council_notes": null})).await;
    let v = json_of(r.assert_ok());
    assert_eq!(v["council_notes"], Value::Null);
    assert_eq!(v["contract_status"], json!("spot"));
    assert_eq!(v["contract_start"], json!("2025-04-01"));
    // The kind can be overridden.
    let r = patch(&mut c, &path, &token, json!({"kind": "supported_living"})).await;
    assert_eq!(json_of(r.assert_ok())["kind"], json!("supported_living"));
}

#[tokio::test]
async fn patch_refuses_cqc_fields_and_bad_values_naming_the_field() {
    let (mut c, token) = with_token(Role::Admin).await;
    let m = market(&c).await;
    let path = format!("/api/v1/services/{}", m.home_good);
    let audit_count = async |c: &Client| c.store.audit_entries(&AuditQuery::default()).await.expect("audit").1;
    let before = audit_count(&c).await;
    for (body, field, words) in [
        (json!({"name": "Renamed"}), "name", "CQC"),
        (json!({"rating": "outstanding"}), "rating", "CQC"),
        (json!({"ratings": {"overall": "good"}}), "ratings", "CQC"),
        (json!({"postcode": "TE9 9ZZ"}), "postcode", "CQC"),
        (json!({"contract_status": "spot", "updated_at": "2020-01-01"}), "updated_at", "cannot be changed"),
        (json!({"colour": "blue"}), "colour", "not a field"),
        (json!({"contract_status": "sometimes"}), "contract_status", "sometimes"),
        (json!({"contract_status": null}), "contract_status", "contract status"),
        (json!({"contract_status": 3}), "contract_status", "contract status"),
        (json!({"kind": "castle"}), "kind", "castle"),
        (json!({"contract_start": "1 April 2025"}), "contract_start", "YYYY-MM-DD"),
        (json!({"contract_start": "2025-04-01", "contract_end": "2025-03-31"}), "contract_end", "on or after"),
        (json!({"framework_id": "not-a-uuid"}), "framework_id", "UUID"),
        (json!({"council_notes": 42}), "council_notes", "string"),
        (json!({"council_notes": "x".repeat(caremarket_core::limits::NOTES_CHARS + 1)}), "council_notes", "5,000"),
        (json!({"council_notes": "a\u{0}b"}), "council_notes", "control characters"),
    ] {
        // Sent with the right version, as a client that read the service would.
        let mut body = body;
        body["version"] = json!(1);
        let r = c.api("PATCH", &path, Some(&token), Some(body.clone())).await;
        let v = assert_error(&r, StatusCode::BAD_REQUEST, Some(field));
        assert!(v["error"].as_str().is_some_and(|e| e.contains(words)), "{body}: {v}");
    }
    // Not an object, empty, not JSON, not sent as JSON.
    for body in [json!([]), json!({}), json!("spot")] {
        assert_error(&c.api("PATCH", &path, Some(&token), Some(body)).await, StatusCode::BAD_REQUEST, None);
    }
    let req = axum::http::Request::builder()
        .method("PATCH")
        .uri(&path)
        .header("host", "localhost")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(axum::body::Body::from("{\"contract_status\": "))
        .expect("request");
    assert_error(&c.send(req).await, StatusCode::BAD_REQUEST, None);
    let req = axum::http::Request::builder()
        .method("PATCH")
        .uri(&path)
        .header("host", "localhost")
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::from("contract_status=spot"))
        .expect("request");
    assert_error(&c.send(req).await, StatusCode::UNSUPPORTED_MEDIA_TYPE, None);
    // Nothing changed, nothing audited.
    assert_eq!(audit_count(&c).await, before);
    let s = c.store.service(&m.home_good).await.expect("service");
    assert_eq!((s.name.as_str(), s.contract_status), ("Oak Home Care", ContractStatus::NotContracted));
}

/// PATCH as a client that read the service first: the body carries the version `GET` returned
/// unless the test gives one.
async fn patch(c: &mut Client, path: &str, token: &str, mut body: Value) -> Res {
    if let Some(obj) = body.as_object_mut().filter(|o| !o.contains_key("version")) {
        let current = json_of(&c.api("GET", path, Some(token), None).await)["version"].clone();
        if !current.is_null() {
            obj.insert("version".into(), current);
        }
    }
    c.api("PATCH", path, Some(token), Some(body)).await
}

#[tokio::test]
async fn framework_and_lot_are_validated() {
    let (mut c, token) = with_token(Role::Commissioner).await;
    let m = market(&c).await;
    let fw = c
        .store
        .create_framework(&system(), "Home Care Framework 2024", Some(ServiceKind::HomeCare), None, None, &["Lot 1 North", "Lot 2 South"])
        .await
        .expect("fw");
    let other = c.store.create_framework(&system(), "Care Homes Framework", None, None, None, &["Lot A"]).await.expect("fw");
    let frameworks = c.store.frameworks().await.expect("frameworks");
    let lot_of = |id: &str, name: &str| {
        frameworks.iter().find(|f| f.id == id).and_then(|f| f.lots.iter().find(|l| l.name == name)).map(|l| l.id.clone()).expect("lot")
    };
    let (north, lot_a) = (lot_of(&fw, "Lot 1 North"), lot_of(&other, "Lot A"));
    let path = format!("/api/v1/services/{}", m.home_good);
    // A framework service needs its framework.
    assert_error(
        &patch(&mut c, &path, &token, json!({"contract_status": "framework"})).await,
        StatusCode::BAD_REQUEST,
        Some("framework_id"),
    );
    // A lot needs a framework, and must be one of its lots.
    assert_error(&patch(&mut c, &path, &token, json!({"lot_id": north})).await, StatusCode::BAD_REQUEST, Some("framework_id"));
    assert_error(
        &patch(&mut c, &path, &token, json!({"contract_status": "framework", "framework_id": fw, "lot_id": lot_a})).await,
        StatusCode::BAD_REQUEST,
        Some("lot_id"),
    );
    // An unknown framework.
    let nowhere = uuid::Uuid::now_v7().to_string();
    assert_error(
        &patch(&mut c, &path, &token, json!({"contract_status": "framework", "framework_id": nowhere})).await,
        StatusCode::BAD_REQUEST,
        Some("framework_id"),
    );
    // A non-framework status with a framework.
    assert_error(
        &patch(&mut c, &path, &token, json!({"contract_status": "block", "framework_id": fw})).await,
        StatusCode::BAD_REQUEST,
        Some("framework_id"),
    );
    // Framework and lot together: accepted, with their names.
    let r = patch(&mut c, &path, &token, json!({"contract_status": "framework", "framework_id": fw, "lot_id": north})).await;
    let v = json_of(r.assert_ok());
    assert_eq!(v["framework_name"], json!("Home Care Framework 2024"));
    assert_eq!(v["lot_name"], json!("Lot 1 North"));
    // Leaving the framework clears framework and lot.
    let r = patch(&mut c, &path, &token, json!({"contract_status": "block"})).await;
    let v = json_of(r.assert_ok());
    assert_eq!((v["contract_status"].clone(), v["framework_id"].clone(), v["lot_id"].clone()), (json!("block"), Value::Null, Value::Null));
    // The framework list carries the lots for choosing.
    let r = c.api("GET", "/api/v1/frameworks", Some(&token), None).await;
    let v = json_of(r.assert_ok());
    let f = v["items"].as_array().expect("items").iter().find(|f| f["id"] == json!(fw)).expect("framework").clone();
    assert_eq!(f["kind"], json!("home_care"));
    assert_eq!(f["lots"].as_array().map(Vec::len), Some(2));
    // And the list filters by framework.
    patch(&mut c, &path, &token, json!({"contract_status": "framework", "framework_id": fw, "lot_id": north})).await.assert_ok();
    let r = c.api("GET", &format!("/api/v1/services?framework_id={fw}&lot_id={north}"), Some(&token), None).await;
    assert_eq!(names(&json_of(r.assert_ok())), ["Oak Home Care"]);
}

#[tokio::test]
async fn one_service_has_its_rating_history() {
    let (mut c, token) = with_token(Role::Viewer).await;
    let m = market(&c).await;
    let rec =
        RatingRecord { overall: Some(Rating::RequiresImprovement), report_date: Some(jiff::civil::date(2025, 2, 1)), ..Default::default() };
    c.store.add_rating(&system(), &m.home_good, &rec, "test").await.expect("rating");
    let r = c.api("GET", &format!("/api/v1/services/{}", m.home_good.to_uppercase()), Some(&token), None).await;
    let v = json_of(r.assert_ok());
    assert_eq!(v["id"], json!(m.home_good));
    assert_eq!(v["ratings"]["overall"], json!("requires_improvement"));
    let h = v["rating_history"].as_array().expect("history");
    assert_eq!(h.len(), 2);
    assert_eq!(h[0]["overall"], json!("requires_improvement"));
    assert_eq!(h[0]["previous_overall"], json!("good"));
    assert_eq!(h[0]["report_date"], json!("2025-02-01"));
    assert_eq!(h[1]["overall"], json!("good"));
    assert_eq!(h[1]["safe"], json!("good"));
    assert_eq!(v["relationships"], json!([]));
}

#[tokio::test]
async fn providers_frameworks_areas_and_figures() {
    let (mut c, token) = with_token(Role::Viewer).await;
    let m = market(&c).await;
    c.store.create_area(&system(), "Testham", &["TE1"]).await.expect("area");
    let r = c.api("GET", "/api/v1/providers?q=oak", Some(&token), None).await;
    let v = json_of(r.assert_ok());
    assert_eq!(names(&v), ["Oak Care Ltd"]);
    assert_eq!(v["items"][0]["cqc_provider_id"], json!("1-100"));
    let r = c.api("GET", &format!("/api/v1/providers/{}", m.provider), Some(&token), None).await;
    let v = json_of(r.assert_ok());
    assert_eq!(v["name"], json!("Oak Care Ltd"));
    let mut services: Vec<&str> = v["services"].as_array().expect("services").iter().filter_map(|s| s["name"].as_str()).collect();
    services.sort();
    assert_eq!(services, ["Ash Home Care", "Closed Home Care", "Faraway Home Care", "Oak Home Care", "Pine Home Care (new)"]);
    let r = c.api("GET", "/api/v1/areas", Some(&token), None).await;
    let v = json_of(r.assert_ok());
    assert_eq!(v["items"][0]["name"], json!("Testham"));
    assert_eq!(v["items"][0]["outward_codes"], json!(["TE1"]));

    let r = c.api("GET", "/api/v1/figures/market?changes_since=2020-01-01", Some(&token), None).await;
    let v = json_of(r.assert_ok());
    assert_eq!(v["total_services"], json!(5));
    assert_eq!(v["total_providers"], json!(2));
    let home = v["by_kind"].as_array().expect("by_kind").iter().find(|k| k["kind"] == json!("home_care")).expect("home care").clone();
    assert_eq!((home["services"].clone(), home["rated"].clone(), home["good_or_outstanding"].clone()), (json!(3), json!(2), json!(1)));
    assert_eq!(home["percent_good_or_outstanding"], json!(50.0));
    // Each figure's link lists exactly the services it counts.
    let url = home["services_url"].as_str().expect("url").to_string();
    let listed = json_of(c.api("GET", &url, Some(&token), None).await.assert_ok());
    assert_eq!(listed["total"], home["services"]);
    let url = v["by_contract"][0]["services_url"].as_str().expect("url").to_string();
    let listed = json_of(c.api("GET", &url, Some(&token), None).await.assert_ok());
    assert_eq!(listed["total"], v["by_contract"][0]["services"]);
    assert_eq!(v["not_inspected_since_date"], json!("2020-01-01"));
    assert_eq!(v["rating_changes_since"], json!("2020-01-01"));
    // Defaults: 2020-01-01 and 90 days ago.
    let v = json_of(c.api("GET", "/api/v1/figures/market", Some(&token), None).await.assert_ok());
    assert_eq!(v["not_inspected_since_date"], json!("2020-01-01"));
    let expected = caremarket_store::today().checked_sub(jiff::Span::new().days(90)).expect("date").to_string();
    assert_eq!(v["rating_changes_since"], json!(expected));
}

#[tokio::test]
async fn openapi_document_is_public_and_complete() {
    let mut c = Client::sqlite().await;
    let r = c.api("GET", "/api/v1/openapi.json", None, None).await;
    let doc = json_of(r.assert_ok());
    assert_eq!(doc["components"]["securitySchemes"]["api_token"]["scheme"], json!("bearer"));
    let paths = doc["paths"].as_object().expect("paths");
    let mut operation_ids = std::collections::BTreeSet::new();
    for (path, ops) in paths {
        for (method, op) in ops.as_object().expect("operations") {
            let id = op["operationId"].as_str().expect("operationId").to_string();
            assert!(operation_ids.insert(id.clone()), "operationId {id} is used twice");
            let concrete = path.replace("{id}", &uuid::Uuid::now_v7().to_string());
            let r = c.api(&method.to_uppercase(), &concrete, None, None).await;
            if path == "/api/v1/openapi.json" {
                r.assert_ok();
                assert_eq!(op["security"], json!([{}]), "the document needs no token");
            } else {
                // Every documented operation exists and needs a token.
                assert_error(&r, StatusCode::UNAUTHORIZED, None);
                let codes = op["responses"].as_object().expect("responses");
                assert!((codes.contains_key("200") || codes.contains_key("201")) && codes.contains_key("401"), "{method} {path}");
            }
        }
    }
    assert_eq!(operation_ids.len(), 16);
    // The converse: every JSON route the application serves (the route table, which is read
    // from the source) is in the document, so a new API route cannot be left out of it.
    let table = include_str!("route_matrix/expectations.txt");
    for line in table.lines().filter(|l| !l.starts_with('#')) {
        let mut parts = line.split_whitespace();
        let (Some(method), Some(path)) = (parts.next(), parts.next()) else { continue };
        if !path.starts_with("/api/v1/") {
            continue;
        }
        let documented = paths.get(path).and_then(|ops| ops.get(method.to_lowercase()));
        assert!(documented.is_some(), "{method} {path} is served but not in the OpenAPI document");
    }
    insta::assert_json_snapshot!("openapi", doc);
}

/// The secret shown on the page after creating a token.
fn secret_in(body: &str) -> String {
    let i = body.find("value=\"cm_").expect("secret on the page") + 7;
    body[i..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
}

#[tokio::test]
async fn tokens_page_creates_a_token_that_works_and_revoking_stops_it() {
    let mut c = Client::sqlite().await;
    c.user("commissioner@test.gov.uk", Role::Commissioner, None).await;
    // Signed out: sent to sign in.
    let r = c.get("/account/tokens").await;
    assert_eq!(r.location.as_deref(), Some("/sign-in"));
    c.sign_in_as("commissioner@test.gov.uk").await;
    let r = c.get("/account/tokens").await;
    r.assert_ok();
    assert!(r.contains("You have no API tokens"), "{}", r.body);
    // No CSRF token: refused.
    let r = c.post_form_raw("/account/tokens", &[("name", "Power BI")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // No name: the error summary.
    let r = c.post_form("/account/tokens", &[("name", "  ")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("govuk-error-summary") && r.contains("href=\"#name\"") && r.contains("Enter a name for the token"), "{}", r.body);
    // Created: the secret is shown once, with a warning.
    let r = c.post_form("/account/tokens", &[("name", "Power BI")]).await;
    r.assert_ok();
    assert!(r.contains("You will not be able to see it again"), "{}", r.body);
    let secret = secret_in(&r.body);
    assert_eq!(secret.len(), 67, "{secret}");
    // It works on the API.
    c.api("GET", "/api/v1/services", Some(&secret), None).await.assert_ok();
    // The list shows it, used, and never the secret again.
    let r = c.get("/account/tokens").await;
    r.assert_ok();
    assert!(r.contains("Power BI") && r.contains("Active") && !r.contains(&secret), "{}", r.body);
    assert!(!r.contains(">Never<"), "last used is shown: {}", r.body);
    // The same name twice is refused while the first is active.
    let r = c.post_form("/account/tokens", &[("name", "power bi")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Revoke: a confirmation page, then a POST with the CSRF token.
    let user_id = c.store.users().await.expect("users")[0].id.clone();
    let token_id = c.store.api_tokens(&user_id).await.expect("tokens")[0].id.clone();
    let r = c.get(&format!("/account/tokens/{token_id}/revoke")).await;
    r.assert_ok();
    assert!(r.contains("Are you sure you want to revoke"), "{}", r.body);
    let r = c.post_form_raw(&format!("/account/tokens/{token_id}/revoke"), &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    c.api("GET", "/api/v1/services", Some(&secret), None).await.assert_ok();
    let r = c.post_form(&format!("/account/tokens/{token_id}/revoke"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some("/account/tokens?revoked=1"));
    assert_error(&c.api("GET", "/api/v1/services", Some(&secret), None).await, StatusCode::UNAUTHORIZED, None);
    let r = c.get("/account/tokens?revoked=1").await;
    assert!(r.contains("API token revoked") && r.contains("Revoked "), "{}", r.body);
    // Revoked tokens cannot be revoked again; other people's tokens are not found.
    let r = c.post_form(&format!("/account/tokens/{token_id}/revoke"), &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let other = c.user("other@test.gov.uk", Role::Viewer, None).await;
    let (theirs, _) = c.store.create_api_token(&system(), &other, "theirs").await.expect("token");
    c.get("/account/tokens").await;
    let r = c.post_form(&format!("/account/tokens/{}/revoke", theirs.id), &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(c.store.api_tokens(&other).await.expect("tokens")[0].revoked_at.is_none());
}

#[tokio::test]
async fn provider_users_have_no_tokens_page() {
    let mut c = Client::sqlite().await;
    let p = c.store.create_provider(&system(), None, "Oak Care Ltd", None, None).await.expect("provider");
    c.user("provider@test.gov.uk", Role::Provider, Some(&p)).await;
    c.sign_in_as("provider@test.gov.uk").await;
    assert_eq!(c.get("/account/tokens").await.status, StatusCode::FORBIDDEN);
    let r = c.post_form("/account/tokens", &[("name", "Sneaky")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let uid = c.store.users().await.expect("users")[0].id.clone();
    assert!(c.store.api_tokens(&uid).await.expect("tokens").is_empty());
}
