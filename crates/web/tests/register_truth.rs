//! Issue 14 items 1, 2 and 7 through the web: on the real Oldham CQC documents, the care homes CQC
//! rates Good show Good on the register, the JSON API, the public directory and its Open Referral
//! output; the dashboard's rating-change figure lists what it counts; providers have their real
//! names; the import page says what was skipped and why. Expected values come from the JSON.

use crate::common;

use caremarket_core::access::Role;
use caremarket_store::Actor;
use caremarket_store::import::ImportOptions;
use common::Client;
use serde_json::Value;
use std::path::PathBuf;

fn oldham() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/cqc/oldham")
}

fn doc(path: &str) -> Value {
    serde_json::from_slice(&std::fs::read(oldham().join(path)).expect("read")).expect("json")
}

async fn seeded() -> (Client, String) {
    let c = Client::sqlite().await;
    let outcome = caremarket_ingest::parse_cqc_file(&oldham(), &mut |_, _| {}).expect("parse");
    let opts = ImportOptions {
        file_name: "oldham".into(),
        format: outcome.format.label().into(),
        complete_register: outcome.is_complete_register,
        council_local_authorities: vec!["Oldham".into()],
        skipped: outcome.skipped.clone(),
        providers: outcome.providers.clone(),
        carried: outcome.carried.clone(),
        ..Default::default()
    };
    let report =
        c.store.import_cqc(&Actor::system("test"), &opts, &outcome.records, outcome.rejections, &mut |_, _| {}).await.expect("import");
    c.user("admin@test.gov.uk", Role::Admin, None).await;
    (c, report.id)
}

#[tokio::test]
async fn good_care_homes_show_good_everywhere_with_their_providers_real_names() {
    let (mut c, import_id) = seeded().await;
    let user_id = c.user("api@test.gov.uk", Role::Viewer, None).await;
    let (_, token) = c.store.create_api_token(&Actor::system("test"), &user_id, "tests").await.expect("token");
    c.sign_in_as("admin@test.gov.uk").await;
    for id in ["1-109570155", "1-112890157", "1-821576968"] {
        let d = doc(&format!("location_details/location_{id}.json"));
        assert_eq!(d["currentRatings"]["overall"]["rating"], "Good");
        let name = d["name"].as_str().expect("name");
        // The excerpt holds the download's 20 provider documents; a provider without one keeps
        // a name from its first location until one is imported: only the documented names are checked.
        let provider_file = oldham().join(format!("provider_details/provider_{}.json", d["providerId"].as_str().expect("provider id")));
        let provider_name: Option<String> = std::fs::read(&provider_file)
            .ok()
            .map(|bytes| serde_json::from_slice::<Value>(&bytes).expect("json")["name"].as_str().expect("name").to_string());
        let s = c.store.service_by_location_id(id).await.expect("lookup").expect("service");

        let r = c.get(&format!("/services/{}", s.id)).await;
        r.assert_ok();
        // The "Overall" row of the current ratings table.
        let overall = r.body.split("Overall</th>").nth(1).and_then(|rest| rest.split("</tr>").next()).unwrap_or_default();
        assert!(overall.contains("govuk-tag--green") && overall.contains("Good"), "{name}: register page: {overall}");
        if let Some(p) = &provider_name {
            assert!(r.contains(&minijinja_escape(p)), "{name}: provider {p}");
        }

        let r = c.api("GET", &format!("/api/v1/services/{}", s.id), Some(&token), None).await;
        let json: Value = serde_json::from_str(&r.body).expect("json");
        assert_eq!(json["ratings"]["overall"], "good", "{name}: API {}", r.body);
        if let Some(p) = &provider_name {
            assert_eq!(json["provider_name"], p.as_str(), "{name}: API provider");
        }

        let r = c.get(&format!("/directory/services/{}", s.id)).await;
        r.assert_ok();
        let overall = r.body.split("Overall</th>").nth(1).and_then(|rest| rest.split("</tr>").next()).unwrap_or_default();
        assert!(overall.contains("govuk-tag--green\">Good</strong>"), "{name}: public directory: {overall}");

        let r = c.get(&format!("/directory/api/services/{}", s.id)).await;
        r.assert_ok();
        assert!(r.body.contains("CQC overall rating: Good"), "{name}: Open Referral {}", r.body);
        assert!(!r.body.contains("Inspected but not rated"), "{name}: Open Referral");
    }

    // The import page says how many were skipped and why.
    let locations: Vec<Value> = std::fs::read_dir(oldham().join("location_details"))
        .expect("folder")
        .map(|e| serde_json::from_slice(&std::fs::read(e.expect("entry").path()).expect("read")).expect("json"))
        .collect();
    let not_social_care = locations.iter().filter(|d| d["type"] != "Social Care Org").count();
    let r = c.get(&format!("/imports/{import_id}")).await;
    r.assert_ok();
    assert!(r.contains(&format!("{not_social_care} not social care locations")), "{}", r.body);
}

#[tokio::test]
async fn the_rating_change_figure_counts_the_services_its_link_lists() {
    let (mut c, _) = seeded().await;
    c.sign_in_as("admin@test.gov.uk").await;
    let r = c.get("/dashboard?changes_since-day=1&changes_since-month=1&changes_since-year=2015").await;
    r.assert_ok();
    let figures = c.store.market_figures("2020-01-01".parse().expect("d"), "2015-01-01".parse().expect("d")).await.expect("figures");
    assert!(figures.rating_changed_services > 0);
    assert!(
        r.contains(&format!("href=\"/services?rating_changed_since=2015-01-01\">{}</a>", figures.rating_changed_services)),
        "{}",
        r.body
    );
    let list = c.get("/services?rating_changed_since=2015-01-01").await;
    list.assert_ok();
    let n = figures.rating_changed_services;
    assert!(list.contains(&format!("{n} service{}:", if n == 1 { "" } else { "s" })), "{}", list.body);
}

fn minijinja_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('\'', "&#x27;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}
