//! Outcomes-based contracts (issue 13 items 4-7): a contract set up with its parties and
//! outcomes, the cohort kept by case reference with its eligibility rule, claims refused by the
//! rule that refuses them (at submission and again at verification), verified claims split
//! between the Life Chances Fund and the council by share and end date, savings and held
//! payments worked out here from the records, and every change audited; the same through the
//! bulk path of generated data (issue 18 item 5). Run on every backend available (SQLite always;
//! PostgreSQL with CAREMARKET_TEST_POSTGRES_URL).

use caremarket_core::outcomes::{
    ClaimDraft, ClaimStatus, ContractDraft, LeaveReason, MemberDraft, OutcomeDraft, OutcomeKind, PartyDraft, PartyRole, Placement,
};
use caremarket_core::versions::Version;
use caremarket_store::bulk::{OcApplied, OcEvent, OcRef};
use caremarket_store::outcomes::ContractBook;
use caremarket_store::{Actor, AuditQuery, Store, StoreError};
use jiff::civil::{Date, date};
use std::collections::HashMap;

fn fields(e: StoreError) -> Vec<(String, String)> {
    match e {
        StoreError::Invalid(f) => vec![(f.field, f.message)],
        StoreError::InvalidFields(fs) => fs.0.into_iter().map(|f| (f.field, f.message)).collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

fn contract(cap: &str) -> ContractDraft {
    ContractDraft {
        name: "Promoting Independence".into(),
        starts_on: Some(date(2018, 11, 1)),
        ends_on: Some(date(2027, 10, 31)),
        envelope: "3,000,000".into(),
        cap: cap.into(),
        baseline: "173".into(),
        forecast_low: "105".into(),
        forecast_high: "120".into(),
        forecast_by: Some(date(2024, 3, 31)),
        expected_saving_low: "3000000".into(),
        expected_saving_high: "3700000".into(),
        eligibility: "Mental health need; in 24/7 residential or nursing care at the start; age out at 65".into(),
        age_out: "65".into(),
    }
}

fn person(case_ref: &str, born: &str, weekly: &str) -> MemberDraft {
    MemberDraft {
        case_ref: case_ref.into(),
        born: born.into(),
        entered_on: Some(date(2018, 11, 1)),
        placement: Some(Placement::Residential),
        weekly_cost: weekly.into(),
        mental_health_need: true,
    }
}

fn outcome(name: &str, kind: OutcomeKind, tariff: &str, pre: &str, months: &str) -> OutcomeDraft {
    OutcomeDraft {
        name: name.into(),
        kind: Some(kind),
        tariff: tariff.into(),
        evidence: "Tenancy agreement".into(),
        prerequisite_id: pre.into(),
        after_months: months.into(),
    }
}

/// The Life Chances Fund: 25% of each payment, up to `commitment`, for outcomes achieved until
/// 31 March 2025.
fn lcf(commitment: &str) -> PartyDraft {
    PartyDraft {
        role: Some(PartyRole::CoFunder),
        name: "Life Chances Fund".into(),
        share: "25".into(),
        commitment: commitment.into(),
        ends_on: Some(date(2025, 3, 31)),
        ..Default::default()
    }
}

fn claim(case_ref: &str, outcome: &str, on: Date) -> ClaimDraft {
    ClaimDraft {
        case_ref: case_ref.into(),
        outcome_id: outcome.into(),
        achieved_on: Some(on),
        evidence: "Tenancy agreement ref T-1".into(),
    }
}

const OFFICER: &str = "Officer (test)";
const SPV_USER: &str = "SPV user (test)";
const REFUSED: &str = "Refused by the contract's rules";
const TODAY: Date = date(2025, 6, 1);

/// Ids of a contract set up for the events: the contract, the SPV provider, the outcomes.
struct Setup {
    id: String,
    spv: String,
    mv: String,
    sustain: String,
    course: String,
}

/// A contract with a £15,500 cap; the Life Chances Fund paying 25% up to £2,000 for outcomes
/// achieved until 31 March 2025; the SPV; a move (£6,000), its 12-month sustain (£3,000) and a
/// course (£1,000).
async fn setup(s: &Store, name: &str, spv: &str) -> Setup {
    let a = Actor::system(OFFICER);
    let id =
        s.create_oc_contract(&a, &ContractDraft { name: name.into(), ..contract("15500") }, "Testshire Council").await.expect("contract");
    for p in [PartyDraft { role: Some(PartyRole::Spv), name: "The SPV".into(), provider_id: spv.into(), ..Default::default() }, lcf("2000")]
    {
        s.add_oc_party(&a, &id, &p).await.expect("party");
    }
    let mv = s.add_oc_outcome(&a, &id, &outcome("Move", OutcomeKind::Move, "6000", "", "")).await.expect("move");
    let sustain =
        s.add_oc_outcome(&a, &id, &outcome("Sustained 12 months", OutcomeKind::Sustain, "3000", &mv, "12")).await.expect("sustain");
    let course = s.add_oc_outcome(&a, &id, &outcome("Started a course", OutcomeKind::Education, "1000", "", "")).await.expect("course");
    Setup { id, spv: spv.into(), mv, sustain, course }
}

fn join(case_ref: &str, born: &str, weekly: &str) -> OcEvent {
    OcEvent::Join { draft: person(case_ref, born, weekly), skip_if_refused: true }
}

fn submit(x: &Setup, case_ref: &str, outcome: &str, on: Date) -> OcEvent {
    OcEvent::Claim { by: SPV_USER.into(), provider_id: Some(x.spv.clone()), draft: claim(case_ref, outcome, on), skip_if_refused: true }
}

fn decide(event: usize, verify: bool, reason: &str, on: Date) -> OcEvent {
    OcEvent::Decide {
        claim: OcRef(event),
        by: OFFICER.into(),
        verify: Some(verify),
        reason: reason.into(),
        decided_on: on,
        or_reject: Some(REFUSED.into()),
    }
}

/// The events (numbered from 0), and what each comes to.
fn events(x: &Setup) -> Vec<OcEvent> {
    vec![
        join("MH1", "1970-05", "1400"),
        join("MH2", "1980-01", "700"),
        // 68 when joining: refused, left out.
        join("MH3", "1950-01", "1000"),
        // 60 when joining; ages out in March 2023.
        join("MH4", "1958-03", "1050"),
        submit(x, "MH1", &x.mv, date(2020, 1, 10)),
        // 5: verified; the LCF pays 25% (£1,500) of its £2,000.
        decide(4, true, "", date(2020, 2, 1)),
        submit(x, "MH1", &x.sustain, date(2021, 1, 10)),
        submit(x, "MH2", &x.mv, date(2025, 4, 1)),
        submit(x, "MH2", &x.course, date(2025, 4, 2)),
        submit(x, "MH1", &x.course, date(2020, 3, 1)),
        // 10: verified; 25% is £750, the LCF has £500 left.
        decide(6, true, "", date(2021, 2, 1)),
        // 11: verified; achieved after the LCF's end: the council pays it all.
        decide(7, true, "", date(2025, 4, 20)),
        decide(8, false, "No enrolment letter", date(2025, 4, 21)),
        // 13: £15,000 verified and £1,000 more is over the £15,500 cap: rejected instead.
        decide(9, true, "", date(2025, 4, 22)),
        // After MH4 aged out: refused, left out.
        submit(x, "MH4", &x.course, date(2023, 4, 1)),
        OcEvent::Leave { member: OcRef(1), reason: Some(LeaveReason::MovedAway), on: Some(date(2025, 5, 1)) },
    ]
}

/// The same events through the ordinary functions, one after another, with the same
/// refusals left out or turned into rejections.
async fn one_by_one(s: &Store, x: &Setup, events: Vec<OcEvent>) -> Vec<String> {
    let (officer, spv_user) = (Actor::system(OFFICER), Actor::system(SPV_USER));
    let mut ids: Vec<String> = Vec::new();
    let mut outcomes = Vec::new();
    for e in events {
        let (id, what) = match e {
            OcEvent::Join { draft, skip_if_refused } => match s.add_oc_member(&officer, &x.id, &draft, TODAY).await {
                Ok(id) => (id, "joined".to_string()),
                Err(_) if skip_if_refused => (String::new(), "skipped".into()),
                Err(e) => panic!("join: {e}"),
            },
            OcEvent::Claim { provider_id, draft, skip_if_refused, .. } => {
                match s.submit_oc_claim(&spv_user, &x.id, provider_id.as_deref(), &draft, TODAY).await {
                    Ok(id) => (id, "claimed".into()),
                    Err(_) if skip_if_refused => (String::new(), "skipped".into()),
                    Err(e) => panic!("claim: {e}"),
                }
            }
            OcEvent::Decide { claim, verify, reason, decided_on, or_reject, .. } => {
                let c = &ids[claim.0];
                let status = match s.decide_oc_claim(&officer, &x.id, c, verify, &reason, decided_on, Version::FIRST).await {
                    Ok(st) => st,
                    Err(StoreError::Invalid(_) | StoreError::InvalidFields(_)) if or_reject.is_some() => s
                        .decide_oc_claim(
                            &officer,
                            &x.id,
                            c,
                            Some(false),
                            or_reject.as_deref().unwrap_or_default(),
                            decided_on,
                            Version::FIRST,
                        )
                        .await
                        .expect("reject"),
                    Err(e) => panic!("decide: {e}"),
                };
                (String::new(), format!("decided {}", status.as_str()))
            }
            OcEvent::Leave { member, reason, on } => {
                s.oc_member_leaves(&officer, &x.id, &ids[member.0], reason, on, TODAY, Version::FIRST).await.expect("leave");
                (String::new(), "left".into())
            }
        };
        ids.push(id);
        outcomes.push(what);
    }
    outcomes
}

fn applied(a: &OcApplied) -> String {
    match a {
        OcApplied::Joined(_) => "joined".into(),
        OcApplied::Claimed(_) => "claimed".into(),
        OcApplied::Decided(st) => format!("decided {}", st.as_str()),
        OcApplied::Left => "left".into(),
        OcApplied::Skipped(_) => "skipped".into(),
    }
}

/// What a user reads of a book, with record ids replaced by what the pages show for them
/// (names, case references, a claim's place in the list).
fn read(b: &ContractBook) -> Vec<String> {
    let f = &b.facts;
    let mut names: HashMap<String, String> = HashMap::new();
    for p in &f.parties {
        names.insert(p.id.clone(), p.name.clone());
    }
    for o in &f.outcomes {
        names.insert(o.id.clone(), o.name.clone());
    }
    for m in &f.members {
        names.insert(m.id.clone(), m.case_ref.clone());
    }
    for (i, c) in f.claims.iter().enumerate() {
        names.insert(c.id.clone(), format!("claim {}", i + 1));
    }
    let mask = |text: String| names.iter().fold(text, |t, (id, name)| t.replace(id, name));
    let mut out: Vec<String> = f.members.iter().map(|m| mask(format!("{m:?}"))).collect();
    for r in &b.claims {
        let c = &r.claim;
        let mut parts: Vec<String> =
            f.parts.iter().filter(|(id, _)| *id == c.id).map(|(_, p)| mask(format!("{} {}", p.party_id, p.pence))).collect();
        parts.sort();
        out.push(mask(format!(
            "{} {} {} {} {} {:?} {:?} {:?} {} {:?} v{} [{}]",
            r.case_ref,
            r.outcome_name,
            r.tariff_pence,
            c.achieved_on,
            c.status.as_str(),
            c.decided_on,
            c.reason,
            r.provider_name,
            r.submitted_by_label,
            r.decided_by_label,
            r.version,
            parts.join(", ")
        )));
    }
    out.push(mask(format!("{:?}", f.figures(TODAY))));
    out
}

#[tokio::test]
async fn a_contract_runs_from_set_up_to_savings_on_every_backend() {
    let today = date(2025, 6, 1);
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("test");
        let spv = s.create_provider(&a, None, "Promoting Independence SPV Ltd", None, None).await.expect("provider");
        let other = s.create_provider(&a, None, "Other Care Ltd", None, None).await.expect("provider");
        // A cap of £20,000 so that the cap rule can be met.
        let id = s.create_oc_contract(&a, &contract("20000"), "Sheffield City Council").await.expect("contract");
        let e = s.create_oc_contract(&a, &ContractDraft { envelope: "-1".into(), ..contract("") }, "x").await.expect_err("negative");
        assert_eq!(fields(e)[0].0, "envelope");

        let lcf = lcf("750000");
        s.add_oc_party(&a, &id, &lcf).await.expect("lcf");
        let e =
            s.add_oc_party(&a, &id, &PartyDraft { name: "Too much".into(), share: "80".into(), ..lcf.clone() }).await.expect_err("105%");
        let f = fields(e);
        assert_eq!(f[0].0, "share");
        assert!(f[0].1.contains("Shares over 100%"), "{}", f[0].1);
        s.add_oc_party(
            &a,
            &id,
            &PartyDraft { role: Some(PartyRole::Spv), name: "SPV".into(), provider_id: spv.clone(), ..Default::default() },
        )
        .await
        .expect("spv");
        s.add_oc_party(
            &a,
            &id,
            &PartyDraft { role: Some(PartyRole::PoolPartner), name: "CCG".into(), share: "30".into(), ..Default::default() },
        )
        .await
        .expect("ccg");

        let e = s.add_oc_outcome(&a, &id, &outcome("Move", OutcomeKind::Move, "-5000", "", "")).await.expect_err("negative tariff");
        assert_eq!(fields(e)[0].0, "tariff");
        let mv = s.add_oc_outcome(&a, &id, &outcome("Move", OutcomeKind::Move, "6000", "", "")).await.expect("move");
        let sustain =
            s.add_oc_outcome(&a, &id, &outcome("Sustained 12 months", OutcomeKind::Sustain, "3000", &mv, "12")).await.expect("sustain");
        let course = s.add_oc_outcome(&a, &id, &outcome("Started a course", OutcomeKind::Education, "1000", "", "")).await.expect("course");

        // The cohort: by case reference; eligibility refused naming the field.
        s.add_oc_member(&a, &id, &person("mh1", "1970-05", "1400"), today).await.expect("mh1");
        s.add_oc_member(&a, &id, &person("MH2", "1980-01", "700"), today).await.expect("mh2");
        let old = s.add_oc_member(&a, &id, &person("MH3", "1958-03", "1050"), today).await.expect("mh3: ages out March 2023");
        let e = s.add_oc_member(&a, &id, &person("MH4", "1950-01", "1000"), today).await.expect_err("68 on joining");
        assert_eq!(fields(e)[0].0, "born");
        let e = s
            .add_oc_member(&a, &id, &MemberDraft { mental_health_need: false, ..person("MH5", "1980-01", "1") }, today)
            .await
            .expect_err("need");
        assert_eq!(fields(e)[0].0, "mental_health_need");
        let e = s.add_oc_member(&a, &id, &person("Jane Smith", "1980-01", "1"), today).await.expect_err("a name");
        assert_eq!(fields(e)[0].0, "case_ref");

        // Claims through the portal: only a party's provider; bad input and rules name their field.
        let e = s.submit_oc_claim(&a, &id, Some(&other), &claim("MH1", &mv, date(2020, 1, 10)), today).await.expect_err("not a party");
        assert!(matches!(e, StoreError::NotFound(_)));
        let e = s
            .submit_oc_claim(&a, &id, Some(&spv), &ClaimDraft { evidence: "".into(), ..claim("MH1", &mv, date(2025, 6, 2)) }, today)
            .await
            .expect_err("bad");
        let f: Vec<String> = fields(e).into_iter().map(|(f, _)| f).collect();
        assert_eq!(f, ["achieved_on", "evidence"]);
        let e = s.submit_oc_claim(&a, &id, Some(&spv), &claim("MH1", &sustain, date(2020, 6, 1)), today).await.expect_err("prereq");
        assert!(fields(e)[0].1.contains("'Before its prerequisite'"));
        let e = s.submit_oc_claim(&a, &id, Some(&spv), &claim("MH3", &course, date(2023, 4, 1)), today).await.expect_err("aged out");
        assert!(fields(e)[0].1.contains("'After the person left the cohort'"));

        let c1 = s.submit_oc_claim(&a, &id, Some(&spv), &claim("MH1", &mv, date(2020, 1, 10)), today).await.expect("c1");
        let e = s.submit_oc_claim(&a, &id, Some(&spv), &claim("MH1", &mv, date(2020, 2, 10)), today).await.expect_err("twice");
        assert!(fields(e)[0].1.contains("'Already claimed'"));
        let e = s.decide_oc_claim(&a, &id, &c1, Some(false), " ", today, Version::FIRST).await.expect_err("reason");
        assert_eq!(fields(e)[0].0, "reason");
        assert_eq!(s.decide_oc_claim(&a, &id, &c1, Some(true), "", today, Version::FIRST).await.expect("verify"), ClaimStatus::Verified);
        // Decided again from a page opened before the decision: refused as stale (decision 25);
        // from one opened after it: refused as decided.
        let e = s.decide_oc_claim(&a, &id, &c1, Some(true), "", today, Version::FIRST).await.expect_err("stale");
        assert!(matches!(e, StoreError::Stale { current: 2 }), "{e:?}");
        let v2 = Version::new(2).expect("v");
        let e = s.decide_oc_claim(&a, &id, &c1, Some(true), "", today, v2).await.expect_err("decided");
        assert_eq!(fields(e)[0].0, "decision");
        let e = s.submit_oc_claim(&a, &id, Some(&spv), &claim("MH1", &mv, date(2020, 2, 10)), today).await.expect_err("paid");
        assert!(fields(e)[0].1.contains("'Already paid'"));

        let c2 = s.submit_oc_claim(&a, &id, Some(&spv), &claim("MH1", &sustain, date(2021, 1, 10)), today).await.expect("c2");
        let c3 = s.submit_oc_claim(&a, &id, Some(&spv), &claim("MH2", &mv, date(2025, 4, 1)), today).await.expect("c3");
        let c4 = s.submit_oc_claim(&a, &id, Some(&spv), &claim("MH2", &course, date(2025, 4, 2)), today).await.expect("c4");
        s.decide_oc_claim(&a, &id, &c2, Some(true), "", today, Version::FIRST).await.expect("c2");
        s.decide_oc_claim(&a, &id, &c3, Some(true), "", today, Version::FIRST).await.expect("c3");
        s.decide_oc_claim(&a, &id, &c4, Some(false), "No enrolment letter", today, Version::FIRST).await.expect("reject");
        // £6,000 + £3,000 + £6,000 verified = £15,000; the rejected £1,000 course does not count.
        // Claimed again and verified, it would be £16,000: within the £20,000 cap.
        let c5 = s.submit_oc_claim(&a, &id, Some(&spv), &claim("MH2", &course, date(2025, 4, 3)), today).await.expect("c5");
        // MH2 leaves; a claim achieved after is refused.
        s.oc_member_leaves(&a, &id, &old, Some(LeaveReason::Died), Some(date(2026, 1, 1)), today, Version::FIRST)
            .await
            .expect_err("future");
        let mh2 =
            s.oc_contract(&id).await.expect("book").facts.members.iter().find(|m| m.case_ref == "MH2").map(|m| m.id.clone()).expect("mh2");
        s.oc_member_leaves(&a, &id, &mh2, Some(LeaveReason::MovedAway), Some(date(2025, 5, 1)), today, Version::FIRST)
            .await
            .expect("leave");
        let e = s.submit_oc_claim(&a, &id, Some(&spv), &claim("MH2", &sustain, date(2025, 5, 2)), today).await.expect_err("left");
        assert!(fields(e)[0].1.contains("'After the person left the cohort'"));
        // c5 was achieved before MH2 left: verifiable.
        s.decide_oc_claim(&a, &id, &c5, Some(true), "", today, Version::FIRST).await.expect("c5");

        let b = s.oc_contract(&id).await.expect("book");
        let f = &b.facts;
        assert_eq!(f.members.len(), 3);
        assert!(b.has_provider(&spv) && !b.has_provider(&other));
        // Each verified payment's parts add up to its tariff; the LCF's 25% only for outcomes
        // achieved by 31 March 2025.
        let lcf_id = f.parties.iter().find(|p| p.role == PartyRole::CoFunder).map(|p| p.id.clone()).expect("lcf");
        let council = b.council_id().expect("council").to_string();
        for (c, tariff, lcf_part) in [(&c1, 600_000, 150_000), (&c2, 300_000, 75_000), (&c3, 600_000, 0), (&c5, 100_000, 0)] {
            let parts: Vec<(String, i64)> = f.parts.iter().filter(|(x, _)| x == c).map(|(_, p)| (p.party_id.clone(), p.pence)).collect();
            assert_eq!(parts.iter().map(|(_, p)| p).sum::<i64>(), tariff);
            assert_eq!(parts.iter().find(|(p, _)| *p == lcf_id).map(|(_, x)| *x).unwrap_or(0), lcf_part);
            assert_eq!(parts.iter().find(|(p, _)| *p == council).map(|(_, x)| *x), Some(tariff - lcf_part));
        }
        assert!(f.parts.iter().all(|(c, _)| *c != c4), "a rejected claim is not paid");

        // Savings: MH1 moved 10 January 2020 at £1,400 a week; MH2 moved 1 April 2025 at £700 a
        // week and left on 1 May 2025 (30 days out). Worked out here, day by day.
        let days = |a: Date, b: Date| (b - a).get_days() as i64;
        let mh1 = (140_000.0 * (days(date(2020, 1, 10), today) + 1) as f64 / 7.0).round() as i64;
        let mh2_saved = (70_000.0 * 30.0 / 7.0f64).round() as i64;
        let fig = f.figures(today);
        assert_eq!(fig.avoided_pence, mh1 + mh2_saved);
        assert_eq!(fig.verified_pence, 600_000 + 300_000 + 600_000 + 100_000);
        assert_eq!(fig.held_pence, 0, "MH1's savings cover every payment by today");
        assert_eq!(fig.net_pence, mh1 + mh2_saved - 1_600_000);
        assert_eq!(fig.cap_left_pence, Some(2_000_000 - 1_600_000));
        assert_eq!((fig.cohort, fig.in_care), (1, 0), "MH3 aged out, MH2 moved away; MH1 moved on and stays in the cohort");
        // Each payment was verified on `today`, when MH1's savings already covered them all: each is
        // released on the day it was verified.
        assert!(fig.releases.iter().all(|r| r.paid_on == Some(today)));

        // Every change audited.
        let (audit, _) = s.audit_entries(&AuditQuery { limit: 200, ..Default::default() }).await.expect("audit");
        let count = |t: &str| audit.iter().filter(|e| e.entity_type == t).count();
        assert_eq!(count("oc_contract"), 1);
        assert_eq!(count("oc_party"), 4, "the council, the LCF, the SPV and the CCG");
        assert_eq!(count("oc_outcome"), 3);
        assert_eq!(count("oc_member"), 3 + 1, "three joined, one left");
        assert_eq!(count("oc_claim"), 5 + 5, "five claims, five decisions");
        assert!(audit.iter().any(|e| e.summary.contains("Rejected 'Started a course' for MH2: No enrolment letter")));
    }
}

#[tokio::test]
async fn the_cap_refuses_a_claim_and_verification_checks_the_rules_again() {
    let today = date(2025, 6, 1);
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("test");
        let spv = s.create_provider(&a, None, "SPV Ltd", None, None).await.expect("provider");
        let id = s.create_oc_contract(&a, &contract("10000"), "Council").await.expect("contract");
        s.add_oc_party(
            &a,
            &id,
            &PartyDraft { role: Some(PartyRole::Spv), name: "SPV".into(), provider_id: spv.clone(), ..Default::default() },
        )
        .await
        .expect("spv");
        let mv = s
            .add_oc_outcome(
                &a,
                &id,
                &OutcomeDraft {
                    name: "Move".into(),
                    kind: Some(OutcomeKind::Move),
                    tariff: "6000".into(),
                    evidence: "x".into(),
                    ..Default::default()
                },
            )
            .await
            .expect("move");
        for r in ["MH1", "MH2"] {
            s.add_oc_member(&a, &id, &person(r, "1970-05", "1000"), today).await.expect("member");
        }
        // Both claimed while nothing is verified; the first verified (£6,000) leaves £4,000 of
        // the £10,000 cap, so verifying the second is refused by the cap, naming the rule.
        let c1 = s.submit_oc_claim(&a, &id, Some(&spv), &claim("MH1", &mv, date(2020, 1, 1)), today).await.expect("c1");
        let c2 = s.submit_oc_claim(&a, &id, Some(&spv), &claim("MH2", &mv, date(2020, 1, 1)), today).await.expect("c2");
        s.decide_oc_claim(&a, &id, &c1, Some(true), "", today, Version::FIRST).await.expect("c1");
        let e = s.decide_oc_claim(&a, &id, &c2, Some(true), "", today, Version::FIRST).await.expect_err("cap");
        let f = fields(e);
        assert_eq!(f[0].0, "decision");
        assert!(f[0].1.contains("'Beyond the contract's cap'"), "{}", f[0].1);
        let e = s.submit_oc_claim(&a, &id, Some(&spv), &claim("MH2", &mv, date(2020, 1, 2)), today).await.expect_err("pending");
        assert!(fields(e)[0].1.contains("'Already claimed'"));
        s.decide_oc_claim(&a, &id, &c2, Some(false), "Over the cap", today, Version::FIRST).await.expect("reject");
        let e = s.submit_oc_claim(&a, &id, Some(&spv), &claim("MH2", &mv, date(2020, 1, 2)), today).await.expect_err("cap");
        assert!(fields(e)[0].1.contains("'Beyond the contract's cap'"));
    }
}

