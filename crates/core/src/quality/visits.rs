//! Quality visits and meetings (`000` Provider Visits & Monitoring): what a recorded visit must
//! say, what scoring a visit accepts, and what finalising it raises. Every function here is pure;
//! the store loads the visit, its frameworks' standards and its scores, asks these functions, and
//! saves what they decided.
//!
//! Errors about one standard's inputs are keyed by [`standard_field`] (the standard's id and
//! which input), so the web can put each message beside its own field whatever it names them.

use super::{Activity, Judgement, VisitType};
use crate::{Date, FieldErrors};
use serde::Serialize;

/// The most people of one kind an officer can have spoken to on one visit: more is a typing slip.
pub const MAX_SPOKEN_TO: i64 = 10_000;

/// A visit as the officer types it (new, or edited while draft).
#[derive(Debug, Clone)]
pub struct NewVisit {
    pub service_id: String,
    pub activity: Activity,
    pub visit_type: VisitType,
    pub announced: bool,
    pub visit_date: Date,
    /// Officers who visited, as written ("J Smith, A Khan").
    pub officers: String,
    pub people_spoken_to: i64,
    pub relatives_spoken_to: i64,
    pub staff_spoken_to: i64,
    pub framework_id: Option<String>,
    pub outcomes_framework_id: Option<String>,
    pub feedback_given_on_day: bool,
}

impl NewVisit {
    /// The rules a visit meets before the register and frameworks are looked at: a past (or
    /// today's) date, officers named, counts between 0 and [`MAX_SPOKEN_TO`].
    pub fn check(&self, today: Date) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        if self.visit_date > today {
            e.add("visit_date", "The date of the visit must be today or in the past");
        }
        if self.officers.trim().is_empty() {
            e.add("officers", "Enter the officers who carried out the visit");
        }
        for (field, n, what) in [
            ("people_spoken_to", self.people_spoken_to, "people using the service"),
            ("relatives_spoken_to", self.relatives_spoken_to, "relatives"),
            ("staff_spoken_to", self.staff_spoken_to, "staff"),
        ] {
            if !(0..=MAX_SPOKEN_TO).contains(&n) {
                e.add(field, format!("The number of {what} spoken to must be a whole number, 0 or more"));
            }
        }
        e.into_result(())
    }
}

/// Which input about one standard an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StandardInput {
    Judgement,
    Title,
    Owner,
    DueOn,
}

impl StandardInput {
    pub const ALL: [StandardInput; 4] = [StandardInput::Judgement, StandardInput::Title, StandardInput::Owner, StandardInput::DueOn];

    pub fn as_str(self) -> &'static str {
        match self {
            StandardInput::Judgement => "judgement",
            StandardInput::Title => "title",
            StandardInput::Owner => "owner",
            StandardInput::DueOn => "due_on",
        }
    }
}

/// The key of an error about one input of one standard: `standard.<id>.<input>`.
pub fn standard_field(standard_id: &str, input: StandardInput) -> String {
    format!("standard.{standard_id}.{}", input.as_str())
}

/// The standard and input an error key of [`standard_field`] names.
pub fn parse_standard_field(field: &str) -> Option<(&str, StandardInput)> {
    let (id, input) = field.strip_prefix("standard.")?.rsplit_once('.')?;
    StandardInput::ALL.into_iter().find(|i| i.as_str() == input).map(|i| (id, i))
}

/// A standard of one of the visit's frameworks, as far as scoring needs it.
#[derive(Debug, Clone)]
pub struct StandardRef {
    pub id: String,
    pub code: String,
    pub title: String,
}

/// A judgement as typed: `judgement` is a `Judgement` code or label, or "" / "not_assessed" for
/// a standard not looked at on this visit.
#[derive(Debug, Clone, Default)]
pub struct ScoreInput {
    pub standard_id: String,
    pub judgement: String,
    pub evidence: Option<String>,
}

/// One judgement to save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judged {
    pub standard_id: String,
    pub judgement: Judgement,
    pub evidence: Option<String>,
}

