//! RAG status, escalation, officer assignment and the cadence due list on both backends:
//! history and current status, the "5 homes Amber and 3 Red" count with its drill-down, each of
//! the six default cadence rules of `000`/`004`, and rule edits changing the result.

use caremarket_core::access::Role;
use caremarket_core::quality::cadence::{DueState, add_days};
use caremarket_core::quality::{EscalationLevel, Rag};
use caremarket_core::register::{ContractStatus, Rating, ServiceKind};
use caremarket_store::quality::cadence::{DueFilter, RuleInput};
use caremarket_store::register::{NewService, RatingRecord};
use caremarket_store::restrictions::NewRestriction;
use caremarket_store::users::NewUser;
use caremarket_store::{Actor, Store, StoreError};
use jiff::civil::Date;

fn actor() -> Actor {
    Actor::system("test")
}

fn svc(provider_id: &str, name: &str, kind: ServiceKind, contract: ContractStatus) -> NewService {
    NewService {
        beds: if kind.is_care_home() { Some(30) } else { None },
        contract_status: contract,
        ..caremarket_testkit::service(provider_id, name, kind)
    }
}

fn today() -> Date {
    caremarket_store::today()
}

fn ago(n: i64) -> Date {
    add_days(today(), -n)
}

async fn rated(s: &Store, id: &str) {
    s.add_rating(&actor(), id, &RatingRecord { overall: Some(Rating::Good), report_date: Some(ago(500)), ..Default::default() }, "test")
        .await
        .expect("rating");
}

