//! Passwords through the router (issue 17 item 7): a person changes their own password from the
//! header, an administrator resets one to a temporary password shown once, and an account made
//! or reset by someone else must choose its own password before using any other page. Each
//! refusal is asserted as the person reads it, in the error summary.
use crate::common;

use axum::http::StatusCode;
use caremarket_core::access::Role;
use caremarket_store::{Actor, AuditQuery};
use common::{Client, PASSWORD};

const NEW_PASSWORD: &str = "violet harbour sketchbook";

/// A change form's answers (current, new, confirmation) and the (input, message) pairs its error
/// summary must show.
type ChangeCase = (&'static str, &'static str, &'static str, Vec<(&'static str, &'static str)>);

/// The messages of the page's error summary, in order.
fn summary(body: &str) -> Vec<String> {
    let Some(start) = body.find("govuk-error-summary__list") else { return vec![] };
    let list = &body[start..body[start..].find("</ul>").map_or(body.len(), |e| start + e)];
    list.split("<a href=\"#")
        .skip(1)
        .filter_map(|a| a.split_once('>').and_then(|(_, rest)| rest.split_once("</a>")).map(|(m, _)| m.trim().to_string()))
        .collect()
}

/// The error summary's links: which inputs the messages point at.
fn summary_targets(body: &str) -> Vec<String> {
    let Some(start) = body.find("govuk-error-summary__list") else { return vec![] };
    body[start..]
        .split("<a href=\"#")
        .skip(1)
        .filter_map(|a| a.split_once('"').map(|(t, _)| t.to_string()))
        .take_while(|t| !t.is_empty())
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/").replace("&quot;", "\"").replace("&#x27;", "'").replace("&amp;", "&")
}

async fn change(c: &mut Client, current: &str, new: &str, confirm: &str) -> common::Res {
    c.get("/account/password").await;
    c.post_form("/account/password", &[("current_password", current), ("new_password", new), ("confirm_password", confirm)]).await
}

