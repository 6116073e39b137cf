//! CQC changes to acknowledge (issue 16 item 13), through the router: what an import changed is
//! listed as New with what changed and which import found it; a commissioner acknowledges one or
//! all shown, with a note, and sees the banner; the Acknowledged tab names who and when; the
//! dashboard and the quality officer's work page count what is new; roles that may not read or
//! acknowledge are refused.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::register::import_plan::Completeness;
use caremarket_core::register::{CqcLocation, CqcRatingSet, Rating};
use caremarket_store::Actor;
use caremarket_store::import::ImportOptions;
use common::{Client, visible_text};

fn loc(id: &str, name: &str, overall: Rating, date: &str) -> CqcLocation {
    let mut l = CqcLocation::new(id, name);
    l.provider_id = Some(format!("1-P{id}"));
    l.provider_name = Some(format!("{name} Ltd"));
    l.local_authority = Some("Testshire".into());
    l.postcode = Some("TT1 1AA".into());
    l.service_types = vec!["Residential homes".into()];
    l.registration_date = Some("2015-01-01".parse().expect("date"));
    l.rating = Some(CqcRatingSet { overall: Some(overall), report_date: Some(date.parse().expect("date")), ..Default::default() });
    l
}

async fn import(c: &Client, file_name: &str, records: &[CqcLocation]) {
    let opts = ImportOptions {
        file_name: file_name.into(),
        format: "test".into(),
        council_local_authorities: vec!["Testshire".into()],
        completeness: Completeness::Partial,
        ..Default::default()
    };
    c.store.import_cqc(&Actor::system("test"), &opts, records, vec![], &mut |_, _| {}).await.expect("import");
}

