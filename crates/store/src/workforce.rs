//! Workforce returns, the real Living Wage rates and the council's Ethical Care Charter
//! positions (issue 13 items 1-3). The rules (what a return may say, the rates it computes, the
//! market's figures, the charter's checks) are `caremarket_core::workforce`'s; this module loads
//! the facts and saves what core checked, with its audit row in the same transaction.

use crate::audit::record;
use crate::fees::cost_of_care::SentBy;
use crate::{Actor, Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::ecm::{Continuity, continuity};
use caremarket_core::quality::RowProblem;
use caremarket_core::register::ServiceKind;
use caremarket_core::versions::Version;
use caremarket_core::workforce::{
    Draft, ELEMENTS, Framework, LivingWageRate, Position, ProfileMeasure, Quarter, VisitFacts, WorkforceReturn, check_return, element,
};
use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

/// A stored return with its service and who sent it.
#[derive(Debug, Clone, Serialize)]
pub struct WorkforceReturnRecord {
    pub id: String,
    pub service_id: String,
    pub service_name: String,
    pub kind: ServiceKind,
    pub provider_id: String,
    pub provider_name: String,
    pub r: WorkforceReturn,
    pub sent_by: SentBy,
    pub sent_by_label: String,
    pub submitted_at: String,
}

/// Which returns to load ('' or `None`: any).
#[derive(Debug, Clone, Default)]
pub struct WorkforceFilter {
    pub provider_id: Option<String>,
    pub service_id: Option<String>,
    pub period: Option<Quarter>,
    pub kind: Option<ServiceKind>,
}

/// A service the council expects a workforce return from: in its area, registered (or not
/// regulated) and contracted, or one that has returned before.
#[derive(Debug, Clone, Serialize)]
pub struct ExpectedService {
    pub service_id: String,
    pub service_name: String,
    pub kind: ServiceKind,
    pub provider_id: String,
    pub provider_name: String,
}

/// A profile figure with its source and who entered it.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileRecord {
    pub id: String,
    /// `None`: every market.
    pub kind: Option<ServiceKind>,
    pub measure: ProfileMeasure,
    /// Tenths of a year or of a percent.
    pub value: i64,
    pub as_of: String,
    pub source: String,
    pub set_by_label: String,
    pub set_at: String,
}

/// One recorded position on a charter element.
#[derive(Debug, Clone, Serialize)]
pub struct PositionRecord {
    pub id: String,
    pub element: String,
    pub position: Position,
    pub note: String,
    pub set_on: String,
    pub set_by_label: String,
    pub set_at: String,
}

const COLUMNS: &str = "w.id, w.service_id, s.name AS service_name, s.kind, w.provider_id, p.name AS provider_name, w.period,
    w.care_workers, w.nurses, w.managers, w.other_staff, w.care_workers_fte, w.nurses_fte, w.managers_fte, w.other_staff_fte,
    w.vacancies, w.starters, w.leavers, w.zero_hours_staff, w.guaranteed_hours_staff, w.agency_hours, w.lowest_hourly_pay_pence,
    w.sick_pay, w.care_certificate_permille, w.level2_permille, w.level3_permille, w.qualification_framework,
    w.medication_training_permille, w.asc_wds_complete, w.sent_by, COALESCE(u.display_name, w.created_by_label) AS sent_by_label,
    w.submitted_at";
const FROM: &str = " FROM workforce_returns w JOIN services s ON s.id = w.service_id JOIN providers p ON p.id = w.provider_id
    LEFT JOIN users u ON u.id = w.created_by";

fn quarter_of(s: &str) -> Result<Quarter> {
    let bad = || crate::register::corrupt("workforce_returns", "period", s);
    let (y, q) = s.split_once("-Q").ok_or_else(bad)?;
    Ok(Quarter { year: y.parse().map_err(|_| bad())?, q: q.parse().map_err(|_| bad())? })
}

