//! The Market Sustainability Delivery Plan (`000`, "Market Sustainability Delivery Plan"):
//! a header (ambition, context, accountable officer, lead, committee), themes (the
//! sustainability indicators), each with milestones/actions, and a dated update per quarter
//! saying what has happened, by when the milestone is due and where it stands.
//!
//! `000`'s table keeps words where a database would want codes: its "RAG" column holds
//! COMPLETE, COMPLETED, IN DELIVERY, "Delivery priority for 24/25." or nothing; "No Longer
//! Required" and "Completed" sit in "By when", which otherwise mixes dates and words ("December
//! 2027", "24/25 Priority"). So an update keeps the text as written and carries a status from
//! [`PlanStatus`] and a RAG, both of which may be missing.

use crate::quality::Rag;
use crate::{Date, FieldError, FieldErrors};
use serde::Serialize;

/// Where a milestone stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    NotStarted,
    Priority,
    InDelivery,
    Delayed,
    Complete,
    NoLongerRequired,
}

impl PlanStatus {
    pub const ALL: [PlanStatus; 6] = [
        PlanStatus::NotStarted,
        PlanStatus::Priority,
        PlanStatus::InDelivery,
        PlanStatus::Delayed,
        PlanStatus::Complete,
        PlanStatus::NoLongerRequired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PlanStatus::NotStarted => "not_started",
            PlanStatus::Priority => "priority",
            PlanStatus::InDelivery => "in_delivery",
            PlanStatus::Delayed => "delayed",
            PlanStatus::Complete => "complete",
            PlanStatus::NoLongerRequired => "no_longer_required",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PlanStatus::NotStarted => "Not started",
            PlanStatus::Priority => "Priority",
            PlanStatus::InDelivery => "In delivery",
            PlanStatus::Delayed => "Delayed",
            PlanStatus::Complete => "Complete",
            PlanStatus::NoLongerRequired => "No longer required",
        }
    }

    /// A stored or submitted code.
    pub fn parse(s: &str) -> Option<PlanStatus> {
        PlanStatus::ALL.into_iter().find(|p| p.as_str() == s.trim())
    }

    /// Whether the milestone is finished with (done or dropped): it is not counted as open.
    pub fn is_closed(self) -> bool {
        matches!(self, PlanStatus::Complete | PlanStatus::NoLongerRequired)
    }

    /// The status a council's words state, as `000` writes them in either its "RAG" or its
    /// "By when" column: "COMPLETE", "Completed", "IN DELIVERY", "Delivery priority for 24/25.",
    /// "24/25 Priority", "No Longer Required". `None` when the words state no status.
    pub fn from_words(words: &str) -> Option<PlanStatus> {
        let w = words.trim().trim_end_matches('.').to_lowercase();
        let w = w.split_whitespace().collect::<Vec<_>>().join(" ");
        if w.is_empty() {
            return None;
        }
        if w == "complete" || w == "completed" || w == "done" {
            return Some(PlanStatus::Complete);
        }
        if w.contains("no longer required") || w == "not required" || w == "withdrawn" {
            return Some(PlanStatus::NoLongerRequired);
        }
        if w == "in delivery" || w == "in progress" || w == "on track" || w == "underway" {
            return Some(PlanStatus::InDelivery);
        }
        if w.contains("priority") {
            return Some(PlanStatus::Priority);
        }
        if w == "delayed" || w == "slipped" || w == "behind" {
            return Some(PlanStatus::Delayed);
        }
        if w == "not started" || w == "not yet started" || w == "planned" {
            return Some(PlanStatus::NotStarted);
        }
        None
    }
}

/// "By when", as written, and the date it names when it names one: the last day of the period
/// ("December 2027" is 31 December 2027; "24/25 Priority" is the end of the financial year,
/// 31 March 2025; "Qtr 4, 24/25" is 31 March 2025). Words with no date ("Completed", "Ongoing")
/// have none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ByWhen {
    pub text: String,
    pub date: Option<Date>,
}

const MONTHS: [&str; 12] =
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

fn month_number(word: &str) -> Option<i8> {
    let w = word.to_lowercase();
    if w.len() < 3 {
        return None;
    }
    // A full name or a short form: "Dec", "Sept".
    MONTHS.iter().position(|m| w == *m || (w.len() <= 4 && m.starts_with(&w))).map(|i| i as i8 + 1)
}

