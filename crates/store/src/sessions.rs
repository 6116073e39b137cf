//! tower-sessions store on our own database, so sessions survive restarts and need no extra
//! service. Session data holds only the user id and CSRF token, never personal details.
//!
//! Only the SHA-256 of a session id is stored (`id_hash`), as with API tokens: the id itself
//! is in the visitor's cookie and nowhere else, so a backup or database copy cannot be used to
//! sign in as anyone (issue 17 item 5).

use crate::Store;
use async_trait::async_trait;
use sqlx::Row;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

#[derive(Debug, Clone)]
pub struct DbSessionStore {
    store: Store,
}

impl DbSessionStore {
    pub fn new(store: Store) -> Self {
        DbSessionStore { store }
    }

    /// Remove expired sessions; called periodically by the server.
    pub async fn delete_expired(&self) -> crate::Result<u64> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let r = sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now).execute(&self.store.pool).await?;
        Ok(r.rows_affected())
    }
}

fn id_hash(id: &Id) -> String {
    crate::users::sha256_hex(&id.to_string())
}

/// Replace plaintext session ids with their hashes (migration 0008), inside its transaction.
pub(crate) async fn hash_stored_ids(tx: &mut sqlx::Transaction<'static, sqlx::Any>) -> crate::Result<()> {
    let ids: Vec<String> = sqlx::query_scalar("SELECT id_hash FROM sessions").fetch_all(&mut **tx).await?;
    for id in ids {
        sqlx::query("UPDATE sessions SET id_hash = $1 WHERE id_hash = $2")
            .bind(crate::users::sha256_hex(&id))
            .bind(&id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The account a session belongs to (the `user_id` its data holds once signed in), kept in
/// its own column so that a password change or reset can end the account's sessions.
fn session_user(record: &Record) -> Option<String> {
    record.data.get("user_id").and_then(|v| v.as_str()).map(str::to_string)
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Retry on the (astronomically unlikely) id collision rather than overwrite.
        loop {
            let data = serde_json::to_string(&record.data).map_err(|e| session_store::Error::Encode(e.to_string()))?;
            let r = sqlx::query(
                "INSERT INTO sessions (id_hash, data, expires_at, user_id) VALUES ($1, $2, $3, $4) ON CONFLICT (id_hash) DO NOTHING",
            )
            .bind(id_hash(&record.id))
            .bind(data)
            .bind(record.expiry_date.unix_timestamp())
            .bind(session_user(record))
            .execute(&self.store.pool)
            .await
            .map_err(backend)?;
            if r.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = serde_json::to_string(&record.data).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        sqlx::query(
            "INSERT INTO sessions (id_hash, data, expires_at, user_id) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id_hash) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at, user_id = excluded.user_id",
        )
        .bind(id_hash(&record.id))
        .bind(data)
        .bind(record.expiry_date.unix_timestamp())
        .bind(session_user(record))
        .execute(&self.store.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let row = sqlx::query("SELECT data, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > $2")
            .bind(id_hash(id))
            .bind(now)
            .fetch_optional(&self.store.pool)
            .await
            .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let data: String = row.try_get("data").map_err(backend)?;
        let expires: i64 = row.try_get("expires_at").map_err(backend)?;
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_str(&data).map_err(|e| session_store::Error::Decode(e.to_string()))?,
            expiry_date: time::OffsetDateTime::from_unix_timestamp(expires).map_err(backend)?,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash(id)).execute(&self.store.pool).await.map_err(backend)?;
        Ok(())
    }
}
