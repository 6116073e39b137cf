//! Sign-in, sign-out, sessions and the current user. The session holds only the user id and
//! the CSRF token. Sign-in is throttled per client address (tower_governor) and per account
//! (repeated failures lock the account's sign-in for a while).

use crate::AppState;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::render::BaseContext;
use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::access::{Permission, Role};
use caremarket_core::limits;
use caremarket_store::Actor;
use caremarket_store::users::User;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;
use tower_sessions::Session;

pub const USER_KEY: &str = "user_id";
pub const CSRF_KEY: &str = "csrf";
/// When this session signed in (or last changed its password): a session from before the
/// account's password last changed is ended, even if its row outlived the change.
pub const SIGNED_IN_AT_KEY: &str = "signed_in_at";

/// Whether a session signed in before the account's password last changed (a change or a reset
/// ends every session in the store; this also ends one a request in flight saved again).
async fn predates_password_change(session: &Session, user: &User) -> bool {
    let Some(changed) = user.password_changed_at.as_deref() else { return false };
    match session.get::<String>(SIGNED_IN_AT_KEY).await {
        Ok(Some(at)) => at.as_str() < changed,
        // No sign-in time: the session is from before they were kept, so older than any
        // change recorded since. End it.
        _ => true,
    }
}

/// The signed-in user, loaded from the session on every request (so a deactivated account is
/// signed out at once). Extracting it on a route requires sign-in.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub session: Session,
}

impl CurrentUser {
    pub fn require(&self, p: Permission) -> Result<(), AppError> {
        if self.user.role.can(p) { Ok(()) } else { Err(AppError::Forbidden) }
    }

    /// What every page needs (as [`session_context`]), from the account this request has already
    /// read and checked, so a page does not read it again.
    pub async fn context(&self, state: &AppState) -> Result<BaseContext, AppError> {
        Ok(BaseContext::new(council_name(state).await?, Some(self.user.clone()), csrf_token(&self.session).await?))
    }

    pub fn actor(&self) -> Actor {
        Actor::user(&self.user.id, &self.user.email)
    }

    pub fn role(&self) -> Role {
        self.user.role
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await.map_err(|_| AppError::Internal("no session".into()))?;
        // Already read by `require_password_change` for this request.
        if let Some(SignedInUser(user)) = parts.extensions.get::<SignedInUser>() {
            return Ok(CurrentUser { user: user.clone(), session });
        }
        let id: Option<String> = session.get(USER_KEY).await?;
        let Some(id) = id else { return Err(AppError::SignInRequired) };
        match state.store.user(&id).await {
            Ok(user) if user.active && !predates_password_change(&session, &user).await => Ok(CurrentUser { user, session }),
            _ => {
                session.flush().await?;
                Err(AppError::SignInRequired)
            }
        }
    }
}

/// The signed-in, active account of a request, as `require_password_change` read it.
#[derive(Clone)]
struct SignedInUser(User);

/// Where an account that must choose a new password may still go: the change page itself,
/// signing out, static assets, the health check and the API (which takes tokens, never the
/// session, and is not affected).
fn allowed_before_password_change(path: &str) -> bool {
    path == crate::account::CHANGE_PASSWORD_PATH
        || path == "/sign-out"
        || path == "/healthz"
        || path.starts_with("/assets/")
        || path == "/api"
        || path.starts_with("/api/")
}

/// An account that must choose a new password (made by an administrator or the command line,
/// or reset by one) is sent to the change page from every other page, GET or POST, until it
/// has chosen one (issue 17 item 7). A request without a signed-in session reads nothing.
pub async fn require_password_change(
    State(state): State<AppState>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path();
    if allowed_before_password_change(path) {
        return next.run(req).await;
    }
    let Some(session) = req.extensions().get::<Session>().cloned() else { return next.run(req).await };
    let Ok(Some(id)) = session.get::<String>(USER_KEY).await else { return next.run(req).await };
    match state.store.user(&id).await {
        Ok(user) if user.active && predates_password_change(&session, &user).await => {
            // Signed out: the handler sees no account and asks for sign-in as usual.
            if let Err(e) = session.flush().await {
                return AppError::from(e).into_response();
            }
            next.run(req).await
        }
        Ok(user) if user.active && user.must_change_password => Redirect::to(crate::account::CHANGE_PASSWORD_PATH).into_response(),
        Ok(user) if user.active => {
            req.extensions_mut().insert(SignedInUser(user));
            next.run(req).await
        }
        _ => next.run(req).await,
    }
}

