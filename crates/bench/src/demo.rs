//! `caremarket-bench demo`: how long `caremarket demo --scale N` takes to generate the demo
//! council (issue 18 item 5: under 30 s at scale 10), on a fresh SQLite database and, when a
//! PostgreSQL URL is given, a fresh PostgreSQL database, each `--rounds` times. Each part of the
//! generation is timed too, so the slow part is visible, and the rows written are counted.

use crate::db::{self, Target};
use crate::sys::{self, secs, thousands};
use anyhow::{Context, Result, ensure};
use caremarket_demo::{DemoOptions, PartTiming};
use caremarket_store::Store;
use clap::Args;
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Demo scale factor (1 is a council of real size, about 500 services).
    #[arg(long, default_value_t = 10)]
    scale: u32,
    /// Rounds (every figure is taken this many times, each on a new database).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Demo seed.
    #[arg(long, default_value_t = caremarket_demo::DEFAULT_SEED)]
    seed: u64,
    /// Also measure on PostgreSQL (a new database is created beside the one named, and dropped).
    #[arg(long, env = "CAREMARKET_TEST_POSTGRES_URL")]
    postgres_url: Option<String>,
    /// Measure PostgreSQL only.
    #[arg(long)]
    skip_sqlite: bool,
}

struct Run {
    backend: &'static str,
    round: usize,
    total: Duration,
    services: usize,
    rows: i64,
    parts: Vec<PartTiming>,
}

pub async fn run(args: DemoArgs) -> Result<()> {
    ensure!(args.scale > 0 && args.rounds > 0, "--scale and --rounds must be at least 1");
    let targets = Target::list(args.skip_sqlite, args.postgres_url.as_deref());
    ensure!(!targets.is_empty(), "nothing to measure: --skip-sqlite needs --postgres-url");
    let dir = db::work_dir("demo")?;
    let load_before = sys::load_average();
    let result = run_in(&args, &targets, &dir).await;
    let load_after = sys::load_average();
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        eprintln!("warning: could not delete {}: {e}", dir.display());
    }
    print_results(&args, &result?, &load_before, &load_after);
    Ok(())
}

async fn run_in(args: &DemoArgs, targets: &[Target], dir: &Path) -> Result<Vec<Run>> {
    let mut runs = Vec::new();
    for target in targets {
        for round in 1..=args.rounds {
            eprintln!("{}: round {round}, fresh database, scale {}", target.name(), args.scale);
            let bench_db = db::fresh(target, dir).await?;
            let measured = measure(target.name(), round, &bench_db, args).await;
            let removed = bench_db.remove().await;
            let run = measured?;
            removed?;
            eprintln!("  {} in {}", thousands(run.rows.max(0) as u64), secs(run.total));
            runs.push(run);
        }
    }
    Ok(runs)
}

/// As `caremarket demo` does: through a bulk-load connection (commits do not wait for the disk),
/// closed afterwards; the rows are counted through the ordinary one.
async fn measure(backend: &'static str, round: usize, bench_db: &db::BenchDb, args: &DemoArgs) -> Result<Run> {
    let options = DemoOptions { seed: args.seed, scale: args.scale, today: caremarket_store::today() };
    let started = Instant::now();
    let loader = Store::connect_for_bulk_load(&bench_db.url).await.context("could not open the bulk-load connection")?;
    let generated = caremarket_demo::generate_with_progress(&loader, &options, &mut |_, _| {}).await.context("demo generation failed");
    loader.pool().close().await;
    let summary = generated?;
    let total = started.elapsed();
    Ok(Run { backend, round, total, services: summary.services, rows: count_rows(&bench_db.store).await?, parts: summary.timings })
}

/// Rows in every table the application keeps (its own migration table aside).
async fn count_rows(store: &Store) -> Result<i64> {
    let tables: Vec<String> = match store.backend() {
        caremarket_store::Backend::Sqlite => {
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
                .fetch_all(store.pool())
                .await?
        }
        caremarket_store::Backend::Postgres => {
            sqlx::query_scalar("SELECT CAST(tablename AS TEXT) FROM pg_tables WHERE schemaname = 'public'").fetch_all(store.pool()).await?
        }
    };
    let mut rows = 0i64;
    for t in tables.iter().filter(|t| t.as_str() != "caremarket_migrations") {
        // Table names come from the database's own catalogue, not from input.
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM \"{t}\""))).fetch_one(store.pool()).await?;
        rows += n;
    }
    Ok(rows)
}

fn print_results(args: &DemoArgs, runs: &[Run], load_before: &str, load_after: &str) {
    println!("# Demo generation at scale {}\n", args.scale);
    println!("Load average before: {load_before}; after: {load_after}. Seed {}.\n", args.seed);
    println!("| Backend | Round | Services | Rows written | Time | Rows/s |");
    println!("|---|---:|---:|---:|---:|---:|");
    for r in runs {
        println!(
            "| {} | {} | {} | {} | **{}** | {} |",
            r.backend,
            r.round,
            thousands(r.services as u64),
            thousands(r.rows.max(0) as u64),
            secs(r.total),
            sys::per_second(r.rows.max(0) as u64, r.total)
        );
    }
    let Some(first) = runs.first() else { return };
    println!("\n## Each part, seconds (one column per run)\n");
    let header: Vec<String> = runs.iter().map(|r| format!("{} {}", r.backend, r.round)).collect();
    println!("| Part | {} |", header.join(" | "));
    println!("|---|{}", "---:|".repeat(runs.len()));
    for (i, part) in first.parts.iter().enumerate() {
        let cells: Vec<String> =
            runs.iter().map(|r| r.parts.get(i).map(|p| format!("{:.2}", p.elapsed.as_secs_f64())).unwrap_or_default()).collect();
        println!("| {} | {} |", part.part, cells.join(" | "));
    }
}
