//! Demo direct payments for Northmoor (issue 5): a few hundred DPs across the service areas and
//! ways of holding them (shaped like `000`'s proportions), spend over the last 12 months by
//! category, check-ins, reviews and financial monitoring with reclaims, quality assurance of
//! the money management companies on the RPL, ISFs, the PA register (PAs and employers in the
//! demo's postcode districts) with introductions, and gathered private fees. Deterministic for
//! a seed; written through the store's API so it passes the same validation and audit.

use caremarket_core::Date;
use caremarket_core::direct_payments::equality::Equality;
use caremarket_core::direct_payments::pa_checks::{DbsCheck, DbsType, PaChecks, Reference, Training};
use caremarket_core::direct_payments::pa_register::{self, Profile};
use caremarket_core::direct_payments::rpl::IsfDraft;
use caremarket_core::direct_payments::{BudgetPeriod, DpDraft, Holding};
use caremarket_core::register::ServiceKind;
use caremarket_core::versions::Version;
use caremarket_store::bulk::NewDpMonitoring;
use caremarket_store::direct_payments::{NewDirectPayment, NewMonitoring, NewPaEntry, PaEntry, SpendRow};
use caremarket_store::register::ServiceFilter;
use caremarket_store::{Actor, Store, StoreError};
use jiff::ToSpan;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

const DISTRICTS: [&str; 8] = ["OL1", "OL2", "OL3", "OL4", "OL8", "OL9", "OL16", "M35"];

/// Relative sizes from `000`: LD 653, OP 553, PD 384, MH 203, 18-25 172, CHC 44, plus small
/// numbers for the two areas only in its spend table.
const AREAS: [(&str, u32); 8] = [
    ("learning_disabilities", 653),
    ("older_people", 553),
    ("physical_disabilities", 384),
    ("mental_health", 203),
    ("age_18_25", 172),
    ("chc_fully_funded", 44),
    ("adults_future_options", 30),
    ("reablement", 15),
];

/// What people buy, weighted by `000`'s counts of people.
const CATEGORIES: [(&str, u32); 11] = [
    ("activities", 593),
    ("carers", 35),
    ("contingency", 576),
    ("equipment_technology", 6),
    ("financial_fees", 1233),
    ("home_support", 499),
    ("personal_assistants", 853),
    ("short_breaks", 15),
    ("supported_living", 94),
    ("transport", 118),
    ("other", 48),
];

const REASONS: [(&str, u32); 5] =
    [("council_arranged", 30), ("stopped_all_services", 42), ("residential_care", 12), ("deceased", 10), ("other", 6)];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DpSummary {
    pub direct_payments: usize,
    pub ended: usize,
    pub spend_rows: usize,
    pub monitoring: usize,
    pub pa_entries: usize,
    pub introductions: usize,
    pub provider_fees: usize,
}

/// Ethnic groups of a northern English town (shaped like the 2021 Census for an area such as
/// Sheffield or Oldham), with about one person in eight not recorded and a few declining.
const ETHNICITIES: [(&str, u32); 7] =
    [("white", 720), ("asian", 110), ("black", 45), ("mixed", 35), ("other", 20), ("declined", 20), ("", 125)];
const RELIGIONS: [(&str, u32); 10] = [
    ("none", 360),
    ("christian", 330),
    ("muslim", 100),
    ("hindu", 8),
    ("sikh", 6),
    ("jewish", 3),
    ("buddhist", 4),
    ("other", 9),
    ("declined", 30),
    ("", 150),
];

