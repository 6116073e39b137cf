//! Tables out of CSV, XLSX and ODS files, one row at a time.
//!
//! Each reader pushes rows into a [`RowSink`] as it reads, so a 25 MB ODS (whose `content.xml`
//! unpacks to hundreds of megabytes) is never held in memory. Row numbers are the ones a person
//! sees in a spreadsheet: 1-based, counting blank rows and preamble lines; a CSV record that spans
//! several lines (a quoted multi-line address) is one row.

mod csv;
pub mod ods;
mod xlsx;

pub use self::csv::read_csv;
pub use self::ods::read_ods;
pub use self::xlsx::read_xlsx;

use crate::dates::{excel_serial_to_date, parse_date_text};
use caremarket_core::Date;
use std::cell::Cell as StdCell;
use std::io::Read;
use std::rc::Rc;

/// One spreadsheet cell as the file typed it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    /// A date the spreadsheet itself marks as a date (ODS `office:date-value`, an XLSX cell with a
    /// date format).
    Date(Date),
    Bool(bool),
}

impl Cell {
    pub fn text(s: &str) -> Cell {
        if s.is_empty() { Cell::Empty } else { Cell::Text(s.to_string()) }
    }

    /// Whether the cell holds nothing but whitespace.
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as text: whole numbers without a decimal point (a phone number typed into Excel
    /// becomes the number 1614567890, not "1614567890.0"), dates as `YYYY-MM-DD`.
    pub fn as_text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Number(n) => format_number(*n),
            Cell::Date(d) => d.to_string(),
            Cell::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        }
    }

    /// The cell as a date: a date cell, an Excel serial number, or text in any form
    /// [`parse_date_text`] reads. `Ok(None)` for a blank cell, `Err(())` for anything else.
    #[allow(clippy::result_unit_err)]
    pub fn as_date(&self) -> Result<Option<Date>, ()> {
        match self {
            Cell::Empty => Ok(None),
            Cell::Date(d) => Ok(Some(*d)),
            Cell::Number(n) => excel_serial_to_date(*n).map(Some).ok_or(()),
            Cell::Text(s) => text_as_date(s),
            Cell::Bool(_) => Err(()),
        }
    }
}

/// Text as a date, as [`Cell::as_date`] reads a text cell.
#[allow(clippy::result_unit_err)]
pub fn text_as_date(s: &str) -> Result<Option<Date>, ()> {
    if s.trim().is_empty() { Ok(None) } else { parse_date_text(s).map(Some).ok_or(()) }
}

fn format_number(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { format!("{n}") }
}

/// What a sink wants after a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// Nothing more is wanted from this sheet (a cover sheet): readers that can skip it do.
    SkipSheet,
}

/// Receives the rows of a file, sheet by sheet. A CSV is one sheet named "".
pub trait RowSink {
    fn start_sheet(&mut self, name: &str);
    /// `row` is the 1-based row number; `cells` has trailing empty cells removed.
    fn row(&mut self, row: u64, cells: &[Cell]) -> Result<Flow, crate::IngestError>;
    fn end_sheet(&mut self);
    /// The number of fields in the next row as the file holds them (before trailing empty cells
    /// are removed), from readers that can tell (CSV): a row whose count differs from the
    /// header's is rejected. Returns whether the next row is a data row (the header has been
    /// found), so that a CSV ending inside a data row can be refused as cut off.
    fn record_width(&mut self, _fields: usize) -> bool {
        false
    }
    /// A reader's estimate of the rows still to come, so that a sink may make room for them at
    /// once rather than grow by copying. Only a hint: the file may hold more or fewer.
    fn expect_rows(&mut self, _rows: usize) {}
    /// A row of a text file (CSV), its fields borrowed from the reader: what [`RowSink::row`]
    /// would be given as [`Cell::text`] cells. A sink that reads many rows takes them here, so
    /// that no field is copied that it does not keep.
    fn text_row(&mut self, row: u64, fields: TextRow<'_>) -> Result<Flow, crate::IngestError> {
        let cells: Vec<Cell> = fields.iter().map(Cell::text).collect();
        self.row(row, &cells)
    }
}

