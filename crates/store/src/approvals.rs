//! Money limits (issue 16 item 16; core's `approvals` has the rules): officers' approval limits
//! and the council's defaults, second approval of reclaims and packages, and the blocked
//! merchant categories that flag card spend.

use crate::audit::{Actor, record};
use crate::versions::{Versioned, check_current, saved};
use crate::{Result, Store, StoreError, now_timestamp};
use caremarket_core::Date;
use caremarket_core::approvals::{
    DEFAULT_PACKAGE_WEEKLY_LIMIT_PENCE, DEFAULT_RECLAIM_LIMIT_PENCE, LimitKind, MAX_LIMIT_PENCE, check_second_approver,
    needs_second_approver, package_weekly_cost,
};
use caremarket_core::direct_payments::money;
use caremarket_core::fees::RateCategory;
use caremarket_core::register::ServiceKind;
use caremarket_core::versions::Version;
use serde::Serialize;
use serde_json::json;

const RECLAIM_DEFAULT: &str = "limits.reclaim_pence";
const PACKAGE_DEFAULT: &str = "limits.package_weekly_pence";
/// The settings holding the council's default limits (reclaim, package a week): their audit
/// entries say who changed the defaults last.
pub const DEFAULT_LIMIT_SETTINGS: [&str; 2] = [RECLAIM_DEFAULT, PACKAGE_DEFAULT];

/// An officer's limits as they apply: their own where set, else the council's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limits {
    pub reclaim_pence: i64,
    pub package_weekly_pence: i64,
    /// Whether each is the officer's own (false: the council's default).
    pub own_reclaim: bool,
    pub own_package: bool,
}

impl Limits {
    pub fn of(&self, kind: LimitKind) -> i64 {
        match kind {
            LimitKind::Reclaim => self.reclaim_pence,
            LimitKind::PackageWeekly => self.package_weekly_pence,
        }
    }
}

/// An officer who may approve reclaims or packages, with their limits.
#[derive(Debug, Clone, Serialize)]
pub struct OfficerLimits {
    pub user_id: String,
    pub name: String,
    pub role: String,
    pub limits: Limits,
}

/// A blocked merchant category.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct BlockedCategory {
    pub code: String,
    pub label: String,
    pub added_by_label: String,
    pub added_at: String,
}

/// A line of card spend in a blocked category.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct FlaggedSpend {
    pub id: String,
    pub dp_id: String,
    pub person_ref: String,
    pub spend_date: String,
    pub amount_pence: i64,
    pub category: String,
    pub merchant_category: String,
    pub merchant_label: String,
    pub reviewed_by_label: Option<String>,
    pub reviewed_at: Option<String>,
    pub review_note: Option<String>,
}

/// A reclaim waiting for a second approver.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AwaitingReclaim {
    pub id: String,
    pub dp_id: String,
    pub person_ref: String,
    pub completed_on: String,
    pub requested_pence: i64,
    pub recorded_by: Option<String>,
    pub officer_label: String,
}

#[derive(sqlx::FromRow)]
struct LimitRow {
    reclaim_pence: Option<i64>,
    package_weekly_pence: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct OfficerRow {
    id: String,
    display_name: String,
    role: String,
    reclaim_pence: Option<i64>,
    package_weekly_pence: Option<i64>,
}

/// Roles that put reclaims or packages forward or approve them.
const APPROVING_ROLES: [&str; 4] = ["admin", "commissioner", "brokerage_officer", "direct_payments_officer"];

impl Store {
    async fn limit_setting(&self, key: &'static str, default: i64) -> Result<i64> {
        match self.setting(key).await? {
            Some(v) => StoreError::decode("settings", key, &v),
            None => Ok(default),
        }
    }

    /// The council's default limits: (reclaim, package a week), in pence.
    pub async fn default_limits(&self) -> Result<(i64, i64)> {
        Ok((
            self.limit_setting(RECLAIM_DEFAULT, DEFAULT_RECLAIM_LIMIT_PENCE).await?,
            self.limit_setting(PACKAGE_DEFAULT, DEFAULT_PACKAGE_WEEKLY_LIMIT_PENCE).await?,
        ))
    }

