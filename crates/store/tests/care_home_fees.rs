//! Care home fees (issue 11 item 3): weekly fee versions per home and bed type kept in full, the
//! FNC rate as data, placements by case reference, each change audited with no case reference
//! in it, and the weekly cost of a placement from the stored records. Run on every backend
//! available (SQLite always; PostgreSQL with CAREMARKET_TEST_POSTGRES_URL).

use caremarket_core::fees::care_home_fees::{
    BedType, CareHomeFee, CareHomeFeeDraft, FncDraft, FundingBasis, PlacementDraft, TopUpPayer, fee_in_force, totals_by_home, weekly_cost,
};
use caremarket_core::register::ServiceKind;
use caremarket_store::register::NewService;
use caremarket_store::{Actor, AuditQuery, Store, StoreError};
use jiff::civil::{Date, date};

fn field(e: StoreError) -> (String, String) {
    match e {
        StoreError::Invalid(f) => (f.field, f.message),
        StoreError::InvalidFields(fs) => (fs.0[0].field.clone(), fs.0[0].message.clone()),
        other => panic!("expected a field error, got {other:?}"),
    }
}

async fn service(s: &Store, provider: &str, name: &str, kind: ServiceKind) -> String {
    s.create_service(
        &Actor::system("test"),
        &NewService {
            town: None,
            postcode: Some("OL1 1AA".into()),
            local_authority: Some("Oldham".into()),
            beds: Some(40),
            ..caremarket_testkit::service(provider, name, kind)
        },
    )
    .await
    .expect("service")
}

fn fee(home: &str, bed: BedType, weekly: &str, from: Date) -> CareHomeFeeDraft {
    CareHomeFeeDraft { service_id: Some(home.into()), bed_type: Some(bed), weekly: weekly.into(), effective_from: Some(from) }
}

async fn audit(s: &Store, entity: &str) -> Vec<caremarket_store::AuditEntry> {
    s.audit_entries(&AuditQuery { entity_type: Some(entity.into()), entity_id: None, actor: None, limit: 100, offset: 0 })
        .await
        .expect("audit")
        .0
}

#[tokio::test]
async fn fees_are_versions_for_care_homes_only_and_answer_the_fee_in_force() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("test");
        let p = s.create_provider(&a, None, "Oak Care Ltd", None, None).await.expect("provider");
        let oak = service(&s, &p, "Oak House", ServiceKind::CareHomeNursing).await;
        let elm = service(&s, &p, "Elm Lodge", ServiceKind::CareHomeResidential).await;
        let hc = service(&s, &p, "Oak Home Care", ServiceKind::HomeCare).await;

        s.add_care_home_fee(&a, &fee(&oak, BedType::Nursing, "985.00", date(2024, 4, 1))).await.expect("24/25");
        s.add_care_home_fee(&a, &fee(&oak, BedType::Nursing, "1042.50", date(2025, 4, 1))).await.expect("25/26");
        s.add_care_home_fee(&a, &fee(&elm, BedType::Residential, "812.00", date(2024, 4, 1))).await.expect("elm");

        // Refused, each on its field, and nothing written.
        let e = field(s.add_care_home_fee(&a, &fee(&hc, BedType::Residential, "700", date(2024, 4, 1))).await.expect_err("home care"));
        assert_eq!(e, ("service_id".into(), "Oak Home Care is home care, not a care home: choose a care home".into()));
        let e = field(s.add_care_home_fee(&a, &fee(&elm, BedType::NursingDementia, "1100", date(2024, 4, 1))).await.expect_err("nursing"));
        assert_eq!(e.0, "bed_type");
        assert!(e.1.contains("Elm Lodge is registered without nursing"), "{}", e.1);
        for bad in ["-10", "0"] {
            let e = field(s.add_care_home_fee(&a, &fee(&elm, BedType::Residential, bad, date(2025, 4, 1))).await.expect_err(bad));
            assert_eq!(e.0, "weekly");
        }
        let e = field(s.add_care_home_fee(&a, &fee(&oak, BedType::Nursing, "990", date(2025, 4, 1))).await.expect_err("overlap"));
        assert_eq!(e.0, "effective_from");
        assert!(e.1.contains("from 1 April 2025 (£1,042.50 a week)"), "{}", e.1);
        let e = field(s.add_care_home_fee(&a, &fee("no-such", BedType::Nursing, "990", date(2025, 4, 1))).await.expect_err("none"));
        assert_eq!(e, ("service_id".into(), "Choose a care home from the register".into()));

        let all: Vec<CareHomeFee> = s.care_home_fees().await.expect("fees").into_iter().map(|r| r.fee).collect();
        assert_eq!(all.len(), 3);
        assert_eq!(fee_in_force(&all, &oak, BedType::Nursing, date(2025, 3, 31)).map(|f| f.weekly_pence), Some(98_500));
        assert_eq!(fee_in_force(&all, &oak, BedType::Nursing, date(2025, 4, 1)).map(|f| f.weekly_pence), Some(104_250));
        assert_eq!(audit(&s, "care_home_fee").await.len(), 3);

        // The care homes listed for a fee are the register's care homes, not home care.
        let homes: Vec<String> = s.care_homes().await.expect("homes").into_iter().map(|h| h.name).collect();
        assert_eq!(homes, ["Elm Lodge", "Oak House"]);
    }
}

