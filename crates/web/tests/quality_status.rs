//! Quality status pages: setting RAG, escalation and restrictions with errors that name the
//! field, the "5 Amber" drill-down, the restrictions and embargo list, officer assignment, the
//! due list filtered by officer, cadence rule edits, and refusals (viewer 403 on changes,
//! provider user 403 on every page).
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::quality::cadence::add_days;
use caremarket_core::quality::{EscalationLevel, Rag};
use caremarket_core::register::{ContractStatus, Rating, ServiceKind};
use caremarket_store::register::{NewService, RatingRecord};
use caremarket_store::{Actor, AuditQuery};
use common::Client;

fn service(provider_id: &str, name: &str, kind: ServiceKind) -> NewService {
    NewService {
        beds: if kind.is_care_home() { Some(30) } else { None },
        contract_status: ContractStatus::BlockContract,
        ..caremarket_testkit::service(provider_id, name, kind)
    }
}

struct Fixture {
    provider: String,
    oak: String,
    elm: String,
    home_care: String,
}

async fn fixture(c: &Client) -> Fixture {
    let a = Actor::system("test");
    let s = &c.store;
    let provider = s.create_provider(&a, None, "Northmoor Homes Ltd", None, None).await.expect("provider");
    let oak = s.create_service(&a, &service(&provider, "Oak House", ServiceKind::CareHomeResidential)).await.expect("oak");
    let elm = s.create_service(&a, &service(&provider, "Elm Lodge", ServiceKind::CareHomeNursing)).await.expect("elm");
    let home_care = s.create_service(&a, &service(&provider, "Moor Home Care", ServiceKind::HomeCare)).await.expect("hc");
    for id in [&oak, &elm, &home_care] {
        s.add_rating(
            &a,
            id,
            &RatingRecord { overall: Some(Rating::Good), report_date: Some(jiff::civil::date(2024, 1, 1)), ..Default::default() },
            "test",
        )
        .await
        .expect("rating");
    }
    Fixture { provider, oak, elm, home_care }
}

fn today() -> jiff::civil::Date {
    caremarket_store::today()
}

fn date_fields(name: &str, d: jiff::civil::Date) -> Vec<(String, String)> {
    vec![
        (format!("{name}-day"), d.day().to_string()),
        (format!("{name}-month"), d.month().to_string()),
        (format!("{name}-year"), d.year().to_string()),
    ]
}

fn refs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

