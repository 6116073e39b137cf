//! Cost of care returns (issue 11 item 4): one per service and financial year, line by line in
//! pence. A provider sends its own through the portal; the council uploads a CSV of many, all or
//! nothing. Sending again for the same service and year replaces the earlier return, and the
//! audit row keeps what it said. The rules (which lines, what an amount may be, how a CSV becomes
//! returns) are `caremarket_core::fees::cost_of_care`'s.

use crate::audit::record;
use crate::{Actor, Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::direct_payments::money::money;
use caremarket_core::fees::cost_of_care::{CostLine, CostModel, CostReturnDraft, CsvLine, CsvRow, NewCostReturn, plan_csv, year_text};
use caremarket_core::quality::RowProblem;
use caremarket_core::quality::returns::ServiceKey;
use caremarket_core::register::ServiceKind;
use serde::Serialize;
use serde_json::json;
use sqlx::AnyConnection;

/// Who sent a return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SentBy {
    /// The provider, through the portal.
    Provider,
    /// The council, by uploading a CSV.
    Council,
}

impl SentBy {
    pub fn as_str(self) -> &'static str {
        match self {
            SentBy::Provider => "provider",
            SentBy::Council => "council",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            SentBy::Provider => "The provider, through the portal",
            SentBy::Council => "The council, from a CSV",
        }
    }
    pub(crate) fn parse(s: &str) -> Option<SentBy> {
        [SentBy::Provider, SentBy::Council].into_iter().find(|b| b.as_str() == s)
    }
}

/// A stored return with its lines.
#[derive(Debug, Clone, Serialize)]
pub struct CostReturnRecord {
    pub id: String,
    pub service_id: String,
    pub service_name: String,
    pub provider_id: String,
    pub provider_name: String,
    pub kind: ServiceKind,
    pub model: CostModel,
    /// The year it starts in (2025 is 2025/26).
    pub year: i32,
    pub total_pence: i64,
    /// Every line of the model, in its order.
    pub lines: Vec<(CostLine, i64)>,
    pub sent_by: SentBy,
    /// The person's name (or, for a removed account, what was recorded).
    pub sent_by_label: String,
    pub submitted_at: String,
}

impl CostReturnRecord {
    pub fn amount(&self, line: CostLine) -> Option<i64> {
        self.lines.iter().find(|(l, _)| *l == line).map(|(_, v)| *v)
    }
}

/// Which returns to load.
#[derive(Debug, Clone, Default)]
pub struct CostReturnFilter {
    pub year: Option<i32>,
    pub kind: Option<ServiceKind>,
    pub provider_id: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ReturnRow {
    id: String,
    service_id: String,
    service_name: String,
    provider_id: String,
    provider_name: String,
    kind: String,
    year: i64,
    total_pence: i64,
    sent_by: String,
    sent_by_label: String,
    submitted_at: String,
}

const SELECT: &str = "SELECT r.id, r.service_id, s.name AS service_name, r.provider_id, p.name AS provider_name, r.kind, r.year,
        r.total_pence, r.sent_by, COALESCE(u.display_name, r.created_by_label) AS sent_by_label, r.submitted_at
     FROM cost_of_care_returns r
     JOIN services s ON s.id = r.service_id
     JOIN providers p ON p.id = r.provider_id
     LEFT JOIN users u ON u.id = r.created_by";

async fn load(conn: &mut AnyConnection, filter: &CostReturnFilter, id: Option<&str>) -> Result<Vec<CostReturnRecord>> {
    let rows: Vec<ReturnRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE ($1 = '' OR r.id = $1) AND ($2 < 0 OR r.year = $2) AND ($3 = '' OR r.kind = $3) AND ($4 = '' OR r.provider_id = $4)
         ORDER BY r.year DESC, r.kind, s.name, r.id"
    )))
    .bind(id.unwrap_or(""))
    .bind(filter.year.map(i64::from).unwrap_or(-1))
    .bind(filter.kind.map(|k| k.as_str()).unwrap_or(""))
    .bind(filter.provider_id.clone().unwrap_or_default())
    .fetch_all(&mut *conn)
    .await?;
    let lines: Vec<(String, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(
        "SELECT l.return_id, l.line, l.amount_pence FROM cost_of_care_lines l JOIN cost_of_care_returns r ON r.id = l.return_id
         WHERE ($1 = '' OR r.id = $1) AND ($2 < 0 OR r.year = $2) AND ($3 = '' OR r.kind = $3) AND ($4 = '' OR r.provider_id = $4)"
            .to_string(),
    ))
    .bind(id.unwrap_or(""))
    .bind(filter.year.map(i64::from).unwrap_or(-1))
    .bind(filter.kind.map(|k| k.as_str()).unwrap_or(""))
    .bind(filter.provider_id.clone().unwrap_or_default())
    .fetch_all(&mut *conn)
    .await?;
    let mut by_return: std::collections::HashMap<String, Vec<(CostLine, i64)>> = std::collections::HashMap::new();
    for (rid, line, amount) in lines {
        let l = CostLine::parse(&line).ok_or_else(|| crate::register::corrupt("cost_of_care_lines", "line", &line))?;
        by_return.entry(rid).or_default().push((l, amount));
    }
    let t = "cost_of_care_returns";
    rows.into_iter()
        .map(|r| {
            let kind = ServiceKind::parse(&r.kind).ok_or_else(|| crate::register::corrupt(t, "kind", &r.kind))?;
            let model = CostModel::of(kind).ok_or_else(|| crate::register::corrupt(t, "kind", &r.kind))?;
            let stored = by_return.remove(&r.id).unwrap_or_default();
            let lines = model.lines().iter().filter_map(|l| stored.iter().find(|(x, _)| x == l).copied()).collect();
            Ok(CostReturnRecord {
                sent_by: SentBy::parse(&r.sent_by).ok_or_else(|| crate::register::corrupt(t, "sent_by", &r.sent_by))?,
                year: i32::try_from(r.year).map_err(|_| crate::register::corrupt(t, "year", &r.year.to_string()))?,
                id: r.id,
                service_id: r.service_id,
                service_name: r.service_name,
                provider_id: r.provider_id,
                provider_name: r.provider_name,
                kind,
                model,
                total_pence: r.total_pence,
                lines,
                sent_by_label: r.sent_by_label,
                submitted_at: r.submitted_at,
            })
        })
        .collect()
}

