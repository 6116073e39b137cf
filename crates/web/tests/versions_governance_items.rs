//! Lost updates (issue 17 item 6, decision 25) on a committee's meetings, its items and their
//! appraisal options, and a self-assessment's claims and evidence items (migration 0038). Two
//! commissioners open the same change form at one version; the first save stands; the second is
//! answered 409 with the form again: "This record changed since you opened it", who saved it, each
//! field that differs, and what was typed kept; nothing of it is written, audit row included.
//! Saving the form shown then (it carries the version now) replaces the first save, deliberately.
//! Run on SQLite and, when configured, PostgreSQL.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::governance::committees::{CoverSheet, ItemFields, NewCommittee, NewItem, NewMeeting, NewOption, OptionOutcome};
use caremarket_core::governance::self_assessment::{ClaimKind, NewClaim, NewEvidence};
use caremarket_store::users::NewUser;
use caremarket_store::{Actor, AuditQuery, Store};
use common::{Client, PASSWORD, visible_text};

const FIRST: &str = "Asha Patel";

async fn person(store: &Store, email: &str, name: &str) {
    store
        .create_user(
            &Actor::system("test"),
            NewUser {
                email,
                display_name: name,
                password: PASSWORD,
                role: Role::Commissioner,
                provider_id: None,
                must_change_password: false,
            },
        )
        .await
        .expect("user");
}

async fn signed_in(store: &Store, email: &str) -> Client {
    let mut c = Client::new(store.clone());
    c.sign_in_as(email).await;
    c
}

async fn updates_of(store: &Store, entity_type: &str, id: &str) -> usize {
    let q = AuditQuery { entity_type: Some(entity_type.into()), entity_id: Some(id.into()), limit: 100, ..Default::default() };
    store.audit_entries(&q).await.expect("audit").0.iter().filter(|e| e.action == "update").count()
}

/// Every backend, each with two commissioners.
async fn stores() -> Vec<Store> {
    let mut out = Vec::new();
    for store in caremarket_testkit::all_backends().await.expect("stores") {
        store.set_setting("council_name", "Testshire Council").await.expect("setting");
        person(&store, "asha@test.gov.uk", FIRST).await;
        person(&store, "ben@test.gov.uk", "Ben Okoro").await;
        out.push(store);
    }
    out
}

/// The race at `edit`: both open the form at version 1, Asha saves `first` (303), Ben's `second`
/// is refused (409) with the notice, the lines in `differs` and `kept` in the page's HTML; his
/// form then carries version 2. Returns Ben's client, to save again, and the refusal's text.
async fn race(
    store: &Store,
    edit: &str,
    first: &[(&str, &str)],
    second: &[(&str, &str)],
    differs: &[String],
    kept: &str,
) -> (Client, String) {
    let mut asha = signed_in(store, "asha@test.gov.uk").await;
    let mut ben = signed_in(store, "ben@test.gov.uk").await;
    asha.get(edit).await.assert_ok();
    ben.get(edit).await.assert_ok();
    assert_eq!((asha.form_version(edit).as_deref(), ben.form_version(edit).as_deref()), (Some("1"), Some("1")), "{edit}");
    let r = asha.post_form(edit, first).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{edit}: {}", visible_text(&r.body));
    let r = ben.post_form(edit, second).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{edit}: {}", visible_text(&r.body));
    let text = visible_text(&r.body);
    assert!(text.contains("This record changed since you opened it"), "{edit}: {text}");
    assert!(text.contains(&format!("{FIRST} saved it at ")), "{edit}: {text}");
    assert!(text.contains("Your changes have not been saved"), "{edit}: {text}");
    for line in differs {
        assert!(text.contains(line.as_str()), "{edit}: expected '{line}' in {text}");
    }
    assert!(r.body.contains(kept), "{edit}: what was typed is kept ({kept}): {}", r.body);
    assert_eq!(ben.form_version(edit).as_deref(), Some("2"), "{edit}");
    (ben, text)
}

