//! `/api/v1/services`: the register's services, and the council-owned fields of one.

use super::auth::ApiUser;
use super::dto::{ErrorBody, ServiceDetail, ServicePage, ServicePatch, ServiceQuery};
use super::error::ApiError;
use super::params;
use crate::AppState;
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, RawQuery, State};
use caremarket_core::Date;
use caremarket_core::access::Permission;
use caremarket_core::register::{ContractStatus, ServiceKind};
use caremarket_core::versions::Version;
use caremarket_store::register::{CouncilFields, Service};
use serde_json::{Map, Value};

/// The id in the path, as the register stores ids.
pub(super) fn path_id(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    let Path(id) = path.map_err(|e| ApiError::invalid("id", e.body_text()))?;
    params::uuid("id", &id)
}

/// List and filter services.
///
/// The same filters as the register's service list. By default only services in the council's
/// area that are registered with CQC (or not regulated by it) are listed.
#[utoipa::path(
    get,
    path = "/api/v1/services",
    operation_id = "list_services",
    tag = "services",
    params(ServiceQuery),
    responses(
        (status = 200, description = "One page of services, sorted by name unless `sort` says otherwise", body = ServicePage),
        (status = 400, description = "A parameter could not be understood; `field` names it", body = ErrorBody),
        (status = 401, description = "No API token, or not a valid one", body = ErrorBody),
        (status = 403, description = "The token's account cannot read the register (provider users)", body = ErrorBody),
    )
)]
pub async fn list(user: ApiUser, State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Json<ServicePage>, ApiError> {
    user.require(Permission::ViewRegister)?;
    let filter = params::service_filter(query.as_deref())?;
    Ok(Json(state.store.services(&filter).await?.into()))
}

/// One service, with its current ratings and full rating history.
#[utoipa::path(
    get,
    path = "/api/v1/services/{id}",
    operation_id = "get_service",
    tag = "services",
    params(("id" = String, Path, format = Uuid, description = "The service's id")),
    responses(
        (status = 200, description = "The service", body = ServiceDetail),
        (status = 400, description = "The id is not a UUID", body = ErrorBody),
        (status = 401, description = "No API token, or not a valid one", body = ErrorBody),
        (status = 403, description = "The token's account cannot read the register (provider users)", body = ErrorBody),
        (status = 404, description = "No service has this id", body = ErrorBody),
    )
)]
pub async fn get(
    user: ApiUser,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<ServiceDetail>, ApiError> {
    user.require(Permission::ViewRegister)?;
    let id = path_id(path)?;
    let service = state.store.service(&id).await?;
    let history = state.store.rating_history(&id).await?;
    Ok(Json(ServiceDetail::new(service, history)))
}

/// Change the council's details of a service.
///
/// Only the council-owned fields can be changed: `contract_status`, `framework_id`, `lot_id`,
/// `contract_start`, `contract_end`, `council_notes` and `kind`. Everything else comes from CQC
/// or is worked out by caremarket, and sending it is an error. The change is recorded in the
/// audit log, with the values before and after, as made by the token's user.
///
/// `version` is required: the version of the service the change was made from (from `GET`). A
/// service changed since then is not changed again: the answer is 409 with `current_version`, so
/// that one client's change is never silently undone by another's.
#[utoipa::path(
    patch,
    path = "/api/v1/services/{id}",
    operation_id = "update_service",
    tag = "services",
    params(("id" = String, Path, format = Uuid, description = "The service's id")),
    request_body(content = ServicePatch, description = "The fields to change", content_type = "application/json"),
    responses(
        (status = 200, description = "The service as changed", body = ServiceDetail),
        (status = 400, description = "A field is not council-owned, unknown or invalid; `field` names it", body = ErrorBody),
        (status = 401, description = "No API token, or not a valid one", body = ErrorBody),
        (status = 403, description = "The token's account cannot change council-owned fields (only administrators and commissioners can)", body = ErrorBody),
        (status = 404, description = "No service has this id", body = ErrorBody),
        (status = 409, description = "The service changed since `version`: nothing was changed; `current_version` says its version now", body = ErrorBody),
        (status = 415, description = "The body is not sent as application/json", body = ErrorBody),
    )
)]
pub async fn patch(
    user: ApiUser,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<ServiceDetail>, ApiError> {
    user.require(Permission::EditCouncilFields)?;
    let id = path_id(path)?;
    let body = super::body::value(body, "")?;
    let patch = Patch::read(&body)?;
    let before = state.store.service(&id).await?;
    let expected = read_version(&body)?;
    let fields = patch.apply_to(&before)?;
    let after = state.store.update_council_fields(&user.actor(), &id, &fields, expected).await?;
    let history = state.store.rating_history(&id).await?;
    Ok(Json(ServiceDetail::new(after, history)))
}

/// The fields the council may change.
const COUNCIL_FIELDS: [&str; 7] = ["contract_status", "framework_id", "lot_id", "contract_start", "contract_end", "council_notes", "kind"];

/// Fields of a service that come from CQC.
const CQC_FIELDS: [&str; 20] = [
    "cqc_location_id",
    "name",
    "address_line",
    "town",
    "postcode",
    "local_authority",
    "region",
    "phone",
    "website",
    "registration_status",
    "registration_date",
    "deregistration_date",
    "beds",
    "service_types",
    "specialisms",
    "ratings",
    "rating",
    "rating_history",
    "relationships",
    "last_inspection_date",
];

/// Fields caremarket keeps or works out itself.
const READ_ONLY_FIELDS: [&str; 9] =
    ["id", "provider_id", "provider_name", "in_area", "area_id", "area_name", "framework_name", "lot_name", "updated_at"];

/// A PATCH body read field by field. Outer `None`: not sent; inner `None`: sent as null.
#[derive(Debug, Default)]
struct Patch {
    contract_status: Option<ContractStatus>,
    framework_id: Option<Option<String>>,
    lot_id: Option<Option<String>>,
    contract_start: Option<Option<Date>>,
    contract_end: Option<Option<Date>>,
    council_notes: Option<Option<String>>,
    kind: Option<ServiceKind>,
}

/// Longest council note accepted: the same limit as the web form's (issue 17 item 11).
const MAX_NOTES: usize = caremarket_core::limits::NOTES_CHARS;

fn string<'a>(field: &str, v: &'a Value) -> Result<&'a str, ApiError> {
    v.as_str().ok_or_else(|| ApiError::invalid(field, "must be a string"))
}

