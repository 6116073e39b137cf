//! Recording why a closed service closed (`/services/{id}/closure`). The reasons and who may
//! have one are core's (`register::closure`); the committee report counts them.

use crate::AppState;
use crate::auth::{CurrentUser, session_context};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, field};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use caremarket_core::access::Permission;
use caremarket_core::register::{Closure, ClosureReason};
use caremarket_store::register::Service;
use minijinja::context;

pub(super) async fn closure_form(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::EditCouncilFields)?;
    let s = state.store.service(&id).await?;
    let recorded = state.store.service_closure(&id).await?;
    let reason = recorded.as_ref().map(|c| c.reason.as_str().to_string()).unwrap_or_default();
    let note = recorded.and_then(|c| c.note).unwrap_or_default();
    render(&state, &user, &s, &reason, &note, &FormErrors::default(), StatusCode::OK).await
}

pub(super) async fn save_closure(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::EditCouncilFields)?;
    let s = state.store.service(&id).await?;
    let (reason, note) = (field(&pairs, "reason"), field(&pairs, "note"));
    let mut errors = FormErrors::default();
    match Closure::parse(reason, note) {
        Ok(c) => match state.store.record_closure(&user.actor(), &id, &c).await {
            Ok(_) => return Ok(Redirect::to(&format!("/services/{id}?closure=1")).into_response()),
            Err(e) => errors.add_store(e)?,
        },
        Err(e) => errors.extend(e),
    }
    render(&state, &user, &s, reason, note, &errors, StatusCode::BAD_REQUEST).await
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    s: &Service,
    reason: &str,
    note: &str,
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let reasons: Vec<_> =
        ClosureReason::ALL.iter().map(|r| context! { value => r.as_str(), text => r.label(), hint => r.hint() }).collect();
    let ctx = session_context(state, &user.session).await?;
    let html = state.renderer.render(
        "service_closure.html",
        &ctx,
        context! { s => s, reasons => reasons, reason => reason, note => note, errors => errors.list, field_errors => errors.by_field },
    )?;
    Ok((status, Html(html)).into_response())
}
