//! CQC changes to acknowledge (issue 16 item 13): what each import changed in the council's
//! market, recorded in the import's transaction (core's [`to_acknowledge`] decides which events
//! count), listed until someone acknowledges them, and who did and when.
//!
//! [`to_acknowledge`]: caremarket_core::register::cqc_changes::to_acknowledge

use super::{corrupt, date_str, decode_date, decode_rating, rating_str};
use crate::audit::{Actor, record};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::register::Rating;
use caremarket_core::register::cqc_changes::{CqcChange as CoreCqcChange, CqcChangeKind};
use serde::Serialize;
use serde_json::json;
use sqlx::AssertSqlSafe;

/// A change as listed: the service, what changed, the import that found it and, once
/// acknowledged, by whom (their name) and when.
#[derive(Debug, Clone, Serialize)]
pub struct CqcChange {
    pub id: String,
    pub service_id: String,
    pub service_name: String,
    pub kind: CqcChangeKind,
    pub rating_from: Option<Rating>,
    pub rating_to: Option<Rating>,
    pub on_date: Option<Date>,
    pub import_id: String,
    pub import_file_name: String,
    /// When the import that found it ran.
    pub found_at: String,
    pub acknowledged_by_name: Option<String>,
    pub acknowledged_at: Option<String>,
    pub note: Option<String>,
}

/// Which changes to list.
#[derive(Debug, Clone, Default)]
pub struct CqcChangeFilter {
    /// The acknowledged ones instead of the new ones.
    pub acknowledged: bool,
    pub kind: Option<CqcChangeKind>,
}

#[derive(sqlx::FromRow)]
struct ChangeRow {
    id: String,
    service_id: String,
    service_name: String,
    kind: String,
    rating_from: Option<String>,
    rating_to: Option<String>,
    on_date: Option<String>,
    import_id: String,
    file_name: String,
    found_at: String,
    acknowledged_by_name: Option<String>,
    acknowledged_at: Option<String>,
    acknowledgement_note: Option<String>,
}

impl TryFrom<ChangeRow> for CqcChange {
    type Error = StoreError;
    fn try_from(r: ChangeRow) -> Result<Self> {
        Ok(CqcChange {
            kind: CqcChangeKind::parse(&r.kind).ok_or_else(|| corrupt("cqc_changes", "kind", &r.kind))?,
            rating_from: decode_rating("cqc_changes", "rating_from", r.rating_from.as_deref())?,
            rating_to: decode_rating("cqc_changes", "rating_to", r.rating_to.as_deref())?,
            on_date: decode_date("cqc_changes", "on_date", r.on_date.as_deref())?,
            id: r.id,
            service_id: r.service_id,
            service_name: r.service_name,
            import_id: r.import_id,
            import_file_name: r.file_name,
            found_at: r.found_at,
            acknowledged_by_name: r.acknowledged_by_name,
            acknowledged_at: r.acknowledged_at,
            note: r.acknowledgement_note,
        })
    }
}

/// Record the changes an import found, in its transaction, after its row in `imports`.
pub(crate) async fn insert_cqc_changes_tx(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    import_id: &str,
    found_at: &str,
    changes: &[(String, CoreCqcChange)],
) -> Result<()> {
    for (service_id, c) in changes {
        sqlx::query(
            "INSERT INTO cqc_changes (id, import_id, service_id, kind, rating_from, rating_to, on_date, found_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(new_id())
        .bind(import_id)
        .bind(service_id)
        .bind(c.kind.as_str())
        .bind(rating_str(c.rating_from))
        .bind(rating_str(c.rating_to))
        .bind(date_str(c.on))
        .bind(found_at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

const SELECT: &str = "SELECT c.id, c.service_id, s.name AS service_name, c.kind, c.rating_from, c.rating_to, c.on_date, c.import_id,
        i.file_name, c.found_at, u.display_name AS acknowledged_by_name, c.acknowledged_at, c.acknowledgement_note
     FROM cqc_changes c JOIN services s ON s.id = c.service_id JOIN imports i ON i.id = c.import_id
     LEFT JOIN users u ON u.id = c.acknowledged_by";

impl Store {
    /// The changes the filter asks for: new ones with the latest import first, acknowledged ones
    /// most recently acknowledged first; by service name within that.
    pub async fn cqc_changes(&self, filter: &CqcChangeFilter) -> Result<Vec<CqcChange>> {
        let (state, order) = if filter.acknowledged {
            ("c.acknowledged_at IS NOT NULL", "c.acknowledged_at DESC, c.found_at DESC, s.name, c.id")
        } else {
            ("c.acknowledged_at IS NULL", "c.found_at DESC, s.name, c.id")
        };
        let kind = if filter.kind.is_some() { " AND c.kind = $1" } else { "" };
        let sql = format!("{SELECT} WHERE {state}{kind} ORDER BY {order}");
        let mut q = sqlx::query_as::<_, ChangeRow>(AssertSqlSafe(sql));
        if let Some(k) = filter.kind {
            q = q.bind(k.as_str());
        }
        q.fetch_all(&self.pool).await?.into_iter().map(CqcChange::try_from).collect()
    }

    /// How many changes wait to be acknowledged.
    pub async fn unacknowledged_cqc_change_count(&self) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM cqc_changes WHERE acknowledged_at IS NULL").fetch_one(&self.pool).await?;
        Ok(n)
    }

    /// How many changes an import found, and how many of them are still new.
    pub async fn cqc_changes_found_by(&self, import_id: &str) -> Result<(i64, i64)> {
        let (found, new): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN acknowledged_at IS NULL THEN 1 ELSE 0 END), 0) FROM cqc_changes WHERE import_id = $1",
        )
        .bind(import_id)
        .fetch_one(&self.pool)
        .await?;
        Ok((found, new))
    }

    /// Acknowledge changes, with an optional note, as the signed-in person: each one still new
    /// is marked with who and when and audited, in one transaction. Changes someone has already
    /// acknowledged keep their first acknowledgement. Returns how many were acknowledged now.
    pub async fn acknowledge_cqc_changes(&self, actor: &Actor, ids: &[String], note: Option<&str>) -> Result<usize> {
        let user_id = actor
            .user_id
            .as_deref()
            .ok_or_else(|| StoreError::Invalid(caremarket_core::FieldError::new("change_id", "Only a person can acknowledge a change")))?;
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        let mut done = 0;
        for id in ids {
            let found: Option<(String, String, String)> = sqlx::query_as(
                "SELECT c.kind, s.name, c.service_id FROM cqc_changes c JOIN services s ON s.id = c.service_id
                 WHERE c.id = $1 AND c.acknowledged_at IS NULL",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((kind, service_name, service_id)) = found else { continue };
            sqlx::query(
                "UPDATE cqc_changes SET acknowledged_by = $1, acknowledged_at = $2, acknowledgement_note = $3 WHERE id = $4 AND acknowledged_at IS NULL",
            )
            .bind(user_id)
            .bind(&now)
            .bind(note.map(str::to_string))
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let label = CqcChangeKind::parse(&kind).map(|k| k.label()).unwrap_or("Change");
            record(
                &mut tx,
                actor,
                "acknowledge",
                "cqc_change",
                Some(id),
                &format!("Acknowledged CQC change: {label}, {service_name}"),
                Some(&json!({"acknowledged_at": null})),
                Some(&json!({"service_id": service_id, "kind": kind, "acknowledged_at": now, "note": note})),
            )
            .await?;
            done += 1;
        }
        tx.commit().await?;
        Ok(done)
    }
}
