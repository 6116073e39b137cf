//! Care home returns as the NHS Capacity Tracker runs them (issue 16 item 15): a return window
//! each week, homes closed to admissions, and the homes that missed the window.
//!
//! The window is the council's choice (settings): each week runs Monday to Sunday and a home's
//! vacancy return is due by the end of the window's closing day. A return dated on any day from
//! that Monday to the closing day counts for the week; one dated later in the same week is late.
//! A home closed to admissions takes no new placements, whatever its vacancies say: it drops
//! out of the bed finder and is shown as closed on the occupancy page until it reopens.

use crate::{Date, FieldErrors, limits};
use jiff::civil::Weekday;
use serde::{Deserialize, Serialize};

/// The weekdays a window may close on, as stored in settings and shown to officers.
pub const WEEKDAYS: [(&str, &str, Weekday); 7] = [
    ("monday", "Monday", Weekday::Monday),
    ("tuesday", "Tuesday", Weekday::Tuesday),
    ("wednesday", "Wednesday", Weekday::Wednesday),
    ("thursday", "Thursday", Weekday::Thursday),
    ("friday", "Friday", Weekday::Friday),
    ("saturday", "Saturday", Weekday::Saturday),
    ("sunday", "Sunday", Weekday::Sunday),
];

/// The weekday named in settings ("wednesday"); `None` for anything else.
pub fn weekday(name: &str) -> Option<Weekday> {
    WEEKDAYS.iter().find(|(n, _, _)| n.eq_ignore_ascii_case(name.trim())).map(|(_, _, d)| *d)
}

pub fn weekday_label(d: Weekday) -> &'static str {
    WEEKDAYS.iter().find(|(_, _, w)| *w == d).map(|(_, l, _)| *l).unwrap_or("Wednesday")
}

/// One week's return window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReturnWindow {
    /// The Monday the week (and the window) starts.
    pub opens: Date,
    /// The last day a return counts as on time.
    pub closes: Date,
    /// The Sunday the week ends.
    pub week_ends: Date,
}

impl ReturnWindow {
    /// The window of the week (Monday to Sunday) that holds `day`, closing on `closes_on`.
    pub fn of_week(day: Date, closes_on: Weekday) -> ReturnWindow {
        let back = i64::from(day.weekday().to_monday_zero_offset());
        let opens = add_days(day, -back);
        ReturnWindow { opens, closes: add_days(opens, i64::from(closes_on.to_monday_zero_offset())), week_ends: add_days(opens, 6) }
    }

    /// The latest window that has closed by `today` (this week's once its closing day is over,
    /// else last week's): the one whose missing returns are chased.
    pub fn latest_closed(today: Date, closes_on: Weekday) -> ReturnWindow {
        let this = ReturnWindow::of_week(today, closes_on);
        if today > this.closes { this } else { ReturnWindow::of_week(add_days(this.opens, -7), closes_on) }
    }

    pub fn previous(&self) -> ReturnWindow {
        ReturnWindow::of_week(add_days(self.opens, -7), self.closes.weekday())
    }

    pub fn next(&self) -> ReturnWindow {
        ReturnWindow::of_week(add_days(self.opens, 7), self.closes.weekday())
    }

    /// How a home stands in this window, from the dates of its returns, on `today`.
    pub fn status(&self, return_dates: &[Date], today: Date) -> WindowStatus {
        if let Some(d) = return_dates.iter().filter(|d| **d >= self.opens && **d <= self.closes).max() {
            return WindowStatus::OnTime(*d);
        }
        if let Some(d) = return_dates.iter().filter(|d| **d > self.closes && **d <= self.week_ends).min() {
            return WindowStatus::Late(*d);
        }
        if today <= self.closes { WindowStatus::Due } else { WindowStatus::Missed }
    }
}

/// A home's standing in one week's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum WindowStatus {
    /// Returned in the window, on this date (the latest in it).
    OnTime(Date),
    /// Returned after the window closed but in the same week, on this date (the first).
    Late(Date),
    /// The window is still open and nothing has come in yet.
    Due,
    /// The window closed with no return.
    Missed,
}

impl WindowStatus {
    /// Chased from the list: the window closed and nothing has come in that week. A late
    /// return has come in, so there is nothing to chase.
    pub fn needs_chasing(self) -> bool {
        self == WindowStatus::Missed
    }
    pub fn label(self) -> &'static str {
        match self {
            WindowStatus::OnTime(_) => "Returned",
            WindowStatus::Late(_) => "Returned late",
            WindowStatus::Due => "Due",
            WindowStatus::Missed => "Missed",
        }
    }
}

fn add_days(d: Date, n: i64) -> Date {
    d.checked_add(jiff::Span::new().days(n)).unwrap_or(d)
}

/// Why a home has closed to admissions, as the Capacity Tracker asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdmissionClosureReason {
    InfectionOutbreak,
    Staffing,
    BuildingWork,
    Regulatory,
    Other,
}