fn four_digit_year(word: &str) -> Option<i16> {
    word.parse::<i16>().ok().filter(|y| (1900..=2199).contains(y))
}

/// "24/25", "2024/25", "2024-25", "2024/2025" as the year the financial year starts.
fn financial_year(word: &str) -> Option<i16> {
    let (a, b) = word.split_once(['/', '-'])?;
    let b: i16 = b.parse().ok()?;
    let start: i16 = match a.len() {
        2 => 2000 + a.parse::<i16>().ok()?,
        4 => a.parse().ok()?,
        _ => return None,
    };
    let next = start + 1;
    (b == next % 100 || b == next).then_some(start)
}

impl ByWhen {
    pub fn parse(text: &str) -> ByWhen {
        ByWhen { text: text.trim().to_string(), date: by_when_date(text) }
    }
}

/// Text with anything between `<` and `>` taken out.
fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn by_when_date(text: &str) -> Option<Date> {
    use super::quarter::Quarter;
    // Words pasted from a committee paper keep its markup ("1 <sup>st</sup> April 2025").
    let t = strip_tags(text);
    let t = t.trim();
    if let Ok(d) = t.parse::<Date>() {
        return Some(d);
    }
    let words: Vec<String> =
        t.split(|c: char| c.is_whitespace() || c == ',').filter(|w| !w.is_empty()).map(|w| w.trim_end_matches('.').to_string()).collect();
    // dd/mm/yyyy
    if let [only] = words.as_slice() {
        let parts: Vec<&str> = only.split('/').collect();
        if let [d, m, y] = parts.as_slice()
            && let (Ok(d), Ok(m), Some(y)) = (d.parse::<i8>(), m.parse::<i8>(), four_digit_year(y))
        {
            return Date::new(y, m, d).ok();
        }
    }
    // "Q4 24/25", "Qtr 4, 24/25", "Quarter 4 2024/25"
    let quarter = words.iter().enumerate().find_map(|(i, w)| {
        let lower = w.to_lowercase();
        let digits = lower.trim_start_matches("quarter").trim_start_matches("qtr").trim_start_matches('q');
        let q = if digits.is_empty() { words.get(i + 1)?.parse::<i8>().ok()? } else { digits.parse::<i8>().ok()? };
        (lower.starts_with('q') && (1..=4).contains(&q)).then_some(q)
    });
    let fy = words.iter().find_map(|w| financial_year(w));
    if let (Some(q), Some(year)) = (quarter, fy) {
        return Some(Quarter { year, q }.end());
    }
    // "1st April 2025", "1 st April 2025"
    let days: Vec<String> = words.iter().filter(|w| !matches!(w.to_lowercase().as_str(), "st" | "nd" | "rd" | "th")).cloned().collect();
    for triple in days.windows(3) {
        let day = triple[0].trim_end_matches(|c: char| c.is_ascii_alphabetic());
        if let (Ok(dd), Some(m), Some(y)) = (day.parse::<i8>(), month_number(&triple[1]), four_digit_year(&triple[2])) {
            return Date::new(y, m, dd).ok();
        }
    }
    // "December 2027", "end of March 2026"
    for pair in words.windows(2) {
        if let (Some(m), Some(y)) = (month_number(&pair[0]), four_digit_year(&pair[1])) {
            return Date::new(y, m, 1).ok().map(|d| d.last_of_month());
        }
    }
    if let Some(year) = fy {
        return Some(Quarter::year_end(year));
    }
    None
}

/// The header of a plan, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanHeader {
    pub title: String,
    pub ambition: String,
    pub context: String,
    pub accountable_officer: String,
    pub lead: String,
    pub committee: String,
}

/// Longest narrative a field of the plan holds (`000`'s longest update is about 1,700 characters).
pub const MAX_NARRATIVE: usize = 10_000;
/// Longest short field (title, officer, committee, by when).
pub const MAX_SHORT: usize = 300;

