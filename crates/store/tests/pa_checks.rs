//! PA checks before listing (issue 16 item 17), on every backend (SQLite; PostgreSQL when
//! CAREMARKET_TEST_POSTGRES_URL is set): the search offers only PAs whose required checks are
//! complete and in date on the day searched, approval is refused naming what is missing, and
//! the work list shows checks expiring within 30 days or expired.

use caremarket_core::Date;
use caremarket_core::direct_payments::pa_checks::{CheckRules, CheckState, DbsCheck, DbsType, PaChecks, Reference, Training};
use caremarket_core::direct_payments::pa_register::Profile;
use caremarket_core::versions::Version;
use caremarket_store::direct_payments::NewPaEntry;
use caremarket_store::{Actor, AuditQuery, Store, StoreError};
use caremarket_testkit as testing;

fn d(s: &str) -> Date {
    s.parse().expect("date")
}

fn actor() -> Actor {
    Actor::system("test")
}

fn entry(kind: &str, name: &str) -> NewPaEntry {
    NewPaEntry {
        kind: kind.into(),
        display_name: name.into(),
        email: format!("{}@example.org", name.to_lowercase().replace(' ', ".")),
        phone: None,
        outward_code: "OL1".into(),
        hours_per_week: 12,
        profile: Profile {
            outward_code: "OL1".into(),
            slots: ["mon_am".to_string()].into_iter().collect(),
            gender: (kind == "pa").then(|| "female".to_string()),
            gender_preference: (kind == "employer").then(|| "any".to_string()),
            ..Default::default()
        },
        dbs_status: None,
        dbs_date: None,
        about: None,
    }
}

/// Every check the default rules require: the DBS check issued on `dbs_on`, references and
/// the three required courses done on `done`.
fn checks(dbs_on: &str, update_service: bool, done: &str) -> PaChecks {
    PaChecks {
        dbs: Some(DbsCheck {
            dbs_type: DbsType::EnhancedBarredAdults,
            certificate_number: Some("001234567890".into()),
            issued_on: Some(d(dbs_on)),
            update_service,
        }),
        references: ["employer", "character"]
            .iter()
            .map(|r| Reference {
                relationship: Some(r.to_string()),
                received_on: Some(d(done)),
                checked_on: Some(d(done)),
                checked_by: Some("Olu Officer".into()),
            })
            .collect(),
        training: ["care_certificate", "safeguarding_adults", "moving_handling"]
            .iter()
            .map(|c| Training { course: c.to_string(), completed_on: d(done) })
            .collect(),
    }
}

async fn save(s: &Store, id: &str, c: &PaChecks) {
    let v = s.pa_entry(id).await.expect("entry").version;
    s.save_pa_checks(&actor(), id, c, Version::new(v).expect("version")).await.expect("save checks");
}

fn names(found: &[(caremarket_store::direct_payments::PaEntry, caremarket_core::direct_payments::pa_register::Match)]) -> Vec<String> {
    found.iter().map(|(p, _)| p.display_name.clone()).collect()
}

