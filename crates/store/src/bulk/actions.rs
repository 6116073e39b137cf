//! Progress on action plans in one batch (the demo's year of provider updates and officers'
//! decisions, issue 18 item 5): the rows `provider_update_action`, `accept_action` and
//! `reopen_action` would write, one after the other, with one audit entry.

use super::{BatchAudit, BatchClock, TableRows, in_row};
use crate::audit::Actor;
use crate::quality::actions::{ActionFilter, UPDATE_COLUMNS, trimmed, update_row};
use crate::versions::{Versioned, saved};
use crate::{Result, Store, StoreError};
use caremarket_core::Date;
use caremarket_core::quality::ActionStatus;
use caremarket_core::quality::actions::{accept, provider_update, reopen};
use caremarket_core::text::count;
use serde_json::json;
use std::collections::HashMap;

/// One change to an action, made by `actor`, in a batch ([`Store::bulk_action_changes`]).
#[derive(Debug, Clone)]
pub struct ActionStep<'a> {
    pub actor: &'a Actor,
    pub action_id: String,
    pub change: ActionChange,
}

/// What changes, as the ordinary function of the same name takes it.
#[derive(Debug, Clone)]
pub enum ActionChange {
    /// [`Store::provider_update_action`]: the provider's progress, on its own action.
    Provider { provider_id: String, note: String, evidence: Option<String>, status: ActionStatus },
    /// [`Store::accept_action`]: an officer closes it.
    Accept { note: String, on: Date },
    /// [`Store::reopen_action`]: an officer reopens it, saying why.
    Reopen { reason: String },
}

/// An action as the batch has left it so far.
struct Now {
    provider_id: String,
    status: ActionStatus,
    accepted_on: Option<String>,
    version: i64,
    changes: i64,
    updated_at: String,
}

impl Store {
    /// Changes to actions, in the order given, each checked against what the steps before it
    /// left (core's `provider_update`, `accept` and `reopen`, as the ordinary functions check
    /// them), then written in one transaction: each action's status once, its history rows,
    /// and one audit entry, by `actor`, for the batch. A step the ordinary function would refuse refuses the batch, naming
    /// its row; nothing is written. An action changed by someone else while the batch was
    /// checked is refused (`Stale`), as a form opened before would be.
    ///
    /// The history rows of one batch are stamped a microsecond apart, in the order given, so an
    /// action's history reads in the order its changes were made.
    pub async fn bulk_action_changes(&self, actor: &Actor, steps: &[ActionStep<'_>]) -> Result<usize> {
        if steps.is_empty() {
            return Ok(0);
        }
        let mut actions: HashMap<String, Now> = self
            .actions(&ActionFilter::default())
            .await?
            .into_iter()
            .map(|a| {
                let now = Now {
                    provider_id: a.provider_id,
                    status: a.status,
                    accepted_on: a.accepted_on,
                    version: a.version,
                    changes: 0,
                    updated_at: a.updated_at,
                };
                (a.id, now)
            })
            .collect();
        let mut clock = BatchClock::default();
        let mut rows = Vec::with_capacity(steps.len());
        let mut order = Vec::new();
        for (i, step) in steps.iter().enumerate() {
            let row = |e: StoreError| in_row("action changes", i, e);
            let Some(a) = actions.get_mut(&step.action_id) else {
                return Err(row(StoreError::invalid("action_id", "This action is not in any action plan")));
            };
            let at = clock.next();
            let (kind, note, evidence, status, accepted_on) = match &step.change {
                ActionChange::Provider { provider_id, note, evidence, status } => {
                    if &a.provider_id != provider_id {
                        return Err(row(StoreError::invalid("provider_id", "This action is on another provider's plan")));
                    }
                    provider_update(a.status, *status, note).map_err(|e| row(e.into()))?;
                    ("provider", note.clone(), evidence.as_deref().and_then(trimmed), *status, None)
                }
                ActionChange::Accept { note, on } => {
                    let note = accept(a.status, note).map_err(|e| row(e.into()))?;
                    ("officer", note, None, ActionStatus::Accepted, Some(on.to_string()))
                }
                ActionChange::Reopen { reason } => {
                    reopen(a.status, reason).map_err(|e| row(e.into()))?;
                    ("officer", reason.clone(), None, ActionStatus::Reopened, None)
                }
            };
            rows.push(update_row(&step.action_id, kind, &step.actor.label, &note, evidence, status, &at));
            if a.changes == 0 {
                order.push(step.action_id.clone());
            }
            a.status = status;
            a.accepted_on = accepted_on;
            a.changes += 1;
            a.updated_at = at;
        }

        let mut batch = self.begin_batch().await?;
        for id in &order {
            let Some(a) = actions.get(id) else { continue };
            let changed = sqlx::query(
                "UPDATE quality_actions SET status = $1, accepted_on = $2, updated_at = $3, version = version + $4
                 WHERE id = $5 AND version = $6",
            )
            .bind(a.status.as_str())
            .bind(a.accepted_on.clone())
            .bind(&a.updated_at)
            .bind(a.changes)
            .bind(id)
            .bind(a.version)
            .execute(&mut **batch.tx())
            .await?
            .rows_affected();
            saved(batch.tx(), Versioned::QualityActions, id, changed).await?;
        }
        batch.insert(TableRows { table: "quality_action_updates", columns: &UPDATE_COLUMNS, rows }).await?;
        let summary =
            format!("{} to {} generated (bulk load)", count(steps.len() as i64, "change", None), count(order.len() as i64, "action", None));
        let after = json!({"bulk": true, "changes": steps.len(), "actions": order.len()});
        batch.finish_as(actor, "update", None, BatchAudit { entity_type: "quality_action", summary, after }).await?;
        Ok(steps.len())
    }
}
