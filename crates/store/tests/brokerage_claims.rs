//! Issue 16 item 10 on both backends: a package offered to every eligible provider at once goes
//! to the first to accept (a conditional update: two acceptances at the same moment cannot both
//! win), the others' offers are withdrawn with the date, and one officer works a request at a
//! time (claim, take over, release; offers refused to an officer who does not hold it).

use caremarket_core::access::Role;
use caremarket_core::capacity::brokerage::{Lot, Route};
use caremarket_core::register::{Rating, ServiceKind};
use caremarket_store::capacity::NewPackageRequest;
use caremarket_store::register::{NewService, RatingRecord};
use caremarket_store::users::NewUser;
use caremarket_store::{Actor, AuditQuery, Store, StoreError};
use jiff::Timestamp;
use jiff::civil::{Date, date};

const TODAY: Date = date(2024, 11, 8);

fn system() -> Actor {
    Actor::system("test")
}

fn home_care(provider_id: &str, name: &str, fw: Option<(&str, &str)>) -> NewService {
    caremarket_testkit::on_framework(caremarket_testkit::service(provider_id, name, ServiceKind::HomeCare), fw)
}

struct Market {
    area: String,
    /// (provider id, service id) of the framework services rated Good with spare hours: eligible.
    eligible: Vec<(String, String)>,
    /// Spot-purchased: not eligible.
    spot: String,
    bev: Actor,
    bo: Actor,
}

