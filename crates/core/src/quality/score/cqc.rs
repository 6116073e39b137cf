//! The CQC part of the score's inputs: which report is in force on a date, how long ago it was
//! published, and whether the overall rating fell within [`FALL_WINDOW_DAYS`].

use super::{DEFAULT_LOW_OCCUPANCY_PERCENT, FALL_WINDOW_DAYS, ScoreInputs};
use crate::Date;
use crate::register::{ChangeDirection, Published, Rating, changes_in};
use serde::Serialize;

/// One published CQC report: its date and the ratings the score uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RatedReport {
    pub report_date: Date,
    pub overall: Option<Rating>,
    pub safe: Option<Rating>,
    pub well_led: Option<Rating>,
}

/// The CQC part of the inputs as known on `on`, from a service's reports in any order: the
/// latest report on or before `on` is in force (reports with no overall grade, such as
/// "Inspected but not rated", count as inspections but leave the grades in force); a fall is the
/// latest change between consecutive overall grades published within [`FALL_WINDOW_DAYS`] before
/// `on` that went down. Reports after `on` are ignored.
pub fn cqc_inputs(reports: &[RatedReport], on: Date) -> ScoreInputs {
    let mut known: Vec<&RatedReport> = reports.iter().filter(|r| r.report_date <= on).collect();
    known.sort_by_key(|r| r.report_date);
    let mut out = ScoreInputs { low_occupancy_percent: DEFAULT_LOW_OCCUPANCY_PERCENT, ..Default::default() };
    let Some(last) = known.last() else {
        return out;
    };
    out.days_since_inspection = Some(last.report_date.until(on).map(|s| i64::from(s.get_days())).unwrap_or(0));
    let graded: Vec<&&RatedReport> = known.iter().filter(|r| r.overall.is_some_and(Rating::is_grade)).collect();
    if let Some(g) = graded.last() {
        out.overall = g.overall;
        out.safe = g.safe;
        out.well_led = g.well_led;
    }
    let fall_from = on.checked_sub(jiff::Span::new().days(FALL_WINDOW_DAYS)).unwrap_or(on);
    // A fall is a change of rating as the register defines it (`register::history`: between
    // grades, non-ratings passed over) that went down.
    let history: Vec<Published> = known.iter().map(|r| Published { report_date: Some(r.report_date), overall: r.overall }).collect();
    for (date, change) in changes_in(&history) {
        if date.is_some_and(|d| d > fall_from) && change.direction() == ChangeDirection::Fell {
            out.rating_fall = Some((change.from, change.to));
        }
    }
    out
}
