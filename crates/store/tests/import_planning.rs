//! Issue 14 items 3, 4, 6 and 10 on real CQC data (`fixtures/cqc/planning/`, see its README),
//! on SQLite and on PostgreSQL when CAREMARKET_TEST_POSTGRES_URL is set. Expected figures are
//! counted here from the fixture documents themselves.

use caremarket_core::register::import_plan::{CONFIRM_DEREGISTRATIONS_ABOVE, Completeness, Listed, NATIONAL_MIN_LOCAL_AUTHORITIES};
use caremarket_core::register::{CqcLocation, Rating, RegistrationStatus, ServiceKind};
use caremarket_ingest::{ParseOutcome, parse_cqc_file};
use caremarket_store::import::{ImportOptions, ImportReport};
use caremarket_store::{Actor, Store, StoreError};
use caremarket_testkit as testing;
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/cqc").join(name)
}

fn parse(name: &str) -> ParseOutcome {
    parse_cqc_file(&fixture(name), &mut |_, _| {}).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn actor() -> Actor {
    Actor::system("test")
}

/// Options as the command line and the web build them from a parsed file.
fn options(name: &str, outcome: &ParseOutcome, completeness: Completeness, council: &[&str]) -> ImportOptions {
    ImportOptions {
        file_name: name.into(),
        format: outcome.format.label().into(),
        complete_register: outcome.is_complete_register,
        council_local_authorities: council.iter().map(|s| s.to_string()).collect(),
        skipped: outcome.skipped.clone(),
        providers: outcome.providers.clone(),
        completeness,
        social_care_only: outcome.format.social_care_only(),
        carried: outcome.carried.clone(),
        confirmed_deregistrations: None,
    }
}

async fn apply(store: &Store, name: &str, completeness: Completeness, confirmed: Option<usize>) -> Result<ImportReport, StoreError> {
    let outcome = parse(name);
    let mut opts = options(name, &outcome, completeness, &["Oldham"]);
    opts.confirmed_deregistrations = confirmed;
    store.import_cqc(&actor(), &opts, &outcome.records, outcome.rejections.clone(), &mut |_, _| {}).await
}

/// The API documents in the planning fixture, as JSON.
fn api_documents() -> Vec<serde_json::Value> {
    let mut docs: Vec<serde_json::Value> = std::fs::read_dir(fixture("planning/api"))
        .expect("folder")
        .map(|e| serde_json::from_str(&std::fs::read_to_string(e.expect("entry").path()).expect("read")).expect("json"))
        .collect();
    docs.sort_by_key(|d| d["locationId"].as_str().unwrap_or_default().to_string());
    docs
}

/// A column of a CSV fixture, read with the csv crate.
fn csv_ids(name: &str, column: &str) -> BTreeSet<String> {
    let mut rdr = csv::Reader::from_path(fixture(name)).expect("csv");
    let index = rdr.headers().expect("header").iter().position(|h| h == column).expect("column");
    rdr.records().map(|r| r.expect("record")[index].to_string()).filter(|id| !id.is_empty()).collect()
}

async fn registered_ids(store: &Store) -> BTreeSet<String> {
    sqlx::query("SELECT cqc_location_id FROM services WHERE registration_status = 'registered'")
        .fetch_all(store.pool())
        .await
        .expect("query")
        .iter()
        .map(|r| r.try_get::<String, _>("cqc_location_id").expect("id"))
        .collect()
}

async fn count(store: &Store, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(store.pool()).await.expect("count")
}

#[tokio::test]
async fn a_partial_file_never_deregisters_and_a_complete_one_asks_before_many() {
    let docs = api_documents();
    // The register holds social care locations only: the API documents of dentists are skipped.
    let registered_docs: BTreeSet<String> = docs
        .iter()
        .filter(|d| d["registrationStatus"] == "Registered" && d["type"] == "Social Care Org")
        .map(|d| d["locationId"].as_str().expect("id").to_string())
        .collect();
    let export_ids = csv_ids("planning/export-45-oldham.csv", "Location ID");
    // What a complete 45-column file may close: registered Oldham social care services it does
    // not list. Dentists are not social care: the export cannot say they closed.
    let expected: BTreeSet<String> = docs
        .iter()
        .filter(|d| d["registrationStatus"] == "Registered" && d["type"] == "Social Care Org" && d["localAuthority"] == "Oldham")
        .map(|d| d["locationId"].as_str().expect("id").to_string())
        .filter(|id| !export_ids.contains(id))
        .collect();
    let dentists: BTreeSet<String> = docs
        .iter()
        .filter(|d| d["registrationStatus"] == "Registered" && d["type"] == "Primary Dental Care")
        .map(|d| d["locationId"].as_str().expect("id").to_string())
        .collect();
    assert!(expected.len() > CONFIRM_DEREGISTRATIONS_ABOVE, "the fixture must need confirmation");
    assert!(!dentists.is_empty());

    for store in testing::all_backends().await.expect("stores") {
        let b = store.backend();
        let api = apply(&store, "planning/api", Completeness::Partial, None).await.expect("api import");
        assert_eq!(api.deregistered, 0);
        assert!(api.skipped as usize >= dentists.len(), "{b:?}: dentists are skipped, not imported");
        let before = registered_ids(&store).await;
        assert!(before.is_superset(&registered_docs), "{b:?}");

        // Partial: nothing is deregistered, and the report says why.
        let partial = apply(&store, "planning/export-45-oldham.csv", Completeness::Partial, None).await.expect("partial");
        assert_eq!(partial.deregistered, 0, "{b:?}");
        assert!(partial.deregistration_note.as_deref().is_some_and(|n| n.contains("partial")), "{b:?}");
        let after_partial = registered_ids(&store).await;
        assert!(after_partial.is_superset(&before), "{b:?}: a partial file deregistered something");

        // Complete but unconfirmed: refused, nothing written.
        let imports_before = count(&store, "SELECT COUNT(*) FROM imports").await;
        let outcome = parse("planning/export-45-oldham.csv");
        let opts = options("export", &outcome, Completeness::Complete, &["Oldham"]);
        let plan = store.preview_deregistrations(&opts, &Listed::of(&outcome.records)).await.expect("preview");
        let planned: BTreeSet<String> = plan.services.iter().map(|s| s.location_id.clone()).collect();
        assert_eq!(planned, expected, "{b:?}");
        assert!(plan.needs_confirmation());
        match apply(&store, "planning/export-45-oldham.csv", Completeness::Complete, None).await {
            Err(StoreError::Conflict(m)) => {
                assert!(m.contains(&format!("would mark {} services deregistered", expected.len())), "{m}")
            }
            other => panic!("{b:?}: an unconfirmed mass deregistration was not refused: {:?}", other.map(|r| r.deregistered)),
        }
        match apply(&store, "planning/export-45-oldham.csv", Completeness::Complete, Some(expected.len() - 1)).await {
            Err(StoreError::Conflict(_)) => {}
            other => panic!("{b:?}: a confirmation of another count was taken: {:?}", other.map(|r| r.deregistered)),
        }
        assert_eq!(count(&store, "SELECT COUNT(*) FROM imports").await, imports_before, "{b:?}: the refusal wrote nothing");
        assert_eq!(registered_ids(&store).await, after_partial);

        // Confirmed: exactly those, audited one by one.
        let done = apply(&store, "planning/export-45-oldham.csv", Completeness::Complete, Some(expected.len())).await.expect("complete");
        assert_eq!(done.deregistered as usize, expected.len(), "{b:?}");
        let now = registered_ids(&store).await;
        assert!(now.is_disjoint(&expected), "{b:?}");
        assert!(now.is_disjoint(&dentists), "{b:?}: dentists are not services of the care market");
        assert_eq!(count(&store, "SELECT COUNT(*) FROM audit_log WHERE action = 'cqc_deregister'").await as usize, expected.len());
    }
}

/// The fields an officer sees, per location.
async fn snapshot(store: &Store) -> BTreeMap<String, Vec<Option<String>>> {
    let rows = sqlx::query(
        "SELECT cqc_location_id, name, address_line, town, postcode, phone, local_authority,
                CAST(beds AS TEXT) AS beds, rating_overall, registration_date
         FROM services ORDER BY cqc_location_id",
    )
    .fetch_all(store.pool())
    .await
    .expect("rows");
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("cqc_location_id").expect("id");
            let cols =
                ["name", "address_line", "town", "postcode", "phone", "local_authority", "beds", "rating_overall", "registration_date"]
                    .iter()
                    .map(|c| r.try_get::<Option<String>, _>(*c).expect("col"))
                    .collect();
            (id, cols)
        })
        .collect()
}

