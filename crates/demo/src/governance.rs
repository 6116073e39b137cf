//! The demo council's Market Sustainability Delivery Plan: `000`'s own table (the fixture in
//! `fixtures/governance/`, with the council's name in place of Sheffield's), imported as the plan
//! stood two quarters ago, then a quarter's updates, so the plan can be read at either date and
//! a milestone's history shows a change.

use crate::{COUNCIL_NAME, DemoError};
use caremarket_core::Date;
use caremarket_core::governance::delivery_plan::{NewUpdate, PlanHeader, PlanStatus};
use caremarket_core::governance::quarter::Quarter;
use caremarket_ingest::governance::read_delivery_plan;
use caremarket_store::{Actor, Store};

const TABLE: &str = include_str!("../../../fixtures/governance/sheffield-delivery-plan-2024-25.csv");

pub async fn generate_governance(store: &Store, today: Date) -> Result<(), DemoError> {
    let actor = Actor::system("demo");
    let place = COUNCIL_NAME.trim_end_matches(" Borough Council");
    let table = TABLE.replace("Sheffield's", &format!("{place}'s")).replace("Sheffield", place).replace("sheffield", &place.to_lowercase());
    let rows = read_delivery_plan("delivery-plan.csv", table.as_bytes()).map_err(|e| DemoError::Invalid(e.to_string()))?;
    let header = PlanHeader::parse(
        "Market Sustainability Delivery Plan",
        "Adults in need of care and support benefit from an efficient and effective market, leading to a sustainable and diverse range of quality care and support, delivering choice, and driving improvement and better outcomes.",
        "A sustainable market is a critical part of delivering excellent social care services.",
        "Strategic Director Adult Care and Wellbeing",
        "Assistant Director Commissioning and Partnerships",
        "Adult Health and Social Care Policy Committee",
    )
    .map_err(|e| DemoError::Invalid(e.to_string()))?;
    let id = store.create_delivery_plan(&actor, &header).await?;
    let last = Quarter::containing(today).previous();
    store.import_delivery_plan(&actor, &id, &rows, last.previous().end()).await?;

    // Last quarter: the first two milestones in delivery are complete and the third has slipped.
    let plan = store.delivery_plan(&id).await?;
    let in_delivery: Vec<_> = plan
        .themes
        .iter()
        .flat_map(|t| t.milestones.iter())
        .filter(|m| m.updates.last().and_then(|u| u.status) == Some(PlanStatus::InDelivery))
        .take(3)
        .collect();
    let next = [
        ("Complete: in place and reviewed at the quality and performance meeting.", "complete", "green"),
        ("Complete: implementation signed off by the programme board.", "complete", "green"),
        ("Slipped: the tender is re-scheduled after soft market testing; the board agreed a new date.", "delayed", "amber"),
    ];
    for (m, (text, status, rag)) in in_delivery.into_iter().zip(next) {
        let by_when = if status == "delayed" { Quarter { year: last.year + 1, q: last.q }.label() } else { "Completed".into() };
        let u = NewUpdate::parse(Some(last.end()), text, &by_when, status, rag, today).map_err(|e| DemoError::Invalid(e.to_string()))?;
        store.record_plan_update(&actor, &m.id, &u).await?;
    }
    report_narratives(store, &actor, last.end()).await?;
    crate::scrutiny::generate_scrutiny(store, today).await?;
    crate::committees::generate_committees(store, today).await
}

/// Officers' words for last quarter's Market Oversight Report, modelled on `000`'s, so the
/// report reads as a committee paper and the current quarter shows them carried forward.
async fn report_narratives(store: &Store, actor: &Actor, as_at: Date) -> Result<(), DemoError> {
    use caremarket_core::reports::quarterly::{Market, Section};
    let what_good = "There is sufficiency of services to ensure timely provision and continuity of care.
There is a diverse range of good quality provision, offering a choice in the type of support provided and who provides it.
All care provision is rated 'Good' or better, by people with lived experience, their families and carers, by CQC and by the council.
Rates are fair, covering costs, aligning with quality and delivering best value for public money.";
    let mut fm = store.report_front_matter().await?;
    fm.good = what_good.to_string();
    store.set_report_front_matter(actor, &fm).await?;
    let words: [(Market, Section, &str, &str); 5] = [
        (
            Market::SelfDirectedSupport,
            Section::Sufficiency,
            "Some people chose to move to a direct payment to remain with their existing home care provider when the new home care contract began. Analysis of ended direct payments shows most are where people stopped all social care services.",
            "Develop a Direct Payments Provider Forum to support market shaping.\nReview the Direct Payment Provider Rates Tool after testing and publish its guidance.\nOptions appraisal for a contracting arrangement for the PA register.",
        ),
        (
            Market::LivingAndAgeingWell,
            Section::Sufficiency,
            "Occupancy rates have improved, though there is still an oversupply of general residential beds. Low occupancy increases the risk of poorer quality provision as the financial impact affects staffing.",
            "Increase occupancy overall, with a shift from general residential beds to nursing and dementia care.\nContinue to encourage older people's care homes to join the framework.\nReview Somewhere Else to Assess bed provision and its specification.",
        ),
        (
            Market::LivingAndAgeingWell,
            Section::Quality,
            "Homes rated Amber or Red have increased monitoring with a focused improvement plan, and placement restrictions where needed.",
            "Continue the multi-disciplinary approach to quality improvement with the ICB.\nImprove our understanding of inequalities within care homes.",
        ),
        (
            Market::AdultsFutureOptions,
            Section::Sufficiency,
            "There is a diverse range of small, local and larger national supported living providers; some work with a landlord to provide accommodation in a scheme setting.",
            "Develop capacity for emergency overnight short breaks.\nDevelop an accommodation growth plan to reduce out-of-area placements.",
        ),
        (
            Market::AdultMentalHealth,
            Section::Quality,
            "Robust risk assessments and contingency plans have been seen during monitoring visits.",
            "Involve experts by experience in quality checking.\nMeasure outcomes for people supported by the Promoting Independence programme.",
        ),
    ];
    for (m, sec, now, plan) in words {
        store.save_report_narrative(actor, as_at, m, sec, now, plan).await?;
    }
    Ok(())
}
