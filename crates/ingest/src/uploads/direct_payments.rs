//! The finance system's spend file for direct payments: columns date, dp, amount and category,
//! in any order, named in a header row. The rows are checked against the records by
//! `caremarket_core::direct_payments::spend::check_import`.

use super::csv_rows_optional;
use caremarket_core::direct_payments::spend::SpendRow;

/// More rows than this are refused: a year's ledger for a large council is well under it.
pub const MAX_SPEND_ROWS: usize = 200_000;

/// Read a finance CSV with the columns date, dp, amount, category ("DP", "DP id", "reference"
/// and other spellings accepted), and optionally the card provider's merchant category code
/// (prepaid card statements carry one; spend in a blocked category is flagged). Row numbers count
/// the header as row 1.
pub fn read_spend_csv(bytes: &[u8]) -> Result<Vec<SpendRow>, String> {
    let rows = csv_rows_optional(
        bytes,
        "date, dp, amount and category",
        &[
            &["date", "spend date", "transaction date"],
            &["dp", "dp id", "dp_id", "direct payment", "reference", "person_ref", "case reference"],
            &["amount", "value", "amount (£)"],
            &["category", "spend category"],
        ],
        &[&["merchant_category", "merchant category", "merchant category code", "mcc"]],
    )?;
    if rows.len() > MAX_SPEND_ROWS {
        return Err("The file has more than 200,000 rows: split it and import each part".into());
    }
    Ok(rows
        .into_iter()
        .map(|(row, v)| {
            let mut v = v.into_iter();
            let mut next = || v.next().unwrap_or_default();
            SpendRow { row, date: next(), dp: next(), amount: next(), category: next(), merchant_category: next() }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spend_rows_by_header_in_any_order() {
        let rows =
            read_spend_csv(b"Amount,Category,DP,Date\n120.00,Personal Assistants,SP100,2024-02-01\n,,,\n40,Transport,SP101,2024-02-15\n")
                .expect("read");
        assert_eq!(
            rows[0],
            SpendRow {
                row: 2,
                date: "2024-02-01".into(),
                dp: "SP100".into(),
                amount: "120.00".into(),
                category: "Personal Assistants".into(),
                merchant_category: String::new(),
            }
        );
        assert_eq!((rows[1].row, rows[1].dp.as_str()), (4, "SP101"));
        let card = read_spend_csv(b"date,dp,amount,category,MCC\n2024-02-01,SP100,20,Other,7995\n").expect("read");
        assert_eq!(card[0].merchant_category, "7995");
        assert_eq!(
            read_spend_csv(b"date,person,amount,category\n"),
            Err("The header row must name the columns date, dp, amount and category; found date, person, amount, category".to_string())
        );
    }
}
