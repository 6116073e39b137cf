//! A new assessment framework's standards as a CSV: a header row naming the columns domain,
//! code, title and optionally guidance and provenance (in any order), then one row per standard.
//! What each standard must say is core's `StandardInput::check`; this only reads the file.

use caremarket_core::quality::frameworks::StandardInput;

/// Standards from a CSV file, in file order. A row left without a title (say) is kept, so the
/// check can refuse it naming its row; an unreadable row or missing column is an error.
pub fn parse(bytes: &[u8]) -> Result<Vec<StandardInput>, String> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(bytes);
    let headers = reader.headers().map_err(|_| "The file could not be read as CSV".to_string())?.clone();
    let col = |name: &str| headers.iter().position(|h| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case(name));
    let (Some(domain), Some(code), Some(title)) = (col("domain"), col("code"), col("title")) else {
        return Err("The first row of the file must name the columns domain, code and title (and optionally guidance)".into());
    };
    let (guidance, provenance) = (col("guidance"), col("provenance"));
    let mut out = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let row = i + 2;
        let rec = rec.map_err(|_| format!("Row {row}: could not be read as CSV"))?;
        if rec.iter().all(|f| f.is_empty()) {
            continue;
        }
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or("").to_string();
        out.push(StandardInput {
            domain: get(Some(domain)),
            code: get(Some(code)),
            title: get(Some(title)),
            guidance: Some(get(guidance)),
            provenance: get(provenance),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn csv_columns_by_name_and_rows_numbered() {
        let rows =
            parse(b"\xef\xbb\xbfTitle,Code,Domain,Guidance\n\"Safe, clean premises\",D1,Safety,Look at the kitchen\n\n,D2,Safety,\n")
                .expect("rows");
        assert_eq!(rows.len(), 2, "blank lines are skipped");
        assert_eq!((rows[0].title.as_str(), rows[0].code.as_str(), rows[0].domain.as_str()), ("Safe, clean premises", "D1", "Safety"));
        assert_eq!(rows[1].title, "", "an empty title is left for the check to refuse by row");
        assert!(parse(b"name,code\nx,y\n").expect_err("headers").contains("domain, code and title"));
    }
}
