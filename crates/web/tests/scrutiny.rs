//! Scrutiny recommendations (`002`) as a scrutiny officer, a commissioner, a councillor and a
//! viewer meet them: the seed's progress update read back with its grades counted from the
//! fixture itself, a review kept through its forms with every refusal shown on its field (grades
//! outside 1–4, dates in the future, pasted HTML shown as text), a worse grade flagged, and the
//! councillor role reading governance and nothing else, refused server-side everywhere else.

use crate::common;

use caremarket_core::Date;
use caremarket_core::access::Role;
use caremarket_core::governance::scrutiny::ReviewHeader;
use common::Client;

const SEED: &[u8] = include_bytes!("../../../fixtures/governance/stockton-scrutiny-care-at-home-2024.csv");

/// Visible text of a page: tags dropped, whitespace collapsed.
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn d(y: i16, m: i8, dd: i8) -> Date {
    Date::new(y, m, dd).expect("a real date")
}

/// The grades in the fixture, counted from its own "Assessment of progress" cells.
fn seed_counts() -> [usize; 4] {
    let mut r = csv::Reader::from_reader(SEED);
    let col = r.headers().expect("a header row").iter().position(|h| h == "Assessment of progress").expect("the grade column");
    let mut counts = [0; 4];
    for rec in r.records() {
        let n: usize = rec.expect("a row")[col].trim()[..1].parse().expect("a grade number");
        counts[n - 1] += 1;
    }
    counts
}

/// The seed's review with its March 2024 progress update, made through the store.
async fn seed_review(c: &Client) -> String {
    let actor = caremarket_store::Actor::system("test");
    let h = ReviewHeader::parse(
        "Care at Home",
        "Adult Social Care and Health Select Committee",
        "Martin Skipsey",
        "February 2023",
        "",
        d(2024, 3, 31),
    )
    .expect("a valid header");
    let id = c.store.create_scrutiny_review(&actor, &h).await.expect("review created");
    let rows = caremarket_ingest::governance::scrutiny::read_scrutiny("seed.csv", SEED).expect("the seed table");
    c.store.import_scrutiny(&actor, &id, &rows, d(2024, 3, 31)).await.expect("imported");
    id
}

