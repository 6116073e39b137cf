//! C5/C6 persistence: direct payments, spend, monitoring and reclaims, money management
//! companies on the Recognised Provider List with exit plans, Individual Service Funds, the PA
//! register, PA rate cards and gathered provider fees (issue 5). The rules are in
//! `caremarket_core::direct_payments`; this module checks what needs the database and stores.
//!
//! People are held by case reference only. Audit summaries never name a person or repeat a
//! reference; the before/after JSON carries ids and values.

use crate::audit::{Actor, record};
use crate::register::Page;
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::direct_payments::figures::DpFact;
use caremarket_core::direct_payments::monitoring::{self, Policy, ReclaimTotals};
use caremarket_core::direct_payments::pa_rates::{self, RateCard};
use caremarket_core::direct_payments::pa_register::{self, Profile, list_of, set_of};
use caremarket_core::direct_payments::{self as dp, DpDraft};
use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};
use std::collections::BTreeMap;

fn first_invalid(errors: Vec<caremarket_core::FieldError>) -> Result<()> {
    match errors.into_iter().next() {
        Some(e) => Err(StoreError::Invalid(e)),
        None => Ok(()),
    }
}

fn parse_date_opt(s: Option<String>) -> Option<Date> {
    s.and_then(|s| s.parse().ok())
}

// ----- direct payments -----

