//! Quality assurance pages (issue 3; domain C2). Every route checks a permission from
//! `caremarket_core::access`; provider users reach only their own action plans and monthly
//! returns, through the portal routes in [`actions`] and [`returns`].
//!
//! - [`visits`], [`frameworks`], [`actions`]: visits scored on frameworks, action plans.
//! - [`status`]: RAG, escalation, restrictions and embargoes, officer assignment, due and overdue.
//! - [`signals`], [`returns`]: signals, monthly returns, the early-warning score and watch list.
//! - [`themes`], [`exit`]: CQC report themes and offers; provider exit plans.
//! - [`dashboard`], [`service_tab`]: the quality dashboard with the report's figures, and the
//!   quality tab of a service, which gathers each part's section.

mod actions;
mod dashboard;
mod exit;
mod frameworks;
mod returns;
mod service_tab;
mod signals;
mod status;
mod themes;
mod visits;

use crate::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(visits::routes())
        .merge(frameworks::routes())
        .merge(actions::routes())
        .merge(status::routes())
        .merge(signals::routes())
        .merge(returns::routes())
        .merge(themes::routes())
        .merge(exit::routes())
        .merge(dashboard::routes())
        .merge(service_tab::routes())
}
