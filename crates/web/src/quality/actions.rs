//! Action plans: the officers' list (open, overdue, submitted; by service or provider), adding an
//! action by hand, each action's history with the officer's accept / reopen decision and internal
//! note; and the provider portal's own action plans, where a provider records progress and
//! evidence.
//!
//! The portal's provider comes from the signed-in account, never from the request: another
//! provider's action is "not found", and the officer's internal note is never rendered there.

use super::visits::Errors;
use crate::AppState;
use crate::auth::{CurrentUser, session_context};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{date_parts, field, form_date};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::Date;
use caremarket_core::access::Permission;
use caremarket_core::quality::ActionStatus;
use caremarket_store::StoreError;
use caremarket_store::quality::actions::{Action, ActionFilter, ActionUpdate, NewAction};
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/quality/actions", get(list))
        .route("/quality/actions/new", get(new_form).post(create))
        .route("/quality/actions/{id}", get(show))
        .route("/quality/actions/{id}/decision", post(decide))
        .route("/quality/actions/{id}/note", post(note))
        .route("/portal/actions", get(portal_list))
        .route("/portal/actions/{id}", get(portal_show).post(portal_update))
}

/// What a provider may see of an action: everything but the officer's internal note.
#[derive(Debug, Serialize)]
struct ActionRow {
    id: String,
    service_id: String,
    service_name: String,
    provider_id: String,
    provider_name: String,
    title: String,
    detail: Option<String>,
    owner: String,
    due_on: String,
    status: &'static str,
    status_code: &'static str,
    status_tag: &'static str,
    open: bool,
    overdue: bool,
    standard: Option<String>,
    judgement: Option<&'static str>,
    judgement_tag: Option<&'static str>,
    visit_id: Option<String>,
    visit_date: Option<String>,
    accepted_on: Option<String>,
}

fn status_tag(s: ActionStatus) -> &'static str {
    match s {
        ActionStatus::Open => "govuk-tag--blue",
        ActionStatus::InProgress => "govuk-tag--light-blue",
        ActionStatus::Submitted => "govuk-tag--purple",
        ActionStatus::Accepted => "govuk-tag--green",
        ActionStatus::Reopened => "govuk-tag--orange",
    }
}

fn row(a: &Action, today: Date) -> ActionRow {
    ActionRow {
        id: a.id.clone(),
        service_id: a.service_id.clone(),
        service_name: a.service_name.clone(),
        provider_id: a.provider_id.clone(),
        provider_name: a.provider_name.clone(),
        title: a.title.clone(),
        detail: a.detail.clone(),
        owner: a.owner.clone(),
        due_on: a.due_on.clone(),
        status: a.status.label(),
        status_code: a.status.as_str(),
        status_tag: status_tag(a.status),
        open: a.status.is_open(),
        overdue: a.is_overdue(today),
        standard: a.standard_code.as_ref().map(|c| format!("{c} {}", a.standard_title.clone().unwrap_or_default())),
        judgement: a.judgement.map(|j| j.label()),
        judgement_tag: a.judgement.map(|j| j.tag_class()),
        visit_id: a.visit_id.clone(),
        visit_date: a.visit_date.clone(),
        accepted_on: a.accepted_on.clone(),
    }
}

fn update_row(u: &ActionUpdate, for_provider: bool) -> Value {
    context! {
        at => u.created_at,
        who => if u.author_kind == "provider" { if for_provider { u.author.clone() } else { format!("Provider ({})", u.author) } } else if for_provider { "Council officer".to_string() } else { u.author.clone() },
        kind => u.author_kind,
        note => u.note,
        evidence => u.evidence,
        status => u.status_after.label(),
        status_tag => status_tag(u.status_after),
    }
}

async fn render(state: &AppState, user: &CurrentUser, template: &str, page: Value) -> Result<String, AppError> {
    let base = session_context(state, &user.session).await?;
    state.renderer.render(template, &base, page)
}

// ----- officers -----

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    state: Option<String>,
    service_id: Option<String>,
    provider_id: Option<String>,
    recorded: Option<String>,
}

