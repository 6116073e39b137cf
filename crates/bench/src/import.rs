//! `caremarket-bench import`: CQC import speed, first import and re-import of an unchanged file.

use crate::db::{self, Target};
use crate::sys::{self, mib, opt_mib, per_second, secs, thousands};
use anyhow::{Context, Result, bail, ensure};
use caremarket_core::register::import_plan::Listed;
use caremarket_ingest::{CqcFormat, ParseOutcome};
use caremarket_store::Actor;
use caremarket_store::import::{ImportOptions, ImportReport};
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Locations in the generated CQC export.
    #[arg(long, default_value_t = 50_000)]
    rows: usize,
    /// Seed of the generated file (the same seed gives the same bytes).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also measure PostgreSQL: a URL of a database the role may connect to; a new database is
    /// created beside it for the run and dropped afterwards.
    #[arg(long, env = "CAREMARKET_TEST_POSTGRES_URL")]
    postgres_url: Option<String>,
    /// Measure PostgreSQL only.
    #[arg(long)]
    skip_sqlite: bool,
    /// Instead of `--rows`, measure files of 5,000, 50,000 and 150,000 locations (about the
    /// demo at scale 1, 10 and 30), one after the other: how the rate grows with the register
    /// (issue 18 item 4).
    #[arg(long)]
    scale_curve: bool,
    /// Keep a copy of each generated file in this folder (to run a peer such as DuckDB on the
    /// same bytes).
    #[arg(long)]
    keep_file: Option<PathBuf>,
    /// Only parse the file, no database: `parse_cqc_file` timed this many times in a row (issue
    /// 18 item 1's parsing target), with a digest of the outcome to compare builds by.
    #[arg(long, value_name = "TIMES", num_args = 0..=1, default_missing_value = "3")]
    parse_only: Option<u32>,
    /// Apply the file held whole, as the demo does (`parse_cqc_file`, then `import_cqc`),
    /// instead of as the command line does (a first reading of what the file lists, then the
    /// file imported as it is read again, a batch at a time).
    #[arg(long)]
    held: bool,
}

/// The file sizes of `--scale-curve`.
const SCALE_CURVE: [usize; 3] = [5_000, 50_000, 150_000];

/// One parse and one apply of the file.
struct Pass {
    rows_read: u64,
    parse: Duration,
    parse_peak_rss: Option<u64>,
    parse_cpu: Option<Duration>,
    apply: Duration,
    apply_peak_rss: Option<u64>,
    apply_cpu: Option<Duration>,
    report: ImportReport,
}

struct BackendResult {
    backend: &'static str,
    first: Pass,
    again: Pass,
    db_size: Option<u64>,
}

pub async fn run(args: ImportArgs) -> Result<()> {
    ensure!(args.rows > 0, "--rows must be at least 1");
    let targets = if args.parse_only.is_some() { Vec::new() } else { Target::list(args.skip_sqlite, args.postgres_url.as_deref()) };
    ensure!(args.parse_only.is_some() || !targets.is_empty(), "nothing to measure: --skip-sqlite needs --postgres-url");
    let sizes: Vec<usize> = if args.scale_curve { SCALE_CURVE.to_vec() } else { vec![args.rows] };
    let load_before = sys::load_average();
    let started = Instant::now();
    for rows in sizes {
        let dir = db::work_dir("import")?;
        let result = run_in(&args, rows, &targets, &dir).await;
        if let Err(e) = std::fs::remove_dir_all(&dir) {
            eprintln!("warning: could not delete {}: {e}", dir.display());
        }
        result?;
    }
    println!("- Load average (1, 5, 15 min) before: {load_before}; after: {}", sys::load_average());
    println!("- Whole run: {}", secs(started.elapsed()));
    Ok(())
}

