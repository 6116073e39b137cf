//! CQC imports write new locations in batches (issue 18 item 1): an import across a batch
//! boundary gives the same register as the same records imported one at a time, holds what the
//! records say (counted here from the records themselves), and a bad record in a later batch
//! leaves nothing written. On SQLite, and on PostgreSQL when CAREMARKET_TEST_POSTGRES_URL is set.

use caremarket_core::Date;
use caremarket_core::register::{CqcLocation, CqcRatingSet, Rating, RegistrationStatus};
use caremarket_ingest::parse_cqc_bytes;
use caremarket_store::import::{ImportOptions, ImportReport};
use caremarket_store::{Actor, Store, StoreError};
use caremarket_testkit as testing;
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet};

/// One batch of 500 and one more, so that the second batch holds one location.
const ROWS: usize = 501;

fn actor() -> Actor {
    Actor::system("test")
}

fn date(s: &str) -> Date {
    s.parse().expect("date")
}

/// Generated export rows, with a rating history on every seventh location (a change of grade
/// between the two entries, so a quality signal is due) and a second location of the provider
/// of the one before on every eleventh (providers shared across a batch boundary).
fn records() -> Vec<CqcLocation> {
    records_of(ROWS)
}

pub(crate) fn records_of(rows: usize) -> Vec<CqcLocation> {
    let csv = caremarket_ingest::synthetic::generate_locations_export_csv(rows, 7);
    let outcome = parse_cqc_bytes("export.csv", csv.as_bytes(), &mut |_, _| {}).expect("parse");
    assert!(outcome.rejections.is_empty(), "{:?}", outcome.rejection_messages());
    let mut records = outcome.records;
    assert_eq!(records.len(), rows);
    for i in 0..records.len() {
        if i % 7 == 3 {
            let earlier = |overall, d| CqcRatingSet { overall: Some(overall), report_date: Some(date(d)), ..Default::default() };
            records[i].rating_history = vec![earlier(Rating::Inadequate, "2019-03-01"), earlier(Rating::RequiresImprovement, "2021-06-15")];
            records[i].rating = Some(CqcRatingSet {
                overall: Some(Rating::Good),
                safe: Some(Rating::Good),
                well_led: Some(Rating::Outstanding),
                report_date: Some(date("2024-02-01")),
                ..Default::default()
            });
        }
        if i % 11 == 10 {
            records[i].provider_id = records[i - 1].provider_id.clone();
            records[i].provider_name = records[i - 1].provider_name.clone();
        }
    }
    records
}

fn options() -> ImportOptions {
    ImportOptions { file_name: "export.csv".into(), format: "test".into(), ..Default::default() }
}

async fn import(store: &Store, records: &[CqcLocation]) -> Result<ImportReport, StoreError> {
    store.import_cqc(&actor(), &options(), records, Vec::new(), &mut |_, _| {}).await
}

/// Everything an import writes about locations, keyed by CQC ids, without generated ids and times.
pub(crate) async fn snapshot(store: &Store) -> BTreeMap<String, Vec<Option<String>>> {
    let mut out = BTreeMap::new();
    let text = |r: &sqlx::any::AnyRow, i: usize| -> Option<String> {
        r.try_get::<Option<String>, _>(i).ok().flatten().or_else(|| r.try_get::<Option<i64>, _>(i).ok().flatten().map(|n| n.to_string()))
    };
    let queries = [
        (
            "service",
            "SELECT s.cqc_location_id, p.cqc_provider_id, p.name, s.name, s.kind, s.local_authority, s.region, s.in_area, s.phone,
            s.website, s.registration_status, s.registration_date, s.deregistration_date, s.beds, s.service_types, s.cqc_hash,
            s.last_inspection_date, s.rating_overall, s.rating_safe, s.rating_effective, s.rating_caring, s.rating_responsive,
            s.rating_well_led, s.rating_date, s.cqc_json
         FROM services s JOIN providers p ON p.id = s.provider_id",
        ),
        (
            "history",
            "SELECT s.cqc_location_id || ' ' || COALESCE(h.report_date, ''), h.overall, h.safe, h.effective, h.caring,
            h.responsive, h.well_led, h.previous_overall, h.source
         FROM rating_history h JOIN services s ON s.id = h.service_id",
        ),
        (
            "specialism",
            "SELECT s.cqc_location_id || ' ' || sp.specialism FROM service_specialisms sp JOIN services s ON s.id = sp.service_id",
        ),
        (
            "signal",
            "SELECT s.cqc_location_id || ' ' || q.occurred_on, q.kind, q.rating_from, q.rating_to, q.source, q.summary
         FROM quality_signals q JOIN services s ON s.id = q.service_id",
        ),
        ("kept change", "SELECT s.cqc_location_id FROM kept_changes k JOIN services s ON s.id = k.service_id"),
        ("provider", "SELECT cqc_provider_id, name FROM providers"),
    ];
    for (what, sql) in queries {
        for r in sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).fetch_all(store.pool()).await.expect(what) {
            let key = format!("{what} {}", text(&r, 0).unwrap_or_default());
            let values: Vec<Option<String>> = (1..r.len()).map(|i| text(&r, i)).collect();
            assert!(out.insert(key.clone(), values).is_none(), "{key} twice");
        }
    }
    out
}

