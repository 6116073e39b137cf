//! Quality assurance demo data (issue 3): frameworks in use, visits and action plans, RAG and
//! escalation with restrictions, signals and monthly returns, CQC report themes and an exit plan.
//! Each part writes through the store's ordinary API, seeded, so the same seed gives the same
//! records.

pub(crate) mod fact_check;
mod signals;
mod status;
mod themes;
mod visits;

use caremarket_core::Date;
use caremarket_store::{Store, StoreError};

/// Before accounts are created (see `generate`).
pub async fn generate_quality(store: &Store, seed: u64, scale: u32, today: Date) -> Result<(), StoreError> {
    visits::generate(store, seed, scale, today).await?;
    status::generate(store, seed, scale, today).await?;
    signals::generate(store, seed, scale, today).await?;
    themes::generate(store, seed, scale, today).await?;
    Ok(())
}

/// After accounts exist: officer assignments refer to user accounts.
pub async fn assign_officers(store: &Store, seed: u64, today: Date) -> Result<(), StoreError> {
    status::assign_officers(store, seed, today).await
}
