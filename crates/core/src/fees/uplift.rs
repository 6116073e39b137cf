//! Uplifts (domain C7; seed `002` recommendation 15b): a percentage, or a new floor (a wage
//! rise), applied to a group of rates from a date, against a stated base: the rates in force on
//! the base date, which is not always the latest rate. Stockton's sequence: 6.5% in-year from
//! December 2022; 8.89% from April 2023; 5.7% in-year from November 2023; from April 2024
//! standard care at home providers 15.6% "against April 23 rates" (not compounded on
//! November's 5.7%) and all other care at home providers 8.61%.
//!
//! Rounding: a new rate is `base × (10,000 + basis points) / 10,000` in integer pence, rounded
//! to the nearest penny with halves up (`div_round`); a floor raises a base below it to the floor.
//! An uplift writes new versions from its date; it never changes an old one.
//!
//! The yearly cost shown before confirming is `(new rate − rate in force the day before) ×
//! commissioned minutes a week ÷ 60 × 52`, rounded to the penny, from the home care packages
//! started with each provider (`weekly_minutes`); a rate with no commissioned hours on record
//! (sleep-in nights, weekly rates, supported living) shows its cost as not known.

use super::rates::{RateCategory, RateLevel, RateLine, RateStatus, RateVersion, in_force, lines, long_date};
use crate::direct_payments::money::{div_round, money};
use crate::register::ServiceKind;
use crate::{Date, FieldErrors};
use serde::Serialize;

/// Weeks in the year the yearly cost counts.
pub const WEEKS_A_YEAR: i64 = 52;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum UpliftMethod {
    /// A percentage, in basis points (8.89% = 889).
    Percent(i64),
    /// A new floor, in pence: every base below it is raised to it.
    Floor(i64),
}

impl UpliftMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            UpliftMethod::Percent(_) => "percent",
            UpliftMethod::Floor(_) => "floor",
        }
    }
    pub fn value(self) -> i64 {
        match self {
            UpliftMethod::Percent(v) | UpliftMethod::Floor(v) => v,
        }
    }
    pub fn from_parts(method: &str, value: i64) -> Option<UpliftMethod> {
        match method {
            "percent" => Some(UpliftMethod::Percent(value)),
            "floor" => Some(UpliftMethod::Floor(value)),
            _ => None,
        }
    }
    /// "8.89%" or "a floor of £10.42".
    pub fn text(self) -> String {
        match self {
            UpliftMethod::Percent(bp) => super::percent_text(bp),
            UpliftMethod::Floor(p) => format!("a floor of {}", money(p)),
        }
    }
    /// The new amount from a base amount.
    pub fn apply(self, base_pence: i64) -> i64 {
        match self {
            UpliftMethod::Percent(bp) => div_round(base_pence * (10_000 + bp), 10_000),
            UpliftMethod::Floor(p) => base_pence.max(p),
        }
    }
}

/// A lot an uplift's group is limited to, or the rates on no lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum LotChoice {
    Lot(String),
    NoLot,
}

impl LotChoice {
    /// "none" or a lot's id (as the form and the store write it).
    pub fn as_value(&self) -> String {
        match self {
            LotChoice::Lot(id) => id.clone(),
            LotChoice::NoLot => "none".into(),
        }
    }
    pub fn from_value(s: &str) -> LotChoice {
        if s == "none" { LotChoice::NoLot } else { LotChoice::Lot(s.to_string()) }
    }
}

/// Which rates an uplift changes: one kind of service; the categories, levels and lots chosen
/// (none chosen means all).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpliftGroup {
    pub kind: ServiceKind,
    pub categories: Vec<RateCategory>,
    pub levels: Vec<RateLevel>,
    pub lots: Vec<LotChoice>,
}

