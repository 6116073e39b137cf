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
    /// Begin keeping an upload while the officer looks at what it would deregister: the pending
    /// upload and its files' names now, their bytes chunk by chunk
    /// ([`PendingImportWriter::add_chunk`]), all in one transaction that
    /// [`PendingImportWriter::finish`] commits. Pending uploads older than a day are dropped.
    pub async fn start_pending_import(
        &self,
        user_id: Option<&str>,
        completeness: Completeness,
        file_names: &[String],
    ) -> Result<PendingImportWriter> {
        let id = new_id();
        let now = now_timestamp();
        let cutoff = format!("{:.6}", jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24));
        let mut tx = self.begin_write().await?;
        let old: Vec<String> =
            sqlx::query_scalar("SELECT id FROM pending_imports WHERE created_at < $1").bind(&cutoff).fetch_all(&mut *tx).await?;
        for old in old {
            remove_pending(&mut tx, &old).await?;
        }
        sqlx::query("INSERT INTO pending_imports (id, user_id, file_name, completeness, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&id)
            .bind(user_id)
            .bind(file_names.join(", "))
            .bind(completeness.as_str())
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        for (position, name) in file_names.iter().enumerate() {
            sqlx::query("INSERT INTO pending_import_files (pending_id, position, file_name, chunks) VALUES ($1, $2, $3, 0)")
                .bind(&id)
                .bind(position as i64)
                .bind(name)
                .execute(&mut *tx)
                .await?;
        }
        Ok(PendingImportWriter { tx, id, chunks: vec![0; file_names.len()] })
    }

    /// A pending upload of this user's, without removing it: its completeness and its files, in
    /// the order they were chosen.
    pub async fn pending_import(&self, id: &str, user_id: Option<&str>) -> Result<(Completeness, Vec<PendingFile>)> {
        let (completeness, owner): (String, Option<String>) =
            sqlx::query_as("SELECT completeness, user_id FROM pending_imports WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("pending import {id}")))?;
        if owner.as_deref() != user_id {
            return Err(StoreError::NotFound(format!("pending import {id}")));
        }
        let completeness = Completeness::parse(&completeness).ok_or_else(|| corrupt("pending_imports", "completeness", &completeness))?;
        let files: Vec<(i64, String, i64)> =
            sqlx::query_as("SELECT position, file_name, chunks FROM pending_import_files WHERE pending_id = $1 ORDER BY position")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        let files = files.into_iter().map(|(position, name, chunks)| PendingFile { position, name, chunks }).collect();
        Ok((completeness, files))
    }

    /// One chunk of a pending upload's file (`seq` from 0 to its `chunks`), read on its own so
    /// that a file is never held whole.
    pub async fn pending_import_chunk(&self, id: &str, file: &PendingFile, seq: i64) -> Result<Vec<u8>> {
        sqlx::query_scalar("SELECT bytes FROM pending_import_chunks WHERE pending_id = $1 AND position = $2 AND seq = $3")
            .bind(id)
            .bind(file.position)
            .bind(seq)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("chunk {seq} of {} in pending import {id}", file.name)))
    }

    /// Drop a pending upload (applied or abandoned) with its files.
    pub async fn remove_pending_import(&self, id: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        remove_pending(&mut tx, id).await?;
        tx.commit().await?;
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

/// The most bytes a pending upload keeps in one row.
pub const PENDING_CHUNK_BYTES: usize = 1 << 20;

/// A file of a pending upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingFile {
    position: i64,
    /// The name the officer's browser gave it.
    pub name: String,
    /// How many chunks hold it.
    pub chunks: i64,
}

/// A pending upload being kept: nothing is visible until [`PendingImportWriter::finish`], and
/// dropping it keeps nothing.
pub struct PendingImportWriter {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    id: String,
    chunks: Vec<i64>,
}

impl PendingImportWriter {
    /// The pending upload's id (nothing under it is visible until it is finished).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The next chunk (at most [`PENDING_CHUNK_BYTES`]) of the file at `position`.
    pub async fn add_chunk(&mut self, position: usize, bytes: &[u8]) -> Result<()> {
        let Some(seq) = self.chunks.get_mut(position) else {
            return Err(StoreError::NotFound(format!("file {position} of pending import {}", self.id)));
        };
        if bytes.len() > PENDING_CHUNK_BYTES {
            return Err(StoreError::Conflict(format!("a chunk of {} bytes is larger than {PENDING_CHUNK_BYTES}", bytes.len())));
        }
        sqlx::query("INSERT INTO pending_import_chunks (pending_id, position, seq, bytes) VALUES ($1, $2, $3, $4)")
            .bind(&self.id)
            .bind(position as i64)
            .bind(*seq)
            .bind(bytes)
            .execute(&mut *self.tx)
            .await?;
        *seq += 1;
        Ok(())
    }

    /// Commit the pending upload; its id.
    pub async fn finish(mut self) -> Result<String> {
        for (position, chunks) in self.chunks.iter().enumerate() {
            sqlx::query("UPDATE pending_import_files SET chunks = $1 WHERE pending_id = $2 AND position = $3")
                .bind(*chunks)
                .bind(&self.id)
                .bind(position as i64)
                .execute(&mut *self.tx)
                .await?;
        }
        self.tx.commit().await?;
        Ok(self.id)
    }
}

/// A pending upload's rows, chunks first (the foreign keys cascade too; this does not rely on it).
async fn remove_pending(tx: &mut sqlx::Transaction<'_, sqlx::Any>, id: &str) -> Result<()> {
    for table in ["pending_import_chunks", "pending_import_files"] {
        sqlx::query(AssertSqlSafe(format!("DELETE FROM {table} WHERE pending_id = $1"))).bind(id).execute(&mut **tx).await?;
    }
    sqlx::query("DELETE FROM pending_imports WHERE id = $1").bind(id).execute(&mut **tx).await?;
    Ok(())
}