async fn run_in(args: &ImportArgs, rows: usize, targets: &[Target], dir: &Path) -> Result<()> {
    let file = dir.join(format!("cqc-locations-export-{rows}.csv"));
    eprintln!("Generating {} locations in the 45-column CQC export layout...", thousands(rows as u64));
    let started = Instant::now();
    let (seed, path) = (args.seed, file.clone());
    tokio::task::spawn_blocking(move || -> Result<()> {
        let f = std::fs::File::create(&path).with_context(|| format!("could not create {}", path.display()))?;
        let mut w = std::io::BufWriter::new(f);
        caremarket_ingest::synthetic::write_locations_export_csv(&mut w, rows, seed)?;
        w.flush()?;
        Ok(())
    })
    .await??;
    let generate_time = started.elapsed();
    let file_size = std::fs::metadata(&file)?.len();
    if let Some(keep) = &args.keep_file {
        std::fs::create_dir_all(keep).with_context(|| format!("could not create {}", keep.display()))?;
        let copy = keep.join(file.file_name().unwrap_or_default());
        std::fs::copy(&file, &copy).with_context(|| format!("could not copy the file to {}", copy.display()))?;
        eprintln!("Kept a copy of the file: {}", copy.display());
    }

    if let Some(times) = args.parse_only {
        return parse_only(args, rows, times, &file, generate_time, file_size).await;
    }

    let mut results = Vec::new();
    for target in targets {
        eprintln!("{}: fresh database", target.name());
        let bench_db = db::fresh(target, dir).await?;
        let measured = measure(&bench_db, &file, rows, args.held).await;
        let size = match &measured {
            Ok(_) => bench_db.size_bytes().await.ok(),
            Err(_) => None,
        };
        let removed = bench_db.remove().await;
        let (first, again) = measured?;
        removed?;
        results.push(BackendResult { backend: target.name(), first, again, db_size: size });
    }

    print_results(args, rows, generate_time, file_size, &results);
    Ok(())
}

async fn measure(bench_db: &db::BenchDb, file: &Path, rows: usize, held: bool) -> Result<(Pass, Pass)> {
    let store = &bench_db.store;
    let actor = Actor::system("caremarket-bench");
    let council_las = store.council_local_authorities().await?;

    eprintln!("  first import: parsing");
    let first = pass(store, &actor, &council_las, file, "first import", held).await?;
    let r = &first.report;
    ensure!(
        r.new + r.rejected == rows as i64 && r.updated == 0 && r.unchanged == 0 && r.deregistered == 0,
        "first import into an empty database should add every row: {} new, {} updated, {} unchanged, {} deregistered, {} rejected of {rows}",
        r.new,
        r.updated,
        r.unchanged,
        r.deregistered,
        r.rejected
    );

    eprintln!("  re-import of the same file: parsing");
    let again = pass(store, &actor, &council_las, file, "re-import", held).await?;
    let r = &again.report;
    if r.new != 0 || r.updated != 0 || r.deregistered != 0 || r.unchanged != first.report.new {
        bail!(
            "re-importing an unchanged file must change nothing, but it reported {} new, {} updated, {} unchanged, {} deregistered (expected {} unchanged)",
            r.new,
            r.updated,
            r.unchanged,
            r.deregistered,
            first.report.new
        );
    }
    Ok((first, again))
}

