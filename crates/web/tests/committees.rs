//! Committees' work programmes and the self-assessment as a commissioner and a viewer use them:
//! a committee, a meeting, items at it and on the forward plan with their paper and cover sheet,
//! `001`'s options appraisal; a self-assessment whose evidence library flags `004`'s slips; each
//! form's errors by field, pasted markup shown as text, and the role on every route.

use crate::common;

use caremarket_core::access::Role;
use common::Client;

fn id_after<'a>(location: &'a str, prefix: &str) -> &'a str {
    location.strip_prefix(prefix).and_then(|s| s.split(['?', '/', '#']).next()).expect("id in location")
}

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

fn has(page: &str, wants: &[&str]) {
    let t = text(page);
    for w in wants {
        assert!(t.contains(w), "missing '{w}' in {t}");
    }
}

#[tokio::test]
async fn a_commissioner_keeps_a_work_programme_with_papers_and_an_options_appraisal() {
    let mut c = Client::sqlite().await;
    c.user("commissioner@test", Role::Commissioner, None).await;
    c.sign_in_as("commissioner@test").await;

    let list = c.get("/governance/committees").await;
    list.assert_ok();
    has(&list.body, &["There are no committees yet."]);
    c.get("/governance/committees/new").await.assert_ok();
    let bad = c.post_form("/governance/committees/new", &[("name", " ")]).await;
    assert_eq!(bad.status, 400);
    has(&bad.body, &["There is a problem", "Enter the name of the committee"]);
    let made = c.post_form("/governance/committees/new", &[("name", "Adult Social Care Scrutiny Commission")]).await;
    let cid = id_after(made.location.as_deref().expect("redirect"), "/governance/committees/").to_string();
    let base = format!("/governance/committees/{cid}");

    // A meeting: the date is required and must be real.
    c.get(&format!("{base}/meetings/new")).await.assert_ok();
    let bad =
        c.post_form(&format!("{base}/meetings/new"), &[("meets_on-day", "31"), ("meets_on-month", "2"), ("meets_on-year", "2023")]).await;
    assert_eq!(bad.status, 400);
    has(&bad.body, &["Date of the meeting must be a real date"]);
    let m = c
        .post_form(
            &format!("{base}/meetings/new"),
            &[("meets_on-day", "24"), ("meets_on-month", "8"), ("meets_on-year", "2023"), ("starts_at", "5:30 pm"), ("place", "City Hall")],
        )
        .await;
    let mid = id_after(m.location.as_deref().expect("redirect"), &format!("{base}/meetings/")).to_string();

    // An item: every error at once, by field.
    c.get(&format!("{base}/items/new?meeting={mid}")).await.assert_ok();
    let bad = c
        .post_form(
            &format!("{base}/items/new"),
            &[
                ("meeting_id", &mid),
                ("title", ""),
                ("paper_url", "javascript:alert(1)"),
                ("eia", "yes"),
                ("exempt", "yes"),
                ("key_decision", "yes"),
            ],
        )
        .await;
    assert_eq!(bad.status, 400);
    has(
        &bad.body,
        &[
            "Enter the item",
            "The paper's link must be a caremarket page starting with /",
            "Enter the EIA reference number",
            "Select the paragraph of Schedule 12A the exempt information falls under",
            "Select why it is a key decision",
        ],
    );
    let item = c
        .post_form(
            &format!("{base}/items/new"),
            &[
                ("meeting_id", &mid),
                ("title", "Personalisation and Direct Payments Update"),
                ("detail", "<script>alert('x')</script>An update <ul><li>on the strategy</li></ul>"),
                ("officer", "Mary Gardner, Strategic Commissioning Manager"),
                ("paper_title", "Market Oversight Report"),
                ("paper_url", "/reports/quarterly?as_at=2023-09-30"),
                ("eia", "yes"),
                ("eia_reference", "2412"),
                ("exempt", "no"),
                ("key_decision", "yes"),
                ("key_decision_reasons", "expenditure"),
                ("key_decision_reasons", "affects_wards"),
            ],
        )
        .await;
    assert_eq!(item.status, 303, "{}", item.body);
    let location = item.location.expect("redirect");
    let item_path = location.split('?').next().unwrap().to_string();
    let page = c.get(&location).await;
    page.assert_ok();
    has(
        &page.body,
        &[
            "Item saved",
            "Personalisation and Direct Payments Update",
            "Key decision",
            "Meeting of 24 August 2023",
            "Market Oversight Report (a caremarket page)",
            "Yes, reference 2412",
            "Yes: Expenditure and/or savings over the council's key decision threshold; Affects 2 or more wards",
            "• on the strategy",
            "No options appraisal is recorded for this item.",
        ],
    );
    assert!(page.contains("quarterly?as_at=2023-09-30\">Market Oversight Report</a>"));
    assert!(!page.contains("<script>alert('x')"), "pasted markup is never markup on the page");

    // A forward plan item with a proposed date as written.
    let fp = c.post_form(&format!("{base}/items/new"), &[("title", "Carers"), ("proposed", "5 October 2023")]).await;
    assert_eq!(fp.status, 303);

    // `001`'s options appraisal: a rejected option needs its reason; one option is preferred.
    let bad = c.post_form(&item_path, &[("option", "Option 1: Do Nothing"), ("outcome", "rejected"), ("core_reason", "")]).await;
    assert_eq!(bad.status, 400);
    has(&bad.body, &["Enter the core reason"]);
    let options = [
        ("Option 1: Do Nothing", "rejected", "Not legally compliant"),
        ("Option 2: Commission a third-party provider", "neither", ""),
        ("Option 5: Provide the Direct Payment Support Service as an in-house service offer", "preferred", "Meets all our requirements"),
    ];
    for (o, outcome, reason) in options {
        let r = c.post_form(&item_path, &[("option", o), ("outcome", outcome), ("core_reason", reason)]).await;
        assert_eq!(r.status, 303, "{}", r.body);
    }
    let second = c.post_form(&item_path, &[("option", "Option 6"), ("outcome", "preferred"), ("core_reason", "")]).await;
    assert_eq!(second.status, 400);
    has(
        &second.body,
        &[
            "Only one option can be preferred, and “Option 5: Provide the Direct Payment Support Service as an in-house service offer” already is",
        ],
    );
    let page = c.get(&item_path).await;
    has(
        &page.body,
        &[
            "Preferred 1 option",
            "Rejected 1 option",
            "Neither preferred nor rejected 1 option",
            "Option 2: Commission a third-party provider Neither preferred nor rejected Not stated",
        ],
    );

    // The committee's work programme: the meeting (now past) and the forward plan.
    let wp = c.get(&base).await;
    wp.assert_ok();
    has(&wp.body, &["Forward plan", "Carers 5 October 2023", "Meeting of 24 August 2023 : 1 item", "No meetings are planned."]);
    let meeting = c.get(&format!("{base}/meetings/{mid}")).await;
    has(
        &meeting.body,
        &["Meeting of 24 August 2023", "5:30 pm", "City Hall", "Personalisation and Direct Payments Update", "Key decision"],
    );
    let list = c.get("/governance/committees").await;
    has(&list.body, &["Adult Social Care Scrutiny Commission 1 None planned 1"]);

    // Editing keeps the answers: the form shows them back.
    let edit = c.get(&format!("{item_path}/edit")).await;
    edit.assert_ok();
    assert!(edit.contains("value=\"2412\""));

    // The paper can be found from the page it is.
    let items = c.store.committee_items_for_paper("/reports/quarterly").await.unwrap();
    assert_eq!(items.len(), 1);
}

