//! The audit log: who changed what, written in the same transaction as the change.

use crate::query::SqlBuilder;
use crate::{Result, Store, new_id, now_timestamp};
use serde::Serialize;
use sqlx::{Any, Transaction};

/// Who made a change: a signed-in user, an API token's user, or the command line.
#[derive(Debug, Clone, Serialize)]
pub struct Actor {
    pub user_id: Option<String>,
    pub label: String,
}

impl Actor {
    pub fn system(label: &str) -> Actor {
        Actor { user_id: None, label: label.to_string() }
    }
    pub fn user(id: &str, label: &str) -> Actor {
        Actor { user_id: Some(id.to_string()), label: label.to_string() }
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: String,
    pub at: String,
    pub actor_label: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub summary: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

/// Record a change in the same transaction as the change itself, so neither lands alone.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    action: &str,
    entity_type: &str,
    entity_id: Option<&str>,
    summary: &str,
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
) -> Result<()> {
    let row = audit_row(actor, action, (entity_type, entity_id), summary, before, after, &now_timestamp());
    crate::bulk::insert_rows(tx, "audit_log", &AUDIT_COLUMNS, vec![row]).await
}

pub(crate) const AUDIT_COLUMNS: [&str; 10] =
    ["id", "at", "actor_id", "actor_label", "action", "entity_type", "entity_id", "summary", "before_json", "after_json"];

/// An audit entry's row: one definition for [`record`] and for a batch of entries written
/// together (a bulk assignment, which keeps one entry per service it changes).
pub(crate) fn audit_row(
    actor: &Actor,
    action: &str,
    (entity_type, entity_id): (&str, Option<&str>),
    summary: &str,
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
    at: &str,
) -> Vec<crate::bulk::Value> {
    vec![
        new_id().into(),
        at.into(),
        actor.user_id.clone().into(),
        actor.label.as_str().into(),
        action.into(),
        entity_type.into(),
        entity_id.map(str::to_string).into(),
        summary.into(),
        before.map(|v| v.to_string()).into(),
        after.map(|v| v.to_string()).into(),
    ]
}

#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

impl Store {
    /// Newest first.
    pub async fn audit_entries(&self, q: &AuditQuery) -> Result<(Vec<AuditEntry>, i64)> {
        let mut w = SqlBuilder::new(" FROM audit_log WHERE 1=1");
        if let Some(t) = &q.entity_type {
            w.push(" AND entity_type = ").push_bind(t);
        }
        if let Some(t) = &q.entity_id {
            w.push(" AND entity_id = ").push_bind(t);
        }
        if let Some(t) = &q.actor {
            w.push(" AND LOWER(actor_label) LIKE ")
                .push_bind(caremarket_core::limits::like_contains(&t.to_lowercase()))
                .push(" ESCAPE '\\'");
        }
        let total: i64 = w.wrapped("SELECT COUNT(*)", "").query_scalar().fetch_one(&self.pool).await?;
        let limit = if q.limit <= 0 { 50 } else { q.limit.min(500) };
        let entries = w
            .wrapped(
                "SELECT id, at, actor_label, action, entity_type, entity_id, summary, before_json, after_json",
                &format!(" ORDER BY at DESC, id DESC LIMIT {limit} OFFSET {}", q.offset.max(0)),
            )
            .query_as::<AuditEntry>()
            .fetch_all(&self.pool)
            .await?;
        Ok((entries, total))
    }

    /// The entity types that occur in the audit log, for the audit page's filter.
    pub async fn audit_entity_types(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT DISTINCT entity_type FROM audit_log ORDER BY entity_type").fetch_all(&self.pool).await?)
    }
}
