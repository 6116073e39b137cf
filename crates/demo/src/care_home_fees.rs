//! The demo council's care home fees (issue 11 item 3): weekly fees per home and bed type for
//! 2024/25 and 2025/26 (and 2026/27 once the demo's date has reached it), residential about
//! £750–£900 a week and nursing about £950–£1,200; the published NHS Funded Nursing Care rates;
//! and some dozens of placements by case reference, paid gross or net, with assessed
//! contributions and a few third-party top-ups. Deterministic: every figure comes from the
//! home's position in the register, not a random draw, so the demo is the same on every run.
//! Everything goes through the commissioner's own path (the store's checked, audited commands).

use crate::DemoError;
use caremarket_core::Date;
use caremarket_core::fees::care_home_fees::{BedType, CareHomeFeeDraft, FncDraft, FundingBasis, PlacementDraft, TopUpPayer};
use caremarket_core::register::ServiceKind;
use caremarket_store::{Actor, Store};

/// NHS Funded Nursing Care standard weekly rates (England), from the Department of Health and
/// Social Care's announcements:
/// - 2023/24 £219.71 (DHSC, 2023; not re-checked against the announcement when this was written);
/// - 2024/25 £235.88 and 2025/26 £254.06: "will increase from £235.88 to £254.06 from 1 April
///   2025" (DHSC news, "Boost in funding for care homes providing nursing", 4 March 2025);
/// - 2026/27 £267.68: "will increase from £254.06 to £267.68 from 1 April" (DHSC, "Better
///   community care thanks to nursing funding boost", March 2026).
pub const FNC_RATES: [(i16, i64, &str); 4] = [
    (2023, 21_971, "Department of Health and Social Care, NHS-funded nursing care rate for 2023 to 2024"),
    (2024, 23_588, "Department of Health and Social Care, NHS-funded nursing care rate for 2024 to 2025"),
    (2025, 25_406, "Department of Health and Social Care, Boost in funding for care homes providing nursing, 4 March 2025"),
    (2026, 26_768, "Department of Health and Social Care, Better community care thanks to nursing funding boost, March 2026"),
];

/// How many homes get fees, and how many placements in all.
const HOMES_WITH_FEES: usize = 30;
const PLACEMENTS: usize = 60;

#[derive(Debug, Default, Clone, Copy)]
pub struct CareHomeFeesSummary {
    pub fees: usize,
    pub placements: usize,
}

fn pounds(pence: i64) -> String {
    format!("{}.{:02}", pence / 100, pence % 100)
}

/// A year's uplift on a weekly fee, in basis points, rounded down to the penny.
fn uplift(pence: i64, bp: i64) -> i64 {
    pence * (10_000 + bp) / 10_000
}

pub async fn generate_care_home_fees(store: &Store, today: Date) -> Result<CareHomeFeesSummary, DemoError> {
    let actor = Actor::system("demo");
    let mut sum = CareHomeFeesSummary::default();
    for (year, pence, source) in FNC_RATES {
        let from = Date::new(year, 4, 1)?;
        if from > today {
            continue;
        }
        store.add_fnc_rate(&actor, &FncDraft { weekly: pounds(pence), effective_from: Some(from) }, source).await?;
    }

    let homes: Vec<_> = store.care_homes().await?.into_iter().take(HOMES_WITH_FEES).collect();
    if homes.is_empty() {
        return Ok(sum);
    }
    let years: Vec<i16> = [2024, 2025, 2026].into_iter().filter(|y| Date::new(*y, 4, 1).is_ok_and(|d| d <= today)).collect();
    for (i, h) in homes.iter().enumerate() {
        let i = i as i64;
        let nursing = h.kind == ServiceKind::CareHomeNursing;
        // 2024/25: residential £750–£899, dementia £45–£94 more; nursing £950–£1,149, dementia £50–£99 more.
        let base = [
            (BedType::Residential, 75_000 + (i * 3_700) % 15_000),
            (BedType::ResidentialDementia, 75_000 + (i * 3_700) % 15_000 + 4_500 + (i * 1_300) % 5_000),
            (BedType::Nursing, 95_000 + (i * 5_300) % 20_000),
            (BedType::NursingDementia, 95_000 + (i * 5_300) % 20_000 + 5_000 + (i * 1_100) % 5_000),
        ];
        for (bed, first) in base {
            if bed.is_nursing() && !nursing {
                continue;
            }
            let mut weekly = first;
            for (n, year) in years.iter().enumerate() {
                if n > 0 {
                    // Yearly uplifts of 4.5% to 6.9%, differing by home.
                    weekly = uplift(weekly, 450 + (i * 70 + n as i64 * 110) % 240);
                }
                let draft = CareHomeFeeDraft {
                    service_id: Some(h.id.clone()),
                    bed_type: Some(bed),
                    weekly: pounds(weekly),
                    effective_from: Some(Date::new(*year, 4, 1)?),
                };
                store.add_care_home_fee(&actor, &draft).await?;
                sum.fees += 1;
            }
        }
    }

    // Placements spread over the homes with fees, started over the last two and a half years.
    let payers = TopUpPayer::ALL;
    for n in 0..PLACEMENTS {
        let k = n as i64;
        let h = &homes[(n * 7) % homes.len()];
        let nursing_home = h.kind == ServiceKind::CareHomeNursing;
        let bed = match (nursing_home, n % 4) {
            (true, 0) | (true, 2) => BedType::Nursing,
            (true, 1) => BedType::NursingDementia,
            (_, 3) => BedType::ResidentialDementia,
            _ => BedType::Residential,
        };
        let start = today.checked_sub(jiff::Span::new().days(30 + (k * 173) % 900))?;
        // About one in eight has ended, a few weeks before the demo's date.
        let end = (n % 8 == 5).then(|| today.checked_sub(jiff::Span::new().days(7 + (k * 11) % 40))).transpose()?.filter(|e| *e >= start);
        let funding = if n % 3 == 0 { FundingBasis::Gross } else { FundingBasis::Net };
        let contribution = if funding == FundingBasis::Net { pounds(12_000 + (k * 2_345) % 14_000) } else { String::new() };
        let (top_up, payer) =
            if n % 9 == 4 { (pounds(2_500 + (k * 500) % 7_500), Some(payers[n % payers.len()])) } else { (String::new(), None) };
        let draft = PlacementDraft {
            case_ref: format!("CH{:05}", 10_000 + (k * 7_919) % 89_000),
            service_id: Some(h.id.clone()),
            bed_type: Some(bed),
            start_date: Some(start),
            end_date: end,
            funding: Some(funding),
            contribution,
            top_up,
            top_up_payer: payer,
        };
        store.record_care_home_placement(&actor, &draft).await?;
        sum.placements += 1;
    }
    Ok(sum)
}
