//! Provider monthly returns (Stockton's monthly performance dashboard, `002` rec 4): complaints
//! and staffing for one service and month, sent as a form or a CSV by the provider or an officer.
//! A return for a month already returned replaces the earlier one (audited with both).

use crate::audit::{Actor, record};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::quality::returns::{column_label, turnover, vacancy_rate};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;

pub use caremarket_core::quality::RowProblem;
pub use caremarket_core::quality::returns::{COLUMNS, NewMonthlyReturn, ReturnRow, ServiceKey, parse_month};

#[derive(Debug, Clone, Serialize)]
pub struct MonthlyReturn {
    pub id: String,
    pub service_id: String,
    pub service_name: String,
    pub provider_id: String,
    pub month: String,
    pub complaints: i64,
    pub complaints_via_council: i64,
    pub complaints_resolved_in_house: i64,
    pub staff_in_post: Option<i64>,
    pub staff_vacancies: Option<i64>,
    pub staff_leavers: Option<i64>,
    pub agency_hours: Option<i64>,
    /// Vacancies as a percentage of posts (in post + vacant), rounded.
    pub vacancy_rate: Option<i64>,
    /// Leavers in the month as a percentage of staff in post, rounded.
    pub turnover: Option<i64>,
    pub submitted_by_kind: String,
    pub submitted_by: String,
}

/// A return as stored, with its service.
#[derive(sqlx::FromRow)]
struct StoredReturn {
    id: String,
    service_id: String,
    service_name: String,
    provider_id: String,
    month: String,
    complaints: i64,
    complaints_via_council: i64,
    complaints_resolved_in_house: i64,
    staff_in_post: Option<i64>,
    staff_vacancies: Option<i64>,
    staff_leavers: Option<i64>,
    agency_hours: Option<i64>,
    submitted_by_kind: String,
    submitted_by: String,
}

impl From<StoredReturn> for MonthlyReturn {
    fn from(r: StoredReturn) -> MonthlyReturn {
        MonthlyReturn {
            vacancy_rate: vacancy_rate(r.staff_in_post, r.staff_vacancies),
            turnover: turnover(r.staff_leavers, r.staff_in_post),
            id: r.id,
            service_id: r.service_id,
            service_name: r.service_name,
            provider_id: r.provider_id,
            month: r.month,
            complaints: r.complaints,
            complaints_via_council: r.complaints_via_council,
            complaints_resolved_in_house: r.complaints_resolved_in_house,
            staff_in_post: r.staff_in_post,
            staff_vacancies: r.staff_vacancies,
            staff_leavers: r.staff_leavers,
            agency_hours: r.agency_hours,
            submitted_by_kind: r.submitted_by_kind,
            submitted_by: r.submitted_by,
        }
    }
}

const RETURN_COLS: &str = "m.id, m.service_id, s.name AS service_name, s.provider_id, m.month, m.complaints, m.complaints_via_council,
    m.complaints_resolved_in_house, m.staff_in_post, m.staff_vacancies, m.staff_leavers, m.agency_hours, m.submitted_by_kind, m.submitted_by";

