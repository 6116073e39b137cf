//! Contract frameworks through the API: read one with its lots and members (`ViewRegister`);
//! create, change, and put services on lots or take them off (`ManageContractFrameworks`:
//! administrators and commissioners). The rules are `caremarket_core::register::framework`'s and
//! every change is audited as the token's user, as on the pages.

use super::auth::ApiUser;
use super::dto::{ErrorBody, ServiceKindCode};
use super::error::ApiError;
use super::services::path_id;
use crate::AppState;
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use caremarket_core::access::Permission;
use caremarket_core::register::ServiceKind;
use caremarket_core::register::framework::FrameworkDraft;
use caremarket_core::versions::Version;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// A contract framework with its lots and the services on them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContractFrameworkDetail {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    #[schema(format = Date)]
    pub starts_on: Option<String>,
    #[schema(format = Date)]
    pub ends_on: Option<String>,
    /// The types of service the framework covers; only these can join it.
    pub kinds: Vec<ServiceKindCode>,
    pub lots: Vec<ContractLot>,
    /// Raised by one on each change of the framework's name, dates, kinds or lots: send it back
    /// with a `PUT`, so that a change made since is not undone (a stale one answers 409).
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContractLot {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    pub members: Vec<FrameworkMember>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FrameworkMember {
    #[schema(format = Uuid)]
    pub service_id: String,
    pub service_name: String,
    pub provider_name: String,
    pub kind: ServiceKindCode,
}

/// A framework to create, or the whole of a framework to change (every field is replaced).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractFrameworkInput {
    /// For example "Home Care Framework 2025".
    pub name: String,
    /// Lot names, different from each other. A lot that has services cannot be removed.
    pub lots: Vec<String>,
    /// First day, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub starts_on: Option<String>,
    /// Last day, `YYYY-MM-DD`; not before `starts_on`.
    #[schema(format = Date)]
    pub ends_on: Option<String>,
    /// Service kind codes (`home_care`, `care_home_residential`...), at least one.
    pub kinds: Vec<String>,
}

/// The whole of a framework to change (every field is replaced), with the `version` the change
/// was made from.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractFrameworkUpdate {
    /// For example "Home Care Framework 2025".
    pub name: String,
    /// Lot names, different from each other. A lot that has services cannot be removed.
    pub lots: Vec<String>,
    /// First day, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub starts_on: Option<String>,
    /// Last day, `YYYY-MM-DD`; not before `starts_on`.
    #[schema(format = Date)]
    pub ends_on: Option<String>,
    /// Service kind codes (`home_care`, `care_home_residential`...), at least one.
    pub kinds: Vec<String>,
    /// Required: the framework's `version` the change was made from (from `GET`). A framework
    /// changed since is not changed: the answer is 409 with `current_version`.
    // Read (with errors naming it) by `read_version` before the body is deserialized.
    #[allow(dead_code)]
    pub version: i64,
}

/// A service to put on a lot (or move to another lot of the same framework).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    #[schema(format = Uuid)]
    pub service_id: String,
    #[schema(format = Uuid)]
    pub lot_id: String,
}

fn read_body<T: for<'de> Deserialize<'de>>(body: Result<Json<Value>, JsonRejection>) -> Result<T, ApiError> {
    super::body::typed(body, "")
}

impl ContractFrameworkInput {
    fn draft(&self) -> Result<FrameworkDraft, ApiError> {
        draft(&self.name, &self.lots, &self.starts_on, &self.ends_on, &self.kinds)
    }
}

impl ContractFrameworkUpdate {
    fn draft(&self) -> Result<FrameworkDraft, ApiError> {
        draft(&self.name, &self.lots, &self.starts_on, &self.ends_on, &self.kinds)
    }
}

