//! Budget against spend (domain C7; issue 11 item 6): a budget per market and financial year,
//! spend imported from the finance system's CSV (supplier, cost centre, period, amount), and the
//! forecast outturn per market against its budget.
//!
//! Seed `000`: care homes "circa £98m, against a budget of £88m"; "The budget for Supported
//! Living in 23/24 was £39.8m, for day services was £6.2m, and for Short Breaks was c£1.2m".
//! Those markets are types of service, so a market here is a [`ServiceKind`] (the register's
//! list, which the dashboard and capacity count by); the quarterly report's four markets group
//! them. Money is integer pence; a year is the one it starts in (2024 is 2024/25).

use super::cost_of_care::{parse_year, year_text};
use crate::direct_payments::money::{div_round, money, money_pounds, parse_money};
use crate::quality::RowProblem;
use crate::register::ServiceKind;
use crate::{Date, FieldErrors};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The columns of the spend file, in any order and any case (each with the other names finance
/// systems give it).
pub const SPEND_COLUMNS: [(&str, &[&str]); 4] = [
    ("supplier", &["supplier", "supplier name", "supplier_name", "vendor", "payee"]),
    ("cost_centre", &["cost_centre", "cost centre", "cost center", "cost_center", "cost centre code"]),
    ("period", &["period", "month", "date", "posting date", "period_date"]),
    ("amount", &["amount", "net amount", "value", "net"]),
];

/// The rule the forecast follows, said on the page and in `docs/fees.md`.
pub const FORECAST_RULE: &str = "The forecast outturn is the spend to date plus a projection for the months left: the average \
    spend a month so far times the months left in the year, rounded to the penny. The months so far run from April to the \
    latest month with any spend imported for the year, for every market alike, so a market with no spend in a month counts \
    that month as £0.";

/// A cost centre typed on the cost centres page.
#[derive(Debug, Clone, Default)]
pub struct CostCentreDraft {
    pub code: String,
    pub name: String,
    pub kind: Option<ServiceKind>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CostCentre {
    /// In capitals: "ASC-RES-01".
    pub code: String,
    pub name: String,
    pub kind: ServiceKind,
}

/// A cost centre code as stored and matched: trimmed, in capitals.
pub fn cost_centre_code(raw: &str) -> String {
    raw.trim().to_uppercase()
}

impl CostCentreDraft {
    pub fn check(&self) -> Result<CostCentre, FieldErrors> {
        let mut e = FieldErrors::new();
        let code = cost_centre_code(&self.code);
        if code.is_empty() {
            e.add("code", "Enter the cost centre code");
        } else if code.len() > 30 || !code.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')) {
            e.add("code", "The cost centre code must be up to 30 letters, digits, dashes, dots or slashes, like ASC-RES-01");
        }
        let name = self.name.trim().to_string();
        if name.is_empty() {
            e.add("name", "Enter the cost centre's name");
        } else if name.chars().count() > 200 {
            e.add("name", "The name must be 200 characters or fewer");
        }
        if self.kind.is_none() {
            e.add("kind", "Choose the market the cost centre's spend belongs to");
        }
        match self.kind {
            Some(kind) if e.is_empty() => Ok(CostCentre { code, name, kind }),
            _ => Err(e),
        }
    }
}

/// A budget typed on the budget page.
#[derive(Debug, Clone, Default)]
pub struct BudgetDraft {
    pub kind: Option<ServiceKind>,
    pub year: String,
    pub amount: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBudget {
    pub kind: ServiceKind,
    pub year: i32,
    pub amount_pence: i64,
    pub reason: Option<String>,
}

impl BudgetDraft {
    /// A market, a year (no later than next year) and an amount of more than £0. A change to a
    /// budget is a new version: `changing` says a budget is already set, so a reason is needed.
    pub fn check(&self, today: Date, changing: bool) -> Result<NewBudget, FieldErrors> {
        let mut e = FieldErrors::new();
        if self.kind.is_none() {
            e.add("kind", "Choose the market");
        }
        let year = e.check(parse_year("year", &self.year, today));
        let amount = match self.amount.trim() {
            "" => {
                e.add("amount", "Enter the budget in pounds");
                None
            }
            t => match parse_money(t) {
                Some(v) if v > 0 => Some(v),
                Some(_) => {
                    e.add("amount", "The budget must be more than £0");
                    None
                }
                None => {
                    e.add("amount", "The budget must be an amount of money, like 8800000 or £8,800,000.00");
                    None
                }
            },
        };
        let reason = Some(self.reason.trim().to_string()).filter(|r| !r.is_empty());
        if changing && reason.is_none() {
            e.add("reason", "Say why the budget is changing");
        }
        if reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
            e.add("reason", "The reason must be 500 characters or fewer");
        }
        match (self.kind, year, amount) {
            (Some(kind), Some(year), Some(amount_pence)) if e.is_empty() => Ok(NewBudget { kind, year, amount_pence, reason }),
            _ => Err(e),
        }
    }
}

/// A month of spend: the first day of the month.
pub type Period = Date;

/// "2024-05".
pub fn period_text(p: Period) -> String {
    format!("{:04}-{:02}", p.year(), p.month())
}

/// "May 2024".
pub fn period_label(p: Period) -> String {
    const MONTHS: [&str; 12] =
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
    format!("{} {}", MONTHS[(p.month() as usize).saturating_sub(1) % 12], p.year())
}

/// The month a period is in, from 1 (April) to 12 (March) of its financial year.
pub fn month_of_year(p: Period) -> u8 {
    ((i32::from(p.month()) + 8) % 12 + 1) as u8
}

/// The first day of the `n`th month (1 = April) of the financial year starting in `year`.
pub fn nth_month(year: i32, n: u8) -> Option<Period> {
    let m = i32::from(n) + 3;
    let (y, m) = if m > 12 { (year + 1, m - 12) } else { (year, m) };
    jiff::civil::Date::new(i16::try_from(y).ok()?, i8::try_from(m).ok()?, 1).ok()
}

/// A period typed in the spend file: a month "2024-05" (or "2024/05", "05/2024"), or a date
/// "2024-05-31" or "31/05/2024" standing for its month. Anything else is `None`.
pub fn parse_period(raw: &str) -> Option<Period> {
    let t = raw.trim();
    let nums: Vec<&str> = t.split(['-', '/']).collect();
    let num = |s: &str| -> Option<i32> {
        if !s.is_empty() && s.len() <= 4 && s.chars().all(|c| c.is_ascii_digit()) { s.parse().ok() } else { None }
    };
    let (y, m, d) = match nums.as_slice() {
        [a, b] if a.len() == 4 => (num(a)?, num(b)?, 1),
        [a, b] if b.len() == 4 => (num(b)?, num(a)?, 1),
        [a, b, c] if a.len() == 4 => (num(a)?, num(b)?, num(c)?),
        [a, b, c] if c.len() == 4 => (num(c)?, num(b)?, num(a)?),
        _ => return None,
    };
    if !(2000..=2100).contains(&y) {
        return None;
    }
    // The day must exist, though only the month is kept.
    jiff::civil::Date::new(i16::try_from(y).ok()?, i8::try_from(m).ok()?, i8::try_from(d).ok()?).ok()?;
    jiff::civil::Date::new(i16::try_from(y).ok()?, i8::try_from(m).ok()?, 1).ok()
}

/// How a supplier's name is matched across files and to a provider: lower case, letters and
/// digits only with single spaces, "limited" as "ltd" ("ACME CARE LIMITED" is "acme care ltd").
pub fn supplier_key(name: &str) -> String {
    let cleaned: String = name.to_lowercase().chars().map(|c| if c.is_alphanumeric() { c } else { ' ' }).collect();
    cleaned.split_whitespace().map(|w| if w == "limited" { "ltd" } else { w }).collect::<Vec<_>>().join(" ")
}

/// One row of the spend file as read, before checking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpendCsvRow {
    /// The file's row number (the header is row 1).
    pub row: usize,
    pub supplier: String,
    pub cost_centre: String,
    pub period: String,
    pub amount: String,
}

