//! Demo CQC report themes and a provider exit plan for Northmoor Borough Council.
//!
//! - Training and support offers shaped after `004` §4.15 but local to Northmoor: most themes
//!   have an offer in place; some only tentative ones (the Medicines Optimisation Team "may be
//!   able to support", the fire service "to be asked", dignity training "being revamped"); and
//!   pressure area care and diabetes have none, so the gaps show.
//! - About 210 issues coded from CQC reports of 2020 to mid-2023 for up to 29 care homes,
//!   distributed across the themes as `004` §4.12 lists them (Medication most, End of Life fewest).
//! - One planned closure of a small care home: its open placements and two people the system
//!   does not hold, some already moved.

use caremarket_core::Date;
use caremarket_core::register::ServiceKind;
use caremarket_store::exit_plans::NewProviderExit;
use caremarket_store::placements::Placement;
use caremarket_store::quality::themes::{NewCoding, NewOffer};
use caremarket_store::register::{Service, ServiceFilter};
use caremarket_store::{Actor, Store, StoreError};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// (theme code, issues as `004` §4.12 lists them, example issue texts).
const THEMES: [(&str, usize, &[&str]); 19] = [
    (
        "medication",
        27,
        &[
            "Medicine administration records incomplete",
            "PRN protocols missing or not followed",
            "Medicines stored above the safe temperature",
            "Controlled drugs register not signed by two staff",
            "Topical creams not recorded as applied",
        ],
    ),
    (
        "health_safety",
        22,
        &[
            "Window restrictors missing on upper floors",
            "Hot water outlets above the safe temperature",
            "Environmental risk assessments out of date",
            "Hazardous substances left unsecured",
        ],
    ),
    (
        "nutrition",
        18,
        &[
            "Fluid intake not monitored for people at risk of dehydration",
            "Thickener not prepared as the speech and language plan says",
            "Weights not recorded monthly",
            "Mealtime support not given in time",
        ],
    ),
    (
        "inclusion",
        16,
        &[
            "Activities not tailored to people's interests",
            "Care not planned around people's preferences",
            "People not involved in decisions about their care",
        ],
    ),
    (
        "ipc",
        15,
        &["Cleaning schedules not completed", "Staff not following hand hygiene guidance", "Laundry not segregated to prevent infection"],
    ),
    (
        "leadership",
        15,
        &[
            "Audits did not identify the shortfalls found",
            "No registered manager in post",
            "Action plans from previous inspection not completed",
        ],
    ),
    ("training", 12, &["Staff training out of date", "No induction records for new staff", "Supervisions not held as the policy requires"]),
    (
        "care_planning",
        12,
        &[
            "Care plans not reviewed when needs changed",
            "Risk assessments missing for known risks",
            "Daily notes did not reflect the care plan",
        ],
    ),
    (
        "safeguarding",
        12,
        &["Incidents not analysed for lessons learnt", "Safeguarding concerns not referred to the council", "Accident records incomplete"],
    ),
    (
        "mca",
        10,
        &[
            "Mental capacity assessments not decision-specific",
            "Best interests decisions not recorded",
            "DoLS applications not made when needed",
        ],
    ),
    (
        "staffing",
        9,
        &["Not enough staff deployed at night", "Call bells not answered promptly", "Dependency tool not used to set staffing"],
    ),
    (
        "moving_handling",
        9,
        &["Unsafe moving and handling observed", "Slings shared between people", "Moving and handling plans lacked detail"],
    ),
    (
        "recruitment",
        8,
        &[
            "References not obtained before staff started",
            "Gaps in employment history not explored",
            "DBS checks not completed before starting",
        ],
    ),
    ("fire_safety", 7, &["Fire doors did not close fully", "Personal emergency evacuation plans missing", "Fire drills not held"]),
    ("pressure_care", 4, &["Repositioning charts not completed", "Pressure-relieving mattresses at the wrong setting"]),
    ("diabetes", 3, &["Blood sugar monitoring not recorded", "No diabetes care plan for a person with diabetes"]),
    ("personal_care", 4, &["People's dignity not maintained during personal care", "Continence care not provided in time"]),
    ("end_of_life", 2, &["End of life wishes not recorded", "Anticipatory medicines not in place"]),
    (
        "covid",
        5,
        &["Visiting arrangements not in line with guidance", "Staff testing not carried out as required", "PPE not worn correctly"],
    ),
];

