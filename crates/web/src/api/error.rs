//! API errors are always JSON (`ErrorBody`), never the HTML error page: the page middleware only
//! renders responses that carry its marker, and nothing here sets it.

use crate::error::AppError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use caremarket_store::StoreError;

#[derive(Debug)]
pub enum ApiError {
    /// Anything the rest of the application can fail with; rendered by
    /// [`AppError::into_json_response`].
    App(AppError),
    /// An error whose wording is the API's own (authentication, permission, not found).
    Status { status: StatusCode, message: String },
    /// The token has used its requests for now (issue 17 item 12): 429 with `Retry-After`.
    RateLimited { retry_after_secs: u64 },
}

impl ApiError {
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::Status { status: StatusCode::UNAUTHORIZED, message: message.into() }
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::Status { status: StatusCode::FORBIDDEN, message: message.into() }
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::Status { status: StatusCode::NOT_FOUND, message: message.into() }
    }

    /// A 400 about one parameter or field.
    pub fn invalid(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::App(AppError::Store(StoreError::invalid(field, message)))
    }

    /// A 400 about the request as a whole.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::App(AppError::BadRequest(message.into()))
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Store(StoreError::NotFound(what)) => ApiError::not_found(format!("Not found: {what}")),
            e => ApiError::App(e),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        AppError::Store(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::App(e) => e.into_json_response(),
            ApiError::RateLimited { retry_after_secs } => {
                let message = format!(
                    "This API token has sent too many requests. Wait {} and try again.",
                    caremarket_core::text::count(i64::try_from(retry_after_secs).unwrap_or(i64::MAX), "second", None)
                );
                let status = StatusCode::TOO_MANY_REQUESTS;
                let body = serde_json::json!({"error": message, "field": null, "status": status.as_u16()});
                let mut res = (status, axum::Json(body)).into_response();
                res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                res
            }
            ApiError::Status { status, message } => {
                let body = serde_json::json!({"error": message, "field": null, "status": status.as_u16()});
                let mut res = (status, axum::Json(body)).into_response();
                if status == StatusCode::UNAUTHORIZED {
                    res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"caremarket\""));
                }
                res
            }
        }
    }
}

/// Unknown addresses under `/api/v1`.
pub async fn not_found() -> ApiError {
    ApiError::not_found("There is no such API endpoint. The endpoints are listed in /api/v1/openapi.json.")
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::Status {
        status: StatusCode::METHOD_NOT_ALLOWED,
        message: "This endpoint does not accept that method. The endpoints are listed in /api/v1/openapi.json.".into(),
    }
}
