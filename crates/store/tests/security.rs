//! Issue 17 in the store, on every backend: session ids kept only as hashes, API token use
//! recorded without a write per request, backups readable by the owner only.

use caremarket_core::access::Role;
use caremarket_store::sessions::DbSessionStore;
use caremarket_store::users::NewUser;
use caremarket_store::{Actor, Backend, Store};
use caremarket_testkit as testing;
use sha2::{Digest, Sha256};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::SessionStore;

async fn backends() -> Vec<Store> {
    testing::all_backends().await.expect("backends")
}

#[tokio::test]
async fn session_ids_are_stored_only_as_their_hash() {
    for store in backends().await {
        let sessions = DbSessionStore::new(store.clone());
        let mut record = Record {
            id: Id::default(),
            data: [("user_id".to_string(), serde_json::json!("u1"))].into_iter().collect(),
            expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        };
        sessions.create(&mut record).await.expect("create");
        let id = record.id.to_string();
        let stored: Vec<String> = sqlx::query_scalar("SELECT id_hash FROM sessions").fetch_all(store.pool()).await.expect("rows");
        assert_eq!(stored, vec![hex::encode(Sha256::digest(id.as_bytes()))], "{}", store.backend().name());
        assert!(!stored.contains(&id));
        // The cookie's id still finds the session; the stored hash, used as an id, does not.
        let loaded = sessions.load(&record.id).await.expect("load").expect("found");
        assert_eq!(loaded.data.get("user_id"), Some(&serde_json::json!("u1")));
        sessions.save(&record).await.expect("save");
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(store.pool()).await.expect("count");
        assert_eq!(n, 1, "saving again updates the same row");
        sessions.delete(&record.id).await.expect("delete");
        assert!(sessions.load(&record.id).await.expect("load").is_none());
    }
}

#[tokio::test]
async fn api_token_use_is_recorded_at_most_once_a_minute() {
    for store in backends().await {
        let user = store
            .create_user(
                &Actor::system("test"),
                NewUser {
                    email: "a@test.gov.uk",
                    display_name: "A",
                    password: "correct-horse-battery",
                    role: Role::Viewer,
                    provider_id: None,
                    must_change_password: false,
                },
            )
            .await
            .expect("user");
        let (token, secret) = store.create_api_token(&Actor::system("test"), &user.id, "Power BI").await.expect("token");
        assert!(store.user_for_token(&secret).await.expect("auth").is_some());
        let first: Option<String> = sqlx::query_scalar("SELECT last_used_at FROM api_tokens WHERE id = $1")
            .bind(&token.id)
            .fetch_one(store.pool())
            .await
            .expect("first");
        assert!(first.is_some(), "the first use is recorded");
        for _ in 0..5 {
            assert!(store.user_for_token(&secret).await.expect("auth").is_some());
        }
        let again: Option<String> = sqlx::query_scalar("SELECT last_used_at FROM api_tokens WHERE id = $1")
            .bind(&token.id)
            .fetch_one(store.pool())
            .await
            .expect("again");
        assert_eq!(again, first, "uses within the minute write nothing");
        // A use recorded over a minute ago is brought up to date.
        sqlx::query("UPDATE api_tokens SET last_used_at = '2020-01-01T00:00:00.000000Z' WHERE id = $1")
            .bind(&token.id)
            .execute(store.pool())
            .await
            .expect("age");
        store.user_for_token(&secret).await.expect("auth");
        let later: Option<String> = sqlx::query_scalar("SELECT last_used_at FROM api_tokens WHERE id = $1")
            .bind(&token.id)
            .fetch_one(store.pool())
            .await
            .expect("later");
        assert_ne!(later.as_deref(), Some("2020-01-01T00:00:00.000000Z"));
    }
}

#[cfg(unix)]
#[tokio::test]
async fn a_backup_is_readable_by_its_owner_only_and_holds_no_session_id() {
    use std::os::unix::fs::PermissionsExt;
    let store = testing::sqlite().await.expect("sqlite");
    assert_eq!(store.backend(), Backend::Sqlite);
    let sessions = DbSessionStore::new(store.clone());
    let mut record =
        Record { id: Id::default(), data: Default::default(), expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1) };
    sessions.create(&mut record).await.expect("create");
    let dest = std::env::temp_dir().join(format!("caremarket-backup-{}.db", uuid::Uuid::now_v7()));
    store.backup_sqlite(dest.to_str().expect("path")).await.expect("backup");
    let mode = std::fs::metadata(&dest).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "backup mode {mode:o}");
    let bytes = std::fs::read(&dest).expect("read");
    let id = record.id.to_string();
    assert!(!bytes.windows(id.len()).any(|w| w == id.as_bytes()), "the session id is not in the backup");
    // A second backup to the same file is refused rather than overwriting it.
    assert!(store.backup_sqlite(dest.to_str().expect("path")).await.is_err());
    let _ = std::fs::remove_file(&dest);
}
