//! Fees (issue 11 items 1 and 2; domain C7): rate versions with their history, uplifts, each
//! contract's payment basis and providers' fee increase requests. The rules are
//! `caremarket_core::fees`'s: this module loads the facts (every version of every rate, the
//! packages commissioned now), asks core, and saves what core decided with its audit row in the
//! same transaction. A rate version is never updated except for the second approver's decision
//! on one awaiting approval; a change is always a new version.

pub mod budgets;
mod care_home_fees;
mod contracts;
pub mod cost_of_care;
pub mod supported_living;
mod uplifts;

pub use care_home_fees::{CareHome, CareHomeFeeRecord, CareHomePlacementRecord, FncRecord};
pub use contracts::{FeeRequestRecord, PaymentBasisRecord};
pub use uplifts::UpliftRecord;

use crate::audit::record;
use crate::direct_payments::date;
use crate::{Actor, Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::fees::rates::{NewRate, check_approver};
use caremarket_core::fees::uplift::CommissionedPackage;
use caremarket_core::fees::{RateDraft, RateLevel, RateLine, RateStatus, RateVersion};
use caremarket_core::register::ServiceKind;
use serde::Serialize;
use serde_json::json;
use sqlx::AnyConnection;

/// A rate version with who set it and when, and the uplift that wrote it.
#[derive(Debug, Clone, Serialize)]
pub struct RateRecord {
    pub version: RateVersion,
    pub created_by_label: String,
    pub created_at: String,
    pub decided_by_label: Option<String>,
    pub decided_at: Option<String>,
    pub uplift_name: Option<String>,
}

#[derive(sqlx::FromRow)]
struct RateRow {
    id: String,
    level: String,
    kind: String,
    category: String,
    lot_id: Option<String>,
    provider_id: Option<String>,
    amount_pence: i64,
    effective_from: String,
    status: String,
    reason: Option<String>,
    uplift_id: Option<String>,
    created_by: Option<String>,
    created_by_label: String,
    created_at: String,
    decided_by_label: Option<String>,
    decided_at: Option<String>,
    lot_name: Option<String>,
    provider_name: Option<String>,
    uplift_name: Option<String>,
}

const RATE_SELECT: &str = "SELECT r.id, r.level, r.kind, r.category, r.lot_id, r.provider_id, r.amount_pence, r.effective_from, r.status,
        r.reason, r.uplift_id, r.created_by, COALESCE(cu.display_name, r.created_by_label) AS created_by_label, r.created_at,
        COALESCE(du.display_name, r.decided_by_label) AS decided_by_label, r.decided_at,
        l.name AS lot_name, p.name AS provider_name, u.name AS uplift_name
     FROM fee_rates r
     LEFT JOIN framework_lots l ON l.id = r.lot_id
     LEFT JOIN providers p ON p.id = r.provider_id
     LEFT JOIN fee_uplifts u ON u.id = r.uplift_id
     LEFT JOIN users cu ON cu.email = r.created_by_label
     LEFT JOIN users du ON du.email = r.decided_by_label";

impl RateRow {
    fn decode(self) -> Result<RateRecord> {
        let t = "fee_rates";
        Ok(RateRecord {
            version: RateVersion {
                line: RateLine {
                    level: StoreError::decode(t, "level", &self.level)?,
                    kind: ServiceKind::parse(&self.kind).ok_or_else(|| crate::register::corrupt(t, "kind", &self.kind))?,
                    category: StoreError::decode(t, "category", &self.category)?,
                    lot_id: self.lot_id,
                    provider_id: self.provider_id,
                },
                id: self.id,
                amount_pence: self.amount_pence,
                effective_from: date(t, "effective_from", &self.effective_from)?,
                status: StoreError::decode(t, "status", &self.status)?,
                reason: self.reason,
                uplift_id: self.uplift_id,
                created_by: self.created_by,
                lot_name: self.lot_name,
                provider_name: self.provider_name,
            },
            created_by_label: self.created_by_label,
            created_at: self.created_at,
            decided_by_label: self.decided_by_label,
            decided_at: self.decided_at,
            uplift_name: self.uplift_name,
        })
    }
}

/// Every version of every rate, by line then date.
pub(crate) async fn load_rates(conn: &mut AnyConnection) -> Result<Vec<RateRecord>> {
    let rows: Vec<RateRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{RATE_SELECT} ORDER BY r.kind, r.level, r.effective_from, r.created_at")))
            .fetch_all(&mut *conn)
            .await?;
    rows.into_iter().map(RateRow::decode).collect()
}

pub(crate) fn versions(records: &[RateRecord]) -> Vec<RateVersion> {
    records.iter().map(|r| r.version.clone()).collect()
}

/// The home care packages started with a provider: the commissioned hours an uplift's cost uses.
pub(crate) async fn load_packages(conn: &mut AnyConnection) -> Result<Vec<CommissionedPackage>> {
    let rows: Vec<(String, String, Option<String>, i64)> = sqlx::query_as(
        "SELECT s.provider_id, s.kind, s.lot_id, pr.minutes_per_week FROM package_requests pr JOIN services s ON s.id = pr.service_id
         WHERE pr.status = $1 ORDER BY pr.id",
    )
    .bind(caremarket_core::capacity::packages::PackageStatus::Started.as_str())
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(provider_id, kind, lot_id, minutes_per_week)| {
            Ok(CommissionedPackage {
                kind: ServiceKind::parse(&kind).ok_or_else(|| crate::register::corrupt("services", "kind", &kind))?,
                provider_id,
                lot_id,
                minutes_per_week,
            })
        })
        .collect()
}

