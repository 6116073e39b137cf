//! Direct payments: recording, ending, one, and the filtered list.

use super::{date, date_opt};
use crate::audit::{Actor, record};
use crate::query::SqlBuilder;
use crate::register::Page;
use crate::versions::{Versioned, check_current, saved};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::direct_payments::equality::Equality;
use caremarket_core::direct_payments::{BudgetPeriod, DpDraft, Holding, check_end};
use caremarket_core::versions::Version;
use serde::Serialize;
use serde_json::json;
use sqlx::AssertSqlSafe;

#[derive(Debug, Clone, Serialize)]
pub struct DirectPayment {
    pub id: String,
    pub person_ref: String,
    pub service_area: String,
    pub is_child: bool,
    pub budget_pence: i64,
    pub budget_period: BudgetPeriod,
    pub holding: Holding,
    pub mm_provider_id: Option<String>,
    pub mm_provider_name: Option<String>,
    pub start_date: Date,
    pub end_date: Option<Date>,
    pub closure_reason: Option<String>,
    pub officer_id: Option<String>,
    pub officer_name: Option<String>,
    /// Equality monitoring (special category data): codes of the council's lists.
    pub equality: Equality,
    /// Raised by one on every change of the agreement (decision 25): its forms carry it.
    pub version: i64,
}

#[derive(Debug, Clone)]
pub struct NewDirectPayment {
    pub draft: DpDraft,
    pub officer_id: Option<String>,
    pub equality: Equality,
}

#[derive(Debug, Clone, Default)]
pub struct DpFilter {
    pub q: Option<String>,
    pub service_area: Option<String>,
    pub holding: Option<String>,
    /// "open" (default), "ended" or "all".
    pub status: Option<String>,
    pub officer_id: Option<String>,
    pub mm_provider_id: Option<String>,
    pub is_child: Option<bool>,
    pub closure_reason: Option<String>,
    /// Started on or after / ended on or after this date (drill-down from the 12-month figures).
    pub started_since: Option<Date>,
    pub ended_since: Option<Date>,
    /// Has spend in this category since `spend_since`.
    pub category: Option<String>,
    pub spend_since: Option<Date>,
    pub page: i64,
    pub per_page: i64,
}

const TABLE: &str = "direct_payments";

const DP_SELECT: &str = "SELECT d.id, d.person_ref, d.service_area, d.is_child, d.budget_pence, d.budget_period, d.holding,
    d.mm_provider_id, p.name AS mm_provider_name, d.start_date, d.end_date, d.closure_reason, d.officer_id, u.display_name AS officer_name,
    d.ethnicity, d.religion, d.version
    FROM direct_payments d LEFT JOIN providers p ON p.id = d.mm_provider_id LEFT JOIN users u ON u.id = d.officer_id";

/// A row of `DP_SELECT`.
#[derive(sqlx::FromRow)]
struct DpRow {
    id: String,
    person_ref: String,
    service_area: String,
    is_child: i64,
    budget_pence: i64,
    budget_period: String,
    holding: String,
    mm_provider_id: Option<String>,
    mm_provider_name: Option<String>,
    start_date: String,
    end_date: Option<String>,
    closure_reason: Option<String>,
    officer_id: Option<String>,
    officer_name: Option<String>,
    ethnicity: Option<String>,
    religion: Option<String>,
    version: i64,
}

impl TryFrom<DpRow> for DirectPayment {
    type Error = StoreError;
    fn try_from(r: DpRow) -> Result<DirectPayment> {
        Ok(DirectPayment {
            budget_period: StoreError::decode(TABLE, "budget_period", &r.budget_period)?,
            holding: StoreError::decode(TABLE, "holding", &r.holding)?,
            start_date: date(TABLE, "start_date", &r.start_date)?,
            end_date: date_opt(TABLE, "end_date", r.end_date.as_deref())?,
            id: r.id,
            person_ref: r.person_ref,
            service_area: r.service_area,
            is_child: r.is_child != 0,
            budget_pence: r.budget_pence,
            mm_provider_id: r.mm_provider_id,
            mm_provider_name: r.mm_provider_name,
            closure_reason: r.closure_reason,
            officer_id: r.officer_id,
            officer_name: r.officer_name,
            equality: Equality { ethnicity: r.ethnicity, religion: r.religion },
            version: r.version,
        })
    }
}

