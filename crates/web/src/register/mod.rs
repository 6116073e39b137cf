//! C1 pages: the market dashboard, services and providers.

use crate::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
}
