//! CQC's published files and API documents, normalised to [`CqcLocation`]s.
//!
//! The layout is detected from the file's extension (which container: CSV, XLSX, ODS, JSON) and
//! its header columns (which table), never from its name. See `docs/ingest-cqc.md` for the
//! column-by-column mapping of each layout.
//!
//! Accepted:
//! - [`CqcFormat::LocationsExport45`]: the 45-column adult social care locations export
//!   ("Location Name", "Location ID", ..., five key-question ratings, beds, provider).
//! - [`CqcFormat::Directory18`]: the older 18-column `CQC_directory.csv`.
//! - [`CqcFormat::Directory15`]: the current 15-column `CQC_directory.csv` (Name, Also known as,
//!   Address, Postcode, Phone number, Service's website (if available), Service types, Date of
//!   latest check, Specialisms/services, Provider name, Local authority, Region, Location URL,
//!   CQC Location ID (for office use only), CQC Provider ID (for office use only)). Checked
//!   against public captures of the real file (September 2026): a few preamble lines ("CQC
//!   Locations data", "This data was produced on ...") come before the header; service types
//!   and specialisms are separated by "|"; "Date of latest check" reads `09/Jan/2018 - 00:00`.
//!   The captures showed the address comma-joined; CQC describes it as a quoted multi-line
//!   field: both are read, the last line (or comma part) being the town.
//! - [`CqcFormat::HscaActiveLocations`]: `HSCA_Active_Locations` (ODS or XLSX), with its cover
//!   sheet; the sheet(s) whose header has "Location ID" are read; a sheet with "Location ID" but
//!   no "Location Name" is joined to the main sheet by Location ID.
//! - [`CqcFormat::LatestRatings`]: `Latest_ratings` (long format), pivoted per location.
//! - [`CqcFormat::ApiLocationJson`]: API `/locations/{id}` documents: one per file, an array, or
//!   a folder of `*.json` files.
//!
//! Any table layout may come as CSV, XLSX or ODS.

mod api;
mod layout;
mod map;
mod table;

pub use crate::error::{IngestError, UnknownLayout};
use crate::sheet::{read_csv, read_ods, read_xlsx};
use caremarket_core::register::import_plan::{FieldSet, Listed, ListedDigests};
use caremarket_core::register::{CqcLocation, CqcProvider, Rejection};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::io::{BufReader, Cursor, Read, Seek};
use std::path::Path;
use table::TableParser;

/// Which CQC publication a file was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CqcFormat {
    LocationsExport45,
    Directory18,
    Directory15,
    HscaActiveLocations,
    LatestRatings,
    ApiLocationJson,
}

impl CqcFormat {
    pub const ALL: [CqcFormat; 6] = [
        CqcFormat::LocationsExport45,
        CqcFormat::Directory18,
        CqcFormat::Directory15,
        CqcFormat::HscaActiveLocations,
        CqcFormat::LatestRatings,
        CqcFormat::ApiLocationJson,
    ];

    /// A name an officer recognises.
    pub fn label(&self) -> &'static str {
        match self {
            CqcFormat::LocationsExport45 => "CQC adult social care locations export (45 columns)",
            CqcFormat::Directory18 => "CQC care directory, older layout (18 columns)",
            CqcFormat::Directory15 => "CQC care directory, CQC_directory.csv (15 columns)",
            CqcFormat::HscaActiveLocations => "CQC care directory with filters, HSCA_Active_Locations",
            CqcFormat::LatestRatings => "CQC latest ratings, Latest_ratings (a row per key question)",
            CqcFormat::ApiLocationJson => "CQC API location documents (JSON)",
        }
    }

    /// Whether a file of this kind lists every location CQC registers in the areas it covers, so
    /// that a location missing from it has closed. True for the directory and export layouts.
    /// False for API documents (each says its own `registrationStatus`) and for `Latest_ratings`
    /// (a location with no published rating is not in it).
    pub fn is_complete_register(&self) -> bool {
        matches!(self, CqcFormat::LocationsExport45 | CqcFormat::Directory18 | CqcFormat::Directory15 | CqcFormat::HscaActiveLocations)
    }

    /// Whether the file lists social care locations only, so that it cannot say a healthcare
    /// location has closed: true for the 45-column adult social care export.
    pub fn social_care_only(&self) -> bool {
        matches!(self, CqcFormat::LocationsExport45)
    }
}

