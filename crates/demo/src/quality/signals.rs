//! Demo signals and monthly returns for Northmoor: a year of complaints (mostly resolved in
//! house, a few made to the council), safeguarding concerns, notifiable incidents and early
//! indicators, concentrated on a few care homes so the watch list has something to show, one
//! whistleblowing case, and six months of provider returns for care homes and home care. CQC
//! rating changes are logged by the store itself as the register's ratings are recorded.

use caremarket_core::Date;
use caremarket_core::quality::SignalKind;
use caremarket_core::register::ServiceKind;
use caremarket_store::quality::returns::NewMonthlyReturn;
use caremarket_store::quality::signals::NewSignal;
use caremarket_store::register::{Service, ServiceFilter};
use caremarket_store::{Actor, Store, StoreError};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const COMPLAINTS: [&str; 8] = [
    "Family unhappy with how long call bells took to be answered at night",
    "Laundry repeatedly returned to the wrong room",
    "Visits cut short on several days in one week",
    "Concern that meals were served cold",
    "Late and missed calls on a weekend",
    "Family not told about a change of medication",
    "Relative unhappy with the state of a bathroom",
    "Carers changed too often; the person did not know who was coming",
];
const SAFEGUARDING: [&str; 5] = [
    "Unexplained bruising reported by a district nurse",
    "Medication given late on several occasions",
    "Concern about moving and handling practice",
    "Fall not reported to family or the GP for two days",
    "Alleged rough handling during personal care",
];
const INCIDENTS: [&str; 4] = [
    "Fall resulting in a fracture; notified to CQC",
    "Serious injury after a fall from a chair",
    "Police called to an incident between residents",
    "Expected death notified to CQC",
];
const INDICATORS: [&str; 5] = [
    "Registered manager left; deputy acting up",
    "Several experienced staff left in one month; agency use rising",
    "Provider late paying a supplier (reported by the supplier)",
    "Home stopped returning the vacancy tracker",
    "GP practice raised concerns about record keeping",
];
const WHISTLEBLOWING: &str = "Anonymous staff member reports night staffing below the planned levels and rushed care";

fn days(n: i64) -> jiff::Span {
    jiff::Span::new().days(n)
}

async fn in_area_services(store: &Store) -> Result<Vec<Service>, StoreError> {
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let p = store.services(&ServiceFilter { page, per_page: 1000, sort: Some("name".into()), ..Default::default() }).await?;
        let n = p.items.len();
        out.extend(p.items);
        if n == 0 || out.len() as i64 >= p.total {
            break;
        }
        page += 1;
    }
    Ok(out)
}

fn pick<'a>(rng: &mut StdRng, from: &[&'a str]) -> &'a str {
    from[rng.gen_range(0..from.len())]
}

