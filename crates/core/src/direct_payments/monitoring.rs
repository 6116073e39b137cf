//! Monitoring a direct payment: when each check is due, and the surplus a financial monitoring
//! period finds.
//!
//! - `001` 1.4.4 workstream 2: "an initial 3-month check-in call, named officer ... 'Direct
//!   Payment monitoring'" (periodic financial monitoring, formerly audits).
//! - Care and Support Statutory Guidance ch. 12 (12.66–12.67): review the making of the DP
//!   within the first six months, then at least annually.
//! - `000` / `001`: monitoring finds unspent money and reclaims it ("£2.85m requested, £2.37m
//!   returned"). The surplus is the balance held beyond the allowed contingency, which is a
//!   number of weeks of the budget (configurable per council).

use super::{div_round, weekly_pence};
use crate::Date;
use jiff::ToSpan;
use serde::Serialize;

/// A council's monitoring policy. Defaults: check-in at 3 months (`001`), first review at 6
/// months then every 12 (statutory guidance ch. 12), financial monitoring every 12 months, and
/// a contingency of 4 weeks' budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub check_in_months: i32,
    pub first_review_months: i32,
    pub review_interval_months: i32,
    pub financial_interval_months: i32,
    pub contingency_weeks: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            check_in_months: 3,
            first_review_months: 6,
            review_interval_months: 12,
            financial_interval_months: 12,
            contingency_weeks: 4,
        }
    }
}

/// The kinds of monitoring recorded against a DP.
pub const KINDS: [super::Choice; 3] = [
    ("check_in", "3-month check-in call"),
    ("review", "Review (statutory: first within 6 months, then annually)"),
    ("financial", "Financial monitoring"),
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Due {
    pub kind: &'static str,
    pub due: Date,
    pub overdue: bool,
}

fn add_months(d: Date, m: i32) -> Date {
    d.checked_add(m.months()).unwrap_or(d)
}

/// What is due next for an open DP that started on `start`, given the dates each kind was last
/// completed. The check-in is due once; the review `first_review_months` after the start and
/// then every `review_interval_months` after the last; financial monitoring every
/// `financial_interval_months` after the start or the last one. Nothing is due for an ended DP.
pub fn due(
    policy: &Policy,
    start: Date,
    end: Option<Date>,
    last_check_in: Option<Date>,
    last_review: Option<Date>,
    last_financial: Option<Date>,
    today: Date,
) -> Vec<Due> {
    if end.is_some_and(|e| e <= today) {
        return Vec::new();
    }
    let mut v = Vec::new();
    if last_check_in.is_none() {
        let d = add_months(start, policy.check_in_months);
        v.push(Due { kind: "check_in", due: d, overdue: d < today });
    }
    let review = match last_review {
        None => add_months(start, policy.first_review_months),
        Some(l) => add_months(l, policy.review_interval_months),
    };
    v.push(Due { kind: "review", due: review, overdue: review < today });
    let fin = add_months(last_financial.unwrap_or(start), policy.financial_interval_months);
    v.push(Due { kind: "financial", due: fin, overdue: fin < today });
    v.sort_by_key(|d| d.due);
    v
}

/// The surplus found by financial monitoring, with its working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Surplus {
    pub balance_pence: i64,
    pub weekly_budget_pence: i64,
    pub contingency_weeks: i64,
    pub allowed_contingency_pence: i64,
    pub surplus_pence: i64,
}

/// Surplus = balance held beyond the allowed contingency (`contingency_weeks` × the weekly
/// budget), never below zero.
pub fn surplus(balance_pence: i64, budget_pence: i64, period: &str, contingency_weeks: i64) -> Option<Surplus> {
    let weekly = weekly_pence(budget_pence, period)?;
    let allowed = weekly * contingency_weeks.max(0);
    Some(Surplus {
        balance_pence,
        weekly_budget_pence: weekly,
        contingency_weeks: contingency_weeks.max(0),
        allowed_contingency_pence: allowed,
        surplus_pence: (balance_pence - allowed).max(0),
    })
}

/// Totals of reclaims: what was requested back and what came back, with the share returned
/// in basis points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct ReclaimTotals {
    pub requested_pence: i64,
    pub returned_pence: i64,
    pub returned_bp: i64,
}

