//! Every role walks the demo council by following the links it is shown, as a person would
//! (issue 16 items 2 and 6). On every page reached:
//! - no link the role is shown answers 403 (a link must only be shown to those who may follow it);
//! - nothing answers a server error;
//! - the words a person reads are words, not codes: no `snake_case` codes such as
//!   `spot_purchase`, no developer references such as "(`004` §4.8)", and no "1 plans".
//!
//! Runs on SQLite: the demo takes minutes to generate on PostgreSQL, and what this checks is
//! the pages, which are the same on both (the per-backend SQL is covered by the page tests).
use crate::common;

use axum::http::StatusCode;
use caremarket_demo::{DEMO_PASSWORD, DemoOptions, generate};
use common::{Client, visible_text};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

const ROLES: &[&str] = &[
    "admin@demo.caremarket.test",
    "commissioner@demo.caremarket.test",
    "quality@demo.caremarket.test",
    "brokerage@demo.caremarket.test",
    "dp@demo.caremarket.test",
    "viewer@demo.caremarket.test",
    "councillor@demo.caremarket.test",
    "scrutiny@demo.caremarket.test",
    "provider@demo.caremarket.test",
];

/// Pages each role reads at most, and how many pages of one shape (`/services/{id}`) it opens.
const MAX_PAGES: usize = 400;
const PER_SHAPE: usize = 3;

/// A path's shape: segments that hold a digit become `{id}`, and the query's keys are kept
/// without their values, so that 500 service pages count as one shape.
fn shape(href: &str) -> String {
    let (path, query) = href.split_once('?').unwrap_or((href, ""));
    let path: Vec<String> =
        path.split('/').map(|s| if s.chars().any(|c| c.is_ascii_digit()) { "{id}".to_string() } else { s.to_string() }).collect();
    let mut keys: Vec<&str> = query.split('&').filter_map(|kv| kv.split('=').next()).filter(|k| !k.is_empty()).collect();
    keys.sort();
    keys.dedup();
    format!("{}?{}", path.join("/"), keys.join("&"))
}

fn links(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in body.match_indices("href=\"") {
        let start = i + 6;
        let Some(len) = body[start..].find('"') else { continue };
        let href = body[start..start + len].replace("&amp;", "&");
        let href = href.split('#').next().unwrap_or("").to_string();
        if !href.starts_with('/') || href.starts_with("//") || href.starts_with("/assets") || href == "/sign-out" {
            continue;
        }
        out.push(href);
    }
    out
}

/// Words that are codes or notes to developers, with a little of the text around each.
fn faults_in_words(text: &str) -> Vec<String> {
    let mut faults = Vec::new();
    let words: Vec<&str> = text.split_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        let bare = w.trim_matches(|c: char| !c.is_alphanumeric() && c != '_');
        let context = || words[i.saturating_sub(4)..(i + 5).min(words.len())].join(" ");
        let is_code = bare.contains('_')
            && bare.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && bare.chars().next().is_some_and(|c| c.is_ascii_lowercase());
        if is_code {
            faults.push(format!("code {bare:?} in \"{}\"", context()));
        }
        if w.contains('`') {
            faults.push(format!("backtick in \"{}\"", context()));
        }
        if *w == "1"
            && let Some(next) = words.get(i + 1)
        {
            let next = next.trim_end_matches(|c: char| !c.is_alphanumeric());
            let then = words.get(i + 2).copied().unwrap_or("");
            // "1 plans", "1 sleep-ins"; but not "1 April" or "1 of 4", nor a plural noun that
            // really follows a one ("1 series").
            let plural_noun =
                next.len() > 3 && next.ends_with('s') && !next.ends_with("ss") && next.chars().all(|c| c.is_ascii_lowercase() || c == '-');
            if plural_noun && !matches!(next, "series" | "hours" | "minutes" | "weeks" | "days" | "months" | "years") {
                faults.push(format!("plural after 1 in \"{}\"", context()));
            } else if matches!(then, "are" | "were" | "have") && next.chars().all(|c| c.is_ascii_lowercase()) {
                faults.push(format!("\"1 {next} {then}\" in \"{}\"", context()));
            }
        }
    }
    faults
}

