//! Signals, monthly returns, rating-change signals from CQC imports, and the early-warning score
//! and watch list, on every backend.

use caremarket_core::quality::SignalKind;
use caremarket_core::quality::score::Band;
use caremarket_core::register::{CqcLocation, CqcRatingSet, Rating, ServiceKind};
use caremarket_store::capacity::NewVacancyReturn;
use caremarket_store::import::ImportOptions;
use caremarket_store::quality::returns::{NewMonthlyReturn, RowProblem};
use caremarket_store::quality::score::WatchFilter;
use caremarket_store::quality::signals::{NewSignal, SignalFilter};
use caremarket_store::register::{NewService, RatingRecord};
use caremarket_store::{Actor, AuditQuery, Store, StoreError};
use jiff::civil::{Date, date};

const TODAY: Date = date(2024, 11, 8);

fn actor() -> Actor {
    Actor::system("test")
}

fn svc(provider_id: &str, name: &str, kind: ServiceKind, beds: Option<i64>) -> NewService {
    NewService {
        cqc_location_id: Some(format!("1-{}", name.len() * 7919 + name.bytes().map(usize::from).sum::<usize>())),
        local_authority: Some("Oldham".into()),
        beds,
        ..caremarket_testkit::service(provider_id, name, kind)
    }
}

fn complaint(service_id: &str, on: Date, by: &str, resolved: Option<bool>) -> NewSignal {
    NewSignal {
        service_id: service_id.into(),
        kind: Some(SignalKind::Complaint),
        occurred_on: Some(on),
        summary: "Family unhappy with laundry going missing".into(),
        received_by: Some(by.into()),
        outcome: None,
        resolved_in_house: resolved,
    }
}

/// The field a refusal names first (core's checks name every field at once).
fn invalid_field(e: &StoreError) -> &str {
    match e {
        StoreError::Invalid(fe) => &fe.field,
        StoreError::InvalidFields(fes) => fes.0.first().map(|f| f.field.as_str()).unwrap_or(""),
        _ => "",
    }
}

async fn setup(s: &Store) -> (String, String, String, String) {
    let a = actor();
    let p = s.create_provider(&a, None, "Homes Ltd", None, None).await.expect("provider");
    let q = s.create_provider(&a, None, "Other Care Ltd", None, None).await.expect("provider");
    let home = s.create_service(&a, &svc(&p, "Oak House", ServiceKind::CareHomeResidential, Some(40))).await.expect("home");
    let other = s.create_service(&a, &svc(&q, "Elm Home Care", ServiceKind::HomeCare, None)).await.expect("other");
    (p, q, home, other)
}

