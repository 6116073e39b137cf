//! C2: quality assurance and early warning of provider failure (issue 3).
//!
//! The vocabulary shared by every part of quality assurance lives here; each part has its own
//! module:
//! - [`cadence`]: when each service is next due a visit or meeting (`000` "Provider Visits &
//!   Monitoring"), from rules held as data.
//! - [`score`]: the explainable early-warning score and the watch list (`000`, `004`: "identify
//!   risks early", "predict provider failure").
//! - [`themes`]: CQC report theme analysis and support-offer gaps (`004` §4.11–4.15).
//! - [`visits`], [`actions`]: what scoring and finalising a visit decide, and how an action on
//!   an action plan moves between states.
//! - [`status`], [`signals`], [`returns`]: RAG and escalation decisions, signals logged against
//!   a service, and providers' monthly returns.

pub mod actions;
pub mod cadence;
pub mod fact_check;
pub mod figures;
pub mod frameworks;
pub mod returns;
pub mod score;
pub mod signals;
pub mod status;
pub mod themes;
pub mod visits;

use crate::Date;
use serde::{Deserialize, Serialize};

/// A problem with one row of an upload: the row number as a spreadsheet shows it (the header is
/// row 1; 0 for the file as a whole), the column, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    pub row: usize,
    pub field: String,
    pub message: String,
}

impl RowProblem {
    pub fn new(row: usize, field: impl Into<String>, message: impl Into<String>) -> RowProblem {
        RowProblem { row, field: field.into(), message: message.into() }
    }

    /// A problem with the file as a whole.
    pub fn whole_file(message: impl Into<String>) -> RowProblem {
        RowProblem::new(0, "", message)
    }
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.row == 0 { write!(f, "{}", self.message) } else { write!(f, "row {}: '{}' {}", self.row, self.field, self.message) }
    }
}

pub use crate::whole_percent;

