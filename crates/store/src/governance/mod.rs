//! Governance records (domain C9): the delivery plan, scrutiny reviews, committees' work
//! programmes with their options appraisals, and the self-assessment with its evidence library.
//! Rules are `caremarket_core::governance`'s; this module loads and saves them, each change with
//! its audit row in one transaction.

pub mod committees;
pub mod delivery_plan;
pub mod scrutiny;
pub mod self_assessment;
