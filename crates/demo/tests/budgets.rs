//! The demo's budgets and spend (issue 11 item 6): as in `000`, the care homes market is forecast
//! to overspend its budget; the other markets stay within theirs; a few suppliers are left for an
//! officer to match. Figures worked here from the demo's own spend rows and budgets.

use caremarket_core::Date;
use caremarket_core::register::ServiceKind;
use caremarket_demo::{DemoOptions, generate};
use caremarket_store::fees::budgets::SpendFilter;

#[tokio::test]
async fn the_demo_care_homes_overspend_as_in_the_seed() {
    let store = caremarket_testkit::sqlite().await.expect("store");
    // 30 September 2025: April to August of 2025/26 are in, five months.
    generate(&store, &DemoOptions { seed: 7, scale: 1, today: Date::new(2025, 9, 30).expect("date") }).await.expect("generate");
    let rows = store.spend_rows(&SpendFilter { year: Some(2025), ..Default::default() }).await.expect("rows");
    let months: std::collections::BTreeSet<_> = rows.iter().map(|r| r.period).collect();
    assert_eq!(months.len(), 5, "April to August");
    let budgets = store.budgets(Some(2025)).await.expect("budgets");
    let budget = |k: ServiceKind| budgets.iter().rfind(|b| b.kind == k).map(|b| b.amount_pence).expect("budget");
    let forecast = |ks: &[ServiceKind]| {
        let to_date: i64 = rows.iter().filter(|r| ks.contains(&r.kind)).map(|r| r.amount_pence).sum();
        (to_date as f64 * 12.0 / 5.0).round() as i64
    };
    let homes = [ServiceKind::CareHomeResidential, ServiceKind::CareHomeNursing];
    let homes_budget: i64 = homes.iter().map(|k| budget(*k)).sum();
    let homes_forecast = forecast(&homes);
    assert!(homes_forecast > homes_budget * 105 / 100, "care homes: {homes_forecast} against {homes_budget}");
    for k in [ServiceKind::HomeCare, ServiceKind::SupportedLiving, ServiceKind::DayServices] {
        assert!(forecast(&[k]) < budget(k) * 102 / 100, "{k:?} is within its budget");
    }
    // Last year in full: twelve months.
    let last = store.spend_rows(&SpendFilter { year: Some(2024), ..Default::default() }).await.expect("rows");
    assert_eq!(last.iter().map(|r| r.period).collect::<std::collections::BTreeSet<_>>().len(), 12);
    // A credit note, and suppliers left to match: three not providers, two spelt the finance way.
    assert!(last.iter().any(|r| r.amount_pence < 0), "a credit");
    let unmatched: Vec<String> =
        store.spend_suppliers().await.expect("suppliers").into_iter().filter(|s| s.provider_id.is_none()).map(|s| s.name).collect();
    assert_eq!(unmatched.len(), 5, "{unmatched:?}");
    for n in ["Northern Agency Staffing Ltd", "Carewell Transport Services", "J. Patel (sole trader)"] {
        assert!(unmatched.iter().any(|u| u == n), "{n} in {unmatched:?}");
    }
    // A provider supplying two markets may be listed by either spelling; one is in capitals.
    assert!(unmatched.iter().any(|n| n.ends_with(" LIMITED")), "{unmatched:?}");
}