impl UpliftGroup {
    pub fn contains(&self, line: &RateLine) -> bool {
        line.kind == self.kind
            && (self.categories.is_empty() || self.categories.contains(&line.category))
            && (self.levels.is_empty() || self.levels.contains(&line.level))
            && (self.lots.is_empty()
                || self.lots.iter().any(|c| match (c, &line.lot_id) {
                    (LotChoice::NoLot, None) => true,
                    (LotChoice::Lot(a), Some(b)) => a == b,
                    _ => false,
                }))
    }
}

/// An uplift as the officer typed it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UpliftForm {
    pub name: String,
    pub kind: Option<ServiceKind>,
    pub categories: Vec<RateCategory>,
    pub levels: Vec<RateLevel>,
    pub lots: Vec<LotChoice>,
    /// "percent" or "floor".
    pub method: String,
    pub percent: String,
    pub floor: String,
    pub effective_from: Option<Date>,
    pub base_date: Option<Date>,
}

/// A checked uplift.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpliftDraft {
    pub name: String,
    pub group: UpliftGroup,
    pub method: UpliftMethod,
    pub effective_from: Date,
    pub base_date: Date,
}

impl UpliftForm {
    /// Every problem at once, each naming its field: a name, a kind, a method with its
    /// percentage or floor, the date it takes effect, and a base date before that date.
    pub fn check(&self) -> Result<UpliftDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let name = crate::text::tidy(&self.name);
        if name.is_empty() {
            e.add("name", "Enter a name for the uplift, for example 2024/25 annual uplift");
        } else if name.chars().count() > 150 {
            e.add("name", "The name must be 150 characters or fewer");
        }
        if self.kind.is_none() {
            e.add("kind", "Choose the type of service whose rates are uplifted");
        }
        let method = match self.method.as_str() {
            "percent" => e.check(super::parse_percent_bp("percent", "The percentage", &self.percent)).map(UpliftMethod::Percent),
            "floor" => e.check(super::parse_pounds("floor", "new floor", &self.floor)).map(UpliftMethod::Floor),
            _ => {
                e.add("method", "Choose a percentage or a new floor");
                None
            }
        };
        if self.effective_from.is_none() {
            e.add("effective_from", "Enter the date the uplift takes effect");
        }
        match (self.base_date, self.effective_from) {
            (None, _) => e.add("base_date", "Enter the base date: the uplift applies to the rates in force on that date"),
            (Some(b), Some(f)) if b >= f => e.add("base_date", "The base date must be before the date the uplift takes effect"),
            _ => {}
        }
        let (Some(kind), Some(method), Some(effective_from), Some(base_date)) = (self.kind, method, self.effective_from, self.base_date)
        else {
            return Err(e);
        };
        e.into_result(UpliftDraft {
            name,
            group: UpliftGroup { kind, categories: self.categories.clone(), levels: self.levels.clone(), lots: self.lots.clone() },
            method,
            effective_from,
            base_date,
        })
    }
}

/// A home care package started with a provider: the commissioned hours an uplift's cost counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommissionedPackage {
    pub provider_id: String,
    pub kind: ServiceKind,
    /// The lot of the service the package is with, if it is on one.
    pub lot_id: Option<String>,
    pub minutes_per_week: i64,
}

/// The commissioned minutes a week paid at `line`'s rate on `on`: for a provider's hourly rate,
/// its packages of that kind (on that lot, when the rate is a lot's); for the council's hourly
/// rate, the packages of providers with no hourly rate of their own in force. `None` for a lot's
/// maximum (a ceiling, not a payment) and for rates not paid by the hour.
pub fn weekly_minutes(line: &RateLine, packages: &[CommissionedPackage], versions: &[RateVersion], on: Date) -> Option<i64> {
    if !line.category.is_hourly() {
        return None;
    }
    match line.level {
        RateLevel::LotMaximum => None,
        RateLevel::Provider => Some(
            packages
                .iter()
                .filter(|p| {
                    Some(&p.provider_id) == line.provider_id.as_ref()
                        && p.kind == line.kind
                        && (line.lot_id.is_none() || p.lot_id == line.lot_id)
                })
                .map(|p| p.minutes_per_week)
                .sum(),
        ),
        RateLevel::Council => {
            let own_lines: Vec<RateLine> = lines(versions)
                .into_iter()
                .filter(|l| l.level == RateLevel::Provider && l.kind == line.kind && l.category == line.category)
                .collect();
            let has_own = |provider: &str| {
                own_lines.iter().any(|l| l.provider_id.as_deref() == Some(provider) && in_force(versions, l, on).is_some())
            };
            Some(packages.iter().filter(|p| p.kind == line.kind && !has_own(&p.provider_id)).map(|p| p.minutes_per_week).sum())
        }
    }
}

