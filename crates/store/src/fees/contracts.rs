//! Each contract's payment basis (provider and kind of service, from a date, never
//! overwritten) and providers' requests for fee increases, decided with a reason; an agreed
//! request becomes a new version of the provider's rate in the same transaction.

use super::{insert_rate, load_rates, versions};
use crate::audit::record;
use crate::direct_payments::{date, date_opt};
use crate::versions::{Versioned, check_current, saved};
use crate::{Actor, Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::direct_payments::money::money;
use caremarket_core::fees::rates::{RateLine, in_force};
use caremarket_core::fees::requests::NewFeeRequest;
use caremarket_core::fees::{
    PayOn, PaymentBasis, RateCategory, RateDraft, RateLevel, RateStatus, RequestDecision, RequestStatus, SecondCarer,
};
use caremarket_core::register::ServiceKind;
use caremarket_core::versions::Version;
use serde::Serialize;
use serde_json::json;

#[derive(Debug, Clone, Serialize)]
pub struct PaymentBasisRecord {
    pub id: String,
    pub provider_id: String,
    pub provider_name: String,
    pub kind: ServiceKind,
    pub basis: PaymentBasis,
    pub effective_from: Date,
    pub created_by_label: String,
    pub created_at: String,
}

#[derive(sqlx::FromRow)]
struct BasisRow {
    id: String,
    provider_id: String,
    provider_name: String,
    kind: String,
    pay_on: String,
    minimum_call_minutes: Option<i64>,
    second_carer: String,
    second_carer_share_bp: Option<i64>,
    effective_from: String,
    created_by_label: String,
    created_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FeeRequestRecord {
    pub id: String,
    pub provider_id: String,
    pub provider_name: String,
    pub kind: ServiceKind,
    pub category: RateCategory,
    pub current_pence: Option<i64>,
    pub requested_pence: i64,
    pub received_on: Date,
    pub reason: String,
    pub status: RequestStatus,
    pub decided_on: Option<Date>,
    pub decision_reason: Option<String>,
    pub agreed_pence: Option<i64>,
    pub agreed_from: Option<Date>,
    pub rate_id: Option<String>,
    pub decided_by_label: Option<String>,
    pub created_by_label: String,
    /// Raised by the decision (decision 25): the decision form carries it.
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: String,
    provider_id: String,
    provider_name: String,
    kind: String,
    category: String,
    current_pence: Option<i64>,
    requested_pence: i64,
    received_on: String,
    reason: String,
    status: String,
    decided_on: Option<String>,
    decision_reason: Option<String>,
    agreed_pence: Option<i64>,
    agreed_from: Option<String>,
    rate_id: Option<String>,
    decided_by_label: Option<String>,
    created_by_label: String,
    version: i64,
}

fn kind(table: &'static str, s: &str) -> Result<ServiceKind> {
    ServiceKind::parse(s).ok_or_else(|| crate::register::corrupt(table, "kind", s))
}

impl RequestRow {
    fn decode(self) -> Result<FeeRequestRecord> {
        let t = "fee_requests";
        Ok(FeeRequestRecord {
            kind: kind(t, &self.kind)?,
            category: StoreError::decode(t, "category", &self.category)?,
            received_on: date(t, "received_on", &self.received_on)?,
            status: StoreError::decode(t, "status", &self.status)?,
            decided_on: date_opt(t, "decided_on", self.decided_on.as_deref())?,
            agreed_from: date_opt(t, "agreed_from", self.agreed_from.as_deref())?,
            id: self.id,
            provider_id: self.provider_id,
            provider_name: self.provider_name,
            current_pence: self.current_pence,
            requested_pence: self.requested_pence,
            reason: self.reason,
            decision_reason: self.decision_reason,
            agreed_pence: self.agreed_pence,
            rate_id: self.rate_id,
            decided_by_label: self.decided_by_label,
            created_by_label: self.created_by_label,
            version: self.version,
        })
    }
}

const REQUEST_SELECT: &str = "SELECT q.id, q.provider_id, p.name AS provider_name, q.kind, q.category, q.current_pence, q.requested_pence,
    q.received_on, q.reason, q.status, q.decided_on, q.decision_reason, q.agreed_pence, q.agreed_from, q.rate_id,
    COALESCE(du.display_name, q.decided_by_label) AS decided_by_label, COALESCE(cu.display_name, q.created_by_label) AS created_by_label, q.version
    FROM fee_requests q JOIN providers p ON p.id = q.provider_id
    LEFT JOIN users du ON du.email = q.decided_by_label LEFT JOIN users cu ON cu.email = q.created_by_label";

async fn provider_name(store: &Store, id: &str) -> Result<String> {
    match store.provider(id).await {
        Ok(p) => Ok(p.name),
        Err(StoreError::NotFound(_)) => Err(StoreError::invalid("provider_id", "Choose a provider from the register")),
        Err(e) => Err(e),
    }
}

impl Store {
    /// Record a contract's payment basis from a date (a new version; the old one is kept).
    pub async fn set_payment_basis(
        &self,
        actor: &Actor,
        provider_id: &str,
        kind: ServiceKind,
        basis: &PaymentBasis,
        from: Date,
    ) -> Result<String> {
        let name = provider_name(self, provider_id).await?;
        let mut tx = self.begin_write().await?;
        let same: Option<String> =
            sqlx::query_scalar("SELECT id FROM fee_payment_bases WHERE provider_id = $1 AND kind = $2 AND effective_from = $3")
                .bind(provider_id)
                .bind(kind.as_str())
                .bind(from.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        if same.is_some() {
            return Err(StoreError::invalid(
                "effective_from",
                format!("{name} already has a payment basis for {} from {from}: choose another date", kind.label().to_lowercase()),
            ));
        }
        let id = new_id();
        sqlx::query(
            "INSERT INTO fee_payment_bases (id, provider_id, kind, pay_on, minimum_call_minutes, second_carer, second_carer_share_bp, effective_from,
                created_by_label, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&id)
        .bind(provider_id)
        .bind(kind.as_str())
        .bind(basis.pay_on.as_str())
        .bind(basis.minimum_call_minutes)
        .bind(basis.second_carer.as_str())
        .bind(basis.second_carer.share_bp())
        .bind(from.to_string())
        .bind(&actor.label)
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            actor,
            "create",
            "fee_payment_basis",
            Some(&id),
            &format!("Payment basis for {name}, {}, from {from}: {}", kind.label().to_lowercase(), basis.pay_on.label()),
            None,
            Some(&json!({"provider_id": provider_id, "kind": kind.as_str(), "pay_on": basis.pay_on.as_str(),
                "minimum_call_minutes": basis.minimum_call_minutes, "second_carer": basis.second_carer.as_str(),
                "second_carer_share_bp": basis.second_carer.share_bp(), "effective_from": from.to_string()})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every payment basis version, by provider, kind and date.
    pub async fn payment_bases(&self) -> Result<Vec<PaymentBasisRecord>> {
        let rows: Vec<BasisRow> = sqlx::query_as(
            "SELECT b.id, b.provider_id, p.name AS provider_name, b.kind, b.pay_on, b.minimum_call_minutes, b.second_carer, b.second_carer_share_bp,
                b.effective_from, b.created_by_label, b.created_at
             FROM fee_payment_bases b JOIN providers p ON p.id = b.provider_id ORDER BY p.name, b.kind, b.effective_from",
        )
        .fetch_all(&self.pool)
        .await?;
        let t = "fee_payment_bases";
        rows.into_iter()
            .map(|r| {
                let pay_on: PayOn = StoreError::decode(t, "pay_on", &r.pay_on)?;
                let second = SecondCarer::from_parts(&r.second_carer, r.second_carer_share_bp)
                    .ok_or_else(|| crate::register::corrupt(t, "second_carer", &r.second_carer))?;
                Ok(PaymentBasisRecord {
                    kind: kind(t, &r.kind)?,
                    basis: PaymentBasis { pay_on, minimum_call_minutes: r.minimum_call_minutes, second_carer: second },
                    effective_from: date(t, "effective_from", &r.effective_from)?,
                    id: r.id,
                    provider_id: r.provider_id,
                    provider_name: r.provider_name,
                    created_by_label: r.created_by_label,
                    created_at: r.created_at,
                })
            })
            .collect()
    }

    /// The payment basis of provider's contract for `kind` in force on `on`.
    pub async fn payment_basis_on(&self, provider_id: &str, kind: ServiceKind, on: Date) -> Result<Option<PaymentBasisRecord>> {
        Ok(self
            .payment_bases()
            .await?
            .into_iter()
            .filter(|b| b.provider_id == provider_id && b.kind == kind && b.effective_from <= on)
            .max_by_key(|b| b.effective_from))
    }

    /// Record a provider's request for a fee increase, with the rate it is paid now.
    pub async fn record_fee_request(&self, actor: &Actor, r: &NewFeeRequest) -> Result<String> {
        let name = provider_name(self, &r.provider_id).await?;
        let current = self
            .fee_paid_on(&r.provider_id, r.kind, r.received_on)
            .await?
            .into_iter()
            .find(|p| p.version.line.category == r.category)
            .map(|p| p.version.amount_pence);
        let id = new_id();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO fee_requests (id, provider_id, kind, category, current_pence, requested_pence, received_on, reason, status,
                created_by_label, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&id)
        .bind(&r.provider_id)
        .bind(r.kind.as_str())
        .bind(r.category.as_str())
        .bind(current)
        .bind(r.requested_pence)
        .bind(r.received_on.to_string())
        .bind(&r.reason)
        .bind(RequestStatus::Open.as_str())
        .bind(&actor.label)
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            actor,
            "create",
            "fee_request",
            Some(&id),
            &format!("Fee increase request from {name}: {} {}", money(r.requested_pence), r.category.unit()),
            None,
            Some(&json!({"provider_id": r.provider_id, "kind": r.kind.as_str(), "category": r.category.as_str(),
                "current_pence": current, "requested_pence": r.requested_pence, "received_on": r.received_on.to_string()})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn fee_requests(&self) -> Result<Vec<FeeRequestRecord>> {
        let rows: Vec<RequestRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{REQUEST_SELECT} ORDER BY q.received_on DESC, q.created_at DESC")))
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(RequestRow::decode).collect()
    }

    pub async fn fee_request(&self, id: &str) -> Result<FeeRequestRecord> {
        let row: Option<RequestRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{REQUEST_SELECT} WHERE q.id = $1"))).bind(id).fetch_optional(&self.pool).await?;
        row.ok_or_else(|| StoreError::NotFound(format!("fee request {id}")))?.decode()
    }

    /// Decide an open request. Agreeing writes a new version of the provider's rate (on the lot
    /// of its rate in force, if it has one), checked like any rate: above the lot's maximum it
    /// waits for a second person's approval, the decision's reason being its reason. From the
    /// form opened at `expected`: decided by someone else since, it is refused with `Stale`
    /// (decision 25), and nothing is written, the rate included.
    pub async fn decide_fee_request(
        &self,
        actor: &Actor,
        id: &str,
        decision: &RequestDecision,
        today: Date,
        expected: Version,
    ) -> Result<Option<RateStatus>> {
        let q = self.fee_request(id).await?;
        check_current(q.version, expected)?;
        if q.status != RequestStatus::Open {
            return Err(StoreError::invalid("decision", format!("This request was {} already", q.status.label().to_lowercase())));
        }
        let mut tx = self.begin_write().await?;
        let (status, reason, agreed, agreed_from, rate_id, rate_status) = match decision {
            RequestDecision::Refuse { reason } => (RequestStatus::Refused, reason.clone(), None, None, None, None),
            RequestDecision::Agree { amount_pence, effective_from, reason } => {
                let existing = versions(&load_rates(&mut tx).await?);
                // The provider's own line for this kind and category in force then, for its lot.
                let lot_id = existing
                    .iter()
                    .filter(|v| {
                        v.line.level == RateLevel::Provider
                            && v.line.provider_id.as_deref() == Some(q.provider_id.as_str())
                            && v.line.kind == q.kind
                            && v.line.category == q.category
                    })
                    .map(|v| v.line.clone())
                    .find(|l: &RateLine| in_force(&existing, l, *effective_from).is_some())
                    .and_then(|l| l.lot_id);
                let draft = RateDraft {
                    level: Some(RateLevel::Provider),
                    kind: Some(q.kind),
                    category: Some(q.category),
                    lot_id,
                    provider_id: Some(q.provider_id.clone()),
                    amount: money(*amount_pence),
                    effective_from: Some(*effective_from),
                    reason: format!("Fee increase request agreed: {reason}"),
                };
                let new = draft.check(&existing)?;
                let rid = insert_rate(&mut tx, actor, &new, None).await?;
                (RequestStatus::Agreed, reason.clone(), Some(*amount_pence), Some(*effective_from), Some(rid), Some(new.status))
            }
        };
        let changed = sqlx::query(
            "UPDATE fee_requests SET status = $1, decided_on = $2, decision_reason = $3, agreed_pence = $4, agreed_from = $5, rate_id = $6,
                decided_by_label = $7, version = version + 1 WHERE id = $8 AND version = $9",
        )
        .bind(status.as_str())
        .bind(today.to_string())
        .bind(&reason)
        .bind(agreed)
        .bind(agreed_from.map(|d: Date| d.to_string()))
        .bind(rate_id.clone())
        .bind(&actor.label)
        .bind(id)
        .bind(expected.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        saved(&mut tx, Versioned::FeeRequests, id, changed).await?;
        record(
            &mut tx,
            actor,
            "update",
            "fee_request",
            Some(id),
            &format!("{} the fee increase request from {}: {reason}", status.label(), q.provider_name),
            Some(&json!({"status": q.status.as_str()})),
            Some(&json!({"status": status.as_str(), "agreed_pence": agreed, "agreed_from": agreed_from.map(|d| d.to_string()), "rate_id": rate_id})),
        )
        .await?;
        tx.commit().await?;
        Ok(rate_status)
    }
}
