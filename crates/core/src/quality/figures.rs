//! The quality figures the Market Oversight Report quotes (`000` "Accommodation with Care"):
//! "101 routine quality monitoring visits have been carried out during the period January 2024
//! to October 2024", "84% of care homes ... good or outstanding which is better than the
//! national average of 81%", "5 homes in 'Amber' and 3 in 'Red'". Written as sentences here so
//! the dashboard and the report say them the same way; the numbers come from records.

use crate::Date;

/// "January to October 2024", or "November 2023 to October 2024" across years.
pub fn period_label(from: Date, to: Date) -> String {
    let month = |d: Date| d.strftime("%B").to_string();
    if from.year() == to.year() {
        if from.month() == to.month() {
            format!("{} {}", month(from), from.year())
        } else {
            format!("{} to {} {}", month(from), month(to), to.year())
        }
    } else {
        format!("{} {} to {} {}", month(from), from.year(), month(to), to.year())
    }
}

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "5 homes Amber and 3 Red".
pub fn rag_sentence(amber: i64, red: i64) -> String {
    format!("{} Amber and {red} Red", plural(amber, "home", "homes"))
}

/// "101 visits January to October 2024".
pub fn visits_sentence(visits: i64, from: Date, to: Date) -> String {
    format!("{} {}", plural(visits, "visit", "visits"), period_label(from, to))
}

/// "84% of care homes Good or Outstanding against 81% nationally": whole percentages, as the
/// report prints them. `None` when no care home is rated.
pub fn good_or_outstanding_sentence(local: Option<f64>, national: Option<f64>) -> Option<String> {
    let local = local?;
    Some(match national {
        Some(n) => format!("{:.0}% of care homes Good or Outstanding against {:.0}% nationally", local.round(), n.round()),
        None => format!("{:.0}% of care homes Good or Outstanding (no national figure recorded)", local.round()),
    })
}

/// One national figure for care homes from the residential and nursing figures: weighted by the
/// number of rated homes when both counts are known, otherwise the plain mean of those present.
pub fn combined_national(parts: &[(f64, Option<i64>)]) -> Option<f64> {
    if parts.is_empty() {
        return None;
    }
    if parts.iter().all(|(_, n)| n.is_some_and(|n| n > 0)) {
        let total: i64 = parts.iter().filter_map(|(_, n)| *n).sum();
        let weighted: f64 = parts.iter().map(|(p, n)| p * n.unwrap_or(0) as f64).sum();
        return Some((weighted / total as f64 * 10.0).round() / 10.0);
    }
    Some((parts.iter().map(|(p, _)| p).sum::<f64>() / parts.len() as f64 * 10.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn sentences_as_the_report_prints_them() {
        assert_eq!(rag_sentence(5, 3), "5 homes Amber and 3 Red");
        assert_eq!(rag_sentence(1, 0), "1 home Amber and 0 Red");
        assert_eq!(visits_sentence(101, date(2024, 1, 1), date(2024, 10, 31)), "101 visits January to October 2024");
        assert_eq!(visits_sentence(1, date(2023, 11, 1), date(2024, 10, 31)), "1 visit November 2023 to October 2024");
        assert_eq!(
            good_or_outstanding_sentence(Some(84.2), Some(81.0)).as_deref(),
            Some("84% of care homes Good or Outstanding against 81% nationally")
        );
        assert_eq!(good_or_outstanding_sentence(None, Some(81.0)), None);
    }

    #[test]
    fn national_figure_for_care_homes() {
        assert_eq!(combined_national(&[(80.0, Some(300)), (70.0, Some(100))]), Some(77.5));
        assert_eq!(combined_national(&[(80.0, None), (70.0, Some(100))]), Some(75.0));
        assert_eq!(combined_national(&[(81.0, None)]), Some(81.0));
        assert_eq!(combined_national(&[]), None);
    }
}
