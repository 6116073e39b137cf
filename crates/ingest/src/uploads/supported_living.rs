//! Supported living returns as a CSV (`caremarket_core::fees::supported_living::CSV_COLUMNS`,
//! matched ignoring case): one row per person and month, `period` (like 2025-04),
//! `case_reference` and `delivered_hours` (like 12.5 or 12:30), and `provider_id` in the
//! council's upload. In the portal the provider is the account's (`own_provider`); a file that
//! names another is refused by the store. Core turns the rows into returns, all or none.

use caremarket_core::fees::supported_living::CsvRow;
use caremarket_core::quality::RowProblem;

/// Read a returns file. A file that cannot be read, or lacks a column, is `Err` with every
/// problem (row 0 for the file as a whole).
pub fn parse(bytes: &[u8], own_provider: Option<&str>) -> Result<Vec<CsvRow>, Vec<RowProblem>> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(vec![RowProblem::whole_file("The file must be a CSV file saved as UTF-8 text")]);
    };
    let text = text.trim_start_matches('\u{feff}');
    let mut rdr = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(str::to_string).collect(),
        Err(e) => return Err(vec![RowProblem::whole_file(format!("The file could not be read as CSV: {e}"))]),
    };
    let col = |name: &str| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
    let mut needed = vec!["period", "case_reference", "delivered_hours"];
    if own_provider.is_none() {
        needed.insert(0, "provider_id");
    }
    let missing: Vec<&str> = needed.iter().copied().filter(|c| col(c).is_none()).collect();
    if !missing.is_empty() {
        return Err(vec![RowProblem::whole_file(format!(
            "The file needs the column{} {}",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", ")
        ))]);
    }
    let (provider, period, case_ref, hours) = (col("provider_id"), col("period"), col("case_reference"), col("delivered_hours"));
    let mut out = Vec::new();
    let mut unreadable = Vec::new();
    // Rows are numbered as a spreadsheet shows them, blank lines included (the CSV reader
    // skips blank lines and does not count them), by counting line ends up to each row's start.
    let bytes = text.as_bytes();
    let (mut seen, mut line) = (0usize, 1usize);
    for (i, rec) in rdr.records().enumerate() {
        let row = match rec.as_ref().ok().and_then(|r| r.position()).and_then(|p| usize::try_from(p.byte()).ok()) {
            Some(at) if at >= seen && at <= bytes.len() => {
                // The reader's offset is before the blank lines it skipped.
                let start = at + bytes[at..].iter().take_while(|b| matches!(b, b'\n' | b'\r')).count();
                line += bytes[seen..start].iter().filter(|b| **b == b'\n').count();
                seen = start;
                line
            }
            _ => i + 2,
        };
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                unreadable.push(RowProblem::new(row, "", format!("could not be read ({e})")));
                continue;
            }
        };
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let get = |p: Option<usize>| p.and_then(|p| rec.get(p)).map(str::trim).unwrap_or("").to_string();
        let provider_id = match (own_provider, get(provider)) {
            (Some(own), p) if p.is_empty() => Ok(own.to_string()),
            (_, p) if p.is_empty() => Err(RowProblem::new(row, "provider_id", "is empty: say which provider the row is for")),
            (_, p) => Ok(p),
        };
        out.push(CsvRow { row, provider_id, period: get(period), case_ref: get(case_ref), hours: get(hours) });
    }
    if !unreadable.is_empty() {
        return Err(unreadable);
    }
    if out.is_empty() {
        return Err(vec![RowProblem::whole_file("The file has no rows")]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_what_was_typed_and_the_portal_fills_in_its_provider() {
        let rows = parse(b"Period,Case_Reference,Delivered_Hours\n2025-04,AB1,10.5\n\n2025-04,CD2,3:15\n", Some("p1")).expect("rows");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].provider_id, Ok("p1".to_string()));
        assert_eq!((rows[1].row, rows[1].hours.as_str()), (4, "3:15"));
        let e = parse(b"period,case_reference,delivered_hours\n2025-04,AB1,1\n", None).expect_err("council needs provider_id");
        assert!(e[0].message.contains("provider_id"), "{}", e[0].message);
        let rows = parse(b"provider_id,period,case_reference,delivered_hours\n,2025-04,AB1,1\n", None).expect("rows");
        assert_eq!(rows[0].provider_id.as_ref().map_err(|p| p.field.clone()), Err("provider_id".to_string()));
    }
}
