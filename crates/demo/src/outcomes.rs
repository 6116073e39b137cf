//! The demo council's outcomes-based contracts (issue 13 items 4-7; seed `003`, the Promoting
//! Independence business case). The special purpose vehicle is a provider with its own portal
//! account (`spv@demo.caremarket.test`); two mental health support providers deliver for it.
//!
//! - "Promoting Independence": from 1 November 2018 for 9 years, an envelope of £3m (no hard cap),
//!   the Life Chances Fund paying 25% of each outcome payment up to £750,000 for outcomes achieved
//!   until 31 March 2025, the CCG sharing the risk through the pooled budget; a cohort of 173 at the
//!   start and a few joining each quarter, people moving on, sustaining the move, starting and
//!   completing courses, some leaving (ageing out at 65, dying, moving away, withdrawing); claims
//!   verified, a few rejected with their reason, the latest waiting.
//! - "Moving On pilot": a smaller contract started ten months before the demo's date, whose first
//!   payments are still held until its savings catch up with them.
//!
//! Case references only (`PI-10234`), months of birth, no names. The contracts, parties and
//! outcomes are written through the store's own paths, as officers would write them; the cohort,
//! the claims, the decisions and the leavings through its bulk path (`Store::begin_oc_bulk`),
//! which checks each as those paths do, in the order they happen, and audits the batch once.

use crate::DemoError;
use caremarket_core::Date;
use caremarket_core::access::Role;
use caremarket_core::outcomes::{
    ClaimDraft, ContractDraft, LeaveReason, MemberDraft, OutcomeDraft, OutcomeKind, PartyDraft, PartyRole, Placement,
};
use caremarket_core::register::ServiceKind;
use caremarket_store::bulk::{OcApplied, OcEvent, OcRef};
use caremarket_store::register::ServiceFilter;
use caremarket_store::{Actor, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Who the council's records are written as.
const OFFICER: &str = "Cam Holroyd (demo commissioner)";
/// The SPV's portal account.
pub const SPV_EMAIL: &str = "spv@demo.caremarket.test";
const SPV_USER: &str = "Sol Pennington (demo SPV user)";
const SPV_NAME: &str = "Northmoor Independence Partnership Ltd";

/// What the demo wrote.
#[derive(Debug, Default, Clone, Copy)]
pub struct OutcomesSummary {
    pub contracts: usize,
    pub members: usize,
    pub claims: usize,
}

fn days(d: Date, n: i64) -> Result<Date, DemoError> {
    Ok(d.checked_add(jiff::Span::new().days(n))?)
}

fn months(d: Date, n: i64) -> Result<Date, DemoError> {
    Ok(d.checked_add(jiff::Span::new().months(n))?)
}

struct Tariffs<'a> {
    mv: &'a str,
    sustain: [(&'a str, &'a str, i64); 3],
    start: &'a str,
    complete: &'a str,
}

