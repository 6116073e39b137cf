//! Cost of care (issue 11 item 4): a provider sends its own return through the portal and cannot
//! see or send another's; only commissioners and administrators see the council's figures; a
//! CSV upload names each bad row and field and writes nothing; the figures page shows the count,
//! quartiles and median a person reads beside the council's rate, each computed here from the
//! returns; the calculator builds a price line by line.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::{Permission, Role};
use caremarket_core::fees::cost_of_care::{CostReturnDraft, HOME_CARE_LINES};
use caremarket_core::fees::{RateCategory, RateDraft, RateLevel};
use caremarket_core::register::{ContractStatus, ServiceKind};
use caremarket_store::fees::cost_of_care::{CostReturnFilter, SentBy};
use caremarket_store::register::NewService;
use caremarket_store::{Actor, Store};
use common::{Client, visible_text};
use jiff::civil::date;

fn service(provider_id: &str, name: &str, kind: ServiceKind) -> NewService {
    NewService {
        town: Some("Testham".into()),
        postcode: None,
        local_authority: None,
        beds: Some(30),
        contract_status: ContractStatus::NotContracted,
        ..caremarket_testkit::service(provider_id, name, kind)
    }
}

struct Fixture {
    acme: String,
    other: String,
    acme_agency: String,
    acme_home: String,
    other_agency: String,
}

async fn fixture(s: &Store) -> Fixture {
    let a = Actor::system("test");
    let acme = s.create_provider(&a, None, "Acme Care Ltd", None, None).await.expect("p");
    let other = s.create_provider(&a, None, "Other Care Ltd", None, None).await.expect("p");
    let acme_agency = s.create_service(&a, &service(&acme, "Acme Home Care", ServiceKind::HomeCare)).await.expect("s");
    let acme_home = s.create_service(&a, &service(&acme, "Acme House", ServiceKind::CareHomeResidential)).await.expect("s");
    let other_agency = s.create_service(&a, &service(&other, "Other Home Care", ServiceKind::HomeCare)).await.expect("s");
    Fixture { acme, other, acme_agency, acme_home, other_agency }
}

/// The current financial year as the portal lists it, "2025/26".
fn this_year() -> (i32, String) {
    let y = caremarket_core::fees::cost_of_care::year_of(caremarket_store::today());
    (y, format!("{y}/{:02}", (y + 1) % 100))
}

