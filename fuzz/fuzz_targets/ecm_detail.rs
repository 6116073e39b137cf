#![no_main]
//! Fuzz target `ecm_detail`: the ECM import's reader (`/ecm/import` and `caremarket import ecm`,
//! `ecm::read_detail`), which checks more than the reconciliation's reader (`ecm`): the person
//! reference, the optional `care_worker_ref` and `extra_care` columns, and where each provider
//! first appears. Any bytes must give the detail or an error naming the file and row, never a
//! panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Planned and call monitoring files, split at the first NUL byte (which neither holds).
    let at = data.iter().position(|b| *b == 0).unwrap_or(data.len());
    let (planned, actual) = (&data[..at], data.get(at + 1..).unwrap_or(&[]));
    let _ = caremarket_ingest::ecm::read_detail(planned, "planned.csv", actual, "actual.csv", &|_| {});
});