/// (theme code, offer, offered by, status, notes)
const OFFERS: [(&str, &str, &str, &str, Option<&str>); 20] = [
    ("medication", "Medicines optimisation support", "Northmoor Medicines Optimisation Team", "tentative", Some("May be able to support")),
    ("medication", "Level 2 medicines distance learning", "Northmoor College", "in_place", None),
    ("health_safety", "Health and safety advice and audits", "Northmoor Council Corporate Health & Safety Team", "in_place", None),
    ("nutrition", "Thickener training, worksheets and videos", "Northmoor Providing Care website", "in_place", None),
    ("nutrition", "Dietitian support", "Northmoor ICB", "to_be_asked", Some("ICB to be approached")),
    ("inclusion", "Care planning Quality Café, with a strengths-based session", "Northmoor Quality Improvement Team", "in_place", None),
    ("ipc", "Infection prevention and control training resources", "Public Health IPC nurse", "in_place", None),
    ("leadership", "Local leadership courses and Skills for Care resources", "Northmoor Social Care Development Group", "in_place", None),
    (
        "training",
        "Training for senior staff and access to leadership training",
        "Northmoor Social Care Development Group",
        "in_place",
        None,
    ),
    ("care_planning", "Quality Improvement Café", "Northmoor Quality Improvement Team", "in_place", None),
    (
        "safeguarding",
        "Quality Café alongside the Train the Trainer offer",
        "Northmoor Safeguarding Adults Board",
        "tentative",
        Some("To be developed"),
    ),
    ("mca", "Mental Capacity Act workshop at the Quality Improvement Café", "Northmoor Quality Improvement Team", "in_place", None),
    (
        "staffing",
        "Management and leadership training; Skills for Care resources",
        "Northmoor Social Care Development Group",
        "in_place",
        None,
    ),
    ("moving_handling", "Moving and handling Train the Trainer", "Northmoor Social Care Development Group", "in_place", None),
    ("recruitment", "Inspired to Care recruitment support", "Northmoor Council", "in_place", None),
    (
        "fire_safety",
        "Online fire safety session",
        "Northmoor Fire and Rescue Service",
        "to_be_asked",
        Some("Fire service to be asked to develop and deliver a session"),
    ),
    (
        "personal_care",
        "Dignity and personal care online training",
        "Northmoor Social Care Development Group",
        "being_revamped",
        Some("Being revamped; available in the autumn"),
    ),
    ("end_of_life", "End of life care training", "Northmoor Hospice", "in_place", None),
    ("ipc", "Outbreak management event", "Northmoor Public Health", "withdrawn", Some("Ran in 2022")),
    ("leadership", "Registered managers' network", "Northmoor Council", "in_place", None),
];

