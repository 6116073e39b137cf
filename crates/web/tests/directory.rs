//! The public directory: lists in-area, active services with public fields only, as pages and
//! as Open Referral UK JSON, with no sign-in.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::register::{ContractStatus, Rating, ServiceKind, Specialism};
use caremarket_store::Actor;
use caremarket_store::register::{NewService, RatingRecord};
use common::Client;

const SECRET_NOTE: &str = "Zebra-7731 safeguarding concern, do not publish";
const SECRET_FRAMEWORK: &str = "Quokka Residential Framework 2024";
const SECRET_LOT: &str = "Lot Wombat";

fn service(provider_id: &str, name: &str, in_area: bool) -> NewService {
    NewService {
        address_line: Some("1 High Street".into()),
        postcode: Some("OL1 1AA".into()),
        region: Some("North West".into()),
        in_area,
        phone: Some("0161 000 0000".into()),
        website: Some("www.example.org".into()),
        beds: Some(40),
        service_types: vec!["Residential homes".into()],
        specialisms: vec![Specialism::Dementia],
        contract_status: ContractStatus::NotContracted,
        ..caremarket_testkit::service(provider_id, name, ServiceKind::CareHomeResidential)
    }
}

struct Fixture {
    willow: String,
    oak: String,
    faraway: String,
    closed: String,
}

async fn fixture(c: &Client) -> Fixture {
    let a = Actor::system("test");
    let s = &c.store;
    let north = s.create_area(&a, "North Testshire", &["OL1"]).await.expect("area");
    let _ = north;
    let p = s.create_provider(&a, Some("1-100"), "Acme Care Ltd", None, None).await.expect("provider");
    let fw = s.create_framework(&a, SECRET_FRAMEWORK, Some(ServiceKind::CareHomeResidential), None, None, &[SECRET_LOT]).await.expect("fw");
    let lot = s.frameworks().await.expect("frameworks")[0].lots[0].id.clone();
    let willow = s
        .create_service(
            &a,
            &NewService {
                cqc_location_id: Some("1-000000001".into()),
                contract_status: ContractStatus::Framework,
                framework_id: Some(fw),
                lot_id: Some(lot),
                contract_start: Some(jiff::civil::date(2024, 4, 1)),
                contract_end: Some(jiff::civil::date(2029, 3, 31)),
                council_notes: Some(SECRET_NOTE.into()),
                ..service(&p, "Willow Court", true)
            },
        )
        .await
        .expect("willow");
    s.add_rating(
        &a,
        &willow,
        &RatingRecord {
            overall: Some(Rating::Good),
            safe: Some(Rating::RequiresImprovement),
            effective: Some(Rating::Good),
            caring: Some(Rating::Outstanding),
            responsive: Some(Rating::Good),
            well_led: Some(Rating::Good),
            report_date: Some(jiff::civil::date(2024, 2, 3)),
        },
        "test",
    )
    .await
    .expect("rating");
    let oak = s
        .create_service(
            &a,
            &NewService {
                kind: ServiceKind::HomeCare,
                postcode: Some("M1 1AA".into()),
                town: Some("Othertown".into()),
                specialisms: vec![Specialism::LearningDisabilities],
                ..service(&p, "Oak Home Care", true)
            },
        )
        .await
        .expect("oak");
    let faraway = s.create_service(&a, &service(&p, "Faraway House", false)).await.expect("faraway");
    let closed = s
        .create_service(&a, &NewService { registration_status: "deregistered".into(), ..service(&p, "Closed House", true) })
        .await
        .expect("closed");
    Fixture { willow, oak, faraway, closed }
}

/// The page as a browser reads it: minijinja escapes '/' and quotes in text and attributes.
fn text(r: &common::Res) -> String {
    r.body.replace("&#x2f;", "/").replace("&quot;", "\"").replace("&#x27;", "'").replace("&amp;", "&")
}

