//! `caremarket-bench ecm`: the ECM reconciliation (issue 11 item 7) of `--visits` planned visits,
//! timed as an operator runs it (the release `caremarket ecm reconcile` binary, a whole process
//! with `--out`) beside DuckDB running the same rules as one SQL query (`ecm_duckdb.py`, written
//! out beside the data), in the same run, `--runs` times each, alternating. The two outputs must
//! be identical byte for byte, or the benchmark fails.
//!
//! The files come from `caremarket_ingest::ecm_synthetic` (deterministic in `--visits` and
//! `--seed`; missed, late, early, short, duplicate, repeat, end-before-start, other-provider,
//! unplanned and unknown-id rows injected). DuckDB needs a Python with the `duckdb` package:
//! `CAREMARKET_BENCH_DUCKDB_PYTHON` (or `--duckdb-python`) names it; without it the DuckDB side is
//! skipped with a message. Wall time is measured here around the child process; peak memory is
//! the child's maximum resident set (`/usr/bin/time -f %M`, the kernel's own figure at exit).
//! The machine's load is printed before and after, because these machines are shared.

use crate::sys::{self, secs};
use anyhow::{Context, Result, bail, ensure};
use caremarket_ingest::ecm_synthetic::{Shape, write_actual, write_planned};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const DUCKDB_SCRIPT: &str = include_str!("ecm_duckdb.py");

