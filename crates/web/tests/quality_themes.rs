//! CQC report themes through the web: officers code a report's issues (errors named by field),
//! upload a CSV (all or nothing), see the theme table with gaps and totals counted from the
//! records, manage offers; viewers read but cannot code; provider users see none of it.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::register::ServiceKind;
use caremarket_store::Actor;
use caremarket_store::quality::themes::{NewCoding, NewOffer, ThemeFilter};
use caremarket_store::register::NewService;
use common::Client;
use jiff::civil::date;

fn home(provider_id: &str, name: &str, kind: ServiceKind, location: &str) -> NewService {
    NewService { cqc_location_id: Some(location.into()), beds: Some(30), ..caremarket_testkit::service(provider_id, name, kind) }
}

struct Fx {
    provider: String,
    oak: String,
    dom: String,
}

async fn fixture(c: &Client) -> Fx {
    let a = Actor::system("test");
    let s = &c.store;
    let provider = s.create_provider(&a, None, "Oak Care Ltd", None, None).await.expect("provider");
    let oak = s.create_service(&a, &home(&provider, "Oak House", ServiceKind::CareHomeResidential, "1-100")).await.expect("oak");
    let dom = s.create_service(&a, &home(&provider, "Oak Home Care", ServiceKind::HomeCare, "1-900")).await.expect("dom");
    for (svc, d, t, i) in [
        (&oak, date(2022, 3, 1), "medication", "MAR charts incomplete"),
        (&oak, date(2022, 3, 1), "medication", "PRN protocols missing"),
        (&oak, date(2022, 3, 1), "fire_safety", "Fire doors propped open"),
        (&dom, date(2023, 1, 1), "end_of_life", "End of life wishes not recorded"),
    ] {
        s.code_theme_issue(&a, &NewCoding { service_id: svc.clone(), report_date: d, theme: t.into(), issue: i.into() })
            .await
            .expect("code");
    }
    s.add_theme_offer(
        &a,
        "medication",
        &NewOffer { offer: "Medicines course".into(), offered_by: None, status: "in_place".into(), notes: None },
    )
    .await
    .expect("offer");
    s.add_theme_offer(
        &a,
        "fire_safety",
        &NewOffer { offer: "Fire service session".into(), offered_by: None, status: "to_be_asked".into(), notes: None },
    )
    .await
    .expect("offer");
    Fx { provider, oak, dom }
}

/// The table row of a theme, from its link to the end of the row.
fn row<'a>(body: &'a str, code: &str) -> &'a str {
    let start = body.find(&format!("href=\"/quality/themes/{code}")).unwrap_or_else(|| panic!("no row for {code}"));
    let rest = &body[start..];
    &rest[..rest.find("</tr>").unwrap_or(rest.len())]
}