/// The yearly cost of paying `increase_pence` more an hour for `minutes_per_week`.
pub fn yearly_cost_pence(increase_pence: i64, minutes_per_week: i64) -> i64 {
    div_round(increase_pence * minutes_per_week * WEEKS_A_YEAR, 60)
}

/// One rate the uplift changes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedRate {
    /// The version in force on the base date: what the uplift applies to.
    pub base: RateVersion,
    /// The version in force the day before the uplift takes effect: what is paid now.
    pub current: RateVersion,
    pub new_pence: i64,
    pub weekly_minutes: Option<i64>,
    pub yearly_cost_pence: Option<i64>,
}

/// A rate in the group the uplift leaves alone, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkippedRate {
    pub latest: RateVersion,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpliftPlan {
    pub rates: Vec<PlannedRate>,
    pub skipped: Vec<SkippedRate>,
    /// The sum of the yearly costs that are known.
    pub total_yearly_cost_pence: i64,
    /// How many rates' yearly cost is not known (no commissioned hours on record).
    pub cost_not_known: usize,
}

/// What `draft` would write, from every version of every rate (`versions`) and the packages
/// commissioned now. Refused (on `effective_from`) when a rate it would change already has a
/// version from that date or later (versions never overlap and an uplift never rewrites later
/// history), and (on `kind`) when no rate of the group was in force on the base date.
pub fn plan(
    draft: &UpliftDraft,
    versions: &[RateVersion],
    packages: &[CommissionedPackage],
    today: Date,
) -> Result<UpliftPlan, FieldErrors> {
    let mut e = FieldErrors::new();
    let mut rates = Vec::new();
    let mut skipped = Vec::new();
    let day_before = draft.effective_from.yesterday().unwrap_or(draft.effective_from);
    for line in lines(versions).into_iter().filter(|l| draft.group.contains(l)) {
        let mine: Vec<&RateVersion> = versions.iter().filter(|v| v.line == line).collect();
        let Some(latest) = mine.iter().max_by_key(|v| v.effective_from).map(|v| (*v).clone()) else { continue };
        let Some(base) = in_force(versions, &line, draft.base_date).cloned() else {
            skipped
                .push(SkippedRate { latest, why: format!("No approved rate in force on the base date, {}", long_date(draft.base_date)) });
            continue;
        };
        if let Some(later) = mine
            .iter()
            .filter(|v| v.status != RateStatus::Refused && v.effective_from >= draft.effective_from)
            .min_by_key(|v| v.effective_from)
        {
            e.add(
                "effective_from",
                format!(
                    "{} already has a version from {}: an uplift takes effect after every rate it changes",
                    later.line_text(),
                    long_date(later.effective_from)
                ),
            );
            continue;
        }
        let Some(current) = in_force(versions, &line, day_before).cloned() else { continue };
        let new_pence = draft.method.apply(base.amount_pence);
        if new_pence <= current.amount_pence {
            let why = match draft.method {
                UpliftMethod::Floor(_) => format!("Already at or above the floor: {}", current.amount_text()),
                UpliftMethod::Percent(_) => {
                    format!(
                        "{} on the base rate ({}) is not more than the rate in force, {}",
                        draft.method.text(),
                        money(base.amount_pence),
                        current.amount_text()
                    )
                }
            };
            skipped.push(SkippedRate { latest, why });
            continue;
        }
        let weekly = weekly_minutes(&line, packages, versions, today);
        let cost = weekly.map(|m| yearly_cost_pence(new_pence - current.amount_pence, m));
        rates.push(PlannedRate { base, current, new_pence, weekly_minutes: weekly, yearly_cost_pence: cost });
    }
    if rates.is_empty() && e.is_empty() {
        e.add(
            "kind",
            format!(
                "No {} rate in this group was in force on the base date, {}: check the group and the base date",
                draft.group.kind.label().to_lowercase(),
                long_date(draft.base_date)
            ),
        );
    }
    let total_yearly_cost_pence = rates.iter().filter_map(|r| r.yearly_cost_pence).sum();
    let cost_not_known = rates.iter().filter(|r| r.yearly_cost_pence.is_none()).count();
    e.into_result(UpliftPlan { rates, skipped, total_yearly_cost_pence, cost_not_known })
}

