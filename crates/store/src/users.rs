//! Accounts and API tokens. Passwords are hashed with argon2id; API tokens are random and only
//! their SHA-256 is kept, so a database copy does not leak usable credentials.

use crate::audit::{Actor, record};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use caremarket_core::access::Role;
use caremarket_core::passwords::{self, PasswordContext};
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
    /// The account must choose a new password before using any page (made by an administrator
    /// or the command line, or reset by an administrator).
    pub must_change_password: bool,
    pub password_changed_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

pub const MIN_PASSWORD_LEN: usize = caremarket_core::passwords::MIN_CHARS;

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
    must_change_password: i64,
    password_changed_at: Option<String>,
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
            must_change_password: r.must_change_password == 1,
            password_changed_at: r.password_changed_at,
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

const USER_COLS: &str =
    "id, email, display_name, role, provider_id, active, created_at, last_sign_in_at, must_change_password, password_changed_at";

pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::invalid("password", e.to_string()))
}

/// A real Argon2 hash of no one's password: checked against when there is no hash to check, so
/// every refusal costs one Argon2 run.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG";

fn verify_password(hash: &str, password: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(h) => Argon2::default().verify_password(password.as_bytes(), &h).is_ok(),
        // An account that signs in only through the council's identity provider stores no hash
        // ("!single-sign-on"); refusing it at once would tell anyone timing the sign-in form
        // which accounts those are (issue 17 item 12).
        Err(_) => {
            let _ = PasswordHash::new(DUMMY_HASH).map(|h| Argon2::default().verify_password(password.as_bytes(), &h));
            false
        }
    }
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
    /// Whether the person must choose their own password at first sign-in: true for every
    /// account an administrator or the command line makes; false only for the demo's accounts.
    pub must_change_password: bool,
}

/// What a temporary password is made of: lower-case letters and digits a person can read out
/// and type without confusing them (no 0/o, 1/l/i).
const TEMPORARY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

