//! Continuity of care if providers exit, and market concentration (`000` "What is Market
//! Sustainability": a sustainable market is one where, if a provider exits, there is enough
//! alternative supply that care continues; domain C3 "Sufficiency and continuity").
//!
//! Method (docs/capacity.md): the market is a list of [`Supply`] lines, one per service and
//! category (a care home's bed type, a home care service's lot). Taking out a set of providers
//! affects the people, packages and units (beds, or minutes a week) of their lines. For each
//! (kind, category, area) the rest of the market can absorb up to its spare units there, counting
//! only services not under a placement restriction. What cannot be absorbed is the shortfall.

use crate::register::ServiceKind;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// One service's supply in one category.
#[derive(Debug, Clone, Serialize)]
pub struct Supply {
    pub service_id: String,
    pub provider_id: String,
    pub provider_name: String,
    pub kind: ServiceKind,
    /// A bed type (`dementia_nursing`), a lot (`general`), or "" where there is none.
    pub category: String,
    pub area_id: Option<String>,
    pub people: i64,
    pub packages: i64,
    /// Beds occupied (care homes) or minutes a week delivered (home care, supported living).
    pub committed: i64,
    /// Vacant beds, or declared spare minutes a week.
    pub spare: i64,
    /// Under a placement restriction or embargo: cannot take anyone new.
    pub restricted: bool,
}

impl Supply {
    /// Beds for care homes, minutes a week otherwise.
    pub fn in_beds(&self) -> bool {
        self.kind.is_care_home()
    }
}

type Key = (ServiceKind, String, Option<String>);

fn key(s: &Supply) -> Key {
    (s.kind, s.category.clone(), s.area_id.clone())
}

/// What one (kind, category, area) loses and what the rest can take.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupImpact {
    pub kind: ServiceKind,
    pub category: String,
    pub area_id: Option<String>,
    pub in_beds: bool,
    pub people: i64,
    pub packages: i64,
    pub affected: i64,
    pub spare_elsewhere: i64,
    pub absorbable: i64,
    pub shortfall: i64,
    pub people_absorbable: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Impact {
    pub groups: Vec<GroupImpact>,
    pub people: i64,
    pub packages: i64,
    /// Occupied beds affected, by bed type.
    pub beds_by_type: BTreeMap<String, i64>,
    pub beds: i64,
    pub beds_absorbable: i64,
    pub minutes_per_week: i64,
    pub minutes_absorbable: i64,
    pub people_absorbable: i64,
    pub people_not_absorbed: i64,
    /// Share of affected people the rest of the market could take, whole per cent.
    pub percent_absorbable: Option<i64>,
}

