//! CSV, streamed record by record.

use super::{Flow, PROGRESS_EVERY, Progress, RowSink, TextRow};
use crate::IngestError;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::Read;
use std::rc::Rc;
use std::sync::mpsc;

/// Read a CSV file into `sink` as one sheet named "". `total_bytes`, when known, is passed to
/// `progress` with the bytes read so far.
///
/// Rows are numbered as a spreadsheet shows them: a blank line is a row (the csv crate skips
/// blank lines, so a [`RowTracker`] watching the bytes go by numbers the records), and a quoted
/// field spanning lines (a multi-line address) does not add rows.
///
/// The file is read on a thread of its own (the csv crate's records and their row numbers, about
/// half the work of parsing a CQC export) and handed over a batch of records at a time, while
/// this thread gives the rows to `sink`: parsing runs on two cores where it ran on one (issue 18
/// item 1). The records are handed back to be read into again, so none is allocated per row.
pub fn read_csv<R: Read + Send>(
    file: &str,
    reader: R,
    total_bytes: Option<u64>,
    sink: &mut dyn RowSink,
    progress: Progress<'_>,
) -> Result<(), IngestError> {
    std::thread::scope(|scope| {
        let (full, read) = mpsc::sync_channel::<Chunk>(QUEUED_BATCHES);
        let (spare, reuse) = mpsc::channel::<Batch>();
        std::thread::Builder::new()
            .name("csv-reader".to_string())
            .spawn_scoped(scope, move || read_records(file, reader, total_bytes, &full, &reuse))
            .map_err(|e| IngestError::Io { path: file.to_string(), source: e })?;
        take_records(file, total_bytes, sink, progress, &read, &spare)
        // `read` is dropped here, before the scope waits for the reader: a reader still reading
        // (the sink refused a row) finds no one to send to and stops.
    })
}

/// Records read and not yet taken, at most, in batches of [`BATCH_RECORDS`].
const QUEUED_BATCHES: usize = 4;
const BATCH_RECORDS: usize = 256;

/// What the reading thread hands over.
enum Chunk {
    Records(Batch),
    /// The file could not be read on from here; the records before it were handed over.
    Failed(IngestError),
    /// The end of the file: whether the last record ended with a line break, and the bytes read.
    End {
        ended: bool,
        bytes: u64,
    },
}

struct Batch {
    records: Vec<Record>,
    /// Records read into this batch: those past it are spare, from an earlier use.
    filled: usize,
    /// Bytes of the file read when the batch was handed over.
    bytes: u64,
    /// The rows still to come, estimated from the bytes the first rows took (in one batch only).
    expect: Option<usize>,
}

/// A record as the sink is given it: its fields as text, where they end, and how many are left
/// once trailing blank ones are left out (none: no row).
#[derive(Default)]
struct Record {
    row: u64,
    record: ::csv::StringRecord,
    /// Where the first field starts (after any byte-order marks).
    start: usize,
    ends: Vec<usize>,
    width: usize,
}

impl Batch {
    fn new() -> Batch {
        Batch { records: Vec::with_capacity(BATCH_RECORDS), filled: 0, bytes: 0, expect: None }
    }
}

