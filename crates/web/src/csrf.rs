//! Cross-site request forgery protection in two layers:
//! 1. every unsafe request from a browser must come from our own origin (Sec-Fetch-Site / Origin),
//! 2. every form carries the session's token (`csrf_token`), checked by [`CsrfForm`] or
//!    [`verify_token`] before the handler runs.
//!
//! API requests authenticate with bearer tokens, not cookies, so they are exempt from (2).
//!
//! Before sign-in there is no session (a page view writes nothing to the database, issue 17
//! item 4): the token of a signed-out visitor's forms is kept in a cookie of its own
//! (`caremarket_form`, double-submit), set only when a page showed a form. Sign-in creates the
//! session with a new token, so the token a visitor had before signing in is not the one after.

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

/// Unsafe requests must come from this site: a `Sec-Fetch-Site` other than same-origin (or
/// none, typed by the user) is refused, and so is an `Origin` that is not exactly this host on
/// this site's scheme (https when cookies are Secure). `Origin: null` (sandboxed frames,
/// data: documents) is refused too: it names no site at all (issue 17 item 12).
pub async fn check_origin(axum::extract::State(state): axum::extract::State<crate::AppState>, req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method {
        let h = req.headers();
        if let Some(site) = h.get("sec-fetch-site").and_then(|v| v.to_str().ok())
            && !matches!(site, "same-origin" | "none")
        {
            return (StatusCode::FORBIDDEN, "Cross-site request refused").into_response();
        }
        if let Some(origin) = h.get(header::ORIGIN).map(|v| v.to_str().unwrap_or("null")) {
            let host = h.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
            let scheme = if state.settings.secure_cookies { "https" } else { "http" };
            if origin != format!("{scheme}://{host}") {
                return (StatusCode::FORBIDDEN, "Cross-origin request refused").into_response();
            }
        }
    }
    next.run(req).await
}

pub const FORM_COOKIE: &str = "caremarket_form";

/// The signed-out visitor's form token for this request: from their cookie, or new.
struct PreSession {
    token: String,
    from_cookie: bool,
    used: std::sync::atomic::AtomicBool,
}

tokio::task_local! {
    static PRE_SESSION: std::sync::Arc<PreSession>;
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut bytes);
    hex::encode(bytes)
}

fn cookie_value(req: &Request, name: &str) -> Option<String> {
    req.headers().get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == name && v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit())).then(|| v.to_string())
    })
}

/// Give the request its signed-out form token, and set the cookie if a new one was shown.
pub async fn form_token_cookie(axum::extract::State(state): axum::extract::State<crate::AppState>, req: Request, next: Next) -> Response {
    let existing = cookie_value(&req, FORM_COOKIE);
    let pre = std::sync::Arc::new(PreSession {
        from_cookie: existing.is_some(),
        token: existing.unwrap_or_else(new_token),
        used: std::sync::atomic::AtomicBool::new(false),
    });
    let mut res = PRE_SESSION.scope(pre.clone(), next.run(req)).await;
    if !pre.from_cookie && pre.used.load(std::sync::atomic::Ordering::Relaxed) {
        let secure = if state.settings.secure_cookies { "; Secure" } else { "" };
        let cookie = format!("{FORM_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax{secure}", pre.token);
        if let Ok(v) = axum::http::HeaderValue::from_str(&cookie) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// The form token to show a signed-out visitor (marks it to be set as a cookie).
pub(crate) fn pre_session_token() -> Option<String> {
    PRE_SESSION
        .try_with(|p| {
            p.used.store(true, std::sync::atomic::Ordering::Relaxed);
            p.token.clone()
        })
        .ok()
}

/// A fresh token for a new session (at sign-in).
pub(crate) fn fresh_token() -> String {
    new_token()
}

/// Check a submitted token against the session's, or before sign-in against the visitor's
/// form cookie.
pub async fn verify_token(session: &Session, submitted: Option<&str>) -> Result<(), AppError> {
    let mut expected: Option<String> = session.get(CSRF_KEY).await?;
    if expected.is_none() && session.get::<String>(crate::auth::USER_KEY).await?.is_none() {
        expected = PRE_SESSION.try_with(|p| p.from_cookie.then(|| p.token.clone())).ok().flatten();
    }
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

/// A file upload opened after the handler has checked the role, so that a role without the
/// permission is told 403, not that its form could not be read (the role matrix, issue 17).
/// Typed forms do the same by taking `Result<CsrfForm<T>, Response>` and matching it after the
/// role check.
pub type LateMultipart = Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>;

pub fn opened(upload: LateMultipart) -> Result<axum::extract::Multipart, AppError> {
    upload.map_err(|_| AppError::BadRequest("The form could not be read. Choose a file and send the form again.".into()))
}
