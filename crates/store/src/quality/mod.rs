//! Quality assurance records (issue 3; domain C2), on the tables of migration `0004_quality`.
//!
//! - [`frameworks`], [`visits`], [`actions`]: assessment frameworks as data, quality visits
//!   scored against them, and the action plans Requires Improvement and Poor judgements raise.
//! - [`status`], [`cadence`]: RAG status and escalation with history, officer assignment, and
//!   what is due or overdue under the cadence rules.
//! - [`signals`], [`returns`], [`score`]: complaints, safeguarding and other signals, provider
//!   monthly returns, and the early-warning score's inputs and watch list.
//! - [`themes`]: CQC report theme analysis (provider exit plans are `crate::exit_plans`).
//! - [`figures`]: the quality dashboard and the Market Oversight Report's quality figures.

pub mod actions;
pub mod cadence;
pub mod fact_check;
pub mod figures;
pub mod frameworks;
pub mod returns;
pub mod score;
pub mod signals;
pub mod status;
pub mod themes;
pub mod visits;

use crate::{Result, StoreError};

/// Parse a stored column with one of core's parsers (for types without `FromStr`), or fail with
/// `Corrupt` naming it.
pub(crate) fn decode_as<T>(table: &'static str, column: &'static str, value: &str, parse: fn(&str) -> Option<T>) -> Result<T> {
    parse(value).ok_or_else(|| StoreError::Corrupt { table, column, value: value.to_string() })
}