fn trimmed(s: Option<&str>) -> Option<String> {
    s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

/// The judgements to save from what was typed. Every standard must be one of `allowed` (the
/// visit's frameworks' standards); every judgement on the four-point scale; no standard judged
/// twice. A standard left "not assessed" has no score.
pub fn judge(allowed: &[StandardRef], inputs: &[ScoreInput]) -> Result<Vec<Judged>, FieldErrors> {
    let mut e = FieldErrors::new();
    let mut judged: Vec<Judged> = Vec::new();
    for s in inputs {
        let field = standard_field(&s.standard_id, StandardInput::Judgement);
        let Some(standard) = allowed.iter().find(|a| a.id == s.standard_id) else {
            e.add(
                field,
                format!("Standard '{}' is not in the framework used for this visit", s.standard_id.chars().take(40).collect::<String>()),
            );
            continue;
        };
        let raw = s.judgement.trim();
        if raw.is_empty() || raw == "not_assessed" {
            continue;
        }
        let Some(j) = Judgement::parse(raw) else {
            e.add(
                field,
                format!(
                    "{} {}: the judgement must be Excellent, Good, Requires Improvement, Poor or not assessed",
                    standard.code, standard.title
                ),
            );
            continue;
        };
        if judged.iter().any(|d| d.standard_id == s.standard_id) {
            e.add(field, format!("{} {} was judged twice", standard.code, standard.title));
            continue;
        }
        judged.push(Judged { standard_id: s.standard_id.clone(), judgement: j, evidence: trimmed(s.evidence.as_deref()) });
    }
    e.into_result(judged)
}

/// One judgement on one standard of a visit, as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct VisitScore {
    pub standard_id: String,
    pub framework_id: String,
    pub domain: String,
    pub code: String,
    pub title: String,
    pub judgement: Judgement,
    pub evidence: Option<String>,
}

/// The action a Requires Improvement or Poor judgement raises when the visit is finalised, as
/// the officer typed it.
#[derive(Debug, Clone, Default)]
pub struct ActionDraft {
    pub standard_id: String,
    /// What the provider must do; defaults to the standard's code and title.
    pub title: String,
    pub owner: String,
    pub due_on: Option<Date>,
}

/// An action finalising raises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaisedAction {
    pub standard_id: String,
    pub code: String,
    pub judgement: Judgement,
    pub title: String,
    /// The evidence recorded against the judgement.
    pub detail: Option<String>,
    pub owner: String,
    pub due_on: Date,
}

