//! The ODS streamer: repeated rows and columns, padding, typed cells, several sheets, and a
//! large sheet read without building it in memory.

use caremarket_ingest::sheet::{Cell, CollectRows, Flow, RowSink, read_ods};
use std::io::{Cursor, Write};

fn ods(body: &str) -> Vec<u8> {
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"><office:body><office:spreadsheet>{body}</office:spreadsheet></office:body></office:document-content>"#
    );
    let mut out = Cursor::new(Vec::new());
    let ok = {
        let mut zip = zip::ZipWriter::new(&mut out);
        let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("mimetype", stored).is_ok()
            && zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet").is_ok()
            && zip.start_file("content.xml", deflated).is_ok()
            && zip.write_all(content.as_bytes()).is_ok()
            && zip.finish().is_ok()
    };
    assert!(ok, "building the test ODS");
    out.into_inner()
}

fn read(body: &str) -> Vec<(String, u64, Vec<Cell>)> {
    let mut sink = CollectRows::default();
    let result = read_ods("test.ods", Cursor::new(ods(body)), &mut sink, &mut |_, _| {});
    assert!(result.is_ok(), "{result:?}");
    sink.rows
}

fn s(text: &str) -> Cell {
    Cell::text(text)
}

#[test]
fn repeated_columns_expand_and_padding_does_not() {
    let rows = read(
        r#"<table:table table:name="Data"><table:table-row>
        <table:table-cell office:value-type="string"><text:p>Location ID</text:p></table:table-cell>
        <table:table-cell table:number-columns-repeated="3"/>
        <table:table-cell office:value-type="string" table:number-columns-repeated="2"><text:p>Y</text:p></table:table-cell>
        <table:table-cell table:number-columns-repeated="16378"/>
        </table:table-row></table:table>"#,
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].2, vec![s("Location ID"), Cell::Empty, Cell::Empty, Cell::Empty, s("Y"), s("Y")]);
}

#[test]
fn repeated_rows_are_emitted_each_with_its_own_number() {
    let rows = read(
        r#"<table:table table:name="Data">
        <table:table-row><table:table-cell><text:p>Header</text:p></table:table-cell></table:table-row>
        <table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>
        <table:table-row table:number-rows-repeated="3"><table:table-cell office:value-type="float" office:value="12"><text:p>12</text:p></table:table-cell></table:table-row>
        <table:table-row><table:table-cell office:value-type="date" office:date-value="2024-02-01"><text:p>01/02/2024</text:p></table:table-cell></table:table-row>
        <table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>
        </table:table>"#,
    );
    let numbers: Vec<u64> = rows.iter().map(|r| r.1).collect();
    assert_eq!(numbers, vec![1, 4, 5, 6, 7], "two empty rows are skipped but counted");
    assert_eq!(rows[1].2, vec![Cell::Number(12.0)]);
    assert_eq!(rows[4].2, vec![Cell::Date(caremarket_core::Date::constant(2024, 2, 1))]);
}

#[test]
fn multi_paragraph_cells_covered_cells_and_sheets() {
    let rows = read(
        r#"<table:table table:name="README"><table:table-row><table:table-cell><text:p>Notes</text:p></table:table-cell></table:table-row></table:table>
        <table:table table:name="Data"><table:table-row>
        <table:table-cell office:value-type="string"><text:p>Unit 3/7</text:p><text:p>Netham Road</text:p><text:p>Bristol</text:p></table:table-cell>
        <table:table-cell table:number-columns-spanned="2" office:value-type="string"><text:p>Merged</text:p></table:table-cell>
        <table:covered-table-cell/>
        <table:table-cell office:value-type="string"><text:p>A<text:s text:c="3"/>B&amp;C<text:tab/>D</text:p></table:table-cell>
        </table:table-row></table:table>"#,
    );
    assert_eq!(rows[0].0, "README");
    assert_eq!(rows[1].0, "Data");
    assert_eq!(rows[1].2, vec![s("Unit 3/7\nNetham Road\nBristol"), s("Merged"), Cell::Empty, s("A   B&C\tD")]);
}

/// Counts rows without keeping them, as the importers do.
struct Count(u64, usize);

impl RowSink for Count {
    fn start_sheet(&mut self, _: &str) {}
    fn row(&mut self, _: u64, cells: &[Cell]) -> Result<Flow, caremarket_ingest::IngestError> {
        self.0 += 1;
        self.1 = self.1.max(cells.len());
        Ok(Flow::Continue)
    }
    fn end_sheet(&mut self) {}
}

#[test]
fn a_large_sheet_is_streamed() {
    let mut body = String::from(r#"<table:table table:name="HSCA_Active_Locations">"#);
    for i in 0..20_000 {
        body.push_str(&format!(
            r#"<table:table-row><table:table-cell office:value-type="string"><text:p>1-{}</text:p></table:table-cell><table:table-cell table:number-columns-repeated="60"/><table:table-cell office:value-type="string" table:number-columns-repeated="3"><text:p>Y</text:p></table:table-cell><table:table-cell table:number-columns-repeated="960"/></table:table-row>"#,
            1_000_000_000 + i
        ));
    }
    body.push_str(r#"<table:table-row table:number-rows-repeated="1028576"><table:table-cell table:number-columns-repeated="1024"/></table:table-row></table:table>"#);
    let mut count = Count(0, 0);
    let mut reports = 0;
    let result = read_ods("big.ods", Cursor::new(ods(&body)), &mut count, &mut |done, total| {
        reports += 1;
        assert!(total.is_some_and(|t| done <= t));
    });
    assert!(result.is_ok(), "{result:?}");
    assert_eq!((count.0, count.1), (20_000, 64));
    assert!(reports >= 10, "progress is reported as the file is read ({reports})");
}
