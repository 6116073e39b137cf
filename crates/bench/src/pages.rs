//! `caremarket-bench pages`: the officers' busiest pages and the public directory at a demo
//! scale, under concurrent keep-alive clients on loopback, each beside a bare axum handler
//! serving a fixed 2 KB page measured by the same clients in the same round (issue 18 item 3:
//! the machines are shared, so a page's figure is read as a ratio to that baseline).

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

/// One measured page: what the results call it served as it is (from kept copies after the
/// first request, `kept_pages`) and rendered on every request, its address, and whether it is
/// requested signed in.
pub struct Page {
    pub name: &'static str,
    pub rendered: &'static str,
    pub path: &'static str,
    pub signed_in: bool,
}

/// The pages measured: the commissioner's dashboard, the service list filtered to care homes
/// (nursing and residential) rated Good or Outstanding with a dementia specialism, by rating, the
/// quality dashboard and the watch list (read from the kept scores), signed in; and the public
/// directory's search for care homes with a dementia specialism, signed out, as the public uses it.
/// Each is measured twice: from the application as configured by default, where after the first
/// request of a round it is a kept copy (the session's own for the officers' pages), and from a
/// second application on the same database with copies off, where it is rendered every time.
pub const PAGES: [Page; 5] = [
    Page { name: "Dashboard", rendered: "Dashboard, copies off", path: "/dashboard", signed_in: true },
    Page {
        name: "Filtered service list",
        rendered: "Filtered service list, copies off",
        path: "/services?kind=care_home_nursing&kind=care_home_residential&rating=good_or_outstanding&specialism=dementia&sort=rating",
        signed_in: true,
    },
    Page { name: "Quality dashboard", rendered: "Quality dashboard, copies off", path: "/quality", signed_in: true },
    Page { name: "Watch list", rendered: "Watch list, copies off", path: "/quality/watch-list", signed_in: true },
    Page {
        name: "Public directory",
        rendered: "Public directory, copies off",
        path: "/directory?kind=care_home_residential&specialism=dementia",
        signed_in: false,
    },
];

/// The filtered list, whose heading the results quote.
const FILTERED_LIST: &Page = &PAGES[1];

/// The baseline's name in the results.
const BARE: &str = "Bare axum handler (fixed 2 KB page)";

/// What the bare handler serves: 2,048 bytes of HTML.
fn bare_page() -> String {
    let mut page = String::from("<!DOCTYPE html><html lang=\"en\"><head><title>Fixed page</title></head><body><p>");
    let end = "</p></body></html>";
    while page.len() + end.len() < 2048 {
        page.push('x');
    }
    page.push_str(end);
    page
}

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
    /// Rounds: every page and the bare handler are measured once in each.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
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
    /// Measure only the page of this name (repeat for more; the bare handler is always
    /// measured), e.g. "Public directory" for a longer run of the directory alone.
    #[arg(long)]
    only: Vec<String>,
}

impl PagesArgs {
    fn measures(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|only| only == name)
    }
}

struct DemoResult {
    summary: DemoSummary,
    time: Duration,
    peak_rss: Option<u64>,
    db_size: Option<u64>,
}

struct PageResult {
    round: usize,
    name: &'static str,
    latency: Summary,
    wall: Duration,
    /// The process's CPU time (server and clients) over the measured requests.
    cpu: Option<Duration>,
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
    ensure!(args.rounds > 0, "--rounds must be at least 1");
    let load_before = sys::load_average();
    let targets = Target::list(args.skip_sqlite, args.postgres_url.as_deref());
    ensure!(!targets.is_empty(), "nothing to measure: --skip-sqlite needs --postgres-url");
    let dir = db::work_dir("pages")?;
    let result = run_in(&args, &targets, &dir).await;
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        eprintln!("warning: could not delete {}: {e}", dir.display());
    }
    result?;
    println!("- Load average (1, 5, 15 min) before: {load_before}; after: {}", sys::load_average());
    Ok(())
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

    let (addr, server) = serve_app(&store, WebSettings::default()).await?;
    eprintln!("  serving on http://{addr}");
    let (rendered_addr, rendered_server) =
        serve_app(&store, WebSettings { public_page_seconds: 0, officer_page_seconds: 0, ..Default::default() }).await?;
    let bare = axum::Router::new().route("/", axum::routing::get(|| async { axum::response::Html(bare_page()) }));
    let bare_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let bare_addr = bare_listener.local_addr()?;
    let bare_server = tokio::spawn(async move { axum::serve(bare_listener, bare).await });

    let measured = async {
        let cookie: Arc<str> = sign_in(addr, &email).await?.into();
        let list_heading = list_heading(addr, &cookie).await?;
        sys::reset_peak_rss();
        let mut pages = Vec::new();
        for round in 1..=args.rounds {
            eprintln!("  round {round}: {} requests a page from {} clients", thousands(args.requests as u64), args.clients);
            pages.push(load(bare_addr, round, BARE, "/", None, args).await?);
            for page in &PAGES {
                let cookie = page.signed_in.then(|| cookie.clone());
                if args.measures(page.name) {
                    pages.push(load(addr, round, page.name, page.path, cookie.clone(), args).await?);
                }
                if args.measures(page.rendered) {
                    pages.push(load(rendered_addr, round, page.rendered, page.path, cookie, args).await?);
                }
            }
        }
        Ok::<_, anyhow::Error>((pages, list_heading))
    }
    .await;
    server.abort();
    rendered_server.abort();
    bare_server.abort();
    let (pages, list_heading) = measured?;
    Ok(BackendResult { backend, demo, pages, list_heading, peak_rss: sys::peak_rss() })
}

