//! The demo council's home care visits against call monitoring (issue 11 item 7): the last three
//! four-weekly periods before the demo's day for three of the home care framework's agencies,
//! made by the project's own generator (`caremarket_ingest::ecm_synthetic`, with every fault it
//! injects: missed, late, early and short visits, duplicates, repeats, rows ending before they
//! start, unknown visit ids and unplanned extras), moved in time to end before the demo's day,
//! with a care worker code on each row (most visits by one of the person's three usual workers).
//! It is imported through the store's own path, as an officer's upload is, then the first agency
//! queries three visits: one still open, one accepted, one rejected. The first agency is the one
//! whose portal account is `homecare@demo.caremarket.test` (made for brokerage), so that account
//! sees its own figures and queries in the portal.

use crate::DemoError;
use caremarket_core::Date;
use caremarket_core::access::Role;
use caremarket_core::ecm::{Options, civil_from_days, days_from_civil, parse_timestamp};
use caremarket_core::register::ServiceKind;
use caremarket_ingest::ecm_synthetic::{Shape, write_actual, write_planned};
use caremarket_store::ecm::VisitShow;
use caremarket_store::{Actor, Store};

/// Visits generated over the generator's year; about a quarter fall in the three periods kept.
const VISITS: u64 = 12_000;
const PERIOD_DAYS: i64 = 28;
const PERIODS_KEPT: i64 = 3;

fn stamp(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}", s / 3_600, s / 60 % 60, s % 60)
}

/// A line's timestamp field moved by `shift` seconds.
fn moved(field: &str, shift: i64) -> Option<(String, i64)> {
    let t = parse_timestamp(field.as_bytes())?.0 + shift;
    Some((stamp(t), t))
}

/// A care worker code for a visit: one of the person's three usual workers most of the time.
fn worker(person: &str, visit: &str) -> String {
    let p: u64 = person.bytes().filter(u8::is_ascii_digit).fold(0, |n, b| n * 10 + u64::from(b - b'0'));
    let v: u64 = visit.bytes().filter(u8::is_ascii_digit).fold(0, |n, b| n.wrapping_mul(31).wrapping_add(u64::from(b)));
    let roll = v.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56;
    let w = if roll < 215 { (p * 3 + roll % 3) % 180 } else { roll % 180 };
    format!("CW{w:03}")
}