async fn visit(s: &Store, service_id: &str, activity: &str, on: Date) {
    sqlx::query(
        "INSERT INTO quality_visits (id, service_id, activity, visit_type, announced, visit_date, officers, recorded_by, created_at, updated_at)
         VALUES ($1, $2, $3, 'routine', 1, $4, 'Test Officer', 'test', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(service_id)
    .bind(activity)
    .bind(on.to_string())
    .execute(s.pool())
    .await
    .expect("visit");
}

/// The field a refusal names first (core's checks name every field at once).
fn field_of(e: StoreError) -> String {
    match e {
        StoreError::Invalid(fe) => fe.field,
        StoreError::InvalidFields(mut fes) if !fes.is_empty() => fes.0.remove(0).field,
        other => panic!("expected a field error, got {other}"),
    }
}

#[tokio::test]
async fn rag_and_escalation_keep_history_and_refuse_bad_input() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = actor();
        let p = s.create_provider(&a, None, "Homes Ltd", None, None).await.expect("provider");
        let home = s
            .create_service(&a, &svc(&p, "Oak House", ServiceKind::CareHomeResidential, ContractStatus::BlockContract))
            .await
            .expect("home");

        let st = s.quality_status(&home).await.expect("status");
        assert_eq!((st.rag, st.escalation), (None, EscalationLevel::None), "no row is Not assessed");

        s.set_rag(&a, &home, Rag::Green, "Good visit", ago(100)).await.expect("green");
        s.set_rag(&a, &home, Rag::Amber, "Medication errors found", ago(20)).await.expect("amber");
        // The same RAG again with a new reason is a new history row.
        s.set_rag(&a, &home, Rag::Amber, "Still open actions", ago(10)).await.expect("amber again");
        // A RAG set "as at" an earlier date goes into history without becoming current.
        s.set_rag(&a, &home, Rag::Red, "Backdated record of an old concern", ago(200)).await.expect("backdated");
        let h = s.rag_history(&home).await.expect("history");
        assert_eq!(h.iter().map(|e| e.rag).collect::<Vec<_>>(), vec![Rag::Amber, Rag::Amber, Rag::Green, Rag::Red]);
        let st = s.quality_status(&home).await.expect("status");
        assert_eq!(st.rag, Some(Rag::Amber));
        assert_eq!(st.rag_reason.as_deref(), Some("Still open actions"));
        assert_eq!(st.rag_set_on, Some(ago(10).to_string()));
        assert_eq!(s.current_rag_by_service().await.expect("map").get(&home), Some(&Rag::Amber));

        // Refusals name the field: reason required, no future dates; unknown service not found.
        assert_eq!(field_of(s.set_rag(&a, &home, Rag::Red, "  ", today()).await.unwrap_err()), "reason");
        assert_eq!(field_of(s.set_rag(&a, &home, Rag::Red, "Future", add_days(today(), 1)).await.unwrap_err()), "on");
        assert!(matches!(s.set_rag(&a, "nope", Rag::Red, "x", today()).await, Err(StoreError::NotFound(_))));
        assert_eq!(field_of(s.set_escalation(&a, &home, EscalationLevel::RiskManagement, "", today()).await.unwrap_err()), "reason");
        assert_eq!(s.rag_history(&home).await.expect("history").len(), 4, "refused changes write nothing");

        s.set_escalation(&a, &home, EscalationLevel::EnhancedMonitoring, "Amber for two months", ago(60)).await.expect("em");
        s.set_escalation(&a, &home, EscalationLevel::RiskManagement, "Safeguarding concerns", ago(30)).await.expect("rm");
        let st = s.quality_status(&home).await.expect("status");
        assert_eq!(st.escalation, EscalationLevel::RiskManagement);
        assert_eq!(st.escalated_since, Some(ago(60).to_string()), "escalated since the first step up");
        assert_eq!(s.escalation_history(&home).await.expect("h").len(), 2);

        // Restrictions: current ones in the status, past ones in the service's list.
        s.record_restriction(
            &a,
            &NewRestriction {
                service_id: home.clone(),
                kind: "embargo".into(),
                scope: None,
                reason: "Risk management".into(),
                starts_on: ago(30),
                ends_on: None,
            },
        )
        .await
        .expect("embargo");
        let old = s
            .record_restriction(
                &a,
                &NewRestriction {
                    service_id: home.clone(),
                    kind: "restriction".into(),
                    scope: Some("No nursing".into()),
                    reason: "Old".into(),
                    starts_on: ago(300),
                    ends_on: Some(ago(200)),
                },
            )
            .await
            .expect("old");
        let st = s.quality_status(&home).await.expect("status");
        assert_eq!(st.restrictions.len(), 1);
        assert_eq!(st.restrictions[0].kind, "embargo");
        let all = s.restrictions_for_service(&home).await.expect("all");
        assert_eq!(all.len(), 2);
        assert!(all.iter().any(|r| r.id == old));

        // Every change is audited.
        let (entries, _) = s
            .audit_entries(&caremarket_store::AuditQuery { entity_type: Some("quality_rag".into()), limit: 50, ..Default::default() })
            .await
            .expect("audit");
        assert_eq!(entries.len(), 4);
        assert!(entries.iter().any(|e| e.after_json.as_deref().is_some_and(|j| j.contains("Still open actions"))));
        let (entries, _) = s
            .audit_entries(&caremarket_store::AuditQuery {
                entity_type: Some("quality_escalation".into()),
                limit: 50,
                ..Default::default()
            })
            .await
            .expect("audit");
        assert_eq!(entries.len(), 2);
    }
}

