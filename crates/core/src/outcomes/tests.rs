use super::*;
use jiff::civil::date;
use proptest::prelude::*;

fn contract(cap: Option<i64>) -> Contract {
    ContractDraft {
        name: "Promoting Independence".into(),
        starts_on: Some(date(2018, 11, 1)),
        ends_on: Some(date(2027, 10, 31)),
        envelope: "3000000".into(),
        cap: cap.map(|c| (c / 100).to_string()).unwrap_or_default(),
        baseline: "173".into(),
        forecast_low: "105".into(),
        forecast_high: "120".into(),
        forecast_by: Some(date(2024, 3, 31)),
        expected_saving_low: "3000000".into(),
        expected_saving_high: "3700000".into(),
        eligibility: "Mental health need, in 24/7 residential or nursing care at the start; age out at 65".into(),
        age_out: String::new(),
    }
    .check()
    .expect("the 003 contract")
}

fn party(id: &str, role: PartyRole, share_bp: i64, commitment: Option<i64>, ends_on: Option<Date>) -> Party {
    Party { id: id.into(), role, name: id.into(), provider_id: None, share_bp, commitment_pence: commitment, ends_on }
}

fn outcome(id: &str, kind: OutcomeKind, tariff: i64, pre: Option<&str>, months: i64) -> Outcome {
    Outcome {
        id: id.into(),
        name: id.into(),
        kind,
        tariff_pence: tariff,
        evidence: "evidence".into(),
        prerequisite_id: pre.map(str::to_string),
        after_months: months,
    }
}

fn member(id: &str, born: (i16, i8), entered: Date, weekly: i64) -> Member {
    Member {
        id: id.into(),
        case_ref: format!("MH{id}"),
        born: BirthMonth { year: born.0, month: born.1 },
        entered_on: entered,
        placement: Placement::Residential,
        weekly_cost_pence: weekly,
        left_on: None,
        leave_reason: None,
    }
}

fn claim(id: &str, member: &str, outcome: &str, on: Date, status: ClaimStatus) -> Claim {
    Claim {
        id: id.into(),
        member_id: member.into(),
        outcome_id: outcome.into(),
        achieved_on: on,
        evidence: "tenancy agreement".into(),
        status,
        decided_on: None,
        decided_at: None,
        reason: None,
    }
}

#[test]
fn the_003_contract_sets_up_and_bad_input_names_its_field() {
    let c = contract(None);
    assert_eq!((c.baseline, c.forecast_low, c.forecast_high, c.age_out), (173, 105, 120, 65));
    assert_eq!(c.envelope_pence, 300_000_000);
    assert_eq!(c.cap_pence, None, "an envelope, not a hard cap, unless the contract sets one");
    let bad = ContractDraft { forecast_high: "200".into(), envelope: "-5".into(), ..ContractDraft::default() }.check();
    let fields: Vec<String> = bad.expect_err("bad").0.into_iter().map(|e| e.field).collect();
    assert!(fields.contains(&"envelope".to_string()));
    assert!(fields.contains(&"name".to_string()));
}

#[test]
fn shares_over_100_percent_and_negative_tariffs_are_refused() {
    let lcf = party("lcf", PartyRole::CoFunder, 2_500, Some(75_000_000), Some(date(2025, 3, 31)));
    let d = PartyDraft { role: Some(PartyRole::CoFunder), name: "Another fund".into(), share: "80".into(), ..Default::default() };
    let e = d.check(std::slice::from_ref(&lcf)).expect_err("over 100%");
    assert_eq!(e.0[0].field, "share");
    assert!(e.0[0].message.contains("Shares over 100%"), "{}", e.0[0].message);
    assert!(e.0[0].message.contains("105%"));
    let ok = PartyDraft { share: "75".into(), ..d.clone() }.check(std::slice::from_ref(&lcf)).expect("75% more is 100%");
    assert_eq!(ok.share_bp, 7_500);
    let e = OutcomeDraft {
        name: "Move".into(),
        kind: Some(OutcomeKind::Move),
        tariff: "-100".into(),
        evidence: "x".into(),
        ..Default::default()
    }
    .check(&[])
    .expect_err("negative");
    assert_eq!(e.0[0].field, "tariff");
    assert!(e.0[0].message.contains("negative"));
    let e = PartyDraft { role: Some(PartyRole::Spv), name: "SPV".into(), ..Default::default() }.check(&[]).expect_err("no provider");
    assert_eq!(e.0[0].field, "provider_id");
}

