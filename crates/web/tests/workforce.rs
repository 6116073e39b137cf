//! Workforce (issue 13 items 1-3): council officers read the figures, the returns and the
//! charter (providers, councillors and scrutiny officers are refused); only commissioners and
//! administrators record charter positions; a provider sends a return for its own services only
//! on the portal form or as a CSV, each refusal naming its field (and row); the market's figures
//! a commissioner reads (staff, vacancy rate, turnover, the mean of providers' zero-hours
//! shares beside the pooled share, services below the real Living Wage) are worked out here
//! from the records; a charter position is recorded with its history.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::{Permission, Role};
use caremarket_core::register::ServiceKind;
use caremarket_store::register::NewService;
use caremarket_store::{Actor, Store};
use common::{Client, visible_text};

fn svc(provider_id: &str, name: &str, kind: ServiceKind) -> NewService {
    caremarket_testkit::service(provider_id, name, kind)
}

struct Fixture {
    acme: String,
    acme_home: String,
    acme_living: String,
    other_home: String,
}

async fn fixture(s: &Store) -> Fixture {
    let a = Actor::system("test");
    let acme = s.create_provider(&a, None, "Acme Care Ltd", None, None).await.expect("p");
    let other = s.create_provider(&a, None, "Other Care Ltd", None, None).await.expect("p");
    let acme_home = s.create_service(&a, &svc(&acme, "Acme Home Care", ServiceKind::HomeCare)).await.expect("s");
    let acme_living = s.create_service(&a, &svc(&acme, "Acme Living", ServiceKind::SupportedLiving)).await.expect("s");
    let other_home = s.create_service(&a, &svc(&other, "Other Home Care", ServiceKind::HomeCare)).await.expect("s");
    Fixture { acme, acme_home, acme_living, other_home }
}

/// A quarter that has ended, as the forms write it.
fn last_quarter() -> caremarket_core::workforce::Quarter {
    caremarket_core::workforce::Quarter::of(caremarket_store::today()).previous()
}

