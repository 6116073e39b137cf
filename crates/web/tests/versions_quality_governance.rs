//! Lost updates (issue 17 item 6, decision 25), continued: contract frameworks (page and API),
//! quality actions (an officer's decision, the officer's internal note, the provider's progress
//! in the portal) and a visit's scores and report. Two people open the same record at one
//! version; the first save stands; the second is answered 409 with the page again: "This record
//! changed since you opened it", who changed it, what differs, and what was typed kept; nothing
//! of it is written, audit row included. Run on SQLite and, when configured, PostgreSQL.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::quality::{ActionStatus, Activity, VisitType};
use caremarket_core::register::ServiceKind;
use caremarket_core::register::framework::FrameworkDraft;
use caremarket_core::versions::Version;
use caremarket_store::quality::actions::NewAction;
use caremarket_store::quality::visits::NewVisit;
use caremarket_store::register::NewService;
use caremarket_store::users::NewUser;
use caremarket_store::{Actor, AuditQuery, Store};
use common::{Client, PASSWORD, visible_text};
use serde_json::{Value, json};

async fn person(store: &Store, email: &str, name: &str, role: Role, provider_id: Option<&str>) {
    store
        .create_user(
            &Actor::system("test"),
            NewUser { email, display_name: name, password: PASSWORD, role, provider_id, must_change_password: false },
        )
        .await
        .expect("user");
}

async fn signed_in(store: &Store, email: &str) -> Client {
    let mut c = Client::new(store.clone());
    c.sign_in_as(email).await;
    c
}

async fn updates_of(store: &Store, entity_type: &str, id: &str) -> usize {
    let q = AuditQuery { entity_type: Some(entity_type.into()), entity_id: Some(id.into()), limit: 100, ..Default::default() };
    store.audit_entries(&q).await.expect("audit").0.iter().filter(|e| e.action == "update").count()
}

/// Every backend, each with a council, a provider with a care home, and the people who edit.
async fn stores() -> Vec<(Store, String, String)> {
    let mut out = Vec::new();
    for store in caremarket_testkit::all_backends().await.expect("stores") {
        store.set_setting("council_name", "Testshire Council").await.expect("setting");
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
        person(&store, "asha@test.gov.uk", "Asha Patel", Role::Commissioner, None).await;
        person(&store, "ben@test.gov.uk", "Ben Okoro", Role::Commissioner, None).await;
        person(&store, "qo1@test.gov.uk", "Cara Quinn", Role::QualityOfficer, None).await;
        person(&store, "qo2@test.gov.uk", "Dev Shah", Role::QualityOfficer, None).await;
        person(&store, "manager@elm.test", "Erin Mills", Role::Provider, Some(&p)).await;
        out.push((store, p, s));
    }
    out
}

fn framework_form<'a>(name: &'a str, lots: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("lots", lots),
        ("starts_on-day", "1"),
        ("starts_on-month", "4"),
        ("starts_on-year", "2025"),
        ("ends_on-day", ""),
        ("ends_on-month", ""),
        ("ends_on-year", ""),
        ("kinds", "home_care"),
    ]
}

