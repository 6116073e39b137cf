//! Capacity and brokerage on both backends: vacancy returns checked and summed as `000`'s table,
//! restrictions and spare capacity deciding who may be offered a package, offers, acceptance,
//! starts, the awaiting-care figures, providers' own offers, and the market supply for continuity.

use caremarket_core::capacity::brokerage::{Lot, Route, awaiting, discharge_within_48_hours};
use caremarket_core::capacity::continuity::Market;
use caremarket_core::capacity::vacancies::{BedType, BlockBedKind, VacancyLine, occupancy_table};
use caremarket_core::register::{Rating, ServiceKind, Specialism};
use caremarket_store::capacity::{NewPackageRequest, NewVacancyReturn};
use caremarket_store::register::{NewService, RatingRecord};
use caremarket_store::restrictions::NewRestriction;
use caremarket_store::{Actor, Store, StoreError};
use jiff::Timestamp;
use jiff::civil::{Date, date};

fn actor() -> Actor {
    Actor::system("test")
}

fn svc(provider_id: &str, name: &str, kind: ServiceKind, beds: Option<i64>, fw: Option<(&str, &str)>) -> NewService {
    NewService {
        beds,
        specialisms: if name.contains("Dementia") { vec![Specialism::Dementia] } else { vec![] },
        ..caremarket_testkit::on_framework(caremarket_testkit::service(provider_id, name, kind), fw)
    }
}

fn line(b: BedType, o: i64, v: i64) -> VacancyLine {
    VacancyLine { bed_type: b, occupied: o, vacant: v }
}

async fn rate(s: &Store, id: &str, overall: Rating, well_led: Rating) {
    s.add_rating(
        &actor(),
        id,
        &RatingRecord { overall: Some(overall), well_led: Some(well_led), report_date: Some(date(2024, 1, 10)), ..Default::default() },
        "test",
    )
    .await
    .expect("rating");
}

const TODAY: Date = date(2024, 11, 8);

