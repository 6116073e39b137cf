//! The Market Oversight Report's quality figures (`000` "Accommodation with Care") computed from
//! records on both backends: "101 visits January to October 2024", "84% of care homes Good or
//! Outstanding against 81% nationally", "5 homes Amber and 3 Red", with what must not count
//! (meetings, other kinds of service, visits outside the period, superseded RAG decisions,
//! homes that have left CQC's register, restrictions that have ended).

use caremarket_core::quality::{ActionStatus, Activity, EscalationLevel, Rag, VisitType};
use caremarket_core::register::{Rating, ServiceKind};
use caremarket_store::quality::actions::{ActionFilter, NewAction};
use caremarket_store::quality::visits::NewVisit;
use caremarket_store::register::{NationalBenchmark, NewService, RatingRecord};
use caremarket_store::restrictions::NewRestriction;
use caremarket_store::{Actor, Store};
use jiff::civil::{Date, date};

fn actor() -> Actor {
    Actor::system("test")
}

fn svc(provider_id: &str, name: &str, kind: ServiceKind, status: &str) -> NewService {
    NewService { registration_status: status.into(), beds: Some(30), ..caremarket_testkit::service(provider_id, name, kind) }
}

async fn visit(s: &Store, service_id: &str, activity: Activity, on: Date, today: Date) {
    s.create_visit(
        &actor(),
        &NewVisit {
            service_id: service_id.into(),
            activity,
            visit_type: VisitType::Routine,
            announced: true,
            visit_date: on,
            officers: "A Officer".into(),
            people_spoken_to: 2,
            relatives_spoken_to: 0,
            staff_spoken_to: 1,
            framework_id: None,
            outcomes_framework_id: None,
            feedback_given_on_day: true,
        },
        today,
    )
    .await
    .expect("visit");
}

#[tokio::test]
async fn the_report_figures_come_from_records() {
    let today = date(2024, 11, 8);
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = actor();
        let p = s.create_provider(&a, None, "Homes Ltd", None, None).await.expect("provider");
        // 100 rated care homes (80 Good, 4 Outstanding, 14 Requires improvement, 2 Inadequate)
        // and 5 with no rating: 84% Good or Outstanding, the unrated left out of both sides.
        let mut homes = Vec::new();
        for i in 0..105 {
            let kind = if i % 3 == 0 { ServiceKind::CareHomeNursing } else { ServiceKind::CareHomeResidential };
            let id = s.create_service(&a, &svc(&p, &format!("Home {i:03}"), kind, "registered")).await.expect("home");
            let rating = match i {
                0..80 => Some(Rating::Good),
                80..84 => Some(Rating::Outstanding),
                84..98 => Some(Rating::RequiresImprovement),
                98..100 => Some(Rating::Inadequate),
                _ => None,
            };
            if let Some(r) = rating {
                s.add_rating(
                    &a,
                    &id,
                    &RatingRecord { overall: Some(r), report_date: Some(date(2023, 6, 1)), ..Default::default() },
                    "test",
                )
                .await
                .expect("rating");
            }
            homes.push(id);
        }
        let closed = s.create_service(&a, &svc(&p, "Closed Home", ServiceKind::CareHomeResidential, "deregistered")).await.expect("closed");
        let home_care = s.create_service(&a, &svc(&p, "Care At Home", ServiceKind::HomeCare, "registered")).await.expect("home care");
        s.set_national_benchmark(
            &a,
            &NationalBenchmark {
                kind: ServiceKind::CareHomeResidential,
                percent_good_or_outstanding: 81.0,
                rated_services: None,
                as_at: "2024-11-01".into(),
                source: "CQC, test".into(),
            },
        )
        .await
        .expect("benchmark");

        // 101 quality visits to 90 homes in January to October 2024...
        for i in 0..101 {
            let d = date(2024, (i % 10 + 1) as i8, (i % 28 + 1) as i8);
            visit(&s, &homes[i % 90], Activity::QualityVisit, d, today).await;
        }
        // ...and what does not count: a visit before and after the period, a risk management
        // meeting, and a visit to a home care service.
        visit(&s, &homes[0], Activity::QualityVisit, date(2023, 12, 31), today).await;
        visit(&s, &homes[0], Activity::QualityVisit, date(2024, 11, 1), today).await;
        visit(&s, &homes[1], Activity::RiskManagementMeeting, date(2024, 5, 1), today).await;
        visit(&s, &home_care, Activity::QualityVisit, date(2024, 5, 1), today).await;

        // 5 Amber and 3 Red at the end of October; one home was Red and is now Amber, one Amber
        // home turns Green after the date asked about, the closed home's Red does not count.
        for h in &homes[0..5] {
            s.set_rag(&a, h, Rag::Amber, "Medication errors", date(2024, 9, 1)).await.expect("amber");
        }
        for h in &homes[5..8] {
            s.set_rag(&a, h, Rag::Red, "Safeguarding enquiry", date(2024, 9, 1)).await.expect("red");
        }
        s.set_rag(&a, &homes[8], Rag::Red, "Staffing", date(2024, 3, 1)).await.expect("red earlier");
        s.set_rag(&a, &homes[8], Rag::Green, "Improved", date(2024, 6, 1)).await.expect("green later");
        s.set_rag(&a, &homes[9], Rag::Green, "Fine", date(2024, 2, 1)).await.expect("green");
        s.set_rag(&a, &closed, Rag::Red, "Closing", date(2024, 9, 1)).await.expect("closed red");
        s.set_escalation(&a, &homes[5], EscalationLevel::RiskManagement, "Joint process", date(2024, 9, 2)).await.expect("esc");
        s.set_escalation(&a, &homes[0], EscalationLevel::EnhancedMonitoring, "Watch", date(2024, 9, 2)).await.expect("esc");
        let restriction = |service: &str, kind: &str, ends: Option<Date>| NewRestriction {
            service_id: service.to_string(),
            kind: kind.into(),
            scope: (kind == "restriction").then(|| "No new nursing placements".to_string()),
            reason: "Quality concerns".into(),
            starts_on: date(2024, 9, 1),
            ends_on: ends,
        };
        s.record_restriction(&a, &restriction(&homes[5], "embargo", None)).await.expect("embargo");
        s.record_restriction(&a, &restriction(&homes[0], "restriction", None)).await.expect("restriction");
        s.record_restriction(&a, &restriction(&homes[1], "embargo", Some(date(2024, 10, 1)))).await.expect("ended");

        let f = s.quality_figures(date(2024, 10, 31), date(2024, 1, 1), date(2024, 10, 31)).await.expect("figures");
        assert_eq!(f.visits_sentence, "101 visits January to October 2024", "{}", s.backend().name());
        assert_eq!(f.care_homes_visited, 90);
        assert_eq!(f.care_homes, 105, "the closed home is not counted");
        assert_eq!(f.good_sentence.as_deref(), Some("84% of care homes Good or Outstanding against 81% nationally"));
        assert_eq!((f.care_homes_good, f.care_homes_rated), (84, 100));
        assert_eq!(f.rag_sentence, "5 homes Amber and 3 Red");
        assert_eq!((f.care_home_rag.green, f.care_home_rag.not_assessed), (2, 95));
        assert_eq!((f.enhanced_monitoring, f.risk_management), (1, 1));
        assert_eq!((f.embargoes, f.restrictions), (1, 1), "the ended embargo is not counted");

        // As at an earlier date the decisions made since do not count.
        let earlier = s.quality_figures(date(2024, 4, 1), date(2024, 1, 1), date(2024, 3, 31)).await.expect("earlier");
        assert_eq!(earlier.rag_sentence, "0 homes Amber and 1 Red");
        assert_eq!(earlier.visits_sentence, "31 visits January to March 2024");
    }
}

