//! Home care visits against call monitoring on the web (issue 11 item 7): only commissioners and
//! administrators see the figures; an upload runs with its progress page and gives the figures a
//! person reads, each worked out here from the files; a bad upload is named and nothing kept; a
//! provider sees and queries only its own visits; the officer's decision changes the pay shown;
//! the payment schedule downloads as CSV.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::{Permission, Role};
use caremarket_store::Actor;
use common::{Client, visible_text};

const PLANNED: &str = "visit_id,person_ref,provider_id,planned_start,planned_minutes,carers,rate_pence_per_hour
1,C1,1-111,2025-04-07T08:00:00,30,1,2000
2,C1,1-111,2025-04-07T12:00:00,60,2,2000
3,C2,1-111,2025-04-08T09:00:00,45,1,2000
4,C3,1-222,2025-04-09T10:00:00,30,1,2200
";

const ACTUAL: &str = "visit_id,provider_id,person_ref,actual_start,actual_end,care_worker_ref
1,1-111,C1,2025-04-07T08:05:00,2025-04-07T08:35:00,W1
2,1-111,C1,2025-04-07T12:40:00,2025-04-07T13:20:00,W2
4,1-222,C3,2025-04-09T10:00:00,2025-04-09T10:30:00,W9
";

/// The rules' pence: (rate × minutes × carers + 30) div 60.
fn pay(rate: i64, minutes: i64, carers: i64) -> i64 {
    (rate * minutes * carers + 30) / 60
}

fn pounds(p: i64) -> String {
    format!("£{}.{:02}", p / 100, p % 100)
}

