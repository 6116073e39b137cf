//! The `caremarket` command: run the web application (`serve`, or `demo` with a generated
//! council), import CQC data, manage accounts, migrate and back up the database.
//!
//! Errors stop here as `anyhow` errors with messages an officer can act on; the exit code is 1.

/// mimalloc instead of glibc's allocator: rendering a page makes many small allocations, and
/// under 32 clients glibc's malloc, free and consolidation took about a fifth of the server's
/// CPU (perf, benchmarks/pages.md). The bench uses it too, so that it measures what `serve` runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::{Context, Result, anyhow, bail};
use caremarket_core::access::Role;
use caremarket_core::passwords::PasswordContext;
use caremarket_core::register::import_plan::Completeness;
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

mod ecm;

const DEFAULT_DATABASE_URL: &str = "sqlite://data/caremarket.db";
const DEFAULT_CONFIG_FILE: &str = "caremarket.toml";
const DEFAULT_PORT: u16 = 8080;
const DEFAULT_HOST: &str = "127.0.0.1";
const DEFAULT_MAX_UPLOAD_MB: u64 = 64;
/// Evidence files on actions, visits and claims (issue 16 item 18).
const DEFAULT_MAX_EVIDENCE_MB: u64 = 20;
const DEFAULT_DEMO_DIR: &str = "data/demo";
/// Options every command takes, listed apart from each command's own in `--help`.
const GLOBAL_OPTIONS: &str = "Global options (every command)";
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
    #[arg(long, global = true, value_name = "URL", help_heading = GLOBAL_OPTIONS)]
    database_url: Option<String>,

    /// What to log, e.g. info, debug or caremarket_web=debug (as RUST_LOG, which is used when
    /// this is not given; default info for serve and demo, warn otherwise)
    #[arg(long, global = true, value_name = "LEVEL", help_heading = GLOBAL_OPTIONS)]
    log: Option<String>,

    /// Configuration file [default: caremarket.toml in the current directory, if it exists]
    #[arg(long, global = true, value_name = "FILE", env = "CAREMARKET_CONFIG", help_heading = GLOBAL_OPTIONS)]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start caremarket with a generated demo council on its own SQLite database (or on an empty
    /// database given with --database-url, e.g. PostgreSQL)
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
    /// List, add and change contract frameworks, and put services on their lots
    #[command(subcommand)]
    Framework(FrameworkCommand),
    /// Write committee papers: the quarterly Market Oversight Report
    #[command(subcommand)]
    Report(ReportCommand),
    /// Home care: planned visits against electronic call monitoring (no database)
    #[command(subcommand)]
    Ecm(ecm::EcmCommand),
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
    /// Load postcode positions from the ONS postcode directory (NSPD CSV with pcd, oseast1m,
    /// osnrth1m; plain or .gz), for the latitude and longitude in the Open Referral feed.
    /// Replaces the positions loaded before.
    Postcodes(ImportPostcodesArgs),
    /// Import a period's planned home care visits and the call monitoring export into the
    /// database (the same as the web upload at /ecm/import; docs/ecm.md)
    Ecm(ecm::ImportEcmArgs),
    /// Import spend from the finance system's CSV (supplier, cost_centre, period, amount; any
    /// column order). All rows or none: every problem is listed with its row and column. The
    /// spend already held for each cost centre and month in the file is replaced.
    Spend(ImportSpendArgs),
}

