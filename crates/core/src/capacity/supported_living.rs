//! Supported living and day services capacity (`000` "Supported Living": "Framework providers
//! currently deliver around 29,149 hours of 1:1 support to 823 people per week; 405 of these
//! people also receive 15,239 hours of 'shared' support per week").

use crate::FieldError;
use serde::Serialize;

/// One service's weekly support, as returned by the provider or recorded by an officer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct SupportWeek {
    pub one_to_one_hours: i64,
    pub people: i64,
    pub shared_hours: i64,
    /// People (of `people`) who also receive shared support.
    pub people_shared: i64,
}

/// Whole numbers not below zero; people with shared support are some of the people supported;
/// hours only where there are people (and no more than every hour of the week for each).
pub fn validate_support_week(w: &SupportWeek) -> Result<(), FieldError> {
    for (f, v, what) in [
        ("one_to_one_hours", w.one_to_one_hours, "Hours of 1:1 support"),
        ("people", w.people, "People supported"),
        ("shared_hours", w.shared_hours, "Hours of shared support"),
        ("people_shared", w.people_shared, "People who also receive shared support"),
    ] {
        if v < 0 {
            return Err(FieldError::new(f, format!("{what} cannot be negative (found {v})")));
        }
    }
    if w.people_shared > w.people {
        return Err(FieldError::new(
            "people_shared",
            format!("{} people with shared support is more than the {} people supported", w.people_shared, w.people),
        ));
    }
    if w.one_to_one_hours > w.people * 168 {
        return Err(FieldError::new(
            "one_to_one_hours",
            format!("{} hours of 1:1 support is more than 168 hours a week for each of {} people", w.one_to_one_hours, w.people),
        ));
    }
    if w.shared_hours > 0 && w.people_shared == 0 {
        return Err(FieldError::new("people_shared", "Enter how many people receive the shared support"));
    }
    Ok(())
}

/// Sum of the latest week of each service.
pub fn total<'a>(weeks: impl IntoIterator<Item = &'a SupportWeek>) -> SupportWeek {
    weeks.into_iter().fold(SupportWeek::default(), |a, w| SupportWeek {
        one_to_one_hours: a.one_to_one_hours + w.one_to_one_hours,
        people: a.people + w.people,
        shared_hours: a.shared_hours + w.shared_hours,
        people_shared: a.people_shared + w.people_shared,
    })
}

fn thousands(v: i64) -> String {
    crate::text::thousands(v)
}

/// The sentence `000` writes.
pub fn sentence(w: &SupportWeek) -> String {
    format!(
        "{} hours of 1:1 support to {} people a week; {} of these people also receive {} hours of shared support a week",
        thousands(w.one_to_one_hours),
        thousands(w.people),
        thousands(w.people_shared),
        thousands(w.shared_hours)
    )
}

/// A week's activity figures cannot be negative. Returns the people supported: the larger of
/// the home care count and the supported living count (one service may report either).
pub fn check_activity(people: i64, packages: i64, minutes_per_week: i64, support: &SupportWeek) -> Result<i64, FieldError> {
    validate_support_week(support)?;
    for (f, v) in [("people", people), ("packages", packages), ("minutes_per_week", minutes_per_week)] {
        if v < 0 {
            return Err(FieldError::new(f, format!("{f} cannot be negative (found {v})").replace('_', " ")));
        }
    }
    Ok(people.max(support.people))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_figures() {
        let a = SupportWeek { one_to_one_hours: 20_000, people: 500, shared_hours: 10_000, people_shared: 250 };
        let b = SupportWeek { one_to_one_hours: 9_149, people: 323, shared_hours: 5_239, people_shared: 155 };
        let t = total(&[a, b]);
        assert_eq!(t, SupportWeek { one_to_one_hours: 29_149, people: 823, shared_hours: 15_239, people_shared: 405 });
        assert_eq!(
            sentence(&t),
            "29,149 hours of 1:1 support to 823 people a week; 405 of these people also receive 15,239 hours of shared support a week"
        );
        assert!(validate_support_week(&t).is_ok());
    }

    #[test]
    fn refuses_bad_weeks() {
        let w = SupportWeek { one_to_one_hours: 10, people: 2, shared_hours: 0, people_shared: 3 };
        assert_eq!(validate_support_week(&w).unwrap_err().field, "people_shared");
        let w = SupportWeek { one_to_one_hours: -1, people: 2, shared_hours: 0, people_shared: 0 };
        assert_eq!(validate_support_week(&w).unwrap_err().field, "one_to_one_hours");
    }

    #[test]
    fn activity_counts_are_not_negative_and_people_is_the_larger_count() {
        let w = SupportWeek { one_to_one_hours: 10, people: 4, shared_hours: 0, people_shared: 0 };
        assert_eq!(check_activity(2, 0, 0, &w), Ok(4));
        assert_eq!(check_activity(0, 0, -5, &w).unwrap_err().message, "minutes per week cannot be negative (found -5)");
    }
}