/// The CSRF token for this session. A signed-out visitor has no session: their token lives in
/// the form cookie (see `csrf`), so viewing a page writes nothing to the database.
pub async fn csrf_token(session: &Session) -> Result<String, AppError> {
    if let Some(t) = session.get::<String>(CSRF_KEY).await? {
        return Ok(t);
    }
    if session.get::<String>(USER_KEY).await?.is_none()
        && let Some(t) = crate::csrf::pre_session_token()
    {
        return Ok(t);
    }
    let t = crate::csrf::fresh_token();
    session.insert(CSRF_KEY, &t).await?;
    Ok(t)
}

/// What every page needs: the user (if signed in), the CSRF token and the navigation.
pub async fn session_context(state: &AppState, session: &Session) -> Result<BaseContext, AppError> {
    let id: Option<String> = session.get(USER_KEY).await?;
    let user = match id {
        Some(id) => state.store.user(&id).await.ok().filter(|u| u.active),
        None => None,
    };
    Ok(BaseContext::new(council_name(state).await?, user, csrf_token(session).await?))
}

async fn council_name(state: &AppState) -> Result<String, AppError> {
    Ok(state.store.setting("council_name").await?.unwrap_or_else(|| "Council".to_string()))
}

/// Per-account lockout: after `MAX_FAILURES` failed attempts within `WINDOW`, refuse further
/// attempts for that email until the window passes. Complements the per-address limit.
///
/// The map is bounded (issue 17 item 1): emails are length-checked before they reach it, each
/// entry keeps at most `MAX_FAILURES` times, entries older than the window are dropped, and when
/// `capacity` accounts are tracked the one with the oldest failure makes room for the new one.
pub struct SignInThrottle {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
    capacity: usize,
}

const MAX_FAILURES: usize = 5;
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Accounts tracked at once: ~10,000 × (254-byte email + 5 instants) stays under 4 MB.
pub const THROTTLE_CAPACITY: usize = 10_000;

impl Default for SignInThrottle {
    fn default() -> Self {
        SignInThrottle::with_capacity(THROTTLE_CAPACITY)
    }
}

impl SignInThrottle {
    pub fn with_capacity(capacity: usize) -> Self {
        SignInThrottle { failures: Mutex::new(HashMap::new()), capacity: capacity.max(1) }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<Instant>>> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn locked(&self, email: &str) -> bool {
        let mut map = self.map();
        let Some(v) = map.get_mut(email) else { return false };
        v.retain(|t| t.elapsed() < WINDOW);
        let locked = v.len() >= MAX_FAILURES;
        if v.is_empty() {
            map.remove(email);
        }
        locked
    }

    pub fn failed(&self, email: &str) {
        let mut map = self.map();
        if !map.contains_key(email) && map.len() >= self.capacity {
            map.retain(|_, v| v.last().is_some_and(|t| t.elapsed() < WINDOW));
            if map.len() >= self.capacity {
                let oldest = map.iter().min_by_key(|(_, v)| v.last().copied()).map(|(k, _)| k.clone());
                if let Some(k) = oldest {
                    map.remove(&k);
                }
            }
        }
        let v = map.entry(email.to_string()).or_default();
        v.retain(|t| t.elapsed() < WINDOW);
        v.push(Instant::now());
        if v.len() > MAX_FAILURES {
            v.remove(0);
        }
    }

    pub fn succeeded(&self, email: &str) {
        self.map().remove(email);
    }

    /// How many accounts are being tracked (for tests and the operations docs' memory sums).
    pub fn tracked(&self) -> usize {
        self.map().len()
    }
}

/// Per-address rate limiters keep one entry per client address for good unless told to forget
/// the idle ones: `prune` them every minute for as long as the limiter exists.
pub(crate) fn prune_periodically<T: Send + Sync + 'static>(shared: &std::sync::Arc<T>, prune: fn(&T)) {
    let weak = std::sync::Arc::downgrade(shared);
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        rt.spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(60));
            loop {
                every.tick().await;
                let Some(l) = weak.upgrade() else { break };
                prune(&l);
            }
        });
    }
}

