//! The same table saved as CSV, XLSX and ODS gives identical records and rejections.

use crate::common;

use caremarket_ingest::ParseOutcome;
use common::{parse, parse_bytes};

fn assert_same(a: &ParseOutcome, b: &ParseOutcome, what: &str) {
    assert_eq!(a.format, b.format, "{what}");
    assert_eq!(a.rows_read, b.rows_read, "{what}");
    for (x, y) in a.records.iter().zip(&b.records) {
        assert_eq!(x, y, "{what}: {}", x.location_id);
    }
    assert_eq!(a.records.len(), b.records.len(), "{what}");
    assert_eq!(a.rejections, b.rejections, "{what}");
}

#[test]
fn locations_export_as_csv_xlsx_and_ods() {
    let csv = parse("locations-export-45.csv");
    let xlsx = parse("locations-export-45.xlsx");
    let ods = parse("locations-export-45.ods");
    assert_eq!(csv.records.len(), 30);
    assert_same(&csv, &xlsx, "XLSX (dates as date cells, phone numbers as numbers)");
    assert_same(&csv, &ods, "ODS (office:date-value, office:value)");
}

#[test]
fn directory_15_as_csv_xlsx_and_ods() {
    let csv = parse("directory-15.csv");
    let xlsx = parse("directory-15.xlsx");
    let ods = parse("directory-15.ods");
    assert_eq!(csv.records.len(), 27);
    assert_same(&csv, &xlsx, "XLSX with preamble rows and line breaks in cells");
    assert_same(&csv, &ods, "ODS with preamble rows and several text:p per cell");
}

#[test]
fn hsca_as_ods_and_xlsx() {
    assert_same(&parse("hsca-active-locations.ods"), &parse("hsca-active-locations.xlsx"), "HSCA XLSX");
}

#[test]
fn latest_ratings_as_ods_and_csv() {
    assert_same(&parse("latest-ratings.csv"), &parse("latest-ratings.ods"), "Latest_ratings ODS");
}

#[test]
fn bytes_and_files_agree() -> Result<(), caremarket_ingest::IngestError> {
    for name in ["locations-export-45.csv", "locations-export-45.xlsx", "locations-export-45.ods", "api-array.json"] {
        assert_same(&parse(name), &parse_bytes(name)?, name);
    }
    Ok(())
}
