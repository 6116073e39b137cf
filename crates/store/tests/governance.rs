//! The delivery plan on both backends: the seed's own table imported and read back, updates kept
//! and read as the plan stood at a date, every change audited, and a bad import writing nothing.

use caremarket_core::Date;
use caremarket_core::governance::delivery_plan::{NewUpdate, PlanHeader, PlanStatus};
use caremarket_ingest::governance::read_delivery_plan;
use caremarket_store::{Actor, AuditQuery, StoreError};

const SEED: &[u8] = include_bytes!("../../../fixtures/governance/sheffield-delivery-plan-2024-25.csv");

fn d(y: i16, m: i8, dd: i8) -> Date {
    Date::new(y, m, dd).expect("a real date")
}

fn header() -> PlanHeader {
    PlanHeader::parse(
        "Market Sustainability Delivery Plan 2024/5",
        "Adults in Need of Care and Support benefit from an efficient and effective market",
        "A sustainable market is a critical part of delivering excellent social care services.",
        "Strategic Director Adult Care and Wellbeing",
        "AD Commissioning and Partnerships",
        "Adult Health and Social Care Policy Committee",
    )
    .expect("a valid header")
}

#[tokio::test]
async fn the_seed_plan_imports_and_reads_as_it_stood_at_each_quarter() {
    let rows = read_delivery_plan("plan.csv", SEED).unwrap();
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let actor = Actor::system("test");
        let id = s.create_delivery_plan(&actor, &header()).await.unwrap();
        let q3 = d(2024, 12, 31);
        let summary = s.import_delivery_plan(&actor, &id, &rows, q3).await.unwrap();
        // Counted from the seed's table: 5 themes, 23 milestones, every row's status words mapped.
        assert_eq!((summary.themes_added, summary.milestones_added, summary.updates), (5, 23, 23));
        assert!(summary.unmapped.is_empty());

        let plan = s.delivery_plan(&id).await.unwrap();
        assert_eq!(plan.header, header());
        assert_eq!(plan.themes.len(), 5);
        assert!(plan.themes[0].title.starts_with("A sufficient supply of services"));
        let counts = plan.status_counts(q3);
        assert_eq!(
            counts,
            [
                (Some(PlanStatus::Priority), 2),
                (Some(PlanStatus::InDelivery), 12),
                (Some(PlanStatus::Complete), 8),
                (Some(PlanStatus::NoLongerRequired), 1)
            ]
        );
        // Before the import's date the plan held nothing.
        assert!(plan.as_at(d(2024, 9, 30)).is_empty());

        // Next quarter the care suites milestone is delayed; the Q3 reading does not change.
        let care_suites = plan.themes[1].milestones.iter().find(|m| m.action.starts_with("Commissioning a new model of care")).unwrap();
        let u =
            NewUpdate::parse(Some(d(2025, 3, 31)), "Tender postponed to the summer", "September 2026", "delayed", "amber", d(2025, 4, 2))
                .unwrap();
        s.record_plan_update(&actor, &care_suites.id, &u).await.unwrap();
        let plan = s.delivery_plan(&id).await.unwrap();
        let m = plan.themes[1].milestones.iter().find(|m| m.id == care_suites.id).unwrap();
        assert_eq!(m.updates.len(), 2, "the earlier update is kept");
        assert_eq!(m.standing(q3).unwrap().status, Some(PlanStatus::InDelivery));
        let q4 = m.standing(d(2025, 3, 31)).unwrap();
        assert_eq!(
            (q4.status, q4.by_when.date, q4.by_when.text.as_str()),
            (Some(PlanStatus::Delayed), Some(d(2026, 9, 30)), "September 2026")
        );
        assert_eq!(plan.status_counts(q3)[1], (Some(PlanStatus::InDelivery), 12));
        assert_eq!(plan.status_counts(d(2025, 3, 31))[1], (Some(PlanStatus::InDelivery), 11));

        // Re-importing the same table next quarter adds updates, not copies of milestones.
        let again = s.import_delivery_plan(&actor, &id, &rows, d(2025, 6, 30)).await.unwrap();
        assert_eq!((again.themes_added, again.milestones_added, again.updates), (0, 0, 23));

        let (audit, _) =
            s.audit_entries(&AuditQuery { entity_type: None, entity_id: None, actor: None, limit: 100, offset: 0 }).await.unwrap();
        let kinds: Vec<&str> = audit.iter().map(|a| a.entity_type.as_str()).collect();
        assert_eq!(kinds.iter().filter(|k| **k == "delivery_plan").count(), 3, "create and two imports");
        assert_eq!(kinds.iter().filter(|k| **k == "plan_update").count(), 1);

        let summaries = s.delivery_plans().await.unwrap();
        assert_eq!((summaries.len(), summaries[0].milestones), (1, 23));
    }
}

#[tokio::test]
async fn a_refused_import_writes_nothing() {
    let mut rows = read_delivery_plan("plan.csv", SEED).unwrap();
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let actor = Actor::system("test");
        let id = s.create_delivery_plan(&actor, &header()).await.unwrap();
        // A plan that does not exist, and a table whose first row names no theme.
        assert!(matches!(s.import_delivery_plan(&actor, "nope", &rows, d(2024, 12, 31)).await, Err(StoreError::NotFound(_))));
        let first_theme = std::mem::take(&mut rows[0].theme);
        let err = s.import_delivery_plan(&actor, &id, &rows, d(2024, 12, 31)).await.unwrap_err();
        assert_eq!(err.to_string(), "file: Row 2: the first row must name its theme / indicator");
        rows[0].theme = first_theme;
        let plan = s.delivery_plan(&id).await.unwrap();
        assert!(plan.themes.is_empty(), "nothing was written");
    }
}
