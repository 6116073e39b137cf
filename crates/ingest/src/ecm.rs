//! Reading the two files of an ECM reconciliation (issue 11 item 7): the planned visits and the
//! electronic call monitoring export, each a CSV with a header, streamed row by row into the
//! compact sets of [`caremarket_core::ecm`], which holds the rules.
//!
//! A row that cannot be read (wrong number of fields, a timestamp not in the form
//! `YYYY-MM-DDTHH:MM:SS`, minutes that are not a whole number, ...) stops the run with the file,
//! its row number (the header is row 1, and blank lines count, as in a spreadsheet) and the column: the rules cannot be applied to part of
//! a plan, so nothing is reconciled and nothing is written. The command line and the web upload
//! both call [`reconcile_files`] or [`reconcile_bytes`].

use caremarket_core::ecm::{
    ACTUAL_COLUMNS, Actual, ActualRow, ActualSet, Options, PLANNED_COLUMNS, PeriodFigures, Planned, PlannedSet, PlannedVisit, RECORD_BYTES,
    Ranks, ReconcileError, Tally, parse_timestamp, reconcile,
};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Why the files could not be reconciled. Every message names the file and, for a row, its line
/// and column.
#[derive(Debug, thiserror::Error)]
pub enum EcmError {
    #[error("could not read '{file}': {cause}")]
    Io { file: String, cause: std::io::Error },
    #[error("'{file}' has no header row: the first line must name the columns {expected}")]
    NoHeader { file: String, expected: String },
    #[error("'{file}': the header row must name the columns {expected}; missing {missing}")]
    MissingColumns { file: String, expected: String, missing: String },
    /// `byte` is where the row starts in the file (the line is counted from it).
    #[error("'{file}' row {line}, {field}: {message}")]
    Row { file: String, line: u64, byte: u64, field: String, message: String },
    #[error("'{file}' row {line}: {message}")]
    Line { file: String, line: u64, byte: u64, message: String },
    #[error("'{file}': visit_id {visit_id} is planned more than once (rows {lines}); each planned visit needs its own id")]
    DuplicatePlanned { file: String, visit_id: i64, lines: String },
}

impl EcmError {
    /// The line of the file the problem is on, when it is one line.
    pub fn line(&self) -> Option<u64> {
        match self {
            EcmError::Row { line, .. } | EcmError::Line { line, .. } => Some(*line),
            _ => None,
        }
    }
    /// The same error with its line counted from the start of `source` (the file it came from):
    /// the CSV reader's own count leaves out blank lines.
    fn with_line_from<R: Read>(mut self, source: R) -> EcmError {
        if let EcmError::Row { line, byte, .. } | EcmError::Line { line, byte, .. } = &mut self
            && let Some(l) = line_at(source, *byte)
        {
            *line = l;
        }
        self
    }
    /// The column at fault, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            EcmError::Row { field, .. } => Some(field),
            _ => None,
        }
    }
}

/// Where each named column is in the file.
fn positions<const N: usize>(headers: &csv::ByteRecord, columns: [&str; N], file: &str) -> Result<[usize; N], EcmError> {
    let expected = columns.join(", ");
    if headers.is_empty() || (headers.len() == 1 && headers[0].is_empty()) {
        return Err(EcmError::NoHeader { file: file.into(), expected });
    }
    let mut out = [0usize; N];
    let mut missing = Vec::new();
    for (slot, name) in out.iter_mut().zip(columns) {
        match headers.iter().position(|h| String::from_utf8_lossy(h).trim().eq_ignore_ascii_case(name)) {
            Some(p) => *slot = p,
            None => missing.push(name),
        }
    }
    if missing.is_empty() { Ok(out) } else { Err(EcmError::MissingColumns { file: file.into(), expected, missing: missing.join(", ") }) }
}

/// The line (from 1) that byte `byte` of `source` is on.
fn line_at<R: Read>(source: R, byte: u64) -> Option<u64> {
    lines_at(source, &[byte]).first().copied()
}

/// The lines (from 1) that the bytes `offsets` (ascending) of `source` are on, a blank line at
/// an offset being passed over (the CSV reader gives a row's offset before the blank lines it
/// skips).
fn lines_at<R: Read>(mut source: R, offsets: &[u64]) -> Vec<u64> {
    let mut out = Vec::with_capacity(offsets.len());
    let mut line = 1u64;
    let mut pos = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    let mut next = offsets.iter().peekable();
    'read: loop {
        let n = match source.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for &b in &buf[..n] {
            while b != b'\n' && b != b'\r' && next.peek().is_some_and(|o| **o <= pos) {
                out.push(line);
                next.next();
            }
            if next.peek().is_none() {
                break 'read;
            }
            if b == b'\n' {
                line += 1;
            }
            pos += 1;
        }
    }
    out.extend(next.map(|_| line));
    out
}

fn reader<R: Read>(r: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new().has_headers(true).flexible(true).buffer_capacity(1 << 16).from_reader(r)
}

fn csv_error(e: csv::Error, file: &str) -> EcmError {
    let (line, byte) = e.position().map(|p| (p.line(), p.byte())).unwrap_or((0, 0));
    match e.into_kind() {
        csv::ErrorKind::Io(cause) => EcmError::Io { file: file.into(), cause },
        other => EcmError::Line { file: file.into(), line, byte, message: format!("could not be read as CSV ({other:?})") },
    }
}

/// One row being read: the file, its line, and a field error builder.
struct Row<'a> {
    file: &'a str,
    line: u64,
    rec: &'a csv::ByteRecord,
}

