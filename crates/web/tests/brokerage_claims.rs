//! Issue 16 item 10 through the router: an officer claims a request, offers it to every eligible
//! provider (the count said before confirming), another officer sees who has it and cannot
//! offer until they take it over, the first provider to accept in the portal wins, another sees
//! its offer withdrawn with the date and cannot accept, and no offer buttons remain.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::capacity::brokerage::{Lot, Route};
use caremarket_core::register::{Rating, ServiceKind};
use caremarket_store::Actor;
use caremarket_store::capacity::NewPackageRequest;
use caremarket_store::register::{NewService, RatingRecord};
use common::{Client, visible_text};

fn hc(provider_id: &str, name: &str, fw: Option<(&str, &str)>) -> NewService {
    NewService { town: None, ..caremarket_testkit::on_framework(caremarket_testkit::service(provider_id, name, ServiceKind::HomeCare), fw) }
}

#[tokio::test]
async fn claim_offer_to_all_first_acceptance_wins_take_over() {
    let mut c = Client::sqlite().await;
    let a = Actor::system("test");
    let s = c.store.clone();
    let area = s.create_area(&a, "North", &["TT1"]).await.expect("area");
    let fw = s.create_framework(&a, "Home Care Framework", Some(ServiceKind::HomeCare), None, None, &["General"]).await.expect("fw");
    let general = s.frameworks().await.expect("f")[0].lots[0].id.clone();
    // Three framework services rated Good with spare hours in the area (eligible), one spot-purchased (not).
    let mut providers = Vec::new();
    for (name, framework) in [("Alder Care", true), ("Birch Care", true), ("Cedar Care", true), ("Spot Care", false)] {
        let p = s.create_provider(&a, None, &format!("{name} Ltd"), None, None).await.expect("p");
        let id =
            s.create_service(&a, &hc(&p, name, if framework { Some((fw.as_str(), general.as_str())) } else { None })).await.expect("s");
        s.add_rating(
            &a,
            &id,
            &RatingRecord {
                overall: Some(Rating::Good),
                well_led: Some(Rating::Good),
                report_date: Some(jiff::civil::date(2024, 1, 1)),
                ..Default::default()
            },
            "test",
        )
        .await
        .expect("rating");
        s.declare_spare_capacity(&a, &id, Some(&area), "general", "minutes", 30 * 60, caremarket_store::today()).await.expect("spare");
        providers.push((p, name, framework));
    }
    let eligible = providers.iter().filter(|p| p.2).count();
    let id = s
        .create_package_request(
            &a,
            &NewPackageRequest {
                person_ref: "AB12345".into(),
                area_id: area.clone(),
                minutes_per_week: 14 * 60,
                visits_per_day: 2,
                visit_times: "08:00, 18:00".into(),
                double_up_visits: 0,
                lot: Lot::General,
                needs: vec![],
                language: None,
                cultural_needs: None,
                route: Route::Community,
                requested_at: jiff::Timestamp::now() - jiff::SignedDuration::from_hours(2),
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("request");
    let url = format!("/brokerage/requests/{id}");
    let bev = c.user_named("bev@test", "Bev Schofield", Role::BrokerageOfficer, None).await;
    c.user_named("bo@test", "Bo Ridley", Role::BrokerageOfficer, None).await;
    c.user_named("quinn@test", "Quinn Lees", Role::QualityOfficer, None).await;
    c.user_named("alder@test", "Al Provider", Role::Provider, Some(&providers[0].0)).await;
    c.user_named("cedar@test", "Ced Provider", Role::Provider, Some(&providers[2].0)).await;

    // Bev sees it unclaimed, with how many providers an offer to all would reach, and claims it.
    c.sign_in_as("bev@test").await;
    let page = c.get(&url).await;
    page.assert_ok();
    let text = visible_text(&page.body);
    assert!(text.contains("No one is working on this request."), "{text}");
    assert!(text.contains(&format!("This offers the package to {eligible} eligible providers at once")), "{text}");
    assert!(text.contains(&format!("Offer to all {eligible} eligible providers")), "{text}");
    let r = c.post_form(&format!("{url}/claim"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = c.get(r.location.as_deref().expect("location")).await;
    let text = visible_text(&page.body);
    assert!(text.contains("You are now working on this request"), "{text}");
    assert!(text.contains("Being worked by Bev Schofield since") && text.contains("(you)"), "{text}");
    assert!(text.contains("Release this request"), "{text}");
    // The list says who has it and filters to mine and unclaimed (kept in the URL).
    let list = visible_text(&c.get("/brokerage").await.body);
    assert!(list.contains("Being worked by") && list.contains("Bev Schofield"), "{list}");
    assert!(visible_text(&c.get("/brokerage?claim=mine").await.body).contains("AB12345"));
    let unclaimed = visible_text(&c.get("/brokerage?claim=unclaimed").await.body);
    assert!(!unclaimed.contains("AB12345") && unclaimed.contains("Every waiting request is being worked on."), "{unclaimed}");
    assert_eq!(c.get("/brokerage?claim=someone").await.status, StatusCode::BAD_REQUEST);

    // Bo sees who has it, no offer buttons, and is refused an offer.
    let mut bo = Client::new(c.store.clone());
    bo.sign_in_as("bo@test").await;
    let page = bo.get(&url).await;
    let text = visible_text(&page.body);
    assert!(text.contains("Being worked by Bev Schofield since"), "{text}");
    assert!(text.contains("Take over from Bev Schofield"), "{text}");
    assert!(!text.contains("Offer to all") && !page.contains("/offer\"") && !page.contains("Claim this request"), "{text}");
    let r = bo.post_form(&format!("{url}/offer-all"), &[("expected", &eligible.to_string())]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(visible_text(&r.body).contains("Bev Schofield is working on this request"), "{}", r.body);
    assert!(visible_text(&bo.get("/brokerage?claim=mine").await.body).contains("You are not working on any waiting request."));
    // A quality officer reads who has it but cannot claim.
    let mut q = Client::new(c.store.clone());
    q.sign_in_as("quinn@test").await;
    let page = q.get(&url).await;
    assert!(visible_text(&page.body).contains("Being worked by Bev Schofield"));
    assert!(!page.contains("Take over from") && !page.contains("Release this request"));
    assert_eq!(q.post_form(&format!("{url}/claim"), &[]).await.status, StatusCode::FORBIDDEN);

    // Bev offers to all.
    c.get(&url).await;
    let r = c.post_form(&format!("{url}/offer-all"), &[("expected", &eligible.to_string())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let text = visible_text(&c.get(r.location.as_deref().expect("location")).await.body);
    assert!(text.contains(&format!("Offered to {eligible} eligible providers: the first to accept gets the package")), "{text}");

    // Alder accepts in the portal; Cedar then sees its offer withdrawn and cannot accept.
    let mut alder = Client::new(c.store.clone());
    alder.sign_in_as("alder@test").await;
    let offers = alder.get("/portal/offers").await;
    assert!(visible_text(&offers.body).contains("to every eligible provider: the first to accept gets it"), "{}", offers.body);
    let req = s.package_request(&id).await.expect("req");
    let offer_of = |name: &str| req.offers.iter().find(|o| o.service_name == name).expect("offer").id.clone();
    let r = alder.post_form(&format!("/portal/offers/{}/respond", offer_of("Alder Care")), &[("response", "accept")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let text = visible_text(&alder.get(r.location.as_deref().expect("location")).await.body);
    assert!(text.contains("You accepted the package") && text.contains("You accepted on "), "{text}");
    let mut cedar = Client::new(c.store.clone());
    cedar.sign_in_as("cedar@test").await;
    let page = cedar.get("/portal/offers").await;
    let text = visible_text(&page.body);
    assert!(text.contains("Withdrawn on ") && text.contains("another provider accepted the package first"), "{text}");
    assert!(!page.contains("value=\"accept\""), "no accept button on a withdrawn offer");
    let r = cedar.post_form(&format!("/portal/offers/{}/respond", offer_of("Cedar Care")), &[("response", "accept")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let text = visible_text(&r.body);
    assert!(text.contains("This offer was withdrawn on ") && text.contains("another provider accepted the package first"), "{text}");

    // The request: placed with Alder, the others withdrawn, no offer buttons for anyone.
    for client in [&mut c, &mut bo] {
        let page = client.get(&url).await;
        let text = visible_text(&page.body);
        assert!(text.contains("Alder Care"), "{text}");
        assert_eq!(text.matches("Withdrawn").count(), eligible - 1, "{text}");
        assert!(!text.contains("Offer to all") && !page.contains("/offer\"") && !page.contains("/offer-all\""), "{text}");
        assert!(!page.contains("value=\"accept\""), "no answer buttons once placed");
    }
    let text = visible_text(&c.get(&url).await.body);
    assert!(
        text.contains("Claimed the request") && text.contains(&format!("Offered the package to all {eligible} eligible providers")),
        "{text}"
    );

    // Bo takes over, named in the history; Bev is then the one who cannot change it.
    bo.get(&url).await;
    let r = bo.post_form(&format!("{url}/take-over"), &[("from", &bev)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let text = visible_text(&bo.get(r.location.as_deref().expect("location")).await.body);
    assert!(text.contains("You have taken over this request") && text.contains("Being worked by Bo Ridley since"), "{text}");
    assert!(text.contains("Took the request over from Bev Schofield"), "{text}");
    let text = visible_text(&c.get(&url).await.body);
    assert!(text.contains("Take over from Bo Ridley") && !text.contains("Record start"), "{text}");
    let r = c.post_form(&format!("{url}/release"), &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(visible_text(&r.body).contains("Bo Ridley is working on this request"));
    let r = bo.post_form(&format!("{url}/release"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(visible_text(&bo.get(r.location.as_deref().expect("location")).await.body).contains("You have released this request"));
}
