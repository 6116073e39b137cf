//! The synthetic 45-column export parses back to every row, deterministically.

use caremarket_ingest::synthetic::{LOCATIONS_EXPORT_HEADER, generate_locations_export_csv, write_locations_export_csv};
use caremarket_ingest::{CqcFormat, parse_cqc_bytes};
use std::collections::HashSet;

#[test]
fn parses_back_to_n_records() {
    let n = 5_000;
    let text = generate_locations_export_csv(n, 42);
    let out = parse_cqc_bytes("synthetic.csv", text.as_bytes(), &mut |_, _| {});
    let Ok(out) = out else { panic!("{out:?}") };
    assert_eq!(out.format, CqcFormat::LocationsExport45);
    assert_eq!(out.records.len(), n, "{:?}", out.rejection_messages().first());
    assert!(out.rejections.is_empty());
    let ids: HashSet<&str> = out.records.iter().map(|r| r.location_id.as_str()).collect();
    assert_eq!(ids.len(), n);
    let care_homes = out.records.iter().filter(|r| r.care_home == Some(true)).count();
    assert!((n * 40 / 100..n * 56 / 100).contains(&care_homes), "about half are care homes: {care_homes}");
    let rated = out.records.iter().filter(|r| r.rating.is_some()).count();
    assert!((n * 65 / 100..n * 85 / 100).contains(&rated), "about three quarters rated: {rated}");
    assert!(out.records.iter().all(|r| r.name == caremarket_core::text::tidy(&r.name)));
}

#[test]
fn same_seed_same_bytes_and_the_real_header() {
    let a = generate_locations_export_csv(300, 7);
    assert_eq!(a, generate_locations_export_csv(300, 7));
    assert_ne!(a, generate_locations_export_csv(300, 8));
    let mut written = Vec::new();
    assert!(write_locations_export_csv(&mut written, 300, 7).is_ok());
    assert_eq!(written, a.as_bytes());
    let real =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/cqc/locations-export-45.csv")).unwrap_or_default();
    assert_eq!(a.lines().next(), real.lines().next(), "the header is the real export's");
    assert_eq!(LOCATIONS_EXPORT_HEADER.len(), 45);
    assert_eq!(generate_locations_export_csv(0, 1).lines().count(), 1);
}
