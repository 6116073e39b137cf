//! "As at" a date on the figure pages (issue 16 item 8): the dashboard, quality, capacity and
//! Self-Directed Support pages each carry a date control, say which date their figures are as
//! at, follow a past date's figures to the services counted then, and refuse a date they cannot
//! answer with a message naming it. The expected figures come from the records written here.

use crate::common;

use caremarket_core::Date;
use caremarket_core::access::Role;
use caremarket_core::register::{Rating, ServiceKind};
use caremarket_store::Actor;
use caremarket_store::register::{NewService, RatingRecord};
use common::{Client, visible_text};

fn d(s: &str) -> Date {
    s.parse().expect("date")
}

/// (name, kind, registered, ratings oldest first)
type Home = (&'static str, ServiceKind, &'static str, &'static [(&'static str, Rating)]);
const HOMES: &[Home] = &[
    ("Alder House", ServiceKind::CareHomeResidential, "2015-01-01", &[("2019-03-01", Rating::Good), ("2025-06-01", Rating::Inadequate)]),
    ("Beech Court", ServiceKind::CareHomeResidential, "2015-01-01", &[("2024-02-01", Rating::RequiresImprovement)]),
    ("Chestnut Lodge", ServiceKind::CareHomeNursing, "2025-05-01", &[]),
];

async fn market() -> Client {
    let c = Client::sqlite().await;
    let a = Actor::system("test");
    for (i, (name, kind, registered, ratings)) in HOMES.iter().enumerate() {
        let p = c.store.create_provider(&a, None, &format!("{name} Ltd"), None, None).await.expect("test step");
        let id = c
            .store
            .create_service(
                &a,
                &NewService {
                    cqc_location_id: Some(format!("1-{i}")),
                    town: None,
                    postcode: None,
                    local_authority: None,
                    registration_date: Some(d(registered)),
                    ..caremarket_testkit::service(p, *name, *kind)
                },
            )
            .await
            .expect("test step");
        for (on, r) in *ratings {
            c.store
                .add_rating(&a, &id, &RatingRecord { overall: Some(*r), report_date: Some(d(on)), ..Default::default() }, "test")
                .await
                .expect("test step");
        }
    }
    c.user("commissioner@test.gov.uk", Role::Commissioner, None).await;
    c
}

/// The grade a home had at the end of `on`.
fn grade(ratings: &[(&str, Rating)], on: Date) -> Option<Rating> {
    ratings.iter().rev().find(|(p, _)| d(p) <= on).map(|(_, r)| *r)
}

