//! The GOV.UK tag colour of each of core's graded values: the one place a page's colour for a
//! rating, a judgement, a RAG status, a band or a due state is chosen. Core says what a value is;
//! how it looks is the web's business.

use caremarket_core::governance::delivery_plan::PlanStatus;
use caremarket_core::governance::scrutiny::Grade;
use caremarket_core::quality::cadence::DueState;
use caremarket_core::quality::score::Band;
use caremarket_core::quality::{ActionStatus, EscalationLevel, Judgement, Rag};
use caremarket_core::register::Rating;

/// A value without a colour of its own (not rated, not assessed).
pub const GREY: &str = "govuk-tag--grey";

pub fn rating(r: Option<Rating>) -> &'static str {
    match r {
        Some(Rating::Outstanding) => "govuk-tag--blue",
        Some(Rating::Good) => "govuk-tag--green",
        Some(Rating::RequiresImprovement) => "govuk-tag--orange",
        Some(Rating::Inadequate) => "govuk-tag--red",
        _ => GREY,
    }
}

pub fn judgement(j: Judgement) -> &'static str {
    match j {
        Judgement::Excellent => "govuk-tag--green",
        Judgement::Good => "govuk-tag--turquoise",
        Judgement::RequiresImprovement => "govuk-tag--orange",
        Judgement::Poor => "govuk-tag--red",
    }
}

pub fn rag(r: Option<Rag>) -> &'static str {
    match r {
        Some(Rag::Green) => "govuk-tag--green",
        Some(Rag::Amber) => "govuk-tag--yellow",
        Some(Rag::Red) => "govuk-tag--red",
        None => GREY,
    }
}

pub fn escalation(level: EscalationLevel) -> &'static str {
    match level {
        EscalationLevel::None => GREY,
        EscalationLevel::EnhancedMonitoring => "govuk-tag--orange",
        EscalationLevel::RiskManagement => "govuk-tag--red",
    }
}

pub fn band(b: Band) -> &'static str {
    match b {
        Band::Low => "govuk-tag--green",
        Band::Medium => "govuk-tag--yellow",
        Band::High => "govuk-tag--orange",
        Band::VeryHigh => "govuk-tag--red",
    }
}

pub fn due_state(s: DueState) -> &'static str {
    match s {
        DueState::Overdue => "govuk-tag--red",
        DueState::DueSoon => "govuk-tag--yellow",
        DueState::NotYetDue => "govuk-tag--green",
    }
}

pub fn action_status(s: ActionStatus) -> &'static str {
    match s {
        ActionStatus::Open => "govuk-tag--blue",
        ActionStatus::InProgress => "govuk-tag--light-blue",
        ActionStatus::Submitted => "govuk-tag--purple",
        ActionStatus::Accepted => "govuk-tag--green",
        ActionStatus::Reopened => "govuk-tag--orange",
    }
}

/// A delivery plan milestone's status; grey when finished with or when no status was stated.
pub fn plan_status(s: Option<PlanStatus>) -> &'static str {
    match s {
        Some(PlanStatus::Complete) => "govuk-tag--green",
        Some(PlanStatus::InDelivery) => "govuk-tag--blue",
        Some(PlanStatus::Priority) => "govuk-tag--purple",
        Some(PlanStatus::Delayed) => "govuk-tag--orange",
        Some(PlanStatus::NotStarted | PlanStatus::NoLongerRequired) | None => GREY,
    }
}

/// A scrutiny action's grade (`002`): achieved green, on track blue, slipped orange, not
/// achieved red.
pub fn grade(g: Option<Grade>) -> &'static str {
    match g {
        Some(Grade::FullyAchieved) => "govuk-tag--green",
        Some(Grade::OnTrack) => "govuk-tag--blue",
        Some(Grade::Slipped) => "govuk-tag--orange",
        Some(Grade::NotAchieved) => "govuk-tag--red",
        None => GREY,
    }
}

/// An option's outcome in an options appraisal (`001`): the preferred option stands out.
pub fn option_outcome(o: caremarket_core::governance::committees::OptionOutcome) -> &'static str {
    use caremarket_core::governance::committees::OptionOutcome;
    match o {
        OptionOutcome::Preferred => "govuk-tag--green",
        OptionOutcome::Rejected => "govuk-tag--red",
        OptionOutcome::Neither => GREY,
    }
}

/// A self-assessment claim: a strength or an area for improvement.
pub fn claim_kind(k: caremarket_core::governance::self_assessment::ClaimKind) -> &'static str {
    use caremarket_core::governance::self_assessment::ClaimKind;
    match k {
        ClaimKind::Strength => "govuk-tag--green",
        ClaimKind::AreaForImprovement => "govuk-tag--yellow",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_grade_has_a_colour_and_ungraded_values_are_grey() {
        assert_eq!(rating(Some(Rating::Good)), "govuk-tag--green");
        assert_eq!(rating(None), GREY);
        assert_eq!(rag(None), GREY);
        assert_eq!(judgement(Judgement::Poor), "govuk-tag--red");
        assert_eq!(band(Band::VeryHigh), "govuk-tag--red");
        assert_eq!(due_state(DueState::DueSoon), "govuk-tag--yellow");
    }
}
