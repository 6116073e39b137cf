//! The date a figure page is "as at" (issue 16 item 8). A committee report is written as at a
//! quarter's end, so every figure page takes the date from a date input on the page
//! (`as_at-day`, `as_at-month`, `as_at-year`) or from a link (`as_at=2025-03-31`), says which
//! date its figures are as at, and refuses a date it cannot answer with a message naming it.

use crate::forms::{date_parts, form_date};
use crate::render::field_error;
use caremarket_core::Date;
use minijinja::{Value, context};

/// The label the date input carries: error messages start with it.
const LABEL: &str = "The date the figures are as at";

/// The date asked for, and what the page needs to show its control.
#[derive(Debug, Clone)]
pub struct AsAt {
    pub date: Date,
    pub today: Date,
    /// The error on the control, when the date asked for could not be used (the page then shows
    /// today's figures and says why).
    pub error: Option<String>,
    /// What was typed, to show back after an error.
    typed: Value,
}

impl AsAt {
    /// Read the date from the query's pairs. No date means today. A date after today is refused:
    /// nothing is known about it yet.
    pub fn parse(pairs: &[(String, String)], today: Date) -> AsAt {
        let iso = pairs.iter().find(|(k, _)| k == "as_at").map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
        let asked = match form_date(pairs, "as_at", LABEL) {
            Ok(Some(d)) => Ok(Some(d)),
            Ok(None) => match iso {
                None => Ok(None),
                Some(s) => s
                    .parse::<Date>()
                    .map(Some)
                    .map_err(|_| format!("{LABEL} must be a real date, like 2025-03-31 (as_at was '{}')", clip(s))),
            },
            Err(e) => Err(e),
        };
        let typed = if iso.is_some() && !pairs.iter().any(|(k, _)| k.starts_with("as_at-")) {
            Value::from(iso.unwrap_or_default().to_string())
        } else {
            date_parts(pairs, "as_at")
        };
        match asked {
            Ok(Some(d)) if d > today => AsAt { date: today, today, error: Some(format!("{LABEL} must be today or in the past")), typed },
            Ok(Some(d)) => AsAt { date: d, today, error: None, typed: Value::from(d.to_string()) },
            Ok(None) => AsAt { date: today, today, error: None, typed: Value::from(today.to_string()) },
            Err(e) => AsAt { date: today, today, error: Some(e), typed },
        }
    }

    pub fn is_today(&self) -> bool {
        self.date == self.today
    }

    /// `as_at=2025-03-31&` for links from a past date's figures to the lists behind them, so
    /// the list is of the same date; empty for today.
    pub fn query_prefix(&self) -> String {
        if self.is_today() { String::new() } else { format!("as_at={}&", self.date) }
    }

    /// The error for the page's error summary, pointing at the control's day field.
    pub fn summary_error(&self) -> Option<Value> {
        self.error.as_deref().map(|e| field_error("as_at-day", e))
    }

    /// What the `as_at_control` macro reads.
    pub fn view(&self) -> Value {
        context! {
            date => self.date.to_string(),
            today => self.today.to_string(),
            is_today => self.is_today(),
            error => self.error,
            typed => self.typed,
            // For the page's other GET forms, so that they keep the date.
            hidden => if self.is_today() { vec![] } else { vec![("as_at", self.date.to_string())] },
        }
    }
}

fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn d(s: &str) -> Date {
        s.parse().expect("date")
    }

    #[test]
    fn no_date_is_today_and_a_past_date_is_kept() {
        let today = d("2026-12-04");
        let a = AsAt::parse(&[], today);
        assert!(a.is_today() && a.error.is_none());
        assert_eq!(a.query_prefix(), "");
        let a = AsAt::parse(&pairs(&[("as_at-day", "31"), ("as_at-month", "3"), ("as_at-year", "2025")]), today);
        assert_eq!(a.date, d("2025-03-31"));
        assert_eq!(a.query_prefix(), "as_at=2025-03-31&");
        let a = AsAt::parse(&pairs(&[("as_at", "2025-06-30")]), today);
        assert_eq!(a.date, d("2025-06-30"));
    }

    #[test]
    fn a_future_or_unreal_date_is_refused_with_its_reason_and_today_shown() {
        let today = d("2026-12-04");
        let a = AsAt::parse(&pairs(&[("as_at", "2027-01-01")]), today);
        assert_eq!(a.date, today);
        assert_eq!(a.error.as_deref(), Some("The date the figures are as at must be today or in the past"));
        let a = AsAt::parse(&pairs(&[("as_at-day", "31"), ("as_at-month", "2"), ("as_at-year", "2025")]), today);
        assert_eq!(a.error.as_deref(), Some("The date the figures are as at must be a real date"));
        let a = AsAt::parse(&pairs(&[("as_at", "last quarter")]), today);
        assert!(a.error.as_deref().is_some_and(|e| e.contains("as_at was 'last quarter'")), "{:?}", a.error);
        let a = AsAt::parse(&pairs(&[("as_at-day", "31"), ("as_at-year", "2025")]), today);
        assert_eq!(a.error.as_deref(), Some("The date the figures are as at must include a month"));
    }
}
