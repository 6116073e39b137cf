//! `caremarket-bench load`: ordinary load for minutes on end (issue 17). The demo council at a
//! scale, served on loopback; N clients, each signed in through the form as one of the demo's
//! roles, read the pages that role reads and (those who may) save provider notes; halfway through,
//! a CQC import runs beside the traffic. Every answer is checked, errors are counted, and the
//! process's resident memory is sampled, so a leak or a `database is locked` shows.

use crate::db::{self, Target};
use crate::http::{self, Connection};
use crate::stats::{self, ms};
use crate::sys::{self, mib, secs, thousands};
use anyhow::{Context, Result, anyhow, ensure};
use caremarket_core::access::{Permission, Role};
use caremarket_demo::{DEMO_PASSWORD, DemoOptions};
use caremarket_store::Actor;
use caremarket_store::import::ImportOptions;
use caremarket_web::{AppState, WebSettings};
use clap::Args;
use hyper::StatusCode;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Demo scale factor (1 is a council of real size, about 500 services).
    #[arg(long, default_value_t = 10)]
    scale: u32,
    /// Concurrent clients, each with its own keep-alive connection and session.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// How long the load runs, in minutes (fractions allowed).
    #[arg(long, default_value_t = 10.0)]
    minutes: f64,
    /// Locations in the CQC file imported halfway through.
    #[arg(long, default_value_t = 2000)]
    import_rows: usize,
    /// Demo seed.
    #[arg(long, default_value_t = caremarket_demo::DEFAULT_SEED)]
    seed: u64,
    /// Run on PostgreSQL instead of SQLite: a URL of a database the role may connect to; a new
    /// database is created beside it for the run and dropped afterwards.
    #[arg(long)]
    postgres_url: Option<String>,
}

/// Pages read, and the permission a role needs to read each (`None`: anyone signed in).
const READS: &[(&str, Option<Permission>)] = &[
    ("/dashboard", Some(Permission::ViewRegister)),
    ("/services", Some(Permission::ViewRegister)),
    ("/services?q=care&sort=rating", Some(Permission::ViewRegister)),
    ("/providers", Some(Permission::ViewRegister)),
    ("/quality", Some(Permission::ViewQuality)),
    ("/quality/watch-list", Some(Permission::ViewQuality)),
    ("/quality/due", Some(Permission::ViewQuality)),
    ("/capacity", Some(Permission::ViewCapacity)),
    ("/brokerage", Some(Permission::ViewBrokerage)),
    ("/placements", Some(Permission::ViewPlacements)),
    ("/direct-payments/monitoring", Some(Permission::ViewDirectPayments)),
    ("/fees", Some(Permission::ViewFees)),
    ("/governance", Some(Permission::ViewGovernance)),
    ("/portal", Some(Permission::ProviderPortal)),
    ("/portal/capacity", Some(Permission::ProviderPortal)),
    ("/directory?q=home", None),
];

/// One in this many requests of a client whose role may edit council fields is a save.
const WRITE_EVERY: u64 = 5;

#[derive(Default)]
struct Tally {
    reads: u64,
    writes: u64,
    errors: u64,
    first_errors: Vec<String>,
    read_latency: Vec<Duration>,
    write_latency: Vec<Duration>,
    per_role: BTreeMap<&'static str, u64>,
}

pub async fn run(args: LoadArgs) -> Result<()> {
    ensure!(args.scale > 0, "--scale must be at least 1");
    ensure!(args.clients > 0, "--clients must be at least 1");
    ensure!(args.minutes > 0.0, "--minutes must be more than 0");
    let target = match &args.postgres_url {
        Some(url) => Target::Postgres(url.clone()),
        None => Target::Sqlite,
    };
    let dir = db::work_dir("load")?;
    let result = async {
        let bench_db = db::fresh(&target, &dir).await?;
        let measured = measure(&args, &target, &bench_db).await;
        let removed = bench_db.remove().await;
        measured.and(removed)
    }
    .await;
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        eprintln!("warning: could not delete {}: {e}", dir.display());
    }
    result
}