fn rate_json(r: &NewRate) -> serde_json::Value {
    json!({
        "level": r.line.level.as_str(), "kind": r.line.kind.as_str(), "category": r.line.category.as_str(),
        "lot_id": r.line.lot_id, "provider_id": r.line.provider_id, "amount_pence": r.amount_pence,
        "effective_from": r.effective_from.to_string(), "status": r.status.as_str(), "reason": r.reason,
    })
}

/// Insert a checked rate version (with its audit row unless an uplift audits the batch).
pub(crate) async fn insert_rate(conn: &mut AnyConnection, actor: &Actor, r: &NewRate, uplift_id: Option<&str>) -> Result<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO fee_rates (id, level, kind, category, lot_id, provider_id, amount_pence, effective_from, status, reason, uplift_id,
            created_by, created_by_label, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&id)
    .bind(r.line.level.as_str())
    .bind(r.line.kind.as_str())
    .bind(r.line.category.as_str())
    .bind(r.line.lot_id.clone())
    .bind(r.line.provider_id.clone())
    .bind(r.amount_pence)
    .bind(r.effective_from.to_string())
    .bind(r.status.as_str())
    .bind(r.reason.clone())
    .bind(uplift_id.map(str::to_string))
    .bind(actor.user_id.clone())
    .bind(&actor.label)
    .bind(now_timestamp())
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// Check that a draft's lot and provider exist and fit its kind: the lot's framework covers the
/// kind (field `lot_id`), the provider is in the register (field `provider_id`).
async fn check_references(conn: &mut AnyConnection, d: &RateDraft) -> Result<()> {
    let lot = d.lot_id.as_deref().filter(|s| !s.is_empty() && d.level != Some(RateLevel::Council));
    if let Some(lot) = lot {
        let fw: Option<(String, String)> =
            sqlx::query_as("SELECT f.id, f.name FROM framework_lots l JOIN frameworks f ON f.id = l.framework_id WHERE l.id = $1")
                .bind(lot)
                .fetch_optional(&mut *conn)
                .await?;
        let Some((fw_id, fw_name)) = fw else {
            return Err(StoreError::invalid("lot_id", "Choose a lot of one of the council's frameworks"));
        };
        if let Some(kind) = d.kind {
            let mut kinds: Vec<String> =
                sqlx::query_scalar("SELECT kind FROM framework_kinds WHERE framework_id = $1").bind(&fw_id).fetch_all(&mut *conn).await?;
            if kinds.is_empty() {
                kinds = sqlx::query_scalar("SELECT kind FROM frameworks WHERE id = $1 AND kind IS NOT NULL")
                    .bind(&fw_id)
                    .fetch_all(&mut *conn)
                    .await?;
            }
            if !kinds.iter().any(|k| k == kind.as_str()) {
                return Err(StoreError::invalid(
                    "lot_id",
                    format!("{fw_name} does not cover {}: choose a lot of a framework that does", kind.label().to_lowercase()),
                ));
            }
        }
    }
    if let Some(p) = d.provider_id.as_deref().filter(|s| !s.is_empty() && d.level == Some(RateLevel::Provider)) {
        let found: Option<String> = sqlx::query_scalar("SELECT id FROM providers WHERE id = $1").bind(p).fetch_optional(&mut *conn).await?;
        if found.is_none() {
            return Err(StoreError::invalid("provider_id", "Choose a provider from the register"));
        }
    }
    Ok(())
}

