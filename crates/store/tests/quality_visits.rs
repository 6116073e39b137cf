//! Quality visits and action plans on both backends: starter frameworks load once; visits are
//! refused with future dates or no officers; scoring refuses judgements off the scale and
//! standards of other frameworks, naming the standard; finalising needs an owner and due date for
//! every Requires Improvement or Poor standard, raises exactly those actions once, and freezes the
//! scores; providers record progress on their own actions only; officers accept and reopen, with
//! history; every change is audited.

use caremarket_core::quality::visits::{StandardInput as Input, standard_field};
use caremarket_core::quality::{ActionStatus, Activity, Judgement, VisitType};
use caremarket_core::register::ServiceKind;
use caremarket_store::quality::actions::{ActionFilter, NewAction};
use caremarket_store::quality::frameworks::{NewFramework, StandardInput};
use caremarket_store::quality::visits::{ActionDraft, NewVisit, ScoreInput, VisitFilter};
use caremarket_store::register::NewService;
use caremarket_store::{Actor, AuditQuery, Store, StoreError};
use jiff::civil::{Date, date};

fn officer() -> Actor {
    Actor::user("officer-1", "quality@test.gov.uk")
}

fn svc(provider_id: &str, name: &str, kind: ServiceKind) -> NewService {
    NewService { beds: Some(30), ..caremarket_testkit::service(provider_id, name, kind) }
}

struct Fx {
    provider: String,
    other_provider: String,
    home: String,
    home_care: String,
}

async fn fixture(s: &Store) -> Fx {
    let a = Actor::system("test");
    assert_eq!(s.qa_frameworks().await.expect("frameworks").len(), 6, "starter frameworks load with the quality tables");
    let provider = s.create_provider(&a, None, "Oak Care Ltd", None, None).await.expect("provider");
    let other_provider = s.create_provider(&a, None, "Elm Care Ltd", None, None).await.expect("provider");
    let home = s.create_service(&a, &svc(&provider, "Oak House", ServiceKind::CareHomeResidential)).await.expect("home");
    let home_care = s.create_service(&a, &svc(&other_provider, "Elm Home Care", ServiceKind::HomeCare)).await.expect("hc");
    Fx { provider, other_provider, home, home_care }
}

fn new_visit(service_id: &str, framework_id: Option<String>, d: Date) -> NewVisit {
    NewVisit {
        service_id: service_id.into(),
        activity: Activity::QualityVisit,
        visit_type: VisitType::Routine,
        announced: true,
        visit_date: d,
        officers: "J Smith, A Khan".into(),
        people_spoken_to: 4,
        relatives_spoken_to: 2,
        staff_spoken_to: 3,
        framework_id,
        outcomes_framework_id: None,
        feedback_given_on_day: true,
    }
}

