//! Care homes closed to admissions and the weekly return window (issue 16 item 15), on both
//! backends: one open closure per home, a provider only closes its own homes, a closure is in
//! force from its day until the day the home reopened, and each home's standing in a week's
//! window comes from the dates of its returns.

use caremarket_core::capacity::admissions::{AdmissionClosureReason, NewAdmissionClosure, ReturnWindow, WindowStatus};
use caremarket_core::capacity::vacancies::{BedType, VacancyLine};
use caremarket_core::register::ServiceKind;
use caremarket_store::capacity::NewVacancyReturn;
use caremarket_store::register::NewService;
use caremarket_store::{Actor, StoreError};
use jiff::civil::Weekday;
use jiff::civil::{Date, date};

fn actor() -> Actor {
    Actor::system("test")
}

fn svc(provider_id: &str, name: &str, kind: ServiceKind) -> NewService {
    NewService { beds: if kind.is_care_home() { Some(30) } else { None }, ..caremarket_testkit::service(provider_id, name, kind) }
}

/// Friday 8 November 2024: its week's window (closing Wednesday) ran 4 to 6 November.
const TODAY: Date = date(2024, 11, 8);

fn closure(service_id: &str, reason: AdmissionClosureReason, closed_on: Date) -> NewAdmissionClosure {
    NewAdmissionClosure { service_id: service_id.into(), reason, note: None, closed_on, expected_reopening: None }
}

fn message(e: StoreError) -> String {
    match e {
        StoreError::Invalid(f) => format!("{}: {}", f.field, f.message),
        other => panic!("expected a refusal, got {other}"),
    }
}

#[tokio::test]
async fn a_home_is_closed_from_the_day_it_closed_until_the_day_it_reopened() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = actor();
        let p = s.create_provider(&a, None, "Homes Ltd", None, None).await.expect("provider");
        let other = s.create_provider(&a, None, "Other Homes Ltd", None, None).await.expect("provider");
        let oak = s.create_service(&a, &svc(&p, "Oak House", ServiceKind::CareHomeResidential)).await.expect("home");
        let elm = s.create_service(&a, &svc(&other, "Elm House", ServiceKind::CareHomeNursing)).await.expect("home");
        let care = s.create_service(&a, &svc(&p, "Oak Home Care", ServiceKind::HomeCare)).await.expect("home care");

        // Only care homes close to admissions, and a provider only its own.
        let e = s.record_admission_closure(&a, &closure(&care, AdmissionClosureReason::Staffing, TODAY), "officer", None).await;
        assert_eq!(message(e.unwrap_err()), "service_id: Oak Home Care is not a care home: only care homes close to admissions");
        let e = s.record_admission_closure(&a, &closure(&elm, AdmissionClosureReason::Staffing, TODAY), "portal", Some(&p)).await;
        assert_eq!(message(e.unwrap_err()), "service_id: Choose one of your own care homes");
        assert!(s.admission_closures_on(TODAY).await.expect("closures").is_empty(), "nothing written by a refusal");

        let closed_on = date(2024, 11, 1);
        let mut c = closure(&oak, AdmissionClosureReason::InfectionOutbreak, closed_on);
        c.expected_reopening = Some(date(2024, 11, 15));
        let id = s.record_admission_closure(&a, &c, "portal", Some(&p)).await.expect("closed");
        // One open closure per home: a second is refused, naming the first.
        let e = s.record_admission_closure(&a, &closure(&oak, AdmissionClosureReason::Staffing, TODAY), "officer", None).await;
        assert_eq!(
            message(e.unwrap_err()),
            "service_id: Oak House is already closed to admissions (since 1 November 2024): record its reopening first"
        );
        let names = |v: Vec<caremarket_store::capacity::AdmissionClosure>| v.into_iter().map(|c| c.service_name).collect::<Vec<_>>();
        assert!(names(s.admission_closures_on(date(2024, 10, 31)).await.expect("closures")).is_empty());
        assert_eq!(names(s.admission_closures_on(closed_on).await.expect("closures")), ["Oak House"]);
        let shown = s.admission_closure(&id).await.expect("closure");
        assert_eq!(shown.describe(), "Closed to admissions since 1 November 2024: Infection outbreak");
        assert_eq!((shown.source.as_str(), shown.expected_reopening), ("portal", Some(date(2024, 11, 15))));

        // Reopening: not before it closed, not in the future, not by another provider, once.
        let e = s.reopen_admissions(&a, &id, date(2024, 10, 30), TODAY, None).await.unwrap_err();
        assert_eq!(message(e), "reopened_on: The date the home reopened must be on or after the date it closed to admissions");
        let e = s.reopen_admissions(&a, &id, date(2024, 11, 9), TODAY, None).await.unwrap_err();
        assert_eq!(message(e), "reopened_on: The date the home reopened must be today or in the past");
        assert!(matches!(s.reopen_admissions(&a, &id, TODAY, TODAY, Some(&other)).await, Err(StoreError::NotFound(_))));
        s.reopen_admissions(&a, &id, date(2024, 11, 7), TODAY, Some(&p)).await.expect("reopened");
        let e = s.reopen_admissions(&a, &id, TODAY, TODAY, None).await.unwrap_err();
        assert_eq!(message(e), "reopened_on: Oak House has already reopened to admissions");
        assert_eq!(names(s.admission_closures_on(date(2024, 11, 6)).await.expect("closures")), ["Oak House"]);
        assert!(names(s.admission_closures_on(date(2024, 11, 7)).await.expect("closures")).is_empty(), "open again on the day it reopened");
        assert!(s.open_admission_closures().await.expect("open").is_empty());
        assert_eq!(names(s.recently_reopened_admission_closures(date(2024, 11, 1)).await.expect("reopened")), ["Oak House"]);
        // Once reopened it may close again.
        s.record_admission_closure(&a, &closure(&oak, AdmissionClosureReason::Staffing, TODAY), "officer", None).await.expect("again");
        assert_eq!(s.admission_closures_for_service(&oak).await.expect("history").len(), 2);
    }
}