fn decode(row: &AnyRow) -> Result<WorkforceReturnRecord> {
    let t = "workforce_returns";
    let g = |c: &str| -> Result<i64> { Ok(row.try_get::<i64, _>(c)?) };
    let kind: String = row.try_get("kind")?;
    let framework: String = row.try_get("qualification_framework")?;
    let sent_by: String = row.try_get("sent_by")?;
    let period: String = row.try_get("period")?;
    Ok(WorkforceReturnRecord {
        id: row.try_get("id")?,
        service_id: row.try_get("service_id")?,
        service_name: row.try_get("service_name")?,
        kind: ServiceKind::parse(&kind).ok_or_else(|| crate::register::corrupt("services", "kind", &kind))?,
        provider_id: row.try_get("provider_id")?,
        provider_name: row.try_get("provider_name")?,
        r: WorkforceReturn {
            period: quarter_of(&period)?,
            care_workers: g("care_workers")?,
            nurses: g("nurses")?,
            managers: g("managers")?,
            other_staff: g("other_staff")?,
            care_workers_fte: g("care_workers_fte")?,
            nurses_fte: g("nurses_fte")?,
            managers_fte: g("managers_fte")?,
            other_staff_fte: g("other_staff_fte")?,
            vacancies: g("vacancies")?,
            starters: g("starters")?,
            leavers: g("leavers")?,
            zero_hours_staff: g("zero_hours_staff")?,
            guaranteed_hours_staff: g("guaranteed_hours_staff")?,
            agency_hours: g("agency_hours")?,
            lowest_hourly_pay_pence: g("lowest_hourly_pay_pence")?,
            sick_pay: g("sick_pay")? != 0,
            care_certificate_permille: g("care_certificate_permille")?,
            level2_permille: g("level2_permille")?,
            level3_permille: g("level3_permille")?,
            qualification_framework: Framework::parse(&framework)
                .ok_or_else(|| crate::register::corrupt(t, "qualification_framework", &framework))?,
            medication_training_permille: g("medication_training_permille")?,
            asc_wds_complete: g("asc_wds_complete")? != 0,
        },
        sent_by: SentBy::parse(&sent_by).ok_or_else(|| crate::register::corrupt(t, "sent_by", &sent_by))?,
        sent_by_label: row.try_get("sent_by_label")?,
        submitted_at: row.try_get("submitted_at")?,
    })
}

fn audit_json(r: &WorkforceReturn) -> serde_json::Value {
    serde_json::to_value(caremarket_core::workforce::to_draft(r)).unwrap_or_default()
}

