//! A week's care delivered: home care people, packages and hours; supported living and day
//! services hours of 1:1 and shared support (`000`). What continuity counts as affected.

use crate::audit::{Actor, record};
use crate::register::corrupt;
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::capacity::supported_living::{SupportWeek, check_activity};
use caremarket_core::register::{ContractStatus, RegistrationStatus, ServiceKind};
use serde::Serialize;
use serde_json::json;

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

#[derive(sqlx::FromRow)]
struct ActivityRow {
    service_id: String,
    service_name: String,
    provider_id: String,
    provider_name: String,
    kind: String,
    contract_status: String,
    lot_name: Option<String>,
    area_id: Option<String>,
    week_of: String,
    people: i64,
    packages: i64,
    minutes_per_week: i64,
    one_to_one_hours: i64,
    shared_hours: i64,
    people_shared: i64,
}

impl TryFrom<ActivityRow> for ActivityReturn {
    type Error = StoreError;
    fn try_from(r: ActivityRow) -> Result<Self> {
        Ok(ActivityReturn {
            kind: ServiceKind::parse(&r.kind).ok_or_else(|| corrupt("services", "kind", &r.kind))?,
            contract_status: ContractStatus::parse(&r.contract_status)
                .ok_or_else(|| corrupt("services", "contract_status", &r.contract_status))?,
            service_id: r.service_id,
            service_name: r.service_name,
            provider_id: r.provider_id,
            provider_name: r.provider_name,
            lot_name: r.lot_name,
            area_id: r.area_id,
            week_of: r.week_of,
            people: r.people,
            packages: r.packages,
            minutes_per_week: r.minutes_per_week,
            support: SupportWeek {
                one_to_one_hours: r.one_to_one_hours,
                people: r.people,
                shared_hours: r.shared_hours,
                people_shared: r.people_shared,
            },
        })
    }
}

impl Store {
    pub async fn record_activity(&self, actor: &Actor, a: &NewActivity, today: Date) -> Result<String> {
        let service =
            self.service(&a.service_id).await.map_err(|_| StoreError::invalid("service_id", "Choose a service from the register"))?;
        let week = a.week_of.ok_or_else(|| StoreError::invalid("week_of", "Enter the week the figures are for"))?;
        if week > today {
            return Err(StoreError::invalid("week_of", format!("The week {week} is in the future (today is {today})")));
        }
        let people = check_activity(a.people, a.packages, a.minutes_per_week, &a.support)?;
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
        self.latest_activity_as_at(crate::today()).await
    }

    /// Each service's latest week of care returned for a week starting on or before `on`.
    pub async fn latest_activity_as_at(&self, on: Date) -> Result<Vec<ActivityReturn>> {
        let rows = sqlx::query_as::<_, ActivityRow>(
            "SELECT x.service_id, s.name AS service_name, s.provider_id, p.name AS provider_name, s.kind, s.contract_status, l.name AS lot_name, s.area_id,
                    x.week_of, x.people, x.packages, x.minutes_per_week, x.one_to_one_hours, x.shared_hours, x.people_shared
             FROM activity_returns x JOIN services s ON s.id = x.service_id JOIN providers p ON p.id = s.provider_id
             LEFT JOIN framework_lots l ON l.id = s.lot_id
             WHERE s.registration_status <> $1 AND x.week_of <= $2
               AND x.week_of = (SELECT MAX(y.week_of) FROM activity_returns y WHERE y.service_id = x.service_id AND y.week_of <= $2)
             ORDER BY s.name",
        )
        .bind(RegistrationStatus::Deregistered.as_str())
        .bind(on.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(ActivityReturn::try_from).collect()
    }
}
