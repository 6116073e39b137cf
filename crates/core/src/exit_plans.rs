//! Exit plans (`000` RPL removal and provider failure; `004`): when a provider closes, fails or
//! is removed, a plan lists every person affected and tracks each to a new arrangement. Quality
//! assurance opens them for a provider's (or one service's) exit, direct payments for a removal
//! from the Recognised Provider List; the rules of a plan are here once.

use crate::direct_payments::valid_person_ref;
use crate::{Date, FieldError, FieldErrors};

/// Why a provider or service is exiting (stored as the label, with any detail after it).
pub const EXIT_REASONS: [(&str, &str); 5] = [
    ("closure", "Closure"),
    ("cqc_cancellation", "CQC cancelled the registration"),
    ("removed_from_contract", "Removed from the framework or contract"),
    ("provider_failure", "Provider failure"),
    ("other", "Other"),
];

/// What kind of record an exit plan item came from, and a label for it.
pub const SOURCE_TYPES: [(&str, &str); 5] = [
    ("placement", "Out-of-area placement"),
    ("package", "Home care package"),
    ("isf", "Individual Service Fund"),
    ("direct_payment", "Direct payment (managed account)"),
    ("reference", "Added by reference"),
];

/// Where a person on a plan has got to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Open,
    /// A new arrangement is being made.
    InProgress,
    /// Moved to the new arrangement.
    Done,
}

impl ItemStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Open => "open",
            ItemStatus::InProgress => "in_progress",
            ItemStatus::Done => "done",
        }
    }
    /// A recorded arrangement is done once the move has a date.
    pub fn of_arrangement(done_on: Option<Date>) -> ItemStatus {
        if done_on.is_some() { ItemStatus::Done } else { ItemStatus::InProgress }
    }
}

/// The context of a plan opened for a provider's (or one service's) exit.
pub const CONTEXT_PROVIDER_EXIT: &str = "provider_exit";

/// The item source for a person added by case reference.
pub const SOURCE_REFERENCE: &str = "reference";

pub fn source_label(code: &str) -> &str {
    SOURCE_TYPES.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or(code)
}

/// A person affected, as gathered from the records before the plan is made.
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct Affected {
    pub person_ref: String,
    pub source_type: String,
    pub source_id: Option<String>,
    /// Where: the service's name, for placements and packages.
    pub detail: Option<String>,
}

/// A provider's (or one of its services') exit, as an officer opens it.
#[derive(Debug, Clone)]
pub struct NewProviderExit {
    pub provider_id: String,
    /// One service, or every service of the provider.
    pub service_id: Option<String>,
    pub planned: bool,
    /// A code of [`EXIT_REASONS`].
    pub reason: String,
    pub detail: Option<String>,
    pub opened_on: Date,
    pub target_date: Option<Date>,
    /// People the system does not hold, by case reference (never a name).
    pub extra_refs: Vec<String>,
    /// Also record an embargo on new placements at the service from `opened_on`.
    pub embargo: bool,
}

/// A checked exit: the reason as stored and everyone on the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitPlanContent {
    /// The reason's label, with the officer's detail after it.
    pub reason: String,
    pub items: Vec<Affected>,
}

impl NewProviderExit {
    /// Check the exit (on `today`) and add its extra references to the people `affected`
    /// (gathered from the records): a reference already on the plan is not added twice.
    pub fn plan(&self, today: Date, affected: Vec<Affected>) -> Result<ExitPlanContent, FieldErrors> {
        let mut errors = FieldErrors::new();
        let label = EXIT_REASONS.iter().find(|(c, _)| *c == self.reason).map(|(_, l)| *l);
        if label.is_none() {
            errors.add("reason", "Choose why the provider is exiting");
        }
        let detail = self.detail.as_deref().map(crate::text::tidy).filter(|d| !d.is_empty());
        if self.reason == "other" && detail.is_none() {
            errors.add("detail", "Say why the provider is exiting");
        }
        if self.opened_on > today {
            errors.add("opened_on", "The plan cannot open in the future");
        }
        if self.target_date.is_some_and(|t| t < self.opened_on) {
            errors.add("target_date", "The target date must be on or after the plan opens");
        }
        if self.embargo && self.service_id.as_deref().is_none_or(str::is_empty) {
            errors.add("embargo", "Choose the service to embargo, or untick the embargo");
        }
        let mut items = affected;
        for (i, r) in self.extra_refs.iter().enumerate() {
            let r = r.trim();
            if r.is_empty() {
                continue;
            }
            if !valid_person_ref(r) {
                errors.add(
                    "extra_refs",
                    format!(
                        "Line {}: enter a case reference (letters, numbers, - or /, up to 20 characters, with a number), not a name",
                        i + 1
                    ),
                );
                continue;
            }
            let r = r.to_uppercase();
            if !items.iter().any(|a| a.person_ref.eq_ignore_ascii_case(&r)) {
                items.push(Affected { person_ref: r, source_type: SOURCE_REFERENCE.into(), source_id: None, detail: None });
            }
        }
        let reason = match (label, &detail) {
            (Some(l), Some(d)) => format!("{l}: {d}"),
            (Some(l), None) => l.to_string(),
            (None, _) => String::new(),
        };
        errors.into_result(ExitPlanContent { reason, items })
    }
}

