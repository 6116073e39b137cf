//! `caremarket-bench kept`: figures kept, not recomputed (issue 18 item 2), at a demo scale.
//!
//! Three rounds, each measuring on the same database:
//! 1. **Full recompute**: every kept figure marked stale, then the early-warning scores of every
//!    service, the quality dashboard's figures and the market dashboard's figures computed and
//!    kept, each timed (the target is under 1 s in all at scale 10).
//! 2. **Reads from what was kept**: the watch list (first 100), the quality dashboard's figures
//!    and top ten, and the market figures, each read `--reads` times from the kept figures;
//!    beside them the watch list computed the old way (every service scored), the baseline.
//! 3. **An edit**: `--edits` signals recorded and council fields edited with the kept-figure
//!    triggers in place and, alternating in the same run, with them dropped: the ratio is the
//!    cost keeping adds to an edit. Then a signal followed by a watch-list read, which rescores
//!    only that service.

use crate::db::{self, Target};
use crate::stats::{self, Summary, ms};
use crate::sys::{self, secs, thousands};
use anyhow::{Context, Result, ensure};
use caremarket_core::Date;
use caremarket_core::quality::SignalKind;
use caremarket_demo::DemoOptions;
use caremarket_store::quality::score::WatchFilter;
use caremarket_store::quality::signals::NewSignal;
use caremarket_store::register::CouncilFields;
use caremarket_store::{Actor, Backend, Store};
use clap::Args;
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(Debug, Args)]
pub struct KeptArgs {
    /// Demo scale factor (1 is a council of real size, about 500 services).
    #[arg(long, default_value_t = 10)]
    scale: u32,
    /// Reads of each kept figure per round.
    #[arg(long, default_value_t = 200)]
    reads: usize,
    /// Edits of each kind per round, with and without the triggers.
    #[arg(long, default_value_t = 200)]
    edits: usize,
    /// Rounds (every figure is taken this many times).
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

#[derive(Default)]
struct Round {
    full_scores: Duration,
    full_quality: Duration,
    full_market: Duration,
    read_watch: Option<Summary>,
    read_quality: Option<Summary>,
    read_market: Option<Summary>,
    computed_watch: Duration,
    signal_with: Option<Summary>,
    signal_without: Option<Summary>,
    edit_with: Option<Summary>,
    edit_without: Option<Summary>,
    signal_then_read: Option<Summary>,
}

struct BackendResult {
    backend: &'static str,
    services: usize,
    in_scope: i64,
    generation: Duration,
    rounds: Vec<Round>,
}

pub async fn run(args: KeptArgs) -> Result<()> {
    ensure!(
        args.scale > 0 && args.reads > 0 && args.edits > 0 && args.rounds > 0,
        "--scale, --reads, --edits and --rounds must be at least 1"
    );
    let targets = Target::list(args.skip_sqlite, args.postgres_url.as_deref());
    ensure!(!targets.is_empty(), "nothing to measure: --skip-sqlite needs --postgres-url");
    let dir = db::work_dir("kept")?;
    let load_before = sys::load_average();
    let result = run_in(&args, &targets, &dir).await;
    let load_after = sys::load_average();
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        eprintln!("warning: could not delete {}: {e}", dir.display());
    }
    print_results(&args, &result?, &load_before, &load_after);
    Ok(())
}

async fn run_in(args: &KeptArgs, targets: &[Target], dir: &Path) -> Result<Vec<BackendResult>> {
    let mut results = Vec::new();
    for target in targets {
        eprintln!("{}: fresh database", target.name());
        let bench_db = db::fresh(target, dir).await?;
        let measured = measure(target.name(), &bench_db.store, args).await;
        let removed = bench_db.remove().await;
        let result = measured?;
        removed?;
        results.push(result);
    }
    Ok(results)
}

async fn measure(backend: &'static str, store: &Store, args: &KeptArgs) -> Result<BackendResult> {
    let today = caremarket_store::today();
    let options = DemoOptions { seed: args.seed, scale: args.scale, today };
    eprintln!("  generating the demo council at scale {}", args.scale);
    let started = Instant::now();
    let summary = caremarket_demo::generate_with_progress(store, &options, &mut |_, _| {}).await.context("demo generation failed")?;
    let generation = started.elapsed();
    let in_scope: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM services WHERE in_area = 1 AND registration_status <> 'deregistered'")
        .fetch_one(store.pool())
        .await?;
    // The services edited: spread over the register.
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM services WHERE in_area = 1 ORDER BY id").fetch_all(store.pool()).await?;
    ensure!(!ids.is_empty(), "the demo has no services");
    let step = (ids.len() / args.edits).max(1);
    let edited: Vec<String> = ids.iter().step_by(step).take(args.edits).cloned().collect();
    let triggers = Triggers::load(store).await?;
    eprintln!("  {} kept-figure triggers", triggers.0.len());

    let mut rounds = Vec::new();
    for round in 1..=args.rounds {
        eprintln!("  round {round}");
        rounds.push(measure_round(store, today, &edited, &triggers, args).await?);
    }
    Ok(BackendResult { backend, services: summary.services, in_scope, generation, rounds })
}