fn as_pairs(f: &[(String, String)]) -> Vec<(&str, &str)> {
    f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn date_label(d: caremarket_core::Date) -> String {
    // As the pages write a date: "24 August 2023".
    d.strftime("%-d %B %Y").to_string()
}

#[tokio::test]
async fn a_committee_meeting_changed_by_two_commissioners_keeps_the_first_save() {
    for store in stores().await {
        let a = Actor::system("test");
        let cid =
            store.create_committee(&a, &NewCommittee::parse("Adult Social Care Scrutiny Commission", "").expect("c")).await.expect("c");
        let on = jiff::civil::date(2023, 8, 24);
        let mid = store.add_meeting(&a, &cid, &NewMeeting::parse(Some(on), "5:30 pm", "City Hall").expect("m")).await.expect("m");
        let edit = format!("/governance/committees/{cid}/meetings/{mid}/edit");
        let form = |day: &'static str, time: &'static str, place: &'static str| {
            vec![("meets_on-day", day), ("meets_on-month", "8"), ("meets_on-year", "2023"), ("starts_at", time), ("place", place)]
        };
        let (asha_time, ben_place, ben_day) = ("6 pm", "Town Hall, Committee Room 2", "31");
        let moved = jiff::civil::date(2023, 8, 31);
        let differs = [
            format!("Date of the meeting {} {}", date_label(on), date_label(moved)),
            format!("Time {asha_time} 5:30 pm"),
            format!("Place City Hall {ben_place}"),
        ];
        let (mut ben, _) = race(
            &store,
            &edit,
            &form("24", asha_time, "City Hall"),
            &form(ben_day, "5:30 pm", ben_place),
            &differs,
            &format!("value=\"{ben_place}\""),
        )
        .await;
        let now = store.meeting(&mid).await.expect("meeting");
        assert_eq!((now.meets_on, now.starts_at.as_str(), now.place.as_str()), (on, asha_time, "City Hall"));
        assert_eq!(updates_of(&store, "committee_meeting", &mid).await, 1);

        let r = ben.post_form(&edit, &form(ben_day, "5:30 pm", ben_place)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "saving the form shown replaces it: {}", visible_text(&r.body));
        let now = store.meeting(&mid).await.expect("meeting");
        assert_eq!((now.meets_on, now.starts_at.as_str(), now.place.as_str()), (moved, "5:30 pm", ben_place));
        assert_eq!(updates_of(&store, "committee_meeting", &mid).await, 2);
    }
}

