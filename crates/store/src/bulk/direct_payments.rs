//! Direct payments in bulk (the demo, issue 18 item 5): each checked as
//! [`Store::create_direct_payment`] checks it (core's `validated` against the council's service
//! areas, a money management company on the Recognised Provider List, a named officer who has an
//! account, the council's equality codes), with the lists read once for the batch instead of
//! once a payment; the same rows; one audit entry.

use super::{BatchAudit, TableRows, in_row, thousands};
use crate::audit::Actor;
use crate::direct_payments::{DP_COLUMNS, MM_ON_RPL, NewDirectPayment, dp_row, not_an_mm_company};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::direct_payments::equality::Equality;
use serde_json::json;
use sqlx::AssertSqlSafe;
use std::collections::HashSet;

impl Store {
    /// Direct payments as [`Store::create_direct_payment`] would record each, in one transaction
    /// with one audit entry for the batch. Refused whole, naming the row, if any fails its
    /// checks. Returns their ids in order.
    pub async fn bulk_create_direct_payments(&self, actor: &Actor, payments: &[NewDirectPayment]) -> Result<Vec<String>> {
        if payments.is_empty() {
            return Ok(Vec::new());
        }
        let areas = self.dp_codes("service_area").await?;
        let (ethnicities, religions) = (self.dp_codes("ethnicity").await?, self.dp_codes("religion").await?);
        let mm: HashSet<String> =
            sqlx::query_scalar::<_, String>(AssertSqlSafe(format!("SELECT DISTINCT provider_id FROM services WHERE {MM_ON_RPL}")))
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .collect();
        let users: HashSet<String> =
            sqlx::query_scalar::<_, String>("SELECT id FROM users").fetch_all(&self.pool).await?.into_iter().collect();

        let now = now_timestamp();
        let mut rows = Vec::with_capacity(payments.len());
        let mut ids = Vec::with_capacity(payments.len());
        for (i, n) in payments.iter().enumerate() {
            let d = n.draft.validated(&areas).map_err(|e| in_row("direct payments", i, e.into()))?;
            if d.mm_provider_id.as_ref().is_some_and(|p| !mm.contains(p)) {
                return Err(in_row("direct payments", i, not_an_mm_company()));
            }
            if n.officer_id.as_ref().is_some_and(|o| !users.contains(o)) {
                return Err(in_row("direct payments", i, StoreError::invalid("officer_id", "Choose the named officer")));
            }
            let e = &n.equality;
            Equality::parse(e.ethnicity.as_deref().unwrap_or(""), e.religion.as_deref().unwrap_or(""), &ethnicities, &religions)
                .map_err(|e| in_row("direct payments", i, StoreError::InvalidFields(e)))?;
            let id = new_id();
            rows.push(dp_row(&id, &d, n, &now));
            ids.push(id);
        }
        self.write_batch(
            actor,
            vec![TableRows { table: "direct_payments", columns: &DP_COLUMNS, rows }],
            BatchAudit {
                entity_type: "direct_payment",
                summary: format!("{} direct payments generated (bulk load)", thousands(payments.len())),
                after: json!({"bulk": true, "direct_payments": payments.len()}),
            },
        )
        .await?;
        Ok(ids)
    }
}
