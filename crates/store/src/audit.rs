use crate::{Result, Store, new_id, now_timestamp};
use serde::Serialize;
use sqlx::{Any, AssertSqlSafe, Row, Transaction};

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

#[derive(Debug, Clone, Serialize)]
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
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor_id, actor_label, action, entity_type, entity_id, summary, before_json, after_json)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(new_id())
    .bind(now_timestamp())
    .bind(actor.user_id.clone())
    .bind(actor.label.clone())
    .bind(action)
    .bind(entity_type)
    .bind(entity_id.map(str::to_string))
    .bind(summary)
    .bind(before.map(|v| v.to_string()))
    .bind(after.map(|v| v.to_string()))
    .execute(&mut **tx)
    .await?;
    Ok(())
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
        let mut sql = String::from(" FROM audit_log WHERE 1=1");
        let mut binds: Vec<String> = Vec::new();
        if let Some(t) = &q.entity_type {
            binds.push(t.clone());
            sql.push_str(&format!(" AND entity_type = ${}", binds.len()));
        }
        if let Some(t) = &q.entity_id {
            binds.push(t.clone());
            sql.push_str(&format!(" AND entity_id = ${}", binds.len()));
        }
        if let Some(t) = &q.actor {
            binds.push(caremarket_core::limits::like_contains(&t.to_lowercase()));
            sql.push_str(&format!(" AND LOWER(actor_label) LIKE ${} ESCAPE '\\'", binds.len()));
        }
        let mut cq = sqlx::query(AssertSqlSafe(format!("SELECT COUNT(*) AS n{sql}")));
        for b in &binds {
            cq = cq.bind(b.clone());
        }
        let total: i64 = cq.fetch_one(&self.pool).await?.try_get("n")?;
        let limit = if q.limit <= 0 { 50 } else { q.limit.min(500) };
        let mut lq = sqlx::query(AssertSqlSafe(format!(
            "SELECT id, at, actor_label, action, entity_type, entity_id, summary, before_json, after_json{sql} ORDER BY at DESC, id DESC LIMIT {limit} OFFSET {}",
            q.offset.max(0)
        )));
        for b in &binds {
            lq = lq.bind(b.clone());
        }
        let rows = lq.fetch_all(&self.pool).await?;
        let entries = rows
            .iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor_label: r.try_get("actor_label")?,
                    action: r.try_get("action")?,
                    entity_type: r.try_get("entity_type")?,
                    entity_id: r.try_get("entity_id")?,
                    summary: r.try_get("summary")?,
                    before_json: r.try_get("before_json")?,
                    after_json: r.try_get("after_json")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok((entries, total))
    }
}
