//! Council single sign-on (issue 17 item 8): which of the identity provider's groups give which
//! role, and the link from a provider's person (issuer and subject) to a caremarket account.
//! The OpenID Connect exchange itself is the web layer's; this decides who the person is here.

use crate::audit::{Actor, record};
use crate::users::User;
use crate::versions::{Keyed, KeyedSave};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::access::Role;
use caremarket_core::limits;
use serde::Serialize;
use serde_json::json;
use sqlx::AssertSqlSafe;

/// The longest group name or id kept: Entra ID sends object ids (36 characters), Google and
/// Okta send names; 200 is ample for either and keeps the table small.
pub const GROUP_CHARS: usize = 200;

/// A mapping from one of the identity provider's groups to a caremarket role.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct GroupMapping {
    pub group: String,
    pub role: Role,
    pub created_at: String,
}

#[derive(sqlx::FromRow)]
struct GroupRow {
    group_name: String,
    role: String,
    created_at: String,
}

impl TryFrom<GroupRow> for GroupMapping {
    type Error = StoreError;
    fn try_from(r: GroupRow) -> Result<Self> {
        Ok(GroupMapping {
            role: Role::parse(&r.role).ok_or_else(|| StoreError::Corrupt {
                table: "sign_in_groups",
                column: "role",
                value: r.role.clone(),
            })?,
            group: r.group_name,
            created_at: r.created_at,
        })
    }
}

/// What the identity provider said about the person, after the web layer checked the ID token's
/// signature, issuer, audience, expiry and nonce.
#[derive(Debug, Clone)]
pub struct Identity<'a> {
    pub issuer: &'a str,
    pub subject: &'a str,
    pub email: Option<&'a str>,
    pub email_verified: bool,
    pub name: Option<&'a str>,
    pub groups: &'a [String],
}

/// Why a person who proved who they are to the identity provider may still not sign in here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// None of their groups is mapped to a role.
    NoMappedGroup,
    /// Their caremarket account has been deactivated.
    Deactivated,
    /// The provider did not say their email address is verified, so it cannot be matched to an
    /// account or used for a new one.
    EmailNotVerified,
    /// Provider accounts belong to a care provider, not the council: they sign in with a password.
    ProviderAccount,
}

#[derive(Debug)]
pub enum SignInOutcome {
    SignedIn { user: User, created: bool },
    Refused(Refusal),
}

/// The role a person's groups give: where groups map to different roles, the first of
/// `Role::ALL` (the most trusted first), so the outcome does not depend on the order of the claim.
pub fn role_for_groups(mappings: &[GroupMapping], groups: &[String]) -> Option<Role> {
    Role::ALL.into_iter().find(|role| mappings.iter().any(|m| m.role == *role && groups.contains(&m.group)))
}

/// A stored password hash that no password matches: an account made by single sign-on has no
/// password until an administrator resets one.
const NO_PASSWORD: &str = "!single-sign-on";

impl Store {
    pub async fn sign_in_groups(&self) -> Result<Vec<GroupMapping>> {
        let rows = sqlx::query_as::<_, GroupRow>("SELECT group_name, role, created_at FROM sign_in_groups ORDER BY group_name")
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(GroupMapping::try_from).collect()
    }

    /// Map a group to a role, replacing any role it had. Provider is refused: a provider account
    /// must name its provider, which a group cannot.
    pub async fn map_group(&self, actor: &Actor, group: &str, role: Role) -> Result<GroupMapping> {
        self.write_group(actor, group, role, KeyedSave::Replace).await
    }

    /// Map a group not mapped yet, from the blank form. A group already giving this role is left
    /// as it is; one giving another role is refused, naming the row's Change link, so that one
    /// administrator's add cannot silently replace another's choice (decision 25).
    pub async fn add_group_mapping(&self, actor: &Actor, group: &str, role: Role) -> Result<GroupMapping> {
        self.write_group(actor, group, role, KeyedSave::AddOnly).await
    }

    /// Change a group's role from its Change form opened at `expected` (the group's
    /// [`Keyed::SignInGroup`] version): refused `Stale`, with nothing written, if another
    /// administrator changed, removed or added it since.
    pub async fn remap_group_at(
        &self,
        actor: &Actor,
        group: &str,
        role: Role,
        expected: caremarket_core::versions::Version,
    ) -> Result<GroupMapping> {
        self.write_group(actor, group, role, KeyedSave::At(expected)).await
    }