fn lines_json(lines: &[(CostLine, i64)], total: i64) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (l, v) in lines {
        m.insert(l.as_str().to_string(), json!(v));
    }
    m.insert("total_pence".into(), json!(total));
    serde_json::Value::Object(m)
}

/// Save one checked return for a service (replacing the service's return for the year, if any)
/// with its audit row. Returns the id and whether it replaced an earlier return.
async fn save(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    actor: &Actor,
    service_id: &str,
    service_name: &str,
    provider_id: &str,
    r: &NewCostReturn,
    sent_by: SentBy,
) -> Result<(String, bool)> {
    let earlier = load(&mut *tx, &CostReturnFilter { year: Some(r.year), kind: None, provider_id: Some(provider_id.to_string()) }, None)
        .await?
        .into_iter()
        .find(|e| e.service_id == service_id);
    let total = r.total_pence();
    let now = now_timestamp();
    let id = match &earlier {
        Some(e) => {
            sqlx::query(
                "UPDATE cost_of_care_returns SET kind = $1, total_pence = $2, sent_by = $3, created_by = $4, created_by_label = $5,
                    submitted_at = $6 WHERE id = $7",
            )
            .bind(r.kind.as_str())
            .bind(total)
            .bind(sent_by.as_str())
            .bind(actor.user_id.clone())
            .bind(&actor.label)
            .bind(&now)
            .bind(&e.id)
            .execute(&mut **tx)
            .await?;
            sqlx::query("DELETE FROM cost_of_care_lines WHERE return_id = $1").bind(&e.id).execute(&mut **tx).await?;
            e.id.clone()
        }
        None => {
            let id = new_id();
            sqlx::query(
                "INSERT INTO cost_of_care_returns (id, service_id, provider_id, kind, year, total_pence, sent_by, created_by,
                    created_by_label, submitted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&id)
            .bind(service_id)
            .bind(provider_id)
            .bind(r.kind.as_str())
            .bind(i64::from(r.year))
            .bind(total)
            .bind(sent_by.as_str())
            .bind(actor.user_id.clone())
            .bind(&actor.label)
            .bind(&now)
            .execute(&mut **tx)
            .await?;
            id
        }
    };
    for (line, amount) in &r.lines {
        sqlx::query("INSERT INTO cost_of_care_lines (return_id, line, amount_pence) VALUES ($1, $2, $3)")
            .bind(&id)
            .bind(line.as_str())
            .bind(*amount)
            .execute(&mut **tx)
            .await?;
    }
    let summary = format!(
        "{} cost of care return for {service_name}, {}: {} {}",
        if earlier.is_some() { "Replaced the" } else { "Received a" },
        year_text(r.year),
        money(total),
        r.model.unit()
    );
    let before = earlier.as_ref().map(|e| lines_json(&e.lines, e.total_pence));
    let mut after = lines_json(&r.lines, total);
    if let Some(o) = after.as_object_mut() {
        o.insert("year".into(), json!(year_text(r.year)));
        o.insert("sent_by".into(), json!(sent_by.as_str()));
    }
    record(
        tx,
        actor,
        if earlier.is_some() { "update" } else { "create" },
        "cost_of_care_return",
        Some(&id),
        &summary,
        before.as_ref(),
        Some(&after),
    )
    .await?;
    Ok((id, earlier.is_some()))
}

