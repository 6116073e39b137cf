//! C5 and C6: direct payments, the PA register and the rate tools (issue 5).
//!
//! Pure rules: the reference lists (service areas, how a DP is held, closure reasons, spend
//! categories) with the seeds' values as defaults, budget arithmetic, monitoring and surplus
//! (`monitoring`), the Self-Directed Support figures (`figures`), PA matching (`pa_register`,
//! `geo`), the PA Rates Decision Making Tool (`pa_rates`) and the Direct Payment Provider Rates
//! Tool (`provider_rates`). Money is integer pence; percentages are basis points (1% = 100 bp)
//! so every figure is exact and the same on both databases.

pub mod equality;
pub mod figures;
pub mod geo;
pub mod money;
pub mod monitoring;
pub mod pa_checks;
pub mod pa_rates;
pub mod pa_register;
pub mod payment;
pub mod provider_rates;
pub mod reference;
pub mod rpl;
pub mod spend;

pub use money::{apply_bp, div_round, money, money_millions, money_pounds, parse_amount, parse_money};
pub use payment::{BudgetPeriod, DpDraft, DpInput, EndInput, Holding, check_end, spend_allowed, validate_draft};

/// A stored or submitted code that is not one of a fixed list's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a known code")]
pub struct UnknownCode(pub String);

/// A fixed list of codes as an enum: stored and sent as its code (serde and `FromStr` use the
/// code), shown with the label of its `Choice` list, and comparable with a code string.
macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident, $list:expr, { $($(#[$vmeta:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $code)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }

            pub fn label(self) -> &'static str {
                $crate::direct_payments::label_of(&$list, self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::direct_payments::UnknownCode;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($code => Ok($name::$variant),)+
                    other => Err($crate::direct_payments::UnknownCode(other.to_string())),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}
pub(crate) use code_enum;

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

/// Ethnic group, for the equality monitoring `000` reports ("the breakdown of people accessing
/// Direct Payments by ethnicity and religion"): the five high-level groups of the 2021 Census
/// (ONS), and a person's choice not to say. Not recorded is no entry at all. The list is data:
/// a council using the 19 detailed groups adds them.
pub const ETHNICITIES: [Choice; 6] = [
    ("asian", "Asian, Asian British or Asian Welsh"),
    ("black", "Black, Black British, Black Welsh, Caribbean or African"),
    ("mixed", "Mixed or Multiple ethnic groups"),
    ("white", "White"),
    ("other", "Other ethnic group"),
    ("declined", "Prefers not to say"),
];

/// Religion, as the 2021 Census asks it (ONS), and a person's choice not to say.
pub const RELIGIONS: [Choice; 9] = [
    ("none", "No religion"),
    ("christian", "Christian"),
    ("buddhist", "Buddhist"),
    ("hindu", "Hindu"),
    ("jewish", "Jewish"),
    ("muslim", "Muslim"),
    ("sikh", "Sikh"),
    ("other", "Other religion"),
    ("declined", "Prefers not to say"),
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

/// A case reference, not a name: letters, digits, - and / only, up to 20 characters, with at
/// least one digit (the same rule as placements).
pub fn valid_person_ref(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty()
        && s.len() <= 20
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '/')
        && s.chars().any(|c| c.is_ascii_digit())
}

/// A case reference as stored: trimmed and upper-cased, so "ab123" finds "AB123".
pub fn normalise_person_ref(s: &str) -> String {
    s.trim().to_uppercase()
}

/// A date an officer says something was done: not in the future.
pub fn not_future(field: &str, on: crate::Date, today: crate::Date) -> Result<crate::Date, crate::FieldError> {
    if on > today { Err(crate::FieldError::new(field, "The date must be today or in the past")) } else { Ok(on) }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn codes_round_trip_and_compare_with_strings() {
        for h in Holding::ALL {
            assert_eq!(h.as_str().parse::<Holding>(), Ok(*h));
            assert_eq!(h.label(), label_of(&HOLDINGS, h.as_str()));
        }
        assert_eq!("fortnightly".parse::<BudgetPeriod>(), Err(UnknownCode("fortnightly".into())));
        assert!(Holding::PrepaidCard == "prepaid_card");
        assert_eq!(serde_json::to_string(&BudgetPeriod::FourWeekly).ok().as_deref(), Some("\"four_weekly\""));
    }

    #[test]
    fn references_and_dates() {
        assert!(valid_person_ref("AB12/3-4"));
        assert!(!valid_person_ref("Jane Smith"));
        assert!(!valid_person_ref("ABCDEF"));
        assert_eq!(normalise_person_ref(" ab123 "), "AB123");
        let today = crate::Date::constant(2025, 1, 1);
        assert!(not_future("x", today, today).is_ok());
        assert_eq!(not_future("x", crate::Date::constant(2025, 1, 2), today).map_err(|e| e.field), Err("x".to_string()));
    }
}