fn pick<'a>(rng: &mut StdRng, weighted: &'a [(&'a str, u32)]) -> &'a str {
    let total: u32 = weighted.iter().map(|(_, w)| w).sum();
    let mut n = rng.gen_range(0..total.max(1));
    for (v, w) in weighted {
        if n < *w {
            return v;
        }
        n -= w;
    }
    weighted[0].0
}

fn add_days(d: Date, n: i64) -> Date {
    d.checked_add(n.days()).unwrap_or(d)
}

fn bad_date(e: jiff::Error) -> StoreError {
    StoreError::invalid("date", e.to_string())
}

/// Name the demo's direct payments officer on most direct payments, once the demo's accounts
/// exist (they are made last): about one in eight is left without a named officer, as a team's
/// list would have after a leaver, to be assigned from the monitoring page.
pub async fn assign_officers(store: &Store) -> Result<(), StoreError> {
    let officer =
        store.users().await?.into_iter().find(|u| u.active && u.role == caremarket_core::access::Role::DirectPaymentsOfficer).map(|u| u.id);
    let Some(officer) = officer else { return Ok(()) };
    let mut all = Vec::new();
    for page in 1.. {
        let p = store
            .direct_payments(&caremarket_store::direct_payments::DpFilter {
                status: Some("all".into()),
                page,
                per_page: 500,
                ..Default::default()
            })
            .await?;
        let done = p.items.len() < 500;
        all.extend(p.items);
        if done {
            break;
        }
    }
    let ids: Vec<String> =
        all.iter().enumerate().filter(|(i, d)| i % 8 != 3 && d.officer_id.is_none()).map(|(_, d)| d.id.clone()).collect();
    if !ids.is_empty() {
        store.assign_dp_officer(&Actor::system("demo"), &ids, Some(&officer)).await?;
    }
    Ok(())
}

/// Two reclaims waiting for a second approver (money limits, issue 16 item 16), once the demo's
/// accounts exist: the direct payments officer's own reclaim limit is £2,500, and this week's
/// financial monitoring of two larger direct payments asks back more than that. The
/// administrator, a team manager with a £50,000 limit, can approve them.
pub async fn queue_for_approval(store: &Store, today: Date) -> Result<(), StoreError> {
    let users = store.users().await?;
    let find = |role: caremarket_core::access::Role| users.iter().find(|u| u.active && u.role == role);
    let (Some(officer), Some(manager)) =
        (find(caremarket_core::access::Role::DirectPaymentsOfficer), find(caremarket_core::access::Role::Admin))
    else {
        return Ok(());
    };
    let system = Actor::system("demo");
    store.set_approval_limits(&system, &officer.id, Some(250_000), None, None).await?;
    store.set_approval_limits(&system, &manager.id, Some(5_000_000), Some(500_000), None).await?;
    let actor = Actor::user(&officer.id, &officer.email);
    let open = store
        .direct_payments(&caremarket_store::direct_payments::DpFilter {
            status: Some("open".into()),
            page: 1,
            per_page: 500,
            ..Default::default()
        })
        .await?;
    let policy = store.dp_policy().await?;
    let year_ago = add_days(today, -400);
    let mut queued = 0;
    for d in open.items.iter().filter(|d| d.budget_period == BudgetPeriod::Weekly && d.budget_pence >= 50_000 && d.start_date < year_ago) {
        let last = store.monitoring_for(&d.id).await?.into_iter().filter(|m| m.kind.as_str() == "financial").map(|m| m.completed_on).max();
        let period_start = last.unwrap_or(d.start_date);
        // Twelve weeks' budget held: eight weeks beyond the contingency is the surplus asked back.
        let balance = d.budget_pence * 12;
        let requested =
            caremarket_core::direct_payments::monitoring::surplus(balance, d.budget_pence, d.budget_period, policy.contingency_weeks)
                .surplus_pence;
        if requested <= 250_000 {
            continue;
        }
        store
            .record_monitoring(
                &actor,
                &d.id,
                &NewMonitoring {
                    kind: "financial".into(),
                    completed_on: Some(add_days(today, -2)),
                    period_start: Some(period_start),
                    period_end: Some(add_days(today, -4)),
                    balance_pence: Some(balance),
                    requested_pence: Some(requested),
                    notes: None,
                },
            )
            .await?;
        queued += 1;
        if queued == 2 {
            break;
        }
    }
    Ok(())
}

pub async fn generate_direct_payments(
    store: &Store,
    seed: u64,
    scale: u32,
    today: Date,
    lap: &mut (dyn FnMut(&'static str) + Send),
) -> Result<DpSummary, StoreError> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0xD1EC_7BA7);
    // Equality monitoring draws from its own stream, so adding it left every other figure of
    // the demo as it was.
    let mut equality_rng = StdRng::seed_from_u64(seed ^ 0x0E0A_11E5);
    let actor = Actor::system("demo");
    // The council's default approval limits (money limits): £10,000 a reclaim and £1,000 a week
    // a package. The history below was recorded within them.
    store.set_default_limits(&actor, 1_000_000, 100_000, None).await?;
    let scale = scale.max(1) as usize;
    let real_today = caremarket_store::today();
    let today = today.min(real_today);
    let mut summary = DpSummary::default();

    let officers: Vec<String> = store
        .users()
        .await?
        .into_iter()
        .filter(|u| {
            u.role.can(caremarket_core::access::Permission::EditDirectPayments)
                && u.role == caremarket_core::access::Role::DirectPaymentsOfficer
        })
        .map(|u| u.id)
        .collect();
    let mm: Vec<String> = {
        let page = store
            .services(&ServiceFilter {
                kinds: vec![ServiceKind::MoneyManagement],
                any_area: true,
                registration: Some("all".into()),
                per_page: 100,
                ..Default::default()
            })
            .await?;
        let mut v: Vec<String> = page.items.iter().filter(|s| s.contract_status.as_str() == "rpl").map(|s| s.provider_id.clone()).collect();
        v.sort();
        v.dedup();
        v
    };

    // Direct payments: about 300 per unit of scale, a tenth children; some ended in the last year.
    let n = 300 * scale;
    let mut payments: Vec<NewDirectPayment> = Vec::with_capacity(n);
    let mut shape: Vec<(&str, Date, Option<Date>)> = Vec::with_capacity(n);
    let mut on_card: Vec<bool> = Vec::with_capacity(n);
    for i in 0..n {
        let area = pick(&mut rng, &AREAS);
        let is_child = rng.gen_bool(0.1);
        // 41% hold their own budget (000: 33% -> 41.3%); a managed account otherwise.
        let holding = if mm.is_empty() || rng.gen_bool(0.41) {
            if rng.gen_bool(0.6) { Holding::OwnAccount } else { Holding::PrepaidCard }
        } else {
            Holding::ManagedAccount
        };
        let start = add_days(today, -rng.gen_range(20..(365 * 6)));
        let weekly: i64 = rng.gen_range(80..900) * 100;
        let draft = DpDraft {
            person_ref: format!("NM{:06}", 100_000 + i),
            service_area: area.into(),
            is_child,
            budget_pence: weekly,
            budget_period: BudgetPeriod::Weekly,
            holding,
            mm_provider_id: (holding == Holding::ManagedAccount).then(|| mm[rng.gen_range(0..mm.len())].clone()),
            start_date: start,
        };
        let officer_id = (!officers.is_empty()).then(|| officers[i % officers.len()].clone());
        let code = |c: &str| Some(c.to_string()).filter(|c| !c.is_empty());
        let equality =
            Equality { ethnicity: code(pick(&mut equality_rng, &ETHNICITIES)), religion: code(pick(&mut equality_rng, &RELIGIONS)) };
        payments.push(NewDirectPayment { draft, officer_id, equality });
        let end = if rng.gen_bool(0.18) {
            let lo = (start.max(add_days(today, -360)) - today).get_days().max(-360) as i64;
            let e = add_days(today, rng.gen_range(lo.min(-1)..0)).max(start);
            Some(e)
        } else {
            None
        };
        shape.push((area, start, end));
        on_card.push(holding == Holding::PrepaidCard);
    }
    // Recorded in one batch: the rows create_direct_payment would write, one audit entry.
    let created = store.bulk_create_direct_payments(&actor, &payments).await?;
    let ids: Vec<(String, String, Date, Option<Date>)> =
        created.into_iter().zip(shape).map(|(id, (area, start, end))| (id, area.to_string(), start, end)).collect();

    lap("direct payments: the records");
    // Spend: one or two categories each month for the last 12 months, while the DP was open.
    let mut rows = Vec::new();
    // Card statements carry the merchant's category code: its own generator, so that the rest
    // of the demo is the same with or without it. About one card payment in 150 is in a blocked
    // category (an off-licence, a bookmaker, a pub), for officers to review.
    let mut card_rng = StdRng::seed_from_u64(seed ^ 0xCA4D);
    for ((id, _, start, end), card) in ids.iter().zip(&on_card) {
        let mut cats = vec![pick(&mut rng, &CATEGORIES)];
        if rng.gen_bool(0.6) {
            cats.push(pick(&mut rng, &CATEGORIES));
        }
        cats.sort();
        cats.dedup();
        for m in 0..12 {
            let day = today.checked_sub((m as i64).months()).map_err(bad_date)?;
            let day = add_days(day, -rng.gen_range(0..20));
            if day < *start || end.is_some_and(|e| day > e) {
                continue;
            }
            for c in &cats {
                rows.push(SpendRow {
                    row: rows.len() + 2,
                    date: day.to_string(),
                    dp: id.clone(),
                    amount: format!("{}.{:02}", rng.gen_range(40..1_200), rng.gen_range(0..100)),
                    category: (*c).to_string(),
                    merchant_category: if *card {
                        let usual = [("5411", 5), ("4121", 3), ("5912", 2), ("8050", 6), ("7832", 1), ("8299", 1), ("5311", 2)];
                        let blocked = [("5921", 1), ("7995", 1), ("5813", 1)];
                        if card_rng.gen_bool(1.0 / 150.0) { pick(&mut card_rng, &blocked) } else { pick(&mut card_rng, &usual) }.to_string()
                    } else {
                        String::new()
                    },
                });
            }
        }
    }
    summary.spend_rows = rows.len();
    if let Err(problems) = store.import_spend(&actor, "demo-finance-ledger.csv", &rows).await? {
        return Err(StoreError::invalid("spend", problems.join("; ")));
    }

    lap("direct payments: spend");
    // Monitoring as a team keeping up would leave it: the check-in done for nearly everyone,
    // every annual review done near its date (a few late), and a few of the latest missed, so
    // that what is overdue is recent and a workload, not every review since 2021.
    // Written in one batch (the store's bulk path, one audit entry), in the order generated; the
    // direct payments that ended are ended after it, as each was after its own monitoring.
    let policy = store.dp_policy().await?;
    let mut monitoring = Vec::new();
    let mut endings = Vec::new();
    for (id, _, start, end) in &ids {
        let until = end.unwrap_or(today).min(today);
        let check_in = add_days(*start, 90 + rng.gen_range(0..14));
        // A check-in missed shows only for direct payments started this past year: older ones
        // have long since had theirs.
        if check_in <= until && (add_days(*start, 365) < today || rng.gen_bool(0.85)) {
            monitoring.push(NewDpMonitoring {
                dp_id: id.clone(),
                monitoring: NewMonitoring { kind: "check_in".into(), completed_on: Some(check_in), ..Default::default() },
                returned: None,
            });
            summary.monitoring += 1;
        }
        let mut due = add_days(*start, 182);
        while due <= until {
            let next = add_days(due, 365);
            // The latest review is the one most often not done yet.
            let latest = next > until;
            if rng.gen_bool(if latest { 0.88 } else { 0.97 }) {
                let done = add_days(due, rng.gen_range(-20..35)).min(until).max(*start);
                monitoring.push(NewDpMonitoring {
                    dp_id: id.clone(),
                    monitoring: NewMonitoring { kind: "review".into(), completed_on: Some(done), ..Default::default() },
                    returned: None,
                });
                summary.monitoring += 1;
                due = add_days(done, 365);
            } else {
                due = next;
            }
        }
        // Financial monitoring each year since the start, each over the year before it.
        let dp = store.direct_payment(id).await?;
        let mut period_start = *start;
        let mut fin = add_days(*start, 365);
        while fin <= until {
            let latest = add_days(fin, 365) > until;
            if !rng.gen_bool(if latest { 0.88 } else { 0.97 }) {
                fin = add_days(fin, 365);
                continue;
            }
            let done = add_days(fin, rng.gen_range(-10..30)).min(until).max(add_days(period_start, 1));
            let balance = dp.budget_pence * rng.gen_range(0..16);
            let s =
                caremarket_core::direct_payments::monitoring::surplus(balance, dp.budget_pence, dp.budget_period, policy.contingency_weeks);
            let surplus = s.surplus_pence;
            let back = add_days(done, 21);
            let returned = if surplus > 0 && back <= today && rng.gen_bool(0.85) {
                Some((surplus * rng.gen_range(70..=100) / 100, back))
            } else {
                None
            };
            monitoring.push(NewDpMonitoring {
                dp_id: id.clone(),
                monitoring: NewMonitoring {
                    kind: "financial".into(),
                    completed_on: Some(done),
                    period_start: Some(period_start),
                    period_end: Some(add_days(done, -1)),
                    balance_pence: Some(balance),
                    requested_pence: Some(surplus),
                    notes: None,
                },
                returned,
            });
            summary.monitoring += 1;
            period_start = done;
            fin = add_days(done, 365);
        }
        if let Some(e) = end {
            endings.push((id, *e, pick(&mut rng, &REASONS)));
        }
    }
    store.bulk_monitoring(&actor, &monitoring).await?;
    for (id, e, reason) in endings {
        let version = caremarket_core::versions::Version::new(store.direct_payment(id).await?.version)?;
        store.end_direct_payment(&actor, id, e, reason, version).await?;
        summary.ended += 1;
    }
    summary.direct_payments = ids.len();

    // Annual quality assurance of the money management companies.
    for (i, p) in mm.iter().enumerate() {
        let on = add_days(today, -rng.gen_range(30..420));
        store.record_rpl_qa(&actor, p, on, if i % 4 == 3 { "meets_with_actions" } else { "meets" }, None).await?;
    }
    // A few ISFs held by the money management companies' providers.
    for (i, p) in mm.iter().take(3).enumerate() {
        let isf = IsfDraft {
            person_ref: format!("NM9{i:05}"),
            provider_id: p.clone(),
            budget_pence: rng.gen_range(500..2_000) * 100,
            budget_period: BudgetPeriod::Monthly,
            start_date: add_days(today, -rng.gen_range(30..300)),
        };
        store.create_isf(&actor, &isf).await?;
    }

    lap("direct payments: monitoring, endings, money management");
    // The PA register.
    let first = ["Amina", "Bev", "Carl", "Dawn", "Eli", "Farah", "Gary", "Hina", "Ian", "Jo", "Kasia", "Lee", "Mo", "Nadia", "Owen", "Pat"];
    let last = [
        "Ahmed", "Bailey", "Clarke", "Dunn", "Evans", "Fox", "Green", "Hussain", "Iqbal", "Jones", "Khan", "Lord", "Mills", "Nowak",
        "Ogden", "Price",
    ];
    let slots = pa_register::all_slots();
    // Checks draw from their own generator, so the rest of the demo is as before.
    let mut crng = StdRng::seed_from_u64(seed ^ 0x0C4E_C4E5);
    let mut checked = 0usize;
    let mut pas = Vec::new();
    let mut employers = Vec::new();
    for i in 0..(60 * scale) {
        let kind = if i % 5 < 3 { "pa" } else { "employer" };
        let name = format!("{} {}", first[rng.gen_range(0..first.len())], last[rng.gen_range(0..last.len())]);
        let k = rng.gen_range(3..12);
        let mut chosen: Vec<String> = slots.choose_multiple(&mut rng, k).cloned().collect();
        chosen.sort();
        let k = rng.gen_range(1..5);
        let skills: Vec<String> = pa_register::SKILLS.choose_multiple(&mut rng, k).map(|(c, _)| c.to_string()).collect();
        let mut languages = vec!["english".to_string()];
        if rng.gen_bool(0.3) {
            languages.push(["urdu", "bengali", "punjabi", "polish"][rng.gen_range(0..4)].to_string());
        }
        let district = DISTRICTS[rng.gen_range(0..DISTRICTS.len())];
        let e = NewPaEntry {
            kind: kind.into(),
            display_name: name,
            email: format!("demo.pa.{i}@example.org"),
            phone: None,
            outward_code: district.into(),
            hours_per_week: rng.gen_range(4..38),
            profile: Profile {
                outward_code: district.into(),
                slots: chosen.into_iter().collect(),
                skills: skills.into_iter().collect(),
                languages: languages.into_iter().collect(),
                gender: (kind == "pa").then(|| if rng.gen_bool(0.8) { "female" } else { "male" }.to_string()),
                gender_preference: (kind == "employer").then(|| if rng.gen_bool(0.7) { "any" } else { "female" }.to_string()),
                driving: rng.gen_bool(0.5),
            },
            dbs_status: (kind == "pa").then(|| "enhanced".to_string()),
            dbs_date: (kind == "pa").then(|| add_days(today, -rng.gen_range(10..900))),
            about: None,
        };
        // A few arrive through the public form and wait for approval.
        let source = if i % 11 == 0 { "public" } else { "officer" };
        let id = store.register_pa(&actor, &e, source).await?;
        summary.pa_entries += 1;
        if kind == "pa" {
            // Checks before listing: most complete, a few expiring or expired, a few missing;
            // half the PAs waiting for approval have theirs done (an officer can approve them).
            let case = if source == "officer" { checked % 12 } else { [0, 5][checked % 2] };
            let checks = demo_checks(&mut crng, today, case)?;
            if source == "officer" || case == 0 {
                store.save_pa_checks(&actor, &id, &checks, Version::FIRST).await?;
            }
            checked += 1;
        }
        if source == "officer" {
            if kind == "pa" {
                pas.push(id);
            } else {
                employers.push(id);
            }
        }
    }
    // Introductions as an officer's search (`Store::pa_search`) finds them: the PAs listed
    // today ranked for each employer. The list is read once: introductions do not change it.
    let listed = store.pa_listed(caremarket_store::today()).await?;
    for emp in &employers {
        let wanted = store.pa_entry(emp).await?.profile();
        let found = pa_register::rank(&wanted, listed.clone(), PaEntry::profile, |p| p.display_name.as_str());
        for (pa, _) in found.iter().take(rng.gen_range(0..4)) {
            store.record_introduction(&actor, emp, &pa.id, add_days(today, -rng.gen_range(0..330))).await?;
            summary.introductions += 1;
        }
    }

    // Private fees gathered for the Provider Rates Tool.
    let agencies = [
        "Moorside Care",
        "Pennine Homecare",
        "Lantern Support",
        "Chadderton Carers",
        "Saddleworth Home Help",
        "Failsworth Care Co",
        "Royton Support",
        "Shaw Community Care",
        "Lees Outreach",
        "Crompton Care",
    ];
    for st in ["home_care", "community_support", "day_opportunities"] {
        let base = match st {
            "home_care" => 2_400,
            "community_support" => 2_200,
            _ => 1_800,
        };
        for a in agencies {
            let fee = base + rng.gen_range(-300..600);
            store.add_provider_fee(&actor, None, a, st, fee, add_days(today, -rng.gen_range(0..200)), "Demo: provider survey").await?;
            summary.provider_fees += 1;
        }
    }
    store.set_long_term_support(&actor, (n as i64) * 100 / 28).await?;
    Ok(summary)
}

/// A PA's checks for the demo, by case: 1 a DBS certificate past its 3 years, 3 a DBS
/// certificate ending within 30 days, 7 moving and handling ending within 30 days, 5 a DBS check
/// carried over without its certificate number, 9 the second reference received but not yet
/// checked; every other case complete and in date.
fn demo_checks(rng: &mut StdRng, today: Date, case: usize) -> Result<PaChecks, StoreError> {
    let ago = |days: i64| add_days(today, -days);
    let months_ago = |m: i32, extra: i64| -> Result<Date, StoreError> {
        Ok(add_days(today.checked_sub(jiff::Span::new().months(m)).map_err(bad_date)?, -extra))
    };
    let update_service = rng.gen_bool(0.35) && !matches!(case, 1 | 3);
    let issued = match case {
        1 => months_ago(36, rng.gen_range(5..60))?,
        3 => months_ago(36, -rng.gen_range(3..28))?,
        _ => ago(rng.gen_range(60..900)),
    };
    let number = format!("{:012}", rng.gen_range(1_000_000_000u64..999_999_999_999));
    let dbs = DbsCheck {
        dbs_type: DbsType::EnhancedBarredAdults,
        certificate_number: (case != 5).then_some(number),
        issued_on: Some(issued),
        update_service,
    };
    let relationships = ["employer", "care_employer", "education", "professional", "character"];
    let references = (0..2)
        .map(|i| {
            let received = add_days(issued, -rng.gen_range(5..40));
            Reference {
                relationship: Some(relationships[rng.gen_range(0..relationships.len())].to_string()),
                received_on: Some(received),
                checked_on: (!(case == 9 && i == 1)).then(|| add_days(received, rng.gen_range(1..6))),
                checked_by: (!(case == 9 && i == 1)).then(|| "Demo DP officer".to_string()),
            }
        })
        .collect();
    let moving = if case == 7 { months_ago(12, -rng.gen_range(3..28))? } else { ago(rng.gen_range(20..330)) };
    let mut training = vec![
        Training { course: "care_certificate".into(), completed_on: ago(rng.gen_range(200..1500)) },
        Training { course: "safeguarding_adults".into(), completed_on: ago(rng.gen_range(30..1000)) },
        Training { course: "moving_handling".into(), completed_on: moving },
    ];
    if rng.gen_bool(0.5) {
        training.push(Training { course: "first_aid".into(), completed_on: ago(rng.gen_range(30..1000)) });
    }
    if rng.gen_bool(0.3) {
        training.push(Training { course: "medication".into(), completed_on: ago(rng.gen_range(30..300)) });
    }
    Ok(PaChecks { dbs: Some(dbs), references, training })
}

#[cfg(test)]
mod tests {
    use super::*;
    use caremarket_store::direct_payments::DpFilter;

    #[tokio::test]
    #[allow(clippy::expect_used)]
    async fn demo_direct_payments_fill_every_page() {
        let store = caremarket_testkit::sqlite().await.expect("store");
        let today = caremarket_store::today();
        crate::generate(&store, &crate::DemoOptions::as_at(today)).await.expect("demo");
        let s = generate_direct_payments(&store, 7, 1, today, &mut |_| {}).await.expect("dp demo");
        assert_eq!(s.direct_payments, 300);
        assert!(s.ended > 20 && s.spend_rows > 1_000 && s.monitoring > 100 && s.introductions > 5, "{s:?}");
        let (totals, _) = store.reclaims(None).await.expect("reclaims");
        assert!(totals.requested_pence > 0 && totals.returned_pence > 0 && totals.returned_pence <= totals.requested_pence);
        assert!(!store.rpl_companies(today).await.expect("rpl").is_empty());
        let managed =
            store.direct_payments(&DpFilter { holding: Some("managed_account".into()), ..Default::default() }).await.expect("dps");
        assert!(managed.total > 0, "managed accounts with RPL companies");
        assert!(store.pa_counts(today).await.expect("counts").pending > 0);
    }
}
