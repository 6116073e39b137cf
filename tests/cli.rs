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
    /// Refused by the argument parser (exit 2).
    fn failed_usage(self) -> Run {
        assert_eq!(self.code, Some(2), "expected a usage error; stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
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
fn weak_passwords_are_refused_and_a_reset_prints_a_temporary_password_once() {
    let dir = TempDir::new("passwords");
    let url = dir.database_url();
    for (password, message) in [
        ("            ", "Password must not be only spaces"),
        ("aaaaaaaaaaaa", "Password must not be one character repeated"),
        ("jo.admin@example.gov.uk", "Password must not contain your email address"),
        ("password1234", "Password is too easy to guess"),
    ] {
        let r = run(caremarket(&dir)
            .args(["user", "add", "--role", "admin", "--email", "jo.admin@example.gov.uk", "--name", "Jo Admin"])
            .args(["--database-url", &url])
            .env("CAREMARKET_PASSWORD", password))
        .failed();
        assert!(r.stderr.contains(message), "{password}: {}", r.stderr);
    }
    let r = run(caremarket(&dir)
        .args(["user", "add", "--role", "admin", "--email", "jo.admin@example.gov.uk", "--name", "Jo Admin"])
        .args(["--database-url", &url])
        .env("CAREMARKET_PASSWORD", PASSWORD))
    .ok();
    assert!(r.stdout.contains("They will be asked to choose their own password when they first sign in."), "{}", r.stdout);

    let r = run(caremarket(&dir).args(["user", "reset-password", "--email", "Jo.Admin@example.gov.uk", "--database-url", &url])).ok();
    assert!(r.stdout.contains("Reset the password of Jo Admin <jo.admin@example.gov.uk>"), "{}", r.stdout);
    assert!(r.stdout.contains("Temporary password (shown once"), "{}", r.stdout);
    assert!(r.stdout.contains("must choose a new password when they next sign in"), "{}", r.stdout);
    let temporary = r.stdout.lines().skip_while(|l| !l.starts_with("Temporary password")).nth(1).expect("password line").trim().to_string();
    assert_eq!(temporary.len(), 19, "{temporary}");
    assert!(!r.stderr.contains(&temporary), "never logged");

    let r = run(caremarket(&dir).args(["user", "reset-password", "--email", "nobody@example.gov.uk", "--database-url", &url])).failed();
    assert!(r.stderr.contains("No account has the email nobody@example.gov.uk"), "{}", r.stderr);
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
fn import_cqc_of_a_file_of_several_batches_reads_it_as_it_imports() {
    // The command line imports a file as it reads it again, 500 locations at a time: 1,203
    // generated export rows are two whole batches and part of a third.
    let dir = TempDir::new("import-streamed");
    let url = dir.database_url();
    let rows = 1_203;
    let file = dir.path().join("export.csv");
    std::fs::write(&file, caremarket_ingest::synthetic::generate_locations_export_csv(rows, 5)).expect("write");
    let first = run(caremarket(&dir).args(["import", "cqc"]).arg(&file).args(["--database-url", &url])).ok();
    assert!(first.stdout.contains(&format!("{rows} rows read")), "{}", first.stdout);
    assert_eq!((first.count("New"), first.count("Updated"), first.count("Rejected")), (rows as i64, 0, 0), "{}", first.stdout);
    let again = run(caremarket(&dir).args(["import", "cqc"]).arg(&file).args(["--database-url", &url])).ok();
    assert_eq!((again.count("New"), again.count("Unchanged")), (0, rows as i64), "{}", again.stdout);
}

#[test]
fn import_cqc_reads_a_folder_of_api_documents() {
    let dir = TempDir::new("api");
    let r = run(caremarket(&dir).args(["import", "cqc"]).arg(fixture("api")).args(["--database-url", &dir.database_url()])).ok();
    assert!(r.stdout.contains("CQC API location documents"), "{}", r.stdout);
    assert!(r.count("New") > 0, "{}", r.stdout);
}

#[test]
fn import_cqc_of_the_oldham_folder_says_what_it_skipped_and_reads_provider_names() {
    let dir = TempDir::new("oldham");
    let url = dir.database_url();
    let docs: Vec<serde_json::Value> = std::fs::read_dir(fixture("oldham/location_details"))
        .expect("fixture")
        .map(|e| serde_json::from_slice(&std::fs::read(e.expect("entry").path()).expect("read")).expect("json"))
        .collect();
    let social_care = docs.iter().filter(|d| d["type"] == "Social Care Org").count();
    let r = run(caremarket(&dir).args(["import", "cqc"]).arg(fixture("oldham")).args(["--database-url", &url])).ok();
    assert_eq!(r.count("New"), social_care as i64, "{}", r.stdout);
    let skipped = r.stdout.lines().map(str::trim).find(|l| l.starts_with("Skipped")).unwrap_or_default();
    assert_eq!(skipped.split_whitespace().nth(1), Some((docs.len() - social_care).to_string().as_str()), "{}", r.stdout);
    assert!(skipped.contains("not social care locations"), "{skipped}");
    assert!(r.stdout.contains("not a social care location (CQC type 'Primary Dental Care')"), "{}", r.stdout);
    assert!(r.stdout.contains("provider names read"), "{}", r.stdout);
    // providers.json alone: provider names, exit 0, no "'locationId' is empty".
    let r = run(caremarket(&dir).args(["import", "cqc"]).arg(fixture("oldham/providers.json")).args(["--database-url", &url])).ok();
    assert!(!r.stdout.contains("locationId"), "{}", r.stdout);
    assert_eq!(r.count("Rejected"), 0);
}

#[test]
fn a_json_file_that_is_not_cqcs_exits_1_saying_so() {
    let dir = TempDir::new("not-cqc");
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("package-lock.json");
    let r = run(caremarket(&dir).args(["import", "cqc"]).arg(&lock).args(["--database-url", &dir.database_url()])).failed();
    assert!(r.stderr.contains("'package-lock.json' is not a CQC API document"), "{}", r.stderr);
    assert!(r.stderr.contains("nothing was imported"), "{}", r.stderr);
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
    assert!(r.stderr.contains("evidence"), "the evidence folder is named for PostgreSQL too: {}", r.stderr);
    assert!(!r.stderr.contains("s3cret"), "the password must not be printed: {}", r.stderr);
}

/// Evidence files (issue 16 item 18) are kept in `evidence/` beside the database and copied
/// beside the database's backup, byte for byte; a half-written file is not.
#[test]
fn backup_copies_the_evidence_files_beside_the_database_copy() {
    let dir = TempDir::new("backup-evidence");
    let url = dir.database_url();
    run(caremarket(&dir).args(["migrate", "--database-url", &url])).ok();
    let db = url.trim_start_matches("sqlite://").split('?').next().unwrap_or_default().to_string();
    let evidence = std::path::Path::new(&db).parent().expect("db folder").join("evidence");
    std::fs::create_dir_all(&evidence).expect("evidence folder");
    let files: Vec<(String, Vec<u8>)> = vec![
        ("0190aaaa-0000-7000-8000-000000000001".into(), caremarket_core::evidence::sample_pdf("Medication audit")),
        ("0190aaaa-0000-7000-8000-000000000002".into(), caremarket_core::evidence::SAMPLE_PNG.to_vec()),
    ];
    for (name, bytes) in &files {
        std::fs::write(evidence.join(name), bytes).expect("write evidence");
    }
    std::fs::write(evidence.join(".part-0190aaaa-0000-7000-8000-000000000003"), b"half").expect("write part");
    let out = dir.path().join("nightly.db");
    let r = run(caremarket(&dir).args(["backup", "--database-url", &url, "--output"]).arg(&out)).ok();
    let copied = dir.path().join("nightly-evidence");
    assert!(r.stdout.contains(&format!("Backed up {} evidence files", files.len())), "{}", r.stdout);
    for (name, bytes) in &files {
        assert_eq!(&std::fs::read(copied.join(name)).expect("copied file"), bytes, "{name} is copied as it was");
    }
    let kept = std::fs::read_dir(&copied).expect("read backup").count();
    assert_eq!(kept, files.len(), "only whole files are copied");
    // A second backup to the same name is refused before anything is written.
    std::fs::remove_file(&out).expect("remove db copy");
    run(caremarket(&dir).args(["backup", "--database-url", &url, "--output"]).arg(&out)).failed();
    assert!(!out.exists());
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

/// Registered social care services of Oldham in `fixtures/cqc/planning/api` that the export
/// excerpt does not list, counted from the documents.
fn oldham_not_in_export() -> Vec<String> {
    let export = std::fs::read_to_string(fixture("planning/export-45-oldham.csv")).expect("export");
    std::fs::read_dir(fixture("planning/api"))
        .expect("api")
        .map(|e| std::fs::read_to_string(e.expect("entry").path()).expect("read"))
        .filter(|d| d.contains("\"registrationStatus\": \"Registered\"") && d.contains("\"type\": \"Social Care Org\""))
        .filter_map(|d| {
            let id = d.split("\"locationId\": \"").nth(1)?.split('"').next()?.to_string();
            (!export.contains(&id)).then_some(id)
        })
        .collect()
}

#[test]
fn a_complete_file_that_would_deregister_many_is_refused_until_confirmed() {
    let dir = TempDir::new("deregister");
    let url = dir.database_url();
    run(caremarket(&dir).args(["import", "cqc"]).arg(fixture("planning/api")).args(["--database-url", &url])).ok();
    let expected = oldham_not_in_export();
    assert!(expected.len() > 10, "{expected:?}");
    let export = fixture("planning/export-45-oldham.csv");

    // Without a choice the file is partial: nothing deregistered, and it says so.
    let r = run(caremarket(&dir).args(["import", "cqc"]).arg(&export).args(["--database-url", &url])).ok();
    assert_eq!(r.count("Deregistered"), 0);
    assert!(r.stdout.contains("import it with --complete"), "{}", r.stdout);

    // Complete: refused, with the count and names, exit 1, nothing imported.
    let r = run(caremarket(&dir).args(["import", "cqc", "--complete"]).arg(&export).args(["--database-url", &url])).failed();
    assert!(r.stderr.contains(&format!("would mark {} services deregistered", expected.len())), "{}", r.stderr);
    assert!(expected.iter().any(|id| r.stderr.contains(id.as_str())), "{}", r.stderr);
    assert!(r.stderr.contains("--confirm-deregistrations"), "{}", r.stderr);
    assert!(!r.stdout.contains("Imported"), "{}", r.stdout);

    // The flag needs --complete.
    run(caremarket(&dir).args(["import", "cqc", "--confirm-deregistrations"]).arg(&export).args(["--database-url", &url])).failed_usage();

    let r = run(caremarket(&dir)
        .args(["import", "cqc", "--complete", "--confirm-deregistrations"])
        .arg(&export)
        .args(["--database-url", &url]))
    .ok();
    assert_eq!(r.count("Deregistered"), expected.len() as i64, "{}", r.stdout);
}

#[test]
fn a_cut_off_file_is_refused_whole() {
    let dir = TempDir::new("cut");
    let url = dir.database_url();
    let full = std::fs::read(fixture(common_fixture::DIRECTORY)).expect("fixture");
    let cut = dir.path().join("CQC_directory.csv");
    std::fs::write(&cut, &full[..full.len() - 20]).expect("write");
    let r = run(caremarket(&dir).args(["import", "cqc"]).arg(&cut).args(["--database-url", &url])).failed();
    assert!(r.stderr.contains("looks cut off"), "{}", r.stderr);
    assert!(!r.stdout.contains("Imported"), "{}", r.stdout);
}

#[test]
fn changing_the_council_area_recalculates_every_service() {
    let dir = TempDir::new("area");
    let url = dir.database_url();
    run(caremarket(&dir).args(["import", "cqc"]).arg(fixture("planning/export-45-oldham.csv")).args(["--database-url", &url])).ok();
    let text = std::fs::read_to_string(fixture("planning/export-45-oldham.csv")).expect("export");
    let outside = text.lines().skip(1).filter(|l| !l.contains(",\"Oldham\",")).count();
    let r = run(caremarket(&dir).args(["council", "--local-authority", "Oldham", "--database-url", &url])).ok();
    assert!(r.stdout.contains(&format!("0 now in the council's area, {outside} now outside it")), "{}", r.stdout);
    let r = run(caremarket(&dir).args(["council", "--local-authority", "Oldam", "--database-url", &url])).failed();
    assert!(r.stderr.contains("No service in the register is in 'Oldam'"), "{}", r.stderr);
}

/// Fixture names, in one place.
mod common_fixture {
    pub const DIRECTORY: &str = "directory-15.csv";
    pub const BAD_ROWS: &str = "bad-rows-directory-15.csv";
}

/// The first hour of a new user: every command says which database it works on, so an account is
/// never created in a default SQLite file by mistake.
#[test]
fn user_add_says_which_database_it_used() {
    let dir = TempDir::new("which-db");
    let url = dir.database_url();
    let r = run(caremarket(&dir)
        .args(["user", "add", "--role", "admin", "--email", "a@example.gov.uk", "--name", "A Admin", "--database-url", &url])
        .env("CAREMARKET_PASSWORD", "a-long-enough-password"))
    .ok();
    assert!(r.stdout.contains(&format!("Database: {url} (SQLite)")), "{}", r.stdout);
    assert!(r.stdout.contains(&format!("in {url} (SQLite)")), "{}", r.stdout);
    let r = run(caremarket(&dir).args(["user", "list", "--database-url", &url])).ok();
    assert!(r.stdout.starts_with(&format!("Database: {url}")), "{}", r.stdout);
}

#[test]
fn help_lists_global_options_apart_and_gives_the_password_rule() {
    let dir = TempDir::new("help");
    let r = run(caremarket(&dir).args(["user", "add", "--help"])).ok();
    let (own, global) = r.stdout.split_once("Global options (every command):").unwrap_or_else(|| panic!("{}", r.stdout));
    assert!(own.contains("--role") && own.contains("--provider-id"), "{}", r.stdout);
    assert!(!own.contains("--database-url") && global.contains("--database-url"), "{}", r.stdout);
    assert!(r.stdout.contains("at least 12 characters"), "{}", r.stdout);
    assert!(r.stdout.contains("--role provider) must name its provider with --provider-id"), "{}", r.stdout);
}

/// Nothing listening: a clear message at once, not a 30-second wait ending in "pool timed out".
#[test]
fn postgres_with_nothing_listening_says_so_quickly() {
    let dir = TempDir::new("pg-refused");
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    let started = Instant::now();
    let r = run(caremarket(&dir).args(["user", "list", "--database-url", "postgres://postgres@127.0.0.1:1/caremarket"])).failed();
    assert!(started.elapsed() < Duration::from_secs(15), "took {:?}", started.elapsed());
    assert!(r.stderr.contains("nothing is answering at 127.0.0.1:1"), "{}", r.stderr);
    assert!(!r.stderr.contains("pool timed out"), "{}", r.stderr);
}

#[test]
fn a_missing_postgres_database_suggests_createdb() {
    let Ok(base) = std::env::var("CAREMARKET_TEST_POSTGRES_URL") else {
        eprintln!("SKIPPED on PostgreSQL: set CAREMARKET_TEST_POSTGRES_URL to run this test");
        return;
    };
    let dir = TempDir::new("pg-missing");
    let root = &base[..base.rfind('/').expect("a database URL")];
    let url = format!("{root}/caremarket_missing_{}", std::process::id());
    let r = run(caremarket(&dir).args(["user", "list", "--database-url", &url])).failed();
    assert!(r.stderr.contains("does not exist") && r.stderr.contains("createdb"), "{}", r.stderr);
    assert!(!r.stderr.contains("at line"), "{}", r.stderr);
}

/// `demo --database-url` runs the demo there, but never adds a fictional council to a database
/// that already holds one of a real council's.
#[test]
fn demo_refuses_a_database_that_holds_data() {
    let dir = TempDir::new("demo-db");
    let url = dir.database_url();
    run(caremarket(&dir)
        .args(["user", "add", "--role", "admin", "--email", "a@example.gov.uk", "--name", "A Admin", "--database-url", &url])
        .env("CAREMARKET_PASSWORD", "a-long-enough-password"))
    .ok();
    // Were the refusal missing, the demo would start serving: stop it and fail rather than hang.
    let mut child = caremarket(&dir)
        .args(["demo", "--port", "0", "--database-url", &url])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("demo started on a database that holds a council's data instead of refusing");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("read");
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("already holds accounts or services"), "{stderr}");
    let r = run(caremarket(&dir).args(["user", "list", "--database-url", &url])).ok();
    assert!(r.stdout.contains("1 account"), "the real database is untouched: {}", r.stdout);
}

#[test]
fn demo_runs_on_the_database_it_is_given() {
    let dir = TempDir::new("demo-given");
    let url = format!("sqlite://{}", dir.path().join("given.db").display());
    let (printed, response) = start_and_check_health(caremarket(&dir).args(["demo", "--port", "0", "--database-url", &url]));
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(printed.contains(&format!("Creating the demo council in {url} (SQLite)")), "{printed}");
    assert!(dir.path().join("given.db").is_file());
    assert!(!dir.path().join("data/demo").exists(), "the default demo folder was not used");
    assert!(dir.path().join("evidence").is_dir(), "the demo's evidence files sit beside the database it was given");
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

#[test]
fn report_quarterly_writes_word_and_html_and_refuses_a_future_date() {
    let dir = TempDir::new("report");
    let url = dir.database_url();
    run(caremarket(&dir).args(["council", "--name", "Testshire Council", "--database-url", &url])).ok();
    let docx = dir.path().join("q3.docx");
    let out = run(caremarket(&dir)
        .args(["report", "quarterly", "--as-at", "2024-12-31", "--format", "docx", "--out"])
        .arg(&docx)
        .args(["--database-url", &url]))
    .ok();
    assert!(out.stdout.contains("Wrote the Market Oversight Report Quarter 3 2024/25 as at 2024-12-31 (draft)"), "{}", out.stdout);
    let bytes = std::fs::read(&docx).expect("docx written");
    assert!(bytes.starts_with(b"PK"), "a .docx is a zip file");

    let html = dir.path().join("q3.html");
    run(caremarket(&dir)
        .args(["report", "quarterly", "--as-at", "2024-12-31", "--format", "html", "--out"])
        .arg(&html)
        .args(["--database-url", &url]))
    .ok();
    let page = std::fs::read_to_string(&html).expect("html written").replace("&#x2f;", "/");
    assert!(
        page.contains("<title>Testshire Council: Market Oversight Report Quarter 3 2024/25</title>"),
        "{}",
        &page[..page.len().min(400)]
    );
    assert!(page.contains("Statutory duties: Care Act 2014, section 5"));
    assert!(page.contains("Appendix: figures"));
    assert!(!page.contains("href=\"/"), "a file opened elsewhere has no links into the application");

    let future = run(caremarket(&dir)
        .args(["report", "quarterly", "--as-at", "2999-01-01", "--out"])
        .arg(dir.path().join("x.docx"))
        .args(["--database-url", &url]))
    .failed();
    assert!(future.stderr.contains("--as-at: 2999-01-01 is in the future"), "{}", future.stderr);
    let junk = run(caremarket(&dir)
        .args(["report", "quarterly", "--as-at", "soon", "--out"])
        .arg(dir.path().join("x.docx"))
        .args(["--database-url", &url]))
    .failed();
    assert!(junk.stderr.contains("--as-at: 'soon' is not a date"), "{}", junk.stderr);
    run(caremarket(&dir).args(["report", "quarterly", "--as-at", "2024-12-31", "--format", "pdf", "--out", "x"])).failed_usage();
}
