//! CSV, streamed record by record.

use super::{Cell, Flow, PROGRESS_EVERY, Progress, RowSink};
use crate::IngestError;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::Read;
use std::rc::Rc;

/// Read a CSV file into `sink` as one sheet named "". `total_bytes`, when known, is passed to
/// `progress` with the bytes read so far.
///
/// Rows are numbered as a spreadsheet shows them: a blank line is a row (the csv crate skips
/// blank lines, so a [`RowTracker`] watching the bytes go by numbers the records), and a quoted
/// field spanning lines (a multi-line address) does not add rows.
pub fn read_csv<R: Read>(
    file: &str,
    reader: R,
    total_bytes: Option<u64>,
    sink: &mut dyn RowSink,
    progress: Progress<'_>,
) -> Result<(), IngestError> {
    let tracker = Rc::new(RefCell::new(RowTracker::default()));
    let watched = WatchedReader { inner: reader, tracker: Rc::clone(&tracker) };
    let mut rdr = ::csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(watched);
    let mut record = ::csv::StringRecord::new();
    let mut cells: Vec<Cell> = Vec::new();
    let mut spare = Spare::default();
    let mut records: u64 = 0;
    let mut skipping = false;
    // Whether the last record was a data row, and its row number.
    let mut last_is_data = false;
    let mut last_row = 0;
    sink.start_sheet("");
    loop {
        match rdr.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(file, e)),
        }
        records += 1;
        let row_no = tracker.borrow_mut().rows.pop_front().unwrap_or(records);
        if skipping {
            continue;
        }
        last_is_data = sink.record_width(record.len());
        last_row = row_no;
        for (i, f) in record.iter().enumerate() {
            let f = if i == 0 && records == 1 { f.trim_start_matches('\u{feff}') } else { f };
            match cells.get_mut(i) {
                Some(cell) => spare.set(cell, f),
                None => cells.push(spare.cell(f)),
            }
        }
        spare.truncate(&mut cells, record.len());
        while let Some(blank) = cells.pop_if(|c| c.is_blank()) {
            spare.keep(blank);
        }
        if !cells.is_empty() && sink.row(row_no, &cells)? == Flow::SkipSheet {
            skipping = true;
        }
        if records.is_multiple_of(PROGRESS_EVERY) {
            progress(tracker.borrow().bytes, total_bytes);
        }
    }
    // A download cut off mid-row ends without a line break. CQC's files, and the CSV that
    // spreadsheets save, end every row with one; a cut can fall inside the last column (the
    // 18-column directory ends with the provider's name), where no field count shows it. So a
    // file whose last data row is unterminated is refused whole: nothing from it is used.
    let state = tracker.borrow().state;
    let ended = matches!(state, TrackState::RecordStart | TrackState::AfterCr);
    if !ended && last_is_data {
        return Err(IngestError::Truncated { file: file.to_string(), row: last_row });
    }
    sink.end_sheet();
    progress(tracker.borrow().bytes, total_bytes);
    Ok(())
}

/// Text buffers of cells no longer in use. Each row's cells are written over the last row's,
/// reusing their buffers, so that reading a file allocates per field only until the buffers are
/// as long as its longest values (an allocation per field was a fifth of parsing a CQC export).
#[derive(Default)]
struct Spare(Vec<String>);

impl Spare {
    /// A cell holding `f`, in a spare buffer when there is one.
    fn cell(&mut self, f: &str) -> Cell {
        if f.is_empty() {
            return Cell::Empty;
        }
        let mut s = self.0.pop().unwrap_or_default();
        s.push_str(f);
        Cell::Text(s)
    }

    /// Write `f` over `cell`, keeping its buffer.
    fn set(&mut self, cell: &mut Cell, f: &str) {
        match cell {
            Cell::Text(s) if !f.is_empty() => {
                s.clear();
                s.push_str(f);
            }
            _ => {
                let old = std::mem::replace(cell, self.cell(f));
                self.keep(old);
            }
        }
    }

    fn keep(&mut self, cell: Cell) {
        if let Cell::Text(mut s) = cell {
            s.clear();
            self.0.push(s);
        }
    }

    /// Drop the cells from `len` on, keeping their buffers.
    fn truncate(&mut self, cells: &mut Vec<Cell>, len: usize) {
        while cells.len() > len {
            if let Some(c) = cells.pop() {
                self.keep(c);
            }
        }
    }
}