/// Generate and import the visits (after the accounts: the first agency is a portal account's).
pub async fn generate_ecm(store: &Store, seed: u64, today: Date) -> Result<(), DemoError> {
    // The home care portal account's agency, then framework agencies with a home care payment
    // basis, by name: three, each with a CQC provider id (the files' provider_id).
    let portal_email = crate::capacity::HOME_CARE_PORTAL_USERS[0].0;
    let mut candidates: Vec<String> = store
        .users()
        .await?
        .into_iter()
        .filter(|u| u.email == portal_email && u.role == Role::Provider)
        .filter_map(|u| u.provider_id)
        .collect();
    let mut framework: Vec<(String, String)> = Vec::new();
    for b in store.payment_bases().await?.into_iter().filter(|b| b.kind == ServiceKind::HomeCare) {
        framework.push((b.provider_name, b.provider_id));
    }
    framework.sort();
    candidates.extend(framework.into_iter().map(|(_, id)| id));
    let mut agencies: Vec<(String, String, String)> = Vec::new();
    for id in candidates {
        if agencies.len() == 3 || agencies.iter().any(|(a, ..)| *a == id) {
            continue;
        }
        let p = store.provider(&id).await?;
        if let Some(cqc) = p.cqc_provider_id {
            agencies.push((p.id, cqc, p.name));
        }
    }
    if agencies.len() < 3 {
        return Ok(());
    }

    // The generator's visits start on 2025-03-31 and run for 52 weeks; move them by whole
    // periods so that the last kept period ends before the demo's day.
    let first = days_from_civil(2025, 4, 7);
    let today_day = days_from_civil(i64::from(today.year()), i64::from(today.month()), i64::from(today.day()));
    let generated_end = days_from_civil(2026, 3, 30);
    let shift_days = (today_day - generated_end).div_euclid(PERIOD_DAYS) * PERIOD_DAYS;
    let shift = shift_days * 86_400;
    let periods_from = first + shift_days;
    // The last period that the moved visits fill to its end, and the two before it.
    let moved_end = generated_end + shift_days + 1;
    let last_period = periods_from + (moved_end - periods_from).div_euclid(PERIOD_DAYS) * PERIOD_DAYS - PERIOD_DAYS;
    let cutoff = (last_period - (PERIODS_KEPT - 1) * PERIOD_DAYS) * 86_400;
    let end = (last_period + PERIOD_DAYS) * 86_400;

    let shape = Shape { visits: VISITS, seed };
    let (mut planned_raw, mut actual_raw) = (Vec::new(), Vec::new());
    write_planned(shape, &mut planned_raw).map_err(|e| DemoError::Invalid(e.to_string()))?;
    write_actual(shape, &mut actual_raw).map_err(|e| DemoError::Invalid(e.to_string()))?;
    let planned_raw = String::from_utf8_lossy(&planned_raw).into_owned();
    let actual_raw = String::from_utf8_lossy(&actual_raw).into_owned();
    let cqc_of = |hc: &str| -> Option<&str> {
        let n: usize = hc.strip_prefix("HC")?.parse().ok()?;
        agencies.get(n.checked_sub(1)?).map(|a| a.1.as_str())
    };

    // The third agency also works in an Extra Care scheme: a third of its visits are there, marked
    // in the planned file's optional extra_care column (the charter's 15-minute check leaves them out).
    let extra_care_agency = agencies.get(2).map(|a| a.1.clone());
    let mut planned = String::from("visit_id,person_ref,provider_id,planned_start,planned_minutes,carers,rate_pence_per_hour,extra_care\n");
    let mut kept = std::collections::HashSet::new();
    let mut all_planned = std::collections::HashSet::new();
    for line in planned_raw.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if let Some(id) = f.first() {
            all_planned.insert(id.to_string());
        }
        let (Some(cqc), Some((start, t))) = (f.get(2).and_then(|p| cqc_of(p)), f.get(3).and_then(|s| moved(s, shift))) else { continue };
        if t < cutoff || t >= end {
            continue;
        }
        kept.insert(f[0].to_string());
        let extra_care = extra_care_agency.as_deref() == Some(cqc) && f[0].parse::<u64>().is_ok_and(|id| id % 3 == 0);
        planned.push_str(&format!(
            "{},{},{cqc},{start},{},{},{},{}\n",
            f[0],
            f[1],
            f[4],
            f[5],
            f[6],
            if extra_care { "yes" } else { "no" }
        ));
    }
    let mut actual = String::from("visit_id,provider_id,person_ref,actual_start,actual_end,care_worker_ref\n");
    for line in actual_raw.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (Some(cqc), Some((start, t)), Some((finish, _))) =
            (f.get(1).and_then(|p| cqc_of(p)), f.get(3).and_then(|s| moved(s, shift)), f.get(4).and_then(|s| moved(s, shift)))
        else {
            continue;
        };
        // A row of a kept visit, or one with no planned visit (blank or unknown id) that started
        // in the kept periods.
        let in_range = t >= cutoff && t < end;
        let keep = kept.contains(f[0]) || (in_range && (f[0].is_empty() || !all_planned.contains(f[0])));
        if !keep {
            continue;
        }
        let code = if f[0].is_empty() { String::new() } else { worker(f[2], f[0]) };
        actual.push_str(&format!("{},{cqc},{},{start},{finish},{code}\n", f[0], f[2]));
    }

    let actor = Actor::system("Demo data");
    let (fy, fm, fd) = civil_from_days(periods_from);
    let from = jiff::civil::Date::new(fy as i16, fm as i8, fd as i8)?;
    let options = Options::new(from, PERIOD_DAYS as u32, true).map_err(|e| DemoError::Invalid(e.to_string()))?;
    let id = store.start_ecm_import(&actor, "planned-visits.csv", "call-monitoring-export.csv", &options).await?;
    let detail = caremarket_ingest::ecm::read_detail(
        planned.as_bytes(),
        "planned-visits.csv",
        actual.as_bytes(),
        "call-monitoring-export.csv",
        &|_| {},
    )
    .map_err(|e| DemoError::Invalid(e.to_string()))?;
    store.finish_ecm_import(&actor, &id, detail, &options).await?;

    // The first agency queries three visits of the last period: a missed one (left open), a
    // short one (accepted) and a late one (rejected).
    let (agency, _, _) = &agencies[0];
    let period = Some(civil_text(last_period));
    let provider_actor = Actor { user_id: None, label: crate::capacity::HOME_CARE_PORTAL_USERS[0].1.to_string() };
    let officer = Actor { user_id: None, label: "Cam Holroyd (demo commissioner)".into() };
    let pick = |show| store.ecm_visits(&id, Some(agency), period.as_deref(), show, 1, 0);
    if let Some(v) = pick(VisitShow::Short).await?.0.first() {
        let q = store
            .raise_ecm_query(
                &provider_actor,
                agency,
                &id,
                v.visit_id,
                "The carer stayed the full time: the phone lost signal and logged out early",
                Some(v.planned_minutes),
            )
            .await?;
        store.decide_ecm_query(&officer, &q, true, Some(v.planned_minutes), "Confirmed with the person's family by phone").await?;
    }
    if let Some(v) = pick(VisitShow::Late).await?.0.first() {
        let q = store
            .raise_ecm_query(&provider_actor, agency, &id, v.visit_id, "Traffic on the ring road; the visit was delivered in full", None)
            .await?;
        store
            .decide_ecm_query(&officer, &q, false, None, "The visit is paid for the time recorded; lateness does not change the pay")
            .await?;
    }
    if let Some(v) = pick(VisitShow::Missed).await?.0.first() {
        store
            .raise_ecm_query(
                &provider_actor,
                agency,
                &id,
                v.visit_id,
                "The visit was made but the carer's phone was out of charge",
                Some(v.planned_minutes),
            )
            .await?;
    }

    Ok(())
}

fn civil_text(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}