/// The field and message a refusal names first (core's checks name every field at once).
fn invalid_field(e: StoreError) -> (String, String) {
    match e {
        StoreError::Invalid(fe) => (fe.field, fe.message),
        StoreError::InvalidFields(mut fes) if !fes.is_empty() => {
            let fe = fes.0.remove(0);
            (fe.field, fe.message)
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
}

const TODAY: Date = date(2025, 6, 30);

#[tokio::test]
async fn starter_frameworks_load_once_and_apply_by_kind() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        // Loaded when the quality tables were created (three QAFs, PAMMS, CQC quality
        // statements, I statements); loading again adds nothing.
        assert_eq!(s.ensure_starter_frameworks().await.expect("again"), 0, "a second load adds nothing");
        let all = s.qa_frameworks().await.expect("list");
        assert_eq!(all.len(), 6);
        let cqc = s.qa_framework_by_code("cqc_saf").await.expect("cqc");
        assert_eq!(cqc.standards, 34);
        let codes: Vec<String> = s.qa_standards(&cqc.id, false).await.expect("std").iter().map(|x| x.code.clone()).collect();
        assert_eq!(codes.first().map(String::as_str), Some("S1"));
        assert_eq!(codes.last().map(String::as_str), Some("W8"));
        let pamms = s.qa_framework_by_code("pamms").await.expect("pamms");
        assert_eq!((pamms.standards, pamms.inferred), (16, 6));
        let p11 = s.qa_standards(&pamms.id, false).await.expect("std").into_iter().find(|x| x.code == "P11").expect("P11");
        assert!(p11.inferred());
        let mir = s.qa_framework_by_code("mir_i_statements").await.expect("mir");
        assert_eq!((mir.purpose.as_str(), mir.standards), ("outcomes", 6));

        let for_home: Vec<String> =
            s.qa_frameworks_for_kind(ServiceKind::CareHomeNursing, "standards").await.expect("k").iter().map(|f| f.code.clone()).collect();
        assert!(for_home.contains(&"qaf_care_homes".to_string()) && for_home.contains(&"pamms".to_string()));
        assert!(!for_home.contains(&"qaf_home_care".to_string()) && !for_home.contains(&"qaf_supported_living".to_string()));
        let outcomes = s.qa_frameworks_for_kind(ServiceKind::HomeCare, "outcomes").await.expect("o");
        assert_eq!(outcomes.len(), 1);

        // One audit row per framework loaded, as the system.
        let audit = s
            .audit_entries(&AuditQuery { entity_type: Some("qa_framework".into()), limit: 1000, ..Default::default() })
            .await
            .expect("audit")
            .0;
        assert_eq!(audit.len(), 6);
    }
}

#[tokio::test]
async fn standards_are_edited_and_deactivated_never_deleted() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let _fx = fixture(&s).await;
        let qaf = s.qa_framework_by_code("qaf_care_homes").await.expect("qaf");
        let input = StandardInput {
            domain: "Environment".into(),
            code: "QE01".into(),
            title: "The home is clean and well kept".into(),
            guidance: None,
            provenance: "confirmed".into(),
        };
        let id = s.add_standard(&officer(), &qaf.id, &input).await.expect("add");
        let dup = s.add_standard(&officer(), &qaf.id, &input).await.expect_err("duplicate code");
        assert_eq!(invalid_field(dup).0, "code");
        let no_title =
            s.add_standard(&officer(), &qaf.id, &StandardInput { title: " ".into(), code: "QE02".into(), ..input.clone() }).await;
        assert_eq!(invalid_field(no_title.expect_err("title")).0, "title");
        s.update_standard(
            &officer(),
            &id,
            &StandardInput { provenance: "inferred".into(), ..input.clone() },
            caremarket_core::versions::Version::FIRST,
        )
        .await
        .expect("edit");
        assert!(s.qa_standard(&id).await.expect("std").inferred());
        s.set_standard_active(&officer(), &id, false).await.expect("deactivate");
        assert!(!s.qa_standards(&qaf.id, false).await.expect("active").iter().any(|x| x.id == id));
        assert!(s.qa_standards(&qaf.id, true).await.expect("all").iter().any(|x| x.id == id && !x.active));
        let audit = s
            .audit_entries(&AuditQuery { entity_type: Some("qa_standard".into()), limit: 1000, ..Default::default() })
            .await
            .expect("audit")
            .0;
        assert_eq!(audit.len(), 3, "added, edited, deactivated");
    }
}