async fn pass(
    store: &caremarket_store::Store,
    actor: &Actor,
    council_las: &[String],
    file: &Path,
    label: &str,
    held: bool,
) -> Result<Pass> {
    sys::reset_peak_rss();
    let path: PathBuf = file.to_path_buf();
    let cpu_before = sys::process_cpu_time();
    let started = Instant::now();
    // Held: the whole outcome, records and all. Streamed: the command line's first reading.
    let (outcome, listed): (ParseOutcome, Option<Listed>) = tokio::task::spawn_blocking(move || {
        if held {
            caremarket_ingest::parse_cqc_file(&path, &mut |_, _| {}).map(|o| (o, None))
        } else {
            caremarket_ingest::list_cqc_file(&path, &mut |_, _| {}).map(|(o, l)| (o, Some(l)))
        }
    })
    .await?
    .with_context(|| format!("could not parse {}", file.display()))?;
    let parse = started.elapsed();
    let parse_peak_rss = sys::peak_rss();
    let parse_cpu = sys::cpu_since(cpu_before);
    ensure!(
        outcome.format == CqcFormat::LocationsExport45,
        "the generated file was read as {:?}, not the 45-column export",
        outcome.format
    );

    let options = ImportOptions {
        file_name: file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        format: outcome.format.label().to_string(),
        complete_register: outcome.is_complete_register,
        council_local_authorities: council_las.to_vec(),
        // The generated file is a whole register: import it as an officer would, complete.
        completeness: caremarket_core::register::import_plan::Completeness::Complete,
        social_care_only: outcome.format.social_care_only(),
        carried: outcome.carried.clone(),
        confirmed_deregistrations: None,
        ..Default::default()
    };
    let ParseOutcome { records, rejections, rows_read, .. } = outcome;
    let locations = listed.as_ref().map_or(records.len() as u64, |l| l.locations);
    eprintln!("  {label}: applying {} records{}", thousands(locations), if held { ", held" } else { ", streamed" });
    let mut next_report = 10_000u64;
    let mut progress = move |done: u64, total: u64| {
        if done >= next_report || done == total {
            eprintln!("    {} / {}", thousands(done), thousands(total));
            next_report = done + 10_000;
        }
    };
    sys::reset_peak_rss();
    let cpu_before = sys::process_cpu_time();
    let started = Instant::now();
    // As the command line does, what the first reading listed goes with the file to the import.
    let report = match listed {
        None => store.import_cqc(actor, &options, &records, rejections, &mut progress).await,
        Some(listed) => caremarket_web::import_cqc_file_streamed(store, actor, file, &options, listed, rejections, &mut progress).await,
    }
    .context("the import failed")?;
    let apply = started.elapsed();
    let apply_peak_rss = sys::peak_rss();
    let apply_cpu = sys::cpu_since(cpu_before);
    Ok(Pass { rows_read, parse, parse_peak_rss, parse_cpu, apply, apply_peak_rss, apply_cpu, report })
}

fn opt_cpu(cpu: Option<Duration>) -> String {
    cpu.map_or_else(|| "n/a".to_string(), secs)
}

/// `--parse-only`: parse the file `times` times, each timed as a pass's parse is.
async fn parse_only(args: &ImportArgs, rows: usize, times: u32, file: &Path, generate_time: Duration, file_size: u64) -> Result<()> {
    println!("## CQC parsing alone: {} locations", thousands(rows as u64));
    println!();
    print_machine_and_file(args, rows, generate_time, file_size);
    println!("- Each parse: `caremarket_ingest::parse_cqc_file` on the file, timed as the import passes time it; no database.");
    println!(
        "- Outcome digest: FNV-1a of the outcome's `Debug` text (every field: records, rejections, skipped, providers, counts): equal digests, equal outcomes."
    );
    println!("- CPU: the time the whole process used on every core during the parse (`/proc/self/stat`, to 10 ms).");
    println!();
    println!("| Parse | Rows read | Records | Rejected | Time | Rows/s | Peak RSS | Outcome digest | CPU |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---|---:|");
    for n in 1..=times {
        sys::reset_peak_rss();
        let path = file.to_path_buf();
        let cpu_before = sys::process_cpu_time();
        let started = Instant::now();
        let outcome: ParseOutcome = tokio::task::spawn_blocking(move || caremarket_ingest::parse_cqc_file(&path, &mut |_, _| {}))
            .await?
            .with_context(|| format!("could not parse {}", file.display()))?;
        let took = started.elapsed();
        let cpu = sys::cpu_since(cpu_before);
        let peak = sys::peak_rss();
        let mut digest = Fnv(0xcbf2_9ce4_8422_2325);
        std::fmt::Write::write_fmt(&mut digest, format_args!("{outcome:?}"))?;
        println!(
            "| {n} | {} | {} | {} | {:.1} ms | {} | {} | {:016x} | {} |",
            thousands(outcome.rows_read),
            thousands(outcome.records.len() as u64),
            outcome.rejections.len(),
            took.as_secs_f64() * 1000.0,
            per_second(outcome.rows_read, took),
            opt_mib(peak),
            digest.0,
            opt_cpu(cpu)
        );
    }
    println!();
    Ok(())
}