#[derive(Args)]
struct ImportSpendArgs {
    /// The spend CSV file
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

#[derive(Args)]
struct ImportPostcodesArgs {
    /// The NSPD file, e.g. postcodes_nspd_nov2025_pcd_east_north_lad25.csv.gz
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

#[derive(Args)]
struct ImportCqcArgs {
    /// Files (or folders of API JSON) to import, in order
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The files are CQC's complete register for the local authorities they cover (the whole
    /// directory, or every location of those authorities): a registered service of those
    /// authorities that a file does not list is marked deregistered
    #[arg(long, conflicts_with = "partial")]
    complete: bool,
    /// The files hold some rows only (a sample or an extract): nothing is deregistered. This is
    /// what happens when neither --complete nor --partial is given
    #[arg(long)]
    partial: bool,
    /// Go ahead when a complete file would mark more than a few services deregistered (without
    /// it the import is refused, showing how many and some of their names)
    #[arg(long, requires = "complete")]
    confirm_deregistrations: bool,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account. The password is read from CAREMARKET_PASSWORD if set, otherwise asked for twice
    #[command(after_help = USER_ADD_HELP)]
    Add(UserAddArgs),
    /// List accounts
    List,
    /// Give an account a temporary password (printed once) that must be changed at its next
    /// sign-in, and end its sessions: for an administrator who cannot sign in
    ResetPassword(UserResetArgs),
    /// List the identity provider's groups that give a role at single sign-on
    Groups,
    /// Give everyone in one of the identity provider's groups a role when they sign in with it
    MapGroup(MapGroupArgs),
    /// Stop a group giving a role at single sign-on
    UnmapGroup(UnmapGroupArgs),
}

#[derive(Args)]
struct MapGroupArgs {
    /// The group's name or id exactly as the identity provider sends it in the groups claim
    #[arg(long)]
    group: String,
    /// admin, commissioner, quality_officer, brokerage_officer, direct_payments_officer, viewer, councillor
    /// or scrutiny_officer
    #[arg(long)]
    role: String,
}

#[derive(Args)]
struct UnmapGroupArgs {
    /// The group's name or id, as `caremarket user groups` lists it
    #[arg(long)]
    group: String,
}

#[derive(Args)]
struct UserResetArgs {
    /// The email address the account signs in with
    #[arg(long)]
    email: String,
}

/// Kept beside `MIN_PASSWORD_LEN`: a test checks the number here is the rule the store applies.
const USER_ADD_HELP: &str = "The password must be at least 12 characters and hard to guess: not only spaces, one \
character repeated or a sequence, not the email address or the council's name, and not a common or leaked password \
(three random words together are a good choice). From a script, give it in CAREMARKET_PASSWORD; \
in a terminal you are asked for it twice. The person is asked to choose their own password when they first \
sign in.\n\n\
A provider account (--role provider) must name its provider with --provider-id: the caremarket id shown on \
the provider's page (/providers/ID). Provider users see only their own provider's services, returns and \
actions. Other roles must not have --provider-id.\n\n\
The account is created in the database given by --database-url or CAREMARKET_DATABASE_URL \
(default sqlite://data/caremarket.db); the command says which.";

#[derive(Args)]
struct UserAddArgs {
    /// admin, commissioner, quality_officer, brokerage_officer, direct_payments_officer, viewer, councillor,
    /// scrutiny_officer or provider
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
    /// Services elsewhere are kept but marked out of area. Setting it recalculates "in the
    /// council's area" for every service at once. Set it before the first import
    #[arg(long = "local-authority", value_name = "NAME")]
    local_authorities: Vec<String>,
}

#[derive(Subcommand)]
enum ReportCommand {
    /// The quarterly Market Oversight Report as at a date, as Word or HTML (a published quarter
    /// is written as it was frozen)
    Quarterly(QuarterlyArgs),
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ReportFormat {
    Docx,
    Html,
}

#[derive(Args)]
struct QuarterlyArgs {
    /// The date the figures are as at (YYYY-MM-DD), usually a quarter's last day
    #[arg(long, value_name = "DATE")]
    as_at: String,
    /// docx (Word) or html
    #[arg(long, value_enum, default_value = "docx")]
    format: ReportFormat,
    /// File to write
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

#[derive(Subcommand)]
enum FrameworkCommand {
    /// List the frameworks with their lots and services
    List,
    /// Add a framework
    Add(FrameworkArgs),
    /// Change a framework (every setting is replaced by the ones given)
    Edit {
        /// The framework's id or name
        framework: String,
        #[command(flatten)]
        args: FrameworkArgs,
    },
    /// Put a service on a lot (or move it to another lot of the same framework)
    AddMember {
        /// The framework's id or name
        framework: String,
        /// The lot's name
        lot: String,
        /// The service's id or CQC location id
        service: String,
    },
    /// Take a service off a framework (its contract status becomes "not contracted")
    RemoveMember {
        /// The framework's id or name
        framework: String,
        /// The service's id or CQC location id
        service: String,
    },
}

#[derive(Args)]
struct FrameworkArgs {
    /// The framework's name, e.g. "Home Care Framework 2025"
    #[arg(long)]
    name: String,
    /// A lot's name; repeat for several, e.g. --lot "Lot 1 - North" --lot "Lot 2 - South"
    #[arg(long = "lot", value_name = "NAME")]
    lots: Vec<String>,
    /// A type of service it covers (home_care, care_home_residential, ...); repeat for several
    #[arg(long = "kind", value_name = "KIND")]
    kinds: Vec<String>,
    /// First day, YYYY-MM-DD
    #[arg(long, value_name = "DATE")]
    starts: Option<String>,
    /// Last day, YYYY-MM-DD
    #[arg(long, value_name = "DATE")]
    ends: Option<String>,
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
    sign_in_burst: Option<u32>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    outbox_dir: Option<PathBuf>,
    evidence_dir: Option<PathBuf>,
    max_evidence_mb: Option<u64>,
    public_url: Option<String>,
    oidc_issuer_url: Option<String>,
    oidc_client_id: Option<String>,
    oidc_client_secret: Option<String>,
    oidc_redirect_base_url: Option<String>,
    oidc_display_name: Option<String>,
    oidc_extra_scopes: Option<String>,
    max_connections_per_address: Option<usize>,
    public_page_seconds: Option<u64>,
    officer_page_seconds: Option<u64>,
}

/// Typed settings with defaults applied. The database URL is a secret: `Debug` hides it.
#[derive(Debug)]
struct Settings {
    database_url: SecretString,
    port: u16,
    host: String,
    secure_cookies: bool,
    max_upload_mb: u64,
    /// Sign-in attempts one address may make at once before it is slowed (the web's default
    /// when not set).
    sign_in_burst: Option<u32>,
    /// An SMTP relay's URL (may hold a password); without one, mail goes to `outbox_dir`.
    smtp_url: Option<SecretString>,
    mail_from: String,
    outbox_dir: PathBuf,
    /// Where evidence files are kept: `evidence/` beside the SQLite database by default.
    evidence_dir: PathBuf,
    max_evidence_mb: u64,
    public_url: Option<String>,
    single_sign_on: Option<caremarket_web::single_sign_on::SingleSignOnSettings>,
    /// Connections one client address may hold (0: no limit, for a reverse proxy on another
    /// host); loopback is exempt.
    max_connections_per_address: usize,
    /// How long a copy of a public directory page may be served (0: none).
    public_page_seconds: u64,
    /// How long a session's own copy of an officer's page may be served (0: none).
    officer_page_seconds: u64,
}

const SETTING_KEYS: [&str; 21] = [
    "database_url",
    "port",
    "host",
    "secure_cookies",
    "max_upload_mb",
    "sign_in_burst",
    "smtp_url",
    "mail_from",
    "outbox_dir",
    "evidence_dir",
    "max_evidence_mb",
    "public_url",
    "oidc_issuer_url",
    "oidc_client_id",
    "oidc_client_secret",
    "oidc_redirect_base_url",
    "oidc_display_name",
    "oidc_extra_scopes",
    "max_connections_per_address",
    "public_page_seconds",
    "officer_page_seconds",
];

/// Without an SMTP relay, mail is written to `outbox/` beside the SQLite database (its data
/// folder), or in the working folder for PostgreSQL.
fn default_outbox(database_url: &str) -> PathBuf {
    database_url
        .strip_prefix("sqlite://")
        .map(|path| Path::new(path.split('?').next().unwrap_or(path)).parent().unwrap_or(Path::new("")).join("outbox"))
        .unwrap_or_else(|| PathBuf::from("outbox"))
}

/// Evidence files (issue 16 item 18) are kept in `evidence/` beside the SQLite database (its
/// data folder), or in the working folder for PostgreSQL unless `evidence_dir` says where.
fn default_evidence_dir(database_url: &str) -> PathBuf {
    default_outbox(database_url).with_file_name("evidence")
}

/// Single sign-on is on when an issuer is given, and then needs every other `oidc_` setting but
/// the extra scopes: half a configuration is an error at start, not a broken sign-in page later.
fn single_sign_on_settings(raw: &RawSettings) -> Result<Option<caremarket_web::single_sign_on::SingleSignOnSettings>> {
    let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
    let Some(issuer_url) = given(&raw.oidc_issuer_url) else {
        if given(&raw.oidc_client_id).is_some() || given(&raw.oidc_client_secret).is_some() {
            bail!(
                "The configuration is not valid: oidc_issuer_url is needed for single sign-on (oidc_client_id or oidc_client_secret is set)"
            );
        }
        return Ok(None);
    };
    let need = |v: &Option<String>, key: &str| {
        given(v).ok_or_else(|| anyhow!("The configuration is not valid: {key} is needed for single sign-on (oidc_issuer_url is set)"))
    };
    let redirect_base_url = need(&raw.oidc_redirect_base_url, "oidc_redirect_base_url")?;
    for (key, url) in [("oidc_issuer_url", &issuer_url), ("oidc_redirect_base_url", &redirect_base_url)] {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            bail!("The configuration is not valid: {key} must be an address starting https:// (found '{url}')");
        }
    }
    Ok(Some(caremarket_web::single_sign_on::SingleSignOnSettings {
        issuer_url,
        client_id: need(&raw.oidc_client_id, "oidc_client_id")?,
        client_secret: SecretString::from(need(&raw.oidc_client_secret, "oidc_client_secret")?),
        redirect_base_url,
        display_name: need(&raw.oidc_display_name, "oidc_display_name")?,
        extra_scopes: raw.oidc_extra_scopes.as_deref().unwrap_or("").split_whitespace().map(str::to_string).collect(),
    }))
}

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
        let max_evidence_mb = raw.max_evidence_mb.unwrap_or(DEFAULT_MAX_EVIDENCE_MB);
        if max_evidence_mb == 0 {
            bail!("The configuration is not valid: max_evidence_mb must be at least 1");
        }
        let single_sign_on = single_sign_on_settings(&raw)?;
        let database_url = cli.database_url.clone().or(raw.database_url).unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string());
        Ok(Settings {
            smtp_url: raw.smtp_url.filter(|u| !u.trim().is_empty()).map(SecretString::from),
            mail_from: raw.mail_from.unwrap_or_else(|| "caremarket <no-reply@localhost>".to_string()),
            outbox_dir: raw.outbox_dir.unwrap_or_else(|| default_outbox(&database_url)),
            evidence_dir: raw.evidence_dir.unwrap_or_else(|| default_evidence_dir(&database_url)),
            max_evidence_mb,
            public_url: raw.public_url,
            database_url: SecretString::from(database_url),
            port: raw.port.unwrap_or(DEFAULT_PORT),
            host: raw.host.unwrap_or_else(|| DEFAULT_HOST.to_string()),
            secure_cookies: raw.secure_cookies.unwrap_or(false),
            max_upload_mb,
            sign_in_burst: raw.sign_in_burst.map(|b| b.max(1)),
            single_sign_on,
            max_connections_per_address: raw
                .max_connections_per_address
                .unwrap_or(caremarket_web::ServeLimits::default().max_connections_per_address),
            public_page_seconds: raw.public_page_seconds.unwrap_or(caremarket_web::WebSettings::default().public_page_seconds),
            officer_page_seconds: raw.officer_page_seconds.unwrap_or(caremarket_web::WebSettings::default().officer_page_seconds),
        })
    }