/// Write the demo's outcomes contracts, with the SPV's account.
pub async fn generate_outcomes(store: &Store, seed: u64, today: Date) -> Result<OutcomesSummary, DemoError> {
    let officer = Actor::system(OFFICER);
    let spv_actor = Actor::system(SPV_USER);
    let mut rng = StdRng::seed_from_u64(seed ^ 0x0C_0003);
    let council = store.setting("council_name").await?.unwrap_or_else(|| "Northmoor Borough Council".into());
    let spv = store.create_provider(&officer, None, SPV_NAME, None, None).await?;
    store
        .create_user(
            &Actor::system("demo"),
            caremarket_store::users::NewUser {
                email: SPV_EMAIL,
                display_name: SPV_USER,
                password: crate::DEMO_PASSWORD,
                role: Role::Provider,
                provider_id: Some(&spv),
                must_change_password: false,
            },
        )
        .await?;
    let services =
        store.services(&ServiceFilter { any_area: false, per_page: 1000, sort: Some("name".into()), ..Default::default() }).await?;
    let mut delivery: Vec<(String, String)> = Vec::new();
    for s in &services.items {
        if s.kind == ServiceKind::MentalHealthSupport && !delivery.iter().any(|(p, _)| *p == s.provider_id) {
            delivery.push((s.provider_id.clone(), s.provider_name.clone()));
        }
        if delivery.len() == 2 {
            break;
        }
    }
    let mut sum = OutcomesSummary::default();

    // Promoting Independence (`003`).
    let start = Date::new(2018, 11, 1)?;
    if start < today {
        let id = store
            .create_oc_contract(
                &officer,
                &ContractDraft {
                    name: "Promoting Independence".into(),
                    starts_on: Some(start),
                    ends_on: Some(Date::new(2027, 10, 31)?),
                    envelope: "3000000".into(),
                    cap: String::new(),
                    baseline: "173".into(),
                    forecast_low: "105".into(),
                    forecast_high: "120".into(),
                    forecast_by: Some(Date::new(2024, 3, 31)?),
                    expected_saving_low: "3000000".into(),
                    expected_saving_high: "3700000".into(),
                    eligibility:
                        "Adults with a mental health need living in 24/7 residential or nursing care when they join; they age out at 65"
                            .into(),
                    age_out: "65".into(),
                },
                &council,
            )
            .await?;
        parties(store, &officer, &id, &spv, &delivery, Some(("750000", Date::new(2025, 3, 31)?))).await?;
        let t = Tariffs {
            mv: "12000",
            sustain: [
                ("Sustained the move for 6 months", "4000", 6),
                ("Sustained the move for 12 months", "5000", 12),
                ("Sustained the move for 24 months", "8000", 24),
            ],
            start: "1000",
            complete: "1500",
        };
        let n = cohort(store, &officer, &spv_actor, &spv, &id, &t, start, today, 173, 2, &mut rng).await?;
        sum.contracts += 1;
        sum.members += n.0;
        sum.claims += n.1;
    }

    // A newer, smaller pilot whose first payments wait for its savings.
    let pilot_start = months(today, -10)?.first_of_month();
    let id = store
        .create_oc_contract(
            &officer,
            &ContractDraft {
                name: "Moving On pilot".into(),
                starts_on: Some(pilot_start),
                ends_on: Some(months(pilot_start, 36)?.yesterday()?),
                envelope: "400000".into(),
                cap: "450000".into(),
                baseline: "24".into(),
                forecast_low: "16".into(),
                forecast_high: "19".into(),
                forecast_by: Some(months(pilot_start, 24)?),
                expected_saving_low: "250000".into(),
                expected_saving_high: "320000".into(),
                eligibility:
                    "Adults with a mental health need living in 24/7 residential or nursing care when they join; they age out at 65".into(),
                age_out: "65".into(),
            },
            &council,
        )
        .await?;
    parties(store, &officer, &id, &spv, &delivery[..delivery.len().min(1)], None).await?;
    let t = Tariffs {
        mv: "15000",
        sustain: [
            ("Sustained the move for 6 months", "5000", 6),
            ("Sustained the move for 12 months", "6000", 12),
            ("Sustained the move for 24 months", "9000", 24),
        ],
        start: "1000",
        complete: "1500",
    };
    let n = cohort(store, &officer, &spv_actor, &spv, &id, &t, pilot_start, today, 24, 0, &mut rng).await?;
    sum.contracts += 1;
    sum.members += n.0;
    sum.claims += n.1;
    Ok(sum)
}

async fn parties(
    store: &Store,
    officer: &Actor,
    id: &str,
    spv: &str,
    delivery: &[(String, String)],
    lcf: Option<(&str, Date)>,
) -> Result<(), DemoError> {
    store
        .add_oc_party(
            officer,
            id,
            &PartyDraft { role: Some(PartyRole::Spv), name: SPV_NAME.into(), provider_id: spv.into(), ..Default::default() },
        )
        .await?;
    for (p, name) in delivery {
        store
            .add_oc_party(
                officer,
                id,
                &PartyDraft { role: Some(PartyRole::Provider), name: name.clone(), provider_id: p.clone(), ..Default::default() },
            )
            .await?;
    }
    if let Some((commitment, ends_on)) = lcf {
        store
            .add_oc_party(
                officer,
                id,
                &PartyDraft {
                    role: Some(PartyRole::CoFunder),
                    name: "Life Chances Fund".into(),
                    share: "25".into(),
                    commitment: commitment.into(),
                    ends_on: Some(ends_on),
                    ..Default::default()
                },
            )
            .await?;
    }
    store
        .add_oc_party(
            officer,
            id,
            &PartyDraft {
                role: Some(PartyRole::PoolPartner),
                name: "Northmoor Clinical Commissioning Group".into(),
                share: "30".into(),
                ..Default::default()
            },
        )
        .await?;
    Ok(())
}

