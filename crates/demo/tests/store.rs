//! The demo written through the store on SQLite: determinism, figures and accounts.

use caremarket_core::Date;
use caremarket_core::access::Role;
use caremarket_core::register::ServiceKind;
use caremarket_demo::{DEMO_PASSWORD, DemoError, DemoOptions, DemoSummary, generate, is_seeded};
use caremarket_store::Store;
use caremarket_store::register::ServiceFilter;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

static N: AtomicU32 = AtomicU32::new(0);

/// A fresh SQLite database in the temp directory, removed on drop.
struct TempDb {
    path: PathBuf,
}

impl TempDb {
    fn new() -> Self {
        let n = N.fetch_add(1, Ordering::SeqCst);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let path = std::env::temp_dir().join(format!("caremarket-demo-test-{}-{n}-{nanos}.db", std::process::id()));
        TempDb { path }
    }

    async fn store(&self) -> Store {
        Store::connect(&format!("sqlite://{}", self.path.display())).await.expect("connect")
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.path.display()));
        }
    }
}

fn today() -> Date {
    Date::new(2025, 6, 30).expect("date")
}

fn opts(seed: u64) -> DemoOptions {
    DemoOptions { seed, scale: 1, today: today() }
}

type Row = (String, String, Option<String>, String);

/// Every service as (name, kind, overall rating, contract status), sorted.
async fn register(store: &Store) -> Vec<Row> {
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let f = ServiceFilter { any_area: true, registration: Some("all".into()), page, per_page: 500, ..Default::default() };
        let p = store.services(&f).await.expect("services");
        for s in &p.items {
            out.push((
                s.name.clone(),
                s.kind.as_str().to_string(),
                s.ratings.overall.map(|r| r.as_str().to_string()),
                s.contract_status.as_str().to_string(),
            ));
        }
        if page >= p.pages() {
            break;
        }
        page += 1;
    }
    out.sort();
    out
}

async fn generated(seed: u64) -> (TempDb, Store, DemoSummary) {
    let db = TempDb::new();
    let store = db.store().await;
    let summary = generate(&store, &opts(seed)).await.expect("generate");
    (db, store, summary)
}

#[tokio::test]
async fn same_seed_gives_the_same_council_and_another_seed_does_not() {
    let (_a, store_a, sum_a) = generated(42).await;
    let (_b, store_b, sum_b) = generated(42).await;
    let (_c, store_c, sum_c) = generated(43).await;
    assert_eq!(sum_a, sum_b);
    let reg_a = register(&store_a).await;
    assert_eq!(reg_a.len(), sum_a.services);
    assert_eq!(reg_a, register(&store_b).await);
    let reg_c = register(&store_c).await;
    assert_ne!(reg_a, reg_c);
    assert_ne!(sum_a.ratings, 0);
    let _ = sum_c;
}

#[tokio::test]
async fn the_register_answers_the_dashboard_questions() {
    let db = TempDb::new();
    let store = db.store().await;
    assert!(!is_seeded(&store).await.expect("check"));
    let summary = generate(&store, &opts(2024)).await.expect("generate");
    assert!(is_seeded(&store).await.expect("check"));
    assert!(matches!(generate(&store, &opts(2024)).await, Err(DemoError::AlreadySeeded)));

    assert_eq!(store.setting("council_name").await.expect("setting").as_deref(), Some("Northmoor Borough Council"));
    assert_eq!(store.areas().await.expect("areas").len(), 5);
    let frameworks = store.frameworks().await.expect("frameworks");
    let names: Vec<_> = frameworks.iter().map(|f| f.name.as_str()).collect();
    for n in ["Care Homes Framework", "Home Care Framework 2024", "Supported Living Framework", "Day Services Framework"] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }

    let since = today().checked_sub(jiff::Span::new().days(90)).expect("date");
    let figures = store.market_figures(Date::new(2020, 1, 1).expect("date"), since).await.expect("figures");
    let kind = |k: ServiceKind| figures.by_kind.iter().find(|r| r.kind == k).expect("kind row");
    let homes = kind(ServiceKind::CareHomeResidential).services + kind(ServiceKind::CareHomeNursing).services;
    assert!((90..=110).contains(&homes), "care homes {homes}");
    let hc = kind(ServiceKind::HomeCare);
    assert!((180..=200).contains(&hc.services), "home care {}", hc.services);
    assert!((25..=35).contains(&hc.contracted), "contracted home care {}", hc.contracted);
    assert!(hc.national.is_some());
    let pct = kind(ServiceKind::CareHomeResidential).percent_good_or_outstanding.expect("percent");
    assert!((65.0..=95.0).contains(&pct), "{pct}");
    assert!(figures.rating_changes.len() >= 3, "changes {:?}", figures.rating_changes);
    assert!(figures.not_inspected_since >= 10, "not inspected since 2020: {}", figures.not_inspected_since);
    assert!(figures.never_inspected >= 2, "never inspected: {}", figures.never_inspected);
    assert_eq!(figures.out_of_area_placements as usize, summary.placements);
    assert!((15..=25).contains(&summary.placements));

    // Areas were matched from postcodes.
    let all = store.services(&ServiceFilter { per_page: 1000, ..Default::default() }).await.expect("services");
    assert!(all.items.iter().all(|s| s.area_id.is_some()), "every in-area service is in an area");
    for s in &all.items {
        if s.contract_status.takes_framework() {
            assert!(s.framework_id.is_some() && s.lot_id.is_some(), "{} lacks a framework or lot", s.name);
        }
    }
    let out = store.services(&ServiceFilter { in_area: Some(false), per_page: 100, ..Default::default() }).await.expect("services");
    assert!((20..=30).contains(&out.total));

    // Accounts sign in with the demo password; the provider user belongs to a provider.
    assert_eq!(summary.users.len(), 9);
    assert_eq!(summary.password, DEMO_PASSWORD);
    for (email, role) in &summary.users {
        let u = store.authenticate(email, DEMO_PASSWORD).await.expect("auth").expect("signs in");
        assert_eq!(u.role, *role);
        assert_eq!(u.provider_id.is_some(), *role == Role::Provider);
    }
}

/// Scale 10 on SQLite, timed: `cargo test -p caremarket-demo --release -- --ignored --nocapture`.
#[tokio::test]
#[ignore]
async fn scale_ten_timing() {
    let db = TempDb::new();
    let store = db.store().await;
    let started = std::time::Instant::now();
    let summary = generate(&store, &DemoOptions { seed: 1, scale: 10, today: today() }).await.expect("generate");
    println!("scale 10: {summary:?} in {:?}", started.elapsed());
}
