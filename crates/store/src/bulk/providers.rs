//! Providers in one batch (the demo's thousands of providers, issue 18 item 5).

use super::{BatchAudit, TableRows, in_row};
use crate::audit::Actor;
use crate::register::{NewProvider, PROVIDER_INSERT_COLUMNS, provider_row};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::text::count;
use serde_json::json;
use std::collections::HashSet;

impl Store {
    /// Providers, each checked and written as [`Store::create_provider`] would, in one
    /// transaction with one audit entry. A row without a name, or with a CQC provider ID another
    /// provider has, refuses the batch, naming the row; nothing is written. Their ids, in the order given.
    pub async fn bulk_create_providers(&self, actor: &Actor, providers: &[NewProvider]) -> Result<Vec<String>> {
        if providers.is_empty() {
            return Ok(Vec::new());
        }
        // A CQC provider ID names one provider: one already in the register, or twice in the
        // batch, refuses the batch naming its row (the database would refuse it unnamed).
        let mut taken: HashSet<String> =
            sqlx::query_scalar::<_, String>("SELECT cqc_provider_id FROM providers WHERE cqc_provider_id IS NOT NULL")
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .collect();
        let now = now_timestamp();
        let mut rows = Vec::with_capacity(providers.len());
        let mut ids = Vec::with_capacity(providers.len());
        for (i, p) in providers.iter().enumerate() {
            let id = new_id();
            let (row, _) = provider_row(&id, p, &now).map_err(|e| in_row("providers", i, e))?;
            if let Some(cqc) = &p.cqc_provider_id
                && !taken.insert(cqc.clone())
            {
                let e = StoreError::invalid("cqc_provider_id", format!("Another provider already has the CQC provider ID {cqc}"));
                return Err(in_row("providers", i, e));
            }
            rows.push(row);
            ids.push(id);
        }
        self.write_batch(
            actor,
            vec![TableRows { table: "providers", columns: &PROVIDER_INSERT_COLUMNS, rows }],
            BatchAudit {
                entity_type: "provider",
                summary: format!("{} generated (bulk load)", count(providers.len() as i64, "provider", None)),
                after: json!({"bulk": true, "providers": providers.len()}),
            },
        )
        .await?;
        Ok(ids)
    }
}
