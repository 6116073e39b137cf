//! Supported living actuals (issue 11 item 5): the council's commissioned hours (versioned),
//! providers' monthly returns of delivered hours, each flagged month's challenge with every
//! step, and one-off payments against a provider. The rules (commissioned minutes of a month,
//! variance, flag, which step may follow which, what a CSV row may say) are
//! `caremarket_core::fees::supported_living`'s; this module loads the facts, asks core and saves
//! what core decided with its audit row in the same transaction.

use super::cost_of_care::SentBy;
use crate::audit::record;
use crate::direct_payments::date;
use crate::{Actor, Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::direct_payments::money::money;
use caremarket_core::fees::RateCategory;
use caremarket_core::fees::supported_living::{
    Commission, CommissionDraft, CsvRow, DEFAULT_THRESHOLD_BP, PaymentDraft, PaymentKind, Period, ProviderMonth, QueryStatus, QueryStep,
    StepDraft, THRESHOLD_SETTING, check_step, hours_text, parse_threshold, percent_text, plan_csv, provider_month,
};
use caremarket_core::quality::RowProblem;
use serde::Serialize;
use serde_json::json;
use sqlx::AnyConnection;

/// A version of a commission with who recorded it.
#[derive(Debug, Clone, Serialize)]
pub struct CommissionRecord {
    pub commission: Commission,
    pub provider_name: String,
    pub created_by_label: String,
    pub created_at: String,
}

/// A provider's return for a month.
#[derive(Debug, Clone, Serialize)]
pub struct SlReturnRecord {
    pub id: String,
    pub provider_id: String,
    pub provider_name: String,
    pub period: Period,
    /// Case reference and delivered minutes, by case reference.
    pub lines: Vec<(String, i64)>,
    pub sent_by: SentBy,
    pub sent_by_label: String,
    pub submitted_at: String,
}

/// One step of a challenge.
#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    pub step: QueryStep,
    pub note: Option<String>,
    pub amount_pence: Option<i64>,
    pub taken_on: String,
    pub taken_by_label: String,
    pub taken_at: String,
}

/// A month's challenge with its history, oldest step first.
#[derive(Debug, Clone, Serialize)]
pub struct QueryRecord {
    pub id: String,
    pub provider_id: String,
    pub provider_name: String,
    pub period: Period,
    pub status: QueryStatus,
    pub recovered_pence: Option<i64>,
    pub opened_at: String,
    pub updated_at: String,
    pub steps: Vec<StepRecord>,
}

impl QueryRecord {
    /// The council's latest question, for the provider's work list.
    pub fn question(&self) -> Option<&str> {
        self.steps.iter().rev().find(|s| s.step == QueryStep::Query).and_then(|s| s.note.as_deref())
    }
}

/// A one-off payment or reconciliation.
#[derive(Debug, Clone, Serialize)]
pub struct PaymentRecord {
    pub id: String,
    pub provider_id: String,
    pub provider_name: String,
    pub kind: PaymentKind,
    pub amount_pence: i64,
    pub paid_on: Date,
    pub reason: String,
    pub created_by_label: String,
    pub created_at: String,
}

/// A provider's month as the council's pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct MonthRecord {
    pub month: ProviderMonth,
    pub provider_name: String,
    pub returned: Option<SlReturnRecord>,
    pub query: Option<QueryRecord>,
}

fn period_of(t: &'static str, s: &str) -> Result<Period> {
    let bad = || crate::register::corrupt(t, "period", s);
    let (y, m) = s.split_once('-').ok_or_else(bad)?;
    Ok(Period { year: y.parse().map_err(|_| bad())?, month: m.parse().map_err(|_| bad())? })
}

async fn load_commissions(conn: &mut AnyConnection, provider_id: Option<&str>) -> Result<Vec<CommissionRecord>> {
    type Row = (String, String, String, String, i64, String, String, String, String);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT c.id, c.provider_id, p.name, c.case_ref, c.weekly_minutes, c.rate_category, c.effective_from, c.created_by_label, c.created_at
         FROM sl_commissions c JOIN providers p ON p.id = c.provider_id
         WHERE ($1 = '' OR c.provider_id = $1) ORDER BY p.name, c.provider_id, c.case_ref, c.effective_from",
    )
    .bind(provider_id.unwrap_or(""))
    .fetch_all(&mut *conn)
    .await?;
    let t = "sl_commissions";
    rows.into_iter()
        .map(|(id, provider_id, provider_name, case_ref, weekly_minutes, category, from, by, at)| {
            Ok(CommissionRecord {
                commission: Commission {
                    id,
                    provider_id,
                    case_ref,
                    weekly_minutes,
                    rate_category: RateCategory::parse(&category).ok_or_else(|| crate::register::corrupt(t, "rate_category", &category))?,
                    effective_from: date(t, "effective_from", &from)?,
                },
                provider_name,
                created_by_label: by,
                created_at: at,
            })
        })
        .collect()
}