#[tokio::test]
async fn officer_sets_rag_escalation_and_embargo_with_errors_naming_fields() {
    let mut c = Client::sqlite().await;
    let f = fixture(&c).await;
    c.user("quality@test.gov.uk", Role::QualityOfficer, None).await;
    c.sign_in_as("quality@test.gov.uk").await;
    let page = format!("/quality/services/{}/status", f.oak);
    let r = c.get(&page).await;
    r.assert_ok();
    // The page states the status; each line links to the one form that changes it (the page
    // stacked three forms, issue 16 item 7).
    let text = common::visible_text(&r.body);
    assert!(text.contains("Not assessed"), "{text}");
    for (action, named, to) in [
        ("Change", "rag status", "change=rag#set-rag"),
        ("Change", "escalation", "change=escalation#set-escalation"),
        ("Add", "restrictions in force", "change=restriction#add-restriction"),
    ] {
        let link = format!(r#"{to}">{action}<span class="govuk-visually-hidden"> {named}</span></a>"#);
        assert!(r.body.contains(&link), "no link {link}: {}", r.body);
    }
    assert!(!text.contains("Set the RAG status") && !text.contains("Set the escalation"), "forms are stacked on the page: {text}");
    for (change, heading, others) in [
        ("rag", "Set the RAG status", ["Set the escalation", "Add a restriction or embargo"]),
        ("escalation", "Set the escalation", ["Set the RAG status", "Add a restriction or embargo"]),
        ("restriction", "Add a restriction or embargo", ["Set the RAG status", "Set the escalation"]),
    ] {
        let r = c.get(&format!("{page}?change={change}")).await;
        r.assert_ok();
        let text = common::visible_text(&r.body);
        assert!(text.contains(heading) && text.contains("Cancel"), "{change}: {text}");
        assert!(others.iter().all(|o| !text.contains(o)), "{change} shows another form: {text}");
    }
    assert_eq!(c.get(&format!("{page}?change=everything")).await.status, StatusCode::BAD_REQUEST);

    // Missing RAG and reason: both named, nothing saved.
    let r = c.post_form(&format!("/quality/services/{}/rag", f.oak), &refs(&date_fields("rag_on", today()))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("There is a problem"));
    assert!(r.contains("href=\"#rag\"") && r.contains("Choose Green, Amber or Red"));
    assert!(r.contains("href=\"#rag_reason\"") && r.contains("Enter the reason for the RAG status"));

    // A date in the future is refused, naming the date field; what was typed is kept.
    let mut fields = vec![("rag".to_string(), "amber".to_string()), ("rag_reason".into(), "Medication errors at visit".into())];
    fields.extend(date_fields("rag_on", add_days(today(), 3)));
    let r = c.post_form(&format!("/quality/services/{}/rag", f.oak), &refs(&fields)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("href=\"#rag_on-day\"") && r.contains("Date of the RAG status must be today or in the past"));
    assert!(r.contains("Medication errors at visit"));
    assert!(c.store.rag_history(&f.oak).await.expect("h").is_empty());

    let mut fields = vec![("rag".to_string(), "amber".to_string()), ("rag_reason".into(), "Medication errors at visit".into())];
    fields.extend(date_fields("rag_on", add_days(today(), -2)));
    let r = c.post_form(&format!("/quality/services/{}/rag", f.oak), &refs(&fields)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // The officer lands back on the page with a confirmation (issue 16 item 7), and the history
    // names the person who set it, not their email address.
    let back = r.location.clone().expect("redirect");
    assert_eq!(back, format!("{page}?saved=rag"));
    let shown = common::visible_text(&c.get(&back).await.body);
    assert!(shown.contains("Success RAG status saved"), "{shown}");
    let name = c.store.users().await.expect("users").into_iter().find(|u| u.email == "quality@test.gov.uk").expect("officer").display_name;
    assert!(shown.contains(&name) && !shown.contains("quality@test.gov.uk"), "the history names {name}: {shown}");
    let r = c.get(&page).await;
    assert!(!common::visible_text(&r.body).contains("RAG status saved"), "the banner shows once, after the save");
    assert!(r.contains("Amber") && r.contains("Medication errors at visit"));
    assert!(r.contains("<strong class=\"govuk-tag govuk-tag--yellow\">") && !r.contains("&lt;strong"), "the RAG is a tag with its text");

    // Escalation: reason required; then enhanced monitoring.
    let mut fields = vec![("level".to_string(), "enhanced_monitoring".to_string()), ("escalation_reason".into(), " ".into())];
    fields.extend(date_fields("escalation_on", today()));
    let r = c.post_form(&format!("/quality/services/{}/escalation", f.oak), &refs(&fields)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("href=\"#escalation_reason\""));
    fields[1].1 = "Amber with open actions".into();
    let r = c.post_form(&format!("/quality/services/{}/escalation", f.oak), &refs(&fields)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(common::visible_text(&c.get(&r.location.expect("back")).await.body).contains("Success Escalation saved"));
    assert_eq!(c.store.quality_status(&f.oak).await.expect("st").escalation, EscalationLevel::EnhancedMonitoring);

    // Restriction: scope needed for a restriction; end before start refused; then an embargo.
    let mut fields =
        vec![("kind".to_string(), "restriction".to_string()), ("scope".into(), "".into()), ("restriction_reason".into(), "RM".into())];
    fields.extend(date_fields("starts_on", today()));
    fields.extend(date_fields("ends_on", add_days(today(), -5)));
    let r = c.post_form(&format!("/quality/services/{}/restrictions", f.oak), &refs(&fields)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("href=\"#scope\"") && r.contains("href=\"#ends_on-day\""));
    let mut fields = vec![
        ("kind".to_string(), "embargo".to_string()),
        ("scope".into(), "".into()),
        ("restriction_reason".into(), "Risk to residents' safety".into()),
    ];
    fields.extend(date_fields("starts_on", add_days(today(), -2)));
    let r = c.post_form(&format!("/quality/services/{}/restrictions", f.oak), &refs(&fields)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(common::visible_text(&c.get(&r.location.expect("back")).await.body).contains("Success Restriction recorded"));

    // The restrictions and embargo list shows it with the RAG and escalation.
    let r = c.get("/quality/restrictions").await;
    r.assert_ok();
    assert!(r.contains("Oak House") && r.contains("Embargo") && r.contains("Risk to residents") && r.contains("Enhanced monitoring"));
    assert!(r.contains("Amber"));
    // The service's quality tab has the status section.
    let r = c.get(&format!("/services/{}/quality", f.oak)).await;
    r.assert_ok();
    assert!(!r.contains("&lt;strong") && r.contains("Care homes visited at least once a year"), "section shows the next due rule");
    assert!(r.contains("Medication errors at visit") && r.contains("Embargo"));

    // Lifting: only through the service it belongs to.
    let rid = c.store.restrictions_for_service(&f.oak).await.expect("r")[0].id.clone();
    c.get(&page).await;
    let r = c.post_form(&format!("/quality/services/{}/restrictions/{rid}/lift", f.elm), &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    c.get(&page).await;
    let r = c.post_form(&format!("/quality/services/{}/restrictions/{rid}/lift", f.oak), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(common::visible_text(&c.get(&r.location.expect("back")).await.body).contains("Success Restriction lifted"));
    let r = c.get("/quality/restrictions").await;
    assert!(!r.contains("Oak House"), "lifted now: no longer in force today");
    assert!(c.get(&page).await.contains("Not in force"));

    // Every change is audited with who made it.
    let (entries, _) = c.store.audit_entries(&AuditQuery { limit: 100, ..Default::default() }).await.expect("audit");
    for t in ["quality_rag", "quality_escalation", "placement_restriction"] {
        assert!(entries.iter().any(|e| e.entity_type == t && e.actor_label == "quality@test.gov.uk"), "{t} audited");
    }
    // Unknown service: 404.
    assert_eq!(c.get("/quality/services/no-such-service/status").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn viewer_reads_but_cannot_change_and_provider_users_see_nothing() {
    let mut c = Client::sqlite().await;
    let f = fixture(&c).await;
    let a = Actor::system("test");
    c.store.set_rag(&a, &f.oak, Rag::Red, "Inadequate", today()).await.expect("rag");
    c.user("viewer@test.gov.uk", Role::Viewer, None).await;
    c.user("provider@test.gov.uk", Role::Provider, Some(&f.provider)).await;

    c.sign_in_as("viewer@test.gov.uk").await;
    let page = format!("/quality/services/{}/status", f.oak);
    let r = c.get(&page).await;
    r.assert_ok();
    assert!(r.contains("Inadequate") && !r.contains("Set the RAG status"), "viewer sees no forms");
    assert!(!r.body.contains("change=rag"), "viewer is offered no change");
    assert_eq!(c.get(&format!("{page}?change=rag")).await.status, StatusCode::FORBIDDEN);
    let mut fields = vec![("rag".to_string(), "green".to_string()), ("rag_reason".into(), "x".into())];
    fields.extend(date_fields("rag_on", today()));
    assert_eq!(c.post_form(&format!("/quality/services/{}/rag", f.oak), &refs(&fields)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(c.post_form(&format!("/quality/services/{}/escalation", f.oak), &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(c.post_form(&format!("/quality/services/{}/restrictions", f.oak), &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(c.post_form("/quality/assignments", &[("service_id", &f.oak)]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(c.get("/quality/cadence-rules/new").await.status, StatusCode::FORBIDDEN);
    assert_eq!(c.store.rag_history(&f.oak).await.expect("h").len(), 1);

    let mut p = Client::new(c.store.clone());
    p.sign_in_as("provider@test.gov.uk").await;
    let rule = c.store.cadence_rules().await.expect("rules")[0].id.clone();
    for path in [
        page.clone(),
        "/quality/rag?rag=red".to_string(),
        "/quality/restrictions".into(),
        "/quality/assignments".into(),
        "/quality/due".into(),
        "/quality/cadence-rules".into(),
        "/quality/cadence-rules/new".into(),
        format!("/quality/cadence-rules/{rule}"),
    ] {
        let r = p.get(&path).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        assert!(!r.contains("Inadequate"), "{path} leaks nothing");
    }
    for path in [
        format!("/quality/services/{}/rag", f.oak),
        format!("/quality/services/{}/escalation", f.oak),
        format!("/quality/services/{}/restrictions", f.oak),
        "/quality/assignments".into(),
        "/quality/cadence-rules/new".into(),
    ] {
        p.get("/").await;
        assert_eq!(p.post_form(&path, &[("rag", "green")]).await.status, StatusCode::FORBIDDEN, "{path}");
    }
}

#[tokio::test]
async fn rag_drill_down_lists_the_amber_homes() {
    let mut c = Client::sqlite().await;
    let f = fixture(&c).await;
    let a = Actor::system("test");
    let s = &c.store;
    s.set_rag(&a, &f.oak, Rag::Amber, "Staffing", today()).await.expect("rag");
    s.set_rag(&a, &f.elm, Rag::Amber, "Falls", today()).await.expect("rag");
    s.set_rag(&a, &f.home_care, Rag::Amber, "Missed calls", today()).await.expect("rag");
    c.user("commissioner@test.gov.uk", Role::Commissioner, None).await;
    c.sign_in_as("commissioner@test.gov.uk").await;
    let r = c.get("/quality/rag?rag=amber&kind=care_home_residential&kind=care_home_nursing").await;
    r.assert_ok();
    assert!(r.contains("2 care homes: Amber"), "{}", r.body);
    assert!(r.contains("Oak House") && r.contains("Elm Lodge") && !r.contains("Moor Home Care"));
    let r = c.get("/quality/rag?rag=amber").await;
    assert!(r.contains("3 all kinds of service: Amber") && r.contains("Moor Home Care"));
    assert_eq!(c.get("/quality/rag?rag=purple").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(c.get("/quality/rag?rag=red&kind=castle").await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn due_page_defaults_to_mine_for_a_quality_officer_and_filters() {
    let mut c = Client::sqlite().await;
    let f = fixture(&c).await;
    let a = Actor::system("test");
    let me = c.user("quality@test.gov.uk", Role::QualityOfficer, None).await;
    let other = c.user("other@test.gov.uk", Role::QualityOfficer, None).await;
    c.store.assign_quality_officer(&a, &f.oak, Some(&me), Some("Care homes quality")).await.expect("assign");
    c.store.assign_quality_officer(&a, &f.elm, Some(&other), Some("Care homes quality")).await.expect("assign");
    c.sign_in_as("quality@test.gov.uk").await;

    let r = c.get("/quality/due").await;
    r.assert_ok();
    assert!(r.contains("Oak House") && !r.contains("Elm Lodge"), "mine by default");
    assert!(r.contains("No visit on record"));
    let r = c.get("/quality/due?officer=all").await;
    assert!(r.contains("Oak House") && r.contains("Elm Lodge") && r.contains("Moor Home Care"));
    let r = c.get(&format!("/quality/due?officer={other}")).await;
    assert!(!r.contains(&format!("href=\"/services/{}/quality\"", f.oak)) && r.contains("Elm Lodge"));
    let r = c.get("/quality/due?officer=none").await;
    assert!(r.contains("Moor Home Care") && !r.contains(&format!("href=\"/services/{}/quality\"", f.elm)));
    let r = c.get("/quality/due?officer=all&kind=home_care").await;
    assert!(r.contains("quarterly performance meeting") && !r.contains(&format!("href=\"/services/{}/quality\"", f.oak)));
    let r = c.get("/quality/due?officer=all&state=not_yet_due").await;
    assert!(r.contains("Nothing matches these filters"));
    // Once Oak House has had its visit it is not yet due: gone from the default list (due or
    // overdue), shown under "not yet due" and "any state".
    c.store
        .create_visit(
            &a,
            &caremarket_store::quality::visits::NewVisit {
                service_id: f.oak.clone(),
                activity: caremarket_core::quality::Activity::QualityVisit,
                visit_type: caremarket_core::quality::VisitType::Routine,
                announced: true,
                visit_date: today(),
                officers: "Q Officer".into(),
                people_spoken_to: 1,
                relatives_spoken_to: 0,
                staff_spoken_to: 0,
                framework_id: None,
                outcomes_framework_id: None,
                feedback_given_on_day: false,
            },
            today(),
        )
        .await
        .expect("visit");
    let oak_link = format!("href=\"/services/{}/quality\"", f.oak);
    assert!(!c.get("/quality/due?officer=all").await.contains(&oak_link), "a visited home is not due");
    assert!(c.get("/quality/due?officer=all&state=not_yet_due").await.contains(&oak_link));
    assert!(c.get("/quality/due?officer=all&state=all").await.contains(&oak_link));
    // The per-officer summary counts everyone's.
    let r = c.get("/quality/due").await;
    assert!(r.contains("By officer") && r.contains("By team") && r.contains("Care homes quality"));
    assert_eq!(c.get("/quality/due?state=eventually").await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn assignments_and_cadence_rule_edits() {
    let mut c = Client::sqlite().await;
    let f = fixture(&c).await;
    let me = c.user("quality@test.gov.uk", Role::QualityOfficer, None).await;
    let viewer = c.user("viewer@test.gov.uk", Role::Viewer, None).await;
    c.sign_in_as("quality@test.gov.uk").await;

    c.get("/quality/assignments").await.assert_ok();
    let r = c.post_form("/quality/assignments", &[("mode", "one"), ("service_id", ""), ("officer_id", &me), ("team", "")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("href=\"#service_id\""));
    let r = c.post_form("/quality/assignments", &[("mode", "one"), ("service_id", &f.oak), ("officer_id", &viewer), ("team", "")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "a viewer cannot be a service's quality officer");
    assert!(r.contains("href=\"#officer_id\""));
    let r = c
        .post_form(
            "/quality/assignments",
            &[("mode", "one"), ("service_id", &f.home_care), ("officer_id", &me), ("team", "Community quality")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    c.get("/quality/assignments").await;
    let r = c
        .post_form(
            "/quality/assignments",
            &[
                ("mode", "bulk"),
                ("bulk_kind", "care_home_residential"),
                ("bulk_kind", "care_home_nursing"),
                ("area_id", ""),
                ("bulk_officer_id", &me),
                ("bulk_team", "Care homes quality"),
            ],
        )
        .await;
    r.assert_ok();
    assert!(r.contains("2 services without an officer assigned"));
    let asg = c.store.quality_assignment(&f.elm).await.expect("a").expect("assigned");
    assert_eq!((asg.officer_id.as_deref(), asg.team.as_deref()), (Some(me.as_str()), Some("Care homes quality")));
    assert_eq!(c.store.quality_assignment(&f.home_care).await.expect("a").expect("kept").team.as_deref(), Some("Community quality"));

    // Cadence rules: the six defaults listed; an edit with errors names the fields.
    let r = c.get("/quality/cadence-rules").await;
    r.assert_ok();
    assert!(r.contains("Care homes visited at least once a year") && r.contains("Services in escalation reviewed at least every 14 weeks"));
    let rule = c.store.cadence_rules().await.expect("rules").into_iter().find(|r| r.code == "annual_care_home").expect("rule");
    let path = format!("/quality/cadence-rules/{}", rule.id);
    c.get(&path).await.assert_ok();
    let r = c
        .post_form(
            &path,
            &[
                ("name", "Care homes yearly"),
                ("applies_to", "castle"),
                ("condition", "all"),
                ("activity", "quality_visit"),
                ("interval_days", "365"),
                ("warn_days", "30"),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("href=\"#applies_to\"") && r.contains("castle&#x27; is not a kind of service"));
    let r = c
        .post_form(
            &path,
            &[
                ("name", "Care homes yearly"),
                ("applies_to", "care_home_residential"),
                ("condition", "all"),
                ("activity", "quality_visit"),
                ("interval_days", "30"),
                ("warn_days", "30"),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("href=\"#warn_days\""));
    let r = c
        .post_form(
            &path,
            &[
                ("name", "Care homes yearly"),
                ("applies_to", "care_home_residential"),
                ("condition", "sometimes"),
                ("activity", "quality_visit"),
                ("interval_days", "0"),
                ("warn_days", "0"),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("href=\"#condition\"") || r.contains("href=\"#interval_days\""));
    let r = c
        .post_form(
            &path,
            &[
                ("name", "Residential homes yearly"),
                ("applies_to", "care_home_residential"),
                ("condition", "all"),
                ("activity", "quality_visit"),
                ("interval_days", "365"),
                ("warn_days", "30"),
                ("team", "Care homes quality"),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = c.get("/quality/due?officer=all").await;
    assert!(r.contains("Residential homes yearly"));
    let nursing_rows = c
        .store
        .due_list(today(), &caremarket_store::quality::cadence::DueFilter { service_id: Some(f.elm.clone()), ..Default::default() })
        .await
        .expect("due");
    assert!(!nursing_rows.iter().any(|d| d.rule_code == "annual_care_home"), "the edited rule no longer covers nursing homes");
    // A new rule.
    c.get("/quality/cadence-rules/new").await.assert_ok();
    let r = c
        .post_form(
            "/quality/cadence-rules/new",
            &[
                ("code", "home_care_annual"),
                ("name", "Home care visited yearly"),
                ("applies_to", "home_care"),
                ("condition", "all"),
                ("activity", "quality_visit"),
                ("interval_days", "365"),
                ("warn_days", "30"),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(c.get("/quality/cadence-rules").await.contains("Home care visited yearly"));
}