    fn serve_limits(&self) -> caremarket_web::ServeLimits {
        caremarket_web::ServeLimits { max_connections_per_address: self.max_connections_per_address, ..Default::default() }
    }

    fn web(&self) -> caremarket_web::WebSettings {
        caremarket_web::WebSettings {
            secure_cookies: self.secure_cookies,
            max_upload_bytes: usize::try_from(self.max_upload_mb.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX),
            evidence_dir: self.evidence_dir.clone(),
            max_evidence_bytes: usize::try_from(self.max_evidence_mb.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX),
            mail: match &self.smtp_url {
                Some(url) => caremarket_web::mail::MailSettings::Smtp(url.clone()),
                None => caremarket_web::mail::MailSettings::Outbox(self.outbox_dir.clone()),
            },
            mail_from: self.mail_from.clone(),
            public_url: self.public_url.clone().unwrap_or_else(|| format!("http://{}:{}", self.host, self.port)),
            single_sign_on: self.single_sign_on.clone(),
            sign_in_burst: self.sign_in_burst.unwrap_or(caremarket_web::WebSettings::default().sign_in_burst),
            public_page_seconds: self.public_page_seconds,
            officer_page_seconds: self.officer_page_seconds,
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
    let url = settings.database_url.expose_secret();
    // Every command that works on the database says which one, so that an account or an import
    // never lands somewhere the operator did not mean (the default is a SQLite file).
    if matches!(
        cli.command,
        Command::Serve(_) | Command::Import(_) | Command::User(_) | Command::Council(_) | Command::Framework(_) | Command::Report(_)
    ) {
        println!("Database: {} ({})", redact(url), backend_label(url));
    }
    match cli.command {
        Command::Demo(args) => demo(&settings, cli.database_url.as_deref(), args).await,
        Command::Serve(args) => {
            let store = connect(settings.database_url.expose_secret()).await?;
            let host = args.host.unwrap_or_else(|| settings.host.clone());
            let port = args.port.unwrap_or(settings.port);
            let no_accounts = store.count_users().await? == 0;
            serve(store, &host, port, settings.web(), settings.serve_limits(), move |addr| {
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
            import_cqc(&store, &args).await
        }
        Command::Import(ImportCommand::Postcodes(args)) => {
            let store = connect(settings.database_url.expose_secret()).await?;
            import_postcodes(&store, &args.file).await
        }
        Command::Import(ImportCommand::Ecm(args)) => {
            let store = connect(settings.database_url.expose_secret()).await?;
            ecm::import(&store, args).await
        }
        Command::Import(ImportCommand::Spend(args)) => {
            let store = connect(settings.database_url.expose_secret()).await?;
            import_spend(&store, &args.file).await
        }
        Command::User(UserCommand::Add(args)) => {
            let store = connect(settings.database_url.expose_secret()).await?;
            user_add(&store, url, args).await
        }
        Command::User(UserCommand::ResetPassword(args)) => {
            let store = connect(settings.database_url.expose_secret()).await?;
            user_reset_password(&store, url, args).await
        }
        Command::User(UserCommand::List) => {
            let store = connect(settings.database_url.expose_secret()).await?;
            user_list(&store).await
        }
        Command::User(UserCommand::Groups) => {
            let store = connect(settings.database_url.expose_secret()).await?;
            user_groups(&store).await
        }
        Command::User(UserCommand::MapGroup(args)) => {
            let store = connect(settings.database_url.expose_secret()).await?;
            let role = Role::parse(&args.role).filter(|r| *r != Role::Provider).ok_or_else(|| {
                anyhow!(
                    "--role must be one of admin, commissioner, quality_officer, brokerage_officer, direct_payments_officer, viewer, councillor, scrutiny_officer; found '{}'",
                    args.role
                )
            })?;
            let m = store.map_group(&cli_actor(), &args.group, role).await.map_err(store_error)?;
            println!("People in the group {} now get the role {} when they sign in with single sign-on.", m.group, m.role.label());
            Ok(())
        }
        Command::User(UserCommand::UnmapGroup(args)) => {
            let store = connect(settings.database_url.expose_secret()).await?;
            store.unmap_group(&cli_actor(), &args.group).await.map_err(store_error)?;
            println!("The group {} no longer gives a role at single sign-on.", args.group.trim());
            Ok(())
        }
        Command::Council(args) => {
            let store = connect(settings.database_url.expose_secret()).await?;
            council(&store, args).await
        }
        Command::Framework(cmd) => {
            let store = connect(settings.database_url.expose_secret()).await?;
            framework(&store, cmd).await
        }
        Command::Report(ReportCommand::Quarterly(args)) => {
            let store = connect(settings.database_url.expose_secret()).await?;
            report_quarterly(&store, args).await
        }
        Command::Ecm(cmd) => ecm::run(cmd),
        Command::Migrate => migrate(settings.database_url.expose_secret()).await,
        Command::Backup(args) => backup(settings.database_url.expose_secret(), args.output, &settings.evidence_dir).await,
    }
}

// ---------------------------------------------------------------------------------------------
// Reports

async fn report_quarterly(store: &Store, args: QuarterlyArgs) -> Result<()> {
    let as_at: caremarket_core::Date =
        args.as_at.parse().map_err(|_| anyhow!("--as-at: '{}' is not a date (use YYYY-MM-DD)", args.as_at))?;
    if as_at > caremarket_store::today() {
        bail!("--as-at: {as_at} is in the future; choose today or an earlier date");
    }
    let report = caremarket_web::reports::build_quarterly(store, as_at).await?;
    let bytes = match args.format {
        ReportFormat::Docx => caremarket_web::reports::docx::render(&report).map_err(|e| anyhow!("writing the Word document: {e}"))?,
        ReportFormat::Html => caremarket_web::reports::html(&report)?.into_bytes(),
    };
    std::fs::write(&args.out, &bytes).with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "Wrote the Market Oversight Report {} as at {} ({}) to {}",
        report.title,
        as_at,
        if report.published.is_some() { "published" } else { "draft" },
        args.out.display()
    );
    Ok(())
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

fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres:") || url.starts_with("postgresql:")
}

fn backend_label(url: &str) -> &'static str {
    if is_postgres_url(url) { "PostgreSQL" } else { "SQLite" }
}

/// The parts of a PostgreSQL URL a person needs to fix a connection: host, port, user, database.
#[derive(Debug, PartialEq)]
struct PgTarget {
    host: String,
    port: String,
    user: Option<String>,
    database: String,
}

fn pg_target(url: &str) -> Option<PgTarget> {
    let rest = &url[url.find("://")? + 3..];
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (userinfo, hostport) = authority.rsplit_once('@').map(|(u, h)| (Some(u), h)).unwrap_or((None, authority));
    let user = userinfo.map(|u| u.split(':').next().unwrap_or(u).to_string()).filter(|u| !u.is_empty());
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || hostport.starts_with('[') => (h.to_string(), p.to_string()),
        _ => (hostport.to_string(), "5432".to_string()),
    };
    let database = path.split('?').next().unwrap_or("").to_string();
    let database = if database.is_empty() { user.clone().unwrap_or_else(|| "postgres".into()) } else { database };
    Some(PgTarget { host: if host.is_empty() { "localhost".into() } else { host }, port, user, database })
}

/// A PostgreSQL connection failure as something a person can act on. The driver's own text ends
/// in the server's source line ("at line 948"), which means nothing to an operator.
fn pg_connect_error(url: &str, message: &str) -> anyhow::Error {
    let message = match message.rfind(" at line ") {
        Some(i) if message[i + 9..].chars().all(|c| c.is_ascii_digit()) => &message[..i],
        _ => message,
    };
    let Some(t) = pg_target(url) else {
        return anyhow!("could not open the database {}: {message}", redact(url));
    };
    let lower = message.to_ascii_lowercase();
    if lower.contains("does not exist") && lower.contains("database") {
        let user = t.user.as_deref().map(|u| format!(" -U {u}")).unwrap_or_default();
        anyhow!(
            "the PostgreSQL database \"{db}\" does not exist on {host}:{port}. Create it first, for example with:\n  createdb -h {host} -p {port}{user} {db}\nthen run the command again (caremarket creates its tables itself).",
            db = t.database,
            host = t.host,
            port = t.port,
        )
    } else if lower.contains("connection refused") || lower.contains("timed out") || lower.contains("no route to host") {
        anyhow!(
            "nothing is answering at {}:{} (PostgreSQL): is PostgreSQL running there, and are the host and port in the database URL right? ({message})",
            t.host,
            t.port
        )
    } else if lower.contains("password authentication failed") || lower.contains("no password") || lower.contains("authentication") {
        anyhow!(
            "PostgreSQL at {}:{} refused the sign-in for user {}: check the user and password in the database URL ({message})",
            t.host,
            t.port,
            t.user.as_deref().unwrap_or("(none given)")
        )
    } else {
        anyhow!("could not open the database {}: {message}", redact(url))
    }
}

/// How long to wait for PostgreSQL to answer before saying it does not.
const PG_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Open the database (creating a SQLite file and its folder if needed) and apply migrations.
async fn connect(url: &str) -> Result<Store> {
    if let Some(path) = sqlite_path(url)
        && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).with_context(|| format!("could not create the folder {} for the database", dir.display()))?;
    }
    if is_postgres_url(url) {
        // One plain connection first: the pool retries a refused connection until its 30-second
        // acquire timeout and then reports only "pool timed out", hiding the cause.
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        match tokio::time::timeout(PG_CONNECT_TIMEOUT, sqlx::AnyConnection::connect(url)).await {
            Err(_) => return Err(pg_connect_error(url, "timed out")),
            Ok(Err(e)) => return Err(pg_connect_error(url, &e.to_string())),
            Ok(Ok(conn)) => {
                let _ = conn.close().await;
            }
        }
    }
    Store::connect(url).await.map_err(|e| match e {
        StoreError::UnsupportedUrl(_) => {
            anyhow!("'{}' is not a database URL caremarket can use: give sqlite://FILE or postgres://USER@HOST/DATABASE", redact(url))
        }
        other if is_postgres_url(url) => pg_connect_error(url, &other.to_string()),
        other => anyhow!("could not open the database {}: {other}", redact(url)),
    })
}

