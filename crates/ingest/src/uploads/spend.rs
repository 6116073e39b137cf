//! The finance system's spend file as a CSV: a header naming `supplier`, `cost_centre`, `period`
//! and `amount` in any order and case (`caremarket_core::fees::budgets::SPEND_COLUMNS` lists the
//! other names each may have), then one row per payment. The file is read here; the store checks
//! the cost centres and core the rows, all or none. The web upload and `caremarket import spend`
//! both call [`parse`].

use caremarket_core::fees::budgets::{SPEND_COLUMNS, SpendCsvRow};
use caremarket_core::quality::RowProblem;

/// Read a spend file. A file that cannot be read, or lacks a column, is `Err` with the problem
/// (row 0 for the file as a whole); a row that cannot be read is named by its number.
pub fn parse(bytes: &[u8]) -> Result<Vec<SpendCsvRow>, Vec<RowProblem>> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(vec![RowProblem::whole_file("The file must be a CSV file saved as UTF-8 text")]);
    };
    let text = text.trim_start_matches('\u{feff}');
    let mut rdr = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_string()).collect(),
        Err(e) => return Err(vec![RowProblem::whole_file(format!("The file could not be read as CSV: {e}"))]),
    };
    let position = |names: &[&str]| headers.iter().position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)));
    let positions: Vec<Option<usize>> = SPEND_COLUMNS.iter().map(|(_, names)| position(names)).collect();
    let missing: Vec<&str> = SPEND_COLUMNS.iter().zip(&positions).filter(|(_, p)| p.is_none()).map(|((c, _), _)| *c).collect();
    if !missing.is_empty() {
        return Err(vec![RowProblem::whole_file(format!(
            "The file's header row must name the column{} {}; found {}",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", "),
            if headers.iter().all(|h| h.is_empty()) { "no header".to_string() } else { headers.join(", ") }
        ))]);
    }
    let mut out = Vec::new();
    let mut unreadable = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let row = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                unreadable.push(RowProblem::new(row, "", format!("row {row}: could not be read ({e})")));
                continue;
            }
        };
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let get = |k: usize| positions[k].and_then(|p| rec.get(p)).map(str::trim).unwrap_or("").to_string();
        out.push(SpendCsvRow { row, supplier: get(0), cost_centre: get(1), period: get(2), amount: get(3) });
    }
    if !unreadable.is_empty() {
        return Err(unreadable);
    }
    if out.is_empty() {
        return Err(vec![RowProblem::whole_file("The file has no rows of spend")]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_may_be_in_any_order_and_case() {
        let rows = parse(b"\xef\xbb\xbfAmount,Period,Cost Centre,Supplier\n\"\xc2\xa31,234.56\",2024-05,ASC-RES,\"Acme Care, Ltd\"\n,,,\n-5,2024-06-30,ASC-HC,Beta\n")
            .expect("rows");
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0],
            SpendCsvRow {
                row: 2,
                supplier: "Acme Care, Ltd".into(),
                cost_centre: "ASC-RES".into(),
                period: "2024-05".into(),
                amount: "£1,234.56".into()
            }
        );
        assert_eq!(rows[1].row, 4);
    }

    #[test]
    fn a_file_without_a_column_or_rows_is_refused_whole() {
        let msg = |b: &[u8]| parse(b).unwrap_err()[0].message.clone();
        assert_eq!(
            msg(b"supplier,period,amount\nA,2024-05,1\n"),
            "The file's header row must name the column cost_centre; found supplier, period, amount"
        );
        assert_eq!(msg(b"supplier,cost_centre,period,amount\n"), "The file has no rows of spend");
        assert_eq!(msg(b"\xff\xfe"), "The file must be a CSV file saved as UTF-8 text");
    }
}
