//! The provider's fact-check of a visit report, as PAMMS runs it (issue 16 item 14): a finalised
//! visit's report goes to the provider as a draft; the provider has [`FACT_CHECK_DAYS`] to send
//! factual corrections; the officer accepts or declines each (declining needs a reason) and
//! publishes; a Requires Improvement or Poor result needs the provider's action plan within
//! [`ACTION_PLAN_DAYS`] of publication; and a re-visit falls due about six months later (the
//! cadence condition [`super::cadence::Condition::LastVisitRequiresImprovement`]).
//!
//! Every function here is pure; the store loads the report and its corrections and saves what
//! these decide.

use super::Judgement;
use super::cadence::add_days;
pub use super::{CorrectionDecision as Decision, ReportStage as Stage};
use crate::{Date, FieldErrors};

/// Days the provider has to check a draft report for factual accuracy, from the day it is sent.
pub const FACT_CHECK_DAYS: i64 = 14;
/// Days the provider has to send its action plan once a Requires Improvement or Poor report is
/// published.
pub const ACTION_PLAN_DAYS: i64 = 14;
/// The longest correction or action plan accepted, in characters.
pub const MAX_TEXT: usize = 10_000;
/// What a correction names when it is about the written report rather than one standard.
pub const WHOLE_REPORT: &str = "report";

/// The visit's overall result: its worst judgement (any Poor makes it Poor, else any Requires
/// Improvement, and so on); none when nothing was scored. PAMMS's own way of combining domain
/// ratings is not in the seeds; the worst judgement is the cautious reading (decision 42), and it
/// agrees with `002`: every Requires Improvement standard already raises an action.
pub fn overall_result(judgements: impl IntoIterator<Item = Judgement>) -> Option<Judgement> {
    judgements.into_iter().max()
}

/// Whether a result needs the provider's action plan (and a re-visit about six months later).
pub fn needs_action_plan(overall: Option<Judgement>) -> bool {
    overall.is_some_and(Judgement::raises_action)
}

/// The last day the provider may send corrections to a report sent on `sent_on`.
pub fn check_ends_on(sent_on: Date) -> Date {
    add_days(sent_on, FACT_CHECK_DAYS)
}

/// The day the action plan is due for a report published on `published_on`.
pub fn action_plan_due_on(published_on: Date) -> Date {
    add_days(published_on, ACTION_PLAN_DAYS)
}

/// The stage of a report: published, or a draft whose corrections are (or are not) all decided.
pub fn stage(published: bool, undecided: usize, corrections: usize, check_ends_on: Date, today: Date) -> Stage {
    if published {
        Stage::Published
    } else if undecided > 0 {
        Stage::CorrectionsToDecide
    } else if corrections > 0 || today > check_ends_on {
        Stage::ReadyToPublish
    } else {
        Stage::AwaitingCheck
    }
}

/// Whether the provider may still send a correction: the report is a draft and the window is
/// open (up to and including its last day). The error is the message to show.
pub fn may_correct(published: bool, check_ends_on: Date, today: Date) -> Result<(), String> {
    if published {
        return Err("This report has been published: corrections can no longer be sent".into());
    }
    if today > check_ends_on {
        return Err(format!(
            "The {FACT_CHECK_DAYS} days to send corrections ended on {}: contact the council's quality team",
            crate::text::long_date(check_ends_on)
        ));
    }
    Ok(())
}

/// A correction as the provider typed it: what it corrects (a standard's id, or
/// [`WHOLE_REPORT`]) must be one of `parts`, and the text must be written.
pub fn check_correction(parts: &[String], part: &str, text: &str) -> Result<(), FieldErrors> {
    let mut e = FieldErrors::new();
    if !parts.iter().any(|p| p == part) {
        e.add("part", "Choose the part of the report the correction is about");
    }
    let t = text.trim();
    if t.is_empty() {
        e.add("correction", "Enter the correction: what the report says that is wrong, and what is right");
    } else if t.chars().count() > MAX_TEXT {
        e.add("correction", format!("The correction must be {MAX_TEXT} characters or fewer"));
    }
    e.into_result(())
}

/// An officer's decision: declining needs a reason; a decision is taken once, on a draft.
pub fn check_decision(
    decision: Option<Decision>,
    reason: &str,
    already: Option<Decision>,
    published: bool,
) -> Result<Decision, FieldErrors> {
    let mut e = FieldErrors::new();
    if published {
        e.add("decision", "This report has been published: its corrections can no longer be decided");
        return Err(e);
    }
    if let Some(d) = already {
        e.add("decision", format!("This correction has already been {}", d.label().to_lowercase()));
        return Err(e);
    }
    match decision {
        None => e.add("decision", "Choose whether to accept or decline the correction"),
        Some(Decision::Declined) if reason.trim().is_empty() => e.add("reason", "Enter why the correction is declined"),
        Some(_) => {}
    }
    if reason.trim().chars().count() > MAX_TEXT {
        e.add("reason", format!("The reason must be {MAX_TEXT} characters or fewer"));
    }
    e.into_result(decision.unwrap_or(Decision::Accepted))
}