#[tokio::test]
async fn visits_are_checked_before_they_are_recorded() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let fx = fixture(&s).await;
        let qaf = s.qa_framework_by_code("qaf_care_homes").await.expect("qaf");
        let future = s.create_visit(&officer(), &new_visit(&fx.home, Some(qaf.id.clone()), date(2025, 7, 1)), TODAY).await;
        assert_eq!(invalid_field(future.expect_err("future")).0, "visit_date");
        let mut v = new_visit(&fx.home, Some(qaf.id.clone()), TODAY);
        v.officers = "  ".into();
        assert_eq!(invalid_field(s.create_visit(&officer(), &v, TODAY).await.expect_err("officers")).0, "officers");
        let mut v = new_visit(&fx.home, Some(qaf.id.clone()), TODAY);
        v.staff_spoken_to = -1;
        assert_eq!(invalid_field(s.create_visit(&officer(), &v, TODAY).await.expect_err("count")).0, "staff_spoken_to");
        // The home care QAF is not for a care home.
        let hc = s.qa_framework_by_code("qaf_home_care").await.expect("hc");
        let wrong = s.create_visit(&officer(), &new_visit(&fx.home, Some(hc.id), TODAY), TODAY).await;
        assert_eq!(invalid_field(wrong.expect_err("kind")).0, "framework_id");
        // The I statements are outcomes, not a standards framework.
        let mir = s.qa_framework_by_code("mir_i_statements").await.expect("mir");
        let wrong = s.create_visit(&officer(), &new_visit(&fx.home, Some(mir.id), TODAY), TODAY).await;
        assert_eq!(invalid_field(wrong.expect_err("purpose")).0, "framework_id");

        let id = s.create_visit(&officer(), &new_visit(&fx.home, Some(qaf.id.clone()), date(2025, 3, 4)), TODAY).await.expect("visit");
        let mut meeting = new_visit(&fx.home_care, None, date(2025, 2, 1));
        meeting.activity = Activity::PerformanceMeeting;
        meeting.visit_type = VisitType::Responsive;
        s.create_visit(&officer(), &meeting, TODAY).await.expect("meeting");
        let v = s.visit(&id).await.expect("read");
        assert_eq!((v.status.as_str(), v.visit_date.as_str(), v.people_spoken_to), ("draft", "2025-03-04", 4));
        assert_eq!(v.framework_name.as_deref(), Some(qaf.name.as_str()));

        let (n, care_home_visits) = s
            .visits(&VisitFilter {
                from: Some(date(2025, 1, 1)),
                to: Some(date(2025, 10, 31)),
                activities: vec![Activity::QualityVisit],
                kinds: vec![ServiceKind::CareHomeResidential, ServiceKind::CareHomeNursing],
                ..Default::default()
            })
            .await
            .expect("filter");
        assert_eq!((n, care_home_visits.len()), (1, 1));
        let (n, _) = s.visits(&VisitFilter { visit_type: Some(VisitType::Responsive), ..Default::default() }).await.expect("type");
        assert_eq!(n, 1);
        let (n, _) = s.visits(&VisitFilter { from: Some(date(2025, 3, 5)), ..Default::default() }).await.expect("from");
        assert_eq!(n, 0);
    }
}