/// A string, or null to clear.
fn nullable<T>(field: &str, v: &Value, parse: impl Fn(&str, &str) -> Result<T, ApiError>) -> Result<Option<T>, ApiError> {
    if v.is_null() { Ok(None) } else { parse(field, string(field, v)?).map(Some) }
}

/// The body's `version`, required on every change (decision 25).
fn read_version(body: &Value) -> Result<Version, ApiError> {
    let obj = body.as_object().ok_or_else(|| ApiError::bad_request("The body must be a JSON object of the fields to change."))?;
    match obj.get("version") {
        None | Some(Value::Null) => Err(ApiError::invalid(
            "version",
            "is required: send the service's `version` from GET /api/v1/services/{id}, so that a change made since is not undone",
        )),
        Some(v) => match v.as_i64() {
            Some(n) => Version::new(n).map_err(|e| ApiError::invalid("version", e.message)),
            None => Err(ApiError::invalid("version", "must be a whole number, the service's `version`")),
        },
    }
}

impl Patch {
    fn read(body: &Value) -> Result<Patch, ApiError> {
        let obj: &Map<String, Value> =
            body.as_object().ok_or_else(|| ApiError::bad_request("The body must be a JSON object of the fields to change."))?;
        for key in obj.keys().filter(|k| *k != "version") {
            let k = key.as_str();
            if CQC_FIELDS.contains(&k) {
                return Err(ApiError::invalid(
                    k,
                    "comes from CQC and cannot be changed here; the council-owned fields are ".to_string() + &COUNCIL_FIELDS.join(", "),
                ));
            }
            if READ_ONLY_FIELDS.contains(&k) {
                return Err(ApiError::invalid(
                    k,
                    "is kept by caremarket and cannot be changed; the council-owned fields are ".to_string() + &COUNCIL_FIELDS.join(", "),
                ));
            }
            if !COUNCIL_FIELDS.contains(&k) {
                return Err(ApiError::invalid(
                    k,
                    "is not a field of a service; the council-owned fields are ".to_string() + &COUNCIL_FIELDS.join(", "),
                ));
            }
        }
        if obj.keys().all(|k| k == "version") {
            return Err(ApiError::bad_request(format!("Send at least one field to change: {}.", COUNCIL_FIELDS.join(", "))));
        }
        let mut p = Patch::default();
        for (key, v) in obj.iter().filter(|(k, _)| *k != "version") {
            let f = key.as_str();
            match f {
                "contract_status" => {
                    p.contract_status = Some(params::contract_status(
                        f,
                        string(f, v).map_err(|_| ApiError::invalid(f, "must be a contract status such as \"spot\""))?,
                    )?)
                }
                "kind" => {
                    p.kind = Some(params::kind(
                        f,
                        string(f, v).map_err(|_| ApiError::invalid(f, "must be a kind of service such as \"home_care\""))?,
                    )?)
                }
                "framework_id" => p.framework_id = Some(nullable(f, v, params::uuid)?),
                "lot_id" => p.lot_id = Some(nullable(f, v, params::uuid)?),
                "contract_start" => p.contract_start = Some(nullable(f, v, params::date)?),
                "contract_end" => p.contract_end = Some(nullable(f, v, params::date)?),
                "council_notes" => {
                    p.council_notes = Some(nullable(f, v, |f, s| {
                        if s.contains('\0') {
                            Err(ApiError::invalid(f, "must not contain control characters"))
                        } else if s.chars().count() > MAX_NOTES {
                            Err(ApiError::invalid(
                                f,
                                format!("must be {} characters or fewer", caremarket_core::limits::thousands(MAX_NOTES)),
                            ))
                        } else {
                            Ok(s.to_string())
                        }
                    })?)
                }
                _ => {}
            }
        }
        Ok(p)
    }

