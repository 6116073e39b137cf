//! Home care reconciliation kept in the database (issue 11 item 7): an import of hand-made files
//! gives the figures the rules give, each drilling down to exactly the visits and rows it counts;
//! a provider's query of a visit, decided by an officer, changes the visit's pay (audited); the
//! payment schedule pays each visit on its contract's basis; a provider id the register does not
//! hold refuses the whole import, naming the file and row. Run on every backend available
//! (SQLite always; PostgreSQL with CAREMARKET_TEST_POSTGRES_URL).

use caremarket_core::ecm::{Fault, Options};
use caremarket_core::fees::PaymentBasis;
use caremarket_core::register::ServiceKind;
use caremarket_ingest::ecm::read_detail;
use caremarket_store::ecm::VisitShow;
use caremarket_store::{Actor, AuditQuery, Store, StoreError};
use jiff::civil::date;

const PLANNED: &str = "visit_id,person_ref,provider_id,planned_start,planned_minutes,carers,rate_pence_per_hour
1,C1,1-111,2025-04-07T08:00:00,30,1,2000
2,C1,1-111,2025-04-07T12:00:00,60,2,2000
3,C2,1-111,2025-04-08T09:00:00,45,1,2000
4,C2,1-111,2025-04-08T17:00:00,30,1,2000
5,C3,1-222,2025-04-09T10:00:00,30,1,2200
";

const ACTUAL: &str = "visit_id,provider_id,person_ref,actual_start,actual_end,care_worker_ref
1,1-111,C1,2025-04-07T08:05:00,2025-04-07T08:35:00,W1
2,1-111,C1,2025-04-07T12:40:00,2025-04-07T13:20:00,W2
4,1-111,C2,2025-04-08T16:20:00,2025-04-08T16:55:00,W1
4,1-111,C2,2025-04-08T16:20:00,2025-04-08T16:55:00,W1
5,1-222,C3,2025-04-09T10:00:00,2025-04-09T10:30:00,W9
5,1-222,C3,2025-04-09T11:00:00,2025-04-09T11:10:00,W9
,1-111,C4,2025-04-09T09:00:00,2025-04-09T09:20:00,
99,1-222,C5,2025-04-10T09:00:00,2025-04-10T09:30:00,
6,1-111,C1,2025-04-10T09:00:00,2025-04-10T08:30:00,
";

/// The rules' pence for minutes of carers at a rate: (rate × minutes × carers + 30) div 60.
fn pay(rate: i64, minutes: i64, carers: i64) -> i64 {
    (rate * minutes * carers + 30) / 60
}

async fn import(s: &Store, a: &Actor, planned: &str, actual: &str) -> Result<String, StoreError> {
    let options = Options::default();
    let id = s.start_ecm_import(a, "planned.csv", "actual.csv", &options).await?;
    let detail = read_detail(planned.as_bytes(), "planned.csv", actual.as_bytes(), "actual.csv", &|_| {})
        .map_err(|e| StoreError::invalid("file", e.to_string()))?;
    match s.finish_ecm_import(a, &id, detail, &options).await {
        Ok(_) => Ok(id),
        Err(e) => {
            s.fail_ecm_import(&id, &e.to_string()).await?;
            Err(e)
        }
    }
}