#[tokio::test]
async fn scoring_finalising_and_the_action_plan() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let fx = fixture(&s).await;
        let qaf = s.qa_framework_by_code("qaf_care_homes").await.expect("qaf");
        let mir = s.qa_framework_by_code("mir_i_statements").await.expect("mir");
        let standards = s.qa_standards(&qaf.id, false).await.expect("standards");
        let outcomes = s.qa_standards(&mir.id, false).await.expect("outcomes");
        let mut nv = new_visit(&fx.home, Some(qaf.id.clone()), date(2025, 5, 10));
        nv.outcomes_framework_id = Some(mir.id.clone());
        let visit = s.create_visit(&officer(), &nv, TODAY).await.expect("visit");

        // Off the scale: refused, naming the standard.
        let bad = s
            .score_visit(
                &officer(),
                &visit,
                &[ScoreInput { standard_id: standards[1].id.clone(), judgement: "Outstanding".into(), evidence: None }],
                None,
                caremarket_core::versions::Version::FIRST,
            )
            .await
            .expect_err("off scale");
        let (field, message) = invalid_field(bad);
        assert_eq!(field, standard_field(&standards[1].id, Input::Judgement));
        assert!(message.contains(&standards[1].code), "{message}");
        // A standard of another framework: refused.
        let pamms = s.qa_framework_by_code("pamms").await.expect("pamms");
        let other = s.qa_standards(&pamms.id, false).await.expect("p")[0].id.clone();
        let bad = s
            .score_visit(
                &officer(),
                &visit,
                &[ScoreInput { standard_id: other, judgement: "good".into(), evidence: None }],
                None,
                caremarket_core::versions::Version::FIRST,
            )
            .await;
        assert!(invalid_field(bad.expect_err("other framework")).1.contains("not in the framework"));

        let scores = vec![
            ScoreInput { standard_id: standards[0].id.clone(), judgement: "good".into(), evidence: Some("Plans reviewed monthly".into()) },
            ScoreInput {
                standard_id: standards[1].id.clone(),
                judgement: "Requires Improvement".into(),
                evidence: Some("Falls risk assessments out of date".into()),
            },
            ScoreInput { standard_id: standards[2].id.clone(), judgement: "poor".into(), evidence: Some("MAR gaps".into()) },
            ScoreInput { standard_id: standards[3].id.clone(), judgement: "not_assessed".into(), evidence: None },
            ScoreInput { standard_id: outcomes[0].id.clone(), judgement: "excellent".into(), evidence: None },
            ScoreInput {
                standard_id: outcomes[5].id.clone(),
                judgement: "requires_improvement".into(),
                evidence: Some("Agency staff unfamiliar".into()),
            },
        ];
        s.score_visit(&officer(), &visit, &scores, None, caremarket_core::versions::Version::FIRST).await.expect("score");
        let saved = s.visit_scores(&visit).await.expect("scores");
        assert_eq!(saved.len(), 5, "not assessed is not stored");
        assert_eq!(saved.iter().filter(|x| x.judgement.raises_action()).count(), 3);
        assert_eq!(s.visit(&visit).await.expect("v").ri_or_poor, 3);

        // No report yet.
        let e = s.finalise_visit(&officer(), &visit, &[]).await.expect_err("report");
        assert_eq!(invalid_field(e).0, "report");
        s.score_visit(
            &officer(),
            &visit,
            &scores,
            Some("Medicines and risk assessments need work."),
            caremarket_core::versions::Version::new(2).expect("v2"),
        )
        .await
        .expect("report");

        let drafts = |owner_for_poor: &str| {
            vec![
                ActionDraft {
                    standard_id: standards[1].id.clone(),
                    title: "Review falls risk assessments".into(),
                    owner: "Registered manager".into(),
                    due_on: Some(date(2025, 6, 10)),
                },
                ActionDraft {
                    standard_id: standards[2].id.clone(),
                    title: String::new(),
                    owner: owner_for_poor.into(),
                    due_on: Some(date(2025, 5, 24)),
                },
                ActionDraft {
                    standard_id: outcomes[5].id.clone(),
                    title: "Induct agency staff".into(),
                    owner: "Deputy manager".into(),
                    due_on: Some(date(2025, 7, 1)),
                },
            ]
        };
        // Poor without an owner: refused, naming the standard, and nothing raised.
        let e = s.finalise_visit(&officer(), &visit, &drafts(" ")).await.expect_err("owner");
        let (field, message) = invalid_field(e);
        assert_eq!(field, standard_field(&standards[2].id, Input::Owner));
        assert!(message.contains(&standards[2].code), "{message}");
        assert!(s.actions_for_service(&fx.home).await.expect("none").is_empty());
        // Due before the visit: refused.
        let mut early = drafts("Manager");
        early[0].due_on = Some(date(2025, 5, 1));
        assert_eq!(
            invalid_field(s.finalise_visit(&officer(), &visit, &early).await.expect_err("due")).0,
            standard_field(&standards[1].id, Input::DueOn)
        );

        assert_eq!(s.finalise_visit(&officer(), &visit, &drafts("Registered manager")).await.expect("finalise"), 3);
        assert_eq!(s.finalise_visit(&officer(), &visit, &drafts("Registered manager")).await.expect("again"), 0, "idempotent");
        let plan = s.actions_for_service(&fx.home).await.expect("plan");
        assert_eq!(plan.len(), 3);
        let poor = plan.iter().find(|a| a.judgement == Some(Judgement::Poor)).expect("poor action");
        assert_eq!(poor.title, format!("{} {}", standards[2].code, standards[2].title), "a blank title takes the standard's");
        assert_eq!(poor.detail.as_deref(), Some("MAR gaps"));
        assert_eq!(plan[0].due_on, "2025-05-24", "soonest due first");
        assert!(plan.iter().all(|a| a.status == ActionStatus::Open && a.visit_date.as_deref() == Some("2025-05-10")));
        // Finalised: cannot be rescored or edited.
        assert!(matches!(
            s.score_visit(&officer(), &visit, &scores, Some("x"), caremarket_core::versions::Version::new(3).expect("v3")).await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            s.update_visit(&officer(), &visit, &nv, TODAY, caremarket_core::versions::Version::FIRST).await,
            Err(StoreError::Conflict(_))
        ));

        // Overdue on 2025-06-01: only the one due 2025-05-24.
        let overdue = s.open_overdue_actions(date(2025, 6, 1)).await.expect("overdue");
        assert_eq!(overdue.len(), 1);
        assert!(overdue[0].is_overdue(date(2025, 6, 1)) && !overdue[0].is_overdue(date(2025, 5, 24)));

        // The provider records progress; another provider cannot.
        let a = &plan[0].id;
        let provider_actor = Actor::user("p-1", "manager@oak.test");
        let e = s
            .provider_update_action(
                &provider_actor,
                &fx.other_provider,
                a,
                "Done",
                None,
                ActionStatus::Submitted,
                caremarket_core::versions::Version::new(1).expect("version"),
            )
            .await;
        assert!(matches!(e, Err(StoreError::NotFound(_))), "another provider's action is not found");
        let e = s
            .provider_update_action(
                &provider_actor,
                &fx.provider,
                a,
                "  ",
                None,
                ActionStatus::InProgress,
                caremarket_core::versions::Version::new(1).expect("version"),
            )
            .await;
        assert_eq!(invalid_field(e.expect_err("note")).0, "note");
        let e = s
            .provider_update_action(
                &provider_actor,
                &fx.provider,
                a,
                "Done",
                None,
                ActionStatus::Accepted,
                caremarket_core::versions::Version::new(1).expect("version"),
            )
            .await;
        assert_eq!(invalid_field(e.expect_err("status")).0, "status");
        s.provider_update_action(
            &provider_actor,
            &fx.provider,
            a,
            "MAR audit weekly",
            None,
            ActionStatus::InProgress,
            caremarket_core::versions::Version::new(1).expect("version"),
        )
        .await
        .expect("progress");
        s.provider_update_action(
            &provider_actor,
            &fx.provider,
            a,
            "Audits clean for 3 weeks",
            Some("Audit sheets in the office file"),
            ActionStatus::Submitted,
            caremarket_core::versions::Version::new(2).expect("version"),
        )
        .await
        .expect("submit");
        assert_eq!(s.actions(&ActionFilter { state: Some("submitted".into()), ..Default::default() }).await.expect("sub").len(), 1);
        // The officer reopens (reason required), the provider resubmits, the officer accepts.
        assert_eq!(
            invalid_field(
                s.reopen_action(&officer(), a, "", caremarket_core::versions::Version::new(3).expect("version")).await.expect_err("reason")
            )
            .0,
            "reason"
        );
        s.reopen_action(&officer(), a, "Week 2 audit missing a signature", caremarket_core::versions::Version::new(3).expect("version"))
            .await
            .expect("reopen");
        s.provider_update_action(
            &provider_actor,
            &fx.provider,
            a,
            "Signed",
            None,
            ActionStatus::Submitted,
            caremarket_core::versions::Version::new(4).expect("version"),
        )
        .await
        .expect("resubmit");
        s.accept_action(
            &officer(),
            a,
            "Evidence seen on visit",
            date(2025, 6, 20),
            caremarket_core::versions::Version::new(5).expect("version"),
        )
        .await
        .expect("accept");
        let done = s.action(a).await.expect("action");
        assert_eq!((done.status, done.accepted_on.as_deref()), (ActionStatus::Accepted, Some("2025-06-20")));
        assert!(!done.is_overdue(date(2025, 7, 1)), "accepted actions are never overdue");
        let e = s
            .provider_update_action(
                &provider_actor,
                &fx.provider,
                a,
                "More",
                None,
                ActionStatus::InProgress,
                caremarket_core::versions::Version::new(6).expect("version"),
            )
            .await;
        assert!(invalid_field(e.expect_err("closed")).1.contains("closed"));
        let history: Vec<(String, ActionStatus)> =
            s.action_updates(a).await.expect("history").into_iter().map(|u| (u.author_kind, u.status_after)).collect();
        assert_eq!(
            history,
            vec![
                ("provider".into(), ActionStatus::InProgress),
                ("provider".into(), ActionStatus::Submitted),
                ("officer".into(), ActionStatus::Reopened),
                ("provider".into(), ActionStatus::Submitted),
                ("officer".into(), ActionStatus::Accepted),
            ]
        );
        assert_eq!(s.actions(&ActionFilter { state: Some("open".into()), ..Default::default() }).await.expect("open").len(), 2);
        assert_eq!(s.actions_for_provider(&fx.provider).await.expect("p").len(), 3);
        assert!(s.actions_for_provider(&fx.other_provider).await.expect("o").is_empty());

        // Officer note and a hand-added action (owner and due date required).
        // The internal note has a version of its own, apart from the status's.
        s.set_action_officer_note(&officer(), a, "Manager leaving in August", caremarket_core::versions::Version::FIRST)
            .await
            .expect("note");
        assert_eq!(s.action(a).await.expect("a").officer_note.as_deref(), Some("Manager leaving in August"));
        let mut na = NewAction {
            service_id: fx.home_care.clone(),
            title: "Reduce late calls".into(),
            detail: None,
            owner: String::new(),
            due_on: Some(date(2025, 8, 1)),
        };
        assert_eq!(invalid_field(s.create_action(&officer(), &na).await.expect_err("owner")).0, "owner");
        na.owner = "Branch manager".into();
        na.due_on = None;
        assert_eq!(invalid_field(s.create_action(&officer(), &na).await.expect_err("due")).0, "due_on");
        na.due_on = Some(date(2025, 8, 1));
        s.create_action(&officer(), &na).await.expect("hand-added");
        assert_eq!(s.actions_for_provider(&fx.other_provider).await.expect("o").len(), 1);

        // Audited: visit created, scored twice, finalised; 4 actions created; 5 transitions + note.
        let visits = s
            .audit_entries(&AuditQuery { entity_type: Some("quality_visit".into()), limit: 1000, ..Default::default() })
            .await
            .expect("audit")
            .0;
        assert_eq!(visits.len(), 4);
        let actions = s
            .audit_entries(&AuditQuery { entity_type: Some("quality_action".into()), limit: 1000, ..Default::default() })
            .await
            .expect("audit")
            .0;
        assert_eq!(actions.len(), 4 + 5 + 1);
        assert!(actions.iter().any(|e| e.before_json.as_deref().is_some_and(|b| b.contains("submitted"))));
    }
}