impl Store {
    pub async fn create_user(&self, actor: &Actor, u: NewUser<'_>) -> Result<User> {
        let email = u.email.trim().to_lowercase();
        if !email.contains('@') || email.len() < 3 {
            return Err(StoreError::invalid("email", "Enter an email address in the correct format, like name@example.gov.uk"));
        }
        if u.display_name.trim().is_empty() {
            return Err(StoreError::invalid("display_name", "Enter the person's name"));
        }
        let council_name = self.setting("council_name").await?.unwrap_or_default();
        let ctx = PasswordContext { email: &email, display_name: u.display_name, council_name: &council_name };
        passwords::check("password", u.password, &ctx)?;
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
            "INSERT INTO users (id, email, display_name, password_hash, role, provider_id, active, created_at, must_change_password)
             VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8)",
        )
        .bind(&id)
        .bind(&email)
        .bind(u.display_name.trim())
        .bind(hash)
        .bind(u.role.as_str())
        .bind(u.provider_id.map(str::to_string))
        .bind(&now)
        .bind(i64::from(u.must_change_password))
        .execute(&mut *tx)
        .await?;
        let after =
            json!({"email": email, "role": u.role.as_str(), "provider_id": u.provider_id, "must_change_password": u.must_change_password});
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
            let _ = verify_password(DUMMY_HASH, password);
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

    /// A person changes their own password: the current one must be right and the new one meet
    /// the policy (`caremarket_core::passwords`). Every session of the account ends (the caller
    /// starts a new one for the person's own browser), a required change is done, and the change
    /// is audited without either password. Nothing is written if anything is refused.
    pub async fn change_password(&self, user_id: &str, current: &str, new: &str, confirm: &str) -> Result<()> {
        let (user, hash) = self.user_with_hash(user_id).await?;
        let council_name = self.setting("council_name").await?.unwrap_or_default();
        let ctx = PasswordContext { email: &user.email, display_name: &user.display_name, council_name: &council_name };
        passwords::check_change(current, new, confirm, &ctx)?;
        if !verify_password(&hash, current) {
            return Err(StoreError::invalid("current_password", "Your current password is not right: type it again"));
        }
        let new_hash = hash_password(new)?;
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE users SET password_hash = $1, must_change_password = 0, password_changed_at = $2 WHERE id = $3")
            .bind(new_hash)
            .bind(&now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let ended = end_sessions(&mut tx, user_id).await?;
        let actor = Actor::user(&user.id, &user.email);
        record(
            &mut tx,
            &actor,
            "change_password",
            "user",
            Some(user_id),
            &format!("Changed their own password; {ended} signed-in {} ended", if ended == 1 { "session" } else { "sessions" }),
            Some(&json!({"must_change_password": user.must_change_password})),
            Some(&json!({"must_change_password": false, "password_changed_at": now})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An administrator resets an account's password: a new temporary password, returned once
    /// to be given to the person by a separate route (caremarket sends no email), which must be
    /// changed at the next sign-in. The account's sessions end; its API tokens are not touched
    /// (deactivate the account to stop those). Audited without the password.
    pub async fn reset_password(&self, actor: &Actor, user_id: &str) -> Result<String> {
        let user = self.user(user_id).await?;
        if !user.active {
            return Err(StoreError::Conflict("This account is deactivated: reactivate it before resetting its password".into()));
        }
        let council_name = self.setting("council_name").await?.unwrap_or_default();
        let ctx = PasswordContext { email: &user.email, display_name: &user.display_name, council_name: &council_name };
        let temporary = (0..20)
            .map(|_| temporary_password())
            .find(|p| passwords::check("password", p, &ctx).is_ok())
            .ok_or_else(|| StoreError::Conflict("A temporary password could not be made: try again".into()))?;
        let hash = hash_password(&temporary)?;
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE users SET password_hash = $1, must_change_password = 1, password_changed_at = $2 WHERE id = $3")
            .bind(hash)
            .bind(&now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let ended = end_sessions(&mut tx, user_id).await?;
        record(
            &mut tx,
            actor,
            "reset_password",
            "user",
            Some(user_id),
            &format!(
                "Reset the password of {}; a new one must be chosen at next sign-in; {ended} signed-in {} ended",
                user.email,
                if ended == 1 { "session" } else { "sessions" }
            ),
            Some(&json!({"must_change_password": user.must_change_password})),
            Some(&json!({"must_change_password": true, "password_changed_at": now})),
        )
        .await?;
        tx.commit().await?;
        Ok(temporary)
    }

    /// How many unexpired sessions an account has (for tests and the users page).
    pub async fn session_count(&self, user_id: &str) -> Result<i64> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = $1 AND expires_at > $2")
            .bind(user_id)
            .bind(now)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn user_with_hash(&self, id: &str) -> Result<(User, String)> {
        let row = sqlx::query_as::<_, UserWithHash>(AssertSqlSafe(format!("SELECT {USER_COLS}, password_hash FROM users WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {id}")))?;
        Ok((User::try_from(row.user)?, row.password_hash))
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

/// End every session of an account, in the caller's transaction; how many there were.
async fn end_sessions(tx: &mut sqlx::Transaction<'static, sqlx::Any>, user_id: &str) -> Result<u64> {
    let r = sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut **tx).await?;
    Ok(r.rows_affected())
}

/// Four groups of four characters from [`TEMPORARY_ALPHABET`] ("k7mq-x3vp-9tza-h2rc"): about
/// 79 bits, read out or typed once.
fn temporary_password() -> String {
    let mut rng = rand::thread_rng();
    let groups: Vec<String> = (0..4)
        .map(|_| {
            (0..4)
                .map(|_| {
                    let i = (rng.next_u32() as usize) % TEMPORARY_ALPHABET.len();
                    char::from(TEMPORARY_ALPHABET[i])
                })
                .collect()
        })
        .collect();
    groups.join("-")
}

#[cfg(test)]
mod refusal_tests {
    use super::{DUMMY_HASH, PasswordHash, verify_password};

    /// Every refusal runs Argon2 once: the stand-in hash must be a real Argon2 hash (a hash that
    /// did not parse would be refused at once), and an account with no password is refused.
    #[test]
    fn refusals_without_a_stored_hash_check_a_real_one() {
        let h = PasswordHash::new(DUMMY_HASH).expect("the stand-in hash parses");
        assert_eq!(h.algorithm.as_str(), "argon2id");
        assert!(!verify_password("!single-sign-on", "anything at all"));
        assert!(!verify_password(DUMMY_HASH, "anything at all"));
    }
}