/// Store errors as a person can act on them: a validation message alone, without the field name.
fn store_error(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::Invalid(f) => anyhow!("{}", f.message),
        StoreError::Conflict(m) => anyhow!("{m}"),
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

async fn backup(url: &str, output: Option<PathBuf>, evidence_dir: &Path) -> Result<()> {
    let stamp = jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S").to_string();
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        eprintln!("caremarket backup copies SQLite databases. Back up PostgreSQL with its own tool, pg_dump:");
        eprintln!();
        eprintln!("  pg_dump --format=custom --file=caremarket-{stamp}.dump \"{}\"", without_password(url));
        eprintln!();
        eprintln!("pg_dump asks for the password, or reads it from PGPASSWORD or ~/.pgpass.");
        eprintln!("Then copy the evidence files' folder, {}, beside the dump (they are not in the database).", evidence_dir.display());
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
    if evidence_dir.is_dir() && evidence_backup_dir(&dest).exists() {
        bail!("{} already exists: choose another file with --output", evidence_backup_dir(&dest).display());
    }
    let store = connect(url).await?;
    if store.backend() != Backend::Sqlite {
        bail!("backup is for SQLite databases");
    }
    let dest_text = dest.to_str().ok_or_else(|| anyhow!("the backup path {} is not valid text", dest.display()))?;
    store.backup_sqlite(dest_text).await.with_context(|| format!("could not write the backup to {}", dest.display()))?;
    let size = std::fs::metadata(&dest).map(|m| m.len()).unwrap_or(0);
    println!("Backed up {} to {} ({})", db_path.display(), dest.display(), human_bytes(size));
    // The evidence files after the database: every row in the copy has its file on disk
    // already (a file is written before its row is committed).
    let evidence_dest = evidence_backup_dir(&dest);
    let (n, bytes) = copy_evidence(evidence_dir, &evidence_dest)
        .with_context(|| format!("could not copy the evidence files from {} to {}", evidence_dir.display(), evidence_dest.display()))?;
    if n > 0 {
        println!("Backed up {n} evidence files from {} to {} ({})", evidence_dir.display(), evidence_dest.display(), human_bytes(bytes));
    } else {
        println!("There are no evidence files to back up in {}", evidence_dir.display());
    }
    Ok(())
}

/// Where a backup's evidence files go: beside the database copy, `<copy name>-evidence/`.
fn evidence_backup_dir(dest: &Path) -> PathBuf {
    let stem = dest.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "backup".into());
    dest.with_file_name(format!("{stem}-evidence"))
}