impl ReclaimTotals {
    pub fn new(requested_pence: i64, returned_pence: i64) -> Self {
        let returned_bp = if requested_pence > 0 { div_round(returned_pence * 10_000, requested_pence) } else { 0 };
        ReclaimTotals { requested_pence, returned_pence, returned_bp }
    }

    /// "£2.85m requested, £2.37m returned" (`000`).
    pub fn headline(&self) -> String {
        format!("{} requested, {} returned", super::money_millions(self.requested_pence), super::money_millions(self.returned_pence))
    }
}

/// The amount requested back cannot exceed the surplus found, and what is returned cannot be
/// more than was requested or negative.
pub fn check_reclaim(surplus_pence: i64, requested: i64, returned: Option<i64>) -> Result<(), (&'static str, String)> {
    if requested < 0 {
        return Err(("requested", "The amount requested back cannot be negative".into()));
    }
    if requested > surplus_pence {
        return Err(("requested", format!("The amount requested back cannot be more than the surplus of {}", super::money(surplus_pence))));
    }
    if let Some(r) = returned {
        if r < 0 {
            return Err(("returned", "The amount returned cannot be negative".into()));
        }
        if r > requested {
            return Err(("returned", format!("The amount returned cannot be more than the {} requested", super::money(requested))));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i16, m: i8, day: i8) -> Date {
        Date::constant(y, m, day)
    }

    #[test]
    fn check_in_three_months_then_review_at_six_then_annual() {
        let p = Policy::default();
        let start = d(2024, 1, 15);
        let v = due(&p, start, None, None, None, None, d(2024, 5, 1));
        assert_eq!(v[0], Due { kind: "check_in", due: d(2024, 4, 15), overdue: true });
        assert_eq!(v[1], Due { kind: "review", due: d(2024, 7, 15), overdue: false });
        assert_eq!(v[2], Due { kind: "financial", due: d(2025, 1, 15), overdue: false });
        // After the first review, the next is a year later; the check-in is done.
        let v = due(&p, start, None, Some(d(2024, 4, 10)), Some(d(2024, 7, 1)), None, d(2024, 8, 1));
        assert_eq!(v.len(), 2);
        assert!(v.iter().any(|x| x.kind == "review" && x.due == d(2025, 7, 1)));
        // Nothing is due once ended.
        assert!(due(&p, start, Some(d(2024, 3, 1)), None, None, None, d(2024, 5, 1)).is_empty());
    }

    #[test]
    fn surplus_is_balance_beyond_contingency() {
        // £250 a week, 4 weeks allowed = £1,000; a £3,400 balance leaves £2,400 surplus.
        let s = surplus(340_000, 25_000, "weekly", 4).expect("surplus");
        assert_eq!(s.allowed_contingency_pence, 100_000);
        assert_eq!(s.surplus_pence, 240_000);
        assert_eq!(surplus(90_000, 25_000, "weekly", 4).map(|s| s.surplus_pence), Some(0));
        // £13,000 a year is £250 a week.
        assert_eq!(surplus(100_000, 1_300_000, "annual", 8).map(|s| s.surplus_pence), Some(0));
    }

    #[test]
    fn reclaim_headline_uses_000s_numbers() {
        let t = ReclaimTotals::new(285_000_000, 237_000_000);
        assert_eq!(t.headline(), "£2.85m requested, £2.37m returned");
        assert_eq!(t.returned_bp, 8_316); // 83.2% returned
    }

    #[test]
    fn reclaims_are_bounded() {
        assert!(check_reclaim(1_000, 1_001, None).is_err());
        assert!(check_reclaim(1_000, -1, None).is_err());
        assert!(check_reclaim(1_000, 800, Some(900)).is_err());
        assert!(check_reclaim(1_000, 800, Some(800)).is_ok());
    }

    proptest! {
        #[test]
        fn surplus_never_negative_nor_above_balance(bal in -1_000_000i64..10_000_000, b in 1i64..1_000_000, w in 0i64..52) {
            let s = surplus(bal, b, "weekly", w).expect("surplus");
            prop_assert!(s.surplus_pence >= 0);
            prop_assert!(s.surplus_pence <= bal.max(0));
        }
    }
}
