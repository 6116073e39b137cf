//! Schemas that cannot drift: the SQLite and PostgreSQL migrations are written by hand, one folder
//! per backend, so this suite checks that they make the same tables, columns (name, order, type
//! family, nullability) and indexes; and that a database made by the previous release migrates to
//! this one with every row still there and readable (fixtures/upgrade/README.md says how the
//! dumps were made).

use std::collections::BTreeMap;

use caremarket_store::register::ServiceFilter;
use caremarket_store::{Backend, Store};
use caremarket_testkit as testing;
use sqlx::Row;

/// One column as both backends can describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    name: String,
    family: &'static str,
    not_null: bool,
}

type Schema = BTreeMap<String, Vec<Column>>;

/// SQLite's declared types and PostgreSQL's `data_type` mapped to what a value can be.
fn family(declared: &str) -> &'static str {
    match declared.to_ascii_lowercase().as_str() {
        "text" | "character varying" | "varchar" => "text",
        "integer" | "bigint" | "smallint" => "integer",
        "real" | "double" | "double precision" => "real",
        "blob" | "bytea" => "bytes",
        "boolean" => "boolean",
        _ => "other",
    }
}

async fn schema(store: &Store) -> Schema {
    let mut out: Schema = BTreeMap::new();
    match store.backend() {
        Backend::Sqlite => {
            let rows = sqlx::query(
                "SELECT m.name, p.name, p.type, p.\"notnull\", p.pk FROM sqlite_master m, pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid",
            )
            .fetch_all(store.pool())
            .await
            .expect("sqlite columns");
            for r in rows {
                let table: String = r.get(0);
                let ty: String = r.get(2);
                let not_null: i64 = r.get(3);
                let pk: i64 = r.get(4);
                // PostgreSQL makes every primary key column NOT NULL whether or not it is written.
                out.entry(table).or_default().push(Column { name: r.get(1), family: family(&ty), not_null: not_null != 0 || pk != 0 });
            }
        }
        Backend::Postgres => {
            let rows = sqlx::query(
                "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
            )
            .fetch_all(store.pool())
            .await
            .expect("postgres columns");
            for r in rows {
                let table: String = r.get(0);
                let ty: String = r.get(2);
                let nullable: String = r.get(3);
                out.entry(table).or_default().push(Column { name: r.get(1), family: family(&ty), not_null: nullable == "NO" });
            }
        }
    }
    out
}

/// Indexes written as CREATE INDEX (not those a backend makes for keys and UNIQUE constraints).
async fn indexes(store: &Store) -> Vec<String> {
    let sql = match store.backend() {
        Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
        Backend::Postgres => {
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() \
             AND indexname NOT IN (SELECT conname FROM pg_constraint) ORDER BY indexname"
        }
    };
    sqlx::query_scalar(sql).fetch_all(store.pool()).await.expect("indexes")
}

#[tokio::test]
async fn sqlite_and_postgresql_migrations_make_the_same_schema() {
    let sqlite = testing::sqlite().await.expect("sqlite");
    let Some(pg) = testing::postgres().await.expect("postgres") else {
        return;
    };
    let (a, b) = (schema(&sqlite).await, schema(&pg).await);
    assert!(a.len() > 40, "the schema has its tables: {}", a.len());
    let only_sqlite: Vec<_> = a.keys().filter(|t| !b.contains_key(*t)).collect();
    let only_pg: Vec<_> = b.keys().filter(|t| !a.contains_key(*t)).collect();
    assert!(only_sqlite.is_empty() && only_pg.is_empty(), "tables only in SQLite: {only_sqlite:?}; only in PostgreSQL: {only_pg:?}");
    let mut differences = Vec::new();
    for (table, cols) in &a {
        let other = &b[table];
        if cols != other {
            differences.push(format!("{table}:\n  SQLite     {cols:?}\n  PostgreSQL {other:?}"));
        }
    }
    assert!(differences.is_empty(), "columns differ between the backends:\n{}", differences.join("\n"));
    for (table, cols) in &a {
        assert!(cols.iter().all(|c| c.family != "other"), "{table} has a column of a type this check does not know: {cols:?}");
    }
    assert_eq!(indexes(&sqlite).await, indexes(&pg).await, "the same indexes on both backends");
}

/// Row counts per table, straight from the database.
async fn counts(pool: &sqlx::AnyPool, tables: &[String]) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for t in tables {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {t}"))).fetch_one(pool).await.expect("count");
        out.insert(t.clone(), n);
    }
    out
}

