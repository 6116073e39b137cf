//! Budget against spend (issue 11 item 6): cost centres mapped to markets, budgets as versions,
//! the finance system's spend imported all or nothing (an unknown cost centre refused naming the
//! row and field), re-imports replacing the cost centres and months they cover, and suppliers
//! matched to providers and remembered. Run on every backend available (SQLite always;
//! PostgreSQL with CAREMARKET_TEST_POSTGRES_URL).

use caremarket_core::fees::budgets::{BudgetDraft, CostCentreDraft, SpendCsvRow};
use caremarket_core::register::ServiceKind;
use caremarket_store::fees::budgets::SpendFilter;
use caremarket_store::{Actor, AuditQuery, Store, StoreError};
use jiff::civil::date;

fn row(row: usize, supplier: &str, cc: &str, period: &str, amount: &str) -> SpendCsvRow {
    SpendCsvRow { row, supplier: supplier.into(), cost_centre: cc.into(), period: period.into(), amount: amount.into() }
}

/// "1234.56" as pence, worked here independently of the product's parser.
fn pence(s: &str) -> i64 {
    let neg = s.starts_with('-');
    let t = s.trim_start_matches('-');
    let (w, f) = t.split_once('.').unwrap_or((t, "0"));
    let v = w.parse::<i64>().expect("whole") * 100 + format!("{f:0<2}").parse::<i64>().expect("frac");
    if neg { -v } else { v }
}

async fn centres(s: &Store, a: &Actor) {
    for (code, name, kind) in [("ASC-RES", "Residential", ServiceKind::CareHomeResidential), ("ASC-HC", "Home care", ServiceKind::HomeCare)]
    {
        let new =
            s.save_cost_centre(a, &CostCentreDraft { code: code.into(), name: name.into(), kind: Some(kind) }, None).await.expect("centre");
        assert!(new);
    }
}

async fn audit(s: &Store, entity: &str) -> Vec<caremarket_store::AuditEntry> {
    s.audit_entries(&AuditQuery { entity_type: Some(entity.into()), limit: 50, ..Default::default() }).await.expect("audit").0
}

#[tokio::test]
async fn spend_is_imported_all_or_nothing_and_a_reimport_replaces_its_months() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("test");
        centres(&s, &a).await;
        let good = vec![
            row(2, "Acme Care Ltd", "ASC-RES", "2024-04", "10000.00"),
            row(3, "Acme Care Ltd", "asc-res", "2024-05-31", "10500.50"),
            row(4, "Beta Homecare", "ASC-HC", "2024-05", "2500.25"),
            row(5, "Beta Homecare", "ASC-HC", "2024-05", "-100.00"),
        ];
        // One unknown cost centre among good rows: refused naming its row and field, nothing written.
        let mut bad = good.clone();
        bad.push(row(6, "Gamma Ltd", "ASC-XX", "2024-05", "1.00"));
        let problems = s.import_finance_spend(&a, "bad.csv", &bad).await.expect("ran").expect_err("refused");
        assert_eq!(problems.len(), 1);
        assert_eq!((problems[0].row, problems[0].field.as_str()), (6, "cost_centre"));
        assert!(s.spend_rows(&SpendFilter::default()).await.expect("rows").is_empty(), "nothing half imported");
        assert!(audit(&s, "spend_import").await.is_empty());

        let done = s.import_finance_spend(&a, "ledger.csv", &good).await.expect("ran").expect("imported");
        let want: i64 = good.iter().map(|r| pence(&r.amount)).sum();
        assert_eq!((done.rows, done.total_pence, done.replaced, done.unmatched_suppliers), (4, want, 0, 2));
        let rows = s.spend_rows(&SpendFilter { year: Some(2024), ..Default::default() }).await.expect("rows");
        assert_eq!(rows.iter().map(|r| r.amount_pence).sum::<i64>(), want);
        let hc =
            s.spend_rows(&SpendFilter { year: Some(2024), kind: Some(ServiceKind::HomeCare), ..Default::default() }).await.expect("rows");
        assert_eq!(hc.iter().map(|r| r.amount_pence).sum::<i64>(), pence("2500.25") + pence("-100.00"));
        let may = s.spend_rows(&SpendFilter { period: Some(date(2024, 5, 1)), ..Default::default() }).await.expect("rows");
        assert_eq!(may.len(), 3);
        assert_eq!(rows[0].cost_centre_name, "Residential");

        // The same file again: its cost centres and months are replaced, not counted twice.
        let again = s.import_finance_spend(&a, "ledger.csv", &good).await.expect("ran").expect("imported");
        assert_eq!(again.replaced, 4);
        let rows = s.spend_rows(&SpendFilter::default()).await.expect("rows");
        assert_eq!((rows.len(), rows.iter().map(|r| r.amount_pence).sum::<i64>()), (4, want));
        // A corrected May for home care replaces home care's May only.
        let fix = vec![row(2, "Beta Homecare", "ASC-HC", "2024-05", "2400.25")];
        let f = s.import_finance_spend(&a, "fix.csv", &fix).await.expect("ran").expect("imported");
        assert_eq!(f.replaced, 2);
        let rows = s.spend_rows(&SpendFilter::default()).await.expect("rows");
        assert_eq!(rows.iter().map(|r| r.amount_pence).sum::<i64>(), pence("10000.00") + pence("10500.50") + pence("2400.25"));
        let log = audit(&s, "spend_import").await;
        assert_eq!(log.len(), 3);
        assert!(
            log.iter().any(|e| e.summary.contains("replacing 4 rows imported before")),
            "{:?}",
            log.iter().map(|e| &e.summary).collect::<Vec<_>>()
        );
        assert_eq!(s.budget_years().await.expect("years"), [2024]);
    }
}

