//! Cross-site request forgery protection in two layers:
//! 1. every unsafe request from a browser must come from our own origin (Sec-Fetch-Site / Origin),
//! 2. every form carries the session's token (`csrf_token`), checked by [`CsrfForm`] or
//!    [`verify_token`] before the handler runs.
//!
//! API requests authenticate with bearer tokens, not cookies, so they are exempt from (2).

use crate::AppError;
use crate::auth::CSRF_KEY;
use axum::extract::{FromRequest, Request};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use caremarket_core::limits;
use serde::de::DeserializeOwned;
use tower_sessions::Session;

/// A form field's name as words for a message: "council_notes" -> "Council notes".
fn field_label(name: &str) -> String {
    let words = name.replace(['_', '-'], " ");
    let mut c = words.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect::<String>().chars().take(60).collect(),
        None => "A field".into(),
    }
}

pub async fn check_origin(req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method {
        let h = req.headers();
        if let Some(site) = h.get("sec-fetch-site").and_then(|v| v.to_str().ok())
            && !matches!(site, "same-origin" | "none")
        {
            return (StatusCode::FORBIDDEN, "Cross-site request refused").into_response();
        }
        if let (Some(origin), Some(host)) =
            (h.get(header::ORIGIN).and_then(|v| v.to_str().ok()), h.get(header::HOST).and_then(|v| v.to_str().ok()))
        {
            let origin_host = origin.split("://").nth(1).unwrap_or("");
            if origin != "null" && origin_host != host {
                return (StatusCode::FORBIDDEN, "Cross-origin request refused").into_response();
            }
        }
    }
    next.run(req).await
}

/// Check a submitted token against the session's.
pub async fn verify_token(session: &Session, submitted: Option<&str>) -> Result<(), AppError> {
    let expected: Option<String> = session.get(CSRF_KEY).await?;
    match (expected, submitted) {
        (Some(e), Some(s)) if !e.is_empty() && constant_time_eq(e.as_bytes(), s.as_bytes()) => Ok(()),
        _ => Err(AppError::BadRequest(
            "This form has expired or was not sent from caremarket. Go back, reload the page and try again.".into(),
        )),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A urlencoded form whose CSRF token has been checked.
pub struct CsrfForm<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let session =
            req.extensions().get::<Session>().cloned().ok_or_else(|| AppError::Internal("no session layer".into()).into_response())?;
        // A form is urlencoded: a multipart body sent here is refused before it is read.
        let content_type = req.headers().get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if content_type.to_ascii_lowercase().starts_with("multipart/") {
            return Err(AppError::BadRequest("The form could not be read.".into()).into_response());
        }
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(IntoResponse::into_response)?;
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(&bytes).map_err(|_| AppError::BadRequest("The form could not be read.".into()).into_response())?;
        let token = pairs.iter().find(|(k, _)| k == "csrf_token").map(|(_, v)| v.as_str());
        verify_token(&session, token).await.map_err(IntoResponse::into_response)?;
        // Every field is bounded and free of NUL before any handler keeps it (issue 17 items 1
        // and 11); fields with a tighter rule are checked again by their own page.
        for (name, value) in &pairs {
            limits::check_text(name, &field_label(name), value, limits::FIELD_CHARS)
                .map_err(|e| AppError::BadRequest(e.message).into_response())?;
        }
        let value = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}")).into_response())?;
        Ok(CsrfForm(value))
    }
}
