//! Cost of care returns as a CSV (`caremarket_core::fees::cost_of_care::CSV_COLUMNS`, matched
//! ignoring case): one row per line of a return, the service named by its id or CQC location id,
//! then `year` (like 2025/26), `line` (a line's code or name) and `amount` (pounds). The file is
//! read here; the store finds the services and core turns the rows into returns, all or none.

use caremarket_core::fees::cost_of_care::CsvRow;
use caremarket_core::quality::RowProblem;
use caremarket_core::quality::returns::ServiceKey;

/// Read a returns file. A file that cannot be read, or lacks a column every row needs, is `Err`
/// with every problem (row 0 for the file as a whole).
pub fn parse(bytes: &[u8]) -> Result<Vec<CsvRow>, Vec<RowProblem>> {
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
    let (sid, loc) = (col("service_id"), col("cqc_location_id"));
    if sid.is_none() && loc.is_none() {
        return Err(vec![RowProblem::whole_file(
            "The file needs a service_id or cqc_location_id column to say which service each row is for",
        )]);
    }
    let missing: Vec<&str> = ["year", "line", "amount"].into_iter().filter(|c| col(c).is_none()).collect();
    if !missing.is_empty() {
        return Err(vec![RowProblem::whole_file(format!(
            "The file needs the column{} {}",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", ")
        ))]);
    }
    let (year, line, amount) = (col("year"), col("line"), col("amount"));
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
        let get = |p: Option<usize>| p.and_then(|p| rec.get(p)).map(str::trim).unwrap_or("").to_string();
        let service = if !get(sid).is_empty() {
            Ok(ServiceKey::ServiceId(get(sid)))
        } else if !get(loc).is_empty() {
            Ok(ServiceKey::CqcLocationId(get(loc)))
        } else {
            Err(RowProblem::new(
                row,
                if sid.is_some() { "service_id" } else { "cqc_location_id" },
                "is empty: say which service the row is for",
            ))
        };
        out.push(CsvRow { row, service, year: get(year), line: get(line), amount: get(amount) });
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
    fn rows_name_their_service_and_keep_what_was_typed() {
        let rows = parse(b"\xef\xbb\xbfService_ID,CQC_Location_ID,Year,Line,Amount\ns1,,2025/26,mileage,1.20\n,1-23,2025,Care staff,410\n,,2025/26,training,0.3\n\n")
            .expect("rows");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].service, Ok(ServiceKey::ServiceId("s1".into())));
        assert_eq!((rows[0].year.as_str(), rows[0].line.as_str(), rows[0].amount.as_str()), ("2025/26", "mileage", "1.20"));
        assert_eq!(rows[1].service, Ok(ServiceKey::CqcLocationId("1-23".into())));
        assert_eq!(rows[2].row, 4);
        assert_eq!(rows[2].service.clone().map_err(|p| p.field), Err("service_id".to_string()));
    }

    #[test]
    fn files_without_the_columns_or_rows_are_refused_whole() {
        let msg = |b: &[u8]| parse(b).unwrap_err()[0].message.clone();
        assert!(msg(b"year,line,amount\n2025,mileage,1\n").contains("service_id or cqc_location_id"));
        assert_eq!(msg(b"service_id,year\ns,2025\n"), "The file needs the columns line, amount");
        assert_eq!(msg(b"service_id,year,line,amount\n,,,\n"), "The file has no rows");
        assert_eq!(msg(b"\xff\xfe"), "The file must be a CSV file saved as UTF-8 text");
    }
}
