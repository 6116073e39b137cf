//! Demo RAG status, escalation, restrictions and officer assignment (issue 3 items 3 and 4).
//!
//! Every care home, supported living and home care service gets a RAG status, mostly Green.
//! Among care homes, 3 × scale are Red and 5 × scale Amber (`000`: "5 homes in 'Amber' and 3 in
//! 'Red'"), chosen from the worst CQC-rated homes first so that they line up with the capacity
//! demo's restrictions. Red homes are in joint council/ICB risk management (after a spell of
//! enhanced monitoring), Amber homes in enhanced monitoring; each has a restriction or an
//! embargo. A few homes have recovered (Amber, then Green again, escalation ended).

use caremarket_core::Date;
use caremarket_core::access::Role;
use caremarket_core::quality::cadence::add_days;
use caremarket_core::quality::{EscalationLevel, Rag};
use caremarket_core::register::ServiceKind;
use caremarket_store::bulk::{NewEscalation, NewRag};
use caremarket_store::register::{Service, ServiceFilter};
use caremarket_store::restrictions::NewRestriction;
use caremarket_store::{Actor, Store, StoreError};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const HOMES: [ServiceKind; 2] = [ServiceKind::CareHomeResidential, ServiceKind::CareHomeNursing];
const COMMUNITY: [ServiceKind; 3] = [ServiceKind::SupportedLiving, ServiceKind::EnhancedSupportedLiving, ServiceKind::HomeCare];

async fn services(store: &Store, kinds: &[ServiceKind]) -> Result<Vec<Service>, StoreError> {
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let p = store
            .services(&ServiceFilter { kinds: kinds.to_vec(), page, per_page: 1000, sort: Some("name".into()), ..Default::default() })
            .await?;
        let n = p.items.len();
        out.extend(p.items);
        if n == 0 || out.len() as i64 >= p.total {
            break;
        }
        page += 1;
    }
    Ok(out)
}

const RED_REASONS: [&str; 3] = [
    "Poor on safe care and medication at the last visit; safeguarding enquiries open",
    "Inadequate CQC rating and repeated notifiable incidents",
    "Leadership failures: no registered manager and actions from the last two visits not met",
];
const AMBER_REASONS: [&str; 5] = [
    "Requires Improvement on medication and care planning at the last visit",
    "High staff turnover and agency use; complaints rising",
    "Action plan overdue: falls management and recording",
    "CQC rating fell to Requires Improvement",
    "Concerns about infection prevention and control",
];

