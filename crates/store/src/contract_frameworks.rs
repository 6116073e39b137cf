//! Contract frameworks (domain C1): the council's framework agreements, their lots, the service
//! kinds each covers, and which services are on which lot.
//!
//! A service is on at most one framework: membership is the service's own `framework_id` and
//! `lot_id` (with contract status "framework"), so the register, its filters and the figures
//! read it as before. The rules are `caremarket_core::register::framework`'s; every change is
//! written with its audit row in one transaction.

use crate::audit::record;
use crate::versions::{Versioned, check_current, saved};
use crate::{Actor, Result, Store, StoreError, new_id};
use caremarket_core::FieldError;
use caremarket_core::register::framework::{self, FrameworkDraft, check_member_kind};
use caremarket_core::register::{ContractStatus, ServiceKind};
use caremarket_core::versions::Version;
use serde::Serialize;
use serde_json::json;
use sqlx::{Any, Transaction};

#[derive(Debug, Clone, Serialize)]
pub struct ContractFramework {
    pub id: String,
    pub name: String,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    pub kinds: Vec<ServiceKind>,
    pub lots: Vec<ContractLot>,
    /// Services on the framework, all lots.
    pub members: i64,
    /// Raised by one on each change of its name, dates, kinds or lots (decision 25); putting
    /// services on lots or taking them off raises the service's version, not this.
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ContractLot {
    pub id: String,
    pub name: String,
    pub members: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FrameworkMember {
    pub service_id: String,
    pub service_name: String,
    pub provider_name: String,
    pub kind: ServiceKind,
    pub lot_id: String,
    pub lot_name: String,
}

#[derive(sqlx::FromRow)]
struct FrameworkRow {
    id: String,
    name: String,
    kind: Option<String>,
    starts_on: Option<String>,
    ends_on: Option<String>,
    version: i64,
}

fn decode_kind(table: &'static str, kind: &str) -> Result<ServiceKind> {
    ServiceKind::parse(kind).ok_or_else(|| crate::register::corrupt(table, "kind", kind))
}

fn first_error(errors: Vec<FieldError>) -> StoreError {
    errors.into_iter().next().map(StoreError::Invalid).unwrap_or_else(|| StoreError::invalid("name", "Check the framework"))
}

fn framework_json(f: &ContractFramework) -> serde_json::Value {
    json!({
        "name": f.name,
        "starts_on": f.starts_on,
        "ends_on": f.ends_on,
        "kinds": f.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        "lots": f.lots.iter().map(|l| l.name.clone()).collect::<Vec<_>>(),
    })
}

fn draft_json(d: &FrameworkDraft) -> serde_json::Value {
    json!({
        "name": d.name,
        "starts_on": d.starts_on.map(|d| d.to_string()),
        "ends_on": d.ends_on.map(|d| d.to_string()),
        "kinds": d.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        "lots": d.lots,
    })
}

async fn name_taken(tx: &mut Transaction<'_, Any>, name: &str, except: Option<&str>) -> Result<bool> {
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT id, name FROM frameworks").fetch_all(&mut **tx).await?;
    Ok(framework::name_taken(rows.iter().map(|(id, n)| (id.as_str(), n.as_str())), name, except))
}

async fn write_kinds(tx: &mut Transaction<'_, Any>, id: &str, kinds: &[ServiceKind]) -> Result<()> {
    sqlx::query("DELETE FROM framework_kinds WHERE framework_id = $1").bind(id).execute(&mut **tx).await?;
    for k in kinds {
        sqlx::query("INSERT INTO framework_kinds (framework_id, kind) VALUES ($1, $2)")
            .bind(id)
            .bind(k.as_str())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

impl Store {
    /// Every framework, by name, with its kinds, lots and member counts.
    pub async fn contract_frameworks(&self) -> Result<Vec<ContractFramework>> {
        let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM frameworks ORDER BY name").fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.contract_framework(&id).await?);
        }
        Ok(out)
    }

    pub async fn contract_framework(&self, id: &str) -> Result<ContractFramework> {
        let row: FrameworkRow = sqlx::query_as("SELECT id, name, kind, starts_on, ends_on, version FROM frameworks WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("framework {id}")))?;
        let kind_rows: Vec<String> =
            sqlx::query_scalar("SELECT kind FROM framework_kinds WHERE framework_id = $1").bind(id).fetch_all(&self.pool).await?;
        let mut kinds: Vec<ServiceKind> = kind_rows.iter().map(|k| decode_kind("framework_kinds", k)).collect::<Result<_>>()?;
        if kinds.is_empty() {
            // Frameworks made before framework_kinds existed (and the demo's) name one kind.
            if let Some(k) = &row.kind {
                kinds.push(decode_kind("frameworks", k)?);
            }
        }
        kinds = ServiceKind::ALL.into_iter().filter(|k| kinds.contains(k)).collect();
        let lots = sqlx::query_as::<_, ContractLot>(
            "SELECT l.id, l.name, (SELECT COUNT(*) FROM services s WHERE s.lot_id = l.id) AS members
             FROM framework_lots l WHERE l.framework_id = $1 ORDER BY l.name",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let members: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM services WHERE framework_id = $1").bind(id).fetch_one(&self.pool).await?;
        Ok(ContractFramework {
            id: row.id,
            name: row.name,
            starts_on: row.starts_on,
            ends_on: row.ends_on,
            kinds,
            lots,
            members,
            version: row.version,
        })
    }

    /// The services on a framework, by lot then name.
    pub async fn framework_members(&self, framework_id: &str) -> Result<Vec<FrameworkMember>> {
        let rows: Vec<(String, String, String, String, String, String)> = sqlx::query_as(
            "SELECT s.id, s.name, p.name AS provider_name, s.kind, l.id AS lot_id, l.name AS lot_name
             FROM services s JOIN providers p ON p.id = s.provider_id JOIN framework_lots l ON l.id = s.lot_id
             WHERE s.framework_id = $1 ORDER BY l.name, s.name",
        )
        .bind(framework_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(service_id, service_name, provider_name, kind, lot_id, lot_name)| {
                Ok(FrameworkMember { kind: decode_kind("services", &kind)?, service_id, service_name, provider_name, lot_id, lot_name })
            })
            .collect()
    }

    /// A new framework with its lots and kinds; audited. Returns its id.
    pub async fn create_contract_framework(&self, actor: &Actor, draft: &FrameworkDraft) -> Result<String> {
        let d = draft.validated().map_err(first_error)?;
        let id = new_id();
        let mut tx = self.begin_write().await?;
        if name_taken(&mut tx, &d.name, None).await? {
            return Err(StoreError::invalid("name", format!("There is already a framework called {}", d.name)));
        }
        sqlx::query("INSERT INTO frameworks (id, name, kind, starts_on, ends_on) VALUES ($1, $2, $3, $4, $5)")
            .bind(&id)
            .bind(&d.name)
            .bind(single_kind(&d.kinds))
            .bind(d.starts_on.map(|x| x.to_string()))
            .bind(d.ends_on.map(|x| x.to_string()))
            .execute(&mut *tx)
            .await?;
        write_kinds(&mut tx, &id, &d.kinds).await?;
        for lot in &d.lots {
            sqlx::query("INSERT INTO framework_lots (id, framework_id, name) VALUES ($1, $2, $3)")
                .bind(new_id())
                .bind(&id)
                .bind(lot)
                .execute(&mut *tx)
                .await?;
        }
        record(&mut tx, actor, "create", "framework", Some(&id), &format!("Added framework {}", d.name), None, Some(&draft_json(&d)))
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Change a framework's name, dates, kinds and lots. Lots are matched by name (ignoring
    /// case): a lot no longer listed is removed, a new name is a new lot. A lot that still has
    /// services, or a kind that services on the framework still are, cannot be removed.
    /// Made from version `expected` of the framework: a framework changed since is refused
    /// (`Stale`), and nothing of this change is written.
    pub async fn update_contract_framework(&self, actor: &Actor, id: &str, draft: &FrameworkDraft, expected: Version) -> Result<()> {
        let before = self.contract_framework(id).await?;
        check_current(before.version, expected)?;
        let d = draft.validated().map_err(first_error)?;
        let members = self.framework_members(id).await?;
        if let Some(m) = members.iter().find(|m| !d.kinds.contains(&m.kind)) {
            return Err(StoreError::invalid(
                "kinds",
                format!(
                    "{} on this framework is {}: keep that type of service, or remove it from the framework first",
                    m.service_name,
                    m.kind.label().to_lowercase()
                ),
            ));
        }
        let removed: Vec<&ContractLot> =
            before.lots.iter().filter(|l| !d.lots.iter().any(|n| n.to_lowercase() == l.name.to_lowercase())).collect();
        if let Some(l) = removed.iter().find(|l| l.members > 0) {
            return Err(StoreError::invalid(
                "lots",
                format!(
                    "{} has {} service{}: move or remove them before removing the lot",
                    l.name,
                    l.members,
                    if l.members == 1 { "" } else { "s" }
                ),
            ));
        }
        for l in &removed {
            if self.lot_has_fee_rates(&l.id).await? {
                return Err(StoreError::invalid(
                    "lots",
                    format!("{} has rates on the rate card (/fees): a lot with rates cannot be removed", l.name),
                ));
            }
        }
        let mut tx = self.begin_write().await?;
        if name_taken(&mut tx, &d.name, Some(id)).await? {
            return Err(StoreError::invalid("name", format!("There is already a framework called {}", d.name)));
        }
        let changed = sqlx::query(
            "UPDATE frameworks SET name = $1, kind = $2, starts_on = $3, ends_on = $4, version = version + 1 WHERE id = $5 AND version = $6",
        )
        .bind(&d.name)
        .bind(single_kind(&d.kinds))
        .bind(d.starts_on.map(|x| x.to_string()))
        .bind(d.ends_on.map(|x| x.to_string()))
        .bind(id)
        .bind(expected.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        saved(&mut tx, Versioned::Frameworks, id, changed).await?;
        write_kinds(&mut tx, id, &d.kinds).await?;
        for l in &removed {
            sqlx::query("DELETE FROM framework_lots WHERE id = $1").bind(&l.id).execute(&mut *tx).await?;
        }
        for name in &d.lots {
            match before.lots.iter().find(|l| l.name.to_lowercase() == name.to_lowercase()) {
                // Same lot: keep its id (and members), take the new spelling.
                Some(l) => {
                    sqlx::query("UPDATE framework_lots SET name = $1 WHERE id = $2").bind(name).bind(&l.id).execute(&mut *tx).await?;
                }
                None => {
                    sqlx::query("INSERT INTO framework_lots (id, framework_id, name) VALUES ($1, $2, $3)")
                        .bind(new_id())
                        .bind(id)
                        .bind(name)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        record(
            &mut tx,
            actor,
            "update",
            "framework",
            Some(id),
            &format!("Changed framework {}", d.name),
            Some(&framework_json(&before)),
            Some(&draft_json(&d)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Put a service on a lot of a framework (or move it to another lot of the same one). Its
    /// contract status becomes "framework". Refused for a lot of another framework, a kind the
    /// framework does not cover, or a service already on a different framework.
    pub async fn add_framework_member(&self, actor: &Actor, framework_id: &str, lot_id: &str, service_id: &str) -> Result<()> {
        let fw = self.contract_framework(framework_id).await?;
        let Some(lot) = fw.lots.iter().find(|l| l.id == lot_id) else {
            return Err(StoreError::invalid("lot_id", format!("Choose a lot of {}", fw.name)));
        };
        let service = match self.service(service_id).await {
            Ok(s) => s,
            Err(StoreError::NotFound(_)) => return Err(StoreError::invalid("service_id", "Choose a service from the register")),
            Err(e) => return Err(e),
        };
        check_member_kind(&fw.name, &fw.kinds, service.kind)?;
        if let Some(other) = service.framework_id.as_deref().filter(|f| *f != framework_id) {
            let other_name = self.contract_framework(other).await.map(|f| f.name).unwrap_or_else(|_| "another framework".into());
            return Err(StoreError::invalid("service_id", format!("{} is on {other_name}: remove it from there first", service.name)));
        }
        if service.lot_id.as_deref() == Some(lot_id) {
            return Err(StoreError::invalid("service_id", format!("{} is already on {}", service.name, lot.name)));
        }
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE services SET contract_status = $1, framework_id = $2, lot_id = $3, updated_at = $4, version = version + 1 WHERE id = $5")
            .bind(ContractStatus::Framework.as_str())
            .bind(framework_id)
            .bind(lot_id)
            .bind(crate::now_timestamp())
            .bind(service_id)
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            "update",
            "service",
            Some(service_id),
            &format!("Put {} on {}, {}", service.name, fw.name, lot.name),
            Some(&json!({"contract_status": service.contract_status.as_str(), "framework_id": service.framework_id, "lot_id": service.lot_id})),
            Some(&json!({"contract_status": ContractStatus::Framework.as_str(), "framework_id": framework_id, "lot_id": lot_id})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Take a service off a framework. Its contract status becomes "not contracted" (an officer
    /// sets another on the service's page if the council still buys from it another way).
    pub async fn remove_framework_member(&self, actor: &Actor, framework_id: &str, service_id: &str) -> Result<()> {
        let fw = self.contract_framework(framework_id).await?;
        let service = match self.service(service_id).await {
            Ok(s) => s,
            Err(StoreError::NotFound(_)) => return Err(StoreError::invalid("service_id", "Choose a service from the register")),
            Err(e) => return Err(e),
        };
        if service.framework_id.as_deref() != Some(framework_id) {
            return Err(StoreError::invalid("service_id", format!("{} is not on {}", service.name, fw.name)));
        }
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE services SET contract_status = $1, framework_id = NULL, lot_id = NULL, updated_at = $2, version = version + 1 WHERE id = $3")
            .bind(ContractStatus::NotContracted.as_str())
            .bind(crate::now_timestamp())
            .bind(service_id)
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            "update",
            "service",
            Some(service_id),
            &format!("Took {} off {}", service.name, fw.name),
            Some(&json!({"contract_status": service.contract_status.as_str(), "framework_id": service.framework_id, "lot_id": service.lot_id})),
            Some(&json!({"contract_status": ContractStatus::NotContracted.as_str(), "framework_id": null, "lot_id": null})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The old single-kind column, for readers that know only it: the kind when there is one, none
/// (as it always meant) when a framework covers several.
fn single_kind(kinds: &[ServiceKind]) -> Option<String> {
    match kinds {
        [only] => Some(only.as_str().to_string()),
        _ => None,
    }
}