#[tokio::test]
async fn rag_counts_give_five_amber_and_three_red_with_drill_down() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = actor();
        let p = s.create_provider(&a, None, "Homes Ltd", None, None).await.expect("provider");
        let mut homes = Vec::new();
        for i in 0..12 {
            let kind = if i % 2 == 0 { ServiceKind::CareHomeResidential } else { ServiceKind::CareHomeNursing };
            homes.push(s.create_service(&a, &svc(&p, &format!("Home {i:02}"), kind, ContractStatus::BlockContract)).await.expect("home"));
        }
        let hc = s.create_service(&a, &svc(&p, "Home care Red", ServiceKind::HomeCare, ContractStatus::BlockContract)).await.expect("hc");
        s.set_rag(&a, &hc, Rag::Red, "Missed calls", ago(5)).await.expect("hc red");
        for (i, h) in homes.iter().enumerate() {
            let rag = match i {
                0..=4 => Rag::Amber,
                5..=7 => Rag::Red,
                8 | 9 => Rag::Green,
                _ => continue,
            };
            // Each was Green before, to check that only the current RAG counts.
            s.set_rag(&a, h, Rag::Green, "Earlier", ago(300)).await.expect("green");
            s.set_rag(&a, h, rag, "Current", ago(3)).await.expect("rag");
        }
        let homes_kinds = [ServiceKind::CareHomeResidential, ServiceKind::CareHomeNursing];
        assert_eq!(s.rag_counts(&homes_kinds).await.expect("counts"), (2, 5, 3, 2));
        assert_eq!(s.rag_counts(&[]).await.expect("counts"), (2, 5, 4, 2), "all kinds include the home care service");
        let amber = s.services_by_rag(Some(Rag::Amber), &homes_kinds).await.expect("amber");
        assert_eq!(amber.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(), vec!["Home 00", "Home 01", "Home 02", "Home 03", "Home 04"]);
        let red = s.services_by_rag(Some(Rag::Red), &[ServiceKind::CareHomeNursing]).await.expect("red");
        assert_eq!(red.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(), vec!["Home 05", "Home 07"]);
        let none = s.services_by_rag(None, &homes_kinds).await.expect("not assessed");
        assert_eq!(none.len(), 2);
    }
}

/// A quality officer's account, "Quinn".
async fn quinn(s: &Store, a: &Actor) -> String {
    let u = NewUser {
        email: "q@x.test",
        display_name: "Quinn",
        password: "long-password-123",
        role: Role::QualityOfficer,
        provider_id: None,
        must_change_password: false,
    };
    s.create_user(a, u).await.expect("quality officer").id
}

#[tokio::test]
async fn assignments_need_a_quality_officer() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = actor();
        let p = s.create_provider(&a, None, "Homes Ltd", None, None).await.expect("provider");
        let h1 =
            s.create_service(&a, &svc(&p, "A home", ServiceKind::CareHomeResidential, ContractStatus::BlockContract)).await.expect("h1");
        let h2 = s.create_service(&a, &svc(&p, "B home", ServiceKind::CareHomeNursing, ContractStatus::BlockContract)).await.expect("h2");
        let hc = s.create_service(&a, &svc(&p, "C care", ServiceKind::HomeCare, ContractStatus::BlockContract)).await.expect("hc");
        let qo = quinn(&s, &a).await;
        let viewer = s
            .create_user(
                &a,
                NewUser {
                    email: "v@x.test",
                    display_name: "Vic",
                    password: "long-password-123",
                    role: Role::Viewer,
                    provider_id: None,
                    must_change_password: false,
                },
            )
            .await
            .expect("viewer")
            .id;
        assert_eq!(field_of(s.assign_quality_officer(&a, &h1, Some(&viewer), None).await.unwrap_err()), "officer_id");
        s.assign_quality_officer(&a, &h1, Some(&qo), Some("Care homes quality")).await.expect("assign");
        let asg = s.quality_assignment(&h1).await.expect("a").expect("some");
        assert_eq!((asg.officer_name.as_deref(), asg.team.as_deref()), (Some("Quinn"), Some("Care homes quality")));
        // Every care home without an officer: only h2 (h1 already has one, hc is not a care home).
        let n = s
            .assign_unassigned(&a, &[ServiceKind::CareHomeResidential, ServiceKind::CareHomeNursing], None, &qo, Some("Care homes quality"))
            .await
            .expect("bulk");
        assert_eq!(n, 1);
        let h2_now = s.quality_assignment(&h2).await.expect("a").expect("h2 assigned");
        assert_eq!((h2_now.officer_name.as_deref(), h2_now.team.as_deref()), (Some("Quinn"), Some("Care homes quality")));
        assert_eq!(s.quality_assignment_version(&h2).await.expect("v"), 2, "a form opened before the bulk assignment is refused");
        assert!(s.quality_assignment(&hc).await.expect("a").is_none());
        // Again: nothing left without an officer, nothing written.
        let again = s.assign_unassigned(&a, &[ServiceKind::CareHomeResidential], None, &qo, None).await.expect("again");
        assert_eq!(again, 0);
        // Clearing.
        s.assign_quality_officer(&a, &h1, None, None).await.expect("clear");
        assert!(s.quality_assignment(&h1).await.expect("a").is_none());
    }
}

