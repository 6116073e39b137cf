//! The quarterly report's records: officers' narrative per quarter, the front matter and the
//! council's markets (settings), published quarters frozen whole, and the register's facts as
//! at a past date. Figures are made from these by `caremarket_core`; nothing here decides.

use crate::audit::record;
use crate::{Actor, Result, Store, StoreError, now_timestamp};
use caremarket_core::Date;
use caremarket_core::register::{ClosureReason, ContractChange, ContractStatus, Rating, ServiceKind, contract_status_on};
use caremarket_core::reports::quarterly::{FrontMatter, Market, MarketKinds, QuarterlyReport, Section};
use serde_json::json;
use sqlx::AssertSqlSafe;
use std::collections::BTreeMap;

const FRONT_MATTER: &str = "report_front_matter";
const MARKET_KINDS: &str = "report_market_kinds";
/// The settings the report's settings form saves together, each with its own version.
pub const REPORT_SETTINGS: [&str; 2] = [FRONT_MATTER, MARKET_KINDS];

/// Officers' words for one market and section, for the quarter ending `as_at` or carried from
/// an earlier quarter (`carried_from`) until edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Narrative {
    pub market: Market,
    pub section: Section,
    pub narrative: String,
    pub action_plan: String,
    pub carried_from: Option<Date>,
}

/// A service as the report counts it on a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceFact {
    pub id: String,
    pub provider_id: String,
    pub kind: ServiceKind,
    /// The contract status at the end of the date (`core::register::contract_status_on`).
    pub contract_status: ContractStatus,
    pub in_area: bool,
    pub registered_on: Option<Date>,
    pub deregistered_on: Option<Date>,
    /// The overall rating of the latest CQC report published on or before the date.
    pub overall: Option<Rating>,
    /// Why it closed, where the council has recorded it (`service_closures`).
    pub closure_reason: Option<ClosureReason>,
}

impl ServiceFact {
    /// On CQC's register on `d`: registered by then (or with no registration date recorded)
    /// and not deregistered by then.
    pub fn registered_on(&self, d: Date) -> bool {
        self.registered_on.is_none_or(|r| r <= d) && self.deregistered_on.is_none_or(|x| x > d)
    }
}

#[derive(sqlx::FromRow)]
struct FactRow {
    id: String,
    provider_id: String,
    kind: String,
    contract_status: String,
    in_area: i64,
    registration_date: Option<String>,
    deregistration_date: Option<String>,
    overall: Option<String>,
    closure_reason: Option<String>,
}

/// An audit entry of a service's update, as `contract_changes` reads it.
#[derive(sqlx::FromRow)]
struct ChangeRow {
    entity_id: Option<String>,
    at: String,
    before_json: Option<String>,
    after_json: Option<String>,
}

#[derive(sqlx::FromRow)]
struct NarrativeRow {
    as_at: String,
    market: String,
    section: String,
    narrative: String,
    action_plan: String,
}

fn date(table: &'static str, column: &'static str, s: &str) -> Result<Date> {
    s.get(..10).and_then(|d| d.parse().ok()).ok_or_else(|| StoreError::Corrupt { table, column, value: s.to_string() })
}

/// A published report's date, as the report page lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedSummary {
    pub as_at: Date,
    pub published_at: String,
    pub published_by: String,
}

impl Store {
    pub async fn report_front_matter(&self) -> Result<FrontMatter> {
        match self.setting(FRONT_MATTER).await? {
            None => Ok(FrontMatter::default()),
            Some(v) => serde_json::from_str(&v).map_err(|_| StoreError::Corrupt {
                table: "settings",
                column: FRONT_MATTER,
                value: v.chars().take(40).collect(),
            }),
        }
    }

    pub async fn set_report_front_matter(&self, actor: &Actor, fm: &FrontMatter) -> Result<()> {
        let v = serde_json::to_string(fm).map_err(|e| StoreError::invalid("front_matter", e.to_string()))?;
        self.set_setting_by(actor, FRONT_MATTER, &v).await
    }

    pub async fn report_market_kinds(&self) -> Result<MarketKinds> {
        match self.setting(MARKET_KINDS).await? {
            None => Ok(MarketKinds::default()),
            Some(v) => serde_json::from_str(&v).map_err(|_| StoreError::Corrupt {
                table: "settings",
                column: MARKET_KINDS,
                value: v.chars().take(40).collect(),
            }),
        }
    }

    pub async fn set_report_market_kinds(&self, actor: &Actor, mk: &MarketKinds) -> Result<()> {
        let v = serde_json::to_string(mk).map_err(|e| StoreError::invalid("kinds", e.to_string()))?;
        self.set_setting_by(actor, MARKET_KINDS, &v).await
    }

