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

#[derive(Debug, Deserialize)]
struct LineIn {
    bed_type: String,
    occupied: i64,
    vacant: i64,
}

#[derive(Debug, Deserialize)]
struct ReturnIn {
    service_id: Option<String>,
    cqc_location_id: Option<String>,
    date: String,
    lines: Vec<LineIn>,
}

async fn submit(
    user: ApiUser,
    State(state): State<AppState>,
    body: Result<axum::Json<ReturnIn>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let own = if user.user.role == Role::Provider {
        Some(user.user.provider_id.clone().ok_or_else(|| ApiError::forbidden("This provider account is not linked to a provider."))?)
    } else {
        user.require(Permission::SubmitVacancies)?;
        None
    };
    let axum::Json(r) = body.map_err(|e| ApiError::bad_request(format!("The body must be JSON like {{\"cqc_location_id\": \"1-123\", \"date\": \"2024-11-08\", \"lines\": [{{\"bed_type\": \"general_nursing\", \"occupied\": 20, \"vacant\": 2}}]}}: {e}")))?;
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
    Ok((StatusCode::CREATED, axum::Json(serde_json::json!({"id": id, "service_id": service.id, "date": r.date}))).into_response())
}
