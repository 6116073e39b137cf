//! Governance records (domain C9): the delivery plan and scrutiny reviews. Rules are
//! `caremarket_core::governance`'s; this module loads and saves them, each change with its audit
//! row in one transaction.

pub mod delivery_plan;
pub mod scrutiny;
