#![no_main]
//! Fuzz target `workforce_csv`: workforce returns (`/workforce/upload` and
//! `/portal/workforce/upload`, read by `uploads::workforce::parse_csv`). Any bytes must give rows
//! or row-numbered problems, never a panic. Each row read is then checked as the store's import
//! checks it (`workforce::check_return`), reaching the checks of every figure.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(rows) = caremarket_ingest::uploads::workforce::parse_csv(data) else { return };
    let today = caremarket_core::Date::constant(2025, 6, 1);
    for (_, _, draft) in &rows {
        let _ = caremarket_core::workforce::check_return(draft, today);
    }
});