async fn market(s: &Store) -> Market {
    let a = system();
    let area = s.create_area(&a, "North", &["TT1"]).await.expect("area");
    let fw = s
        .create_framework(&a, "Home Care Framework", Some(ServiceKind::HomeCare), None, None, &["General", "High Dependency"])
        .await
        .expect("fw");
    let general = s.frameworks().await.expect("fws")[0].lots.iter().find(|l| l.name == "General").expect("lot").id.clone();
    let mut eligible = Vec::new();
    let mut spot = String::new();
    for (name, framework) in [("Alder Care", true), ("Birch Care", true), ("Cedar Care", true), ("Spot Care", false)] {
        let p = s.create_provider(&a, None, &format!("{name} Ltd"), None, None).await.expect("provider");
        let id = s
            .create_service(&a, &home_care(&p, name, if framework { Some((fw.as_str(), general.as_str())) } else { None }))
            .await
            .expect("service");
        s.add_rating(
            &a,
            &id,
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
        s.declare_spare_capacity(&a, &id, Some(&area), "general", "minutes", 40 * 60, TODAY).await.expect("spare");
        if framework {
            eligible.push((p, id));
        } else {
            spot = id;
        }
    }
    let officer = |email: &'static str, name: &'static str| async move {
        let u = s
            .create_user(
                &a_sys(),
                NewUser {
                    email,
                    display_name: name,
                    password: "a-long-test-password-9",
                    role: Role::BrokerageOfficer,
                    provider_id: None,
                    must_change_password: false,
                },
            )
            .await
            .expect("user");
        Actor::user(&u.id, email)
    };
    let bev = officer("bev@test", "Bev Schofield").await;
    let bo = officer("bo@test", "Bo Ridley").await;
    Market { area, eligible, spot, bev, bo }
}

fn a_sys() -> Actor {
    system()
}

fn request(area: &str) -> NewPackageRequest {
    NewPackageRequest {
        person_ref: "AB12345".into(),
        area_id: area.into(),
        minutes_per_week: 14 * 60,
        visits_per_day: 2,
        visit_times: "08:00, 18:00".into(),
        double_up_visits: 0,
        lot: Lot::General,
        needs: vec![],
        language: None,
        cultural_needs: None,
        route: Route::HospitalDischarge,
        requested_at: "2024-11-08T09:00:00Z".parse().expect("ts"),
    }
}

fn now() -> Timestamp {
    "2024-11-08T12:00:00Z".parse().expect("now")
}

fn message(e: StoreError, field: &str) -> String {
    match e {
        StoreError::Invalid(f) => {
            assert_eq!(f.field, field, "{}", f.message);
            f.message
        }
        other => panic!("expected a refusal of {field}, got {other}"),
    }
}

#[tokio::test]
async fn offered_to_all_the_first_to_accept_wins_and_the_others_are_withdrawn() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let m = market(&s).await;
        let id = s.create_package_request(&m.bev, &request(&m.area), now()).await.expect("request");
        // The officer was shown one provider fewer than there are: nothing is offered.
        let n = m.eligible.len();
        let e = message(s.offer_to_all(&m.bev, &id, Some(n - 1), TODAY).await.unwrap_err(), "offer_all");
        assert!(e.contains(&format!("changed from {} to {n}", n - 1)), "{e}");
        assert!(s.package_request(&id).await.expect("req").offers.is_empty());

        assert_eq!(s.offer_to_all(&m.bev, &id, Some(n), TODAY).await.expect("offer to all"), n);
        let req = s.package_request(&id).await.expect("req");
        assert_eq!(req.status, "offered");
        // Offering claims an unclaimed request for the officer.
        assert_eq!(req.claimed_by.as_deref(), m.bev.user_id.as_deref());
        assert_eq!(req.claimed_by_name.as_deref(), Some("Bev Schofield"));
        let mut offered: Vec<_> = req.offers.iter().map(|o| o.service_id.clone()).collect();
        offered.sort();
        let mut expected: Vec<_> = m.eligible.iter().map(|(_, sid)| sid.clone()).collect();
        expected.sort();
        assert_eq!(offered, expected, "every eligible service offered, the spot-purchased one not");
        assert!(!offered.contains(&m.spot));
        assert!(req.offers.iter().all(|o| o.status == "offered" && o.offered_to_all == 1));
        // Each provider sees its offer.
        for (p, sid) in &m.eligible {
            let mine = s.offers_for_provider(p).await.expect("offers");
            assert_eq!(mine.len(), 1);
            assert_eq!(&mine[0].offer.service_id, sid);
        }

        // The second provider accepts first and wins.
        let offer_of = |sid: &str| req.offers.iter().find(|o| o.service_id == sid).expect("offer").id.clone();
        let (winner_p, winner_s) = &m.eligible[1];
        s.respond_to_offer(&system(), &offer_of(winner_s), true, None, Some(winner_p)).await.expect("accept");
        let after = s.package_request(&id).await.expect("req");
        assert_eq!(after.status, "accepted");
        assert_eq!(after.service_id.as_deref(), Some(winner_s.as_str()));
        for o in &after.offers {
            if &o.service_id == winner_s {
                assert_eq!(o.status, "accepted");
            } else {
                assert_eq!(o.status, "withdrawn", "{}", o.service_name);
                assert!(o.responded_at.is_some(), "withdrawn with the date");
            }
        }
        // A later acceptance by another provider is refused, saying why and when; nothing changes.
        let (late_p, late_s) = &m.eligible[2];
        let e = message(s.respond_to_offer(&system(), &offer_of(late_s), true, None, Some(late_p)).await.unwrap_err(), "response");
        assert!(e.starts_with("This offer was withdrawn on ") && e.ends_with("another provider accepted the package first"), "{e}");
        let same = s.package_request(&id).await.expect("req");
        assert_eq!(same.service_id.as_deref(), Some(winner_s.as_str()));
        assert_eq!(same.offers.iter().filter(|o| o.status == "accepted").count(), 1);
        // The provider's own list says withdrawn.
        let late = s.offers_for_provider(late_p).await.expect("offers");
        assert_eq!(late[0].offer.status, "withdrawn");
        // Once placed, no more offers.
        let e = message(s.offer_to_all(&m.bev, &id, None, TODAY).await.unwrap_err(), "offer_all");
        assert_eq!(e, "This package is accepted: it cannot be offered");
        assert!(s.offer_package(&m.bev, &id, &m.eligible[0].1, TODAY).await.is_err());
    }
}

