//! The demo's supported living actuals: providers with commissioned hours and returns over four
//! months, some over the threshold, a query at every stage, a month not returned and a TUPE
//! premium payment, all read back through the store as the pages read them.

use caremarket_core::Date;
use caremarket_core::fees::supported_living::{PaymentKind, Period, QueryStatus};
use caremarket_demo::{DemoOptions, generate};

#[tokio::test]
async fn the_demo_has_supported_living_actuals_at_every_stage() {
    let store = caremarket_testkit::sqlite().await.expect("store");
    let today = Date::new(2025, 6, 30).expect("date");
    generate(&store, &DemoOptions { seed: 7, scale: 1, today }).await.expect("generate");
    let threshold = store.sl_threshold_bp().await.expect("threshold");
    let mut flagged = 0;
    let mut missing = 0;
    let mut months = 0;
    let mut p = Period::of(today);
    for _ in 0..4 {
        p = p.previous();
        for m in store.sl_months(p).await.expect("months") {
            months += 1;
            assert!(m.month.commissioned_minutes() > 0, "{} has hours commissioned in {}", m.provider_name, p.label());
            if m.month.flagged(threshold) {
                flagged += 1;
            }
            if !m.month.returned {
                missing += 1;
            }
            for l in &m.month.lines {
                assert!(caremarket_core::direct_payments::valid_person_ref(&l.case_ref), "a case reference, not a name: {}", l.case_ref);
                assert!(l.rate.is_some(), "every person's hours are priced");
            }
        }
    }
    assert_eq!(months, 5 * 4, "five providers, four months");
    assert_eq!(missing, 2);
    assert!(flagged >= 5, "{flagged} months over the threshold");
    let queries = store.sl_queries(None).await.expect("queries");
    for status in QueryStatus::ALL {
        assert!(queries.iter().any(|q| q.status == status), "a query {status:?}");
    }
    let payments = store.sl_payments(None).await.expect("payments");
    assert!(payments.iter().any(|x| x.kind == PaymentKind::TupePremium));
    assert!(payments.iter().any(|x| x.amount_pence < 0), "a reconciliation that brought money back");
}