impl Row<'_> {
    fn error(&self, field: &str, message: String) -> EcmError {
        EcmError::Row { file: self.file.into(), line: self.line, byte: self.byte(), field: field.into(), message }
    }
    fn byte(&self) -> u64 {
        self.rec.position().map(|p| p.byte()).unwrap_or(0)
    }
    fn get(&self, pos: usize) -> &[u8] {
        self.rec.get(pos).unwrap_or(b"")
    }
    fn shown(&self, pos: usize) -> String {
        let text = String::from_utf8_lossy(self.get(pos)).into_owned();
        if text.chars().count() > 40 { format!("{}…", text.chars().take(40).collect::<String>()) } else { text }
    }
    fn integer(&self, pos: usize, field: &str) -> Result<i64, EcmError> {
        parse_integer(self.get(pos)).ok_or_else(|| self.error(field, format!("'{}' is not a whole number", self.shown(pos))))
    }
    fn count(&self, pos: usize, field: &str, min: u32) -> Result<u32, EcmError> {
        let v = self.integer(pos, field)?;
        u32::try_from(v)
            .ok()
            .filter(|v| *v >= min)
            .ok_or_else(|| self.error(field, format!("'{}' must be a whole number from {min} to {}", self.shown(pos), u32::MAX)))
    }
    fn timestamp(&self, pos: usize, field: &str) -> Result<caremarket_core::ecm::Timestamp, EcmError> {
        parse_timestamp(self.get(pos))
            .ok_or_else(|| self.error(field, format!("'{}' is not a date and time in the form YYYY-MM-DDTHH:MM:SS", self.shown(pos))))
    }
    fn provider(&self, pos: usize) -> Result<&[u8], EcmError> {
        let p = self.get(pos);
        if p.is_empty() {
            return Err(self.error("provider_id", "is blank: every row needs the provider's id".into()));
        }
        if p.iter().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n')) {
            return Err(self
                .error("provider_id", format!("'{}' holds a comma, quote or line break, which the report cannot show", self.shown(pos))));
        }
        Ok(p)
    }
}

/// A whole number in ASCII digits with an optional sign; `None` for anything else or outside
/// the range of `i64`.
pub fn parse_integer(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut v: i64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_sub(i64::from(b - b'0'))?;
    }
    if neg { Some(v) } else { v.checked_neg() }
}

fn check_length(row: &Row<'_>, expected: usize) -> Result<(), EcmError> {
    if row.rec.len() != expected {
        return Err(EcmError::Line {
            file: row.file.into(),
            line: row.line,
            byte: row.byte(),
            message: format!("has {} fields; the header row has {expected}", row.rec.len()),
        });
    }
    Ok(())
}

/// How often (in rows) the progress callback is told how many bytes were read.
const PROGRESS_EVERY: u64 = 1 << 16;

/// Read the planned visits: visit_id, person_ref, provider_id, planned_start, planned_minutes,
/// carers, rate_pence_per_hour (columns found by their header names, in any order).
/// `size_hint` is the file's length in bytes, if known; `progress` is told of bytes read.
pub fn read_planned<R: Read>(r: R, file: &str, size_hint: u64, progress: &(dyn Fn(u64) + Sync)) -> Result<PlannedSet, EcmError> {
    read_planned_to(r, file, size_hint, progress, None)
}

fn read_planned_to<R: Read>(
    r: R,
    file: &str,
    size_hint: u64,
    progress: &(dyn Fn(u64) + Sync),
    mut spill: Option<&mut Spill>,
) -> Result<PlannedSet, EcmError> {
    let mut rdr = reader(r);
    let headers = rdr.byte_headers().map_err(|e| csv_error(e, file))?.clone();
    let [id, _person, provider, start, minutes, carers, rate] = positions(&headers, PLANNED_COLUMNS, file)?;
    // The shortest possible row ("1,,P,2025-04-07T08:00:00,0,1,0\n") is 31 bytes.
    let reserve = if spill.is_some() { 0 } else { usize::try_from(size_hint / 31).unwrap_or(0).min(1 << 31) };
    let mut set = PlannedSet::with_capacity(reserve);
    let mut rec = csv::ByteRecord::new();
    let (mut rows, mut told) = (0u64, 0u64);
    while rdr.read_byte_record(&mut rec).map_err(|e| csv_error(e, file))? {
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let row = Row { file, line, rec: &rec };
        check_length(&row, headers.len())?;
        let visit_id = row.integer(id, "visit_id")?;
        let provider_id = row.provider(provider)?;
        let planned_start = row.timestamp(start, "planned_start")?;
        let planned_minutes = row.count(minutes, "planned_minutes", 0)?;
        let carers = row.count(carers, "carers", 1)?;
        let rate_pence_per_hour = row.count(rate, "rate_pence_per_hour", 0)?;
        let visit = set.compact(PlannedVisit { visit_id, provider_id, planned_start, planned_minutes, carers, rate_pence_per_hour });
        match spill.as_deref_mut() {
            Some(spill) => spill.write(visit.visit_id(), &visit.to_bytes())?,
            None => set.keep(visit),
        }
        rows += 1;
        if rows.is_multiple_of(PROGRESS_EVERY) {
            let at = rec.position().map(|p| p.byte()).unwrap_or(told);
            progress(at.saturating_sub(told));
            told = at;
        }
    }
    progress(size_hint.saturating_sub(told));
    Ok(set)
}

/// Read the ECM export: visit_id (blank for a visit never planned), provider_id, person_ref,
/// actual_start, actual_end (columns found by their header names, in any order).
pub fn read_actual<R: Read>(r: R, file: &str, size_hint: u64, progress: &(dyn Fn(u64) + Sync)) -> Result<ActualSet, EcmError> {
    read_actual_to(r, file, size_hint, progress, None)
}

