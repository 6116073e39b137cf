#![no_main]
//! Fuzz target `supported_living_csv`: supported living returns, as the council uploads them
//! (`/fees/supported-living/upload`, a `provider_id` column) and as a provider does
//! (`/portal/supported-living/upload`, the account's provider), both read by
//! `uploads::supported_living::parse`. Any bytes must give rows or row-numbered problems, never a
//! panic. The rows read are then planned into returns as the store's import does
//! (`supported_living::plan_csv`), reaching the period, case reference and hours checks.
use caremarket_core::fees::supported_living::plan_csv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let today = caremarket_core::Date::constant(2025, 6, 1);
    for own in [None, Some("provider-1")] {
        if let Ok(rows) = caremarket_ingest::uploads::supported_living::parse(data, own) {
            let _ = plan_csv(&rows, today);
        }
    }
});
