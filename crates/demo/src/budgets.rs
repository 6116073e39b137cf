//! The demo council's budgets and spend (issue 11 item 6): cost centres for care homes
//! (residential and nursing), home care, supported living and day services; budgets for last
//! financial year and this one; and spend from the finance system for every month of last year
//! and this year's months so far, one import a month, as the finance team would upload them.
//!
//! Scaled from Sheffield's figures in `000` to a quarter, times the demo's scale: care homes
//! "circa £98m, against a budget of £88m" become a budget of £22m (residential £12.5m, nursing
//! £9.5m) spent at about £24.5m a year, so the care homes market is overspent as in the seed;
//! supported living £39.8m is £9.95m, day services £6.2m is £1.55m; home care £8m. Suppliers are
//! the register's providers of each kind, most matched to their provider, with a few the
//! register does not know (an agency, a transport firm, a sole trader) and two providers spelt
//! as the finance system spells them, left for an officer to match. One month has a credit note.

use crate::DemoError;
use caremarket_core::Date;
use caremarket_core::fees::budgets::{BudgetDraft, CostCentreDraft, SpendCsvRow, nth_month, period_text, supplier_key, year_label};
use caremarket_core::fees::cost_of_care::year_of;
use caremarket_core::register::ServiceKind;
use caremarket_store::register::ServiceFilter;
use caremarket_store::{Actor, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The demo's cost centres: code, name, market, and this year's budget and yearly spend in
/// pounds (at scale 1).
const CENTRES: [(&str, &str, ServiceKind, i64, i64); 5] = [
    ("ASC-CH-RES", "Residential care homes", ServiceKind::CareHomeResidential, 12_500_000, 13_900_000),
    ("ASC-CH-NUR", "Nursing care homes", ServiceKind::CareHomeNursing, 9_500_000, 10_600_000),
    ("ASC-HC", "Home care", ServiceKind::HomeCare, 8_000_000, 7_900_000),
    ("ASC-SL", "Supported living", ServiceKind::SupportedLiving, 9_950_000, 9_700_000),
    ("ASC-DS", "Day services", ServiceKind::DayServices, 1_550_000, 1_540_000),
];

/// Suppliers the register does not know, with the cost centre they are paid from.
const UNKNOWN: [(&str, &str); 3] =
    [("Northern Agency Staffing Ltd", "ASC-HC"), ("Carewell Transport Services", "ASC-DS"), ("J. Patel (sole trader)", "ASC-SL")];

fn pounds(p: i64) -> String {
    let sign = if p < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", p.abs() / 100, p.abs() % 100)
}

/// Write the demo's cost centres, budgets and spend; returns the number of spend rows.
pub async fn generate_budgets(store: &Store, seed: u64, scale: u32, today: Date) -> Result<usize, DemoError> {
    let actor = Actor::system("demo");
    let mut rng = StdRng::seed_from_u64(seed ^ 0x0B0D_6E75);
    let scale = i64::from(scale.max(1));
    let this_year = year_of(today);
    let last_year = this_year - 1;
    for (code, name, kind, ..) in CENTRES {
        store.save_cost_centre(&actor, &CostCentreDraft { code: code.into(), name: name.into(), kind: Some(kind) }, None).await?;
    }
    // Budgets: last year's about 4% less than this year's.
    for (_, _, kind, budget, _) in CENTRES {
        for (year, pounds) in [(last_year, budget * 96 / 100), (this_year, budget)] {
            let draft =
                BudgetDraft { kind: Some(kind), year: year_label(year), amount: (pounds * scale).to_string(), reason: String::new() };
            store.set_budget(&actor, &draft, today).await?;
        }
    }
    // This year's residential budget was raised once in year: a second version with its reason.
    let raised = BudgetDraft {
        kind: Some(ServiceKind::CareHomeResidential),
        year: year_label(this_year),
        amount: ((CENTRES[0].3 + 250_000) * scale).to_string(),
        reason: "In-year virement from the contingency, agreed at Policy Committee".into(),
    };
    store.set_budget(&actor, &raised, today).await?;

    // Each market's suppliers: the register's providers of its kind (up to eight).
    let services =
        store.services(&ServiceFilter { any_area: false, per_page: 1000, sort: Some("name".into()), ..Default::default() }).await?;
    let mut suppliers: Vec<(String, Vec<(String, String)>)> = Vec::new(); // code -> [(name, provider id)]
    for (code, _, kind, ..) in CENTRES {
        let mut of_kind: Vec<(String, String)> = Vec::new();
        for s in services.items.iter().filter(|s| s.kind == kind) {
            if !of_kind.iter().any(|(_, p)| *p == s.provider_id) && of_kind.len() < 8 {
                of_kind.push((s.provider_name.clone(), s.provider_id.clone()));
            }
        }
        suppliers.push((code.to_string(), of_kind));
    }
    // Two providers as the finance system spells them: capitals and "LIMITED".
    let mut respelt: Vec<String> = Vec::new();
    for (_, list) in suppliers.iter_mut().take(2) {
        if let Some(first) = list.first_mut() {
            first.0 = first.0.to_uppercase().replace(" LTD", " LIMITED");
            respelt.push(supplier_key(&first.0));
        }
    }

    // Last year's twelve months and this year's months before today's.
    let mut months: Vec<Date> = (1..=12).filter_map(|n| nth_month(last_year, n)).collect();
    months.extend(
        (1..=12)
            .filter_map(|n| nth_month(this_year, n))
            .filter(|m| m.year() < today.year() || (m.year() == today.year() && m.month() < today.month())),
    );
    let mut total_rows = 0;
    for (i, month) in months.iter().enumerate() {
        let mut rows: Vec<SpendCsvRow> = Vec::new();
        let mut push = |supplier: &str, cc: &str, amount: i64| {
            rows.push(SpendCsvRow {
                row: rows.len() + 2,
                supplier: supplier.to_string(),
                cost_centre: cc.to_string(),
                period: period_text(*month),
                amount: pounds(amount),
            });
        };
        for (code, _, _, budget, spend) in CENTRES {
            let yearly = if year_of(*month) == this_year { spend } else { budget * 96 / 100 * 99 / 100 };
            // A month's spend in pence, within 3% either way of a twelfth of the year's.
            let month_total = yearly * scale * 100 / 12 * rng.gen_range(970..=1030) / 1000;
            let list = suppliers.iter().find(|(c, _)| c == code).map(|(_, l)| l.clone()).unwrap_or_default();
            let unknown: Vec<&str> = UNKNOWN.iter().filter(|(_, c)| *c == code).map(|(n, _)| *n).collect();
            let parts = list.len() + unknown.len();
            if parts == 0 {
                push(&format!("{} block contract", CENTRES.iter().find(|c| c.0 == code).map(|c| c.1).unwrap_or(code)), code, month_total);
                continue;
            }
            let weights: Vec<i64> = (0..parts).map(|k| if k < list.len() { rng.gen_range(60..=140) } else { 15 }).collect();
            let sum: i64 = weights.iter().sum();
            let mut given = 0;
            for (k, w) in weights.iter().enumerate() {
                let amount = if k + 1 == parts { month_total - given } else { month_total * w / sum };
                given += amount;
                let name = if k < list.len() { list[k].0.clone() } else { unknown[k - list.len()].to_string() };
                push(&name, code, amount);
            }
        }
        // A credit note in the third month: a care home's overpayment returned.
        if i == 2
            && let Some((_, list)) = suppliers.first()
            && let Some((name, _)) = list.get(1)
        {
            push(name, "ASC-CH-RES", -1_845_000);
        }
        let file = format!("ledger-{}.csv", period_text(*month));
        if let Err(problems) = store.import_finance_spend(&actor, &file, &rows).await? {
            return Err(DemoError::Invalid(format!(
                "demo spend {file}: {}",
                problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; ")
            )));
        }
        total_rows += rows.len();
    }
    // Match every provider supplier but the two respelt ones; the unknown ones stay unmatched.
    for (_, list) in &suppliers {
        for (name, provider) in list {
            let key = supplier_key(name);
            if respelt.contains(&key) {
                continue;
            }
            store.match_supplier(&actor, &key, Some(provider)).await?;
        }
    }
    Ok(total_rows)
}
