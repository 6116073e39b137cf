//! Action plans: actions raised by visits (every Requires Improvement or Poor judgement) or added
//! by hand, each with an owner, a due date, a status and a history of progress and decisions.
//! The provider records progress and evidence; an officer accepts (closes) or reopens. The
//! officer's internal note is never part of what a provider is shown.

use crate::audit::{Actor, record};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::quality::{ActionStatus, Judgement};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

#[derive(Debug, Clone, Serialize)]
pub struct Action {
    pub id: String,
    pub service_id: String,
    pub service_name: String,
    pub provider_id: String,
    pub provider_name: String,
    pub visit_id: Option<String>,
    pub visit_date: Option<String>,
    pub standard_id: Option<String>,
    pub standard_code: Option<String>,
    pub standard_title: Option<String>,
    pub judgement: Option<Judgement>,
    pub title: String,
    pub detail: Option<String>,
    pub owner: String,
    pub due_on: String,
    pub status: ActionStatus,
    /// Internal: never shown to providers.
    pub officer_note: Option<String>,
    pub accepted_on: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl Action {
    /// Open (not accepted) and due before `on`.
    pub fn is_overdue(&self, on: Date) -> bool {
        self.status.is_open() && self.due_on.as_str() < on.to_string().as_str()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ActionUpdate {
    pub id: String,
    pub action_id: String,
    /// "provider" or "officer".
    pub author_kind: String,
    pub author: String,
    pub note: String,
    pub evidence: Option<String>,
    pub status_after: ActionStatus,
    pub created_at: String,
}

/// An action added by hand to a service's plan.
#[derive(Debug, Clone, Default)]
pub struct NewAction {
    pub service_id: String,
    pub title: String,
    pub detail: Option<String>,
    pub owner: String,
    pub due_on: Option<Date>,
}

/// Which actions to list. `state`: "open" (not accepted), "overdue" (open and due before `on`),
/// "submitted", "accepted", or none for all.
#[derive(Debug, Clone, Default)]
pub struct ActionFilter {
    pub state: Option<String>,
    pub service_id: Option<String>,
    pub provider_id: Option<String>,
    pub on: Option<Date>,
}

const ACTION_SELECT: &str = "SELECT a.id, a.service_id, s.name AS service_name, s.provider_id, p.name AS provider_name, a.visit_id,
        v.visit_date, a.standard_id, st.code AS standard_code, st.title AS standard_title, a.judgement, a.title, a.detail,
        a.owner, a.due_on, a.status, a.officer_note, a.accepted_on, a.created_at, a.updated_at
     FROM quality_actions a
     JOIN services s ON s.id = a.service_id
     JOIN providers p ON p.id = s.provider_id
     LEFT JOIN quality_visits v ON v.id = a.visit_id
     LEFT JOIN qa_standards st ON st.id = a.standard_id";

/// Open first (overdue soonest), then closed most recent first.
const ACTION_ORDER: &str = " ORDER BY CASE WHEN a.status = 'accepted' THEN 1 ELSE 0 END, a.due_on, s.name, a.created_at";

fn action_from(r: &sqlx::any::AnyRow) -> Result<Action> {
    let status: String = r.try_get("status")?;
    let judgement: Option<String> = r.try_get("judgement")?;
    Ok(Action {
        id: r.try_get("id")?,
        service_id: r.try_get("service_id")?,
        service_name: r.try_get("service_name")?,
        provider_id: r.try_get("provider_id")?,
        provider_name: r.try_get("provider_name")?,
        visit_id: r.try_get("visit_id")?,
        visit_date: r.try_get("visit_date")?,
        standard_id: r.try_get("standard_id")?,
        standard_code: r.try_get("standard_code")?,
        standard_title: r.try_get("standard_title")?,
        judgement: judgement.as_deref().and_then(Judgement::parse),
        title: r.try_get("title")?,
        detail: r.try_get("detail")?,
        owner: r.try_get("owner")?,
        due_on: r.try_get("due_on")?,
        status: ActionStatus::parse(&status).unwrap_or(ActionStatus::Open),
        officer_note: r.try_get("officer_note")?,
        accepted_on: r.try_get("accepted_on")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn trimmed(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

impl Store {
    pub async fn action(&self, id: &str) -> Result<Action> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{ACTION_SELECT} WHERE a.id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("action {id}")))?;
        action_from(&row)
    }

    /// Actions matching the filter: open first by due date, then accepted ones.
    pub async fn actions(&self, f: &ActionFilter) -> Result<Vec<Action>> {
        let mut clauses: Vec<String> = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        let bind = |v: String, binds: &mut Vec<String>| {
            binds.push(v);
            format!("${}", binds.len())
        };
        match f.state.as_deref() {
            Some("open") => clauses.push("a.status <> 'accepted'".into()),
            Some("overdue") => {
                let on = f.on.unwrap_or_else(crate::today).to_string();
                clauses.push(format!("a.status <> 'accepted' AND a.due_on < {}", bind(on, &mut binds)));
            }
            Some("submitted") => clauses.push("a.status = 'submitted'".into()),
            Some("accepted") => clauses.push("a.status = 'accepted'".into()),
            _ => {}
        }
        if let Some(s) = &f.service_id {
            clauses.push(format!("a.service_id = {}", bind(s.clone(), &mut binds)));
        }
        if let Some(p) = &f.provider_id {
            clauses.push(format!("s.provider_id = {}", bind(p.clone(), &mut binds)));
        }
        let w = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!("{ACTION_SELECT}{w}{ACTION_ORDER}")));
        for b in &binds {
            q = q.bind(b.clone());
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(action_from).collect()
    }

    /// A service's action plan: open actions first (by due date), then accepted ones.
    pub async fn actions_for_service(&self, service_id: &str) -> Result<Vec<Action>> {
        self.actions(&ActionFilter { service_id: Some(service_id.to_string()), ..Default::default() }).await
    }

    /// Every action on the plans of a provider's services.
    pub async fn actions_for_provider(&self, provider_id: &str) -> Result<Vec<Action>> {
        self.actions(&ActionFilter { provider_id: Some(provider_id.to_string()), ..Default::default() }).await
    }

    /// Open actions due before `on`, across the market.
    pub async fn open_overdue_actions(&self, on: Date) -> Result<Vec<Action>> {
        self.actions(&ActionFilter { state: Some("overdue".into()), on: Some(on), ..Default::default() }).await
    }

    /// An action's history, oldest first.
    pub async fn action_updates(&self, action_id: &str) -> Result<Vec<ActionUpdate>> {
        let rows = sqlx::query(
            "SELECT id, action_id, author_kind, author, note, evidence, status_after, created_at
             FROM quality_action_updates WHERE action_id = $1 ORDER BY created_at, id",
        )
        .bind(action_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let st: String = r.try_get("status_after")?;
                Ok(ActionUpdate {
                    id: r.try_get("id")?,
                    action_id: r.try_get("action_id")?,
                    author_kind: r.try_get("author_kind")?,
                    author: r.try_get("author")?,
                    note: r.try_get("note")?,
                    evidence: r.try_get("evidence")?,
                    status_after: ActionStatus::parse(&st).unwrap_or(ActionStatus::Open),
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Add an action by hand to a service's plan. An owner and a due date are required.
    pub async fn create_action(&self, actor: &Actor, a: &NewAction) -> Result<String> {
        let service =
            self.service(&a.service_id).await.map_err(|_| StoreError::invalid("service_id", "Choose a service from the register"))?;
        let Some(title) = trimmed(&a.title) else {
            return Err(StoreError::invalid("title", "Enter what the provider needs to do"));
        };
        let Some(owner) = trimmed(&a.owner) else {
            return Err(StoreError::invalid("owner", "Enter who owns the action"));
        };
        let Some(due) = a.due_on else {
            return Err(StoreError::invalid("due_on", "Enter the date the action is due"));
        };
        let detail = a.detail.as_deref().and_then(trimmed);
        let id = new_id();
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO quality_actions (id, service_id, visit_id, standard_id, judgement, title, detail, owner, due_on, status,
                officer_note, accepted_on, created_at, updated_at)
             VALUES ($1, $2, NULL, NULL, NULL, $3, $4, $5, $6, 'open', NULL, NULL, $7, $7)",
        )
        .bind(&id)
        .bind(&a.service_id)
        .bind(&title)
        .bind(&detail)
        .bind(&owner)
        .bind(due.to_string())
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            actor,
            "create",
            "quality_action",
            Some(&id),
            &format!("Action added to the plan of {}", service.name),
            None,
            Some(&json!({"service_id": a.service_id, "title": title, "detail": detail, "owner": owner, "due_on": due.to_string()})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Write a status change and its history row, audited. `author_kind` is "provider" or
    /// "officer".
    #[allow(clippy::too_many_arguments)]
    async fn action_transition(
        &self,
        actor: &Actor,
        before: &Action,
        author_kind: &str,
        note: &str,
        evidence: Option<&str>,
        status: ActionStatus,
        accepted_on: Option<Date>,
    ) -> Result<()> {
        let now = now_timestamp();
        let evidence = evidence.and_then(trimmed);
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE quality_actions SET status = $1, accepted_on = $2, updated_at = $3 WHERE id = $4")
            .bind(status.as_str())
            .bind(accepted_on.map(|d| d.to_string()))
            .bind(&now)
            .bind(&before.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO quality_action_updates (id, action_id, author_kind, author, note, evidence, status_after, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(new_id())
        .bind(&before.id)
        .bind(author_kind)
        .bind(&actor.label)
        .bind(note.trim())
        .bind(&evidence)
        .bind(status.as_str())
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            actor,
            "update",
            "quality_action",
            Some(&before.id),
            &format!("Action at {} now {} ({author_kind})", before.service_name, status.label()),
            Some(&json!({"status": before.status.as_str(), "accepted_on": before.accepted_on})),
            Some(&json!({"status": status.as_str(), "accepted_on": accepted_on.map(|d| d.to_string()), "note": note.trim(), "evidence": evidence})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The provider records progress on one of its own actions: a note (required), evidence
    /// (what it is and where), and status in progress or submitted. An action of another
    /// provider is "not found"; an accepted action is closed.
    pub async fn provider_update_action(
        &self,
        actor: &Actor,
        provider_id: &str,
        action_id: &str,
        note: &str,
        evidence: Option<&str>,
        status: ActionStatus,
    ) -> Result<()> {
        let before = self.action(action_id).await?;
        if before.provider_id != provider_id {
            return Err(StoreError::NotFound(format!("action {action_id}")));
        }
        if !matches!(status, ActionStatus::InProgress | ActionStatus::Submitted) {
            return Err(StoreError::invalid("status", "Choose in progress or submitted for review"));
        }
        if note.trim().is_empty() {
            return Err(StoreError::invalid("note", "Enter what has been done"));
        }
        if before.status == ActionStatus::Accepted {
            return Err(StoreError::invalid("status", "This action has been accepted by the council and is closed"));
        }
        self.action_transition(actor, &before, "provider", note, evidence, status, None).await
    }

    /// An officer accepts an action as done (closing it) on `on`.
    pub async fn accept_action(&self, actor: &Actor, action_id: &str, note: &str, on: Date) -> Result<()> {
        let before = self.action(action_id).await?;
        if before.status == ActionStatus::Accepted {
            return Err(StoreError::invalid("decision", "This action has already been accepted"));
        }
        let note = if note.trim().is_empty() { "Accepted" } else { note };
        self.action_transition(actor, &before, "officer", note, None, ActionStatus::Accepted, Some(on)).await
    }

    /// An officer reopens an action (submitted, or accepted too early), saying why.
    pub async fn reopen_action(&self, actor: &Actor, action_id: &str, reason: &str) -> Result<()> {
        let before = self.action(action_id).await?;
        if reason.trim().is_empty() {
            return Err(StoreError::invalid("reason", "Enter why the action is reopened"));
        }
        if before.status == ActionStatus::Open || before.status == ActionStatus::Reopened {
            return Err(StoreError::invalid("decision", "This action is already open"));
        }
        self.action_transition(actor, &before, "officer", reason, None, ActionStatus::Reopened, None).await
    }

    /// The officer's internal note on an action (never shown to the provider); empty clears it.
    pub async fn set_action_officer_note(&self, actor: &Actor, action_id: &str, note: &str) -> Result<()> {
        let before = self.action(action_id).await?;
        let note = trimmed(note);
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE quality_actions SET officer_note = $1, updated_at = $2 WHERE id = $3")
            .bind(&note)
            .bind(now_timestamp())
            .bind(action_id)
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            "update",
            "quality_action",
            Some(action_id),
            &format!("Officer note on an action at {} changed", before.service_name),
            Some(&json!({"officer_note": before.officer_note})),
            Some(&json!({"officer_note": note})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