async fn load_returns(conn: &mut AnyConnection, provider_id: Option<&str>, period: Option<Period>) -> Result<Vec<SlReturnRecord>> {
    let period = period.map(|p| p.code()).unwrap_or_default();
    let rows: Vec<(String, String, String, String, String, String, String)> = sqlx::query_as(
        "SELECT r.id, r.provider_id, p.name, r.period, r.sent_by, COALESCE(u.display_name, r.created_by_label), r.submitted_at
         FROM sl_returns r JOIN providers p ON p.id = r.provider_id LEFT JOIN users u ON u.id = r.created_by
         WHERE ($1 = '' OR r.provider_id = $1) AND ($2 = '' OR r.period = $2) ORDER BY r.period DESC, p.name, r.id",
    )
    .bind(provider_id.unwrap_or(""))
    .bind(&period)
    .fetch_all(&mut *conn)
    .await?;
    let lines: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT l.return_id, l.case_ref, l.delivered_minutes FROM sl_return_lines l JOIN sl_returns r ON r.id = l.return_id
         WHERE ($1 = '' OR r.provider_id = $1) AND ($2 = '' OR r.period = $2) ORDER BY l.case_ref",
    )
    .bind(provider_id.unwrap_or(""))
    .bind(&period)
    .fetch_all(&mut *conn)
    .await?;
    let t = "sl_returns";
    rows.into_iter()
        .map(|(id, provider_id, provider_name, period, sent_by, label, at)| {
            Ok(SlReturnRecord {
                lines: lines.iter().filter(|(r, ..)| *r == id).map(|(_, c, m)| (c.clone(), *m)).collect(),
                period: period_of(t, &period)?,
                sent_by: SentBy::parse(&sent_by).ok_or_else(|| crate::register::corrupt(t, "sent_by", &sent_by))?,
                id,
                provider_id,
                provider_name,
                sent_by_label: label,
                submitted_at: at,
            })
        })
        .collect()
}

async fn load_queries(conn: &mut AnyConnection, provider_id: Option<&str>, period: Option<Period>) -> Result<Vec<QueryRecord>> {
    let period = period.map(|p| p.code()).unwrap_or_default();
    type Row = (String, String, String, String, String, Option<i64>, String, String);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT q.id, q.provider_id, p.name, q.period, q.status, q.recovered_pence, q.opened_at, q.updated_at
         FROM sl_queries q JOIN providers p ON p.id = q.provider_id
         WHERE ($1 = '' OR q.provider_id = $1) AND ($2 = '' OR q.period = $2) ORDER BY q.period DESC, p.name",
    )
    .bind(provider_id.unwrap_or(""))
    .bind(&period)
    .fetch_all(&mut *conn)
    .await?;
    type StepRow = (String, String, Option<String>, Option<i64>, String, String, String);
    let steps: Vec<StepRow> = sqlx::query_as(
        "SELECT s.query_id, s.step, s.note, s.amount_pence, s.taken_on, COALESCE(u.display_name, s.taken_by_label), s.taken_at
         FROM sl_query_steps s JOIN sl_queries q ON q.id = s.query_id LEFT JOIN users u ON u.id = s.taken_by
         WHERE ($1 = '' OR q.provider_id = $1) AND ($2 = '' OR q.period = $2) ORDER BY s.query_id, s.position",
    )
    .bind(provider_id.unwrap_or(""))
    .bind(&period)
    .fetch_all(&mut *conn)
    .await?;
    let t = "sl_queries";
    rows.into_iter()
        .map(|(id, provider_id, provider_name, period, status, recovered, opened_at, updated_at)| {
            let mut history = Vec::new();
            for (_, step, note, amount, on, by, at) in steps.iter().filter(|s| s.0 == id) {
                history.push(StepRecord {
                    step: QueryStep::parse(step).ok_or_else(|| crate::register::corrupt("sl_query_steps", "step", step))?,
                    note: note.clone(),
                    amount_pence: *amount,
                    taken_on: on.clone(),
                    taken_by_label: by.clone(),
                    taken_at: at.clone(),
                });
            }
            Ok(QueryRecord {
                status: QueryStatus::parse(&status).ok_or_else(|| crate::register::corrupt(t, "status", &status))?,
                period: period_of(t, &period)?,
                id,
                provider_id,
                provider_name,
                recovered_pence: recovered,
                opened_at,
                updated_at,
                steps: history,
            })
        })
        .collect()
}

