//! caremarket's web layer: server-rendered GOV.UK pages, the public directory, the provider
//! portal and the JSON API. Roles are checked on every route from `caremarket_core::access`.

mod account;
mod admin;
pub mod api;
mod approval_limits;
mod as_at;
mod assets;
mod auth;
mod capacity;
mod contract_frameworks;
mod council_area;
mod csrf;
mod direct_payments;
mod directory;
pub mod ecm;
mod error;
mod evidence;
mod fees;
mod forms;
mod governance;
pub mod guard;
mod imports;
mod kept_pages;
pub mod mail;
mod markup;
mod outcomes;
mod paging;
pub use imports::{import_cqc_file_streamed, options_for as import_options};
mod placements;
mod portal;
mod quality;
pub mod register;
mod render;
pub mod reports;
mod serve;
mod settings;
pub mod single_sign_on;
mod tags;
mod versions;
mod work;
mod workforce;

pub use auth::{CurrentUser, SignInThrottle};
pub use error::AppError;
pub use render::{Renderer, computed_at};
pub use serve::{ServeLimits, serve};

use axum::Router;
use caremarket_store::Store;
use caremarket_store::sessions::DbSessionStore;
use std::sync::Arc;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};

/// Settings the web layer needs.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Mark cookies Secure (true behind HTTPS; false for the local demo on http://127.0.0.1).
    pub secure_cookies: bool,
    /// Largest upload accepted (CQC ODS files are ~25 MB).
    pub max_upload_bytes: usize,
    /// Where evidence files are kept (`<data dir>/evidence`; issue 16 item 18). Backed up with
    /// the database.
    pub evidence_dir: std::path::PathBuf,
    /// Largest evidence file accepted (checked while it is read; at most `max_upload_bytes`).
    pub max_evidence_bytes: usize,
    /// Sign-in attempts allowed per address in a burst before throttling.
    pub sign_in_burst: u32,
    /// API requests a minute per token.
    pub api_requests_per_minute: u32,
    /// Where email goes: an SMTP relay, or a folder of `.eml` files.
    pub mail: mail::MailSettings,
    /// The sender of the service's email.
    pub mail_from: String,
    /// The address people reach the service at, for links in email. Never taken from the
    /// request's Host header, which anyone can set (a withdrawal link must not point elsewhere).
    pub public_url: String,
    /// The council's identity provider, when people may sign in with it (issue 17 item 8).
    pub single_sign_on: Option<single_sign_on::SingleSignOnSettings>,
    /// How long a copy of a public directory page may be served for writes this server cannot
    /// see (another server, the command line); 0 renders every page (`kept_pages`).
    pub public_page_seconds: u64,
    /// The same for a session's own copies of the officers' most read pages (`kept_pages`).
    pub officer_page_seconds: u64,
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            secure_cookies: false,
            max_upload_bytes: 64 * 1024 * 1024,
            evidence_dir: std::path::PathBuf::from("evidence"),
            max_evidence_bytes: caremarket_core::evidence::DEFAULT_MAX_BYTES,
            sign_in_burst: 10,
            api_requests_per_minute: 600,
            mail: mail::MailSettings::default(),
            mail_from: "caremarket <no-reply@localhost>".into(),
            public_url: "http://127.0.0.1:8080".into(),
            single_sign_on: None,
            public_page_seconds: 10,
            officer_page_seconds: 10,
        }
    }
}

/// What every handler and middleware is given. One `Arc`: axum clones the state for every
/// middleware layer of every request, and with a field per `Arc` that was 10 atomic counts up and
/// down a layer; on two cores the counts' cache lines moving between them were a fifth of a kept
/// directory page's CPU (`perf`, benchmarks/pages.md).
#[derive(Clone)]
pub struct AppState(Arc<AppStateParts>);

impl std::ops::Deref for AppState {
    type Target = AppStateParts;
    fn deref(&self) -> &AppStateParts {
        &self.0
    }
}

