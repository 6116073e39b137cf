//! Why a closed service closed: the council's record beside CQC's deregistration date. The
//! rules (which reasons, who may have one) are core's `register::closure`.

use super::corrupt;
use crate::audit::{Actor, record};
use crate::{Result, Store, StoreError, now_timestamp};
use caremarket_core::Date;
use caremarket_core::register::{Closure, ClosureReason, check_can_record_closure};
use serde::Serialize;
use serde_json::json;
use sqlx::AssertSqlSafe;

/// A reason as recorded, with who recorded it.
#[derive(Debug, Clone, Serialize)]
pub struct RecordedClosure {
    pub reason: ClosureReason,
    pub note: Option<String>,
    pub recorded_by: String,
    pub recorded_at: String,
}

impl Store {
    pub async fn service_closure(&self, service_id: &str) -> Result<Option<RecordedClosure>> {
        let row: Option<(String, Option<String>, String, String)> = sqlx::query_as(
            "SELECT c.reason, c.note, COALESCE(u.display_name, c.recorded_by), c.recorded_at
             FROM service_closures c LEFT JOIN users u ON u.id = c.recorded_by WHERE c.service_id = $1",
        )
        .bind(service_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|(reason, note, recorded_by, recorded_at)| {
            Ok(RecordedClosure {
                reason: ClosureReason::parse(&reason).ok_or_else(|| corrupt("service_closures", "reason", &reason))?,
                note,
                recorded_by,
                recorded_at,
            })
        })
        .transpose()
    }

    /// Record that a service left the register on `on`: for services CQC does not register
    /// (which no CQC import will ever deregister) and for the demo's closed homes. A CQC import
    /// does the same for CQC's locations.
    pub async fn mark_service_closed(&self, actor: &Actor, service_id: &str, on: Date) -> Result<()> {
        let s = self.service(service_id).await?;
        if s.registration_status == "deregistered" {
            return Err(StoreError::invalid("closed_on", "This service has already closed"));
        }
        if on > crate::today() {
            return Err(StoreError::invalid("closed_on", "The date it closed must be today or in the past"));
        }
        if s.registration_date.as_deref().is_some_and(|r| r > on.to_string().as_str()) {
            return Err(StoreError::invalid("closed_on", "The date it closed must be on or after the date it was registered"));
        }
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE services SET registration_status = 'deregistered', deregistration_date = $1, updated_at = $2 WHERE id = $3")
            .bind(on.to_string())
            .bind(now_timestamp())
            .bind(service_id)
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            "deregister",
            "service",
            Some(service_id),
            &format!("Recorded that {} closed on {on}", s.name),
            Some(&json!({"registration_status": s.registration_status})),
            Some(&json!({"registration_status": "deregistered", "deregistration_date": on.to_string()})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Record (or change) why a service closed. Refused for a service still on CQC's register.
    pub async fn record_closure(&self, actor: &Actor, service_id: &str, c: &Closure) -> Result<RecordedClosure> {
        self.write_closure(actor, service_id, c, None).await
    }

    /// The version of a service's closure record (decision 25): 1 while none is recorded, so the
    /// first save from a form makes it 2.
    pub async fn service_closure_version(&self, service_id: &str) -> Result<i64> {
        let v: Option<i64> = sqlx::query_scalar("SELECT CAST(version AS BIGINT) FROM service_closures WHERE service_id = $1")
            .bind(service_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(v.unwrap_or(1))
    }

    /// As [`Store::record_closure`], from the form opened at `expected`: refused `Stale`, with
    /// nothing written, if the reason was recorded or changed since.
    pub async fn record_closure_at(
        &self,
        actor: &Actor,
        service_id: &str,
        c: &Closure,
        expected: caremarket_core::versions::Version,
    ) -> Result<RecordedClosure> {
        self.write_closure(actor, service_id, c, Some(expected)).await
    }

    async fn write_closure(
        &self,
        actor: &Actor,
        service_id: &str,
        c: &Closure,
        expected: Option<caremarket_core::versions::Version>,
    ) -> Result<RecordedClosure> {
        if let Some(expected) = expected {
            crate::versions::check_current(self.service_closure_version(service_id).await?, expected)?;
        }
        let service = self.service(service_id).await?;
        check_can_record_closure(service.registration_status == "deregistered").map_err(StoreError::Invalid)?;
        let before = self.service_closure(service_id).await?;
        let user = actor.user_id.clone().unwrap_or_else(|| actor.label.clone());
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        // Without a version (imports, the demo) the save replaces whatever is there; with one, a
        // change only from that version, or a first record only from version 1.
        let guard = match expected {
            None => String::new(),
            Some(v) => format!(" WHERE service_closures.version = {}", v.get()),
        };
        let done = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO service_closures (service_id, reason, note, recorded_by, recorded_at, version) VALUES ($1, $2, $3, $4, $5, 2)
             ON CONFLICT (service_id) DO UPDATE SET reason = excluded.reason, note = excluded.note,
             recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at, version = service_closures.version + 1{guard}"
        )))
        .bind(service_id)
        .bind(c.reason.as_str())
        .bind(c.note.clone())
        .bind(&user)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let current: Option<i64> = sqlx::query_scalar("SELECT CAST(version AS BIGINT) FROM service_closures WHERE service_id = $1")
                .bind(service_id)
                .fetch_optional(&mut *tx)
                .await?;
            return Err(StoreError::Stale { current: current.unwrap_or(1) });
        }
        record(
            &mut tx,
            actor,
            if before.is_some() { "update" } else { "create" },
            "service_closure",
            Some(service_id),
            &format!("Recorded why {} closed: {}", service.name, c.reason.label()),
            before.as_ref().map(|b| json!({ "reason": b.reason.as_str(), "note": b.note })).as_ref(),
            Some(&json!({ "reason": c.reason.as_str(), "note": c.note })),
        )
        .await?;
        tx.commit().await?;
        self.service_closure(service_id).await?.ok_or_else(|| StoreError::NotFound("closure".into()))
    }
}
