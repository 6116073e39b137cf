//! Evidence files on actions, visits and outcome claims (issue 16 item 18). The file is kept
//! under the data directory as `<evidence dir>/<id>` (no name of the sender's choosing ever
//! reaches the file system); the database keeps a row saying what it is and whose record it is
//! on. Adding writes the file under a temporary name, then in one transaction inserts the row and
//! its audit record and renames the file into place: a failure leaves neither the row nor the
//! file. Removing deletes the row (audited) and then the file.

use crate::audit::{Actor, record};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::evidence::{FileType, RecordKind, size_in_words};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// One evidence file's row.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceFile {
    pub id: String,
    pub record_kind: RecordKind,
    pub record_id: String,
    /// The sender's file name, made safe (`caremarket_core::evidence::safe_name`).
    pub name: String,
    pub file_type: FileType,
    pub size_bytes: i64,
    /// Hex SHA-256 of the content, to check a restored file against.
    pub sha256: String,
    pub uploaded_by_label: String,
    /// The sender's display name when the account still exists, otherwise its label.
    pub uploaded_by_name: String,
    pub uploaded_at: String,
}

#[derive(sqlx::FromRow)]
struct EvidenceRow {
    id: String,
    record_kind: String,
    record_id: String,
    name: String,
    file_type: String,
    size_bytes: i64,
    sha256: String,
    uploaded_by_label: String,
    uploaded_by_name: Option<String>,
    uploaded_at: String,
}

impl TryFrom<EvidenceRow> for EvidenceFile {
    type Error = StoreError;
    fn try_from(r: EvidenceRow) -> Result<EvidenceFile> {
        Ok(EvidenceFile {
            record_kind: RecordKind::parse(&r.record_kind).ok_or_else(|| StoreError::Corrupt {
                table: "evidence_files",
                column: "record_kind",
                value: r.record_kind.clone(),
            })?,
            file_type: FileType::parse(&r.file_type).ok_or_else(|| StoreError::Corrupt {
                table: "evidence_files",
                column: "file_type",
                value: r.file_type.clone(),
            })?,
            uploaded_by_name: r.uploaded_by_name.unwrap_or_else(|| r.uploaded_by_label.clone()),
            id: r.id,
            record_id: r.record_id,
            name: r.name,
            size_bytes: r.size_bytes,
            sha256: r.sha256,
            uploaded_by_label: r.uploaded_by_label,
            uploaded_at: r.uploaded_at,
        })
    }
}

const EVIDENCE_SELECT: &str = "SELECT e.id, e.record_kind, e.record_id, e.name, e.file_type, e.size_bytes, e.sha256,
        e.uploaded_by_label, u.display_name AS uploaded_by_name, e.uploaded_at
     FROM evidence_files e LEFT JOIN users u ON u.id = e.uploaded_by";

/// Whose record it is: the provider (for provider isolation) and, for a claim, its contract
/// (to link back to the claim's page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordOwner {
    pub provider_id: Option<String>,
    pub contract_id: Option<String>,
}

/// A file to add, already checked: its type told from its content.
pub struct NewEvidenceFile<'a> {
    pub kind: RecordKind,
    pub record_id: &'a str,
    pub name: &'a str,
    pub file_type: FileType,
    pub bytes: &'a [u8],
}

/// Where a file with this id is kept.
pub fn evidence_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(id)
}

impl Store {
    /// The record's owner, or `NotFound` when there is no such record.
    pub async fn evidence_record_owner(&self, kind: RecordKind, record_id: &str) -> Result<RecordOwner> {
        let sql = match kind {
            RecordKind::Action => {
                "SELECT s.provider_id, NULL AS contract_id FROM quality_actions a JOIN services s ON s.id = a.service_id WHERE a.id = $1"
            }
            RecordKind::Visit => {
                "SELECT s.provider_id, NULL AS contract_id FROM quality_visits v JOIN services s ON s.id = v.service_id WHERE v.id = $1"
            }
            RecordKind::Claim => "SELECT provider_id, contract_id FROM oc_claims WHERE id = $1",
            RecordKind::CostOfCareReturn => "SELECT provider_id, NULL AS contract_id FROM cost_of_care_returns WHERE id = $1",
        };
        let row: Option<(Option<String>, Option<String>)> = sqlx::query_as(sql).bind(record_id).fetch_optional(&self.pool).await?;
        let (provider_id, contract_id) = row.ok_or_else(|| StoreError::NotFound(format!("{} {record_id}", kind.label())))?;
        Ok(RecordOwner { provider_id, contract_id })
    }

