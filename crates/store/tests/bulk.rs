//! The bulk path for generated data (issue 18 item 5) on both backends: the ordinary checks,
//! refused whole on one bad row, the rows the ordinary function writes, and one audit entry per
//! batch that says what was generated.

use caremarket_core::capacity::vacancies::{BedType, VacancyLine};
use caremarket_core::register::{ContractStatus, ServiceKind};
use caremarket_store::capacity::NewVacancyReturn;
use caremarket_store::register::NewService;
use caremarket_store::{Actor, AuditQuery, StoreError};
use jiff::civil::{Date, date};

const TODAY: Date = date(2024, 11, 8);

fn svc(provider_id: &str, name: &str, kind: ServiceKind, beds: Option<i64>) -> NewService {
    NewService {
        provider_id: provider_id.into(),
        cqc_location_id: None,
        name: name.into(),
        kind,
        address_line: None,
        town: None,
        postcode: None,
        local_authority: Some("Testshire".into()),
        region: None,
        in_area: true,
        phone: None,
        website: None,
        registration_status: "registered".into(),
        registration_date: None,
        beds,
        service_types: vec![],
        specialisms: vec![],
        contract_status: ContractStatus::SpotPurchase,
        framework_id: None,
        lot_id: None,
        contract_start: None,
        contract_end: None,
        council_notes: None,
    }
}

fn ret(service_id: &str, day: i8, occupied: i64, vacant: i64) -> NewVacancyReturn {
    NewVacancyReturn {
        service_id: service_id.into(),
        return_date: date(2024, 11, day),
        lines: vec![VacancyLine { bed_type: BedType::GeneralResidential, occupied, vacant }],
        source: "portal",
    }
}

#[tokio::test]
async fn bulk_vacancy_returns_are_checked_written_and_audited_once() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("demo");
        let p = s.create_provider(&a, None, "Homes Ltd", None, None).await.expect("provider");
        let home = s.create_service(&a, &svc(&p, "Elm House", ServiceKind::CareHomeResidential, Some(30))).await.expect("home");
        let other = s.create_service(&a, &svc(&p, "Ash House", ServiceKind::CareHomeResidential, Some(20))).await.expect("home");
        let hc = s.create_service(&a, &svc(&p, "Elm Home Care", ServiceKind::HomeCare, None)).await.expect("home care");

        // One bad row refuses the whole batch, with the ordinary function's message.
        let err = s.bulk_vacancy_returns(&a, &[ret(&home, 4, 20, 10), ret(&hc, 4, 1, 1)], TODAY).await.expect_err("home care");
        assert!(matches!(&err, StoreError::Invalid(e) if e.message.contains("Elm Home Care is not a care home")), "{err}");
        let err = s.bulk_vacancy_returns(&a, &[ret(&home, 4, 25, 10)], TODAY).await.expect_err("beds");
        assert!(matches!(&err, StoreError::Invalid(e) if e.message.contains("more than the 30")), "{err}");
        let err = s.bulk_vacancy_returns(&a, &[ret(&home, 4, 20, 10), ret(&home, 4, 19, 11)], TODAY).await.expect_err("twice");
        assert!(matches!(&err, StoreError::Invalid(e) if e.message.contains("already has a return for 2024-11-04")), "{err}");
        assert!(s.vacancy_returns_for_service(&home).await.expect("returns").is_empty());

        let batch = [ret(&home, 4, 20, 10), ret(&home, 6, 21, 9), ret(&other, 5, 15, 5)];
        assert_eq!(s.bulk_vacancy_returns(&a, &batch, TODAY).await.expect("bulk"), 3);
        let elm = s.vacancy_returns_for_service(&home).await.expect("returns");
        let got: Vec<(String, i64, i64, String)> =
            elm.iter().map(|r| (r.return_date.clone(), r.lines[0].occupied, r.lines[0].vacant, r.source.clone())).collect();
        assert_eq!(got, vec![("2024-11-06".into(), 21, 9, "portal".into()), ("2024-11-04".into(), 20, 10, "portal".into())]);

        // One entry for the batch, saying what was generated.
        let q = AuditQuery { entity_type: Some("vacancy_return".into()), limit: 10, ..Default::default() };
        let (entries, total) = s.audit_entries(&q).await.expect("audit");
        assert_eq!(total, 1);
        let expected = format!("{} vacancy returns generated for {} care homes, 2024-11-04 to 2024-11-06 (bulk load)", batch.len(), 2);
        assert_eq!(entries[0].summary, expected);

        // A return already there is not replaced by a bulk load.
        let err = s.bulk_vacancy_returns(&a, &[ret(&other, 5, 10, 10)], TODAY).await.expect_err("exists");
        assert!(matches!(&err, StoreError::Invalid(e) if e.message.contains("Ash House already has a return")), "{err}");
    }
}