/// What finalising a visit raises. The report must be written; every standard judged Requires
/// Improvement or Poor (`002`: a standard scored Requires Improvement becomes an action) needs
/// its action: an owner, and a due date not before the visit. The title defaults to the
/// standard's code and title.
pub fn finalise(
    visit_date: Date,
    report: Option<&str>,
    scores: &[VisitScore],
    drafts: &[ActionDraft],
) -> Result<Vec<RaisedAction>, FieldErrors> {
    let mut e = FieldErrors::new();
    if report.is_none_or(|r| r.trim().is_empty()) {
        e.add("report", "Write the report before finalising the visit");
    }
    let mut raised = Vec::new();
    for s in scores.iter().filter(|s| s.judgement.raises_action()) {
        let d = drafts.iter().find(|d| d.standard_id == s.standard_id);
        let owner = d.map(|d| d.owner.trim()).unwrap_or("");
        if owner.is_empty() {
            e.add(
                standard_field(&s.standard_id, StandardInput::Owner),
                format!("Enter who owns the action for {} {} (judged {})", s.code, s.title, s.judgement.label()),
            );
        }
        let due_field = standard_field(&s.standard_id, StandardInput::DueOn);
        let due = match d.and_then(|d| d.due_on) {
            None => {
                e.add(due_field, format!("Enter the date the action for {} {} is due", s.code, s.title));
                continue;
            }
            Some(due) if due < visit_date => {
                e.add(due_field, format!("The action for {} {} cannot be due before the visit ({visit_date})", s.code, s.title));
                continue;
            }
            Some(due) => due,
        };
        let title = d.and_then(|d| trimmed(Some(&d.title))).unwrap_or_else(|| format!("{} {}", s.code, s.title));
        raised.push(RaisedAction {
            standard_id: s.standard_id.clone(),
            code: s.code.clone(),
            judgement: s.judgement,
            title,
            detail: s.evidence.clone(),
            owner: owner.to_string(),
            due_on: due,
        });
    }
    e.into_result(raised)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn standard(id: &str) -> StandardRef {
        StandardRef { id: id.into(), code: format!("C{id}"), title: format!("Standard {id}") }
    }

    fn scored(id: &str, j: Judgement) -> VisitScore {
        VisitScore {
            standard_id: id.into(),
            framework_id: "f".into(),
            domain: "Safe".into(),
            code: format!("C{id}"),
            title: format!("Standard {id}"),
            judgement: j,
            evidence: Some(format!("evidence {id}")),
        }
    }

    fn input(id: &str, j: &str) -> ScoreInput {
        ScoreInput { standard_id: id.into(), judgement: j.into(), evidence: Some("  ".into()) }
    }

    #[test]
    fn error_keys_name_the_standard_and_the_input() {
        let k = standard_field("abc-1", StandardInput::DueOn);
        assert_eq!(parse_standard_field(&k), Some(("abc-1", StandardInput::DueOn)));
        assert_eq!(parse_standard_field("report"), None);
    }

    #[test]
    fn judging_skips_the_unassessed_and_refuses_what_is_off_the_scale() {
        let allowed = [standard("1"), standard("2"), standard("3")];
        let ok = judge(&allowed, &[input("1", "Requires Improvement"), input("2", "not_assessed"), input("3", "")]).expect("ok");
        assert_eq!(ok, vec![Judged { standard_id: "1".into(), judgement: Judgement::RequiresImprovement, evidence: None }]);

        let e = judge(&allowed, &[input("1", "Outstanding"), input("9", "good"), input("2", "good"), input("2", "poor")]).unwrap_err();
        let got: Vec<(&str, &str)> = e.0.iter().map(|f| (f.field.as_str(), f.message.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (
                    "standard.1.judgement",
                    "C1 Standard 1: the judgement must be Excellent, Good, Requires Improvement, Poor or not assessed"
                ),
                ("standard.9.judgement", "Standard '9' is not in the framework used for this visit"),
                ("standard.2.judgement", "C2 Standard 2 was judged twice"),
            ]
        );
    }

    #[test]
    fn finalising_raises_one_action_per_requires_improvement_or_poor() {
        let on = date(2025, 5, 20);
        let scores = [scored("1", Judgement::Good), scored("2", Judgement::RequiresImprovement), scored("3", Judgement::Poor)];
        let drafts = [
            ActionDraft { standard_id: "2".into(), title: " ".into(), owner: " Manager ".into(), due_on: Some(on) },
            ActionDraft { standard_id: "3".into(), title: "Fix MAR".into(), owner: "Deputy".into(), due_on: Some(date(2025, 6, 1)) },
        ];
        let raised = finalise(on, Some("Report"), &scores, &drafts).expect("raised");
        assert_eq!(raised.len(), scores.iter().filter(|s| s.judgement.raises_action()).count());
        assert_eq!(raised[0].title, "C2 Standard 2", "the title defaults to the standard");
        assert_eq!(raised[0].owner, "Manager");
        assert_eq!(raised[0].detail.as_deref(), Some("evidence 2"));
        assert_eq!((raised[1].title.as_str(), raised[1].judgement), ("Fix MAR", Judgement::Poor));
    }

    #[test]
    fn finalising_needs_the_report_an_owner_and_a_due_date_not_before_the_visit() {
        let on = date(2025, 5, 20);
        let scores = [scored("2", Judgement::RequiresImprovement), scored("3", Judgement::Poor)];
        let drafts = [ActionDraft { standard_id: "2".into(), title: String::new(), owner: "M".into(), due_on: Some(date(2025, 5, 19)) }];
        let e = finalise(on, Some(" "), &scores, &drafts).unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["report", "standard.2.due_on", "standard.3.owner", "standard.3.due_on"]);
        assert_eq!(e.0[1].message, "The action for C2 Standard 2 cannot be due before the visit (2025-05-20)");
        assert_eq!(e.0[2].message, "Enter who owns the action for C3 Standard 3 (judged Poor)");
        assert!(finalise(on, Some("r"), &[scored("1", Judgement::Excellent)], &[]).expect("nothing").is_empty());
    }

    #[test]
    fn a_visit_is_dated_today_or_earlier_with_officers_and_sensible_counts() {
        let today = date(2025, 6, 30);
        let v = NewVisit {
            service_id: "s".into(),
            activity: Activity::QualityVisit,
            visit_type: VisitType::Routine,
            announced: true,
            visit_date: date(2025, 7, 1),
            officers: " ".into(),
            people_spoken_to: 0,
            relatives_spoken_to: MAX_SPOKEN_TO + 1,
            staff_spoken_to: -1,
            framework_id: None,
            outcomes_framework_id: None,
            feedback_given_on_day: false,
        };
        let e = v.check(today).unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["visit_date", "officers", "relatives_spoken_to", "staff_spoken_to"]);
        let ok = NewVisit { visit_date: today, officers: "J Smith".into(), relatives_spoken_to: 2, staff_spoken_to: 3, ..v };
        assert_eq!(ok.check(today), Ok(()));
    }
}