    /// The report's settings form: its front matter and the markets it reports, from the
    /// versions the form was opened at ([`REPORT_SETTINGS`]' order); both or neither are saved.
    pub async fn set_report_settings_at(
        &self,
        actor: &Actor,
        fm: &FrontMatter,
        mk: &MarketKinds,
        expected: [caremarket_core::versions::Version; 2],
    ) -> Result<()> {
        let fm = serde_json::to_string(fm).map_err(|e| StoreError::invalid("front_matter", e.to_string()))?;
        let mk = serde_json::to_string(mk).map_err(|e| StoreError::invalid("kinds", e.to_string()))?;
        self.set_settings_at(
            actor,
            &[
                crate::SettingSave { key: FRONT_MATTER, value: fm, expected: expected[0] },
                crate::SettingSave { key: MARKET_KINDS, value: mk, expected: expected[1] },
            ],
        )
        .await
    }

    /// The narrative of every market and section for the quarter ending `as_at`: its own where
    /// saved, else the latest saved for an earlier date (carried forward for editing).
    pub async fn report_narratives(&self, as_at: Date) -> Result<Vec<Narrative>> {
        let rows: Vec<NarrativeRow> = sqlx::query_as(
            "SELECT as_at, market, section, narrative, action_plan FROM report_narratives WHERE as_at <= $1 ORDER BY as_at DESC",
        )
        .bind(as_at.to_string())
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<Narrative> = Vec::new();
        for r in rows {
            let market = Market::parse(&r.market).ok_or_else(|| StoreError::Corrupt {
                table: "report_narratives",
                column: "market",
                value: r.market.clone(),
            })?;
            let section = Section::parse(&r.section).ok_or_else(|| StoreError::Corrupt {
                table: "report_narratives",
                column: "section",
                value: r.section.clone(),
            })?;
            if out.iter().any(|n| n.market == market && n.section == section) {
                continue; // an earlier quarter's words, already superseded
            }
            let d = date("report_narratives", "as_at", &r.as_at)?;
            out.push(Narrative {
                market,
                section,
                narrative: r.narrative,
                action_plan: r.action_plan,
                carried_from: (d != as_at).then_some(d),
            });
        }
        Ok(out)
    }

    /// The version of one section's words for the quarter ending `as_at` (decision 25): 1 while
    /// the quarter has none of its own (words carried forward are an earlier quarter's record).
    pub async fn report_narrative_version(&self, as_at: Date, market: Market, section: Section) -> Result<i64> {
        let v: Option<i64> =
            sqlx::query_scalar("SELECT CAST(version AS BIGINT) FROM report_narratives WHERE as_at = $1 AND market = $2 AND section = $3")
                .bind(as_at.to_string())
                .bind(market.as_str())
                .bind(section.as_str())
                .fetch_optional(&self.pool)
                .await?;
        Ok(v.unwrap_or(1))
    }

    /// Save one section's words for the quarter ending `as_at`. A published quarter is frozen.
    pub async fn save_report_narrative(
        &self,
        actor: &Actor,
        as_at: Date,
        market: Market,
        section: Section,
        narrative: &str,
        action_plan: &str,
    ) -> Result<()> {
        self.write_report_narrative(actor, (as_at, market, section), narrative, action_plan, None).await
    }

    /// As [`Store::save_report_narrative`], from the section form opened at `expected`: refused
    /// `Stale`, with nothing written, if the quarter's words were saved since.
    pub async fn save_report_narrative_at(
        &self,
        actor: &Actor,
        (as_at, market, section): (Date, Market, Section),
        narrative: &str,
        action_plan: &str,
        expected: caremarket_core::versions::Version,
    ) -> Result<()> {
        self.write_report_narrative(actor, (as_at, market, section), narrative, action_plan, Some(expected)).await
    }

