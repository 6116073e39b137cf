//! C5 and C6: direct payments, the PA register and the rate tools (issue 5).
//!
//! Pure rules: the reference lists (service areas, how a DP is held, closure reasons, spend
//! categories) with the seeds' values as defaults, budget arithmetic, monitoring and surplus
//! (`monitoring`), the Self-Directed Support figures (`figures`), PA matching (`pa_register`,
//! `geo`), the PA Rates Decision Making Tool (`pa_rates`) and the Direct Payment Provider Rates
//! Tool (`provider_rates`). Money is integer pence; percentages are basis points (1% = 100 bp)
//! so every figure is exact and the same on both databases.

pub mod figures;
pub mod geo;
pub mod monitoring;
pub mod pa_rates;
pub mod pa_register;
pub mod provider_rates;

use crate::{Date, FieldError};

/// A (code, label) pair of a reference list. Councils can add to or rename these (they are
/// stored as data); these are the defaults shipped.
pub type Choice = (&'static str, &'static str);

/// Funding service areas. `000` "Self-Directed Support": Learning Disabilities 653, Older People
/// 553, Physical Disabilities 384, Mental Health 203, 18-25years 172, Continuing Healthcare fully
/// funded 44; its spend table adds Adults Future Options and Reablement Frontline.
pub const SERVICE_AREAS: [Choice; 8] = [
    ("learning_disabilities", "Learning Disabilities"),
    ("older_people", "Older People"),
    ("physical_disabilities", "Physical Disabilities"),
    ("mental_health", "Mental Health"),
    ("age_18_25", "18–25"),
    ("chc_fully_funded", "Continuing Healthcare fully funded"),
    ("adults_future_options", "Adults Future Options"),
    ("reablement", "Reablement"),
];

/// How a DP is held (C5: a self-managed account or prepaid card, or a managed account with a
/// money management company on the Recognised Provider List, `001` workstream 3).
pub const HOLDINGS: [Choice; 3] = [
    ("own_account", "Own account (self-managed)"),
    ("prepaid_card", "Prepaid card"),
    ("managed_account", "Managed account with a money management company"),
];

/// Holdings where the person (or their representative) holds the budget themselves: the
/// numerator of "% holding their own budget" (`000`: 33% → 41.3%).
pub fn holds_own_budget(holding: &str) -> bool {
    matches!(holding, "own_account" | "prepaid_card")
}

/// Closure reasons. `000` "Other reasons for ending Direct Payments" names moving to a
/// council-arranged service (114 to supported living), stopping all social care services (42%,
/// including people passing away) and moving into residential care; "deceased" is separated
/// out of "stopped" because officers record it differently; "other" catches the rest. The list
/// is data: councils add their own.
pub const CLOSURE_REASONS: [Choice; 5] = [
    ("council_arranged", "Moved to a council-arranged service"),
    ("stopped_all_services", "Stopped all social care services"),
    ("residential_care", "Moved into residential care"),
    ("deceased", "Deceased"),
    ("other", "Other"),
];

/// What a DP buys (`000` "Self-Directed Support", with its counts of people).
pub const CATEGORIES: [Choice; 11] = [
    ("activities", "Activities"),
    ("carers", "Carers"),
    ("contingency", "Contingency"),
    ("equipment_technology", "Equipment & Technology"),
    ("financial_fees", "Financial Fees"),
    ("home_support", "Home Support"),
    ("personal_assistants", "Personal Assistants"),
    ("short_breaks", "Short Breaks"),
    ("supported_living", "Supported Living"),
    ("transport", "Transport"),
    ("other", "Other"),
];

/// The period a budget amount covers.
pub const BUDGET_PERIODS: [Choice; 4] =
    [("weekly", "Per week"), ("four_weekly", "Every four weeks"), ("monthly", "Per month"), ("annual", "Per year")];

/// The label of `code` in `list`, or the code itself.
pub fn label_of<'a>(list: &'a [Choice], code: &'a str) -> &'a str {
    list.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or(code)
}

