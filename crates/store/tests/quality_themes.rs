//! CQC report themes and provider exit plans on both backends: coding checked (future report
//! dates, unknown themes, names), counts computed from the codings with offers deciding gaps,
//! CSV uploads all or nothing with row numbers, exit plans gathering exactly the people of the
//! exiting provider's services, closing when everyone is moved, and every change audited.

use caremarket_core::capacity::brokerage::{Lot, Route};
use caremarket_core::register::{Rating, ServiceKind};
use caremarket_store::capacity::NewPackageRequest;
use caremarket_store::exit_plans::NewProviderExit;
use caremarket_store::placements::NewPlacement;
use caremarket_store::quality::themes::{CodingRow, NewCoding, NewOffer, ThemeFilter};
use caremarket_store::register::{NewService, RatingRecord};
use caremarket_store::{Actor, AuditQuery, Store, StoreError};
use jiff::civil::{Date, date};

fn actor() -> Actor {
    Actor::system("test")
}

fn today() -> Date {
    caremarket_store::today()
}

fn svc(provider_id: &str, name: &str, kind: ServiceKind, in_area: bool, location: Option<&str>, fw: Option<(&str, &str)>) -> NewService {
    NewService {
        cqc_location_id: location.map(str::to_string),
        local_authority: Some(if in_area { "Testshire" } else { "Elsewhere" }.into()),
        in_area,
        beds: Some(20),
        ..caremarket_testkit::on_framework(caremarket_testkit::service(provider_id, name, kind), fw)
    }
}

fn coding(service: &str, d: Date, theme: &str, issue: &str) -> NewCoding {
    NewCoding { service_id: service.into(), report_date: d, theme: theme.into(), issue: issue.into() }
}

async fn audit_count(s: &Store, entity_type: &str) -> i64 {
    s.audit_entries(&AuditQuery { entity_type: Some(entity_type.into()), limit: 500, ..Default::default() }).await.expect("audit").1
}

