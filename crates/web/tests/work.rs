//! "Your work" is the home of the officers whose day is a queue (issue 16 item 3): each lands on
//! it after signing in, reads their own queue with the counts taken from the records, and reaches
//! the market dashboard in one click. Other roles keep the dashboard and get 403 here.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::quality::cadence::DueState;
use caremarket_demo::{DEMO_PASSWORD, DemoOptions, generate};
use caremarket_store::quality::cadence::DueFilter;
use common::{Client, visible_text};

async fn sign_in(c: &mut Client, email: &str) -> String {
    c.get("/sign-in").await;
    let r = c.post_form("/sign-in", &[("email", email), ("password", DEMO_PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "sign in as {email}");
    r.location.expect("a place to go after signing in")
}

#[tokio::test]
async fn each_officer_starts_at_their_own_queue() {
    let store = caremarket_testkit::sqlite().await.expect("sqlite");
    let today = caremarket_store::today();
    generate(&store, &DemoOptions::as_at(today)).await.expect("demo");
    let users = store.users().await.expect("users");
    let id_of = |email: &str| users.iter().find(|u| u.email == email).map(|u| u.id.clone()).expect("demo user");

    // Quality officer: the visits due on the services assigned to them, counted here from the due
    // list with the officer's own id.
    let mut c = Client::new(store.clone());
    assert_eq!(sign_in(&mut c, "quality@demo.caremarket.test").await, "/work");
    let page = c.get("/work").await;
    page.assert_ok();
    let text = visible_text(&page.body);
    assert!(text.contains("Your work") && text.contains("market dashboard"), "{text}");
    assert!(page.contains("href=\"/dashboard\""));
    let me = id_of("quality@demo.caremarket.test");
    let all = store.due_list(today, &DueFilter::default()).await.expect("due");
    let mine: Vec<_> = all.iter().filter(|d| d.officer_id.as_deref() == Some(me.as_str())).collect();
    let overdue = mine.iter().filter(|d| d.state == DueState::Overdue).count();
    let due_soon = mine.iter().filter(|d| d.state == DueState::DueSoon).count();
    let services: std::collections::BTreeSet<_> = mine.iter().map(|d| d.service_id.clone()).collect();
    assert!(!services.is_empty(), "the demo's quality officer has services assigned");
    let expected = format!(
        "On the {} service{} assigned to you: {overdue} overdue and {due_soon} due soon",
        services.len(),
        if services.len() == 1 { "" } else { "s" }
    );
    assert!(text.contains(&expected), "expected {expected:?} in {text}");
    for link in ["/quality/assignments", "/quality/cadence-rules", "/quality/frameworks", "/quality/due?officer=mine"] {
        assert!(page.contains(&format!("href=\"{link}\"")), "no link to {link}");
    }
    assert!(text.contains("Menu Your work Market"), "the navigation names the page first");

    // Brokerage officer: everyone waiting for care.
    let mut c = Client::new(store.clone());
    assert_eq!(sign_in(&mut c, "brokerage@demo.caremarket.test").await, "/work");
    let text = visible_text(&c.get("/work").await.body);
    let waiting = store.package_requests("waiting").await.expect("waiting");
    let expected = format!("{} {} waiting", waiting.len(), if waiting.len() == 1 { "package is" } else { "packages are" });
    assert!(text.contains(&expected), "expected {expected:?} in {text}");
    if let Some(first) = waiting.first() {
        assert!(text.contains(&first.person_ref), "the longest wait is listed");
    }

    // Direct payments officer: the checks due on the direct payments they hold.
    let mut c = Client::new(store.clone());
    assert_eq!(sign_in(&mut c, "dp@demo.caremarket.test").await, "/work");
    let text = visible_text(&c.get("/work").await.body).replace(" ,", ",").replace(" .", ".");
    let me = id_of("dp@demo.caremarket.test");
    let due = store.monitoring_due(today, 30).await.expect("monitoring");
    let mine: Vec<_> = due.iter().filter(|r| r.officer_id.as_deref() == Some(me.as_str())).collect();
    let overdue = mine.iter().filter(|r| r.overdue).count();
    let expected = format!("{} check{}, {overdue} overdue", mine.len(), if mine.len() == 1 { "" } else { "s" });
    assert!(text.contains(&expected), "expected {expected:?} in {text}");
    let unassigned = due.iter().filter(|r| r.officer_id.is_none()).count();
    if unassigned > 0 {
        let expected = format!(
            "{unassigned} {} due on direct payments with no named officer",
            if unassigned == 1 { "check is" } else { "checks are" }
        );
        assert!(text.contains(&expected), "expected {expected:?} in {text}");
    }

    // A provider's home leads with what the council needs from it: its open actions (those it
    // has sent for review wait on the council), counted here from the records.
    let mut c = Client::new(store.clone());
    assert_eq!(sign_in(&mut c, "provider@demo.caremarket.test").await, "/portal");
    let text = visible_text(&c.get("/portal").await.body);
    let provider_id =
        users.iter().find(|u| u.email == "provider@demo.caremarket.test").and_then(|u| u.provider_id.clone()).expect("provider");
    let actions = store
        .actions(&caremarket_store::quality::actions::ActionFilter { provider_id: Some(provider_id.clone()), ..Default::default() })
        .await
        .expect("actions");
    let to_act = actions
        .iter()
        .filter(|a| a.provider_id == provider_id)
        .filter(|a| {
            !matches!(a.status, caremarket_core::quality::ActionStatus::Submitted | caremarket_core::quality::ActionStatus::Accepted)
        })
        .count();
    let expected = format!("{to_act} action{} on your action plans", if to_act == 1 { "" } else { "s" });
    assert!(text.contains("What the council needs from you") && text.contains(&expected), "expected {expected:?} in {text}");
    // Its visit reports awaiting its factual accuracy check (issue 16 item 14), from the records.
    let reports = store
        .visit_reports(&caremarket_store::quality::fact_check::ReportFilter {
            provider_id: Some(provider_id.clone()),
            ..Default::default()
        })
        .await
        .expect("reports");
    let to_check =
        reports.iter().filter(|r| !r.is_published() && r.check_ends_on.parse::<caremarket_core::Date>().is_ok_and(|d| today <= d)).count();
    assert!(to_check >= 1, "the demo provider has a draft report to check");
    let expected =
        format!("{to_check} draft visit report{} waiting for your factual accuracy check", if to_check == 1 { " is" } else { "s are" });
    assert!(text.contains(&expected), "expected {expected:?} in {text}");
    assert!(
        text.contains(
            "Menu Your services Action plans Visit reports Monthly returns Cost of care Supported living hours Visits and pay Workforce returns Outcome claims Vacancies and capacity Package offers"
        ),
        "{text}"
    );

    // Administrators and commissioners also work a queue (brokerage), so they may open the page
    // and see it in the menu, but their home stays the market dashboard.
    for email in ["commissioner@demo.caremarket.test", "admin@demo.caremarket.test"] {
        let mut c = Client::new(store.clone());
        assert_eq!(sign_in(&mut c, email).await, "/dashboard", "{email}");
        let text = visible_text(&c.get("/work").await.body);
        assert!(text.contains("Package requests waiting for care"), "{email}: {text}");
    }
    // Roles with no queue neither see it nor may open it.
    for email in ["viewer@demo.caremarket.test", "councillor@demo.caremarket.test"] {
        let mut c = Client::new(store.clone());
        let home = sign_in(&mut c, email).await;
        assert_eq!(c.get("/work").await.status, StatusCode::FORBIDDEN, "{email}");
        assert!(!visible_text(&c.get(&home).await.body).contains("Your work"), "{email} is not offered the page");
    }
}