#[test]
fn eligibility_and_age_out() {
    let c = contract(None);
    let today = date(2025, 6, 1);
    let ok = MemberDraft {
        case_ref: "mh101".into(),
        born: "1970-05".into(),
        entered_on: Some(date(2018, 11, 1)),
        placement: Some(Placement::Nursing),
        weekly_cost: "1250.00".into(),
        mental_health_need: true,
    };
    let m = ok.check(&c, &[], today).expect("eligible");
    assert_eq!(m.case_ref, "MH101");
    // Born May 1970: 65 in May 2035, after the contract; the person ages out then.
    assert_eq!(m.left(65), Some((date(2035, 5, 1), LeaveReason::AgedOut)));
    let old = MemberDraft { born: "1953-01".into(), ..ok.clone() }.check(&c, &[], today).expect_err("65 on joining");
    assert_eq!(old.0[0].field, "born");
    let e = MemberDraft { mental_health_need: false, placement: None, ..ok.clone() }.check(&c, &[], today).expect_err("not eligible");
    let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["placement", "mental_health_need"]);
    let e = MemberDraft { case_ref: "Jane Smith".into(), ..ok.clone() }.check(&c, &[], today).expect_err("a name");
    assert_eq!(e.0[0].field, "case_ref");
    let e = MemberDraft { entered_on: Some(date(2025, 6, 2)), ..ok.clone() }.check(&c, &[], today).expect_err("future");
    assert_eq!(e.0[0].field, "entered_on");
    let e = ok.check(&c, std::slice::from_ref(&m), today).expect_err("twice");
    assert_eq!(e.0[0].field, "case_ref");
}

#[test]
fn claims_are_refused_by_the_rule_that_refuses_them() {
    let c = contract(Some(1_000_000));
    let today = date(2025, 6, 1);
    let outcomes = [
        outcome("move", OutcomeKind::Move, 600_000, None, 0),
        outcome("sustain12", OutcomeKind::Sustain, 300_000, Some("move"), 12),
        outcome("course", OutcomeKind::Education, 200_000, None, 0),
    ];
    // Born March 1958: aged out on 1 March 2023.
    let mut members = vec![member("1", (1970, 5), date(2018, 11, 1), 140_000), member("2", (1958, 3), date(2018, 11, 1), 120_000)];
    members[0].left_on = None;
    let mut claims = vec![claim("a", "1", "move", date(2020, 1, 10), ClaimStatus::Verified)];
    let facts = |claims: &[Claim], members: &[Member]| -> Vec<Option<Rule>> {
        let f = ClaimFacts { contract: &c, outcomes: &outcomes, members, claims };
        [
            (&members[0], &outcomes[0], date(2021, 1, 1)),
            (&members[0], &outcomes[1], date(2020, 6, 1)),
            (&members[0], &outcomes[1], date(2021, 1, 10)),
            (&members[1], &outcomes[2], date(2023, 3, 1)),
            (&members[1], &outcomes[1], date(2022, 1, 1)),
        ]
        .into_iter()
        .map(|(m, o, on)| check_rules(f, m, o, on, None).err().map(|r| r.rule))
        .collect()
    };
    assert_eq!(
        facts(&claims, &members),
        [Some(Rule::AlreadyPaid), Some(Rule::BeforePrerequisite), None, Some(Rule::AfterLeft), Some(Rule::BeforePrerequisite)]
    );
    // With £8,000 verified (the move and the course), a £3,000 sustain tariff is over the £10,000 cap.
    claims.push(claim("b", "2", "course", date(2020, 1, 1), ClaimStatus::Verified));
    let f = ClaimFacts { contract: &c, outcomes: &outcomes, members: &members, claims: &claims };
    let r = check_rules(f, &members[0], &outcomes[1], date(2021, 1, 10), None).expect_err("cap");
    assert_eq!(r.rule, Rule::BeyondCap);
    assert!(r.text().starts_with("Refused by the rule 'Beyond the contract's cap'"), "{}", r.text());
    // Through the draft: the refusal is against the outcome, the rule named; bad input names fields.
    let draft = ClaimDraft { case_ref: "mh1".into(), outcome_id: "move".into(), achieved_on: Some(date(2021, 1, 1)), evidence: "x".into() };
    let e = draft.check(f, today).expect_err("paid");
    assert_eq!(e.0[0].field, "outcome_id");
    assert!(e.0[0].message.contains("'Already paid'"));
    let e = ClaimDraft { evidence: " ".into(), achieved_on: Some(date(2025, 6, 2)), ..draft.clone() }.check(f, today).expect_err("input");
    let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["achieved_on", "evidence"]);
}

