//! The `caremarket` command: run the web application (`serve`, or `demo` with a generated
//! council), import CQC data, manage accounts, migrate and back up the database.
//!
//! Errors stop here as `anyhow` errors with messages an officer can act on; the exit code is 1.

use anyhow::{Context, Result, anyhow, bail};
use caremarket_core::access::Role;
use caremarket_store::import::ImportOptions;
use caremarket_store::sessions::DbSessionStore;
use caremarket_store::users::{MIN_PASSWORD_LEN, NewUser};
use caremarket_store::{Actor, Backend, Store, StoreError};
use clap::{Args, Parser, Subcommand};
use figment::Figment;
use figment::providers::{Env, Format, Toml};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

const DEFAULT_DATABASE_URL: &str = "sqlite://data/caremarket.db";
const DEFAULT_CONFIG_FILE: &str = "caremarket.toml";
const DEFAULT_PORT: u16 = 8080;
const DEFAULT_HOST: &str = "127.0.0.1";
const DEFAULT_MAX_UPLOAD_MB: u64 = 64;
const DEFAULT_DEMO_DIR: &str = "data/demo";
/// How often the server removes expired sessions.
const SESSION_CLEANUP_INTERVAL: Duration = Duration::from_secs(60 * 60);

#[derive(Parser)]
#[command(
    name = "caremarket",
    version,
    about = "Adult social care market oversight for English councils",
    after_help = "Configuration: flags, then CAREMARKET_* environment variables, then caremarket.toml, \
                  then defaults. See docs/configuration.md."
)]
struct Cli {
    /// Database: sqlite://FILE or postgres://USER@HOST/DATABASE
    /// [env: CAREMARKET_DATABASE_URL; default: sqlite://data/caremarket.db]
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,

    /// What to log, e.g. info, debug or caremarket_web=debug (as RUST_LOG, which is used when
    /// this is not given; default info for serve and demo, warn otherwise)
    #[arg(long, global = true, value_name = "LEVEL")]
    log: Option<String>,

    /// Configuration file [default: caremarket.toml in the current directory, if it exists]
    #[arg(long, global = true, value_name = "FILE", env = "CAREMARKET_CONFIG")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start caremarket with a generated demo council on its own SQLite database
    Demo(DemoArgs),
    /// Run the web application
    Serve(ServeArgs),
    /// Import data files
    #[command(subcommand)]
    Import(ImportCommand),
    /// Create and list user accounts
    #[command(subcommand)]
    User(UserCommand),
    /// Show or set the council's name and the local authorities it covers
    Council(CouncilArgs),
    /// Apply database migrations and say which were applied
    Migrate,
    /// Write a consistent copy of a SQLite database (PostgreSQL: use pg_dump)
    Backup(BackupArgs),
}

#[derive(Args)]
struct DemoArgs {
    /// Port to listen on; 0 picks a free port [default: 8080]
    #[arg(long)]
    port: Option<u16>,
    /// Address to listen on [default: 127.0.0.1]
    #[arg(long)]
    host: Option<String>,
    /// Folder for the demo database (created if missing)
    #[arg(long, value_name = "DIR", default_value = DEFAULT_DEMO_DIR)]
    data_dir: PathBuf,
    /// Seed for the generator: the same seed gives the same council
    #[arg(long, default_value_t = caremarket_demo::DEFAULT_SEED)]
    seed: u64,
    /// Size of the council: 1 is a council of real size (about 500 services); 10 for benchmarks
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    scale: u32,
}

#[derive(Args)]
struct ServeArgs {
    /// Port to listen on; 0 picks a free port [env: CAREMARKET_PORT; default: 8080]
    #[arg(long)]
    port: Option<u16>,
    /// Address to listen on; 0.0.0.0 for every interface [env: CAREMARKET_HOST; default: 127.0.0.1]
    #[arg(long)]
    host: Option<String>,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import CQC files: the care directory (CSV, XLSX, ODS), HSCA_Active_Locations,
    /// Latest_ratings, or CQC API location JSON (a file or a folder of them)
    Cqc(ImportCqcArgs),
}

