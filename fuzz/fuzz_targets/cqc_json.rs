#![no_main]
//! Fuzz target `cqc_json`: any bytes must give a parse result or an error, never a panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = caremarket_ingest::parse_cqc_bytes("locations.json", data, &mut |_, _| {});
});
