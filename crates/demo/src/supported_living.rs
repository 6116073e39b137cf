//! The demo council's supported living actuals (issue 11 item 5; `000` "verify commissioned
//! hours against 'actuals' in supported living ... Track TUPE premium payments"): four supported
//! living providers and the portal provider, each with people commissioned by case reference
//! (one person's hours raised mid-way), monthly returns for the four months before the demo's
//! month, most within a few per cent of the commissioned hours and some well over or under, with
//! a query at every stage of the challenge (the portal provider's waiting for its explanation);
//! one provider's and the portal provider's latest month not yet returned; a TUPE premium
//! payment, a historical reconciliation and another one-off payment. Written through the
//! store's own paths, as officers and providers would write them.

use crate::DemoError;
use caremarket_core::Date;
use caremarket_core::fees::RateCategory;
use caremarket_core::fees::supported_living::{CommissionDraft, PaymentDraft, PaymentKind, Period, QueryStep, StepDraft};
use caremarket_core::register::ServiceKind;
use caremarket_store::fees::cost_of_care::SentBy;
use caremarket_store::register::ServiceFilter;
use caremarket_store::{Actor, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Who the council's steps are recorded as: the demo commissioner.
const OFFICER: &str = "Cam Holroyd (demo commissioner)";
/// Who the providers' steps are recorded as.
const PROVIDER_USER: &str = "Pat Kershaw (demo provider user)";

/// What the demo wrote.
#[derive(Debug, Default, Clone, Copy)]
pub struct SupportedLivingSummary {
    pub providers: usize,
    pub returns: usize,
    pub queries: usize,
    pub payments: usize,
}

fn step(store_today: Date, days_ago: i64) -> Result<Date, DemoError> {
    Ok(store_today.checked_sub(jiff::Span::new().days(days_ago))?)
}

/// Write the demo's commissions, returns, queries and payments.
pub async fn generate_supported_living(
    store: &Store,
    seed: u64,
    portal_provider: &str,
    today: Date,
) -> Result<SupportedLivingSummary, DemoError> {
    let officer = Actor::system(OFFICER);
    let provider_user = Actor::system(PROVIDER_USER);
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5E_11A7);
    let services =
        store.services(&ServiceFilter { any_area: false, per_page: 1000, sort: Some("name".into()), ..Default::default() }).await?;
    let mut providers: Vec<String> = Vec::new();
    for s in &services.items {
        if s.kind == ServiceKind::SupportedLiving && s.provider_id != portal_provider && !providers.contains(&s.provider_id) {
            providers.push(s.provider_id.clone());
        }
        if providers.len() == 4 {
            break;
        }
    }
    providers.push(portal_provider.to_string());
    let latest = Period::of(today).previous();
    let periods = [latest.previous().previous().previous(), latest.previous().previous(), latest.previous(), latest];
    let start = periods[0].first_day().checked_sub(jiff::Span::new().months(6))?;
    let mut sum = SupportedLivingSummary { providers: providers.len(), ..Default::default() };
    let mut reference = 4100;
    for (i, p) in providers.iter().enumerate() {
        let people = rng.gen_range(3..=6);
        for k in 0..people {
            reference += rng.gen_range(3..40);
            let category = if k % 3 == 2 { RateCategory::DiscountedHourly } else { RateCategory::CommunityHourly };
            let weekly = rng.gen_range(10..=40);
            let draft = |hours: i64, from: Date| CommissionDraft {
                provider_id: Some(p.clone()),
                case_ref: format!("SL{reference}"),
                weekly_hours: hours.to_string(),
                rate_category: Some(category),
                effective_from: Some(from),
            };
            store.add_sl_commission(&officer, &draft(weekly, start)).await?;
            // One person's hours raised from the 16th of the second month.
            if k == 0 && i % 2 == 0 {
                let from = Date::new(periods[1].year, periods[1].month, 16)?;
                store.add_sl_commission(&officer, &draft(weekly + 6, from)).await?;
            }
        }
        // Returns: within about 3% of the commissioned hours, except the months below.
        for (j, period) in periods.iter().enumerate() {
            let missing = j == 3 && (p == portal_provider || i == 1);
            if missing {
                continue;
            }
            // (provider, month) → per cent over (+) or under (−) the commissioned hours.
            let off: Option<i64> = match (i, j) {
                (0, 2) => Some(22),
                (1, 1) => Some(-25),
                (2, 3) => Some(18),
                (3, 0) => Some(30),
                (4, 2) => Some(15),
                _ => None,
            };
            let m = store.sl_month(p, *period).await?;
            let lines: Vec<(String, i64)> = m
                .month
                .lines
                .iter()
                .enumerate()
                .map(|(n, l)| {
                    let pct = match off {
                        Some(o) => o + if n == 0 { 2 } else { 0 },
                        None => rng.gen_range(-3..=3),
                    };
                    // Whole quarter hours, as providers return them.
                    let delivered = (l.commissioned_minutes * (100 + pct) / 100 / 15 * 15).max(0);
                    (l.case_ref.clone(), delivered)
                })
                .collect();
            let by = if p == portal_provider { &provider_user } else { &officer };
            let sent_by = if p == portal_provider || j % 2 == 0 { SentBy::Provider } else { SentBy::Council };
            store.submit_sl_return(by, p, *period, &lines, sent_by).await?;
            sum.returns += 1;
        }
    }
    // A query at every stage.
    let ask = |note: &str| StepDraft { note: note.into(), amount: String::new() };
    // (provider, month, the steps taken).
    type Steps = Vec<(QueryStep, StepDraft)>;
    let steps: [(usize, usize, Steps); 5] = [
        (
            0,
            2,
            vec![
                (
                    QueryStep::Query,
                    ask("The hours returned are well over those commissioned: which people had extra support, and was it agreed?"),
                ),
                (
                    QueryStep::Explain,
                    ask("Extra night-time support for one person after a hospital discharge, not agreed with the council in advance."),
                ),
                (
                    QueryStep::Recover,
                    StepDraft { note: "Not agreed in advance: recovered at the community rate.".into(), amount: "612.40".into() },
                ),
                (QueryStep::Close, ask("Credit note received.")),
            ],
        ),
        (
            1,
            1,
            vec![
                (QueryStep::Query, ask("The hours returned are a quarter under those commissioned: please explain.")),
                (QueryStep::Explain, ask("One person was in hospital for most of the month; the hours were not delivered or charged.")),
                (QueryStep::Accept, ask("Hospital stay confirmed by the social worker.")),
            ],
        ),
        (
            2,
            3,
            vec![
                (QueryStep::Query, ask("Why are the hours over those commissioned this month?")),
                (
                    QueryStep::Explain,
                    ask("Two new staff shadowed for induction; we have charged their hours in error and will correct the invoice."),
                ),
            ],
        ),
        (
            3,
            0,
            vec![
                (QueryStep::Query, ask("The hours returned are 30% over those commissioned.")),
                (QueryStep::Explain, ask("A review increased the person's support; the new hours were agreed by phone.")),
                (
                    QueryStep::Recover,
                    StepDraft {
                        note: "No record of agreement: the hours above the commission are recovered.".into(),
                        amount: "1,048.75".into(),
                    },
                ),
            ],
        ),
        (4, 2, vec![(QueryStep::Query, ask("Please explain the extra hours returned for this month."))]),
    ];
    for (i, j, list) in steps {
        let Some(p) = providers.get(i) else { continue };
        // Steps a few days apart from the week after the month ends, never after today.
        for (k, (s, draft)) in list.into_iter().enumerate() {
            let by = if s.is_providers() { &provider_user } else { &officer };
            let on = periods[j].last_day().checked_add(jiff::Span::new().days(5 + 4 * k as i64))?.min(today);
            store.sl_query_step(by, p, periods[j], s, &draft, s.is_providers(), on).await?;
        }
        sum.queries += 1;
    }
    // One-off payments and historical reconciliations.
    let payments = [
        (0, PaymentKind::TupePremium, "4,250.00", 75, "TUPE premium for staff transferred from the previous provider"),
        (1, PaymentKind::HistoricalReconciliation, "-1,312.50", 48, "Reconciliation of 2023/24 hours paid against hours delivered"),
        (2, PaymentKind::OneOff, "800.00", 20, "Emergency cover during a provider failure elsewhere"),
        (0, PaymentKind::TupePremium, "1,125.00", 10, "Second instalment of the TUPE premium"),
    ];
    for (i, kind, amount, days_ago, reason) in payments {
        let Some(p) = providers.get(i) else { continue };
        let draft = PaymentDraft {
            provider_id: Some(p.clone()),
            kind: Some(kind),
            amount: amount.into(),
            paid_on: Some(step(today, days_ago)?),
            reason: reason.into(),
        };
        store.add_sl_payment(&officer, &draft, today).await?;
        sum.payments += 1;
    }
    Ok(sum)
}