impl AdmissionClosureReason {
    pub const ALL: [AdmissionClosureReason; 5] = [
        AdmissionClosureReason::InfectionOutbreak,
        AdmissionClosureReason::Staffing,
        AdmissionClosureReason::BuildingWork,
        AdmissionClosureReason::Regulatory,
        AdmissionClosureReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AdmissionClosureReason::InfectionOutbreak => "infection_outbreak",
            AdmissionClosureReason::Staffing => "staffing",
            AdmissionClosureReason::BuildingWork => "building_work",
            AdmissionClosureReason::Regulatory => "regulatory",
            AdmissionClosureReason::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AdmissionClosureReason::InfectionOutbreak => "Infection outbreak",
            AdmissionClosureReason::Staffing => "Not enough staff",
            AdmissionClosureReason::BuildingWork => "Building work or refurbishment",
            AdmissionClosureReason::Regulatory => "Regulatory action",
            AdmissionClosureReason::Other => "Other",
        }
    }

    pub fn hint(self) -> &'static str {
        match self {
            AdmissionClosureReason::InfectionOutbreak => "For example COVID-19, norovirus or flu, on public health advice",
            AdmissionClosureReason::Staffing => "Too few staff to admit safely",
            AdmissionClosureReason::BuildingWork => "Rooms or services out of use while work is done",
            AdmissionClosureReason::Regulatory => "A CQC condition, notice or the council's embargo",
            AdmissionClosureReason::Other => "Explain in the note",
        }
    }

    pub fn parse(s: &str) -> Option<AdmissionClosureReason> {
        AdmissionClosureReason::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }
}

impl std::str::FromStr for AdmissionClosureReason {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        AdmissionClosureReason::parse(s).ok_or(())
    }
}

/// A home closed to admissions, as a provider or an officer records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAdmissionClosure {
    pub service_id: String,
    pub reason: AdmissionClosureReason,
    pub note: Option<String>,
    pub closed_on: Date,
    /// When the home expects to admit again, if it knows.
    pub expected_reopening: Option<Date>,
}

/// What was submitted. Dates that could not be read are the caller's messages, recorded on the
/// errors before this is checked (as a GOV.UK date input reports them).
#[derive(Debug, Clone, Default)]
pub struct AdmissionClosureForm<'a> {
    pub service_id: &'a str,
    pub reason: &'a str,
    pub note: &'a str,
    pub closed_on: Option<Date>,
    pub expected_reopening: Option<Date>,
}

/// How far ahead a closure may be recorded: a planned closure (building work) is known weeks
/// ahead; months ahead is a mistyped year.
pub const MAX_DAYS_AHEAD: i64 = 90;

impl NewAdmissionClosure {
    /// Every failure at once, on `service_id`, `reason`, `note`, `closed_on` and
    /// `expected_reopening`; `errors` may already hold the date inputs' own failures.
    pub fn parse(form: AdmissionClosureForm<'_>, today: Date, mut errors: FieldErrors) -> Result<NewAdmissionClosure, FieldErrors> {
        if form.service_id.trim().is_empty() {
            errors.add("service_id", "Choose the care home");
        }
        let reason = AdmissionClosureReason::parse(form.reason);
        if reason.is_none() {
            errors.add("reason", "Select why the home is closed to admissions");
        }
        let note = form.note.trim();
        if let Err(e) = limits::check_text("note", "Note", note, limits::NOTES_CHARS) {
            errors.add(e.field, e.message);
        }
        if reason == Some(AdmissionClosureReason::Other) && note.is_empty() {
            errors.add("note", "Say why the home is closed to admissions, as the reason is \u{2018}Other\u{2019}");
        }
        match form.closed_on {
            None => errors.add("closed_on", "Enter the date the home closed to admissions"),
            Some(d) if d > add_days(today, MAX_DAYS_AHEAD) => {
                errors.add("closed_on", format!("The date the home closes to admissions must be within {MAX_DAYS_AHEAD} days from today"))
            }
            Some(_) => {}
        }
        if let (Some(c), Some(r)) = (form.closed_on, form.expected_reopening)
            && r <= c
        {
            errors.add("expected_reopening", "The expected reopening date must be after the date the home closed to admissions");
        }
        match (reason, form.closed_on) {
            (Some(reason), Some(closed_on)) if errors.is_empty() => Ok(NewAdmissionClosure {
                service_id: form.service_id.trim().to_string(),
                reason,
                note: Some(note.to_string()).filter(|n| !n.is_empty()),
                closed_on,
                expected_reopening: form.expected_reopening,
            }),
            _ => Err(errors),
        }
    }
}

/// A closure is in force on `day` from the day it closed until (not including) the day it
/// reopened. The expected reopening date is what the home said, not a reopening: the home is
/// closed until someone says it has reopened.
pub fn closed_on_day(closed_on: Date, reopened_on: Option<Date>, day: Date) -> bool {
    closed_on <= day && reopened_on.is_none_or(|r| day < r)
}

