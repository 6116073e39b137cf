//! Long lists page (issue 16 item 4): 50 rows a page, "Showing 51 to 100 of 120 signals", page
//! links that keep the filters, the last page for a page past the end, and a page that is not a
//! number refused by name. The expected rows are worked out here from the records the test makes.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::quality::SignalKind;
use caremarket_core::register::ServiceKind;
use caremarket_store::Actor;
use caremarket_store::quality::signals::NewSignal;
use caremarket_store::register::NewService;
use common::{Client, visible_text};

fn service(provider_id: &str) -> NewService {
    NewService {
        cqc_location_id: Some("1-1".into()),
        town: None,
        postcode: None,
        local_authority: None,
        beds: Some(30),
        ..caremarket_testkit::service(provider_id, "Rowan House", ServiceKind::CareHomeResidential)
    }
}

/// The `href` of the link whose visible text is `text`.
fn link(html: &str, text: &str) -> Option<String> {
    html.split("<a ").skip(1).find_map(|a| {
        let inner = a.split_once('>')?.1.split("</a>").next()?;
        if !visible_text(inner).trim().starts_with(text) {
            return None;
        }
        let href = a.split("href=\"").nth(1)?.split('"').next()?;
        Some(href.replace("&amp;", "&").replace("&#x2f;", "/"))
    })
}

