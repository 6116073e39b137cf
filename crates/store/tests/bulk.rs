//! The bulk path for generated data (issue 18 item 5) on both backends: the ordinary checks,
//! refused whole on one bad row, the rows the ordinary function writes, and one audit entry per
//! batch that says what was generated.

use caremarket_core::capacity::vacancies::{BedType, VacancyLine};
use caremarket_core::register::ServiceKind;
use caremarket_core::workforce::{Framework, Quarter, WorkforceReturn};
use caremarket_store::bulk::{NewDpMonitoring, NewWorkforceReturn};
use caremarket_store::capacity::NewVacancyReturn;
use caremarket_store::direct_payments::NewMonitoring;
use caremarket_store::fees::cost_of_care::SentBy;
use caremarket_store::register::NewService;
use caremarket_store::workforce::WorkforceFilter;
use caremarket_store::{Actor, AuditQuery, StoreError};
use jiff::civil::{Date, date};

const TODAY: Date = date(2024, 11, 8);

fn svc(provider_id: &str, name: &str, kind: ServiceKind, beds: Option<i64>) -> NewService {
    NewService { town: None, postcode: None, beds, ..caremarket_testkit::service(provider_id, name, kind) }
}

fn ret(service_id: &str, day: i8, occupied: i64, vacant: i64) -> NewVacancyReturn {
    NewVacancyReturn {
        service_id: service_id.into(),
        return_date: date(2024, 11, day),
        lines: vec![VacancyLine { bed_type: BedType::GeneralResidential, occupied, vacant }],
        source: "portal",
    }
}

#[tokio::test]
async fn bulk_vacancy_returns_are_checked_written_and_audited_once() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("demo");
        let p = s.create_provider(&a, None, "Homes Ltd", None, None).await.expect("provider");
        let home = s.create_service(&a, &svc(&p, "Elm House", ServiceKind::CareHomeResidential, Some(30))).await.expect("home");
        let other = s.create_service(&a, &svc(&p, "Ash House", ServiceKind::CareHomeResidential, Some(20))).await.expect("home");
        let hc = s.create_service(&a, &svc(&p, "Elm Home Care", ServiceKind::HomeCare, None)).await.expect("home care");

        // One bad row refuses the whole batch, with the ordinary function's message.
        let err = s.bulk_vacancy_returns(&a, &[ret(&home, 4, 20, 10), ret(&hc, 4, 1, 1)], TODAY).await.expect_err("home care");
        assert!(matches!(&err, StoreError::Invalid(e) if e.message.contains("Elm Home Care is not a care home")), "{err}");
        let err = s.bulk_vacancy_returns(&a, &[ret(&home, 4, 25, 10)], TODAY).await.expect_err("beds");
        assert!(matches!(&err, StoreError::Invalid(e) if e.message.contains("more than the 30")), "{err}");
        let err = s.bulk_vacancy_returns(&a, &[ret(&home, 4, 20, 10), ret(&home, 4, 19, 11)], TODAY).await.expect_err("twice");
        assert!(matches!(&err, StoreError::Invalid(e) if e.message.contains("already has a return for 2024-11-04")), "{err}");
        assert!(s.vacancy_returns_for_service(&home).await.expect("returns").is_empty());

        let batch = [ret(&home, 4, 20, 10), ret(&home, 6, 21, 9), ret(&other, 5, 15, 5)];
        assert_eq!(s.bulk_vacancy_returns(&a, &batch, TODAY).await.expect("bulk"), 3);
        let elm = s.vacancy_returns_for_service(&home).await.expect("returns");
        let got: Vec<(String, i64, i64, String)> =
            elm.iter().map(|r| (r.return_date.clone(), r.lines[0].occupied, r.lines[0].vacant, r.source.clone())).collect();
        assert_eq!(got, vec![("2024-11-06".into(), 21, 9, "portal".into()), ("2024-11-04".into(), 20, 10, "portal".into())]);

        // One entry for the batch, saying what was generated.
        let q = AuditQuery { entity_type: Some("vacancy_return".into()), limit: 10, ..Default::default() };
        let (entries, total) = s.audit_entries(&q).await.expect("audit");
        assert_eq!(total, 1);
        let expected = format!("{} vacancy returns generated for {} care homes, 2024-11-04 to 2024-11-06 (bulk load)", batch.len(), 2);
        assert_eq!(entries[0].summary, expected);

        // A return already there is not replaced by a bulk load.
        let err = s.bulk_vacancy_returns(&a, &[ret(&other, 5, 10, 10)], TODAY).await.expect_err("exists");
        assert!(matches!(&err, StoreError::Invalid(e) if e.message.contains("Ash House already has a return")), "{err}");
    }
}

