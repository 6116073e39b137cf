//! Fees on GOV.UK pages (issue 11 items 1 and 2; domain C7): the rate card with every rate's
//! history, what the council paid a provider on a date, rates awaiting a second approver,
//! uplifts previewed then confirmed, payment bases and fee increase requests. Reading needs
//! `ViewFees`, every change `ManageFees`; the rules are `caremarket_core::fees`'s and the store
//! audits every change.

mod budgets;
mod care_home_fees;
mod contracts;
mod cost_of_care;
mod rates;
mod supported_living;
mod uplifts;

pub(crate) use cost_of_care::return_view as cost_of_care_view;
pub(crate) use supported_living::{person_lines as sl_person_lines, problem_errors as sl_problem_errors, query_view as sl_query_view};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use axum::Router;
use caremarket_core::direct_payments::money::money;
use caremarket_core::fees::{RateCategory, RateLevel};
use caremarket_core::register::ServiceKind;
use minijinja::Value;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(rates::routes())
        .merge(uplifts::routes())
        .merge(contracts::routes())
        .merge(care_home_fees::routes())
        .merge(cost_of_care::routes())
        .merge(supported_living::routes())
        .merge(budgets::routes())
}

pub(crate) async fn render(state: &AppState, user: &CurrentUser, template: &str, page: Value) -> Result<String, AppError> {
    let base = user.context(state).await?;
    state.renderer.render(template, &base, page)
}

pub(crate) fn pounds(p: i64) -> String {
    money(p)
}

pub(crate) fn kind_options(first: &str) -> Vec<serde_json::Value> {
    let mut v = vec![json!({"value": "", "text": first})];
    v.extend(ServiceKind::ALL.iter().map(|k| json!({"value": k.as_str(), "text": k.label()})));
    v
}

pub(crate) fn category_options(first: Option<&str>) -> Vec<serde_json::Value> {
    let mut v: Vec<serde_json::Value> = first.map(|f| json!({"value": "", "text": f})).into_iter().collect();
    v.extend(RateCategory::ALL.iter().map(|c| json!({"value": c.as_str(), "text": c.label()})));
    v
}

pub(crate) fn level_options() -> Vec<serde_json::Value> {
    RateLevel::ALL
        .iter()
        .map(|l| {
            let hint = match l {
                RateLevel::Council => "The council's rate for the type of service, paid to providers with no rate of their own",
                RateLevel::LotMaximum => "The most the council pays on a framework lot, set by its cost model",
                RateLevel::Provider => "What one provider is paid (on a lot: the rate it bid, within the lot's maximum)",
            };
            json!({"value": l.as_str(), "text": l.label(), "hint": hint})
        })
        .collect()
}

/// Every lot as "Framework: Lot".
pub(crate) async fn lot_options(state: &AppState, first: &str) -> Result<Vec<serde_json::Value>, AppError> {
    let mut v = vec![json!({"value": "", "text": first})];
    for f in state.store.contract_frameworks().await? {
        for l in &f.lots {
            v.push(json!({"value": l.id, "text": format!("{}: {}", f.name, l.name)}));
        }
    }
    Ok(v)
}

/// Every provider in the register, by name.
pub(crate) async fn provider_options(state: &AppState, first: &str) -> Result<Vec<serde_json::Value>, AppError> {
    let mut v = vec![json!({"value": "", "text": first})];
    for p in state.store.providers(None, 1, 100_000).await?.items {
        v.push(json!({"value": p.id, "text": p.name}));
    }
    Ok(v)
}
