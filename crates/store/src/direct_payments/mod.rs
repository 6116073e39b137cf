//! C5/C6 persistence: direct payments, spend, monitoring and reclaims, money management
//! companies on the Recognised Provider List with exit plans, Individual Service Funds, the PA
//! register, PA rate cards and gathered provider fees (issue 5). The rules are in
//! `caremarket_core::direct_payments`: each write here loads the facts a rule needs, asks core,
//! and saves the outcome with its audit row in one transaction.
//!
//! People are held by case reference only. Audit summaries never name a person or repeat a
//! reference; the before/after JSON carries ids and values.
//!
//! One file per part: `reference` (the council's lists and settings), `payments`, `spend`,
//! `figures`, `monitoring` (with reclaims), `rpl` (money management companies), `exit_plans`,
//! `isfs`, `pa_register`, `rates`. Each entity is read by one row type (`*Row`, decoded with
//! core's parsers: a stored value this release does not know is `StoreError::Corrupt`).

mod exit_plans;
mod figures;
mod isfs;
mod monitoring;
mod pa_checks;
mod pa_register;
mod payments;
mod rates;
mod reference;
pub use reference::RECLAIM_SETTINGS;
mod rpl;
mod spend;

pub use caremarket_core::direct_payments::monitoring::{DueRow, NewMonitoring};
pub use caremarket_core::direct_payments::pa_register::NewPaEntry;
pub use caremarket_core::direct_payments::rpl::QA_RESULTS;
pub use caremarket_core::direct_payments::spend::SpendRow;
pub use exit_plans::{ExitPlan, ExitPlanItem, NewExitPlan};
pub use isfs::Isf;
pub use monitoring::MonitoringRecord;
pub use pa_checks::ExpiringChecks;
pub use pa_register::{Confirmation, EmailLink, Introduction, LinkState, PaCounts, PaEntry, PublicRegistration};
pub(crate) use payments::{DP_COLUMNS, MM_ON_RPL, dp_row, not_an_mm_company};
pub use payments::{DirectPayment, DpFilter, NewDirectPayment};
pub use rates::ProviderFee;
pub use rpl::{QaRecord, RplCompany};
pub use spend::{SpendImport, SpendLine};

use crate::{Result, StoreError};
use caremarket_core::Date;

/// A stored ISO date, or `Corrupt` naming where it was.
pub(crate) fn date(table: &'static str, column: &'static str, s: &str) -> Result<Date> {
    StoreError::decode(table, column, s)
}

/// A stored optional ISO date.
pub(crate) fn date_opt(table: &'static str, column: &'static str, s: Option<&str>) -> Result<Option<Date>> {
    s.map(|s| date(table, column, s)).transpose()
}
