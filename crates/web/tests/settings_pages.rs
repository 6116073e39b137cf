//! Settings edited on pages (issue 16 item 19): the council's name, the brokerage rating rule and
//! the direct payments lists, each refusing bad input with a message naming the field, audited,
//! and shown where officers meet them; only the roles that keep them may open them.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use common::{Client, visible_text};

async fn audited(c: &Client, entity_id: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE entity_id = $1")
        .bind(entity_id)
        .fetch_one(c.store.pool())
        .await
        .expect("audit")
}

#[tokio::test]
async fn the_council_name_is_set_on_the_settings_page_and_shown_on_every_page() {
    let mut c = Client::sqlite().await;
    c.user_named("admin@test.gov.uk", "Ada Admin", Role::Admin, None).await;
    c.user_named("com@test.gov.uk", "Cam Commissioner", Role::Commissioner, None).await;
    c.sign_in_as("admin@test.gov.uk").await;
    let hub = c.get("/admin/settings").await;
    hub.assert_ok();
    let text = visible_text(&hub.body);
    for title in
        ["The council's area", "Approval limits", "Brokerage rating rule", "Direct payments lists", "Capacity returns", "Rate cards"]
    {
        assert!(text.contains(title), "{title} missing from the settings hub: {text}");
    }
    let r = c.post_form("/admin/settings", &[("council_name", "   ")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(visible_text(&r.body).contains("Enter the council's name"), "{}", r.body);
    let long = "A".repeat(81);
    let r = c.post_form("/admin/settings", &[("council_name", &long)]).await;
    assert!(visible_text(&r.body).contains("80 characters or fewer"), "{}", r.body);
    let r = c.post_form("/admin/settings", &[("council_name", "  Northmoor   Borough Council ")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let text = visible_text(&c.get("/admin/settings?saved=1").await.body);
    assert!(text.contains("The council's name is saved") && text.starts_with("Settings – Northmoor Borough Council"), "{text}");
    assert_eq!(audited(&c, "council_name").await, 1);
    // The directory, which anyone reads, carries the name too.
    assert!(visible_text(&c.get("/directory").await.body).contains("Northmoor Borough Council"));

    // A commissioner does not keep the council's name, and is shown only the pages they may open.
    c.sign_in_as("com@test.gov.uk").await;
    assert_eq!(c.get("/admin/settings").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_brokerage_rating_rule_is_chosen_on_a_page() {
    let mut c = Client::sqlite().await;
    c.user_named("com@test.gov.uk", "Cam Commissioner", Role::Commissioner, None).await;
    c.user_named("bev@test.gov.uk", "Bev Broker", Role::BrokerageOfficer, None).await;
    c.sign_in_as("com@test.gov.uk").await;
    let text = visible_text(&c.get("/brokerage/settings").await.body);
    assert!(
        text.contains("Now: providers rated Requires improvement or better overall and Good or better for Well-led, inspected; framework providers only."),
        "{text}"
    );
    let r = c.post_form("/brokerage/settings", &[("min_overall", "inspected_not_rated"), ("min_well_led", "good")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let text = visible_text(&r.body);
    for m in [
        "Choose the lowest overall rating a provider may have",
        "Choose whether a provider must have been inspected",
        "Choose whether packages may be offered to providers off the framework",
    ] {
        assert!(text.contains(m), "{m}: {text}");
    }
    let r = c
        .post_form(
            "/brokerage/settings",
            &[("min_overall", "good"), ("min_well_led", "any"), ("require_inspection", "yes"), ("allow_off_framework", "yes")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let text = visible_text(&c.get("/brokerage/settings?saved=1").await.body);
    assert!(text.contains("The rating rule is saved"), "{text}");
    assert!(
        text.contains("Now: providers rated Good or better overall, inspected; providers off the framework are offered work"),
        "{text}"
    );
    let rule = c.store.rating_rule().await.expect("rule");
    assert_eq!((rule.min_overall.as_str(), rule.min_well_led, rule.allow_off_framework), ("good", None, true));
    assert_eq!(audited(&c, "brokerage_rating_rule").await, 1);
    // A brokerage officer works to the rule but does not set it.
    c.sign_in_as("bev@test.gov.uk").await;
    assert_eq!(c.get("/brokerage/settings").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn direct_payments_lists_are_added_to_and_renamed() {
    let mut c = Client::sqlite().await;
    c.user_named("dev@test.gov.uk", "Dev Officer", Role::DirectPaymentsOfficer, None).await;
    c.user_named("vi@test.gov.uk", "Vi Ewer", Role::Viewer, None).await;
    c.sign_in_as("dev@test.gov.uk").await;
    let before = c.store.dp_reference("closure_reason").await.expect("list");
    let r = c.post_form("/direct-payments/settings/lists", &[("list", "closure_reason"), ("label", "  ")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(visible_text(&r.body).contains("Enter a label"), "{}", r.body);
    let r = c.post_form("/direct-payments/settings/lists", &[("list", "closure_reason"), ("label", "Moved  abroad")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let after = c.store.dp_reference("closure_reason").await.expect("list");
    assert_eq!(after.len(), before.len() + 1);
    assert!(after.iter().any(|(code, label)| code == "moved_abroad" && label == "Moved abroad"), "{after:?}");
    // Renaming keeps the code the records use.
    let (code, _) = c.store.dp_reference("service_area").await.expect("areas").remove(0);
    let r = c
        .post_form("/direct-payments/settings/lists", &[("list", "service_area"), ("code", &code), ("label", "Adult Mental Health")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let text = visible_text(&c.get("/direct-payments/settings/lists?saved=1").await.body);
    assert!(text.contains("List saved") && text.contains("Moved abroad"), "{text}");
    assert!(c.store.dp_reference("service_area").await.expect("areas").iter().any(|(c2, l)| *c2 == code && l == "Adult Mental Health"));
    let r = c.post_form("/direct-payments/settings/lists", &[("list", "religion_of_pets"), ("label", "x")]).await;
    assert!(visible_text(&r.body).contains("Choose a list"), "{}", r.body);
    assert_eq!(audited(&c, "closure_reason/moved_abroad").await, 1);
    c.sign_in_as("vi@test.gov.uk").await;
    assert_eq!(c.get("/direct-payments/settings/lists").await.status, StatusCode::FORBIDDEN);
}
