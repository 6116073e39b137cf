//! Truncated and malformed files (issue 14 item 5) and the fields each layout carries (item 4),
//! on real CQC rows from `fixtures/cqc/`. Expected rows and counts are worked out here from the
//! fixture text itself.

use crate::common;

use caremarket_core::register::import_plan::CqcField;
use caremarket_ingest::{CqcFormat, IngestError, parse_cqc_bytes};
use common::{fixture, parse};

fn text(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).expect("fixture")
}

/// The fixture's records as the csv crate reads them (header first).
fn records(name: &str) -> Vec<csv::StringRecord> {
    csv::ReaderBuilder::new().has_headers(false).from_path(fixture(name)).expect("csv").records().map(|r| r.expect("record")).collect()
}

fn write_csv(rows: &[csv::StringRecord]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    for r in rows {
        w.write_record(r).expect("write");
    }
    w.into_inner().expect("bytes")
}

#[test]
fn a_file_cut_off_mid_row_is_refused_whole() {
    for name in ["directory-18.csv", "locations-export-45.csv"] {
        let full = text(name);
        let lines: Vec<&str> = full.lines().collect();
        // Cut the last line in half: a download that stopped part-way.
        let last = lines.last().expect("rows");
        let cut_at = full.len() - 1 - last.len() / 2;
        let cut = &full.as_bytes()[..cut_at];
        // The fixtures have no line breaks inside fields, so the cut row is the line count.
        let expected_row = lines.len() as u64;
        match parse_cqc_bytes(name, cut, &mut |_, _| {}) {
            Err(IngestError::Truncated { file, row }) => {
                assert_eq!(file, name);
                assert_eq!(row, expected_row, "{name}");
            }
            other => panic!("{name}: a cut-off file was not refused: {:?}", other.map(|o| o.records.len())),
        }
        let message = IngestError::Truncated { file: name.into(), row: expected_row }.to_string();
        assert!(message.contains(&format!("row {expected_row}")) && message.contains("Nothing was imported"), "{message}");
        // The whole file, and the file cut exactly at a line break, are read.
        assert!(parse_cqc_bytes(name, full.as_bytes(), &mut |_, _| {}).is_ok());
    }
}

#[test]
fn a_row_with_the_wrong_number_of_fields_is_rejected_by_number() {
    let mut rows = records("locations-export-45.csv");
    let header_width = rows[0].len();
    // Row 4 (header = row 1) loses its third field; row 7 gains one.
    let short: csv::StringRecord = rows[3].iter().enumerate().filter(|(i, _)| *i != 2).map(|(_, f)| f).collect();
    let short_id = rows[3].get(1).expect("id").to_string();
    rows[3] = short;
    let mut long = rows[6].clone();
    long.push_field("extra");
    rows[6] = long;
    let data_rows = rows.len() - 1;
    let out = parse_cqc_bytes("locations.csv", &write_csv(&rows), &mut |_, _| {}).expect("parsed");
    let rejected: Vec<u64> = out.rejections.iter().map(|r| r.row).collect();
    assert_eq!(rejected, vec![4, 7], "{:?}", out.rejection_messages());
    assert_eq!(out.records.len(), data_rows - 2);
    assert_eq!(out.rejections[0].location_id.as_deref(), Some(short_id.as_str()));
    assert!(
        out.rejections[0].reason.contains(&format!("{} fields where the header has {header_width}", header_width - 1)),
        "{}",
        out.rejections[0].reason
    );
    assert!(out.rejections[1].reason.contains(&format!("{} fields", header_width + 1)));
}

#[test]
fn over_long_values_are_rejected_row_by_row_naming_the_field() {
    let mut rows = records("directory-18.csv");
    let name_col = rows[0].iter().position(|h| h == "Name").expect("Name column");
    let huge = "x".repeat(1 << 20);
    let mut r: Vec<String> = rows[2].iter().map(str::to_string).collect();
    r[name_col] = huge.clone();
    rows[2] = r.into_iter().collect();
    let clean = parse("directory-18.csv");
    let out = parse_cqc_bytes("directory.csv", &write_csv(&rows), &mut |_, _| {}).expect("parsed");
    let long: Vec<_> = out.rejections.iter().filter(|r| r.row == 3).collect();
    assert_eq!(long.len(), 1, "{:?}", out.rejection_messages());
    assert!(long[0].reason.contains(&format!("'Name' is {} characters long; at most 300", huge.len())), "{}", long[0].reason);
    assert_eq!(out.records.len(), clean.records.len() - 1, "only that row is lost");
    assert!(out.records.iter().all(|l| l.name.len() <= CqcField::Name.max_chars()));
}

#[test]
fn each_layout_says_which_fields_it_carries() {
    let export = parse("locations-export-45.csv");
    assert_eq!(export.format, CqcFormat::LocationsExport45);
    for f in [CqcField::Beds, CqcField::Rating, CqcField::ServiceTypes, CqcField::Phone] {
        assert!(export.carried.contains(f), "45 columns carry {f:?}");
    }
    for f in [CqcField::Address, CqcField::Postcode] {
        assert!(!export.carried.contains(f), "the 45-column export has no {f:?}");
    }
    let dir = parse("directory-18.csv");
    for f in [CqcField::Address, CqcField::Postcode, CqcField::LastInspection] {
        assert!(dir.carried.contains(f));
    }
    for f in [CqcField::Beds, CqcField::Rating, CqcField::RegistrationDate] {
        assert!(!dir.carried.contains(f), "the 18-column directory has no {f:?}");
    }
    assert!(CqcFormat::LocationsExport45.social_care_only());
    assert!(!CqcFormat::Directory18.social_care_only());
}

#[test]
fn an_api_document_with_an_over_long_value_is_rejected_by_number() {
    let dir = fixture("api");
    let mut paths: Vec<_> = std::fs::read_dir(&dir).expect("api").map(|e| e.expect("entry").path()).collect();
    paths.sort();
    let mut docs: Vec<serde_json::Value> =
        paths.iter().take(3).map(|p| serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("json")).collect();
    docs[1]["name"] = serde_json::Value::String("n".repeat(1 << 20));
    let bytes = serde_json::to_vec(&docs).expect("json");
    let out = parse_cqc_bytes("locations.json", &bytes, &mut |_, _| {}).expect("parsed");
    // The other two are read: kept if social care, skipped (with why) if not.
    let social_care = [&docs[0], &docs[2]].iter().filter(|d| d["type"] == "Social Care Org").count();
    assert_eq!(out.records.len(), social_care, "{:?}", out.rejection_messages());
    assert_eq!(out.skipped.len(), 2 - social_care);
    assert_eq!(out.rejections.len(), 1);
    assert_eq!(out.rejections[0].row, 2, "the second document");
    assert!(out.rejections[0].reason.contains(&format!("the name is {} characters long", 1 << 20)), "{}", out.rejections[0].reason);
}