#[tokio::test]
async fn a_framework_edited_by_two_commissioners_keeps_the_first_save() {
    for (store, _, _) in stores().await {
        let draft = FrameworkDraft {
            name: "Home Care Framework 2025".into(),
            lots: vec!["Lot 1 - North".into(), "Lot 2 - South".into()],
            starts_on: Some(jiff::civil::date(2025, 4, 1)),
            ends_on: None,
            kinds: vec![ServiceKind::HomeCare],
        };
        let id = store.create_contract_framework(&Actor::system("test"), &draft).await.expect("framework");
        let edit = format!("/frameworks/{id}/edit");
        let mut asha = signed_in(&store, "asha@test.gov.uk").await;
        let mut ben = signed_in(&store, "ben@test.gov.uk").await;
        asha.get(&edit).await.assert_ok();
        ben.get(&edit).await.assert_ok();
        assert_eq!((asha.form_version(&edit).as_deref(), ben.form_version(&edit).as_deref()), (Some("1"), Some("1")));

        let r = asha.post_form(&edit, &framework_form("Home Care Framework 2025 to 2029", "Lot 1 - North\nLot 2 - South")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", visible_text(&r.body));
        let r = ben.post_form(&edit, &framework_form("Home Care 2025", "Lot 1 - North\nLot 2 - South\nLot 3 - Central")).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", visible_text(&r.body));
        let text = visible_text(&r.body);
        assert!(text.contains("This record changed since you opened it"), "{text}");
        assert!(text.contains("Asha Patel saved it at "), "{text}");
        assert!(text.contains("Name Home Care Framework 2025 to 2029 Home Care 2025"), "{text}");
        assert!(text.contains("Lots Lot 1 - North, Lot 2 - South Lot 1 - North, Lot 2 - South, Lot 3 - Central"), "{text}");
        let differs = text.split("What differs").nth(1).and_then(|t| t.split("Edit the framework").next()).unwrap_or("");
        assert!(!differs.contains("Start date") && !differs.contains("Types of service"), "unchanged fields listed: {differs}");
        // What Ben typed is kept; the form now carries the version the framework is at.
        assert!(r.body.contains("value=\"Home Care 2025\""), "{}", r.body);
        assert_eq!(ben.form_version(&edit).as_deref(), Some("2"));
        // Nothing of Ben's save was written.
        let now = store.contract_framework(&id).await.expect("framework");
        assert_eq!((now.name.as_str(), now.lots.len(), now.version), ("Home Care Framework 2025 to 2029", 2, 2));
        assert_eq!(updates_of(&store, "framework", &id).await, 1);

        // Saving the form again is a deliberate replacement.
        let r = ben.post_form(&edit, &framework_form("Home Care 2025", "Lot 1 - North\nLot 2 - South\nLot 3 - Central")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", visible_text(&r.body));
        let now = store.contract_framework(&id).await.expect("framework");
        assert_eq!((now.name.as_str(), now.lots.len(), now.version), ("Home Care 2025", 3, 3));
    }
}

#[tokio::test]
async fn the_framework_api_requires_a_version_and_answers_409_naming_the_current_one() {
    for (store, _, _) in stores().await {
        let user = store.users().await.expect("users").into_iter().find(|u| u.email == "asha@test.gov.uk").expect("asha");
        let (_, token) = store.create_api_token(&Actor::system("test"), &user.id, "tests").await.expect("token");
        let mut c = Client::new(store.clone());
        let json_of = |body: &str| -> Value { serde_json::from_str(body).expect("json") };
        let body = json!({"name": "Home Care Framework 2025", "lots": ["Lot 1"], "kinds": ["home_care"]});
        let r = c.api("POST", "/api/v1/frameworks", Some(&token), Some(body)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let created = json_of(&r.body);
        assert_eq!(created["version"], json!(1));
        let path = format!("/api/v1/frameworks/{}", created["id"].as_str().expect("id"));
        let change = |name: &str, version: Value| {
            let mut b = json!({"name": name, "lots": ["Lot 1"], "kinds": ["home_care"]});
            if !version.is_null() {
                b["version"] = version;
            }
            b
        };

        let r = c.api("PUT", &path, Some(&token), Some(change("No version", Value::Null))).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        let v = json_of(&r.body);
        assert_eq!(v["field"], json!("version"));
        assert!(v["error"].as_str().is_some_and(|e| e.contains("required")), "{v}");

        let r = c.api("PUT", &path, Some(&token), Some(change("First", json!(1)))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(json_of(&r.body)["version"], json!(2));
        let r = c.api("PUT", &path, Some(&token), Some(change("Second, from the old version", json!(1)))).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        let v = json_of(&r.body);
        assert_eq!((v["current_version"].clone(), v["status"].clone()), (json!(2), json!(409)));
        assert!(v["error"].as_str().is_some_and(|e| e.contains("changed since you opened it")), "{v}");
        let got = json_of(&c.api("GET", &path, Some(&token), None).await.body);
        assert_eq!((got["name"].clone(), got["version"].clone()), (json!("First"), json!(2)));
        for bad in [json!("2"), json!(0), json!(1.5)] {
            let r = c.api("PUT", &path, Some(&token), Some(change("x", bad.clone()))).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.body);
            assert_eq!(json_of(&r.body)["field"], json!("version"));
        }
        let id = created["id"].as_str().expect("id");
        assert_eq!(updates_of(&store, "framework", id).await, 1);
    }
}

async fn action(store: &Store, service: &str) -> String {
    let new = NewAction {
        service_id: service.into(),
        title: "Reduce late calls".into(),
        detail: Some("Found on the visit".into()),
        owner: "Registered manager".into(),
        due_on: Some(jiff::civil::date(2099, 1, 31)),
    };
    store.create_action(&Actor::system("test"), &new).await.expect("action")
}

#[tokio::test]
async fn two_officers_deciding_on_one_action_keep_the_first_decision() {
    for (store, provider, service) in stores().await {
        let id = action(&store, &service).await;
        let provider_actor = Actor::user("p", "manager@elm.test");
        store
            .provider_update_action(&provider_actor, &provider, &id, "Audits done", None, ActionStatus::Submitted, Version::FIRST)
            .await
            .expect("submitted");
        let page = format!("/quality/actions/{id}");
        let decide = format!("{page}/decision");
        let mut cara = signed_in(&store, "qo1@test.gov.uk").await;
        let mut dev = signed_in(&store, "qo2@test.gov.uk").await;
        cara.get(&page).await.assert_ok();
        dev.get(&page).await.assert_ok();
        assert_eq!(dev.form_version(&decide).as_deref(), Some("2"));
        let updates = updates_of(&store, "quality_action", &id).await;

        let r = cara.post_form(&decide, &[("decision", "accept"), ("note", "Evidence seen")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", visible_text(&r.body));
        let r = dev.post_form(&decide, &[("decision", "reopen"), ("note", "Night staff not covered")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", visible_text(&r.body));
        let text = visible_text(&r.body);
        assert!(text.contains("This record changed since you opened it"), "{text}");
        assert!(text.contains("qo1@test.gov.uk saved it at "), "{text}");
        assert!(text.contains("Status Accepted Reopened"), "{text}");
        assert!(r.body.contains(">Night staff not covered</textarea>"), "what was typed is kept: {}", r.body);
        assert_eq!(dev.form_version(&decide).as_deref(), Some("3"));
        let now = store.action(&id).await.expect("action");
        assert_eq!((now.status, now.version), (ActionStatus::Accepted, 3));
        assert_eq!(updates_of(&store, "quality_action", &id).await, updates + 1);
        assert_eq!(store.action_updates(&id).await.expect("history").len(), 2, "no history row for the refused decision");
    }
}

#[tokio::test]
async fn two_officers_saving_the_internal_note_keep_the_first_and_the_provider_is_not_refused_for_it() {
    for (store, _, service) in stores().await {
        let id = action(&store, &service).await;
        let page = format!("/quality/actions/{id}");
        let note = format!("{page}/note");
        let mut cara = signed_in(&store, "qo1@test.gov.uk").await;
        let mut dev = signed_in(&store, "qo2@test.gov.uk").await;
        let mut erin = signed_in(&store, "manager@elm.test").await;
        let portal = format!("/portal/actions/{id}");
        cara.get(&page).await.assert_ok();
        dev.get(&page).await.assert_ok();
        erin.get(&portal).await.assert_ok();

        let r = cara.post_form(&note, &[("officer_note", "Manager leaving in August")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", visible_text(&r.body));
        let r = dev.post_form(&note, &[("officer_note", "No concerns")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", visible_text(&r.body));
        let text = visible_text(&r.body);
        assert!(text.contains("This record changed since you opened it") && text.contains("Cara Quinn saved it"), "{text}");
        assert!(text.contains("Officer note Manager leaving in August No concerns"), "{text}");
        assert!(r.body.contains(">No concerns</textarea>"), "{}", r.body);
        assert_eq!(store.action(&id).await.expect("a").officer_note.as_deref(), Some("Manager leaving in August"));
        assert_eq!(updates_of(&store, "quality_action", &id).await, 1);

        // The note is the council's own: the provider's progress, from the page opened before
        // it changed, is not refused for it.
        let r = erin.post_form(&portal, &[("note", "Rota changed"), ("evidence", ""), ("status", "in_progress")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", visible_text(&r.body));
        assert_eq!(store.action(&id).await.expect("a").status, ActionStatus::InProgress);
    }
}

#[tokio::test]
async fn a_providers_progress_on_an_action_reopened_since_is_refused_keeping_what_was_typed() {
    for (store, provider, service) in stores().await {
        let id = action(&store, &service).await;
        let provider_actor = Actor::user("p", "manager@elm.test");
        store
            .provider_update_action(&provider_actor, &provider, &id, "Audits done", None, ActionStatus::Submitted, Version::FIRST)
            .await
            .expect("submitted");
        let portal = format!("/portal/actions/{id}");
        let mut erin = signed_in(&store, "manager@elm.test").await;
        let mut cara = signed_in(&store, "qo1@test.gov.uk").await;
        erin.get(&portal).await.assert_ok();
        cara.get(&format!("/quality/actions/{id}")).await.assert_ok();
        let r = cara
            .post_form(&format!("/quality/actions/{id}/decision"), &[("decision", "reopen"), ("note", "Night staff not covered")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", visible_text(&r.body));
        let updates = updates_of(&store, "quality_action", &id).await;

        let r =
            erin.post_form(&portal, &[("note", "Weekend audits added"), ("evidence", "In the office file"), ("status", "submitted")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", visible_text(&r.body));
        let text = visible_text(&r.body);
        assert!(text.contains("This record changed since you opened it"), "{text}");
        // The provider reads the council's officers unnamed, as in the action's history.
        assert!(text.contains("A council officer saved it at "), "{text}");
        assert!(!text.contains("qo1@test.gov.uk") && !text.contains("Cara Quinn"), "{text}");
        assert!(text.contains("Status Reopened Submitted for review"), "{text}");
        assert!(r.body.contains(">Weekend audits added</textarea>") && r.body.contains(">In the office file</textarea>"), "{}", r.body);
        let now = store.action(&id).await.expect("action");
        assert_eq!(now.status, ActionStatus::Reopened);
        assert_eq!(updates_of(&store, "quality_action", &id).await, updates);
        assert_eq!(store.action_updates(&id).await.expect("history").len(), 2);

        // Sent again from the page as it is now, it is recorded.
        let r =
            erin.post_form(&portal, &[("note", "Weekend audits added"), ("evidence", "In the office file"), ("status", "submitted")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", visible_text(&r.body));
        assert_eq!(store.action(&id).await.expect("action").status, ActionStatus::Submitted);
    }
}

#[tokio::test]
async fn two_officers_scoring_one_visit_keep_the_first_report() {
    for (store, _, service) in stores().await {
        store.ensure_starter_frameworks().await.expect("frameworks");
        let qaf = store.qa_framework_by_code("qaf_care_homes").await.expect("qaf");
        let st = store.qa_standards(&qaf.id, false).await.expect("standards").remove(0);
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
            framework_id: Some(qaf.id.clone()),
            outcomes_framework_id: None,
            feedback_given_on_day: true,
        };
        let visit = store.create_visit(&Actor::system("test"), &nv, caremarket_store::today()).await.expect("visit");
        let score = format!("/quality/visits/{visit}/score");
        let mut cara = signed_in(&store, "qo1@test.gov.uk").await;
        let mut dev = signed_in(&store, "qo2@test.gov.uk").await;
        cara.get(&score).await.assert_ok();
        dev.get(&score).await.assert_ok();
        assert_eq!(dev.form_version(&score).as_deref(), Some("1"));
        let judgement = format!("judgement-{}", st.id);
        let evidence = format!("evidence-{}", st.id);

        let r = cara
            .post_form(
                &score,
                &[(judgement.as_str(), "good"), (evidence.as_str(), "Plans reviewed"), ("report", "Care plans were up to date.")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", visible_text(&r.body));
        let r = dev
            .post_form(&score, &[(judgement.as_str(), "poor"), (evidence.as_str(), "Plans reviewed"), ("report", "Care plans need work.")])
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", visible_text(&r.body));
        let text = visible_text(&r.body);
        assert!(text.contains("This record changed since you opened it") && text.contains("Cara Quinn saved it"), "{text}");
        assert!(text.contains(&format!("{} judgement Good Poor", st.code)), "{text}");
        assert!(text.contains("Report Care plans were up to date. Care plans need work."), "{text}");
        assert!(!text.contains(&format!("{} evidence", st.code)), "the evidence did not differ: {text}");
        assert!(r.body.contains(">Care plans need work.</textarea>"), "{}", r.body);
        assert_eq!(dev.form_version(&score).as_deref(), Some("2"));
        // Only the first save is held.
        let v = store.visit(&visit).await.expect("visit");
        assert_eq!((v.report.as_deref(), v.version), (Some("Care plans were up to date."), 2));
        let scores = store.visit_scores(&visit).await.expect("scores");
        assert_eq!(scores.iter().map(|s| s.judgement.label()).collect::<Vec<_>>(), ["Good"]);
        assert_eq!(updates_of(&store, "quality_visit", &visit).await, 1);

        // The visit's details form now opens at the version the scores raised it to.
        let edit = format!("/quality/visits/{visit}/edit");
        let r = cara.get(&edit).await;
        r.assert_ok();
        assert_eq!(cara.form_version(&edit).as_deref(), Some("2"));
    }
}

#[tokio::test]
async fn a_committee_changed_by_two_commissioners_keeps_the_first_save() {
    use caremarket_core::governance::committees::NewCommittee;
    for (store, _, _) in stores().await {
        let new = NewCommittee::parse("Adult Social Care Scrutiny Commission", "Adult social care").expect("committee");
        let id = store.create_committee(&Actor::system("test"), &new).await.expect("committee");
        let edit = format!("/governance/committees/{id}/edit");
        let mut asha = signed_in(&store, "asha@test.gov.uk").await;
        let mut ben = signed_in(&store, "ben@test.gov.uk").await;
        asha.get(&edit).await.assert_ok();
        ben.get(&edit).await.assert_ok();
        assert_eq!(ben.form_version(&edit).as_deref(), Some("1"));
        let r = asha
            .post_form(&edit, &[("name", "Adult Social Care Scrutiny Commission"), ("remit", "Adult social care and public health")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", visible_text(&r.body));
        let r = ben.post_form(&edit, &[("name", "Health and Care Commission"), ("remit", "Adult social care")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", visible_text(&r.body));
        let text = visible_text(&r.body);
        assert!(text.contains("This record changed since you opened it") && text.contains("Asha Patel saved it at "), "{text}");
        assert!(text.contains("Name of the committee Adult Social Care Scrutiny Commission Health and Care Commission"), "{text}");
        assert!(text.contains("Remit Adult social care and public health Adult social care"), "{text}");
        assert!(r.body.contains("value=\"Health and Care Commission\""), "{}", r.body);
        assert_eq!(ben.form_version(&edit).as_deref(), Some("2"));
        let now = store.committee(&id).await.expect("committee");
        assert_eq!(
            (now.name.as_str(), now.remit.as_str()),
            ("Adult Social Care Scrutiny Commission", "Adult social care and public health")
        );
        assert_eq!(updates_of(&store, "committee", &id).await, 1);
    }
}

/// A form's address, the first save, the second save, a line of what differs, the audit kind and
/// the record's id.
type Case = (String, Vec<(&'static str, &'static str)>, Vec<(&'static str, &'static str)>, &'static str, &'static str, String);

#[tokio::test]
async fn a_scrutiny_review_its_recommendation_and_its_action_each_refuse_a_second_save() {
    use caremarket_core::governance::scrutiny::{NewAction as AgreedAction, NewRecommendation, ReviewHeader};
    for (store, _, _) in stores().await {
        let a = Actor::system("test");
        let today = caremarket_store::today();
        let header = ReviewHeader::parse("Care at Home", "ASCH Select", "Martin Skipsey", "February 2023", "", today).expect("header");
        let review = store.create_scrutiny_review(&a, &header).await.expect("review");
        let rec = store
            .add_scrutiny_recommendation(&a, &review, &NewRecommendation::parse("1", "Keep the directory current").expect("rec"))
            .await
            .expect("rec");
        let agreed = AgreedAction::parse("Re-launch SID", "Catherine Buller", "July 2023", "").expect("action");
        let action = store.add_scrutiny_action(&a, &rec, &agreed).await.expect("action");

        // (form address, the first save, the second save, a line of what differs, the audit kind, the id)
        let cases: Vec<Case> = vec![
            (
                format!("/governance/scrutiny/{review}/edit"),
                vec![
                    ("title", "Care at Home (2022/23)"),
                    ("committee", "ASCH Select"),
                    ("link_officers", "Martin Skipsey"),
                    ("plan_agreed", "February 2023"),
                    ("updates_due", ""),
                ],
                vec![
                    ("title", "Home Care"),
                    ("committee", "ASCH Select"),
                    ("link_officers", "Martin Skipsey"),
                    ("plan_agreed", "February 2023"),
                    ("updates_due", ""),
                ],
                "Review Care at Home (2022/23) Home Care",
                "scrutiny_review",
                review.clone(),
            ),
            (
                format!("/governance/scrutiny/{review}/recommendations/{rec}/edit"),
                vec![("number", "1"), ("text", "Keep the provider directory current")],
                vec![("number", "1"), ("text", "Publish the directory")],
                "Recommendation Keep the provider directory current Publish the directory",
                "scrutiny_recommendation",
                rec.clone(),
            ),
            (
                format!("/governance/scrutiny/{review}/actions/{action}/edit"),
                vec![
                    ("action", "Re-launch SID with providers' entries"),
                    ("responsibility", "Catherine Buller"),
                    ("due", "July 2023"),
                    ("success_measure", ""),
                ],
                vec![("action", "Re-launch SID"), ("responsibility", "Quality team"), ("due", "July 2023"), ("success_measure", "")],
                "Responsible officers or teams Catherine Buller Quality team",
                "scrutiny_action",
                action.clone(),
            ),
        ];
        for (edit, first, second, differs, kind, id) in cases {
            let mut asha = signed_in(&store, "asha@test.gov.uk").await;
            let mut ben = signed_in(&store, "ben@test.gov.uk").await;
            asha.get(&edit).await.assert_ok();
            ben.get(&edit).await.assert_ok();
            assert_eq!(ben.form_version(&edit).as_deref(), Some("1"), "{edit}");
            let r = asha.post_form(&edit, &first).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{edit}: {}", visible_text(&r.body));
            let r = ben.post_form(&edit, &second).await;
            assert_eq!(r.status, StatusCode::CONFLICT, "{edit}: {}", visible_text(&r.body));
            let text = visible_text(&r.body);
            assert!(text.contains("This record changed since you opened it") && text.contains("Asha Patel saved it at "), "{text}");
            assert!(text.contains(differs), "{edit}: {text}");
            assert_eq!(ben.form_version(&edit).as_deref(), Some("2"), "{edit}");
            assert_eq!(updates_of(&store, kind, &id).await, 1, "{edit}");
        }
        let r = store.scrutiny_review(&review).await.expect("review");
        assert_eq!(r.header.title, "Care at Home (2022/23)");
        assert_eq!(r.recommendations[0].text, "Keep the provider directory current");
        let kept = r.actions().find(|x| x.id == action).expect("action");
        assert_eq!((kept.action.as_str(), kept.responsibility.as_str()), ("Re-launch SID with providers' entries", "Catherine Buller"));
    }
}

#[tokio::test]
async fn a_delivery_plans_details_changed_by_two_commissioners_keep_the_first_save() {
    use caremarket_core::governance::delivery_plan::PlanHeader;
    for (store, _, _) in stores().await {
        let header = PlanHeader {
            title: "Market Sustainability Delivery Plan 2024/5".into(),
            ambition: String::new(),
            context: String::new(),
            accountable_officer: "Strategic Director".into(),
            lead: String::new(),
            committee: String::new(),
        };
        let id = store.create_delivery_plan(&Actor::system("test"), &header).await.expect("plan");
        let edit = format!("/governance/delivery-plans/{id}/edit");
        let mut asha = signed_in(&store, "asha@test.gov.uk").await;
        let mut ben = signed_in(&store, "ben@test.gov.uk").await;
        asha.get(&edit).await.assert_ok();
        ben.get(&edit).await.assert_ok();
        assert_eq!(ben.form_version(&edit).as_deref(), Some("1"));
        let form = |lead: &'static str| {
            vec![
                ("title", "Market Sustainability Delivery Plan 2024/5"),
                ("ambition", ""),
                ("context", ""),
                ("accountable_officer", "Strategic Director"),
                ("lead", lead),
                ("committee", ""),
            ]
        };
        let r = asha.post_form(&edit, &form("Head of Commissioning")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", visible_text(&r.body));
        let r = ben.post_form(&edit, &form("Market Development Lead")).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", visible_text(&r.body));
        let text = visible_text(&r.body);
        assert!(text.contains("This record changed since you opened it") && text.contains("Asha Patel saved it at "), "{text}");
        assert!(text.contains("Lead Head of Commissioning Market Development Lead"), "{text}");
        assert!(!text.contains("Title Market"), "the title did not differ: {text}");
        assert!(r.body.contains("value=\"Market Development Lead\""), "{}", r.body);
        assert_eq!(ben.form_version(&edit).as_deref(), Some("2"));
        assert_eq!(store.delivery_plan(&id).await.expect("plan").header.lead, "Head of Commissioning");
        assert_eq!(updates_of(&store, "delivery_plan", &id).await, 1);
    }
}
