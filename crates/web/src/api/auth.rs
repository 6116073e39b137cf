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
            Ok(Some(user)) => Ok(ApiUser { user }),
            Err(e) if !matches!(e, StoreError::NotFound(_)) => Err(e.into()),
            _ => Err(ApiError::unauthorized(
                "The API token is not valid: it may be mistyped or revoked, or its account deactivated. \
                 Create a new token on the API tokens page (/account/tokens).",
            )),
        }
    }
}