#[tokio::test]
async fn changes_are_new_until_acknowledged_with_who_and_when() {
    let mut c = Client::sqlite().await;
    c.store.set_setting("council_local_authorities", "Testshire").await.expect("setting");
    let first =
        [loc("1-1", "Alder House", Rating::RequiresImprovement, "2023-05-01"), loc("1-2", "Beech Court", Rating::Good, "2022-01-01")];
    import(&c, "first.csv", &first).await;
    // A month later: Alder House rises, Beech Court falls, Cedar Lodge is new.
    let second = [
        loc("1-1", "Alder House", Rating::Good, "2024-06-03"),
        loc("1-2", "Beech Court", Rating::Inadequate, "2024-06-10"),
        loc("1-3", "Cedar Lodge", Rating::Good, "2024-06-20"),
    ];
    import(&c, "second.csv", &second).await;

    c.user_named("cam@test.gov.uk", "Cam Holroyd", Role::Commissioner, None).await;
    c.sign_in_as("cam@test.gov.uk").await;
    let dash = visible_text(&c.get("/dashboard").await.body);
    assert!(dash.contains("3 CQC changes to acknowledge"), "{dash}");

    let page = c.get("/register/cqc-changes").await;
    page.assert_ok();
    let text = visible_text(&page.body);
    assert!(text.contains("New (3)"), "{text}");
    assert!(text.contains("Requires improvement → Good, report published 3 June 2024"), "{text}");
    assert!(text.contains("Good → Inadequate, report published 10 June 2024"), "{text}");
    assert!(text.contains("Cedar Lodge New New service Registered with CQC on 1 January 2015"), "{text}");
    assert!(text.contains("second.csv") && !text.contains("first.csv"), "found by the second import: {text}");
    assert!(page.body.contains("<strong class=\"govuk-tag govuk-tag--blue\">New</strong>"), "a New tag");
    let alder = c.store.service_by_location_id("1-1").await.expect("q").expect("alder");
    assert!(page.body.contains(&format!("href=\"/services/{}\">Alder House</a>", alder.id)), "links to the service");

    // Filtered by kind, in the URL.
    let text = visible_text(&c.get("/register/cqc-changes?kind=new_service").await.body);
    assert!(text.contains("1 new change: new service") && text.contains("Cedar Lodge") && !text.contains("Alder House"), "{text}");
    assert_eq!(c.get("/register/cqc-changes?kind=nonsense").await.status, StatusCode::BAD_REQUEST);

    // Nothing ticked: said, and nothing changes.
    c.get("/register/cqc-changes").await;
    let r = c.post_form("/register/cqc-changes/acknowledge", &[("action", "selected"), ("note", "")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let text = visible_text(&c.get(r.location.as_deref().expect("back")).await.body);
    assert!(text.contains("There is a problem") && text.contains("Select at least one change to acknowledge"), "{text}");
    assert_eq!(c.store.unacknowledged_cqc_change_count().await.expect("count"), 3);

    // One ticked, with a note: the banner, then the Acknowledged tab says who and when.
    let changes = c.store.cqc_changes(&Default::default()).await.expect("changes");
    let beech = changes.iter().find(|x| x.service_name == "Beech Court").expect("beech");
    let r = c
        .post_form(
            "/register/cqc-changes/acknowledge",
            &[("change_id", beech.id.as_str()), ("action", "selected"), ("note", "Visit booked")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let text = visible_text(&c.get(r.location.as_deref().expect("back")).await.body);
    assert!(text.contains("Success 1 change acknowledged") && text.contains("New (2)"), "{text}");
    let done = visible_text(&c.get("/register/cqc-changes?tab=acknowledged").await.body);
    assert!(done.contains("Beech Court") && done.contains("Cam Holroyd") && done.contains("Visit booked"), "{done}");
    assert!(!done.contains("cam@test.gov.uk Visit"), "named, not by email: {done}");

    // All shown: the other two.
    let shown: Vec<String> = c.store.cqc_changes(&Default::default()).await.expect("changes").into_iter().map(|x| x.id).collect();
    c.get("/register/cqc-changes").await;
    let mut fields: Vec<(&str, &str)> = shown.iter().map(|id| ("shown_id", id.as_str())).collect();
    fields.push(("action", "all"));
    let r = c.post_form("/register/cqc-changes/acknowledge", &fields).await;
    let text = visible_text(&c.get(r.location.as_deref().expect("back")).await.body);
    assert!(text.contains("2 changes acknowledged") && text.contains("New (0)") && text.contains("There are no new changes"), "{text}");
    let dash = visible_text(&c.get("/dashboard").await.body);
    assert!(dash.contains("No CQC changes to acknowledge"), "{dash}");

    // A quality officer acknowledges too and sees the count at work; a viewer reads but may not
    // acknowledge; a provider user and a councillor may not read.
    import(&c, "third.csv", &[loc("1-4", "Damson View", Rating::Good, "2024-07-01")]).await;
    c.user_named("quinn@test.gov.uk", "Quinn Lees", Role::QualityOfficer, None).await;
    let mut q = Client::new(c.store.clone());
    q.sign_in_as("quinn@test.gov.uk").await;
    let work = visible_text(&q.get("/work").await.body);
    assert!(work.contains("1 CQC change to acknowledge"), "{work}");
    assert!(q.get("/register/cqc-changes").await.body.contains("Acknowledge selected"));

    c.user_named("vic@test.gov.uk", "Vic Buckley", Role::Viewer, None).await;
    let mut v = Client::new(c.store.clone());
    v.sign_in_as("vic@test.gov.uk").await;
    let seen = v.get("/register/cqc-changes").await;
    seen.assert_ok();
    assert!(visible_text(&seen.body).contains("Damson View") && !seen.body.contains("Acknowledge selected"), "{}", seen.body);
    let r = v.post_form("/register/cqc-changes/acknowledge", &[("action", "all"), ("shown_id", shown[0].as_str())]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    for (email, role) in [("cllr@test.gov.uk", Role::Councillor), ("brokerage@test.gov.uk", Role::BrokerageOfficer)] {
        c.user(email, role, None).await;
        let mut o = Client::new(c.store.clone());
        o.sign_in_as(email).await;
        let expect = if role.can(caremarket_core::access::Permission::ViewRegister) { StatusCode::OK } else { StatusCode::FORBIDDEN };
        assert_eq!(o.get("/register/cqc-changes").await.status, expect, "{role:?}");
        assert_eq!(o.post_form("/register/cqc-changes/acknowledge", &[("action", "all")]).await.status, StatusCode::FORBIDDEN, "{role:?}");
    }
    assert_eq!(c.store.unacknowledged_cqc_change_count().await.expect("count"), 1);
}
