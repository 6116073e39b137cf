//! Limits every request meets before a handler sees it (issue 17 items 2, 11 and 12):
//! - a request body is at most a form's size unless the route takes a file ([`UPLOAD_ROUTES`])
//!   and the signed-in role may upload; then it is at most that kind of file's limit. A body
//!   that declares more is refused before any of it is read, and one that does not declare its
//!   size is cut off at the limit;
//! - a query string is bounded and a NUL character in the path or query is refused with a
//!   message, not passed to the database;
//! - every response carries the security headers.

use crate::AppState;
use crate::auth::USER_KEY;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use caremarket_core::limits;
use tower_sessions::Session;

/// What a route's file is, which sets how large it may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A whole register or month of visits (CQC files, ECM exports): up to the configured upload
    /// limit, written to a temporary file as it arrives and parsed from there, never held whole
    /// in memory.
    Register,
    /// A table an officer or provider fills in (a return, a plan's progress, a spend export):
    /// [`limits::TABLE_UPLOAD_BYTES`], or the upload limit if that is lower.
    Table,
    /// An evidence file: the configured evidence limit, plus room for the form's fields.
    Evidence,
}

/// Every route that takes a file, by the path it is declared with. Any other route's body is a
/// form's size whoever sends it. `tests/route_matrix.rs` fails if a handler that reads a
/// multipart body is routed at a path missing here, or a path here takes no file.
pub const UPLOAD_ROUTES: &[(&str, FileKind)] = &[
    ("/imports", FileKind::Register),
    ("/ecm/import", FileKind::Register),
    ("/evidence/{kind}/{id}", FileKind::Evidence),
    ("/capacity/returns/upload", FileKind::Table),
    ("/direct-payments/spend/import", FileKind::Table),
    ("/fees/budgets/upload", FileKind::Table),
    ("/fees/cost-of-care/upload", FileKind::Table),
    ("/fees/supported-living/upload", FileKind::Table),
    ("/governance/delivery-plans/{id}/import", FileKind::Table),
    ("/governance/scrutiny/{id}/import", FileKind::Table),
    ("/portal/returns/upload", FileKind::Table),
    ("/portal/supported-living/upload", FileKind::Table),
    ("/portal/workforce/upload", FileKind::Table),
    ("/quality/frameworks/new", FileKind::Table),
    ("/quality/returns/upload", FileKind::Table),
    ("/quality/themes/upload", FileKind::Table),
    ("/workforce/upload", FileKind::Table),
];

/// The kind of file a declared route path takes, if any.
pub fn file_kind(route: &str) -> Option<FileKind> {
    UPLOAD_ROUTES.iter().find(|(path, _)| *path == route).map(|(_, kind)| *kind)
}

impl FileKind {
    /// The largest body a request of this kind may send.
    pub fn body_limit(self, settings: &crate::WebSettings) -> usize {
        match self {
            FileKind::Register => settings.max_upload_bytes,
            FileKind::Table => limits::TABLE_UPLOAD_BYTES.min(settings.max_upload_bytes),
            FileKind::Evidence => settings.max_evidence_bytes.saturating_add(limits::FORM_BODY_BYTES).min(settings.max_upload_bytes),
        }
    }
}

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

/// The largest body this request may send. Only a multipart request to a route that takes a
/// file, from a signed-in user whose role may upload, gets more than a form; the role is checked
/// from the session, before the body is touched. The handler then checks its own permission,
/// again before reading the file.
async fn body_limit(state: &AppState, kind: Option<FileKind>, session: Option<Session>) -> usize {
    let Some(kind) = kind else { return limits::FORM_BODY_BYTES };
    let Some(session) = session else { return limits::FORM_BODY_BYTES };
    let Ok(Some(user_id)) = session.get::<String>(USER_KEY).await else { return limits::FORM_BODY_BYTES };
    match state.store.user(&user_id).await {
        Ok(user) if user.active && user.role.may_upload() => kind.body_limit(&state.settings),
        _ => limits::FORM_BODY_BYTES,
    }
}

pub async fn limit_bodies(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let has_body = declared_length(&req).is_none_or(|n| n > 0);
    if !has_body {
        return next.run(req).await;
    }
    let kind = if is_multipart(&req) { req.extensions().get::<MatchedPath>().and_then(|p| file_kind(p.as_str())) } else { None };
    let session = req.extensions().get::<Session>().cloned();
    let limit = body_limit(&state, kind, session).await;
    if kind == Some(FileKind::Register) && limit > limits::FORM_BODY_BYTES {
        // A register file is cut off at the upload limit by the router's DefaultBodyLimit, which
        // the upload pages turn into "the selected file must be smaller than ...".
        return next.run(req).await;
    }
    // A body declared too large is refused unread; one that does not declare its size
    // (chunked) stops at the limit and the extractors answer 413.
    if declared_length(&req).is_some_and(|n| n > limit as u64) {
        return too_large(req.uri().path(), limit, kind.filter(|_| limit > limits::FORM_BODY_BYTES));
    }
    let (parts, body) = req.into_parts();
    let body = Body::new(http_body_util::Limited::new(body, limit));
    next.run(Request::from_parts(parts, body)).await
}

/// A refusal as the client reads it: JSON for the API, a GOV.UK error page otherwise.
fn refuse(path: &str, e: crate::AppError) -> Response {
    if path.starts_with("/api/") { e.into_json_response() } else { e.into_response() }
}

fn too_large(path: &str, limit: usize, file: Option<FileKind>) -> Response {
    let message = match file {
        Some(_) => {
            format!("The selected file is too large. Files on this page must be smaller than {}. Nothing was saved.", size_in_words(limit))
        }
        None => format!(
            "The request was too large. A form can send up to {} KB, and only accounts that upload files can send more, on the pages that take a file.",
            limit / 1024
        ),
    };
    let mut res = refuse(path, crate::AppError::PayloadTooLarge(message));
    // The unread body is not drained: tell the client this connection is finished with.
    res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}

fn size_in_words(bytes: usize) -> String {
    let mb = bytes / (1024 * 1024);
    if mb >= 1 { format!("{mb} MB") } else { format!("{} KB", bytes / 1024) }
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