#[tokio::test]
async fn the_seed_progress_update_reads_in_002s_shape_with_a_summary_of_grades() {
    let mut c = Client::sqlite().await;
    c.user("councillor@test", Role::Councillor, None).await;
    let id = seed_review(&c).await;
    let signed_in = c.sign_in_as("councillor@test").await;
    assert_eq!(signed_in.location.as_deref(), Some("/governance"), "a councillor lands on governance");

    let home = text(&c.get("/governance").await.body);
    assert!(home.contains("Scrutiny reviews"), "{home}");
    let list = text(&c.get("/governance/scrutiny").await.body);
    assert!(list.contains("Care at Home Adult Social Care and Health Select Committee 15 31 31 March 2024"), "{list}");
    assert!(!list.contains("Add a scrutiny review"));

    let [one, two, three, four] = seed_counts();
    let doc = c.get(&format!("/governance/scrutiny/{id}/progress")).await;
    doc.assert_ok();
    let t = text(&doc.body);
    for want in [
        "Scrutiny monitoring – progress update",
        "Review Care at Home",
        "Link officer/s Martin Skipsey",
        "Action plan agreed Agreed: February 2023",
        "Progress update March 2024 (as at 31 March 2024); updates due February 2024",
        &format!(
            "1 (Fully Achieved) {one} 2 (On-Track) {two} 3 (Slipped) {three} 4 (Not Achieved) {four} All agreed actions {}",
            one + two + three + four
        ),
        "No action's grade is worse than at its last update.",
        "Assessment of progress gradings The grading key 1 2 3 4 Fully Achieved On-Track Slipped Not Achieved",
        "Evidence of progress (March 2024)",
    ] {
        assert!(t.contains(want), "missing '{want}' in {}", &t[..t.len().min(2000)]);
    }
    // `002`'s own figures, which the counts above were made from the file to match.
    assert!(t.contains("1 (Fully Achieved) 19 2 (On-Track) 11 3 (Slipped) 1 4 (Not Achieved) 0 All agreed actions 31"));
    // Recommendation 4's four actions side by side, graded 1, 1, 2, 1.
    let rec4 = t.split("Recommendation 4 SBC reinforce").nth(1).unwrap().split("Recommendation 5 ").next().unwrap();
    let grades = rec4.split("Assessment of progress (March 2024) ").nth(1).expect(rec4);
    assert!(grades.starts_with("1 (Fully Achieved) 1 (Fully Achieved) 2 (On-Track) 1 (Fully Achieved) Evidence of impact"), "{grades}");
    // The HTML pasted into recommendation 15's evidence reads as a list, never as markup.
    assert!(t.contains("• In March 2022 the Government published details"), "{t}");
    assert!(!doc.body.contains("<li>In March 2022"));

    // The same document as Word, for a councillor too.
    let word = c.get(&format!("/governance/scrutiny/{id}/progress.docx?as_at=2024-03-31")).await;
    word.assert_ok();
    assert_eq!(word.content_type.as_deref(), Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document"));
    assert!(word.body.starts_with("PK"), "a zip package");
    assert_eq!(c.get(&format!("/governance/scrutiny/{id}/progress.docx?as_at=soon")).await.status, 400);

    // The review page: the same grades today, read-only for a councillor.
    let review = c.get(&format!("/governance/scrutiny/{id}")).await;
    let t = text(&review.body);
    assert!(
        t.contains(&format!("1 (Fully Achieved) {one} 2 (On-Track) {two} 3 (Slipped) {three} 4 (Not Achieved) {four} Not yet graded 0")),
        "{t}"
    );
    assert!(!t.contains("Add a recommendation") && !t.contains("Record progress"), "a councillor does not keep the review");
    let action = c.store.scrutiny_review(&id).await.unwrap().recommendations[0].actions[0].id.clone();
    assert!(review.contains(&action), "the review links to each action");
    let page = c.get(&format!("/governance/scrutiny/{id}/actions/{action}")).await;
    page.assert_ok();
    assert!(!page.contains("Record a progress update"));
    let refused = c.post_form(&format!("/governance/scrutiny/{id}/actions/{action}"), &[("evidence", "x"), ("grade", "1")]).await;
    assert_eq!(refused.status, 403);
    assert_eq!(c.get("/governance/scrutiny/new").await.status, 403);
    assert_eq!(c.get(&format!("/governance/scrutiny/{id}/edit")).await.status, 403);
    assert_eq!(c.post_form("/governance/scrutiny/new", &[("title", "Mine")]).await.status, 403);
    assert_eq!(c.store.scrutiny_review(&id).await.unwrap().actions().map(|a| a.updates.len()).sum::<usize>(), 31, "nothing written");
}

#[tokio::test]
async fn a_scrutiny_officer_keeps_a_review_and_a_worse_grade_is_flagged() {
    let mut c = Client::sqlite().await;
    c.user("scrutiny@test", Role::ScrutinyOfficer, None).await;
    let signed_in = c.sign_in_as("scrutiny@test").await;
    assert_eq!(signed_in.location.as_deref(), Some("/governance"));
    let list = c.get("/governance/scrutiny").await;
    assert!(text(&list.body).contains("There are no scrutiny reviews yet. "), "{}", text(&list.body));

    // The review: each refusal on its field.
    c.get("/governance/scrutiny/new").await.assert_ok();
    let bad = c.post_form("/governance/scrutiny/new", &[("title", " "), ("plan_agreed", "December 2099"), ("updates_due", "soon")]).await;
    assert_eq!(bad.status, 400);
    let t = text(&bad.body);
    for want in [
        "There is a problem",
        "Enter the review title",
        "The date the action plan was agreed must be today or in the past",
        "Enter when updates are due as a date or a month, for example February 2024",
    ] {
        assert!(t.contains(want), "missing '{want}' in {t}");
    }
    let made = c
        .post_form(
            "/governance/scrutiny/new",
            &[
                ("title", "Care at Home <b>2023</b>"),
                ("committee", "Adult Social Care and Health Select Committee"),
                ("plan_agreed", "February 2023"),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let location = made.location.unwrap();
    let id = location.strip_prefix("/governance/scrutiny/").unwrap().split('?').next().unwrap().to_string();
    let page = c.get(&location).await;
    let t = text(&page.body);
    assert!(t.contains("Review created") && t.contains("Progress updates due February 2024"), "{t}");
    assert!(text(&page.body).contains("Care at Home <b>2023</b>"), "a title's markup is escaped, shown as text");

    // A recommendation: number checked, a number already used refused.
    let rec_path = format!("/governance/scrutiny/{id}/recommendations/new");
    assert!(c.get(&rec_path).await.contains("value=\"1\""), "the next number is offered");
    let bad = c.post_form(&rec_path, &[("number", "0"), ("text", "")]).await;
    let t = text(&bad.body);
    assert!(t.contains("The recommendation number must be between 1 and 999") && t.contains("Enter the recommendation"), "{t}");
    assert_eq!(c.post_form(&rec_path, &[("number", "1"), ("text", "Keep SID current")]).await.status, 303);
    let dup = c.post_form(&rec_path, &[("number", "1"), ("text", "Again")]).await;
    assert!(text(&dup.body).contains("Recommendation 1 is already on this review: give another number"));
    let review = c.store.scrutiny_review(&id).await.unwrap();
    let rid = review.recommendations[0].id.clone();

    // An agreed action.
    let action_path = format!("/governance/scrutiny/{id}/recommendations/{rid}/actions/new");
    let bad = c.post_form(&action_path, &[("action", ""), ("responsibility", ""), ("due", "")]).await;
    let t = text(&bad.body);
    for want in ["Enter the agreed action", "Enter the responsible officers or teams", "Enter the due date"] {
        assert!(t.contains(want), "missing '{want}' in {t}");
    }
    let ok = c
        .post_form(
            &action_path,
            &[("action", "Re-launch SID"), ("responsibility", "Catherine Buller"), ("due", "July 2023"), ("success_measure", "")],
        )
        .await;
    assert_eq!(ok.status, 303);
    let aid = c.store.scrutiny_review(&id).await.unwrap().recommendations[0].actions[0].id.clone();

    // Progress: a grade outside 1–4, a date in the future, no evidence.
    let path = format!("/governance/scrutiny/{id}/actions/{aid}");
    c.get(&path).await.assert_ok();
    let bad = c
        .post_form(&path, &[("dated_on-day", "1"), ("dated_on-month", "1"), ("dated_on-year", "2099"), ("evidence", " "), ("grade", "5")])
        .await;
    assert_eq!(bad.status, 400);
    let t = text(&bad.body);
    for want in [
        "The date of the progress update must be today or in the past",
        "Enter the evidence of progress",
        "Select a grade from 1 (Fully Achieved) to 4 (Not Achieved); '5' is not a grade",
    ] {
        assert!(t.contains(want), "missing '{want}' in {t}");
    }
    let no_grade =
        c.post_form(&path, &[("dated_on-day", "31"), ("dated_on-month", "3"), ("dated_on-year", "2024"), ("evidence", "x")]).await;
    assert!(text(&no_grade.body).contains("Select a grade from 1 (Fully Achieved) to 4 (Not Achieved)"));
    let first = c
        .post_form(
            &path,
            &[
                ("dated_on-day", "31"),
                ("dated_on-month", "3"),
                ("dated_on-year", "2024"),
                ("evidence", "New SID went live"),
                ("grade", "1"),
                ("impact", "N/A"),
            ],
        )
        .await;
    assert_eq!(first.status, 303, "{}", first.body);
    let second = c
        .post_form(
            &path,
            &[
                ("dated_on-day", "31"),
                ("dated_on-month", "3"),
                ("dated_on-year", "2025"),
                ("evidence", "Entries out of date <script>alert(1)</script>"),
                ("grade", "3"),
                ("impact", ""),
            ],
        )
        .await;
    assert_eq!(second.status, 303);
    let history = c.get(&path).await;
    let t = text(&history.body);
    assert!(t.contains("31 March 2025 Entries out of date alert(1) 3 (Slipped) Worse than the last update"), "{t}");
    assert!(t.contains("31 March 2024 New SID went live 1 (Fully Achieved)"), "the earlier update is kept: {t}");
    assert!(!history.body.contains("<script>alert(1)"), "pasted markup is never executed");

    let doc = text(&c.get(&format!("/governance/scrutiny/{id}/progress")).await.body);
    assert!(doc.contains("Progress update March 2025"), "the latest update by default: {doc}");
    assert!(doc.contains("1 action's grade is worse than at the last update"), "{doc}");
    assert!(doc.contains("Recommendation 1: Re-launch SID – now 3 (Slipped), was 1 (Fully Achieved) on 31 March 2024"), "{doc}");
    assert!(doc.contains("Worse than the last update (was 1 (Fully Achieved) on 31 March 2024)"));
    let then = text(&c.get(&format!("/governance/scrutiny/{id}/progress?as_at=2024-03-31")).await.body);
    assert!(then.contains("1 (Fully Achieved) 1 2 (On-Track) 0") && then.contains("No action's grade is worse"), "{then}");
    assert_eq!(c.get(&format!("/governance/scrutiny/{id}/progress?as_at=someday")).await.status, 400);

    // Edits are kept, and every change is audited.
    let edit = format!("/governance/scrutiny/{id}/actions/{aid}/edit");
    assert!(c.get(&edit).await.contains("Re-launch SID"));
    assert_eq!(c.post_form(&edit, &[("action", "Re-launch SID"), ("responsibility", "Karen Shaw"), ("due", "Ongoing")]).await.status, 303);
    let redit = format!("/governance/scrutiny/{id}/recommendations/{rid}/edit");
    c.get(&redit).await.assert_ok();
    assert_eq!(c.post_form(&redit, &[("number", "2"), ("text", "Keep SID current")]).await.status, 303);
    c.get(&format!("/governance/scrutiny/{id}/edit")).await.assert_ok();
    assert_eq!(
        c.post_form(
            &format!("/governance/scrutiny/{id}/edit"),
            &[("title", "Care at Home"), ("plan_agreed", "February 2023"), ("updates_due", "March 2024")]
        )
        .await
        .status,
        303
    );
    let review = c.store.scrutiny_review(&id).await.unwrap();
    assert_eq!((review.header.updates_due.text.as_str(), review.recommendations[0].number), ("March 2024", 2));
    assert_eq!(review.recommendations[0].actions[0].responsibility, "Karen Shaw");
    let q = caremarket_store::AuditQuery { entity_type: None, entity_id: None, actor: None, limit: 100, offset: 0 };
    let (audit, _) = c.store.audit_entries(&q).await.unwrap();
    let kinds: Vec<&str> = audit.iter().filter(|a| a.actor_label == "scrutiny@test").map(|a| a.entity_type.as_str()).collect();
    for (kind, n) in [("scrutiny_review", 2), ("scrutiny_recommendation", 2), ("scrutiny_action", 2), ("scrutiny_progress", 2)] {
        assert_eq!(kinds.iter().filter(|k| **k == kind).count(), n, "{kind}: {kinds:?}");
    }
}

#[tokio::test]
async fn a_viewer_reads_scrutiny_but_cannot_keep_it() {
    let mut c = Client::sqlite().await;
    c.user("viewer@test", Role::Viewer, None).await;
    let id = seed_review(&c).await;
    c.sign_in_as("viewer@test").await;
    c.get(&format!("/governance/scrutiny/{id}")).await.assert_ok();
    assert_eq!(c.get(&format!("/governance/scrutiny/{id}/recommendations/new")).await.status, 403);
    assert_eq!(
        c.post_form(&format!("/governance/scrutiny/{id}/recommendations/new"), &[("number", "16"), ("text", "x")]).await.status,
        403
    );
    assert_eq!(c.store.scrutiny_review(&id).await.unwrap().recommendations.len(), 15);
}

/// Every page that is not governance (or public) refuses a councillor and a scrutiny officer.
#[tokio::test]
async fn councillors_and_scrutiny_officers_are_refused_everything_but_governance() {
    let mut c = Client::sqlite().await;
    let x = "0190aaaa-0000-7000-8000-000000000000";
    let refused_gets = [
        "/dashboard".to_string(),
        "/services".into(),
        "/services.csv".into(),
        format!("/services/{x}"),
        format!("/services/{x}/quality"),
        "/providers".into(),
        format!("/providers/{x}"),
        "/frameworks".into(),
        format!("/frameworks/{x}"),
        "/placements".into(),
        "/placements/new".into(),
        "/quality".into(),
        "/quality/actions".into(),
        "/quality/visits".into(),
        "/quality/signals".into(),
        "/quality/exits".into(),
        "/quality/watch-list".into(),
        "/quality/due".into(),
        "/quality/rag".into(),
        "/quality/restrictions".into(),
        "/quality/returns".into(),
        "/quality/themes".into(),
        "/quality/frameworks".into(),
        "/quality/assignments".into(),
        "/quality/cadence-rules".into(),
        "/capacity".into(),
        "/capacity/homes".into(),
        "/capacity/activity".into(),
        "/capacity/continuity".into(),
        "/capacity/spare".into(),
        "/capacity/restrictions".into(),
        "/capacity/returns/new".into(),
        "/brokerage".into(),
        "/brokerage/care-homes".into(),
        "/brokerage/discharge".into(),
        "/brokerage/requests/new".into(),
        format!("/brokerage/requests/{x}"),
        "/direct-payments".into(),
        "/direct-payments/new".into(),
        "/direct-payments/figures".into(),
        "/direct-payments/isfs".into(),
        "/direct-payments/monitoring".into(),
        "/direct-payments/reclaims".into(),
        "/direct-payments/rpl".into(),
        format!("/direct-payments/{x}"),
        "/pa-register".into(),
        "/pa-register/search".into(),
        format!("/pa-register/{x}"),
        "/rates/pa".into(),
        "/rates/providers".into(),
        "/imports".into(),
        "/imports/new".into(),
        "/admin/users".into(),
        "/admin/users/new".into(),
        "/admin/audit".into(),
        "/admin/council-area".into(),
        "/account/tokens".into(),
        "/portal".into(),
        "/portal/actions".into(),
        "/portal/returns".into(),
        "/portal/capacity".into(),
        "/portal/offers".into(),
        "/governance/delivery-plans/new".into(),
    ];
    for (email, role) in [("councillor@test", Role::Councillor), ("scrutiny@test", Role::ScrutinyOfficer)] {
        c.user(email, role, None).await;
        c.sign_in_as(email).await;
        assert_eq!(c.get("/").await.location.as_deref(), Some("/governance"));
        c.get("/governance").await.assert_ok();
        c.get("/governance/scrutiny").await.assert_ok();
        let nav = c.get("/governance").await.body;
        for hidden in ["href=\"/dashboard\"", "href=\"/services\"", "href=\"/quality\"", "href=\"/account/tokens\"", "href=\"/brokerage\""]
        {
            assert!(!nav.contains(hidden), "{email} is offered {hidden}");
        }
        for path in &refused_gets {
            let r = c.get(path).await;
            assert_eq!(r.status, 403, "{email} GET {path}: {}", &r.body[..r.body.len().min(300)]);
        }
        for path in [
            "/placements/new",
            "/brokerage/requests/new",
            "/direct-payments/new",
            "/quality/signals/new",
            "/admin/users/new",
            "/account/tokens",
        ] {
            let r = c.post_form(path, &[("name", "x")]).await;
            assert_eq!(r.status, 403, "{email} POST {path}");
        }
        let api = c.api("GET", "/api/v1/services", None, None).await;
        assert_eq!(api.status, 401, "the API takes tokens only, and these roles may hold none");
        c.post_form("/sign-out", &[]).await;
    }
}

#[tokio::test]
async fn a_commissioner_imports_the_seed_table_as_one_progress_update() {
    let mut c = Client::sqlite().await;
    c.user("commissioner@test", Role::Commissioner, None).await;
    c.sign_in_as("commissioner@test").await;
    let made = c.post_form("/governance/scrutiny/new", &[("title", "Care at Home"), ("plan_agreed", "February 2023")]).await;
    let id =
        made.location.expect("redirect").strip_prefix("/governance/scrutiny/").expect("review").split('?').next().expect("id").to_string();
    let path = format!("/governance/scrutiny/{id}/import");
    c.get(&path).await.assert_ok();
    let token = c.csrf();
    let seed = std::str::from_utf8(SEED).expect("UTF-8");

    // A grade outside 1–4 stops the import on its row, and a date in the future is refused.
    let bad = seed.replacen("3 (Slipped)", "5 (Brilliant)", 1);
    let fields = [("dated_on-day", "31"), ("dated_on-month", "3"), ("dated_on-year", "2024")];
    let refused = c.post_file_with(&path, &token, &fields, "update.csv", &bad).await;
    assert_eq!(refused.status, 400);
    let t = text(&refused.body);
    assert!(t.contains("Select a grade from 1 (Fully Achieved) to 4 (Not Achieved); found '5 (Brilliant)'"), "{}", &t[..t.len().min(1500)]);
    let future = [("dated_on-day", "31"), ("dated_on-month", "3"), ("dated_on-year", "2099")];
    let refused = c.post_file_with(&path, &token, &future, "update.csv", seed).await;
    assert!(text(&refused.body).contains("The date of the progress update must be today or in the past"));
    assert!(c.store.scrutiny_review(&id).await.unwrap().recommendations.is_empty(), "nothing written");

    let done = c.post_file_with(&path, &token, &fields, "update.csv", seed).await;
    done.assert_ok();
    let t = text(&done.body);
    let graded: usize = seed_counts().iter().sum();
    assert!(t.contains(&format!("Imported {graded} graded actions dated 31 March 2024")), "{t}");
    assert!(t.contains(&format!("15 new recommendations and {graded} new agreed actions")), "{t}");
    let [one, two, three, four] = seed_counts();
    let review = text(&c.get(&format!("/governance/scrutiny/{id}?as_at=2024-03-31")).await.body);
    assert!(
        review.contains(&format!("1 (Fully Achieved) {one} 2 (On-Track) {two} 3 (Slipped) {three} 4 (Not Achieved) {four}")),
        "{review}"
    );
}
