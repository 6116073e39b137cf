//! The named officer of a direct payment is changed on its page, and many are assigned at once
//! from the monitoring list, where monitoring with no named officer shows up (issue 16 item 9).
//! Every change is audited; an officer who cannot hold direct payments is refused; roles
//! without EditDirectPayments cannot change it.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::direct_payments::{BudgetPeriod, DpDraft, Holding};
use caremarket_store::Actor;
use caremarket_store::direct_payments::NewDirectPayment;
use common::{Client, visible_text};

fn dp(reference: &str, start: &str) -> NewDirectPayment {
    NewDirectPayment {
        draft: DpDraft {
            person_ref: reference.into(),
            service_area: "mental_health".into(),
            is_child: false,
            budget_pence: 20_000,
            budget_period: BudgetPeriod::Weekly,
            holding: Holding::PrepaidCard,
            mm_provider_id: None,
            start_date: start.parse().expect("date"),
        },
        officer_id: None,
        equality: Default::default(),
    }
}

#[tokio::test]
async fn officers_are_named_one_at_a_time_and_many_at_once() {
    let mut c = Client::sqlite().await;
    let a = Actor::system("test");
    let ann = c.user_named("ann@test.gov.uk", "Ann Officer", Role::DirectPaymentsOfficer, None).await;
    let ben = c.user_named("ben@test.gov.uk", "Ben Officer", Role::DirectPaymentsOfficer, None).await;
    let viewer = c.user_named("viewer@test.gov.uk", "Vi Ewer", Role::Viewer, None).await;
    // Three open direct payments started long enough ago that monitoring is due, none named.
    let refs = ["DP100", "DP101", "DP102"];
    let mut ids = Vec::new();
    for r in refs {
        ids.push(c.store.create_direct_payment(&a, &dp(r, "2023-01-01")).await.expect("dp"));
    }
    c.sign_in_as("ann@test.gov.uk").await;

    // Monitoring with no named officer is listed as such, and can be filtered to.
    let list = c.get("/direct-payments/monitoring?days=30&officer_id=none").await;
    list.assert_ok();
    let text = visible_text(&list.body);
    assert!(text.contains("No named officer:") && refs.iter().all(|r| text.contains(r)), "{text}");

    // One at a time, from the DP's page.
    let page = format!("/direct-payments/{}/officer", ids[0]);
    c.get(&page).await.assert_ok();
    let r = c.post_form(&page, &[("officer_id", "")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(visible_text(&r.body).contains("Choose the named officer, or no named officer"), "{}", r.body);
    let r = c.post_form(&page, &[("officer_id", viewer.as_str())]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "a viewer cannot hold direct payments");
    assert!(visible_text(&r.body).contains("Choose an officer who works on direct payments"), "{}", r.body);
    let r = c.post_form(&page, &[("officer_id", ben.as_str())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let shown = visible_text(&c.get(r.location.as_deref().expect("back")).await.body);
    assert!(shown.contains("Named officer saved") && shown.contains("Named officer Ben Officer"), "{shown}");

    // Many at once from the list: the other two to Ann; the list's filter is kept.
    c.get("/direct-payments/monitoring?days=30&officer_id=none").await;
    let r = c
        .post_form(
            "/direct-payments/monitoring/assign",
            &[
                ("dp_id", ids[1].as_str()),
                ("dp_id", ids[2].as_str()),
                ("dp_id", ids[2].as_str()),
                ("assign_officer_id", ann.as_str()),
                ("days", "30"),
                ("filter_officer_id", "none"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let back = r.location.clone().expect("back to the list");
    assert!(back.starts_with("/direct-payments/monitoring?") && back.contains("officer_id=none") && back.contains("assigned=2"), "{back}");
    let text = visible_text(&c.get(&back).await.body);
    assert!(text.contains("Named officer saved for 2 direct payments"), "{text}");
    assert!(!text.contains("No named officer:"), "nothing is left without an officer: {text}");
    for (id, who) in [(&ids[0], &ben), (&ids[1], &ann), (&ids[2], &ann)] {
        assert_eq!(c.store.direct_payment(id).await.expect("dp").officer_id.as_deref(), Some(who.as_str()));
    }
    // Nothing ticked, or no officer chosen: said, and nothing changes.
    c.get("/direct-payments/monitoring").await;
    let r = c.post_form("/direct-payments/monitoring/assign", &[("assign_officer_id", ben.as_str())]).await;
    let text = visible_text(&c.get(r.location.as_deref().expect("back")).await.body);
    assert!(text.contains("Tick at least one direct payment to assign"), "{text}");
    c.get("/direct-payments/monitoring").await;
    let r = c.post_form("/direct-payments/monitoring/assign", &[("dp_id", ids[1].as_str()), ("assign_officer_id", "")]).await;
    let text = visible_text(&c.get(r.location.as_deref().expect("back")).await.body);
    assert!(text.contains("Choose the named officer, or no named officer"), "{text}");
    assert_eq!(c.store.direct_payment(&ids[1]).await.expect("dp").officer_id.as_deref(), Some(ann.as_str()));

    // Every change is in the audit log, saying whom it named.
    let (entries, _) = c
        .store
        .audit_entries(&caremarket_store::AuditQuery { entity_type: Some("direct_payment".into()), ..Default::default() })
        .await
        .expect("audit");
    let named: Vec<&str> = entries.iter().map(|e| e.summary.as_str()).filter(|s| s.starts_with("Named ")).collect();
    assert_eq!(named.len(), 3, "{named:?}");
    assert_eq!(named.iter().filter(|s| s.contains("Ann Officer")).count(), 2);

    // A viewer can read direct payments' figures but not change an officer.
    let mut v = Client::new(c.store.clone());
    v.sign_in_as("viewer@test.gov.uk").await;
    assert_eq!(v.get(&page).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        v.post_form("/direct-payments/monitoring/assign", &[("dp_id", ids[0].as_str()), ("assign_officer_id", ann.as_str())]).await.status,
        StatusCode::FORBIDDEN
    );
}
