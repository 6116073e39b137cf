//! The market dashboard's figures as at a past date (issue 16 item 8), on both backends. A
//! handful of services with rating histories, registration dates, an out-of-area service and a
//! contract change made today; the expected figures for each date are worked out below from the
//! same table of records, by the rules written in the test, not read from the product.

use caremarket_core::Date;
use caremarket_core::register::{ContractStatus, Rating, ServiceKind};
use caremarket_core::versions::Version;
use caremarket_store::register::{AsAtSelection, CouncilFields, NewService, RatingRecord};
use caremarket_store::{Actor, Store};

fn d(s: &str) -> Date {
    s.parse().expect("date")
}

/// One service of the test market: what the test writes, and all the expectations read.
struct Spec {
    name: &'static str,
    kind: ServiceKind,
    in_area: bool,
    registered: &'static str,
    /// The status when created; `now` is the status after today's edit (audited today).
    created_as: ContractStatus,
    now: ContractStatus,
    /// (published, overall rating), oldest first.
    ratings: &'static [(&'static str, Rating)],
}

const SPECS: &[Spec] = &[
    Spec {
        name: "Ash House",
        kind: ServiceKind::CareHomeResidential,
        in_area: true,
        registered: "2015-01-01",
        created_as: ContractStatus::SpotPurchase,
        now: ContractStatus::BlockContract,
        ratings: &[("2019-03-01", Rating::Good), ("2023-06-01", Rating::RequiresImprovement), ("2025-02-01", Rating::Good)],
    },
    Spec {
        name: "Birch Court",
        kind: ServiceKind::CareHomeResidential,
        in_area: true,
        registered: "2018-05-01",
        created_as: ContractStatus::NotContracted,
        now: ContractStatus::NotContracted,
        ratings: &[("2019-09-01", Rating::Outstanding)],
    },
    Spec {
        name: "Cedar Care at Home",
        kind: ServiceKind::HomeCare,
        in_area: true,
        registered: "2021-01-01",
        created_as: ContractStatus::BlockContract,
        now: ContractStatus::BlockContract,
        ratings: &[("2024-11-01", Rating::Inadequate)],
    },
    Spec {
        name: "Damson Lodge",
        kind: ServiceKind::CareHomeNursing,
        in_area: true,
        registered: "2024-07-01",
        created_as: ContractStatus::SpotPurchase,
        now: ContractStatus::SpotPurchase,
        ratings: &[],
    },
    Spec {
        name: "Elm View (out of area)",
        kind: ServiceKind::CareHomeResidential,
        in_area: false,
        registered: "2010-01-01",
        created_as: ContractStatus::SpotPurchase,
        now: ContractStatus::SpotPurchase,
        ratings: &[("2020-01-01", Rating::Good)],
    },
];

async fn build(s: &Store) {
    let a = Actor::system("test");
    for (i, spec) in SPECS.iter().enumerate() {
        let p = s.create_provider(&a, None, &format!("Provider {i}"), None, None).await.expect("test step");
        let id = s
            .create_service(
                &a,
                &NewService {
                    cqc_location_id: Some(format!("1-{i}")),
                    town: None,
                    postcode: None,
                    local_authority: None,
                    in_area: spec.in_area,
                    registration_date: Some(d(spec.registered)),
                    contract_status: spec.created_as,
                    ..caremarket_testkit::service(p, spec.name, spec.kind)
                },
            )
            .await
            .expect("test step");
        for (on, r) in spec.ratings {
            s.add_rating(&a, &id, &RatingRecord { overall: Some(*r), report_date: Some(d(on)), ..Default::default() }, "test")
                .await
                .expect("test step");
        }
        if spec.now != spec.created_as {
            let c = CouncilFields {
                contract_status: spec.now,
                framework_id: None,
                lot_id: None,
                contract_start: None,
                contract_end: None,
                council_notes: None,
                kind: None,
            };
            s.update_council_fields(&a, &id, &c, Version::new(1).expect("test step")).await.expect("test step");
        }
    }
}

/// The rating a spec had at the end of `on`: its last report published by then.
fn rating_on(spec: &Spec, on: Date) -> Option<Rating> {
    spec.ratings.iter().rev().find(|(p, _)| d(p) <= on).map(|(_, r)| *r)
}

/// The contract status at the end of `on`: the edit was made today.
fn contract_on(spec: &Spec, on: Date, today: Date) -> ContractStatus {
    if on >= today { spec.now } else { spec.created_as }
}

