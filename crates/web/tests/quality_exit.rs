//! Provider exit plans through the web: an officer opens a plan for a closing home (the people
//! placed there gathered, others added by reference), records each new arrangement (errors named
//! by field) until the plan shows all arrangements made; viewers and provider users are refused.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::register::ServiceKind;
use caremarket_store::Actor;
use caremarket_store::placements::NewPlacement;
use caremarket_store::register::NewService;
use common::Client;
use jiff::civil::date;

fn home(provider_id: &str, name: &str) -> NewService {
    NewService {
        town: Some("Seatown".into()),
        postcode: Some("FY1 1AA".into()),
        local_authority: Some("Blackpool".into()),
        in_area: false,
        beds: Some(12),
        ..caremarket_testkit::service(provider_id, name, ServiceKind::CareHomeResidential)
    }
}

struct Fx {
    provider: String,
    willow: String,
}

async fn fixture(c: &Client) -> Fx {
    let a = Actor::system("test");
    let s = &c.store;
    let provider = s.create_provider(&a, None, "Willow Group", None, None).await.expect("provider");
    let other = s.create_provider(&a, None, "Other Ltd", None, None).await.expect("other");
    let willow = s.create_service(&a, &home(&provider, "Willow House")).await.expect("willow");
    let elsewhere = s.create_service(&a, &home(&other, "Elsewhere Hall")).await.expect("elsewhere");
    for (p, svc) in [("AA111", &willow), ("AA222", &willow), ("ZZ999", &elsewhere)] {
        s.create_placement(
            &a,
            &NewPlacement {
                person_ref: p.into(),
                service_id: svc.clone(),
                host_authority: None,
                funder: "council".into(),
                reason: None,
                start_date: date(2023, 1, 1),
                host_restrictions: None,
            },
        )
        .await
        .expect("placement");
    }
    Fx { provider, willow }
}

