//! Providers' monthly returns as a CSV (`caremarket_core::quality::returns::COLUMNS`, matched
//! ignoring case): one row per service and month, the service named by its CQC location id or
//! its id. The file is read here; the store finds the services and saves all rows or none.

use caremarket_core::quality::RowProblem;
use caremarket_core::quality::returns::{COLUMNS, NewMonthlyReturn, ReturnRow, ServiceKey};
use std::collections::BTreeMap;

/// Read a returns file. A file that cannot be read, or lacks the columns every row needs, is
/// `Err` with every problem (row 0 for the file as a whole).
pub fn parse(bytes: &[u8]) -> Result<Vec<ReturnRow>, Vec<RowProblem>> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(bytes);
    let headers: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|h| h.trim_start_matches('\u{feff}').to_string()).collect(),
        Err(e) => return Err(vec![RowProblem::whole_file(format!("The file could not be read as CSV: {e}"))]),
    };
    let mut records: Vec<Vec<String>> = Vec::new();
    let mut unreadable = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        match rec {
            Ok(r) => records.push(r.iter().map(str::to_string).collect()),
            Err(e) => {
                unreadable.push(RowProblem::new(i + 2, "", format!("row {}: could not be read ({e})", i + 2)));
                records.push(Vec::new());
            }
        }
    }
    if !unreadable.is_empty() {
        return Err(unreadable);
    }
    let col = |name: &str| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
    let idx: BTreeMap<&str, Option<usize>> = COLUMNS.iter().map(|c| (*c, col(c))).collect();
    let has = |c: &str| idx.get(c).copied().flatten().is_some();
    if !has("cqc_location_id") && !has("service_id") {
        return Err(vec![RowProblem::whole_file(
            "The file needs a cqc_location_id or service_id column to say which service each row is for",
        )]);
    }
    let missing: Vec<&str> = ["month", "complaints"].into_iter().filter(|c| !has(c)).collect();
    if !missing.is_empty() {
        return Err(vec![RowProblem::whole_file(format!(
            "The file needs the column{} {}",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(" and ")
        ))]);
    }
    if records.iter().all(|r| r.iter().all(|c| c.trim().is_empty())) {
        return Err(vec![RowProblem::whole_file("The file has no rows")]);
    }
    let mut out = Vec::new();
    for (i, rec) in records.iter().enumerate() {
        let row = i + 2;
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let get = |c: &str| idx.get(c).copied().flatten().and_then(|p| rec.get(p)).map(|v| v.trim()).unwrap_or("");
        let service = if !get("service_id").is_empty() {
            Ok(ServiceKey::ServiceId(get("service_id").to_string()))
        } else if !get("cqc_location_id").is_empty() {
            Ok(ServiceKey::CqcLocationId(get("cqc_location_id").to_string()))
        } else {
            Err(RowProblem::new(row, "cqc_location_id", "is empty: say which service the row is for"))
        };
        let mut problems = Vec::new();
        let mut num = |c: &str, required: bool| -> Option<i64> {
            let v = get(c);
            if v.is_empty() {
                if required {
                    problems.push(RowProblem::new(row, c, "is empty: enter a whole number (0 if none)"));
                }
                return None;
            }
            match v.replace(',', "").parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    problems.push(RowProblem::new(row, c, format!("must be a whole number; found '{v}'")));
                    None
                }
            }
        };
        let r = NewMonthlyReturn {
            service_id: String::new(),
            month: get("month").to_string(),
            complaints: num("complaints", true).unwrap_or(0),
            complaints_via_council: num("complaints_via_council", false).unwrap_or(0),
            complaints_resolved_in_house: num("complaints_resolved_in_house", false).unwrap_or(0),
            staff_in_post: num("staff_in_post", false),
            staff_vacancies: num("staff_vacancies", false),
            staff_leavers: num("staff_leavers", false),
            agency_hours: num("agency_hours", false),
        };
        out.push(ReturnRow { row, service, values: if problems.is_empty() { Ok(r) } else { Err(problems) } });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_name_their_service_and_numbers_are_whole() {
        let rows =
            parse(b"\xef\xbb\xbfCQC_Location_ID,Month,Complaints,Staff_in_post\n1-1,2025-01,\"1,2\",\n,2025-01,x,4\n\n").expect("rows");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].service, Ok(ServiceKey::CqcLocationId("1-1".into())));
        let first = rows[0].values.clone().expect("values");
        assert_eq!((first.month.as_str(), first.complaints, first.staff_in_post), ("2025-01", 12, None));
        assert_eq!(rows[1].row, 3);
        assert_eq!(rows[1].service.clone().unwrap_err().field, "cqc_location_id");
        assert_eq!(rows[1].values.clone().unwrap_err(), vec![RowProblem::new(3, "complaints", "must be a whole number; found 'x'")]);
    }

    #[test]
    fn files_without_the_columns_or_rows_are_refused_whole() {
        let msg = |b: &[u8]| parse(b).unwrap_err()[0].message.clone();
        assert!(msg(b"month,complaints\n2025-01,1\n").contains("cqc_location_id or service_id"));
        assert_eq!(msg(b"service_id,month\nx,2025-01\n"), "The file needs the column complaints");
        assert_eq!(msg(b"service_id\nx\n"), "The file needs the columns month and complaints");
        assert_eq!(msg(b"service_id,month,complaints\n,,\n"), "The file has no rows");
    }
}
