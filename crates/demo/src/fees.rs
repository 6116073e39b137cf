//! The demo council's rate card (issue 11 items 1 and 2): council rates per kind, the home care
//! framework's lot maximums and each provider's bid rate within them from April 2022, then
//! Stockton's uplift history (`002` recommendation 15b) applied through the commissioner's own
//! path: 6.5% in-year from December 2022, 8.89% from April 2023, 5.7% in-year from November
//! 2023, and from April 2024 15.6% against April 2023 rates for the standard (General lot)
//! providers and 8.61% for all other care at home. Supported living's community and
//! discounted rates and a sleep-in night payment (`000`), payment bases (`000` planned hours,
//! `004` 30-minute minimum), fee increase requests, and one rate above its lot's maximum
//! waiting for a second approver.

use crate::DemoError;
use crate::plan::{FRAMEWORKS, HOME_CARE_FW};
use caremarket_core::Date;
use caremarket_core::fees::requests::FeeRequestDraft;
use caremarket_core::fees::uplift::{LotChoice, UpliftGroup};
use caremarket_core::fees::{PaymentBasis, RateCategory, RateDraft, RateLevel, RequestDecision, UpliftDraft, UpliftMethod};
use caremarket_core::register::ServiceKind;
use caremarket_store::{Actor, Store};
use std::collections::BTreeSet;

#[derive(Debug, Default, Clone, Copy)]
pub struct FeesSummary {
    pub rates: usize,
    pub uplifts: usize,
}

fn d(y: i16, m: i8, day: i8) -> Result<Date, DemoError> {
    Ok(Date::new(y, m, day)?)
}

fn draft(
    level: RateLevel,
    kind: ServiceKind,
    category: RateCategory,
    lot: Option<&str>,
    provider: Option<&str>,
    pence: i64,
    from: Date,
) -> RateDraft {
    RateDraft {
        level: Some(level),
        kind: Some(kind),
        category: Some(category),
        lot_id: lot.map(str::to_string),
        provider_id: provider.map(str::to_string),
        amount: format!("{}.{:02}", pence / 100, pence % 100),
        effective_from: Some(from),
        reason: String::new(),
    }
}

