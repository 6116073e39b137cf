//! Supported living actuals (issue 11 item 5): commissioned hours versioned by date, a month's
//! return replaced when sent again (audited with what it said before), the variance priced at
//! the rate card's rate for the month, a CSV of returns saved all or nothing with every bad row
//! named, the challenge run step by step with its history, invalid steps refused, and one-off
//! payments recorded against the provider. Run on every backend available (SQLite always;
//! PostgreSQL with CAREMARKET_TEST_POSTGRES_URL).

use caremarket_core::fees::supported_living::{
    CommissionDraft, CsvRow, PaymentDraft, PaymentKind, Period, QueryStatus, QueryStep, StepDraft,
};
use caremarket_core::fees::{RateCategory, RateDraft, RateLevel};
use caremarket_core::register::ServiceKind;
use caremarket_store::fees::cost_of_care::SentBy;
use caremarket_store::{Actor, AuditQuery, Store, StoreError};
use jiff::civil::date;

fn field(e: StoreError) -> String {
    match e {
        StoreError::Invalid(f) => f.field,
        StoreError::InvalidFields(fs) => fs.0[0].field.clone(),
        other => panic!("expected a field error, got {other:?}"),
    }
}

fn commission(provider: &str, case_ref: &str, hours: &str, category: RateCategory, from: jiff::civil::Date) -> CommissionDraft {
    CommissionDraft {
        provider_id: Some(provider.to_string()),
        case_ref: case_ref.into(),
        weekly_hours: hours.into(),
        rate_category: Some(category),
        effective_from: Some(from),
    }
}

