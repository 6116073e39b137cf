//! Money limits (issue 16 item 16) as officers meet them: a reclaim never more than was paid
//! into the direct payment; a reclaim above the recorder's limit waits for a second officer
//! whose limit covers it; card spend in a blocked merchant category is flagged and reviewed; an
//! administrator sets the limits. Every figure is worked out here from the records made.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::direct_payments::{BudgetPeriod, DpDraft, Holding};
use caremarket_store::Actor;
use caremarket_store::direct_payments::NewDirectPayment;
use common::{Client, visible_text};

const WEEKLY: i64 = 20_000;

fn dp(reference: &str, start: &str) -> NewDirectPayment {
    NewDirectPayment {
        draft: DpDraft {
            person_ref: reference.into(),
            service_area: "mental_health".into(),
            is_child: false,
            budget_pence: WEEKLY,
            budget_period: BudgetPeriod::Weekly,
            holding: Holding::PrepaidCard,
            mm_provider_id: None,
            start_date: start.parse().expect("date"),
        },
        officer_id: None,
        equality: Default::default(),
    }
}

fn pounds(pence: i64) -> String {
    let p = pence.abs();
    let whole = (p / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("£{grouped}.{:02}", p % 100)
}

/// A financial monitoring form for January to March 2024.
fn financial(balance: &str, requested: &str) -> Vec<(&'static str, String)> {
    vec![
        ("kind", "financial".into()),
        ("completed_on-day", "2".into()),
        ("completed_on-month", "4".into()),
        ("completed_on-year", "2024".into()),
        ("period_start-day", "1".into()),
        ("period_start-month", "1".into()),
        ("period_start-year", "2024".into()),
        ("period_end-day", "31".into()),
        ("period_end-month", "3".into()),
        ("period_end-year", "2024".into()),
        ("balance", balance.into()),
        ("requested", requested.into()),
    ]
}

fn refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, s)| (*k, s.as_str())).collect()
}