#[derive(Args)]
struct ImportCqcArgs {
    /// Files (or folders of API JSON) to import, in order
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account. The password is read from CAREMARKET_PASSWORD if set, otherwise asked for twice
    Add(UserAddArgs),
    /// List accounts
    List,
}

#[derive(Args)]
struct UserAddArgs {
    /// admin, commissioner, quality_officer, brokerage_officer, direct_payments_officer, viewer or provider
    #[arg(long)]
    role: String,
    /// Email address, used to sign in
    #[arg(long)]
    email: String,
    /// The person's name
    #[arg(long)]
    name: String,
    /// For provider users: the caremarket id of their provider
    #[arg(long, value_name = "ID")]
    provider_id: Option<String>,
}

#[derive(Args)]
struct CouncilArgs {
    /// The council's name as shown on every page, e.g. "Oldham Council"
    #[arg(long)]
    name: Option<String>,
    /// A local authority the council covers, as CQC names it (e.g. Oldham); repeat for several.
    /// Services elsewhere are kept but marked out of area.
    #[arg(long = "local-authority", value_name = "NAME")]
    local_authorities: Vec<String>,
}

#[derive(Args)]
struct BackupArgs {
    /// Where to write the copy [default: backup-<timestamp>.db beside the database]
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Settings as read from caremarket.toml and CAREMARKET_* variables, before defaults.
/// (No `Debug`: it holds the database URL, which may carry a password.)
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RawSettings {
    database_url: Option<String>,
    port: Option<u16>,
    host: Option<String>,
    secure_cookies: Option<bool>,
    max_upload_mb: Option<u64>,
}

/// Typed settings with defaults applied. The database URL is a secret: `Debug` hides it.
#[derive(Debug)]
struct Settings {
    database_url: SecretString,
    port: u16,
    host: String,
    secure_cookies: bool,
    max_upload_mb: u64,
}

const SETTING_KEYS: [&str; 5] = ["database_url", "port", "host", "secure_cookies", "max_upload_mb"];

impl Settings {
    fn load(cli: &Cli) -> Result<Settings> {
        let path = cli.config.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_FILE));
        if cli.config.is_some() && !path.is_file() {
            bail!("The configuration file {} does not exist", path.display());
        }
        let mut figment = Figment::new();
        if path.is_file() {
            figment = figment.merge(Toml::file_exact(&path));
        }
        let raw: RawSettings = figment
            .merge(Env::prefixed("CAREMARKET_").only(&SETTING_KEYS))
            .extract()
            .map_err(|e| anyhow!("The configuration is not valid: {e}"))?;
        let max_upload_mb = raw.max_upload_mb.unwrap_or(DEFAULT_MAX_UPLOAD_MB);
        if max_upload_mb == 0 {
            bail!("The configuration is not valid: max_upload_mb must be at least 1");
        }
        Ok(Settings {
            database_url: SecretString::from(
                cli.database_url.clone().or(raw.database_url).unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string()),
            ),
            port: raw.port.unwrap_or(DEFAULT_PORT),
            host: raw.host.unwrap_or_else(|| DEFAULT_HOST.to_string()),
            secure_cookies: raw.secure_cookies.unwrap_or(false),
            max_upload_mb,
        })
    }

    fn web(&self) -> caremarket_web::WebSettings {
        caremarket_web::WebSettings {
            secure_cookies: self.secure_cookies,
            max_upload_bytes: usize::try_from(self.max_upload_mb.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX),
            ..Default::default()
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let serving = matches!(cli.command, Command::Serve(_) | Command::Demo(_));
    if let Err(e) = init_logging(cli.log.as_deref(), if serving { "info,sqlx=warn" } else { "warn,sqlx=error" }) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(flag: Option<&str>, default: &str) -> Result<()> {
    use tracing_subscriber::EnvFilter;
    let filter = match flag {
        Some(f) => EnvFilter::try_new(f).map_err(|e| anyhow!("--log '{f}' is not a valid log level or filter: {e}"))?,
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default)),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init()
        .map_err(|e| anyhow!("could not start logging: {e}"))
}

async fn run(cli: Cli) -> Result<()> {
    let settings = Settings::load(&cli)?;
    match cli.command {
        Command::Demo(args) => demo(&settings, args).await,
        Command::Serve(args) => {
            let store = connect(settings.database_url.expose_secret()).await?;
            let host = args.host.unwrap_or_else(|| settings.host.clone());
            let port = args.port.unwrap_or(settings.port);
            let no_accounts = store.count_users().await? == 0;
            serve(store, &host, port, settings.web(), move |addr| {
                println!("caremarket is running at {}", browser_address(addr));
                if no_accounts {
                    println!("There are no accounts yet. Create the first administrator with:");
                    println!("  caremarket user add --role admin --email EMAIL --name NAME");
                }
                println!("Press Ctrl-C to stop.");
            })
            .await
        }
        Command::Import(ImportCommand::Cqc(args)) => {
            let store = connect(settings.database_url.expose_secret()).await?;
            import_cqc(&store, &args.files).await
        }
        Command::User(UserCommand::Add(args)) => {
            let store = connect(settings.database_url.expose_secret()).await?;
            user_add(&store, args).await
        }
        Command::User(UserCommand::List) => {
            let store = connect(settings.database_url.expose_secret()).await?;
            user_list(&store).await
        }
        Command::Council(args) => {
            let store = connect(settings.database_url.expose_secret()).await?;
            council(&store, args).await
        }
        Command::Migrate => migrate(settings.database_url.expose_secret()).await,
        Command::Backup(args) => backup(settings.database_url.expose_secret(), args.output).await,
    }
}

// ---------------------------------------------------------------------------------------------
// Database

/// The file of a `sqlite:` URL, if it names one (not `sqlite::memory:`).
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let rest = rest.split('?').next().unwrap_or(rest);
    if rest.is_empty() || rest.starts_with(":memory:") {
        return None;
    }
    Some(PathBuf::from(rest))
}