#[tokio::test]
async fn a_person_changes_their_password_from_the_header_and_other_sessions_end() {
    let mut c = Client::sqlite().await;
    let id = c.user("jo.bloggs@test.gov.uk", Role::Viewer, None).await;
    // Another browser on the same server. (A session ended by another server may be given a
    // page it was given in the last `officer_page_seconds` again: `kept_pages` tests that.)
    let mut other = c.sibling();
    other.sign_in_as("jo.bloggs@test.gov.uk").await;
    c.sign_in_as("jo.bloggs@test.gov.uk").await;

    // Reachable from the header of every page.
    let r = c.get("/dashboard").await;
    assert!(
        r.contains("<a class=\"govuk-link govuk-link--no-visited-state\" href=\"/account/password\">Change password</a>"),
        "{}",
        r.body
    );
    let r = c.get("/account/password").await;
    r.assert_ok();
    assert!(r.contains("<h1 class=\"govuk-heading-l\">Change your password</h1>"));
    assert!(r.contains("Use at least 12 characters. Three random words together"));

    // Each refusal, as the error summary says it, pointing at its input; nothing typed is shown back.
    let cases: Vec<ChangeCase> = vec![
        ("", "", "", vec![("current_password", "Enter your current password"), ("new_password", "Enter a new password")]),
        ("not my password", NEW_PASSWORD, NEW_PASSWORD, vec![("current_password", "Your current password is not right: type it again")]),
        (PASSWORD, "            ", "            ", vec![("new_password", "Password must not be only spaces")]),
        (
            PASSWORD,
            "aaaaaaaaaaaa",
            "aaaaaaaaaaaa",
            vec![("new_password", "Password must not be one character repeated, like ‘aaaaaaaaaaaa’")],
        ),
        (
            PASSWORD,
            "123456789012",
            "123456789012",
            vec![("new_password", "Password must not be a sequence of letters or numbers, like ‘abcdefghijkl’ or ‘123456789012’")],
        ),
        (
            PASSWORD,
            "jo.bloggs@test.gov.uk",
            "jo.bloggs@test.gov.uk",
            vec![("new_password", "Password must not contain your email address or the part of it before the @")],
        ),
        (
            PASSWORD,
            "JoBloggs-2025!",
            "JoBloggs-2025!",
            vec![("new_password", "Password must not contain your email address or the part of it before the @")],
        ),
        (
            PASSWORD,
            "Testshire-care-2025",
            "Testshire-care-2025",
            vec![("new_password", "Password must not contain the council’s name or ‘caremarket’")],
        ),
        (
            PASSWORD,
            "caremarket-rocks",
            "caremarket-rocks",
            vec![("new_password", "Password must not contain the council’s name or ‘caremarket’")],
        ),
        (
            PASSWORD,
            "too short",
            "too short",
            vec![("new_password", "Password must be at least 12 characters. Three random words together are long enough")],
        ),
        (PASSWORD, PASSWORD, PASSWORD, vec![("new_password", "Your new password must be different from your current password")]),
        (PASSWORD, NEW_PASSWORD, "violet harbour", vec![("confirm_password", "The passwords do not match: type the new password again")]),
        (PASSWORD, NEW_PASSWORD, "", vec![("confirm_password", "Enter your new password again")]),
    ];
    for (current, new, confirm, expected) in cases {
        let r = change(&mut c, current, new, confirm).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{new}");
        assert!(r.contains("There is a problem"));
        let messages: Vec<String> = summary(&r.body).into_iter().map(|m| unescape(&m)).collect();
        assert_eq!(messages, expected.iter().map(|(_, m)| m.to_string()).collect::<Vec<_>>(), "{new}");
        assert_eq!(summary_targets(&r.body), expected.iter().map(|(f, _)| f.to_string()).collect::<Vec<_>>(), "{new}");
        assert!(r.contains("<title>Error: Change your password"), "{new}");
        for typed in [current, new, confirm].into_iter().filter(|t| t.trim().len() > 3) {
            assert!(!r.contains(&format!("value=\"{typed}\"")), "{typed} shown back");
        }
    }
    // A common password: refused with the reason.
    let r = change(&mut c, PASSWORD, "password1234", "password1234").await;
    let m = unescape(&summary(&r.body)[0]);
    assert!(m.starts_with("Password is too easy to guess: it is"), "{m}");
    assert!(m.ends_with("Try three random words together, like ‘kettle orbit lantern’"), "{m}");
    // Refusals changed nothing: the other session is still signed in.
    other.get("/dashboard").await.assert_ok();

    let before = c.cookies().expect("cookie");
    let r = change(&mut c, PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some("/account/password?changed=1"));
    assert_ne!(c.cookies().expect("cookie"), before, "a new session id");
    let r = c.get("/account/password?changed=1").await;
    r.assert_ok();
    assert!(r.contains("govuk-notification-banner--success"));
    assert!(r.contains("Your password has been changed"));
    assert!(r.contains("You have been signed out everywhere else"));
    // This browser stays signed in; the other is signed out.
    c.get("/dashboard").await.assert_ok();
    assert_eq!(other.get("/dashboard").await.location.as_deref(), Some("/sign-in"));
    // The old password no longer signs in; the new one does.
    let mut again = Client::new(c.store.clone());
    assert_eq!(again.sign_in_with("jo.bloggs@test.gov.uk", PASSWORD).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.sign_in_with("jo.bloggs@test.gov.uk", NEW_PASSWORD).await.location.as_deref(), Some("/dashboard"));

    // Audited, without the password.
    let (entries, _) = c
        .store
        .audit_entries(&AuditQuery { entity_type: Some("user".into()), entity_id: Some(id.clone()), actor: None, limit: 10, offset: 0 })
        .await
        .expect("audit");
    let entry = entries.iter().find(|e| e.action == "change_password").expect("audited");
    assert_eq!(entry.summary, "Changed their own password; 2 signed-in sessions ended");
    assert!(!format!("{entries:?}").contains(NEW_PASSWORD));
}