/// Whether the officer may publish: every correction decided, and either some were sent or the
/// window has closed (the provider's days are not cut short).
pub fn may_publish(published: bool, undecided: usize, corrections: usize, check_ends_on: Date, today: Date) -> Result<(), String> {
    if published {
        return Err("This report has already been published".into());
    }
    if undecided > 0 {
        return Err(format!(
            "Decide every correction before publishing: {undecided} {} waiting",
            if undecided == 1 { "is" } else { "are" }
        ));
    }
    if corrections == 0 && today <= check_ends_on {
        return Err(format!(
            "The provider has until {} to send corrections: publish after that, or once they have sent some and you have decided them",
            crate::text::long_date(check_ends_on)
        ));
    }
    Ok(())
}

/// The provider's action plan: written, and only for a published Requires Improvement or Poor
/// report, once.
pub fn check_action_plan(needed: bool, published: bool, already_sent: bool, text: &str) -> Result<(), FieldErrors> {
    let mut e = FieldErrors::new();
    if !needed {
        e.add("action_plan", "This report does not need an action plan");
    } else if !published {
        e.add("action_plan", "Send the action plan once the council has published the report");
    } else if already_sent {
        e.add("action_plan", "The action plan for this report has already been sent");
    } else if text.trim().is_empty() {
        e.add("action_plan", "Enter your action plan: what you will do about each finding, by when and who will do it");
    } else if text.trim().chars().count() > MAX_TEXT {
        e.add("action_plan", format!("The action plan must be {MAX_TEXT} characters or fewer"));
    }
    e.into_result(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_overall_result_is_the_worst_judgement() {
        use Judgement::*;
        assert_eq!(overall_result([Good, Excellent, Good]), Some(Good));
        assert_eq!(overall_result([Excellent, RequiresImprovement, Good]), Some(RequiresImprovement));
        assert_eq!(overall_result([Poor, RequiresImprovement]), Some(Poor));
        assert_eq!(overall_result([]), None);
        assert!(needs_action_plan(Some(Poor)) && needs_action_plan(Some(RequiresImprovement)));
        assert!(!needs_action_plan(Some(Good)) && !needs_action_plan(None));
    }

    #[test]
    fn the_window_is_fourteen_days_including_the_last() {
        let sent = date(2025, 5, 1);
        let ends = check_ends_on(sent);
        assert_eq!(ends, date(2025, 5, 15));
        assert!(may_correct(false, ends, ends).is_ok());
        let late = may_correct(false, ends, date(2025, 5, 16)).unwrap_err();
        assert_eq!(late, "The 14 days to send corrections ended on 15 May 2025: contact the council's quality team");
        assert!(may_correct(true, ends, sent).is_err());
        assert_eq!(action_plan_due_on(date(2025, 5, 20)), date(2025, 6, 3));
    }

    #[test]
    fn stages_follow_corrections_and_the_window() {
        let ends = date(2025, 5, 15);
        let before = date(2025, 5, 10);
        let after = date(2025, 5, 16);
        assert_eq!(stage(false, 0, 0, ends, before), Stage::AwaitingCheck);
        assert_eq!(stage(false, 1, 2, ends, before), Stage::CorrectionsToDecide);
        assert_eq!(stage(false, 0, 2, ends, before), Stage::ReadyToPublish);
        assert_eq!(stage(false, 0, 0, ends, after), Stage::ReadyToPublish);
        assert_eq!(stage(true, 0, 0, ends, before), Stage::Published);
        assert!(may_publish(false, 1, 1, ends, after).unwrap_err().contains("1 is waiting"));
        assert!(may_publish(false, 0, 0, ends, before).unwrap_err().contains("15 May 2025"));
        assert!(may_publish(false, 0, 0, ends, after).is_ok());
        assert!(may_publish(false, 0, 3, ends, before).is_ok());
        assert!(may_publish(true, 0, 0, ends, after).is_err());
    }

    #[test]
    fn corrections_and_decisions_are_checked() {
        let parts = vec![WHOLE_REPORT.to_string(), "s1".to_string()];
        assert!(check_correction(&parts, "s1", "The audit was seen").is_ok());
        let e = check_correction(&parts, "other", " ").unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["part", "correction"]);
        assert_eq!(check_decision(Some(Decision::Accepted), "", None, false), Ok(Decision::Accepted));
        assert_eq!(check_decision(Some(Decision::Declined), " ", None, false).unwrap_err().0[0].field, "reason");
        assert_eq!(check_decision(None, "", None, false).unwrap_err().0[0].field, "decision");
        assert!(check_decision(Some(Decision::Accepted), "", Some(Decision::Declined), false).is_err());
        assert!(check_decision(Some(Decision::Accepted), "", None, true).is_err());
    }

    #[test]
    fn action_plans_only_for_published_poor_results_once() {
        assert!(check_action_plan(true, true, false, "We will retrain staff by June").is_ok());
        assert!(check_action_plan(false, true, false, "x").is_err());
        assert!(check_action_plan(true, false, false, "x").is_err());
        assert!(check_action_plan(true, true, true, "x").is_err());
        assert!(check_action_plan(true, true, false, "  ").is_err());
    }
}
