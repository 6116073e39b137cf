//! Demo capacity and brokerage data (issue 4): twelve weeks of weekly vacancy returns for the
//! demo care homes (a few homes stop returning, a few run at low occupancy), block-contracted
//! beds (Somewhere Else to Assess, emergency, planned respite, in the proportions of `000`),
//! placement restrictions and embargoes, home care weekly activity and declared spare capacity,
//! supported living and day services hours, and about 40 home care package requests (hospital
//! discharge and community; some waiting, most offered, accepted and started).

use caremarket_core::capacity::admissions::{AdmissionClosureReason, NewAdmissionClosure};
use caremarket_core::capacity::brokerage::{Lot, Route};
use caremarket_core::capacity::supported_living::SupportWeek;
use caremarket_core::capacity::vacancies::{BedType, BlockBedKind, VacancyLine};
use caremarket_core::register::{ContractStatus, ServiceKind, Specialism};
use caremarket_store::bulk::{BrokeredRequest, NewSpareCapacity, PackageStep};
use caremarket_store::capacity::{NewActivity, NewPackageRequest, NewVacancyReturn, lot_category};
use caremarket_store::register::{Service, ServiceFilter};
use caremarket_store::restrictions::NewRestriction;
use caremarket_store::{Actor, Store, StoreError};
use jiff::civil::Date;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[derive(Debug, Clone, Default)]
pub struct CapacitySummary {
    pub vacancy_returns: usize,
    pub block_bed_contracts: usize,
    pub restrictions: usize,
    pub admission_closures: usize,
    pub activity_returns: usize,
    pub spare_declarations: usize,
    pub package_requests: usize,
    pub packages_started: usize,
    pub packages_waiting: usize,
}

async fn all_services(store: &Store, kinds: Vec<ServiceKind>) -> Result<Vec<Service>, StoreError> {
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let p = store
            .services(&ServiceFilter { kinds: kinds.clone(), page, per_page: 1000, sort: Some("name".into()), ..Default::default() })
            .await?;
        let n = p.items.len();
        out.extend(p.items);
        if n == 0 || out.len() as i64 >= p.total {
            break;
        }
        page += 1;
    }
    Ok(out)
}

fn days(n: i64) -> jiff::Span {
    jiff::Span::new().days(n)
}

