//! Register figures (`000`, `004`): "84% of care homes rated Good or Outstanding against 81%
//! nationally". Computed from records; the page shows the date and links to the services behind.

use super::Rating;
use serde::Serialize;

/// Percentage to one decimal place, `None` when there is nothing to divide by.
pub fn percent(numerator: i64, denominator: i64) -> Option<f64> {
    if denominator <= 0 { None } else { Some(((numerator as f64) * 1000.0 / (denominator as f64)).round() / 10.0) }
}

/// Share of *rated* services (the four grades) rated Good or Outstanding, as CQC and the seeds
/// count it: services with no published rating are left out of both sides.
pub fn percent_good_or_outstanding<I: IntoIterator<Item = Option<Rating>>>(ratings: I) -> Option<f64> {
    let (mut good, mut rated) = (0i64, 0i64);
    for r in ratings.into_iter().flatten() {
        if r.is_grade() {
            rated += 1;
            if r.is_good_or_outstanding() {
                good += 1;
            }
        }
    }
    percent(good, rated)
}

/// One row of the dashboard's "by kind" table.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KindFigure {
    pub kind: super::ServiceKind,
    pub services: i64,
    pub rated: i64,
    pub good_or_outstanding: i64,
    pub percent_good_or_outstanding: Option<f64>,
    pub national_percent: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn seed_figure_84_percent() {
        // `000`: 84% of care homes Good or Outstanding. 84 of 100 rated homes, plus unrated ones.
        let mut v = vec![Some(Rating::Good); 80];
        v.extend(vec![Some(Rating::Outstanding); 4]);
        v.extend(vec![Some(Rating::RequiresImprovement); 14]);
        v.extend(vec![Some(Rating::Inadequate); 2]);
        v.extend(vec![None, Some(Rating::NoPublishedRating), Some(Rating::InspectedButNotRated)]);
        assert_eq!(percent_good_or_outstanding(v), Some(84.0));
        assert_eq!(percent_good_or_outstanding(Vec::<Option<Rating>>::new()), None);
        assert_eq!(percent(157, 291), Some(54.0));
    }

    proptest! {
        #[test]
        fn percent_is_bounded(n in 0i64..10_000, extra in 0i64..10_000) {
            let p = percent(n, n + extra).unwrap_or(0.0);
            prop_assert!((0.0..=100.0).contains(&p));
        }
    }
}