#[tokio::test]
async fn due_list_follows_each_default_rule_and_rule_edits() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = actor();
        let p = s.create_provider(&a, None, "Care Ltd", None, None).await.expect("provider");
        let mk = |name: &'static str, kind, cs| svc(&p, name, kind, cs);
        let h400 = s.create_service(&a, &mk("Home 400", ServiceKind::CareHomeResidential, ContractStatus::BlockContract)).await.expect("s");
        let h300 = s.create_service(&a, &mk("Home 300", ServiceKind::CareHomeNursing, ContractStatus::SpotPurchase)).await.expect("s");
        let hrm = s.create_service(&a, &mk("Home RM", ServiceKind::CareHomeResidential, ContractStatus::BlockContract)).await.expect("s");
        let hc = s.create_service(&a, &mk("Home care main", ServiceKind::HomeCare, ContractStatus::BlockContract)).await.expect("s");
        let hc_spot = s.create_service(&a, &mk("Home care spot", ServiceKind::HomeCare, ContractStatus::SpotPurchase)).await.expect("s");
        let sl =
            s.create_service(&a, &mk("Supported living EM", ServiceKind::SupportedLiving, ContractStatus::BlockContract)).await.expect("s");
        let day = s.create_service(&a, &mk("Day centre", ServiceKind::DayServices, ContractStatus::BlockContract)).await.expect("s");
        let mut gone = mk("Closed home", ServiceKind::CareHomeResidential, ContractStatus::BlockContract);
        gone.registration_status = "deregistered".into();
        let gone = s.create_service(&a, &gone).await.expect("s");
        for id in [&h400, &h300, &hrm, &hc, &hc_spot, &sl, &gone] {
            rated(&s, id).await;
        }
        visit(&s, &h400, "quality_visit", ago(400)).await;
        visit(&s, &h300, "quality_visit", ago(300)).await;
        visit(&s, &hrm, "quality_visit", ago(100)).await;
        visit(&s, &hrm, "risk_management_meeting", ago(50)).await;
        visit(&s, &hc, "performance_meeting", ago(100)).await;
        visit(&s, &sl, "quality_visit", ago(200)).await;
        visit(&s, &hc_spot, "performance_meeting", ago(200)).await;
        s.set_escalation(&a, &hrm, EscalationLevel::RiskManagement, "RM", ago(150)).await.expect("rm");
        s.set_escalation(&a, &sl, EscalationLevel::EnhancedMonitoring, "EM", ago(100)).await.expect("em");

        let list = s.due_list(today(), &DueFilter::default()).await.expect("due");
        let find = |sid: &str, code: &str| list.iter().find(|d| d.service_id == sid && d.rule_code == code).cloned();

        let d = find(&h400, "annual_care_home").expect("h400");
        assert_eq!((d.state, d.days_overdue), (DueState::Overdue, 35), "care home visited 400 days ago is overdue");
        assert_eq!(d.last_activity, Some(ago(400).to_string()));
        let d = find(&h300, "annual_care_home").expect("h300");
        assert_eq!((d.state, d.days_until), (DueState::NotYetDue, 65), "care home visited 300 days ago is not due");

        let d = find(&hrm, "risk_management_meeting").expect("rm rule");
        assert_eq!((d.state, d.days_overdue), (DueState::Overdue, 8), "risk management home met 50 days ago, 42-day rule");
        // Escalation review every 14 weeks counts any activity: the meeting 50 days ago.
        let d = find(&hrm, "escalation_review").expect("esc rule");
        assert_eq!((d.state, d.days_until), (DueState::NotYetDue, 48));

        let d = find(&hc, "home_care_quarterly").expect("hc");
        assert_eq!((d.state, d.days_overdue), (DueState::Overdue, 9), "home care on the main contract, meeting 100 days ago");
        assert!(find(&hc_spot, "home_care_quarterly").is_none(), "spot purchase is not the main contract");

        // Supported living in enhanced monitoring since 100 days ago, last visit 200 days ago:
        // the review is counted from the escalation start, 98 days, so 2 days overdue.
        let d = find(&sl, "escalation_review").expect("sl esc");
        assert_eq!((d.state, d.days_overdue, d.counted_from.clone()), (DueState::Overdue, 2, Some(ago(100).to_string())));
        assert!(find(&sl, "annual_supported_living").is_some());
        assert!(find(&sl, "risk_management_meeting").is_none(), "risk management rule is for care homes in risk management");

        // Unrated regulated service: uninspected rule, never visited so due now.
        let new_home = s.create_service(&a, &mk("New home", ServiceKind::CareHomeNursing, ContractStatus::BlockContract)).await.expect("s");
        let list = s.due_list(today(), &DueFilter::default()).await.expect("due");
        let d = list.iter().find(|d| d.service_id == new_home && d.rule_code == "uninspected_visit").expect("uninspected");
        assert!(d.no_visit_on_record);
        assert_eq!(d.next_due, today().to_string());
        assert!(!list.iter().any(|d| d.service_id == day), "day services: no rule applies");
        assert!(!list.iter().any(|d| d.service_id == gone), "deregistered services are left out");
        assert!(list.iter().filter(|d| d.service_id == h400).all(|d| d.team.as_deref() == Some("Care homes quality")));

        // Filters: state and kind and officer.
        let overdue = s.due_list(today(), &DueFilter { state: Some(DueState::Overdue), ..Default::default() }).await.expect("due");
        assert!(overdue.iter().all(|d| d.state == DueState::Overdue));
        assert!(overdue.iter().any(|d| d.service_id == h400) && !overdue.iter().any(|d| d.service_id == h300));
        assert!(overdue.windows(2).all(|w| w[0].days_overdue >= w[1].days_overdue), "most overdue first");
        let qo = quinn(&s, &a).await;
        s.assign_quality_officer(&a, &h400, Some(&qo), Some("North team")).await.expect("assign");
        let mine = s.due_list(today(), &DueFilter { officer_id: Some(qo.clone()), ..Default::default() }).await.expect("mine");
        assert!(!mine.is_empty() && mine.iter().all(|d| d.service_id == h400));
        let north = s.due_list(today(), &DueFilter { team: Some("North team".into()), ..Default::default() }).await.expect("team");
        assert!(!north.is_empty() && north.iter().all(|d| d.service_id == h400));
        let none = s.due_list(today(), &DueFilter { officer_id: Some("none".into()), ..Default::default() }).await.expect("none");
        assert!(!none.iter().any(|d| d.service_id == h400));
        let hcs = s.due_list(today(), &DueFilter { kind: Some(ServiceKind::HomeCare), ..Default::default() }).await.expect("kind");
        assert!(hcs.iter().all(|d| d.kind == ServiceKind::HomeCare) && !hcs.is_empty());

        // Rule edits change the result: annual care home visits every 450 days instead.
        let rule = s.cadence_rules().await.expect("rules").into_iter().find(|r| r.code == "annual_care_home").expect("rule");
        let input = RuleInput {
            code: String::new(),
            name: rule.rule.name.clone(),
            applies_to: vec!["care_home_residential".into(), "care_home_nursing".into()],
            condition: "all".into(),
            activity: "quality_visit".into(),
            interval_days: 450,
            warn_days: 30,
            team: rule.team.clone(),
            active: true,
        };
        s.save_cadence_rule(&a, Some(&rule.id), &input).await.expect("edit");
        let list = s.due_list(today(), &DueFilter::default()).await.expect("due");
        let d = list.iter().find(|d| d.service_id == h400 && d.rule_code == "annual_care_home").expect("h400");
        assert_eq!((d.state, d.days_until), (DueState::NotYetDue, 50));
        // Deactivating a rule removes its rows.
        s.save_cadence_rule(&a, Some(&rule.id), &RuleInput { active: false, ..input.clone() }).await.expect("off");
        let list = s.due_list(today(), &DueFilter::default()).await.expect("due");
        assert!(!list.iter().any(|d| d.rule_code == "annual_care_home"));

        // Validation names the field.
        let bad = |f: fn(&mut RuleInput)| {
            let mut i = input.clone();
            f(&mut i);
            i
        };
        for (i, field) in [
            (bad(|i| i.interval_days = 0), "interval_days"),
            (bad(|i| i.warn_days = 450), "warn_days"),
            (bad(|i| i.applies_to = vec!["castle".into()]), "applies_to"),
            (bad(|i| i.condition = "sometimes".into()), "condition"),
            (bad(|i| i.activity = "tea_party".into()), "activity"),
        ] {
            assert_eq!(field_of(s.save_cadence_rule(&a, Some(&rule.id), &i).await.unwrap_err()), field);
        }
        // A new rule needs a fresh code.
        assert_eq!(
            field_of(s.save_cadence_rule(&a, None, &RuleInput { code: "annual_care_home".into(), ..input.clone() }).await.unwrap_err()),
            "code"
        );
        let id = s
            .save_cadence_rule(
                &a,
                None,
                &RuleInput {
                    code: "extra_care_annual".into(),
                    name: "Extra care yearly".into(),
                    applies_to: vec!["extra_care".into()],
                    ..input.clone()
                },
            )
            .await
            .expect("new rule");
        assert_eq!(s.cadence_rule(&id).await.expect("rule").rule.applies_to, vec![ServiceKind::ExtraCare]);
        let (entries, _) = s
            .audit_entries(&caremarket_store::AuditQuery { entity_type: Some("cadence_rule".into()), limit: 50, ..Default::default() })
            .await
            .expect("audit");
        assert_eq!(entries.len(), 3, "two edits and one new rule audited");
    }
}

