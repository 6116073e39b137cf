//! Accounts and API tokens. Passwords are hashed with argon2id; API tokens are random and only
//! their SHA-256 is kept, so a database copy does not leak usable credentials.

use crate::audit::{Actor, record};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use caremarket_core::access::Role;
use rand::RngCore;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::AssertSqlSafe;

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub provider_id: Option<String>,
    pub active: bool,
    pub created_at: String,
    pub last_sign_in_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

pub const MIN_PASSWORD_LEN: usize = 12;

/// An account as stored ([`USER_COLS`]).
#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    email: String,
    display_name: String,
    role: String,
    provider_id: Option<String>,
    active: i64,
    created_at: String,
    last_sign_in_at: Option<String>,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<Self> {
        Ok(User {
            role: Role::parse(&r.role).ok_or_else(|| StoreError::Corrupt { table: "users", column: "role", value: r.role.clone() })?,
            id: r.id,
            email: r.email,
            display_name: r.display_name,
            provider_id: r.provider_id,
            active: r.active == 1,
            created_at: r.created_at,
            last_sign_in_at: r.last_sign_in_at,
        })
    }
}

/// An account with its password hash, for signing in.
#[derive(sqlx::FromRow)]
struct UserWithHash {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: String,
}

const USER_COLS: &str = "id, email, display_name, role, provider_id, active, created_at, last_sign_in_at";

pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::invalid("password", e.to_string()))
}

fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok()).unwrap_or(false)
}

/// How often a token's `last_used_at` is brought up to date.
pub const TOKEN_USE_RESOLUTION: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);

/// Whether a token last recorded as used at `last_used` should be recorded again at `now`.
fn token_use_is_stale(last_used: Option<&str>, now: jiff::Timestamp) -> bool {
    match last_used.and_then(|t| t.parse::<jiff::Timestamp>().ok()) {
        Some(t) => now.duration_since(t) >= TOKEN_USE_RESOLUTION,
        None => true,
    }
}

pub(crate) fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub password: &'a str,
    pub role: Role,
    pub provider_id: Option<&'a str>,
}

