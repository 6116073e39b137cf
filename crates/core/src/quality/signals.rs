//! Signals logged against a service (`000`, `002`, `004`): complaints, safeguarding concerns,
//! incidents, whistleblowing, early indicators. What a logged signal must say, and which
//! monthly returns count in a period.

use super::SignalKind;
use crate::{Date, FieldErrors};

/// The longest summary or outcome kept: enough to say what happened, short enough not to become
/// a case file (the care record holds the detail).
pub const MAX_SUMMARY: usize = 500;

/// Who received a complaint.
pub const RECEIVED_BY: [(&str, &str); 2] = [("provider", "The provider"), ("council", "The council")];

/// A signal as an officer logs it.
#[derive(Debug, Clone, Default)]
pub struct NewSignal {
    pub service_id: String,
    pub kind: Option<SignalKind>,
    pub occurred_on: Option<Date>,
    pub summary: String,
    /// Complaints only: "provider" or "council".
    pub received_by: Option<String>,
    pub outcome: Option<String>,
    /// Complaints only: resolved by the provider without the council or ombudsman.
    pub resolved_in_house: Option<bool>,
}

/// A signal ready to save: text trimmed, and the complaint-only answers kept for complaints only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedSignal {
    pub service_id: String,
    pub kind: SignalKind,
    pub occurred_on: Date,
    pub summary: String,
    pub received_by: Option<String>,
    pub outcome: Option<String>,
    pub resolved_in_house: Option<bool>,
}

fn clean(s: Option<&str>) -> Option<String> {
    s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

impl NewSignal {
    /// Check a signal logged on `today`: a service and a kind an officer may log (rating changes
    /// come from imports), a date not in the future, a summary and outcome of at most
    /// [`MAX_SUMMARY`] characters, and for a complaint who received it.
    pub fn check(&self, today: Date) -> Result<CheckedSignal, FieldErrors> {
        let mut e = FieldErrors::new();
        if self.service_id.trim().is_empty() {
            e.add("service_id", "Choose the service");
        }
        match self.kind {
            None => e.add("kind", "Choose what kind of signal this is"),
            Some(SignalKind::RatingChange) => e.add("kind", "CQC rating changes are logged automatically when ratings are imported"),
            Some(_) => {}
        }
        match self.occurred_on {
            None => e.add("occurred_on", "Enter the date it happened or was received"),
            Some(on) if on > today => e.add("occurred_on", "The date it happened must be today or in the past"),
            Some(_) => {}
        }
        let summary = self.summary.trim();
        if summary.is_empty() {
            e.add("summary", "Enter a summary");
        } else if summary.chars().count() > MAX_SUMMARY {
            e.add("summary", format!("Summary must be {MAX_SUMMARY} characters or fewer"));
        }
        if self.outcome.as_deref().is_some_and(|o| o.trim().chars().count() > MAX_SUMMARY) {
            e.add("outcome", format!("Outcome must be {MAX_SUMMARY} characters or fewer"));
        }
        let complaint = self.kind == Some(SignalKind::Complaint);
        if complaint && !RECEIVED_BY.iter().any(|(code, _)| Some(*code) == self.received_by.as_deref().map(str::trim)) {
            e.add("received_by", "Choose who received the complaint");
        }
        match (self.kind, self.occurred_on) {
            (Some(kind), Some(occurred_on)) if e.is_empty() => Ok(CheckedSignal {
                service_id: self.service_id.trim().to_string(),
                kind,
                occurred_on,
                summary: summary.to_string(),
                received_by: if complaint { clean(self.received_by.as_deref()) } else { None },
                outcome: clean(self.outcome.as_deref()),
                resolved_in_house: if complaint { self.resolved_in_house } else { None },
            }),
            _ => Err(e),
        }
    }
}

/// "YYYY-MM" of a date: how monthly returns name their month.
pub fn month_of(d: Date) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// The first month that starts on or after `d`: a monthly return counts in a period only when
/// its whole month is inside it.
pub fn first_full_month(d: Date) -> Date {
    if d.day() == 1 { d } else { d.first_of_month().checked_add(jiff::Span::new().months(1)).unwrap_or(d) }
}

/// The months (first and last, "YYYY-MM") whose returns count in the period `from..=to`.
pub fn return_months(from: Date, to: Date) -> (String, String) {
    (month_of(first_full_month(from)), month_of(to))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn complaint() -> NewSignal {
        NewSignal {
            service_id: " s1 ".into(),
            kind: Some(SignalKind::Complaint),
            occurred_on: Some(date(2025, 3, 1)),
            summary: " Laundry missing ".into(),
            received_by: Some("council".into()),
            outcome: Some(" ".into()),
            resolved_in_house: Some(true),
        }
    }

    #[test]
    fn a_complaint_says_who_received_it_and_other_kinds_drop_the_complaint_answers() {
        let today = date(2025, 3, 31);
        let ok = complaint().check(today).expect("ok");
        assert_eq!((ok.service_id.as_str(), ok.summary.as_str(), ok.outcome), ("s1", "Laundry missing", None));
        assert_eq!(ok.received_by.as_deref(), Some("council"));
        let other = NewSignal { kind: Some(SignalKind::Safeguarding), ..complaint() }.check(today).expect("ok");
        assert_eq!((other.received_by, other.resolved_in_house), (None, None));
        let e = NewSignal { received_by: Some("ombudsman".into()), ..complaint() }.check(today).unwrap_err();
        assert_eq!(e.0[0].field, "received_by");
    }

    #[test]
    fn refusals_name_every_field_in_form_order() {
        let today = date(2025, 3, 31);
        let bad = NewSignal {
            service_id: " ".into(),
            kind: Some(SignalKind::RatingChange),
            occurred_on: Some(date(2025, 4, 1)),
            summary: "x".repeat(MAX_SUMMARY + 1),
            received_by: None,
            outcome: Some("y".repeat(MAX_SUMMARY + 1)),
            resolved_in_house: None,
        };
        let fields: Vec<String> = bad.check(today).unwrap_err().0.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["service_id", "kind", "occurred_on", "summary", "outcome"]);
        let at_limit = NewSignal { summary: "x".repeat(MAX_SUMMARY), ..complaint() };
        assert!(at_limit.check(today).is_ok());
    }

    #[test]
    fn returns_count_when_their_whole_month_is_in_the_period() {
        assert_eq!(return_months(date(2025, 1, 1), date(2025, 3, 31)), ("2025-01".into(), "2025-03".into()));
        assert_eq!(return_months(date(2025, 1, 2), date(2025, 3, 31)), ("2025-02".into(), "2025-03".into()));
        assert_eq!(first_full_month(date(2024, 12, 15)), date(2025, 1, 1));
    }
}