/// The form's fields for a return: (care workers, managers, vacancies, leavers, zero-hours, pay).
#[allow(clippy::too_many_arguments)]
fn fields(service: &str, period: &str, cw: i64, mgr: i64, vac: i64, leavers: i64, zero: i64, pay: &str) -> Vec<(String, String)> {
    [
        ("service_id", service.to_string()),
        ("period", period.to_string()),
        ("care_workers", cw.to_string()),
        ("nurses", "0".into()),
        ("managers", mgr.to_string()),
        ("other_staff", "0".into()),
        ("care_workers_fte", "10".into()),
        ("nurses_fte", "0".into()),
        ("managers_fte", "1".into()),
        ("other_staff_fte", "0".into()),
        ("vacancies", vac.to_string()),
        ("starters", "2".into()),
        ("leavers", leavers.to_string()),
        ("zero_hours_staff", zero.to_string()),
        ("guaranteed_hours_staff", "0".into()),
        ("agency_hours", "12".into()),
        ("lowest_hourly_pay", pay.into()),
        ("sick_pay", "no".into()),
        ("care_certificate_percent", "60".into()),
        ("level2_percent", "40".into()),
        ("level3_percent", "20".into()),
        ("qualification_framework", "QCF".into()),
        ("medication_training_percent", "80".into()),
        ("asc_wds_complete", "yes".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn refs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Tenths of a percent, half up, as the pages print them.
fn pct(part: i64, whole: i64) -> String {
    let p = (part * 1000 + whole / 2) / whole;
    format!("{}.{}%", p / 10, p % 10)
}

#[tokio::test]
async fn officers_read_providers_send_their_own_and_positions_are_kept_by_commissioners() {
    let mut c = Client::sqlite().await;
    let x = fixture(&c.store).await;
    let views = ["/workforce", "/workforce/returns", "/workforce/charter", "/workforce/charter/2.2", "/workforce/profile"];
    for (i, role) in Role::ALL.into_iter().enumerate() {
        let email = format!("user{i}@test.gov.uk");
        let provider = (role == Role::Provider).then_some(x.acme.as_str());
        c.user(&email, role, provider).await;
        c.sign_in_as(&email).await;
        for path in views {
            let expected = if role.can(Permission::ViewWorkforce) { StatusCode::OK } else { StatusCode::FORBIDDEN };
            assert_eq!(c.get(path).await.status, expected, "{role:?} GET {path}");
        }
        // Recording a position: commissioners and administrators only.
        let r = c.post_form("/workforce/charter/2.2", &[("position", "agreed"), ("note", "In the contract")]).await;
        let expected = if role.can(Permission::ManageWorkforce) { StatusCode::SEE_OTHER } else { StatusCode::FORBIDDEN };
        assert_eq!(r.status, expected, "{role:?} POST position");
        let portal = c.get("/portal/workforce").await.status;
        assert_eq!(portal, if role == Role::Provider { StatusCode::OK } else { StatusCode::FORBIDDEN }, "{role:?} portal");
    }
    assert!(!Role::Councillor.can(Permission::ViewWorkforce) && !Role::Provider.can(Permission::ViewWorkforce));
    // The provider's form lists its own services only.
    c.user("pat@acme.test", Role::Provider, Some(&x.acme)).await;
    c.sign_in_as("pat@acme.test").await;
    let text = visible_text(&c.get("/portal/workforce/return").await.body);
    assert!(text.contains("Acme Home Care") && text.contains("Acme Living") && !text.contains("Other Home Care"), "{text}");
    // A return for another provider's service is refused, naming the service field.
    let q = last_quarter().code();
    let r = c.post_form("/portal/workforce/return", &refs(&fields(&x.other_home, &q, 10, 1, 1, 1, 1, "12.00"))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(visible_text(&r.body).contains("Choose one of your services"), "{}", visible_text(&r.body));
    assert!(c.store.workforce_returns(&Default::default()).await.expect("list").is_empty());
}

#[tokio::test]
async fn bad_returns_name_their_fields_and_rows() {
    let mut c = Client::sqlite().await;
    let x = fixture(&c.store).await;
    let uid = c.user("pat@acme.test", Role::Provider, Some(&x.acme)).await;
    // The API: a provider's token submits for its own services; another's is "not found"; a bad
    // return names its field.
    let (_, token) = c.store.create_api_token(&Actor::system("t"), &uid, "returns").await.expect("token");
    let q = last_quarter().code();
    let body = |service: &str, leavers: i64| {
        let mut m: serde_json::Map<String, serde_json::Value> =
            fields(service, &q, 10, 1, 1, leavers, 1, "12.00").into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect();
        m.insert("care_workers".into(), serde_json::json!(10));
        m.insert("sick_pay".into(), serde_json::json!(true));
        serde_json::Value::Object(m)
    };
    let ok = c.api("POST", "/api/v1/workforce/returns", Some(&token), Some(body(&x.acme_home, 2))).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    let saved = c.store.workforce_returns(&Default::default()).await.expect("list");
    assert_eq!((saved.len(), saved[0].r.care_workers, saved[0].r.sick_pay), (1, 10, true));
    let other = c.api("POST", "/api/v1/workforce/returns", Some(&token), Some(body(&x.other_home, 2))).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND, "{}", other.body);
    let bad = c.api("POST", "/api/v1/workforce/returns", Some(&token), Some(body(&x.acme_home, 50))).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("leavers"), "{}", bad.body);
    c.sign_in_as("pat@acme.test").await;
    let q = last_quarter().code();
    let mut f = fields(&x.acme_home, &q, 10, 1, 1, 12, 1, "-1");
    f.iter_mut().find(|(k, _)| k == "level3_percent").expect("l3").1 = "120".into();
    f.iter_mut().find(|(k, _)| k == "nurses").expect("nurses").1 = "-2".into();
    let r = c.post_form("/portal/workforce/return", &refs(&f)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let mut text = visible_text(&r.body);
    // Leavers are checked against staff once the staff counts are right.
    let r = c.post_form("/portal/workforce/return", &refs(&fields(&x.acme_home, &q, 10, 1, 1, 12, 1, "12.00"))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    text.push_str(&visible_text(&r.body));
    for m in [
        "Leavers in the last 12 months (12) cannot be more than staff (11)",
        "Nurses cannot be negative",
        "Level 3 qualification cannot be more than 100%",
        "Lowest hourly pay to care workers cannot be below zero",
    ] {
        assert!(text.contains(m), "wanted «{m}» in {text}");
    }
    let future = caremarket_core::workforce::Quarter::of(caremarket_store::today());
    let next = if future.q == 4 { format!("{}-Q1", future.year + 1) } else { format!("{}-Q{}", future.year, future.q + 1) };
    let r = c.post_form("/portal/workforce/return", &refs(&fields(&x.acme_home, &next, 10, 1, 1, 1, 1, "12.00"))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(visible_text(&r.body).contains("is in the future"), "{}", visible_text(&r.body));

    // A CSV: each bad row named with its field; nothing saved.
    c.get("/portal/workforce").await.assert_ok();
    let token = c.csrf();
    let header = "service_id,period,care_workers,nurses,managers,other_staff,care_workers_fte,nurses_fte,managers_fte,other_staff_fte,vacancies,starters,leavers,zero_hours_staff,guaranteed_hours_staff,agency_hours,lowest_hourly_pay,sick_pay,care_certificate_percent,level2_percent,level3_percent,qualification_framework,medication_training_percent,asc_wds_complete";
    let csv = format!(
        "{header}\n{0},{q},10,0,1,0,9,0,1,0,1,2,3,4,0,0,12.60,yes,50,40,20,RQF,80,yes\n{1},{q},10,0,1,0,9,0,1,0,1,2,3,4,0,0,12.60,yes,50,40,20,RQF,80,yes\n{0},{q},10,0,1,0,9,0,1,0,1,2,3,4,0,0,12.60,yes,50,40,20,NVQ,80,yes\n",
        x.acme_living, x.other_home
    );
    let r = c.post_file("/portal/workforce/upload", &token, "wf.csv", &csv).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let text = visible_text(&r.body);
    assert!(text.contains("row 3: 'service_id'"), "{text}");
    assert!(text.contains("row 4: 'qualification_framework' Qualification framework 'NVQ' must be RQF or QCF"), "{text}");
    assert_eq!(c.store.workforce_returns(&Default::default()).await.expect("list").len(), 1, "only the API's return");
    let csv = format!("{header}\n{0},{q},10,0,1,0,9,0,1,0,1,2,3,4,0,0,12.60,yes,50,40,20,rqf,80,yes\n", x.acme_living);
    let r = c.post_file("/portal/workforce/upload", &token, "wf.csv", &csv).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", visible_text(&r.body));
    assert!(visible_text(&c.get(r.location.as_deref().expect("to")).await.body).contains("1 workforce returns saved from your file"));

    // The council uploads for any provider; a bad row is named and nothing saved.
    c.user("cam@council.test", Role::Commissioner, None).await;
    c.sign_in_as("cam@council.test").await;
    c.get("/workforce/upload").await.assert_ok();
    let token = c.csrf();
    let csv = format!(
        "{header}\n{0},{q},10,0,1,0,9,0,1,0,1,2,3,4,0,0,12.60,yes,50,40,20,RQF,80,yes\n{0},{q},10,0,1,0,9,0,1,0,1,2,30,4,0,0,12.60,yes,50,40,20,RQF,80,yes\n",
        x.other_home
    );
    let r = c.post_file("/workforce/upload", &token, "wf.csv", &csv).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let text = visible_text(&r.body);
    assert!(text.contains("row 3: 'leavers' Leavers in the last 12 months (30) cannot be more than staff (11)"), "{text}");
    let csv = format!("{header}\n{0},{q},10,0,1,0,9,0,1,0,1,2,3,4,0,0,12.60,yes,50,40,20,RQF,80,yes\n", x.other_home);
    let r = c.post_file("/workforce/upload", &token, "wf.csv", &csv).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", visible_text(&r.body));
    assert!(visible_text(&c.get(r.location.as_deref().expect("to")).await.body).contains("1 workforce return saved from the file"));
}

#[tokio::test]
async fn the_figures_read_right_and_drill_down_to_the_returns() {
    let mut c = Client::sqlite().await;
    let x = fixture(&c.store).await;
    let q = last_quarter();
    let code = q.code();
    // Acme: home care 20 care workers + 1 manager, 20 on zero hours, 3 vacancies, 5 leavers, pays
    // £10.00 (below any real Living Wage); living 9 + 1, 0 zero hours, 1 vacancy, 2 leavers.
    // Other: home care 30 + 2, 8 zero hours, 4 vacancies, 6 leavers, pays £20.00.
    c.user("pat@acme.test", Role::Provider, Some(&x.acme)).await;
    c.sign_in_as("pat@acme.test").await;
    for f in [fields(&x.acme_home, &code, 20, 1, 3, 5, 20, "10.00"), fields(&x.acme_living, &code, 9, 1, 1, 2, 0, "20.00")] {
        let r = c.post_form("/portal/workforce/return", &refs(&f)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", visible_text(&r.body));
    }
    // Other has not returned yet: the commissioner's page names it under the quarter.
    c.user("cam@council.test", Role::Commissioner, None).await;
    c.sign_in_as("cam@council.test").await;
    let text = visible_text(&c.get(&format!("/workforce?period={code}")).await.body);
    let heading = format!("Services that have not returned for {}", q.label());
    assert!(text.contains(&heading) && text.contains("Other Care Ltd: Other Home Care"), "{text}");
    assert!(!text.contains("Acme Care Ltd: Acme"), "a service that returned is listed as not returned: {text}");
    let a = Actor::system("test");
    let other = caremarket_core::workforce::check_return(
        &fields(&x.other_home, &code, 30, 2, 4, 6, 8, "20.00").into_iter().filter(|(k, _)| k != "service_id").collect(),
        caremarket_store::today(),
    )
    .expect("valid");
    c.store
        .submit_workforce_return(&a, &x.other_home, &other, caremarket_store::fees::cost_of_care::SentBy::Council, None)
        .await
        .expect("saved");
    let r = c.get(&format!("/workforce?period={code}")).await;
    r.assert_ok();
    let text = visible_text(&r.body);
    // Every market: staff 21 + 10 + 32 = 63; vacancies 8 of 71 posts; leavers 13 of 63.
    let (staff, vac, leavers) = (21 + 10 + 32, 3 + 1 + 4, 5 + 2 + 6);
    let row = format!("Every market 3 of 3 {staff} {} 33 {} {} 36", 20 + 9 + 30, pct(vac, staff + vac), pct(leavers, staff));
    assert!(text.contains(&row), "wanted «{row}» in {text}");
    // Zero hours: Acme 20 of 31, Other 8 of 32; the mean of the providers' shares beside the
    // pooled 28 of 63.
    let mean = {
        let (a, b): (f64, f64) = (20.0 / 31.0, 8.0 / 32.0);
        let p = ((a + b) / 2.0 * 1000.0).round() as i64;
        format!("{}.{}%", p / 10, p % 10)
    };
    let row = format!("Every market {mean} {} 0 1 20 0", pct(28, 63));
    assert!(text.contains(&row), "wanted «{row}» in {text}");
    // The trend table has the quarter with the same figures, and nothing is missing now.
    let row = format!("{} 3 {staff} {} {} {mean} {}", q.label(), pct(vac, staff + vac), pct(leavers, staff), pct(28, 63));
    assert!(
        text.contains("Every market by quarter Quarter Returns Staff Vacancy rate Turnover") && text.contains(&row),
        "wanted «{row}» in {text}"
    );
    assert!(text.contains(&format!("Every service expected to return has returned for {}", q.label())), "{text}");
    // Home care alone: Acme 21 and Other 32 staff.
    let row = format!("Home care 2 of 2 53 50 22 {} {}", pct(7, 60), pct(11, 53));
    assert!(text.contains(&row), "wanted «{row}» in {text}");
    // Drill down: the home care returns behind the figure.
    let r = c.get(&format!("/workforce/returns?period={code}&kind=home_care")).await;
    let text = visible_text(&r.body);
    assert!(text.contains("Acme Home Care") && text.contains("Other Home Care") && !text.contains("Acme Living"), "{text}");
    let r = c.get(&format!("/workforce/returns?period={code}&below_living_wage=1")).await;
    let text = visible_text(&r.body);
    assert!(text.contains("Acme Home Care") && !text.contains("Other Home Care"), "{text}");

    // The charter: a position recorded with its history; a blank note refused naming it.
    c.get("/workforce/charter/3.2").await.assert_ok();
    let r = c.post_form("/workforce/charter/3.2", &[("position", "working_towards"), ("note", "")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(visible_text(&r.body).contains("Enter a note"), "{}", visible_text(&r.body));
    let r = c.post_form("/workforce/charter/3.2", &[("position", "working_towards"), ("note", "No contractual mechanism yet")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let text = visible_text(&c.get(r.location.as_deref().expect("to")).await.body);
    assert!(text.contains("0 agreed, 1 working towards, 0 not accepted, 11 with no position recorded"), "{text}");
    // Acme's latest returns: lowest pay £10.00 is below the real Living Wage; one of two
    // services offers no sick pay... both say no.
    assert!(text.contains("Lowest hourly pay £10.00 against the real Living Wage"), "{text}");
    assert!(text.contains("0 of 2 services offer occupational sick pay"), "{text}");

    // The workforce's profile: a figure recorded with its source; a bad one names its fields.
    let r = c.post_form("/workforce/profile", &[("kind", "home_care"), ("measure", "female"), ("value", "101"), ("source", "")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let text = visible_text(&r.body);
    assert!(text.contains("A percentage cannot be more than 100%") && text.contains("Enter where the figure comes from"), "{text}");
    let r = c
        .post_form(
            "/workforce/profile",
            &[("kind", "home_care"), ("measure", "female"), ("value", "79"), ("source", "Skills for Care, 2021/22")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let text = visible_text(&c.get(&format!("/workforce?period={code}")).await.body);
    assert!(text.contains("Home care, female: 79% (Skills for Care, 2021/22)"), "{text}");
}

/// Each autumn the Living Wage Foundation announces the next year's rate: a commissioner adds it
/// (or corrects a year), every bad field named; the charter page lists it; audited.
#[tokio::test]
async fn a_commissioner_adds_a_years_real_living_wage_rate() {
    let mut c = Client::sqlite().await;
    c.user("cam@council.test", Role::Commissioner, None).await;
    c.sign_in_as("cam@council.test").await;
    let charter = visible_text(&c.get("/workforce/charter").await.body);
    assert!(charter.contains("Add a year's rate") && !charter.contains("2026/27"), "{charter}");
    c.get("/workforce/living-wage").await.assert_ok();
    let r = c
        .post_form(
            "/workforce/living-wage",
            &[
                ("year", "2026/28"),
                ("rate", ""),
                ("london_rate", "15.05"),
                ("announced_on-day", "22"),
                ("announced_on-month", "10"),
                ("announced_on-year", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let text = visible_text(&r.body);
    for want in [
        "The year must be written like 2026/27: the first year and the next",
        "Enter the rate outside London",
        "The date it was announced must include a year",
        "Enter the date employers pay it from",
    ] {
        assert!(text.contains(want), "wanted «{want}» in {text}");
    }
    assert!(r.body.contains("href=\"#announced_on-day\""), "the date's error does not link to its day field");
    let good = |rate: &'static str| {
        [
            ("year", "2026/27"),
            ("rate", rate),
            ("london_rate", "15.05"),
            ("announced_on-day", "22"),
            ("announced_on-month", "10"),
            ("announced_on-year", "2026"),
            ("applies_from-day", "1"),
            ("applies_from-month", "5"),
            ("applies_from-year", "2027"),
        ]
    };
    let r = c.post_form("/workforce/living-wage", &good("13.90")).await;
    assert_eq!(r.location.as_deref(), Some("/workforce/charter?rate_saved=1#living-wage"), "{}", visible_text(&r.body));
    let charter = visible_text(&c.get("/workforce/charter?rate_saved=1").await.body);
    assert!(charter.contains("The real Living Wage rate is saved"), "{charter}");
    assert!(charter.contains("2026/27 £13.90 £15.05 22 October 2026 1 May 2027 Correct"), "{charter}");
    // The same figures from the blank form change nothing; different ones are refused there,
    // naming where to correct them (two officers adding one year must not overwrite each other).
    let r = c.post_form("/workforce/living-wage", &good("13.90")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = c.post_form("/workforce/living-wage", &good("13.95")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let text = visible_text(&r.body);
    assert!(text.contains("The rates for 2026/27 are already recorded. To change them, choose Correct beside the year"), "{text}");
    // The year's own form corrects it.
    let path = "/workforce/living-wage?year=2026%2F27";
    let form = visible_text(&c.get(path).await.body);
    assert!(form.contains("Correct the real Living Wage for 2026/27"), "{form}");
    let version = c.form_version("/workforce/living-wage").expect("the correction form carries a version");
    assert_eq!(version, "1");
    let r = c.post_form("/workforce/living-wage", &good("13.95")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", visible_text(&r.body));
    let rates = c.store.living_wage_rates().await.expect("rates");
    assert_eq!(rates.iter().filter(|r| r.year == "2026/27").map(|r| r.pence).collect::<Vec<_>>(), vec![1395]);
    let mut audit: Vec<String> = sqlx::query_scalar("SELECT summary FROM audit_log WHERE entity_type = 'living_wage_rate'")
        .fetch_all(c.store.pool())
        .await
        .expect("audit");
    audit.sort();
    assert_eq!(audit, vec!["Corrected the real Living Wage for 2026/27", "Recorded the real Living Wage for 2026/27"]);
    // A viewer reads the rates but cannot add one.
    c.user("vi@council.test", Role::Viewer, None).await;
    c.sign_in_as("vi@council.test").await;
    assert_eq!(c.get("/workforce/living-wage").await.status, StatusCode::FORBIDDEN);
}