/// The market, indexed once so that each exit is computed from the exiting lines alone.
pub struct Market<'a> {
    supply: &'a [Supply],
    spare_by_key: HashMap<Key, i64>,
    by_provider: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Market<'a> {
    pub fn new(supply: &'a [Supply]) -> Market<'a> {
        let mut spare_by_key: HashMap<Key, i64> = HashMap::new();
        let mut by_provider: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, s) in supply.iter().enumerate() {
            if !s.restricted {
                *spare_by_key.entry(key(s)).or_default() += s.spare.max(0);
            }
            by_provider.entry(s.provider_id.as_str()).or_default().push(i);
        }
        Market { supply, spare_by_key, by_provider }
    }

    /// The impact of the providers in `providers` leaving the market together.
    pub fn exit_of_providers(&self, providers: &[&str]) -> Impact {
        let idx: Vec<usize> = providers.iter().filter_map(|p| self.by_provider.get(p)).flatten().copied().collect();
        self.exit_of(&idx)
    }

    /// The impact of every line matching `f` leaving (a kind in an area, say).
    pub fn exit_where(&self, f: impl Fn(&Supply) -> bool) -> Impact {
        let idx: Vec<usize> = self.supply.iter().enumerate().filter(|(_, s)| f(s)).map(|(i, _)| i).collect();
        self.exit_of(&idx)
    }

    fn exit_of(&self, idx: &[usize]) -> Impact {
        let mut idx = idx.to_vec();
        idx.sort_unstable();
        idx.dedup();
        let mut groups: BTreeMap<Key, GroupImpact> = BTreeMap::new();
        let mut leaving_spare: HashMap<Key, i64> = HashMap::new();
        for &i in &idx {
            let s = &self.supply[i];
            let k = key(s);
            if !s.restricted {
                *leaving_spare.entry(k.clone()).or_default() += s.spare.max(0);
            }
            let g = groups.entry(k).or_insert_with(|| GroupImpact {
                kind: s.kind,
                category: s.category.clone(),
                area_id: s.area_id.clone(),
                in_beds: s.in_beds(),
                people: 0,
                packages: 0,
                affected: 0,
                spare_elsewhere: 0,
                absorbable: 0,
                shortfall: 0,
                people_absorbable: 0,
            });
            g.people += s.people.max(0);
            g.packages += s.packages.max(0);
            g.affected += s.committed.max(0);
        }
        let mut out = Impact::default();
        for (k, mut g) in groups {
            let total = self.spare_by_key.get(&k).copied().unwrap_or(0);
            g.spare_elsewhere = (total - leaving_spare.get(&k).copied().unwrap_or(0)).max(0);
            g.absorbable = g.affected.min(g.spare_elsewhere);
            g.shortfall = g.affected - g.absorbable;
            // People move with their care: the share of units absorbed, in whole people.
            g.people_absorbable =
                if g.affected > 0 { (g.people as i128 * g.absorbable as i128 / g.affected as i128) as i64 } else { g.people };
            out.people += g.people;
            out.packages += g.packages;
            out.people_absorbable += g.people_absorbable;
            if g.in_beds {
                *out.beds_by_type.entry(g.category.clone()).or_default() += g.affected;
                out.beds += g.affected;
                out.beds_absorbable += g.absorbable;
            } else {
                out.minutes_per_week += g.affected;
                out.minutes_absorbable += g.absorbable;
            }
            out.groups.push(g);
        }
        out.people_not_absorbed = out.people - out.people_absorbable;
        out.percent_absorbable = super::whole_percent(out.people_absorbable, out.people);
        out
    }

    /// Every provider's exit on its own, largest shortfall (in people) first.
    pub fn ranked_exits(&self) -> Vec<ProviderExit> {
        let mut v: Vec<ProviderExit> = self
            .by_provider
            .iter()
            .map(|(p, idx)| {
                let impact = self.exit_of(idx);
                ProviderExit {
                    provider_id: (*p).to_string(),
                    provider_name: self.supply[idx[0]].provider_name.clone(),
                    people: impact.people,
                    people_not_absorbed: impact.people_not_absorbed,
                    beds_short: impact.groups.iter().filter(|g| g.in_beds).map(|g| g.shortfall).sum(),
                    minutes_short: impact.groups.iter().filter(|g| !g.in_beds).map(|g| g.shortfall).sum(),
                    percent_absorbable: impact.percent_absorbable,
                }
            })
            .collect();
        v.sort_by(|a, b| {
            (b.people_not_absorbed, b.people, &a.provider_name, &a.provider_id).cmp(&(
                a.people_not_absorbed,
                a.people,
                &b.provider_name,
                &b.provider_id,
            ))
        });
        v
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProviderExit {
    pub provider_id: String,
    pub provider_name: String,
    pub people: i64,
    pub people_not_absorbed: i64,
    pub beds_short: i64,
    pub minutes_short: i64,
    pub percent_absorbable: Option<i64>,
}

/// Concentration of one kind of service: the shares of the largest providers and the
/// Herfindahl-Hirschman index (the sum of squared percentage shares, 0–10,000; above 2,500 is
/// "highly concentrated" in the UK and US competition authorities' guidance).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Concentration {
    pub kind: ServiceKind,
    pub providers: usize,
    pub total: i64,
    pub largest_provider: Option<String>,
    pub largest_share: f64,
    pub top3_share: f64,
    pub hhi: i64,
    pub band: &'static str,
}

/// HHI of volumes (any unit): Σ (100 × share)².
pub fn hhi(volumes: &[i64]) -> i64 {
    let total: i64 = volumes.iter().filter(|v| **v > 0).sum();
    if total <= 0 {
        return 0;
    }
    volumes
        .iter()
        .filter(|v| **v > 0)
        .map(|v| {
            let s = 100.0 * *v as f64 / total as f64;
            s * s
        })
        .sum::<f64>()
        .round() as i64
}

pub fn hhi_band(h: i64) -> &'static str {
    if h > 2500 {
        "Highly concentrated"
    } else if h >= 1500 {
        "Moderately concentrated"
    } else {
        "Unconcentrated"
    }
}

