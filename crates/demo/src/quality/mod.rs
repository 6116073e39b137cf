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

/// Before accounts are created (see `generate`). `lap` is called after each part with its
/// name, for the generation's timings.
pub async fn generate_quality(
    store: &Store,
    seed: u64,
    scale: u32,
    today: Date,
    lap: &mut (dyn FnMut(&'static str) + Send),
) -> Result<(), StoreError> {
    visits::generate(store, seed, scale, today, lap).await?;
    status::generate(store, seed, scale, today).await?;
    lap("quality: RAG, escalation and restrictions");
    signals::generate(store, seed, scale, today).await?;
    lap("quality: signals and monthly returns");
    themes::generate(store, seed, scale, today).await?;
    lap("quality: CQC report themes and exit plan");
    Ok(())
}

/// After accounts exist: officer assignments refer to user accounts.
pub async fn assign_officers(store: &Store, seed: u64, today: Date) -> Result<(), StoreError> {
    status::assign_officers(store, seed, today).await
}
