//! Direct payments (domain C5; issue 5): the list and search, recording and ending a DP,
//! spend import, monitoring due and overdue per officer, reclaims, the Self-Directed Support
//! figures of `000`, money management companies on the Recognised Provider List with exit
//! plans, and Individual Service Funds. The PA register and the rate tools are in `pa` and
//! `rates`.
//!
//! Handlers map forms to core's inputs and core's (and the store's) field errors to the form:
//! the rules are in `caremarket_core::direct_payments`. One file per part: `payments` (list,
//! record, one DP, end), `spend` (import), `monitoring` (with reclaims and settings),
//! `figures`, `rpl` (companies, exit plans, ISFs), `pa`, `rates`.
//!
//! DP records name people by case reference: only direct payments roles see them
//! (`ViewDirectPayments`); commissioners see the figures and the rate tools. References never go
//! into a URL or a log line.

mod figures;
mod limits;
mod monitoring;
mod officers;
mod pa;
pub(crate) mod pa_checks;
mod payments;
mod rates;
mod rpl;
mod spend;

use crate::AppState;
use crate::error::AppError;
use crate::forms::{FormErrors, date_parts, form_date};
use axum::Router;
use axum::routing::{get, post};
use caremarket_core::{Date, FieldErrors};
use minijinja::{Value, context};
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/direct-payments", get(payments::list))
        .route("/direct-payments/new", get(payments::new_form).post(payments::create))
        .route("/direct-payments/figures", get(figures::figures_page))
        .route("/direct-payments/monitoring", get(monitoring::monitoring_due))
        .route("/direct-payments/monitoring/assign", post(officers::assign_many))
        .route("/direct-payments/reclaims", get(monitoring::reclaims))
        .route("/direct-payments/settings", post(monitoring::save_settings))
        .route("/direct-payments/spend/import", get(spend::import_form).post(spend::import_upload))
        .route("/direct-payments/rpl", get(rpl::rpl_list))
        .route("/direct-payments/rpl/{provider_id}", get(rpl::rpl_company))
        .route("/direct-payments/rpl/{provider_id}/qa", post(rpl::rpl_qa))
        .route("/direct-payments/rpl/{provider_id}/remove", post(rpl::rpl_remove))
        .route("/direct-payments/exit-plans/{id}", get(rpl::exit_plan))
        .route("/direct-payments/exit-plans/{id}/items/{item_id}", post(rpl::exit_item))
        .route("/direct-payments/isfs", get(rpl::isfs).post(rpl::create_isf))
        .route("/direct-payments/monitoring/{mid}/returned", post(monitoring::returned))
        .route("/direct-payments/monitoring/{mid}/approve", post(limits::approve_reclaim))
        .route("/direct-payments/approvals", get(limits::approvals))
        .route("/direct-payments/card-spend", get(limits::card_spend))
        .route("/direct-payments/card-spend/categories", get(limits::categories).post(limits::add_category))
        .route("/direct-payments/card-spend/categories/{code}/remove", post(limits::remove_category))
        .route("/direct-payments/card-spend/{spend_id}/review", post(limits::review_spend))
        .route("/direct-payments/{id}", get(payments::show))
        .route("/direct-payments/{id}/end", get(payments::end_form).post(payments::end))
        .route("/direct-payments/{id}/equality", get(payments::equality_form).post(payments::save_equality))
        .route("/direct-payments/{id}/officer", get(officers::officer_form).post(officers::save_officer))
        .route("/direct-payments/{id}/monitoring", post(monitoring::record_monitoring))
        .merge(pa::routes())
        .merge(rates::routes())
}

/// The GOV.UK date inputs of this area's forms: an error links to the day input.
const DATE_FIELDS: [&str; 10] = [
    "start_date",
    "end_date",
    "completed_on",
    "period_start",
    "period_end",
    "dbs_date",
    "assessed_on",
    "effective_from",
    "gathered_on",
    "returned_on",
];

pub(crate) fn new_errors() -> FormErrors {
    FormErrors::new(&DATE_FIELDS)
}

/// The fields of a form its typed fields do not name: its GOV.UK date inputs (`name-day`,
/// `name-month`, `name-year`).
#[derive(Debug, Default, Deserialize)]
#[serde(transparent)]
pub(crate) struct DateInputs(BTreeMap<String, String>);