/// The URL with any password replaced, for messages.
fn redact(url: &str) -> String {
    replace_password(url, ":***")
}

/// The URL without its password, for commands that ask for it or read ~/.pgpass.
fn without_password(url: &str) -> String {
    replace_password(url, "")
}

fn replace_password(url: &str, with: &str) -> String {
    let Some(scheme_end) = url.find("://") else { return url.to_string() };
    let after = &url[scheme_end + 3..];
    let authority_end = after.find('/').unwrap_or(after.len());
    let authority = &after[..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => {
            format!("{}{}{with}{}", &url[..scheme_end + 3], &authority[..colon], &after[at..])
        }
        _ => url.to_string(),
    }
}

/// Open the database (creating a SQLite file and its folder if needed) and apply migrations.
async fn connect(url: &str) -> Result<Store> {
    if let Some(path) = sqlite_path(url)
        && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).with_context(|| format!("could not create the folder {} for the database", dir.display()))?;
    }
    Store::connect(url).await.map_err(|e| match e {
        StoreError::UnsupportedUrl(_) => {
            anyhow!("'{}' is not a database URL caremarket can use: give sqlite://FILE or postgres://USER@HOST/DATABASE", redact(url))
        }
        other => anyhow!("could not open the database {}: {other}", redact(url)),
    })
}

/// Store errors as a person can act on them: a validation message alone, without the field name.
fn store_error(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::Invalid(f) => anyhow!("{}", f.message),
        other => anyhow!(other),
    }
}

