//! Budget against spend (issue 11 item 6): only commissioners and administrators see finance
//! figures, and only with ManageFees change them; a spend upload with an unknown cost centre is
//! refused naming the row and field and writes nothing; the outturn page shows each market's
//! budget, spend to date, projection, forecast and variance as a person reads them, computed
//! here from the rows the test imports; each figure links to the rows behind it, whose totals
//! add up; budgets keep their history; suppliers are matched from a search.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::{Permission, Role};
use caremarket_core::fees::budgets::{CostCentreDraft, SpendCsvRow};
use caremarket_core::register::ServiceKind;
use caremarket_store::fees::budgets::SpendFilter;
use caremarket_store::{Actor, Store};
use common::{Client, visible_text};

/// Pence as the pages show them: "£1,234.56", "-£5.00".
fn pounds(p: i64) -> String {
    let sign = if p < 0 { "-" } else { "" };
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

/// Integer division rounded half away from zero, worked here for the expected figures.
fn rounded(n: i64, d: i64) -> i64 {
    let q = (n as f64) / (d as f64);
    q.round() as i64
}

async fn centres(s: &Store) {
    let a = Actor::system("test");
    for (code, name, kind) in [("ASC-RES", "Residential", ServiceKind::CareHomeResidential), ("ASC-HC", "Home care", ServiceKind::HomeCare)]
    {
        s.save_cost_centre(&a, &CostCentreDraft { code: code.into(), name: name.into(), kind: Some(kind) }, None).await.expect("centre");
    }
}

#[tokio::test]
async fn only_commissioners_and_administrators_see_finance_figures() {
    let mut c = Client::sqlite().await;
    centres(&c.store).await;
    let provider = c.store.create_provider(&Actor::system("test"), None, "Acme Care Ltd", None, None).await.expect("provider");
    let views =
        ["/fees/budgets", "/fees/budgets/spend?year=2024", "/fees/budgets/cost-centres", "/fees/budgets/suppliers", "/fees/budgets/set"];
    for (i, role) in Role::ALL.into_iter().enumerate() {
        let email = format!("user{i}@test.gov.uk");
        c.user(&email, role, (role == Role::Provider).then_some(provider.as_str())).await;
        c.sign_in_as(&email).await;
        for path in views {
            let r = c.get(path).await;
            let want = if role.can(Permission::ViewFinance) { StatusCode::OK } else { StatusCode::FORBIDDEN };
            assert_eq!(r.status, want, "{role:?} GET {path}");
        }
        let r = c.get("/fees/budgets/upload").await;
        let may = role.can(Permission::ViewFinance) && role.can(Permission::ManageFees);
        assert_eq!(r.status, if may { StatusCode::OK } else { StatusCode::FORBIDDEN }, "{role:?} upload");
        if role.can(Permission::ViewFees) {
            let r = c.get("/fees").await;
            assert_eq!(visible_text(&r.body).contains("Budget against spend"), role.can(Permission::ViewFinance), "{role:?} menu");
        }
        c.post_form("/sign-out", &[]).await;
    }
}

#[tokio::test]
async fn an_unknown_cost_centre_is_refused_by_row_and_field_and_nothing_is_imported() {
    let c = Client::sqlite().await;
    centres(&c.store).await;
    c.user("com@test.gov.uk", Role::Commissioner, None).await;
    let csv = "Amount,Period,Cost Centre,Supplier\n100.00,2024-04,ASC-RES,Acme Care Ltd\n50,2024-04,ASC-NOPE,Beta Ltd\n12.345,2024-04,ASC-HC,Beta Ltd\n";
    let r = common::upload_csv(&c.store, "com@test.gov.uk", "/fees/budgets/upload", "/fees/budgets/upload", "ledger.csv", csv, None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let t = visible_text(&r.body);
    assert!(t.contains("There is a problem"), "{t}");
    assert!(t.contains("row 3: 'cost_centre' 'ASC-NOPE' is not one of the council's cost centres"), "{t}");
    assert!(t.contains("row 4: 'amount' '12.345' is not an amount of money"), "{t}");
    assert!(c.store.spend_rows(&SpendFilter::default()).await.expect("rows").is_empty(), "nothing half imported");
    // A file missing a column is refused whole.
    let r = common::upload_csv(
        &c.store,
        "com@test.gov.uk",
        "/fees/budgets/upload",
        "/fees/budgets/upload",
        "x.csv",
        "supplier,amount\nA,1\n",
        None,
    )
    .await;
    assert!(visible_text(&r.body).contains("The file's header row must name the columns cost_centre, period"), "{}", visible_text(&r.body));
}

#[tokio::test]
async fn the_outturn_shows_each_market_against_its_budget_and_links_to_the_rows_behind_it() {
    let mut c = Client::sqlite().await;
    centres(&c.store).await;
    c.user("com@test.gov.uk", Role::Commissioner, None).await;
    // Three months of 2024/25 (April to June): residential overspending, home care under.
    let rows: Vec<(&str, &str, &str, i64)> = vec![
        ("Acme Care Ltd", "ASC-RES", "2024-04", 70_000_000),
        ("Acme Care Ltd", "ASC-RES", "2024-05", 72_000_033),
        ("Bright Homes", "ASC-RES", "2024-06-30", 74_550_000),
        ("Bright Homes", "ASC-RES", "2024-06-30", -123_456),
        ("Beta Homecare", "ASC-HC", "2024-04", 15_000_000),
        ("Beta Homecare", "ASC-HC", "2024-06", 14_999_999),
    ];
    let mut csv = String::from("supplier,cost_centre,period,amount\n");
    for (s, cc, p, a) in &rows {
        csv.push_str(&format!("{s},{cc},{p},\"{}\"\n", pounds(*a)));
    }
    let r = common::upload_csv(&c.store, "com@test.gov.uk", "/fees/budgets/upload", "/fees/budgets/upload", "ledger.csv", &csv, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", visible_text(&r.body));
    c.sign_in_as("com@test.gov.uk").await;
    let r = c.get(r.location.as_deref().expect("to")).await;
    assert!(visible_text(&r.body).contains("6 spend rows imported"), "{}", visible_text(&r.body));

    // Budgets through the form: the first needs no reason, a change does.
    let budgets = [("care_home_residential", 800_000_000_i64), ("home_care", 200_000_000)];
    for (kind, b) in budgets {
        let r = c.post_form("/fees/budgets/set", &[("kind", kind), ("year", "2024/25"), ("amount", &pounds(b)), ("reason", "")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", visible_text(&r.body));
    }
    let r = c.post_form("/fees/budgets/set", &[("kind", "home_care"), ("year", "2024/25"), ("amount", "1"), ("reason", "")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(visible_text(&r.body).contains("Say why the budget is changing"));

    let r = c.get("/fees/budgets?year=2024").await;
    r.assert_ok();
    let t = visible_text(&r.body);
    // June is the latest month with spend: three months so far, nine left.
    let (so_far, left) = (3, 9);
    assert!(t.contains("Spend to date covers 3 months, April to June 2024; the projection covers the 9 months left"), "{t}");
    let mut totals = (0, 0, 0, 0);
    for (kind_label, cc, budget) in [("Care home (residential)", "ASC-RES", budgets[0].1), ("Home care", "ASC-HC", budgets[1].1)] {
        let to_date: i64 = rows.iter().filter(|r| r.1 == cc).map(|r| r.3).sum();
        let projection = rounded(to_date * left, so_far);
        let forecast = to_date + projection;
        let variance = forecast - budget;
        let pct = (variance.abs() as f64) * 100.0 / budget as f64;
        let words = format!("{} {} budget ({pct:.1}%)", pounds(variance.abs()), if variance > 0 { "over" } else { "under" });
        let want = format!("{kind_label} {} {} {} {} {words}", pounds(budget), pounds(to_date), pounds(projection), pounds(forecast));
        assert!(t.contains(&want), "want {want:?} in {t}");
        // In `000`'s words ("circa £98m, against a budget of £88m"): millions to two places,
        // the nearest £10,000.
        let m = |p: i64| {
            let tenk = (p + 500_000) / 1_000_000;
            format!("£{}.{:02}m", tenk / 100, tenk % 100)
        };
        let said =
            format!("{kind_label}: forecast outturn of circa {} against a budget of {}, {}", m(forecast), m(budget), words.to_lowercase());
        assert!(t.contains(&said), "want {said:?} in {t}");
        totals = (totals.0 + budget, totals.1 + to_date, totals.2 + projection, totals.3 + forecast);
    }
    let total_words = format!("{} {} budget", pounds((totals.3 - totals.0).abs()), if totals.3 > totals.0 { "over" } else { "under" });
    let want = format!("Total {} {} {} {} {total_words}", pounds(totals.0), pounds(totals.1), pounds(totals.2), pounds(totals.3));
    assert!(t.contains(&want), "want {want:?} in {t}");
    // Both types are in the quarterly report's Living and Ageing Well: its figures are their sums,
    // and its spend links to the rows of both.
    let want = format!(
        "Living and Ageing Well Care home (residential), Home care {} {} {} {total_words}",
        pounds(totals.0),
        pounds(totals.1),
        pounds(totals.3)
    );
    assert!(t.contains(&want), "want {want:?} in {t}");
    let r = c.get("/fees/budgets/spend?year=2024&market=living_and_ageing_well").await;
    let t = visible_text(&r.body);
    assert!(
        t.contains("Spend: 2024/25, Living and Ageing Well") && t.contains(&format!("Rows {} Total {}", rows.len(), pounds(totals.1))),
        "{t}"
    );
    let r = c.get("/fees/budgets?year=2024").await;

    // The rows behind residential's spend to date: by month, by supplier and each row, adding up.
    assert!(r.body.contains("/fees/budgets/spend?year=2024&amp;kind=care_home_residential"), "linked");
    let r = c.get("/fees/budgets/spend?year=2024&kind=care_home_residential").await;
    r.assert_ok();
    let t = visible_text(&r.body);
    let res: Vec<_> = rows.iter().filter(|r| r.1 == "ASC-RES").collect();
    let total: i64 = res.iter().map(|r| r.3).sum();
    assert!(t.contains(&format!("Rows {} Total {}", res.len(), pounds(total))), "{t}");
    let june: i64 = res.iter().filter(|r| r.2.starts_with("2024-06")).map(|r| r.3).sum();
    assert!(t.contains(&format!("June 2024 2 {}", pounds(june))), "{t}");
    let bright: i64 = res.iter().filter(|r| r.0 == "Bright Homes").map(|r| r.3).sum();
    assert!(t.contains(&format!("Bright Homes Not matched 2 {}", pounds(bright))), "{t}");
    assert!(
        t.contains(&format!(
            "June 2024 Bright Homes Not matched ASC-RES Residential Care home (residential) {} ledger.csv, row 5",
            pounds(-123_456)
        )),
        "{t}"
    );
    // One month, one supplier.
    let r = c.get("/fees/budgets/spend?year=2024&kind=care_home_residential&month=2024-06&supplier=bright+homes").await;
    let t = visible_text(&r.body);
    assert!(t.contains(&format!("Rows 2 Total {}", pounds(june))), "{t}");

    // The budget's history: both versions, the newest current.
    let r = c
        .post_form(
            "/fees/budgets/set",
            &[("kind", "home_care"), ("year", "2024/25"), ("amount", "2100000"), ("reason", "Winter pressures funding")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = c.get("/fees/budgets/set?kind=home_care&year=2024").await;
    let t = visible_text(&r.body);
    assert!(t.contains("Home care budget, 2024/25"), "{t}");
    assert!(t.contains("£2,100,000.00 Current Winter pressures funding") && t.contains(&pounds(budgets[1].1)), "{t}");
}

#[tokio::test]
async fn an_officer_matches_an_unknown_supplier_to_a_provider_from_a_search() {
    let mut c = Client::sqlite().await;
    centres(&c.store).await;
    let a = Actor::system("test");
    let acme = c.store.create_provider(&a, None, "Acme Care Ltd", None, None).await.expect("provider");
    let row = SpendCsvRow {
        row: 2,
        supplier: "ACME CARE LIMITED".into(),
        cost_centre: "ASC-RES".into(),
        period: "2024-04".into(),
        amount: "99.00".into(),
    };
    c.store.import_finance_spend(&a, "april.csv", &[row]).await.expect("ran").expect("ok");
    c.user("com@test.gov.uk", Role::Commissioner, None).await;
    c.sign_in_as("com@test.gov.uk").await;
    let r = c.get("/fees/budgets/suppliers").await;
    let t = visible_text(&r.body);
    assert!(t.contains("1 of 1 supplier not matched to a provider") && t.contains("ACME CARE LIMITED Not matched 1 £99.00 Match"), "{t}");
    let r = c.get("/fees/budgets/suppliers/match?key=acme+care+ltd&q=acme").await;
    r.assert_ok();
    assert!(visible_text(&r.body).contains("Which provider is ACME CARE LIMITED? Acme Care Ltd"), "{}", visible_text(&r.body));
    let r = c.post_form("/fees/budgets/suppliers/match", &[("key", "acme care ltd"), ("q", "acme"), ("provider_id", "")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(visible_text(&r.body).contains("Choose the provider the supplier is"));
    let r = c.post_form("/fees/budgets/suppliers/match", &[("key", "acme care ltd"), ("q", "acme"), ("provider_id", &acme)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = c.get("/fees/budgets/suppliers").await;
    let t = visible_text(&r.body);
    assert!(t.contains("0 of 1 supplier not matched") && t.contains("ACME CARE LIMITED Acme Care Ltd 1 £99.00 Change"), "{t}");
}