impl std::fmt::Display for CqcFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// What a file gave: the locations that could be used and a rejection for every row that could
/// not. A row-level problem never stops the rest of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseOutcome {
    pub format: CqcFormat,
    /// In file order (for `Latest_ratings`, the order each location first appears).
    pub records: Vec<CqcLocation>,
    /// `row` is the spreadsheet row (header = row 1 when the header is the first line; preamble
    /// lines count) or the document number for API JSON. `reason` does not repeat the row: see
    /// [`ParseOutcome::rejection_messages`] for "row 212: ..." lines.
    pub rejections: Vec<Rejection>,
    /// Data rows read (after the header; blank rows not counted), or documents for JSON.
    pub rows_read: u64,
    /// True for directory and export layouts: they list every registered location of the local
    /// authorities they cover, so the importer may mark absent locations of those authorities
    /// deregistered. False for API JSON documents and `Latest_ratings`.
    pub is_complete_register: bool,
    /// Locations read but outside the register's scope (core's `out_of_scope_reason`: dentists,
    /// GP practices, hospitals and other healthcare locations of an API download), with why.
    #[serde(default)]
    pub skipped: Vec<Rejection>,
    /// Provider names read: API provider documents and list pages, the 18-column directory's
    /// provider rows. Not locations, not rejections.
    #[serde(default)]
    pub providers: Vec<CqcProvider>,
    /// The register fields the file's columns carry: an import overwrites these and keeps the
    /// stored value of the others. Every field for API documents.
    pub carried: FieldSet,
}

impl ParseOutcome {
    /// "row 212: 'Location Latest Overall Rating' must be one of ...; found 'Gud'" for each
    /// rejection ("document 3: ..." for API JSON).
    pub fn rejection_messages(&self) -> Vec<String> {
        let what = if self.format == CqcFormat::ApiLocationJson { "document" } else { "row" };
        self.rejections.iter().map(|r| format!("{what} {}: {}", r.row, r.reason)).collect()
    }
}

/// The kind of container, from the file name's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Container {
    Csv,
    Xlsx,
    Ods,
    Json,
    Zip,
}

fn container_of(file_name: &str) -> Option<Container> {
    let ext = Path::new(file_name).extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "csv" => Container::Csv,
        "xlsx" | "xlsm" => Container::Xlsx,
        "ods" => Container::Ods,
        "json" => Container::Json,
        "zip" => Container::Zip,
        _ => return None,
    })
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

/// Parse a CQC file from disk, or every `*.json` in a folder (API documents, sorted by name).
///
/// `progress` is called now and then with the work done and the total when known: bytes for
/// CSV and ODS, rows for XLSX, files for a folder.
pub fn parse_cqc_file(path: &Path, progress: &mut dyn FnMut(u64, Option<u64>)) -> Result<ParseOutcome, IngestError> {
    read_cqc_file(path, None, progress)
}

