//! The council's own status of a service (`000`: "5 homes in 'Amber' and 3 in 'Red'", the
//! "restrictions and embargo list", escalation into the joint council/ICB risk management
//! process): RAG and escalation with their history, and who looks after the service's quality.
//! Placement restrictions and embargoes are issue 4's `placement_restrictions`; this module only
//! adds a per-service view of them.

use crate::audit::{Actor, record};
use crate::query::SqlBuilder;
use crate::restrictions::Restriction;
use crate::versions::{Keyed, KeyedSave};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::access::Role;
use caremarket_core::quality::status::{DecisionKind, check_decision, clean_team};
use caremarket_core::quality::{EscalationLevel, Rag};
use caremarket_core::register::ServiceKind;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use std::collections::HashMap;

/// One RAG decision (the latest by `set_on`, then `created_at`, is current).
#[derive(Debug, Clone, Serialize)]
pub struct RagEntry {
    pub id: String,
    pub service_id: String,
    pub rag: Rag,
    pub reason: String,
    pub set_on: String,
    pub set_by: String,
    pub created_at: String,
}

/// One escalation decision.
#[derive(Debug, Clone, Serialize)]
pub struct EscalationEntry {
    pub id: String,
    pub service_id: String,
    pub level: EscalationLevel,
    pub reason: String,
    pub set_on: String,
    pub set_by: String,
    pub created_at: String,
}

/// Who looks after a service's quality.
#[derive(Debug, Clone, Serialize)]
pub struct QualityAssignment {
    pub service_id: String,
    pub officer_id: Option<String>,
    pub officer_name: Option<String>,
    pub team: Option<String>,
    pub updated_at: String,
}

/// A service's quality status today.
#[derive(Debug, Clone, Serialize)]
pub struct QualityStatus {
    pub service_id: String,
    /// `None`: not assessed.
    pub rag: Option<Rag>,
    pub rag_reason: Option<String>,
    pub rag_set_on: Option<String>,
    pub escalation: EscalationLevel,
    pub escalation_reason: Option<String>,
    pub escalation_set_on: Option<String>,
    /// When the current escalation (any level above none) began.
    pub escalated_since: Option<String>,
    /// Restrictions and embargoes in force today.
    pub restrictions: Vec<Restriction>,
    pub assignment: Option<QualityAssignment>,
}

/// A service in a RAG drill-down.
#[derive(Debug, Clone, Serialize)]
pub struct RagService {
    pub service_id: String,
    pub name: String,
    pub provider_id: String,
    pub provider_name: String,
    pub kind: ServiceKind,
    pub rag: Option<Rag>,
    pub reason: Option<String>,
    pub set_on: Option<String>,
    pub escalation: EscalationLevel,
}

/// A service with its assignment, for the assignments page.
#[derive(Debug, Clone, Serialize)]
pub struct AssignmentRow {
    pub service_id: String,
    pub name: String,
    pub provider_name: String,
    pub kind: ServiceKind,
    pub area_name: Option<String>,
    pub officer_id: Option<String>,
    pub officer_name: Option<String>,
    pub team: Option<String>,
}

macro_rules! monitored_scope {
    () => {
        "(s.in_area = 1
    OR EXISTS (SELECT 1 FROM quality_rag q WHERE q.service_id = s.id)
    OR EXISTS (SELECT 1 FROM quality_assignments qa WHERE qa.service_id = s.id))"
    };
}

/// Services the council monitors for quality: not deregistered, and in the council's area or
/// already given a RAG status or an officer (an out-of-area home the council places people in).
pub(crate) const MONITORED: &str = concat!("s.registration_status <> 'deregistered' AND ", monitored_scope!());

/// [`MONITORED`] without its registration test, for a past date, which tests registration as
/// it stood then.
pub(crate) const MONITORED_SCOPE: &str = monitored_scope!();

/// The current RAG row of each service.
const CURRENT_RAG: &str = "SELECT r.service_id, r.rag, r.reason, r.set_on FROM quality_rag r
    WHERE r.id = (SELECT r2.id FROM quality_rag r2 WHERE r2.service_id = r.service_id ORDER BY r2.set_on DESC, r2.created_at DESC, r2.id DESC LIMIT 1)";

