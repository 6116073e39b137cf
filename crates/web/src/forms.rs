//! Reading submitted forms: plain fields and GOV.UK date inputs (name-day, name-month,
//! name-year), shared by every page with a form.

use caremarket_core::Date;
use minijinja::{Value, context};

/// The value of a field, or "" when it was not sent.
pub fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
}

/// A GOV.UK date input: `Ok(None)` when left blank, else a real date or a message that starts
/// with `label` and says what is wrong, as the Design System words it.
pub fn form_date(form: &[(String, String)], name: &str, label: &str) -> Result<Option<Date>, String> {
    let part = |p: &str| field(form, &format!("{name}-{p}")).trim().to_string();
    let (d, m, y) = (part("day"), part("month"), part("year"));
    if d.is_empty() && m.is_empty() && y.is_empty() {
        return Ok(None);
    }
    let missing: Vec<&str> =
        [("a day", &d), ("a month", &m), ("a year", &y)].iter().filter(|(_, v)| v.is_empty()).map(|(n, _)| *n).collect();
    if !missing.is_empty() {
        return Err(format!("{label} must include {}", missing.join(" and ")));
    }
    let (Ok(d), Ok(m), Ok(y)) = (d.parse::<i8>(), m.parse::<i8>(), y.parse::<i16>()) else {
        return Err(format!("{label} must be a real date"));
    };
    if !(1000..=9999).contains(&y) {
        return Err(format!("{label} must include a year with 4 numbers, like 2025"));
    }
    Date::new(y, m, d).map(Some).map_err(|_| format!("{label} must be a real date"))
}

/// What was typed into a date input, to show it back after an error.
pub fn date_parts(form: &[(String, String)], name: &str) -> Value {
    let part = |p: &str| field(form, &format!("{name}-{p}")).to_string();
    context! { day => part("day"), month => part("month"), year => part("year") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(d: &str, m: &str, y: &str) -> Vec<(String, String)> {
        vec![("x-day".into(), d.into()), ("x-month".into(), m.into()), ("x-year".into(), y.into())]
    }

    #[test]
    fn dates_from_three_fields() {
        assert_eq!(form_date(&f("3", "2", "2024"), "x", "Start date"), Ok(Some(Date::constant(2024, 2, 3))));
        assert_eq!(form_date(&f("", "", ""), "x", "Start date"), Ok(None));
        assert_eq!(form_date(&f("31", "2", "2024"), "x", "Start date"), Err("Start date must be a real date".into()));
        assert_eq!(form_date(&f("3", "", "2024"), "x", "Start date"), Err("Start date must include a month".into()));
        assert_eq!(
            form_date(&f("3", "2", "24"), "x", "Start date"),
            Err("Start date must include a year with 4 numbers, like 2025".into())
        );
    }
}
