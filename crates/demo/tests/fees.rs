//! The demo's rate card: `002` recommendation 15b's uplift history on the council's home care
//! rate, computed here from its April 2022 rate and the percentages, and the pages' other parts.

use caremarket_core::Date;
use caremarket_core::fees::{RateCategory, RateLevel, RateStatus};
use caremarket_core::register::ServiceKind;
use caremarket_demo::{DemoOptions, generate};

fn up(p: i64, pct: f64) -> i64 {
    (p as f64 * (1.0 + pct / 100.0)).round() as i64
}

#[tokio::test]
async fn the_demo_rate_card_carries_stocktons_uplifts() {
    let store = caremarket_testkit::sqlite().await.expect("store");
    generate(&store, &DemoOptions { seed: 7, scale: 1, today: Date::new(2025, 6, 30).expect("date") }).await.expect("generate");
    let rates = store.fee_rates().await.expect("rates");
    let council: Vec<_> = rates
        .iter()
        .filter(|r| r.version.line.level == RateLevel::Council && r.version.line.kind == ServiceKind::HomeCare)
        .map(|r| (r.version.effective_from.to_string(), r.version.amount_pence))
        .collect();
    // The council's rate is on no lot: 8.61% in April 2024 on the rates in force.
    let c = [1724, up(1724, 6.5), up(up(1724, 6.5), 8.89), up(up(up(1724, 6.5), 8.89), 5.7)];
    let april_2024 = up(c[3], 8.61);
    assert_eq!(
        council,
        [
            ("2022-04-01".to_string(), c[0]),
            ("2022-12-01".to_string(), c[1]),
            ("2023-04-01".to_string(), c[2]),
            ("2023-11-01".to_string(), c[3]),
            ("2024-04-01".to_string(), april_2024)
        ]
    );
    assert_eq!(april_2024, 2295, "£22.95 an hour in 2024/25, beside Sheffield's £22.96 (`000`)");
    assert_eq!(store.fee_uplifts().await.expect("uplifts").len(), 5);
    assert!(rates.iter().any(|r| r.version.line.category == RateCategory::SleepInNight));
    assert!(rates.iter().any(|r| r.version.status == RateStatus::AwaitingApproval));
    let requests = store.fee_requests().await.expect("requests");
    assert_eq!(requests.len(), 3);
    assert!(!store.payment_bases().await.expect("bases").is_empty());
}