impl Store {
    pub async fn create_user(&self, actor: &Actor, u: NewUser<'_>) -> Result<User> {
        let email = u.email.trim().to_lowercase();
        if !email.contains('@') || email.len() < 3 {
            return Err(StoreError::invalid("email", "Enter an email address in the correct format, like name@example.gov.uk"));
        }
        if u.display_name.trim().is_empty() {
            return Err(StoreError::invalid("display_name", "Enter the person's name"));
        }
        if u.password.chars().count() < MIN_PASSWORD_LEN {
            return Err(StoreError::invalid("password", format!("Password must be at least {MIN_PASSWORD_LEN} characters")));
        }
        if u.role == Role::Provider && u.provider_id.is_none() {
            return Err(StoreError::invalid("provider_id", "A provider user must belong to a provider"));
        }
        if u.role != Role::Provider && u.provider_id.is_some() {
            return Err(StoreError::invalid("provider_id", "Only provider users belong to a provider"));
        }
        if let Some(pid) = u.provider_id {
            self.provider(pid).await?;
        }
        let exists: Option<String> =
            sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(&email).fetch_optional(&self.pool).await?;
        if exists.is_some() {
            return Err(StoreError::invalid("email", format!("A user with email {email} already exists")));
        }
        let hash = hash_password(u.password)?;
        let id = new_id();
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO users (id, email, display_name, password_hash, role, provider_id, active, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, 1, $7)",
        )
        .bind(&id)
        .bind(&email)
        .bind(u.display_name.trim())
        .bind(hash)
        .bind(u.role.as_str())
        .bind(u.provider_id.map(str::to_string))
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        let after = json!({"email": email, "role": u.role.as_str(), "provider_id": u.provider_id});
        record(&mut tx, actor, "create", "user", Some(&id), &format!("Created {} account", u.role.label()), None, Some(&after)).await?;
        tx.commit().await?;
        self.user(&id).await
    }

    pub async fn user(&self, id: &str) -> Result<User> {
        sqlx::query_as::<_, UserRow>(AssertSqlSafe(format!("SELECT {USER_COLS} FROM users WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {id}")))?
            .try_into()
    }

    pub async fn users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query_as::<_, UserRow>(AssertSqlSafe(format!("SELECT {USER_COLS} FROM users ORDER BY email")))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(User::try_from).collect()
    }

    pub async fn count_users(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&self.pool).await?)
    }

    /// Check an email and password. Returns the user only if active and the password matches;
    /// the caller does not learn which part was wrong.
    pub async fn authenticate(&self, email: &str, password: &str) -> Result<Option<User>> {
        let email = email.trim().to_lowercase();
        let row =
            sqlx::query_as::<_, UserWithHash>(AssertSqlSafe(format!("SELECT {USER_COLS}, password_hash FROM users WHERE email = $1")))
                .bind(&email)
                .fetch_optional(&self.pool)
                .await?;
        let Some(row) = row else {
            // Spend the same time as a real check so that timing does not reveal accounts.
            let _ = verify_password("$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG", password);
            return Ok(None);
        };
        let hash = row.password_hash;
        let user = User::try_from(row.user)?;
        // The hash is checked even for a deactivated account, so that the time taken does not
        // tell anyone which accounts are deactivated (issue 17 item 12).
        let password_ok = verify_password(&hash, password);
        if !user.active || !password_ok {
            return Ok(None);
        }
        sqlx::query("UPDATE users SET last_sign_in_at = $1 WHERE id = $2").bind(now_timestamp()).bind(&user.id).execute(&self.pool).await?;
        Ok(Some(user))
    }

    pub async fn set_user_active(&self, actor: &Actor, id: &str, active: bool) -> Result<()> {
        let before = self.user(id).await?;
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE users SET active = $1 WHERE id = $2").bind(if active { 1i64 } else { 0 }).bind(id).execute(&mut *tx).await?;
        if !active {
            // Revoke the user's API tokens with the account.
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                .bind(now_timestamp())
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        record(
            &mut tx,
            actor,
            "update",
            "user",
            Some(id),
            if active { "Reactivated account" } else { "Deactivated account" },
            Some(&json!({"active": before.active})),
            Some(&json!({"active": active})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Create an API token; the secret is returned once and never stored.
    pub async fn create_api_token(&self, actor: &Actor, user_id: &str, name: &str) -> Result<(ApiToken, String)> {
        let name = name.trim();
        if name.is_empty() {
            return Err(StoreError::invalid("name", "Enter a name for the token, like 'Power BI'"));
        }
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        let secret = format!("cm_{}", hex::encode(bytes));
        let id = new_id();
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&id)
            .bind(user_id)
            .bind(name)
            .bind(sha256_hex(&secret))
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        record(&mut tx, actor, "create", "api_token", Some(&id), &format!("Created API token '{name}'"), None, None).await?;
        tx.commit().await?;
        Ok((ApiToken { id, name: name.to_string(), created_at: now, last_used_at: None, revoked_at: None }, secret))
    }

    pub async fn api_tokens(&self, user_id: &str) -> Result<Vec<ApiToken>> {
        Ok(sqlx::query_as::<_, ApiToken>(
            "SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn revoke_api_token(&self, actor: &Actor, user_id: &str, token_id: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let r = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
            .bind(now_timestamp())
            .bind(token_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("API token {token_id}")));
        }
        record(&mut tx, actor, "revoke", "api_token", Some(token_id), "Revoked API token", None, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The active user behind a bearer token, if the token is valid and not revoked.
    ///
    /// `last_used_at` is written at most once a minute per token: a write on every API call
    /// made each request contend for SQLite's write lock with imports (issue 17 item 4).
    pub async fn user_for_token(&self, secret: &str) -> Result<Option<User>> {
        let row: Option<(String, String, Option<String>)> =
            sqlx::query_as("SELECT id, user_id, last_used_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL")
                .bind(sha256_hex(secret))
                .fetch_optional(&self.pool)
                .await?;
        let Some((token_id, user_id, last_used)) = row else { return Ok(None) };
        let user = self.user(&user_id).await?;
        if !user.active {
            return Ok(None);
        }
        if token_use_is_stale(last_used.as_deref(), jiff::Timestamp::now()) {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now_timestamp())
                .bind(token_id)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(user))
    }
}
