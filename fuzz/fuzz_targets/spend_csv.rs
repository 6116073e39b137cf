#![no_main]
//! Fuzz target `spend_csv`: any bytes must give a parse result or an error, never a panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = caremarket_ingest::uploads::direct_payments::read_spend_csv(data);
});
