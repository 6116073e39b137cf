//! Exit plans: a provider leaving a market or list, and the people to move, tracked to a new
//! arrangement each. Shared by direct payments (removal from the Recognised Provider List) and
//! quality assurance (provider exit, `crate::quality::exit`); kept here as it was until exit
//! plans get their own module.

use crate::audit::{Actor, record};
use crate::versions::{Versioned, check_current, saved};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::versions::Version;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

#[derive(Debug, Clone, Serialize)]
pub struct ExitPlan {
    pub id: String,
    pub provider_id: String,
    pub provider_name: String,
    pub reason: String,
    pub planned: bool,
    pub context: String,
    pub opened_on: String,
    pub target_date: Option<String>,
    pub closed_on: Option<String>,
    pub items: Vec<ExitPlanItem>,
    pub open_items: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExitPlanItem {
    pub id: String,
    pub person_ref: String,
    pub source_type: String,
    pub source_id: Option<String>,
    pub status: String,
    pub new_arrangement: Option<String>,
    pub done_on: Option<String>,
    pub notes: Option<String>,
    /// Raised by one on every save of the person's new arrangement (decision 25): the forms
    /// that record it carry it.
    pub version: i64,
}

/// A provider leaving a market or list, and the people to move. Provider-generic: the quality
/// assurance work (provider exit, issue 3) creates these too.
#[derive(Debug, Clone)]
pub struct NewExitPlan {
    pub provider_id: String,
    pub reason: String,
    pub planned: bool,
    /// What the plan is for: "rpl_removal", "provider_exit", ...
    pub context: String,
    pub opened_on: Date,
    pub target_date: Option<Date>,
    /// (person reference, source type such as "direct_payment", source record id)
    pub items: Vec<(String, String, Option<String>)>,
}

impl Store {
    /// Open an exit plan (any provider, any reason), with its people.
    pub async fn create_exit_plan(&self, actor: &Actor, plan: &NewExitPlan) -> Result<String> {
        self.provider(&plan.provider_id).await?;
        let mut tx = self.begin_write().await?;
        let id = insert_exit_plan(&mut tx, actor, plan).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn exit_plan(&self, id: &str) -> Result<ExitPlan> {
        let r = sqlx::query(
            "SELECT e.id, e.provider_id, p.name AS provider_name, e.reason, e.planned, e.context, e.opened_on, e.target_date, e.closed_on
             FROM exit_plans e JOIN providers p ON p.id = e.provider_id WHERE e.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("exit plan {id}")))?;
        let items = sqlx::query("SELECT id, person_ref, source_type, source_id, status, new_arrangement, done_on, notes, version FROM exit_plan_items WHERE exit_plan_id = $1 ORDER BY status DESC, person_ref")
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(ExitPlanItem {
                    id: r.try_get("id")?,
                    person_ref: r.try_get("person_ref")?,
                    source_type: r.try_get("source_type")?,
                    source_id: r.try_get("source_id")?,
                    status: r.try_get("status")?,
                    new_arrangement: r.try_get("new_arrangement")?,
                    done_on: r.try_get("done_on")?,
                    notes: r.try_get("notes")?,
                    version: r.try_get("version")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let open_items = items.iter().filter(|i| i.status != "done").count();
        Ok(ExitPlan {
            id: r.try_get("id")?,
            provider_id: r.try_get("provider_id")?,
            provider_name: r.try_get("provider_name")?,
            reason: r.try_get("reason")?,
            planned: r.try_get::<i64, _>("planned")? != 0,
            context: r.try_get("context")?,
            opened_on: r.try_get("opened_on")?,
            target_date: r.try_get("target_date")?,
            closed_on: r.try_get("closed_on")?,
            items,
            open_items,
        })
    }

    /// Exit plans, newest first (for one provider when given).
    pub async fn exit_plans(&self, provider_id: Option<&str>) -> Result<Vec<ExitPlan>> {
        let ids: Vec<String> = match provider_id {
            Some(p) => {
                sqlx::query_scalar("SELECT id FROM exit_plans WHERE provider_id = $1 ORDER BY opened_on DESC, id DESC")
                    .bind(p)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => sqlx::query_scalar("SELECT id FROM exit_plans ORDER BY opened_on DESC, id DESC").fetch_all(&self.pool).await?,
        };
        let mut v = Vec::new();
        for id in ids {
            v.push(self.exit_plan(&id).await?);
        }
        Ok(v)
    }

    /// Record a person's new arrangement; `done` marks them moved. The plan closes when
    /// everyone is done. From the form opened at `expected` (decision 25): saved by someone else
    /// since, it is refused with `Stale` and nothing is written.
    pub async fn update_exit_item(
        &self,
        actor: &Actor,
        item_id: &str,
        new_arrangement: &str,
        done: bool,
        on: Date,
        expected: Version,
    ) -> Result<()> {
        let (plan_id, version): (String, i64) = sqlx::query_as("SELECT exit_plan_id, version FROM exit_plan_items WHERE id = $1")
            .bind(item_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("exit plan item {item_id}")))?;
        check_current(version, expected)?;
        let arrangement = new_arrangement.trim();
        if arrangement.is_empty() {
            return Err(StoreError::invalid("new_arrangement", "Enter the person's new arrangement"));
        }
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE exit_plan_items SET new_arrangement = $1, status = $2, done_on = $3, updated_at = $4, version = version + 1
             WHERE id = $5 AND version = $6",
        )
        .bind(arrangement)
        .bind(if done { "done" } else { "in_progress" })
        .bind(done.then(|| on.to_string()))
        .bind(now_timestamp())
        .bind(item_id)
        .bind(expected.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        saved(&mut tx, Versioned::ExitPlanItems, item_id, changed).await?;
        let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM exit_plan_items WHERE exit_plan_id = $1 AND status <> 'done'")
            .bind(&plan_id)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query("UPDATE exit_plans SET closed_on = $1, updated_at = $2 WHERE id = $3")
            .bind((open == 0).then(|| on.to_string()))
            .bind(now_timestamp())
            .bind(&plan_id)
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            "update",
            "exit_plan_item",
            Some(item_id),
            "Updated a person's new arrangement in an exit plan",
            None,
            Some(&json!({"exit_plan_id": plan_id, "status": if done { "done" } else { "in_progress" }})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

pub(super) async fn insert_exit_plan(tx: &mut sqlx::Transaction<'_, sqlx::Any>, actor: &Actor, plan: &NewExitPlan) -> Result<String> {
    if plan.reason.trim().is_empty() {
        return Err(StoreError::invalid("reason", "Enter why the provider is exiting"));
    }
    if plan.target_date.is_some_and(|t| t < plan.opened_on) {
        return Err(StoreError::invalid("target_date", "The target date must be on or after the plan opens"));
    }
    let id = new_id();
    let now = now_timestamp();
    sqlx::query(
        "INSERT INTO exit_plans (id, provider_id, reason, planned, context, opened_on, target_date, closed_on, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(&id)
    .bind(&plan.provider_id)
    .bind(plan.reason.trim())
    .bind(i64::from(plan.planned))
    .bind(&plan.context)
    .bind(plan.opened_on.to_string())
    .bind(plan.target_date.map(|d| d.to_string()))
    .bind(plan.items.is_empty().then(|| plan.opened_on.to_string()))
    .bind(&now)
    .execute(&mut **tx)
    .await?;
    for (person, source_type, source_id) in &plan.items {
        sqlx::query("INSERT INTO exit_plan_items (id, exit_plan_id, person_ref, source_type, source_id, status, updated_at) VALUES ($1, $2, $3, $4, $5, 'open', $6)")
            .bind(new_id())
            .bind(&id)
            .bind(person)
            .bind(source_type)
            .bind(source_id.clone())
            .bind(&now)
            .execute(&mut **tx)
            .await?;
    }
    record(
        tx,
        actor,
        "create",
        "exit_plan",
        Some(&id),
        &format!("Opened an exit plan ({}) for {} people", plan.context, plan.items.len()),
        None,
        Some(&json!({"provider_id": plan.provider_id, "planned": plan.planned, "context": plan.context, "people": plan.items.len()})),
    )
    .await?;
    Ok(id)
}