async fn migrate(url: &str) -> Result<()> {
    // Migrations run when the database is opened; the ones applied by this run are those
    // stamped since it started.
    let started = caremarket_store::now_timestamp();
    let store = connect(url).await?;
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT version, applied_at FROM caremarket_migrations ORDER BY version").fetch_all(store.pool()).await?;
    let applied: Vec<&str> = rows.iter().filter(|(_, at)| at.as_str() >= started.as_str()).map(|(v, _)| v.as_str()).collect();
    println!("Database: {} ({})", redact(url), store.backend().name());
    if applied.is_empty() {
        println!(
            "The database is up to date: {} migration{} already applied.",
            rows.len(),
            if rows.len() == 1 { " was" } else { "s were" }
        );
    } else {
        println!("Applied {} migration{}:", applied.len(), if applied.len() == 1 { "" } else { "s" });
        for v in applied {
            println!("  {v}");
        }
    }
    Ok(())
}

async fn backup(url: &str, output: Option<PathBuf>) -> Result<()> {
    let stamp = jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S").to_string();
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        eprintln!("caremarket backup copies SQLite databases. Back up PostgreSQL with its own tool, pg_dump:");
        eprintln!();
        eprintln!("  pg_dump --format=custom --file=caremarket-{stamp}.dump \"{}\"", without_password(url));
        eprintln!();
        eprintln!("pg_dump asks for the password, or reads it from PGPASSWORD or ~/.pgpass.");
        eprintln!("Restore with pg_restore; see docs/operations.md.");
        bail!("backup is for SQLite databases; use pg_dump for PostgreSQL");
    }
    let Some(db_path) = sqlite_path(url) else {
        bail!("'{}' is not a SQLite database file that can be backed up", redact(url));
    };
    if !db_path.is_file() {
        bail!("There is no database at {} to back up", db_path.display());
    }
    let dest = output.unwrap_or_else(|| db_path.parent().unwrap_or_else(|| Path::new("")).join(format!("backup-{stamp}.db")));
    if dest.exists() {
        bail!("{} already exists: choose another file with --output", dest.display());
    }
    let store = connect(url).await?;
    if store.backend() != Backend::Sqlite {
        bail!("backup is for SQLite databases");
    }
    let dest_text = dest.to_str().ok_or_else(|| anyhow!("the backup path {} is not valid text", dest.display()))?;
    store.backup_sqlite(dest_text).await.with_context(|| format!("could not write the backup to {}", dest.display()))?;
    let size = std::fs::metadata(&dest).map(|m| m.len()).unwrap_or(0);
    println!("Backed up {} to {} ({})", db_path.display(), dest.display(), human_bytes(size));
    Ok(())
}

fn human_bytes(n: u64) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    } else if n >= 1024 {
        format!("{:.1} KB", n as f64 / 1024.0)
    } else {
        format!("{n} bytes")
    }
}

// ---------------------------------------------------------------------------------------------
// Serving

/// The address to open in a browser: a wildcard listen address is reached via localhost.
fn browser_address(addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        format!("http://localhost:{}/ (listening on all interfaces)", addr.port())
    } else {
        format!("http://{addr}/")
    }
}

async fn serve(store: Store, host: &str, port: u16, web: caremarket_web::WebSettings, announce: impl FnOnce(SocketAddr)) -> Result<()> {
    let state = caremarket_web::AppState::new(store.clone(), web).map_err(|e| anyhow!("could not load the page templates: {e}"))?;
    let app = caremarket_web::router(state);
    let listener = tokio::net::TcpListener::bind((host, port))
        .await
        .with_context(|| format!("could not listen on {host} port {port}: another program may be using it; choose another with --port"))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, backend = store.backend().name(), "listening");
    announce(addr);
    let sessions = DbSessionStore::new(store);
    let cleanup = tokio::spawn(async move {
        let mut every = tokio::time::interval(SESSION_CLEANUP_INTERVAL);
        loop {
            every.tick().await;
            match sessions.delete_expired().await {
                Ok(n) => tracing::debug!(removed = n, "expired sessions removed"),
                Err(e) => tracing::warn!(error = %e, "could not remove expired sessions"),
            }
        }
    });
    let served = caremarket_web::serve(listener, app, caremarket_web::ServeLimits::default(), shutdown_signal()).await;
    cleanup.abort();
    served.context("the web server stopped with an error")?;
    println!("caremarket has stopped.");
    Ok(())
}