async fn save(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    actor: &Actor,
    service: &ExpectedService,
    r: &WorkforceReturn,
    sent_by: SentBy,
) -> Result<(String, bool)> {
    let earlier = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS}{FROM} WHERE w.service_id = $1 AND w.period = $2")))
        .bind(&service.service_id)
        .bind(r.period.code())
        .fetch_optional(&mut **tx)
        .await?
        .map(|row| decode(&row))
        .transpose()?;
    let id = earlier.as_ref().map(|e| e.id.clone()).unwrap_or_else(new_id);
    if earlier.is_some() {
        sqlx::query("DELETE FROM workforce_returns WHERE id = $1").bind(&id).execute(&mut **tx).await?;
    }
    sqlx::query(
        "INSERT INTO workforce_returns (id, service_id, provider_id, period, last_month, care_workers, nurses, managers, other_staff,
            care_workers_fte, nurses_fte, managers_fte, other_staff_fte, vacancies, starters, leavers, zero_hours_staff,
            guaranteed_hours_staff, agency_hours, lowest_hourly_pay_pence, sick_pay, care_certificate_permille, level2_permille,
            level3_permille, qualification_framework, medication_training_permille, asc_wds_complete, sent_by, created_by,
            created_by_label, submitted_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25,
            $26, $27, $28, $29, $30, $31)",
    )
    .bind(&id)
    .bind(&service.service_id)
    .bind(&service.provider_id)
    .bind(r.period.code())
    .bind(r.period.last_month())
    .bind(r.care_workers)
    .bind(r.nurses)
    .bind(r.managers)
    .bind(r.other_staff)
    .bind(r.care_workers_fte)
    .bind(r.nurses_fte)
    .bind(r.managers_fte)
    .bind(r.other_staff_fte)
    .bind(r.vacancies)
    .bind(r.starters)
    .bind(r.leavers)
    .bind(r.zero_hours_staff)
    .bind(r.guaranteed_hours_staff)
    .bind(r.agency_hours)
    .bind(r.lowest_hourly_pay_pence)
    .bind(i64::from(r.sick_pay))
    .bind(r.care_certificate_permille)
    .bind(r.level2_permille)
    .bind(r.level3_permille)
    .bind(r.qualification_framework.as_str())
    .bind(r.medication_training_permille)
    .bind(i64::from(r.asc_wds_complete))
    .bind(sent_by.as_str())
    .bind(actor.user_id.clone())
    .bind(&actor.label)
    .bind(now_timestamp())
    .execute(&mut **tx)
    .await?;
    let summary = format!(
        "{} workforce return for {} ({}) for {}: {} staff, {} vacancies, {} leavers",
        if earlier.is_some() { "Replaced the" } else { "Received a" },
        service.service_name,
        service.provider_name,
        r.period.label(),
        r.staff(),
        r.vacancies,
        r.leavers
    );
    let before = earlier.as_ref().map(|e| audit_json(&e.r));
    let mut after = audit_json(r);
    after["service_id"] = json!(service.service_id);
    after["sent_by"] = json!(sent_by.as_str());
    record(
        tx,
        actor,
        if earlier.is_some() { "update" } else { "create" },
        "workforce_return",
        Some(&id),
        &summary,
        before.as_ref(),
        Some(&after),
    )
    .await?;
    Ok((id, earlier.is_some()))
}

