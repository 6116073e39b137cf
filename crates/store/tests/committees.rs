//! Committees' work programmes and the self-assessment on both backends: `004`'s work programme
//! and forward plan, `001`'s options appraisal (option 2 neither preferred nor rejected) and
//! cover sheet, a paper found from the caremarket page it is; `004`'s evidence with its slips
//! (E20 cited as "D20", no E83) flagged; every change audited.

use caremarket_core::Date;
use caremarket_core::governance::committees::{CoverSheet, ItemFields, NewCommittee, NewItem, NewMeeting, NewOption, OptionOutcome};
use caremarket_core::governance::self_assessment::{NewClaim, NewEvidence, check};
use caremarket_store::{Actor, AuditQuery, StoreError};

fn d(y: i16, m: i8, dd: i8) -> Date {
    Date::new(y, m, dd).expect("a real date")
}

#[tokio::test]
async fn a_work_programme_with_its_items_papers_and_options_appraisal() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let actor = Actor::system("test");
        let c = s.create_committee(&actor, &NewCommittee::parse("Adult Social Care Scrutiny Commission", "").unwrap()).await.unwrap();
        let aug =
            s.add_meeting(&actor, &c, &NewMeeting::parse(Some(d(2023, 8, 24)), "5:30 pm", "Meeting Room G.01").unwrap()).await.unwrap();
        let nov = s.add_meeting(&actor, &c, &NewMeeting::parse(Some(d(2023, 11, 30)), "", "").unwrap()).await.unwrap();
        let meetings = [aug.as_str(), nov.as_str()];
        // `004`'s agenda of 24 August 2023 and two of its forward plan's topics.
        let agenda = ["Future of domiciliary care", "Quality of care provision", "Self-assessment of social care ahead of CQC inspection"];
        for title in agenda {
            let f =
                ItemFields { meeting_id: &aug, title, officer: "Strategic Director for Social Care and Education", ..Default::default() };
            s.add_committee_item(&actor, &c, &NewItem::parse(&f, Ok(CoverSheet::default()), &meetings).unwrap()).await.unwrap();
        }
        let forward = [("Carers", ""), ("Response to the Task Group on the cost of care packages", "5 October 2023")];
        for (title, proposed) in forward {
            let f = ItemFields { title, proposed, ..Default::default() };
            s.add_committee_item(&actor, &c, &NewItem::parse(&f, Ok(CoverSheet::default()), &meetings).unwrap()).await.unwrap();
        }
        // `001`'s paper: a cover sheet with EIA 2412, no exempt information, not a key decision,
        // and the quarterly report as its paper.
        let cover = CoverSheet::parse("yes", "2412", "no", "", "", "no", &[]);
        let f = ItemFields {
            meeting_id: &nov,
            title: "Personalisation and Direct Payments Update",
            officer: "Mary Gardner, Strategic Commissioning Manager",
            paper_title: "Market Oversight Report, quarter 2",
            paper_url: "/reports/quarterly?as_at=2023-09-30",
            ..Default::default()
        };
        let dp = s.add_committee_item(&actor, &c, &NewItem::parse(&f, cover, &meetings).unwrap()).await.unwrap();

        let wp = s.work_programme(&c).await.unwrap();
        let at: Vec<usize> = wp.meetings.iter().map(|(_, items)| items.len()).collect();
        assert_eq!(at, [agenda.len(), 1]);
        let fp: Vec<&str> = wp.forward_plan.iter().map(|i| i.title.as_str()).collect();
        assert_eq!(fp, ["Response to the Task Group on the cost of care packages", "Carers"], "dated proposals first");
        assert_eq!(wp.forward_plan[0].proposed.date, Some(d(2023, 10, 5)));
        let summary = s.committees(d(2023, 9, 1)).await.unwrap();
        assert_eq!((summary[0].meetings, summary[0].forward_plan, summary[0].next_meeting.as_deref()), (2, 2, Some("2023-11-30")));

        let item = s.committee_item(&dp).await.unwrap();
        assert_eq!((item.cover.eia_undertaken, item.cover.eia_reference.as_str(), item.cover.exempt), (Some(true), "2412", Some(false)));
        let papers = s.committee_items_for_paper("/reports/quarterly").await.unwrap();
        assert_eq!(papers.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), [dp.as_str()]);
        assert!(s.committee_items_for_paper("/reports").await.unwrap().is_empty());

        // `001` §1.7.3–1.7.6: five options, 1, 3 and 4 rejected, 2 neither, 5 preferred.
        let options = [
            ("Option 1: Do Nothing", "rejected", "Not legally compliant"),
            ("Option 2: Commission a third-party provider", "neither", ""),
            ("Option 3: Build a consortium of user led organisations", "rejected", "Not interested in developing this model"),
            ("Option 4: Provision within individual Direct Payment budgets", "rejected", "Challenging to forecast volume"),
            (
                "Option 5: Provide the Direct Payment Support Service as an in-house service offer",
                "preferred",
                "Meets all our requirements",
            ),
        ];
        for (o, outcome, reason) in options {
            s.add_appraisal_option(&actor, &dp, &NewOption::parse(o, outcome, reason, None).unwrap()).await.unwrap();
        }
        let second = NewOption::parse("Option 6", "preferred", "", None).unwrap();
        assert!(matches!(s.add_appraisal_option(&actor, &dp, &second).await, Err(StoreError::Invalid(e)) if e.field == "outcome"));
        let item = s.committee_item(&dp).await.unwrap();
        let outcomes: Vec<OptionOutcome> = item.options.iter().map(|o| o.outcome).collect();
        let want: Vec<OptionOutcome> = options.iter().map(|(_, o, _)| OptionOutcome::parse(o).unwrap()).collect();
        assert_eq!(outcomes, want);
        assert_eq!(item.options[1].outcome, OptionOutcome::Neither);

        // An item cannot be put at another committee's meeting.
        let other = s.create_committee(&actor, &NewCommittee::parse("Cabinet", "").unwrap()).await.unwrap();
        let f = ItemFields { meeting_id: &aug, title: "Promoting Independence", ..Default::default() };
        let stray = NewItem::parse(&f, Ok(CoverSheet::default()), &meetings).unwrap();
        assert!(matches!(s.add_committee_item(&actor, &other, &stray).await, Err(StoreError::Invalid(e)) if e.field == "meeting_id"));

        let audited = s.audit_entries(&AuditQuery { entity_type: Some("appraisal_option".into()), ..Default::default() }).await.unwrap().1;
        assert_eq!(audited, options.len() as i64);
        let audited = s.audit_entries(&AuditQuery { entity_type: Some("committee_item".into()), ..Default::default() }).await.unwrap().1;
        assert_eq!(audited, (agenda.len() + forward.len() + 1) as i64);
    }
}

