//! Fees (issue 11 items 1 and 2): rate versions kept in full, what was paid on a past date, the
//! second approver above a lot's maximum, uplifts against a base date (`002` recommendation
//! 15b), payment bases and fee requests, each change audited. Run on every backend available
//! (SQLite always; PostgreSQL with CAREMARKET_TEST_POSTGRES_URL).

use caremarket_core::fees::requests::FeeRequestDraft;
use caremarket_core::fees::uplift::{LotChoice, UpliftGroup};
use caremarket_core::fees::{PaymentBasis, RateCategory, RateDraft, RateLevel, RateStatus, RequestDecision, UpliftDraft, UpliftMethod};
use caremarket_core::register::ServiceKind;
use caremarket_core::register::framework::FrameworkDraft;
use caremarket_store::users::NewUser;
use caremarket_store::{Actor, AuditQuery, Store, StoreError};
use jiff::civil::{Date, date};

fn field(e: StoreError) -> (String, String) {
    match e {
        StoreError::Invalid(f) => (f.field, f.message),
        StoreError::InvalidFields(fs) => (fs.0[0].field.clone(), fs.0[0].message.clone()),
        other => panic!("expected a field error, got {other:?}"),
    }
}

async fn user(s: &Store, email: &str) -> Actor {
    let u = s
        .create_user(
            &Actor::system("test"),
            NewUser {
                email,
                display_name: email,
                password: "correct-horse-battery",
                role: caremarket_core::access::Role::Commissioner,
                provider_id: None,
                must_change_password: false,
            },
        )
        .await
        .expect("user");
    Actor::user(&u.id, email)
}

struct Setup {
    a: Actor,
    standard_lot: String,
    other_lot: String,
    standard: String,
    other: String,
}

async fn setup(s: &Store) -> Setup {
    let a = user(s, "first@test.gov.uk").await;
    let fw = s
        .create_contract_framework(
            &a,
            &FrameworkDraft {
                name: "Care at Home".into(),
                lots: vec!["Standard".into(), "Other".into()],
                starts_on: None,
                ends_on: None,
                kinds: vec![ServiceKind::HomeCare],
            },
        )
        .await
        .expect("framework");
    let f = s.contract_framework(&fw).await.expect("fw");
    let lot = |n: &str| f.lots.iter().find(|l| l.name == n).map(|l| l.id.clone()).expect("lot");
    let standard = s.create_provider(&a, None, "Standard Care Ltd", None, None).await.expect("p");
    let other = s.create_provider(&a, None, "Other Care Ltd", None, None).await.expect("p");
    Setup { standard_lot: lot("Standard"), other_lot: lot("Other"), a, standard, other }
}

fn rate(level: RateLevel, lot: Option<&str>, provider: Option<&str>, amount: &str, from: Date) -> RateDraft {
    RateDraft {
        level: Some(level),
        kind: Some(ServiceKind::HomeCare),
        category: Some(RateCategory::Hourly),
        lot_id: lot.map(str::to_string),
        provider_id: provider.map(str::to_string),
        amount: amount.into(),
        effective_from: Some(from),
        reason: String::new(),
    }
}

/// `base` pence uplifted by `pct` per cent, to the penny, in floating point (independent of the
/// product's integer rule; no value here falls on a half penny).
fn up(base: i64, pct: f64) -> i64 {
    (base as f64 * (1.0 + pct / 100.0)).round() as i64
}

async fn paid(s: &Store, provider: &str, on: Date) -> Option<i64> {
    s.fee_paid_on(provider, ServiceKind::HomeCare, on)
        .await
        .expect("paid")
        .into_iter()
        .find(|p| p.version.line.category == RateCategory::Hourly)
        .map(|p| p.version.amount_pence)
}

