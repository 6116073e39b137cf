//! Quality visits through the pages: a quality officer records a visit (errors named in the
//! summary and inline), scores it (a judgement off the scale is refused naming the standard),
//! finalises it (an owner is required for each Requires Improvement or Poor standard) and sees the
//! actions raised, the filtered count and the service's quality tab. Frameworks show inferred
//! standards and are edited only by quality officers. Viewers cannot record; providers cannot
//! open officers' pages.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::register::ServiceKind;
use caremarket_store::register::NewService;
use caremarket_store::{Actor, AuditQuery};
use common::Client;

fn home(provider_id: &str, name: &str) -> NewService {
    NewService { beds: Some(40), ..caremarket_testkit::service(provider_id, name, ServiceKind::CareHomeNursing) }
}

async fn setup() -> (Client, String, String) {
    let c = Client::sqlite().await;
    c.store.ensure_starter_frameworks().await.expect("frameworks");
    let a = Actor::system("test");
    let p = c.store.create_provider(&a, None, "Oak Care Ltd", None, None).await.expect("provider");
    let s = c.store.create_service(&a, &home(&p, "Oak House")).await.expect("service");
    (c, p, s)
}

fn visit_fields<'a>(service_id: &'a str, framework_id: &'a str, officers: &'a str, year: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("service_id", service_id),
        ("activity", "quality_visit"),
        ("visit_type", "responsive"),
        ("announced", "no"),
        ("visit_date-day", "4"),
        ("visit_date-month", "3"),
        ("visit_date-year", year),
        ("officers", officers),
        ("people_spoken_to", "5"),
        ("relatives_spoken_to", "2"),
        ("staff_spoken_to", "3"),
        ("framework_id", framework_id),
        ("outcomes_framework_id", ""),
        ("feedback_given_on_day", "yes"),
    ]
}