/// Ctrl-C, or SIGTERM from a service manager.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in progress");
}

async fn demo(settings: &Settings, args: DemoArgs) -> Result<()> {
    std::fs::create_dir_all(&args.data_dir).with_context(|| format!("could not create the demo folder {}", args.data_dir.display()))?;
    let db = args.data_dir.join("caremarket.db");
    let store = connect(&format!("sqlite://{}", db.display())).await?;
    if !caremarket_demo::is_seeded(&store).await.map_err(|e| anyhow!("could not read the demo database: {e}"))? {
        println!("Creating the demo council in {} (seed {}, scale {})...", db.display(), args.seed, args.scale);
        let started = std::time::Instant::now();
        let options = caremarket_demo::DemoOptions { seed: args.seed, scale: args.scale, today: caremarket_store::today() };
        let pb = progress_bar("Creating the demo council".into());
        let bar = pb.clone();
        let mut progress = move |done: u64, total: u64| {
            bar.set_length(total);
            bar.set_position(done);
        };
        let summary = caremarket_demo::generate_with_progress(&store, &options, &mut progress)
            .await
            .map_err(|e| anyhow!("could not create the demo council: {e}"))?;
        pb.finish_and_clear();
        println!(
            "Created {} providers, {} services, {} ratings and {} placements in {:.1}s.",
            summary.providers,
            summary.services,
            summary.ratings,
            summary.placements,
            started.elapsed().as_secs_f64()
        );
    } else {
        println!("Using the demo council already in {} (delete the folder to start again).", db.display());
    }
    let users = store.users().await?;
    // The demo is self-contained: its database, host and port come from its own flags.
    let host = args.host.unwrap_or_else(|| DEFAULT_HOST.to_string());
    let port = args.port.unwrap_or(DEFAULT_PORT);
    let web = caremarket_web::WebSettings { secure_cookies: false, ..settings.web() };
    serve(store, &host, port, web, move |addr| {
        println!();
        println!("caremarket demo is running at {}", browser_address(addr));
        println!();
        println!("Sign in as any of these, with the password {}:", caremarket_demo::DEMO_PASSWORD);
        for u in users.iter().filter(|u| u.role != Role::Provider) {
            println!("  {:<45} {}", u.email, u.role.label());
        }
        let providers: Vec<_> = users.iter().filter(|u| u.role == Role::Provider).collect();
        match providers.as_slice() {
            [] => {}
            [only] => println!("  {:<45} {}", only.email, only.role.label()),
            [first, rest @ ..] => {
                println!("  {:<45} {} (and {} more provider users)", first.email, first.role.label(), rest.len())
            }
        }
        println!();
        println!("Press Ctrl-C to stop.");
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Importing

/// A progress bar on stderr, hidden when stderr is not a terminal (scripts, logs, tests).
fn progress_bar(message: String) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(
        None,
        if std::io::stderr().is_terminal() { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() },
    );
    pb.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {percent}% ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(message);
    pb.enable_steady_tick(Duration::from_millis(200));
    pb
}

/// Who the command line acts as in the audit log: the operating system account.
fn cli_actor() -> Actor {
    let user = std::env::var("USER").or_else(|_| std::env::var("USERNAME")).ok().filter(|u| !u.trim().is_empty());
    match user {
        Some(u) => Actor::system(&format!("cli:{}", u.trim())),
        None => Actor::system("cli"),
    }
}

/// The name recorded for an import: the file's own name, not the folders around it.
fn file_label(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

async fn import_cqc(store: &Store, files: &[PathBuf]) -> Result<()> {
    let actor = cli_actor();
    let council_las = store.council_local_authorities().await?;

    // Read every file before changing anything, so that one unreadable file stops the lot.
    let mut parsed = Vec::new();
    let mut unreadable = 0usize;
    for path in files {
        let pb = progress_bar(format!("Reading {}", file_label(path)));
        let bar = pb.clone();
        let p = path.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let mut progress = |done: u64, total: Option<u64>| {
                if let Some(t) = total {
                    bar.set_length(t);
                }
                bar.set_position(done);
            };
            caremarket_ingest::parse_cqc_file(&p, &mut progress)
        })
        .await
        .context("reading the file was interrupted")?;
        pb.finish_and_clear();
        match outcome {
            Ok(o) => parsed.push((path, o)),
            Err(e) => {
                unreadable += 1;
                // The parser's message names the file and says what to do.
                eprintln!("error: {e}");
                store.record_failed_import(&actor, &file_label(path), &e.to_string()).await?;
            }
        }
    }
    if unreadable > 0 {
        bail!("{unreadable} of {} file{} could not be read; nothing was imported", files.len(), if files.len() == 1 { "" } else { "s" });
    }

    for (path, outcome) in parsed {
        let options = ImportOptions {
            file_name: file_label(path),
            format: outcome.format.label().to_string(),
            complete_register: outcome.is_complete_register,
            council_local_authorities: council_las.clone(),
        };
        let rejection_lines = outcome.rejection_messages();
        let pb = progress_bar(format!("Applying {}", file_label(path)));
        pb.set_length(outcome.records.len() as u64);
        let bar = pb.clone();
        let mut progress = move |done: u64, total: u64| {
            bar.set_length(total);
            bar.set_position(done);
        };
        let report = store
            .import_cqc(&actor, &options, &outcome.records, outcome.rejections, &mut progress)
            .await
            .with_context(|| format!("could not import {}; nothing from it was changed", path.display()))?;
        pb.finish_and_clear();
        println!("Imported {} ({}): {} rows read", path.display(), report.format, outcome.rows_read);
        for (label, n) in [
            ("New", report.new),
            ("Updated", report.updated),
            ("Unchanged", report.unchanged),
            ("Deregistered", report.deregistered),
            ("Rejected", report.rejected),
        ] {
            println!("  {label:<14}{n:>8}");
        }
        if report.rating_changes > 0 {
            println!(
                "  {} rating change{} recorded in the history",
                report.rating_changes,
                if report.rating_changes == 1 { "" } else { "s" }
            );
        }
        if !rejection_lines.is_empty() {
            println!("Rejected:");
            for line in &rejection_lines {
                println!("  {line}");
            }
        }
        println!("The report is saved in caremarket at /imports/{}", report.id);
    }
    Ok(())
}

async fn council(store: &Store, args: CouncilArgs) -> Result<()> {
    if let Some(name) = args.name.as_deref().map(str::trim) {
        if name.is_empty() {
            bail!("Enter the council's name, like \"Oldham Council\"");
        }
        store.set_setting_by(&cli_actor(), "council_name", name).await?;
    }
    let las: Vec<&str> = args.local_authorities.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
    if let Some(bad) = las.iter().find(|s| s.contains(';')) {
        bail!("'{bad}' is not a local authority name: give each with its own --local-authority");
    }
    if !las.is_empty() {
        store.set_setting_by(&cli_actor(), "council_local_authorities", &las.join(";")).await?;
    }
    let name = store.setting("council_name").await?;
    let current = store.council_local_authorities().await?;
    println!("Council: {}", name.as_deref().unwrap_or("(not set: pages say \"Council\")"));
    if current.is_empty() {
        println!("Local authorities: (not set: every imported service counts as in the area)");
    } else {
        println!("Local authorities: {}", current.join(", "));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Accounts

fn valid_roles() -> String {
    Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
}

/// The new account's password: CAREMARKET_PASSWORD for scripts, otherwise asked for twice
/// without echo.
fn read_password() -> Result<SecretString> {
    if let Ok(p) = std::env::var("CAREMARKET_PASSWORD") {
        return Ok(SecretString::from(p));
    }
    if !std::io::stdin().is_terminal() {
        bail!("No password given: set CAREMARKET_PASSWORD to give it from a script, or run this in a terminal to be asked for it");
    }
    let first = rpassword::prompt_password(format!("Password (at least {MIN_PASSWORD_LEN} characters): "))
        .context("could not read the password from the terminal; to give it from a script, set CAREMARKET_PASSWORD")?;
    if first.chars().count() < MIN_PASSWORD_LEN {
        bail!("Password must be at least {MIN_PASSWORD_LEN} characters; nothing was created");
    }
    let second = rpassword::prompt_password("Type the password again: ").context("could not read the password from the terminal")?;
    if first != second {
        bail!("The passwords do not match; nothing was created");
    }
    Ok(SecretString::from(first))
}

async fn user_add(store: &Store, args: UserAddArgs) -> Result<()> {
    let role = Role::parse(&args.role).ok_or_else(|| anyhow!("'{}' is not a role. Valid roles: {}", args.role, valid_roles()))?;
    let password = read_password()?;
    let user = store
        .create_user(
            &cli_actor(),
            NewUser {
                email: &args.email,
                display_name: &args.name,
                password: password.expose_secret(),
                role,
                provider_id: args.provider_id.as_deref(),
            },
        )
        .await
        .map_err(store_error)?;
    println!("Created {} account for {} <{}>.", role.label(), user.display_name, user.email);
    Ok(())
}

async fn user_list(store: &Store) -> Result<()> {
    let users = store.users().await?;
    if users.is_empty() {
        println!("There are no accounts yet. Create the first administrator with:");
        println!("  caremarket user add --role admin --email EMAIL --name NAME");
        return Ok(());
    }
    println!("{:<40} {:<28} {:<24} {:<9} Last signed in", "Email", "Name", "Role", "Status");
    for u in &users {
        println!(
            "{:<40} {:<28} {:<24} {:<9} {}",
            u.email,
            u.display_name,
            u.role.as_str(),
            if u.active { "active" } else { "inactive" },
            u.last_sign_in_at.as_deref().and_then(|t| t.get(..16)).map(|t| t.replace('T', " ")).unwrap_or_else(|| "never".into())
        );
    }
    println!("{} account{}", users.len(), if users.len() == 1 { "" } else { "s" });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths() {
        assert_eq!(sqlite_path("sqlite://data/caremarket.db"), Some(PathBuf::from("data/caremarket.db")));
        assert_eq!(sqlite_path("sqlite:///var/lib/cm.db?mode=rwc"), Some(PathBuf::from("/var/lib/cm.db")));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://x@y/z"), None);
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://cm:s3cret@db.example:5432/cm"), "postgres://cm:***@db.example:5432/cm");
        assert_eq!(redact("postgres://cm@db/cm"), "postgres://cm@db/cm");
        assert_eq!(redact("sqlite://data/caremarket.db"), "sqlite://data/caremarket.db");
        assert_eq!(without_password("postgres://cm:s3cret@db/cm?sslmode=require"), "postgres://cm@db/cm?sslmode=require");
    }

    #[test]
    fn settings_debug_hides_the_database_url() {
        let s = Settings {
            database_url: SecretString::from("postgres://cm:s3cret@db/cm"),
            port: 1,
            host: "h".into(),
            secure_cookies: true,
            max_upload_mb: 1,
        };
        assert!(!format!("{s:?}").contains("s3cret"));
    }

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