impl Store {
    /// Save one return. `only_provider`: a provider user's provider (its own services only; any
    /// other service is "not found", as the portal treats it). `submitted_by_kind`: "officer" or
    /// "provider".
    pub async fn submit_monthly_return(
        &self,
        actor: &Actor,
        r: &NewMonthlyReturn,
        submitted_by_kind: &str,
        only_provider: Option<&str>,
        today: Date,
    ) -> Result<String> {
        let service = self.service(r.service_id.trim()).await.map_err(|e| match e {
            StoreError::NotFound(_) => StoreError::invalid("service_id", "Choose one of the services"),
            other => other,
        })?;
        if only_provider.is_some_and(|p| p != service.provider_id) {
            return Err(StoreError::invalid("service_id", "Choose one of your services"));
        }
        let month = r.check(today).map_err(|e| StoreError::invalid(&e.field, format!("{} {}", column_label(&e.field), e.message)))?;
        let mut tx = self.begin_write().await?;
        let id = save_tx(&mut tx, actor, &service.id, &service.name, &NewMonthlyReturn { month, ..r.clone() }, submitted_by_kind).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Check every row of an uploaded CSV (as `caremarket_ingest::uploads::quality_returns` read
    /// it) and save them all, or none: `Ok(Err(problems))` lists every bad row with its number
    /// and column. Returns how many returns were saved.
    pub async fn import_monthly_returns(
        &self,
        actor: &Actor,
        rows: &[ReturnRow],
        submitted_by_kind: &str,
        only_provider: Option<&str>,
        today: Date,
    ) -> Result<std::result::Result<usize, Vec<RowProblem>>> {
        let mut problems = Vec::new();
        let mut ok: Vec<(String, String, NewMonthlyReturn)> = Vec::new();
        let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
        for r in rows {
            let row = r.row;
            let key = match &r.service {
                Ok(key) => key,
                Err(p) => {
                    problems.push(p.clone());
                    continue;
                }
            };
            let service = match key {
                ServiceKey::ServiceId(id) => self.service(id).await.ok(),
                ServiceKey::CqcLocationId(loc) => self.service_by_location_id(loc).await?,
            };
            let (field, value) = (key.column(), key.value());
            let Some(service) = service else {
                problems.push(RowProblem::new(row, field, format!("'{value}' is not a service in the register")));
                continue;
            };
            if only_provider.is_some_and(|pr| pr != service.provider_id) {
                problems.push(RowProblem::new(row, field, format!("'{value}' is not one of your services")));
                continue;
            }
            let values = match &r.values {
                Ok(v) => NewMonthlyReturn { service_id: service.id.clone(), ..v.clone() },
                Err(ps) => {
                    problems.extend(ps.iter().cloned());
                    continue;
                }
            };
            match values.check(today) {
                Err(e) => problems.push(RowProblem::new(
                    row,
                    e.field.as_str(),
                    if e.field == "month" { format!("{}; found '{}'", e.message, values.month) } else { e.message },
                )),
                Ok(month) => {
                    if let Some(first) = seen.insert((service.id.clone(), month.clone()), row) {
                        problems.push(RowProblem::new(
                            row,
                            "month",
                            format!("repeats {month} for {} (already on row {first})", service.name),
                        ));
                        continue;
                    }
                    ok.push((service.id.clone(), service.name.clone(), NewMonthlyReturn { month, ..values }));
                }
            }
        }
        if !problems.is_empty() {
            return Ok(Err(problems));
        }
        let mut tx = self.begin_write().await?;
        for (sid, name, r) in &ok {
            save_tx(&mut tx, actor, sid, name, r, submitted_by_kind).await?;
        }
        tx.commit().await?;
        Ok(Ok(ok.len()))
    }

    /// Returns, newest month first: for one service, or every service of a provider, or all.
    pub async fn monthly_returns(&self, service_id: Option<&str>, provider_id: Option<&str>, limit: i64) -> Result<Vec<MonthlyReturn>> {
        let rows: Vec<StoredReturn> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {RETURN_COLS} FROM monthly_returns m JOIN services s ON s.id = m.service_id
             WHERE ($1 = '' OR m.service_id = $1) AND ($2 = '' OR s.provider_id = $2)
             ORDER BY m.month DESC, s.name LIMIT $3"
        )))
        .bind(service_id.unwrap_or(""))
        .bind(provider_id.unwrap_or(""))
        .bind(limit.clamp(1, 100_000))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(MonthlyReturn::from).collect())
    }
}

async fn save_tx(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    actor: &Actor,
    service_id: &str,
    service_name: &str,
    r: &NewMonthlyReturn,
    submitted_by_kind: &str,
) -> Result<String> {
    let kind = if submitted_by_kind == "provider" { "provider" } else { "officer" };
    let before: Option<MonthlyReturn> = sqlx::query_as::<_, StoredReturn>(sqlx::AssertSqlSafe(format!(
        "SELECT {RETURN_COLS} FROM monthly_returns m JOIN services s ON s.id = m.service_id WHERE m.service_id = $1 AND m.month = $2"
    )))
    .bind(service_id)
    .bind(&r.month)
    .fetch_optional(&mut **tx)
    .await?
    .map(MonthlyReturn::from);
    if let Some(b) = &before {
        sqlx::query("DELETE FROM monthly_returns WHERE id = $1").bind(&b.id).execute(&mut **tx).await?;
    }
    let id = new_id();
    sqlx::query(
        "INSERT INTO monthly_returns (id, service_id, month, complaints, complaints_via_council, complaints_resolved_in_house,
           staff_in_post, staff_vacancies, staff_leavers, agency_hours, submitted_by_kind, submitted_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&id)
    .bind(service_id)
    .bind(&r.month)
    .bind(r.complaints)
    .bind(r.complaints_via_council)
    .bind(r.complaints_resolved_in_house)
    .bind(r.staff_in_post)
    .bind(r.staff_vacancies)
    .bind(r.staff_leavers)
    .bind(r.agency_hours)
    .bind(kind)
    .bind(&actor.label)
    .bind(now_timestamp())
    .execute(&mut **tx)
    .await?;
    record(
        tx,
        actor,
        if before.is_some() { "update" } else { "create" },
        "monthly_return",
        Some(&id),
        &format!(
            "Monthly return for {service_name}, {}{} ({kind})",
            r.month,
            if before.is_some() { ", replacing the earlier return" } else { "" }
        ),
        before.as_ref().map(|b| json!(b)).as_ref(),
        Some(&json!(r)),
    )
    .await?;
    Ok(id)
}