#[tokio::test]
async fn theme_table_counts_care_homes_and_flags_gaps() {
    let mut c = Client::sqlite().await;
    let _f = fixture(&c).await;
    c.user("viewer@test.gov.uk", Role::Viewer, None).await;
    c.sign_in_as("viewer@test.gov.uk").await;

    let r = c.get("/quality/themes").await;
    r.assert_ok();
    // Care homes by default: the home care issue is not counted.
    assert!(r.contains("Issues per theme: care homes"));
    let med = row(&r.body, "medication");
    assert!(med.contains(">2<") && med.contains("Offer in place"), "{med}");
    let fire = row(&r.body, "fire_safety");
    assert!(fire.contains("Gap: no offer in place"), "{fire}");
    let eol = row(&r.body, "end_of_life");
    assert!(eol.contains(">0<") && eol.contains("Gap: no offer in place"), "{eol}");
    let covid = row(&r.body, "covid");
    assert!(covid.contains("Not in training analysis"), "{covid}");
    // Sorted by issues: Medication before Fire Safety before End of Life.
    let pos = |code: &str| r.body.find(&format!("href=\"/quality/themes/{code}")).expect("row");
    assert!(pos("medication") < pos("fire_safety") && pos("fire_safety") < pos("end_of_life"));
    assert!(r.contains("<strong>3</strong>"), "total issues");
    assert!(r.contains("17 gaps"), "18 themes in the analysis, only Medication has an offer in place");
    // Viewers cannot code.
    assert!(!r.contains("Code issues from a CQC report"));

    // All services, and a date range.
    let r = c.get("/quality/themes?scope=all").await;
    assert!(row(&r.body, "end_of_life").contains(">1<"));
    let r = c.get("/quality/themes?scope=all&from-day=1&from-month=1&from-year=2023").await;
    r.assert_ok();
    assert!(row(&r.body, "medication").contains(">0<"));
    let r = c.get("/quality/themes?from-day=31&from-month=2&from-year=2023").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("href=\"#from-day\""));

    // Drill-down: the theme's issues and per service.
    let r = c.get("/quality/themes/medication").await;
    r.assert_ok();
    assert!(r.contains("MAR charts incomplete") && r.contains("Oak House") && r.contains("Medicines course"));
    assert!(!r.contains("Add an offer"));
    let r = c.get("/quality/themes/by-service?scope=all").await;
    r.assert_ok();
    assert!(r.contains("Oak House") && r.contains("Medication: 2") && r.contains("Oak Home Care"));
    assert_eq!(c.get("/quality/themes/gardening").await.status, StatusCode::NOT_FOUND);

    // Viewers may not code or manage offers.
    assert_eq!(c.get("/quality/themes/code").await.status, StatusCode::FORBIDDEN);
    let r = c.post_form("/quality/themes/code", &[("service_id", "x")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c.post_form("/quality/themes/medication/offers", &[("offer", "x"), ("status", "in_place")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn officers_code_a_report_with_errors_named_by_field() {
    let mut c = Client::sqlite().await;
    let f = fixture(&c).await;
    c.user("quality@test.gov.uk", Role::QualityOfficer, None).await;
    c.sign_in_as("quality@test.gov.uk").await;

    let r = c.get(&format!("/quality/themes/code?service_id={}", f.oak)).await;
    r.assert_ok();
    let tomorrow = caremarket_store::today().tomorrow().expect("t");
    let (d, m, y) = (tomorrow.day().to_string(), tomorrow.month().to_string(), tomorrow.year().to_string());
    let r = c
        .post_form(
            "/quality/themes/code",
            &[
                ("service_id", &f.oak),
                ("report_date-day", &d),
                ("report_date-month", &m),
                ("report_date-year", &y),
                ("theme-1", "staffing"),
                ("issue-1", "Not enough staff at night"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("href=\"#report_date-day\"") && r.contains("today or in the past"));

    // A row with text and no theme, and a row naming someone.
    let r = c
        .post_form(
            "/quality/themes/code",
            &[
                ("service_id", &f.oak),
                ("report_date-day", "5"),
                ("report_date-month", "6"),
                ("report_date-year", "2023"),
                ("theme-1", "staffing"),
                ("issue-1", "Not enough staff at night"),
                ("theme-2", ""),
                ("issue-2", "Call bells not answered"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("href=\"#theme-2\"") && r.contains("Choose the theme for issue 2"));
    let r = c
        .post_form(
            "/quality/themes/code",
            &[
                ("service_id", &f.oak),
                ("report_date-day", "5"),
                ("report_date-month", "6"),
                ("report_date-year", "2023"),
                ("theme-1", "staffing"),
                ("issue-1", "Not enough staff at night"),
                ("theme-3", "recruitment"),
                ("issue-3", "Mr Jones had no DBS check"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("href=\"#issue-3\"") && r.contains("seems to name a person"));
    let before = c.store.theme_codings(&ThemeFilter::default()).await.expect("codings").len();
    assert_eq!(before, 4, "nothing stored from refused forms");

    let r = c
        .post_form(
            "/quality/themes/code",
            &[
                ("service_id", &f.oak),
                ("report_date-day", "5"),
                ("report_date-month", "6"),
                ("report_date-year", "2023"),
                ("theme-1", "staffing"),
                ("issue-1", "Not enough staff at night"),
                ("theme-3", "recruitment"),
                ("issue-3", "References not checked for two staff"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = c.get(r.location.as_deref().expect("location")).await;
    assert!(r.contains("2 issues coded"));
    let r = c.get("/quality/themes").await;
    assert!(row(&r.body, "staffing").contains(">1<"));

    // The service's quality tab shows its issues by theme.
    let r = c.get(&format!("/services/{}/quality", f.oak)).await;
    r.assert_ok();
    let i = r.body.find("id=\"themes\"").unwrap_or(0);
    assert!(r.contains("Staffing levels &#x2f; deployment") && r.contains("5 issues coded from 2 CQC reports"), "{}", &r.body[i..]);
    let _ = (&f.provider, &f.dom);

    // Edit and delete a coding.
    let coding =
        c.store.theme_codings(&ThemeFilter { theme_code: Some("staffing".into()), ..Default::default() }).await.expect("c")[0].clone();
    c.get(&format!("/quality/theme-codings/{}", coding.id)).await.assert_ok();
    let r = c
        .post_form(
            &format!("/quality/theme-codings/{}", coding.id),
            &[("report_date-day", "5"), ("report_date-month", "6"), ("report_date-year", "2023"), ("theme", "staffing"), ("issue", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("href=\"#issue\""));
    let r = c
        .post_form(
            &format!("/quality/theme-codings/{}", coding.id),
            &[
                ("report_date-day", "5"),
                ("report_date-month", "6"),
                ("report_date-year", "2023"),
                ("theme", "leadership"),
                ("issue", "No deputy manager"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(c.store.theme_coding(&coding.id).await.expect("c").theme_code, "leadership");
    c.get(&format!("/quality/theme-codings/{}", coding.id)).await;
    let r = c.post_form(&format!("/quality/theme-codings/{}/delete", coding.id), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(c.store.theme_coding(&coding.id).await.is_err());

    // Offers: errors named, a tentative offer leaves the gap, an in-place one closes it.
    c.get("/quality/themes/fire_safety").await.assert_ok();
    let r = c.post_form("/quality/themes/fire_safety/offers", &[("offer", ""), ("status", "in_place")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("href=\"#offer\""));
    let r = c.post_form("/quality/themes/fire_safety/offers", &[("offer", "Fire marshal course"), ("status", "")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("href=\"#status\""));
    let r = c
        .post_form(
            "/quality/themes/fire_safety/offers",
            &[("offer", "Fire marshal course"), ("offered_by", "Northmoor Fire"), ("status", "in_place")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = c.get("/quality/themes").await;
    assert!(row(&r.body, "fire_safety").contains("Offer in place"));
    let offer =
        c.store.theme_offers(Some("fire_safety")).await.expect("offers").into_iter().find(|o| o.offer == "Fire marshal course").expect("o");
    c.get("/quality/themes/fire_safety").await;
    let r = c.post_form(&format!("/quality/theme-offers/{}", offer.id), &[("action", "withdraw")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = c.get("/quality/themes").await;
    assert!(row(&r.body, "fire_safety").contains("Gap: no offer in place"));
}

/// Upload a CSV as a browser does (multipart), signed in as `email` with its own cookie jar
/// (the shared client only sends urlencoded forms).
async fn upload(c: &Client, email: &str, csv: &str) -> common::Res {
    common::upload_csv(&c.store, email, "/quality/themes/code", "/quality/themes/upload", "codings.csv", csv, None).await
}

#[tokio::test]
async fn csv_upload_codes_all_rows_or_none() {
    let c = Client::sqlite().await;
    let _f = fixture(&c).await;
    c.user("quality@test.gov.uk", Role::QualityOfficer, None).await;

    let bad = "cqc_location_id,report_date,theme,issue\n1-100,2023-02-01,Medication,Stock counts wrong\n1-404,2023-02-01,Medication,x\n1-100,2023-02-01,Knitting,x\n";
    let r = upload(&c, "quality@test.gov.uk", bad).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.contains("row 3: &#x27;cqc_location_id&#x27;") || r.contains("row 3: 'cqc_location_id'"), "{}", r.body);
    assert!(r.contains("row 4"));
    assert!(r.contains("nothing was coded"));
    assert_eq!(c.store.theme_codings(&ThemeFilter::default()).await.expect("c").len(), 4);

    // A blank line is skipped; rows keep their numbers.
    let good = "cqc_location_id,report_date,theme,issue\n1-100,2023-02-01,Medication,Stock counts wrong\n\n1-900,2023-02-01,end of life,No advance care plans\n";
    let r = upload(&c, "quality@test.gov.uk", good).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(c.store.theme_codings(&ThemeFilter::default()).await.expect("c").len(), 6);

    // Viewers may not upload.
    c.user("viewer@test.gov.uk", Role::Viewer, None).await;
    let r = upload(&c, "viewer@test.gov.uk", good).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(c.store.theme_codings(&ThemeFilter::default()).await.expect("c").len(), 6);
}

#[tokio::test]
async fn provider_users_see_no_theme_pages() {
    let mut c = Client::sqlite().await;
    let f = fixture(&c).await;
    c.user("provider@test.gov.uk", Role::Provider, Some(&f.provider)).await;
    c.sign_in_as("provider@test.gov.uk").await;
    let coding = c.store.theme_codings(&ThemeFilter::default()).await.expect("c")[0].clone();
    let offer = c.store.theme_offers(None).await.expect("o")[0].clone();
    for path in [
        "/quality/themes".to_string(),
        "/quality/themes/by-service".into(),
        "/quality/themes/code".into(),
        "/quality/themes/medication".into(),
        format!("/quality/theme-codings/{}", coding.id),
        format!("/services/{}/quality", f.oak),
    ] {
        assert_eq!(c.get(&path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    c.get("/portal").await;
    for path in [
        "/quality/themes/code".to_string(),
        "/quality/themes/medication/offers".into(),
        format!("/quality/theme-offers/{}", offer.id),
        format!("/quality/theme-codings/{}", coding.id),
        format!("/quality/theme-codings/{}/delete", coding.id),
    ] {
        assert_eq!(c.post_form(&path, &[("offer", "x"), ("status", "in_place")]).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert!(c.store.theme_coding(&coding.id).await.is_ok());
}
