//! RAG status, escalation, placement restrictions and embargoes, officer assignment, and what is
//! due and overdue under the cadence rules (issue 3 items 3 and 4; `000` "Provider Visits &
//! Monitoring", "restrictions and embargo list"). Reading needs `ViewQuality`; changing a
//! service's status needs `SetQualityStatus`; editing cadence rules needs `ManageFrameworks`.
//! Provider users have none of these, so every page here is refused to them.

use crate::AppState;
use crate::auth::{CurrentUser, session_context};
use crate::capacity::forms::{FormPage, Pairs, all, date_parts, f, field, form_date, int, opt, render_form, with_hint, with_options};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormErrors as Errors;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::Date;
use caremarket_core::access::{Permission, Role};
use caremarket_core::quality::cadence::{Condition, DueState, activity_code, activity_label};
use caremarket_core::quality::{Activity, EscalationLevel, Rag};
use caremarket_core::register::ServiceKind;
use caremarket_store::StoreError;
use caremarket_store::quality::cadence::{DueFilter, DueItem, RuleInput};
use minijinja::{Value, context};
use serde_json::json;
use std::collections::BTreeMap;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/quality/services/{id}/status", get(status_page))
        .route("/quality/services/{id}/rag", post(rag_submit))
        .route("/quality/services/{id}/escalation", post(escalation_submit))
        .route("/quality/services/{id}/restrictions", post(restriction_submit))
        .route("/quality/services/{id}/restrictions/{rid}/lift", post(restriction_lift))
        .route("/quality/rag", get(rag_list))
        .route("/quality/restrictions", get(restrictions_list))
        .route("/quality/assignments", get(assignments).post(assignments_submit))
        .route("/quality/due", get(due))
        .route("/quality/cadence-rules", get(rules))
        .route("/quality/cadence-rules/new", get(rule_new).post(rule_create))
        .route("/quality/cadence-rules/{id}", get(rule_edit).post(rule_update))
}

const HOMES: [ServiceKind; 2] = [ServiceKind::CareHomeResidential, ServiceKind::CareHomeNursing];

fn today() -> Date {
    caremarket_store::today()
}

fn not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound(_) => AppError::NotFound,
        other => other.into(),
    }
}

fn rag_view(rag: Option<Rag>) -> Value {
    match rag {
        Some(r) => context! { code => r.as_str(), label => r.label(), tag => r.tag_class() },
        None => context! { code => "not_assessed", label => "Not assessed", tag => "govuk-tag--grey" },
    }
}

fn escalation_tag(level: EscalationLevel) -> &'static str {
    match level {
        EscalationLevel::None => "govuk-tag--grey",
        EscalationLevel::EnhancedMonitoring => "govuk-tag--orange",
        EscalationLevel::RiskManagement => "govuk-tag--red",
    }
}

fn escalation_view(level: EscalationLevel) -> Value {
    context! { code => level.as_str(), label => level.label(), tag => escalation_tag(level) }
}