#[tokio::test]
async fn vacancy_returns_are_checked_and_make_the_seed_table() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = actor();
        let p = s.create_provider(&a, None, "Homes Ltd", None, None).await.expect("provider");
        let home =
            s.create_service(&a, &svc(&p, "Oak Dementia House", ServiceKind::CareHomeNursing, Some(1200), None)).await.expect("home");
        let hc = s.create_service(&a, &svc(&p, "Oak Home Care", ServiceKind::HomeCare, None, None)).await.expect("hc");
        // `000`'s November 2024 table, as one (large) home's return.
        let lines = vec![
            line(BedType::DementiaNursing, 514, 47),
            line(BedType::DementiaResidential, 1070, 98),
            line(BedType::GeneralNursing, 589, 161),
            line(BedType::GeneralResidential, 843, 137),
        ];
        // Registered for 1,200 beds: 3,016 occupied is refused with the numbers.
        let err = s
            .submit_vacancy_return(
                &a,
                &NewVacancyReturn { service_id: home.clone(), return_date: TODAY, lines: lines.clone(), source: "officer" },
                TODAY,
            )
            .await
            .unwrap_err();
        assert!(matches!(&err, StoreError::Invalid(e) if e.message.contains("more than the 1200 beds")), "{err}");
        s.create_service(&a, &svc(&p, "Big Home", ServiceKind::CareHomeResidential, Some(3459), None)).await.expect("big");
        let big = s.latest_vacancy_returns(TODAY).await.expect("homes").into_iter().find(|h| h.name == "Big Home").expect("big").service_id;
        s.submit_vacancy_return(
            &a,
            &NewVacancyReturn { service_id: big.clone(), return_date: TODAY, lines: lines.clone(), source: "csv" },
            TODAY,
        )
        .await
        .expect("return");
        let homes = s.latest_vacancy_returns(TODAY).await.expect("homes");
        let all: Vec<VacancyLine> = homes.iter().flat_map(|h| h.lines.clone()).collect();
        let t = occupancy_table(&all);
        assert_eq!(t.iter().map(|r| r.occupied_percent).collect::<Vec<_>>(), vec![Some(92), Some(92), Some(79), Some(86)]);
        assert_eq!((t[0].occupied, t[0].vacancies), (514, 47));
        // Negative numbers, a future date, and a home care service are refused.
        let neg = s
            .submit_vacancy_return(
                &a,
                &NewVacancyReturn {
                    service_id: home.clone(),
                    return_date: TODAY,
                    lines: vec![line(BedType::GeneralNursing, -3, 2)],
                    source: "officer",
                },
                TODAY,
            )
            .await
            .unwrap_err();
        assert!(neg.to_string().contains("negative"), "{neg}");
        let fut = s
            .submit_vacancy_return(
                &a,
                &NewVacancyReturn {
                    service_id: home.clone(),
                    return_date: date(2025, 3, 1),
                    lines: vec![line(BedType::GeneralNursing, 3, 2)],
                    source: "officer",
                },
                TODAY,
            )
            .await
            .unwrap_err();
        assert!(matches!(&fut, StoreError::Invalid(e) if e.field == "return_date"), "{fut}");
        let notch = s
            .submit_vacancy_return(
                &a,
                &NewVacancyReturn {
                    service_id: hc,
                    return_date: TODAY,
                    lines: vec![line(BedType::GeneralNursing, 3, 2)],
                    source: "officer",
                },
                TODAY,
            )
            .await
            .unwrap_err();
        assert!(notch.to_string().contains("not a care home"), "{notch}");
        // A second return for the same date replaces the first; history keeps dates apart.
        s.submit_vacancy_return(
            &a,
            &NewVacancyReturn {
                service_id: home.clone(),
                return_date: date(2024, 11, 1),
                lines: vec![line(BedType::DementiaNursing, 20, 5)],
                source: "portal",
            },
            TODAY,
        )
        .await
        .expect("r1");
        s.submit_vacancy_return(
            &a,
            &NewVacancyReturn {
                service_id: home.clone(),
                return_date: date(2024, 11, 1),
                lines: vec![line(BedType::DementiaNursing, 22, 3)],
                source: "portal",
            },
            TODAY,
        )
        .await
        .expect("r1 again");
        let hist = s.vacancy_returns_for_service(&home).await.expect("history");
        assert_eq!(hist.len(), 1);
        assert_eq!(hist[0].lines, vec![line(BedType::DementiaNursing, 22, 3)]);
        // As at an earlier date, the later return is not seen.
        let before = s.latest_vacancy_returns(date(2024, 10, 31)).await.expect("homes");
        assert!(before.iter().all(|h| h.lines.is_empty()));
        // Block beds are recorded apart.
        s.add_block_beds(&a, &home, BlockBedKind::SomewhereElseToAssess, 4, date(2024, 4, 1), None).await.expect("block");
        assert!(s.add_block_beds(&a, &home, BlockBedKind::Emergency, 0, date(2024, 4, 1), None).await.is_err());
        let b = s.block_beds(TODAY).await.expect("block beds");
        assert_eq!((b.len(), b[0].beds, b[0].kind), (1, 4, BlockBedKind::SomewhereElseToAssess));
    }
}

struct Market2 {
    area: String,
    other_area: String,
    good: String,
    ri_well_led: String,
    restricted: String,
    spot: String,
    provider_good: String,
}

async fn home_care_market(s: &Store) -> Market2 {
    let a = actor();
    let area = s.create_area(&a, "North", &["TT1"]).await.expect("area");
    let other_area = s.create_area(&a, "South", &["TT9"]).await.expect("area");
    let fw = s
        .create_framework(&a, "Home Care Framework", Some(ServiceKind::HomeCare), None, None, &["General", "High Dependency"])
        .await
        .expect("fw");
    let fws = s.frameworks().await.expect("fws");
    let general = fws[0].lots.iter().find(|l| l.name == "General").expect("lot").id.clone();
    let mk = |name: &'static str, framework: bool| {
        let fw = fw.clone();
        let general = general.clone();
        async move {
            let p = s.create_provider(&actor(), None, &format!("{name} Ltd"), None, None).await.expect("provider");
            let id = s
                .create_service(&actor(), &svc(&p, name, ServiceKind::HomeCare, None, if framework { Some((&fw, &general)) } else { None }))
                .await
                .expect("svc");
            (p, id)
        }
    };
    let (provider_good, good) = mk("Good Care", true).await;
    let (_, ri_well_led) = mk("Weak Leadership Care", true).await;
    let (_, restricted) = mk("Embargoed Care", true).await;
    let (_, spot) = mk("Spot Care", false).await;
    rate(s, &good, Rating::Good, Rating::Good).await;
    rate(s, &ri_well_led, Rating::RequiresImprovement, Rating::RequiresImprovement).await;
    rate(s, &restricted, Rating::Good, Rating::Good).await;
    rate(s, &spot, Rating::Good, Rating::Good).await;
    for id in [&good, &ri_well_led, &restricted, &spot] {
        s.declare_spare_capacity(&a, id, Some(&area), "general", "minutes", 40 * 60, TODAY).await.expect("spare");
    }
    s.record_restriction(
        &a,
        &NewRestriction {
            service_id: restricted.clone(),
            kind: "embargo".into(),
            scope: None,
            reason: "Safeguarding enquiry".into(),
            starts_on: date(2024, 10, 1),
            ends_on: None,
        },
    )
    .await
    .expect("restriction");
    Market2 { area, other_area, good, ri_well_led, restricted, spot, provider_good }
}

