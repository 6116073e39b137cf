//! The plan alone (no database): determinism, sizes at scale 1 and rating consistency.

use caremarket_core::Date;
use caremarket_core::register::{ContractStatus, Rating, ServiceKind};
use caremarket_demo::plan::{FRAMEWORKS, Plan, PlannedService, plan};
use caremarket_demo::ratings::{Profile, aggregate};
use caremarket_demo::{DemoOptions, FRAMEWORKS as REEXPORTED};
use std::collections::BTreeSet;

fn today() -> Date {
    Date::new(2025, 6, 30).expect("valid date")
}

fn make(seed: u64, scale: u32) -> Plan {
    plan(&DemoOptions { seed, scale, today: today() }).expect("plan")
}

fn in_area<'a>(p: &'a Plan, kinds: &'a [ServiceKind]) -> impl Iterator<Item = &'a PlannedService> + 'a {
    p.services.iter().filter(move |s| s.in_area && kinds.contains(&s.kind))
}

#[test]
fn same_seed_same_plan_and_different_seed_differs() {
    assert_eq!(make(7, 1), make(7, 1));
    let a: Vec<String> = make(7, 1).services.iter().map(|s| s.name.clone()).collect();
    let b: Vec<String> = make(8, 1).services.iter().map(|s| s.name.clone()).collect();
    assert_ne!(a, b);
    assert_eq!(FRAMEWORKS.len(), REEXPORTED.len());
}

#[test]
fn scale_one_is_sized_like_the_seeds() {
    for seed in [1, 2, 2024] {
        let p = make(seed, 1);
        let care_homes: Vec<_> = in_area(&p, &[ServiceKind::CareHomeResidential, ServiceKind::CareHomeNursing]).collect();
        assert!((90..=110).contains(&care_homes.len()), "care homes {}", care_homes.len());
        let residential = care_homes.iter().filter(|s| s.kind == ServiceKind::CareHomeResidential).count();
        assert!((50..=60).contains(&residential), "residential {residential}");
        let dementia = care_homes.iter().filter(|s| s.specialisms.contains(&caremarket_core::register::Specialism::Dementia)).count();
        assert!((35..=65).contains(&dementia), "dementia {dementia}");
        assert!(care_homes.iter().all(|s| s.beds.is_some_and(|b| (20..=90).contains(&b))));

        let home_care: Vec<_> = in_area(&p, &[ServiceKind::HomeCare]).collect();
        assert!((180..=200).contains(&home_care.len()), "home care {}", home_care.len());
        let contracted = home_care.iter().filter(|s| s.contract.status.is_contracted()).count();
        assert!((25..=35).contains(&contracted), "contracted home care {contracted}");
        let on_fw = home_care.iter().filter(|s| s.contract.status == ContractStatus::Framework).count();
        assert_eq!(on_fw, 30);

        let sl: Vec<_> = in_area(&p, &[ServiceKind::SupportedLiving]).collect();
        assert_eq!(sl.len(), 67);
        assert_eq!(sl.iter().filter(|s| s.contract.status == ContractStatus::Framework).count(), 40);
        assert_eq!(sl.iter().filter(|s| s.contract.status == ContractStatus::DirectAward).count(), 27);

        let day: Vec<_> = in_area(&p, &[ServiceKind::DayServices]).filter(|s| s.contract.status != ContractStatus::InHouse).collect();
        assert_eq!(day.len(), 63);
        assert_eq!(day.iter().filter(|s| s.contract.status == ContractStatus::Framework).count(), 31);
        assert_eq!(day.iter().filter(|s| s.contract.status == ContractStatus::DirectAward).count(), 32);
        assert!(day.iter().all(|s| s.registration_status == "not_registered" && s.ratings.is_empty() && s.cqc_location_id.is_none()));

        let external_short_breaks =
            in_area(&p, &[ServiceKind::ShortBreaks]).filter(|s| s.contract.status != ContractStatus::InHouse).count();
        assert_eq!(external_short_breaks, 4);
        assert_eq!(in_area(&p, &[ServiceKind::ExtraCare]).count(), 8);
        let mh_fw = in_area(&p, &[ServiceKind::MentalHealthSupport]).filter(|s| s.contract.status == ContractStatus::Framework).count();
        assert_eq!(mh_fw, 12);
        let money: Vec<_> = in_area(&p, &[ServiceKind::MoneyManagement]).collect();
        assert!((3..=6).contains(&money.len()));
        assert!(
            money.iter().all(|s| s.contract.status == ContractStatus::RecognisedProviderList && s.registration_status == "not_registered")
        );
        let in_house = p.services.iter().filter(|s| s.contract.status == ContractStatus::InHouse).count();
        assert!((3..=8).contains(&in_house), "in-house {in_house}");

        // Every contract status appears somewhere in the market.
        let statuses: BTreeSet<_> = p.services.iter().map(|s| s.contract.status).collect();
        assert_eq!(statuses.len(), ContractStatus::ALL.len(), "{statuses:?}");

        let out: Vec<_> = p.services.iter().filter(|s| !s.in_area).collect();
        assert!((20..=30).contains(&out.len()));
        assert!(out.iter().all(|s| s.local_authority != "Northmoor"));
        assert!((15..=25).contains(&p.placements.len()));
        assert!(p.placements.iter().all(|pl| p.services.get(pl.service).is_some_and(|s| !s.in_area)));
        let council = p.placements.iter().filter(|pl| pl.funder == "council").count();
        assert!(council * 2 > p.placements.len(), "mostly council-funded");

        // Many single-location providers, some groups.
        let mut per_provider = vec![0usize; p.providers.len()];
        for s in &p.services {
            per_provider[s.provider] += 1;
        }
        let single = per_provider.iter().filter(|n| **n == 1).count();
        let groups = per_provider.iter().filter(|n| **n >= 3).count();
        assert!(single > p.providers.len() / 2, "single {single} of {}", p.providers.len());
        assert!(groups >= 5, "groups {groups}");
        assert!(per_provider.iter().all(|n| *n > 0));
        let portal = per_provider[p.portal_provider];
        assert!(portal >= 2, "the provider user's provider runs several homes");
    }
}

