//! A first import into an empty register on PostgreSQL builds the secondary indexes of
//! `services`, `service_specialisms` and `rating_history` after loading (issue 18 item 1):
//! afterwards the catalog holds the same indexes, built anew; an import that fails leaves them
//! exactly as they were; an import into a register that holds services leaves them alone; SQLite
//! keeps them throughout. Its foreign keys are likewise added again after loading, and checked then,
//! on PostgreSQL. And each service stores its location's JSON and content digest. On SQLite, and on PostgreSQL when CAREMARKET_TEST_POSTGRES_URL is set.

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
                "services_cqc_digest",
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

/// The register's foreign keys as the catalog holds them: (table, name or column) → (definition,
/// PostgreSQL's object id of the constraint, which a constraint added again does not keep; 0 on
/// SQLite, whose foreign keys are part of the table's definition).
async fn foreign_keys(store: &Store) -> BTreeMap<(String, String), (String, i64)> {
    let sql = match store.backend() {
        Backend::Sqlite => format!(
            "SELECT m.name, f.\"from\", f.\"table\" || '(' || f.\"to\" || ')', 0
             FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table' AND m.name IN ({TABLES})"
        ),
        Backend::Postgres => format!(
            "SELECT c.relname::text, k.conname::text, pg_get_constraintdef(k.oid), k.oid::bigint
             FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND k.contype = 'f' AND c.relname IN ({TABLES})"
        ),
    };
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(store.pool()).await.expect("keys");
    rows.into_iter().map(|(table, name, def, oid)| ((table, name), (def, oid))).collect()
}

#[tokio::test]
async fn a_first_import_checks_its_foreign_keys_once_and_a_failed_one_leaves_them() {
    let records = records();
    for store in testing::all_backends().await.expect("stores") {
        let backend = store.backend();
        let before = foreign_keys(&store).await;
        // What the migrations declare: every service has a provider, every specialism and every
        // rating a service.
        let references = |keys: &BTreeMap<(String, String), (String, i64)>, table: &str| {
            keys.iter().filter(|((t, _), _)| t == table).map(|(_, (def, _))| def.replace(' ', "")).collect::<Vec<_>>()
        };
        for (table, target) in [("services", "providers(id)"), ("service_specialisms", "services(id)"), ("rating_history", "services(id)")]
        {
            assert!(
                references(&before, table).iter().any(|d| d.ends_with(target)),
                "{backend:?}: {table} references {target} in {before:?}"
            );
        }

        let mut bad = records.clone();
        bad[ROWS - 1].name = " ".into();
        assert!(matches!(import(&store, &bad).await, Err(StoreError::Invalid(_))), "{backend:?}");
        assert_eq!(foreign_keys(&store).await, before, "{backend:?}: after a failed first import");

        import(&store, &records).await.expect("import");
        let after = foreign_keys(&store).await;
        let definitions =
            |k: &BTreeMap<(String, String), (String, i64)>| k.iter().map(|(n, (d, _))| (n.clone(), d.clone())).collect::<Vec<_>>();
        assert_eq!(definitions(&after), definitions(&before), "{backend:?}: the same foreign keys, defined the same way");
        if backend == Backend::Postgres {
            // Keys to the tables the import fills are added again; a service's area, framework
            // and lot (no value the import writes) keep theirs, and so lock nothing more.
            for (name, (definition, oid)) in &after {
                let filled = definition.contains("REFERENCES providers(") || definition.contains("REFERENCES services(");
                if filled {
                    assert_ne!(*oid, before[name].1, "{backend:?}: {name:?} was added again after loading");
                } else {
                    assert_eq!(*oid, before[name].1, "{backend:?}: {name:?} was kept");
                }
            }
            assert!(after.values().any(|(d, _)| d.contains("REFERENCES areas(")), "{backend:?}: a key that is kept, {after:?}");
        }

        // And they hold: a specialism of a service the register does not have is refused.
        let orphan = sqlx::query("INSERT INTO service_specialisms (service_id, specialism) VALUES ('no-such-service', 'dementia')")
            .execute(store.pool())
            .await;
        assert!(orphan.is_err(), "{backend:?}: a specialism without its service was accepted");
        let specialisms: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM service_specialisms").fetch_one(store.pool()).await.expect("count");
        let expected: usize = records.iter().map(|r| r.specialisms.iter().collect::<std::collections::BTreeSet<_>>().len()).sum();
        assert_eq!(specialisms as usize, expected, "{backend:?}: every specialism the file lists, once");

        // A register that holds services keeps its foreign keys as they are.
        let mut changed = records.clone();
        changed[5].name = format!("{} (renamed)", changed[5].name);
        import(&store, &changed).await.expect("re-import");
        assert_eq!(foreign_keys(&store).await, after, "{backend:?}: a re-import");
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
