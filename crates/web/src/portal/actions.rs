//! The provider portal's action plans (ProviderPortal): a provider user sees the actions on its
//! own services' plans and records progress and evidence on them.
//!
//! The provider comes from the signed-in account, never from the request: another provider's
//! action is "not found", and the officer's internal note is never rendered here.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormErrors;
use crate::quality::actions::{ActionRow, render, row, update_row};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use caremarket_core::access::Permission;
use caremarket_core::quality::ActionStatus;
use caremarket_core::quality::actions::provider_update;
use caremarket_store::StoreError;
use caremarket_store::quality::actions::Action;
use minijinja::{Value, context};
use serde::Deserialize;
use serde_json::json;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/portal/actions", get(portal_list)).route("/portal/actions/{id}", get(portal_show).post(portal_update))
}

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

/// A provider's update on one of its actions, as the form sends it, with the version of the
/// action it was made from (decision 25; empty when the page is first shown).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct UpdateForm {
    status: String,
    note: String,
    evidence: String,
    version: String,
}

/// `reply`: the status to answer with and, after a refused save, the notice.
#[allow(clippy::too_many_arguments)]
async fn render_portal_action(
    state: &AppState,
    user: &CurrentUser,
    a: &Action,
    form: &UpdateForm,
    errors: &FormErrors,
    banner: bool,
    reply: crate::versions::Reply,
    evidence: &crate::evidence::EvidenceQuery,
) -> Result<Response, AppError> {
    let evidence = crate::evidence::section(state, user, caremarket_core::evidence::RecordKind::Action, &a.id, evidence).await?;
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
            status => form.status,
            note => form.note,
            evidence => form.evidence,
            version => if form.version.is_empty() { a.version.to_string() } else { form.version.clone() },
            stale => reply.stale,
            errors => errors.list,
            field_errors => errors.by_field,
            banner => banner,
            evidence_section => evidence,
        },
    )
    .await?;
    Ok((reply.status, Html(html)).into_response())
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
    Query(evidence): Query<crate::evidence::EvidenceQuery>,
) -> Result<Response, AppError> {
    let provider_id = provider_of(&user)?;
    let a = own_action(&state, &provider_id, &id).await?;
    let reply = crate::versions::Reply::status(StatusCode::OK);
    render_portal_action(&state, &user, &a, &UpdateForm::default(), &FormErrors::new(&[]), q.saved.is_some(), reply, &evidence).await
}

async fn portal_update(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<UpdateForm>,
) -> Result<Response, AppError> {
    let provider_id = provider_of(&user)?;
    let a = own_action(&state, &provider_id, &id).await?;
    let mut errors = FormErrors::new(&[]);
    let status = match form.status.as_str() {
        "in_progress" => Some(ActionStatus::InProgress),
        "submitted" => Some(ActionStatus::Submitted),
        _ => {
            errors.add("status", "Choose in progress or done: submit for review");
            None
        }
    };
    // Core's check of the update, for its other fields too when the status was not chosen (the
    // form's own wording for the status comes first and is kept).
    if let Err(e) = provider_update(a.status, status.unwrap_or(ActionStatus::InProgress), &form.note) {
        errors.extend(e);
    }
    let expected = crate::versions::from_form(&[("version".to_string(), form.version.clone())]);
    // Refused first if the action moved on since the page was opened: the checks above were
    // made against the action as it is now, not as the provider saw it.
    let stale = match (a.version == expected.get(), status) {
        (true, Some(status)) if errors.is_empty() => {
            match state
                .store
                .provider_update_action(&user.actor(), &provider_id, &id, &form.note, Some(&form.evidence), status, expected)
                .await
            {
                Ok(()) => return Ok(Redirect::to(&format!("/portal/actions/{id}?saved=1")).into_response()),
                Err(StoreError::NotFound(_)) => return Err(AppError::NotFound),
                Err(StoreError::Stale { current }) => Some(current),
                Err(e) => {
                    errors.add_store(e)?;
                    None
                }
            }
        }
        (true, _) => None,
        (false, _) => Some(a.version),
    };
    if let Some(current) = stale {
        let now = own_action(&state, &provider_id, &id).await?;
        let label = |s: Option<ActionStatus>| s.map(|s| s.label().to_string()).unwrap_or_default();
        let changes = caremarket_core::versions::changes([("Status", label(Some(now.status)), label(status))]);
        let notice = crate::quality::actions::status_stale(&state, &id, expected, changes, true).await?;
        let kept = UpdateForm { version: current.to_string(), ..form };
        let reply = crate::versions::Reply::stale(notice);
        return render_portal_action(&state, &user, &now, &kept, &FormErrors::new(&[]), false, reply, &Default::default()).await;
    }
    let reply = crate::versions::Reply::status(StatusCode::BAD_REQUEST);
    render_portal_action(&state, &user, &a, &form, &errors, false, reply, &Default::default()).await
}
