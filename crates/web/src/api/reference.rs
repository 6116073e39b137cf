//! Reference lists: frameworks (with their lots) and the council's areas.

use super::auth::ApiUser;
use super::dto::{AreaList, ErrorBody, FrameworkList};
use super::error::ApiError;
use crate::AppState;
use axum::Json;
use axum::extract::State;
use caremarket_core::access::Permission;

/// The council's framework agreements and their lots, for `framework_id` and `lot_id`.
#[utoipa::path(
    get,
    path = "/api/v1/frameworks",
    operation_id = "list_frameworks",
    tag = "reference",
    responses(
        (status = 200, description = "All frameworks, sorted by name", body = FrameworkList),
        (status = 401, description = "No API token, or not a valid one", body = ErrorBody),
        (status = 403, description = "The token's account cannot read the register (provider users)", body = ErrorBody),
    )
)]
pub async fn frameworks(user: ApiUser, State(state): State<AppState>) -> Result<Json<FrameworkList>, ApiError> {
    user.require(Permission::ViewRegister)?;
    let items = state.store.frameworks().await?.into_iter().map(Into::into).collect();
    Ok(Json(FrameworkList { items }))
}

/// The parts of the council's area, for `area_id`.
#[utoipa::path(
    get,
    path = "/api/v1/areas",
    operation_id = "list_areas",
    tag = "reference",
    responses(
        (status = 200, description = "All areas, sorted by name", body = AreaList),
        (status = 401, description = "No API token, or not a valid one", body = ErrorBody),
        (status = 403, description = "The token's account cannot read the register (provider users)", body = ErrorBody),
    )
)]
pub async fn areas(user: ApiUser, State(state): State<AppState>) -> Result<Json<AreaList>, ApiError> {
    user.require(Permission::ViewRegister)?;
    let items = state.store.areas().await?.into_iter().map(Into::into).collect();
    Ok(Json(AreaList { items }))
}