#[test]
fn framework_services_have_a_framework_and_one_of_its_lots() {
    let p = make(3, 2);
    for s in &p.services {
        if s.contract.status == ContractStatus::Framework {
            let fw = s.contract.framework.and_then(|i| FRAMEWORKS.get(i)).expect("framework");
            let lot = s.contract.lot.expect("lot");
            assert!(fw.lots.contains(&lot), "{} lot {lot} not in {}", s.name, fw.name);
            assert!(
                fw.kind
                    .is_none_or(|k| k == s.kind || (k == ServiceKind::SupportedLiving && s.kind == ServiceKind::EnhancedSupportedLiving))
            );
        } else {
            assert!(s.contract.framework.is_none() && s.contract.lot.is_none());
        }
        if let (Some(a), Some(b)) = (s.contract.start, s.contract.end) {
            assert!(a <= b);
        }
        if let (Some(a), Some(r)) = (s.contract.start, s.registration_date) {
            assert!(a >= r, "{}: contract starts before registration", s.name);
        }
    }
}

#[test]
fn ratings_are_consistent_and_tell_the_dashboard_story() {
    let today = today();
    let since = today.checked_sub(jiff::Span::new().days(90)).expect("date");
    let before_2020 = Date::new(2020, 1, 1).expect("date");
    let mut good_or_outstanding = 0;
    let mut rated_homes = 0;
    for seed in [1, 2, 3, 4] {
        let p = make(seed, 1);
        let mut changes = 0;
        let mut falls = 0;
        let mut rises = 0;
        let mut stale = 0;
        let mut never = 0;
        for s in p.services.iter() {
            if s.registration_status != "registered" {
                assert!(s.ratings.is_empty() && s.profile.is_none());
                continue;
            }
            assert!(s.ratings.len() <= 4, "{} has {} ratings", s.name, s.ratings.len());
            let mut prev_date = None;
            let mut prev: Option<Rating> = None;
            for r in &s.ratings {
                if let Some(k) = r.key_questions {
                    assert_eq!(aggregate(&k), r.overall, "{}: {k:?}", s.name);
                }
                if let Some(d) = r.report_date {
                    assert!(d >= Date::new(2016, 1, 1).expect("date") && d <= today);
                    assert!(s.registration_date.is_some_and(|reg| reg < d));
                    assert!(prev_date.is_none_or(|p| p < d), "{} dates not ascending", s.name);
                    if s.in_area && d >= since && prev.is_some_and(|p| p != r.overall) {
                        changes += 1;
                        if prev.and_then(|p| p.score()) > r.overall.score() {
                            falls += 1;
                        } else {
                            rises += 1;
                        }
                    }
                    prev_date = Some(d);
                }
                prev = Some(r.overall);
            }
            let last = s.ratings.last();
            if s.in_area {
                match last.and_then(|r| r.report_date) {
                    Some(d) if d < before_2020 => stale += 1,
                    None => never += 1,
                    _ => {}
                }
            }
            if s.kind.is_care_home()
                && let Some(r) = s.current_rating().filter(|r| r.is_grade())
            {
                rated_homes += 1;
                if r.is_good_or_outstanding() {
                    good_or_outstanding += 1;
                }
            }
            if matches!(s.profile, Some(Profile::New(_))) {
                assert!(last.is_none_or(|r| r.overall == Rating::NoPublishedRating));
            }
        }
        assert!(changes >= 3 && falls >= 1 && rises >= 1, "changes {changes} falls {falls} rises {rises}");
        assert!((10..=20).contains(&stale), "stale {stale}");
        assert!((4..=12).contains(&never), "never inspected {never}");
    }
    let share = f64::from(good_or_outstanding) / f64::from(rated_homes);
    assert!((0.72..=0.9).contains(&share), "care homes good or outstanding {share}");
}

