//! Cadence rules (table `cadence_rules`, defaults from `000` "Provider Visits & Monitoring" and
//! `004` §4.22) and the list of what is due and overdue, one row per (service, applicable rule).
//! The rules themselves are decided in `caremarket_core::quality::cadence`.

use super::status::MONITORED;
use crate::audit::{Actor, record};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::quality::EscalationLevel;
pub use caremarket_core::quality::cadence::RuleInput;
use caremarket_core::quality::cadence::{
    CadenceRule, Condition, DueState, ServiceFacts, activity_code, activity_label, escalation_facts, parse_activity,
};
use caremarket_core::register::{ContractStatus, ServiceKind};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use std::collections::HashMap;

/// A stored cadence rule.
#[derive(Debug, Clone, Serialize)]
pub struct StoredRule {
    pub id: String,
    pub code: String,
    pub rule: CadenceRule,
    pub team: Option<String>,
    pub source: String,
    pub active: bool,
    pub updated_at: String,
}

impl StoredRule {
    pub fn condition_label(&self) -> &'static str {
        self.rule.condition.label()
    }
    pub fn activity_label(&self) -> &'static str {
        activity_label(self.rule.activity)
    }
    pub fn kinds_label(&self) -> String {
        if self.rule.applies_to.is_empty() {
            "Any kind".into()
        } else {
            self.rule.applies_to.iter().map(|k| k.label()).collect::<Vec<_>>().join(", ")
        }
    }
}

/// Filters for the due list.
#[derive(Debug, Clone, Default)]
pub struct DueFilter {
    /// An officer's user id, or "none" for services with no officer.
    pub officer_id: Option<String>,
    pub team: Option<String>,
    pub state: Option<DueState>,
    pub kind: Option<ServiceKind>,
    pub service_id: Option<String>,
}

impl DueFilter {
    /// Whether an item passes every filter that is set.
    pub fn matches(&self, d: &DueItem) -> bool {
        let officer_ok = match self.officer_id.as_deref() {
            None => true,
            Some("none") => d.officer_id.is_none(),
            Some(o) => d.officer_id.as_deref() == Some(o),
        };
        officer_ok
            && self.team.as_deref().is_none_or(|t| d.team.as_deref() == Some(t))
            && self.state.is_none_or(|s| s == d.state)
            && self.kind.is_none_or(|k| k == d.kind)
            && self.service_id.as_deref().is_none_or(|s| s == d.service_id)
    }
}

/// One service under one rule on a date.
#[derive(Debug, Clone, Serialize)]
pub struct DueItem {
    pub service_id: String,
    pub service_name: String,
    pub provider_id: String,
    pub provider_name: String,
    pub kind: ServiceKind,
    pub rule_id: String,
    pub rule_code: String,
    pub rule_name: String,
    pub activity: &'static str,
    pub activity_label: &'static str,
    pub last_activity: Option<String>,
    pub counted_from: Option<String>,
    pub next_due: String,
    pub state: DueState,
    pub state_label: &'static str,
    pub days_overdue: i64,
    pub days_until: i64,
    pub no_visit_on_record: bool,
    pub officer_id: Option<String>,
    pub officer_name: Option<String>,
    /// The service's assigned team, or else the rule's team.
    pub team: Option<String>,
}

/// A cadence rule as stored.
#[derive(sqlx::FromRow)]
struct RuleRow {
    id: String,
    code: String,
    name: String,
    applies_to: String,
    condition: String,
    activity: String,
    interval_days: i64,
    warn_days: i64,
    team: Option<String>,
    source: String,
    active: i64,
    updated_at: String,
}

impl TryFrom<RuleRow> for StoredRule {
    type Error = StoreError;
    fn try_from(r: RuleRow) -> Result<StoredRule> {
        let t = "cadence_rules";
        Ok(StoredRule {
            rule: CadenceRule {
                name: r.name,
                applies_to: r
                    .applies_to
                    .split(',')
                    .filter(|k| !k.is_empty())
                    .map(|k| crate::quality::decode_as(t, "applies_to", k, ServiceKind::parse))
                    .collect::<Result<_>>()?,
                condition: crate::quality::decode_as(t, "condition", &r.condition, Condition::parse)?,
                activity: crate::quality::decode_as(t, "activity", &r.activity, parse_activity)?,
                interval_days: r.interval_days,
                warn_days: r.warn_days,
            },
            id: r.id,
            code: r.code,
            team: r.team,
            source: r.source,
            active: r.active == 1,
            updated_at: r.updated_at,
        })
    }
}

/// A monitored service with its officer and team, as the due list loads it.
#[derive(sqlx::FromRow)]
struct DueServiceRow {
    id: String,
    name: String,
    provider_id: String,
    provider_name: String,
    kind: String,
    contract_status: String,
    rating_overall: Option<String>,
    officer_id: Option<String>,
    display_name: Option<String>,
    team: Option<String>,
}