/// A person added to a plan by case reference: the reference as stored (upper case), unless it
/// is not a case reference or the person is already on the plan.
pub fn check_reference(person_ref: &str, on_plan: &[&str]) -> Result<String, FieldError> {
    let r = person_ref.trim();
    if !valid_person_ref(r) {
        return Err(FieldError::new(
            "person_ref",
            "Enter the person's case reference (letters, numbers, - or /, up to 20 characters, with a number), not their name",
        ));
    }
    let r = r.to_uppercase();
    if on_plan.iter().any(|p| p.eq_ignore_ascii_case(&r)) {
        return Err(FieldError::new("person_ref", "This person is already on the plan"));
    }
    Ok(r)
}

/// A person's new arrangement, tidied; `done_on` (when the move was done) is not in the future
/// and not before the plan opened.
pub fn check_arrangement(new_arrangement: &str, done_on: Option<Date>, opened_on: Date, today: Date) -> Result<String, FieldErrors> {
    let mut errors = FieldErrors::new();
    let arrangement = crate::text::tidy(new_arrangement);
    if arrangement.is_empty() {
        errors.add("new_arrangement", "Enter the person's new arrangement");
    } else if arrangement.chars().count() > 500 {
        errors.add("new_arrangement", "The new arrangement must be 500 characters or fewer");
    }
    if let Some(d) = done_on {
        if d > today {
            errors.add("done_on", "The date the move was done must be today or in the past");
        } else if d < opened_on {
            errors.add("done_on", "The date the move was done must be on or after the plan opened");
        }
    }
    errors.into_result(arrangement)
}

/// An open plan past its target date.
pub fn is_overdue(closed_on: Option<&str>, target_date: Option<Date>, today: Date) -> bool {
    closed_on.is_none() && target_date.is_some_and(|t| t < today)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: i8) -> Date {
        Date::constant(2025, 6, day)
    }

    fn exit() -> NewProviderExit {
        NewProviderExit {
            provider_id: "p".into(),
            service_id: None,
            planned: true,
            reason: "closure".into(),
            detail: None,
            opened_on: d(10),
            target_date: Some(d(20)),
            extra_refs: vec![],
            embargo: false,
        }
    }

    fn affected(r: &str) -> Affected {
        Affected { person_ref: r.into(), source_type: "placement".into(), source_id: Some("x".into()), detail: None }
    }

    #[test]
    fn references_join_the_people_gathered_once() {
        let e = NewProviderExit { extra_refs: vec!["oa/123".into(), "".into(), "NEW-9".into()], ..exit() };
        let plan = e.plan(d(10), vec![affected("OA/123")]).expect("valid");
        assert_eq!(plan.reason, "Closure");
        let refs: Vec<_> = plan.items.iter().map(|a| (a.person_ref.as_str(), a.source_type.as_str())).collect();
        assert_eq!(refs, [("OA/123", "placement"), ("NEW-9", "reference")]);
    }

    #[test]
    fn every_failure_of_an_exit() {
        let e = NewProviderExit {
            reason: "other".into(),
            opened_on: d(12),
            target_date: Some(d(11)),
            embargo: true,
            extra_refs: vec!["Jane Smith".into()],
            ..exit()
        };
        let fields: Vec<String> = e.plan(d(11), vec![]).unwrap_err().0.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["detail", "opened_on", "target_date", "embargo", "extra_refs"]);
        let e = NewProviderExit { reason: "other".into(), detail: Some(" Sold  ".into()), ..exit() };
        assert_eq!(e.plan(d(10), vec![]).expect("valid").reason, "Other: Sold");
        assert_eq!(NewProviderExit { reason: "x".into(), ..exit() }.plan(d(10), vec![]).unwrap_err().0[0].field, "reason");
    }

    #[test]
    fn references_arrangements_and_overdue() {
        assert_eq!(check_reference(" ab/12 ", &["X1"]), Ok("AB/12".into()));
        assert_eq!(check_reference("x1", &["X1"]).unwrap_err().message, "This person is already on the plan");
        assert!(check_reference("Jane", &[]).is_err());
        assert_eq!(check_arrangement(" Moved  to Elm ", Some(d(12)), d(10), d(15)), Ok("Moved to Elm".into()));
        let e = check_arrangement("", Some(d(9)), d(10), d(15)).unwrap_err();
        assert_eq!(e.0.len(), 2);
        assert_eq!(e.0[1].message, "The date the move was done must be on or after the plan opened");
        assert!(check_arrangement("x", Some(d(16)), d(10), d(15)).is_err());
        assert!(is_overdue(None, Some(d(1)), d(2)) && !is_overdue(Some("2025-06-01"), Some(d(1)), d(2)) && !is_overdue(None, None, d(2)));
    }
}
