//! The demo council's workforce returns and Ethical Care Charter positions (issue 13 items 1-3;
//! `004`). Every contracted in-area service returns its staff in aggregate for the four quarters
//! before the demo's quarter, through the store's own paths, with realistic shapes: home care
//! and supported living rely on zero-hours contracts far more than care homes (`004`: 75.2% on
//! average per provider in home care), vacancy rates around a tenth of posts and turnover a
//! quarter of staff a year (`004` quotes Skills for Care: 15.1% and 25.4%), the lowest pay a
//! little above the National Living Wage of the year and below the real Living Wage for many.
//! About one service in twelve misses a quarter, and the portal provider has not yet returned
//! the latest quarter. The charter positions are the seed's table: ten elements agreed, two
//! "agree to work towards this", each with the council's note.

use crate::DemoError;
use caremarket_core::Date;
use caremarket_core::register::ServiceKind;
use caremarket_core::workforce::{Framework, Quarter, WorkforceReturn};
use caremarket_store::bulk::NewWorkforceReturn;
use caremarket_store::fees::cost_of_care::SentBy;
use caremarket_store::{Actor, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const PROVIDER_USER: &str = "Pat Kershaw (demo provider user)";
const OFFICER: &str = "Cam Holroyd (demo commissioner)";

/// The National Living Wage (the legal minimum for those 21 and over) in pence, from 1 April of
/// each year: providers' lowest rates sit a little above it.
fn national_living_wage(period: Quarter) -> i64 {
    let april = if period.q == 1 { period.year - 1 } else { period.year };
    match april {
        ..=2022 => 950,
        2023 => 1042,
        2024 => 1144,
        2025 => 1221,
        _ => 1271,
    }
}

/// The council's position on each element, as the seed's table records it (`004`, appendix 2).
pub const POSITIONS: [(&str, &str, &str); 12] = [
    (
        "1.1",
        "agreed",
        "The council starts an assessment by looking at the outcomes someone wants or needs to achieve, which guides the commissioning of time and task. Increasingly there is less prescription with regard to time and more flexibility in how people choose for their outcomes to be met.",
    ),
    (
        "1.2",
        "agreed",
        "Since October 2014, no 15 minute calls have been commissioned, unless for example 2 carers are needed to hoist a person or where help is offered to walk people to the dining hall in Extra Care schemes.",
    ),
    (
        "1.3",
        "agreed",
        "Payment for staff travel time is included in the fee rate paid by the council and providers are required to set out their costs for it when they bid for work.",
    ),
    (
        "1.4",
        "agreed",
        "The quality assessment framework requires providers to evidence that care is not rushed. We are reviewing how our time bandings can be altered so that care workers need not rush calls and are not disadvantaged financially.",
    ),
    (
        "1.5",
        "agreed",
        "An element of statutory sick pay is included in our financial calculations. The review will determine if this can be increased, which will have cost implications.",
    ),
    (
        "2.1",
        "agreed",
        "The quality assessment framework requires providers to evidence continuity and consistency of staff matched to the people they support. Electronic care monitoring data is analysed by the council to ensure compliance.",
    ),
    (
        "2.2",
        "working_towards",
        "There is no contractual mechanism to prevent providers using zero-hours contracts. Provider engagement is asking again how common they are; we have seen more minimum hours and full time contracts and will keep monitoring and seeking improvements.",
    ),
    (
        "2.3",
        "agreed",
        "The specification and contract require providers to identify and meet health, nutritional, cultural, religious and lifestyle needs. This is monitored through the quality assessment framework.",
    ),
    (
        "2.4",
        "agreed",
        "Providers evidence compliance against a core list of training requirements; an allowance for staff time for training is included in our fee rate costings. Training requirements are enhanced in the new model.",
    ),
    (
        "2.5",
        "agreed",
        "The quality assessment framework requires providers to evidence compliance with this contractual requirement; the new model requires enhanced training and qualifications.",
    ),
    (
        "3.1",
        "agreed",
        "All providers are legally required to pay the National Living Wage. The council is committed to awarding contracts on the basis of providers paying the Foundation Living Wage, but some contracts, including domiciliary care, present a huge financial challenge.",
    ),
    (
        "3.2",
        "working_towards",
        "There is no contractual mechanism to require an occupational sick pay scheme. Some providers, particularly the larger ones, have one. Our fee rates include an element of statutory sick pay.",
    ),
];

/// What the demo wrote.
#[derive(Debug, Default, Clone, Copy)]
pub struct WorkforceSummary {
    pub returns: usize,
    pub positions: usize,
}

fn pick(rng: &mut StdRng, lo: i64, hi: i64) -> i64 {
    rng.gen_range(lo..=hi)
}

/// Write the demo's workforce returns and charter positions.
pub async fn generate_workforce(store: &Store, seed: u64, portal_provider: &str, today: Date) -> Result<WorkforceSummary, DemoError> {
    let officer = Actor::system(OFFICER);
    let provider_user = Actor::system(PROVIDER_USER);
    let mut rng = StdRng::seed_from_u64(seed ^ 0x0_3C8);
    let mut summary = WorkforceSummary::default();
    let set_on = Quarter::of(today).previous().previous().previous().previous().first_day();
    for (key, position, note) in POSITIONS {
        store.set_charter_position(&officer, key, position, note, set_on).await?;
        summary.positions += 1;
    }
    // The home care workforce's profile as Skills for Care gave it for 2021/22 (`004`).
    for (measure, value) in
        [("average_age", "43"), ("female", "79"), ("male", "21"), ("white", "40"), ("ethnic_minority", "60"), ("within_sector", "44")]
    {
        store.add_workforce_profile(&officer, "home_care", measure, value, "Skills for Care, home care workforce 2021/22", set_on).await?;
    }
    let expected = store.workforce_expected(None).await?;
    let latest = Quarter::of(today).previous();
    let quarters = [latest.previous().previous().previous(), latest.previous().previous(), latest.previous(), latest];
    // Written in one batch (the store's bulk path, one audit entry), in the order generated.
    let mut returns = Vec::new();
    for s in &expected {
        // Each service's size and habits, kept across quarters.
        let (base, zero_share, nurses): (i64, i64, bool) = match s.kind {
            ServiceKind::HomeCare => (pick(&mut rng, 18, 110), pick(&mut rng, 55, 95), false),
            ServiceKind::SupportedLiving | ServiceKind::EnhancedSupportedLiving => (pick(&mut rng, 15, 70), pick(&mut rng, 35, 85), false),
            ServiceKind::CareHomeNursing => (pick(&mut rng, 30, 80), pick(&mut rng, 5, 35), true),
            ServiceKind::CareHomeResidential => (pick(&mut rng, 18, 55), pick(&mut rng, 5, 40), false),
            ServiceKind::ExtraCare => (pick(&mut rng, 10, 30), pick(&mut rng, 30, 70), false),
            _ => (pick(&mut rng, 6, 25), pick(&mut rng, 10, 50), false),
        };
        let pay_over = pick(&mut rng, 0, 160);
        let sick_pay = rng.gen_bool(0.3);
        let framework = if rng.gen_bool(0.8) { Framework::Rqf } else { Framework::Qcf };
        let asc = rng.gen_bool(0.75);
        for (i, q) in quarters.iter().enumerate() {
            let last = i == quarters.len() - 1;
            if (last && s.provider_id == portal_provider) || rng.gen_bool(0.08) {
                continue;
            }
            let care_workers = (base + pick(&mut rng, -3, 3)).max(3);
            let nurses_n = if nurses { (care_workers / 6).max(2) } else { 0 };
            let managers = 1 + care_workers / 40;
            let other_staff = care_workers / 8;
            let staff = care_workers + nurses_n + managers + other_staff;
            let zero = (staff * (zero_share + pick(&mut rng, -4, 4)).clamp(0, 100) / 100).min(staff);
            let guaranteed = (staff - zero) * pick(&mut rng, 30, 70) / 100;
            let r = WorkforceReturn {
                period: *q,
                care_workers,
                nurses: nurses_n,
                managers,
                other_staff,
                care_workers_fte: care_workers * pick(&mut rng, 62, 82),
                nurses_fte: nurses_n * pick(&mut rng, 80, 95),
                managers_fte: managers * 100,
                other_staff_fte: other_staff * pick(&mut rng, 50, 80),
                vacancies: staff * pick(&mut rng, 4, 16) / 100,
                starters: staff * pick(&mut rng, 18, 34) / 100,
                leavers: staff * pick(&mut rng, 16, 34) / 100,
                zero_hours_staff: zero,
                guaranteed_hours_staff: guaranteed,
                agency_hours: if rng.gen_bool(0.4) { pick(&mut rng, 10, 400) } else { 0 },
                lowest_hourly_pay_pence: national_living_wage(*q) + pay_over,
                sick_pay,
                care_certificate_permille: pick(&mut rng, 450, 900),
                level2_permille: pick(&mut rng, 250, 600),
                level3_permille: pick(&mut rng, 80, 300),
                qualification_framework: framework,
                medication_training_permille: pick(&mut rng, 600, 1000),
                asc_wds_complete: asc,
            };
            returns.push(NewWorkforceReturn { service_id: s.service_id.clone(), provider_id: Some(s.provider_id.clone()), r });
            summary.returns += 1;
        }
    }
    store.bulk_workforce_returns(&provider_user, &returns, SentBy::Provider).await?;
    Ok(summary)
}