/// Match a finance file's spelling of a category to its code: the code, the label, or the
/// label ignoring case, spaces, '&' and "and" ("Equipment and Technology", "PERSONAL
/// ASSISTANTS", "financial_fees" all match).
pub fn parse_category(s: &str) -> Option<&'static str> {
    let norm = |x: &str| x.to_lowercase().replace(" and ", "").replace(['&', ' ', '_', '-'], "");
    let n = norm(s.trim());
    if n.is_empty() {
        return None;
    }
    CATEGORIES.iter().find(|(c, l)| norm(c) == n || norm(l) == n).map(|(c, _)| *c)
}

/// A budget amount over its period as a yearly amount in pence.
pub fn annual_pence(amount: i64, period: &str) -> Option<i64> {
    match period {
        "weekly" => Some(amount * 52),
        "four_weekly" => Some(amount * 13),
        "monthly" => Some(amount * 12),
        "annual" => Some(amount),
        _ => None,
    }
}

/// A budget amount over its period as a weekly amount in pence (rounded to the penny).
pub fn weekly_pence(amount: i64, period: &str) -> Option<i64> {
    annual_pence(amount, period).map(|a| div_round(a, 52))
}

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
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
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

/// A case reference, not a name: letters, digits, - and / only, up to 20 characters, with at
/// least one digit (the same rule as placements).
pub fn valid_person_ref(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty()
        && s.len() <= 20
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '/')
        && s.chars().any(|c| c.is_ascii_digit())
}

/// What an officer enters to record a DP, checked before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpDraft {
    pub person_ref: String,
    pub service_area: String,
    pub is_child: bool,
    pub budget_pence: i64,
    pub budget_period: String,
    pub holding: String,
    pub mm_provider_id: Option<String>,
    pub start_date: Date,
}

/// Check a DP against the rules that do not need the database: the reference is not a name,
/// the budget is positive, the period and holding are known, a managed account names its
/// money management company and only a managed account does. `areas` is the service-area
/// list in use (the defaults or the council's own).
pub fn validate_draft(d: &DpDraft, areas: &[String]) -> Vec<FieldError> {
    let mut e = Vec::new();
    if !valid_person_ref(&d.person_ref) {
        e.push(FieldError::new(
            "person_ref",
            "Enter the person's case reference (letters, numbers, - or /, up to 20 characters, with at least one number), not their name",
        ));
    }
    if !areas.iter().any(|a| a == &d.service_area) {
        e.push(FieldError::new("service_area", "Choose the funding service area"));
    }
    if d.budget_pence <= 0 {
        e.push(FieldError::new("budget", "The budget must be more than £0: enter the amount agreed in the support plan"));
    } else if d.budget_pence > 100_000_000 {
        e.push(FieldError::new("budget", "The budget must be less than £1,000,000 for the period"));
    }
    if annual_pence(1, &d.budget_period).is_none() {
        e.push(FieldError::new("budget_period", "Choose the period the budget covers"));
    }
    if !HOLDINGS.iter().any(|(c, _)| *c == d.holding) {
        e.push(FieldError::new("holding", "Choose how the direct payment is held"));
    } else if d.holding == "managed_account" && d.mm_provider_id.as_deref().unwrap_or("").is_empty() {
        e.push(FieldError::new("mm_provider_id", "Choose the money management company that holds the managed account"));
    }
    e
}

/// An end date must not be before the start (`end before start`, issue 5 "Bad input").
pub fn validate_end(start: Date, end: Date, reason: &str, reasons: &[String]) -> Vec<FieldError> {
    let mut e = Vec::new();
    if end < start {
        e.push(FieldError::new("end_date", format!("The end date must be on or after the start date ({start})")));
    }
    if !reasons.iter().any(|r| r == reason) {
        e.push(FieldError::new("closure_reason", "Choose why the direct payment ended"));
    }
    e
}

