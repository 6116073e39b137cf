//! Capacity pages through the router: vacancy returns refused with clear messages (more
//! occupied than registered, negative, far in the future), the `000` table, drill-down, CSV
//! upload with NHS Capacity Tracker columns, continuity, the vacancy API, and provider users
//! seeing and submitting only their own returns.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::register::ServiceKind;
use caremarket_store::Actor;
use caremarket_store::register::NewService;
use common::Client;

fn home(provider_id: &str, name: &str, beds: i64, loc: &str) -> NewService {
    NewService {
        cqc_location_id: Some(loc.into()),
        town: None,
        beds: Some(beds),
        ..caremarket_testkit::service(provider_id, name, ServiceKind::CareHomeNursing)
    }
}

fn today() -> jiff::civil::Date {
    caremarket_store::today()
}

fn date_fields(name: &str, d: jiff::civil::Date) -> Vec<(String, String)> {
    vec![
        (format!("{name}-day"), d.day().to_string()),
        (format!("{name}-month"), d.month().to_string()),
        (format!("{name}-year"), d.year().to_string()),
    ]
}

async fn post_pairs(c: &mut Client, path: &str, pairs: Vec<(String, String)>) -> common::Res {
    let v: Vec<(&str, &str)> = pairs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    c.post_form(path, &v).await
}

fn seed_lines() -> Vec<(String, String)> {
    [("dementia_nursing", 514, 47), ("dementia_residential", 1070, 98), ("general_nursing", 589, 161), ("general_residential", 843, 137)]
        .iter()
        .flat_map(|(b, o, v)| vec![(format!("{b}_occupied"), o.to_string()), (format!("{b}_vacant"), v.to_string())])
        .collect()
}

#[tokio::test]
async fn vacancy_returns_table_and_refusals() {
    let mut c = Client::sqlite().await;
    let a = Actor::system("test");
    let p = c.store.create_provider(&a, None, "Big Homes Ltd", None, None).await.expect("p");
    let big = c.store.create_service(&a, &home(&p, "Big House", 3500, "1-100")).await.expect("home");
    let small = c.store.create_service(&a, &home(&p, "Small House", 30, "1-200")).await.expect("home");
    c.user("commissioner@test", Role::Commissioner, None).await;
    c.sign_in_as("commissioner@test").await;
    c.get("/capacity/returns/new").await.assert_ok();

    // More occupied than registered: refused, with the numbers, keeping what was typed.
    let mut f = vec![("service_id".to_string(), small.clone())];
    f.extend(date_fields("return_date", today()));
    f.extend([("general_nursing_occupied".to_string(), "31".to_string()), ("general_nursing_vacant".to_string(), "0".to_string())]);
    let r = post_pairs(&mut c, "/capacity/returns/new", f).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("31 beds occupied is more than the 30 beds the home is registered for"), "{}", r.body);
    assert!(r.contains("value=\"31\""));

    // Negative.
    let mut f = vec![("service_id".to_string(), small.clone())];
    f.extend(date_fields("return_date", today()));
    f.extend([("general_nursing_occupied".to_string(), "-2".to_string()), ("general_nursing_vacant".to_string(), "3".to_string())]);
    let r = post_pairs(&mut c, "/capacity/returns/new", f).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("cannot be negative"), "{}", r.body);

    // Far in the future.
    let mut f = vec![("service_id".to_string(), small.clone())];
    f.extend(date_fields("return_date", today().checked_add(jiff::Span::new().days(60)).expect("date")));
    f.extend([("general_nursing_occupied".to_string(), "2".to_string()), ("general_nursing_vacant".to_string(), "3".to_string())]);
    let r = post_pairs(&mut c, "/capacity/returns/new", f).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("is in the future"), "{}", r.body);

    // `000`'s figures, entered as one home's return, make `000`'s table.
    let mut f = vec![("service_id".to_string(), big.clone())];
    f.extend(date_fields("return_date", today()));
    f.extend(seed_lines());
    let r = post_pairs(&mut c, "/capacity/returns/new", f).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = c.get("/capacity").await;
    page.assert_ok();
    let table = &page.body[page.body.find("id=\"occupancy\"").expect("table")..];
    for cell in ["Dementia Nursing", "92%", "514", "47", "1,070", "98", "79%", "589", "161", "86%", "843", "137"] {
        assert!(table.contains(cell), "missing {cell}");
    }
    assert!(page.contains("<svg class=\"caremarket-chart\" role=\"img\""));
    // Small House never returned: flagged stale; drill-down lists it.
    let stale = c.get("/capacity/homes?flag=stale").await;
    stale.assert_ok();
    assert!(stale.contains("Small House") && !stale.contains("Big House"));
    let dn = c.get("/capacity/homes?bed_type=dementia_nursing").await;
    assert!(dn.contains("Big House") && dn.contains("514"));
    // Continuity for the provider: 3,016 people, nowhere else to go.
    let cont = c.get(&format!("/capacity/continuity?provider={p}")).await;
    cont.assert_ok();
    assert!(cont.contains("3016") && cont.contains("without alternative care"), "{}", &cont.body[..2000.min(cont.body.len())]);
    assert!(cont.contains("10,000"), "one provider has an HHI of 10,000");
    // The chosen provider stays ticked in the picker.
    assert!(cont.contains(&format!("value=\"{p}\" checked")), "the chosen provider is not ticked");
    // The picker finds providers by any part of the name, and says when nothing matches.
    let found = common::visible_text(&c.get("/capacity/continuity?q=big+homes").await.body);
    assert!(
        found.contains("1 provider's name contains \u{201c}big homes\u{201d}.") && found.contains("Big Homes Ltd 3,016 people served"),
        "{found}"
    );
    let none = common::visible_text(&c.get("/capacity/continuity?q=zzz").await.body);
    assert!(none.contains("No provider's name contains \u{201c}zzz\u{201d}."), "{none}");
    let largest = common::visible_text(&c.get("/capacity/continuity").await.body);
    assert!(largest.contains("The 1 largest of 1 providers, by people served."), "{largest}");
}

