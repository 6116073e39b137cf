//! Out-of-area placements (`000`: people placed outside the council's area, the host authority,
//! the current CQC rating checked monthly). The person is held by a reference only.

use crate::audit::{Actor, record};
use crate::register::CurrentRatings;
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::register::{Rating, ServiceKind};
use serde::Serialize;
use serde_json::json;
use sqlx::{AssertSqlSafe, Row};

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

/// Who pays for a placement (domain C1 "whole market, and who pays").
pub const FUNDERS: [(&str, &str); 5] = [
    ("council", "This council"),
    ("other_council", "Another council"),
    ("nhs", "NHS (CHC or health-funded)"),
    ("direct_payment", "Direct payment"),
    ("self_funder", "Self-funder"),
];

fn valid_person_ref(s: &str) -> bool {
    // A case reference, not a name: letters, digits and - / only, up to 20 characters.
    let s = s.trim();
    !s.is_empty()
        && s.len() <= 20
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '/')
        && s.chars().any(|c| c.is_ascii_digit())
}

impl Store {
    pub async fn create_placement(&self, actor: &Actor, p: &NewPlacement) -> Result<String> {
        if !valid_person_ref(&p.person_ref) {
            return Err(StoreError::invalid(
                "person_ref",
                "Enter the person's case reference (letters, numbers, - or /, up to 20 characters, with at least one number), not their name",
            ));
        }
        if !FUNDERS.iter().any(|(k, _)| *k == p.funder) {
            return Err(StoreError::invalid("funder", "Choose who funds the placement"));
        }
        if p.start_date > crate::today() {
            return Err(StoreError::invalid("start_date", "The start date must be today or in the past"));
        }
        let service =
            self.service(&p.service_id).await.map_err(|_| StoreError::invalid("service_id", "Choose a service from the register"))?;
        if service.in_area {
            return Err(StoreError::invalid(
                "service_id",
                format!("{} is in the council's area: out-of-area placements are for services outside it", service.name),
            ));
        }
        let host = p
            .host_authority
            .clone()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .or(service.local_authority.clone())
            .ok_or_else(|| StoreError::invalid("host_authority", "Enter the host authority"))?;
        let id = new_id();
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO placements (id, person_ref, service_id, host_authority, funder, reason, start_date, host_restrictions, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        )
        .bind(&id)
        .bind(p.person_ref.trim().to_uppercase())
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
        if end.to_string() < p.start_date {
            return Err(StoreError::invalid("end_date", "The end date must be on or after the start date"));
        }
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE placements SET end_date = $1, updated_at = $2 WHERE id = $3")
            .bind(end.to_string())
            .bind(now_timestamp())
            .bind(id)
            .execute(&mut *tx)
            .await?;
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
        let sql = format!("{PLACEMENT_SELECT} WHERE pl.id = $1");
        let row = sqlx::query(AssertSqlSafe(sql.clone()))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("placement {id}")))?;
        placement_from_row(&row)
    }

    /// Current placements (or all, with `include_ended`), worst-rated first.
    pub async fn placements(&self, include_ended: bool) -> Result<Vec<Placement>> {
        let sql = format!(
            "{PLACEMENT_SELECT} {} ORDER BY CASE s.rating_overall WHEN 'inadequate' THEN 1 WHEN 'requires_improvement' THEN 2 ELSE 3 END, pl.host_authority, s.name",
            if include_ended { "" } else { "WHERE pl.end_date IS NULL" }
        );
        let rows = sqlx::query(AssertSqlSafe(sql.clone())).fetch_all(&self.pool).await?;
        rows.iter().map(placement_from_row).collect()
    }
}

const PLACEMENT_SELECT: &str = "SELECT pl.id, pl.person_ref, pl.service_id, s.name AS service_name, s.kind, p.name AS provider_name,
    pl.host_authority, pl.funder, pl.reason, pl.start_date, pl.end_date, pl.host_restrictions, s.registration_status,
    s.rating_overall, s.rating_safe, s.rating_effective, s.rating_caring, s.rating_responsive, s.rating_well_led, s.rating_date, s.last_inspection_date
    FROM placements pl JOIN services s ON s.id = pl.service_id JOIN providers p ON p.id = s.provider_id";

fn placement_from_row(r: &sqlx::any::AnyRow) -> Result<Placement> {
    let g = |c: &str| -> Result<Option<Rating>> { Ok(r.try_get::<Option<String>, _>(c)?.as_deref().and_then(Rating::parse)) };
    Ok(Placement {
        id: r.try_get("id")?,
        person_ref: r.try_get("person_ref")?,
        service_id: r.try_get("service_id")?,
        service_name: r.try_get("service_name")?,
        service_kind: ServiceKind::parse(&r.try_get::<String, _>("kind")?).unwrap_or(ServiceKind::Other),
        provider_name: r.try_get("provider_name")?,
        host_authority: r.try_get("host_authority")?,
        funder: r.try_get("funder")?,
        reason: r.try_get("reason")?,
        start_date: r.try_get("start_date")?,
        end_date: r.try_get("end_date")?,
        host_restrictions: r.try_get("host_restrictions")?,
        registration_status: r.try_get("registration_status")?,
        ratings: CurrentRatings {
            overall: g("rating_overall")?,
            safe: g("rating_safe")?,
            effective: g("rating_effective")?,
            caring: g("rating_caring")?,
            responsive: g("rating_responsive")?,
            well_led: g("rating_well_led")?,
            rating_date: r.try_get("rating_date")?,
            last_inspection_date: r.try_get("last_inspection_date")?,
        },
    })
}