#[tokio::test]
async fn a_budget_change_is_a_new_version_with_its_reason_and_audited() {
    let today = date(2025, 12, 4);
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("test");
        let d = |amount: &str, reason: &str| BudgetDraft {
            kind: Some(ServiceKind::CareHomeResidential),
            year: "2024/25".into(),
            amount: amount.into(),
            reason: reason.into(),
        };
        s.set_budget(&a, &d("88,000,000", ""), today).await.expect("set");
        match s.set_budget(&a, &d("90000000", ""), today).await {
            Err(StoreError::InvalidFields(f)) => assert_eq!(f.0[0].field, "reason"),
            other => panic!("a change needs a reason: {other:?}"),
        }
        s.set_budget(&a, &d("£90,000,000.00", "Virement agreed at committee"), today).await.expect("changed");
        let all = s.budgets(Some(2024)).await.expect("budgets");
        assert_eq!(all.iter().map(|b| b.amount_pence).collect::<Vec<_>>(), [8_800_000_000, 9_000_000_000]);
        assert_eq!(all[1].reason.as_deref(), Some("Virement agreed at committee"));
        assert!(s.budgets(Some(2023)).await.expect("none").is_empty());
        let log = audit(&s, "budget").await;
        assert_eq!(log.len(), 2);
        assert!(
            log.iter().any(|e| e.summary == "Changed the care home (residential) budget for 2024/25 from £88,000,000.00 to £90,000,000.00"),
            "{:?}",
            log.iter().map(|e| &e.summary).collect::<Vec<_>>()
        );
    }
}

#[tokio::test]
async fn suppliers_are_matched_to_providers_and_the_match_is_remembered() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("test");
        centres(&s, &a).await;
        let acme = s.create_provider(&a, None, "Acme Care Ltd", None, None).await.expect("provider");
        s.import_finance_spend(&a, "april.csv", &[row(2, "ACME CARE LIMITED", "ASC-RES", "2024-04", "500")])
            .await
            .expect("ran")
            .expect("ok");
        let sup = s.spend_suppliers().await.expect("suppliers");
        assert_eq!((sup.len(), sup[0].name.as_str(), sup[0].provider_id.is_none()), (1, "ACME CARE LIMITED", true));
        assert!(matches!(s.match_supplier(&a, "acme care ltd", Some("no-such-provider")).await, Err(StoreError::Invalid(_))));
        s.match_supplier(&a, "acme care ltd", Some(&acme)).await.expect("matched");
        // A later import spelling it differently finds the same match.
        let later = s
            .import_finance_spend(&a, "may.csv", &[row(2, "Acme Care Ltd.", "ASC-RES", "2024-05", "600")])
            .await
            .expect("ran")
            .expect("ok");
        assert_eq!(later.unmatched_suppliers, 0);
        let rows = s.spend_rows(&SpendFilter::default()).await.expect("rows");
        assert!(rows.iter().all(|r| r.provider_name.as_deref() == Some("Acme Care Ltd")), "{rows:?}");
        let sup = s.spend_suppliers().await.expect("suppliers");
        assert_eq!((sup.len(), sup[0].rows, sup[0].total_pence), (1, 2, 110_000));
        assert!(s.spend_rows(&SpendFilter { unmatched: true, ..Default::default() }).await.expect("rows").is_empty());
        s.match_supplier(&a, "acme care ltd", None).await.expect("cleared");
        assert_eq!(s.spend_rows(&SpendFilter { unmatched: true, ..Default::default() }).await.expect("rows").len(), 2);
        let log = audit(&s, "spend_supplier").await;
        assert_eq!(log.len(), 2);
        assert!(log.iter().any(|e| e.summary == "Matched supplier ACME CARE LIMITED to provider Acme Care Ltd"));
        // Changing a cost centre's market moves its spend, audited with what it was.
        assert!(
            !s.save_cost_centre(
                &a,
                &CostCentreDraft { code: "asc-res".into(), name: "Nursing".into(), kind: Some(ServiceKind::CareHomeNursing) },
                None,
            )
            .await
            .expect("changed")
        );
        let rows = s.spend_rows(&SpendFilter { kind: Some(ServiceKind::CareHomeNursing), ..Default::default() }).await.expect("rows");
        assert_eq!(rows.len(), 2);
        let log = audit(&s, "budget_cost_centre").await;
        assert!(log.iter().any(|e| e.action == "update" && e.before_json.as_deref().is_some_and(|b| b.contains("care_home_residential"))));
    }
}
