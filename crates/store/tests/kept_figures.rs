//! Figures kept, not recomputed (issue 18 item 2), on both backends: after each kind of change
//! (a CQC import, an edit of a service, a visit finalised, a signal, a rating, the council's
//! occupancy setting) the kept watch list, quality figures and market figures equal a fresh
//! computation by core on the same records, and what was kept before the change is not served
//! after it. Changes are written through one `Store` and read through another on the same
//! database, as a CLI import and the server are two processes.

use caremarket_core::quality::score::Band;
use caremarket_core::quality::{Activity, SignalKind, VisitType};
use caremarket_core::register::{ContractStatus, CqcLocation, CqcRatingSet, Rating, ServiceKind};
use caremarket_store::import::ImportOptions;
use caremarket_store::quality::score::{RESCORE_LIMIT, WatchFilter};
use caremarket_store::quality::signals::NewSignal;
use caremarket_store::quality::visits::{ActionDraft, NewVisit, ScoreInput};
use caremarket_store::register::{CouncilFields, NewService, RatingRecord};
use caremarket_store::restrictions::NewRestriction;
use caremarket_store::{Actor, Store};
use jiff::civil::{Date, date};

const TODAY: Date = date(2024, 11, 8);
const YEAR_START: Date = date(2024, 1, 1);
const NOT_INSPECTED_BEFORE: Date = date(2020, 1, 1);
const CHANGES_SINCE: Date = date(2024, 8, 10);

fn actor() -> Actor {
    Actor::system("test")
}

fn svc(provider_id: &str, name: &str, kind: ServiceKind, beds: Option<i64>) -> NewService {
    NewService { local_authority: Some("Oldham".into()), beds, ..caremarket_testkit::service(provider_id, name, kind) }
}

