//! Cost of care returns (issue 11 item 4): a provider's return for its own service, replaced
//! when sent again (audited with what it said before), refused for another provider's service,
//! and a CSV of many saved all or nothing with every bad row named. Run on every backend
//! available (SQLite always; PostgreSQL with CAREMARKET_TEST_POSTGRES_URL).

use caremarket_core::fees::cost_of_care::{CARE_HOME_LINES, CostLine, CostReturnDraft, HOME_CARE_LINES};
use caremarket_core::register::{ContractStatus, ServiceKind};
use caremarket_store::fees::cost_of_care::{CostReturnFilter, SentBy};
use caremarket_store::register::NewService;
use caremarket_store::{Actor, AuditQuery, Store, StoreError};
use jiff::civil::date;

fn service(provider_id: &str, name: &str, kind: ServiceKind, location: Option<&str>) -> NewService {
    NewService {
        cqc_location_id: location.map(str::to_string),
        town: Some("Testham".into()),
        postcode: None,
        local_authority: None,
        beds: Some(40),
        contract_status: ContractStatus::NotContracted,
        ..caremarket_testkit::service(provider_id, name, kind)
    }
}

struct Setup {
    a: Actor,
    agency: String,
    home: String,
    day_centre: String,
    other_agency: String,
    agency_provider: String,
}

async fn setup(s: &Store) -> Setup {
    let a = Actor::system("test");
    let p = s.create_provider(&a, None, "Acme Care Ltd", None, None).await.expect("provider");
    let q = s.create_provider(&a, None, "Other Care Ltd", None, None).await.expect("provider");
    let agency = s.create_service(&a, &service(&p, "Acme Home Care", ServiceKind::HomeCare, None)).await.expect("service");
    let home = s.create_service(&a, &service(&p, "Acme House", ServiceKind::CareHomeResidential, Some("1-100"))).await.expect("service");
    let day_centre = s.create_service(&a, &service(&p, "Acme Day Centre", ServiceKind::DayServices, None)).await.expect("service");
    let other_agency = s.create_service(&a, &service(&q, "Other Home Care", ServiceKind::HomeCare, None)).await.expect("service");
    Setup { a, agency, home, day_centre, other_agency, agency_provider: p }
}

/// A home care return whose lines are `base` pence, `base + 1`, ... in the lines' order.
fn home_care(base: i64) -> CostReturnDraft {
    CostReturnDraft {
        kind: None,
        year: "2025/26".into(),
        amounts: HOME_CARE_LINES
            .iter()
            .enumerate()
            .map(|(i, l)| (l.as_str().to_string(), format!("{}.{:02}", (base + i as i64) / 100, (base + i as i64) % 100)))
            .collect(),
    }
}

