//! Outcomes-based contracts (issue 13 items 4-7): a contract set up with its parties and
//! outcomes, the cohort kept by case reference with its eligibility rule, claims refused by the
//! rule that refuses them (at submission and again at verification), verified claims split
//! between the Life Chances Fund and the council by share and end date, savings and held
//! payments worked out here from the records, and every change audited. Run on every backend
//! available (SQLite always; PostgreSQL with CAREMARKET_TEST_POSTGRES_URL).

use caremarket_core::outcomes::{
    ClaimDraft, ClaimStatus, ContractDraft, LeaveReason, MemberDraft, OutcomeDraft, OutcomeKind, PartyDraft, PartyRole, Placement,
};
use caremarket_core::versions::Version;
use caremarket_store::{Actor, AuditQuery, StoreError};
use jiff::civil::{Date, date};

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

fn claim(case_ref: &str, outcome: &str, on: Date) -> ClaimDraft {
    ClaimDraft {
        case_ref: case_ref.into(),
        outcome_id: outcome.into(),
        achieved_on: Some(on),
        evidence: "Tenancy agreement ref T-1".into(),
    }
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

        let lcf = PartyDraft {
            role: Some(PartyRole::CoFunder),
            name: "Life Chances Fund".into(),
            share: "25".into(),
            commitment: "750000".into(),
            ends_on: Some(date(2025, 3, 31)),
            ..Default::default()
        };
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

        let outcome = |name: &str, kind, tariff: &str, pre: &str, months: &str| OutcomeDraft {
            name: name.into(),
            kind: Some(kind),
            tariff: tariff.into(),
            evidence: "Tenancy agreement".into(),
            prerequisite_id: pre.into(),
            after_months: months.into(),
        };
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