#[tokio::test]
async fn signals_are_checked_listed_counted_and_audited() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = actor();
        let (_, _, home, other) = setup(&s).await;
        // Refusals name the field.
        let future = complaint(&home, date(2024, 11, 9), "provider", Some(true));
        assert_eq!(invalid_field(&s.record_signal(&a, &future, TODAY).await.unwrap_err()), "occurred_on");
        let no_summary = NewSignal { summary: "  ".into(), ..complaint(&home, TODAY, "provider", None) };
        assert_eq!(invalid_field(&s.record_signal(&a, &no_summary, TODAY).await.unwrap_err()), "summary");
        let long = NewSignal { summary: "x".repeat(501), ..complaint(&home, TODAY, "provider", None) };
        assert_eq!(invalid_field(&s.record_signal(&a, &long, TODAY).await.unwrap_err()), "summary");
        let no_receiver = NewSignal { received_by: None, ..complaint(&home, TODAY, "provider", None) };
        assert_eq!(invalid_field(&s.record_signal(&a, &no_receiver, TODAY).await.unwrap_err()), "received_by");
        let no_kind = NewSignal { kind: None, ..complaint(&home, TODAY, "provider", None) };
        assert_eq!(invalid_field(&s.record_signal(&a, &no_kind, TODAY).await.unwrap_err()), "kind");
        let rating = NewSignal { kind: Some(SignalKind::RatingChange), ..complaint(&home, TODAY, "provider", None) };
        assert_eq!(invalid_field(&s.record_signal(&a, &rating, TODAY).await.unwrap_err()), "kind");
        let nowhere = complaint("no-such-service", TODAY, "provider", None);
        assert_eq!(invalid_field(&s.record_signal(&a, &nowhere, TODAY).await.unwrap_err()), "service_id");
        assert!(s.signals(&SignalFilter::default()).await.expect("signals").is_empty());

        // `000`'s line, in miniature: 4 complaints, 1 via the council, 3 resolved in house.
        for (on, by, res) in [
            (date(2024, 10, 1), "provider", Some(true)),
            (date(2024, 10, 5), "provider", Some(true)),
            (date(2024, 10, 20), "council", Some(false)),
            (date(2024, 11, 1), "provider", Some(true)),
        ] {
            s.record_signal(&a, &complaint(&home, on, by, res), TODAY).await.expect("complaint");
        }
        // received_by and resolved_in_house are dropped for other kinds.
        let sg = NewSignal {
            kind: Some(SignalKind::Safeguarding),
            summary: "Concern raised about moving and handling".into(),
            ..complaint(&home, date(2024, 9, 1), "council", Some(true))
        };
        s.record_signal(&a, &sg, TODAY).await.expect("safeguarding");
        s.record_signal(&a, &NewSignal { kind: Some(SignalKind::Whistleblowing), ..sg.clone() }, TODAY).await.expect("wb");
        s.record_signal(&a, &complaint(&other, date(2024, 6, 1), "provider", Some(true)), TODAY).await.expect("old");

        let all = s.signals(&SignalFilter::default()).await.expect("signals");
        assert_eq!(all.len(), 7);
        assert_eq!(all[0].occurred_on, "2024-11-01", "newest first");
        let sgs = s.signals(&SignalFilter { kind: Some(SignalKind::Safeguarding), ..Default::default() }).await.expect("sg");
        assert_eq!(sgs.len(), 1);
        assert_eq!((sgs[0].received_by.clone(), sgs[0].resolved_in_house), (None, None));
        let oct = s
            .signals(&SignalFilter {
                service_id: Some(home.clone()),
                from: Some(date(2024, 10, 1)),
                to: Some(date(2024, 10, 31)),
                ..Default::default()
            })
            .await
            .expect("oct");
        assert_eq!(oct.len(), 3);

        let counts = s.signal_counts(Some(&home), date(2024, 8, 10), TODAY).await.expect("counts");
        let n = |k: SignalKind| counts.iter().find(|c| c.kind == k).map(|c| c.count);
        assert_eq!((n(SignalKind::Complaint), n(SignalKind::Safeguarding), n(SignalKind::Whistleblowing)), (Some(4), Some(1), Some(1)));
        assert_eq!(n(SignalKind::NotifiableIncident), Some(0));

        // Monthly returns are shown beside, not added to, the logged complaints.
        s.submit_monthly_return(
            &a,
            &NewMonthlyReturn {
                service_id: home.clone(),
                month: "2024-10".into(),
                complaints: 5,
                complaints_via_council: 1,
                complaints_resolved_in_house: 4,
                ..Default::default()
            },
            "provider",
            None,
            TODAY,
        )
        .await
        .expect("return");
        let sum = s.complaints_summary(None, date(2024, 10, 1), date(2024, 10, 31)).await.expect("summary");
        assert_eq!((sum.logged, sum.logged_via_council, sum.logged_resolved_in_house, sum.logged_not_resolved_in_house), (3, 1, 2, 1));
        assert_eq!((sum.returned, sum.returned_via_council, sum.returned_resolved_in_house, sum.returns_services), (5, 1, 4, 1));
        // A period starting mid-October does not count October's return.
        let mid = s.complaints_summary(None, date(2024, 10, 15), TODAY).await.expect("summary");
        assert_eq!((mid.logged, mid.returned), (2, 0));

        let audit = s
            .audit_entries(&AuditQuery { entity_type: Some("quality_signal".into()), limit: 100, ..Default::default() })
            .await
            .expect("audit")
            .0;
        assert_eq!(audit.len(), 7);
    }
}

