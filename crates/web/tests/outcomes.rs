//! Outcomes-based contracts (issue 13 items 4-7): only commissioners and administrators see a
//! contract (case references are personal data; councillors and viewers are refused); the SPV
//! claims through the portal for a contract it is party to, another provider finds nothing;
//! bad input and the contract's rules are refused naming the field or the rule; an officer
//! verifies or rejects (a reason required); the dashboard's figures (cohort, payments by funder,
//! held, savings, net) are worked out here from the records the test made.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::{Permission, Role};
use caremarket_core::outcomes::{ContractDraft, MemberDraft, OutcomeDraft, OutcomeKind, PartyDraft, PartyRole, Placement};
use caremarket_store::{Actor, Store};
use common::{Client, visible_text};
use jiff::civil::{Date, date};

struct Fixture {
    id: String,
    spv: String,
    other: String,
    mv: String,
    sustain: String,
    course: String,
}

fn ago(d: i64) -> Date {
    caremarket_store::today().checked_sub(jiff::Span::new().days(d)).expect("date")
}

/// The 003 contract (no cap), the LCF at 25% until 31 March 2025, the SPV; a move (£12,000), a
/// 6-month sustain (£4,000) and a course (£1,000); MH1 (£1,400 a week) and MH2 (£700 a week).
async fn fixture(s: &Store) -> Fixture {
    let a = Actor::system("test");
    let today = caremarket_store::today();
    let spv = s.create_provider(&a, None, "Independence SPV Ltd", None, None).await.expect("p");
    let other = s.create_provider(&a, None, "Other Care Ltd", None, None).await.expect("p");
    let id = s
        .create_oc_contract(
            &a,
            &ContractDraft {
                name: "Promoting Independence".into(),
                starts_on: Some(date(2018, 11, 1)),
                ends_on: Some(date(2030, 10, 31)),
                envelope: "3000000".into(),
                cap: String::new(),
                baseline: "173".into(),
                forecast_low: "105".into(),
                forecast_high: "120".into(),
                forecast_by: Some(date(2024, 3, 31)),
                expected_saving_low: "3000000".into(),
                expected_saving_high: "3700000".into(),
                eligibility: "Mental health need, in 24/7 care".into(),
                age_out: "65".into(),
            },
            "Northmoor Borough Council",
        )
        .await
        .expect("contract");
    s.add_oc_party(
        &a,
        &id,
        &PartyDraft {
            role: Some(PartyRole::CoFunder),
            name: "Life Chances Fund".into(),
            share: "25".into(),
            commitment: "750000".into(),
            ends_on: Some(date(2025, 3, 31)),
            ..Default::default()
        },
    )
    .await
    .expect("lcf");
    s.add_oc_party(
        &a,
        &id,
        &PartyDraft { role: Some(PartyRole::Spv), name: "The SPV".into(), provider_id: spv.clone(), ..Default::default() },
    )
    .await
    .expect("spv");
    let o = |name: &str, kind, tariff: &str, pre: &str, months: &str| OutcomeDraft {
        name: name.into(),
        kind: Some(kind),
        tariff: tariff.into(),
        evidence: "Tenancy agreement".into(),
        prerequisite_id: pre.into(),
        after_months: months.into(),
    };
    let mv = s.add_oc_outcome(&a, &id, &o("Moved on", OutcomeKind::Move, "12000", "", "")).await.expect("o");
    let sustain = s.add_oc_outcome(&a, &id, &o("Sustained 6 months", OutcomeKind::Sustain, "4000", &mv, "6")).await.expect("o");
    let course = s.add_oc_outcome(&a, &id, &o("Started a course", OutcomeKind::Education, "1000", "", "")).await.expect("o");
    for (r, weekly) in [("MH1", "1400"), ("MH2", "700")] {
        s.add_oc_member(
            &a,
            &id,
            &MemberDraft {
                case_ref: r.into(),
                born: "1975-06".into(),
                entered_on: Some(date(2018, 11, 1)),
                placement: Some(Placement::Residential),
                weekly_cost: weekly.into(),
                mental_health_need: true,
            },
            today,
        )
        .await
        .expect("member");
    }
    Fixture { id, spv, other, mv, sustain, course }
}

