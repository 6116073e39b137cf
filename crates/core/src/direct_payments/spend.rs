//! Spend from the council's finance system: which rows of a finance file can be recorded, all
//! or nothing. Every row is checked (a date, an amount other than zero, a known category, a
//! known DP by id or case reference, open on that date) and each bad row is named by its row
//! number, so an officer fixes the file once.

use super::{CATEGORIES, parse_category, parse_money, spend_allowed};
use crate::Date;
use std::collections::BTreeMap;

/// One row of a finance file as read: the row number (as the officer sees it in a spreadsheet,
/// the header being row 1) and its fields: four required, and the card's merchant category code
/// (empty when the file has none).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SpendRow {
    pub row: usize,
    pub date: String,
    pub dp: String,
    pub amount: String,
    pub category: String,
    pub merchant_category: String,
}

/// A DP as spend is matched to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownDp {
    pub id: String,
    pub person_ref: String,
    pub start: Date,
    pub end: Option<Date>,
}

/// A line of spend to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSpend {
    pub dp_id: String,
    pub spend_date: Date,
    pub amount_pence: i64,
    pub category: &'static str,
    /// The card's merchant category code (four digits), when the file gives one.
    pub merchant_category: Option<String>,
}

/// The spend to record from `rows`, or a message for each bad row. A case reference with
/// several DPs means the one open on the row's date.
pub fn check_import(rows: &[SpendRow], dps: &[KnownDp]) -> Result<Vec<NewSpend>, Vec<String>> {
    if rows.is_empty() {
        return Err(vec!["The file has no rows of spend under its header".into()]);
    }
    let mut by_id: BTreeMap<&str, &KnownDp> = BTreeMap::new();
    let mut by_ref: BTreeMap<String, Vec<&KnownDp>> = BTreeMap::new();
    for d in dps {
        by_ref.entry(d.person_ref.to_uppercase()).or_default().push(d);
        by_id.insert(d.id.as_str(), d);
    }
    let mut errors = Vec::new();
    let mut good = Vec::new();
    for r in rows {
        let n = r.row;
        let date = match crate::parse_date("date", &r.date) {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(format!("Row {n}: 'date' must be a date like 2024-03-31; found '{}'", r.date.trim()));
                None
            }
        };
        let amount = match parse_money(&r.amount) {
            Some(0) => {
                errors.push(format!("Row {n}: 'amount' must not be zero"));
                None
            }
            Some(a) => Some(a),
            None => {
                errors.push(format!("Row {n}: 'amount' must be an amount in pounds like 125.50; found '{}'", r.amount.trim()));
                None
            }
        };
        let category = parse_category(&r.category);
        if category.is_none() {
            let names = CATEGORIES.iter().map(|(_, l)| *l).collect::<Vec<_>>().join(", ");
            errors.push(format!("Row {n}: 'category' must be one of {names}; found '{}'", r.category.trim()));
        }
        let merchant_category = match crate::approvals::parse_merchant_category(&r.merchant_category) {
            Ok(m) => m,
            Err(m) => {
                errors.push(format!("Row {n}: 'merchant_category' {m}"));
                None
            }
        };
        let key = r.dp.trim();
        let target: Option<&KnownDp> = if let Some(d) = by_id.get(key) {
            Some(*d)
        } else if let Some(v) = by_ref.get(&key.to_uppercase()) {
            match date {
                Some(on) => v.iter().find(|d| spend_allowed(d.start, d.end, on).is_ok()).or(v.first()).copied(),
                None => v.first().copied(),
            }
        } else {
            errors.push(format!("Row {n}: 'dp' must be a direct payment's id or case reference; no direct payment '{key}' is recorded"));
            None
        };
        if let (Some(t), Some(on)) = (target, date)
            && let Err(m) = spend_allowed(t.start, t.end, on)
        {
            errors.push(format!("Row {n}: {m}"));
            continue;
        }
        if let (Some(t), Some(spend_date), Some(amount_pence), Some(category)) = (target, date, amount, category) {
            good.push(NewSpend { dp_id: t.id.clone(), spend_date, amount_pence, category, merchant_category });
        }
    }
    if errors.is_empty() { Ok(good) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i16, m: i8, day: i8) -> Date {
        Date::constant(y, m, day)
    }

    fn row(n: usize, date: &str, dp: &str, amount: &str, category: &str) -> SpendRow {
        SpendRow { row: n, date: date.into(), dp: dp.into(), amount: amount.into(), category: category.into(), ..Default::default() }
    }

    fn dps() -> Vec<KnownDp> {
        vec![
            KnownDp { id: "open-id".into(), person_ref: "CD200".into(), start: d(2024, 1, 1), end: None },
            KnownDp { id: "closed-id".into(), person_ref: "CD201".into(), start: d(2024, 1, 1), end: Some(d(2024, 3, 31)) },
            // A second DP for the same person after the first closed.
            KnownDp { id: "again-id".into(), person_ref: "CD201".into(), start: d(2024, 5, 1), end: None },
        ]
    }

    #[test]
    fn every_bad_row_is_named() {
        let rows = [
            row(2, "2024-02-01", "open-id", "120.00", "Personal Assistants"),
            row(3, "2024-04-15", "closed-id", "50.00", "Activities"),
            row(4, "2024-02-01", "CD200", "abc", "Transport"),
            row(5, "2024-02-01", "CD200", "10", "Holidays"),
            row(6, "31/02/2024", "nobody", "0", "Transport"),
        ];
        let errs = check_import(&rows, &dps()).expect_err("bad rows");
        assert_eq!(errs.len(), 6, "{errs:?}");
        assert_eq!(errs[0], "Row 3: the direct payment closed on 2024-03-31: spend after closure cannot be recorded");
        assert_eq!(errs[1], "Row 4: 'amount' must be an amount in pounds like 125.50; found 'abc'");
        assert!(errs[2].starts_with("Row 5: 'category' must be one of Activities, Carers,"), "{errs:?}");
        assert_eq!(errs[3], "Row 6: 'date' must be a date like 2024-03-31; found '31/02/2024'");
        assert_eq!(errs[4], "Row 6: 'amount' must not be zero");
        assert_eq!(errs[5], "Row 6: 'dp' must be a direct payment's id or case reference; no direct payment 'nobody' is recorded");
        assert_eq!(check_import(&[], &dps()), Err(vec!["The file has no rows of spend under its header".to_string()]));
    }

    #[test]
    fn a_reference_means_the_dp_open_that_day() {
        let rows =
            [row(2, "2024-02-01", "cd201", "£1,050.50", "equipment and technology"), row(3, "2024-06-01", "CD201", "-12", "Transport")];
        let spend = check_import(&rows, &dps()).expect("good");
        assert_eq!(
            spend[0],
            NewSpend {
                dp_id: "closed-id".into(),
                spend_date: d(2024, 2, 1),
                amount_pence: 105_050,
                category: "equipment_technology",
                merchant_category: None
            }
        );
        assert_eq!((spend[1].dp_id.as_str(), spend[1].amount_pence), ("again-id", -1_200));
    }
}