/// An uploaded file of these lines.
fn table(rows: &[&str]) -> Vec<u8> {
    rows.join("\n").into_bytes()
}

/// Import a file as the web does: read by the ingest parser (a file it refuses whole is refused
/// with its problems), then checked and saved by the store.
async fn import_file(
    s: &Store,
    a: &Actor,
    file: &[u8],
    kind: &str,
    only_provider: Option<&str>,
    today: Date,
) -> Result<Result<usize, Vec<RowProblem>>, StoreError> {
    match caremarket_ingest::uploads::quality_returns::parse(file) {
        Err(problems) => Ok(Err(problems)),
        Ok(rows) => s.import_monthly_returns(a, &rows, kind, only_provider, today).await,
    }
}

#[tokio::test]
async fn monthly_returns_upload_is_all_or_nothing_with_row_errors() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = actor();
        let (p, _, home, other) = setup(&s).await;
        let home_loc = s.service(&home).await.expect("home").cqc_location_id.expect("loc");
        let other_loc = s.service(&other).await.expect("other").cqc_location_id.expect("loc");
        // Header names in any case; one good row and four bad ones: nothing is saved.
        let bad = table(&[
            "CQC_Location_ID,Month,Complaints,Complaints_Via_Council,Complaints_Resolved_In_House,Staff_In_Post,Staff_Vacancies,Staff_Leavers,Agency_Hours",
            &format!("{home_loc},2024-10,3,1,2,40,5,2,120"),
            &format!("{home_loc},2024-12,1,0,1,40,5,0,0"),
            &format!("{home_loc},2024-09,2,2,1,40,5,0,0"),
            "1-999999,2024-09,0,0,0,,,,",
            &format!("{home_loc},2024-08,lots,0,0,,,,"),
        ]);
        let problems = import_file(&s, &a, &bad, "officer", None, TODAY).await.expect("import").unwrap_err();
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            problems.iter().map(|p| (p.row, p.field.as_str())).collect::<Vec<_>>(),
            vec![(3, "month"), (4, "complaints_resolved_in_house"), (5, "cqc_location_id"), (6, "complaints")],
            "{text:?}"
        );
        assert!(text[0].contains("must not be in the future"), "{}", text[0]);
        assert!(text[3].contains("found 'lots'"), "{}", text[3]);
        assert!(s.monthly_returns(None, None, 100).await.expect("list").is_empty(), "nothing saved");

        // A provider's upload with another provider's service is refused, naming the row.
        let mixed = table(&["cqc_location_id,month,complaints", &format!("{home_loc},2024-10,1"), &format!("{other_loc},2024-10,1")]);
        let problems = import_file(&s, &a, &mixed, "provider", Some(&p), TODAY).await.expect("import").unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].row, 3);
        assert!(problems[0].message.contains("not one of your services"));
        assert!(s.monthly_returns(None, None, 100).await.expect("list").is_empty());

        // Missing columns are named.
        let no_month = table(&["service_id,complaints", &format!("{home},1")]);
        let problems = import_file(&s, &a, &no_month, "officer", None, TODAY).await.expect("import").unwrap_err();
        assert!(problems[0].message.contains("month"), "{:?}", problems);

        // A good file saves every row; staffing rates are computed.
        let good = table(&[
            "service_id,month,complaints,complaints_via_council,complaints_resolved_in_house,staff_in_post,staff_vacancies,staff_leavers,agency_hours",
            &format!("{home},2024-09,2,0,2,45,5,3,80"),
            &format!("{home},2024-10,3,1,2,40,10,4,120"),
        ]);
        assert_eq!(import_file(&s, &a, &good, "officer", None, TODAY).await.expect("import"), Ok(2));
        let list = s.monthly_returns(Some(&home), None, 100).await.expect("list");
        assert_eq!(list.iter().map(|r| r.month.as_str()).collect::<Vec<_>>(), vec!["2024-10", "2024-09"]);
        assert_eq!((list[0].vacancy_rate, list[0].turnover), (Some(20), Some(10)));

        // A resubmitted month replaces the earlier return, audited with both.
        let again = table(&["service_id,month,complaints", &format!("{home},2024-10,7")]);
        assert_eq!(import_file(&s, &a, &again, "provider", Some(&p), TODAY).await.expect("import"), Ok(1));
        let list = s.monthly_returns(Some(&home), None, 100).await.expect("list");
        assert_eq!(list.len(), 2);
        assert_eq!((list[0].complaints, list[0].submitted_by_kind.as_str()), (7, "provider"));
        let audit = s
            .audit_entries(&AuditQuery { entity_type: Some("monthly_return".into()), limit: 100, ..Default::default() })
            .await
            .expect("audit")
            .0;
        let update = audit.iter().find(|e| e.action == "update").expect("update audited");
        assert!(update.before_json.as_deref().is_some_and(|b| b.contains("\"complaints\":3")), "{update:?}");

        // The single-return form path: refused for another provider's service.
        let err = s
            .submit_monthly_return(
                &a,
                &NewMonthlyReturn { service_id: other.clone(), month: "2024-10".into(), ..Default::default() },
                "provider",
                Some(&p),
                TODAY,
            )
            .await
            .unwrap_err();
        assert_eq!(invalid_field(&err), "service_id");
        let err = s
            .submit_monthly_return(
                &a,
                &NewMonthlyReturn { service_id: home.clone(), month: "2024-13".into(), ..Default::default() },
                "officer",
                None,
                TODAY,
            )
            .await
            .unwrap_err();
        assert_eq!(invalid_field(&err), "month");
    }
}

