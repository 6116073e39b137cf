//! Issue 17: the application attacked the way the tester did, through the router. Each test
//! names the item it attacks.

use crate::common;

use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode, header};
use caremarket_core::access::Role;
use caremarket_core::limits;
use caremarket_web::SignInThrottle;
use common::Client;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tower::ServiceExt;

/// A request body of `total` bytes that counts how much of it the server pulled.
fn counted_body(total: usize, pulled: Arc<AtomicUsize>) -> Body {
    let chunk = 64 * 1024;
    let chunks = total.div_ceil(chunk);
    let stream = futures_util::stream::iter((0..chunks).map(move |i| {
        let n = chunk.min(total - i * chunk);
        pulled.fetch_add(n, Ordering::SeqCst);
        Ok::<_, std::io::Error>(Bytes::from(vec![b'a'; n]))
    }));
    Body::from_stream(stream)
}

// ---- item 1: memory exhaustion without signing in --------------------------------------------

#[tokio::test]
async fn an_overlong_sign_in_email_is_refused_and_never_remembered() {
    let mut c = Client::sqlite().await;
    c.get("/sign-in").await.assert_ok();
    let throttle_before = c.throttle_tracked();
    // 5,000 characters: under every general field limit, far over any email address.
    let email = format!("{}@example.gov.uk", "a".repeat(5_000));
    let res = c.post_form("/sign-in", &[("email", &email), ("password", "whatever-password")]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.contains(&format!("Email address must be {} characters or fewer", limits::EMAIL_CHARS)), "{}", res.body);
    assert!(!res.contains(&"a".repeat(1000)), "the long email is not echoed back");
    assert_eq!(c.throttle_tracked(), throttle_before, "the lockout map did not take the email");
    // 60,000 characters: over the limit for any field, refused before the sign-in handler.
    let email = format!("{}@example.gov.uk", "a".repeat(60_000));
    let res = c.post_form("/sign-in", &[("email", &email), ("password", "whatever-password")]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.contains("Email must be 10,000 characters or fewer"), "{}", res.body);
    assert_eq!(c.throttle_tracked(), throttle_before);

    let password = "p".repeat(limits::PASSWORD_CHARS + 1);
    let res = c.post_form("/sign-in", &[("email", "someone@test.gov.uk"), ("password", &password)]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.contains(&format!("Password must be {} characters or fewer", limits::PASSWORD_CHARS)));
    assert_eq!(c.throttle_tracked(), throttle_before);
}

