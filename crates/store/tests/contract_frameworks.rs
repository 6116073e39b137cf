//! Contract frameworks: create, edit, members on lots, and every refusal, each change audited.
//! Run on every backend available (SQLite always; PostgreSQL with CAREMARKET_TEST_POSTGRES_URL).

use caremarket_core::register::framework::FrameworkDraft;
use caremarket_core::register::{ContractStatus, ServiceKind};
use caremarket_store::register::NewService;
use caremarket_store::{Actor, AuditQuery, Store, StoreError};
use caremarket_testkit as testing;

fn actor() -> Actor {
    Actor::system("test")
}

fn draft() -> FrameworkDraft {
    FrameworkDraft {
        name: "Home Care Framework 2025".into(),
        lots: vec!["Lot 1 - North".into(), "Lot 2 - South".into()],
        starts_on: Some(jiff::civil::date(2025, 4, 1)),
        ends_on: Some(jiff::civil::date(2029, 3, 31)),
        kinds: vec![ServiceKind::HomeCare, ServiceKind::SupportedLiving],
    }
}

async fn service(store: &Store, provider: &str, name: &str, kind: ServiceKind) -> String {
    store
        .create_service(
            &actor(),
            &NewService {
                town: None,
                postcode: Some("OL1 1AA".into()),
                local_authority: Some("Oldham".into()),
                ..caremarket_testkit::service(provider, name, kind)
            },
        )
        .await
        .expect("service")
}

fn field(e: StoreError) -> (String, String) {
    match e {
        StoreError::Invalid(f) => (f.field, f.message),
        other => panic!("expected a field error, got {other:?}"),
    }
}

async fn audit_summaries(store: &Store, entity_type: &str) -> Vec<String> {
    let (entries, _) = store
        .audit_entries(&AuditQuery { entity_type: Some(entity_type.into()), entity_id: None, actor: None, limit: 100, offset: 0 })
        .await
        .expect("audit");
    entries.into_iter().map(|e| e.summary).collect()
}

#[tokio::test]
async fn a_framework_is_created_edited_and_audited() {
    for store in testing::all_backends().await.expect("backends") {
        let id = store.create_contract_framework(&actor(), &draft()).await.expect("create");
        let fw = store.contract_framework(&id).await.expect("read");
        assert_eq!(fw.name, "Home Care Framework 2025");
        assert_eq!(fw.kinds, [ServiceKind::HomeCare, ServiceKind::SupportedLiving]);
        assert_eq!(fw.lots.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), ["Lot 1 - North", "Lot 2 - South"]);
        assert_eq!(fw.starts_on.as_deref(), Some("2025-04-01"));
        assert_eq!(fw.ends_on.as_deref(), Some("2029-03-31"));
        let north = fw.lots[0].id.clone();

        // Edit: rename, keep Lot 1 (new spelling), drop Lot 2, add Lot 3, drop a kind.
        let edited = FrameworkDraft {
            name: "Home Care Framework 2025-29".into(),
            lots: vec!["LOT 1 - North".into(), "Lot 3 - Central".into()],
            kinds: vec![ServiceKind::HomeCare],
            ..draft()
        };
        store
            .update_contract_framework(
                &actor(),
                &id,
                &edited,
                caremarket_core::versions::Version::new(store.contract_framework(&id).await.expect("framework").version).expect("version"),
            )
            .await
            .expect("update");
        let fw = store.contract_framework(&id).await.expect("read");
        assert_eq!(fw.name, "Home Care Framework 2025-29");
        assert_eq!(fw.kinds, [ServiceKind::HomeCare]);
        assert_eq!(fw.lots.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), ["LOT 1 - North", "Lot 3 - Central"]);
        assert_eq!(fw.lots[0].id, north, "a kept lot keeps its id");

        let summaries = audit_summaries(&store, "framework").await;
        assert!(summaries.contains(&"Added framework Home Care Framework 2025".to_string()), "{summaries:?}");
        assert!(summaries.contains(&"Changed framework Home Care Framework 2025-29".to_string()), "{summaries:?}");
        assert_eq!(store.contract_frameworks().await.expect("list").len(), 1);
    }
}

#[tokio::test]
async fn framework_refusals_name_their_field() {
    for store in testing::all_backends().await.expect("backends") {
        let e = store
            .create_contract_framework(&actor(), &FrameworkDraft { ends_on: Some(jiff::civil::date(2024, 1, 1)), ..draft() })
            .await
            .expect_err("end before start");
        assert_eq!(field(e).0, "ends_on");
        let e = store
            .create_contract_framework(&actor(), &FrameworkDraft { lots: vec!["Lot 1".into(), "lot 1".into()], ..draft() })
            .await
            .expect_err("duplicate lots");
        assert_eq!(field(e).0, "lots");
        let e = store.create_contract_framework(&actor(), &FrameworkDraft { kinds: vec![], ..draft() }).await.expect_err("no kinds");
        assert_eq!(field(e).0, "kinds");
        store.create_contract_framework(&actor(), &draft()).await.expect("create");
        let e = store
            .create_contract_framework(&actor(), &FrameworkDraft { name: "home care framework 2025".into(), ..draft() })
            .await
            .expect_err("same name");
        assert_eq!(field(e).0, "name");
        // Nothing refused was written or audited.
        assert_eq!(store.contract_frameworks().await.expect("list").len(), 1);
        assert_eq!(audit_summaries(&store, "framework").await.len(), 1);
        let e = store.contract_framework("no-such-framework").await.expect_err("missing");
        assert!(matches!(e, StoreError::NotFound(_)));
    }
}