// The bulk path (issue 18 item 5): the same events through `Store::begin_oc_bulk` and through
// the ordinary functions leave the same book (people, claims with their status and decision,
// each payment's parts by funder, the figures), with the figures worked out here from the
// events; refusals left out or turned into rejections as the events ask; a refused event
// refuses the batch, naming it, and nothing is written; a contract changed while the batch was
// prepared refuses it; one audit entry says what was generated.

#[tokio::test]
async fn outcomes_events_in_bulk_leave_the_book_the_ordinary_functions_leave() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system(OFFICER);
        let spv = s.create_provider(&a, None, "Independence SPV Ltd", None, None).await.expect("provider");
        let one = setup(&s, "One by one", &spv).await;
        let bulk_x = setup(&s, "In bulk", &spv).await;

        let expected = [
            "joined",
            "joined",
            "skipped",
            "joined",
            "claimed",
            "decided verified",
            "claimed",
            "claimed",
            "claimed",
            "claimed",
            "decided verified",
            "decided verified",
            "decided rejected",
            "decided rejected",
            "skipped",
            "left",
        ];
        assert_eq!(one_by_one(&s, &one, events(&one)).await, expected);

        let (audit_before, _) = s.audit_entries(&AuditQuery { limit: 1000, ..Default::default() }).await.expect("audit");
        let mut bulk = s.begin_oc_bulk(&bulk_x.id, TODAY).await.expect("begin");
        let mut got = Vec::new();
        for e in events(&bulk_x) {
            got.push(applied(&bulk.apply(e).expect("event")));
        }
        assert_eq!(got, expected);
        let in_memory = serde_json::to_value(bulk.book()).expect("json");
        assert_eq!(s.finish_oc_bulk(&a, bulk).await.expect("write"), 14, "16 events, 2 left out");

        let by_one = s.oc_contract(&one.id).await.expect("book");
        let in_bulk = s.oc_contract(&bulk_x.id).await.expect("book");
        assert_eq!(read(&in_bulk), read(&by_one));
        assert_eq!(serde_json::to_value(&in_bulk).expect("json"), in_memory, "the batch's book in memory is what is read back");

        // The figures, worked out from the events: verified £6,000 + £3,000 + £6,000; the LCF's
        // 25% of the first (£1,500) and what is left of its £2,000 for the second (£500), nothing
        // of the third (achieved after its end); the council the rest.
        let f = &in_bulk.facts;
        let lcf = f.parties.iter().find(|p| p.role == PartyRole::CoFunder).map(|p| p.id.clone()).expect("lcf");
        let council = in_bulk.council_id().expect("council").to_string();
        let parts_of = |i: usize| -> Vec<(String, i64)> {
            let id = &in_bulk.claims[i].claim.id;
            let mut v: Vec<(String, i64)> = f.parts.iter().filter(|(c, _)| c == id).map(|(_, p)| (p.party_id.clone(), p.pence)).collect();
            v.sort();
            v
        };
        let sorted = |mut v: Vec<(String, i64)>| {
            v.sort();
            v
        };
        assert_eq!(parts_of(0), sorted(vec![(lcf.clone(), 600_000 / 4), (council.clone(), 600_000 - 600_000 / 4)]));
        assert_eq!(parts_of(1), sorted(vec![(lcf.clone(), 200_000 - 600_000 / 4), (council.clone(), 300_000 - (200_000 - 600_000 / 4))]));
        assert_eq!(parts_of(2), vec![(council.clone(), 600_000)]);
        let statuses: Vec<(&str, &str, ClaimStatus, Option<&str>)> = in_bulk
            .claims
            .iter()
            .map(|r| (r.case_ref.as_str(), r.outcome_name.as_str(), r.claim.status, r.claim.reason.as_deref()))
            .collect();
        assert_eq!(
            statuses,
            [
                ("MH1", "Move", ClaimStatus::Verified, None),
                ("MH1", "Sustained 12 months", ClaimStatus::Verified, None),
                ("MH2", "Move", ClaimStatus::Verified, None),
                ("MH2", "Started a course", ClaimStatus::Rejected, Some("No enrolment letter")),
                ("MH1", "Started a course", ClaimStatus::Rejected, Some(REFUSED)),
            ]
        );
        let fig = f.figures(TODAY);
        assert_eq!(fig.verified_pence, 600_000 + 300_000 + 600_000);
        assert_eq!(fig.cap_left_pence, Some(1_550_000 - 1_500_000));
        let funder = |id: &str| fig.by_funder.iter().find(|r| r.party_id == id).map(|r| r.verified_pence);
        assert_eq!(funder(&lcf), Some(200_000), "the LCF's whole commitment");
        assert_eq!(funder(&council), Some(1_500_000 - 200_000));
        // MH1 moved on 10 January 2020 at £1,400 a week; MH2 on 1 April 2025 at £700 a week, and
        // left on 1 May 2025 (30 days out).
        let days = (TODAY - date(2020, 1, 10)).get_days() as f64 + 1.0;
        assert_eq!(fig.avoided_pence, (140_000.0 * days / 7.0).round() as i64 + (70_000.0 * 30.0 / 7.0f64).round() as i64);
        assert_eq!((fig.cohort, fig.in_care), (1, 0), "MH4 aged out, MH2 moved away, MH1 moved on");
        let left: Vec<(&str, Option<Date>)> = f.members.iter().map(|m| (m.case_ref.as_str(), m.left_on)).collect();
        assert_eq!(left, [("MH1", None), ("MH2", Some(date(2025, 5, 1))), ("MH4", None)]);

        // One audit entry for the batch.
        let (audit, _) = s.audit_entries(&AuditQuery { limit: 1000, ..Default::default() }).await.expect("audit");
        assert_eq!(audit.len(), audit_before.len() + 1);
        assert_eq!(audit[0].entity_id.as_deref(), Some(bulk_x.id.as_str()));
        assert_eq!(
            audit[0].summary,
            "3 cohort members, 5 claims (3 verified, 2 rejected) and 1 leaving generated for 'In bulk', 2 refused events left out (bulk load)"
        );
    }
}

