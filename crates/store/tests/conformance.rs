//! One conformance suite, run against every backend available (SQLite always; PostgreSQL when
//! CAREMARKET_TEST_POSTGRES_URL is set). Each test gets a fresh database.

use caremarket_core::Date;
use caremarket_core::access::Role;
use caremarket_core::register::import_plan::Completeness;
use caremarket_core::register::{
    ContractStatus, CqcLocation, CqcRatingSet, KeyQuestion, Rating, RegistrationStatus, Rejection, ServiceKind, Specialism,
};
use caremarket_store::import::ImportOptions;
use caremarket_store::placements::NewPlacement;
use caremarket_store::register::{CouncilFields, NewService, ServiceFilter};
use caremarket_store::users::NewUser;
use caremarket_store::{Actor, AuditQuery, Store};
use caremarket_testkit as testing;

fn d(s: &str) -> Date {
    s.parse().expect("date")
}

fn actor() -> Actor {
    Actor::system("test")
}

fn loc(id: &str, name: &str, la: &str, types: &[&str], overall: Rating, date: &str) -> CqcLocation {
    let mut l = CqcLocation::new(id, name);
    l.provider_id = Some(format!("1-P{id}"));
    l.provider_name = Some(format!("{name} Ltd"));
    l.local_authority = Some(la.to_string());
    l.postcode = Some("OL1 1AA".into());
    l.service_types = types.iter().map(|s| s.to_string()).collect();
    l.specialisms = vec![Specialism::Dementia];
    l.rating = Some(CqcRatingSet {
        overall: Some(overall),
        safe: Some(overall),
        effective: Some(Rating::Good),
        caring: Some(Rating::Good),
        responsive: Some(Rating::Good),
        well_led: Some(overall),
        report_date: Some(d(date)),
    });
    l.last_inspection_date = Some(d(date));
    l
}

fn opts(complete: bool) -> ImportOptions {
    ImportOptions {
        file_name: "test.csv".into(),
        format: "test".into(),
        complete_register: complete,
        council_local_authorities: vec!["Oldham".into()],
        completeness: if complete { Completeness::Complete } else { Completeness::Partial },
        ..Default::default()
    }
}

async fn import(store: &Store, records: &[CqcLocation], complete: bool) -> caremarket_store::import::ImportReport {
    store.import_cqc(&actor(), &opts(complete), records, Vec::new(), &mut |_, _| {}).await.expect("import")
}

fn base_file() -> Vec<CqcLocation> {
    vec![
        loc("1-100", "Alder House", "Oldham", &["Residential homes"], Rating::Good, "2023-05-01"),
        loc("1-101", "Beech Nursing Home", "Oldham", &["Nursing homes"], Rating::RequiresImprovement, "2019-03-01"),
        loc("1-102", "Cedar Homecare", "Oldham", &["Homecare agencies"], Rating::Outstanding, "2024-01-10"),
        loc("1-103", "Damson Lodge", "Rochdale", &["Residential homes"], Rating::Inadequate, "2024-02-01"),
    ]
}

#[tokio::test]
async fn migrations_are_idempotent() {
    for store in testing::all_backends().await.expect("stores") {
        let applied = store.migrate().await.expect("migrate again");
        assert!(applied.is_empty(), "{:?}: second migrate applied {applied:?}", store.backend());
        let applied = store.migrations_applied().await.expect("list");
        assert_eq!(applied.first().map(String::as_str), Some("0001_register"));
        assert!(applied.windows(2).all(|w| w[0] < w[1]), "applied in order: {applied:?}");
    }
}