#[tokio::test]
async fn officer_records_scores_and_finalises_a_visit() {
    let (mut c, _p, service) = setup().await;
    c.user("quality@test.gov.uk", Role::QualityOfficer, None).await;
    c.sign_in_as("quality@test.gov.uk").await;
    let qaf = c.store.qa_framework_by_code("qaf_care_homes").await.expect("qaf");
    let standards = c.store.qa_standards(&qaf.id, false).await.expect("standards");

    let r = c.get(&format!("/quality/visits/new?service_id={service}")).await;
    r.assert_ok();
    assert!(r.contains("Care homes quality assurance framework (QAF)"));
    assert!(!r.contains("Home care quality assurance framework"), "frameworks for other kinds are not offered");
    assert!(r.contains("Making it Real I statements"));

    // Officers missing and a date with no month: both named in the summary and inline.
    let mut fields = visit_fields(&service, &qaf.id, " ", "2025");
    fields.retain(|(k, _)| *k != "visit_date-month");
    let r = c.post_form("/quality/visits/new", &fields).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("There is a problem"));
    assert!(r.contains("<a href=\"#officers\">Enter the officers who carried out the visit</a>"), "{}", r.body);
    assert!(r.contains("<a href=\"#visit_date-day\">Date of the visit must include a month</a>"));
    assert!(r.contains("id=\"officers-error\""));
    // A visit in the future.
    let r = c.post_form("/quality/visits/new", &visit_fields(&service, &qaf.id, "J Smith", "2999")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("<a href=\"#visit_date-day\">The date of the visit must be today or in the past</a>"), "{}", r.body);
    // A negative count.
    let mut fields = visit_fields(&service, &qaf.id, "J Smith", "2025");
    fields.retain(|(k, _)| *k != "staff_spoken_to");
    fields.push(("staff_spoken_to", "-2"));
    let r = c.post_form("/quality/visits/new", &fields).await;
    assert!(r.contains("href=\"#staff_spoken_to\""), "{}", r.body);

    let r = c.post_form("/quality/visits/new", &visit_fields(&service, &qaf.id, "J Smith, A Khan", "2025")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let score_url = r.location.clone().expect("location");
    let visit_id = score_url.trim_start_matches("/quality/visits/").trim_end_matches("/score").to_string();

    // The draft's details can be edited; the date shows as typed.
    let r = c.get(&format!("/quality/visits/{visit_id}/edit")).await;
    r.assert_ok();
    assert!(r.contains("value=\"J Smith, A Khan\"") && r.contains("name=\"visit_date-month\" type=\"text\" value=\"3\""), "{}", r.body);

    let r = c.get(&score_url).await;
    r.assert_ok();
    assert!(r.contains(&format!("{} {}", standards[0].code, standards[0].title)));
    // A judgement off the scale, refused naming the standard.
    let j1 = format!("judgement-{}", standards[1].id);
    let j2 = format!("judgement-{}", standards[2].id);
    let r = c.post_form(&score_url, &[(j1.as_str(), "Outstanding"), ("report", "x")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains(&format!("href=\"#{j1}\">{} {}: the judgement must be", standards[1].code, standards[1].title)), "{}", r.body);

    let r = c
        .post_form(
            &score_url,
            &[
                (j1.as_str(), "requires_improvement"),
                (format!("evidence-{}", standards[1].id).as_str(), "Falls assessments not reviewed"),
                (j2.as_str(), "poor"),
                (format!("judgement-{}", standards[0].id).as_str(), "good"),
                ("report", "Medicines records need urgent attention."),
            ],
        )
        .await;
    assert_eq!(r.location.as_deref(), Some(format!("/quality/visits/{visit_id}?saved=1").as_str()), "{}", r.body);
    let r = c.get(&format!("/quality/visits/{visit_id}?saved=1")).await;
    assert!(r.contains("Scores and report saved") && r.contains("Falls assessments not reviewed"));
    assert!(r.contains("Requires Improvement: 1") && r.contains("Poor: 1") && r.contains("Good: 1"));

    // Finalise: an owner is needed for each Requires Improvement or Poor standard.
    let fin = format!("/quality/visits/{visit_id}/finalise");
    let r = c.get(&fin).await;
    r.assert_ok();
    assert!(r.contains("Finalise and raise 2 actions"));
    let (s1, s2) = (&standards[1].id, &standards[2].id);
    let owner1 = format!("owner-{s1}");
    let owner2 = format!("owner-{s2}");
    let (d1, m1, y1) = (format!("due_on-{s1}-day"), format!("due_on-{s1}-month"), format!("due_on-{s1}-year"));
    let (d2, m2, y2) = (format!("due_on-{s2}-day"), format!("due_on-{s2}-month"), format!("due_on-{s2}-year"));
    let mut f = vec![
        (owner1.as_str(), "Registered manager"),
        (d1.as_str(), "1"),
        (m1.as_str(), "5"),
        (y1.as_str(), "2025"),
        (owner2.as_str(), ""),
        (d2.as_str(), "15"),
        (m2.as_str(), "4"),
        (y2.as_str(), "2025"),
    ];
    let r = c.post_form(&fin, &f).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains(&format!("href=\"#{owner2}\">Enter who owns the action for {}", standards[2].code)), "{}", r.body);
    assert!(c.store.actions_for_service(&service).await.expect("actions").is_empty(), "nothing raised");
    f[4] = (owner2.as_str(), "Deputy manager");
    let r = c.post_form(&fin, &f).await;
    assert_eq!(r.location.as_deref(), Some(format!("/quality/visits/{visit_id}?finalised=1").as_str()), "{}", r.body);
    let r = c.get(&format!("/quality/visits/{visit_id}?finalised=1")).await;
    assert!(r.contains("Visit finalised: 2 actions raised"), "{}", r.body);
    assert!(r.contains("Deputy manager") && r.contains("15 April 2025"));
    // Finalising again changes nothing; scoring a final visit is refused.
    c.post_form(&fin, &f).await;
    assert_eq!(c.store.actions_for_service(&service).await.expect("actions").len(), 2);
    assert_eq!(c.get(&score_url).await.status, StatusCode::BAD_REQUEST);

    // The count the dashboard links to.
    let r = c
        .get("/quality/visits?from=2025-01-01&to=2025-10-31&activity=quality_visit&kind=care_home_residential&kind=care_home_nursing")
        .await;
    r.assert_ok();
    assert!(r.contains("<strong>1</strong> quality visit to care home (residential) or care home (nursing) services from 1 January 2025 to 31 October 2025"), "{}", r.body);
    let r = c.get("/quality/visits?kind=home_care").await;
    assert!(r.contains("<strong>0</strong>"));
    let r = c.get("/quality/visits?from=notadate").await;
    assert!(r.contains("href=\"#from\""));

    // The service's quality tab: the visit and the action plan with its two actions.
    let r = c.get(&format!("/services/{service}/quality")).await;
    r.assert_ok();
    assert!(r.contains("Visits and meetings") && r.contains("4 March 2025"));
    assert!(r.contains("Action plan") && r.contains("2 open actions"));
    assert!(r.contains("Overdue"), "due in spring 2025, so overdue now");

    // Audited.
    let (e, _) =
        c.store.audit_entries(&AuditQuery { entity_type: Some("quality_visit".into()), ..Default::default() }).await.expect("audit");
    assert_eq!(e.len(), 3, "created, scored, finalised");
}