pub struct AppStateParts {
    pub store: Store,
    pub renderer: Arc<Renderer>,
    pub settings: Arc<WebSettings>,
    pub throttle: Arc<SignInThrottle>,
    pub api_limiter: Arc<api::ApiLimiter>,
    pub mailer: Arc<mail::Mailer>,
    /// The key that signs known-device cookies, read from (or first written to) the settings
    /// table on first use, so that devices stay known across restarts.
    pub device_key: Arc<tokio::sync::OnceCell<Vec<u8>>>,
    pub single_sign_on: Option<Arc<single_sign_on::SingleSignOn>>,
    /// Kept copies of rendered pages (`kept_pages`).
    pub(crate) kept_pages: kept_pages::KeptPages,
}

impl AppState {
    pub fn new(store: Store, settings: WebSettings) -> Result<AppState, AppError> {
        let kept_pages = kept_pages::KeptPages::new(
            std::time::Duration::from_secs(settings.public_page_seconds),
            std::time::Duration::from_secs(settings.officer_page_seconds),
        );
        let mailer = mail::Mailer::new(&settings.mail, &settings.mail_from).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(AppState(Arc::new(AppStateParts {
            store,
            renderer: Arc::new(Renderer::new()?),
            api_limiter: Arc::new(api::ApiLimiter::per_minute(settings.api_requests_per_minute)),
            single_sign_on: match &settings.single_sign_on {
                Some(s) => Some(Arc::new(single_sign_on::SingleSignOn::new(s.clone())?)),
                None => None,
            },
            settings: Arc::new(settings),
            throttle: Arc::new(SignInThrottle::default()),
            mailer: Arc::new(mailer),
            device_key: Arc::new(tokio::sync::OnceCell::new()),
            kept_pages,
        })))
    }
}

/// The whole application router. Callers serve it with `into_make_service_with_connect_info::<SocketAddr>()`.
pub fn router(state: AppState) -> Router {
    let session_layer = SessionManagerLayer::new(DbSessionStore::new(state.store.clone()))
        .with_name("caremarket_session")
        .with_secure(state.settings.secure_cookies)
        .with_same_site(SameSite::Lax)
        .with_http_only(true)
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(8)));
    let body_limit = state.settings.max_upload_bytes;
    Router::new()
        .merge(auth::routes(&state))
        .merge(account::routes())
        .merge(register::routes())
        .merge(imports::routes())
        .merge(placements::routes())
        .merge(admin::routes())
        .merge(approval_limits::routes())
        .merge(settings::routes())
        .merge(single_sign_on::routes())
        .merge(council_area::routes())
        .merge(portal::routes())
        .merge(capacity::routes())
        .merge(direct_payments::routes())
        .merge(quality::routes())
        .merge(directory::routes(&state))
        .merge(contract_frameworks::routes())
        .merge(governance::routes())
        .merge(reports::routes())
        .merge(fees::routes())
        .merge(ecm::routes())
        .merge(outcomes::routes())
        .merge(work::routes())
        .merge(workforce::routes())
        .merge(evidence::routes())
        .nest("/api/v1", api::routes())
        .merge(api::page_routes())
        .merge(assets::routes())
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::require_password_change))
        // Outside the account's reads, so that a kept copy reads nothing.
        .layer(axum::middleware::from_fn_with_state(state.clone(), kept_pages::serve_officer_copy))
        .layer(axum::middleware::from_fn_with_state(state.clone(), kept_pages::note_writes))
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard::limit_bodies))
        .layer(axum::middleware::from_fn(guard::check_address))
        .layer(axum::middleware::from_fn_with_state(state.clone(), error::render_error_pages))
        .layer(axum::middleware::from_fn(render::with_request_path))
        .layer(axum::middleware::from_fn_with_state(state.clone(), csrf::check_origin))
        .layer(axum::middleware::from_fn_with_state(state.clone(), csrf::form_token_cookie))
        .layer(session_layer)
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        // A request body must keep arriving (slow-body clients, issue 17 item 3).
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(std::time::Duration::from_secs(30)))
        // The request span names the path only: query strings carry searches for case
        // references and names, which must not reach the logs (issue 17 item 12).
        .layer(tower_http::trace::TraceLayer::new_for_http().make_span_with(
            |req: &axum::http::Request<axum::body::Body>| tracing::debug_span!("request", method = %req.method(), path = %req.uri().path()),
        ))
        .layer(axum::middleware::from_fn(guard::security_headers))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}