const RULE_COLS: &str = "id, code, name, applies_to, condition, activity, interval_days, warn_days, team, source, active, updated_at";

fn rule_json(code: &str, r: &CadenceRule, team: &Option<String>, active: bool) -> serde_json::Value {
    json!({
        "code": code, "name": r.name,
        "applies_to": r.applies_to.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        "condition": r.condition.as_str(), "activity": activity_code(r.activity),
        "interval_days": r.interval_days, "warn_days": r.warn_days, "team": team, "active": active,
    })
}

impl Store {
    /// All cadence rules, active first, by name.
    pub async fn cadence_rules(&self) -> Result<Vec<StoredRule>> {
        let rows: Vec<RuleRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {RULE_COLS} FROM cadence_rules ORDER BY active DESC, name, id")))
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(StoredRule::try_from).collect()
    }

    pub async fn cadence_rule(&self, id: &str) -> Result<StoredRule> {
        let row: RuleRow = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {RULE_COLS} FROM cadence_rules WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("cadence rule {id}")))?;
        row.try_into()
    }

    /// Create a rule (`id` None) or change one. Errors name the field.
    pub async fn save_cadence_rule(&self, actor: &Actor, id: Option<&str>, input: &RuleInput) -> Result<String> {
        self.save_cadence_rule_from(actor, id, input, None).await
    }

    /// Change a rule from its form, opened at `expected`: refused (`Stale`, nothing written) if
    /// another save came in between (decision 25).
    pub async fn update_cadence_rule_at(
        &self,
        actor: &Actor,
        id: &str,
        input: &RuleInput,
        expected: caremarket_core::versions::Version,
    ) -> Result<String> {
        self.save_cadence_rule_from(actor, Some(id), input, Some(expected)).await
    }

    async fn save_cadence_rule_from(
        &self,
        actor: &Actor,
        id: Option<&str>,
        input: &RuleInput,
        expected: Option<caremarket_core::versions::Version>,
    ) -> Result<String> {
        if let (Some(id), Some(expected)) = (id, expected) {
            crate::versions::check_current(self.version_of(crate::versions::Versioned::CadenceRules, id).await?, expected)?;
        }
        let rule = input.to_rule()?;
        let team = input.team();
        let applies = rule.applies_to.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(",");
        let now = now_timestamp();
        let before = match id {
            Some(id) => Some(self.cadence_rule(id).await?),
            None => None,
        };
        let mut tx = self.begin_write().await?;
        let id = match (id, before) {
            (Some(id), Some(before)) => {
                // Saved from a form: only if still at the version it was opened at.
                let guard = if expected.is_some() { " AND version = $11" } else { "" };
                let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE cadence_rules SET name = $1, applies_to = $2, condition = $3, activity = $4, interval_days = $5,
                     warn_days = $6, team = $7, active = $8, updated_at = $9, version = version + 1
                     WHERE id = $10{guard}"
                )))
                .bind(&rule.name)
                .bind(&applies)
                .bind(rule.condition.as_str())
                .bind(activity_code(rule.activity))
                .bind(rule.interval_days)
                .bind(rule.warn_days)
                .bind(team.clone())
                .bind(i64::from(input.active))
                .bind(&now)
                .bind(id);
                if let Some(v) = expected {
                    q = q.bind(v.get());
                }
                let done = q.execute(&mut *tx).await?;
                crate::versions::saved(&mut tx, crate::versions::Versioned::CadenceRules, id, done.rows_affected()).await?;
                record(
                    &mut tx,
                    actor,
                    "update",
                    "cadence_rule",
                    Some(id),
                    &format!("Cadence rule '{}' changed", rule.name),
                    Some(&rule_json(&before.code, &before.rule, &before.team, before.active)),
                    Some(&rule_json(&before.code, &rule, &team, input.active)),
                )
                .await?;
                id.to_string()
            }
            _ => {
                let code = input.new_code()?;
                let taken: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM cadence_rules WHERE code = $1").bind(&code).fetch_one(&mut *tx).await?;
                if taken > 0 {
                    return Err(StoreError::invalid("code", format!("A rule with the code '{code}' already exists")));
                }
                let id = new_id();
                sqlx::query(
                    "INSERT INTO cadence_rules (id, code, name, applies_to, condition, activity, interval_days, warn_days, team, source, active, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .bind(&id)
                .bind(&code)
                .bind(&rule.name)
                .bind(&applies)
                .bind(rule.condition.as_str())
                .bind(activity_code(rule.activity))
                .bind(rule.interval_days)
                .bind(rule.warn_days)
                .bind(team.clone())
                .bind(format!("Added by {}", actor.label))
                .bind(i64::from(input.active))
                .bind(&now)
                .execute(&mut *tx)
                .await?;
                record(
                    &mut tx,
                    actor,
                    "create",
                    "cadence_rule",
                    Some(&id),
                    &format!("Cadence rule '{}' added", rule.name),
                    None,
                    Some(&rule_json(&code, &rule, &team, input.active)),
                )
                .await?;
                id
            }
        };
        tx.commit().await?;
        Ok(id)
    }

    /// What is due under the active cadence rules on `on`: one row per (monitored service,
    /// applicable rule), overdue first (most overdue first), then due, then not yet due.
    /// Deregistered services are left out.
    pub async fn due_list(&self, on: Date, filter: &DueFilter) -> Result<Vec<DueItem>> {
        let rules: Vec<StoredRule> = self.cadence_rules().await?.into_iter().filter(|r| r.active).collect();
        let services: Vec<DueServiceRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT s.id, s.name, s.provider_id, p.name AS provider_name, s.kind, s.contract_status, s.rating_overall,
                    qa.officer_id, u.display_name, qa.team
             FROM services s JOIN providers p ON p.id = s.provider_id
             LEFT JOIN quality_assignments qa ON qa.service_id = s.id LEFT JOIN users u ON u.id = qa.officer_id
             WHERE {MONITORED} ORDER BY s.name, s.id"
        )))
        .fetch_all(&self.pool)
        .await?;
        let mut last: HashMap<(String, String), Date> = HashMap::new();
        for r in sqlx::query(
            "SELECT service_id, activity, MAX(visit_date) AS last FROM quality_visits WHERE visit_date <= $1 GROUP BY service_id, activity",
        )
        .bind(on.to_string())
        .fetch_all(&self.pool)
        .await?
        {
            let d: Option<String> = r.try_get("last")?;
            if let Some(d) = d {
                last.insert((r.try_get("service_id")?, r.try_get("activity")?), StoreError::decode("quality_visits", "visit_date", &d)?);
            }
        }
        let histories = self.escalation_histories().await?;
        let results = self.last_visit_results(on).await?;
        let mut out = Vec::new();
        for s in &services {
            let id = s.id.clone();
            let kind = crate::quality::decode_as("services", "kind", &s.kind, ServiceKind::parse)?;
            if filter.kind.is_some_and(|k| k != kind) || filter.service_id.as_deref().is_some_and(|f| f != id) {
                continue;
            }
            // Only escalation decisions taken on or before `on` count.
            let hist: Vec<(Date, EscalationLevel)> =
                histories.get(&id).map(|h| h.iter().copied().filter(|(d, _)| *d <= on).collect()).unwrap_or_default();
            let (escalation, escalated_since, risk_management_since) = escalation_facts(&hist);
            let facts = ServiceFacts {
                kind,
                contract_status: crate::quality::decode_as("services", "contract_status", &s.contract_status, ContractStatus::parse)?,
                escalation,
                escalated_since,
                risk_management_since,
                cqc_rated: s.rating_overall.as_deref().is_some_and(|r| !r.trim().is_empty()),
                last_visit_result: results.get(&id).copied(),
            };
            for rule in rules.iter().filter(|r| r.rule.applies(&facts)) {
                let last_activity = rule.rule.last_satisfying(|a| last.get(&(id.clone(), a.as_str().to_string())).copied());
                // The service's own team, or else the rule's.
                let team = s.team.clone().or_else(|| rule.team.clone());
                let due = rule.rule.due(&facts, last_activity, on);
                let item = DueItem {
                    service_id: id.clone(),
                    service_name: s.name.clone(),
                    provider_id: s.provider_id.clone(),
                    provider_name: s.provider_name.clone(),
                    kind,
                    rule_id: rule.id.clone(),
                    rule_code: rule.code.clone(),
                    rule_name: rule.rule.name.clone(),
                    activity: activity_code(rule.rule.activity),
                    activity_label: activity_label(rule.rule.activity),
                    last_activity: last_activity.map(|d| d.to_string()),
                    counted_from: due.counted_from.map(|d| d.to_string()),
                    next_due: due.next_due.to_string(),
                    state: due.state,
                    state_label: due.state.label(),
                    days_overdue: due.days_overdue,
                    days_until: due.days_until,
                    no_visit_on_record: due.no_visit_on_record,
                    officer_id: s.officer_id.clone(),
                    officer_name: s.display_name.clone(),
                    team,
                };
                if filter.matches(&item) {
                    out.push(item);
                }
            }
        }
        out.sort_by(|a, b| {
            a.state
                .cmp(&b.state)
                .then(b.days_overdue.cmp(&a.days_overdue))
                .then(a.next_due.cmp(&b.next_due))
                .then(a.service_name.cmp(&b.service_name))
        });
        Ok(out)
    }
}
