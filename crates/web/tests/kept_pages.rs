//! Kept copies of the officers' pages (issue 18 item 3, `kept_pages`): a session is given its own
//! copy of the dashboard, the service list, the quality dashboard and the watch list until
//! anything is written through the server or the copy is `officer_page_seconds` old; it is never
//! given to another session, nor to a session signed out or an account switched off.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_core::register::ServiceKind;
use caremarket_store::Actor;
use common::Client;
use std::time::{Duration, Instant};

const AGE: Duration = Duration::from_secs(2);
const HOME_CARE: &str = "/services?kind=home_care";

/// The list's results heading as a person reads it ("2 services: Home care").
fn results(r: &common::Res) -> String {
    r.assert_ok();
    let start = r.body.find("id=\"results\"").expect("a results heading");
    let text = &r.body[start..];
    let text = &text[text.find('>').expect("tag") + 1..];
    common::visible_text(&text[..text.find("</h2>").expect("end of heading")])
}

/// "N service(s)", as the list counts `n` home care services.
fn counted(n: usize) -> String {
    format!("{n} service{}: ", if n == 1 { "" } else { "s" })
}

async fn home_care(store: &caremarket_store::Store, provider: &str, name: &str) -> String {
    let a = Actor::system("elsewhere");
    store.create_service(&a, &caremarket_testkit::service(provider, name, ServiceKind::HomeCare)).await.expect("service")
}