#[tokio::test]
async fn status_decisions_are_audited_with_what_they_replace() {
    let s = caremarket_testkit::sqlite().await.expect("sqlite");
    let a = Actor::system("test");
    let p = s.create_provider(&a, None, "Audit Homes Ltd", None, None).await.expect("provider");
    let id =
        s.create_service(&a, &svc(&p, "Audit House", ServiceKind::CareHomeResidential, ContractStatus::SpotPurchase)).await.expect("home");
    let on = today();
    s.set_rag(&a, &id, Rag::Amber, "Falls", on).await.expect("amber");
    s.set_rag(&a, &id, Rag::Red, "Safeguarding", on).await.expect("red");
    s.set_escalation(&a, &id, EscalationLevel::RiskManagement, "Joint process", on).await.expect("escalation");
    let (entries, _) = s.audit_entries(&caremarket_store::AuditQuery { limit: 100, ..Default::default() }).await.expect("audit");
    let red = entries.iter().find(|e| e.entity_type == "quality_rag" && e.summary.contains("set to Red")).expect("red audited");
    let (before, after) = (red.before_json.as_deref().unwrap_or(""), red.after_json.as_deref().unwrap_or(""));
    assert!(
        before.contains("\"rag\":\"amber\"") && after.contains("\"rag\":\"red\"") && after.contains("Safeguarding"),
        "{before} {after}"
    );
    let esc = entries.iter().find(|e| e.entity_type == "quality_escalation").expect("escalation audited");
    assert!(esc.before_json.is_none() && esc.after_json.as_deref().unwrap_or("").contains("\"level\":\"risk_management\""));
}