/// Concentration per kind, by each provider's committed volume (beds occupied, minutes a week).
pub fn concentration(supply: &[Supply]) -> Vec<Concentration> {
    let mut by_kind: BTreeMap<ServiceKind, BTreeMap<(&str, &str), i64>> = BTreeMap::new();
    for s in supply {
        *by_kind.entry(s.kind).or_default().entry((s.provider_id.as_str(), s.provider_name.as_str())).or_default() += s.committed.max(0);
    }
    by_kind
        .into_iter()
        .map(|(kind, m)| {
            let mut v: Vec<((&str, &str), i64)> = m.into_iter().filter(|(_, n)| *n > 0).collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let total: i64 = v.iter().map(|(_, n)| n).sum();
            let share = |n: i64| if total > 0 { 100.0 * n as f64 / total as f64 } else { 0.0 };
            let h = hhi(&v.iter().map(|(_, n)| *n).collect::<Vec<_>>());
            Concentration {
                kind,
                providers: v.len(),
                total,
                largest_provider: v.first().map(|((_, name), _)| (*name).to_string()),
                largest_share: v.first().map(|(_, n)| share(*n)).unwrap_or(0.0),
                top3_share: share(v.iter().take(3).map(|(_, n)| n).sum()),
                hhi: h,
                band: hhi_band(h),
            }
        })
        .filter(|c| c.total > 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(provider: &str, kind: ServiceKind, cat: &str, area: &str, committed: i64, spare: i64, restricted: bool) -> Supply {
        Supply {
            service_id: format!("{provider}-{cat}"),
            provider_id: provider.into(),
            provider_name: provider.into(),
            kind,
            category: cat.into(),
            area_id: Some(area.into()),
            people: committed,
            packages: 0,
            committed,
            spare,
            restricted,
        }
    }

    #[test]
    fn exit_matches_bed_type_area_and_restrictions() {
        let n = ServiceKind::CareHomeNursing;
        let supply = vec![
            s("A", n, "dementia_nursing", "north", 30, 0, false),
            s("B", n, "dementia_nursing", "north", 40, 10, false),
            s("C", n, "dementia_nursing", "north", 20, 15, true), // restricted: its vacancies do not count
            s("D", n, "dementia_nursing", "south", 20, 50, false), // another area
            s("E", n, "general_nursing", "north", 20, 50, false), // another bed type
        ];
        let m = Market::new(&supply);
        let i = m.exit_of_providers(&["A"]);
        assert_eq!((i.beds, i.beds_absorbable, i.people_not_absorbed), (30, 10, 20));
        assert_eq!(i.percent_absorbable, Some(33));
        assert_eq!(i.beds_by_type.get("dementia_nursing"), Some(&30));
        // B leaving takes its own spare beds with it.
        let i = m.exit_of_providers(&["A", "B"]);
        assert_eq!((i.beds, i.beds_absorbable), (70, 0));
        let ranked = m.ranked_exits();
        assert_eq!(ranked[0].provider_id, "B");
        assert_eq!(ranked[0].people_not_absorbed, 40);
    }

    #[test]
    fn hhi_of_known_markets() {
        assert_eq!(hhi(&[100]), 10_000);
        assert_eq!(hhi(&[25, 25, 25, 25]), 2_500);
        assert_eq!(hhi(&[50, 30, 20]), 3_800);
        assert_eq!(hhi_band(3_800), "Highly concentrated");
        let supply = vec![
            s("A", ServiceKind::HomeCare, "general", "x", 50, 0, false),
            s("B", ServiceKind::HomeCare, "general", "x", 30, 0, false),
            s("C", ServiceKind::HomeCare, "general", "x", 20, 0, false),
        ];
        let c = concentration(&supply);
        assert_eq!(c[0].hhi, 3_800);
        assert_eq!(c[0].largest_provider.as_deref(), Some("A"));
        assert!((c[0].largest_share - 50.0).abs() < 1e-9);
        assert!((c[0].top3_share - 100.0).abs() < 1e-9);
    }

    proptest! {
        #[test]
        fn absorbed_never_exceeds_affected_or_spare(lines in proptest::collection::vec((0usize..5, 0usize..2, 0i64..100, 0i64..50, any::<bool>()), 1..30)) {
            let supply: Vec<Supply> = lines.iter().enumerate().map(|(i, (p, a, c, sp, r))| {
                let mut x = s(&format!("P{p}"), ServiceKind::HomeCare, "general", if *a == 0 { "n" } else { "s" }, *c, *sp, *r);
                x.service_id = format!("S{i}");
                x
            }).collect();
            let m = Market::new(&supply);
            let total_spare: i64 = supply.iter().filter(|x| !x.restricted).map(|x| x.spare).sum();
            for e in m.ranked_exits() {
                prop_assert!(e.people_not_absorbed >= 0 && e.people_not_absorbed <= e.people);
            }
            let i = m.exit_of_providers(&["P0"]);
            prop_assert!(i.minutes_absorbable <= i.minutes_per_week);
            prop_assert!(i.minutes_absorbable <= total_spare);
            let h = hhi(&supply.iter().map(|x| x.committed).collect::<Vec<_>>());
            prop_assert!((0..=10_000).contains(&h));
        }
    }
}