const ADDRESS: [usize; 3] = [1, 2, 3];
const FROM_EXPORT: [usize; 3] = [6, 7, 8];

#[tokio::test]
async fn layouts_merge_in_every_order_and_never_wipe() {
    let export = "planning/export-45-overlap.csv";
    let directory = "planning/directory-18-overlap.csv";
    let ids = csv_ids(export, "Location ID");
    assert_eq!(ids, csv_ids(directory, "CQC Location ID (for office use only)"), "the same locations in both files");
    let mut backends = vec![caremarket_store::Backend::Sqlite];
    if std::env::var(testing::POSTGRES_ENV).is_ok() {
        backends.push(caremarket_store::Backend::Postgres);
    }
    for b in backends {
        // A fresh database of this backend for each run.
        let fresh = || async move {
            match b {
                caremarket_store::Backend::Sqlite => testing::sqlite().await.expect("sqlite"),
                caremarket_store::Backend::Postgres => testing::postgres().await.expect("postgres").expect("configured"),
            }
        };
        // Each file alone: the reference for the fields only it carries.
        let mut alone = BTreeMap::new();
        for name in [export, directory] {
            let s = fresh().await;
            apply(&s, name, Completeness::Partial, None).await.expect("import");
            alone.insert(name, snapshot(&s).await);
        }
        let (export_alone, directory_alone) = (&alone[export], &alone[directory]);
        assert!(export_alone.values().any(|v| v[6].is_some()), "some beds in the export");
        assert!(directory_alone.values().all(|v| v[3].is_some()), "every directory row has a postcode");
        assert!(export_alone.values().all(|v| v[3].is_none()), "the export has no postcodes");

        for order in [vec![export, directory], vec![directory, export], vec![export, directory, export], vec![directory, export, directory]]
        {
            let s = fresh().await;
            for name in &order {
                apply(&s, name, Completeness::Partial, None).await.expect("import");
            }
            let got = snapshot(&s).await;
            assert_eq!(got.len(), ids.len());
            for (id, v) in &got {
                for c in ADDRESS {
                    assert_eq!(v[c], directory_alone[id][c], "{b:?} {order:?} {id}: address column {c} as the directory alone gives it");
                }
                for c in FROM_EXPORT {
                    assert_eq!(v[c], export_alone[id][c], "{b:?} {order:?} {id}: column {c} as the export alone gives it");
                }
            }
        }
    }
}