/// Every kept figure stale (as after a change to every record), without touching the records.
async fn mark_all_stale(store: &Store) -> Result<()> {
    sqlx::query("UPDATE kept_figures SET version = -1").execute(store.pool()).await?;
    Ok(())
}

async fn timed<T>(f: impl Future<Output = caremarket_store::Result<T>>) -> Result<(T, Duration)> {
    let started = Instant::now();
    let v = f.await?;
    Ok((v, started.elapsed()))
}

async fn measure_round(store: &Store, today: Date, edited: &[String], triggers: &Triggers, args: &KeptArgs) -> Result<Round> {
    let mut r = Round::default();
    let from = Date::new(today.year(), 1, 1)?;
    let not_inspected_before = Date::new(2020, 1, 1)?;
    let changes_since = today.checked_sub(jiff::Span::new().days(90))?;
    let all = WatchFilter::default();

    // 1. Full recompute.
    mark_all_stale(store).await?;
    r.full_scores = timed(store.kept_scores(today)).await?.1;
    r.full_quality = timed(store.kept_quality_figures(today, from, today)).await?.1;
    r.full_market = timed(store.kept_market_figures(not_inspected_before, changes_since)).await?.1;

    // 2. Reads from what was kept, and the old way once.
    let mut watch = Vec::with_capacity(args.reads);
    let mut quality = Vec::with_capacity(args.reads);
    let mut market = Vec::with_capacity(args.reads);
    for _ in 0..args.reads {
        watch.push(timed(store.kept_watch_list(today, &all, 100)).await?.1);
        let started = Instant::now();
        store.kept_quality_figures(today, from, today).await?;
        store.kept_watch_list(today, &all, 10).await?;
        quality.push(started.elapsed());
        market.push(timed(store.kept_market_figures(not_inspected_before, changes_since)).await?.1);
    }
    r.read_watch = stats::summarise(&mut watch);
    r.read_quality = stats::summarise(&mut quality);
    r.read_market = stats::summarise(&mut market);
    r.computed_watch = timed(store.compute_watch_list(today, &all, 100)).await?.1;

    // 3. Edits with and without the triggers, alternating in blocks of ten.
    let actor = Actor::system("bench");
    let (mut sig_with, mut sig_without, mut edit_with, mut edit_without) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (block, chunk) in edited.chunks(10).enumerate() {
        for keep in if block % 2 == 0 { [true, false] } else { [false, true] } {
            if !keep {
                triggers.drop_all(store).await?;
            }
            for id in chunk {
                let signal = NewSignal {
                    service_id: id.clone(),
                    kind: Some(SignalKind::Complaint),
                    occurred_on: Some(today),
                    summary: "Benchmark: family unhappy with laundry".into(),
                    received_by: Some("council".into()),
                    resolved_in_house: Some(false),
                    ..Default::default()
                };
                let t = timed(store.record_signal(&actor, &signal, today)).await?.1;
                if keep { &mut sig_with } else { &mut sig_without }.push(t);
                let s = store.service(id).await?;
                let fields = CouncilFields {
                    contract_status: s.contract_status,
                    framework_id: s.framework_id.clone(),
                    lot_id: s.lot_id.clone(),
                    contract_start: s.contract_start.as_deref().and_then(|d| d.parse().ok()),
                    contract_end: s.contract_end.as_deref().and_then(|d| d.parse().ok()),
                    council_notes: Some(format!("Benchmark edit {}", uuid::Uuid::now_v7())),
                    kind: None,
                };
                let expected = caremarket_core::versions::Version::new(store.service(id).await?.version)?;
                let t = timed(store.update_council_fields(&actor, id, &fields, expected)).await?.1;
                if keep { &mut edit_with } else { &mut edit_without }.push(t);
            }
            if !keep {
                triggers.create_all(store).await?;
            }
        }
    }
    r.signal_with = stats::summarise(&mut sig_with);
    r.signal_without = stats::summarise(&mut sig_without);
    r.edit_with = stats::summarise(&mut edit_with);
    r.edit_without = stats::summarise(&mut edit_without);
    // The edits without triggers were not seen: start the next part from a full recompute.
    mark_all_stale(store).await?;
    store.kept_scores(today).await?;

    // A signal, then the watch list: the kept scores rescore that one service.
    let mut then_read = Vec::new();
    for id in edited.iter().take(args.edits.min(50)) {
        let signal = NewSignal {
            service_id: id.clone(),
            kind: Some(SignalKind::Safeguarding),
            occurred_on: Some(today),
            summary: "Benchmark: concern about medication".into(),
            ..Default::default()
        };
        store.record_signal(&actor, &signal, today).await?;
        then_read.push(timed(store.kept_watch_list(today, &all, 100)).await?.1);
    }
    r.signal_then_read = stats::summarise(&mut then_read);
    Ok(r)
}

/// The kept-figure triggers' definitions, to drop and recreate them (the "before" of an edit).
struct Triggers(Vec<(String, String, String)>);