#[tokio::test]
async fn a_nursing_placement_costs_the_fee_less_fnc_less_the_contribution_and_the_top_up_is_not_the_councils() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("test");
        let p = s.create_provider(&a, None, "Oak Care Ltd", None, None).await.expect("provider");
        let oak = service(&s, &p, "Oak House", ServiceKind::CareHomeNursing).await;
        s.add_care_home_fee(&a, &fee(&oak, BedType::Nursing, "1042.50", date(2025, 4, 1))).await.expect("fee");
        s.add_care_home_fee(&a, &fee(&oak, BedType::Residential, "845.00", date(2025, 4, 1))).await.expect("fee");
        // The published FNC standard rates (DHSC): £235.88 in 2024/25, £254.06 in 2025/26.
        s.add_fnc_rate(&a, &FncDraft { weekly: "235.88".into(), effective_from: Some(date(2024, 4, 1)) }, "DHSC").await.expect("fnc");
        s.add_fnc_rate(&a, &FncDraft { weekly: "254.06".into(), effective_from: Some(date(2025, 4, 1)) }, "DHSC").await.expect("fnc");
        let e = field(
            s.add_fnc_rate(&a, &FncDraft { weekly: "250".into(), effective_from: Some(date(2025, 4, 1)) }, "").await.expect_err("overlap"),
        );
        assert_eq!(e.0, "effective_from");

        let draft = PlacementDraft {
            case_ref: "ab-10234".into(),
            service_id: Some(oak.clone()),
            bed_type: Some(BedType::Nursing),
            start_date: Some(date(2025, 5, 12)),
            end_date: None,
            funding: Some(FundingBasis::Net),
            contribution: "210.45".into(),
            top_up: "50.00".into(),
            top_up_payer: Some(TopUpPayer::SonOrDaughter),
        };
        let e = field(
            s.record_care_home_placement(&a, &PlacementDraft { case_ref: "Mary Smith".into(), ..draft.clone() }).await.expect_err("name"),
        );
        assert_eq!(e.0, "case_ref");
        let id = s.record_care_home_placement(&a, &draft).await.expect("placement");
        let gross_id = s
            .record_care_home_placement(
                &a,
                &PlacementDraft {
                    case_ref: "AB-20001".into(),
                    bed_type: Some(BedType::Residential),
                    funding: Some(FundingBasis::Gross),
                    contribution: String::new(),
                    top_up: String::new(),
                    top_up_payer: None,
                    ..draft.clone()
                },
            )
            .await
            .expect("gross");

        let rec = s.care_home_placement(&id).await.expect("load");
        assert_eq!(rec.placement.case_ref, "AB-10234");
        assert_eq!(rec.home_name, "Oak House");
        let fees: Vec<CareHomeFee> = s.care_home_fees().await.expect("fees").into_iter().map(|r| r.fee).collect();
        let fnc: Vec<_> = s.fnc_rates().await.expect("fnc").into_iter().map(|r| r.rate).collect();
        let on = date(2025, 6, 1);
        let c = weekly_cost(&rec.placement, &fees, &fnc, on).expect("cost");
        // £1,042.50 − £254.06 FNC − £210.45 contribution; the £50.00 top-up beside it.
        let expected = 104_250 - 25_406 - 21_045;
        assert_eq!(
            (c.gross_pence, c.fnc_pence, c.contribution_pence, c.council_pence, c.top_up_pence),
            (104_250, 25_406, 21_045, expected, 5_000)
        );

        let all: Vec<_> = s.care_home_placements().await.expect("all").into_iter().map(|r| r.placement).collect();
        let (per, total) = totals_by_home(&all, &fees, &fnc, on);
        assert_eq!(per.len(), 1);
        assert_eq!(total.placements, 2);
        assert_eq!(total.gross_pence, 104_250 + 84_500);
        assert_eq!(total.council_pence, expected + 84_500);

        // Ending: not before the start, and only once.
        let e = field(s.end_care_home_placement(&a, &gross_id, date(2025, 5, 1)).await.expect_err("early"));
        assert_eq!(e.0, "end_date");
        s.end_care_home_placement(&a, &gross_id, date(2025, 5, 31)).await.expect("end");
        let e = field(s.end_care_home_placement(&a, &gross_id, date(2025, 6, 30)).await.expect_err("twice"));
        assert_eq!(e.0, "end_date");
        let all: Vec<_> = s.care_home_placements().await.expect("all").into_iter().map(|r| r.placement).collect();
        assert_eq!(totals_by_home(&all, &fees, &fnc, on).1.placements, 1);

        // Audited, and no audit row carries the case reference.
        let rows = audit(&s, "care_home_placement").await;
        assert_eq!(rows.len(), 3);
        for r in rows {
            let all = format!("{} {:?} {:?}", r.summary, r.before_json, r.after_json);
            assert!(!all.contains("AB-10234") && !all.contains("AB-20001"), "{all}");
        }
        assert_eq!(audit(&s, "fnc_rate").await.len(), 2);
    }
}
