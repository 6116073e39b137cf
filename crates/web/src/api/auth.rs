//! Bearer-token authentication for the API. Tokens are made on `/account/tokens`; the store
//! keeps only their hash. No cookies are read, so the API is not open to cross-site request
//! forgery and needs no CSRF token.

use super::error::ApiError;
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use caremarket_core::access::Permission;
use caremarket_store::users::User;
use caremarket_store::{Actor, StoreError};

/// The user behind the request's API token.
#[derive(Debug, Clone)]
pub struct ApiUser {
    pub user: User,
}

impl ApiUser {
    /// 403 unless the user's role has `p`.
    pub fn require(&self, p: Permission) -> Result<(), ApiError> {
        if self.user.role.can(p) {
            return Ok(());
        }
        let what = match p {
            Permission::ViewRegister => "read the register",
            Permission::EditCouncilFields => "change the council's details of a service (administrators and commissioners can)",
            Permission::ManageContractFrameworks => "manage frameworks (administrators and commissioners can)",
            _ => "do this",
        };
        Err(ApiError::forbidden(format!("A {} account does not have permission to {what}.", self.user.role.label())))
    }

    /// Changes through the API are audited as the token's user, marked as made with a token.
    pub fn actor(&self) -> Actor {
        Actor::user(&self.user.id, &format!("{} (API token)", self.user.email))
    }
}

/// The token in `Authorization: Bearer <token>`.
fn bearer_token(parts: &Parts) -> Result<&str, ApiError> {
    const HOW: &str = "Send an API token in the Authorization header, as 'Authorization: Bearer <token>'. \
                       Create a token on the API tokens page (/account/tokens).";
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::unauthorized(HOW));
    };
    let value = value.to_str().map_err(|_| ApiError::unauthorized(HOW))?.trim();
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => Ok(token.trim()),
        _ => Err(ApiError::unauthorized(HOW)),
    }
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer_token(parts)?;
        match state.store.user_for_token(token).await {
            Ok(Some(user)) => {
                state.api_limiter.check(token)?;
                Ok(ApiUser { user })
            }
            Err(e) if !matches!(e, StoreError::NotFound(_)) => Err(e.into()),
            _ => Err(ApiError::unauthorized(
                "The API token is not valid: it may be mistyped or revoked, or its account deactivated. \
                 Create a new token on the API tokens page (/account/tokens).",
            )),
        }
    }
}

/// Requests a minute per API token (issue 17 item 12): one token cannot take the service from
/// everyone else. Keyed by a hash of the token, so the limiter never holds a token itself.
/// Tokens idle for longer than their quota's period are forgotten every minute, which bounds
/// the map by the tokens active in the last minute.
pub struct ApiLimiter {
    limiter: std::sync::Arc<governor::DefaultKeyedRateLimiter<[u8; 32]>>,
}

impl ApiLimiter {
    pub fn per_minute(n: u32) -> ApiLimiter {
        let quota = governor::Quota::per_minute(std::num::NonZeroU32::new(n.max(1)).unwrap_or(std::num::NonZeroU32::MIN));
        let limiter = std::sync::Arc::new(governor::RateLimiter::keyed(quota));
        crate::auth::prune_periodically(&limiter, |l| {
            l.retain_recent();
            l.shrink_to_fit();
        });
        ApiLimiter { limiter }
    }

    fn check(&self, token: &str) -> Result<(), ApiError> {
        use sha2::Digest;
        let key: [u8; 32] = sha2::Sha256::digest(token.as_bytes()).into();
        self.limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
            // Whole seconds, rounded up: a client that waits what it is told is let through.
            ApiError::RateLimited { retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0) }
        })
    }

    /// Tokens the limiter holds (for tests and the operations docs' memory sums).
    pub fn tracked(&self) -> usize {
        self.limiter.len()
    }
}
