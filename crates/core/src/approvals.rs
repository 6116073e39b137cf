//! Money limits, as a council's finance system enforces them (issue 16 item 16):
//! - a reclaim never exceeds what was paid into the direct payment ([`paid_in`], [`check_paid_in`]);
//! - card spend in a blocked merchant category is flagged ([`parse_merchant_category`],
//!   the list itself is data the council keeps, seeded by migration 0032);
//! - the officers who approve packages and reclaims have limits, above which a second officer,
//!   whose own limit covers the amount, must approve ([`Approval`], [`check_second_approver`]).
//!
//! Money is integer pence throughout.

use crate::direct_payments::{BudgetPeriod, money};
use crate::{Date, FieldError};
use jiff::ToSpan;

/// What was paid into a DP that started on `start` with `budget_pence` per `period`, by
/// `up_to` (inclusive): one payment in advance at the start of each period (the start date, then
/// every 7 or 28 days, the same day each month or each year), none on or after the DP's `end`.
pub fn paid_in(start: Date, end: Option<Date>, budget_pence: i64, period: BudgetPeriod, up_to: Date) -> i64 {
    let last = match end {
        // Nothing is paid on the day a DP ends or later.
        Some(e) => match e.yesterday() {
            Ok(y) if y < up_to => y,
            Ok(_) => up_to,
            Err(_) => return 0,
        },
        None => up_to,
    };
    if last < start {
        return 0;
    }
    let payments = match period {
        BudgetPeriod::Weekly | BudgetPeriod::FourWeekly => {
            let step = if period == BudgetPeriod::Weekly { 7 } else { 28 };
            let days = (last - start).get_days() as i64;
            // `last - start` is a span in days only when both are dates: jiff gives days.
            days / step + 1
        }
        BudgetPeriod::Monthly | BudgetPeriod::Annual => {
            let step = if period == BudgetPeriod::Monthly { 1 } else { 12 };
            let mut n = 0i64;
            // Months are counted from the start each time (not added one to the last), so a DP
            // starting on the 31st is paid on the last day of shorter months and the 31st again.
            loop {
                let Ok(d) = start.checked_add(((n * step) as i32).months()) else { break };
                if d > last {
                    break;
                }
                n += 1;
            }
            n
        }
    };
    payments * budget_pence
}

/// A reclaim of `requested` is within what was paid in: with what was already asked back of
/// the same DP, it cannot come to more than `paid_in_pence` (paid in up to `up_to`, the end of the
/// period monitored).
pub fn check_paid_in(requested: i64, paid_in_pence: i64, already_requested: i64, up_to: Date) -> Result<(), FieldError> {
    if requested <= 0 || requested + already_requested <= paid_in_pence {
        return Ok(());
    }
    let left = (paid_in_pence - already_requested).max(0);
    let earlier = if already_requested > 0 {
        format!(", less {} already asked back, leaves {}", money(already_requested), money(left))
    } else {
        String::new()
    };
    Err(FieldError::new(
        "requested",
        format!(
            "The amount requested back cannot be more than was paid into the direct payment: {} was paid in up to {}{earlier}",
            money(paid_in_pence),
            crate::text::long_date(up_to),
        ),
    ))
}

/// What an approval limit applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    /// A reclaim of a direct payment's surplus (the amount asked back).
    Reclaim,
    /// A home care package's weekly cost at the accepted provider's rate.
    PackageWeekly,
}

impl LimitKind {
    pub fn what(self) -> &'static str {
        match self {
            LimitKind::Reclaim => "reclaim",
            LimitKind::PackageWeekly => "package a week",
        }
    }
}

/// The council's default limits: what an officer without a limit of their own may approve.
pub const DEFAULT_RECLAIM_LIMIT_PENCE: i64 = 500_000;
pub const DEFAULT_PACKAGE_WEEKLY_LIMIT_PENCE: i64 = 100_000;
/// A limit is at most this (£10m): a guard against a misplaced decimal point.
pub const MAX_LIMIT_PENCE: i64 = 1_000_000_000;