async fn list(user: CurrentUser, State(state): State<AppState>, Query(q): Query<ListQuery>) -> Result<Html<String>, AppError> {
    user.require(Permission::ViewQuality)?;
    let today = caremarket_store::today();
    let st = q
        .state
        .clone()
        .filter(|s| ["open", "overdue", "submitted", "accepted", "all"].contains(&s.as_str()))
        .unwrap_or_else(|| "open".into());
    let filter = ActionFilter {
        state: Some(st.clone()).filter(|s| s != "all"),
        service_id: q.service_id.clone().filter(|s| !s.is_empty()),
        provider_id: q.provider_id.clone().filter(|s| !s.is_empty()),
        on: Some(today),
    };
    let actions = state.store.actions(&filter).await?;
    let rows: Vec<ActionRow> = actions.iter().map(|a| row(a, today)).collect();
    let overdue = rows.iter().filter(|r| r.overdue).count();
    let scope = match (&filter.service_id, &filter.provider_id) {
        (Some(s), _) => state.store.service(s).await.ok().map(|s| s.name),
        (None, Some(p)) => state.store.provider(p).await.ok().map(|p| p.name),
        _ => None,
    };
    let mut qs = String::new();
    if let Some(s) = &filter.service_id {
        qs.push_str(&format!("&service_id={s}"));
    }
    if let Some(p) = &filter.provider_id {
        qs.push_str(&format!("&provider_id={p}"));
    }
    let tabs: Vec<Value> =
        [("open", "Open"), ("overdue", "Overdue"), ("submitted", "Submitted for review"), ("accepted", "Accepted"), ("all", "All")]
            .iter()
            .map(|(k, t)| context! { href => format!("/quality/actions?state={k}{qs}"), text => t, current => *k == st })
            .collect();
    let html = render(
        &state,
        &user,
        "quality_actions.html",
        context! { actions => rows, overdue => overdue, state => st, tabs => tabs, scope => scope, service_id => filter.service_id, banner => q.recorded.is_some(), can_record => user.role().can(Permission::RecordQuality) },
    )
    .await?;
    Ok(Html(html))
}