#[tokio::test]
async fn failed_sign_ins_for_a_real_address_are_remembered_and_a_wrong_one_does_not_grow_the_map_on_lookup() {
    let mut c = Client::sqlite().await;
    c.user("officer@test.gov.uk", Role::Commissioner, None).await;
    c.get("/sign-in").await;
    let res = c.post_form("/sign-in", &[("email", "officer@test.gov.uk"), ("password", "wrong-password-1")]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(c.throttle_tracked(), 1);
    // A lockout check for an address never seen adds nothing.
    assert!(!c.throttle().locked("nobody@test.gov.uk"));
    assert_eq!(c.throttle_tracked(), 1);
}

#[test]
fn the_lockout_map_is_bounded_and_keeps_the_newest_failures() {
    let t = SignInThrottle::with_capacity(100);
    for i in 0..1_000 {
        t.failed(&format!("attacker{i}@example.com"));
    }
    assert_eq!(t.tracked(), 100);
    // The newest entries survive, so a real account under attack is still counted.
    for _ in 0..5 {
        t.failed("victim@test.gov.uk");
    }
    assert!(t.locked("victim@test.gov.uk"));
    // One account's failures are kept to the handful the lockout needs.
    let one = SignInThrottle::with_capacity(10);
    for _ in 0..10_000 {
        one.failed("same@test.gov.uk");
    }
    assert_eq!(one.tracked(), 1);
    assert!(one.locked("same@test.gov.uk"));
    one.succeeded("same@test.gov.uk");
    assert_eq!(one.tracked(), 0);
}

#[tokio::test]
async fn every_form_field_is_capped_before_the_handler_keeps_it() {
    let mut c = Client::sqlite().await;
    c.user("officer@test.gov.uk", Role::Commissioner, None).await;
    c.sign_in_as("officer@test.gov.uk").await;
    c.get("/dashboard").await;
    let long = "x".repeat(limits::FIELD_CHARS + 1);
    // An account page form; any form goes through the same check.
    let res = c.post_form("/account/tokens", &[("name", &long)]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", &res.body[..res.body.len().min(500)]);
    assert!(res.contains("Name must be 10,000 characters or fewer"), "{}", res.body);
}

// ---- item 2: body limits ----------------------------------------------------------------------

#[tokio::test]
async fn a_large_anonymous_sign_out_is_refused_413_without_reading_it() {
    let c = Client::sqlite().await;
    let pulled = Arc::new(AtomicUsize::new(0));
    let size = 63 * 1024 * 1024;
    let req = Request::builder()
        .method("POST")
        .uri("/sign-out")
        .header(header::HOST, "localhost")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::CONTENT_LENGTH, size.to_string())
        .body(counted_body(size, pulled.clone()))
        .unwrap();
    let res = c.app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(pulled.load(Ordering::SeqCst), 0, "nothing of the body was read");
}

#[tokio::test]
async fn a_large_body_without_a_declared_length_is_cut_off_at_the_form_limit() {
    let c = Client::sqlite().await;
    let pulled = Arc::new(AtomicUsize::new(0));
    let size = 63 * 1024 * 1024;
    let req = Request::builder()
        .method("POST")
        .uri("/sign-out")
        .header(header::HOST, "localhost")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(counted_body(size, pulled.clone()))
        .unwrap();
    let res = c.app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // The stream is pulled in 64 KB chunks: at most the limit and the chunk that crossed it.
    assert!(pulled.load(Ordering::SeqCst) <= 2 * limits::FORM_BODY_BYTES, "read {} bytes", pulled.load(Ordering::SeqCst));
}

#[tokio::test]
async fn uploads_get_their_own_limit_only_for_roles_that_may_upload() {
    let mut admin = Client::sqlite().await;
    admin.user("admin@test.gov.uk", Role::Admin, None).await;
    admin.user("viewer@test.gov.uk", Role::Viewer, None).await;
    let big = "x".repeat(200 * 1024);
    // A viewer may upload nothing: a 200 KB multipart body is refused before it is read.
    let mut viewer = Client::new(admin.store.clone());
    viewer.sign_in_as("viewer@test.gov.uk").await;
    viewer.get("/dashboard").await;
    let token = viewer.csrf();
    let res = viewer.post_file("/imports", &token, "big.csv", &big).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(res.contains("A form can send up to 64 KB"), "{}", res.body);
    // Anonymous: the same.
    let mut anon = Client::new(admin.store.clone());
    let res = anon.post_file("/imports", "x", "big.csv", &big).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    // An admin may upload: the body is read and the import page answers about the file itself.
    admin.sign_in_as("admin@test.gov.uk").await;
    admin.get("/imports/new").await;
    let token = admin.csrf();
    let res = admin.post_file("/imports", &token, "big.csv", &big).await;
    assert_ne!(res.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", &res.body[..res.body.len().min(500)]);
    // The upload limit belongs to the pages that take a file, not to the role: the same admin's
    // 200 KB multipart body to pages without a file input is refused unread.
    for path in ["/sign-out", "/providers/p1/notes", "/admin/users/new", "/fees/bases"] {
        admin.get("/dashboard").await;
        let token = admin.csrf();
        let res = admin.post_file(path, &token, "big.csv", &big).await;
        assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        assert!(res.contains("A form can send up to 64 KB"), "{path}: {}", res.body);
    }
    // A page that takes a table has the table limit: over it, the file is refused unread and
    // the page says how large a file it takes.
    let over = "x".repeat(limits::TABLE_UPLOAD_BYTES + 1);
    admin.get("/fees/budgets/upload").await;
    let token = admin.csrf();
    let res = admin.post_file("/fees/budgets/upload", &token, "budgets.csv", &over).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    let mb = limits::TABLE_UPLOAD_BYTES / (1024 * 1024);
    assert!(
        common::visible_text(&res.body)
            .contains(&format!("The selected file is too large. Files on this page must be smaller than {mb} MB. Nothing was saved.")),
        "{}",
        common::visible_text(&res.body)
    );
    // Under it, the file reaches the page, which answers about its contents.
    let res = admin.post_file("/fees/budgets/upload", &token, "budgets.csv", &big).await;
    assert_ne!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn api_bodies_are_limited_too_and_answered_in_json() {
    let c = Client::sqlite().await;
    let req = Request::builder()
        .method("PATCH")
        .uri("/api/v1/services/x")
        .header(header::HOST, "localhost")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, (limits::FORM_BODY_BYTES + 1).to_string())
        .body(Body::from(vec![b' '; limits::FORM_BODY_BYTES + 1]))
        .unwrap();
    let res = c.app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(res.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/json"));
}

// ---- item 4: SQLite imports under ordinary traffic ---------------------------------------------

async fn session_rows(store: &caremarket_store::Store) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(store.pool()).await.expect("count")
}

#[tokio::test]
async fn viewing_pages_signed_out_writes_no_session() {
    let mut c = Client::sqlite().await;
    for path in ["/sign-in", "/directory", "/pa-register", "/no-such-page", "/sign-in"] {
        c.get(path).await;
    }
    assert_eq!(session_rows(&c.store).await, 0);
    // A form can still be sent: the token came from the form cookie.
    c.user("officer@test.gov.uk", Role::Commissioner, None).await;
    let res = c.sign_in_as("officer@test.gov.uk").await;
    assert_eq!(res.location.as_deref(), Some("/dashboard"));
    assert_eq!(session_rows(&c.store).await, 1, "signing in is what creates a session");
}

#[tokio::test]
async fn the_form_token_changes_at_sign_in_and_the_old_one_is_refused() {
    let mut c = Client::sqlite().await;
    c.user("officer@test.gov.uk", Role::Commissioner, None).await;
    c.get("/sign-in").await;
    let before = c.csrf();
    c.post_form("/sign-in", &[("email", "officer@test.gov.uk"), ("password", common::PASSWORD)]).await;
    c.get("/dashboard").await.assert_ok();
    let after = c.csrf();
    assert_ne!(before, after);
    let res = c.post_form_raw("/sign-out", &[("csrf_token", &before)]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let res = c.post_form_raw("/sign-out", &[("csrf_token", &after)]).await;
    assert_eq!(res.location.as_deref(), Some("/sign-in"));
}

#[tokio::test]
async fn a_signed_out_form_without_the_cookie_token_is_refused() {
    let mut c = Client::sqlite().await;
    c.get("/sign-in").await;
    let token = c.csrf();
    // Another client (no form cookie) sends the first one's token.
    let mut other = Client::new(c.store.clone());
    let res = other.post_form_raw("/sign-in", &[("email", "a@b.gov.uk"), ("password", "x"), ("csrf_token", &token)]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.contains("This form has expired"), "{}", res.body);
}

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/cqc").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// Distinct CQC location ids in a directory file, counted here from the file itself.
fn locations_in(csv_bytes: &[u8]) -> std::collections::BTreeSet<String> {
    let text = String::from_utf8_lossy(csv_bytes);
    let start = text.find("Name,").expect("header row");
    let mut rdr = csv::Reader::from_reader(text[start..].as_bytes());
    let col = rdr.headers().expect("headers").iter().position(|h| h.starts_with("CQC Location ID")).expect("location id column");
    rdr.records().filter_map(|r| r.ok()).map(|r| r[col].trim().to_string()).filter(|s| !s.is_empty()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_succeed_while_others_load_sign_in_and_save_notes() {
    let mut admin = Client::sqlite().await;
    admin.user("admin@test.gov.uk", Role::Admin, None).await;
    admin.user("officer@test.gov.uk", Role::Commissioner, None).await;
    let store = admin.store.clone();
    let files = [("directory-15.csv", fixture("directory-15.csv")), ("directory-18.csv", fixture("directory-18.csv"))];
    // The first import gives the officer a provider to write notes on.
    admin.sign_in_as("admin@test.gov.uk").await;
    admin.get("/imports/new").await;
    let token = admin.csrf();
    let res =
        admin.post_file_with("/imports", &token, &[("completeness", "partial")], files[0].0, &String::from_utf8_lossy(&files[0].1)).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let provider_id: String = sqlx::query_scalar("SELECT id FROM providers ORDER BY id LIMIT 1").fetch_one(store.pool()).await.unwrap();

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let failures = Arc::new(AtomicUsize::new(0));
    let mut traffic = Vec::new();
    {
        // A signed-out visitor loading the sign-in page.
        let (store, stop, failures) = (store.clone(), stop.clone(), failures.clone());
        traffic.push(tokio::spawn(async move {
            let mut anon = Client::new(store);
            while !stop.load(Ordering::Relaxed) {
                if anon.get("/sign-in").await.status != StatusCode::OK {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }));
    }
    {
        // An officer saving a note, again and again.
        let (store, stop, failures, pid) = (store.clone(), stop.clone(), failures.clone(), provider_id.clone());
        traffic.push(tokio::spawn(async move {
            let mut officer = Client::new(store);
            officer.sign_in_as("officer@test.gov.uk").await;
            officer.get("/dashboard").await;
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                // As a browser does: the page with the form (and the notes' version) first.
                officer.get(&format!("/providers/{pid}")).await;
                let res = officer.post_form(&format!("/providers/{pid}/notes"), &[("notes", &format!("note {n}"))]).await;
                if res.status != StatusCode::SEE_OTHER {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }));
    }
    for round in 0..6 {
        let (name, bytes) = &files[round % 2];
        admin.get("/imports/new").await;
        let token = admin.csrf();
        let res = admin.post_file_with("/imports", &token, &[("completeness", "partial")], name, &String::from_utf8_lossy(bytes)).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "import {round} of {name}: {}", &res.body[..res.body.len().min(2000)]);
    }
    stop.store(true, Ordering::Relaxed);
    for t in traffic {
        t.await.expect("traffic task");
    }
    assert_eq!(failures.load(Ordering::Relaxed), 0, "page views and note saves all succeeded");
    // Every location of both files is in the register, counted from the files themselves.
    let mut expected = locations_in(&files[0].1);
    expected.extend(locations_in(&files[1].1));
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM services").fetch_one(store.pool()).await.unwrap();
    assert_eq!(stored, expected.len() as i64);
    let imports: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM imports").fetch_one(store.pool()).await.unwrap();
    assert_eq!(imports, 7);
}

// ---- item 9: CSV formula injection ------------------------------------------------------------

#[tokio::test]
async fn the_services_csv_does_not_export_formulas() {
    use caremarket_core::register::{CqcLocation, CqcRatingSet, Rating};
    use caremarket_store::Actor;
    use caremarket_store::import::ImportOptions;
    let mut c = Client::sqlite().await;
    let names = [
        "=HYPERLINK(\"http://evil.example\",\"Click\")",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "+44 Care",
        "-minus",
        "\tTabbed Home",
        "Plain House",
    ];
    let records: Vec<CqcLocation> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let mut l = CqcLocation::new(format!("1-90{i}"), *n);
            l.provider_id = Some(format!("1-P90{i}"));
            l.provider_name = Some(format!("{n} Ltd"));
            l.service_types = vec!["Residential homes".into()];
            l.rating = Some(CqcRatingSet { overall: Some(Rating::Good), ..Default::default() });
            l
        })
        .collect();
    let opts = ImportOptions { file_name: "t.csv".into(), format: "t".into(), complete_register: true, ..Default::default() };
    c.store.import_cqc(&Actor::system("test"), &opts, &records, vec![], &mut |_, _| {}).await.expect("import");
    c.user("comm@test.gov.uk", Role::Commissioner, None).await;
    c.sign_in_as("comm@test.gov.uk").await;
    let res = c.get("/services.csv?registration=all").await;
    res.assert_ok();
    let mut rdr = csv::Reader::from_reader(res.body.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), names.len());
    for row in &rows {
        for cell in row.iter() {
            assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "a cell starts a formula: {cell:?}");
        }
    }
    // Each name is still there, shown as text.
    let exported: std::collections::BTreeSet<&str> = rows.iter().map(|r| &r[0]).collect();
    for n in names {
        let expected = if n.starts_with(['=', '+', '-', '@', '\t']) { format!("'{n}") } else { n.to_string() };
        assert!(exported.contains(expected.as_str()), "{expected:?} not in {exported:?}");
    }
}

/// Every CSV the application exports (the register, an import's rejected rows, the home care
/// payment schedule), with formula-like text in each field it prints: every cell reads as text.
#[tokio::test]
async fn every_csv_export_shows_formula_names_as_text() {
    use caremarket_core::register::{CqcLocation, Rejection};
    use caremarket_store::Actor;
    use caremarket_store::import::ImportOptions;
    const FORMULAS: [&str; 5] = ["=HYPERLINK(\"http://x\")", "@SUM(A1)", "+1", "-1", "\t=1"];
    let starts_formula = |c: &str| c.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let cells_of = |body: &str| -> Vec<Vec<String>> {
        let mut rdr = csv::ReaderBuilder::new().has_headers(false).from_reader(body.as_bytes());
        rdr.records().map(|r| r.expect("row").iter().map(str::to_string).collect()).collect()
    };
    for store in caremarket_testkit::all_backends().await.expect("backends") {
        let backend = store.backend().name();
        let a = Actor::system("test");
        // The register and an import's rejections: names, provider names and location ids, and
        // rejected rows whose location id and reason start a formula.
        let records: Vec<CqcLocation> = FORMULAS
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let mut l = CqcLocation::new(format!("1-80{i}"), *f);
                l.provider_id = Some(format!("1-P80{i}"));
                l.provider_name = Some((*f).to_string());
                l.service_types = vec!["Residential homes".into()];
                l
            })
            .collect();
        let rejections: Vec<Rejection> = FORMULAS
            .iter()
            .enumerate()
            .map(|(i, f)| Rejection { row: i as u64 + 2, location_id: Some((*f).to_string()), reason: (*f).to_string() })
            .collect();
        let opts = ImportOptions { file_name: "t.csv".into(), format: "t".into(), complete_register: true, ..Default::default() };
        let import = store.import_cqc(&a, &opts, &records, rejections, &mut |_, _| {}).await.expect("import");
        // Home care providers whose CQC ids and names start a formula, paid through a schedule.
        let ids = ["=1-111", "@1-222", "+1-333", "-1-444"];
        for (id, name) in ids.iter().zip(FORMULAS) {
            store.create_provider(&a, Some(id), &format!("{name} Care"), None, None).await.expect("provider");
        }
        let mut c = Client::new(store.clone());
        c.user("admin@test.gov.uk", Role::Admin, None).await;
        c.sign_in_as("admin@test.gov.uk").await;
        let mut planned = String::from("visit_id,person_ref,provider_id,planned_start,planned_minutes,carers,rate_pence_per_hour\n");
        let mut actual = String::from("visit_id,provider_id,person_ref,actual_start,actual_end,care_worker_ref\n");
        for (i, id) in ids.iter().enumerate() {
            planned.push_str(&format!("{n},C{n},{id},2025-04-07T08:00:00,30,1,2000\n", n = i + 1));
            actual.push_str(&format!("{n},{id},C{n},2025-04-07T08:00:00,2025-04-07T08:30:00,W{n}\n", n = i + 1));
        }
        c.get("/ecm/import").await;
        let token = c.csrf();
        let r = c
            .post_files(
                "/ecm/import",
                &token,
                &[("periods_from", "2025-04-07"), ("period_days", "28")],
                &[("planned", "planned.csv", &planned), ("actual", "ecm.csv", &actual)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{backend}: {}", r.body);
        let mut ecm = None;
        for _ in 0..400 {
            if let Some(i) = store.ecm_imports().await.expect("imports").into_iter().find(|i| i.status != "running") {
                ecm = Some(i);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        let ecm = ecm.expect("the ECM import finished");
        assert_eq!(ecm.status, "completed", "{backend}: {ecm:?}");

        let exports = [
            ("/services.csv?registration=all".to_string(), FORMULAS.len() * 2),
            (format!("/imports/{}/rejections.csv", import.id), FORMULAS.len() * 2),
            (format!("/ecm/imports/{}/schedule.csv", ecm.id), ids.len() * 2),
        ];
        for (path, seeded) in exports {
            let res = c.get(&path).await;
            res.assert_ok();
            assert!(res.content_type.as_deref().unwrap_or("").starts_with("text/csv"), "{backend}: {path}");
            let rows = cells_of(&res.body);
            assert!(rows.len() > 1, "{backend}: {path} is empty");
            for cell in rows.iter().flatten() {
                assert!(!starts_formula(cell), "{backend}: {path}: a cell starts a formula: {cell:?}");
            }
            // Each seeded value is still there, read as text behind an apostrophe.
            let shown = rows.iter().flatten().filter(|c| c.starts_with('\'') && starts_formula(&c[1..])).count();
            assert!(shown >= seeded, "{backend}: {path}: {shown} cells shown as text, {seeded} seeded: {rows:?}");
        }
        let schedule = c.get(&format!("/ecm/imports/{}/schedule.csv", ecm.id)).await.body;
        for (id, name) in ids.iter().zip(FORMULAS) {
            let line = cells_of(&schedule).into_iter().find(|r| r.get(1).map(String::as_str) == Some(&format!("'{id}"))).expect(id);
            assert_eq!(line[2], format!("'{name} Care"), "{backend}");
        }
    }
}

// ---- item 11: 500s from input -----------------------------------------------------------------

#[tokio::test]
async fn a_very_long_directory_search_is_refused_with_a_message() {
    let mut c = Client::sqlite().await;
    let res = c.get(&format!("/directory?q={}", "a".repeat(50_000))).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.contains("The web address is too long"), "{}", res.body);
    // Under the query-string limit but over a search box's: refused by the same rule in core.
    let res = c.get(&format!("/directory?q={}", "a".repeat(limits::SEARCH_CHARS + 1))).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", &res.body[..res.body.len().min(500)]);
    assert!(res.contains(&format!("must be {} characters or fewer", limits::SEARCH_CHARS)), "{}", res.body);
    let res = c.get(&format!("/directory?q={}", "a".repeat(limits::SEARCH_CHARS))).await;
    res.assert_ok();
}

#[tokio::test]
async fn nul_characters_in_addresses_and_forms_are_refused_on_every_backend() {
    let mut stores = vec![caremarket_testkit::sqlite().await.unwrap()];
    if let Some(pg) = caremarket_testkit::postgres().await.unwrap() {
        stores.push(pg);
    }
    for store in stores {
        let mut c = Client::new(store);
        c.user("comm@test.gov.uk", Role::Commissioner, None).await;
        for path in ["/directory?q=a%00b", "/directory/services/x%00y", "/services/%00"] {
            let res = c.get(path).await;
            assert_eq!(res.status, StatusCode::BAD_REQUEST, "{path}: {}", &res.body[..res.body.len().min(300)]);
            assert!(res.contains("NUL character"), "{path}");
        }
        c.get("/sign-in").await;
        let res = c.post_form("/sign-in", &[("email", "comm@test.gov.uk\0"), ("password", common::PASSWORD)]).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST);
        assert!(res.contains("must not contain control characters"), "{}", res.body);
        let res = c.sign_in_as("comm@test.gov.uk").await;
        assert_eq!(res.location.as_deref(), Some("/dashboard"));
        c.get("/dashboard").await;
        let res = c.post_form("/providers/p1/notes", &[("notes", "a\0b")]).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST);
        assert!(res.contains("Notes must not contain control characters"), "{}", res.body);
    }
}

/// Every JSON write meets the form's rule for text: a NUL anywhere in the body (PostgreSQL cannot
/// store it, and answered with an internal error) or a value longer than a form field is a 400
/// naming the field by its place in the body, and nothing is written.
#[tokio::test]
async fn nul_characters_and_overlong_text_in_api_bodies_are_refused_on_every_backend() {
    use caremarket_store::{Actor, AuditQuery};
    use serde_json::{Value, json};
    let mut stores = vec![caremarket_testkit::sqlite().await.unwrap()];
    if let Some(pg) = caremarket_testkit::postgres().await.unwrap() {
        stores.push(pg);
    }
    for store in stores {
        let mut c = Client::new(store.clone());
        let user_id = c.user("comm@test.gov.uk", Role::Commissioner, None).await;
        let token = store.create_api_token(&Actor::system("test"), &user_id, "tests").await.expect("token").1;
        let audited = || async { store.audit_entries(&AuditQuery { limit: 1, ..Default::default() }).await.expect("audit").1 };
        let audited_before = audited().await;
        let refusals: Vec<(&str, &str, Value, &str)> = vec![
            ("POST", "/api/v1/frameworks", json!({"name": "Home\u{0}Care", "lots": ["Lot 1"], "kinds": ["home_care"]}), "name"),
            ("POST", "/api/v1/frameworks", json!({"name": "Home Care", "lots": ["Lot 1", "Lot\u{0}2"], "kinds": ["home_care"]}), "lots[1]"),
            (
                "POST",
                "/api/v1/frameworks",
                json!({"name": "x".repeat(limits::FIELD_CHARS + 1), "lots": ["Lot 1"], "kinds": ["home_care"]}),
                "name",
            ),
            ("POST", "/api/v1/workforce/returns", json!({"service_id": "s\u{0}1", "period": "2025-Q2", "care_workers": 4}), "service_id"),
            (
                "POST",
                "/api/v1/workforce/returns",
                json!({"service_id": "s1", "period": "2025-Q2", "qualification_framework": "RQF\u{0}"}),
                "qualification_framework",
            ),
            (
                "POST",
                "/api/v1/capacity/vacancies",
                json!({"cqc_location_id": "1-1", "date": "2024-11-08", "lines": [{"bed_type": "general_nursing", "occupied": 1, "vacant": 1}, {"bed_type": "general\u{0}", "occupied": 1, "vacant": 1}]}),
                "lines[1].bed_type",
            ),
            (
                "PATCH",
                "/api/v1/services/01900000-0000-7000-8000-000000000000",
                json!({"version": 1, "council_notes": "a\u{0}b"}),
                "council_notes",
            ),
        ];
        for (method, path, body, field) in refusals {
            let res = c.api(method, path, Some(&token), Some(body)).await;
            assert_eq!(res.status, StatusCode::BAD_REQUEST, "{method} {path}: {}", res.body);
            let v: Value = serde_json::from_str(&res.body).expect("JSON error");
            assert_eq!(v["field"], json!(field), "{method} {path}: {}", res.body);
            let message = v["error"].as_str().unwrap_or_default();
            assert!(
                message.contains("must not contain control characters") || message.contains("characters or fewer"),
                "{method} {path}: {message}"
            );
        }
        assert_eq!(audited().await, audited_before, "nothing was written");
        let frameworks = c.api("GET", "/api/v1/frameworks", Some(&token), None).await;
        assert!(!frameworks.body.contains("Home"), "{}", frameworks.body);
    }
}

#[tokio::test]
async fn search_wildcards_match_only_themselves() {
    use caremarket_core::register::CqcLocation;
    use caremarket_store::Actor;
    use caremarket_store::import::ImportOptions;
    let mut c = Client::sqlite().await;
    let records: Vec<CqcLocation> = ["100% Care", "Home Care"]
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let mut l = CqcLocation::new(format!("1-80{i}"), *n);
            l.provider_id = Some(format!("1-P80{i}"));
            l.provider_name = Some(format!("{n} Ltd"));
            l.service_types = vec!["Homecare agencies".into()];
            l
        })
        .collect();
    let opts = ImportOptions { file_name: "t.csv".into(), format: "t".into(), complete_register: true, ..Default::default() };
    c.store.import_cqc(&Actor::system("test"), &opts, &records, vec![], &mut |_, _| {}).await.expect("import");
    c.user("comm@test.gov.uk", Role::Commissioner, None).await;
    c.sign_in_as("comm@test.gov.uk").await;
    let res = c.get("/services?q=%25&registration=all").await;
    res.assert_ok();
    assert!(res.contains("100% Care"));
    assert!(!res.contains("Home Care<"), "'%' matched everything: {}", res.body);
}

