//! The demo's outcomes contracts (issue 13; `003`): Promoting Independence with its 173 at the
//! start, the Life Chances Fund's 25% until 31 March 2025, claims verified, rejected and waiting,
//! people who moved on, left and aged out; the pilot with payments held until its savings cover
//! them; the SPV's account, a party to both. Read back through the store as the pages read them.

use caremarket_core::Date;
use caremarket_core::access::Role;
use caremarket_core::outcomes::{ClaimStatus, LeaveReason, PartyRole};
use caremarket_demo::{DemoOptions, generate};

#[tokio::test]
async fn the_demo_has_outcomes_contracts_at_every_stage() {
    let store = caremarket_testkit::sqlite().await.expect("store");
    let today = Date::new(2025, 6, 30).expect("date");
    generate(&store, &DemoOptions { seed: 7, scale: 1, today }).await.expect("generate");
    let contracts = store.oc_contracts().await.expect("contracts");
    assert_eq!(contracts.len(), 2);
    let pi = contracts.iter().find(|c| c.name == "Promoting Independence").expect("003's contract");
    assert_eq!((pi.baseline, pi.forecast_low, pi.forecast_high, pi.envelope_pence, pi.cap_pence), (173, 105, 120, 300_000_000, None));
    let book = store.oc_contract(&pi.id).await.expect("book");
    let f = &book.facts;
    let lcf = f.parties.iter().find(|p| p.role == PartyRole::CoFunder).expect("the Life Chances Fund");
    assert_eq!((lcf.share_bp, lcf.commitment_pence, lcf.ends_on), (2_500, Some(75_000_000), Some(Date::new(2025, 3, 31).expect("d"))));
    assert_eq!(f.members.iter().filter(|m| m.entered_on == pi.starts_on).count(), 173, "the baseline joins at the start");
    assert!(f.members.iter().all(|m| caremarket_core::direct_payments::valid_person_ref(&m.case_ref)));
    for s in ClaimStatus::ALL {
        assert!(f.claims.iter().any(|c| c.status == *s), "a claim {s:?}");
    }
    // Every verified claim's parts add up to its tariff.
    for c in f.claims.iter().filter(|c| c.status == ClaimStatus::Verified) {
        let tariff = f.outcomes.iter().find(|o| o.id == c.outcome_id).map(|o| o.tariff_pence).expect("outcome");
        assert_eq!(f.parts.iter().filter(|(x, _)| *x == c.id).map(|(_, p)| p.pence).sum::<i64>(), tariff);
    }
    let fig = f.figures(today);
    assert!(fig.moved_in_cohort > 20 && fig.in_care < 173, "people moved on: {fig:?}");
    for r in [LeaveReason::AgedOut, LeaveReason::Died, LeaveReason::MovedAway, LeaveReason::Withdrew] {
        assert!(fig.left.iter().any(|(x, n)| *x == r && *n > 0), "someone left: {r:?}");
    }
    assert!(fig.by_funder.iter().any(|x| x.party_id == lcf.id && x.verified_pence > 0), "the LCF paid its share");
    let pilot = contracts.iter().find(|c| c.name == "Moving On pilot").expect("the pilot");
    let pf = store.oc_contract(&pilot.id).await.expect("pilot").facts.figures(today);
    assert!(pf.held_pence > 0, "the pilot's payments wait for its savings: {pf:?}");
    let spv = store.users().await.expect("users").into_iter().find(|u| u.email == "spv@demo.caremarket.test").expect("the SPV's account");
    assert_eq!(spv.role, Role::Provider);
    let spv_provider = spv.provider_id.expect("provider");
    assert_eq!(store.oc_contracts_for_provider(&spv_provider).await.expect("its contracts").len(), 2);
}