fn draft(
    name: &str,
    lots: &[String],
    starts_on: &Option<String>,
    ends_on: &Option<String>,
    kinds: &[String],
) -> Result<FrameworkDraft, ApiError> {
    let date = |field: &str, v: &Option<String>| {
        v.as_deref().map(|s| caremarket_core::parse_date(field, s).map_err(|e| ApiError::invalid(field, e.message))).transpose()
    };
    let kinds = kinds
        .iter()
        .map(|k| {
            ServiceKind::ALL
                .into_iter()
                .find(|x| x.as_str() == k)
                .ok_or_else(|| ApiError::invalid("kinds", format!("'{k}' is not a service kind code")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(FrameworkDraft {
        name: name.to_string(),
        lots: lots.to_vec(),
        starts_on: date("starts_on", starts_on)?,
        ends_on: date("ends_on", ends_on)?,
        kinds,
    })
}

/// The body's `version`, required on every change (decision 25).
fn read_version(body: &Value) -> Result<Version, ApiError> {
    let obj =
        body.as_object().ok_or_else(|| ApiError::bad_request("The body must be a JSON object: the framework's fields and `version`."))?;
    match obj.get("version") {
        None | Some(Value::Null) => Err(ApiError::invalid(
            "version",
            "is required: send the framework's `version` from GET /api/v1/frameworks/{id}, so that a change made since is not undone",
        )),
        Some(v) => match v.as_i64() {
            Some(n) => Version::new(n).map_err(|e| ApiError::invalid("version", e.message)),
            None => Err(ApiError::invalid("version", "must be a whole number, the framework's `version`")),
        },
    }
}

async fn detail(state: &AppState, id: &str) -> Result<ContractFrameworkDetail, ApiError> {
    let f = state.store.contract_framework(id).await?;
    let members = state.store.framework_members(id).await?;
    Ok(ContractFrameworkDetail {
        lots: f
            .lots
            .iter()
            .map(|l| ContractLot {
                id: l.id.clone(),
                name: l.name.clone(),
                members: members
                    .iter()
                    .filter(|m| m.lot_id == l.id)
                    .map(|m| FrameworkMember {
                        service_id: m.service_id.clone(),
                        service_name: m.service_name.clone(),
                        provider_name: m.provider_name.clone(),
                        kind: m.kind.into(),
                    })
                    .collect(),
            })
            .collect(),
        id: f.id,
        name: f.name,
        starts_on: f.starts_on,
        ends_on: f.ends_on,
        kinds: f.kinds.into_iter().map(Into::into).collect(),
        version: f.version,
    })
}

/// One framework with its lots and the services on each.
#[utoipa::path(
    get,
    path = "/api/v1/frameworks/{id}",
    operation_id = "get_framework",
    tag = "frameworks",
    params(("id" = String, Path, format = Uuid, description = "The framework's id")),
    responses(
        (status = 200, description = "The framework", body = ContractFrameworkDetail),
        (status = 401, description = "No API token, or not a valid one", body = ErrorBody),
        (status = 403, description = "The token's account cannot read the register", body = ErrorBody),
        (status = 404, description = "No framework has this id", body = ErrorBody),
    )
)]
pub async fn get(
    user: ApiUser,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<ContractFrameworkDetail>, ApiError> {
    user.require(Permission::ViewRegister)?;
    let id = path_id(path)?;
    Ok(Json(detail(&state, &id).await?))
}

/// Create a framework.
#[utoipa::path(
    post,
    path = "/api/v1/frameworks",
    operation_id = "create_framework",
    tag = "frameworks",
    request_body(content = ContractFrameworkInput, content_type = "application/json"),
    responses(
        (status = 201, description = "The framework as created", body = ContractFrameworkDetail),
        (status = 400, description = "A field is invalid (end before start, lots with the same name, no kinds, a name in use...); `field` names it", body = ErrorBody),
        (status = 401, description = "No API token, or not a valid one", body = ErrorBody),
        (status = 403, description = "Only administrators and commissioners manage frameworks", body = ErrorBody),
        (status = 415, description = "The body is not sent as application/json", body = ErrorBody),
    )
)]
pub async fn create(
    user: ApiUser,
    State(state): State<AppState>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<(StatusCode, Json<ContractFrameworkDetail>), ApiError> {
    user.require(Permission::ManageContractFrameworks)?;
    let input: ContractFrameworkInput = read_body(body)?;
    let id = state.store.create_contract_framework(&user.actor(), &input.draft()?).await?;
    Ok((StatusCode::CREATED, Json(detail(&state, &id).await?)))
}

/// Replace a framework's name, dates, kinds and lots (lots are matched by name; a kept lot keeps
/// its id and services).
///
/// `version` is required: the framework's version the change was made from (from `GET`). A
/// framework changed since then is not changed again: the answer is 409 with `current_version`,
/// so that one client's change is never silently undone by another's.
#[utoipa::path(
    put,
    path = "/api/v1/frameworks/{id}",
    operation_id = "update_framework",
    tag = "frameworks",
    params(("id" = String, Path, format = Uuid, description = "The framework's id")),
    request_body(content = ContractFrameworkUpdate, content_type = "application/json"),
    responses(
        (status = 200, description = "The framework as changed", body = ContractFrameworkDetail),
        (status = 400, description = "A field is invalid, `version` is missing, or a lot or kind to remove still has services; `field` names it", body = ErrorBody),
        (status = 401, description = "No API token, or not a valid one", body = ErrorBody),
        (status = 403, description = "Only administrators and commissioners manage frameworks", body = ErrorBody),
        (status = 404, description = "No framework has this id", body = ErrorBody),
        (status = 409, description = "The framework changed since `version`: nothing was changed; `current_version` says its version now", body = ErrorBody),
        (status = 415, description = "The body is not sent as application/json", body = ErrorBody),
    )
)]
pub async fn update(
    user: ApiUser,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<ContractFrameworkDetail>, ApiError> {
    user.require(Permission::ManageContractFrameworks)?;
    let id = path_id(path)?;
    let body = super::body::value(body, "")?;
    let expected = read_version(&body)?;
    let input: ContractFrameworkUpdate =
        serde_json::from_value(body).map_err(|e| ApiError::bad_request(format!("The body is not a valid request: {e}")))?;
    state.store.update_contract_framework(&user.actor(), &id, &input.draft()?, expected).await?;
    Ok(Json(detail(&state, &id).await?))
}

/// Put a service on a lot; its contract status becomes `framework`.
#[utoipa::path(
    post,
    path = "/api/v1/frameworks/{id}/members",
    operation_id = "add_framework_member",
    tag = "frameworks",
    params(("id" = String, Path, format = Uuid, description = "The framework's id")),
    request_body(content = MemberInput, content_type = "application/json"),
    responses(
        (status = 200, description = "The framework with the service on the lot", body = ContractFrameworkDetail),
        (status = 400, description = "The lot is not the framework's, the service's kind is not covered, or it is on another framework; `field` names it", body = ErrorBody),
        (status = 401, description = "No API token, or not a valid one", body = ErrorBody),
        (status = 403, description = "Only administrators and commissioners manage frameworks", body = ErrorBody),
        (status = 404, description = "No framework has this id", body = ErrorBody),
    )
)]
pub async fn add_member(
    user: ApiUser,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<ContractFrameworkDetail>, ApiError> {
    user.require(Permission::ManageContractFrameworks)?;
    let id = path_id(path)?;
    let input: MemberInput = read_body(body)?;
    state.store.add_framework_member(&user.actor(), &id, &input.lot_id, &input.service_id).await?;
    Ok(Json(detail(&state, &id).await?))
}

/// Take a service off the framework; its contract status becomes `not_contracted`.
#[utoipa::path(
    delete,
    path = "/api/v1/frameworks/{id}/members/{service_id}",
    operation_id = "remove_framework_member",
    tag = "frameworks",
    params(
        ("id" = String, Path, format = Uuid, description = "The framework's id"),
        ("service_id" = String, Path, format = Uuid, description = "The service's id"),
    ),
    responses(
        (status = 200, description = "The framework without the service", body = ContractFrameworkDetail),
        (status = 400, description = "The service is not on this framework", body = ErrorBody),
        (status = 401, description = "No API token, or not a valid one", body = ErrorBody),
        (status = 403, description = "Only administrators and commissioners manage frameworks", body = ErrorBody),
        (status = 404, description = "No framework has this id", body = ErrorBody),
    )
)]
pub async fn remove_member(
    user: ApiUser,
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<ContractFrameworkDetail>, ApiError> {
    user.require(Permission::ManageContractFrameworks)?;
    let Path((id, service_id)) = path.map_err(|e| ApiError::invalid("id", e.body_text()))?;
    state.store.remove_framework_member(&user.actor(), &id, &service_id).await?;
    Ok(Json(detail(&state, &id).await?))
}