#[derive(Debug, Clone, Serialize)]
pub struct DirectPayment {
    pub id: String,
    pub person_ref: String,
    pub service_area: String,
    pub is_child: bool,
    pub budget_pence: i64,
    pub budget_period: String,
    pub holding: String,
    pub mm_provider_id: Option<String>,
    pub mm_provider_name: Option<String>,
    pub start_date: String,
    pub end_date: Option<String>,
    pub closure_reason: Option<String>,
    pub officer_id: Option<String>,
    pub officer_name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewDirectPayment {
    pub draft: DpDraft,
    pub officer_id: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct DpFilter {
    pub q: Option<String>,
    pub service_area: Option<String>,
    pub holding: Option<String>,
    /// "open" (default), "ended" or "all".
    pub status: Option<String>,
    pub officer_id: Option<String>,
    pub mm_provider_id: Option<String>,
    pub is_child: Option<bool>,
    pub closure_reason: Option<String>,
    /// Started on or after / ended on or after this date (drill-down from the 12-month figures).
    pub started_since: Option<Date>,
    pub ended_since: Option<Date>,
    /// Has spend in this category since `spend_since`.
    pub category: Option<String>,
    pub spend_since: Option<Date>,
    pub page: i64,
    pub per_page: i64,
}

const DP_SELECT: &str = "SELECT d.id, d.person_ref, d.service_area, d.is_child, d.budget_pence, d.budget_period, d.holding,
    d.mm_provider_id, p.name AS mm_provider_name, d.start_date, d.end_date, d.closure_reason, d.officer_id, u.display_name AS officer_name
    FROM direct_payments d LEFT JOIN providers p ON p.id = d.mm_provider_id LEFT JOIN users u ON u.id = d.officer_id";

fn dp_from_row(r: &AnyRow) -> Result<DirectPayment> {
    Ok(DirectPayment {
        id: r.try_get("id")?,
        person_ref: r.try_get("person_ref")?,
        service_area: r.try_get("service_area")?,
        is_child: r.try_get::<i64, _>("is_child")? != 0,
        budget_pence: r.try_get("budget_pence")?,
        budget_period: r.try_get("budget_period")?,
        holding: r.try_get("holding")?,
        mm_provider_id: r.try_get("mm_provider_id")?,
        mm_provider_name: r.try_get("mm_provider_name")?,
        start_date: r.try_get("start_date")?,
        end_date: r.try_get("end_date")?,
        closure_reason: r.try_get("closure_reason")?,
        officer_id: r.try_get("officer_id")?,
        officer_name: r.try_get("officer_name")?,
    })
}

impl DirectPayment {
    pub fn start(&self) -> Option<Date> {
        self.start_date.parse().ok()
    }
    pub fn end(&self) -> Option<Date> {
        self.end_date.as_deref().and_then(|s| s.parse().ok())
    }
}

/// A money management company: a provider with a money management service.
#[derive(Debug, Clone, Serialize)]
pub struct RplCompany {
    pub provider_id: String,
    pub name: String,
    pub on_list: bool,
    pub last_qa_on: Option<String>,
    pub last_result: Option<String>,
    pub qa_due: Option<String>,
    pub qa_overdue: bool,
    pub open_dps: i64,
    pub exit_plan_id: Option<String>,
}

pub const QA_RESULTS: [(&str, &str); 3] = [
    ("meets", "Meets the RPL standards"),
    ("meets_with_actions", "Meets the standards with actions"),
    ("does_not_meet", "Does not meet the standards"),
];

#[derive(Debug, Clone, Serialize)]
pub struct QaRecord {
    pub assessed_on: String,
    pub result: String,
    pub notes: Option<String>,
    pub actor_label: String,
}

impl Store {
    /// A reference list ("service_area", "closure_reason"): active (code, label), in order.
    pub async fn dp_reference(&self, list: &str) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT code, label FROM dp_reference WHERE list = $1 AND active = 1 ORDER BY position, code")
            .bind(list)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get("code")?, r.try_get("label")?))).collect()
    }

    /// Add or rename an entry of a reference list (councils' own closure reasons).
    pub async fn set_dp_reference(&self, actor: &Actor, list: &str, code: &str, label: &str) -> Result<()> {
        if !matches!(list, "service_area" | "closure_reason") {
            return Err(StoreError::invalid("list", "Choose a list"));
        }
        let code = caremarket_core::text::slug(code).replace('-', "_");
        let label = caremarket_core::text::tidy(label);
        if code.is_empty() || label.is_empty() {
            return Err(StoreError::invalid("label", "Enter a label"));
        }
        let mut tx = self.begin_write().await?;
        let pos: i64 = sqlx::query_scalar("SELECT CAST(COALESCE(MAX(position), 0) + 1 AS BIGINT) FROM dp_reference WHERE list = $1")
            .bind(list)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO dp_reference (list, code, label, position, active) VALUES ($1, $2, $3, $4, 1)
             ON CONFLICT (list, code) DO UPDATE SET label = excluded.label, active = 1",
        )
        .bind(list)
        .bind(&code)
        .bind(&label)
        .bind(pos)
        .execute(&mut *tx)
        .await?;
        record(&mut tx, actor, "update", "dp_reference", Some(&format!("{list}/{code}")), &format!("Set {list} '{label}'"), None, None)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn codes(&self, list: &str) -> Result<Vec<String>> {
        Ok(self.dp_reference(list).await?.into_iter().map(|(c, _)| c).collect())
    }

    /// The monitoring policy: defaults, with the contingency weeks from the setting
    /// `dp_contingency_weeks` when set.
    pub async fn dp_policy(&self) -> Result<Policy> {
        let mut p = Policy::default();
        if let Some(w) = self.setting("dp_contingency_weeks").await?.and_then(|s| s.parse::<i64>().ok()) {
            p.contingency_weeks = w;
        }
        Ok(p)
    }

    pub async fn set_dp_contingency_weeks(&self, actor: &Actor, weeks: i64) -> Result<()> {
        if !(0..=52).contains(&weeks) {
            return Err(StoreError::invalid("contingency_weeks", "Enter a number of weeks from 0 to 52"));
        }
        self.set_setting_by(actor, "dp_contingency_weeks", &weeks.to_string()).await
    }

    /// People receiving long-term support (from the council's returns): the denominator of the
    /// "% of people on long-term support" figure.
    pub async fn long_term_support(&self) -> Result<Option<i64>> {
        Ok(self.setting("dp_long_term_support").await?.and_then(|s| s.parse().ok()))
    }

    pub async fn set_long_term_support(&self, actor: &Actor, n: i64) -> Result<()> {
        if n <= 0 {
            return Err(StoreError::invalid("long_term_support", "Enter the number of people receiving long-term support, more than 0"));
        }
        self.set_setting_by(actor, "dp_long_term_support", &n.to_string()).await
    }

    async fn check_mm_company(&self, provider_id: &str) -> Result<()> {
        let on: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM services WHERE provider_id = $1 AND kind = 'money_management' AND contract_status = 'rpl'",
        )
        .bind(provider_id)
        .fetch_one(&self.pool)
        .await?;
        if on == 0 {
            return Err(StoreError::invalid("mm_provider_id", "Choose a money management company on the Recognised Provider List"));
        }
        Ok(())
    }

    pub async fn create_direct_payment(&self, actor: &Actor, n: &NewDirectPayment) -> Result<String> {
        let d = &n.draft;
        first_invalid(dp::validate_draft(d, &self.codes("service_area").await?))?;
        let mm = if d.holding == "managed_account" { d.mm_provider_id.clone().filter(|s| !s.is_empty()) } else { None };
        if let Some(p) = &mm {
            self.check_mm_company(p).await?;
        }
        if let Some(o) = &n.officer_id {
            self.user(o).await.map_err(|_| StoreError::invalid("officer_id", "Choose the named officer"))?;
        }
        let id = new_id();
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO direct_payments (id, person_ref, service_area, is_child, budget_pence, budget_period, holding, mm_provider_id, start_date, officer_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
        )
        .bind(&id)
        .bind(d.person_ref.trim().to_uppercase())
        .bind(&d.service_area)
        .bind(i64::from(d.is_child))
        .bind(d.budget_pence)
        .bind(&d.budget_period)
        .bind(&d.holding)
        .bind(mm.clone())
        .bind(d.start_date.to_string())
        .bind(n.officer_id.clone())
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        let after = json!({"service_area": d.service_area, "is_child": d.is_child, "budget_pence": d.budget_pence, "budget_period": d.budget_period,
            "holding": d.holding, "mm_provider_id": mm, "start_date": d.start_date.to_string(), "officer_id": n.officer_id});
        record(&mut tx, actor, "create", "direct_payment", Some(&id), "Recorded a direct payment", None, Some(&after)).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn direct_payment(&self, id: &str) -> Result<DirectPayment> {
        let row = sqlx::query(AssertSqlSafe(format!("{DP_SELECT} WHERE d.id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("direct payment {id}")))?;
        dp_from_row(&row)
    }

    pub async fn end_direct_payment(&self, actor: &Actor, id: &str, end: Date, reason: &str) -> Result<()> {
        let d = self.direct_payment(id).await?;
        if d.end_date.is_some() {
            return Err(StoreError::invalid("end_date", "This direct payment has already ended"));
        }
        let start = d.start().ok_or_else(|| StoreError::invalid("start_date", "The start date is not valid"))?;
        first_invalid(dp::validate_end(start, end, reason, &self.codes("closure_reason").await?))?;
        let last_spend: Option<String> =
            sqlx::query_scalar("SELECT MAX(spend_date) FROM dp_spend WHERE dp_id = $1").bind(id).fetch_one(&self.pool).await?;
        if let Some(ls) = last_spend
            && ls.as_str() > end.to_string().as_str()
        {
            return Err(StoreError::invalid("end_date", format!("Spend is recorded up to {ls}: the end date cannot be before it")));
        }
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE direct_payments SET end_date = $1, closure_reason = $2, updated_at = $3 WHERE id = $4")
            .bind(end.to_string())
            .bind(reason)
            .bind(now_timestamp())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            "update",
            "direct_payment",
            Some(id),
            "Ended a direct payment",
            Some(&json!({"end_date": null})),
            Some(&json!({"end_date": end.to_string(), "closure_reason": reason})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn direct_payments(&self, f: &DpFilter) -> Result<Page<DirectPayment>> {
        let mut sql = String::from(" WHERE 1=1");
        let mut binds: Vec<String> = Vec::new();
        let mut push = |cond: &str, v: String, sql: &mut String| {
            binds.push(v);
            sql.push_str(&cond.replace("?", &format!("${}", binds.len())));
        };
        if let Some(q) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            push(" AND UPPER(d.person_ref) LIKE ? ESCAPE '\\'", caremarket_core::limits::like_contains(&q.to_uppercase()), &mut sql);
        }
        match f.status.as_deref() {
            Some("all") => {}
            Some("ended") => sql.push_str(" AND d.end_date IS NOT NULL"),
            _ => sql.push_str(" AND d.end_date IS NULL"),
        }
        if let Some(v) = &f.service_area {
            push(" AND d.service_area = ?", v.clone(), &mut sql);
        }
        if let Some(v) = &f.holding {
            push(" AND d.holding = ?", v.clone(), &mut sql);
        }
        if let Some(v) = &f.officer_id {
            push(" AND d.officer_id = ?", v.clone(), &mut sql);
        }
        if let Some(v) = &f.mm_provider_id {
            push(" AND d.mm_provider_id = ?", v.clone(), &mut sql);
        }
        if let Some(c) = f.is_child {
            sql.push_str(if c { " AND d.is_child = 1" } else { " AND d.is_child = 0" });
        }
        if let Some(v) = &f.closure_reason {
            push(" AND d.closure_reason = ?", v.clone(), &mut sql);
        }
        if let Some(v) = f.started_since {
            push(" AND d.start_date >= ?", v.to_string(), &mut sql);
        }
        if let Some(v) = f.ended_since {
            push(" AND d.end_date >= ?", v.to_string(), &mut sql);
        }
        if let Some(c) = &f.category {
            push(" AND EXISTS (SELECT 1 FROM dp_spend s WHERE s.dp_id = d.id AND s.category = ?", c.clone(), &mut sql);
            if let Some(since) = f.spend_since {
                push(" AND s.spend_date >= ?", since.to_string(), &mut sql);
            }
            sql.push(')');
        }
        let per_page = if f.per_page <= 0 { 50 } else { f.per_page.min(500) };
        let page = f.page.max(1);
        let mut cq = sqlx::query_scalar::<_, i64>(AssertSqlSafe(format!("SELECT COUNT(*) FROM direct_payments d{sql}")));
        for b in &binds {
            cq = cq.bind(b.clone());
        }
        let total = cq.fetch_one(&self.pool).await?;
        let mut lq = sqlx::query(AssertSqlSafe(format!(
            "{DP_SELECT}{sql} ORDER BY d.start_date DESC, d.id LIMIT {per_page} OFFSET {}",
            (page - 1) * per_page
        )));
        for b in &binds {
            lq = lq.bind(b.clone());
        }
        let rows = lq.fetch_all(&self.pool).await?;
        Ok(Page { items: rows.iter().map(dp_from_row).collect::<Result<_>>()?, total, page, per_page })
    }

    /// Every DP as the Self-Directed Support figures need it.
    pub async fn dp_facts(&self) -> Result<Vec<DpFact>> {
        let rows = sqlx::query("SELECT id, service_area, is_child, holding, start_date, end_date, closure_reason FROM direct_payments")
            .fetch_all(&self.pool)
            .await?;
        let mut v = Vec::with_capacity(rows.len());
        for r in &rows {
            let Some(start) = r.try_get::<String, _>("start_date")?.parse::<Date>().ok() else { continue };
            v.push(DpFact {
                id: r.try_get("id")?,
                service_area: r.try_get("service_area")?,
                is_child: r.try_get::<i64, _>("is_child")? != 0,
                holding: r.try_get("holding")?,
                start,
                end: parse_date_opt(r.try_get("end_date")?),
                closure_reason: r.try_get("closure_reason")?,
            });
        }
        Ok(v)
    }

    /// Adults' spend between `from` and `to` (inclusive) by category: (category, people, pence).
    /// People count each DP once per category: a person using several categories is in each.
    pub async fn spend_by_category(&self, from: Date, to: Date, children: bool) -> Result<Vec<(String, i64, i64)>> {
        let rows = sqlx::query(
            "SELECT s.category, COUNT(DISTINCT s.dp_id) AS people, CAST(SUM(s.amount_pence) AS BIGINT) AS total
             FROM dp_spend s JOIN direct_payments d ON d.id = s.dp_id
             WHERE s.spend_date >= $1 AND s.spend_date <= $2 AND d.is_child = $3 GROUP BY s.category ORDER BY s.category",
        )
        .bind(from.to_string())
        .bind(to.to_string())
        .bind(i64::from(children))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("category")?, r.try_get("people")?, r.try_get::<Option<i64>, _>("total")?.unwrap_or(0))))
            .collect()
    }

    /// Spend between `from` and `to` by funding service area: (area, pence).
    pub async fn spend_by_area(&self, from: Date, to: Date, children: bool) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT d.service_area, CAST(SUM(s.amount_pence) AS BIGINT) AS total
             FROM dp_spend s JOIN direct_payments d ON d.id = s.dp_id
             WHERE s.spend_date >= $1 AND s.spend_date <= $2 AND d.is_child = $3 GROUP BY d.service_area ORDER BY d.service_area",
        )
        .bind(from.to_string())
        .bind(to.to_string())
        .bind(i64::from(children))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("service_area")?, r.try_get::<Option<i64>, _>("total")?.unwrap_or(0)))).collect()
    }

    /// One DP's spend by category: (category, pence), and its spend lines newest first.
    pub async fn dp_spend(&self, dp_id: &str) -> Result<(Vec<(String, i64)>, Vec<SpendLine>)> {
        let rows = sqlx::query("SELECT category, CAST(SUM(amount_pence) AS BIGINT) AS total FROM dp_spend WHERE dp_id = $1 GROUP BY category ORDER BY category")
            .bind(dp_id)
            .fetch_all(&self.pool)
            .await?;
        let by = rows
            .iter()
            .map(|r| Ok((r.try_get("category")?, r.try_get::<Option<i64>, _>("total")?.unwrap_or(0))))
            .collect::<Result<Vec<_>>>()?;
        let rows =
            sqlx::query("SELECT spend_date, amount_pence, category FROM dp_spend WHERE dp_id = $1 ORDER BY spend_date DESC, id LIMIT 50")
                .bind(dp_id)
                .fetch_all(&self.pool)
                .await?;
        let lines = rows
            .iter()
            .map(|r| {
                Ok(SpendLine {
                    spend_date: r.try_get("spend_date")?,
                    amount_pence: r.try_get("amount_pence")?,
                    category: r.try_get("category")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((by, lines))
    }
}

// ----- spend import -----

#[derive(Debug, Clone, Serialize)]
pub struct SpendLine {
    pub spend_date: String,
    pub amount_pence: i64,
    pub category: String,
}

/// One row of a finance file as read: the row number (as the officer sees it in a spreadsheet,
/// the header being row 1) and the four fields.
#[derive(Debug, Clone)]
pub struct SpendRow {
    pub row: usize,
    pub date: String,
    pub dp: String,
    pub amount: String,
    pub category: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SpendImport {
    pub id: String,
    pub rows: usize,
    pub total_pence: i64,
}

impl Store {
    /// Import spend rows all or nothing: every row is checked first (date, a known DP by id or
    /// case reference, open on that date, an amount other than zero, a known category), and
    /// nothing is written unless every row passes. `Ok(Err(messages))` lists each bad row.
    pub async fn import_spend(
        &self,
        actor: &Actor,
        file_name: &str,
        rows: &[SpendRow],
    ) -> Result<std::result::Result<SpendImport, Vec<String>>> {
        if rows.is_empty() {
            return Ok(Err(vec!["The file has no rows of spend under its header".into()]));
        }
        let all = sqlx::query("SELECT id, person_ref, start_date, end_date FROM direct_payments").fetch_all(&self.pool).await?;
        let mut by_id: BTreeMap<String, (Date, Option<Date>)> = BTreeMap::new();
        let mut by_ref: BTreeMap<String, Vec<(String, Date, Option<Date>)>> = BTreeMap::new();
        for r in &all {
            let id: String = r.try_get("id")?;
            let Ok(start) = r.try_get::<String, _>("start_date")?.parse::<Date>() else { continue };
            let end = parse_date_opt(r.try_get("end_date")?);
            by_ref.entry(r.try_get::<String, _>("person_ref")?.to_uppercase()).or_default().push((id.clone(), start, end));
            by_id.insert(id, (start, end));
        }
        let mut errors = Vec::new();
        let mut good: Vec<(String, Date, i64, &'static str)> = Vec::new();
        for r in rows {
            let n = r.row;
            let date = match caremarket_core::parse_date("date", &r.date) {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.push(format!("Row {n}: 'date' must be a date like 2024-03-31; found '{}'", r.date.trim()));
                    None
                }
            };
            let amount = match dp::parse_money(&r.amount) {
                Some(0) => {
                    errors.push(format!("Row {n}: 'amount' must not be zero"));
                    None
                }
                Some(a) => Some(a),
                None => {
                    errors.push(format!("Row {n}: 'amount' must be an amount in pounds like 125.50; found '{}'", r.amount.trim()));
                    None
                }
            };
            let category = match dp::parse_category(&r.category) {
                Some(c) => Some(c),
                None => {
                    let names = dp::CATEGORIES.iter().map(|(_, l)| *l).collect::<Vec<_>>().join(", ");
                    errors.push(format!("Row {n}: 'category' must be one of {names}; found '{}'", r.category.trim()));
                    None
                }
            };
            let key = r.dp.trim();
            let target: Option<(String, Date, Option<Date>)> = if let Some((s, e)) = by_id.get(key) {
                Some((key.to_string(), *s, *e))
            } else if let Some(v) = by_ref.get(&key.to_uppercase()) {
                // A reference with several DPs: the one open on the date.
                match date {
                    Some(d) => v.iter().find(|(_, s, e)| dp::spend_allowed(*s, *e, d).is_ok()).or(v.first()).cloned(),
                    None => v.first().cloned(),
                }
            } else {
                errors
                    .push(format!("Row {n}: 'dp' must be a direct payment's id or case reference; no direct payment '{key}' is recorded"));
                None
            };
            if let (Some((_, s, e)), Some(d)) = (&target, date)
                && let Err(m) = dp::spend_allowed(*s, *e, d)
            {
                errors.push(format!("Row {n}: {m}"));
                continue;
            }
            if let (Some((id, _, _)), Some(d), Some(a), Some(c)) = (target, date, amount, category) {
                good.push((id, d, a, c));
            }
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let import_id = new_id();
        let now = now_timestamp();
        let total: i64 = good.iter().map(|g| g.2).sum();
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO dp_spend_imports (id, file_name, row_count, total_pence, imported_at, actor_label) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&import_id)
            .bind(file_name)
            .bind(good.len() as i64)
            .bind(total)
            .bind(&now)
            .bind(&actor.label)
            .execute(&mut *tx)
            .await?;
        for (id, d, a, c) in &good {
            sqlx::query("INSERT INTO dp_spend (id, dp_id, spend_date, amount_pence, category, import_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(new_id())
                .bind(id)
                .bind(d.to_string())
                .bind(*a)
                .bind(*c)
                .bind(&import_id)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
        }
        record(
            &mut tx,
            actor,
            "import",
            "dp_spend_import",
            Some(&import_id),
            &format!("Imported {} spend rows", good.len()),
            None,
            Some(&json!({"file": file_name, "rows": good.len(), "total_pence": total})),
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(SpendImport { id: import_id, rows: good.len(), total_pence: total }))
    }
}

// ----- monitoring and reclaims -----

#[derive(Debug, Clone, Serialize)]
pub struct MonitoringRecord {
    pub id: String,
    pub dp_id: String,
    pub kind: String,
    pub completed_on: String,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub balance_pence: Option<i64>,
    pub contingency_weeks: Option<i64>,
    pub allowed_contingency_pence: Option<i64>,
    pub surplus_pence: Option<i64>,
    pub requested_pence: Option<i64>,
    pub returned_pence: Option<i64>,
    pub returned_on: Option<String>,
    pub notes: Option<String>,
    pub officer_label: String,
}

#[derive(Debug, Clone, Default)]
pub struct NewMonitoring {
    pub kind: String,
    pub completed_on: Option<Date>,
    pub period_start: Option<Date>,
    pub period_end: Option<Date>,
    pub balance_pence: Option<i64>,
    pub requested_pence: Option<i64>,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DueRow {
    pub dp_id: String,
    pub person_ref: String,
    pub officer_id: Option<String>,
    pub officer_name: Option<String>,
    pub kind: &'static str,
    pub due: String,
    pub overdue: bool,
}

const MON_COLS: &str =
    "id, dp_id, kind, completed_on, period_start, period_end, balance_pence, contingency_weeks, allowed_contingency_pence,
    surplus_pence, requested_pence, returned_pence, returned_on, notes, officer_label";

fn mon_from_row(r: &AnyRow) -> Result<MonitoringRecord> {
    Ok(MonitoringRecord {
        id: r.try_get("id")?,
        dp_id: r.try_get("dp_id")?,
        kind: r.try_get("kind")?,
        completed_on: r.try_get("completed_on")?,
        period_start: r.try_get("period_start")?,
        period_end: r.try_get("period_end")?,
        balance_pence: r.try_get("balance_pence")?,
        contingency_weeks: r.try_get("contingency_weeks")?,
        allowed_contingency_pence: r.try_get("allowed_contingency_pence")?,
        surplus_pence: r.try_get("surplus_pence")?,
        requested_pence: r.try_get("requested_pence")?,
        returned_pence: r.try_get("returned_pence")?,
        returned_on: r.try_get("returned_on")?,
        notes: r.try_get("notes")?,
        officer_label: r.try_get("officer_label")?,
    })
}

impl Store {
    /// Record a check-in, review or financial monitoring period. For financial monitoring the
    /// surplus is worked out from the balance and the allowed contingency (policy), and the
    /// amount requested back may not exceed it.
    pub async fn record_monitoring(&self, actor: &Actor, dp_id: &str, m: &NewMonitoring) -> Result<String> {
        let d = self.direct_payment(dp_id).await?;
        if !monitoring::KINDS.iter().any(|(k, _)| *k == m.kind) {
            return Err(StoreError::invalid("kind", "Choose what kind of monitoring this was"));
        }
        let Some(done) = m.completed_on else {
            return Err(StoreError::invalid("completed_on", "Enter the date it was done"));
        };
        if done > crate::today() {
            return Err(StoreError::invalid("completed_on", "The date must be today or in the past"));
        }
        if d.start().is_some_and(|s| done < s) {
            return Err(StoreError::invalid("completed_on", "The date must be on or after the direct payment started"));
        }
        let policy = self.dp_policy().await?;
        let (mut bal, mut weeks, mut allowed, mut surplus, mut requested) = (None, None, None, None, None);
        if m.kind == "financial" {
            let (Some(ps), Some(pe)) = (m.period_start, m.period_end) else {
                return Err(StoreError::invalid("period_start", "Enter the start and end of the period monitored"));
            };
            if pe < ps {
                return Err(StoreError::invalid("period_end", "The end of the period must be on or after its start"));
            }
            let Some(b) = m.balance_pence else {
                return Err(StoreError::invalid("balance", "Enter the balance held at the end of the period"));
            };
            let s = monitoring::surplus(b, d.budget_pence, &d.budget_period, policy.contingency_weeks)
                .ok_or_else(|| StoreError::invalid("balance", "The budget period is not known"))?;
            let req = m.requested_pence.unwrap_or(0);
            if let Err((f, msg)) = monitoring::check_reclaim(s.surplus_pence, req, None) {
                return Err(StoreError::invalid(f, msg));
            }
            bal = Some(b);
            weeks = Some(s.contingency_weeks);
            allowed = Some(s.allowed_contingency_pence);
            surplus = Some(s.surplus_pence);
            requested = Some(req);
        }
        let id = new_id();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO dp_monitoring (id, dp_id, kind, completed_on, period_start, period_end, balance_pence, contingency_weeks, allowed_contingency_pence,
                surplus_pence, requested_pence, notes, officer_label, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(&id)
        .bind(dp_id)
        .bind(&m.kind)
        .bind(done.to_string())
        .bind(m.period_start.map(|d| d.to_string()))
        .bind(m.period_end.map(|d| d.to_string()))
        .bind(bal)
        .bind(weeks)
        .bind(allowed)
        .bind(surplus)
        .bind(requested)
        .bind(m.notes.clone().filter(|s| !s.trim().is_empty()))
        .bind(&actor.label)
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        record(&mut tx, actor, "create", "dp_monitoring", Some(&id), &format!("Recorded DP monitoring ({})", m.kind), None, Some(&json!({"dp_id": dp_id, "kind": m.kind, "completed_on": done.to_string(), "balance_pence": bal, "surplus_pence": surplus, "requested_pence": requested}))).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Record what came back of a reclaim.
    pub async fn record_returned(&self, actor: &Actor, monitoring_id: &str, returned: i64, on: Date) -> Result<()> {
        let row = sqlx::query(AssertSqlSafe(format!("SELECT {MON_COLS} FROM dp_monitoring WHERE id = $1")))
            .bind(monitoring_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("monitoring {monitoring_id}")))?;
        let m = mon_from_row(&row)?;
        let (Some(s), Some(req)) = (m.surplus_pence, m.requested_pence) else {
            return Err(StoreError::invalid("returned", "Only financial monitoring with a reclaim can record money returned"));
        };
        if let Err((f, msg)) = monitoring::check_reclaim(s, req, Some(returned)) {
            return Err(StoreError::invalid(f, msg));
        }
        if on > crate::today() {
            return Err(StoreError::invalid("returned_on", "The date must be today or in the past"));
        }
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE dp_monitoring SET returned_pence = $1, returned_on = $2 WHERE id = $3")
            .bind(returned)
            .bind(on.to_string())
            .bind(monitoring_id)
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            "update",
            "dp_monitoring",
            Some(monitoring_id),
            "Recorded money returned from a reclaim",
            Some(&json!({"returned_pence": m.returned_pence})),
            Some(&json!({"returned_pence": returned, "returned_on": on.to_string()})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn monitoring_for(&self, dp_id: &str) -> Result<Vec<MonitoringRecord>> {
        let rows =
            sqlx::query(AssertSqlSafe(format!("SELECT {MON_COLS} FROM dp_monitoring WHERE dp_id = $1 ORDER BY completed_on DESC, id")))
                .bind(dp_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(mon_from_row).collect()
    }

    /// Everything due (and overdue) for open DPs within `horizon_days` of `today`, by officer then date.
    pub async fn monitoring_due(&self, today: Date, horizon_days: i64) -> Result<Vec<DueRow>> {
        let policy = self.dp_policy().await?;
        let open = self.direct_payments(&DpFilter { status: Some("open".into()), per_page: 500, ..Default::default() }).await?;
        let mut all_open = open.items;
        let mut page = 2;
        while (all_open.len() as i64) < open.total {
            let more = self.direct_payments(&DpFilter { status: Some("open".into()), per_page: 500, page, ..Default::default() }).await?;
            if more.items.is_empty() {
                break;
            }
            all_open.extend(more.items);
            page += 1;
        }
        let rows = sqlx::query("SELECT dp_id, kind, MAX(completed_on) AS last FROM dp_monitoring GROUP BY dp_id, kind")
            .fetch_all(&self.pool)
            .await?;
        let mut last: BTreeMap<(String, String), Date> = BTreeMap::new();
        for r in &rows {
            if let Some(d) = parse_date_opt(r.try_get("last")?) {
                last.insert((r.try_get("dp_id")?, r.try_get("kind")?), d);
            }
        }
        let horizon = today.checked_add(jiff::Span::new().days(horizon_days)).unwrap_or(today);
        let mut out = Vec::new();
        for d in &all_open {
            let Some(start) = d.start() else { continue };
            let get = |k: &str| last.get(&(d.id.clone(), k.to_string())).copied();
            for due in monitoring::due(&policy, start, d.end(), get("check_in"), get("review"), get("financial"), today) {
                if due.due <= horizon {
                    out.push(DueRow {
                        dp_id: d.id.clone(),
                        person_ref: d.person_ref.clone(),
                        officer_id: d.officer_id.clone(),
                        officer_name: d.officer_name.clone(),
                        kind: due.kind,
                        due: due.due.to_string(),
                        overdue: due.overdue,
                    });
                }
            }
        }
        out.sort_by(|a, b| (a.officer_name.as_deref().unwrap_or("~"), &a.due).cmp(&(b.officer_name.as_deref().unwrap_or("~"), &b.due)));
        Ok(out)
    }

    /// Reclaims from financial monitoring completed on or after `since` (all when `None`):
    /// totals and the records, newest first.
    pub async fn reclaims(&self, since: Option<Date>) -> Result<(ReclaimTotals, Vec<MonitoringRecord>)> {
        let since = since.map(|d| d.to_string()).unwrap_or_else(|| "0000-01-01".into());
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(requested_pence), 0) AS BIGINT) AS req, CAST(COALESCE(SUM(returned_pence), 0) AS BIGINT) AS ret
             FROM dp_monitoring WHERE kind = 'financial' AND completed_on >= $1",
        )
        .bind(&since)
        .fetch_one(&self.pool)
        .await?;
        let totals = ReclaimTotals::new(row.try_get("req")?, row.try_get("ret")?);
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {MON_COLS} FROM dp_monitoring WHERE kind = 'financial' AND completed_on >= $1 AND COALESCE(requested_pence, 0) > 0 ORDER BY completed_on DESC, id LIMIT 500"
        )))
        .bind(&since)
        .fetch_all(&self.pool)
        .await?;
        Ok((totals, rows.iter().map(mon_from_row).collect::<Result<_>>()?))
    }
}

// ----- money management companies, exit plans, ISFs -----

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

#[derive(Debug, Clone, Serialize)]
pub struct Isf {
    pub id: String,
    pub person_ref: String,
    pub provider_id: String,
    pub provider_name: String,
    pub budget_pence: i64,
    pub budget_period: String,
    pub start_date: String,
    pub end_date: Option<String>,
}

impl Store {
    /// Money management companies (providers with a money management service), with their
    /// last quality assurance, when the next is due (a year later) and who uses them.
    pub async fn rpl_companies(&self, today: Date) -> Result<Vec<RplCompany>> {
        let rows = sqlx::query(
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
        for r in &rows {
            let id: String = r.try_get("id")?;
            let last: Option<String> = r.try_get("last_qa")?;
            let result: Option<String> = match &last {
                Some(l) => sqlx::query_scalar(
                    "SELECT result FROM rpl_quality_assurance WHERE provider_id = $1 AND assessed_on = $2 ORDER BY created_at DESC LIMIT 1",
                )
                .bind(&id)
                .bind(l)
                .fetch_optional(&self.pool)
                .await?,
                None => None,
            };
            let on_list = r.try_get::<i64, _>("on_list")? > 0;
            let due = last.as_deref().and_then(|l| l.parse::<Date>().ok()).and_then(|d| d.checked_add(jiff::Span::new().years(1)).ok());
            v.push(RplCompany {
                provider_id: id,
                name: r.try_get("name")?,
                on_list,
                last_qa_on: last,
                last_result: result,
                qa_due: due.map(|d| d.to_string()),
                qa_overdue: on_list && due.is_none_or(|d| d < today),
                open_dps: r.try_get("open_dps")?,
                exit_plan_id: r.try_get("exit_plan_id")?,
            });
        }
        Ok(v)
    }

    pub async fn rpl_qa_history(&self, provider_id: &str) -> Result<Vec<QaRecord>> {
        let rows = sqlx::query("SELECT assessed_on, result, notes, actor_label FROM rpl_quality_assurance WHERE provider_id = $1 ORDER BY assessed_on DESC, created_at DESC")
            .bind(provider_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(QaRecord {
                    assessed_on: r.try_get("assessed_on")?,
                    result: r.try_get("result")?,
                    notes: r.try_get("notes")?,
                    actor_label: r.try_get("actor_label")?,
                })
            })
            .collect()
    }

    pub async fn record_rpl_qa(&self, actor: &Actor, provider_id: &str, on: Date, result: &str, notes: Option<&str>) -> Result<()> {
        self.provider(provider_id).await?;
        if !QA_RESULTS.iter().any(|(c, _)| *c == result) {
            return Err(StoreError::invalid("result", "Choose the result of the quality assurance"));
        }
        if on > crate::today() {
            return Err(StoreError::invalid("assessed_on", "The date must be today or in the past"));
        }
        let id = new_id();
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO rpl_quality_assurance (id, provider_id, assessed_on, result, notes, actor_label, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&id)
            .bind(provider_id)
            .bind(on.to_string())
            .bind(result)
            .bind(notes.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string))
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
            Some(&json!({"provider_id": provider_id, "assessed_on": on.to_string(), "result": result})),
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
        if reason.trim().is_empty() {
            return Err(StoreError::invalid("reason", "Enter why the company is being removed"));
        }
        let on_list: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM services WHERE provider_id = $1 AND kind = 'money_management' AND contract_status = 'rpl'",
        )
        .bind(provider_id)
        .fetch_one(&self.pool)
        .await?;
        if on_list == 0 {
            return Err(StoreError::invalid("reason", "This company is not on the Recognised Provider List"));
        }
        let mut items: Vec<(String, String, Option<String>)> = Vec::new();
        for r in
            sqlx::query("SELECT id, person_ref FROM direct_payments WHERE mm_provider_id = $1 AND end_date IS NULL ORDER BY person_ref")
                .bind(provider_id)
                .fetch_all(&self.pool)
                .await?
        {
            items.push((r.try_get("person_ref")?, "direct_payment".into(), Some(r.try_get("id")?)));
        }
        for r in sqlx::query("SELECT id, person_ref FROM isfs WHERE provider_id = $1 AND end_date IS NULL ORDER BY person_ref")
            .bind(provider_id)
            .fetch_all(&self.pool)
            .await?
        {
            items.push((r.try_get("person_ref")?, "isf".into(), Some(r.try_get("id")?)));
        }
        let plan = NewExitPlan {
            provider_id: provider_id.into(),
            reason: reason.trim().into(),
            planned,
            context: "rpl_removal".into(),
            opened_on: on,
            target_date: target,
            items,
        };
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE services SET contract_status = 'not_contracted', updated_at = $1 WHERE provider_id = $2 AND kind = 'money_management' AND contract_status = 'rpl'")
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
            Some(&json!({"contract_status": "not_contracted", "reason": reason.trim()})),
        )
        .await?;
        let id = insert_exit_plan(&mut tx, actor, &plan).await?;
        tx.commit().await?;
        Ok(id)
    }

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
        let items = sqlx::query("SELECT id, person_ref, source_type, source_id, status, new_arrangement, done_on, notes FROM exit_plan_items WHERE exit_plan_id = $1 ORDER BY status DESC, person_ref")
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
    /// everyone is done.
    pub async fn update_exit_item(&self, actor: &Actor, item_id: &str, new_arrangement: &str, done: bool, on: Date) -> Result<()> {
        let plan_id: String = sqlx::query_scalar("SELECT exit_plan_id FROM exit_plan_items WHERE id = $1")
            .bind(item_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("exit plan item {item_id}")))?;
        let arrangement = new_arrangement.trim();
        if arrangement.is_empty() {
            return Err(StoreError::invalid("new_arrangement", "Enter the person's new arrangement"));
        }
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE exit_plan_items SET new_arrangement = $1, status = $2, done_on = $3, updated_at = $4 WHERE id = $5")
            .bind(arrangement)
            .bind(if done { "done" } else { "in_progress" })
            .bind(done.then(|| on.to_string()))
            .bind(now_timestamp())
            .bind(item_id)
            .execute(&mut *tx)
            .await?;
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

    pub async fn create_isf(
        &self,
        actor: &Actor,
        person_ref: &str,
        provider_id: &str,
        budget_pence: i64,
        period: &str,
        start: Date,
    ) -> Result<String> {
        if !dp::valid_person_ref(person_ref) {
            return Err(StoreError::invalid("person_ref", "Enter the person's case reference, not their name"));
        }
        if budget_pence <= 0 {
            return Err(StoreError::invalid("budget", "The budget must be more than £0"));
        }
        if dp::annual_pence(1, period).is_none() {
            return Err(StoreError::invalid("budget_period", "Choose the period the budget covers"));
        }
        self.provider(provider_id).await.map_err(|_| StoreError::invalid("provider_id", "Choose the provider holding the fund"))?;
        let id = new_id();
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO isfs (id, person_ref, provider_id, budget_pence, budget_period, start_date, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&id)
            .bind(person_ref.trim().to_uppercase())
            .bind(provider_id)
            .bind(budget_pence)
            .bind(period)
            .bind(start.to_string())
            .bind(now_timestamp())
            .execute(&mut *tx)
            .await?;
        record(&mut tx, actor, "create", "isf", Some(&id), "Recorded an Individual Service Fund", None, Some(&json!({"provider_id": provider_id, "budget_pence": budget_pence, "budget_period": period, "start_date": start.to_string()}))).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn isfs(&self) -> Result<Vec<Isf>> {
        let rows = sqlx::query(
            "SELECT i.id, i.person_ref, i.provider_id, p.name AS provider_name, i.budget_pence, i.budget_period, i.start_date, i.end_date
             FROM isfs i JOIN providers p ON p.id = i.provider_id ORDER BY i.end_date IS NOT NULL, i.start_date DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Isf {
                    id: r.try_get("id")?,
                    person_ref: r.try_get("person_ref")?,
                    provider_id: r.try_get("provider_id")?,
                    provider_name: r.try_get("provider_name")?,
                    budget_pence: r.try_get("budget_pence")?,
                    budget_period: r.try_get("budget_period")?,
                    start_date: r.try_get("start_date")?,
                    end_date: r.try_get("end_date")?,
                })
            })
            .collect()
    }
}

