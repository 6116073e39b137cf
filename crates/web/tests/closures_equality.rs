//! Two figures of the quarterly report that need records CQC does not hold, as officers meet
//! them: why each closed home closed (recorded on the service's page, counted by reason in the
//! report), and direct payments by ethnicity and religion (recorded on the direct payment,
//! published with counts from 1 to 4 suppressed). Expected figures are counted here from the
//! records the test makes.

use crate::common;

use caremarket_core::access::Role;
use caremarket_core::direct_payments::equality::Equality;
use caremarket_core::direct_payments::{BudgetPeriod, DpDraft, Holding};
use caremarket_core::register::ServiceKind;
use caremarket_store::Actor;
use caremarket_store::direct_payments::NewDirectPayment;
use caremarket_store::register::NewService;
use common::{Client, visible_text};
use jiff::civil::{Date, date};

fn home(provider_id: &str, name: &str, registered: Date) -> NewService {
    NewService {
        town: None,
        registration_date: Some(registered),
        beds: Some(20),
        ..caremarket_testkit::service(provider_id, name, ServiceKind::CareHomeResidential)
    }
}

/// The table of the report (or page) whose caption starts with `caption`: its rows as visible
/// text, cell by cell.
fn table_rows(html: &str, caption: &str) -> Vec<Vec<String>> {
    let table = html
        .split("<table")
        .skip(1)
        .map(|t| &t[..t.find("</table>").unwrap_or(t.len())])
        .find(|t| t.find("<caption").is_some_and(|i| visible_text(&t[i..t.find("</caption>").unwrap_or(t.len())]).starts_with(caption)))
        .unwrap_or_else(|| panic!("no table captioned '{caption}'"));
    table
        .split("<tr")
        .skip(1)
        .map(|row| {
            row.split("<t")
                .skip(1)
                .filter(|c| c.starts_with('d') || c.starts_with('h'))
                .map(|c| visible_text(&format!("<t{c}")))
                .collect::<Vec<_>>()
        })
        .filter(|r: &Vec<String>| !r.is_empty())
        .collect()
}