/// Upload the files and wait on the import's page until it is no longer running.
async fn upload(c: &mut Client, planned: &str, actual: &str) -> (StatusCode, String) {
    c.get("/ecm/import").await;
    let token = c.csrf();
    let r = c
        .post_files(
            "/ecm/import",
            &token,
            &[("periods_from", "2025-04-07"), ("period_days", "28")],
            &[("planned", "planned.csv", planned), ("actual", "ecm.csv", actual)],
        )
        .await;
    if r.status != StatusCode::SEE_OTHER {
        return (r.status, visible_text(&r.body));
    }
    let to = r.location.unwrap_or_default();
    for _ in 0..200 {
        let page = c.get(&to).await;
        let text = visible_text(&page.body);
        if !text.contains("Importing home care visits") {
            return (page.status, text);
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the import did not finish");
}

#[tokio::test]
async fn figures_queries_and_the_schedule_for_the_roles_that_may_see_them() {
    let mut c = Client::sqlite().await;
    let a = Actor::system("test");
    let acme = c.store.create_provider(&a, Some("1-111"), "Acme Home Care Ltd", None, None).await.expect("p");
    let beta = c.store.create_provider(&a, Some("1-222"), "Beta Care Ltd", None, None).await.expect("p");

    // Only ViewFinance reads the figures; only the provider portal reads its own.
    for (i, role) in Role::ALL.into_iter().enumerate() {
        let email = format!("user{i}@test.gov.uk");
        c.user(&email, role, (role == Role::Provider).then_some(acme.as_str())).await;
        c.sign_in_as(&email).await;
        let r = c.get("/ecm").await;
        assert_eq!(r.status == StatusCode::OK, role.can(Permission::ViewFinance), "{role:?} /ecm: {}", r.status);
        let r = c.get("/portal/ecm").await;
        assert_eq!(r.status == StatusCode::OK, role == Role::Provider, "{role:?} /portal/ecm: {}", r.status);
        let r = c.get("/ecm/import").await;
        assert_eq!(r.status == StatusCode::OK, role.can(Permission::ManageFees), "{role:?} /ecm/import");
    }

    c.user("cam@test.gov.uk", Role::Commissioner, None).await;
    c.sign_in_as("cam@test.gov.uk").await;
    // Both files are needed; the upload says which is missing.
    c.get("/ecm/import").await;
    let token = c.csrf();
    let r = c
        .post_files("/ecm/import", &token, &[("periods_from", "2025-04-07"), ("period_days", "0")], &[("planned", "p.csv", PLANNED)])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let text = visible_text(&r.body);
    assert!(text.contains("Select the call monitoring export") && text.contains("Enter the days in a period"), "{text}");

    let (status, text) = upload(&mut c, PLANNED, ACTUAL).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("Import complete") && text.contains("4 planned visits and 3 call monitoring rows were reconciled"), "{text}");
    let page = visible_text(&c.get("/ecm").await.body);
    // Acme: visits 1 (30 of 30), 2 (40 of 60, two carers: late and short) and 3 (missed).
    let invoiced = pay(2000, 30, 1) + pay(2000, 60, 2) + pay(2000, 45, 1);
    let payable = pay(2000, 30, 1) + pay(2000, 40, 2);
    let acme_row = format!(
        "Acme Home Care Ltd 1-111 7 April to 4 May 2025 3 2 1 1 1 0 0 {} {} {} {} {}",
        "3.25", // carer minutes planned 30 + 120 + 45 = 195
        "1.83", // delivered 30 + 80 = 110
        pounds(invoiced),
        pounds(payable),
        pounds(invoiced - payable)
    );
    assert!(page.contains(&acme_row), "{acme_row} not in {page}");
    // Continuity: C1's two visits by two workers, both usual (up to three): 100%.
    assert!(page.contains("100.0% (2 of 2 visits)"), "{page}");

    // The missed figure drills down to visit 3.
    let imports = c.store.ecm_imports().await.expect("imports");
    let id = imports[0].id.clone();
    let missed = visible_text(&c.get(&format!("/ecm/imports/{id}/visits?provider={acme}&period=2025-04-07&show=missed")).await.body);
    assert!(missed.contains("Missed visits: 1") && missed.contains("3 C2 09:00 on 8 April 2025 45 1 No record"), "{missed}");

    // A provider sees and queries only its own visits.
    c.user("beta@test.gov.uk", Role::Provider, Some(&beta)).await;
    c.sign_in_as("beta@test.gov.uk").await;
    assert_eq!(c.get(&format!("/portal/ecm/{id}/visits/3")).await.status, StatusCode::NOT_FOUND);
    let r = c.post_form(&format!("/portal/ecm/{id}/visits/3"), &[("reason", "Ours")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let own = visible_text(&c.get("/portal/ecm").await.body);
    assert!(own.contains("Beta Care Ltd") && !own.contains("Acme"), "{own}");
    c.user("acme@test.gov.uk", Role::Provider, Some(&acme)).await;
    c.sign_in_as("acme@test.gov.uk").await;
    c.get(&format!("/portal/ecm/{id}/visits/3")).await;
    let r = c.post_form(&format!("/portal/ecm/{id}/visits/3"), &[("reason", ""), ("claimed_minutes", "")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(visible_text(&r.body).contains("Enter why the visit should be paid differently"));
    let r = c.post_form(&format!("/portal/ecm/{id}/visits/3"), &[("reason", "The phone had no signal"), ("claimed_minutes", "45")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let own = visible_text(&c.get("/portal/ecm?queried=1").await.body);
    assert!(own.contains("Query sent to the council") && own.contains("The phone had no signal") && own.contains("Open"), "{own}");
    // The portal's home says the query waits on the council, and links to it.
    let home = c.get("/portal").await;
    assert!(home.body.contains("<a class=\"govuk-link\" href=\"/portal/ecm\">1 query about visits and pay is waiting"), "{}", home.body);
    assert!(visible_text(&home.body).contains("1 query about visits and pay is waiting for the council's decision"));

    // The officer accepts it for 45 minutes: the figure shows the pay after queries.
    c.sign_in_as("cam@test.gov.uk").await;
    let queries = c.store.ecm_queries(None, Some("open")).await.expect("queries");
    let q = &queries[0].id;
    c.get(&format!("/ecm/queries/{q}")).await;
    let r = c.post_form(&format!("/ecm/queries/{q}"), &[("decision", "accept"), ("paid_minutes", "45"), ("note", "")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(visible_text(&r.body).contains("Enter the reason for the decision"));
    let r = c
        .post_form(&format!("/ecm/queries/{q}"), &[("decision", "accept"), ("paid_minutes", "45"), ("note", "Confirmed by the family")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = visible_text(&c.get("/ecm").await.body);
    assert!(page.contains(&format!("{} after queries", pounds(payable + pay(2000, 45, 1)))), "{page}");
    // A second query, on visit 2 (paid 40 of its 60 planned minutes): open, its age shown on the
    // officer's list; rejected, its pay stays as it was.
    c.sign_in_as("acme@test.gov.uk").await;
    c.get(&format!("/portal/ecm/{id}/visits/2")).await;
    let r = c
        .post_form(&format!("/portal/ecm/{id}/visits/2"), &[("reason", "Both carers stayed the full hour"), ("claimed_minutes", "60")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    c.sign_in_as("cam@test.gov.uk").await;
    let list = visible_text(&c.get("/ecm/queries").await.body);
    assert!(list.contains("Acme Home Care Ltd 2 Both carers stayed the full hour") && list.contains("less than a day Open"), "{list}");
    let q2 = c.store.ecm_queries(None, Some("open")).await.expect("queries")[0].id.clone();
    c.get(&format!("/ecm/queries/{q2}")).await;
    let r = c
        .post_form(
            &format!("/ecm/queries/{q2}"),
            &[("decision", "reject"), ("paid_minutes", ""), ("note", "The call log shows 40 minutes")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = visible_text(&c.get("/ecm").await.body);
    assert!(page.contains(&format!("{} after queries", pounds(payable + pay(2000, 45, 1)))), "a rejected query changed the pay: {page}");
    let rejected = visible_text(&c.get("/ecm/queries?status=rejected").await.body);
    assert!(rejected.contains("Both carers stayed the full hour") && rejected.contains("– Rejected"), "{rejected}");

    // Back in the portal: nothing waits, and both answers are counted as recent.
    c.sign_in_as("acme@test.gov.uk").await;
    let home = visible_text(&c.get("/portal").await.body);
    assert!(
        home.contains("0 queries about visits and pay are waiting for the council's decision ; 2 were answered in the last 30 days"),
        "{home}"
    );
    c.sign_in_as("cam@test.gov.uk").await;

    // The schedule pays on the rules' basis where no contract basis is recorded.
    let csv = c.get(&format!("/ecm/imports/{id}/schedule.csv")).await;
    assert_eq!(csv.content_type.as_deref(), Some("text/csv; charset=utf-8"));
    let acme_line = csv.body.lines().find(|l| l.contains("Acme Home Care Ltd")).expect("Acme's line");
    let amount = pay(2000, 30, 1) + pay(2000, 40, 2) + pay(2000, 45, 1);
    assert!(acme_line.contains(&format!(",2025-04-07,2025-05-04,3,{},{amount},", 30 + 80 + 45)), "{acme_line}");

    // A file naming a provider the register does not hold: the failure names its row.
    let (_, text) = upload(&mut c, &PLANNED.replace("4,C3,1-222", "4,C3,1-999"), ACTUAL).await;
    assert!(text.contains("Import failed") && text.contains("'planned.csv' row 5: '1-999' is not a provider in the register"), "{text}");
}

/// The two files are written to temporary files as they arrive and read from there (issue 17
/// item 2): an import of files longer than the reader's 64 KiB buffer, with blank lines and
/// Windows line ends, gives the figures worked out here, and a bad row deep in a file is named by
/// the row a spreadsheet shows, on SQLite and, when configured, PostgreSQL.
#[tokio::test]
async fn an_upload_read_from_its_temporary_files_imports_on_every_backend() {
    // 1,500 visits of 30 minutes at £2.00 an hour, one carer: 100p each (the rules' rounding,
    // `pay`); every tenth never delivered, the others delivered on time in full. A blank line
    // after every fiftieth row. Each visit has its own start: 20 days × 15 hours × 5 minutes.
    let visits = 1500;
    let start = |i: usize| format!("2025-04-{:02}T{:02}:{:02}", 7 + i % 20, 6 + i / 20 % 15, i / 300 * 5);
    let mut planned = String::from("visit_id,person_ref,provider_id,planned_start,planned_minutes,carers,rate_pence_per_hour\r\n");
    let mut actual = String::from("visit_id,provider_id,person_ref,actual_start,actual_end,care_worker_ref\r\n");
    for i in 0..visits {
        let s = start(i);
        planned.push_str(&format!("{},CASE-{:05},1-111,{s}:00,30,1,200\r\n", i + 1, i % 40));
        if i % 10 != 9 {
            let end = format!("{}{:02}:00", &s[..14], s[14..16].parse::<u32>().expect("minute") + 30);
            actual.push_str(&format!("{},1-111,CASE-{:05},{s}:00,{end},W{}\r\n", i + 1, i % 40, i % 3));
        }
        if i % 50 == 49 {
            planned.push_str("\r\n");
            actual.push_str("\r\n");
        }
    }
    assert!(planned.len() > 65_536 && actual.len() > 65_536, "{} and {} bytes", planned.len(), actual.len());
    let delivered = visits - visits / 10;
    assert_eq!(pay(200, 30, 1), 100);
    let (invoiced, payable) = (visits as i64 * pay(200, 30, 1), delivered as i64 * pay(200, 30, 1));
    assert_eq!((invoiced, payable), (150_000, 135_000));
    // Planned rows start on line 2, with a blank line after every 50: visit 1,000 is on line
    // 1 + 1,000 + 19 (the blank lines after rows 50, 100, ..., 950).
    let row = |i: usize, minutes: &str| format!("{},CASE-{:05},1-111,{}:00,{minutes},", i + 1, i % 40, start(i));
    let bad = planned.replacen(&row(999, "30"), &row(999, "thirty"), 1);
    assert_ne!(bad, planned);

    for store in caremarket_testkit::all_backends().await.expect("stores") {
        let mut c = Client::new(store);
        let a = Actor::system("test");
        c.store.create_provider(&a, Some("1-111"), "Acme Home Care Ltd", None, None).await.expect("p");
        c.user("cam@test.gov.uk", Role::Commissioner, None).await;
        c.sign_in_as("cam@test.gov.uk").await;

        let (status, text) = upload(&mut c, &planned, &actual).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            text.contains("Import complete") && text.contains("1,500 planned visits and 1,350 call monitoring rows were reconciled"),
            "{text}"
        );
        let page = visible_text(&c.get("/ecm").await.body);
        // Planned 1,500 × 30 minutes = 750 hours, delivered 1,350 × 30 = 675; £1,500.00
        // invoiced, £1,350.00 payable.
        let expected = "Acme Home Care Ltd 1-111 7 April to 4 May 2025 1500 1350 150 0 0 0 0 750.00 675.00 £1,500.00 £1,350.00 £150.00";
        assert!(page.contains(expected), "{expected} not in {page}");

        let (_, text) = upload(&mut c, &bad, &actual).await;
        assert!(
            text.contains("Import failed") && text.contains("'planned.csv' row 1020, planned_minutes: 'thirty' is not a whole number"),
            "{text}"
        );
    }
}