#[tokio::test]
async fn csv_upload_accepts_capacity_tracker_columns() {
    let mut c = Client::sqlite().await;
    let a = Actor::system("test");
    let p = c.store.create_provider(&a, None, "Homes Ltd", None, None).await.expect("p");
    let id = c.store.create_service(&a, &home(&p, "Tracker House", 40, "1-555")).await.expect("home");
    c.user("officer@test", Role::QualityOfficer, None).await;
    c.sign_in_as("officer@test").await;
    c.get("/capacity/returns/upload").await.assert_ok();
    let d = today().strftime("%d/%m/%Y").to_string();
    // A bad row: nothing saved, row-numbered message.
    let csv = format!(
        "cqcid,location,maxcapacity,usedbeds,declaredvacancies,nursesemployed,lastupdatedbst\n1-555,Tracker House,40,41,0,5,{d} 09:00\n"
    );
    let (status, body) = upload(&c.store, "officer@test", &csv).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("row 2") && body.contains("more than the 40 beds"), "{body}");
    assert!(c.store.vacancy_returns_for_service(&id).await.expect("returns").is_empty());
    let csv = format!(
        "cqcid,location,maxcapacity,usedbeds,declaredvacancies,nursesemployed,lastupdatedbst\n1-555,Tracker House,40,35,5,5,{d} 09:00\n"
    );
    let (status, body) = upload(&c.store, "officer@test", &csv).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let returns = c.store.vacancy_returns_for_service(&id).await.expect("returns");
    assert_eq!(returns.len(), 1);
    assert_eq!((returns[0].lines[0].occupied, returns[0].lines[0].vacant, returns[0].source.as_str()), (35, 5, "csv"));
}

/// Sign in on a fresh router over the same store and upload `csv` as a browser would.
async fn upload(store: &caremarket_store::Store, email: &str, csv: &str) -> (StatusCode, String) {
    let r = common::upload_csv(store, email, "/capacity/returns/upload", "/capacity/returns/upload", "tracker.csv", csv, None).await;
    (r.status, r.body)
}

