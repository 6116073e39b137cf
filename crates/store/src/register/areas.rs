//! Frameworks (and their lots) and the council's areas (groups of postcode districts).

use super::{corrupt, date_str};
use crate::audit::{Actor, record};
use crate::{Result, Store, new_id};
use caremarket_core::Date;
use caremarket_core::register::ServiceKind;
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct Framework {
    pub id: String,
    pub name: String,
    pub kind: Option<ServiceKind>,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    pub lots: Vec<Lot>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Lot {
    pub id: String,
    pub framework_id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Area {
    pub id: String,
    pub name: String,
    pub outward_codes: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct FrameworkRow {
    id: String,
    name: String,
    kind: Option<String>,
    starts_on: Option<String>,
    ends_on: Option<String>,
}

impl FrameworkRow {
    fn into_framework(self, lots: &[Lot]) -> Result<Framework> {
        let kind = self.kind.as_deref().map(|k| ServiceKind::parse(k).ok_or_else(|| corrupt("frameworks", "kind", k))).transpose()?;
        Ok(Framework {
            lots: lots.iter().filter(|l| l.framework_id == self.id).cloned().collect(),
            id: self.id,
            name: self.name,
            kind,
            starts_on: self.starts_on,
            ends_on: self.ends_on,
        })
    }
}
impl Store {
    pub async fn create_framework(
        &self,
        actor: &Actor,
        name: &str,
        kind: Option<ServiceKind>,
        starts_on: Option<Date>,
        ends_on: Option<Date>,
        lots: &[&str],
    ) -> Result<String> {
        let id = new_id();
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO frameworks (id, name, kind, starts_on, ends_on) VALUES ($1, $2, $3, $4, $5)")
            .bind(&id)
            .bind(name)
            .bind(kind.map(|k| k.as_str().to_string()))
            .bind(date_str(starts_on))
            .bind(date_str(ends_on))
            .execute(&mut *tx)
            .await?;
        for lot in lots {
            sqlx::query("INSERT INTO framework_lots (id, framework_id, name) VALUES ($1, $2, $3)")
                .bind(new_id())
                .bind(&id)
                .bind(*lot)
                .execute(&mut *tx)
                .await?;
        }
        record(&mut tx, actor, "create", "framework", Some(&id), &format!("Added framework {name}"), None, Some(&json!({"lots": lots})))
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn frameworks(&self) -> Result<Vec<Framework>> {
        let rows = sqlx::query_as::<_, FrameworkRow>("SELECT id, name, kind, starts_on, ends_on FROM frameworks ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        let lots =
            sqlx::query_as::<_, Lot>("SELECT id, framework_id, name FROM framework_lots ORDER BY name").fetch_all(&self.pool).await?;
        rows.into_iter().map(|r| r.into_framework(&lots)).collect()
    }

    pub async fn create_area(&self, actor: &Actor, name: &str, outward_codes: &[&str]) -> Result<String> {
        let id = new_id();
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO areas (id, name) VALUES ($1, $2)").bind(&id).bind(name).execute(&mut *tx).await?;
        for oc in outward_codes {
            sqlx::query("INSERT INTO area_districts (outward_code, area_id) VALUES ($1, $2)")
                .bind(oc.trim().to_uppercase())
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE services SET area_id = $1 WHERE outward_code = $2")
                .bind(&id)
                .bind(oc.trim().to_uppercase())
                .execute(&mut *tx)
                .await?;
        }
        record(
            &mut tx,
            actor,
            "create",
            "area",
            Some(&id),
            &format!("Added area {name}"),
            None,
            Some(&json!({"outward_codes": outward_codes})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn areas(&self) -> Result<Vec<Area>> {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT id, name FROM areas ORDER BY name").fetch_all(&self.pool).await?;
        let districts: Vec<(String, String)> =
            sqlx::query_as("SELECT outward_code, area_id FROM area_districts ORDER BY outward_code").fetch_all(&self.pool).await?;
        let mut by_area: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (code, area) in districts {
            by_area.entry(area).or_default().push(code);
        }
        Ok(rows.into_iter().map(|(id, name)| Area { outward_codes: by_area.remove(&id).unwrap_or_default(), id, name }).collect())
    }
}
