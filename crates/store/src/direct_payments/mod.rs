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
mod pa_register;
mod payments;
mod rates;
mod reference;
mod rpl;
mod spend;

pub use caremarket_core::direct_payments::monitoring::{DueRow, NewMonitoring};
pub use caremarket_core::direct_payments::pa_register::NewPaEntry;
pub use caremarket_core::direct_payments::rpl::QA_RESULTS;
pub use caremarket_core::direct_payments::spend::SpendRow;
pub use exit_plans::{ExitPlan, ExitPlanItem, NewExitPlan};
pub use isfs::Isf;
pub use monitoring::MonitoringRecord;
pub use pa_register::{Introduction, PaCounts, PaEntry};
pub use payments::{DirectPayment, DpFilter, NewDirectPayment};
pub use rates::ProviderFee;
pub use rpl::{QaRecord, RplCompany};
pub use spend::{SpendImport, SpendLine};

use crate::{Result, StoreError};
use caremarket_core::Date;
use sqlx::any::AnyArguments;
use sqlx::{Any, Execute, QueryBuilder};

/// A stored ISO date, or `Corrupt` naming where it was.
pub(crate) fn date(table: &'static str, column: &'static str, s: &str) -> Result<Date> {
    StoreError::decode(table, column, s)
}

/// A stored optional ISO date.
pub(crate) fn date_opt(table: &'static str, column: &'static str, s: Option<&str>) -> Result<Option<Date>> {
    s.map(|s| date(table, column, s)).transpose()
}

/// `QueryBuilder<Any>` writes `?` placeholders, which SQLite reads but PostgreSQL does not: the
/// built SQL with them numbered `$1, $2, ...` (never inside a quoted literal), and its
/// arguments, for `sqlx::query_with` and friends.
pub(crate) fn numbered(qb: &mut QueryBuilder<Any>) -> Result<(String, AnyArguments)> {
    let mut q = qb.build();
    let args = q.take_arguments().map_err(sqlx::Error::Encode)?.unwrap_or_default();
    let sql = q.sql();
    let mut out = String::with_capacity(sql.as_str().len() + 8);
    let (mut n, mut quoted) = (0, false);
    for c in sql.as_str().chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            _ => out.push(c),
        }
    }
    Ok((out, args))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_outside_literals() {
        let mut qb = QueryBuilder::<Any>::new("SELECT 1 WHERE a = ");
        qb.push_bind("x").push(" AND b LIKE ");
        qb.push_bind("%y%").push(" ESCAPE '\\' AND c = '?'");
        let (sql, _) = numbered(&mut qb).expect("built");
        assert_eq!(sql, "SELECT 1 WHERE a = $1 AND b LIKE $2 ESCAPE '\\' AND c = '?'");
    }
}
