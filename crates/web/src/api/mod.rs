//! The JSON API under `/api/v1`: the register for other systems (spreadsheets, BI tools,
//! scripts). Read with `ViewRegister`; change the council-owned fields of a service with
//! `EditCouncilFields`. Authenticated with bearer tokens only (see [`auth`]); errors are always
//! JSON. The OpenAPI document is generated from the handlers ([`openapi`]). Tokens are managed
//! by their users on the `/account/tokens` page ([`tokens_page`]).

pub mod auth;
pub use auth::ApiLimiter;
pub mod body;
mod contract_frameworks;
pub mod dto;
pub mod error;
mod figures;
pub mod openapi;
pub mod params;
mod providers;
mod reference;
mod services;
mod tokens_page;

use crate::AppState;
use axum::Router;
use axum::routing::{delete, get, post};

/// The API's routes, nested under `/api/v1` by the application router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/services", get(services::list))
        .route("/services/{id}", get(services::get).patch(services::patch))
        .route("/providers", get(providers::list))
        .route("/providers/{id}", get(providers::get))
        .route("/frameworks", get(reference::frameworks).post(contract_frameworks::create))
        .route("/frameworks/{id}", get(contract_frameworks::get).put(contract_frameworks::update))
        .route("/frameworks/{id}/members", post(contract_frameworks::add_member))
        .route("/frameworks/{id}/members/{service_id}", delete(contract_frameworks::remove_member))
        .route("/areas", get(reference::areas))
        .route("/figures/market", get(figures::market))
        .route("/openapi.json", get(openapi::document))
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
}

/// The pages that go with the API (managing API tokens), merged into the application router.
pub fn page_routes() -> Router<AppState> {
    tokens_page::routes()
}
