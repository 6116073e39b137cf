//! Uplifts: planned by core from every version of every rate and the packages commissioned now;
//! confirmed in one transaction that plans again from the same facts, writes the uplift, a new
//! version of each rate it changes (never touching an old one) and one audit row listing them.

use super::{RateRecord, insert_rate, join, load_packages, load_rates, versions};
use crate::audit::record;
use crate::direct_payments::date;
use crate::{Actor, Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::fees::rates::NewRate;
use caremarket_core::fees::uplift::{LotChoice, UpliftGroup, plan};
use caremarket_core::fees::{RateStatus, UpliftDraft, UpliftMethod, UpliftPlan};
use caremarket_core::register::ServiceKind;
use serde::Serialize;
use serde_json::json;

/// A confirmed uplift.
#[derive(Debug, Clone, Serialize)]
pub struct UpliftRecord {
    pub id: String,
    pub draft: UpliftDraft,
    pub rates_changed: i64,
    pub yearly_cost_pence: i64,
    pub created_by_label: String,
    pub created_at: String,
}

#[derive(sqlx::FromRow)]
struct UpliftRow {
    id: String,
    name: String,
    kind: String,
    categories: String,
    levels: String,
    lots: String,
    method: String,
    method_value: i64,
    effective_from: String,
    base_date: String,
    rates_changed: i64,
    yearly_cost_pence: i64,
    created_by_label: String,
    created_at: String,
}

fn split(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').filter(|x| !x.is_empty())
}

impl UpliftRow {
    fn decode(self) -> Result<UpliftRecord> {
        let t = "fee_uplifts";
        let group = UpliftGroup {
            kind: ServiceKind::parse(&self.kind).ok_or_else(|| crate::register::corrupt(t, "kind", &self.kind))?,
            categories: split(&self.categories).map(|c| StoreError::decode(t, "categories", c)).collect::<Result<_>>()?,
            levels: split(&self.levels).map(|c| StoreError::decode(t, "levels", c)).collect::<Result<_>>()?,
            lots: split(&self.lots).map(LotChoice::from_value).collect(),
        };
        let method =
            UpliftMethod::from_parts(&self.method, self.method_value).ok_or_else(|| crate::register::corrupt(t, "method", &self.method))?;
        Ok(UpliftRecord {
            draft: UpliftDraft {
                name: self.name,
                group,
                method,
                effective_from: date(t, "effective_from", &self.effective_from)?,
                base_date: date(t, "base_date", &self.base_date)?,
            },
            id: self.id,
            rates_changed: self.rates_changed,
            yearly_cost_pence: self.yearly_cost_pence,
            created_by_label: self.created_by_label,
            created_at: self.created_at,
        })
    }
}

const UPLIFT_SELECT: &str =
    "SELECT id, name, kind, categories, levels, lots, method, method_value, effective_from, base_date, rates_changed,
    yearly_cost_pence, created_by_label, created_at FROM fee_uplifts";

impl Store {
    /// What `draft` would write (nothing is saved): core's plan over the stored history.
    pub async fn plan_uplift(&self, draft: &UpliftDraft, today: Date) -> Result<UpliftPlan> {
        let mut conn = self.pool.acquire().await?;
        let all = versions(&load_rates(&mut conn).await?);
        let packages = load_packages(&mut conn).await?;
        Ok(plan(draft, &all, &packages, today)?)
    }

    /// Confirm an uplift: plan it again inside the transaction, then write the uplift and a new
    /// approved version of every rate it changes, with one audit row. Returns its id and plan.
    pub async fn apply_uplift(&self, actor: &Actor, draft: &UpliftDraft, today: Date) -> Result<(String, UpliftPlan)> {
        let mut tx = self.begin_write().await?;
        let all = versions(&load_rates(&mut tx).await?);
        let packages = load_packages(&mut tx).await?;
        let p = plan(draft, &all, &packages, today)?;
        let id = new_id();
        let g = &draft.group;
        sqlx::query(
            "INSERT INTO fee_uplifts (id, name, kind, categories, levels, lots, method, method_value, effective_from, base_date, rates_changed,
                yearly_cost_pence, created_by, created_by_label, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(&id)
        .bind(&draft.name)
        .bind(g.kind.as_str())
        .bind(join(&g.categories, |c| c.as_str().to_string()))
        .bind(join(&g.levels, |c| c.as_str().to_string()))
        .bind(join(&g.lots, LotChoice::as_value))
        .bind(draft.method.as_str())
        .bind(draft.method.value())
        .bind(draft.effective_from.to_string())
        .bind(draft.base_date.to_string())
        .bind(p.rates.len() as i64)
        .bind(p.total_yearly_cost_pence)
        .bind(actor.user_id.clone())
        .bind(&actor.label)
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        let mut written = Vec::new();
        for r in &p.rates {
            let new = NewRate {
                line: r.base.line.clone(),
                amount_pence: r.new_pence,
                effective_from: draft.effective_from,
                reason: Some(format!("Uplift: {}", draft.name)),
                status: RateStatus::Approved,
                lot_maximum_pence: None,
            };
            let rate_id = insert_rate(&mut tx, actor, &new, Some(&id)).await?;
            written.push(json!({"rate_id": rate_id, "line": r.base.line_text(), "base_pence": r.base.amount_pence,
                "was_pence": r.current.amount_pence, "new_pence": r.new_pence}));
        }
        record(
            &mut tx,
            actor,
            "create",
            "fee_uplift",
            Some(&id),
            &format!(
                "Uplift {}: {} on rates in force on {}, from {}; {} rate{} changed",
                draft.name,
                draft.method.text(),
                draft.base_date,
                draft.effective_from,
                p.rates.len(),
                if p.rates.len() == 1 { "" } else { "s" }
            ),
            None,
            Some(&json!({"method": draft.method.as_str(), "value": draft.method.value(), "yearly_cost_pence": p.total_yearly_cost_pence, "rates": written})),
        )
        .await?;
        tx.commit().await?;
        Ok((id, p))
    }

    /// Every confirmed uplift, newest first.
    pub async fn fee_uplifts(&self) -> Result<Vec<UpliftRecord>> {
        let rows: Vec<UpliftRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{UPLIFT_SELECT} ORDER BY effective_from DESC, created_at DESC")))
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(UpliftRow::decode).collect()
    }

    /// One uplift and the versions it wrote.
    pub async fn fee_uplift(&self, id: &str) -> Result<(UpliftRecord, Vec<RateRecord>)> {
        let row: Option<UpliftRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{UPLIFT_SELECT} WHERE id = $1"))).bind(id).fetch_optional(&self.pool).await?;
        let u = row.ok_or_else(|| StoreError::NotFound(format!("uplift {id}")))?.decode()?;
        let rates = self.fee_rates().await?.into_iter().filter(|r| r.version.uplift_id.as_deref() == Some(id)).collect();
        Ok((u, rates))
    }
}
