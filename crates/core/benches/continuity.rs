//! Issue 4's speed figures (recorded in benchmarks/capacity.md): the continuity calculation for
//! every provider in turn, and the eligible-provider list for one request, on synthetic data at
//! 10x the demo council (the demo is about 500 services; here 5,000 services of 2,500 providers,
//! about 9,000 supply lines, and 1,500 home care candidates).

use caremarket_core::capacity::brokerage::{Candidate, Lot, RatingRule, eligible_providers};
use caremarket_core::capacity::continuity::{Market, Supply, concentration};
use caremarket_core::register::{ContractStatus, Rating, ServiceKind};
use criterion::{Criterion, black_box, criterion_group, criterion_main};

const AREAS: [&str; 5] = ["north", "south", "east", "west", "central"];
const BEDS: [&str; 4] = ["dementia_nursing", "dementia_residential", "general_nursing", "general_residential"];

/// A small deterministic generator (no dependency): xorshift.
struct Rng(u64);
impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn market(scale: usize) -> Vec<Supply> {
    let mut rng = Rng(0x5eed);
    let mut v = Vec::new();
    for s in 0..500 * scale {
        let provider = s / 2;
        let kind = match s % 10 {
            0..=2 => ServiceKind::CareHomeResidential,
            3 => ServiceKind::CareHomeNursing,
            4..=6 => ServiceKind::HomeCare,
            7 | 8 => ServiceKind::SupportedLiving,
            _ => ServiceKind::DayServices,
        };
        let area = AREAS[rng.next(5) as usize].to_string();
        let restricted = rng.next(17) == 0;
        let base = |category: String, committed: i64, spare: i64, people: i64| Supply {
            service_id: format!("s{s}"),
            provider_id: format!("p{provider}"),
            provider_name: format!("Provider {provider}"),
            kind,
            category,
            area_id: Some(area.clone()),
            people,
            packages: if kind == ServiceKind::HomeCare { people } else { 0 },
            committed,
            spare,
            restricted,
        };
        if kind.is_care_home() {
            let sizes: Vec<(i64, i64)> = (0..2).map(|_| (10 + rng.next(40) as i64, 70 + rng.next(30) as i64)).collect();
            for (b, (beds, pc)) in sizes.into_iter().enumerate() {
                let occ = beds * pc / 100;
                v.push(base(BEDS[(s + b) % 4].to_string(), occ, beds - occ, occ));
            }
        } else {
            let people = 5 + rng.next(100) as i64;
            let spare = rng.next(40) as i64 * 60;
            v.push(base(if kind == ServiceKind::HomeCare { "general".into() } else { String::new() }, people * 600, 0, people));
            if kind == ServiceKind::HomeCare {
                v.push(base("general".into(), 0, spare, 0));
            }
        }
    }
    v
}

fn candidates(n: usize) -> Vec<Candidate> {
    let mut rng = Rng(0xca7d);
    (0..n)
        .map(|i| Candidate {
            service_id: format!("s{i}"),
            provider_id: format!("p{i}"),
            name: format!("Home care {i}"),
            provider_name: format!("Provider {i}"),
            contract_status: if i % 3 == 0 { ContractStatus::SpotPurchase } else { ContractStatus::Framework },
            lot: Some(if i % 5 == 0 { Lot::HighDependency } else { Lot::General }),
            registered: i % 23 != 0,
            overall: Some([Rating::Good, Rating::RequiresImprovement, Rating::Outstanding, Rating::Inadequate][rng.next(4) as usize]),
            well_led: Some([Rating::Good, Rating::RequiresImprovement][rng.next(2) as usize]),
            inspected: i % 19 != 0,
            restriction: if i % 29 == 0 { Some("Embargo".into()) } else { None },
            spare_minutes_in_area: rng.next(40) as i64 * 60,
            already_offered: false,
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let supply = market(10);
    let m = Market::new(&supply);
    eprintln!("10x market: {} supply lines, {} providers", supply.len(), m.ranked_exits().len());
    c.bench_function("continuity: every provider's exit in turn, ranked (10x demo)", |b| {
        b.iter(|| black_box(Market::new(black_box(&supply)).ranked_exits()))
    });
    c.bench_function("continuity: one provider's exit (10x demo)", |b| b.iter(|| black_box(m.exit_of_providers(&["p42"]))));
    c.bench_function("concentration per kind with HHI (10x demo)", |b| b.iter(|| black_box(concentration(black_box(&supply)))));
    let cands = candidates(1500);
    let rule = RatingRule::default();
    c.bench_function("eligible providers for a request (1,500 candidates)", |b| {
        b.iter(|| black_box(eligible_providers(Lot::General, 14 * 60, black_box(&cands), &rule)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