#[tokio::test]
async fn cqc_import_is_idempotent_and_records_changes() {
    for store in testing::all_backends().await.expect("stores") {
        let b = store.backend();
        let r = import(&store, &base_file(), true).await;
        assert_eq!((r.new, r.updated, r.unchanged, r.deregistered), (4, 0, 0, 0), "{b:?}");

        // Same file again: nothing changes, not even timestamps.
        let before = store.service_by_location_id("1-100").await.expect("q").expect("exists");
        let r = import(&store, &base_file(), true).await;
        assert_eq!((r.new, r.updated, r.unchanged, r.deregistered), (0, 0, 4, 0), "{b:?}");
        let after = store.service_by_location_id("1-100").await.expect("q").expect("exists");
        assert_eq!(before.updated_at, after.updated_at);
        assert_eq!(store.rating_history(&after.id).await.expect("h").len(), 1);

        // The council sets contract fields; a new file changes a rating and drops a location.
        let fw = store.create_framework(&actor(), "Care Homes", None, None, None, &["Residential"]).await.expect("fw");
        let lot = store.frameworks().await.expect("fws")[0].lots[0].id.clone();
        store
            .update_council_fields(
                &actor(),
                &after.id,
                &CouncilFields {
                    contract_status: ContractStatus::Framework,
                    framework_id: Some(fw.clone()),
                    lot_id: Some(lot.clone()),
                    contract_start: Some(d("2024-04-01")),
                    contract_end: None,
                    council_notes: Some("Keep an eye on staffing".into()),
                    kind: None,
                },
                caremarket_core::versions::Version::new(store.service(&after.id).await.expect("service").version).expect("version"),
            )
            .await
            .expect("edit");
        let mut next = base_file();
        next[0].rating = Some(CqcRatingSet {
            overall: Some(Rating::RequiresImprovement),
            safe: Some(Rating::Inadequate),
            effective: Some(Rating::Good),
            caring: Some(Rating::Good),
            responsive: Some(Rating::Good),
            well_led: Some(Rating::RequiresImprovement),
            report_date: Some(d("2024-06-01")),
        });
        next.remove(2); // Cedar Homecare left the register
        next.push(loc("1-104", "Elm Court", "Oldham", &["Supported living"], Rating::Good, "2024-03-01"));
        let r = import(&store, &next, true).await;
        assert_eq!((r.new, r.updated, r.unchanged, r.deregistered), (1, 1, 2, 1), "{b:?}");

        let alder = store.service_by_location_id("1-100").await.expect("q").expect("exists");
        assert_eq!(alder.ratings.overall, Some(Rating::RequiresImprovement));
        assert_eq!(alder.ratings.safe, Some(Rating::Inadequate));
        assert_eq!(alder.contract_status, ContractStatus::Framework, "council fields survive import");
        assert_eq!(alder.council_notes.as_deref(), Some("Keep an eye on staffing"));
        let history = store.rating_history(&alder.id).await.expect("h");
        assert_eq!(history.len(), 2);
        assert_eq!(history[0].overall, Some(Rating::RequiresImprovement));
        assert_eq!(history[0].previous_overall, Some(Rating::Good));

        let cedar = store.service_by_location_id("1-102").await.expect("q").expect("kept, not deleted");
        assert_eq!(cedar.registration_status, "deregistered");

        // The change shows in the 90-day list and the filter behind it.
        let changes = store.rating_changes(d("2024-05-01")).await.expect("changes");
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].service_name, "Alder House");
        let page =
            store.services(&ServiceFilter { rating_changed_since: Some(d("2024-05-01")), ..Default::default() }).await.expect("list");
        assert_eq!(page.total, 1);

        // Audit: the council edit has before and after.
        let (entries, _) =
            store.audit_entries(&AuditQuery { entity_id: Some(alder.id.clone()), ..Default::default() }).await.expect("audit");
        let edit = entries.iter().find(|e| e.action == "update").expect("edit audited");
        assert!(edit.before_json.as_deref().unwrap_or("").contains("not_contracted"));
        assert!(edit.after_json.as_deref().unwrap_or("").contains("framework"));
    }
}

#[tokio::test]
async fn api_documents_do_not_deregister_absent_locations() {
    for store in testing::all_backends().await.expect("stores") {
        import(&store, &base_file(), false).await;
        let mut one = vec![base_file()[0].clone()];
        one[0].registration_status = RegistrationStatus::Deregistered;
        one[0].deregistration_date = Some(d("2024-07-01"));
        let r = import(&store, &one, false).await;
        assert_eq!(r.deregistered, 1);
        let still = store.service_by_location_id("1-101").await.expect("q").expect("exists");
        assert_eq!(still.registration_status, "registered");
    }
}

#[tokio::test]
async fn rejected_rows_are_reported_and_kept_with_the_import() {
    for store in testing::all_backends().await.expect("stores") {
        let rej = vec![Rejection {
            row: 212,
            location_id: Some("1-9".into()),
            reason: "'Overall rating' must be one of ...; found 'Gud'".into(),
        }];
        let r = store.import_cqc(&actor(), &opts(true), &base_file(), rej, &mut |_, _| {}).await.expect("import");
        assert_eq!(r.rejected, 1);
        let stored = store.import(&r.id).await.expect("import record");
        assert_eq!(stored.rejections[0].row, 212);
        assert_eq!(stored.new, 4);
    }
}