#[tokio::test]
async fn an_import_keeps_the_rules_figures_and_every_figure_drills_down_to_its_visits() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("test");
        let pa = s.create_provider(&a, Some("1-111"), "Acme Home Care Ltd", None, None).await.expect("provider");
        let pb = s.create_provider(&a, Some("1-222"), "Beta Care Ltd", None, None).await.expect("provider");
        let id = import(&s, &a, PLANNED, ACTUAL).await.expect("import");
        let imp = s.ecm_import(&id).await.expect("import record");
        assert_eq!((imp.status.as_str(), imp.progress_percent, imp.planned_visits, imp.actual_rows), ("completed", 100, 5, 9));

        let figures = s.ecm_figures(&id, None).await.expect("figures");
        assert_eq!(figures.len(), 2, "one line per provider and period");
        let f = figures.iter().find(|f| f.provider_id == pa).expect("Acme");
        assert_eq!(
            (f.provider_name.as_str(), f.file_provider.as_str(), f.period_start.as_str()),
            ("Acme Home Care Ltd", "1-111", "2025-04-07")
        );
        // Visits 1, 2 (two carers), 3 and 4 are Acme's; 3 has no row (missed).
        assert_eq!((f.planned_visits, f.planned_carer_minutes), (4, 30 + 60 * 2 + 45 + 30));
        // Delivered: 1 (30 of 30), 2 (40 of 60, two carers), 4 (35, capped at its 30 planned).
        assert_eq!((f.delivered_visits, f.delivered_carer_minutes, f.missed_visits), (3, 30 + 40 * 2 + 30, 1));
        // 2 is 40 minutes late and 20 short; 4 started 40 minutes early.
        assert_eq!((f.short_visits, f.late_visits, f.early_visits), (1, 1, 1));
        assert_eq!((f.unplanned_extras, f.unplanned_minutes), (1, 20));
        let invoiced = pay(2000, 30, 1) + pay(2000, 60, 2) + pay(2000, 45, 1) + pay(2000, 30, 1);
        let payable = pay(2000, 30, 1) + pay(2000, 40, 2) + pay(2000, 30, 1);
        assert_eq!((f.invoiced_pence, f.payable_pence, f.variance_pence()), (invoiced, payable, invoiced - payable));
        assert_eq!((f.bad_end_before_start, f.duplicate_rows, f.repeat_visit_rows, f.unknown_visit_rows), (1, 1, 0, 0));
        let g = figures.iter().find(|f| f.provider_id == pb).expect("Beta");
        assert_eq!((g.planned_visits, g.delivered_visits, g.invoiced_pence, g.payable_pence), (1, 1, pay(2200, 30, 1), pay(2200, 30, 1)));
        assert_eq!((g.repeat_visit_rows, g.unknown_visit_rows), (1, 1));

        // Each figure drills down to exactly its visits.
        let ids = |v: Vec<caremarket_store::ecm::EcmVisitRecord>| v.into_iter().map(|v| v.visit_id).collect::<Vec<_>>();
        for (show, expected) in [
            (VisitShow::All, vec![1, 2, 3, 4]),
            (VisitShow::Delivered, vec![1, 2, 4]),
            (VisitShow::Missed, vec![3]),
            (VisitShow::Short, vec![2]),
            (VisitShow::Late, vec![2]),
            (VisitShow::Early, vec![4]),
        ] {
            let (page, total) = s.ecm_visits(&id, Some(&pa), Some("2025-04-07"), show, 50, 0).await.expect("visits");
            assert_eq!((ids(page), total), (expected.clone(), expected.len() as i64), "{show:?}");
        }
        let v2 = s.ecm_visit(&id, 2).await.expect("visit 2");
        assert_eq!((v2.person_ref.as_str(), v2.actual_minutes, v2.paid_minutes, v2.care_worker_ref.as_deref()), ("C1", 40, 40, Some("W2")));
        let faults = s.ecm_faults(&id, Some(&pa), Some("2025-04-07"), None).await.expect("faults");
        let kinds: Vec<&str> = faults.iter().map(|f| f.kind.as_str()).collect();
        assert_eq!(kinds.len(), 3, "{kinds:?}");
        for k in [Fault::Duplicate, Fault::Unplanned, Fault::EndBeforeStart] {
            assert!(kinds.contains(&k.as_str()), "{k:?} in {kinds:?}");
        }
        let unknown = s.ecm_faults(&id, Some(&pb), None, Some(Fault::Unknown)).await.expect("faults");
        assert_eq!(unknown.iter().map(|f| (f.visit_id, f.person_ref.as_str())).collect::<Vec<_>>(), [(Some(99), "C5")]);

        // The audit says what was imported.
        let (audit, _) =
            s.audit_entries(&AuditQuery { entity_type: Some("ecm_import".into()), limit: 50, ..Default::default() }).await.expect("audit");
        assert!(audit.iter().any(|e| e.summary.contains("5 planned visits and 9 call monitoring rows")), "{audit:?}");
    }
}

