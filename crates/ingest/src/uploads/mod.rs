//! Files officers and providers upload through the web pages, one module per area. Each parser
//! reads the whole file and returns typed rows or every problem with its row number (the header
//! is row 1), so the page can save all or nothing; the web handlers only call them. Nothing here
//! touches the database; the store resolves what the rows refer to and saves them.

pub mod capacity;
pub mod cost_of_care;
pub mod direct_payments;
pub mod quality_frameworks;
pub mod quality_returns;
pub mod quality_themes;
pub mod spend;
pub mod supported_living;
pub mod workforce;

/// An uploaded CSV read by its header row: for each of `columns` (a list of accepted header
/// names, matched ignoring case) the position it has in the file, then every non-blank row's
/// values in `columns` order with its row number (the header is row 1). `header` says, for the
/// messages, which columns the file must name ("date, dp, amount and category").
pub fn csv_rows(bytes: &[u8], header: &str, columns: &[&[&str]]) -> Result<Vec<(usize, Vec<String>)>, String> {
    csv_rows_optional(bytes, header, columns, &[])
}

/// [`csv_rows`] with `optional` columns after the required ones: each row's values for them
/// follow its required values, empty where the file has no such column.
pub fn csv_rows_optional(
    bytes: &[u8],
    header: &str,
    columns: &[&[&str]],
    optional: &[&[&str]],
) -> Result<Vec<(usize, Vec<String>)>, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "The file must be a CSV file saved as UTF-8 text".to_string())?;
    let text = text.trim_start_matches('\u{feff}');
    let mut rdr = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = rdr.headers().map_err(|_| format!("The file's first row must be a header: {header}"))?.clone();
    let find = |names: &&[&str]| headers.iter().position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)));
    let positions: Option<Vec<usize>> = columns.iter().map(find).collect();
    let Some(positions) = positions else {
        return Err(format!("The header row must name the columns {header}; found {}", headers.iter().collect::<Vec<_>>().join(", ")));
    };
    let optional: Vec<Option<usize>> = optional.iter().map(find).collect();
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let row = i + 2;
        let rec = rec.map_err(|e| format!("Row {row}: could not be read ({e})"))?;
        if rec.iter().all(|c| c.is_empty()) {
            continue;
        }
        let required = positions.iter().map(|&p| rec.get(p).unwrap_or("").to_string());
        let extra = optional.iter().map(|p| p.and_then(|p| rec.get(p)).unwrap_or("").to_string());
        rows.push((row, required.chain(extra).collect()));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_by_header_name_with_row_numbers() {
        let cols: &[&[&str]] = &[&["date", "spend date"], &["amount"]];
        let rows = csv_rows(b"\xef\xbb\xbfAmount,Spend Date\n12.50,2025-01-02\n,\n3,2025-01-03\n", "date and amount", cols);
        assert_eq!(
            rows,
            Ok(vec![(2, vec!["2025-01-02".to_string(), "12.50".to_string()]), (4, vec!["2025-01-03".to_string(), "3".to_string()])])
        );
        let missing = csv_rows(b"date,value\n2025-01-02,1\n", "date and amount", cols);
        assert_eq!(missing, Err("The header row must name the columns date and amount; found date, value".to_string()));
        assert_eq!(csv_rows(b"\xff\xfe", "date and amount", cols), Err("The file must be a CSV file saved as UTF-8 text".to_string()));
    }
}
