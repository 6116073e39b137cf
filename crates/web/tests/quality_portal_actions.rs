//! Action plans in the provider portal: a provider sees only its own services' actions and never
//! the officer's internal note; another provider's action is "not found" (reading or posting);
//! progress needs a note; the officer sees the history and accepts or reopens (with a reason);
//! staff are refused the portal and providers the officers' pages.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::quality::ActionStatus;
use caremarket_core::register::ServiceKind;
use caremarket_store::Actor;
use caremarket_store::quality::actions::NewAction;
use caremarket_store::register::NewService;
use common::Client;
use jiff::civil::date;

fn svc(provider_id: &str, name: &str) -> NewService {
    caremarket_testkit::service(provider_id, name, ServiceKind::HomeCare)
}

#[tokio::test]
async fn providers_see_and_progress_only_their_own_actions() {
    let mut officer = Client::sqlite().await;
    let store = officer.store.clone();
    let a = Actor::system("test");
    let oak = store.create_provider(&a, None, "Oak Care Ltd", None, None).await.expect("p");
    let elm = store.create_provider(&a, None, "Elm Care Ltd", None, None).await.expect("p");
    let oak_svc = store.create_service(&a, &svc(&oak, "Oak Home Care")).await.expect("s");
    let elm_svc = store.create_service(&a, &svc(&elm, "Elm Home Care")).await.expect("s");
    let new = |service: &str, title: &str, due| NewAction {
        service_id: service.into(),
        title: title.into(),
        detail: Some("Found on the visit".into()),
        owner: "Branch manager".into(),
        due_on: Some(due),
    };
    let mine = store.create_action(&a, &new(&oak_svc, "Reduce late calls", date(2020, 1, 31))).await.expect("a");
    let theirs = store.create_action(&a, &new(&elm_svc, "Fix the rota", date(2099, 1, 31))).await.expect("a");
    store.set_action_officer_note(&a, &mine, "Suspect falsified call logs", caremarket_core::versions::Version::FIRST).await.expect("note");

    officer.user("quality@test.gov.uk", Role::QualityOfficer, None).await;
    officer.user("manager@oak.test", Role::Provider, Some(&oak)).await;
    officer.sign_in_as("quality@test.gov.uk").await;
    let mut oak_user = Client::new(store.clone());
    oak_user.sign_in_as("manager@oak.test").await;

    // The list: own actions only, overdue marked.
    let r = oak_user.get("/portal/actions").await;
    r.assert_ok();
    assert!(r.contains("Oak Home Care") && r.contains("Reduce late calls"));
    assert!(!r.contains("Fix the rota") && !r.contains("Elm Home Care"), "another provider's action shown");
    assert!(r.contains("<strong>1 overdue</strong>") && r.contains("govuk-tag--red\">Overdue</strong>"), "{}", r.body);

    // One action: no officer note; another provider's is not found, read or posted.
    let r = oak_user.get(&format!("/portal/actions/{mine}")).await;
    r.assert_ok();
    assert!(r.contains("Reduce late calls") && r.contains("Found on the visit"));
    assert!(!r.contains("Suspect falsified call logs"), "the officer's internal note reached the provider");
    assert_eq!(oak_user.get(&format!("/portal/actions/{theirs}")).await.status, StatusCode::NOT_FOUND);
    let r = oak_user.post_form(&format!("/portal/actions/{theirs}"), &[("note", "Done"), ("status", "submitted")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(store.action(&theirs).await.expect("a").status, ActionStatus::Open);
    assert_eq!(oak_user.get("/portal/actions/not-an-id").await.status, StatusCode::NOT_FOUND);

    // Progress: a note is required.
    oak_user.get(&format!("/portal/actions/{mine}")).await;
    let r = oak_user.post_form(&format!("/portal/actions/{mine}"), &[("note", " "), ("status", "submitted")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("<a href=\"#note\">Enter what has been done</a>"), "{}", r.body);
    let r = oak_user.post_form(&format!("/portal/actions/{mine}"), &[("note", "Rotas redone"), ("status", "accepted")]).await;
    assert!(r.contains("href=\"#status\""), "a provider cannot accept its own action");
    let r = oak_user
        .post_form(
            &format!("/portal/actions/{mine}"),
            &[("note", "Rotas redone with travel time"), ("evidence", "Rotas for June, shared drive"), ("status", "submitted")],
        )
        .await;
    assert_eq!(r.location.as_deref(), Some(format!("/portal/actions/{mine}?saved=1").as_str()), "{}", r.body);
    let r = oak_user.get(&format!("/portal/actions/{mine}?saved=1")).await;
    assert!(r.contains("Progress recorded") && r.contains("Rotas for June, shared drive") && r.contains("Submitted for review"));

    // The officer sees the history and the note, reopens (reason required), then accepts.
    let r = officer.get(&format!("/quality/actions/{mine}")).await;
    r.assert_ok();
    assert!(r.contains("Rotas redone with travel time") && r.contains("Suspect falsified call logs") && r.contains("manager@oak.test"));
    let r = officer.get("/quality/actions?state=submitted").await;
    assert!(r.contains("Reduce late calls") && !r.contains("Fix the rota"));
    officer.get(&format!("/quality/actions/{mine}")).await;
    let r = officer.post_form(&format!("/quality/actions/{mine}/decision"), &[("decision", "reopen"), ("note", "")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("<a href=\"#note\">Enter why the action is reopened</a>"), "{}", r.body);
    let r = officer
        .post_form(&format!("/quality/actions/{mine}/decision"), &[("decision", "reopen"), ("note", "June rota missing Sundays")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = oak_user.get(&format!("/portal/actions/{mine}")).await;
    assert!(r.contains("June rota missing Sundays") && r.contains("Council officer") && r.contains("Reopened"));
    assert!(!r.contains("quality@test.gov.uk"), "officers are not named to providers");
    officer.get(&format!("/quality/actions/{mine}")).await;
    let r = officer.post_form(&format!("/quality/actions/{mine}/decision"), &[("decision", "accept"), ("note", "")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = oak_user.get(&format!("/portal/actions/{mine}")).await;
    assert!(r.contains("it is closed") && !r.contains("Record progress"));
    assert_eq!(store.action_updates(&mine).await.expect("history").len(), 3);

    // Hand-added actions: owner required.
    officer.get(&format!("/quality/actions/new?service_id={elm_svc}")).await.assert_ok();
    let r = officer
        .post_form(
            "/quality/actions/new",
            &[
                ("service_id", &elm_svc),
                ("title", "Audit medicines"),
                ("owner", ""),
                ("due_on-day", "1"),
                ("due_on-month", "9"),
                ("due_on-year", "2030"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("<a href=\"#owner\">Enter who owns the action</a>"));

    // Refusals: staff on the portal, providers on officers' pages.
    assert_eq!(officer.get("/portal/actions").await.status, StatusCode::FORBIDDEN);
    assert_eq!(officer.get(&format!("/portal/actions/{mine}")).await.status, StatusCode::FORBIDDEN);
    assert_eq!(oak_user.get("/quality/actions").await.status, StatusCode::FORBIDDEN);
    assert_eq!(oak_user.get(&format!("/quality/actions/{mine}")).await.status, StatusCode::FORBIDDEN);
    let r = oak_user.post_form(&format!("/quality/actions/{theirs}/decision"), &[("decision", "accept")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(oak_user.get(&format!("/services/{oak_svc}/quality")).await.status, StatusCode::FORBIDDEN);
}