#[tokio::test]
async fn members_join_and_leave_lots() {
    for store in testing::all_backends().await.expect("backends") {
        let p = store.create_provider(&actor(), Some("1-P1"), "Acme Care Ltd", None, None).await.expect("provider");
        let home_care = service(&store, &p, "Acme Home Care", ServiceKind::HomeCare).await;
        let nursing = service(&store, &p, "Acme Nursing Home", ServiceKind::CareHomeNursing).await;
        let id = store.create_contract_framework(&actor(), &draft()).await.expect("create");
        let other =
            store.create_contract_framework(&actor(), &FrameworkDraft { name: "Other Framework".into(), ..draft() }).await.expect("other");
        let fw = store.contract_framework(&id).await.expect("read");
        let (lot1, lot2) = (fw.lots[0].id.clone(), fw.lots[1].id.clone());
        let other_lot = store.contract_framework(&other).await.expect("other").lots[0].id.clone();

        store.add_framework_member(&actor(), &id, &lot1, &home_care).await.expect("join");
        let s = store.service(&home_care).await.expect("service");
        assert_eq!(s.contract_status, ContractStatus::Framework);
        assert_eq!(s.framework_id.as_deref(), Some(id.as_str()));
        assert_eq!(s.lot_id.as_deref(), Some(lot1.as_str()));
        let members = store.framework_members(&id).await.expect("members");
        assert_eq!(members.len(), 1);
        assert_eq!((members[0].service_name.as_str(), members[0].lot_name.as_str()), ("Acme Home Care", "Lot 1 - North"));
        assert_eq!(store.contract_framework(&id).await.expect("read").lots[0].members, 1);

        // Refusals, each naming its field.
        let (f, m) = field(store.add_framework_member(&actor(), &id, &lot1, &nursing).await.expect_err("kind"));
        assert_eq!(f, "service_id");
        assert!(m.contains(&format!("this service is {}", ServiceKind::CareHomeNursing.label().to_lowercase())), "{m}");
        assert_eq!(field(store.add_framework_member(&actor(), &id, &other_lot, &home_care).await.expect_err("lot of another")).0, "lot_id");
        assert_eq!(field(store.add_framework_member(&actor(), &id, &lot1, &home_care).await.expect_err("already")).0, "service_id");
        let (f, m) = field(store.add_framework_member(&actor(), &other, &other_lot, &home_care).await.expect_err("on another framework"));
        assert_eq!(f, "service_id");
        assert!(m.contains("is on Home Care Framework 2025"), "{m}");
        assert_eq!(
            field(store.add_framework_member(&actor(), &id, &lot1, "no-such-service").await.expect_err("no service")).0,
            "service_id"
        );
        // A lot with services, or a kind its services are, cannot be removed.
        let (f, _) = field(
            store
                .update_contract_framework(
                    &actor(),
                    &id,
                    &FrameworkDraft { lots: vec!["Lot 2 - South".into()], ..draft() },
                    caremarket_core::versions::Version::new(store.contract_framework(&id).await.expect("framework").version)
                        .expect("version"),
                )
                .await
                .expect_err("lot in use"),
        );
        assert_eq!(f, "lots");
        let (f, _) = field(
            store
                .update_contract_framework(
                    &actor(),
                    &id,
                    &FrameworkDraft { kinds: vec![ServiceKind::SupportedLiving], ..draft() },
                    caremarket_core::versions::Version::new(store.contract_framework(&id).await.expect("framework").version)
                        .expect("version"),
                )
                .await
                .expect_err("kind in use"),
        );
        assert_eq!(f, "kinds");

        // Move to lot 2, then leave.
        store.add_framework_member(&actor(), &id, &lot2, &home_care).await.expect("move");
        assert_eq!(store.service(&home_care).await.expect("s").lot_id.as_deref(), Some(lot2.as_str()));
        store.remove_framework_member(&actor(), &id, &home_care).await.expect("leave");
        let s = store.service(&home_care).await.expect("service");
        assert_eq!((s.framework_id, s.lot_id, s.contract_status), (None, None, ContractStatus::NotContracted));
        assert_eq!(field(store.remove_framework_member(&actor(), &id, &home_care).await.expect_err("not on it")).0, "service_id");

        let summaries = audit_summaries(&store, "service").await;
        for expected in [
            "Put Acme Home Care on Home Care Framework 2025, Lot 1 - North",
            "Put Acme Home Care on Home Care Framework 2025, Lot 2 - South",
            "Took Acme Home Care off Home Care Framework 2025",
        ] {
            assert!(summaries.iter().any(|s| s == expected), "{expected} not in {summaries:?}");
        }
    }
}
