//! Persistence for caremarket on SQLite (embedded default) or PostgreSQL, chosen at run time from
//! the database URL. Both run the same SQL text through sqlx's `Any` driver; each has its own
//! migrations folder. Every change is written with its audit record in the same transaction.

pub mod approvals;
mod audit;
pub mod bulk;
pub mod capacity;
pub mod contract_frameworks;
mod db;
pub mod direct_payments;
pub mod ecm;
mod error;
pub mod evidence;
pub mod exit_plans;
pub mod fees;
pub mod governance;
pub mod import;
pub mod kept;
pub mod outcomes;
pub mod placements;
pub mod postcodes;
pub mod quality;
mod query;
pub mod register;
pub mod reports;
pub mod restrictions;
pub mod sessions;
pub mod single_sign_on;
pub mod users;
pub mod versions;
pub mod workforce;

pub use audit::{Actor, AuditEntry, AuditQuery};
pub use db::{Backend, SettingSave, Store, now_timestamp, today};
pub use error::StoreError;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
