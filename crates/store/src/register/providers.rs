//! Providers: the organisations that run services.

use super::Page;
use super::filter::check_search;
use crate::audit::{Actor, record};
use crate::versions::{Versioned, check_current, saved};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::text::normalise_postcode;
use caremarket_core::versions::Version;
use serde::Serialize;
use serde_json::json;
use sqlx::AssertSqlSafe;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Provider {
    pub id: String,
    pub cqc_provider_id: Option<String>,
    pub name: String,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub notes: Option<String>,
    pub service_count: i64,
    /// Raised by one on each change of the notes (decision 25).
    pub version: i64,
}

/// A provider as a choice in a form: id and name only.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct ProviderChoice {
    pub id: String,
    pub name: String,
}

/// A provider to add: [`Store::create_provider`]'s fields, for a batch
/// ([`Store::bulk_create_providers`]).
#[derive(Debug, Clone, Default)]
pub struct NewProvider {
    pub cqc_provider_id: Option<String>,
    pub name: String,
    pub address: Option<String>,
    pub postcode: Option<String>,
}

pub(crate) const PROVIDER_INSERT_COLUMNS: [&str; 7] = ["id", "cqc_provider_id", "name", "address", "postcode", "created_at", "updated_at"];

/// A new provider's row, checked (a name is required, tidied; the postcode normalised), and its
/// tidied name: one definition for the ordinary path and the batch.
pub(crate) fn provider_row(id: &str, p: &NewProvider, now: &str) -> Result<(Vec<crate::bulk::Value>, String)> {
    let name = caremarket_core::text::tidy(&p.name);
    if name.is_empty() {
        return Err(StoreError::invalid("name", "Enter the provider's name"));
    }
    let row = vec![
        id.into(),
        p.cqc_provider_id.clone().into(),
        name.clone().into(),
        p.address.clone().into(),
        p.postcode.as_deref().and_then(normalise_postcode).into(),
        now.into(),
        now.into(),
    ];
    Ok((row, name))
}

const PROVIDER_COLS: &str = "p.id, p.cqc_provider_id, p.name, p.address, p.postcode, p.phone, p.website, p.notes, p.version";

impl Store {
    pub async fn create_provider(
        &self,
        actor: &Actor,
        cqc_provider_id: Option<&str>,
        name: &str,
        address: Option<&str>,
        postcode: Option<&str>,
    ) -> Result<String> {
        let new = NewProvider {
            cqc_provider_id: cqc_provider_id.map(str::to_string),
            name: name.to_string(),
            address: address.map(str::to_string),
            postcode: postcode.map(str::to_string),
        };
        let id = new_id();
        let (row, name) = provider_row(&id, &new, &now_timestamp())?;
        let mut tx = self.begin_write().await?;
        crate::bulk::insert_rows(&mut tx, "providers", &PROVIDER_INSERT_COLUMNS, vec![row]).await?;
        record(&mut tx, actor, "create", "provider", Some(&id), &format!("Added provider {name}"), None, None).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn provider(&self, id: &str) -> Result<Provider> {
        sqlx::query_as::<_, Provider>(AssertSqlSafe(format!(
            "SELECT {PROVIDER_COLS}, (SELECT COUNT(*) FROM services s WHERE s.provider_id = p.id) AS service_count
             FROM providers p WHERE p.id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("provider {id}")))
    }

    /// Providers with at least one service matching `in_area` (default: in the council's area),
    /// searched by name or CQC provider id.
    pub async fn providers(&self, q: Option<&str>, page: i64, per_page: i64) -> Result<Page<Provider>> {
        let per_page = per_page.clamp(1, 500);
        let page = page.max(1);
        let q = q.unwrap_or("").trim();
        check_search(q)?;
        let like = caremarket_core::limits::like_contains(&q.to_lowercase());
        let base =
            " FROM providers p WHERE (LOWER(p.name) LIKE $1 ESCAPE '\\' OR LOWER(COALESCE(p.cqc_provider_id,'')) LIKE $1 ESCAPE '\\')
            AND EXISTS (SELECT 1 FROM services s WHERE s.provider_id = p.id AND s.in_area = 1)";
        let total: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*){base}"))).bind(&like).fetch_one(&self.pool).await?;
        let items = sqlx::query_as::<_, Provider>(AssertSqlSafe(format!(
            "SELECT {PROVIDER_COLS},
                    (SELECT COUNT(*) FROM services s WHERE s.provider_id = p.id AND s.registration_status <> $2) AS service_count
             {base} ORDER BY p.name, p.id LIMIT {per_page} OFFSET {}",
            (page - 1) * per_page
        )))
        .bind(&like)
        .bind(caremarket_core::register::RegistrationStatus::Deregistered.as_str())
        .fetch_all(&self.pool)
        .await?;
        Ok(Page { items, total, page, per_page })
    }

    /// Every provider, in or out of the council's area, by name: the choices for a provider
    /// user's account (the register's `providers` lists only providers with in-area services).
    pub async fn provider_choices(&self) -> Result<Vec<ProviderChoice>> {
        Ok(sqlx::query_as::<_, ProviderChoice>("SELECT id, name FROM providers ORDER BY name, id").fetch_all(&self.pool).await?)
    }

    /// Change a provider's notes, made from version `expected` (a provider saved since is refused).
    pub async fn update_provider_notes(&self, actor: &Actor, id: &str, notes: Option<&str>, expected: Version) -> Result<()> {
        let before = self.provider(id).await?;
        check_current(before.version, expected)?;
        let notes = notes.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query("UPDATE providers SET notes = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND version = $4")
            .bind(notes.clone())
            .bind(now_timestamp())
            .bind(id)
            .bind(expected.get())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        saved(&mut tx, Versioned::Providers, id, changed).await?;
        record(
            &mut tx,
            actor,
            "update",
            "provider",
            Some(id),
            "Changed provider notes",
            Some(&json!({"notes": before.notes})),
            Some(&json!({"notes": notes})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