/// A closed home: its name, the day it closed, and the reason to record (code, label).
type Closed = (&'static str, Date, Option<(&'static str, &'static str)>);

#[tokio::test]
async fn why_a_home_closed_is_recorded_on_its_page_and_counted_by_reason_in_the_report() {
    let mut c = Client::sqlite().await;
    let a = Actor::system("test");
    let p = c.store.create_provider(&a, None, "Moorland Homes Ltd", None, None).await.expect("provider");
    // (name, closed on, reason code to record, its label)
    let closed: [Closed; 6] = [
        ("Heather House", date(2016, 5, 1), Some(("practice", "Related to practice"))),
        ("Brook House", date(2019, 9, 30), Some(("financial", "Financial reasons"))),
        ("Alder House", date(2021, 2, 14), Some(("financial", "Financial reasons"))),
        ("Mill House", date(2024, 3, 1), Some(("financial", "Financial reasons"))),
        ("Kestrel House", date(2024, 10, 1), Some(("provider_choice", "The provider's choice"))),
        ("Rowan House", date(2024, 11, 20), None),
    ];
    let mut ids = Vec::new();
    for (name, on, _) in &closed {
        let id = c.store.create_service(&a, &home(&p, name, date(2010, 1, 1))).await.expect("home");
        c.store.mark_service_closed(&a, &id, *on).await.expect("closed");
        ids.push(id);
    }
    // A home still open, and one that closes after the report's date: neither is counted.
    let open = c.store.create_service(&a, &home(&p, "Open House", date(2010, 1, 1))).await.expect("home");
    let after = c.store.create_service(&a, &home(&p, "After House", date(2010, 1, 1))).await.expect("home");
    c.store.mark_service_closed(&a, &after, date(2025, 2, 1)).await.expect("closed");

    // A viewer reads the register but records nothing.
    c.user("viewer@test", Role::Viewer, None).await;
    c.sign_in_as("viewer@test").await;
    let page = c.get(&format!("/services/{}", ids[0])).await;
    page.assert_ok();
    assert!(visible_text(&page.body).contains("Why it closed Reason Not recorded"));
    assert!(visible_text(&page.body).contains("Registration Deregistered on 1 May 2016 (registered 1 January 2010)"));
    assert!(!page.body.contains(&format!("/services/{}/closure", ids[0])), "no change link for a viewer");
    assert_eq!(c.get(&format!("/services/{}/closure", ids[0])).await.status, 403);
    assert_eq!(c.post_form(&format!("/services/{}/closure", ids[0]), &[("reason", "financial")]).await.status, 403);

    c.user("commissioner@test", Role::Commissioner, None).await;
    c.sign_in_as("commissioner@test").await;
    // Each refusal names its field in the error summary.
    let form = c.get(&format!("/services/{}/closure", ids[0])).await;
    form.assert_ok();
    assert!(visible_text(&form.body).contains("Why did this service close?"));
    assert!(visible_text(&form.body).contains("Save reason"));
    let r = c.post_form(&format!("/services/{}/closure", ids[0]), &[("reason", ""), ("note", "")]).await;
    assert_eq!(r.status, 400);
    assert!(visible_text(&r.body).contains("There is a problem Select why the service closed"), "{}", visible_text(&r.body));
    let r = c.post_form(&format!("/services/{}/closure", ids[0]), &[("reason", "other"), ("note", " ")]).await;
    assert_eq!(r.status, 400);
    assert!(visible_text(&r.body).contains("Say why the service closed, as the reason is ‘Other’"));
    c.get(&format!("/services/{open}/closure")).await.assert_ok();
    let r = c.post_form(&format!("/services/{open}/closure"), &[("reason", "financial"), ("note", "")]).await;
    assert_eq!(r.status, 400);
    assert!(visible_text(&r.body).contains("This service is still registered with CQC"));

    for ((_, _, reason), id) in closed.iter().zip(&ids) {
        let Some((code, _)) = reason else { continue };
        c.get(&format!("/services/{id}/closure")).await.assert_ok();
        let r = c.post_form(&format!("/services/{id}/closure"), &[("reason", code), ("note", "Residents moved safely")]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(r.location.as_deref(), Some(format!("/services/{id}?closure=1").as_str()));
    }
    let page = c.get(&format!("/services/{}?closure=1", ids[1])).await;
    let t = visible_text(&page.body);
    assert!(t.contains("The reason for closing has been saved"), "{t}");
    assert!(t.contains("Reason Financial reasons"));
    assert!(t.contains("Note Residents moved safely"));

    // The report as at 31 December 2024: its year is 1 January to 31 December 2024.
    let as_at = date(2024, 12, 31);
    let year_from = date(2024, 1, 1);
    let page = c.get("/reports/quarterly?as_at=2024-12-31").await;
    page.assert_ok();
    let rows = table_rows(&page.body, "Services that closed, by reason");
    let earliest = closed.iter().map(|(_, on, _)| *on).min().expect("some");
    assert_eq!(rows[0], ["Reason", "1 January 2024 to 31 December 2024", &format!("Since {}", earliest.strftime("%-d %B %Y"))]);
    let count = |label: Option<&str>, from: Date| {
        closed.iter().filter(|(_, on, r)| *on >= from && *on <= as_at && r.map(|(_, l)| l) == label).count().to_string()
    };
    for label in ["Related to practice", "Financial reasons", "The provider's choice", "Other"] {
        let row = rows.iter().find(|r| r[0] == label).unwrap_or_else(|| panic!("row {label}: {rows:?}"));
        assert_eq!(row[1..], [count(Some(label), year_from), count(Some(label), earliest)], "{label}");
    }
    let row = rows.iter().find(|r| r[0] == "Reason not recorded").expect("not recorded row");
    assert_eq!(row[1..], [count(None, year_from), count(None, earliest)]);
    let in_year = closed.iter().filter(|(_, on, _)| *on >= year_from).count();
    assert_eq!(rows.last().expect("total")[..], ["All closures".to_string(), in_year.to_string(), closed.len().to_string()]);
}

#[tokio::test]
async fn direct_payments_by_ethnicity_and_religion_are_published_with_small_counts_suppressed() {
    let mut c = Client::sqlite().await;
    let a = Actor::system("test");
    // (ethnicity, religion) per adult with a direct payment open on the date.
    let people: Vec<(Option<&str>, Option<&str>)> = [
        vec![(Some("white"), Some("christian")); 4],
        vec![(Some("white"), Some("none")); 3],
        vec![(Some("asian"), Some("muslim")); 2],
        vec![(None, None); 5],
    ]
    .concat();
    for (i, (e, r)) in people.iter().enumerate() {
        c.store
            .create_direct_payment(
                &a,
                &NewDirectPayment {
                    draft: DpDraft {
                        person_ref: format!("EQ{i:03}"),
                        service_area: "older_people".into(),
                        is_child: false,
                        budget_pence: 20_000,
                        budget_period: BudgetPeriod::Weekly,
                        holding: Holding::OwnAccount,
                        mm_provider_id: None,
                        start_date: date(2024, 4, 1),
                    },
                    officer_id: None,
                    equality: Equality { ethnicity: e.map(str::to_string), religion: r.map(str::to_string) },
                },
            )
            .await
            .expect("dp");
    }

    // The officer records a new one's ethnicity and religion on the form; a code from nowhere
    // is refused by field.
    c.user("dp@test", Role::DirectPaymentsOfficer, None).await;
    c.sign_in_as("dp@test").await;
    let form = c.get("/direct-payments/new").await;
    form.assert_ok();
    assert!(visible_text(&form.body).contains("Equality monitoring (optional)"));
    let fields = |ethnicity: &'static str| {
        vec![
            ("person_ref", "EQ900"),
            ("is_child", "0"),
            ("service_area", "older_people"),
            ("budget", "200.00"),
            ("budget_period", "weekly"),
            ("holding", "own_account"),
            ("mm_provider_id", ""),
            ("start_date-day", "1"),
            ("start_date-month", "4"),
            ("start_date-year", "2024"),
            ("officer_id", ""),
            ("ethnicity", ethnicity),
            ("religion", ""),
        ]
    };
    let r = c.post_form("/direct-payments/new", &fields("martian")).await;
    assert_eq!(r.status, 400);
    assert!(visible_text(&r.body).contains("Choose an ethnic group from the list, or leave it as not recorded"));
    c.get("/direct-payments/new").await.assert_ok();
    let r = c.post_form("/direct-payments/new", &fields("white")).await;
    assert_eq!(r.status, 303, "{}", visible_text(&r.body));
    let show = r.location.expect("to the new direct payment");
    let id = show.trim_start_matches("/direct-payments/").split('?').next().expect("id").to_string();
    let t = visible_text(&c.get(&show).await.body);
    assert!(t.contains("Ethnic group White"), "{t}");
    assert!(t.contains("Religion Not recorded"), "{t}");
    // Corrected afterwards: religion "Prefers not to say".
    c.get(&format!("/direct-payments/{id}/equality")).await.assert_ok();
    let r = c.post_form(&format!("/direct-payments/{id}/equality"), &[("ethnicity", "white"), ("religion", "declined")]).await;
    assert_eq!(r.status, 303);
    let t = visible_text(&c.get(&r.location.expect("back")).await.body);
    assert!(t.contains("Equality monitoring saved") && t.contains("Religion Prefers not to say"), "{t}");

    let mut all = people.clone();
    all.push((Some("white"), Some("declined")));
    let suppressed = |n: usize| if (1..5).contains(&n) { "fewer than 5".to_string() } else { n.to_string() };
    let count_e = |code: Option<&str>| suppressed(all.iter().filter(|(e, _)| *e == code).count());
    let count_r = |code: Option<&str>| suppressed(all.iter().filter(|(_, r)| *r == code).count());

    c.user("commissioner@test", Role::Commissioner, None).await;
    c.sign_in_as("commissioner@test").await;
    let page = c.get("/reports/quarterly?as_at=2024-12-31").await;
    page.assert_ok();
    let rows = table_rows(&page.body, "Direct payments by ethnic group");
    let find =
        |rows: &[Vec<String>], label: &str| rows.iter().find(|r| r[0] == label).unwrap_or_else(|| panic!("{label}: {rows:?}"))[1].clone();
    assert_eq!(find(&rows, "White"), count_e(Some("white")));
    assert_eq!(find(&rows, "Asian, Asian British or Asian Welsh"), count_e(Some("asian")));
    assert_eq!(find(&rows, "Black, Black British, Black Welsh, Caribbean or African"), count_e(Some("black")));
    assert_eq!(find(&rows, "Not recorded"), count_e(None));
    let rows = table_rows(&page.body, "Direct payments by religion");
    assert_eq!(find(&rows, "Christian"), count_r(Some("christian")));
    assert_eq!(find(&rows, "No religion"), count_r(Some("none")));
    assert_eq!(find(&rows, "Muslim"), count_r(Some("muslim")));
    assert_eq!(find(&rows, "Prefers not to say"), count_r(Some("declined")));
    assert_eq!(find(&rows, "Not recorded"), count_r(None));
    // The suppressed counts are not given away by a share either.
    let muslim = rows.iter().find(|r| r[0] == "Muslim").expect("row");
    assert_eq!(muslim[2], "–");

    // The direct payments figures page shows the same, as at the same date.
    let page = c.get("/direct-payments/figures?as_at=2024-12-31").await;
    page.assert_ok();
    let rows = table_rows(&page.body, "People by ethnic group");
    assert_eq!(find(&rows, "White"), count_e(Some("white")));
    assert_eq!(find(&rows, "Asian, Asian British or Asian Welsh"), count_e(Some("asian")));
}