async fn insert_exit_plan(tx: &mut sqlx::Transaction<'_, sqlx::Any>, actor: &Actor, plan: &NewExitPlan) -> Result<String> {
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

// ----- PA register -----

#[derive(Debug, Clone, Serialize)]
pub struct PaEntry {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub display_name: String,
    pub email: String,
    pub phone: Option<String>,
    pub outward_code: String,
    pub hours_per_week: i64,
    pub slots: Vec<String>,
    pub skills: Vec<String>,
    pub languages: Vec<String>,
    pub gender: Option<String>,
    pub gender_preference: Option<String>,
    pub driving: bool,
    pub dbs_status: Option<String>,
    pub dbs_date: Option<String>,
    pub about: Option<String>,
    pub source: String,
    pub created_at: String,
    pub withdrawn_reason: Option<String>,
}

impl PaEntry {
    pub fn profile(&self) -> Profile {
        Profile {
            outward_code: self.outward_code.clone(),
            slots: self.slots.iter().cloned().collect(),
            skills: self.skills.iter().cloned().collect(),
            languages: self.languages.iter().cloned().collect(),
            gender: self.gender.clone(),
            gender_preference: self.gender_preference.clone(),
            driving: self.driving,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct NewPaEntry {
    pub kind: String,
    pub display_name: String,
    pub email: String,
    pub phone: Option<String>,
    pub outward_code: String,
    pub hours_per_week: i64,
    pub profile: Profile,
    pub dbs_status: Option<String>,
    pub dbs_date: Option<Date>,
    pub about: Option<String>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct PaCounts {
    pub employers: i64,
    pub pas: i64,
    pub pending: i64,
    pub introductions: i64,
    pub introductions_12m: i64,
}

const PA_COLS: &str =
    "id, kind, status, display_name, email, phone, outward_code, hours_per_week, slots, skills, languages, gender, gender_preference,
    driving, dbs_status, dbs_date, about, source, created_at, withdrawn_reason";

fn pa_from_row(r: &AnyRow) -> Result<PaEntry> {
    let v = |c: &str| -> Result<Vec<String>> { Ok(set_of(&r.try_get::<String, _>(c)?).into_iter().collect()) };
    Ok(PaEntry {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        status: r.try_get("status")?,
        display_name: r.try_get("display_name")?,
        email: r.try_get("email")?,
        phone: r.try_get("phone")?,
        outward_code: r.try_get("outward_code")?,
        hours_per_week: r.try_get("hours_per_week")?,
        slots: v("slots")?,
        skills: v("skills")?,
        languages: v("languages")?,
        gender: r.try_get("gender")?,
        gender_preference: r.try_get("gender_preference")?,
        driving: r.try_get::<i64, _>("driving")? != 0,
        dbs_status: r.try_get("dbs_status")?,
        dbs_date: r.try_get("dbs_date")?,
        about: r.try_get("about")?,
        source: r.try_get("source")?,
        created_at: r.try_get("created_at")?,
        withdrawn_reason: r.try_get("withdrawn_reason")?,
    })
}

impl Store {
    /// Register a PA or employer. From the public form (`source` "public") the entry is
    /// pending until an officer approves it; an officer's entry is approved at once.
    pub async fn register_pa(&self, actor: &Actor, e: &NewPaEntry, source: &str) -> Result<String> {
        let outward = e.outward_code.trim().to_uppercase();
        first_invalid(pa_register::validate(&e.kind, &e.display_name, &e.email, &outward, e.hours_per_week, &e.profile))?;
        if let Some(s) = &e.dbs_status
            && !pa_register::DBS_STATUSES.iter().any(|(c, _)| c == s)
        {
            return Err(StoreError::invalid("dbs_status", "Choose the DBS check status"));
        }
        if e.dbs_date.is_some_and(|d| d > crate::today()) {
            return Err(StoreError::invalid("dbs_date", "The DBS check date must be today or in the past"));
        }
        let status = if source == "public" { "pending" } else { "approved" };
        let id = new_id();
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO pa_entries (id, kind, status, display_name, email, phone, outward_code, hours_per_week, slots, skills, languages, gender,
                gender_preference, driving, dbs_status, dbs_date, about, source, created_at, created_on, approved_at, approved_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)",
        )
        .bind(&id)
        .bind(&e.kind)
        .bind(status)
        .bind(caremarket_core::text::tidy(&e.display_name))
        .bind(e.email.trim().to_lowercase())
        .bind(e.phone.clone().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()))
        .bind(&outward)
        .bind(e.hours_per_week)
        .bind(list_of(&e.profile.slots))
        .bind(list_of(&e.profile.skills))
        .bind(list_of(&e.profile.languages))
        .bind(e.profile.gender.clone())
        .bind(e.profile.gender_preference.clone())
        .bind(i64::from(e.profile.driving))
        .bind(e.dbs_status.clone())
        .bind(e.dbs_date.map(|d| d.to_string()))
        .bind(e.about.clone().map(|a| a.trim().chars().take(1000).collect::<String>()).filter(|a| !a.is_empty()))
        .bind(source)
        .bind(&now)
        .bind(crate::today().to_string())
        .bind((status == "approved").then(|| now.clone()))
        .bind((status == "approved").then(|| actor.label.clone()))
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            actor,
            "create",
            "pa_entry",
            Some(&id),
            &format!("Registered on the PA register ({}, {status})", e.kind),
            None,
            Some(&json!({"kind": e.kind, "status": status, "outward_code": outward, "source": source})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Public registrations made on `day` (for the daily cap on the public form).
    pub async fn public_pa_registrations_on(&self, day: Date) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM pa_entries WHERE source = 'public' AND created_on = $1")
            .bind(day.to_string())
            .fetch_one(&self.pool)
            .await?)
    }

    pub async fn pa_entry(&self, id: &str) -> Result<PaEntry> {
        let r = sqlx::query(AssertSqlSafe(format!("SELECT {PA_COLS} FROM pa_entries WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("PA register entry {id}")))?;
        pa_from_row(&r)
    }

    /// Entries of a kind ("pa" / "employer"; any when `None`) and status, newest first.
    pub async fn pa_entries(&self, kind: Option<&str>, status: &str) -> Result<Vec<PaEntry>> {
        let rows = match kind {
            Some(k) => {
                sqlx::query(AssertSqlSafe(format!(
                    "SELECT {PA_COLS} FROM pa_entries WHERE kind = $1 AND status = $2 ORDER BY created_at DESC, id"
                )))
                .bind(k)
                .bind(status)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(AssertSqlSafe(format!("SELECT {PA_COLS} FROM pa_entries WHERE status = $1 ORDER BY created_at DESC, id")))
                    .bind(status)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(pa_from_row).collect()
    }

    pub async fn approve_pa(&self, actor: &Actor, id: &str) -> Result<()> {
        let e = self.pa_entry(id).await?;
        if e.status != "pending" {
            return Err(StoreError::invalid("status", "Only a pending entry can be approved"));
        }
        self.set_pa_status(actor, id, "approved", None, "Approved a PA register entry").await
    }

    /// Either side withdraws (or an officer on their behalf).
    pub async fn withdraw_pa(&self, actor: &Actor, id: &str, reason: &str) -> Result<()> {
        let e = self.pa_entry(id).await?;
        if e.status == "withdrawn" {
            return Err(StoreError::invalid("status", "This entry has already been withdrawn"));
        }
        let reason = reason.trim();
        self.set_pa_status(
            actor,
            id,
            "withdrawn",
            Some(if reason.is_empty() { "Withdrawn" } else { reason }),
            "Withdrew a PA register entry",
        )
        .await
    }

    async fn set_pa_status(&self, actor: &Actor, id: &str, status: &str, reason: Option<&str>, summary: &str) -> Result<()> {
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        if status == "approved" {
            sqlx::query("UPDATE pa_entries SET status = 'approved', approved_at = $1, approved_by = $2 WHERE id = $3")
                .bind(&now)
                .bind(&actor.label)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query("UPDATE pa_entries SET status = $1, withdrawn_at = $2, withdrawn_reason = $3 WHERE id = $4")
                .bind(status)
                .bind(&now)
                .bind(reason.map(str::to_string))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        record(&mut tx, actor, "update", "pa_entry", Some(id), summary, None, Some(&json!({"status": status}))).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Approved PAs ranked by fit for `wanted`, best first, with the reasons.
    pub async fn pa_search(&self, wanted: &Profile) -> Result<Vec<(PaEntry, pa_register::Match)>> {
        let mut v: Vec<(PaEntry, pa_register::Match)> = self
            .pa_entries(Some("pa"), "approved")
            .await?
            .into_iter()
            .filter_map(|p| pa_register::score(wanted, &p.profile()).map(|m| (p, m)))
            .collect();
        v.sort_by(|a, b| b.1.score.cmp(&a.1.score).then_with(|| a.0.display_name.cmp(&b.0.display_name)));
        Ok(v)
    }

    /// Record an introduction between an approved employer and an approved PA.
    pub async fn record_introduction(&self, actor: &Actor, employer_id: &str, pa_id: &str, on: Date) -> Result<String> {
        let emp = self.pa_entry(employer_id).await?;
        let pa = self.pa_entry(pa_id).await?;
        if emp.kind != "employer" || pa.kind != "pa" {
            return Err(StoreError::invalid("pa_id", "An introduction is between an employer and a personal assistant"));
        }
        if emp.status != "approved" || pa.status != "approved" {
            return Err(StoreError::invalid("pa_id", "Both the employer and the PA must be approved and not withdrawn"));
        }
        let score = pa_register::score(&emp.profile(), &pa.profile()).map(|m| m.score).unwrap_or(0);
        let id = new_id();
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO pa_introductions (id, employer_id, pa_id, introduced_on, score, actor_label, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&id)
            .bind(employer_id)
            .bind(pa_id)
            .bind(on.to_string())
            .bind(i64::from(score))
            .bind(&actor.label)
            .bind(now_timestamp())
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            "create",
            "pa_introduction",
            Some(&id),
            "Recorded a PA introduction",
            None,
            Some(&json!({"employer_id": employer_id, "pa_id": pa_id, "score": score})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Introductions for an entry (either side): (date, other side's id, other side's name, score).
    pub async fn introductions_for(&self, id: &str) -> Result<Vec<(String, String, String, i64)>> {
        let rows = sqlx::query(
            "SELECT i.introduced_on, CASE WHEN i.employer_id = $1 THEN i.pa_id ELSE i.employer_id END AS other_id, e.display_name, i.score
             FROM pa_introductions i JOIN pa_entries e ON e.id = CASE WHEN i.employer_id = $1 THEN i.pa_id ELSE i.employer_id END
             WHERE i.employer_id = $1 OR i.pa_id = $1 ORDER BY i.introduced_on DESC",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("introduced_on")?, r.try_get("other_id")?, r.try_get("display_name")?, r.try_get("score")?)))
            .collect()
    }

    /// The register counts of `000` (employers, PAs, introductions) from records.
    pub async fn pa_counts(&self, today: Date) -> Result<PaCounts> {
        let n = |sql: &'static str| async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&self.pool).await };
        let year_ago = today.checked_sub(jiff::Span::new().years(1)).unwrap_or(today);
        Ok(PaCounts {
            employers: n("SELECT COUNT(*) FROM pa_entries WHERE kind = 'employer' AND status = 'approved'").await?,
            pas: n("SELECT COUNT(*) FROM pa_entries WHERE kind = 'pa' AND status = 'approved'").await?,
            pending: n("SELECT COUNT(*) FROM pa_entries WHERE status = 'pending'").await?,
            introductions: n("SELECT COUNT(*) FROM pa_introductions").await?,
            introductions_12m: sqlx::query_scalar("SELECT COUNT(*) FROM pa_introductions WHERE introduced_on > $1")
                .bind(year_ago.to_string())
                .fetch_one(&self.pool)
                .await?,
        })
    }
}

// ----- rate cards and gathered fees -----

#[derive(Debug, Clone, Serialize)]
pub struct ProviderFee {
    pub id: String,
    pub provider_id: Option<String>,
    pub provider_name: String,
    pub service_type: String,
    pub fee_pence: i64,
    pub gathered_on: String,
    pub source: String,
}

impl Store {
    /// The shipped statutory cards and the council's own, oldest first.
    pub async fn pa_rate_cards(&self) -> Result<Vec<RateCard>> {
        let mut cards = pa_rates::default_cards();
        for json in sqlx::query_scalar::<_, String>("SELECT card_json FROM pa_rate_cards ORDER BY effective_from, created_at")
            .fetch_all(&self.pool)
            .await?
        {
            if let Ok(c) = serde_json::from_str::<RateCard>(&json) {
                cards.push(c);
            }
        }
        cards.sort_by_key(|c| c.effective_from);
        Ok(cards)
    }

    pub async fn add_pa_rate_card(&self, actor: &Actor, card: &RateCard) -> Result<String> {
        if card.name.trim().is_empty() {
            return Err(StoreError::invalid("name", "Enter a name for the rate card"));
        }
        if card.base_pence <= 0 {
            return Err(StoreError::invalid("base", "Enter base pay of more than £0 an hour"));
        }
        if card.base_pence < card.national_living_wage_pence {
            return Err(StoreError::invalid("base", "Base pay must be at least the National Living Wage"));
        }
        let id = new_id();
        let body = serde_json::to_string(card).map_err(|e| StoreError::invalid("card", e.to_string()))?;
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO pa_rate_cards (id, name, effective_from, card_json, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&id)
            .bind(card.name.trim())
            .bind(card.effective_from.to_string())
            .bind(&body)
            .bind(now_timestamp())
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            "create",
            "pa_rate_card",
            Some(&id),
            &format!("Added PA rate card '{}'", card.name.trim()),
            None,
            serde_json::from_str(&body).ok().as_ref(),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn add_provider_fee(
        &self,
        actor: &Actor,
        provider_id: Option<&str>,
        provider_name: &str,
        service_type: &str,
        fee_pence: i64,
        on: Date,
        source: &str,
    ) -> Result<String> {
        let name = match provider_id.filter(|s| !s.is_empty()) {
            Some(p) => self.provider(p).await.map_err(|_| StoreError::invalid("provider_id", "Choose a provider from the register"))?.name,
            None => caremarket_core::text::tidy(provider_name),
        };
        if name.is_empty() {
            return Err(StoreError::invalid("provider_name", "Enter the provider's name"));
        }
        if !caremarket_core::direct_payments::provider_rates::SERVICE_TYPES.iter().any(|(c, _)| *c == service_type) {
            return Err(StoreError::invalid("service_type", "Choose the type of service"));
        }
        if fee_pence <= 0 {
            return Err(StoreError::invalid("fee", "The fee must be more than £0"));
        }
        if on > crate::today() {
            return Err(StoreError::invalid("gathered_on", "The date must be today or in the past"));
        }
        let id = new_id();
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO provider_fees (id, provider_id, provider_name, service_type, fee_pence, gathered_on, source, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&id)
            .bind(provider_id.filter(|s| !s.is_empty()).map(str::to_string))
            .bind(&name)
            .bind(service_type)
            .bind(fee_pence)
            .bind(on.to_string())
            .bind(source.trim())
            .bind(now_timestamp())
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            "create",
            "provider_fee",
            Some(&id),
            &format!("Recorded a private fee for {name}"),
            None,
            Some(&json!({"service_type": service_type, "fee_pence": fee_pence, "gathered_on": on.to_string()})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Fees gathered for a service type on or after `since`, lowest first.
    pub async fn provider_fees(&self, service_type: &str, since: Option<Date>) -> Result<Vec<ProviderFee>> {
        let rows = sqlx::query("SELECT id, provider_id, provider_name, service_type, fee_pence, gathered_on, source FROM provider_fees WHERE service_type = $1 AND gathered_on >= $2 ORDER BY fee_pence, provider_name")
            .bind(service_type)
            .bind(since.map(|d| d.to_string()).unwrap_or_else(|| "0000-01-01".into()))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ProviderFee {
                    id: r.try_get("id")?,
                    provider_id: r.try_get("provider_id")?,
                    provider_name: r.try_get("provider_name")?,
                    service_type: r.try_get("service_type")?,
                    fee_pence: r.try_get("fee_pence")?,
                    gathered_on: r.try_get("gathered_on")?,
                    source: r.try_get("source")?,
                })
            })
            .collect()
    }
}
