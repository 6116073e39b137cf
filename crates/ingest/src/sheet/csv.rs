//! CSV, streamed record by record.

use super::{Flow, PROGRESS_EVERY, Progress, RowSink, TextRow};
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
    let mut rdr = ::csv::ReaderBuilder::new().has_headers(false).flexible(true).buffer_capacity(1 << 16).from_reader(watched);
    // Each row's fields are handed to the sink borrowed from this one record, never copied: a
    // copy per field was a fifth of parsing a CQC export.
    let mut record = ::csv::ByteRecord::new();
    let mut ends: Vec<usize> = Vec::new();
    let mut records: u64 = 0;
    let mut skipping = false;
    // Whether the last record was a data row, and its row number.
    let mut last_is_data = false;
    let mut last_row = 0;
    sink.start_sheet("");
    loop {
        match rdr.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(file, e)),
        }
        // Reported as the csv crate's own text records report it: the line where the read began.
        let not_utf8 = || IngestError::NotUtf8 { file: file.to_string(), line: record.position().map(|p| p.line()).unwrap_or(0) };
        let text = record_text(&record, &mut ends).ok_or_else(not_utf8)?;
        records += 1;
        let row_no = tracker.borrow_mut().rows.pop_front().unwrap_or(records);
        if skipping {
            continue;
        }
        last_is_data = sink.record_width(record.len());
        last_row = row_no;
        let start = if records == 1 { text.len() - text.trim_start_matches('\u{feff}').len() } else { 0 };
        let start = start.min(ends.first().copied().unwrap_or(0));
        let fields = TextRow::new(text, start, &ends).ok_or_else(not_utf8)?;
        // Trailing blank cells are left out, and a row of blank cells is no row.
        let width = (0..fields.len()).rev().find(|&i| fields.get(i).is_some_and(|f| !f.trim().is_empty())).map_or(0, |i| i + 1);
        if width > 0 {
            let fields = TextRow::new(text, start, &ends[..width]).ok_or_else(not_utf8)?;
            if sink.text_row(row_no, fields)? == Flow::SkipSheet {
                skipping = true;
            }
        }
        if records == ESTIMATE_AFTER
            && let Some(total) = total_bytes
        {
            let read = rdr.position().byte().max(1);
            let to_come = total.saturating_sub(read).saturating_mul(records) / read;
            // However short the first rows, a row worth keeping takes a hundred bytes or so.
            sink.expect_rows(usize::try_from(to_come.min(total / 100)).unwrap_or(0));
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

/// After this many records, the rows still to come are estimated from the bytes they took.
const ESTIMATE_AFTER: u64 = 1_000;

/// The record's fields end to end as text, with where each ends in `ends`; `None` unless every
/// field is UTF-8 (the text as a whole is, and no field boundary splits a character).
fn record_text<'r>(record: &'r ::csv::ByteRecord, ends: &mut Vec<usize>) -> Option<&'r str> {
    ends.clear();
    let mut end = 0;
    for field in record.iter() {
        end += field.len();
        ends.push(end);
    }
    let text = std::str::from_utf8(record.as_slice()).ok()?;
    ends.iter().all(|&e| text.is_char_boundary(e)).then_some(text)
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
            // skip to it rather than step through every byte of the field, and straight on into
            // the next field when it starts the same way (most fields, most of the time).
            match self.state {
                Quoted => loop {
                    let Some(skip) = bytes[i..].iter().position(|&b| b == b'"') else {
                        return;
                    };
                    i += skip + 1;
                    if bytes.get(i) == Some(&b',') && bytes.get(i + 1) == Some(&b'"') {
                        i += 2;
                    } else {
                        self.state = QuoteInQuoted;
                        break;
                    }
                },
                Unquoted => loop {
                    let Some(skip) = bytes[i..].iter().position(|&b| matches!(b, b',' | b'\n' | b'\r')) else {
                        return;
                    };
                    i += skip;
                    if bytes[i] == b',' && bytes.get(i + 1).is_some_and(|b| !matches!(b, b'"' | b',' | b'\n' | b'\r')) {
                        i += 2;
                    } else {
                        break;
                    }
                },
                _ => {}
            }
            let Some(&b) = bytes.get(i) else {
                return;
            };
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
    use crate::sheet::{Cell, CollectRows, Trickle};

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
