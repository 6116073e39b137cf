//! CQC report theme analysis (`004` §4.11–4.15).
//!
//! Officers code each issue found in a CQC inspection report of a service to one of the themes
//! (`004` §4.12 lists 19, from Medication to Covid 19). Each theme is mapped to training and
//! support offers (`004` §4.15), each with a status: in place, or one of the tentative states
//! ("may be able to support", "to be asked", "being revamped"). A theme is a **gap** when no offer
//! is in place; tentative offers are shown but do not close a gap. Covid 19 "has not been included
//! in the analysis of training needs" (`004` §4.12), so themes outside the training analysis are
//! never gaps.
//!
//! Every figure here is counted from the coded issues: the seed's own totals do not reconcile
//! (215 issues stated, 210 listed; "39 CQC reports" against "29 reports"), so none is assumed.

use super::OfferStatus;
use crate::FieldError;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A theme as the analysis needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Theme {
    pub code: String,
    pub name: String,
    pub position: i64,
    /// False for Covid 19 (`004` §4.12): counted, never a training gap.
    pub in_training_analysis: bool,
}

/// One coded issue, reduced to what the counts use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodedIssue {
    pub theme_code: String,
    pub service_id: String,
    /// ISO date of the CQC report; a report is one service's report on one date.
    pub report_date: String,
}

/// One theme's figures, as the theme table shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThemeCount {
    pub theme: Theme,
    pub issues: usize,
    /// Distinct services with at least one issue coded to the theme.
    pub services: usize,
    /// Distinct reports (service and report date) with at least one issue coded to the theme.
    pub reports: usize,
    pub offers_in_place: usize,
    /// Offers that are tentative, to be asked or being revamped: shown, but not closing a gap.
    pub offers_tentative: usize,
    pub gap: bool,
}

/// Whether a theme with these offers is a gap: in the training analysis and no offer in place.
pub fn is_gap(theme: &Theme, offers: &[OfferStatus]) -> bool {
    theme.in_training_analysis && !offers.contains(&OfferStatus::InPlace)
}

/// Offers that are being pursued but not in place (withdrawn ones are history only).
pub fn is_tentative(s: OfferStatus) -> bool {
    matches!(s, OfferStatus::Tentative | OfferStatus::ToBeAsked | OfferStatus::BeingRevamped)
}

/// The figures for every theme, most issues first (ties in the themes' own order).
/// `offers` are (theme code, status) pairs.
pub fn theme_counts(themes: &[Theme], issues: &[CodedIssue], offers: &[(String, OfferStatus)]) -> Vec<ThemeCount> {
    let mut out: Vec<ThemeCount> = themes
        .iter()
        .map(|t| {
            let mine: Vec<&CodedIssue> = issues.iter().filter(|i| i.theme_code == t.code).collect();
            let services: BTreeSet<&str> = mine.iter().map(|i| i.service_id.as_str()).collect();
            let reports: BTreeSet<(&str, &str)> = mine.iter().map(|i| (i.service_id.as_str(), i.report_date.as_str())).collect();
            let statuses: Vec<OfferStatus> = offers.iter().filter(|(c, _)| *c == t.code).map(|(_, s)| *s).collect();
            ThemeCount {
                theme: t.clone(),
                issues: mine.len(),
                services: services.len(),
                reports: reports.len(),
                offers_in_place: statuses.iter().filter(|s| **s == OfferStatus::InPlace).count(),
                offers_tentative: statuses.iter().filter(|s| is_tentative(**s)).count(),
                gap: is_gap(t, &statuses),
            }
        })
        .collect();
    out.sort_by(|a, b| b.issues.cmp(&a.issues).then(a.theme.position.cmp(&b.theme.position)));
    out
}

/// Totals across themes: issues, distinct services and distinct reports (a service with issues
/// under three themes counts once), and the number of gaps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ThemeTotals {
    pub issues: usize,
    pub services: usize,
    pub reports: usize,
    pub gaps: usize,
}

pub fn totals(issues: &[CodedIssue], counts: &[ThemeCount]) -> ThemeTotals {
    ThemeTotals {
        issues: issues.len(),
        services: issues.iter().map(|i| i.service_id.as_str()).collect::<BTreeSet<_>>().len(),
        reports: issues.iter().map(|i| (i.service_id.as_str(), i.report_date.as_str())).collect::<BTreeSet<_>>().len(),
        gaps: counts.iter().filter(|c| c.gap).count(),
    }
}

