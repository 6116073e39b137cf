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
    crate::committees::generate_committees(store, today).await?;
    Ok(())
}
