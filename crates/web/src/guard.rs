//! Limits every request meets before a handler sees it (issue 17 items 2, 11 and 12):
//! - a request body is at most a form's size unless the route takes a file and the signed-in
//!   role may upload; a body that declares more is refused before any of it is read, and one
//!   that does not declare its size is cut off at the limit;
//! - a query string is bounded and a NUL character in the path or query is refused with a
//!   message, not passed to the database;
//! - every response carries the security headers.

use crate::AppState;
use crate::auth::USER_KEY;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use caremarket_core::limits;
use tower_sessions::Session;

/// Whether the request carries a file upload (a multipart form).
fn is_multipart(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"))
}

fn declared_length(req: &Request) -> Option<u64> {
    req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok())
}

/// The largest body this request may send. Only a multipart request from a signed-in user whose
/// role may upload gets the upload limit; the role is checked from the session, before the body
/// is touched. The handler then checks its own permission, again before reading the file.
async fn body_limit(state: &AppState, multipart: bool, session: Option<Session>) -> usize {
    if !multipart {
        return limits::FORM_BODY_BYTES;
    }
    let Some(session) = session else { return limits::FORM_BODY_BYTES };
    let Ok(Some(user_id)) = session.get::<String>(USER_KEY).await else { return limits::FORM_BODY_BYTES };
    match state.store.user(&user_id).await {
        Ok(user) if user.active && user.role.may_upload() => state.settings.max_upload_bytes,
        _ => limits::FORM_BODY_BYTES,
    }
}

pub async fn limit_bodies(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let has_body = declared_length(&req).is_none_or(|n| n > 0);
    if !has_body {
        return next.run(req).await;
    }
    let (multipart, session) = (is_multipart(&req), req.extensions().get::<Session>().cloned());
    let limit = body_limit(&state, multipart, session).await;
    if limit > limits::FORM_BODY_BYTES {
        // An uploader's file is cut off at the upload limit by the router's DefaultBodyLimit,
        // which the upload pages turn into "the selected file must be smaller than ...".
        return next.run(req).await;
    }
    // A body declared too large for a form is refused unread; one that does not declare its
    // size (chunked) stops at the limit and the extractors answer 413.
    if declared_length(&req).is_some_and(|n| n > limit as u64) {
        return too_large(req.uri().path(), limit);
    }
    let (parts, body) = req.into_parts();
    let body = Body::new(http_body_util::Limited::new(body, limit));
    next.run(Request::from_parts(parts, body)).await
}

/// A refusal as the client reads it: JSON for the API, a GOV.UK error page otherwise.
fn refuse(path: &str, e: crate::AppError) -> Response {
    if path.starts_with("/api/") { e.into_json_response() } else { e.into_response() }
}

fn too_large(path: &str, limit: usize) -> Response {
    let e = crate::AppError::PayloadTooLarge(format!(
        "The request was too large. A form can send up to {} KB, and only accounts that upload files can send more.",
        limit / 1024
    ));
    let mut res = refuse(path, e);
    // The unread body is not drained: tell the client this connection is finished with.
    res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}

/// Refuse query strings longer than any form or search needs, and NUL characters anywhere in the
/// address (PostgreSQL cannot compare text with them and answers with an error).
pub async fn check_address(req: Request, next: Next) -> Response {
    let uri = req.uri();
    let query = uri.query().unwrap_or("");
    if query.len() > limits::QUERY_STRING_BYTES {
        let e =
            crate::AppError::BadRequest(format!("The web address is too long. A search can be up to {} characters.", limits::SEARCH_CHARS));
        return refuse(uri.path(), e);
    }
    let has_nul = |s: &str| s.contains('\0') || s.to_ascii_lowercase().contains("%00");
    if has_nul(uri.path()) || has_nul(query) {
        let e = crate::AppError::BadRequest("The web address contains a character that is not allowed (a NUL character).".into());
        return refuse(uri.path(), e);
    }
    next.run(req).await
}

/// Scripts only from this site plus base.html's two inline scripts, allowed by their hashes
/// (the first is GOV.UK Frontend's published `js-enabled` snippet); change the hash with the
/// script. Style attributes are used by a few templates, hence 'unsafe-inline' for styles only.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
    script-src 'self' 'sha256-GUQ5ad8JK5KmEWmROf3LZd9ge94daqNvd8xy9YS1iDw=' 'sha256-w3AsbFw18wbWi5ceT1pL31IPRkn33Uy3GsDCaoxyx48='; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; object-src 'none'; base-uri 'self'; \
    form-action 'self'; frame-ancestors 'none'";

/// Security headers on every response, unless a handler chose its own. Pages are not framed
/// (clickjacking), scripts and styles come only from this site, and no page is cached by the
/// browser or a proxy: most carry case references or commercial figures.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: header::HeaderName, value: &'static str| {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    };
    set(h, header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "same-origin");
    set(h, header::CACHE_CONTROL, "no-store");
    res
}