#[cfg(test)]
mod tests {
    use super::super::rates::tests::{council, lot_max, provider, version};
    use super::*;
    use jiff::civil::date;

    /// The rate `pct` per cent above `base` pence, to the penny, computed in floating point
    /// (independently of the integer rule; none of this test's values falls on a half penny).
    fn up(base: i64, pct: f64) -> i64 {
        (base as f64 * (1.0 + pct / 100.0)).round() as i64
    }

    fn group(lots: Vec<LotChoice>) -> UpliftGroup {
        UpliftGroup { kind: ServiceKind::HomeCare, categories: vec![], levels: vec![], lots }
    }

    fn draft(name: &str, g: UpliftGroup, bp: i64, from: Date, base: Date) -> UpliftDraft {
        UpliftDraft { name: name.into(), group: g, method: UpliftMethod::Percent(bp), effective_from: from, base_date: base }
    }

    /// Apply a plan as the store does: each planned rate becomes a new version from the date.
    fn apply(versions: &mut Vec<RateVersion>, d: &UpliftDraft, p: &UpliftPlan) {
        for (i, r) in p.rates.iter().enumerate() {
            let mut v = version(&format!("{}-{i}", d.name), &r.base.line, r.new_pence, d.effective_from);
            v.uplift_id = Some(d.name.clone());
            versions.push(v);
        }
    }

