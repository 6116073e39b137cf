//! Scrutiny recommendations and their progress updates (`002`, Stockton-on-Tees "Scrutiny
//! Monitoring – Progress Update", review "Care at Home"). A select committee's review makes
//! numbered recommendations; the council agrees an action plan (a date); each recommendation has
//! agreed actions, each with responsible officers or teams, a date (or "Ongoing") and a success
//! measure. About 12 months after the plan is agreed, officers report progress: for each action,
//! dated evidence of progress, an assessment grade and evidence of impact.
//!
//! `002` grades each action separately ("Recommendation 4: 1 (Fully Achieved), 1 (Fully
//! Achieved), 2 (On-Track), 1 (Fully Achieved)"), so a grade belongs to an action's update. An
//! update is never overwritten: a later update (or a correction the same day) is a new record, so
//! the review can be read as it stood at the date of any progress update, and a grade that got
//! worse since the action's previous update is flagged.

use super::delivery_plan::{ByWhen, DatedUpdate, narrative, short, standing_update};
use crate::{Date, FieldError, FieldErrors};
use serde::Serialize;

/// `002`'s "Assessment of Progress Gradings": 1 Fully Achieved, 2 On-Track, 3 Slipped,
/// 4 Not Achieved. A higher number is a worse grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    FullyAchieved,
    OnTrack,
    Slipped,
    NotAchieved,
}

impl Grade {
    pub const ALL: [Grade; 4] = [Grade::FullyAchieved, Grade::OnTrack, Grade::Slipped, Grade::NotAchieved];

    /// The grade's number in `002`'s key (1 to 4); the stored value.
    pub fn number(self) -> i64 {
        match self {
            Grade::FullyAchieved => 1,
            Grade::OnTrack => 2,
            Grade::Slipped => 3,
            Grade::NotAchieved => 4,
        }
    }

    /// The code a form submits ("1" to "4").
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::FullyAchieved => "1",
            Grade::OnTrack => "2",
            Grade::Slipped => "3",
            Grade::NotAchieved => "4",
        }
    }

    /// `002`'s words for the grade.
    pub fn label(self) -> &'static str {
        match self {
            Grade::FullyAchieved => "Fully Achieved",
            Grade::OnTrack => "On-Track",
            Grade::Slipped => "Slipped",
            Grade::NotAchieved => "Not Achieved",
        }
    }

    /// As `002` writes a grade: "2 (On-Track)".
    pub fn written(self) -> String {
        format!("{} ({})", self.number(), self.label())
    }

    pub fn from_number(n: i64) -> Option<Grade> {
        Grade::ALL.into_iter().find(|g| g.number() == n)
    }

    /// A stored or submitted code ("1" to "4").
    pub fn parse(s: &str) -> Option<Grade> {
        Grade::ALL.into_iter().find(|g| g.as_str() == s.trim())
    }

    /// A grade as a council writes it in its table: "1 (Fully Achieved)", "2", "On-Track",
    /// "on track", "Not achieved". `None` when the words name no grade or a number outside 1–4.
    pub fn from_words(words: &str) -> Option<Grade> {
        let w = words.trim();
        let digits: String = w.chars().take_while(|c| c.is_ascii_digit()).collect();
        if !digits.is_empty() {
            let rest = w[digits.len()..].trim();
            let by_number = digits.parse::<i64>().ok().and_then(Grade::from_number)?;
            let inner = rest.trim_start_matches('(').trim_end_matches(')').trim();
            if inner.is_empty() {
                return Some(by_number);
            }
            // "2 (Slipped)" contradicts itself: refuse rather than guess.
            return Grade::from_label(inner).filter(|g| *g == by_number);
        }
        Grade::from_label(w)
    }

    fn from_label(words: &str) -> Option<Grade> {
        let norm: String = words.to_lowercase().chars().filter(|c| c.is_ascii_alphabetic()).collect();
        Grade::ALL.into_iter().find(|g| g.label().to_lowercase().chars().filter(|c| c.is_ascii_alphabetic()).collect::<String>() == norm)
    }

    /// Whether `self` is a worse grade than `before` (a higher number in `002`'s key).
    pub fn is_worse_than(self, before: Grade) -> bool {
        self.number() > before.number()
    }
}