/// Issues per theme for one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceThemes {
    pub service_id: String,
    pub issues: usize,
    pub reports: usize,
    /// theme code -> issues
    pub by_theme: BTreeMap<String, usize>,
}

/// Per service, most issues first (ties by service id, for a stable order).
pub fn counts_by_service(issues: &[CodedIssue]) -> Vec<ServiceThemes> {
    /// Issues, distinct report dates and issues per theme, for one service.
    type Tally<'a> = (usize, BTreeSet<&'a str>, BTreeMap<String, usize>);
    let mut m: BTreeMap<&str, Tally> = BTreeMap::new();
    for i in issues {
        let e = m.entry(i.service_id.as_str()).or_default();
        e.0 += 1;
        e.1.insert(i.report_date.as_str());
        *e.2.entry(i.theme_code.clone()).or_default() += 1;
    }
    let mut out: Vec<ServiceThemes> = m
        .into_iter()
        .map(|(s, (n, reports, by_theme))| ServiceThemes { service_id: s.to_string(), issues: n, reports: reports.len(), by_theme })
        .collect();
    out.sort_by(|a, b| b.issues.cmp(&a.issues).then(a.service_id.cmp(&b.service_id)));
    out
}

/// Find a theme by its code or its name, ignoring case, spaces, hyphens and "&"/"and" spelling.
pub fn find_theme<'a>(themes: &'a [Theme], s: &str) -> Option<&'a Theme> {
    let norm = |t: &str| {
        t.to_ascii_lowercase()
            .replace('&', " and ")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("_")
    };
    let s = norm(s);
    if s.is_empty() {
        return None;
    }
    themes.iter().find(|t| norm(&t.code) == s || norm(&t.name) == s)
}

/// The longest issue text kept: an issue is a sentence or two from a report, not the report.
pub const MAX_ISSUE_LEN: usize = 1000;

/// Check an issue's text: required, not too long, and not naming people. Reports refer to
/// "people", "staff" and "the registered manager"; a title followed by a name ("Mrs Smith") is
/// refused so that personal details are not copied in.
pub fn check_issue(field: &str, text: &str) -> Result<String, FieldError> {
    let t = crate::text::tidy(text);
    if t.is_empty() {
        return Err(FieldError::new(field, "Enter the issue found in the report"));
    }
    if t.chars().count() > MAX_ISSUE_LEN {
        return Err(FieldError::new(field, format!("The issue must be {MAX_ISSUE_LEN} characters or fewer")));
    }
    if names_a_person(&t) {
        return Err(FieldError::new(
            field,
            "The issue seems to name a person (a title such as Mr or Mrs followed by a name): describe it without names",
        ));
    }
    Ok(t)
}

/// A title (Mr, Mrs, Ms, Miss, Mx, Dr) followed by a capitalised word.
pub fn names_a_person(text: &str) -> bool {
    const TITLES: [&str; 6] = ["mr", "mrs", "ms", "miss", "mx", "dr"];
    let words: Vec<&str> = text.split_whitespace().collect();
    words.windows(2).any(|w| {
        let title = w[0].trim_end_matches('.').to_ascii_lowercase();
        let next = w[1].trim_start_matches(|c: char| !c.is_alphanumeric());
        TITLES.contains(&title.as_str()) && next.chars().next().is_some_and(|c| c.is_uppercase())
    })
}

/// A row of an uploaded CSV of coded issues, as typed. `service` is a CQC location id or a
/// service id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodingRow {
    /// The row's number in the file (the header is row 1); 0 to number rows from 2 in order.
    pub row: usize,
    pub service: String,
    pub report_date: String,
    pub theme: String,
    pub issue: String,
}

/// The key of an error about one field of the `n`th issue of a report coded on one form:
/// `issue.<n>.<field>`.
pub fn issue_field(n: usize, field: &str) -> String {
    format!("issue.{n}.{field}")
}

/// The issue number and field an [`issue_field`] key names.
pub fn parse_issue_field(key: &str) -> Option<(usize, &str)> {
    let (n, field) = key.strip_prefix("issue.")?.split_once('.')?;
    Some((n.parse().ok()?, field))
}

/// A report is coded on or after its date, never before: its date is today or earlier.
pub fn check_report_date(report_date: crate::Date, today: crate::Date) -> Result<(), FieldError> {
    if report_date > today {
        return Err(FieldError::new("report_date", "The report date must be today or in the past"));
    }
    Ok(())
}

