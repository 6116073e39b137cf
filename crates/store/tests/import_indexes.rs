//! A first import into an empty register on PostgreSQL builds the secondary indexes of
//! `services`, `service_specialisms` and `rating_history` after loading (issue 18 item 1):
//! afterwards the catalog holds the same indexes, built anew; an import that fails leaves them
//! exactly as they were; an import into a register that holds services leaves them alone; SQLite
//! keeps them throughout. And each service stores its location's JSON and content digest. On SQLite, and on PostgreSQL when CAREMARKET_TEST_POSTGRES_URL is set.

use caremarket_core::register::CqcLocation;
use caremarket_ingest::parse_cqc_bytes;
use caremarket_store::import::{ImportOptions, ImportReport};
use caremarket_store::{Actor, Backend, Store, StoreError};
use caremarket_testkit as testing;
use std::collections::BTreeMap;

/// More than one batch of 500, so that a failure comes after rows have been written.
const ROWS: usize = 700;

const TABLES: &str = "'services', 'service_specialisms', 'rating_history', 'providers'";

fn records() -> Vec<CqcLocation> {
    let csv = caremarket_ingest::synthetic::generate_locations_export_csv(ROWS, 11);
    let outcome = parse_cqc_bytes("export.csv", csv.as_bytes(), &mut |_, _| {}).expect("parse");
    assert_eq!(outcome.records.len(), ROWS, "{:?}", outcome.rejection_messages());
    outcome.records
}

async fn import(store: &Store, records: &[CqcLocation]) -> Result<ImportReport, StoreError> {
    let opts = ImportOptions { file_name: "export.csv".into(), format: "test".into(), ..Default::default() };
    store.import_cqc(&Actor::system("test"), &opts, records, Vec::new(), &mut |_, _| {}).await
}

/// The register's indexes as the catalog holds them: name → (definition, where it is stored: SQLite's
/// root page, PostgreSQL's object id, which a rebuilt index does not keep).
async fn catalog(store: &Store) -> BTreeMap<String, (Option<String>, i64)> {
    let sql = match store.backend() {
        Backend::Sqlite => format!("SELECT name, sql, rootpage FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({TABLES})"),
        Backend::Postgres => format!(
            "SELECT indexname::text, indexdef, (quote_ident(schemaname) || '.' || quote_ident(indexname))::regclass::oid::bigint
             FROM pg_indexes WHERE schemaname = current_schema() AND tablename IN ({TABLES})"
        ),
    };
    let rows: Vec<(String, Option<String>, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(store.pool()).await.expect("catalog");
    rows.into_iter().map(|(name, sql, place)| (name, (sql, place))).collect()
}

#[tokio::test]
async fn a_first_import_rebuilds_its_secondary_indexes_and_a_failed_one_leaves_them() {
    let records = records();
    for store in testing::all_backends().await.expect("stores") {
        let backend = store.backend();
        let before = catalog(&store).await;
        // SQLite keeps every index: building them after loading made no measurable difference.
        let rebuilt: &[&str] = match backend {
            Backend::Sqlite => &[],
            Backend::Postgres => &[
                "services_provider",
                "services_kind",
                "services_contract",
                "services_name",
                "specialism_by_name",
                "rating_history_service",
                "rating_history_recorded",
            ],
        };
        for name in rebuilt {
            assert!(before.contains_key(*name), "{backend:?}: {name} in {before:?}");
        }

        // A record the store refuses, in the second batch: the first has been written and the
        // indexes dropped when it is reached.
        let mut bad = records.clone();
        bad[ROWS - 1].name = " ".into();
        assert!(matches!(import(&store, &bad).await, Err(StoreError::Invalid(_))), "{backend:?}");
        assert_eq!(catalog(&store).await, before, "{backend:?}: after a failed first import");

        import(&store, &records).await.expect("import");
        let after = catalog(&store).await;
        let names =
            |c: &BTreeMap<String, (Option<String>, i64)>| c.iter().map(|(n, (sql, _))| (n.clone(), sql.clone())).collect::<Vec<_>>();
        assert_eq!(names(&after), names(&before), "{backend:?}: the same indexes, defined the same way");
        for (name, (_, place)) in &after {
            let was = before[name].1;
            if rebuilt.contains(&name.as_str()) {
                assert_ne!(*place, was, "{backend:?}: {name} was built after loading");
            } else {
                assert_eq!(*place, was, "{backend:?}: {name} (unique, a constraint's, or another table's) was kept");
            }
        }

        // A register that holds services keeps its indexes and their readers.
        let mut changed = records.clone();
        changed[3].name = format!("{} (renamed)", changed[3].name);
        let report = import(&store, &changed).await.expect("re-import");
        assert_eq!((report.new, report.updated), (0, 1), "{backend:?}");
        assert_eq!(catalog(&store).await, after, "{backend:?}: a re-import");
    }
}

#[tokio::test]
async fn a_first_import_stores_each_locations_json_and_the_digest_registers_hold() {
    let records = records();
    let out_of_order = records.iter().filter(|r| !r.specialisms.is_sorted() || !r.service_types.is_sorted()).count();
    assert!(out_of_order > 0, "some records list their specialisms or service types out of order");
    for store in testing::all_backends().await.expect("stores") {
        let backend = store.backend();
        import(&store, &records).await.expect("import");
        let stored: BTreeMap<String, (Option<String>, Option<String>)> =
            sqlx::query_as::<_, (String, Option<String>, Option<String>)>("SELECT cqc_location_id, cqc_hash, cqc_json FROM services")
                .fetch_all(store.pool())
                .await
                .expect("services")
                .into_iter()
                .map(|(id, hash, json)| (id, (hash, json)))
                .collect();
        assert_eq!(stored.len(), records.len(), "{backend:?}");
        for r in &records {
            let (hash, json) = &stored[&r.location_id];
            assert_eq!(hash.as_deref(), Some(r.content_hash().as_str()), "{backend:?}: {}", r.location_id);
            assert_eq!(json.as_deref(), Some(serde_json::to_string(r).expect("json").as_str()), "{backend:?}: {}", r.location_id);
        }
    }
}