async fn measure(args: &LoadArgs, target: &Target, bench_db: &db::BenchDb) -> Result<()> {
    let store = bench_db.store.clone();
    eprintln!("generating the demo council at scale {}", args.scale);
    let started = Instant::now();
    let demo = caremarket_demo::generate(&store, &DemoOptions { seed: args.seed, scale: args.scale, today: caremarket_store::today() })
        .await
        .context("demo generation failed")?;
    let generation = started.elapsed();
    let providers: Arc<Vec<String>> = Arc::new(store.providers(None, 1, 50).await?.items.into_iter().map(|p| p.id).collect());
    ensure!(!providers.is_empty(), "the demo has no providers");

    // Every client signs in from 127.0.0.1 at once, which the sign-in throttle (per address)
    // would refuse past its burst: the burst is raised to the number of clients, as it would not
    // be needed for people signing in from their own addresses.
    let settings = WebSettings { sign_in_burst: WebSettings::default().sign_in_burst.max(args.clients as u32), ..Default::default() };
    let state = AppState::new(store.clone(), settings).map_err(|e| anyhow!("could not load the page templates: {e}"))?;
    let app = caremarket_web::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await });
    eprintln!("serving on http://{addr}; {} clients for {} minutes", args.clients, args.minutes);

    let duration = Duration::from_secs_f64(args.minutes * 60.0);
    let tally = Arc::new(Mutex::new(Tally::default()));
    let mut clients = Vec::new();
    for i in 0..args.clients {
        let (email, role) = demo.users[i % demo.users.len()].clone();
        let (tally, providers) = (tally.clone(), providers.clone());
        // Each client saves notes on its own providers (every clients-th one from its index), as
        // officers share out work: two clients saving the same provider at once would be refused
        // with 409 by the lost-update check (issue 17 item 6), which is right but not load.
        let own: Arc<Vec<String>> = Arc::new(providers.iter().skip(i).step_by(args.clients).cloned().collect());
        let providers = if own.is_empty() { providers } else { own };
        clients.push(tokio::spawn(async move { client(addr, i as u64, email, role, providers, tally, duration).await }));
    }

    let began = Instant::now();
    let sampler = {
        let tally = tally.clone();
        tokio::spawn(async move {
            let mut samples = Vec::new();
            while began.elapsed() < duration {
                let (reads, writes, errors) = tally.lock().map(|t| (t.reads, t.writes, t.errors)).unwrap_or_default();
                samples.push((began.elapsed(), sys::rss().unwrap_or(0), reads + writes, errors));
                tokio::time::sleep(Duration::from_secs(5).min(duration / 20)).await;
            }
            samples
        })
    };
    tokio::time::sleep(duration / 2).await;
    eprintln!("halfway: importing {} CQC locations beside the traffic", args.import_rows);
    let import = import_beside(&store, args.import_rows, args.seed).await;
    let import_note = match &import {
        Ok((took, n)) => format!("{} locations imported in {} while the clients ran", thousands(*n as u64), secs(*took)),
        Err(e) => format!("FAILED: {e:#}"),
    };
    eprintln!("import: {import_note}");
    for c in clients {
        if let Err(e) = c.await.map_err(|e| anyhow!("{e}")).and_then(|r| r) {
            let mut t = tally.lock().map_err(|_| anyhow!("tally poisoned"))?;
            t.errors += 1;
            t.first_errors.push(format!("a client stopped: {e:#}"));
        }
    }
    let wall = began.elapsed();
    let samples = sampler.await?;
    server.abort();

    let mut t = std::mem::take(&mut *tally.lock().map_err(|_| anyhow!("tally poisoned"))?);
    println!("## Load: {} clients for {} minutes at demo scale {} ({})", args.clients, args.minutes, args.scale, target.name());
    println!();
    println!("- Machine: {}", sys::describe_machine());
    println!(
        "- Demo at scale {}: {} services, {} providers, generated in {}.",
        args.scale,
        thousands(demo.services as u64),
        thousands(demo.providers as u64),
        secs(generation)
    );
    println!(
        "- Server and clients in one process over loopback, HTTP/1.1, one keep-alive connection and one session per client; \
         each client signs in through the form as one of the {} demo identities in turn, then reads the pages its role may \
         read; clients whose role may edit council fields save a provider's notes every {WRITE_EVERY}th request. The sign-in \
         throttle's burst is raised to the number of clients, since they all sign in from 127.0.0.1 at once.",
        demo.users.len()
    );
    println!(
        "- Halfway: a CQC file of {} generated locations parsed and imported (partial register) beside the traffic: {import_note}.",
        args.import_rows
    );
    println!();
    println!("| Requests | Reads | Writes | Errors | Wall time | Throughput |");
    println!("|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {} | {} | {} | {} | {} req/s |",
        thousands(t.reads + t.writes),
        thousands(t.reads),
        thousands(t.writes),
        thousands(t.errors),
        secs(wall),
        sys::per_second(t.reads + t.writes, wall)
    );
    println!();
    println!("| Kind | Median | p90 | p99 | Max |");
    println!("|---|---:|---:|---:|---:|");
    for (kind, lat) in [("Read", &mut t.read_latency), ("Write", &mut t.write_latency)] {
        if let Some(s) = stats::summarise(lat) {
            println!("| {kind} | {} | {} | {} | {} |", ms(s.median), ms(s.p90), ms(s.p99), ms(s.max));
        }
    }
    println!();
    println!("Requests by role: {}", t.per_role.iter().map(|(r, n)| format!("{r} {}", thousands(*n))).collect::<Vec<_>>().join(", "));
    println!();
    println!("Resident memory (VmRSS of the process, server and clients), sampled:");
    println!();
    println!("| Elapsed | RSS | Requests so far | Errors so far |");
    println!("|---:|---:|---:|---:|");
    let step = (samples.len() / 12).max(1);
    for (i, (at, rss, n, e)) in samples.iter().enumerate() {
        if i % step == 0 || i + 1 == samples.len() {
            println!("| {} | {} | {} | {} |", secs(*at), mib(*rss), thousands(*n), thousands(*e));
        }
    }
    if !t.first_errors.is_empty() {
        println!();
        println!("First errors:");
        for e in &t.first_errors {
            println!("- {e}");
        }
    }
    ensure!(import.is_ok(), "the import beside the traffic failed");
    ensure!(t.errors == 0, "{} requests failed", t.errors);
    Ok(())
}

