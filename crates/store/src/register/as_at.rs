//! The market dashboard's figures as at a past date (issue 16 item 8), and the lists of
//! services behind them. A committee report is written as at a quarter's end; its figures must
//! be the ones that were true then, not today's.
//!
//! What "as at" means for each fact comes from the records that carry its history:
//! - on the register: registered by the date and not deregistered by it
//!   ([`ServiceFact::registered_on`]);
//! - the CQC rating: the latest report published on or before the date (rating history);
//! - the contract status: the status in force at the end of the date (the audit trail, through
//!   `core::register::contract_status_on`);
//! - inspected: a report published on or before the date that rated it, or said "Inspected but
//!   not rated". The dashboard today reads the last inspection date CQC gives; a past date can
//!   only read publication dates from the history, so the two can differ by the weeks between an
//!   inspection and its report.
//! - whether a service is in the council's area is not kept with history: today's answer is used.
//!
//! The counts are core's [`market_counts`] of the same services, and each list applies the same
//! predicate as the figure that links to it ([`AsAtSelection::matches`]), so a figure and its
//! list cannot disagree.

use super::figures::{KindRow, MarketFigures, RatingChange};
use super::{corrupt, decode_rating};
use crate::reports::ServiceFact;
use crate::{Result, Store};
use caremarket_core::Date;
use caremarket_core::register::{ContractStatus, CountedService, Rating, RatingChange as CoreRatingChange, ServiceKind, market_counts};
use serde::Serialize;
use sqlx::AssertSqlSafe;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Which services a figure as at a date counts: the query of `/dashboard/services`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AsAtSelection {
    pub kind: Option<ServiceKind>,
    pub contract_status: Option<ContractStatus>,
    /// Contracted in any way ([`ContractStatus::is_contracted`]).
    pub contracted: bool,
    /// Holding one of the four grades.
    pub rated: bool,
    pub good_or_outstanding: bool,
    pub never_inspected: bool,
    /// Last inspected (a report published) before this date.
    pub not_inspected_since: Option<Date>,
    /// With a change of overall rating in a report published on or after this date (and on or
    /// before the as-at date).
    pub rating_changed_since: Option<Date>,
}

/// One service as the dashboard counted it on a date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AsAtService {
    pub id: String,
    pub name: String,
    pub provider_name: String,
    pub kind: ServiceKind,
    pub contract_status: ContractStatus,
    pub overall: Option<Rating>,
    /// The publication date of the last report that rated it (or said "Inspected but not rated").
    pub last_report: Option<String>,
}

/// A change of rating as read: service id, name and kind, previous and new grade, publication date.
type ChangeTuple = (String, String, String, Option<String>, Option<String>, Option<String>);

/// A service on the market on the date, with what the figures need.
struct MarketFact {
    fact: ServiceFact,
    last_report: Option<Date>,
}

impl AsAtSelection {
    /// Whether a service counted on the date belongs to this selection. `changed` holds the
    /// services with a change of rating in the selection's period.
    fn matches(&self, m: &MarketFact, changed: &BTreeSet<String>) -> bool {
        let f = &m.fact;
        self.kind.is_none_or(|k| k == f.kind)
            && self.contract_status.is_none_or(|c| c == f.contract_status)
            && (!self.contracted || f.contract_status.is_contracted())
            && (!self.rated || f.overall.is_some_and(Rating::is_grade))
            && (!self.good_or_outstanding || f.overall.is_some_and(|r| r.is_grade() && r.is_good_or_outstanding()))
            && (!self.never_inspected || m.last_report.is_none())
            && self.not_inspected_since.is_none_or(|d| m.last_report.is_some_and(|r| r < d))
            && (self.rating_changed_since.is_none() || changed.contains(&f.id))
    }
}

