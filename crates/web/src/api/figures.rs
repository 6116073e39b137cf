//! `/api/v1/figures/market`: the dashboard's figures.

use super::auth::ApiUser;
use super::dto::{ErrorBody, MarketFigures, MarketQuery};
use super::error::ApiError;
use super::params::{self, Query};
use crate::AppState;
use axum::Json;
use axum::extract::{RawQuery, State};
use caremarket_core::Date;
use caremarket_core::access::Permission;
use jiff::ToSpan;

/// The default "not inspected since" date: `004` §4.22 counts services not inspected since 2020.
pub const DEFAULT_NOT_INSPECTED_BEFORE: Date = jiff::civil::date(2020, 1, 1);

/// The market at a glance, as on the dashboard.
///
/// Counts cover services in the council's area that are not deregistered. Each count carries the
/// address of the service list behind it.
#[utoipa::path(
    get,
    path = "/api/v1/figures/market",
    operation_id = "market_figures",
    tag = "figures",
    params(MarketQuery),
    responses(
        (status = 200, description = "The figures, as at now", body = MarketFigures),
        (status = 400, description = "A date could not be understood; `field` names it", body = ErrorBody),
        (status = 401, description = "No API token, or not a valid one", body = ErrorBody),
        (status = 403, description = "The token's account cannot read the register (provider users)", body = ErrorBody),
    )
)]
pub async fn market(user: ApiUser, State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Json<MarketFigures>, ApiError> {
    user.require(Permission::ViewRegister)?;
    let q = Query::parse(query.as_deref(), &["not_inspected_before", "changes_since"])?;
    let not_inspected_before = q.parsed("not_inspected_before", params::date)?.unwrap_or(DEFAULT_NOT_INSPECTED_BEFORE);
    let changes_since = match q.parsed("changes_since", params::date)? {
        Some(d) => d,
        None => {
            let today = caremarket_store::today();
            today.checked_sub(90.days()).unwrap_or(today)
        }
    };
    Ok(Json(state.store.market_figures(not_inspected_before, changes_since).await?.into()))
}