#[derive(Debug, clap::Args)]
pub struct EcmArgs {
    /// Planned visits to generate (a large council's year is about 10,000,000).
    #[arg(long, default_value_t = 1_000_000)]
    visits: u64,
    /// Times each side is run.
    #[arg(long, default_value_t = 3)]
    runs: u32,
    /// Generator seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The `caremarket` binary [default: the one beside this benchmark, i.e. target/release].
    #[arg(long, value_name = "FILE")]
    caremarket: Option<PathBuf>,
    /// A Python interpreter that can `import duckdb`.
    #[arg(long, value_name = "FILE", env = "CAREMARKET_BENCH_DUCKDB_PYTHON")]
    duckdb_python: Option<PathBuf>,
    /// Folder for the generated files and outputs [default: a new folder in the temporary
    /// directory, removed afterwards]; kept when given, and files of the same --visits and
    /// --seed already there are used again.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

struct Measured {
    wall: Duration,
    peak_kib: Option<u64>,
}

/// Run `program args` to completion, timing it and taking its peak memory from /usr/bin/time.
fn measure(program: &Path, args: &[&std::ffi::OsStr], dir: &Path) -> Result<Measured> {
    let time = Path::new("/usr/bin/time");
    let report = dir.join("time.txt");
    let mut cmd = if time.exists() {
        let mut c = Command::new(time);
        c.arg("-f").arg("%M").arg("-o").arg(&report).arg(program);
        c
    } else {
        Command::new(program)
    };
    cmd.args(args);
    let start = Instant::now();
    let out = cmd.output().with_context(|| format!("running {}", program.display()))?;
    let wall = start.elapsed();
    if !out.status.success() {
        bail!("{} failed ({}): {}", program.display(), out.status, String::from_utf8_lossy(&out.stderr));
    }
    let peak_kib = std::fs::read_to_string(&report).ok().and_then(|s| s.lines().last().and_then(|l| l.trim().parse().ok()));
    let _ = std::fs::remove_file(&report);
    Ok(Measured { wall, peak_kib })
}

fn peak(m: &[Measured]) -> String {
    m.iter().filter_map(|m| m.peak_kib).max().map(|k| sys::mib(k * 1024)).unwrap_or_else(|| "n/a".into())
}

fn best(m: &[Measured]) -> Duration {
    m.iter().map(|m| m.wall).min().unwrap_or_default()
}

fn median(m: &[Measured]) -> Duration {
    let mut w: Vec<Duration> = m.iter().map(|m| m.wall).collect();
    w.sort_unstable();
    w.get(w.len() / 2).copied().unwrap_or_default()
}

fn all(m: &[Measured]) -> String {
    m.iter().map(|m| secs(m.wall)).collect::<Vec<_>>().join(", ")
}

fn python_has_duckdb(python: &Path) -> Option<String> {
    let out = Command::new(python).args(["-c", "import duckdb; print(duckdb.__version__)"]).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

pub async fn run(args: EcmArgs) -> Result<()> {
    ensure!(args.visits > 0 && args.runs > 0, "--visits and --runs must be at least 1");
    let caremarket = match &args.caremarket {
        Some(p) => p.clone(),
        None => std::env::current_exe()?.with_file_name("caremarket"),
    };
    ensure!(
        caremarket.exists(),
        "{} not found: build it first (cargo build --release -p caremarket) or give --caremarket",
        caremarket.display()
    );
    let duckdb = match &args.duckdb_python {
        Some(py) => match python_has_duckdb(py) {
            Some(version) => Some((py.clone(), version)),
            None => bail!("{} cannot import duckdb (pip install duckdb in that environment)", py.display()),
        },
        None => {
            eprintln!(
                "DuckDB skipped: set CAREMARKET_BENCH_DUCKDB_PYTHON to a Python that can import duckdb \
                 (python3 -m venv /tmp/duckdb && /tmp/duckdb/bin/pip install duckdb)"
            );
            None
        }
    };
    let (dir, keep) = match &args.dir {
        Some(d) => (d.clone(), true),
        None => (std::env::temp_dir().join(format!("caremarket-bench-ecm-{}", std::process::id())), false),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let result = bench(&args, &caremarket, duckdb.as_ref(), &dir).await;
    if !keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

async fn bench(args: &EcmArgs, caremarket: &Path, duckdb: Option<&(PathBuf, String)>, dir: &Path) -> Result<()> {
    let load_before = sys::load_average();
    let (planned, actual) = (dir.join("planned.csv"), dir.join("actual.csv"));
    let shape = Shape { visits: args.visits, seed: args.seed };
    // A kept folder (--dir) that already holds the files of this shape is used as it is.
    let marker = dir.join("shape.txt");
    let wanted = format!("visits {} seed {}\n", args.visits, args.seed);
    let started = Instant::now();
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(wanted.as_str()) && planned.exists() && actual.exists() {
        eprintln!("using the files already generated in {}", dir.display());
    } else {
        eprintln!("generating {} planned visits and their call monitoring rows in {}", args.visits, dir.display());
        let _ = std::fs::remove_file(&marker);
        write_planned(shape, std::fs::File::create(&planned)?)?;
        write_actual(shape, std::fs::File::create(&actual)?)?;
        std::fs::write(&marker, &wanted)?;
    }
    let generated = started.elapsed();
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let rows = |p: &Path| -> Result<u64> {
        use std::io::BufRead;
        let mut n = 0u64;
        for line in std::io::BufReader::new(std::fs::File::open(p)?).split(b'\n') {
            line?;
            n += 1;
        }
        Ok(n.saturating_sub(1))
    };
    let (planned_rows, actual_rows) = (rows(&planned)?, rows(&actual)?);

    let script = dir.join("ecm_duckdb.py");
    std::fs::write(&script, DUCKDB_SCRIPT)?;
    let (ours_out, duck_out) = (dir.join("caremarket.csv"), dir.join("duckdb.csv"));
    let mut ours = Vec::new();
    let mut duck = Vec::new();
    for run in 1..=args.runs {
        eprintln!("run {run}: caremarket");
        let out_flag: &std::ffi::OsStr = "--out".as_ref();
        let ecm: &std::ffi::OsStr = "ecm".as_ref();
        let reconcile: &std::ffi::OsStr = "reconcile".as_ref();
        ours.push(measure(caremarket, &[ecm, reconcile, planned.as_os_str(), actual.as_os_str(), out_flag, ours_out.as_os_str()], dir)?);
        if let Some((python, _)) = duckdb {
            eprintln!("run {run}: DuckDB");
            duck.push(measure(python, &[script.as_os_str(), planned.as_os_str(), actual.as_os_str(), duck_out.as_os_str()], dir)?);
        }
    }
    let ours_bytes = std::fs::read(&ours_out)?;
    let identical = match duckdb {
        Some(_) => {
            let duck_bytes = std::fs::read(&duck_out)?;
            if duck_bytes != ours_bytes {
                bail!(
                    "the outputs differ: caremarket {} bytes, DuckDB {} bytes (kept with --dir to compare)",
                    ours_bytes.len(),
                    duck_bytes.len()
                );
            }
            true
        }
        None => false,
    };
    let load_after = sys::load_average();

    println!("## ECM reconciliation of {} planned visits", sys::thousands(args.visits));
    println!();
    println!("- Machine: {}", sys::describe_machine());
    println!("- Load average before: {load_before}; after: {load_after}");
    println!(
        "- Files (generated in {}, seed {}): planned {} rows, {}; call monitoring {} rows, {}; output {} rows",
        secs(generated),
        args.seed,
        sys::thousands(planned_rows),
        sys::mib(size(&planned)),
        sys::thousands(actual_rows),
        sys::mib(size(&actual)),
        ours_bytes.iter().filter(|b| **b == b'\n').count().saturating_sub(1)
    );
    match duckdb {
        Some((_, version)) => println!(
            "- DuckDB {version} (Python package, default settings: all cores, memory limit 80% of RAM); outputs identical byte for byte: {}",
            if identical { "yes" } else { "no" }
        ),
        None => println!("- DuckDB not measured (CAREMARKET_BENCH_DUCKDB_PYTHON not set)"),
    }
    println!("- Each side run {} times, alternating; wall time of the whole process, peak resident memory from /usr/bin/time.", args.runs);
    if cfg!(debug_assertions) {
        println!("- WARNING: a debug build of the benchmark; check that --caremarket is a release build.");
    }
    println!();
    println!("| Tool | Runs | Best | Median | Peak memory |");
    println!("|---|---|---|---|---|");
    println!("| caremarket ecm reconcile | {} | {} | {} | {} |", all(&ours), secs(best(&ours)), secs(median(&ours)), peak(&ours));
    if !duck.is_empty() {
        println!("| DuckDB (one SQL query) | {} | {} | {} | {} |", all(&duck), secs(best(&duck)), secs(median(&duck)), peak(&duck));
        let ratio = median(&duck).as_secs_f64() / median(&ours).as_secs_f64().max(1e-9);
        println!();
        println!("caremarket's median is {ratio:.2}x DuckDB's speed (DuckDB median / caremarket median).");
    }
    Ok(())
}
