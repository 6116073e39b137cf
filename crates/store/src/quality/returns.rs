//! Provider monthly returns (Stockton's monthly performance dashboard, `002` rec 4): complaints
//! and staffing for one service and month, sent as a form or a CSV by the provider or an officer.
//! A return for a month already returned replaces the earlier one (audited with both).

use crate::audit::{Actor, record};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use std::collections::BTreeMap;

/// One month's return for one service, as entered (before checking).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NewMonthlyReturn {
    pub service_id: String,
    /// "YYYY-MM".
    pub month: String,
    pub complaints: i64,
    pub complaints_via_council: i64,
    pub complaints_resolved_in_house: i64,
    pub staff_in_post: Option<i64>,
    pub staff_vacancies: Option<i64>,
    pub staff_leavers: Option<i64>,
    pub agency_hours: Option<i64>,
}

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

/// A CSV (or any table) of returns: the header row and the data rows as text.
#[derive(Debug, Clone, Default)]
pub struct ReturnsTable {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A problem with one row of an upload: the row number as a spreadsheet shows it (the header is
/// row 1), the column, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    pub row: usize,
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.row == 0 { write!(f, "{}", self.message) } else { write!(f, "row {}: '{}' {}", self.row, self.field, self.message) }
    }
}

/// The columns of a returns upload, matched case-insensitively.
pub const COLUMNS: [&str; 10] = [
    "cqc_location_id",
    "service_id",
    "month",
    "complaints",
    "complaints_via_council",
    "complaints_resolved_in_house",
    "staff_in_post",
    "staff_vacancies",
    "staff_leavers",
    "agency_hours",
];

/// A rate in whole per cent, or none when the denominator is zero or unknown.
fn percent(num: Option<i64>, den: Option<i64>) -> Option<i64> {
    match (num, den) {
        (Some(n), Some(d)) if d > 0 => Some((n * 100 + d / 2) / d),
        _ => None,
    }
}

/// Parse "YYYY-MM" (also "YYYY-MM-DD", taking its month).
pub fn parse_month(s: &str) -> Option<Date> {
    let s = s.trim();
    let ym = s.get(..7)?;
    if s.len() != 7 && s.len() != 10 {
        return None;
    }
    let (y, m) = ym.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    Date::new(y.parse().ok()?, m.parse().ok()?, 1).ok()
}

/// Check one return against today: field name and message for the first problem.
pub fn check_return(r: &NewMonthlyReturn, today: Date) -> std::result::Result<String, (String, String)> {
    let bad = |f: &str, m: &str| Err((f.to_string(), m.to_string()));
    let Some(month) = parse_month(&r.month) else {
        return bad("month", "must be a month like 2024-11");
    };
    if month > today.first_of_month() {
        return bad("month", "must not be in the future");
    }
    for (f, v) in [
        ("complaints", Some(r.complaints)),
        ("complaints_via_council", Some(r.complaints_via_council)),
        ("complaints_resolved_in_house", Some(r.complaints_resolved_in_house)),
        ("staff_in_post", r.staff_in_post),
        ("staff_vacancies", r.staff_vacancies),
        ("staff_leavers", r.staff_leavers),
        ("agency_hours", r.agency_hours),
    ] {
        if v.is_some_and(|v| v < 0) {
            return bad(f, "must be 0 or more");
        }
    }
    if r.complaints_via_council + r.complaints_resolved_in_house > r.complaints {
        return bad(
            "complaints_resolved_in_house",
            &format!(
                "plus complaints_via_council ({} + {}) is more than the {} complaints",
                r.complaints_resolved_in_house, r.complaints_via_council, r.complaints
            ),
        );
    }
    Ok(format!("{:04}-{:02}", month.year(), month.month()))
}

