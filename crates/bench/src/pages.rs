//! `caremarket-bench pages`: the dashboard and a filtered service list at a demo scale, under
//! concurrent keep-alive clients on loopback.

use crate::db::{self, Target};
use crate::http::{self, Connection};
use crate::stats::{self, Summary, ms};
use crate::sys::{self, opt_mib, secs, thousands};
use anyhow::{Context, Result, anyhow, bail, ensure};
use caremarket_core::access::Role;
use caremarket_demo::{DEMO_PASSWORD, DemoOptions, DemoSummary};
use caremarket_web::{AppState, WebSettings};
use clap::Args;
use hyper::StatusCode;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Barrier;

/// The pages measured: the commissioner's dashboard, the service list filtered to care homes
/// (nursing and residential) rated Good or Outstanding with a dementia specialism, by rating, and
/// the quality dashboard and watch list, which score every service on each request.
pub const PAGES: [(&str, &str); 4] = [
    ("Dashboard", "/dashboard"),
    (
        "Filtered service list",
        "/services?kind=care_home_nursing&kind=care_home_residential&rating=good_or_outstanding&specialism=dementia&sort=rating",
    ),
    ("Quality dashboard", "/quality"),
    ("Watch list", "/quality/watch-list"),
];

#[derive(Debug, Args)]
pub struct PagesArgs {
    /// Demo scale factor (1 is a council of real size, about 500 services).
    #[arg(long, default_value_t = 10)]
    scale: u32,
    /// Concurrent clients, each with its own keep-alive connection.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Measured requests per page, shared out among the clients.
    #[arg(long, default_value_t = 2000)]
    requests: usize,
    /// Unmeasured requests per client and page before measuring (warms connections and caches).
    #[arg(long, default_value_t = 1)]
    warmup: usize,
    /// Demo seed.
    #[arg(long, default_value_t = caremarket_demo::DEFAULT_SEED)]
    seed: u64,
    /// Also measure on PostgreSQL: a URL of a database the role may connect to; a new database is
    /// created beside it for the run and dropped afterwards.
    #[arg(long, env = "CAREMARKET_TEST_POSTGRES_URL")]
    postgres_url: Option<String>,
    /// Measure PostgreSQL only.
    #[arg(long)]
    skip_sqlite: bool,
}

struct DemoResult {
    summary: DemoSummary,
    time: Duration,
    peak_rss: Option<u64>,
    db_size: Option<u64>,
}

struct PageResult {
    name: &'static str,
    latency: Summary,
    wall: Duration,
    body_bytes: usize,
}

struct BackendResult {
    backend: &'static str,
    demo: DemoResult,
    pages: Vec<PageResult>,
    /// What the filtered list says it found ("1,234 services: ...").
    list_heading: String,
    peak_rss: Option<u64>,
}

pub async fn run(args: PagesArgs) -> Result<()> {
    ensure!(args.scale > 0, "--scale must be at least 1");
    ensure!(args.clients > 0, "--clients must be at least 1");
    ensure!(args.requests > 0, "--requests must be at least 1");
    let targets = Target::list(args.skip_sqlite, args.postgres_url.as_deref());
    ensure!(!targets.is_empty(), "nothing to measure: --skip-sqlite needs --postgres-url");
    let dir = db::work_dir("pages")?;
    let result = run_in(&args, &targets, &dir).await;
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        eprintln!("warning: could not delete {}: {e}", dir.display());
    }
    result
}

async fn run_in(args: &PagesArgs, targets: &[Target], dir: &Path) -> Result<()> {
    let mut results = Vec::new();
    for target in targets {
        eprintln!("{}: fresh database", target.name());
        let bench_db = db::fresh(target, dir).await?;
        let measured = measure(target.name(), &bench_db, args).await;
        let removed = bench_db.remove().await;
        let result = measured?;
        removed?;
        results.push(result);
    }
    print_results(args, &results);
    Ok(())
}

