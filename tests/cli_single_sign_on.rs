//! `caremarket user groups`, `user map-group` and `user unmap-group` (issue 17 item 8), and the
//! single sign-on settings, as an operator uses them: the built binary on a fresh data folder.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("caremarket-cli-sso-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The binary in `dir` with its database there and no CAREMARKET_* settings from the environment.
fn caremarket(dir: &TempDir, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_caremarket"));
    cmd.current_dir(&dir.0);
    for (k, _) in std::env::vars() {
        if k.starts_with("CAREMARKET_") {
            cmd.env_remove(k);
        }
    }
    cmd.env_remove("RUST_LOG").stdin(Stdio::null()).args(args);
    cmd.env("CAREMARKET_DATABASE_URL", format!("sqlite://{}", dir.0.join("caremarket.db").display()));
    cmd
}

/// The exit code, what was printed after the "Database: ..." line every command starts with, and
/// standard error.
fn run(cmd: &mut Command) -> (Option<i32>, String, String) {
    let Output { status, stdout, stderr } = cmd.output().expect("run caremarket");
    let stdout = String::from_utf8_lossy(&stdout).lines().filter(|l| !l.starts_with("Database: ")).collect::<Vec<_>>().join("\n");
    (status.code(), stdout, String::from_utf8_lossy(&stderr).into_owned())
}

#[test]
fn groups_are_mapped_listed_and_unmapped() {
    let dir = TempDir::new("groups");
    let (code, out, err) = run(&mut caremarket(&dir, &["user", "groups"]));
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("No group gives a role at single sign-on yet"), "{out}");

    let (code, out, err) = run(&mut caremarket(&dir, &["user", "map-group", "--group", "care-commissioning", "--role", "commissioner"]));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.trim(), "People in the group care-commissioning now get the role Commissioner when they sign in with single sign-on.");
    let (code, _, err) = run(&mut caremarket(&dir, &["user", "map-group", "--group", "quality-team", "--role", "quality officer"]));
    assert_eq!(code, Some(0), "{err}");

    let (_, out, _) = run(&mut caremarket(&dir, &["user", "groups"]));
    let lines: Vec<String> = out.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
    assert_eq!(lines, vec!["Group Role", "care-commissioning Commissioner", "quality-team Quality officer", "2 group mappings"], "{out}");

    // A provider role, an unknown role and an empty group are refused, naming what is wrong.
    let (code, _, err) = run(&mut caremarket(&dir, &["user", "map-group", "--group", "providers", "--role", "provider"]));
    assert_eq!(code, Some(1));
    assert!(err.contains("--role must be one of admin, commissioner") && err.contains("found 'provider'"), "{err}");
    let (code, _, err) = run(&mut caremarket(&dir, &["user", "map-group", "--group", " ", "--role", "viewer"]));
    assert_eq!(code, Some(1));
    assert!(err.contains("Enter the group's name or id"), "{err}");

    let (code, out, err) = run(&mut caremarket(&dir, &["user", "unmap-group", "--group", "care-commissioning"]));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.trim(), "The group care-commissioning no longer gives a role at single sign-on.");
    let (code, _, err) = run(&mut caremarket(&dir, &["user", "unmap-group", "--group", "care-commissioning"]));
    assert_eq!(code, Some(1));
    assert!(err.contains("No role is mapped to the group care-commissioning"), "{err}");
    let (_, out, _) = run(&mut caremarket(&dir, &["user", "groups"]));
    assert!(out.contains("quality-team") && !out.contains("care-commissioning") && out.contains("1 group mapping"), "{out}");
}

#[test]
fn half_a_single_sign_on_configuration_stops_the_command_naming_what_is_missing() {
    let dir = TempDir::new("settings");
    let (code, _, err) = run(caremarket(&dir, &["migrate"]).env("CAREMARKET_OIDC_ISSUER_URL", "https://login.example.test/council"));
    assert_eq!(code, Some(1));
    assert!(err.contains("oidc_redirect_base_url is needed for single sign-on"), "{err}");
    let (code, _, err) = run(caremarket(&dir, &["migrate"])
        .env("CAREMARKET_OIDC_ISSUER_URL", "https://login.example.test/council")
        .env("CAREMARKET_OIDC_REDIRECT_BASE_URL", "https://caremarket.council.example")
        .env("CAREMARKET_OIDC_CLIENT_ID", "caremarket")
        .env("CAREMARKET_OIDC_CLIENT_SECRET", "s3cret-value")
        .env("CAREMARKET_OIDC_DISPLAY_NAME", ""));
    assert_eq!(code, Some(1));
    assert!(err.contains("oidc_display_name is needed"), "{err}");
    assert!(!err.contains("s3cret-value"), "the secret is never printed: {err}");
    let (code, _, err) = run(caremarket(&dir, &["migrate"]).env("CAREMARKET_OIDC_CLIENT_SECRET", "s3cret-value"));
    assert_eq!(code, Some(1));
    assert!(err.contains("oidc_issuer_url is needed for single sign-on"), "{err}");
    let (code, _, err) = run(caremarket(&dir, &["migrate"])
        .env("CAREMARKET_OIDC_ISSUER_URL", "https://login.example.test/council")
        .env("CAREMARKET_OIDC_REDIRECT_BASE_URL", "https://caremarket.council.example")
        .env("CAREMARKET_OIDC_CLIENT_ID", "caremarket")
        .env("CAREMARKET_OIDC_CLIENT_SECRET", "s3cret-value")
        .env("CAREMARKET_OIDC_DISPLAY_NAME", "Council ID"));
    assert_eq!(code, Some(0), "a whole configuration is accepted: {err}");
}
