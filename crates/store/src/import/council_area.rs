//! The council's area: its local authorities, and which services are in it.

use super::AreaChange;
use crate::audit::{Actor, record};
use crate::{Result, Store, now_timestamp};
use caremarket_core::register::RegistrationStatus;
use caremarket_core::register::import_plan::{council_local_authorities, in_council_area};
use caremarket_core::versions::Version;
use serde_json::json;
use std::collections::BTreeSet;

/// The setting that holds the council's local authorities.
const KEY: &str = "council_local_authorities";

impl Store {
    /// The council's local authority names for deciding what is in area (setting
    /// `council_local_authorities`, `;`-separated).
    pub async fn council_local_authorities(&self) -> Result<Vec<String>> {
        Ok(self
            .setting(KEY)
            .await?
            .map(|v| v.split(';').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default())
    }

    /// Set the council's local authorities and recalculate "in the council's area" for every
    /// service at once, in one transaction with its audit entry. Returns how many services
    /// changed side. A name no service in the register has is refused (a misspelling would put
    /// every service out of area), unless the register has no CQC services yet. From a form,
    /// `expected` is the setting's version it was opened at (refused with `Stale` if saved
    /// since, decision 25); the command line gives `None`.
    pub async fn set_council_local_authorities(&self, actor: &Actor, names: &[String], expected: Option<Version>) -> Result<AreaChange> {
        if let Some(expected) = expected {
            crate::versions::check_current(self.setting_version(KEY).await?, expected)?;
        }
        let mut tx = self.begin_write().await?;
        let rows: Vec<(String, Option<String>, i64)> =
            sqlx::query_as("SELECT id, local_authority, in_area FROM services").fetch_all(&mut *tx).await?;
        let known: BTreeSet<String> = rows.iter().filter_map(|r| r.1.as_ref()).map(|s| s.to_lowercase()).collect();
        let cleaned = council_local_authorities(names, &known)?;
        let before: Vec<String> = self.council_local_authorities().await?;
        match expected {
            Some(expected) => crate::db::save_setting_at(&mut tx, KEY, &cleaned.join(";"), expected).await?,
            None => {
                sqlx::query(crate::db::UPSERT_SETTING).bind(KEY).bind(cleaned.join(";")).execute(&mut *tx).await?;
            }
        }
        let now = now_timestamp();
        let (mut now_in, mut now_out) = (0i64, 0i64);
        for (id, la, was) in &rows {
            let is = i64::from(in_council_area(&cleaned, la.as_deref()));
            if *was != is {
                sqlx::query("UPDATE services SET in_area = $1, updated_at = $2 WHERE id = $3")
                    .bind(is)
                    .bind(&now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                if is == 1 {
                    now_in += 1;
                } else {
                    now_out += 1;
                }
            }
        }
        let change = AreaChange { before, after: cleaned, now_in_area: now_in, now_out_of_area: now_out };
        record(
            &mut tx,
            actor,
            "council_area",
            "setting",
            Some("council_local_authorities"),
            &format!(
                "Council's local authorities set to {}: {} services now in the area, {} now outside it",
                if change.after.is_empty() { "none (every service in the area)".to_string() } else { change.after.join(", ") },
                now_in,
                now_out
            ),
            Some(&json!({ "local_authorities": change.before })),
            Some(&json!({ "local_authorities": change.after, "now_in_area": now_in, "now_out_of_area": now_out })),
        )
        .await?;
        tx.commit().await?;
        Ok(change)
    }

    /// The local authorities of the register's registered services, with how many each, most first.
    pub async fn local_authority_counts(&self) -> Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT local_authority, COUNT(*) AS n FROM services WHERE local_authority IS NOT NULL AND registration_status = $1
             GROUP BY local_authority ORDER BY n DESC, local_authority",
        )
        .bind(RegistrationStatus::Registered.as_str())
        .fetch_all(&self.pool)
        .await?)
    }
}