fn lines_json(lines: &[(String, i64)]) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (c, v) in lines {
        m.insert(c.clone(), json!(v));
    }
    serde_json::Value::Object(m)
}

/// Save a provider's month (replacing its earlier return) with its audit row.
async fn save_return(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    actor: &Actor,
    provider_id: &str,
    provider_name: &str,
    period: Period,
    lines: &[(String, i64)],
    sent_by: SentBy,
) -> Result<(String, bool)> {
    let earlier = load_returns(&mut *tx, Some(provider_id), Some(period)).await?.into_iter().next();
    let now = now_timestamp();
    let id = match &earlier {
        Some(e) => {
            sqlx::query("UPDATE sl_returns SET sent_by = $1, created_by = $2, created_by_label = $3, submitted_at = $4 WHERE id = $5")
                .bind(sent_by.as_str())
                .bind(actor.user_id.clone())
                .bind(&actor.label)
                .bind(&now)
                .bind(&e.id)
                .execute(&mut **tx)
                .await?;
            sqlx::query("DELETE FROM sl_return_lines WHERE return_id = $1").bind(&e.id).execute(&mut **tx).await?;
            e.id.clone()
        }
        None => {
            let id = new_id();
            sqlx::query(
                "INSERT INTO sl_returns (id, provider_id, period, sent_by, created_by, created_by_label, submitted_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&id)
            .bind(provider_id)
            .bind(period.code())
            .bind(sent_by.as_str())
            .bind(actor.user_id.clone())
            .bind(&actor.label)
            .bind(&now)
            .execute(&mut **tx)
            .await?;
            id
        }
    };
    for (case_ref, minutes) in lines {
        sqlx::query("INSERT INTO sl_return_lines (return_id, case_ref, delivered_minutes) VALUES ($1, $2, $3)")
            .bind(&id)
            .bind(case_ref)
            .bind(*minutes)
            .execute(&mut **tx)
            .await?;
    }
    let total: i64 = lines.iter().map(|(_, m)| m).sum();
    let summary = format!(
        "{} supported living return from {provider_name} for {}: {} delivered to {} people",
        if earlier.is_some() { "Replaced the" } else { "Received a" },
        period.label(),
        hours_text(total),
        lines.len()
    );
    let before = earlier.as_ref().map(|e| lines_json(&e.lines));
    let after = json!({"period": period.code(), "sent_by": sent_by.as_str(), "delivered_minutes": lines_json(lines)});
    record(tx, actor, if earlier.is_some() { "update" } else { "create" }, "sl_return", Some(&id), &summary, before.as_ref(), Some(&after))
        .await?;
    Ok((id, earlier.is_some()))
}

impl Store {
    /// The variance threshold in basis points (the setting, else 10%).
    pub async fn sl_threshold_bp(&self) -> Result<i64> {
        Ok(self.setting(THRESHOLD_SETTING).await?.and_then(|v| v.parse().ok()).filter(|v| *v > 0).unwrap_or(DEFAULT_THRESHOLD_BP))
    }

    /// Set the threshold from a percentage as typed (field `threshold`), audited.
    pub async fn set_sl_threshold(&self, actor: &Actor, raw: &str) -> Result<i64> {
        let bp = parse_threshold(raw)?;
        self.set_setting_by(actor, THRESHOLD_SETTING, &bp.to_string()).await?;
        Ok(bp)
    }

    /// As [`Store::set_sl_threshold`], from the form opened at `expected` (the setting's version):
    /// refused `Stale`, with nothing written, if it was saved since.
    pub async fn set_sl_threshold_at(&self, actor: &Actor, raw: &str, expected: caremarket_core::versions::Version) -> Result<i64> {
        let bp = parse_threshold(raw)?;
        self.set_settings_at(actor, &[crate::SettingSave { key: THRESHOLD_SETTING, value: bp.to_string(), expected }]).await?;
        Ok(bp)
    }

    /// Every version of every commission (of one provider, or all), by provider, person, date.
    pub async fn sl_commissions(&self, provider_id: Option<&str>) -> Result<Vec<CommissionRecord>> {
        let mut conn = self.pool.acquire().await?;
        load_commissions(&mut conn, provider_id).await
    }

    /// Add a version of a person's commission (core checks it; the provider must exist).
    pub async fn add_sl_commission(&self, actor: &Actor, draft: &CommissionDraft) -> Result<String> {
        let mut tx = self.begin_write().await?;
        let existing: Vec<Commission> = load_commissions(&mut tx, None).await?.into_iter().map(|c| c.commission).collect();
        let c = draft.check(&existing)?;
        let provider: Option<String> =
            sqlx::query_scalar("SELECT name FROM providers WHERE id = $1").bind(&c.provider_id).fetch_optional(&mut *tx).await?;
        let Some(provider) = provider else { return Err(StoreError::invalid("provider_id", "Choose a provider from the register")) };
        let id = new_id();
        sqlx::query(
            "INSERT INTO sl_commissions (id, provider_id, case_ref, weekly_minutes, rate_category, effective_from, created_by_label, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(&c.provider_id)
        .bind(&c.case_ref)
        .bind(c.weekly_minutes)
        .bind(c.rate_category.as_str())
        .bind(c.effective_from.to_string())
        .bind(&actor.label)
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        let summary =
            format!("Commissioned {} a week for {} with {provider} from {}", hours_text(c.weekly_minutes), c.case_ref, c.effective_from);
        let after = json!({"provider_id": c.provider_id, "case_ref": c.case_ref, "weekly_minutes": c.weekly_minutes,
            "rate_category": c.rate_category.as_str(), "effective_from": c.effective_from.to_string()});
        record(&mut tx, actor, "create", "sl_commission", Some(&id), &summary, None, Some(&after)).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Returns (of one provider and/or month, or all), newest month first.
    pub async fn sl_returns(&self, provider_id: Option<&str>, period: Option<Period>) -> Result<Vec<SlReturnRecord>> {
        let mut conn = self.pool.acquire().await?;
        load_returns(&mut conn, provider_id, period).await
    }

    /// A provider's return for a month (checked lines), replacing its earlier one. Returns the id
    /// and whether it replaced one.
    pub async fn submit_sl_return(
        &self,
        actor: &Actor,
        provider_id: &str,
        period: Period,
        lines: &[(String, i64)],
        sent_by: SentBy,
    ) -> Result<(String, bool)> {
        let provider = self.provider(provider_id).await?;
        let mut tx = self.begin_write().await?;
        let out = save_return(&mut tx, actor, provider_id, &provider.name, period, lines, sent_by).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Save a CSV's returns, all or none, every problem named by row and column. Each row's
    /// provider is checked against the register (`only_provider`, the portal, refuses any other).
    pub async fn import_sl_returns(
        &self,
        actor: &Actor,
        rows: &[CsvRow],
        only_provider: Option<&str>,
        sent_by: SentBy,
        today: Date,
    ) -> Result<std::result::Result<usize, Vec<RowProblem>>> {
        let mut names = std::collections::HashMap::new();
        let mut checked = Vec::new();
        for r in rows {
            let provider_id = match (&r.provider_id, only_provider) {
                (Err(p), _) => Err(p.clone()),
                (Ok(p), Some(own)) if p != own => Err(RowProblem::new(
                    r.row,
                    "provider_id",
                    format!("'{p}' is not your provider: send returns for your own services only"),
                )),
                (Ok(p), _) => {
                    let name: Option<String> =
                        sqlx::query_scalar("SELECT name FROM providers WHERE id = $1").bind(p).fetch_optional(&self.pool).await?;
                    match name {
                        Some(n) => {
                            names.insert(p.clone(), n);
                            Ok(p.clone())
                        }
                        None => Err(RowProblem::new(r.row, "provider_id", format!("'{p}' is not a provider in the register"))),
                    }
                }
            };
            checked.push(CsvRow { provider_id, ..r.clone() });
        }
        let plan = match plan_csv(&checked, today) {
            Ok(p) => p,
            Err(problems) => return Ok(Err(problems)),
        };
        let mut tx = self.begin_write().await?;
        for r in &plan {
            let name = names.get(&r.provider_id).cloned().unwrap_or_default();
            save_return(&mut tx, actor, &r.provider_id, &name, r.period, &r.lines, sent_by).await?;
        }
        tx.commit().await?;
        Ok(Ok(plan.len()))
    }

    /// The months with a return, a query or a commission starting, newest first, with the
    /// current month and the one before.
    pub async fn sl_periods(&self) -> Result<Vec<Period>> {
        let mut codes: Vec<String> = sqlx::query_scalar("SELECT DISTINCT period FROM sl_returns").fetch_all(&self.pool).await?;
        codes.extend(sqlx::query_scalar::<_, String>("SELECT DISTINCT period FROM sl_queries").fetch_all(&self.pool).await?);
        let mut v: Vec<Period> = codes.iter().filter_map(|c| period_of("sl_returns", c).ok()).collect();
        let this = Period::of(crate::today());
        v.push(this);
        v.push(this.previous());
        v.sort();
        v.dedup();
        v.reverse();
        Ok(v)
    }

    /// Every provider's month: providers with hours commissioned in it or a return for it.
    pub async fn sl_months(&self, period: Period) -> Result<Vec<MonthRecord>> {
        self.months(None, period).await
    }

    /// One provider's month (`NotFound` when it has neither hours commissioned nor a return).
    pub async fn sl_month(&self, provider_id: &str, period: Period) -> Result<MonthRecord> {
        self.months(Some(provider_id), period)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::NotFound(format!("supported living month {period} of {provider_id}")))
    }

    async fn months(&self, provider_id: Option<&str>, period: Period) -> Result<Vec<MonthRecord>> {
        let mut conn = self.pool.acquire().await?;
        let commissions = load_commissions(&mut conn, provider_id).await?;
        let returns = load_returns(&mut conn, provider_id, Some(period)).await?;
        let queries = load_queries(&mut conn, provider_id, Some(period)).await?;
        let rates = super::versions(&super::load_rates(&mut conn).await?);
        let all: Vec<Commission> = commissions.iter().map(|c| c.commission.clone()).collect();
        let mut providers: Vec<(String, String)> =
            commissions.iter().map(|c| (c.provider_name.clone(), c.commission.provider_id.clone())).collect();
        providers.extend(returns.iter().map(|r| (r.provider_name.clone(), r.provider_id.clone())));
        providers.sort();
        providers.dedup();
        let mut out = Vec::new();
        for (name, id) in providers {
            let returned = returns.iter().find(|r| r.provider_id == id).cloned();
            let month = provider_month(&id, period, &all, returned.as_ref().map(|r| r.lines.as_slice()), &rates);
            if month.lines.is_empty() && returned.is_none() {
                continue;
            }
            out.push(MonthRecord { month, provider_name: name, returned, query: queries.iter().find(|q| q.provider_id == id).cloned() });
        }
        Ok(out)
    }

    /// Queries (of one provider, or all), newest month first.
    pub async fn sl_queries(&self, provider_id: Option<&str>) -> Result<Vec<QueryRecord>> {
        let mut conn = self.pool.acquire().await?;
        load_queries(&mut conn, provider_id, None).await
    }

    /// Take a step of a month's challenge. The provider's step (explain) only through the portal
    /// (`as_provider`), the council's only outside it; core decides whether the step may follow
    /// (field `step`) and what it needs (`note`, `amount`). Refused when someone else moved the
    /// query on in between.
    #[allow(clippy::too_many_arguments)]
    pub async fn sl_query_step(
        &self,
        actor: &Actor,
        provider_id: &str,
        period: Period,
        step: QueryStep,
        draft: &StepDraft,
        as_provider: bool,
        today: Date,
    ) -> Result<QueryStatus> {
        if step.is_providers() != as_provider {
            return Err(StoreError::invalid(
                "step",
                if as_provider { "Only the council can do that" } else { "The provider explains through the portal" },
            ));
        }
        let threshold = self.sl_threshold_bp().await?;
        let month = self.sl_month(provider_id, period).await?;
        let current = month.query.as_ref().map(|q| q.status);
        let s = check_step(current, step, month.month.flagged(threshold), draft)?;
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        let query_id = match &month.query {
            None => {
                let id = new_id();
                sqlx::query(
                    "INSERT INTO sl_queries (id, provider_id, period, status, recovered_pence, opened_at, updated_at)
                     VALUES ($1, $2, $3, $4, NULL, $5, $5)",
                )
                .bind(&id)
                .bind(provider_id)
                .bind(period.code())
                .bind(s.status.as_str())
                .bind(&now)
                .execute(&mut *tx)
                .await?;
                id
            }
            Some(q) => {
                let done = sqlx::query(
                    "UPDATE sl_queries SET status = $1, recovered_pence = COALESCE($2, recovered_pence), updated_at = $3
                     WHERE id = $4 AND status = $5",
                )
                .bind(s.status.as_str())
                .bind(s.amount_pence)
                .bind(&now)
                .bind(&q.id)
                .bind(q.status.as_str())
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Err(StoreError::Conflict("Someone else has moved this query on: reload the page".into()));
                }
                q.id.clone()
            }
        };
        let position = month.query.as_ref().map(|q| q.steps.len()).unwrap_or(0) as i64 + 1;
        sqlx::query(
            "INSERT INTO sl_query_steps (id, query_id, position, step, note, amount_pence, taken_on, taken_by, taken_by_label, taken_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(new_id())
        .bind(&query_id)
        .bind(position)
        .bind(step.as_str())
        .bind(s.note.clone())
        .bind(s.amount_pence)
        .bind(today.to_string())
        .bind(actor.user_id.clone())
        .bind(&actor.label)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        let summary = format!(
            "{} the supported living hours of {} for {}{}",
            step.label(),
            month.provider_name,
            period.label(),
            s.amount_pence.map(|a| format!(": {} recovered", money(a))).unwrap_or_default()
        );
        record(
            &mut tx,
            actor,
            "update",
            "sl_query",
            Some(&query_id),
            &summary,
            current.map(|c| json!({"status": c.as_str()})).as_ref(),
            Some(&json!({"status": s.status.as_str(), "note": s.note, "amount_pence": s.amount_pence})),
        )
        .await?;
        tx.commit().await?;
        Ok(s.status)
    }

    /// Record a one-off payment or historical reconciliation against a provider.
    pub async fn add_sl_payment(&self, actor: &Actor, draft: &PaymentDraft, today: Date) -> Result<String> {
        let p = draft.check(today)?;
        let provider = match self.provider(&p.provider_id).await {
            Ok(pr) => pr,
            Err(StoreError::NotFound(_)) => return Err(StoreError::invalid("provider_id", "Choose a provider from the register")),
            Err(e) => return Err(e),
        };
        let id = new_id();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO sl_payments (id, provider_id, kind, amount_pence, paid_on, reason, created_by_label, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(&p.provider_id)
        .bind(p.kind.as_str())
        .bind(p.amount_pence)
        .bind(p.paid_on.to_string())
        .bind(&p.reason)
        .bind(&actor.label)
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        let summary =
            format!("Recorded a {} of {} for {} on {}", p.kind.label().to_lowercase(), money(p.amount_pence), provider.name, p.paid_on);
        let after = json!({"provider_id": p.provider_id, "kind": p.kind.as_str(), "amount_pence": p.amount_pence,
            "paid_on": p.paid_on.to_string(), "reason": p.reason});
        record(&mut tx, actor, "create", "sl_payment", Some(&id), &summary, None, Some(&after)).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// One-off payments (of one provider, or all), by provider then date.
    pub async fn sl_payments(&self, provider_id: Option<&str>) -> Result<Vec<PaymentRecord>> {
        type Row = (String, String, String, String, i64, String, String, String, String);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT x.id, x.provider_id, p.name, x.kind, x.amount_pence, x.paid_on, x.reason, x.created_by_label, x.created_at
             FROM sl_payments x JOIN providers p ON p.id = x.provider_id
             WHERE ($1 = '' OR x.provider_id = $1) ORDER BY p.name, x.provider_id, x.paid_on, x.created_at",
        )
        .bind(provider_id.unwrap_or(""))
        .fetch_all(&self.pool)
        .await?;
        let t = "sl_payments";
        rows.into_iter()
            .map(|(id, provider_id, provider_name, kind, amount, paid_on, reason, by, at)| {
                Ok(PaymentRecord {
                    kind: PaymentKind::parse(&kind).ok_or_else(|| crate::register::corrupt(t, "kind", &kind))?,
                    paid_on: date(t, "paid_on", &paid_on)?,
                    id,
                    provider_id,
                    provider_name,
                    amount_pence: amount,
                    reason,
                    created_by_label: by,
                    created_at: at,
                })
            })
            .collect()
    }
}

/// "12.50%" of a month's variance, or "no hours commissioned".
pub fn month_percent(m: &ProviderMonth) -> Option<String> {
    m.variance_bp().map(percent_text)
}