#[tokio::test]
async fn the_dashboard_as_at_a_quarter_end_counts_what_was_true_then_and_lists_it() {
    let mut c = market().await;
    c.sign_in_as("commissioner@test.gov.uk").await;
    let on = d("2025-03-31");
    let r = c.get("/dashboard?as_at-day=31&as_at-month=3&as_at-year=2025").await;
    r.assert_ok();
    let text = visible_text(&r.body);
    let homes: Vec<_> = HOMES.iter().filter(|h| d(h.2) <= on).collect();
    assert!(text.contains(&format!("As at 31 March 2025: {} services", homes.len())), "{text}");
    assert!(text.contains("These are the figures as they stood at the end of 31 March 2025"), "{text}");
    // The page's other date form keeps the date the figures are as at.
    assert!(r.body.contains("<input type=\"hidden\" name=\"as_at\" value=\"2025-03-31\">"), "the inspection form keeps as_at");
    // Recent changes default to the 90 days before the date asked about.
    let since = on.checked_sub(jiff::Span::new().days(90)).expect("a date");
    assert!(text.contains(&format!("Rating changes since {} to 31 March 2025", since.strftime("%-d %B %Y"))), "{text}");
    // Residential homes then: both rated, the Good one (Alder House had not yet fallen).
    let res: Vec<_> = homes.iter().filter(|h| h.1 == ServiceKind::CareHomeResidential).collect();
    let good = res.iter().filter(|h| matches!(grade(h.3, on), Some(Rating::Good | Rating::Outstanding))).count();
    let rated = res.iter().filter(|h| grade(h.3, on).is_some()).count();
    let row = r.body.split_once("Care home (residential)</th>").and_then(|(_, s)| s.split("</tr>").next()).unwrap_or_default();
    let row = visible_text(row);
    // Every home is spot purchased, which is a contract.
    let percent = format!("{:.1}%", good as f64 * 100.0 / rated as f64);
    assert!(row.contains(&format!("{n} {n} {rated} {good} {percent}", n = res.len())), "{row}");
    // The figure links to the services counted on that date.
    let href = "/dashboard/services?as_at=2025-03-31&amp;kind=care_home_residential&amp;rating=good_or_outstanding";
    // Template values escape `/` as `&#x2f;`, which a browser reads as `/`.
    assert!(r.body.replace("&#x2f;", "/").contains(href), "{}", r.body);
    let list = c.get(&href.replace("&amp;", "&")).await;
    list.assert_ok();
    let lt = visible_text(&list.body);
    let want: Vec<&str> = res.iter().filter(|h| matches!(grade(h.3, on), Some(Rating::Good | Rating::Outstanding))).map(|h| h.0).collect();
    assert!(lt.contains(&format!("{} service: Care home (residential), rated Good or Outstanding", want.len())), "{lt}");
    for name in want {
        assert!(lt.contains(&format!("{name} {name} Ltd Care home (residential) Spot purchase Good 1 March 2019")), "{lt}");
    }
    assert!(!lt.contains("Beech Court Beech"), "Beech Court was Requires Improvement: {lt}");

    // Today the same figure counts no Good home: Alder House fell in June 2025.
    let r = c.get("/dashboard").await;
    let row = r.body.split_once("Care home (residential)</th>").and_then(|(_, s)| s.split("</tr>").next()).unwrap_or_default();
    let today = caremarket_store::today();
    let good_now = res.iter().filter(|h| matches!(grade(h.3, today), Some(Rating::Good | Rating::Outstanding))).count();
    assert!(
        visible_text(row).contains(&format!("{n} {n} 2 {good_now} {:.1}%", good_now as f64 * 50.0, n = res.len())),
        "{}",
        visible_text(row)
    );
    assert!(r.body.replace("&#x2f;", "/").contains("href=\"/services?kind=care_home_residential&amp;rating=good_or_outstanding\""));
}

#[tokio::test]
async fn a_date_a_figure_page_cannot_answer_is_refused_naming_it() {
    let mut c = market().await;
    c.sign_in_as("commissioner@test.gov.uk").await;
    let tomorrow = caremarket_store::today().checked_add(jiff::Span::new().days(1)).expect("test step");
    for page in ["/dashboard", "/quality", "/capacity", "/direct-payments/figures"] {
        let r = c.get(&format!("{page}?as_at={tomorrow}")).await;
        r.assert_ok();
        let text = visible_text(&r.body);
        assert!(text.contains("There is a problem"), "{page}: {text}");
        assert!(text.contains("The date the figures are as at must be today or in the past"), "{page}: {text}");
        assert!(r.body.contains("href=\"#as_at-day\""), "{page}: the error links to the control");
        let r = c.get(&format!("{page}?as_at-day=30&as_at-month=2&as_at-year=2025")).await;
        assert!(visible_text(&r.body).contains("The date the figures are as at must be a real date"), "{page}");
        // Every page has the control, and shows the date it is as at.
        let r = c.get(&format!("{page}?as_at=2025-03-31")).await;
        r.assert_ok();
        let text = visible_text(&r.body);
        assert!(r.body.contains("name=\"as_at-day\"") && r.body.contains("value=\"31\""), "{page}: the control shows the date");
        assert!(text.contains("As at 31 March 2025"), "{page}: {text}");
        assert!(text.contains("Show today's figures"), "{page}");
    }
    let r = c.get("/dashboard/services?as_at=2025-03-31&rating=best").await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("rating must be rated or good_or_outstanding"), "{}", r.body);
}

#[tokio::test]
async fn the_quality_page_as_at_a_past_date_counts_the_homes_ratings_then() {
    let mut c = market().await;
    c.sign_in_as("commissioner@test.gov.uk").await;
    let on = d("2025-03-31");
    let r = c.get("/quality?as_at=2025-03-31").await;
    r.assert_ok();
    let text = visible_text(&r.body);
    let homes: Vec<_> = HOMES.iter().filter(|h| d(h.2) <= on).collect();
    let rated = homes.iter().filter(|h| grade(h.3, on).is_some()).count();
    let good = homes.iter().filter(|h| matches!(grade(h.3, on), Some(Rating::Good | Rating::Outstanding))).count();
    assert!(text.contains(&format!("({good} of {rated} rated homes")), "{text}");
    assert!(text.contains("Open actions and the watch list are kept for today only"), "{text}");
    assert!(!text.contains("Highest early-warning scores"), "no watch list for a past date");
}

