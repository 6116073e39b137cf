//! The delivery plan pages as a commissioner and a viewer use them: create a plan, import the
//! seed's own table, read the plan as it stood at a quarter's end, record an update, and the
//! refusals a user would meet (bad dates, missing status, pasted markup, other roles).

use crate::common;

use caremarket_core::access::Role;
use common::Client;

const SEED: &str = include_str!("../../../fixtures/governance/sheffield-delivery-plan-2024-25.csv");

fn id_after<'a>(location: &'a str, prefix: &str) -> &'a str {
    location.strip_prefix(prefix).and_then(|s| s.split(['?', '/']).next()).expect("id in location")
}

/// Visible text of a page: tags dropped, whitespace collapsed.
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn a_commissioner_keeps_the_plan_and_reads_it_at_a_quarter_end() {
    let mut c = Client::sqlite().await;
    c.user("commissioner@test", Role::Commissioner, None).await;
    c.sign_in_as("commissioner@test").await;

    let home = c.get("/governance").await;
    home.assert_ok();
    assert!(text(&home.body).contains("There are no delivery plans yet."));
    c.get("/governance/delivery-plans/new").await.assert_ok();
    let bad = c.post_form("/governance/delivery-plans/new", &[("title", " ")]).await;
    assert_eq!(bad.status, 400);
    assert!(text(&bad.body).contains("There is a problem Enter the title"));

    let made = c
        .post_form(
            "/governance/delivery-plans/new",
            &[("title", "Market Sustainability Delivery Plan 2024/5"), ("committee", "Adult Health and Social Care Policy Committee")],
        )
        .await;
    let location = made.location.expect("redirect");
    let id = id_after(&location, "/governance/delivery-plans/").to_string();

    // Import the seed's table as the plan stood at the end of Q3 2024/25.
    let form = c.get(&format!("/governance/delivery-plans/{id}/import")).await;
    form.assert_ok();
    let token = c.csrf();
    let fields = [("dated_on-day", "31"), ("dated_on-month", "12"), ("dated_on-year", "2024")];
    let done = c.post_file_with(&format!("/governance/delivery-plans/{id}/import"), &token, &fields, "plan.csv", SEED).await;
    done.assert_ok();
    // The seed's table: 23 rows under 5 themes, each status word mapped.
    let t = text(&done.body);
    assert!(t.contains("Imported 23 updates dated 31 December 2024"), "{t}");
    assert!(t.contains("5 new themes and 23 new milestones"));
    assert!(t.contains("Every row's status words mapped to a status."));

    let plan = c.get(&format!("/governance/delivery-plans/{id}?as_at=2024-12-31")).await;
    plan.assert_ok();
    let t = text(&plan.body);
    // Counted from the seed: 2 priority, 12 in delivery, 8 complete, 1 no longer required.
    for want in ["Priority 2 milestones", "In delivery 12 milestones", "Complete 8 milestones", "No longer required 1 milestone"] {
        assert!(t.contains(want), "missing '{want}' in {t}");
    }
    assert!(t.contains("The plan at the end of 31 December 2024"));
    // Pasted list markup reads as bullets and is never markup on the page.
    assert!(t.contains("• consider the results from the cost of care exercises."));
    assert!(!plan.body.contains("<li>consider the results"));
    assert!(t.contains("Written as “Delivery priority for 24/25.”"));

    // Before the table's date the plan held nothing.
    let before = c.get(&format!("/governance/delivery-plans/{id}?as_at=2024-09-30")).await;
    assert!(text(&before.body).contains("The plan had no milestones on 30 September 2024."));
    assert_eq!(c.get(&format!("/governance/delivery-plans/{id}?as_at=yesterday")).await.status, 400);

    // Record the next quarter's update of one milestone.
    let milestone = plan.body.split(&format!("/governance/delivery-plans/{id}/milestones/")).nth(1).expect("milestone link");
    let mid = milestone.split('"').next().expect("id").to_string();
    let path = format!("/governance/delivery-plans/{id}/milestones/{mid}");
    c.get(&path).await.assert_ok();
    let refused = c.post_form(&path, &[("dated_on-day", "31"), ("dated_on-month", "3"), ("dated_on-year", "2099"), ("update", "")]).await;
    assert_eq!(refused.status, 400);
    let t = text(&refused.body);
    for want in ["The date of the update must be today or in the past", "Enter the update", "Select the status"] {
        assert!(t.contains(want), "missing '{want}' in {t}");
    }
    let saved = c
        .post_form(
            &path,
            &[
                ("dated_on-day", "31"),
                ("dated_on-month", "3"),
                ("dated_on-year", "2025"),
                ("update", "Plan resubmitted <script>alert(1)</script>"),
                ("by_when", "Qtr 2, 25/26"),
                ("status", "delayed"),
                ("rag", "amber"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let history = c.get(&path).await;
    let t = text(&history.body);
    assert!(t.contains("31 March 2025 Plan resubmitted alert(1) Qtr 2, 25/26 Read as 30 September 2025 Delayed RAG: Amber"), "{t}");
    assert!(t.contains("31 December 2024"), "the earlier update is kept");
    assert!(!history.body.contains("<script>alert(1)"), "pasted markup is escaped, not executed");
    let q4 = text(&c.get(&format!("/governance/delivery-plans/{id}?as_at=2025-03-31")).await.body);
    assert!(q4.contains("Delayed 1 milestone") && q4.contains("Complete 7 milestones"), "{q4}");
    let q3 = text(&c.get(&format!("/governance/delivery-plans/{id}?as_at=2024-12-31")).await.body);
    assert!(q3.contains("Complete 8 milestones") && !q3.contains("Delayed"));
}

#[tokio::test]
async fn other_roles_read_the_plan_but_cannot_change_it() {
    let mut c = Client::sqlite().await;
    c.user("viewer@test", Role::Viewer, None).await;
    let actor = caremarket_store::Actor::system("test");
    let header = caremarket_core::governance::delivery_plan::PlanHeader::parse("Plan", "", "", "", "", "").unwrap();
    let id = c.store.create_delivery_plan(&actor, &header).await.unwrap();
    c.sign_in_as("viewer@test").await;
    let page = c.get(&format!("/governance/delivery-plans/{id}")).await;
    page.assert_ok();
    assert!(!page.contains("Import the plan"));
    assert_eq!(c.get(&format!("/governance/delivery-plans/{id}/import")).await.status, 403);
    assert_eq!(c.post_form(&format!("/governance/delivery-plans/{id}/themes/new"), &[("title", "T")]).await.status, 403);
    assert!(c.store.delivery_plan(&id).await.unwrap().themes.is_empty());
}