/// Follows the CSV grammar the csv crate uses (quotes open only at the start of a field) to
/// give each record the row number a spreadsheet shows.
#[derive(Debug, Default)]
struct RowTracker {
    state: TrackState,
    /// Rows used so far: records started plus blank lines.
    rows_used: u64,
    /// Row numbers of records started but not yet handed out.
    rows: VecDeque<u64>,
    bytes: u64,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum TrackState {
    #[default]
    RecordStart,
    /// After a `\r` ending a record or a blank line: a `\n` here belongs to it.
    AfterCr,
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

impl RowTracker {
    fn feed(&mut self, bytes: &[u8]) {
        use TrackState::*;
        self.bytes += bytes.len() as u64;
        let mut i = 0;
        while i < bytes.len() {
            // Inside a field only a quote (quoted) or a separator (unquoted) changes anything:
            // skip to it rather than step through every byte of the field.
            let next = match self.state {
                Quoted => bytes[i..].iter().position(|&b| b == b'"'),
                Unquoted => bytes[i..].iter().position(|&b| matches!(b, b',' | b'\n' | b'\r')),
                _ => Some(0),
            };
            let Some(skip) = next else {
                return;
            };
            i += skip;
            let b = bytes[i];
            i += 1;
            self.state = match (self.state, b) {
                (RecordStart, b'\n') => {
                    self.rows_used += 1;
                    RecordStart
                }
                (RecordStart, b'\r') => {
                    self.rows_used += 1;
                    AfterCr
                }
                (AfterCr, b'\n') => RecordStart,
                (AfterCr, b'\r') => {
                    self.rows_used += 1;
                    AfterCr
                }
                (RecordStart | AfterCr, _) => {
                    self.rows_used += 1;
                    self.rows.push_back(self.rows_used);
                    self.field_byte(b)
                }
                (FieldStart | Unquoted | QuoteInQuoted, b'\n') => RecordStart,
                (FieldStart | Unquoted | QuoteInQuoted, b'\r') => AfterCr,
                (FieldStart | Unquoted | QuoteInQuoted, b',') => FieldStart,
                (FieldStart, b'"') => Quoted,
                (QuoteInQuoted, b'"') => Quoted,
                (FieldStart | Unquoted | QuoteInQuoted, _) => Unquoted,
                (Quoted, b'"') => QuoteInQuoted,
                (Quoted, _) => Quoted,
            };
        }
    }

    fn field_byte(&self, b: u8) -> TrackState {
        match b {
            b'"' => TrackState::Quoted,
            b',' => TrackState::FieldStart,
            b'\n' => TrackState::RecordStart,
            b'\r' => TrackState::AfterCr,
            _ => TrackState::Unquoted,
        }
    }
}

struct WatchedReader<R> {
    inner: R,
    tracker: Rc<RefCell<RowTracker>>,
}

impl<R: Read> Read for WatchedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.tracker.borrow_mut().feed(&buf[..n]);
        Ok(n)
    }
}

fn csv_error(file: &str, e: ::csv::Error) -> IngestError {
    match e.kind() {
        ::csv::ErrorKind::Utf8 { pos, .. } => {
            IngestError::NotUtf8 { file: file.to_string(), line: pos.as_ref().map(|p| p.line()).unwrap_or(0) }
        }
        ::csv::ErrorKind::Io(err) => IngestError::Io { path: file.to_string(), source: std::io::Error::new(err.kind(), err.to_string()) },
        _ => IngestError::Csv { file: file.to_string(), detail: e.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sheet::CollectRows;

    #[test]
    fn rows_are_numbered_as_a_spreadsheet_shows_them() {
        let lf = "Title,,\n\nName,Address,Postcode\n\"A\",\"1 Road\n\nTown\",OL1 1AA\nB,\"say \"\"hi\"\"\",OL2 2BB\n\n\nC";
        for text in [lf.to_string(), lf.replace('\n', "\r\n")] {
            let mut sink = CollectRows::default();
            read_csv("t.csv", text.as_bytes(), None, &mut sink, &mut |_, _| {}).ok();
            let rows: Vec<(u64, String)> = sink.rows.iter().map(|(_, r, c)| (*r, c[0].as_text())).collect();
            let expected: Vec<(u64, String)> =
                [(1, "Title"), (3, "Name"), (4, "A"), (5, "B"), (8, "C")].iter().map(|(r, s)| (*r, s.to_string())).collect();
            assert_eq!(rows, expected, "{text:?}");
            assert_eq!(sink.rows[2].2[1].as_text().replace('\r', ""), "1 Road\n\nTown");
            assert_eq!(sink.rows[3].2[1], Cell::text("say \"hi\""));
        }
    }

    /// Hands out at most `n` bytes a read, so that fields and line ends fall across reads.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn rows_are_numbered_alike_however_the_bytes_arrive() {
        let text =
            "Title,,\r\n\r\nName,Address,Postcode\n\"A\",\"1 Road\r\n\r\nTown\",OL1 1AA\nB,\"say \"\"hi\"\"\",OL2 2BB\n\n\nC,x\"y,\"\"\n";
        let read = |reader: &mut dyn Read| {
            let mut sink = CollectRows::default();
            read_csv("t.csv", reader, None, &mut sink, &mut |_, _| {}).ok();
            sink.rows.iter().map(|(_, r, c)| (*r, c.iter().map(Cell::as_text).collect::<Vec<_>>())).collect::<Vec<_>>()
        };
        let whole = read(&mut text.as_bytes());
        assert_eq!(whole.iter().map(|(r, _)| *r).collect::<Vec<_>>(), vec![1, 3, 4, 5, 8]);
        for n in 1..8 {
            assert_eq!(read(&mut Trickle(text.as_bytes(), n)), whole, "{n} bytes a read");
        }
    }

    #[test]
    fn not_utf8_is_a_file_error_with_its_line() {
        let bytes: &[u8] = b"Name,Town\nCaf\xe9,Oldham\n";
        let mut sink = CollectRows::default();
        let err = read_csv("t.csv", bytes, None, &mut sink, &mut |_, _| {});
        assert!(matches!(err, Err(IngestError::NotUtf8 { line: 2, .. })), "{err:?}");
    }
}
