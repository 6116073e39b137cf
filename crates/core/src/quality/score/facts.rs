//! From the facts the council holds about a service on a date to the score's inputs: which
//! records count in the window, which complaint count is used, what a service's size is, and how
//! rates are rounded. The store loads the facts ([`ScoreFacts`]); everything decided about them
//! is here, so `docs/early-warning.md` has one place to point at.

use super::{DEFAULT_LOW_OCCUPANCY_PERCENT, RatedReport, ScoreInputs, WINDOW_DAYS, cqc_inputs};
use crate::Date;
use crate::quality::signals::month_of;
use crate::quality::{EscalationLevel, Rag, SignalKind, whole_percent};
use crate::register::ServiceKind;

/// `d` less `n` days (the earliest date when that would fall off the calendar).
fn minus_days(d: Date, n: i64) -> Date {
    d.checked_sub(jiff::Span::new().days(n)).unwrap_or(d)
}

/// Signals count when they occurred after the first date and on or before the second: the
/// [`WINDOW_DAYS`] days up to and including `on`.
pub fn signal_window(on: Date) -> (Date, Date) {
    (minus_days(on, WINDOW_DAYS), on)
}

/// Whether a monthly return for `month` ("YYYY-MM") counts in the window ending `on`: its month
/// starts inside the window and is not after `on`'s month.
pub fn return_in_window(month: &str, on: Date) -> bool {
    let start = minus_days(on, WINDOW_DAYS - 1);
    let first_month = month_of(start);
    month <= month_of(on).as_str() && (month > first_month.as_str() || (month == first_month && start.day() == 1))
}

/// What the council holds about one service on the date scored, as loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreFacts {
    pub kind: ServiceKind,
    /// Registered beds, when known.
    pub beds: Option<i64>,
    /// People supported in the latest weekly activity return on or before the date.
    pub people_supported: Option<i64>,
    /// Beds occupied and vacant in the latest vacancy return on or before the date.
    pub occupancy: Option<(i64, i64)>,
    /// Published CQC reports (any order; those after the date are ignored).
    pub reports: Vec<RatedReport>,
    /// The rating the register holds, used as one report when there is no history (ratings
    /// entered before history was kept).
    pub register_rating: Option<RatedReport>,
    /// The latest RAG and escalation decisions on or before the date.
    pub rag: Option<Rag>,
    pub escalation: Option<EscalationLevel>,
    /// Actions not accepted, due before the date and raised on or before it.
    pub open_overdue_actions: i64,
    /// Signals logged in the [`signal_window`], by kind.
    pub signals: Vec<(SignalKind, i64)>,
    /// Complaints in monthly returns that count in the window ([`return_in_window`]).
    pub complaints_returned: i64,
    /// Staff in post and vacancies in the latest monthly return.
    pub staffing: Option<(Option<i64>, Option<i64>)>,
    /// The council's low-occupancy threshold, when it has set one.
    pub low_occupancy_setting: Option<i64>,
}

impl ScoreFacts {
    /// Signals of one kind in the window.
    pub fn count(&self, kind: SignalKind) -> i64 {
        self.signals.iter().filter(|(k, _)| *k == kind).map(|(_, n)| n).sum()
    }

    /// Complaints logged by officers in the window.
    pub fn complaints_logged(&self) -> i64 {
        self.count(SignalKind::Complaint)
    }