/// A checked spend row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSpend {
    pub row: usize,
    pub supplier: String,
    pub supplier_key: String,
    pub cost_centre: String,
    pub kind: ServiceKind,
    pub period: Period,
    pub year: i32,
    pub amount_pence: i64,
}

/// A spend file checked: its rows, and the cost centre and month pairs it covers (an import
/// replaces the rows already held for each of them, so importing the same file twice counts it
/// once, and a corrected month replaces the first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpendPlan {
    pub rows: Vec<NewSpend>,
    pub covers: BTreeSet<(String, Period)>,
}

impl SpendPlan {
    /// The file's total. Rows are at most [`MAX_SPEND_ROW_PENCE`] each, so only a file of over
    /// 90 million rows (the command line's, which has no upload limit) could reach the ends of
    /// an `i64`; the sum stops there rather than wrap or panic.
    pub fn total_pence(&self) -> i64 {
        self.rows.iter().fold(0i64, |total, r| total.saturating_add(r.amount_pence))
    }
}

/// The largest amount one row of a spend file may hold either way: £1,000,000,000, far above
/// any one payment of a council's adult social care. It keeps a file's total (at most
/// [`crate::limits::TABLE_UPLOAD_BYTES`] of rows, so fewer than 3 million) and the sums of many
/// files far inside an `i64` of pence: without it two rows of £92,233,720,368,547,758.07 (which
/// parse) overflowed the total, a panic in a build with overflow checks and a wrong total
/// otherwise (found while writing the fuzz target `budget_spend_csv`, which panics on it when
/// built with overflow checks).
pub const MAX_SPEND_ROW_PENCE: i64 = 100_000_000_000;