/// Whether an action's grade worsened since its previous update: only when both updates are
/// graded and the new grade is higher in `002`'s key (On-Track after Fully Achieved, Slipped
/// after On-Track...).
pub fn worsened(current: Grade, previous: Option<Grade>) -> bool {
    previous.is_some_and(|p| current.is_worse_than(p))
}

/// How many actions stood at each grade, and how many had no update by the date (a summary
/// `002` itself lacks).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GradeSummary {
    /// Counts in `Grade::ALL`'s order (1 to 4).
    pub counts: [usize; 4],
    pub ungraded: usize,
}

impl GradeSummary {
    pub fn of(grades: impl IntoIterator<Item = Option<Grade>>) -> GradeSummary {
        let mut s = GradeSummary::default();
        for g in grades {
            match g {
                Some(g) => s.counts[(g.number() - 1) as usize] += 1,
                None => s.ungraded += 1,
            }
        }
        s
    }

    pub fn count(&self, g: Grade) -> usize {
        self.counts[(g.number() - 1) as usize]
    }

    /// Actions with a grade.
    pub fn graded(&self) -> usize {
        self.counts.iter().sum()
    }
}

/// A review's header: `002`'s "Review", "Link Officer/s", "Action Plan Agreed", and when progress
/// updates are due ("approximately 12 months after the relevant Select Committee has agreed the
/// Action Plan").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewHeader {
    pub title: String,
    pub committee: String,
    pub link_officers: String,
    /// As written ("February 2023") with the date it names (the end of the month).
    pub plan_agreed: ByWhen,
    /// As written, or by default the month 12 months after the plan was agreed.
    pub updates_due: ByWhen,
}

/// The month about 12 months after the action plan was agreed, as `002` expects the first
/// progress update: "February 2023" gives "February 2024".
pub fn default_updates_due(agreed: Date) -> ByWhen {
    let year_on = Date::new(agreed.year() + 1, agreed.month(), 1).unwrap_or(agreed);
    ByWhen { text: year_on.strftime("%B %Y").to_string(), date: Some(year_on.last_of_month()) }
}

impl ReviewHeader {
    /// A scrutiny officer's review. The plan's agreed date must name a day or month not after
    /// `today`; when updates are due may be left blank (12 months after the plan was agreed).
    pub fn parse(
        title: &str,
        committee: &str,
        link_officers: &str,
        plan_agreed: &str,
        updates_due: &str,
        today: Date,
    ) -> Result<ReviewHeader, FieldErrors> {
        let mut e = FieldErrors::new();
        let title = short(&mut e, "title", "Review title", title, true);
        let committee = short(&mut e, "committee", "Committee", committee, false);
        let link_officers = short(&mut e, "link_officers", "Link officers", link_officers, false);
        let agreed_text = short(&mut e, "plan_agreed", "Date the action plan was agreed", plan_agreed, true);
        let agreed = ByWhen::parse(&agreed_text);
        if !agreed_text.is_empty() {
            match agreed.date {
                None => e.add("plan_agreed", "Enter the date the action plan was agreed as a date or a month, for example February 2023"),
                // A month is stored as its last day: February of this year is not in the future.
                Some(d) if d > today.last_of_month() => {
                    e.add("plan_agreed", "The date the action plan was agreed must be today or in the past")
                }
                Some(_) => {}
            }
        }
        let due_text = short(&mut e, "updates_due", "When updates are due", updates_due, false);
        let due = if due_text.is_empty() {
            agreed.date.map(default_updates_due).unwrap_or_else(|| ByWhen::parse(""))
        } else {
            let due = ByWhen::parse(&due_text);
            match (due.date, agreed.date) {
                (None, _) => e.add("updates_due", "Enter when updates are due as a date or a month, for example February 2024"),
                (Some(d), Some(a)) if d < a => e.add("updates_due", "Updates cannot be due before the action plan was agreed"),
                _ => {}
            }
            due
        };
        e.into_result(ReviewHeader { title, committee, link_officers, plan_agreed: agreed, updates_due: due })
    }
}