    /// The service's council fields with this patch applied. The store checks the result
    /// (framework and lot belong together, the end is not before the start).
    fn apply_to(self, before: &Service) -> Result<CouncilFields, ApiError> {
        let stored_date = |field: &str, v: &Option<String>| -> Result<Option<Date>, ApiError> {
            v.as_deref()
                .map(|s| {
                    s.parse::<Date>().map_err(|_| ApiError::App(crate::AppError::Internal(format!("stored {field} '{s}' is not a date"))))
                })
                .transpose()
        };
        let contract_status = self.contract_status.unwrap_or(before.contract_status);
        let framework_id = match self.framework_id {
            Some(v) => v,
            None if contract_status.takes_framework() => before.framework_id.clone(),
            None => None,
        };
        let lot_id = match self.lot_id {
            Some(v) => v,
            None if contract_status.takes_framework() && framework_id == before.framework_id => before.lot_id.clone(),
            None => None,
        };
        Ok(CouncilFields {
            contract_status,
            framework_id,
            lot_id,
            contract_start: match self.contract_start {
                Some(v) => v,
                None => stored_date("contract_start", &before.contract_start)?,
            },
            contract_end: match self.contract_end {
                Some(v) => v,
                None => stored_date("contract_end", &before.contract_end)?,
            },
            council_notes: self.council_notes.unwrap_or_else(|| before.council_notes.clone()),
            kind: self.kind,
        })
    }
}
