//! Lost updates, part C (issue 17 item 6, decision 25): the settings pages that save several
//! settings at once, the report's words for a quarter, renaming an entry of the direct payments
//! lists, the charter positions and a year's real Living Wage rates. For each form: two people
//! open it at the same version, the first saves, the second is answered 409 with "This record
//! changed since you opened it", who saved it, what differs and what they typed kept; the first
//! save is what is stored and no second audit entry is written; saving the shown form again is a
//! deliberate replacement. On SQLite, and on PostgreSQL when it is configured.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_store::AuditQuery;
use common::two_officers::{audited, both_open, refused, two};
use common::visible_text;

#[tokio::test]
async fn the_capacity_settings_saved_by_two_commissioners_keep_the_first_save() {
    for store in caremarket_testkit::all_backends().await.expect("backends") {
        let backend = store.backend().name();
        two(&store, Role::Commissioner).await;
        let path = "/capacity/settings";
        let (mut dana, mut eli) = both_open(&store, path).await;
        let form = |days: &'static str| [("stale_after_days", days), ("low_occupancy_percent", "80"), ("closes_on", "friday")];
        let r = dana.post_form(path, &form("30")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let r = eli.post_form(path, &form("21")).await;
        refused(&r, &["Days after which a home's latest return is stale 30 21"]);
        // The other two answers are the same as what is stored, so they are not listed.
        let text = visible_text(&r.body);
        assert!(!text.contains("Vacancy returns are due by the end of Friday Friday"), "{text}");
        assert!(r.body.contains("value=\"21\""), "what Eli typed is kept: {}", r.body);
        let stored = store.setting("capacity_thresholds").await.expect("setting").expect("saved");
        assert!(stored.contains("\"stale_after_days\":30"), "{backend}: {stored}");
        assert_eq!(audited(&store, "setting", "capacity_thresholds", "update").await, 1, "{backend}");
        assert_eq!(audited(&store, "setting", "capacity_return_window", "update").await, 1, "{backend}");
        // Saving the shown form again replaces what is there, deliberately.
        let r = eli.post_form(path, &form("21")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let stored = store.setting("capacity_thresholds").await.expect("setting").expect("saved");
        assert!(stored.contains("\"stale_after_days\":21"), "{backend}: {stored}");
    }
}

#[tokio::test]
async fn the_reclaim_settings_saved_by_two_officers_keep_the_first_save() {
    for store in caremarket_testkit::all_backends().await.expect("backends") {
        let backend = store.backend().name();
        two(&store, Role::DirectPaymentsOfficer).await;
        let (mut dana, mut eli) = both_open(&store, "/direct-payments/reclaims").await;
        let path = "/direct-payments/settings";
        let r = dana.post_form(path, &[("contingency_weeks", "6"), ("long_term_support", "500")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let r = eli.post_form(path, &[("contingency_weeks", "10"), ("long_term_support", "500")]).await;
        refused(&r, &["Allowed contingency (weeks of budget) 6 10"]);
        assert!(!visible_text(&r.body).contains("People receiving long-term support 500 500"), "the same figure is not listed");
        assert!(r.body.contains("value=\"10\""), "what Eli typed is kept: {}", r.body);
        assert_eq!(store.dp_policy().await.expect("policy").contingency_weeks, 6, "{backend}");
        assert_eq!(store.long_term_support().await.expect("lts"), Some(500), "{backend}");
        assert_eq!(audited(&store, "setting", "dp_contingency_weeks", "update").await, 1, "{backend}");
        let r = eli.post_form(path, &[("contingency_weeks", "10"), ("long_term_support", "500")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        assert_eq!(store.dp_policy().await.expect("policy").contingency_weeks, 10, "{backend}");
    }
}

#[tokio::test]
async fn the_supported_living_threshold_saved_by_two_commissioners_keeps_the_first_save() {
    for store in caremarket_testkit::all_backends().await.expect("backends") {
        let backend = store.backend().name();
        two(&store, Role::Commissioner).await;
        let path = "/fees/supported-living/settings";
        let (mut dana, mut eli) = both_open(&store, path).await;
        let r = dana.post_form(path, &[("threshold", "12.5")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let r = eli.post_form(path, &[("threshold", "20")]).await;
        refused(&r, &["Variance threshold (per cent) 12.50 20"]);
        assert!(r.body.contains("value=\"20\""), "what Eli typed is kept: {}", r.body);
        // 12.5% is 1,250 basis points.
        assert_eq!(store.sl_threshold_bp().await.expect("threshold"), 1250, "{backend}");
        let key = caremarket_core::fees::supported_living::THRESHOLD_SETTING;
        assert_eq!(audited(&store, "setting", key, "update").await, 1, "{backend}");
        let r = eli.post_form(path, &[("threshold", "20")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        assert_eq!(store.sl_threshold_bp().await.expect("threshold"), 2000, "{backend}");
    }
}

#[tokio::test]
async fn the_reports_settings_and_a_sections_words_keep_the_first_save() {
    for store in caremarket_testkit::all_backends().await.expect("backends") {
        let backend = store.backend().name();
        two(&store, Role::Commissioner).await;

        // The front matter and markets.
        let path = "/reports/quarterly/settings";
        let (mut dana, mut eli) = both_open(&store, path).await;
        let kinds = "living_and_ageing_well:home_care";
        let r = dana.post_form(path, &[("duty", "Dana's duty"), ("themes", ""), ("good", ""), ("kinds", kinds)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let r = eli.post_form(path, &[("duty", "Eli's duty"), ("themes", ""), ("good", ""), ("kinds", kinds)]).await;
        refused(&r, &["The statutory duty Dana's duty Eli's duty"]);
        assert!(r.body.contains("Eli&#x27;s duty") || r.body.contains("Eli's duty"), "what Eli typed is kept");
        assert_eq!(store.report_front_matter().await.expect("fm").duty, "Dana's duty", "{backend}");
        assert_eq!(audited(&store, "setting", "report_front_matter", "update").await, 1, "{backend}");
        let r = eli.post_form(path, &[("duty", "Eli's duty"), ("themes", ""), ("good", ""), ("kinds", kinds)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        assert_eq!(store.report_front_matter().await.expect("fm").duty, "Eli's duty", "{backend}");

        // One section's words for a quarter: first written by both at once.
        let path = "/reports/quarterly/section";
        let open = "/reports/quarterly/section?as_at=2024-12-31&market=living_and_ageing_well&section=sufficiency";
        let (mut dana, mut eli) = both_open(&store, open).await;
        assert_eq!(dana.form_version(path).as_deref(), Some("1"), "{backend}: no words yet");
        let words = |n: &'static str| {
            [
                ("as_at", "2024-12-31"),
                ("market", "living_and_ageing_well"),
                ("section", "sufficiency"),
                ("narrative", n),
                ("action_plan", ""),
            ]
        };
        let r = dana.post_form(path, &words("Homes are full")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let r = eli.post_form(path, &words("Homes have room")).await;
        refused(&r, &["Where are we now Homes are full Homes have room"]);
        assert!(r.body.contains("Homes have room"), "what Eli typed is kept");
        let d: caremarket_core::Date = "2024-12-31".parse().expect("date");
        let saved = store.report_narratives(d).await.expect("narratives");
        assert_eq!(saved.iter().map(|n| n.narrative.as_str()).collect::<Vec<_>>(), vec!["Homes are full"], "{backend}");
        let id = "2024-12-31/living_and_ageing_well/sufficiency";
        assert_eq!(audited(&store, "report_narrative", id, "update").await, 1, "{backend}");
        let r = eli.post_form(path, &words("Homes have room")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let saved = store.report_narratives(d).await.expect("narratives");
        assert_eq!(saved.iter().map(|n| n.narrative.as_str()).collect::<Vec<_>>(), vec!["Homes have room"], "{backend}");
    }
}

#[tokio::test]
async fn an_entry_of_the_direct_payments_lists_renamed_by_two_officers_keeps_the_first_name() {
    for store in caremarket_testkit::all_backends().await.expect("backends") {
        let backend = store.backend().name();
        two(&store, Role::DirectPaymentsOfficer).await;
        let (code, label) = store.dp_reference("closure_reason").await.expect("list").remove(0);
        let path = "/direct-payments/settings/lists";
        let (mut dana, mut eli) = both_open(&store, path).await;
        let version = store.dp_reference_version("closure_reason", &code).await.expect("version").to_string();
        let rename = |to: &'static str| {
            vec![("list", "closure_reason"), ("code", code.as_str()), ("label", to), ("rename", "1"), ("version", version.as_str())]
        };
        let r = dana.post_form(path, &rename("Moved away")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let r = eli.post_form(path, &rename("Left the area")).await;
        refused(&r, &["Name Moved away Left the area"]);
        assert!(r.body.contains("value=\"Left the area\""), "what Eli typed is kept in the entry's row: {}", r.body);
        let now = store.dp_reference("closure_reason").await.expect("list");
        assert!(now.iter().any(|(c, l)| *c == code && l == "Moved away"), "{backend}: {now:?}");
        let id = format!("closure_reason/{code}");
        assert_eq!(audited(&store, "dp_reference", &id, "update").await, 1, "{backend}");
        // The audit entry says what it was called before.
        let q = AuditQuery { entity_type: Some("dp_reference".into()), entity_id: Some(id.clone()), limit: 10, ..Default::default() };
        let entries = store.audit_entries(&q).await.expect("audit").0;
        assert!(entries.iter().any(|e| e.summary == format!("Renamed closure_reason '{label}' to 'Moved away'")), "{backend}");
        // The row now carries the new version: saving again replaces the name.
        let version = store.dp_reference_version("closure_reason", &code).await.expect("version").to_string();
        let again =
            [("list", "closure_reason"), ("code", code.as_str()), ("label", "Left the area"), ("rename", "1"), ("version", &version)];
        let r = eli.post_form(path, &again).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        // A rename posted as an add (no version) does not rename an entry in use.
        let r = eli.post_form(path, &[("list", "closure_reason"), ("code", code.as_str()), ("label", "Sneaky")]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{backend}: {}", r.body);
        assert!(visible_text(&r.body).contains("Left the area is already offered. To rename it, use the Rename button in its row"));
        let now = store.dp_reference("closure_reason").await.expect("list");
        assert!(now.iter().any(|(c, l)| *c == code && l == "Left the area"), "{backend}: {now:?}");
    }
}

#[tokio::test]
async fn a_charter_position_set_by_two_commissioners_keeps_the_first() {
    for store in caremarket_testkit::all_backends().await.expect("backends") {
        let backend = store.backend().name();
        two(&store, Role::Commissioner).await;
        let path = "/workforce/charter/2.2";
        let (mut dana, mut eli) = both_open(&store, path).await;
        let r = dana.post_form(path, &[("position", "agreed"), ("note", "In the contract")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let r = eli.post_form(path, &[("position", "not_accepted"), ("note", "Too costly")]).await;
        refused(&r, &["Note In the contract Too costly"]);
        assert!(r.body.contains("Too costly"), "what Eli typed is kept");
        let positions: Vec<String> =
            store.charter_positions().await.expect("positions").into_iter().filter(|p| p.element == "2.2").map(|p| p.note).collect();
        assert_eq!(positions, vec!["In the contract".to_string()], "{backend}: one position, Dana's");
        let r = eli.post_form(path, &[("position", "not_accepted"), ("note", "Too costly")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let positions = store.charter_positions().await.expect("positions").into_iter().filter(|p| p.element == "2.2").count();
        assert_eq!(positions, 2, "{backend}: the deliberate second position is kept as history");
    }
}

#[tokio::test]
async fn a_years_living_wage_corrected_by_two_commissioners_keeps_the_first_correction() {
    for store in caremarket_testkit::all_backends().await.expect("backends") {
        let backend = store.backend().name();
        two(&store, Role::Commissioner).await;
        let open = "/workforce/living-wage?year=2024%2F25";
        let path = "/workforce/living-wage";
        let (mut dana, mut eli) = both_open(&store, open).await;
        assert_eq!(dana.form_version(path).as_deref(), Some("1"), "{backend}");
        let form = |rate: &'static str| {
            [
                ("year", "2024/25"),
                ("rate", rate),
                ("london_rate", "13.85"),
                ("announced_on-day", "22"),
                ("announced_on-month", "10"),
                ("announced_on-year", "2024"),
                ("applies_from-day", "1"),
                ("applies_from-month", "5"),
                ("applies_from-year", "2025"),
            ]
        };
        let r = dana.post_form(path, &form("12.65")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let r = eli.post_form(path, &form("12.70")).await;
        refused(&r, &["Rate outside London £12.65 £12.70"]);
        assert!(r.body.contains("value=\"12.70\""), "what Eli typed is kept: {}", r.body);
        let pence: Vec<i64> =
            store.living_wage_rates().await.expect("rates").into_iter().filter(|r| r.year == "2024/25").map(|r| r.pence).collect();
        assert_eq!(pence, vec![1265], "{backend}");
        assert_eq!(audited(&store, "living_wage_rate", "2024/25", "update").await, 1, "{backend}");
        let r = eli.post_form(path, &form("12.70")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let pence: Vec<i64> =
            store.living_wage_rates().await.expect("rates").into_iter().filter(|r| r.year == "2024/25").map(|r| r.pence).collect();
        assert_eq!(pence, vec![1270], "{backend}");
    }
}