/// One CSV row's fields, borrowed from the reader's record: the row's text and where each field
/// ends in it. Trailing blank fields are already left out, as [`RowSink::row`]'s cells are.
#[derive(Debug, Clone, Copy)]
pub struct TextRow<'a> {
    text: &'a str,
    /// Where the first field starts (after any byte-order marks).
    start: usize,
    ends: &'a [usize],
}

impl<'a> TextRow<'a> {
    /// `text` is every field's text end to end and `ends[i]` the end of field `i` in it; the first
    /// field starts at `start`. `None` unless each bound falls on a character boundary.
    pub fn new(text: &'a str, start: usize, ends: &'a [usize]) -> Option<Self> {
        let row = TextRow { text, start, ends };
        (0..ends.len()).all(|i| text.is_char_boundary(row.start_of(i)) && text.is_char_boundary(ends[i])).then_some(row)
    }

    fn start_of(&self, i: usize) -> usize {
        if i == 0 { self.start } else { self.ends[i - 1] }
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Field `i`'s text; `None` past the last field.
    pub fn get(&self, i: usize) -> Option<&'a str> {
        let end = *self.ends.get(i)?;
        self.text.get(self.start_of(i)..end)
    }

    pub fn iter(&self) -> impl Iterator<Item = &'a str> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

/// Progress callback: (work done, total if known). Bytes for CSV and ODS, rows for XLSX.
pub type Progress<'a> = &'a mut dyn FnMut(u64, Option<u64>);

/// A reader that counts the bytes read through it, shared with whoever holds the counter.
pub(crate) struct CountingReader<R> {
    inner: R,
    count: Rc<StdCell<u64>>,
}

impl<R> CountingReader<R> {
    pub(crate) fn new(inner: R) -> (Self, Rc<StdCell<u64>>) {
        let count = Rc::new(StdCell::new(0));
        (CountingReader { inner, count: Rc::clone(&count) }, count)
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Report progress at most every this many rows.
pub(crate) const PROGRESS_EVERY: u64 = 2_000;

/// The most columns a row may have (the XLSX and ODS limit); repeated empty cells beyond it, which
/// spreadsheets write to pad rows to the sheet's width, are ignored.
pub(crate) const MAX_COLUMNS: usize = 16_384;

/// The most rows a sheet may have (the XLSX and ODS limit).
pub(crate) const MAX_ROWS: u64 = 1_048_576;

/// Test helper and small-file convenience: every non-empty row of every sheet.
#[derive(Debug, Default)]
pub struct CollectRows {
    pub rows: Vec<(String, u64, Vec<Cell>)>,
    sheet: String,
}

impl RowSink for CollectRows {
    fn start_sheet(&mut self, name: &str) {
        self.sheet = name.to_string();
    }
    fn row(&mut self, row: u64, cells: &[Cell]) -> Result<Flow, crate::IngestError> {
        self.rows.push((self.sheet.clone(), row, cells.to_vec()));
        Ok(Flow::Continue)
    }
    fn end_sheet(&mut self) {}
}

/// Test support: a reader handing out at most `n` bytes a read, so that fields, quotes and line
/// ends fall across reads.
#[cfg(test)]
pub(crate) struct Trickle<'a>(pub &'a [u8], pub usize);

#[cfg(test)]
impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.1.min(buf.len()).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_text_lose_the_decimal_point() {
        assert_eq!(Cell::Number(1614567890.0).as_text(), "1614567890");
        assert_eq!(Cell::Number(2.5).as_text(), "2.5");
        assert_eq!(Cell::Number(45323.0).as_date(), Ok(Date::new(2024, 2, 1).ok()));
        assert_eq!(Cell::text("31/02/2024").as_date(), Err(()));
        assert_eq!(Cell::text("  ").as_date(), Ok(None));
    }
}
