//! Signals, monthly returns and the watch list through the web: forms refuse bad input naming the
//! field, viewers and brokerage cannot see signals but can see the watch list and scores, and a
//! provider sends returns for its own services only and cannot reach /quality pages.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::quality::SignalKind;
use caremarket_core::register::{Rating, ServiceKind};
use caremarket_store::quality::signals::SignalFilter;
use caremarket_store::register::{NewService, RatingRecord};
use caremarket_store::{Actor, Store};
use common::Client;

fn service(provider_id: &str, name: &str, kind: ServiceKind, loc: &str) -> NewService {
    NewService {
        cqc_location_id: Some(loc.into()),
        beds: if kind.is_care_home() { Some(30) } else { None },
        ..caremarket_testkit::service(provider_id, name, kind)
    }
}

struct World {
    mine: String,
    my_home: String,
    their_care: String,
}

async fn world(c: &Client) -> World {
    let a = Actor::system("test");
    let mine = c.store.create_provider(&a, None, "Mine Ltd", None, None).await.expect("p");
    let theirs = c.store.create_provider(&a, None, "Theirs Ltd", None, None).await.expect("p");
    let my_home = c.store.create_service(&a, &service(&mine, "Rowan House", ServiceKind::CareHomeResidential, "1-11")).await.expect("s");
    let their_care = c.store.create_service(&a, &service(&theirs, "Willow Home Care", ServiceKind::HomeCare, "1-22")).await.expect("s");
    c.store
        .add_rating(
            &a,
            &their_care,
            &RatingRecord {
                overall: Some(Rating::Inadequate),
                safe: Some(Rating::Inadequate),
                well_led: Some(Rating::Inadequate),
                report_date: Some(caremarket_store::today()),
                ..Default::default()
            },
            "test",
        )
        .await
        .expect("rating");
    c.user("quality@test", Role::QualityOfficer, None).await;
    c.user("viewer@test", Role::Viewer, None).await;
    c.user("brokerage@test", Role::BrokerageOfficer, None).await;
    c.user("provider@test", Role::Provider, Some(&mine)).await;
    World { mine, my_home, their_care }
}

fn yesterday() -> jiff::civil::Date {
    caremarket_store::today().yesterday().expect("date")
}