    #[test]
    fn stockton_recommendation_15b_in_sequence() {
        // Two care at home providers, a standard one (lot "standard") and another ("other"),
        // and the council's rate, from April 2022.
        let standard = provider("s", Some("standard"));
        let other = provider("o", Some("other"));
        let spot = provider("x", None);
        let c = council(ServiceKind::HomeCare);
        let (s0, o0, x0, c0) = (1747_i64, 1689_i64, 1813_i64, 1702_i64);
        let mut v = vec![
            version("s0", &standard, s0, date(2022, 4, 1)),
            version("o0", &other, o0, date(2022, 4, 1)),
            version("x0", &spot, x0, date(2022, 4, 1)),
            version("c0", &c, c0, date(2022, 4, 1)),
        ];
        let today = date(2024, 6, 1);
        let all = group(vec![]);
        let rate = |v: &[RateVersion], l: &RateLine, d: Date| in_force(v, l, d).map(|x| x.amount_pence);

        // 6.5% in-year from December 2022.
        let d1 = draft("dec22", all.clone(), 650, date(2022, 12, 1), date(2022, 11, 30));
        let p = plan(&d1, &v, &[], today).expect("plan 1");
        assert_eq!(p.rates.len(), 4);
        apply(&mut v, &d1, &p);
        let s1 = up(s0, 6.5);
        assert_eq!(rate(&v, &standard, date(2022, 12, 1)), Some(s1));
        assert_eq!(rate(&v, &standard, date(2022, 11, 30)), Some(s0), "history kept");

        // 8.89% from April 2023, on the rates in force then.
        let d2 = draft("apr23", all.clone(), 889, date(2023, 4, 1), date(2023, 3, 31));
        let p = plan(&d2, &v, &[], today).expect("plan 2");
        apply(&mut v, &d2, &p);
        let (s2, o2, x2, c2) = (up(s1, 8.89), up(up(o0, 6.5), 8.89), up(up(x0, 6.5), 8.89), up(up(c0, 6.5), 8.89));
        assert_eq!(rate(&v, &standard, date(2023, 4, 1)), Some(s2));

        // 5.7% in-year from November 2023.
        let d3 = draft("nov23", all.clone(), 570, date(2023, 11, 1), date(2023, 10, 31));
        let p = plan(&d3, &v, &[], today).expect("plan 3");
        apply(&mut v, &d3, &p);
        let (s3, o3) = (up(s2, 5.7), up(o2, 5.7));
        assert_eq!(rate(&v, &standard, date(2023, 11, 1)), Some(s3));

        // April 2024: standard providers 15.6% against April 2023 rates, not November's.
        let d4 = draft("apr24-standard", group(vec![LotChoice::Lot("standard".into())]), 1560, date(2024, 4, 1), date(2023, 4, 1));
        let p = plan(&d4, &v, &[], today).expect("plan 4");
        assert_eq!(p.rates.len(), 1);
        assert_eq!((p.rates[0].base.amount_pence, p.rates[0].current.amount_pence), (s2, s3));
        apply(&mut v, &d4, &p);
        // Every other care at home provider (the other lot, no lot, the council's rate) 8.61%
        // on the rates in force (November's).
        let others = group(vec![LotChoice::Lot("other".into()), LotChoice::NoLot]);
        let d5 = draft("apr24-others", others, 861, date(2024, 4, 1), date(2024, 3, 31));
        let p = plan(&d5, &v, &[], today).expect("plan 5");
        assert_eq!(p.rates.len(), 3, "other, spot and the council's rate");
        apply(&mut v, &d5, &p);

        let s4 = up(s2, 15.6);
        assert_ne!(s4, up(s3, 15.6), "not compounded on November's 5.7%");
        assert_eq!(rate(&v, &standard, date(2024, 4, 1)), Some(s4));
        assert_eq!(rate(&v, &other, date(2024, 4, 1)), Some(up(o3, 8.61)));
        assert_eq!(rate(&v, &spot, date(2024, 4, 1)), Some(up(up(x2, 5.7), 8.61)));
        assert_eq!(rate(&v, &c, date(2024, 4, 1)), Some(up(up(c2, 5.7), 8.61)));
        // Concretely, for the standard provider: £17.47 → £18.61 → £20.26 → £21.41 → £23.42.
        assert_eq!((s1, s2, s3, s4), (1861, 2026, 2141, 2342));
        // Every version is still there: 4 lines, 5 versions each except the standard and other
        // lots' (one April 2024 version each).
        assert_eq!(v.len(), 4 + 4 + 4 + 4 + 1 + 3);
        // Applying April 2024's standard uplift again is refused: it would overlap.
        let e = plan(&d4, &v, &[], today).expect_err("overlap");
        assert_eq!(e.0[0].field, "effective_from");
        assert!(e.0[0].message.contains("already has a version from 1 April 2024"), "{}", e.0[0].message);
    }

    #[test]
    fn rounding_is_to_the_penny_half_up_in_integers() {
        // 1,000p × 1.0005 = 1,000.5p: half up to 1,001p.
        assert_eq!(UpliftMethod::Percent(5).apply(1000), 1001);
        // 1,000p × 1.0004 = 1,000.4p: down to 1,000p.
        assert_eq!(UpliftMethod::Percent(4).apply(1000), 1000);
        assert_eq!(UpliftMethod::Floor(1042).apply(1000), 1042);
        assert_eq!(UpliftMethod::Floor(1042).apply(1100), 1100);
    }