fn field_of(e: StoreError) -> String {
    match e {
        StoreError::Invalid(f) => f.field,
        StoreError::InvalidFields(mut fes) if !fes.is_empty() => fes.0.remove(0).field,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn coding_is_checked_counted_and_audited() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = actor();
        let p = s.create_provider(&a, None, "Oak Care Ltd", None, None).await.expect("provider");
        let oak =
            s.create_service(&a, &svc(&p, "Oak House", ServiceKind::CareHomeResidential, true, Some("1-100"), None)).await.expect("oak");
        let elm = s.create_service(&a, &svc(&p, "Elm Lodge", ServiceKind::CareHomeNursing, true, Some("1-200"), None)).await.expect("elm");
        let dom = s.create_service(&a, &svc(&p, "Oak Home Care", ServiceKind::HomeCare, true, None, None)).await.expect("dom");

        assert_eq!(s.cqc_themes().await.expect("themes").len(), 19);

        // Refusals name the field.
        let tomorrow = today().tomorrow().expect("tomorrow");
        let e = s.code_theme_issue(&a, &coding(&oak, tomorrow, "medication", "MAR charts incomplete")).await.unwrap_err();
        assert_eq!(field_of(e), "report_date");
        let e = s.code_theme_issue(&a, &coding(&oak, date(2022, 3, 1), "Medicines", "MAR charts incomplete")).await.unwrap_err();
        assert_eq!(field_of(e), "theme");
        let e = s.code_theme_issue(&a, &coding(&oak, date(2022, 3, 1), "medication", "  ")).await.unwrap_err();
        assert_eq!(field_of(e), "issue");
        let e = s.code_theme_issue(&a, &coding(&oak, date(2022, 3, 1), "medication", "Mrs Smith missed her tablets")).await.unwrap_err();
        assert_eq!(field_of(e), "issue");
        let e = s.code_theme_issue(&a, &coding("no-such-service", date(2022, 3, 1), "medication", "x")).await.unwrap_err();
        assert_eq!(field_of(e), "service_id");
        assert_eq!(audit_count(&s, "theme_coding").await, 0);

        // Several issues of one report at once: all or nothing, the bad row named.
        let rows = vec![
            (1, coding(&oak, date(2022, 3, 1), "medication", "MAR charts incomplete")),
            (2, coding(&oak, date(2022, 3, 1), "nope", "Fire doors propped open")),
        ];
        // The store names the issue and field as core does; the form maps that to its own `theme-2`.
        assert_eq!(field_of(s.code_theme_issues(&a, &rows).await.unwrap_err()), caremarket_core::quality::themes::issue_field(2, "theme"));
        assert!(s.theme_codings(&ThemeFilter::default()).await.expect("codings").is_empty());
        let rows = vec![
            (1, coding(&oak, date(2022, 3, 1), "medication", "MAR charts incomplete")),
            (2, coding(&oak, date(2022, 3, 1), "Health & Safety", "Hot water above safe temperature")),
            (3, coding(&oak, date(2022, 3, 1), "medication", "PRN protocols missing")),
        ];
        assert_eq!(s.code_theme_issues(&a, &rows).await.expect("coded").len(), 3);
        s.code_theme_issue(&a, &coding(&elm, date(2023, 5, 10), "medication", "Controlled drugs book not signed")).await.expect("elm");
        s.code_theme_issue(&a, &coding(&elm, date(2020, 1, 10), "covid", "PPE not worn correctly")).await.expect("covid");
        s.code_theme_issue(&a, &coding(&dom, date(2023, 5, 10), "medication", "Visit logs missing medicines")).await.expect("dom");
        assert_eq!(audit_count(&s, "theme_coding").await, 6);

        // Counts for care homes only (the seed's scope).
        let homes = ThemeFilter { kinds: vec![ServiceKind::CareHomeResidential, ServiceKind::CareHomeNursing], ..Default::default() };
        let (counts, totals) = s.theme_counts(&homes).await.expect("counts");
        assert_eq!(counts[0].theme.code, "medication");
        assert_eq!((counts[0].issues, counts[0].services, counts[0].reports), (3, 2, 2));
        assert_eq!((totals.issues, totals.services, totals.reports), (5, 2, 3));
        let covid = counts.iter().find(|c| c.theme.code == "covid").expect("covid");
        assert_eq!((covid.issues, covid.gap), (1, false));
        // No offers yet: every theme but Covid is a gap.
        assert_eq!(totals.gaps, 18);

        // Date range and all kinds.
        let (_, t) = s.theme_counts(&ThemeFilter { from: Some(date(2021, 1, 1)), ..Default::default() }).await.expect("range");
        assert_eq!(t.issues, 5);
        let (_, t) = s
            .theme_counts(&ThemeFilter { from: Some(date(2023, 1, 1)), to: Some(date(2023, 12, 31)), ..Default::default() })
            .await
            .expect("range");
        assert_eq!(t.issues, 2);

        // Offers: tentative does not close a gap; in place does; withdrawn no longer counts.
        let tentative = NewOffer {
            offer: "Medicines Optimisation Team".into(),
            offered_by: Some("ICB".into()),
            status: "tentative".into(),
            notes: None,
        };
        s.add_theme_offer(&a, "medication", &tentative).await.expect("offer");
        let e = s.add_theme_offer(&a, "medication", &NewOffer { offer: " ".into(), ..tentative.clone() }).await.unwrap_err();
        assert_eq!(field_of(e), "offer");
        let e = s.add_theme_offer(&a, "medication", &NewOffer { status: "maybe".into(), ..tentative.clone() }).await.unwrap_err();
        assert_eq!(field_of(e), "status");
        let gap = |counts: &[caremarket_core::quality::themes::ThemeCount]| {
            counts.iter().find(|c| c.theme.code == "medication").map(|c| (c.offers_in_place, c.offers_tentative, c.gap))
        };
        assert_eq!(gap(&s.theme_counts(&homes).await.expect("c").0), Some((0, 1, true)));
        let in_place = s
            .add_theme_offer(
                &a,
                "medication",
                &NewOffer { offer: "Level 2 medicines course".into(), status: "in_place".into(), ..tentative.clone() },
            )
            .await
            .expect("in place");
        assert_eq!(gap(&s.theme_counts(&homes).await.expect("c").0), Some((1, 1, false)));
        s.withdraw_theme_offer(&a, &in_place).await.expect("withdraw");
        assert_eq!(gap(&s.theme_counts(&homes).await.expect("c").0), Some((0, 1, true)));
        assert_eq!(s.theme_offers(Some("medication")).await.expect("offers").len(), 2);
        assert_eq!(audit_count(&s, "theme_offer").await, 3);

        // Per service.
        let by = s.theme_counts_by_service(&homes).await.expect("by service");
        assert_eq!(by[0].service_name, "Oak House");
        assert_eq!(by[0].counts.issues, 3);
        assert_eq!(by[0].counts.by_theme.get("health_safety"), Some(&1));

        // Edit and delete, audited with before and after.
        let c = s.theme_codings(&ThemeFilter { service_id: Some(dom.clone()), ..Default::default() }).await.expect("dom")[0].clone();
        s.update_theme_coding(&a, &c.id, &coding(&dom, date(2023, 5, 11), "care_planning", "Care plans not reviewed")).await.expect("edit");
        let c2 = s.theme_coding(&c.id).await.expect("read");
        assert_eq!((c2.theme_code.as_str(), c2.report_date.as_str()), ("care_planning", "2023-05-11"));
        let e = s.update_theme_coding(&a, &c.id, &coding(&dom, tomorrow, "care_planning", "x")).await.unwrap_err();
        assert_eq!(field_of(e), "report_date");
        s.delete_theme_coding(&a, &c.id).await.expect("delete");
        assert!(matches!(s.theme_coding(&c.id).await, Err(StoreError::NotFound(_))));
        let (entries, _) =
            s.audit_entries(&AuditQuery { entity_id: Some(c.id.clone()), limit: 10, ..Default::default() }).await.expect("audit");
        assert_eq!(entries.len(), 3);
        assert!(entries.iter().any(|e| e.action == "delete" && e.before_json.as_deref().is_some_and(|b| b.contains("Care plans"))));
    }
}