#[tokio::test]
async fn a_provider_user_changes_their_password_too() {
    let mut c = Client::sqlite().await;
    let p = c.store.create_provider(&Actor::system("test"), None, "Acme Care Ltd", None, None).await.expect("provider");
    c.user("pat@acme.example", Role::Provider, Some(&p)).await;
    c.sign_in_as("pat@acme.example").await;
    let r = c.get("/portal").await;
    r.assert_ok();
    assert!(r.contains("href=\"/account/password\">Change password</a>"));
    let r = change(&mut c, PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(r.location.as_deref(), Some("/account/password?changed=1"), "{}", r.body);
    let r = c.get("/account/password?changed=1").await;
    assert!(r.contains("Your password has been changed") && unescape(&r.body).contains("href=\"/portal\">Continue to caremarket</a>"));
}

#[tokio::test]
async fn wrong_current_passwords_lock_the_change_as_failed_sign_ins_do() {
    let mut c = Client::sqlite().await;
    c.user("v@test.gov.uk", Role::Viewer, None).await;
    c.sign_in_as("v@test.gov.uk").await;
    for _ in 0..5 {
        let r = change(&mut c, "guess-guess-guess", NEW_PASSWORD, NEW_PASSWORD).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
    }
    let r = change(&mut c, PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(c.store.authenticate("v@test.gov.uk", PASSWORD).await.expect("auth").is_some(), "unchanged");
}

/// The temporary password on the page shown after a reset.
fn temporary_password(body: &str) -> String {
    let i = body.find("id=\"temporary-password\"").expect("temporary password shown");
    let rest = &body[i..];
    let v = rest.find("value=\"").expect("value") + 7;
    let end = rest[v..].find('"').expect("end");
    rest[v..v + end].to_string()
}

#[tokio::test]
async fn an_administrator_resets_a_password_and_the_person_must_choose_a_new_one() {
    let mut admin = Client::sqlite().await;
    admin.user("admin@test.gov.uk", Role::Admin, None).await;
    let id = admin.user("sam@test.gov.uk", Role::Commissioner, None).await;
    let mut sam = admin.sibling();
    sam.sign_in_as("sam@test.gov.uk").await;
    sam.get("/dashboard").await.assert_ok();
    let (_, token) = admin.store.create_api_token(&Actor::system("test"), &id, "Power BI").await.expect("token");

    admin.sign_in_as("admin@test.gov.uk").await;
    let r = admin.get("/admin/users").await;
    assert!(
        r.contains(&format!(
            "href=\"/admin/users/{id}/reset-password\">Reset password<span class=\"govuk-visually-hidden\"> of sam@test.gov.uk</span>"
        )),
        "{}",
        r.body
    );
    let r = admin.get(&format!("/admin/users/{id}/reset-password")).await;
    r.assert_ok();
    assert!(r.contains("Are you sure you want to reset the password of Test User?"));
    assert!(r.contains("caremarket does not send email"));
    let r = admin.post_form(&format!("/admin/users/{id}/reset-password"), &[]).await;
    r.assert_ok();
    assert!(r.contains("Password reset for sam@test.gov.uk"));
    assert!(r.contains("Temporary password for Test User"));
    assert!(r.contains("You will not be able to see it again"));
    let temporary = temporary_password(&r.body);
    assert_eq!(temporary.len(), 19);

    // Sam is signed out at once, the old password is gone, and the users page says what is due.
    assert_eq!(sam.get("/dashboard").await.location.as_deref(), Some("/sign-in"));
    assert_eq!(Client::new(admin.store.clone()).sign_in_as("sam@test.gov.uk").await.status, StatusCode::BAD_REQUEST);
    let r = admin.get("/admin/users").await;
    assert!(r.contains("Must choose a new password"));
    // The audit log says who reset whose password, never the password.
    let r = admin.get("/admin/audit").await;
    assert!(
        r.contains("Reset the password of sam@test.gov.uk; a new one must be chosen at next sign-in; 1 signed-in session ended"),
        "{}",
        r.body
    );
    assert!(!r.contains(&temporary));

    // Signing in with the temporary password leads to the change page, and so does every other page.
    let r = sam.sign_in_with("sam@test.gov.uk", &temporary).await;
    assert_eq!(r.location.as_deref(), Some("/account/password"));
    let r = sam.get("/account/password").await;
    r.assert_ok();
    assert!(r.contains("<h1 class=\"govuk-heading-l\">Choose a new password</h1>"));
    assert!(r.contains("Your password was set by an administrator. Choose your own password before you carry on"));
    for path in ["/dashboard", "/services", "/account/tokens", "/admin/users", "/directory", "/sign-in", "/"] {
        let r = sam.get(path).await;
        assert_eq!((r.status, r.location.as_deref()), (StatusCode::SEE_OTHER, Some("/account/password")), "{path}");
    }
    let r = sam.post_form("/account/tokens", &[("name", "Sneaky")]).await;
    assert_eq!(r.location.as_deref(), Some("/account/password"), "a form elsewhere is not handled either");
    assert!(admin.store.api_tokens(&id).await.expect("tokens").iter().all(|t| t.name != "Sneaky"));
    // Static assets, the health check and the API (tokens, not sessions) are not held up.
    sam.get("/assets/caremarket.css").await.assert_ok();
    sam.get("/healthz").await.assert_ok();
    sam.api("GET", "/api/v1/services", Some(&token), None).await.assert_ok();

    // Choosing a new password (the temporary one is the current one) lets Sam in.
    let r = change(&mut sam, &temporary, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(r.location.as_deref(), Some("/account/password?changed=1"), "{}", r.body);
    let r = sam.get("/account/password?changed=1").await;
    assert!(r.contains("Your password has been changed") && unescape(&r.body).contains("href=\"/dashboard\">Continue to caremarket</a>"));
    sam.get("/dashboard").await.assert_ok();
    let r = admin.get("/admin/users").await;
    assert!(!r.contains("Must choose a new password"));
}

#[tokio::test]
async fn sign_out_is_allowed_before_the_new_password() {
    let admin = Client::sqlite().await;
    admin.user("admin@test.gov.uk", Role::Admin, None).await;
    let id = admin.user("sam@test.gov.uk", Role::Viewer, None).await;
    let temporary = admin.store.reset_password(&Actor::system("test"), &id).await.expect("reset");
    let mut sam = Client::new(admin.store.clone());
    sam.sign_in_with("sam@test.gov.uk", &temporary).await;
    let r = sam.post_form("/sign-out", &[]).await;
    assert_eq!(r.location.as_deref(), Some("/sign-in"));
    assert_eq!(sam.get("/sign-in").await.status, StatusCode::OK);
}

#[tokio::test]
async fn only_administrators_reset_passwords_and_not_their_own() {
    let mut c = Client::sqlite().await;
    let admin_id = c.user("admin@test.gov.uk", Role::Admin, None).await;
    let viewer = c.user("v@test.gov.uk", Role::Viewer, None).await;
    c.user("comm@test.gov.uk", Role::Commissioner, None).await;

    let mut anon = Client::new(c.store.clone());
    assert_eq!(anon.get(&format!("/admin/users/{viewer}/reset-password")).await.location.as_deref(), Some("/sign-in"));

    c.sign_in_as("comm@test.gov.uk").await;
    assert_eq!(c.get(&format!("/admin/users/{viewer}/reset-password")).await.status, StatusCode::FORBIDDEN);
    let r = c.post_form(&format!("/admin/users/{viewer}/reset-password"), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!c.store.user(&viewer).await.expect("user").must_change_password, "nothing reset");
    let r = c.get("/dashboard").await;
    assert!(!r.contains("reset-password"));

    let mut a = Client::new(c.store.clone());
    a.sign_in_as("admin@test.gov.uk").await;
    let r = a.get(&format!("/admin/users/{admin_id}/reset-password")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(unescape(&r.body).contains("You cannot reset your own password here. Use ‘Change password’ at the top of the page."));
    let r = a.get("/admin/users").await;
    assert!(!r.contains(&format!("/admin/users/{admin_id}/reset-password")));
    assert_eq!(a.get("/admin/users/no-such-user/reset-password").await.status, StatusCode::NOT_FOUND);

    // A deactivated account: refused on the page, in the error summary.
    c.store.set_user_active(&Actor::system("test"), &viewer, false).await.expect("deactivate");
    a.get(&format!("/admin/users/{viewer}/reset-password")).await;
    let r = a.post_form(&format!("/admin/users/{viewer}/reset-password"), &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(summary_text(&r.body), vec!["This account is deactivated: reactivate it before resetting its password".to_string()]);
}

/// Summary messages that are not links (errors about the whole form) as well as links.
fn summary_text(body: &str) -> Vec<String> {
    let Some(start) = body.find("govuk-error-summary__list") else { return vec![] };
    let end = body[start..].find("</ul>").map_or(body.len(), |e| start + e);
    body[start..end]
        .split("<li>")
        .skip(1)
        .map(|li| {
            let mut text = String::new();
            let mut in_tag = false;
            for ch in li.chars() {
                match ch {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            unescape(text.trim())
        })
        .filter(|t| !t.is_empty())
        .collect()
}

#[tokio::test]
async fn accounts_an_administrator_adds_meet_the_policy_and_choose_their_own_password() {
    let mut c = Client::sqlite().await;
    c.user("admin@test.gov.uk", Role::Admin, None).await;
    c.sign_in_as("admin@test.gov.uk").await;
    let add = |password: &'static str| {
        [
            ("email", "nia.new@test.gov.uk"),
            ("display_name", "Nia Newperson"),
            ("role", "viewer"),
            ("provider_id", ""),
            ("password", password),
        ]
    };
    for (password, message) in [
        ("            ", "Password must not be only spaces"),
        ("aaaaaaaaaaaa", "Password must not be one character repeated, like ‘aaaaaaaaaaaa’"),
        ("nia.new@test.gov.uk", "Password must not contain your email address or the part of it before the @"),
        ("Testshire Council", "Password must not contain the council’s name or ‘caremarket’"),
    ] {
        c.get("/admin/users/new").await;
        let r = c.post_form("/admin/users/new", &add(password)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{password}");
        assert_eq!(summary_text(&r.body), vec![message.to_string()], "{password}");
        assert_eq!(summary_targets(&r.body), vec!["password".to_string()]);
    }
    c.get("/admin/users/new").await;
    let r = c.post_form("/admin/users/new", &add("password1234")).await;
    assert!(summary_text(&r.body)[0].starts_with("Password is too easy to guess"), "{}", r.body);
    assert_eq!(c.store.users().await.expect("users").len(), 1, "nothing written");

    c.get("/admin/users/new").await;
    let r = c.post_form("/admin/users/new", &add("kettle orbit lantern")).await;
    assert_eq!(r.location.as_deref(), Some("/admin/users?added=1"), "{}", r.body);
    let r = c.get("/admin/users?added=1").await;
    assert!(r.contains("They must choose their own password when they first sign in"));
    assert!(r.contains("Must choose a new password"));
    let mut nia = Client::new(c.store.clone());
    let r = nia.sign_in_with("nia.new@test.gov.uk", "kettle orbit lantern").await;
    assert_eq!(r.location.as_deref(), Some("/account/password"));
    assert_eq!(nia.get("/dashboard").await.location.as_deref(), Some("/account/password"));
    let r = change(&mut nia, "kettle orbit lantern", NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(r.location.as_deref(), Some("/account/password?changed=1"), "{}", r.body);
    nia.get("/dashboard").await.assert_ok();
}

#[tokio::test]
async fn a_session_from_before_the_last_password_change_is_ended_even_if_its_row_survived() {
    // The change is made in the database directly, where this server cannot see it, so its kept
    // copies of pages are off: this tests the session's check itself (decision 48).
    let store = caremarket_testkit::sqlite().await.expect("sqlite");
    let mut c = Client::with_settings(store, caremarket_web::WebSettings { officer_page_seconds: 0, ..common::test_settings() });
    let id = c.user("jo@test.gov.uk", Role::Viewer, None).await;
    c.sign_in_as("jo@test.gov.uk").await;
    c.get("/dashboard").await.assert_ok();
    // The password changed after this session signed in, but its row was not deleted (a request
    // in flight saved it again, say): the session is ended all the same.
    sqlx::query("UPDATE users SET password_changed_at = $1 WHERE id = $2")
        .bind("2999-01-01T00:00:00.000000Z")
        .bind(&id)
        .execute(c.store.pool())
        .await
        .expect("update");
    assert_eq!(c.get("/dashboard").await.location.as_deref(), Some("/sign-in"));
    assert_eq!(c.get("/account/password").await.location.as_deref(), Some("/sign-in"));
}

#[tokio::test]
async fn the_forced_change_page_offers_no_other_pages() {
    let admin = Client::sqlite().await;
    let id = admin.user("sam@test.gov.uk", Role::Commissioner, None).await;
    let temporary = admin.store.reset_password(&Actor::system("test"), &id).await.expect("reset");
    let mut sam = Client::new(admin.store.clone());
    sam.sign_in_with("sam@test.gov.uk", &temporary).await;
    let r = sam.get("/account/password").await;
    r.assert_ok();
    assert!(!r.contains("govuk-service-navigation__link"), "no menu before the new password");
    assert!(r.contains("Sign out"));
}
