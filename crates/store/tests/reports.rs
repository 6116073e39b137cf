//! The quarterly report's records on both backends: a section's words carried into later
//! quarters until edited, a published quarter frozen whole and published once, every change
//! audited, and ratings read as at a past date.

use caremarket_core::Date;
use caremarket_core::register::{Rating, ServiceKind};
use caremarket_core::reports::quarterly::{FrontMatter, Market, MarketKinds, QuarterlyReport, Section};
use caremarket_store::register::{NewService, RatingRecord};
use caremarket_store::{Actor, AuditQuery, StoreError};

fn d(y: i16, m: i8, dd: i8) -> Date {
    Date::new(y, m, dd).expect("a real date")
}

fn report(as_at: Date) -> QuarterlyReport {
    QuarterlyReport {
        council: "Testshire Council".into(),
        as_at,
        title: QuarterlyReport::title_for(as_at),
        front_matter: FrontMatter::default(),
        delivery_plan: None,
        sections: vec![],
        computed_at: "2025-01-05T10:00:00Z".into(),
        published: None,
    }
}

#[tokio::test]
async fn words_carry_forward_until_edited_and_a_published_quarter_is_frozen() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("officer");
        let (m, sec) = (Market::LivingAndAgeingWell, Section::Sufficiency);
        s.save_report_narrative(&a, d(2024, 12, 31), m, sec, "Occupancy improved", "Renew fee model").await.unwrap();
        // Q4 has none of its own: Q3's words, marked as carried.
        let q4 = s.report_narratives(d(2025, 3, 31)).await.unwrap();
        let n = q4.iter().find(|n| n.market == m && n.section == sec).expect("carried");
        assert_eq!((n.narrative.as_str(), n.carried_from), ("Occupancy improved", Some(d(2024, 12, 31))));
        // Nothing from a later quarter reaches an earlier one.
        assert!(s.report_narratives(d(2024, 9, 30)).await.unwrap().is_empty());
        // Edited for Q4: Q3 keeps its own.
        s.save_report_narrative(&a, d(2025, 3, 31), m, sec, "Occupancy steady", "").await.unwrap();
        assert_eq!(s.report_narratives(d(2024, 12, 31)).await.unwrap()[0].narrative, "Occupancy improved");
        assert_eq!(s.report_narratives(d(2025, 3, 31)).await.unwrap()[0].carried_from, None);
        // A section the market does not have.
        let e = s.save_report_narrative(&a, d(2025, 3, 31), Market::SelfDirectedSupport, Section::Quality, "x", "").await.unwrap_err();
        assert!(matches!(e, StoreError::Invalid(ref f) if f.field == "section"), "{e:?}");

        // Publish Q3 once; its words can no longer change.
        s.publish_report(&a, &report(d(2024, 12, 31))).await.unwrap();
        assert!(matches!(s.publish_report(&a, &report(d(2024, 12, 31))).await, Err(StoreError::Conflict(_))));
        assert!(matches!(s.save_report_narrative(&a, d(2024, 12, 31), m, sec, "changed", "").await, Err(StoreError::Conflict(_))));
        assert_eq!(s.published_report(d(2024, 12, 31)).await.unwrap(), Some(report(d(2024, 12, 31))));
        assert_eq!(s.previous_published_report(d(2025, 3, 31)).await.unwrap().map(|r| r.as_at), Some(d(2024, 12, 31)));
        assert_eq!(s.previous_published_report(d(2024, 12, 31)).await.unwrap(), None);
        assert_eq!(s.published_reports().await.unwrap().len(), 1);

        // Audited: two edits and one publication.
        let (edits, _) =
            s.audit_entries(&AuditQuery { entity_type: Some("report_narrative".into()), limit: 50, ..Default::default() }).await.unwrap();
        assert_eq!(edits.len(), 2);
        let (pubs, _) =
            s.audit_entries(&AuditQuery { entity_type: Some("quarterly_report".into()), limit: 50, ..Default::default() }).await.unwrap();
        assert_eq!(pubs.len(), 1);

        // Settings: front matter and markets round-trip.
        let fm = FrontMatter { duty: "d".into(), themes: "t".into(), good: "g".into() };
        s.set_report_front_matter(&a, &fm).await.unwrap();
        assert_eq!(s.report_front_matter().await.unwrap(), fm);
        let mk = MarketKinds::from_pairs(&[(Market::AdultMentalHealth, ServiceKind::HomeCare)]).unwrap();
        s.set_report_market_kinds(&a, &mk).await.unwrap();
        assert_eq!(s.report_market_kinds().await.unwrap(), mk);
    }
}

#[tokio::test]
async fn a_services_rating_is_read_as_at_the_reports_date() {
    for s in caremarket_testkit::all_backends().await.expect("backends") {
        let a = Actor::system("test");
        let p = s.create_provider(&a, None, "P Ltd", None, None).await.unwrap();
        let id = s
            .create_service(
                &a,
                &NewService {
                    cqc_location_id: Some("1-1".into()),
                    town: None,
                    postcode: None,
                    local_authority: None,
                    registration_date: Some(d(2020, 1, 1)),
                    ..caremarket_testkit::service(p, "Homecare", ServiceKind::HomeCare)
                },
            )
            .await
            .unwrap();
        for (r, on) in [(Rating::RequiresImprovement, d(2023, 5, 1)), (Rating::Good, d(2025, 2, 1))] {
            s.add_rating(&a, &id, &RatingRecord { overall: Some(r), report_date: Some(on), ..Default::default() }, "test").await.unwrap();
        }
        let at = |x: Date| {
            let s = s.clone();
            async move {
                s.service_facts_as_at(x)
                    .await
                    .unwrap()
                    .into_iter()
                    .find(|f| f.overall.is_some() || f.kind == ServiceKind::HomeCare)
                    .and_then(|f| f.overall)
            }
        };
        assert_eq!(at(d(2022, 12, 31)).await, None, "not yet rated");
        assert_eq!(at(d(2024, 12, 31)).await, Some(Rating::RequiresImprovement));
        assert_eq!(at(d(2025, 3, 31)).await, Some(Rating::Good));
        let f = &s.service_facts_as_at(d(2024, 12, 31)).await.unwrap()[0];
        assert!(f.registered_on(d(2024, 12, 31)) && !f.registered_on(d(2019, 12, 31)));
    }
}