impl DateInputs {
    fn pairs(&self) -> Vec<(String, String)> {
        self.0.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// What was typed into `name`, to show it back.
    pub fn parts(&self, name: &str) -> Value {
        date_parts(&self.pairs(), name)
    }

    /// A date left blank is `None`; one that cannot be read is the page's message for it.
    pub fn optional(&self, name: &str, label: &str) -> Result<Option<Date>, String> {
        form_date(&self.pairs(), name, label)
    }

    /// A required date, or `None` with the page's message kept in `page` (a date input's own
    /// message says what is wrong with its day, month or year).
    pub fn required(&self, page: &mut PageErrors, name: &str, label: &str) -> Option<Date> {
        match self.optional(name, label) {
            Ok(Some(d)) => Some(d),
            Ok(None) => page.note(name, format!("Enter the {}", label.to_lowercase())),
            Err(m) => page.note(name, m),
        }
    }
}

/// What the page itself could not read (dates, amounts of money), to stand in for core's
/// message about the same field.
#[derive(Debug, Default)]
pub(crate) struct PageErrors(BTreeMap<String, String>);

impl PageErrors {
    fn note<T>(&mut self, field: &str, message: String) -> Option<T> {
        self.0.entry(field.to_string()).or_insert(message);
        None
    }

    /// The value of a read, or `None` with its message noted.
    pub fn check<T>(&mut self, r: Result<T, caremarket_core::FieldError>) -> Option<T> {
        r.map_err(|e| self.0.entry(e.field).or_insert(e.message)).ok()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Core's failures of the form, in the form's order, each field with the page's message
    /// when it has one; then whatever the page found that core did not name.
    pub fn merge_into(self, errors: &mut FormErrors, core: Option<FieldErrors>) {
        for e in core.map(|c| c.0).unwrap_or_default() {
            errors.add(&e.field, self.0.get(&e.field).unwrap_or(&e.message));
        }
        for (field, message) in &self.0 {
            errors.add(field, message);
        }
    }
}

pub(crate) fn options(list: &[(&str, &str)], first: Option<&str>) -> Vec<Value> {
    let mut v: Vec<Value> = first.map(|f| vec![context! { value => "", text => f }]).unwrap_or_default();
    v.extend(list.iter().map(|(c, l)| context! { value => *c, text => *l }));
    v
}

pub(crate) fn options_owned(list: &[(String, String)], first: Option<&str>) -> Vec<Value> {
    let mut v: Vec<Value> = first.map(|f| vec![context! { value => "", text => f }]).unwrap_or_default();
    v.extend(list.iter().map(|(c, l)| context! { value => c, text => l }));
    v
}

pub(crate) fn label_owned(list: &[(String, String)], code: &str) -> String {
    list.iter().find(|(c, _)| c == code).map(|(_, l)| l.clone()).unwrap_or_else(|| code.to_string())
}

pub(crate) use crate::auth::page;

pub(crate) fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

pub(crate) fn parse_iso(s: Option<&str>) -> Option<Date> {
    s.and_then(|s| s.trim().parse().ok())
}

/// The council's reference lists. Each list holds every entry, retired ones too, so that old
/// records keep their labels and the figures that group by them; the `_in_use` lists are what a
/// form offers for a new choice.
pub(crate) struct Lists {
    pub areas: Vec<(String, String)>,
    pub reasons: Vec<(String, String)>,
    pub ethnicities: Vec<(String, String)>,
    pub religions: Vec<(String, String)>,
    pub areas_in_use: Vec<(String, String)>,
    pub reasons_in_use: Vec<(String, String)>,
}

impl Lists {
    /// Whether a closure reason or service area is still offered (`false` once retired).
    pub(crate) fn in_use(list: &[(String, String)], code: &str) -> bool {
        list.iter().any(|(c, _)| c == code)
    }
}

async fn reference(state: &AppState, list: &str) -> Result<(Vec<(String, String)>, Vec<(String, String)>), AppError> {
    let entries = state.store.dp_reference_entries(list).await?;
    let in_use = entries.iter().filter(|(_, _, a)| *a).map(|(c, l, _)| (c.clone(), l.clone())).collect();
    Ok((entries.into_iter().map(|(c, l, _)| (c, l)).collect(), in_use))
}

pub(crate) async fn lists(state: &AppState) -> Result<Lists, AppError> {
    let (areas, areas_in_use) = reference(state, "service_area").await?;
    let (reasons, reasons_in_use) = reference(state, "closure_reason").await?;
    Ok(Lists {
        areas,
        reasons,
        ethnicities: reference(state, "ethnicity").await?.0,
        religions: reference(state, "religion").await?.0,
        areas_in_use,
        reasons_in_use,
    })
}

/// Repeated fields of a form (checkbox groups).
pub(crate) fn all<'a>(form: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    form.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
}