#[tokio::test]
async fn rag_by_kind_is_a_chart_that_reads_the_tables_counts_as_at_the_date() {
    use caremarket_core::quality::Rag;
    let mut c = market().await;
    let a = Actor::system("test");
    let ids: Vec<(String, ServiceKind)> = {
        let all = c.store.services(&Default::default()).await.expect("test step").items;
        HOMES.iter().map(|h| (all.iter().find(|s| s.name == h.0).expect("home").id.clone(), h.1)).collect()
    };
    // Alder House Red from 2025-04-01; Beech Court Amber from 2024-01-01; Chestnut Lodge, never
    // assessed, is counted only once registered (May 2025).
    let rags = [(0usize, Rag::Red, "2025-04-01"), (1, Rag::Amber, "2024-01-01")];
    for (i, rag, on) in rags {
        c.store.set_rag(&a, &ids[i].0, rag, "test", d(on)).await.expect("test step");
    }
    c.sign_in_as("commissioner@test.gov.uk").await;
    for on in ["2025-03-31", "2025-06-30"] {
        let r = c.get(&format!("/quality?as_at={on}")).await;
        r.assert_ok();
        let count = |kind: ServiceKind, want: Option<Rag>| {
            ids.iter()
                .enumerate()
                .filter(|(i, (_, k))| *k == kind && d(HOMES[*i].2) <= d(on))
                .filter(|(i, _)| rags.iter().rev().find(|(j, _, from)| j == i && d(from) <= d(on)).map(|(_, r, _)| *r) == want)
                .count()
        };
        let mut lines = Vec::new();
        for (kind, label) in
            [(ServiceKind::CareHomeResidential, "Care home (residential)"), (ServiceKind::CareHomeNursing, "Care home (nursing)")]
        {
            let n = [count(kind, Some(Rag::Green)), count(kind, Some(Rag::Amber)), count(kind, Some(Rag::Red)), count(kind, None)];
            // A kind with no service on the register then has no row.
            if n.iter().sum::<usize>() > 0 {
                lines.push(format!("{label}: Green {}, Amber {}, Red {}, Not assessed {}", n[0], n[1], n[2], n[3]));
            }
        }
        let desc = format!("<desc id=\"rag-chart-desc\">{}</desc>", lines.join("; "));
        assert!(
            r.body.contains(&desc),
            "{on}: {desc} in {}",
            r.body.split("rag-chart-desc").nth(1).unwrap_or_default().chars().take(300).collect::<String>()
        );
    }
}

#[tokio::test]
async fn ratings_over_time_reads_each_quarter_end_as_the_dashboard_as_at_it() {
    let mut c = market().await;
    c.sign_in_as("commissioner@test.gov.uk").await;
    let today = caremarket_store::today();
    let mut ends: Vec<Date> = (today.year() - 3..=today.year())
        .flat_map(|y| ["03-31", "06-30", "09-30", "12-31"].map(|md| d(&format!("{y}-{md}"))))
        .filter(|q| *q <= today)
        .collect();
    ends = ends.split_off(ends.len() - 8);
    let r = c.get("/dashboard/ratings-over-time").await;
    r.assert_ok();
    let text = visible_text(&r.body);
    for end in ends {
        let on_market: Vec<_> = HOMES.iter().filter(|h| d(h.2) <= end).collect();
        let rated = on_market.iter().filter(|h| grade(h.3, end).is_some()).count();
        let good = on_market.iter().filter(|h| matches!(grade(h.3, end), Some(Rating::Good | Rating::Outstanding))).count();
        let percent = if rated == 0 { "–".to_string() } else { format!("{:.1}%", good as f64 * 100.0 / rated as f64) };
        let date = end.strftime("%-d %B %Y").to_string();
        assert!(text.contains(&format!("{date} {rated} {good} {percent}")), "{date}: {rated} {good} {percent} in {text}");
    }
    assert!(r.body.contains("<desc id=\"ratings-over-time-desc\">"), "the chart describes its bars");
}
