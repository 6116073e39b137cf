//! `POST /api/v1/capacity/vacancies`: a care home's vacancy return from another system (a
//! provider's own, or a council system), with a bearer token (`crate::api::auth`). Provider
//! users may submit only for their own provider's homes; council users need SubmitVacancies.

use crate::AppState;
use crate::api::auth::ApiUser;
use crate::api::error::ApiError;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use caremarket_core::access::{Permission, Role};
use caremarket_core::capacity::vacancies::{BedType, VacancyLine};
use caremarket_store::capacity::NewVacancyReturn;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/capacity/vacancies", post(submit))
}

/// One bed type's line of a vacancy return.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = VacancyLineInput)]
pub(crate) struct LineIn {
    /// `dementia_nursing`, `dementia_residential`, `general_nursing` or `general_residential`.
    #[schema(example = "general_nursing")]
    bed_type: String,
    /// Beds of this type occupied on the day.
    occupied: i64,
    /// Beds of this type vacant on the day.
    vacant: i64,
}

/// A care home's vacancy return. Give the home by `service_id` or by its CQC location id.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = VacancyReturnInput)]
pub(crate) struct ReturnIn {
    service_id: Option<String>,
    #[schema(example = "1-123456789")]
    cqc_location_id: Option<String>,
    /// The day the figures are for, `YYYY-MM-DD`: not in the future, nor more than two years ago.
    #[schema(example = "2024-11-08")]
    date: String,
    lines: Vec<LineIn>,
}

/// What was recorded.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(as = VacancyReturnCreated)]
pub(crate) struct ReturnCreated {
    /// The return's id.
    id: String,
    service_id: String,
    date: String,
}

/// Submit a care home's vacancy return (replacing any earlier return for the same day).
/// Provider accounts may submit for their own homes only; council accounts need the
/// SubmitVacancies permission (brokerage, quality and commissioning officers).
#[utoipa::path(
    post,
    path = "/api/v1/capacity/vacancies",
    operation_id = "submit_vacancy_return",
    tag = "capacity",
    request_body = ReturnIn,
    responses(
        (status = 201, description = "The return was recorded", body = ReturnCreated),
        (status = 400, description = "The return was refused; `field` names what is wrong (more occupied than registered beds, a date in the future, an unknown bed type)", body = crate::api::dto::ErrorBody),
        (status = 401, description = "No API token, or not a valid one", body = crate::api::dto::ErrorBody),
        (status = 403, description = "The token's account may not submit returns", body = crate::api::dto::ErrorBody),
        (status = 404, description = "No such care home among those the account may submit for", body = crate::api::dto::ErrorBody),
    )
)]
pub(crate) async fn submit(
    user: ApiUser,
    State(state): State<AppState>,
    body: Result<axum::Json<serde_json::Value>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let own = if user.user.role == Role::Provider {
        Some(user.user.provider_id.clone().ok_or_else(|| ApiError::forbidden("This provider account is not linked to a provider."))?)
    } else {
        user.require(Permission::SubmitVacancies)?;
        None
    };
    let r: ReturnIn = crate::api::body::typed(
        body,
        r#"{"cqc_location_id": "1-123", "date": "2024-11-08", "lines": [{"bed_type": "general_nursing", "occupied": 20, "vacant": 2}]}"#,
    )?;
    let service = match (&r.service_id, &r.cqc_location_id) {
        (Some(id), _) => state.store.service(id).await.ok(),
        (None, Some(loc)) => state.store.service_by_location_id(loc).await.map_err(|e| ApiError::from(crate::AppError::from(e)))?,
        _ => return Err(ApiError::invalid("service_id", "Give service_id or cqc_location_id")),
    };
    // Another provider's home is "not found", so the API does not confirm it exists.
    let service = service
        .filter(|s| own.as_deref().is_none_or(|p| s.provider_id == p))
        .ok_or_else(|| ApiError::not_found("No such care home among the services you may submit for"))?;
    let date = r.date.parse().map_err(|_| ApiError::invalid("date", format!("'{}' is not a date in the form YYYY-MM-DD", r.date)))?;
    let mut lines = Vec::new();
    for l in &r.lines {
        let bed_type = BedType::parse(&l.bed_type).ok_or_else(|| {
            ApiError::invalid(
                "bed_type",
                format!(
                    "must be one of dementia_nursing, dementia_residential, general_nursing, general_residential; found '{}'",
                    l.bed_type
                ),
            )
        })?;
        lines.push(VacancyLine { bed_type, occupied: l.occupied, vacant: l.vacant });
    }
    let id = state
        .store
        .submit_vacancy_return(
            &user.actor(),
            &NewVacancyReturn { service_id: service.id.clone(), return_date: date, lines, source: "api" },
            caremarket_store::today(),
        )
        .await
        .map_err(|e| ApiError::from(crate::AppError::from(e)))?;
    Ok((StatusCode::CREATED, axum::Json(ReturnCreated { id, service_id: service.id, date: r.date })).into_response())
}