fn assert_nothing_private(body: &str) {
    let body = &body.replace("&#x2f;", "/").replace("&quot;", "\"").replace("&#x27;", "'").replace("&amp;", "&");
    for secret in [SECRET_NOTE, "Zebra-7731", SECRET_FRAMEWORK, SECRET_LOT, "2029-03-31", "31 March 2029", "Faraway House", "Closed House"]
    {
        assert!(!body.contains(secret), "public output contains {secret:?}");
    }
}

#[tokio::test]
async fn directory_lists_in_area_active_services_without_private_details() {
    let mut c = Client::sqlite().await;
    let f = fixture(&c).await;
    let r = c.get("/directory").await;
    r.assert_ok();
    assert!(r.contains("Willow Court"));
    assert!(r.contains("Oak Home Care"));
    assert!(r.contains("2 services found"), "{}", r.body);
    assert!(r.contains("Council contracted"));
    assert!(r.contains("govuk-tag--green\">Good</strong>"));
    assert!(r.contains("3 February 2024"));
    assert!(!r.contains("Framework</"), "contract type must not be shown");
    assert_nothing_private(&r.body);
    // No staff navigation on the public page.
    assert!(!r.contains("govuk-service-navigation__link"));

    let r = c.get(&format!("/directory/services/{}", f.willow)).await;
    r.assert_ok();
    let page = text(&r);
    assert!(page.contains("href=\"https://www.cqc.org.uk/location/1-000000001\""), "{page}");
    assert!(r.contains("Acme Care Ltd"));
    assert!(r.contains("0161 000 0000"));
    assert!(page.contains("href=\"https://www.example.org\""));
    assert!(r.contains("Dementia"));
    assert!(r.contains("govuk-tag--orange\">Requires improvement</strong>"), "key question ratings shown");
    assert!(r.contains("govuk-tag--blue\">Outstanding</strong>"));
    assert!(r.contains("<dd class=\"govuk-summary-list__value\">Yes</dd>"), "contracted yes");
    assert_nothing_private(&r.body);

    let r = c.get(&format!("/directory/services/{}", f.oak)).await;
    r.assert_ok();
    assert!(r.contains("<dd class=\"govuk-summary-list__value\">No</dd>"), "not contracted");

    for id in [&f.faraway, &f.closed, &"01900000-0000-7000-8000-000000000000".to_string()] {
        let r = c.get(&format!("/directory/services/{id}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{id}");
        assert_nothing_private(&r.body);
    }
}

#[tokio::test]
async fn directory_search_and_filters() {
    let mut c = Client::sqlite().await;
    fixture(&c).await;
    let r = c.get("/directory?q=willow").await;
    assert!(r.contains("Willow Court") && !r.contains("Oak Home Care"));
    let r = c.get("/directory?q=OL1").await;
    assert!(r.contains("Willow Court") && !r.contains("Oak Home Care"), "postcode search");
    let r = c.get("/directory?q=othertown").await;
    assert!(!r.contains("Willow Court") && r.contains("Oak Home Care"), "town search");
    let r = c.get("/directory?kind=home_care").await;
    assert!(!r.contains("Willow Court") && r.contains("Oak Home Care"));
    let r = c.get("/directory?specialism=dementia").await;
    assert!(r.contains("Willow Court") && !r.contains("Oak Home Care"));
    let r = c.get("/directory?rating=good").await;
    assert!(r.contains("Willow Court") && !r.contains("Oak Home Care"));
    let r = c.get("/directory?rating=unrated").await;
    assert!(!r.contains("Willow Court") && r.contains("Oak Home Care"));
    let r = c.get("/directory?contracted=yes").await;
    assert!(r.contains("Willow Court") && !r.contains("Oak Home Care"));
    let areas = c.store.areas().await.expect("areas");
    let r = c.get(&format!("/directory?area={}", areas[0].id)).await;
    assert!(r.contains("Willow Court") && !r.contains("Oak Home Care"), "area filter");
    // Unknown values are ignored rather than failing.
    let r = c.get("/directory?kind=nonsense&rating=bogus&page=x").await;
    r.assert_ok();
    assert!(r.contains("2 services found"));
    // Deregistered and out-of-area services cannot be found by name either.
    let r = c.get("/directory?q=house").await;
    assert!(r.contains("0 services found"));
    assert_nothing_private(&r.body);
}

#[tokio::test]
async fn signed_in_staff_see_the_same_public_page() {
    let mut c = Client::sqlite().await;
    fixture(&c).await;
    c.user("admin@test.gov.uk", Role::Admin, None).await;
    c.sign_in_as("admin@test.gov.uk").await;
    let r = c.get("/directory").await;
    r.assert_ok();
    assert!(!r.contains("/admin/users"));
    assert!(!r.contains("govuk-service-navigation__link"));
    assert_nothing_private(&r.body);
}

#[tokio::test]
async fn open_referral_json_has_public_fields_only() {
    let mut c = Client::sqlite().await;
    let f = fixture(&c).await;
    let r = c.get("/directory/api/services?per_page=1").await;
    r.assert_ok();
    assert!(r.content_type.as_deref().unwrap_or("").starts_with("application/json"));
    assert_nothing_private(&r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    assert_eq!(v["total_items"], 2);
    assert_eq!(v["total_pages"], 2);
    assert_eq!(v["page_number"], 1);
    assert_eq!(v["first_page"], true);
    assert_eq!(v["last_page"], false);
    let first = &v["contents"][0];
    assert_eq!(first["name"], "Oak Home Care", "sorted by name");
    assert_eq!(first["status"], "active");

    let r = c.get("/directory/api/services?search=willow").await;
    assert_nothing_private(&r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    assert_eq!(v["total_items"], 1);
    let s = &v["contents"][0];
    assert_eq!(s["id"], f.willow.as_str());
    assert_eq!(s["organization"]["name"], "Acme Care Ltd");
    assert_eq!(s["url"], "https://www.example.org");
    let loc = &s["service_at_locations"][0]["location"];
    assert_eq!(loc["external_identifier"], "1-000000001");
    assert_eq!(loc["addresses"][0]["postal_code"], "OL1 1AA");
    assert_eq!(s["contacts"][0]["phones"][0]["number"], "0161 000 0000");
    assert_eq!(s["x_caremarket"]["council_contracted"], true);
    assert_eq!(s["x_caremarket"]["cqc"]["overall"], "good");
    assert_eq!(s["x_caremarket"]["cqc"]["key_questions"]["safe"], "requires_improvement");
    assert_eq!(s["x_caremarket"]["cqc"]["report_date"], "2024-02-03");
    // Ids of nested records are stable UUIDs.
    let again: serde_json::Value = serde_json::from_str(&c.get(&format!("/directory/api/services/{}", f.willow)).await.body).expect("json");
    assert_eq!(again["service_at_locations"][0]["location"]["id"], loc["id"]);

    for id in [&f.faraway, &f.closed] {
        let r = c.get(&format!("/directory/api/services/{id}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert!(r.content_type.as_deref().unwrap_or("").starts_with("application/json"));
        assert_nothing_private(&r.body);
    }
    let r = c.get("/directory/api").await;
    r.assert_ok();
    assert!(r.contains("\"version\":\"3.0\""));
}

#[tokio::test]
async fn open_referral_api_allows_any_origin() {
    use tower::ServiceExt;
    let c = Client::sqlite().await;
    let req = axum::http::Request::builder()
        .uri("/directory/api/services")
        .header("host", "localhost")
        .body(axum::body::Body::empty())
        .expect("req");
    let res = c.app.clone().oneshot(req).await.expect("res");
    assert_eq!(res.headers().get("access-control-allow-origin").and_then(|v| v.to_str().ok()), Some("*"));
}

#[tokio::test]
async fn accessibility_statement_is_public() {
    let mut c = Client::sqlite().await;
    let r = c.get("/accessibility").await;
    r.assert_ok();
    assert!(r.contains("Accessibility statement for Testshire Council caremarket"));
    assert!(r.contains("Enforcement procedure"));
}

// ----- Open Referral UK profile 3.0: every response validated against the profile's schemas -----

const SCHEMAS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openreferral-uk-3.0");

fn load_schema(rel: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(format!("{SCHEMAS}/{rel}")).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let mut v: serde_json::Value = serde_json::from_str(&text).expect("schema json");
    inline_refs(&mut v);
    v
}

/// The uncompiled schemas refer to each other by file name ("taxonomy_term.json"): put the
/// referenced schema in place so that the validator needs no file or network access.
fn inline_refs(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(r)) = map.get("$ref")
                && r.ends_with(".json")
                && !r.contains('/')
            {
                *v = load_schema(&r.clone());
                return;
            }
            map.values_mut().for_each(inline_refs);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(inline_refs),
        _ => {}
    }
}

/// The profile's schemas, with formats (uuid, uri) checked too.
struct Profile {
    service: jsonschema::Validator,
    service_list: jsonschema::Validator,
    service_at_location: jsonschema::Validator,
    service_at_location_list: jsonschema::Validator,
    taxonomy: jsonschema::Validator,
    taxonomy_term: jsonschema::Validator,
    page: jsonschema::Validator,
    meta: jsonschema::Validator,
}

fn validator(schema: &serde_json::Value) -> jsonschema::Validator {
    jsonschema::options().should_validate_formats(true).build(schema).expect("schema compiles")
}

impl Profile {
    fn load() -> Profile {
        let openapi = load_schema("openapi.json");
        let page = openapi["components"]["schemas"]["Page"].clone();
        // The Page properties are all required by HSDS's paging rules even if the schema does
        // not say so: a missing one would fail a client.
        let mut page = page;
        page["required"] =
            serde_json::json!(["total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"]);
        let meta = openapi["paths"]["/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"].clone();
        Profile {
            service: validator(&load_schema("compiled/service.json")),
            service_list: validator(&load_schema("compiled/service_list.json")),
            service_at_location: validator(&load_schema("compiled/service_at_location.json")),
            service_at_location_list: validator(&load_schema("compiled/service_at_location_list.json")),
            taxonomy: validator(&load_schema("taxonomy.json")),
            taxonomy_term: validator(&load_schema("taxonomy_term.json")),
            page: validator(&page),
            meta: validator(&meta),
        }
    }
}

fn assert_valid(v: &jsonschema::Validator, instance: &serde_json::Value, what: &str) {
    let errors: Vec<String> = v.iter_errors(instance).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{what} fails the Open Referral UK schema:\n{}\n{instance:#}", errors.join("\n"));
}

/// A page whose items must each pass `item`; `size` is the number of items returned.
fn assert_valid_page(profile: &Profile, item: &jsonschema::Validator, body: &serde_json::Value, what: &str) {
    assert_valid(&profile.page, body, what);
    let contents = body["contents"].as_array().expect("contents");
    assert_eq!(body["size"].as_u64(), Some(contents.len() as u64), "{what}: size is the number of items returned");
    assert_eq!(body["empty"], contents.is_empty(), "{what}");
    for (i, c) in contents.iter().enumerate() {
        assert_valid(item, c, &format!("{what} item {i}"));
    }
}

async fn get_json(c: &mut Client, path: &str) -> (StatusCode, serde_json::Value) {
    let r = c.get(path).await;
    assert!(r.content_type.as_deref().unwrap_or("").starts_with("application/json"), "{path}");
    assert_nothing_private(&r.body);
    (r.status, serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{path}: {e}")))
}

/// Positions for the fixture's postcodes, converted by the ingest crate from the committed NSPD
/// excerpt, as `caremarket import postcodes` would.
async fn load_postcodes(c: &Client) -> std::collections::HashMap<String, (f64, f64)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/geography/postcodes-oldham-excerpt.csv");
    let file = caremarket_ingest::geography::read_postcode_file(&path).expect("excerpt");
    let points: Vec<caremarket_store::postcodes::PostcodePosition> = file
        .points
        .iter()
        .map(|p| caremarket_store::postcodes::PostcodePosition {
            postcode: p.postcode.clone(),
            latitude: p.latitude,
            longitude: p.longitude,
        })
        .collect();
    c.store.replace_postcode_positions(&Actor::system("test"), "excerpt.csv", &points).await.expect("load");
    file.points.iter().map(|p| (p.postcode.clone(), (p.latitude, p.longitude))).collect()
}

#[tokio::test]
async fn every_open_referral_response_passes_the_profile_schemas() {
    let profile = Profile::load();
    let mut c = Client::sqlite().await;
    let f = fixture(&c).await;
    let positions = load_postcodes(&c).await;

    let (status, meta) = get_json(&mut c, "/directory/api").await;
    assert_eq!(status, StatusCode::OK);
    assert_valid(&profile.meta, &meta, "/");

    // Services: every page, every service in full.
    let mut seen = Vec::new();
    for page in 1..=3 {
        let (status, body) = get_json(&mut c, &format!("/directory/api/services?per_page=1&page={page}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_valid_page(&profile, &profile.service_list, &body, &format!("/services page {page}"));
        for s in body["contents"].as_array().expect("contents") {
            let id = s["id"].as_str().expect("id").to_string();
            let (status, full) = get_json(&mut c, &format!("/directory/api/services/{id}")).await;
            assert_eq!(status, StatusCode::OK);
            assert_valid(&profile.service, &full, "/services/{id}");
            for a in full["attributes"].as_array().expect("attributes") {
                assert!(a["taxonomy_term"]["description"].as_str().is_some_and(|d| !d.is_empty()), "{a}");
            }
            // The check has teeth: the shape issue 14 found (a term without its description),
            // or an id that is not a UUID, fails it.
            let mut broken = full.clone();
            broken["attributes"][0]["taxonomy_term"].as_object_mut().expect("term").remove("description");
            assert!(!profile.service.is_valid(&broken), "a term without a description must fail");
            let mut broken = full.clone();
            broken["service_at_locations"][0]["location"]["id"] = serde_json::json!("not-a-uuid");
            assert!(!profile.service.is_valid(&broken), "a non-UUID id must fail");
            seen.push(id);
        }
    }
    // Two services are public (Willow Court, Oak Home Care); the third page is past the end.
    assert_eq!(seen.len(), 2);
    assert!(seen.contains(&f.willow) && seen.contains(&f.oak));

    // Service at locations: list, and each by id; Willow Court's postcode (OL1 1AA) is in the
    // loaded excerpt, Oak Home Care's (M1 1AA) is not.
    let (_, body) = get_json(&mut c, "/directory/api/service_at_locations").await;
    assert_valid_page(&profile, &profile.service_at_location_list, &body, "/service_at_locations");
    assert_eq!(body["total_items"], 2);
    for sal in body["contents"].as_array().expect("contents") {
        let id = sal["id"].as_str().expect("id");
        let (status, one) = get_json(&mut c, &format!("/directory/api/service_at_locations/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_valid(&profile.service_at_location, &one, "/service_at_locations/{id}");
        let location = &one["location"];
        if one["service_id"] == f.willow.as_str() {
            let (lat, lon) = positions["OL1 1AA"];
            assert_eq!(location["latitude"].as_f64(), Some(lat));
            assert_eq!(location["longitude"].as_f64(), Some(lon));
            // Oldham town centre.
            assert!((lat - 53.54).abs() < 0.01 && (lon + 2.10).abs() < 0.01, "{lat} {lon}");
            assert_eq!(one["service"]["name"], "Willow Court");
        } else {
            assert!(location.get("latitude").is_none(), "no position without the postcode's: {location}");
        }
    }

    // Taxonomies and their terms: every one, by list and by id.
    let (_, taxonomies) = get_json(&mut c, "/directory/api/taxonomies").await;
    assert_valid_page(&profile, &profile.taxonomy, &taxonomies, "/taxonomies");
    let mut term_count = 0;
    for t in taxonomies["contents"].as_array().expect("contents") {
        let id = t["id"].as_str().expect("id");
        let (status, one) = get_json(&mut c, &format!("/directory/api/taxonomies/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_valid(&profile.taxonomy, &one, "/taxonomies/{id}");
        let (_, terms) = get_json(&mut c, &format!("/directory/api/taxonomy_terms?taxonomy_id={id}&per_page=100")).await;
        assert_valid_page(&profile, &profile.taxonomy_term, &terms, "/taxonomy_terms?taxonomy_id");
        assert_eq!(terms["size"].as_u64().map(|n| n as usize), one["taxonomy_terms"].as_array().map(Vec::len));
        term_count += terms["total_items"].as_u64().expect("total");
    }
    // The terms are caremarket's lists: every kind, every specialism, yes/no, every rating.
    assert_eq!(term_count as usize, ServiceKind::ALL.len() + Specialism::ALL.len() + 2 + Rating::ALL.len());
    let (_, terms) = get_json(&mut c, "/directory/api/taxonomy_terms?per_page=100").await;
    assert_valid_page(&profile, &profile.taxonomy_term, &terms, "/taxonomy_terms");
    assert_eq!(terms["total_items"].as_u64(), Some(term_count));
    for t in terms["contents"].as_array().expect("contents") {
        let (status, one) = get_json(&mut c, &format!("/directory/api/taxonomy_terms/{}", t["id"].as_str().expect("id"))).await;
        assert_eq!(status, StatusCode::OK);
        assert_valid(&profile.taxonomy_term, &one, "/taxonomy_terms/{id}");
        assert_eq!(&one, t);
    }
}

/// The term id a service's attribute carries, read from the published record.
fn term_id(service: &serde_json::Value, taxonomy: &str, term: &str) -> String {
    service["attributes"]
        .as_array()
        .expect("attributes")
        .iter()
        .find(|a| a["taxonomy_term"]["taxonomy"] == taxonomy && a["taxonomy_term"]["term"] == term)
        .and_then(|a| a["taxonomy_term_id"].as_str())
        .unwrap_or_else(|| panic!("no {taxonomy}/{term} on {service}"))
        .to_string()
}

fn names(body: &serde_json::Value) -> Vec<String> {
    body["contents"]
        .as_array()
        .expect("contents")
        .iter()
        .map(|s| s["name"].as_str().or(s["service"]["name"].as_str()).unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn open_referral_filters_by_taxonomy_term_taxonomy_and_distance() {
    let profile = Profile::load();
    let mut c = Client::sqlite().await;
    let f = fixture(&c).await;
    let positions = load_postcodes(&c).await;
    let (_, willow) = get_json(&mut c, &format!("/directory/api/services/{}", f.willow)).await;
    let (_, oak) = get_json(&mut c, &format!("/directory/api/services/{}", f.oak)).await;

    let dementia = term_id(&willow, "caremarket-specialism", "dementia");
    let (_, body) = get_json(&mut c, &format!("/directory/api/services?taxonomy_term_id={dementia}")).await;
    assert_valid_page(&profile, &profile.service_list, &body, "taxonomy_term_id");
    assert_eq!(names(&body), ["Willow Court"]);
    assert_eq!(body["total_items"], 1);

    let home_care = term_id(&oak, "caremarket-service-kind", "home_care");
    let (_, body) = get_json(&mut c, &format!("/directory/api/service_at_locations?taxonomy_term_id={home_care}")).await;
    assert_valid_page(&profile, &profile.service_at_location_list, &body, "taxonomy_term_id on service_at_locations");
    assert_eq!(names(&body), ["Oak Home Care"]);

    // Two terms: a service must carry both.
    let (_, body) = get_json(&mut c, &format!("/directory/api/services?taxonomy_term_id={dementia},{home_care}")).await;
    assert_eq!(body["total_items"], 0);
    assert_eq!(body["size"], 0);
    assert_eq!(body["empty"], true);

    // A term id nobody carries matches nothing (it is not ignored).
    let (status, body) = get_json(&mut c, "/directory/api/services?taxonomy_term_id=00000000-0000-8000-8000-000000000000").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["total_items"], 0);

    // taxonomy_id: services with any term of the taxonomy. Only Willow Court has a CQC rating.
    let rating = willow["attributes"]
        .as_array()
        .expect("attributes")
        .iter()
        .find(|a| a["taxonomy_term"]["taxonomy"] == "cqc-overall-rating")
        .map(|a| a["taxonomy_term"]["taxonomy_id"].as_str().expect("taxonomy id").to_string())
        .expect("rated");
    let (_, body) = get_json(&mut c, &format!("/directory/api/services?taxonomy_id={rating}")).await;
    assert_eq!(names(&body), ["Willow Court"]);

    // Distance from a postcode: OL1 1UT is about 1.1 km from OL1 1AA (computed here from the
    // two positions), so a radius either side of that includes or leaves out Willow Court.
    let (a, b) = (positions["OL1 1AA"], positions["OL1 1UT"]);
    let metres = haversine(a, b);
    assert!(metres > 500.0 && metres < 2000.0, "{metres}");
    let (_, body) =
        get_json(&mut c, &format!("/directory/api/service_at_locations?postcode=OL1%201UT&proximity={}", (metres + 50.0).round())).await;
    assert_valid_page(&profile, &profile.service_at_location_list, &body, "proximity");
    assert_eq!(names(&body), ["Willow Court"]);
    let (_, body) =
        get_json(&mut c, &format!("/directory/api/service_at_locations?postcode=ol11ut&proximity={}", (metres - 50.0).round())).await;
    assert_eq!(body["total_items"], 0);

    // size counts the items returned, on a short last page too.
    let (_, body) = get_json(&mut c, "/directory/api/services?per_page=50").await;
    assert_eq!(body["size"], 2);
}

fn haversine(a: (f64, f64), b: (f64, f64)) -> f64 {
    let r = 6_371_000.0_f64;
    let (p1, p2) = (a.0.to_radians(), b.0.to_radians());
    let (dp, dl) = ((b.0 - a.0).to_radians(), (b.1 - a.1).to_radians());
    let x = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * r * x.sqrt().asin()
}

#[tokio::test]
async fn open_referral_refuses_filters_it_cannot_honour() {
    let mut c = Client::sqlite().await;
    fixture(&c).await;
    load_postcodes(&c).await;
    for (query, field) in [
        ("/directory/api/services?minimum_age=18", "minimum_age"),
        ("/directory/api/services?maximum_age=65", "maximum_age"),
        ("/directory/api/services?day=Monday", "day"),
        ("/directory/api/service_at_locations?start_time=09:00", "start_time"),
        ("/directory/api/service_at_locations?end_time=17:00", "end_time"),
        ("/directory/api/service_at_locations?proximity=1000", "postcode"),
        ("/directory/api/service_at_locations?postcode=OL1%201AA&proximity=far", "proximity"),
        ("/directory/api/service_at_locations?postcode=OL1%201AA&proximity=-5", "proximity"),
        ("/directory/api/service_at_locations?postcode=ZZ9%209ZZ&proximity=1000", "postcode"),
        ("/directory/api/services?postcode=OL1%201AA&proximity=1000", "proximity"),
    ] {
        let (status, body) = get_json(&mut c, query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["field"], field, "{query}: {body}");
        assert!(body["error"].as_str().is_some_and(|e| e.contains(field)), "{query}: {body}");
    }
    for path in ["/directory/api/taxonomies/nope", "/directory/api/taxonomy_terms/nope", "/directory/api/service_at_locations/nope"] {
        let (status, _) = get_json(&mut c, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
}

/// Whether `/directory?contracted=yes` lists Oak Home Care, as an anonymous visitor reads it.
async fn oak_listed_as_contracted(c: &mut Client) -> bool {
    let r = c.get("/directory?contracted=yes").await;
    r.assert_ok();
    assert!(r.contains("Willow Court"), "{}", r.body);
    r.contains("Oak Home Care")
}

/// A change of contract made in the store directly, as a command-line import or another server
/// would make one: this application does not see it happen.
async fn contract_elsewhere(store: &caremarket_store::Store, id: &str, contract_status: ContractStatus) {
    let version = caremarket_core::versions::Version::new(store.service(id).await.expect("service").version).expect("version");
    let fields = caremarket_store::register::CouncilFields {
        contract_status,
        framework_id: None,
        lot_id: None,
        contract_start: None,
        contract_end: None,
        council_notes: None,
        kind: None,
    };
    store.update_council_fields(&Actor::system("elsewhere"), id, &fields, version).await.expect("update");
}

/// Copies of the directory's pages (issue 18 item 3, `public_pages`): a change an officer makes
/// through the server shows to the public at once; a change made elsewhere (the store directly,
/// as a command-line import or another server would) shows once the copy is older than
/// `public_page_seconds`, and at once when that is 0.
#[tokio::test]
async fn directory_copies_last_until_a_change_or_their_age() {
    const AGE: std::time::Duration = std::time::Duration::from_secs(2);
    for store in caremarket_testkit::all_backends().await.expect("stores") {
        let db = format!("{:?}", store.backend());
        store.set_setting("council_name", "Testshire Council").await.expect("setting");
        let settings = caremarket_web::WebSettings { public_page_seconds: AGE.as_secs(), ..common::test_settings() };
        let mut public = Client::with_settings(store.clone(), settings);
        let f = fixture(&public).await;
        assert!(!oak_listed_as_contracted(&mut public).await, "{db}: Oak starts not contracted");
        let r = public.get(&format!("/directory/services/{}", f.oak)).await;
        assert!(r.contains("<dd class=\"govuk-summary-list__value\">No</dd>"), "{db}");

        // Through the server: the commissioner contracts Oak, and the public sees it at once.
        let mut officer = public.sibling();
        officer.user("comm@test.gov.uk", Role::Commissioner, None).await;
        officer.sign_in_as("comm@test.gov.uk").await;
        officer.get(&format!("/services/{}/edit", f.oak)).await.assert_ok();
        let r = officer
            .post_form(&format!("/services/{}/edit", f.oak), &[("contract_status", "spot"), ("kind", "home_care"), ("council_notes", "")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{db}: {}", r.body);
        assert!(oak_listed_as_contracted(&mut public).await, "{db}: an officer's change shows at once");
        let r = public.get(&format!("/directory/services/{}", f.oak)).await;
        assert!(r.contains("<dd class=\"govuk-summary-list__value\">Yes</dd>"), "{db}: the service's own page too");
        let copied = std::time::Instant::now();

        // Elsewhere: the copy is served until it is AGE old, then the page is rendered again.
        contract_elsewhere(&store, &f.oak, ContractStatus::NotContracted).await;
        let still_listed = oak_listed_as_contracted(&mut public).await;
        // On a machine so slow that the copy aged out already, only the second half can be checked.
        if copied.elapsed() < AGE {
            assert!(still_listed, "{db}: the copy is served while it is younger than public_page_seconds");
        }
        tokio::time::sleep(AGE.saturating_sub(copied.elapsed()) + std::time::Duration::from_millis(100)).await;
        assert!(!oak_listed_as_contracted(&mut public).await, "{db}: an old copy is rendered again");

        // With copies off, a change elsewhere shows at once.
        let settings = caremarket_web::WebSettings { public_page_seconds: 0, ..common::test_settings() };
        let mut uncopied = Client::with_settings(store.clone(), settings);
        assert!(!oak_listed_as_contracted(&mut uncopied).await, "{db}");
        contract_elsewhere(&store, &f.oak, ContractStatus::SpotPurchase).await;
        assert!(oak_listed_as_contracted(&mut uncopied).await, "{db}: public_page_seconds = 0 renders every request");
    }
}