fn dp_draft(r: &str, start: Date) -> caremarket_store::direct_payments::NewDirectPayment {
    caremarket_store::direct_payments::NewDirectPayment {
        draft: caremarket_core::direct_payments::DpDraft {
            person_ref: r.into(),
            service_area: "older_people".into(),
            is_child: false,
            budget_pence: 25_000,
            budget_period: caremarket_core::direct_payments::BudgetPeriod::Weekly,
            holding: "own_account".parse().expect("holding"),
            mm_provider_id: None,
            start_date: start,
        },
        officer_id: None,
        equality: Default::default(),
    }
}

fn financial(from: Date, on: Date, balance: i64, requested: i64) -> NewMonitoring {
    NewMonitoring {
        kind: "financial".into(),
        completed_on: Some(on),
        period_start: Some(from),
        period_end: Some(on.yesterday().expect("day")),
        balance_pence: Some(balance),
        requested_pence: Some(requested),
        notes: None,
    }
}

/// A record as the monitoring page shows it, without its id and direct payment.
fn shown(r: &caremarket_store::direct_payments::MonitoringRecord) -> String {
    format!(
        "{:?} {} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {} {}",
        r.kind,
        r.completed_on,
        r.period_start,
        r.period_end,
        r.balance_pence,
        r.contingency_weeks,
        r.allowed_contingency_pence,
        r.surplus_pence,
        r.requested_pence,
        r.returned_pence,
        r.returned_on,
        r.officer_label,
        r.approval
    )
}

#[tokio::test]
async fn bulk_monitoring_writes_what_the_ordinary_functions_write_and_is_audited_once() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("demo");
        let start = date(2023, 1, 16);
        let ordinary = s.create_direct_payment(&a, &dp_draft("AB100", start)).await.expect("dp");
        let bulk = s.create_direct_payment(&a, &dp_draft("AB101", start)).await.expect("dp");
        // £250 a week, 4 weeks' contingency allowed (£1,000): £3,400 held leaves £2,400 surplus.
        let check_in = NewMonitoring { kind: "check_in".into(), completed_on: Some(date(2023, 4, 20)), ..Default::default() };
        let first = financial(start, date(2024, 1, 20), 340_000, 240_000);
        let second = financial(date(2024, 1, 20), date(2024, 11, 4), 200_000, 100_000);
        s.record_monitoring(&a, &ordinary, &check_in).await.expect("check-in");
        let mid = s.record_monitoring(&a, &ordinary, &first).await.expect("first");
        s.record_returned(&a, &mid, 200_000, date(2024, 2, 10)).await.expect("returned");
        s.record_monitoring(&a, &ordinary, &second).await.expect("second");

        let item =
            |m: &NewMonitoring, returned: Option<(i64, Date)>| NewDpMonitoring { dp_id: bulk.clone(), monitoring: m.clone(), returned };
        // One bad record refuses the batch: more returned than was asked back.
        let bad = [item(&check_in, None), item(&first, Some((250_000, date(2024, 2, 10))))];
        assert!(s.bulk_monitoring(&a, &bad).await.is_err());
        // As is a reclaim within what was paid in, but not once what the batch asked back before
        // it is taken off (the ordinary function sees the earlier record in the table).
        let paid = caremarket_core::approvals::paid_in(
            start,
            None,
            25_000,
            caremarket_core::direct_payments::BudgetPeriod::Weekly,
            date(2024, 1, 31),
        );
        let within = financial(date(2024, 1, 20), date(2024, 2, 1), paid, paid - 100_000);
        assert!(s.bulk_monitoring(&a, &[item(&within, None)]).await.is_ok_and(|n| n == 1), "within what was paid in alone");
        let again = s.create_direct_payment(&a, &dp_draft("AB102", start)).await.expect("dp");
        let too_much = [item(&first, None), item(&within, None)].map(|mut i| {
            i.dp_id = again.clone();
            i
        });
        assert!(s.bulk_monitoring(&a, &too_much).await.is_err());
        assert!(s.monitoring_for(&again).await.expect("none").is_empty());
        let bulk = s.create_direct_payment(&a, &dp_draft("AB103", start)).await.expect("dp");
        let item =
            |m: &NewMonitoring, returned: Option<(i64, Date)>| NewDpMonitoring { dp_id: bulk.clone(), monitoring: m.clone(), returned };
        assert!(s.monitoring_for(&bulk).await.expect("none").is_empty());

        let batch = [item(&check_in, None), item(&first, Some((200_000, date(2024, 2, 10)))), item(&second, None)];
        assert_eq!(s.bulk_monitoring(&a, &batch).await.expect("bulk"), 3);
        let want: Vec<String> = s.monitoring_for(&ordinary).await.expect("ordinary").iter().map(shown).collect();
        let got: Vec<String> = s.monitoring_for(&bulk).await.expect("bulk").iter().map(shown).collect();
        assert_eq!(got, want);
        assert_eq!(got.len(), 3);

        let q = AuditQuery { entity_type: Some("dp_monitoring".into()), entity_id: None, limit: 10, ..Default::default() };
        let (entries, _) = s.audit_entries(&q).await.expect("audit");
        let bulk_entries: Vec<&str> = entries.iter().map(|e| e.summary.as_str()).filter(|e| e.contains("bulk load")).collect();
        assert_eq!(
            bulk_entries,
            [
                "3 monitoring records generated for 1 direct payments, 2023-04-20 to 2024-11-04, 1 with money returned (bulk load)",
                "1 monitoring records generated for 1 direct payments, 2024-02-01 to 2024-02-01, 0 with money returned (bulk load)",
            ]
        );
    }
}