/// The longest training or support offer.
pub const MAX_OFFER: usize = 500;

/// An offer's text tidied, and its status, or the first thing wrong.
pub fn check_offer(offer: &str, status: &str) -> Result<(String, OfferStatus), FieldError> {
    let text = crate::text::tidy(offer);
    if text.is_empty() {
        return Err(FieldError::new("offer", "Enter the training or support offered"));
    }
    if text.chars().count() > MAX_OFFER {
        return Err(FieldError::new("offer", "The offer must be 500 characters or fewer"));
    }
    let status = OfferStatus::parse(status).ok_or_else(|| FieldError::new("status", "Choose the status of the offer"))?;
    Ok((text, status))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn theme(code: &str, pos: i64, in_analysis: bool) -> Theme {
        Theme { code: code.into(), name: format!("Theme {code}"), position: pos, in_training_analysis: in_analysis }
    }

    fn issue(t: &str, s: &str, d: &str) -> CodedIssue {
        CodedIssue { theme_code: t.into(), service_id: s.into(), report_date: d.into() }
    }

    fn themes() -> Vec<Theme> {
        vec![theme("medication", 1, true), theme("fire_safety", 14, true), theme("end_of_life", 18, true), theme("covid", 19, false)]
    }

    #[test]
    fn a_theme_with_only_tentative_offers_is_a_gap() {
        let t = theme("medication", 1, true);
        assert!(is_gap(&t, &[]));
        assert!(is_gap(&t, &[OfferStatus::Tentative, OfferStatus::ToBeAsked, OfferStatus::BeingRevamped]));
        assert!(is_gap(&t, &[OfferStatus::Withdrawn]));
        assert!(!is_gap(&t, &[OfferStatus::Tentative, OfferStatus::InPlace]));
    }

    #[test]
    fn covid_is_never_a_gap() {
        let covid = theme("covid", 19, false);
        assert!(!is_gap(&covid, &[]));
        let counts = theme_counts(&themes(), &[issue("covid", "a", "2021-01-01")], &[]);
        let c = counts.iter().find(|c| c.theme.code == "covid").expect("covid row");
        assert_eq!(c.issues, 1);
        assert!(!c.gap);
        // The other three have no offers at all: gaps.
        assert_eq!(counts.iter().filter(|c| c.gap).count(), 3);
    }

    #[test]
    fn counts_per_theme_count_issues_services_and_reports() {
        let issues = vec![
            issue("medication", "a", "2021-03-01"),
            issue("medication", "a", "2021-03-01"),
            issue("medication", "a", "2022-06-01"),
            issue("medication", "b", "2021-03-01"),
            issue("fire_safety", "b", "2021-03-01"),
        ];
        let offers = vec![
            ("medication".to_string(), OfferStatus::Tentative),
            ("medication".to_string(), OfferStatus::InPlace),
            ("fire_safety".to_string(), OfferStatus::ToBeAsked),
            ("fire_safety".to_string(), OfferStatus::Withdrawn),
        ];
        let counts = theme_counts(&themes(), &issues, &offers);
        assert_eq!(counts[0].theme.code, "medication");
        assert_eq!((counts[0].issues, counts[0].services, counts[0].reports), (4, 2, 3));
        assert_eq!((counts[0].offers_in_place, counts[0].offers_tentative, counts[0].gap), (1, 1, false));
        assert_eq!(counts[1].theme.code, "fire_safety");
        assert_eq!((counts[1].issues, counts[1].offers_in_place, counts[1].offers_tentative, counts[1].gap), (1, 0, 1, true));
        // Ties at zero issues keep the themes' own order.
        assert_eq!(counts[2].theme.code, "end_of_life");
        assert_eq!(counts[3].theme.code, "covid");
        let t = totals(&issues, &counts);
        assert_eq!(t, ThemeTotals { issues: 5, services: 2, reports: 3, gaps: 2 });
        // The totals row is the sum of the theme rows' issues.
        assert_eq!(counts.iter().map(|c| c.issues).sum::<usize>(), t.issues);
    }

    #[test]
    fn counts_per_service() {
        let issues = vec![
            issue("medication", "a", "2021-03-01"),
            issue("fire_safety", "b", "2021-03-01"),
            issue("medication", "b", "2021-03-01"),
            issue("medication", "b", "2023-01-05"),
        ];
        let by = counts_by_service(&issues);
        assert_eq!(by.len(), 2);
        assert_eq!(by[0].service_id, "b");
        assert_eq!((by[0].issues, by[0].reports), (3, 2));
        assert_eq!(by[0].by_theme.get("medication"), Some(&2));
        assert_eq!(by[0].by_theme.get("fire_safety"), Some(&1));
        assert_eq!(by[1].service_id, "a");
        assert_eq!(by[1].by_theme.get("fire_safety"), None);
    }

    #[test]
    fn themes_are_found_by_code_or_name() {
        let t = vec![
            Theme { code: "health_safety".into(), name: "Health & Safety".into(), position: 2, in_training_analysis: true },
            Theme { code: "covid".into(), name: "Covid 19".into(), position: 19, in_training_analysis: false },
        ];
        assert_eq!(find_theme(&t, "health_safety").map(|t| t.position), Some(2));
        assert_eq!(find_theme(&t, " health & safety ").map(|t| t.position), Some(2));
        assert_eq!(find_theme(&t, "COVID-19").map(|t| t.position), Some(19));
        assert_eq!(find_theme(&t, "Medicines"), None);
        assert_eq!(find_theme(&t, ""), None);
    }

    #[test]
    fn issue_text_is_checked() {
        assert_eq!(check_issue("issue", "  Medicines   not stored safely ").as_deref(), Ok("Medicines not stored safely"));
        assert_eq!(check_issue("issue-2", "  ").map_err(|e| e.field), Err("issue-2".to_string()));
        assert!(check_issue("issue", "Mrs Jones was not given her medicines").is_err());
        assert!(check_issue("issue", "Records for Mr. Patel were incomplete").is_err());
        assert!(check_issue("issue", "Dr. review not requested; staff did not escalate").is_ok());
        assert!(check_issue("issue", &"x".repeat(MAX_ISSUE_LEN + 1)).is_err());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn statuses() -> impl Strategy<Value = OfferStatus> {
            prop::sample::select(OfferStatus::ALL.to_vec())
        }

        proptest! {
            /// The totals row adds up, every theme gets a row, and an offer in place never makes a gap.
            #[test]
            fn totals_add_up_and_in_place_offers_close_gaps(
                raw in prop::collection::vec((0usize..4, 0usize..5, 0usize..3), 0..60),
                offers in prop::collection::vec((0usize..4, statuses()), 0..12),
            ) {
                let themes = themes();
                let issues: Vec<CodedIssue> = raw
                    .iter()
                    .map(|(t, s, d)| issue(&themes[*t].code, &format!("s{s}"), &format!("2022-0{}-01", d + 1)))
                    .collect();
                let offers: Vec<(String, OfferStatus)> = offers.iter().map(|(t, s)| (themes[*t].code.clone(), *s)).collect();
                let counts = theme_counts(&themes, &issues, &offers);
                prop_assert_eq!(counts.len(), themes.len());
                prop_assert_eq!(counts.iter().map(|c| c.issues).sum::<usize>(), issues.len());
                let t = totals(&issues, &counts);
                prop_assert!(counts.iter().all(|c| c.services <= t.services && c.reports <= t.reports && c.reports <= c.issues));
                prop_assert!(counts.windows(2).all(|w| w[0].issues >= w[1].issues));
                for c in &counts {
                    prop_assert_eq!(c.gap, c.theme.in_training_analysis && c.offers_in_place == 0);
                }
                let by = counts_by_service(&issues);
                prop_assert_eq!(by.iter().map(|s| s.issues).sum::<usize>(), issues.len());
                let mut more = offers.clone();
                more.extend(themes.iter().map(|t| (t.code.clone(), OfferStatus::InPlace)));
                prop_assert!(theme_counts(&themes, &issues, &more).iter().all(|c| !c.gap));
            }
        }
    }

    #[test]
    fn issue_keys_and_offers() {
        assert_eq!(parse_issue_field(&issue_field(3, "theme")), Some((3, "theme")));
        assert_eq!(parse_issue_field("theme"), None);
        let today = jiff::civil::date(2025, 1, 1);
        assert!(check_report_date(today, today).is_ok());
        assert_eq!(check_report_date(jiff::civil::date(2025, 1, 2), today).unwrap_err().field, "report_date");
        assert_eq!(check_offer("  Falls   training ", "in_place"), Ok(("Falls training".into(), OfferStatus::InPlace)));
        assert_eq!(check_offer(" ", "in_place").unwrap_err().field, "offer");
        assert_eq!(check_offer("x", "maybe").unwrap_err().field, "status");
    }
}