/// The reading thread: the file's records with their row numbers, in batches.
fn read_records<R: Read>(file: &str, reader: R, total_bytes: Option<u64>, out: &mpsc::SyncSender<Chunk>, reuse: &mpsc::Receiver<Batch>) {
    let tracker = Rc::new(RefCell::new(RowTracker::default()));
    let watched = WatchedReader { inner: reader, tracker: Rc::clone(&tracker) };
    let mut rdr = ::csv::ReaderBuilder::new().has_headers(false).flexible(true).buffer_capacity(1 << 16).from_reader(watched);
    let mut records: u64 = 0;
    let mut batch = Batch::new();
    let failed = loop {
        if batch.filled == batch.records.len() {
            batch.records.push(Record::default());
        }
        let slot = &mut batch.records[batch.filled];
        // A record that is not UTF-8 is refused with the line where it began, as the csv crate's
        // text records report it, and so is one whose field boundaries split a character.
        match rdr.read_record(&mut slot.record) {
            Ok(true) => {}
            Ok(false) => break None,
            Err(e) => break Some(csv_error(file, e)),
        }
        records += 1;
        slot.row = tracker.borrow_mut().rows.pop_front().unwrap_or(records);
        slot.ends.clear();
        let mut end = 0;
        for field in slot.record.iter() {
            end += field.len();
            slot.ends.push(end);
        }
        let text = slot.record.as_slice();
        slot.start = if records == 1 { text.len() - text.trim_start_matches('\u{feff}').len() } else { 0 };
        slot.start = slot.start.min(slot.ends.first().copied().unwrap_or(0));
        // Trailing blank cells are left out, and a row of blank cells is no row.
        slot.width = TextRow::new(text, slot.start, &slot.ends).map_or(0, |fields| {
            (0..fields.len()).rev().find(|&i| fields.get(i).is_some_and(|f| !f.trim().is_empty())).map_or(0, |i| i + 1)
        });
        batch.filled += 1;
        if records == ESTIMATE_AFTER
            && let Some(total) = total_bytes
        {
            let read = rdr.position().byte().max(1);
            let to_come = total.saturating_sub(read).saturating_mul(records) / read;
            // However short the first rows, a row worth keeping takes a hundred bytes or so.
            batch.expect = Some(usize::try_from(to_come.min(total / 100)).unwrap_or(0));
        }
        if batch.filled == BATCH_RECORDS {
            batch.bytes = tracker.borrow().bytes;
            let next = reuse.try_recv().unwrap_or_else(|_| Batch::new());
            if out.send(Chunk::Records(std::mem::replace(&mut batch, next))).is_err() {
                return;
            }
            batch.filled = 0;
            batch.expect = None;
        }
    };
    if batch.filled > 0 {
        batch.bytes = tracker.borrow().bytes;
        if out.send(Chunk::Records(batch)).is_err() {
            return;
        }
    }
    let last = match failed {
        Some(e) => Chunk::Failed(e),
        None => {
            let t = tracker.borrow();
            Chunk::End { ended: matches!(t.state, TrackState::RecordStart | TrackState::AfterCr), bytes: t.bytes }
        }
    };
    // The taker may have stopped meanwhile; it has its own error then.
    let _ = out.send(last);
}

/// This thread: each record's fields as text, to the sink, in the order the file holds them.
fn take_records(
    file: &str,
    total_bytes: Option<u64>,
    sink: &mut dyn RowSink,
    progress: Progress<'_>,
    read: &mpsc::Receiver<Chunk>,
    spare: &mpsc::Sender<Batch>,
) -> Result<(), IngestError> {
    // Each row's fields are handed to the sink borrowed from its record, never copied: a copy
    // per field was a fifth of parsing a CQC export.
    let mut records: u64 = 0;
    let mut skipping = false;
    // Whether the last record was a data row, and its row number.
    let mut last_is_data = false;
    let mut last_row = 0;
    sink.start_sheet("");
    let bytes = loop {
        let mut batch = match read.recv() {
            Ok(Chunk::Records(batch)) => batch,
            Ok(Chunk::Failed(e)) => return Err(e),
            Ok(Chunk::End { ended, bytes }) => {
                // A download cut off mid-row ends without a line break. CQC's files, and the CSV
                // that spreadsheets save, end every row with one; a cut can fall inside the last
                // column (the 18-column directory ends with the provider's name), where no field
                // count shows it. So a file whose last data row is unterminated is refused whole:
                // nothing from it is used.
                if !ended && last_is_data {
                    return Err(IngestError::Truncated { file: file.to_string(), row: last_row });
                }
                break bytes;
            }
            // The reader never leaves without saying how the file ended, unless it panicked,
            // which the scope passes on.
            Err(_) => return Err(IngestError::Csv { file: file.to_string(), detail: "the file's reading stopped part-way".to_string() }),
        };
        if let Some(rows) = batch.expect.take() {
            sink.expect_rows(rows);
        }
        for Record { row, record, start, ends, width } in &batch.records[..batch.filled] {
            records += 1;
            if skipping {
                continue;
            }
            last_is_data = sink.record_width(record.len());
            last_row = *row;
            if *width > 0 {
                // Bounds of a UTF-8 record's fields fall on characters: never refused here.
                let not_utf8 = || IngestError::NotUtf8 { file: file.to_string(), line: record.position().map(|p| p.line()).unwrap_or(0) };
                let fields = TextRow::new(record.as_slice(), *start, &ends[..*width]).ok_or_else(not_utf8)?;
                if sink.text_row(*row, fields)? == Flow::SkipSheet {
                    skipping = true;
                }
            }
            if records.is_multiple_of(PROGRESS_EVERY) {
                progress(batch.bytes, total_bytes);
            }
        }
        batch.filled = 0;
        // The reader has finished with it when it is gone: nothing to hand back to.
        let _ = spare.send(batch);
    };
    sink.end_sheet();
    progress(bytes, total_bytes);
    Ok(())
}