async fn measure(backend: &'static str, bench_db: &db::BenchDb, args: &PagesArgs) -> Result<BackendResult> {
    let store = bench_db.store.clone();
    let options = DemoOptions { seed: args.seed, scale: args.scale, today: caremarket_store::today() };
    eprintln!("  generating the demo council at scale {}", args.scale);
    sys::reset_peak_rss();
    let started = Instant::now();
    let mut next_report = 0u64;
    let mut progress = move |done: u64, total: u64| {
        if done >= next_report || done == total {
            eprintln!("    {} / {} steps", thousands(done), thousands(total));
            next_report = done + total.div_ceil(10).max(1);
        }
    };
    let summary = caremarket_demo::generate_with_progress(&store, &options, &mut progress).await.context("demo generation failed")?;
    let demo = DemoResult { time: started.elapsed(), peak_rss: sys::peak_rss(), db_size: bench_db.size_bytes().await.ok(), summary };
    let email = demo
        .summary
        .users
        .iter()
        .find(|(_, role)| *role == Role::Commissioner)
        .map(|(email, _)| email.clone())
        .ok_or_else(|| anyhow!("the demo has no commissioner account"))?;

    let state = AppState::new(store.clone(), WebSettings::default()).map_err(|e| anyhow!("could not load the page templates: {e}"))?;
    let app = caremarket_web::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await });
    eprintln!("  serving on http://{addr}");

    let measured = async {
        let cookie: Arc<str> = sign_in(addr, &email).await?.into();
        let list_heading = list_heading(addr, &cookie).await?;
        sys::reset_peak_rss();
        let mut pages = Vec::new();
        for (name, path) in PAGES {
            eprintln!("  {name}: {} requests from {} clients", thousands(args.requests as u64), args.clients);
            pages.push(load(addr, name, path, cookie.clone(), args).await?);
        }
        Ok::<_, anyhow::Error>((pages, list_heading))
    }
    .await;
    server.abort();
    let (pages, list_heading) = measured?;
    Ok(BackendResult { backend, demo, pages, list_heading, peak_rss: sys::peak_rss() })
}

/// Sign in once as `email` through the form, as a browser would, and return the session cookie.
/// Every measured request reuses it, so the sign-in throttle never comes into play.
async fn sign_in(addr: SocketAddr, email: &str) -> Result<String> {
    let mut conn = Connection::open(addr).await?;
    let cookie = http::sign_in(&mut conn, email, DEMO_PASSWORD).await?;
    let check = conn.get("/dashboard", Some(&cookie)).await?;
    ensure!(check.status == StatusCode::OK, "GET /dashboard after signing in answered {}", check.status);
    Ok(cookie)
}

/// The filtered list's results heading, to show how much the measured page had to find.
async fn list_heading(addr: SocketAddr, cookie: &str) -> Result<String> {
    let path = PAGES[1].1;
    let mut conn = Connection::open(addr).await?;
    let r = conn.get(path, Some(cookie)).await?;
    check_status(path, &r)?;
    http::element_text(&String::from_utf8_lossy(&r.body), "results").ok_or_else(|| anyhow!("GET {path} has no results heading"))
}

