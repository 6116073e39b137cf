//! Reading a CQC file location by location (`parse_cqc_file_each`, issue 18 item 1): every
//! layout hands on the locations `parse_cqc_file` gives, in the same order, with the rest of the
//! outcome the same; the directory and export layouts hand them on as rows are read, so a file
//! that fails at its end has handed some on first (which is why a caller waits for `Ok`).

use crate::common::{fixture, parse};

use caremarket_core::register::CqcLocation;
use caremarket_core::register::import_plan::Listed;
use caremarket_ingest::{
    IngestError, ParseOutcome, list_cqc_file, list_cqc_open_file, parse_cqc_file_each, reread_cqc_file, reread_cqc_open_file,
};
use std::io::Write;

fn each(path: &std::path::Path) -> (Result<ParseOutcome, IngestError>, Vec<CqcLocation>) {
    let mut handed = Vec::new();
    let outcome = parse_cqc_file_each(path, &mut |loc| handed.push(loc), &mut |_, _| {});
    (outcome, handed)
}

#[test]
fn every_layout_hands_on_what_the_whole_file_gives() {
    for name in [
        "directory-15.csv",
        "directory-15.xlsx",
        "directory-15.ods",
        "directory-18.csv",
        "locations-export-45.csv",
        "locations-export-45.xlsx",
        "locations-export-45.ods",
        "hsca-active-locations.xlsx",
        "hsca-active-locations-split.ods",
        "latest-ratings.csv",
        "bad-rows-export-45.csv",
        "api",
        "api-array.json",
    ] {
        let whole = parse(name);
        assert!(!whole.records.is_empty(), "{name}: the fixture has locations");
        let (outcome, handed) = each(&fixture(name));
        let outcome = outcome.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(handed, whole.records, "{name}: the same locations in the same order");
        assert!(outcome.records.is_empty(), "{name}: none held");
        assert_eq!(ParseOutcome { records: whole.records.clone(), ..outcome }, whole, "{name}: the rest of the outcome");

        // The first reading keeps what the file lists: its ids and local authorities.
        let (first, listed) = list_cqc_file(&fixture(name), &mut |_, _| {}).expect("listed");
        assert!(first.records.is_empty(), "{name}");
        assert_eq!(listed.locations, whole.records.len() as u64, "{name}");
        let ids: std::collections::BTreeSet<String> = whole.records.iter().map(|r| r.location_id.clone()).collect();
        assert_eq!(listed.ids.len(), ids.len(), "{name}: each id held once");
        assert!(ids.iter().all(|id| listed.ids.contains(id)), "{name}: every id the file lists");
        let las: std::collections::BTreeSet<String> = whole.records.iter().filter_map(|r| r.local_authority.clone()).collect();
        assert_eq!(listed.local_authorities, las, "{name}");
        assert_eq!(Listed { digests: None, ..listed.clone() }, Listed::of(&whole.records), "{name}");
        // With each location's content digest (its first 16 bytes), in the file's order, and
        // each registered location as the national figures count it.
        let digests = listed.digests.as_ref().unwrap_or_else(|| panic!("{name}: a listing makes digests"));
        let expected: Vec<String> = whole.records.iter().map(|r| r.content_hash()[..32].to_string()).collect();
        let made: Vec<String> = digests.each.iter().map(|d| d.iter().map(|b| format!("{b:02x}")).collect()).collect();
        assert_eq!(made, expected, "{name}: each location's digest");
        let registered: Vec<(String, Option<caremarket_core::register::Rating>)> = whole
            .records
            .iter()
            .filter(|r| r.registration_status == caremarket_core::register::RegistrationStatus::Registered)
            .map(|r| (r.kind().as_str().to_string(), r.rating.as_ref().and_then(|x| x.overall)))
            .collect();
        let counted: Vec<(String, Option<caremarket_core::register::Rating>)> =
            digests.registered.iter().map(|c| (c.kind.as_str().to_string(), c.overall)).collect();
        assert_eq!(counted, registered, "{name}: the registered locations counted");

        // The second reading, remembering only the ids the first rejected a row of, hands on the
        // same locations and gives the same outcome.
        let mut again = Vec::new();
        let reread = reread_cqc_file(&fixture(name), &first.rejections, &mut |loc| again.push(loc), &mut |_, _| {}).expect("reread");
        assert_eq!(again, whole.records, "{name}: read again");
        assert_eq!(ParseOutcome { records: whole.records.clone(), ..reread }, whole, "{name}: the outcome read again");

        // A web upload's two readings of one open file (its temporary file), the first begun
        // from wherever writing it left the position: the same list, locations and outcome.
        if fixture(name).is_file() {
            use std::io::{Seek, SeekFrom};
            let mut file = std::fs::File::open(fixture(name)).expect("open");
            file.seek(SeekFrom::End(0)).expect("seek");
            let (first_open, listed_open) =
                list_cqc_open_file(name, name, file.try_clone().expect("clone"), &mut |_, _| {}).expect("listed open");
            assert_eq!(listed_open, listed, "{name}: the open file lists what the path does");
            assert_eq!(first_open, first, "{name}: the open file's first reading");
            let mut again_open = Vec::new();
            let reread_open =
                reread_cqc_open_file(name, name, file, &first_open.rejections, &mut |loc| again_open.push(loc), &mut |_, _| {})
                    .expect("reread open");
            assert_eq!(again_open, whole.records, "{name}: the open file read again");
            assert_eq!(ParseOutcome { records: whole.records.clone(), ..reread_open }, whole, "{name}: its outcome read again");
        }
    }
}

