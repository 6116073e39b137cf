//! Budget against spend (issue 11 item 6): cost centres mapped to markets, budgets per market
//! and year (a change is a new version), spend imported from the finance system (all or nothing;
//! an import replaces the rows held for each cost centre and month it covers) and suppliers
//! matched to register providers. Every change is audited in its own transaction. The rules are
//! `caremarket_core::fees::budgets`'s.

use crate::audit::record;
use crate::versions::{Keyed, Versioned, check_current, saved};
use crate::{Actor, Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::direct_payments::money::money;
use caremarket_core::fees::budgets::{
    BudgetDraft, CostCentre, CostCentreDraft, NewBudget, SpendCsvRow, period_label, period_text, plan_spend, year_label,
};
use caremarket_core::quality::RowProblem;
use caremarket_core::register::ServiceKind;
use caremarket_core::versions::Version;
use serde::Serialize;
use serde_json::json;
use sqlx::AnyConnection;

/// A version of a budget.
#[derive(Debug, Clone, Serialize)]
pub struct BudgetRecord {
    pub id: String,
    pub kind: ServiceKind,
    pub year: i32,
    pub amount_pence: i64,
    pub reason: Option<String>,
    pub created_by_label: String,
    pub created_at: String,
}

/// A spend row with its cost centre's market and its supplier's match.
#[derive(Debug, Clone, Serialize)]
pub struct SpendRecord {
    pub id: String,
    pub import_id: String,
    pub file_name: String,
    pub row_number: i64,
    pub supplier: String,
    pub supplier_key: String,
    pub cost_centre: String,
    pub cost_centre_name: String,
    pub kind: ServiceKind,
    pub period: Date,
    pub year: i32,
    pub amount_pence: i64,
    pub provider_id: Option<String>,
    pub provider_name: Option<String>,
}

/// Which spend rows to load (each `None` is all).
#[derive(Debug, Clone, Default)]
pub struct SpendFilter {
    pub year: Option<i32>,
    pub kind: Option<ServiceKind>,
    pub period: Option<Date>,
    pub supplier_key: Option<String>,
    pub cost_centre: Option<String>,
    /// Only rows whose supplier is not matched to a provider.
    pub unmatched: bool,
}

/// A supplier named in the spend, with its match.
#[derive(Debug, Clone, Serialize)]
pub struct SupplierRecord {
    pub key: String,
    /// The name as the finance system first wrote it.
    pub name: String,
    pub rows: usize,
    pub total_pence: i64,
    pub provider_id: Option<String>,
    pub provider_name: Option<String>,
    pub matched_by_label: Option<String>,
    pub matched_at: Option<String>,
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct SpendImportSummary {
    pub id: String,
    pub rows: usize,
    pub total_pence: i64,
    /// Rows of earlier imports replaced (same cost centre and month).
    pub replaced: usize,
    /// Suppliers in the file not matched to a provider.
    pub unmatched_suppliers: usize,
    pub years: Vec<i32>,
}

fn corrupt(table: &'static str, column: &'static str, value: &str) -> StoreError {
    crate::register::corrupt(table, column, value)
}

fn kind(table: &'static str, v: &str) -> Result<ServiceKind> {
    ServiceKind::parse(v).ok_or_else(|| corrupt(table, "kind", v))
}

fn year(table: &'static str, v: i64) -> Result<i32> {
    i32::try_from(v).map_err(|_| corrupt(table, "year", &v.to_string()))
}

async fn load_centres(conn: &mut AnyConnection) -> Result<Vec<CostCentre>> {
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT code, name, kind FROM budget_cost_centres ORDER BY code").fetch_all(&mut *conn).await?;
    rows.into_iter().map(|(code, name, k)| Ok(CostCentre { code, name, kind: kind("budget_cost_centres", &k)? })).collect()
}

type BudgetRow = (String, String, i64, i64, Option<String>, String, String);
type SupplierRow = (String, String, i64, Option<String>, Option<String>, Option<String>, Option<String>);
type SpendRow = (String, String, String, i64, String, String, String, String, String, String, i64, i64, Option<String>, Option<String>);

impl Store {
    /// The council's cost centres, by code.
    pub async fn cost_centres(&self) -> Result<Vec<CostCentre>> {
        let mut conn = self.pool.acquire().await?;
        load_centres(&mut conn).await
    }

    /// The version of a cost centre its change form carries (decision 25), if it exists.
    pub async fn cost_centre_version(&self, code: &str) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT version FROM budget_cost_centres WHERE code = $1").bind(code).fetch_optional(&self.pool).await?)
    }

    /// Add a cost centre, or change an existing one's name or market (its spend moves with it).
    /// Returns whether it was new. From a form, `expected` is the version it was opened at: an
    /// existing cost centre changed since is refused with `Stale` (a form that only adds carries
    /// no version, so it cannot overwrite one someone else added), unless what was submitted is
    /// what it holds already, which changes nothing. The demo gives `None`.
    pub async fn save_cost_centre(&self, actor: &Actor, draft: &CostCentreDraft, expected: Option<Version>) -> Result<bool> {
        let c = draft.check()?;
        let mut tx = self.begin_write().await?;
        let before: Option<(String, String, i64)> = sqlx::query_as("SELECT name, kind, version FROM budget_cost_centres WHERE code = $1")
            .bind(&c.code)
            .fetch_optional(&mut *tx)
            .await?;
        let now = now_timestamp();
        if let Some((name, kind, version)) = &before {
            let expected = match expected {
                Some(e) if e.get() != *version && *name == c.name && kind == c.kind.as_str() => return Ok(false),
                Some(e) => {
                    check_current(*version, e)?;
                    e.get()
                }
                None => *version,
            };
            let changed = sqlx::query(
                "UPDATE budget_cost_centres SET name = $1, kind = $2, updated_by_label = $3, updated_at = $4, version = version + 1
                 WHERE code = $5 AND version = $6",
            )
            .bind(&c.name)
            .bind(c.kind.as_str())
            .bind(&actor.label)
            .bind(&now)
            .bind(&c.code)
            .bind(expected)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            saved(&mut tx, Versioned::BudgetCostCentres, &c.code, changed).await?;
        } else {
            sqlx::query("INSERT INTO budget_cost_centres (code, name, kind, updated_by_label, updated_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(&c.code)
                .bind(&c.name)
                .bind(c.kind.as_str())
                .bind(&actor.label)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
        }
        let summary = format!(
            "{} cost centre {} ({}) in the {} market",
            if before.is_some() { "Changed" } else { "Added" },
            c.code,
            c.name,
            c.kind.label().to_lowercase()
        );
        record(
            &mut tx,
            actor,
            if before.is_some() { "update" } else { "create" },
            "budget_cost_centre",
            Some(&c.code),
            &summary,
            before.as_ref().map(|(n, k, _)| json!({"name": n, "kind": k})).as_ref(),
            Some(&json!({"name": c.name, "kind": c.kind.as_str()})),
        )
        .await?;
        tx.commit().await?;
        Ok(before.is_none())
    }

    /// Every version of every budget (for one year, or all), oldest first.
    pub async fn budgets(&self, year_of: Option<i32>) -> Result<Vec<BudgetRecord>> {
        let rows: Vec<BudgetRow> = sqlx::query_as(
            "SELECT id, kind, year, amount_pence, reason, created_by_label, created_at FROM budgets
             WHERE ($1 < 0 OR year = $1) ORDER BY year, kind, created_at, id",
        )
        .bind(year_of.map(i64::from).unwrap_or(-1))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, k, y, amount_pence, reason, created_by_label, created_at)| {
                Ok(BudgetRecord {
                    id,
                    kind: kind("budgets", &k)?,
                    year: year("budgets", y)?,
                    amount_pence,
                    reason,
                    created_by_label,
                    created_at,
                })
            })
            .collect()
    }

    /// Set a market's budget for a year: a new version (with a reason when one is set already).
    pub async fn set_budget(&self, actor: &Actor, draft: &BudgetDraft, today: Date) -> Result<String> {
        let mut tx = self.begin_write().await?;
        let (k, y) =
            (draft.kind.map(|k| k.as_str()).unwrap_or(""), caremarket_core::fees::cost_of_care::parse_year("year", &draft.year, today));
        let current: Option<i64> = match y {
            Ok(y) => {
                sqlx::query_scalar(
                    "SELECT amount_pence FROM budgets WHERE kind = $1 AND year = $2 ORDER BY created_at DESC, id DESC LIMIT 1",
                )
                .bind(k)
                .bind(i64::from(y))
                .fetch_optional(&mut *tx)
                .await?
            }
            Err(_) => None,
        };
        let b: NewBudget = draft.check(today, current.is_some())?;
        let id = new_id();
        sqlx::query(
            "INSERT INTO budgets (id, kind, year, amount_pence, reason, created_by, created_by_label, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(b.kind.as_str())
        .bind(i64::from(b.year))
        .bind(b.amount_pence)
        .bind(b.reason.clone())
        .bind(actor.user_id.clone())
        .bind(&actor.label)
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        let summary = match current {
            Some(old) => format!(
                "Changed the {} budget for {} from {} to {}",
                b.kind.label().to_lowercase(),
                year_label(b.year),
                money(old),
                money(b.amount_pence)
            ),
            None => format!("Set the {} budget for {} at {}", b.kind.label().to_lowercase(), year_label(b.year), money(b.amount_pence)),
        };
        record(
            &mut tx,
            actor,
            "create",
            "budget",
            Some(&id),
            &summary,
            current.map(|o| json!({"amount_pence": o})).as_ref(),
            Some(&json!({"kind": b.kind.as_str(), "year": year_label(b.year), "amount_pence": b.amount_pence, "reason": b.reason})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Import the finance system's spend file (read by `caremarket_ingest::uploads::spend`): all
    /// rows, or none with every problem named by its row and column. The rows already held for
    /// each cost centre and month in the file are replaced, so the same file imported twice
    /// counts once.
    pub async fn import_finance_spend(
        &self,
        actor: &Actor,
        file_name: &str,
        rows: &[SpendCsvRow],
    ) -> Result<std::result::Result<SpendImportSummary, Vec<RowProblem>>> {
        let mut tx = self.begin_write().await?;
        let centres = load_centres(&mut tx).await?;
        let plan = match plan_spend(rows, &centres) {
            Ok(p) => p,
            Err(problems) => return Ok(Err(problems)),
        };
        let mut replaced = 0usize;
        for (cc, period) in &plan.covers {
            let done = sqlx::query("DELETE FROM spend_rows WHERE cost_centre = $1 AND period = $2")
                .bind(cc)
                .bind(period_text(*period))
                .execute(&mut *tx)
                .await?;
            replaced += done.rows_affected() as usize;
        }
        let id = new_id();
        let total = plan.total_pence();
        sqlx::query(
            "INSERT INTO spend_imports (id, file_name, row_count, total_pence, replaced_count, created_by_label, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(file_name)
        .bind(plan.rows.len() as i64)
        .bind(total)
        .bind(replaced as i64)
        .bind(&actor.label)
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        for r in &plan.rows {
            sqlx::query(
                "INSERT INTO spend_rows (id, import_id, row_number, supplier, supplier_key, cost_centre, period, year, amount_pence)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(new_id())
            .bind(&id)
            .bind(r.row as i64)
            .bind(&r.supplier)
            .bind(&r.supplier_key)
            .bind(&r.cost_centre)
            .bind(period_text(r.period))
            .bind(i64::from(r.year))
            .bind(r.amount_pence)
            .execute(&mut *tx)
            .await?;
        }
        let matched: Vec<String> = sqlx::query_scalar("SELECT supplier_key FROM spend_suppliers").fetch_all(&mut *tx).await?;
        let mut keys: Vec<&str> = plan.rows.iter().map(|r| r.supplier_key.as_str()).collect();
        keys.sort();
        keys.dedup();
        let unmatched = keys.iter().filter(|k| !matched.iter().any(|m| m == *k)).count();
        let mut years: Vec<i32> = plan.rows.iter().map(|r| r.year).collect();
        years.sort();
        years.dedup();
        let (first, last) = (plan.rows.iter().map(|r| r.period).min(), plan.rows.iter().map(|r| r.period).max());
        let summary = format!(
            "Imported spend from {file_name}: {} rows, {}{}{}",
            plan.rows.len(),
            money(total),
            match (first, last) {
                (Some(a), Some(b)) if a != b => format!(", {} to {}", period_label(a), period_label(b)),
                (Some(a), _) => format!(", {}", period_label(a)),
                _ => String::new(),
            },
            if replaced > 0 {
                format!(" (replacing {replaced} rows imported before for the same cost centres and months)")
            } else {
                String::new()
            }
        );
        record(
            &mut tx,
            actor,
            "create",
            "spend_import",
            Some(&id),
            &summary,
            None,
            Some(&json!({"file": file_name, "rows": plan.rows.len(), "total_pence": total, "replaced": replaced})),
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(SpendImportSummary { id, rows: plan.rows.len(), total_pence: total, replaced, unmatched_suppliers: unmatched, years }))
    }

    /// Spend rows, by month, cost centre, supplier and row.
    pub async fn spend_rows(&self, f: &SpendFilter) -> Result<Vec<SpendRecord>> {
        let rows: Vec<SpendRow> = sqlx::query_as(
            "SELECT r.id, r.import_id, i.file_name, r.row_number, r.supplier, r.supplier_key, r.cost_centre, c.name, c.kind, r.period,
                    r.year, r.amount_pence, s.provider_id, p.name
             FROM spend_rows r
             JOIN spend_imports i ON i.id = r.import_id
             JOIN budget_cost_centres c ON c.code = r.cost_centre
             LEFT JOIN spend_suppliers s ON s.supplier_key = r.supplier_key
             LEFT JOIN providers p ON p.id = s.provider_id
             WHERE ($1 < 0 OR r.year = $1) AND ($2 = '' OR c.kind = $2) AND ($3 = '' OR r.period = $3)
               AND ($4 = '' OR r.supplier_key = $4) AND ($5 = '' OR r.cost_centre = $5) AND ($6 = 0 OR s.provider_id IS NULL)
             ORDER BY r.period, r.cost_centre, r.supplier_key, r.row_number, r.id",
        )
        .bind(f.year.map(i64::from).unwrap_or(-1))
        .bind(f.kind.map(|k| k.as_str()).unwrap_or(""))
        .bind(f.period.map(period_text).unwrap_or_default())
        .bind(f.supplier_key.clone().unwrap_or_default())
        .bind(f.cost_centre.clone().unwrap_or_default())
        .bind(i64::from(f.unmatched))
        .fetch_all(&self.pool)
        .await?;
        let t = "spend_rows";
        rows.into_iter()
            .map(
                |(
                    id,
                    import_id,
                    file_name,
                    row_number,
                    supplier,
                    supplier_key,
                    cost_centre,
                    cost_centre_name,
                    k,
                    period,
                    y,
                    amount_pence,
                    provider_id,
                    provider_name,
                )| {
                    let period = caremarket_core::fees::budgets::parse_period(&period).ok_or_else(|| corrupt(t, "period", &period))?;
                    Ok(SpendRecord {
                        id,
                        import_id,
                        file_name,
                        row_number,
                        supplier,
                        supplier_key,
                        cost_centre,
                        cost_centre_name,
                        kind: kind("budget_cost_centres", &k)?,
                        period,
                        year: year(t, y)?,
                        amount_pence,
                        provider_id,
                        provider_name,
                    })
                },
            )
            .collect()
    }

    /// The financial years with spend or a budget, newest first.
    pub async fn budget_years(&self) -> Result<Vec<i32>> {
        let mut years: Vec<i64> = sqlx::query_scalar("SELECT DISTINCT year FROM spend_rows").fetch_all(&self.pool).await?;
        years.extend(sqlx::query_scalar::<_, i64>("SELECT DISTINCT year FROM budgets").fetch_all(&self.pool).await?);
        let mut years: Vec<i32> = years.into_iter().filter_map(|y| i32::try_from(y).ok()).collect();
        years.sort_by(|a, b| b.cmp(a));
        years.dedup();
        Ok(years)
    }

    /// Every supplier named in the spend, unmatched first, then by name.
    pub async fn spend_suppliers(&self) -> Result<Vec<SupplierRecord>> {
        let rows: Vec<SupplierRow> = sqlx::query_as(
            "SELECT r.supplier_key, r.supplier, r.amount_pence, s.provider_id, p.name, s.matched_by_label, s.matched_at
             FROM spend_rows r
             LEFT JOIN spend_suppliers s ON s.supplier_key = r.supplier_key
             LEFT JOIN providers p ON p.id = s.provider_id
             ORDER BY r.supplier_key, r.period, r.row_number",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<SupplierRecord> = Vec::new();
        for (key, name, amount, provider_id, provider_name, by, at) in rows {
            match out.last_mut() {
                Some(s) if s.key == key => {
                    s.rows += 1;
                    s.total_pence += amount;
                }
                _ => out.push(SupplierRecord {
                    key,
                    name,
                    rows: 1,
                    total_pence: amount,
                    provider_id,
                    provider_name,
                    matched_by_label: by,
                    matched_at: at,
                }),
            }
        }
        out.sort_by(|a, b| a.provider_id.is_some().cmp(&b.provider_id.is_some()).then_with(|| a.key.cmp(&b.key)));
        Ok(out)
    }

    /// Match a supplier to a register provider (remembered for later imports), or clear its match
    /// with `None`. Audited with the match before.
    pub async fn match_supplier(&self, actor: &Actor, key: &str, provider_id: Option<&str>) -> Result<()> {
        self.write_supplier_match(actor, key, provider_id, None).await
    }

    /// As [`Store::match_supplier`], from the match form opened at `expected` (the supplier's
    /// [`Keyed::SpendSupplier`] version): refused `Stale`, with nothing written, if another
    /// officer matched or cleared the supplier since (decision 25).
    pub async fn match_supplier_at(
        &self,
        actor: &Actor,
        key: &str,
        provider_id: Option<&str>,
        expected: caremarket_core::versions::Version,
    ) -> Result<()> {
        self.write_supplier_match(actor, key, provider_id, Some(expected)).await
    }

    /// The provider a supplier is matched to now, by id and name.
    pub async fn supplier_match(&self, key: &str) -> Result<Option<(String, String)>> {
        Ok(sqlx::query_as(
            "SELECT s.provider_id, p.name FROM spend_suppliers s JOIN providers p ON p.id = s.provider_id WHERE s.supplier_key = $1",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn write_supplier_match(
        &self,
        actor: &Actor,
        key: &str,
        provider_id: Option<&str>,
        expected: Option<caremarket_core::versions::Version>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        // First, so that a stale form is refused before anything else is read or written.
        crate::versions::raise_keyed(&mut tx, Keyed::SpendSupplier, key, expected).await?;
        let name: Option<String> =
            sqlx::query_scalar("SELECT supplier FROM spend_rows WHERE supplier_key = $1 ORDER BY period, row_number LIMIT 1")
                .bind(key)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(name) = name else { return Err(StoreError::NotFound(format!("supplier {key}"))) };
        let before: Option<(String, String)> = sqlx::query_as(
            "SELECT s.provider_id, p.name FROM spend_suppliers s JOIN providers p ON p.id = s.provider_id WHERE s.supplier_key = $1",
        )
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?;
        let provider: Option<(String, String)> = match provider_id.filter(|p| !p.is_empty()) {
            Some(p) => {
                let found: Option<String> =
                    sqlx::query_scalar("SELECT name FROM providers WHERE id = $1").bind(p).fetch_optional(&mut *tx).await?;
                match found {
                    Some(n) => Some((p.to_string(), n)),
                    None => return Err(StoreError::invalid("provider_id", "Choose a provider from the register")),
                }
            }
            None => None,
        };
        sqlx::query("DELETE FROM spend_suppliers WHERE supplier_key = $1").bind(key).execute(&mut *tx).await?;
        if let Some((p, _)) = &provider {
            sqlx::query("INSERT INTO spend_suppliers (supplier_key, provider_id, matched_by_label, matched_at) VALUES ($1, $2, $3, $4)")
                .bind(key)
                .bind(p)
                .bind(&actor.label)
                .bind(now_timestamp())
                .execute(&mut *tx)
                .await?;
        }
        let summary = match &provider {
            Some((_, n)) => format!("Matched supplier {name} to provider {n}"),
            None => format!("Cleared the match of supplier {name}"),
        };
        record(
            &mut tx,
            actor,
            if before.is_some() { "update" } else { "create" },
            "spend_supplier",
            Some(key),
            &summary,
            before.as_ref().map(|(id, n)| json!({"provider_id": id, "provider": n})).as_ref(),
            Some(&json!({"provider_id": provider.as_ref().map(|p| &p.0), "provider": provider.as_ref().map(|p| &p.1)})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
