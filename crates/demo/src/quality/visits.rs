//! Demo quality visits and action plans (issue 3): the starter frameworks; about eleven months of
//! routine quality visits to most care homes (about a hundred, as `000`'s "101 routine quality
//! monitoring visits January to October") and supported living services, some responsive and
//! unannounced; risk management meetings for a few struggling homes and quarterly performance
//! meetings with contracted home care. Visits are scored (worse where CQC rated the service
//! worse), written up and finalised, raising actions; older actions have progressed, been
//! submitted and accepted, and some are overdue. Every provider running two or more care homes
//! has at least one visit with actions, so the demo provider user (the largest care home group)
//! has action plans to work on. All through the store's audited API.

use caremarket_core::Date;
use caremarket_core::quality::{ActionStatus, Activity, Judgement, VisitType};
use caremarket_core::register::{Rating, ServiceKind};
use caremarket_store::bulk::{ActionChange, ActionStep, NewRecordedVisit};
use caremarket_store::quality::visits::{ActionDraft, NewVisit, ScoreInput};
use caremarket_store::register::{Service, ServiceFilter};
use caremarket_store::{Actor, Store, StoreError};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;

const OFFICERS: [&str; 5] = ["Q Lees", "R Patel", "S Okafor", "T Hughes", "J Walsh"];
const OWNERS: [&str; 4] = ["Registered manager", "Deputy manager", "Clinical lead", "Operations manager"];

async fn services(store: &Store, kinds: Vec<ServiceKind>) -> Result<Vec<Service>, StoreError> {
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let p = store
            .services(&ServiceFilter { kinds: kinds.clone(), page, per_page: 1000, sort: Some("name".into()), ..Default::default() })
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

fn days_before(today: Date, n: i64) -> Date {
    today.checked_sub(jiff::Span::new().days(n)).unwrap_or(today)
}

fn days_after(d: Date, n: i64) -> Date {
    d.checked_add(jiff::Span::new().days(n)).unwrap_or(d)
}

/// How likely a standard is to be judged Requires Improvement or Poor, from the CQC rating.
fn concern_level(s: &Service) -> f64 {
    match s.ratings.overall {
        Some(Rating::Inadequate) => 0.3,
        Some(Rating::RequiresImprovement) => 0.15,
        Some(Rating::Outstanding) => 0.01,
        Some(Rating::Good) => 0.03,
        _ => 0.06,
    }
}

fn judge(rng: &mut StdRng, concern: f64) -> Option<Judgement> {
    let x: f64 = rng.r#gen();
    if x < 0.08 {
        None
    } else if x < 0.08 + concern * 0.3 {
        Some(Judgement::Poor)
    } else if x < 0.08 + concern {
        Some(Judgement::RequiresImprovement)
    } else if x < 0.08 + concern + 0.15 {
        Some(Judgement::Excellent)
    } else {
        Some(Judgement::Good)
    }
}

fn evidence(j: Judgement, title: &str) -> String {
    match j {
        Judgement::Excellent => format!("{title}: consistently strong; examples shared as good practice."),
        Judgement::Good => format!("{title}: met on the day."),
        Judgement::RequiresImprovement => format!("{title}: gaps found in the sample checked; not yet embedded."),
        Judgement::Poor => format!("{title}: significant shortfalls; risk to people if not addressed promptly."),
    }
}

struct Plan<'a> {
    service: &'a Service,
    date: Date,
    visit_type: VisitType,
    framework: Option<&'a str>,
    outcomes: Option<&'a str>,
    activity: Activity,
    /// Worse scoring, so the visit raises actions.
    force_concern: bool,
}

