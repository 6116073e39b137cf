//! Parsers and importers: files and API documents in, checked domain records out.
//!
//! - [`cqc`]: CQC's directory and export files (CSV, XLSX, ODS) and API location documents, to
//!   [`caremarket_core::register::CqcLocation`]s plus a [`Rejection`](caremarket_core::register::Rejection)
//!   for every row that cannot be used.
//! - [`sheet`]: streaming table readers (CSV, XLSX, ODS) any importer can use.
//! - [`geography`]: ONS postcode grid references to WGS84 latitude and longitude.
//! - [`dates`]: the date forms seen in CQC's and councils' files.
//! - [`synthetic`]: a deterministic large file in CQC's export layout, for benchmarks.
//! - [`uploads`]: CSV files officers and providers upload through the web pages (vacancy
//!   returns, direct payments' spend, ...).
//!
//! A file that cannot be read at all is an [`IngestError`] and the caller changes nothing; a row
//! that cannot be used is a rejection with its spreadsheet row number and a reason an officer can
//! act on, and the other rows still count.

pub mod cqc;
pub mod dates;
pub mod ecm;
pub mod ecm_synthetic;
mod error;
pub mod geography;
pub mod governance;
pub mod sheet;
pub mod synthetic;
pub mod uploads;

pub use cqc::{
    CqcFormat, IngestError, ParseOutcome, UnknownLayout, list_cqc_file, list_cqc_open_file, parse_cqc_bytes, parse_cqc_file,
    parse_cqc_file_each, reread_cqc_file, reread_cqc_open_file,
};