/// Copy the evidence folder's kept files (not half-written `.part-` ones) into `to`, created
/// new: (files, bytes). No folder means no files yet.
fn copy_evidence(from: &Path, to: &Path) -> Result<(u64, u64)> {
    if !from.is_dir() {
        return Ok((0, 0));
    }
    if to.exists() {
        bail!("{} already exists: choose another file with --output", to.display());
    }
    std::fs::create_dir_all(to)?;
    let (mut n, mut bytes) = (0, 0);
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') || !entry.file_type()?.is_file() {
            continue;
        }
        bytes += std::fs::copy(entry.path(), to.join(&name))?;
        n += 1;
    }
    Ok((n, bytes))
}

fn human_bytes(n: u64) -> String {
    caremarket_core::evidence::size_in_words(i64::try_from(n).unwrap_or(i64::MAX))
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

/// Listen with a long accept queue (the kernel caps it at `net.core.somaxconn`): under a flood
/// of connections the server accepts and closes those over an address's share quickly, and a
/// short queue would drop a health check's connection before it was ever accepted.
async fn listen(host: &str, port: u16) -> std::io::Result<tokio::net::TcpListener> {
    let mut last = None;
    for addr in tokio::net::lookup_host((host, port)).await? {
        let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
        socket.set_reuseaddr(true)?;
        match socket.bind(addr).and_then(|()| socket.listen(LISTEN_BACKLOG)) {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, "the host name has no address")))
}

/// The accept queue asked for; Linux's default cap (`somaxconn`) is 4096.
const LISTEN_BACKLOG: u32 = 8192;