/// The cohort and its claims: `baseline` people at the start, `joining` more each quarter.
/// Returns (people, claims).
#[allow(clippy::too_many_arguments)]
async fn cohort(
    store: &Store,
    officer: &Actor,
    spv_actor: &Actor,
    spv: &str,
    id: &str,
    t: &Tariffs<'_>,
    start: Date,
    today: Date,
    baseline: usize,
    joining: usize,
    rng: &mut StdRng,
) -> Result<(usize, usize), DemoError> {
    let evidence = |what: &str| what.to_string();
    let outcome = |name: &str, kind, tariff: &str, evidence: &str, pre: &str, months: i64| OutcomeDraft {
        name: name.into(),
        kind: Some(kind),
        tariff: tariff.into(),
        evidence: evidence.into(),
        prerequisite_id: pre.into(),
        after_months: if months > 0 { months.to_string() } else { String::new() },
    };
    let mv = store
        .add_oc_outcome(
            officer,
            id,
            &outcome(
                "Moved from 24/7 care to supported or independent living",
                OutcomeKind::Move,
                t.mv,
                "The tenancy or supported housing agreement and its start date, and the care home's notice of the placement ending",
                "",
                0,
            ),
        )
        .await?;
    let mut sustains = Vec::new();
    for (name, tariff, m) in t.sustain {
        let o = store
            .add_oc_outcome(
                officer,
                id,
                &outcome(
                    name,
                    OutcomeKind::Sustain,
                    tariff,
                    "The tenancy still held on the milestone date (landlord's confirmation)",
                    &mv,
                    m,
                ),
            )
            .await?;
        sustains.push((o, m));
    }
    let course = store
        .add_oc_outcome(
            officer,
            id,
            &outcome(
                "Started a training or education course",
                OutcomeKind::Education,
                t.start,
                "The enrolment letter from the college or training provider",
                "",
                0,
            ),
        )
        .await?;
    let completed = store
        .add_oc_outcome(
            officer,
            id,
            &outcome(
                "Completed a training or education course",
                OutcomeKind::Education,
                t.complete,
                "The certificate or the provider's letter of completion",
                &course,
                0,
            ),
        )
        .await?;

    // Everything that happens to the cohort, replayed against the contract's book read once and
    // written in one batch; each event is checked as the store's ordinary functions check it.
    let mut events = store.begin_oc_bulk(id, today).await?;

    // People: the baseline at the start, then `joining` a quarter.
    let mut people: Vec<(OcRef, String, Date)> = Vec::new();
    let mut reference = 10_200 + rng.gen_range(0..50);
    let mut add = |on: Date, rng: &mut StdRng| -> (String, String, Date, String) {
        reference += rng.gen_range(3..30);
        let born_year = rng.gen_range(1956..=1996);
        let born = format!("{born_year}-{:02}", rng.gen_range(1..=12));
        let weekly = rng.gen_range(45..=95) * 10;
        let prefix = if baseline > 100 { "PI" } else { "MO" };
        (format!("{prefix}-{reference}"), born, on, weekly.to_string())
    };
    let mut drafts = Vec::new();
    for _ in 0..baseline {
        drafts.push(add(start, rng));
    }
    let mut q = months(start, 3)?;
    while joining > 0 && q < today {
        for _ in 0..joining {
            let on = days(q, rng.gen_range(0..80))?;
            if on < today {
                drafts.push(add(on, rng));
            }
        }
        q = months(q, 3)?;
    }
    for (case_ref, born, on, weekly) in drafts {
        let placement = if rng.gen_range(0..4) == 0 { Placement::Nursing } else { Placement::Residential };
        let draft = MemberDraft {
            case_ref: case_ref.clone(),
            born: born.clone(),
            entered_on: Some(on),
            placement: Some(placement),
            weekly_cost: weekly,
            mental_health_need: true,
        };
        // A person who would be 65 or over when joining is not eligible: skip them, as the council would.
        if let OcApplied::Joined(r) = events.apply(OcEvent::Join { draft, skip_if_refused: true })? {
            people.push((r, case_ref, on));
        }
    }

    // Outcomes: about 40% move on (some time after joining), most sustain; some take courses.
    let age_out = events.book().contract.age_out;
    let span = (today - start).get_days() as i64;
    let mut claims = 0;
    let claim = |member: &OcRef, outcome: &str, on: Date, what: &str| (*member, outcome.to_string(), on, evidence(what));
    let mut planned: Vec<(OcRef, String, Date, String)> = Vec::new();
    let mut leaving: Vec<(OcRef, Date, LeaveReason)> = Vec::new();
    for (mid, case_ref, joined) in &people {
        let m = events.member(*mid).ok_or_else(|| DemoError::Missing(case_ref.clone()))?;
        let aged = m.born.reaches(age_out);
        let roll = rng.gen_range(0..100);
        let mut end = aged.min(today);
        // Some leave: died, moved away, withdrew.
        if roll < 12 {
            let reason = [LeaveReason::Died, LeaveReason::MovedAway, LeaveReason::Withdrew][roll as usize % 3];
            let on = days(*joined, rng.gen_range(120..span.max(121)))?;
            if on < end {
                leaving.push((*mid, on, reason));
                end = on;
            }
        }
        let first_possible = days(*joined, 90)?;
        if (12..45).contains(&roll) && first_possible < end {
            let room = (end - first_possible).get_days() as i64;
            let moved = days(first_possible, rng.gen_range(0..room.max(1)))?;
            planned.push(claim(
                mid,
                &mv,
                moved,
                &format!("Tenancy agreement from {}; placement ended the day before", moved.strftime("%-d %B %Y")),
            ));
            for (o, mths) in &sustains {
                let due = months(moved, *mths)?;
                if due < end && rng.gen_range(0..10) < 9 {
                    planned.push(claim(mid, o, days(due, rng.gen_range(0..20))?, "Landlord's confirmation that the tenancy is still held"));
                } else {
                    break;
                }
            }
        }
        if rng.gen_range(0..100) < 30 {
            let began = days(*joined, rng.gen_range(30..span.max(31)))?;
            if began < end {
                planned.push(claim(mid, &course, began, "Enrolment letter, Northmoor College"));
                let done = days(began, rng.gen_range(120..300))?;
                if done < end && rng.gen_range(0..10) < 7 {
                    planned.push(claim(mid, &completed, done, "Certificate of completion, Northmoor College"));
                }
            }
        }
    }
    // Submit in date order, deciding each about two to six weeks after it was achieved: the
    // latest still waiting; one in twenty rejected with its reason.
    planned.sort_by_key(|a| a.2);
    for (mid, oid, on, what) in planned {
        if on > today {
            continue;
        }
        let case_ref = people.iter().find(|p| p.0 == mid).map(|p| p.1.clone()).unwrap_or_default();
        let draft = ClaimDraft { case_ref, outcome_id: oid.clone(), achieved_on: Some(on), evidence: what };
        // A plan the rules refuse (a sustain whose move was rejected) is not claimed.
        let submitted = events.apply(OcEvent::Claim {
            by: spv_actor.label.clone(),
            provider_id: Some(spv.to_string()),
            draft,
            skip_if_refused: true,
        })?;
        let OcApplied::Claimed(cid) = submitted else { continue };
        claims += 1;
        let decided = days(on, rng.gen_range(14..42))?;
        if decided >= today {
            continue;
        }
        let reject = rng.gen_range(0..20) == 0;
        let reason = if reject { "The evidence does not show the date achieved: send the signed agreement" } else { "" };
        events.apply(OcEvent::Decide {
            claim: cid,
            by: officer.label.clone(),
            verify: Some(!reject),
            reason: reason.into(),
            decided_on: decided,
            or_reject: Some("Refused by the contract's rules".into()),
        })?;
    }
    for (mid, on, reason) in leaving {
        events.apply(OcEvent::Leave { member: mid, reason: Some(reason), on: Some(on) })?;
    }
    store.finish_oc_bulk(officer, events).await?;
    Ok((people.len(), claims))
}