pub(super) async fn generate(store: &Store, seed: u64, scale: u32, today: Date) -> Result<(), StoreError> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5747_A705);
    let actor = Actor::system("demo");
    let ago = |n: i64| add_days(today, -n);
    let mut homes = services(store, &HOMES).await?;
    // Worst CQC-rated first (no rating counts as middling), then by name.
    homes.sort_by_key(|h| (h.ratings.overall.and_then(|r| r.score()).unwrap_or(3), h.name.clone()));
    let scale = scale.max(1) as usize;
    let n_red = (3 * scale).min(homes.len());
    let n_amber = (5 * scale).min(homes.len() - n_red);
    let in_force = store.restrictions(Some(today)).await?;

    // Every service's first status is Green, written together (issue 18 item 5); the statuses,
    // escalations and restrictions after it are written in order once all are decided, so the
    // seeded choices are made in the same order as before and give the same records.
    let mut greens: Vec<NewRag> = Vec::new();
    let mut steps: Vec<Step> = Vec::new();
    let green = |service_id: &str, reason: &str, on: Date| NewRag {
        service_id: service_id.to_string(),
        rag: Rag::Green,
        reason: reason.into(),
        on,
    };
    for (i, h) in homes.iter().enumerate() {
        let green_on = ago(rng.gen_range(200..360));
        greens.push(green(&h.id, "Annual visit: standards met, no concerns", green_on));
        let (rag, reason) = if i < n_red {
            (Rag::Red, RED_REASONS[i % RED_REASONS.len()])
        } else if i < n_red + n_amber {
            (Rag::Amber, AMBER_REASONS[(i - n_red) % AMBER_REASONS.len()])
        } else {
            // A few Green homes had an Amber spell and recovered.
            if i % 9 == 4 {
                let amber_on = ago(rng.gen_range(120..180));
                steps.push(Step::Rag(h.id.clone(), Rag::Amber, "Action plan after a responsive visit", amber_on));
                steps.push(Step::Escalation(h.id.clone(), EscalationLevel::EnhancedMonitoring, "Amber: monthly contact", amber_on));
                let back = ago(rng.gen_range(20..60));
                steps.push(Step::Rag(h.id.clone(), Rag::Green, "Actions completed and checked at a follow-up visit", back));
                steps.push(Step::Escalation(h.id.clone(), EscalationLevel::None, "Improvements sustained", back));
            }
            continue;
        };
        let became = ago(rng.gen_range(30..150));
        if rag == Rag::Red {
            // Amber first, then Red.
            let amber_on = add_days(became, -rng.gen_range(30..90));
            steps.push(Step::Rag(h.id.clone(), Rag::Amber, AMBER_REASONS[i % AMBER_REASONS.len()], amber_on));
            steps.push(Step::Escalation(h.id.clone(), EscalationLevel::EnhancedMonitoring, "Amber: enhanced monitoring", amber_on));
            steps.push(Step::Rag(h.id.clone(), Rag::Red, reason, became));
            steps.push(Step::Escalation(h.id.clone(), EscalationLevel::RiskManagement, "Red: joint council/ICB risk management", became));
        } else {
            steps.push(Step::Rag(h.id.clone(), Rag::Amber, reason, became));
            steps.push(Step::Escalation(h.id.clone(), EscalationLevel::EnhancedMonitoring, "Amber: enhanced monitoring", became));
        }
        if !in_force.iter().any(|r| r.service_id == h.id) {
            let red = rag == Rag::Red;
            steps.push(Step::Restriction(NewRestriction {
                service_id: h.id.clone(),
                kind: if red { "embargo" } else { "restriction" }.into(),
                scope: if red {
                    None
                } else {
                    Some(["no new nursing placements", "no new dementia placements", "no more than 2 admissions a week"][i % 3].into())
                },
                reason: if red {
                    "Red: embargo on new placements while in risk management".into()
                } else {
                    "Amber: limited admissions until the action plan is met".into()
                },
                starts_on: became,
                ends_on: None,
            }));
        }
    }

    // Community services: Green, one in twelve Amber.
    for (i, s) in services(store, &COMMUNITY).await?.iter().enumerate() {
        greens.push(green(&s.id, "Contract monitoring: performance on target", ago(rng.gen_range(30..330))));
        if i % 12 == 7 {
            let on = ago(rng.gen_range(10..60));
            let reason = if s.kind == ServiceKind::HomeCare {
                "Missed and late calls above the contract threshold"
            } else {
                "Concerns about managing people's finances raised at a visit"
            };
            steps.push(Step::Rag(s.id.clone(), Rag::Amber, reason, on));
            steps.push(Step::Escalation(s.id.clone(), EscalationLevel::EnhancedMonitoring, "Amber: enhanced monitoring", on));
        }
    }
    // Each history in one batch, in the order decided (Store::bulk_set_rag and
    // bulk_set_escalations keep that order within a service's history); restrictions one by one.
    let mut rags = greens;
    let mut escalations = Vec::new();
    let mut restrictions = Vec::new();
    for step in steps {
        match step {
            Step::Rag(id, rag, reason, on) => rags.push(NewRag { service_id: id, rag, reason: reason.into(), on }),
            Step::Escalation(id, level, reason, on) => escalations.push(NewEscalation { service_id: id, level, reason: reason.into(), on }),
            Step::Restriction(r) => restrictions.push(r),
        }
    }
    store.bulk_set_rag(&actor, &rags).await?;
    store.bulk_set_escalations(&actor, &escalations).await?;
    for r in &restrictions {
        store.record_restriction(&actor, r).await?;
    }
    Ok(())
}

/// A status decision after a service's first, written in order once all are decided.
enum Step {
    Rag(String, Rag, &'static str, Date),
    Escalation(String, EscalationLevel, &'static str, Date),
    Restriction(NewRestriction),
}

/// Care homes to the demo quality officer, team "Care homes quality"; supported living and home
/// care to the team "Community quality" with no named officer.
pub(super) async fn assign_officers(store: &Store, _seed: u64, _today: Date) -> Result<(), StoreError> {
    let actor = Actor::system("demo");
    let officer = store
        .users()
        .await?
        .into_iter()
        .find(|u| u.email == "quality@demo.caremarket.test" && u.role == Role::QualityOfficer)
        .ok_or_else(|| StoreError::NotFound("the demo quality officer account".into()))?;
    store.assign_unassigned(&actor, &HOMES, None, &officer.id, Some("Care homes quality")).await?;
    store.assign_team_where_none(&actor, &COMMUNITY, None, "Community quality").await?;
    Ok(())
}