/// The current escalation row of each service.
const CURRENT_ESCALATION: &str = "SELECT e.service_id, e.level FROM quality_escalations e
    WHERE e.id = (SELECT e2.id FROM quality_escalations e2 WHERE e2.service_id = e.service_id ORDER BY e2.set_on DESC, e2.created_at DESC, e2.id DESC LIMIT 1)";

/// The filter of monitored services of `kinds` (empty = all kinds).
fn kinds_filter(kinds: &[ServiceKind]) -> SqlBuilder {
    let mut w = SqlBuilder::new("");
    w.and_in("s.kind", kinds.iter().map(|k| k.as_str()));
    w
}

/// One row of RAG or escalation history as stored (`value` is the RAG or the level).
#[derive(sqlx::FromRow)]
struct DecisionRow {
    id: String,
    service_id: String,
    value: String,
    reason: String,
    set_on: String,
    set_by: String,
    created_at: String,
}

impl TryFrom<DecisionRow> for RagEntry {
    type Error = StoreError;
    fn try_from(r: DecisionRow) -> Result<RagEntry> {
        Ok(RagEntry {
            rag: StoreError::decode("quality_rag", "rag", &r.value)?,
            id: r.id,
            service_id: r.service_id,
            reason: r.reason,
            set_on: r.set_on,
            set_by: r.set_by,
            created_at: r.created_at,
        })
    }
}

impl TryFrom<DecisionRow> for EscalationEntry {
    type Error = StoreError;
    fn try_from(r: DecisionRow) -> Result<EscalationEntry> {
        Ok(EscalationEntry {
            level: StoreError::decode("quality_escalations", "level", &r.value)?,
            id: r.id,
            service_id: r.service_id,
            reason: r.reason,
            set_on: r.set_on,
            set_by: r.set_by,
            created_at: r.created_at,
        })
    }
}

/// A monitored service with its current RAG and escalation, as stored.
#[derive(sqlx::FromRow)]
struct RagServiceRow {
    id: String,
    name: String,
    provider_id: String,
    provider_name: String,
    kind: String,
    rag: Option<String>,
    reason: Option<String>,
    set_on: Option<String>,
    level: Option<String>,
}

impl TryFrom<RagServiceRow> for RagService {
    type Error = StoreError;
    fn try_from(r: RagServiceRow) -> Result<RagService> {
        Ok(RagService {
            kind: crate::quality::decode_as("services", "kind", &r.kind, ServiceKind::parse)?,
            rag: r.rag.as_deref().map(|v| StoreError::decode("quality_rag", "rag", v)).transpose()?,
            escalation: match r.level.as_deref() {
                Some(l) => StoreError::decode("quality_escalations", "level", l)?,
                None => EscalationLevel::None,
            },
            service_id: r.id,
            name: r.name,
            provider_id: r.provider_id,
            provider_name: r.provider_name,
            reason: r.reason,
            set_on: r.set_on,
        })
    }
}

#[derive(sqlx::FromRow)]
struct AssignmentRowStored {
    id: String,
    name: String,
    provider_name: String,
    kind: String,
    area_name: Option<String>,
    officer_id: Option<String>,
    display_name: Option<String>,
    team: Option<String>,
}

impl TryFrom<AssignmentRowStored> for AssignmentRow {
    type Error = StoreError;
    fn try_from(r: AssignmentRowStored) -> Result<AssignmentRow> {
        Ok(AssignmentRow {
            kind: crate::quality::decode_as("services", "kind", &r.kind, ServiceKind::parse)?,
            service_id: r.id,
            name: r.name,
            provider_name: r.provider_name,
            area_name: r.area_name,
            officer_id: r.officer_id,
            officer_name: r.display_name,
            team: r.team,
        })
    }
}

/// Who looks after a service's quality, as stored.
#[derive(sqlx::FromRow)]
struct AssignmentStored {
    service_id: String,
    officer_id: Option<String>,
    display_name: Option<String>,
    team: Option<String>,
    updated_at: String,
}

impl From<AssignmentStored> for QualityAssignment {
    fn from(r: AssignmentStored) -> QualityAssignment {
        QualityAssignment {
            service_id: r.service_id,
            officer_id: r.officer_id,
            officer_name: r.display_name,
            team: r.team,
            updated_at: r.updated_at,
        }
    }
}