    /// The version of a group's mapping, for its Change form to carry.
    pub async fn group_mapping_version(&self, group: &str) -> Result<i64> {
        self.keyed_version(Keyed::SignInGroup, group.trim()).await
    }

    async fn write_group(&self, actor: &Actor, group: &str, role: Role, how: KeyedSave) -> Result<GroupMapping> {
        let group = group.trim();
        if group.is_empty() {
            return Err(StoreError::invalid("group", "Enter the group's name or id, as your identity provider sends it"));
        }
        limits::check_text("group", "Group", group, GROUP_CHARS)?;
        if role == Role::Provider {
            return Err(StoreError::invalid("role", "Choose a council role: provider accounts are made one by one for their provider"));
        }
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        crate::versions::raise_keyed(&mut tx, Keyed::SignInGroup, group, how.expected()).await?;
        let before: Option<String> =
            sqlx::query_scalar("SELECT role FROM sign_in_groups WHERE group_name = $1").bind(group).fetch_optional(&mut *tx).await?;
        // The blank form only adds: a conflict leaves the row alone and says what it holds.
        let on_conflict = match how {
            KeyedSave::AddOnly => "DO NOTHING",
            _ => "DO UPDATE SET role = excluded.role",
        };
        let done = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO sign_in_groups (group_name, role, created_at) VALUES ($1, $2, $3) ON CONFLICT (group_name) {on_conflict}"
        )))
        .bind(group)
        .bind(role.as_str())
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let now_role: Option<String> =
                sqlx::query_scalar("SELECT role FROM sign_in_groups WHERE group_name = $1").bind(group).fetch_optional(&mut *tx).await?;
            drop(tx);
            let same = now_role.as_deref() == Some(role.as_str());
            if same {
                return self.group_mapping(group).await;
            }
            let label = now_role.as_deref().and_then(Role::parse).map(|r| r.label()).unwrap_or("another role");
            return Err(StoreError::invalid(
                "group",
                format!("The group {group} already gives the role {label}. To change its role, use Change in its row of the table"),
            ));
        }
        record(
            &mut tx,
            actor,
            if before.is_some() { "update" } else { "create" },
            "sign_in_group",
            Some(group),
            &format!("Mapped sign-in group to {}", role.label()),
            before.map(|r| json!({"group": group, "role": r})).as_ref(),
            Some(&json!({"group": group, "role": role.as_str()})),
        )
        .await?;
        tx.commit().await?;
        self.group_mapping(group).await
    }

    async fn group_mapping(&self, group: &str) -> Result<GroupMapping> {
        self.sign_in_groups().await?.into_iter().find(|m| m.group == group).ok_or_else(|| StoreError::NotFound(format!("group {group}")))
    }

    /// Remove a group's mapping. People already signed in keep their session; at their next
    /// sign-in the group no longer counts.
    pub async fn unmap_group(&self, actor: &Actor, group: &str) -> Result<()> {
        let group = group.trim();
        let mut tx = self.begin_write().await?;
        let role: Option<String> =
            sqlx::query_scalar("SELECT role FROM sign_in_groups WHERE group_name = $1").bind(group).fetch_optional(&mut *tx).await?;
        let Some(role) = role else {
            return Err(StoreError::invalid("group", format!("No role is mapped to the group {group}")));
        };
        sqlx::query("DELETE FROM sign_in_groups WHERE group_name = $1").bind(group).execute(&mut *tx).await?;
        // Raised, so a Change form opened before the removal cannot bring the group back.
        crate::versions::raise_keyed(&mut tx, Keyed::SignInGroup, group, None).await?;
        record(
            &mut tx,
            actor,
            "delete",
            "sign_in_group",
            Some(group),
            "Removed sign-in group mapping",
            Some(&json!({"group": group, "role": role})),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Who a person the identity provider vouched for is here: the account linked to their
    /// issuer and subject; else the account with their verified email, which is linked now; else
    /// a new account. The role comes from their groups at every sign-in, so a change made in the
    /// identity provider reaches caremarket at the next sign-in. Every sign-in is audited.
    pub async fn single_sign_on(&self, id: &Identity<'_>) -> Result<SignInOutcome> {
        let mappings = self.sign_in_groups().await?;
        let linked: Option<String> = sqlx::query_scalar("SELECT user_id FROM user_identities WHERE issuer = $1 AND subject = $2")
            .bind(id.issuer)
            .bind(id.subject)
            .fetch_optional(&self.pool)
            .await?;
        let existing = match linked {
            Some(user_id) => Some(self.user(&user_id).await?),
            None => {
                let Some(email) = id.email.map(|e| e.trim().to_lowercase()).filter(|e| e.contains('@')) else {
                    return Ok(SignInOutcome::Refused(Refusal::EmailNotVerified));
                };
                if !id.email_verified {
                    return Ok(SignInOutcome::Refused(Refusal::EmailNotVerified));
                }
                limits::check_text("email", "Email address", &email, limits::EMAIL_CHARS)?;
                let found: Option<String> =
                    sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(&email).fetch_optional(&self.pool).await?;
                match found {
                    Some(user_id) => Some(self.user(&user_id).await?),
                    None => None,
                }
            }
        };
        if let Some(user) = &existing {
            // Checked before the groups, so a deactivated person is told that, not something else.
            if !user.active {
                return Ok(SignInOutcome::Refused(Refusal::Deactivated));
            }
            if user.role == Role::Provider {
                return Ok(SignInOutcome::Refused(Refusal::ProviderAccount));
            }
        }
        let Some(role) = role_for_groups(&mappings, id.groups) else {
            return Ok(SignInOutcome::Refused(Refusal::NoMappedGroup));
        };
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        let (user_id, created) = match existing {
            Some(user) => {
                sqlx::query(
                    "INSERT INTO user_identities (issuer, subject, user_id, created_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (issuer, subject) DO NOTHING",
                )
                .bind(id.issuer)
                .bind(id.subject)
                .bind(&user.id)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE users SET role = $1, last_sign_in_at = $2 WHERE id = $3")
                    .bind(role.as_str())
                    .bind(&now)
                    .bind(&user.id)
                    .execute(&mut *tx)
                    .await?;
                let actor = Actor::user(&user.id, &user.email);
                let summary = if user.role == role {
                    "Signed in with single sign-on".to_string()
                } else {
                    format!("Signed in with single sign-on; role changed from {} to {} by their groups", user.role.label(), role.label())
                };
                record(
                    &mut tx,
                    &actor,
                    "sign_in",
                    "user",
                    Some(&user.id),
                    &summary,
                    Some(&json!({"role": user.role.as_str()})),
                    Some(&json!({"role": role.as_str(), "issuer": id.issuer})),
                )
                .await?;
                (user.id, false)
            }
            None => {
                // Checked above: a verified email is present.
                let email = id.email.map(|e| e.trim().to_lowercase()).unwrap_or_default();
                let name = id.name.map(str::trim).filter(|n| !n.is_empty()).unwrap_or(&email).to_string();
                limits::check_text("display_name", "Name", &name, limits::FIELD_CHARS)?;
                let user_id = new_id();
                sqlx::query(
                    "INSERT INTO users (id, email, display_name, password_hash, role, provider_id, active, created_at, last_sign_in_at, must_change_password)
                     VALUES ($1, $2, $3, $4, $5, NULL, 1, $6, $6, 0)",
                )
                .bind(&user_id)
                .bind(&email)
                .bind(&name)
                .bind(NO_PASSWORD)
                .bind(role.as_str())
                .bind(&now)
                .execute(&mut *tx)
                .await?;
                sqlx::query("INSERT INTO user_identities (issuer, subject, user_id, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(id.issuer)
                    .bind(id.subject)
                    .bind(&user_id)
                    .bind(&now)
                    .execute(&mut *tx)
                    .await?;
                let actor = Actor::user(&user_id, &email);
                record(
                    &mut tx,
                    &actor,
                    "create",
                    "user",
                    Some(&user_id),
                    &format!("Created {} account at first single sign-on", role.label()),
                    None,
                    Some(&json!({"email": email, "role": role.as_str(), "issuer": id.issuer})),
                )
                .await?;
                record(&mut tx, &actor, "sign_in", "user", Some(&user_id), "Signed in with single sign-on", None, None).await?;
                (user_id, true)
            }
        };
        tx.commit().await?;
        Ok(SignInOutcome::SignedIn { user: self.user(&user_id).await?, created })
    }

    /// The identity provider links of an account, as (issuer, subject).
    pub async fn user_identities(&self, user_id: &str) -> Result<Vec<(String, String)>> {
        Ok(sqlx::query_as("SELECT issuer, subject FROM user_identities WHERE user_id = $1 ORDER BY issuer, subject")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?)
    }
}