fn loc(id: &str, overall: Rating, report: &str) -> CqcLocation {
    let mut l = CqcLocation::new(id, "Birch Care Home");
    l.provider_id = Some("1-P1".into());
    l.provider_name = Some("Birch Ltd".into());
    l.local_authority = Some("Oldham".into());
    l.postcode = Some("OL1 1AA".into());
    l.service_types = vec!["Residential homes".into()];
    l.care_home = Some(true);
    l.beds = Some(30);
    let d: Date = report.parse().expect("date");
    l.rating = Some(CqcRatingSet {
        overall: Some(overall),
        safe: Some(overall),
        effective: Some(Rating::Good),
        caring: Some(Rating::Good),
        responsive: Some(Rating::Good),
        well_led: Some(overall),
        report_date: Some(d),
    });
    l.last_inspection_date = Some(d);
    l
}

fn opts() -> ImportOptions {
    ImportOptions {
        file_name: "t.csv".into(),
        format: "test".into(),
        complete_register: false,
        council_local_authorities: vec!["Oldham".into()],
        ..Default::default()
    }
}

#[tokio::test]
async fn a_cqc_import_that_changes_a_rating_logs_one_rating_change_signal() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = actor();
        let changes = |s: &Store| {
            let s = s.clone();
            async move { s.signals(&SignalFilter { kind: Some(SignalKind::RatingChange), ..Default::default() }).await.expect("signals") }
        };
        s.import_cqc(&a, &opts(), &[loc("1-500", Rating::Good, "2022-03-01")], vec![], &mut |_, _| {}).await.expect("first");
        assert!(changes(&s).await.is_empty(), "a first rating is not a change");
        s.import_cqc(&a, &opts(), &[loc("1-500", Rating::Inadequate, "2024-06-01")], vec![], &mut |_, _| {}).await.expect("second");
        let c = changes(&s).await;
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].rating_from.as_deref(), c[0].rating_to.as_deref()), (Some("good"), Some("inadequate")));
        assert_eq!((c[0].occurred_on.as_str(), c[0].source.as_str()), ("2024-06-01", "cqc_import"));
        assert!(c[0].summary.contains("fell from Good to Inadequate"), "{}", c[0].summary);
        // The same file again changes nothing and logs nothing.
        s.import_cqc(&a, &opts(), &[loc("1-500", Rating::Inadequate, "2024-06-01")], vec![], &mut |_, _| {}).await.expect("again");
        assert_eq!(changes(&s).await.len(), 1);
        // A rating recorded by hand that changes the overall rating is logged too.
        let id = s.service_by_location_id("1-500").await.expect("lookup").expect("service").id;
        s.add_rating(
            &a,
            &id,
            &RatingRecord { overall: Some(Rating::Good), report_date: Some(date(2024, 10, 1)), ..Default::default() },
            "officer",
        )
        .await
        .expect("rating");
        let c = changes(&s).await;
        assert_eq!(c.len(), 2);
        assert_eq!((c[0].rating_to.as_deref(), c[0].source.as_str()), (Some("good"), "officer"));
        // And the fall shows in the score within two years.
        let e = s.early_warning(&id, date(2024, 9, 1)).await.expect("score");
        assert!(e.score.factors.iter().any(|f| f.code == "rating_fall" && f.points == 10), "{:?}", e.score.factors);
    }
}

