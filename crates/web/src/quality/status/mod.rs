//! RAG status, escalation, placement restrictions and embargoes, officer assignment, and what is
//! due and overdue under the cadence rules (issue 3 items 3 and 4; `000` "Provider Visits &
//! Monitoring", "restrictions and embargo list"). Reading needs `ViewQuality`; changing a
//! service's status needs `SetQualityStatus`; editing cadence rules needs `ManageFrameworks`.
//! Provider users have none of these, so every page here is refused to them.

mod assignments;
mod due;
mod lists;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::capacity::forms::all;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, date_parts, field, form_date};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::Date;
use caremarket_core::access::Permission;
use caremarket_core::quality::status::{DecisionKind, check_decision};
use caremarket_core::quality::{EscalationLevel, Rag};
use caremarket_core::register::ServiceKind;
use caremarket_store::StoreError;
use caremarket_store::quality::cadence::{DueFilter, DueItem};
use minijinja::{Value, context};
use serde_json::json;

type Pairs = Vec<(String, String)>;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/quality/services/{id}/status", get(status_page))
        .route("/quality/services/{id}/rag", post(rag_submit))
        .route("/quality/services/{id}/escalation", post(escalation_submit))
        .route("/quality/services/{id}/restrictions", post(restriction_submit))
        .route("/quality/services/{id}/restrictions/{rid}/lift", post(restriction_lift))
        .merge(lists::routes())
        .merge(assignments::routes())
        .merge(due::routes())
}

pub(super) fn today() -> Date {
    caremarket_store::today()
}

pub(super) fn not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound(_) => AppError::NotFound,
        other => other.into(),
    }
}

pub(super) fn rag_view(rag: Option<Rag>) -> Value {
    match rag {
        Some(r) => context! { code => r.as_str(), label => r.label(), tag => crate::tags::rag(rag) },
        None => context! { code => "not_assessed", label => "Not assessed", tag => crate::tags::rag(None) },
    }
}

pub(super) fn escalation_view(level: EscalationLevel) -> Value {
    context! { code => level.as_str(), label => level.label(), tag => crate::tags::escalation(level) }
}

pub(crate) fn due_row(d: &DueItem) -> Value {
    context! {
        service_id => d.service_id, service_name => d.service_name, provider_name => d.provider_name,
        kind_label => d.kind.label(), rule_name => d.rule_name, rule_id => d.rule_id, activity_label => d.activity_label,
        last_activity => d.last_activity, next_due => d.next_due, state => d.state.as_str(), state_label => d.state_label,
        state_tag => crate::tags::due_state(d.state), days_overdue => d.days_overdue, days_until => d.days_until,
        no_visit_on_record => d.no_visit_on_record, officer_name => d.officer_name, team => d.team,
    }
}

// ----- a service's status page -----

/// Which form on the status page was sent, so its fields keep what was typed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum StatusForm {
    None,
    Rag,
    Escalation,
    Restriction,
}

#[derive(Debug, Default, serde::Deserialize)]
struct StatusQuery {
    saved: Option<String>,
    /// The one form to show: the page lists the status and each row links to its form.
    change: Option<String>,
}

/// The confirmation shown after a change, named by the `saved` parameter of the redirect.
fn saved_banner(saved: Option<&str>) -> Option<&'static str> {
    match saved? {
        "rag" => Some("RAG status saved"),
        "escalation" => Some("Escalation saved"),
        "restriction" => Some("Restriction recorded"),
        "lifted" => Some("Restriction lifted"),
        _ => None,
    }
}

async fn status_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<StatusQuery>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewQuality)?;
    let banner = saved_banner(q.saved.as_deref());
    let which = match q.change.as_deref().unwrap_or("") {
        "" => StatusForm::None,
        "rag" => StatusForm::Rag,
        "escalation" => StatusForm::Escalation,
        "restriction" => StatusForm::Restriction,
        other => {
            return Err(AppError::BadRequest(format!("change: '{other}' is not a form on this page: use rag, escalation or restriction")));
        }
    };
    if which != StatusForm::None {
        user.require(Permission::SetQualityStatus)?;
    }
    render_status_with(&state, &user, &id, &vec![], which, &FormErrors::new(&[]), StatusCode::OK, banner).await
}