#[tokio::test]
async fn two_acceptances_at_the_same_moment_cannot_both_win() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let m = market(&s).await;
        for round in 0..3 {
            let id = s.create_package_request(&m.bev, &request(&m.area), now()).await.expect("request");
            s.offer_to_all(&m.bev, &id, None, TODAY).await.expect("offer to all");
            let req = s.package_request(&id).await.expect("req");
            let offer_of = |sid: &str| req.offers.iter().find(|o| o.service_id == sid).expect("offer").id.clone();
            let (p1, s1) = &m.eligible[0];
            let (p2, s2) = &m.eligible[2];
            let (o1, o2) = (offer_of(s1), offer_of(s2));
            let sys = system();
            let (r1, r2) =
                tokio::join!(s.respond_to_offer(&sys, &o1, true, None, Some(p1)), s.respond_to_offer(&sys, &o2, true, None, Some(p2)),);
            assert!(r1.is_ok() != r2.is_ok(), "round {round}: exactly one acceptance wins ({r1:?}, {r2:?})");
            let (lost, winner) = if r1.is_ok() { (r2, s1) } else { (r1, s2) };
            let e = message(lost.unwrap_err(), "response");
            assert!(e.contains("another provider accepted") || e.contains("Another provider accepted"), "{e}");
            let after = s.package_request(&id).await.expect("req");
            assert_eq!(after.status, "accepted");
            assert_eq!(after.service_id.as_deref(), Some(winner.as_str()));
            assert_eq!(after.offers.iter().filter(|o| o.status == "accepted").count(), 1);
            assert_eq!(after.offers.iter().filter(|o| o.status == "withdrawn").count(), m.eligible.len() - 1);
        }
    }
}

#[tokio::test]
async fn one_officer_works_a_request_at_a_time() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let m = market(&s).await;
        let id = s.create_package_request(&m.bev, &request(&m.area), now()).await.expect("request");
        assert!(s.package_request(&id).await.expect("req").claimed_by.is_none());
        s.claim_request(&m.bev, &id).await.expect("claim");
        let req = s.package_request(&id).await.expect("req");
        assert_eq!(req.claimed_by_name.as_deref(), Some("Bev Schofield"));
        assert!(req.claimed_at.is_some());
        // Another officer is told who has it, and cannot claim, release, offer or record answers.
        let e = message(s.claim_request(&m.bo, &id).await.unwrap_err(), "claim");
        assert!(e.starts_with("Bev Schofield is working on this request (since "), "{e}");
        assert!(e.ends_with("take it over from them before changing it"), "{e}");
        message(s.release_request(&m.bo, &id).await.unwrap_err(), "claim");
        let e = message(s.offer_package(&m.bo, &id, &m.eligible[0].1, TODAY).await.unwrap_err(), "claim");
        assert!(e.starts_with("Bev Schofield is working"), "{e}");
        message(s.offer_to_all(&m.bo, &id, None, TODAY).await.unwrap_err(), "claim");
        assert!(s.package_request(&id).await.expect("req").offers.is_empty(), "nothing offered by the refused officer");
        // The holder offers; the other officer cannot record the provider's answer either.
        let offer = s.offer_package(&m.bev, &id, &m.eligible[0].1, TODAY).await.expect("offer");
        message(s.respond_to_offer(&m.bo, &offer, false, None, None).await.unwrap_err(), "claim");
        assert_eq!(s.offer(&offer).await.expect("offer").status, "offered");

        // Taking over needs the holder the officer saw: a stale page is refused.
        message(s.take_over_request(&m.bo, &id, "someone-else").await.unwrap_err(), "claim");
        let bev_id = m.bev.user_id.clone().expect("id");
        s.take_over_request(&m.bo, &id, &bev_id).await.expect("take over");
        let req = s.package_request(&id).await.expect("req");
        assert_eq!(req.claimed_by_name.as_deref(), Some("Bo Ridley"));
        let history = s.request_history(&id).await.expect("history");
        let took = history.iter().find(|e| e.summary == "Took the request over from Bev Schofield").expect("take-over in the history");
        assert_eq!(took.who, "Bo Ridley");
        // Now Bev is the one refused.
        message(s.respond_to_offer(&m.bev, &offer, true, None, None).await.unwrap_err(), "claim");
        message(s.release_request(&m.bev, &id).await.unwrap_err(), "claim");
        message(s.take_over_request(&m.bo, &id, &bev_id).await.unwrap_err(), "claim");
        // The holder releases; then no one has it, and it cannot be "taken over".
        s.release_request(&m.bo, &id).await.expect("release");
        assert!(s.package_request(&id).await.expect("req").claimed_by.is_none());
        let e = message(s.take_over_request(&m.bev, &id, &bev_id).await.unwrap_err(), "claim");
        assert_eq!(e, "No one is working on this request now: claim it instead");
        let history = s.request_history(&id).await.expect("history");
        let who_did = |summary: &str| history.iter().filter(|e| e.summary == summary).map(|e| e.who.clone()).collect::<Vec<_>>();
        assert_eq!(who_did("Claimed the request"), vec!["Bev Schofield".to_string()]);
        assert_eq!(who_did("Released the request"), vec!["Bo Ridley".to_string()]);
        // A change without a signed-in officer is refused while an officer holds the request.
        s.claim_request(&m.bev, &id).await.expect("claim again");
        message(s.respond_to_offer(&system(), &offer, true, None, None).await.unwrap_err(), "claim");
        // Care started: the claim ends, and there is nothing left to claim.
        s.respond_to_offer(&m.bev, &offer, true, None, None).await.expect("accept recorded by the holder");
        s.start_package(&m.bev, &id, "2024-11-08T11:00:00Z".parse().expect("ts"), now()).await.expect("start");
        let req = s.package_request(&id).await.expect("req");
        assert!(req.claimed_by.is_none());
        let e = message(s.claim_request(&m.bo, &id).await.unwrap_err(), "claim");
        assert_eq!(e, "This package is started: there is nothing left to work on");
    }
}