/// `args.requests` GETs of `path` from `args.clients` connections at once; every answer must
/// be 200.
async fn load(addr: SocketAddr, name: &'static str, path: &'static str, cookie: Arc<str>, args: &PagesArgs) -> Result<PageResult> {
    // Connect and warm up first, outside the measured time, so no client can fail while the
    // others wait at the start line.
    let mut conns = Vec::with_capacity(args.clients);
    for _ in 0..args.clients {
        let mut c = Connection::open(addr).await?;
        for _ in 0..args.warmup {
            let r = c.get(path, Some(&cookie)).await?;
            check_status(path, &r)?;
        }
        conns.push(c);
    }

    let start_line = Arc::new(Barrier::new(args.clients + 1));
    let next = Arc::new(AtomicUsize::new(0));
    let requests = args.requests;
    let per_client = requests / args.clients + 1;
    let mut tasks = Vec::with_capacity(args.clients);
    for mut conn in conns {
        let (start_line, next, cookie) = (start_line.clone(), next.clone(), cookie.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_client);
            let mut body_bytes = 0;
            start_line.wait().await;
            while next.fetch_add(1, Ordering::Relaxed) < requests {
                let sent = Instant::now();
                let r = conn.get(path, Some(&cookie)).await?;
                latencies.push(sent.elapsed());
                check_status(path, &r)?;
                body_bytes = r.body.len();
            }
            Ok::<_, anyhow::Error>((latencies, body_bytes))
        }));
    }
    start_line.wait().await;
    let started = Instant::now();
    let mut all = Vec::with_capacity(requests);
    let mut body_bytes = 0;
    let mut first_error = None;
    for t in tasks {
        match t.await {
            Ok(Ok((lat, bytes))) => {
                all.extend(lat);
                body_bytes = body_bytes.max(bytes);
            }
            Ok(Err(e)) => {
                first_error.get_or_insert(e);
            }
            Err(e) => {
                first_error.get_or_insert(anyhow!("a client task failed: {e}"));
            }
        }
    }
    let wall = started.elapsed();
    if let Some(e) = first_error {
        return Err(e);
    }
    ensure!(all.len() == requests, "{} of {requests} requests completed", all.len());
    let latency = stats::summarise(&mut all).ok_or_else(|| anyhow!("no requests were measured"))?;
    Ok(PageResult { name, latency, wall, body_bytes })
}

fn check_status(path: &str, r: &http::Response) -> Result<()> {
    if r.status != StatusCode::OK {
        bail!(
            "GET {path} answered {} instead of 200 OK: {}",
            r.status,
            String::from_utf8_lossy(&r.body).chars().take(300).collect::<String>()
        );
    }
    Ok(())
}

fn print_results(args: &PagesArgs, results: &[BackendResult]) {
    println!("## Pages at demo scale {}: {} clients", args.scale, args.clients);
    println!();
    println!("- Machine: {}", sys::describe_machine());
    println!(
        "- Server and clients in one process on one tokio multi-thread runtime ({} workers), over loopback; HTTP/1.1, one keep-alive connection per client.",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    println!(
        "- Per page: {} warm-up request(s) per client (not measured), then {} requests shared out among {} clients; latency from sending a request to reading its whole body; every answer must be 200.",
        args.warmup,
        thousands(args.requests as u64),
        args.clients
    );
    println!("- Signed in once as the demo commissioner through the sign-in form; every request carries that session cookie.");
    println!();
    println!("| Backend | Demo scale | Providers | Services | Ratings | Placements | Generation time | Database size | Peak RSS |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in results {
        let s = &r.demo.summary;
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.backend,
            args.scale,
            thousands(s.providers as u64),
            thousands(s.services as u64),
            thousands(s.ratings as u64),
            thousands(s.placements as u64),
            secs(r.demo.time),
            opt_mib(r.demo.db_size),
            opt_mib(r.demo.peak_rss)
        );
    }
    println!();
    println!("| Backend | Page | Requests | Median | p90 | p99 | Max | Mean | Throughput | Page size |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in results {
        for p in &r.pages {
            let l = &p.latency;
            println!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} req/s | {} |",
                r.backend,
                p.name,
                thousands(l.count as u64),
                ms(l.median),
                ms(l.p90),
                ms(l.p99),
                ms(l.max),
                ms(l.mean),
                sys::per_second(l.count as u64, p.wall),
                kib(p.body_bytes)
            );
        }
    }
    println!();
    for (name, path) in PAGES {
        println!("- {name}: `{path}`");
    }
    for r in results {
        println!("- {}: the filtered list's heading reads \"{}\"", r.backend, r.list_heading);
    }
    for r in results {
        println!("- {}: peak RSS while serving (VmHWM since sign-in): {}", r.backend, opt_mib(r.peak_rss));
    }
}

fn kib(bytes: usize) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}