fn read_actual_to<R: Read>(
    r: R,
    file: &str,
    size_hint: u64,
    progress: &(dyn Fn(u64) + Sync),
    mut spill: Option<&mut Spill>,
) -> Result<ActualSet, EcmError> {
    let mut rdr = reader(r);
    let headers = rdr.byte_headers().map_err(|e| csv_error(e, file))?.clone();
    let [id, provider, person, start, end] = positions(&headers, ACTUAL_COLUMNS, file)?;
    // The shortest possible row (",P,,2025-04-07T08:00:00,2025-04-07T08:00:00\n") is 44 bytes.
    let reserve = if spill.is_some() { 0 } else { usize::try_from(size_hint / 44).unwrap_or(0).min(1 << 31) };
    let mut set = ActualSet::with_capacity(reserve);
    let mut rec = csv::ByteRecord::new();
    let (mut rows, mut told) = (0u64, 0u64);
    while rdr.read_byte_record(&mut rec).map_err(|e| csv_error(e, file))? {
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let row = Row { file, line, rec: &rec };
        check_length(&row, headers.len())?;
        let raw_id = row.get(id);
        let visit_id = if raw_id.iter().all(|b| *b == b' ') { None } else { Some(row.integer(id, "visit_id")?) };
        let provider_id = row.provider(provider)?;
        let person_ref = row.get(person);
        let actual_start = row.timestamp(start, "actual_start")?;
        let actual_end = row.timestamp(end, "actual_end")?;
        let row = set.compact(ActualRow { visit_id, provider_id, person_ref, actual_start, actual_end });
        match (visit_id, spill.as_deref_mut()) {
            (Some(id), Some(spill)) => spill.write(id, &row.to_bytes())?,
            (id, _) => set.keep(row, id.is_none()),
        }
        rows += 1;
        if rows.is_multiple_of(PROGRESS_EVERY) {
            let at = rec.position().map(|p| p.byte()).unwrap_or(told);
            progress(at.saturating_sub(told));
            told = at;
        }
    }
    progress(size_hint.saturating_sub(told));
    Ok(set)
}

/// Where the rows of the planned file holding `visit_id` start (to name their lines when it is
/// planned twice).
fn lines_of_visit<R: Read>(r: R, visit_id: i64) -> Vec<u64> {
    let mut rdr = reader(r);
    let Ok(headers) = rdr.byte_headers().cloned() else { return Vec::new() };
    let Ok([id, ..]) = positions(&headers, PLANNED_COLUMNS, "") else { return Vec::new() };
    let mut rec = csv::ByteRecord::new();
    let mut lines = Vec::new();
    while let Ok(true) = rdr.read_byte_record(&mut rec) {
        if rec.get(id).and_then(parse_integer) == Some(visit_id) {
            lines.push(rec.position().map(|p| p.byte()).unwrap_or(0));
        }
    }
    lines
}

fn duplicate(file: &str, visit_id: i64, lines: Vec<u64>) -> EcmError {
    let lines = lines.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(", ");
    EcmError::DuplicatePlanned { file: file.into(), visit_id, lines }
}

fn file_name(path: &Path) -> String {
    path.display().to_string()
}

fn open(path: &Path) -> Result<(File, u64), EcmError> {
    let f = File::open(path).map_err(|cause| EcmError::Io { file: file_name(path), cause })?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    Ok((f, len))
}

/// The total size of the two files, for a progress bar.
pub fn total_bytes(planned: &Path, actual: &Path) -> u64 {
    [planned, actual].iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum()
}

/// Inputs up to this size (both files together) are reconciled in memory; larger ones are
/// split by visit id into parts on disk first, so memory stays near one part's rows.
pub const IN_MEMORY_BYTES: u64 = 192 << 20;
/// Rows (planned visits and ECM rows together) aimed at in one part.
const PART_ROWS: u64 = 2_000_000;

/// Compact records split by visit id into part files in a folder of their own, removed when
/// dropped.
struct Spill {
    dir: PathBuf,
    prefix: &'static str,
    parts: Vec<std::io::BufWriter<File>>,
}

