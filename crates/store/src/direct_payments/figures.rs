//! What the Self-Directed Support figures read: every DP's facts and spend totals. The figures
//! themselves are computed by `caremarket_core::direct_payments::figures`.

use super::spend::TotalRow;
use super::{date, date_opt};
use crate::{Result, Store, StoreError};
use caremarket_core::Date;
use caremarket_core::direct_payments::figures::DpFact;

#[derive(sqlx::FromRow)]
struct FactRow {
    id: String,
    service_area: String,
    is_child: i64,
    holding: String,
    start_date: String,
    end_date: Option<String>,
    closure_reason: Option<String>,
    ethnicity: Option<String>,
    religion: Option<String>,
}

impl TryFrom<FactRow> for DpFact {
    type Error = StoreError;
    fn try_from(r: FactRow) -> Result<DpFact> {
        Ok(DpFact {
            holding: StoreError::decode("direct_payments", "holding", &r.holding)?,
            start: date("direct_payments", "start_date", &r.start_date)?,
            end: date_opt("direct_payments", "end_date", r.end_date.as_deref())?,
            id: r.id,
            service_area: r.service_area,
            is_child: r.is_child != 0,
            closure_reason: r.closure_reason,
            ethnicity: r.ethnicity,
            religion: r.religion,
        })
    }
}

#[derive(sqlx::FromRow)]
struct CategoryRow {
    category: String,
    people: i64,
    total: Option<i64>,
}

impl Store {
    /// Every DP as the Self-Directed Support figures need it.
    pub async fn dp_facts(&self) -> Result<Vec<DpFact>> {
        let rows: Vec<FactRow> = sqlx::query_as(
            "SELECT id, service_area, is_child, holding, start_date, end_date, closure_reason, ethnicity, religion FROM direct_payments",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(DpFact::try_from).collect()
    }

    /// Adults' spend between `from` and `to` (inclusive) by category: (category, people, pence).
    /// People count each DP once per category: a person using several categories is in each.
    pub async fn spend_by_category(&self, from: Date, to: Date, children: bool) -> Result<Vec<(String, i64, i64)>> {
        let rows: Vec<CategoryRow> = sqlx::query_as(
            "SELECT s.category, COUNT(DISTINCT s.dp_id) AS people, CAST(SUM(s.amount_pence) AS BIGINT) AS total
             FROM dp_spend s JOIN direct_payments d ON d.id = s.dp_id
             WHERE s.spend_date >= $1 AND s.spend_date <= $2 AND d.is_child = $3 GROUP BY s.category ORDER BY s.category",
        )
        .bind(from.to_string())
        .bind(to.to_string())
        .bind(i64::from(children))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| (r.category, r.people, r.total.unwrap_or(0))).collect())
    }

    /// Spend between `from` and `to` by funding service area: (area, pence).
    pub async fn spend_by_area(&self, from: Date, to: Date, children: bool) -> Result<Vec<(String, i64)>> {
        let rows: Vec<TotalRow> = sqlx::query_as(
            "SELECT d.service_area AS item, CAST(SUM(s.amount_pence) AS BIGINT) AS total
             FROM dp_spend s JOIN direct_payments d ON d.id = s.dp_id
             WHERE s.spend_date >= $1 AND s.spend_date <= $2 AND d.is_child = $3 GROUP BY d.service_area ORDER BY d.service_area",
        )
        .bind(from.to_string())
        .bind(to.to_string())
        .bind(i64::from(children))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| (r.item, r.total.unwrap_or(0))).collect())
    }
}
