//! C3 and C4: capacity, sufficiency, brokerage and continuity of care (issue 4).
//!
//! - [`admissions`]: the weekly return window, homes closed to admissions.
//! - [`vacancies`]: care home beds by type, occupancy (`000` "Accommodation with Care"), stale
//!   returns, low occupancy as a quality risk, block-contracted beds, NHS Capacity Tracker columns.
//! - [`brokerage`]: home care package requests and who may be offered them (`004` "Proposed Home
//!   Care Model" and §4.8), and the awaiting-care figures (`000` "Home Care").
//! - [`packages`]: a package's statuses and which step may follow which (offer, answer, start).
//! - [`continuity`]: who is affected if providers exit, what the rest of the market can absorb,
//!   and market concentration (`000` "What is Market Sustainability").
//! - [`supported_living`]: 1:1 and shared hours (`000` "Supported Living").

pub mod admissions;
pub mod brokerage;
pub mod continuity;
pub mod packages;
pub mod supported_living;
pub mod vacancies;

pub use crate::whole_percent;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_as_the_seed_prints_them() {
        // `000` Home Care: "Of these 54% (157) were started within 48 hours" of 291.
        assert_eq!(whole_percent(157, 291), Some(54));
        assert_eq!(whole_percent(1, 2), Some(50));
        assert_eq!(whole_percent(1, 0), None);
    }
}
