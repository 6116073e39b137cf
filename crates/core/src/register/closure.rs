//! Why a service closed. CQC's data says when a location left the register, never why; a
//! committee asks why ("Since 2015, 5 homes have closed related to practice, and 13 for financial
//! reasons", `000`), so the council records a reason against each closed service.

use crate::{Date, FieldError, FieldErrors, limits};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosureReason {
    /// Closed related to practice: quality of care, enforcement, CQC cancelling the registration.
    Practice,
    /// Closed for financial reasons: insolvency, an unviable home, fees that did not cover costs.
    Financial,
    /// The provider chose to: sale, retirement, change of use, a move to other services.
    ProviderChoice,
    Other,
}

impl ClosureReason {
    pub const ALL: [ClosureReason; 4] =
        [ClosureReason::Practice, ClosureReason::Financial, ClosureReason::ProviderChoice, ClosureReason::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            ClosureReason::Practice => "practice",
            ClosureReason::Financial => "financial",
            ClosureReason::ProviderChoice => "provider_choice",
            ClosureReason::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ClosureReason::Practice => "Related to practice",
            ClosureReason::Financial => "Financial reasons",
            ClosureReason::ProviderChoice => "The provider's choice",
            ClosureReason::Other => "Other",
        }
    }

    pub fn hint(self) -> &'static str {
        match self {
            ClosureReason::Practice => "Quality of care, enforcement action, or CQC cancelling the registration",
            ClosureReason::Financial => "Insolvency, or a home or service that was no longer viable",
            ClosureReason::ProviderChoice => "Sale, retirement, change of use, or a move to other services",
            ClosureReason::Other => "Explain in the note",
        }
    }

    pub fn parse(s: &str) -> Option<ClosureReason> {
        ClosureReason::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }
}

/// What an officer records about a closed service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Closure {
    pub reason: ClosureReason,
    pub note: Option<String>,
}

impl Closure {
    /// Read the form: a reason from the list, and a note (required for "Other", so the figure
    /// "other" can be explained to a committee).
    pub fn parse(reason: &str, note: &str) -> Result<Closure, FieldErrors> {
        let mut e = FieldErrors::new();
        let reason = ClosureReason::parse(reason);
        if reason.is_none() {
            e.add("reason", "Select why the service closed");
        }
        let note = note.trim();
        if let Err(err) = limits::check_text("note", "Note", note, limits::NOTES_CHARS) {
            e.add(err.field, err.message);
        }
        if reason == Some(ClosureReason::Other) && note.is_empty() {
            e.add("note", "Say why the service closed, as the reason is \u{2018}Other\u{2019}");
        }
        match reason {
            Some(reason) if e.is_empty() => Ok(Closure { reason, note: Some(note.to_string()).filter(|n| !n.is_empty()) }),
            _ => Err(e),
        }
    }
}

/// A reason may only be recorded against a service that has left CQC's register: an open
/// service has not closed, and recording a reason early would put it in the closure figures.
pub fn check_can_record_closure(deregistered: bool) -> Result<(), FieldError> {
    if deregistered {
        Ok(())
    } else {
        Err(FieldError::new("reason", "This service is still registered with CQC: a reason can be recorded once it has left the register"))
    }
}

/// Closures counted by reason, with those that have no reason recorded counted apart so the
/// table adds up to the number of services that left.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClosureCounts {
    pub by_reason: Vec<(ClosureReason, i64)>,
    pub not_recorded: i64,
}

impl ClosureCounts {
    pub fn total(&self) -> i64 {
        self.by_reason.iter().map(|(_, n)| n).sum::<i64>() + self.not_recorded
    }
}

/// Count the services that left the register in `from..=to` (`from` `None`: since records
/// began), each by its recorded reason. Input: each closed service's deregistration date and
/// reason.
pub fn count_closures<'a>(
    closed: impl IntoIterator<Item = (Date, Option<ClosureReason>)> + 'a,
    from: Option<Date>,
    to: Date,
) -> ClosureCounts {
    let mut counts = ClosureCounts { by_reason: ClosureReason::ALL.iter().map(|r| (*r, 0)).collect(), not_recorded: 0 };
    for (on, reason) in closed {
        if on > to || from.is_some_and(|f| on < f) {
            continue;
        }
        match reason {
            Some(r) => {
                if let Some(slot) = counts.by_reason.iter_mut().find(|(x, _)| *x == r) {
                    slot.1 += 1;
                }
            }
            None => counts.not_recorded += 1,
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i16, m: i8, day: i8) -> Date {
        Date::constant(y, m, day)
    }

    #[test]
    fn a_reason_is_one_of_the_list_and_other_needs_a_note() {
        assert_eq!(Closure::parse("financial", "  ").unwrap(), Closure { reason: ClosureReason::Financial, note: None });
        let e = Closure::parse("", "").unwrap_err();
        assert_eq!(e.0[0].field, "reason");
        assert_eq!(e.0[0].message, "Select why the service closed");
        let e = Closure::parse("other", "").unwrap_err();
        assert_eq!(e.0[0].field, "note");
        let e = Closure::parse("practice", &"x".repeat(limits::NOTES_CHARS + 1)).unwrap_err();
        assert_eq!(e.0[0].field, "note");
        assert!(Closure::parse("bankrupt", "").is_err());
    }

    #[test]
    fn only_a_closed_service_takes_a_reason() {
        assert!(check_can_record_closure(true).is_ok());
        assert_eq!(check_can_record_closure(false).unwrap_err().field, "reason");
    }

    #[test]
    fn counts_as_000_since_records_began_and_in_a_window() {
        // `000`: "Since 2015, 5 homes have closed related to practice, and 13 for financial reasons."
        let mut closed = Vec::new();
        for i in 0..5 {
            closed.push((d(2016 + i, 3, 1), Some(ClosureReason::Practice)));
        }
        for i in 0..13 {
            closed.push((d(2015 + (i % 9) as i16, 6, 30), Some(ClosureReason::Financial)));
        }
        closed.push((d(2024, 2, 1), None));
        let all = count_closures(closed.clone(), None, d(2024, 11, 30));
        assert_eq!(all.by_reason[0], (ClosureReason::Practice, 5));
        assert_eq!(all.by_reason[1], (ClosureReason::Financial, 13));
        assert_eq!(all.not_recorded, 1);
        assert_eq!(all.total(), 19);
        // The year to 30 November 2024 holds the unrecorded one and nothing else.
        let year = count_closures(closed.clone(), Some(d(2023, 12, 1)), d(2024, 11, 30));
        assert_eq!(year.total(), 1);
        // A closure after the date is not counted yet.
        let in_2015 = closed.iter().filter(|(on, _)| on.year() == 2015).count() as i64;
        assert_eq!(count_closures(closed, None, d(2015, 12, 31)).total(), in_2015);
    }
}