macro_rules! vocabulary {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $code:literal, $label:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant,)+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stored code.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code,)+ }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)+ }
            }

            /// `('a','b')` of the stored codes of `items`: SQL that filters on one of core's lists
            /// is generated from the list, never a copy of it. The codes are fixed ASCII
            /// identifiers, so quoting them is safe.
            pub fn sql_list(items: impl IntoIterator<Item = $name>) -> String {
                let codes: Vec<String> = items.into_iter().map(|v| format!("'{}'", v.as_str())).collect();
                format!("({})", codes.join(","))
            }

            /// Accepts the stored code or the label, ignoring case, spaces and hyphens.
            pub fn parse(s: &str) -> Option<$name> {
                let norm = |t: &str| t.trim().to_ascii_lowercase().replace(['-', ' '], "_");
                let s = norm(s);
                Self::ALL.iter().copied().find(|v| v.as_str() == s || norm(v.label()) == s)
            }
        }

        impl std::str::FromStr for $name {
            type Err = ();
            fn from_str(s: &str) -> Result<$name, ()> {
                $name::parse(s).ok_or(())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

vocabulary! {
    /// The PAMMS four-point scale (`data/quality-frameworks/pamms_rating_scale.csv`), best first.
    Judgement {
        Excellent => "excellent", "Excellent";
        Good => "good", "Good";
        RequiresImprovement => "requires_improvement", "Requires Improvement";
        Poor => "poor", "Poor";
    }
}

impl Judgement {
    /// `002`: a standard scored Requires Improvement becomes an action; Poor does too (our
    /// extension: a worse judgement cannot need less).
    pub fn raises_action(self) -> bool {
        matches!(self, Judgement::RequiresImprovement | Judgement::Poor)
    }

    /// The judgements that raise an action, for SQL that counts them.
    pub fn raising_action() -> impl Iterator<Item = Judgement> {
        Judgement::ALL.iter().copied().filter(|j| j.raises_action())
    }
}

vocabulary! {
    /// The council's own monitoring status of a service (`000`: "5 homes in 'Amber' and 3 in 'Red'").
    Rag {
        Green => "green", "Green";
        Amber => "amber", "Amber";
        Red => "red", "Red";
    }
}

vocabulary! {
    /// Escalation (`000`): enhanced monitoring, then the joint council/ICB risk management process.
    EscalationLevel {
        None => "none", "None";
        EnhancedMonitoring => "enhanced_monitoring", "Enhanced monitoring";
        RiskManagement => "risk_management", "Joint council/ICB risk management";
    }
}

vocabulary! {
    /// The officer's decision on one factual correction the provider sent ([`fact_check`]).
    CorrectionDecision {
        Accepted => "accepted", "Accepted";
        Declined => "declined", "Declined";
    }
}

vocabulary! {
    /// Where a visit report stands in the provider's fact-check ([`fact_check`]).
    ReportStage {
        AwaitingCheck => "awaiting_check", "Draft: with the provider for a factual accuracy check";
        CorrectionsToDecide => "corrections_to_decide", "Draft: corrections waiting for the council's decision";
        ReadyToPublish => "ready_to_publish", "Draft: ready to publish";
        Published => "published", "Published";
    }
}

vocabulary! {
    /// What a recorded visit or meeting was; cadence rules say which of these satisfy them.
    Activity {
        QualityVisit => "quality_visit", "Quality visit";
        RiskManagementMeeting => "risk_management_meeting", "Risk management meeting";
        PerformanceMeeting => "performance_meeting", "Performance meeting";
        EscalationReview => "escalation_review", "Escalation review";
    }
}

vocabulary! {
    /// Routine (scheduled) or responsive (prompted by a concern) (`000`, `004`).
    VisitType {
        Routine => "routine", "Routine";
        Responsive => "responsive", "Responsive";
    }
}

vocabulary! {
    /// Signals logged against a service (`000`, `002`, `004`).
    SignalKind {
        Complaint => "complaint", "Complaint";
        Safeguarding => "safeguarding", "Safeguarding concern";
        NotifiableIncident => "notifiable_incident", "Notifiable incident";
        EarlyIndicator => "early_indicator", "Early indicator of concern";
        Whistleblowing => "whistleblowing", "Whistleblowing";
        RatingChange => "rating_change", "CQC rating change";
    }
}

vocabulary! {
    /// Where an action on an action plan stands.
    ActionStatus {
        Open => "open", "Open";
        InProgress => "in_progress", "In progress";
        Submitted => "submitted", "Submitted for review";
        Accepted => "accepted", "Accepted";
        Reopened => "reopened", "Reopened";
    }
}

impl ActionStatus {
    /// Accepted is the only closed state: an action the provider says is done stays open until
    /// an officer accepts it.
    pub fn is_open(self) -> bool {
        self != ActionStatus::Accepted
    }

    /// The closed states, for SQL that separates open actions from closed ones.
    pub fn closed() -> impl Iterator<Item = ActionStatus> {
        ActionStatus::ALL.iter().copied().filter(|s| !s.is_open())
    }

    /// Open and due before `on`.
    pub fn is_overdue(self, due_on: Date, on: Date) -> bool {
        self.is_open() && due_on < on
    }
}

vocabulary! {
    /// A visit is recorded and scored as a draft; finalising it raises its actions and fixes it.
    VisitStatus {
        Draft => "draft", "Draft";
        Final => "final", "Final";
    }
}

vocabulary! {
    /// Status of a training or support offer mapped to a CQC report theme (`004` §4.15).
    OfferStatus {
        InPlace => "in_place", "In place";
        Tentative => "tentative", "Tentative (may be able to support)";
        ToBeAsked => "to_be_asked", "To be asked";
        BeingRevamped => "being_revamped", "Being revamped";
        Withdrawn => "withdrawn", "Withdrawn";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_labels_parse() {
        for j in Judgement::ALL {
            assert_eq!(Judgement::parse(j.as_str()), Some(*j));
            assert_eq!(Judgement::parse(j.label()), Some(*j));
        }
        assert_eq!(Judgement::parse("requires improvement"), Some(Judgement::RequiresImprovement));
        assert_eq!(Judgement::parse("Outstanding"), None);
        assert_eq!(Rag::parse("AMBER"), Some(Rag::Amber));
        assert_eq!(EscalationLevel::parse("enhanced-monitoring"), Some(EscalationLevel::EnhancedMonitoring));
        assert!(Judgement::Poor.raises_action() && Judgement::RequiresImprovement.raises_action());
        assert!(!Judgement::Good.raises_action() && !Judgement::Excellent.raises_action());
        assert!(!ActionStatus::Accepted.is_open() && ActionStatus::Submitted.is_open());
        assert_eq!("final".parse::<VisitStatus>(), Ok(VisitStatus::Final));
    }

    #[test]
    fn sql_lists_come_from_the_vocabulary() {
        assert_eq!(Judgement::sql_list(Judgement::raising_action()), "('requires_improvement','poor')");
        assert_eq!(ActionStatus::sql_list(ActionStatus::closed()), "('accepted')");
    }

    #[test]
    fn whole_percentages_round_half_up() {
        assert_eq!(whole_percent(1, 3), Some(33));
        assert_eq!(whole_percent(1, 2), Some(50));
        assert_eq!(whole_percent(1, 8), Some(13), "12.5 rounds up");
        assert_eq!(whole_percent(5, 0), None);
    }
}
