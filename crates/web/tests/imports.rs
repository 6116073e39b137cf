//! CQC imports from the web: upload, report, re-import, rejected rows, unreadable files, roles,
//! CSRF.

use crate::common;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use caremarket_core::access::Role;
use caremarket_store::register::ServiceFilter;
use common::{Client, Res};
use http_body_util::BodyExt;
use std::path::Path;
use tower::ServiceExt;

const BOUNDARY: &str = "----caremarketTestBoundary7MA4YWxkTrZu0gW";

enum Part<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a str, &'a [u8]),
}

/// A multipart/form-data body as a browser sends it.
fn multipart(parts: &[Part]) -> Vec<u8> {
    let mut body = Vec::new();
    for p in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match p {
            Part::Text(name, value) => {
                body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
            }
            Part::File(name, file_name, bytes) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
                body.extend_from_slice(b"\r\n");
            }
        }
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// A browser session over the router: `common::Client` keeps its session cookie to itself, so
/// multipart uploads (which it cannot send) go through this, signed in the same way.
struct Browser {
    app: Router,
    cookie: Option<String>,
    csrf: String,
}

impl Browser {
    async fn signed_in(app: &Router, email: &str) -> Browser {
        let mut b = Browser { app: app.clone(), cookie: None, csrf: String::new() };
        b.get("/sign-in").await.assert_ok();
        let form =
            serde_urlencoded::to_string([("email", email), ("password", common::PASSWORD), ("csrf_token", &b.csrf.clone())]).expect("form");
        let r = b.send("POST", "/sign-in", "application/x-www-form-urlencoded", form.into_bytes()).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "sign-in failed: {}", r.body);
        b
    }

    async fn send(&mut self, method: &str, path: &str, content_type: &str, body: Vec<u8>) -> Res {
        let mut req = Request::builder().method(method).uri(path).header(header::HOST, "localhost");
        if !content_type.is_empty() {
            req = req.header(header::CONTENT_TYPE, content_type);
        }
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        let res = self.app.clone().oneshot(req.body(Body::from(body)).expect("request")).await.expect("response");
        // A cookie jar by name: sign-in sets the session and the known-device cookie together
        // (issue 17 item 12), and the signed-out form-token cookie comes before them.
        for c in res.headers().get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()) {
            let pair = c.split(';').next().unwrap_or("").trim().to_string();
            let Some((name, _)) = pair.split_once('=') else { continue };
            let mut jar: Vec<String> = self
                .cookie
                .as_deref()
                .unwrap_or("")
                .split("; ")
                .filter(|p| !p.is_empty() && !p.starts_with(&format!("{name}=")))
                .map(str::to_string)
                .collect();
            if !c.to_ascii_lowercase().contains("max-age=0") {
                jar.push(pair);
            }
            self.cookie = if jar.is_empty() { None } else { Some(jar.join("; ")) };
        }
        let status = res.status();
        let location = res.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).map(str::to_string);
        let content_type = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        if let Some(i) = body.find("name=\"csrf_token\" value=\"") {
            let rest = &body[i + 25..];
            if let Some(end) = rest.find('"') {
                self.csrf = rest[..end].to_string();
            }
        }
        Res { status, location, content_type, content_disposition: None, body, bytes: bytes.to_vec(), headers: Default::default() }
    }

    async fn get(&mut self, path: &str) -> Res {
        self.send("GET", path, "", Vec::new()).await
    }

    /// Upload files as the import form does, with the page's CSRF token first, saying the
    /// files are complete.
    async fn upload(&mut self, files: &[(&str, &[u8])]) -> Res {
        let token = self.csrf.clone();
        let mut parts = vec![Part::Text("csrf_token", &token), Part::Text("completeness", "complete")];
        parts.extend(files.iter().map(|(name, bytes)| Part::File("file", name, bytes)));
        self.upload_parts(&parts).await
    }

    /// Tick the confirmation of a pending upload, saying it deregisters `count` services.
    async fn confirm(&mut self, pending: &str, count: usize) -> Res {
        let form =
            serde_urlencoded::to_string([("csrf_token", self.csrf.clone()), ("count", count.to_string()), ("confirm", "yes".into())])
                .expect("form");
        self.send("POST", pending, "application/x-www-form-urlencoded", form.into_bytes()).await
    }

    async fn upload_parts(&mut self, parts: &[Part<'_>]) -> Res {
        let ct = format!("multipart/form-data; boundary={BOUNDARY}");
        self.send("POST", "/imports", &ct, multipart(parts)).await
    }
}

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/cqc").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

