//! Lost updates (issue 17 item 6, decision 25), the remaining records edited in place: a quality
//! cadence rule and a coded issue of a CQC report (migration 0041). Two officers open the same
//! record's form at one version; the first save stands; the second is answered 409 with the form
//! again: "This record changed since you opened it", who saved it, what differs and what was
//! typed kept; nothing of it is written, audit row included; saving the shown form again replaces
//! it. Run on SQLite and, when configured, PostgreSQL.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_store::quality::themes::NewCoding;
use caremarket_store::{Actor, AuditQuery, Store};
use common::two_officers::{audited, both_open as open_both, care_home, person, refused};
use common::{Client, visible_text};

async fn updates_of(store: &Store, entity_type: &str, id: &str) -> usize {
    audited(store, entity_type, id, "update").await
}

/// Dana and Eli, each with the form at `path` open at version 1.
async fn both_open(store: &Store, path: &str) -> (Client, Client) {
    let (dana, eli) = open_both(store, path).await;
    assert_eq!(dana.form_version(path).as_deref(), Some("1"), "{path}");
    assert_eq!(eli.form_version(path).as_deref(), Some("1"), "{path}");
    (dana, eli)
}

#[tokio::test]
async fn a_cadence_rule_changed_by_two_officers_keeps_the_first_save() {
    for store in caremarket_testkit::all_backends().await.expect("backends") {
        let backend = store.backend().name();
        store.set_setting("council_name", "Testshire Council").await.expect("setting");
        person(&store, "dana@test.gov.uk", "Dana Officer", Role::QualityOfficer).await;
        person(&store, "eli@test.gov.uk", "Eli Officer", Role::QualityOfficer).await;
        let rule = store.cadence_rules().await.expect("rules").into_iter().find(|r| r.code == "annual_care_home").expect("rule");
        let path = format!("/quality/cadence-rules/{}", rule.id);
        let (mut dana, mut eli) = both_open(&store, &path).await;
        let form = |name: &'static str, interval: &'static str, team: &'static str| {
            vec![
                ("name", name),
                ("applies_to", "care_home_residential"),
                ("condition", "all"),
                ("activity", "quality_visit"),
                ("interval_days", interval),
                ("warn_days", "30"),
                ("team", team),
                ("active", "1"),
            ]
        };
        let r = dana.post_form(&path, &form("Care homes twice a year", "182", "North team")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let r = eli.post_form(&path, &form("Care homes every nine months", "274", "North team")).await;
        refused(&r, &["Name Care homes twice a year Care homes every nine months", "Interval in days 182 274"]);
        assert!(!visible_text(&r.body).contains("Team (optional) North team North team"), "the team did not differ");
        assert!(r.body.contains("value=\"Care homes every nine months\""), "what Eli typed is kept: {}", r.body);
        assert_eq!(eli.form_version(&path).as_deref(), Some("2"), "{backend}");
        let now = store.cadence_rule(&rule.id).await.expect("rule");
        assert_eq!((now.rule.name.as_str(), now.rule.interval_days), ("Care homes twice a year", 182), "{backend}");
        assert_eq!(updates_of(&store, "cadence_rule", &rule.id).await, 1, "{backend}");
        // Saving the shown form again is a deliberate replacement.
        let r = eli.post_form(&path, &form("Care homes every nine months", "274", "North team")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let now = store.cadence_rule(&rule.id).await.expect("rule");
        assert_eq!((now.rule.name.as_str(), now.rule.interval_days), ("Care homes every nine months", 274), "{backend}");
        assert_eq!(updates_of(&store, "cadence_rule", &rule.id).await, 2, "{backend}");
    }
}

#[tokio::test]
async fn a_coded_issue_changed_by_two_officers_keeps_the_first_save() {
    for store in caremarket_testkit::all_backends().await.expect("backends") {
        let backend = store.backend().name();
        store.set_setting("council_name", "Testshire Council").await.expect("setting");
        person(&store, "dana@test.gov.uk", "Dana Officer", Role::QualityOfficer).await;
        person(&store, "eli@test.gov.uk", "Eli Officer", Role::QualityOfficer).await;
        let a = Actor::system("test");
        let p = store.create_provider(&a, None, "Elm Care Ltd", None, None).await.expect("provider");
        let s = store.create_service(&a, &care_home(&p, "Elm House", "registered")).await.expect("service");
        let report_date: caremarket_core::Date = "2023-06-05".parse().expect("date");
        let coding = NewCoding { service_id: s, report_date, theme: "staffing".into(), issue: "Too few night staff".into() };
        let id = store.code_theme_issue(&a, &coding).await.expect("coding");
        let path = format!("/quality/theme-codings/{id}");
        let (mut dana, mut eli) = both_open(&store, &path).await;
        let form = |theme: &'static str, issue: &'static str| {
            vec![("report_date-day", "5"), ("report_date-month", "6"), ("report_date-year", "2023"), ("theme", theme), ("issue", issue)]
        };
        let r = dana.post_form(&path, &form("leadership", "No deputy manager")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let r = eli.post_form(&path, &form("staffing", "Too few night staff at weekends")).await;
        refused(&r, &["What the report found No deputy manager Too few night staff at weekends"]);
        let text = visible_text(&r.body);
        assert!(text.contains("Theme Leadership"), "the theme differs: {text}");
        assert!(!text.contains("Date of the CQC report 5 June 2023"), "the date did not differ: {text}");
        assert!(r.body.contains("value=\"Too few night staff at weekends\""), "what Eli typed is kept: {}", r.body);
        assert_eq!(eli.form_version(&path).as_deref(), Some("2"), "{backend}");
        let now = store.theme_coding(&id).await.expect("coding");
        assert_eq!((now.theme_code.as_str(), now.issue.as_str()), ("leadership", "No deputy manager"), "{backend}");
        assert_eq!(updates_of(&store, "theme_coding", &id).await, 1, "{backend}");
        let r = eli.post_form(&path, &form("staffing", "Too few night staff at weekends")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        assert_eq!(store.theme_coding(&id).await.expect("coding").issue, "Too few night staff at weekends", "{backend}");
        assert_eq!(updates_of(&store, "theme_coding", &id).await, 2, "{backend}");
    }
}

#[tokio::test]
async fn a_closure_reason_recorded_by_two_officers_keeps_the_first_save() {
    for store in caremarket_testkit::all_backends().await.expect("backends") {
        let backend = store.backend().name();
        store.set_setting("council_name", "Testshire Council").await.expect("setting");
        person(&store, "dana@test.gov.uk", "Dana Officer", Role::Commissioner).await;
        person(&store, "eli@test.gov.uk", "Eli Officer", Role::Commissioner).await;
        let a = Actor::system("test");
        let p = store.create_provider(&a, None, "Ash Care Ltd", None, None).await.expect("provider");
        let id = store.create_service(&a, &care_home(&p, "Ash House", "deregistered")).await.expect("service");
        // Neither has been recorded yet: both forms are at 1, and only the first save lands.
        let path = format!("/services/{id}/closure");
        let (mut dana, mut eli) = both_open(&store, &path).await;
        let r = dana.post_form(&path, &[("reason", "financial"), ("note", "Owner went into administration")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let r = eli.post_form(&path, &[("reason", "other"), ("note", "Building sold")]).await;
        refused(&r, &["Reason Financial reasons Other", "Note (optional) Owner went into administration Building sold"]);
        assert!(r.body.contains("Building sold</textarea>"), "what Eli typed is kept: {}", r.body);
        assert!(r.body.contains("value=\"other\" checked"), "what Eli chose is kept: {}", r.body);
        assert_eq!(eli.form_version(&path).as_deref(), Some("2"), "{backend}");
        let now = store.service_closure(&id).await.expect("closure").expect("recorded");
        assert_eq!(now.note.as_deref(), Some("Owner went into administration"), "{backend}");
        let q = AuditQuery { entity_type: Some("service_closure".into()), entity_id: Some(id.clone()), limit: 100, ..Default::default() };
        assert_eq!(store.audit_entries(&q).await.expect("audit").0.len(), 1, "{backend}: only Dana's save is audited");
        // Saving the shown form again is a deliberate replacement.
        let r = eli.post_form(&path, &[("reason", "other"), ("note", "Building sold")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        assert_eq!(store.service_closure(&id).await.expect("closure").expect("recorded").note.as_deref(), Some("Building sold"));
        assert_eq!(updates_of(&store, "service_closure", &id).await, 1, "{backend}");
    }
}
