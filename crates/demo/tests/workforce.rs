//! The demo's workforce returns and Ethical Care Charter positions: four quarters of returns from
//! the contracted services, some quarters missed, the provider user's latest quarter not yet
//! returned, home care leaning on zero-hours contracts far more than care homes, and the seed's
//! charter table (ten agreed, two working towards), all read back through the store.

use caremarket_core::Date;
use caremarket_core::register::ServiceKind;
use caremarket_core::workforce::{ELEMENTS, Position, Quarter, ReturnFacts, figures};
use caremarket_demo::{DemoOptions, generate};
use caremarket_store::workforce::WorkforceFilter;

#[tokio::test]
async fn the_demo_has_workforce_returns_and_the_charter() {
    let store = caremarket_testkit::sqlite().await.expect("store");
    let today = Date::new(2025, 11, 20).expect("date");
    generate(&store, &DemoOptions { seed: 7, scale: 1, today }).await.expect("generate");
    let latest = Quarter::of(today).previous();
    assert_eq!(
        store.workforce_periods().await.expect("periods"),
        [latest, latest.previous(), latest.previous().previous(), latest.previous().previous().previous()]
    );
    let expected = store.workforce_expected(None).await.expect("expected");
    let all = store.workforce_returns(&WorkforceFilter::default()).await.expect("returns");
    let possible = expected.len() * 4;
    assert!(all.len() < possible && all.len() * 10 > possible * 8, "{} of {possible} returns: most, not all", all.len());
    // The provider user's services have not returned the latest quarter.
    let users = store.users().await.expect("users");
    let portal = users.iter().find(|u| u.email == "provider@demo.caremarket.test").and_then(|u| u.provider_id.clone()).expect("p");
    assert!(expected.iter().any(|e| e.provider_id == portal));
    assert!(!all.iter().any(|r| r.provider_id == portal && r.r.period == latest));
    assert!(all.iter().any(|r| r.provider_id == portal && r.r.period == latest.previous()));
    // Home care relies on zero-hours contracts far more than care homes.
    let rates = store.living_wage_rates().await.expect("rates");
    let share = |kinds: &[ServiceKind]| {
        let fs: Vec<ReturnFacts> = all
            .iter()
            .filter(|r| r.r.period == latest && kinds.contains(&r.kind))
            .map(|r| ReturnFacts { id: r.id.clone(), provider_id: r.provider_id.clone(), service_id: r.service_id.clone(), r: r.r.clone() })
            .collect();
        figures(&fs.iter().collect::<Vec<_>>(), &rates).zero_hours_mean.expect("a share")
    };
    assert!(share(&[ServiceKind::HomeCare]) > share(&[ServiceKind::CareHomeResidential, ServiceKind::CareHomeNursing]) + 200);
    // The charter: every element positioned, ten agreed and two working towards.
    let positions = store.charter_positions().await.expect("positions");
    assert_eq!(positions.len(), ELEMENTS.len());
    assert_eq!(positions.iter().filter(|p| p.position == Position::Agreed).count(), 10);
    let towards: Vec<&str> = positions.iter().filter(|p| p.position == Position::WorkingTowards).map(|p| p.element.as_str()).collect();
    assert_eq!(towards, ["2.2", "3.2"]);
    // The home care workforce's profile, with its source.
    let profile = store.workforce_profile().await.expect("profile");
    assert_eq!(profile.len(), 6);
    assert!(profile.iter().all(|p| p.kind == Some(ServiceKind::HomeCare) && p.source.contains("Skills for Care")));
}