fn returns_from_rows(rows: &[sqlx::any::AnyRow]) -> Result<Vec<MonthlyReturn>> {
    rows.iter()
        .map(|r| {
            let in_post: Option<i64> = r.try_get("staff_in_post")?;
            let vac: Option<i64> = r.try_get("staff_vacancies")?;
            let leavers: Option<i64> = r.try_get("staff_leavers")?;
            Ok(MonthlyReturn {
                id: r.try_get("id")?,
                service_id: r.try_get("service_id")?,
                service_name: r.try_get("service_name")?,
                provider_id: r.try_get("provider_id")?,
                month: r.try_get("month")?,
                complaints: r.try_get("complaints")?,
                complaints_via_council: r.try_get("complaints_via_council")?,
                complaints_resolved_in_house: r.try_get("complaints_resolved_in_house")?,
                staff_in_post: in_post,
                staff_vacancies: vac,
                staff_leavers: leavers,
                agency_hours: r.try_get("agency_hours")?,
                vacancy_rate: percent(vac, in_post.zip(vac).map(|(a, b)| a + b)),
                turnover: percent(leavers, in_post),
                submitted_by_kind: r.try_get("submitted_by_kind")?,
                submitted_by: r.try_get("submitted_by")?,
            })
        })
        .collect()
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
        let month = check_return(r, today).map_err(|(f, m)| StoreError::invalid(&f, format!("{} {m}", label(&f))))?;
        let mut tx = self.begin_write().await?;
        let id = save_tx(&mut tx, actor, &service.id, &service.name, &NewMonthlyReturn { month, ..r.clone() }, submitted_by_kind).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Check every row of an upload and save them all, or none: `Ok(Err(problems))` lists every
    /// bad row with its number and column. Returns how many returns were saved.
    pub async fn import_monthly_returns(
        &self,
        actor: &Actor,
        table: &ReturnsTable,
        submitted_by_kind: &str,
        only_provider: Option<&str>,
        today: Date,
    ) -> Result<std::result::Result<usize, Vec<RowProblem>>> {
        let col = |name: &str| table.headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
        let idx: BTreeMap<&str, Option<usize>> = COLUMNS.iter().map(|c| (*c, col(c))).collect();
        let has = |c: &str| idx.get(c).copied().flatten().is_some();
        let whole = |m: &str| RowProblem { row: 0, field: String::new(), message: m.to_string() };
        if !has("cqc_location_id") && !has("service_id") {
            return Ok(Err(vec![whole("The file needs a cqc_location_id or service_id column to say which service each row is for")]));
        }
        let missing: Vec<&str> = ["month", "complaints"].into_iter().filter(|c| !has(c)).collect();
        if !missing.is_empty() {
            return Ok(Err(vec![whole(&format!(
                "The file needs the column{} {}",
                if missing.len() > 1 { "s" } else { "" },
                missing.join(" and ")
            ))]));
        }
        if table.rows.iter().all(|r| r.iter().all(|c| c.trim().is_empty())) {
            return Ok(Err(vec![whole("The file has no rows")]));
        }
        let mut problems = Vec::new();
        let mut ok: Vec<(usize, String, String, NewMonthlyReturn)> = Vec::new();
        let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
        for (i, rec) in table.rows.iter().enumerate() {
            let row = i + 2;
            if rec.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let get = |c: &str| idx.get(c).copied().flatten().and_then(|p| rec.get(p)).map(|v| v.trim()).unwrap_or("");
            let mut p = |field: &str, message: String| problems.push(RowProblem { row, field: field.into(), message });
            // The service.
            let (field, key) =
                if !get("service_id").is_empty() { ("service_id", get("service_id")) } else { ("cqc_location_id", get("cqc_location_id")) };
            if key.is_empty() {
                p("cqc_location_id", "is empty: say which service the row is for".into());
                continue;
            }
            let service = if field == "service_id" { self.service(key).await.ok() } else { self.service_by_location_id(key).await? };
            let Some(service) = service else {
                p(field, format!("'{key}' is not a service in the register"));
                continue;
            };
            if only_provider.is_some_and(|pr| pr != service.provider_id) {
                p(field, format!("'{key}' is not one of your services"));
                continue;
            }
            // Numbers.
            let mut bad = false;
            let mut num = |c: &str, required: bool| -> Option<i64> {
                let v = get(c);
                if v.is_empty() {
                    if required {
                        p(c, "is empty: enter a whole number (0 if none)".into());
                        bad = true;
                    }
                    return None;
                }
                match v.replace(',', "").parse::<i64>() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        p(c, format!("must be a whole number; found '{v}'"));
                        bad = true;
                        None
                    }
                }
            };
            let r = NewMonthlyReturn {
                service_id: service.id.clone(),
                month: get("month").to_string(),
                complaints: num("complaints", true).unwrap_or(0),
                complaints_via_council: num("complaints_via_council", false).unwrap_or(0),
                complaints_resolved_in_house: num("complaints_resolved_in_house", false).unwrap_or(0),
                staff_in_post: num("staff_in_post", false),
                staff_vacancies: num("staff_vacancies", false),
                staff_leavers: num("staff_leavers", false),
                agency_hours: num("agency_hours", false),
            };
            if bad {
                continue;
            }
            match check_return(&r, today) {
                Err((f, m)) => p(&f, if f == "month" { format!("{m}; found '{}'", r.month) } else { m }),
                Ok(month) => {
                    if let Some(first) = seen.insert((service.id.clone(), month.clone()), row) {
                        p("month", format!("repeats {month} for {} (already on row {first})", service.name));
                        continue;
                    }
                    ok.push((row, service.id.clone(), service.name.clone(), NewMonthlyReturn { month, ..r }));
                }
            }
        }
        if !problems.is_empty() {
            return Ok(Err(problems));
        }
        let mut tx = self.begin_write().await?;
        for (_, sid, name, r) in &ok {
            save_tx(&mut tx, actor, sid, name, r, submitted_by_kind).await?;
        }
        tx.commit().await?;
        Ok(Ok(ok.len()))
    }

    /// Returns, newest month first: for one service, or every service of a provider, or all.
    pub async fn monthly_returns(&self, service_id: Option<&str>, provider_id: Option<&str>, limit: i64) -> Result<Vec<MonthlyReturn>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RETURN_COLS} FROM monthly_returns m JOIN services s ON s.id = m.service_id
             WHERE ($1 = '' OR m.service_id = $1) AND ($2 = '' OR s.provider_id = $2)
             ORDER BY m.month DESC, s.name LIMIT $3"
        )))
        .bind(service_id.unwrap_or(""))
        .bind(provider_id.unwrap_or(""))
        .bind(limit.clamp(1, 5000))
        .fetch_all(&self.pool)
        .await?;
        returns_from_rows(&rows)
    }
}

fn label(field: &str) -> String {
    let mut s = field.replace('_', " ");
    if let Some(f) = s.get_mut(..1) {
        f.make_ascii_uppercase();
    }
    s
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
    let old = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {RETURN_COLS} FROM monthly_returns m JOIN services s ON s.id = m.service_id WHERE m.service_id = $1 AND m.month = $2"
    )))
    .bind(service_id)
    .bind(&r.month)
    .fetch_optional(&mut **tx)
    .await?;
    let before = match &old {
        Some(row) => returns_from_rows(std::slice::from_ref(row))?.into_iter().next(),
        None => None,
    };
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