#[allow(clippy::too_many_arguments)]
async fn render_status(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    form: &Pairs,
    which: StatusForm,
    errors: &FormErrors,
    code: StatusCode,
) -> Result<Response, AppError> {
    render_status_with(state, user, id, form, which, errors, code, None).await
}

#[allow(clippy::too_many_arguments)]
async fn render_status_with(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    form: &Pairs,
    which: StatusForm,
    errors: &FormErrors,
    code: StatusCode,
    banner: Option<&str>,
) -> Result<Response, AppError> {
    let service = state.store.service(id).await.map_err(not_found)?;
    let status = state.store.quality_status(id).await?;
    let rag_history: Vec<Value> = state
        .store
        .rag_history(id)
        .await?
        .iter()
        .map(|h| context! { rag => rag_view(Some(h.rag)), reason => h.reason, set_on => h.set_on, set_by => h.set_by })
        .collect();
    let escalation_history: Vec<Value> = state
        .store
        .escalation_history(id)
        .await?
        .iter()
        .map(|h| context! { level => escalation_view(h.level), reason => h.reason, set_on => h.set_on, set_by => h.set_by })
        .collect();
    let t = today().to_string();
    let restrictions: Vec<Value> = state
        .store
        .restrictions_for_service(id)
        .await?
        .iter()
        .map(|r| {
            let in_force = r.starts_on <= t && r.ends_on.as_ref().is_none_or(|e| *e >= t);
            context! { r => r, in_force => in_force, describe => r.describe() }
        })
        .collect();
    let due = state.store.due_list(today(), &DueFilter { service_id: Some(id.to_string()), ..Default::default() }).await?;
    let v = |w: StatusForm, name: &str, default: &str| -> String {
        if which == w && !form.is_empty() { field(form, name).to_string() } else { default.to_string() }
    };
    // A form opened from its link starts from today; a form sent back with errors keeps what was typed.
    let d = |w: StatusForm, name: &str| -> Value {
        if which == w && !form.is_empty() { date_parts(form, name) } else { Value::from(t.clone()) }
    };
    let can_set = user.role().can(Permission::SetQualityStatus);
    let forms = context! {
        rag => v(StatusForm::Rag, "rag", ""), rag_reason => v(StatusForm::Rag, "rag_reason", ""), rag_on => d(StatusForm::Rag, "rag_on"),
        level => v(StatusForm::Escalation, "level", ""), escalation_reason => v(StatusForm::Escalation, "escalation_reason", ""),
        escalation_on => d(StatusForm::Escalation, "escalation_on"),
        kind => v(StatusForm::Restriction, "kind", ""), scope => v(StatusForm::Restriction, "scope", ""),
        restriction_reason => v(StatusForm::Restriction, "restriction_reason", ""),
        starts_on => d(StatusForm::Restriction, "starts_on"),
        ends_on => if which == StatusForm::Restriction && !form.is_empty() { date_parts(form, "ends_on") } else { Value::from(()) },
    };
    let rag_options: Vec<_> = Rag::ALL.iter().map(|r| json!({"value": r.as_str(), "text": r.label()})).collect();
    let level_options: Vec<_> = EscalationLevel::ALL
        .iter()
        .map(|l| {
            let hint = match l {
                EscalationLevel::None => "Not in escalation",
                EscalationLevel::EnhancedMonitoring => "Reviewed at least every 14 weeks",
                EscalationLevel::RiskManagement => "Care homes are met every 4 to 6 weeks and reviewed at least every 14 weeks",
            };
            json!({"value": l.as_str(), "text": l.label(), "hint": hint})
        })
        .collect();
    let kind_options = vec![
        json!({"value": "embargo", "text": "Embargo", "hint": "No new placements or packages"}),
        json!({"value": "restriction", "text": "Restriction", "hint": "Limited, as the scope says"}),
    ];
    let base = user.context(state).await?;
    let html = state.renderer.render(
        "quality_status.html",
        &base,
        context! {
            service => service, status => status, rag => rag_view(status.rag), escalation => escalation_view(status.escalation),
            rag_history => rag_history, escalation_history => escalation_history, restrictions => restrictions,
            due => due.iter().map(due_row).collect::<Vec<_>>(), can_set => can_set, forms => forms,
            rag_options => rag_options, level_options => level_options, kind_options => kind_options,
            errors => errors.list, field_errors => errors.by_field, banner => banner,
            change => match which { StatusForm::None => "", StatusForm::Rag => "rag", StatusForm::Escalation => "escalation", StatusForm::Restriction => "restriction" },
        },
    )?;
    Ok((code, Html(html)).into_response())
}

