//! PA checks before listing (issue 16 item 17) through the router: an officer records a PA's
//! DBS check, references and training on a versioned form; a bad certificate number is refused
//! naming the field; approval with checks missing is refused naming them; the PA's page shows
//! each check with its tag; a PA is found in the search only once listed; the work list and the
//! officer's home show checks expiring or expired; only DP roles may do any of it.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::direct_payments::pa_register::PaStatus;
use common::Client;

fn join(name: &str, email: &str) -> Vec<(&'static str, String)> {
    [
        ("kind", "pa"),
        ("phone", ""),
        ("outward_code", "OL1"),
        ("hours_per_week", "16"),
        ("slots", "mon_am"),
        ("languages", "english"),
        ("gender", "female"),
        ("dbs_status", ""),
        ("about", ""),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .chain([("display_name", name.to_string()), ("email", email.to_string())])
    .collect()
}

/// The checks form filled in: a DBS certificate issued on `dbs`, two references and the three
/// required courses on `done` (dates as day, month, year).
fn checks_form(number: &str, dbs: (i8, i8, i16), done: (i8, i8, i16), second_checked: bool) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = vec![
        ("dbs_type".into(), "enhanced_barred_adults".into()),
        ("dbs_number".into(), number.into()),
        ("ref_relationship-1".into(), "employer".into()),
        ("ref_relationship-2".into(), "character".into()),
    ];
    let mut date = |name: &str, (d, m, y): (i8, i8, i16)| {
        f.push((format!("{name}-day"), d.to_string()));
        f.push((format!("{name}-month"), m.to_string()));
        f.push((format!("{name}-year"), y.to_string()));
    };
    date("dbs_issued", dbs);
    date("ref_received-1", done);
    date("ref_checked-1", done);
    date("ref_received-2", done);
    if second_checked {
        date("ref_checked-2", done);
    }
    for c in ["care_certificate", "safeguarding_adults", "moving_handling"] {
        date(&format!("training-{c}"), done);
    }
    f
}

