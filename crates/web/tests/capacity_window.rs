//! Care home returns as the Capacity Tracker runs them (issue 16 item 15), through the router:
//! a home closed to admissions (by an officer, or by its provider in the portal) drops out of the
//! bed finder and shows on the occupancy pages until it reopens; a week's return window lists the
//! homes that missed it, and chasing them emails their providers' portal users and is recorded.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::register::ServiceKind;
use caremarket_store::Actor;
use caremarket_store::capacity::NewVacancyReturn;
use caremarket_store::register::NewService;
use common::{Client, visible_text};
use jiff::civil::Date;

fn home(provider_id: &str, name: &str) -> NewService {
    NewService { town: None, beds: Some(30), ..caremarket_testkit::service(provider_id, name, ServiceKind::CareHomeResidential) }
}

fn days(n: i64) -> jiff::Span {
    jiff::Span::new().days(n)
}

fn long(d: Date) -> String {
    d.strftime("%-d %B %Y").to_string()
}

async fn returned(c: &Client, id: &str, on: Date) {
    let lines = vec![caremarket_core::capacity::vacancies::VacancyLine {
        bed_type: caremarket_core::capacity::vacancies::BedType::GeneralResidential,
        occupied: 26,
        vacant: 4,
    }];
    c.store
        .submit_vacancy_return(
            &Actor::system("test"),
            &NewVacancyReturn { service_id: id.into(), return_date: on, lines, source: "portal" },
            caremarket_store::today(),
        )
        .await
        .expect("return");
}

async fn post(c: &mut Client, path: &str, pairs: &[(String, String)]) -> common::Res {
    let v: Vec<(&str, &str)> = pairs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    c.post_form(path, &v).await
}

fn kv(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}

fn date_fields(name: &str, d: Date) -> Vec<(String, String)> {
    vec![
        kv(&format!("{name}-day"), &d.day().to_string()),
        kv(&format!("{name}-month"), &d.month().to_string()),
        kv(&format!("{name}-year"), &d.year().to_string()),
    ]
}

