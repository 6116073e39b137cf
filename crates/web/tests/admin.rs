//! Administration: users and the audit log, for administrators only.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::register::{ContractStatus, ServiceKind};
use caremarket_store::Actor;
use caremarket_store::register::{CouncilFields, NewService};
use common::Client;

fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/").replace("&quot;", "\"").replace("&#x27;", "'").replace("&amp;", "&")
}

#[tokio::test]
async fn admin_adds_a_user_who_can_then_sign_in() {
    let mut c = Client::sqlite().await;
    c.user("admin@test.gov.uk", Role::Admin, None).await;
    c.sign_in_as("admin@test.gov.uk").await;
    let r = c.get("/admin/users").await;
    r.assert_ok();
    assert!(r.contains("admin@test.gov.uk"));

    let r = c.get("/admin/users/new").await;
    r.assert_ok();
    assert!(r.contains("Quality officer"));
    // Invalid: short password, provider role without a provider. What was typed is kept, except
    // the password.
    let r = c
        .post_form(
            "/admin/users/new",
            &[
                ("email", "new@test.gov.uk"),
                ("display_name", "Nia Newperson"),
                ("role", "provider"),
                ("provider_id", ""),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("Choose the provider this person works for"), "{}", r.body);
    assert!(r.contains("href=\"#provider_id\""));
    assert!(r.contains("value=\"Nia Newperson\""));
    assert!(!r.contains("value=\"short\""));
    let r = c
        .post_form(
            "/admin/users/new",
            &[
                ("email", "new@test.gov.uk"),
                ("display_name", "Nia Newperson"),
                ("role", "commissioner"),
                ("provider_id", ""),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("Password must be at least 12 characters"), "{}", r.body);
    assert!(r.contains("href=\"#password\""));

    let r = c
        .post_form(
            "/admin/users/new",
            &[
                ("email", "new@test.gov.uk"),
                ("display_name", "Nia Newperson"),
                ("role", "commissioner"),
                ("provider_id", ""),
                ("password", common::PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.location.as_deref(), Some("/admin/users?added=1"), "{}", r.body);
    let r = c.get("/admin/users?added=1").await;
    assert!(r.contains("new@test.gov.uk") && r.contains("Nia Newperson") && r.contains("Commissioner"));
    assert!(r.contains("User added"));

    let mut n = Client::new(c.store.clone());
    let r = n.sign_in_as("new@test.gov.uk").await;
    // Someone else chose the password: the person chooses their own first (issue 17 item 7).
    assert_eq!(r.location.as_deref(), Some("/account/password"), "{}", r.body);
    let r = n
        .post_form(
            "/account/password",
            &[
                ("current_password", common::PASSWORD),
                ("new_password", "violet harbour sketchbook"),
                ("confirm_password", "violet harbour sketchbook"),
            ],
        )
        .await;
    assert_eq!(r.location.as_deref(), Some("/account/password?changed=1"), "{}", r.body);
    n.get("/placements").await.assert_ok();

    // Deactivate: the account can no longer sign in.
    let id = c.store.users().await.expect("users").into_iter().find(|u| u.email == "new@test.gov.uk").expect("user").id;
    c.get("/admin/users").await;
    let r = c.post_form(&format!("/admin/users/{id}/active"), &[("active", "false")]).await;
    assert_eq!(r.location.as_deref(), Some("/admin/users?changed=1"));
    let r = c.get("/admin/users").await;
    assert!(r.contains("Deactivated") && r.contains("Reactivate"));
    let mut n2 = Client::new(c.store.clone());
    let r = n2.sign_in_as("new@test.gov.uk").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // The signed-in session of the deactivated user ends too.
    assert_eq!(n.get("/placements").await.location.as_deref(), Some("/sign-in"));
    // An admin cannot deactivate themself.
    let me = c.store.users().await.expect("users").into_iter().find(|u| u.email == "admin@test.gov.uk").expect("admin").id;
    let r = c.post_form(&format!("/admin/users/{me}/active"), &[("active", "false")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn admin_adds_a_provider_user() {
    let mut c = Client::sqlite().await;
    let p = c.store.create_provider(&Actor::system("test"), None, "Acme Care Ltd", None, None).await.expect("provider");
    c.user("admin@test.gov.uk", Role::Admin, None).await;
    c.sign_in_as("admin@test.gov.uk").await;
    let r = c.get("/admin/users/new").await;
    assert!(r.contains("Acme Care Ltd"), "providers offered");
    let r = c
        .post_form(
            "/admin/users/new",
            &[
                ("email", "pat@acme.example"),
                ("display_name", "Pat"),
                ("role", "provider"),
                ("provider_id", &p),
                ("password", common::PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = c.get("/admin/users").await;
    assert!(r.contains("Provider user") && r.contains("Acme Care Ltd"));
    let mut n = Client::new(c.store.clone());
    assert_eq!(n.sign_in_as("pat@acme.example").await.location.as_deref(), Some("/account/password"));
    assert_eq!(n.get("/portal").await.location.as_deref(), Some("/account/password"));
}

#[tokio::test]
async fn non_admins_are_refused() {
    let mut c = Client::sqlite().await;
    let u = c.user("comm@test.gov.uk", Role::Commissioner, None).await;
    c.sign_in_as("comm@test.gov.uk").await;
    for path in ["/admin/users", "/admin/users/new", "/admin/audit"] {
        assert_eq!(c.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    let r = c.post_form(&format!("/admin/users/{u}/active"), &[("active", "false")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c
        .post_form(
            "/admin/users/new",
            &[("email", "x@test.gov.uk"), ("display_name", "X"), ("role", "admin"), ("password", common::PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(c.store.users().await.expect("users").len(), 1);
    let mut anon = Client::new(c.store.clone());
    assert_eq!(anon.get("/admin/audit").await.location.as_deref(), Some("/sign-in"));
}

#[tokio::test]
async fn audit_page_shows_changes_with_before_and_after() {
    let mut c = Client::sqlite().await;
    let a = Actor::user("00000000-0000-7000-8000-000000000001", "officer@test.gov.uk");
    let p = c.store.create_provider(&a, None, "Acme Care Ltd", None, None).await.expect("provider");
    let s = c
        .store
        .create_service(
            &a,
            &NewService {
                town: None,
                postcode: None,
                local_authority: None,
                contract_status: ContractStatus::NotContracted,
                ..caremarket_testkit::service(p.clone(), "Willow Court", ServiceKind::HomeCare)
            },
        )
        .await
        .expect("service");
    c.store
        .update_council_fields(
            &a,
            &s,
            &CouncilFields {
                contract_status: ContractStatus::SpotPurchase,
                framework_id: None,
                lot_id: None,
                contract_start: None,
                contract_end: None,
                council_notes: Some("Checked in March".into()),
                kind: None,
            },
            caremarket_core::versions::Version::new(c.store.service(&s).await.expect("service").version).expect("version"),
        )
        .await
        .expect("update");
    c.user("admin@test.gov.uk", Role::Admin, None).await;
    c.sign_in_as("admin@test.gov.uk").await;

    let r = c.get("/admin/audit").await;
    r.assert_ok();
    let page = unescape(&r.body);
    assert!(page.contains("Changed council details of Willow Court"));
    assert!(page.contains("officer@test.gov.uk"));
    assert!(page.contains(&format!("href=\"/services/{s}\"")), "link to the service");
    assert!(page.contains(&format!("href=\"/providers/{p}\"")), "link to the provider");
    assert!(page.contains("Before and after"));
    assert!(page.contains("\"contract_status\": \"not_contracted\""), "before, pretty-printed");
    assert!(page.contains("\"contract_status\": \"spot\""), "after, pretty-printed");
    assert!(page.contains("\"council_notes\": \"Checked in March\""));
    // Newest first.
    let update_at = page.find("Changed council details").expect("update");
    let create_at = page.find("Added service Willow Court").expect("create");
    assert!(update_at < create_at);

    let r = c.get("/admin/audit?entity_type=provider").await;
    let page = unescape(&r.body);
    assert!(page.contains("Added provider Acme Care Ltd"));
    assert!(!page.contains("Changed council details"));
    let r = c.get("/admin/audit?actor=officer").await;
    let page = unescape(&r.body);
    assert!(page.contains("Changed council details"));
    assert!(
        !page.contains("Created Viewer account") && !page.contains("Created Administrator account"),
        "test's own user creation is by 'test'"
    );
    assert!(page.contains("3 changes"), "{page}");
}
