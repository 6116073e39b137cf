//! C3/C4 persistence: vacancy returns, block beds, placement restrictions, declared spare
//! capacity, weekly activity, home care package requests and offers (issue 4). The rules live in
//! `caremarket_core::capacity`; this module stores, checks with those rules, and gathers the
//! inputs the rules need (the market's supply for continuity, the candidates for a request).

mod activity;
mod admissions;
mod block_beds;
mod brokerage;
mod market;
mod spare;
mod vacancies;

pub use activity::*;
pub use admissions::*;
pub use block_beds::*;
pub use brokerage::*;
pub use market::*;
pub use spare::*;
pub use vacancies::*;

use crate::StoreError;
use jiff::Timestamp;

/// A timestamp stored as RFC 3339 UTC text to the second, so text order is time order.
pub(crate) fn ts_text(t: Timestamp) -> String {
    Timestamp::from_second(t.as_second()).unwrap_or(t).to_string()
}

/// A stored timestamp, read loudly.
pub(crate) fn parse_ts(table: &'static str, column: &'static str, s: &str) -> Result<Timestamp, StoreError> {
    StoreError::decode(table, column, s)
}