fn request(area: &str, at: &str) -> NewPackageRequest {
    NewPackageRequest {
        person_ref: "AB12345".into(),
        area_id: area.into(),
        minutes_per_week: 14 * 60,
        visits_per_day: 2,
        visit_times: "08:00, 18:00".into(),
        double_up_visits: 0,
        lot: Lot::General,
        needs: vec![],
        language: Some("Gujarati".into()),
        cultural_needs: None,
        route: Route::HospitalDischarge,
        requested_at: at.parse().expect("ts"),
    }
}

#[tokio::test]
async fn brokerage_offers_only_to_eligible_providers() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let m = home_care_market(&s).await;
        let a = actor();
        let now: Timestamp = "2024-11-08T12:00:00Z".parse().expect("now");
        // A name is not a reference.
        let mut bad = request(&m.area, "2024-11-08T09:00:00Z");
        bad.person_ref = "Jane Smith".into();
        assert!(matches!(s.create_package_request(&a, &bad, now).await, Err(StoreError::Invalid(e)) if e.field == "person_ref"));
        let id = s.create_package_request(&a, &request(&m.area, "2024-11-08T09:00:00Z"), now).await.expect("request");
        let req = s.package_request(&id).await.expect("req");
        let list = s.eligible_providers(&req, TODAY).await.expect("eligible");
        let eligible: Vec<_> = list.iter().filter(|x| x.eligible).map(|x| x.candidate.service_id.clone()).collect();
        assert_eq!(eligible, vec![m.good.clone()]);
        let reasons = |id: &str| list.iter().find(|x| x.candidate.service_id == id).map(|x| x.reasons.join("; ")).unwrap_or_default();
        assert!(reasons(&m.ri_well_led).contains("Well-led"), "{}", reasons(&m.ri_well_led));
        assert!(reasons(&m.restricted).contains("placement restriction"), "{}", reasons(&m.restricted));
        assert!(reasons(&m.spot).contains("Not on the framework"), "{}", reasons(&m.spot));
        // Offering to an ineligible provider is refused with the reason.
        let err = s.offer_package(&a, &id, &m.restricted, TODAY).await.unwrap_err();
        assert!(err.to_string().contains("cannot be offered"), "{err}");
        // No spare capacity in another area.
        let far = s.create_package_request(&a, &request(&m.other_area, "2024-11-08T07:00:00Z"), now).await.expect("far");
        let far = s.package_request(&far).await.expect("far");
        assert!(s.eligible_providers(&far, TODAY).await.expect("list").iter().all(|x| !x.eligible));
        // Offer, decline by another provider is refused, accept, start.
        let offer = s.offer_package(&a, &id, &m.good, TODAY).await.expect("offer");
        assert!(matches!(s.respond_to_offer(&a, &offer, true, None, Some("someone-else")).await, Err(StoreError::NotFound(_))));
        let offers = s.offers_for_provider(&m.provider_good).await.expect("offers");
        assert_eq!(offers.len(), 1);
        let json = serde_json::to_string(&offers).expect("json");
        assert!(!json.contains("AB12345"), "provider offers must not carry the person reference: {json}");
        s.respond_to_offer(&a, &offer, true, Some("Can start Monday"), Some(&m.provider_good)).await.expect("accept");
        assert!(s.respond_to_offer(&a, &offer, false, None, None).await.is_err());
        assert!(s.start_package(&a, &id, "2024-11-08T08:00:00Z".parse().expect("ts"), now).await.is_err());
        s.start_package(&a, &id, "2024-11-08T11:00:00Z".parse().expect("ts"), now).await.expect("start");
        let req = s.package_request(&id).await.expect("req");
        assert_eq!(req.status, "started");
        // Awaiting care and discharge figures from the stored records.
        let waiting = s.package_requests("waiting").await.expect("waiting");
        let w: Vec<(String, Timestamp)> = waiting.iter().map(|r| (r.person_ref.clone(), r.requested().expect("ts"))).collect();
        let f = awaiting(&w, now);
        assert_eq!((f.packages_waiting, f.people_waiting_over_4_hours), (1, 1));
        let d = s.discharge_packages(date(2024, 11, 1), date(2024, 11, 8)).await.expect("discharge");
        let pairs: Vec<_> =
            d.iter().map(|r| (r.requested().expect("ts"), r.started_at.as_deref().map(|t| t.parse().expect("ts")))).collect();
        let fig = discharge_within_48_hours(&pairs);
        assert_eq!((fig.brokered, fig.started_within_48_hours, fig.percent), (2, 1, Some(50)));
    }
}

