//! See the module list in `quality`.

use crate::AppState;
use axum::Router;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
}

/// This part's section of a service's quality tab (`_quality_section_exit.html`), or none when
/// the user may not see it.
pub(super) async fn service_section(
    _state: &AppState,
    _user: &crate::auth::CurrentUser,
    _service_id: &str,
) -> Result<Option<minijinja::Value>, crate::error::AppError> {
    Ok(None)
}