/// Longest recommendation number a committee gives.
pub const MAX_NUMBER: i64 = 999;

/// A recommendation: its number in the review (`002`'s "Recommendation 4") and its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewRecommendation {
    pub number: i64,
    pub text: String,
}

fn parse_number(e: &mut FieldErrors, field: &str, value: &str) -> i64 {
    let v = value.trim().trim_start_matches(|c: char| c.is_alphabetic() || c.is_whitespace());
    match v.parse::<i64>() {
        Ok(n) if (1..=MAX_NUMBER).contains(&n) => n,
        Ok(_) => {
            e.add(field, format!("The recommendation number must be between 1 and {MAX_NUMBER}"));
            0
        }
        Err(_) if value.trim().is_empty() => {
            e.add(field, "Enter the recommendation's number");
            0
        }
        Err(_) => {
            e.add(field, "The recommendation number must be a whole number, for example 4");
            0
        }
    }
}

impl NewRecommendation {
    pub fn parse(number: &str, text: &str) -> Result<NewRecommendation, FieldErrors> {
        let mut e = FieldErrors::new();
        let number = parse_number(&mut e, "number", number);
        let text = narrative(&mut e, "text", "Recommendation", text, true);
        e.into_result(NewRecommendation { number, text })
    }
}

/// An agreed action (`002`'s "Agreed Action" column), with its "Responsibility", "Date" (kept as
/// written: "April 2023", "Ongoing", "Dates as per diary, starting March 2023") and "Agreed
/// Success Measure".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewAction {
    pub action: String,
    pub responsibility: String,
    pub due: ByWhen,
    pub success_measure: String,
}

impl NewAction {
    pub fn parse(action: &str, responsibility: &str, due: &str, success_measure: &str) -> Result<NewAction, FieldErrors> {
        let mut e = FieldErrors::new();
        let action = narrative(&mut e, "action", "Agreed action", action, true);
        let responsibility = short(&mut e, "responsibility", "Responsible officers or teams", responsibility, true);
        let due = short(&mut e, "due", "Due date", due, true);
        let success_measure = narrative(&mut e, "success_measure", "Success measure", success_measure, false);
        e.into_result(NewAction { action, responsibility, due: ByWhen::parse(&due), success_measure })
    }
}

/// One dated progress update of an action: evidence of progress, the assessment grade and
/// evidence of impact, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewProgress {
    /// The day the update speaks for (`002`'s "(March 2024)").
    pub dated_on: Date,
    pub evidence: String,
    pub grade: Grade,
    pub impact: String,
}

/// The message for a grade that is not one of `002`'s four.
pub const GRADE_MESSAGE: &str = "Select a grade from 1 (Fully Achieved) to 4 (Not Achieved)";

impl NewProgress {
    /// An officer's update: a date not after `today`, the evidence, a grade from 1 to 4; impact
    /// is optional (`002` leaves some blank, or writes N/A).
    pub fn parse(dated_on: Option<Date>, evidence: &str, grade: &str, impact: &str, today: Date) -> Result<NewProgress, FieldErrors> {
        let mut e = FieldErrors::new();
        match dated_on {
            None => e.add("dated_on", "Enter the date of the progress update"),
            Some(d) if d > today => e.add("dated_on", "The date of the progress update must be today or in the past"),
            Some(_) => {}
        }
        let evidence = narrative(&mut e, "evidence", "Evidence of progress", evidence, true);
        let grade = match grade.trim() {
            "" => {
                e.add("grade", GRADE_MESSAGE);
                None
            }
            g => match Grade::parse(g) {
                Some(g) => Some(g),
                None => {
                    e.add("grade", format!("{GRADE_MESSAGE}; '{}' is not a grade", g.chars().take(20).collect::<String>()));
                    None
                }
            },
        };
        let impact = narrative(&mut e, "impact", "Evidence of impact", impact, false);
        match (dated_on, grade) {
            (Some(dated_on), Some(grade)) if e.is_empty() => Ok(NewProgress { dated_on, evidence, grade, impact }),
            _ => Err(e),
        }
    }
}