    /// A record's files, oldest first.
    pub async fn evidence_files(&self, kind: RecordKind, record_id: &str) -> Result<Vec<EvidenceFile>> {
        let rows: Vec<EvidenceRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{EVIDENCE_SELECT} WHERE e.record_kind = $1 AND e.record_id = $2 ORDER BY e.uploaded_at, e.id"
        )))
        .bind(kind.as_str())
        .bind(record_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(EvidenceFile::try_from).collect()
    }

    pub async fn evidence_file(&self, id: &str) -> Result<EvidenceFile> {
        let row: EvidenceRow = sqlx::query_as(sqlx::AssertSqlSafe(format!("{EVIDENCE_SELECT} WHERE e.id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("evidence file {id}")))?;
        row.try_into()
    }

    /// Every evidence file's id and checksum (for checking a backup or a restore).
    pub async fn evidence_checksums(&self) -> Result<Vec<(String, String)>> {
        Ok(sqlx::query_as("SELECT id, sha256 FROM evidence_files ORDER BY id").fetch_all(&self.pool).await?)
    }

    /// Keep a file under `dir` and record it on its record, audited. The record must exist.
    pub async fn add_evidence_file(&self, actor: &Actor, dir: &Path, new: &NewEvidenceFile<'_>) -> Result<EvidenceFile> {
        if new.bytes.is_empty() {
            return Err(StoreError::invalid("file", "The selected file is empty"));
        }
        self.evidence_record_owner(new.kind, new.record_id).await?;
        let id = new_id();
        let sha256 = hex::encode(Sha256::digest(new.bytes));
        let size = i64::try_from(new.bytes.len()).map_err(|_| StoreError::invalid("file", "The selected file is too large"))?;
        let at = now_timestamp();
        let final_path = evidence_path(dir, &id);
        let temp_path = dir.join(format!(".part-{id}"));
        write_temp(dir, &temp_path, new.bytes).await?;
        let result: Result<()> = async {
            let mut tx = self.begin_write().await?;
            sqlx::query(
                "INSERT INTO evidence_files (id, record_kind, record_id, name, file_type, size_bytes, sha256, uploaded_by, uploaded_by_label, uploaded_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&id)
            .bind(new.kind.as_str())
            .bind(new.record_id)
            .bind(new.name)
            .bind(new.file_type.as_str())
            .bind(size)
            .bind(&sha256)
            .bind(actor.user_id.clone())
            .bind(&actor.label)
            .bind(&at)
            .execute(&mut *tx)
            .await?;
            let after = json!({"record_kind": new.kind.as_str(), "record_id": new.record_id, "name": new.name,
                "file_type": new.file_type.as_str(), "size_bytes": size, "sha256": sha256});
            let summary = format!(
                "Evidence file {} ({}, {}) added to the {}",
                new.name,
                new.file_type.label(),
                size_in_words(size),
                new.kind.label()
            );
            record(&mut tx, actor, "evidence.add", "evidence_file", Some(&id), &summary, None, Some(&after)).await?;
            tokio::fs::rename(&temp_path, &final_path).await.map_err(|e| io_error("keep the file", &e))?;
            if let Err(e) = tx.commit().await {
                let _ = tokio::fs::remove_file(&final_path).await;
                return Err(e.into());
            }
            Ok(())
        }
        .await;
        if let Err(e) = result {
            let _ = tokio::fs::remove_file(&temp_path).await;
            return Err(e);
        }
        self.evidence_file(&id).await
    }

    /// Remove a file from its record (audited), then from the disk. A file already missing from
    /// the disk is still removed from the record.
    pub async fn remove_evidence_file(&self, actor: &Actor, dir: &Path, id: &str) -> Result<EvidenceFile> {
        let file = self.evidence_file(id).await?;
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("DELETE FROM evidence_files WHERE id = $1").bind(id).execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!("evidence file {id}")));
        }
        let before = json!({"record_kind": file.record_kind.as_str(), "record_id": file.record_id, "name": file.name,
            "file_type": file.file_type.as_str(), "size_bytes": file.size_bytes, "sha256": file.sha256});
        let summary = format!("Evidence file {} removed from the {}", file.name, file.record_kind.label());
        record(&mut tx, actor, "evidence.remove", "evidence_file", Some(id), &summary, Some(&before), None).await?;
        tx.commit().await?;
        match tokio::fs::remove_file(evidence_path(dir, id)).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(error = %e, "an evidence file removed from its record could not be deleted from the disk"),
        }
        Ok(file)
    }
}

fn io_error(what: &str, e: &std::io::Error) -> StoreError {
    StoreError::invalid("file", format!("Could not {what} in the evidence folder: {e}"))
}

async fn write_temp(dir: &Path, temp: &Path, bytes: &[u8]) -> Result<()> {
    use tokio::io::AsyncWriteExt;
    tokio::fs::create_dir_all(dir).await.map_err(|e| io_error("create the folder", &e))?;
    let write = async {
        // Readable and writable by caremarket's account only: the files are providers' records.
        let mut options = tokio::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        options.mode(0o600);
        let mut f = options.open(temp).await?;
        f.write_all(bytes).await?;
        f.sync_all().await
    };
    if let Err(e) = write.await {
        let _ = tokio::fs::remove_file(temp).await;
        return Err(io_error("write the file", &e));
    }
    Ok(())
}
