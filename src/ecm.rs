//! `caremarket ecm reconcile`: planned home care visits against the electronic call monitoring
//! export (issue 11 item 7), with no database: the two files are streamed, the rules of
//! `caremarket_core::ecm` applied, and one CSV written (`docs/ecm.md`).

use anyhow::{Context, Result};
use caremarket_core::ecm::{DEFAULT_PERIOD_DAYS, Options};
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum EcmCommand {
    /// Reconcile planned visits against the call monitoring export, per provider and period, to
    /// one CSV (docs/ecm.md); needs no database
    Reconcile(ReconcileArgs),
}

#[derive(Args)]
pub struct ReconcileArgs {
    /// The planned visits: visit_id, person_ref, provider_id, planned_start, planned_minutes,
    /// carers, rate_pence_per_hour
    #[arg(value_name = "PLANNED.csv")]
    planned: PathBuf,
    /// The call monitoring export: visit_id (blank for a visit never planned), provider_id,
    /// person_ref, actual_start, actual_end
    #[arg(value_name = "ACTUAL.csv")]
    actual: PathBuf,
    /// File to write (replaced only once the whole reconciliation is done) [default: stdout]
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The first day of the first period (YYYY-MM-DD); periods run from it, forwards and back
    #[arg(long, value_name = "DATE", default_value = "2025-04-07", value_parser = parse_date)]
    periods_from: jiff::civil::Date,
    /// Days in each period
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PERIOD_DAYS, value_parser = clap::value_parser!(u32).range(1..=36_600))]
    period_days: u32,
    /// Pay delivered time as recorded, not capped at the planned time
    #[arg(long)]
    no_cap: bool,
}

fn parse_date(s: &str) -> Result<jiff::civil::Date, String> {
    caremarket_core::parse_date("--periods-from", s).map_err(|e| e.message)
}

pub fn run(cmd: EcmCommand) -> Result<()> {
    match cmd {
        EcmCommand::Reconcile(args) => reconcile(args),
    }
}

fn reconcile(args: ReconcileArgs) -> Result<()> {
    let options = Options::new(args.periods_from, args.period_days, !args.no_cap).map_err(|e| anyhow::anyhow!("--{e}"))?;
    let pb = crate::progress_bar("Reading".into());
    pb.set_length(caremarket_ingest::ecm::total_bytes(&args.planned, &args.actual));
    let progress = |bytes: u64| pb.inc(bytes);
    let figures = caremarket_ingest::ecm::reconcile_files(&args.planned, &args.actual, &options, &progress);
    pb.finish_and_clear();
    let figures = figures.map_err(|e| anyhow::anyhow!("{e}. Nothing was written."))?;
    let csv = caremarket_ingest::ecm::to_csv(&figures);
    match &args.out {
        Some(path) => write_whole(path, &csv)?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&csv).and_then(|()| out.flush()).context("writing to stdout")?;
        }
    }
    Ok(())
}

/// Write `bytes` to `path` through a file beside it renamed over it, so `path` is never left
/// half written.
fn write_whole(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    let partial = path.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    let result = std::fs::write(&partial, bytes).and_then(|()| std::fs::rename(&partial, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result.with_context(|| format!("writing {}", path.display()))
}

/// `caremarket import ecm PLANNED ACTUAL`: the same import as the web upload, into the database.
#[derive(Args)]
pub struct ImportEcmArgs {
    /// The planned visits (see `caremarket ecm reconcile --help`)
    #[arg(value_name = "PLANNED.csv")]
    planned: PathBuf,
    /// The call monitoring export, with an optional care_worker_ref column (a code, never a name)
    #[arg(value_name = "ACTUAL.csv")]
    actual: PathBuf,
    /// The first day of the first period (YYYY-MM-DD)
    #[arg(long, value_name = "DATE", default_value = "2025-04-07", value_parser = parse_date)]
    periods_from: jiff::civil::Date,
    /// Days in each period
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PERIOD_DAYS, value_parser = clap::value_parser!(u32).range(1..=36_600))]
    period_days: u32,
    /// Pay delivered time as recorded, not capped at the planned time
    #[arg(long)]
    no_cap: bool,
}

pub async fn import(store: &caremarket_store::Store, args: ImportEcmArgs) -> Result<()> {
    let options = Options::new(args.periods_from, args.period_days, !args.no_cap).map_err(|e| anyhow::anyhow!("--{e}"))?;
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| p.display().to_string());
    // Opened, not read into memory: the import reads them row by row.
    let planned = std::fs::File::open(&args.planned).with_context(|| format!("reading {}", args.planned.display()))?;
    let actual = std::fs::File::open(&args.actual).with_context(|| format!("reading {}", args.actual.display()))?;
    let actor = caremarket_store::Actor::system("command line (caremarket import ecm)");
    let (pname, aname) = (name(&args.planned), name(&args.actual));
    let id = store.start_ecm_import(&actor, &pname, &aname, &options).await?;
    // Progress on stderr, a line each time the stage or its percentage moves (the web upload's
    // page shows the same stages), so stdout keeps only the result.
    let last = std::sync::Mutex::new((String::new(), u8::MAX));
    let report = |stage: &str, percent: u8| {
        if let Ok(mut last) = last.lock()
            && (last.0 != stage || last.1 != percent)
        {
            eprintln!("{stage}: {percent}%");
            *last = (stage.to_string(), percent);
        }
    };
    match caremarket_web::ecm::run_import(store, &actor, &id, (pname, planned), (aname, actual), options, &report).await {
        Ok(figures) => {
            let invoiced: i64 = figures.iter().map(|f| f.invoiced_pence).sum();
            let payable: i64 = figures.iter().map(|f| f.payable_pence).sum();
            let planned: i64 = figures.iter().map(|f| f.planned_visits).sum();
            let missed: i64 = figures.iter().map(|f| f.missed_visits).sum();
            println!(
                "Imported {planned} planned visits for {} providers and periods: {missed} missed; invoiced {}, payable {}.",
                figures.len(),
                caremarket_core::direct_payments::money::money(invoiced),
                caremarket_core::direct_payments::money::money(payable)
            );
            println!("Import {id}: see /ecm?import={id}");
            Ok(())
        }
        Err(message) => {
            store.fail_ecm_import(&id, &message).await?;
            Err(anyhow::anyhow!("{message}. Nothing was imported."))
        }
    }
}
