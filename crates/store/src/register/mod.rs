//! C1. The register: providers, services, their CQC ratings, frameworks and areas, the service
//! list's filter and the dashboard's figures, one module each. Rules (what a rating change is,
//! which rating is current, what the figures count) are core's; this loads and saves.

mod areas;
mod as_at;
mod closures;
mod cqc_changes;
mod figures;
mod filter;
mod providers;
mod ratings;
mod services;

pub use areas::{Area, Framework, Lot};
pub use as_at::{AsAtSelection, AsAtService};
pub use closures::RecordedClosure;
pub(crate) use cqc_changes::insert_cqc_changes_tx;
pub use cqc_changes::{CqcChange, CqcChangeFilter};
pub(crate) use figures::set_national_benchmark_tx;
pub use figures::{KindRow, MarketFigures, NationalBenchmark, RatingChange};
pub use filter::ServiceFilter;
pub(crate) use filter::{order_by, where_clause};
pub use providers::{NewProvider, Provider, ProviderChoice};
pub(crate) use providers::{PROVIDER_INSERT_COLUMNS, provider_row};
pub(crate) use ratings::{
    HISTORY_COLUMNS, RecordedChange, add_rating_tx, history_row, insert_history_tx, is_inspection_report, offer_current_rating_tx,
    refresh_previous_grades_tx, replay_ratings,
};
pub use ratings::{RatingHistoryEntry, RatingRecord};
pub use services::{CouncilFields, CurrentRatings, NewService, Service};
pub(crate) use services::{SERVICE_COLUMNS, SERVICE_FROM, SPECIALISM_COLUMNS, check_new_service, service_row, specialism_rows};

use crate::{Result, StoreError};
use caremarket_core::Date;
use caremarket_core::register::Rating;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl<T> Page<T> {
    pub fn pages(&self) -> i64 {
        if self.per_page <= 0 { 1 } else { ((self.total + self.per_page - 1) / self.per_page).max(1) }
    }
}

/// A stored value this release cannot read.
pub(crate) fn corrupt(table: &'static str, column: &'static str, value: &str) -> StoreError {
    StoreError::Corrupt { table, column, value: value.to_string() }
}

/// A stored rating column, read loudly: an unknown value is corrupt data, not "no rating".
pub(crate) fn decode_rating(table: &'static str, column: &'static str, v: Option<&str>) -> Result<Option<Rating>> {
    v.map(|s| Rating::parse(s).ok_or_else(|| corrupt(table, column, s))).transpose()
}

/// A stored date column, read loudly.
pub(crate) fn decode_date(table: &'static str, column: &'static str, v: Option<&str>) -> Result<Option<Date>> {
    v.map(|s| StoreError::decode::<Date>(table, column, s)).transpose()
}

pub(crate) fn rating_str(r: Option<Rating>) -> Option<String> {
    r.map(|r| r.as_str().to_string())
}

pub(crate) fn date_str(d: Option<Date>) -> Option<String> {
    d.map(|d| d.to_string())
}
