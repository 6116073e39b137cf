//! Equality monitoring of direct payments: ethnicity and religion (`000`: "The breakdown of
//! people accessing Direct Payments by ethnicity and religion"). Special category personal data
//! (UK GDPR Article 9): optional, a code from the council's list, never free text, and published
//! only as counts with small numbers suppressed.

use crate::{FieldErrors, text::thousands};
use serde::Serialize;
use std::collections::BTreeMap;

/// A person's ethnicity and religion as recorded; `None` is "not recorded".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Equality {
    pub ethnicity: Option<String>,
    pub religion: Option<String>,
}

impl Equality {
    /// Read the two optional choices against the lists in use. Blank is "not recorded".
    pub fn parse(ethnicity: &str, religion: &str, ethnicities: &[String], religions: &[String]) -> Result<Equality, FieldErrors> {
        let mut e = FieldErrors::new();
        let mut pick = |field: &str, raw: &str, list: &[String], message: &str| {
            let raw = raw.trim();
            if raw.is_empty() {
                None
            } else if list.iter().any(|c| c == raw) {
                Some(raw.to_string())
            } else {
                e.add(field, message);
                None
            }
        };
        let ethnicity = pick("ethnicity", ethnicity, ethnicities, "Choose an ethnic group from the list, or leave it as not recorded");
        let religion = pick("religion", religion, religions, "Choose a religion from the list, or leave it as not recorded");
        e.into_result(Equality { ethnicity, religion })
    }
}

/// Counts from 1 to this are not published: with a council's few hundred direct payments, a
/// count of 1–4 in a group can point to a person. Zero is not disclosive and is shown.
pub const SUPPRESS_BELOW: i64 = 5;

/// A count as a published table shows it: "fewer than 5" for 1–4.
pub fn published_count(n: i64) -> String {
    if n > 0 && n < SUPPRESS_BELOW { format!("fewer than {SUPPRESS_BELOW}") } else { thousands(n) }
}

/// A group's count for a published chart: suppressed counts are left out of the chart (the
/// table says "fewer than 5").
pub fn publishable(n: i64) -> Option<i64> {
    (n == 0 || n >= SUPPRESS_BELOW).then_some(n)
}

/// People counted per code of `list` (in the list's order), then "not recorded" (key `""`),
/// each code present even when its count is zero, so tables from quarter to quarter line up.
pub fn count_by<'a>(values: impl IntoIterator<Item = Option<&'a str>>, list: &[String]) -> Vec<(String, i64)> {
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    let mut not_recorded = 0;
    for v in values {
        match v {
            Some(c) => *counts.entry(c).or_default() += 1,
            None => not_recorded += 1,
        }
    }
    let mut out: Vec<(String, i64)> = list.iter().map(|c| (c.clone(), counts.remove(c.as_str()).unwrap_or(0))).collect();
    // A code since removed from the list still counts, under its code.
    out.extend(counts.into_iter().map(|(c, n)| (c.to_string(), n)));
    out.push((String::new(), not_recorded));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(l: &[(&str, &str)]) -> Vec<String> {
        l.iter().map(|(c, _)| c.to_string()).collect()
    }

    #[test]
    fn blank_is_not_recorded_and_a_code_must_be_on_the_list() {
        let eth = list(&crate::direct_payments::ETHNICITIES);
        let rel = list(&crate::direct_payments::RELIGIONS);
        assert_eq!(Equality::parse(" ", "", &eth, &rel).unwrap(), Equality::default());
        assert_eq!(
            Equality::parse("white", "none", &eth, &rel).unwrap(),
            Equality { ethnicity: Some("white".into()), religion: Some("none".into()) }
        );
        let e = Equality::parse("Martian", "Jedi", &eth, &rel).unwrap_err();
        assert_eq!(e.0.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["ethnicity", "religion"]);
    }

    #[test]
    fn small_counts_are_suppressed_but_zero_is_not() {
        assert_eq!(published_count(0), "0");
        assert_eq!(published_count(1), "fewer than 5");
        assert_eq!(published_count(4), "fewer than 5");
        assert_eq!(published_count(5), "5");
        assert_eq!(published_count(1_204), "1,204");
        assert_eq!(publishable(3), None);
        assert_eq!(publishable(0), Some(0));
    }

    #[test]
    fn counts_follow_the_list_then_not_recorded() {
        let l = vec!["a".to_string(), "b".to_string()];
        let got = count_by([Some("b"), None, Some("b"), Some("gone"), None], &l);
        assert_eq!(got, vec![("a".into(), 0), ("b".into(), 2), ("gone".into(), 1), (String::new(), 2)]);
    }
}