/// Whether an amount needs a second approver: above the first officer's limit, or not known
/// (a package whose provider has no rate on record cannot be shown to be within anyone's limit).
pub fn needs_second_approver(amount: Option<i64>, limit: i64) -> bool {
    amount.is_none_or(|a| a > limit)
}

/// A second approval of `amount` by an officer (`approver`) whose limit is `approver_limit`,
/// of something `first` put forward: not the same person, and within the approver's own limit.
pub fn check_second_approver(
    kind: LimitKind,
    first: &str,
    approver: &str,
    approver_limit: i64,
    amount: Option<i64>,
) -> Result<(), FieldError> {
    if first == approver {
        return Err(FieldError::new("approval", "A second approver must be someone other than the officer who put it forward"));
    }
    match amount {
        Some(a) if a > approver_limit => Err(FieldError::new(
            "approval",
            format!("This {} of {} is above your approval limit of {}", kind.what(), money(a), money(approver_limit)),
        )),
        Some(_) => Ok(()),
        None if approver_limit >= MAX_LIMIT_PENCE => Ok(()),
        None => Err(FieldError::new(
            "approval",
            "The cost is not known (no rate on record for the provider), so only an officer with the highest limit can approve it",
        )),
    }
}

/// An approval limit as typed in pounds ("1,500" or "1500.00"): not negative, at most £10m.
pub fn parse_limit(field: &str, label: &str, text: &str) -> Result<i64, FieldError> {
    let p = crate::direct_payments::parse_amount(field, label, text, true)?;
    if p > MAX_LIMIT_PENCE {
        return Err(FieldError::new(field, format!("{label} must be {} or less", money(MAX_LIMIT_PENCE))));
    }
    Ok(p)
}

/// A package's weekly cost at `rate_pence_per_hour`: every minute of care, with a second carer's
/// minutes on double-up visits (each double-up visit taken as the package's average visit),
/// rounded to the penny, half up.
pub fn package_weekly_cost(minutes_per_week: i64, visits_per_day: i64, double_up_visits_per_week: i64, rate_pence_per_hour: i64) -> i64 {
    let visits = (visits_per_day * 7).max(1);
    // Carer minutes, kept as a fraction over `visits` so that nothing is rounded until the end.
    let carer_minutes_x_visits = minutes_per_week * visits + minutes_per_week * double_up_visits_per_week;
    let num = carer_minutes_x_visits * rate_pence_per_hour;
    let den = visits * 60;
    (num + den / 2) / den
}

