//! Bad rows are rejected with their row number and a reason while good rows survive; files that
//! cannot be read at all are errors that name the problem.

use crate::common;

use caremarket_ingest::{CqcFormat, IngestError, parse_cqc_bytes, parse_cqc_file};
use common::{find, fixture, parse, try_parse};

#[test]
fn bad_rows_are_rejected_and_good_rows_survive() {
    let out = parse("bad-rows-export-45.csv");
    assert_eq!(out.format, CqcFormat::LocationsExport45);
    assert_eq!(out.rows_read, 11);
    let kept: Vec<&str> = out.records.iter().map(|r| r.location_id.as_str()).collect();
    assert_eq!(kept, vec!["1-21268168552", "1-22940471514", "1-11958380640", "1-323930881"]);

    let got: Vec<(u64, Option<&str>, &str)> = out.rejections.iter().map(|r| (r.row, r.location_id.as_deref(), r.reason.as_str())).collect();
    let expected: Vec<(u64, Option<&str>, &str)> = vec![
        (
            4,
            Some("1-1435221697"),
            "'Location Latest Overall Rating' must be one of Outstanding, Good, Requires improvement, Inadequate, Inspected but not rated, No published rating; found 'Gud'",
        ),
        (5, None, "'Location ID' is empty"),
        (6, Some("1-2310061252"), "'Publication Date' '31/02/2024' is not a date"),
        (7, Some("1-22940471514"), "'Location ID' 1-22940471514 is repeated: it is already on row 3 (that row is kept)"),
        (10, None, "'Location ID' '12345' is not a CQC location id (they look like 1-123456789, or an NHS site code such as RX3LD)"),
        (11, Some("1-14785791481"), "'Care homes beds' 'twelve' is not a whole number"),
        (
            12,
            Some("1-121963720"),
            "'Location safe rating' must be one of Outstanding, Good, Requires improvement, Inadequate, Inspected but not rated, No published rating; found 'Requires Improvment'",
        ),
    ];
    assert_eq!(got.len(), expected.len(), "{:#?}", out.rejection_messages());
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(g, e);
    }
    assert_eq!(out.rejection_messages()[1], "row 5: 'Location ID' is empty");
}

#[test]
fn a_bad_postcode_is_dropped_not_rejected() {
    let out = parse("bad-rows-directory-15.csv");
    assert_eq!((out.rows_read, out.records.len()), (6, 4));
    let rows: Vec<(u64, &str)> = out.rejections.iter().map(|r| (r.row, r.reason.as_str())).collect();
    assert_eq!(
        rows,
        vec![(8, "'Date of latest check' '31/Feb/2024 - 00:00' is not a date"), (9, "'CQC Location ID (for office use only)' is empty"),]
    );
    let kept = find(&out, "1-21268168552");
    assert_eq!(kept.postcode, None, "'NOT KNOWN' is not a postcode");
    assert_eq!(kept.town.as_deref(), Some("Sherborne"));
}

#[test]
fn unknown_layout_names_the_columns_found_and_expected() {
    let Err(IngestError::UnknownLayout { layout, file }) = try_parse("unknown-layout.csv") else {
        panic!("expected an unknown layout");
    };
    assert_eq!(file, "unknown-layout.csv");
    assert_eq!(layout.found, vec!["Provider", "Service", "Week commencing", "Hours delivered"]);
    assert_eq!(layout.expected.len(), 5);
    assert!(layout.closest.is_none());
    let message = IngestError::UnknownLayout { file, layout }.to_string();
    assert!(message.contains("'Hours delivered'"), "{message}");
    assert!(message.contains("'CQC Location ID (for office use only)'"), "{message}");
    assert!(message.contains("'Location safe rating'"), "{message}");
}

#[test]
fn a_near_miss_says_which_columns_are_missing() {
    let text = "Location Name,Location ID,Location Latest Overall Rating,Service Types,Care homes beds\nA,1-123456789,Good,Domiciliary care service,0\n";
    let Err(IngestError::UnknownLayout { layout, .. }) = parse_cqc_bytes("locations.csv", text.as_bytes(), &mut |_, _| {}) else {
        panic!("expected an unknown layout");
    };
    let (label, missing) = layout.closest.unwrap_or_default();
    assert_eq!(label, CqcFormat::LocationsExport45.label());
    assert_eq!(missing, vec!["Location safe rating"]);
}

#[test]
fn files_that_cannot_be_read() {
    assert!(matches!(try_parse("not-utf8.csv"), Err(IngestError::NotUtf8 { line: 2, .. })));
    assert!(matches!(try_parse("corrupt.xlsx"), Err(IngestError::CorruptArchive { kind: "XLSX", .. })));
    assert!(matches!(try_parse("corrupt.ods"), Err(IngestError::CorruptArchive { kind: "ODS", .. })));
    assert!(matches!(try_parse("empty.csv"), Err(IngestError::Empty { .. })));
    let deactivated = try_parse("deactivated-locations.csv");
    assert!(
        matches!(&deactivated, Err(IngestError::WrongFile { reason, .. }) if reason.contains("Deactivated_Locations")),
        "{deactivated:?}"
    );
    let list = try_parse("api-list-page.json");
    assert!(matches!(&list, Err(IngestError::WrongFile { reason, .. }) if reason.contains("list page")), "{list:?}");

    let none = &mut |_: u64, _: Option<u64>| {};
    assert!(matches!(parse_cqc_bytes("register.pdf", b"%PDF", none), Err(IngestError::UnsupportedFile { .. })));
    assert!(matches!(parse_cqc_bytes("register.csv", b"", none), Err(IngestError::Empty { .. })));
    assert!(matches!(parse_cqc_bytes("register.json", b"{ not json", none), Err(IngestError::Json { .. })));
    assert!(matches!(parse_cqc_bytes("register.xlsx", b"Name,Town\n", none), Err(IngestError::WrongFile { .. })));
    let xlsx = std::fs::read(fixture("locations-export-45.xlsx")).unwrap_or_default();
    assert!(matches!(parse_cqc_bytes("register.csv", &xlsx, none), Err(IngestError::WrongFile { .. })));
    // Blank lines only: no header row anywhere.
    assert!(matches!(parse_cqc_bytes("register.csv", b"\n\n,,\n", none), Err(IngestError::Empty { .. })));
    assert!(matches!(parse_cqc_file(&fixture("no-such-file.csv"), none), Err(IngestError::Io { .. })));
}