/// Pence as the pages show them: "£1,234.56".
fn pounds(p: i64) -> String {
    let whole = (p / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("£{grouped}.{:02}", p % 100)
}

/// The p-quantile by linear interpolation between closest ranks (Excel's QUARTILE.INC), in
/// floating point, rounded half up to the penny.
fn quantile(values: &[i64], p: f64) -> i64 {
    let mut s = values.to_vec();
    s.sort();
    let h = (s.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(s.len() - 1);
    (s[lo] as f64 + (h - lo as f64) * (s[hi] - s[lo]) as f64 + 0.5).floor() as i64
}

#[tokio::test]
async fn only_commissioners_see_the_figures_and_a_provider_only_its_own_returns() {
    let mut c = Client::sqlite().await;
    let x = fixture(&c.store).await;
    let (year, _) = this_year();
    let draft = CostReturnDraft {
        kind: None,
        year: year.to_string(),
        amounts: HOME_CARE_LINES.iter().map(|l| (l.as_str().to_string(), "2.00".to_string())).collect(),
    };
    let (other_return, _) = c
        .store
        .submit_cost_return(
            &Actor::system("test"),
            &x.other_agency,
            &draft,
            SentBy::Council,
            None,
            date(2025, 12, 4).max(caremarket_store::today()),
        )
        .await
        .expect("r");
    let views = [
        "/fees/cost-of-care".to_string(),
        "/fees/cost-of-care/calculator".into(),
        format!("/fees/cost-of-care/returns?kind=home_care&year={year}&line=total"),
        format!("/fees/cost-of-care/returns/{other_return}"),
    ];
    for (i, role) in Role::ALL.into_iter().enumerate() {
        let email = format!("user{i}@test.gov.uk");
        let provider = (role == Role::Provider).then_some(x.acme.as_str());
        c.user(&email, role, provider).await;
        c.sign_in_as(&email).await;
        for path in &views {
            let r = c.get(path).await;
            if role.can(Permission::ViewCostOfCare) {
                assert_eq!(r.status, StatusCode::OK, "{role:?} GET {path}");
            } else {
                assert_eq!(r.status, StatusCode::FORBIDDEN, "{role:?} GET {path}");
            }
        }
        for role_refused in [Role::BrokerageOfficer, Role::Viewer, Role::Provider] {
            assert!(!role_refused.can(Permission::ViewCostOfCare));
        }
        // The fees menu offers Cost of care only to those who may see it.
        if role.can(Permission::ViewFees) {
            let r = c.get("/fees").await;
            assert_eq!(r.body.contains("cost-of-care\">Cost of care</a>"), role.can(Permission::ViewCostOfCare), "{role:?} menu");
        }
        c.post_form("/sign-out", &[]).await;
    }
    // Acme's user cannot open Other's return in the portal: "not found", as if it did not exist.
    c.sign_in_as(&format!("user{}@test.gov.uk", Role::ALL.iter().position(|r| *r == Role::Provider).expect("provider"))).await;
    assert_eq!(c.get(&format!("/portal/cost-of-care/{other_return}")).await.status, StatusCode::NOT_FOUND);
    let r = c.get("/portal/cost-of-care").await;
    assert!(!visible_text(&r.body).contains("Other Home Care"), "another provider's service is not offered");
}

#[tokio::test]
async fn a_provider_sends_its_own_return_through_the_portal_and_sends_it_again() {
    let mut c = Client::sqlite().await;
    let x = fixture(&c.store).await;
    c.user_named("pat@acme.test", "Pat Provider", Role::Provider, Some(&x.acme)).await;
    c.sign_in_as("pat@acme.test").await;
    let (year, year_label) = this_year();
    let r = c.get("/portal/cost-of-care").await;
    r.assert_ok();
    let t = visible_text(&r.body);
    assert!(t.contains("You have not sent any cost of care returns yet"), "{t}");
    assert!(t.contains("Acme Home Care (home care)") && t.contains("Acme House (care home (residential))"), "{t}");

    // Step one refused without a service; then the home care lines for the agency.
    let r = c.get("/portal/cost-of-care/return?service_id=&year=").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let t = visible_text(&r.body);
    assert!(t.contains("Choose the service the return is for") && t.contains("Enter the financial year"), "{t}");
    let r = c.get(&format!("/portal/cost-of-care/return?service_id={}&year={year_label}", x.acme_agency)).await;
    r.assert_ok();
    let t = visible_text(&r.body);
    for l in HOME_CARE_LINES {
        assert!(t.contains(l.label()), "{} missing", l.label());
    }
    // Another provider's service: refused, as if it did not exist.
    let r = c.get(&format!("/portal/cost-of-care/return?service_id={}&year={year_label}", x.other_agency)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // A negative line and a blank one, each named; nothing saved.
    let amounts = ["12.60", "2.65", "2.03", "1.47", "0.48", "1.84", "0.35", "0.40", "3.90", "0.10", "0.15", "1.28"];
    let mut fields: Vec<(&str, &str)> = vec![("service_id", &x.acme_agency), ("year", &year_label)];
    fields.extend(HOME_CARE_LINES.iter().zip(amounts).map(|(l, a)| (l.as_str(), a)));
    let mut bad = fields.clone();
    bad[2 + 3].1 = "-1.47";
    bad[2 + 4].1 = "";
    let r = c.post_form("/portal/cost-of-care/return", &bad).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let t = visible_text(&r.body);
    assert!(t.contains("There is a problem"), "{t}");
    assert!(t.contains("Employer National Insurance cannot be negative; found '-1.47'"), "{t}");
    assert!(t.contains("Enter the amount for pension (0 if none)"), "{t}");
    assert!(r.body.contains("href=\"#employer_national_insurance\""), "summary links to the field");
    assert!(c.store.cost_returns(&CostReturnFilter::default()).await.expect("list").is_empty());

    // Sending another provider's service by changing the hidden field: refused.
    let mut theirs = fields.clone();
    theirs[0].1 = &x.other_agency;
    let r = c.post_form("/portal/cost-of-care/return", &theirs).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(c.store.cost_returns(&CostReturnFilter::default()).await.expect("list").is_empty());

    // Sent.
    let r = c.post_form("/portal/cost-of-care/return", &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = c.get(r.location.as_deref().expect("to")).await;
    let t = visible_text(&r.body);
    assert!(t.contains(&format!("Cost of care return sent for Acme Home Care, {year_label}")), "{t}");
    let total: i64 = amounts.iter().map(|a| (a.parse::<f64>().expect("n") * 100.0).round() as i64).sum();
    assert!(t.contains(&format!("{} an hour", pounds(total))), "total {total}: {t}");

    // Sent again: the form is filled in from the first; the new figures replace it.
    let r = c.get(&format!("/portal/cost-of-care/return?service_id={}&year={year_label}", x.acme_agency)).await;
    assert!(visible_text(&r.body).contains("You have already sent a return for this service and year"));
    assert!(r.body.contains("value=\"12.60\""));
    let mut again = fields.clone();
    again[2].1 = "13.00";
    let r = c.post_form("/portal/cost-of-care/return", &again).await;
    let r = c.get(r.location.as_deref().expect("to")).await;
    assert!(visible_text(&r.body).contains("it replaces the one you sent before"));
    let all = c.store.cost_returns(&CostReturnFilter { year: Some(year), ..Default::default() }).await.expect("list");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].total_pence, total + 40);
    assert_eq!(all[0].sent_by_label, "Pat Provider");
}

#[tokio::test]
async fn a_csv_upload_names_each_bad_row_and_writes_nothing() {
    let mut c = Client::sqlite().await;
    let x = fixture(&c.store).await;
    c.user("com@test.gov.uk", Role::Commissioner, None).await;
    let (year, year_label) = this_year();
    let mut good = String::from("service_id,year,line,amount\n");
    for (i, l) in
        ["care_staff", "nursing_staff", "other_staff", "non_staff_costs", "return_on_capital", "return_on_operations"].iter().enumerate()
    {
        good.push_str(&format!("{},{year_label},{l},{}\n", x.acme_home, 100 + i));
    }
    let mut bad = good.clone();
    bad.push_str(&format!("{},{year_label},mileage,1.20\n", x.acme_home)); // row 8: a home care line on a care home
    bad.push_str(&format!("no-such-service,{year_label},care_staff,400\n")); // row 9
    bad.push_str(&format!("{},{year_label},care_staff,-5\n", x.other_agency)); // row 10: wrong kind's line and negative
    let r = common::upload_csv(
        &c.store,
        "com@test.gov.uk",
        "/fees/cost-of-care/upload",
        "/fees/cost-of-care/upload",
        "returns.csv",
        &bad,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let t = visible_text(&r.body);
    assert!(t.contains("row 8: 'line' 'mileage' is not a line of care home costs"), "{t}");
    assert!(t.contains("row 9: 'service_id' 'no-such-service' is not a service in the register"), "{t}");
    assert!(t.contains("row 10: 'line' 'care_staff' is not a line of home care costs"), "{t}");
    assert!(t.contains("row 10: 'amount' cannot be negative; found '-5'"), "{t}");
    assert!(c.store.cost_returns(&CostReturnFilter::default()).await.expect("list").is_empty(), "nothing written");

    let r = common::upload_csv(
        &c.store,
        "com@test.gov.uk",
        "/fees/cost-of-care/upload",
        "/fees/cost-of-care/upload",
        "returns.csv",
        &good,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    c.sign_in_as("com@test.gov.uk").await;
    let r = c.get(r.location.as_deref().expect("to")).await;
    let t = visible_text(&r.body);
    assert!(t.contains("1 cost of care return saved"), "{t}");
    let saved = c.store.cost_returns(&CostReturnFilter { year: Some(year), ..Default::default() }).await.expect("list");
    assert_eq!(saved[0].total_pence, (0..6).map(|i| (100 + i) * 100).sum::<i64>());
}

#[tokio::test]
async fn the_figures_page_shows_quartiles_and_median_beside_the_council_rate() {
    let mut c = Client::sqlite().await;
    let x = fixture(&c.store).await;
    let a = Actor::system("test");
    let (year, year_label) = this_year();
    let today = caremarket_store::today();
    // Seven home care returns from seven agencies: each line `base` pence plus the line's place.
    let bases = [180, 150, 210, 195, 160, 240, 175];
    let mut totals = Vec::new();
    let mut mileages = Vec::new();
    for (i, base) in bases.iter().enumerate() {
        let s = c.store.create_service(&a, &service(&x.other, &format!("Agency {i}"), ServiceKind::HomeCare)).await.expect("s");
        let amounts: Vec<i64> = (0..12).map(|k| base + k * (i as i64 + 1)).collect();
        totals.push(amounts.iter().sum::<i64>());
        mileages.push(amounts[2]);
        let draft = CostReturnDraft {
            kind: None,
            year: year.to_string(),
            amounts: HOME_CARE_LINES
                .iter()
                .zip(&amounts)
                .map(|(l, p)| (l.as_str().to_string(), format!("{}.{:02}", p / 100, p % 100)))
                .collect(),
        };
        c.store.submit_cost_return(&a, &s, &draft, SentBy::Council, None, today).await.expect("return");
    }
    // The council's home care rate, in force today.
    c.store
        .add_fee_rate(
            &a,
            &RateDraft {
                level: Some(RateLevel::Council),
                kind: Some(ServiceKind::HomeCare),
                category: Some(RateCategory::Hourly),
                lot_id: None,
                provider_id: None,
                amount: "23.10".into(),
                effective_from: Some(date(2020, 4, 1)),
                reason: String::new(),
            },
        )
        .await
        .expect("rate");
    c.user("com@test.gov.uk", Role::Commissioner, None).await;
    c.sign_in_as("com@test.gov.uk").await;
    let r = c.get(&format!("/fees/cost-of-care?year={year}")).await;
    r.assert_ok();
    let t = visible_text(&r.body);
    let (lower, median, upper) = (quantile(&totals, 0.25), quantile(&totals, 0.5), quantile(&totals, 0.75));
    let want = format!("Total 7 {} {} {}", pounds(lower), pounds(median), pounds(upper));
    assert!(t.contains(&want), "want {want:?} in {t}");
    let mileage = format!(
        "Mileage 7 {} {} {}",
        pounds(quantile(&mileages, 0.25)),
        pounds(quantile(&mileages, 0.5)),
        pounds(quantile(&mileages, 0.75))
    );
    assert!(t.contains(&mileage), "want {mileage:?} in {t}");
    assert!(t.contains(&format!("Cost of care, {year_label}")));
    assert!(t.contains("QUARTILE.INC"), "the method is stated");
    let diff = 2310 - median;
    let said = if diff > 0 {
        format!("{} more than the median total of {}", pounds(diff), pounds(median))
    } else {
        format!("{} less than the median total of {}", pounds(-diff), pounds(median))
    };
    assert!(t.contains("The council's rate in force today is £23.10 an hour") && t.contains(&said), "want {said:?} in {t}");
    // Every figure links to the returns behind it; the median's returns say so.
    let href = format!("/fees/cost-of-care/returns?kind=home_care&amp;year={year}&amp;line=total");
    assert!(r.body.contains(&href.replace('/', "&#x2f;")) || r.body.contains(&href), "links to the returns");
    let r = c.get(&format!("/fees/cost-of-care/returns?kind=home_care&year={year}&line=total")).await;
    r.assert_ok();
    let t = visible_text(&r.body);
    let mut sorted = totals.clone();
    sorted.sort();
    // Seven returns: the median is the 4th; the quartiles lie between the 2nd and 3rd, 5th and 6th.
    let agency = |v: i64| totals.iter().position(|t| *t == v).expect("i");
    assert!(t.contains(&format!("4 Agency {} Other Care Ltd {} Median", agency(sorted[3]), pounds(sorted[3]))), "{t}");
    assert!(t.contains(&format!("2 Agency {} Other Care Ltd {} Lower quartile", agency(sorted[1]), pounds(sorted[1]))), "{t}");
    assert!(t.contains(&format!("3 Agency {} Other Care Ltd {} Lower quartile", agency(sorted[2]), pounds(sorted[2]))), "{t}");
    // A return, line by line.
    let one = c.store.cost_returns(&CostReturnFilter::default()).await.expect("list").remove(0);
    let r = c.get(&format!("/fees/cost-of-care/returns/{}", one.id)).await;
    let t = visible_text(&r.body);
    assert!(t.contains(&format!("Total {}", pounds(one.total_pence))) && t.contains("Care worker pay (contact time)"), "{t}");
}

#[tokio::test]
async fn the_calculator_builds_a_price_and_names_bad_input() {
    let mut c = Client::sqlite().await;
    c.user("com@test.gov.uk", Role::Commissioner, None).await;
    c.sign_in_as("com@test.gov.uk").await;
    let r = c.get("/fees/cost-of-care/calculator").await;
    r.assert_ok();
    assert!(visible_text(&r.body).contains("rounded to the nearest penny, halves up"), "rounding stated");
    let q = "pay_rate=12.00&travel_minutes=15&miles=5&pence_per_mile=30&employer_ni=10&pension=3&holiday=12.07&training=0.30&supervision=0.20&back_office=4&registration_fees=0.10&insurance=0.20&margin=4";
    let r = c.get(&format!("/fees/cost-of-care/calculator?{q}")).await;
    r.assert_ok();
    // Worked from the inputs: pay 1200; travel 1200 × 15/60 = 300; mileage 5 × 30 = 150;
    // holiday 1500 × 12.07% = 181.05 → 181; NI (1500 + 181) × 10% = 168.1 → 168;
    // pension 1681 × 3% = 50.43 → 50; then 30, 20, 400, 10, 20; margin 4% of the sum.
    let before = 1200 + 300 + 150 + 181 + 168 + 50 + 30 + 20 + 400 + 10 + 20;
    let margin = (before as f64 * 0.04 + 0.5).floor() as i64;
    let total = before + margin;
    let t = visible_text(&r.body);
    assert!(t.contains(&format!("A price of {} an hour", pounds(total))), "{} in {t}", pounds(total));
    assert!(
        t.contains("Holiday pay £1.81")
            && t.contains("Employer National Insurance £1.68")
            && t.contains(&format!("Return on operations {}", pounds(margin))),
        "{t}"
    );
    assert!(t.contains("The council has no home care rate in force today"), "{t}");
    let r = c.get("/fees/cost-of-care/calculator?pay_rate=abc&travel_minutes=90&margin=-2").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let t = visible_text(&r.body);
    assert!(t.contains("The pay rate must be a number with up to two decimal places, like 12.60"), "{t}");
    assert!(t.contains("Travel minutes must be 60 or less") && t.contains("Return on operations cannot be negative"), "{t}");
}