/// [`parse_cqc_file`], handing each location to `each` as it is read, in file order, instead of
/// holding them: the outcome's `records` is empty, and the rest of it is as `parse_cqc_file`
/// gives. Directory and export layouts are handed on row by row, so memory does not grow with
/// the file's locations; `Latest_ratings`, HSCA workbooks and API documents join a location's
/// rows, sheets or documents first, so theirs are handed on once the file is read.
///
/// A file-level error can come after some locations were handed on: the caller must not take
/// them for the file's until this returns `Ok`.
pub fn parse_cqc_file_each(
    path: &Path,
    each: &mut dyn FnMut(CqcLocation),
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<ParseOutcome, IngestError> {
    read_cqc_file(path, Some(Each { to: each, remember_only: None }), progress)
}

/// [`parse_cqc_file_each`] for a file read a second time, after [`list_cqc_file`] gave
/// `first_rejections`: the same locations are handed on and the same rows rejected, while only
/// the ids the first reading rejected a row of are remembered. A repeated location is rejected
/// where it repeats, so each repeated id is among those; every other id is listed once, and
/// remembering where it was (about 26 MiB at 500,000 locations, heaptrack, benchmarks/import.md)
/// is what made the command line's import grow with the file. A file that changed since its first
/// reading may repeat an id this reading does not remember: the caller compares the locations
/// handed on with the number the first reading listed.
pub fn reread_cqc_file(
    path: &Path,
    first_rejections: &[Rejection],
    each: &mut dyn FnMut(CqcLocation),
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<ParseOutcome, IngestError> {
    let rejected: HashSet<String> = first_rejections.iter().filter_map(|r| r.location_id.clone()).collect();
    read_cqc_file(path, Some(Each { to: each, remember_only: Some(&rejected) }), progress)
}

/// Where a reading hands each location instead of holding it, and, on a second reading, the only
/// ids whose first place it keeps (see [`reread_cqc_file`]).
pub(crate) struct Each<'a> {
    pub(crate) to: &'a mut dyn FnMut(CqcLocation),
    pub(crate) remember_only: Option<&'a HashSet<String>>,
}

/// The first reading of a file that is then imported as it is read again (the command line's
/// import): the outcome without its records, and what the file lists, which is all that
/// deciding and confirming its deregistrations needs.
pub fn list_cqc_file(path: &Path, progress: &mut dyn FnMut(u64, Option<u64>)) -> Result<(ParseOutcome, Listed), IngestError> {
    listing(|each| parse_cqc_file_each(path, each, progress))
}

/// [`list_cqc_file`] for a file already open (a web upload kept in a temporary file): `file_name`
/// is the name the person gave it, `display` names it in an I/O error. The file is read from its
/// start whatever its position.
pub fn list_cqc_open_file(
    file_name: &str,
    display: &str,
    file: std::fs::File,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<(ParseOutcome, Listed), IngestError> {
    listing(|each| read_open_file(file_name, display, file, Some(Each { to: each, remember_only: None }), progress))
}

/// Locations a listing hands its digest thread at a time.
const DIGEST_BATCH: usize = 256;

/// A first reading: `read` hands each location on, and the listing keeps what the file lists with
/// each location's content digest ([`ListedDigests`]). The digests are made on a second thread
/// while the file is read: making one takes about as long as reading the location (1.3 µs
/// against 1.4 µs at 50,000 locations), and on one thread the listing took about 150 ms where
/// it took 70 ms without digests; on two, about 125 ms (benchmarks/import.md, session 43).
fn listing(
    read: impl FnOnce(&mut dyn FnMut(CqcLocation)) -> Result<ParseOutcome, IngestError>,
) -> Result<(ParseOutcome, Listed), IngestError> {
    let mut listed = Listed::default();
    let (outcome, digests) = std::thread::scope(|scope| {
        let (to_digest, batches) = std::sync::mpsc::sync_channel::<Vec<CqcLocation>>(2);
        // Digested batches come back to be freed where they were allocated: freed on the digest
        // thread, the listing took about 155 ms at 50,000 locations against 130 ms.
        let (digested, to_free) = std::sync::mpsc::channel::<Vec<CqcLocation>>();
        let digester = scope.spawn(move || {
            let mut digests = ListedDigests::default();
            for batch in batches {
                for loc in &batch {
                    digests.add(loc, &loc.content_digest());
                }
                let _ = digested.send(batch);
            }
            digests
        });
        let mut batch = Vec::with_capacity(DIGEST_BATCH);
        let outcome = read(&mut |loc| {
            listed.add(&loc);
            batch.push(loc);
            if batch.len() == DIGEST_BATCH {
                while let Ok(done) = to_free.try_recv() {
                    drop(done);
                }
                // The digest thread stops only when this side hangs up.
                let _ = to_digest.send(std::mem::replace(&mut batch, Vec::with_capacity(DIGEST_BATCH)));
            }
        });
        if !batch.is_empty() {
            let _ = to_digest.send(batch);
        }
        drop(to_digest);
        // A digest thread that panicked made no listing: the import then reads the file again.
        (outcome, digester.join().ok())
    });
    let outcome = outcome?;
    listed.digests = digests.filter(|d| d.each.len() as u64 == listed.locations);
    Ok((outcome, listed))
}

/// [`reread_cqc_file`] for a file already open, after [`list_cqc_open_file`] read it first.
pub fn reread_cqc_open_file(
    file_name: &str,
    display: &str,
    file: std::fs::File,
    first_rejections: &[Rejection],
    each: &mut dyn FnMut(CqcLocation),
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<ParseOutcome, IngestError> {
    let rejected: HashSet<String> = first_rejections.iter().filter_map(|r| r.location_id.clone()).collect();
    read_open_file(file_name, display, file, Some(Each { to: each, remember_only: Some(&rejected) }), progress)
}

fn read_cqc_file(path: &Path, each: Option<Each<'_>>, progress: &mut dyn FnMut(u64, Option<u64>)) -> Result<ParseOutcome, IngestError> {
    let display = path.display().to_string();
    if path.is_dir() {
        return api::parse_json_folder(path, progress).map(|outcome| hand_on(outcome, each));
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| display.clone());
    let file = std::fs::File::open(path).map_err(|e| IngestError::Io { path: display.clone(), source: e })?;
    read_open_file(&name, &display, file, each, progress)
}

/// A whole file's locations handed to `each`, when there is one.
fn hand_on(mut outcome: ParseOutcome, each: Option<Each<'_>>) -> ParseOutcome {
    if let Some(each) = each {
        std::mem::take(&mut outcome.records).into_iter().for_each(each.to);
    }
    outcome
}

fn read_open_file(
    file_name: &str,
    display: &str,
    file: std::fs::File,
    each: Option<Each<'_>>,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<ParseOutcome, IngestError> {
    let name = Path::new(file_name).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| file_name.to_string());
    let container = container_of(&name).ok_or_else(|| IngestError::UnsupportedFile { file: name.clone() })?;
    let io = |e: std::io::Error| IngestError::Io { path: display.to_string(), source: e };
    let size = file.metadata().map_err(io)?.len();
    if size == 0 {
        return Err(IngestError::Empty { file: name });
    }
    let mut reader = BufReader::with_capacity(1 << 16, file);
    reader.rewind().map_err(io)?;
    let mut head = [0u8; 4];
    let head_len = read_head(&mut reader, &mut head).map_err(io)?;
    match container {
        Container::Json => {
            let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
            reader.read_to_end(&mut bytes).map_err(io)?;
            progress(size, Some(size));
            api::parse_json_bytes(&name, &bytes).map(|outcome| hand_on(outcome, each))
        }
        _ => parse_container(&name, container, reader, &head[..head_len], Some(size), each, progress),
    }
}

/// Parse a CQC file held in memory (the fuzz targets, the load benchmark). `file_name` gives the
/// extension.
pub fn parse_cqc_bytes(file_name: &str, bytes: &[u8], progress: &mut dyn FnMut(u64, Option<u64>)) -> Result<ParseOutcome, IngestError> {
    let name = Path::new(file_name).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| file_name.to_string());
    let container = container_of(&name).ok_or_else(|| IngestError::UnsupportedFile { file: name.clone() })?;
    if bytes.is_empty() {
        return Err(IngestError::Empty { file: name });
    }
    match container {
        Container::Json => {
            progress(bytes.len() as u64, Some(bytes.len() as u64));
            api::parse_json_bytes(&name, bytes)
        }
        _ => parse_container(&name, container, Cursor::new(bytes), &bytes[..bytes.len().min(4)], Some(bytes.len() as u64), None, progress),
    }
}

fn read_head<R: Read + Seek>(reader: &mut R, head: &mut [u8; 4]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < head.len() {
        let got = reader.read(&mut head[n..])?;
        if got == 0 {
            break;
        }
        n += got;
    }
    reader.rewind()?;
    Ok(n)
}

fn parse_container<R: Read + Seek + Send>(
    name: &str,
    container: Container,
    reader: R,
    head: &[u8],
    size: Option<u64>,
    each: Option<Each<'_>>,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<ParseOutcome, IngestError> {
    let is_zip = head.starts_with(ZIP_MAGIC);
    let mut parser = match each {
        Some(each) => TableParser::each(name, each),
        None => TableParser::new(name),
    };
    match container {
        Container::Csv => {
            if is_zip {
                return Err(IngestError::WrongFile {
                    file: name.to_string(),
                    reason: "is a spreadsheet (a zip archive), not CSV text: give it its real extension (.xlsx or .ods)".to_string(),
                });
            }
            read_csv(name, reader, size, &mut parser, progress)?;
        }
        Container::Xlsx => {
            if !is_zip {
                return Err(not_a_zip(name, "XLSX", head));
            }
            read_xlsx(name, reader, &mut parser, progress)?;
        }
        Container::Ods => {
            if !is_zip {
                return Err(not_a_zip(name, "ODS", head));
            }
            read_ods(name, reader, &mut parser, progress)?;
        }
        Container::Zip => {
            // CQC also publishes CQC_directory.csv zipped: read the one CSV inside as a stream.
            let mut archive = zip::ZipArchive::new(reader).map_err(|e| IngestError::CorruptArchive {
                file: name.to_string(),
                kind: "zip",
                detail: e.to_string(),
            })?;
            let csvs: Vec<String> = archive.file_names().filter(|n| n.to_ascii_lowercase().ends_with(".csv")).map(str::to_string).collect();
            let [inner] = csvs.as_slice() else {
                return Err(IngestError::WrongFile {
                    file: name.to_string(),
                    reason: format!("must hold exactly one .csv file to be imported; it holds {}", csvs.len()),
                });
            };
            let entry = archive.by_name(inner).map_err(|e| IngestError::CorruptArchive {
                file: name.to_string(),
                kind: "zip",
                detail: e.to_string(),
            })?;
            let total = entry.size();
            read_csv(inner, entry, Some(total), &mut parser, progress)?;
        }
        Container::Json => {
            return Err(IngestError::UnsupportedFile { file: name.to_string() });
        }
    }
    parser.finish()
}

fn not_a_zip(name: &str, kind: &'static str, head: &[u8]) -> IngestError {
    let looks_like_text = !head.is_empty() && head.iter().all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace());
    if looks_like_text {
        IngestError::WrongFile {
            file: name.to_string(),
            reason: format!("is text, not an {kind} spreadsheet: if it is CSV, give it the extension .csv"),
        }
    } else {
        IngestError::CorruptArchive { file: name.to_string(), kind, detail: "it does not start like a zip archive".to_string() }
    }
}