#[tokio::test]
async fn a_query_accepted_changes_the_visits_pay_and_the_schedule_pays_each_contracts_basis() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("test");
        let pa = s.create_provider(&a, Some("1-111"), "Acme Home Care Ltd", None, None).await.expect("provider");
        let pb = s.create_provider(&a, Some("1-222"), "Beta Care Ltd", None, None).await.expect("provider");
        let id = import(&s, &a, PLANNED, ACTUAL).await.expect("import");
        let provider = Actor { user_id: None, label: "Acme portal user".into() };

        // Another provider's visit, a blank reason, and an unknown visit are refused.
        let e = s.raise_ecm_query(&provider, &pb, &id, 3, "We were there", None).await.unwrap_err();
        assert!(e.to_string().contains("Choose a visit of your own"), "{e}");
        let e = s.raise_ecm_query(&provider, &pa, &id, 3, "  ", None).await.unwrap_err();
        assert!(e.to_string().contains("Enter why"), "{e}");
        let q = s.raise_ecm_query(&provider, &pa, &id, 3, "The carer's phone had no signal", Some(45)).await.expect("query");
        let e = s.raise_ecm_query(&provider, &pa, &id, 3, "Again", None).await.unwrap_err();
        assert!(e.to_string().contains("already has an open query"), "{e}");
        assert_eq!(s.ecm_queries(Some(&pa), Some("open")).await.expect("queries").len(), 1);
        assert!(s.ecm_queries(Some(&pb), None).await.expect("queries").is_empty());

        let officer = Actor::system("Officer");
        let e = s.decide_ecm_query(&officer, &q, true, None, "Confirmed with the family").await.unwrap_err();
        assert!(e.to_string().contains("minutes to pay"), "{e}");
        let decided = s.decide_ecm_query(&officer, &q, true, Some(45), "Confirmed with the family").await.expect("accepted");
        assert_eq!((decided.status.as_str(), decided.payable_before, decided.payable_after), ("accepted", Some(0), Some(pay(2000, 45, 1))));
        let e = s.decide_ecm_query(&officer, &q, false, None, "No").await.unwrap_err();
        assert!(e.to_string().contains("decided already"), "{e}");
        let v3 = s.ecm_visit(&id, 3).await.expect("visit 3");
        assert_eq!((v3.paid_minutes, v3.payable_pence), (45, pay(2000, 45, 1)));
        let f = s.ecm_figures(&id, Some(&pa)).await.expect("figures");
        assert_eq!(f[0].query_adjustment_pence, pay(2000, 45, 1), "the figure says what the query changed");
        let (audit, _) =
            s.audit_entries(&AuditQuery { entity_type: Some("ecm_query".into()), limit: 50, ..Default::default() }).await.expect("audit");
        assert_eq!(audit.len(), 2, "raised and decided");

        // Acme's contract pays delivered time capped at planned with at least 30 minutes a call
        // (Leicester, 004); Beta has no basis recorded, so the rules' own (capped) applies.
        let basis = PaymentBasis::parse("delivered_capped", "30", "full_rate", "").expect("basis");
        s.set_payment_basis(&a, &pa, ServiceKind::HomeCare, &basis, date(2025, 4, 1)).await.expect("basis");
        let schedule = s.ecm_payment_schedule(&id, None).await.expect("schedule");
        let acme = schedule.iter().find(|l| l.provider_id == pa).expect("Acme line");
        // 1: 30 of 30; 2: 40 of 60 × 2 carers; 3: accepted at 45; 4: 35 capped at 30.
        assert_eq!(acme.amount_pence, pay(2000, 30, 1) + pay(2000, 40, 2) + pay(2000, 45, 1) + pay(2000, 30, 1));
        assert_eq!((acme.visits_paid, acme.carer_minutes_paid, acme.basis_recorded), (4, 30 + 80 + 45 + 30, true));
        assert_eq!((acme.period_start.as_str(), acme.period_end.as_str()), ("2025-04-07", "2025-05-04"));
        let beta = schedule.iter().find(|l| l.provider_id == pb).expect("Beta line");
        assert_eq!((beta.amount_pence, beta.basis_recorded), (pay(2200, 30, 1), false));
    }
}

#[tokio::test]
async fn a_provider_the_register_does_not_hold_refuses_the_whole_import() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("test");
        s.create_provider(&a, Some("1-111"), "Acme Home Care Ltd", None, None).await.expect("provider");
        s.create_provider(&a, Some("1-222"), "Beta Care Ltd", None, None).await.expect("provider");
        let planned = format!("{PLANNED}7,C9,1-999,2025-04-09T10:00:00,30,1,2200\n");
        let e = import(&s, &a, &planned, ACTUAL).await.unwrap_err();
        assert!(e.to_string().contains("'planned.csv' row 7: '1-999' is not a provider in the register"), "{e}");
        let imports = s.ecm_imports().await.expect("imports");
        assert_eq!(imports.len(), 1);
        assert_eq!(imports[0].status, "failed");
        assert!(imports[0].error.as_deref().unwrap_or("").contains("1-999"));
        assert!(s.ecm_figures(&imports[0].id, None).await.expect("figures").is_empty(), "nothing half written");
        let (visits, total) = s.ecm_visits(&imports[0].id, None, None, VisitShow::All, 10, 0).await.expect("visits");
        assert!(visits.is_empty() && total == 0);
        // A care worker written as a name is refused before anything is read into the database.
        let named = ACTUAL.replace(",W2\n", ",Jane Smith\n");
        let e = read_detail(PLANNED.as_bytes(), "planned.csv", named.as_bytes(), "actual.csv", &|_| {}).unwrap_err();
        assert!(e.to_string().starts_with("'actual.csv' row 3, care_worker_ref: 'Jane Smith' is not a care worker code"), "{e}");
    }
}

