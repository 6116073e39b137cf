#![no_main]
//! Fuzz target `scrutiny`: any bytes must give a parse result or an error, never a panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((kind, rest)) = data.split_first() else { return };
    let name = if kind % 2 == 0 { "recommendations.csv" } else { "recommendations.xlsx" };
    let _ = caremarket_ingest::governance::scrutiny::read_scrutiny(name, rest);
});