const DIRECTORY: &str = "directory-15.csv";
const BAD_ROWS: &str = "bad-rows-directory-15.csv";

/// The summary list value for `key` on a report page.
fn summary_value(body: &str, key: &str) -> String {
    let i = body.find(&format!("{key}\n")).or_else(|| body.find(key)).unwrap_or_else(|| panic!("no '{key}' in report"));
    let rest = &body[i..];
    let v = rest.find("govuk-summary-list__value\">").expect("value") + "govuk-summary-list__value\">".len();
    let end = rest[v..].find("</dd>").expect("end");
    rest[v..v + end].trim().to_string()
}

/// As minijinja escapes text and attributes.
fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#x27;").replace('/', "&#x2f;")
}

async fn service_count(c: &Client) -> i64 {
    c.store
        .services(&ServiceFilter { per_page: 1, any_area: true, registration: Some("all".into()), ..Default::default() })
        .await
        .expect("services")
        .total
}

async fn admin() -> (Client, Browser) {
    let c = Client::sqlite().await;
    c.user("admin@test.gov.uk", Role::Admin, None).await;
    let b = Browser::signed_in(&c.app, "admin@test.gov.uk").await;
    (c, b)
}

#[tokio::test]
async fn admin_uploads_a_cqc_file_and_reimporting_changes_nothing() {
    let (c, mut b) = admin().await;
    let r = b.get("/imports").await;
    r.assert_ok();
    assert!(r.contains("There have been no imports yet"));
    assert!(r.contains("href=\"/imports/new\""));

    b.get("/imports/new").await.assert_ok();
    let bytes = fixture(DIRECTORY);
    let r = b.upload(&[(DIRECTORY, &bytes)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let report_url = r.location.clone().expect("redirect to the report");
    assert!(report_url.starts_with("/imports/"));

    let r = b.get(&report_url).await;
    r.assert_ok();
    assert!(r.contains(DIRECTORY));
    let new: i64 = summary_value(&r.body, "New services").parse().expect("number");
    assert!(new > 0);
    assert_eq!(summary_value(&r.body, "Updated"), "0");
    assert_eq!(summary_value(&r.body, "Unchanged"), "0");
    assert_eq!(service_count(&c).await, new, "every new service is in the register");

    // The same file again: all unchanged.
    b.get("/imports/new").await;
    let r = b.upload(&[(DIRECTORY, &bytes)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = b.get(r.location.as_deref().expect("report")).await;
    assert_eq!(summary_value(&r.body, "New services"), "0");
    assert_eq!(summary_value(&r.body, "Updated"), "0");
    assert_eq!(summary_value(&r.body, "Deregistered"), "0");
    assert_eq!(summary_value(&r.body, "Unchanged"), new.to_string());
    assert_eq!(service_count(&c).await, new);

    // Both are listed, each linking to its report.
    let r = b.get("/imports").await;
    assert_eq!(r.body.matches(DIRECTORY).count(), 2, "{}", r.body);
    assert!(r.contains(&format!("href=\"{}\"", html_escape(&report_url))));
    assert!(r.contains("Completed"));
}

#[tokio::test]
async fn several_files_are_imported_in_order() {
    let (c, mut b) = admin().await;
    b.get("/imports/new").await;
    let (first, second) = (fixture(DIRECTORY), fixture("directory-18.csv"));
    let r = b.upload(&[(DIRECTORY, &first), ("directory-18.csv", &second)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some("/imports?imported=2"));
    let r = b.get("/imports?imported=2").await;
    r.assert_ok();
    assert!(r.contains("Imported 2 files"), "{}", r.body);
    let imports = c.store.imports(10).await.expect("imports");
    assert_eq!(imports.len(), 2);
    assert!(imports.iter().all(|i| i.status == "completed"));
}

#[tokio::test]
async fn rejected_rows_are_listed_with_their_row_numbers() {
    let (c, mut b) = admin().await;
    b.get("/imports/new").await;
    let bytes = fixture(BAD_ROWS);
    let r = b.upload(&[(BAD_ROWS, &bytes)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let url = r.location.expect("report");
    let r = b.get(&url).await;
    r.assert_ok();
    let report = c.store.import(url.trim_start_matches("/imports/")).await.expect("import");
    assert!(!report.rejections.is_empty(), "the fixture has bad rows");
    assert_eq!(summary_value(&r.body, "Rejected rows"), report.rejections.len().to_string());
    assert!(r.contains("Rejected rows"));
    for rej in &report.rejections {
        assert!(r.contains(&format!("govuk-table__cell--numeric\">{}</td>", rej.row)), "row {} not listed", rej.row);
        let reason = html_escape(&rej.reason);
        assert!(r.contains(&reason), "reason '{}' not shown", rej.reason);
    }
    // And as a CSV download.
    let csv = b.get(&format!("{url}/rejections.csv")).await;
    csv.assert_ok();
    assert!(csv.content_type.as_deref().unwrap_or("").starts_with("text/csv"));
    assert_eq!(csv.body.lines().count(), report.rejections.len() + 1);
}

#[tokio::test]
async fn an_unreadable_file_shows_the_error_and_changes_nothing() {
    let (c, mut b) = admin().await;
    b.get("/imports/new").await;
    let good = fixture(DIRECTORY);
    let corrupt = fixture("corrupt.xlsx");
    // A good file with a damaged one: neither is applied.
    let r = b.upload(&[(DIRECTORY, &good), ("CQC_directory.xlsx", &corrupt)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("govuk-error-summary"), "{}", r.body);
    assert!(r.contains("CQC_directory.xlsx"), "the error names the file");
    assert!(r.contains("govuk-file-upload--error"));
    assert!(r.contains("<title>Error: "));
    assert_eq!(service_count(&c).await, 0, "nothing changed");
    // The failure is recorded.
    let imports = c.store.imports(10).await.expect("imports");
    assert_eq!(imports.len(), 1);
    assert_eq!(imports[0].status, "failed");
    let r = b.get(&format!("/imports/{}", imports[0].id)).await;
    r.assert_ok();
    assert!(r.contains("could not be read"));
}

#[tokio::test]
async fn no_file_chosen_asks_for_one() {
    let (c, mut b) = admin().await;
    b.get("/imports/new").await;
    // What a browser sends when the file input is left empty.
    let r = b.upload(&[("", b"")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("govuk-error-summary"));
    assert!(r.contains("<a href=\"#file\">Select a CQC file</a>"), "{}", r.body);
    assert!(c.store.imports(10).await.expect("imports").is_empty());
}

#[tokio::test]
async fn upload_without_csrf_token_is_refused() {
    let (c, mut b) = admin().await;
    b.get("/imports/new").await;
    let bytes = fixture(DIRECTORY);
    let r = b.upload_parts(&[Part::File("file", DIRECTORY, &bytes)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("This form has expired"), "{}", r.body);
    let r = b.upload_parts(&[Part::Text("csrf_token", "forged"), Part::File("file", DIRECTORY, &bytes)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(service_count(&c).await, 0);
    assert!(c.store.imports(10).await.expect("imports").is_empty());
}

#[tokio::test]
async fn only_administrators_may_import() {
    let c = Client::sqlite().await;
    c.user("commissioner@test.gov.uk", Role::Commissioner, None).await;
    let mut b = Browser::signed_in(&c.app, "commissioner@test.gov.uk").await;
    assert_eq!(b.get("/imports").await.status, StatusCode::FORBIDDEN);
    assert_eq!(b.get("/imports/new").await.status, StatusCode::FORBIDDEN);
    let bytes = fixture(DIRECTORY);
    let r = b.upload(&[(DIRECTORY, &bytes)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(service_count(&c).await, 0);
    // The navigation does not offer it either (it does for an administrator).
    let r = b.get("/dashboard").await;
    r.assert_ok();
    assert!(!r.contains(&format!("href=\"{}\"", html_escape("/imports"))));
    c.user("admin@test.gov.uk", Role::Admin, None).await;
    let r = Browser::signed_in(&c.app, "admin@test.gov.uk").await.get("/dashboard").await;
    assert!(r.contains(&format!("href=\"{}\"", html_escape("/imports"))));

    // Signed out: sent to sign in.
    let mut anon = Client::new(c.store.clone());
    let r = anon.get("/imports").await;
    assert_eq!(r.location.as_deref(), Some("/sign-in"));
}

#[tokio::test]
async fn a_file_over_the_upload_limit_is_refused() {
    use caremarket_web::{AppState, WebSettings};
    let c = Client::sqlite().await;
    c.user("admin@test.gov.uk", Role::Admin, None).await;
    let state = AppState::new(c.store.clone(), WebSettings { sign_in_burst: 1000, max_upload_bytes: 1024 * 1024, ..Default::default() })
        .expect("state");
    let app = caremarket_web::router(state)
        .layer(axum::Extension(axum::extract::ConnectInfo(std::net::SocketAddr::from(([127, 0, 0, 1], 4000)))));
    let mut b = Browser::signed_in(&app, "admin@test.gov.uk").await;
    b.get("/imports/new").await;
    let big = vec![b'x'; 2 * 1024 * 1024];
    let r = b.upload(&[("big.csv", &big)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("The selected file must be smaller than 1 MB"), "{}", r.body);
    assert!(c.store.imports(10).await.expect("imports").is_empty());
}

#[tokio::test]
async fn an_unknown_import_is_not_found() {
    let (_c, mut b) = admin().await;
    assert_eq!(b.get("/imports/00000000-0000-0000-0000-000000000000").await.status, StatusCode::NOT_FOUND);
}

/// Issue 14 items 2, 7 and 11 through the upload form: API documents of a dentist and a care
/// home (real Oldham documents), a provider document, and a JSON file that is not CQC's.
#[tokio::test]
async fn uploads_skip_healthcare_name_providers_and_refuse_json_that_is_not_cqcs() {
    let (c, mut b) = admin().await;
    b.get("/imports/new").await;
    let lock = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../package-lock.json")).expect("package-lock.json");
    let r = b.upload(&[("package-lock.json", &lock)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("govuk-error-summary"), "{}", r.body);
    assert!(r.contains(&html_escape("'package-lock.json' is not a CQC API document")), "{}", r.body);
    assert_eq!(service_count(&c).await, 0, "nothing changed");

    // One care home and one dentist, as an array of documents, then the care home's provider.
    let home: serde_json::Value = serde_json::from_slice(&fixture("oldham/location_details/location_1-112890157.json")).expect("json");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/cqc/oldham/location_details");
    let dentist: serde_json::Value = std::fs::read_dir(&dir)
        .expect("folder")
        .map(|e| serde_json::from_slice::<serde_json::Value>(&std::fs::read(e.expect("entry").path()).expect("read")).expect("json"))
        .find(|d| d["type"] == "Primary Dental Care")
        .expect("a dentist in the excerpt");
    let both = serde_json::to_vec(&serde_json::json!([home, dentist])).expect("json");
    let provider_file = format!("oldham/provider_details/provider_{}.json", home["providerId"].as_str().expect("provider id"));
    let provider: serde_json::Value = serde_json::from_slice(&fixture(&provider_file)).expect("json");
    b.get("/imports/new").await;
    let r = b.upload(&[("locations.json", &both), ("provider.json", &fixture(&provider_file))]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let imports = c.store.imports(10).await.expect("imports");
    let first = imports.iter().find(|i| i.file_name == "locations.json").expect("first import");
    assert_eq!((first.new, first.skipped, first.rejected), (1, 1, 0));
    let r = b.get(&format!("/imports/{}", first.id)).await;
    r.assert_ok();
    let skipped = summary_value(&r.body, "Skipped");
    assert!(skipped.starts_with("1 not social care location "), "{skipped}");
    assert!(skipped.contains(&html_escape("1 not a social care location (CQC type 'Primary Dental Care')")), "{skipped}");
    let s = c.store.service_by_location_id(home["locationId"].as_str().expect("id")).await.expect("lookup").expect("service");
    assert_eq!(s.provider_name, provider["name"].as_str().expect("name"));
    assert!(c.store.service_by_location_id(dentist["locationId"].as_str().expect("id")).await.expect("lookup").is_none());
}

#[tokio::test]
async fn the_form_asks_whether_the_file_is_complete() {
    let (c, mut b) = admin().await;
    let r = b.get("/imports/new").await;
    assert!(r.contains("name=\"completeness\" type=\"radio\" value=\"complete\""), "{}", r.body);
    let token = b.csrf.clone();
    let bytes = fixture(DIRECTORY);
    let r = b.upload_parts(&[Part::Text("csrf_token", &token), Part::File("file", DIRECTORY, &bytes)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("<a href=\"#completeness\">Select whether the file is complete or partial</a>"), "{}", r.body);
    assert_eq!(service_count(&c).await, 0);
    assert!(c.store.imports(10).await.expect("imports").is_empty());
}

/// Registered social care services of Oldham in the planning fixture that the export excerpt
/// does not list, by name, counted from the documents themselves.
fn oldham_not_in_export() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/cqc/planning/api");
    let export = String::from_utf8(fixture("planning/export-45-oldham.csv")).expect("utf8");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(e.expect("e").path()).expect("read")).expect("json"))
        .filter(|d| d["registrationStatus"] == "Registered" && d["type"] == "Social Care Org")
        .filter(|d| !export.contains(d["locationId"].as_str().expect("id")))
        .map(|d| d["name"].as_str().expect("name").to_string())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn many_deregistrations_are_shown_before_they_happen() {
    let (c, mut b) = admin().await;
    let api = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/cqc/planning/api");
    let outcome = caremarket_ingest::parse_cqc_file(&api, &mut |_, _| {}).expect("api");
    let opts = caremarket_store::import::ImportOptions { file_name: "api".into(), ..Default::default() };
    c.store.import_cqc(&caremarket_store::Actor::system("test"), &opts, &outcome.records, vec![], &mut |_, _| {}).await.expect("api");
    let expected = oldham_not_in_export();
    assert!(expected.len() > caremarket_core::register::import_plan::CONFIRM_DEREGISTRATIONS_ABOVE);

    b.get("/imports/new").await;
    let bytes = fixture("planning/export-45-oldham.csv");
    let r = b.upload(&[("export.csv", &bytes)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let pending = r.location.clone().expect("location");
    assert!(pending.starts_with("/imports/pending/"), "{pending}");
    assert_eq!(c.store.imports(10).await.expect("imports").len(), 1, "nothing imported before confirmation");

    let page = b.get(&pending).await;
    page.assert_ok();
    assert!(page.contains(&format!("Check the {} services to be marked deregistered", expected.len())), "{}", page.body);
    for name in &expected {
        assert!(page.contains(&html_escape(name)), "{name} not listed");
    }

    // Not ticked: asked again, nothing done.
    let form = serde_urlencoded::to_string([("csrf_token", b.csrf.clone()), ("count", expected.len().to_string())]).expect("form");
    let r = b.send("POST", &pending, "application/x-www-form-urlencoded", form.into_bytes()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("<a href=\"#confirm\">Confirm that these services have closed"), "{}", r.body);
    assert_eq!(c.store.imports(10).await.expect("imports").len(), 1);

    // A count other than the list now: asked again.
    let form =
        serde_urlencoded::to_string([("csrf_token", b.csrf.clone()), ("count", "1".into()), ("confirm", "yes".into())]).expect("form");
    let r = b.send("POST", &pending, "application/x-www-form-urlencoded", form.into_bytes()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    let r = b.confirm(&pending, expected.len()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let report = b.get(r.location.as_deref().expect("report")).await;
    assert_eq!(summary_value(&report.body, "Deregistered"), expected.len().to_string());
    assert_eq!(summary_value(&report.body, "The file was"), "Complete for its local authorities");
    // The pending upload is gone.
    assert_eq!(b.get(&pending).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_partial_upload_deregisters_nothing_and_says_why() {
    let (c, mut b) = admin().await;
    let api = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/cqc/planning/api");
    let outcome = caremarket_ingest::parse_cqc_file(&api, &mut |_, _| {}).expect("api");
    let opts = caremarket_store::import::ImportOptions { file_name: "api".into(), ..Default::default() };
    c.store.import_cqc(&caremarket_store::Actor::system("test"), &opts, &outcome.records, vec![], &mut |_, _| {}).await.expect("api");
    b.get("/imports/new").await;
    let token = b.csrf.clone();
    let bytes = fixture("planning/export-45-oldham.csv");
    let r = b
        .upload_parts(&[Part::Text("csrf_token", &token), Part::Text("completeness", "partial"), Part::File("file", "export.csv", &bytes)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let report = b.get(r.location.as_deref().expect("report")).await;
    assert_eq!(summary_value(&report.body, "Deregistered"), "0");
    assert!(summary_value(&report.body, "Nothing deregistered because").contains("partial"));
}

#[tokio::test]
async fn an_administrator_sets_the_council_area_and_every_service_is_recalculated() {
    let (c, mut b) = admin().await;
    let outcome = caremarket_ingest::parse_cqc_bytes("export.csv", &fixture("planning/export-45-oldham.csv"), &mut |_, _| {}).expect("csv");
    let opts = caremarket_store::import::ImportOptions { file_name: "export".into(), ..Default::default() };
    c.store.import_cqc(&caremarket_store::Actor::system("test"), &opts, &outcome.records, vec![], &mut |_, _| {}).await.expect("import");
    let text = String::from_utf8(fixture("planning/export-45-oldham.csv")).expect("utf8");
    let oldham_rows = text.lines().skip(1).filter(|l| l.contains(",\"Oldham\",")).count() as i64;
    let in_area = |c: &Client| {
        let store = c.store.clone();
        async move {
            store
                .services(&ServiceFilter { per_page: 1, registration: Some("all".into()), ..Default::default() })
                .await
                .expect("services")
                .total
        }
    };
    assert_eq!(in_area(&c).await, service_count(&c).await, "not set: everything in the area");

    let page = b.get("/admin/council-area").await;
    page.assert_ok();
    // The version of the setting the form was opened at (decision 25).
    let version = page.body.split("name=\"version\" value=\"").nth(1).and_then(|v| v.split('"').next()).expect("version").to_string();
    let form =
        serde_urlencoded::to_string([("csrf_token", b.csrf.clone()), ("version", version.clone()), ("local_authorities", "Oldam".into())])
            .expect("form");
    let r = b.send("POST", "/admin/council-area", "application/x-www-form-urlencoded", form.into_bytes()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("<a href=\"#local_authorities\">No service in the register is in"), "{}", r.body);
    let form =
        serde_urlencoded::to_string([("csrf_token", b.csrf.clone()), ("version", version.clone()), ("local_authorities", "".into())])
            .expect("form");
    let r = b.send("POST", "/admin/council-area", "application/x-www-form-urlencoded", form.into_bytes()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("Enter at least one local authority"));

    let form =
        serde_urlencoded::to_string([("csrf_token", b.csrf.clone()), ("version", version.clone()), ("local_authorities", "Oldham".into())])
            .expect("form");
    let r = b.send("POST", "/admin/council-area", "application/x-www-form-urlencoded", form.into_bytes()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(in_area(&c).await, oldham_rows);
    let done = b.get(r.location.as_deref().expect("back")).await;
    assert!(done.contains("Every service was recalculated"), "{}", done.body);

    // Not for other roles.
    c.user("commissioner@test.gov.uk", Role::Commissioner, None).await;
    let mut other = Browser::signed_in(&c.app, "commissioner@test.gov.uk").await;
    assert_eq!(other.get("/admin/council-area").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_dashboard_shows_where_and_when_each_national_figure_came_from() {
    let (c, mut b) = admin().await;
    // A care home so the row appears, and a national figure as a national import records it.
    let outcome = caremarket_ingest::parse_cqc_bytes("export.csv", &fixture("planning/export-45-oldham.csv"), &mut |_, _| {}).expect("csv");
    let opts = caremarket_store::import::ImportOptions { file_name: "export".into(), ..Default::default() };
    c.store.import_cqc(&caremarket_store::Actor::system("test"), &opts, &outcome.records, vec![], &mut |_, _| {}).await.expect("import");
    let kind = outcome.records.iter().map(|l| l.kind()).find(|k| k.is_care_home()).expect("a care home in the excerpt");
    let source = "CQC file HSCA_Active_Locations.ods (complete, 153 local authorities), imported 2026-11-02";
    c.store
        .set_national_benchmark(
            &caremarket_store::Actor::system("test"),
            &caremarket_store::register::NationalBenchmark {
                kind,
                percent_good_or_outstanding: 78.5,
                rated_services: Some(10_000),
                as_at: "2026-11-02".into(),
                source: source.into(),
            },
        )
        .await
        .expect("benchmark");
    let r = b.get("/dashboard").await;
    r.assert_ok();
    assert!(r.contains("as at 2 November 2026"), "{}", r.body);
    assert!(r.contains(&html_escape(source)), "{}", r.body);
}

/// A directory file (CQC's 15 columns) of homecare agencies in Oldham, one per id.
fn directory_of(ids: &[u64]) -> String {
    let mut csv = String::from(
        "Name,Also known as,Address,Postcode,Phone number,Service's website (if available),Service types,Date of latest check,\
         Specialisms/services,Provider name,Local authority,Region,Location URL,CQC Location ID (for office use only),\
         CQC Provider ID (for office use only)\n",
    );
    for id in ids {
        csv.push_str(&format!(
            "Agency {id},,{id} Union Street,OL1 1AA,0161 000 0000,,Homecare agencies,,Dementia,Provider {id},Oldham,North West,\
             https://www.cqc.org.uk/location/1-{id},1-{id},1-9{id}\n"
        ));
    }
    csv
}

/// The command line reads a file twice: once to list it (before anything changes), once to
/// import it as it is read. A file changed in between must not be imported half as one version
/// and half as another, so the import is refused whole, names both counts, and rolls back what
/// it wrote.
/// A directory file's first reading, and then its import as the command line reads it again
/// from `path`, partial.
async fn import_read_again(
    store: &caremarket_store::Store,
    path: &std::path::Path,
    first: (caremarket_ingest::ParseOutcome, caremarket_core::register::import_plan::Listed),
) -> Result<caremarket_store::import::ImportReport, caremarket_store::StoreError> {
    let (outcome, listed) = first;
    let options =
        caremarket_web::import_options("directory.csv", &outcome, caremarket_core::register::import_plan::Completeness::Partial, &[]);
    caremarket_web::import_cqc_file_streamed(
        store,
        &caremarket_store::Actor::system("test"),
        path,
        &options,
        listed,
        outcome.rejections,
        &mut |_, _| {},
    )
    .await
}

#[tokio::test]
async fn a_file_changed_between_its_two_readings_is_refused_and_changes_nothing() {
    // More than a batch (500), so one batch is written before the change shows at the end.
    let first: Vec<u64> = (1_000_000_001..=1_000_000_601).collect();
    let second = &first[..600];
    let list = |path: &std::path::Path| caremarket_ingest::list_cqc_file(path, &mut |_, _| {}).expect("first reading");
    for store in caremarket_testkit::all_backends().await.expect("stores") {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("directory.csv");
        std::fs::write(&path, directory_of(&first)).expect("write");
        let listing = list(&path);
        assert_eq!(listing.1.locations, first.len() as u64);
        std::fs::write(&path, directory_of(second)).expect("rewrite");
        let err = import_read_again(&store, &path, listing).await.expect_err("a file that changed between its readings");
        let text = err.to_string();
        for part in [
            path.display().to_string(),
            format!("listed {} locations then and {} now", first.len(), second.len()),
            "nothing was imported".to_string(),
        ] {
            assert!(text.contains(&part), "'{part}' not in: {text}");
        }
        let held = store
            .services(&ServiceFilter { per_page: 1, any_area: true, registration: Some("all".into()), ..Default::default() })
            .await
            .expect("services")
            .total;
        assert_eq!(held, 0, "no service may be left from a refused file");

        // A re-import compares its first reading with the register and reads again only what
        // differs (decision 57): here the one location the register lacks. The second reading
        // still counts every location, so the changed file is refused the same way.
        let report = import_read_again(&store, &path, list(&path)).await.expect("the shorter file imported");
        assert_eq!(report.new, second.len() as i64);
        std::fs::write(&path, directory_of(&first)).expect("rewrite");
        let listing = list(&path);
        std::fs::write(&path, directory_of(second)).expect("rewrite again");
        let err = import_read_again(&store, &path, listing).await.expect_err("a re-imported file that changed between its readings");
        assert!(err.to_string().contains(&format!("listed {} locations then and {} now", first.len(), second.len())), "{err}");
        let imports = store.imports(10).await.expect("imports");
        assert_eq!(imports.len(), 1, "the refused re-import recorded nothing");
    }
}

/// An upload waiting for confirmation keeps its file as it arrived, over several chunks of the
/// store (issue 18 item 1, migration 0043): the page lists what the kept bytes would deregister,
/// and confirming applies those bytes, read again as they are applied. On SQLite and PostgreSQL.
#[tokio::test]
async fn a_pending_upload_over_several_chunks_is_applied_as_it_arrived() {
    use caremarket_core::register::{RegistrationStatus, ServiceKind};
    use caremarket_store::import::PENDING_CHUNK_BYTES;
    let whole = caremarket_ingest::synthetic::generate_locations_export_csv(4_000, 11);
    // The upload leaves out every 100th location of what the register holds.
    let lines: Vec<&str> = whole.lines().collect();
    let (header, rows) = lines.split_first().expect("header");
    let kept: Vec<&str> = rows.iter().enumerate().filter(|(i, _)| i % 100 != 99).map(|(_, r)| *r).collect();
    let upload = format!("{header}\n{}\n", kept.join("\n"));
    assert!(upload.len() > 2 * PENDING_CHUNK_BYTES, "the upload spans more than two chunks: {} bytes", upload.len());

    // What the upload would deregister, from the records: a registered location it leaves out,
    // in a local authority it has rows for, of a kind it covers (social care).
    let all = caremarket_ingest::parse_cqc_bytes("export.csv", whole.as_bytes(), &mut |_, _| {}).expect("whole");
    let listed = caremarket_ingest::parse_cqc_bytes("export.csv", upload.as_bytes(), &mut |_, _| {}).expect("upload");
    assert!(all.rejections.is_empty() && listed.rejections.is_empty());
    let listed_ids: std::collections::HashSet<&str> = listed.records.iter().map(|r| r.location_id.as_str()).collect();
    let listed_las: std::collections::HashSet<&str> = listed.records.iter().filter_map(|r| r.local_authority.as_deref()).collect();
    let closing: Vec<&str> = all
        .records
        .iter()
        .filter(|r| !listed_ids.contains(r.location_id.as_str()))
        .filter(|r| r.registration_status == RegistrationStatus::Registered)
        .filter(|r| r.local_authority.as_deref().is_some_and(|la| listed_las.contains(la)))
        .filter(|r| r.kind() != ServiceKind::Other)
        .map(|r| r.location_id.as_str())
        .collect();
    assert!(closing.len() > caremarket_core::register::import_plan::CONFIRM_DEREGISTRATIONS_ABOVE, "{}", closing.len());

    for store in caremarket_testkit::all_backends().await.expect("stores") {
        let opts = caremarket_store::import::ImportOptions { file_name: "whole.csv".into(), ..Default::default() };
        store.import_cqc(&caremarket_store::Actor::system("test"), &opts, &all.records, vec![], &mut |_, _| {}).await.expect("whole");
        let c = Client::new(store);
        let admin_id = c.user("admin@test.gov.uk", Role::Admin, None).await;
        let mut b = Browser::signed_in(&c.app, "admin@test.gov.uk").await;
        b.get("/imports/new").await;
        let r = b.upload(&[("export.csv", upload.as_bytes())]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let pending = r.location.clone().expect("location");
        let id = pending.strip_prefix("/imports/pending/").expect("pending").to_string();

        // Kept as it arrived: the file's bytes over as many chunks as they fill.
        let (_, files) = c.store.pending_import(&id, Some(&admin_id)).await.expect("kept");
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].name, "export.csv");
        assert_eq!(files[0].chunks, upload.len().div_ceil(PENDING_CHUNK_BYTES) as i64);

        let page = b.get(&pending).await;
        page.assert_ok();
        assert!(page.contains(&format!("Check the {} services to be marked deregistered", closing.len())), "{}", page.body);
        for loc in &closing {
            assert!(page.contains(loc), "{loc} not listed");
        }

        let r = b.confirm(&pending, closing.len()).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let report = b.get(r.location.as_deref().expect("report")).await;
        assert_eq!(summary_value(&report.body, "Deregistered"), closing.len().to_string());
        assert_eq!(summary_value(&report.body, "Unchanged"), kept.len().to_string());
        assert_eq!(summary_value(&report.body, "New services"), "0");
        for loc in &closing {
            let s = c.store.service_by_location_id(loc).await.expect("lookup").expect("service");
            assert_eq!(s.registration_status, "deregistered", "{loc}");
        }
        // Applied, the upload is no longer kept.
        assert_eq!(b.get(&pending).await.status, StatusCode::NOT_FOUND);
        assert!(c.store.pending_import(&id, Some(&admin_id)).await.is_err());
    }
}
