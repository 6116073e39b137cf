//! Supported living actuals (issue 11 item 5): only commissioners and administrators see the
//! council's figures (brokerage and direct payment officers are refused); a provider returns
//! its own hours in the portal and sees no other provider's; the month's figures a person reads
//! (commissioned, delivered, variance in hours, per cent and pounds, the rate used) are each
//! worked out here from the records; the challenge runs from the council's page to the portal
//! and back, an invalid step refused with its reason; a CSV with a bad row names it and saves
//! nothing.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::{Permission, Role};
use caremarket_core::fees::supported_living::{CommissionDraft, Period};
use caremarket_core::fees::{RateCategory, RateDraft, RateLevel};
use caremarket_core::register::ServiceKind;
use caremarket_store::fees::cost_of_care::SentBy;
use caremarket_store::{Actor, Store};
use common::{Client, visible_text};

struct Fixture {
    acme: String,
    other: String,
    period: Period,
}

/// Two providers; Acme commissions AB1 14 hours a week and CD2 21 (discounted), Other EF3 7.
/// Rates: £21.00 community, £19.50 discounted from a year before.
async fn fixture(s: &Store) -> Fixture {
    let a = Actor::system("test");
    let acme = s.create_provider(&a, None, "Acme Support Ltd", None, None).await.expect("p");
    let other = s.create_provider(&a, None, "Other Support Ltd", None, None).await.expect("p");
    let period = Period::of(caremarket_store::today()).previous().previous();
    let from = period.first_day().checked_sub(jiff::Span::new().days(90)).expect("date");
    for (category, amount) in [(RateCategory::CommunityHourly, "21.00"), (RateCategory::DiscountedHourly, "19.50")] {
        s.add_fee_rate(
            &a,
            &RateDraft {
                level: Some(RateLevel::Council),
                kind: Some(ServiceKind::SupportedLiving),
                category: Some(category),
                amount: amount.into(),
                effective_from: Some(from),
                ..Default::default()
            },
        )
        .await
        .expect("rate");
    }
    for (p, case_ref, hours, category) in [
        (&acme, "AB1", "14", RateCategory::CommunityHourly),
        (&acme, "CD2", "21", RateCategory::DiscountedHourly),
        (&other, "EF3", "7", RateCategory::CommunityHourly),
    ] {
        s.add_sl_commission(
            &a,
            &CommissionDraft {
                provider_id: Some(p.clone()),
                case_ref: case_ref.into(),
                weekly_hours: hours.into(),
                rate_category: Some(category),
                effective_from: Some(from),
            },
        )
        .await
        .expect("commission");
    }
    Fixture { acme, other, period }
}

/// Minutes as the pages show hours: "12h 05m", signed when asked.
fn hours(m: i64, signed: bool) -> String {
    let sign = if m < 0 {
        "-"
    } else if signed && m > 0 {
        "+"
    } else {
        ""
    };
    format!("{sign}{}h {:02}m", m.abs() / 60, m.abs() % 60)
}

/// Pence as the pages show them: "+£12.50", "-£1,234.56".
fn pounds(p: i64, signed: bool) -> String {
    let sign = if p < 0 {
        "-"
    } else if signed && p > 0 {
        "+"
    } else {
        ""
    };
    let whole = (p.abs() / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}£{grouped}.{:02}", p.abs() % 100)
}

fn nearest(n: i64, d: i64) -> i64 {
    (n as f64 / d as f64).round() as i64
}

