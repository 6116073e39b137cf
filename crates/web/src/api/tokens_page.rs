//! `/account/tokens`: a member of staff lists, creates and revokes their own API tokens. The
//! secret is shown once, on the page that answers the form, and never stored.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::render::field_error;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use caremarket_core::access::Permission;
use caremarket_store::users::ApiToken;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new().route("/account/tokens", get(list).post(create)).route("/account/tokens/{id}/revoke", get(confirm_revoke).post(revoke))
}

/// Longest token name accepted.
const MAX_NAME: usize = 100;

#[derive(Deserialize)]
struct ListQuery {
    revoked: Option<String>,
}

async fn list(user: CurrentUser, State(state): State<AppState>, Query(q): Query<ListQuery>) -> Result<Html<String>, AppError> {
    user.require(Permission::UseApiTokens)?;
    let tokens = state.store.api_tokens(&user.user.id).await?;
    let ctx = user.context(&state).await?;
    let revoked = q.revoked.is_some();
    Ok(Html(state.renderer.render(
        "account_tokens.html",
        &ctx,
        minijinja::context! { tokens => tokens, revoked => revoked, name => "" },
    )?))
}

#[derive(Deserialize)]
struct CreateForm {
    #[serde(default)]
    name: String,
}

async fn create(user: CurrentUser, State(state): State<AppState>, CsrfForm(form): CsrfForm<CreateForm>) -> Result<Response, AppError> {
    user.require(Permission::UseApiTokens)?;
    let name = form.name.trim().to_string();
    let tokens = state.store.api_tokens(&user.user.id).await?;
    let error = if name.is_empty() {
        Some("Enter a name for the token, like 'Power BI' or 'Monthly returns script'".to_string())
    } else if name.chars().count() > MAX_NAME {
        Some(format!("Token name must be {MAX_NAME} characters or fewer"))
    } else if tokens.iter().any(|t| t.revoked_at.is_none() && t.name.eq_ignore_ascii_case(&name)) {
        Some(format!("You already have a token called '{name}': choose another name so that you can tell them apart"))
    } else {
        None
    };
    let ctx = user.context(&state).await?;
    if let Some(message) = error {
        let errors = vec![field_error("name", &message)];
        let html = state.renderer.render(
            "account_tokens.html",
            &ctx,
            minijinja::context! { tokens => tokens, name => name, name_error => message, errors => errors },
        )?;
        return Ok((StatusCode::BAD_REQUEST, Html(html)).into_response());
    }
    let (token, secret) = state.store.create_api_token(&user.actor(), &user.user.id, &name).await?;
    tracing::info!(user_id = %user.user.id, token_id = %token.id, "API token created");
    let html = state.renderer.render(
        "account_tokens.html",
        &ctx,
        minijinja::context! { created => minijinja::context! { name => token.name, secret => secret } },
    )?;
    // The secret must not be kept by the browser's or a proxy's cache.
    Ok(([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response())
}

/// The user's token with this id, if it is still active.
async fn active_token(state: &AppState, user: &CurrentUser, id: &str) -> Result<ApiToken, AppError> {
    state.store.api_tokens(&user.user.id).await?.into_iter().find(|t| t.id == id && t.revoked_at.is_none()).ok_or(AppError::NotFound)
}

async fn confirm_revoke(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Html<String>, AppError> {
    user.require(Permission::UseApiTokens)?;
    let token = active_token(&state, &user, &id).await?;
    let ctx = user.context(&state).await?;
    Ok(Html(state.renderer.render("account_tokens.html", &ctx, minijinja::context! { confirm_revoke => token })?))
}

#[derive(Deserialize)]
struct Empty {}

async fn revoke(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Redirect, AppError> {
    user.require(Permission::UseApiTokens)?;
    let token = active_token(&state, &user, &id).await?;
    state.store.revoke_api_token(&user.actor(), &user.user.id, &token.id).await?;
    tracing::info!(user_id = %user.user.id, token_id = %token.id, "API token revoked");
    Ok(Redirect::to("/account/tokens?revoked=1"))
}