fn pairs(f: &[(String, String)]) -> Vec<(&str, &str)> {
    f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// A day in the past as the form takes it.
fn days_ago(n: i64) -> (i8, i8, i16) {
    let d = caremarket_store::today().checked_sub(jiff::Span::new().days(n)).expect("date");
    (d.day(), d.month(), d.year())
}

#[tokio::test]
async fn an_officer_records_checks_and_only_then_approves_and_finds_the_pa() {
    let mut c = Client::sqlite().await;
    c.user_named("dpo@test.gov.uk", "Dana Officer", Role::DirectPaymentsOfficer, None).await;
    c.sign_in_as("dpo@test.gov.uk").await;
    // An officer registers a PA; then a public registration waits for approval.
    c.get("/pa-register/join").await;
    let f = join("Priya Checked", "priya@example.org");
    let r = c.post_form("/pa-register/join", &f.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let priya = r.location.as_deref().expect("location").trim_start_matches("/pa-register/").split('?').next().expect("id").to_string();

    // Not yet listed: the page says what is missing, each check tagged.
    let r = c.get(&format!("/pa-register/{priya}")).await;
    r.assert_ok();
    assert!(r.contains("Not listed in the PA search"), "{}", r.body);
    assert!(r.contains("DBS check: no DBS check recorded") && r.contains("Reference 2: not received"), "{}", r.body);
    assert!(r.contains(">Missing<") || r.contains("Missing\n"), "tags read Missing");
    let found = c.get("/pa-register/search?outward_code=OL1&slots=mon_am").await;
    assert!(!found.contains("Priya Checked"), "not found before checks");

    // A certificate number that is not 12 digits is refused, naming the field; what was typed is kept.
    c.get(&format!("/pa-register/{priya}/checks")).await.assert_ok();
    let form = checks_form("1234 5678", days_ago(100), days_ago(50), true);
    let r = c.post_form(&format!("/pa-register/{priya}/checks"), &pairs(&form)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("DBS certificate number must be 12 digits, like 001234567890"), "{}", r.body);
    assert!(r.contains("href=\"#dbs_number\""), "the summary links to the field");
    assert!(r.contains("value=\"1234 5678\""), "typed value kept");

    // Saved with the second reference not yet checked: still not listed.
    let form = checks_form("0012 3456 7890", days_ago(100), days_ago(50), false);
    let r = c.post_form(&format!("/pa-register/{priya}/checks"), &pairs(&form)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = c.get(&format!("/pa-register/{priya}?done=checks")).await;
    assert!(r.contains("Checks saved"), "banner");
    assert!(r.contains("Reference 2: received, not checked"), "{}", r.body);
    assert!(r.contains("certificate 001234567890"));

    // A form opened before that save cannot overwrite it.
    let stale: Vec<(String, String)> = checks_form("001234567890", days_ago(100), days_ago(50), true)
        .into_iter()
        .chain([("version".to_string(), "1".to_string())])
        .collect();
    let r = c.post_form(&format!("/pa-register/{priya}/checks"), &pairs(&stale)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.contains("This record changed since you opened it") && r.contains("Dana Officer saved it"), "{}", r.body);

    // Complete: checked by the officer, by name; listed and found.
    c.get(&format!("/pa-register/{priya}/checks")).await;
    let form = checks_form("001234567890", days_ago(100), days_ago(50), true);
    assert_eq!(c.post_form(&format!("/pa-register/{priya}/checks"), &pairs(&form)).await.status, StatusCode::SEE_OTHER);
    let r = c.get(&format!("/pa-register/{priya}")).await;
    assert!(r.contains("Listed in the PA search") && r.contains("by Dana Officer"), "{}", r.body);
    assert!(!r.contains("Not listed"), "{}", r.body);
    // Moving and handling (12 months) done 50 days ago; the DBS certificate valid 3 years.
    let ends =
        caremarket_store::today().checked_sub(jiff::Span::new().days(50)).expect("d").checked_add(jiff::Span::new().months(12)).expect("d");
    assert!(r.contains(&format!("Valid until {}", ends.strftime("%-d %B %Y"))), "{}", r.body);
    let found = c.get("/pa-register/search?outward_code=OL1&slots=mon_am").await;
    assert!(found.contains("Priya Checked"), "{}", found.body);

    // A pending public registration cannot be approved with checks missing.
    let mut p = pa_entry("Paula Pending", "paula@example.org");
    p.profile.gender = Some("female".into());
    let paula = c.store.register_pa(&caremarket_store::Actor::system("PA register public form"), &p, "public").await.expect("paula");
    c.get(&format!("/pa-register/{paula}")).await;
    let r = c.post_form(&format!("/pa-register/{paula}/approve"), &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.contains("There is a problem"), "error summary");
    assert!(
        r.contains("This PA cannot be approved until their checks are complete. Missing: DBS check: no DBS check recorded"),
        "{}",
        r.body
    );
    assert_eq!(c.store.pa_entry(&paula).await.expect("paula").status, PaStatus::Pending);
    c.get(&format!("/pa-register/{paula}/checks")).await;
    c.post_form(&format!("/pa-register/{paula}/checks"), &pairs(&checks_form("009876543210", days_ago(10), days_ago(5), true))).await;
    c.get(&format!("/pa-register/{paula}")).await;
    let r = c.post_form(&format!("/pa-register/{paula}/approve"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // Expiring and expired checks: the DBS certificate issued 3 years less 10 days ago ends in
    // 10 days; the work list and the officer's home show it, and the PA is still listed.
    let issued =
        caremarket_store::today().checked_sub(jiff::Span::new().months(36)).expect("d").checked_add(jiff::Span::new().days(10)).expect("d");
    c.get(&format!("/pa-register/{priya}/checks")).await;
    let form = checks_form("001234567890", (issued.day(), issued.month(), issued.year()), days_ago(50), true);
    assert_eq!(c.post_form(&format!("/pa-register/{priya}/checks"), &pairs(&form)).await.status, StatusCode::SEE_OTHER);
    let ends = issued.checked_add(jiff::Span::new().months(36)).expect("d").strftime("%-d %B %Y").to_string();
    let r = c.get("/pa-register/checks").await;
    r.assert_ok();
    assert!(r.contains("Priya Checked") && r.contains(&format!("Expires on {ends}")), "{}", r.body);
    assert!(!r.contains("Paula Pending"));
    let home = c.get("/work").await;
    assert!(home.contains("PA checks expiring or expired") && home.contains("Priya Checked"), "{}", home.body);
    assert!(home.contains("1 PA with checks expiring in the next 30 days or expired"), "{}", home.body);
    // Now issued 3 years and a day ago: expired, off the search, on the list as expired.
    let old = caremarket_store::today().checked_sub(jiff::Span::new().months(36).days(1)).expect("d");
    c.get(&format!("/pa-register/{priya}/checks")).await;
    let form = checks_form("001234567890", (old.day(), old.month(), old.year()), days_ago(50), true);
    assert_eq!(c.post_form(&format!("/pa-register/{priya}/checks"), &pairs(&form)).await.status, StatusCode::SEE_OTHER);
    let found = c.get("/pa-register/search?outward_code=OL1&slots=mon_am").await;
    assert!(!found.contains("Priya Checked") && found.contains("Paula Pending"), "{}", found.body);
    let r = c.get("/pa-register/checks").await;
    assert!(r.contains("Priya Checked") && r.contains(">Expired<") || r.contains("Expired\n"), "{}", r.body);
    let r = c.get(&format!("/pa-register/{priya}")).await;
    assert!(r.contains("DBS check: expired on"), "{}", r.body);

    // Each save is audited.
    let (audit, _) = c
        .store
        .audit_entries(&caremarket_store::AuditQuery { entity_type: Some("pa_entry".into()), ..Default::default() })
        .await
        .expect("audit");
    assert_eq!(audit.iter().filter(|a| a.summary == "Recorded a PA's checks").count(), 5);
}

#[tokio::test]
async fn only_dp_roles_see_or_record_checks() {
    let mut c = Client::sqlite().await;
    c.user("dpo@test.gov.uk", Role::DirectPaymentsOfficer, None).await;
    c.sign_in_as("dpo@test.gov.uk").await;
    c.get("/pa-register/join").await;
    let f = join("Pat Person", "pat@example.org");
    let r = c.post_form("/pa-register/join", &f.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
    let pat = r.location.as_deref().expect("location").trim_start_matches("/pa-register/").split('?').next().expect("id").to_string();
    for role in [Role::Commissioner, Role::QualityOfficer, Role::BrokerageOfficer, Role::Viewer] {
        let mut o = c.sibling();
        let email = format!("{}@test.gov.uk", role.as_str());
        o.user(&email, role, None).await;
        o.sign_in_as(&email).await;
        for path in ["/pa-register/checks".to_string(), format!("/pa-register/{pat}/checks")] {
            assert_eq!(o.get(&path).await.status, StatusCode::FORBIDDEN, "{role:?} {path}");
        }
        o.get("/").await;
        let form = checks_form("001234567890", days_ago(10), days_ago(5), true);
        let r = o.post_form(&format!("/pa-register/{pat}/checks"), &pairs(&form)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{role:?}");
    }
    assert_eq!(c.store.pa_checks(&pat).await.expect("checks"), Default::default());
    // An employer has no checks form.
    let emp = c.store.register_pa(&caremarket_store::Actor::system("t"), &employer(), "officer").await.expect("emp");
    assert_eq!(c.get(&format!("/pa-register/{emp}/checks")).await.status, StatusCode::NOT_FOUND);
}

fn pa_entry(name: &str, email: &str) -> caremarket_store::direct_payments::NewPaEntry {
    caremarket_store::direct_payments::NewPaEntry {
        kind: "pa".into(),
        display_name: name.into(),
        email: email.into(),
        outward_code: "OL1".into(),
        hours_per_week: 10,
        profile: caremarket_core::direct_payments::pa_register::Profile {
            outward_code: "OL1".into(),
            slots: ["mon_am".to_string()].into_iter().collect(),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn employer() -> caremarket_store::direct_payments::NewPaEntry {
    let mut e = pa_entry("Em Ployer", "em@example.org");
    e.kind = "employer".into();
    e.profile.gender_preference = Some("any".into());
    e
}