fn loc(id: &str, name: &str, overall: Rating, report: &str) -> CqcLocation {
    let mut l = CqcLocation::new(id, name);
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

/// Two stores on one new database (as two processes): a writer and a reader.
async fn pairs() -> Vec<(Store, Store)> {
    let mut out = Vec::new();
    let url = caremarket_testkit::sqlite_empty_url();
    out.push((Store::connect(&url).await.expect("writer"), Store::connect(&url).await.expect("reader")));
    if let Some(url) = caremarket_testkit::postgres_empty_url().await.expect("postgres") {
        let w = Store::connect(&url).await.expect("writer");
        out.push((w, Store::connect(&url).await.expect("reader")));
    }
    out
}

/// The figures as the pages read them (kept), checked against a fresh computation by core's
/// functions on the same records; returns the kept watch list and the version it was kept at.
async fn kept_equals_fresh(r: &Store, what: &str) -> (Vec<(String, i64)>, i64) {
    let filters = [
        WatchFilter::default(),
        WatchFilter { kind: Some(ServiceKind::HomeCare), ..Default::default() },
        WatchFilter { min_band: Some(Band::Medium), ..Default::default() },
    ];
    let mut version = 0;
    for f in &filters {
        for limit in [1, 2, 100] {
            let kept = r.kept_watch_list(TODAY, f, limit).await.expect("kept watch list");
            let fresh = r.compute_watch_list(TODAY, f, limit).await.expect("fresh watch list");
            assert_eq!(kept.value, fresh, "after {what}: watch list {f:?} limit {limit}");
            version = kept.version;
        }
    }
    // The quality dashboard's top of the list and its restrictions in force, kept as figures.
    for limit in [1, 10] {
        let top = r.kept_watch_top(TODAY, limit).await.expect("kept top of the list");
        let fresh = r.compute_watch_list(TODAY, &WatchFilter::default(), limit).await.expect("fresh top");
        assert_eq!(top.value, fresh, "after {what}: the dashboard's top {limit}");
    }
    let restrictions = r.kept_restrictions(TODAY).await.expect("kept restrictions");
    assert_eq!(restrictions.value, r.restrictions(Some(TODAY)).await.expect("fresh restrictions"), "after {what}: restrictions in force");
    assert_eq!(restrictions.version, r.data_version().await.expect("version"), "after {what}: restrictions are current");
    let kept = r.kept_quality_figures(TODAY, YEAR_START, TODAY).await.expect("kept quality");
    assert_eq!(kept.value, r.quality_figures(TODAY, YEAR_START, TODAY).await.expect("fresh quality"), "after {what}: quality figures");
    assert_eq!(kept.version, r.data_version().await.expect("version"), "after {what}: quality figures are current");
    let mut kept = r.kept_market_figures(NOT_INSPECTED_BEFORE, CHANGES_SINCE).await.expect("kept market").value;
    let mut fresh = r.market_figures(NOT_INSPECTED_BEFORE, CHANGES_SINCE).await.expect("fresh market");
    // `as_at` is when each was computed.
    (kept.as_at, fresh.as_at) = (String::new(), String::new());
    assert_eq!(kept, fresh, "after {what}: market figures");
    let list = r.watch_list(TODAY, &WatchFilter::default(), 100).await.expect("list");
    (list.into_iter().map(|e| (e.service_name, e.total)).collect(), version)
}

fn total(list: &[(String, i64)], name: &str) -> i64 {
    list.iter().find(|(n, _)| n == name).map(|(_, t)| *t).unwrap_or_else(|| panic!("{name} not on the list: {list:?}"))
}

#[tokio::test]
async fn kept_figures_equal_a_fresh_computation_after_every_kind_of_change() {
    for (w, r) in pairs().await {
        let a = actor();
        let p = w.create_provider(&a, None, "Homes Ltd", None, None).await.expect("provider");
        let oak = w.create_service(&a, &svc(&p, "Oak House", ServiceKind::CareHomeResidential, Some(20))).await.expect("oak");
        let elm = w.create_service(&a, &svc(&p, "Elm Home Care", ServiceKind::HomeCare, None)).await.expect("elm");
        let (list, v0) = kept_equals_fresh(&r, "creating services").await;
        assert_eq!(list.len(), 2);
        // Read again with nothing changed: the same kept figures, not computed again.
        let again = r.kept_watch_list(TODAY, &WatchFilter::default(), 100).await.expect("again");
        let first = r.kept_watch_list(TODAY, &WatchFilter::default(), 100).await.expect("first");
        assert_eq!((again.version, again.computed_at.clone()), (first.version, first.computed_at.clone()));
        let quality_before = r.kept_quality_figures(TODAY, YEAR_START, TODAY).await.expect("q");

        // A signal: four safeguarding concerns at a 20-bed home add 8.
        let before = total(&list, "Oak House");
        for d in [1, 2, 3, 4] {
            let sg = NewSignal {
                service_id: oak.clone(),
                kind: Some(SignalKind::Safeguarding),
                occurred_on: Some(date(2024, 10, d)),
                summary: "Concern about medication".into(),
                ..Default::default()
            };
            w.record_signal(&a, &sg, TODAY).await.expect("signal");
        }
        let (list, v1) = kept_equals_fresh(&r, "a signal").await;
        assert!(v1 > v0, "a figure computed before the signal is not served after it");
        assert_eq!(total(&list, "Oak House"), before + 8);

        // A rating recorded by hand: Elm rated Inadequate.
        let before = total(&list, "Elm Home Care");
        let rating = RatingRecord {
            overall: Some(Rating::Inadequate),
            safe: Some(Rating::Inadequate),
            well_led: Some(Rating::Inadequate),
            report_date: Some(date(2024, 10, 1)),
            ..Default::default()
        };
        w.add_rating(&a, &elm, &rating, "officer").await.expect("rating");
        let (list, v2) = kept_equals_fresh(&r, "a rating").await;
        assert!(v2 > v1);
        assert!(total(&list, "Elm Home Care") > before, "{list:?}");

        // A restriction on Oak, then Oak renamed and its restriction lifted: the dashboard's
        // list of restrictions in force follows each.
        let embargo = NewRestriction {
            service_id: oak.clone(),
            kind: "embargo".into(),
            scope: None,
            reason: "Safeguarding enquiry".into(),
            starts_on: date(2024, 10, 1),
            ends_on: None,
        };
        let embargo = w.record_restriction(&a, &embargo).await.expect("embargo");
        kept_equals_fresh(&r, "a restriction").await;
        assert_eq!(r.kept_restrictions(TODAY).await.expect("kept").value.len(), 1);
        sqlx::query("UPDATE services SET name = 'Oak Lodge' WHERE id = $1").bind(&oak).execute(w.pool()).await.expect("rename");
        kept_equals_fresh(&r, "renaming a service").await;
        assert_eq!(r.kept_restrictions(TODAY).await.expect("kept").value[0].service_name, "Oak Lodge");
        w.lift_restriction(&a, &embargo, date(2024, 11, 1)).await.expect("lift");
        kept_equals_fresh(&r, "lifting a restriction").await;
        assert!(r.kept_restrictions(TODAY).await.expect("kept").value.is_empty());
        sqlx::query("UPDATE services SET name = 'Oak House' WHERE id = $1").bind(&oak).execute(w.pool()).await.expect("rename back");

        // An edit of a service: Elm's kind set by the council.
        let elm_service = w.service(&elm).await.expect("elm");
        let fields = CouncilFields {
            contract_status: ContractStatus::BlockContract,
            framework_id: None,
            lot_id: None,
            contract_start: None,
            contract_end: None,
            council_notes: elm_service.council_notes.clone(),
            kind: Some(ServiceKind::SupportedLiving),
        };
        w.update_council_fields(
            &a,
            &elm,
            &fields,
            caremarket_core::versions::Version::new(w.service(&elm).await.expect("s").version).expect("v"),
        )
        .await
        .expect("edit");
        let (_, v3) = kept_equals_fresh(&r, "an edit of a service").await;
        assert!(v3 > v2);
        let home_care = r.kept_watch_list(TODAY, &WatchFilter { kind: Some(ServiceKind::HomeCare), ..Default::default() }, 10).await;
        assert!(home_care.expect("hc").value.is_empty(), "Elm is supported living now");

        // A visit finalised: a quality visit to Oak, one standard judged Poor, its action due
        // before today (so overdue), and the visit counted in the quality figures.
        let qaf = w.qa_framework_by_code("qaf_care_homes").await.expect("qaf");
        let standards = w.qa_standards(&qaf.id, false).await.expect("standards");
        let visit = NewVisit {
            service_id: oak.clone(),
            activity: Activity::QualityVisit,
            visit_type: VisitType::Routine,
            announced: true,
            visit_date: date(2024, 10, 1),
            officers: "A Officer".into(),
            people_spoken_to: 2,
            relatives_spoken_to: 0,
            staff_spoken_to: 1,
            framework_id: Some(qaf.id.clone()),
            outcomes_framework_id: None,
            feedback_given_on_day: true,
        };
        let visit = w.create_visit(&a, &visit, TODAY).await.expect("visit");
        let scores = [ScoreInput { standard_id: standards[0].id.clone(), judgement: "poor".into(), evidence: Some("MAR gaps".into()) }];
        w.score_visit(&a, &visit, &scores, Some("Medicines need work."), caremarket_core::versions::Version::FIRST).await.expect("score");
        kept_equals_fresh(&r, "a visit scored").await;
        let drafts = [ActionDraft {
            standard_id: standards[0].id.clone(),
            title: "Fix MAR charts".into(),
            owner: "Registered manager".into(),
            due_on: Some(date(2024, 10, 20)),
        }];
        assert_eq!(w.finalise_visit(&a, &visit, &drafts).await.expect("finalise"), 1);
        // (The action was raised today, after the date scored, so the score leaves it out.)
        let (_, v4) = kept_equals_fresh(&r, "a visit finalised").await;
        assert!(v4 > v3);
        let quality_after = r.kept_quality_figures(TODAY, YEAR_START, TODAY).await.expect("q");
        assert_eq!(quality_after.value.care_home_visits, quality_before.value.care_home_visits + 1);
        assert_eq!(quality_after.value.overdue_actions, quality_before.value.overdue_actions + 1);

        // The council's occupancy setting is an input of every care home's score.
        w.set_setting("capacity_thresholds", r#"{"low_occupancy_percent": 95}"#).await.expect("setting");
        let (_, v5) = kept_equals_fresh(&r, "the occupancy setting").await;
        assert!(v5 > v4);

        // A CQC import: a new home rated Inadequate comes onto the list, then its rating improves.
        w.import_cqc(&a, &opts(), &[loc("1-500", "Birch Care Home", Rating::Inadequate, "2024-06-01")], vec![], &mut |_, _| {})
            .await
            .expect("import");
        let (list, v6) = kept_equals_fresh(&r, "an import").await;
        assert!(v6 > v5);
        let inadequate = total(&list, "Birch Care Home");
        w.import_cqc(&a, &opts(), &[loc("1-500", "Birch Care Home", Rating::Good, "2024-10-01")], vec![], &mut |_, _| {})
            .await
            .expect("re-import");
        let (list, v7) = kept_equals_fresh(&r, "a re-import").await;
        assert!(v7 > v6);
        assert!(total(&list, "Birch Care Home") < inadequate, "{list:?}");
        // The same file again changes nothing a figure reads: nothing is computed again.
        let kept = r.kept_watch_list(TODAY, &WatchFilter::default(), 100).await.expect("kept");
        w.import_cqc(&a, &opts(), &[loc("1-500", "Birch Care Home", Rating::Good, "2024-10-01")], vec![], &mut |_, _| {})
            .await
            .expect("unchanged");
        let same = r.kept_watch_list(TODAY, &WatchFilter::default(), 100).await.expect("same");
        assert_eq!(same.value, kept.value);
        assert_eq!(r.compute_watch_list(TODAY, &WatchFilter::default(), 100).await.expect("fresh"), same.value);

        // A service leaving the area leaves the list.
        let birch = r.service_by_location_id("1-500").await.expect("lookup").expect("birch");
        sqlx::query("UPDATE services SET in_area = 0 WHERE id = $1").bind(&birch.id).execute(w.pool()).await.expect("move");
        let (list, _) = kept_equals_fresh(&r, "a service leaving the area").await;
        assert!(!list.iter().any(|(n, _)| n == "Birch Care Home"));

        // Another day: everything is scored again as at that day.
        let later = r.kept_watch_list(date(2025, 3, 1), &WatchFilter::default(), 100).await.expect("later");
        assert_eq!(later.value, r.compute_watch_list(date(2025, 3, 1), &WatchFilter::default(), 100).await.expect("fresh later"));
    }
}

#[tokio::test]
async fn more_changes_than_the_rescore_limit_score_every_service_again() {
    for (w, r) in pairs().await {
        let a = actor();
        let p = w.create_provider(&a, None, "Homes Ltd", None, None).await.expect("provider");
        let mut ids = Vec::new();
        for i in 0..(RESCORE_LIMIT + 5) {
            ids.push(
                w.create_service(&a, &svc(&p, &format!("Home {i:03}"), ServiceKind::CareHomeResidential, Some(10))).await.expect("home"),
            );
        }
        kept_equals_fresh(&r, "creating homes").await;
        let rating = RatingRecord { overall: Some(Rating::RequiresImprovement), report_date: Some(date(2024, 9, 1)), ..Default::default() };
        for id in &ids {
            w.add_rating(&a, id, &rating, "officer").await.expect("rating");
        }
        let (list, _) = kept_equals_fresh(&r, "rating every home").await;
        assert!(list.iter().all(|(_, t)| *t > 0), "{list:?}");
        // A provider's new name is shown beside each of its services.
        sqlx::query("UPDATE providers SET name = 'Renamed Ltd' WHERE id = $1").bind(&p).execute(w.pool()).await.expect("rename");
        kept_equals_fresh(&r, "renaming the provider").await;
        let list = r.watch_list(TODAY, &WatchFilter::default(), 5).await.expect("list");
        assert!(list.iter().all(|e| e.provider_name == "Renamed Ltd"));
    }
}

/// A page of the kept watch list, cut by the database, is the same rows with the same ranks as
/// that part of the list computed afresh, on both backends (PostgreSQL's default collation
/// orders "ash", "Ash" and "Élan" otherwise than by bytes); the total is the list's length.
#[tokio::test]
async fn a_page_of_the_kept_watch_list_is_that_part_of_the_fresh_list() {
    for (w, r) in pairs().await {
        let a = actor();
        let p = w.create_provider(&a, None, "Homes Ltd", None, None).await.expect("provider");
        let prefixes = ["Ash", "ash", "Élan", "Zed", "birch", "Ash-Tree", "Ash Tree"];
        let mut names = Vec::new();
        for (i, prefix) in prefixes.iter().cycle().take(17).enumerate() {
            let name = format!("{prefix} {i:02}");
            let kind = if i % 3 == 0 { ServiceKind::HomeCare } else { ServiceKind::CareHomeResidential };
            w.create_service(&a, &svc(&p, &name, kind, (i % 3 != 0).then_some(20))).await.expect("service");
            names.push(name);
        }
        let filters = [WatchFilter::default(), WatchFilter { kind: Some(ServiceKind::HomeCare), ..Default::default() }];
        for f in &filters {
            let fresh = r.compute_watch_list(TODAY, f, usize::MAX).await.expect("fresh");
            let expected = names.iter().enumerate().filter(|(i, _)| f.kind.is_none() || i % 3 == 0).count();
            assert_eq!(fresh.len(), expected, "{f:?}");
            let total = r.kept_watch_total(TODAY, f).await.expect("total");
            assert_eq!(total.value, expected, "{f:?}");
            for per in [1, 4, 50] {
                for offset in (0..expected + 2).step_by(per) {
                    let page = r.kept_watch_rows(f, offset, per).await.expect("page");
                    let want: Vec<_> = fresh.iter().skip(offset).take(per).cloned().collect();
                    assert_eq!(page, want, "{f:?} rows {} to {}", offset + 1, offset + per);
                }
            }
            assert!(r.kept_watch_rows(f, 0, 0).await.expect("none").is_empty());
        }
        // Among services of one score, names in byte order (worked out here, not by the store).
        let all = r.compute_watch_list(TODAY, &WatchFilter::default(), usize::MAX).await.expect("all");
        for pair in all.windows(2) {
            if pair[0].total == pair[1].total {
                assert!(pair[0].service_name.as_bytes() < pair[1].service_name.as_bytes(), "{pair:?}");
            }
        }
    }
}
