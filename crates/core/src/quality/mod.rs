//! C2: quality assurance and early warning of provider failure (issue 3).
//!
//! The vocabulary shared by every part of quality assurance lives here; each part has its own
//! module:
//! - [`cadence`]: when each service is next due a visit or meeting (`000` "Provider Visits &
//!   Monitoring"), from rules held as data.
//! - [`score`]: the explainable early-warning score and the watch list (`000`, `004`: "identify
//!   risks early", "predict provider failure").
//! - [`themes`]: CQC report theme analysis and support-offer gaps (`004` §4.11–4.15).

pub mod cadence;
pub mod figures;
pub mod score;
pub mod themes;

use serde::{Deserialize, Serialize};

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

            /// Accepts the stored code or the label, ignoring case, spaces and hyphens.
            pub fn parse(s: &str) -> Option<$name> {
                let norm = |t: &str| t.trim().to_ascii_lowercase().replace(['-', ' '], "_");
                let s = norm(s);
                Self::ALL.iter().copied().find(|v| v.as_str() == s || norm(v.label()) == s)
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

    /// The GOV.UK tag colour for the judgement.
    pub fn tag_class(self) -> &'static str {
        match self {
            Judgement::Excellent => "govuk-tag--green",
            Judgement::Good => "govuk-tag--turquoise",
            Judgement::RequiresImprovement => "govuk-tag--orange",
            Judgement::Poor => "govuk-tag--red",
        }
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

impl Rag {
    pub fn tag_class(self) -> &'static str {
        match self {
            Rag::Green => "govuk-tag--green",
            Rag::Amber => "govuk-tag--yellow",
            Rag::Red => "govuk-tag--red",
        }
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
    }
}