pub(crate) async fn count(store: &Store, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(store.pool()).await.expect("count")
}

#[tokio::test]
async fn an_import_across_batches_equals_one_location_at_a_time() {
    let records = records();
    let mut backends = vec![caremarket_store::Backend::Sqlite];
    if std::env::var(testing::POSTGRES_ENV).is_ok() {
        backends.push(caremarket_store::Backend::Postgres);
    }
    for backend in backends {
        let fresh = || async {
            match backend {
                caremarket_store::Backend::Sqlite => testing::sqlite().await.expect("sqlite"),
                caremarket_store::Backend::Postgres => testing::postgres().await.expect("postgres").expect("configured"),
            }
        };
        let (whole, single) = (fresh().await, fresh().await);
        let report = import(&whole, &records).await.expect("import");
        for r in &records {
            import(&single, std::slice::from_ref(r)).await.expect("single import");
        }
        let (a, b) = (snapshot(&whole).await, snapshot(&single).await);
        assert_eq!(a.len(), b.len(), "{backend:?}: rows written");
        for (key, values) in &a {
            assert_eq!(Some(values), b.get(key), "{backend:?}: {key}");
        }

        // What the records say, counted from them here.
        assert_eq!(report.new, ROWS as i64, "{backend:?}");
        let providers: BTreeSet<&str> = records.iter().filter_map(|r| r.provider_id.as_deref()).collect();
        assert_eq!(count(&whole, "SELECT COUNT(*) FROM providers").await, providers.len() as i64, "{backend:?}: providers");
        let histories: usize = records
            .iter()
            .map(|r| {
                let mut sets: BTreeSet<(Option<Date>, Option<Rating>)> =
                    r.rating_history.iter().filter(|s| !s.is_empty()).map(|s| (s.report_date, s.overall)).collect();
                if let Some(s) = r.rating.as_ref().filter(|s| !s.is_empty()) {
                    sets.insert((s.report_date, s.overall));
                }
                sets.len()
            })
            .sum();
        assert_eq!(count(&whole, "SELECT COUNT(*) FROM rating_history").await, histories as i64, "{backend:?}: history");
        let specialisms: usize = records.iter().map(|r| r.specialisms.iter().map(|s| s.as_str()).collect::<BTreeSet<_>>().len()).sum();
        assert_eq!(count(&whole, "SELECT COUNT(*) FROM service_specialisms").await, specialisms as i64, "{backend:?}: specialisms");
        // Inadequate → Requires improvement → Good: two improvements on every seventh location.
        let with_history = records.iter().filter(|r| r.rating_history.len() == 2).count() as i64;
        assert_eq!(report.rating_changes, 2 * with_history, "{backend:?}");
        assert_eq!(count(&whole, "SELECT COUNT(*) FROM quality_signals WHERE kind = 'rating_change'").await, 2 * with_history);
        for r in records.iter().filter(|r| r.rating_history.len() == 2) {
            let row = sqlx::query(
                "SELECT rating_overall, rating_well_led, rating_date, last_inspection_date FROM services WHERE cqc_location_id = $1",
            )
            .bind(&r.location_id)
            .fetch_one(whole.pool())
            .await
            .expect("service");
            assert_eq!(row.try_get::<Option<String>, _>(0).expect("overall").as_deref(), Some("good"), "{}", r.location_id);
            assert_eq!(row.try_get::<Option<String>, _>(1).expect("well-led").as_deref(), Some("outstanding"));
            assert_eq!(row.try_get::<Option<String>, _>(2).expect("date").as_deref(), Some("2024-02-01"));
            let latest = r.last_inspection_date.map(|d| d.to_string()).into_iter().chain(Some("2024-02-01".to_string())).max();
            assert_eq!(row.try_get::<Option<String>, _>(3).expect("inspection"), latest);
        }
        // Every new service is marked for the kept figures.
        assert_eq!(count(&whole, "SELECT COUNT(*) FROM kept_changes").await, ROWS as i64, "{backend:?}: kept changes");
        let registered = records.iter().filter(|r| r.registration_status == RegistrationStatus::Registered).count() as i64;
        assert_eq!(count(&whole, "SELECT COUNT(*) FROM services WHERE registration_status = 'registered'").await, registered);

        // The same file again changes nothing.
        let again = import(&whole, &records).await.expect("again");
        assert_eq!((again.new, again.updated, again.unchanged), (0, 0, ROWS as i64), "{backend:?}");
        assert_eq!(snapshot(&whole).await, a, "{backend:?}: re-import");
    }
}

