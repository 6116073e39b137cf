//! The Direct Payment Provider Rates Tool (`000` Self-Directed Support: "Intelligence has been
//! built up about service offers and the private fees charged by providers in the open market. A
//! prototype Direct Payment Provider Rates Tool ... to support decision-making in relation to
//! reasonable preferences and top-ups"; `001` workstream 1 "Top-ups and Reasonable Preference
//! Guidance").
//!
//! Our rule, from the private fees gathered for a service type:
//! - the **usual range** is the middle half of fees (lower to upper quartile): a price at or
//!   below the upper quartile is funded in full;
//! - a price above the upper quartile up to the 90th percentile is a **reasonable preference**:
//!   it can be funded where the person's reasons (continuity, culturally appropriate support,
//!   a specific need) are recorded;
//! - above the 90th percentile the person's choice **needs a top-up**: the difference between
//!   the price and the upper quartile, which the budget does not fund.
//!
//! At least [`MIN_EVIDENCE`] fees are needed before the tool gives a view.

use super::{code_enum, not_future, parse_amount};
use crate::{Date, FieldError, FieldErrors};
use serde::Serialize;

pub const MIN_EVIDENCE: usize = 5;

pub const SERVICE_TYPES: [super::Choice; 6] = [
    ("home_care", "Home care (per hour)"),
    ("day_opportunities", "Day opportunities (per hour)"),
    ("supported_living", "Supported living (per hour)"),
    ("short_breaks", "Short breaks (per night)"),
    ("community_support", "Community support / outreach (per hour)"),
    ("money_management", "Money management (per month)"),
];

code_enum!(
    /// What a gathered fee is for ([`SERVICE_TYPES`]).
    ServiceType, SERVICE_TYPES, {
        HomeCare = "home_care",
        DayOpportunities = "day_opportunities",
        SupportedLiving = "supported_living",
        ShortBreaks = "short_breaks",
        CommunitySupport = "community_support",
        MoneyManagement = "money_management",
    }
);

/// A private fee gathered from a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFee {
    pub provider_name: String,
    pub service_type: ServiceType,
    pub fee_pence: i64,
    pub gathered_on: Date,
    pub source: String,
}

/// Check a fee for `provider_name` (the register's name when the provider is on it): a name,
/// a known service type, more than nothing, gathered by `today`.
pub fn check_fee(
    provider_name: &str,
    service_type: &str,
    fee_pence: i64,
    on: Date,
    source: &str,
    today: Date,
) -> Result<NewFee, FieldErrors> {
    let mut e = FieldErrors::new();
    let name = crate::text::tidy(provider_name);
    if name.is_empty() {
        e.add("provider_name", "Enter the provider's name");
    }
    let st = e.check(service_type.parse::<ServiceType>().map_err(|_| FieldError::new("service_type", "Choose the type of service")));
    if fee_pence <= 0 {
        e.add("fee", "The fee must be more than £0");
    }
    let on = e.check(not_future("gathered_on", on, today));
    match (st, on) {
        (Some(service_type), Some(gathered_on)) if e.is_empty() => {
            Ok(NewFee { provider_name: name, service_type, fee_pence, gathered_on, source: source.trim().to_string() })
        }
        _ => Err(e),
    }
}

/// The fee form as typed; the date read by the caller (`None` when it could not be).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeeInput {
    pub provider_name: String,
    pub service_type: String,
    pub fee: String,
    pub gathered_on: Option<Date>,
    pub source: String,
}

impl FeeInput {
    /// Every failure of the form at once; a blank source is the DP team's own gathering.
    pub fn parse(&self, today: Date) -> Result<NewFee, FieldErrors> {
        let mut e = FieldErrors::new();
        let fee = e.check(parse_amount("fee", "The fee", &self.fee, false));
        if self.gathered_on.is_none() {
            e.add("gathered_on", "Enter the date gathered");
        }
        if self.provider_name.trim().is_empty() {
            e.add("provider_name", "Enter the provider's name");
        }
        let source = Some(self.source.trim()).filter(|s| !s.is_empty()).unwrap_or("Gathered by the DP team");
        match (fee, self.gathered_on) {
            (Some(fee), Some(on)) => match check_fee(&self.provider_name, &self.service_type, fee, on, source, today) {
                Ok(f) if e.is_empty() => Ok(f),
                Ok(_) => Err(e),
                Err(more) => {
                    more.0.into_iter().for_each(|f| e.add(f.field, f.message));
                    Err(e)
                }
            },
            _ => Err(e),
        }
    }
}