#[tokio::test]
async fn csv_upload_is_all_or_nothing_with_row_numbers() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = actor();
        let p = s.create_provider(&a, None, "Birch Ltd", None, None).await.expect("provider");
        let birch =
            s.create_service(&a, &svc(&p, "Birch Court", ServiceKind::CareHomeNursing, true, Some("1-300"), None)).await.expect("svc");
        let row = |svc: &str, d: &str, t: &str, i: &str| CodingRow {
            row: 0,
            service: svc.into(),
            report_date: d.into(),
            theme: t.into(),
            issue: i.into(),
        };
        let future = today().tomorrow().expect("t").to_string();
        let bad = vec![
            row("1-300", "2022-04-01", "Medication", "Stock counts wrong"),
            row("1-999", "2022-04-01", "Medication", "x"),
            row("1-300", "01/04/2022", "Medication", "x"),
            row("1-300", &future, "Medication", "x"),
            row("1-300", "2022-04-01", "Gardening", "x"),
        ];
        let problems = s.import_theme_codings(&a, &bad).await.expect("import").unwrap_err();
        let got: Vec<(usize, &str)> = problems.iter().map(|p| (p.row, p.field.as_str())).collect();
        assert_eq!(got, vec![(3, "cqc_location_id"), (4, "report_date"), (5, "report_date"), (6, "theme")]);
        assert!(problems[3].to_string().contains("row 6"));
        assert!(s.theme_codings(&ThemeFilter::default()).await.expect("none").is_empty());

        let good = vec![
            row("1-300", "2022-04-01", "Medication", "Stock counts wrong"),
            row(&birch, "2022-04-01", "fire_safety", "Fire drill records missing"),
            row("1-300", "2022-04-01", "Staff training & Development", "Induction not completed"),
        ];
        assert_eq!(s.import_theme_codings(&a, &good).await.expect("import"), Ok(3));
        let (counts, totals) = s.theme_counts(&ThemeFilter::default()).await.expect("counts");
        assert_eq!((totals.issues, totals.reports, totals.services), (3, 1, 1));
        assert_eq!(counts.iter().filter(|c| c.issues == 1).count(), 3);
        assert_eq!(audit_count(&s, "theme_coding").await, 3);
    }
}

