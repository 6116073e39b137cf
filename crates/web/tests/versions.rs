//! Lost updates through the pages and the API (issue 17 item 6, decision 25): two people open the
//! same record's form, both save; the first save stands, the second is answered 409 with the
//! form again: "This record changed since you opened it", who changed it, each differing field
//! as it is now beside what was submitted, and what was typed kept in the form. Saving that form
//! again (it now carries the record's current version) replaces the record deliberately.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::quality::{Activity, VisitType};
use caremarket_core::register::{ContractStatus, ServiceKind};
use caremarket_store::quality::visits::NewVisit;
use caremarket_store::register::NewService;
use caremarket_store::users::NewUser;
use caremarket_store::{Actor, AuditQuery, Store};
use common::{Client, PASSWORD, visible_text};
use serde_json::{Value, json};

async fn person(store: &Store, email: &str, name: &str, role: Role) {
    store
        .create_user(
            &Actor::system("test"),
            NewUser { email, display_name: name, password: PASSWORD, role, provider_id: None, must_change_password: false },
        )
        .await
        .expect("user");
}

async fn signed_in(store: &Store, email: &str) -> Client {
    let mut c = Client::new(store.clone());
    c.sign_in_as(email).await;
    c
}

async fn setup() -> (Store, String, String) {
    let c = Client::sqlite().await;
    let store = c.store.clone();
    let a = Actor::system("test");
    let p = store.create_provider(&a, None, "Elm Care Ltd", None, None).await.expect("provider");
    let s = store
        .create_service(
            &a,
            &NewService {
                town: None,
                postcode: None,
                local_authority: None,
                beds: Some(20),
                ..caremarket_testkit::service(p.clone(), "Elm House", ServiceKind::CareHomeResidential)
            },
        )
        .await
        .expect("service");
    person(&store, "asha@test.gov.uk", "Asha Patel", Role::Commissioner).await;
    person(&store, "ben@test.gov.uk", "Ben Okoro", Role::Commissioner).await;
    person(&store, "qo1@test.gov.uk", "Cara Quinn", Role::QualityOfficer).await;
    person(&store, "qo2@test.gov.uk", "Dev Shah", Role::QualityOfficer).await;
    (store, p, s)
}

fn service_form<'a>(status: &'a str, notes: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("contract_status", status), ("framework_lot", ""), ("kind", "care_home_residential"), ("council_notes", notes)]
}

async fn updates_of(store: &Store, entity_type: &str, id: &str) -> usize {
    let q = AuditQuery { entity_type: Some(entity_type.into()), entity_id: Some(id.into()), limit: 100, ..Default::default() };
    store.audit_entries(&q).await.expect("audit").0.iter().filter(|e| e.action == "update").count()
}

