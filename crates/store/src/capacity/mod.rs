//! C3/C4 persistence: vacancy returns, block beds, placement restrictions, declared spare
//! capacity, weekly activity, home care package requests and offers (issue 4). The rules live in
//! `caremarket_core::capacity`; this module stores, checks with those rules, and gathers the
//! inputs the rules need (the market's supply for continuity, the candidates for a request).

mod activity;
mod block_beds;
mod brokerage;
mod market;
mod spare;
mod vacancies;

pub use activity::*;
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

pub(crate) fn parse_ts(s: &str) -> Result<Timestamp, StoreError> {
    s.parse::<Timestamp>().map_err(|_| StoreError::invalid("timestamp", format!("'{s}' is not a timestamp")))
}

/// A case reference, not a name: letters, digits and - / only, up to 20 characters, with at
/// least one digit (the same rule as out-of-area placements).
pub fn valid_person_ref(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty()
        && s.len() <= 20
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '/')
        && s.chars().any(|c| c.is_ascii_digit())
}