#[tokio::test]
async fn market_supply_feeds_continuity() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = actor();
        let area = s.create_area(&a, "North", &["TT1"]).await.expect("area");
        let p1 = s.create_provider(&a, None, "One Ltd", None, None).await.expect("p");
        let p2 = s.create_provider(&a, None, "Two Ltd", None, None).await.expect("p");
        let h1 = s.create_service(&a, &svc(&p1, "One House", ServiceKind::CareHomeNursing, Some(40), None)).await.expect("h");
        let h2 = s.create_service(&a, &svc(&p2, "Two House", ServiceKind::CareHomeNursing, Some(40), None)).await.expect("h");
        s.submit_vacancy_return(
            &a,
            &NewVacancyReturn { service_id: h1, return_date: TODAY, lines: vec![line(BedType::GeneralNursing, 30, 0)], source: "officer" },
            TODAY,
        )
        .await
        .expect("r");
        s.submit_vacancy_return(
            &a,
            &NewVacancyReturn { service_id: h2, return_date: TODAY, lines: vec![line(BedType::GeneralNursing, 20, 10)], source: "officer" },
            TODAY,
        )
        .await
        .expect("r");
        let supply = s.market_supply(TODAY).await.expect("supply");
        assert!(supply.iter().all(|x| x.area_id.as_deref() == Some(area.as_str())));
        let m = Market::new(&supply);
        let i = m.exit_of_providers(&[p1.as_str()]);
        assert_eq!((i.beds, i.beds_absorbable, i.people_not_absorbed), (30, 10, 20));
        assert_eq!(m.ranked_exits()[0].provider_id, p1);
    }
}

#[tokio::test]
async fn the_brokerage_market_read_once_assesses_as_the_eligible_providers_page_does() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let m = home_care_market(&s).await;
        let a = actor();
        let now: Timestamp = "2024-11-08T12:00:00Z".parse().expect("now");
        let market = s.brokerage_market(TODAY).await.expect("market");
        let here = s.create_package_request(&a, &request(&m.area, "2024-11-08T09:00:00Z"), now).await.expect("request");
        let far = s.create_package_request(&a, &request(&m.other_area, "2024-11-08T07:00:00Z"), now).await.expect("far");
        let mut high = request(&m.area, "2024-11-08T08:00:00Z");
        high.lot = Lot::HighDependency;
        high.needs = vec![caremarket_core::capacity::brokerage::HighDependencyNeed::Dementia];
        let high = s.create_package_request(&a, &high, now).await.expect("high dependency");
        // One already offered, declined: the service counts as offered for that request only.
        let offer = s.offer_package(&a, &here, &m.good, TODAY).await.expect("offer");
        s.respond_to_offer(&a, &offer, false, Some("No carers free"), None).await.expect("decline");
        for id in [&here, &far, &high] {
            let req = s.package_request(id).await.expect("request");
            let page = serde_json::to_string(&s.eligible_providers(&req, TODAY).await.expect("page")).expect("json");
            let once = serde_json::to_string(&market.assess(&req)).expect("json");
            assert_eq!(once, page, "request {}", req.person_ref);
        }
        // The page reads the market afresh: a restriction recorded since shows there at once.
        s.record_restriction(
            &a,
            &NewRestriction {
                service_id: m.good.clone(),
                kind: "embargo".into(),
                scope: None,
                reason: "Safeguarding enquiry".into(),
                starts_on: date(2024, 11, 1),
                ends_on: None,
            },
        )
        .await
        .expect("restriction");
        let req = s.package_request(&far).await.expect("request");
        let page = s.eligible_providers(&req, TODAY).await.expect("page");
        let good = page.iter().find(|x| x.candidate.service_id == m.good).expect("good");
        assert!(good.candidate.restriction.is_some(), "{good:?}");
    }
}
