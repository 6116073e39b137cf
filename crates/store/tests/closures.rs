//! Closed services and why they closed, and direct payments' equality monitoring, on both
//! backends: a reason only for a service that has left the register, every change audited,
//! special category values kept out of the audit log, and codes off the council's lists refused.

use caremarket_core::Date;
use caremarket_core::direct_payments::equality::Equality;
use caremarket_core::direct_payments::{BudgetPeriod, DpDraft, Holding};
use caremarket_core::register::{Closure, ClosureReason, ContractStatus, ServiceKind};
use caremarket_core::versions::Version;
use caremarket_store::direct_payments::NewDirectPayment;
use caremarket_store::register::NewService;
use caremarket_store::{Actor, AuditQuery, Store, StoreError};

fn d(y: i16, m: i8, dd: i8) -> Date {
    Date::new(y, m, dd).expect("a real date")
}

async fn home(s: &Store, name: &str, registered: Date) -> String {
    let a = Actor::system("test");
    let p = s.create_provider(&a, None, &format!("{name} Ltd"), None, None).await.expect("provider");
    s.create_service(
        &a,
        &NewService {
            town: None,
            postcode: None,
            local_authority: None,
            registration_date: Some(registered),
            beds: Some(20),
            ..caremarket_testkit::service(p, name, ServiceKind::CareHomeResidential)
        },
    )
    .await
    .expect("home")
}

#[tokio::test]
async fn a_reason_is_recorded_only_for_a_closed_service_and_counted_as_at_a_date() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("officer");
        let open = home(&s, "Open House", d(2010, 1, 1)).await;
        let shut = home(&s, "Shut House", d(2010, 1, 1)).await;
        let later = home(&s, "Later House", d(2010, 1, 1)).await;
        let financial = Closure { reason: ClosureReason::Financial, note: None };

        // Still registered: refused, nothing written.
        let e = s.record_closure(&a, &open, &financial).await.unwrap_err();
        assert!(matches!(e, StoreError::Invalid(ref f) if f.field == "reason"), "{e:?}");
        assert!(s.service_closure(&open).await.unwrap().is_none());

        // Closing: not in the future, not before it registered, not twice.
        let e = s.mark_service_closed(&a, &shut, d(2009, 6, 1)).await.unwrap_err();
        assert!(matches!(e, StoreError::Invalid(ref f) if f.field == "closed_on"), "{e:?}");
        s.mark_service_closed(&a, &shut, d(2019, 6, 1)).await.unwrap();
        assert!(s.mark_service_closed(&a, &shut, d(2019, 6, 2)).await.is_err());
        s.mark_service_closed(&a, &later, d(2024, 3, 1)).await.unwrap();

        // Recorded, then changed: one row, two audit entries.
        s.record_closure(&a, &shut, &financial).await.unwrap();
        let practice = Closure { reason: ClosureReason::Practice, note: Some("CQC cancelled the registration".into()) };
        let got = s.record_closure(&a, &shut, &practice).await.unwrap();
        assert_eq!((got.reason, got.note.as_deref()), (ClosureReason::Practice, Some("CQC cancelled the registration")));
        let (audit, _) =
            s.audit_entries(&AuditQuery { entity_type: Some("service_closure".into()), limit: 10, ..Default::default() }).await.unwrap();
        assert_eq!(audit.len(), 2);

        // The report's facts: the reason, and the date it left.
        let facts = s.service_facts_as_at(d(2024, 12, 31)).await.unwrap();
        let fact = |id: &str| facts.iter().find(|f| f.id == id).expect("fact").clone();
        assert_eq!((fact(&shut).deregistered_on, fact(&shut).closure_reason), (Some(d(2019, 6, 1)), Some(ClosureReason::Practice)));
        assert_eq!((fact(&later).deregistered_on, fact(&later).closure_reason), (Some(d(2024, 3, 1)), None));
        assert!(fact(&open).deregistered_on.is_none());
        assert!(!fact(&shut).registered_on(d(2024, 12, 31)));
        assert!(fact(&later).registered_on(d(2024, 2, 29)));
    }
}

