//! Register figures (`000`, `004`): "84% of care homes rated Good or Outstanding against 81%
//! nationally". Computed from records; the page shows the date and links to the services behind.

use super::{ContractStatus, Rating, ServiceKind};
use serde::Serialize;
use std::collections::BTreeMap;

/// Percentage to one decimal place, `None` when there is nothing to divide by.
pub fn percent(numerator: i64, denominator: i64) -> Option<f64> {
    if denominator <= 0 { None } else { Some(((numerator as f64) * 1000.0 / (denominator as f64)).round() / 10.0) }
}

/// Share of *rated* services (the four grades) rated Good or Outstanding, as CQC and the seeds
/// count it: services with no published rating are left out of both sides.
pub fn percent_good_or_outstanding<I: IntoIterator<Item = Option<Rating>>>(ratings: I) -> Option<f64> {
    let (mut good, mut rated) = (0i64, 0i64);
    for r in ratings.into_iter().flatten() {
        if r.is_grade() {
            rated += 1;
            if r.is_good_or_outstanding() {
                good += 1;
            }
        }
    }
    percent(good, rated)
}

/// One row of the dashboard's "by kind" table.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KindFigure {
    pub kind: ServiceKind,
    pub services: i64,
    /// Services the council has a contract of any kind with ([`ContractStatus::is_contracted`]).
    pub contracted: i64,
    pub rated: i64,
    pub good_or_outstanding: i64,
    pub percent_good_or_outstanding: Option<f64>,
    pub national_percent: Option<f64>,
}

/// One service as the dashboard counts it: the facts its figures are made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountedService {
    pub kind: ServiceKind,
    pub contract_status: ContractStatus,
    pub overall: Option<Rating>,
}

/// The dashboard's counts of the market (its services in the council's area that are not
/// deregistered: the caller chooses which services to pass).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MarketCounts {
    pub total: i64,
    /// One row per kind that has a service, in [`ServiceKind`]'s order.
    pub by_kind: Vec<KindFigure>,
    pub by_contract: BTreeMap<ContractStatus, i64>,
    pub kind_by_contract: BTreeMap<ServiceKind, BTreeMap<ContractStatus, i64>>,
}

/// Count the market by kind and contract status. Each kind's share rated Good or Outstanding is
/// [`percent_good_or_outstanding`] of its services' overall ratings: the one definition.
pub fn market_counts(services: &[CountedService], national_percent: impl Fn(ServiceKind) -> Option<f64>) -> MarketCounts {
    let mut counts = MarketCounts { total: services.len() as i64, ..Default::default() };
    let mut per_kind: BTreeMap<ServiceKind, Vec<&CountedService>> = BTreeMap::new();
    for s in services {
        *counts.kind_by_contract.entry(s.kind).or_default().entry(s.contract_status).or_default() += 1;
        *counts.by_contract.entry(s.contract_status).or_default() += 1;
        per_kind.entry(s.kind).or_default().push(s);
    }
    counts.by_kind = per_kind
        .into_iter()
        .map(|(kind, v)| {
            let rated = v.iter().filter(|s| s.overall.is_some_and(Rating::is_grade)).count() as i64;
            let good = v.iter().filter(|s| s.overall.is_some_and(|r| r.is_grade() && r.is_good_or_outstanding())).count() as i64;
            KindFigure {
                kind,
                services: v.len() as i64,
                contracted: v.iter().filter(|s| s.contract_status.is_contracted()).count() as i64,
                rated,
                good_or_outstanding: good,
                percent_good_or_outstanding: percent_good_or_outstanding(v.iter().map(|s| s.overall)),
                national_percent: national_percent(kind),
            }
        })
        .collect();
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn seed_figure_84_percent() {
        // `000`: 84% of care homes Good or Outstanding. 84 of 100 rated homes, plus unrated ones.
        let mut v = vec![Some(Rating::Good); 80];
        v.extend(vec![Some(Rating::Outstanding); 4]);
        v.extend(vec![Some(Rating::RequiresImprovement); 14]);
        v.extend(vec![Some(Rating::Inadequate); 2]);
        v.extend(vec![None, Some(Rating::NoPublishedRating), Some(Rating::InspectedButNotRated)]);
        assert_eq!(percent_good_or_outstanding(v), Some(84.0));
        assert_eq!(percent_good_or_outstanding(Vec::<Option<Rating>>::new()), None);
        assert_eq!(percent(157, 291), Some(54.0));
    }

    #[test]
    fn market_counts_by_kind_and_contract() {
        let s = |kind, contract_status, overall| CountedService { kind, contract_status, overall };
        let (home, hc) = (ServiceKind::CareHomeResidential, ServiceKind::HomeCare);
        let services = [
            s(home, ContractStatus::Framework, Some(Rating::Good)),
            s(home, ContractStatus::NotContracted, Some(Rating::Inadequate)),
            s(home, ContractStatus::SpotPurchase, Some(Rating::InspectedButNotRated)),
            s(hc, ContractStatus::Framework, None),
        ];
        let c = market_counts(&services, |k| (k == home).then_some(81.0));
        assert_eq!(c.total, 4);
        assert_eq!(c.by_contract[&ContractStatus::Framework], 2);
        assert_eq!(c.kind_by_contract[&home][&ContractStatus::SpotPurchase], 1);
        let first = &c.by_kind[0];
        assert_eq!((first.kind, first.services, first.contracted, first.rated, first.good_or_outstanding), (home, 3, 2, 2, 1));
        assert_eq!(first.percent_good_or_outstanding, Some(50.0));
        assert_eq!(first.national_percent, Some(81.0));
        assert_eq!((c.by_kind[1].rated, c.by_kind[1].percent_good_or_outstanding, c.by_kind[1].national_percent), (0, None, None));
    }

    proptest! {
        #[test]
        fn percent_is_bounded(n in 0i64..10_000, extra in 0i64..10_000) {
            let p = percent(n, n + extra).unwrap_or(0.0);
            prop_assert!((0.0..=100.0).contains(&p));
        }
    }
}