#[tokio::test]
async fn rates_keep_their_history_and_answer_what_was_paid_on_a_past_date() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let x = setup(&s).await;
        // Sheffield's 24/25 home care rate, £22.96 an hour (`000`), after £21.50 in 23/24.
        s.add_fee_rate(&x.a, &rate(RateLevel::Council, None, None, "21.50", date(2023, 4, 1))).await.expect("rate");
        s.add_fee_rate(&x.a, &rate(RateLevel::Council, None, None, "22.96", date(2024, 4, 1))).await.expect("rate");
        // Same line, same date: refused, nothing written.
        let e = s.add_fee_rate(&x.a, &rate(RateLevel::Council, None, None, "23.00", date(2024, 4, 1))).await.expect_err("overlap");
        assert_eq!(field(e).0, "effective_from");
        let e = s.add_fee_rate(&x.a, &rate(RateLevel::Council, None, None, "-1", date(2025, 4, 1))).await.expect_err("negative");
        assert_eq!(field(e), ("amount".to_string(), "The rate cannot be negative".to_string()));
        assert_eq!(s.fee_rates().await.expect("rates").len(), 2);
        // A provider's own rate from October 2024.
        s.add_fee_rate(&x.a, &rate(RateLevel::Provider, Some(&x.standard_lot), Some(&x.standard), "20.31", date(2024, 10, 1)))
            .await
            .expect("rate");
        assert_eq!(paid(&s, &x.standard, date(2023, 5, 1)).await, Some(2150));
        assert_eq!(paid(&s, &x.standard, date(2024, 9, 30)).await, Some(2296));
        assert_eq!(paid(&s, &x.standard, date(2024, 10, 1)).await, Some(2031));
        assert_eq!(paid(&s, &x.other, date(2024, 10, 1)).await, Some(2296));
        assert_eq!(paid(&s, &x.other, date(2023, 3, 31)).await, None);
        // A lot of a framework that does not cover the kind is refused.
        let mut sl = rate(RateLevel::LotMaximum, Some(&x.standard_lot), None, "25.00", date(2024, 4, 1));
        sl.kind = Some(ServiceKind::SupportedLiving);
        assert_eq!(field(s.add_fee_rate(&x.a, &sl).await.expect_err("kind")).0, "lot_id");
        let (entries, _) = s
            .audit_entries(&AuditQuery { entity_type: Some("fee_rate".into()), entity_id: None, actor: None, limit: 100, offset: 0 })
            .await
            .expect("audit");
        assert_eq!(entries.len(), 3);
        // A lot with rates cannot be removed from its framework.
        let fw = s.contract_frameworks().await.expect("fws").remove(0);
        let e = s
            .update_contract_framework(
                &x.a,
                &fw.id,
                &FrameworkDraft {
                    name: fw.name.clone(),
                    lots: vec!["Other".into()],
                    starts_on: None,
                    ends_on: None,
                    kinds: vec![ServiceKind::HomeCare],
                },
                caremarket_core::versions::Version::new(s.contract_framework(&fw.id).await.expect("framework").version).expect("version"),
            )
            .await
            .expect_err("lot has rates");
        assert_eq!(field(e).0, "lots");
    }
}

#[tokio::test]
async fn a_rate_above_the_lot_maximum_needs_a_reason_and_a_second_approver() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let x = setup(&s).await;
        let second = user(&s, "second@test.gov.uk").await;
        // Leicester Lot 1's maximum, £20.31 (`004` §5.1).
        s.add_fee_rate(&x.a, &rate(RateLevel::LotMaximum, Some(&x.standard_lot), None, "20.31", date(2024, 4, 1))).await.expect("max");
        let mut above = rate(RateLevel::Provider, Some(&x.standard_lot), Some(&x.standard), "21.00", date(2024, 4, 1));
        let e = s.add_fee_rate(&x.a, &above).await.expect_err("no reason");
        assert_eq!(field(e).0, "reason");
        above.reason = "Rural rounds: travel time agreed at panel".into();
        let (id, status) = s.add_fee_rate(&x.a, &above).await.expect("proposed");
        assert_eq!(status, RateStatus::AwaitingApproval);
        assert_eq!(paid(&s, &x.standard, date(2024, 5, 1)).await, None, "not paid until approved");
        let e = s.decide_fee_rate(&x.a, &id, true).await.expect_err("same person");
        assert_eq!(field(e).0, "decision");
        s.decide_fee_rate(&second, &id, true).await.expect("approved");
        assert_eq!(paid(&s, &x.standard, date(2024, 5, 1)).await, Some(2100));
        let r = s.fee_rate(&id).await.expect("rate");
        assert_eq!(r.decided_by_label.as_deref(), Some("second@test.gov.uk"));
        assert_eq!(r.version.reason.as_deref(), Some("Rural rounds: travel time agreed at panel"));
    }
}

