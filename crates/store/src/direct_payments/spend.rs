//! Spend recorded against direct payments, imported from the council's finance files.

use super::date;
use crate::audit::{Actor, record};
use crate::{Result, Store, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::direct_payments::spend::{KnownDp, SpendRow, check_import};
use serde::Serialize;
use serde_json::json;

#[derive(Debug, Clone, Serialize)]
pub struct SpendLine {
    pub spend_date: Date,
    pub amount_pence: i64,
    pub category: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SpendImport {
    pub id: String,
    pub rows: usize,
    pub total_pence: i64,
}

#[derive(sqlx::FromRow)]
struct SpendLineRow {
    spend_date: String,
    amount_pence: i64,
    category: String,
}

impl TryFrom<SpendLineRow> for SpendLine {
    type Error = crate::StoreError;
    fn try_from(r: SpendLineRow) -> Result<SpendLine> {
        Ok(SpendLine { spend_date: date("dp_spend", "spend_date", &r.spend_date)?, amount_pence: r.amount_pence, category: r.category })
    }
}

/// Spend summed by a key (a category or a service area).
#[derive(sqlx::FromRow)]
pub(super) struct TotalRow {
    pub item: String,
    pub total: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct KnownDpRow {
    id: String,
    person_ref: String,
    start_date: String,
    end_date: Option<String>,
}

impl TryFrom<KnownDpRow> for KnownDp {
    type Error = crate::StoreError;
    fn try_from(r: KnownDpRow) -> Result<KnownDp> {
        Ok(KnownDp {
            start: date("direct_payments", "start_date", &r.start_date)?,
            end: super::date_opt("direct_payments", "end_date", r.end_date.as_deref())?,
            id: r.id,
            person_ref: r.person_ref,
        })
    }
}

impl Store {
    /// One DP's spend by category: (category, pence), and its spend lines newest first.
    pub async fn dp_spend(&self, dp_id: &str) -> Result<(Vec<(String, i64)>, Vec<SpendLine>)> {
        let totals: Vec<TotalRow> = sqlx::query_as(
            "SELECT category AS item, CAST(SUM(amount_pence) AS BIGINT) AS total FROM dp_spend WHERE dp_id = $1 GROUP BY category ORDER BY category",
        )
        .bind(dp_id)
        .fetch_all(&self.pool)
        .await?;
        let lines: Vec<SpendLineRow> = sqlx::query_as(
            "SELECT spend_date, amount_pence, category FROM dp_spend WHERE dp_id = $1 ORDER BY spend_date DESC, id LIMIT 50",
        )
        .bind(dp_id)
        .fetch_all(&self.pool)
        .await?;
        Ok((
            totals.into_iter().map(|t| (t.item, t.total.unwrap_or(0))).collect(),
            lines.into_iter().map(SpendLine::try_from).collect::<Result<_>>()?,
        ))
    }

    /// Import spend rows all or nothing (core's `check_import` says which rows can be
    /// recorded). `Ok(Err(messages))` lists each bad row and nothing is written.
    pub async fn import_spend(
        &self,
        actor: &Actor,
        file_name: &str,
        rows: &[SpendRow],
    ) -> Result<std::result::Result<SpendImport, Vec<String>>> {
        let known: Vec<KnownDpRow> =
            sqlx::query_as("SELECT id, person_ref, start_date, end_date FROM direct_payments").fetch_all(&self.pool).await?;
        let known = known.into_iter().map(KnownDp::try_from).collect::<Result<Vec<_>>>()?;
        let good = match check_import(rows, &known) {
            Ok(good) => good,
            Err(problems) => return Ok(Err(problems)),
        };
        let import_id = new_id();
        let now = now_timestamp();
        let total: i64 = good.iter().map(|g| g.amount_pence).sum();
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO dp_spend_imports (id, file_name, row_count, total_pence, imported_at, actor_label) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&import_id)
            .bind(file_name)
            .bind(good.len() as i64)
            .bind(total)
            .bind(&now)
            .bind(&actor.label)
            .execute(&mut *tx)
            .await?;
        // Many rows per statement: a year's ledger is tens of thousands of rows.
        let spend: Vec<Vec<crate::bulk::Value>> = good
            .iter()
            .map(|g| {
                vec![
                    new_id().into(),
                    g.dp_id.clone().into(),
                    g.spend_date.to_string().into(),
                    g.amount_pence.into(),
                    g.category.to_string().into(),
                    import_id.clone().into(),
                    now.clone().into(),
                    g.merchant_category.clone().into(),
                ]
            })
            .collect();
        crate::bulk::insert_rows(
            &mut tx,
            "dp_spend",
            &["id", "dp_id", "spend_date", "amount_pence", "category", "import_id", "created_at", "merchant_category"],
            spend,
        )
        .await?;
        record(
            &mut tx,
            actor,
            "import",
            "dp_spend_import",
            Some(&import_id),
            &format!("Imported {} spend rows", good.len()),
            None,
            Some(&json!({"file": file_name, "rows": good.len(), "total_pence": total})),
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(SpendImport { id: import_id, rows: good.len(), total_pence: total }))
    }
}