    /// Set the council's default limits, both in one transaction, each audited as a setting.
    /// From the form (`Some`, the version of each setting it was opened at, in the order of
    /// [`DEFAULT_LIMIT_SETTINGS`]): either changed since, it is refused with `Stale` and neither is
    /// written, as on every page that saves several settings. `None`: on someone's behalf (the demo).
    pub async fn set_default_limits(
        &self,
        actor: &Actor,
        reclaim_pence: i64,
        package_weekly_pence: i64,
        expected: Option<[Version; 2]>,
    ) -> Result<()> {
        let values = [(RECLAIM_DEFAULT, reclaim_pence), (PACKAGE_DEFAULT, package_weekly_pence)];
        for (key, v) in values {
            if !(0..=MAX_LIMIT_PENCE).contains(&v) {
                return Err(StoreError::invalid(key, "A limit must be between £0 and £10,000,000"));
            }
        }
        match expected {
            Some(at) => {
                let saves: Vec<crate::SettingSave> =
                    values.iter().zip(at).map(|((key, v), expected)| crate::SettingSave { key, value: v.to_string(), expected }).collect();
                self.set_settings_at(actor, &saves).await
            }
            None => {
                let (r, p) = (reclaim_pence.to_string(), package_weekly_pence.to_string());
                self.save_settings_audited(actor, &[(RECLAIM_DEFAULT, &r, None), (PACKAGE_DEFAULT, &p, None)]).await
            }
        }
    }

    /// The version of an officer's own limits a form carries (decision 25): 1 until they are
    /// first set, raised by one on every save.
    pub async fn approval_limits_version(&self, user_id: &str) -> Result<i64> {
        let v: Option<i64> =
            sqlx::query_scalar("SELECT version FROM approval_limits WHERE user_id = $1").bind(user_id).fetch_optional(&self.pool).await?;
        Ok(v.unwrap_or(1))
    }

    /// The limits that apply to a user (the defaults for a user without their own, or for the
    /// system).
    pub async fn approval_limits(&self, user_id: Option<&str>) -> Result<Limits> {
        let (dr, dp) = self.default_limits().await?;
        let own: Option<LimitRow> = match user_id {
            Some(u) => {
                sqlx::query_as("SELECT reclaim_pence, package_weekly_pence FROM approval_limits WHERE user_id = $1")
                    .bind(u)
                    .fetch_optional(&self.pool)
                    .await?
            }
            None => None,
        };
        let (r, p) = own.map(|o| (o.reclaim_pence, o.package_weekly_pence)).unwrap_or((None, None));
        Ok(Limits {
            reclaim_pence: r.unwrap_or(dr),
            package_weekly_pence: p.unwrap_or(dp),
            own_reclaim: r.is_some(),
            own_package: p.is_some(),
        })
    }