/// The application with `settings` on a port of its own.
async fn serve_app(
    store: &caremarket_store::Store,
    settings: WebSettings,
) -> Result<(SocketAddr, tokio::task::JoinHandle<std::io::Result<()>>)> {
    let state = AppState::new(store.clone(), settings).map_err(|e| anyhow!("could not load the page templates: {e}"))?;
    let app = caremarket_web::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    Ok((addr, tokio::spawn(async move { axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await })))
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
    let path = FILTERED_LIST.path;
    let mut conn = Connection::open(addr).await?;
    let r = conn.get(path, Some(cookie)).await?;
    check_status(path, &r)?;
    http::element_text(&String::from_utf8_lossy(&r.body), "results").ok_or_else(|| anyhow!("GET {path} has no results heading"))
}

/// `args.requests` GETs of `path` from `args.clients` connections at once; every answer must
/// be 200.
async fn load(
    addr: SocketAddr,
    round: usize,
    name: &'static str,
    path: &'static str,
    cookie: Option<Arc<str>>,
    args: &PagesArgs,
) -> Result<PageResult> {
    // Connect and warm up first, outside the measured time, so no client can fail while the
    // others wait at the start line.
    let mut conns = Vec::with_capacity(args.clients);
    for _ in 0..args.clients {
        let mut c = Connection::open(addr).await?;
        for _ in 0..args.warmup {
            let r = c.get(path, cookie.as_deref()).await?;
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
                let r = conn.get(path, cookie.as_deref()).await?;
                latencies.push(sent.elapsed());
                check_status(path, &r)?;
                body_bytes = r.body.len();
            }
            Ok::<_, anyhow::Error>((latencies, body_bytes))
        }));
    }
    start_line.wait().await;
    let started = Instant::now();
    let cpu_before = sys::process_cpu_time();
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
    let cpu = sys::cpu_since(cpu_before);
    if let Some(e) = first_error {
        return Err(e);
    }
    ensure!(all.len() == requests, "{} of {requests} requests completed", all.len());
    let latency = stats::summarise(&mut all).ok_or_else(|| anyhow!("no requests were measured"))?;
    Ok(PageResult { round, name, latency, wall, cpu, body_bytes })
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
    println!(
        "| Backend | Round | Page | Requests | Median | p90 | p99 | Max | Mean | Throughput | Of the bare handler's | CPU per request | Page size |"
    );
    println!("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in results {
        for p in &r.pages {
            let l = &p.latency;
            let rate = |p: &PageResult| p.latency.count as f64 / p.wall.as_secs_f64().max(f64::EPSILON);
            let bare = r.pages.iter().find(|b| b.round == p.round && b.name == BARE).map(rate);
            let share = bare.map(|b| format!("{:.2}%", 100.0 * rate(p) / b.max(f64::EPSILON))).unwrap_or_default();
            println!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} req/s | {} | {} | {} |",
                r.backend,
                p.round,
                p.name,
                thousands(l.count as u64),
                ms(l.median),
                ms(l.p90),
                ms(l.p99),
                ms(l.max),
                ms(l.mean),
                sys::per_second(l.count as u64, p.wall),
                share,
                p.cpu.map(|c| format!("{:.3} ms", c.as_secs_f64() * 1000.0 / l.count.max(1) as f64)).unwrap_or_default(),
                kib(p.body_bytes)
            );
        }
    }
    println!();
    println!(
        "- CPU per request: the process's user and system CPU time (server and clients, every thread) over the measured requests, from `/proc/self/stat` (10 ms resolution), divided by the requests; on a shared machine it moves far less with other people's work than requests/s do."
    );
    println!(
        "- {BARE}: an `axum::Router` with one route answering `Html` of 2,048 fixed bytes, on its own port in the same process, measured by the same clients in the same round."
    );
    for page in &PAGES {
        let who = if page.signed_in { "signed in as the commissioner" } else { "signed out" };
        println!("- {}: `{}` ({who})", page.name, page.path);
    }
    println!(
        "- Each page as served: after the first request of a round it is a kept copy (`public_page_seconds` and `officer_page_seconds`, 10 s; an officer's page is the session's own copy). \"…, copies off\": the same address from a second application on the same database with both set to 0, rendered on every request."
    );
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