/// The list's conditions, after `WHERE`.
fn push_filter(qb: &mut SqlBuilder, f: &DpFilter) {
    qb.push(" WHERE 1=1");
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        qb.push(" AND UPPER(d.person_ref) LIKE ").push_bind(caremarket_core::limits::like_contains(&q.to_uppercase())).push(" ESCAPE '\\'");
    }
    match f.status.as_deref() {
        Some("all") => {}
        Some("ended") => {
            qb.push(" AND d.end_date IS NOT NULL");
        }
        _ => {
            qb.push(" AND d.end_date IS NULL");
        }
    }
    for (column, value) in [
        ("d.service_area", &f.service_area),
        ("d.holding", &f.holding),
        ("d.officer_id", &f.officer_id),
        ("d.mm_provider_id", &f.mm_provider_id),
        ("d.closure_reason", &f.closure_reason),
    ] {
        if let Some(v) = value {
            qb.push(format_args!(" AND {column} = ")).push_bind(v.clone());
        }
    }
    if let Some(c) = f.is_child {
        qb.push(" AND d.is_child = ").push_bind(i64::from(c));
    }
    if let Some(v) = f.started_since {
        qb.push(" AND d.start_date >= ").push_bind(v.to_string());
    }
    if let Some(v) = f.ended_since {
        qb.push(" AND d.end_date >= ").push_bind(v.to_string());
    }
    if let Some(c) = &f.category {
        qb.push(" AND EXISTS (SELECT 1 FROM dp_spend s WHERE s.dp_id = d.id AND s.category = ").push_bind(c.clone());
        if let Some(since) = f.spend_since {
            qb.push(" AND s.spend_date >= ").push_bind(since.to_string());
        }
        qb.push(")");
    }
}

