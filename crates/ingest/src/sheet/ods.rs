//! OpenDocument spreadsheets (`.ods`), streamed.
//!
//! CQC's ODS files are about 25 MB zipped and their `content.xml` unpacks to hundreds of
//! megabytes; loading them as a workbook (calamine, odfpy) takes gigabytes. This reader pulls
//! `content.xml` out of the zip as a stream and walks it with quick-xml, keeping only the
//! current row. It handles what LibreOffice and CQC write:
//!
//! - `table:number-columns-repeated` on cells (runs of equal cells, and the thousands of empty
//!   cells that pad each row to the sheet's width: empty runs are counted, not materialised);
//! - `table:number-rows-repeated` on rows (equal rows, and the long run of empty rows at the
//!   end of a sheet: empty runs only advance the row number);
//! - several `text:p` in one cell (a multi-line address), joined with a line break, and
//!   `text:s` / `text:tab` / `text:line-break` / `text:span` / `text:a` inside them;
//! - typed values: `office:value` for numbers, `office:date-value` for dates,
//!   `office:boolean-value`, `office:string-value`;
//! - `table:covered-table-cell` (the cells hidden under a merged cell) read as empty;
//! - comments (`office:annotation`), whose text is not part of the cell.

use super::{Cell, CountingReader, Flow, MAX_COLUMNS, MAX_ROWS, PROGRESS_EVERY, Progress, RowSink};
use crate::IngestError;
use crate::dates::parse_date_text;
use quick_xml::events::{BytesStart, Event};
use std::io::{BufReader, Read, Seek};