/// A service whose stored JSON is missing (stored before it was kept) or no longer reads as a
/// location keeps what its own columns hold when a poorer layout updates it: the export has no
/// postcodes or addresses, and the directory's stay.
#[tokio::test]
async fn a_stored_location_without_readable_json_is_rebuilt_from_its_columns() {
    let export = "planning/export-45-overlap.csv";
    let directory = "planning/directory-18-overlap.csv";
    for json in [None, Some("not a location")] {
        for s in testing::all_backends().await.expect("stores") {
            apply(&s, directory, Completeness::Partial, None).await.expect("directory");
            let before = snapshot(&s).await;
            assert!(before.values().all(|v| v[3].is_some()), "every directory row has a postcode");
            sqlx::query("UPDATE services SET cqc_json = $1").bind(json).execute(s.pool()).await.expect("json");
            let r = apply(&s, export, Completeness::Partial, None).await.expect("export");
            assert!(r.updated > 0, "{json:?}: the export changes what the directory left");
            for (id, v) in snapshot(&s).await {
                for c in ADDRESS.into_iter().chain([3]) {
                    assert_eq!(v[c], before[&id][c], "{:?} {json:?} {id}: column {c} kept from the service's columns", s.backend());
                }
            }
        }
    }
}

#[tokio::test]
async fn a_field_the_layout_carries_blank_in_the_file_is_a_real_blank() {
    for store in testing::all_backends().await.expect("stores") {
        let name = "planning/directory-18-overlap.csv";
        let outcome = parse(name);
        let opts = options(name, &outcome, Completeness::Partial, &[]);
        store.import_cqc(&actor(), &opts, &outcome.records, vec![], &mut |_, _| {}).await.expect("import");
        let mut blanked: Vec<CqcLocation> = outcome.records.clone();
        let target = blanked.iter_mut().find(|l| l.phone.is_some()).expect("a row with a phone");
        target.phone = None;
        let id = target.location_id.clone();
        let r = store.import_cqc(&actor(), &opts, &blanked, vec![], &mut |_, _| {}).await.expect("import");
        assert_eq!(r.updated, 1);
        let phone: Option<String> = sqlx::query_scalar("SELECT phone FROM services WHERE cqc_location_id = $1")
            .bind(&id)
            .fetch_one(store.pool())
            .await
            .expect("phone");
        assert_eq!(phone, None, "{:?}", store.backend());
    }
}

