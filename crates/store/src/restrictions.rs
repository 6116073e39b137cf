//! Placement restrictions and embargoes, shared by quality assurance (a service's status),
//! capacity (the restrictions page, the market's homes) and brokerage (who may be offered a
//! package). Core's [`NewRestriction::check`] is the one validation; this records and reads.

use crate::audit::{Actor, record};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::restrictions::lifted_end;
pub use caremarket_core::restrictions::{NewRestriction, RestrictionKind};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AssertSqlSafe;

/// A placement restriction or embargo on a service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Restriction {
    pub id: String,
    pub service_id: String,
    pub service_name: String,
    pub provider_id: String,
    pub provider_name: String,
    pub kind: RestrictionKind,
    pub scope: Option<String>,
    pub reason: String,
    pub starts_on: String,
    pub ends_on: Option<String>,
    pub recorded_by: String,
}

impl Restriction {
    pub fn describe(&self) -> String {
        let k = self.kind.label();
        // As officers write dates: "since 3 February 2024".
        let since = self.starts_on.parse::<Date>().map(|d| d.strftime("%-d %B %Y").to_string()).unwrap_or_else(|_| self.starts_on.clone());
        match &self.scope {
            Some(s) if !s.trim().is_empty() => format!("{k} ({s}) since {since}"),
            _ => format!("{k} since {since}"),
        }
    }
}

const COLUMNS: &str = "SELECT r.id, r.service_id, s.name AS service_name, s.provider_id, p.name AS provider_name, r.kind, r.scope,
    r.reason, r.starts_on, r.ends_on, COALESCE(ru.display_name, r.recorded_by) AS recorded_by
    FROM placement_restrictions r JOIN services s ON s.id = r.service_id JOIN providers p ON p.id = s.provider_id
    LEFT JOIN users ru ON ru.email = r.recorded_by";

#[derive(sqlx::FromRow)]
struct RestrictionRow {
    id: String,
    service_id: String,
    service_name: String,
    provider_id: String,
    provider_name: String,
    kind: String,
    scope: Option<String>,
    reason: String,
    starts_on: String,
    ends_on: Option<String>,
    recorded_by: String,
}

impl TryFrom<RestrictionRow> for Restriction {
    type Error = StoreError;
    fn try_from(r: RestrictionRow) -> Result<Self> {
        Ok(Restriction {
            kind: StoreError::decode("placement_restrictions", "kind", &r.kind)?,
            id: r.id,
            service_id: r.service_id,
            service_name: r.service_name,
            provider_id: r.provider_id,
            provider_name: r.provider_name,
            scope: r.scope,
            reason: r.reason,
            starts_on: r.starts_on,
            ends_on: r.ends_on,
            recorded_by: r.recorded_by,
        })
    }
}

impl Store {
    pub async fn record_restriction(&self, actor: &Actor, r: &NewRestriction) -> Result<String> {
        let service =
            self.service(&r.service_id).await.map_err(|_| StoreError::invalid("service_id", "Choose a service from the register"))?;
        let kind = r.check()?;
        let id = new_id();
        let now = now_timestamp();
        let ends_on = r.ends_on.map(|d| d.to_string());
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO placement_restrictions (id, service_id, kind, scope, reason, starts_on, ends_on, recorded_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        )
        .bind(&id)
        .bind(&r.service_id)
        .bind(kind.as_str())
        .bind(r.scope.clone().filter(|s| !s.trim().is_empty()))
        .bind(r.reason.trim())
        .bind(r.starts_on.to_string())
        .bind(ends_on.clone())
        .bind(&actor.label)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            actor,
            "create",
            "placement_restriction",
            Some(&id),
            &format!("Placement {} at {}", kind.as_str(), service.name),
            None,
            Some(&json!({"service_id": r.service_id, "kind": kind.as_str(), "scope": r.scope, "starts_on": r.starts_on.to_string(), "ends_on": ends_on})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// End a restriction on `on` (it stops applying after that day).
    pub async fn lift_restriction(&self, actor: &Actor, id: &str, on: Date) -> Result<()> {
        let (starts, ends): (String, Option<String>) =
            sqlx::query_as("SELECT starts_on, ends_on FROM placement_restrictions WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("restriction {id}")))?;
        let end = lifted_end(StoreError::decode("placement_restrictions", "starts_on", &starts)?, on).to_string();
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE placement_restrictions SET ends_on = $1, updated_at = $2 WHERE id = $3")
            .bind(&end)
            .bind(now_timestamp())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            "update",
            "placement_restriction",
            Some(id),
            "Lifted placement restriction",
            Some(&json!({"ends_on": ends})),
            Some(&json!({"ends_on": end})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Restrictions in force on `on` (core's [`in_force`](caremarket_core::restrictions::in_force),
    /// as SQL), or all of them.
    pub async fn restrictions(&self, on: Option<Date>) -> Result<Vec<Restriction>> {
        let rows = match on {
            Some(d) => {
                sqlx::query_as::<_, RestrictionRow>(AssertSqlSafe(format!(
                    "{COLUMNS} WHERE r.starts_on <= $1 AND (r.ends_on IS NULL OR r.ends_on >= $1) ORDER BY r.starts_on DESC, s.name"
                )))
                .bind(d.to_string())
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query_as::<_, RestrictionRow>(AssertSqlSafe(format!("{COLUMNS} ORDER BY r.starts_on DESC, s.name")))
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.into_iter().map(Restriction::try_from).collect()
    }

    /// [`Store::restrictions`] in force on `on`, kept (`crate::kept`): computed again only when a
    /// restriction, or a service's or provider's name, has changed since (each bumps the data
    /// version), or on another day. For the quality dashboard, which lists them on every request
    /// (issue 18 item 3). `recorded_by` is the recorder's name when the list was kept: a user's
    /// change of name is not a change kept figures follow, so a page that shows who recorded a
    /// restriction reads [`Store::restrictions`].
    pub async fn kept_restrictions(&self, on: Date) -> Result<crate::kept::Kept<Vec<Restriction>>> {
        self.kept_figure("restrictions_in_force", &on.to_string(), self.restrictions(Some(on))).await
    }

    /// Every restriction and embargo ever recorded on a service, newest first.
    pub async fn restrictions_for_service(&self, service_id: &str) -> Result<Vec<Restriction>> {
        let rows = sqlx::query_as::<_, RestrictionRow>(AssertSqlSafe(format!(
            "{COLUMNS} WHERE r.service_id = $1 ORDER BY r.starts_on DESC, r.created_at DESC"
        )))
        .bind(service_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Restriction::try_from).collect()
    }
}