/// A plan's request: `n` picks its case reference and time (an hour apart, oldest first).
fn planned(area: &str, prefix: &str, n: usize) -> NewPackageRequest {
    NewPackageRequest {
        person_ref: format!("{prefix}{}", 1001 + n),
        requested_at: Timestamp::from_second(request(area).requested_at.as_second() - 3600 * (5 - n as i64)).expect("ts"),
        ..request(area)
    }
}

/// What an officer reads of a request: its status, who it is placed with and who works it, its
/// offers in order (service, status, note, answered or not) and its start.
type Shown = (String, Option<String>, Option<String>, Vec<(String, String, Option<String>, bool)>, Option<String>);

fn shown(r: &caremarket_store::capacity::PackageRequest) -> Shown {
    (
        r.status.clone(),
        r.service_name.clone(),
        r.claimed_by_name.clone(),
        r.offers.iter().map(|o| (o.service_name.clone(), o.status.clone(), o.response_note.clone(), o.responded_at.is_some())).collect(),
        r.started_at.clone(),
    )
}

#[tokio::test]
async fn bulk_package_requests_are_what_the_ordinary_functions_leave() {
    use caremarket_store::bulk::{BrokeredRequest, PackageStep};
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let m = market(&s).await;
        let name = |i: usize| ["Alder Care", "Birch Care", "Cedar Care"][i].to_string();
        let sid = |i: usize| m.eligible[i].1.clone();
        let offer = |i: usize| PackageStep::Offer { service_id: sid(i) };
        let answer = |offer: usize, accept: bool, note: Option<&str>| PackageStep::Answer { offer, accept, note: note.map(str::to_string) };
        let started: Timestamp = "2024-11-08T11:30:00Z".parse().expect("ts");
        // Declined (with a note to trim), offered again, accepted and started; accepted; not
        // offered; offered and open; declined with no note, so waiting again.
        let plans = [
            vec![
                offer(0),
                answer(0, false, Some("  No carers free  ")),
                offer(1),
                answer(1, true, None),
                PackageStep::Start { at: started },
            ],
            vec![offer(2), answer(0, true, None)],
            vec![],
            vec![offer(1)],
            vec![offer(0), answer(0, false, None)],
        ];
        let bev = Some("Bev Schofield".to_string());
        let expected: Vec<Shown> = vec![
            (
                "started".into(),
                Some(name(1)),
                None,
                vec![(name(0), "declined".into(), Some("No carers free".into()), true), (name(1), "accepted".into(), None, true)],
                Some(started.to_string()),
            ),
            ("accepted".into(), Some(name(2)), bev.clone(), vec![(name(2), "accepted".into(), None, true)], None),
            ("waiting".into(), None, None, vec![], None),
            ("offered".into(), None, bev.clone(), vec![(name(1), "offered".into(), None, false)], None),
            ("waiting".into(), None, bev.clone(), vec![(name(0), "declined".into(), None, true)], None),
        ];

        // The ordinary functions, one step at a time, by the brokerage officer.
        let mut ordinary = Vec::new();
        for (n, steps) in plans.iter().enumerate() {
            let id = s.create_package_request(&m.bev, &planned(&m.area, "OR", n), now()).await.expect("request");
            let assessed = s.eligible_providers(&s.package_request(&id).await.expect("req"), TODAY).await.expect("assess");
            let mut offers = Vec::new();
            for step in steps {
                match step {
                    PackageStep::Offer { service_id } => {
                        offers.push(s.offer_package_assessed(&m.bev, &id, &assessed, service_id).await.expect("offer"));
                    }
                    PackageStep::Answer { offer, accept, note } => {
                        s.respond_to_offer(&m.bev, &offers[*offer], *accept, note.as_deref(), None).await.expect("answer")
                    }
                    PackageStep::Start { at } => s.start_package(&m.bev, &id, *at, now()).await.expect("start"),
                }
            }
            ordinary.push(id);
        }
        let audit = |entity: &str| AuditQuery { entity_type: Some(entity.into()), limit: 100, ..Default::default() };
        let (_, offer_entries) = s.audit_entries(&audit("package_offer")).await.expect("audit");
        let (_, request_entries) = s.audit_entries(&audit("package_request")).await.expect("audit");

        // The same plans in one batch.
        let market = s.brokerage_market(TODAY).await.expect("market");
        let batch: Vec<BrokeredRequest> = plans
            .iter()
            .enumerate()
            .map(|(n, steps)| BrokeredRequest { request: planned(&m.area, "BK", n), steps: steps.clone() })
            .collect();
        assert_eq!(s.bulk_package_requests(&m.bev, &market, &batch, now()).await.expect("bulk"), plans.len());

        let all = s.package_requests("all").await.expect("all");
        for (n, want) in expected.iter().enumerate() {
            let bulk_id = &all.iter().find(|r| r.person_ref == format!("BK{}", 1001 + n)).expect("bulk request").id;
            let (by_hand, by_bulk) = (s.package_request(&ordinary[n]).await.expect("req"), s.package_request(bulk_id).await.expect("req"));
            assert_eq!(&shown(&by_hand), want, "ordinary request {n}");
            assert_eq!(&shown(&by_bulk), want, "bulk request {n}");
            assert_eq!((by_bulk.requested_at, by_bulk.area_name), (by_hand.requested_at, by_hand.area_name));
        }
        // The awaiting-care list, oldest first: every plan not started, in both.
        let waiting = s.package_requests("waiting").await.expect("waiting");
        let listed = |prefix: &str| -> Vec<String> {
            waiting.iter().filter(|r| r.person_ref.starts_with(prefix)).map(|r| r.person_ref[2..].to_string()).collect()
        };
        let not_started: Vec<String> =
            expected.iter().enumerate().filter(|(_, e)| e.0 != "started").map(|(n, _)| (1001 + n).to_string()).collect();
        assert_eq!(listed("OR"), not_started);
        assert_eq!(listed("BK"), not_started);

        // One audit entry for the batch, none per request or offer.
        let (entries, total) = s.audit_entries(&audit("package_request")).await.expect("audit");
        assert_eq!(total, request_entries + 1);
        let offers: usize = plans.iter().map(|p| p.iter().filter(|s| matches!(s, PackageStep::Offer { .. })).count()).sum();
        let offered = plans.iter().filter(|p| !p.is_empty()).count();
        assert_eq!(
            entries[0].summary,
            format!("{} package requests generated, {offered} offered ({offers} offers), 1 started (bulk load)", plans.len())
        );
        assert_eq!(s.audit_entries(&audit("package_offer")).await.expect("audit").1, offer_entries);
    }
}

