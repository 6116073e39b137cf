//! `caremarket-bench report`: the quarterly Market Oversight Report at a demo scale (issue 12:
//! "HTML under 1 s, Word under 3 s at demo scale 10, from the release build"). Generates the demo
//! council in a fresh database, then builds the report as at the last quarter's end and renders
//! it as HTML and as Word, each timed `--runs` times (three by default). The machine's load is
//! printed before and after, because these machines are shared.
//!
//! On the same database it also times the continuity simulation of every provider's exit in turn
//! (issue 18 item 6: "stays under 1 s at scale 10"): reading the market's supply and ranking
//! every provider's exit, as `/capacity/continuity` does.

use crate::db::{self, Target};
use crate::sys::{self, secs};
use anyhow::{Context, Result, ensure};
use caremarket_core::governance::quarter::Quarter;
use caremarket_demo::DemoOptions;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Demo scale factor (1 is a council of real size, about 500 services).
    #[arg(long, default_value_t = 10)]
    scale: u32,
    /// Times each step is measured.
    #[arg(long, default_value_t = 3)]
    runs: u32,
    /// Demo seed.
    #[arg(long, default_value_t = caremarket_demo::DEFAULT_SEED)]
    seed: u64,
    /// Also measure on PostgreSQL (a database the role may connect to; a new one is made beside it).
    #[arg(long, env = "CAREMARKET_TEST_POSTGRES_URL")]
    postgres_url: Option<String>,
    /// Measure PostgreSQL only.
    #[arg(long)]
    skip_sqlite: bool,
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

struct Row {
    backend: &'static str,
    build: Vec<Duration>,
    html: Vec<Duration>,
    docx: Vec<Duration>,
    docx_bytes: usize,
    sections: usize,
    continuity: Vec<Duration>,
    providers: usize,
    supply_lines: usize,
}

pub async fn run(args: ReportArgs) -> Result<()> {
    ensure!(args.scale > 0 && args.runs > 0, "--scale and --runs must be at least 1");
    let targets = Target::list(args.skip_sqlite, args.postgres_url.as_deref());
    ensure!(!targets.is_empty(), "nothing to measure: --skip-sqlite needs --postgres-url");
    let dir = db::work_dir("report")?;
    let load_before = load();
    let mut rows = Vec::new();
    for target in &targets {
        eprintln!("{}: fresh database, demo at scale {}", target.name(), args.scale);
        let bench_db = db::fresh(target, &dir).await?;
        let measured = measure(target.name(), &bench_db, &args).await;
        let removed = bench_db.remove().await;
        rows.push(measured?);
        removed?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    let load_after = load();
    println!("## Quarterly report at demo scale {}", args.scale);
    println!();
    println!("- Machine: {}", sys::describe_machine());
    println!("- Load average before: {load_before}; after: {load_after}");
    println!("- Each step measured {} times; the report as at the last quarter's end.", args.runs);
    if cfg!(debug_assertions) {
        println!("- WARNING: a debug build; these figures mean nothing. Use --release.");
    }
    println!();
    println!("| Backend | Sections | Build from the database | HTML (build + render) | Word (build + render) | Word size |");
    println!("|---|---|---|---|---|---|");
    let all = |v: &[Duration]| v.iter().map(|d| secs(*d)).collect::<Vec<_>>().join(", ");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} | {} KiB |",
            r.backend,
            r.sections,
            all(&r.build),
            all(&r.html),
            all(&r.docx),
            r.docx_bytes / 1024
        );
    }
    println!();
    println!("### Continuity: every provider's exit in turn, on the same database");
    println!();
    println!("| Backend | Providers with supply | Supply lines | Read supply + rank every exit |");
    println!("|---|---|---|---|");
    for r in &rows {
        println!("| {} | {} | {} | {} |", r.backend, r.providers, r.supply_lines, all(&r.continuity));
    }
    Ok(())
}

async fn measure(backend: &'static str, bench_db: &db::BenchDb, args: &ReportArgs) -> Result<Row> {
    let store = bench_db.store.clone();
    let today = caremarket_store::today();
    let options = DemoOptions { seed: args.seed, scale: args.scale, today };
    caremarket_demo::generate_with_progress(&store, &options, &mut |_, _| {}).await.context("demo generation failed")?;
    let as_at = Quarter::containing(today).previous().end();
    let mut row = Row {
        backend,
        build: vec![],
        html: vec![],
        docx: vec![],
        docx_bytes: 0,
        sections: 0,
        continuity: vec![],
        providers: 0,
        supply_lines: 0,
    };
    for _ in 0..args.runs {
        let t = Instant::now();
        let report = caremarket_web::reports::build_quarterly(&store, as_at).await?;
        row.build.push(t.elapsed());
        row.sections = report.sections.len();
        let t = Instant::now();
        let report = caremarket_web::reports::build_quarterly(&store, as_at).await?;
        let html = caremarket_web::reports::html(&report).map_err(|e| anyhow::anyhow!("{e}"))?;
        row.html.push(t.elapsed());
        ensure!(html.contains("Appendix: figures"), "the HTML report is incomplete");
        let t = Instant::now();
        let report = caremarket_web::reports::build_quarterly(&store, as_at).await?;
        let bytes = caremarket_web::reports::docx::render(&report).map_err(|e| anyhow::anyhow!("{e}"))?;
        row.docx.push(t.elapsed());
        row.docx_bytes = bytes.len();
        let t = Instant::now();
        let supply = store.market_supply(today).await?;
        let ranked = caremarket_core::capacity::continuity::Market::new(&supply).ranked_exits();
        row.continuity.push(t.elapsed());
        row.providers = ranked.len();
        row.supply_lines = supply.len();
    }
    Ok(row)
}
