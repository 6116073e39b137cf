//! Provider exit (`000` RPL removal and provider failure; `004`): when a provider closes or is
//! removed, an exit plan lists every person and placement affected and tracks each to a new
//! arrangement until all are done.
//!
//! Shared by quality assurance (a provider's exit) and direct payments (removal from the
//! Recognised Provider List). The plans are issue 5's `exit_plans` and `exit_plan_items`; plans
//! opened here have context `provider_exit` and, when one service closes, its `service_id`.
//! Core's `exit_plans` decides what a plan holds and what may be recorded; this gathers and saves.
//! The people affected are gathered from the records the system holds: open out-of-area
//! placements at the services, home care packages placed with them (accepted or started), and,
//! when the whole provider exits, the Individual Service Funds it holds and the direct payments
//! it manages as a money management company. Officers add anyone else by case reference.

use crate::audit::{Actor, record};
use crate::direct_payments::ExitPlan;
use crate::query::SqlBuilder;
use crate::versions::{Versioned, check_current, saved};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::capacity::packages::PackageStatus;
use caremarket_core::exit_plans::ExitPlanContent;
pub use caremarket_core::exit_plans::{Affected, EXIT_REASONS, NewProviderExit, SOURCE_TYPES, source_label};
use caremarket_core::exit_plans::{CONTEXT_PROVIDER_EXIT, ItemStatus, SOURCE_REFERENCE, check_arrangement, check_reference, is_overdue};
use caremarket_core::restrictions::RestrictionKind;
use caremarket_core::versions::Version;
use serde::Serialize;
use serde_json::json;
use sqlx::AssertSqlSafe;

/// An exit plan with its service (when for one) and progress, for the quality pages.
#[derive(Debug, Clone, Serialize)]
pub struct ExitPlanView {
    pub plan: ExitPlan,
    pub service_id: Option<String>,
    pub service_name: Option<String>,
    pub done: usize,
    pub total: usize,
    pub overdue: bool,
}

