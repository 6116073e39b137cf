//! Issues from CQC reports coded to themes, as a CSV: columns cqc_location_id (or service_id),
//! report_date, theme and issue, named in the header row in any order. The store finds each
//! row's service and theme and codes all rows or none.

use super::csv_rows;
use caremarket_core::quality::themes::CodingRow;

/// The most rows one file may code.
pub const MAX_ROWS: usize = 10_000;

/// Every non-blank row with its number (the header is row 1), or why the file cannot be read.
pub fn parse(bytes: &[u8]) -> Result<Vec<CodingRow>, String> {
    let rows = csv_rows(
        bytes,
        "cqc_location_id (or service_id), report_date, theme and issue",
        &[
            &["cqc_location_id", "location_id", "location id", "service_id", "service id"],
            &["report_date", "report date", "date"],
            &["theme", "theme code"],
            &["issue", "issues", "finding"],
        ],
    )?;
    if rows.len() > MAX_ROWS {
        return Err("The file has more than 10,000 rows: split it and upload each part".into());
    }
    Ok(rows
        .into_iter()
        .map(|(row, v)| {
            let [service, report_date, theme, issue] = <[String; 4]>::try_from(v).unwrap_or_default();
            CodingRow { row, service, report_date, theme, issue }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_by_header_name_with_their_numbers() {
        let rows = parse(b"Issue,Theme,Report Date,Location ID\nNo hoist training,training,2024-05-01,1-1\n\n").expect("rows");
        assert_eq!(
            rows,
            vec![CodingRow {
                row: 2,
                service: "1-1".into(),
                report_date: "2024-05-01".into(),
                theme: "training".into(),
                issue: "No hoist training".into()
            }]
        );
        assert!(parse(b"issue\nx\n").unwrap_err().starts_with("The header row must name the columns cqc_location_id"));
    }
}