async fn serve(
    store: Store,
    host: &str,
    port: u16,
    web: caremarket_web::WebSettings,
    limits: caremarket_web::ServeLimits,
    announce: impl FnOnce(SocketAddr),
) -> Result<()> {
    let state = caremarket_web::AppState::new(store.clone(), web).map_err(|e| anyhow!("could not load the page templates: {e}"))?;
    let app = caremarket_web::router(state);
    let listener = listen(host, port)
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
    let served = caremarket_web::serve(listener, app, limits, shutdown_signal()).await;
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

/// The demo's accounts are all at this domain (crates/demo).
const DEMO_EMAIL_DOMAIN: &str = "@demo.caremarket.test";

/// Whether a database holds anything of a council's: accounts or services.
async fn holds_data(store: &Store) -> Result<bool> {
    if store.count_users().await? > 0 {
        return Ok(true);
    }
    let any = caremarket_store::register::ServiceFilter {
        any_area: true,
        registration: Some("all".into()),
        page: 1,
        per_page: 1,
        ..Default::default()
    };
    Ok(store.services(&any).await?.total > 0)
}

async fn demo(settings: &Settings, database_flag: Option<&str>, args: DemoArgs) -> Result<()> {
    // The demo uses its own SQLite file unless a database is named on its command line: a
    // CAREMARKET_DATABASE_URL left in the environment for the real service must never receive
    // a fictional council.
    let (store, db, url) = match database_flag {
        Some(url) => {
            let store = connect(url).await?;
            // A demo made earlier is recognised by its accounts; anything else is a council's.
            let demo_made_earlier = store.users().await?.iter().any(|u| u.email.ends_with(DEMO_EMAIL_DOMAIN));
            if !demo_made_earlier && holds_data(&store).await? {
                bail!(
                    "the database {} already holds accounts or services, so the demo will not add a fictional council to it; give an empty database (for PostgreSQL: createdb caremarket_demo)",
                    redact(url)
                );
            }
            let label = format!("{} ({})", redact(url), store.backend().name());
            (store, label, url.to_string())
        }
        None => {
            if std::env::var_os("CAREMARKET_DATABASE_URL").is_some() {
                println!(
                    "Note: the demo uses its own database in {}; CAREMARKET_DATABASE_URL is not used. To run the demo on another (empty) database, give it with --database-url.",
                    args.data_dir.display()
                );
            }
            std::fs::create_dir_all(&args.data_dir)
                .with_context(|| format!("could not create the demo folder {}", args.data_dir.display()))?;
            let db = args.data_dir.join("caremarket.db");
            let url = format!("sqlite://{}", db.display());
            (connect(&url).await?, db.display().to_string(), url)
        }
    };
    // Evidence files sit beside the demo's SQLite database: in its folder, or beside a file
    // named with --database-url (as for `serve`), so a given file leaves the demo folder
    // untouched. On PostgreSQL they go in the demo folder, never the working folder.
    let evidence_dir = match database_flag {
        Some(url) if sqlite_path(url).is_some() => default_evidence_dir(url),
        _ => args.data_dir.join("evidence"),
    };
    if !caremarket_demo::is_seeded(&store).await.map_err(|e| anyhow!("could not read the demo database: {e}"))? {
        println!("Creating the demo council in {} (seed {}, scale {})...", db, args.seed, args.scale);
        let started = std::time::Instant::now();
        let options = caremarket_demo::DemoOptions { seed: args.seed, scale: args.scale, today: caremarket_store::today() };
        let pb = progress_bar("Creating the demo council".into());
        let bar = pb.clone();
        let mut progress = move |done: u64, total: u64| {
            bar.set_length(total);
            bar.set_position(done);
        };
        // Written through a connection whose commits do not wait for the disk (the demo is
        // made again if it is cut short), then served through the ordinary one.
        let loader = Store::connect_for_bulk_load(&url).await.with_context(|| format!("could not open {db} to create the demo"))?;
        let generated = caremarket_demo::generate_with_progress(&loader, &options, &mut progress).await;
        loader.pool().close().await;
        let summary = generated.map_err(|e| anyhow!("could not create the demo council: {e}"))?;
        pb.finish_and_clear();
        println!(
            "Created {} providers, {} services, {} ratings and {} placements in {:.1}s.",
            summary.providers,
            summary.services,
            summary.ratings,
            summary.placements,
            started.elapsed().as_secs_f64()
        );
        caremarket_demo::seed_evidence(&store, &evidence_dir).await.map_err(|e| anyhow!("could not add the demo's evidence files: {e}"))?;
    } else {
        println!("Using the demo council already in {db} (delete it to start again).");
    }
    let users = store.users().await?;
    // The demo is self-contained: its database, host and port come from its own flags.
    let host = args.host.unwrap_or_else(|| DEFAULT_HOST.to_string());
    let port = args.port.unwrap_or(DEFAULT_PORT);
    // The demo never sends real email: its mail goes to the outbox in its own folder, where
    // the browser journeys read it.
    let web = caremarket_web::WebSettings {
        secure_cookies: false,
        mail: caremarket_web::mail::MailSettings::Outbox(args.data_dir.join("outbox")),
        evidence_dir,
        public_url: format!("http://{host}:{port}"),
        ..settings.web()
    };
    let outbox = args.data_dir.join("outbox");
    serve(store, &host, port, web, settings.serve_limits(), move |addr| {
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
        println!("Email (PA register confirmations) is written to {}, one .eml file a message.", outbox.display());
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

async fn import_postcodes(store: &Store, path: &Path) -> Result<()> {
    let pb = progress_bar(format!("Reading {}", file_label(path)));
    let p = path.to_path_buf();
    let read = tokio::task::spawn_blocking(move || caremarket_ingest::geography::read_postcode_file(&p))
        .await
        .context("reading the file was interrupted")?;
    pb.finish_and_clear();
    let file = read.map_err(|e| anyhow!("{e}; nothing was changed"))?;
    let points: Vec<caremarket_store::postcodes::PostcodePosition> = file
        .points
        .into_iter()
        .map(|p| caremarket_store::postcodes::PostcodePosition { postcode: p.postcode, latitude: p.latitude, longitude: p.longitude })
        .collect();
    let pb = progress_bar(format!("Storing {} postcode positions", points.len()));
    let stored = store
        .replace_postcode_positions(&cli_actor(), &file_label(path), &points)
        .await
        .with_context(|| format!("could not store the postcodes from {}; nothing was changed", path.display()))?;
    pb.finish_and_clear();
    println!("Loaded {stored} postcode positions from {} ({} rows read)", path.display(), file.rows_read);
    if file.skipped_northern_ireland > 0 {
        println!("  {} Northern Ireland postcodes skipped (Irish Grid)", file.skipped_northern_ireland);
    }
    if file.skipped_no_grid > 0 {
        println!("  {} postcodes skipped without a grid reference", file.skipped_no_grid);
    }
    Ok(())
}

/// A spend file refused: every problem on stderr, then the error.
fn refused(path: &Path, problems: &[caremarket_core::quality::RowProblem]) -> Result<()> {
    for p in problems {
        eprintln!("{p}");
    }
    bail!(
        "{} was not imported: {} problem{}; nothing was changed",
        file_label(path),
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    )
}

/// The finance system's spend file: the same reading and checks as the upload on
/// /fees/budgets/upload, all or nothing.
async fn import_spend(store: &Store, path: &Path) -> Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("could not read {}", path.display()))?;
    let rows = match caremarket_ingest::uploads::spend::parse(&bytes) {
        Ok(rows) => rows,
        Err(problems) => return refused(path, &problems),
    };
    match store.import_finance_spend(&cli_actor(), &file_label(path), &rows).await? {
        Ok(s) => {
            println!(
                "Imported {} spend rows from {} ({}){}",
                s.rows,
                path.display(),
                caremarket_core::direct_payments::money::money(s.total_pence),
                if s.replaced > 0 {
                    format!(", replacing {} rows imported before for the same cost centres and months", s.replaced)
                } else {
                    String::new()
                }
            );
            if s.unmatched_suppliers > 0 {
                let n = s.unmatched_suppliers;
                println!(
                    "  {n} supplier{} not matched to a provider: match {} at /fees/budgets/suppliers",
                    if n == 1 { " is" } else { "s are" },
                    if n == 1 { "it" } else { "them" }
                );
            }
            Ok(())
        }
        Err(problems) => refused(path, &problems),
    }
}

async fn import_cqc(store: &Store, args: &ImportCqcArgs) -> Result<()> {
    let files = &args.files;
    let completeness = if args.complete { Completeness::Complete } else { Completeness::Partial };
    let actor = cli_actor();
    let council_las = store.council_local_authorities().await?;

    // Read every file before changing anything, so that one unreadable file stops the lot. This
    // first reading keeps what the file lists, not its locations: each file is read again as it
    // is imported, a batch at a time, so memory does not grow with the file (issue 18 item 1).
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
            caremarket_ingest::list_cqc_file(&p, &mut progress)
        })
        .await
        .context("reading the file was interrupted")?;
        pb.finish_and_clear();
        match outcome {
            Ok((outcome, listed)) => parsed.push((path, outcome, listed)),
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

    let mut imported: Vec<String> = Vec::new();
    for (path, outcome, listed) in parsed {
        // One mapping from a parsed file to import options, shared with the upload form.
        let mut options = caremarket_web::import_options(&file_label(path), &outcome, completeness, &council_las);
        // Show what a complete file would deregister before anything happens.
        let plan = store.preview_deregistrations(&options, &listed).await?;
        // What the import applies is what was listed and shown: it takes the list with the file.
        let locations = listed.locations;
        if plan.needs_confirmation() {
            if !args.confirm_deregistrations {
                eprintln!("{} would mark {} services deregistered, for example:", file_label(path), plan.services.len());
                for s in plan.services.iter().take(10) {
                    eprintln!("  {} ({}, {})", s.name, s.location_id, s.local_authority.as_deref().unwrap_or("no local authority"));
                }
                let done = if imported.is_empty() { String::new() } else { format!(" ({} imported before it)", imported.join(", ")) };
                bail!(
                    "{} was not imported{done}: if it is CQC's complete register for its local authorities and these services have \
                     closed, run the command again with --confirm-deregistrations; if it holds some rows only, use --partial",
                    file_label(path)
                );
            }
            options.confirmed_deregistrations = Some(plan.services.len());
        }
        let rejection_lines = outcome.rejection_messages();
        let pb = progress_bar(format!("Applying {}", file_label(path)));
        pb.set_length(locations);
        let bar = pb.clone();
        let mut progress = move |done: u64, total: u64| {
            bar.set_length(total);
            bar.set_position(done);
        };
        let report = caremarket_web::import_cqc_file_streamed(store, &actor, path, &options, listed, outcome.rejections, &mut progress)
            .await
            .with_context(|| format!("could not import {}; nothing from it was changed", path.display()))?;
        pb.finish_and_clear();
        imported.push(file_label(path));
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
        if report.skipped > 0 {
            // Issue 14: the register is the social care market; say what was left out and why.
            println!(
                "  {:<14}{:>8}  not social care locations (dentists, GP practices, hospitals...): not imported",
                "Skipped", report.skipped
            );
            let mut by_reason: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
            for s in &report.skipped_locations {
                let reason = s.reason.rsplit(": ").next().unwrap_or(&s.reason).to_string();
                *by_reason.entry(reason).or_default() += 1;
            }
            for (reason, n) in by_reason {
                println!("    {n:>5}  {reason}");
            }
        }
        if report.providers_read > 0 {
            println!(
                "  {:<14}{:>8}  provider names read ({} provider{} renamed)",
                "Providers",
                report.providers_read,
                report.provider_names_changed,
                if report.provider_names_changed == 1 { "" } else { "s" }
            );
        }
        if let Some(note) = &report.deregistration_note {
            println!("  Nothing was deregistered: {note}.");
            if outcome.is_complete_register && !args.complete {
                println!("  If the file is CQC's complete register for its local authorities, import it with --complete.");
            }
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

// Contract frameworks

fn framework_draft(args: &FrameworkArgs) -> Result<caremarket_core::register::framework::FrameworkDraft> {
    use caremarket_core::register::ServiceKind;
    let date = |flag: &str, v: &Option<String>| -> Result<Option<caremarket_core::Date>> {
        v.as_deref().map(|s| caremarket_core::parse_date(flag, s).map_err(|e| anyhow!("--{flag}: {}", e.message))).transpose()
    };
    let kinds = args
        .kinds
        .iter()
        .map(|k| {
            ServiceKind::parse(k).ok_or_else(|| {
                let known = ServiceKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ");
                anyhow!("--kind: '{k}' is not a type of service; use one of {known}")
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(caremarket_core::register::framework::FrameworkDraft {
        name: args.name.clone(),
        lots: args.lots.clone(),
        starts_on: date("starts", &args.starts)?,
        ends_on: date("ends", &args.ends)?,
        kinds,
    })
}

/// A refusal from the rules, with the command-line flag that caused it.
fn framework_error(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::Invalid(fe) => {
            let flag = match fe.field.as_str() {
                "starts_on" => "--starts",
                "ends_on" => "--ends",
                "lots" => "--lot",
                "kinds" => "--kind",
                "name" => "--name",
                "lot_id" => "LOT",
                "service_id" => "SERVICE",
                other => other,
            };
            anyhow!("{flag}: {}; nothing was changed", fe.message)
        }
        other => other.into(),
    }
}

async fn find_framework(store: &Store, id_or_name: &str) -> Result<caremarket_store::contract_frameworks::ContractFramework> {
    let all = store.contract_frameworks().await?;
    all.into_iter()
        .find(|f| f.id == id_or_name || f.name.eq_ignore_ascii_case(id_or_name.trim()))
        .ok_or_else(|| anyhow!("there is no framework '{id_or_name}': `caremarket framework list` shows them"))
}

async fn find_service(store: &Store, id_or_cqc: &str) -> Result<String> {
    if let Ok(s) = store.service(id_or_cqc).await {
        return Ok(s.id);
    }
    let filter = caremarket_store::register::ServiceFilter {
        q: Some(id_or_cqc.trim().to_string()),
        any_area: true,
        registration: Some("all".into()),
        page: 1,
        per_page: 50,
        ..Default::default()
    };
    let found = store.services(&filter).await?;
    found
        .items
        .into_iter()
        .find(|s| s.cqc_location_id.as_deref() == Some(id_or_cqc.trim()))
        .map(|s| s.id)
        .ok_or_else(|| anyhow!("there is no service with the id or CQC location id '{id_or_cqc}'"))
}

async fn framework(store: &Store, cmd: FrameworkCommand) -> Result<()> {
    let actor = cli_actor();
    match cmd {
        FrameworkCommand::List => {
            let all = store.contract_frameworks().await?;
            if all.is_empty() {
                println!("There are no frameworks yet: add one with `caremarket framework add`.");
            }
            for f in all {
                let kinds = f.kinds.iter().map(|k| k.label()).collect::<Vec<_>>().join(", ");
                println!("{} ({})", f.name, f.id);
                println!("  Types of service: {kinds}");
                println!("  Runs: {} to {}", f.starts_on.as_deref().unwrap_or("not set"), f.ends_on.as_deref().unwrap_or("not set"));
                for l in &f.lots {
                    println!("  {}: {} service{}", l.name, l.members, if l.members == 1 { "" } else { "s" });
                }
            }
        }
        FrameworkCommand::Add(args) => {
            let id = store.create_contract_framework(&actor, &framework_draft(&args)?).await.map_err(framework_error)?;
            println!("Added framework {} ({id})", args.name.trim());
        }
        FrameworkCommand::Edit { framework, args } => {
            let f = find_framework(store, &framework).await?;
            // Made from the framework as just read: a change saved in between is refused, not undone.
            let version = caremarket_core::versions::Version::new(f.version).map_err(|e| anyhow!(e.message))?;
            store.update_contract_framework(&actor, &f.id, &framework_draft(&args)?, version).await.map_err(framework_error)?;
            println!("Changed framework {}", args.name.trim());
        }
        FrameworkCommand::AddMember { framework, lot, service } => {
            let f = find_framework(store, &framework).await?;
            let lot_id = f.lots.iter().find(|l| l.name.eq_ignore_ascii_case(lot.trim())).map(|l| l.id.clone()).ok_or_else(|| {
                anyhow!(
                    "LOT: {} has no lot '{lot}'; its lots are {}",
                    f.name,
                    f.lots.iter().map(|l| l.name.as_str()).collect::<Vec<_>>().join(", ")
                )
            })?;
            let service_id = find_service(store, &service).await?;
            store.add_framework_member(&actor, &f.id, &lot_id, &service_id).await.map_err(framework_error)?;
            println!("Put the service on {}, {}", f.name, lot.trim());
        }
        FrameworkCommand::RemoveMember { framework, service } => {
            let f = find_framework(store, &framework).await?;
            let service_id = find_service(store, &service).await?;
            store.remove_framework_member(&actor, &f.id, &service_id).await.map_err(framework_error)?;
            println!("Took the service off {}", f.name);
        }
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
        let names: Vec<String> = las.iter().map(|s| s.to_string()).collect();
        let change = match store.set_council_local_authorities(&cli_actor(), &names, None).await {
            Ok(c) => c,
            Err(StoreError::Invalid(e)) => bail!("{}", e.message),
            Err(e) => return Err(e.into()),
        };
        println!("Recalculated every service: {} now in the council's area, {} now outside it", change.now_in_area, change.now_out_of_area);
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
fn read_password(ctx: &PasswordContext<'_>) -> Result<SecretString> {
    if let Ok(p) = std::env::var("CAREMARKET_PASSWORD") {
        return Ok(SecretString::from(p));
    }
    if !std::io::stdin().is_terminal() {
        bail!("No password given: set CAREMARKET_PASSWORD to give it from a script, or run this in a terminal to be asked for it");
    }
    let first = rpassword::prompt_password(format!("Password (at least {MIN_PASSWORD_LEN} characters): "))
        .context("could not read the password from the terminal; to give it from a script, set CAREMARKET_PASSWORD")?;
    if let Err(e) = caremarket_core::passwords::check("password", &first, ctx) {
        bail!("{}; nothing was created", e.message);
    }
    let second = rpassword::prompt_password("Type the password again: ").context("could not read the password from the terminal")?;
    if first != second {
        bail!("The passwords do not match; nothing was created");
    }
    Ok(SecretString::from(first))
}

async fn user_add(store: &Store, url: &str, args: UserAddArgs) -> Result<()> {
    let role = Role::parse(&args.role).ok_or_else(|| anyhow!("'{}' is not a role. Valid roles: {}", args.role, valid_roles()))?;
    let council_name = store.setting("council_name").await?.unwrap_or_default();
    let email = args.email.trim().to_lowercase();
    let password = read_password(&PasswordContext { email: &email, display_name: &args.name, council_name: &council_name })?;
    let user = store
        .create_user(
            &cli_actor(),
            NewUser {
                email: &args.email,
                display_name: &args.name,
                password: password.expose_secret(),
                role,
                provider_id: args.provider_id.as_deref(),
                must_change_password: true,
            },
        )
        .await
        .map_err(store_error)?;
    println!(
        "Created {} account for {} <{}> in {} ({}).",
        role.label(),
        user.display_name,
        user.email,
        redact(url),
        store.backend().name()
    );
    println!("They will be asked to choose their own password when they first sign in.");
    Ok(())
}

async fn user_reset_password(store: &Store, url: &str, args: UserResetArgs) -> Result<()> {
    let email = args.email.trim().to_lowercase();
    let user = store
        .users()
        .await?
        .into_iter()
        .find(|u| u.email == email)
        .ok_or_else(|| anyhow!("No account has the email {email} in {}; `caremarket user list` lists them", redact(url)))?;
    let temporary = store.reset_password(&cli_actor(), &user.id).await.map_err(store_error)?;
    println!("Reset the password of {} <{}> in {}.", user.display_name, user.email, redact(url));
    println!("Temporary password (shown once; give it to the person by a separate, secure route):");
    println!("  {temporary}");
    println!("Their sessions have ended, and they must choose a new password when they next sign in.");
    Ok(())
}

async fn user_groups(store: &Store) -> Result<()> {
    let groups = store.sign_in_groups().await?;
    if groups.is_empty() {
        println!("No group gives a role at single sign-on yet. Add one with:");
        println!("  caremarket user map-group --group GROUP --role ROLE");
        return Ok(());
    }
    println!("{:<48} Role", "Group");
    for m in &groups {
        println!("{:<48} {}", m.group, m.role.label());
    }
    println!("{}", caremarket_core::text::count(i64::try_from(groups.len()).unwrap_or(i64::MAX), "group mapping", None));
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
            smtp_url: Some(SecretString::from("smtps://mailer:m4ilpass@smtp.example.org")),
            mail_from: "x <x@example.org>".into(),
            outbox_dir: PathBuf::from("outbox"),
            evidence_dir: PathBuf::from("evidence"),
            max_evidence_mb: 20,
            public_url: None,
            sign_in_burst: Some(10),
            max_connections_per_address: 64,
            public_page_seconds: 10,
            officer_page_seconds: 10,
            single_sign_on: Some(caremarket_web::single_sign_on::SingleSignOnSettings {
                issuer_url: "https://login.example.test".into(),
                client_id: "caremarket".into(),
                client_secret: SecretString::from("client-s3cret"),
                redirect_base_url: "https://caremarket.example.test".into(),
                display_name: "Council ID".into(),
                extra_scopes: Vec::new(),
            }),
        };
        let shown = format!("{s:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("login.example.test"), "the issuer is not a secret: {shown}");
        assert!(!format!("{s:?}").contains("s3cret"));
        assert!(!format!("{s:?}").contains("m4ilpass"), "the SMTP password is hidden too");
    }

    #[test]
    fn mail_goes_beside_the_sqlite_database_without_a_relay() {
        assert_eq!(default_outbox("sqlite://data/caremarket.db"), PathBuf::from("data/outbox"));
        assert_eq!(default_outbox("sqlite:///srv/cm/db.sqlite?mode=rwc"), PathBuf::from("/srv/cm/outbox"));
        assert_eq!(default_outbox("postgres://cm@db/cm"), PathBuf::from("outbox"));
        assert_eq!(default_evidence_dir("sqlite://data/caremarket.db"), PathBuf::from("data/evidence"));
        assert_eq!(default_evidence_dir("postgres://cm@db/cm"), PathBuf::from("evidence"));
    }

    #[test]
    fn postgres_urls_are_read_for_messages() {
        assert_eq!(
            pg_target("postgres://cm:pw@db.example:6543/care?sslmode=require"),
            Some(PgTarget { host: "db.example".into(), port: "6543".into(), user: Some("cm".into()), database: "care".into() })
        );
        assert_eq!(
            pg_target("postgresql://postgres@127.0.0.1/x"),
            Some(PgTarget { host: "127.0.0.1".into(), port: "5432".into(), user: Some("postgres".into()), database: "x".into() })
        );
    }

    #[test]
    fn postgres_errors_say_what_to_do() {
        let missing = pg_connect_error(
            "postgres://postgres@127.0.0.1:5432/nosuch",
            "error returned from database: database \"nosuch\" does not exist at line 948",
        )
        .to_string();
        assert!(missing.contains("createdb -h 127.0.0.1 -p 5432 -U postgres nosuch"), "{missing}");
        assert!(!missing.contains("line 948"), "{missing}");
        let refused = pg_connect_error("postgres://u:secret@db:5433/cm", "Connection refused (os error 111)").to_string();
        assert!(refused.contains("nothing is answering at db:5433"), "{refused}");
        assert!(!refused.contains("secret"), "{refused}");
    }

    #[test]
    fn user_add_help_states_the_password_rule_the_store_applies() {
        assert!(USER_ADD_HELP.contains(&format!("at least {MIN_PASSWORD_LEN} characters")), "{USER_ADD_HELP}");
    }

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