impl Store {
    /// Everyone affected if `provider_id` (or just `service_id`) exits, from the records held.
    pub async fn exit_affected(&self, provider_id: &str, service_id: Option<&str>) -> Result<Vec<Affected>> {
        let (cond, key) = match service_id {
            Some(s) => ("s.id = $1", s),
            None => ("s.provider_id = $1", provider_id),
        };
        let affected = |source: &str, (id, person_ref, detail): (String, String, Option<String>)| Affected {
            person_ref,
            source_type: source.into(),
            source_id: Some(id),
            detail,
        };
        let mut out = Vec::new();
        let placements: Vec<(String, String, Option<String>)> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT pl.id, pl.person_ref, s.name FROM placements pl JOIN services s ON s.id = pl.service_id
             WHERE {cond} AND pl.end_date IS NULL ORDER BY s.name, pl.person_ref"
        )))
        .bind(key)
        .fetch_all(&self.pool)
        .await?;
        out.extend(placements.into_iter().map(|r| affected("placement", r)));
        // Packages placed with the services: core's statuses of a package that has a provider.
        let mut packages =
            SqlBuilder::new("SELECT pr.id, pr.person_ref, s.name FROM package_requests pr JOIN services s ON s.id = pr.service_id WHERE ");
        packages
            .push(if service_id.is_some() { "s.id = " } else { "s.provider_id = " })
            .push_bind(key)
            .push(" AND pr.status IN (")
            .push_bind_list(PackageStatus::ALL.into_iter().filter(|s| s.is_placed()).map(PackageStatus::as_str))
            .push(") ORDER BY s.name, pr.person_ref");
        let packages: Vec<(String, String, Option<String>)> = packages.query_as().fetch_all(&self.pool).await?;
        out.extend(packages.into_iter().map(|r| affected("package", r)));
        if service_id.is_none() {
            let isfs: Vec<(String, String, Option<String>)> = sqlx::query_as(
                "SELECT id, person_ref, NULL AS detail FROM isfs WHERE provider_id = $1 AND end_date IS NULL ORDER BY person_ref",
            )
            .bind(provider_id)
            .fetch_all(&self.pool)
            .await?;
            out.extend(isfs.into_iter().map(|r| affected("isf", r)));
            let dps: Vec<(String, String, Option<String>)> = sqlx::query_as(
                "SELECT id, person_ref, NULL AS detail FROM direct_payments WHERE mm_provider_id = $1 AND end_date IS NULL ORDER BY person_ref",
            )
            .bind(provider_id)
            .fetch_all(&self.pool)
            .await?;
            out.extend(dps.into_iter().map(|r| affected("direct_payment", r)));
        }
        Ok(out)
    }

    /// Open a provider exit plan with everyone affected (gathered now) and any extra references,
    /// in one transaction with its audit record (and the embargo, when asked for).
    pub async fn open_provider_exit(&self, actor: &Actor, e: &NewProviderExit) -> Result<String> {
        let provider =
            self.provider(&e.provider_id).await.map_err(|_| StoreError::invalid("provider_id", "Choose the provider that is exiting"))?;
        let service = match e.service_id.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => {
                let svc = self.service(s).await.map_err(|_| StoreError::invalid("service_id", "Choose one of the provider's services"))?;
                if svc.provider_id != provider.id {
                    return Err(StoreError::invalid("service_id", "Choose one of the provider's services"));
                }
                Some(svc)
            }
            None => None,
        };
        let affected = self.exit_affected(&provider.id, service.as_ref().map(|s| s.id.as_str())).await?;
        let ExitPlanContent { reason, items } = e.plan(crate::today(), affected)?;
        let id = new_id();
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO exit_plans (id, provider_id, reason, planned, context, opened_on, target_date, closed_on, created_at, updated_at, service_id)
             VALUES ($1, $2, $3, $4, $10, $5, $6, $7, $8, $8, $9)",
        )
        .bind(&id)
        .bind(&provider.id)
        .bind(&reason)
        .bind(i64::from(e.planned))
        .bind(e.opened_on.to_string())
        .bind(e.target_date.map(|d| d.to_string()))
        .bind(items.is_empty().then(|| e.opened_on.to_string()))
        .bind(&now)
        .bind(service.as_ref().map(|s| s.id.clone()))
        .bind(CONTEXT_PROVIDER_EXIT)
        .execute(&mut *tx)
        .await?;
        for a in &items {
            sqlx::query(
                "INSERT INTO exit_plan_items (id, exit_plan_id, person_ref, source_type, source_id, status, notes, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $8, $6, $7)",
            )
            .bind(new_id())
            .bind(&id)
            .bind(&a.person_ref)
            .bind(&a.source_type)
            .bind(a.source_id.clone())
            .bind(a.detail.clone())
            .bind(&now)
            .bind(ItemStatus::Open.as_str())
            .execute(&mut *tx)
            .await?;
        }
        let by_source = |t: &str| items.iter().filter(|a| a.source_type == t).count();
        record(
            &mut tx,
            actor,
            "create",
            "exit_plan",
            Some(&id),
            &format!(
                "Opened a provider exit plan for {}{} with {} people",
                provider.name,
                service.as_ref().map(|s| format!(" ({})", s.name)).unwrap_or_default(),
                items.len()
            ),
            None,
            Some(&json!({
                "provider_id": provider.id, "service_id": service.as_ref().map(|s| s.id.clone()), "planned": e.planned,
                "context": "provider_exit", "reason": reason, "opened_on": e.opened_on.to_string(),
                "target_date": e.target_date.map(|d| d.to_string()),
                "people": items.len(), "placements": by_source("placement"), "packages": by_source("package"),
                "isfs": by_source("isf"), "direct_payments": by_source("direct_payment"), "by_reference": by_source("reference"),
            })),
        )
        .await?;
        if let (true, Some(s)) = (e.embargo, &service) {
            let rid = new_id();
            let why = format!("Provider exit: {reason}");
            sqlx::query(
                "INSERT INTO placement_restrictions (id, service_id, kind, scope, reason, starts_on, ends_on, recorded_by, created_at, updated_at)
                 VALUES ($1, $2, $7, NULL, $3, $4, NULL, $5, $6, $6)",
            )
            .bind(&rid)
            .bind(&s.id)
            .bind(&why)
            .bind(e.opened_on.to_string())
            .bind(&actor.label)
            .bind(&now)
            .bind(RestrictionKind::Embargo.as_str())
            .execute(&mut *tx)
            .await?;
            record(
                &mut tx,
                actor,
                "create",
                "placement_restriction",
                Some(&rid),
                &format!("Placement embargo at {} (provider exit)", s.name),
                None,
                Some(&json!({"service_id": s.id, "kind": "embargo", "starts_on": e.opened_on.to_string(), "exit_plan_id": id})),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Add a person the system does not hold to an open plan, by case reference.
    pub async fn add_exit_reference(&self, actor: &Actor, plan_id: &str, person_ref: &str) -> Result<String> {
        let plan = self.exit_plan(plan_id).await?;
        let on_plan: Vec<&str> = plan.items.iter().map(|i| i.person_ref.as_str()).collect();
        let r = check_reference(person_ref, &on_plan)?;
        let id = new_id();
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO exit_plan_items (id, exit_plan_id, person_ref, source_type, source_id, status, updated_at) VALUES ($1, $2, $3, $5, NULL, $6, $4)",
        )
        .bind(&id)
        .bind(plan_id)
        .bind(&r)
        .bind(&now)
        .bind(SOURCE_REFERENCE)
        .bind(ItemStatus::Open.as_str())
        .execute(&mut *tx)
        .await?;
        // A closed plan opens again: someone else still needs a new arrangement.
        sqlx::query("UPDATE exit_plans SET closed_on = NULL, updated_at = $1 WHERE id = $2")
            .bind(&now)
            .bind(plan_id)
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            "create",
            "exit_plan_item",
            Some(&id),
            "Added a person to an exit plan by case reference",
            Some(&json!({"exit_plan_id": plan_id, "closed_on": plan.closed_on})),
            Some(&json!({"exit_plan_id": plan_id, "source_type": "reference", "closed_on": null})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Record a person's new arrangement; `done_on` (not in the future, not before the plan
    /// opened) marks them moved. The plan closes on the last done date when every item is done,
    /// and reopens if an item is set back. From the form opened at `expected` (decision 25):
    /// saved by someone else since, it is refused with `Stale` and nothing is written.
    pub async fn record_exit_arrangement(
        &self,
        actor: &Actor,
        plan_id: &str,
        item_id: &str,
        new_arrangement: &str,
        done_on: Option<Date>,
        expected: Version,
    ) -> Result<()> {
        let plan = self.exit_plan(plan_id).await?;
        let item = plan.items.iter().find(|i| i.id == item_id).ok_or_else(|| StoreError::NotFound(format!("exit plan item {item_id}")))?;
        check_current(item.version, expected)?;
        let opened_on = StoreError::decode::<Date>("exit_plans", "opened_on", &plan.opened_on)?;
        let arrangement = check_arrangement(new_arrangement, done_on, opened_on, crate::today())?;
        let status = ItemStatus::of_arrangement(done_on).as_str();
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE exit_plan_items SET new_arrangement = $1, status = $2, done_on = $3, updated_at = $4, version = version + 1
             WHERE id = $5 AND version = $6",
        )
        .bind(&arrangement)
        .bind(status)
        .bind(done_on.map(|d| d.to_string()))
        .bind(&now)
        .bind(item_id)
        .bind(expected.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        saved(&mut tx, Versioned::ExitPlanItems, item_id, changed).await?;
        let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM exit_plan_items WHERE exit_plan_id = $1 AND status <> $2")
            .bind(plan_id)
            .bind(ItemStatus::Done.as_str())
            .fetch_one(&mut *tx)
            .await?;
        let last: Option<String> = sqlx::query_scalar("SELECT MAX(done_on) FROM exit_plan_items WHERE exit_plan_id = $1")
            .bind(plan_id)
            .fetch_one(&mut *tx)
            .await?;
        let closed_on = if open == 0 { last.or_else(|| done_on.map(|d| d.to_string())) } else { None };
        sqlx::query("UPDATE exit_plans SET closed_on = $1, updated_at = $2 WHERE id = $3")
            .bind(closed_on.clone())
            .bind(&now)
            .bind(plan_id)
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            "update",
            "exit_plan_item",
            Some(item_id),
            if open == 0 { "Recorded a new arrangement: all arrangements made, exit plan closed" } else { "Recorded a new arrangement in an exit plan" },
            Some(&json!({"exit_plan_id": plan_id, "status": item.status, "new_arrangement": item.new_arrangement, "done_on": item.done_on, "plan_closed_on": plan.closed_on})),
            Some(&json!({"exit_plan_id": plan_id, "status": status, "new_arrangement": arrangement, "done_on": done_on.map(|d| d.to_string()), "plan_closed_on": closed_on})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn plan_view(&self, plan: ExitPlan, today: Date) -> Result<ExitPlanView> {
        let (service_id, service_name): (Option<String>, Option<String>) =
            sqlx::query_as("SELECT e.service_id, s.name FROM exit_plans e LEFT JOIN services s ON s.id = e.service_id WHERE e.id = $1")
                .bind(&plan.id)
                .fetch_one(&self.pool)
                .await?;
        let total = plan.items.len();
        let done = total - plan.open_items;
        let target = plan.target_date.as_deref().map(|t| StoreError::decode::<Date>("exit_plans", "target_date", t)).transpose()?;
        let overdue = is_overdue(plan.closed_on.as_deref(), target, today);
        Ok(ExitPlanView { service_id, service_name, done, total, overdue, plan })
    }

    /// One plan with its service and progress.
    pub async fn exit_plan_view(&self, id: &str, today: Date) -> Result<ExitPlanView> {
        let plan = self.exit_plan(id).await?;
        self.plan_view(plan, today).await
    }

    /// Every exit plan (all contexts), open first (overdue first among them), then newest.
    pub async fn exit_plan_views(&self, today: Date) -> Result<Vec<ExitPlanView>> {
        let mut v = Vec::new();
        for p in self.exit_plans(None).await? {
            v.push(self.plan_view(p, today).await?);
        }
        v.sort_by(|a, b| {
            (a.plan.closed_on.is_some(), !a.overdue, std::cmp::Reverse(a.plan.opened_on.clone())).cmp(&(
                b.plan.closed_on.is_some(),
                !b.overdue,
                std::cmp::Reverse(b.plan.opened_on.clone()),
            ))
        });
        Ok(v)
    }

    /// Plans touching a service: those for the service, and those for its whole provider.
    pub async fn exit_plans_for_service(&self, service_id: &str, today: Date) -> Result<Vec<ExitPlanView>> {
        let service = self.service(service_id).await?;
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM exit_plans WHERE service_id = $1 OR (service_id IS NULL AND provider_id = $2) ORDER BY opened_on DESC, id DESC",
        )
        .bind(service_id)
        .bind(&service.provider_id)
        .fetch_all(&self.pool)
        .await?;
        let mut v = Vec::new();
        for id in ids {
            v.push(self.exit_plan_view(&id, today).await?);
        }
        Ok(v)
    }
}