#[tokio::test]
async fn a_committee_item_changed_by_two_commissioners_keeps_the_first_save() {
    for store in stores().await {
        let a = Actor::system("test");
        let cid =
            store.create_committee(&a, &NewCommittee::parse("Adult Social Care Scrutiny Commission", "").expect("c")).await.expect("c");
        let on = jiff::civil::date(2023, 8, 24);
        let mid = store.add_meeting(&a, &cid, &NewMeeting::parse(Some(on), "", "").expect("m")).await.expect("m");
        let title = "Personalisation and Direct Payments Update";
        let f = ItemFields { meeting_id: &mid, title, ..Default::default() };
        let iid =
            store.add_committee_item(&a, &cid, &NewItem::parse(&f, Ok(CoverSheet::default()), &[&mid]).expect("item")).await.expect("i");
        let edit = format!("/governance/committees/{cid}/items/{iid}/edit");
        let form = |meeting: &str, title: &str, officer: &str, progress: &str| -> Vec<(String, String)> {
            [
                ("meeting_id", meeting),
                ("title", title),
                ("detail", ""),
                ("officer", officer),
                ("proposed", ""),
                ("paper_title", ""),
                ("paper_url", ""),
                ("recommendations", ""),
                ("progress", progress),
                ("eia", ""),
                ("eia_reference", ""),
                ("exempt", ""),
                ("exempt_paragraph", ""),
                ("exempt_detail", ""),
                ("key_decision", ""),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
        };
        let (asha_title, asha_officer) = ("Direct Payments: progress update", "Mary Gardner, Strategic Commissioning Manager");
        let (ben_officer, ben_progress) = ("Head of Commissioning", "Agreed to consult providers");
        let first = form(&mid, asha_title, asha_officer, "");
        let second = form("", title, ben_officer, ben_progress);
        let differs = [
            format!("Item {asha_title} {title}"),
            format!("Meeting Meeting of {} The forward plan (not yet at a meeting)", date_label(on)),
            format!("Officer {asha_officer} {ben_officer}"),
            format!("Progress Not given {ben_progress}"),
        ];
        let (mut ben, text) =
            race(&store, &edit, &as_pairs(&first), &as_pairs(&second), &differs, &format!("value=\"{ben_officer}\"")).await;
        assert!(!text.contains("Detail Not given"), "a field that did not differ is not listed: {text}");
        let now = store.committee_item(&iid).await.expect("item");
        assert_eq!(
            (now.title.as_str(), now.officer.as_str(), now.progress.as_str(), now.meeting_id.as_deref()),
            (asha_title, asha_officer, "", Some(mid.as_str()))
        );
        assert_eq!(updates_of(&store, "committee_item", &iid).await, 1);

        let r = ben.post_form(&edit, &as_pairs(&second)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "saving the form shown replaces it: {}", visible_text(&r.body));
        let now = store.committee_item(&iid).await.expect("item");
        assert_eq!(
            (now.title.as_str(), now.officer.as_str(), now.progress.as_str(), now.meeting_id),
            (title, ben_officer, ben_progress, None)
        );
        assert_eq!(updates_of(&store, "committee_item", &iid).await, 2);
    }
}

async fn option_of(store: &Store, iid: &str, oid: &str) -> caremarket_core::governance::committees::AppraisedOption {
    store.committee_item(iid).await.expect("item").options.into_iter().find(|o| o.id == oid).expect("option")
}

#[tokio::test]
async fn an_appraisal_option_changed_by_two_commissioners_keeps_the_first_save() {
    for store in stores().await {
        let a = Actor::system("test");
        let cid = store
            .create_committee(&a, &NewCommittee::parse("Adult Health and Social Care Policy Committee", "").expect("c"))
            .await
            .expect("c");
        let f = ItemFields { title: "Future of domiciliary care", ..Default::default() };
        let iid = store.add_committee_item(&a, &cid, &NewItem::parse(&f, Ok(CoverSheet::default()), &[]).expect("item")).await.expect("i");
        let option = "Option 1: Do nothing";
        let oid = store
            .add_appraisal_option(&a, &iid, &NewOption::parse(option, "rejected", "Not legally compliant", None).expect("o"))
            .await
            .expect("option");
        let edit = format!("/governance/committees/{cid}/items/{iid}/options/{oid}/edit");
        let asha_reason = "Not legally compliant with the Care Act 2014";
        let (ben_outcome, ben_reason) = (OptionOutcome::Neither, "Kept for comparison");
        let differs = [
            format!("Outcome {} {}", OptionOutcome::Rejected.label(), ben_outcome.label()),
            format!("Core reason {asha_reason} {ben_reason}"),
        ];
        let first = [("option", option), ("outcome", "rejected"), ("core_reason", asha_reason)];
        let second = [("option", option), ("outcome", ben_outcome.as_str()), ("core_reason", ben_reason)];
        let (mut ben, text) = race(&store, &edit, &first, &second, &differs, &format!(">{ben_reason}</textarea>")).await;
        assert!(!text.contains(&format!("Option {option} {option}")), "the option's words did not differ: {text}");
        let now = option_of(&store, &iid, &oid).await;
        assert_eq!((now.outcome, now.core_reason.as_str()), (OptionOutcome::Rejected, asha_reason));
        assert_eq!(updates_of(&store, "appraisal_option", &now.id).await, 1);

        let r = ben.post_form(&edit, &second).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "saving the form shown replaces it: {}", visible_text(&r.body));
        let now = option_of(&store, &iid, &oid).await;
        assert_eq!((now.outcome, now.core_reason.as_str()), (ben_outcome, ben_reason));
        assert_eq!(updates_of(&store, "appraisal_option", &now.id).await, 2);
    }
}

