//! XLSX workbooks via calamine's cell reader: each worksheet is walked cell by cell, never
//! loaded as a whole range (only the shared-strings table is held, as Excel itself requires).

use super::{Cell, Flow, MAX_COLUMNS, PROGRESS_EVERY, Progress, RowSink};
use crate::IngestError;
use crate::dates::parse_date_text;
use calamine::{DataRef, Reader, Xlsx, XlsxError};
use caremarket_core::Date;
use std::io::{Read, Seek};

/// Read every worksheet of an XLSX file into `sink`. `progress` gets rows read (the total is not
/// known in advance).
pub fn read_xlsx<R: Read + Seek>(file: &str, reader: R, sink: &mut dyn RowSink, progress: Progress<'_>) -> Result<(), IngestError> {
    let mut workbook: Xlsx<R> = Xlsx::new(reader).map_err(|e| xlsx_error(file, e))?;
    let names = workbook.sheet_names();
    let mut rows_done: u64 = 0;
    for name in names {
        let mut cells_reader = match workbook.worksheet_cells_reader(&name) {
            Ok(r) => r,
            // A chart sheet or dialog sheet: not a table.
            Err(XlsxError::NotAWorksheet(_)) => continue,
            Err(e) => return Err(xlsx_error(file, e)),
        };
        sink.start_sheet(&name);
        let mut current: Option<u32> = None;
        let mut cells: Vec<Cell> = Vec::new();
        let mut skip = false;
        loop {
            let next = cells_reader.next_cell().map_err(|e| xlsx_error(file, e))?;
            let Some(cell) = next else { break };
            let (row, col) = cell.get_position();
            if current != Some(row) {
                if let Some(done) = current {
                    if emit(sink, done, &mut cells)? == Flow::SkipSheet {
                        skip = true;
                        break;
                    }
                    rows_done += 1;
                    if rows_done.is_multiple_of(PROGRESS_EVERY) {
                        progress(rows_done, None);
                    }
                }
                current = Some(row);
            }
            let col = col as usize;
            if col >= MAX_COLUMNS {
                continue;
            }
            let value = convert(cell.get_value());
            if value.is_blank() {
                continue;
            }
            if cells.len() <= col {
                cells.resize(col + 1, Cell::Empty);
            }
            cells[col] = value;
        }
        if !skip && let Some(done) = current {
            emit(sink, done, &mut cells)?;
            rows_done += 1;
        }
        sink.end_sheet();
    }
    progress(rows_done, None);
    Ok(())
}

fn emit(sink: &mut dyn RowSink, row: u32, cells: &mut Vec<Cell>) -> Result<Flow, IngestError> {
    while cells.last().is_some_and(Cell::is_blank) {
        cells.pop();
    }
    let flow = if cells.is_empty() { Flow::Continue } else { sink.row(u64::from(row) + 1, cells)? };
    cells.clear();
    Ok(flow)
}

fn convert(value: &DataRef<'_>) -> Cell {
    match value {
        DataRef::Empty => Cell::Empty,
        DataRef::String(s) => Cell::text(s),
        DataRef::SharedString(s) => Cell::text(s),
        DataRef::Int(i) => Cell::Number(*i as f64),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(dt) => {
            // Excel's serial dates run to 9999-12-31 (2,958,465). calamine's conversion overflows
            // far past that (found by the fuzzer), so a value out of range stays a number and the
            // row is refused for it like any other bad date.
            if dt.is_datetime() && (0.0..=2_958_465.0).contains(&dt.as_f64()) {
                let (y, m, d, ..) = dt.to_ymd_hms_milli();
                match Date::new(y as i16, m as i8, d as i8) {
                    Ok(date) => Cell::Date(date),
                    Err(_) => Cell::Number(dt.as_f64()),
                }
            } else {
                Cell::Number(dt.as_f64())
            }
        }
        DataRef::DateTimeIso(s) => parse_date_text(s).map(Cell::Date).unwrap_or_else(|| Cell::text(s)),
        DataRef::DurationIso(s) => Cell::text(s),
        DataRef::Error(e) => Cell::Text(format!("#{e}")),
    }
}

fn xlsx_error(file: &str, e: XlsxError) -> IngestError {
    match e {
        XlsxError::Zip(z) => IngestError::CorruptArchive { file: file.to_string(), kind: "XLSX", detail: z.to_string() },
        XlsxError::Io(io) => IngestError::CorruptArchive { file: file.to_string(), kind: "XLSX", detail: io.to_string() },
        XlsxError::Password => IngestError::WrongFile {
            file: file.to_string(),
            reason: "is password-protected: save an unprotected copy and import that".to_string(),
        },
        other => IngestError::Spreadsheet { file: file.to_string(), kind: "XLSX", detail: other.to_string() },
    }
}