#[tokio::test]
async fn the_self_assessment_flags_missing_and_uncited_evidence() {
    let mut c = Client::sqlite().await;
    c.user("commissioner@test", Role::Commissioner, None).await;
    c.sign_in_as("commissioner@test").await;

    c.get("/governance/self-assessment").await.assert_ok();
    let bad = c
        .post_form(
            "/governance/self-assessment",
            &[("title", ""), ("dated_on-day", "1"), ("dated_on-month", "1"), ("dated_on-year", "2099")],
        )
        .await;
    assert_eq!(bad.status, 400);
    has(&bad.body, &["Enter the title of the self-assessment", "The date of the self-assessment must be today or in the past"]);
    let made = c
        .post_form(
            "/governance/self-assessment",
            &[("title", "Our self-assessment March 2023"), ("dated_on-day", "31"), ("dated_on-month", "3"), ("dated_on-year", "2023")],
        )
        .await;
    let id = id_after(made.location.as_deref().expect("redirect"), "/governance/self-assessment/").to_string();
    let base = format!("/governance/self-assessment/{id}");
    let page = c.get(&base).await;
    page.assert_ok();
    // The framework's 4 themes and 9 statements; none has evidence yet.
    has(
        &page.body,
        &[
            "Theme 1: Working with people",
            "Theme 4: Leadership",
            "9. Learning, improvement and innovation",
            "9 statements with no evidence",
        ],
    );

    // The library: a future date, a bad reference and a missing title are refused by field.
    let bad = c
        .post_form(
            &format!("{base}/evidence/new"),
            &[("reference", "twenty"), ("title", ""), ("dated_on-day", "1"), ("dated_on-month", "1"), ("dated_on-year", "2099")],
        )
        .await;
    assert_eq!(bad.status, 400);
    has(
        &bad.body,
        &[
            "Evidence references look like E20: “twenty” is not one",
            "Enter the title",
            "The date of the evidence must be today or in the past",
        ],
    );
    let library = [("E15", "Strengths-based performance framework"), ("E20", "Discharge performance"), ("E22", "Feedback from people")];
    for (r, t) in library {
        let ok = c
            .post_form(
                &format!("{base}/evidence/new"),
                &[
                    ("reference", r),
                    ("title", t),
                    ("owner", "Head of Service"),
                    ("dated_on-day", "1"),
                    ("dated_on-month", "3"),
                    ("dated_on-year", "2023"),
                ],
            )
            .await;
        assert_eq!(ok.status, 303, "{}", ok.body);
    }
    let dup = c.post_form(&format!("{base}/evidence/new"), &[("reference", "e15"), ("title", "Again")]).await;
    assert_eq!(dup.status, 400);
    has(&dup.body, &["The library already has an item E15"]);

    // Claims: one cites D20 (the seed's slip for E20) and E83 (which the seed lacks).
    let statement = page.body.split(&format!("{base}/statements/")).nth(1).expect("statement link").split('/').next().unwrap().to_string();
    let path = format!("{base}/statements/{statement}/claims/new");
    c.get(&path).await.assert_ok();
    let bad = c.post_form(&path, &[("kind", ""), ("text", ""), ("citations", "E15, ???")]).await;
    assert_eq!(bad.status, 400);
    has(&bad.body, &["Select strength or area for improvement", "Enter the claim", "Evidence references look like E15: “???” is not one"]);
    let saved = c
        .post_form(
            &path,
            &[("kind", "strength"), ("text", "Good ASC discharge performance (D20) <b>bold</b>"), ("citations", "E15, E22, E83")],
        )
        .await;
    assert_eq!(saved.status, 303);
    let shown = c.get(saved.location.as_deref().unwrap()).await;
    shown.assert_ok();
    has(
        &shown.body,
        &[
            "Claim saved. It cites E83 and D20, which are not in the evidence library: add the items to the library or correct the references.",
            "E83 is not in the library",
            "D20 is not in the library",
            "2 citations of items that do not exist, 1 item cited nowhere, 8 statements with no evidence",
            "Good ASC discharge performance (D20) bold",
        ],
    );
    assert!(!shown.contains("<b>bold</b>"), "pasted markup is shown as text, never markup");
    let second =
        c.post_form(&path, &[("kind", "area_for_improvement"), ("text", "Reviews are not up to date"), ("citations", "E22")]).await;
    assert_eq!(second.status, 303);

    // The self-assessment as a committee paper: its page names the item it goes to.
    let actor = caremarket_store::Actor::system("test");
    use caremarket_core::governance::committees::{CoverSheet, ItemFields, NewCommittee, NewItem};
    let cid = c.store.create_committee(&actor, &NewCommittee::parse("Adult Social Care Scrutiny Commission", "").unwrap()).await.unwrap();
    let f = ItemFields {
        title: "Self-assessment of social care ahead of CQC inspection",
        paper_title: "Our self-assessment",
        paper_url: &base,
        ..Default::default()
    };
    c.store.add_committee_item(&actor, &cid, &NewItem::parse(&f, Ok(CoverSheet::default()), &[]).unwrap()).await.unwrap();
    has(
        &c.get(&base).await.body,
        &["The paper of Self-assessment of social care ahead of CQC inspection (Adult Social Care Scrutiny Commission, forward plan)."],
    );

    let lib = c.get(&format!("{base}/evidence")).await;
    lib.assert_ok();
    has(
        &lib.body,
        &[
            "E15 Strengths-based performance framework",
            "E20 Discharge performance",
            "Cited nowhere",
            "E22 Feedback from people",
            "2 claims",
            "Items cited nowhere E20",
            "Citations of items that do not exist",
        ],
    );
}