pub fn routes(state: &AppState) -> Router<AppState> {
    let burst = state.settings.sign_in_burst.max(1);
    let throttled = GovernorConfigBuilder::default().per_second(6).burst_size(burst).finish().map(|config| {
        prune_periodically(config.limiter(), |l| {
            l.retain_recent();
            l.shrink_to_fit();
        });
        GovernorLayer::new(config).error_handler(|e| match e {
            tower_governor::GovernorError::TooManyRequests { .. } => AppError::TooManyRequests.into_response(),
            other => AppError::Internal(format!("sign-in throttle: {other}")).into_response(),
        })
    });
    let post_route = match throttled {
        Some(layer) => post(sign_in).layer(layer),
        None => post(sign_in),
    };
    Router::new()
        .route("/", get(home))
        .route("/sign-in", get(sign_in_page).merge(post_route))
        .route("/sign-out", post(sign_out))
        .route("/healthz", get(healthz))
}

async fn home(session: Session, State(state): State<AppState>) -> Result<Response, AppError> {
    let ctx = session_context(&state, &session).await?;
    Ok(match ctx.current_user.as_ref().map(|u| u.role) {
        Some(role) => Redirect::to(role.home()).into_response(),
        None => Redirect::to("/sign-in").into_response(),
    })
}

async fn healthz(State(state): State<AppState>) -> Response {
    if state.store.healthy().await {
        axum::Json(serde_json::json!({"status": "ok", "database": state.store.backend().name()})).into_response()
    } else {
        (axum::http::StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({"status": "unavailable"}))).into_response()
    }
}

async fn sign_in_page(session: Session, State(state): State<AppState>) -> Result<Html<String>, AppError> {
    let ctx = session_context(&state, &session).await?;
    Ok(Html(state.renderer.render(
        "sign_in.html",
        &ctx,
        minijinja::context! { email => "", single_sign_on => single_sign_on_name(&state) },
    )?))
}

/// What the sign-in page calls the council's identity provider, when one is configured.
fn single_sign_on_name(state: &AppState) -> Option<String> {
    state.single_sign_on.as_ref().map(|s| s.settings.display_name.clone())
}

#[derive(Deserialize)]
struct SignInForm {
    email: String,
    password: String,
}

/// The cookie that marks a browser where an account has signed in before (issue 17 item 12).
pub const DEVICE_COOKIE: &str = "caremarket_device";
/// How long a browser stays known after a successful sign-in.
const DEVICE_SECONDS: i64 = 90 * 24 * 60 * 60;
const DEVICE_KEY_SETTING: &str = "device_cookie_key";

/// The key that signs device cookies: 32 random bytes kept in the settings table.
async fn device_key(state: &AppState) -> Result<Vec<u8>, AppError> {
    let key = state
        .device_key
        .get_or_try_init(|| async {
            if let Some(k) = state.store.setting(DEVICE_KEY_SETTING).await?
                && let Ok(bytes) = hex::decode(k.trim())
                && bytes.len() == 32
            {
                return Ok::<_, AppError>(bytes);
            }
            let bytes: [u8; 32] = rand::random();
            state.store.set_setting(DEVICE_KEY_SETTING, &hex::encode(bytes)).await?;
            Ok(bytes.to_vec())
        })
        .await?;
    Ok(key.clone())
}

fn device_mac(key: &[u8], email: &str, expires: i64) -> hmac::Hmac<sha2::Sha256> {
    use hmac::Mac;
    // Any key length is accepted by HMAC; the fallback is never taken.
    let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(b"caremarket device\n");
    mac.update(email.as_bytes());
    mac.update(b"\n");
    mac.update(expires.to_string().as_bytes());
    mac
}

/// Whether the request carries an unexpired device cookie this server signed for `email`: the
/// lockout key for that browser, or `None` for a browser not known for this account.
fn known_device(key: &[u8], headers: &axum::http::HeaderMap, email: &str) -> Option<String> {
    use hmac::Mac;
    let now = jiff::Timestamp::now().as_second();
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().strip_prefix(DEVICE_COOKIE)?.strip_prefix('='))
        .find_map(|value| {
            let (expires, tag) = value.split_once('.')?;
            let expires: i64 = expires.parse().ok().filter(|e| *e > now)?;
            let tag = hex::decode(tag).ok()?;
            device_mac(key, email, expires).verify_slice(&tag).ok()?;
            Some(format!("device:{}", hex::encode(&tag[..16])))
        })
}

