//! Form helpers shared by the capacity and brokerage pages: one generic form template
//! (`capacity_form.html`) driven by a list of fields, the shared [`FormErrors`], GOV.UK dates.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
pub use crate::forms::{FormErrors, date_parts, field, form_date};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use caremarket_store::StoreError;
use minijinja::context;
use serde_json::json;

pub type Pairs = Vec<(String, String)>;

pub fn all<'a>(form: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    form.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
}

/// A GOV.UK date input's three fields as a date. `Ok(None)` when all are empty.
/// A date and a "HH:MM" time, in UK time, as a timestamp.
pub fn form_timestamp(form: &[(String, String)], date_name: &str, time_name: &str, label: &str) -> Result<Option<jiff::Timestamp>, String> {
    let Some(d) = form_date(form, date_name, label)? else { return Ok(None) };
    let t = field(form, time_name).trim();
    let (h, m) = t.split_once([':', '.']).unwrap_or((t, "0"));
    let (Ok(h), Ok(m)) = (h.trim().parse::<i8>(), m.trim().parse::<i8>()) else {
        return Err(format!("Enter the time for {} as hours and minutes, like 14:30", label.to_lowercase()));
    };
    let time = jiff::civil::Time::new(h, m, 0, 0).map_err(|_| format!("Enter a real time for {}, like 14:30", label.to_lowercase()))?;
    let tz = jiff::tz::TimeZone::get("Europe/London").unwrap_or(jiff::tz::TimeZone::UTC);
    d.to_datetime(time).to_zoned(tz).map(|z| Some(z.timestamp())).map_err(|_| format!("{label} is not a real date and time"))
}

/// Whole number from a form field; blank is `blank`.
pub fn int(form: &[(String, String)], name: &str, label: &str, blank: Option<i64>) -> Result<i64, String> {
    let v = field(form, name).trim().replace(',', "");
    if v.is_empty() {
        return blank.ok_or_else(|| format!("Enter {}", label.to_lowercase()));
    }
    v.parse::<i64>().map_err(|_| format!("{label} must be a whole number, like 12"))
}

/// A refusal of a vacancy return: one about its lines as a whole (core names the field
/// `lines`, which no input has) links to the form's whole-form link, its first bed count.
pub fn add_return_store_error(errors: &mut FormErrors, e: StoreError) -> Result<(), AppError> {
    match e {
        StoreError::Invalid(fe) if fe.field == "lines" => {
            errors.add_whole_form(&fe.message);
            Ok(())
        }
        other => errors.add_store(other),
    }
}

/// One field of the generic form.
pub fn f(kind: &str, name: &str, label: &str, value: impl serde::Serialize) -> serde_json::Value {
    json!({"kind": kind, "name": name, "label": label, "value": value, "options": [], "hint": null})
}

pub fn with_hint(mut v: serde_json::Value, hint: &str) -> serde_json::Value {
    v["hint"] = json!(hint);
    v
}

pub fn with_options(mut v: serde_json::Value, options: Vec<serde_json::Value>) -> serde_json::Value {
    v["options"] = json!(options);
    v
}

pub fn opt(value: &str, text: &str) -> serde_json::Value {
    json!({"value": value, "text": text})
}

pub struct FormPage<'a> {
    pub title: &'a str,
    pub caption: Option<&'a str>,
    pub intro: Option<String>,
    pub action: &'a str,
    pub back: &'a str,
    pub button: &'a str,
    pub fields: Vec<serde_json::Value>,
    pub multipart: bool,
}

pub async fn render_form(
    state: &AppState,
    user: &CurrentUser,
    page: FormPage<'_>,
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    render_versioned_form(state, user, page, errors, None, crate::versions::Reply::status(status)).await
}

/// A form that edits a record carrying a version (decision 25): the hidden `version` it was
/// opened at and, after a refused save, the notice of `_stale.html`.
pub async fn render_versioned_form(
    state: &AppState,
    user: &CurrentUser,
    page: FormPage<'_>,
    errors: &FormErrors,
    version: Option<String>,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let ctx = user.context(state).await?;
    let html = state.renderer.render(
        "capacity_form.html",
        &ctx,
        context! {
            title => page.title, caption => page.caption, intro => page.intro, action => page.action, back => page.back,
            button => page.button, fields => page.fields, multipart => page.multipart,
            errors => errors.list, field_errors => errors.by_field, version => version, stale => reply.stale,
        },
    )?;
    Ok((reply.status, Html(html)).into_response())
}