/// A RAG or escalation decision's reason and date as core checks them, the date read from the
/// form's GOV.UK date input; errors are named as on this page (the reason, then the date: typed
/// wrongly, missing, or core's refusal).
fn check_decision_form(errors: &mut FormErrors, kind: DecisionKind, reason: &str, form: &Pairs, fields: (&str, &str)) -> Option<Date> {
    let (reason_field, on_field) = fields;
    let typed = form_date(form, on_field, kind.date_label());
    let on = typed.clone().ok().flatten();
    let today = today();
    // Without a date, core's other checks still run (on today) so every field is reported.
    let core = check_decision(kind, reason, on.unwrap_or(today), today).err().unwrap_or_default();
    for e in core.0.iter().filter(|e| e.field == "reason") {
        errors.add(reason_field, &e.message);
    }
    match typed {
        Err(m) => errors.add(on_field, &m),
        Ok(None) => errors.add(on_field, &format!("Enter the {}", kind.date_label().to_lowercase())),
        Ok(Some(_)) => {
            for e in core.0.iter().filter(|e| e.field == "on") {
                errors.add(on_field, &e.message);
            }
        }
    }
    on
}

/// A store refusal, with core's field names renamed to the ones on this page.
pub(super) fn add_store_error(errors: &mut FormErrors, e: StoreError, rename: &[(&str, &str)]) -> Result<(), AppError> {
    match e {
        StoreError::NotFound(_) => Err(AppError::NotFound),
        StoreError::Conflict(m) => Err(StoreError::Conflict(m).into()),
        other => super::add_store_as(errors, other, |f| {
            rename.iter().find(|(from, _)| *from == f).map(|(_, to)| to.to_string()).unwrap_or_else(|| f.to_string())
        }),
    }
}

async fn rag_submit(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    user.require(Permission::SetQualityStatus)?;
    state.store.service(&id).await.map_err(not_found)?;
    let mut errors = FormErrors::new(&["rag_on"]);
    let rag = Rag::parse(field(&form, "rag"));
    if rag.is_none() {
        errors.add("rag", "Choose Green, Amber or Red");
    }
    let reason = field(&form, "rag_reason").trim();
    let on = check_decision_form(&mut errors, DecisionKind::Rag, reason, &form, ("rag_reason", "rag_on"));
    if let (Some(rag), Some(on), true) = (rag, on, errors.is_empty()) {
        match state.store.set_rag(&user.actor(), &id, rag, reason, on).await {
            Ok(_) => return Ok(Redirect::to(&format!("/quality/services/{id}/status?saved=rag")).into_response()),
            Err(e) => add_store_error(&mut errors, e, &[("reason", "rag_reason"), ("on", "rag_on")])?,
        }
    }
    render_status(&state, &user, &id, &form, StatusForm::Rag, &errors, StatusCode::BAD_REQUEST).await
}