/// A team for every service with nothing recorded, in one go: one with an officer or a team
/// keeps it; each service changed gets its own audit entry and a raised version.
#[tokio::test]
async fn a_team_is_given_to_every_service_with_nothing_recorded() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = actor();
        let p = s.create_provider(&a, None, "Community Ltd", None, None).await.expect("provider");
        let mk = |name: &'static str, kind| svc(&p, name, kind, ContractStatus::BlockContract);
        let hc1 = s.create_service(&a, &mk("Alder home care", ServiceKind::HomeCare)).await.expect("s");
        let hc2 = s.create_service(&a, &mk("Birch home care", ServiceKind::HomeCare)).await.expect("s");
        let sl1 = s.create_service(&a, &mk("Cedar supported living", ServiceKind::SupportedLiving)).await.expect("s");
        let sl2 = s.create_service(&a, &mk("Damson supported living", ServiceKind::SupportedLiving)).await.expect("s");
        let home = s.create_service(&a, &mk("Elm House", ServiceKind::CareHomeResidential)).await.expect("s");
        let qo = quinn(&s, &a).await;
        s.assign_quality_officer(&a, &hc2, Some(&qo), None).await.expect("officer");
        s.assign_quality_officer(&a, &sl2, None, Some("Learning disability team")).await.expect("team");
        let community = [ServiceKind::HomeCare, ServiceKind::SupportedLiving];

        let err = s.assign_team_where_none(&a, &community, None, "   ").await.expect_err("no team");
        assert!(matches!(&err, StoreError::Invalid(e) if e.field == "team"), "{err}");

        let n = s.assign_team_where_none(&a, &community, None, " Community quality ").await.expect("teams");
        assert_eq!(n, 2, "Alder and Cedar had nothing recorded");
        let seen = |x: Option<caremarket_store::quality::status::QualityAssignment>| x.map(|x| (x.officer_name, x.team));
        assert_eq!(seen(s.quality_assignment(&hc1).await.expect("a")), Some((None, Some("Community quality".to_string()))));
        assert_eq!(seen(s.quality_assignment(&sl1).await.expect("a")), Some((None, Some("Community quality".to_string()))));
        assert_eq!(seen(s.quality_assignment(&hc2).await.expect("a")), Some((Some("Quinn".to_string()), None)), "keeps its officer");
        assert_eq!(
            seen(s.quality_assignment(&sl2).await.expect("a")),
            Some((None, Some("Learning disability team".to_string()))),
            "keeps its team"
        );
        assert!(s.quality_assignment(&home).await.expect("a").is_none(), "not a kind asked for");
        assert_eq!(s.quality_assignment_version(&hc1).await.expect("v"), 2);
        assert_eq!(s.quality_assignment_version(&sl2).await.expect("v"), 2, "raised once, by its own form");

        let q = caremarket_store::AuditQuery { entity_type: Some("quality_assignment".into()), limit: 20, ..Default::default() };
        let (entries, total) = s.audit_entries(&q).await.expect("audit");
        assert_eq!(total, 4, "two by hand and one for each service given the team");
        for name in ["Alder home care", "Cedar supported living"] {
            let e = entries.iter().find(|e| e.summary == format!("Quality officer and team for {name}")).expect("entry");
            assert!(e.after_json.as_deref().is_some_and(|j| j.contains("Community quality")), "{e:?}");
        }
        assert_eq!(s.assign_team_where_none(&a, &community, None, "Community quality").await.expect("again"), 0);
    }
}