#[tokio::test]
async fn an_officer_records_a_signal_and_errors_name_the_fields() {
    let mut c = Client::sqlite().await;
    let w = world(&c).await;
    c.sign_in_as("quality@test").await;
    c.get("/quality/signals/new").await.assert_ok();
    // Nothing filled in: every required field is named.
    let r = c.post_form("/quality/signals/new", &[("service_id", ""), ("kind", "")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    for (anchor, msg) in [
        ("#service_id", "Choose the service"),
        ("#kind", "Choose what kind of signal this is"),
        ("#occurred_on-day", "Enter the date it happened or was received"),
        ("#summary", "Enter a summary"),
    ] {
        assert!(r.contains(&format!("href=\"{anchor}\"")) && r.contains(msg), "{anchor}: {}", r.body);
    }
    // A complaint needs who received it; a future date is refused.
    let tomorrow = caremarket_store::today().tomorrow().expect("date");
    let (d, m, y) = (tomorrow.day().to_string(), tomorrow.month().to_string(), tomorrow.year().to_string());
    let r = c
        .post_form(
            "/quality/signals/new",
            &[
                ("service_id", &w.my_home),
                ("kind", "complaint"),
                ("occurred_on-day", &d),
                ("occurred_on-month", &m),
                ("occurred_on-year", &y),
                ("summary", "Missing laundry"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("Choose who received the complaint"), "{}", r.body);
    let r = c
        .post_form(
            "/quality/signals/new",
            &[
                ("service_id", &w.my_home),
                ("kind", "complaint"),
                ("occurred_on-day", &d),
                ("occurred_on-month", &m),
                ("occurred_on-year", &y),
                ("summary", "Missing laundry"),
                ("received_by", "council"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("href=\"#occurred_on-day\"") && r.contains("must be today or in the past"), "{}", r.body);
    let long = "x".repeat(501);
    let y1 = yesterday();
    let (d, m, y) = (y1.day().to_string(), y1.month().to_string(), y1.year().to_string());
    let r = c
        .post_form(
            "/quality/signals/new",
            &[
                ("service_id", &w.my_home),
                ("kind", "safeguarding"),
                ("occurred_on-day", &d),
                ("occurred_on-month", &m),
                ("occurred_on-year", &y),
                ("summary", &long),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("Summary must be 500 characters or fewer"));
    assert!(c.store.signals(&SignalFilter::default()).await.expect("signals").iter().all(|s| s.kind == SignalKind::RatingChange));
    // A good complaint is saved and shows on the list and the service's quality tab.
    let r = c
        .post_form(
            "/quality/signals/new",
            &[
                ("service_id", &w.my_home),
                ("kind", "complaint"),
                ("occurred_on-day", &d),
                ("occurred_on-month", &m),
                ("occurred_on-year", &y),
                ("summary", "Call bell not answered promptly"),
                ("received_by", "council"),
                ("resolved_in_house", "no"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let list = c.get("/quality/signals?kind=complaint").await;
    list.assert_ok();
    assert!(list.contains("Call bell not answered promptly") && list.contains("Rowan House"));
    assert!(list.contains("1 complaint, 1 via the council, 0 resolved in house, 1 not resolved in house"), "{}", list.body);
    let tab = c.get(&format!("/services/{}/quality", w.my_home)).await;
    tab.assert_ok();
    assert!(tab.contains("Call bell not answered promptly") && tab.contains("Early-warning score"), "{}", tab.body);
    // The watch list ranks the Inadequate service first and links to its explanation.
    let watch = c.get("/quality/watch-list").await;
    watch.assert_ok();
    let (willow, rowan) = (watch.body.find("Willow Home Care").expect("willow"), watch.body.find("Rowan House").expect("rowan"));
    assert!(willow < rowan, "ranked by score");
    assert!(watch.contains(&format!("/quality/services/{}/score", w.their_care)));
    assert!(watch.contains("Overall rated Inadequate: +25"));
}

#[tokio::test]
async fn viewers_and_brokerage_see_the_watch_list_but_not_signals() {
    let mut c = Client::sqlite().await;
    let w = world(&c).await;
    for who in ["viewer@test", "brokerage@test"] {
        c.sign_in_as(who).await;
        assert_eq!(c.get("/quality/signals").await.status, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(c.get("/quality/signals/new").await.status, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(c.get("/quality/returns").await.status, StatusCode::FORBIDDEN, "{who}");
        let r = c.post_form("/quality/signals/new", &[("service_id", &w.my_home), ("kind", "complaint")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
        c.get("/quality/watch-list").await.assert_ok();
        let score = c.get(&format!("/quality/services/{}/score", w.their_care)).await;
        score.assert_ok();
        assert!(score.contains("Safe rated Inadequate: +15") && score.contains("Very high risk"), "{}", score.body);
        // The quality tab shows the score but not the signals.
        let tab = c.get(&format!("/services/{}/quality", w.my_home)).await;
        tab.assert_ok();
        assert!(tab.contains("Early-warning score") && !tab.contains("Signals in the last"), "{who}");
    }
}

/// Sign in on a fresh router over the same store, open `page` for its CSRF token, and post `csv`
/// to `action` as a browser would.
async fn upload(store: &Store, email: &str, page: &str, action: &str, csv: &str, token_override: Option<&str>) -> (StatusCode, String) {
    let r = common::upload_csv(store, email, page, action, "returns.csv", csv, token_override).await;
    (r.status, r.body)
}

#[tokio::test]
async fn a_provider_sends_returns_for_its_own_services_only() {
    let mut c = Client::sqlite().await;
    let w = world(&c).await;
    let month = {
        let t = caremarket_store::today().first_of_month().yesterday().expect("date");
        format!("{:04}-{:02}", t.year(), t.month())
    };
    // A CSV row for another provider's service is refused, naming the row; nothing is saved.
    let csv = format!("CQC_Location_ID,Month,Complaints,Staff_In_Post,Staff_Vacancies\n1-11,{month},2,20,5\n1-22,{month},1,10,0\n");
    let (status, body) = upload(&c.store, "provider@test", "/portal/returns", "/portal/returns/upload", &csv, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body.contains("row 3: &#x27;cqc_location_id&#x27; &#x27;1-22&#x27; is not one of your services")
            || body.contains("row 3: 'cqc_location_id' '1-22' is not one of your services"),
        "{body}"
    );
    assert!(c.store.monthly_returns(None, None, 10).await.expect("returns").is_empty());
    // Without the CSRF token the upload is refused.
    let (status, _) = upload(&c.store, "provider@test", "/portal/returns", "/portal/returns/upload", "x", Some("wrong-token")).await;
    assert!(status == StatusCode::FORBIDDEN || status == StatusCode::BAD_REQUEST, "{status}");
    // Its own rows are saved.
    let csv = format!("cqc_location_id,month,complaints,staff_in_post,staff_vacancies\n1-11,{month},2,20,5\n");
    let (status, body) = upload(&c.store, "provider@test", "/portal/returns", "/portal/returns/upload", &csv, None).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let saved = c.store.monthly_returns(None, None, 10).await.expect("returns");
    assert_eq!((saved.len(), saved[0].vacancy_rate, saved[0].submitted_by_kind.as_str()), (1, Some(20), "provider"));

    c.sign_in_as("provider@test").await;
    let page = c.get("/portal/returns").await;
    page.assert_ok();
    assert!(page.contains("Rowan House") && !page.contains("Willow Home Care"), "only its own services are offered");
    // The one-month form: errors name the fields; another provider's service is refused.
    let r = c.post_form("/portal/returns", &[("service_id", ""), ("month", ""), ("complaints", "two")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.contains("href=\"#service_id\"") && r.contains("href=\"#month\"") && r.contains("Complaints received must be a whole number"),
        "{}",
        r.body
    );
    let r = c.post_form("/portal/returns", &[("service_id", &w.their_care), ("month", &month), ("complaints", "1")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("Choose one of your services"));
    let r = c.post_form("/portal/returns", &[("service_id", &w.my_home), ("month", "2999-01"), ("complaints", "1")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("must not be in the future"), "{}", r.body);
    let r = c
        .post_form(
            "/portal/returns",
            &[
                ("service_id", &w.my_home),
                ("month", &month),
                ("complaints", "3"),
                ("complaints_via_council", "2"),
                ("complaints_resolved_in_house", "2"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("more than the 3 complaints"), "{}", r.body);
    let r = c
        .post_form(
            "/portal/returns",
            &[("service_id", &w.my_home), ("month", &month), ("complaints", "4"), ("complaints_resolved_in_house", "4")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let saved = c.store.monthly_returns(Some(&w.my_home), None, 10).await.expect("returns");
    assert_eq!((saved.len(), saved[0].complaints), (1, 4), "the resubmitted month replaced the earlier return");
    let _ = w.mine;
    // No /quality pages for providers.
    for path in ["/quality/signals", "/quality/watch-list", "/quality/returns", &format!("/quality/services/{}/score", w.my_home)] {
        assert_eq!(c.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
}

#[tokio::test]
async fn an_officer_upload_lists_every_bad_row() {
    let mut c = Client::sqlite().await;
    let w = world(&c).await;
    let csv = "service_id,month,complaints,complaints_via_council,complaints_resolved_in_house\nnope,2024-01,1,0,0\n".to_string()
        + &format!("{},2024-01,1,1,1\n{},2024-02,x,0,0\n", w.my_home, w.my_home);
    let (status, body) = upload(&c.store, "quality@test", "/quality/returns", "/quality/returns/upload", &csv, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    for row in ["row 2", "row 3", "row 4"] {
        assert!(body.contains(row), "{row}: {body}");
    }
    assert!(c.store.monthly_returns(None, None, 10).await.expect("returns").is_empty());
    let csv = format!("service_id,month,complaints\n{},2024-01,1\n{},2024-02,0\n", w.my_home, w.their_care);
    let (status, body) = upload(&c.store, "quality@test", "/quality/returns", "/quality/returns/upload", &csv, None).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(c.store.monthly_returns(None, None, 10).await.expect("returns").len(), 2);
    c.sign_in_as("quality@test").await;
    let page = c.get("/quality/returns?saved=2").await;
    page.assert_ok();
    assert!(page.contains("2 monthly returns saved") && page.contains("Rowan House") && page.contains("Willow Home Care"), "{}", page.body);
    // The complaints line from returns counts whole months in the period.
    let signals = c.get("/quality/signals?from-day=1&from-month=1&from-year=2024&to-day=31&to-month=1&to-year=2024").await;
    signals.assert_ok();
    assert!(signals.contains("1 complaint, 0 via the council, 0 resolved in house (1 return from 1 service;"), "{}", signals.body);
}