#[tokio::test]
async fn a_self_assessment_claim_changed_by_two_commissioners_keeps_the_first_save() {
    for store in stores().await {
        let a = Actor::system("test");
        let id = store.create_self_assessment(&a, "Our self-assessment March 2023", jiff::civil::date(2023, 3, 31)).await.expect("sa");
        let statement = store.self_assessment(&id).await.expect("sa").statements[0].id.clone();
        let text = "Good ASC discharge performance";
        let cid = store.add_claim(&a, &statement, &NewClaim::parse("strength", text, "E20").expect("claim")).await.expect("claim");
        let edit = format!("/governance/self-assessment/{id}/claims/{cid}/edit");
        let asha_cites = "E20, E15";
        let (ben_kind, ben_text) = (ClaimKind::AreaForImprovement, "Discharge performance is below the regional average");
        let cited = |text: &str, cites: &str| NewClaim::parse("strength", text, cites).expect("claim").citations.join(", ");
        let differs = [
            format!("Strength or area for improvement {} {}", ClaimKind::Strength.label(), ben_kind.label()),
            format!("The claim {text} {ben_text}"),
            format!("Evidence cited {} {}", cited(text, asha_cites), cited(ben_text, "E20")),
        ];
        let first = [("kind", "strength"), ("text", text), ("citations", asha_cites)];
        let second = [("kind", ben_kind.as_str()), ("text", ben_text), ("citations", "E20")];
        let (mut ben, _) = race(&store, &edit, &first, &second, &differs, &format!(">{ben_text}</textarea>")).await;
        let now = store.self_assessment(&id).await.expect("sa").claims.into_iter().find(|c| c.id == cid).expect("claim");
        assert_eq!((now.kind, now.text.as_str(), now.citations.join(", ")), (ClaimKind::Strength, text, cited(text, asha_cites)));
        assert_eq!(updates_of(&store, "assessment_claim", &cid).await, 1);

        let r = ben.post_form(&edit, &second).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "saving the form shown replaces it: {}", visible_text(&r.body));
        let now = store.self_assessment(&id).await.expect("sa").claims.into_iter().find(|c| c.id == cid).expect("claim");
        assert_eq!((now.kind, now.text.as_str(), now.citations.join(", ")), (ben_kind, ben_text, cited(ben_text, "E20")));
        assert_eq!(updates_of(&store, "assessment_claim", &cid).await, 2);
    }
}

#[tokio::test]
async fn a_self_assessment_evidence_item_changed_by_two_commissioners_keeps_the_first_save() {
    for store in stores().await {
        let a = Actor::system("test");
        let id = store.create_self_assessment(&a, "Our self-assessment March 2023", jiff::civil::date(2023, 3, 31)).await.expect("sa");
        let dated = jiff::civil::date(2023, 3, 1);
        let today = caremarket_store::today();
        let item = NewEvidence::parse("E20", "Discharge performance", "Head of Service", Some(dated), "", today).expect("evidence");
        let eid = store.add_evidence(&a, &id, &item).await.expect("evidence");
        let edit = format!("/governance/self-assessment/{id}/evidence/{eid}/edit");
        let form = |owner: &'static str, day: &'static str, location: &'static str| {
            vec![
                ("reference", "E20"),
                ("title", "Discharge performance"),
                ("owner", owner),
                ("dated_on-day", day),
                ("dated_on-month", "3"),
                ("dated_on-year", "2023"),
                ("location", location),
            ]
        };
        let asha_owner = "Head of Service, Strategic Commissioning";
        let (ben_day, ben_location) = ("31", "SharePoint: Performance");
        let ben_date = jiff::civil::date(2023, 3, 31);
        let differs = [
            format!("Owner {asha_owner} Head of Service"),
            format!("Date of the evidence {} {}", date_label(dated), date_label(ben_date)),
            format!("Where it is kept Not given {ben_location}"),
        ];
        let (mut ben, _) = race(
            &store,
            &edit,
            &form(asha_owner, "1", ""),
            &form("Head of Service", ben_day, ben_location),
            &differs,
            &format!("value=\"{ben_location}\""),
        )
        .await;
        let now = store.self_assessment(&id).await.expect("sa").evidence.into_iter().find(|e| e.id == eid).expect("evidence");
        assert_eq!((now.owner.as_str(), now.dated_on, now.location.as_str()), (asha_owner, Some(dated), ""));
        assert_eq!(updates_of(&store, "assessment_evidence", &eid).await, 1);

        let r = ben.post_form(&edit, &form("Head of Service", ben_day, ben_location)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "saving the form shown replaces it: {}", visible_text(&r.body));
        let now = store.self_assessment(&id).await.expect("sa").evidence.into_iter().find(|e| e.id == eid).expect("evidence");
        assert_eq!((now.owner.as_str(), now.dated_on, now.location.as_str()), ("Head of Service", Some(ben_date), ben_location));
        assert_eq!(updates_of(&store, "assessment_evidence", &eid).await, 2);
    }
}