/// Core's refusal of a decision, with its fields named as this store's callers know them.
pub(crate) fn decision_errors(kind: DecisionKind, reason: &str, on: Date) -> Result<()> {
    Ok(check_decision(kind, reason, on, crate::today())?)
}

/// The two kinds of status decision kept as history.
#[derive(Clone, Copy)]
enum Decision {
    Rag,
    Escalation,
}

impl Store {
    /// Set a service's RAG status as at `on` (today or earlier) with a reason. Setting the same
    /// RAG again with a new reason is a new history entry. Field names in errors: `reason`, `on`.
    pub async fn set_rag(&self, actor: &Actor, service_id: &str, rag: Rag, reason: &str, on: Date) -> Result<String> {
        let service = self.service(service_id).await?;
        decision_errors(DecisionKind::Rag, reason, on)?;
        let before = self.current_rag(service_id).await?.map(|b| (b.rag.as_str(), b.set_on));
        let summary = format!("RAG status of {} set to {} as at {on}", service.name, rag.label());
        self.record_decision(actor, Decision::Rag, service_id, rag.as_str(), reason, on, &summary, before).await
    }

    /// Set a service's escalation level as at `on` with a reason (a new history entry).
    pub async fn set_escalation(&self, actor: &Actor, service_id: &str, level: EscalationLevel, reason: &str, on: Date) -> Result<String> {
        let service = self.service(service_id).await?;
        decision_errors(DecisionKind::Escalation, reason, on)?;
        let before = self.escalation_history(service_id).await?.into_iter().next().map(|b| (b.level.as_str(), b.set_on));
        let summary = format!("Escalation of {} set to {} as at {on}", service.name, level.label());
        self.record_decision(actor, Decision::Escalation, service_id, level.as_str(), reason, on, &summary, before).await
    }

