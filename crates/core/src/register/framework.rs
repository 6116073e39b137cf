//! Contract frameworks (domain C1; seeds `004` §5.1): a council's framework agreement, its lots
//! and the service kinds it buys. Not the quality "assessment frameworks" (PAMMS, CQC's SAF).
//!
//! The rules a framework must meet are here, once, for the pages, the API and the command line.

use super::ServiceKind;
use crate::{Date, FieldError};

/// Longest framework or lot name accepted: names are shown in tables and tags.
pub const MAX_NAME_LEN: usize = 150;

/// A framework as an officer submits it (create or edit).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FrameworkDraft {
    pub name: String,
    /// Lot names in the order given ("Lot 1 - North", "Lot 2 - South").
    pub lots: Vec<String>,
    pub starts_on: Option<Date>,
    pub ends_on: Option<Date>,
    pub kinds: Vec<ServiceKind>,
}

impl FrameworkDraft {
    /// The draft tidied (spaces trimmed and collapsed, empty lot lines dropped, kinds in the
    /// register's order without repeats) and checked. Every problem is returned, each naming
    /// its field, so a form can show them all at once.
    pub fn validated(&self) -> Result<FrameworkDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = crate::text::tidy(&self.name);
        if name.is_empty() {
            errors.push(FieldError::new("name", "Enter the framework's name"));
        } else if name.chars().count() > MAX_NAME_LEN {
            errors.push(FieldError::new("name", format!("The framework's name must be {MAX_NAME_LEN} characters or fewer")));
        }
        let lots: Vec<String> = self.lots.iter().map(|l| crate::text::tidy(l)).filter(|l| !l.is_empty()).collect();
        if lots.is_empty() {
            errors.push(FieldError::new("lots", "Enter at least one lot (a framework with no lots has one, for example \"Lot 1\")"));
        }
        if let Some(long) = lots.iter().find(|l| l.chars().count() > MAX_NAME_LEN) {
            errors.push(FieldError::new(
                "lots",
                format!("Lot names must be {MAX_NAME_LEN} characters or fewer: \"{}...\"", long.chars().take(30).collect::<String>()),
            ));
        }
        let mut seen: Vec<String> = Vec::new();
        for l in &lots {
            let key = l.to_lowercase();
            if seen.contains(&key) {
                errors.push(FieldError::new("lots", format!("Lot names must be different: \"{l}\" is given twice")));
                break;
            }
            seen.push(key);
        }
        if let (Some(s), Some(e)) = (self.starts_on, self.ends_on)
            && e < s
        {
            errors.push(FieldError::new("ends_on", "The end date must be the same as or after the start date"));
        }
        let kinds: Vec<ServiceKind> = ServiceKind::ALL.into_iter().filter(|k| self.kinds.contains(k)).collect();
        if kinds.is_empty() {
            errors.push(FieldError::new("kinds", "Select the types of service the framework covers"));
        }
        if errors.is_empty() {
            Ok(FrameworkDraft { name, lots, starts_on: self.starts_on, ends_on: self.ends_on, kinds })
        } else {
            Err(errors)
        }
    }
}

/// Whether a service of `kind` may join a framework covering `kinds`.
pub fn check_member_kind(framework_name: &str, kinds: &[ServiceKind], kind: ServiceKind) -> Result<(), FieldError> {
    if kinds.contains(&kind) {
        Ok(())
    } else {
        let covered = kinds.iter().map(|k| k.label().to_lowercase()).collect::<Vec<_>>().join(", ");
        Err(FieldError::new(
            "service_id",
            format!("{framework_name} covers {covered}: this service is {}, so it cannot join", kind.label().to_lowercase()),
        ))
    }
}

/// Whether `name` is already another framework's (names are compared ignoring case).
/// `existing`: every framework's id and name; `except`: the framework being renamed.
pub fn name_taken<'a>(existing: impl IntoIterator<Item = (&'a str, &'a str)>, name: &str, except: Option<&str>) -> bool {
    existing.into_iter().any(|(id, n)| n.to_lowercase() == name.to_lowercase() && Some(id) != except)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> FrameworkDraft {
        FrameworkDraft {
            name: "  Home Care   Framework 2025 ".into(),
            lots: vec!["Lot 1 - North".into(), " ".into(), "Lot 2 - South".into()],
            starts_on: Some(jiff::civil::date(2025, 4, 1)),
            ends_on: Some(jiff::civil::date(2029, 3, 31)),
            kinds: vec![ServiceKind::SupportedLiving, ServiceKind::HomeCare, ServiceKind::HomeCare],
        }
    }

    fn fields(e: Vec<FieldError>) -> Vec<String> {
        e.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_good_draft_is_tidied() {
        let v = draft().validated().expect("valid");
        assert_eq!(v.name, "Home Care Framework 2025");
        assert_eq!(v.lots, ["Lot 1 - North", "Lot 2 - South"]);
        assert_eq!(v.kinds.len(), 2, "no repeats");
    }

    #[test]
    fn every_problem_is_named() {
        let e = FrameworkDraft { ends_on: Some(jiff::civil::date(2025, 3, 31)), ..draft() }.validated().expect_err("end before start");
        assert_eq!(fields(e), ["ends_on"]);
        let e = FrameworkDraft { lots: vec!["Lot 1".into(), "lot  1".into()], ..draft() }.validated().expect_err("duplicate");
        assert_eq!(fields(e.clone()), ["lots"]);
        assert!(e[0].message.contains("\"lot 1\" is given twice"), "{}", e[0].message);
        let e = FrameworkDraft { name: " ".into(), lots: vec![], kinds: vec![], ..draft() }.validated().expect_err("empty");
        assert_eq!(fields(e), ["name", "lots", "kinds"]);
        let e = FrameworkDraft { name: "x".repeat(MAX_NAME_LEN + 1), ..draft() }.validated().expect_err("long");
        assert_eq!(fields(e), ["name"]);
    }

    #[test]
    fn a_member_must_be_of_a_covered_kind() {
        assert!(check_member_kind("HC", &[ServiceKind::HomeCare], ServiceKind::HomeCare).is_ok());
        let e = check_member_kind("Home Care Framework", &[ServiceKind::HomeCare], ServiceKind::CareHomeNursing).expect_err("wrong kind");
        assert_eq!(e.field, "service_id");
        assert!(e.message.starts_with("Home Care Framework covers home care: this service is"), "{}", e.message);
    }

    #[test]
    fn a_name_is_taken_ignoring_case_except_by_itself() {
        let existing = [("a", "Care Homes 2024"), ("b", "Home care")];
        assert!(name_taken(existing, "care homes 2024", None));
        assert!(!name_taken(existing, "care homes 2024", Some("a")));
        assert!(!name_taken(existing, "Day services", None));
    }
}