fn due_row(d: &DueItem) -> Value {
    context! {
        service_id => d.service_id, service_name => d.service_name, provider_name => d.provider_name,
        kind_label => d.kind.label(), rule_name => d.rule_name, rule_id => d.rule_id, activity_label => d.activity_label,
        last_activity => d.last_activity, next_due => d.next_due, state => d.state.as_str(), state_label => d.state_label,
        state_tag => d.state_tag, days_overdue => d.days_overdue, days_until => d.days_until,
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

async fn status_page(State(state): State<AppState>, user: CurrentUser, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ViewQuality)?;
    render_status(&state, &user, &id, &vec![], StatusForm::None, &Errors::default(), StatusCode::OK).await
}

async fn render_status(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    form: &Pairs,
    which: StatusForm,
    errors: &Errors,
    code: StatusCode,
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
        if which == w { field(form, name).to_string() } else { default.to_string() }
    };
    let d = |w: StatusForm, name: &str| -> Value { if which == w { date_parts(form, name) } else { Value::from(t.clone()) } };
    let can_set = user.role().can(Permission::SetQualityStatus);
    let forms = context! {
        rag => v(StatusForm::Rag, "rag", ""), rag_reason => v(StatusForm::Rag, "rag_reason", ""), rag_on => d(StatusForm::Rag, "rag_on"),
        level => v(StatusForm::Escalation, "level", ""), escalation_reason => v(StatusForm::Escalation, "escalation_reason", ""),
        escalation_on => d(StatusForm::Escalation, "escalation_on"),
        kind => v(StatusForm::Restriction, "kind", ""), scope => v(StatusForm::Restriction, "scope", ""),
        restriction_reason => v(StatusForm::Restriction, "restriction_reason", ""),
        starts_on => d(StatusForm::Restriction, "starts_on"),
        ends_on => if which == StatusForm::Restriction { date_parts(form, "ends_on") } else { Value::from(()) },
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
    let base = session_context(state, &user.session).await?;
    let html = state.renderer.render(
        "quality_status.html",
        &base,
        context! {
            service => service, status => status, rag => rag_view(status.rag), escalation => escalation_view(status.escalation),
            rag_history => rag_history, escalation_history => escalation_history, restrictions => restrictions,
            due => due.iter().map(due_row).collect::<Vec<_>>(), can_set => can_set, forms => forms,
            rag_options => rag_options, level_options => level_options, kind_options => kind_options,
            errors => errors.list, field_errors => errors.by_field,
        },
    )?;
    Ok((code, Html(html)).into_response())
}

/// A required past-or-today date from a GOV.UK date input.
fn past_date(errors: &mut Errors, form: &Pairs, name: &str, label: &str) -> Option<Date> {
    match form_date(form, name, label) {
        Ok(Some(d)) if d > today() => {
            errors.add(name, &format!("{label} must be today or in the past"));
            None
        }
        Ok(Some(d)) => Some(d),
        Ok(None) => {
            errors.add(name, &format!("Enter the {}", label.to_lowercase()));
            None
        }
        Err(m) => {
            errors.add(name, &m);
            None
        }
    }
}

/// A store validation error, with the field renamed to the one on this page.
fn add_store_error(errors: &mut Errors, e: StoreError, rename: &[(&str, &str)]) -> Result<(), AppError> {
    match e {
        StoreError::Invalid(fe) => {
            let name = rename.iter().find(|(from, _)| *from == fe.field).map(|(_, to)| *to).unwrap_or(fe.field.as_str());
            errors.add(name, &fe.message);
            Ok(())
        }
        StoreError::NotFound(_) => Err(AppError::NotFound),
        other => Err(other.into()),
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
    let mut errors = Errors::new(&["rag_on"]);
    let rag = Rag::parse(field(&form, "rag"));
    if rag.is_none() {
        errors.add("rag", "Choose Green, Amber or Red");
    }
    let reason = field(&form, "rag_reason").trim();
    if reason.is_empty() {
        errors.add("rag_reason", "Enter the reason for the RAG status");
    }
    let on = past_date(&mut errors, &form, "rag_on", "Date of the RAG status");
    if let (Some(rag), Some(on), true) = (rag, on, errors.is_empty()) {
        match state.store.set_rag(&user.actor(), &id, rag, reason, on).await {
            Ok(_) => return Ok(Redirect::to(&format!("/quality/services/{id}/status")).into_response()),
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
    let mut errors = Errors::new(&["escalation_on"]);
    let level = EscalationLevel::parse(field(&form, "level"));
    if level.is_none() {
        errors.add("level", "Choose the escalation level");
    }
    let reason = field(&form, "escalation_reason").trim();
    if reason.is_empty() {
        errors.add("escalation_reason", "Enter the reason for the escalation decision");
    }
    let on = past_date(&mut errors, &form, "escalation_on", "Date of the decision");
    if let (Some(level), Some(on), true) = (level, on, errors.is_empty()) {
        match state.store.set_escalation(&user.actor(), &id, level, reason, on).await {
            Ok(_) => return Ok(Redirect::to(&format!("/quality/services/{id}/status")).into_response()),
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
    let mut errors = Errors::new(&["starts_on", "ends_on"]);
    // Core's one validation of a restriction, as the capacity page checks it.
    if let Some(r) = crate::capacity::parse_restriction(&form, &id, "restriction_reason", &mut errors) {
        match state.store.record_restriction(&user.actor(), &r).await {
            Ok(_) => return Ok(Redirect::to(&format!("/quality/services/{id}/status")).into_response()),
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
    Ok(Redirect::to(&format!("/quality/services/{id}/status")).into_response())
}

// ----- the RAG drill-down -----

fn parse_kinds(q: &[(String, String)]) -> Result<Vec<ServiceKind>, AppError> {
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

async fn rag_list(State(state): State<AppState>, user: CurrentUser, Query(q): Query<Vec<(String, String)>>) -> Result<Response, AppError> {
    user.require(Permission::ViewQuality)?;
    let kinds = parse_kinds(&q)?;
    let rag_code = field(&q, "rag");
    let rag = match rag_code {
        "not_assessed" => None,
        "" => Some(Rag::Red),
        s => Some(
            Rag::parse(s)
                .ok_or_else(|| AppError::BadRequest(format!("'{s}' is not a RAG status: use green, amber, red or not_assessed")))?,
        ),
    };
    // `escalation=` lists services by escalation instead (the dashboard's escalation figures).
    let escalation = match field(&q, "escalation") {
        "" => None,
        s => Some(EscalationLevel::parse(s).ok_or_else(|| {
            AppError::BadRequest(format!("'{s}' is not an escalation level: use none, enhanced_monitoring or risk_management"))
        })?),
    };
    let services = match escalation {
        Some(level) => state.store.services_by_escalation(level, &kinds).await?,
        None => state.store.services_by_rag(rag, &kinds).await?,
    };
    let heading = match escalation {
        Some(level) => level.label(),
        None => rag.map(|r| r.label()).unwrap_or("Not assessed"),
    };
    let current = if escalation.is_some() { "" } else { rag.map(|r| r.as_str()).unwrap_or("not_assessed") };
    let (g, a, r, n) = state.store.rag_counts(&kinds).await?;
    let kind_query: String = kinds.iter().map(|k| format!("&kind={}", k.as_str())).collect();
    let counts = vec![
        context! { view => rag_view(Some(Rag::Green)), count => g, href => format!("/quality/rag?rag=green{kind_query}") },
        context! { view => rag_view(Some(Rag::Amber)), count => a, href => format!("/quality/rag?rag=amber{kind_query}") },
        context! { view => rag_view(Some(Rag::Red)), count => r, href => format!("/quality/rag?rag=red{kind_query}") },
        context! { view => rag_view(None), count => n, href => format!("/quality/rag?rag=not_assessed{kind_query}") },
    ];
    let rows: Vec<Value> = services
        .iter()
        .map(|s| {
            context! {
                service_id => s.service_id, name => s.name, provider_name => s.provider_name, kind_label => s.kind.label(),
                rag => rag_view(s.rag), reason => s.reason, set_on => s.set_on, escalation => escalation_view(s.escalation),
            }
        })
        .collect();
    let kinds_label = if kinds.is_empty() {
        "all kinds of service".to_string()
    } else if kinds.len() == 2 && HOMES.iter().all(|k| kinds.contains(k)) {
        "care homes".to_string()
    } else {
        kinds.iter().map(|k| k.label()).collect::<Vec<_>>().join(", ")
    };
    let base = session_context(&state, &user.session).await?;
    let html = state.renderer.render(
        "quality_rag.html",
        &base,
        context! { heading => heading, current => current, rows => rows, counts => counts, kinds_label => kinds_label, kind_query => kind_query },
    )?;
    Ok(Html(html).into_response())
}

// ----- the restrictions and embargo list -----

async fn restrictions_list(State(state): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    user.require(Permission::ViewQuality)?;
    let rags = state.store.current_rag_by_service().await?;
    let escalations = state.store.current_escalation_by_service().await?;
    let rows: Vec<Value> = state
        .store
        .restrictions(Some(today()))
        .await?
        .iter()
        .map(|r| {
            context! {
                r => r, rag => rag_view(rags.get(&r.service_id).copied()),
                escalation => escalation_view(escalations.get(&r.service_id).copied().unwrap_or(EscalationLevel::None)),
            }
        })
        .collect();
    let base = session_context(&state, &user.session).await?;
    let html = state.renderer.render("quality_restrictions.html", &base, context! { rows => rows })?;
    Ok(Html(html).into_response())
}

// ----- officer assignment -----

fn can_assign(user: &CurrentUser) -> bool {
    user.role().can(Permission::SetQualityStatus) || user.role().can(Permission::RecordQuality)
}

async fn assignments(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewQuality)?;
    render_assignments(&state, &user, &q, &vec![], &Errors::default(), None, StatusCode::OK).await
}

#[allow(clippy::too_many_arguments)]
async fn render_assignments(
    state: &AppState,
    user: &CurrentUser,
    q: &[(String, String)],
    form: &Pairs,
    errors: &Errors,
    notice: Option<String>,
    code: StatusCode,
) -> Result<Response, AppError> {
    let kinds = parse_kinds(q)?;
    let rows = state.store.assignment_rows(&kinds, None).await?;
    let officers = state.store.quality_officers().await?;
    let mut officer_options = vec![opt("", "No officer")];
    officer_options.extend(officers.iter().map(|u| opt(&u.id, &u.display_name)));
    let mut service_options = vec![opt("", "Choose a service")];
    service_options.extend(
        state
            .store
            .assignment_rows(&[], None)
            .await?
            .iter()
            .map(|r| opt(&r.service_id, &format!("{} – {} ({})", r.name, r.provider_name, r.kind.label()))),
    );
    let kind_options: Vec<_> = ServiceKind::ALL.iter().map(|k| json!({"value": k.as_str(), "text": k.label()})).collect();
    let mut area_options = vec![opt("", "Any area")];
    area_options.extend(state.store.areas().await?.iter().map(|a| opt(&a.id, &a.name)));
    let mode = field(form, "mode");
    let vals = |m: &str, name: &str| if mode == m { field(form, name).to_string() } else { String::new() };
    let base = session_context(state, &user.session).await?;
    let html = state.renderer.render(
        "quality_status_assignments.html",
        &base,
        context! {
            rows => rows.iter().map(|r| context! { r => r, kind_label => r.kind.label() }).collect::<Vec<_>>(),
            can_assign => can_assign(user), officer_options => officer_options, service_options => service_options,
            kind_options => kind_options, area_options => area_options,
            filter_kinds => kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            one => context! { service_id => vals("one", "service_id"), officer_id => vals("one", "officer_id"), team => vals("one", "team") },
            bulk => context! {
                kinds => if mode == "bulk" { all(form, "bulk_kind").iter().map(|s| s.to_string()).collect::<Vec<_>>() } else { vec![] },
                area_id => vals("bulk", "area_id"), officer_id => vals("bulk", "bulk_officer_id"), team => vals("bulk", "bulk_team"),
            },
            notice => notice, errors => errors.list, field_errors => errors.by_field,
        },
    )?;
    Ok((code, Html(html)).into_response())
}

async fn assignments_submit(
    State(state): State<AppState>,
    user: CurrentUser,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    if !can_assign(&user) {
        return Err(AppError::Forbidden);
    }
    let mut errors = Errors::default();
    let actor = user.actor();
    let opt_str = |s: &str| Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_string);
    if field(&form, "mode") == "bulk" {
        let mut kinds = Vec::new();
        for k in all(&form, "bulk_kind") {
            match ServiceKind::parse(k) {
                Some(k) => kinds.push(k),
                None => errors.add("bulk_kind", &format!("'{k}' is not a kind of service")),
            }
        }
        if kinds.is_empty() && errors.is_empty() {
            errors.add("bulk_kind", "Choose at least one kind of service");
        }
        let officer = opt_str(field(&form, "bulk_officer_id"));
        if officer.is_none() {
            errors.add("bulk_officer_id", "Choose the officer to assign");
        }
        let area = opt_str(field(&form, "area_id"));
        if let (Some(officer), true) = (officer, errors.is_empty()) {
            let team = opt_str(field(&form, "bulk_team"));
            match state.store.assign_unassigned(&actor, &kinds, area.as_deref(), &officer, team.as_deref()).await {
                Ok(n) => {
                    let notice = format!("{n} service{} without an officer assigned", if n == 1 { "" } else { "s" });
                    return render_assignments(&state, &user, &[], &vec![], &Errors::default(), Some(notice), StatusCode::OK).await;
                }
                Err(e) => add_store_error(&mut errors, e, &[("officer_id", "bulk_officer_id"), ("team", "bulk_team")])?,
            }
        }
    } else {
        let service_id = field(&form, "service_id");
        if service_id.is_empty() {
            errors.add("service_id", "Choose a service");
        }
        if errors.is_empty() {
            let officer = opt_str(field(&form, "officer_id"));
            let team = opt_str(field(&form, "team"));
            match state.store.assign_quality_officer(&actor, service_id, officer.as_deref(), team.as_deref()).await {
                Ok(()) => return Ok(Redirect::to("/quality/assignments").into_response()),
                Err(StoreError::NotFound(_)) => errors.add("service_id", "Choose a service from the list"),
                Err(e) => add_store_error(&mut errors, e, &[])?,
            }
        }
    }
    render_assignments(&state, &user, &[], &form, &errors, None, StatusCode::BAD_REQUEST).await
}

// ----- due and overdue -----

async fn due(State(state): State<AppState>, user: CurrentUser, Query(q): Query<Vec<(String, String)>>) -> Result<Response, AppError> {
    user.require(Permission::ViewQuality)?;
    let on = today();
    let kinds = parse_kinds(&q)?;
    if kinds.len() > 1 {
        return Err(AppError::BadRequest("Choose one kind of service".into()));
    }
    let kind = kinds.first().copied();
    // "mine" by default for a quality officer; everyone's for other roles.
    let officer_param = q.iter().find(|(k, _)| k == "officer").map(|(_, v)| v.as_str());
    let officer_choice = match officer_param {
        Some(v) => v.to_string(),
        None if user.role() == Role::QualityOfficer => "mine".into(),
        None => "all".into(),
    };
    let officer_id = match officer_choice.as_str() {
        "all" | "" => None,
        "mine" => Some(user.user.id.clone()),
        other => Some(other.to_string()),
    };
    let team = Some(field(&q, "team").trim().to_string()).filter(|t| !t.is_empty());
    // By default the page shows what needs doing: due and overdue; "all" adds what is not yet due.
    let state_choice = match field(&q, "state") {
        "" | "due_or_overdue" => "due_or_overdue",
        "all" => "all",
        s => DueState::parse(s).ok_or_else(|| AppError::BadRequest(format!("'{s}' is not a due state")))?.as_str(),
    };
    let state_f = DueState::parse(state_choice);
    let wanted = |d: &DueItem| state_choice != "due_or_overdue" || d.state != DueState::NotYetDue;
    let everything = state.store.due_list(on, &DueFilter { kind, ..Default::default() }).await?;
    let filter = DueFilter { officer_id, team: team.clone(), state: state_f, kind, service_id: None };
    let rows: Vec<Value> = everything.iter().filter(|d| filter.matches(d) && wanted(d)).map(due_row).collect();
    // Counts per officer and per team across all officers and teams (for the kind chosen).
    let mut by_officer: BTreeMap<String, [i64; 3]> = BTreeMap::new();
    let mut by_team: BTreeMap<String, [i64; 3]> = BTreeMap::new();
    let idx = |s: DueState| match s {
        DueState::Overdue => 0,
        DueState::DueSoon => 1,
        DueState::NotYetDue => 2,
    };
    for d in &everything {
        by_officer.entry(d.officer_name.clone().unwrap_or_else(|| "No officer".into())).or_default()[idx(d.state)] += 1;
        by_team.entry(d.team.clone().unwrap_or_else(|| "No team".into())).or_default()[idx(d.state)] += 1;
    }
    let summary = |m: BTreeMap<String, [i64; 3]>| -> Vec<Value> {
        m.into_iter().map(|(k, c)| context! { name => k, overdue => c[0], due => c[1], not_yet => c[2] }).collect()
    };
    let officers = state.store.quality_officers().await?;
    let mut officer_options = vec![opt("all", "All officers"), opt("mine", "Mine"), opt("none", "No officer assigned")];
    officer_options.extend(officers.iter().map(|u| opt(&u.id, &u.display_name)));
    let mut teams: Vec<String> = everything.iter().filter_map(|d| d.team.clone()).collect();
    teams.sort();
    teams.dedup();
    let mut team_options = vec![opt("", "All teams")];
    team_options.extend(teams.iter().map(|t| opt(t, t)));
    let mut state_options = vec![opt("due_or_overdue", "Due or overdue"), opt("all", "Any state")];
    state_options.extend(DueState::ALL.iter().map(|s| opt(s.as_str(), s.label())));
    let mut kind_options = vec![opt("", "Any kind")];
    kind_options.extend(ServiceKind::ALL.iter().map(|k| opt(k.as_str(), k.label())));
    let overdue = everything.iter().filter(|d| filter.matches(d) && d.state == DueState::Overdue).count();
    let due_soon = everything.iter().filter(|d| filter.matches(d) && d.state == DueState::DueSoon).count();
    let base = session_context(&state, &user.session).await?;
    let html = state.renderer.render(
        "quality_due.html",
        &base,
        context! {
            on => on.to_string(), rows => rows, overdue => overdue, due_soon => due_soon,
            by_officer => summary(by_officer), by_team => summary(by_team),
            officer_options => officer_options, team_options => team_options, state_options => state_options, kind_options => kind_options,
            officer => officer_choice, team => team.unwrap_or_default(), state_f => state_choice,
            kind => kind.map(|k| k.as_str()).unwrap_or(""),
        },
    )?;
    Ok(Html(html).into_response())
}

// ----- cadence rules -----

async fn rules(State(state): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    user.require(Permission::ViewQuality)?;
    let rules: Vec<Value> = state
        .store
        .cadence_rules()
        .await?
        .iter()
        .map(|r| {
            context! {
                id => r.id, code => r.code, name => r.rule.name, kinds => r.kinds_label(), condition => r.condition_label(),
                activity => r.activity_label(), interval_days => r.rule.interval_days, warn_days => r.rule.warn_days,
                team => r.team, source => r.source, active => r.active,
            }
        })
        .collect();
    let base = session_context(&state, &user.session).await?;
    let html = state.renderer.render(
        "quality_cadence_rules.html",
        &base,
        context! { rules => rules, can_manage => user.role().can(Permission::ManageFrameworks) },
    )?;
    Ok(Html(html).into_response())
}

fn rule_fields(form: &Pairs, new: bool) -> Vec<serde_json::Value> {
    let mut v = Vec::new();
    if new {
        v.push(with_hint(
            f("input", "code", "Code", field(form, "code")),
            "A short name for the rule that never changes: letters, numbers and underscores",
        ));
    }
    v.push(f("input", "name", "Name", field(form, "name")));
    v.push(with_hint(
        with_options(
            f("checkboxes", "applies_to", "Kinds of service", all(form, "applies_to")),
            ServiceKind::ALL.iter().map(|k| json!({"value": k.as_str(), "text": k.label()})).collect(),
        ),
        "Leave all unticked for every kind of service",
    ));
    v.push(with_options(
        f("radios", "condition", "Which of these services", field(form, "condition")),
        Condition::ALL.iter().map(|c| json!({"value": c.as_str(), "text": c.label()})).collect(),
    ));
    let mut acts = vec![opt("any", activity_label(None))];
    acts.extend(Activity::ALL.iter().map(|a| opt(activity_code(Some(*a)), a.label())));
    v.push(with_options(f("select", "activity", "What counts as a visit or meeting for this rule", field(form, "activity")), acts));
    v.push(with_hint(f("numeric", "interval_days", "Interval in days", field(form, "interval_days")), "For example 365 for once a year"));
    v.push(with_hint(
        f("numeric", "warn_days", "Due soon from this many days before", field(form, "warn_days")),
        "Fewer than the interval",
    ));
    v.push(with_hint(f("input", "team", "Team (optional)", field(form, "team")), "The team that usually does these visits"));
    v.push(with_options(
        f("checkboxes", "active", "In use", all(form, "active")),
        vec![json!({"value": "1", "text": "This rule is in use"})],
    ));
    v
}

fn rule_page<'a>(title: &'a str, action: &'a str, fields: Vec<serde_json::Value>) -> FormPage<'a> {
    FormPage {
        title,
        caption: Some("Cadence rules"),
        intro: Some("Services the rule applies to are due a visit or meeting when the interval has passed since the last one.".into()),
        action,
        back: "/quality/cadence-rules",
        button: "Save rule",
        fields,
        multipart: false,
    }
}

fn rule_input(form: &Pairs, errors: &mut Errors) -> Option<RuleInput> {
    let interval = errors.check("interval_days", int(form, "interval_days", "Interval in days", None));
    let warn = errors.check("warn_days", int(form, "warn_days", "Days before", Some(0)));
    Some(RuleInput {
        code: field(form, "code").trim().to_string(),
        name: field(form, "name").trim().to_string(),
        applies_to: all(form, "applies_to").iter().map(|s| s.to_string()).collect(),
        condition: field(form, "condition").to_string(),
        activity: field(form, "activity").to_string(),
        interval_days: interval?,
        warn_days: warn?,
        team: Some(field(form, "team").to_string()),
        active: field(form, "active") == "1",
    })
}

async fn rule_new(State(state): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    user.require(Permission::ManageFrameworks)?;
    let form: Pairs = vec![("active".into(), "1".into()), ("activity".into(), "quality_visit".into()), ("condition".into(), "all".into())];
    render_form(
        &state,
        &user,
        rule_page("Add a cadence rule", "/quality/cadence-rules/new", rule_fields(&form, true)),
        &Errors::default(),
        StatusCode::OK,
    )
    .await
}

async fn rule_create(State(state): State<AppState>, user: CurrentUser, CsrfForm(form): CsrfForm<Pairs>) -> Result<Response, AppError> {
    user.require(Permission::ManageFrameworks)?;
    let mut errors = Errors::default();
    if let Some(input) = rule_input(&form, &mut errors) {
        match state.store.save_cadence_rule(&user.actor(), None, &input).await {
            Ok(_) => return Ok(Redirect::to("/quality/cadence-rules").into_response()),
            Err(e) => add_store_error(&mut errors, e, &[])?,
        }
    }
    let fields = rule_fields(&form, true);
    render_form(&state, &user, rule_page("Add a cadence rule", "/quality/cadence-rules/new", fields), &errors, StatusCode::BAD_REQUEST)
        .await
}

async fn rule_edit(State(state): State<AppState>, user: CurrentUser, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ManageFrameworks)?;
    let r = state.store.cadence_rule(&id).await.map_err(not_found)?;
    let mut form: Pairs = vec![
        ("name".into(), r.rule.name.clone()),
        ("condition".into(), r.rule.condition.as_str().into()),
        ("activity".into(), activity_code(r.rule.activity).into()),
        ("interval_days".into(), r.rule.interval_days.to_string()),
        ("warn_days".into(), r.rule.warn_days.to_string()),
        ("team".into(), r.team.clone().unwrap_or_default()),
    ];
    form.extend(r.rule.applies_to.iter().map(|k| ("applies_to".to_string(), k.as_str().to_string())));
    if r.active {
        form.push(("active".into(), "1".into()));
    }
    let action = format!("/quality/cadence-rules/{id}");
    let title = format!("Change cadence rule {}", r.code);
    render_form(&state, &user, rule_page(&title, &action, rule_fields(&form, false)), &Errors::default(), StatusCode::OK).await
}

async fn rule_update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageFrameworks)?;
    let r = state.store.cadence_rule(&id).await.map_err(not_found)?;
    let mut errors = Errors::default();
    if let Some(input) = rule_input(&form, &mut errors) {
        match state.store.save_cadence_rule(&user.actor(), Some(&id), &input).await {
            Ok(_) => return Ok(Redirect::to("/quality/cadence-rules").into_response()),
            Err(e) => add_store_error(&mut errors, e, &[])?,
        }
    }
    let action = format!("/quality/cadence-rules/{id}");
    let title = format!("Change cadence rule {}", r.code);
    render_form(&state, &user, rule_page(&title, &action, rule_fields(&form, false)), &errors, StatusCode::BAD_REQUEST).await
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