#[tokio::test]
async fn reclaims_are_bounded_by_what_was_paid_in_and_wait_for_a_second_approver_above_a_limit() {
    let mut c = Client::sqlite().await;
    let a = Actor::system("test");
    let ann = c.user_named("ann@test.gov.uk", "Ann Officer", Role::DirectPaymentsOfficer, None).await;
    c.user_named("ben@test.gov.uk", "Ben Officer", Role::DirectPaymentsOfficer, None).await;
    c.user_named("admin@test.gov.uk", "Ada Admin", Role::Admin, None).await;
    let id = c.store.create_direct_payment(&a, &dp("DP300", "2024-01-01")).await.expect("dp");

    // Weekly payments on 1 January 2024 and every 7 days: up to 31 March, 13 of them (1 Jan to
    // 25 Mar; 91 days is 13 weeks exactly, so the 14th would be 1 April).
    let mut paid = 0;
    let mut day: jiff::civil::Date = "2024-01-01".parse().expect("date");
    let end: jiff::civil::Date = "2024-03-31".parse().expect("date");
    while day <= end {
        paid += WEEKLY;
        day = day.checked_add(jiff::Span::new().days(7)).expect("date");
    }
    assert_eq!(paid, 13 * WEEKLY);

    // The administrator gives Ann a reclaim limit of £100.
    c.sign_in_as("admin@test.gov.uk").await;
    let limits = c.get("/admin/approval-limits").await;
    limits.assert_ok();
    let text = visible_text(&limits.body);
    assert!(text.contains("Ann Officer") && text.contains("£5,000.00"), "defaults shown: {text}");
    let page = format!("/admin/approval-limits/{ann}");
    c.get(&page).await.assert_ok();
    let bad = c.post_form(&page, &[("reclaim", "-5"), ("package", "")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(visible_text(&bad.body).contains("Reclaim limit"), "{}", bad.body);
    let r = c.post_form(&page, &[("reclaim", "100"), ("package", "")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let text = visible_text(&c.get("/admin/approval-limits?saved=1").await.body);
    assert!(text.contains("Approval limits saved") && text.contains("£100.00"), "{text}");

    // A balance typed with an extra nought shows a surplus larger than was ever paid in: asking
    // back more than was paid in is refused, naming the amount and the date.
    c.sign_in_as("ann@test.gov.uk").await;
    let show = format!("/direct-payments/{id}");
    let action = format!("{show}/monitoring");
    let too_much = (paid + 1) as f64 / 100.0;
    let r = c.post_form(&action, &refs(&financial(&format!("{}", paid * 10 / 100), &format!("{too_much:.2}")))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let text = visible_text(&r.body);
    assert!(text.contains(&format!("{} was paid in up to 31 March 2024", pounds(paid))), "{text}");

    // £150 is within the surplus and what was paid in, but above Ann's £100: it waits.
    let r = c.post_form(&action, &refs(&financial("2000", "150"))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let text = visible_text(&c.get(&show).await.body);
    assert!(text.contains("Requested £150.00") && text.contains("Awaiting second approval"), "{text}");
    // Not counted in the reclaim figures until approved.
    let text = visible_text(&c.get("/direct-payments/reclaims").await.body);
    assert!(text.contains("£0 requested"), "an unapproved reclaim is not counted: {text}");
    // Ann cannot approve her own, nor record money returned against it.
    let list = visible_text(&c.get("/direct-payments/approvals").await.body);
    assert!(list.contains("DP300") && list.contains("You put this forward: another officer must approve it"), "{list}");
    let mid: String =
        sqlx::query_scalar("SELECT id FROM dp_monitoring WHERE dp_id = $1").bind(&id).fetch_one(c.store.pool()).await.expect("id");
    let r = c.post_form(&format!("/direct-payments/monitoring/{mid}/approve"), &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(visible_text(&r.body).contains("A second approver must be someone other than the officer who put it forward"), "{}", r.body);

    // Ben, on the council's default limit of £5,000, approves it.
    c.sign_in_as("ben@test.gov.uk").await;
    let r = c.post_form(&format!("/direct-payments/monitoring/{mid}/approve"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let text = visible_text(&c.get("/direct-payments/approvals?done=1").await.body);
    assert!(text.contains("Reclaim approved") && text.contains("No reclaims are waiting for a second approver"), "{text}");
    let text = visible_text(&c.get(&show).await.body);
    assert!(text.contains("Approved by Ben Officer") && !text.contains("Awaiting second approval"), "{text}");
    let text = visible_text(&c.get("/direct-payments/reclaims").await.body);
    assert!(text.contains("£150 requested"), "{text}");

    // With £150 already asked back, the rest of what was paid in is all that can be asked.
    let r = c
        .post_form(&action, &refs(&financial(&format!("{}", paid * 10 / 100), &format!("{:.2}", (paid - 15_000 + 1) as f64 / 100.0))))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(visible_text(&r.body).contains("less £150.00 already asked back"), "{}", r.body);

    // Each change is audited.
    let audited: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE entity_type IN ('approval_limits', 'dp_monitoring')")
        .fetch_one(c.store.pool())
        .await
        .expect("audit");
    assert!(audited >= 3, "limit change, reclaim and approval audited: {audited}");
}

#[tokio::test]
async fn card_spend_in_a_blocked_category_is_flagged_and_reviewed() {
    let mut c = Client::sqlite().await;
    let a = Actor::system("test");
    c.user_named("ann@test.gov.uk", "Ann Officer", Role::DirectPaymentsOfficer, None).await;
    c.user_named("vi@test.gov.uk", "Vi Ewer", Role::Viewer, None).await;
    let id = c.store.create_direct_payment(&a, &dp("DP400", "2024-01-01")).await.expect("dp");

    // A merchant code that is not four digits is refused, naming the row and field; nothing kept.
    let bad = "date,dp,amount,category,mcc\n2024-02-01,DP400,20.00,Other,79X5\n";
    let r = common::upload_csv(
        &c.store,
        "ann@test.gov.uk",
        "/direct-payments/spend/import",
        "/direct-payments/spend/import",
        "s.csv",
        bad,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(visible_text(&r.body).contains("Row 2: 'merchant_category' must be a four-digit merchant category code"), "{}", r.body);

    // Rows: a bookmaker (7995, blocked from the start), a supermarket (5411) and a taxi.
    let csv = "date,dp,amount,category,merchant category code\n2024-02-01,DP400,45.00,Other,7995\n2024-02-03,DP400,30.50,Home Support,5411\n2024-02-05,DP400,12.00,Transport,4121\n";
    let r = common::upload_csv(
        &c.store,
        "ann@test.gov.uk",
        "/direct-payments/spend/import",
        "/direct-payments/spend/import",
        "s.csv",
        csv,
        None,
    )
    .await;
    assert!(r.status == StatusCode::OK || r.status == StatusCode::SEE_OTHER, "{}", r.body);

    c.sign_in_as("ann@test.gov.uk").await;
    let text = visible_text(&c.get("/direct-payments/card-spend").await.body);
    assert!(text.contains("1 line to review, £45.00 in all; 0 reviewed."), "{text}");
    assert!(text.contains("DP400") && text.contains("7995 Betting and casino gambling"), "{text}");
    let text = visible_text(&c.get(&format!("/direct-payments/{id}")).await.body);
    assert!(text.contains("1 card payment in a blocked merchant category to review: £45.00 on 2024-02-01"), "{text}");

    // Blocking supermarkets flags the £30.50 too.
    let r = c.post_form("/direct-payments/card-spend/categories", &[("code", "541"), ("label", "Supermarkets")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(visible_text(&r.body).contains("must be a four-digit merchant category code"), "{}", r.body);
    let r = c.post_form("/direct-payments/card-spend/categories", &[("code", "5411"), ("label", "Supermarkets")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let text = visible_text(&c.get("/direct-payments/card-spend").await.body);
    assert!(text.contains(&format!("2 lines to review, {} in all", pounds(4_500 + 3_050))), "{text}");

    // A review needs a note; with one, the line moves to Reviewed with who found what.
    let spend_id: String =
        sqlx::query_scalar("SELECT id FROM dp_spend WHERE merchant_category = '7995'").fetch_one(c.store.pool()).await.expect("id");
    let action = format!("/direct-payments/card-spend/{spend_id}/review");
    let r = c.post_form(&action, &[("note", "  ")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(visible_text(&r.body).contains("Enter what you found"), "{}", r.body);
    let r = c.post_form(&action, &[("note", "Spent in error; repaid to the account on 10 February")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let text = visible_text(&c.get("/direct-payments/card-spend?reviewed=1").await.body);
    assert!(text.contains("1 line reviewed, £45.00 in all; 1 still to review.") && text.contains("repaid to the account"), "{text}");
    assert!(text.contains("Ann Officer"), "{text}");

    // A viewer may not see people's spend, nor change the list.
    c.sign_in_as("vi@test.gov.uk").await;
    assert_eq!(c.get("/direct-payments/card-spend").await.status, StatusCode::FORBIDDEN);
    assert_eq!(c.post_form("/direct-payments/card-spend/categories/5411/remove", &[]).await.status, StatusCode::FORBIDDEN);
}
