//! Every quality page renders on the demo council, on SQLite and (when configured) PostgreSQL:
//! the lists, one record of each kind reached by following links as a user would, and the
//! provider portal's action plans and returns. A page that fails on one backend's SQL or on real
//! volumes of data fails here.
use crate::common;

use axum::http::StatusCode;
use caremarket_demo::{DEMO_PASSWORD, DemoOptions, generate};
use common::Client;

const LISTS: &[&str] = &[
    "/quality",
    "/quality/visits",
    "/quality/actions",
    "/quality/actions?state=overdue",
    "/quality/frameworks",
    "/quality/rag?rag=amber&kind=care_home_residential&kind=care_home_nursing",
    "/quality/rag?escalation=risk_management",
    "/quality/restrictions",
    "/quality/due?officer=all",
    "/quality/cadence-rules",
    "/quality/assignments",
    "/quality/signals",
    "/quality/returns",
    "/quality/watch-list",
    "/quality/themes",
    "/quality/themes/by-service",
    "/quality/exits",
];

/// The first link on the page to a record under `prefix` (followed by an id), not a form.
fn first_link(body: &str, prefix: &str) -> Option<String> {
    body.match_indices(&format!("href=\"{prefix}")).find_map(|(i, _)| {
        let start = i + 6;
        let end = start + body[start..].find('"')?;
        let href = body[start..end].replace("&amp;", "&");
        let rest = &href[prefix.len()..];
        (!rest.is_empty() && !rest.starts_with("new") && !rest.starts_with('?')).then_some(href)
    })
}

async fn sign_in(c: &mut Client, email: &str) {
    c.get("/sign-in").await;
    let r = c.post_form("/sign-in", &[("email", email), ("password", DEMO_PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "sign in as {email}");
}

#[tokio::test]
async fn every_quality_page_renders_on_the_demo_council() {
    for store in caremarket_testkit::all_backends().await.expect("backends") {
        let backend = store.backend().name();
        generate(&store, &DemoOptions::as_at(caremarket_store::today())).await.expect("demo");
        let mut c = Client::new(store);
        sign_in(&mut c, "quality@demo.caremarket.test").await;
        let mut pages = Vec::new();
        for path in LISTS {
            let r = c.get(path).await;
            assert_eq!(r.status, StatusCode::OK, "{backend}: {path}");
            pages.push(r.body);
        }
        let all = pages.join("\n");
        for prefix in ["/quality/visits/", "/quality/actions/", "/quality/services/", "/services/", "/quality/themes/", "/quality/exits/"] {
            let href = first_link(&all, prefix).unwrap_or_else(|| panic!("{backend}: no link to a record under {prefix}"));
            let r = c.get(&href).await;
            assert_eq!(r.status, StatusCode::OK, "{backend}: {href}");
        }

        sign_in(&mut c, "provider@demo.caremarket.test").await;
        let actions = c.get("/portal/actions").await;
        assert_eq!(actions.status, StatusCode::OK, "{backend}: portal actions");
        let href = first_link(&actions.body, "/portal/actions/").unwrap_or_else(|| panic!("{backend}: the demo provider has no actions"));
        assert_eq!(c.get(&href).await.status, StatusCode::OK, "{backend}: {href}");
        assert_eq!(c.get("/portal/returns").await.status, StatusCode::OK, "{backend}: portal returns");
        assert_eq!(c.get("/quality").await.status, StatusCode::FORBIDDEN, "{backend}: providers are refused the dashboard");
    }
}