/// A file that repeats locations: read again after its first reading, each repeat is rejected
/// where it repeats, with the first reading's message, and nothing else is.
#[test]
fn a_second_reading_rejects_the_repeats_the_first_found() {
    let csv = caremarket_ingest::synthetic::generate_locations_export_csv(900, 5);
    let lines: Vec<&str> = csv.lines().collect();
    // Line 0 is the header: row 11 of the file repeated at the end twice, row 702 once.
    let mut text = csv.clone();
    for line in [lines[10], lines[701], lines[10]] {
        text.push_str(line);
        text.push('\n');
    }
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("export.csv");
    std::fs::write(&path, &text).expect("write");

    let (first, listed) = list_cqc_file(&path, &mut |_, _| {}).expect("first reading");
    // Rows 902-904 (the header is row 1) repeat rows 11, 702 and 11.
    let rows: Vec<u64> = first.rejections.iter().map(|r| r.row).collect();
    assert_eq!(rows, vec![902, 903, 904]);
    assert_eq!(listed.locations, 900);

    let mut again = Vec::new();
    let reread = reread_cqc_file(&path, &first.rejections, &mut |loc| again.push(loc), &mut |_, _| {}).expect("reread");
    assert_eq!(again.len(), 900, "the repeats are not handed on");
    assert_eq!(reread.rejections, first.rejections, "the same rows, with the same messages");
    let ids: std::collections::BTreeSet<&str> = again.iter().map(|l| l.location_id.as_str()).collect();
    assert_eq!(ids.len(), 900, "each location once");
}

#[test]
fn an_export_hands_on_its_locations_as_it_is_read() {
    // 1,200 generated rows, then a row cut off part-way: the file is refused, after the rows
    // before it were handed on.
    let rows = 1_200;
    let csv = caremarket_ingest::synthetic::generate_locations_export_csv(rows, 3);
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("export.csv");
    let mut file = std::fs::File::create(&path).expect("create");
    file.write_all(csv.as_bytes()).expect("write");
    file.write_all(b"\"1-999999999\",\"Cut off").expect("write");
    drop(file);

    let (outcome, handed) = each(&path);
    match outcome {
        Err(IngestError::Truncated { row, .. }) => assert_eq!(row, rows as u64 + 2, "the header is row 1"),
        other => panic!("a cut-off file was not refused: {:?}", other.map(|o| o.rows_read)),
    }
    assert_eq!(handed.len(), rows, "every whole row was handed on before the cut one was reached");

    // The same rows without the cut one: handed on as the whole file gives them.
    std::fs::write(&path, csv.as_bytes()).expect("write");
    let (outcome, handed) = each(&path);
    assert_eq!(outcome.expect("read").rows_read, rows as u64);
    let whole = caremarket_ingest::parse_cqc_file(&path, &mut |_, _| {}).expect("whole");
    assert_eq!(handed, whole.records);
}
