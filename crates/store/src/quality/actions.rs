//! Action plans: actions raised by visits (every Requires Improvement or Poor judgement) or added
//! by hand, each with an owner, a due date, a status and a history of progress and decisions.
//! The provider records progress and evidence; an officer accepts (closes) or reopens. The
//! officer's internal note is never part of what a provider is shown.

use crate::audit::{Actor, record};
use crate::query::SqlBuilder;
use crate::versions::{Versioned, check_current, saved};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::quality::actions::{ActionState, accept, provider_update, reopen};
use caremarket_core::quality::{ActionStatus, Judgement};
use caremarket_core::versions::Version;
use serde::Serialize;
use serde_json::json;

pub use caremarket_core::quality::actions::NewAction;

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
    /// Raised by one on every change of its status, by the provider or an officer (decision 25):
    /// a change made from an older version is refused.
    pub version: i64,
    /// The same for the officer's internal note, kept apart so that a provider is never refused
    /// for a note it cannot see, nor an officer's note for the provider's progress.
    pub note_version: i64,
}

impl Action {
    /// Open (not accepted) and due before `on`.
    pub fn is_overdue(&self, on: Date) -> bool {
        self.due_on.parse::<Date>().is_ok_and(|due| self.status.is_overdue(due, on))
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
        a.owner, a.due_on, a.status, a.officer_note, a.accepted_on, a.created_at, a.updated_at, a.version, a.note_version
     FROM quality_actions a
     JOIN services s ON s.id = a.service_id
     JOIN providers p ON p.id = s.provider_id
     LEFT JOIN quality_visits v ON v.id = a.visit_id
     LEFT JOIN qa_standards st ON st.id = a.standard_id";

/// Open first (overdue soonest), then closed most recent first; actions due the same day at the
/// same service in the order of their visits and standards. Not by when they were saved alone:
/// actions saved together (a batch) share that moment, and their order would be the database's.
fn action_order() -> String {
    format!(
        " ORDER BY CASE WHEN a.status IN {closed} THEN 1 ELSE 0 END, a.due_on, s.name, s.id, v.visit_date, st.position, st.code, a.created_at, a.id",
        closed = ActionStatus::sql_list(ActionStatus::closed())
    )
}

/// An action row as stored.
#[derive(sqlx::FromRow)]
struct ActionRow {
    id: String,
    service_id: String,
    service_name: String,
    provider_id: String,
    provider_name: String,
    visit_id: Option<String>,
    visit_date: Option<String>,
    standard_id: Option<String>,
    standard_code: Option<String>,
    standard_title: Option<String>,
    judgement: Option<String>,
    title: String,
    detail: Option<String>,
    owner: String,
    due_on: String,
    status: String,
    officer_note: Option<String>,
    accepted_on: Option<String>,
    created_at: String,
    updated_at: String,
    version: i64,
    note_version: i64,
}

impl TryFrom<ActionRow> for Action {
    type Error = StoreError;
    fn try_from(r: ActionRow) -> Result<Action> {
        Ok(Action {
            judgement: r.judgement.as_deref().map(|j| StoreError::decode("quality_actions", "judgement", j)).transpose()?,
            status: StoreError::decode("quality_actions", "status", &r.status)?,
            id: r.id,
            service_id: r.service_id,
            service_name: r.service_name,
            provider_id: r.provider_id,
            provider_name: r.provider_name,
            visit_id: r.visit_id,
            visit_date: r.visit_date,
            standard_id: r.standard_id,
            standard_code: r.standard_code,
            standard_title: r.standard_title,
            title: r.title,
            detail: r.detail,
            owner: r.owner,
            due_on: r.due_on,
            officer_note: r.officer_note,
            accepted_on: r.accepted_on,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
            note_version: r.note_version,
        })
    }
}

/// An action's history row as stored.
#[derive(sqlx::FromRow)]
struct UpdateRow {
    id: String,
    action_id: String,
    author_kind: String,
    author: String,
    note: String,
    evidence: Option<String>,
    status_after: String,
    created_at: String,
}

impl TryFrom<UpdateRow> for ActionUpdate {
    type Error = StoreError;
    fn try_from(r: UpdateRow) -> Result<ActionUpdate> {
        Ok(ActionUpdate {
            status_after: StoreError::decode("quality_action_updates", "status_after", &r.status_after)?,
            id: r.id,
            action_id: r.action_id,
            author_kind: r.author_kind,
            author: r.author,
            note: r.note,
            evidence: r.evidence,
            created_at: r.created_at,
        })
    }
}

pub(crate) const UPDATE_COLUMNS: [&str; 8] = ["id", "action_id", "author_kind", "author", "note", "evidence", "status_after", "created_at"];

/// A history row of an action's change (its note trimmed): one definition for the ordinary
/// path and the batch.
pub(crate) fn update_row(
    action_id: &str,
    author_kind: &str,
    author: &str,
    note: &str,
    evidence: Option<String>,
    status: ActionStatus,
    at: &str,
) -> Vec<crate::bulk::Value> {
    vec![
        new_id().into(),
        action_id.into(),
        author_kind.into(),
        author.into(),
        note.trim().into(),
        evidence.into(),
        status.as_str().into(),
        at.into(),
    ]
}

pub(crate) fn trimmed(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

impl Store {
    pub async fn action(&self, id: &str) -> Result<Action> {
        let row: ActionRow = sqlx::query_as(sqlx::AssertSqlSafe(format!("{ACTION_SELECT} WHERE a.id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("action {id}")))?;
        row.try_into()
    }

    /// Actions matching the filter: open first by due date, then accepted ones.
    pub async fn actions(&self, f: &ActionFilter) -> Result<Vec<Action>> {
        let closed = ActionStatus::sql_list(ActionStatus::closed());
        let mut q = SqlBuilder::new(format!("{ACTION_SELECT} WHERE 1=1"));
        match f.state.as_deref().and_then(ActionState::parse) {
            Some(ActionState::Open) => {
                q.and_raw(format_args!("a.status NOT IN {closed}"));
            }
            Some(ActionState::Overdue) => {
                q.and_raw(format_args!("a.status NOT IN {closed}"));
                q.and_bind("a.due_on < {}", f.on.unwrap_or_else(crate::today).to_string());
            }
            Some(ActionState::Submitted) => {
                q.and_bind("a.status = {}", ActionStatus::Submitted.as_str());
            }
            Some(ActionState::Accepted) => {
                q.and_bind("a.status = {}", ActionStatus::Accepted.as_str());
            }
            None => {}
        }
        if let Some(s) = &f.service_id {
            q.and_bind("a.service_id = {}", s);
        }
        if let Some(p) = &f.provider_id {
            q.and_bind("s.provider_id = {}", p);
        }
        q.push(action_order());
        let rows: Vec<ActionRow> = q.query_as().fetch_all(&self.pool).await?;
        rows.into_iter().map(Action::try_from).collect()
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
        let rows: Vec<UpdateRow> = sqlx::query_as(
            "SELECT id, action_id, author_kind, author, note, evidence, status_after, created_at
             FROM quality_action_updates WHERE action_id = $1 ORDER BY created_at, id",
        )
        .bind(action_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(ActionUpdate::try_from).collect()
    }

    /// Add an action by hand to a service's plan. An owner and a due date are required.
    pub async fn create_action(&self, actor: &Actor, a: &NewAction) -> Result<String> {
        let service =
            self.service(&a.service_id).await.map_err(|_| StoreError::invalid("service_id", "Choose a service from the register"))?;
        let checked = a.check()?;
        let (title, detail, owner, due) = (checked.title, checked.detail, checked.owner, checked.due_on);
        let id = new_id();
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO quality_actions (id, service_id, visit_id, standard_id, judgement, title, detail, owner, due_on, status,
                officer_note, accepted_on, created_at, updated_at)
             VALUES ($1, $2, NULL, NULL, NULL, $3, $4, $5, $6, $7, NULL, NULL, $8, $8)",
        )
        .bind(&id)
        .bind(&a.service_id)
        .bind(&title)
        .bind(&detail)
        .bind(&owner)
        .bind(due.to_string())
        .bind(ActionStatus::Open.as_str())
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
    /// "officer". Made from version `expected` of the action: an action changed since is refused
    /// (`Stale`) and neither the change, its history row nor its audit row is written.
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
        expected: Version,
    ) -> Result<()> {
        let now = now_timestamp();
        let evidence = evidence.and_then(trimmed);
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE quality_actions SET status = $1, accepted_on = $2, updated_at = $3, version = version + 1 WHERE id = $4 AND version = $5",
        )
        .bind(status.as_str())
        .bind(accepted_on.map(|d| d.to_string()))
        .bind(&now)
        .bind(&before.id)
        .bind(expected.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        saved(&mut tx, Versioned::QualityActions, &before.id, changed).await?;
        let row = update_row(&before.id, author_kind, &actor.label, note, evidence.clone(), status, &now);
        crate::bulk::insert_rows(&mut tx, "quality_action_updates", &UPDATE_COLUMNS, vec![row]).await?;
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
    /// provider is "not found"; an accepted action is closed. Made from version `expected`.
    #[allow(clippy::too_many_arguments)]
    pub async fn provider_update_action(
        &self,
        actor: &Actor,
        provider_id: &str,
        action_id: &str,
        note: &str,
        evidence: Option<&str>,
        status: ActionStatus,
        expected: Version,
    ) -> Result<()> {
        let before = self.action(action_id).await?;
        if before.provider_id != provider_id {
            return Err(StoreError::NotFound(format!("action {action_id}")));
        }
        check_current(before.version, expected)?;
        provider_update(before.status, status, note)?;
        self.action_transition(actor, &before, "provider", note, evidence, status, None, expected).await
    }

    /// An officer accepts an action as done (closing it) on `on`. Made from version `expected`.
    pub async fn accept_action(&self, actor: &Actor, action_id: &str, note: &str, on: Date, expected: Version) -> Result<()> {
        let before = self.action(action_id).await?;
        check_current(before.version, expected)?;
        let note = accept(before.status, note)?;
        self.action_transition(actor, &before, "officer", &note, None, ActionStatus::Accepted, Some(on), expected).await
    }

    /// An officer reopens an action (submitted, or accepted too early), saying why. Made from
    /// version `expected`.
    pub async fn reopen_action(&self, actor: &Actor, action_id: &str, reason: &str, expected: Version) -> Result<()> {
        let before = self.action(action_id).await?;
        check_current(before.version, expected)?;
        reopen(before.status, reason)?;
        self.action_transition(actor, &before, "officer", reason, None, ActionStatus::Reopened, None, expected).await
    }

    /// The officer's internal note on an action (never shown to the provider); empty clears it.
    /// Made from version `expected` of the note (`note_version`).
    pub async fn set_action_officer_note(&self, actor: &Actor, action_id: &str, note: &str, expected: Version) -> Result<()> {
        let before = self.action(action_id).await?;
        check_current(before.note_version, expected)?;
        let note = trimmed(note);
        let mut tx = self.begin_write().await?;
        let changed =
            sqlx::query("UPDATE quality_actions SET officer_note = $1, updated_at = $2, note_version = note_version + 1 WHERE id = $3 AND note_version = $4")
                .bind(&note)
                .bind(now_timestamp())
                .bind(action_id)
                .bind(expected.get())
                .execute(&mut *tx)
                .await?
                .rows_affected();
        saved(&mut tx, Versioned::QualityActionNotes, action_id, changed).await?;
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