#[tokio::test]
async fn the_watch_list_ranks_by_score_then_name_from_records_as_at_a_date() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = actor();
        let p = s.create_provider(&a, None, "Homes Ltd", None, None).await.expect("provider");
        let mk = |name: &'static str, kind, beds| svc(&p, name, kind, beds);
        let ash = s.create_service(&a, &mk("Ash House", ServiceKind::CareHomeResidential, Some(20))).await.expect("ash");
        let beech = s.create_service(&a, &mk("Beech House", ServiceKind::CareHomeResidential, Some(20))).await.expect("beech");
        let cedar = s.create_service(&a, &mk("Cedar House", ServiceKind::CareHomeResidential, Some(20))).await.expect("cedar");
        let dom = s.create_service(&a, &mk("Dale Home Care", ServiceKind::HomeCare, None)).await.expect("dom");
        let rate = |id: &str, r: Rating| {
            let (s, id) = (s.clone(), id.to_string());
            async move {
                s.add_rating(
                    &actor(),
                    &id,
                    &RatingRecord {
                        overall: Some(r),
                        safe: Some(r),
                        well_led: Some(r),
                        report_date: Some(date(2024, 3, 1)),
                        ..Default::default()
                    },
                    "test",
                )
                .await
                .expect("rating")
            }
        };
        for id in [&ash, &beech, &cedar, &dom] {
            rate(id, Rating::Good).await;
        }
        let before = s.watch_list(TODAY, &WatchFilter::default(), 10).await.expect("watch");
        assert_eq!(
            before.iter().map(|e| e.service_name.as_str()).collect::<Vec<_>>(),
            vec!["Ash House", "Beech House", "Cedar House", "Dale Home Care"]
        );
        assert!(before.iter().all(|e| e.total == 0));

        // Cedar: four safeguarding concerns (20 beds: 2 per 10 beds at 4 points each = 8).
        let sg = |id: &str, on| NewSignal {
            service_id: id.into(),
            kind: Some(SignalKind::Safeguarding),
            occurred_on: Some(on),
            summary: "Concern about medication".into(),
            ..Default::default()
        };
        s.record_signal(&a, &sg(&cedar, date(2024, 10, 1)), TODAY).await.expect("sg");
        s.record_signal(&a, &sg(&cedar, date(2024, 10, 2)), TODAY).await.expect("sg");
        s.record_signal(&a, &sg(&cedar, date(2024, 10, 3)), TODAY).await.expect("sg");
        s.record_signal(&a, &sg(&cedar, TODAY), TODAY).await.expect("sg");
        // Beech: the same, but more than 90 days ago: no effect.
        s.record_signal(&a, &sg(&beech, date(2024, 8, 1)), TODAY).await.expect("sg");
        s.record_signal(&a, &sg(&beech, date(2024, 8, 2)), TODAY).await.expect("sg");
        // Ash: rated Requires improvement (12 + 8 + 6 = 26).
        s.add_rating(
            &a,
            &ash,
            &RatingRecord {
                overall: Some(Rating::RequiresImprovement),
                safe: Some(Rating::RequiresImprovement),
                well_led: Some(Rating::RequiresImprovement),
                report_date: Some(date(2024, 9, 1)),
                ..Default::default()
            },
            "test",
        )
        .await
        .expect("ri");
        // Dale: occupancy does not apply to home care; a 40% staff vacancy rate adds 6.
        s.submit_monthly_return(
            &a,
            &NewMonthlyReturn {
                service_id: dom.clone(),
                month: "2024-10".into(),
                staff_in_post: Some(30),
                staff_vacancies: Some(20),
                ..Default::default()
            },
            "officer",
            None,
            TODAY,
        )
        .await
        .expect("return");
        // Beech: low occupancy (10 of 20 beds: 50% against 80%: 3 + 6 = 9 -> capped at 8).
        s.submit_vacancy_return(
            &a,
            &NewVacancyReturn {
                service_id: beech.clone(),
                return_date: date(2024, 11, 1),
                lines: vec![caremarket_core::capacity::vacancies::VacancyLine {
                    bed_type: caremarket_core::capacity::vacancies::BedType::GeneralResidential,
                    occupied: 10,
                    vacant: 10,
                }],
                source: "officer",
            },
            TODAY,
        )
        .await
        .expect("vacancy");

        let list = s.watch_list(TODAY, &WatchFilter::default(), 10).await.expect("watch");
        let got: Vec<(&str, i64)> = list.iter().map(|e| (e.service_name.as_str(), e.total)).collect();
        // Ash 26 + fall Good -> RI (6) = 32.
        assert_eq!(got, vec![("Ash House", 32), ("Beech House", 8), ("Cedar House", 8), ("Dale Home Care", 6)]);
        assert_eq!(list[0].band, Band::High);
        assert_eq!(list[0].top_factors[0], "Overall rated Requires improvement: +12");
        assert_eq!(list.iter().map(|e| e.rank).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
        // Filters: kind and band, and a limit.
        let homes = s.watch_list(TODAY, &WatchFilter { kind: Some(ServiceKind::HomeCare), ..Default::default() }, 10).await.expect("hc");
        assert_eq!(homes.len(), 1);
        let high = s.watch_list(TODAY, &WatchFilter { min_band: Some(Band::Medium), ..Default::default() }, 10).await.expect("band");
        assert_eq!(high.len(), 1);
        assert_eq!(s.watch_list(TODAY, &WatchFilter::default(), 2).await.expect("limit").len(), 2);
        // As at an earlier date, Ash's RI rating and Cedar's concerns had not happened.
        let then = s.watch_list(date(2024, 7, 1), &WatchFilter::default(), 10).await.expect("then");
        assert!(then.iter().all(|e| e.total == 0), "{then:?}");
        // The explanation lists every factor; the per-place rate uses beds.
        let e = s.early_warning(&cedar, TODAY).await.expect("explain");
        assert_eq!(e.score.factors.len(), 14);
        assert_eq!(e.score.top(3)[0].reason, "4 safeguarding concerns in the last 90 days (20 places): +8");
        assert!(matches!(s.early_warning("nope", TODAY).await, Err(StoreError::NotFound(_))));
    }
}
