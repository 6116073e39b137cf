#![no_main]
//! Fuzz target `cost_of_care_csv`: cost of care returns (`/fees/cost-of-care/upload`, read by
//! `uploads::cost_of_care::parse`). Any bytes must give rows or row-numbered problems, never a
//! panic. The rows read are then planned into returns as the store's import does
//! (`cost_of_care::plan_csv`), every service found (its kind chosen by the row, so every cost
//! model is reached) so each row reaches the year, line and amount checks.
use caremarket_core::fees::cost_of_care::{CsvLine, plan_csv};
use caremarket_core::register::ServiceKind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(rows) = caremarket_ingest::uploads::cost_of_care::parse(data) else { return };
    let lines: Vec<CsvLine> = rows
        .iter()
        .map(|r| CsvLine {
            row: r.row,
            service: r.service.clone().map(|key| {
                let id = key.value().to_string();
                let kind = ServiceKind::ALL[id.len() % ServiceKind::ALL.len()];
                (id, "Service".to_string(), kind)
            }),
            year: r.year.clone(),
            line: r.line.clone(),
            amount: r.amount.clone(),
        })
        .collect();
    let _ = plan_csv(&lines, caremarket_core::Date::constant(2025, 6, 1));
});
