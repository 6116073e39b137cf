//! Individual Service Funds: a person's budget held by a provider.

use super::{date, date_opt};
use crate::audit::{Actor, record};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::direct_payments::BudgetPeriod;
use caremarket_core::direct_payments::rpl::IsfDraft;
use serde::Serialize;
use serde_json::json;

#[derive(Debug, Clone, Serialize)]
pub struct Isf {
    pub id: String,
    pub person_ref: String,
    pub provider_id: String,
    pub provider_name: String,
    pub budget_pence: i64,
    pub budget_period: BudgetPeriod,
    pub start_date: Date,
    pub end_date: Option<Date>,
}

#[derive(sqlx::FromRow)]
struct IsfRow {
    id: String,
    person_ref: String,
    provider_id: String,
    provider_name: String,
    budget_pence: i64,
    budget_period: String,
    start_date: String,
    end_date: Option<String>,
}

impl TryFrom<IsfRow> for Isf {
    type Error = StoreError;
    fn try_from(r: IsfRow) -> Result<Isf> {
        Ok(Isf {
            budget_period: StoreError::decode("isfs", "budget_period", &r.budget_period)?,
            start_date: date("isfs", "start_date", &r.start_date)?,
            end_date: date_opt("isfs", "end_date", r.end_date.as_deref())?,
            id: r.id,
            person_ref: r.person_ref,
            provider_id: r.provider_id,
            provider_name: r.provider_name,
            budget_pence: r.budget_pence,
        })
    }
}

impl Store {
    pub async fn create_isf(&self, actor: &Actor, isf: &IsfDraft) -> Result<String> {
        let isf = isf.validated()?;
        self.provider(&isf.provider_id).await.map_err(|_| StoreError::invalid("provider_id", "Choose the provider holding the fund"))?;
        let id = new_id();
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO isfs (id, person_ref, provider_id, budget_pence, budget_period, start_date, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&id)
            .bind(&isf.person_ref)
            .bind(&isf.provider_id)
            .bind(isf.budget_pence)
            .bind(isf.budget_period.as_str())
            .bind(isf.start_date.to_string())
            .bind(now_timestamp())
            .execute(&mut *tx)
            .await?;
        let after = json!({"provider_id": isf.provider_id, "budget_pence": isf.budget_pence, "budget_period": isf.budget_period,
            "start_date": isf.start_date.to_string()});
        record(&mut tx, actor, "create", "isf", Some(&id), "Recorded an Individual Service Fund", None, Some(&after)).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn isfs(&self) -> Result<Vec<Isf>> {
        let rows: Vec<IsfRow> = sqlx::query_as(
            "SELECT i.id, i.person_ref, i.provider_id, p.name AS provider_name, i.budget_pence, i.budget_period, i.start_date, i.end_date
             FROM isfs i JOIN providers p ON p.id = i.provider_id ORDER BY i.end_date IS NOT NULL, i.start_date DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Isf::try_from).collect()
    }
}