/// After this many records, the rows still to come are estimated from the bytes they took.
const ESTIMATE_AFTER: u64 = 1_000;

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
            self.step(b);
        }
    }

    /// One byte through the CSV grammar: what [`RowTracker::feed`] does where it does not skip.
    fn step(&mut self, b: u8) {
        use TrackState::*;
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
        let read = |reader: &mut (dyn Read + Send)| {
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

    proptest::proptest! {
        /// Skipping through fields numbers rows as stepping through every byte does, however
        /// the bytes arrive.
        #[test]
        fn skipping_numbers_rows_as_stepping_every_byte(text in "[a,\"\r\n]{0,80}", chunk in 1usize..9) {
            let mut skipping = RowTracker::default();
            for piece in text.as_bytes().chunks(chunk) {
                skipping.feed(piece);
            }
            let mut stepping = RowTracker::default();
            for &b in text.as_bytes() {
                stepping.step(b);
            }
            proptest::prop_assert_eq!(
                (skipping.rows_used, skipping.rows, skipping.state),
                (stepping.rows_used, stepping.rows, stepping.state)
            );
        }
    }

    #[test]
    fn not_utf8_is_a_file_error_with_its_line() {
        let bytes: &[u8] = b"Name,Town\nCaf\xe9,Oldham\n";
        let mut sink = CollectRows::default();
        let err = read_csv("t.csv", bytes, None, &mut sink, &mut |_, _| {});
        assert!(matches!(err, Err(IngestError::NotUtf8 { line: 2, .. })), "{err:?}");
    }

    /// The file is read on a thread of its own and handed over in batches: rows far into a file,
    /// across many batches, keep their numbers and their text.
    #[test]
    fn rows_keep_their_numbers_and_text_across_many_batches() {
        let mut text = String::from("Name,Address,Postcode\r\n");
        let mut expected: Vec<(u64, Vec<String>)> = vec![(1, vec!["Name".into(), "Address".into(), "Postcode".into()])];
        let mut line = 1;
        for i in 0..2_000u64 {
            // A blank line now and then is a row of its own; a multi-line address is one row.
            if i % 7 == 3 {
                text.push_str("\r\n");
                line += 1;
            }
            line += 1;
            let address = if i % 11 == 5 { format!("{i} Road\nTown") } else { format!("{i} Road") };
            text.push_str(&format!("Home {i},\"{address}\",OL{} 1AA\r\n", i % 9));
            expected.push((line, vec![format!("Home {i}"), address, format!("OL{} 1AA", i % 9)]));
        }
        let mut sink = CollectRows::default();
        read_csv("t.csv", text.as_bytes(), Some(text.len() as u64), &mut sink, &mut |_, _| {}).expect("read");
        let rows: Vec<(u64, Vec<String>)> = sink.rows.iter().map(|(_, r, c)| (*r, c.iter().map(Cell::as_text).collect())).collect();
        assert_eq!(rows.len(), expected.len());
        assert_eq!(rows, expected);
    }

    #[test]
    fn not_utf8_far_into_a_file_is_refused_with_its_line_after_the_rows_before_it() {
        let mut bytes = b"Name,Town\n".to_vec();
        for i in 0..1_500 {
            bytes.extend_from_slice(format!("Home {i},Oldham\n").as_bytes());
        }
        bytes.extend_from_slice(b"Caf\xe9,Oldham\n");
        for i in 0..600 {
            bytes.extend_from_slice(format!("Home {i},Bury\n").as_bytes());
        }
        let mut sink = CollectRows::default();
        let err = read_csv("t.csv", bytes.as_slice(), None, &mut sink, &mut |_, _| {});
        // The header, then 1,500 rows: the bad one is line 1,502.
        assert!(matches!(err, Err(IngestError::NotUtf8 { line: 1_502, .. })), "{err:?}");
        assert_eq!(sink.rows.len(), 1_501, "every row before the bad one was read, none after");
    }

    /// A sink that refuses a row ends the reading: the reader, part-way through a long file on
    /// its own thread, stops rather than leaving `read_csv` waiting for it.
    #[test]
    fn a_sink_that_refuses_a_row_stops_the_reading() {
        struct RefuseAt(u64, u64);
        impl RowSink for RefuseAt {
            fn start_sheet(&mut self, _: &str) {}
            fn row(&mut self, row: u64, _: &[Cell]) -> Result<Flow, IngestError> {
                self.1 += 1;
                if row == self.0 { Err(IngestError::Empty { file: format!("row {row}") }) } else { Ok(Flow::Continue) }
            }
            fn end_sheet(&mut self) {}
        }
        let text: String = (0..100_000).map(|i| format!("Home {i},Oldham\n")).collect();
        let mut sink = RefuseAt(300, 0);
        let err = read_csv("t.csv", text.as_bytes(), None, &mut sink, &mut |_, _| {});
        assert!(matches!(&err, Err(IngestError::Empty { file }) if file == "row 300"), "{err:?}");
        assert_eq!(sink.1, 300, "no row after the refused one reached the sink");
    }
}