impl Store {
    /// Every version of every rate (all statuses), by kind, level and date.
    pub async fn fee_rates(&self) -> Result<Vec<RateRecord>> {
        let mut conn = self.pool.acquire().await?;
        load_rates(&mut conn).await
    }

    pub async fn fee_rate(&self, id: &str) -> Result<RateRecord> {
        let row: Option<RateRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{RATE_SELECT} WHERE r.id = $1"))).bind(id).fetch_optional(&self.pool).await?;
        row.ok_or_else(|| StoreError::NotFound(format!("rate {id}")))?.decode()
    }

    /// Add a rate version. Refused with field errors when core refuses it (see
    /// `RateDraft::check`) or its lot or provider does not fit. Returns the id and whether it
    /// is in force or awaits a second person's approval.
    pub async fn add_fee_rate(&self, actor: &Actor, draft: &RateDraft) -> Result<(String, RateStatus)> {
        let mut tx = self.begin_write().await?;
        let existing = versions(&load_rates(&mut tx).await?);
        let r = match (draft.check(&existing), check_references(&mut tx, draft).await) {
            (Ok(r), Ok(())) => r,
            (Err(mut all), Err(StoreError::Invalid(f))) => {
                all.add(f.field, f.message);
                return Err(all.into());
            }
            (Err(all), _) => return Err(all.into()),
            (Ok(_), Err(other)) => return Err(other),
        };
        let id = insert_rate(&mut tx, actor, &r, None).await?;
        let summary = format!(
            "{} {} {} from {}{}",
            if r.status == RateStatus::Approved { "Set" } else { "Proposed (awaiting approval)" },
            r.line.kind.label(),
            r.line.category.label().to_lowercase(),
            r.effective_from,
            format_args!(": {}", caremarket_core::direct_payments::money::money(r.amount_pence)),
        );
        record(&mut tx, actor, "create", "fee_rate", Some(&id), &summary, None, Some(&rate_json(&r))).await?;
        tx.commit().await?;
        Ok((id, r.status))
    }

    /// The second approver's decision on a rate awaiting approval: approve puts it in force,
    /// refuse keeps it in the history, never paid. Refused for the person who proposed it.
    pub async fn decide_fee_rate(&self, actor: &Actor, id: &str, approve: bool) -> Result<()> {
        let before = self.fee_rate(id).await?;
        check_approver(&before.version, actor.user_id.as_deref().unwrap_or(""))?;
        let status = if approve { RateStatus::Approved } else { RateStatus::Refused };
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE fee_rates SET status = $1, decided_by_label = $2, decided_at = $3 WHERE id = $4 AND status = $5")
            .bind(status.as_str())
            .bind(&actor.label)
            .bind(now_timestamp())
            .bind(id)
            .bind(RateStatus::AwaitingApproval.as_str())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict("Someone else has decided this rate: reload the page".into()));
        }
        record(
            &mut tx,
            actor,
            "update",
            "fee_rate",
            Some(id),
            &format!("{} {} ({})", if approve { "Approved" } else { "Refused" }, before.version.line_text(), before.version.amount_text()),
            Some(&json!({"status": before.version.status.as_str()})),
            Some(&json!({"status": status.as_str()})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The home care packages commissioned now (started, with a provider).
    pub async fn commissioned_packages(&self) -> Result<Vec<CommissionedPackage>> {
        let mut conn = self.pool.acquire().await?;
        load_packages(&mut conn).await
    }

    /// What the council paid `provider_id` for `kind` on `date` (core's `paid_on` over the
    /// stored history).
    pub async fn fee_paid_on(&self, provider_id: &str, kind: ServiceKind, on: Date) -> Result<Vec<caremarket_core::fees::PaidRate>> {
        let all = versions(&self.fee_rates().await?);
        Ok(caremarket_core::fees::rates::paid_on(&all, provider_id, kind, on))
    }

    /// Whether any rate refers to a lot (such a lot cannot be removed from its framework).
    pub async fn lot_has_fee_rates(&self, lot_id: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM fee_rates WHERE lot_id = $1").bind(lot_id).fetch_one(&self.pool).await?;
        Ok(n > 0)
    }
}

/// A list as the store writes it: values joined by commas.
pub(crate) fn join<T>(items: &[T], f: impl Fn(&T) -> String) -> String {
    items.iter().map(f).collect::<Vec<_>>().join(",")
}
