//! Direct payments through the browser's routes: recording (with negative budgets and names
//! refused), ending (end before start refused), spend import (row-numbered errors, nothing
//! half-imported, spend on a closed DP refused), monitoring and reclaims, the Self-Directed
//! Support figures with drill-down, the RPL and exit plans, and who may see what.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::direct_payments::{BudgetPeriod, DpDraft, Holding};
use caremarket_core::versions::Version;
use caremarket_store::Actor;
use caremarket_store::direct_payments::NewDirectPayment;
use common::Client;

async fn dp_officer() -> Client {
    let mut c = Client::sqlite().await;
    c.user("dpo@test.gov.uk", Role::DirectPaymentsOfficer, None).await;
    c.sign_in_as("dpo@test.gov.uk").await;
    c
}

fn dp_fields<'a>(person_ref: &'a str, budget: &'a str, day: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("person_ref", person_ref),
        ("is_child", "0"),
        ("service_area", "older_people"),
        ("budget", budget),
        ("budget_period", "weekly"),
        ("holding", "own_account"),
        ("mm_provider_id", ""),
        ("start_date-day", day),
        ("start_date-month", "1"),
        ("start_date-year", "2024"),
        ("officer_id", ""),
    ]
}

/// Upload a CSV as a browser does (multipart), signed in as `email`: its own cookie jar, since
/// the shared client only sends urlencoded forms.
async fn upload(c: &mut Client, email: &str, csv: &str) -> common::Res {
    common::upload_csv(&c.store, email, "/direct-payments/spend/import", "/direct-payments/spend/import", "spend.csv", csv, None).await
}

