//! The capacity demo data (crates/demo/src/capacity.rs) on the demo council: returns, block
//! beds as `000` counts them, restrictions, requests with waits and starts. The module is
//! generated as part of `generate`.

use caremarket_core::capacity::vacancies::{BlockBedKind, occupancy_table};
use caremarket_demo::{DemoOptions, generate};

#[tokio::test]
async fn demo_capacity_is_realistic() {
    let store = caremarket_testkit::sqlite().await.expect("store");
    let today = caremarket_store::today();
    generate(&store, &DemoOptions::as_at(today)).await.expect("demo");
    let homes = store.latest_vacancy_returns(today).await.expect("homes");
    assert!(homes.len() > 50, "{} homes with returns", homes.len());
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
    assert!(waiting.len() > 3, "{} waiting", waiting.len());
}