fn day(d: Date) -> [(String, String); 3] {
    [
        ("achieved_on-day".into(), d.day().to_string()),
        ("achieved_on-month".into(), d.month().to_string()),
        ("achieved_on-year".into(), d.year().to_string()),
    ]
}

async fn claim(c: &mut Client, x: &Fixture, case_ref: &str, outcome: &str, on: Date, evidence: &str) -> common::Res {
    let d = day(on);
    let mut f: Vec<(&str, &str)> = vec![("case_ref", case_ref), ("outcome_id", outcome), ("evidence", evidence)];
    f.extend(d.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    c.post_form(&format!("/portal/outcomes/{}", x.id), &f).await
}

#[tokio::test]
async fn only_commissioners_see_contracts_and_a_provider_claims_only_on_its_own() {
    let mut c = Client::sqlite().await;
    let x = fixture(&c.store).await;
    let pages = [
        "/outcomes".to_string(),
        format!("/outcomes/{}", x.id),
        format!("/outcomes/{}/cohort", x.id),
        format!("/outcomes/{}/claims", x.id),
        format!("/outcomes/{}/payments", x.id),
        format!("/outcomes/{}/savings", x.id),
    ];
    for (i, role) in Role::ALL.into_iter().enumerate() {
        let email = format!("user{i}@test.gov.uk");
        c.user(&email, role, (role == Role::Provider).then_some(x.other.as_str())).await;
        c.sign_in_as(&email).await;
        for p in &pages {
            let expected = if role.can(Permission::ViewOutcomes) { StatusCode::OK } else { StatusCode::FORBIDDEN };
            assert_eq!(c.get(p).await.status, expected, "{role:?} GET {p}");
        }
        let setup = c.get(&format!("/outcomes/{}/setup", x.id)).await.status;
        assert_eq!(setup, if role.can(Permission::ManageOutcomes) { StatusCode::OK } else { StatusCode::FORBIDDEN }, "{role:?}");
        if role == Role::Provider {
            // Not a party: the contract is not found, and no claim can be made on it.
            assert_eq!(c.get(&format!("/portal/outcomes/{}", x.id)).await.status, StatusCode::NOT_FOUND);
            let r = claim(&mut c, &x, "MH1", &x.mv, date(2020, 1, 10), "Tenancy").await;
            assert_eq!(r.status, StatusCode::NOT_FOUND);
            assert!(visible_text(&c.get("/portal/outcomes").await.body).contains("You are not a party to any outcomes contract"));
        } else {
            assert_eq!(c.get("/portal/outcomes").await.status, StatusCode::FORBIDDEN, "{role:?}");
        }
    }
    assert!(!Role::Councillor.can(Permission::ViewOutcomes) && !Role::Viewer.can(Permission::ViewOutcomes));
}

#[tokio::test]
async fn claims_are_refused_by_field_or_rule_verified_split_and_held_until_savings_cover_them() {
    let mut c = Client::sqlite().await;
    let x = fixture(&c.store).await;
    c.user_named("sol@spv.test", "Sol Pennington", Role::Provider, Some(&x.spv)).await;
    c.user_named("cam@council.test", "Cam Holroyd", Role::Commissioner, None).await;
    let today = caremarket_store::today();
    let moved = ago(6);

    // The SPV claims: bad input names its field; the rules name themselves.
    c.sign_in_as("sol@spv.test").await;
    c.get(&format!("/portal/outcomes/{}", x.id)).await.assert_ok();
    let r = claim(&mut c, &x, "MH1", &x.mv, today.tomorrow().expect("d"), " ").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let text = visible_text(&r.body);
    assert!(text.contains("The date achieved cannot be in the future") && text.contains("Enter the evidence"), "{text}");
    let r = claim(&mut c, &x, "MH1", &x.sustain, moved, "Landlord's letter").await;
    assert!(visible_text(&r.body).contains("Refused by the rule 'Before its prerequisite'"), "{}", visible_text(&r.body));
    let r = claim(&mut c, &x, "Jane Smith", &x.mv, moved, "x").await;
    assert!(visible_text(&r.body).contains("not their name"));
    for (who, what, on) in [("MH2", &x.course, date(2020, 3, 2)), ("MH1", &x.mv, moved)] {
        let r = claim(&mut c, &x, who, what, on, "Tenancy agreement T-77").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", visible_text(&r.body));
    }
    let r = claim(&mut c, &x, "MH1", &x.mv, moved, "again").await;
    assert!(visible_text(&r.body).contains("Refused by the rule 'Already claimed'"));

    // The officer: a rejection needs a reason; the course first, then the move, are verified.
    c.sign_in_as("cam@council.test").await;
    let book = c.store.oc_contract(&x.id).await.expect("book");
    let id_of = |case_ref: &str| book.claims.iter().find(|r| r.case_ref == case_ref).map(|r| r.claim.id.clone()).expect("claim");
    let (course_claim, move_claim) = (id_of("MH2"), id_of("MH1"));
    // Each decision is made from the claim's page, whose form carries the claim's version.
    c.get(&format!("/outcomes/{}/claims/{move_claim}", x.id)).await.assert_ok();
    let r = c.post_form(&format!("/outcomes/{}/claims/{move_claim}", x.id), &[("decision", "reject"), ("reason", "")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(visible_text(&r.body).contains("Enter the reason for rejecting the claim"));
    for cl in [&course_claim, &move_claim] {
        c.get(&format!("/outcomes/{}/claims/{cl}", x.id)).await.assert_ok();
        let r = c.post_form(&format!("/outcomes/{}/claims/{cl}", x.id), &[("decision", "verify"), ("reason", "")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", visible_text(&r.body));
    }
    let text = visible_text(&c.get(&format!("/outcomes/{}/claims/{course_claim}", x.id)).await.body);
    assert!(text.contains("Status Verified"), "{text}");

    // Worked out here: the course (£1,000, achieved 2020) splits 25% to the LCF; the move
    // (£12,000, achieved after 31 March 2025) is the council's alone. Savings: MH1's £1,400 a
    // week for the 7 days from the move to today = £1,400, enough for the course's £1,000 but
    // not for the move's £12,000 as well: the move's payment is held.
    let (course_t, move_t) = (100_000i64, 1_200_000i64);
    let lcf = course_t * 25 / 100;
    let days_out = (today - moved).get_days() as i64 + 1;
    let avoided = (140_000.0 * days_out as f64 / 7.0).round() as i64;
    assert!(avoided >= course_t && avoided < course_t + move_t);
    let money = |p: i64| {
        let w = (p.abs() / 100).to_string();
        let mut g = String::new();
        for (i, ch) in w.chars().enumerate() {
            if i > 0 && (w.len() - i).is_multiple_of(3) {
                g.push(',');
            }
            g.push(ch);
        }
        format!("{}£{g}.{:02}", if p < 0 { "-" } else { "" }, p.abs() % 100)
    };
    let text = visible_text(&c.get(&format!("/outcomes/{}", x.id)).await.body);
    for want in [
        "In the cohort 2 people (baseline 173)".to_string(),
        "Still in 24/7 care 1 person".to_string(),
        format!("Verified payments {}", money(course_t + move_t)),
        format!("Held until savings cover them {} (1 payment)", money(move_t)),
        format!("Placement costs avoided {}", money(avoided)),
        format!("Net saving (avoided less payments made) {}", money(avoided - course_t)),
        format!("Life Chances Fund {} {} £0.00", money(lcf), money(lcf)),
        format!("Northmoor Borough Council {} {} {}", money(course_t - lcf + move_t), money(course_t - lcf), money(move_t)),
        format!("Envelope left {} of £3,000,000.00", money(300_000_000 - course_t - move_t)),
    ] {
        assert!(text.contains(&want), "wanted «{want}» in {text}");
    }
    // The cohort per quarter (financial years from April), at each quarter's end or today: both
    // people in the cohort, one still in 24/7 care, against the baseline and the forecast; the
    // move counted in the quarter it happened.
    let fq = |d: Date| {
        let (y, q) = if d.month() >= 4 { (d.year(), (d.month() - 4) / 3 + 1) } else { (d.year() - 1, 4) };
        format!("{}/{:02} Q{}", y, (y + 1) % 100, q)
    };
    let quarters = visible_text(&c.get(&format!("/outcomes/{}/cohort", x.id)).await.body);
    let moved_now = i32::from(fq(moved) == fq(today));
    let row = format!("{} 2 1 173 105 to 120 {moved_now} 0", fq(today));
    assert!(quarters.contains(&row), "wanted «{row}» in {quarters}");
    if moved_now == 0 {
        let row = format!("{} 2 1 173 105 to 120 1 0", fq(moved));
        assert!(quarters.contains(&row), "wanted «{row}» in {quarters}");
    }
    // Drill-downs: held payments list the move; the savings list MH1; in-care lists MH2 only.
    let held = visible_text(&c.get(&format!("/outcomes/{}/payments?show=held", x.id)).await.body);
    assert!(held.contains("1 payment") && held.contains("MH1 Moved on") && !held.contains("MH2"), "{held}");
    let in_care = visible_text(&c.get(&format!("/outcomes/{}/cohort?show=in_care", x.id)).await.body);
    assert!(in_care.contains("MH2") && !in_care.contains("MH1"), "{in_care}");
    let verified = visible_text(&c.get(&format!("/outcomes/{}/claims?status=verified&outcome={}", x.id, x.mv)).await.body);
    assert!(verified.contains("1 claim") && verified.contains("MH1"), "{verified}");

    // MH2 leaves; the SPV's claim achieved after is refused by the rule; it sees its claims.
    let mh2 = book.facts.members.iter().find(|m| m.case_ref == "MH2").map(|m| m.id.clone()).expect("mh2");
    let left = ago(3);
    c.get(&format!("/outcomes/{}/cohort/{mh2}", x.id)).await.assert_ok();
    let r = c
        .post_form(
            &format!("/outcomes/{}/cohort/{mh2}/leave", x.id),
            &[
                ("reason", "moved_away"),
                ("left_on-day", &left.day().to_string()),
                ("left_on-month", &left.month().to_string()),
                ("left_on-year", &left.year().to_string()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", visible_text(&r.body));
    c.sign_in_as("sol@spv.test").await;
    let r = claim(&mut c, &x, "MH2", &x.mv, ago(1), "Tenancy").await;
    assert!(visible_text(&r.body).contains("Refused by the rule 'After the person left the cohort'"), "{}", visible_text(&r.body));
    let r = claim(&mut c, &x, "MH1", &x.mv, moved, "again").await;
    assert!(visible_text(&r.body).contains("Refused by the rule 'Already paid'"));
    let mine = visible_text(&c.get("/portal/outcomes").await.body);
    assert!(mine.contains("Held until savings cover it") && mine.contains("Paid"), "{mine}");

    // Every change audited.
    let (audit, _) = c.store.audit_entries(&caremarket_store::AuditQuery { limit: 100, ..Default::default() }).await.expect("audit");
    assert_eq!(audit.iter().filter(|e| e.entity_type == "oc_claim").count(), 4, "two claims, two decisions");
    assert!(audit.iter().any(|e| e.summary.starts_with("MH2 left the cohort")));
}

#[tokio::test]
async fn a_commissioner_sets_up_a_contract_through_the_forms_and_bad_input_names_its_field() {
    let mut c = Client::sqlite().await;
    let spv = c.store.create_provider(&Actor::system("t"), None, "Independence SPV Ltd", None, None).await.expect("p");
    c.user_named("cam@council.test", "Cam Holroyd", Role::Commissioner, None).await;
    c.sign_in_as("cam@council.test").await;
    let mut form: Vec<(&str, &str)> = vec![
        ("name", "Promoting Independence"),
        ("starts_on-day", "1"),
        ("starts_on-month", "11"),
        ("starts_on-year", "2018"),
        ("ends_on-day", "31"),
        ("ends_on-month", "10"),
        ("ends_on-year", "2027"),
        ("envelope", "-3000000"),
        ("cap", ""),
        ("baseline", "173"),
        ("forecast_low", "105"),
        ("forecast_high", "120"),
        ("forecast_by-day", "31"),
        ("forecast_by-month", "3"),
        ("forecast_by-year", "2024"),
        ("expected_saving_low", "3000000"),
        ("expected_saving_high", "3700000"),
        ("eligibility", "Mental health need, in 24/7 residential or nursing care at the start"),
        ("age_out", "65"),
    ];
    let r = c.post_form("/outcomes/new", &form).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(visible_text(&r.body).contains("Budget envelope cannot be negative"), "{}", visible_text(&r.body));
    form[7] = ("envelope", "3,000,000");
    let r = c.post_form("/outcomes/new", &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", visible_text(&r.body));
    let setup = r.location.clone().expect("to");
    assert!(visible_text(&c.get(&setup).await.body).contains("Contract set up: add its parties and outcomes"));
    let id = setup.trim_start_matches("/outcomes/").split('/').next().expect("id").to_string();

    let lcf = |share: &'static str| -> Vec<(&'static str, &'static str)> {
        vec![
            ("role", "co_funder"),
            ("name", "Life Chances Fund"),
            ("share", share),
            ("commitment", "750000"),
            ("ends_on-day", "31"),
            ("ends_on-month", "3"),
            ("ends_on-year", "2025"),
        ]
    };
    let r = c.post_form(&format!("/outcomes/{id}/parties"), &lcf("25")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", visible_text(&r.body));
    let r = c.post_form(&format!("/outcomes/{id}/parties"), &lcf("80")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(visible_text(&r.body).contains("Shares over 100%: the co-funders would share 105% with this one"), "{}", visible_text(&r.body));
    let r = c.post_form(&format!("/outcomes/{id}/parties"), &[("role", "spv"), ("name", "The SPV"), ("provider_id", "")]).await;
    assert!(visible_text(&r.body).contains("Choose the provider in the register"));
    let r = c.post_form(&format!("/outcomes/{id}/parties"), &[("role", "spv"), ("name", "The SPV"), ("provider_id", &spv)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", visible_text(&r.body));
    let outcome = [
        ("name", "Moved on"),
        ("kind", "move"),
        ("tariff", "-12000"),
        ("evidence", "Tenancy agreement"),
        ("prerequisite_id", ""),
        ("after_months", ""),
    ];
    let r = c.post_form(&format!("/outcomes/{id}/outcomes"), &outcome).await;
    assert!(visible_text(&r.body).contains("Tariff cannot be negative"));
    let mut ok = outcome;
    ok[2] = ("tariff", "12000");
    assert_eq!(c.post_form(&format!("/outcomes/{id}/outcomes"), &ok).await.status, StatusCode::SEE_OTHER);
    let text = visible_text(&c.get(&format!("/outcomes/{id}")).await.body);
    for want in [
        "Life Chances Fund Co-funder of outcome payments 25% of each outcome payment £750,000.00 31 March 2025",
        "The SPV Special purpose vehicle",
        "Moved on £12,000.00 Tenancy agreement None",
        "In the cohort 0 people (baseline 173)",
    ] {
        assert!(text.contains(want), "wanted «{want}» in {text}");
    }

    // The cohort: the eligibility rule refuses, naming the field; then the person joins.
    let person = [
        ("case_ref", "mh7"),
        ("born", "1970-05"),
        ("entered_on-day", "1"),
        ("entered_on-month", "11"),
        ("entered_on-year", "2018"),
        ("placement", "nursing"),
        ("weekly_cost", "1,050"),
    ];
    let r = c.post_form(&format!("/outcomes/{id}/cohort"), &person).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(visible_text(&r.body).contains("The cohort is for people with a mental health need: confirm the person has one"));
    let mut eligible = person.to_vec();
    eligible.push(("mental_health_need", "yes"));
    let r = c.post_form(&format!("/outcomes/{id}/cohort"), &eligible).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", visible_text(&r.body));
    let text = visible_text(&c.get(&format!("/outcomes/{id}/cohort")).await.body);
    assert!(text.contains("MH7") && text.contains("24/7 nursing care £1,050.00"), "{text}");
    let (audit, _) = c.store.audit_entries(&caremarket_store::AuditQuery { limit: 50, ..Default::default() }).await.expect("audit");
    for t in ["oc_contract", "oc_party", "oc_outcome", "oc_member"] {
        assert!(audit.iter().any(|e| e.entity_type == t), "{t} audited");
    }
}

/// The provider opens a claim it sent from its list, sees what it claimed and adds the evidence
/// file there; the commissioner sees that file on the claim's page; another provider finds no
/// such claim.
#[tokio::test]
async fn a_provider_attaches_evidence_to_its_own_claim() {
    let mut c = Client::sqlite().await;
    let x = fixture(&c.store).await;
    c.user_named("sol@spv.test", "Sol Pennington", Role::Provider, Some(&x.spv)).await;
    c.user_named("olly@other.test", "Olly Other", Role::Provider, Some(&x.other)).await;
    c.user_named("cam@council.test", "Cam Holroyd", Role::Commissioner, None).await;
    let moved = ago(6);
    c.sign_in_as("sol@spv.test").await;
    let r = claim(&mut c, &x, "MH1", &x.mv, moved, "Tenancy agreement T-77").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", visible_text(&r.body));
    let claim_id = c.store.oc_contract(&x.id).await.expect("book").claims[0].claim.id.clone();
    let page = format!("/portal/outcomes/{}/claims/{claim_id}", x.id);
    let list = c.get("/portal/outcomes").await;
    // minijinja writes '/' in attributes as "&#x2f;", which the browser reads as '/'.
    assert!(list.body.replace("&#x2f;", "/").contains(&format!("href=\"{page}\"")), "the list links to the claim");
    let text = visible_text(&c.get(&page).await.body);
    let expected = format!(
        "Claim for MH1 Outcome Moved on Achieved {} Tariff £12,000.00 Status Waiting for verification Evidence described Tenancy agreement T-77",
        caremarket_core::text::long_date(moved)
    );
    assert!(text.contains(&expected), "expected '{expected}' in {text}");
    assert!(text.contains("No evidence files have been added to this outcome claim."), "{text}");
    let pdf = caremarket_core::evidence::sample_pdf("Tenancy T-77");
    let token = c.csrf();
    let r = c.post_file_bytes(&format!("/evidence/claim/{claim_id}"), &token, "evidence_file", "tenancy.pdf", &pdf).await;
    assert_eq!(r.location.as_deref(), Some(format!("{page}?evidence=added#evidence-files").as_str()));
    let text = visible_text(&c.get(&format!("{page}?evidence=added")).await.body);
    assert!(text.contains("Success Evidence file added") && text.contains("tenancy.pdf PDF"), "{text}");
    c.post_form("/sign-out", &[]).await;

    c.sign_in_as("olly@other.test").await;
    assert_eq!(c.get(&page).await.status, StatusCode::NOT_FOUND);
    c.post_form("/sign-out", &[]).await;

    c.sign_in_as("cam@council.test").await;
    let text = visible_text(&c.get(&format!("/outcomes/{}/claims/{claim_id}", x.id)).await.body);
    assert!(text.contains("tenancy.pdf PDF") && text.contains("Sol Pennington"), "{text}");
}
