//! Fees (domain C7; seeds `000`, `002` recommendation 15, `004` §5): the rates the council pays,
//! with full history, uplifts, each contract's payment basis, and providers' requests for fee
//! increases outside the annual uplift.
//!
//! Money is integer pence, percentages basis points (8.89% = 889), dates jiff dates. Every rule
//! is here, once, for the pages, the store and the demo.

pub mod basis;
pub mod budgets;
pub mod care_home_fees;
pub mod cost_of_care;
pub mod rates;
pub mod requests;
pub mod supported_living;
pub mod uplift;

pub use basis::{PayOn, PaymentBasis, SecondCarer};
pub use rates::{PaidFrom, PaidRate, RateCategory, RateDraft, RateLevel, RateLine, RateStatus, RateVersion};
pub use requests::{FeeRequestDraft, RequestDecision, RequestStatus};
pub use uplift::{UpliftDraft, UpliftMethod, UpliftPlan};

use crate::{Date, FieldError};

/// The council's financial year a date falls in, as councils write it: "2024/25" (1 April to
/// 31 March; `000` "Our 24/25 Home Care rate").
pub fn financial_year(d: Date) -> String {
    let start = if d.month() >= 4 { d.year() } else { d.year() - 1 };
    format!("{start}/{:02}", (start + 1) % 100)
}

/// A percentage typed as "8.89", "15.6" or "6.5%" as basis points (889, 1560, 650): more than 0,
/// at most 100, and at most two decimal places (so the arithmetic stays in integers).
pub fn parse_percent_bp(field: &str, label: &str, raw: &str) -> Result<i64, FieldError> {
    let t = raw.trim().trim_end_matches('%').trim();
    if t.is_empty() {
        // `label` starts "The ...": "Enter the percentage".
        return Err(FieldError::new(field, format!("Enter {}", label.to_lowercase())));
    }
    let bad = || FieldError::new(field, format!("{label} must be a number of per cent with up to two decimal places, like 8.89"));
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty() && frac.is_empty() {
        return Err(bad());
    }
    if !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) || frac.len() > 2 || whole.len() > 4 {
        return Err(bad());
    }
    let w: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad())? };
    let f: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().map_err(|_| bad())? * 10,
        _ => frac.parse().map_err(|_| bad())?,
    };
    let bp = w * 100 + f;
    if bp == 0 {
        return Err(FieldError::new(field, format!("{label} must be more than 0%")));
    }
    if bp > 10_000 {
        return Err(FieldError::new(field, format!("{label} must be 100% or less")));
    }
    Ok(bp)
}

/// A rate in pounds typed into `field`: `what` names it in the messages ("rate" gives "Enter
/// the rate", "The rate cannot be negative"). More than £0, in pence.
pub fn parse_pounds(field: &str, what: &str, raw: &str) -> Result<i64, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(FieldError::new(field, format!("Enter the {what}")));
    }
    match crate::direct_payments::money::parse_money(raw) {
        Some(v) if v < 0 => Err(FieldError::new(field, format!("The {what} cannot be negative"))),
        Some(0) => Err(FieldError::new(field, format!("The {what} must be more than £0"))),
        Some(v) => Ok(v),
        None => Err(FieldError::new(field, format!("The {what} must be an amount of money, like 22.96"))),
    }
}

/// Basis points as a percentage the way it was typed: 889 as "8.89%", 1560 as "15.6%", 650 as "6.5%".
pub fn percent_text(bp: i64) -> String {
    let whole = bp / 100;
    let frac = bp % 100;
    if frac == 0 {
        format!("{whole}%")
    } else if frac % 10 == 0 {
        format!("{whole}.{}%", frac / 10)
    } else {
        format!("{whole}.{frac:02}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn financial_years_start_in_april() {
        assert_eq!(financial_year(jiff::civil::date(2024, 4, 1)), "2024/25");
        assert_eq!(financial_year(jiff::civil::date(2024, 3, 31)), "2023/24");
        assert_eq!(financial_year(jiff::civil::date(1999, 12, 1)), "1999/00");
    }

    #[test]
    fn percentages_are_basis_points() {
        assert_eq!(parse_percent_bp("percent", "The uplift", "8.89"), Ok(889));
        assert_eq!(parse_percent_bp("percent", "The uplift", "15.6%"), Ok(1560));
        assert_eq!(parse_percent_bp("percent", "The uplift", " 6.5 "), Ok(650));
        assert_eq!(parse_percent_bp("percent", "The uplift", "5"), Ok(500));
        for bad in ["", "abc", "8.891", "-2", "0", "101", "1.2.3"] {
            let e = parse_percent_bp("percent", "The uplift", bad).expect_err(bad);
            assert_eq!(e.field, "percent", "{bad}");
        }
        assert_eq!(percent_text(889), "8.89%");
        assert_eq!(percent_text(1560), "15.6%");
        assert_eq!(percent_text(500), "5%");
        assert_eq!(percent_text(5), "0.05%");
    }
}