#[tokio::test]
async fn search_lists_only_pas_whose_checks_are_complete_on_the_day() {
    for s in testing::all_backends().await.expect("backends") {
        let a = actor();
        // The migration's settings and course list are core's defaults.
        assert_eq!(s.pa_check_rules().await.expect("rules"), CheckRules::default());
        let emp = s.register_pa(&a, &entry("employer", "Em Ployer"), "officer").await.expect("employer");
        let ann = s.register_pa(&a, &entry("pa", "Ann Complete"), "officer").await.expect("ann");
        let bea = s.register_pa(&a, &entry("pa", "Bea Nonumber"), "officer").await.expect("bea");
        let cal = s.register_pa(&a, &entry("pa", "Cal Update"), "officer").await.expect("cal");
        // Ann: all done on 10 January 2025; moving and handling (12 months) ends 10 January 2026.
        save(&s, &ann, &checks("2025-01-10", false, "2025-01-10")).await;
        // Bea: everything but the certificate number.
        let mut b = checks("2025-01-10", false, "2025-01-10");
        if let Some(dbs) = b.dbs.as_mut() {
            dbs.certificate_number = None;
        }
        save(&s, &bea, &b).await;
        // Cal: a 2019 certificate kept on the Update Service, training from June 2025.
        save(&s, &cal, &checks("2019-01-01", true, "2025-06-01")).await;
        // Read back as saved (courses in code order).
        let mut saved = checks("2025-01-10", false, "2025-01-10");
        saved.training.sort_by(|a, b| a.course.cmp(&b.course));
        assert_eq!(s.pa_checks(&ann).await.expect("read"), saved);

        let wanted = s.pa_entry(&emp).await.expect("emp").profile();
        let on = |day: &str| {
            let (s, wanted) = (&s, &wanted);
            let day = d(day);
            async move { names(&s.pa_search_on(wanted, day).await.expect("search")) }
        };
        // Names tie on fit, so the ranking is by name.
        assert_eq!(on("2025-06-01").await, ["Ann Complete", "Cal Update"], "Bea has no certificate number");
        assert_eq!(on("2026-01-09").await, ["Ann Complete", "Cal Update"]);
        assert_eq!(on("2026-01-10").await, ["Cal Update"], "Ann's moving and handling ended on 10 January 2026");
        assert_eq!(s.pa_listed(d("2026-01-10")).await.expect("listed").iter().map(|p| p.id.clone()).collect::<Vec<_>>(), vec![cal.clone()]);

        // 26 days before it ends, Ann's course is on the work list; Cal's (1 June 2026) is not.
        let due = s.pa_checks_expiring(d("2025-12-15")).await.expect("due");
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].entry.id, ann);
        assert_eq!(
            due[0].lines.iter().map(|l| (l.name.as_str(), l.state.clone())).collect::<Vec<_>>(),
            [("Moving and handling", CheckState::Expiring { expires_on: d("2026-01-10") })]
        );
        let due = s.pa_checks_expiring(d("2026-05-10")).await.expect("due");
        assert_eq!(due.iter().map(|x| x.entry.display_name.as_str()).collect::<Vec<_>>(), ["Ann Complete", "Cal Update"]);
        assert_eq!(due[0].lines[0].state, CheckState::Expired { expired_on: d("2026-01-10") });
        assert_eq!(due[1].lines[0].state, CheckState::Expiring { expires_on: d("2026-06-01") });
    }
}

#[tokio::test]
async fn approval_is_refused_naming_what_is_missing_and_saves_are_versioned() {
    for s in testing::all_backends().await.expect("backends") {
        let a = actor();
        let pat = s.register_pa(&Actor::system("public form"), &entry("pa", "Pat Pending"), "public").await.expect("pat");
        let refused = s.approve_pa(&a, &pat).await.expect_err("no checks");
        let StoreError::Invalid(fe) = refused else { panic!("expected a refusal, got {refused:?}") };
        assert_eq!(fe.field, "checks");
        for missing in ["DBS check: no DBS check recorded", "Reference 1: not received", "Moving and handling: not completed"] {
            assert!(fe.message.contains(missing), "{missing} in {}", fe.message);
        }
        assert_eq!(s.pa_entry(&pat).await.expect("entry").status, "pending");

        // Checks done today, except the second reference's check.
        let today = caremarket_store::today().to_string();
        let mut c = checks(&today, false, &today);
        c.references[1].checked_on = None;
        c.references[1].checked_by = None;
        save(&s, &pat, &c).await;
        let StoreError::Invalid(fe) = s.approve_pa(&a, &pat).await.expect_err("one missing") else { panic!("refusal") };
        assert!(fe.message.ends_with("Missing: Reference 2: received, not checked"), "{}", fe.message);

        // A form opened at version 1 cannot overwrite the save that made version 2.
        let stale = s.save_pa_checks(&a, &pat, &checks(&today, false, &today), Version::FIRST).await.expect_err("stale");
        assert!(matches!(stale, StoreError::Stale { current: 2 }), "{stale:?}");
        save(&s, &pat, &checks(&today, false, &today)).await;
        s.approve_pa(&a, &pat).await.expect("approve with checks complete");
        assert_eq!(s.pa_entry(&pat).await.expect("entry").status, "approved");

        // Employers have no checks.
        let emp = s.register_pa(&a, &entry("employer", "Em Ployer"), "officer").await.expect("employer");
        assert!(matches!(s.save_pa_checks(&a, &emp, &PaChecks::default(), Version::FIRST).await, Err(StoreError::Invalid(_))));

        // Audited, without the certificate number.
        let (audit, _) = s.audit_entries(&AuditQuery { entity_type: Some("pa_entry".into()), ..Default::default() }).await.expect("audit");
        let saves: Vec<_> = audit.iter().filter(|e| e.summary == "Recorded a PA's checks").collect();
        assert_eq!(saves.len(), 2);
        assert!(saves.iter().all(|e| !e.after_json.clone().unwrap_or_default().contains("001234567890")));
    }
}
