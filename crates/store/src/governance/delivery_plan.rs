//! The delivery plan: header, themes, milestones and every dated update (never overwritten).

use crate::audit::record;
use crate::versions::{Versioned, check_current, saved};
use crate::{Actor, Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::governance::delivery_plan::{ByWhen, Milestone, NewUpdate, Plan, PlanHeader, PlanRow, PlanStatus, Theme, Update};
use caremarket_core::quality::Rag;
use caremarket_core::versions::Version;
use serde::Serialize;
use serde_json::json;
use sqlx::{Any, Transaction};

/// A plan in the list of plans.
#[derive(Debug, Clone, Serialize)]
pub struct PlanSummary {
    pub id: String,
    pub title: String,
    pub committee: String,
    pub milestones: i64,
    pub updated_at: String,
}

/// What an import of a delivery plan table did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct PlanImport {
    pub themes_added: usize,
    pub milestones_added: usize,
    pub updates: usize,
    /// Rows whose words stated no status: (row, the words as written). Imported with no status.
    pub unmapped: Vec<(u64, String)>,
}

#[derive(sqlx::FromRow)]
struct PlanRecord {
    id: String,
    title: String,
    ambition: String,
    context: String,
    accountable_officer: String,
    lead: String,
    committee: String,
    created_at: String,
    updated_at: String,
}

#[derive(sqlx::FromRow)]
struct ThemeRecord {
    id: String,
    title: String,
}

#[derive(sqlx::FromRow)]
struct MilestoneRecord {
    id: String,
    theme_id: String,
    action: String,
    added_on: String,
}

#[derive(sqlx::FromRow)]
struct UpdateRecord {
    id: String,
    milestone_id: String,
    dated_on: String,
    update_text: String,
    by_when_text: String,
    by_when_date: Option<String>,
    status: Option<String>,
    status_as_written: Option<String>,
    rag: Option<String>,
    recorded_by: String,
    recorded_at: String,
}

fn decode_opt<T>(table: &'static str, column: &'static str, v: Option<&str>, parse: impl Fn(&str) -> Option<T>) -> Result<Option<T>> {
    v.map(|s| parse(s).ok_or_else(|| StoreError::Corrupt { table, column, value: s.to_string() })).transpose()
}

impl UpdateRecord {
    fn into_update(self) -> Result<Update> {
        Ok(Update {
            dated_on: StoreError::decode("plan_updates", "dated_on", &self.dated_on)?,
            by_when: ByWhen {
                text: self.by_when_text,
                date: decode_opt("plan_updates", "by_when_date", self.by_when_date.as_deref(), |s| s.parse().ok())?,
            },
            status: decode_opt("plan_updates", "status", self.status.as_deref(), PlanStatus::parse)?,
            rag: decode_opt("plan_updates", "rag", self.rag.as_deref(), Rag::parse)?,
            id: self.id,
            text: self.update_text,
            status_as_written: self.status_as_written,
            recorded_by: self.recorded_by,
            recorded_at: self.recorded_at,
        })
    }
}

fn header_json(h: &PlanHeader) -> serde_json::Value {
    json!({
        "title": h.title, "ambition": h.ambition, "context": h.context,
        "accountable_officer": h.accountable_officer, "lead": h.lead, "committee": h.committee,
    })
}

fn update_json(u: &NewUpdate) -> serde_json::Value {
    json!({
        "dated_on": u.dated_on.to_string(), "update": u.text, "by_when": u.by_when.text,
        "status": u.status.map(|s| s.as_str()), "status_as_written": u.status_as_written,
        "rag": u.rag.map(|r| r.as_str()),
    })
}

async fn touch_plan(tx: &mut Transaction<'_, Any>, plan_id: &str) -> Result<()> {
    sqlx::query("UPDATE delivery_plans SET updated_at = $1 WHERE id = $2").bind(now_timestamp()).bind(plan_id).execute(&mut **tx).await?;
    Ok(())
}