#[tokio::test]
async fn a_viewer_reads_but_cannot_change_and_a_provider_cannot_read() {
    let mut c = Client::sqlite().await;
    c.user("viewer@test", Role::Viewer, None).await;
    let actor = caremarket_store::Actor::system("test");
    use caremarket_core::governance::committees::{CoverSheet, ItemFields, NewCommittee, NewItem};
    let cid = c.store.create_committee(&actor, &NewCommittee::parse("Cabinet", "").unwrap()).await.unwrap();
    let f = ItemFields { title: "Promoting Independence", ..Default::default() };
    let iid = c.store.add_committee_item(&actor, &cid, &NewItem::parse(&f, Ok(CoverSheet::default()), &[]).unwrap()).await.unwrap();
    let sid = c.store.create_self_assessment(&actor, "Self-assessment", caremarket_core::Date::constant(2023, 3, 31)).await.unwrap();
    c.sign_in_as("viewer@test").await;
    for path in [
        "/governance/committees".to_string(),
        format!("/governance/committees/{cid}"),
        format!("/governance/committees/{cid}/items/{iid}"),
        "/governance/self-assessment".to_string(),
        format!("/governance/self-assessment/{sid}"),
        format!("/governance/self-assessment/{sid}/evidence"),
    ] {
        let page = c.get(&path).await;
        page.assert_ok();
        assert!(!page.contains("Add an item") && !page.contains("Add the option") && !page.contains("Add an evidence item"), "{path}");
    }
    for path in [
        "/governance/committees/new".to_string(),
        format!("/governance/committees/{cid}/edit"),
        format!("/governance/committees/{cid}/meetings/new"),
        format!("/governance/committees/{cid}/items/new"),
        format!("/governance/committees/{cid}/items/{iid}/edit"),
        format!("/governance/self-assessment/{sid}/evidence/new"),
    ] {
        assert_eq!(c.get(&path).await.status, 403, "{path}");
    }
    let posts = [
        ("/governance/committees/new".to_string(), vec![("name", "X")]),
        (format!("/governance/committees/{cid}/items/{iid}"), vec![("option", "O"), ("outcome", "neither")]),
        ("/governance/self-assessment".to_string(), vec![("title", "X")]),
        (format!("/governance/self-assessment/{sid}/evidence/new"), vec![("reference", "E1"), ("title", "T")]),
    ];
    for (path, fields) in posts {
        assert_eq!(c.post_form(&path, &fields).await.status, 403, "{path}");
    }
    assert!(c.store.committee_item(&iid).await.unwrap().options.is_empty());
    assert!(c.store.self_assessment(&sid).await.unwrap().evidence.is_empty());

    // A provider's user reads nothing of governance.
    let mut p = Client::sqlite().await;
    let provider = p.store.create_provider(&actor, None, "Oak Care Ltd", None, None).await.expect("provider");
    p.user("provider@test", Role::Provider, Some(&provider)).await;
    p.sign_in_as("provider@test").await;
    for path in ["/governance/committees", "/governance/self-assessment"] {
        assert_eq!(p.get(path).await.status, 403, "{path}");
    }
}
