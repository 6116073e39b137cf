//! Care home fees (issue 11 item 3): weekly fee versions per home and bed type, FNC rate
//! versions, and placements by case reference. The rules are core's
//! (`caremarket_core::fees::care_home_fees`): this module loads the facts (the home from the
//! register, every version kept), asks core, and saves what core decided with its audit row in
//! the same transaction. Fees and FNC rates are only ever inserted; a placement changes only
//! when it ends. Audit rows name the home and bed type, never the person's case reference.

use crate::audit::record;
use crate::direct_payments::date;
use crate::{Actor, Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::direct_payments::money::money;
use caremarket_core::fees::care_home_fees::{
    CareHomeFee, CareHomeFeeDraft, CareHomePlacement, FncDraft, FncRate, HomeFacts, PlacementDraft,
};
use caremarket_core::fees::rates::long_date;
use caremarket_core::register::ServiceKind;
use serde::Serialize;
use serde_json::json;
use sqlx::AnyConnection;

/// A care home of the register, as the fee pages list it.
#[derive(Debug, Clone, Serialize)]
pub struct CareHome {
    pub id: String,
    pub name: String,
    pub provider_name: String,
    pub kind: ServiceKind,
    pub town: Option<String>,
}

/// A fee version with its home and who set it.
#[derive(Debug, Clone, Serialize)]
pub struct CareHomeFeeRecord {
    pub fee: CareHomeFee,
    pub home_name: String,
    pub created_by_label: String,
    pub created_at: String,
}

/// An FNC rate version with where it came from and who recorded it.
#[derive(Debug, Clone, Serialize)]
pub struct FncRecord {
    pub rate: FncRate,
    pub source: Option<String>,
    pub created_by_label: String,
    pub created_at: String,
}

/// A placement with its home's name.
#[derive(Debug, Clone, Serialize)]
pub struct CareHomePlacementRecord {
    pub placement: CareHomePlacement,
    pub home_name: String,
    pub provider_name: String,
    pub created_by_label: String,
    pub created_at: String,
}

#[derive(sqlx::FromRow)]
struct FeeRow {
    id: String,
    service_id: String,
    bed_type: String,
    weekly_pence: i64,
    effective_from: String,
    home_name: String,
    created_by_label: String,
    created_at: String,
}

#[derive(sqlx::FromRow)]
struct PlacementRow {
    id: String,
    case_ref: String,
    service_id: String,
    bed_type: String,
    start_date: String,
    end_date: Option<String>,
    funding: String,
    contribution_pence: i64,
    top_up_pence: i64,
    top_up_payer: Option<String>,
    home_name: String,
    provider_name: String,
    created_by_label: String,
    created_at: String,
}

const T_FEES: &str = "care_home_fees";
const T_PLACEMENTS: &str = "care_home_placements";

const FEE_SELECT: &str = "SELECT f.id, f.service_id, f.bed_type, f.weekly_pence, f.effective_from, s.name AS home_name,
        COALESCE(u.display_name, f.created_by_label) AS created_by_label, f.created_at
     FROM care_home_fees f JOIN services s ON s.id = f.service_id LEFT JOIN users u ON u.email = f.created_by_label";

const PLACEMENT_SELECT: &str = "SELECT pl.id, pl.case_ref, pl.service_id, pl.bed_type, pl.start_date, pl.end_date, pl.funding,
        pl.contribution_pence, pl.top_up_pence, pl.top_up_payer, s.name AS home_name, p.name AS provider_name,
        COALESCE(u.display_name, pl.created_by_label) AS created_by_label, pl.created_at
     FROM care_home_placements pl JOIN services s ON s.id = pl.service_id JOIN providers p ON p.id = s.provider_id
     LEFT JOIN users u ON u.email = pl.created_by_label";

impl FeeRow {
    fn decode(self) -> Result<CareHomeFeeRecord> {
        Ok(CareHomeFeeRecord {
            fee: CareHomeFee {
                bed_type: StoreError::decode(T_FEES, "bed_type", &self.bed_type)?,
                effective_from: date(T_FEES, "effective_from", &self.effective_from)?,
                id: self.id,
                service_id: self.service_id,
                weekly_pence: self.weekly_pence,
            },
            home_name: self.home_name,
            created_by_label: self.created_by_label,
            created_at: self.created_at,
        })
    }
}

impl PlacementRow {
    fn decode(self) -> Result<CareHomePlacementRecord> {
        let t = T_PLACEMENTS;
        Ok(CareHomePlacementRecord {
            placement: CareHomePlacement {
                bed_type: StoreError::decode(t, "bed_type", &self.bed_type)?,
                start_date: date(t, "start_date", &self.start_date)?,
                end_date: self.end_date.as_deref().map(|d| date(t, "end_date", d)).transpose()?,
                funding: StoreError::decode(t, "funding", &self.funding)?,
                top_up_payer: self.top_up_payer.as_deref().map(|p| StoreError::decode(t, "top_up_payer", p)).transpose()?,
                id: self.id,
                case_ref: self.case_ref,
                service_id: self.service_id,
                contribution_pence: self.contribution_pence,
                top_up_pence: self.top_up_pence,
            },
            home_name: self.home_name,
            provider_name: self.provider_name,
            created_by_label: self.created_by_label,
            created_at: self.created_at,
        })
    }
}

async fn load_fees(conn: &mut AnyConnection) -> Result<Vec<CareHomeFeeRecord>> {
    let rows: Vec<FeeRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{FEE_SELECT} ORDER BY s.name, f.service_id, f.bed_type, f.effective_from")))
            .fetch_all(&mut *conn)
            .await?;
    rows.into_iter().map(FeeRow::decode).collect()
}

async fn load_fnc(conn: &mut AnyConnection) -> Result<Vec<FncRecord>> {
    let rows: Vec<(String, i64, String, Option<String>, String, String)> = sqlx::query_as(
        "SELECT r.id, r.weekly_pence, r.effective_from, r.source, COALESCE(u.display_name, r.created_by_label), r.created_at
         FROM fnc_rates r LEFT JOIN users u ON u.email = r.created_by_label ORDER BY r.effective_from",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(id, weekly_pence, from, source, created_by_label, created_at)| {
            Ok(FncRecord {
                rate: FncRate { id, weekly_pence, effective_from: date("fnc_rates", "effective_from", &from)? },
                source,
                created_by_label,
                created_at,
            })
        })
        .collect()
}

