//! One error type for pages and API. HTML errors are rendered by a middleware with the GOV.UK
//! error page (it has the templates; `IntoResponse` does not); API errors are JSON. Internals are
//! logged, never shown.

use crate::AppState;
use crate::auth::session_context;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use caremarket_store::StoreError;
use tower_sessions::Session;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("page not found")]
    NotFound,
    #[error("you do not have permission to see this page")]
    Forbidden,
    #[error("sign in required")]
    SignInRequired,
    #[error("{0}")]
    BadRequest(String),
    #[error("too many attempts")]
    TooManyRequests,
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("internal error: {0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<minijinja::Error> for AppError {
    fn from(e: minijinja::Error) -> Self {
        AppError::Internal(format!("template: {e:#}"))
    }
}

impl From<tower_sessions::session::Error> for AppError {
    fn from(e: tower_sessions::session::Error) -> Self {
        AppError::Internal(format!("session: {e}"))
    }
}

/// Marker carried on an error response so the page middleware can render it.
#[derive(Clone, Debug)]
pub struct ErrorPage {
    pub title: String,
    pub message: String,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound | AppError::Store(StoreError::NotFound(_)) => StatusCode::NOT_FOUND,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::SignInRequired => StatusCode::UNAUTHORIZED,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::BadRequest(_) | AppError::Store(StoreError::Invalid(_) | StoreError::InvalidFields(_)) => StatusCode::BAD_REQUEST,
            AppError::Store(StoreError::Conflict(_) | StoreError::Stale { .. }) => StatusCode::CONFLICT,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What a user may be told.
    pub fn public_message(&self) -> String {
        match self {
            AppError::NotFound | AppError::Store(StoreError::NotFound(_)) => {
                "If you typed the web address, check it is correct. If you pasted the web address, check you copied the entire address."
                    .into()
            }
            AppError::Forbidden => {
                "Your account does not have permission to see this page. Ask your administrator if you need access.".into()
            }
            AppError::SignInRequired => "Sign in to continue.".into(),
            AppError::TooManyRequests => "There have been too many attempts to sign in. Wait 15 minutes and try again.".into(),
            AppError::BadRequest(m) | AppError::PayloadTooLarge(m) => m.clone(),
            AppError::Store(StoreError::Invalid(e)) => e.to_string(),
            AppError::Store(StoreError::InvalidFields(e)) => e.to_string(),
            AppError::Store(StoreError::Conflict(m)) => m.clone(),
            AppError::Store(StoreError::Stale { current }) => {
                format!(
                    "This record changed since you opened it: it is now at version {current}. Nothing was changed: open it again to see what it holds now."
                )
            }
            _ => "Sorry, there is a problem with the service. Try again later.".into(),
        }
    }

    pub fn title(&self) -> &'static str {
        match self.status() {
            StatusCode::NOT_FOUND => "Page not found",
            StatusCode::FORBIDDEN => "You do not have permission",
            StatusCode::BAD_REQUEST => "There is a problem",
            StatusCode::CONFLICT => "There is a problem",
            StatusCode::UNAUTHORIZED => "Sign in",
            StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
            StatusCode::PAYLOAD_TOO_LARGE => "The request was too large",
            _ => "Sorry, there is a problem with the service",
        }
    }

    /// JSON form, for the API.
    pub fn into_json_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "api request failed");
        }
        let field = match &self {
            AppError::Store(StoreError::Invalid(e)) => Some(e.field.clone()),
            AppError::Store(StoreError::InvalidFields(e)) => e.0.first().map(|f| f.field.clone()),
            _ => None,
        };
        let mut body = serde_json::json!({"error": self.public_message(), "field": field, "status": status.as_u16()});
        if let AppError::Store(StoreError::Stale { current }) = &self {
            body["current_version"] = serde_json::json!(current);
        }
        (status, axum::Json(body)).into_response()
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if matches!(self, AppError::SignInRequired) {
            return Redirect::to("/sign-in").into_response();
        }
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let mut res = (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], "").into_response();
        res.extensions_mut().insert(ErrorPage { title: self.title().into(), message: self.public_message() });
        res
    }
}

/// Render marked error responses as GOV.UK error pages; also give unmatched routes a 404 page.
pub async fn render_error_pages(State(state): State<AppState>, session: Session, req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    let page = res.extensions().get::<ErrorPage>().cloned();
    let page = match page {
        Some(p) => p,
        None if res.status() == StatusCode::NOT_FOUND && !is_api && res.headers().get(header::CONTENT_TYPE).is_none() => {
            let e = AppError::NotFound;
            ErrorPage { title: e.title().into(), message: e.public_message() }
        }
        None => return res,
    };
    let status = res.status();
    let ctx = session_context(&state, &session).await.unwrap_or_default();
    match state.renderer.render("error.html", &ctx, minijinja::context! { title => page.title, message => page.message }) {
        Ok(html) => (status, axum::response::Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            (status, page.message).into_response()
        }
    }
}
