//! The PA register: the public form creates an entry that counts only once the link emailed to
//! it is followed (full postcodes refused), floods are throttled per address and capped per
//! address, email domain and day, the registrant can leave by an emailed link, officers approve,
//! search ranks by fit with reasons and never shows anyone's address or contact details,
//! introductions are counted, withdrawal.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::direct_payments::pa_register::{PaKind, PaStatus};
use common::Client;
use std::net::SocketAddr;

/// The link in the newest email to `to` whose path is `path`, as the recipient would open it.
fn link_in_mail(c: &Client, to: &str, path: &str) -> String {
    let mail = c.mails().into_iter().rev().find(|m| m.contains(&format!("To: {to}"))).unwrap_or_else(|| panic!("no email to {to}"));
    let start = mail.find(&format!("http://localhost{path}?token=")).unwrap_or_else(|| panic!("no {path} link in {mail}"));
    let link: String = mail[start..].chars().take_while(|ch| !ch.is_whitespace()).collect();
    link.trim_start_matches("http://localhost").to_string()
}

/// Open the link and press the button on its page, as the recipient would.
async fn follow(c: &mut Client, link: &str) -> common::Res {
    let page = c.get(link).await;
    page.assert_ok();
    let token = link.split("token=").nth(1).expect("token").to_string();
    let action = link.split('?').next().expect("path").to_string();
    c.post_form(&action, &[("token", token.as_str())]).await
}

async fn confirm(c: &mut Client, to: &str) -> common::Res {
    let link = link_in_mail(c, to, "/pa-register/confirm");
    follow(c, &link).await
}

fn addr(last: u8) -> SocketAddr {
    SocketAddr::from(([203, 0, 113, last], 5000))
}

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

