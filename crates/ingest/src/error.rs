//! File-level errors: the file cannot be read at all, so the caller changes nothing.
//!
//! Row-level problems are never errors: they become [`caremarket_core::register::Rejection`]s
//! and the good rows of the same file are still used.

use std::fmt;

/// Why a whole file could not be read. Every message says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("could not read '{path}': {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("the file '{file}' is empty")]
    Empty { file: String },

    #[error(
        "'{file}' is not a file type caremarket can import: use the CSV, XLSX or ODS file CQC publishes, \
         or CQC API location documents (.json, or a folder of them)"
    )]
    UnsupportedFile { file: String },

    #[error(
        "'{file}' is not UTF-8 text (the first problem is on line {line}): open it in a spreadsheet and \
         save it as 'CSV UTF-8 (comma delimited)'"
    )]
    NotUtf8 { file: String, line: u64 },

    #[error("'{file}' is not a readable {kind} file (the archive is damaged or incomplete: {detail}); download it again")]
    CorruptArchive { file: String, kind: &'static str, detail: String },

    #[error("'{file}' could not be read as a {kind} spreadsheet: {detail}")]
    Spreadsheet { file: String, kind: &'static str, detail: String },

    #[error("'{file}' could not be read as CSV: {detail}")]
    Csv { file: String, detail: String },

    #[error("'{file}' is not valid JSON: {detail}")]
    Json { file: String, detail: String },

    #[error("'{file}': {layout}")]
    UnknownLayout { file: String, layout: UnknownLayout },

    #[error("'{file}' {reason}")]
    WrongFile { file: String, reason: String },

    #[error(
        "'{file}' looks cut off: it ends part-way through row {row} (the file does not end with a line break). \
         Nothing was imported: download the file again (if the file is whole, add a line break at its end)"
    )]
    Truncated { file: String, row: u64 },

    #[error("the folder '{path}' holds no .json files")]
    EmptyFolder { path: String },
}

/// The columns a file was expected to have (per accepted layout) and the columns it had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLayout {
    /// Each accepted layout's label and the columns that identify it.
    pub expected: Vec<(String, Vec<String>)>,
    /// The most header-like row found (the first rows of each sheet were searched).
    pub found: Vec<String>,
    /// The accepted layout closest to what was found, and the columns it misses.
    pub closest: Option<(String, Vec<String>)>,
}

impl fmt::Display for UnknownLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the columns do not match any CQC layout caremarket reads. ")?;
        if self.found.is_empty() {
            f.write_str("No header row was found. ")?;
        } else {
            const SHOWN: usize = 30;
            let shown: Vec<String> = self.found.iter().take(SHOWN).map(|c| format!("'{c}'")).collect();
            write!(f, "Found {} columns: {}", self.found.len(), shown.join(", "))?;
            if self.found.len() > SHOWN {
                write!(f, ", ... ({} more)", self.found.len() - SHOWN)?;
            }
            f.write_str(". ")?;
        }
        if let Some((label, missing)) = &self.closest {
            let missing: Vec<String> = missing.iter().map(|c| format!("'{c}'")).collect();
            write!(f, "Closest layout: {label}, which also needs {}. ", missing.join(", "))?;
        }
        f.write_str("Expected one of: ")?;
        let layouts: Vec<String> = self
            .expected
            .iter()
            .map(|(label, cols)| {
                let cols: Vec<String> = cols.iter().map(|c| format!("'{c}'")).collect();
                format!("{label} ({})", cols.join(", "))
            })
            .collect();
        f.write_str(&layouts.join("; "))
    }
}
