//! Starting RAG statuses in bulk (the demo, issue 18 item 5).

use super::{insert_rows, thousands};
use crate::audit::{Actor, record};
use crate::quality::status::decision_errors;
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::quality::Rag;
use caremarket_core::quality::status::DecisionKind;
use serde_json::json;
use std::collections::BTreeSet;

/// One RAG status to record with [`Store::bulk_set_rag`].
#[derive(Debug, Clone)]
pub struct NewRag {
    pub service_id: String,
    pub rag: Rag,
    pub reason: String,
    pub on: Date,
}

impl Store {
    /// RAG statuses for many services at once (the demo's starting statuses, issue 18 item 5):
    /// each checked as [`Store::set_rag`] checks it (the service exists; core's `check_decision`)
    /// and appended to the service's history with the same values, in one transaction with one
    /// audit entry for the batch instead of one per status. Refused whole if any is not valid.
    pub async fn bulk_set_rag(&self, actor: &Actor, entries: &[NewRag]) -> Result<usize> {
        if entries.is_empty() {
            return Ok(0);
        }
        for e in entries {
            decision_errors(DecisionKind::Rag, &e.reason, e.on)?;
        }
        let services: BTreeSet<&str> = entries.iter().map(|e| e.service_id.as_str()).collect();
        let known = self.service_facts(&services).await?;
        if let Some(e) = entries.iter().find(|e| !known.contains_key(&e.service_id)) {
            return Err(StoreError::NotFound(format!("service {}", e.service_id)));
        }
        let created_at = now_timestamp();
        let rows = entries
            .iter()
            .map(|e| {
                vec![
                    new_id().into(),
                    e.service_id.as_str().into(),
                    e.rag.as_str().into(),
                    e.reason.trim().into(),
                    e.on.to_string().into(),
                    actor.label.as_str().into(),
                    created_at.as_str().into(),
                ]
            })
            .collect();
        let (from, to) = (entries.iter().map(|e| e.on).min(), entries.iter().map(|e| e.on).max());
        let mut tx = self.begin_write().await?;
        insert_rows(&mut tx, "quality_rag", &["id", "service_id", "rag", "reason", "set_on", "set_by", "created_at"], rows).await?;
        record(
            &mut tx,
            actor,
            "create",
            "quality_rag",
            None,
            &format!(
                "{} RAG statuses generated for {} services, {} to {} (bulk load)",
                thousands(entries.len()),
                thousands(services.len()),
                from.map(|d| d.to_string()).unwrap_or_default(),
                to.map(|d| d.to_string()).unwrap_or_default()
            ),
            None,
            Some(&json!({"bulk": true, "statuses": entries.len(), "services": services.len()})),
        )
        .await?;
        tx.commit().await?;
        Ok(entries.len())
    }
}