    /// Set (or, with both `None`, clear) a user's own limits, audited. From the form opened at
    /// `expected` (see [`Store::approval_limits_version`]): changed since, it is refused with
    /// `Stale` and nothing is written. `None`: on someone's behalf (the demo).
    pub async fn set_approval_limits(
        &self,
        actor: &Actor,
        user_id: &str,
        reclaim: Option<i64>,
        package_weekly: Option<i64>,
        expected: Option<Version>,
    ) -> Result<()> {
        for v in [reclaim, package_weekly].into_iter().flatten() {
            if !(0..=MAX_LIMIT_PENCE).contains(&v) {
                return Err(StoreError::invalid("limit", "A limit must be between £0 and £10,000,000"));
            }
        }
        let name: Option<String> =
            sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1").bind(user_id).fetch_optional(&self.pool).await?;
        let Some(name) = name else {
            return Err(StoreError::NotFound(format!("user {user_id}")));
        };
        if let Some(expected) = expected {
            check_current(self.approval_limits_version(user_id).await?, expected)?;
        }
        let before = self.approval_limits(Some(user_id)).await?;
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        // The row is kept when the limits are cleared (both empty), so that its version goes on
        // rising; an officer without a row is at version 1, and the first save writes it at 2.
        match expected {
            Some(expected) => {
                let changed = sqlx::query(
                    "UPDATE approval_limits SET reclaim_pence = $1, package_weekly_pence = $2, set_by_label = $3, set_at = $4,
                            version = version + 1 WHERE user_id = $5 AND version = $6",
                )
                .bind(reclaim)
                .bind(package_weekly)
                .bind(&actor.label)
                .bind(&now)
                .bind(user_id)
                .bind(expected.get())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                let inserted = if changed == 0 && expected == Version::FIRST {
                    sqlx::query(
                        "INSERT INTO approval_limits (user_id, reclaim_pence, package_weekly_pence, set_by_label, set_at, version)
                         VALUES ($1, $2, $3, $4, $5, 2) ON CONFLICT (user_id) DO NOTHING",
                    )
                    .bind(user_id)
                    .bind(reclaim)
                    .bind(package_weekly)
                    .bind(&actor.label)
                    .bind(&now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                } else {
                    0
                };
                match saved(&mut tx, Versioned::ApprovalLimits, user_id, changed + inserted).await {
                    // No row and not at version 1: cannot happen after the check above, but
                    // refused the same way.
                    Err(StoreError::NotFound(_)) => return Err(StoreError::Stale { current: 1 }),
                    other => other?,
                }
            }
            None => {
                sqlx::query(
                    "INSERT INTO approval_limits (user_id, reclaim_pence, package_weekly_pence, set_by_label, set_at, version)
                     VALUES ($1, $2, $3, $4, $5, 2)
                     ON CONFLICT (user_id) DO UPDATE SET reclaim_pence = excluded.reclaim_pence,
                        package_weekly_pence = excluded.package_weekly_pence, set_by_label = excluded.set_by_label,
                        set_at = excluded.set_at, version = approval_limits.version + 1",
                )
                .bind(user_id)
                .bind(reclaim)
                .bind(package_weekly)
                .bind(&actor.label)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
            }
        }
        record(
            &mut tx,
            actor,
            "update",
            "approval_limits",
            Some(user_id),
            &format!("Changed the approval limits of {name}"),
            Some(&json!({"reclaim_pence": before.own_reclaim.then_some(before.reclaim_pence),
                "package_weekly_pence": before.own_package.then_some(before.package_weekly_pence)})),
            Some(&json!({"reclaim_pence": reclaim, "package_weekly_pence": package_weekly})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Active officers whose role puts forward or approves reclaims or packages, by name.
    pub async fn officer_limits(&self) -> Result<Vec<OfficerLimits>> {
        let (dr, dp) = self.default_limits().await?;
        let rows: Vec<OfficerRow> = sqlx::query_as(
            "SELECT u.id, u.display_name, u.role, l.reclaim_pence, l.package_weekly_pence
             FROM users u LEFT JOIN approval_limits l ON l.user_id = u.id
             WHERE u.active = 1 AND u.role IN ($1, $2, $3, $4) ORDER BY u.display_name, u.id",
        )
        .bind(APPROVING_ROLES[0])
        .bind(APPROVING_ROLES[1])
        .bind(APPROVING_ROLES[2])
        .bind(APPROVING_ROLES[3])
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| OfficerLimits {
                user_id: r.id,
                name: r.display_name,
                role: r.role,
                limits: Limits {
                    reclaim_pence: r.reclaim_pence.unwrap_or(dr),
                    package_weekly_pence: r.package_weekly_pence.unwrap_or(dp),
                    own_reclaim: r.reclaim_pence.is_some(),
                    own_package: r.package_weekly_pence.is_some(),
                },
            })
            .collect())
    }

    /// What was asked back of a DP by its financial monitoring so far (awaiting approval or
    /// approved), other than the record `except`.
    pub async fn dp_requested_so_far(&self, dp_id: &str, except: Option<&str>) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(requested_pence), 0) AS BIGINT) FROM dp_monitoring
             WHERE dp_id = $1 AND kind = 'financial' AND id <> $2",
        )
        .bind(dp_id)
        .bind(except.unwrap_or(""))
        .fetch_one(&self.pool)
        .await?)
    }

    /// Reclaims waiting for a second approver, oldest first.
    pub async fn reclaims_awaiting(&self) -> Result<Vec<AwaitingReclaim>> {
        Ok(sqlx::query_as(
            "SELECT m.id, m.dp_id, d.person_ref, m.completed_on, COALESCE(m.requested_pence, 0) AS requested_pence, m.recorded_by, COALESCE(u.display_name, m.officer_label) AS officer_label
             FROM dp_monitoring m JOIN direct_payments d ON d.id = m.dp_id LEFT JOIN users u ON u.id = m.recorded_by
             WHERE m.approval = 'awaiting' ORDER BY m.completed_on, m.id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// A second officer approves a reclaim put forward above its recorder's limit.
    pub async fn approve_reclaim(&self, actor: &Actor, monitoring_id: &str) -> Result<()> {
        let r: Option<AwaitingReclaim> = sqlx::query_as(
            "SELECT m.id, m.dp_id, d.person_ref, m.completed_on, COALESCE(m.requested_pence, 0) AS requested_pence, m.recorded_by, COALESCE(u.display_name, m.officer_label) AS officer_label
             FROM dp_monitoring m JOIN direct_payments d ON d.id = m.dp_id LEFT JOIN users u ON u.id = m.recorded_by WHERE m.id = $1 AND m.approval = 'awaiting'",
        )
        .bind(monitoring_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = r else {
            return Err(StoreError::Conflict("This reclaim is not waiting for approval: it may have been approved already".into()));
        };
        let limits = self.approval_limits(actor.user_id.as_deref()).await?;
        check_second_approver(
            LimitKind::Reclaim,
            r.recorded_by.as_deref().unwrap_or(""),
            actor.user_id.as_deref().unwrap_or(""),
            limits.reclaim_pence,
            Some(r.requested_pence),
        )?;
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE dp_monitoring SET approval = 'approved', approved_by = $1, approved_by_label = $2, approved_at = $3
             WHERE id = $4 AND approval = 'awaiting'",
        )
        .bind(&actor.user_id)
        .bind(&actor.label)
        .bind(&now)
        .bind(monitoring_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict("This reclaim is not waiting for approval: it may have been approved already".into()));
        }
        record(
            &mut tx,
            actor,
            "update",
            "dp_monitoring",
            Some(monitoring_id),
            "Approved a reclaim as second approver",
            Some(&json!({"approval": "awaiting", "requested_pence": r.requested_pence})),
            Some(&json!({"approval": "approved", "approved_at": now})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A package's weekly cost at its accepted provider's home care rate on `on`: `None` when no
    /// provider has accepted or the provider has no hourly rate on record then.
    pub async fn package_cost(&self, req: &crate::capacity::PackageRequest, on: Date) -> Result<Option<i64>> {
        Ok(cost_at(req, &crate::fees::versions(&self.fee_rates().await?), on))
    }

    /// Whether the council keeps home care hourly rates here at all. Where it keeps none, a
    /// package's cost cannot be known and approval limits on packages cannot apply (the page says
    /// so); where it keeps some, a provider without one needs the highest limit.
    pub async fn home_care_rates_kept(&self) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM fee_rates WHERE kind = $1 AND category = $2")
            .bind(ServiceKind::HomeCare.as_str())
            .bind(RateCategory::Hourly.as_str())
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    /// What [`PackageLimit::check`] reads, read once for `actor`: whether they may start a
    /// package on their own limit.
    pub(crate) async fn package_limit(&self, actor: &Actor) -> Result<PackageLimit> {
        Ok(PackageLimit {
            rates: crate::fees::versions(&self.fee_rates().await?),
            rates_kept: self.home_care_rates_kept().await?,
            limit: self.approval_limits(actor.user_id.as_deref()).await?.package_weekly_pence,
        })
    }

    /// A second officer approves a package whose weekly cost is above the limit of the officer
    /// starting it (or not known).
    pub async fn approve_package(&self, actor: &Actor, request_id: &str, on: Date) -> Result<i64> {
        let req = self.package_request(request_id).await?;
        if req.status != "accepted" {
            return Err(StoreError::Conflict("Only a package a provider has accepted, not yet started, can be approved".into()));
        }
        if req.approved_at.is_some() {
            return Err(StoreError::Conflict("This package has been approved already".into()));
        }
        let cost = self.package_cost(&req, on).await?;
        let limits = self.approval_limits(actor.user_id.as_deref()).await?;
        // The officer working the request put it forward; approving it is someone else's.
        let first = req.claimed_by.clone().unwrap_or_default();
        check_second_approver(LimitKind::PackageWeekly, &first, actor.user_id.as_deref().unwrap_or(""), limits.package_weekly_pence, cost)?;
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE package_requests SET approved_by = $1, approved_by_label = $2, approved_at = $3, approved_weekly_pence = $4, updated_at = $3
             WHERE id = $5",
        )
        .bind(&actor.user_id)
        .bind(&actor.label)
        .bind(&now)
        .bind(cost)
        .bind(request_id)
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            actor,
            "update",
            "package_request",
            Some(request_id),
            "Approved a package as second approver",
            None,
            Some(&json!({"approved_weekly_pence": cost, "approved_at": now})),
        )
        .await?;
        tx.commit().await?;
        Ok(cost.unwrap_or(0))
    }

    /// The council's blocked merchant categories, by code.
    pub async fn blocked_categories(&self) -> Result<Vec<BlockedCategory>> {
        Ok(sqlx::query_as("SELECT code, label, added_by_label, added_at FROM dp_blocked_categories ORDER BY code")
            .fetch_all(&self.pool)
            .await?)
    }

    /// Add a blocked merchant category (a four-digit code and what it is), audited.
    pub async fn add_blocked_category(&self, actor: &Actor, code: &str, label: &str) -> Result<()> {
        let code = caremarket_core::approvals::parse_merchant_category(code)
            .map_err(|m| StoreError::invalid("code", format!("The code {m}")))?
            .ok_or_else(|| StoreError::invalid("code", "Enter the merchant category code"))?;
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 120 {
            return Err(StoreError::invalid("label", "Enter what the category is, in 120 characters or fewer"));
        }
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "INSERT INTO dp_blocked_categories (code, label, added_by_label, added_at) VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO NOTHING",
        )
        .bind(&code)
        .bind(label)
        .bind(&actor.label)
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::invalid("code", format!("{code} is already blocked")));
        }
        record(
            &mut tx,
            actor,
            "create",
            "dp_blocked_category",
            Some(&code),
            &format!("Blocked merchant category {code}"),
            None,
            Some(&json!({"label": label})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Remove a blocked merchant category, audited.
    pub async fn remove_blocked_category(&self, actor: &Actor, code: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let label: Option<String> = sqlx::query_scalar("DELETE FROM dp_blocked_categories WHERE code = $1 RETURNING label")
            .bind(code)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(label) = label else {
            return Err(StoreError::NotFound(format!("blocked category {code}")));
        };
        record(
            &mut tx,
            actor,
            "delete",
            "dp_blocked_category",
            Some(code),
            &format!("Unblocked merchant category {code}"),
            Some(&json!({"label": label})),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Card spend in a blocked category: waiting for review (`reviewed` false) or reviewed,
    /// newest first; for one DP when `dp_id` is given.
    pub async fn flagged_spend(&self, reviewed: bool, dp_id: Option<&str>) -> Result<Vec<FlaggedSpend>> {
        Ok(sqlx::query_as(
            "SELECT s.id, s.dp_id, d.person_ref, s.spend_date, s.amount_pence, s.category, s.merchant_category, b.label AS merchant_label,
                    COALESCE(u.display_name, s.reviewed_by_label) AS reviewed_by_label, s.reviewed_at, s.review_note
             FROM dp_spend s JOIN dp_blocked_categories b ON b.code = s.merchant_category JOIN direct_payments d ON d.id = s.dp_id
             LEFT JOIN users u ON u.email = s.reviewed_by_label
             WHERE (s.reviewed_at IS NOT NULL) = $1 AND ($2 = '' OR s.dp_id = $2)
             ORDER BY s.spend_date DESC, s.id",
        )
        .bind(reviewed)
        .bind(dp_id.unwrap_or(""))
        .fetch_all(&self.pool)
        .await?)
    }

    /// An officer's review of a flagged line of spend (what they found), audited.
    pub async fn review_spend(&self, actor: &Actor, spend_id: &str, note: &str) -> Result<()> {
        let note = note.trim();
        if note.is_empty() || note.chars().count() > 1000 {
            return Err(StoreError::invalid("note", "Enter what you found, in 1,000 characters or fewer"));
        }
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE dp_spend SET reviewed_by_label = $1, reviewed_at = $2, review_note = $3 WHERE id = $4 AND reviewed_at IS NULL AND merchant_category IS NOT NULL",
        )
        .bind(&actor.label)
        .bind(&now)
        .bind(note)
        .bind(spend_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict("This spend has been reviewed already, or is not card spend".into()));
        }
        record(
            &mut tx,
            actor,
            "update",
            "dp_spend",
            Some(spend_id),
            "Reviewed card spend in a blocked category",
            None,
            Some(&json!({"note": note})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The fee rates, whether home care rates are kept at all, and an officer's weekly package limit:
/// everything starting a package on the officer's own limit depends on, read once for one start
/// or for a batch of them ([`Store::package_limit`]).
pub(crate) struct PackageLimit {
    rates: Vec<caremarket_core::fees::RateVersion>,
    rates_kept: bool,
    limit: i64,
}

impl PackageLimit {
    /// Refused, saying why, when `req`'s weekly cost on `on` is above the limit, or not known
    /// while the council keeps home care rates.
    pub(crate) fn check(&self, req: &crate::capacity::PackageRequest, on: Date) -> Result<()> {
        let cost = cost_at(req, &self.rates, on);
        if cost.is_none() && !self.rates_kept {
            return Ok(());
        }
        let limit = self.limit;
        if !needs_second_approver(cost, limit) {
            return Ok(());
        }
        let provider = req.offers.iter().find(|o| o.status == "accepted").map(|o| o.provider_name.clone()).unwrap_or_default();
        Err(StoreError::invalid(
            "approval",
            match cost {
                Some(c) => format!(
                    "This package costs {} a week at {provider}'s rate, above your approval limit of {}: an officer whose limit covers it must approve it before it starts",
                    money(c),
                    money(limit)
                ),
                None => format!(
                    "No home care rate is on record for {provider}, so the package's cost is not known: an officer with the highest approval limit must approve it before it starts"
                ),
            },
        ))
    }
}

/// [`Store::package_cost`] with the fee rates given.
fn cost_at(req: &crate::capacity::PackageRequest, rates: &[caremarket_core::fees::RateVersion], on: Date) -> Option<i64> {
    let offer = req.offers.iter().find(|o| o.status == "accepted")?;
    let paid = caremarket_core::fees::rates::paid_on(rates, &offer.provider_id, ServiceKind::HomeCare, on);
    // A provider with rates on several lots: the highest, so that no limit is passed by
    // choosing the cheaper line.
    let hourly = paid.iter().filter(|r| r.version.line.category == RateCategory::Hourly).map(|r| r.version.amount_pence).max();
    hourly.map(|rate| package_weekly_cost(req.minutes_per_week, req.visits_per_day, req.double_up_visits, rate))
}