#[tokio::test]
async fn signals_page_fifty_at_a_time_keeping_the_filter() {
    let mut c = Client::sqlite().await;
    let a = Actor::system("test");
    let p = c.store.create_provider(&a, None, "Rowan Ltd", None, None).await.expect("provider");
    let s = c.store.create_service(&a, &service(&p)).await.expect("service");
    let officer = c.user("quality@test", Role::QualityOfficer, None).await;
    let by = Actor::user(&officer, "quality@test");
    let today = caremarket_store::today();
    // 120 safeguarding concerns, one a day back from today, and 30 complaints that the filter
    // leaves out.
    const CONCERNS: usize = 120;
    let day = |i: usize| today.checked_sub(jiff::Span::new().days(i as i64)).expect("date");
    for i in 0..CONCERNS {
        let sg = NewSignal {
            service_id: s.clone(),
            kind: Some(SignalKind::Safeguarding),
            occurred_on: Some(day(i)),
            summary: format!("Concern number {i}"),
            ..Default::default()
        };
        c.store.record_signal(&by, &sg, today).await.expect("signal");
    }
    for i in 0..30 {
        let sg = NewSignal {
            service_id: s.clone(),
            kind: Some(SignalKind::Complaint),
            occurred_on: Some(day(i)),
            summary: format!("Complaint number {i}"),
            received_by: Some("provider".into()),
            ..Default::default()
        };
        c.store.record_signal(&by, &sg, today).await.expect("signal");
    }
    c.sign_in_as("quality@test").await;

    let first = c.get("/quality/signals?kind=safeguarding").await;
    first.assert_ok();
    let text = visible_text(&first.body);
    assert!(text.contains(&format!("Showing 1 to 50 of {CONCERNS} signals")), "{text}");
    assert!(text.contains("Concern number 0 ") && text.contains("Concern number 49 "), "{text}");
    assert!(!text.contains("Concern number 50 ") && !text.contains("Complaint number"), "{text}");
    // People by name, not by email address.
    assert!(text.contains("Test User") && !text.contains("quality@test"), "{text}");
    assert!(link(&first.body, "Previous").is_none());

    let next = link(&first.body, "Next").expect("a Next link on page 1");
    assert!(next.contains("kind=safeguarding") && next.contains("page=2"), "{next}");
    let second = c.get(&next).await;
    second.assert_ok();
    let text = visible_text(&second.body);
    assert!(text.contains(&format!("Showing 51 to 100 of {CONCERNS} signals")), "{text}");
    assert!(text.contains("Concern number 50 ") && text.contains("Concern number 99 "), "{text}");
    assert!(!text.contains("Concern number 49 ") && !text.contains("Complaint number"), "{text}");

    // The numbered link to the last page, with the filter kept.
    let last = link(&second.body, "3").expect("a link to page 3");
    assert!(last.contains("kind=safeguarding"), "{last}");
    let third = visible_text(&c.get(&last).await.body);
    assert!(third.contains(&format!("Showing 101 to {CONCERNS} of {CONCERNS} signals")), "{third}");
    assert!(third.contains("Concern number 119 "), "{third}");

    // A page past the end shows the last page; a page that is not a number is refused by name.
    let past = visible_text(&c.get("/quality/signals?kind=safeguarding&page=9").await.body);
    assert!(past.contains("Showing 101 to 120 of 120 signals"), "{past}");
    for bad in ["0", "two", "-1"] {
        let r = c.get(&format!("/quality/signals?page={bad}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "page={bad}");
        assert!(visible_text(&r.body).contains("page: enter a page number"), "{}", r.body);
    }

    // Every signal together: 150 in 3 pages, with no page summary past the list's length.
    let all = visible_text(&c.get("/quality/signals").await.body);
    assert!(all.contains(&format!("Showing 1 to 50 of {} signals", CONCERNS + 30)), "{all}");

    // The audit log's numbered page links lead to their page (they linked to ?page=%7Bpage%7D).
    let mut admin = Client::new(c.store.clone());
    admin.user("admin@test", Role::Admin, None).await;
    admin.sign_in_as("admin@test").await;
    let audit = admin.get("/admin/audit").await;
    audit.assert_ok();
    let two = link(&audit.body, "2").expect("a link to page 2 of the audit log");
    assert!(two.ends_with("page=2") && !two.contains('{') && !two.contains("%7B"), "{two}");
    let page2 = admin.get(&two).await;
    page2.assert_ok();
    assert!(page2.body.contains(r#"aria-label="Page 2" aria-current="page""#), "{}", page2.body);
}

#[tokio::test]
async fn a_short_list_has_no_pages() {
    let mut c = Client::sqlite().await;
    c.user("quality@test", Role::QualityOfficer, None).await;
    c.sign_in_as("quality@test").await;
    let r = c.get("/quality/signals").await;
    r.assert_ok();
    let text = visible_text(&r.body);
    assert!(!text.contains("Showing ") && !r.body.contains("govuk-pagination"), "{text}");
}

/// Pages name the person who recorded something, not their email address (issue 16 item 7):
/// signals, placement restrictions.
#[tokio::test]
async fn records_name_the_person_who_made_them() {
    let mut c = Client::sqlite().await;
    let a = Actor::system("test");
    let p = c.store.create_provider(&a, None, "Rowan Ltd", None, None).await.expect("provider");
    let s = c.store.create_service(&a, &service(&p)).await.expect("service");
    let (email, name) = ("p.shah@council.test", "Priya Shah");
    let id = c
        .store
        .create_user(
            &a,
            caremarket_store::users::NewUser {
                email,
                display_name: name,
                password: common::PASSWORD,
                role: Role::QualityOfficer,
                provider_id: None,
                must_change_password: false,
            },
        )
        .await
        .expect("user")
        .id;
    let by = Actor::user(&id, email);
    let today = caremarket_store::today();
    let sg = NewSignal {
        service_id: s.clone(),
        kind: Some(SignalKind::Safeguarding),
        occurred_on: Some(today),
        summary: "A concern".into(),
        ..Default::default()
    };
    c.store.record_signal(&by, &sg, today).await.expect("signal");
    let r = caremarket_store::restrictions::NewRestriction {
        service_id: s.clone(),
        kind: "embargo".into(),
        scope: None,
        reason: "Red on the framework".into(),
        starts_on: today,
        ends_on: None,
    };
    c.store.record_restriction(&by, &r).await.expect("restriction");
    c.user("comm@test", Role::Commissioner, None).await;
    c.sign_in_as("comm@test").await;
    for page in ["/quality/signals", "/capacity/restrictions"] {
        let r = c.get(page).await;
        r.assert_ok();
        let text = visible_text(&r.body);
        assert!(text.contains(name), "{page} does not name {name}: {text}");
        assert!(!text.contains(email), "{page} shows the email address: {text}");
    }
}

/// The watch list is cut into pages by the database (issue 18 item 3), in the list's own order:
/// highest score first, then by name compared byte by byte. Every service here is alike but for
/// its name, so each scores the same and the order is the names' byte order, worked out here.
#[tokio::test]
async fn the_watch_list_pages_in_score_then_name_order() {
    let mut c = Client::sqlite().await;
    let a = Actor::system("test");
    let p = c.store.create_provider(&a, None, "Rowan Ltd", None, None).await.expect("provider");
    const SERVICES: usize = 60;
    let prefixes = ["Ash", "ash", "Élan", "Zed", "birch"];
    let mut names = Vec::new();
    for i in 0..SERVICES {
        let name = format!("{} House {i:02}", prefixes[i % prefixes.len()]);
        let mut s = service(&p);
        s.cqc_location_id = Some(format!("1-{i}"));
        s.name = name.clone();
        c.store.create_service(&a, &s).await.expect("service");
        names.push(name);
    }
    names.sort_by(|x, y| x.as_bytes().cmp(y.as_bytes()));
    c.user("quality@test", Role::QualityOfficer, None).await;
    c.sign_in_as("quality@test").await;

    let first = c.get("/quality/watch-list").await;
    first.assert_ok();
    let text = visible_text(&first.body);
    assert!(text.contains(&format!("Showing 1 to 50 of {SERVICES} services")), "{text}");
    let shown = |text: &str, name: &str| text.contains(name);
    assert!(shown(&text, &names[0]) && shown(&text, &names[49]) && !shown(&text, &names[50]), "{text}");
    // The first row is the first name in byte order: capitals, then small letters, then accents.
    assert!(text.find(&names[0]) < text.find(&names[1]), "{text}");

    let next = link(&first.body, "Next").expect("a Next link on page 1");
    let second = visible_text(&c.get(&next).await.body);
    assert!(second.contains(&format!("Showing 51 to {SERVICES} of {SERVICES} services")), "{second}");
    for (i, name) in names.iter().enumerate() {
        assert_eq!(shown(&second, name), i >= 50, "{name} (row {}): {second}", i + 1);
    }
    assert!(second.find(&names[50]) < second.find(&names[59]), "{second}");
}

/// The dashboard lists the changes of CQC overall rating 50 at a time, newest first, so it does
/// not grow with the register (a national register has thousands in 90 days): the figure above
/// still counts every service whose rating changed, and the page links land on the list and keep
/// the dates chosen. The expected order is worked out here from the ratings the test records.
#[tokio::test]
async fn the_dashboard_lists_rating_changes_fifty_at_a_time_newest_first() {
    use caremarket_core::register::Rating;
    use caremarket_store::register::RatingRecord;
    let mut c = Client::sqlite().await;
    let a = Actor::system("test");
    let today = caremarket_store::today();
    let day = |i: i64| today.checked_sub(jiff::Span::new().days(i)).expect("date");
    // 53 homes, each rated Good 400 days ago and Requires improvement `i + 1` days ago: 53
    // changes in the last 90 days, each on its own day. Three more homes keep their rating.
    const CHANGED: usize = 53;
    let mut changes: Vec<(String, caremarket_core::Date)> = Vec::new();
    for i in 0..CHANGED + 3 {
        let name = format!("Home {i:02}");
        let p = c.store.create_provider(&a, None, &format!("{name} Ltd"), None, None).await.expect("provider");
        let s = c
            .store
            .create_service(&a, &NewService { cqc_location_id: Some(format!("1-{i}")), name: name.clone(), ..service(&p) })
            .await
            .expect("service");
        c.store
            .add_rating(&a, &s, &RatingRecord { overall: Some(Rating::Good), report_date: Some(day(400)), ..Default::default() }, "test")
            .await
            .expect("rating");
        if i < CHANGED {
            let on = day(i as i64 + 1);
            let r = RatingRecord { overall: Some(Rating::RequiresImprovement), report_date: Some(on), ..Default::default() };
            c.store.add_rating(&a, &s, &r, "test").await.expect("rating");
            changes.push((name, on));
        }
    }
    // Newest first.
    changes.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    c.user("comm@test", Role::Commissioner, None).await;
    c.sign_in_as("comm@test").await;

    let first = c.get("/dashboard").await;
    first.assert_ok();
    let text = visible_text(&first.body);
    assert!(text.contains(&format!("{CHANGED} services whose CQC overall rating changed")), "{text}");
    assert!(text.contains(&format!("Showing 1 to 50 of {CHANGED} changes of rating")), "{text}");
    let table = first.body.split("id=\"changes\"").nth(1).expect("the changes heading");
    let rows = |table: &str| -> Vec<String> {
        table.split("</table>").next().unwrap_or_default().split("<tr").skip(2).map(visible_text).collect()
    };
    let shown = rows(table);
    assert_eq!(shown.len(), 50, "{shown:?}");
    for (row, (name, on)) in shown.iter().zip(&changes) {
        assert!(row.contains(name.as_str()) && row.contains(&on.strftime("%-d %B %Y").to_string()), "{row} is not {name} on {on}");
    }

    let next = link(&first.body, "Next").expect("a Next link under the changes");
    assert!(next.starts_with("/dashboard?") && next.contains("page=2") && next.ends_with("#changes"), "{next}");
    let second = c.get(next.trim_end_matches("#changes")).await;
    second.assert_ok();
    let text = visible_text(&second.body);
    assert!(text.contains(&format!("Showing 51 to {CHANGED} of {CHANGED} changes of rating")), "{text}");
    let shown = rows(second.body.split("id=\"changes\"").nth(1).expect("the changes heading"));
    let expected: Vec<&str> = changes[50..].iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(shown.len(), expected.len(), "{shown:?}");
    for (row, name) in shown.iter().zip(&expected) {
        assert!(row.contains(name), "{row} is not {name}");
    }
    // The figures above the list are the same on every page.
    assert!(text.contains(&format!("{CHANGED} services whose CQC overall rating changed")), "{text}");

    // A later "since" date lists only its changes: the 30 of the last 30 days fit one page.
    let since = day(30);
    let chosen = c
        .get(&format!(
            "/dashboard?changes_since-day={}&changes_since-month={}&changes_since-year={}",
            since.day(),
            since.month(),
            since.year()
        ))
        .await;
    chosen.assert_ok();
    let in_30_days = changes.iter().filter(|(_, on)| *on >= since).count();
    let text = visible_text(&chosen.body);
    assert!(text.contains(&format!("{in_30_days} services whose CQC overall rating changed")), "{text}");
    assert!(!text.contains("Showing ") && !chosen.body.contains("govuk-pagination"), "30 changes fit one page: {text}");

    let bad = c.get("/dashboard?page=two").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(visible_text(&bad.body).contains("page: enter a page number from 1 to 2"), "{}", bad.body);
}