// ---- item 12: security headers, Origin null ---------------------------------------------------

#[tokio::test]
async fn pages_carry_security_headers_and_the_csp_allows_exactly_our_inline_scripts() {
    use base64::Engine;
    use sha2::Digest;
    let c = Client::sqlite().await;
    let req = Request::builder().uri("/sign-in").header(header::HOST, "localhost").body(Body::empty()).unwrap();
    let res = c.app.clone().oneshot(req).await.unwrap();
    let h = res.headers().clone();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "same-origin");
    assert_eq!(h["cache-control"], "no-store");
    let csp = h["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("frame-ancestors 'none'"));
    let body = String::from_utf8(http_body_util::BodyExt::collect(res.into_body()).await.unwrap().to_bytes().to_vec()).unwrap();
    // Every inline script on the page is allowed by its hash, computed here from the page.
    let mut rest = body.as_str();
    let mut scripts = 0;
    while let Some(i) = rest.find("<script") {
        let open_end = rest[i..].find('>').unwrap() + i + 1;
        let close = rest[open_end..].find("</script>").unwrap() + open_end;
        let src = &rest[i..open_end];
        if !src.contains("src=") {
            let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&rest.as_bytes()[open_end..close]));
            assert!(csp.contains(&format!("'sha256-{hash}'")), "inline script {scripts} not allowed by the CSP");
            scripts += 1;
        }
        rest = &rest[close..];
    }
    assert!(scripts >= 1);
}

#[tokio::test]
async fn a_post_from_origin_null_is_refused() {
    let c = Client::sqlite().await;
    for origin in ["null", "https://localhost", "http://evil.example"] {
        let req = Request::builder()
            .method("POST")
            .uri("/sign-in")
            .header(header::HOST, "localhost")
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("email=a&password=b"))
            .unwrap();
        let res = c.app.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "Origin: {origin}");
    }
}