/// The dashboard counts open and overdue actions in SQL; the counts must be what core's rules
/// (`ActionStatus::is_open`, `ActionStatus::is_overdue`) say of the same records.
#[tokio::test]
async fn action_figures_agree_with_cores_rules_on_the_same_records() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = actor();
        let p = s.create_provider(&a, None, "Homes Ltd", None, None).await.expect("provider");
        let home = s.create_service(&a, &svc(&p, "Oak House", ServiceKind::CareHomeResidential, "registered")).await.expect("home");
        let mut ids = Vec::new();
        for (i, due) in [date(2024, 9, 1), date(2024, 10, 30), date(2024, 10, 31), date(2024, 12, 1), date(2024, 8, 1)].iter().enumerate() {
            let new = NewAction {
                service_id: home.clone(),
                title: format!("Action {i}"),
                detail: None,
                owner: "Registered manager".into(),
                due_on: Some(*due),
            };
            ids.push(s.create_action(&a, &new).await.expect("action"));
        }
        // One accepted (closed) and one submitted (still open).
        s.accept_action(&a, &ids[4], "Done", date(2024, 9, 1), caremarket_core::versions::Version::FIRST).await.expect("accept");
        s.provider_update_action(&a, &p, &ids[0], "Started", None, ActionStatus::Submitted, caremarket_core::versions::Version::FIRST)
            .await
            .expect("submit");

        let on = date(2024, 10, 31);
        let f = s.quality_figures(on, date(2024, 1, 1), on).await.expect("figures");
        let all = s.actions(&ActionFilter::default()).await.expect("actions");
        let open = all.iter().filter(|x| x.status.is_open()).count() as i64;
        let overdue = all.iter().filter(|x| x.is_overdue(on)).count() as i64;
        assert_eq!((f.open_actions, f.overdue_actions), (open, overdue), "{}", s.backend().name());
        assert_eq!((open, overdue), (4, 2), "the records as set up");
        // The lists filter with the same rules.
        let listed = |state: &str| ActionFilter { state: Some(state.into()), on: Some(on), ..Default::default() };
        assert_eq!(s.actions(&listed("open")).await.expect("open").len() as i64, open);
        assert_eq!(s.actions(&listed("overdue")).await.expect("overdue").len() as i64, overdue);
    }
}
