//! The council's area (administrators): the local authorities whose services count as "in the
//! council's area". Changing them recalculates every service at once, audited by the store.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::render::field_error;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use caremarket_core::access::Permission;
use caremarket_store::StoreError;
use minijinja::{Value, context};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/council-area", get(page).post(save))
}

#[derive(Deserialize)]
struct Done {
    saved: Option<i64>,
    now_in: Option<i64>,
    now_out: Option<i64>,
}

/// The setting that holds the council's local authorities.
const KEY: &str = "council_local_authorities";

#[allow(clippy::too_many_arguments)]
async fn render(
    state: &AppState,
    user: &CurrentUser,
    value: &str,
    version: &str,
    errors: Vec<Value>,
    error: Option<String>,
    done: Option<&Done>,
    stale: Option<Value>,
) -> Result<String, AppError> {
    let ctx = user.context(state).await?;
    let counts: Vec<Vec<String>> =
        state.store.local_authority_counts().await?.into_iter().take(40).map(|(la, n)| vec![la, n.to_string()]).collect();
    let current = state.store.council_local_authorities().await?;
    let saved = done.and_then(|d| d.saved).is_some().then(|| {
        let d = done.map(|d| (d.now_in.unwrap_or(0), d.now_out.unwrap_or(0))).unwrap_or((0, 0));
        format!("Every service was recalculated: {} moved into the council's area and {} out of it.", d.0, d.1)
    });
    state.renderer.render(
        "admin_council_area.html",
        &ctx,
        context! {
            value => value, errors => errors, error => error, counts => counts, current => current, saved => saved,
            version => version, stale => stale,
        },
    )
}

async fn page(State(state): State<AppState>, user: CurrentUser, Query(done): Query<Done>) -> Result<Html<String>, AppError> {
    user.require(Permission::ManageUsers)?;
    let current = state.store.council_local_authorities().await?.join("\n");
    let version = state.store.setting_version(KEY).await?.to_string();
    Ok(Html(render(&state, &user, &current, &version, Vec::new(), None, Some(&done), None).await?))
}

async fn save(
    State(state): State<AppState>,
    user: CurrentUser,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageUsers)?;
    let value = form.iter().find(|(k, _)| k == "local_authorities").map(|(_, v)| v.as_str()).unwrap_or_default();
    let names: Vec<String> = value.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect();
    let expected = crate::versions::from_form(&form);
    let problem = if names.is_empty() {
        Some("Enter at least one local authority, like Oldham".to_string())
    } else {
        match state.store.set_council_local_authorities(&user.actor(), &names, Some(expected)).await {
            Ok(change) => {
                return Ok(Redirect::to(&format!(
                    "/admin/council-area?saved=1&now_in={}&now_out={}",
                    change.now_in_area, change.now_out_of_area
                ))
                .into_response());
            }
            Err(StoreError::Invalid(e)) => Some(e.message),
            Err(StoreError::Stale { current }) => {
                let now = state.store.council_local_authorities().await?.join(", ");
                let changes = caremarket_core::versions::changes([("Local authorities", now, names.join(", "))]);
                let stale = crate::versions::stale(&state, "setting", KEY, current, expected, changes).await?;
                let version = stale.current.to_string();
                let html = render(&state, &user, value, &version, Vec::new(), None, None, Some(stale.notice)).await?;
                return Ok((crate::versions::STATUS, Html(html)).into_response());
            }
            Err(e) => return Err(e.into()),
        }
    };
    let message = problem.unwrap_or_default();
    let version = form.iter().find(|(k, _)| k == "version").map(|(_, v)| v.as_str()).unwrap_or_default();
    let html = render(&state, &user, value, version, vec![field_error("local_authorities", &message)], Some(message), None, None).await?;
    Ok((StatusCode::BAD_REQUEST, Html(html)).into_response())
}