async fn rate(s: &Store, a: &Actor, category: RateCategory, amount: &str, from: jiff::civil::Date) {
    s.add_fee_rate(
        a,
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

/// `n / d` to the nearest whole number, halves away from zero, worked here independently.
fn nearest(n: i64, d: i64) -> i64 {
    ((n as f64) / (d as f64)).round() as i64
}

#[tokio::test]
async fn a_month_is_commissioned_returned_priced_and_challenged() {
    let today = date(2025, 6, 10);
    let april = Period { year: 2025, month: 4 };
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("test");
        let acme = s.create_provider(&a, None, "Acme Support Ltd", None, None).await.expect("provider");
        let other = s.create_provider(&a, None, "Other Support Ltd", None, None).await.expect("provider");
        // £20.00 an hour community, £18.00 discounted until March; £21.50 community from April.
        rate(&s, &a, RateCategory::CommunityHourly, "20.00", date(2024, 4, 1)).await;
        rate(&s, &a, RateCategory::DiscountedHourly, "18.00", date(2024, 4, 1)).await;
        rate(&s, &a, RateCategory::CommunityHourly, "21.50", date(2025, 4, 1)).await;

        // AB1: 20 hours a week, 30 from 16 April. CD2: 10 hours a week at the discounted rate.
        s.add_sl_commission(&a, &commission(&acme, "ab1", "20", RateCategory::CommunityHourly, date(2025, 1, 6))).await.expect("c");
        s.add_sl_commission(&a, &commission(&acme, "AB1", "30", RateCategory::CommunityHourly, date(2025, 4, 16))).await.expect("c");
        s.add_sl_commission(&a, &commission(&acme, "CD2", "10:00", RateCategory::DiscountedHourly, date(2025, 2, 1))).await.expect("c");
        s.add_sl_commission(&a, &commission(&other, "EF3", "7", RateCategory::CommunityHourly, date(2025, 1, 1))).await.expect("c");
        // The same person and date again is refused: versions are never overwritten.
        let e = s.add_sl_commission(&a, &commission(&acme, "AB1", "25", RateCategory::CommunityHourly, date(2025, 4, 16))).await;
        assert_eq!(field(e.expect_err("same date")), "effective_from");
        let e = s.add_sl_commission(&a, &commission(&acme, "Jane Smith", "25", RateCategory::CommunityHourly, date(2025, 4, 1))).await;
        assert_eq!(field(e.expect_err("a name")), "case_ref");
        assert_eq!(s.sl_commissions(Some(&acme)).await.expect("list").len(), 3);

        // Before any return: both providers owe one; nothing is flagged.
        let months = s.sl_months(april).await.expect("months");
        assert_eq!(months.iter().map(|m| m.provider_name.as_str()).collect::<Vec<_>>(), ["Acme Support Ltd", "Other Support Ltd"]);
        assert!(months.iter().all(|m| !m.month.returned));

        // Acme returns 95 hours for AB1 and 30 for CD2.
        let (id, replaced) = s
            .submit_sl_return(&a, &acme, april, &[("AB1".into(), 95 * 60), ("CD2".into(), 30 * 60)], SentBy::Provider)
            .await
            .expect("return");
        assert!(!replaced);
        let m = s.sl_month(&acme, april).await.expect("month");
        // Worked here: AB1 15 days at 20h + 15 days at 30h a week; CD2 30 days at 10h.
        let ab1 = nearest(15 * 20 * 60 + 15 * 30 * 60, 7);
        let cd2 = nearest(30 * 10 * 60, 7);
        assert_eq!(m.month.commissioned_minutes(), ab1 + cd2);
        assert_eq!(m.month.delivered_minutes(), Some(125 * 60));
        let variance = 125 * 60 - ab1 - cd2;
        assert_eq!(m.month.variance_minutes(), Some(variance));
        // AB1 at April's £21.50 community rate, CD2 at the £18.00 discounted rate still in force.
        let pence = nearest((95 * 60 - ab1) * 2150, 60) + nearest((30 * 60 - cd2) * 1800, 60);
        assert_eq!(m.month.variance_pence(), Some(pence));
        let percent = nearest(variance * 10_000, ab1 + cd2);
        assert_eq!(m.month.variance_bp(), Some(percent));
        assert!(percent.abs() > 1000, "the fixture is over the 10% threshold: {percent}");
        assert_eq!(s.sl_threshold_bp().await.expect("threshold"), 1000);
        assert!(m.month.flagged(1000));

        // Sent again: the same return, new figures; the audit keeps the old ones.
        let (again, replaced) = s
            .submit_sl_return(&a, &acme, april, &[("AB1".into(), 90 * 60), ("CD2".into(), 30 * 60)], SentBy::Provider)
            .await
            .expect("again");
        assert_eq!((again.as_str(), replaced), (id.as_str(), true));
        let (audit, _) =
            s.audit_entries(&AuditQuery { entity_type: Some("sl_return".into()), limit: 10, ..Default::default() }).await.expect("audit");
        assert_eq!(audit.len(), 2);
        assert!(
            audit[0].summary.starts_with("Replaced the supported living return from Acme Support Ltd for April 2025"),
            "{}",
            audit[0].summary
        );
        assert!(audit[0].before_json.as_deref().is_some_and(|b| b.contains(&format!("\"AB1\":{}", 95 * 60))), "{:?}", audit[0].before_json);

        // The challenge. Accepting before an explanation is refused; the provider explains only
        // through the portal.
        let ask = StepDraft { note: "Why 90 hours for AB1?".into(), amount: String::new() };
        let e = s.sl_query_step(&a, &acme, april, QueryStep::Accept, &ask, false, today).await.expect_err("nothing to accept");
        assert_eq!(field(e), "step");
        assert_eq!(s.sl_query_step(&a, &acme, april, QueryStep::Query, &ask, false, today).await.expect("query"), QueryStatus::Queried);
        let e = s.sl_query_step(&a, &acme, april, QueryStep::Explain, &ask, false, today).await.expect_err("council cannot explain");
        assert_eq!(field(e), "step");
        let why = StepDraft { note: "Two extra nights after a hospital stay".into(), amount: String::new() };
        s.sl_query_step(&a, &acme, april, QueryStep::Explain, &why, true, today).await.expect("explain");
        let e = s.sl_query_step(&a, &acme, april, QueryStep::Recover, &StepDraft::default(), false, today).await.expect_err("no amount");
        assert_eq!(field(e), "amount");
        let back = StepDraft { note: "Not agreed in advance".into(), amount: "150.25".into() };
        s.sl_query_step(&a, &acme, april, QueryStep::Recover, &back, false, today).await.expect("recover");
        s.sl_query_step(&a, &acme, april, QueryStep::Close, &StepDraft::default(), false, today).await.expect("close");
        let q = s.sl_month(&acme, april).await.expect("month").query.expect("query");
        assert_eq!((q.status, q.recovered_pence), (QueryStatus::Closed, Some(15_025)));
        assert_eq!(
            q.steps.iter().map(|x| x.step).collect::<Vec<_>>(),
            [QueryStep::Query, QueryStep::Explain, QueryStep::Recover, QueryStep::Close]
        );
        assert_eq!(q.steps[1].note.as_deref(), Some("Two extra nights after a hospital stay"));
        assert_eq!(q.steps[0].taken_on, "2025-06-10");
        let e = s.sl_query_step(&a, &acme, april, QueryStep::Query, &ask, false, today).await.expect_err("closed");
        assert_eq!(field(e), "step");
        let (audit, _) =
            s.audit_entries(&AuditQuery { entity_type: Some("sl_query".into()), limit: 10, ..Default::default() }).await.expect("audit");
        assert_eq!(audit.len(), 4);

        // A month within the threshold cannot be queried.
        let other_april = nearest(30 * 7 * 60, 7);
        s.submit_sl_return(&a, &other, april, &[("EF3".into(), other_april)], SentBy::Council).await.expect("exact");
        let e = s.sl_query_step(&a, &other, april, QueryStep::Query, &ask, false, today).await.expect_err("within");
        assert_eq!(field(e), "step");

        // The threshold is a setting, audited.
        assert_eq!(field(s.set_sl_threshold(&a, "0").await.expect_err("zero")), "threshold");
        assert_eq!(s.set_sl_threshold(&a, "12.5").await.expect("set"), 1250);
        assert_eq!(s.sl_threshold_bp().await.expect("threshold"), 1250);

        // One-off payments, with totals from the records.
        let pay = |kind, amount: &str, on| PaymentDraft {
            provider_id: Some(acme.clone()),
            kind: Some(kind),
            amount: amount.into(),
            paid_on: Some(on),
            reason: "TUPE transfer of night staff".into(),
        };
        s.add_sl_payment(&a, &pay(PaymentKind::TupePremium, "1,250.00", date(2025, 5, 1)), today).await.expect("pay");
        s.add_sl_payment(&a, &pay(PaymentKind::HistoricalReconciliation, "-300.50", date(2025, 5, 20)), today).await.expect("pay");
        let e = s.add_sl_payment(&a, &pay(PaymentKind::OneOff, "0", date(2025, 5, 20)), today).await.expect_err("zero");
        assert_eq!(field(e), "amount");
        let payments = s.sl_payments(Some(&acme)).await.expect("payments");
        assert_eq!(payments.iter().map(|p| p.amount_pence).sum::<i64>(), 125_000 - 30_050);
        assert_eq!(payments[0].kind, PaymentKind::TupePremium);
    }
}

fn row(row: usize, provider: &str, period: &str, case_ref: &str, hours: &str) -> CsvRow {
    CsvRow { row, provider_id: Ok(provider.to_string()), period: period.into(), case_ref: case_ref.into(), hours: hours.into() }
}

#[tokio::test]
async fn a_csv_of_returns_is_all_or_nothing() {
    let today = date(2025, 6, 10);
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("test");
        let acme = s.create_provider(&a, None, "Acme Support Ltd", None, None).await.expect("provider");
        let other = s.create_provider(&a, None, "Other Support Ltd", None, None).await.expect("provider");
        let good =
            vec![row(2, &acme, "2025-04", "AB1", "41.5"), row(3, &acme, "2025-04", "CD2", "10:15"), row(4, &other, "2025-05", "EF3", "7")];
        let mut bad = good.clone();
        bad.push(row(5, "no-such-provider", "2025-04", "GH4", "1"));
        bad.push(row(6, &acme, "2025-04", "AB1", "2"));
        let problems = s.import_sl_returns(&a, &bad, None, SentBy::Council, today).await.expect("ran").expect_err("refused");
        assert_eq!(problems.iter().map(|p| (p.row, p.field.as_str())).collect::<Vec<_>>(), [(5, "provider_id"), (6, "case_reference")]);
        assert!(s.sl_returns(None, None).await.expect("list").is_empty(), "nothing written");
        // In the portal, another provider's rows are refused.
        let problems = s.import_sl_returns(&a, &good, Some(&acme), SentBy::Provider, today).await.expect("ran").expect_err("not theirs");
        assert_eq!((problems[0].row, problems[0].field.as_str()), (4, "provider_id"));

        assert_eq!(s.import_sl_returns(&a, &good, None, SentBy::Council, today).await.expect("ran").expect("saved"), 2);
        let r = s.sl_returns(Some(&acme), None).await.expect("list");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].lines, [("AB1".to_string(), 41 * 60 + 30), ("CD2".to_string(), 10 * 60 + 15)]);
        assert_eq!(r[0].sent_by, SentBy::Council);
    }
}