impl Store {
    /// Send a return for one service. `only_provider` (the portal) refuses a service of another
    /// provider as if it did not exist (field `service_id`). The kind comes from the service,
    /// never the form; core checks the year and lines (`CostReturnDraft::check`). Returns the id
    /// and whether it replaced the service's earlier return for the year.
    pub async fn submit_cost_return(
        &self,
        actor: &Actor,
        service_id: &str,
        draft: &CostReturnDraft,
        sent_by: SentBy,
        only_provider: Option<&str>,
        today: Date,
    ) -> Result<(String, bool)> {
        let service = match self.service(service_id).await {
            Ok(s) if only_provider.is_none_or(|p| p == s.provider_id) => s,
            Ok(_) | Err(StoreError::NotFound(_)) => return Err(StoreError::invalid("service_id", "Choose one of your services")),
            Err(e) => return Err(e),
        };
        let r = CostReturnDraft { kind: Some(service.kind), ..draft.clone() }.check(today)?;
        let mut tx = self.begin_write().await?;
        let out = save(&mut tx, actor, &service.id, &service.name, &service.provider_id, &r, sent_by).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Save the returns of a CSV (read by `caremarket_ingest::uploads::cost_of_care`): all, or
    /// none with every problem named by its row and column. Each row's service is found by its
    /// id or CQC location id.
    pub async fn import_cost_returns(
        &self,
        actor: &Actor,
        rows: &[CsvRow],
        today: Date,
    ) -> Result<std::result::Result<usize, Vec<RowProblem>>> {
        let mut lines = Vec::new();
        let mut providers = std::collections::HashMap::new();
        for r in rows {
            let (row, year, line, amount) = (&r.row, &r.year, &r.line, &r.amount);
            let service = match &r.service {
                Err(p) => Err(p.clone()),
                Ok(key) => {
                    let found = match key {
                        ServiceKey::ServiceId(id) => match self.service(id).await {
                            Ok(s) => Some(s),
                            Err(StoreError::NotFound(_)) => None,
                            Err(e) => return Err(e),
                        },
                        ServiceKey::CqcLocationId(loc) => self.service_by_location_id(loc).await?,
                    };
                    match found {
                        Some(s) => {
                            providers.insert(s.id.clone(), s.provider_id.clone());
                            Ok((s.id, s.name, s.kind))
                        }
                        None => Err(RowProblem::new(*row, key.column(), format!("'{}' is not a service in the register", key.value()))),
                    }
                }
            };
            lines.push(CsvLine { row: *row, service, year: year.clone(), line: line.clone(), amount: amount.clone() });
        }
        let plan = match plan_csv(&lines, today) {
            Ok(p) => p,
            Err(problems) => return Ok(Err(problems)),
        };
        let names: std::collections::HashMap<String, String> =
            lines.iter().filter_map(|l| l.service.as_ref().ok()).map(|(id, name, _)| (id.clone(), name.clone())).collect();
        let mut tx = self.begin_write().await?;
        for (sid, r) in &plan {
            let provider = providers.get(sid).cloned().unwrap_or_default();
            let name = names.get(sid).cloned().unwrap_or_default();
            save(&mut tx, actor, sid, &name, &provider, r, SentBy::Council).await?;
        }
        tx.commit().await?;
        Ok(Ok(plan.len()))
    }

    /// Returns, by year (newest first), kind and service name.
    pub async fn cost_returns(&self, filter: &CostReturnFilter) -> Result<Vec<CostReturnRecord>> {
        let mut conn = self.pool.acquire().await?;
        load(&mut conn, filter, None).await
    }

    pub async fn cost_return(&self, id: &str) -> Result<CostReturnRecord> {
        let mut conn = self.pool.acquire().await?;
        load(&mut conn, &CostReturnFilter::default(), Some(id))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::NotFound(format!("cost of care return {id}")))
    }

    /// The financial years with returns, newest first.
    pub async fn cost_return_years(&self) -> Result<Vec<i32>> {
        let years: Vec<i64> =
            sqlx::query_scalar("SELECT DISTINCT year FROM cost_of_care_returns ORDER BY year DESC").fetch_all(&self.pool).await?;
        Ok(years.into_iter().filter_map(|y| i32::try_from(y).ok()).collect())
    }
}