pub(crate) fn short(errors: &mut FieldErrors, field: &str, label: &str, value: &str, required: bool) -> String {
    let v = value.trim();
    if required && v.is_empty() {
        errors.add(field, format!("Enter the {}", label.to_lowercase()));
    } else if v.chars().count() > MAX_SHORT {
        errors.add(field, format!("{label} must be {MAX_SHORT} characters or fewer"));
    }
    v.to_string()
}

pub(crate) fn narrative(errors: &mut FieldErrors, field: &str, label: &str, value: &str, required: bool) -> String {
    let v = value.trim();
    if required && v.is_empty() {
        errors.add(field, format!("Enter the {}", label.to_lowercase()));
    } else if v.chars().count() > MAX_NARRATIVE {
        errors.add(field, format!("{label} must be {MAX_NARRATIVE} characters or fewer"));
    }
    v.to_string()
}

impl PlanHeader {
    pub fn parse(
        title: &str,
        ambition: &str,
        context: &str,
        accountable_officer: &str,
        lead: &str,
        committee: &str,
    ) -> Result<PlanHeader, FieldErrors> {
        let mut e = FieldErrors::new();
        let h = PlanHeader {
            title: short(&mut e, "title", "Title", title, true),
            ambition: narrative(&mut e, "ambition", "Ambition", ambition, false),
            context: narrative(&mut e, "context", "Context", context, false),
            accountable_officer: short(&mut e, "accountable_officer", "Accountable officer", accountable_officer, false),
            lead: short(&mut e, "lead", "Lead", lead, false),
            committee: short(&mut e, "committee", "Committee", committee, false),
        };
        e.into_result(h)
    }
}

/// A theme (a sustainability indicator) or a milestone: one line of text.
pub fn parse_theme(title: &str) -> Result<String, FieldErrors> {
    let mut e = FieldErrors::new();
    let t = narrative(&mut e, "title", "Theme", title, true);
    e.into_result(t)
}

pub fn parse_milestone(action: &str) -> Result<String, FieldErrors> {
    let mut e = FieldErrors::new();
    let t = narrative(&mut e, "action", "Milestone or action", action, true);
    e.into_result(t)
}

/// One dated update of a milestone, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewUpdate {
    /// The day the update speaks for (normally a quarter's end).
    pub dated_on: Date,
    pub text: String,
    pub by_when: ByWhen,
    /// `None` only for imported words that state no status (kept as written).
    pub status: Option<PlanStatus>,
    /// The status words as the council wrote them, when imported.
    pub status_as_written: Option<String>,
    pub rag: Option<Rag>,
}

impl NewUpdate {
    /// An officer's update: a status from the list is required, RAG is optional, and an update
    /// cannot speak for a day after `today`.
    pub fn parse(
        dated_on: Option<Date>,
        text: &str,
        by_when: &str,
        status: &str,
        rag: &str,
        today: Date,
    ) -> Result<NewUpdate, FieldErrors> {
        let mut e = FieldErrors::new();
        match dated_on {
            None => e.add("dated_on", "Enter the date of the update"),
            Some(d) if d > today => e.add("dated_on", "The date of the update must be today or in the past"),
            Some(_) => {}
        }
        let text = narrative(&mut e, "update", "Update", text, true);
        let by_when = short(&mut e, "by_when", "By when", by_when, false);
        let status = match PlanStatus::parse(status) {
            Some(s) => Some(s),
            None => {
                e.add("status", "Select the status");
                None
            }
        };
        let rag = match rag.trim() {
            "" => None,
            r => match Rag::parse(r) {
                Some(r) => Some(r),
                None => {
                    e.add("rag", "Select red, amber, green or no RAG");
                    None
                }
            },
        };
        let Some(dated_on) = dated_on.filter(|_| e.is_empty()) else {
            return Err(e);
        };
        e.into_result(NewUpdate { dated_on, text, by_when: ByWhen::parse(&by_when), status, status_as_written: None, rag })
    }
}

/// An update as stored, for choosing which one stood on a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatedUpdate<'a> {
    pub dated_on: Date,
    /// When it was recorded (RFC 3339 text sorts in time order): a later correction of the
    /// same day's update wins.
    pub recorded_at: &'a str,
}