fn workforce(period: Quarter, care_workers: i64) -> WorkforceReturn {
    WorkforceReturn {
        period,
        care_workers,
        nurses: 0,
        managers: 1,
        other_staff: 2,
        care_workers_fte: care_workers * 70,
        nurses_fte: 0,
        managers_fte: 100,
        other_staff_fte: 150,
        vacancies: 3,
        starters: 5,
        leavers: 4,
        zero_hours_staff: care_workers / 2,
        guaranteed_hours_staff: 2,
        agency_hours: 40,
        lowest_hourly_pay_pence: 1_250,
        sick_pay: true,
        care_certificate_permille: 700,
        level2_permille: 500,
        level3_permille: 250,
        qualification_framework: Framework::Rqf,
        medication_training_permille: 900,
        asc_wds_complete: false,
    }
}

#[tokio::test]
async fn bulk_workforce_returns_are_checked_written_and_audited_once() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("demo");
        let p = s.create_provider(&a, None, "Acme Care Ltd", None, None).await.expect("provider");
        let other = s.create_provider(&a, None, "Other Care Ltd", None, None).await.expect("provider");
        let hc = s.create_service(&a, &svc(&p, "Acme Home Care", ServiceKind::HomeCare, None)).await.expect("service");
        let theirs = s.create_service(&a, &svc(&other, "Other Home Care", ServiceKind::HomeCare, None)).await.expect("service");
        let (q2, q3) = (Quarter { year: 2024, q: 2 }, Quarter { year: 2024, q: 3 });
        let item = |service: &str, r: WorkforceReturn| NewWorkforceReturn { service_id: service.into(), provider_id: Some(p.clone()), r };

        // Another provider's service, or a quarter twice, refuses the batch.
        let err = s.bulk_workforce_returns(&a, &[item(&hc, workforce(q2, 20)), item(&theirs, workforce(q2, 20))], SentBy::Provider).await;
        assert!(matches!(&err, Err(StoreError::Invalid(e)) if e.field == "service_id"), "{err:?}");
        let err = s.bulk_workforce_returns(&a, &[item(&hc, workforce(q2, 20)), item(&hc, workforce(q2, 21))], SentBy::Provider).await;
        assert!(matches!(&err, Err(StoreError::Invalid(e)) if e.message.contains("already has a return")), "{err:?}");

        let batch = [item(&hc, workforce(q2, 20)), item(&hc, workforce(q3, 22))];
        assert_eq!(s.bulk_workforce_returns(&a, &batch, SentBy::Provider).await.expect("bulk"), 2);
        let stored = s.workforce_returns(&WorkforceFilter { service_id: Some(hc.clone()), ..Default::default() }).await.expect("returns");
        let got: Vec<&WorkforceReturn> = stored.iter().map(|w| &w.r).collect();
        assert_eq!(got, [&workforce(q3, 22), &workforce(q2, 20)]);

        let q = AuditQuery { entity_type: Some("workforce_return".into()), limit: 10, ..Default::default() };
        let (entries, total) = s.audit_entries(&q).await.expect("audit");
        assert_eq!(total, 1);
        assert_eq!(entries[0].summary, "2 workforce returns generated for 1 services, 2024-Q2 to 2024-Q3 (bulk load)");
        // The quarter is there now: a bulk load does not replace it.
        assert!(s.bulk_workforce_returns(&a, &[item(&hc, workforce(q3, 30))], SentBy::Provider).await.is_err());
    }
}

