//! Issue 16 item 13 on both backends: CQC changes to acknowledge. The changes an import lists are
//! exactly those worked out here from the two files (ratings moved between grades, new
//! registered services in the area, services gone from the area's register); the import that
//! fills an empty register lists none; acknowledging records who and when once; re-importing an
//! unchanged file lists nothing new.

use std::collections::BTreeSet;

use caremarket_core::Date;
use caremarket_core::access::Role;
use caremarket_core::register::cqc_changes::CqcChangeKind;
use caremarket_core::register::import_plan::Completeness;
use caremarket_core::register::{CqcLocation, CqcRatingSet, Rating, RegistrationStatus};
use caremarket_store::import::ImportOptions;
use caremarket_store::register::CqcChangeFilter;
use caremarket_store::users::NewUser;
use caremarket_store::{Actor, AuditQuery, Store};
use caremarket_testkit as testing;

const COUNCIL: &str = "Oldham";

fn d(s: &str) -> Date {
    s.parse().expect("date")
}

fn rating(overall: Rating, date: &str) -> CqcRatingSet {
    CqcRatingSet {
        overall: Some(overall),
        safe: Some(overall),
        effective: Some(Rating::Good),
        caring: Some(Rating::Good),
        responsive: Some(Rating::Good),
        well_led: Some(overall),
        report_date: Some(d(date)),
    }
}

fn loc(id: &str, name: &str, la: &str, types: &str, overall: Rating, date: &str) -> CqcLocation {
    let mut l = CqcLocation::new(id, name);
    l.provider_id = Some(format!("1-P{id}"));
    l.provider_name = Some(format!("{name} Ltd"));
    l.local_authority = Some(la.to_string());
    l.postcode = Some("OL1 1AA".into());
    l.service_types = vec![types.to_string()];
    l.registration_date = Some(d("2015-01-01"));
    l.rating = Some(rating(overall, date));
    l
}

fn first_file() -> Vec<CqcLocation> {
    vec![
        loc("1-100", "Alder House", COUNCIL, "Residential homes", Rating::Good, "2023-05-01"),
        loc("1-101", "Beech Nursing Home", COUNCIL, "Nursing homes", Rating::RequiresImprovement, "2019-03-01"),
        loc("1-102", "Cedar Homecare", COUNCIL, "Homecare agencies", Rating::Outstanding, "2024-01-10"),
        loc("1-103", "Damson Lodge", "Rochdale", "Residential homes", Rating::Inadequate, "2024-02-01"),
        loc("1-104", "Elm Court", COUNCIL, "Residential homes", Rating::Good, "2022-02-02"),
        loc("1-105", "Fir Tree Care", COUNCIL, "Homecare agencies", Rating::Good, "2021-06-01"),
    ]
}

/// A month later: Alder House falls, Beech Nursing Home rises, Cedar Homecare has an "Inspected
/// but not rated" report (not a change), Damson Lodge (outside the area) rises, Elm Court is
/// gone from the complete file, Fir Tree Care is listed as deregistered, and two services are
/// new: one in the area, one outside it.
fn second_file() -> Vec<CqcLocation> {
    let mut f = first_file();
    f[0].rating = Some(rating(Rating::RequiresImprovement, "2024-06-01"));
    f[1].rating = Some(rating(Rating::Good, "2024-07-01"));
    f[2].rating_history =
        vec![CqcRatingSet { overall: Some(Rating::InspectedButNotRated), report_date: Some(d("2024-08-01")), ..Default::default() }];
    f[3].rating = Some(rating(Rating::Good, "2024-07-15"));
    f[5].registration_status = RegistrationStatus::Deregistered;
    f[5].deregistration_date = Some(d("2024-07-31"));
    f.remove(4);
    let mut new_here = loc("1-106", "Gorse View", COUNCIL, "Residential homes", Rating::Good, "2024-07-20");
    new_here.registration_date = Some(d("2024-05-01"));
    f.push(new_here);
    f.push(loc("1-107", "Hazel Mews", "Rochdale", "Residential homes", Rating::Good, "2024-07-20"));
    f
}

fn opts() -> ImportOptions {
    ImportOptions {
        file_name: "directory.csv".into(),
        format: "test".into(),
        complete_register: true,
        council_local_authorities: vec![COUNCIL.into()],
        completeness: Completeness::Complete,
        ..Default::default()
    }
}

async fn import(store: &Store, records: &[CqcLocation]) {
    store.import_cqc(&Actor::system("test"), &opts(), records, Vec::new(), &mut |_, _| {}).await.expect("import");
}

/// (service name, kind, from, to) of a change.
type Listed = (String, CqcChangeKind, Option<Rating>, Option<Rating>);