#[tokio::test]
async fn a_framework_from_rows_is_all_or_nothing_with_numbered_rows() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let row = |d: &str, c: &str, t: &str| StandardInput {
            domain: d.into(),
            code: c.into(),
            title: t.into(),
            guidance: None,
            provenance: String::new(),
        };
        let new = NewFramework {
            code: "qaf_day_services".into(),
            name: "Day services QAF".into(),
            purpose: "standards".into(),
            applies_to: vec![ServiceKind::DayServices],
            source: "Council QAF 2025".into(),
        };
        let rows = vec![row("Quality of life", "D1", "Daily enjoyment"), row("Safety", "D2", ""), row("Safety", "D3", "Safe transport")];
        let e = s.create_qa_framework(&officer(), &new, &rows).await.expect_err("row 3 has no title");
        let (field, message) = invalid_field(e);
        assert_eq!((field.as_str(), message.as_str()), ("file", "Row 3: Enter the standard's title"));
        let dup = vec![row("A", "D1", "One"), row("A", "D1", "Two")];
        assert!(invalid_field(s.create_qa_framework(&officer(), &new, &dup).await.expect_err("dup")).1.starts_with("Row 3: code D1"));
        assert_eq!(s.qa_frameworks().await.expect("none").len(), 6, "nothing written beyond the starter frameworks");
        let good = vec![row("Quality of life", "D1", "Daily enjoyment"), row("Safety", "D2", "Safe premises")];
        let id = s.create_qa_framework(&officer(), &new, &good).await.expect("create");
        let f = s.qa_framework(&id).await.expect("f");
        assert_eq!((f.standards, f.applies_to.clone()), (2, vec!["day_services".to_string()]));
        assert!(f.applies_to_kind(ServiceKind::DayServices) && !f.applies_to_kind(ServiceKind::HomeCare));
        assert_eq!(invalid_field(s.create_qa_framework(&officer(), &new, &good).await.expect_err("code taken")).0, "code");
    }
}