/// Starting RAG statuses in bulk: the history `set_rag` writes (value, trimmed reason, date, who),
/// refused whole for an unknown service or a reason core refuses, one audit entry.
#[tokio::test]
async fn bulk_rag_statuses_are_the_history_set_rag_writes_and_are_audited_once() {
    use caremarket_core::quality::Rag;
    use caremarket_store::bulk::NewRag;
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("demo");
        let p = s.create_provider(&a, None, "Homes Ltd", None, None).await.expect("provider");
        let elm = s.create_service(&a, &svc(&p, "Elm House", ServiceKind::CareHomeResidential, Some(30))).await.expect("home");
        let ash = s.create_service(&a, &svc(&p, "Ash House", ServiceKind::CareHomeResidential, Some(20))).await.expect("home");
        let rag =
            |service_id: &str, rag: Rag, reason: &str, on: Date| NewRag { service_id: service_id.into(), rag, reason: reason.into(), on };

        let err = s
            .bulk_set_rag(
                &a,
                &[rag(&elm, Rag::Green, "Fine", date(2024, 3, 1)), rag("no-such-service", Rag::Green, "Fine", date(2024, 3, 1))],
            )
            .await;
        assert!(matches!(err, Err(StoreError::NotFound(_))), "{err:?}");
        let err = s.bulk_set_rag(&a, &[rag(&elm, Rag::Green, "   ", date(2024, 3, 1))]).await;
        assert!(format!("{err:?}").contains("Enter the reason for the RAG status"), "core's check, as set_rag: {err:?}");
        assert!(s.rag_history(&elm).await.expect("history").is_empty(), "nothing written by a refused batch");

        let batch = [
            rag(&elm, Rag::Green, "  Annual visit: standards met  ", date(2024, 3, 1)),
            rag(&ash, Rag::Amber, "Action plan", date(2024, 5, 2)),
        ];
        assert_eq!(s.bulk_set_rag(&a, &batch).await.expect("bulk"), 2);
        // What set_rag writes for the same decision, on the same service, after it.
        s.set_rag(&a, &elm, Rag::Red, "Safeguarding enquiry", date(2024, 6, 3)).await.expect("set_rag");
        let history: Vec<(Rag, String, String, String)> =
            s.rag_history(&elm).await.expect("history").into_iter().map(|e| (e.rag, e.reason, e.set_on, e.set_by)).collect();
        assert_eq!(
            history,
            vec![
                (Rag::Red, "Safeguarding enquiry".into(), "2024-06-03".into(), "demo".into()),
                (Rag::Green, "Annual visit: standards met".into(), "2024-03-01".into(), "demo".into()),
            ]
        );
        let ash_now: Vec<Rag> = s.rag_history(&ash).await.expect("history").into_iter().map(|e| e.rag).collect();
        assert_eq!(ash_now, vec![Rag::Amber]);

        let q = AuditQuery { entity_type: Some("quality_rag".into()), limit: 10, ..Default::default() };
        let (entries, total) = s.audit_entries(&q).await.expect("audit");
        assert_eq!(total, 2, "one entry for the batch and one for set_rag");
        assert!(
            entries.iter().any(|e| e.summary == "2 RAG statuses generated for 2 services, 2024-03-01 to 2024-05-02 (bulk load)"),
            "{entries:?}"
        );
    }
}