#[tokio::test]
async fn frameworks_show_inferred_standards_and_only_officers_edit() {
    let (mut c, _p, _s) = setup().await;
    c.user("quality@test.gov.uk", Role::QualityOfficer, None).await;
    c.user("viewer@test.gov.uk", Role::Viewer, None).await;
    let pamms = c.store.qa_framework_by_code("pamms").await.expect("pamms");
    c.sign_in_as("quality@test.gov.uk").await;
    let r = c.get("/quality/frameworks").await;
    r.assert_ok();
    assert!(r.contains("CQC single assessment framework quality statements") && r.contains("6 inferred: check"));
    let r = c.get(&format!("/quality/frameworks/{}", pamms.id)).await;
    assert!(r.contains("Inferred: check against your PAMMS") && r.contains("Quality of management"));
    let add = format!("/quality/frameworks/{}/standards/new", pamms.id);
    c.get(&add).await.assert_ok();
    let r = c.post_form(&add, &[("domain", "Quality of management"), ("code", "P17"), ("title", ""), ("provenance", "confirmed")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("<a href=\"#title\">Enter the standard"), "{}", r.body);
    let r =
        c.post_form(&add, &[("domain", "Quality of management"), ("code", "P16"), ("title", "Records"), ("provenance", "confirmed")]).await;
    assert!(r.contains("already has a standard with code P16"), "{}", r.body);
    let r = c
        .post_form(
            &add,
            &[("domain", "Quality of management"), ("code", "P17"), ("title", "Business continuity"), ("provenance", "inferred")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let p17 = c.store.qa_standards(&pamms.id, false).await.expect("s").into_iter().find(|s| s.code == "P17").expect("P17");
    let edit = format!("/quality/standards/{}/edit", p17.id);
    let r = c.get(&edit).await;
    r.assert_ok();
    assert!(r.contains("value=\"Business continuity\""));
    let r = c
        .post_form(
            &edit,
            &[("domain", "Quality of management"), ("code", "P17"), ("title", "Business continuity plans"), ("provenance", "maybe")],
        )
        .await;
    assert!(r.contains("href=\"#provenance\""), "{}", r.body);
    let r = c
        .post_form(
            &edit,
            &[("domain", "Quality of management"), ("code", "P17"), ("title", "Business continuity plans"), ("provenance", "confirmed")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(c.store.qa_standard(&p17.id).await.expect("s").title, "Business continuity plans");
    c.get("/quality/frameworks/new").await.assert_ok();
    c.get(&format!("/quality/frameworks/{}", pamms.id)).await;
    let r = c.post_form(&format!("/quality/standards/{}/active", p17.id), &[("active", "0")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = c.get(&format!("/quality/frameworks/{}", pamms.id)).await;
    assert!(r.contains("Deactivated") && r.contains("Reactivate"));

    let mut v = Client::new(c.store.clone());
    v.sign_in_as("viewer@test.gov.uk").await;
    let r = v.get(&format!("/quality/frameworks/{}", pamms.id)).await;
    r.assert_ok();
    assert!(!r.contains("Add a standard"));
    assert_eq!(v.get(&add).await.status, StatusCode::FORBIDDEN);
    assert_eq!(v.get("/quality/frameworks/new").await.status, StatusCode::FORBIDDEN);
    assert_eq!(v.get(&edit).await.status, StatusCode::FORBIDDEN);
    assert_eq!(v.post_form(&format!("/quality/standards/{}/active", p17.id), &[("active", "1")]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(v.post_form(&add, &[("domain", "D"), ("code", "X1"), ("title", "T")]).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn viewers_cannot_record_and_providers_cannot_see_visits() {
    let (mut c, p, service) = setup().await;
    c.user("viewer@test.gov.uk", Role::Viewer, None).await;
    c.user("manager@oak.test", Role::Provider, Some(&p)).await;
    let qaf = c.store.qa_framework_by_code("qaf_care_homes").await.expect("qaf");
    c.sign_in_as("viewer@test.gov.uk").await;
    c.get("/quality/visits").await.assert_ok();
    assert_eq!(c.get(&format!("/quality/visits/new?service_id={service}")).await.status, StatusCode::FORBIDDEN);
    let r = c.post_form("/quality/visits/new", &visit_fields(&service, &qaf.id, "J Smith", "2025")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(c.store.visits(&Default::default()).await.expect("visits").0, 0);
    let r = c.get(&format!("/services/{service}/quality")).await;
    r.assert_ok();
    assert!(!r.contains("Record a visit or meeting"), "viewers are not offered recording");

    let mut prov = Client::new(c.store.clone());
    prov.sign_in_as("manager@oak.test").await;
    assert_eq!(prov.get("/quality/visits").await.status, StatusCode::FORBIDDEN);
    assert_eq!(prov.get("/quality/frameworks").await.status, StatusCode::FORBIDDEN);
    assert_eq!(prov.get(&format!("/quality/visits/new?service_id={service}")).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_framework_is_uploaded_as_csv_all_or_nothing() {
    let (c, _, _) = setup().await;
    c.user("officer@test.gov.uk", Role::QualityOfficer, None).await;
    let mut o = Client::new(c.store.clone());
    o.sign_in_as("officer@test.gov.uk").await;
    let fields = [
        ("name", "Day services QAF"),
        ("code", "day_qaf"),
        ("purpose", "standards"),
        ("applies_to", "day_services"),
        ("source", "Council QAF 2026"),
    ];
    // Row 3 (the second standard) has no title: nothing is written and the row is named.
    o.get("/quality/frameworks/new").await;
    let token = o.csrf();
    let bad = "domain,code,title\nQuality of life,D1,Daily enjoyment\nSafety,D2,\n";
    let r = o.post_file_with("/quality/frameworks/new", &token, &fields, "day.csv", bad).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.contains("Row 3: Enter the standard") && r.contains("href=\"#file\""), "{}", r.body);
    assert!(c.store.qa_framework_by_code("day_qaf").await.is_err(), "nothing written");
    // A good file makes the framework, offered for day services.
    let good = "Title,Code,Domain\nDaily enjoyment,D1,Quality of life\nSafe premises,D2,Safety\n";
    let r = o.post_file_with("/quality/frameworks/new", &token, &fields, "day.csv", good).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let f = c.store.qa_framework_by_code("day_qaf").await.expect("created");
    assert_eq!(f.standards, 2);
    assert!(f.applies_to_kind(ServiceKind::DayServices));
    // A viewer may not upload one.
    c.user("viewer@test.gov.uk", Role::Viewer, None).await;
    let mut v = Client::new(c.store.clone());
    v.sign_in_as("viewer@test.gov.uk").await;
    let token = v.csrf();
    let r = v.post_file_with("/quality/frameworks/new", &token, &[("name", "X"), ("code", "x_qaf")], "x.csv", good).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
