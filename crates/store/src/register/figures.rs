//! The dashboard's figures: counts by kind and contract (core's [`market_counts`]), inspection
//! gaps and changes of rating (the service filter's clauses, so each figure links to its
//! services), and the national comparators.

use super::filter::{ServiceFilter, count_of, where_clause};
use super::{corrupt, decode_rating};
use crate::audit::{Actor, record};
use crate::kept::Kept;
use crate::{Result, Store, StoreError, now_timestamp};
use caremarket_core::Date;
use caremarket_core::register::{
    ContractStatus, CountedService, Rating, RatingChange as CoreRatingChange, RegistrationStatus, ServiceKind, market_counts,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AssertSqlSafe;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatingChange {
    pub service_id: String,
    pub service_name: String,
    pub kind: ServiceKind,
    pub from: Option<Rating>,
    pub to: Option<Rating>,
    pub report_date: Option<String>,
}
#[derive(sqlx::FromRow)]
struct ChangeRow {
    id: String,
    name: String,
    kind: String,
    previous_overall: Option<String>,
    overall: Option<String>,
    report_date: Option<String>,
}

impl TryFrom<ChangeRow> for RatingChange {
    type Error = StoreError;
    fn try_from(r: ChangeRow) -> Result<Self> {
        Ok(RatingChange {
            kind: ServiceKind::parse(&r.kind).ok_or_else(|| corrupt("services", "kind", &r.kind))?,
            from: decode_rating("rating_history", "previous_overall", r.previous_overall.as_deref())?,
            to: decode_rating("rating_history", "overall", r.overall.as_deref())?,
            service_id: r.id,
            service_name: r.name,
            report_date: r.report_date,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NationalBenchmark {
    pub kind: ServiceKind,
    pub percent_good_or_outstanding: f64,
    pub rated_services: Option<i64>,
    pub as_at: String,
    pub source: String,
}

#[derive(sqlx::FromRow)]
struct BenchmarkRow {
    kind: String,
    percent_good_or_outstanding: f64,
    rated_services: Option<i64>,
    as_at: String,
    source: String,
}

impl TryFrom<BenchmarkRow> for NationalBenchmark {
    type Error = StoreError;
    fn try_from(r: BenchmarkRow) -> Result<Self> {
        Ok(NationalBenchmark {
            kind: ServiceKind::parse(&r.kind).ok_or_else(|| corrupt("national_benchmarks", "kind", &r.kind))?,
            percent_good_or_outstanding: r.percent_good_or_outstanding,
            rated_services: r.rated_services,
            as_at: r.as_at,
            source: r.source,
        })
    }
}

/// The dashboard's figures, all as at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarketFigures {
    pub as_at: String,
    pub total_services: i64,
    pub total_providers: i64,
    pub by_kind: Vec<KindRow>,
    pub by_contract: Vec<(ContractStatus, i64)>,
    /// kind -> contract status -> count.
    pub kind_by_contract: BTreeMap<ServiceKind, BTreeMap<ContractStatus, i64>>,
    pub never_inspected: i64,
    pub not_inspected_since: i64,
    pub not_inspected_since_date: String,
    pub rating_changes_since: String,
    pub rating_changes: Vec<RatingChange>,
    /// Services with at least one of `rating_changes`: what the dashboard's figure counts and
    /// its link (`/services?rating_changed_since=`) lists.
    pub rating_changed_services: i64,
    pub out_of_area_placements: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KindRow {
    pub kind: ServiceKind,
    pub services: i64,
    pub contracted: i64,
    pub rated: i64,
    pub good_or_outstanding: i64,
    pub percent_good_or_outstanding: Option<f64>,
    pub national: Option<NationalBenchmark>,
}
impl Store {
    pub async fn set_national_benchmark(&self, actor: &Actor, b: &NationalBenchmark) -> Result<()> {
        let mut tx = self.begin_write().await?;
        set_national_benchmark_tx(&mut tx, b).await?;
        record(
            &mut tx,
            actor,
            "update",
            "national_benchmark",
            Some(b.kind.as_str()),
            &format!("National figure for {} set to {}%", b.kind.label(), b.percent_good_or_outstanding),
            None,
            Some(&json!({"percent": b.percent_good_or_outstanding, "source": b.source, "as_at": b.as_at})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn national_benchmarks(&self) -> Result<Vec<NationalBenchmark>> {
        let rows = sqlx::query_as::<_, BenchmarkRow>(
            "SELECT kind, percent_good_or_outstanding, rated_services, as_at, source FROM national_benchmarks ORDER BY kind",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(NationalBenchmark::try_from).collect()
    }

    // ----- figures -----

    /// The market at a glance, as at now. `not_inspected_before` and `changes_since` are the
    /// dates the commissioner chose (defaults: 2020-01-01 as in `004` §4.22, and 90 days ago).
    /// The counts by kind and contract are core's [`market_counts`] of the services loaded here.
    pub async fn market_figures(&self, not_inspected_before: Date, changes_since: Date) -> Result<MarketFigures> {
        let rows: Vec<(String, String, Option<String>)> =
            sqlx::query_as("SELECT kind, contract_status, rating_overall FROM services WHERE in_area = 1 AND registration_status <> $1")
                .bind(RegistrationStatus::Deregistered.as_str())
                .fetch_all(&self.pool)
                .await?;
        let services = rows
            .iter()
            .map(|(kind, cs, overall)| {
                Ok(CountedService {
                    kind: ServiceKind::parse(kind).ok_or_else(|| corrupt("services", "kind", kind))?,
                    contract_status: ContractStatus::parse(cs).ok_or_else(|| corrupt("services", "contract_status", cs))?,
                    overall: decode_rating("services", "rating_overall", overall.as_deref())?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let national: BTreeMap<ServiceKind, NationalBenchmark> =
            self.national_benchmarks().await?.into_iter().map(|b| (b.kind, b)).collect();
        let counts = market_counts(&services, |k| national.get(&k).map(|b| b.percent_good_or_outstanding));
        let by_kind = counts
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
            .collect();
        let count = |f: ServiceFilter| async move {
            let w = where_clause(&f);
            Ok::<i64, StoreError>(count_of(&w).query_scalar().fetch_one(&self.pool).await?)
        };
        let never_inspected = count(ServiceFilter { never_inspected: true, ..Default::default() }).await?;
        let not_inspected_since = count(ServiceFilter { not_inspected_since: Some(not_inspected_before), ..Default::default() }).await?;
        let rating_changed_services = count(ServiceFilter { rating_changed_since: Some(changes_since), ..Default::default() }).await?;
        let total_providers: i64 =
            sqlx::query_scalar("SELECT COUNT(DISTINCT provider_id) FROM services WHERE in_area = 1 AND registration_status <> $1")
                .bind(RegistrationStatus::Deregistered.as_str())
                .fetch_one(&self.pool)
                .await?;
        let out_of_area_placements: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM placements WHERE end_date IS NULL").fetch_one(&self.pool).await?;
        Ok(MarketFigures {
            as_at: now_timestamp(),
            total_services: counts.total,
            total_providers,
            by_kind,
            by_contract: counts.by_contract.into_iter().collect(),
            kind_by_contract: counts.kind_by_contract,
            never_inspected,
            not_inspected_since,
            not_inspected_since_date: not_inspected_before.to_string(),
            rating_changes_since: changes_since.to_string(),
            rating_changes: self.rating_changes(changes_since).await?,
            rating_changed_services,
            out_of_area_placements,
        })
    }

    /// [`Store::market_figures`] kept (`crate::kept`): computed again only when a record behind
    /// them has changed since, or for other dates.
    pub async fn kept_market_figures(&self, not_inspected_before: Date, changes_since: Date) -> Result<Kept<MarketFigures>> {
        let as_on = format!("{not_inspected_before}|{changes_since}");
        self.kept_figure("market_figures", &as_on, self.market_figures(not_inspected_before, changes_since)).await
    }

    /// Changes of overall rating with a report date on or after `since`, newest first.
    pub async fn rating_changes(&self, since: Date) -> Result<Vec<RatingChange>> {
        // The same services as the register's `rating_changed_since` filter (in the area, not
        // deregistered) and core's definition of a change, so the list and the count agree.
        let rows = sqlx::query_as::<_, ChangeRow>(AssertSqlSafe(format!(
            "SELECT s.id, s.name, s.kind, h.previous_overall, h.overall, h.report_date
             FROM rating_history h JOIN services s ON s.id = h.service_id
             WHERE s.in_area = 1 AND s.registration_status <> $2 AND h.report_date >= $1 AND {}
             ORDER BY h.report_date DESC, s.name",
            CoreRatingChange::sql_condition("h.previous_overall", "h.overall")
        )))
        .bind(since.to_string())
        .bind(RegistrationStatus::Deregistered.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(RatingChange::try_from).collect()
    }
}

pub(crate) async fn set_national_benchmark_tx(tx: &mut sqlx::Transaction<'_, sqlx::Any>, b: &NationalBenchmark) -> Result<()> {
    sqlx::query(
        "INSERT INTO national_benchmarks (kind, percent_good_or_outstanding, rated_services, as_at, source) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (kind) DO UPDATE SET percent_good_or_outstanding = excluded.percent_good_or_outstanding,
           rated_services = excluded.rated_services, as_at = excluded.as_at, source = excluded.source",
    )
    .bind(b.kind.as_str())
    .bind(b.percent_good_or_outstanding)
    .bind(b.rated_services)
    .bind(&b.as_at)
    .bind(&b.source)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
