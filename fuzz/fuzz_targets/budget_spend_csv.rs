#![no_main]
//! Fuzz target `budget_spend_csv`: the finance system's spend file (`/fees/budgets/upload`, read
//! by `uploads::spend::parse`). Any bytes must give rows or row-numbered problems, never a panic.
//! The rows read are then checked as the store's import checks them (`plan_spend` and the total),
//! against cost centres made from the rows' own codes so each row reaches the period and amount
//! checks instead of stopping at an unknown cost centre.
use caremarket_core::fees::budgets::{CostCentre, cost_centre_code, plan_spend};
use caremarket_core::register::ServiceKind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(rows) = caremarket_ingest::uploads::spend::parse(data) else { return };
    let centres: Vec<CostCentre> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| CostCentre {
            code: cost_centre_code(&r.cost_centre),
            name: "Cost centre".into(),
            kind: ServiceKind::ALL[i % ServiceKind::ALL.len()],
        })
        .collect();
    if let Ok(plan) = plan_spend(&rows, &centres) {
        let _ = plan.total_pence();
    }
});
