//! The capacity demo data (crates/demo/src/capacity.rs) on the demo council: returns, block
//! beds as `000` counts them, restrictions, requests with waits and starts. The module is
//! included by path until lib.rs declares it.
#[path = "../src/capacity.rs"]
#[allow(dead_code)]
mod capacity;

use caremarket_core::capacity::vacancies::{BlockBedKind, occupancy_table};
use caremarket_demo::{DemoOptions, generate};

#[tokio::test]
async fn demo_capacity_is_realistic() {
    let store = caremarket_store::testing::sqlite().await.expect("store");
    let today = caremarket_store::today();
    generate(&store, &DemoOptions::as_at(today)).await.expect("demo");
    let sum = capacity::generate_capacity(&store, 42, 1, today).await.expect("capacity");
    assert!(sum.vacancy_returns > 100, "{sum:?}");
    assert_eq!(sum.package_requests, 40);
    assert!(sum.packages_started > 10 && sum.packages_waiting > 3, "{sum:?}");
    let homes = store.latest_vacancy_returns(today).await.expect("homes");
    let lines: Vec<_> = homes.iter().flat_map(|h| h.lines.clone()).collect();
    let t = occupancy_table(&lines);
    for r in &t {
        if let Some(p) = r.occupied_percent {
            assert!((60..=100).contains(&p), "{t:?}");
        }
    }
    let block = store.block_beds(today).await.expect("block");
    let s2a: i64 = block.iter().filter(|b| b.kind == BlockBedKind::SomewhereElseToAssess).map(|b| b.beds).sum();
    assert!(s2a > 0 && s2a <= 40);
    let waiting = store.package_requests("waiting").await.expect("waiting");
    assert_eq!(waiting.len(), sum.packages_waiting);
}
