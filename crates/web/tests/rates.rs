//! The rate tools: the PA Rates Decision Making Tool shows every line with the statutory year;
//! the Provider Rates Tool says usual range / reasonable preference / top-up with the evidence.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use common::Client;

#[tokio::test]
async fn pa_rates_tool_shows_every_line() {
    let mut c = Client::sqlite().await;
    c.user("comm@test.gov.uk", Role::Commissioner, None).await;
    c.sign_in_as("comm@test.gov.uk").await;
    let r = c.get("/rates/pa").await;
    r.assert_ok();
    let text = |r: &common::Res| r.body.replace("&#x2f;", "/").replace("&#x27;", "'");
    assert!(text(&r).contains("Statutory defaults 2026/27") && r.contains("£12.71"), "cards with NLW");
    let r = c.get("/rates/pa?card=Statutory+defaults+2026%2F27&complexity=standard&hours_per_week=20&unsocial_hours_per_week=0&sleep_ins_per_week=0&driving=0").await;
    r.assert_ok();
    for line in [
        "Base pay",
        "Holiday pay",
        "Employer National Insurance",
        "Workplace pension",
        "Employer's liability insurance",
        "Payroll service fee",
    ] {
        assert!(text(&r).contains(line), "{line}: {}", r.body);
    }
    assert!(r.contains("PA pay £13.25 an hour"), "{}", r.body);
    assert!(text(&r).contains("statutory figures 2026/27"));
    // 26,500 + 3,199 + 3,015 + 531 + 231 + 346 = 33,822 a week over 20 hours = £16.91.
    assert!(r.contains("Direct payment rate £16.91 an hour"), "{}", r.body);
    assert!(!text(&r).contains("Less Employment Allowance"));
    // Employment Allowance (issue 16 item 12): £30.15 a week of employer NI is £1,567.80 a year,
    // within the £10,500 allowance, so all of it goes: 33,822 - 3,015 = 30,807 a week over 20
    // hours = £15.40 an hour.
    let r =
        c.get("/rates/pa?card=Statutory+defaults+2026%2F27&complexity=standard&hours_per_week=20&driving=0&employment_allowance=1").await;
    r.assert_ok();
    assert!(text(&r).contains("Less Employment Allowance") && r.contains("-£30.15"), "{}", r.body);
    assert!(r.contains("Direct payment rate £15.40 an hour"), "{}", r.body);
    let r = c.get("/rates/pa?complexity=standard&hours_per_week=0").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("Enter the hours of support a week"));
}

#[tokio::test]
async fn provider_rates_tool_decides_with_evidence() {
    let mut c = Client::sqlite().await;
    c.user("dpo@test.gov.uk", Role::DirectPaymentsOfficer, None).await;
    c.sign_in_as("dpo@test.gov.uk").await;
    c.get("/rates/providers").await.assert_ok();
    let r = c.get("/rates/providers?service_type=home_care&price=25&units=10").await;
    assert!(r.contains("Not enough evidence"), "{}", r.body);
    for (i, fee) in ["22.00", "23.00", "23.50", "24.00", "24.50", "25.00", "26.00", "27.00", "29.00", "32.00"].iter().enumerate() {
        let name = format!("Agency {i}");
        let r = c
            .post_form(
                "/rates/providers/fees",
                &[
                    ("service_type", "home_care"),
                    ("provider_name", &name),
                    ("fee", fee),
                    ("gathered_on-day", "1"),
                    ("gathered_on-month", "5"),
                    ("gathered_on-year", "2024"),
                    ("source", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let r = c
        .post_form(
            "/rates/providers/fees",
            &[
                ("service_type", "home_care"),
                ("provider_name", "Neg"),
                ("fee", "-3"),
                ("gathered_on-day", "1"),
                ("gathered_on-month", "5"),
                ("gathered_on-year", "2024"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = c.get("/rates/providers?service_type=home_care&price=25&units=10").await;
    assert!(r.contains("Within the usual range") && r.contains("£23.63 to £26.75"), "{}", r.body);
    let r = c.get("/rates/providers?service_type=home_care&price=28&units=10").await;
    assert!(r.contains("A reasonable preference"), "{}", r.body);
    let r = c.get("/rates/providers?service_type=home_care&price=30&units=12").await;
    assert!(r.contains("Needs a top-up") && r.contains("Top-up: £3.25 per unit, £39.00 a week"), "{}", r.body);
    assert!(r.contains("Agency 9") && r.contains("£32.00"), "evidence listed");
}

#[tokio::test]
async fn rate_tools_are_refused_to_other_roles() {
    let mut c = Client::sqlite().await;
    c.user("view@test.gov.uk", Role::Viewer, None).await;
    c.sign_in_as("view@test.gov.uk").await;
    for path in ["/rates/pa", "/rates/providers"] {
        assert_eq!(c.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    // Commissioners use the tools but do not add fees or cards.
    c.user("comm@test.gov.uk", Role::Commissioner, None).await;
    c.sign_in_as("comm@test.gov.uk").await;
    c.get("/rates/providers").await.assert_ok();
    let r = c.post_form("/rates/providers/fees", &[("service_type", "home_care"), ("provider_name", "A"), ("fee", "20")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
