//! Workforce returns (issue 13 item 1-3): a quarter's return saved and replaced when sent again
//! (audited with what it said before), a service of another provider refused, a CSV saved all
//! or nothing with each bad row and field named, the real Living Wage rates as data, the
//! charter's positions kept with their history, and the early-warning score's staffing factor
//! fed from a workforce return newer than the latest monthly return, with the kept figures'
//! version bumped. Run on every backend available (SQLite always; PostgreSQL with
//! CAREMARKET_TEST_POSTGRES_URL).

use caremarket_core::quality::returns::NewMonthlyReturn;
use caremarket_core::register::ServiceKind;
use caremarket_core::workforce::{Draft, Position, Quarter, check_return};
use caremarket_store::fees::cost_of_care::SentBy;
use caremarket_store::register::NewService;
use caremarket_store::workforce::WorkforceFilter;
use caremarket_store::{Actor, AuditQuery, StoreError};
use jiff::civil::date;

fn svc(provider_id: &str, name: &str, kind: ServiceKind) -> NewService {
    caremarket_testkit::service(provider_id, name, kind)
}

fn draft(period: &str, care_workers: i64, vacancies: i64, leavers: i64, zero: i64, pay: &str) -> Draft {
    [
        ("period", period.to_string()),
        ("care_workers", care_workers.to_string()),
        ("nurses", "0".into()),
        ("managers", "2".into()),
        ("other_staff", "1".into()),
        ("care_workers_fte", "20.5".into()),
        ("nurses_fte", "0".into()),
        ("managers_fte", "2".into()),
        ("other_staff_fte", "0.5".into()),
        ("vacancies", vacancies.to_string()),
        ("starters", "4".into()),
        ("leavers", leavers.to_string()),
        ("zero_hours_staff", zero.to_string()),
        ("guaranteed_hours_staff", "0".into()),
        ("agency_hours", "40".into()),
        ("lowest_hourly_pay", pay.into()),
        ("sick_pay", "yes".into()),
        ("care_certificate_percent", "70".into()),
        ("level2_percent", "50".into()),
        ("level3_percent", "25".into()),
        ("qualification_framework", "RQF".into()),
        ("medication_training_percent", "90".into()),
        ("asc_wds_complete", "no".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

#[tokio::test]
async fn returns_are_replaced_refused_imported_and_feed_the_score() {
    let today = date(2025, 11, 20);
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("test");
        let acme = s.create_provider(&a, None, "Acme Care Ltd", None, None).await.expect("provider");
        let other = s.create_provider(&a, None, "Other Care Ltd", None, None).await.expect("provider");
        let home = s.create_service(&a, &svc(&acme, "Acme Home Care", ServiceKind::HomeCare)).await.expect("service");
        let living = s.create_service(&a, &svc(&acme, "Acme Living", ServiceKind::SupportedLiving)).await.expect("service");
        let theirs = s.create_service(&a, &svc(&other, "Other Home Care", ServiceKind::HomeCare)).await.expect("service");

        let q2 = check_return(&draft("2025-Q2", 30, 6, 8, 24, "12.40"), today).expect("valid");
        let before = s.data_version().await.expect("version");
        let (id, replaced) = s.submit_workforce_return(&a, &home, &q2, SentBy::Provider, Some(&acme)).await.expect("saved");
        assert!(!replaced);
        assert!(s.data_version().await.expect("version") > before, "a workforce return bumps the kept figures' version");
        // Sent again with other figures: the same return, replaced; the audit keeps both.
        let q2b = check_return(&draft("2025-Q2", 32, 5, 8, 20, "12.60"), today).expect("valid");
        let (again, replaced) = s.submit_workforce_return(&a, &home, &q2b, SentBy::Provider, Some(&acme)).await.expect("saved");
        assert!(replaced);
        assert_eq!(again, id);
        let stored = s.workforce_return(&id).await.expect("return");
        assert_eq!(stored.r, q2b);
        assert_eq!(stored.r.staff(), 32 + 2 + 1);
        let audit = s
            .audit_entries(&AuditQuery { entity_type: Some("workforce_return".into()), limit: 10, ..Default::default() })
            .await
            .expect("a");
        assert_eq!(audit.0.len(), 2);
        assert!(audit.0[0].summary.starts_with("Replaced the workforce return for Acme Home Care"), "{}", audit.0[0].summary);

        // A provider may not return for another provider's service.
        let e = s.submit_workforce_return(&a, &theirs, &q2, SentBy::Provider, Some(&acme)).await.expect_err("not theirs");
        assert!(matches!(e, StoreError::Invalid(ref f) if f.field == "service_id"), "{e:?}");

        // A CSV: one bad row refuses the whole file, naming row and field.
        let rows = vec![
            (2, living.clone(), draft("2025-Q2", 20, 2, 3, 5, "13.00")),
            (3, theirs.clone(), draft("2025-Q2", 20, 2, 3, 5, "13.00")),
            (4, living.clone(), draft("2025-Q3", 20, 2, 40, 5, "13.00")),
        ];
        let problems = s.import_workforce_returns(&a, &rows, Some(&acme), SentBy::Provider, today).await.expect("import").expect_err("bad");
        let named: Vec<(usize, String)> = problems.iter().map(|p| (p.row, p.field.clone())).collect();
        assert_eq!(named, [(3, "service_id".to_string()), (4, "leavers".to_string())]);
        assert_eq!(s.workforce_returns(&WorkforceFilter::default()).await.expect("list").len(), 1, "nothing saved");
        let good =
            vec![(2, living.clone(), draft("2025-Q2", 20, 2, 3, 5, "13.00")), (3, living.clone(), draft("2025-Q3", 21, 1, 3, 5, "13.00"))];
        assert_eq!(s.import_workforce_returns(&a, &good, Some(&acme), SentBy::Provider, today).await.expect("import"), Ok(2));
        let q2_list =
            s.workforce_returns(&WorkforceFilter { period: Some(Quarter { year: 2025, q: 2 }), ..Default::default() }).await.expect("list");
        assert_eq!(q2_list.len(), 2);
        let homecare =
            s.workforce_returns(&WorkforceFilter { kind: Some(ServiceKind::HomeCare), ..Default::default() }).await.expect("list");
        assert_eq!(homecare.iter().map(|r| r.service_name.as_str()).collect::<Vec<_>>(), ["Acme Home Care"]);
        assert_eq!(s.workforce_periods().await.expect("periods"), [Quarter { year: 2025, q: 3 }, Quarter { year: 2025, q: 2 }]);
        // Expected: every in-area contracted service; Other Home Care has not returned.
        let expected = s.workforce_expected(None).await.expect("expected");
        assert_eq!(expected.len(), 3);

        // The staffing factor: a monthly return for May says 10 staff and 10 vacancies (50%);
        // the June quarter's workforce return is newer and says 35 staff and 5 vacancies.
        s.submit_monthly_return(
            &a,
            &NewMonthlyReturn {
                service_id: home.clone(),
                month: "2025-05".into(),
                complaints: 0,
                complaints_via_council: 0,
                complaints_resolved_in_house: 0,
                staff_in_post: Some(10),
                staff_vacancies: Some(10),
                staff_leavers: None,
                agency_hours: None,
            },
            "officer",
            None,
            today,
        )
        .await
        .expect("monthly");
        let e = s.early_warning(&home, date(2025, 7, 15)).await.expect("score");
        let (staff, vac) = (q2b.staff(), q2b.vacancies);
        assert_eq!(e.inputs.vacancy_rate_percent, Some((vac * 100 + (staff + vac) / 2) / (staff + vac)));
        // Before the quarter ends, the monthly return is the newest.
        let e = s.early_warning(&home, date(2025, 5, 20)).await.expect("score");
        assert_eq!(e.inputs.vacancy_rate_percent, Some(50));

        // Real Living Wage rates are data: 2024/25 is £12.60 outside London.
        let rates = s.living_wage_rates().await.expect("rates");
        assert_eq!(rates.iter().find(|r| r.year == "2024/25").map(|r| r.pence), Some(1260));
        assert_eq!(rates.iter().find(|r| r.year == "2023/24").map(|r| r.pence), Some(1200));

        // Charter positions: each change kept, newest first; a bad one refused naming fields.
        s.set_charter_position(&a, "2.2", "working_towards", "No contractual mechanism yet", today).await.expect("set");
        s.set_charter_position(&a, "2.2", "agreed", "Now in the contract", today).await.expect("set");
        let e = s.set_charter_position(&a, "2.2", "maybe", "", today).await.expect_err("bad");
        let StoreError::InvalidFields(fs) = e else { panic!("fields") };
        assert_eq!(fs.0.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["position", "note"]);
        let positions = s.charter_positions().await.expect("positions");
        let history: Vec<Position> = positions.iter().filter(|p| p.element == "2.2").map(|p| p.position).collect();
        assert_eq!(history, [Position::Agreed, Position::WorkingTowards]);
        let audit = s
            .audit_entries(&AuditQuery { entity_type: Some("charter_position".into()), limit: 10, ..Default::default() })
            .await
            .expect("a");
        assert_eq!(audit.0.len(), 2);

        // Profile figures: kept with their source, newest first; a bad one names its fields.
        s.add_workforce_profile(&a, "", "average_age", "42", "Skills for Care, 2020/21", today).await.expect("profile");
        s.add_workforce_profile(&a, "", "average_age", "43", "Skills for Care, 2021/22", today).await.expect("profile");
        let e = s.add_workforce_profile(&a, "", "female", "120", "", today).await.expect_err("bad");
        let StoreError::InvalidFields(fs) = e else { panic!("fields") };
        assert_eq!(fs.0.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["value", "source"]);
        let profile = s.workforce_profile().await.expect("profile");
        assert_eq!(profile.iter().map(|p| p.value).collect::<Vec<_>>(), [430, 420]);
        assert_eq!(profile[0].source, "Skills for Care, 2021/22");
    }
}