/// Parse and import a generated CQC export while the clients run, as an officer's upload would.
async fn import_beside(store: &caremarket_store::Store, rows: usize, seed: u64) -> Result<(Duration, usize)> {
    let started = Instant::now();
    let outcome = tokio::task::spawn_blocking(move || -> Result<caremarket_ingest::ParseOutcome> {
        let mut bytes = Vec::new();
        caremarket_ingest::synthetic::write_locations_export_csv(&mut bytes, rows, seed)?;
        Ok(caremarket_ingest::parse_cqc_bytes("cqc-locations.csv", &bytes, &mut |_, _| {})?)
    })
    .await??;
    let options = ImportOptions {
        file_name: "cqc-locations.csv".into(),
        format: outcome.format.label().to_string(),
        complete_register: false,
        council_local_authorities: store.council_local_authorities().await?,
        // A sample of rows: nothing the demo holds is deregistered by it.
        completeness: caremarket_core::register::import_plan::Completeness::Partial,
        social_care_only: outcome.format.social_care_only(),
        carried: outcome.carried.clone(),
        confirmed_deregistrations: None,
        ..Default::default()
    };
    let n = outcome.records.len();
    store
        .import_cqc(&Actor::system("load test"), &options, &outcome.records, outcome.rejections, &mut |_, _| {})
        .await
        .context("the import failed")?;
    Ok((started.elapsed(), n))
}

async fn client(
    addr: SocketAddr,
    n: u64,
    email: String,
    role: Role,
    providers: Arc<Vec<String>>,
    tally: Arc<Mutex<Tally>>,
    duration: Duration,
) -> Result<()> {
    let began = Instant::now();
    let mut conn = Connection::open(addr).await?;
    let cookie = http::sign_in(&mut conn, &email, DEMO_PASSWORD).await?;
    let reads: Vec<&str> = READS.iter().filter(|(_, p)| p.is_none_or(|p| role.can(p))).map(|(path, _)| *path).collect();
    ensure!(!reads.is_empty(), "{email} may read none of the load test's pages");
    let writes = role.can(Permission::EditCouncilFields);
    let mut i = n;
    while began.elapsed() < duration {
        i += 1;
        let sent = Instant::now();
        let (kind, outcome) = if writes && i.is_multiple_of(WRITE_EVERY) {
            let provider = &providers[(i as usize / WRITE_EVERY as usize) % providers.len()];
            ("write", save_note(&mut conn, &cookie, provider, i).await)
        } else {
            let path = reads[i as usize % reads.len()];
            let r = conn.get(path, Some(&cookie)).await;
            ("read", r.and_then(|r| expect(path, &r, StatusCode::OK)))
        };
        let took = sent.elapsed();
        let failed = {
            let mut t = tally.lock().map_err(|_| anyhow!("tally poisoned"))?;
            *t.per_role.entry(role.as_str()).or_default() += 1;
            match kind {
                "write" => {
                    t.writes += 1;
                    t.write_latency.push(took);
                }
                _ => {
                    t.reads += 1;
                    t.read_latency.push(took);
                }
            }
            if let Err(e) = &outcome {
                t.errors += 1;
                if t.first_errors.len() < 10 {
                    t.first_errors.push(format!("{email}: {e:#}"));
                }
            }
            outcome.is_err()
        };
        if failed {
            // A connection that failed a request is not reused.
            conn = Connection::open(addr).await?;
        }
    }
    Ok(())
}

/// Open a provider's page for its form token and save its notes: two requests, timed as one.
async fn save_note(conn: &mut Connection, cookie: &str, provider: &str, n: u64) -> Result<()> {
    let page = format!("/providers/{provider}");
    let r = conn.get(&page, Some(cookie)).await?;
    expect(&page, &r, StatusCode::OK)?;
    let html = std::str::from_utf8(&r.body)?;
    let token = http::csrf_token(html)?;
    // The version the page was opened at, as the browser's form sends it.
    let version = http::hidden_field(html, "version")?;
    let path = format!("/providers/{provider}/notes");
    let note = format!("Load test note {n}: spoke to the registered manager.");
    let r = conn.post_form(&path, Some(cookie), &[("notes", &note), ("version", &version), ("csrf_token", &token)]).await?;
    expect(&path, &r, StatusCode::SEE_OTHER)
}

fn expect(path: &str, r: &http::Response, want: StatusCode) -> Result<()> {
    ensure!(
        r.status == want,
        "{path} answered {} instead of {want}: {}",
        r.status,
        String::from_utf8_lossy(&r.body).lines().find(|l| l.contains("<title>")).unwrap_or("").trim()
    );
    Ok(())
}
