//! Which CQC rating is a service's current one, and what counts as a change of rating: defined
//! here once, and used by the import (its counts), the dashboard ("changes of rating" and the
//! list behind it), the register's filter and the quality signals.
//!
//! CQC's own data says what is current. In the syndication API a location's `currentRatings.overall`
//! (`rating`, `reportDate`) is its current rating and `historicRatings[]` are earlier publications;
//! for a service assessed only under the single assessment framework the current rating is the one
//! in `assessment[].ratings.asgRatings[]`. The directory and export files' rating columns
//! ("Location Latest Overall Rating", "Overall rating") are the current rating too. A focused or
//! infection-control inspection published as "Inspected but not rated" (2020-2022) appears in
//! `historicRatings[]` with a later `reportDate` than `currentRatings`, but it rates nothing: it
//! never replaces a rating, and it is not a change.

use super::Rating;
use crate::Date;

/// A change of CQC overall rating: from one of the four grades to a different grade. Moves to or
/// from "Inspected but not rated", "No published rating" or "Insufficient evidence to rate" are
/// not changes; a grade published after such an entry is compared with the latest grade before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatingChange {
    pub from: Rating,
    pub to: Rating,
}

/// Which way a [`RatingChange`] went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeDirection {
    Rose,
    Fell,
}

impl ChangeDirection {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeDirection::Rose => "rose",
            ChangeDirection::Fell => "fell",
        }
    }
}

impl RatingChange {
    /// The change from the latest grade before a publication (`from`) to that publication's
    /// overall rating (`to`); `None` when either is not one of the four grades, or they are equal.
    pub fn between(from: Option<Rating>, to: Option<Rating>) -> Option<RatingChange> {
        let from = from.filter(|r| r.is_grade())?;
        let to = to.filter(|r| r.is_grade())?;
        (from != to).then_some(RatingChange { from, to })
    }

    pub fn direction(self) -> ChangeDirection {
        // Grades always have a score; Outstanding is 4, Inadequate 1.
        if self.to.score() > self.from.score() { ChangeDirection::Rose } else { ChangeDirection::Fell }
    }

    /// The same rule as SQL over a history table whose `previous` column holds the latest grade
    /// before each entry (see [`previous_grades`]): for aggregating in the database, built from
    /// [`Rating::GRADES`] so the two cannot disagree. Column names are the caller's constants.
    pub fn sql_condition(previous_col: &str, overall_col: &str) -> String {
        let grades = grades_sql_list();
        format!("({previous_col} IN {grades} AND {overall_col} IN {grades} AND {overall_col} <> {previous_col})")
    }
}

/// `('outstanding','good','requires_improvement','inadequate')`: the four grades as stored, for
/// SQL `IN` lists, generated from [`Rating::GRADES`].
pub fn grades_sql_list() -> String {
    sql_list(&Rating::GRADES)
}

/// `('outstanding','good')` as stored: the ratings counted as "Good or Outstanding".
pub fn good_or_outstanding_sql_list() -> String {
    let good: Vec<Rating> = Rating::GRADES.into_iter().filter(|r| r.is_good_or_outstanding()).collect();
    sql_list(&good)
}

fn sql_list(ratings: &[Rating]) -> String {
    // The stored codes are fixed ASCII identifiers (`Rating::as_str`), so quoting them is safe.
    let items: Vec<String> = ratings.iter().map(|r| format!("'{}'", r.as_str())).collect();
    format!("({})", items.join(","))
}

/// One published entry of a service's rating history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    pub report_date: Option<Date>,
    pub overall: Option<Rating>,
}

/// For each entry of a history (in any order), the latest grade published strictly before it,
/// skipping entries that are not grades. Entries without a date come first and have none.
pub fn previous_grades(history: &[Published]) -> Vec<Option<Rating>> {
    history
        .iter()
        .map(|e| {
            let date = e.report_date?;
            history
                .iter()
                .filter(|h| h.report_date.is_some_and(|d| d < date) && h.overall.is_some_and(|r| r.is_grade()))
                .max_by_key(|h| h.report_date)
                .and_then(|h| h.overall)
        })
        .collect()
}

/// Every change of rating in a history, with the date it was published, oldest first.
pub fn changes_in(history: &[Published]) -> Vec<(Option<Date>, RatingChange)> {
    let previous = previous_grades(history);
    let mut out: Vec<(Option<Date>, RatingChange)> =
        history.iter().zip(previous).filter_map(|(e, prev)| RatingChange::between(prev, e.overall).map(|c| (e.report_date, c))).collect();
    out.sort_by_key(|(d, _)| *d);
    out
}