/// Generate the capacity data. `today` is the demo's today, which must not be after the real
/// one (requests and starts are checked against the clock).
pub async fn generate_capacity(store: &Store, seed: u64, scale: u32, today: Date) -> Result<CapacitySummary, StoreError> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0xCA9A_C177);
    let actor = Actor::system("demo");
    let mut sum = CapacitySummary::default();
    let tz = jiff::tz::TimeZone::get("Europe/London").unwrap_or(jiff::tz::TimeZone::UTC);

    // ----- care homes: twelve weekly returns each -----
    let homes = all_services(store, vec![ServiceKind::CareHomeResidential, ServiceKind::CareHomeNursing]).await?;
    let mut block_homes = Vec::new();
    // Written in one batch (the store's bulk path, one audit entry), in the order generated.
    let mut vacancy_returns = Vec::new();
    for (i, h) in homes.iter().enumerate() {
        let Some(beds) = h.beds.filter(|b| *b >= 4) else { continue };
        let nursing = h.kind == ServiceKind::CareHomeNursing;
        let dementia = h.specialisms.contains(&Specialism::Dementia);
        let types: Vec<(BedType, i64)> = if dementia {
            let d = beds * rng.gen_range(35..65) / 100;
            vec![(BedType::default_for(nursing, true), d), (BedType::default_for(nursing, false), beds - d)]
        } else {
            vec![(BedType::default_for(nursing, false), beds)]
        };
        // Occupancy as `000` reports it: dementia beds fuller than general nursing; a few homes low.
        let low = i % 11 == 3;
        let stops_after = if i % 13 == 5 { rng.gen_range(3..8) } else { 12 };
        for w in (0..12i64).rev() {
            if 12 - w > stops_after {
                continue;
            }
            // Homes return in the council's window (Monday to Wednesday, the default): on the
            // Monday, Tuesday or Wednesday of each week; a few are usually late (Thursday or
            // Friday). This week's returns not yet due by today are not made yet.
            let monday = today.checked_sub(days(7 * w + i64::from(today.weekday().to_monday_zero_offset()))).unwrap_or(today);
            let offset = if i % 17 == 8 { 3 + i as i64 % 2 } else { i as i64 % 3 };
            let date = monday.checked_add(days(offset)).unwrap_or(monday);
            if date > today {
                continue;
            }
            let lines: Vec<VacancyLine> = types
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(b, n)| {
                    let base = match (b, low) {
                        (_, true) => 68,
                        (BedType::DementiaNursing | BedType::DementiaResidential, _) => 92,
                        (BedType::GeneralNursing, _) => 79,
                        (BedType::GeneralResidential, _) => 86,
                    };
                    let pc = (base + rng.gen_range(-5..=5) + (11 - w) as i32 / 4).clamp(40, 100) as i64;
                    let occ = (*n * pc / 100).min(*n);
                    VacancyLine { bed_type: *b, occupied: occ, vacant: *n - occ }
                })
                .collect();
            let source = ["portal", "officer", "csv", "api"][(i + w as usize) % 4];
            vacancy_returns.push(NewVacancyReturn { service_id: h.id.clone(), return_date: date, lines, source });
            sum.vacancy_returns += 1;
        }
        if h.contract_status == ContractStatus::Framework || i % 4 == 0 {
            block_homes.push((h.id.clone(), beds));
        }
    }
    store.bulk_vacancy_returns(&actor, &vacancy_returns, today).await?;
    // `000`: S2A 40 beds in 12 homes; emergency 3 beds in 3 homes; planned respite 4 beds in 4 homes.
    let plan =
        [(BlockBedKind::SomewhereElseToAssess, 12usize, 40i64), (BlockBedKind::Emergency, 3, 3), (BlockBedKind::PlannedRespite, 4, 4)];
    let mut next = 0usize;
    for (kind, n_homes, total) in plan {
        for k in 0..n_homes {
            let Some((id, beds)) = block_homes.get(next % block_homes.len().max(1)) else { break };
            next += 1;
            let share = total / n_homes as i64 + if (k as i64) < total % n_homes as i64 { 1 } else { 0 };
            let share = share.min(*beds).max(1);
            store.add_block_beds(&actor, id, kind, share, today.checked_sub(days(200)).unwrap_or(today), None).await?;
            sum.block_bed_contracts += 1;
        }
    }

    // ----- restrictions: `000` "5 homes in 'Amber' and 3 in 'Red'... The homes also have placement restrictions in place" -----
    for (k, h) in homes.iter().filter(|h| h.ratings.overall.is_some_and(|r| r.score().unwrap_or(4) <= 2)).take(8).enumerate() {
        let embargo = k < 3;
        store
            .record_restriction(
                &actor,
                &NewRestriction {
                    service_id: h.id.clone(),
                    kind: if embargo { "embargo" } else { "restriction" }.into(),
                    scope: if embargo {
                        None
                    } else {
                        Some(["no new nursing placements", "no new dementia placements", "no more than 2 admissions a week"][k % 3].into())
                    },
                    reason: if embargo {
                        "Red on the quality assurance framework: improvement plan in progress"
                    } else {
                        "Amber on the quality assurance framework: increased monitoring"
                    }
                    .into(),
                    starts_on: today.checked_sub(days(20 + 9 * k as i64)).unwrap_or(today),
                    ends_on: None,
                },
            )
            .await?;
        sum.restrictions += 1;
    }

    // ----- homes closed to admissions (issue 16 item 15): an outbreak, a staffing shortfall,
    // and one that reopened last month; homes under no restriction, so the reasons are their own -----
    let restricted: Vec<String> = store.restrictions(None).await?.into_iter().map(|r| r.service_id).collect();
    let open_homes: Vec<&Service> = homes.iter().filter(|h| h.beds.is_some_and(|b| b >= 4) && !restricted.contains(&h.id)).collect();
    let closures = [
        // (reason, note, closed days ago, expected to reopen days after closing, reopened days ago)
        (
            AdmissionClosureReason::InfectionOutbreak,
            Some("Norovirus outbreak on the first floor: closed on public health advice"),
            6,
            Some(14),
            None,
        ),
        (AdmissionClosureReason::Staffing, None, 20, None, None),
        (AdmissionClosureReason::BuildingWork, Some("New fire doors on both floors"), 45, Some(21), Some(30)),
    ];
    for (k, (reason, note, ago, reopens_in, reopened_ago)) in closures.into_iter().enumerate() {
        let Some(h) = open_homes.get(7 + 9 * k) else { break };
        let closed_on = today.checked_sub(days(ago)).unwrap_or(today);
        let id = store
            .record_admission_closure(
                &actor,
                &NewAdmissionClosure {
                    service_id: h.id.clone(),
                    reason,
                    note: note.map(str::to_string),
                    closed_on,
                    expected_reopening: reopens_in.and_then(|d| closed_on.checked_add(days(d)).ok()),
                },
                if k == 1 { "officer" } else { "portal" },
                None,
            )
            .await?;
        if let Some(r) = reopened_ago {
            store.reopen_admissions(&actor, &id, today.checked_sub(days(r)).unwrap_or(today), today, None).await?;
        }
        sum.admission_closures += 1;
    }

    // ----- home care: weekly activity and spare capacity by area and lot -----
    let areas = store.areas().await?;
    let week = today.checked_sub(days(today.weekday().to_monday_zero_offset() as i64)).unwrap_or(today);
    let home_care = all_services(store, vec![ServiceKind::HomeCare]).await?;
    let mut activity = Vec::new();
    let mut spare = Vec::new();
    for (i, s) in home_care.iter().enumerate() {
        let people = rng.gen_range(8..120);
        activity.push(NewActivity {
            service_id: s.id.clone(),
            week_of: Some(week),
            people,
            packages: people,
            minutes_per_week: people * rng.gen_range(7..14) * 60,
            support: SupportWeek::default(),
            source: "portal",
        });
        sum.activity_returns += 1;
        if s.contract_status == ContractStatus::Framework || i % 5 == 0 {
            let lot = lot_category(s.lot_name.as_deref());
            for (k, a) in areas.iter().enumerate() {
                if (i + k) % 3 == 2 {
                    continue;
                }
                spare.push(NewSpareCapacity {
                    service_id: s.id.clone(),
                    area_id: Some(a.id.clone()),
                    category: lot.clone(),
                    unit: "minutes".into(),
                    amount: rng.gen_range(0..40) * 60,
                });
                sum.spare_declarations += 1;
            }
        }
    }

    // ----- supported living and day services: 1:1 and shared hours -----
    for s in all_services(store, vec![ServiceKind::SupportedLiving, ServiceKind::EnhancedSupportedLiving, ServiceKind::DayServices]).await?
    {
        let people = rng.gen_range(3..30);
        let people_shared = rng.gen_range(0..=people / 2);
        let support = SupportWeek {
            one_to_one_hours: people * rng.gen_range(20..45),
            people,
            shared_hours: people_shared * rng.gen_range(20..45),
            people_shared,
        };
        activity.push(NewActivity {
            service_id: s.id.clone(),
            week_of: Some(week),
            people,
            support,
            source: "officer",
            ..Default::default()
        });
        sum.activity_returns += 1;
    }
    store.bulk_spare_capacity(&actor, &spare, today).await?;
    store.bulk_activity(&actor, &activity, today).await?;

    // ----- package requests -----
    if areas.is_empty() {
        return Ok(sum);
    }
    let now = jiff::Timestamp::now();
    let n = 40 * scale.max(1) as usize;
    // Read once for every request: the requests, offers, answers and starts below change none
    // of the services, restrictions, spare capacity or rating rule an assessment reads.
    let market = store.brokerage_market(today).await?;
    let mut requests = Vec::with_capacity(n);
    for i in 0..n {
        let area = &areas[rng.gen_range(0..areas.len())];
        let waiting = i % 10 < 3;
        let route = if i % 5 < 3 { Route::HospitalDischarge } else { Route::Community };
        let lot = if i % 6 == 0 { Lot::HighDependency } else { Lot::General };
        let age_hours = if waiting { [2i64, 3, 6, 20, 50, 90][i % 6] } else { rng.gen_range(72..24 * 80) };
        let requested = today
            .to_datetime(jiff::civil::time(rng.gen_range(8..17), [0, 15, 30, 45][i % 4], 0, 0))
            .to_zoned(tz.clone())
            .map(|z| z.timestamp())
            .unwrap_or(now);
        let requested = requested.min(now) - jiff::SignedDuration::from_hours(if waiting { age_hours } else { age_hours.max(72) });
        let visits = [1i64, 2, 3, 4][i % 4];
        let req = NewPackageRequest {
            person_ref: format!("NM{:06}", 100_000 + seed % 1000 * 100 + i as u64),
            area_id: area.id.clone(),
            minutes_per_week: visits * 7 * [30i64, 60, 90][i % 3],
            visits_per_day: visits,
            visit_times: ["09:00", "08:00, 18:00", "08:00, 13:00, 19:00", "07:30, 12:00, 17:00, 21:00"][(visits - 1) as usize].into(),
            double_up_visits: if i % 7 == 0 { 7 } else { 0 },
            lot,
            needs: if lot == Lot::HighDependency {
                vec![
                    [
                        caremarket_core::capacity::brokerage::HighDependencyNeed::Dementia,
                        caremarket_core::capacity::brokerage::HighDependencyNeed::EndOfLife,
                    ][i % 2],
                ]
            } else {
                vec![]
            },
            language: if i % 8 == 0 { Some(["Urdu", "Polish", "Gujarati", "Punjabi"][i % 4].into()) } else { None },
            cultural_needs: if i % 9 == 0 { Some("Female carers only".into()) } else { None },
            route,
            requested_at: requested,
        };
        sum.package_requests += 1;
        // Planned here and written in one batch (the store's bulk path, one audit entry), each
        // step checked there as the ordinary functions check it.
        let eligible = market.assess_new(&req);
        let mut steps = Vec::new();
        let first = eligible.iter().find(|a| a.eligible);
        if let Some(first) = first.filter(|_| !(waiting && i % 2 == 0)) {
            // Sometimes the first provider declines and the next accepts.
            // Each candidate's eligibility is kept between this request's offers: nothing an
            // offer or a refusal changes is part of another candidate's assessment.
            steps.push(PackageStep::Offer { service_id: first.candidate.service_id.clone() });
            let mut last_offer = 0;
            if let Some(second) = eligible.iter().filter(|a| a.eligible).nth(1).filter(|_| i % 4 == 1) {
                steps.push(PackageStep::Answer { offer: 0, accept: false, note: Some("No carers free at those times".into()) });
                steps.push(PackageStep::Offer { service_id: second.candidate.service_id.clone() });
                last_offer = 1;
            }
            if !waiting {
                steps.push(PackageStep::Answer { offer: last_offer, accept: true, note: None });
                // About half of discharge packages start within 48 hours (`000`: 54%).
                let delay = if i % 2 == 0 { rng.gen_range(4..46) } else { rng.gen_range(50..120) };
                let started = (requested + jiff::SignedDuration::from_hours(delay)).min(now);
                steps.push(PackageStep::Start { at: started });
                sum.packages_started += 1;
            }
        }
        if !steps.iter().any(|s| matches!(s, PackageStep::Start { .. })) {
            sum.packages_waiting += 1;
        }
        requests.push(BrokeredRequest { request: req, steps });
    }
    store.bulk_package_requests(&actor, &market, &requests, now).await?;
    Ok(sum)
}

