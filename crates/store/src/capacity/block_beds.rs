//! Block-contracted beds (Somewhere Else to Assess, emergency and planned respite), counted
//! apart from a home's other beds. Core's [`check_block_beds`] decides what may be recorded.

use crate::audit::{Actor, record};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::capacity::vacancies::{BlockBedKind, check_block_beds};
use serde::Serialize;
use serde_json::json;

#[derive(Debug, Clone, Serialize)]
pub struct BlockBeds {
    pub id: String,
    pub service_id: String,
    pub service_name: String,
    pub kind: BlockBedKind,
    pub beds: i64,
    pub starts_on: String,
    pub ends_on: Option<String>,
}

#[derive(sqlx::FromRow)]
struct BlockBedsRow {
    id: String,
    service_id: String,
    service_name: String,
    kind: String,
    beds: i64,
    starts_on: String,
    ends_on: Option<String>,
}

impl TryFrom<BlockBedsRow> for BlockBeds {
    type Error = StoreError;
    fn try_from(r: BlockBedsRow) -> Result<Self> {
        Ok(BlockBeds {
            kind: BlockBedKind::parse(&r.kind).ok_or_else(|| StoreError::Corrupt {
                table: "block_beds",
                column: "kind",
                value: r.kind.clone(),
            })?,
            id: r.id,
            service_id: r.service_id,
            service_name: r.service_name,
            beds: r.beds,
            starts_on: r.starts_on,
            ends_on: r.ends_on,
        })
    }
}

impl Store {
    pub async fn add_block_beds(
        &self,
        actor: &Actor,
        service_id: &str,
        kind: BlockBedKind,
        beds: i64,
        starts_on: Date,
        ends_on: Option<Date>,
    ) -> Result<String> {
        let service =
            self.service(service_id).await.map_err(|_| StoreError::invalid("service_id", "Choose a care home from the register"))?;
        check_block_beds(&service.name, service.kind.is_care_home(), service.beds, beds, starts_on, ends_on)?;
        let id = new_id();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO block_beds (id, service_id, kind, beds, starts_on, ends_on, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(service_id)
        .bind(kind.as_str())
        .bind(beds)
        .bind(starts_on.to_string())
        .bind(ends_on.map(|d| d.to_string()))
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            actor,
            "create",
            "block_beds",
            Some(&id),
            &format!("{beds} {} beds at {}", kind.label(), service.name),
            None,
            Some(&json!({"service_id": service_id, "kind": kind.as_str(), "beds": beds})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Block beds in force on `on`.
    pub async fn block_beds(&self, on: Date) -> Result<Vec<BlockBeds>> {
        let rows = sqlx::query_as::<_, BlockBedsRow>(
            "SELECT b.id, b.service_id, s.name AS service_name, b.kind, b.beds, b.starts_on, b.ends_on
             FROM block_beds b JOIN services s ON s.id = b.service_id
             WHERE b.starts_on <= $1 AND (b.ends_on IS NULL OR b.ends_on >= $1) ORDER BY b.kind, s.name",
        )
        .bind(on.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(BlockBeds::try_from).collect()
    }
}
