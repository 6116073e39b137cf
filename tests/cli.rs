//! The `caremarket` command as an operator uses it: the built binary, run on a fresh data folder.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A fresh, empty folder for one test's database, removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("caremarket-cli-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
    fn path(&self) -> &Path {
        &self.0
    }
    fn database_url(&self) -> String {
        format!("sqlite://{}", self.0.join("caremarket.db").display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The binary, run in `dir` (so no caremarket.toml of the developer's is picked up) with no
/// CAREMARKET_* settings from the environment.
fn caremarket(dir: &TempDir) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_caremarket"));
    cmd.current_dir(dir.path());
    for (k, _) in std::env::vars() {
        if k.starts_with("CAREMARKET_") {
            cmd.env_remove(k);
        }
    }
    cmd.env_remove("RUST_LOG");
    cmd.stdin(Stdio::null());
    cmd
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Run {
    let Output { status, stdout, stderr } = cmd.output().expect("run caremarket");
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

impl Run {
    fn ok(self) -> Run {
        assert_eq!(self.code, Some(0), "stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }
    fn failed(self) -> Run {
        assert_eq!(self.code, Some(1), "expected failure; stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }
    /// The number printed on the report line for `label` ("  New   12").
    fn count(&self, label: &str) -> i64 {
        self.stdout
            .lines()
            .find_map(|l| {
                let l = l.trim();
                let rest = l.strip_prefix(label)?;
                rest.trim().parse().ok()
            })
            .unwrap_or_else(|| panic!("no '{label}' count in:\n{}", self.stdout))
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cqc").join(name)
}

const PASSWORD: &str = "a-long-enough-password";

#[test]
fn migrate_then_create_and_list_users() {
    let dir = TempDir::new("users");
    let url = dir.database_url();
    let r = run(caremarket(&dir).args(["migrate", "--database-url", &url])).ok();
    assert!(r.stdout.contains("Applied") && r.stdout.contains("0001_register"), "{}", r.stdout);
    let r = run(caremarket(&dir).args(["migrate", "--database-url", &url])).ok();
    assert!(r.stdout.contains("up to date"), "{}", r.stdout);

    let r = run(caremarket(&dir)
        .args(["user", "add", "--role", "admin", "--email", "First.Admin@Example.gov.uk", "--name", "First Admin"])
        .args(["--database-url", &url])
        .env("CAREMARKET_PASSWORD", PASSWORD))
    .ok();
    assert!(r.stdout.contains("Created Administrator account"), "{}", r.stdout);

    // The URL can come from the environment as well as the flag.
    let r = run(caremarket(&dir).args(["user", "list"]).env("CAREMARKET_DATABASE_URL", &url)).ok();
    assert!(r.stdout.contains("first.admin@example.gov.uk"), "{}", r.stdout);
    assert!(r.stdout.contains("admin") && r.stdout.contains("First Admin"), "{}", r.stdout);
    assert!(r.stdout.contains("1 account"), "{}", r.stdout);

    // The same email again: refused, clearly.
    let r = run(caremarket(&dir)
        .args(["user", "add", "--role", "viewer", "--email", "first.admin@example.gov.uk", "--name", "Again"])
        .args(["--database-url", &url])
        .env("CAREMARKET_PASSWORD", PASSWORD))
    .failed();
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);

    // A short password: refused with the rule.
    let r = run(caremarket(&dir)
        .args(["user", "add", "--role", "viewer", "--email", "v@example.gov.uk", "--name", "V"])
        .args(["--database-url", &url])
        .env("CAREMARKET_PASSWORD", "short"))
    .failed();
    assert!(r.stderr.contains("at least 12 characters"), "{}", r.stderr);

    // No password in the environment and no terminal to ask on: says how to give one.
    let r = run(caremarket(&dir)
        .args(["user", "add", "--role", "viewer", "--email", "v@example.gov.uk", "--name", "V"])
        .args(["--database-url", &url]))
    .failed();
    assert!(r.stderr.contains("CAREMARKET_PASSWORD"), "{}", r.stderr);
}

#[test]
fn an_unknown_role_is_refused_naming_the_valid_ones() {
    let dir = TempDir::new("role");
    let r = run(caremarket(&dir)
        .args(["user", "add", "--role", "wizard", "--email", "w@example.gov.uk", "--name", "W"])
        .args(["--database-url", &dir.database_url()])
        .env("CAREMARKET_PASSWORD", PASSWORD))
    .failed();
    assert!(r.stderr.contains("'wizard' is not a role"), "{}", r.stderr);
    for role in ["admin", "commissioner", "quality_officer", "brokerage_officer", "direct_payments_officer", "viewer", "provider"] {
        assert!(r.stderr.contains(role), "{role} missing from: {}", r.stderr);
    }
}

#[test]
fn import_cqc_reports_counts_and_reimport_changes_nothing() {
    let dir = TempDir::new("import");
    let url = dir.database_url();
    let file = fixture(common_fixture::DIRECTORY);
    let first = run(caremarket(&dir).args(["import", "cqc"]).arg(&file).args(["--database-url", &url])).ok();
    assert!(first.stdout.contains("Imported"), "{}", first.stdout);
    let new = first.count("New");
    assert!(new > 0, "{}", first.stdout);
    assert_eq!(first.count("Updated"), 0);
    assert_eq!(first.count("Unchanged"), 0);

    let again = run(caremarket(&dir).args(["import", "cqc"]).arg(&file).args(["--database-url", &url])).ok();
    assert_eq!(again.count("New"), 0, "{}", again.stdout);
    assert_eq!(again.count("Updated"), 0, "{}", again.stdout);
    assert_eq!(again.count("Deregistered"), 0, "{}", again.stdout);
    assert_eq!(again.count("Unchanged"), new, "{}", again.stdout);
}

#[test]
fn import_cqc_reads_a_folder_of_api_documents() {
    let dir = TempDir::new("api");
    let r = run(caremarket(&dir).args(["import", "cqc"]).arg(fixture("api")).args(["--database-url", &dir.database_url()])).ok();
    assert!(r.stdout.contains("CQC API location documents"), "{}", r.stdout);
    assert!(r.count("New") > 0, "{}", r.stdout);
}

#[test]
fn import_lists_every_rejected_row() {
    let dir = TempDir::new("rejects");
    let r =
        run(caremarket(&dir).args(["import", "cqc"]).arg(fixture(common_fixture::BAD_ROWS)).args(["--database-url", &dir.database_url()]))
            .ok();
    let rejected = r.count("Rejected");
    assert!(rejected > 0, "{}", r.stdout);
    let listed = r.stdout.lines().filter(|l| l.trim_start().starts_with("row ") && l.contains(": ")).count() as i64;
    assert_eq!(listed, rejected, "{}", r.stdout);
}

#[test]
fn an_unreadable_file_exits_1_naming_it_and_changes_nothing() {
    let dir = TempDir::new("unreadable");
    let url = dir.database_url();
    let corrupt = dir.path().join("CQC_directory.xlsx");
    std::fs::copy(fixture("corrupt.xlsx"), &corrupt).expect("copy");
    let missing = dir.path().join("no-such-file.csv");

    let r = run(caremarket(&dir).args(["import", "cqc"]).arg(&missing).args(["--database-url", &url])).failed();
    assert!(r.stderr.contains("no-such-file.csv"), "{}", r.stderr);
    assert!(r.stderr.contains("nothing was imported"), "{}", r.stderr);

    // A good file beside an unreadable one: neither is applied.
    let r =
        run(caremarket(&dir).args(["import", "cqc"]).arg(fixture(common_fixture::DIRECTORY)).arg(&corrupt).args(["--database-url", &url]))
            .failed();
    assert!(r.stderr.contains("CQC_directory.xlsx"), "{}", r.stderr);
    assert!(!r.stdout.contains("Imported"), "{}", r.stdout);

    // So the good file is still all new.
    let r = run(caremarket(&dir).args(["import", "cqc"]).arg(fixture(common_fixture::DIRECTORY)).args(["--database-url", &url])).ok();
    assert_eq!(r.count("Unchanged"), 0, "{}", r.stdout);
    assert!(r.count("New") > 0);
}

#[test]
fn backup_copies_a_sqlite_database_and_explains_pg_dump() {
    let dir = TempDir::new("backup");
    let url = dir.database_url();
    run(caremarket(&dir).args(["migrate", "--database-url", &url])).ok();
    let out = dir.path().join("copy.db");
    let r = run(caremarket(&dir).args(["backup", "--database-url", &url, "--output"]).arg(&out)).ok();
    assert!(r.stdout.contains("Backed up"), "{}", r.stdout);
    assert!(std::fs::metadata(&out).map(|m| m.len() > 0).unwrap_or(false));
    // Not over an existing file.
    run(caremarket(&dir).args(["backup", "--database-url", &url, "--output"]).arg(&out)).failed();
    // Default name beside the database.
    run(caremarket(&dir).args(["backup", "--database-url", &url])).ok();
    let named = std::fs::read_dir(dir.path())
        .expect("read dir")
        .filter_map(|e| e.ok())
        .any(|e| e.file_name().to_string_lossy().starts_with("backup-"));
    assert!(named);

    let r = run(caremarket(&dir).args(["backup", "--database-url", "postgres://cm:s3cret@127.0.0.1:1/cm"])).failed();
    assert!(r.stderr.contains("pg_dump"), "{}", r.stderr);
    assert!(!r.stderr.contains("s3cret"), "the password must not be printed: {}", r.stderr);
}

#[test]
fn configuration_file_and_bad_values() {
    let dir = TempDir::new("config");
    let db = dir.path().join("from-config.db");
    std::fs::write(dir.path().join("caremarket.toml"), format!("database_url = \"sqlite://{}\"\n", db.display())).expect("write");
    run(caremarket(&dir).arg("migrate")).ok();
    assert!(db.is_file(), "the database named in caremarket.toml was created");

    let r = run(caremarket(&dir).arg("migrate").env("CAREMARKET_PORT", "not-a-port")).failed();
    assert!(r.stderr.contains("configuration is not valid") && r.stderr.contains("port"), "{}", r.stderr);

    std::fs::write(dir.path().join("caremarket.toml"), "database_ulr = \"typo\"\n").expect("write");
    let r = run(caremarket(&dir).arg("migrate")).failed();
    assert!(r.stderr.contains("database_ulr"), "{}", r.stderr);
}

/// Start a server command, wait for the address it prints, GET /healthz, and stop it. Returns
/// everything it printed before the address, and the health response.
fn start_and_check_health(cmd: &mut Command) -> (String, String) {
    start_and_check_health_then(cmd, |child| {
        let _ = child.kill();
        let _ = child.wait();
    })
}

fn start_and_check_health_then(cmd: &mut Command, stop: impl FnOnce(&mut std::process::Child)) -> (String, String) {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut printed = String::new();
    let mut address = None;
    while Instant::now() < deadline && address.is_none() {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            address = line.split("http://").nth(1).map(|a| a.trim_end_matches('/').to_string());
            printed.push_str(&line);
            printed.push('\n');
        }
    }
    // The lines printed right after the address (the demo's sign-ins).
    while let Ok(line) = rx.recv_timeout(Duration::from_millis(500)) {
        printed.push_str(&line);
        printed.push('\n');
    }
    let Some(address) = address else {
        let _ = child.kill();
        panic!("no address printed:\n{printed}");
    };
    let mut stream = std::net::TcpStream::connect(&address).expect("connect");
    stream.write_all(format!("GET /healthz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").as_bytes()).expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    stop(&mut child);
    (printed, response)
}

/// `serve --port 0` picks a free port, prints it, answers the health check.
#[test]
fn serve_prints_its_address_and_answers() {
    let dir = TempDir::new("serve");
    let mut stopped = None;
    let (printed, response) =
        start_and_check_health_then(caremarket(&dir).args(["serve", "--port", "0", "--database-url", &dir.database_url()]), |child| {
            // SIGTERM, as a service manager stops it: a clean exit.
            #[cfg(unix)]
            {
                let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
                let deadline = Instant::now() + Duration::from_secs(20);
                while Instant::now() < deadline {
                    if let Ok(Some(status)) = child.try_wait() {
                        stopped = Some(status.success());
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
            let _ = child.kill();
            let _ = child.wait();
        });
    #[cfg(unix)]
    assert_eq!(stopped, Some(true), "serve stops cleanly on SIGTERM");
    assert!(printed.contains("http://127.0.0.1:"), "{printed}");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"status\":\"ok\""), "{response}");
}

/// `demo` creates the council on first run, prints the sign-ins and serves it.
#[test]
fn demo_creates_a_council_and_prints_the_sign_ins() {
    let dir = TempDir::new("demo");
    let data = dir.path().join("demo-data");
    let (printed, response) = start_and_check_health(caremarket(&dir).args(["demo", "--port", "0", "--data-dir"]).arg(&data));
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(printed.contains("Creating the demo council"), "{printed}");
    assert!(printed.contains("demo-password-1"), "{printed}");
    assert!(printed.contains("admin@") && printed.contains("Administrator"), "{printed}");
    assert!(printed.contains("Ctrl-C"), "{printed}");
    assert!(data.join("caremarket.db").is_file());
    // A second start keeps the data.
    let (printed, _) = start_and_check_health(caremarket(&dir).args(["demo", "--port", "0", "--data-dir"]).arg(&data));
    assert!(printed.contains("Using the demo council already"), "{printed}");
}

#[test]
fn council_name_and_local_authorities() {
    let dir = TempDir::new("council");
    let url = dir.database_url();
    let r = run(caremarket(&dir).args(["council", "--database-url", &url])).ok();
    assert!(r.stdout.contains("not set"), "{}", r.stdout);
    let r = run(caremarket(&dir)
        .args(["council", "--name", "Oldham Council", "--local-authority", "Oldham", "--local-authority", "Rochdale"])
        .args(["--database-url", &url]))
    .ok();
    assert!(r.stdout.contains("Council: Oldham Council"), "{}", r.stdout);
    assert!(r.stdout.contains("Local authorities: Oldham, Rochdale"), "{}", r.stdout);
}

/// Fixture names, in one place.
mod common_fixture {
    pub const DIRECTORY: &str = "directory-15.csv";
    pub const BAD_ROWS: &str = "bad-rows-directory-15.csv";
}

#[test]
fn framework_commands_add_list_edit_and_refuse_with_the_flag_named() {
    let dir = TempDir::new("framework");
    let url = dir.database_url();
    let add = |extra: &[&str]| {
        let mut c = caremarket(&dir);
        c.args(["framework", "add", "--name", "Home Care Framework 2025", "--lot", "Lot 1 - North", "--lot", "Lot 2 - South"]);
        c.args(["--kind", "home_care", "--starts", "2025-04-01", "--ends", "2029-03-31"]).args(extra).args(["--database-url", &url]);
        c
    };
    // Refusals first: nothing is written.
    let r = run(caremarket(&dir).args([
        "framework",
        "add",
        "--name",
        "X",
        "--lot",
        "A",
        "--lot",
        "a",
        "--kind",
        "home_care",
        "--database-url",
        &url,
    ]))
    .failed();
    assert!(r.stderr.contains("--lot: Lot names must be different"), "{}", r.stderr);
    let r = run(caremarket(&dir).args([
        "framework",
        "add",
        "--name",
        "X",
        "--lot",
        "A",
        "--kind",
        "home_care",
        "--starts",
        "2025-04-01",
        "--ends",
        "2025-03-31",
        "--database-url",
        &url,
    ]))
    .failed();
    assert!(r.stderr.contains("--ends: The end date must be the same as or after the start date"), "{}", r.stderr);
    let r =
        run(caremarket(&dir).args(["framework", "add", "--name", "X", "--lot", "A", "--kind", "rockets", "--database-url", &url])).failed();
    assert!(r.stderr.contains("--kind: 'rockets' is not a type of service"), "{}", r.stderr);
    let r = run(caremarket(&dir).args(["framework", "list", "--database-url", &url])).ok();
    assert!(r.stdout.contains("There are no frameworks yet"), "{}", r.stdout);

    let r = run(&mut add(&[])).ok();
    assert!(r.stdout.contains("Added framework Home Care Framework 2025"), "{}", r.stdout);
    let r = run(&mut add(&[])).failed();
    assert!(r.stderr.contains("--name: There is already a framework called Home Care Framework 2025"), "{}", r.stderr);
    let r = run(caremarket(&dir).args(["framework", "list", "--database-url", &url])).ok();
    assert!(r.stdout.contains("Types of service: Home care"), "{}", r.stdout);
    assert!(r.stdout.contains("Lot 2 - South: 0 services"), "{}", r.stdout);
    let r =
        run(caremarket(&dir).args(["framework", "add-member", "Home Care Framework 2025", "Lot 9", "x", "--database-url", &url])).failed();
    assert!(r.stderr.contains("has no lot 'Lot 9'; its lots are Lot 1 - North, Lot 2 - South"), "{}", r.stderr);
    let r = run(caremarket(&dir).args([
        "framework",
        "edit",
        "home care framework 2025",
        "--name",
        "Home Care 2025-29",
        "--lot",
        "Lot 1 - North",
        "--kind",
        "home_care",
        "--database-url",
        &url,
    ]))
    .ok();
    assert!(r.stdout.contains("Changed framework Home Care 2025-29"), "{}", r.stdout);
    let r = run(caremarket(&dir).args(["framework", "list", "--database-url", &url])).ok();
    assert!(r.stdout.contains("Home Care 2025-29") && !r.stdout.contains("Lot 2 - South"), "{}", r.stdout);
}

#[test]
fn import_postcodes_loads_the_ons_excerpt_and_refuses_a_wrong_file() {
    let dir = TempDir::new("postcodes");
    let url = dir.database_url();
    let excerpt = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/geography/postcodes-oldham-excerpt.csv");
    let text = std::fs::read_to_string(&excerpt).expect("excerpt");
    let rows: Vec<&str> = text.lines().skip(1).collect();
    let belfast = rows.iter().filter(|l| l.starts_with("BT")).count();
    let r = run(caremarket(&dir).args(["import", "postcodes"]).arg(&excerpt).args(["--database-url", &url])).ok();
    assert!(r.stdout.contains(&format!("Loaded {} postcode positions", rows.len() - belfast)), "{}", r.stdout);
    assert!(r.stdout.contains(&format!("({} rows read)", rows.len())), "{}", r.stdout);
    assert!(r.stdout.contains(&format!("{belfast} Northern Ireland postcodes skipped")), "{}", r.stdout);
    let wrong = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/geography/outcode_centroids_osgb_nspd_nov2025.csv");
    let r = run(caremarket(&dir).args(["import", "postcodes"]).arg(&wrong).args(["--database-url", &url])).failed();
    assert!(r.stderr.contains("needs the columns pcd, oseast1m and osnrth1m; nothing was changed"), "{}", r.stderr);
}