#[tokio::test]
async fn the_evidence_library_flags_what_004_gets_wrong() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let actor = Actor::system("test");
        let today = d(2023, 3, 31);
        let id = s.create_self_assessment(&actor, "Our self-assessment March 2023", today).await.unwrap();
        let a = s.self_assessment(&id).await.unwrap();
        // The framework file: 9 quality statements under 4 themes.
        assert_eq!(a.statements.len(), 9);
        let themes: std::collections::BTreeSet<i64> = a.statements.iter().map(|s| s.statement.theme_number).collect();
        assert_eq!(themes.len(), 4);
        assert_eq!(a.statements[3].statement.title, "Care provision, integration and continuity");

        // A library of E1..E22 without E20's citation and no E83.
        for n in 1..=22 {
            let e = NewEvidence::parse(&format!("E{n}"), &format!("Evidence {n}"), "Head of Service", Some(today), "", today).unwrap();
            s.add_evidence(&actor, &id, &e).await.unwrap();
        }
        let dup = NewEvidence::parse("e7", "Again", "", None, "", today).unwrap();
        assert!(matches!(s.add_evidence(&actor, &id, &dup).await, Err(StoreError::Invalid(e)) if e.field == "reference"));

        let claims = [
            (0, "strength", "Person-centred, strengths-based assessment (E9) (E15)", "E22"),
            (0, "area_for_improvement", "Some people wait too long for assessments", "E15"),
            (4, "strength", "ISOC ... good ASC discharge performance (D20)", "E16, E17, E18, E19"),
            (7, "strength", "Risk management refreshed", "E83"),
            (1, "area_for_improvement", "A co-produced approach to prevention", ""),
        ];
        for (st, kind, text, cites) in claims {
            s.add_claim(&actor, &a.statements[st].id, &NewClaim::parse(kind, text, cites).unwrap()).await.unwrap();
        }
        let a = s.self_assessment(&id).await.unwrap();
        assert_eq!(a.claims.len(), claims.len());
        assert_eq!(a.claims[0].citations, ["E22", "E9", "E15"]);
        let got = check(&a.statement_numbers(), &a.claims, &a.evidence);
        let missing: Vec<&str> = got.missing.iter().map(|m| m.reference.as_str()).collect();
        assert_eq!(missing, ["D20", "E83"]);
        // Cited: E9, E15, E16..E19, E22 = 7 of 22 held.
        assert_eq!(got.cited_nowhere.len(), 22 - 7);
        assert!(got.cited_nowhere.contains(&"E20".to_string()));
        assert_eq!(got.cited_by["E15"], 2);
        assert_eq!(got.statements_without_evidence, [2, 3, 4, 6, 7, 8, 9]);

        // Correcting D20 to E20 clears two flags at once.
        let claim = a.claims.iter().find(|c| c.citations.contains(&"D20".to_string())).unwrap();
        let fixed = NewClaim::parse("strength", "ISOC ... good ASC discharge performance (E20)", "E16, E17, E18, E19").unwrap();
        s.update_claim(&actor, &id, &claim.id, &fixed, caremarket_core::versions::Version::FIRST).await.unwrap();
        // A second save made from the version the first was made from is refused, citations kept.
        let again = NewClaim::parse("strength", "ISOC ... (D20)", "").unwrap();
        let stale = s.update_claim(&actor, &id, &claim.id, &again, caremarket_core::versions::Version::FIRST).await.unwrap_err();
        assert!(matches!(stale, StoreError::Stale { current: 2 }), "{stale:?}");
        let a = s.self_assessment(&id).await.unwrap();
        let got = check(&a.statement_numbers(), &a.claims, &a.evidence);
        assert_eq!(got.missing.len(), 1);
        assert!(!got.cited_nowhere.contains(&"E20".to_string()));

        let audited = s.audit_entries(&AuditQuery { entity_type: Some("assessment_claim".into()), ..Default::default() }).await.unwrap().1;
        assert_eq!(audited, claims.len() as i64 + 1);
        let audited =
            s.audit_entries(&AuditQuery { entity_type: Some("assessment_evidence".into()), ..Default::default() }).await.unwrap().1;
        assert_eq!(audited, 22);
    }
}