/// How many rows the dump inserts into `table`, read from the dump's text.
fn rows_in_dump(dump: &str, table: &str) -> i64 {
    let prefixes = [format!("INSERT INTO {table} "), format!("INSERT INTO public.{table} ")];
    dump.lines().filter(|l| prefixes.iter().any(|p| l.starts_with(p.as_str()))).count() as i64
}

/// Reference rows that later migrations add to a table the old release already had: the
/// equality monitoring lists of migration 0015, counted from the migration itself.
fn seeded_since(table: &str) -> i64 {
    match table {
        "dp_reference" => include_str!("../../../migrations/sqlite/0015_closures_and_equality.sql")
            .lines()
            .filter(|l| l.trim_start().starts_with("('ethnicity'") || l.trim_start().starts_with("('religion'"))
            .count() as i64,
        // The PA checks' rules (migration 0025) are settings rows with their defaults.
        "settings" => include_str!("../../../migrations/sqlite/0025_pa_checks.sql")
            .lines()
            .filter(|l| l.trim_start().starts_with("('pa_checks_"))
            .count() as i64,
        // The re-visit rule after a Requires Improvement or Poor result (migration 0034).
        "cadence_rules" => include_str!("../../../migrations/sqlite/0034_visit_fact_check.sql")
            .lines()
            .filter(|l| l.trim_start().starts_with("('cadence-"))
            .count() as i64,
        _ => 0,
    }
}

async fn upgrade_from_previous_release(url: &str, dump: &str) {
    sqlx::any::install_default_drivers();
    // Load the old release's database exactly as it left it, on one connection (the PostgreSQL
    // dump changes its session's search_path as it goes).
    let tables: Vec<String> = {
        let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(url).await.expect("connect");
        sqlx::raw_sql(sqlx::AssertSqlSafe(dump.to_string())).execute(&pool).await.expect("load the previous release's dump");
        pool.close().await;
        let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(url).await.expect("connect");
        let sql = if url.starts_with("sqlite") {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        } else {
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name"
        };
        let tables = sqlx::query_scalar(sql).fetch_all(&pool).await.expect("tables");
        pool.close().await;
        tables
    };
    let versions_before = rows_in_dump(dump, "caremarket_migrations");
    assert_eq!(versions_before, 4, "the dump is of a database at 0004_quality");

    let store = Store::connect(url).await.expect("the current release opens and migrates the old database");
    let applied = store.migrations_applied().await.expect("migrations");
    assert!(applied.len() >= 4 && applied[..4].iter().all(|v| v.as_str() <= "0004_quality"), "{applied:?}");

    // Every row the old release wrote is still there.
    let after = counts(store.pool(), &tables).await;
    for t in &tables {
        if t == "caremarket_migrations" {
            continue;
        }
        assert_eq!(after[t], rows_in_dump(dump, t) + seeded_since(t), "rows of {t} after upgrading");
    }

    // And readable through the store: every service, its rating history, the old account.
    let services = store
        .services(&ServiceFilter { any_area: true, registration: Some("all".into()), per_page: 10_000, page: 1, ..Default::default() })
        .await
        .expect("services decode after the upgrade");
    let expected_services = rows_in_dump(dump, "services");
    assert!(expected_services >= 40, "the dump holds the imported services: {expected_services}");
    assert_eq!(services.total, expected_services);
    assert_eq!(services.items.len() as i64, expected_services);
    let mut history = 0;
    for s in &services.items {
        history += store.rating_history(&s.id).await.expect("rating history decodes").len() as i64;
    }
    assert_eq!(history, rows_in_dump(dump, "rating_history"), "every rating history entry reads back");
    let user = store.authenticate("old@council.test", "correct-horse-battery-1").await.expect("sign in");
    assert_eq!(user.map(|u| u.display_name), Some("Old Release".to_string()), "the old release's account still signs in");
    assert_eq!(store.setting("council_name").await.expect("setting").as_deref(), Some("Oldham Council"));
}

#[tokio::test]
async fn a_sqlite_database_from_the_previous_release_upgrades_with_its_data() {
    let dump = include_str!("../../../fixtures/upgrade/v0.4.0-sqlite.sql");
    upgrade_from_previous_release(&testing::sqlite_empty_url(), dump).await;
}

#[tokio::test]
async fn a_postgresql_database_from_the_previous_release_upgrades_with_its_data() {
    let Some(url) = testing::postgres_empty_url().await.expect("postgres") else {
        return;
    };
    let dump = include_str!("../../../fixtures/upgrade/v0.4.0-postgres.sql");
    upgrade_from_previous_release(&url, dump).await;
}