async fn escalation_submit(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    user.require(Permission::SetQualityStatus)?;
    state.store.service(&id).await.map_err(not_found)?;
    let mut errors = FormErrors::new(&["escalation_on"]);
    let level = EscalationLevel::parse(field(&form, "level"));
    if level.is_none() {
        errors.add("level", "Choose the escalation level");
    }
    let reason = field(&form, "escalation_reason").trim();
    let on = check_decision_form(&mut errors, DecisionKind::Escalation, reason, &form, ("escalation_reason", "escalation_on"));
    if let (Some(level), Some(on), true) = (level, on, errors.is_empty()) {
        match state.store.set_escalation(&user.actor(), &id, level, reason, on).await {
            Ok(_) => return Ok(Redirect::to(&format!("/quality/services/{id}/status?saved=escalation")).into_response()),
            Err(e) => add_store_error(&mut errors, e, &[("reason", "escalation_reason"), ("on", "escalation_on")])?,
        }
    }
    render_status(&state, &user, &id, &form, StatusForm::Escalation, &errors, StatusCode::BAD_REQUEST).await
}

async fn restriction_submit(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    user.require(Permission::SetQualityStatus)?;
    state.store.service(&id).await.map_err(not_found)?;
    let mut errors = FormErrors::new(&["starts_on", "ends_on"]);
    // Core's one validation of a restriction, as the capacity page checks it.
    if let Some(r) = crate::capacity::parse_restriction(&form, &id, "restriction_reason", &mut errors) {
        match state.store.record_restriction(&user.actor(), &r).await {
            Ok(_) => return Ok(Redirect::to(&format!("/quality/services/{id}/status?saved=restriction")).into_response()),
            Err(e) => add_store_error(&mut errors, e, &[("reason", "restriction_reason")])?,
        }
    }
    render_status(&state, &user, &id, &form, StatusForm::Restriction, &errors, StatusCode::BAD_REQUEST).await
}

async fn restriction_lift(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, rid)): Path<(String, String)>,
    CsrfForm(_form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    user.require(Permission::SetQualityStatus)?;
    // Only a restriction on this service can be lifted from its page.
    if !state.store.restrictions_for_service(&id).await?.iter().any(|r| r.id == rid) {
        return Err(AppError::NotFound);
    }
    // Lifted now: the last day it applied was yesterday (`lift_restriction` ends it after the
    // day given; one that started today ends on its start day).
    state.store.lift_restriction(&user.actor(), &rid, caremarket_core::quality::cadence::add_days(today(), -1)).await?;
    Ok(Redirect::to(&format!("/quality/services/{id}/status?saved=lifted")).into_response())
}

pub(super) fn parse_kinds(q: &[(String, String)]) -> Result<Vec<ServiceKind>, AppError> {
    let mut kinds = Vec::new();
    for v in all(q, "kind") {
        if v.is_empty() {
            continue;
        }
        let k = ServiceKind::parse(v).ok_or_else(|| AppError::BadRequest(format!("'{v}' is not a kind of service")))?;
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    Ok(kinds)
}

// ----- the status section of a service's quality tab -----

/// This part's section of a service's quality tab (`_quality_section_status.html`): current
/// RAG, escalation, restrictions in force, officer and team, and the cadence rules' next due
/// dates; none without `ViewQuality`.
pub(super) async fn service_section(
    state: &AppState,
    user: &CurrentUser,
    service_id: &str,
) -> Result<Option<minijinja::Value>, crate::error::AppError> {
    if !user.role().can(Permission::ViewQuality) {
        return Ok(None);
    }
    let status = state.store.quality_status(service_id).await.map_err(not_found)?;
    let due = state.store.due_list(today(), &DueFilter { service_id: Some(service_id.to_string()), ..Default::default() }).await?;
    let restrictions: Vec<Value> = status.restrictions.iter().map(|r| context! { r => r, describe => r.describe() }).collect();
    Ok(Some(context! {
        status => status, rag => rag_view(status.rag), escalation => escalation_view(status.escalation),
        restrictions => restrictions, due => due.iter().map(due_row).collect::<Vec<_>>(),
        href => format!("/quality/services/{service_id}/status"),
        can_set => user.role().can(Permission::SetQualityStatus),
    }))
}