#[tokio::test]
async fn the_second_save_of_a_service_is_refused_showing_what_changed_and_keeping_what_was_typed() {
    let (store, _, id) = setup().await;
    let edit = format!("/services/{id}/edit");
    let mut asha = signed_in(&store, "asha@test.gov.uk").await;
    let mut ben = signed_in(&store, "ben@test.gov.uk").await;
    // Both open the form at the same version.
    asha.get(&edit).await.assert_ok();
    ben.get(&edit).await.assert_ok();
    assert_eq!(asha.form_version(&edit).as_deref(), Some("1"));
    assert_eq!(ben.form_version(&edit).as_deref(), Some("1"));

    let r = asha.post_form(&edit, &service_form("block", "Moved to a block contract in April")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = ben.post_form(&edit, &service_form("spot", "Ask about weekend staffing")).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let text = visible_text(&r.body);
    assert!(text.contains("This record changed since you opened it"), "{text}");
    assert!(text.contains("Asha Patel saved it at "), "{text}");
    assert!(text.contains("Your changes have not been saved"), "{text}");
    // Each differing field: its label, what it is now, what Ben submitted.
    assert!(text.contains("Contract status Block contract Spot purchase"), "{text}");
    assert!(text.contains("Council notes Moved to a block contract in April Ask about weekend staffing"), "{text}");
    assert!(!text.contains("Kind of service Care home"), "the kind did not differ: {text}");
    // Nothing of Ben's save was written.
    let now = store.service(&id).await.expect("service");
    assert_eq!(now.council_notes.as_deref(), Some("Moved to a block contract in April"));
    assert_eq!(now.contract_status, ContractStatus::BlockContract);
    assert_eq!(updates_of(&store, "service", &id).await, 1);
    // What Ben typed is still in the form, which now carries the version it is at.
    assert!(r.body.contains(">Ask about weekend staffing</textarea>"), "{}", r.body);
    assert_eq!(ben.form_version(&edit).as_deref(), Some("2"));

    // Saving again is a deliberate replacement, and it stands.
    let r = ben.post_form(&edit, &service_form("spot", "Ask about weekend staffing")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let now = store.service(&id).await.expect("service");
    assert_eq!((now.council_notes.as_deref(), now.version), (Some("Ask about weekend staffing"), 3));

    // A form with no version (opened before versions existed) is not applied blindly.
    let r = asha
        .post_form(&edit, &[("version", ""), ("contract_status", "block"), ("kind", "care_home_residential"), ("council_notes", "x")])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(visible_text(&r.body).contains("This form did not say which version of the record it was opened at"), "{}", r.body);
    assert_eq!(store.service(&id).await.expect("service").council_notes.as_deref(), Some("Ask about weekend staffing"));
}

#[tokio::test]
async fn provider_notes_saved_by_two_people_keep_the_first_and_show_the_second_their_text() {
    let (store, p, _) = setup().await;
    let page = format!("/providers/{p}");
    let action = format!("/providers/{p}/notes");
    let mut asha = signed_in(&store, "asha@test.gov.uk").await;
    let mut ben = signed_in(&store, "ben@test.gov.uk").await;
    asha.get(&page).await.assert_ok();
    ben.get(&page).await.assert_ok();
    assert_eq!(asha.post_form(&action, &[("notes", "New owner from June")]).await.status, StatusCode::SEE_OTHER);
    let r = ben.post_form(&action, &[("notes", "No concerns")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let text = visible_text(&r.body);
    assert!(text.contains("This record changed since you opened it"), "{text}");
    assert!(text.contains("Asha Patel saved it"), "{text}");
    assert!(text.contains("Notes about this provider New owner from June No concerns"), "{text}");
    assert!(r.body.contains(">No concerns</textarea>"), "{}", r.body);
    assert_eq!(store.provider(&p).await.expect("p").notes.as_deref(), Some("New owner from June"));
    assert_eq!(updates_of(&store, "provider", &p).await, 1);
}

#[tokio::test]
async fn a_standard_and_a_visit_edited_by_two_officers_refuse_the_second_save() {
    let (store, _, service) = setup().await;
    store.ensure_starter_frameworks().await.expect("frameworks");
    let mut cara = signed_in(&store, "qo1@test.gov.uk").await;
    let mut dev = signed_in(&store, "qo2@test.gov.uk").await;

    let qaf = store.qa_framework_by_code("qaf_care_homes").await.expect("qaf");
    let st = store.qa_standards(&qaf.id, false).await.expect("standards").remove(0);
    let edit = format!("/quality/standards/{}/edit", st.id);
    cara.get(&edit).await.assert_ok();
    dev.get(&edit).await.assert_ok();
    let form = |title: &'static str| {
        let (domain, code, provenance) = (st.domain.clone(), st.code.clone(), st.provenance.clone());
        let guidance = st.guidance.clone().unwrap_or_default();
        move || {
            vec![
                ("domain".to_string(), domain),
                ("code".into(), code),
                ("title".into(), title.to_string()),
                ("guidance".into(), guidance),
                ("provenance".into(), provenance),
            ]
        }
    };
    let fields = form("Checked monthly")();
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = cara.post_form(&edit, &pairs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{:?} {}", cara.form_version(&edit), visible_text(&r.body));
    let fields = form("Checked weekly")();
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = dev.post_form(&edit, &pairs).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let text = visible_text(&r.body);
    assert!(text.contains("This record changed since you opened it") && text.contains("Cara Quinn saved it"), "{text}");
    assert!(text.contains("Title Checked monthly Checked weekly"), "{text}");
    let differs = text.split("What differs").nth(1).and_then(|t| t.split("Edit a standard").next()).unwrap_or("");
    assert!(!differs.contains("Guidance"), "the guidance did not differ: {differs}");
    assert!(r.body.contains("value=\"Checked weekly\""), "{}", r.body);
    assert_eq!(store.qa_standard(&st.id).await.expect("st").title, "Checked monthly");

    let nv = NewVisit {
        service_id: service.clone(),
        activity: Activity::QualityVisit,
        visit_type: VisitType::Routine,
        announced: true,
        visit_date: jiff::civil::date(2025, 5, 10),
        officers: "J Smith".into(),
        people_spoken_to: 4,
        relatives_spoken_to: 2,
        staff_spoken_to: 3,
        framework_id: None,
        outcomes_framework_id: None,
        feedback_given_on_day: true,
    };
    let visit = store.create_visit(&Actor::system("test"), &nv, caremarket_store::today()).await.expect("visit");
    let edit = format!("/quality/visits/{visit}/edit");
    cara.get(&edit).await.assert_ok();
    dev.get(&edit).await.assert_ok();
    let visit_form = |officers: &'static str, people: &'static str| {
        vec![
            ("service_id", service.clone()),
            ("activity", "quality_visit".to_string()),
            ("visit_type", "routine".to_string()),
            ("announced", "yes".to_string()),
            ("visit_date-day", "10".to_string()),
            ("visit_date-month", "5".to_string()),
            ("visit_date-year", "2025".to_string()),
            ("officers", officers.to_string()),
            ("people_spoken_to", people.to_string()),
            ("relatives_spoken_to", "2".to_string()),
            ("staff_spoken_to", "3".to_string()),
            ("framework_id", String::new()),
            ("outcomes_framework_id", String::new()),
            ("feedback_given_on_day", "yes".to_string()),
        ]
    };
    let f = visit_form("J Smith, A Khan", "4");
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = cara.post_form(&edit, &pairs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let f = visit_form("J Smith", "7");
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = dev.post_form(&edit, &pairs).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let text = visible_text(&r.body);
    assert!(text.contains("Officers J Smith, A Khan J Smith"), "{text}");
    assert!(text.contains("People spoken to 4 7"), "{text}");
    assert!(!text.contains("Staff spoken to 3 3"), "unchanged fields are not listed: {text}");
    let now = store.visit(&visit).await.expect("visit");
    assert_eq!((now.officers.as_str(), now.people_spoken_to), ("J Smith, A Khan", 4));
}

#[tokio::test]
async fn the_api_requires_a_version_and_answers_409_naming_the_current_one() {
    let (store, _, id) = setup().await;
    let user = store.users().await.expect("users").into_iter().find(|u| u.email == "asha@test.gov.uk").expect("asha");
    let (_, token) = store.create_api_token(&Actor::system("test"), &user.id, "tests").await.expect("token");
    let mut c = Client::new(store.clone());
    let path = format!("/api/v1/services/{id}");
    let json_of = |body: &str| -> Value { serde_json::from_str(body).expect("json") };
    let got = json_of(&c.api("GET", &path, Some(&token), None).await.body);
    assert_eq!(got["version"], json!(1));

    let r = c.api("PATCH", &path, Some(&token), Some(json!({"council_notes": "No version"}))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let v = json_of(&r.body);
    assert_eq!(v["field"], json!("version"));
    assert!(v["error"].as_str().is_some_and(|e| e.contains("required")), "{v}");

    let r = c.api("PATCH", &path, Some(&token), Some(json!({"council_notes": "First", "version": 1}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(json_of(&r.body)["version"], json!(2));
    let r = c.api("PATCH", &path, Some(&token), Some(json!({"council_notes": "Second, from the old version", "version": 1}))).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let v = json_of(&r.body);
    assert_eq!(v["current_version"], json!(2));
    assert_eq!(v["status"], json!(409));
    assert!(v["error"].as_str().is_some_and(|e| e.contains("changed since you opened it")), "{v}");
    assert_eq!(store.service(&id).await.expect("s").council_notes.as_deref(), Some("First"));
    for bad in [json!("2"), json!(0), json!(1.5)] {
        let r = c.api("PATCH", &path, Some(&token), Some(json!({"council_notes": "x", "version": bad}))).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.body);
        assert_eq!(json_of(&r.body)["field"], json!("version"));
    }
}