#[tokio::test]
async fn stockton_uplifts_against_a_base_date_write_new_versions() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let x = setup(&s).await;
        let (s0, o0) = (1747_i64, 1689_i64);
        s.add_fee_rate(&x.a, &rate(RateLevel::Provider, Some(&x.standard_lot), Some(&x.standard), "17.47", date(2022, 4, 1)))
            .await
            .expect("r");
        s.add_fee_rate(&x.a, &rate(RateLevel::Provider, Some(&x.other_lot), Some(&x.other), "16.89", date(2022, 4, 1))).await.expect("r");
        let all = UpliftGroup { kind: ServiceKind::HomeCare, categories: vec![], levels: vec![], lots: vec![] };
        let u = |name: &str, g: &UpliftGroup, bp: i64, from: Date, base: Date| UpliftDraft {
            name: name.into(),
            group: g.clone(),
            method: UpliftMethod::Percent(bp),
            effective_from: from,
            base_date: base,
        };
        let today = date(2024, 6, 1);
        for d in [
            u("In-year uplift December 2022", &all, 650, date(2022, 12, 1), date(2022, 11, 30)),
            u("2023/24 uplift", &all, 889, date(2023, 4, 1), date(2023, 3, 31)),
            u("In-year uplift November 2023", &all, 570, date(2023, 11, 1), date(2023, 10, 31)),
        ] {
            let (_, p) = s.apply_uplift(&x.a, &d, today).await.expect("uplift");
            assert_eq!(p.rates.len(), 2);
        }
        let standard = UpliftGroup { lots: vec![LotChoice::Lot(x.standard_lot.clone())], ..all.clone() };
        let d = u("2024/25 standard providers", &standard, 1560, date(2024, 4, 1), date(2023, 4, 1));
        let preview = s.plan_uplift(&d, today).await.expect("plan");
        assert_eq!(preview.rates.len(), 1);
        assert_eq!(s.fee_uplifts().await.expect("list").len(), 3, "a preview writes nothing");
        s.apply_uplift(&x.a, &d, today).await.expect("uplift");
        let others = UpliftGroup { lots: vec![LotChoice::Lot(x.other_lot.clone()), LotChoice::NoLot], ..all.clone() };
        s.apply_uplift(&x.a, &u("2024/25 other providers", &others, 861, date(2024, 4, 1), date(2024, 3, 31)), today)
            .await
            .expect("uplift");

        let s2 = up(up(s0, 6.5), 8.89);
        assert_eq!(paid(&s, &x.standard, date(2023, 11, 1)).await, Some(up(s2, 5.7)));
        assert_eq!(paid(&s, &x.standard, date(2024, 4, 1)).await, Some(up(s2, 15.6)), "against April 2023 rates");
        assert_eq!(paid(&s, &x.other, date(2024, 4, 1)).await, Some(up(up(up(up(o0, 6.5), 8.89), 5.7), 8.61)));
        assert_eq!(paid(&s, &x.standard, date(2022, 6, 1)).await, Some(s0), "history kept");
        assert_eq!(s.fee_rates().await.expect("rates").len(), 2 + 2 * 3 + 1 + 1);
        // Again: refused on its date, nothing written.
        let e = s.apply_uplift(&x.a, &d, today).await.expect_err("overlap");
        assert_eq!(field(e).0, "effective_from");
        assert_eq!(s.fee_rates().await.expect("rates").len(), 10);
        let ups = s.fee_uplifts().await.expect("uplifts");
        assert_eq!(ups.len(), 5);
        let (rec, written) = s.fee_uplift(&ups[0].id).await.expect("uplift");
        assert_eq!((rec.draft.group.lots.len(), written.len()), (rec.draft.group.lots.len(), rec.rates_changed as usize));
        let (entries, _) = s
            .audit_entries(&AuditQuery { entity_type: Some("fee_uplift".into()), entity_id: None, actor: None, limit: 100, offset: 0 })
            .await
            .expect("audit");
        assert_eq!(entries.len(), 5);
    }
}