/// The planned file's optional `extra_care` column (issue 13 item 3): visits at an Extra Care
/// scheme are kept as such, and the Ethical Care Charter's "no 15-minute visits" counts them
/// apart; a value other than yes or no refuses the file, naming the row and column.
#[tokio::test]
async fn extra_care_visits_are_kept_apart_for_the_charter() {
    let planned = "visit_id,person_ref,provider_id,planned_start,planned_minutes,carers,rate_pence_per_hour,extra_care
1,C1,1-111,2025-04-07T08:00:00,15,1,2000,yes
2,C1,1-111,2025-04-07T12:00:00,15,2,2000,
3,C2,1-111,2025-04-08T09:00:00,45,1,2000,no
4,C2,1-111,2025-04-08T17:00:00,10,1,2000,NO
5,C3,1-111,2025-04-09T10:00:00,15,1,2000,Yes
";
    let actual = "visit_id,provider_id,person_ref,actual_start,actual_end\n3,1-111,C2,2025-04-08T09:00:00,2025-04-08T09:45:00\n";
    // Worked out from the rows: visits 1 and 5 are at Extra Care; of the other three, visit 4 is
    // 15 minutes or less with one carer, visit 2 is short with two carers.
    let (extra, planned_elsewhere, short_single, short_double) = (2, 3, 1, 1);
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("test");
        let pa = s.create_provider(&a, Some("1-111"), "Acme Home Care Ltd", None, None).await.expect("provider");
        import(&s, &a, planned, actual).await.expect("import");
        let f = s.workforce_visit_facts(&pa).await.expect("facts").expect("some");
        assert_eq!((f.planned, f.short_single, f.short_double, f.extra_care), (planned_elsewhere, short_single, short_double, extra));
    }
    let bad = "visit_id,person_ref,provider_id,planned_start,planned_minutes,carers,rate_pence_per_hour,extra_care\n1,C1,1-111,2025-04-07T08:00:00,15,1,2000,sometimes\n";
    let e = read_detail(bad.as_bytes(), "planned.csv", actual.as_bytes(), "actual.csv", &|_| {}).unwrap_err().to_string();
    assert!(e.contains("row 2") && e.contains("extra_care") && e.contains("'sometimes' must be yes or no"), "{e}");
}

/// The charter's "same care workers" check (issue 13 item 3) reads the latest import's delivered
/// visits that name a care worker: per person, visits by their three most frequent workers.
#[tokio::test]
async fn continuity_for_the_charter_comes_from_the_latest_import() {
    // C1: ten planned, eight delivered: W1 three times, W2 and W3 twice, W4 once (not usual);
    // one missed, one delivered without a worker (not counted). C2: two, both W9.
    let mut planned = String::from("visit_id,person_ref,provider_id,planned_start,planned_minutes,carers,rate_pence_per_hour\n");
    let mut actual = String::from("visit_id,provider_id,person_ref,actual_start,actual_end,care_worker_ref\n");
    let c1 = ["W1", "W1", "W1", "W2", "W2", "W3", "W3", "W4", "", "-"];
    for (i, w) in c1.iter().enumerate() {
        let (id, day) = (i + 1, 7 + i);
        planned.push_str(&format!("{id},C1,1-111,2025-04-{day:02}T08:00:00,30,1,2000\n"));
        if *w != "-" {
            actual.push_str(&format!("{id},1-111,C1,2025-04-{day:02}T08:00:00,2025-04-{day:02}T08:30:00,{w}\n"));
        }
    }
    for (id, day) in [(11, 7), (12, 8)] {
        planned.push_str(&format!("{id},C2,1-111,2025-04-{day:02}T18:00:00,30,1,2000\n"));
        actual.push_str(&format!("{id},1-111,C2,2025-04-{day:02}T18:00:00,2025-04-{day:02}T18:30:00,W9\n"));
    }
    // Worked out from the rows: 8 + 2 visits name a worker; 7 + 2 by usual workers.
    let (visits, by_usual) = (8 + 2, 7 + 2);
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("test");
        let pa = s.create_provider(&a, Some("1-111"), "Acme Home Care Ltd", None, None).await.expect("provider");
        assert!(s.workforce_continuity(&pa).await.expect("none").is_none(), "no import, no figure");
        import(&s, &a, &planned, &actual).await.expect("import");
        let c = s.workforce_continuity(&pa).await.expect("continuity").expect("some");
        assert_eq!((c.persons, c.visits, c.by_usual), (2, visits, by_usual));
        // Each person's share, averaged: C1 7 of 8, C2 2 of 2.
        assert_eq!(c.mean_share_bp, Some(((7.0 / 8.0 + 1.0) / 2.0 * 10_000.0_f64).round() as i64));
    }
}