/// Check every row of a spend file against the council's cost centres: all rows, or every
/// problem named by its row and column. Credits (negative amounts) are allowed, each row at most
/// [`MAX_SPEND_ROW_PENCE`] either way.
pub fn plan_spend(rows: &[SpendCsvRow], centres: &[CostCentre]) -> Result<SpendPlan, Vec<RowProblem>> {
    let by_code: BTreeMap<String, &CostCentre> = centres.iter().map(|c| (c.code.clone(), c)).collect();
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for r in rows {
        let supplier = r.supplier.trim();
        let mut ok = true;
        if supplier.is_empty() || supplier_key(supplier).is_empty() {
            problems.push(RowProblem::new(r.row, "supplier", "is empty: name the supplier paid"));
            ok = false;
        } else if supplier.chars().count() > 200 {
            problems.push(RowProblem::new(r.row, "supplier", "is longer than 200 characters"));
            ok = false;
        }
        let code = cost_centre_code(&r.cost_centre);
        let centre = if code.is_empty() {
            problems.push(RowProblem::new(r.row, "cost_centre", "is empty: give the cost centre the spend is coded to"));
            None
        } else {
            match by_code.get(&code) {
                Some(c) => Some(*c),
                None => {
                    problems.push(RowProblem::new(
                        r.row,
                        "cost_centre",
                        format!(
                            "'{}' is not one of the council's cost centres: add it on the cost centres page, or correct the row",
                            r.cost_centre.trim()
                        ),
                    ));
                    None
                }
            }
        };
        let period = match parse_period(&r.period) {
            Some(p) => Some(p),
            None if r.period.trim().is_empty() => {
                problems.push(RowProblem::new(r.row, "period", "is empty: give the month, like 2024-05, or a date in it"));
                None
            }
            None => {
                problems.push(RowProblem::new(
                    r.row,
                    "period",
                    format!("'{}' is not a month like 2024-05 or a date like 2024-05-31 or 31/05/2024", r.period.trim()),
                ));
                None
            }
        };
        let amount = match parse_money(&r.amount) {
            Some(v) if v.unsigned_abs() > MAX_SPEND_ROW_PENCE.unsigned_abs() => {
                problems.push(RowProblem::new(
                    r.row,
                    "amount",
                    format!(
                        "'{}' is more than {} either way, larger than any one payment: check the amount",
                        r.amount.trim(),
                        money_pounds(MAX_SPEND_ROW_PENCE)
                    ),
                ));
                None
            }
            Some(v) => Some(v),
            None if r.amount.trim().is_empty() => {
                problems.push(RowProblem::new(r.row, "amount", "is empty: give the amount in pounds, like 1234.56"));
                None
            }
            None => {
                problems.push(RowProblem::new(
                    r.row,
                    "amount",
                    format!("'{}' is not an amount of money, like 1234.56, £1,234.56 or -50.00 for a credit", r.amount.trim()),
                ));
                None
            }
        };
        if let (true, Some(c), Some(period), Some(amount_pence)) = (ok, centre, period, amount) {
            out.push(NewSpend {
                row: r.row,
                supplier: supplier.to_string(),
                supplier_key: supplier_key(supplier),
                cost_centre: c.code.clone(),
                kind: c.kind,
                period,
                year: super::cost_of_care::year_of(period),
                amount_pence,
            });
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if out.is_empty() {
        return Err(vec![RowProblem::whole_file("The file has no rows of spend")]);
    }
    let covers = out.iter().map(|r| (r.cost_centre.clone(), r.period)).collect();
    Ok(SpendPlan { rows: out, covers })
}

/// One market's forecast outturn for a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Outturn {
    /// Spend in the months so far.
    pub to_date: i64,
    /// Months from April to the latest month with spend (for every market).
    pub months_so_far: u8,
    pub months_left: u8,
    /// The average a month so far times the months left.
    pub projection: i64,
    /// Spend to date plus the projection.
    pub forecast: i64,
    pub budget: Option<i64>,
}

impl Outturn {
    /// Forecast minus budget: more than 0 is an overspend.
    pub fn variance(&self) -> Option<i64> {
        self.budget.map(|b| self.forecast - b)
    }

    /// The variance as a share of the budget in tenths of a per cent, rounded once.
    pub fn variance_tenths(&self) -> Option<i64> {
        match (self.variance(), self.budget) {
            (Some(v), Some(b)) if b != 0 => Some(div_round(v * 1_000, b)),
            _ => None,
        }
    }

    /// "£1,000.00 over budget (11.4%)", "£50.00 under budget (0.6%)", "on budget", or "no
    /// budget set".
    pub fn words(&self) -> String {
        match (self.variance(), self.variance_tenths()) {
            (Some(0), _) => "On budget".into(),
            (Some(v), Some(t)) => {
                format!("{} {} budget ({})", money(v.abs()), if v > 0 { "over" } else { "under" }, tenths_text(t.abs()))
            }
            _ => "No budget set".into(),
        }
    }
}

/// Tenths of a per cent as text: 114 as "11.4%".
pub fn tenths_text(tenths: i64) -> String {
    let sign = if tenths < 0 { "-" } else { "" };
    format!("{sign}{}.{}%", tenths.abs() / 10, tenths.abs() % 10)
}

/// The months so far of a year: from April to the latest month of the year with any spend
/// (0 when the year has none).
pub fn months_so_far(periods: impl IntoIterator<Item = Period>) -> u8 {
    periods.into_iter().map(month_of_year).max().unwrap_or(0)
}

/// A market's outturn from its spend in the year's months so far ([`FORECAST_RULE`]).
/// `spend` is the market's amounts in the year (rows of months after `months` are counted in
/// the spend to date too: they cannot exist when `months` comes from [`months_so_far`]).
pub fn outturn(spend: &[i64], months: u8, budget: Option<i64>) -> Outturn {
    let to_date: i64 = spend.iter().sum();
    let months = months.min(12);
    let left = 12 - months;
    let projection = if months == 0 { 0 } else { div_round(to_date * i64::from(left), i64::from(months)) };
    Outturn { to_date, months_so_far: months, months_left: left, projection, forecast: to_date + projection, budget }
}

/// "2024/25".
pub fn year_label(year: i32) -> String {
    year_text(year)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn centres() -> Vec<CostCentre> {
        vec![
            CostCentre { code: "ASC-RES".into(), name: "Residential".into(), kind: ServiceKind::CareHomeResidential },
            CostCentre { code: "ASC-HC".into(), name: "Home care".into(), kind: ServiceKind::HomeCare },
        ]
    }

    fn row(row: usize, supplier: &str, cc: &str, period: &str, amount: &str) -> SpendCsvRow {
        SpendCsvRow { row, supplier: supplier.into(), cost_centre: cc.into(), period: period.into(), amount: amount.into() }
    }

    #[test]
    fn money_in_the_finance_file_as_finance_systems_write_it() {
        let plan = plan_spend(
            &[
                row(2, "Acme Care Ltd", "asc-res", "2024-05", "1234.56"),
                row(3, "Acme Care Ltd", "ASC-RES", "31/05/2024", "£1,234.56"),
                row(4, "Acme Care Ltd", " ASC-HC ", "2024-06-15", "-50.00"),
                row(5, "Acme Care Ltd", "ASC-HC", "06/2024", "(10.01)"),
            ],
            &centres(),
        )
        .expect("good");
        let amounts: Vec<i64> = plan.rows.iter().map(|r| r.amount_pence).collect();
        assert_eq!(amounts, [123_456, 123_456, -5_000, -1_001]);
        assert_eq!(plan.total_pence(), 123_456 * 2 - 5_000 - 1_001);
        assert_eq!(plan.rows[0].period, date(2024, 5, 1));
        assert_eq!(plan.rows[2].period, date(2024, 6, 1));
        assert_eq!(plan.rows[0].cost_centre, "ASC-RES");
        assert_eq!(plan.rows[2].kind, ServiceKind::HomeCare);
        assert_eq!(plan.rows[0].year, 2024);
        // Two cost centre months: (ASC-RES, May) and (ASC-HC, June).
        assert_eq!(plan.covers.len(), 2);
    }

    #[test]
    fn each_bad_row_is_named_by_row_and_field_and_nothing_is_planned() {
        let e = plan_spend(
            &[
                row(2, "Acme Care Ltd", "ASC-RES", "2024-05", "100"),
                row(3, "", "ASC-XX", "May 2024", "12.345"),
                row(4, "Beta Ltd", "", "2024-13", ""),
                row(5, "Beta Ltd", "ASC-HC", "2024-02-30", "abc"),
            ],
            &centres(),
        )
        .expect_err("bad");
        let got: Vec<(usize, &str)> = e.iter().map(|p| (p.row, p.field.as_str())).collect();
        assert_eq!(
            got,
            [
                (3, "supplier"),
                (3, "cost_centre"),
                (3, "period"),
                (3, "amount"),
                (4, "cost_centre"),
                (4, "period"),
                (4, "amount"),
                (5, "period"),
                (5, "amount")
            ]
        );
        assert_eq!(
            e[1].to_string(),
            "row 3: 'cost_centre' 'ASC-XX' is not one of the council's cost centres: add it on the cost centres page, or correct the row"
        );
        assert_eq!(e[3].message, "'12.345' is not an amount of money, like 1234.56, £1,234.56 or -50.00 for a credit");
        assert_eq!(plan_spend(&[], &centres()).expect_err("empty")[0].message, "The file has no rows of spend");
    }

    /// Two rows of the largest amount `parse_money` reads overflowed the file's total (found
    /// while writing the fuzz target `budget_spend_csv`): an amount over £1,000,000,000 either
    /// way is refused by row, and the largest allowed is kept to the penny.
    #[test]
    fn an_amount_past_a_billion_pounds_is_refused_not_added() {
        let huge = "92233720368547758.07";
        let e = plan_spend(
            &[row(2, "Acme Care Ltd", "ASC-RES", "2024-05", huge), row(3, "Acme Care Ltd", "ASC-RES", "2024-06", "-1000000000.01")],
            &centres(),
        )
        .expect_err("too large");
        assert_eq!(
            e.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
            [
                "row 2: 'amount' '92233720368547758.07' is more than £1,000,000,000 either way, larger than any one payment: check the amount",
                "row 3: 'amount' '-1000000000.01' is more than £1,000,000,000 either way, larger than any one payment: check the amount",
            ]
        );
        let plan = plan_spend(
            &[
                row(2, "Acme Care Ltd", "ASC-RES", "2024-05", "£1,000,000,000.00"),
                row(3, "Acme Care Ltd", "ASC-HC", "2024-05", "-1000000000"),
            ],
            &centres(),
        )
        .expect("at the limit");
        assert_eq!(plan.rows.iter().map(|r| r.amount_pence).collect::<Vec<_>>(), [100_000_000_000, -100_000_000_000]);
        assert_eq!(plan.total_pence(), 0);
    }

    #[test]
    fn periods_are_months_of_financial_years() {
        assert_eq!(parse_period("2024-05"), Some(date(2024, 5, 1)));
        assert_eq!(parse_period("2024/05"), Some(date(2024, 5, 1)));
        assert_eq!(parse_period("05/2024"), Some(date(2024, 5, 1)));
        assert_eq!(parse_period("2025-02-28"), Some(date(2025, 2, 1)));
        assert_eq!(parse_period("28/02/2025"), Some(date(2025, 2, 1)));
        for bad in ["", "2025-02-29", "13/2024", "May", "24-05", "1999-01"] {
            assert_eq!(parse_period(bad), None, "{bad}");
        }
        assert_eq!(month_of_year(date(2024, 4, 1)), 1);
        assert_eq!(month_of_year(date(2024, 12, 1)), 9);
        assert_eq!(month_of_year(date(2025, 3, 1)), 12);
        assert_eq!(nth_month(2024, 1), Some(date(2024, 4, 1)));
        assert_eq!(nth_month(2024, 10), Some(date(2025, 1, 1)));
        assert_eq!(period_label(date(2025, 1, 1)), "January 2025");
        assert_eq!(period_text(date(2025, 1, 1)), "2025-01");
        assert_eq!(months_so_far([date(2024, 5, 1), date(2024, 12, 1), date(2024, 4, 1)]), 9);
        assert_eq!(months_so_far([]), 0);
    }

    #[test]
    fn suppliers_match_whatever_the_finance_system_calls_them() {
        assert_eq!(supplier_key("ACME CARE LIMITED"), "acme care ltd");
        assert_eq!(supplier_key("  Acme  Care Ltd. "), "acme care ltd");
        assert_eq!(supplier_key("St. Mary's (Care) Ltd"), "st mary s care ltd");
    }

    #[test]
    fn the_forecast_projects_the_average_month_and_compares_with_the_budget() {
        // `000`: care homes "circa £98m, against a budget of £88m". Nine months of £7.35m is
        // £66.15m to date; three more at the same average make £88.2m... scaled here: nine
        // months at £73,500 each against a budget of £880,000.
        let months = [7_350_000_i64; 9];
        let o = outturn(&months, 9, Some(88_000_000));
        assert_eq!(o.to_date, 9 * 7_350_000);
        assert_eq!(o.projection, 3 * 7_350_000);
        assert_eq!(o.forecast, 12 * 7_350_000);
        assert_eq!(o.variance(), Some(12 * 7_350_000 - 88_000_000));
        assert_eq!(o.words(), "£2,000.00 over budget (0.2%)");
        // Uneven months: the average is rounded at the end, once.
        let o = outturn(&[100, 200, 101], 3, Some(1_000));
        assert_eq!(o.projection, div_round(401 * 9, 3));
        assert_eq!(o.forecast, 401 + 1_203);
        assert_eq!(o.variance_tenths(), Some(604));
        assert_eq!(o.words(), "£6.04 over budget (60.4%)");
        let o = outturn(&[1_000], 12, Some(1_500));
        assert_eq!((o.projection, o.forecast, o.months_left), (0, 1_000, 0));
        assert_eq!(o.words(), "£5.00 under budget (33.3%)");
        assert_eq!(outturn(&[], 0, None).forecast, 0);
        assert_eq!(outturn(&[5], 1, None).words(), "No budget set");
        assert_eq!(outturn(&[100], 12, Some(100)).words(), "On budget");
        assert_eq!(tenths_text(114), "11.4%");
        assert_eq!(tenths_text(-1), "-0.1%");
        // `000`'s care homes: circa £98m against £88m is 11.4% over.
        assert_eq!(outturn(&[9_800_000_000], 12, Some(8_800_000_000)).words(), "£10,000,000.00 over budget (11.4%)");
    }

    #[test]
    fn a_budget_needs_a_market_year_amount_and_a_reason_to_change() {
        let today = date(2025, 12, 4);
        let d =
            BudgetDraft { kind: Some(ServiceKind::HomeCare), year: "2024/25".into(), amount: "£8,800,000".into(), reason: String::new() };
        assert_eq!(
            d.check(today, false),
            Ok(NewBudget { kind: ServiceKind::HomeCare, year: 2024, amount_pence: 880_000_000, reason: None })
        );
        let e = d.check(today, true).expect_err("reason");
        assert_eq!(e.0[0].field, "reason");
        let e = BudgetDraft { kind: None, year: "2030/31".into(), amount: "-5".into(), reason: String::new() }
            .check(today, false)
            .expect_err("bad");
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["kind", "year", "amount"]);
    }

    #[test]
    fn a_cost_centre_has_a_code_a_name_and_a_market() {
        let c =
            CostCentreDraft { code: " asc-res-01 ".into(), name: "Residential care".into(), kind: Some(ServiceKind::CareHomeResidential) }
                .check()
                .expect("good");
        assert_eq!(c.code, "ASC-RES-01");
        let e = CostCentreDraft { code: "a b".into(), name: String::new(), kind: None }.check().expect_err("bad");
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["code", "name", "kind"]);
    }
}