#[tokio::test]
async fn payment_bases_and_fee_requests_are_kept_and_decided() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let x = setup(&s).await;
        let b = PaymentBasis::parse("delivered_capped", "30", "full_rate", "").expect("basis");
        s.set_payment_basis(&x.a, &x.standard, ServiceKind::HomeCare, &b, date(2024, 4, 1)).await.expect("basis");
        let planned = PaymentBasis::parse("planned_hours", "", "share", "50").expect("basis");
        s.set_payment_basis(&x.a, &x.standard, ServiceKind::HomeCare, &planned, date(2025, 4, 1)).await.expect("basis");
        let e = s.set_payment_basis(&x.a, &x.standard, ServiceKind::HomeCare, &b, date(2025, 4, 1)).await.expect_err("overlap");
        assert_eq!(field(e).0, "effective_from");
        let on = s.payment_basis_on(&x.standard, ServiceKind::HomeCare, date(2024, 12, 1)).await.expect("on").expect("some");
        assert_eq!(on.basis.minimum_call_minutes, Some(30));
        let on = s.payment_basis_on(&x.standard, ServiceKind::HomeCare, date(2025, 4, 1)).await.expect("on").expect("some");
        assert_eq!(on.basis, planned);

        s.add_fee_rate(&x.a, &rate(RateLevel::LotMaximum, Some(&x.standard_lot), None, "20.31", date(2024, 4, 1))).await.expect("max");
        s.add_fee_rate(&x.a, &rate(RateLevel::Provider, Some(&x.standard_lot), Some(&x.standard), "19.23", date(2024, 4, 1)))
            .await
            .expect("r");
        let req = FeeRequestDraft {
            provider_id: x.standard.clone(),
            kind: Some(ServiceKind::HomeCare),
            category: Some(RateCategory::Hourly),
            requested: "20.50".into(),
            received_on: Some(date(2024, 9, 2)),
            reason: "Fuel and insurance costs".into(),
        }
        .check(date(2024, 10, 1))
        .expect("request");
        let id = s.record_fee_request(&x.a, &req).await.expect("recorded");
        let r = s.fee_request(&id).await.expect("request");
        assert_eq!((r.current_pence, r.requested_pence), (Some(1923), 2050));
        let d = RequestDecision::Agree { amount_pence: 2000, effective_from: date(2024, 10, 1), reason: "Costs evidenced".into() };
        let first = caremarket_core::versions::Version::FIRST;
        assert_eq!(s.decide_fee_request(&x.a, &id, &d, date(2024, 10, 1), first).await.expect("agreed"), Some(RateStatus::Approved));
        assert_eq!(paid(&s, &x.standard, date(2024, 10, 1)).await, Some(2000));
        let r = s.fee_request(&id).await.expect("request");
        assert_eq!((r.agreed_pence, r.decision_reason.as_deref()), (Some(2000), Some("Costs evidenced")));
        // The new version is on the provider's lot, within its maximum.
        let v = s.fee_rate(r.rate_id.as_deref().expect("rate")).await.expect("rate");
        assert_eq!(v.version.line.lot_id.as_deref(), Some(x.standard_lot.as_str()));
        // Decided from a form opened before the decision: refused as stale (decision 25), and
        // from one opened after it: refused as decided.
        let stale = s.decide_fee_request(&x.a, &id, &d, date(2024, 10, 2), first).await.expect_err("stale");
        assert!(matches!(stale, StoreError::Stale { current: 2 }), "{stale:?}");
        let now = caremarket_core::versions::Version::new(2).expect("v");
        assert_eq!(field(s.decide_fee_request(&x.a, &id, &d, date(2024, 10, 2), now).await.expect_err("decided")).0, "decision");
    }
}

/// A home care package of `minutes` a week placed with `service` and started, through
/// brokerage's own steps (request, offer, accept, start).
async fn started_package(s: &Store, a: &Actor, area: &str, service: &str, provider: &str, person: &str, minutes: i64) {
    use caremarket_core::capacity::brokerage::{Lot, Route};
    let now: jiff::Timestamp = "2024-11-08T12:00:00Z".parse().expect("now");
    let req = caremarket_store::capacity::NewPackageRequest {
        person_ref: person.into(),
        area_id: area.into(),
        minutes_per_week: minutes,
        visits_per_day: 1,
        visit_times: "09:00".into(),
        double_up_visits: 0,
        lot: Lot::General,
        needs: vec![],
        language: None,
        cultural_needs: None,
        route: Route::Community,
        requested_at: "2024-11-08T09:00:00Z".parse().expect("ts"),
    };
    let id = s.create_package_request(a, &req, now).await.expect("request");
    let offer = s.offer_package(a, &id, service, date(2024, 11, 8)).await.expect("offer");
    s.respond_to_offer(a, &offer, true, None, Some(provider)).await.expect("accept");
    s.start_package(a, &id, "2024-11-08T11:00:00Z".parse().expect("ts"), now).await.expect("start");
}