async fn require_plan(tx: &mut Transaction<'_, Any>, plan_id: &str) -> Result<()> {
    let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM delivery_plans WHERE id = $1").bind(plan_id).fetch_one(&mut **tx).await?;
    if exists == 0 {
        return Err(StoreError::NotFound(format!("delivery plan {plan_id}")));
    }
    Ok(())
}

async fn plan_of_theme(tx: &mut Transaction<'_, Any>, theme_id: &str) -> Result<String> {
    sqlx::query_scalar("SELECT plan_id FROM plan_themes WHERE id = $1")
        .bind(theme_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("theme {theme_id}")))
}

async fn insert_theme(tx: &mut Transaction<'_, Any>, plan_id: &str, title: &str) -> Result<String> {
    let position: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM plan_themes WHERE plan_id = $1").bind(plan_id).fetch_one(&mut **tx).await?;
    let id = new_id();
    sqlx::query("INSERT INTO plan_themes (id, plan_id, position, title) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(plan_id)
        .bind(position + 1)
        .bind(title)
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

async fn insert_milestone(tx: &mut Transaction<'_, Any>, theme_id: &str, action: &str, added_on: Date) -> Result<String> {
    let position: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM plan_milestones WHERE theme_id = $1").bind(theme_id).fetch_one(&mut **tx).await?;
    let id = new_id();
    sqlx::query("INSERT INTO plan_milestones (id, theme_id, position, action, added_on) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id)
        .bind(theme_id)
        .bind(position + 1)
        .bind(action)
        .bind(added_on.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

async fn insert_update(tx: &mut Transaction<'_, Any>, actor: &Actor, milestone_id: &str, u: &NewUpdate) -> Result<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO plan_updates (id, milestone_id, dated_on, update_text, by_when_text, by_when_date, status, status_as_written, rag, recorded_by, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&id)
    .bind(milestone_id)
    .bind(u.dated_on.to_string())
    .bind(&u.text)
    .bind(&u.by_when.text)
    .bind(u.by_when.date.map(|d| d.to_string()))
    .bind(u.status.map(|s| s.as_str()))
    .bind(u.status_as_written.clone())
    .bind(u.rag.map(|r| r.as_str()))
    .bind(&actor.label)
    .bind(now_timestamp())
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

impl Store {
    /// Every delivery plan, most recently changed first.
    pub async fn delivery_plans(&self) -> Result<Vec<PlanSummary>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: String,
            title: String,
            committee: String,
            milestones: i64,
            updated_at: String,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT p.id, p.title, p.committee, p.updated_at,
                    (SELECT COUNT(*) FROM plan_milestones m JOIN plan_themes t ON t.id = m.theme_id WHERE t.plan_id = p.id) AS milestones
             FROM delivery_plans p ORDER BY p.updated_at DESC, p.id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| PlanSummary { id: r.id, title: r.title, committee: r.committee, milestones: r.milestones, updated_at: r.updated_at })
            .collect())
    }

    /// A plan with its themes, milestones and every update.
    pub async fn delivery_plan(&self, id: &str) -> Result<Plan> {
        let p: PlanRecord = sqlx::query_as(
            "SELECT id, title, ambition, context, accountable_officer, lead, committee, created_at, updated_at FROM delivery_plans WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("delivery plan {id}")))?;
        let themes: Vec<ThemeRecord> = sqlx::query_as("SELECT id, title FROM plan_themes WHERE plan_id = $1 ORDER BY position, id")
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        let milestones: Vec<MilestoneRecord> = sqlx::query_as(
            "SELECT m.id, m.theme_id, m.action, m.added_on FROM plan_milestones m JOIN plan_themes t ON t.id = m.theme_id
             WHERE t.plan_id = $1 ORDER BY m.position, m.id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let updates: Vec<UpdateRecord> = sqlx::query_as(
            "SELECT u.id, u.milestone_id, u.dated_on, u.update_text, u.by_when_text, u.by_when_date, u.status, u.status_as_written, u.rag,
                    COALESCE(ru.display_name, u.recorded_by) AS recorded_by, u.recorded_at
             FROM plan_updates u JOIN plan_milestones m ON m.id = u.milestone_id JOIN plan_themes t ON t.id = m.theme_id
             LEFT JOIN users ru ON ru.email = u.recorded_by
             WHERE t.plan_id = $1 ORDER BY u.dated_on, u.recorded_at, u.id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let mut by_milestone: std::collections::HashMap<String, Vec<Update>> = std::collections::HashMap::new();
        for u in updates {
            let key = u.milestone_id.clone();
            by_milestone.entry(key).or_default().push(u.into_update()?);
        }
        let mut out_themes = Vec::with_capacity(themes.len());
        for t in themes {
            let mut ms = Vec::new();
            for m in milestones.iter().filter(|m| m.theme_id == t.id) {
                ms.push(Milestone {
                    id: m.id.clone(),
                    action: m.action.clone(),
                    added_on: StoreError::decode("plan_milestones", "added_on", &m.added_on)?,
                    updates: by_milestone.remove(&m.id).unwrap_or_default(),
                });
            }
            out_themes.push(Theme { id: t.id, title: t.title, milestones: ms });
        }
        Ok(Plan {
            id: p.id,
            header: PlanHeader {
                title: p.title,
                ambition: p.ambition,
                context: p.context,
                accountable_officer: p.accountable_officer,
                lead: p.lead,
                committee: p.committee,
            },
            created_at: p.created_at,
            updated_at: p.updated_at,
            themes: out_themes,
        })
    }

    pub async fn create_delivery_plan(&self, actor: &Actor, h: &PlanHeader) -> Result<String> {
        let mut tx = self.begin_write().await?;
        let id = new_id();
        let now = now_timestamp();
        sqlx::query(
            "INSERT INTO delivery_plans (id, title, ambition, context, accountable_officer, lead, committee, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(&id)
        .bind(&h.title)
        .bind(&h.ambition)
        .bind(&h.context)
        .bind(&h.accountable_officer)
        .bind(&h.lead)
        .bind(&h.committee)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            actor,
            "create",
            "delivery_plan",
            Some(&id),
            &format!("Created delivery plan '{}'", h.title),
            None,
            Some(&header_json(h)),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Made from version `expected` of the plan's details (decision 25): changed since, it is
    /// refused (`Stale`) and nothing is written. Its themes, milestones and updates do not raise it.
    pub async fn update_delivery_plan_header(&self, actor: &Actor, id: &str, h: &PlanHeader, expected: Version) -> Result<()> {
        let before = self.delivery_plan(id).await?.header;
        check_current(self.version_of(Versioned::DeliveryPlans, id).await?, expected)?;
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE delivery_plans SET title = $1, ambition = $2, context = $3, accountable_officer = $4, lead = $5, committee = $6, updated_at = $7,
                version = version + 1 WHERE id = $8 AND version = $9",
        )
        .bind(&h.title)
        .bind(&h.ambition)
        .bind(&h.context)
        .bind(&h.accountable_officer)
        .bind(&h.lead)
        .bind(&h.committee)
        .bind(now_timestamp())
        .bind(id)
        .bind(expected.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        saved(&mut tx, Versioned::DeliveryPlans, id, changed).await?;
        record(
            &mut tx,
            actor,
            "update",
            "delivery_plan",
            Some(id),
            &format!("Changed the header of delivery plan '{}'", h.title),
            Some(&header_json(&before)),
            Some(&header_json(h)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn add_plan_theme(&self, actor: &Actor, plan_id: &str, title: &str) -> Result<String> {
        let mut tx = self.begin_write().await?;
        require_plan(&mut tx, plan_id).await?;
        let id = insert_theme(&mut tx, plan_id, title).await?;
        touch_plan(&mut tx, plan_id).await?;
        record(
            &mut tx,
            actor,
            "create",
            "plan_theme",
            Some(&id),
            "Added a theme to a delivery plan",
            None,
            Some(&json!({"plan_id": plan_id, "title": title})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn add_plan_milestone(&self, actor: &Actor, theme_id: &str, action: &str, added_on: Date) -> Result<String> {
        let mut tx = self.begin_write().await?;
        let plan_id = plan_of_theme(&mut tx, theme_id).await?;
        let id = insert_milestone(&mut tx, theme_id, action, added_on).await?;
        touch_plan(&mut tx, &plan_id).await?;
        record(
            &mut tx,
            actor,
            "create",
            "plan_milestone",
            Some(&id),
            "Added a milestone to a delivery plan",
            None,
            Some(&json!({"theme_id": theme_id, "action": action, "added_on": added_on.to_string()})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Record an update of a milestone. Earlier updates are kept.
    pub async fn record_plan_update(&self, actor: &Actor, milestone_id: &str, u: &NewUpdate) -> Result<String> {
        let mut tx = self.begin_write().await?;
        let theme_id: String = sqlx::query_scalar("SELECT theme_id FROM plan_milestones WHERE id = $1")
            .bind(milestone_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("milestone {milestone_id}")))?;
        let plan_id = plan_of_theme(&mut tx, &theme_id).await?;
        let id = insert_update(&mut tx, actor, milestone_id, u).await?;
        touch_plan(&mut tx, &plan_id).await?;
        record(&mut tx, actor, "create", "plan_update", Some(&id), "Recorded a delivery plan update", None, Some(&update_json(u))).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Import a delivery plan table into a plan, as one transaction: a theme is matched by its
    /// title and a milestone by its text within its theme (so re-importing next quarter's table
    /// adds updates, not copies); each row becomes an update dated `dated_on`. A row with a blank
    /// theme continues the theme above it; the first row must name one.
    pub async fn import_delivery_plan(&self, actor: &Actor, plan_id: &str, rows: &[PlanRow], dated_on: Date) -> Result<PlanImport> {
        let mut tx = self.begin_write().await?;
        require_plan(&mut tx, plan_id).await?;
        let mut themes: Vec<(String, String)> = sqlx::query_as("SELECT id, title FROM plan_themes WHERE plan_id = $1 ORDER BY position")
            .bind(plan_id)
            .fetch_all(&mut *tx)
            .await?;
        let mut summary = PlanImport::default();
        let mut current: Option<String> = None;
        for r in rows {
            if !r.theme.is_empty() {
                let found = themes.iter().find(|(_, t)| t.trim().eq_ignore_ascii_case(&r.theme)).map(|(id, _)| id.clone());
                let id = match found {
                    Some(id) => id,
                    None => {
                        let id = insert_theme(&mut tx, plan_id, &r.theme).await?;
                        themes.push((id.clone(), r.theme.clone()));
                        summary.themes_added += 1;
                        id
                    }
                };
                current = Some(id);
            }
            let Some(theme_id) = current.clone() else {
                return Err(StoreError::invalid("file", format!("Row {}: the first row must name its theme / indicator", r.row)));
            };
            let existing: Option<String> = sqlx::query_scalar("SELECT id FROM plan_milestones WHERE theme_id = $1 AND action = $2")
                .bind(&theme_id)
                .bind(&r.milestone)
                .fetch_optional(&mut *tx)
                .await?;
            let milestone_id = match existing {
                Some(id) => id,
                None => {
                    summary.milestones_added += 1;
                    insert_milestone(&mut tx, &theme_id, &r.milestone, dated_on).await?
                }
            };
            let update = NewUpdate {
                dated_on,
                text: r.update.clone(),
                by_when: r.by_when.clone(),
                status: r.status,
                status_as_written: r.status_as_written.clone(),
                rag: r.rag,
            };
            insert_update(&mut tx, actor, &milestone_id, &update).await?;
            summary.updates += 1;
            if r.status.is_none() {
                summary.unmapped.push((r.row, r.status_as_written.clone().unwrap_or_default()));
            }
        }
        touch_plan(&mut tx, plan_id).await?;
        record(
            &mut tx,
            actor,
            "import",
            "delivery_plan",
            Some(plan_id),
            &format!("Imported {} delivery plan rows dated {dated_on}", summary.updates),
            None,
            Some(&json!({"themes_added": summary.themes_added, "milestones_added": summary.milestones_added, "updates": summary.updates, "unmapped_rows": summary.unmapped.iter().map(|(r, _)| r).collect::<Vec<_>>()})),
        )
        .await?;
        tx.commit().await?;
        Ok(summary)
    }
}