impl Store {
    async fn check_mm_company(&self, provider_id: &str) -> Result<()> {
        let on: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) FROM services WHERE provider_id = $1 AND {MM_ON_RPL}")))
            .bind(provider_id)
            .fetch_one(&self.pool)
            .await?;
        if on == 0 {
            return Err(not_an_mm_company());
        }
        Ok(())
    }

    pub async fn create_direct_payment(&self, actor: &Actor, n: &NewDirectPayment) -> Result<String> {
        let d = n.draft.validated(&self.dp_codes("service_area").await?)?;
        if let Some(p) = &d.mm_provider_id {
            self.check_mm_company(p).await?;
        }
        if let Some(o) = &n.officer_id {
            self.user(o).await.map_err(|_| StoreError::invalid("officer_id", "Choose the named officer"))?;
        }
        self.check_equality(&n.equality).await?;
        let id = new_id();
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        crate::bulk::insert_rows(&mut tx, "direct_payments", &DP_COLUMNS, vec![dp_row(&id, &d, n, &now)]).await?;
        let after = json!({"service_area": d.service_area, "is_child": d.is_child, "budget_pence": d.budget_pence, "budget_period": d.budget_period,
            "holding": d.holding, "mm_provider_id": d.mm_provider_id, "start_date": d.start_date.to_string(), "officer_id": n.officer_id,
            "equality": equality_audit(&n.equality)});
        record(&mut tx, actor, "create", "direct_payment", Some(&id), "Recorded a direct payment", None, Some(&after)).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn direct_payment(&self, id: &str) -> Result<DirectPayment> {
        let row: DpRow = sqlx::query_as(AssertSqlSafe(format!("{DP_SELECT} WHERE d.id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("direct payment {id}")))?;
        row.try_into()
    }

    /// The stored codes are the council's lists' own: a code posted from elsewhere (the API, a
    /// stale form) is refused here too.
    async fn check_equality(&self, e: &Equality) -> Result<()> {
        let (eth, rel) = (self.dp_codes("ethnicity").await?, self.dp_codes("religion").await?);
        Equality::parse(e.ethnicity.as_deref().unwrap_or(""), e.religion.as_deref().unwrap_or(""), &eth, &rel)
            .map_err(StoreError::InvalidFields)?;
        Ok(())
    }

    /// Record or correct a person's ethnicity and religion, from the agreement as it was at
    /// `expected` (refused with `Stale` if it has changed since).
    pub async fn set_dp_equality(&self, actor: &Actor, id: &str, e: &Equality, expected: Version) -> Result<()> {
        let before = self.direct_payment(id).await?;
        check_current(before.version, expected)?;
        self.check_equality(e).await?;
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE direct_payments SET ethnicity = $1, religion = $2, updated_at = $3, version = version + 1 WHERE id = $4 AND version = $5",
        )
        .bind(e.ethnicity.clone())
        .bind(e.religion.clone())
        .bind(now_timestamp())
        .bind(id)
        .bind(expected.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        saved(&mut tx, Versioned::DirectPayments, id, changed).await?;
        record(
            &mut tx,
            actor,
            "update",
            "direct_payment",
            Some(id),
            "Changed equality monitoring of a direct payment",
            Some(&equality_audit(&before.equality)),
            Some(&equality_audit(e)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Name the officer for one or many direct payments (`None`: no named officer), in one
    /// transaction: every id must be a direct payment and the officer someone who may edit
    /// direct payments, or nothing changes. Each change is audited and raises the agreement's
    /// version; a direct payment already held by the officer is left alone. Returns how many
    /// changed. Many at once is a deliberate choice from a list, not a form opened on one
    /// agreement, so it takes no version; [`Store::set_dp_officer`] does.
    pub async fn assign_dp_officer(&self, actor: &Actor, dp_ids: &[String], officer_id: Option<&str>) -> Result<usize> {
        self.change_dp_officer(actor, dp_ids, officer_id, None).await
    }

    /// Name the officer of one direct payment from its own form, opened at `expected`: refused
    /// with `Stale` if the agreement changed since, even when the officer is the same.
    pub async fn set_dp_officer(&self, actor: &Actor, id: &str, officer_id: Option<&str>, expected: Version) -> Result<usize> {
        self.change_dp_officer(actor, std::slice::from_ref(&id.to_string()), officer_id, Some(expected)).await
    }

    async fn change_dp_officer(
        &self,
        actor: &Actor,
        dp_ids: &[String],
        officer_id: Option<&str>,
        expected: Option<Version>,
    ) -> Result<usize> {
        if dp_ids.is_empty() {
            return Err(StoreError::invalid("dp_id", "Choose at least one direct payment"));
        }
        let officer = match officer_id {
            Some(o) => {
                let u = self.user(o).await.map_err(|_| StoreError::invalid("officer_id", "Choose the named officer from the list"))?;
                if !u.active || !u.role.can(caremarket_core::access::Permission::EditDirectPayments) {
                    return Err(StoreError::invalid("officer_id", "Choose an officer who works on direct payments"));
                }
                Some(u)
            }
            None => None,
        };
        let mut tx = self.begin_write().await?;
        let mut changed = 0;
        for id in dp_ids {
            let before: Option<(Option<String>, i64)> =
                sqlx::query_as("SELECT officer_id, version FROM direct_payments WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
            let Some((before, version)) = before else {
                return Err(StoreError::invalid("dp_id", "One of the direct payments chosen is not on the register"));
            };
            if let Some(expected) = expected {
                check_current(version, expected)?;
            }
            if before.as_deref() == officer_id {
                continue;
            }
            let rows = sqlx::query(
                "UPDATE direct_payments SET officer_id = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND version = $4",
            )
            .bind(officer_id)
            .bind(now_timestamp())
            .bind(id)
            .bind(version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            saved(&mut tx, Versioned::DirectPayments, id, rows).await?;
            let what = match &officer {
                Some(u) => format!("Named {} as the officer for a direct payment", u.display_name),
                None => "Took the named officer off a direct payment".to_string(),
            };
            record(
                &mut tx,
                actor,
                "update",
                "direct_payment",
                Some(id),
                &what,
                Some(&json!({"officer_id": before})),
                Some(&json!({"officer_id": officer_id})),
            )
            .await?;
            changed += 1;
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// End a direct payment from its form, opened at `expected` (refused with `Stale` if the
    /// agreement changed since).
    pub async fn end_direct_payment(&self, actor: &Actor, id: &str, end: Date, reason: &str, expected: Version) -> Result<()> {
        let d = self.direct_payment(id).await?;
        check_current(d.version, expected)?;
        let last_spend: Option<String> =
            sqlx::query_scalar("SELECT MAX(spend_date) FROM dp_spend WHERE dp_id = $1").bind(id).fetch_one(&self.pool).await?;
        let last_spend = date_opt("dp_spend", "spend_date", last_spend.as_deref())?;
        let reasons = self.dp_codes("closure_reason").await?;
        check_end(d.start_date, d.end_date, last_spend, end, reason, &reasons, crate::today())?;
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE direct_payments SET end_date = $1, closure_reason = $2, updated_at = $3, version = version + 1
             WHERE id = $4 AND version = $5",
        )
        .bind(end.to_string())
        .bind(reason)
        .bind(now_timestamp())
        .bind(id)
        .bind(expected.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        saved(&mut tx, Versioned::DirectPayments, id, changed).await?;
        record(
            &mut tx,
            actor,
            "update",
            "direct_payment",
            Some(id),
            "Ended a direct payment",
            Some(&json!({"end_date": null})),
            Some(&json!({"end_date": end.to_string(), "closure_reason": reason})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn direct_payments(&self, f: &DpFilter) -> Result<Page<DirectPayment>> {
        let per_page = if f.per_page <= 0 { 50 } else { f.per_page.min(500) };
        let page = f.page.max(1);
        let mut filter = SqlBuilder::new("");
        push_filter(&mut filter, f);
        let total: i64 = filter.wrapped("SELECT COUNT(*) FROM direct_payments d", "").query_scalar().fetch_one(&self.pool).await?;
        let mut list = filter.wrapped(DP_SELECT, " ORDER BY d.start_date DESC, d.id LIMIT ");
        list.push_bind(per_page).push(" OFFSET ").push_bind((page - 1) * per_page);
        let rows: Vec<DpRow> = list.query_as().fetch_all(&self.pool).await?;
        Ok(Page { items: rows.into_iter().map(DirectPayment::try_from).collect::<Result<_>>()?, total, page, per_page })
    }

    /// Every DP, in no particular order (the bulk path's checks, which read them all once).
    pub(crate) async fn all_direct_payments(&self) -> Result<Vec<DirectPayment>> {
        let rows: Vec<DpRow> = sqlx::query_as(DP_SELECT).fetch_all(&self.pool).await?;
        rows.into_iter().map(DirectPayment::try_from).collect()
    }

    /// Every open DP (for the monitoring lists), in the list's order.
    pub(crate) async fn open_direct_payments(&self) -> Result<Vec<DirectPayment>> {
        let rows: Vec<DpRow> =
            sqlx::query_as(AssertSqlSafe(format!("{DP_SELECT} WHERE d.end_date IS NULL ORDER BY d.start_date DESC, d.id")))
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(DirectPayment::try_from).collect()
    }
}

/// What the audit log keeps of equality monitoring: whether each was recorded, not the value,
/// so special category data is not copied into a log every administrator reads.
/// Which services make their provider a money management company a direct payment may name.
pub(crate) const MM_ON_RPL: &str = "kind = 'money_management' AND contract_status = 'rpl'";

pub(crate) fn not_an_mm_company() -> StoreError {
    StoreError::invalid("mm_provider_id", "Choose a money management company on the Recognised Provider List")
}

/// The columns [`dp_row`] fills, in its order.
pub(crate) const DP_COLUMNS: [&str; 14] = [
    "id",
    "person_ref",
    "service_area",
    "is_child",
    "budget_pence",
    "budget_period",
    "holding",
    "mm_provider_id",
    "start_date",
    "officer_id",
    "created_at",
    "updated_at",
    "ethnicity",
    "religion",
];

/// A new direct payment's row for [`DP_COLUMNS`]: `d` is its draft as core validated it.
pub(crate) fn dp_row(id: &str, d: &DpDraft, n: &NewDirectPayment, now: &str) -> Vec<crate::bulk::Value> {
    vec![
        id.into(),
        d.person_ref.as_str().into(),
        d.service_area.as_str().into(),
        i64::from(d.is_child).into(),
        d.budget_pence.into(),
        d.budget_period.as_str().into(),
        d.holding.as_str().into(),
        d.mm_provider_id.clone().into(),
        d.start_date.to_string().into(),
        n.officer_id.clone().into(),
        now.into(),
        now.into(),
        n.equality.ethnicity.clone().into(),
        n.equality.religion.clone().into(),
    ]
}

fn equality_audit(e: &Equality) -> serde_json::Value {
    let said = |v: &Option<String>| if v.is_some() { "recorded" } else { "not recorded" };
    json!({"ethnicity": said(&e.ethnicity), "religion": said(&e.religion)})
}