fn field(e: StoreError) -> String {
    match e {
        StoreError::Invalid(f) => f.field,
        StoreError::InvalidFields(fs) => fs.0[0].field.clone(),
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_return_is_saved_line_by_line_and_replaced_when_sent_again() {
    let today = date(2025, 12, 4);
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let x = setup(&s).await;
        let (id, replaced) =
            s.submit_cost_return(&x.a, &x.agency, &home_care(150), SentBy::Provider, Some(&x.agency_provider), today).await.expect("sent");
        assert!(!replaced);
        let r = s.cost_return(&id).await.expect("return");
        assert_eq!(
            (r.year, r.kind, r.service_name.as_str(), r.provider_name.as_str()),
            (2025, ServiceKind::HomeCare, "Acme Home Care", "Acme Care Ltd")
        );
        // Twelve lines of 150p, 151p, ... 161p.
        let want: i64 = (0..12).map(|i| 150 + i).sum();
        assert_eq!(r.total_pence, want);
        assert_eq!(r.lines.len(), 12);
        assert_eq!(r.amount(CostLine::Mileage), Some(152));

        // Sent again: the same return, new figures; the audit keeps the old ones.
        let (again, replaced) =
            s.submit_cost_return(&x.a, &x.agency, &home_care(200), SentBy::Provider, Some(&x.agency_provider), today).await.expect("again");
        assert_eq!((again.as_str(), replaced), (id.as_str(), true));
        let all = s.cost_returns(&CostReturnFilter { year: Some(2025), ..Default::default() }).await.expect("list");
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].total_pence, (0..12).map(|i| 200 + i).sum::<i64>());
        let (audit, _) = s
            .audit_entries(&AuditQuery { entity_type: Some("cost_of_care_return".into()), limit: 10, ..Default::default() })
            .await
            .expect("audit");
        assert_eq!(audit.len(), 2);
        assert_eq!(audit[0].action, "update");
        assert!(audit[0].summary.starts_with("Replaced the cost of care return for Acme Home Care, 2025/26"), "{}", audit[0].summary);
        assert!(
            audit[0].before_json.as_deref().is_some_and(|b| b.contains(&format!("\"total_pence\":{want}"))),
            "{:?}",
            audit[0].before_json
        );

        // Another provider's service, a kind with no returns, a bad line: refused, nothing written.
        let e = s
            .submit_cost_return(&x.a, &x.other_agency, &home_care(100), SentBy::Provider, Some(&x.agency_provider), today)
            .await
            .expect_err("not theirs");
        assert_eq!(field(e), "service_id");
        let e = s.submit_cost_return(&x.a, &x.day_centre, &home_care(100), SentBy::Council, None, today).await.expect_err("kind");
        assert_eq!(field(e), "kind");
        let mut bad = home_care(100);
        bad.amounts[3].1 = "-1".into();
        let e = s.submit_cost_return(&x.a, &x.other_agency, &bad, SentBy::Council, None, today).await.expect_err("negative");
        assert_eq!(field(e), "employer_national_insurance");
        assert_eq!(s.cost_returns(&CostReturnFilter::default()).await.expect("list").len(), 1);
        assert_eq!(s.cost_return_years().await.expect("years"), [2025]);
    }
}

fn csv_row(row: usize, service: &str, year: &str, line: &str, amount: &str) -> caremarket_core::fees::cost_of_care::CsvRow {
    caremarket_core::fees::cost_of_care::CsvRow {
        row,
        service: Ok(caremarket_core::quality::returns::ServiceKey::ServiceId(service.into())),
        year: year.into(),
        line: line.into(),
        amount: amount.into(),
    }
}

#[tokio::test]
async fn a_csv_of_returns_is_all_or_nothing() {
    let today = date(2025, 12, 4);
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let x = setup(&s).await;
        let mut rows = Vec::new();
        for (i, l) in CARE_HOME_LINES.iter().enumerate() {
            rows.push(csv_row(rows.len() + 2, &x.home, "2025/26", l.as_str(), &format!("{}", 100 * (i + 1))));
        }
        for l in HOME_CARE_LINES {
            rows.push(csv_row(rows.len() + 2, &x.other_agency, "2025", l.as_str(), "2"));
        }
        // One bad row among the good: an unknown service. Nothing is written.
        let mut with_bad = rows.clone();
        with_bad.push(csv_row(with_bad.len() + 2, "no-such-service", "2025/26", "care_staff", "1"));
        let bad_row = with_bad.len() + 1;
        let problems = s.import_cost_returns(&x.a, &with_bad, today).await.expect("ran").expect_err("refused");
        assert_eq!(problems.len(), 1);
        assert_eq!((problems[0].row, problems[0].field.as_str()), (bad_row, "service_id"));
        assert!(problems[0].message.contains("'no-such-service' is not a service in the register"));
        assert!(s.cost_returns(&CostReturnFilter::default()).await.expect("list").is_empty());

        let n = s.import_cost_returns(&x.a, &rows, today).await.expect("ran").expect("saved");
        assert_eq!(n, 2);
        let homes =
            s.cost_returns(&CostReturnFilter { kind: Some(ServiceKind::CareHomeResidential), ..Default::default() }).await.expect("list");
        assert_eq!(homes.len(), 1);
        // £100 + £200 + ... + £600 a week.
        assert_eq!(homes[0].total_pence, (1..=6).map(|i| i * 10_000).sum::<i64>());
        assert_eq!(homes[0].sent_by, SentBy::Council);
        let agencies =
            s.cost_returns(&CostReturnFilter { provider_id: Some(x.agency_provider.clone()), ..Default::default() }).await.expect("list");
        assert_eq!(agencies.len(), 1, "only Acme's own");
    }
}
