//! Lost updates (issue 17 item 6, decision 25), on both backends: two officers open the same
//! record at one version; the first save raises the version, the second (made from the old
//! version) is refused with the version now, and nothing of it is written: not the change, not
//! an audit row.

use caremarket_core::quality::{Activity, VisitType};
use caremarket_core::register::{ContractStatus, ServiceKind};
use caremarket_core::versions::Version;
use caremarket_store::quality::frameworks::StandardInput;
use caremarket_store::quality::visits::NewVisit;
use caremarket_store::register::{CouncilFields, NewService};
use caremarket_store::{Actor, AuditQuery, Store, StoreError};
use jiff::civil::date;

fn v(n: i64) -> Version {
    Version::new(n).expect("version")
}

async fn updates_of(s: &Store, entity_type: &str, id: &str) -> usize {
    let (entries, _) = s
        .audit_entries(&AuditQuery { entity_type: Some(entity_type.into()), entity_id: Some(id.into()), limit: 100, ..Default::default() })
        .await
        .expect("audit");
    entries.iter().filter(|e| e.action == "update").count()
}

async fn service(s: &Store) -> String {
    let a = Actor::system("test");
    let p = s.create_provider(&a, None, "Elm Care Ltd", None, None).await.expect("provider");
    s.create_service(
        &a,
        &NewService {
            town: None,
            postcode: None,
            local_authority: None,
            beds: Some(20),
            ..caremarket_testkit::service(p, "Elm House", ServiceKind::CareHomeResidential)
        },
    )
    .await
    .expect("service")
}

fn notes(status: ContractStatus, text: &str) -> CouncilFields {
    CouncilFields {
        contract_status: status,
        framework_id: None,
        lot_id: None,
        contract_start: None,
        contract_end: None,
        council_notes: Some(text.into()),
        kind: None,
    }
}

#[tokio::test]
async fn a_service_saved_from_an_old_version_is_refused_and_nothing_is_written() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let id = service(&s).await;
        assert_eq!(s.service(&id).await.expect("s").version, 1, "a new service starts at version 1");
        let first = Actor::system("Officer One");
        let second = Actor::system("Officer Two");
        // Both opened the form at version 1; the first saves.
        let after =
            s.update_council_fields(&first, &id, &notes(ContractStatus::BlockContract, "Moved to block"), v(1)).await.expect("first");
        assert_eq!(after.version, 2);
        let err = s
            .update_council_fields(&second, &id, &notes(ContractStatus::SpotPurchase, "Spot again"), v(1))
            .await
            .expect_err("the second save is made from version 1");
        assert!(matches!(err, StoreError::Stale { current: 2 }), "{err:?}");
        let now = s.service(&id).await.expect("s");
        assert_eq!(now.council_notes.as_deref(), Some("Moved to block"));
        assert_eq!(now.contract_status, ContractStatus::BlockContract);
        assert_eq!(now.version, 2);
        assert_eq!(updates_of(&s, "service", &id).await, 1, "the refused save wrote no audit row");
        let last = s.last_change("service", &id).await.expect("last").expect("a change");
        assert_eq!(last.by, "Officer One");
        // Made again from the version now, it is saved.
        let again = s.update_council_fields(&second, &id, &notes(ContractStatus::SpotPurchase, "Spot again"), v(2)).await.expect("again");
        assert_eq!((again.version, again.council_notes.as_deref()), (3, Some("Spot again")));
        // A version from the future is as wrong as one from the past.
        let err = s.update_council_fields(&first, &id, &notes(ContractStatus::SpotPurchase, "x"), v(9)).await.expect_err("future");
        assert!(matches!(err, StoreError::Stale { current: 3 }), "{err:?}");
    }
}

#[tokio::test]
async fn provider_notes_standards_and_visits_refuse_a_save_from_an_old_version() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("Officer One");
        let b = Actor::system("Officer Two");

        let p = s.create_provider(&a, None, "Oak Care Ltd", None, None).await.expect("provider");
        s.update_provider_notes(&a, &p, Some("Owner changed in May"), v(1)).await.expect("first");
        let err = s.update_provider_notes(&b, &p, Some("Nothing to note"), v(1)).await.expect_err("stale");
        assert!(matches!(err, StoreError::Stale { current: 2 }), "{err:?}");
        assert_eq!(s.provider(&p).await.expect("p").notes.as_deref(), Some("Owner changed in May"));
        assert_eq!(updates_of(&s, "provider", &p).await, 1);

        let qaf = s.qa_framework_by_code("qaf_care_homes").await.expect("qaf");
        let input = StandardInput {
            domain: "Environment".into(),
            code: "QE01".into(),
            title: "The home is clean and well kept".into(),
            guidance: None,
            provenance: "confirmed".into(),
        };
        let st = s.add_standard(&a, &qaf.id, &input).await.expect("add");
        s.update_standard(&a, &st, &StandardInput { title: "The home is clean".into(), ..input.clone() }, v(1)).await.expect("first");
        let err = s
            .update_standard(&b, &st, &StandardInput { title: "The home is tidy".into(), ..input.clone() }, v(1))
            .await
            .expect_err("stale");
        assert!(matches!(err, StoreError::Stale { current: 2 }), "{err:?}");
        assert_eq!(s.qa_standard(&st).await.expect("st").title, "The home is clean");
        assert_eq!(updates_of(&s, "qa_standard", &st).await, 1);

        let home = service(&s).await;
        let today = date(2025, 6, 1);
        let nv = NewVisit {
            service_id: home.clone(),
            activity: Activity::QualityVisit,
            visit_type: VisitType::Routine,
            announced: true,
            visit_date: date(2025, 5, 10),
            officers: "J Smith".into(),
            people_spoken_to: 4,
            relatives_spoken_to: 2,
            staff_spoken_to: 3,
            framework_id: None,
            outcomes_framework_id: None,
            feedback_given_on_day: true,
        };
        let visit = s.create_visit(&a, &nv, today).await.expect("visit");
        s.update_visit(&a, &visit, &NewVisit { officers: "J Smith, A Khan".into(), ..nv.clone() }, today, v(1)).await.expect("first");
        let err = s.update_visit(&b, &visit, &NewVisit { people_spoken_to: 9, ..nv.clone() }, today, v(1)).await.expect_err("stale");
        assert!(matches!(err, StoreError::Stale { current: 2 }), "{err:?}");
        let now = s.visit(&visit).await.expect("visit");
        assert_eq!((now.officers.as_str(), now.people_spoken_to, now.version), ("J Smith, A Khan", 4, 2));
        assert_eq!(updates_of(&s, "quality_visit", &visit).await, 1);
    }
}