#[tokio::test]
async fn a_bad_record_in_a_later_batch_leaves_nothing_written() {
    for store in testing::all_backends().await.expect("stores") {
        let mut records = records();
        // The last record is in the second batch: the first has been written when it is reached.
        records[ROWS - 1].name = "  ".into();
        let err = import(&store, &records).await.expect_err("refused");
        match &err {
            StoreError::Invalid(f) => {
                assert_eq!(f.field, "name");
                assert!(f.message.contains(&format!("record {ROWS} ")), "{}", f.message);
                assert!(f.message.contains(&records[ROWS - 1].location_id), "{}", f.message);
            }
            other => panic!("expected an invalid field, got {other:?}"),
        }
        for table in ["services", "providers", "rating_history", "service_specialisms", "quality_signals", "imports", "kept_changes"] {
            assert_eq!(count(&store, &format!("SELECT COUNT(*) FROM {table}")).await, 0, "{table}");
        }
        // A missing location id is named the same way.
        records[ROWS - 1].name = "Named".into();
        records[300].location_id = String::new();
        match import(&store, &records).await {
            Err(StoreError::Invalid(f)) => assert_eq!(f.field, "location_id"),
            other => panic!("expected an invalid location id, got {other:?}"),
        }
        assert_eq!(count(&store, "SELECT COUNT(*) FROM services").await, 0);
    }
}

/// Rating history entries the records hold: each location's published sets, once per (date, overall).
fn history_entries(records: &[CqcLocation]) -> i64 {
    let per_location = |r: &CqcLocation| {
        let mut sets: BTreeSet<(Option<Date>, Option<Rating>)> =
            r.rating_history.iter().filter(|s| !s.is_empty()).map(|s| (s.report_date, s.overall)).collect();
        if let Some(s) = r.rating.as_ref().filter(|s| !s.is_empty()) {
            sets.insert((s.report_date, s.overall));
        }
        sets.len() as i64
    };
    records.iter().map(per_location).sum()
}

