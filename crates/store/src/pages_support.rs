//! Small read queries the admin and placement pages need that the capability modules do not
//! offer: the choices for select boxes. Read-only, so no audit records.

use crate::{Result, Store};
use serde::Serialize;
use sqlx::Row;

/// A provider as a choice in a form: id and name only.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ProviderChoice {
    pub id: String,
    pub name: String,
}

impl Store {
    /// Every provider, in or out of the council's area, by name: the choices for a provider
    /// user's account (the register's `providers` lists only providers with in-area services).
    pub async fn provider_choices(&self) -> Result<Vec<ProviderChoice>> {
        let rows = sqlx::query("SELECT id, name FROM providers ORDER BY name, id").fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok(ProviderChoice { id: r.try_get("id")?, name: r.try_get("name")? })).collect()
    }

    /// The entity types that occur in the audit log, for the audit page's filter.
    pub async fn audit_entity_types(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT DISTINCT entity_type FROM audit_log ORDER BY entity_type").fetch_all(&self.pool).await?)
    }
}