/// Spend can only be recorded against a DP that was open on the day of the spend.
pub fn spend_allowed(start: Date, end: Option<Date>, on: Date) -> Result<(), String> {
    if on < start {
        return Err(format!("the direct payment started on {start}, after this spend"));
    }
    if let Some(end) = end
        && on > end
    {
        return Err(format!("the direct payment closed on {end}: spend after closure cannot be recorded"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn categories_parse_from_finance_spellings() {
        assert_eq!(parse_category("Equipment and Technology"), Some("equipment_technology"));
        assert_eq!(parse_category("Equipment & Technology"), Some("equipment_technology"));
        assert_eq!(parse_category("PERSONAL ASSISTANTS"), Some("personal_assistants"));
        assert_eq!(parse_category("financial_fees"), Some("financial_fees"));
        assert_eq!(parse_category("Holidays"), None);
        assert_eq!(parse_category(""), None);
    }

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

    fn draft() -> DpDraft {
        DpDraft {
            person_ref: "AB12345".into(),
            service_area: "older_people".into(),
            is_child: false,
            budget_pence: 25_000,
            budget_period: "weekly".into(),
            holding: "own_account".into(),
            mm_provider_id: None,
            start_date: Date::constant(2024, 4, 1),
        }
    }

    fn areas() -> Vec<String> {
        SERVICE_AREAS.iter().map(|(c, _)| c.to_string()).collect()
    }

    #[test]
    fn negative_and_zero_budgets_are_refused() {
        assert!(validate_draft(&draft(), &areas()).is_empty());
        for b in [0, -1, -25_000] {
            let e = validate_draft(&DpDraft { budget_pence: b, ..draft() }, &areas());
            assert_eq!(e.len(), 1);
            assert_eq!(e[0].field, "budget");
        }
    }

    #[test]
    fn managed_account_needs_a_company_and_names_are_refused() {
        let e = validate_draft(&DpDraft { holding: "managed_account".into(), ..draft() }, &areas());
        assert_eq!(e[0].field, "mm_provider_id");
        let e = validate_draft(&DpDraft { person_ref: "Jane Smith".into(), ..draft() }, &areas());
        assert_eq!(e[0].field, "person_ref");
    }

    #[test]
    fn end_before_start_and_spend_after_closure() {
        let reasons: Vec<String> = CLOSURE_REASONS.iter().map(|(c, _)| c.to_string()).collect();
        let s = Date::constant(2024, 4, 1);
        assert_eq!(validate_end(s, Date::constant(2024, 3, 31), "deceased", &reasons)[0].field, "end_date");
        assert!(validate_end(s, s, "deceased", &reasons).is_empty());
        assert!(spend_allowed(s, Some(Date::constant(2024, 6, 30)), Date::constant(2024, 7, 1)).is_err());
        assert!(spend_allowed(s, Some(Date::constant(2024, 6, 30)), Date::constant(2024, 6, 30)).is_ok());
        assert!(spend_allowed(s, None, Date::constant(2024, 3, 1)).is_err());
    }

    #[test]
    fn budget_periods_convert() {
        assert_eq!(annual_pence(10_000, "weekly"), Some(520_000));
        assert_eq!(weekly_pence(520_000, "annual"), Some(10_000));
        assert_eq!(weekly_pence(100_000, "four_weekly"), Some(25_000));
        assert_eq!(annual_pence(1, "fortnightly"), None);
    }

    proptest! {
        #[test]
        fn money_round_trips(p in -10_000_000_000i64..10_000_000_000) {
            prop_assert_eq!(parse_money(&money(p)), Some(p));
        }

        #[test]
        fn weekly_of_weekly_is_identity(p in 0i64..100_000_000) {
            prop_assert_eq!(weekly_pence(p, "weekly"), Some(p));
        }

        #[test]
        fn div_round_is_within_half(n in -1_000_000_000i64..1_000_000_000, d in 1i64..100_000) {
            let q = div_round(n, d);
            prop_assert!((q * d - n).abs() * 2 <= d);
        }
    }
}