#[test]
fn a_header_without_rows_is_an_empty_list_not_an_error() {
    let text = "\"Location Name\",\"Location ID\",\"Location Latest Overall Rating\",\"Location safe rating\",\"Service Types\"\n";
    let out = parse_cqc_bytes("x.csv", text.as_bytes(), &mut |_, _| {});
    assert!(matches!(&out, Ok(o) if o.records.is_empty() && o.rows_read == 0), "{out:?}");
}

/// The fixture `name` as a zip, with `edit` applied to each entry's bytes (by entry name).
fn rewritten(name: &str, edit: impl Fn(&str, Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    use std::io::{Cursor, Read, Write};
    let original = std::fs::read(fixture(name)).expect("fixture");
    let mut archive = zip::ZipArchive::new(Cursor::new(original)).expect("the fixture is a zip");
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("entry");
        let name = entry.name().to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).expect("entry bytes");
        let bytes = edit(&name, bytes);
        writer.start_file(name, zip::write::SimpleFileOptions::default()).expect("start");
        writer.write_all(&bytes).expect("write");
    }
    writer.finish().expect("finish").into_inner()
}

fn spreadsheet_error(bytes: &[u8]) -> String {
    match parse_cqc_bytes("directory.xlsx", bytes, &mut |_, _| {}) {
        Err(IngestError::Spreadsheet { kind: "XLSX", detail, .. }) => detail,
        other => panic!("expected a spreadsheet error, got {other:?}"),
    }
}

/// A workbook whose cells name shared strings it does not hold (a truncated or hand-edited
/// `sharedStrings.xml`) is a broken spreadsheet, reported as such. calamine 0.31 indexed the table
/// unchecked and panicked here, which the fuzzer found (vendor/calamine/PATCHED.md).
#[test]
fn shared_string_past_the_table_is_an_error() {
    let broken = rewritten("hsca-active-locations.xlsx", |name, bytes| {
        if name == "xl/sharedStrings.xml" {
            // One string left: every cell naming string 1 or later points past the table.
            br#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>Location ID</t></si></sst>"#.to_vec()
        } else {
            bytes
        }
    });
    let detail = spreadsheet_error(&broken);
    assert!(detail.contains("shared string the workbook does not have"), "{detail}");
}

/// A row or cell reference too long for a spreadsheet ("10penxmlforDK9", the fuzzer's) is a
/// broken spreadsheet. calamine 0.31 added up its letters in unchecked u32 arithmetic, which
/// panics with overflow checks on (test and debug builds) and gives a wrong position without.
#[test]
fn an_overlong_cell_reference_is_an_error() {
    let broken = rewritten("hsca-active-locations.xlsx", |name, bytes| {
        if name == "xl/worksheets/sheet2.xml" {
            let text = String::from_utf8(bytes).expect("xml");
            assert!(text.contains("<row r=\"10\">"), "the fixture's row 10 moved");
            text.replacen("<row r=\"10\">", "<row r=\"10penxmlforDK9\">", 1).into_bytes()
        } else {
            bytes
        }
    });
    let detail = spreadsheet_error(&broken);
    assert!(detail.contains("a cell reference is too large"), "{detail}");
}

/// A date cell holding a serial far past Excel's last day (9999-12-31) is a bad date on its row,
/// not a crash: calamine's date conversion overflowed on it (found by the recorded fuzz run).
#[test]
fn a_date_past_excels_range_is_a_bad_date_not_a_crash() {
    let edited = rewritten("hsca-active-locations.xlsx", |name, bytes| {
        if name == "xl/worksheets/sheet2.xml" {
            let text = String::from_utf8(bytes).expect("xml");
            // B2 is a date cell (style 1, number format 14) of the first location.
            assert!(text.contains("<c r=\"B2\" s=\"1\"><v>45659</v>"), "the fixture's B2 moved");
            text.replacen("<c r=\"B2\" s=\"1\"><v>45659</v>", "<c r=\"B2\" s=\"1\"><v>1e300</v>", 1).into_bytes()
        } else {
            bytes
        }
    });
    let out = parse_cqc_bytes("directory.xlsx", &edited, &mut |_, _| {}).expect("the file is read");
    let original =
        parse_cqc_bytes("directory.xlsx", &std::fs::read(fixture("hsca-active-locations.xlsx")).expect("fixture"), &mut |_, _| {})
            .expect("the fixture is read");
    assert_eq!(out.rows_read, original.rows_read);
    // The first location's row is refused, naming the column; every other row is kept.
    let messages = out.rejection_messages();
    assert!(messages.iter().any(|m| m.starts_with("row 2: 'Location HSCA start date'")), "{messages:?}");
    assert_eq!(out.records.len(), original.records.len() - 1);
}