/// A progress update as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub id: String,
    pub dated_on: Date,
    pub evidence: String,
    pub grade: Grade,
    pub impact: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Action {
    pub id: String,
    pub action: String,
    pub responsibility: String,
    pub due: ByWhen,
    pub success_measure: String,
    /// Every progress update, oldest first.
    pub updates: Vec<Progress>,
}

/// An action as it stood at a date: the update standing then, the one before it, and whether
/// the grade worsened between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionStanding<'a> {
    pub action: &'a Action,
    pub current: Option<&'a Progress>,
    pub previous: Option<&'a Progress>,
    pub worsened: bool,
}

fn standing_index(updates: &[Progress], as_at: Date) -> Option<usize> {
    let dated: Vec<DatedUpdate<'_>> = updates.iter().map(|u| DatedUpdate { dated_on: u.dated_on, recorded_at: &u.recorded_at }).collect();
    standing_update(&dated, as_at)
}

impl Action {
    /// The update that stood at the end of `as_at` (the latest dated on or before it; a
    /// correction recorded later the same day wins), the update standing before that one's date,
    /// and whether the grade worsened from the one to the other.
    pub fn standing(&self, as_at: Date) -> ActionStanding<'_> {
        let current = standing_index(&self.updates, as_at).map(|i| &self.updates[i]);
        let previous = current.and_then(|c| {
            let before = c.dated_on.yesterday().ok()?;
            standing_index(&self.updates, before).map(|i| &self.updates[i])
        });
        let worsened = current.is_some_and(|c| worsened(c.grade, previous.map(|p| p.grade)));
        ActionStanding { action: self, current, previous, worsened }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recommendation {
    pub id: String,
    pub number: i64,
    pub text: String,
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    pub id: String,
    pub header: ReviewHeader,
    pub created_at: String,
    pub updated_at: String,
    /// In number order.
    pub recommendations: Vec<Recommendation>,
}

impl Review {
    pub fn actions(&self) -> impl Iterator<Item = &Action> {
        self.recommendations.iter().flat_map(|r| r.actions.iter())
    }

    /// Each action as it stood at the end of `as_at`, by recommendation.
    pub fn as_at(&self, as_at: Date) -> Vec<(&Recommendation, Vec<ActionStanding<'_>>)> {
        self.recommendations.iter().map(|r| (r, r.actions.iter().map(|a| a.standing(as_at)).collect())).collect()
    }

    /// How many actions stood at each grade at the end of `as_at`.
    pub fn grade_summary(&self, as_at: Date) -> GradeSummary {
        GradeSummary::of(self.actions().map(|a| a.standing(as_at).current.map(|u| u.grade)))
    }

    /// The dates of the review's progress updates, latest first (each a dated snapshot the
    /// document can be produced for).
    pub fn update_dates(&self) -> Vec<Date> {
        let mut dates: Vec<Date> = self.actions().flat_map(|a| a.updates.iter().map(|u| u.dated_on)).collect();
        dates.sort_unstable_by(|a, b| b.cmp(a));
        dates.dedup();
        dates
    }
}

/// One row of a council's scrutiny table (one agreed action, as `002` lays them out under each
/// recommendation), mapped. The recommendation's number and text are blank on a row that
/// continues the recommendation above it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrutinyRow {
    pub row: u64,
    /// `None` on a row continuing the recommendation above.
    pub number: Option<i64>,
    pub recommendation: String,
    pub action: NewAction,
    pub evidence: String,
    /// `None` when the row has no progress yet (no evidence, grade or impact).
    pub grade: Option<Grade>,
    pub impact: String,
}

