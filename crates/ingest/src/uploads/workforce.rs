//! Workforce returns as a CSV (issue 13): a header naming `service_id`, `period` and every field
//! of a return (`caremarket_core::workforce::FIELDS`), matched ignoring case, then one row per
//! service and quarter. The file is read here; the store finds the services and core checks each
//! row's figures (`caremarket_core::workforce::check_return`), all or none. The council's upload
//! (`/workforce/upload`) and the portal's (`/portal/workforce/upload`) both call [`parse_csv`].
//! Moved here from the web crate so the fuzz target `workforce_csv` can call it (issue 17).

use caremarket_core::quality::RowProblem;
use caremarket_core::workforce::{Draft, FIELDS};

/// The CSV's columns: `service_id` and every field of a return (`period` first), matched
/// ignoring case.
pub fn csv_columns() -> Vec<&'static str> {
    let mut v = vec!["service_id", "period"];
    v.extend(FIELDS.iter().map(|(n, _)| *n).filter(|n| *n != "period"));
    v
}

/// Read a returns file: one row per service and quarter. A file that cannot be read, or lacks a
/// column, is `Err` with every problem (row 0 for the file as a whole); rows are numbered by the
/// CSV reader's line count (the header is row 1), which leaves out blank lines, so a file with
/// blank lines between rows names later rows lower than a spreadsheet shows them.
pub fn parse_csv(bytes: &[u8]) -> Result<Vec<(usize, String, Draft)>, Vec<RowProblem>> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(vec![RowProblem::whole_file("The file must be a CSV file saved as UTF-8 text")]);
    };
    let text = text.trim_start_matches('\u{feff}');
    let mut rdr = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_ascii_lowercase()).collect(),
        Err(e) => return Err(vec![RowProblem::whole_file(format!("The file could not be read as CSV: {e}"))]),
    };
    let missing: Vec<&str> = csv_columns().into_iter().filter(|c| !headers.iter().any(|h| h == c)).collect();
    if !missing.is_empty() {
        return Err(vec![RowProblem::whole_file(format!(
            "The file needs the column{} {}",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", ")
        ))]);
    }
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let row = rec.as_ref().ok().and_then(|r| r.position()).map(|p| p.line() as usize).unwrap_or(i + 2);
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                problems.push(RowProblem::new(row, "", format!("could not be read ({e})")));
                continue;
            }
        };
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut d = Draft::new();
        let mut service = String::new();
        for (h, v) in headers.iter().zip(rec.iter()) {
            if h == "service_id" {
                service = v.trim().to_string();
            } else {
                d.insert(h.clone(), v.to_string());
            }
        }
        out.push((row, service, d));
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> String {
        csv_columns().join(",")
    }

    #[test]
    fn rows_keep_their_service_and_fields_with_their_row_numbers() {
        let cols = csv_columns();
        let row = |service: &str, period: &str| {
            let mut v = vec![service.to_string(), period.to_string()];
            v.extend(cols[2..].iter().map(|_| "1".to_string()));
            v.join(",")
        };
        // Capitals and a byte order mark in the header. The row after the blank line is numbered
        // 3, as the CSV reader counts lines (it passes over blank ones), not 4 as a spreadsheet
        // shows it: the numbering was this in the web crate and moved unchanged (the supported
        // living reader counts blank lines).
        let text = format!("\u{feff}{}\n{}\n\n{}\n", header().to_uppercase(), row(" s1 ", "2025 Q1"), row("s2", "2025 Q2"));
        let rows = parse_csv(text.as_bytes()).expect("rows");
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].0, rows[0].1.as_str()), (2, "s1"));
        assert_eq!(rows[0].2.get("period").map(String::as_str), Some("2025 Q1"));
        assert_eq!(rows[0].2.get("care_workers").map(String::as_str), Some("1"));
        assert!(!rows[0].2.contains_key("service_id"));
        assert_eq!((rows[1].0, rows[1].1.as_str()), (3, "s2"));
    }

    #[test]
    fn a_file_without_the_columns_or_not_utf8_is_refused_whole() {
        let msg = |b: &[u8]| parse_csv(b).unwrap_err()[0].message.clone();
        assert_eq!(msg(b"\xff\xfe"), "The file must be a CSV file saved as UTF-8 text");
        let without = header().replace(",nurses,", ",").replace(",managers,", ",");
        assert_eq!(msg(format!("{without}\n").as_bytes()), "The file needs the columns nurses, managers");
        assert_eq!(parse_csv(format!("{}\n", header()).as_bytes()), Ok(Vec::new()));
    }
}
