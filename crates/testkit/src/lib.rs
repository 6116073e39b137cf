//! Fresh databases for tests: a new SQLite file, or a new PostgreSQL database created from
//! `CAREMARKET_TEST_POSTGRES_URL` (tests never rely on state left behind).

use caremarket_core::register::{ContractStatus, ServiceKind};
use caremarket_store::register::NewService;
use caremarket_store::{Result, Store};

pub const POSTGRES_ENV: &str = "CAREMARKET_TEST_POSTGRES_URL";

/// A new, empty, migrated SQLite database in the temp directory.
pub async fn sqlite() -> Result<Store> {
    let path = std::env::temp_dir().join(format!("caremarket-test-{}.db", uuid::Uuid::now_v7()));
    Store::connect(&format!("sqlite://{}", path.display())).await
}

/// A new, empty, migrated PostgreSQL database, or `None` (with a message saying the test was
/// skipped) when `CAREMARKET_TEST_POSTGRES_URL` is not set.
pub async fn postgres() -> Result<Option<Store>> {
    match postgres_empty_url().await? {
        Some(url) => Ok(Some(Store::connect(&url).await?)),
        None => Ok(None),
    }
}

/// The URL of a new PostgreSQL database with nothing in it (not even migrations), or `None`
/// with a message when `CAREMARKET_TEST_POSTGRES_URL` is not set. For tests that load a
/// database made by an earlier release before migrating it.
pub async fn postgres_empty_url() -> Result<Option<String>> {
    let Ok(base) = std::env::var(POSTGRES_ENV) else {
        say_postgres_skipped();
        return Ok(None);
    };
    sqlx::any::install_default_drivers();
    let name = format!("caremarket_test_{}", uuid::Uuid::now_v7().simple());
    let admin = sqlx::AnyPool::connect(&base).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&admin).await?;
    admin.close().await;
    let url = match base.rfind('/') {
        Some(i) if base[..i].contains("://") && base[i..].len() > 1 && !base[..i].ends_with('/') => {
            let query = base[i..].find('?').map(|q| &base[i + q..]).unwrap_or("");
            format!("{}/{name}{query}", &base[..i])
        }
        _ => format!("{}/{name}", base.trim_end_matches('/')),
    };
    Ok(Some(url))
}

/// Once per test binary, straight to the process's stderr: `cargo test` captures `eprintln!`
/// from passing tests, so a skip said that way is never seen.
fn say_postgres_skipped() {
    use std::io::Write;
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let exe = std::env::current_exe().ok().and_then(|p| p.file_stem().map(|s| s.to_string_lossy().rsplit_once('-').map_or_else(|| s.to_string_lossy().into_owned(), |(name, _)| name.to_string()))).unwrap_or_default();
        let _ = writeln!(
            std::io::stderr().lock(),
            "SKIPPED on PostgreSQL ({exe}): set {POSTGRES_ENV} (e.g. postgres://postgres@127.0.0.1:5432/postgres) to run these tests against PostgreSQL too"
        );
    });
}

/// The URL of a new SQLite file with nothing in it.
pub fn sqlite_empty_url() -> String {
    let path = std::env::temp_dir().join(format!("caremarket-test-{}.db", uuid::Uuid::now_v7()));
    format!("sqlite://{}?mode=rwc", path.display())
}

/// A service for a test: registered with CQC, a spot purchase, in the council's area (Testshire,
/// Testtown, TT1 1AA), with no street address, beds or CQC location. A test changes what it is
/// about with struct update syntax: `NewService { beds: Some(30), ..service(p, "Elm", kind) }`.
pub fn service(provider_id: impl Into<String>, name: impl Into<String>, kind: ServiceKind) -> NewService {
    NewService {
        provider_id: provider_id.into(),
        cqc_location_id: None,
        name: name.into(),
        kind,
        address_line: None,
        town: Some("Testtown".into()),
        postcode: Some("TT1 1AA".into()),
        local_authority: Some("Testshire".into()),
        region: None,
        in_area: true,
        phone: None,
        website: None,
        registration_status: "registered".into(),
        registration_date: None,
        beds: None,
        service_types: vec![],
        specialisms: vec![],
        contract_status: ContractStatus::SpotPurchase,
        framework_id: None,
        lot_id: None,
        contract_start: None,
        contract_end: None,
        council_notes: None,
    }
}

/// The service contracted on a framework's lot when given `(framework id, lot id)`; unchanged
/// (a spot purchase, from [`service`]) when not.
pub fn on_framework(service: NewService, framework_and_lot: Option<(&str, &str)>) -> NewService {
    match framework_and_lot {
        Some((framework, lot)) => NewService {
            contract_status: ContractStatus::Framework,
            framework_id: Some(framework.into()),
            lot_id: Some(lot.into()),
            ..service
        },
        None => service,
    }
}

/// Every backend available: SQLite always, PostgreSQL when configured.
pub async fn all_backends() -> Result<Vec<Store>> {
    let mut v = vec![sqlite().await?];
    if let Some(pg) = postgres().await? {
        v.push(pg);
    }
    Ok(v)
}