#[tokio::test]
async fn an_exit_plan_tracks_everyone_to_a_new_arrangement() {
    let mut c = Client::sqlite().await;
    let f = fixture(&c).await;
    c.user("quality@test.gov.uk", Role::QualityOfficer, None).await;
    c.sign_in_as("quality@test.gov.uk").await;

    let r = c.get(&format!("/quality/exits/new?provider_id={}", f.provider)).await;
    r.assert_ok();
    assert!(r.contains("AA111") && r.contains("AA222") && !r.contains("ZZ999"), "only this provider's people");

    // Missing answers are named.
    let r = c.post_form("/quality/exits/new", &[("provider_id", &f.provider), ("service_id", &f.willow)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("href=\"#planned\"") && r.contains("href=\"#reason\""));
    let r = c
        .post_form(
            "/quality/exits/new",
            &[
                ("provider_id", &f.provider),
                ("service_id", &f.willow),
                ("planned", "planned"),
                ("reason", "closure"),
                ("extra_refs", "Mrs Brown"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("href=\"#extra_refs\"") && r.contains("not a name"));
    let r = c
        .post_form(
            "/quality/exits/new",
            &[
                ("provider_id", &f.provider),
                ("service_id", &f.willow),
                ("planned", "planned"),
                ("reason", "closure"),
                ("target_date-day", "1"),
                ("target_date-month", "1"),
                ("target_date-year", "2020"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("href=\"#target_date-day\""));
    assert!(c.store.exit_plan_views(caremarket_store::today()).await.expect("plans").is_empty());

    let r = c
        .post_form(
            "/quality/exits/new",
            &[
                ("provider_id", &f.provider),
                ("service_id", &f.willow),
                ("planned", "planned"),
                ("reason", "closure"),
                ("detail", "Owner retiring"),
                ("extra_refs", "SF1234\n"),
                ("embargo", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let plan_url = r.location.clone().expect("location");
    let r = c.get(&plan_url).await;
    r.assert_ok();
    assert!(r.contains("Exit plan opened") && r.contains("Willow House") && r.contains("0 of 3 people"));
    assert!(
        r.contains("AA111") && r.contains("SF1234") && !r.contains("ZZ999"),
        "{}",
        &r.body[r.body.find("People affected").unwrap_or(0)..]
    );
    let plan_id = plan_url.trim_start_matches("/quality/exits/").split('?').next().expect("id").to_string();
    let plan = c.store.exit_plan(&plan_id).await.expect("plan");

    // The list shows it open, with counts.
    let r = c.get("/quality/exits").await;
    r.assert_ok();
    assert!(r.contains("Willow Group: Willow House") && r.contains("1 plan is open"), "{}", r.body);

    // Recording arrangements: done needs a date, not in the future.
    let item = &plan.items[0];
    let url = format!("/quality/exits/{plan_id}/items/{}", item.id);
    c.get(&url).await.assert_ok();
    let r = c.post_form(&url, &[("new_arrangement", ""), ("done", "1")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("href=\"#new_arrangement\"") && r.contains("href=\"#done_on-day\""));
    let tomorrow = caremarket_store::today().tomorrow().expect("t");
    let (d, m, y) = (tomorrow.day().to_string(), tomorrow.month().to_string(), tomorrow.year().to_string());
    let r = c
        .post_form(
            &url,
            &[("new_arrangement", "Ash Grove"), ("done", "1"), ("done_on-day", &d), ("done_on-month", &m), ("done_on-year", &y)],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("today or in the past"));

    let today = caremarket_store::today();
    let (d, m, y) = (today.day().to_string(), today.month().to_string(), today.year().to_string());
    for i in &plan.items {
        let url = format!("/quality/exits/{plan_id}/items/{}", i.id);
        c.get(&url).await;
        let r = c
            .post_form(
                &url,
                &[("new_arrangement", "Ash Grove"), ("done", "1"), ("done_on-day", &d), ("done_on-month", &m), ("done_on-year", &y)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let r = c.get(&format!("/quality/exits/{plan_id}")).await;
    assert!(r.contains("All arrangements made") && r.contains("3 of 3 people"));
    assert!(c.store.exit_plan(&plan_id).await.expect("plan").closed_on.is_some());

    // Someone found later is added by reference and the plan opens again.
    let r = c.post_form(&format!("/quality/exits/{plan_id}/people"), &[("person_ref", "Mr Green")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("href=\"#person_ref\""));
    let r = c.post_form(&format!("/quality/exits/{plan_id}/people"), &[("person_ref", "LATE77")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(c.store.exit_plan(&plan_id).await.expect("plan").closed_on.is_none());

    // The service's quality tab shows the plan and its progress.
    let r = c.get(&format!("/services/{}/quality", f.willow)).await;
    r.assert_ok();
    assert!(r.contains("Exit plans") && r.contains("3 of 4 moved"));
}

#[tokio::test]
async fn viewers_and_provider_users_are_refused() {
    let mut c = Client::sqlite().await;
    let f = fixture(&c).await;
    let a = Actor::system("test");
    let plan = c
        .store
        .open_provider_exit(
            &a,
            &caremarket_store::exit_plans::NewProviderExit {
                provider_id: f.provider.clone(),
                service_id: Some(f.willow.clone()),
                planned: false,
                reason: "provider_failure".into(),
                detail: None,
                opened_on: caremarket_store::today(),
                target_date: None,
                extra_refs: vec![],
                embargo: false,
            },
        )
        .await
        .expect("plan");
    let item = c.store.exit_plan(&plan).await.expect("plan").items[0].id.clone();
    c.user("viewer@test.gov.uk", Role::Viewer, None).await;
    c.user("provider@test.gov.uk", Role::Provider, Some(&f.provider)).await;
    for who in ["viewer@test.gov.uk", "provider@test.gov.uk"] {
        c.sign_in_as(who).await;
        for path in [
            "/quality/exits".to_string(),
            "/quality/exits/new".into(),
            format!("/quality/exits/{plan}"),
            format!("/quality/exits/{plan}/items/{item}"),
        ] {
            assert_eq!(c.get(&path).await.status, StatusCode::FORBIDDEN, "{who} {path}");
        }
        for path in
            ["/quality/exits/new".to_string(), format!("/quality/exits/{plan}/people"), format!("/quality/exits/{plan}/items/{item}")]
        {
            let r = c.post_form(&path, &[("person_ref", "XY123"), ("new_arrangement", "x"), ("provider_id", &f.provider)]).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} {path}");
        }
        c.post_form("/sign-out", &[]).await;
    }
    // The viewer's service tab has no exit section.
    c.sign_in_as("viewer@test.gov.uk").await;
    let r = c.get(&format!("/services/{}/quality", f.willow)).await;
    r.assert_ok();
    assert!(!r.contains("Exit plans"));
    assert_eq!(c.store.exit_plan(&plan).await.expect("plan").items.len(), 2);
}
