#![no_main]
//! Fuzz target `ecm`: any bytes must give a parse result or an error, never a panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Planned and call monitoring files, split at the first NUL byte (which neither holds).
    let at = data.iter().position(|b| *b == 0).unwrap_or(data.len());
    let (planned, actual) = (&data[..at], data.get(at + 1..).unwrap_or(&[]));
    let options = caremarket_core::ecm::Options::default();
    let _ = caremarket_ingest::ecm::reconcile_bytes(planned, "planned.csv", actual, "actual.csv", &options);
});
