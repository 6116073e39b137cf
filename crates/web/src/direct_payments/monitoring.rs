//! Monitoring a DP (check-ins, reviews, financial monitoring with its reclaim), money returned,
//! what is due per officer, the reclaims page and its settings.

use super::payments::{officers, render_show};
use super::{DateInputs, PageErrors, new_errors, non_empty, options_owned, page, parse_iso};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::paging::{PER_PAGE, Paging};
use crate::versions::{Reply, setting_expected, setting_versions_now, settings_stale};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use caremarket_core::access::Permission;
use caremarket_core::direct_payments::figures::percent;
use caremarket_core::direct_payments::monitoring::DueRow;
use caremarket_core::direct_payments::monitoring::NewMonitoring;
use caremarket_core::direct_payments::reference::{parse_contingency_weeks, parse_long_term_support};
use caremarket_core::direct_payments::{money, money_pounds, parse_amount};
use caremarket_store::StoreError;
use caremarket_store::direct_payments::RECLAIM_SETTINGS;
use minijinja::{Value, context};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The monitoring form on a DP's page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct MonitoringForm {
    pub kind: String,
    pub balance: String,
    pub requested: String,
    pub notes: String,
    #[serde(flatten)]
    pub dates: DateInputs,
}

pub(super) async fn record_monitoring(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<MonitoringForm>,
) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let mut errors = new_errors();
    let mut read = PageErrors::default();
    let mut m = NewMonitoring {
        kind: form.kind.clone(),
        completed_on: form.dates.required(&mut read, "completed_on", "Date done"),
        notes: non_empty(&form.notes),
        ..Default::default()
    };
    if form.kind == "financial" {
        m.period_start = form.dates.required(&mut read, "period_start", "Start of the period");
        m.period_end = form.dates.required(&mut read, "period_end", "End of the period");
        m.balance_pence = read.check(parse_amount("balance", "Balance held", &form.balance, true));
        // Nothing asked back is a reclaim of nothing.
        m.requested_pence = if form.requested.trim().is_empty() {
            Some(0)
        } else {
            read.check(parse_amount("requested", "Amount requested back", &form.requested, true))
        };
    }
    let terms = state.store.dp_terms(&id).await?;
    match m.decide(&terms, &state.store.dp_policy().await?, caremarket_store::today()) {
        Ok(_) if read.is_empty() => match state.store.record_monitoring(&user.actor(), &id, &m).await {
            Ok(_) => return Ok(Redirect::to(&format!("/direct-payments/{id}?monitored=1")).into_response()),
            Err(e) => errors.add_store(e)?,
        },
        Ok(_) => read.merge_into(&mut errors, None),
        Err(e) => read.merge_into(&mut errors, Some(e)),
    }
    render_show(&state, &user, &id, &form, &errors, StatusCode::BAD_REQUEST, None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ReturnedForm {
    dp_id: String,
    returned: String,
    #[serde(flatten)]
    dates: DateInputs,
}

pub(super) async fn returned(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(mid): Path<String>,
    CsrfForm(form): CsrfForm<ReturnedForm>,
) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let mut errors = new_errors();
    let amount = errors.check_field(parse_amount("returned", "Amount returned", &form.returned, true));
    let on = errors.date(&form.dates.pairs(), "returned_on", "Date returned");
    if let (Some(a), Some(on)) = (amount, on) {
        match state.store.record_returned(&user.actor(), &mid, a, on).await {
            Ok(()) => return Ok(Redirect::to(&format!("/direct-payments/{}?monitored=1", form.dp_id)).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    let msg = errors.by_field.values().cloned().collect::<Vec<_>>().join(". ");
    Err(AppError::BadRequest(format!("The amount returned was not recorded: {msg}. Go back and try again.")))
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct DueQuery {
    officer_id: Option<String>,
    days: Option<i64>,
    page: Option<String>,
    assigned: Option<usize>,
    problem: Option<String>,
}

pub(super) async fn monitoring_due(
    user: CurrentUser,
    State(state): State<AppState>,
    Query(q): Query<DueQuery>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewDirectPayments)?;
    let days = q.days.unwrap_or(30).clamp(0, 365);
    let mut rows = state.store.monitoring_due(caremarket_store::today(), days).await?;
    if let Some(o) = q.officer_id.as_deref().filter(|s| !s.is_empty()) {
        rows.retain(|r| r.officer_id.as_deref() == Some(o) || (o == "none" && r.officer_id.is_none()));
    }
    let who = |r: &DueRow| r.officer_name.clone().unwrap_or_else(|| "No named officer".into());
    // Officer by officer, earliest due first, so that a page holds the next slice of one
    // officer's work; each officer's totals are of every page.
    rows.sort_by(|a, b| who(a).cmp(&who(b)).then(a.due.cmp(&b.due)));
    let mut counts: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for r in &rows {
        let c = counts.entry(who(r)).or_default();
        c.0 += 1;
        if r.overdue {
            c.1 += 1;
        }
    }
    let overdue = rows.iter().filter(|r| r.overdue).count();
    let total = rows.len();
    let mut query: Vec<(String, String)> = vec![("days".into(), days.to_string())];
    if let Some(o) = q.officer_id.as_deref().filter(|s| !s.is_empty()) {
        query.push(("officer_id".into(), o.to_string()));
    }
    if let Some(p) = &q.page {
        query.push(("page".into(), p.clone()));
    }
    let paging = Paging::new("/direct-payments/monitoring", &query, total, PER_PAGE)?;
    let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for r in paging.slice(rows) {
        groups.entry(who(&r)).or_default().push(
            context! { dp_id => r.dp_id, person_ref => r.person_ref, kind => r.kind.label(), due => r.due.to_string(), overdue => r.overdue },
        );
    }
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(who, items)| {
            let (n, o) = counts.get(&who).copied().unwrap_or_default();
            context! { officer => who, items => items, due => n, overdue => o }
        })
        .collect();
    page(
        &state,
        &user,
        "dp_monitoring.html",
        StatusCode::OK,
        context! {
            groups => groups, paging => paging.context(), total => total, overdue => overdue,
            can_assign => user.role().can(Permission::EditDirectPayments),
            assign_options => {
                let mut list = officers(&state).await?;
                list.push(("none".to_string(), "No named officer".to_string()));
                options_owned(&list, Some("Choose an officer"))
            },
            assigned => q.assigned, problem => q.problem.as_deref().and_then(super::officers::problem_text), days => days, officer_id => q.officer_id.unwrap_or_default(), officer_options => {
                let mut list = officers(&state).await?;
                list.push(("none".to_string(), "No named officer".to_string()));
                options_owned(&list, Some("All officers"))
            },
        },
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ReclaimQuery {
    since: Option<String>,
    saved: Option<String>,
}

pub(super) async fn reclaims(
    user: CurrentUser,
    State(state): State<AppState>,
    Query(q): Query<ReclaimQuery>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewDirectPayments)?;
    let settings = SettingsShown {
        contingency_weeks: state.store.dp_policy().await?.contingency_weeks.to_string(),
        long_term_support: state.store.long_term_support().await?.map(|n| n.to_string()).unwrap_or_default(),
        versions: setting_versions_now(&state, &RECLAIM_SETTINGS).await?,
    };
    render_reclaims(&state, &user, q.since, q.saved.is_some(), settings, Reply::status(StatusCode::OK)).await
}

/// The settings form as shown: what it holds (or what was typed) and each setting's version.
struct SettingsShown {
    contingency_weeks: String,
    long_term_support: String,
    versions: Vec<Value>,
}

async fn render_reclaims(
    state: &AppState,
    user: &CurrentUser,
    since_text: Option<String>,
    saved: bool,
    settings: SettingsShown,
    reply: Reply,
) -> Result<Response, AppError> {
    let since = parse_iso(since_text.as_deref());
    let (totals, recs) = state.store.reclaims(since).await?;
    let rows: Vec<Value> = recs
        .iter()
        .map(|r| {
            context! { dp_id => r.dp_id, completed_on => r.completed_on, surplus => r.surplus_pence.map(money), requested => r.requested_pence.map(money),
                returned => r.returned_pence.map(money), outstanding => money(r.requested_pence.unwrap_or(0) - r.returned_pence.unwrap_or(0)) }
        })
        .collect();
    page(
        state,
        user,
        "dp_reclaims.html",
        reply.status,
        context! {
            headline => totals.headline(), requested => money_pounds(totals.requested_pence), returned => money_pounds(totals.returned_pence),
            returned_share => percent(totals.returned_bp), rows => rows, since => since_text.unwrap_or_default(),
            contingency_weeks => settings.contingency_weeks, long_term_support => settings.long_term_support,
            setting_versions => settings.versions, stale => reply.stale,
            can_edit => user.role().can(Permission::EditDirectPayments), saved => saved,
        },
    )
    .await
}

pub(super) async fn save_settings(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::EditDirectPayments)?;
    let (weeks_typed, lts_typed) = (crate::forms::field(&form, "contingency_weeks"), crate::forms::field(&form, "long_term_support"));
    let bad = |e: caremarket_core::FieldError| AppError::BadRequest(format!("{}. Go back and try again.", e.message));
    let weeks = parse_contingency_weeks(weeks_typed).map_err(bad)?;
    let lts = parse_long_term_support(lts_typed).map_err(bad)?;
    let expected = RECLAIM_SETTINGS.map(|k| setting_expected(&form, k));
    match state.store.set_dp_reclaim_settings_at(&user.actor(), weeks, lts, expected).await {
        Ok(()) => Ok(Redirect::to("/direct-payments/reclaims?saved=1").into_response()),
        Err(StoreError::Stale { .. }) => {
            let now_weeks = state.store.dp_policy().await?.contingency_weeks.to_string();
            let now_lts = state.store.long_term_support().await?.map(|n| n.to_string()).unwrap_or_default();
            let changes = caremarket_core::versions::changes([
                ("Allowed contingency (weeks of budget)", now_weeks, weeks_typed.to_string()),
                ("People receiving long-term support", now_lts, lts_typed.to_string()),
            ]);
            let stale = settings_stale(&state, &form, &RECLAIM_SETTINGS, changes).await?;
            let settings = SettingsShown {
                contingency_weeks: weeks_typed.to_string(),
                long_term_support: lts_typed.to_string(),
                versions: setting_versions_now(&state, &RECLAIM_SETTINGS).await?,
            };
            render_reclaims(&state, &user, None, false, settings, Reply::stale(stale.notice)).await
        }
        Err(e) => Err(e.into()),
    }
}