/// An administrator, signed in through `admin`, switches the account `user_id` off with the
/// users page's form.
async fn switch_off(admin: &mut Client, user_id: &str) {
    admin.user("admin@test.gov.uk", Role::Admin, None).await;
    admin.sign_in_as("admin@test.gov.uk").await;
    admin.get("/admin/users").await.assert_ok();
    let r = admin.post_form(&format!("/admin/users/{user_id}/active"), &[("active", "false")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

#[tokio::test]
async fn an_officers_copy_is_its_sessions_own_until_a_change_or_its_age() {
    for store in caremarket_testkit::all_backends().await.expect("stores") {
        let db = format!("{:?}", store.backend());
        store.set_setting("council_name", "Testshire Council").await.expect("setting");
        let settings = caremarket_web::WebSettings { officer_page_seconds: AGE.as_secs(), ..common::test_settings() };
        let mut first = Client::with_settings(store.clone(), settings);
        let provider = store.create_provider(&Actor::system("test"), None, "Acme Care Ltd", None, None).await.expect("provider");
        home_care(&store, &provider, "Ash House").await;
        let mut home_care_services = 1;
        first.user("first@test.gov.uk", Role::Commissioner, None).await;
        first.sign_in_as("first@test.gov.uk").await;
        // Signed in before the first's copy is made: signing in is a write, which retires copies.
        let mut second = first.sibling();
        let second_id = second.user("second@test.gov.uk", Role::Commissioner, None).await;
        second.sign_in_as("second@test.gov.uk").await;
        assert!(results(&first.get(HOME_CARE).await).starts_with(&counted(home_care_services)), "{db}");
        let copied = Instant::now();

        // Elsewhere (the store directly, as the command line or another server would write): the
        // first session is given its copy while it is young; another session renders its own.
        let birch = home_care(&store, &provider, "Birch Lodge").await;
        home_care_services += 1;
        let kept = results(&first.get(HOME_CARE).await);
        if copied.elapsed() < AGE {
            assert!(kept.starts_with(&counted(1)), "{db}: the session's copy while it is young: {kept}");
        }
        let own = results(&second.get(HOME_CARE).await);
        assert!(own.starts_with(&counted(home_care_services)), "{db}: another session is never given the first's copy: {own}");
        tokio::time::sleep(AGE.saturating_sub(copied.elapsed()) + Duration::from_millis(100)).await;
        let aged = results(&first.get(HOME_CARE).await);
        assert!(aged.starts_with(&counted(home_care_services)), "{db}: an old copy is rendered again: {aged}");

        // Through the server: the first officer makes Birch Lodge a care home, and every
        // session's list shows it at once.
        first.get(&format!("/services/{birch}/edit")).await.assert_ok();
        let r = first
            .post_form(
                &format!("/services/{birch}/edit"),
                &[("contract_status", "not_contracted"), ("kind", "care_home_residential"), ("council_notes", "")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{db}: {}", r.body);
        home_care_services -= 1;
        for (who, client) in [("first", &mut first), ("second", &mut second)] {
            let now = results(&client.get(HOME_CARE).await);
            assert!(now.starts_with(&counted(home_care_services)), "{db}: {who} sees the change at once: {now}");
        }

        // A session signed out is not given its copy again, though it was kept a moment ago.
        first.get("/dashboard").await.assert_ok();
        let signed_in_cookie = first.cookies().expect("a session cookie");
        first.post_form("/sign-out", &[]).await;
        first.set_cookies(Some(signed_in_cookie));
        let r = first.get("/dashboard").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{db}: the signed-out session's cookie is asked to sign in");
        assert_eq!(r.location.as_deref(), Some("/sign-in"), "{db}");

        // An account switched off is refused its next page at once, kept or not.
        second.get("/dashboard").await.assert_ok();
        let mut admin = first.sibling();
        switch_off(&mut admin, &second_id).await;
        let r = second.get("/dashboard").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{db}: a switched-off account is asked to sign in");

        // A cookie naming no session is asked to sign in, whatever is kept.
        let mut stranger = admin.sibling();
        stranger.set_cookies(Some(format!("caremarket_session={}", tower_sessions::session::Id::default())));
        let r = stranger.get(HOME_CARE).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{db}");

        // With copies off, a change elsewhere shows at once.
        let settings = caremarket_web::WebSettings { officer_page_seconds: 0, ..common::test_settings() };
        let mut uncopied = Client::with_settings(store.clone(), settings);
        uncopied.sign_in_as("admin@test.gov.uk").await;
        assert!(results(&uncopied.get(HOME_CARE).await).starts_with(&counted(home_care_services)), "{db}");
        home_care(&store, &provider, "Cedar Court").await;
        home_care_services += 1;
        let now = results(&uncopied.get(HOME_CARE).await);
        assert!(now.starts_with(&counted(home_care_services)), "{db}: officer_page_seconds = 0 renders every request: {now}");
    }
}

/// Decision 48's accepted window: when another server (on the same database) switches an account
/// off, this server refuses the account's session every page it has not kept at once, and the
/// pages it kept for that session once they are `officer_page_seconds` old; until then it may
/// give the session again a page it was given in that time, and nothing else.
#[tokio::test]
async fn a_session_ended_by_another_server_is_given_again_only_what_it_was_just_given() {
    let store = caremarket_testkit::sqlite().await.expect("sqlite");
    store.set_setting("council_name", "Testshire Council").await.expect("setting");
    let settings = || caremarket_web::WebSettings { officer_page_seconds: AGE.as_secs(), ..common::test_settings() };
    let mut here = Client::with_settings(store.clone(), settings());
    let jo = here.user("jo@test.gov.uk", Role::Commissioner, None).await;
    here.sign_in_as("jo@test.gov.uk").await;
    let given = here.get("/dashboard").await;
    given.assert_ok();
    let copied = Instant::now();
    let cookie = here.cookies().expect("a session cookie");

    let mut there = Client::with_settings(store.clone(), settings());
    switch_off(&mut there, &jo).await;

    let again = here.get("/dashboard").await;
    if copied.elapsed() < AGE {
        assert_eq!(again.status, StatusCode::OK, "within the window, the page just given");
        assert_eq!(again.body, given.body, "and exactly that page");
    }
    let r = here.get("/quality").await;
    assert_eq!((r.status, r.location.as_deref()), (StatusCode::SEE_OTHER, Some("/sign-in")), "a page not kept is refused at once");
    here.set_cookies(Some(cookie));
    tokio::time::sleep(AGE.saturating_sub(copied.elapsed()) + Duration::from_millis(100)).await;
    let r = here.get("/dashboard").await;
    assert_eq!((r.status, r.location.as_deref()), (StatusCode::SEE_OTHER, Some("/sign-in")), "and the kept page once it is old");
}