#[tokio::test]
async fn national_figures_only_from_a_complete_national_file() {
    let name = "locations-export-45.csv";
    let outcome = parse(name);
    let las: BTreeSet<&str> = outcome.records.iter().filter_map(|l| l.local_authority.as_deref()).collect();
    assert!(las.len() >= 20, "the old rule took any file of 20 or more local authorities as national ({})", las.len());
    for store in testing::all_backends().await.expect("stores") {
        let b = store.backend();
        let opts = options(name, &outcome, Completeness::Complete, &[]);
        store
            .import_cqc(&actor(), &ImportOptions { confirmed_deregistrations: None, ..opts }, &outcome.records, vec![], &mut |_, _| {})
            .await
            .expect("import");
        assert!(store.national_benchmarks().await.expect("benchmarks").is_empty(), "{b:?}: {} authorities are not England", las.len());

        // The same real rows spread over every local authority stand for a national file.
        let national: Vec<CqcLocation> = (0..NATIONAL_MIN_LOCAL_AUTHORITIES)
            .flat_map(|i| {
                outcome.records.iter().map(move |l| {
                    let mut l = l.clone();
                    l.location_id = format!("{}{i:03}", l.location_id);
                    l.local_authority = Some(format!("Authority {i}"));
                    l
                })
            })
            .collect();
        let mut partial = options("national.csv", &outcome, Completeness::Partial, &[]);
        store.import_cqc(&actor(), &partial, &national, vec![], &mut |_, _| {}).await.expect("partial national");
        assert!(store.national_benchmarks().await.expect("benchmarks").is_empty(), "{b:?}: a partial file is never national");
        partial.completeness = Completeness::Complete;
        store.import_cqc(&actor(), &partial, &national, vec![], &mut |_, _| {}).await.expect("national");
        let got = store.national_benchmarks().await.expect("benchmarks");
        // Expected: graded registered rows per kind, counted here.
        let mut per_kind: BTreeMap<ServiceKind, (i64, i64)> = BTreeMap::new();
        for l in national.iter().filter(|l| l.registration_status == RegistrationStatus::Registered) {
            if let Some(o) = l.rating.as_ref().and_then(|r| r.overall)
                && matches!(o, Rating::Outstanding | Rating::Good | Rating::RequiresImprovement | Rating::Inadequate)
            {
                let e = per_kind.entry(l.kind()).or_default();
                e.1 += 1;
                e.0 += i64::from(matches!(o, Rating::Outstanding | Rating::Good));
            }
        }
        assert_eq!(got.len(), per_kind.len(), "{b:?}");
        for nb in got {
            let (good, rated) = per_kind[&nb.kind];
            assert_eq!(nb.rated_services, Some(rated));
            assert!((nb.percent_good_or_outstanding - 100.0 * good as f64 / rated as f64).abs() < 0.06, "{b:?} {:?}", nb.kind);
            assert!(nb.source.contains("national.csv") && nb.source.contains(&nb.as_at), "{}", nb.source);
        }
    }
}

