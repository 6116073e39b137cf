//! `/api/v1/providers`: providers, and one provider with its services.

use super::auth::ApiUser;
use super::dto::{ErrorBody, ProviderDetail, ProviderPage, ProviderQuery};
use super::error::ApiError;
use super::params::{self, Query};
use super::services::path_id;
use crate::AppState;
use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use caremarket_core::access::Permission;
use caremarket_store::register::ServiceFilter;

/// The largest page of providers the store returns.
const MAX_PER_PAGE: i64 = 500;

/// List providers with at least one service in the council's area.
#[utoipa::path(
    get,
    path = "/api/v1/providers",
    operation_id = "list_providers",
    tag = "providers",
    params(ProviderQuery),
    responses(
        (status = 200, description = "One page of providers, sorted by name", body = ProviderPage),
        (status = 400, description = "A parameter could not be understood; `field` names it", body = ErrorBody),
        (status = 401, description = "No API token, or not a valid one", body = ErrorBody),
        (status = 403, description = "The token's account cannot read the register (provider users)", body = ErrorBody),
    )
)]
pub async fn list(user: ApiUser, State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Json<ProviderPage>, ApiError> {
    user.require(Permission::ViewRegister)?;
    let q = Query::parse(query.as_deref(), &["q", "page", "per_page"])?;
    let page = q.parsed("page", |n, v| params::integer(n, v, 1, i64::from(i32::MAX)))?.unwrap_or(1);
    let per_page = q.parsed("per_page", |n, v| params::integer(n, v, 1, MAX_PER_PAGE))?.unwrap_or(50);
    Ok(Json(state.store.providers(q.one("q")?, page, per_page).await?.into()))
}

/// One provider with all its services: in and out of the council's area, and deregistered ones.
#[utoipa::path(
    get,
    path = "/api/v1/providers/{id}",
    operation_id = "get_provider",
    tag = "providers",
    params(("id" = String, Path, format = Uuid, description = "The provider's id")),
    responses(
        (status = 200, description = "The provider and its services, sorted by name", body = ProviderDetail),
        (status = 400, description = "The id is not a UUID", body = ErrorBody),
        (status = 401, description = "No API token, or not a valid one", body = ErrorBody),
        (status = 403, description = "The token's account cannot read the register (provider users)", body = ErrorBody),
        (status = 404, description = "No provider has this id", body = ErrorBody),
    )
)]
pub async fn get(
    user: ApiUser,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<ProviderDetail>, ApiError> {
    user.require(Permission::ViewRegister)?;
    let id = path_id(path)?;
    let provider = state.store.provider(&id).await?;
    let mut services = Vec::new();
    let mut filter = ServiceFilter {
        provider_id: Some(id),
        any_area: true,
        registration: Some("all".into()),
        per_page: params::MAX_PER_PAGE,
        page: 1,
        ..Default::default()
    };
    loop {
        let page = state.store.services(&filter).await?;
        let done = page.items.is_empty() || filter.page * page.per_page >= page.total;
        services.extend(page.items.into_iter().map(Into::into));
        if done {
            break;
        }
        filter.page += 1;
    }
    Ok(Json(ProviderDetail { provider: provider.into(), services }))
}