/// The home a draft names, as core checks it: `None` when there is no such service.
async fn home_facts(conn: &mut AnyConnection, service_id: Option<&str>) -> Result<Option<HomeFacts>> {
    let Some(id) = service_id.filter(|s| !s.trim().is_empty()) else {
        return Ok(None);
    };
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT name, kind FROM services WHERE id = $1").bind(id).fetch_optional(&mut *conn).await?;
    row.map(|(name, kind)| {
        Ok(HomeFacts { kind: ServiceKind::parse(&kind).ok_or_else(|| crate::register::corrupt("services", "kind", &kind))?, name })
    })
    .transpose()
}

impl Store {
    /// The care homes of the register (residential and nursing, in the area or out of it, not
    /// deregistered), by name.
    pub async fn care_homes(&self) -> Result<Vec<CareHome>> {
        let rows: Vec<(String, String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT s.id, s.name, p.name, s.kind, s.town FROM services s JOIN providers p ON p.id = s.provider_id
             WHERE s.kind IN ($1, $2) AND s.registration_status <> $3 ORDER BY s.name, s.id",
        )
        .bind(ServiceKind::CareHomeResidential.as_str())
        .bind(ServiceKind::CareHomeNursing.as_str())
        .bind("deregistered")
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, name, provider_name, kind, town)| {
                let kind = ServiceKind::parse(&kind).ok_or_else(|| crate::register::corrupt("services", "kind", &kind))?;
                Ok(CareHome { id, name, provider_name, kind, town })
            })
            .collect()
    }

    /// Every version of every care home fee, by home, bed type and date.
    pub async fn care_home_fees(&self) -> Result<Vec<CareHomeFeeRecord>> {
        let mut conn = self.pool.acquire().await?;
        load_fees(&mut conn).await
    }

    /// Add a fee version. Refused, with each problem on its field, when core refuses it (see
    /// `CareHomeFeeDraft::check`): not a care home, a nursing bed at a home without nursing, a
    /// fee not more than £0, a second version from the same date.
    pub async fn add_care_home_fee(&self, actor: &Actor, draft: &CareHomeFeeDraft) -> Result<String> {
        let mut tx = self.begin_write().await?;
        let home = home_facts(&mut tx, draft.service_id.as_deref()).await?;
        let existing: Vec<CareHomeFee> = load_fees(&mut tx).await?.into_iter().map(|r| r.fee).collect();
        let f = draft.check(home.as_ref(), &existing)?;
        let id = new_id();
        sqlx::query(
            "INSERT INTO care_home_fees (id, service_id, bed_type, weekly_pence, effective_from, created_by, created_by_label, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(&f.service_id)
        .bind(f.bed_type.as_str())
        .bind(f.weekly_pence)
        .bind(f.effective_from.to_string())
        .bind(actor.user_id.clone())
        .bind(&actor.label)
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        let name = home.map(|h| h.name).unwrap_or_default();
        record(
            &mut tx,
            actor,
            "create",
            "care_home_fee",
            Some(&id),
            &format!(
                "Set {name}'s {} fee from {}: {} a week",
                f.bed_type.label().to_lowercase(),
                long_date(f.effective_from),
                money(f.weekly_pence)
            ),
            None,
            Some(&json!({"service_id": f.service_id, "bed_type": f.bed_type.as_str(), "weekly_pence": f.weekly_pence,
                "effective_from": f.effective_from.to_string()})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every FNC rate version, oldest first.
    pub async fn fnc_rates(&self) -> Result<Vec<FncRecord>> {
        let mut conn = self.pool.acquire().await?;
        load_fnc(&mut conn).await
    }

    /// Add an FNC rate version, with where the figure comes from (a published source).
    pub async fn add_fnc_rate(&self, actor: &Actor, draft: &FncDraft, source: &str) -> Result<String> {
        let source = caremarket_core::text::tidy(source);
        if source.chars().count() > 500 {
            return Err(StoreError::invalid("source", "The source must be 500 characters or fewer"));
        }
        let mut tx = self.begin_write().await?;
        let existing: Vec<FncRate> = load_fnc(&mut tx).await?.into_iter().map(|r| r.rate).collect();
        let r = draft.check(&existing)?;
        let id = new_id();
        sqlx::query("INSERT INTO fnc_rates (id, weekly_pence, effective_from, source, created_by_label, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&id)
            .bind(r.weekly_pence)
            .bind(r.effective_from.to_string())
            .bind(Some(source.clone()).filter(|s| !s.is_empty()))
            .bind(&actor.label)
            .bind(now_timestamp())
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            "create",
            "fnc_rate",
            Some(&id),
            &format!("Set the FNC rate from {}: {} a week", long_date(r.effective_from), money(r.weekly_pence)),
            None,
            Some(&json!({"weekly_pence": r.weekly_pence, "effective_from": r.effective_from.to_string(), "source": source})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every care home placement (current and ended), by home then start date.
    pub async fn care_home_placements(&self) -> Result<Vec<CareHomePlacementRecord>> {
        let rows: Vec<PlacementRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{PLACEMENT_SELECT} ORDER BY s.name, pl.start_date, pl.case_ref, pl.id")))
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(PlacementRow::decode).collect()
    }

    pub async fn care_home_placement(&self, id: &str) -> Result<CareHomePlacementRecord> {
        let row: Option<PlacementRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{PLACEMENT_SELECT} WHERE pl.id = $1"))).bind(id).fetch_optional(&self.pool).await?;
        row.ok_or_else(|| StoreError::NotFound(format!("care home placement {id}")))?.decode()
    }

    /// Record a placement (see `PlacementDraft::check`). The audit names the home and bed
    /// type, not the person.
    pub async fn record_care_home_placement(&self, actor: &Actor, draft: &PlacementDraft) -> Result<String> {
        let mut tx = self.begin_write().await?;
        let home = home_facts(&mut tx, draft.service_id.as_deref()).await?;
        let p = draft.check(home.as_ref())?;
        let id = new_id();
        let now = now_timestamp();
        sqlx::query(
            "INSERT INTO care_home_placements (id, case_ref, service_id, bed_type, start_date, end_date, funding, contribution_pence,
                top_up_pence, top_up_payer, created_by_label, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
        )
        .bind(&id)
        .bind(&p.case_ref)
        .bind(&p.service_id)
        .bind(p.bed_type.as_str())
        .bind(p.start_date.to_string())
        .bind(p.end_date.map(|d| d.to_string()))
        .bind(p.funding.as_str())
        .bind(p.contribution_pence)
        .bind(p.top_up_pence)
        .bind(p.top_up_payer.map(|t| t.as_str()))
        .bind(&actor.label)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        let name = home.map(|h| h.name).unwrap_or_default();
        record(
            &mut tx,
            actor,
            "create",
            "care_home_placement",
            Some(&id),
            &format!("Recorded a {} placement at {name}", p.bed_type.label().to_lowercase()),
            None,
            Some(&json!({"service_id": p.service_id, "bed_type": p.bed_type.as_str(), "start_date": p.start_date.to_string(),
                "end_date": p.end_date.map(|d| d.to_string()), "funding": p.funding.as_str(),
                "contribution_pence": p.contribution_pence, "top_up_pence": p.top_up_pence,
                "top_up_payer": p.top_up_payer.map(|t| t.as_str())})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// End a placement on `end` (its last day): on or after its start, and only once.
    pub async fn end_care_home_placement(&self, actor: &Actor, id: &str, end: Date) -> Result<()> {
        let before = self.care_home_placement(id).await?;
        let p = &before.placement;
        if let Some(e) = p.end_date {
            return Err(StoreError::invalid("end_date", format!("This placement already ended on {}", long_date(e))));
        }
        if end < p.start_date {
            return Err(StoreError::invalid(
                "end_date",
                format!("The end date must be on or after the start date, {}", long_date(p.start_date)),
            ));
        }
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE care_home_placements SET end_date = $1, updated_at = $2 WHERE id = $3 AND end_date IS NULL")
            .bind(end.to_string())
            .bind(now_timestamp())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict("Someone else has ended this placement: reload the page".into()));
        }
        record(
            &mut tx,
            actor,
            "update",
            "care_home_placement",
            Some(id),
            &format!("Ended a {} placement at {}", p.bed_type.label().to_lowercase(), before.home_name),
            Some(&json!({"end_date": null})),
            Some(&json!({"end_date": end.to_string()})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
