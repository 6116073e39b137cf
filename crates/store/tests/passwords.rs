//! Passwords (issue 17 item 7) in the store, on every backend: the policy applied wherever a
//! password is set, a person changing their own, an administrator's reset with a temporary
//! password, the forced change, the account's sessions ended, and the audit without passwords.

use caremarket_core::access::Role;
use caremarket_store::sessions::DbSessionStore;
use caremarket_store::users::NewUser;
use caremarket_store::{Actor, AuditQuery, Store, StoreError};
use caremarket_testkit as testing;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::SessionStore;

const PASSWORD: &str = "kettle orbit lantern";
const NEW_PASSWORD: &str = "violet harbour sketchbook";

async fn backends() -> Vec<Store> {
    testing::all_backends().await.expect("backends")
}

fn admin() -> Actor {
    Actor::user("admin-id", "admin@test.gov.uk")
}

async fn add(store: &Store, email: &str, password: &str, must_change_password: bool) -> Result<caremarket_store::users::User, StoreError> {
    store
        .create_user(
            &admin(),
            NewUser { email, display_name: "Jo Bloggs", password, role: Role::Viewer, provider_id: None, must_change_password },
        )
        .await
}

fn refusal(e: StoreError) -> Vec<(String, String)> {
    match e {
        StoreError::Invalid(fe) => vec![(fe.field, fe.message)],
        StoreError::InvalidFields(fes) => fes.0.into_iter().map(|e| (e.field, e.message)).collect(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn signed_in_session(store: &Store, user_id: &str) -> Id {
    let mut record = Record {
        id: Id::default(),
        data: [("user_id".to_string(), serde_json::json!(user_id)), ("csrf".to_string(), serde_json::json!("t"))].into_iter().collect(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    };
    DbSessionStore::new(store.clone()).create(&mut record).await.expect("session");
    record.id
}

async fn audit(store: &Store, user_id: &str) -> Vec<caremarket_store::AuditEntry> {
    store
        .audit_entries(&AuditQuery { entity_type: Some("user".into()), entity_id: Some(user_id.into()), actor: None, limit: 50, offset: 0 })
        .await
        .expect("audit")
        .0
}

#[tokio::test]
async fn weak_passwords_are_refused_when_an_account_is_made_and_nothing_is_written() {
    for store in backends().await {
        store.set_setting("council_name", "Northmoor Borough Council").await.expect("council");
        let cases = [
            ("            ", "Password must not be only spaces"),
            ("aaaaaaaaaaaa", "Password must not be one character repeated, like ‘aaaaaaaaaaaa’"),
            ("jo.bloggs@test.gov.uk", "Password must not contain your email address or the part of it before the @"),
            ("Northmoor-care-2025", "Password must not contain the council’s name or ‘caremarket’"),
            ("short", "Password must be at least 12 characters. Three random words together are long enough"),
        ];
        for (password, message) in cases {
            let e = add(&store, "jo.bloggs@test.gov.uk", password, true).await.expect_err(password);
            assert_eq!(refusal(e), vec![("password".to_string(), message.to_string())], "{}", store.backend().name());
        }
        let e = add(&store, "jo.bloggs@test.gov.uk", "password1234", true).await.expect_err("common");
        assert!(refusal(e)[0].1.starts_with("Password is too easy to guess: it is"), "{}", store.backend().name());
        assert_eq!(store.count_users().await.expect("count"), 0, "nothing written");
        let user = add(&store, "jo.bloggs@test.gov.uk", PASSWORD, true).await.expect("a good password");
        assert!(user.must_change_password);
    }
}

#[tokio::test]
async fn a_person_changes_their_password_and_their_sessions_end() {
    for store in backends().await {
        let name = store.backend().name();
        let user = add(&store, "jo@test.gov.uk", PASSWORD, true).await.expect("user");
        let other = add(&store, "someone.else@test.gov.uk", PASSWORD, false).await.expect("other");
        let (a, b) = (signed_in_session(&store, &user.id).await, signed_in_session(&store, &user.id).await);
        let kept = signed_in_session(&store, &other.id).await;
        assert_eq!(store.session_count(&user.id).await.expect("count"), 2, "{name}");

        // Refusals name the field, and change nothing.
        let e = store.change_password(&user.id, "not my password", NEW_PASSWORD, NEW_PASSWORD).await.expect_err("wrong current");
        assert_eq!(refusal(e), vec![("current_password".into(), "Your current password is not right: type it again".into())], "{name}");
        let e = store.change_password(&user.id, PASSWORD, NEW_PASSWORD, "violet harbour").await.expect_err("mismatch");
        assert_eq!(refusal(e), vec![("confirm_password".into(), "The passwords do not match: type the new password again".into())]);
        let e = store.change_password(&user.id, PASSWORD, "aaaaaaaaaaaa", "aaaaaaaaaaaa").await.expect_err("weak");
        assert_eq!(refusal(e), vec![("new_password".into(), "Password must not be one character repeated, like ‘aaaaaaaaaaaa’".into())]);
        let e = store.change_password(&user.id, PASSWORD, PASSWORD, PASSWORD).await.expect_err("same");
        assert_eq!(refusal(e)[0].1, "Your new password must be different from your current password");
        assert_eq!(store.session_count(&user.id).await.expect("count"), 2, "{name}: refusals end no session");
        assert!(store.authenticate("jo@test.gov.uk", PASSWORD).await.expect("auth").is_some());

        store.change_password(&user.id, PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await.expect("changed");
        let sessions = DbSessionStore::new(store.clone());
        assert!(sessions.load(&a).await.expect("load").is_none(), "{name}");
        assert!(sessions.load(&b).await.expect("load").is_none(), "{name}");
        assert!(sessions.load(&kept).await.expect("load").is_some(), "{name}: another account's session is kept");
        assert!(store.authenticate("jo@test.gov.uk", PASSWORD).await.expect("auth").is_none(), "{name}: the old password is gone");
        let changed = store.authenticate("jo@test.gov.uk", NEW_PASSWORD).await.expect("auth").expect("the new one works");
        assert!(!changed.must_change_password, "{name}: the required change is done");
        assert!(changed.password_changed_at.is_some());

        let entries = audit(&store, &user.id).await;
        let entry = entries.iter().find(|e| e.action == "change_password").expect("audited");
        assert_eq!(entry.actor_label, "jo@test.gov.uk");
        assert_eq!(entry.summary, "Changed their own password; 2 signed-in sessions ended");
        for e in &entries {
            let all = format!("{} {:?} {:?}", e.summary, e.before_json, e.after_json);
            assert!(!all.contains(PASSWORD) && !all.contains(NEW_PASSWORD) && !all.contains("argon2"), "{name}: {all}");
        }
    }
}

#[tokio::test]
async fn an_administrator_resets_a_password_to_a_temporary_one_that_must_be_changed() {
    for store in backends().await {
        let name = store.backend().name();
        let user = add(&store, "jo@test.gov.uk", PASSWORD, false).await.expect("user");
        let session = signed_in_session(&store, &user.id).await;
        let (token, secret) = store.create_api_token(&admin(), &user.id, "Power BI").await.expect("token");

        let temporary = store.reset_password(&admin(), &user.id).await.expect("reset");
        assert_eq!(temporary.len(), 19, "{temporary}");
        assert!(caremarket_core::passwords::check("password", &temporary, &Default::default()).is_ok());
        assert!(DbSessionStore::new(store.clone()).load(&session).await.expect("load").is_none(), "{name}: sessions ended");
        assert!(store.authenticate("jo@test.gov.uk", PASSWORD).await.expect("auth").is_none(), "{name}");
        let signed_in = store.authenticate("jo@test.gov.uk", &temporary).await.expect("auth").expect("temporary works");
        assert!(signed_in.must_change_password, "{name}: must change at next sign-in");
        // API tokens are not touched by a reset.
        assert!(store.user_for_token(&secret).await.expect("token").is_some(), "{name}");
        assert!(store.api_tokens(&user.id).await.expect("tokens").iter().any(|t| t.id == token.id && t.revoked_at.is_none()));

        let entry = audit(&store, &user.id).await.into_iter().find(|e| e.action == "reset_password").expect("audited");
        assert_eq!(entry.actor_label, "admin@test.gov.uk");
        assert_eq!(
            entry.summary,
            "Reset the password of jo@test.gov.uk; a new one must be chosen at next sign-in; 1 signed-in session ended"
        );
        assert!(!format!("{:?} {:?}", entry.before_json, entry.after_json).contains(&temporary));

        // The person then changes it, with the temporary password as the current one.
        store.change_password(&user.id, &temporary, NEW_PASSWORD, NEW_PASSWORD).await.expect("changed");
        assert!(!store.user(&user.id).await.expect("user").must_change_password, "{name}");

        // Each reset makes a different password; a deactivated account is not reset.
        let again = store.reset_password(&admin(), &user.id).await.expect("again");
        assert_ne!(again, temporary);
        store.set_user_active(&admin(), &user.id, false).await.expect("deactivate");
        match store.reset_password(&admin(), &user.id).await {
            Err(StoreError::Conflict(m)) => assert_eq!(m, "This account is deactivated: reactivate it before resetting its password"),
            other => panic!("{name}: {other:?}"),
        }
        assert!(matches!(store.reset_password(&admin(), "no-such-user").await, Err(StoreError::NotFound(_))));
    }
}