impl Store {
    async fn workforce_service(&self, service_id: &str) -> Result<Option<ExpectedService>> {
        let row: Option<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT s.id, s.name, s.kind, s.provider_id, p.name FROM services s JOIN providers p ON p.id = s.provider_id WHERE s.id = $1",
        )
        .bind(service_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(service_id, service_name, kind, provider_id, provider_name)| {
            Ok(ExpectedService {
                kind: ServiceKind::parse(&kind).ok_or_else(|| crate::register::corrupt("services", "kind", &kind))?,
                service_id,
                service_name,
                provider_id,
                provider_name,
            })
        })
        .transpose()
    }

    /// Save a checked return for a service, replacing the quarter's earlier one (audited).
    /// `only_provider` (the portal) refuses a service of any other provider. Returns the id and
    /// whether it replaced one.
    pub async fn submit_workforce_return(
        &self,
        actor: &Actor,
        service_id: &str,
        r: &WorkforceReturn,
        sent_by: SentBy,
        only_provider: Option<&str>,
    ) -> Result<(String, bool)> {
        let service = match self.workforce_service(service_id).await? {
            Some(s) if only_provider.is_none_or(|p| p == s.provider_id) => s,
            _ => return Err(StoreError::invalid("service_id", "Choose one of your services")),
        };
        let mut tx = self.begin_write().await?;
        let out = save(&mut tx, actor, &service, r, sent_by).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Save a file's returns, all or none: each row checked by core and its service against the
    /// register (and, in the portal, against the provider), every problem named by row and
    /// column. Rows are (row number as a spreadsheet shows it, service id, the row's fields).
    pub async fn import_workforce_returns(
        &self,
        actor: &Actor,
        rows: &[(usize, String, Draft)],
        only_provider: Option<&str>,
        sent_by: SentBy,
        today: Date,
    ) -> Result<std::result::Result<usize, Vec<RowProblem>>> {
        let mut problems = Vec::new();
        let mut plan: Vec<(ExpectedService, WorkforceReturn)> = Vec::new();
        let mut seen = std::collections::BTreeMap::new();
        for (row, service_id, draft) in rows {
            let service = match self.workforce_service(service_id).await? {
                Some(s) if only_provider.is_none_or(|p| p == s.provider_id) => Some(s),
                Some(_) => {
                    problems.push(RowProblem::new(*row, "service_id", format!("'{service_id}' is not one of your services")));
                    None
                }
                None if service_id.trim().is_empty() => {
                    problems.push(RowProblem::new(*row, "service_id", "Enter the service's id"));
                    None
                }
                None => {
                    problems.push(RowProblem::new(*row, "service_id", format!("'{service_id}' is not a service in the register")));
                    None
                }
            };
            match check_return(draft, today) {
                Ok(r) => {
                    if let Some(s) = service {
                        if let Some(first) = seen.insert((s.service_id.clone(), r.period), *row) {
                            problems.push(RowProblem::new(
                                *row,
                                "period",
                                format!("row {first} already returns {} for this service", r.period.label()),
                            ));
                        }
                        plan.push((s, r));
                    }
                }
                Err(errors) => {
                    for e in errors.0 {
                        problems.push(RowProblem::new(*row, e.field, e.message));
                    }
                }
            }
        }
        if rows.is_empty() {
            problems.push(RowProblem::whole_file("The file has no returns"));
        }
        if !problems.is_empty() {
            return Ok(Err(problems));
        }
        let mut tx = self.begin_write().await?;
        for (s, r) in &plan {
            save(&mut tx, actor, s, r, sent_by).await?;
        }
        tx.commit().await?;
        Ok(Ok(plan.len()))
    }

    /// Returns matching the filter, newest quarter first, then by provider and service.
    pub async fn workforce_returns(&self, f: &WorkforceFilter) -> Result<Vec<WorkforceReturnRecord>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS}{FROM} WHERE ($1 = '' OR w.provider_id = $1) AND ($2 = '' OR w.service_id = $2)
               AND ($3 = '' OR w.period = $3) AND ($4 = '' OR s.kind = $4)
             ORDER BY w.period DESC, p.name, s.name, w.id"
        )))
        .bind(f.provider_id.clone().unwrap_or_default())
        .bind(f.service_id.clone().unwrap_or_default())
        .bind(f.period.map(|p| p.code()).unwrap_or_default())
        .bind(f.kind.map(|k| k.as_str()).unwrap_or_default())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decode).collect()
    }

    pub async fn workforce_return(&self, id: &str) -> Result<WorkforceReturnRecord> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS}{FROM} WHERE w.id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("workforce return {id}")))?;
        decode(&row)
    }

    /// The quarters with a return, newest first.
    pub async fn workforce_periods(&self) -> Result<Vec<Quarter>> {
        let codes: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT period FROM workforce_returns ORDER BY period DESC").fetch_all(&self.pool).await?;
        codes.iter().map(|c| quarter_of(c)).collect()
    }

    /// The services expected to return: in area, registered or not regulated, and contracted;
    /// and any that has returned before. By provider and service name.
    pub async fn workforce_expected(&self, provider_id: Option<&str>) -> Result<Vec<ExpectedService>> {
        let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT s.id, s.name, s.kind, s.provider_id, p.name FROM services s JOIN providers p ON p.id = s.provider_id
             WHERE ($1 = '' OR s.provider_id = $1)
               AND ((s.in_area = 1 AND s.registration_status <> 'deregistered' AND s.contract_status <> 'not_contracted')
                    OR s.id IN (SELECT service_id FROM workforce_returns))
             ORDER BY p.name, s.name, s.id",
        )
        .bind(provider_id.unwrap_or(""))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(service_id, service_name, kind, provider_id, provider_name)| {
                Ok(ExpectedService {
                    kind: ServiceKind::parse(&kind).ok_or_else(|| crate::register::corrupt("services", "kind", &kind))?,
                    service_id,
                    service_name,
                    provider_id,
                    provider_name,
                })
            })
            .collect()
    }

    /// A provider's services a return may be sent for (any not deregistered), by name.
    pub async fn workforce_services_of(&self, provider_id: &str) -> Result<Vec<ExpectedService>> {
        let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT s.id, s.name, s.kind, s.provider_id, p.name FROM services s JOIN providers p ON p.id = s.provider_id
             WHERE s.provider_id = $1 AND s.registration_status <> 'deregistered' ORDER BY s.name, s.id",
        )
        .bind(provider_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(service_id, service_name, kind, provider_id, provider_name)| {
                Ok(ExpectedService {
                    kind: ServiceKind::parse(&kind).ok_or_else(|| crate::register::corrupt("services", "kind", &kind))?,
                    service_id,
                    service_name,
                    provider_id,
                    provider_name,
                })
            })
            .collect()
    }

    /// The real Living Wage rates, newest first.
    /// Record a year's real Living Wage rates (a commissioner, each autumn), or correct a year
    /// already recorded. Audited with what it said before.
    pub async fn set_living_wage_rate(&self, actor: &Actor, r: &LivingWageRate) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let before: Option<(i64, i64, String, String)> =
            sqlx::query_as("SELECT pence, london_pence, announced_on, applies_from FROM living_wage_rates WHERE year = $1")
                .bind(&r.year)
                .fetch_optional(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO living_wage_rates (year, pence, london_pence, announced_on, applies_from) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (year) DO UPDATE SET pence = excluded.pence, london_pence = excluded.london_pence,
             announced_on = excluded.announced_on, applies_from = excluded.applies_from, version = living_wage_rates.version + 1",
        )
        .bind(&r.year)
        .bind(r.pence)
        .bind(r.london_pence)
        .bind(r.announced_on.to_string())
        .bind(r.applies_from.to_string())
        .execute(&mut *tx)
        .await?;
        let after = json!({ "pence": r.pence, "london_pence": r.london_pence, "announced_on": r.announced_on.to_string(), "applies_from": r.applies_from.to_string() });
        let before_json = before.map(|(p, l, a, f)| json!({ "pence": p, "london_pence": l, "announced_on": a, "applies_from": f }));
        let (action, summary) = match before_json {
            Some(_) => ("update", format!("Corrected the real Living Wage for {}", r.year)),
            None => ("create", format!("Recorded the real Living Wage for {}", r.year)),
        };
        record(&mut tx, actor, action, "living_wage_rate", Some(&r.year), &summary, before_json.as_ref(), Some(&after)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Record a new year's rates from the blank form. A year already recorded is not changed
    /// from here (two officers typing the same year would otherwise overwrite each other): the
    /// same figures again change nothing; different ones are refused, naming the year's Correct
    /// link (decision 25).
    pub async fn add_living_wage_rate(&self, actor: &Actor, r: &LivingWageRate) -> Result<()> {
        if let Some(now) = self.living_wage_rates().await?.into_iter().find(|x| x.year == r.year) {
            if now == *r {
                return Ok(());
            }
            return Err(StoreError::invalid(
                "year",
                format!("The rates for {} are already recorded. To change them, choose Correct beside the year", r.year),
            ));
        }
        self.set_living_wage_rate(actor, r).await
    }

    /// The version a year's rates are at, for the form that corrects them.
    pub async fn living_wage_rate_version(&self, year: &str) -> Result<i64> {
        let v: Option<i64> = sqlx::query_scalar("SELECT CAST(version AS BIGINT) FROM living_wage_rates WHERE year = $1")
            .bind(year)
            .fetch_optional(&self.pool)
            .await?;
        v.ok_or_else(|| StoreError::NotFound(format!("living wage rates for {year}")))
    }

    /// Correct a recorded year's rates from the form opened at `expected`: refused `Stale`, with
    /// nothing written, if they were corrected since.
    pub async fn correct_living_wage_rate_at(&self, actor: &Actor, r: &LivingWageRate, expected: Version) -> Result<()> {
        let before = self.living_wage_rates().await?.into_iter().find(|x| x.year == r.year);
        let Some(before) = before else { return Err(StoreError::NotFound(format!("living wage rates for {}", r.year))) };
        crate::versions::check_current(self.living_wage_rate_version(&r.year).await?, expected)?;
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE living_wage_rates SET pence = $1, london_pence = $2, announced_on = $3, applies_from = $4, version = version + 1
             WHERE year = $5 AND version = $6",
        )
        .bind(r.pence)
        .bind(r.london_pence)
        .bind(r.announced_on.to_string())
        .bind(r.applies_from.to_string())
        .bind(&r.year)
        .bind(expected.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            drop(tx);
            return Err(StoreError::Stale { current: self.living_wage_rate_version(&r.year).await? });
        }
        let json_of = |x: &LivingWageRate| json!({ "pence": x.pence, "london_pence": x.london_pence, "announced_on": x.announced_on.to_string(), "applies_from": x.applies_from.to_string() });
        let summary = format!("Corrected the real Living Wage for {}", r.year);
        record(&mut tx, actor, "update", "living_wage_rate", Some(&r.year), &summary, Some(&json_of(&before)), Some(&json_of(r))).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn living_wage_rates(&self) -> Result<Vec<LivingWageRate>> {
        let rows: Vec<(String, i64, i64, String, String)> = sqlx::query_as(
            "SELECT year, pence, london_pence, announced_on, applies_from FROM living_wage_rates ORDER BY applies_from DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        let t = "living_wage_rates";
        rows.into_iter()
            .map(|(year, pence, london_pence, announced, applies)| {
                Ok(LivingWageRate {
                    year,
                    pence,
                    london_pence,
                    announced_on: crate::direct_payments::date(t, "announced_on", &announced)?,
                    applies_from: crate::direct_payments::date(t, "applies_from", &applies)?,
                })
            })
            .collect()
    }

    /// Every recorded charter position, by element in the charter's order, newest first.
    pub async fn charter_positions(&self) -> Result<Vec<PositionRecord>> {
        let rows: Vec<(String, String, String, String, String, String, String)> = sqlx::query_as(
            "SELECT c.id, c.element, c.position, c.note, c.set_on, COALESCE(u.display_name, c.set_by_label), c.set_at
             FROM charter_positions c LEFT JOIN users u ON u.id = c.set_by ORDER BY c.element, c.set_at DESC, c.id DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, element, position, note, set_on, set_by_label, set_at)| {
                Ok(PositionRecord {
                    position: Position::parse(&position)
                        .ok_or_else(|| crate::register::corrupt("charter_positions", "position", &position))?,
                    id,
                    element,
                    note,
                    set_on,
                    set_by_label,
                    set_at,
                })
            })
            .collect()
    }

    /// The version an element's position is at, for the form that sets it (decision 25): 1 until
    /// it is first set from a versioned form.
    pub async fn charter_version(&self, element_key: &str) -> Result<i64> {
        let v: Option<i64> = sqlx::query_scalar("SELECT CAST(version AS BIGINT) FROM charter_versions WHERE element = $1")
            .bind(element_key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(v.unwrap_or(1))
    }

    /// The latest position recorded on an element (its id), whose audit entry says who set it.
    pub async fn latest_charter_position_id(&self, element_key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT id FROM charter_positions WHERE element = $1 ORDER BY set_at DESC, id DESC LIMIT 1")
            .bind(element_key)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// As [`Store::set_charter_position`], from the form opened at `expected`: refused `Stale`,
    /// with nothing written, if another position was set on the element since.
    pub async fn set_charter_position_at(
        &self,
        actor: &Actor,
        element_key: &str,
        (position, note): (&str, &str),
        today: Date,
        expected: Version,
    ) -> Result<String> {
        self.write_charter_position(actor, element_key, position, note, today, Some(expected)).await
    }

    /// Record the council's position on an element (fields `position`, `note`), audited; the
    /// earlier positions stay as its history.
    pub async fn set_charter_position(&self, actor: &Actor, element_key: &str, position: &str, note: &str, today: Date) -> Result<String> {
        self.write_charter_position(actor, element_key, position, note, today, None).await
    }

    async fn write_charter_position(
        &self,
        actor: &Actor,
        element_key: &str,
        position: &str,
        note: &str,
        today: Date,
        expected: Option<Version>,
    ) -> Result<String> {
        let Some(e) = element(element_key) else { return Err(StoreError::NotFound(format!("charter element {element_key}"))) };
        let mut errors = caremarket_core::FieldErrors::new();
        let position = Position::parse(position);
        if position.is_none() {
            errors.add("position", "Choose agreed, working towards or not accepted");
        }
        let note = note.trim();
        if note.is_empty() {
            errors.add("note", "Enter a note: why the council takes this position");
        } else if note.chars().count() > 4000 {
            errors.add("note", "The note must be 4,000 characters or fewer");
        }
        let Some(position) = position.filter(|_| errors.is_empty()) else { return Err(StoreError::InvalidFields(errors)) };
        let before: Option<(String, String)> =
            sqlx::query_as("SELECT position, note FROM charter_positions WHERE element = $1 ORDER BY set_at DESC, id DESC LIMIT 1")
                .bind(e.key)
                .fetch_optional(&self.pool)
                .await?;
        if let Some(expected) = expected {
            crate::versions::check_current(self.charter_version(e.key).await?, expected)?;
        }
        let mut tx = self.begin_write().await?;
        // The element's version is raised in the same transaction, and only from the version
        // the form was opened at, so two officers setting it at once cannot both land.
        let guard = match expected {
            None => String::new(),
            Some(v) => format!(" WHERE charter_versions.version = {}", v.get()),
        };
        let raised = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO charter_versions (element, version) VALUES ($1, 2)
             ON CONFLICT (element) DO UPDATE SET version = charter_versions.version + 1{guard}"
        )))
        .bind(e.key)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if raised == 0 {
            drop(tx);
            return Err(StoreError::Stale { current: self.charter_version(e.key).await? });
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO charter_positions (id, element, position, note, set_on, set_by, set_by_label, set_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(e.key)
        .bind(position.as_str())
        .bind(note)
        .bind(today.to_string())
        .bind(actor.user_id.clone())
        .bind(&actor.label)
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        let summary = format!("Ethical Care Charter element {} (stage {}): {}", e.key, e.stage, position.label());
        let before = before.map(|(p, n)| json!({"position": p, "note": n}));
        let after = json!({"element": e.key, "position": position.as_str(), "note": note});
        record(
            &mut tx,
            actor,
            if before.is_some() { "update" } else { "create" },
            "charter_position",
            Some(&id),
            &summary,
            before.as_ref(),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every profile figure, newest first within each market and measure.
    pub async fn workforce_profile(&self) -> Result<Vec<ProfileRecord>> {
        type Row = (String, String, String, i64, String, String, String, String);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT w.id, w.kind, w.measure, w.value, w.as_of, w.source, COALESCE(u.display_name, w.set_by_label), w.set_at
             FROM workforce_profile w LEFT JOIN users u ON u.id = w.set_by ORDER BY w.kind, w.measure, w.set_at DESC, w.id DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        let t = "workforce_profile";
        rows.into_iter()
            .map(|(id, kind, measure, value, as_of, source, set_by_label, set_at)| {
                Ok(ProfileRecord {
                    kind: if kind.is_empty() {
                        None
                    } else {
                        Some(ServiceKind::parse(&kind).ok_or_else(|| crate::register::corrupt(t, "kind", &kind))?)
                    },
                    measure: ProfileMeasure::parse(&measure).ok_or_else(|| crate::register::corrupt(t, "measure", &measure))?,
                    id,
                    value,
                    as_of,
                    source,
                    set_by_label,
                    set_at,
                })
            })
            .collect()
    }

    /// Record a profile figure (fields `kind`, `measure`, `value`, `source`), audited; an earlier
    /// figure for the same market and measure stays as its history.
    pub async fn add_workforce_profile(
        &self,
        actor: &Actor,
        kind: &str,
        measure: &str,
        value: &str,
        source: &str,
        today: Date,
    ) -> Result<String> {
        let kind = match kind.trim() {
            "" => None,
            k => Some(ServiceKind::parse(k).ok_or_else(|| StoreError::invalid("kind", "Choose a market from the list"))?),
        };
        let (m, v, source) = caremarket_core::workforce::check_profile(measure, value, source).map_err(StoreError::InvalidFields)?;
        let mut tx = self.begin_write().await?;
        let id = new_id();
        sqlx::query(
            "INSERT INTO workforce_profile (id, kind, measure, value, as_of, source, set_by, set_by_label, set_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(kind.map(|k| k.as_str()).unwrap_or(""))
        .bind(m.as_str())
        .bind(v)
        .bind(today.to_string())
        .bind(&source)
        .bind(actor.user_id.clone())
        .bind(&actor.label)
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        let summary =
            format!("Workforce profile, {}: {} {} ({source})", kind.map(|k| k.label()).unwrap_or("every market"), m.label(), m.text(v));
        let after = json!({"kind": kind.map(|k| k.as_str()), "measure": m.as_str(), "value": v, "source": source});
        record(&mut tx, actor, "create", "workforce_profile", Some(&id), &summary, None, Some(&after)).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Planned home care visits of a provider in the newest care monitoring import that holds
    /// it: how many, and those of 15 minutes or less with one carer and with two or more (`004`
    /// allows those, to hoist). `None` when no import holds the provider.
    pub async fn workforce_visit_facts(&self, provider_id: &str) -> Result<Option<VisitFacts>> {
        let Some(import) = self.latest_ecm_import(Some(provider_id)).await? else { return Ok(None) };
        // Visits at Extra Care schemes are counted apart: short visits there are allowed (`004`).
        let row: (i64, i64, i64, i64) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(CASE WHEN extra_care = 0 THEN 1 ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN extra_care = 0 AND planned_minutes <= 15 AND carers <= 1 THEN 1 ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN extra_care = 0 AND planned_minutes <= 15 AND carers > 1 THEN 1 ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN extra_care <> 0 THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM ecm_visits WHERE import_id = $1 AND provider_id = $2",
        )
        .bind(&import)
        .bind(provider_id)
        .fetch_one(&self.pool)
        .await?;
        Ok((row.0 + row.3 > 0).then_some(VisitFacts { planned: row.0, short_single: row.1, short_double: row.2, extra_care: row.3 }))
    }

    /// Continuity of care from the newest care monitoring import's care worker references
    /// (core's `ecm::continuity`); `None` when there are none for the provider.
    pub async fn workforce_continuity(&self, provider_id: &str) -> Result<Option<Continuity>> {
        let Some(import) = self.latest_ecm_import(Some(provider_id)).await? else { return Ok(None) };
        let visits = self.ecm_worker_visits(&import, Some(provider_id)).await?;
        let c = continuity(visits.iter().filter(|v| v.0 == provider_id).map(|v| (v.2.as_str(), v.3.as_str())));
        Ok((c.persons > 0).then_some(c))
    }
}

/// The charter's elements, for pages listing them.
pub fn charter_elements() -> &'static [caremarket_core::workforce::Element] {
    &ELEMENTS
}
