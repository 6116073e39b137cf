//! Recording why a closed service closed (`/services/{id}/closure`). The reasons and who may
//! have one are core's (`register::closure`); the committee report counts them.

use crate::AppState;
use crate::auth::CurrentUser;
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
    let version = state.store.service_closure_version(&id).await?.to_string();
    let reply = crate::versions::Reply::status(StatusCode::OK);
    render(&state, &user, &s, (&reason, &note), &FormErrors::default(), version, reply).await
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
    let expected = crate::versions::from_form(&pairs);
    match Closure::parse(reason, note) {
        Ok(c) => match state.store.record_closure_at(&user.actor(), &id, &c, expected).await {
            Ok(_) => return Ok(Redirect::to(&format!("/services/{id}?closure=1")).into_response()),
            Err(caremarket_store::StoreError::Stale { current }) => {
                let now = state.store.service_closure(&id).await?;
                let changes = caremarket_core::versions::changes([
                    ("Reason", now.as_ref().map(|n| n.reason.label().to_string()).unwrap_or_default(), c.reason.label().to_string()),
                    ("Note (optional)", now.and_then(|n| n.note).unwrap_or_default(), c.note.clone().unwrap_or_default()),
                ]);
                let stale = crate::versions::stale(&state, "service_closure", &id, current, expected, changes).await?;
                let reply = crate::versions::Reply::stale(stale.notice);
                return render(&state, &user, &s, (reason, note), &errors, current.to_string(), reply).await;
            }
            Err(e) => errors.add_store(e)?,
        },
        Err(e) => errors.extend(e),
    }
    let version = field(&pairs, "version").to_string();
    render(&state, &user, &s, (reason, note), &errors, version, crate::versions::Reply::status(StatusCode::BAD_REQUEST)).await
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    s: &Service,
    (reason, note): (&str, &str),
    errors: &FormErrors,
    version: String,
    reply: crate::versions::Reply,
) -> Result<Response, AppError> {
    let reasons: Vec<_> =
        ClosureReason::ALL.iter().map(|r| context! { value => r.as_str(), text => r.label(), hint => r.hint() }).collect();
    let ctx = user.context(state).await?;
    let html = state.renderer.render(
        "service_closure.html",
        &ctx,
        context! {
            s => s, reasons => reasons, reason => reason, note => note, errors => errors.list, field_errors => errors.by_field,
            version => version, stale => reply.stale,
        },
    )?;
    Ok((reply.status, Html(html)).into_response())
}