#[tokio::test]
async fn an_uplifts_yearly_cost_comes_from_the_packages_started_with_each_provider() {
    use caremarket_core::register::{ContractStatus, Rating};
    use caremarket_store::register::{NewService, RatingRecord};
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let x = setup(&s).await;
        let area = s.create_area(&x.a, "North", &["TT1"]).await.expect("area");
        let fw = s.contract_frameworks().await.expect("fws").remove(0);
        let svc = |provider: &str, name: &str, lot: &str| NewService {
            contract_status: ContractStatus::Framework,
            framework_id: Some(fw.id.clone()),
            lot_id: Some(lot.into()),
            ..caremarket_testkit::service(provider, name, ServiceKind::HomeCare)
        };
        let mut services = Vec::new();
        for (p, name, lot) in [(&x.standard, "Standard Home Care", &x.standard_lot), (&x.other, "Other Home Care", &x.standard_lot)] {
            let id = s.create_service(&x.a, &svc(p, name, lot)).await.expect("service");
            s.add_rating(
                &x.a,
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
            s.declare_spare_capacity(&x.a, &id, Some(&area), "general", "minutes", 100 * 60, date(2024, 11, 8)).await.expect("spare");
            services.push(id);
        }
        // Standard: 10 hours and 4h30 a week; other: 7 hours a week.
        started_package(&s, &x.a, &area, &services[0], &x.standard, "AB10001", 600).await;
        started_package(&s, &x.a, &area, &services[0], &x.standard, "AB10002", 270).await;
        started_package(&s, &x.a, &area, &services[1], &x.other, "AB10003", 420).await;
        let packages = s.commissioned_packages().await.expect("packages");
        assert_eq!(packages.iter().map(|p| p.minutes_per_week).sum::<i64>(), 1290);

        s.add_fee_rate(&x.a, &rate(RateLevel::Provider, Some(&x.standard_lot), Some(&x.standard), "20.00", date(2024, 4, 1)))
            .await
            .expect("r");
        s.add_fee_rate(&x.a, &rate(RateLevel::Council, None, None, "19.00", date(2024, 4, 1))).await.expect("r");
        let d = UpliftDraft {
            name: "2025/26".into(),
            group: UpliftGroup { kind: ServiceKind::HomeCare, categories: vec![], levels: vec![], lots: vec![] },
            method: UpliftMethod::Percent(500),
            effective_from: date(2025, 4, 1),
            base_date: date(2025, 3, 31),
        };
        let p = s.plan_uplift(&d, date(2025, 1, 1)).await.expect("plan");
        // Standard's own rate: £20.00 → £21.00, £1.00 × 14.5 hours × 52 weeks = £754.00.
        // The council's rate, paid to Other (no rate of its own): £19.00 → £19.95,
        // 95p × 7 hours × 52 weeks = £345.80.
        let cost = |level: RateLevel| p.rates.iter().find(|r| r.base.line.level == level).and_then(|r| r.yearly_cost_pence);
        assert_eq!(cost(RateLevel::Provider), Some(100 * 145 * 52 / 10));
        assert_eq!(cost(RateLevel::Council), Some(95 * 7 * 52));
        assert_eq!(p.total_yearly_cost_pence, 75_400 + 34_580);
        let (id, _) = s.apply_uplift(&x.a, &d, date(2025, 1, 1)).await.expect("apply");
        let (u, _) = s.fee_uplift(&id).await.expect("uplift");
        assert_eq!(u.yearly_cost_pence, 109_980);
    }
}

