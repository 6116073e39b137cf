//! Money as integer pence: rounding, basis points, the way `000` writes amounts, and parsing
//! what officers and finance files type.

use crate::FieldError;

/// Integer division rounded half away from zero.
pub fn div_round(n: i64, d: i64) -> i64 {
    if d == 0 {
        return 0;
    }
    let q = n / d;
    let r = n % d;
    if 2 * r.abs() >= d.abs() { q + n.signum() * d.signum() } else { q }
}

/// `amount × bp / 10,000`, rounded to the penny.
pub fn apply_bp(amount: i64, bp: i64) -> i64 {
    div_round(amount * bp, 10_000)
}

/// Pence as "£1,234.56".
pub fn money(pence: i64) -> String {
    let sign = if pence < 0 { "-" } else { "" };
    let p = pence.abs();
    format!("{sign}£{}.{:02}", thousands(p / 100), p % 100)
}

/// Pence as a form takes pounds back: "1500.00", "-1.50" (no pound sign, no thousands
/// separator), so that a form shown again holds what `parse_money` reads.
pub fn money_typed(pence: i64) -> String {
    let sign = if pence < 0 { "-" } else { "" };
    let p = pence.abs();
    format!("{sign}{}.{:02}", p / 100, p % 100)
}

/// Pence as "£1,235" (rounded to the pound).
pub fn money_pounds(pence: i64) -> String {
    let sign = if pence < 0 { "-" } else { "" };
    format!("{sign}£{}", thousands(div_round(pence.abs(), 100)))
}

/// Pence as millions of pounds to two places, as `000` writes them: "£2.85m".
pub fn money_millions(pence: i64) -> String {
    let tenk = div_round(pence, 1_000_000); // units of £10,000
    format!("£{}.{:02}m", tenk / 100, (tenk % 100).abs())
}

fn thousands(n: i64) -> String {
    crate::text::thousands(n)
}

/// Parse "£1,234.56", "1234.5" or "1234" as pence. Negative amounts ("-12.00", "(12.00)")
/// are allowed here; callers decide whether they make sense.
pub fn parse_money(s: &str) -> Option<i64> {
    let t = s.trim();
    let (neg, t) = if let Some(inner) = t.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        (true, inner)
    } else if let Some(rest) = t.strip_prefix('-') {
        (true, rest)
    } else {
        (false, t)
    };
    let t: String = t.trim().trim_start_matches('£').chars().filter(|c| *c != ',').collect();
    if t.is_empty() {
        return None;
    }
    let (whole, frac) = match t.split_once('.') {
        Some((w, f)) => (w, f),
        None => (t.as_str(), ""),
    };
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    if !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) || frac.len() > 2 {
        return None;
    }
    let w: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let f: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    let v = w.checked_mul(100)?.checked_add(f)?;
    Some(if neg { -v } else { v })
}

/// A required amount of money typed into a form field `field` (labelled `label`): more than
/// zero unless `allow_zero`, never negative.
pub fn parse_amount(field: &str, label: &str, raw: &str, allow_zero: bool) -> Result<i64, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(FieldError::new(field, format!("Enter the {}", label.to_lowercase())));
    }
    match parse_money(raw) {
        Some(v) if v < 0 => Err(FieldError::new(field, format!("{label} cannot be negative"))),
        Some(0) if !allow_zero => Err(FieldError::new(field, format!("{label} must be more than £0"))),
        Some(v) => Ok(v),
        None => Err(FieldError::new(field, format!("{label} must be an amount of money, like 250.00"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn money_formats_as_000_writes_it() {
        assert_eq!(money_millions(285_000_000), "£2.85m");
        assert_eq!(money_millions(236_999_999), "£2.37m");
        assert_eq!(money(123_456), "£1,234.56");
        assert_eq!(money(-5), "-£0.05");
        assert_eq!(money_pounds(4_893_273_650), "£48,932,737");
    }

    #[test]
    fn money_parses_finance_amounts() {
        assert_eq!(parse_money("£1,234.56"), Some(123_456));
        assert_eq!(parse_money("12.5"), Some(1_250));
        assert_eq!(parse_money("(12.00)"), Some(-1_200));
        assert_eq!(parse_money("-3"), Some(-300));
        assert_eq!(parse_money("12.345"), None);
        assert_eq!(parse_money("abc"), None);
        assert_eq!(parse_money(""), None);
    }

    #[test]
    fn pence_typed_back_into_a_form() {
        assert_eq!(money_typed(150_000), "1500.00");
        assert_eq!(money_typed(1_345), "13.45");
        assert_eq!(money_typed(5), "0.05");
        assert_eq!(money_typed(-150), "-1.50");
        assert_eq!(money_typed(-5), "-0.05");
    }

    #[test]
    fn amounts_typed_into_forms() {
        assert_eq!(parse_amount("fee", "The fee", " 12.50 ", false), Ok(1_250));
        assert_eq!(parse_amount("balance", "Balance held", "", true), Err(FieldError::new("balance", "Enter the balance held")));
        assert_eq!(parse_amount("fee", "The fee", "-1", false), Err(FieldError::new("fee", "The fee cannot be negative")));
        assert_eq!(parse_amount("fee", "The fee", "0", false), Err(FieldError::new("fee", "The fee must be more than £0")));
        assert_eq!(parse_amount("balance", "Balance held", "0", true), Ok(0));
        assert_eq!(
            parse_amount("fee", "The fee", "lots", false),
            Err(FieldError::new("fee", "The fee must be an amount of money, like 250.00"))
        );
    }

    proptest! {
        #[test]
        fn money_round_trips(p in -10_000_000_000i64..10_000_000_000) {
            prop_assert_eq!(parse_money(&money(p)), Some(p));
        }

        /// What a form is filled with is what it reads back, negative amounts included.
        #[test]
        fn typed_money_round_trips(p in -10_000_000_000i64..10_000_000_000) {
            prop_assert_eq!(parse_money(&money_typed(p)), Some(p));
        }

        #[test]
        fn div_round_is_within_half(n in -1_000_000_000i64..1_000_000_000, d in 1i64..100_000) {
            let q = div_round(n, d);
            prop_assert!((q * d - n).abs() * 2 <= d);
        }
    }
}