    #[test]
    fn the_yearly_cost_is_from_commissioned_hours() {
        let a = provider("a", Some("standard"));
        let c = council(ServiceKind::HomeCare);
        let m = lot_max("standard");
        let v = vec![
            version("a", &a, 2000, date(2024, 4, 1)),
            version("c", &c, 1900, date(2024, 4, 1)),
            version("m", &m, 2100, date(2024, 4, 1)),
        ];
        let pk = |p: &str, lot: Option<&str>, min: i64| CommissionedPackage {
            provider_id: p.into(),
            kind: ServiceKind::HomeCare,
            lot_id: lot.map(str::to_string),
            minutes_per_week: min,
        };
        // Provider a: 10h and 5h30 a week; provider b (no rate of its own, paid the council's): 7h.
        let packages = vec![pk("a", Some("standard"), 600), pk("a", Some("standard"), 330), pk("b", None, 420)];
        let d = UpliftDraft {
            name: "x".into(),
            group: group(vec![]),
            method: UpliftMethod::Percent(500),
            effective_from: date(2025, 4, 1),
            base_date: date(2025, 3, 31),
        };
        let p = plan(&d, &v, &packages, date(2025, 1, 1)).expect("plan");
        let by = |l: &RateLine| p.rates.iter().find(|r| &r.base.line == l).expect("line");
        // a: £20.00 → £21.00, £1 more an hour × 15.5 hours × 52 weeks = £806.00.
        assert_eq!((by(&a).new_pence, by(&a).weekly_minutes, by(&a).yearly_cost_pence), (2100, Some(930), Some(100 * 155 * 52 / 10)));
        // The council's rate: £19.00 → £19.95, 95p × 7 hours × 52 = £345.80.
        assert_eq!(by(&c).yearly_cost_pence, Some(95 * 7 * 52));
        // The lot maximum is uplifted with it, at no cost of its own.
        assert_eq!((by(&m).new_pence, by(&m).yearly_cost_pence), (2205, None));
        assert_eq!(p.total_yearly_cost_pence, 80_600 + 34_580);
        assert_eq!(p.cost_not_known, 1);
    }

    #[test]
    fn a_floor_raises_only_rates_below_it_and_the_form_names_each_problem() {
        let a = provider("a", None);
        let b = provider("b", None);
        let v = vec![version("a", &a, 1000, date(2024, 4, 1)), version("b", &b, 1200, date(2024, 4, 1))];
        let d = UpliftDraft {
            name: "NLW".into(),
            group: group(vec![]),
            method: UpliftMethod::Floor(1100),
            effective_from: date(2025, 4, 1),
            base_date: date(2025, 3, 31),
        };
        let p = plan(&d, &v, &[], date(2025, 1, 1)).expect("plan");
        assert_eq!(p.rates.iter().map(|r| (r.base.line.provider_id.clone(), r.new_pence)).collect::<Vec<_>>(), [(Some("a".into()), 1100)]);
        assert_eq!(p.skipped.len(), 1);
        assert!(p.skipped[0].why.starts_with("Already at or above the floor"), "{}", p.skipped[0].why);

        let e = UpliftForm::default().check().expect_err("empty");
        let fields: Vec<&str> = e.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "kind", "method", "effective_from", "base_date"]);
        let f = UpliftForm {
            name: "x".into(),
            kind: Some(ServiceKind::HomeCare),
            method: "percent".into(),
            percent: "abc".into(),
            effective_from: Some(date(2024, 4, 1)),
            base_date: Some(date(2024, 4, 1)),
            ..Default::default()
        };
        let e = f.check().expect_err("bad");
        assert_eq!(e.0.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["percent", "base_date"]);
        // Nothing in force on the base date: refused on the group.
        let d = UpliftDraft { base_date: date(2020, 1, 1), effective_from: date(2020, 4, 1), ..d };
        let e = plan(&d, &v, &[], date(2025, 1, 1)).expect_err("nothing");
        assert_eq!(e.0[0].field, "kind");
    }
}
