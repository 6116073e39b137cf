//! Provider monthly returns (Stockton's monthly performance dashboard, `002` rec 4): complaints
//! and staffing for one service and month. What a return must say, and the rates shown with it.

use super::RowProblem;
use super::whole_percent;
use crate::{Date, FieldError};
use serde::Serialize;

/// One month's return for one service, as entered (before checking).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NewMonthlyReturn {
    pub service_id: String,
    /// "YYYY-MM".
    pub month: String,
    pub complaints: i64,
    pub complaints_via_council: i64,
    pub complaints_resolved_in_house: i64,
    pub staff_in_post: Option<i64>,
    pub staff_vacancies: Option<i64>,
    pub staff_leavers: Option<i64>,
    pub agency_hours: Option<i64>,
}

/// The columns of a returns upload, matched case-insensitively.
pub const COLUMNS: [&str; 10] = [
    "cqc_location_id",
    "service_id",
    "month",
    "complaints",
    "complaints_via_council",
    "complaints_resolved_in_house",
    "staff_in_post",
    "staff_vacancies",
    "staff_leavers",
    "agency_hours",
];

/// Parse "YYYY-MM" (also "YYYY-MM-DD", taking its month).
pub fn parse_month(s: &str) -> Option<Date> {
    let s = s.trim();
    let ym = s.get(..7)?;
    if s.len() != 7 && s.len() != 10 {
        return None;
    }
    let (y, m) = ym.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    Date::new(y.parse().ok()?, m.parse().ok()?, 1).ok()
}

impl NewMonthlyReturn {
    /// Check a return sent on `today`: a month not in the future, no negative numbers, and no
    /// more complaints via the council and resolved in house than complaints. The first problem
    /// names its column (`field`) with a message that reads after the column's name; the
    /// normalised month ("YYYY-MM") when there is none.
    pub fn check(&self, today: Date) -> Result<String, FieldError> {
        let bad = |f: &str, m: &str| Err(FieldError::new(f, m));
        let Some(month) = parse_month(&self.month) else {
            return bad("month", "must be a month like 2024-11");
        };
        if month > today.first_of_month() {
            return bad("month", "must not be in the future");
        }
        for (f, v) in [
            ("complaints", Some(self.complaints)),
            ("complaints_via_council", Some(self.complaints_via_council)),
            ("complaints_resolved_in_house", Some(self.complaints_resolved_in_house)),
            ("staff_in_post", self.staff_in_post),
            ("staff_vacancies", self.staff_vacancies),
            ("staff_leavers", self.staff_leavers),
            ("agency_hours", self.agency_hours),
        ] {
            if v.is_some_and(|v| v < 0) {
                return bad(f, "must be 0 or more");
            }
        }
        if self.complaints_via_council + self.complaints_resolved_in_house > self.complaints {
            return bad(
                "complaints_resolved_in_house",
                &format!(
                    "plus complaints_via_council ({} + {}) is more than the {} complaints",
                    self.complaints_resolved_in_house, self.complaints_via_council, self.complaints
                ),
            );
        }
        Ok(format!("{:04}-{:02}", month.year(), month.month()))
    }
}

/// A column's name as a sentence starts it: "complaints_via_council" is "Complaints via council".
pub fn column_label(field: &str) -> String {
    let mut s = field.replace('_', " ");
    if let Some(f) = s.get_mut(..1) {
        f.make_ascii_uppercase();
    }
    s
}

/// Staff vacancies as a whole percentage of posts (in post + vacant); `None` when either is
/// unknown or there are no posts.
pub fn vacancy_rate(in_post: Option<i64>, vacancies: Option<i64>) -> Option<i64> {
    let (p, v) = (in_post?, vacancies?);
    whole_percent(v, p + v)
}

/// Leavers in the month as a whole percentage of staff in post.
pub fn turnover(leavers: Option<i64>, in_post: Option<i64>) -> Option<i64> {
    whole_percent(leavers?, in_post?)
}

/// How a row names its service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceKey {
    ServiceId(String),
    CqcLocationId(String),
}

impl ServiceKey {
    /// The column the key came from, for messages.
    pub fn column(&self) -> &'static str {
        match self {
            ServiceKey::ServiceId(_) => "service_id",
            ServiceKey::CqcLocationId(_) => "cqc_location_id",
        }
    }
    pub fn value(&self) -> &str {
        match self {
            ServiceKey::ServiceId(v) | ServiceKey::CqcLocationId(v) => v,
        }
    }
}

/// One data row: which service, and its numbers (a return whose `service_id` is empty and
/// whose `month` is as typed), or what is wrong with each. A row's problems with its numbers
/// are reported only once its service is known, so they are kept apart from the key's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnRow {
    pub row: usize,
    pub service: Result<ServiceKey, RowProblem>,
    pub values: Result<NewMonthlyReturn, Vec<RowProblem>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn months_and_their_checks() {
        assert_eq!(parse_month("2024-11"), Some(date(2024, 11, 1)));
        assert_eq!(parse_month("2024-11-30"), Some(date(2024, 11, 1)));
        assert_eq!(parse_month("11/2024"), None);
        let today = date(2025, 3, 15);
        let r = NewMonthlyReturn { month: "2025-03".into(), complaints: 3, complaints_via_council: 1, ..Default::default() };
        assert_eq!(r.check(today), Ok("2025-03".into()));
        let future = NewMonthlyReturn { month: "2025-04".into(), ..r.clone() };
        assert_eq!(future.check(today), Err(FieldError::new("month", "must not be in the future")));
        let negative = NewMonthlyReturn { staff_leavers: Some(-1), ..r.clone() };
        assert_eq!(negative.check(today).unwrap_err().field, "staff_leavers");
        let too_many = NewMonthlyReturn { complaints_resolved_in_house: 3, ..r };
        assert_eq!(too_many.check(today).unwrap_err().message, "plus complaints_via_council (3 + 1) is more than the 3 complaints");
        assert_eq!(column_label("complaints_via_council"), "Complaints via council");
    }

    #[test]
    fn staffing_rates_are_whole_percentages() {
        let (in_post, vacant, leavers) = (37, 3, 2);
        assert_eq!(vacancy_rate(Some(in_post), Some(vacant)), Some((vacant * 100 + (in_post + vacant) / 2) / (in_post + vacant)));
        assert_eq!(vacancy_rate(Some(in_post), None), None);
        assert_eq!(vacancy_rate(Some(0), Some(0)), None);
        assert_eq!(turnover(Some(leavers), Some(in_post)), Some((leavers * 100 + in_post / 2) / in_post));
        assert_eq!(turnover(Some(1), Some(0)), None);
    }
}