/// A device cookie for `email`, sent only to the sign-in page.
fn device_cookie(key: &[u8], email: &str, secure: bool) -> Option<axum::http::HeaderValue> {
    use hmac::Mac;
    let expires = jiff::Timestamp::now().as_second() + DEVICE_SECONDS;
    let tag = hex::encode(device_mac(key, email, expires).finalize().into_bytes());
    let secure = if secure { "; Secure" } else { "" };
    axum::http::HeaderValue::from_str(&format!(
        "{DEVICE_COOKIE}={expires}.{tag}; Path=/sign-in; Max-Age={DEVICE_SECONDS}; HttpOnly; SameSite=Strict{secure}"
    ))
    .ok()
}

async fn sign_in(
    session: Session,
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    CsrfForm(form): CsrfForm<SignInForm>,
) -> Result<Response, AppError> {
    // Lengths are checked before the email reaches the lockout map or the password the hasher.
    let email = form.email.trim().to_lowercase();
    let mut errors = Vec::new();
    if email.is_empty() {
        errors.push(crate::render::field_error("email", "Enter your email address"));
    } else if let Err(e) = limits::check_text("email", "Email address", &email, limits::EMAIL_CHARS) {
        errors.push(crate::render::field_error("email", &e.message));
    }
    if form.password.is_empty() {
        errors.push(crate::render::field_error("password", "Enter your password"));
    } else if let Err(e) = limits::check_text("password", "Password", &form.password, limits::PASSWORD_CHARS) {
        errors.push(crate::render::field_error("password", &e.message));
    }
    let email = if email.chars().count() > limits::EMAIL_CHARS || email.contains('\0') { String::new() } else { email };
    if errors.is_empty() {
        // Per-account lockout, except for a browser this account signed in from before: it
        // has a lockout of its own, so someone guessing elsewhere cannot lock the account's
        // owner out (issue 17 item 12).
        let key = device_key(&state).await?;
        let lock_key = known_device(&key, &headers, &email).unwrap_or_else(|| email.clone());
        if state.throttle.locked(&lock_key) {
            return Err(AppError::TooManyRequests);
        }
        match state.store.authenticate(&email, &form.password).await? {
            Some(user) => {
                state.throttle.succeeded(&lock_key);
                // A new session id on sign-in prevents session fixation, and a new form token
                // means one seen before sign-in is worth nothing after (issue 17 item 12).
                session.cycle_id().await?;
                session.insert(USER_KEY, &user.id).await?;
                session.insert(CSRF_KEY, &crate::csrf::fresh_token()).await?;
                session.insert(SIGNED_IN_AT_KEY, caremarket_store::now_timestamp()).await?;
                tracing::info!(user_id = %user.id, "signed in");
                let next = if user.must_change_password { crate::account::CHANGE_PASSWORD_PATH } else { user.role.home() };
                let mut res = Redirect::to(next).into_response();
                if let Some(cookie) = device_cookie(&key, &email, state.settings.secure_cookies) {
                    res.headers_mut().append(axum::http::header::SET_COOKIE, cookie);
                }
                return Ok(res);
            }
            None => {
                state.throttle.failed(&lock_key);
                errors.push(crate::render::field_error("email", "Enter a correct email address and password"));
            }
        }
    }
    let ctx = session_context(&state, &session).await?;
    let html = state.renderer.render(
        "sign_in.html",
        &ctx,
        minijinja::context! { email => email, errors => errors, single_sign_on => single_sign_on_name(&state) },
    )?;
    Ok((axum::http::StatusCode::BAD_REQUEST, Html(html)).into_response())
}

#[derive(Deserialize)]
struct Empty {}

async fn sign_out(session: Session, CsrfForm(_): CsrfForm<Empty>) -> Result<Response, AppError> {
    session.flush().await?;
    Ok(Redirect::to("/sign-in").into_response())
}

/// A signed-in page: `template` rendered with the session's base context and `ctx`, answered
/// with `status`. The one home of this step for the pages that render a template and nothing else.
pub(crate) async fn page(
    state: &AppState,
    user: &CurrentUser,
    template: &str,
    status: axum::http::StatusCode,
    ctx: minijinja::Value,
) -> Result<Response, AppError> {
    let base = user.context(state).await?;
    Ok((status, Html(state.renderer.render(template, &base, ctx)?)).into_response())
}