    /// One new row of RAG or escalation history, audited with the decision it follows.
    #[allow(clippy::too_many_arguments)]
    async fn record_decision(
        &self,
        actor: &Actor,
        decision: Decision,
        service_id: &str,
        value: &str,
        reason: &str,
        on: Date,
        summary: &str,
        before: Option<(&str, String)>,
    ) -> Result<String> {
        let (table, column, entity) = match decision {
            Decision::Rag => ("quality_rag", "rag", "quality_rag"),
            Decision::Escalation => ("quality_escalations", "level", "quality_escalation"),
        };
        let id = new_id();
        let mut tx = self.begin_write().await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO {table} (id, service_id, {column}, reason, set_on, set_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        )))
        .bind(&id)
        .bind(service_id)
        .bind(value)
        .bind(reason.trim())
        .bind(on.to_string())
        .bind(&actor.label)
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            actor,
            "create",
            entity,
            Some(&id),
            summary,
            before.map(|(v, set_on)| json!({"service_id": service_id, column: v, "set_on": set_on})).as_ref(),
            Some(&json!({"service_id": service_id, column: value, "reason": reason.trim(), "set_on": on.to_string()})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn current_rag(&self, service_id: &str) -> Result<Option<RagEntry>> {
        Ok(self.rag_history(service_id).await?.into_iter().next())
    }

    /// RAG history, current first.
    pub async fn rag_history(&self, service_id: &str) -> Result<Vec<RagEntry>> {
        let rows: Vec<DecisionRow> = sqlx::query_as(
            "SELECT r.id, r.service_id, r.rag AS value, r.reason, r.set_on, COALESCE(u.display_name, r.set_by) AS set_by, r.created_at
             FROM quality_rag r LEFT JOIN users u ON u.email = r.set_by WHERE r.service_id = $1
             ORDER BY r.set_on DESC, r.created_at DESC, r.id DESC",
        )
        .bind(service_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(RagEntry::try_from).collect()
    }

    /// Escalation history, current first.
    pub async fn escalation_history(&self, service_id: &str) -> Result<Vec<EscalationEntry>> {
        let rows: Vec<DecisionRow> = sqlx::query_as(
            "SELECT e.id, e.service_id, e.level AS value, e.reason, e.set_on, COALESCE(u.display_name, e.set_by) AS set_by, e.created_at
             FROM quality_escalations e LEFT JOIN users u ON u.email = e.set_by WHERE e.service_id = $1
             ORDER BY e.set_on DESC, e.created_at DESC, e.id DESC",
        )
        .bind(service_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(EscalationEntry::try_from).collect()
    }

    /// Every service's escalation history, oldest first, as (date, level) pairs for
    /// `caremarket_core::quality::cadence::escalation_facts`.
    pub async fn escalation_histories(&self) -> Result<HashMap<String, Vec<(Date, EscalationLevel)>>> {
        let rows = sqlx::query("SELECT service_id, level, set_on FROM quality_escalations ORDER BY set_on, created_at, id")
            .fetch_all(&self.pool)
            .await?;
        let mut out: HashMap<String, Vec<(Date, EscalationLevel)>> = HashMap::new();
        for r in rows {
            let level = StoreError::decode("quality_escalations", "level", &r.try_get::<String, _>("level")?)?;
            let on = StoreError::decode("quality_escalations", "set_on", &r.try_get::<String, _>("set_on")?)?;
            out.entry(r.try_get("service_id")?).or_default().push((on, level));
        }
        Ok(out)
    }

    /// Today's quality status of a service: RAG, escalation, restrictions in force, officer.
    pub async fn quality_status(&self, service_id: &str) -> Result<QualityStatus> {
        self.service(service_id).await?;
        let rag = self.current_rag(service_id).await?;
        let esc = self.escalation_history(service_id).await?;
        let oldest_first: Vec<(Date, EscalationLevel)> =
            esc.iter().rev().filter_map(|e| e.set_on.parse::<Date>().ok().map(|d| (d, e.level))).collect();
        let (_, escalated_since, _) = caremarket_core::quality::cadence::escalation_facts(&oldest_first);
        let today = crate::today().to_string();
        let restrictions = self
            .restrictions_for_service(service_id)
            .await?
            .into_iter()
            .filter(|r| r.starts_on <= today && r.ends_on.as_ref().is_none_or(|e| *e >= today))
            .collect();
        let current = esc.first();
        Ok(QualityStatus {
            service_id: service_id.to_string(),
            rag: rag.as_ref().map(|r| r.rag),
            rag_reason: rag.as_ref().map(|r| r.reason.clone()),
            rag_set_on: rag.as_ref().map(|r| r.set_on.clone()),
            escalation: current.map(|e| e.level).unwrap_or(EscalationLevel::None),
            escalation_reason: current.map(|e| e.reason.clone()),
            escalation_set_on: current.map(|e| e.set_on.clone()),
            escalated_since: escalated_since.map(|d| d.to_string()),
            restrictions,
            assignment: self.quality_assignment(service_id).await?,
        })
    }

    /// Current RAG of every service that has one (for the early-warning score and dashboard).
    pub async fn current_rag_by_service(&self) -> Result<HashMap<String, Rag>> {
        let rows = sqlx::query(CURRENT_RAG).fetch_all(&self.pool).await?;
        let mut out = HashMap::new();
        for r in rows {
            let rag: Rag = StoreError::decode("quality_rag", "rag", &r.try_get::<String, _>("rag")?)?;
            out.insert(r.try_get("service_id")?, rag);
        }
        Ok(out)
    }

    /// Current escalation level of every service that has ever been escalated.
    pub async fn current_escalation_by_service(&self) -> Result<HashMap<String, EscalationLevel>> {
        let rows = sqlx::query(CURRENT_ESCALATION).fetch_all(&self.pool).await?;
        let mut out = HashMap::new();
        for r in rows {
            let level: EscalationLevel = StoreError::decode("quality_escalations", "level", &r.try_get::<String, _>("level")?)?;
            out.insert(r.try_get("service_id")?, level);
        }
        Ok(out)
    }

    /// Counts of monitored services of `kinds` (empty = all kinds) by current RAG:
    /// (green, amber, red, not assessed).
    pub async fn rag_counts(&self, kinds: &[ServiceKind]) -> Result<(i64, i64, i64, i64)> {
        let list = self.services_with_rag(kinds).await?;
        let count = |r: Option<Rag>| list.iter().filter(|s| s.rag == r).count() as i64;
        Ok((count(Some(Rag::Green)), count(Some(Rag::Amber)), count(Some(Rag::Red)), count(None)))
    }

    /// The monitored services of `kinds` (empty = all) whose current RAG is `rag` (`None` = not
    /// assessed), by name: the drill-down behind `rag_counts`.
    pub async fn services_by_rag(&self, rag: Option<Rag>, kinds: &[ServiceKind]) -> Result<Vec<RagService>> {
        Ok(self.services_with_rag(kinds).await?.into_iter().filter(|s| s.rag == rag).collect())
    }

    /// Services whose current escalation is `level`, for the dashboard's escalation figures.
    pub async fn services_by_escalation(&self, level: EscalationLevel, kinds: &[ServiceKind]) -> Result<Vec<RagService>> {
        Ok(self.services_with_rag(kinds).await?.into_iter().filter(|s| s.escalation == level).collect())
    }

    async fn services_with_rag(&self, kinds: &[ServiceKind]) -> Result<Vec<RagService>> {
        let select = format!(
            "SELECT s.id, s.name, s.provider_id, p.name AS provider_name, s.kind, cr.rag, cr.reason, cr.set_on, ce.level
             FROM services s JOIN providers p ON p.id = s.provider_id
             LEFT JOIN ({CURRENT_RAG}) cr ON cr.service_id = s.id
             LEFT JOIN ({CURRENT_ESCALATION}) ce ON ce.service_id = s.id
             WHERE {MONITORED}"
        );
        let q = kinds_filter(kinds).wrapped(&select, " ORDER BY s.name, s.id");
        let rows: Vec<RagServiceRow> = q.query_as().fetch_all(&self.pool).await?;
        rows.into_iter().map(RagService::try_from).collect()
    }

    // ----- officer assignment -----

    /// Active accounts that can be assigned services: quality officers and administrators.
    pub async fn quality_officers(&self) -> Result<Vec<crate::users::User>> {
        let mut v: Vec<_> =
            self.users().await?.into_iter().filter(|u| u.active && matches!(u.role, Role::QualityOfficer | Role::Admin)).collect();
        v.sort_by(|a, b| a.display_name.cmp(&b.display_name));
        Ok(v)
    }

    async fn check_officer(&self, officer_id: Option<&str>) -> Result<()> {
        if let Some(o) = officer_id
            && !self.quality_officers().await?.iter().any(|u| u.id == o)
        {
            return Err(StoreError::invalid("officer_id", "Choose a quality officer or administrator with an active account"));
        }
        Ok(())
    }

    /// Assign (or, with both `None`, clear) the officer and team looking after a service.
    pub async fn assign_quality_officer(
        &self,
        actor: &Actor,
        service_id: &str,
        officer_id: Option<&str>,
        team: Option<&str>,
    ) -> Result<()> {
        self.write_assignment(actor, service_id, (officer_id, team), KeyedSave::Replace).await
    }

    /// Assign a service nothing is recorded for yet, from the blank form that names the
    /// service: one that has an officer or a team is refused, naming its row's Change link, so
    /// that it cannot silently replace another manager's choice (decision 25).
    pub async fn assign_new_service(
        &self,
        actor: &Actor,
        service_id: &str,
        (officer_id, team): (Option<&str>, Option<&str>),
    ) -> Result<()> {
        self.write_assignment(actor, service_id, (officer_id, team), KeyedSave::AddOnly).await
    }

    /// As [`Store::assign_quality_officer`], from the service's own assignment form opened at
    /// `expected` (its [`Keyed::QualityAssignment`] version): refused `Stale`, with nothing
    /// written, if someone assigned it since, one by one or in bulk.
    pub async fn assign_quality_officer_at(
        &self,
        actor: &Actor,
        service_id: &str,
        (officer_id, team): (Option<&str>, Option<&str>),
        expected: caremarket_core::versions::Version,
    ) -> Result<()> {
        self.write_assignment(actor, service_id, (officer_id, team), KeyedSave::At(expected)).await
    }

    /// The version of a service's assignment, for its own form to carry.
    pub async fn quality_assignment_version(&self, service_id: &str) -> Result<i64> {
        self.keyed_version(Keyed::QualityAssignment, service_id).await
    }

    async fn write_assignment(
        &self,
        actor: &Actor,
        service_id: &str,
        (officer_id, team): (Option<&str>, Option<&str>),
        how: KeyedSave,
    ) -> Result<()> {
        let service = self.service(service_id).await?;
        self.check_officer(officer_id).await?;
        let team = clean_team(team)?;
        let mut tx = self.begin_write().await?;
        crate::versions::raise_keyed(&mut tx, Keyed::QualityAssignment, service_id, how.expected()).await?;
        // Read after the version is raised, so this is what any save before this one left.
        let before: Option<(Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT qa.officer_id, u.display_name, qa.team FROM quality_assignments qa LEFT JOIN users u ON u.id = qa.officer_id
             WHERE qa.service_id = $1",
        )
        .bind(service_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let (KeyedSave::AddOnly, Some((officer, name, team))) = (how, &before)
            && (officer.is_some() || team.is_some())
        {
            let has = match (name, team) {
                (Some(n), Some(t)) => format!("{n} ({t})"),
                (Some(n), None) => n.clone(),
                (None, Some(t)) => format!("the team {t}"),
                (None, None) => "an officer".to_string(),
            };
            return Err(StoreError::invalid(
                "service_id",
                format!("{} is already looked after by {has}. To change or clear it, use Change in its row of the table", service.name),
            ));
        }
        sqlx::query("DELETE FROM quality_assignments WHERE service_id = $1").bind(service_id).execute(&mut *tx).await?;
        if officer_id.is_some() || team.is_some() {
            sqlx::query("INSERT INTO quality_assignments (service_id, officer_id, team, updated_at) VALUES ($1, $2, $3, $4)")
                .bind(service_id)
                .bind(officer_id.map(str::to_string))
                .bind(team.clone())
                .bind(now_timestamp())
                .execute(&mut *tx)
                .await?;
        }
        record(
            &mut tx,
            actor,
            "update",
            "quality_assignment",
            Some(service_id),
            &format!("Quality officer and team for {}", service.name),
            before.as_ref().map(|(officer, _, team)| json!({"officer_id": officer, "team": team})).as_ref(),
            Some(&json!({"officer_id": officer_id, "team": team})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Assign an officer and team to every monitored service of `kinds` (empty = all) in
    /// `area_id` (if given) that has no officer yet. Returns how many were assigned.
    pub async fn assign_unassigned(
        &self,
        actor: &Actor,
        kinds: &[ServiceKind],
        area_id: Option<&str>,
        officer_id: &str,
        team: Option<&str>,
    ) -> Result<usize> {
        self.check_officer(Some(officer_id)).await?;
        let team = clean_team(team)?;
        let rows = self.assignment_rows(kinds, area_id).await?;
        let targets: Vec<(&AssignmentRow, Option<String>)> =
            rows.iter().filter(|r| r.officer_id.is_none()).map(|r| (r, team.clone().or_else(|| r.team.clone()))).collect();
        // Only a service still without an officer: one assigned from its own form since the
        // list was read keeps that officer.
        self.assign_in_bulk(actor, &targets, Some(officer_id), "officer_id IS NULL").await
    }

    /// Give `team` (no named officer) to every monitored service of `kinds` (empty = all) in
    /// `area_id` (if given) that has neither an officer nor a team recorded. Returns how many.
    pub async fn assign_team_where_none(&self, actor: &Actor, kinds: &[ServiceKind], area_id: Option<&str>, team: &str) -> Result<usize> {
        let Some(team) = clean_team(Some(team))? else {
            return Err(StoreError::invalid("team", "Enter the team's name"));
        };
        let rows = self.assignment_rows(kinds, area_id).await?;
        let targets: Vec<(&AssignmentRow, Option<String>)> =
            rows.iter().filter(|r| r.officer_id.is_none() && r.team.is_none()).map(|r| (r, Some(team.clone()))).collect();
        // Only a service still with nothing recorded: one assigned from its own form since the
        // list was read keeps what it was given.
        self.assign_in_bulk(actor, &targets, None, "officer_id IS NULL AND team IS NULL").await
    }

    /// Write each target's assignment (officer, its team) where its row still matches `still`
    /// (the condition it was chosen by), with one audit entry per service changed, in one
    /// transaction and a few statements whatever the number: a region's thousands of services
    /// are assigned as fast as a council's hundred.
    async fn assign_in_bulk(
        &self,
        actor: &Actor,
        targets: &[(&AssignmentRow, Option<String>)],
        officer_id: Option<&str>,
        still: &str,
    ) -> Result<usize> {
        if targets.is_empty() {
            return Ok(0);
        }
        let now = now_timestamp();
        let ids: Vec<&str> = targets.iter().map(|(r, _)| r.service_id.as_str()).collect();
        let mut tx = self.begin_write().await?;
        crate::bulk::delete_where_in(&mut tx, &format!("DELETE FROM quality_assignments WHERE {still} AND service_id"), &ids).await?;
        let rows = targets
            .iter()
            .map(|(r, team)| {
                vec![r.service_id.as_str().into(), officer_id.map(str::to_string).into(), team.clone().into(), now.as_str().into()]
            })
            .collect();
        // A service given an officer (or team) by someone else since the list was read keeps it:
        // its row is still there, and this one does not land.
        let landed: std::collections::HashSet<String> = crate::bulk::insert_rows_returning(
            &mut tx,
            "quality_assignments",
            &["service_id", "officer_id", "team", "updated_at"],
            rows,
            " ON CONFLICT (service_id) DO NOTHING RETURNING service_id",
        )
        .await?
        .into_iter()
        .collect();
        let done: Vec<&(&AssignmentRow, Option<String>)> = targets.iter().filter(|(r, _)| landed.contains(&r.service_id)).collect();
        // Raised, so each service's own assignment form opened before this is refused.
        let keys: Vec<&str> = done.iter().map(|(r, _)| r.service_id.as_str()).collect();
        crate::versions::raise_keyed_all(&mut tx, Keyed::QualityAssignment, &keys).await?;
        let audit = done
            .iter()
            .map(|(r, team)| {
                crate::audit::audit_row(
                    actor,
                    "update",
                    ("quality_assignment", Some(&r.service_id)),
                    &format!("Quality officer and team for {}", r.name),
                    Some(&json!({"officer_id": null, "team": r.team})),
                    Some(&json!({"officer_id": officer_id, "team": team})),
                    &now,
                )
            })
            .collect();
        crate::bulk::insert_rows(&mut tx, "audit_log", &crate::audit::AUDIT_COLUMNS, audit).await?;
        tx.commit().await?;
        Ok(done.len())
    }

    pub async fn quality_assignment(&self, service_id: &str) -> Result<Option<QualityAssignment>> {
        Ok(sqlx::query_as::<_, AssignmentStored>(
            "SELECT qa.service_id, qa.officer_id, u.display_name, qa.team, qa.updated_at
             FROM quality_assignments qa LEFT JOIN users u ON u.id = qa.officer_id WHERE qa.service_id = $1",
        )
        .bind(service_id)
        .fetch_optional(&self.pool)
        .await?
        .map(QualityAssignment::from))
    }

    /// Monitored services of `kinds` (empty = all) in `area_id` (if given), with their officer
    /// and team, by name.
    pub async fn assignment_rows(&self, kinds: &[ServiceKind], area_id: Option<&str>) -> Result<Vec<AssignmentRow>> {
        let mut w = kinds_filter(kinds);
        if let Some(a) = area_id {
            w.and_bind("s.area_id = {}", a);
        }
        let select = format!(
            "SELECT s.id, s.name, p.name AS provider_name, s.kind, a.name AS area_name, qa.officer_id, u.display_name, qa.team
             FROM services s JOIN providers p ON p.id = s.provider_id LEFT JOIN areas a ON a.id = s.area_id
             LEFT JOIN quality_assignments qa ON qa.service_id = s.id LEFT JOIN users u ON u.id = qa.officer_id
             WHERE {MONITORED}"
        );
        let q = w.wrapped(&select, " ORDER BY s.name, s.id");
        let rows: Vec<AssignmentRowStored> = q.query_as().fetch_all(&self.pool).await?;
        rows.into_iter().map(AssignmentRow::try_from).collect()
    }
}