async fn render_new(
    state: &AppState,
    user: &CurrentUser,
    form: &[(String, String)],
    errors: &Errors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let service = state.store.service(field(form, "service_id")).await?;
    let html = render(
        state,
        user,
        "quality_action_new.html",
        context! {
            service => context! { id => service.id, name => service.name, provider_name => service.provider_name },
            errors => errors.list,
            field_errors => errors.by_field,
            title => field(form, "title"),
            detail => field(form, "detail"),
            owner => field(form, "owner"),
            due_on => date_parts(form, "due_on"),
        },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}

#[derive(Debug, Deserialize)]
struct NewQuery {
    service_id: Option<String>,
}

async fn new_form(user: CurrentUser, State(state): State<AppState>, Query(q): Query<NewQuery>) -> Result<Response, AppError> {
    user.require(Permission::RecordQuality)?;
    let Some(sid) = q.service_id.filter(|s| !s.is_empty()) else {
        return Err(AppError::BadRequest("Choose a service first: add an action from the service's quality tab.".into()));
    };
    render_new(&state, &user, &[("service_id".into(), sid)], &Errors::default(), StatusCode::OK).await
}

async fn create(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::RecordQuality)?;
    let service_id = field(&form, "service_id").to_string();
    if state.store.service(&service_id).await.is_err() {
        return Err(AppError::BadRequest("Choose a service from the register.".into()));
    }
    let mut errors = Errors::default();
    if field(&form, "title").trim().is_empty() {
        errors.add("title", "Enter what the provider needs to do");
    }
    if field(&form, "owner").trim().is_empty() {
        errors.add("owner", "Enter who owns the action");
    }
    let due_on = match form_date(&form, "due_on", "Due date") {
        Ok(Some(d)) => Some(d),
        Ok(None) => {
            errors.add("due_on", "Enter the date the action is due");
            None
        }
        Err(m) => {
            errors.add("due_on", &m);
            None
        }
    };
    if errors.is_empty() {
        let new = NewAction {
            service_id: service_id.clone(),
            title: field(&form, "title").into(),
            detail: Some(field(&form, "detail").to_string()),
            owner: field(&form, "owner").into(),
            due_on,
        };
        match state.store.create_action(&user.actor(), &new).await {
            Ok(id) => return Ok(Redirect::to(&format!("/quality/actions/{id}?recorded=1")).into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_new(&state, &user, &form, &errors, StatusCode::BAD_REQUEST).await
}

#[derive(Debug, Default, Deserialize)]
struct ShowQuery {
    recorded: Option<String>,
    decided: Option<String>,
    noted: Option<String>,
}

async fn render_show(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    form: &[(String, String)],
    errors: &Errors,
    banner: Option<&str>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let a = state.store.action(id).await?;
    let today = caremarket_store::today();
    let history: Vec<Value> = state.store.action_updates(id).await?.iter().map(|u| update_row(u, false)).collect();
    let decisions = if a.status == ActionStatus::Accepted {
        vec![json!({"value": "reopen", "text": "Reopen the action"})]
    } else if matches!(a.status, ActionStatus::Open | ActionStatus::Reopened) {
        vec![json!({"value": "accept", "text": "Accept: the action is done"})]
    } else {
        vec![json!({"value": "accept", "text": "Accept: the action is done"}), json!({"value": "reopen", "text": "Reopen: more is needed"})]
    };
    let html = render(
        state,
        user,
        "quality_action.html",
        context! {
            action => row(&a, today),
            officer_note => a.officer_note,
            history => history,
            decisions => decisions,
            decision => field(form, "decision"),
            note => field(form, "note"),
            officer_note_value => if form.is_empty() { a.officer_note.clone().unwrap_or_default() } else { field(form, "officer_note").to_string() },
            errors => errors.list,
            field_errors => errors.by_field,
            banner => banner,
            can_record => user.role().can(Permission::RecordQuality),
        },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}

async fn show(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewQuality)?;
    let banner = if q.recorded.is_some() {
        Some("Action added to the plan")
    } else if q.decided.is_some() {
        Some("Decision recorded")
    } else if q.noted.is_some() {
        Some("Internal note saved")
    } else {
        None
    };
    render_show(&state, &user, &id, &[], &Errors::default(), banner, StatusCode::OK).await
}

async fn decide(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::RecordQuality)?;
    let mut errors = Errors::default();
    let note = field(&form, "note");
    let result = match field(&form, "decision") {
        "accept" => Some(state.store.accept_action(&user.actor(), &id, note, caremarket_store::today()).await),
        "reopen" => Some(state.store.reopen_action(&user.actor(), &id, note).await.map_err(|e| match e {
            StoreError::Invalid(fe) if fe.field == "reason" => StoreError::invalid("note", "Enter why the action is reopened"),
            other => other,
        })),
        _ => {
            errors.add("decision", "Choose whether to accept or reopen the action");
            None
        }
    };
    match result {
        Some(Ok(())) => return Ok(Redirect::to(&format!("/quality/actions/{id}?decided=1")).into_response()),
        Some(Err(e)) => errors.add_store(e)?,
        None => {}
    }
    render_show(&state, &user, &id, &form, &errors, None, StatusCode::BAD_REQUEST).await
}

async fn note(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::RecordQuality)?;
    state.store.set_action_officer_note(&user.actor(), &id, field(&form, "officer_note")).await?;
    Ok(Redirect::to(&format!("/quality/actions/{id}?noted=1")).into_response())
}

// ----- the provider portal -----

/// The signed-in provider user's provider id.
fn provider_of(user: &CurrentUser) -> Result<String, AppError> {
    user.require(Permission::ProviderPortal)?;
    user.user.provider_id.clone().ok_or(AppError::Forbidden)
}

/// One of the provider's own actions, or "not found" (whether it exists elsewhere or not).
async fn own_action(state: &AppState, provider_id: &str, id: &str) -> Result<Action, AppError> {
    match state.store.action(id).await {
        Ok(a) if a.provider_id == provider_id => Ok(a),
        Ok(_) | Err(StoreError::NotFound(_)) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

async fn portal_list(user: CurrentUser, State(state): State<AppState>) -> Result<Html<String>, AppError> {
    let provider_id = provider_of(&user)?;
    let provider = state.store.provider(&provider_id).await?;
    let today = caremarket_store::today();
    let actions = state.store.actions_for_provider(&provider_id).await?;
    // Checked again so that a query bug cannot show another provider's action.
    let rows: Vec<ActionRow> = actions.iter().filter(|a| a.provider_id == provider_id).map(|a| row(a, today)).collect();
    let mut services: Vec<(String, String, Vec<&ActionRow>)> = Vec::new();
    let mut sorted: Vec<&ActionRow> = rows.iter().collect();
    sorted.sort_by(|a, b| (&a.service_name, !a.open, &a.due_on).cmp(&(&b.service_name, !b.open, &b.due_on)));
    for r in sorted {
        match services.last_mut() {
            Some((sid, _, v)) if *sid == r.service_id => v.push(r),
            _ => services.push((r.service_id.clone(), r.service_name.clone(), vec![r])),
        }
    }
    let groups: Vec<Value> = services
        .iter()
        .map(|(sid, name, v)| context! { service_id => sid, service_name => name, actions => v, open => v.iter().filter(|r| r.open).count() })
        .collect();
    let html = render(
        &state,
        &user,
        "portal_actions.html",
        context! {
            provider_name => provider.name,
            groups => groups,
            open => rows.iter().filter(|r| r.open).count(),
            overdue => rows.iter().filter(|r| r.overdue).count(),
            submitted => rows.iter().filter(|r| r.status_code == "submitted").count(),
        },
    )
    .await?;
    Ok(Html(html))
}

async fn render_portal_action(
    state: &AppState,
    user: &CurrentUser,
    a: &Action,
    form: &[(String, String)],
    errors: &Errors,
    banner: bool,
    status: StatusCode,
) -> Result<Response, AppError> {
    let history: Vec<Value> = state.store.action_updates(&a.id).await?.iter().map(|u| update_row(u, true)).collect();
    let status_options = vec![
        json!({"value": "in_progress", "text": "In progress", "hint": "Work has started; the council will not review it yet."}),
        json!({"value": "submitted", "text": "Done: submit for review", "hint": "The council will check the evidence and accept or reopen the action."}),
    ];
    let html = render(
        state,
        user,
        "portal_action.html",
        context! {
            action => row(a, caremarket_store::today()),
            history => history,
            status_options => status_options,
            status => field(form, "status"),
            note => field(form, "note"),
            evidence => field(form, "evidence"),
            errors => errors.list,
            field_errors => errors.by_field,
            banner => banner,
        },
    )
    .await?;
    Ok((status, Html(html)).into_response())
}

#[derive(Debug, Default, Deserialize)]
struct PortalQuery {
    saved: Option<String>,
}

async fn portal_show(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<PortalQuery>,
) -> Result<Response, AppError> {
    let provider_id = provider_of(&user)?;
    let a = own_action(&state, &provider_id, &id).await?;
    render_portal_action(&state, &user, &a, &[], &Errors::default(), q.saved.is_some(), StatusCode::OK).await
}

async fn portal_update(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let provider_id = provider_of(&user)?;
    let a = own_action(&state, &provider_id, &id).await?;
    let mut errors = Errors::default();
    let status = match field(&form, "status") {
        "in_progress" => Some(ActionStatus::InProgress),
        "submitted" => Some(ActionStatus::Submitted),
        _ => {
            errors.add("status", "Choose in progress or done: submit for review");
            None
        }
    };
    if field(&form, "note").trim().is_empty() {
        errors.add("note", "Enter what has been done");
    }
    if errors.is_empty()
        && let Some(status) = status
    {
        let evidence = field(&form, "evidence");
        match state.store.provider_update_action(&user.actor(), &provider_id, &id, field(&form, "note"), Some(evidence), status).await {
            Ok(()) => return Ok(Redirect::to(&format!("/portal/actions/{id}?saved=1")).into_response()),
            Err(StoreError::NotFound(_)) => return Err(AppError::NotFound),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_portal_action(&state, &user, &a, &form, &errors, false, StatusCode::BAD_REQUEST).await
}

/// This part's section of a service's quality tab (`_quality_section_actions.html`): the
/// service's action plan, open first with overdue flagged, or none when the user may not see it.
pub(super) async fn service_section(state: &AppState, user: &CurrentUser, service_id: &str) -> Result<Option<Value>, AppError> {
    if !user.role().can(Permission::ViewQuality) {
        return Ok(None);
    }
    let today = caremarket_store::today();
    let rows: Vec<ActionRow> = state.store.actions_for_service(service_id).await?.iter().map(|a| row(a, today)).collect();
    Ok(Some(context! {
        open => rows.iter().filter(|r| r.open).count(),
        overdue => rows.iter().filter(|r| r.overdue).count(),
        actions => rows,
        can_record => user.role().can(Permission::RecordQuality),
    }))
}
