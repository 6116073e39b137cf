//! Shared helpers for the ingest tests: fixtures live in `fixtures/cqc/` at the workspace root.
#![allow(dead_code)]

use caremarket_core::Date;
use caremarket_core::register::CqcLocation;
use caremarket_ingest::{IngestError, ParseOutcome, parse_cqc_bytes, parse_cqc_file};
use std::path::PathBuf;

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/cqc").join(name)
}

pub fn try_parse(name: &str) -> Result<ParseOutcome, IngestError> {
    parse_cqc_file(&fixture(name), &mut |_, _| {})
}

pub fn parse(name: &str) -> ParseOutcome {
    match try_parse(name) {
        Ok(outcome) => outcome,
        Err(e) => panic!("{name}: {e}"),
    }
}

pub fn parse_bytes(name: &str) -> Result<ParseOutcome, IngestError> {
    let bytes = std::fs::read(fixture(name)).map_err(|e| IngestError::Io { path: name.to_string(), source: e })?;
    parse_cqc_bytes(name, &bytes, &mut |_, _| {})
}

pub fn find<'a>(outcome: &'a ParseOutcome, id: &str) -> &'a CqcLocation {
    match outcome.records.iter().find(|r| r.location_id == id) {
        Some(r) => r,
        None => panic!("no location {id} in {:?}", outcome.format),
    }
}

pub fn date(y: i16, m: i8, d: i8) -> Option<Date> {
    Date::new(y, m, d).ok()
}