pub(super) async fn generate(
    store: &Store,
    seed: u64,
    scale: u32,
    today: Date,
    lap: &mut (dyn FnMut(&'static str) + Send),
) -> Result<(), StoreError> {
    store.ensure_starter_frameworks().await?;
    let mut rng = StdRng::seed_from_u64(seed ^ 0x0A11_7415);
    let officer = Actor::system("Quinn Lees (demo quality officer)");
    let provider_actor = Actor::system("provider (demo)");
    let _ = scale; // every count follows the register, which already scales

    let qaf_homes = store.qa_framework_by_code("qaf_care_homes").await?;
    let qaf_sl = store.qa_framework_by_code("qaf_supported_living").await?;
    let mir = store.qa_framework_by_code("mir_i_statements").await?;
    let mut standards: BTreeMap<String, Vec<(String, String, String)>> = BTreeMap::new();
    for f in [&qaf_homes, &qaf_sl, &mir] {
        let s = store.qa_standards(&f.id, false).await?;
        standards.insert(f.id.clone(), s.into_iter().map(|s| (s.id, s.code, s.title)).collect());
    }

    let homes = services(store, vec![ServiceKind::CareHomeResidential, ServiceKind::CareHomeNursing]).await?;
    let living = services(store, vec![ServiceKind::SupportedLiving, ServiceKind::EnhancedSupportedLiving]).await?;
    let home_care: Vec<Service> =
        services(store, vec![ServiceKind::HomeCare]).await?.into_iter().filter(|s| s.contract_status.is_contracted()).collect();

    // Care home groups: the first home of every provider with two or more gets a visit that
    // raises actions (the demo provider user runs the largest group).
    let mut per_provider: BTreeMap<&str, usize> = BTreeMap::new();
    for h in &homes {
        *per_provider.entry(h.provider_id.as_str()).or_default() += 1;
    }
    let mut group_first: BTreeMap<&str, &str> = BTreeMap::new();
    for h in &homes {
        if per_provider.get(h.provider_id.as_str()).copied().unwrap_or(0) >= 2 {
            group_first.entry(h.provider_id.as_str()).or_insert(h.id.as_str());
        }
    }

    let mut plans: Vec<Plan> = Vec::new();
    for (i, h) in homes.iter().enumerate() {
        let forced = group_first.values().any(|id| *id == h.id);
        // Most homes get a routine visit in the last eleven months; a few are overdue.
        if forced || i % 10 != 7 {
            let date = if forced { days_before(today, rng.gen_range(40..120)) } else { days_before(today, rng.gen_range(3..330)) };
            plans.push(Plan {
                service: h,
                date,
                visit_type: VisitType::Routine,
                framework: Some(&qaf_homes.id),
                outcomes: None,
                activity: Activity::QualityVisit,
                force_concern: forced,
            });
        }
        // Responsive, unannounced visits where there is concern.
        if concern_level(h) >= 0.15 || rng.gen_bool(0.05) {
            let date = days_before(today, rng.gen_range(2..200));
            plans.push(Plan {
                service: h,
                date,
                visit_type: VisitType::Responsive,
                framework: Some(&qaf_homes.id),
                outcomes: None,
                activity: Activity::QualityVisit,
                force_concern: true,
            });
        }
    }
    // Risk management meetings every five or six weeks for the homes rated Inadequate.
    for h in homes.iter().filter(|h| h.ratings.overall == Some(Rating::Inadequate)).take(3) {
        let mut back = rng.gen_range(5..20);
        while back < 150 {
            plans.push(Plan {
                service: h,
                date: days_before(today, back),
                visit_type: VisitType::Responsive,
                framework: None,
                outcomes: None,
                activity: Activity::RiskManagementMeeting,
                force_concern: false,
            });
            back += rng.gen_range(35..43);
        }
    }
    for s in &living {
        if rng.gen_bool(0.85) {
            let date = days_before(today, rng.gen_range(3..330));
            plans.push(Plan {
                service: s,
                date,
                visit_type: VisitType::Routine,
                framework: Some(&qaf_sl.id),
                outcomes: Some(&mir.id),
                activity: Activity::QualityVisit,
                force_concern: false,
            });
        }
    }
    // Quarterly performance meetings with contracted home care.
    for s in &home_care {
        let mut back = rng.gen_range(10..60);
        while back < 330 {
            plans.push(Plan {
                service: s,
                date: days_before(today, back),
                visit_type: VisitType::Routine,
                framework: None,
                outcomes: None,
                activity: Activity::PerformanceMeeting,
                force_concern: false,
            });
            back += rng.gen_range(85..98);
        }
    }
    plans.sort_by_key(|p| p.date);

    // Every visit recorded, scored and (but for some of the last fortnight's) finalised, in one
    // batch: the rows create_visit, score_visit and finalise_visit_on would write.
    let mut batch: Vec<NewRecordedVisit> = Vec::with_capacity(plans.len());
    for p in &plans {
        let responsive = p.visit_type == VisitType::Responsive;
        let nv = NewVisit {
            service_id: p.service.id.clone(),
            activity: p.activity,
            visit_type: p.visit_type,
            announced: !(responsive && p.activity == Activity::QualityVisit) || rng.gen_bool(0.2),
            visit_date: p.date,
            officers: if rng.gen_bool(0.4) {
                format!("{}, {}", OFFICERS[rng.gen_range(0..OFFICERS.len())], OFFICERS[rng.gen_range(0..OFFICERS.len())])
            } else {
                OFFICERS[rng.gen_range(0..OFFICERS.len())].to_string()
            },
            people_spoken_to: if p.framework.is_some() { rng.gen_range(2..9) } else { 0 },
            relatives_spoken_to: if p.framework.is_some() { rng.gen_range(0..4) } else { 0 },
            staff_spoken_to: if p.framework.is_some() { rng.gen_range(2..7) } else { 1 },
            framework_id: p.framework.map(str::to_string),
            outcomes_framework_id: p.outcomes.map(str::to_string),
            feedback_given_on_day: p.framework.is_some(),
        };
        let concern = if p.force_concern { concern_level(p.service).max(0.15) } else { concern_level(p.service) };
        let mut scores = Vec::new();
        let mut raised = Vec::new();
        for fid in [p.framework, p.outcomes].into_iter().flatten() {
            for (sid, code, title) in standards.get(fid).map(Vec::as_slice).unwrap_or(&[]) {
                let Some(j) = judge(&mut rng, concern) else { continue };
                if j.raises_action() {
                    raised.push((sid.clone(), code.clone(), title.clone()));
                }
                scores.push(ScoreInput { standard_id: sid.clone(), judgement: j.as_str().into(), evidence: Some(evidence(j, title)) });
            }
        }
        if p.force_concern
            && raised.is_empty()
            && let Some(first) = scores.first_mut()
        {
            first.judgement = Judgement::RequiresImprovement.as_str().into();
            if let Some((sid, code, title)) =
                standards.get(p.framework.unwrap_or_default()).and_then(|v| v.iter().find(|s| s.0 == first.standard_id))
            {
                raised.push((sid.clone(), code.clone(), title.clone()));
            }
        }
        let report = match p.activity {
            Activity::QualityVisit => format!(
                "{} {} visit. Documentation, training records, accidents and incidents, and care and support plans were checked; practice was observed and people were asked for their views. {} improvement. Feedback was given on the day.",
                if responsive { "Responsive" } else { "Routine" },
                if nv.announced { "announced" } else { "unannounced" },
                caremarket_core::text::count(raised.len() as i64, "standard needs", Some("standards need"))
            ),
            Activity::RiskManagementMeeting => {
                "Joint council/ICB risk management meeting: progress against the improvement plan reviewed.".into()
            }
            Activity::PerformanceMeeting => {
                "Quarterly contract performance meeting: call monitoring, complaints, staffing and the action plan reviewed.".into()
            }
            Activity::EscalationReview => "Escalation review.".into(),
        };
        // The most recent fortnight's visits are still being written up.
        let age = (today - p.date).get_days() as i64;
        if age < 14 && rng.gen_bool(0.5) {
            batch.push(NewRecordedVisit { visit: nv, scores, report: Some(report), finalised: None });
            continue;
        }
        let drafts: Vec<ActionDraft> = raised
            .iter()
            .map(|(sid, code, title)| ActionDraft {
                standard_id: sid.clone(),
                title: format!("{code}: {title}"),
                owner: OWNERS[rng.gen_range(0..OWNERS.len())].into(),
                due_on: Some(days_after(p.date, [28, 42, 56, 90][rng.gen_range(0..4)])),
            })
            .collect();
        // Sent to the provider for its fact-check two days after the visit (decision 42).
        let finalised = Some((days_after(p.date, 2).min(today), drafts));
        batch.push(NewRecordedVisit { visit: nv, scores, report: Some(report), finalised });
    }
    store.bulk_record_visits(&officer, &batch, today).await?;

    lap("quality: visits, scored and finalised");

    // Progress on the action plans: older actions are further along. Some stay open past due.
    let actions = store.actions(&Default::default()).await?;
    // Decided in the same seeded order as before, then written together with the store's own
    // checks (Store::bulk_action_changes).
    let mut steps: Vec<ActionStep> = Vec::new();
    for a in &actions {
        let provider = |note: &str, evidence: Option<&str>, status: ActionStatus| ActionStep {
            actor: &provider_actor,
            action_id: a.id.clone(),
            change: ActionChange::Provider {
                provider_id: a.provider_id.clone(),
                note: note.to_string(),
                evidence: evidence.map(str::to_string),
                status,
            },
        };
        let age = a.visit_date.as_deref().and_then(|d| d.parse::<Date>().ok()).map(|d| (today - d).get_days() as i64).unwrap_or(0);
        let roll: f64 = rng.r#gen();
        if (age > 100 && roll < 0.75) || (age > 60 && roll < 0.5) {
            steps.push(provider("Improvement plan in place; staff briefed.", None, ActionStatus::InProgress));
            steps.push(provider(
                "Completed: audits show the change is embedded.",
                Some("Audit records for the last month, in the manager's office"),
                ActionStatus::Submitted,
            ));
            let change = if rng.gen_bool(0.2) {
                ActionChange::Reopen { reason: "The audits seen do not yet cover night staff.".into() }
            } else {
                ActionChange::Accept { note: "Evidence checked.".into(), on: days_before(today, rng.gen_range(1..20)) }
            };
            steps.push(ActionStep { actor: &officer, action_id: a.id.clone(), change });
        } else if roll < 0.85 {
            steps.push(provider("Action plan drawn up; training booked.", None, ActionStatus::InProgress));
            if roll < 0.65 {
                steps.push(provider(
                    "Done: evidence ready for review.",
                    Some("Training certificates and updated records"),
                    ActionStatus::Submitted,
                ));
            }
        }
    }
    store.bulk_action_changes(&officer, &steps).await?;
    lap("quality: action plan progress");
    Ok(())
}
