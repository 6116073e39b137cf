#![no_main]
//! Fuzz target `delivery_plan`: any bytes must give a parse result or an error, never a panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the file's kind, as its name would.
    let Some((kind, rest)) = data.split_first() else { return };
    let name = if kind % 2 == 0 { "plan.csv" } else { "plan.xlsx" };
    let _ = caremarket_ingest::governance::read_delivery_plan(name, rest);
});