#[test]
fn decisions_need_a_reason_to_reject() {
    let c = claim("a", "1", "move", date(2020, 1, 1), ClaimStatus::Pending);
    assert_eq!(check_decision(&c, Some(false), " ").expect_err("reason").0[0].field, "reason");
    assert_eq!(check_decision(&c, None, "").expect_err("choice").0[0].field, "decision");
    assert_eq!(check_decision(&c, Some(true), ""), Ok(None));
    let done = Claim { status: ClaimStatus::Verified, ..c };
    assert_eq!(check_decision(&done, Some(true), "").expect_err("decided").0[0].field, "decision");
}

#[test]
fn the_life_chances_fund_pays_its_share_until_its_end_date_and_commitment() {
    let lcf = party("lcf", PartyRole::CoFunder, 2_500, Some(75_000_000), Some(date(2025, 3, 31)));
    let parties = [party("scc", PartyRole::Council, 0, None, None), lcf];
    let none = BTreeMap::new();
    // A £6,000 move in 2023: the LCF pays 25% (£1,500), the council £4,500.
    let p = split(600_000, date(2023, 6, 1), &parties, "scc", &none);
    assert_eq!(p, [Part { party_id: "lcf".into(), pence: 150_000 }, Part { party_id: "scc".into(), pence: 450_000 }]);
    // After 2024/25 the LCF pays nothing.
    let p = split(600_000, date(2025, 4, 1), &parties, "scc", &none);
    assert_eq!(p, [Part { party_id: "scc".into(), pence: 600_000 }]);
    // With £749,000 of its £750,000 paid, it pays its last £1,000.
    let nearly: BTreeMap<String, i64> = [("lcf".to_string(), 74_900_000)].into();
    let p = split(600_000, date(2023, 6, 1), &parties, "scc", &nearly);
    assert_eq!(p[0].pence, 100_000);
    assert_eq!(p[1].pence, 500_000);
}

#[test]
fn savings_are_the_placement_cost_for_the_days_out_and_payments_wait_for_them() {
    // £1,400 a week (£200 a day), moved out on 1 April 2020.
    let m = member("1", (1970, 5), date(2018, 11, 1), 140_000);
    assert_eq!(avoided_pence(&m, date(2020, 4, 1), date(2020, 4, 7), 65), 140_000);
    assert_eq!(avoided_pence(&m, date(2020, 4, 1), date(2020, 3, 31), 65), 0);
    let mut left = m.clone();
    left.left_on = Some(date(2020, 4, 4));
    left.leave_reason = Some(LeaveReason::Died);
    assert_eq!(avoided_pence(&left, date(2020, 4, 1), date(2020, 6, 1), 65), 60_000, "three days out, then left");
    // A £1,000 payment verified on 1 April waits until £1,000 is saved: 5 days (£1,000 on 5 April).
    let saved = |d: Date| avoided_pence(&m, date(2020, 4, 1), d, 65);
    let due = [
        Due { claim_id: "a".into(), verified_on: date(2020, 4, 1), pence: 100_000 },
        Due { claim_id: "b".into(), verified_on: date(2020, 4, 2), pence: 100_000 },
        Due { claim_id: "c".into(), verified_on: date(2020, 4, 3), pence: 1_000_000 },
        Due { claim_id: "d".into(), verified_on: date(2020, 4, 3), pence: 1 },
    ];
    let r = release(&due, saved, date(2020, 4, 30));
    assert_eq!(r[0].paid_on, Some(date(2020, 4, 5)));
    assert_eq!(r[1].paid_on, Some(date(2020, 4, 10)));
    assert_eq!(r[2].paid_on, None, "£12,000 is more than the £6,000 saved by 30 April: held");
    assert_eq!(r[3].paid_on, None, "held behind the one before it");
    // By 30 June (91 days, £18,200) the large one is released on the day savings reach £12,000: day 60.
    let r = release(&due, saved, date(2020, 6, 30));
    assert_eq!(r[2].paid_on, Some(date(2020, 5, 30)));
    assert_eq!(r[3].paid_on, Some(date(2020, 5, 31)), "a penny more waits a day");
}