#[tokio::test]
async fn each_home_stands_in_the_week_by_the_dates_of_its_returns() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = actor();
        let p = s.create_provider(&a, None, "Homes Ltd", None, None).await.expect("provider");
        // (home, the dates of its returns)
        let homes: [(&str, &[Date]); 4] = [
            ("On Time House", &[date(2024, 10, 28), date(2024, 11, 4)]),
            ("Late House", &[date(2024, 10, 29), date(2024, 11, 7)]),
            ("Last Week House", &[date(2024, 10, 30)]),
            ("Never House", &[]),
        ];
        let mut ids = Vec::new();
        for (name, dates) in homes {
            let id = s.create_service(&a, &svc(&p, name, ServiceKind::CareHomeResidential)).await.expect("home");
            for d in dates {
                let lines = vec![VacancyLine { bed_type: BedType::GeneralResidential, occupied: 25, vacant: 5 }];
                s.submit_vacancy_return(&a, &NewVacancyReturn { service_id: id.clone(), return_date: *d, lines, source: "portal" }, TODAY)
                    .await
                    .expect("return");
            }
            ids.push(id);
        }
        let window = ReturnWindow::of_week(TODAY, Weekday::Wednesday);
        assert_eq!((window.opens, window.closes), (date(2024, 11, 4), date(2024, 11, 6)));
        let dates = s.return_dates_in_week(&window).await.expect("dates");
        let status = |i: usize| window.status(dates.get(&ids[i]).map(Vec::as_slice).unwrap_or(&[]), TODAY);
        // Worked out from the dates above: 4 November is in the window; 7 November is after it in
        // the same week; 30 October is last week's; no returns at all is missed.
        assert_eq!(status(0), WindowStatus::OnTime(date(2024, 11, 4)));
        assert_eq!(status(1), WindowStatus::Late(date(2024, 11, 7)));
        assert_eq!(status(2), WindowStatus::Missed);
        assert_eq!(status(3), WindowStatus::Missed);
        // On the Tuesday the window was still open for the homes yet to return.
        assert_eq!(window.status(&[], date(2024, 11, 5)), WindowStatus::Due);

        // Chasing the two that missed it: recorded per home and week, with the emails sent.
        s.record_return_chase(&a, &ids[2], window.opens, 2, Some("Please send it today")).await.expect("chase");
        s.record_return_chase(&a, &ids[3], window.opens, 0, None).await.expect("chase");
        s.record_return_chase(&a, &ids[3], window.opens, 1, None).await.expect("chase again");
        let chases = s.return_chases(window.opens).await.expect("chases");
        assert_eq!(chases.get(&ids[2]).map(|c| (c.len(), c[0].emailed, c[0].note.as_deref())), Some((1, 2, Some("Please send it today"))));
        assert_eq!(chases.get(&ids[3]).map(|c| c.iter().map(|c| c.emailed).collect::<Vec<_>>()), Some(vec![0, 1]));
        assert!(s.return_chases(window.previous().opens).await.expect("last week").is_empty());
    }
}
