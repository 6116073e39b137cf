//! Contract frameworks through the JSON API: create, read, change, members; every refusal with
//! its field; roles checked; changes audited as the token's user.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::register::ServiceKind;
use caremarket_store::register::NewService;
use caremarket_store::{Actor, AuditQuery};
use common::Client;
use serde_json::{Value, json};

async fn token(c: &Client, role: Role) -> String {
    let user_id = c.user(&format!("{}@test.gov.uk", role.as_str()), role, None).await;
    c.store.create_api_token(&Actor::system("test"), &user_id, "tests").await.expect("token").1
}

fn body(r: &common::Res) -> Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body))
}

fn framework() -> Value {
    json!({
        "name": "Home Care Framework 2025",
        "lots": ["Lot 1 - North", "Lot 2 - South"],
        "starts_on": "2025-04-01",
        "ends_on": "2029-03-31",
        "kinds": ["home_care", "supported_living"],
    })
}

async fn home_care_service(c: &Client, name: &str, kind: ServiceKind) -> String {
    let a = Actor::system("test");
    let p = c.store.create_provider(&a, None, &format!("{name} Ltd"), None, None).await.expect("provider");
    c.store
        .create_service(&a, &NewService { town: None, postcode: None, local_authority: None, ..caremarket_testkit::service(p, name, kind) })
        .await
        .expect("service")
}

#[tokio::test]
async fn a_commissioner_manages_a_framework_through_the_api() {
    let mut c = Client::sqlite().await;
    let t = token(&c, Role::Commissioner).await;
    let svc = home_care_service(&c, "Riseway Home Care", ServiceKind::HomeCare).await;
    let nursing = home_care_service(&c, "Coppice Nursing Home", ServiceKind::CareHomeNursing).await;

    let r = c.api("POST", "/api/v1/frameworks", Some(&t), Some(framework())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let fw = body(&r);
    let id = fw["id"].as_str().expect("id").to_string();
    assert_eq!(fw["kinds"], json!(["home_care", "supported_living"]));
    assert_eq!(fw["lots"].as_array().expect("lots").len(), 2);
    let lot1 = fw["lots"][0]["id"].as_str().expect("lot").to_string();

    let r = c.api("POST", &format!("/api/v1/frameworks/{id}/members"), Some(&t), Some(json!({"service_id": svc, "lot_id": lot1}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let fw = body(&r);
    assert_eq!(fw["lots"][0]["members"][0]["service_name"], "Riseway Home Care");
    let r = c.api("GET", &format!("/api/v1/services/{svc}"), Some(&t), None).await;
    assert_eq!(body(&r)["contract_status"], "framework");

    // Refusals name their field.
    for (req, field) in
        [(json!({"service_id": nursing, "lot_id": lot1}), "service_id"), (json!({"service_id": svc, "lot_id": "not-a-lot"}), "lot_id")]
    {
        let r = c.api("POST", &format!("/api/v1/frameworks/{id}/members"), Some(&t), Some(req)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert_eq!(body(&r)["field"], field, "{}", r.body);
    }
    for (change, field) in [
        (json!({"ends_on": "2020-01-01"}), "ends_on"),
        (json!({"lots": ["Lot 1", "LOT 1"]}), "lots"),
        (json!({"kinds": ["starships"]}), "kinds"),
        (json!({"starts_on": "1 April 2025"}), "starts_on"),
        (json!({"name": "Home Care Framework 2025"}), "name"),
    ] {
        let mut req = framework();
        for (k, v) in change.as_object().expect("change") {
            req[k] = v.clone();
        }
        let r = c.api("POST", "/api/v1/frameworks", Some(&t), Some(req)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{change}: {}", r.body);
        assert_eq!(body(&r)["field"], field, "{change}: {}", r.body);
    }
    let r = c.api("POST", "/api/v1/frameworks", Some(&t), Some(json!({"name": "X", "lots": [], "kinds": [], "colour": "red"}))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(body(&r)["error"].as_str().expect("error").contains("colour"), "{}", r.body);

    // Change: a lot with a service cannot go; a new name and lot can.
    let mut change = framework();
    change["lots"] = json!(["Lot 2 - South"]);
    change["version"] = json!(1);
    let r = c.api("PUT", &format!("/api/v1/frameworks/{id}"), Some(&t), Some(change)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(body(&r)["field"], "lots");
    let mut change = framework();
    change["name"] = json!("Home Care 2025-29");
    change["lots"] = json!(["Lot 1 - North", "Lot 2 - South", "Lot 3 - Central"]);
    change["version"] = json!(1);
    let r = c.api("PUT", &format!("/api/v1/frameworks/{id}"), Some(&t), Some(change)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(body(&r)["lots"].as_array().expect("lots").len(), 3);

    let r = c.api("DELETE", &format!("/api/v1/frameworks/{id}/members/{svc}"), Some(&t), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = c.api("DELETE", &format!("/api/v1/frameworks/{id}/members/{svc}"), Some(&t), None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(c.api("GET", "/api/v1/frameworks/01900000-0000-7000-8000-000000000000", Some(&t), None).await.status, StatusCode::NOT_FOUND);

    let (entries, _) =
        c.store.audit_entries(&AuditQuery { entity_type: None, entity_id: None, actor: None, limit: 100, offset: 0 }).await.expect("audit");
    let by_token: Vec<&str> = entries.iter().filter(|e| e.actor_label.ends_with("(API token)")).map(|e| e.summary.as_str()).collect();
    for expected in [
        "Added framework Home Care Framework 2025",
        "Put Riseway Home Care on Home Care Framework 2025, Lot 1 - North",
        "Changed framework Home Care 2025-29",
        "Took Riseway Home Care off Home Care 2025-29",
    ] {
        assert!(by_token.contains(&expected), "{expected} not in {by_token:?}");
    }
}

#[tokio::test]
async fn only_commissioners_and_admins_change_frameworks_through_the_api() {
    let mut c = Client::sqlite().await;
    let admin = token(&c, Role::Admin).await;
    let viewer = token(&c, Role::Viewer).await;
    let quality = token(&c, Role::QualityOfficer).await;
    let r = c.api("POST", "/api/v1/frameworks", Some(&admin), Some(framework())).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let id = body(&r)["id"].as_str().expect("id").to_string();
    for t in [&viewer, &quality] {
        assert_eq!(c.api("GET", &format!("/api/v1/frameworks/{id}"), Some(t), None).await.status, StatusCode::OK);
        assert_eq!(c.api("POST", "/api/v1/frameworks", Some(t), Some(framework())).await.status, StatusCode::FORBIDDEN);
        assert_eq!(c.api("PUT", &format!("/api/v1/frameworks/{id}"), Some(t), Some(framework())).await.status, StatusCode::FORBIDDEN);
        let r = c.api("POST", &format!("/api/v1/frameworks/{id}/members"), Some(t), Some(json!({"service_id": "x", "lot_id": "y"}))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(c.api("DELETE", &format!("/api/v1/frameworks/{id}/members/x"), Some(t), None).await.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(c.api("GET", &format!("/api/v1/frameworks/{id}"), None, None).await.status, StatusCode::UNAUTHORIZED);
}