#[tokio::test]
async fn changing_the_council_area_recalculates_every_service_at_once() {
    let docs = api_documents();
    for store in testing::all_backends().await.expect("stores") {
        let b = store.backend();
        // Imported before the council was set: everything counts as in the area.
        for name in ["planning/api", "planning/export-45-oldham.csv"] {
            let outcome = parse(name);
            let opts = options(name, &outcome, Completeness::Partial, &[]);
            store.import_cqc(&actor(), &opts, &outcome.records, vec![], &mut |_, _| {}).await.expect("import");
        }
        let total = count(&store, "SELECT COUNT(*) FROM services").await;
        assert_eq!(count(&store, "SELECT COUNT(*) FROM services WHERE in_area = 1").await, total);
        let not_oldham = count(&store, "SELECT COUNT(*) FROM services WHERE local_authority <> 'Oldham' OR local_authority IS NULL").await;
        assert!(not_oldham > 0, "the export excerpt has a row outside Oldham");
        assert!(docs.iter().all(|d| d["localAuthority"] == "Oldham"));

        // A misspelt authority is refused and changes nothing.
        match store.set_council_local_authorities(&actor(), &["Oldam".to_string()], None).await {
            Err(StoreError::Invalid(e)) => assert!(e.message.contains("'Oldam'"), "{}", e.message),
            other => panic!("{b:?}: a misspelt authority was taken: {other:?}"),
        }
        assert_eq!(count(&store, "SELECT COUNT(*) FROM services WHERE in_area = 1").await, total);
        let too_long = "x".repeat(101);
        assert!(matches!(store.set_council_local_authorities(&actor(), &[too_long], None).await, Err(StoreError::Invalid(_))));
        assert!(matches!(
            store.set_council_local_authorities(&actor(), &["Oldham;Rochdale".into()], None).await,
            Err(StoreError::Invalid(_))
        ));

        let change = store.set_council_local_authorities(&actor(), &["oldham ".to_string()], None).await.expect("set");
        assert_eq!(change.now_out_of_area, not_oldham, "{b:?}");
        assert_eq!(change.now_in_area, 0);
        assert_eq!(count(&store, "SELECT COUNT(*) FROM services WHERE in_area = 1").await, total - not_oldham);
        assert_eq!(store.council_local_authorities().await.expect("las"), vec!["oldham".to_string()]);
        let audited = count(&store, "SELECT COUNT(*) FROM audit_log WHERE action = 'council_area'").await;
        assert_eq!(audited, 1, "{b:?}");

        // Clearing it puts every service back in the area.
        let change = store.set_council_local_authorities(&actor(), &[], None).await.expect("clear");
        assert_eq!(change.now_in_area, not_oldham);
        assert_eq!(count(&store, "SELECT COUNT(*) FROM services WHERE in_area = 1").await, total);
    }
}

/// A generated care home in Oldham or Rochdale (social care). Names are not in the ids' order,
/// and every tenth pair shares one, so that the plan's order needs both its sort and its tie-break.
fn care_home(n: usize) -> CqcLocation {
    let key = (n * 389) % 1_400;
    let shared = if key % 10 == 1 { key - 1 } else { key };
    let mut loc = CqcLocation::new(format!("1-{:09}", 500_000_000 + n), format!("Home {shared:05}"));
    loc.provider_id = Some(format!("1-{:09}", 100_000_000 + n / 3));
    loc.provider_name = Some(format!("Provider {}", n / 3));
    loc.local_authority = Some(if n % 7 == 3 { "Rochdale".into() } else { "Oldham".into() });
    loc.service_types = vec!["Care home service without nursing".into()];
    loc.care_home = Some(true);
    loc
}