impl Triggers {
    async fn load(store: &Store) -> Result<Triggers> {
        let rows: Vec<(String, String, String)> = match store.backend() {
            Backend::Sqlite => {
                sqlx::query_as("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'kept%' ORDER BY name")
                    .fetch_all(store.pool())
                    .await?
            }
            Backend::Postgres => sqlx::query_as(
                "SELECT t.tgname::text, c.relname::text, pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                     WHERE NOT t.tgisinternal AND t.tgname LIKE 'kept%' ORDER BY t.tgname",
            )
            .fetch_all(store.pool())
            .await?,
        };
        ensure!(!rows.is_empty(), "no kept-figure triggers found");
        Ok(Triggers(rows))
    }

    async fn drop_all(&self, store: &Store) -> Result<()> {
        let mut tx = store.pool().begin().await?;
        for (name, table, _) in &self.0 {
            let sql = match store.backend() {
                Backend::Sqlite => format!("DROP TRIGGER {name}"),
                Backend::Postgres => format!("DROP TRIGGER {name} ON {table}"),
            };
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn create_all(&self, store: &Store) -> Result<()> {
        let mut tx = store.pool().begin().await?;
        for (_, _, sql) in &self.0 {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone())).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

fn opt_ms(s: &Option<Summary>, f: impl Fn(&Summary) -> Duration) -> String {
    s.as_ref().map(|s| ms(f(s))).unwrap_or_else(|| "n/a".into())
}

fn ratio(a: &Option<Summary>, b: &Option<Summary>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b.median > Duration::ZERO => format!("{:.2}x", a.median.as_secs_f64() / b.median.as_secs_f64()),
        _ => "n/a".into(),
    }
}

fn print_results(args: &KeptArgs, results: &[BackendResult], load_before: &str, load_after: &str) {
    println!("## Kept figures at demo scale {}", args.scale);
    println!();
    println!("- Machine: {}", sys::describe_machine());
    println!("- Load average before: {load_before}");
    println!("- Load average after: {load_after}");
    println!(
        "- {} rounds; per round {} reads of each kept figure and {} edits of each kind with the kept-figure triggers and {} without (alternating blocks of ten).",
        args.rounds,
        thousands(args.reads as u64),
        thousands(args.edits as u64),
        thousands(args.edits as u64)
    );
    println!();
    println!("| Backend | Services | Scored (in area, registered) | Demo generation |");
    println!("|---|---:|---:|---:|");
    for r in results {
        println!("| {} | {} | {} | {} |", r.backend, thousands(r.services as u64), thousands(r.in_scope as u64), secs(r.generation));
    }
    println!();
    println!("### Full recompute (every figure stale)");
    println!();
    println!("| Backend | Round | Scores of every service | Quality dashboard figures | Market dashboard figures | **All** |");
    println!("|---|---:|---:|---:|---:|---:|");
    for r in results {
        for (i, x) in r.rounds.iter().enumerate() {
            println!(
                "| {} | {} | {} | {} | {} | **{}** |",
                r.backend,
                i + 1,
                ms(x.full_scores),
                ms(x.full_quality),
                ms(x.full_market),
                ms(x.full_scores + x.full_quality + x.full_market)
            );
        }
    }
    println!();
    println!("### Reads from what was kept (median, p99), beside the watch list computed on every request");
    println!();
    println!(
        "| Backend | Round | Watch list (first 100) | Quality dashboard figures + top ten | Market figures | Watch list computed (old way) | Old / kept |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in results {
        for (i, x) in r.rounds.iter().enumerate() {
            let kept = x.read_watch.as_ref().map(|s| s.median).unwrap_or_default();
            println!(
                "| {} | {} | {} / {} | {} / {} | {} / {} | {} | {} |",
                r.backend,
                i + 1,
                opt_ms(&x.read_watch, |s| s.median),
                opt_ms(&x.read_watch, |s| s.p99),
                opt_ms(&x.read_quality, |s| s.median),
                opt_ms(&x.read_quality, |s| s.p99),
                opt_ms(&x.read_market, |s| s.median),
                opt_ms(&x.read_market, |s| s.p99),
                ms(x.computed_watch),
                if kept > Duration::ZERO { format!("{:.0}x", x.computed_watch.as_secs_f64() / kept.as_secs_f64()) } else { "n/a".into() }
            );
        }
    }
    println!();
    println!("### Cost added to an edit (median; with the kept-figure triggers / without, same run)");
    println!();
    println!(
        "| Backend | Round | Signal recorded: with | without | ratio | Council fields edited: with | without | ratio | Signal then watch list read |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in results {
        for (i, x) in r.rounds.iter().enumerate() {
            println!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                r.backend,
                i + 1,
                opt_ms(&x.signal_with, |s| s.median),
                opt_ms(&x.signal_without, |s| s.median),
                ratio(&x.signal_with, &x.signal_without),
                opt_ms(&x.edit_with, |s| s.median),
                opt_ms(&x.edit_without, |s| s.median),
                ratio(&x.edit_with, &x.edit_without),
                opt_ms(&x.signal_then_read, |s| s.median),
            );
        }
    }
}