/// Services with their ratings in bulk: the rows `create_service` and `add_rating` (called for
/// each rating in the order given) leave, refused whole naming the row, one audit entry.
#[tokio::test]
async fn bulk_services_are_what_create_service_and_add_rating_write_and_are_audited_once() {
    use caremarket_core::register::{Rating, Specialism};
    use caremarket_store::bulk::NewRatedService;
    use caremarket_store::quality::signals::SignalFilter;
    use caremarket_store::register::RatingRecord;
    let rated = |overall: Rating, on: Date| RatingRecord {
        overall: Some(overall),
        safe: Some(overall),
        report_date: Some(on),
        ..Default::default()
    };
    // Oldest first: two changes (down in 2021, up in 2023). Newest first: each call's entry
    // has no earlier grade when it is written, so no change is logged; "Inspected but not
    // rated" is no grade but is an inspection.
    let oldest_first = vec![
        rated(Rating::Good, date(2019, 1, 10)),
        rated(Rating::RequiresImprovement, date(2021, 3, 5)),
        rated(Rating::Good, date(2023, 6, 1)),
    ];
    let newest_first = vec![
        rated(Rating::InspectedButNotRated, date(2024, 5, 5)),
        rated(Rating::Outstanding, date(2023, 2, 1)),
        rated(Rating::Good, date(2020, 1, 1)),
    ];
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("demo");
        let p = s.create_provider(&a, None, "Homes Ltd", None, None).await.expect("provider");
        let mut plain = svc(&p, "Elm House", ServiceKind::CareHomeResidential, Some(30));
        plain.postcode = Some("ls1 4ap".into());
        plain.specialisms = vec![Specialism::Dementia, Specialism::Dementia, Specialism::LearningDisabilities];
        let batch = vec![
            NewRatedService { service: plain.clone(), ratings: oldest_first.clone() },
            NewRatedService { service: svc(&p, "Ash House", ServiceKind::CareHomeResidential, Some(20)), ratings: newest_first.clone() },
            NewRatedService { service: svc(&p, "Oak Care", ServiceKind::HomeCare, None), ratings: vec![] },
        ];

        let mut bad = batch.clone();
        bad[1].service.name = "   ".into();
        let err = s.bulk_create_services(&a, &bad, "demo").await;
        assert!(format!("{err:?}").contains("services row 2: name"), "{err:?}");
        assert!(format!("{err:?}").contains("Enter the service's name"), "{err:?}");
        assert_eq!(s.services(&Default::default()).await.expect("list").total, 0, "nothing written by a refused batch");

        let bulk_ids = s.bulk_create_services(&a, &batch, "demo").await.expect("bulk");
        assert_eq!(bulk_ids.len(), 3);
        // The same services the ordinary way, for comparison.
        let mut one_ids = Vec::new();
        for b in &batch {
            let id = s.create_service(&a, &b.service).await.expect("create");
            for r in &b.ratings {
                s.add_rating(&a, &id, r, "demo").await.expect("rating");
            }
            one_ids.push(id);
        }

        type History = Vec<(Option<Rating>, Option<String>, Option<Rating>, String)>;
        type Signals = Vec<(String, String, Option<String>, Option<String>, String)>;
        let written = |id: String| {
            let s = &s;
            async move {
                let svc = s.service(&id).await.expect("service");
                let mut history: History = s
                    .rating_history(&id)
                    .await
                    .expect("history")
                    .into_iter()
                    .map(|h| (h.overall, h.report_date, h.previous_overall, h.source))
                    .collect();
                history.sort_by(|x, y| x.1.cmp(&y.1));
                let f = SignalFilter { service_id: Some(id.clone()), ..Default::default() };
                let mut signals: Signals = s
                    .signals(&f)
                    .await
                    .expect("signals")
                    .into_iter()
                    .map(|g| (g.occurred_on, g.summary, g.rating_from, g.rating_to, g.source))
                    .collect();
                signals.sort();
                let r = &svc.ratings;
                let current = (r.overall, r.safe, r.rating_date.clone(), r.last_inspection_date.clone());
                (svc.name, svc.postcode, svc.specialisms, current, history, signals)
            }
        };
        for (b, o) in bulk_ids.iter().zip(&one_ids) {
            assert_eq!(written(b.clone()).await, written(o.clone()).await, "bulk and ordinary rows differ");
        }

        // What a commissioner reads, worked out from the ratings above.
        let (name, postcode, specialisms, current, history, signals) = written(bulk_ids[0].clone()).await;
        assert_eq!((name.as_str(), postcode.as_deref()), ("Elm House", Some("LS1 4AP")));
        assert_eq!(specialisms.len(), 2, "each specialism once: {specialisms:?}");
        assert_eq!(current, (Some(Rating::Good), Some(Rating::Good), Some("2023-06-01".into()), Some("2023-06-01".into())));
        let previous: Vec<Option<Rating>> = history.iter().map(|h| h.2).collect();
        assert_eq!(previous, vec![None, Some(Rating::Good), Some(Rating::RequiresImprovement)]);
        let moves: Vec<(&str, Option<&str>, Option<&str>)> =
            signals.iter().map(|g| (g.0.as_str(), g.2.as_deref(), g.3.as_deref())).collect();
        assert_eq!(
            moves,
            vec![("2021-03-05", Some("good"), Some("requires_improvement")), ("2023-06-01", Some("requires_improvement"), Some("good")),]
        );
        let (_, _, _, current, history, signals) = written(bulk_ids[1].clone()).await;
        assert_eq!(
            current,
            (Some(Rating::Outstanding), Some(Rating::Outstanding), Some("2023-02-01".into()), Some("2024-05-05".into())),
            "the newest grade is current; the later report is the latest inspection"
        );
        assert_eq!(history.iter().map(|h| h.2).collect::<Vec<_>>(), vec![None, Some(Rating::Good), Some(Rating::Outstanding)]);
        assert!(signals.is_empty(), "{signals:?}");

        let q = AuditQuery { entity_type: Some("service".into()), limit: 10, ..Default::default() };
        let (entries, total) = s.audit_entries(&q).await.expect("audit");
        assert_eq!(total, 4, "one entry for the batch and one per ordinary create_service");
        assert!(entries.iter().any(|e| e.summary == "3 services generated with 6 ratings (bulk load)"), "{entries:?}");
    }
}