#[tokio::test]
async fn record_a_direct_payment_refusing_bad_input() {
    let mut c = dp_officer().await;
    let r = c.get("/direct-payments/new").await;
    r.assert_ok();
    assert!(r.contains("Learning Disabilities") && r.contains("Reablement"), "service areas offered");

    // A negative budget: 400, a clear message, and what was typed kept.
    let r = c.post_form("/direct-payments/new", &dp_fields("AB123", "-250", "10")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("The budget must be more than £0"), "{}", r.body);
    assert!(r.contains("value=\"AB123\""));
    // A name instead of a reference.
    let r = c.post_form("/direct-payments/new", &dp_fields("Jane Smith", "250", "10")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("not their name"));

    let r = c.post_form("/direct-payments/new", &dp_fields("AB123", "250.00", "10")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let loc = r.location.clone().expect("location");
    let r = c.get(&loc).await;
    r.assert_ok();
    assert!(r.contains("Direct payment recorded") && r.contains("£250.00 per week") && r.contains("Older People"));
    assert!(r.contains("3-month check-in call: 2024-04-10"), "check-in due 3 months after start: {}", r.body);
    let id = loc.trim_start_matches("/direct-payments/").trim_end_matches("?recorded=1").to_string();

    // End before start is refused; then ended with a reason.
    let end = |d: &'static str, m: &'static str, y: &'static str, reason: &'static str| {
        vec![("end_date-day", d), ("end_date-month", m), ("end_date-year", y), ("closure_reason", reason)]
    };
    c.get(&format!("/direct-payments/{id}/end")).await.assert_ok();
    let r = c.post_form(&format!("/direct-payments/{id}/end"), &end("1", "12", "2023", "deceased")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("The end date must be on or after the start date"), "{}", r.body);
    let r = c.post_form(&format!("/direct-payments/{id}/end"), &end("31", "3", "2024", "council_arranged")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = c.get("/direct-payments?status=ended").await;
    assert!(r.contains("Moved to a council-arranged service") && r.contains("AB123"));
    let r = c.get("/direct-payments").await;
    assert!(!r.contains("AB123"), "open list excludes ended");
}

#[tokio::test]
async fn spend_import_reports_rows_and_imports_nothing_half_way() {
    let mut c = dp_officer().await;
    let a = Actor::system("test");
    let mk = |r: &str, start: &str| NewDirectPayment {
        draft: DpDraft {
            person_ref: r.into(),
            service_area: "mental_health".into(),
            is_child: false,
            budget_pence: 20_000,
            budget_period: BudgetPeriod::Weekly,
            holding: Holding::PrepaidCard,
            mm_provider_id: None,
            start_date: start.parse().expect("date"),
        },
        officer_id: None,
        equality: Default::default(),
    };
    let open = c.store.create_direct_payment(&a, &mk("SP100", "2024-01-01")).await.expect("dp");
    let closed = c.store.create_direct_payment(&a, &mk("SP101", "2024-01-01")).await.expect("dp");
    c.store.end_direct_payment(&a, &closed, "2024-02-29".parse().expect("d"), "other", Version::FIRST).await.expect("end");

    let bad = "date,dp,amount,category\n2024-02-01,SP100,120.00,Personal Assistants\n2024-03-05,SP101,40.00,Transport\n2024-02-02,SP100,12x,Activities\n";
    let r = upload(&mut c, "dpo@test.gov.uk", bad).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.contains("Nothing was imported: 2 rows need to fix"), "{}", r.body);
    assert!(r.contains("Row 3: the direct payment closed on 2024-02-29"), "spend on a closed DP: {}", r.body);
    assert!(r.contains("Row 4: &#x27;amount&#x27;") || r.contains("Row 4: 'amount'"), "{}", r.body);
    assert!(c.store.dp_spend(&open).await.expect("spend").1.is_empty(), "nothing half-imported");

    let good = "Date,DP,Amount,Category\n2024-02-01,SP100,120.00,Personal Assistants\n2024-02-15,SP101,40.00,Transport\n";
    let r = upload(&mut c, "dpo@test.gov.uk", good).await;
    r.assert_ok();
    assert!(r.contains("Imported 2 rows of spend totalling £160.00"), "{}", r.body);
    let r = c.get(&format!("/direct-payments/{open}")).await;
    assert!(r.contains("Personal Assistants") && r.contains("£120.00"));
}

#[tokio::test]
async fn monitoring_surplus_and_reclaim_totals() {
    let mut c = dp_officer().await;
    c.post_form("/direct-payments/new", &dp_fields("MN200", "250", "15")).await;
    let id = c.store.direct_payments(&Default::default()).await.expect("list").items[0].id.clone();
    let r = c.get("/direct-payments/monitoring?days=3650").await;
    r.assert_ok();
    assert!(r.contains("No named officer") && r.contains("MN200") && r.contains("Overdue"), "{}", r.body);

    c.get(&format!("/direct-payments/{id}")).await;
    let fin = |req: &'static str| {
        vec![
            ("kind", "financial"),
            ("completed_on-day", "1"),
            ("completed_on-month", "10"),
            ("completed_on-year", "2024"),
            ("period_start-day", "15"),
            ("period_start-month", "1"),
            ("period_start-year", "2024"),
            ("period_end-day", "30"),
            ("period_end-month", "9"),
            ("period_end-year", "2024"),
            ("balance", "3400"),
            ("requested", req),
            ("notes", ""),
        ]
    };
    let r = c.post_form(&format!("/direct-payments/{id}/monitoring"), &fin("2500")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("cannot be more than the surplus of £2,400.00"), "{}", r.body);
    let r = c.post_form(&format!("/direct-payments/{id}/monitoring"), &fin("2400")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = c.get(&format!("/direct-payments/{id}")).await;
    assert!(r.contains("Surplus £2,400.00") && r.contains("allowed contingency £1,000.00 (4 weeks)"), "{}", r.body);
    let mid = c.store.monitoring_for(&id).await.expect("recs")[0].id.clone();
    let r = c
        .post_form(
            &format!("/direct-payments/monitoring/{mid}/returned"),
            &[("dp_id", &id), ("returned", "2000"), ("returned_on-day", "20"), ("returned_on-month", "10"), ("returned_on-year", "2024")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = c.get("/direct-payments/reclaims").await;
    r.assert_ok();
    assert!(r.contains("£2,400 requested back and £2,000 returned (83.3%)"), "{}", r.body);
}

#[tokio::test]
async fn figures_for_commissioners_records_for_dp_roles_only() {
    let mut c = Client::sqlite().await;
    let a = Actor::system("test");
    let id = c
        .store
        .create_direct_payment(
            &a,
            &NewDirectPayment {
                draft: DpDraft {
                    person_ref: "FG300".into(),
                    service_area: "learning_disabilities".into(),
                    is_child: false,
                    budget_pence: 10_000,
                    budget_period: BudgetPeriod::Weekly,
                    holding: Holding::OwnAccount,
                    mm_provider_id: None,
                    start_date: "2020-01-01".parse().expect("d"),
                },
                officer_id: None,
                equality: Default::default(),
            },
        )
        .await
        .expect("dp");
    c.store.set_long_term_support(&a, 4).await.expect("lts");
    c.user("comm@test.gov.uk", Role::Commissioner, None).await;
    c.user("view@test.gov.uk", Role::Viewer, None).await;
    c.user("qa@test.gov.uk", Role::QualityOfficer, None).await;
    c.user("dpo@test.gov.uk", Role::DirectPaymentsOfficer, None).await;

    c.sign_in_as("comm@test.gov.uk").await;
    let r = c.get("/direct-payments").await;
    assert_eq!(r.location.as_deref(), Some("/direct-payments/figures"), "commissioners go to the figures");
    let r = c.get("/direct-payments/figures").await;
    r.assert_ok();
    assert!(r.contains("<strong>1</strong> adults have a direct payment: <strong>25.0%</strong>"), "{}", r.body);
    assert!(r.contains("role=\"img\"") && r.contains("Ended direct payments by closure reason"), "chart");
    assert!(!r.contains("FG300") && !r.contains("?child=0\">"), "no records or drill-down for commissioners");
    for path in
        [format!("/direct-payments/{id}"), "/direct-payments/monitoring".into(), "/direct-payments/reclaims".into(), "/pa-register".into()]
    {
        assert_eq!(c.get(&path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    for who in ["view@test.gov.uk", "qa@test.gov.uk"] {
        c.sign_in_as(who).await;
        for path in
            [format!("/direct-payments/{id}"), "/direct-payments".into(), "/direct-payments/figures".into(), "/direct-payments/new".into()]
        {
            assert_eq!(c.get(&path).await.status, StatusCode::FORBIDDEN, "{who} {path}");
        }
    }
    c.sign_in_as("dpo@test.gov.uk").await;
    let r = c.get("/direct-payments/figures").await;
    assert!(r.contains("?child=0\">1</a>"), "drill-down for DP roles: {}", r.body);
    let r = c.get("/direct-payments?child=0").await;
    assert!(r.contains("FG300") && r.contains("1 direct payment"));
}

#[tokio::test]
async fn rpl_removal_opens_an_exit_plan() {
    let mut c = dp_officer().await;
    let a = Actor::system("test");
    let p = c.store.create_provider(&a, None, "Ledger Money Management", None, None).await.expect("provider");
    c.store
        .create_service(
            &a,
            &caremarket_store::register::NewService {
                town: None,
                postcode: None,
                local_authority: None,
                registration_status: "not_registered".into(),
                contract_status: caremarket_core::register::ContractStatus::RecognisedProviderList,
                ..caremarket_testkit::service(p.clone(), "Ledger Money Management", caremarket_core::register::ServiceKind::MoneyManagement)
            },
        )
        .await
        .expect("service");
    let mut f = dp_fields("RP400", "100", "5");
    f.retain(|(k, _)| *k != "holding" && *k != "mm_provider_id");
    f.push(("holding", "managed_account"));
    f.push(("mm_provider_id", &p));
    c.get("/direct-payments/new").await;
    let r = c.post_form("/direct-payments/new", &f).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = c.get("/direct-payments/rpl").await;
    assert!(r.contains("Ledger Money Management") && r.contains("Overdue"), "{}", r.body);
    c.get(&format!("/direct-payments/rpl/{p}")).await.assert_ok();
    let r = c
        .post_form(
            &format!("/direct-payments/rpl/{p}/qa"),
            &[
                ("assessed_on-day", "1"),
                ("assessed_on-month", "2"),
                ("assessed_on-year", "2024"),
                ("result", "does_not_meet"),
                ("notes", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    c.get(&format!("/direct-payments/rpl/{p}")).await;
    let r = c
        .post_form(
            &format!("/direct-payments/rpl/{p}/remove"),
            &[("reason", "Failed QA"), ("planned", "1"), ("target_date-day", ""), ("target_date-month", ""), ("target_date-year", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let plan = r.location.clone().expect("plan");
    let r = c.get(&plan).await;
    r.assert_ok();
    assert!(r.contains("RP400") && r.contains("1 of 1 people still to move"), "{}", r.body);
}

#[tokio::test]
async fn isfs_are_recorded_with_positive_budgets() {
    let mut c = dp_officer().await;
    let p = c.store.create_provider(&Actor::system("t"), None, "Hearth Support", None, None).await.expect("p");
    c.get("/direct-payments/isfs").await.assert_ok();
    let f = |b: &'static str| {
        vec![
            ("person_ref", "IS500"),
            ("provider_id", p.as_str()),
            ("budget", b),
            ("budget_period", "monthly"),
            ("start_date-day", "1"),
            ("start_date-month", "4"),
            ("start_date-year", "2024"),
        ]
    };
    let r = c.post_form("/direct-payments/isfs", &f("-10")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("cannot be negative"));
    let r = c.post_form("/direct-payments/isfs", &f("900")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = c.get("/direct-payments/isfs").await;
    assert!(r.contains("IS500") && r.contains("Hearth Support") && r.contains("£900.00 per month"));
}
