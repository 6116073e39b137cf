//! `/account/password`: every signed-in person (council staff and provider users alike) changes
//! their own password (issue 17 item 7). The policy is core's (`caremarket_core::passwords`),
//! applied by the store; a change ends the account's other sessions and gives this browser a
//! new session id. An account that must choose a new password (made by an administrator or the
//! command line, or reset) is sent here from every other page until it has (`auth`'s
//! `require_password_change`).

use crate::AppState;
use crate::auth::{CSRF_KEY, CurrentUser, SIGNED_IN_AT_KEY};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormErrors;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use caremarket_core::passwords;
use caremarket_store::StoreError;
use minijinja::context;
use serde::Deserialize;

/// The page every account that must choose a new password is sent to.
pub const CHANGE_PASSWORD_PATH: &str = "/account/password";

pub fn routes() -> Router<AppState> {
    Router::new().route(CHANGE_PASSWORD_PATH, get(page).post(change))
}

#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    changed: Option<String>,
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    errors: &FormErrors,
    changed: bool,
    status: StatusCode,
) -> Result<Response, AppError> {
    let mut ctx = user.context(state).await?;
    if user.user.must_change_password {
        // Every other page is closed until a password is chosen: offer none of them.
        ctx.nav_items.clear();
    }
    let html = state.renderer.render(
        "account_password.html",
        &ctx,
        context! {
            errors => errors.list,
            field_errors => errors.by_field,
            forced => user.user.must_change_password,
            changed => changed,
            home => user.role().home(),
            min_chars => passwords::MIN_CHARS,
        },
    )?;
    Ok((status, Html(html)).into_response())
}

async fn page(user: CurrentUser, State(state): State<AppState>, Query(q): Query<PageQuery>) -> Result<Response, AppError> {
    // Every signed-in account may change its own password: no permission beyond signing in.
    let changed = q.changed.is_some() && !user.user.must_change_password;
    render(&state, &user, &FormErrors::default(), changed, StatusCode::OK).await
}

/// The form's fields (the CSRF token is checked by [`CsrfForm`]); none is ever shown back.
#[derive(Deserialize)]
#[serde(default)]
#[derive(Default)]
struct ChangeForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

async fn change(user: CurrentUser, State(state): State<AppState>, CsrfForm(form): CsrfForm<ChangeForm>) -> Result<Response, AppError> {
    // A wrong current password counts against the account as a failed sign-in would, so that a
    // borrowed session cannot be used to guess it.
    if state.throttle.locked(&user.user.email) {
        return Err(AppError::TooManyRequests);
    }
    let mut errors = FormErrors::default();
    match state.store.change_password(&user.user.id, &form.current_password, &form.new_password, &form.confirm_password).await {
        Ok(()) => {
            // The store ended every session of the account; this browser gets a new session id
            // and form token (the old id, if seen by anyone, is worth nothing).
            user.session.cycle_id().await?;
            user.session.insert(CSRF_KEY, &crate::csrf::fresh_token()).await?;
            user.session.insert(SIGNED_IN_AT_KEY, caremarket_store::now_timestamp()).await?;
            tracing::info!(user_id = %user.user.id, "changed password");
            return Ok(Redirect::to(&format!("{CHANGE_PASSWORD_PATH}?changed=1")).into_response());
        }
        Err(StoreError::Invalid(fe)) if fe.field == "current_password" => {
            state.throttle.failed(&user.user.email);
            errors.add(&fe.field, &fe.message);
        }
        Err(e) => errors.add_store(e)?,
    }
    render(&state, &user, &errors, false, StatusCode::BAD_REQUEST).await
}