/// Visits in bulk (the demo, issue 18 item 5): the rows create_visit, score_visit and
/// finalise_visit_on leave, refused whole naming the row, one audit entry for the batch.
#[tokio::test]
async fn bulk_visits_are_what_create_score_and_finalise_write() {
    use caremarket_store::bulk::NewRecordedVisit;
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let fx = fixture(&s).await;
        let qaf = s.qa_framework_by_code("qaf_care_homes").await.expect("qaf");
        let mir = s.qa_framework_by_code("mir_i_statements").await.expect("mir");
        let standards = s.qa_standards(&qaf.id, false).await.expect("standards");
        let outcomes = s.qa_standards(&mir.id, false).await.expect("outcomes");
        let score =
            |id: &str, j: &str, e: Option<&str>| ScoreInput { standard_id: id.into(), judgement: j.into(), evidence: e.map(Into::into) };
        let scores = vec![
            score(&standards[0].id, "good", Some("Plans reviewed monthly")),
            score(&standards[1].id, "requires_improvement", Some("Falls risk assessments out of date")),
            score(&standards[2].id, "poor", Some("MAR gaps")),
            score(&standards[3].id, "not_assessed", None),
            score(&outcomes[5].id, "requires_improvement", Some("Agency staff unfamiliar")),
        ];
        let raising: Vec<&str> = vec![&standards[1].id, &standards[2].id, &outcomes[5].id];
        let drafts: Vec<ActionDraft> = raising
            .iter()
            .enumerate()
            .map(|(i, id)| ActionDraft {
                standard_id: (*id).into(),
                title: format!("Action {i}"),
                owner: "Registered manager".into(),
                due_on: Some(date(2025, 7, 1 + i as i8)),
            })
            .collect();
        let mut full = new_visit(&fx.home, Some(qaf.id.clone()), date(2025, 5, 10));
        full.outcomes_framework_id = Some(mir.id.clone());
        let mut meeting = new_visit(&fx.home_care, None, date(2025, 6, 2));
        meeting.activity = Activity::PerformanceMeeting;
        let batch = vec![
            NewRecordedVisit {
                visit: full.clone(),
                scores: scores.clone(),
                report: Some("  Medicines and risk assessments need work. ".into()),
                finalised: Some((date(2025, 5, 12), drafts.clone())),
            },
            NewRecordedVisit {
                visit: new_visit(&fx.home, Some(qaf.id.clone()), date(2025, 6, 20)),
                scores: vec![score(&standards[0].id, "excellent", None)],
                report: None,
                finalised: None,
            },
            NewRecordedVisit {
                visit: meeting,
                scores: vec![],
                report: Some("Quarterly meeting.".into()),
                finalised: Some((date(2025, 6, 4), vec![])),
            },
        ];

        let mut bad = batch.clone();
        bad[1].scores = vec![score(&outcomes[0].id, "good", None)];
        let err = s.bulk_record_visits(&officer(), &bad, TODAY).await.expect_err("outcome standard on a visit without outcomes");
        let (field, message) = invalid_field(err);
        assert!(field.starts_with("visits row 2: "), "{field}");
        assert!(message.contains("not in the framework"), "{message}");
        assert_eq!(s.visits(&VisitFilter::default()).await.expect("visits").0, 0, "nothing written by a refused batch");

        let bulk = s.bulk_record_visits(&officer(), &batch, TODAY).await.expect("bulk");
        // The same visits the ordinary way.
        let mut one = Vec::new();
        for b in &batch {
            let id = s.create_visit(&officer(), &b.visit, TODAY).await.expect("create");
            s.score_visit(&officer(), &id, &b.scores, b.report.as_deref(), caremarket_core::versions::Version::FIRST).await.expect("score");
            if let Some((on, drafts)) = &b.finalised {
                s.finalise_visit_on(&officer(), &id, drafts, *on).await.expect("finalise");
            }
            one.push(id);
        }
        let written = |id: String| {
            let s = &s;
            async move {
                let v = s.visit(&id).await.expect("visit");
                let scores: Vec<(String, Judgement, Option<String>)> =
                    s.visit_scores(&id).await.expect("scores").into_iter().map(|x| (x.code, x.judgement, x.evidence)).collect();
                let report = s.visit_report(&id).await.expect("report").map(|r| (r.sent_on, r.check_ends_on, r.overall));
                let f = ActionFilter { service_id: Some(v.service_id.clone()), ..Default::default() };
                let actions: Vec<_> = s
                    .actions(&f)
                    .await
                    .expect("actions")
                    .into_iter()
                    .filter(|a| a.visit_id.as_deref() == Some(id.as_str()))
                    .map(|a| (a.standard_code, a.judgement, a.title, a.detail, a.owner, a.due_on, a.status))
                    .collect();
                (v.status, v.version, v.report, v.officers, scores, report, actions)
            }
        };
        for (b, o) in bulk.iter().zip(&one) {
            assert_eq!(written(b.clone()).await, written(o.clone()).await, "bulk and ordinary rows differ");
        }
        let (status, version, report, _, saved, sent, actions) = written(bulk[0].clone()).await;
        assert_eq!((status, version), (caremarket_core::quality::VisitStatus::Final, 2));
        assert_eq!(report.as_deref(), Some("Medicines and risk assessments need work."));
        assert_eq!(saved.len(), scores.len() - 1, "not assessed is not stored");
        assert_eq!(sent.map(|r| r.0), Some("2025-05-12".to_string()), "sent to the provider on the day it was finalised");
        assert_eq!(actions.len(), raising.len(), "one action for each Requires improvement or Poor standard");
        assert!(actions.iter().all(|a| a.6 == ActionStatus::Open && a.4 == "Registered manager"));
        let (status, _, _, _, _, sent, actions) = written(bulk[1].clone()).await;
        assert_eq!(status, caremarket_core::quality::VisitStatus::Draft);
        assert!(sent.is_none() && actions.is_empty());
        let (status, _, _, _, _, sent, _) = written(bulk[2].clone()).await;
        assert_eq!(status, caremarket_core::quality::VisitStatus::Final);
        assert!(sent.is_none(), "only a quality visit's report goes to the provider for a check");

        let q = AuditQuery { entity_type: Some("quality_visit".into()), limit: 50, ..Default::default() };
        let (entries, _) = s.audit_entries(&q).await.expect("audit");
        let bulk_entries: Vec<&str> = entries.iter().map(|e| e.summary.as_str()).filter(|m| m.contains("bulk load")).collect();
        assert_eq!(
            bulk_entries,
            vec!["3 visits generated for 2 services, with 5 judgements, 1 draft report sent and 3 actions raised (bulk load)"]
        );
    }
}
