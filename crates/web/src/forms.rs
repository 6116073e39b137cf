//! Reading submitted forms: plain fields and GOV.UK date inputs (name-day, name-month,
//! name-year), shared by every page with a form.

use crate::AppError;
use crate::render::field_error;
use caremarket_core::{Date, FieldError, FieldErrors};
use caremarket_store::StoreError;
use minijinja::{Value, context};
use std::collections::BTreeMap;

/// The errors of one submitted form, as every page shows them: the GOV.UK error summary's list
/// (`errors` in a template, each linking to its input) and the message beside each field
/// (`field_errors`). Core's field errors and the store's refusals are mapped here, once.
///
/// A date field's summary entry links to its day input (`{field}-day`); a field name that
/// starts with a date field's name and a dash (`due_on-<id>`, per-row dates) does too. An error
/// about the form as a whole (a conflict) links to `whole_form_link`, or to nothing.
#[derive(Debug, Default)]
pub struct FormErrors {
    pub list: Vec<Value>,
    pub by_field: BTreeMap<String, String>,
    dates: Vec<&'static str>,
    whole_form_link: Option<&'static str>,
}

impl FormErrors {
    /// `dates`: the form's GOV.UK date inputs.
    pub fn new(dates: &[&'static str]) -> FormErrors {
        FormErrors { dates: dates.to_vec(), ..Default::default() }
    }
    /// Where errors about the whole form (and fields the form does not have) link to.
    pub fn with_whole_form_link(mut self, id: &'static str) -> FormErrors {
        self.whole_form_link = Some(id);
        self
    }
    fn is_date(&self, field: &str) -> bool {
        self.dates.iter().any(|d| field == *d || field.strip_prefix(d).is_some_and(|rest| rest.starts_with('-')))
    }
    /// Record a message for a field; a field keeps its first message.
    pub fn add(&mut self, field: &str, message: &str) {
        if self.by_field.contains_key(field) {
            return;
        }
        let target = if self.is_date(field) { format!("{field}-day") } else { field.to_string() };
        self.list.push(field_error(&target, message));
        self.by_field.insert(field.to_string(), message.to_string());
    }
    /// An error about the form as a whole: in the summary only.
    pub fn add_whole_form(&mut self, message: &str) {
        self.list.push(field_error(self.whole_form_link.unwrap_or(""), message));
    }
    /// The value of a parse, or `None` with its message recorded against `field`.
    pub fn check<T>(&mut self, field: &str, r: Result<T, String>) -> Option<T> {
        r.map_err(|m| self.add(field, &m)).ok()
    }
    /// The value of one of core's parses, or `None` with its field error recorded.
    pub fn check_field<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        r.map_err(|e| self.add(&e.field, &e.message)).ok()
    }
    /// Every failure of one of core's commands.
    pub fn extend(&mut self, errors: FieldErrors) {
        for e in errors.0 {
            self.add(&e.field, &e.message);
        }
    }
    /// A required GOV.UK date input: the date, or `None` with "Enter the ..." or what is wrong.
    pub fn date(&mut self, form: &[(String, String)], name: &str, label: &str) -> Option<Date> {
        match form_date(form, name, label) {
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                self.add(name, &format!("Enter the {}", label.to_lowercase()));
                None
            }
            Err(m) => {
                self.add(name, &m);
                None
            }
        }
    }
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
    /// A store refusal the officer can act on becomes a message on the form (a validation
    /// failure against its field, a conflict against the whole form); anything else stays an
    /// error page.
    pub fn add_store(&mut self, e: StoreError) -> Result<(), AppError> {
        match e {
            StoreError::Invalid(fe) => self.add(&fe.field, &fe.message),
            StoreError::InvalidFields(fes) => self.extend(fes),
            StoreError::Conflict(m) => self.add_whole_form(&m),
            other => return Err(other.into()),
        }
        Ok(())
    }
}

/// A submitted form with a file: its text fields, the file (name and bytes, when one was
/// chosen), or what went wrong reading it (said on the form, against the file field).
#[derive(Debug, Default)]
pub struct Upload {
    pub fields: Vec<(String, String)>,
    pub file: Option<(String, Vec<u8>)>,
    pub problem: Option<String>,
}

/// Read a multipart form whose file input is named `file`, and check its CSRF token (unless the
/// body could not be read, when the form is shown again with the problem).
pub async fn read_upload(user: &crate::CurrentUser, mut multipart: axum::extract::Multipart) -> Result<Upload, AppError> {
    let mut up = Upload::default();
    loop {
        match multipart.next_field().await {
            Ok(Some(f)) => {
                let name = f.name().unwrap_or("").to_string();
                if name == "file" {
                    let file_name = f.file_name().unwrap_or("upload.csv").to_string();
                    match f.bytes().await {
                        Ok(b) if !b.is_empty() => up.file = Some((file_name, b.to_vec())),
                        Ok(_) => {}
                        Err(_) => {
                            up.problem = Some("The selected file could not be uploaded – try again".into());
                            break;
                        }
                    }
                } else {
                    match f.text().await {
                        Ok(t) => up.fields.push((name, t)),
                        Err(_) => {
                            up.problem = Some("The form could not be read – try again".into());
                            break;
                        }
                    }
                }
            }
            Ok(None) => break,
            Err(_) => {
                up.problem = Some("The selected file could not be uploaded: it may be too large".into());
                break;
            }
        }
    }
    if up.problem.is_none() {
        crate::csrf::verify_token(&user.session, Some(field(&up.fields, "csrf_token"))).await?;
    }
    Ok(up)
}

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

/// A stored date as a form's three fields (`<name>-day`, `-month`, `-year`), as the date input
/// sends them, for a form filled from what is stored.
pub fn push_date_fields(form: &mut Vec<(String, String)>, name: &str, d: caremarket_core::Date) {
    form.push((format!("{name}-day"), d.day().to_string()));
    form.push((format!("{name}-month"), d.month().to_string()));
    form.push((format!("{name}-year"), d.year().to_string()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_errors_link_dates_to_their_day_field_and_keep_the_first_message() {
        let mut e = FormErrors::new(&["due_on"]);
        e.add("due_on-abc", "Enter the due date");
        e.add("due_on-abc", "A second message is not shown");
        e.add("owner", "Enter an owner");
        e.add_store(StoreError::Conflict("This visit was finalised by someone else".into())).unwrap();
        let fields: Vec<String> = e.list.iter().map(|v| v.get_attr("field").unwrap().to_string()).collect();
        assert_eq!(fields, ["due_on-abc-day", "owner", ""]);
        assert_eq!(e.by_field["due_on-abc"], "Enter the due date");
        assert!(e.add_store(StoreError::NotFound("x".into())).is_err());
    }

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