struct ExitFixture {
    provider: String,
    closing: String,
    sister: String,
    other_provider_service: String,
    home_care: String,
}

async fn exit_fixture(s: &Store) -> ExitFixture {
    let a = actor();
    let p = s.create_provider(&a, None, "Willow Group", None, None).await.expect("provider");
    let other = s.create_provider(&a, None, "Someone Else Ltd", None, None).await.expect("other");
    let closing =
        s.create_service(&a, &svc(&p, "Willow House", ServiceKind::CareHomeResidential, false, None, None)).await.expect("closing");
    let sister = s.create_service(&a, &svc(&p, "Willow Court", ServiceKind::CareHomeNursing, false, None, None)).await.expect("sister");
    let other_svc = s.create_service(&a, &svc(&other, "Other Place", ServiceKind::CareHomeNursing, false, None, None)).await.expect("o");
    // Home care with the provider on a framework, to place a package with it.
    let area = s.create_area(&a, "North", &["TT1"]).await.expect("area");
    let fw = s.create_framework(&a, "Home Care Framework", Some(ServiceKind::HomeCare), None, None, &["General"]).await.expect("fw");
    let lot = s.frameworks().await.expect("fws")[0].lots[0].id.clone();
    let home_care =
        s.create_service(&a, &svc(&p, "Willow Home Care", ServiceKind::HomeCare, true, None, Some((&fw, &lot)))).await.expect("hc");
    s.add_rating(
        &a,
        &home_care,
        &RatingRecord {
            overall: Some(Rating::Good),
            well_led: Some(Rating::Good),
            report_date: Some(date(2024, 1, 10)),
            ..Default::default()
        },
        "test",
    )
    .await
    .expect("rating");
    s.declare_spare_capacity(&a, &home_care, Some(&area), "general", "minutes", 40 * 60, today()).await.expect("spare");
    let place = |person: &str, service: &str, start: Date| NewPlacement {
        person_ref: person.into(),
        service_id: service.into(),
        host_authority: None,
        funder: "council".into(),
        reason: None,
        start_date: start,
        host_restrictions: None,
    };
    s.create_placement(&a, &place("AA111", &closing, date(2023, 1, 1))).await.expect("p1");
    s.create_placement(&a, &place("AA222", &closing, date(2023, 2, 1))).await.expect("p2");
    let ended = s.create_placement(&a, &place("AA333", &closing, date(2022, 2, 1))).await.expect("p3");
    s.end_placement(&a, &ended, date(2023, 6, 1)).await.expect("end");
    s.create_placement(&a, &place("BB111", &sister, date(2023, 1, 1))).await.expect("p4");
    s.create_placement(&a, &place("ZZ999", &other_svc, date(2023, 1, 1))).await.expect("p5");
    let now = jiff::Timestamp::now();
    let req = NewPackageRequest {
        person_ref: "HC123".into(),
        area_id: area,
        minutes_per_week: 7 * 60,
        visits_per_day: 1,
        visit_times: "09:00".into(),
        double_up_visits: 0,
        lot: Lot::General,
        needs: vec![],
        language: None,
        cultural_needs: None,
        route: Route::Community,
        requested_at: now - jiff::SignedDuration::from_hours(2),
    };
    let rid = s.create_package_request(&a, &req, now).await.expect("request");
    let offer = s.offer_package(&a, &rid, &home_care, today()).await.expect("offer");
    s.respond_to_offer(&a, &offer, true, None, None).await.expect("accept");
    let isf = caremarket_core::direct_payments::rpl::IsfDraft {
        person_ref: "ISF42".into(),
        provider_id: p.clone(),
        budget_pence: 100_000,
        budget_period: caremarket_core::direct_payments::BudgetPeriod::Weekly,
        start_date: date(2023, 1, 1),
    };
    s.create_isf(&a, &isf).await.expect("isf");
    ExitFixture { provider: p, closing, sister, other_provider_service: other_svc, home_care }
}

