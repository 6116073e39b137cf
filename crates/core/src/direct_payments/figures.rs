//! The Self-Directed Support figures of `000` ("WHERE ARE WE NOW: DIRECT PAYMENTS"), computed
//! from records: recipients and their share of people on long-term support (1,874 = 28.3%),
//! starts and ends in the last 12 months (343 / 367) with ends by closure reason, people by
//! category of support and by service area, spend by category and service area, % holding their
//! own budget against managed accounts (33% → 41.3%) and children's DPs separately (422).
//!
//! A person uses several categories "often in a combination": category counts add to more
//! than the number of recipients (4,070 against 1,874 in `000`). Nothing here assumes they sum.

use super::{Holding, div_round};
use crate::Date;
use serde::Serialize;
use std::collections::BTreeMap;

/// Basis points of `n` out of `d` (28.3% = 2,830 bp), rounded; 0 when `d` is 0.
pub fn share_bp(n: i64, d: i64) -> i64 {
    if d <= 0 { 0 } else { div_round(n * 10_000, d) }
}

/// Basis points as a percentage to one place: 2,830 → "28.3%".
pub fn percent(bp: i64) -> String {
    let tenths = div_round(bp, 10);
    format!("{}.{}%", tenths / 10, (tenths % 10).abs())
}

/// One DP as the figures need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpFact {
    pub id: String,
    pub service_area: String,
    pub is_child: bool,
    pub holding: Holding,
    pub start: Date,
    pub end: Option<Date>,
    pub closure_reason: Option<String>,
    /// Equality monitoring codes (`equality`); `None` is not recorded.
    pub ethnicity: Option<String>,
    pub religion: Option<String>,
}

impl DpFact {
    pub fn open_on(&self, day: Date) -> bool {
        self.start <= day && self.end.is_none_or(|e| e > day)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct SdsFigures {
    pub as_at: String,
    pub adult_recipients: i64,
    pub child_recipients: i64,
    pub long_term_support: Option<i64>,
    pub share_of_long_term_bp: Option<i64>,
    pub starts_12m: i64,
    pub ends_12m: i64,
    pub ends_by_reason: BTreeMap<String, i64>,
    pub by_service_area: BTreeMap<String, i64>,
    pub own_budget: i64,
    pub managed: i64,
    pub own_budget_bp: i64,
    /// (as at, % own budget in bp), oldest first: the trend.
    pub own_budget_trend: Vec<(String, i64)>,
}

/// The figures for adults' DPs open on `as_at` (children counted separately), with the share
/// of `long_term_support` (people receiving long-term support, a figure from the council's
/// SALT/CLD return) when given, and the own-budget trend at each of `trend_points`.
pub fn compute(facts: &[DpFact], as_at: Date, long_term_support: Option<i64>, trend_points: &[Date]) -> SdsFigures {
    let year_ago = as_at.checked_sub(jiff::Span::new().years(1)).unwrap_or(as_at);
    let mut f = SdsFigures { as_at: as_at.to_string(), long_term_support, ..Default::default() };
    for d in facts {
        if d.is_child {
            if d.open_on(as_at) {
                f.child_recipients += 1;
            }
            continue;
        }
        if d.open_on(as_at) {
            f.adult_recipients += 1;
            *f.by_service_area.entry(d.service_area.clone()).or_default() += 1;
            if d.holding.own_budget() {
                f.own_budget += 1;
            } else {
                f.managed += 1;
            }
        }
        if d.start > year_ago && d.start <= as_at {
            f.starts_12m += 1;
        }
        if let Some(e) = d.end
            && e > year_ago
            && e <= as_at
        {
            f.ends_12m += 1;
            *f.ends_by_reason.entry(d.closure_reason.clone().unwrap_or_else(|| "other".into())).or_default() += 1;
        }
    }
    f.share_of_long_term_bp = long_term_support.map(|lts| share_bp(f.adult_recipients, lts));
    f.own_budget_bp = share_bp(f.own_budget, f.own_budget + f.managed);
    f.own_budget_trend = trend_points
        .iter()
        .map(|p| {
            let (own, all) = facts
                .iter()
                .filter(|d| !d.is_child && d.open_on(*p))
                .fold((0, 0), |(o, a), d| (o + i64::from(d.holding.own_budget()), a + 1));
            (p.to_string(), share_bp(own, all))
        })
        .collect();
    f
}

/// The closure-reason chart (`crate::charts::bar_chart_svg`); the page also shows the same
/// numbers in a table.
pub fn bar_chart_svg(title: &str, bars: &[(String, i64)]) -> String {
    crate::charts::bar_chart_svg("chart", title, bars, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i16, m: i8, day: i8) -> Date {
        Date::constant(y, m, day)
    }

    #[test]
    fn share_of_long_term_support_as_000() {
        // 1,874 adults = 28.3% of people on long-term support (6,622).
        assert_eq!(percent(share_bp(1_874, 6_622)), "28.3%");
        // 33% -> 41.3% holding their own budget.
        assert_eq!(percent(share_bp(33, 100)), "33.0%");
        assert_eq!(percent(share_bp(413, 1_000)), "41.3%");
        assert_eq!(share_bp(5, 0), 0);
    }

    fn fact(id: &str, area: &str, child: bool, holding: &str, start: Date, end: Option<Date>, reason: Option<&str>) -> DpFact {
        DpFact {
            id: id.into(),
            service_area: area.into(),
            is_child: child,
            holding: holding.parse().expect("holding"),
            start,
            end,
            closure_reason: reason.map(str::to_string),
            ethnicity: None,
            religion: None,
        }
    }

    #[test]
    fn figures_from_records() {
        let as_at = d(2024, 10, 31);
        let facts = vec![
            fact("a", "older_people", false, "own_account", d(2020, 1, 1), None, None),
            fact("b", "older_people", false, "managed_account", d(2024, 6, 1), None, None),
            fact("c", "mental_health", false, "prepaid_card", d(2022, 1, 1), Some(d(2024, 3, 1)), Some("deceased")),
            fact("d", "learning_disabilities", false, "own_account", d(2023, 11, 5), Some(d(2024, 9, 1)), Some("council_arranged")),
            fact("e", "learning_disabilities", true, "own_account", d(2023, 1, 1), None, None),
            fact("f", "physical_disabilities", false, "managed_account", d(2019, 1, 1), Some(d(2023, 1, 1)), Some("other")),
        ];
        let f = compute(&facts, as_at, Some(8), &[d(2023, 10, 31), as_at]);
        assert_eq!(f.adult_recipients, 2);
        assert_eq!(f.child_recipients, 1);
        assert_eq!(f.share_of_long_term_bp, Some(2_500));
        assert_eq!(f.starts_12m, 2);
        assert_eq!(f.ends_12m, 2);
        assert_eq!(f.ends_by_reason.get("deceased"), Some(&1));
        assert_eq!(f.ends_by_reason.get("council_arranged"), Some(&1));
        assert_eq!(f.by_service_area.get("older_people"), Some(&2));
        assert_eq!(f.own_budget_bp, 5_000);
        // A year earlier a, c were open (f had ended): both own-budget holdings.
        assert_eq!(f.own_budget_trend[0], ("2023-10-31".to_string(), 10_000));
    }

    #[test]
    fn chart_is_accessible_svg() {
        let svg = bar_chart_svg("Ended by reason", &[("Deceased <x>".into(), 3), ("Other".into(), 1)]);
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("<title id=\"chart-title\">Ended by reason</title>"));
        assert!(svg.contains("Deceased &lt;x&gt;: 3"));
        assert!(!svg.contains("<script"));
    }
}
