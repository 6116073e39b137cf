//! Declared spare capacity: home care hours a week in an area for a lot (what brokerage offers
//! packages against), or beds. The latest declaration for a service, area and category counts.

use crate::audit::{Actor, record};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::capacity::brokerage::check_spare_capacity;
use serde::Serialize;
use serde_json::json;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SpareDeclaration {
    pub id: String,
    pub service_id: String,
    pub service_name: String,
    pub provider_id: String,
    pub area_id: Option<String>,
    pub area_name: Option<String>,
    pub category: String,
    pub unit: String,
    pub amount: i64,
    pub declared_on: String,
}

impl Store {
    /// A provider's declared spare capacity: home care hours a week (as minutes) in an area for
    /// a lot, or beds of a type. Replaces the service's earlier declaration for the same area and
    /// category from then on (the latest counts).
    #[allow(clippy::too_many_arguments)]
    pub async fn declare_spare_capacity(
        &self,
        actor: &Actor,
        service_id: &str,
        area_id: Option<&str>,
        category: &str,
        unit: &str,
        amount: i64,
        declared_on: Date,
    ) -> Result<String> {
        let service =
            self.service(service_id).await.map_err(|_| StoreError::invalid("service_id", "Choose a service from the register"))?;
        check_spare_capacity(unit, amount)?;
        if let Some(a) = area_id
            && !self.areas().await?.iter().any(|x| x.id == a)
        {
            return Err(StoreError::invalid("area_id", "Choose an area"));
        }
        let id = new_id();
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO spare_capacity (id, service_id, area_id, category, unit, amount, declared_on, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&id)
            .bind(service_id)
            .bind(area_id.map(str::to_string))
            .bind(category)
            .bind(unit)
            .bind(amount)
            .bind(declared_on.to_string())
            .bind(now_timestamp())
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            "create",
            "spare_capacity",
            Some(&id),
            &format!("Spare capacity declared for {}", service.name),
            None,
            Some(&json!({"service_id": service_id, "area_id": area_id, "category": category, "unit": unit, "amount": amount})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The latest declaration of every service for each area and category.
    pub async fn spare_capacity(&self) -> Result<Vec<SpareDeclaration>> {
        let rows = sqlx::query_as::<_, SpareDeclaration>(
            "SELECT c.id, c.service_id, s.name AS service_name, s.provider_id, c.area_id, a.name AS area_name, c.category, c.unit, c.amount, c.declared_on, c.created_at
             FROM spare_capacity c JOIN services s ON s.id = c.service_id LEFT JOIN areas a ON a.id = c.area_id
             ORDER BY c.declared_on DESC, c.created_at DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for d in rows {
            if seen.insert((d.service_id.clone(), d.area_id.clone(), d.category.clone())) {
                out.push(d);
            }
        }
        Ok(out)
    }
}