/// Direct payments in bulk: checked as create_direct_payment checks each (refused whole, naming
/// the row), the same records, one audit entry.
#[tokio::test]
async fn bulk_direct_payments_are_what_create_direct_payment_records() {
    use caremarket_core::direct_payments::equality::Equality;
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("demo");
        let start = date(2023, 1, 16);
        let mut child = dp_draft("AB201", start);
        child.draft.is_child = true;
        child.draft.budget_pence = 41_000;
        child.equality = Equality { ethnicity: Some("white".into()), religion: Some("none".into()) };
        let batch = vec![dp_draft("AB200", start), child];

        let mut bad = batch.clone();
        bad[1].officer_id = Some("no-such-user".into());
        let err = s.bulk_create_direct_payments(&a, &bad).await;
        assert!(format!("{err:?}").contains("direct payments row 2: officer_id"), "{err:?}");
        let mut bad = batch.clone();
        bad[0].draft.holding = "managed_account".parse().expect("holding");
        bad[0].draft.mm_provider_id = Some("no-such-company".into());
        let err = s.bulk_create_direct_payments(&a, &bad).await;
        assert!(format!("{err:?}").contains("direct payments row 1: mm_provider_id"), "{err:?}");
        assert!(format!("{err:?}").contains("Recognised Provider List"), "{err:?}");
        let all = caremarket_store::direct_payments::DpFilter::default();
        assert_eq!(s.direct_payments(&all).await.expect("list").total, 0, "nothing written by a refused batch");

        let bulk = s.bulk_create_direct_payments(&a, &batch).await.expect("bulk");
        let mut one = Vec::new();
        for n in &batch {
            one.push(s.create_direct_payment(&a, n).await.expect("one"));
        }
        let shown = |d: caremarket_store::direct_payments::DirectPayment| {
            (d.person_ref, d.service_area, d.is_child, d.budget_pence, d.budget_period, d.holding, d.start_date, d.equality, d.version)
        };
        for (b, o) in bulk.iter().zip(&one) {
            assert_eq!(
                shown(s.direct_payment(b).await.expect("bulk")),
                shown(s.direct_payment(o).await.expect("one")),
                "bulk and ordinary records differ"
            );
        }
        let d = s.direct_payment(&bulk[1]).await.expect("child");
        assert_eq!((d.person_ref.as_str(), d.is_child, d.budget_pence), ("AB201", true, 41_000));
        assert_eq!(d.equality.ethnicity.as_deref(), Some("white"));

        let q = AuditQuery { entity_type: Some("direct_payment".into()), limit: 10, ..Default::default() };
        let (entries, total) = s.audit_entries(&q).await.expect("audit");
        assert_eq!(total, 3, "one entry for the batch and one per ordinary record");
        assert!(entries.iter().any(|e| e.summary == "2 direct payments generated (bulk load)"), "{entries:?}");
    }
}

/// Providers in bulk: what `create_provider` writes for the same input (name tidied, postcode
/// in its canonical form), refused whole naming the row, one audit entry.
#[tokio::test]
async fn bulk_providers_are_what_create_provider_writes_and_are_audited_once() {
    use caremarket_store::register::NewProvider;
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("demo");
        let new = |cqc: Option<&str>, name: &str, address: Option<&str>, postcode: Option<&str>| NewProvider {
            cqc_provider_id: cqc.map(str::to_string),
            name: name.into(),
            address: address.map(str::to_string),
            postcode: postcode.map(str::to_string),
        };
        let err = s.bulk_create_providers(&a, &[new(None, "Elm Care Ltd", None, None), new(None, "   ", None, None)]).await;
        assert!(
            matches!(&err, Err(StoreError::Invalid(e)) if e.field == "providers row 2: name" && e.message == "Enter the provider's name"),
            "{err:?}"
        );
        let sql_count = |s: &caremarket_store::Store| {
            let pool = s.pool().clone();
            async move { sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM providers").fetch_one(&pool).await.expect("count") }
        };
        let twice = [new(Some("1-101"), "Elm Care Ltd", None, None), new(Some("1-101"), "Elm Care (North) Ltd", None, None)];
        let err = s.bulk_create_providers(&a, &twice).await;
        assert!(
            matches!(&err, Err(StoreError::Invalid(e)) if e.field == "providers row 2: cqc_provider_id" && e.message.contains("1-101")),
            "{err:?}"
        );
        assert_eq!(sql_count(&s).await, 0, "nothing written by a refused batch");

        let batch = [
            new(Some("1-101"), "  Elm   Care  Ltd ", Some("1 High Street, Leeds"), Some("ls1 4ap")),
            new(None, "Ash Homes", None, Some("not a postcode")),
        ];
        let ids = s.bulk_create_providers(&a, &batch).await.expect("bulk");
        assert_eq!(ids.len(), 2);
        // The same input through the ordinary path.
        let by_hand = [
            s.create_provider(&a, Some("1-102"), "  Elm   Care  Ltd ", Some("1 High Street, Leeds"), Some("ls1 4ap")).await.expect("p"),
            s.create_provider(&a, None, "Ash Homes", None, Some("not a postcode")).await.expect("p"),
        ];
        for (bulk, hand) in ids.iter().zip(by_hand.iter()) {
            let (b, h) = (s.provider(bulk).await.expect("bulk"), s.provider(hand).await.expect("hand"));
            assert_eq!((&b.name, &b.address, &b.postcode), (&h.name, &h.address, &h.postcode));
        }
        let elm = s.provider(&ids[0]).await.expect("elm");
        assert_eq!(
            (elm.cqc_provider_id.as_deref(), elm.name.as_str(), elm.postcode.as_deref(), elm.version),
            (Some("1-101"), "Elm Care Ltd", Some("LS1 4AP"), 1)
        );
        let again = s.bulk_create_providers(&a, &[new(Some("1-102"), "Elm Care Ltd", None, None)]).await;
        assert!(matches!(&again, Err(StoreError::Invalid(e)) if e.field == "providers row 1: cqc_provider_id"), "already in the register");
        assert_eq!(s.provider(&ids[1]).await.expect("ash").postcode, None, "not a postcode: not kept");

        let q = AuditQuery { entity_type: Some("provider".into()), limit: 10, ..Default::default() };
        let (entries, total) = s.audit_entries(&q).await.expect("audit");
        assert_eq!(total, 3, "one entry for the batch, one for each provider added by hand");
        assert!(entries.iter().any(|e| e.summary == "2 providers generated (bulk load)"), "{entries:?}");
    }
}