pub async fn generate_fees(store: &Store, today: Date) -> Result<FeesSummary, DemoError> {
    let actor = Actor::system("demo");
    let mut sum = FeesSummary::default();
    let april_2022 = d(2022, 4, 1)?;
    let home_care_name =
        FRAMEWORKS.get(HOME_CARE_FW).map(|f| f.name).ok_or_else(|| DemoError::Missing("the home care framework".into()))?;
    let frameworks = store.contract_frameworks().await?;
    let fw = frameworks.iter().find(|f| f.name == home_care_name).ok_or_else(|| DemoError::Missing(home_care_name.into()))?;
    let lot =
        |name: &str| fw.lots.iter().find(|l| l.name == name).map(|l| l.id.clone()).ok_or_else(|| DemoError::Missing(format!("lot {name}")));
    let (general, high) = (lot("General")?, lot("High Dependency")?);

    // The council's home care rate and the two lots' maximums (`004` §5.1: the cost model sets them).
    let hc = ServiceKind::HomeCare;
    for (level, l, pence) in
        [(RateLevel::Council, None, 1724), (RateLevel::LotMaximum, Some(&general), 1775), (RateLevel::LotMaximum, Some(&high), 1845)]
    {
        store.add_fee_rate(&actor, &draft(level, hc, RateCategory::Hourly, l.map(String::as_str), None, pence, april_2022)).await?;
        sum.rates += 1;
    }
    // Each provider on a lot paid the rate it bid, within the lot's maximum.
    let mut seen = BTreeSet::new();
    let mut providers = Vec::new();
    for m in store.framework_members(&fw.id).await? {
        let s = store.service(&m.service_id).await?;
        if seen.insert((s.provider_id.clone(), m.lot_id.clone())) {
            providers.push((s.provider_id.clone(), m.lot_id.clone()));
        }
    }
    for (i, (p, l)) in providers.iter().enumerate() {
        let max = if *l == general { 1775 } else { 1845 };
        let bid = max - 54 + ((i as i64 * 17) % 55);
        store.add_fee_rate(&actor, &draft(RateLevel::Provider, hc, RateCategory::Hourly, Some(l), Some(p), bid, april_2022)).await?;
        sum.rates += 1;
    }

    // Stockton's uplifts (`002` recommendation 15b), each against its own base date.
    let all = UpliftGroup { kind: hc, categories: vec![], levels: vec![], lots: vec![] };
    let uplifts = [
        (
            "In-year uplift December 2022 (Market Sustainability and Fair Cost of Care grant)",
            all.clone(),
            650,
            d(2022, 12, 1)?,
            d(2022, 11, 30)?,
        ),
        ("2023/24 annual uplift", all.clone(), 889, d(2023, 4, 1)?, d(2023, 3, 31)?),
        ("In-year uplift November 2023 (Workforce Fund)", all.clone(), 570, d(2023, 11, 1)?, d(2023, 10, 31)?),
        (
            "2024/25 uplift: standard care at home providers (against April 2023 rates)",
            UpliftGroup { lots: vec![LotChoice::Lot(general.clone())], ..all.clone() },
            1560,
            d(2024, 4, 1)?,
            d(2023, 4, 1)?,
        ),
        (
            "2024/25 uplift: all other care at home providers",
            UpliftGroup { lots: vec![LotChoice::Lot(high.clone()), LotChoice::NoLot], ..all.clone() },
            861,
            d(2024, 4, 1)?,
            d(2024, 3, 31)?,
        ),
    ];
    for (name, group, bp, from, base) in uplifts {
        let u = UpliftDraft { name: name.into(), group, method: UpliftMethod::Percent(bp), effective_from: from, base_date: base };
        let (_, plan) = store.apply_uplift(&actor, &u, today).await?;
        sum.rates += plan.rates.len();
        sum.uplifts += 1;
    }

    // Supported living: community and discounted hourly rates, sleep-in one payment a night (`000`).
    let sl = ServiceKind::SupportedLiving;
    let april_2024 = d(2024, 4, 1)?;
    for (category, pence) in
        [(RateCategory::CommunityHourly, 2148), (RateCategory::DiscountedHourly, 1986), (RateCategory::SleepInNight, 9650)]
    {
        store.add_fee_rate(&actor, &draft(RateLevel::Council, sl, category, None, None, pence, april_2024)).await?;
        sum.rates += 1;
    }

    // Payment bases: the framework pays delivered time capped at planned with at least 30
    // minutes a call (`004`); one provider moved to planned hours (`000`).
    let capped = PaymentBasis::parse("delivered_capped", "30", "full_rate", "").map_err(|e| DemoError::Invalid(e.to_string()))?;
    let planned = PaymentBasis::parse("planned_hours", "30", "full_rate", "").map_err(|e| DemoError::Invalid(e.to_string()))?;
    let mut based = BTreeSet::new();
    for (p, _) in &providers {
        if based.insert(p.clone()) {
            store.set_payment_basis(&actor, p, hc, &capped, d(2024, 6, 1)?).await?;
        }
    }
    if let Some((p, _)) = providers.first() {
        store.set_payment_basis(&actor, p, hc, &planned, d(2025, 4, 1)?).await?;
    }

    // Fee increase requests outside the annual uplift: one agreed, one refused, one open.
    let requests = [
        (
            1usize,
            "Fuel and insurance for rural rounds on the moors",
            120,
            Some(("agree", 60, "Travel costs evidenced; agreed at half the increase asked")),
        ),
        (2, "National Insurance rise for employers", 150, Some(("refuse", 0, "Covered by the annual uplift from April"))),
        (3, "Recruitment premium for night calls", 95, None),
    ];
    for (i, reason, more, decision) in requests {
        let Some((p, _)) = providers.get(i) else { continue };
        let received = d(2024, 9, 2)?;
        let current = store
            .fee_paid_on(p, hc, received)
            .await?
            .into_iter()
            .find(|r| r.version.line.category == RateCategory::Hourly)
            .map(|r| r.version.amount_pence)
            .unwrap_or(2000);
        let asked = current + more;
        let r = FeeRequestDraft {
            provider_id: p.clone(),
            kind: Some(hc),
            category: Some(RateCategory::Hourly),
            requested: format!("{}.{:02}", asked / 100, asked % 100),
            received_on: Some(received),
            reason: reason.into(),
        }
        .check(today)
        .map_err(|e| DemoError::Invalid(e.to_string()))?;
        let id = store.record_fee_request(&actor, &r).await?;
        if let Some((what, add, why)) = decision {
            let agreed = current + add;
            let dec = RequestDecision::parse(what, &format!("{}.{:02}", agreed / 100, agreed % 100), Some(d(2024, 10, 1)?), why, received)
                .map_err(|e| DemoError::Invalid(e.to_string()))?;
            store.decide_fee_request(&actor, &id, &dec, d(2024, 9, 30)?, caremarket_core::versions::Version::FIRST).await?;
        }
    }

    // One rate above its lot's maximum, waiting for a second person.
    if let Some((p, l)) = providers.iter().find(|(_, l)| *l == high) {
        let mut above = draft(RateLevel::Provider, hc, RateCategory::Hourly, Some(l), Some(p), 2600, d(2025, 1, 6)?);
        above.reason = "Complex double-handed packages in the rural north: cost model review agreed at panel".into();
        store.add_fee_rate(&actor, &above).await?;
        sum.rates += 1;
    }
    Ok(sum)
}