/// Whether a rating CQC gives as a service's *current* rating (`incoming`, with its report date)
/// replaces the current rating the register holds (`stored`).
///
/// - "Inspected but not rated" and the other non-ratings never replace a grade;
/// - a grade replaces anything that is not a grade;
/// - between grades, the one CQC published later wins: a file older than the rating already
///   held (an export from last year imported after today's API documents) does not turn it back.
///   An undated incoming grade replaces only an undated one.
pub fn replaces_current(stored: Option<Published>, incoming: Published) -> bool {
    let Some(new) = incoming.overall else { return false };
    let Some(old) = stored.filter(|s| s.overall.is_some()) else { return true };
    let old_rating = old.overall.expect("filtered on is_some");
    match (old_rating.is_grade(), new.is_grade()) {
        (true, false) => false,
        (false, true) => true,
        _ => match (old.report_date, incoming.report_date) {
            (Some(o), Some(n)) => n >= o,
            (None, _) => true,
            (Some(_), None) => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().expect("date")
    }

    fn p(date: &str, r: Rating) -> Published {
        Published { report_date: Some(d(date)), overall: Some(r) }
    }

    #[test]
    fn only_grade_to_different_grade_is_a_change() {
        use Rating::*;
        assert_eq!(RatingChange::between(Some(Good), Some(Inadequate)), Some(RatingChange { from: Good, to: Inadequate }));
        assert_eq!(RatingChange::between(Some(Good), Some(Inadequate)).map(|c| c.direction()), Some(ChangeDirection::Fell));
        assert_eq!(RatingChange::between(Some(RequiresImprovement), Some(Good)).map(|c| c.direction()), Some(ChangeDirection::Rose));
        assert_eq!(RatingChange::between(Some(Good), Some(Good)), None);
        assert_eq!(RatingChange::between(Some(Good), Some(InspectedButNotRated)), None);
        assert_eq!(RatingChange::between(Some(InspectedButNotRated), Some(Good)), None);
        assert_eq!(RatingChange::between(Some(NoPublishedRating), Some(Inadequate)), None);
        assert_eq!(RatingChange::between(None, Some(Good)), None);
    }

    #[test]
    fn inspected_but_not_rated_is_skipped_over() {
        use Rating::*;
        // Park House, 1-112890157: Good 2015, Good 2017, Good 2020 (current), then two
        // "Inspected but not rated" reports (2020-12-15, 2022-03-10). No change at all.
        let park = [
            p("2022-03-10", InspectedButNotRated),
            p("2020-12-15", InspectedButNotRated),
            p("2017-09-07", Good),
            p("2015-07-27", Good),
            p("2020-04-03", Good),
        ];
        assert!(changes_in(&park).is_empty());
        assert_eq!(previous_grades(&park)[0], Some(Good));
        // A fall after a not-rated report is compared with the grade before it.
        let h = [p("2019-01-01", Good), p("2021-01-01", InspectedButNotRated), p("2023-01-01", RequiresImprovement)];
        assert_eq!(changes_in(&h), vec![(Some(d("2023-01-01")), RatingChange { from: Good, to: RequiresImprovement })]);
    }

    #[test]
    fn the_current_rating_is_never_replaced_by_a_non_rating() {
        use Rating::*;
        // Neville House, 1-109570155: current Good (2018-10-10); "Inspected but not rated" 2022-03-03.
        assert!(!replaces_current(Some(p("2018-10-10", Good)), p("2022-03-03", InspectedButNotRated)));
        assert!(replaces_current(Some(p("2022-03-03", InspectedButNotRated)), p("2018-10-10", Good)));
        assert!(replaces_current(None, p("2018-10-10", Good)));
        assert!(replaces_current(None, p("2018-10-10", InspectedButNotRated)));
        assert!(replaces_current(Some(p("2018-10-10", Good)), p("2024-01-01", Inadequate)));
        assert!(!replaces_current(Some(p("2024-01-01", Inadequate)), p("2018-10-10", Good)), "an older file does not turn it back");
        assert!(!replaces_current(Some(p("2018-10-10", Good)), Published { report_date: Some(d("2025-01-01")), overall: None }));
    }

    #[test]
    fn sql_is_generated_from_the_grades() {
        assert_eq!(grades_sql_list(), "('outstanding','good','requires_improvement','inadequate')");
        assert_eq!(good_or_outstanding_sql_list(), "('outstanding','good')");
        assert!(RatingChange::sql_condition("h.prev", "h.overall").contains("h.prev IN ('outstanding'"));
    }
}
