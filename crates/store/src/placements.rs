//! Out-of-area placements (`000`: people placed outside the council's area, the host authority,
//! the current CQC rating checked monthly). The person is held by a reference only.

use crate::audit::{Actor, record};
use crate::register::{CurrentRatings, decode_rating};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::register::placement::{check_end, check_placement, host_authority};
use caremarket_core::register::{Rating, ServiceKind};
use serde::Serialize;
use serde_json::json;
use sqlx::AssertSqlSafe;

#[derive(Debug, Clone, Serialize)]
pub struct Placement {
    pub id: String,
    pub person_ref: String,
    pub service_id: String,
    pub service_name: String,
    pub service_kind: ServiceKind,
    pub provider_name: String,
    pub host_authority: String,
    pub funder: String,
    pub reason: Option<String>,
    pub start_date: String,
    pub end_date: Option<String>,
    pub host_restrictions: Option<String>,
    pub ratings: CurrentRatings,
    pub registration_status: String,
}

#[derive(Debug, Clone)]
pub struct NewPlacement {
    pub person_ref: String,
    pub service_id: String,
    pub host_authority: Option<String>,
    pub funder: String,
    pub reason: Option<String>,
    pub start_date: Date,
    pub host_restrictions: Option<String>,
}

pub use caremarket_core::register::placement::FUNDERS;

impl Store {
    pub async fn create_placement(&self, actor: &Actor, p: &NewPlacement) -> Result<String> {
        let person_ref = check_placement(&p.person_ref, &p.funder, p.start_date, crate::today())?;
        let service =
            self.service(&p.service_id).await.map_err(|_| StoreError::invalid("service_id", "Choose a service from the register"))?;
        let host = host_authority(&service.name, service.in_area, p.host_authority.as_deref(), service.local_authority.as_deref())?;
        let id = new_id();
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO placements (id, person_ref, service_id, host_authority, funder, reason, start_date, host_restrictions, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        )
        .bind(&id)
        .bind(&person_ref)
        .bind(&p.service_id)
        .bind(&host)
        .bind(&p.funder)
        .bind(p.reason.clone().filter(|s| !s.trim().is_empty()))
        .bind(p.start_date.to_string())
        .bind(p.host_restrictions.clone().filter(|s| !s.trim().is_empty()))
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        // The audit names the placement and service, not the person.
        record(
            &mut tx,
            actor,
            "create",
            "placement",
            Some(&id),
            &format!("Recorded out-of-area placement at {}", service.name),
            None,
            Some(&json!({"service_id": p.service_id, "host_authority": host, "funder": p.funder, "start_date": p.start_date.to_string()})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn end_placement(&self, actor: &Actor, id: &str, end: Date) -> Result<()> {
        let p = self.placement(id).await?;
        check_end(StoreError::decode("placements", "start_date", &p.start_date)?, end)?;
        let mut tx = self.begin_write().await?;
        // Ending is made once: a second officer's end, from a page opened before the first, is
        // refused rather than replacing the date recorded (decision 25).
        let done = sqlx::query("UPDATE placements SET end_date = $1, updated_at = $2 WHERE id = $3 AND end_date IS NULL")
            .bind(end.to_string())
            .bind(now_timestamp())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict("Someone else has ended this placement: reload the page".into()));
        }
        record(
            &mut tx,
            actor,
            "update",
            "placement",
            Some(id),
            "Ended out-of-area placement",
            Some(&json!({"end_date": p.end_date})),
            Some(&json!({"end_date": end.to_string()})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn placement(&self, id: &str) -> Result<Placement> {
        sqlx::query_as::<_, PlacementRow>(AssertSqlSafe(format!("{PLACEMENT_SELECT} WHERE pl.id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("placement {id}")))?
            .try_into()
    }

    /// Current placements (or all, with `include_ended`), worst-rated first.
    pub async fn placements(&self, include_ended: bool) -> Result<Vec<Placement>> {
        let sql = format!(
            "{PLACEMENT_SELECT} {} ORDER BY CASE s.rating_overall WHEN $1 THEN 1 WHEN $2 THEN 2 ELSE 3 END, pl.host_authority, s.name",
            if include_ended { "" } else { "WHERE pl.end_date IS NULL" }
        );
        let rows = sqlx::query_as::<_, PlacementRow>(AssertSqlSafe(sql))
            .bind(Rating::Inadequate.as_str())
            .bind(Rating::RequiresImprovement.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(Placement::try_from).collect()
    }
}

const PLACEMENT_SELECT: &str = "SELECT pl.id, pl.person_ref, pl.service_id, s.name AS service_name, s.kind, p.name AS provider_name,
    pl.host_authority, pl.funder, pl.reason, pl.start_date, pl.end_date, pl.host_restrictions, s.registration_status,
    s.rating_overall, s.rating_safe, s.rating_effective, s.rating_caring, s.rating_responsive, s.rating_well_led, s.rating_date, s.last_inspection_date
    FROM placements pl JOIN services s ON s.id = pl.service_id JOIN providers p ON p.id = s.provider_id";

/// A placement as stored, with its service's current ratings ([`PLACEMENT_SELECT`]).
#[derive(sqlx::FromRow)]
struct PlacementRow {
    id: String,
    person_ref: String,
    service_id: String,
    service_name: String,
    kind: String,
    provider_name: String,
    host_authority: String,
    funder: String,
    reason: Option<String>,
    start_date: String,
    end_date: Option<String>,
    host_restrictions: Option<String>,
    registration_status: String,
    rating_overall: Option<String>,
    rating_safe: Option<String>,
    rating_effective: Option<String>,
    rating_caring: Option<String>,
    rating_responsive: Option<String>,
    rating_well_led: Option<String>,
    rating_date: Option<String>,
    last_inspection_date: Option<String>,
}

impl TryFrom<PlacementRow> for Placement {
    type Error = StoreError;
    fn try_from(r: PlacementRow) -> Result<Self> {
        let g = |column: &'static str, v: Option<String>| decode_rating("services", column, v.as_deref());
        Ok(Placement {
            service_kind: ServiceKind::parse(&r.kind).ok_or_else(|| StoreError::Corrupt {
                table: "services",
                column: "kind",
                value: r.kind.clone(),
            })?,
            ratings: CurrentRatings {
                overall: g("rating_overall", r.rating_overall)?,
                safe: g("rating_safe", r.rating_safe)?,
                effective: g("rating_effective", r.rating_effective)?,
                caring: g("rating_caring", r.rating_caring)?,
                responsive: g("rating_responsive", r.rating_responsive)?,
                well_led: g("rating_well_led", r.rating_well_led)?,
                rating_date: r.rating_date,
                last_inspection_date: r.last_inspection_date,
            },
            id: r.id,
            person_ref: r.person_ref,
            service_id: r.service_id,
            service_name: r.service_name,
            provider_name: r.provider_name,
            host_authority: r.host_authority,
            funder: r.funder,
            reason: r.reason,
            start_date: r.start_date,
            end_date: r.end_date,
            host_restrictions: r.host_restrictions,
            registration_status: r.registration_status,
        })
    }
}