#[test]
fn names_and_ids_are_unique_and_fictional() {
    let p = make(11, 3);
    let names: BTreeSet<_> = p.services.iter().map(|s| &s.name).collect();
    assert_eq!(names.len(), p.services.len());
    let pnames: BTreeSet<_> = p.providers.iter().map(|s| &s.name).collect();
    assert_eq!(pnames.len(), p.providers.len());
    let locs: Vec<_> = p.services.iter().filter_map(|s| s.cqc_location_id.clone()).collect();
    assert_eq!(locs.iter().collect::<BTreeSet<_>>().len(), locs.len());
    assert!(locs.iter().all(|l| l.starts_with("1-9") && l.len() == 12));
    let provs: Vec<_> = p.providers.iter().filter_map(|s| s.cqc_provider_id.clone()).collect();
    assert_eq!(provs.iter().collect::<BTreeSet<_>>().len(), provs.len());
    assert!(provs.iter().all(|l| l.starts_with("1-8") && l.len() == 12));
    let refs: BTreeSet<_> = p.placements.iter().map(|pl| &pl.person_ref).collect();
    assert_eq!(refs.len(), p.placements.len());
    for s in &p.services {
        assert!(s.postcode.ends_with("ZZ"), "{}", s.postcode);
        assert!(s.phone.as_deref().is_none_or(|t| t.starts_with("0161 496 0") || t.starts_with("01632 960")));
    }
}

#[test]
fn scale_multiplies_counts() {
    let one = make(5, 1);
    let three = make(5, 3);
    let count = |p: &Plan, k: ServiceKind| p.services.iter().filter(|s| s.kind == k).count();
    for k in [ServiceKind::HomeCare, ServiceKind::SupportedLiving, ServiceKind::DayServices, ServiceKind::CareHomeNursing] {
        assert_eq!(count(&three, k), 3 * count(&one, k), "{k:?}");
    }
    assert_eq!(three.placements.len(), 3 * one.placements.len());
}

#[test]
fn rejects_bad_options() {
    assert!(plan(&DemoOptions { seed: 1, scale: 0, today: today() }).is_err());
    assert!(plan(&DemoOptions { seed: 1, scale: 1, today: Date::new(2019, 1, 1).expect("date") }).is_err());
}