fn print_machine_and_file(args: &ImportArgs, rows: usize, generate_time: Duration, file_size: u64) {
    println!("- Machine: {}", sys::describe_machine());
    println!(
        "- File: generated by `caremarket_ingest::synthetic::write_locations_export_csv(rows = {}, seed = {})`, 45-column export layout, {} on disk, written in {}",
        rows,
        args.seed,
        mib(file_size),
        secs(generate_time)
    );
}

/// FNV-1a over text written to it.
struct Fnv(u64);

impl std::fmt::Write for Fnv {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        for b in s.bytes() {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        Ok(())
    }
}

fn print_results(args: &ImportArgs, rows: usize, generate_time: Duration, file_size: u64, results: &[BackendResult]) {
    println!("## CQC import: {} locations", thousands(rows as u64));
    println!();
    print_machine_and_file(args, rows, generate_time, file_size);
    println!("- Each backend: a new empty database; parse the file, apply it; parse it again, apply it again (must be all unchanged).");
    if args.held {
        println!("- Held, as the demo: parse is `parse_cqc_file` (every record kept), apply is `import_cqc` on them.");
    } else {
        println!(
            "- Streamed, as the command line: parse is the first reading (`list_cqc_file`: what the file lists and each location's \
             content digest, made on a second thread; no records kept), apply is `import_cqc_file_streamed` (a re-import compares \
             the digests with the register's first and reads again only the locations that differ; the file is read again on a thread \
             of its own, a batch of 500 at a time, while the database writes). Parsing alone is `--parse-only`."
        );
    }
    println!("- Rows/s is rows of the file (data rows read) divided by the time.");
    println!(
        "- CPU is the time the whole process used on every core during the phase (`/proc/self/stat`, to 10 ms; PostgreSQL's own \
         server processes are not in it): a phase that kept both of two cores busy shows twice its wall time."
    );
    println!();
    println!(
        "| Backend | Run | Rows | Parse | Apply | Parse + apply | Parse rows/s | Apply rows/s | Overall rows/s | Result | Peak RSS parse | Peak RSS apply | CPU parse | CPU apply |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|");
    for r in results {
        for (label, p) in [("first import", &r.first), ("re-import, unchanged", &r.again)] {
            let total = p.parse + p.apply;
            let rep = &p.report;
            let outcome = format!(
                "{} new, {} updated, {} unchanged, {} deregistered, {} rejected",
                thousands(rep.new.max(0) as u64),
                rep.updated,
                thousands(rep.unchanged.max(0) as u64),
                rep.deregistered,
                rep.rejected
            );
            println!(
                "| {} | {label} | {} | {} | {} | {} | {} | {} | {} | {outcome} | {} | {} | {} | {} |",
                r.backend,
                thousands(p.rows_read),
                secs(p.parse),
                secs(p.apply),
                secs(total),
                per_second(p.rows_read, p.parse),
                per_second(p.rows_read, p.apply),
                per_second(p.rows_read, total),
                opt_mib(p.parse_peak_rss),
                opt_mib(p.apply_peak_rss),
                opt_cpu(p.parse_cpu),
                opt_cpu(p.apply_cpu),
            );
        }
    }
    println!();
    for r in results {
        println!("- {} database size after both imports: {}", r.backend, opt_mib(r.db_size));
    }
    let reset = if sys::reset_peak_rss() { "reset before each phase" } else { "could not be reset: cumulative" };
    println!("- Peak RSS is the process's VmHWM from /proc/self/status ({reset}); held, it includes the parsed records kept during apply.");
}