/// A price and the hours or nights a week it buys, as typed into the tool.
pub fn parse_price(price: &str, units: &str) -> Result<(i64, i64), FieldErrors> {
    let mut e = FieldErrors::new();
    let p = e.check(parse_amount("price", "The provider's price", price, false));
    // Anything but a whole number is none, which the tool accepts.
    let u: i64 = units.trim().parse().unwrap_or(0);
    if !(0..=168).contains(&u) {
        e.add("units", "Enter the hours or nights a week, from 0 to 168");
    }
    match p {
        Some(p) if e.is_empty() => Ok((p, u)),
        _ => Err(e),
    }
}

/// The `p`-th percentile (0–100) of sorted values by linear interpolation, in pence.
pub fn percentile(sorted: &[i64], p: i64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let n = sorted.len() as i64;
    // rank × 100 to stay in integers
    let rank100 = p * (n - 1);
    let lo = (rank100 / 100) as usize;
    let frac = rank100 % 100;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + super::div_round((sorted[hi] - sorted[lo]) * frac, 100)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub count: usize,
    pub min: i64,
    pub lower_quartile: i64,
    pub median: i64,
    pub upper_quartile: i64,
    pub p90: i64,
    pub max: i64,
}

pub fn evidence(fees: &[i64]) -> Option<Evidence> {
    if fees.len() < MIN_EVIDENCE {
        return None;
    }
    let mut s = fees.to_vec();
    s.sort_unstable();
    Some(Evidence {
        count: s.len(),
        min: s[0],
        lower_quartile: percentile(&s, 25),
        median: percentile(&s, 50),
        upper_quartile: percentile(&s, 75),
        p90: percentile(&s, 90),
        max: s[s.len() - 1],
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// "below_range", "usual_range", "reasonable_preference" or "top_up".
    pub outcome: &'static str,
    pub title: String,
    pub explanation: String,
    /// Per unit (hour/night/month) the budget would not fund: price − upper quartile.
    pub top_up_per_unit_pence: i64,
    pub top_up_per_week_pence: i64,
    /// Per unit above the usual range that a reasonable preference would fund.
    pub above_usual_per_unit_pence: i64,
    pub evidence: Evidence,
}

/// The view on `price` for `units_per_week` (hours or nights), or `None` without enough
/// evidence.
pub fn decide(fees: &[i64], price: i64, units_per_week: i64) -> Option<Decision> {
    let ev = evidence(fees)?;
    let units = units_per_week.max(0);
    let m = super::money;
    let d = if price < ev.lower_quartile {
        Decision {
            outcome: "below_range",
            title: "Below the usual range".into(),
            explanation: format!(
                "{} is below the lower quartile of {}. Fund it, and check the provider can meet the person's needs at this price.",
                m(price),
                m(ev.lower_quartile)
            ),
            top_up_per_unit_pence: 0,
            top_up_per_week_pence: 0,
            above_usual_per_unit_pence: 0,
            evidence: ev,
        }
    } else if price <= ev.upper_quartile {
        Decision {
            outcome: "usual_range",
            title: "Within the usual range".into(),
            explanation: format!(
                "{} is within the usual range of {} to {}: fund it in full.",
                m(price),
                m(ev.lower_quartile),
                m(ev.upper_quartile)
            ),
            top_up_per_unit_pence: 0,
            top_up_per_week_pence: 0,
            above_usual_per_unit_pence: 0,
            evidence: ev,
        }
    } else if price <= ev.p90 {
        let above = price - ev.upper_quartile;
        Decision {
            outcome: "reasonable_preference",
            title: "A reasonable preference".into(),
            explanation: format!(
                "{} is {} above the usual range but within the 90th percentile of {}. It can be funded as a reasonable preference where the person's reasons are recorded; otherwise a top-up of {} a week applies.",
                m(price),
                m(above),
                m(ev.p90),
                m(above * units)
            ),
            top_up_per_unit_pence: 0,
            top_up_per_week_pence: 0,
            above_usual_per_unit_pence: above,
            evidence: ev,
        }
    } else {
        let top = price - ev.upper_quartile;
        Decision {
            outcome: "top_up",
            title: "Needs a top-up".into(),
            explanation: format!(
                "{} is above the 90th percentile of {}. The budget funds up to the upper quartile of {}: a top-up of {} per unit, {} a week, is needed.",
                m(price),
                m(ev.p90),
                m(ev.upper_quartile),
                m(top),
                m(top * units)
            ),
            top_up_per_unit_pence: top,
            top_up_per_week_pence: top * units,
            above_usual_per_unit_pence: top,
            evidence: ev,
        }
    };
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Ten private home care fees, pence an hour.
    const FEES: [i64; 10] = [2_200, 2_300, 2_350, 2_400, 2_450, 2_500, 2_600, 2_700, 2_900, 3_200];

    #[test]
    fn evidence_quartiles() {
        let e = evidence(&FEES).expect("enough");
        assert_eq!(e.lower_quartile, 2_363); // 2,350 + 0.25 × 50
        assert_eq!(e.median, 2_475);
        assert_eq!(e.upper_quartile, 2_675); // 2,600 + 0.75 × 100
        assert_eq!(e.p90, 2_930);
        assert!(evidence(&FEES[..4]).is_none());
    }

    #[test]
    fn each_outcome_with_the_amount() {
        assert_eq!(decide(&FEES, 2_200, 10).map(|d| d.outcome), Some("below_range"));
        assert_eq!(decide(&FEES, 2_500, 10).map(|d| d.outcome), Some("usual_range"));
        let rp = decide(&FEES, 2_800, 10).expect("view");
        assert_eq!(rp.outcome, "reasonable_preference");
        assert_eq!(rp.above_usual_per_unit_pence, 125);
        let t = decide(&FEES, 3_000, 12).expect("view");
        assert_eq!(t.outcome, "top_up");
        assert_eq!(t.top_up_per_unit_pence, 325);
        assert_eq!(t.top_up_per_week_pence, 3_900);
    }

    #[test]
    fn fees_and_prices_as_typed() {
        let today = Date::constant(2025, 1, 1);
        let f = check_fee(" Moorside  Care ", "home_care", 2_400, today, " survey ", today).expect("valid");
        assert_eq!((f.provider_name.as_str(), f.service_type, f.source.as_str()), ("Moorside Care", ServiceType::HomeCare, "survey"));
        let e = check_fee("", "gardening", -5, Date::constant(2025, 1, 2), "", today).expect_err("bad");
        assert_eq!(e.0.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["provider_name", "service_type", "fee", "gathered_on"]);
        let form = FeeInput {
            provider_name: "Lees".into(),
            service_type: "home_care".into(),
            fee: "24".into(),
            gathered_on: Some(today),
            source: " ".into(),
        };
        assert_eq!(form.parse(today).map(|f| (f.fee_pence, f.source)), Ok((2_400, "Gathered by the DP team".to_string())));
        let e = FeeInput { fee: String::new(), gathered_on: None, provider_name: String::new(), ..form }.parse(today).expect_err("blank");
        assert_eq!(e.0.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["fee", "gathered_on", "provider_name"]);
        assert_eq!(parse_price("25.50", "10"), Ok((2_550, 10)));
        assert_eq!(parse_price("25.50", "many"), Ok((2_550, 0)));
        assert_eq!(parse_price("", "200").expect_err("bad").0.len(), 2);
    }

    proptest! {
        #[test]
        fn top_up_only_above_p90(fees in proptest::collection::vec(1_000i64..5_000, 5..40), price in 500i64..8_000) {
            let d = decide(&fees, price, 10).expect("enough");
            prop_assert_eq!(d.top_up_per_unit_pence > 0, price > d.evidence.p90);
            prop_assert!(d.evidence.lower_quartile <= d.evidence.median && d.evidence.median <= d.evidence.upper_quartile && d.evidence.upper_quartile <= d.evidence.p90);
        }
    }
}
