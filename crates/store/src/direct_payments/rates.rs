//! The rate tools' data: the council's PA rate cards and private fees gathered from providers.

use super::date;
use crate::audit::{Actor, record};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::direct_payments::pa_rates::{self, RateCard};
use caremarket_core::direct_payments::provider_rates::{ServiceType, check_fee};
use serde::Serialize;
use serde_json::json;

#[derive(Debug, Clone, Serialize)]
pub struct ProviderFee {
    pub id: String,
    pub provider_id: Option<String>,
    pub provider_name: String,
    pub service_type: ServiceType,
    pub fee_pence: i64,
    pub gathered_on: Date,
    pub source: String,
}

#[derive(sqlx::FromRow)]
struct FeeRow {
    id: String,
    provider_id: Option<String>,
    provider_name: String,
    service_type: String,
    fee_pence: i64,
    gathered_on: String,
    source: String,
}

impl TryFrom<FeeRow> for ProviderFee {
    type Error = StoreError;
    fn try_from(r: FeeRow) -> Result<ProviderFee> {
        Ok(ProviderFee {
            service_type: StoreError::decode("provider_fees", "service_type", &r.service_type)?,
            gathered_on: date("provider_fees", "gathered_on", &r.gathered_on)?,
            id: r.id,
            provider_id: r.provider_id,
            provider_name: r.provider_name,
            fee_pence: r.fee_pence,
            source: r.source,
        })
    }
}

impl Store {
    /// The shipped statutory cards and the council's own, oldest first.
    pub async fn pa_rate_cards(&self) -> Result<Vec<RateCard>> {
        let mut cards = pa_rates::default_cards();
        for json in sqlx::query_scalar::<_, String>("SELECT card_json FROM pa_rate_cards ORDER BY effective_from, created_at")
            .fetch_all(&self.pool)
            .await?
        {
            let card = serde_json::from_str::<RateCard>(&json).map_err(|_| StoreError::Corrupt {
                table: "pa_rate_cards",
                column: "card_json",
                value: json.clone(),
            })?;
            cards.push(card);
        }
        cards.sort_by_key(|c| c.effective_from);
        Ok(cards)
    }

    pub async fn add_pa_rate_card(&self, actor: &Actor, card: &RateCard) -> Result<String> {
        card.check()?;
        let id = new_id();
        let body = serde_json::to_string(card).map_err(|e| StoreError::invalid("card", e.to_string()))?;
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO pa_rate_cards (id, name, effective_from, card_json, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&id)
            .bind(card.name.trim())
            .bind(card.effective_from.to_string())
            .bind(&body)
            .bind(now_timestamp())
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            "create",
            "pa_rate_card",
            Some(&id),
            &format!("Added PA rate card '{}'", card.name.trim()),
            None,
            serde_json::from_str(&body).ok().as_ref(),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Record a private fee; `provider_id` names a provider on the register (whose name is
    /// used), otherwise `provider_name` is the provider's.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_provider_fee(
        &self,
        actor: &Actor,
        provider_id: Option<&str>,
        provider_name: &str,
        service_type: &str,
        fee_pence: i64,
        on: Date,
        source: &str,
    ) -> Result<String> {
        let provider_id = provider_id.filter(|s| !s.is_empty());
        let name = match provider_id {
            Some(p) => self.provider(p).await.map_err(|_| StoreError::invalid("provider_id", "Choose a provider from the register"))?.name,
            None => provider_name.to_string(),
        };
        let fee = check_fee(&name, service_type, fee_pence, on, source, crate::today())?;
        let id = new_id();
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO provider_fees (id, provider_id, provider_name, service_type, fee_pence, gathered_on, source, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&id)
            .bind(provider_id.map(str::to_string))
            .bind(&fee.provider_name)
            .bind(fee.service_type.as_str())
            .bind(fee.fee_pence)
            .bind(fee.gathered_on.to_string())
            .bind(&fee.source)
            .bind(now_timestamp())
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            "create",
            "provider_fee",
            Some(&id),
            &format!("Recorded a private fee for {}", fee.provider_name),
            None,
            Some(&json!({"service_type": fee.service_type, "fee_pence": fee.fee_pence, "gathered_on": fee.gathered_on.to_string()})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Fees gathered for a service type on or after `since`, lowest first.
    pub async fn provider_fees(&self, service_type: &str, since: Option<Date>) -> Result<Vec<ProviderFee>> {
        let rows: Vec<FeeRow> = sqlx::query_as("SELECT id, provider_id, provider_name, service_type, fee_pence, gathered_on, source FROM provider_fees WHERE service_type = $1 AND gathered_on >= $2 ORDER BY fee_pence, provider_name")
            .bind(service_type)
            .bind(since.map(|d| d.to_string()).unwrap_or_else(|| "0000-01-01".into()))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(ProviderFee::try_from).collect()
    }
}
