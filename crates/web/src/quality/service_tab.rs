//! The quality tab of a service: each part of quality assurance contributes a section
//! (`_quality_section_<part>.html`), shown only to roles that may see it.

use super::{actions, exit, signals, status, themes, visits};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Html;
use axum::routing::get;
use caremarket_core::access::Permission;
use minijinja::context;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/services/{id}/quality", get(page))
}

async fn page(State(state): State<AppState>, user: CurrentUser, Path(id): Path<String>) -> Result<Html<String>, AppError> {
    user.require(Permission::ViewQuality)?;
    let service = state.store.service(&id).await?;
    let sections = context! {
        status => status::service_section(&state, &user, &id).await?,
        visits => visits::service_section(&state, &user, &id).await?,
        actions => actions::service_section(&state, &user, &id).await?,
        signals => signals::service_section(&state, &user, &id).await?,
        themes => themes::service_section(&state, &user, &id).await?,
        exit => exit::service_section(&state, &user, &id).await?,
    };
    let base = user.context(&state).await?;
    Ok(Html(state.renderer.render("service_quality.html", &base, context! { service => service, sections => sections })?))
}