    async fn write_report_narrative(
        &self,
        actor: &Actor,
        (as_at, market, section): (Date, Market, Section),
        narrative: &str,
        action_plan: &str,
        expected: Option<caremarket_core::versions::Version>,
    ) -> Result<()> {
        use caremarket_core::limits;
        limits::check_text("narrative", "Where are we now", narrative, limits::FIELD_CHARS).map_err(StoreError::Invalid)?;
        limits::check_text("action_plan", "Action plan", action_plan, limits::FIELD_CHARS).map_err(StoreError::Invalid)?;
        if !market.sections().contains(&section) {
            return Err(StoreError::invalid("section", format!("{} has no {} section", market.label(), section.label())));
        }
        if self.published_report(as_at).await?.is_some() {
            return Err(StoreError::Conflict(format!("The report as at {as_at} is published and cannot be changed")));
        }
        let before = self
            .report_narratives(as_at)
            .await?
            .into_iter()
            .find(|n| n.market == market && n.section == section && n.carried_from.is_none());
        if let Some(expected) = expected {
            crate::versions::check_current(self.report_narrative_version(as_at, market, section).await?, expected)?;
        }
        let mut tx = self.begin_write().await?;
        let now = now_timestamp();
        // Without a version (the demo, the command line) the save replaces whatever is there;
        // with one, an update only from that version, or a first insert only from version 1.
        let guard = match expected {
            None => String::new(),
            Some(v) => format!(" WHERE report_narratives.version = {}", v.get()),
        };
        let written = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO report_narratives (as_at, market, section, narrative, action_plan, updated_by, updated_at, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 2)
             ON CONFLICT (as_at, market, section) DO UPDATE SET narrative = excluded.narrative,
               action_plan = excluded.action_plan, updated_by = excluded.updated_by, updated_at = excluded.updated_at,
               version = report_narratives.version + 1{guard}"
        )))
        .bind(as_at.to_string())
        .bind(market.as_str())
        .bind(section.as_str())
        .bind(narrative)
        .bind(action_plan)
        .bind(&actor.label)
        .bind(&now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if written == 0 || (expected.is_some_and(|v| v.get() > 1) && before.is_none()) {
            drop(tx);
            let current = self.report_narrative_version(as_at, market, section).await?;
            return Err(StoreError::Stale { current });
        }
        let id = format!("{as_at}/{}/{}", market.as_str(), section.as_str());
        record(
            &mut tx,
            actor,
            "update",
            "report_narrative",
            Some(&id),
            &format!("Edited the {} {} narrative of the report as at {as_at}", market.label(), section.label()),
            before.map(|b| json!({"narrative": b.narrative, "action_plan": b.action_plan})).as_ref(),
            Some(&json!({"narrative": narrative, "action_plan": action_plan})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Freeze a report: its figures and words are stored whole, so re-opening it gives the same
    /// paper. A quarter is published once.
    pub async fn publish_report(&self, actor: &Actor, report: &QuarterlyReport) -> Result<()> {
        let body = serde_json::to_string(report).map_err(|e| StoreError::invalid("report", e.to_string()))?;
        let mut tx = self.begin_write().await?;
        let exists: Option<String> = sqlx::query_scalar("SELECT as_at FROM published_reports WHERE as_at = $1")
            .bind(report.as_at.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_some() {
            return Err(StoreError::Conflict(format!("The report as at {} is already published", report.as_at)));
        }
        let now = now_timestamp();
        sqlx::query("INSERT INTO published_reports (as_at, report_json, published_at, published_by) VALUES ($1, $2, $3, $4)")
            .bind(report.as_at.to_string())
            .bind(&body)
            .bind(&now)
            .bind(&actor.label)
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            "publish",
            "quarterly_report",
            Some(&report.as_at.to_string()),
            &format!("Published the Market Oversight Report {} as at {}", report.title, report.as_at),
            None,
            Some(&json!({"as_at": report.as_at.to_string(), "sections": report.sections.len()})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The published report as at `as_at`, as it was frozen.
    pub async fn published_report(&self, as_at: Date) -> Result<Option<QuarterlyReport>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT report_json FROM published_reports WHERE as_at = $1")
            .bind(as_at.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|(j,)| {
            serde_json::from_str(&j).map_err(|_| StoreError::Corrupt {
                table: "published_reports",
                column: "report_json",
                value: as_at.to_string(),
            })
        })
        .transpose()
    }

    /// The latest report published for a date before `as_at`: what "change since last" compares with.
    pub async fn previous_published_report(&self, as_at: Date) -> Result<Option<QuarterlyReport>> {
        let d: Option<String> = sqlx::query_scalar("SELECT as_at FROM published_reports WHERE as_at < $1 ORDER BY as_at DESC LIMIT 1")
            .bind(as_at.to_string())
            .fetch_optional(&self.pool)
            .await?;
        match d {
            None => Ok(None),
            Some(d) => self.published_report(date("published_reports", "as_at", &d)?).await,
        }
    }

    pub async fn published_reports(&self) -> Result<Vec<PublishedSummary>> {
        let rows: Vec<(String, String, String)> =
            sqlx::query_as("SELECT as_at, published_at, published_by FROM published_reports ORDER BY as_at DESC")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|(a, at, by)| Ok(PublishedSummary { as_at: date("published_reports", "as_at", &a)?, published_at: at, published_by: by }))
            .collect()
    }

    /// Every service with its overall rating as at `as_at` (the latest report published on or
    /// before it), for the report's register figures on a past date.
    /// Every recorded change of a service's contract status, oldest first, by service. The
    /// audit log is the record: every edit of the council's fields and every framework
    /// membership change writes its status before and after in the same transaction as the
    /// change (decision 21), so the history reaches back to the first change ever made.
    pub async fn contract_changes(&self) -> Result<BTreeMap<String, Vec<ContractChange>>> {
        let rows: Vec<ChangeRow> = sqlx::query_as(
            "SELECT entity_id, at, before_json, after_json FROM audit_log
             WHERE entity_type = 'service' AND action = 'update' AND after_json LIKE '%contract_status%' ORDER BY at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        let status = |json: Option<&str>, column: &'static str| -> Result<Option<ContractStatus>> {
            let Some(j) = json else { return Ok(None) };
            let v: serde_json::Value = serde_json::from_str(j).map_err(|_| StoreError::Corrupt {
                table: "audit_log",
                column,
                value: j.chars().take(40).collect(),
            })?;
            match v.get("contract_status").and_then(|s| s.as_str()) {
                None => Ok(None),
                Some(s) => ContractStatus::parse(s).map(Some).ok_or_else(|| StoreError::Corrupt {
                    table: "audit_log",
                    column,
                    value: s.to_string(),
                }),
            }
        };
        let mut out: BTreeMap<String, Vec<ContractChange>> = BTreeMap::new();
        for ChangeRow { entity_id: id, at, before_json: before, after_json: after } in rows {
            let (Some(id), Some(before), Some(after)) =
                (id, status(before.as_deref(), "before_json")?, status(after.as_deref(), "after_json")?)
            else {
                continue;
            };
            if before == after {
                continue; // an edit of other fields
            }
            out.entry(id).or_default().push(ContractChange { on: date("audit_log", "at", &at)?, before, after });
        }
        Ok(out)
    }

    pub async fn service_facts_as_at(&self, as_at: Date) -> Result<Vec<ServiceFact>> {
        let rows: Vec<FactRow> = sqlx::query_as(
            // A service CQC lists as deregistered without a date is taken as deregistered on
            // every date asked about: nothing says when it was still registered.
            "SELECT s.id, s.provider_id, s.kind, s.contract_status, s.in_area, s.registration_date,
               COALESCE(s.deregistration_date, CASE WHEN s.registration_status = 'deregistered' THEN '0001-01-01' END) AS deregistration_date,
               (SELECT h.overall FROM rating_history h WHERE h.service_id = s.id AND h.report_date IS NOT NULL AND h.report_date <= $1
                  ORDER BY h.report_date DESC, h.recorded_at DESC, h.id DESC LIMIT 1) AS overall,
               c.reason AS closure_reason
             FROM services s LEFT JOIN service_closures c ON c.service_id = s.id ORDER BY s.id",
        )
        .bind(as_at.to_string())
        .fetch_all(&self.pool)
        .await?;
        let changes = self.contract_changes().await?;
        rows.into_iter()
            .map(|r| {
                let now = ContractStatus::parse(&r.contract_status).ok_or_else(|| StoreError::Corrupt {
                    table: "services",
                    column: "contract_status",
                    value: r.contract_status.clone(),
                })?;
                Ok(ServiceFact {
                    kind: ServiceKind::parse(&r.kind).ok_or_else(|| StoreError::Corrupt {
                        table: "services",
                        column: "kind",
                        value: r.kind.clone(),
                    })?,
                    contract_status: contract_status_on(now, changes.get(&r.id).map(Vec::as_slice).unwrap_or(&[]), as_at),
                    in_area: r.in_area != 0,
                    registered_on: r.registration_date.as_deref().map(|d| date("services", "registration_date", d)).transpose()?,
                    deregistered_on: r.deregistration_date.as_deref().map(|d| date("services", "deregistration_date", d)).transpose()?,
                    overall: match r.overall.as_deref() {
                        None => None,
                        Some(o) => Some(Rating::parse(o).ok_or_else(|| StoreError::Corrupt {
                            table: "rating_history",
                            column: "overall",
                            value: o.to_string(),
                        })?),
                    },
                    closure_reason: match r.closure_reason.as_deref() {
                        None => None,
                        Some(c) => Some(ClosureReason::parse(c).ok_or_else(|| StoreError::Corrupt {
                            table: "service_closures",
                            column: "reason",
                            value: c.to_string(),
                        })?),
                    },
                    id: r.id,
                    provider_id: r.provider_id,
                })
            })
            .collect()
    }
}