/// The changes from the first file to the second, worked out from the files alone.
fn expected(before: &[CqcLocation], after: &[CqcLocation]) -> BTreeSet<Listed> {
    let here = |l: &CqcLocation| l.local_authority.as_deref() == Some(COUNCIL);
    let grade = |l: &CqcLocation| l.rating.as_ref().and_then(|r| r.overall).filter(|r| r.is_grade());
    let mut out = BTreeSet::new();
    for a in after.iter().filter(|l| here(l)) {
        match before.iter().find(|b| b.location_id == a.location_id) {
            None if a.registration_status == RegistrationStatus::Registered => {
                out.insert((a.name.clone(), CqcChangeKind::NewService, None, None));
            }
            None => {}
            Some(b) => {
                if let (Some(from), Some(to)) = (grade(b), grade(a))
                    && from != to
                {
                    out.insert((a.name.clone(), CqcChangeKind::RatingChange, Some(from), Some(to)));
                }
                if b.registration_status == RegistrationStatus::Registered && a.registration_status == RegistrationStatus::Deregistered {
                    out.insert((a.name.clone(), CqcChangeKind::Deregistered, None, None));
                }
            }
        }
    }
    for b in before.iter().filter(|l| here(l) && !after.iter().any(|a| a.location_id == l.location_id)) {
        out.insert((b.name.clone(), CqcChangeKind::Deregistered, None, None));
    }
    out
}

async fn listed(store: &Store, acknowledged: bool) -> Vec<caremarket_store::register::CqcChange> {
    store.cqc_changes(&CqcChangeFilter { acknowledged, kind: None }).await.expect("changes")
}

fn as_set(list: &[caremarket_store::register::CqcChange]) -> BTreeSet<Listed> {
    list.iter().map(|c| (c.service_name.clone(), c.kind, c.rating_from, c.rating_to)).collect()
}

#[tokio::test]
async fn an_import_lists_exactly_its_changes_until_they_are_acknowledged() {
    for store in testing::all_backends().await.expect("stores") {
        let b = store.backend();
        store.set_setting("council_local_authorities", COUNCIL).await.expect("setting");
        import(&store, &first_file()).await;
        assert!(listed(&store, false).await.is_empty(), "{b:?}: the first import is the starting point");

        import(&store, &second_file()).await;
        let new = listed(&store, false).await;
        let want = expected(&first_file(), &second_file());
        assert_eq!(want.len(), 5, "{b:?}: two rating changes, one new service, two deregistrations: {want:?}");
        assert_eq!(as_set(&new), want, "{b:?}");
        assert_eq!(new.len(), want.len(), "{b:?}: each change once");
        assert_eq!(store.unacknowledged_cqc_change_count().await.expect("count"), 5, "{b:?}");
        // Dated by the report, the registration or the deregistration, and found by the import.
        let on = |name: &str| new.iter().find(|c| c.service_name == name).and_then(|c| c.on_date);
        assert_eq!(on("Alder House"), Some(d("2024-06-01")), "{b:?}");
        assert_eq!(on("Gorse View"), Some(d("2024-05-01")), "{b:?}");
        assert_eq!(on("Fir Tree Care"), Some(d("2024-07-31")), "{b:?}");
        assert!(new.iter().all(|c| c.import_file_name == "directory.csv" && c.acknowledged_at.is_none()), "{b:?}");
        let falls =
            store.cqc_changes(&CqcChangeFilter { acknowledged: false, kind: Some(CqcChangeKind::RatingChange) }).await.expect("kind");
        assert_eq!(falls.len(), 2, "{b:?}");

        // Acknowledged by a commissioner, with a note: who (their name) and when.
        let user = store
            .create_user(
                &Actor::system("test"),
                NewUser {
                    email: "cam@example.test",
                    display_name: "Cam Holroyd",
                    password: "a-long-test-password-9",
                    role: Role::Commissioner,
                    provider_id: None,
                    must_change_password: false,
                },
            )
            .await
            .expect("user");
        let cam = Actor::user(&user.id, "cam@example.test");
        let ids: Vec<String> = falls.iter().map(|c| c.id.clone()).collect();
        assert_eq!(store.acknowledge_cqc_changes(&cam, &ids, Some("Visits booked")).await.expect("ack"), 2, "{b:?}");
        assert_eq!(store.acknowledge_cqc_changes(&cam, &ids, None).await.expect("again"), 0, "{b:?}: the first acknowledgement stands");
        assert_eq!(store.unacknowledged_cqc_change_count().await.expect("count"), 3, "{b:?}");
        let done = listed(&store, true).await;
        assert_eq!(done.len(), 2, "{b:?}");
        assert!(
            done.iter().all(|c| c.acknowledged_by_name.as_deref() == Some("Cam Holroyd")
                && c.acknowledged_at.is_some()
                && c.note.as_deref() == Some("Visits booked")),
            "{b:?}: {done:?}"
        );
        let (audit, _) = store
            .audit_entries(&AuditQuery { entity_type: Some("cqc_change".into()), limit: 50, ..Default::default() })
            .await
            .expect("audit");
        assert_eq!(audit.len(), 2, "{b:?}: each acknowledgement audited");
        assert!(Store::acknowledge_cqc_changes(&store, &Actor::system("x"), &ids, None).await.is_err(), "{b:?}: only a person");

        // The same file again: nothing new.
        import(&store, &second_file()).await;
        assert_eq!((listed(&store, false).await.len(), listed(&store, true).await.len()), (3, 2), "{b:?}");
    }
}