#[tokio::test]
async fn only_commissioners_see_the_figures_and_a_provider_only_its_own() {
    let mut c = Client::sqlite().await;
    let x = fixture(&c.store).await;
    let code = x.period.code();
    c.store.submit_sl_return(&Actor::system("t"), &x.other, x.period, &[("EF3".into(), 600)], SentBy::Council).await.expect("r");
    let views = [
        "/fees/supported-living".to_string(),
        format!("/fees/supported-living/{}/{code}", x.other),
        "/fees/supported-living/commissioned".into(),
        "/fees/supported-living/payments".into(),
    ];
    for (i, role) in Role::ALL.into_iter().enumerate() {
        let email = format!("user{i}@test.gov.uk");
        let provider = (role == Role::Provider).then_some(x.acme.as_str());
        c.user(&email, role, provider).await;
        c.sign_in_as(&email).await;
        for path in &views {
            let r = c.get(path).await;
            let expected = if role.can(Permission::ViewFinance) { StatusCode::OK } else { StatusCode::FORBIDDEN };
            assert_eq!(r.status, expected, "{role:?} GET {path}");
        }
        if matches!(role, Role::BrokerageOfficer | Role::DirectPaymentsOfficer | Role::Provider) {
            assert!(!role.can(Permission::ViewFinance), "{role:?} is refused the council's figures");
        }
        if role == Role::Provider {
            // The portal shows Acme's people only; Other's month and case reference are not there.
            let r = c.get(&format!("/portal/supported-living/return?period={code}")).await;
            r.assert_ok();
            let text = visible_text(&r.body);
            assert!(text.contains("Hours delivered to AB1") && text.contains("Hours delivered to CD2"), "{text}");
            assert!(!text.contains("EF3"));
            let list = visible_text(&c.get("/portal/supported-living").await.body);
            assert!(
                !list.contains("EF3") && list.contains("You have not sent any supported living returns yet"),
                "Other's return is not listed: {list}"
            );
        } else {
            assert_eq!(c.get("/portal/supported-living").await.status, StatusCode::FORBIDDEN, "{role:?}");
        }
    }
}

