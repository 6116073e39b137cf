//! Figures kept, not recomputed (issue 18 item 2), through the web: the watch list, the quality
//! dashboard and the market dashboard say when their figures were computed, a signal recorded
//! through the form shows on the watch list at once, and only permitted roles see the pages.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::register::ServiceKind;
use caremarket_store::quality::score::WatchFilter;
use caremarket_store::register::NewService;
use caremarket_store::{Actor, today};
use caremarket_web::computed_at;
use common::Client;

fn home(provider_id: &str, name: &str) -> NewService {
    NewService {
        cqc_location_id: Some("1-77".into()),
        beds: Some(10),
        ..caremarket_testkit::service(provider_id, name, ServiceKind::CareHomeResidential)
    }
}

/// The text a page shows for a kept figure computed at `ts`.
fn as_at(what: &str, ts: &str) -> String {
    format!("{what} as at {}", computed_at(ts, today()))
}

#[tokio::test]
async fn the_watch_list_and_dashboards_say_when_their_figures_were_computed() {
    let mut c = Client::sqlite().await;
    let a = Actor::system("test");
    let p = c.store.create_provider(&a, None, "Homes Ltd", None, None).await.expect("provider");
    let rowan = c.store.create_service(&a, &home(&p, "Rowan House")).await.expect("home");
    c.user("quality@test", Role::QualityOfficer, None).await;
    c.user("commissioner@test", Role::Commissioner, None).await;
    c.user("provider@test", Role::Provider, Some(&p)).await;
    c.sign_in_as("quality@test").await;

    let page = c.get("/quality/watch-list").await;
    page.assert_ok();
    let kept = c.store.kept_watch_list(today(), &WatchFilter::default(), 1).await.expect("kept");
    assert!(page.contains(&as_at("Scores", &kept.computed_at)), "{}", page.body);
    assert!(page.contains("They are worked out again whenever a record behind them changes."));
    assert!(page.contains("today"), "computed today: {}", page.body);
    let before = kept.value[0].total;

    // A safeguarding concern recorded through the form shows on the next read, with a new time.
    let y = today();
    let (d, m, yr) = (y.day().to_string(), y.month().to_string(), y.year().to_string());
    let r = c
        .post_form(
            "/quality/signals/new",
            &[
                ("service_id", &rowan),
                ("kind", "safeguarding"),
                ("occurred_on-day", &d),
                ("occurred_on-month", &m),
                ("occurred_on-year", &yr),
                ("summary", "Concern about medication"),
            ],
        )
        .await;
    assert!(r.status.is_redirection(), "{}: {}", r.status, r.body);
    let page = c.get("/quality/watch-list").await;
    page.assert_ok();
    let after = c.store.kept_watch_list(today(), &WatchFilter::default(), 1).await.expect("kept");
    assert!(after.version > kept.version, "the signal made the kept scores stale");
    assert!(after.value[0].total > before, "{} then {}", before, after.value[0].total);
    assert!(page.contains(&format!(">{}<", after.value[0].total)), "the new score is shown: {}", page.body);
    assert!(page.contains(&as_at("Scores", &after.computed_at)), "{}", page.body);

    // The quality dashboard: its figures and its top ten, each with when computed.
    let dash = c.get("/quality").await;
    dash.assert_ok();
    let from = jiff::civil::Date::new(today().year(), 1, 1).expect("date");
    let figures = c.store.kept_quality_figures(today(), from, today()).await.expect("figures");
    assert!(dash.contains(&as_at("Figures", &figures.computed_at)), "{}", dash.body);
    assert!(dash.contains(&as_at("Scores", &after.computed_at)), "{}", dash.body);

    // The market dashboard.
    c.sign_in_as("commissioner@test").await;
    let market = c.get("/dashboard").await;
    market.assert_ok();
    assert!(market.contains("Figures as at ") && market.contains(" today. They are worked out again"), "{}", market.body);

    // A provider reaches none of the quality pages.
    c.sign_in_as("provider@test").await;
    for path in ["/quality/watch-list", "/quality"] {
        let r = c.get(path).await;
        assert!(r.status == StatusCode::FORBIDDEN || r.status.is_redirection(), "{path}: {}", r.status);
    }
}
