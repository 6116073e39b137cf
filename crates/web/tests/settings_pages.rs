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
    c.get("/direct-payments/settings/lists").await.assert_ok();
    let version = c.store.dp_reference_version("service_area", &code).await.expect("version").to_string();
    let rename = [("list", "service_area"), ("code", &code), ("label", "Adult Mental Health"), ("rename", "1"), ("version", &version)];
    let r = c.post_form("/direct-payments/settings/lists", &rename).await;
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

/// A retired entry is no longer offered, but the records that have it keep its name, the figures
/// still count them, and it can be offered again; a list keeps at least one entry in use.
#[tokio::test]
async fn direct_payments_list_entries_are_retired_and_offered_again() {
    use caremarket_core::direct_payments::{BudgetPeriod, DpDraft, Holding};
    use caremarket_store::Actor;
    use caremarket_store::direct_payments::NewDirectPayment;
    let mut c = Client::sqlite().await;
    c.user_named("dev@test.gov.uk", "Dev Officer", Role::DirectPaymentsOfficer, None).await;
    let start = caremarket_core::quality::cadence::add_days(caremarket_store::today(), -30);
    let id = c
        .store
        .create_direct_payment(
            &Actor::system("test"),
            &NewDirectPayment {
                draft: DpDraft {
                    person_ref: "DP900".into(),
                    service_area: "reablement".into(),
                    is_child: false,
                    budget_pence: 15_000,
                    budget_period: BudgetPeriod::Weekly,
                    holding: Holding::PrepaidCard,
                    mm_provider_id: None,
                    start_date: start,
                },
                officer_id: None,
                equality: Default::default(),
            },
        )
        .await
        .expect("dp");
    c.sign_in_as("dev@test.gov.uk").await;
    let form = c.get("/direct-payments/new").await;
    assert!(form.body.contains("value=\"reablement\""), "Reablement is offered before it is retired");

    c.get("/direct-payments/settings/lists").await;
    let r = c.post_form("/direct-payments/settings/lists/retire", &[("list", "service_area"), ("code", "reablement")]).await;
    assert_eq!(r.location.as_deref(), Some("/direct-payments/settings/lists?list=service_area&retired=reablement"), "{}", r.body);
    let page = visible_text(&c.get("/direct-payments/settings/lists?list=service_area&retired=reablement").await.body);
    assert!(page.contains("Reablement is no longer offered. Records that have it keep it."), "{page}");
    assert!(page.contains("No longer offered Records that have these keep them. Name Reablement Offer again"), "{page}");
    assert!(!page.contains("Reablement New name for Reablement"), "a retired area is still listed as in use: {page}");
    assert_eq!(audited(&c, "service_area/reablement").await, 1);

    // Not offered for a new record; the record that has it still reads "Reablement", and the
    // figures still count it under its name.
    let form = c.get("/direct-payments/new").await;
    assert!(!form.body.contains("value=\"reablement\""), "a retired area is still offered");
    assert!(form.body.contains("value=\"older_people\""));
    let record = visible_text(&c.get(&format!("/direct-payments/{id}")).await.body);
    assert!(record.contains("Reablement"), "{record}");
    let figures = visible_text(&c.get("/direct-payments/figures").await.body);
    assert!(figures.contains("Reablement 1"), "{figures}");

    // Offered again from the page: the same entry, so the record and the figures are unchanged.
    c.get("/direct-payments/settings/lists").await;
    let r =
        c.post_form("/direct-payments/settings/lists", &[("list", "service_area"), ("code", "reablement"), ("label", "Reablement")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(c.store.dp_reference("service_area").await.expect("areas").iter().any(|(code, _)| code == "reablement"));

    // The last closure reason in use cannot be retired: the message links to its button.
    let reasons = c.store.dp_reference("closure_reason").await.expect("reasons");
    let (last, rest) = reasons.split_last().expect("reasons");
    for (code, _) in rest {
        c.get("/direct-payments/settings/lists").await;
        let r = c.post_form("/direct-payments/settings/lists/retire", &[("list", "closure_reason"), ("code", code)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{code}: {}", r.body);
    }
    c.get("/direct-payments/settings/lists").await;
    let r = c.post_form("/direct-payments/settings/lists/retire", &[("list", "closure_reason"), ("code", &last.0)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let message = format!("'{}' is the only entry in use: add another before you retire it", last.1);
    assert!(visible_text(&r.body).contains(&message), "{}", r.body);
    assert!(r.body.contains(&format!("href=\"#retire-closure_reason-{}\"", last.0)), "{}", r.body);
    assert_eq!(c.store.dp_reference("closure_reason").await.expect("reasons").len(), 1);
    // A list the page does not keep, or an entry it does not have, is not found.
    let r = c.post_form("/direct-payments/settings/lists/retire", &[("list", "ethnicity"), ("code", "white")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = c.post_form("/direct-payments/settings/lists/retire", &[("list", "service_area"), ("code", "no_such_area")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