/// Reopening: on or after the closing day, and not in the future.
pub fn check_reopening(closed_on: Date, reopened_on: Date, today: Date) -> Result<(), crate::FieldError> {
    if reopened_on < closed_on {
        Err(crate::FieldError::new("reopened_on", "The date the home reopened must be on or after the date it closed to admissions"))
    } else if reopened_on > today {
        Err(crate::FieldError::new("reopened_on", "The date the home reopened must be today or in the past"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_window_runs_from_monday_to_the_closing_day() {
        // 4 December 2026 is a Friday; its week starts Monday 30 November.
        let w = ReturnWindow::of_week(date(2026, 12, 4), Weekday::Wednesday);
        assert_eq!((w.opens, w.closes, w.week_ends), (date(2026, 11, 30), date(2026, 12, 2), date(2026, 12, 6)));
        // A Sunday is the last day of its week, not the first of the next.
        assert_eq!(ReturnWindow::of_week(date(2026, 12, 6), Weekday::Wednesday).opens, date(2026, 11, 30));
        assert_eq!(ReturnWindow::of_week(date(2026, 12, 7), Weekday::Monday).closes, date(2026, 12, 7));
        assert_eq!(w.next().opens, date(2026, 12, 7));
        assert_eq!(w.previous().closes, date(2026, 11, 25));
    }

    #[test]
    fn the_window_chased_is_the_latest_to_have_closed() {
        // On the closing day itself the window is still open: last week's is the one chased.
        assert_eq!(ReturnWindow::latest_closed(date(2026, 12, 2), Weekday::Wednesday).opens, date(2026, 11, 23));
        assert_eq!(ReturnWindow::latest_closed(date(2026, 12, 3), Weekday::Wednesday).opens, date(2026, 11, 30));
        // A window closing on Sunday is only over the next week.
        assert_eq!(ReturnWindow::latest_closed(date(2026, 12, 6), Weekday::Sunday).opens, date(2026, 11, 23));
    }

    #[test]
    fn a_homes_standing_in_the_window() {
        let w = ReturnWindow::of_week(date(2026, 12, 4), Weekday::Wednesday);
        let today = date(2026, 12, 4);
        assert_eq!(w.status(&[date(2026, 11, 30), date(2026, 12, 2)], today), WindowStatus::OnTime(date(2026, 12, 2)));
        assert_eq!(w.status(&[date(2026, 12, 3), date(2026, 12, 4)], today), WindowStatus::Late(date(2026, 12, 3)));
        // Last week's return does not count for this week, nor next Monday's.
        assert_eq!(w.status(&[date(2026, 11, 29), date(2026, 12, 7)], today), WindowStatus::Missed);
        assert_eq!(w.status(&[], date(2026, 12, 2)), WindowStatus::Due);
        assert!(WindowStatus::Missed.needs_chasing());
        assert!(!WindowStatus::Late(today).needs_chasing() && !WindowStatus::Due.needs_chasing());
        assert!(!WindowStatus::OnTime(today).needs_chasing());
    }

    #[test]
    fn weekdays_from_settings() {
        assert_eq!(weekday("Wednesday"), Some(Weekday::Wednesday));
        assert_eq!(weekday("midweek"), None);
        assert_eq!(weekday_label(Weekday::Friday), "Friday");
    }

    fn form<'a>(reason: &'a str, note: &'a str, closed: Option<Date>, reopen: Option<Date>) -> AdmissionClosureForm<'a> {
        AdmissionClosureForm { service_id: "s1", reason, note, closed_on: closed, expected_reopening: reopen }
    }

    #[test]
    fn a_closure_names_each_field_that_is_wrong() {
        let today = date(2026, 12, 4);
        let ok = NewAdmissionClosure::parse(form("staffing", " ", Some(today), None), today, FieldErrors::new()).expect("valid");
        assert_eq!((ok.reason, ok.note), (AdmissionClosureReason::Staffing, None));
        let e = NewAdmissionClosure::parse(form("", "", None, None), today, FieldErrors::new()).expect_err("invalid");
        let fields: Vec<&str> = e.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["reason", "closed_on"]);
        let e = NewAdmissionClosure::parse(form("other", "", Some(today), Some(today)), today, FieldErrors::new()).expect_err("invalid");
        let fields: Vec<&str> = e.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["note", "expected_reopening"]);
        let e = NewAdmissionClosure::parse(form("staffing", "", Some(date(2027, 12, 4)), None), today, FieldErrors::new())
            .expect_err("too far ahead");
        assert_eq!(e.0[0].message, "The date the home closes to admissions must be within 90 days from today");
    }

    #[test]
    fn closed_from_the_closing_day_until_the_day_it_reopened() {
        let (c, r) = (date(2026, 11, 1), date(2026, 11, 10));
        assert!(!closed_on_day(c, Some(r), date(2026, 10, 31)));
        assert!(closed_on_day(c, Some(r), c));
        assert!(closed_on_day(c, Some(r), date(2026, 11, 9)));
        assert!(!closed_on_day(c, Some(r), r));
        assert!(closed_on_day(c, None, date(2030, 1, 1)));
        assert!(check_reopening(c, date(2026, 10, 31), date(2026, 12, 4)).is_err());
        assert!(check_reopening(c, date(2026, 12, 5), date(2026, 12, 4)).is_err());
        assert!(check_reopening(c, c, date(2026, 12, 4)).is_ok());
    }
}
