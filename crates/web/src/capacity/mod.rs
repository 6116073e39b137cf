//! Capacity and sufficiency pages (issue 4; domain C3, C4): care home vacancies as `000` shows
//! them, block beds, placement restrictions, declared spare capacity, weekly activity
//! (supported living 1:1 and shared hours), brokerage ([`brokerage`]), continuity
//! ([`continuity`]), the provider portal's returns and offers (`web/src/portal/capacity.rs`) and the vacancy API
//! ([`api`]). Every route checks a permission.

mod activity;
pub(crate) mod admissions;
pub(crate) mod api;
mod block_beds;
mod brokerage;
mod chart;
mod continuity;
pub(crate) mod forms;
mod homes;
mod restrictions;
mod returns;
mod settings;

pub(crate) use brokerage::request_view;
mod spare;

use crate::AppState;
use crate::error::AppError;
use axum::Router;
use axum::routing::{get, post};
use caremarket_core::capacity::vacancies::CapacityThresholds;
use caremarket_core::register::ServiceKind;
use caremarket_store::register::ServiceFilter;
use forms::opt;

// The provider portal and the quality pages use these.
pub(crate) use restrictions::parse_restriction;
pub(crate) use returns::{read_upload, return_fields, return_lines};
pub(crate) use spare::{save_spare, spare_fields};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/capacity", get(homes::overview))
        .route("/capacity/homes", get(homes::homes))
        .route("/capacity/returns/new", get(returns::return_form).post(returns::return_submit))
        .route("/capacity/returns/upload", get(returns::upload_form).post(returns::upload_submit))
        .route("/capacity/block-beds/new", get(block_beds::block_form).post(block_beds::block_submit))
        .route("/capacity/restrictions", get(restrictions::restrictions).post(restrictions::restriction_submit))
        .route("/capacity/closures", get(admissions::closures).post(admissions::closure_submit))
        .route("/capacity/closures/{id}/reopen", post(admissions::closure_reopen))
        .route("/capacity/returns/missing", get(admissions::missing_returns).post(admissions::chase_submit))
        .route("/capacity/settings", get(settings::page).post(settings::save))
        .route("/capacity/restrictions/{id}/lift", post(restrictions::restriction_lift))
        .route("/capacity/spare", get(spare::spare_form).post(spare::spare_submit))
        .route("/capacity/activity", get(activity::activity_form).post(activity::activity_submit))
        .merge(continuity::routes())
        .merge(brokerage::routes())
        .merge(api::routes())
}

pub(crate) async fn thresholds(state: &AppState) -> CapacityThresholds {
    state.store.setting("capacity_thresholds").await.ok().flatten().and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default()
}

/// The care homes as choices (a provider's own, or all in the area).
pub(crate) async fn care_home_options(state: &AppState, provider_id: Option<&str>) -> Result<Vec<serde_json::Value>, AppError> {
    let page = state
        .store
        .services(&ServiceFilter {
            kinds: vec![ServiceKind::CareHomeResidential, ServiceKind::CareHomeNursing],
            provider_id: provider_id.map(str::to_string),
            any_area: provider_id.is_some(),
            sort: Some("name".into()),
            per_page: 1000,
            ..Default::default()
        })
        .await?;
    let mut v = vec![opt("", "Choose a care home")];
    v.extend(page.items.iter().filter(|s| provider_id.is_none_or(|p| s.provider_id == p)).map(|s| {
        let beds = s.beds.map(|b| format!(", {}", caremarket_core::text::count(b, "bed", None))).unwrap_or_default();
        opt(&s.id, &format!("{} – {}{beds}", s.name, s.provider_name))
    }));
    Ok(v)
}

pub(crate) async fn all_service_options(state: &AppState, kinds: Vec<ServiceKind>) -> Result<Vec<serde_json::Value>, AppError> {
    let page = state.store.services(&ServiceFilter { kinds, sort: Some("name".into()), per_page: 1000, ..Default::default() }).await?;
    let mut v = vec![opt("", "Choose a service")];
    v.extend(page.items.iter().map(|s| opt(&s.id, &format!("{} – {} ({})", s.name, s.provider_name, s.kind.label()))));
    Ok(v)
}

pub(crate) async fn area_options(state: &AppState) -> Result<Vec<serde_json::Value>, AppError> {
    let mut v = vec![opt("", "Choose an area")];
    v.extend(state.store.areas().await?.iter().map(|a| opt(&a.id, &a.name)));
    Ok(v)
}
