//! Quality assurance pages (issue 3; domain C2). Every route checks a permission from
//! `caremarket_core::access`; provider users reach only their own action plans and monthly
//! returns, through the portal (`crate::portal::{actions, returns}`).
//!
//! - [`visits`], [`frameworks`], [`actions`]: visits scored on frameworks, action plans.
//! - [`status`]: RAG, escalation, restrictions and embargoes, officer assignment, due and overdue.
//! - [`signals`], [`returns`]: signals, monthly returns, the early-warning score and watch list.
//! - [`themes`], [`exit`]: CQC report themes and offers; provider exit plans.
//! - [`dashboard`], [`service_tab`]: the quality dashboard with the report's figures, and the
//!   quality tab of a service, which gathers each part's section.

pub(crate) mod actions;
mod dashboard;
mod exit;
mod frameworks;
pub(crate) mod returns;
mod service_tab;
mod signals;
mod status;
mod themes;
pub(crate) mod visits;

pub(crate) use status::due_row;

use crate::AppState;
use crate::error::AppError;
use crate::forms::FormErrors;
use axum::Router;
use caremarket_core::{Date, FieldErrors};
use caremarket_store::StoreError;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(visits::routes())
        .merge(frameworks::routes())
        .merge(actions::routes())
        .merge(status::routes())
        .merge(signals::routes())
        .merge(returns::routes())
        .merge(themes::routes())
        .merge(exit::routes())
        .merge(dashboard::routes())
        .merge(service_tab::routes())
}

/// Radio or select options from one of core's lists.
fn options<T: Copy>(all: &[T], value: impl Fn(T) -> &'static str, text: impl Fn(T) -> &'static str) -> Vec<serde_json::Value> {
    all.iter().map(|v| json!({"value": value(*v), "text": text(*v)})).collect()
}

/// A store refusal on a form whose fields are named differently from core's: `form_field` gives
/// the form's name for each field core names. Conflicts and other errors as `FormErrors::add_store`.
fn add_store_as(errors: &mut FormErrors, e: StoreError, form_field: impl Fn(&str) -> String) -> Result<(), AppError> {
    match e {
        StoreError::Invalid(fe) => errors.add(&form_field(&fe.field), &fe.message),
        StoreError::InvalidFields(fes) => {
            for fe in fes.0 {
                errors.add(&form_field(&fe.field), &fe.message);
            }
        }
        other => errors.add_store(other)?,
    }
    Ok(())
}

/// Core's errors for a command, with the message for a GOV.UK date input typed wrongly (`typed`,
/// as `forms::form_date` read it) in place of core's "enter the date": the officer sees what is
/// wrong with what they typed, in the form's order.
fn with_typed_date(mut e: FieldErrors, field: &str, typed: &Result<Option<Date>, String>) -> FieldErrors {
    if let Err(m) = typed {
        match e.0.iter_mut().find(|f| f.field == field) {
            Some(f) => f.message = m.clone(),
            None => e.add(field, m.as_str()),
        }
    }
    e
}