impl Spill {
    fn new(dir: &Path, prefix: &'static str, parts: u64) -> Result<Spill, EcmError> {
        let mut files = Vec::new();
        for k in 0..parts {
            let path = dir.join(format!("{prefix}-{k}.bin"));
            let f = File::create(&path).map_err(|cause| EcmError::Io { file: path.display().to_string(), cause })?;
            files.push(std::io::BufWriter::with_capacity(1 << 16, f));
        }
        Ok(Spill { dir: dir.to_path_buf(), prefix, parts: files })
    }
    fn part_of(visit_id: i64, parts: usize) -> usize {
        let h = (visit_id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
        (h % parts.max(1) as u64) as usize
    }
    fn write(&mut self, visit_id: i64, record: &[u8; RECORD_BYTES]) -> Result<(), EcmError> {
        use std::io::Write;
        let k = Spill::part_of(visit_id, self.parts.len());
        let dir = &self.dir;
        match self.parts.get_mut(k) {
            Some(w) => w.write_all(record).map_err(|cause| EcmError::Io { file: dir.display().to_string(), cause }),
            None => Ok(()),
        }
    }
    fn finish(&mut self) -> Result<(), EcmError> {
        use std::io::Write;
        for w in &mut self.parts {
            w.flush().map_err(|cause| EcmError::Io { file: self.dir.display().to_string(), cause })?;
        }
        self.parts.clear();
        Ok(())
    }
    /// The records of part `k`, the file removed.
    fn read_part<T>(&self, k: u64, decode: fn(&[u8; RECORD_BYTES]) -> T) -> Result<Vec<T>, EcmError> {
        let path = self.dir.join(format!("{}-{k}.bin", self.prefix));
        let io = |cause| EcmError::Io { file: path.display().to_string(), cause };
        let f = File::open(&path).map_err(io)?;
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let mut out = Vec::with_capacity(usize::try_from(len / RECORD_BYTES as u64).unwrap_or(0));
        let mut r = std::io::BufReader::with_capacity(1 << 16, f);
        let mut buf = [0u8; RECORD_BYTES];
        loop {
            match r.read_exact(&mut buf) {
                Ok(()) => out.push(decode(&buf)),
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(io(e)),
            }
        }
        let _ = std::fs::remove_file(&path);
        Ok(out)
    }
}

/// A new folder under the system's temporary folder, removed with everything in it when dropped.
struct WorkDir(PathBuf);

impl WorkDir {
    fn new() -> Result<WorkDir, EcmError> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("caremarket-ecm-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|cause| EcmError::Io { file: dir.display().to_string(), cause })?;
        Ok(WorkDir(dir))
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Reconcile two files: both are read at once (one thread each), then the rules are applied.
/// Files larger than [`IN_MEMORY_BYTES`] together are first split by visit id into parts in a
/// temporary folder (`TMPDIR`), each part then reconciled in turn, so memory is bounded by a
/// part rather than the files. `progress` is told of bytes read from either file.
pub fn reconcile_files(
    planned: &Path,
    actual: &Path,
    options: &Options,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<PeriodFigures>, EcmError> {
    let plen = std::fs::metadata(planned).map(|m| m.len()).unwrap_or(0);
    let alen = std::fs::metadata(actual).map(|m| m.len()).unwrap_or(0);
    // Rows estimated from typical line lengths; the parts only need to be roughly even.
    let parts = if plen + alen <= IN_MEMORY_BYTES { 1 } else { (plen / 50 + alen / 65) / PART_ROWS + 1 };
    reconcile_files_in_parts(planned, actual, options, progress, parts)
}

/// [`reconcile_files`] in `parts` parts by visit id (1: all in memory, no temporary files).
pub fn reconcile_files_in_parts(
    planned: &Path,
    actual: &Path,
    options: &Options,
    progress: &(dyn Fn(u64) + Sync),
    parts: u64,
) -> Result<Vec<PeriodFigures>, EcmError> {
    let (pf, plen) = open(planned)?;
    let (af, alen) = open(actual)?;
    let (pname, aname) = (file_name(planned), file_name(actual));
    let work = if parts > 1 { Some(WorkDir::new()?) } else { None };
    let mut spills = match &work {
        Some(w) => Some((Spill::new(&w.0, "planned", parts)?, Spill::new(&w.0, "actual", parts)?)),
        None => None,
    };
    let (ps, as_) = match spills.as_mut() {
        Some((a, b)) => (Some(a), Some(b)),
        None => (None, None),
    };
    let (p, a) = std::thread::scope(|s| {
        let a = s.spawn(|| read_actual_to(af, &aname, alen, progress, as_));
        let p = read_planned_to(pf, &pname, plen, progress, ps);
        let a = a.join().unwrap_or_else(|_| {
            Err(EcmError::Line { file: aname.clone(), line: 0, byte: 0, message: "the reader stopped unexpectedly".into() })
        });
        (p, a)
    });
    let p = p.map_err(|e| match File::open(planned) {
        Ok(f) => e.with_line_from(f),
        Err(_) => e,
    })?;
    let mut a = a.map_err(|e| match File::open(actual) {
        Ok(f) => e.with_line_from(f),
        Err(_) => e,
    })?;
    let duplicate_in_plan = |ReconcileError::DuplicatePlannedVisit { visit_id }| {
        let bytes = File::open(planned).map(|f| lines_of_visit(f, visit_id)).unwrap_or_default();
        let lines = File::open(planned).map(|f| lines_at(f, &bytes)).unwrap_or_default();
        duplicate(&pname, visit_id, lines)
    };
    let Some((mut plan_spill, mut row_spill)) = spills else {
        return reconcile(p, a, options).map_err(duplicate_in_plan);
    };
    plan_spill.finish()?;
    row_spill.finish()?;
    let ranks = Ranks::new(&p, &a);
    let mut tally = Tally::new(*options);
    let mut blanks = a.take_blank_rows();
    drop((p, a));
    tally.add_blank_rows(&ranks, &mut blanks);
    drop(blanks);
    for k in 0..parts {
        let mut plan = plan_spill.read_part(k, Planned::from_bytes)?;
        let mut rows = row_spill.read_part(k, Actual::from_bytes)?;
        tally.add_visits(&ranks, &mut plan, &mut rows).map_err(duplicate_in_plan)?;
    }
    drop(work);
    Ok(tally.finish(&ranks))
}

/// Reconcile two files already in memory (the web upload), named as the officer's files were.
pub fn reconcile_bytes(
    planned: &[u8],
    planned_name: &str,
    actual: &[u8],
    actual_name: &str,
    options: &Options,
) -> Result<Vec<PeriodFigures>, EcmError> {
    let none = |_| {};
    let p = read_planned(planned, planned_name, planned.len() as u64, &none).map_err(|e| e.with_line_from(planned))?;
    let a = read_actual(actual, actual_name, actual.len() as u64, &none).map_err(|e| e.with_line_from(actual))?;
    reconcile(p, a, options).map_err(|ReconcileError::DuplicatePlannedVisit { visit_id }| {
        duplicate(planned_name, visit_id, lines_at(planned, &lines_of_visit(planned, visit_id)))
    })
}

pub use caremarket_core::ecm::Detail as EcmDetail;

/// The optional column of the ECM export naming the care worker by the ECM system's code.
pub const CARE_WORKER_COLUMN: &str = "care_worker_ref";

/// The optional column of the planned visits saying a visit is at an Extra Care scheme: `yes`,
/// `no`, `true`, `false`, `1`, `0` or blank (no).
pub const EXTRA_CARE_COLUMN: &str = "extra_care";

fn extra_care_value(v: &[u8]) -> Option<bool> {
    match String::from_utf8_lossy(v).trim().to_ascii_lowercase().as_str() {
        "" | "no" | "false" | "0" | "n" => Some(false),
        "yes" | "true" | "1" | "y" => Some(true),
        _ => None,
    }
}

/// Whether a care worker reference is a code (letters, digits, `-`, `_`, `.`, `/`, 1 to 20
/// characters): a space or any other character reads like a name, which is never kept.
pub fn is_worker_code(s: &[u8]) -> bool {
    (1..=20).contains(&s.len()) && s.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
}

/// Read both files (already in memory) for the database import: [`read_detail_from`] on the
/// bytes. The demo data, the store's tests and the fuzz target `ecm_detail` call this.
pub fn read_detail(
    planned: &[u8],
    planned_name: &str,
    actual: &[u8],
    actual_name: &str,
    progress: &(dyn Fn(u8) + Sync),
) -> Result<EcmDetail, EcmError> {
    read_detail_from(std::io::Cursor::new(planned), planned_name, std::io::Cursor::new(actual), actual_name, progress)
}

/// Read both files for the database import (the web upload's temporary files, the command line's
/// files): rows checked as [`reconcile_bytes`] checks them, the person of every planned visit,
/// the care worker code of every ECM row that has one (refusing anything that looks like a name),
/// and where each provider id first appears. `progress` is told the share of bytes read so far,
/// 0 to 100.
///
/// Each file is read from its start whatever its position (a file just written is at its end),
/// through the CSV reader's own 64 KiB buffer into one reused record, so memory holds the rows'
/// checked fields (the compact sets of [`EcmDetail`], about 32 bytes a row, with each visit's
/// person and each row's worker code) and never the file. A file is read again from its start
/// only to name lines: the row of an error (blank lines counted), the rows of a visit planned
/// twice, and, once for each file at the end, the row where each provider first appears.
pub fn read_detail_from<P: Read + Seek, A: Read + Seek>(
    mut planned: P,
    planned_name: &str,
    mut actual: A,
    actual_name: &str,
    progress: &(dyn Fn(u8) + Sync),
) -> Result<EcmDetail, EcmError> {
    use std::collections::BTreeMap;
    let plen = rewind(&mut planned, planned_name)?;
    let alen = rewind(&mut actual, actual_name)?;
    let total = plen.saturating_add(alen).max(1);
    let mut d = EcmDetail::default();
    let mut first: BTreeMap<String, (bool, u64)> = BTreeMap::new();
    let tell = |at: u64| progress(u8::try_from(at.min(total) * 100 / total).unwrap_or(100));

    match read_planned_detail(&mut planned, planned_name, &mut d, &mut first, &tell) {
        Ok(()) => {}
        Err(DetailError::Header(e)) => return Err(e),
        Err(DetailError::Row(e)) => return Err(relined(e, &mut planned)),
        Err(DetailError::Duplicate(visit_id)) => {
            let bytes = match rewind(&mut planned, planned_name) {
                Ok(_) => lines_of_visit(&mut planned, visit_id),
                Err(_) => Vec::new(),
            };
            let lines = match rewind(&mut planned, planned_name) {
                Ok(_) => lines_at(&mut planned, &bytes),
                Err(_) => Vec::new(),
            };
            return Err(duplicate(planned_name, visit_id, lines));
        }
    }
    match read_actual_detail(&mut actual, actual_name, plen, &mut d, &mut first, &tell) {
        Ok(()) => {}
        Err(DetailError::Header(e)) => return Err(e),
        Err(DetailError::Row(e)) => return Err(relined(e, &mut actual)),
        Err(DetailError::Duplicate(_)) => {}
    }
    tell(total);
    // The line of each provider's first row, one pass over each file for all of them.
    let mut lines_in = |in_plan: bool| -> BTreeMap<u64, u64> {
        let mut offsets: Vec<u64> = first.values().filter(|(p, _)| *p == in_plan).map(|(_, b)| *b).collect();
        offsets.sort_unstable();
        offsets.dedup();
        let lines = if in_plan {
            rewind(&mut planned, planned_name).map(|_| lines_at(&mut planned, &offsets)).unwrap_or_default()
        } else {
            rewind(&mut actual, actual_name).map(|_| lines_at(&mut actual, &offsets)).unwrap_or_default()
        };
        offsets.into_iter().zip(lines).collect()
    };
    let (plan_lines, actual_lines) = (lines_in(true), lines_in(false));
    for (name, (in_plan, byte)) in first {
        let (lines, file) = if in_plan { (&plan_lines, planned_name) } else { (&actual_lines, actual_name) };
        let line = lines.get(&byte).copied().unwrap_or(0);
        d.providers.insert(name, (file.to_string(), line));
    }
    Ok(d)
}

/// Why reading one file of [`read_detail_from`] stopped, before its lines are counted.
enum DetailError {
    /// The header row: reported as it is.
    Header(EcmError),
    /// A row: its line is counted from the file's start.
    Row(EcmError),
    /// A visit id planned twice: its rows are found in the file.
    Duplicate(i64),
}

/// Go back to the start of a file, giving its length.
fn rewind<S: Seek>(source: &mut S, file: &str) -> Result<u64, EcmError> {
    let io = |cause| EcmError::Io { file: file.into(), cause };
    let len = source.seek(SeekFrom::End(0)).map_err(io)?;
    source.seek(SeekFrom::Start(0)).map_err(io)?;
    Ok(len)
}

/// A row's error with its line counted from the start of its file (left as the CSV reader
/// counted it if the file cannot be read again).
fn relined<S: Read + Seek>(e: EcmError, source: &mut S) -> EcmError {
    match source.seek(SeekFrom::Start(0)) {
        Ok(_) => e.with_line_from(source),
        Err(_) => e,
    }
}

fn read_planned_detail<R: Read>(
    source: R,
    planned_name: &str,
    d: &mut EcmDetail,
    first: &mut std::collections::BTreeMap<String, (bool, u64)>,
    tell: &dyn Fn(u64),
) -> Result<(), DetailError> {
    let mut rdr = reader(source);
    let headers = rdr.byte_headers().map_err(|e| DetailError::Header(csv_error(e, planned_name)))?.clone();
    let [id, person, provider, start, minutes, carers, rate] =
        positions(&headers, PLANNED_COLUMNS, planned_name).map_err(DetailError::Header)?;
    let extra_care = headers.iter().position(|h| String::from_utf8_lossy(h).trim().eq_ignore_ascii_case(EXTRA_CARE_COLUMN));
    let mut rec = csv::ByteRecord::new();
    while rdr.read_byte_record(&mut rec).map_err(|e| DetailError::Row(csv_error(e, planned_name)))? {
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let row = Row { file: planned_name, line, rec: &rec };
        let visit = (|| {
            check_length(&row, headers.len())?;
            let person_ref = row.get(person);
            if person_ref.len() > 40 {
                return Err(row.error("person_ref", "is longer than 40 characters: use the case reference".into()));
            }
            let at_extra_care = match extra_care.map(|c| (c, extra_care_value(row.get(c)))) {
                None => false,
                Some((_, Some(b))) => b,
                Some((c, None)) => {
                    return Err(row.error(EXTRA_CARE_COLUMN, format!("'{}' must be yes or no (or blank for no)", row.shown(c))));
                }
            };
            Ok((
                PlannedVisit {
                    visit_id: row.integer(id, "visit_id")?,
                    provider_id: row.provider(provider)?,
                    planned_start: row.timestamp(start, "planned_start")?,
                    planned_minutes: row.count(minutes, "planned_minutes", 0)?,
                    carers: row.count(carers, "carers", 1)?,
                    rate_pence_per_hour: row.count(rate, "rate_pence_per_hour", 0)?,
                },
                person_ref,
                at_extra_care,
            ))
        })()
        .map_err(DetailError::Row)?;
        let (v, person_ref, at_extra_care) = visit;
        if at_extra_care {
            d.extra_care.insert(v.visit_id);
        }
        if d.persons.insert(v.visit_id, String::from_utf8_lossy(person_ref).into_owned()).is_some() {
            return Err(DetailError::Duplicate(v.visit_id));
        }
        first.entry(String::from_utf8_lossy(v.provider_id).into_owned()).or_insert((true, row.byte()));
        d.planned.push(v);
        d.planned_rows += 1;
        if d.planned_rows.is_multiple_of(PROGRESS_EVERY) {
            tell(row.byte());
        }
    }
    Ok(())
}

fn read_actual_detail<R: Read>(
    source: R,
    actual_name: &str,
    planned_len: u64,
    d: &mut EcmDetail,
    first: &mut std::collections::BTreeMap<String, (bool, u64)>,
    tell: &dyn Fn(u64),
) -> Result<(), DetailError> {
    let mut rdr = reader(source);
    let headers = rdr.byte_headers().map_err(|e| DetailError::Header(csv_error(e, actual_name)))?.clone();
    let [id, provider, person, start, end] = positions(&headers, ACTUAL_COLUMNS, actual_name).map_err(DetailError::Header)?;
    let worker = headers.iter().position(|h| String::from_utf8_lossy(h).trim().eq_ignore_ascii_case(CARE_WORKER_COLUMN));
    let mut rec = csv::ByteRecord::new();
    while rdr.read_byte_record(&mut rec).map_err(|e| DetailError::Row(csv_error(e, actual_name)))? {
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let row = Row { file: actual_name, line, rec: &rec };
        let parsed = (|| {
            check_length(&row, headers.len())?;
            let raw_id = row.get(id);
            let visit_id = if raw_id.iter().all(|b| *b == b' ') { None } else { Some(row.integer(id, "visit_id")?) };
            let code = match worker.map(|w| row.get(w)).filter(|w| !w.is_empty()) {
                Some(w) if !is_worker_code(w) => {
                    return Err(row.error(
                        CARE_WORKER_COLUMN,
                        format!(
                            "'{}' is not a care worker code: give the ECM system's code for the worker (letters, digits, - _ . /, up to 20 characters), never a name",
                            row.shown(worker.unwrap_or(0))
                        ),
                    ));
                }
                w => w,
            };
            let person_ref = row.get(person);
            if person_ref.len() > 40 {
                return Err(row.error("person_ref", "is longer than 40 characters: use the case reference".into()));
            }
            Ok((
                ActualRow {
                    visit_id,
                    provider_id: row.provider(provider)?,
                    person_ref,
                    actual_start: row.timestamp(start, "actual_start")?,
                    actual_end: row.timestamp(end, "actual_end")?,
                },
                code,
            ))
        })()
        .map_err(DetailError::Row)?;
        let (a, code) = parsed;
        if let (Some(code), Some(vid)) = (code, a.visit_id) {
            d.workers.entry((vid, a.actual_start.0, a.actual_end.0)).or_insert_with(|| String::from_utf8_lossy(code).into_owned());
        }
        first.entry(String::from_utf8_lossy(a.provider_id).into_owned()).or_insert((false, row.byte()));
        d.actual.push(a);
        d.actual_rows += 1;
        if d.actual_rows.is_multiple_of(PROGRESS_EVERY) {
            tell(planned_len + row.byte());
        }
    }
    Ok(())
}

/// The reconciliation as the CSV of the rules (see [`caremarket_core::ecm::write_csv`]).
pub fn to_csv(figures: &[PeriodFigures]) -> Vec<u8> {
    let mut out = Vec::new();
    caremarket_core::ecm::write_csv(figures, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLANNED: &str = "visit_id,person_ref,provider_id,planned_start,planned_minutes,carers,rate_pence_per_hour\n";
    const ACTUAL: &str = "visit_id,provider_id,person_ref,actual_start,actual_end\n";

    fn run(planned: &str, actual: &str) -> Result<String, EcmError> {
        let f = reconcile_bytes(planned.as_bytes(), "planned.csv", actual.as_bytes(), "actual.csv", &Options::default())?;
        Ok(String::from_utf8(to_csv(&f)).unwrap())
    }

    fn err(planned: &str, actual: &str) -> String {
        run(planned, actual).unwrap_err().to_string()
    }

    proptest::proptest! {
        /// Any bytes at all: a reconciliation or an error naming the file, never a panic.
        #[test]
        fn any_bytes_give_figures_or_an_error(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400), actual_body in "[0-9a-z,:T\\-\n]{0,300}") {
            let mut planned = PLANNED.as_bytes().to_vec();
            planned.extend_from_slice(&body);
            let actual = format!("{ACTUAL}{actual_body}");
            match reconcile_bytes(&planned, "planned.csv", actual.as_bytes(), "actual.csv", &Options::default()) {
                Ok(_) => {}
                Err(e) => proptest::prop_assert!(e.to_string().contains(".csv"), "{e}"),
            }
        }
    }

    #[test]
    fn integers() {
        assert_eq!(parse_integer(b"0"), Some(0));
        assert_eq!(parse_integer(b"-12"), Some(-12));
        assert_eq!(parse_integer(b"+7"), Some(7));
        assert_eq!(parse_integer(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_integer(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_integer(b"9223372036854775808"), None);
        for bad in [&b""[..], b"-", b"1.5", b" 1", b"1e3", b"x"] {
            assert_eq!(parse_integer(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn columns_are_found_by_name_in_any_order() {
        let planned = "provider_id,visit_id,planned_start,person_ref,planned_minutes,rate_pence_per_hour,carers\nP,1,2025-04-07T08:00:00,x,30,1200,1\n";
        let actual = "actual_end,actual_start,person_ref,provider_id,visit_id\n2025-04-07T08:30:00,2025-04-07T08:00:00,x,P,1\n";
        let out = run(planned, actual).unwrap();
        assert_eq!(out.lines().nth(1), Some("P,2025-04-07,1,30,0.50,1,30,0.50,0,0,0,0,0,0,600,600,0,0,0,0,0"));
    }

    #[test]
    fn bad_rows_name_the_file_line_and_column() {
        let a = format!("{ACTUAL}1,P,x,2025-04-07T08:00:00,2025-04-07T08:30:00\n");
        assert_eq!(
            err(&format!("{PLANNED}1,x,P,2025-04-07T08:00:00,30,1,1200\n2,x,P,2025-04-07T08:00:00,thirty,1,1200\n"), &a),
            "'planned.csv' row 3, planned_minutes: 'thirty' is not a whole number"
        );
        assert_eq!(
            err(&format!("{PLANNED}1,x,P,2025-04-07 08:00,30,1,1200\n"), &a),
            "'planned.csv' row 2, planned_start: '2025-04-07 08:00' is not a date and time in the form YYYY-MM-DDTHH:MM:SS"
        );
        assert_eq!(
            err(&format!("{PLANNED}1,x,P,2025-04-07T08:00:00,30,1\n"), &a),
            "'planned.csv' row 2: has 6 fields; the header row has 7"
        );
        assert_eq!(
            err(&format!("{PLANNED}1,x,P,2025-04-07T08:00:00,30,0,1200\n"), &a),
            "'planned.csv' row 2, carers: '0' must be a whole number from 1 to 4294967295"
        );
        assert_eq!(
            err(&format!("{PLANNED}x,x,P,2025-04-07T08:00:00,30,1,1200\n"), &a),
            "'planned.csv' row 2, visit_id: 'x' is not a whole number"
        );
        let p = format!("{PLANNED}1,x,P,2025-04-07T08:00:00,30,1,1200\n");
        assert_eq!(
            err(&p, &format!("{ACTUAL}\n1,P,x,2025-04-07T08:00:00,2025-04-31T08:30:00\n")),
            "'actual.csv' row 3, actual_end: '2025-04-31T08:30:00' is not a date and time in the form YYYY-MM-DDTHH:MM:SS"
        );
        assert_eq!(
            err(&p, &format!("{ACTUAL}1,,x,2025-04-07T08:00:00,2025-04-07T08:30:00\n")),
            "'actual.csv' row 2, provider_id: is blank: every row needs the provider's id"
        );
        assert_eq!(
            err(&p, &format!("{ACTUAL}1,\"P,Q\",x,2025-04-07T08:00:00,2025-04-07T08:30:00\n")),
            "'actual.csv' row 2, provider_id: 'P,Q' holds a comma, quote or line break, which the report cannot show"
        );
        assert_eq!(
            err(&p, "visit_id,provider_id,person_ref,start,actual_end\n"),
            "'actual.csv': the header row must name the columns visit_id, provider_id, person_ref, actual_start, actual_end; missing actual_start"
        );
        assert_eq!(
            err(&p, ""),
            "'actual.csv' has no header row: the first line must name the columns visit_id, provider_id, person_ref, actual_start, actual_end"
        );
    }

    #[test]
    fn lines_are_counted_with_blank_ones() {
        let text = b"a\n\nb\nc";
        assert_eq!(lines_at(&text[..], &[0, 2, 3, 5, 6]), [1, 3, 3, 4, 4]);
        assert_eq!(line_at(&text[..], 100), Some(4));
    }

    #[test]
    fn a_visit_planned_twice_names_both_lines() {
        let p = format!(
            "{PLANNED}1,x,P,2025-04-07T08:00:00,30,1,1200\n2,x,P,2025-04-07T08:00:00,30,1,1200\n1,y,P,2025-04-08T08:00:00,30,1,1200\n"
        );
        assert_eq!(err(&p, ACTUAL), "'planned.csv': visit_id 1 is planned more than once (rows 2, 4); each planned visit needs its own id");
    }

    #[test]
    fn a_blank_visit_id_is_an_unplanned_extra_and_a_bom_is_ignored() {
        let p = format!("\u{feff}{PLANNED}");
        let out = run(&p, &format!("{ACTUAL},P,x,2025-04-07T08:00:00,2025-04-07T08:30:59\n")).unwrap();
        assert_eq!(out.lines().nth(1), Some("P,2025-04-07,0,0,0.00,0,0,0.00,0,0,0,0,1,30,0,0,0,0,0,0,0"));
    }

    /// A file as the web upload leaves it: written chunk by chunk to an unnamed temporary file,
    /// positioned at its end.
    fn spooled(text: &str) -> File {
        use std::io::Write;
        let mut f = tempfile::tempfile().expect("temporary file");
        for chunk in text.as_bytes().chunks(7) {
            f.write_all(chunk).expect("write");
        }
        f
    }

    #[test]
    fn the_file_reader_gives_what_the_bytes_reader_gives() {
        let planned = format!(
            "{}\n1,PR1,HC1,2025-04-07T08:00:00,30,1,2296,no\n\n2,PR1,HC1,2025-04-07T12:00:00,15,1,2296,yes\n3,PR2,HC2,2025-04-08T09:00:00,60,2,2010,\n",
            PLANNED.trim_end().to_string() + ",extra_care"
        );
        let actual = format!(
            "{}\n1,HC1,PR1,2025-04-07T08:02:00,2025-04-07T08:31:00,CW-001\n\n\n,HC3,PR9,2025-04-08T10:00:00,2025-04-08T10:20:00,W/17\n3,HC2,PR2,2025-04-08T09:10:00,2025-04-08T10:00:00,cw.2\n",
            ACTUAL.trim_end().to_string() + ",care_worker_ref"
        );
        let told = std::sync::Mutex::new(Vec::new());
        let progress = |p: u8| told.lock().expect("lock").push(p);
        let from_files = read_detail_from(spooled(&planned), "planned.csv", spooled(&actual), "actual.csv", &progress).expect("detail");
        assert_eq!(told.lock().expect("lock").last(), Some(&100));
        let from_bytes = read_detail(planned.as_bytes(), "planned.csv", actual.as_bytes(), "actual.csv", &|_| {}).expect("detail");
        assert_eq!((from_files.planned_rows, from_files.actual_rows), (3, 3));
        assert_eq!(from_files.persons, from_bytes.persons);
        assert_eq!(from_files.persons.get(&2).map(String::as_str), Some("PR1"));
        assert_eq!(from_files.workers, from_bytes.workers);
        assert_eq!(from_files.workers.len(), 2, "the row with no visit id keeps no code");
        assert_eq!(from_files.extra_care, std::collections::HashSet::from([2]));
        // Each provider's first row, blank lines counted as a spreadsheet counts them.
        let first = |d: &EcmDetail| d.providers.iter().map(|(p, (f, l))| format!("{p} {f} {l}")).collect::<Vec<_>>();
        assert_eq!(first(&from_files), ["HC1 planned.csv 2", "HC2 planned.csv 5", "HC3 actual.csv 5"]);
        assert_eq!(first(&from_files), first(&from_bytes));
        // The same figures from the rules.
        let figures = |d: EcmDetail| to_csv(&reconcile(d.planned, d.actual, &Options::default()).expect("figures"));
        assert_eq!(figures(from_files), figures(from_bytes));
    }

    #[test]
    fn the_file_reader_names_the_row_at_fault_counting_blank_lines() {
        let detail = |p: &str, a: &str| read_detail_from(spooled(p), "planned.csv", spooled(a), "actual.csv", &|_| {});
        let err = |p: &str, a: &str| detail(p, a).map(|_| ()).unwrap_err().to_string();
        let p = format!("{PLANNED}1,x,P,2025-04-07T08:00:00,30,1,1200\n");
        assert_eq!(
            err(&format!("{PLANNED}\n\n1,x,P,2025-04-07T08:00:00,thirty,1,1200\n"), ACTUAL),
            "'planned.csv' row 4, planned_minutes: 'thirty' is not a whole number"
        );
        assert_eq!(
            err(&p, &format!("{ACTUAL}\n1,P,x,2025-04-07T08:00:00,2025-04-31T08:30:00\n")),
            "'actual.csv' row 3, actual_end: '2025-04-31T08:30:00' is not a date and time in the form YYYY-MM-DDTHH:MM:SS"
        );
        assert_eq!(
            err(
                &format!(
                    "{PLANNED}1,x,P,2025-04-07T08:00:00,30,1,1200\n\n2,x,P,2025-04-07T08:00:00,30,1,1200\n1,y,P,2025-04-08T08:00:00,30,1,1200\n"
                ),
                ACTUAL
            ),
            "'planned.csv': visit_id 1 is planned more than once (rows 2, 5); each planned visit needs its own id"
        );
        assert_eq!(
            err(&p, "visit_id,provider_id\n"),
            "'actual.csv': the header row must name the columns visit_id, provider_id, person_ref, actual_start, actual_end; missing person_ref, actual_start, actual_end"
        );
        // Each error is the one the bytes reader gives.
        let bad = format!("{ACTUAL}1,P,{},2025-04-07T08:00:00,2025-04-07T08:30:00\n", "x".repeat(41));
        let from_bytes =
            read_detail(p.as_bytes(), "planned.csv", bad.as_bytes(), "actual.csv", &|_| {}).map(|_| ()).unwrap_err().to_string();
        assert_eq!(err(&p, &bad), from_bytes);
        assert_eq!(from_bytes, "'actual.csv' row 2, person_ref: is longer than 40 characters: use the case reference");
    }
}