#[tokio::test]
async fn a_refused_outcomes_event_refuses_the_batch_naming_it() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system(OFFICER);
        let spv = s.create_provider(&a, None, "Independence SPV Ltd", None, None).await.expect("provider");
        let x = setup(&s, "Refused", &spv).await;
        let (audit_before, _) = s.audit_entries(&AuditQuery { limit: 1000, ..Default::default() }).await.expect("audit");

        // A claim before its prerequisite, not asked to be skipped: the third event.
        let mut early = submit(&x, "MH1", &x.sustain, date(2020, 6, 1));
        if let OcEvent::Claim { skip_if_refused, .. } = &mut early {
            *skip_if_refused = false;
        }
        let e = s.bulk_oc_events(&a, &x.id, vec![join("MH1", "1970-05", "1400"), join("MH2", "1980-01", "700"), early], TODAY).await;
        match e {
            Err(StoreError::Invalid(f)) => {
                assert_eq!(f.field, "outcomes events row 3: outcome_id");
                assert!(f.message.contains("'Before its prerequisite'"), "{}", f.message);
            }
            other => panic!("expected the third event refused, got {other:?}"),
        }
        // A decision on an event that submitted no claim.
        let e = s.bulk_oc_events(&a, &x.id, vec![join("MH1", "1970-05", "1400"), decide(0, true, "", TODAY)], TODAY).await;
        assert!(matches!(&e, Err(StoreError::NotFound(m)) if m.contains("event 1")), "{e:?}");
        // A person who is too old, not asked to be skipped.
        let too_old = OcEvent::Join { draft: person("MH3", "1950-01", "1000"), skip_if_refused: false };
        let e = s.bulk_oc_events(&a, &x.id, vec![too_old], TODAY).await;
        assert!(matches!(&e, Err(StoreError::Invalid(f)) if f.field == "outcomes events row 1: born"), "{e:?}");

        // A batch that goes on after a refused event writes nothing either.
        let mut bulk = s.begin_oc_bulk(&x.id, TODAY).await.expect("begin");
        bulk.apply(join("MH1", "1970-05", "1400")).expect("join");
        bulk.apply(decide(0, true, "", TODAY)).expect_err("not a claim");
        bulk.apply(join("MH2", "1980-01", "700")).expect_err("after a refused event");
        assert!(matches!(s.finish_oc_bulk(&a, bulk).await, Err(StoreError::Conflict(_))));

        // The contract changed by someone else while the batch was prepared: refused.
        let mut bulk = s.begin_oc_bulk(&x.id, TODAY).await.expect("begin");
        bulk.apply(join("MH1", "1970-05", "1400")).expect("join");
        s.add_oc_member(&a, &x.id, &person("MH9", "1975-02", "900"), TODAY).await.expect("someone else's");
        let e = s.finish_oc_bulk(&a, bulk).await;
        assert!(matches!(&e, Err(StoreError::Conflict(m)) if m.contains("changed while the batch was prepared")), "{e:?}");

        // Nothing of any batch written: only the other officer's person, and their audit entry.
        let b = s.oc_contract(&x.id).await.expect("book");
        let people: Vec<&str> = b.facts.members.iter().map(|m| m.case_ref.as_str()).collect();
        assert_eq!(people, ["MH9"]);
        assert!(b.claims.is_empty());
        let (audit, _) = s.audit_entries(&AuditQuery { limit: 1000, ..Default::default() }).await.expect("audit");
        assert_eq!(audit.len(), audit_before.len() + 1);
        assert!(audit.iter().all(|e| !e.summary.contains("bulk load")));
    }
}
