//! The council's own status of a service (`000`: RAG, escalation into the joint council/ICB risk
//! management process) and who looks after its quality: what a decision must say.

use crate::{Date, FieldError, FieldErrors};

/// The longest reason kept with a RAG or escalation decision.
pub const MAX_REASON: usize = 2000;
/// The longest team name.
pub const MAX_TEAM: usize = 100;

/// The two kinds of status decision kept as history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionKind {
    Rag,
    Escalation,
}

impl DecisionKind {
    /// What the decision's date is called.
    pub fn date_label(self) -> &'static str {
        match self {
            DecisionKind::Rag => "Date of the RAG status",
            DecisionKind::Escalation => "Date of the decision",
        }
    }

    fn reason_missing(self) -> &'static str {
        match self {
            DecisionKind::Rag => "Enter the reason for the RAG status",
            DecisionKind::Escalation => "Enter the reason for the escalation decision",
        }
    }
}

/// A RAG or escalation decision needs a reason and is dated today or earlier. Errors name
/// `reason` and `on`.
pub fn check_decision(kind: DecisionKind, reason: &str, on: Date, today: Date) -> Result<(), FieldErrors> {
    let mut e = FieldErrors::new();
    if reason.trim().is_empty() {
        e.add("reason", kind.reason_missing());
    } else if reason.len() > MAX_REASON {
        e.add("reason", "The reason must be 2,000 characters or fewer");
    }
    if on > today {
        e.add("on", format!("{} must be today or in the past", kind.date_label()));
    }
    e.into_result(())
}

/// The team named in an assignment, trimmed; blank is none.
pub fn clean_team(team: Option<&str>) -> Result<Option<String>, FieldError> {
    let t = team.map(str::trim).filter(|t| !t.is_empty()).map(str::to_string);
    if t.as_ref().is_some_and(|t| t.len() > MAX_TEAM) {
        return Err(FieldError::new("team", "The team name must be 100 characters or fewer"));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn decisions_need_a_reason_and_a_date_not_in_the_future() {
        let today = date(2025, 6, 30);
        let rag = DecisionKind::Rag;
        assert_eq!(check_decision(rag, "Two safeguarding concerns", today, today), Ok(()));
        let e = check_decision(rag, " ", date(2025, 7, 1), today).unwrap_err();
        let got: Vec<(&str, &str)> = e.0.iter().map(|e| (e.field.as_str(), e.message.as_str())).collect();
        assert_eq!(got, [("reason", "Enter the reason for the RAG status"), ("on", "Date of the RAG status must be today or in the past")]);
        let e = check_decision(DecisionKind::Escalation, &"x".repeat(MAX_REASON + 1), today, today).unwrap_err();
        assert_eq!(e.0.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["reason"]);
    }

    #[test]
    fn teams_are_trimmed_and_short() {
        assert_eq!(clean_team(Some("  North ")), Ok(Some("North".into())));
        assert_eq!(clean_team(Some(" ")), Ok(None));
        assert!(clean_team(Some(&"t".repeat(MAX_TEAM + 1))).is_err());
    }
}