#[tokio::test]
async fn filters_and_figures() {
    for store in testing::all_backends().await.expect("stores") {
        let b = store.backend();
        import(&store, &base_file(), true).await;
        let all = store.services(&ServiceFilter::default()).await.expect("list");
        assert_eq!(all.total, 3, "{b:?}: out-of-area Damson Lodge is not in the default list");
        let out = store.services(&ServiceFilter { in_area: Some(false), ..Default::default() }).await.expect("list");
        assert_eq!(out.items[0].name, "Damson Lodge");
        let homes = store
            .services(&ServiceFilter { kinds: vec![ServiceKind::CareHomeNursing, ServiceKind::CareHomeResidential], ..Default::default() })
            .await
            .expect("list");
        assert_eq!(homes.total, 2);
        let good = store.services(&ServiceFilter { rating: Some("good_or_outstanding".into()), ..Default::default() }).await.expect("list");
        assert_eq!(good.total, 2);
        let kq = store
            .services(&ServiceFilter {
                key_question: Some(KeyQuestion::WellLed),
                key_question_rating: Some(Rating::RequiresImprovement),
                ..Default::default()
            })
            .await
            .expect("list");
        assert_eq!(kq.items.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), vec!["Beech Nursing Home"]);
        let dementia = store.services(&ServiceFilter { specialism: Some(Specialism::Dementia), ..Default::default() }).await.expect("list");
        assert_eq!(dementia.total, 3);
        assert_eq!(dementia.items[0].specialisms, vec![Specialism::Dementia]);
        let old = store.services(&ServiceFilter { not_inspected_since: Some(d("2020-01-01")), ..Default::default() }).await.expect("list");
        assert_eq!(old.items.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), vec!["Beech Nursing Home"]);
        let search = store.services(&ServiceFilter { q: Some("cedar".into()), ..Default::default() }).await.expect("list");
        assert_eq!(search.total, 1);

        let f = store.market_figures(d("2020-01-01"), d("2024-01-01")).await.expect("figures");
        assert_eq!(f.total_services, 3);
        let res = f.by_kind.iter().find(|k| k.kind == ServiceKind::CareHomeResidential).expect("row");
        assert_eq!((res.services, res.rated, res.good_or_outstanding), (1, 1, 1));
        assert_eq!(res.percent_good_or_outstanding, Some(100.0));
        assert_eq!(f.not_inspected_since, 1);
        assert_eq!(f.never_inspected, 0);
    }
}

#[tokio::test]
async fn council_field_rules() {
    for store in testing::all_backends().await.expect("stores") {
        import(&store, &base_file(), true).await;
        let s = store.service_by_location_id("1-100").await.expect("q").expect("exists");
        let err = store
            .update_council_fields(
                &actor(),
                &s.id,
                &CouncilFields {
                    contract_status: ContractStatus::Framework,
                    framework_id: None,
                    lot_id: None,
                    contract_start: None,
                    contract_end: None,
                    council_notes: None,
                    kind: None,
                },
                caremarket_core::versions::Version::new(store.service(&s.id).await.expect("service").version).expect("version"),
            )
            .await
            .expect_err("framework needed");
        assert!(err.to_string().contains("framework_id"), "{err}");
        let err = store
            .update_council_fields(
                &actor(),
                &s.id,
                &CouncilFields {
                    contract_status: ContractStatus::SpotPurchase,
                    framework_id: None,
                    lot_id: None,
                    contract_start: Some(d("2024-05-01")),
                    contract_end: Some(d("2024-04-01")),
                    council_notes: None,
                    kind: None,
                },
                caremarket_core::versions::Version::new(store.service(&s.id).await.expect("service").version).expect("version"),
            )
            .await
            .expect_err("end before start");
        assert!(err.to_string().contains("contract_end"), "{err}");
        // Nothing was written by the refused edits.
        let (entries, _) = store.audit_entries(&AuditQuery { entity_id: Some(s.id.clone()), ..Default::default() }).await.expect("audit");
        assert!(entries.iter().all(|e| e.action != "update"));
    }
}