/// Action plan progress in bulk: each action's status, version and history are what
/// `provider_update_action`, `accept_action` and `reopen_action` leave, called in the same order.
#[tokio::test]
async fn bulk_action_changes_are_what_the_ordinary_changes_leave() {
    use caremarket_core::quality::ActionStatus;
    use caremarket_store::bulk::{ActionChange, ActionStep};
    use caremarket_store::quality::actions::NewAction;
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("demo");
        let provider = Actor::system("provider (demo)");
        let officer = Actor::system("officer (demo)");
        let p = s.create_provider(&a, None, "Homes Ltd", None, None).await.expect("provider");
        let other = s.create_provider(&a, None, "Other Ltd", None, None).await.expect("provider");
        let home = s.create_service(&a, &svc(&p, "Elm House", ServiceKind::CareHomeResidential, Some(30))).await.expect("home");
        let action = |title: &str| NewAction {
            service_id: home.clone(),
            title: title.into(),
            detail: None,
            owner: "Manager".into(),
            due_on: Some(date(2024, 12, 1)),
        };
        // Two pairs of the same actions: one of each through the batch, one by hand.
        let mut ids = Vec::new();
        for t in ["Falls audit", "Falls audit (by hand)", "Medication", "Medication (by hand)", "Training"] {
            ids.push(s.create_action(&a, &action(t)).await.expect("action"));
        }
        let prov = |id: &str, note: &str, evidence: Option<&str>, status| ActionStep {
            actor: &provider,
            action_id: id.into(),
            change: ActionChange::Provider { provider_id: p.clone(), note: note.into(), evidence: evidence.map(str::to_string), status },
        };
        let accept = |id: &str, on: Date| ActionStep {
            actor: &officer,
            action_id: id.into(),
            change: ActionChange::Accept { note: "Evidence checked.".into(), on },
        };
        let reopen = |id: &str| ActionStep {
            actor: &officer,
            action_id: id.into(),
            change: ActionChange::Reopen { reason: "Not yet at night.".into() },
        };

        // Refused whole, naming the row: accepting twice; another provider's action.
        let twice = [prov(&ids[0], "Started", None, ActionStatus::InProgress), accept(&ids[0], TODAY), accept(&ids[0], TODAY)];
        let err = s.bulk_action_changes(&a, &twice).await.expect_err("accepted twice");
        assert!(matches!(&err, StoreError::Invalid(e) if e.field == "action changes row 3: decision"), "{err}");
        let mut theirs = prov(&ids[4], "Started", None, ActionStatus::InProgress);
        if let ActionChange::Provider { provider_id, .. } = &mut theirs.change {
            *provider_id = other.clone();
        }
        let err = s.bulk_action_changes(&a, &[theirs]).await.expect_err("another provider's");
        assert!(matches!(&err, StoreError::Invalid(e) if e.field == "action changes row 1: provider_id"), "{err}");
        let first = s.action(&ids[0]).await.expect("action");
        assert_eq!((first.status, first.version), (ActionStatus::Open, 1), "nothing written by a refused batch");
        assert!(s.action_updates(&ids[0]).await.expect("updates").is_empty());

        let batch = [
            prov(&ids[0], "  Plan in place. ", None, ActionStatus::InProgress),
            prov(&ids[2], "Plan in place.", None, ActionStatus::InProgress),
            prov(&ids[0], "Done.", Some(" Audit records "), ActionStatus::Submitted),
            accept(&ids[0], date(2024, 11, 1)),
            prov(&ids[2], "Done.", Some("Training records"), ActionStatus::Submitted),
            reopen(&ids[2]),
        ];
        assert_eq!(s.bulk_action_changes(&a, &batch).await.expect("bulk"), 6);
        let v = caremarket_core::versions::Version::new;
        let at = |n: i64| v(n).expect("version");
        s.provider_update_action(&provider, &p, &ids[1], "  Plan in place. ", None, ActionStatus::InProgress, at(1)).await.expect("1");
        s.provider_update_action(&provider, &p, &ids[1], "Done.", Some(" Audit records "), ActionStatus::Submitted, at(2))
            .await
            .expect("2");
        s.accept_action(&officer, &ids[1], "Evidence checked.", date(2024, 11, 1), at(3)).await.expect("3");
        s.provider_update_action(&provider, &p, &ids[3], "Plan in place.", None, ActionStatus::InProgress, at(1)).await.expect("4");
        s.provider_update_action(&provider, &p, &ids[3], "Done.", Some("Training records"), ActionStatus::Submitted, at(2))
            .await
            .expect("5");
        s.reopen_action(&officer, &ids[3], "Not yet at night.", at(3)).await.expect("6");

        type Seen = (String, String, String, Option<String>, ActionStatus);
        let history = |u: Vec<caremarket_store::quality::actions::ActionUpdate>| -> Vec<Seen> {
            u.into_iter().map(|u| (u.author_kind, u.author, u.note, u.evidence, u.status_after)).collect()
        };
        for (bulk, hand) in [(0, 1), (2, 3)] {
            let (b, h) = (s.action(&ids[bulk]).await.expect("b"), s.action(&ids[hand]).await.expect("h"));
            assert_eq!((b.status, &b.accepted_on, b.version), (h.status, &h.accepted_on, h.version), "{}", b.title);
            let (hb, hh) =
                (history(s.action_updates(&ids[bulk]).await.expect("b")), history(s.action_updates(&ids[hand]).await.expect("h")));
            assert_eq!(hb, hh, "{}: the same history, in the order made", b.title);
        }
        // Worked out from the steps: accepted on 1 November after three changes; reopened.
        let falls = s.action(&ids[0]).await.expect("falls");
        assert_eq!((falls.status, falls.accepted_on.as_deref(), falls.version), (ActionStatus::Accepted, Some("2024-11-01"), 4));
        let falls_history = history(s.action_updates(&ids[0]).await.expect("h"));
        let expected: Vec<Seen> = vec![
            ("provider".into(), "provider (demo)".into(), "Plan in place.".into(), None, ActionStatus::InProgress),
            ("provider".into(), "provider (demo)".into(), "Done.".into(), Some("Audit records".into()), ActionStatus::Submitted),
            ("officer".into(), "officer (demo)".into(), "Evidence checked.".into(), None, ActionStatus::Accepted),
        ];
        assert_eq!(falls_history, expected);
        assert_eq!(s.action(&ids[2]).await.expect("med").status, ActionStatus::Reopened);
        assert_eq!(s.action(&ids[4]).await.expect("training").version, 1, "untouched");

        let q = AuditQuery { entity_type: Some("quality_action".into()), limit: 50, ..Default::default() };
        let (entries, _) = s.audit_entries(&q).await.expect("audit");
        let bulk: Vec<&str> = entries.iter().map(|e| e.summary.as_str()).filter(|x| x.contains("bulk load")).collect();
        assert_eq!(bulk, vec!["6 changes to 2 actions generated (bulk load)"]);
    }
}