    /// The score's inputs as at `on`.
    ///
    /// - Complaints: the larger of those logged by officers and those in monthly returns, never
    ///   their sum (a complaint made to the council is logged and usually also returned).
    /// - Size: a care home's beds; otherwise people supported, or beds when no activity return.
    /// - Occupancy: care homes only, from the latest vacancy return.
    /// - Rates: whole percentages rounded half up ([`whole_percent`]).
    pub fn inputs(&self, on: Date) -> ScoreInputs {
        let history: Vec<RatedReport> = if self.reports.is_empty() {
            self.register_rating.iter().filter(|r| r.report_date <= on).copied().collect()
        } else {
            self.reports.clone()
        };
        let mut inputs = cqc_inputs(&history, on);
        let care_home = self.kind.is_care_home();
        inputs.rag = self.rag;
        inputs.escalation = self.escalation;
        inputs.open_overdue_actions = self.open_overdue_actions;
        inputs.complaints = self.complaints_logged().max(self.complaints_returned);
        inputs.safeguarding = self.count(SignalKind::Safeguarding);
        inputs.concerns = self.count(SignalKind::Whistleblowing) + self.count(SignalKind::EarlyIndicator);
        inputs.incidents = self.count(SignalKind::NotifiableIncident);
        inputs.size = if care_home { self.beds } else { self.people_supported.or(self.beds) }.filter(|n| *n > 0);
        inputs.occupancy_percent = if care_home { self.occupancy.and_then(|(o, v)| whole_percent(o, o + v)) } else { None };
        inputs.low_occupancy_percent = self.low_occupancy_setting.unwrap_or(DEFAULT_LOW_OCCUPANCY_PERCENT);
        inputs.vacancy_rate_percent = self.staffing.and_then(|(p, v)| crate::quality::returns::vacancy_rate(p, v));
        inputs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::register::Rating;
    use jiff::civil::date;

    fn facts(kind: ServiceKind) -> ScoreFacts {
        ScoreFacts {
            kind,
            beds: Some(40),
            people_supported: Some(25),
            occupancy: Some((30, 10)),
            reports: Vec::new(),
            register_rating: None,
            rag: Some(Rag::Amber),
            escalation: None,
            open_overdue_actions: 2,
            signals: vec![
                (SignalKind::Complaint, 3),
                (SignalKind::Safeguarding, 1),
                (SignalKind::Whistleblowing, 1),
                (SignalKind::EarlyIndicator, 2),
                (SignalKind::NotifiableIncident, 4),
            ],
            complaints_returned: 5,
            staffing: Some((Some(37), Some(3))),
            low_occupancy_setting: None,
        }
    }

    #[test]
    fn complaints_are_the_larger_count_never_the_sum() {
        let on = date(2025, 6, 30);
        let f = facts(ServiceKind::CareHomeResidential);
        assert_eq!(f.inputs(on).complaints, f.complaints_logged().max(f.complaints_returned));
        assert_eq!(f.inputs(on).complaints, 5);
        let fewer_returned = ScoreFacts { complaints_returned: 1, ..f };
        assert_eq!(fewer_returned.inputs(on).complaints, 3);
    }

    #[test]
    fn signal_counts_and_staffing_feed_their_inputs() {
        let f = facts(ServiceKind::CareHomeResidential);
        let i = f.inputs(date(2025, 6, 30));
        assert_eq!((i.safeguarding, i.concerns, i.incidents), (1, 1 + 2, 4));
        assert_eq!((i.rag, i.open_overdue_actions), (Some(Rag::Amber), 2));
        let (in_post, vacant) = (37, 3);
        assert_eq!(i.vacancy_rate_percent, Some((vacant * 100 + (in_post + vacant) / 2) / (in_post + vacant)));
        assert_eq!(i.low_occupancy_percent, DEFAULT_LOW_OCCUPANCY_PERCENT);
        let set = ScoreFacts { low_occupancy_setting: Some(70), staffing: Some((Some(5), None)), ..f };
        let i = set.inputs(date(2025, 6, 30));
        assert_eq!((i.low_occupancy_percent, i.vacancy_rate_percent), (70, None));
    }

    #[test]
    fn a_care_home_is_sized_by_beds_and_has_occupancy_others_by_people_supported() {
        let on = date(2025, 6, 30);
        let home = facts(ServiceKind::CareHomeNursing).inputs(on);
        let (occupied, vacant) = (30, 10);
        assert_eq!(home.size, Some(40));
        assert_eq!(home.occupancy_percent, Some((occupied * 100 + (occupied + vacant) / 2) / (occupied + vacant)));
        let home_care = facts(ServiceKind::HomeCare).inputs(on);
        assert_eq!((home_care.size, home_care.occupancy_percent), (Some(25), None));
        let no_return = ScoreFacts { people_supported: None, ..facts(ServiceKind::HomeCare) }.inputs(on);
        assert_eq!(no_return.size, Some(40), "beds when there is no activity return");
        let unknown = ScoreFacts { beds: Some(0), ..facts(ServiceKind::CareHomeResidential) }.inputs(on);
        assert_eq!(unknown.size, None, "0 places is unknown");
    }

    #[test]
    fn the_register_rating_stands_in_for_a_missing_history() {
        let on = date(2025, 6, 30);
        let rated = RatedReport {
            report_date: date(2024, 6, 30),
            overall: Some(Rating::RequiresImprovement),
            safe: Some(Rating::Inadequate),
            well_led: None,
        };
        let f = ScoreFacts { register_rating: Some(rated), ..facts(ServiceKind::CareHomeResidential) };
        let i = f.inputs(on);
        assert_eq!((i.overall, i.safe, i.days_since_inspection), (Some(Rating::RequiresImprovement), Some(Rating::Inadequate), Some(365)));
        let later = ScoreFacts { register_rating: Some(RatedReport { report_date: date(2025, 7, 1), ..rated }), ..f.clone() };
        assert_eq!(later.inputs(on).overall, None, "a rating published after the date is not known on it");
        let with_history = ScoreFacts { reports: vec![RatedReport { overall: Some(Rating::Good), ..rated }], ..f };
        assert_eq!(with_history.inputs(on).overall, Some(Rating::Good), "history, when kept, wins");
    }

    #[test]
    fn the_window_for_signals_and_returns() {
        let on = date(2025, 6, 30);
        assert_eq!(signal_window(on), (date(2025, 4, 1), on));
        // The window's first day is 2 April: April's return starts before it.
        assert!(!return_in_window("2025-04", on));
        assert!(return_in_window("2025-05", on) && return_in_window("2025-06", on));
        assert!(!return_in_window("2025-07", on));
        // Ending 30 June 2025 minus 89 days is 2 April; ending 29 June, 1 April: April counts.
        assert!(return_in_window("2025-04", date(2025, 6, 29)));
    }
}