#[tokio::test]
async fn the_month_reads_right_and_the_challenge_runs_through_the_portal() {
    let mut c = Client::sqlite().await;
    let x = fixture(&c.store).await;
    let code = x.period.code();
    c.user_named("pat@acme.test", "Pat Kershaw", Role::Provider, Some(&x.acme)).await;
    c.user_named("cam@council.test", "Cam Holroyd", Role::Commissioner, None).await;

    // The provider returns 95 hours for AB1 and 90:15 for CD2 on the portal form.
    c.sign_in_as("pat@acme.test").await;
    c.get(&format!("/portal/supported-living/return?period={code}")).await.assert_ok();
    let r = c
        .post_form(
            "/portal/supported-living/return",
            &[
                ("period", &code),
                ("case_ref", "AB1"),
                ("hours", "95"),
                ("case_ref", "CD2"),
                ("hours", "90:15"),
                ("case_ref", ""),
                ("hours", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", visible_text(&r.body));
    let text = visible_text(&c.get(r.location.as_deref().expect("to")).await.body);
    assert!(text.contains(&format!("Supported living return sent for {}", x.period.label())), "{text}");
    // A bad hours figure is refused naming the person; nothing changes.
    let r = c.post_form("/portal/supported-living/return", &[("period", &code), ("case_ref", "AB1"), ("hours", "12.01")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(visible_text(&r.body).contains("The hours delivered to AB1 must be a whole number of minutes"), "{}", visible_text(&r.body));

    // The council's page, figures worked out here.
    let days = x.period.days();
    let ab1 = nearest(14 * 60 * days, 7);
    let cd2 = nearest(21 * 60 * days, 7);
    let delivered = 95 * 60 + 90 * 60 + 15;
    let variance = delivered - ab1 - cd2;
    let pence = nearest((95 * 60 - ab1) * 2100, 60) + nearest((90 * 60 + 15 - cd2) * 1950, 60);
    let bp = nearest(variance * 10_000, ab1 + cd2);
    let percent = format!("{}{}.{:02}%", if bp < 0 { "-" } else { "+" }, bp.abs() / 100, bp.abs() % 100);
    assert!(bp.abs() > 1000, "the fixture is over the threshold: {bp}");
    c.sign_in_as("cam@council.test").await;
    let text = visible_text(&c.get(&format!("/fees/supported-living?period={code}")).await.body);
    let row = format!(
        "Acme Support Ltd {} {} {} {percent} {} Over the threshold",
        hours(ab1 + cd2, false),
        hours(delivered, false),
        hours(variance, true),
        pounds(pence, true)
    );
    assert!(text.contains(&row), "wanted «{row}» in {text}");
    let missing = format!("Returns not received Other Support Ltd : {} commissioned", hours(nearest(7 * 60 * days, 7), false));
    assert!(text.contains(&missing), "wanted «{missing}» in {text}");
    let month = format!("/fees/supported-living/{}/{code}", x.acme);
    let text = visible_text(&c.get(&month).await.body);
    let ab1_row = format!("AB1 {} {} {}", hours(ab1, false), hours(95 * 60, false), hours(95 * 60 - ab1, true));
    assert!(text.contains(&ab1_row), "wanted «{ab1_row}» in {text}");
    assert!(text.contains("Community rate (supported living), hourly: £21.00 an hour (the council's rate from"), "{text}");
    assert!(text.contains("Discounted rate (supported living), hourly: £19.50 an hour"), "{text}");

    // Accepting before anything is asked is refused with the reason.
    let action = format!("{month}/query");
    let r = c.post_form(&action, &[("step", "accept"), ("note", "")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        visible_text(&r.body).contains("Accepting needs the provider's explanation (this month's query is not queried)"),
        "{}",
        visible_text(&r.body)
    );
    // Querying needs the question.
    let r = c.post_form(&action, &[("step", "query"), ("note", "")]).await;
    assert!(visible_text(&r.body).contains("Enter the question for the provider"));
    let r = c.post_form(&action, &[("step", "query"), ("note", "Why 95 hours for AB1?")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // The provider sees it on its work list and explains.
    c.sign_in_as("pat@acme.test").await;
    let home = visible_text(&c.get("/portal").await.body);
    assert!(home.contains("1 supported living query is waiting for your explanation"), "{home}");
    let text = visible_text(&c.get("/portal/supported-living").await.body);
    assert!(text.contains(&format!("The council asks {} Why 95 hours for AB1?", x.period.label())), "{text}");
    let r = c.post_form(&format!("/portal/supported-living/{code}/explain"), &[("note", "")]).await;
    assert!(visible_text(&r.body).contains("Enter your explanation of the hours"));
    let r = c.post_form(&format!("/portal/supported-living/{code}/explain"), &[("note", "Extra nights after a hospital stay")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // The council recovers £150.25 and closes; the history reads in order with names and dates.
    c.sign_in_as("cam@council.test").await;
    let r = c.post_form(&action, &[("step", "recover"), ("note", "Not agreed"), ("amount", "")]).await;
    assert!(visible_text(&r.body).contains("Enter the amount to recover"));
    assert_eq!(
        c.post_form(&action, &[("step", "recover"), ("note", "Not agreed"), ("amount", "150.25")]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(c.post_form(&action, &[("step", "close"), ("note", "")]).await.status, StatusCode::SEE_OTHER);
    let text = visible_text(&c.get(&month).await.body);
    let today = caremarket_core::fees::rates::long_date(caremarket_store::today());
    for want in [
        "Status: Closed . Recovered: £150.25".to_string(),
        format!("{today} Queried Cam Holroyd Why 95 hours for AB1?"),
        format!("{today} Explained Pat Kershaw Extra nights after a hospital stay"),
        format!("{today} Recovered: £150.25 Cam Holroyd Not agreed"),
        format!("{today} Closed Cam Holroyd"),
    ] {
        assert!(text.contains(&want), "wanted «{want}» in {text}");
    }
    assert_eq!(c.post_form(&action, &[("step", "query"), ("note", "Again?")]).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_csv_with_a_bad_row_names_it_and_saves_nothing() {
    let mut c = Client::sqlite().await;
    let x = fixture(&c.store).await;
    let code = x.period.code();
    c.user("cam@council.test", Role::Commissioner, None).await;
    c.sign_in_as("cam@council.test").await;
    c.get("/fees/supported-living/upload").await.assert_ok();
    let token = c.csrf();
    let csv = format!(
        "provider_id,period,case_reference,delivered_hours\n{0},{code},AB1,60\n{0},{code},Jane Smith,10\n{1},{code},EF3,abc\n",
        x.acme, x.other
    );
    let r = c.post_file("/fees/supported-living/upload", &token, "sl.csv", &csv).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let text = visible_text(&r.body);
    assert!(text.contains("row 3: 'case_reference' Enter the person's case reference"), "{text}");
    assert!(text.contains("row 4: 'delivered_hours' The hours delivered must be hours"), "{text}");
    assert!(c.store.sl_returns(None, None).await.expect("list").is_empty());
    let csv = format!("provider_id,period,case_reference,delivered_hours\n{0},{code},AB1,60\n{1},{code},EF3,30:30\n", x.acme, x.other);
    let r = c.post_file("/fees/supported-living/upload", &token, "sl.csv", &csv).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(c.store.sl_returns(None, Some(x.period)).await.expect("list").len(), 2);
}

#[tokio::test]
async fn hours_payments_and_the_threshold_are_recorded_on_the_pages() {
    let mut c = Client::sqlite().await;
    let x = fixture(&c.store).await;
    c.user("cam@council.test", Role::Commissioner, None).await;
    c.user("bev@council.test", Role::BrokerageOfficer, None).await;
    c.sign_in_as("cam@council.test").await;

    // Commissioned hours: a name instead of a case reference and bad hours are refused, each named.
    c.get("/fees/supported-living/commissioned").await.assert_ok();
    let from = [("effective_from-day", "1"), ("effective_from-month", "4"), ("effective_from-year", "2025")];
    let mut bad = vec![
        ("provider_id", x.acme.as_str()),
        ("case_ref", "Jane Smith"),
        ("weekly_hours", "12.01"),
        ("rate_category", "community_hourly"),
    ];
    bad.extend(from);
    let r = c.post_form("/fees/supported-living/commissioned", &bad).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let text = visible_text(&r.body);
    assert!(
        text.contains("Enter the person's case reference") && text.contains("The weekly hours must be a whole number of minutes"),
        "{text}"
    );
    let mut good =
        vec![("provider_id", x.acme.as_str()), ("case_ref", "gh7"), ("weekly_hours", "10:30"), ("rate_category", "discounted_hourly")];
    good.extend(from);
    assert_eq!(c.post_form("/fees/supported-living/commissioned", &good).await.status, StatusCode::SEE_OTHER);
    let text = visible_text(&c.get("/fees/supported-living/commissioned?saved=1").await.body);
    assert!(text.contains("Acme Support Ltd GH7 10h 30m Discounted rate (supported living), hourly 1 April 2025"), "{text}");

    // Payments: totals per kind and per provider, worked out here.
    c.get("/fees/supported-living/payments").await.assert_ok();
    let pay = |kind: &'static str, amount: &'static str, day: &'static str| {
        vec![
            ("provider_id", x.acme.clone()),
            ("kind", kind.to_string()),
            ("amount", amount.to_string()),
            ("paid_on-day", day.to_string()),
            ("paid_on-month", "5".to_string()),
            ("paid_on-year", "2025".to_string()),
            ("reason", "TUPE transfer".to_string()),
        ]
    };
    for (kind, amount, day) in
        [("tupe_premium", "1,250.00", "1"), ("tupe_premium", "300.55", "9"), ("historical_reconciliation", "-99.99", "20")]
    {
        let f = pay(kind, amount, day);
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(c.post_form("/fees/supported-living/payments", &f).await.status, StatusCode::SEE_OTHER);
    }
    let f = pay("", "0", "1");
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = c.post_form("/fees/supported-living/payments", &f).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let text = visible_text(&r.body);
    assert!(text.contains("Choose what the payment is") && text.contains("The amount cannot be £0"), "{text}");
    let text = visible_text(&c.get("/fees/supported-living/payments").await.body);
    let tupe = 125_000 + 30_055;
    for want in [
        format!("Total, TUPE premium payment (2) {}", pounds(tupe, false)),
        format!("Total, Historical reconciliation (1) {}", pounds(-9_999, false)),
        format!("Total, Acme Support Ltd {}", pounds(tupe - 9_999, false)),
    ] {
        assert!(text.contains(&want), "wanted «{want}» in {text}");
    }

    // The threshold: refused out of range, saved and used; brokerage officers are refused it.
    c.get("/fees/supported-living/settings").await.assert_ok();
    let r = c.post_form("/fees/supported-living/settings", &[("threshold", "101")]).await;
    assert!(visible_text(&r.body).contains("The threshold must be 100% or less"));
    assert_eq!(c.post_form("/fees/supported-living/settings", &[("threshold", "25")]).await.status, StatusCode::SEE_OTHER);
    let text = visible_text(&c.get("/fees/supported-living").await.body);
    assert!(text.contains("more than 25.00% of the commissioned hours"), "{text}");
    // No step chosen: the officer is asked to choose.
    c.store.submit_sl_return(&Actor::system("t"), &x.other, x.period, &[("EF3".into(), 6000)], SentBy::Council).await.expect("r");
    let month = format!("/fees/supported-living/{}/{}", x.other, x.period.code());
    c.get(&month).await.assert_ok();
    let r = c.post_form(&format!("{month}/query"), &[("note", "Why?")]).await;
    assert!(visible_text(&r.body).contains("Choose what to do"));
    c.sign_in_as("bev@council.test").await;
    assert_eq!(c.get("/fees/supported-living/settings").await.status, StatusCode::FORBIDDEN);
    assert_eq!(c.post_form("/fees/supported-living/settings", &[("threshold", "50")]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(c.store.sl_threshold_bp().await.expect("threshold"), 2500);
}