/// Escalation levels in bulk: what `set_escalation` writes, checked the same way; two of one
/// service on one day are read in the order given (the later one is current), as when set one
/// after the other; one audit entry.
#[tokio::test]
async fn bulk_escalations_keep_the_order_given_and_are_audited_once() {
    use caremarket_core::quality::EscalationLevel;
    use caremarket_store::bulk::NewEscalation;
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("demo");
        let p = s.create_provider(&a, None, "Homes Ltd", None, None).await.expect("provider");
        let elm = s.create_service(&a, &svc(&p, "Elm House", ServiceKind::CareHomeResidential, Some(30))).await.expect("home");
        let esc = |level, reason: &str, on| NewEscalation { service_id: elm.clone(), level, reason: reason.into(), on };
        let err = s.bulk_set_escalations(&a, &[esc(EscalationLevel::EnhancedMonitoring, " ", date(2024, 3, 1))]).await;
        assert!(err.is_err(), "a reason is required, as for set_escalation");
        assert!(s.escalation_history(&elm).await.expect("history").is_empty(), "nothing written by a refused batch");

        let day = date(2024, 5, 2);
        let batch = [
            esc(EscalationLevel::EnhancedMonitoring, "Amber: monthly contact", date(2024, 3, 1)),
            esc(EscalationLevel::EnhancedMonitoring, "Second look", day),
            esc(EscalationLevel::RiskManagement, "Red: joint risk management", day),
        ];
        assert_eq!(s.bulk_set_escalations(&a, &batch).await.expect("bulk"), 3);
        let history: Vec<(EscalationLevel, String, String)> =
            s.escalation_history(&elm).await.expect("history").into_iter().map(|e| (e.level, e.reason, e.set_on)).collect();
        assert_eq!(
            history,
            vec![
                (EscalationLevel::RiskManagement, "Red: joint risk management".into(), "2024-05-02".into()),
                (EscalationLevel::EnhancedMonitoring, "Second look".into(), "2024-05-02".into()),
                (EscalationLevel::EnhancedMonitoring, "Amber: monthly contact".into(), "2024-03-01".into()),
            ],
            "newest first; the same day's in reverse of the order given"
        );
        let q = AuditQuery { entity_type: Some("quality_escalation".into()), limit: 10, ..Default::default() };
        let (entries, total) = s.audit_entries(&q).await.expect("audit");
        assert_eq!(total, 1);
        assert_eq!(entries[0].summary, "3 escalation levels generated for 1 service, 2024-03-01 to 2024-05-02 (bulk load)");
    }
}