#[tokio::test]
async fn the_plan_lists_every_unlisted_service_in_order_however_many_the_file_leaves_out() {
    // More locations than one statement's ids (1,000), so that the plan is read both ways: the
    // services left out by id when they fit in one statement, else all registered, sorted.
    let register: Vec<CqcLocation> = (0..1_400).map(care_home).collect();
    for store in testing::all_backends().await.expect("stores") {
        let b = store.backend();
        let mut opts = ImportOptions {
            file_name: "generated".into(),
            format: "CQC care directory".into(),
            complete_register: true,
            completeness: Completeness::Partial,
            social_care_only: true,
            ..ImportOptions::default()
        };
        store.import_cqc(&actor(), &opts, &register, Vec::new(), &mut |_, _| {}).await.expect("register");
        let service_ids: BTreeMap<String, String> = sqlx::query("SELECT cqc_location_id, id FROM services")
            .fetch_all(store.pool())
            .await
            .expect("ids")
            .iter()
            .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1)))
            .collect();
        opts.completeness = Completeness::Complete;

        // Files listing every location, every one but 30, and 150 of them. A complete file covers
        // the local authorities it lists (Oldham and Rochdale here): a service of those it leaves
        // out is planned, in name order, then by the service's id.
        let covered = |file: &[CqcLocation], l: &CqcLocation| file.iter().any(|f| f.local_authority == l.local_authority);
        for keep in [1_400usize, 1_370, 150] {
            let file: Vec<CqcLocation> = register.iter().take(keep).cloned().collect();
            let listed = Listed::of(&file);
            let mut expected: Vec<(String, String, String)> = register
                .iter()
                .skip(keep)
                .filter(|l| covered(&file, l))
                .map(|l| (l.name.clone(), service_ids[&l.location_id].clone(), l.location_id.clone()))
                .collect();
            expected.sort();
            assert_eq!(expected.is_empty(), keep == 1_400);
            let plan = store.preview_deregistrations(&opts, &listed).await.expect("preview");
            let got: Vec<(String, String, String)> =
                plan.services.iter().map(|s| (s.name.clone(), s.id.clone(), s.location_id.clone())).collect();
            assert_eq!(got, expected, "{b:?}: a file of {keep} locations");

            // A partial file plans nothing, whatever it leaves out.
            let partial = ImportOptions { completeness: Completeness::Partial, ..opts.clone() };
            assert!(store.preview_deregistrations(&partial, &listed).await.expect("partial").services.is_empty(), "{b:?}");
        }
        // The file of 150 leaves out more than one statement's ids: both ways ran.
        let first_150: Vec<CqcLocation> = register.iter().take(150).cloned().collect();
        let left_out = register.iter().skip(150).filter(|l| covered(&first_150, l)).count();
        assert!(left_out > 1_000, "{left_out}");

        // The import deregisters exactly what was previewed, each audited.
        let file: Vec<CqcLocation> = register.iter().take(1_370).cloned().collect();
        let expected: BTreeSet<String> = register.iter().skip(1_370).filter(|l| covered(&file, l)).map(|l| l.location_id.clone()).collect();
        opts.confirmed_deregistrations = Some(expected.len());
        let report = store.import_cqc(&actor(), &opts, &file, Vec::new(), &mut |_, _| {}).await.expect("complete");
        assert_eq!(report.deregistered as usize, expected.len(), "{b:?}");
        assert_eq!(report.unchanged, 1_370, "{b:?}");
        let still: BTreeSet<String> = registered_ids(&store).await;
        assert!(still.is_disjoint(&expected), "{b:?}");
        assert_eq!(still.len(), 1_400 - expected.len(), "{b:?}");
        let audited = count(&store, "SELECT COUNT(*) FROM audit_log WHERE action = 'cqc_deregister'").await as usize;
        assert_eq!(audited, expected.len(), "{b:?}");
    }
}
