//! RAG statuses and escalation levels in bulk (the demo, issue 18 item 5).

use super::{BatchAudit, BatchClock, TableRows, thousands};
use crate::audit::Actor;
use crate::quality::status::decision_errors;
use crate::{Result, Store, StoreError, new_id};
use caremarket_core::Date;
use caremarket_core::quality::status::DecisionKind;
use caremarket_core::quality::{EscalationLevel, Rag};
use caremarket_core::text::count;
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

/// One escalation level to record with [`Store::bulk_set_escalations`].
#[derive(Debug, Clone)]
pub struct NewEscalation {
    pub service_id: String,
    pub level: EscalationLevel,
    pub reason: String,
    pub on: Date,
}

/// What a batch of one status history writes, and how its audit entry names it.
struct History {
    kind: DecisionKind,
    table: &'static str,
    column: &'static str,
    entity: &'static str,
    what: &'static str,
}

impl Store {
    /// RAG statuses for many services at once (the demo's statuses, issue 18 item 5): each
    /// checked as [`Store::set_rag`] checks it (the service exists; core's `check_decision`)
    /// and appended to the service's history with the same values, in one transaction with one
    /// audit entry for the batch instead of one per status. Refused whole if any is not valid.
    /// Entries are stamped a microsecond apart in the order given, so two of one service on one
    /// day are read in that order, as if set one after the other.
    pub async fn bulk_set_rag(&self, actor: &Actor, entries: &[NewRag]) -> Result<usize> {
        let rows: Vec<(&str, &str, &str, Date)> =
            entries.iter().map(|e| (e.service_id.as_str(), e.rag.as_str(), e.reason.as_str(), e.on)).collect();
        let h = History { kind: DecisionKind::Rag, table: "quality_rag", column: "rag", entity: "quality_rag", what: "RAG statuses" };
        self.bulk_history(actor, &h, &rows).await
    }

    /// Escalation levels for many services at once, as [`Store::bulk_set_rag`] for
    /// [`Store::set_escalation`].
    pub async fn bulk_set_escalations(&self, actor: &Actor, entries: &[NewEscalation]) -> Result<usize> {
        let rows: Vec<(&str, &str, &str, Date)> =
            entries.iter().map(|e| (e.service_id.as_str(), e.level.as_str(), e.reason.as_str(), e.on)).collect();
        let h = History {
            kind: DecisionKind::Escalation,
            table: "quality_escalations",
            column: "level",
            entity: "quality_escalation",
            what: "escalation levels",
        };
        self.bulk_history(actor, &h, &rows).await
    }

    /// `entries`: service, value, reason, date.
    async fn bulk_history(&self, actor: &Actor, h: &History, entries: &[(&str, &str, &str, Date)]) -> Result<usize> {
        if entries.is_empty() {
            return Ok(0);
        }
        for (_, _, reason, on) in entries {
            decision_errors(h.kind, reason, *on)?;
        }
        let services: BTreeSet<&str> = entries.iter().map(|e| e.0).collect();
        let known = self.service_facts(&services).await?;
        if let Some(e) = entries.iter().find(|e| !known.contains_key(e.0)) {
            return Err(StoreError::NotFound(format!("service {}", e.0)));
        }
        let mut clock = BatchClock::default();
        let rows = entries
            .iter()
            .map(|(service_id, value, reason, on)| {
                let at = clock.next();
                vec![
                    new_id().into(),
                    (*service_id).into(),
                    (*value).into(),
                    reason.trim().into(),
                    on.to_string().into(),
                    actor.label.as_str().into(),
                    at.into(),
                ]
            })
            .collect();
        let (from, to) = (entries.iter().map(|e| e.3).min(), entries.iter().map(|e| e.3).max());
        let columns = ["id", "service_id", h.column, "reason", "set_on", "set_by", "created_at"];
        self.write_batch(
            actor,
            vec![TableRows { table: h.table, columns: &columns, rows }],
            BatchAudit {
                entity_type: h.entity,
                summary: format!(
                    "{} {} generated for {}, {} to {} (bulk load)",
                    thousands(entries.len()),
                    h.what,
                    count(services.len() as i64, "service", None),
                    from.map(|d| d.to_string()).unwrap_or_default(),
                    to.map(|d| d.to_string()).unwrap_or_default()
                ),
                after: json!({"bulk": true, "statuses": entries.len(), "services": services.len()}),
            },
        )
        .await?;
        Ok(entries.len())
    }
}