/// Every check the council requires, done today, so that the PA can be approved and listed
/// (issue 16 item 17; the checks form itself is tested in `pa_checks`).
async fn complete_checks(c: &Client, id: &str) {
    use caremarket_core::direct_payments::pa_checks::{DbsCheck, DbsType, PaChecks, Reference, Training};
    let today = caremarket_store::today();
    let checks = PaChecks {
        dbs: Some(DbsCheck {
            dbs_type: DbsType::EnhancedBarredAdults,
            certificate_number: Some("001234567890".into()),
            issued_on: Some(today),
            update_service: false,
        }),
        references: (0..2)
            .map(|_| Reference {
                relationship: Some("employer".into()),
                received_on: Some(today),
                checked_on: Some(today),
                checked_by: None,
            })
            .collect(),
        training: ["care_certificate", "safeguarding_adults", "moving_handling"]
            .iter()
            .map(|course| Training { course: course.to_string(), completed_on: today })
            .collect(),
    };
    let v = c.store.pa_entry(id).await.expect("entry").version;
    c.store
        .save_pa_checks(&caremarket_store::Actor::system("test"), id, &checks, caremarket_core::versions::Version::new(v).expect("version"))
        .await
        .expect("checks");
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
    assert!(public.get("/pa-register/join/done").await.contains("We have sent you an email with a link to confirm your email address"));
    public.post_form("/pa-register/join", &join_fields("pa", "Paul Further", "paul@example.org", "OL16")).await;
    public.post_form("/pa-register/join", &join_fields("employer", "Edna Employer", "edna@example.org", "OL1")).await;
    // Nothing waits for an officer until its email address is confirmed.
    assert!(public.store.pa_entries(None, PaStatus::Pending).await.expect("pending").is_empty());
    assert_eq!(public.store.pa_entries(None, PaStatus::Unconfirmed).await.expect("unconfirmed").len(), 3);
    for to in ["priya@example.org", "paul@example.org", "edna@example.org"] {
        let r = confirm(&mut public, to).await;
        r.assert_ok();
        assert!(r.contains("Email address confirmed"), "{}", r.body);
    }

    let mut c = public;
    c.user("dpo@test.gov.uk", Role::DirectPaymentsOfficer, None).await;
    c.sign_in_as("dpo@test.gov.uk").await;
    let r = c.get("/pa-register").await;
    r.assert_ok();
    assert!(r.contains("<strong>0 employers</strong>, <strong>0 personal assistants</strong>"), "{}", r.body);
    assert!(r.contains("Waiting for approval (3)"));
    let pending = c.store.pa_entries(None, PaStatus::Pending).await.expect("pending");
    for e in &pending {
        if e.kind == PaKind::Pa {
            complete_checks(&c, &e.id).await;
        }
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
    // Each result links to the PA's own page (issue 16 item 12).
    let far = pending.iter().find(|e| e.display_name == "Paul Further").expect("pa").id.clone();
    let link = |id: &str| [format!("pa-register/{id}\""), format!("pa-register&#x2f;{id}\"")];
    assert!(link(&near).iter().any(|l| r.body.contains(l)) && link(&far).iter().any(|l| r.body.contains(l)), "{}", r.body);
    let r = c.get("/pa-register/search?outward_code=OL8+1AA").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // An introduction is recorded and counted.
    c.get(&format!("/pa-register/{emp}")).await;
    let r = c.post_form("/pa-register/introductions", &[("employer_id", emp.as_str()), ("pa_id", near.as_str())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // From a PA's own page, the officer introduces them to an employer and comes back to the PA.
    let r = c.get(&format!("/pa-register/{far}")).await;
    let text = common::visible_text(&r.body);
    assert!(text.contains("Introduce Paul Further to an employer") && text.contains("Record an introduction"), "{text}");
    let r = c.post_form("/pa-register/introductions", &[("employer_id", ""), ("pa_id", far.as_str()), ("from", "pa")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = c.post_form("/pa-register/introductions", &[("employer_id", emp.as_str()), ("pa_id", far.as_str()), ("from", "pa")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some(format!("/pa-register/{far}?done=introduced").as_str()));
    let text = common::visible_text(&c.get(&format!("/pa-register/{far}")).await.body);
    assert!(text.contains("Introductions (1)"), "{text}");
    let r = c.get("/pa-register").await;
    assert!(
        r.contains("<strong>1 employer</strong>, <strong>2 personal assistants</strong>, <strong>2 introductions</strong>"),
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
    assert!(r.contains("PA register: 1 employer, 1 personal assistant, 2 introductions"), "{}", r.body);
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
    // Five emails sent, none confirmed: nothing counts yet.
    assert_eq!(c.mails().len(), 5);
    assert_eq!(c.store.public_pa_registrations_on(caremarket_store::today()).await.expect("n"), 0);
}

#[tokio::test]
async fn the_daily_cap_stops_public_registrations() {
    let mut c = Client::sqlite().await;
    c.store.set_setting("pa_public_daily_cap", "2").await.expect("cap");
    c.get("/pa-register/join").await;
    // Three sent: unconfirmed registrations do not use up the day.
    for i in 0..3 {
        let email = format!("ok{i}@example{i}.org");
        assert_eq!(c.post_form("/pa-register/join", &join_fields("pa", "Ok", &email, "OL2")).await.status, StatusCode::SEE_OTHER);
    }
    for i in 0..2 {
        confirm(&mut c, &format!("ok{i}@example{i}.org")).await.assert_ok();
    }
    assert_eq!(c.store.public_pa_registrations_on(caremarket_store::today()).await.expect("n"), 2);
    // The day is full: a new registration is refused, and so is the third confirmation.
    let r = c.post_form("/pa-register/join", &join_fields("pa", "Fourth", "fourth@example4.org", "OL2")).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.contains("as many registrations as it can take today"), "{}", r.body);
    let r = confirm(&mut c, "ok2@example2.org").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.contains("Use the link in your email again tomorrow"), "{}", r.body);
    assert_eq!(c.store.pa_entries(None, PaStatus::Pending).await.expect("p").len(), 2);
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

#[tokio::test]
async fn caps_per_address_and_per_domain() {
    let mut c = Client::sqlite().await;
    c.store.set_setting("pa_public_address_cap", "2").await.expect("cap");
    c.store.set_setting("pa_public_domain_cap", "3").await.expect("cap");
    c.move_to_address(addr(1));
    c.get("/pa-register/join").await;
    for email in ["a1@one.org", "a2@two.org"] {
        assert_eq!(c.post_form("/pa-register/join", &join_fields("pa", "Ok", email, "OL2")).await.status, StatusCode::SEE_OTHER);
    }
    let r = c.post_form("/pa-register/join", &join_fields("pa", "Third", "a3@three.org", "OL2")).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.contains("Too many registrations have been sent from your network today"), "{}", r.body);
    // Another address is not affected by the first one's cap.
    c.move_to_address(addr(2));
    assert_eq!(c.post_form("/pa-register/join", &join_fields("pa", "Ok", "b1@one.org", "OL2")).await.status, StatusCode::SEE_OTHER);
    // one.org has had 2; a third from a third address reaches the domain cap of 3, a fourth is refused.
    c.move_to_address(addr(3));
    assert_eq!(c.post_form("/pa-register/join", &join_fields("pa", "Ok", "c1@one.org", "OL2")).await.status, StatusCode::SEE_OTHER);
    c.move_to_address(addr(4));
    let r = c.post_form("/pa-register/join", &join_fields("pa", "Ok", "d1@ONE.org", "OL2")).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.contains("Too many registrations have been sent today for email addresses at one.org"), "{}", r.body);
    assert_eq!(c.post_form("/pa-register/join", &join_fields("pa", "Ok", "d1@four.org", "OL2")).await.status, StatusCode::SEE_OTHER);
    // Five emails were sent, one for each registration accepted.
    assert_eq!(c.mails().len(), 5);
}

#[tokio::test]
async fn a_confirmation_link_works_once_and_expires() {
    let mut c = Client::sqlite().await;
    c.get("/pa-register/join").await;
    c.post_form("/pa-register/join", &join_fields("pa", "Ruth Once", "ruth@example.org", "OL3")).await;
    let mail = c.mails().pop().expect("mail");
    assert!(mail.contains("Subject: Confirm your email address for the PA register") && mail.contains("Dear Ruth Once"), "{mail}");
    assert!(mail.contains("within 48 hours"));
    // Registering again with the same address sends nothing more and says the same.
    let r = c.post_form("/pa-register/join", &join_fields("pa", "Ruth Again", "RUTH@example.org", "OL3")).await;
    assert_eq!(r.location.as_deref(), Some("/pa-register/join/done"));
    assert_eq!(c.mails().len(), 1);
    let link = link_in_mail(&c, "ruth@example.org", "/pa-register/confirm");
    // Opening the link changes nothing; the button does.
    let page = c.get(&link).await;
    assert!(page.contains("Confirm that ruth@example.org is your email address"), "{}", page.body);
    assert!(page.contains("Confirm my registration</button>") || page.contains("Confirm my registration\n</button>"), "{}", page.body);
    assert!(c.store.pa_entries(None, PaStatus::Pending).await.expect("p").is_empty());
    follow(&mut c, &link).await.assert_ok();
    assert_eq!(c.store.pa_entries(None, PaStatus::Pending).await.expect("p").len(), 1);
    let r = c.get(&link).await;
    assert_eq!(r.status, StatusCode::GONE);
    assert!(r.contains("This email address has already been confirmed"), "{}", r.body);
    let r = c.get("/pa-register/confirm?token=0123456789abcdef").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.contains("This link is not valid"));

    // A link older than its lifetime is refused (a lifetime of 0 hours: expired at once).
    c.store.set_setting("pa_link_hours", "0").await.expect("hours");
    c.post_form("/pa-register/join", &join_fields("pa", "Late Larry", "larry@example.org", "OL3")).await;
    let link = link_in_mail(&c, "larry@example.org", "/pa-register/confirm");
    let r = c.get(&link).await;
    assert_eq!(r.status, StatusCode::GONE);
    assert!(r.contains("This link has expired"), "{}", r.body);
    let token = link.split("token=").nth(1).expect("token");
    assert_eq!(c.post_form("/pa-register/confirm", &[("token", token)]).await.status, StatusCode::GONE);
    assert_eq!(c.store.pa_entries(None, PaStatus::Unconfirmed).await.expect("u").len(), 1);
    // An expired, unconfirmed registration does not block registering again.
    c.store.set_setting("pa_link_hours", "48").await.expect("hours");
    c.post_form("/pa-register/join", &join_fields("pa", "Late Larry", "larry@example.org", "OL3")).await;
    confirm(&mut c, "larry@example.org").await.assert_ok();
    assert_eq!(c.store.pa_entries(None, PaStatus::Pending).await.expect("p").len(), 2);
}

#[tokio::test]
async fn a_registrant_leaves_by_a_link_sent_to_them() {
    let mut c = Client::sqlite().await;
    c.get("/pa-register/join").await;
    c.post_form("/pa-register/join", &join_fields("pa", "Lena Leaving", "lena@example.org", "OL4")).await;
    confirm(&mut c, "lena@example.org").await.assert_ok();
    let r = c.get("/pa-register/leave").await;
    r.assert_ok();
    assert!(r.contains("Leave the Personal Assistant register"));
    let r = c.post_form("/pa-register/leave", &[("email", "")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("Enter the email address you registered with"));
    // An address not on the register is told the same, and nothing is sent.
    let r = c.post_form("/pa-register/leave", &[("email", "nobody@example.org")]).await;
    assert_eq!(r.location.as_deref(), Some("/pa-register/leave/sent"));
    assert_eq!(c.mails().len(), 1);
    let r = c.post_form("/pa-register/leave", &[("email", " Lena@Example.org ")]).await;
    assert_eq!(r.location.as_deref(), Some("/pa-register/leave/sent"));
    assert!(c.get("/pa-register/leave/sent").await.contains("If that email address is on the register, we have sent it a link"));
    let link = link_in_mail(&c, "lena@example.org", "/pa-register/leave/confirm");
    let page = c.get(&link).await;
    assert!(page.contains("The entry for Lena Leaving (lena@example.org) will be taken off the register"), "{}", page.body);
    assert!(page.contains("Leave the register") && !page.contains("macro"), "{}", page.body);
    let r = follow(&mut c, &link).await;
    r.assert_ok();
    assert!(r.contains("You have left the register"));
    let gone = c.store.pa_entries(None, PaStatus::Withdrawn).await.expect("w");
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].withdrawn_reason.as_deref(), Some("Withdrawn by the registrant by email link"));
    assert_eq!(c.get(&link).await.status, StatusCode::GONE);
    // Withdrawn: asking again sends nothing.
    c.post_form("/pa-register/leave", &[("email", "lena@example.org")]).await;
    assert_eq!(c.mails().len(), 2);
}