#[tokio::test]
async fn a_bad_package_request_or_step_refuses_the_whole_batch() {
    use caremarket_store::bulk::{BrokeredRequest, PackageStep};
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let m = market(&s).await;
        let a = system();
        let market = s.brokerage_market(TODAY).await.expect("market");
        let good = BrokeredRequest { request: request(&m.area), steps: vec![PackageStep::Offer { service_id: m.eligible[0].1.clone() }] };
        let with = |request: NewPackageRequest, steps: Vec<PackageStep>| vec![good.clone(), BrokeredRequest { request, steps }];
        let accept = |offer: usize| PackageStep::Answer { offer, accept: true, note: None };
        let started = PackageStep::Start { at: "2024-11-08T11:30:00Z".parse().expect("ts") };
        let cases = [
            (with(NewPackageRequest { area_id: "nowhere".into(), ..request(&m.area) }, vec![]), "area_id", "Choose the area"),
            (with(request(&m.area), vec![PackageStep::Offer { service_id: m.spot.clone() }]), "service_id", "Spot Care cannot be offered"),
            (with(request(&m.area), vec![started.clone()]), "started_at", "Record a provider's acceptance before the start"),
            (with(request(&m.area), vec![accept(0)]), "offer", "This request has no offer 1"),
            (
                with(request(&m.area), vec![PackageStep::Offer { service_id: m.eligible[1].1.clone() }, accept(0), accept(0)]),
                "response",
                "This offer has already been accepted",
            ),
            (
                with(
                    request(&m.area),
                    vec![
                        PackageStep::Offer { service_id: m.eligible[1].1.clone() },
                        PackageStep::Answer { offer: 0, accept: false, note: None },
                        PackageStep::Offer { service_id: m.eligible[1].1.clone() },
                    ],
                ),
                "service_id",
                "This service has already been offered this package",
            ),
        ];
        for (batch, field, says) in cases {
            let e = message(
                s.bulk_package_requests(&a, &market, &batch, now()).await.expect_err(field),
                &format!("package requests row 2: {field}"),
            );
            assert!(e.starts_with(says), "{e}");
        }
        assert!(s.package_requests("all").await.expect("all").is_empty(), "nothing written");
        let q = AuditQuery { entity_type: Some("package_request".into()), limit: 10, ..Default::default() };
        assert_eq!(s.audit_entries(&q).await.expect("audit").1, 0);

        // One request, without a signed-in officer: no one holds it; the entry says "1 package request".
        assert_eq!(s.bulk_package_requests(&a, &market, std::slice::from_ref(&good), now()).await.expect("bulk"), 1);
        let r = &s.package_requests("waiting").await.expect("waiting")[0];
        assert_eq!((r.status.as_str(), r.claimed_by.as_deref(), r.offers.len()), ("offered", None, 0));
        assert_eq!(s.package_request(&r.id).await.expect("req").offers[0].service_id, m.eligible[0].1);
        let (entries, _) = s.audit_entries(&q).await.expect("audit");
        assert_eq!(entries[0].summary, "1 package request generated, 1 offered (1 offer), 0 started (bulk load)");
    }
}
