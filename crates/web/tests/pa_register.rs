//! The PA register: the public form creates a pending entry (full postcodes refused), floods are
//! throttled per address and capped per day, officers approve, search ranks by fit with reasons
//! and never shows anyone's address or contact details, introductions are counted, withdrawal.
mod common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::direct_payments::pa_register::{PaKind, PaStatus};
use common::Client;

fn join_fields<'a>(kind: &'a str, name: &'a str, email: &'a str, outward: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("kind", kind),
        ("display_name", name),
        ("email", email),
        ("phone", "07700 900123"),
        ("outward_code", outward),
        ("hours_per_week", "16"),
        ("slots", "mon_am"),
        ("slots", "tue_am"),
        ("skills", "dementia"),
        ("skills", "personal_care"),
        ("languages", "english"),
        ("gender", "female"),
        ("gender_preference", "any"),
        ("driving", "1"),
        ("dbs_status", "enhanced"),
        ("dbs_date-day", ""),
        ("dbs_date-month", ""),
        ("dbs_date-year", ""),
        ("about", ""),
    ]
}

#[tokio::test]
async fn public_registration_approval_search_and_introductions() {
    let mut public = Client::sqlite().await;
    let r = public.get("/pa-register/join").await;
    r.assert_ok();
    assert!(r.contains("Join the Personal Assistant register"));
    // A full postcode is refused with a clear message.
    let r = public.post_form("/pa-register/join", &join_fields("pa", "Priya Near", "priya@example.org", "OL1 1AA")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("Enter only the first part of the postcode"), "{}", r.body);
    assert!(r.contains("value=\"Priya Near\""), "typed values kept");
    let r = public.post_form("/pa-register/join", &join_fields("pa", "Priya Near", "priya@example.org", "ol1")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some("/pa-register/join/done"));
    assert!(public.get("/pa-register/join/done").await.contains("Registration received"));
    public.post_form("/pa-register/join", &join_fields("pa", "Paul Further", "paul@example.org", "OL16")).await;
    public.post_form("/pa-register/join", &join_fields("employer", "Edna Employer", "edna@example.org", "OL1")).await;

    let mut c = public;
    c.user("dpo@test.gov.uk", Role::DirectPaymentsOfficer, None).await;
    c.sign_in_as("dpo@test.gov.uk").await;
    let r = c.get("/pa-register").await;
    r.assert_ok();
    assert!(r.contains("<strong>0 employers</strong>, <strong>0 personal assistants</strong>"), "{}", r.body);
    assert!(r.contains("Waiting for approval (3)"));
    let pending = c.store.pa_entries(None, PaStatus::Pending).await.expect("pending");
    for e in &pending {
        c.get(&format!("/pa-register/{}", e.id)).await;
        let r = c.post_form(&format!("/pa-register/{}/approve", e.id), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let emp = pending.iter().find(|e| e.kind == "employer").expect("employer").id.clone();
    let near = pending.iter().find(|e| e.display_name == "Priya Near").expect("pa").id.clone();

    // The employer's page ranks PAs, nearest and best fit first, with reasons; no PA's email,
    // phone or anything but the district is shown.
    let r = c.get(&format!("/pa-register/{emp}")).await;
    r.assert_ok();
    // The ranked list (the employer's own details are above it, for the officer).
    let body = &r.body[r.body.find("ranked by fit").expect("results section")..];
    let first = body.find("Priya Near").expect("near listed");
    let second = body.rfind("Paul Further").expect("far listed");
    assert!(first < second, "ranked by fit");
    assert!(body.contains("Same postcode district (OL1)") && body.contains("Available for 2 of 2 times wanted"), "{body}");
    assert!(
        !body.contains("priya@example.org") && !body.contains("paul@example.org") && !body.contains("07700"),
        "no contact details in results"
    );

    // Criteria search by an officer: districts only.
    let r = c.get("/pa-register/search?outward_code=OL8&slots=mon_am&skills=dementia&gender_preference=any&driving=0").await;
    r.assert_ok();
    assert!(r.contains("District OL1") && r.contains("District OL16"), "{}", r.body);
    assert!(!r.contains("@example.org") && !r.contains("07700"));
    let r = c.get("/pa-register/search?outward_code=OL8+1AA").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // An introduction is recorded and counted.
    c.get(&format!("/pa-register/{emp}")).await;
    let r = c.post_form("/pa-register/introductions", &[("employer_id", emp.as_str()), ("pa_id", near.as_str())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = c.get("/pa-register").await;
    assert!(
        r.contains("<strong>1 employer</strong>, <strong>2 personal assistants</strong>, <strong>1 introduction</strong>"),
        "{}",
        r.body
    );

    // Either side withdraws; a withdrawn PA is no longer offered.
    c.get(&format!("/pa-register/{near}")).await;
    let r = c.post_form(&format!("/pa-register/{near}/withdraw"), &[("reason", "Found work")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = c.get(&format!("/pa-register/{emp}")).await;
    assert!(!r.contains("Record an introduction<span class=\"govuk-visually-hidden\"> to Priya Near"));
    let r = c.get("/direct-payments/figures").await;
    assert!(r.contains("PA register: 1 employer, 1 personal assistant, 1 introduction"), "{}", r.body);
}

#[tokio::test]
async fn a_flood_of_public_registrations_is_throttled() {
    // Per address: after a burst the form answers 429.
    let mut c = Client::sqlite().await;
    c.get("/pa-register/join").await;
    let mut statuses = Vec::new();
    for i in 0..8 {
        let email = format!("flood{i}@example.org");
        statuses.push(c.post_form("/pa-register/join", &join_fields("pa", "Flood", &email, "OL1")).await.status);
    }
    assert!(statuses[..5].iter().all(|s| *s == StatusCode::SEE_OTHER), "{statuses:?}");
    assert_eq!(statuses[7], StatusCode::TOO_MANY_REQUESTS);
    let r = c.post_form("/pa-register/join", &join_fields("pa", "Flood", "x@example.org", "OL1")).await;
    assert!(r.contains("too many times"), "{}", r.body);
    assert_eq!(c.store.public_pa_registrations_on(caremarket_store::today()).await.expect("n"), 5);
}

#[tokio::test]
async fn the_daily_cap_stops_public_registrations() {
    let mut c = Client::sqlite().await;
    c.store.set_setting("pa_public_daily_cap", "2").await.expect("cap");
    c.get("/pa-register/join").await;
    for i in 0..2 {
        let email = format!("ok{i}@example.org");
        assert_eq!(c.post_form("/pa-register/join", &join_fields("pa", "Ok", &email, "OL2")).await.status, StatusCode::SEE_OTHER);
    }
    let r = c.post_form("/pa-register/join", &join_fields("pa", "Third", "third@example.org", "OL2")).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.contains("as many registrations as it can take today"), "{}", r.body);
    // An officer registering on someone's behalf is not capped, and is approved at once.
    c.user("dpo@test.gov.uk", Role::DirectPaymentsOfficer, None).await;
    c.sign_in_as("dpo@test.gov.uk").await;
    c.get("/pa-register/join").await;
    let r = c.post_form("/pa-register/join", &join_fields("employer", "Behalf", "behalf@example.org", "OL2")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location.as_deref().is_some_and(|l| l.ends_with("?done=registered")));
    assert_eq!(c.store.pa_entries(Some(PaKind::Employer), PaStatus::Approved).await.expect("e").len(), 1);
}

#[tokio::test]
async fn only_dp_roles_manage_the_register() {
    let mut c = Client::sqlite().await;
    for (email, role) in
        [("comm@test.gov.uk", Role::Commissioner), ("view@test.gov.uk", Role::Viewer), ("broker@test.gov.uk", Role::BrokerageOfficer)]
    {
        c.user(email, role, None).await;
        c.sign_in_as(email).await;
        for path in ["/pa-register", "/pa-register/search?outward_code=OL1"] {
            assert_eq!(c.get(path).await.status, StatusCode::FORBIDDEN, "{email} {path}");
        }
    }
    // Without CSRF the public form is refused.
    let mut anon = Client::sqlite().await;
    let r = anon.post_form_raw("/pa-register/join", &join_fields("pa", "X", "x@example.org", "OL1")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}