#[tokio::test]
async fn users_tokens_and_placements() {
    for store in testing::all_backends().await.expect("stores") {
        let u = store
            .create_user(
                &actor(),
                NewUser {
                    email: "Officer@Council.gov.uk",
                    display_name: "An Officer",
                    password: "long-enough-password",
                    role: Role::Commissioner,
                    provider_id: None,
                    must_change_password: false,
                },
            )
            .await
            .expect("user");
        assert_eq!(u.email, "officer@council.gov.uk");
        assert!(store.authenticate("officer@council.gov.uk", "long-enough-password").await.expect("auth").is_some());
        assert!(store.authenticate("officer@council.gov.uk", "wrong").await.expect("auth").is_none());
        let short = store
            .create_user(
                &actor(),
                NewUser {
                    email: "x@y.z",
                    display_name: "X",
                    password: "short",
                    role: Role::Viewer,
                    provider_id: None,
                    must_change_password: false,
                },
            )
            .await;
        assert!(short.is_err());
        let (_, secret) = store.create_api_token(&actor(), &u.id, "Power BI").await.expect("token");
        assert_eq!(store.user_for_token(&secret).await.expect("lookup").map(|u| u.id), Some(u.id.clone()));
        store.set_user_active(&actor(), &u.id, false).await.expect("deactivate");
        assert!(store.user_for_token(&secret).await.expect("lookup").is_none());
        assert!(store.authenticate("officer@council.gov.uk", "long-enough-password").await.expect("auth").is_none());

        import(&store, &base_file(), true).await;
        let damson = store.service_by_location_id("1-103").await.expect("q").expect("exists");
        let alder = store.service_by_location_id("1-100").await.expect("q").expect("exists");
        let p = NewPlacement {
            person_ref: "NM-104233".into(),
            service_id: damson.id.clone(),
            host_authority: None,
            funder: "council".into(),
            reason: Some("Family nearby".into()),
            start_date: d("2024-01-01"),
            host_restrictions: None,
        };
        let id = store.create_placement(&actor(), &p).await.expect("placement");
        let list = store.placements(false).await.expect("list");
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].host_authority, "Rochdale");
        assert_eq!(list[0].ratings.overall, Some(Rating::Inadequate));
        let in_area = store.create_placement(&actor(), &NewPlacement { service_id: alder.id.clone(), ..p.clone() }).await;
        assert!(in_area.expect_err("in area").to_string().contains("in the council's area"));
        let name = store.create_placement(&actor(), &NewPlacement { person_ref: "Jane Smith".into(), ..p.clone() }).await;
        assert!(name.expect_err("name").to_string().contains("person_ref"));
        store.end_placement(&actor(), &id, d("2024-06-01")).await.expect("end");
        assert!(store.placements(false).await.expect("list").is_empty());
    }
}

#[tokio::test]
async fn council_services_without_cqc() {
    for store in testing::all_backends().await.expect("stores") {
        store.create_area(&actor(), "Central", &["OL1"]).await.expect("area");
        let pid = store.create_provider(&actor(), None, "Northmoor Day Opportunities", None, None).await.expect("provider");
        let id = store
            .create_service(
                &actor(),
                &NewService {
                    address_line: Some("1 Mill Lane".into()),
                    town: Some("Northmoor".into()),
                    postcode: Some("ol1 9zz".into()),
                    local_authority: Some("Oldham".into()),
                    registration_status: "not_registered".into(),
                    specialisms: vec![Specialism::LearningDisabilities],
                    contract_status: ContractStatus::DirectAward,
                    ..caremarket_testkit::service(pid, "Riverside Day Centre", ServiceKind::DayServices)
                },
            )
            .await
            .expect("service");
        let s = store.service(&id).await.expect("get");
        assert_eq!(s.postcode.as_deref(), Some("OL1 9ZZ"));
        assert_eq!(s.area_name.as_deref(), Some("Central"));
        let f = store.market_figures(d("2020-01-01"), d("2024-01-01")).await.expect("figures");
        assert_eq!(f.never_inspected, 0, "services CQC does not regulate are never 'never inspected'");
    }
}

#[tokio::test]
async fn settings_changed_by_someone_are_audited() {
    for store in testing::all_backends().await.expect("stores") {
        store.set_setting_by(&actor(), "council_name", "Northmoor Borough Council").await.expect("set");
        store.set_setting_by(&actor(), "council_name", "Northmoor Council").await.expect("set");
        assert_eq!(store.setting("council_name").await.expect("get").as_deref(), Some("Northmoor Council"));
        let (entries, _) =
            store.audit_entries(&AuditQuery { entity_type: Some("setting".into()), ..Default::default() }).await.expect("audit");
        assert_eq!(entries.len(), 2);
        assert!(entries[0].before_json.as_deref().unwrap_or("").contains("Northmoor Borough Council"));
        assert!(entries[0].after_json.as_deref().unwrap_or("").contains("Northmoor Council"));
    }
}