pub(super) async fn generate(store: &Store, seed: u64, _scale: u32, today: Date) -> Result<(), StoreError> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5167_A150);
    let officer = Actor::system("Demo quality officer");
    let provider_actor = Actor::system("Demo provider return");
    let services = in_area_services(store).await?;
    let homes: Vec<&Service> = services.iter().filter(|s| s.kind.is_care_home()).collect();
    // One home in twelve is troubled: concerns cluster there, as they do in life.
    let troubled: Vec<String> = homes.iter().filter(|_| rng.gen_range(0..12) == 0).map(|s| s.id.clone()).collect();
    // Written in two batches (the store's bulk path, one audit entry each), in the order generated.
    let mut signals = Vec::new();
    let mut returns = Vec::new();
    for s in &services {
        let is_troubled = troubled.contains(&s.id);
        let community = matches!(s.kind, ServiceKind::HomeCare | ServiceKind::SupportedLiving);
        let per_year = if is_troubled {
            6
        } else if s.kind.is_care_home() || community {
            2
        } else {
            0
        };
        let complaints = if per_year == 0 { 0 } else { rng.gen_range(0..=per_year) };
        for _ in 0..complaints {
            let via_council = rng.gen_range(0..100) < 7;
            let resolved = if via_council { rng.gen_range(0..3) == 0 } else { rng.gen_range(0..100) < 93 };
            let on = today.checked_sub(days(rng.gen_range(0..365))).unwrap_or(today);
            signals.push(NewSignal {
                service_id: s.id.clone(),
                kind: Some(SignalKind::Complaint),
                occurred_on: Some(on),
                summary: pick(&mut rng, &COMPLAINTS).to_string(),
                received_by: Some(if via_council { "council" } else { "provider" }.to_string()),
                outcome: Some(
                    if resolved { "Resolved by the provider; apology given" } else { "Referred to the council's complaints team" }
                        .to_string(),
                ),
                resolved_in_house: Some(resolved),
            });
        }
        // Safeguarding, incidents and early indicators: recent and many at troubled homes, rare elsewhere.
        let (sg, inc, ind, window) = if is_troubled {
            (rng.gen_range(3..=6), rng.gen_range(1..=3), rng.gen_range(1..=2), 80)
        } else if s.kind.is_care_home() {
            (i64::from(rng.gen_range(0..6) == 0), i64::from(rng.gen_range(0..4) == 0), i64::from(rng.gen_range(0..15) == 0), 365)
        } else if community {
            (i64::from(rng.gen_range(0..10) == 0), 0, i64::from(rng.gen_range(0..20) == 0), 365)
        } else {
            (0, 0, 0, 365)
        };
        for (kind, n, texts) in [
            (SignalKind::Safeguarding, sg, &SAFEGUARDING[..]),
            (SignalKind::NotifiableIncident, inc, &INCIDENTS[..]),
            (SignalKind::EarlyIndicator, ind, &INDICATORS[..]),
        ] {
            for _ in 0..n {
                let on = today.checked_sub(days(rng.gen_range(0..window))).unwrap_or(today);
                signals.push(NewSignal {
                    service_id: s.id.clone(),
                    kind: Some(kind),
                    occurred_on: Some(on),
                    summary: pick(&mut rng, texts).to_string(),
                    ..Default::default()
                });
            }
        }
        if troubled.first() == Some(&s.id) {
            signals.push(NewSignal {
                service_id: s.id.clone(),
                kind: Some(SignalKind::Whistleblowing),
                occurred_on: Some(today.checked_sub(days(21)).unwrap_or(today)),
                summary: WHISTLEBLOWING.to_string(),
                outcome: Some("Responsive unannounced visit arranged".to_string()),
                ..Default::default()
            });
        }

        // Six months of returns for care homes and home care.
        if !(s.kind.is_care_home() || s.kind == ServiceKind::HomeCare) {
            continue;
        }
        let posts = match s.beds {
            Some(b) if b > 0 => b + b / 4,
            _ => rng.gen_range(25..90),
        };
        for back in 1..=6 {
            let Ok(month) = today.first_of_month().checked_sub(jiff::Span::new().months(back)) else { continue };
            let vacancy_pc = if is_troubled { rng.gen_range(18..32) } else { rng.gen_range(2..14) };
            let vacancies = posts * vacancy_pc / 100;
            // Most months none: `002`'s six home care providers reported 44 in a year.
            let complaints = match rng.gen_range(0..10) {
                0..=6 if !is_troubled => 0,
                0..=2 => 0,
                7 | 8 if !is_troubled => 1,
                _ if is_troubled => rng.gen_range(1..=4),
                _ => 2,
            };
            let via_council = if complaints > 0 && rng.gen_range(0..10) == 0 { 1 } else { 0 };
            let resolved = (complaints - via_council - i64::from(rng.gen_range(0..6) == 0)).max(0);
            returns.push(NewMonthlyReturn {
                service_id: s.id.clone(),
                month: format!("{:04}-{:02}", month.year(), month.month()),
                complaints,
                complaints_via_council: via_council,
                complaints_resolved_in_house: resolved,
                staff_in_post: Some(posts - vacancies),
                staff_vacancies: Some(vacancies),
                staff_leavers: Some(rng.gen_range(0..=if is_troubled { 6 } else { 2 })),
                agency_hours: Some(if is_troubled { rng.gen_range(200..600) } else { rng.gen_range(0..120) }),
            });
        }
    }
    store.bulk_signals(&officer, &signals, today).await?;
    store.bulk_monthly_returns(&provider_actor, &returns, "provider", today).await?;
    Ok(())
}