fn counted(on: Date) -> Vec<&'static Spec> {
    SPECS.iter().filter(|s| s.in_area && d(s.registered) <= on).collect()
}

#[tokio::test]
async fn figures_as_at_a_past_date_are_the_ones_true_then() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        build(&s).await;
        let today = caremarket_store::today();
        for on in ["2019-12-31", "2023-12-31", "2024-12-31", "2025-03-31"] {
            let on = d(on);
            let since = d("2023-01-01");
            let not_since = d("2020-01-01");
            let f = s.market_figures_as_at(on, not_since, since).await.expect("test step");
            let market = counted(on);
            assert_eq!(f.total_services, market.len() as i64, "{on}: services on the market");
            assert_eq!(f.total_providers, market.len() as i64, "{on}: one provider each");
            for kind in [ServiceKind::CareHomeResidential, ServiceKind::HomeCare, ServiceKind::CareHomeNursing] {
                let of: Vec<_> = market.iter().filter(|x| x.kind == kind).collect();
                let row = f.by_kind.iter().find(|k| k.kind == kind);
                if of.is_empty() {
                    assert!(row.is_none(), "{on}: no {kind:?} row");
                    continue;
                }
                let row = row.expect("row");
                let rated = of.iter().filter(|x| rating_on(x, on).is_some()).count() as i64;
                let good = of.iter().filter(|x| matches!(rating_on(x, on), Some(Rating::Good | Rating::Outstanding))).count() as i64;
                let contracted = of.iter().filter(|x| contract_on(x, on, today) != ContractStatus::NotContracted).count() as i64;
                assert_eq!(
                    (row.services, row.rated, row.good_or_outstanding, row.contracted),
                    (of.len() as i64, rated, good, contracted),
                    "{on}: {kind:?}"
                );
            }
            let spot = market.iter().filter(|x| contract_on(x, on, today) == ContractStatus::SpotPurchase).count() as i64;
            let got_spot = f.by_contract.iter().find(|(c, _)| *c == ContractStatus::SpotPurchase).map(|(_, n)| *n).unwrap_or(0);
            assert_eq!(got_spot, spot, "{on}: spot purchase then (Ash House moved to a block contract today)");
            let never = market.iter().filter(|x| rating_on(x, on).is_none()).count() as i64;
            assert_eq!(f.never_inspected, never, "{on}: never inspected by then");
            let stale =
                market.iter().filter(|x| x.ratings.iter().rev().find(|(p, _)| d(p) <= on).is_some_and(|(p, _)| d(p) < not_since)).count()
                    as i64;
            assert_eq!(f.not_inspected_since, stale, "{on}: last report before 2020");
            // A change: a report from `since` to `on` whose grade differs from the one before it.
            let changes: Vec<&str> = market
                .iter()
                .flat_map(|x| {
                    x.ratings.windows(2).filter(move |w| w[0].1 != w[1].1 && d(w[1].0) >= since && d(w[1].0) <= on).map(move |_| x.name)
                })
                .collect();
            assert_eq!(f.rating_changes.len(), changes.len(), "{on}: changes {changes:?}");
            assert_eq!(f.rating_changed_services as usize, changes.iter().collect::<std::collections::BTreeSet<_>>().len());

            // Every list is its figure.
            let list = s.services_as_at(on, &AsAtSelection { never_inspected: true, ..Default::default() }).await.expect("test step");
            assert_eq!(list.len() as i64, f.never_inspected);
            let good = s
                .services_as_at(
                    on,
                    &AsAtSelection { kind: Some(ServiceKind::CareHomeResidential), good_or_outstanding: true, ..Default::default() },
                )
                .await
                .expect("test step");
            let want: Vec<&str> = market
                .iter()
                .filter(|x| {
                    x.kind == ServiceKind::CareHomeResidential && matches!(rating_on(x, on), Some(Rating::Good | Rating::Outstanding))
                })
                .map(|x| x.name)
                .collect();
            assert_eq!(good.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(), want, "{on}: the Good or Outstanding homes, by name");
        }
        // Ash House in 2024 was Requires Improvement, and spot purchased.
        let ash = s.services_as_at(d("2024-12-31"), &AsAtSelection::default()).await.expect("test step");
        let ash = ash.iter().find(|x| x.name == "Ash House").expect("Ash House");
        assert_eq!((ash.overall, ash.contract_status), (Some(Rating::RequiresImprovement), ContractStatus::SpotPurchase));
    }
}
