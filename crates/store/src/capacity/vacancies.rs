//! Vacancy returns, block beds, placement restrictions, spare capacity and activity returns.

use crate::audit::{Actor, record};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::capacity::supported_living::{SupportWeek, validate_support_week};
use caremarket_core::capacity::vacancies::{BedType, BlockBedKind, VacancyLine, validate_return};
use caremarket_core::register::{ContractStatus, ServiceKind, Specialism};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use std::collections::BTreeMap;

/// How a return arrived.
pub const SOURCES: [&str; 4] = ["officer", "portal", "api", "csv"];

#[derive(Debug, Clone)]
pub struct NewVacancyReturn {
    pub service_id: String,
    pub return_date: Date,
    pub lines: Vec<VacancyLine>,
    pub source: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct VacancyReturn {
    pub id: String,
    pub service_id: String,
    pub return_date: String,
    pub source: String,
    pub submitted_by: String,
    pub lines: Vec<VacancyLine>,
}

/// A care home with its latest return on or before a date.
#[derive(Debug, Clone, Serialize)]
pub struct HomeLatest {
    pub service_id: String,
    pub name: String,
    pub provider_id: String,
    pub provider_name: String,
    pub kind: ServiceKind,
    pub area_id: Option<String>,
    pub area_name: Option<String>,
    pub beds: Option<i64>,
    pub contract_status: ContractStatus,
    pub dementia: bool,
    pub return_date: Option<String>,
    pub lines: Vec<VacancyLine>,
}

impl HomeLatest {
    pub fn on_framework(&self) -> bool {
        self.contract_status == ContractStatus::Framework
    }
    pub fn occupied(&self) -> i64 {
        self.lines.iter().map(|l| l.occupied).sum()
    }
    pub fn vacant(&self) -> i64 {
        self.lines.iter().map(|l| l.vacant).sum()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct BlockBeds {
    pub id: String,
    pub service_id: String,
    pub service_name: String,
    pub kind: BlockBedKind,
    pub beds: i64,
    pub starts_on: String,
    pub ends_on: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SpareDeclaration {
    pub id: String,
    pub service_id: String,
    pub service_name: String,
    pub provider_id: String,
    pub area_id: Option<String>,
    pub area_name: Option<String>,
    pub category: String,
    pub unit: String,
    pub amount: i64,
    pub declared_on: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ActivityReturn {
    pub service_id: String,
    pub service_name: String,
    pub provider_id: String,
    pub provider_name: String,
    pub kind: ServiceKind,
    pub contract_status: ContractStatus,
    pub lot_name: Option<String>,
    pub area_id: Option<String>,
    pub week_of: String,
    pub people: i64,
    pub packages: i64,
    pub minutes_per_week: i64,
    pub support: SupportWeek,
}

#[derive(Debug, Clone, Default)]
pub struct NewActivity {
    pub service_id: String,
    pub week_of: Option<Date>,
    pub people: i64,
    pub packages: i64,
    pub minutes_per_week: i64,
    pub support: SupportWeek,
    pub source: &'static str,
}

fn date_opt(d: Option<Date>) -> Option<String> {
    d.map(|d| d.to_string())
}

impl Store {
    /// Record a care home's return for a date (replacing any earlier return for that date),
    /// after checking it against the home's registered beds. `today` is the council's today.
    pub async fn submit_vacancy_return(&self, actor: &Actor, r: &NewVacancyReturn, today: Date) -> Result<String> {
        let service =
            self.service(&r.service_id).await.map_err(|_| StoreError::invalid("service_id", "Choose a care home from the register"))?;
        if !service.kind.is_care_home() {
            return Err(StoreError::invalid(
                "service_id",
                format!("{} is not a care home: vacancy returns are for care homes", service.name),
            ));
        }
        validate_return(r.return_date, today, service.beds, &r.lines)?;
        let source = SOURCES.iter().find(|s| **s == r.source).copied().unwrap_or("officer");
        let mut tx = self.begin_write().await?;
        let old: Option<String> = sqlx::query_scalar("SELECT id FROM vacancy_returns WHERE service_id = $1 AND return_date = $2")
            .bind(&r.service_id)
            .bind(r.return_date.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(old) = &old {
            sqlx::query("DELETE FROM vacancy_return_lines WHERE return_id = $1").bind(old).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM vacancy_returns WHERE id = $1").bind(old).execute(&mut *tx).await?;
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO vacancy_returns (id, service_id, return_date, source, submitted_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(&r.service_id)
        .bind(r.return_date.to_string())
        .bind(source)
        .bind(&actor.label)
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        for l in &r.lines {
            sqlx::query("INSERT INTO vacancy_return_lines (return_id, bed_type, occupied, vacant) VALUES ($1, $2, $3, $4)")
                .bind(&id)
                .bind(l.bed_type.as_str())
                .bind(l.occupied)
                .bind(l.vacant)
                .execute(&mut *tx)
                .await?;
        }
        record(
            &mut tx,
            actor,
            if old.is_some() { "update" } else { "create" },
            "vacancy_return",
            Some(&id),
            &format!("Vacancy return for {} on {} ({source})", service.name, r.return_date),
            None,
            Some(&json!({"service_id": r.service_id, "return_date": r.return_date.to_string(), "lines": r.lines, "replaced": old})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A home's returns, newest first.
    pub async fn vacancy_returns_for_service(&self, service_id: &str) -> Result<Vec<VacancyReturn>> {
        let rows = sqlx::query(
            "SELECT r.id, r.service_id, r.return_date, r.source, r.submitted_by, l.bed_type, l.occupied, l.vacant
             FROM vacancy_returns r LEFT JOIN vacancy_return_lines l ON l.return_id = r.id
             WHERE r.service_id = $1 ORDER BY r.return_date DESC, l.bed_type",
        )
        .bind(service_id)
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<VacancyReturn> = Vec::new();
        for r in rows {
            let id: String = r.try_get("id")?;
            if out.last().map(|x| x.id != id).unwrap_or(true) {
                out.push(VacancyReturn {
                    id: id.clone(),
                    service_id: r.try_get("service_id")?,
                    return_date: r.try_get("return_date")?,
                    source: r.try_get("source")?,
                    submitted_by: r.try_get("submitted_by")?,
                    lines: Vec::new(),
                });
            }
            let bt: Option<String> = r.try_get("bed_type")?;
            if let (Some(bt), Some(last)) = (bt.as_deref().and_then(BedType::parse), out.last_mut()) {
                last.lines.push(VacancyLine { bed_type: bt, occupied: r.try_get("occupied")?, vacant: r.try_get("vacant")? });
            }
        }
        Ok(out)
    }

    /// Every active in-area care home with its latest return on or before `as_at` (homes that
    /// have never made one are included with no lines, so they can be flagged as stale).
    pub async fn latest_vacancy_returns(&self, as_at: Date) -> Result<Vec<HomeLatest>> {
        let homes = sqlx::query(
            "SELECT s.id, s.name, s.provider_id, p.name AS provider_name, s.kind, s.area_id, a.name AS area_name, s.beds, s.contract_status,
                    (SELECT COUNT(*) FROM service_specialisms sp WHERE sp.service_id = s.id AND sp.specialism = $1) AS dementia
             FROM services s JOIN providers p ON p.id = s.provider_id LEFT JOIN areas a ON a.id = s.area_id
             WHERE s.kind IN ('care_home_residential', 'care_home_nursing') AND s.in_area = 1 AND s.registration_status <> 'deregistered'
             ORDER BY s.name, s.id",
        )
        .bind(Specialism::Dementia.as_str())
        .fetch_all(&self.pool)
        .await?;
        let lines = sqlx::query(
            // Each home's latest return date first, then its lines: one pass over the returns
            // rather than a correlated lookup per line (the watch list and capacity pages call
            // this on every request).
            "SELECT r.service_id, r.return_date, l.bed_type, l.occupied, l.vacant
             FROM (SELECT service_id, MAX(return_date) AS d FROM vacancy_returns WHERE return_date <= $1 GROUP BY service_id) m
             JOIN vacancy_returns r ON r.service_id = m.service_id AND r.return_date = m.d
             JOIN vacancy_return_lines l ON l.return_id = r.id",
        )
        .bind(as_at.to_string())
        .fetch_all(&self.pool)
        .await?;
        let mut by_service: BTreeMap<String, (String, Vec<VacancyLine>)> = BTreeMap::new();
        for r in lines {
            let sid: String = r.try_get("service_id")?;
            let date: String = r.try_get("return_date")?;
            let bt: String = r.try_get("bed_type")?;
            let e = by_service.entry(sid).or_insert_with(|| (date, Vec::new()));
            if let Some(bt) = BedType::parse(&bt) {
                e.1.push(VacancyLine { bed_type: bt, occupied: r.try_get("occupied")?, vacant: r.try_get("vacant")? });
            }
        }
        homes
            .iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                let latest = by_service.remove(&id);
                let kind: String = r.try_get("kind")?;
                let cs: String = r.try_get("contract_status")?;
                Ok(HomeLatest {
                    service_id: id,
                    name: r.try_get("name")?,
                    provider_id: r.try_get("provider_id")?,
                    provider_name: r.try_get("provider_name")?,
                    kind: ServiceKind::parse(&kind).unwrap_or(ServiceKind::Other),
                    area_id: r.try_get("area_id")?,
                    area_name: r.try_get("area_name")?,
                    beds: r.try_get("beds")?,
                    contract_status: ContractStatus::parse(&cs).unwrap_or(ContractStatus::NotContracted),
                    dementia: r.try_get::<i64, _>("dementia")? > 0,
                    return_date: latest.as_ref().map(|l| l.0.clone()),
                    lines: latest.map(|l| l.1).unwrap_or_default(),
                })
            })
            .collect()
    }

    // ----- block beds -----

    pub async fn add_block_beds(
        &self,
        actor: &Actor,
        service_id: &str,
        kind: BlockBedKind,
        beds: i64,
        starts_on: Date,
        ends_on: Option<Date>,
    ) -> Result<String> {
        let service =
            self.service(service_id).await.map_err(|_| StoreError::invalid("service_id", "Choose a care home from the register"))?;
        if !service.kind.is_care_home() {
            return Err(StoreError::invalid("service_id", format!("{} is not a care home", service.name)));
        }
        if beds <= 0 {
            return Err(StoreError::invalid("beds", "Enter the number of beds, more than 0"));
        }
        if let Some(reg) = service.beds
            && beds > reg
        {
            return Err(StoreError::invalid(
                "beds",
                format!("{beds} block beds is more than the {reg} beds {} is registered for", service.name),
            ));
        }
        if let Some(e) = ends_on
            && e < starts_on
        {
            return Err(StoreError::invalid("ends_on", "The end date must be on or after the start date"));
        }
        let id = new_id();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO block_beds (id, service_id, kind, beds, starts_on, ends_on, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(service_id)
        .bind(kind.as_str())
        .bind(beds)
        .bind(starts_on.to_string())
        .bind(date_opt(ends_on))
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            actor,
            "create",
            "block_beds",
            Some(&id),
            &format!("{beds} {} beds at {}", kind.label(), service.name),
            None,
            Some(&json!({"service_id": service_id, "kind": kind.as_str(), "beds": beds})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Block beds in force on `on`.
    pub async fn block_beds(&self, on: Date) -> Result<Vec<BlockBeds>> {
        let rows = sqlx::query(
            "SELECT b.id, b.service_id, s.name AS service_name, b.kind, b.beds, b.starts_on, b.ends_on
             FROM block_beds b JOIN services s ON s.id = b.service_id
             WHERE b.starts_on <= $1 AND (b.ends_on IS NULL OR b.ends_on >= $1) ORDER BY b.kind, s.name",
        )
        .bind(on.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let k: String = r.try_get("kind")?;
                Ok(BlockBeds {
                    id: r.try_get("id")?,
                    service_id: r.try_get("service_id")?,
                    service_name: r.try_get("service_name")?,
                    kind: BlockBedKind::parse(&k).unwrap_or(BlockBedKind::Emergency),
                    beds: r.try_get("beds")?,
                    starts_on: r.try_get("starts_on")?,
                    ends_on: r.try_get("ends_on")?,
                })
            })
            .collect()
    }

    // ----- declared spare capacity -----

    /// A provider's declared spare capacity: home care hours a week (as minutes) in an area for
    /// a lot, or beds of a type. Replaces the service's earlier declaration for the same area and
    /// category from then on (the latest counts).
    #[allow(clippy::too_many_arguments)]
    pub async fn declare_spare_capacity(
        &self,
        actor: &Actor,
        service_id: &str,
        area_id: Option<&str>,
        category: &str,
        unit: &str,
        amount: i64,
        declared_on: Date,
    ) -> Result<String> {
        let service =
            self.service(service_id).await.map_err(|_| StoreError::invalid("service_id", "Choose a service from the register"))?;
        if amount < 0 {
            return Err(StoreError::invalid("amount", format!("Spare capacity cannot be negative (found {amount})")));
        }
        if !matches!(unit, "minutes" | "beds") {
            return Err(StoreError::invalid("unit", "Spare capacity is in hours a week or beds"));
        }
        if unit == "minutes" && amount > 168 * 60 * 1000 {
            return Err(StoreError::invalid("amount", "That is more hours than a service could deliver in a week"));
        }
        if let Some(a) = area_id
            && !self.areas().await?.iter().any(|x| x.id == a)
        {
            return Err(StoreError::invalid("area_id", "Choose an area"));
        }
        let id = new_id();
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO spare_capacity (id, service_id, area_id, category, unit, amount, declared_on, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&id)
            .bind(service_id)
            .bind(area_id.map(str::to_string))
            .bind(category)
            .bind(unit)
            .bind(amount)
            .bind(declared_on.to_string())
            .bind(now_timestamp())
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            "create",
            "spare_capacity",
            Some(&id),
            &format!("Spare capacity declared for {}", service.name),
            None,
            Some(&json!({"service_id": service_id, "area_id": area_id, "category": category, "unit": unit, "amount": amount})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The latest declaration of every service for each area and category.
    pub async fn spare_capacity(&self) -> Result<Vec<SpareDeclaration>> {
        let rows = sqlx::query(
            "SELECT c.id, c.service_id, s.name AS service_name, s.provider_id, c.area_id, a.name AS area_name, c.category, c.unit, c.amount, c.declared_on, c.created_at
             FROM spare_capacity c JOIN services s ON s.id = c.service_id LEFT JOIN areas a ON a.id = c.area_id
             ORDER BY c.declared_on DESC, c.created_at DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for r in rows {
            let d = SpareDeclaration {
                id: r.try_get("id")?,
                service_id: r.try_get("service_id")?,
                service_name: r.try_get("service_name")?,
                provider_id: r.try_get("provider_id")?,
                area_id: r.try_get("area_id")?,
                area_name: r.try_get("area_name")?,
                category: r.try_get("category")?,
                unit: r.try_get("unit")?,
                amount: r.try_get("amount")?,
                declared_on: r.try_get("declared_on")?,
            };
            if seen.insert((d.service_id.clone(), d.area_id.clone(), d.category.clone())) {
                out.push(d);
            }
        }
        Ok(out)
    }

    // ----- weekly activity (home care, supported living, day services) -----

    pub async fn record_activity(&self, actor: &Actor, a: &NewActivity, today: Date) -> Result<String> {
        let service =
            self.service(&a.service_id).await.map_err(|_| StoreError::invalid("service_id", "Choose a service from the register"))?;
        let week = a.week_of.ok_or_else(|| StoreError::invalid("week_of", "Enter the week the figures are for"))?;
        if week > today {
            return Err(StoreError::invalid("week_of", format!("The week {week} is in the future (today is {today})")));
        }
        validate_support_week(&a.support)?;
        for (f, v) in [("people", a.people), ("packages", a.packages), ("minutes_per_week", a.minutes_per_week)] {
            if v < 0 {
                return Err(StoreError::invalid(f, format!("{f} cannot be negative (found {v})").replace('_', " ")));
            }
        }
        let people = a.people.max(a.support.people);
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM activity_returns WHERE service_id = $1 AND week_of = $2")
            .bind(&a.service_id)
            .bind(week.to_string())
            .execute(&mut *tx)
            .await?;
        let id = new_id();
        sqlx::query(
            "INSERT INTO activity_returns (id, service_id, week_of, people, packages, minutes_per_week, one_to_one_hours, shared_hours, people_shared, source, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&id)
        .bind(&a.service_id)
        .bind(week.to_string())
        .bind(people)
        .bind(a.packages)
        .bind(a.minutes_per_week)
        .bind(a.support.one_to_one_hours)
        .bind(a.support.shared_hours)
        .bind(a.support.people_shared)
        .bind(a.source)
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        record(&mut tx, actor, "create", "activity_return", Some(&id), &format!("Weekly figures for {} ({week})", service.name), None, Some(&json!({"service_id": a.service_id, "people": people, "packages": a.packages, "minutes_per_week": a.minutes_per_week, "support": a.support}))).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The latest weekly figures of every active service that has any.
    pub async fn latest_activity(&self) -> Result<Vec<ActivityReturn>> {
        let rows = sqlx::query(
            "SELECT x.service_id, s.name AS service_name, s.provider_id, p.name AS provider_name, s.kind, s.contract_status, l.name AS lot_name, s.area_id,
                    x.week_of, x.people, x.packages, x.minutes_per_week, x.one_to_one_hours, x.shared_hours, x.people_shared
             FROM activity_returns x JOIN services s ON s.id = x.service_id JOIN providers p ON p.id = s.provider_id
             LEFT JOIN framework_lots l ON l.id = s.lot_id
             WHERE s.registration_status <> 'deregistered'
               AND x.week_of = (SELECT MAX(y.week_of) FROM activity_returns y WHERE y.service_id = x.service_id)
             ORDER BY s.name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get("kind")?;
                let cs: String = r.try_get("contract_status")?;
                let people: i64 = r.try_get("people")?;
                Ok(ActivityReturn {
                    service_id: r.try_get("service_id")?,
                    service_name: r.try_get("service_name")?,
                    provider_id: r.try_get("provider_id")?,
                    provider_name: r.try_get("provider_name")?,
                    kind: ServiceKind::parse(&kind).unwrap_or(ServiceKind::Other),
                    contract_status: ContractStatus::parse(&cs).unwrap_or(ContractStatus::NotContracted),
                    lot_name: r.try_get("lot_name")?,
                    area_id: r.try_get("area_id")?,
                    week_of: r.try_get("week_of")?,
                    people,
                    packages: r.try_get("packages")?,
                    minutes_per_week: r.try_get("minutes_per_week")?,
                    support: SupportWeek {
                        one_to_one_hours: r.try_get("one_to_one_hours")?,
                        people,
                        shared_hours: r.try_get("shared_hours")?,
                        people_shared: r.try_get("people_shared")?,
                    },
                })
            })
            .collect()
    }
}