/// The cells of one table row, by column.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScrutinyCells<'a> {
    pub number: &'a str,
    pub recommendation: &'a str,
    pub responsibility: &'a str,
    pub due: &'a str,
    pub action: &'a str,
    pub success_measure: &'a str,
    pub evidence: &'a str,
    pub grade: &'a str,
    pub impact: &'a str,
}

/// Map a table row's words. A row with evidence or impact must carry a grade from 1 to 4
/// (`002` grades every action it reports on); a row with none of the three adds its action
/// without progress.
pub fn map_scrutiny_row(row: u64, c: ScrutinyCells<'_>) -> Result<ScrutinyRow, FieldError> {
    let number = match c.number.trim() {
        "" => None,
        n => {
            let mut e = FieldErrors::new();
            let n = parse_number(&mut e, "number", n);
            if let Some(err) = e.0.into_iter().next() {
                return Err(FieldError::new("number", format!("Row {row}: {}; found '{}'", err.message, c.number.trim())));
            }
            Some(n)
        }
    };
    let action = NewAction::parse(c.action, c.responsibility, c.due, c.success_measure).map_err(|e| {
        let first = e.0.into_iter().next().unwrap_or_else(|| FieldError::new("action", "is not valid"));
        FieldError::new(first.field, format!("Row {row}: {}", first.message))
    })?;
    let grade = match c.grade.trim() {
        "" if c.evidence.trim().is_empty() && c.impact.trim().is_empty() => None,
        "" => return Err(FieldError::new("grade", format!("Row {row}: the assessment of progress is blank; {GRADE_MESSAGE}"))),
        g => Some(Grade::from_words(g).ok_or_else(|| FieldError::new("grade", format!("Row {row}: {GRADE_MESSAGE}; found '{g}'")))?),
    };
    for (field, label, text) in
        [("recommendation", "recommendation", c.recommendation), ("evidence", "evidence", c.evidence), ("impact", "impact", c.impact)]
    {
        if text.trim().chars().count() > super::delivery_plan::MAX_NARRATIVE {
            return Err(FieldError::new(
                field,
                format!("Row {row}: the {label} is longer than {} characters", super::delivery_plan::MAX_NARRATIVE),
            ));
        }
    }
    Ok(ScrutinyRow {
        row,
        number,
        recommendation: c.recommendation.trim().to_string(),
        action,
        evidence: c.evidence.trim().to_string(),
        grade,
        impact: c.impact.trim().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i16, m: i8, dd: i8) -> Date {
        Date::new(y, m, dd).unwrap()
    }

    #[test]
    fn grades_are_002s_four_and_read_as_written() {
        for g in Grade::ALL {
            assert_eq!(Grade::parse(g.as_str()), Some(g));
            assert_eq!(Grade::from_number(g.number()), Some(g));
            assert_eq!(Grade::from_words(&g.written()), Some(g));
        }
        assert_eq!(Grade::FullyAchieved.written(), "1 (Fully Achieved)");
        assert_eq!(Grade::from_words("2 (On-Track)"), Some(Grade::OnTrack));
        assert_eq!(Grade::from_words("3"), Some(Grade::Slipped));
        assert_eq!(Grade::from_words("on track"), Some(Grade::OnTrack));
        assert_eq!(Grade::from_words("Not achieved"), Some(Grade::NotAchieved));
        for bad in ["0", "5", "12", "2 (Slipped)", "Gud", "", "-1"] {
            assert_eq!(Grade::from_words(bad), None, "{bad}");
        }
        assert_eq!(Grade::parse("5"), None);
    }

    #[test]
    fn a_grade_worsens_only_when_its_number_rises() {
        assert!(worsened(Grade::OnTrack, Some(Grade::FullyAchieved)));
        assert!(worsened(Grade::NotAchieved, Some(Grade::Slipped)));
        assert!(!worsened(Grade::OnTrack, Some(Grade::OnTrack)));
        assert!(!worsened(Grade::FullyAchieved, Some(Grade::Slipped)));
        assert!(!worsened(Grade::NotAchieved, None), "a first update has nothing to worsen from");
    }

    #[test]
    fn the_summary_counts_each_grade() {
        // Recommendation 4's actions in `002`: 1, 1, 2, 1, and one action not yet reported on.
        let grades = [Some(Grade::FullyAchieved), Some(Grade::FullyAchieved), Some(Grade::OnTrack), Some(Grade::FullyAchieved), None];
        let s = GradeSummary::of(grades);
        assert_eq!(s.counts, [3, 1, 0, 0]);
        assert_eq!((s.graded(), s.ungraded, s.count(Grade::OnTrack)), (4, 1, 1));
    }

    #[test]
    fn a_review_header_is_checked() {
        let today = d(2024, 3, 31);
        let h = ReviewHeader::parse(
            "Care at Home",
            "Adult Social Care and Health Select Committee",
            "Martin Skipsey",
            "February 2023",
            "",
            today,
        )
        .unwrap();
        assert_eq!(h.plan_agreed.date, Some(d(2023, 2, 28)));
        assert_eq!(h.plan_agreed.text, "February 2023");
        assert_eq!((h.updates_due.text.as_str(), h.updates_due.date), ("February 2024", Some(d(2024, 2, 29))));
        // This month is not in the future.
        assert!(ReviewHeader::parse("R", "", "", "March 2024", "", today).is_ok());
        let err = ReviewHeader::parse(" ", "", "", "Spring", "whenever", today).unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "plan_agreed", "updates_due"]);
        let err = ReviewHeader::parse("R", "", "", "June 2024", "", today).unwrap_err();
        assert_eq!(err.0[0].message, "The date the action plan was agreed must be today or in the past");
        let err = ReviewHeader::parse("R", "", "", "February 2023", "January 2023", today).unwrap_err();
        assert_eq!(err.0[0].field, "updates_due");
    }

    #[test]
    fn recommendations_actions_and_updates_are_checked() {
        assert_eq!(NewRecommendation::parse("Recommendation 4", "Reinforce complaints").unwrap().number, 4);
        let err = NewRecommendation::parse("0", "").unwrap_err();
        assert_eq!(err.0.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["number", "text"]);
        assert_eq!(
            NewRecommendation::parse("four", "x").unwrap_err().0[0].message,
            "The recommendation number must be a whole number, for example 4"
        );
        let a = NewAction::parse("Monitor through PAMMS assessment.", "Quality and Compliance Team", "Ongoing", "").unwrap();
        assert_eq!(a.due.date, None);
        assert_eq!(NewAction::parse("", "", "", "").unwrap_err().0.len(), 3);

        let today = d(2024, 3, 31);
        let ok = NewProgress::parse(Some(today), "Letter sent", "1", "N/A", today).unwrap();
        assert_eq!(ok.grade, Grade::FullyAchieved);
        let err = NewProgress::parse(Some(d(2024, 4, 1)), "", "5", "", today).unwrap_err();
        let fields: Vec<(&str, &str)> = err.0.iter().map(|e| (e.field.as_str(), e.message.as_str())).collect();
        assert_eq!(
            fields,
            [
                ("dated_on", "The date of the progress update must be today or in the past"),
                ("evidence", "Enter the evidence of progress"),
                ("grade", "Select a grade from 1 (Fully Achieved) to 4 (Not Achieved); '5' is not a grade"),
            ]
        );
        assert_eq!(NewProgress::parse(None, "x", "", "", today).unwrap_err().0.len(), 2);
    }

    fn progress(id: &str, dated_on: Date, grade: Grade, recorded_at: &str) -> Progress {
        Progress {
            id: id.into(),
            dated_on,
            evidence: format!("evidence {id}"),
            grade,
            impact: String::new(),
            recorded_by: "officer".into(),
            recorded_at: recorded_at.into(),
        }
    }

    fn action(id: &str, updates: Vec<Progress>) -> Action {
        Action {
            id: id.into(),
            action: id.into(),
            responsibility: "Team".into(),
            due: ByWhen::parse("Ongoing"),
            success_measure: String::new(),
            updates,
        }
    }

    #[test]
    fn an_action_reads_as_it_stood_and_flags_a_worse_grade() {
        let march = d(2024, 3, 31);
        let next = d(2025, 3, 31);
        let a = action(
            "a",
            vec![
                progress("a1", march, Grade::FullyAchieved, "2024-04-02T10:00:00Z"),
                progress("a2", next, Grade::OnTrack, "2025-04-01T10:00:00Z"),
                // A correction of the same day's update, recorded later, wins.
                progress("a3", next, Grade::Slipped, "2025-04-03T10:00:00Z"),
            ],
        );
        let then = a.standing(march);
        assert_eq!((then.current.map(|u| u.id.as_str()), then.previous, then.worsened), (Some("a1"), None, false));
        let now = a.standing(d(2025, 6, 1));
        assert_eq!(now.current.map(|u| u.id.as_str()), Some("a3"));
        assert_eq!(now.previous.map(|u| u.id.as_str()), Some("a1"));
        assert!(now.worsened);
        let better = action("b", vec![progress("b1", march, Grade::Slipped, "x"), progress("b2", next, Grade::OnTrack, "y")]);
        assert!(!better.standing(next).worsened);
        assert!(action("c", vec![]).standing(next).current.is_none());

        let review = Review {
            id: "r".into(),
            header: ReviewHeader::parse("Care at Home", "", "", "February 2023", "", march).unwrap(),
            created_at: String::new(),
            updated_at: String::new(),
            recommendations: vec![Recommendation {
                id: "r1".into(),
                number: 1,
                text: "t".into(),
                actions: vec![a, better, action("c", vec![])],
            }],
        };
        assert_eq!(review.grade_summary(march), GradeSummary { counts: [1, 0, 1, 0], ungraded: 1 });
        assert_eq!(review.grade_summary(next), GradeSummary { counts: [0, 1, 1, 0], ungraded: 1 });
        assert_eq!(review.update_dates(), [next, march]);
    }

    #[test]
    fn a_table_row_maps_with_its_grade() {
        let cells = ScrutinyCells {
            number: "4",
            recommendation: "SBC reinforce with local providers...",
            responsibility: "Quality and Compliance Team",
            due: "Ongoing",
            action: "Monitor through PAMMS assessment.",
            evidence: "To date 3 providers have had their PAMMS completed.",
            grade: "2 (On-Track)",
            ..Default::default()
        };
        let r = map_scrutiny_row(9, cells).unwrap();
        assert_eq!((r.number, r.grade), (Some(4), Some(Grade::OnTrack)));
        let bad = map_scrutiny_row(10, ScrutinyCells { grade: "5 (Brilliant)", ..cells }).unwrap_err();
        assert_eq!(bad.message, "Row 10: Select a grade from 1 (Fully Achieved) to 4 (Not Achieved); found '5 (Brilliant)'");
        let blank = map_scrutiny_row(11, ScrutinyCells { grade: "", ..cells }).unwrap_err();
        assert_eq!(blank.field, "grade");
        let no_progress = map_scrutiny_row(12, ScrutinyCells { grade: "", evidence: "", number: "", ..cells }).unwrap();
        assert_eq!((no_progress.number, no_progress.grade), (None, None));
        assert!(
            map_scrutiny_row(13, ScrutinyCells { action: " ", ..cells })
                .unwrap_err()
                .message
                .starts_with("Row 13: Enter the agreed action")
        );
    }
}