fn exit(provider: &str, service: Option<&str>) -> NewProviderExit {
    NewProviderExit {
        provider_id: provider.into(),
        service_id: service.map(str::to_string),
        planned: true,
        reason: "closure".into(),
        detail: Some("Owner retiring".into()),
        opened_on: today(),
        target_date: Some(today().checked_add(jiff::Span::new().days(60)).expect("date")),
        extra_refs: vec![],
        embargo: false,
    }
}

#[tokio::test]
async fn exit_plans_gather_the_people_affected_and_close_when_all_are_moved() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = actor();
        let f = exit_fixture(&s).await;

        // One service: its open placements only (not the ended one, not the sister home's,
        // not another provider's), plus references the system does not hold.
        let one = s.exit_affected(&f.provider, Some(&f.closing)).await.expect("affected");
        let refs: Vec<&str> = one.iter().map(|a| a.person_ref.as_str()).collect();
        assert_eq!(refs, vec!["AA111", "AA222"]);

        let mut e = exit(&f.provider, Some(&f.closing));
        e.extra_refs = vec!["Mrs Brown".into()];
        assert_eq!(field_of(s.open_provider_exit(&a, &e).await.unwrap_err()), "extra_refs");
        e.extra_refs = vec!["cc777".into(), "".into(), "AA111".into()];
        e.embargo = true;
        let bad = NewProviderExit { service_id: Some(f.other_provider_service.clone()), ..e.clone() };
        assert_eq!(field_of(s.open_provider_exit(&a, &bad).await.unwrap_err()), "service_id");
        let bad = NewProviderExit { reason: "bored".into(), ..e.clone() };
        assert_eq!(field_of(s.open_provider_exit(&a, &bad).await.unwrap_err()), "reason");
        let bad = NewProviderExit { target_date: Some(date(2020, 1, 1)), ..e.clone() };
        assert_eq!(field_of(s.open_provider_exit(&a, &bad).await.unwrap_err()), "target_date");
        assert_eq!(audit_count(&s, "exit_plan").await, 0);

        let id = s.open_provider_exit(&a, &e).await.expect("plan");
        let v = s.exit_plan_view(&id, today()).await.expect("view");
        assert_eq!(v.service_id.as_deref(), Some(f.closing.as_str()));
        assert_eq!(v.plan.context, "provider_exit");
        assert_eq!(v.plan.reason, "Closure: Owner retiring");
        let mut people: Vec<(&str, &str)> = v.plan.items.iter().map(|i| (i.person_ref.as_str(), i.source_type.as_str())).collect();
        people.sort();
        assert_eq!(people, vec![("AA111", "placement"), ("AA222", "placement"), ("CC777", "reference")]);
        assert_eq!((v.done, v.total, v.overdue), (0, 3, false));
        // The embargo was recorded with the plan.
        let r = s.restrictions(Some(today())).await.expect("restrictions");
        assert!(r.iter().any(|r| r.service_id == f.closing && r.kind == "embargo"));
        assert_eq!(audit_count(&s, "exit_plan").await, 1);

        // Whole provider: every service's placements and packages, and its ISFs; nobody else's.
        let all = s.exit_affected(&f.provider, None).await.expect("all");
        let mut refs: Vec<(&str, &str)> = all.iter().map(|a| (a.person_ref.as_str(), a.source_type.as_str())).collect();
        refs.sort();
        assert_eq!(
            refs,
            vec![("AA111", "placement"), ("AA222", "placement"), ("BB111", "placement"), ("HC123", "package"), ("ISF42", "isf")]
        );
        let pkg = all.iter().find(|a| a.source_type == "package").expect("package");
        assert_eq!(pkg.detail.as_deref(), Some("Willow Home Care"));
        let _ = (&f.sister, &f.home_care);

        // Recording arrangements: required, done date not in the future; the plan closes when
        // everyone is done, on the last done date.
        let items = v.plan.items.clone();
        let e = s
            .record_exit_arrangement(&a, &id, &items[0].id, " ", Some(today()), caremarket_core::versions::Version::FIRST)
            .await
            .unwrap_err();
        assert_eq!(field_of(e), "new_arrangement");
        let e = s
            .record_exit_arrangement(
                &a,
                &id,
                &items[0].id,
                "Moved to Ash Grove",
                Some(today().tomorrow().expect("t")),
                caremarket_core::versions::Version::FIRST,
            )
            .await
            .unwrap_err();
        assert_eq!(field_of(e), "done_on");
        assert!(matches!(
            s.record_exit_arrangement(&a, "no-plan", &items[0].id, "x", None, caremarket_core::versions::Version::FIRST).await,
            Err(StoreError::NotFound(_))
        ));
        s.record_exit_arrangement(&a, &id, &items[0].id, "Moved to Ash Grove", Some(today()), caremarket_core::versions::Version::FIRST)
            .await
            .expect("done 1");
        s.record_exit_arrangement(&a, &id, &items[1].id, "Family visiting Ash Grove", None, caremarket_core::versions::Version::FIRST)
            .await
            .expect("progress");
        // A save from a form opened before that one is refused (decision 25) and writes nothing.
        let stale = s.record_exit_arrangement(&a, &id, &items[1].id, "Moved away", None, caremarket_core::versions::Version::FIRST).await;
        assert!(matches!(stale, Err(StoreError::Stale { current: 2 })), "{stale:?}");
        let v = s.exit_plan_view(&id, today()).await.expect("view");
        assert_eq!((v.done, v.total), (1, 3));
        assert!(v.plan.closed_on.is_none());
        s.record_exit_arrangement(
            &a,
            &id,
            &items[1].id,
            "Moved to Ash Grove",
            Some(today()),
            caremarket_core::versions::Version::new(2).expect("v"),
        )
        .await
        .expect("done 2");
        s.record_exit_arrangement(
            &a,
            &id,
            &items[2].id,
            "Moved home with home care",
            Some(today()),
            caremarket_core::versions::Version::FIRST,
        )
        .await
        .expect("done 3");
        let v = s.exit_plan_view(&id, today()).await.expect("view");
        assert_eq!((v.done, v.total), (3, 3));
        assert_eq!(v.plan.closed_on, Some(today().to_string()));
        // Adding someone found later reopens the plan.
        s.add_exit_reference(&a, &id, "DD888").await.expect("add");
        assert_eq!(field_of(s.add_exit_reference(&a, &id, "DD888").await.unwrap_err()), "person_ref");
        assert_eq!(field_of(s.add_exit_reference(&a, &id, "Mr Green").await.unwrap_err()), "person_ref");
        let v = s.exit_plan_view(&id, today()).await.expect("view");
        assert!(v.plan.closed_on.is_none());
        assert_eq!(audit_count(&s, "exit_plan_item").await, 5);
        let (entries, _) = s
            .audit_entries(&AuditQuery { entity_type: Some("exit_plan_item".into()), limit: 10, ..Default::default() })
            .await
            .expect("audit");
        assert!(entries.iter().any(|e| e.summary.contains("all arrangements made") && e.before_json.is_some()));

        // Plans touching a service: its own and its provider's whole-provider plans.
        let whole = s.open_provider_exit(&a, &exit(&f.provider, None)).await.expect("whole");
        assert_eq!(s.exit_plans_for_service(&f.closing, today()).await.expect("for").len(), 2);
        assert_eq!(s.exit_plans_for_service(&f.sister, today()).await.expect("for").len(), 1);
        assert!(s.exit_plans_for_service(&f.other_provider_service, today()).await.expect("for").is_empty());
        let list = s.exit_plan_views(today()).await.expect("list");
        assert_eq!(list.len(), 2);
        assert!(list.iter().any(|p| p.plan.id == whole && p.total == 5));
    }
}