#[tokio::test]
async fn equality_monitoring_keeps_list_codes_and_leaves_values_out_of_the_audit_log() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("dp officer");
        let new = |r: &str, equality: Equality| NewDirectPayment {
            draft: DpDraft {
                person_ref: r.into(),
                service_area: "older_people".into(),
                is_child: false,
                budget_pence: 20_000,
                budget_period: BudgetPeriod::Weekly,
                holding: Holding::OwnAccount,
                mm_provider_id: None,
                start_date: d(2024, 4, 1),
            },
            officer_id: None,
            equality,
        };
        let id = s
            .create_direct_payment(&a, &new("EQ001", Equality { ethnicity: Some("asian".into()), religion: Some("muslim".into()) }))
            .await
            .unwrap();
        let dp = s.direct_payment(&id).await.unwrap();
        assert_eq!((dp.equality.ethnicity.as_deref(), dp.equality.religion.as_deref()), (Some("asian"), Some("muslim")));

        // A code that is not on the council's list: refused, nothing written.
        let e =
            s.create_direct_payment(&a, &new("EQ002", Equality { ethnicity: Some("martian".into()), religion: None })).await.unwrap_err();
        assert!(matches!(e, StoreError::InvalidFields(ref f) if f.0[0].field == "ethnicity"), "{e:?}");
        assert_eq!(s.dp_facts().await.unwrap().len(), 1);

        // Corrected to "not recorded" for religion.
        s.set_dp_equality(&a, &id, &Equality { ethnicity: Some("asian".into()), religion: None }, Version::FIRST).await.unwrap();
        let facts = s.dp_facts().await.unwrap();
        assert_eq!((facts[0].ethnicity.as_deref(), facts[0].religion.as_deref()), (Some("asian"), None));

        // The audit log says that something was recorded, never what.
        let (audit, _) =
            s.audit_entries(&AuditQuery { entity_type: Some("direct_payment".into()), limit: 10, ..Default::default() }).await.unwrap();
        assert_eq!(audit.len(), 2);
        for e in &audit {
            let text = format!("{:?} {:?} {}", e.before_json, e.after_json, e.summary);
            assert!(!text.contains("asian") && !text.contains("muslim"), "{text}");
        }
    }
}

#[tokio::test]
async fn a_services_contract_status_is_read_as_at_a_date_from_its_recorded_changes() {
    use caremarket_store::register::CouncilFields;
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("commissioner");
        let id = home(&s, "Contract House", d(2010, 1, 1)).await; // spot purchase when made
        let never = home(&s, "Unchanged House", d(2010, 1, 1)).await;
        let fields = |status: ContractStatus, notes: &str| CouncilFields {
            contract_status: status,
            framework_id: None,
            lot_id: None,
            contract_start: None,
            contract_end: None,
            council_notes: Some(notes.into()),
            kind: None,
        };
        // An edit of the notes only is not a change of contract.
        s.update_council_fields(&a, &id, &fields(ContractStatus::SpotPurchase, "first note"), caremarket_core::versions::Version::FIRST)
            .await
            .unwrap();
        s.update_council_fields(
            &a,
            &id,
            &fields(ContractStatus::DirectAward, "moved to a direct award"),
            caremarket_core::versions::Version::new(2).unwrap(),
        )
        .await
        .unwrap();

        let changes = s.contract_changes().await.unwrap();
        let today = caremarket_store::today();
        let c = changes.get(&id).expect("one change recorded");
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].on, c[0].before, c[0].after), (today, ContractStatus::SpotPurchase, ContractStatus::DirectAward));
        assert!(!changes.contains_key(&never));

        let status_on =
            |facts: &[caremarket_store::reports::ServiceFact], id: &str| facts.iter().find(|f| f.id == id).expect("fact").contract_status;
        let yesterday = today.yesterday().unwrap();
        let before = s.service_facts_as_at(yesterday).await.unwrap();
        assert_eq!(status_on(&before, &id), ContractStatus::SpotPurchase, "yesterday it was still a spot purchase");
        let now = s.service_facts_as_at(today).await.unwrap();
        assert_eq!(status_on(&now, &id), ContractStatus::DirectAward);
        assert_eq!(status_on(&before, &never), ContractStatus::SpotPurchase);
    }
}