/// A card merchant category code (ISO 18245): four digits.
pub fn parse_merchant_category(text: &str) -> Result<Option<String>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
        Ok(Some(t.to_string()))
    } else {
        Err(format!("must be a four-digit merchant category code, such as 5411; found '{t}'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i16, m: i8, day: i8) -> Date {
        jiff::civil::date(y, m, day)
    }

    #[test]
    fn weekly_payments_are_counted_from_the_start_day() {
        // Paid on 1, 8, 15, 22, 29 January: five payments by the 29th, four by the 28th.
        assert_eq!(paid_in(d(2025, 1, 1), None, 10_000, BudgetPeriod::Weekly, d(2025, 1, 29)), 5 * 10_000);
        assert_eq!(paid_in(d(2025, 1, 1), None, 10_000, BudgetPeriod::Weekly, d(2025, 1, 28)), 4 * 10_000);
        assert_eq!(paid_in(d(2025, 1, 1), None, 10_000, BudgetPeriod::Weekly, d(2024, 12, 31)), 0);
    }

    #[test]
    fn nothing_is_paid_on_or_after_the_end() {
        // Ended on the 15th: paid on the 1st and 8th only.
        assert_eq!(paid_in(d(2025, 1, 1), Some(d(2025, 1, 15)), 10_000, BudgetPeriod::Weekly, d(2025, 3, 1)), 2 * 10_000);
        assert_eq!(paid_in(d(2025, 1, 1), Some(d(2025, 1, 1)), 10_000, BudgetPeriod::Weekly, d(2025, 3, 1)), 0);
    }

    #[test]
    fn four_weekly_monthly_and_annual() {
        // Four-weekly from 6 January: 6 Jan, 3 Feb, 3 Mar, 31 Mar.
        assert_eq!(paid_in(d(2025, 1, 6), None, 40_000, BudgetPeriod::FourWeekly, d(2025, 3, 31)), 4 * 40_000);
        // Monthly from 31 January: 31 Jan, 28 Feb, 31 Mar.
        assert_eq!(paid_in(d(2025, 1, 31), None, 100_000, BudgetPeriod::Monthly, d(2025, 3, 31)), 3 * 100_000);
        assert_eq!(paid_in(d(2025, 1, 31), None, 100_000, BudgetPeriod::Monthly, d(2025, 3, 30)), 2 * 100_000);
        assert_eq!(paid_in(d(2024, 4, 1), None, 1_200_000, BudgetPeriod::Annual, d(2025, 4, 1)), 2 * 1_200_000);
    }

    #[test]
    fn a_reclaim_is_bounded_by_what_was_paid_in_less_earlier_reclaims() {
        assert!(check_paid_in(50_000, 50_000, 0, d(2025, 3, 31)).is_ok());
        let e = check_paid_in(50_001, 50_000, 0, d(2025, 3, 31)).expect_err("over");
        assert_eq!(e.field, "requested");
        assert!(e.message.contains("£500.00 was paid in up to 31 March 2025"), "{}", e.message);
        let e = check_paid_in(30_000, 50_000, 25_000, d(2025, 3, 31)).expect_err("over with earlier");
        assert!(e.message.contains("less £250.00 already asked back, leaves £250.00"), "{}", e.message);
        assert!(check_paid_in(0, 0, 0, d(2025, 3, 31)).is_ok());
    }

    #[test]
    fn second_approver_rules() {
        assert!(!needs_second_approver(Some(100), 100));
        assert!(needs_second_approver(Some(101), 100));
        assert!(needs_second_approver(None, MAX_LIMIT_PENCE));
        let same = check_second_approver(LimitKind::Reclaim, "u1", "u1", MAX_LIMIT_PENCE, Some(1)).expect_err("same person");
        assert!(same.message.contains("someone other than"));
        let over = check_second_approver(LimitKind::Reclaim, "u1", "u2", 100_000, Some(100_001)).expect_err("over");
        assert_eq!(over.message, "This reclaim of £1,000.01 is above your approval limit of £1,000.00");
        assert!(check_second_approver(LimitKind::PackageWeekly, "u1", "u2", 100_000, Some(100_000)).is_ok());
        assert!(check_second_approver(LimitKind::PackageWeekly, "u1", "u2", 100_000, None).is_err());
        assert!(check_second_approver(LimitKind::PackageWeekly, "u1", "u2", MAX_LIMIT_PENCE, None).is_ok());
    }

    #[test]
    fn package_cost_counts_a_second_carer_on_double_ups() {
        // 14 hours a week at £22.96: £321.44.
        assert_eq!(package_weekly_cost(14 * 60, 2, 0, 2296), 32_144);
        // 4 visits a day of 30 minutes (840 minutes, 28 visits), 7 of them double-up: 1050 carer
        // minutes = 17.5 hours at £22.96 = £401.80.
        assert_eq!(package_weekly_cost(840, 4, 7, 2296), 40_180);
    }

    #[test]
    fn merchant_categories_are_four_digits() {
        assert_eq!(parse_merchant_category(" 7995 "), Ok(Some("7995".into())));
        assert_eq!(parse_merchant_category(""), Ok(None));
        assert!(parse_merchant_category("799").is_err());
        assert!(parse_merchant_category("gamb").is_err());
    }
}