#[tokio::test]
async fn a_home_closed_to_admissions_leaves_the_bed_finder_until_it_reopens() {
    let mut c = Client::sqlite().await;
    let a = Actor::system("test");
    let today = caremarket_store::today();
    let p = c.store.create_provider(&a, None, "Oak Homes Ltd", None, None).await.expect("provider");
    let q = c.store.create_provider(&a, None, "Elm Care Ltd", None, None).await.expect("provider");
    let oak = c.store.create_service(&a, &home(&p, "Oak House")).await.expect("home");
    let elm = c.store.create_service(&a, &home(&q, "Elm House")).await.expect("home");
    returned(&c, &oak, today).await;
    returned(&c, &elm, today).await;
    c.user_named("broker@test", "Bev Broker", Role::BrokerageOfficer, None).await;
    c.user("dp@test", Role::DirectPaymentsOfficer, None).await;
    c.user("elm@test", Role::Provider, Some(&q)).await;

    c.sign_in_as("broker@test").await;
    let finder = c.get("/brokerage/care-homes?bed_type=general_residential").await;
    assert!(finder.contains("Oak House") && finder.contains("Elm House"));
    let page = c.get("/capacity/closures").await;
    page.assert_ok();
    assert!(visible_text(&page.body).contains("No care home is closed to admissions."));

    // Nothing chosen: every missing field named, nothing written.
    let r = post(&mut c, "/capacity/closures", &[kv("service_id", ""), kv("reason", "")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let text = visible_text(&r.body);
    for m in ["Choose the care home", "Select why the home is closed to admissions", "Enter the date the home closed to admissions"] {
        assert!(text.contains(m), "{m}: {text}");
    }
    assert!(r.contains("href=\"#closed_on-day\""), "the summary links to the date's day field");
    assert!(c.store.open_admission_closures().await.expect("open").is_empty());

    // Oak House closes today for an outbreak, expecting to reopen in 14 days.
    let mut f = vec![kv("service_id", &oak), kv("reason", "infection_outbreak"), kv("note", "Norovirus on the ground floor")];
    f.extend(date_fields("closed_on", today));
    f.extend(date_fields("expected_reopening", today.checked_add(days(14)).expect("date")));
    let r = post(&mut c, "/capacity/closures", &f).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = c.get(r.location.as_deref().expect("redirect")).await;
    let text = visible_text(&page.body);
    assert!(text.contains("The home is recorded as closed to admissions"), "{text}");
    assert!(text.contains("Closed now or planned (1)"));
    assert!(text.contains("Oak House") && text.contains("Infection outbreak") && text.contains("Norovirus on the ground floor"));
    assert!(text.contains(&format!("since {}", long(today))) && text.contains("Bev Broker"), "{text}");

    // Out of the bed finder, named below it; flagged on the occupancy pages.
    let finder = visible_text(&c.get("/brokerage/care-homes?bed_type=general_residential").await.body);
    let listed = &finder[..finder.find("Not shown").expect("closed homes named")];
    assert!(listed.contains("Elm House") && !listed.contains("Oak House"), "{finder}");
    let named = &finder[finder.find("Not shown").expect("closed homes named")..];
    assert!(
        named.contains("Oak House") && named.contains(&format!("Closed to admissions since {}: Infection outbreak", long(today))),
        "{finder}"
    );
    assert!(visible_text(&c.get("/capacity").await.body).contains("Closed to admissions (1)"));
    let closed = visible_text(&c.get("/capacity/homes?flag=closed").await.body);
    assert!(
        closed.contains("Care homes: closed to admissions") && closed.contains("Oak House") && !closed.contains("Elm House"),
        "{closed}"
    );

    // A second closure of the same home is refused, naming the first.
    let mut f = vec![kv("service_id", &oak), kv("reason", "staffing")];
    f.extend(date_fields("closed_on", today));
    let r = post(&mut c, "/capacity/closures", &f).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(visible_text(&r.body).contains(&format!("Oak House is already closed to admissions (since {})", long(today))));

    // A direct payments officer sees the list but may not record or reopen.
    let id = c.store.open_admission_closures().await.expect("open")[0].id.clone();
    let mut dp = c.sibling();
    dp.sign_in_as("dp@test").await;
    dp.get("/capacity/closures").await.assert_ok();
    assert_eq!(post(&mut dp, "/capacity/closures", &f).await.status, StatusCode::FORBIDDEN);
    assert_eq!(post(&mut dp, &format!("/capacity/closures/{id}/reopen"), &[]).await.status, StatusCode::FORBIDDEN);

    // Elm's provider, in the portal: sees only its own homes, cannot close or reopen Oak House.
    let mut elm_user = c.sibling();
    elm_user.sign_in_as("elm@test").await;
    let portal = elm_user.get("/portal/capacity/closures").await;
    portal.assert_ok();
    let text = visible_text(&portal.body);
    assert!(text.contains("No care home is closed to admissions.") && !text.contains("Oak House"), "{text}");
    let mut f = vec![kv("service_id", &oak), kv("reason", "staffing")];
    f.extend(date_fields("closed_on", today));
    let r = post(&mut elm_user, "/portal/capacity/closures", &f).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(visible_text(&r.body).contains("Choose one of your own care homes"));
    assert_eq!(post(&mut elm_user, &format!("/portal/capacity/closures/{id}/reopen"), &[]).await.status, StatusCode::NOT_FOUND);
    let mut f = vec![kv("service_id", &elm), kv("reason", "staffing")];
    f.extend(date_fields("closed_on", today));
    let r = post(&mut elm_user, "/portal/capacity/closures", &f).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let elm_id = c.store.open_admission_closures().await.expect("open").into_iter().find(|x| x.service_id == elm).expect("elm").id;
    assert_eq!(c.store.admission_closure(&elm_id).await.expect("closure").source, "portal");

    // Both reopen: back in the bed finder.
    let r = post(&mut c, &format!("/capacity/closures/{id}/reopen"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = visible_text(&c.get(r.location.as_deref().expect("redirect")).await.body);
    assert!(page.contains("The home is recorded as open to admissions again") && page.contains("Reopened in the last 90 days"));
    assert_eq!(post(&mut elm_user, &format!("/portal/capacity/closures/{elm_id}/reopen"), &[]).await.status, StatusCode::SEE_OTHER);
    let finder = visible_text(&c.get("/brokerage/care-homes?bed_type=general_residential").await.body);
    assert!(finder.contains("Oak House") && finder.contains("Elm House") && !finder.contains("Not shown"), "{finder}");
}

#[tokio::test]
async fn homes_that_missed_the_window_are_listed_and_chased_by_email() {
    let mut c = Client::sqlite().await;
    let a = Actor::system("test");
    let today = caremarket_store::today();
    // Two weeks before this week's Monday: a week whose window (Monday to Wednesday) has closed.
    let monday = today.checked_sub(days(14 + i64::from(today.weekday().to_monday_zero_offset()))).expect("date");
    let p = c.store.create_provider(&a, None, "Oak Homes Ltd", None, None).await.expect("provider");
    let q = c.store.create_provider(&a, None, "No Portal Ltd", None, None).await.expect("provider");
    let on_time = c.store.create_service(&a, &home(&p, "Prompt House")).await.expect("home");
    let late = c.store.create_service(&a, &home(&p, "Tardy House")).await.expect("home");
    let missed = c.store.create_service(&a, &home(&p, "Silent House")).await.expect("home");
    let missed_no_portal = c.store.create_service(&a, &home(&q, "Quiet House")).await.expect("home");
    returned(&c, &on_time, monday.checked_add(days(1)).expect("tuesday")).await;
    returned(&c, &late, monday.checked_add(days(4)).expect("friday")).await;
    returned(&c, &missed_no_portal, monday.checked_sub(days(5)).expect("the week before")).await;
    c.user("oak1@test", Role::Provider, Some(&p)).await;
    c.user("oak2@test", Role::Provider, Some(&p)).await;
    c.user_named("broker@test", "Bev Broker", Role::BrokerageOfficer, None).await;
    c.user("viewer@test", Role::Viewer, None).await;
    c.sign_in_as("broker@test").await;

    let path = format!("/capacity/returns/missing?week={monday}");
    let page = c.get(&path).await;
    page.assert_ok();
    let text = visible_text(&page.body);
    assert!(text.contains(&format!("Vacancy returns for the week of {}", long(monday))), "{text}");
    let wednesday = monday.checked_add(days(2)).expect("wednesday");
    assert!(text.contains(&format!("to the end of Wednesday {}", long(wednesday))), "{text}");
    // Worked out from the returns above: one on the Tuesday (in the window), one on the Friday
    // (late), two with nothing that week.
    assert!(text.contains("Care homes 4") && text.contains("Returned in the window 1"), "{text}");
    assert!(text.contains("Returned late 1") && text.contains("Missed the window 2"), "{text}");
    let table = &text[text.find("Chased").expect("table")..];
    assert!(table.contains("Silent House") && table.contains("Quiet House"), "{table}");
    assert!(!table.contains("Prompt House") && !table.contains("Tardy House"), "only the missed by default: {table}");
    let all = visible_text(&c.get(&format!("{path}&show=all")).await.body);
    assert!(all.contains("Prompt House") && all.contains("Returned late"), "{all}");

    // Nothing selected: said, nothing sent.
    let r = post(&mut c, "/capacity/returns/missing", &[kv("week", &monday.to_string())]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(visible_text(&r.body).contains("Select the homes to chase"));
    assert!(c.mails().is_empty());

    // Chase both, and (from a stale page) the late home too, which is left alone.
    let f = [
        kv("week", &monday.to_string()),
        kv("service_id", &missed),
        kv("service_id", &missed_no_portal),
        kv("service_id", &late),
        kv("note", "Please send it by noon"),
    ];
    let r = post(&mut c, "/capacity/returns/missing", &f).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let text = visible_text(&c.get(r.location.as_deref().expect("redirect")).await.body);
    assert!(text.contains("2 homes chased: 2 emails sent. 1 home has no provider portal account to email: phone them"), "{text}");
    assert!(text.contains(&format!("{} by Bev Broker (2 emails)", long(today))), "{text}");
    assert!(text.contains(&format!("{} by Bev Broker (no portal account to email)", long(today))), "{text}");
    let mails = c.mails();
    assert_eq!(mails.len(), 2, "one to each of Oak Homes' two portal users");
    for m in &mails {
        assert!(m.contains("Subject: Vacancy return missing: Silent House"), "{m}");
        assert!(m.contains(&format!("for the week starting {}", long(monday))) && m.contains("Please send it by noon"), "{m}");
    }
    assert!(!c.store.return_chases(monday).await.expect("chases").contains_key(&late));

    // A viewer sees the list but may not chase or change the window.
    let mut v = c.sibling();
    v.sign_in_as("viewer@test").await;
    let page = v.get(&path).await;
    page.assert_ok();
    assert!(!page.contains("Email a reminder"));
    assert_eq!(post(&mut v, "/capacity/returns/missing", &f).await.status, StatusCode::FORBIDDEN);
    assert_eq!(post(&mut v, "/capacity/settings", &[kv("closes_on", "friday")]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(v.get("/capacity/settings").await.status, StatusCode::FORBIDDEN);
    // A week that has not started yet is refused, naming the parameter.
    let next_week = today.checked_add(days(7)).expect("date");
    let r = v.get(&format!("/capacity/returns/missing?week={next_week}")).await;
    assert!(visible_text(&r.body).contains("The week must be this week or an earlier one"));
}

#[tokio::test]
async fn the_council_sets_the_capacity_thresholds_and_the_return_window_on_a_page() {
    let mut c = Client::sqlite().await;
    let a = Actor::system("test");
    let today = caremarket_store::today();
    let p = c.store.create_provider(&a, None, "Oak Homes Ltd", None, None).await.expect("provider");
    let oak = c.store.create_service(&a, &home(&p, "Oak House")).await.expect("home");
    // 20 days old: stale by the default 14 days, not by 30.
    returned(&c, &oak, today.checked_sub(days(20)).expect("date")).await;
    c.user("commissioner@test", Role::Commissioner, None).await;
    c.sign_in_as("commissioner@test").await;
    let page = c.get("/capacity/settings").await;
    page.assert_ok();
    assert!(page.contains("value=\"14\"") && page.contains("value=\"80\""), "the current values are shown");
    assert!(visible_text(&c.get("/capacity/homes?flag=stale").await.body).contains("Oak House"));

    // Out of range and not a number: each field named, nothing saved.
    let r =
        post(&mut c, "/capacity/settings", &[kv("stale_after_days", "0"), kv("low_occupancy_percent", "lots"), kv("closes_on", "someday")])
            .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("<title>Error: Capacity settings"), "the title says Error once");
    let text = visible_text(&r.body);
    for m in [
        "The days after which a return is stale must be from 1 to 90",
        "The low occupancy threshold must be a whole number, like 12",
        "Select the day returns are due by",
    ] {
        assert!(text.contains(m), "{m}: {text}");
    }
    let at = |m: &str| text.find(m).expect("message");
    assert!(at("must be from 1 to 90") < at("must be a whole number"), "the summary follows the form's order: {text}");
    assert!(c.store.setting("capacity_return_window").await.expect("setting").is_none());

    let r =
        post(&mut c, "/capacity/settings", &[kv("stale_after_days", "30"), kv("low_occupancy_percent", "85"), kv("closes_on", "friday")])
            .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let text = visible_text(&c.get(r.location.as_deref().expect("redirect")).await.body);
    assert!(text.contains("Capacity settings saved"), "{text}");
    // The pages follow: Oak House's 20-day-old return is no longer stale, and the week's
    // window now closes on Friday.
    assert!(!visible_text(&c.get("/capacity/homes?flag=stale").await.body).contains("Oak House"));
    assert!(visible_text(&c.get("/capacity/returns/missing").await.body).contains("to the end of Friday"));
    let q = caremarket_store::AuditQuery {
        entity_type: Some("setting".into()),
        entity_id: Some("capacity_return_window".into()),
        actor: None,
        limit: 10,
        offset: 0,
    };
    let (audit, _) = c.store.audit_entries(&q).await.expect("audit");
    assert_eq!(audit.len(), 1, "the change is audited");
    assert!(audit[0].after_json.as_deref().is_some_and(|j| j.contains("friday")), "{audit:?}");
}
