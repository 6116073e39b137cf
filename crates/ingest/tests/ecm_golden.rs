//! The ECM reconciliation on the hand-made fixture (`fixtures/ecm`), byte for byte against the
//! output of the independent reference implementation `ecm_reference.py` (committed beside this
//! file, run again here when python3 is present), with the figures a reader can check by hand
//! asserted from the fixture's own rows.

use caremarket_core::ecm::Options;
use caremarket_ingest::ecm::{reconcile_files, reconcile_files_in_parts, to_csv};
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ecm").join(name)
}

fn ours(options: &Options) -> String {
    let figures = reconcile_files(&fixture("planned.csv"), &fixture("actual.csv"), options, &|_| {}).expect("reconcile");
    String::from_utf8(to_csv(&figures)).expect("utf8")
}

fn reference(args: &[&str]) -> Option<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ecm_reference.py");
    let out = Command::new("python3").arg(script).arg(fixture("planned.csv")).arg(fixture("actual.csv")).args(args).output().ok()?;
    assert!(out.status.success(), "the reference failed: {}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8(out.stdout).expect("utf8"))
}

fn check(expected_file: &str, options: Options, args: &[&str]) {
    let expected = std::fs::read_to_string(fixture(expected_file)).expect("expected file");
    assert_eq!(ours(&options), expected, "{expected_file}");
    match reference(args) {
        Some(r) => assert_eq!(r, expected, "the reference's output is no longer {expected_file}"),
        None => eprintln!("python3 not found: {expected_file} compared as committed, the reference not rerun"),
    }
}

fn date(s: &str) -> jiff::civil::Date {
    s.parse().expect("date")
}

#[test]
fn matches_the_reference_with_the_cap() {
    check("expected.csv", Options::default(), &[]);
}

#[test]
fn matches_the_reference_without_the_cap() {
    check("expected-no-cap.csv", Options::new(date("2025-04-07"), 28, false).expect("options"), &["--no-cap"]);
}

#[test]
fn matches_the_reference_by_the_week() {
    check(
        "expected-weeks.csv",
        Options::new(date("2025-04-01"), 7, true).expect("options"),
        &["--periods-from", "2025-04-01", "--period-days", "7"],
    );
}

/// The figures a reader can check against the fixture's rows by hand.
#[test]
fn hand_checked_figures() {
    let csv = ours(&Options::default());
    let rows: Vec<Vec<&str>> = csv.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let providers: Vec<&str> = rows.iter().map(|r| r[0]).collect();
    // Byte order: digits before capitals before lower case; "HC10" before "HC2".
    assert_eq!(providers, ["HC10", "HC10", "HC2", "NEW", "Z", "hc1", "hc1", "hc1"]);
    let hc2 = &rows[2];
    assert_eq!(hc2[1], "2025-04-07");
    // Visits 101–107: 30 + 45 + 45 + 30 × 2 + 30 + 30 + 30 planned carer minutes.
    assert_eq!(hc2[3], (30 + 45 + 45 + 60 + 30 + 30 + 30).to_string());
    // Delivered: 30, 30 (15 short), 29 (16 short), 60, 30, 30, 30.
    assert_eq!(hc2[6], (30 + 30 + 29 + 60 + 30 + 30 + 30).to_string());
    assert_eq!(hc2[7], "3.98"); // 239 / 60 = 3.9833…
    assert_eq!(&hc2[9..12], ["1", "1", "1"]); // short 103, late 105, early 107
    assert_eq!(&hc2[12..14], ["1", "20"]); // one unplanned extra of 20 min 59 s
    // Invoiced at 2296p an hour: 30, 45, 45, 60, 30, 30, 30 minutes.
    let pence = |m: i64| (2296 * m + 30) / 60;
    assert_eq!(hc2[14], [30, 45, 45, 60, 30, 30, 30].iter().map(|m| pence(*m)).sum::<i64>().to_string());
    assert_eq!(&hc2[17..], ["1", "3", "0", "0"]);
    // HC10 in the first period: 108 capped at 30, 109 at 1 minute (33.5p → 34p), 110 missed,
    // 111 29 minutes.
    let hc10 = &rows[0];
    assert_eq!(hc10[15], ((2010 * 30 + 30) / 60 + 34 + (2010 * 29 + 30) / 60).to_string());
    assert_eq!(hc10[8], "1");
    // hc1: the tied row under "hc1" and the later one are repeats; the bad row and its copy.
    assert_eq!(&rows[6][17..], ["1", "1", "2", "0"]);
    // The visit a second before the first period is in the period before.
    assert_eq!(rows[5][1], "2025-03-10");
}

/// Generated files with every fault, against the reference (when python3 is present).
#[test]
fn generated_files_match_the_reference() {
    use caremarket_ingest::ecm_synthetic::{Shape, write_actual, write_planned};
    let dir = std::env::temp_dir().join(format!("caremarket-ecm-golden-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let (p, a) = (dir.join("planned.csv"), dir.join("actual.csv"));
    let shape = Shape { visits: 30_000, seed: 11 };
    write_planned(shape, std::fs::File::create(&p).expect("create")).expect("write");
    write_actual(shape, std::fs::File::create(&a).expect("create")).expect("write");
    // Split into parts on disk by visit id (as files over 192 MiB are), the same figures.
    let whole = reconcile_files(&p, &a, &Options::default(), &|_| {}).expect("reconcile");
    for parts in [2, 7] {
        assert_eq!(reconcile_files_in_parts(&p, &a, &Options::default(), &|_| {}, parts).expect("parts"), whole, "{parts} parts");
    }
    for (options, args) in [
        (Options::default(), vec![]),
        (
            Options::new(date("2025-01-01"), 10, false).expect("options"),
            vec!["--periods-from", "2025-01-01", "--period-days", "10", "--no-cap"],
        ),
    ] {
        let figures = reconcile_files(&p, &a, &options, &|_| {}).expect("reconcile");
        let ours = String::from_utf8(to_csv(&figures)).expect("utf8");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ecm_reference.py");
        match Command::new("python3").arg(script).arg(&p).arg(&a).args(&args).output() {
            Ok(out) => {
                assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
                assert_eq!(ours, String::from_utf8(out.stdout).expect("utf8"), "{args:?}");
            }
            Err(_) => eprintln!("python3 not found: generated files not compared with the reference"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn in_parts_the_fixture_is_the_same_and_a_repeated_plan_is_refused() {
    let expected = std::fs::read_to_string(fixture("expected.csv")).expect("expected");
    for parts in [2, 5] {
        let figures =
            reconcile_files_in_parts(&fixture("planned.csv"), &fixture("actual.csv"), &Options::default(), &|_| {}, parts).expect("parts");
        assert_eq!(String::from_utf8(to_csv(&figures)).expect("utf8"), expected);
    }
    let dir = std::env::temp_dir().join(format!("caremarket-ecm-parts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let planned = std::fs::read_to_string(fixture("planned.csv")).expect("planned") + "108,PR9,HC10,2025-04-20T10:00:00,30,1,2010\n";
    let p = dir.join("planned.csv");
    std::fs::write(&p, planned).expect("write");
    let err = reconcile_files_in_parts(&p, &fixture("actual.csv"), &Options::default(), &|_| {}, 3).unwrap_err();
    assert!(err.to_string().ends_with("visit_id 108 is planned more than once (rows 2, 19); each planned visit needs its own id"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