/// The update that stood at the end of `as_at`: the latest dated on or before it (ties go to the
/// one recorded last). Its index in `updates`, or `None` when none had been made by then.
pub fn standing_update(updates: &[DatedUpdate<'_>], as_at: Date) -> Option<usize> {
    updates
        .iter()
        .enumerate()
        .filter(|(_, u)| u.dated_on <= as_at)
        .max_by(|(_, a), (_, b)| (a.dated_on, a.recorded_at).cmp(&(b.dated_on, b.recorded_at)))
        .map(|(i, _)| i)
}

/// An update as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Update {
    pub id: String,
    pub dated_on: Date,
    pub text: String,
    pub by_when: ByWhen,
    pub status: Option<PlanStatus>,
    pub status_as_written: Option<String>,
    pub rag: Option<Rag>,
    pub recorded_by: String,
    pub recorded_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Milestone {
    pub id: String,
    pub action: String,
    pub added_on: Date,
    /// Every update, oldest first.
    pub updates: Vec<Update>,
}

impl Milestone {
    /// The update that stood at the end of `as_at`.
    pub fn standing(&self, as_at: Date) -> Option<&Update> {
        let dated: Vec<DatedUpdate<'_>> =
            self.updates.iter().map(|u| DatedUpdate { dated_on: u.dated_on, recorded_at: &u.recorded_at }).collect();
        standing_update(&dated, as_at).map(|i| &self.updates[i])
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Theme {
    pub id: String,
    pub title: String,
    pub milestones: Vec<Milestone>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub id: String,
    pub header: PlanHeader,
    pub created_at: String,
    pub updated_at: String,
    pub themes: Vec<Theme>,
}

/// A milestone and the update that stood at a date (none when none had been made by then).
pub type Standing<'a> = (&'a Milestone, Option<&'a Update>);

impl Plan {
    /// Milestones on the plan at the end of `as_at` (added on or before it), each with the
    /// update that stood then, by theme. Themes with no such milestone are left out.
    pub fn as_at(&self, as_at: Date) -> Vec<(&Theme, Vec<Standing<'_>>)> {
        self.themes
            .iter()
            .map(|t| (t, t.milestones.iter().filter(|m| m.added_on <= as_at).map(|m| (m, m.standing(as_at))).collect::<Vec<_>>()))
            .filter(|(_, ms)| !ms.is_empty())
            .collect()
    }

    /// How many milestones stood at each status at the end of `as_at`, in the list's order,
    /// then those with no status (no update yet, or words that state none).
    pub fn status_counts(&self, as_at: Date) -> Vec<(Option<PlanStatus>, usize)> {
        let standing: Vec<Option<PlanStatus>> =
            self.as_at(as_at).into_iter().flat_map(|(_, ms)| ms.into_iter().map(|(_, u)| u.and_then(|u| u.status))).collect();
        PlanStatus::ALL
            .into_iter()
            .map(Some)
            .chain([None])
            .map(|s| (s, standing.iter().filter(|x| **x == s).count()))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

/// One row of a delivery plan table as a council writes it (`000`'s columns: Theme / Indicator,
/// Milestone/action, Update, By when, RAG), mapped. The theme is blank on a row that continues
/// the theme above it, as in `000`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRow {
    pub row: u64,
    pub theme: String,
    pub milestone: String,
    pub update: String,
    pub by_when: ByWhen,
    pub status: Option<PlanStatus>,
    pub status_as_written: Option<String>,
    pub rag: Option<Rag>,
}

/// Map a table row's words. The status comes from the "RAG" column's words when they state
/// one, else from "By when" ("No Longer Required", "Completed"); a colour in the "RAG" column
/// is the RAG. `status_as_written` keeps the words the status was read from, or the "RAG"
/// column's words when nothing could be read (so an import can report them).
pub fn map_row(row: u64, theme: &str, milestone: &str, update: &str, by_when: &str, rag_column: &str) -> Result<PlanRow, FieldError> {
    let milestone = milestone.trim();
    if milestone.is_empty() {
        return Err(FieldError::new("milestone", format!("Row {row}: the milestone/action is blank")));
    }
    let rag_words = rag_column.trim();
    let rag = Rag::parse(&rag_words.to_lowercase());
    let (status, as_written) = if rag.is_some() {
        (PlanStatus::from_words(by_when), Some(by_when.trim()).filter(|s| !s.is_empty()))
    } else if let Some(s) = PlanStatus::from_words(rag_words) {
        (Some(s), Some(rag_words))
    } else if let Some(s) = PlanStatus::from_words(by_when) {
        (Some(s), Some(by_when.trim()))
    } else {
        (None, Some(rag_words).filter(|s| !s.is_empty()))
    };
    for (field, text) in [("milestone", milestone), ("update", update.trim())] {
        if text.chars().count() > MAX_NARRATIVE {
            return Err(FieldError::new(field, format!("Row {row}: the {field} is longer than {MAX_NARRATIVE} characters")));
        }
    }
    Ok(PlanRow {
        row,
        theme: theme.trim().to_string(),
        milestone: milestone.to_string(),
        update: update.trim().to_string(),
        by_when: ByWhen::parse(by_when),
        status,
        status_as_written: as_written.map(str::to_string),
        rag,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i16, m: i8, dd: i8) -> Date {
        Date::new(y, m, dd).unwrap()
    }

    #[test]
    fn by_when_keeps_the_words_and_reads_the_date_they_name() {
        assert_eq!(ByWhen::parse("December 2027").date, Some(d(2027, 12, 31)));
        assert_eq!(ByWhen::parse("December 2025").date, Some(d(2025, 12, 31)));
        assert_eq!(ByWhen::parse("24/25 Priority").date, Some(d(2025, 3, 31)));
        assert_eq!(ByWhen::parse("Qtr 4, 24/25").date, Some(d(2025, 3, 31)));
        assert_eq!(ByWhen::parse("Q2 2025/26").date, Some(d(2025, 9, 30)));
        assert_eq!(ByWhen::parse("end of Feb 2026").date, Some(d(2026, 2, 28)));
        assert_eq!(ByWhen::parse("31/01/2025").date, Some(d(2025, 1, 31)));
        assert_eq!(ByWhen::parse("2025-06-30").date, Some(d(2025, 6, 30)));
        assert_eq!(ByWhen::parse("1 <sup>st</sup> April 2025").date, Some(d(2025, 4, 1)));
        assert_eq!(ByWhen::parse("1 <sup>st</sup> April 2025").text, "1 <sup>st</sup> April 2025");
        assert_eq!(ByWhen::parse("22nd May 2026").date, Some(d(2026, 5, 22)));
        for words in ["Completed", "No Longer Required", "Ongoing", "", "May"] {
            assert_eq!(ByWhen::parse(words).date, None, "{words}");
        }
        assert_eq!(ByWhen::parse(" 24/25 Priority ").text, "24/25 Priority");
    }

    #[test]
    fn the_seed_status_words_map_to_the_list() {
        // Every word `000`'s "RAG" and "By when" columns use.
        let cases = [
            ("COMPLETE", Some(PlanStatus::Complete)),
            ("COMPLETED", Some(PlanStatus::Complete)),
            ("Completed", Some(PlanStatus::Complete)),
            ("IN DELIVERY", Some(PlanStatus::InDelivery)),
            ("Delivery priority for 24/25.", Some(PlanStatus::Priority)),
            ("Priority for 24/25", Some(PlanStatus::Priority)),
            ("24/25 Priority", Some(PlanStatus::Priority)),
            ("No Longer Required", Some(PlanStatus::NoLongerRequired)),
            ("December 2025", None),
            ("", None),
            ("Gud", None),
        ];
        for (words, want) in cases {
            assert_eq!(PlanStatus::from_words(words), want, "{words}");
        }
    }

    #[test]
    fn a_row_takes_its_status_from_rag_words_then_by_when() {
        let r = map_row(3, "", "Engagement programme", "Reforms postponed", "No Longer Required", "").unwrap();
        assert_eq!(r.status, Some(PlanStatus::NoLongerRequired));
        assert_eq!(r.status_as_written.as_deref(), Some("No Longer Required"));
        assert_eq!(r.by_when.date, None);
        let r = map_row(4, "", "Cost of care", "Care Cubed", "24/25 Priority", "IN DELIVERY").unwrap();
        assert_eq!((r.status, r.by_when.date), (Some(PlanStatus::InDelivery), Some(d(2025, 3, 31))));
        let r = map_row(5, "", "Care suites", "", "December 2025", "Red").unwrap();
        assert_eq!((r.status, r.rag), (None, Some(Rag::Red)));
        let r = map_row(6, "", "Odd", "", "December 2025", "Sort of").unwrap();
        assert_eq!((r.status, r.status_as_written.as_deref()), (None, Some("Sort of")));
        assert!(map_row(7, "Theme", " ", "", "", "").is_err());
    }

    #[test]
    fn the_update_that_stood_at_a_date_is_the_latest_made_by_then() {
        let u = [
            DatedUpdate { dated_on: d(2024, 6, 30), recorded_at: "2024-07-02T10:00:00Z" },
            DatedUpdate { dated_on: d(2024, 9, 30), recorded_at: "2024-10-01T10:00:00Z" },
            DatedUpdate { dated_on: d(2024, 9, 30), recorded_at: "2024-10-05T10:00:00Z" },
            DatedUpdate { dated_on: d(2024, 12, 31), recorded_at: "2025-01-03T10:00:00Z" },
        ];
        assert_eq!(standing_update(&u, d(2024, 5, 1)), None);
        assert_eq!(standing_update(&u, d(2024, 6, 30)), Some(0));
        assert_eq!(standing_update(&u, d(2024, 11, 1)), Some(2));
        assert_eq!(standing_update(&u, d(2026, 1, 1)), Some(3));
    }

    fn update(id: &str, dated_on: Date, status: Option<PlanStatus>) -> Update {
        Update {
            id: id.into(),
            dated_on,
            text: format!("update {id}"),
            by_when: ByWhen::parse(""),
            status,
            status_as_written: None,
            rag: None,
            recorded_by: "officer".into(),
            recorded_at: format!("{dated_on}T12:00:00Z"),
        }
    }

    #[test]
    fn a_plan_reads_as_it_stood_at_a_date() {
        let m = |id: &str, added_on, updates| Milestone { id: id.into(), action: id.into(), added_on, updates };
        let plan = Plan {
            id: "p".into(),
            header: PlanHeader::parse("Plan", "", "", "", "", "").unwrap(),
            created_at: String::new(),
            updated_at: String::new(),
            themes: vec![
                Theme {
                    id: "t1".into(),
                    title: "Sufficient supply".into(),
                    milestones: vec![
                        m(
                            "a",
                            d(2024, 4, 1),
                            vec![
                                update("a1", d(2024, 6, 30), Some(PlanStatus::InDelivery)),
                                update("a2", d(2024, 12, 31), Some(PlanStatus::Complete)),
                            ],
                        ),
                        m("b", d(2024, 10, 1), vec![update("b1", d(2024, 12, 31), Some(PlanStatus::InDelivery))]),
                    ],
                },
                Theme { id: "t2".into(), title: "Workforce".into(), milestones: vec![m("c", d(2024, 4, 1), vec![])] },
            ],
        };
        let q2 = plan.as_at(d(2024, 9, 30));
        assert_eq!(q2.len(), 2);
        assert_eq!(q2[0].1.len(), 1, "b was added after Q2");
        assert_eq!(q2[0].1[0].1.map(|u| u.id.as_str()), Some("a1"));
        assert_eq!(plan.status_counts(d(2024, 9, 30)), [(Some(PlanStatus::InDelivery), 1), (None, 1)]);
        assert_eq!(plan.status_counts(d(2024, 12, 31)), [(Some(PlanStatus::InDelivery), 1), (Some(PlanStatus::Complete), 1), (None, 1)]);
    }

    #[test]
    fn an_officers_update_is_checked() {
        let today = d(2024, 12, 31);
        let ok = NewUpdate::parse(Some(today), "Tender awarded", "December 2025", "in_delivery", "", today).unwrap();
        assert_eq!((ok.status, ok.rag, ok.by_when.date), (Some(PlanStatus::InDelivery), None, Some(d(2025, 12, 31))));
        let err = NewUpdate::parse(Some(d(2025, 1, 1)), "", "", "", "pink", today).unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["dated_on", "update", "status", "rag"]);
        let err = NewUpdate::parse(None, "x", "", "complete", "green", today).unwrap_err();
        assert_eq!(err.0[0].message, "Enter the date of the update");
    }
}