#[tokio::test]
async fn providers_see_and_submit_only_their_own() {
    let mut c = Client::sqlite().await;
    let a = Actor::system("test");
    let mine = c.store.create_provider(&a, None, "Mine Ltd", None, None).await.expect("p");
    let theirs = c.store.create_provider(&a, None, "Theirs Ltd", None, None).await.expect("p");
    let my_home = c.store.create_service(&a, &home(&mine, "My House", 20, "1-1")).await.expect("h");
    let their_home = c.store.create_service(&a, &home(&theirs, "Their House", 20, "1-2")).await.expect("h");
    c.store
        .submit_vacancy_return(
            &a,
            &caremarket_store::capacity::NewVacancyReturn {
                service_id: their_home.clone(),
                return_date: today(),
                lines: vec![caremarket_core::capacity::vacancies::VacancyLine {
                    bed_type: caremarket_core::capacity::vacancies::BedType::GeneralNursing,
                    occupied: 17,
                    vacant: 3,
                }],
                source: "officer",
            },
            today(),
        )
        .await
        .expect("their return");
    let uid = c.user("provider@test", Role::Provider, Some(&mine)).await;
    c.sign_in_as("provider@test").await;
    let page = c.get("/portal/capacity").await;
    page.assert_ok();
    assert!(page.contains("My House") && !page.contains("Their House"));
    // The council's pages are closed to provider users.
    assert_eq!(c.get("/capacity").await.status, StatusCode::FORBIDDEN);
    assert_eq!(c.get("/brokerage").await.status, StatusCode::FORBIDDEN);
    c.get("/portal/capacity/returns").await.assert_ok();
    let mut f = vec![("service_id".to_string(), their_home.clone())];
    f.extend(date_fields("return_date", today()));
    f.extend([("general_nursing_occupied".to_string(), "1".to_string()), ("general_nursing_vacant".to_string(), "1".to_string())]);
    let r = post_pairs(&mut c, "/portal/capacity/returns", f).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("Choose one of your care homes"));
    assert_eq!(c.store.vacancy_returns_for_service(&their_home).await.expect("r")[0].lines[0].occupied, 17);
    let mut f = vec![("service_id".to_string(), my_home.clone())];
    f.extend(date_fields("return_date", today()));
    f.extend([("general_nursing_occupied".to_string(), "15".to_string()), ("general_nursing_vacant".to_string(), "5".to_string())]);
    let r = post_pairs(&mut c, "/portal/capacity/returns", f).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(c.store.vacancy_returns_for_service(&my_home).await.expect("r")[0].source, "portal");

    // The API: a provider's token submits for its own homes; another's is "not found".
    let (_, token) = c.store.create_api_token(&a, &uid, "returns").await.expect("token");
    let ok = c.api("POST", "/api/v1/capacity/vacancies", Some(&token), Some(serde_json::json!({"cqc_location_id": "1-1", "date": today().to_string(), "lines": [{"bed_type": "general_nursing", "occupied": 16, "vacant": 4}]}))).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    let other = c.api("POST", "/api/v1/capacity/vacancies", Some(&token), Some(serde_json::json!({"cqc_location_id": "1-2", "date": today().to_string(), "lines": [{"bed_type": "general_nursing", "occupied": 1, "vacant": 1}]}))).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND, "{}", other.body);
    let over = c.api("POST", "/api/v1/capacity/vacancies", Some(&token), Some(serde_json::json!({"cqc_location_id": "1-1", "date": today().to_string(), "lines": [{"bed_type": "general_nursing", "occupied": 21, "vacant": 0}]}))).await;
    assert_eq!(over.status, StatusCode::BAD_REQUEST);
    assert!(over.body.contains("registered"), "{}", over.body);
    let none = c.api("POST", "/api/v1/capacity/vacancies", None, Some(serde_json::json!({}))).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
}

/// The bed finder shows each home's CQC rating and the council's RAG beside its vacancy, as a
/// broker weighs them (issue 16 item 10).
#[tokio::test]
async fn the_bed_finder_shows_rating_and_rag() {
    let mut c = Client::sqlite().await;
    let a = Actor::system("test");
    let p = c.store.create_provider(&a, None, "Homes Ltd", None, None).await.expect("p");
    let rated = c.store.create_service(&a, &home(&p, "Rated House", 20, "1-1")).await.expect("h");
    let unrated = c.store.create_service(&a, &home(&p, "New House", 20, "1-2")).await.expect("h");
    c.store
        .add_rating(
            &a,
            &rated,
            &caremarket_store::register::RatingRecord {
                overall: Some(caremarket_core::register::Rating::RequiresImprovement),
                report_date: Some(today()),
                ..Default::default()
            },
            "test",
        )
        .await
        .expect("rating");
    c.store.set_rag(&a, &rated, caremarket_core::quality::Rag::Amber, "Staffing gaps at the last visit", today()).await.expect("rag");
    for h in [&rated, &unrated] {
        c.store
            .submit_vacancy_return(
                &a,
                &caremarket_store::capacity::NewVacancyReturn {
                    service_id: h.clone(),
                    return_date: today(),
                    lines: vec![caremarket_core::capacity::vacancies::VacancyLine {
                        bed_type: caremarket_core::capacity::vacancies::BedType::GeneralNursing,
                        occupied: 18,
                        vacant: 2,
                    }],
                    source: "officer",
                },
                today(),
            )
            .await
            .expect("return");
    }
    c.user("brokerage@test", Role::BrokerageOfficer, None).await;
    c.sign_in_as("brokerage@test").await;
    let r = c.get("/brokerage/care-homes?bed_type=general_nursing").await;
    r.assert_ok();
    let rows: Vec<String> = r.body.split("<tr class=\"govuk-table__row\">").skip(2).map(common::visible_text).collect();
    let row = |name: &str| rows.iter().find(|t| t.contains(name)).cloned().unwrap_or_else(|| panic!("{name} not listed: {rows:?}"));
    let rated_row = row("Rated House");
    assert!(rated_row.contains("Requires improvement") && rated_row.contains("Amber"), "{rated_row}");
    let new_row = row("New House");
    assert!(new_row.contains("Not assessed"), "{new_row}");
}