/// A batch is written while the next is queued: a location repeated in the next batch (its
/// update needs the first batch's row) and a provider renamed by a location of the next batch
/// wait for the batch being written, and everything lands as the records say, audit included.
#[tokio::test]
async fn what_needs_an_earlier_batch_waits_for_it() {
    let distinct = records_of(1_101);
    let mut records = distinct.clone();
    // Just after the first batch of 500 starts being written.
    let mut repeated = distinct[10].clone();
    repeated.name = "Renamed Location".into();
    records.insert(501, repeated);
    let renamed_provider = distinct[20].provider_id.clone().expect("provider id");
    records[502].provider_id = Some(renamed_provider.clone());
    records[502].provider_name = Some("Renamed Provider".into());
    for store in testing::all_backends().await.expect("stores") {
        // A new store's own entries (its setup), before the import.
        let audited_before = count(&store, "SELECT COUNT(*) FROM audit_log").await;
        let report = import(&store, &records).await.expect("import");
        let backend = store.backend();
        assert_eq!((report.new, report.updated, report.unchanged), (distinct.len() as i64, 1, 0), "{backend:?}");

        // What the records say, counted from them here.
        assert_eq!(count(&store, "SELECT COUNT(*) FROM services").await, distinct.len() as i64, "{backend:?}: services");
        let name: String = sqlx::query_scalar("SELECT name FROM services WHERE cqc_location_id = $1")
            .bind(&distinct[10].location_id)
            .fetch_one(store.pool())
            .await
            .expect("repeated");
        assert_eq!(name, "Renamed Location", "{backend:?}");
        // Each provider takes the name its last location in the file gives.
        let mut providers: BTreeMap<&str, &str> = BTreeMap::new();
        for r in &records {
            if let (Some(id), Some(name)) = (r.provider_id.as_deref(), r.provider_name.as_deref()) {
                providers.insert(id, name);
            }
        }
        assert_eq!(providers.get(renamed_provider.as_str()), Some(&"Renamed Provider"));
        let stored: Vec<(String, String)> =
            sqlx::query_as("SELECT cqc_provider_id, name FROM providers").fetch_all(store.pool()).await.expect("providers");
        let stored: BTreeMap<&str, &str> = stored.iter().map(|(id, name)| (id.as_str(), name.as_str())).collect();
        assert_eq!(stored, providers, "{backend:?}: providers");
        assert_eq!(count(&store, "SELECT COUNT(*) FROM rating_history").await, history_entries(&distinct), "{backend:?}: history");
        let specialisms: usize = distinct.iter().map(|r| r.specialisms.iter().map(|s| s.as_str()).collect::<BTreeSet<_>>().len()).sum();
        assert_eq!(count(&store, "SELECT COUNT(*) FROM service_specialisms").await, specialisms as i64, "{backend:?}: specialisms");
        let with_history = distinct.iter().filter(|r| r.rating_history.len() == 2).count() as i64;
        assert_eq!(report.rating_changes, 2 * with_history, "{backend:?}");
        assert_eq!(count(&store, "SELECT COUNT(*) FROM quality_signals").await, 2 * with_history, "{backend:?}: signals");
        assert_eq!(count(&store, "SELECT COUNT(*) FROM kept_changes").await, distinct.len() as i64, "{backend:?}: kept changes");

        // Audit: the import, the repeated location's update, and each change of rating's signal.
        let audit =
            |action: &str, entity: &str| format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND entity_type = '{entity}'");
        assert_eq!(count(&store, &audit("import", "import")).await, 1, "{backend:?}");
        assert_eq!(count(&store, &audit("cqc_update", "service")).await, 1, "{backend:?}");
        assert_eq!(count(&store, &audit("create", "quality_signal")).await, 2 * with_history, "{backend:?}");
        let audited = count(&store, "SELECT COUNT(*) FROM audit_log").await - audited_before;
        assert_eq!(audited, 2 + 2 * with_history, "{backend:?}: audit entries");
    }
}