/// Home care providers' portal accounts (the demo's main portal provider runs care homes only).
pub const HOME_CARE_PORTAL_USERS: [(&str, &str); 2] = [
    ("homecare@demo.caremarket.test", "Hana Moss (demo home care provider user)"),
    ("homecare2@demo.caremarket.test", "Kit Royle (demo home care provider user)"),
];

/// Once the accounts exist (issue 16 item 10): the demo's officers are working on some waiting
/// requests, one of which is offered to every eligible provider and waiting for an answer; the
/// oldest open request that two or more providers could take is left unclaimed, and two of those
/// providers get portal accounts, so that offering it to all and the first acceptance can be
/// tried end to end.
pub async fn assign_brokerage(store: &Store, today: Date) -> Result<(), StoreError> {
    use caremarket_core::access::Role;
    let users = store.users().await?;
    let officer = |role: Role| users.iter().find(|u| u.active && u.role == role).map(|u| Actor::user(&u.id, &u.email));
    let (Some(bev), Some(ada)) = (officer(Role::BrokerageOfficer), officer(Role::Admin)) else { return Ok(()) };
    let mut open = Vec::new();
    // Read once: listing the waiting requests changes nothing an assessment reads.
    let market = store.brokerage_market(today).await?;
    for r in store.package_requests("waiting").await? {
        if r.claimed_by.is_some() || !r.package_status()?.can_be_offered() {
            continue;
        }
        let eligible: Vec<_> = market.assess(&r).into_iter().filter(|a| a.eligible).collect();
        open.push((r, eligible));
    }
    // The second open request with two or more eligible providers is left for the walk-through;
    // every open request before it in the list is being worked on by the brokerage officer (so
    // the first request they can offer is their own).
    let Some(first) = open.iter().enumerate().filter(|(_, (_, e))| e.len() >= 2).map(|(i, _)| i).nth(1) else { return Ok(()) };
    for (r, _) in open.iter().take(first) {
        store.claim_request(&bev, &r.id).await?;
    }
    let (_, walk) = &open[first];
    for ((email, name), a) in HOME_CARE_PORTAL_USERS.iter().zip(walk.iter()) {
        store
            .create_user(
                &Actor::system("demo"),
                caremarket_store::users::NewUser {
                    email,
                    display_name: name,
                    password: crate::DEMO_PASSWORD,
                    role: Role::Provider,
                    provider_id: Some(&a.candidate.provider_id),
                    must_change_password: false,
                },
            )
            .await?;
    }
    // Later ones: one offered to all and waiting (Bev), one claimed by Ada, one by Bev.
    let mut later = open.iter().skip(first + 1);
    if let Some((r, _)) = later.by_ref().find(|(_, e)| e.len() >= 2) {
        store.offer_to_all(&bev, &r.id, None, today).await?;
    }
    if let Some((r, _)) = later.next() {
        store.claim_request(&ada, &r.id).await?;
    }
    if let Some((r, _)) = later.next() {
        store.claim_request(&bev, &r.id).await?;
    }
    Ok(())
}
