//! The council's own settings for direct payments: entries of the reference lists councils
//! extend (service areas, closure reasons), the allowed contingency, and the number of people
//! on long-term support that the Self-Directed Support share is taken of.

use crate::{FieldError, FieldErrors};

/// The reference lists a council can add to or rename.
pub const EDITABLE_LISTS: [&str; 4] = ["service_area", "closure_reason", "ethnicity", "religion"];

/// An entry of a reference list as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceEntry {
    pub list: String,
    pub code: String,
    pub label: String,
}

impl ReferenceEntry {
    /// A new or renamed entry: a list councils may change, a code made from what was typed
    /// ("Moved abroad" → `moved_abroad`) and a tidy label.
    pub fn parse(list: &str, code: &str, label: &str) -> Result<ReferenceEntry, FieldErrors> {
        if !EDITABLE_LISTS.contains(&list) {
            return Err(FieldError::new("list", "Choose a list").into());
        }
        let code = crate::text::slug(code).replace('-', "_");
        let label = crate::text::tidy(label);
        if code.is_empty() || label.is_empty() {
            return Err(FieldError::new("label", "Enter a label").into());
        }
        Ok(ReferenceEntry { list: list.to_string(), code, label })
    }
}

/// Whether an entry may stop being offered: a list keeps at least one entry in use, or officers
/// could record nothing. Retiring never touches records: an entry's code stays on every record
/// that has it, and its label still names them (and groups them in the figures).
pub fn can_retire(in_use: usize, label: &str) -> Result<(), FieldError> {
    if in_use <= 1 {
        return Err(FieldError::new("code", format!("'{label}' is the only entry in use: add another before you retire it")));
    }
    Ok(())
}

/// Weeks of budget a person may hold as contingency before the rest is surplus.
pub fn contingency_weeks(weeks: i64) -> Result<i64, FieldError> {
    if (0..=52).contains(&weeks) { Ok(weeks) } else { Err(FieldError::new("contingency_weeks", "Enter a number of weeks from 0 to 52")) }
}

/// The allowed contingency as typed on the reclaims page.
pub fn parse_contingency_weeks(raw: &str) -> Result<i64, FieldError> {
    raw.trim().parse::<i64>().map_err(|_| FieldError::new("contingency_weeks", "The allowed contingency must be a whole number of weeks"))
}

/// People receiving long-term support (from the council's returns): more than none.
pub fn long_term_support(n: i64) -> Result<i64, FieldError> {
    if n > 0 {
        Ok(n)
    } else {
        Err(FieldError::new("long_term_support", "Enter the number of people receiving long-term support, more than 0"))
    }
}

/// The number of people on long-term support as typed ("6,622"); `None` when left blank.
pub fn parse_long_term_support(raw: &str) -> Result<Option<i64>, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.replace(',', "")
        .parse::<i64>()
        .map(Some)
        .map_err(|_| FieldError::new("long_term_support", "People on long-term support must be a whole number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_entries() {
        let e = ReferenceEntry::parse("closure_reason", "Moved abroad", "  Moved   abroad ").expect("valid");
        assert_eq!((e.code.as_str(), e.label.as_str()), ("moved_abroad", "Moved abroad"));
        assert_eq!(ReferenceEntry::parse("holding", "x", "X").expect_err("list").0[0].field, "list");
        assert_eq!(ReferenceEntry::parse("service_area", "", "").expect_err("label").0[0].field, "label");
    }

    #[test]
    fn settings() {
        assert_eq!(contingency_weeks(52), Ok(52));
        assert!(contingency_weeks(53).is_err() && contingency_weeks(-1).is_err());
        assert_eq!(parse_contingency_weeks(" 8 "), Ok(8));
        assert!(parse_contingency_weeks("four").is_err());
        assert_eq!(parse_long_term_support("6,622"), Ok(Some(6_622)));
        assert_eq!(parse_long_term_support(""), Ok(None));
        assert!(parse_long_term_support("many").is_err());
        assert!(long_term_support(0).is_err());
    }
}

#[cfg(test)]
mod retire_tests {
    use super::can_retire;

    #[test]
    fn the_last_entry_in_use_stays() {
        let e = can_retire(1, "Deceased").expect_err("the last entry");
        assert_eq!(e.field, "code");
        assert_eq!(e.message, "'Deceased' is the only entry in use: add another before you retire it");
        assert!(can_retire(2, "Deceased").is_ok());
    }
}