/// Providers are found a batch at a time, not held for the whole import: a provider the register
/// held before the import, one an earlier batch added, and one a later import renames are each
/// one provider, and a location without a CQC provider id that the file repeats in a later batch
/// keeps the one provider it was given.
#[tokio::test]
async fn providers_are_found_in_each_batch_and_in_the_register() {
    let all = records_of(1_203);
    // The first import: the first 600 locations (two batches), one of them without a provider id.
    let mut first: Vec<CqcLocation> = all[..600].to_vec();
    first[5].provider_id = None;
    first[5].provider_name = None;
    let mut repeated = first[5].clone();
    repeated.phone = Some("01632 960000".into());
    first.push(repeated);
    // The second: the rest, each of its locations given a provider of the first import or of an
    // earlier location of its own (two batches and a bit), and one provider renamed.
    let mut second: Vec<CqcLocation> = all[600..].to_vec();
    for (i, loc) in second.iter_mut().enumerate() {
        let from = if i % 2 == 0 { &all[(i * 7) % 600] } else { &all[600 + i / 2] };
        loc.provider_id = from.provider_id.clone();
        loc.provider_name = from.provider_name.clone();
    }
    let renamed = second[590].provider_id.clone().expect("provider id");
    second[590].provider_name = Some("Renamed Again".into());

    // What the two files say, counted from them here: each CQC provider id once, taking the name
    // its last location gives; one more provider for the location without an id.
    let mut expected: BTreeMap<String, String> = BTreeMap::new();
    for r in first.iter().chain(&second) {
        if let (Some(id), Some(name)) = (&r.provider_id, &r.provider_name) {
            expected.insert(id.clone(), name.clone());
        }
    }
    assert_eq!(expected.get(&renamed).map(String::as_str), Some("Renamed Again"));

    for store in testing::all_backends().await.expect("stores") {
        let backend = store.backend();
        let report = import(&store, &first).await.expect("first import");
        assert_eq!((report.new, report.updated), (600, 1), "{backend:?}");
        let report = import(&store, &second).await.expect("second import");
        assert_eq!((report.new, report.updated), (second.len() as i64, 0), "{backend:?}");

        let stored: Vec<(String, String)> = sqlx::query_as("SELECT cqc_provider_id, name FROM providers WHERE cqc_provider_id IS NOT NULL")
            .fetch_all(store.pool())
            .await
            .expect("providers");
        let stored: BTreeMap<String, String> = stored.into_iter().collect();
        assert_eq!(stored, expected, "{backend:?}: providers");
        assert_eq!(count(&store, "SELECT COUNT(*) FROM providers WHERE cqc_provider_id IS NULL").await, 1, "{backend:?}");
        // The location without a provider id is one service, of that provider, as repeated.
        let (services, phone): (i64, Option<String>) = sqlx::query_as(
            "SELECT COUNT(*), MAX(s.phone) FROM services s JOIN providers p ON p.id = s.provider_id
             WHERE p.cqc_provider_id IS NULL AND s.cqc_location_id = $1",
        )
        .bind(&first[5].location_id)
        .fetch_one(store.pool())
        .await
        .expect("providerless");
        assert_eq!((services, phone.as_deref()), (1, Some("01632 960000")), "{backend:?}");
        // Every service of the second file belongs to the provider its record names.
        let wrong: i64 = {
            let rows: Vec<(String, Option<String>)> =
                sqlx::query_as("SELECT s.cqc_location_id, p.cqc_provider_id FROM services s JOIN providers p ON p.id = s.provider_id")
                    .fetch_all(store.pool())
                    .await
                    .expect("services");
            let of: BTreeMap<String, Option<String>> = rows.into_iter().collect();
            second.iter().filter(|r| of.get(&r.location_id) != Some(&r.provider_id)).count() as i64
        };
        assert_eq!(wrong, 0, "{backend:?}");
    }
}

/// A re-import whose batches mix unchanged, changed and new locations (issue 18 item 1: each
/// batch's services are read together, and a location's hash compared with the stored one):
/// each location is counted once, as what it is, and what is stored is what the file says.
#[tokio::test]
async fn a_re_import_mixing_unchanged_changed_and_new_locations_counts_each_once() {
    let all = records_of(1_300);
    let (held, fresh) = all.split_at(1_000);
    for store in testing::all_backends().await.expect("stores") {
        import(&store, held).await.expect("first import");
        // Every third held location renamed; a new location after every tenth held one, so the
        // batches of 500 hold all three kinds; the last batch is new locations only.
        let mut file = Vec::new();
        let mut fresh_left = fresh.iter();
        for (i, r) in held.iter().enumerate() {
            let mut r = r.clone();
            if i % 3 == 0 {
                r.name = format!("{} (renamed)", r.name);
            }
            file.push(r);
            if i % 10 == 9
                && let Some(n) = fresh_left.next()
            {
                file.push(n.clone());
            }
        }
        file.extend(fresh_left.cloned());
        let renamed = held.iter().enumerate().filter(|(i, _)| i % 3 == 0).count() as i64;
        let report = import(&store, &file).await.expect("re-import");
        assert_eq!(report.new, fresh.len() as i64);
        assert_eq!(report.updated + report.deregistered, renamed);
        assert_eq!(report.unchanged, held.len() as i64 - renamed);
        assert_eq!(count(&store, "SELECT COUNT(*) FROM services").await, all.len() as i64);
        assert_eq!(count(&store, "SELECT COUNT(*) FROM services WHERE name LIKE '% (renamed)'").await, renamed);

        // The same file again: every location unchanged.
        let again = import(&store, &file).await.expect("again");
        assert_eq!((again.new, again.updated, again.unchanged), (0, 0, file.len() as i64));
    }
}