/// Read every sheet of an ODS file into `sink`. `progress` gets the bytes of `content.xml` read
/// so far and its unpacked size.
pub fn read_ods<R: Read + Seek>(file: &str, reader: R, sink: &mut dyn RowSink, progress: Progress<'_>) -> Result<(), IngestError> {
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| corrupt(file, e.to_string()))?;
    let entry = match zip.by_name("content.xml") {
        Ok(entry) => entry,
        Err(zip::result::ZipError::FileNotFound) => {
            return Err(IngestError::WrongFile {
                file: file.to_string(),
                reason: "is a zip archive but not an OpenDocument spreadsheet (it has no content.xml)".to_string(),
            });
        }
        Err(e) => return Err(corrupt(file, e.to_string())),
    };
    let total = entry.size();
    let (counting, count) = CountingReader::new(entry);
    let mut xml = quick_xml::Reader::from_reader(BufReader::with_capacity(1 << 16, counting));
    let mut state = OdsState::default();
    let mut buf = Vec::with_capacity(4096);
    loop {
        buf.clear();
        let event = match xml.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(quick_xml::Error::Io(e)) => return Err(corrupt(file, e.to_string())),
            Err(e) => {
                return Err(IngestError::Spreadsheet {
                    file: file.to_string(),
                    kind: "ODS",
                    detail: format!("content.xml is not well-formed near byte {}: {e}", xml.buffer_position()),
                });
            }
        };
        match event {
            Event::Start(e) => state.start(&e, false, sink),
            Event::Empty(e) => {
                state.start(&e, true, sink);
                state.end(e.name().as_ref(), sink)?;
            }
            Event::End(e) => state.end(e.name().as_ref(), sink)?,
            Event::Text(t) if state.collecting_text() => {
                let text = t.decode().map_err(|e| spreadsheet(file, e.to_string()))?;
                state.push_text(&text);
            }
            Event::CData(t) if state.collecting_text() => {
                let text = t.decode().map_err(|e| spreadsheet(file, e.to_string()))?;
                state.push_text(&text);
            }
            Event::GeneralRef(r) if state.collecting_text() => {
                if r.is_char_ref() {
                    if let Ok(Some(c)) = r.resolve_char_ref() {
                        state.push_text(c.encode_utf8(&mut [0u8; 4]));
                    }
                } else {
                    let name = r.decode().map_err(|e| spreadsheet(file, e.to_string()))?;
                    if let Some(s) = quick_xml::escape::resolve_predefined_entity(&name) {
                        state.push_text(s);
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        if state.rows_since_progress >= PROGRESS_EVERY {
            state.rows_since_progress = 0;
            progress(count.get(), Some(total));
        }
    }
    progress(count.get(), Some(total));
    Ok(())
}

fn corrupt(file: &str, detail: String) -> IngestError {
    IngestError::CorruptArchive { file: file.to_string(), kind: "ODS", detail }
}

fn spreadsheet(file: &str, detail: String) -> IngestError {
    IngestError::Spreadsheet { file: file.to_string(), kind: "ODS", detail }
}

#[derive(Default)]
struct OdsState {
    table_depth: u32,
    skip_sheet: bool,
    /// The number of the next row.
    row_no: u64,
    row: Option<RowBuild>,
    cell: Option<CellBuild>,
    annotation_depth: u32,
    p_depth: u32,
    rows_since_progress: u64,
}

struct RowBuild {
    repeat: u64,
    cells: Vec<Cell>,
    pending_empty: usize,
}

#[derive(Default)]
struct CellBuild {
    repeat: usize,
    covered: bool,
    value_type: String,
    value: Option<String>,
    date_value: Option<String>,
    boolean_value: Option<String>,
    string_value: Option<String>,
    text: String,
    paragraphs: u32,
}

impl CellBuild {
    fn value(self) -> Cell {
        if self.covered {
            return Cell::Empty;
        }
        match self.value_type.as_str() {
            "float" | "percentage" | "currency" => {
                if let Some(n) = self.value.as_deref().and_then(|v| v.trim().parse::<f64>().ok()) {
                    return Cell::Number(n);
                }
            }
            "date" => {
                if let Some(d) = self.date_value.as_deref().and_then(parse_date_text) {
                    return Cell::Date(d);
                }
            }
            "boolean" => match self.boolean_value.as_deref() {
                Some("true") => return Cell::Bool(true),
                Some("false") => return Cell::Bool(false),
                _ => {}
            },
            _ => {}
        }
        match self.string_value {
            Some(s) => Cell::text(&s),
            None => Cell::text(&self.text),
        }
    }
}

fn unescaped(raw: &[u8]) -> Option<String> {
    let raw = std::str::from_utf8(raw).ok()?;
    Some(quick_xml::escape::unescape(raw).map(|v| v.into_owned()).unwrap_or_else(|_| raw.to_string()))
}

fn attr_value(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes().flatten().find(|a| a.key.as_ref() == name).and_then(|a| unescaped(&a.value))
}

fn repeat_attr(e: &BytesStart<'_>, name: &[u8]) -> u64 {
    attr_value(e, name).and_then(|v| v.trim().parse::<u64>().ok()).filter(|n| *n >= 1).unwrap_or(1)
}

impl OdsState {
    fn in_sheet(&self) -> bool {
        self.table_depth == 1
    }

    fn collecting_text(&self) -> bool {
        self.cell.is_some() && self.p_depth > 0 && self.annotation_depth == 0
    }

    fn push_text(&mut self, s: &str) {
        if let Some(cell) = self.cell.as_mut() {
            cell.text.push_str(s);
        }
    }

    fn start(&mut self, e: &BytesStart<'_>, _empty: bool, sink: &mut dyn RowSink) {
        match e.name().as_ref() {
            b"table:table" => {
                self.table_depth += 1;
                if self.table_depth == 1 {
                    let name = attr_value(e, b"table:name").unwrap_or_default();
                    self.row_no = 1;
                    self.skip_sheet = false;
                    sink.start_sheet(&name);
                }
            }
            b"table:table-row" if self.in_sheet() => {
                self.row = Some(RowBuild { repeat: repeat_attr(e, b"table:number-rows-repeated"), cells: Vec::new(), pending_empty: 0 });
            }
            name @ (b"table:table-cell" | b"table:covered-table-cell") if self.in_sheet() && self.row.is_some() => {
                let mut cell = CellBuild { repeat: 1, covered: name == b"table:covered-table-cell", ..CellBuild::default() };
                // One pass over the attributes: this runs for every cell of a 25 MB file.
                for a in e.attributes().flatten() {
                    let slot = match a.key.as_ref() {
                        b"table:number-columns-repeated" => {
                            let n = std::str::from_utf8(&a.value).ok().and_then(|v| v.trim().parse::<usize>().ok());
                            cell.repeat = n.filter(|n| *n >= 1).unwrap_or(1).min(MAX_COLUMNS);
                            continue;
                        }
                        b"office:value-type" => {
                            cell.value_type = String::from_utf8_lossy(&a.value).into_owned();
                            continue;
                        }
                        b"office:value" => &mut cell.value,
                        b"office:date-value" => &mut cell.date_value,
                        b"office:boolean-value" => &mut cell.boolean_value,
                        b"office:string-value" => &mut cell.string_value,
                        _ => continue,
                    };
                    *slot = unescaped(&a.value);
                }
                self.cell = Some(cell);
            }
            b"office:annotation" => self.annotation_depth += 1,
            b"text:p" | b"text:h" if self.cell.is_some() && self.annotation_depth == 0 => {
                if let Some(cell) = self.cell.as_mut() {
                    if cell.paragraphs > 0 {
                        cell.text.push('\n');
                    }
                    cell.paragraphs += 1;
                }
                self.p_depth += 1;
            }
            b"text:s" if self.collecting_text() => {
                let n = repeat_attr(e, b"text:c").min(1024) as usize;
                self.push_text(&" ".repeat(n));
            }
            b"text:tab" if self.collecting_text() => self.push_text("\t"),
            b"text:line-break" if self.collecting_text() => self.push_text("\n"),
            _ => {}
        }
    }

    fn end(&mut self, name: &[u8], sink: &mut dyn RowSink) -> Result<(), IngestError> {
        match name {
            b"table:table" => {
                if self.table_depth == 1 {
                    self.row = None;
                    self.cell = None;
                    sink.end_sheet();
                }
                self.table_depth = self.table_depth.saturating_sub(1);
            }
            b"table:table-row" if self.in_sheet() => self.finish_row(sink)?,
            b"table:table-cell" | b"table:covered-table-cell" if self.in_sheet() => self.finish_cell(),
            b"office:annotation" => self.annotation_depth = self.annotation_depth.saturating_sub(1),
            b"text:p" | b"text:h" if self.p_depth > 0 => self.p_depth -= 1,
            _ => {}
        }
        Ok(())
    }

    fn finish_cell(&mut self) {
        let Some(cell) = self.cell.take() else { return };
        self.p_depth = 0;
        let Some(row) = self.row.as_mut() else { return };
        let repeat = cell.repeat;
        let value = cell.value();
        if value.is_blank() {
            row.pending_empty = row.pending_empty.saturating_add(repeat);
            return;
        }
        if row.cells.len() + row.pending_empty >= MAX_COLUMNS {
            row.pending_empty = 0;
            return;
        }
        let empties = std::mem::take(&mut row.pending_empty);
        row.cells.extend(std::iter::repeat_n(Cell::Empty, empties));
        let room = MAX_COLUMNS - row.cells.len();
        row.cells.extend(std::iter::repeat_n(value, repeat.min(room)));
    }

    fn finish_row(&mut self, sink: &mut dyn RowSink) -> Result<(), IngestError> {
        self.cell = None;
        let Some(mut row) = self.row.take() else {
            return Ok(());
        };
        while row.cells.last().is_some_and(Cell::is_blank) {
            row.cells.pop();
        }
        if row.cells.is_empty() || self.skip_sheet {
            self.row_no = self.row_no.saturating_add(row.repeat);
            return Ok(());
        }
        let mut remaining = row.repeat;
        while remaining > 0 && self.row_no <= MAX_ROWS {
            let flow = sink.row(self.row_no, &row.cells)?;
            self.row_no += 1;
            remaining -= 1;
            self.rows_since_progress += 1;
            if flow == Flow::SkipSheet {
                self.skip_sheet = true;
                break;
            }
        }
        self.row_no = self.row_no.saturating_add(remaining);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sheet::CollectRows;
    use std::io::{Cursor, Write};

    pub(crate) fn ods_with(content_body: &str) -> Vec<u8> {
        let content = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>{content_body}</office:spreadsheet></office:body></office:document-content>"#
        );
        let mut out = Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut out);
            let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
            let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
            zip.start_file("mimetype", stored).ok();
            zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet").ok();
            zip.start_file("content.xml", deflated).ok();
            zip.write_all(content.as_bytes()).ok();
            zip.finish().ok();
        }
        out.into_inner()
    }

    fn rows_of(body: &str) -> Vec<(String, u64, Vec<Cell>)> {
        let bytes = ods_with(body);
        let mut sink = CollectRows::default();
        let result = read_ods("t.ods", Cursor::new(bytes), &mut sink, &mut |_, _| {});
        assert!(result.is_ok(), "{result:?}");
        sink.rows
    }

    #[test]
    fn repeated_cells_rows_and_padding() {
        let rows = rows_of(
            r#"<table:table table:name="S"><table:table-column table:number-columns-repeated="1024"/>
            <table:table-row><table:table-cell office:value-type="string"><text:p>A</text:p></table:table-cell><table:table-cell table:number-columns-repeated="2"/><table:table-cell office:value-type="string" table:number-columns-repeated="2"><text:p>B</text:p></table:table-cell><table:table-cell table:number-columns-repeated="16379"/></table:table-row>
            <table:table-row table:number-rows-repeated="3"><table:table-cell office:value-type="float" office:value="7"><text:p>7</text:p></table:table-cell></table:table-row>
            <table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>
            </table:table>"#,
        );
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].2, vec![Cell::text("A"), Cell::Empty, Cell::Empty, Cell::text("B"), Cell::text("B")]);
        assert_eq!(rows.iter().map(|r| r.1).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
        assert_eq!(rows[3].2, vec![Cell::Number(7.0)]);
    }

    #[test]
    fn paragraphs_spaces_dates_covered_cells_and_comments() {
        let rows = rows_of(
            r#"<table:table table:name="S"><table:table-row>
            <table:table-cell office:value-type="string"><text:p>1 Road</text:p><text:p>Oldham</text:p></table:table-cell>
            <table:table-cell office:value-type="string"><office:annotation><text:p>a comment</text:p></office:annotation><text:p>Two<text:s text:c="2"/>spaces &amp; <text:span>more</text:span></text:p></table:table-cell>
            <table:table-cell office:value-type="date" office:date-value="2024-02-01T00:00:00"><text:p>01/02/24</text:p></table:table-cell>
            <table:table-cell table:number-columns-spanned="2" office:value-type="string"><text:p>Merged</text:p></table:table-cell><table:covered-table-cell office:value-type="string"><text:p>hidden</text:p></table:covered-table-cell>
            <table:table-cell office:value-type="boolean" office:boolean-value="true"><text:p>TRUE</text:p></table:table-cell>
            </table:table-row></table:table>"#,
        );
        assert_eq!(rows.len(), 1);
        let cells = &rows[0].2;
        assert_eq!(cells[0], Cell::text("1 Road\nOldham"));
        assert_eq!(cells[1], Cell::text("Two  spaces & more"));
        assert_eq!(cells[2], Cell::Date(caremarket_core::Date::constant(2024, 2, 1)));
        assert_eq!(cells[3], Cell::text("Merged"));
        assert_eq!(cells[4], Cell::Empty);
        assert_eq!(cells[5], Cell::Bool(true));
    }

    #[test]
    fn sheets_are_reported_in_order_and_not_a_zip_is_corrupt() {
        let rows = rows_of(
            r#"<table:table table:name="Notes"><table:table-row><table:table-cell><text:p>Read me</text:p></table:table-cell></table:table-row></table:table><table:table table:name="Data"><table:table-row table:number-rows-repeated="2"/><table:table-row><table:table-cell><text:p>x</text:p></table:table-cell></table:table-row></table:table>"#,
        );
        assert_eq!(rows[0].0, "Notes");
        assert_eq!((rows[1].0.as_str(), rows[1].1), ("Data", 3));
        let mut sink = CollectRows::default();
        let err = read_ods("t.ods", Cursor::new(b"not a zip".to_vec()), &mut sink, &mut |_, _| {});
        assert!(matches!(err, Err(IngestError::CorruptArchive { .. })), "{err:?}");
    }
}