impl Store {
    /// The services on the market on `as_at`: in the council's area and on CQC's register then.
    async fn market_as_at(&self, as_at: Date) -> Result<Vec<MarketFact>> {
        let inspected: Vec<String> =
            Rating::GRADES.iter().chain([Rating::InspectedButNotRated].iter()).map(|r| format!("'{}'", r.as_str())).collect();
        // The codes are fixed ASCII identifiers (`Rating::as_str`), so quoting them is safe.
        let rows: Vec<(String, String)> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT service_id, MAX(report_date) FROM rating_history
             WHERE report_date IS NOT NULL AND report_date <= $1 AND overall IN ({}) GROUP BY service_id",
            inspected.join(",")
        )))
        .bind(as_at.to_string())
        .fetch_all(&self.pool)
        .await?;
        let mut last: HashMap<String, Date> = HashMap::with_capacity(rows.len());
        for (id, d) in rows {
            let day = d.get(..10).unwrap_or(&d);
            last.insert(id, day.parse().map_err(|_| corrupt("rating_history", "report_date", &d))?);
        }
        Ok(self
            .service_facts_as_at(as_at)
            .await?
            .into_iter()
            .filter(|f| f.in_area && f.registered_on(as_at))
            .map(|fact| MarketFact { last_report: last.get(&fact.id).copied(), fact })
            .collect())
    }

    /// Changes of overall rating published from `since` to `as_at` (both included) for the
    /// services given, newest first: core's definition of a change, as the dashboard today.
    async fn rating_changes_between(&self, since: Date, as_at: Date, on_market: &BTreeSet<String>) -> Result<Vec<RatingChange>> {
        let rows: Vec<ChangeTuple> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT s.id, s.name, s.kind, h.previous_overall, h.overall, h.report_date
                 FROM rating_history h JOIN services s ON s.id = h.service_id
                 WHERE h.report_date >= $1 AND h.report_date <= $2 AND {}
                 ORDER BY h.report_date DESC, s.name",
            CoreRatingChange::sql_condition("h.previous_overall", "h.overall")
        )))
        .bind(since.to_string())
        .bind(as_at.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .filter(|r| on_market.contains(&r.0))
            .map(|(id, name, kind, from, to, report_date)| {
                Ok(RatingChange {
                    kind: ServiceKind::parse(&kind).ok_or_else(|| corrupt("services", "kind", &kind))?,
                    from: decode_rating("rating_history", "previous_overall", from.as_deref())?,
                    to: decode_rating("rating_history", "overall", to.as_deref())?,
                    service_id: id,
                    service_name: name,
                    report_date,
                })
            })
            .collect()
    }

    /// [`Store::market_figures`] as they stood at the end of `as_at`. `as_at` in the result is
    /// the date itself (they were computed now, for that date).
    pub async fn market_figures_as_at(&self, as_at: Date, not_inspected_before: Date, changes_since: Date) -> Result<MarketFigures> {
        let market = self.market_as_at(as_at).await?;
        let ids: BTreeSet<String> = market.iter().map(|m| m.fact.id.clone()).collect();
        let changes = self.rating_changes_between(changes_since, as_at, &ids).await?;
        let changed: BTreeSet<String> = changes.iter().map(|c| c.service_id.clone()).collect();
        let counted: Vec<CountedService> = market
            .iter()
            .map(|m| CountedService { kind: m.fact.kind, contract_status: m.fact.contract_status, overall: m.fact.overall })
            .collect();
        let national: BTreeMap<ServiceKind, _> = self.national_benchmarks().await?.into_iter().map(|b| (b.kind, b)).collect();
        let counts = market_counts(&counted, |k| national.get(&k).map(|b: &super::NationalBenchmark| b.percent_good_or_outstanding));
        let count = |sel: AsAtSelection| market.iter().filter(|m| sel.matches(m, &changed)).count() as i64;
        let out_of_area_placements: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM placements WHERE start_date <= $1 AND (end_date IS NULL OR end_date > $1)")
                .bind(as_at.to_string())
                .fetch_one(&self.pool)
                .await?;
        Ok(MarketFigures {
            as_at: as_at.to_string(),
            total_services: counts.total,
            total_providers: market.iter().map(|m| m.fact.provider_id.as_str()).collect::<BTreeSet<_>>().len() as i64,
            by_kind: counts
                .by_kind
                .into_iter()
                .map(|k| KindRow {
                    kind: k.kind,
                    services: k.services,
                    contracted: k.contracted,
                    rated: k.rated,
                    good_or_outstanding: k.good_or_outstanding,
                    percent_good_or_outstanding: k.percent_good_or_outstanding,
                    national: national.get(&k.kind).cloned(),
                })
                .collect(),
            by_contract: counts.by_contract.into_iter().collect(),
            kind_by_contract: counts.kind_by_contract,
            never_inspected: count(AsAtSelection { never_inspected: true, ..Default::default() }),
            not_inspected_since: count(AsAtSelection { not_inspected_since: Some(not_inspected_before), ..Default::default() }),
            not_inspected_since_date: not_inspected_before.to_string(),
            rating_changes_since: changes_since.to_string(),
            rating_changed_services: changed.len() as i64,
            rating_changes: changes,
            out_of_area_placements,
        })
    }

    /// The services a figure as at `as_at` counts, by name.
    pub async fn services_as_at(&self, as_at: Date, sel: &AsAtSelection) -> Result<Vec<AsAtService>> {
        let market = self.market_as_at(as_at).await?;
        let changed: BTreeSet<String> = match sel.rating_changed_since {
            Some(since) => {
                let ids: BTreeSet<String> = market.iter().map(|m| m.fact.id.clone()).collect();
                self.rating_changes_between(since, as_at, &ids).await?.into_iter().map(|c| c.service_id).collect()
            }
            None => BTreeSet::new(),
        };
        let names: Vec<(String, String, String)> =
            sqlx::query_as("SELECT s.id, s.name, p.name FROM services s JOIN providers p ON p.id = s.provider_id")
                .fetch_all(&self.pool)
                .await?;
        let names: HashMap<String, (String, String)> = names.into_iter().map(|(id, s, p)| (id, (s, p))).collect();
        let mut out: Vec<AsAtService> = market
            .into_iter()
            .filter(|m| sel.matches(m, &changed))
            .map(|m| {
                let (name, provider_name) = names.get(&m.fact.id).cloned().unwrap_or_default();
                AsAtService {
                    name,
                    provider_name,
                    kind: m.fact.kind,
                    contract_status: m.fact.contract_status,
                    overall: m.fact.overall,
                    last_report: m.last_report.map(|d| d.to_string()),
                    id: m.fact.id,
                }
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }
}