/// Money limits on packages (issue 16 item 16): a package whose weekly cost at the accepted
/// provider's rate is above the limit of the officer starting it waits for a second officer
/// whose limit covers it. The cost is worked out here from the package and the rate.
#[tokio::test]
async fn a_package_above_the_officers_limit_waits_for_a_second_approver() {
    use caremarket_core::capacity::brokerage::{Lot, Route};
    use caremarket_core::register::{ContractStatus, Rating};
    use caremarket_store::register::{NewService, RatingRecord};
    let message = |e: StoreError| match e {
        StoreError::Invalid(f) => f.message,
        StoreError::Conflict(m) => m,
        other => format!("unexpected error {other:?}"),
    };
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let x = setup(&s).await;
        let ann = user(&s, "ann@test.gov.uk").await;
        let area = s.create_area(&x.a, "North", &["TT1"]).await.expect("area");
        let fw = s.contract_frameworks().await.expect("fws").remove(0);
        let service = s
            .create_service(
                &x.a,
                &NewService {
                    contract_status: ContractStatus::Framework,
                    framework_id: Some(fw.id.clone()),
                    lot_id: Some(x.standard_lot.clone()),
                    ..caremarket_testkit::service(x.standard.clone(), "Standard Home Care", ServiceKind::HomeCare)
                },
            )
            .await
            .expect("service");
        let rating = RatingRecord {
            overall: Some(Rating::Good),
            well_led: Some(Rating::Good),
            report_date: Some(date(2024, 1, 10)),
            ..Default::default()
        };
        s.add_rating(&x.a, &service, &rating, "test").await.expect("rating");
        let today = caremarket_store::today();
        s.declare_spare_capacity(&x.a, &service, Some(&area), "general", "minutes", 100 * 60, today).await.expect("spare");

        // 35 hours a week, 5 visits a day (35 a week), 7 of them with two carers: 42 carer
        // hours a week at the council's £22.96 an hour.
        let (minutes, visits_per_day, double_ups, rate_pence) = (35 * 60, 5, 7, 2296);
        let carer_minutes = minutes + double_ups * (minutes / (visits_per_day * 7));
        let cost = (carer_minutes * rate_pence + 30) / 60;
        assert_eq!(cost, 96_432);
        s.add_fee_rate(&x.a, &rate(RateLevel::Council, None, None, "22.96", date(2024, 4, 1))).await.expect("rate");

        let now = jiff::Timestamp::now();
        let req = caremarket_store::capacity::NewPackageRequest {
            person_ref: "PK100".into(),
            area_id: area.clone(),
            minutes_per_week: minutes,
            visits_per_day,
            visit_times: "08:00, 12:00, 15:00, 18:00, 21:00".into(),
            double_up_visits: double_ups,
            lot: Lot::General,
            needs: vec![],
            language: None,
            cultural_needs: None,
            route: Route::Community,
            requested_at: now.checked_sub(jiff::SignedDuration::from_hours(2)).expect("ts"),
        };
        let id = s.create_package_request(&ann, &req, now).await.expect("request");
        let offer = s.offer_package(&ann, &id, &service, today).await.expect("offer");
        s.respond_to_offer(&ann, &offer, true, None, Some(&x.standard)).await.expect("accept");
        let r = s.package_request(&id).await.expect("request");
        assert_eq!(s.package_cost(&r, today).await.expect("cost"), Some(cost));

        // Ann's limit is £500 a week: she cannot start it, nor approve it herself.
        s.set_approval_limits(&x.a, ann.user_id.as_deref().expect("id"), None, Some(50_000), None).await.expect("limit");
        let start = now.checked_sub(jiff::SignedDuration::from_mins(30)).expect("ts");
        let e = s.start_package(&ann, &id, start, now).await.expect_err("above Ann's limit");
        assert_eq!(
            message(e),
            "This package costs £964.32 a week at Standard Care Ltd's rate, above your approval limit of £500.00: an officer whose limit covers it must approve it before it starts"
        );
        s.claim_request(&ann, &id).await.ok();
        let e = s.approve_package(&ann, &id, today).await.expect_err("own");
        assert!(message(e).contains("someone other than"));
        // The first officer, on the default £1,000 a week, approves; then Ann can start it.
        s.approve_package(&x.a, &id, today).await.expect("approved");
        let r = s.package_request(&id).await.expect("request");
        assert_eq!((r.approved_by_label.as_deref(), r.approved_weekly_pence), (Some("first@test.gov.uk"), Some(cost)));
        s.start_package(&ann, &id, start, now).await.expect("started");
        let e = s.approve_package(&x.a, &id, today).await.expect_err("started already");
        assert!(message(e).contains("not yet started"));
        // Each step is audited.
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE entity_type = 'approval_limits' OR summary = 'Approved a package as second approver'",
        )
        .fetch_one(s.pool())
        .await
        .expect("audit");
        assert_eq!(n, 2);
    }
}