async fn care_homes(store: &Store) -> Result<Vec<Service>, StoreError> {
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let p = store
            .services(&ServiceFilter {
                kinds: vec![ServiceKind::CareHomeResidential, ServiceKind::CareHomeNursing],
                any_area: true,
                sort: Some("name".into()),
                page,
                per_page: 500,
                ..Default::default()
            })
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

fn days(n: i64) -> jiff::Span {
    jiff::Span::new().days(n)
}

pub(super) async fn generate(store: &Store, seed: u64, _scale: u32, today: Date) -> Result<(), StoreError> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x7E3E_5C0D);
    let actor = Actor::system("demo");

    for (theme, offer, by, status, notes) in OFFERS {
        store
            .add_theme_offer(
                &actor,
                theme,
                &NewOffer { offer: offer.into(), offered_by: Some(by.into()), status: status.into(), notes: notes.map(str::to_string) },
            )
            .await?;
    }

    // ----- codings: ~29 care homes' CQC reports from 2020 to June 2023 -----
    let mut homes = care_homes(store).await?;
    homes.retain(|h| h.in_area);
    homes.shuffle(&mut rng);
    homes.truncate(29);
    if !homes.is_empty() {
        let start = Date::constant(2020, 1, 6);
        let end = Date::constant(2023, 6, 30).min(today);
        let span = (end - start).get_days().max(1) as i64;
        // One report per home, and a second for a few: reports are (home, date).
        let mut reports: Vec<(String, Date)> = Vec::new();
        for (i, h) in homes.iter().enumerate() {
            let d = start.checked_add(days(rng.gen_range(0..span))).unwrap_or(start);
            reports.push((h.id.clone(), d));
            if i % 5 == 0 {
                let d2 = start.checked_add(days(rng.gen_range(0..span))).unwrap_or(start);
                if d2 != d {
                    reports.push((h.id.clone(), d2));
                }
            }
        }
        let mut by_report: Vec<Vec<(String, String)>> = vec![Vec::new(); reports.len()];
        for (code, n, texts) in THEMES {
            for k in 0..n {
                let r = rng.gen_range(0..reports.len());
                by_report[r].push((code.to_string(), texts[k % texts.len()].to_string()));
            }
        }
        for ((service_id, d), issues) in reports.iter().zip(by_report) {
            if issues.is_empty() {
                continue;
            }
            let rows: Vec<(usize, NewCoding)> = issues
                .into_iter()
                .enumerate()
                .map(|(i, (theme, issue))| (i + 1, NewCoding { service_id: service_id.clone(), report_date: *d, theme, issue }))
                .collect();
            store.code_theme_issues(&actor, &rows).await?;
        }
    }

    // ----- one planned closure of a small care home -----
    let placements: Vec<Placement> = store.placements(false).await?;
    let all_homes = care_homes(store).await?;
    let with_people = |h: &Service| placements.iter().filter(|p| p.service_id == h.id).count();
    let home = all_homes
        .iter()
        .filter(|h| with_people(h) > 0)
        .min_by_key(|h| (h.beds.unwrap_or(i64::MAX), h.name.clone()))
        .or_else(|| all_homes.iter().min_by_key(|h| (h.beds.unwrap_or(i64::MAX), h.name.clone())));
    if let Some(home) = home {
        let opened = today.checked_sub(days(35)).unwrap_or(today);
        let id = store
            .open_provider_exit(
                &actor,
                &NewProviderExit {
                    provider_id: home.provider_id.clone(),
                    service_id: Some(home.id.clone()),
                    planned: true,
                    reason: "closure".into(),
                    detail: Some("The owner is retiring and the home will close".into()),
                    opened_on: opened,
                    target_date: today.checked_add(days(28)).ok(),
                    extra_refs: vec![format!("SF{:05}", rng.gen_range(10000..99999)), format!("OC{:05}", rng.gen_range(10000..99999))],
                    embargo: false,
                },
            )
            .await?;
        let plan = store.exit_plan(&id).await?;
        let moved = ["Moved to another care home in the area", "Moved to a nursing home nearer family", "Returned home with home care"];
        for (i, item) in plan.items.iter().enumerate() {
            match i % 3 {
                0 => {
                    let on = opened.checked_add(days(7 + i as i64)).unwrap_or(opened).min(today);
                    store
                        .record_exit_arrangement(
                            &actor,
                            &id,
                            &item.id,
                            moved[i % moved.len()],
                            Some(on),
                            caremarket_core::versions::Version::FIRST,
                        )
                        .await?;
                }
                1 => {
                    store
                        .record_exit_arrangement(
                            &actor,
                            &id,
                            &item.id,
                            "Visiting two homes with family",
                            None,
                            caremarket_core::versions::Version::FIRST,
                        )
                        .await?
                }
                _ => {}
            }
        }
    }
    Ok(())
}
