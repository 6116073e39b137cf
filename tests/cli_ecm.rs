//! `caremarket ecm reconcile` as an operator uses it: the built binary on the hand-made fixture
//! (`fixtures/ecm`, whose expected outputs come from the independent reference implementation
//! `crates/ingest/tests/ecm_reference.py`) and on bad files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("caremarket-cli-ecm-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
    fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).expect("write");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ecm").join(name)
}

/// The binary, run in `dir` with no CAREMARKET_* settings from the environment.
fn reconcile(dir: &TempDir, args: &[&std::ffi::OsStr]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_caremarket"));
    cmd.current_dir(&dir.0).stdin(Stdio::null()).arg("ecm").arg("reconcile").args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("CAREMARKET_") {
            cmd.env_remove(k);
        }
    }
    cmd.output().expect("run caremarket")
}

fn os(s: &str) -> &std::ffi::OsStr {
    s.as_ref()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn writes_the_reconciliation_to_stdout_and_nothing_else() {
    let dir = TempDir::new("stdout");
    let out = reconcile(&dir, &[fixture("planned.csv").as_os_str(), fixture("actual.csv").as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), std::fs::read_to_string(fixture("expected.csv")).expect("expected"));
    assert_eq!(text(&out.stderr), "");
    // No database is made or opened.
    assert!(!dir.0.join("data").exists());
}

#[test]
fn options_and_out_file() {
    let dir = TempDir::new("options");
    let target = dir.0.join("weeks.csv");
    let out = reconcile(
        &dir,
        &[
            fixture("planned.csv").as_os_str(),
            fixture("actual.csv").as_os_str(),
            os("--periods-from"),
            os("2025-04-01"),
            os("--period-days"),
            os("7"),
            os("--out"),
            target.as_os_str(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(std::fs::read_to_string(&target).expect("out"), std::fs::read_to_string(fixture("expected-weeks.csv")).expect("expected"));
    let out = reconcile(&dir, &[fixture("planned.csv").as_os_str(), fixture("actual.csv").as_os_str(), os("--no-cap")]);
    assert_eq!(text(&out.stdout), std::fs::read_to_string(fixture("expected-no-cap.csv")).expect("expected"));
    // Only the output is left in the folder.
    let names: Vec<String> =
        std::fs::read_dir(&dir.0).expect("dir").map(|e| e.expect("entry").file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["weeks.csv"]);
}

#[test]
fn a_bad_row_names_file_line_and_column_exits_1_and_writes_nothing() {
    let dir = TempDir::new("bad");
    let planned = std::fs::read_to_string(fixture("planned.csv")).expect("planned");
    let bad = dir.file("bad-planned.csv", &planned.replacen(",45,1,2296", ",45.5,1,2296", 1));
    let target = dir.0.join("out.csv");
    std::fs::write(&target, "the last good run\n").expect("write");
    let out = reconcile(&dir, &[bad.as_os_str(), fixture("actual.csv").as_os_str(), os("--out"), target.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    let err = text(&out.stderr);
    // 102 is on line 5 of the file.
    assert!(err.contains("bad-planned.csv' row 5, planned_minutes: '45.5' is not a whole number. Nothing was written."), "{err}");
    assert_eq!(std::fs::read_to_string(&target).expect("out"), "the last good run\n", "the old output is untouched");

    let actual = std::fs::read_to_string(fixture("actual.csv")).expect("actual");
    let lines: Vec<&str> = actual.lines().collect();
    let mut broken: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    broken[9] = "106,HC2,PR2,2025-04-09 08:30,2025-04-09T09:00:00".into();
    let bad = dir.file("bad-actual.csv", &(broken.join("\n") + "\n"));
    let out = reconcile(&dir, &[fixture("planned.csv").as_os_str(), bad.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    assert!(
        text(&out.stderr).contains("bad-actual.csv' row 10, actual_start: '2025-04-09 08:30' is not a date and time"),
        "{}",
        text(&out.stderr)
    );

    let short = dir.file("short.csv", &(lines[..3].join("\n") + "\n114,hc1,PR4,2025-04-12T11:00:00\n"));
    let out = reconcile(&dir, &[fixture("planned.csv").as_os_str(), short.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("short.csv' row 4: has 4 fields; the header row has 5"), "{}", text(&out.stderr));

    let out = reconcile(&dir, &[fixture("planned.csv").as_os_str(), dir.0.join("missing.csv").as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("could not read") && text(&out.stderr).contains("missing.csv"), "{}", text(&out.stderr));
}

#[test]
fn bad_options_are_usage_errors() {
    let dir = TempDir::new("usage");
    for args in [["--period-days", "0"], ["--periods-from", "7/4/2025"]] {
        let out = reconcile(&dir, &[fixture("planned.csv").as_os_str(), fixture("actual.csv").as_os_str(), os(args[0]), os(args[1])]);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(text(&out.stderr).contains(args[0]), "{}", text(&out.stderr));
    }
}

/// `caremarket import ecm PLANNED ACTUAL` (issue 11 item 7): the figures are kept in the database,
/// as the web upload keeps them, with the stages on stderr; a file naming a provider the register
/// does not hold stops the import and keeps nothing.
#[tokio::test]
async fn import_ecm_keeps_the_figures_and_a_bad_file_keeps_nothing() {
    use caremarket_store::{Actor, Store};
    const PLANNED: &str = "visit_id,person_ref,provider_id,planned_start,planned_minutes,carers,rate_pence_per_hour
1,C1,1-111,2025-04-07T08:00:00,30,1,2000
2,C1,1-111,2025-04-07T12:00:00,60,2,2000
3,C2,1-111,2025-04-08T09:00:00,45,1,2000
4,C3,1-222,2025-04-09T10:00:00,30,1,2200
";
    const ACTUAL: &str = "visit_id,provider_id,person_ref,actual_start,actual_end
1,1-111,C1,2025-04-07T08:05:00,2025-04-07T08:35:00
2,1-111,C1,2025-04-07T12:40:00,2025-04-07T13:20:00
4,1-222,C3,2025-04-09T10:00:00,2025-04-09T10:30:00
";
    // The rules' pence for a visit: (rate × minutes × carers + 30) div 60.
    let pay = |rate: i64, minutes: i64, carers: i64| (rate * minutes * carers + 30) / 60;
    let invoiced = pay(2000, 30, 1) + pay(2000, 60, 2) + pay(2000, 45, 1) + pay(2200, 30, 1);
    // Delivered time capped at planned: 30, 40 (two carers), visit 3 missed, 30.
    let payable = pay(2000, 30, 1) + pay(2000, 40, 2) + pay(2200, 30, 1);
    let pounds = |p: i64| format!("£{}.{:02}", p / 100, p % 100);

    let dir = TempDir::new("import");
    let url = format!("sqlite://{}", dir.0.join("caremarket.db").display());
    let store = Store::connect(&url).await.expect("store");
    let a = Actor::system("test");
    store.create_provider(&a, Some("1-111"), "Acme Home Care Ltd", None, None).await.expect("provider");
    store.create_provider(&a, Some("1-222"), "Beta Care Ltd", None, None).await.expect("provider");
    let run = |planned: &str, actual: &str| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_caremarket"));
        cmd.current_dir(&dir.0).stdin(Stdio::null()).args(["import", "ecm", planned, actual, "--database-url", &url]);
        for (k, _) in std::env::vars() {
            if k.starts_with("CAREMARKET_") {
                cmd.env_remove(k);
            }
        }
        cmd.output().expect("run caremarket")
    };

    dir.file("planned.csv", PLANNED);
    dir.file("actual.csv", ACTUAL);
    let out = run("planned.csv", "actual.csv");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let want = format!(
        "Imported 4 planned visits for 2 providers and periods: 1 missed; invoiced {}, payable {}.",
        pounds(invoiced),
        pounds(payable)
    );
    assert!(text(&out.stdout).contains(&want), "want {want:?} in {}", text(&out.stdout));
    assert!(text(&out.stderr).contains("Reconciling the visits: 50%"), "no progress on stderr: {}", text(&out.stderr));
    let imports = store.ecm_imports().await.expect("imports");
    assert_eq!(imports.len(), 1);
    assert_eq!(imports[0].status, "completed");
    let figures = store.ecm_figures(&imports[0].id, None).await.expect("figures");
    assert_eq!(figures.iter().map(|f| f.invoiced_pence).sum::<i64>(), invoiced);
    assert_eq!(figures.iter().map(|f| f.payable_pence).sum::<i64>(), payable);

    dir.file("bad.csv", &PLANNED.replace("4,C3,1-222", "4,C3,1-999"));
    let out = run("bad.csv", "actual.csv");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("'bad.csv' row 5: '1-999' is not a provider in the register") && stderr.contains("Nothing was imported."),
        "{stderr}"
    );
    let imports = store.ecm_imports().await.expect("imports");
    assert_eq!(imports.iter().filter(|i| i.status == "failed").count(), 1, "the failed import is listed as failed");
    let failed = imports.iter().find(|i| i.status == "failed").expect("failed import");
    assert!(store.ecm_figures(&failed.id, None).await.expect("figures").is_empty(), "a failed import kept figures");
}
