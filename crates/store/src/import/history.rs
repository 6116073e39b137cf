//! The imports made (and failed), and uploads kept while the officer confirms them.

use super::ImportReport;
use crate::audit::{Actor, record};
use crate::register::corrupt;
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::register::import_plan::Completeness;
use sqlx::AssertSqlSafe;

const IMPORT_COLS: &str = "id, file_name, format, started_at, finished_at, actor_label, status, new_count, updated_count, unchanged_count,
    deregistered_count, rejected_count, rating_changes_count, rejections_json, error, skipped_count, skipped_json, providers_read,
    completeness, deregistration_note";

/// An import as stored ([`IMPORT_COLS`]).
#[derive(sqlx::FromRow)]
struct ImportRow {
    id: String,
    file_name: String,
    format: String,
    started_at: String,
    finished_at: Option<String>,
    actor_label: String,
    status: String,
    new_count: i64,
    updated_count: i64,
    unchanged_count: i64,
    deregistered_count: i64,
    rejected_count: i64,
    rating_changes_count: i64,
    rejections_json: String,
    error: Option<String>,
    skipped_count: i64,
    skipped_json: String,
    providers_read: i64,
    completeness: Option<String>,
    deregistration_note: Option<String>,
}

impl TryFrom<ImportRow> for ImportReport {
    type Error = StoreError;
    fn try_from(r: ImportRow) -> Result<Self> {
        Ok(ImportReport {
            rejections: serde_json::from_str(&r.rejections_json).map_err(|_| corrupt("imports", "rejections_json", &r.rejections_json))?,
            skipped_locations: serde_json::from_str(&r.skipped_json).map_err(|_| corrupt("imports", "skipped_json", &r.skipped_json))?,
            id: r.id,
            file_name: r.file_name,
            format: r.format,
            started_at: r.started_at,
            finished_at: r.finished_at,
            actor_label: r.actor_label,
            status: r.status,
            new: r.new_count,
            updated: r.updated_count,
            unchanged: r.unchanged_count,
            deregistered: r.deregistered_count,
            rejected: r.rejected_count,
            rating_changes: r.rating_changes_count,
            error: r.error,
            skipped: r.skipped_count,
            providers_read: r.providers_read,
            provider_names_changed: 0,
            completeness: r.completeness,
            deregistration_note: r.deregistration_note,
        })
    }
}

impl Store {
    /// Keep a parsed upload while the officer looks at what it would deregister. Pending
    /// uploads older than a day are dropped.
    pub async fn save_pending_import(
        &self,
        user_id: Option<&str>,
        file_name: &str,
        completeness: Completeness,
        outcome_json: &str,
    ) -> Result<String> {
        let id = new_id();
        let now = now_timestamp();
        let cutoff = format!("{:.6}", jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24));
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM pending_imports WHERE created_at < $1").bind(&cutoff).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO pending_imports (id, user_id, file_name, completeness, created_at, outcome_json) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(user_id)
        .bind(file_name)
        .bind(completeness.as_str())
        .bind(&now)
        .bind(outcome_json)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A pending upload of this user's, without removing it: (file name, completeness, parsed JSON).
    pub async fn pending_import(&self, id: &str, user_id: Option<&str>) -> Result<(String, Completeness, String)> {
        let (file_name, completeness, outcome_json, owner): (String, String, String, Option<String>) =
            sqlx::query_as("SELECT file_name, completeness, outcome_json, user_id FROM pending_imports WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("pending import {id}")))?;
        if owner.as_deref() != user_id {
            return Err(StoreError::NotFound(format!("pending import {id}")));
        }
        let completeness = Completeness::parse(&completeness).ok_or_else(|| corrupt("pending_imports", "completeness", &completeness))?;
        Ok((file_name, completeness, outcome_json))
    }

    /// Drop a pending upload (applied or abandoned).
    pub async fn remove_pending_import(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM pending_imports WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(())
    }

    /// Record a failed import (a file that could not be read): the register is untouched.
    pub async fn record_failed_import(&self, actor: &Actor, file_name: &str, error: &str) -> Result<String> {
        let id = new_id();
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO imports (id, source, file_name, format, started_at, finished_at, actor_label, status, error) VALUES ($1, 'cqc', $2, 'unknown', $3, $3, $4, 'failed', $5)",
        )
        .bind(&id)
        .bind(file_name)
        .bind(&now)
        .bind(&actor.label)
        .bind(error)
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            actor,
            "import_failed",
            "import",
            Some(&id),
            &format!("CQC file {file_name} could not be read; nothing changed"),
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn imports(&self, limit: i64) -> Result<Vec<ImportReport>> {
        let rows = sqlx::query_as::<_, ImportRow>(AssertSqlSafe(format!(
            "SELECT {IMPORT_COLS} FROM imports ORDER BY started_at DESC LIMIT {}",
            limit.clamp(1, 500)
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(ImportReport::try_from).collect()
    }

    pub async fn import(&self, id: &str) -> Result<ImportReport> {
        sqlx::query_as::<_, ImportRow>(AssertSqlSafe(format!("SELECT {IMPORT_COLS} FROM imports WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("import {id}")))?
            .try_into()
    }
}