/// The page without its `<code>` elements: a column name a file must carry is shown as code on
/// purpose.
fn without_code(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find("<code>") {
        out.push_str(&rest[..i]);
        rest = rest[i..].find("</code>").map(|e| &rest[i + e + "</code>".len()..]).unwrap_or("");
    }
    out.push_str(rest);
    out
}

async fn sign_in(c: &mut Client, email: &str) {
    c.get("/sign-in").await;
    let r = c.post_form("/sign-in", &[("email", email), ("password", DEMO_PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "sign in as {email}");
}

#[tokio::test]
async fn every_role_follows_only_links_it_may_and_reads_words_not_codes() {
    let store = caremarket_testkit::sqlite().await.expect("sqlite");
    generate(&store, &DemoOptions::as_at(caremarket_store::today())).await.expect("demo");
    let mut faults: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut read = 0;
    for email in ROLES {
        let mut c = Client::new(store.clone());
        sign_in(&mut c, email).await;
        let mut seen_shapes: BTreeMap<String, usize> = BTreeMap::new();
        let mut queued: BTreeSet<String> = BTreeSet::new();
        // (page, the page whose link led there)
        let mut queue: VecDeque<(String, String)> = VecDeque::from([("/".to_string(), "sign-in".to_string())]);
        let mut pages = 0;
        while let Some((href, from)) = queue.pop_front() {
            if pages >= MAX_PAGES {
                break;
            }
            let r = c.get(&href).await;
            pages += 1;
            let mut fault = |f: String| {
                faults.entry(f).or_default().insert(format!("{email} at {href} (linked from {from})"));
            };
            if r.status == StatusCode::FORBIDDEN {
                fault("a link the role is shown answers 403".to_string());
                continue;
            }
            if r.status.is_server_error() {
                fault(format!("server error {}", r.status));
                continue;
            }
            if r.status.is_redirection() {
                if let Some(to) = r.location.filter(|l| l.starts_with('/') && !l.starts_with("/sign-in"))
                    && queued.insert(to.clone())
                {
                    queue.push_back((to, href.clone()));
                }
                continue;
            }
            let is_html = r.content_type.as_deref().is_some_and(|t| t.starts_with("text/html"));
            if !is_html {
                continue;
            }
            let main = r.body.split("<main").nth(1).unwrap_or(&r.body);
            for f in faults_in_words(&visible_text(&without_code(main))) {
                fault(f);
            }
            for link in links(&r.body) {
                let n = seen_shapes.entry(shape(&link)).or_default();
                if *n < PER_SHAPE && queued.insert(link.clone()) {
                    *n += 1;
                    queue.push_back((link, href.clone()));
                }
            }
        }
        assert!(pages > 3, "{email} reached only {pages} pages from /");
        read += pages;
    }
    let report: Vec<String> = faults
        .iter()
        .map(|(f, wheres)| format!("{f}\n    {}", wheres.iter().take(3).cloned().collect::<Vec<_>>().join("\n    ")))
        .collect();
    assert!(report.is_empty(), "{} faults on {read} pages read:\n{}", report.len(), report.join("\n"));
}

#[test]
fn the_word_check_finds_codes_references_and_plurals() {
    assert_eq!(faults_in_words("Contract status spot_purchase").len(), 1);
    assert_eq!(faults_in_words("As the council's report says (`004` §4.8)").len(), 1);
    assert_eq!(faults_in_words("1 plans are open").len(), 1);
    assert_eq!(faults_in_words("there were 1 sleep-ins").len(), 1);
    assert!(faults_in_words(&visible_text(&without_code("<p>Columns <code>service_id</code>, <code>month</code></p>"))).is_empty());
    assert!(faults_in_words("1 plan is open; 2 plans are open; from 1 April; 1 of 4; email a.b@x.gov.uk").is_empty());
}