#[test]
fn quarters_and_counts() {
    assert_eq!(Quarter::of(date(2018, 11, 1)), Quarter { year: 2018, q: 3 });
    assert_eq!(Quarter::of(date(2019, 2, 1)).label(), "2018/19 Q4");
    assert_eq!(Quarter { year: 2018, q: 4 }.first_day(), date(2019, 1, 1));
    assert_eq!(Quarter { year: 2018, q: 4 }.last_day(), date(2019, 3, 31));
    assert_eq!(Quarter::parse("2019-Q2"), Some(Quarter { year: 2019, q: 2 }));
    assert_eq!(Quarter::range(date(2018, 11, 1), date(2019, 6, 30)).len(), 3);
    let members = [member("1", (1970, 5), date(2018, 11, 1), 1), member("2", (1958, 3), date(2018, 11, 1), 1)];
    let moves: BTreeMap<String, Date> = [("1".to_string(), date(2020, 1, 10))].into();
    assert_eq!(counts_on(&members, &moves, 65, date(2019, 1, 1)), (2, 2));
    assert_eq!(counts_on(&members, &moves, 65, date(2020, 2, 1)), (2, 1), "moving on is not leaving");
    assert_eq!(counts_on(&members, &moves, 65, date(2023, 3, 1)), (1, 0), "aged out at 65");
    assert_eq!(percent_text(2_500), "25%");
    assert_eq!(percent_text(1_250), "12.5%");
}

proptest! {
    #[test]
    fn a_payment_split_always_adds_up_to_the_tariff(
        tariff in 0i64..10_000_000,
        shares in proptest::collection::vec((0i64..=10_000, proptest::option::of(0i64..5_000_000), any::<bool>(), 0i64..5_000_000), 0..4),
    ) {
        let mut parties = vec![party("council", PartyRole::Council, 0, None, None)];
        let mut paid = BTreeMap::new();
        for (i, (bp, commitment, ended, so_far)) in shares.iter().enumerate() {
            let id = format!("f{i}");
            parties.push(party(&id, PartyRole::CoFunder, *bp, *commitment, Some(if *ended { date(2020, 1, 1) } else { date(2030, 1, 1) })));
            paid.insert(id, *so_far);
        }
        let parts = split(tariff, date(2024, 1, 1), &parties, "council", &paid);
        prop_assert_eq!(parts.iter().map(|p| p.pence).sum::<i64>(), tariff);
        prop_assert!(parts.iter().all(|p| p.pence >= 0));
        for p in parts.iter().filter(|p| p.party_id != "council") {
            let f = parties.iter().find(|x| x.id == p.party_id).expect("party");
            prop_assert!(f.ends_on.is_some_and(|e| e >= date(2024, 1, 1)), "an ended co-funder pays nothing");
            if let Some(c) = f.commitment_pence {
                prop_assert!(p.pence <= (c - paid[&f.id]).max(0));
            }
        }
    }

    #[test]
    fn payments_released_never_exceed_the_savings_realised(
        weekly in 1i64..500_000,
        amounts in proptest::collection::vec(1i64..2_000_000, 1..8),
        days in 0i64..800,
    ) {
        let m = member("1", (1970, 5), date(2018, 11, 1), weekly);
        let moved = date(2020, 4, 1);
        let saved = |d: Date| avoided_pence(&m, moved, d, 65);
        let due: Vec<Due> = amounts.iter().enumerate().map(|(i, a)| Due {
            claim_id: i.to_string(),
            verified_on: moved.checked_add(jiff::Span::new().days(i as i64 * 10)).expect("date"),
            pence: *a,
        }).collect();
        let as_at = moved.checked_add(jiff::Span::new().days(days)).expect("date");
        let r = release(&due, saved, as_at);
        let mut total = 0;
        let mut held = false;
        for x in &r {
            match x.paid_on {
                Some(on) => {
                    prop_assert!(!held, "released after one held");
                    total += x.pence;
                    prop_assert!(saved(on) >= total, "released before the savings covered it");
                    prop_assert!(on <= as_at);
                }
                None => held = true,
            }
        }
        prop_assert!(total <= saved(as_at));
        // Savings are the weekly cost for the days out, over 7.
        prop_assert_eq!(saved(as_at), (weekly as f64 * (days + 1) as f64 / 7.0).round() as i64);
    }
}
