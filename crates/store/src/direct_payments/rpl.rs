//! Money management companies on the Recognised Provider List: who they are, their annual
//! quality assurance, and removal from the list with an exit plan for everyone they hold.

use super::exit_plans::{NewExitPlan, insert_exit_plan};
use super::{date, date_opt};
use crate::audit::{Actor, record};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::direct_payments::rpl::{NewQa, QaResult, qa_due, qa_overdue, removal_reason};
use serde::Serialize;
use serde_json::json;

/// A money management company: a provider with a money management service.
#[derive(Debug, Clone, Serialize)]
pub struct RplCompany {
    pub provider_id: String,
    pub name: String,
    pub on_list: bool,
    pub last_qa_on: Option<Date>,
    pub last_result: Option<QaResult>,
    pub qa_due: Option<Date>,
    pub qa_overdue: bool,
    pub open_dps: i64,
    pub exit_plan_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QaRecord {
    pub assessed_on: Date,
    pub result: QaResult,
    pub notes: Option<String>,
    pub actor_label: String,
}

const QA_TABLE: &str = "rpl_quality_assurance";

#[derive(sqlx::FromRow)]
struct CompanyRow {
    id: String,
    name: String,
    on_list: i64,
    last_qa: Option<String>,
    open_dps: i64,
    exit_plan_id: Option<String>,
}

#[derive(sqlx::FromRow)]
struct QaRow {
    assessed_on: String,
    result: String,
    notes: Option<String>,
    actor_label: String,
}

impl TryFrom<QaRow> for QaRecord {
    type Error = StoreError;
    fn try_from(r: QaRow) -> Result<QaRecord> {
        Ok(QaRecord {
            assessed_on: date(QA_TABLE, "assessed_on", &r.assessed_on)?,
            result: StoreError::decode(QA_TABLE, "result", &r.result)?,
            notes: r.notes,
            actor_label: r.actor_label,
        })
    }
}

#[derive(sqlx::FromRow)]
struct PersonRow {
    id: String,
    person_ref: String,
}

impl Store {
    /// Money management companies (providers with a money management service), with their
    /// last quality assurance, when the next is due and who uses them.
    pub async fn rpl_companies(&self, today: Date) -> Result<Vec<RplCompany>> {
        let rows: Vec<CompanyRow> = sqlx::query_as(
            "SELECT p.id, p.name,
                (SELECT COUNT(*) FROM services s WHERE s.provider_id = p.id AND s.kind = 'money_management' AND s.contract_status = 'rpl') AS on_list,
                (SELECT MAX(q.assessed_on) FROM rpl_quality_assurance q WHERE q.provider_id = p.id) AS last_qa,
                (SELECT COUNT(*) FROM direct_payments d WHERE d.mm_provider_id = p.id AND d.end_date IS NULL) AS open_dps,
                (SELECT MAX(e.id) FROM exit_plans e WHERE e.provider_id = p.id AND e.context = 'rpl_removal') AS exit_plan_id
             FROM providers p WHERE EXISTS (SELECT 1 FROM services s WHERE s.provider_id = p.id AND s.kind = 'money_management')
             ORDER BY p.name",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut v = Vec::new();
        for r in rows {
            let last = date_opt(QA_TABLE, "assessed_on", r.last_qa.as_deref())?;
            let result: Option<String> = match &r.last_qa {
                Some(l) => sqlx::query_scalar(
                    "SELECT result FROM rpl_quality_assurance WHERE provider_id = $1 AND assessed_on = $2 ORDER BY created_at DESC LIMIT 1",
                )
                .bind(&r.id)
                .bind(l)
                .fetch_optional(&self.pool)
                .await?,
                None => None,
            };
            let on_list = r.on_list > 0;
            let due = qa_due(last);
            v.push(RplCompany {
                provider_id: r.id,
                name: r.name,
                on_list,
                last_qa_on: last,
                last_result: result.map(|s| StoreError::decode(QA_TABLE, "result", &s)).transpose()?,
                qa_due: due,
                qa_overdue: qa_overdue(on_list, due, today),
                open_dps: r.open_dps,
                exit_plan_id: r.exit_plan_id,
            });
        }
        Ok(v)
    }

    pub async fn rpl_qa_history(&self, provider_id: &str) -> Result<Vec<QaRecord>> {
        let rows: Vec<QaRow> = sqlx::query_as("SELECT assessed_on, result, notes, actor_label FROM rpl_quality_assurance WHERE provider_id = $1 ORDER BY assessed_on DESC, created_at DESC")
            .bind(provider_id)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(QaRecord::try_from).collect()
    }

    pub async fn record_rpl_qa(&self, actor: &Actor, provider_id: &str, on: Date, result: &str, notes: Option<&str>) -> Result<()> {
        self.provider(provider_id).await?;
        let qa = NewQa::parse(Some(on), result, notes, crate::today())?;
        let id = new_id();
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO rpl_quality_assurance (id, provider_id, assessed_on, result, notes, actor_label, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&id)
            .bind(provider_id)
            .bind(qa.assessed_on.to_string())
            .bind(qa.result.as_str())
            .bind(qa.notes.clone())
            .bind(&actor.label)
            .bind(now_timestamp())
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            "create",
            "rpl_quality_assurance",
            Some(&id),
            "Recorded RPL quality assurance",
            None,
            Some(&json!({"provider_id": provider_id, "assessed_on": qa.assessed_on.to_string(), "result": qa.result})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Remove a money management company from the Recognised Provider List: its money
    /// management services stop being "rpl", and an exit plan tracks every person with an open
    /// managed account there (and any ISF it holds) to a new arrangement.
    pub async fn remove_from_rpl(
        &self,
        actor: &Actor,
        provider_id: &str,
        reason: &str,
        planned: bool,
        on: Date,
        target: Option<Date>,
    ) -> Result<String> {
        self.provider(provider_id).await?;
        let reason = removal_reason(reason)?;
        let on_list: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM services WHERE provider_id = $1 AND kind = 'money_management' AND contract_status = 'rpl'",
        )
        .bind(provider_id)
        .fetch_one(&self.pool)
        .await?;
        if on_list == 0 {
            return Err(StoreError::invalid("reason", "This company is not on the Recognised Provider List"));
        }
        let dps: Vec<PersonRow> =
            sqlx::query_as("SELECT id, person_ref FROM direct_payments WHERE mm_provider_id = $1 AND end_date IS NULL ORDER BY person_ref")
                .bind(provider_id)
                .fetch_all(&self.pool)
                .await?;
        let isfs: Vec<PersonRow> =
            sqlx::query_as("SELECT id, person_ref FROM isfs WHERE provider_id = $1 AND end_date IS NULL ORDER BY person_ref")
                .bind(provider_id)
                .fetch_all(&self.pool)
                .await?;
        let items = dps
            .into_iter()
            .map(|r| (r.person_ref, "direct_payment".to_string(), Some(r.id)))
            .chain(isfs.into_iter().map(|r| (r.person_ref, "isf".to_string(), Some(r.id))))
            .collect();
        let plan = NewExitPlan {
            provider_id: provider_id.into(),
            reason: reason.clone(),
            planned,
            context: "rpl_removal".into(),
            opened_on: on,
            target_date: target,
            items,
        };
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE services SET contract_status = 'not_contracted', updated_at = $1, version = version + 1 WHERE provider_id = $2 AND kind = 'money_management' AND contract_status = 'rpl'")
            .bind(now_timestamp())
            .bind(provider_id)
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            "update",
            "provider",
            Some(provider_id),
            "Removed from the Recognised Provider List",
            Some(&json!({"contract_status": "rpl"})),
            Some(&json!({"contract_status": "not_contracted", "reason": reason})),
        )
        .await?;
        let id = insert_exit_plan(&mut tx, actor, &plan).await?;
        tx.commit().await?;
        Ok(id)
    }
}
