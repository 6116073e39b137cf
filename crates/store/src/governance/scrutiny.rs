//! Scrutiny reviews (`002`): the review, its recommendations and agreed actions, and every
//! dated progress update of an action (never overwritten). Rules are
//! `caremarket_core::governance::scrutiny`'s; each change is saved with its audit row in one
//! transaction.

use crate::audit::record;
use crate::versions::{Versioned, check_current, saved};
use crate::{Actor, Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::governance::delivery_plan::ByWhen;
use caremarket_core::governance::scrutiny::{
    Action, Grade, NewAction, NewProgress, NewRecommendation, Progress, Recommendation, Review, ReviewHeader, ScrutinyRow,
};
use caremarket_core::versions::Version;
use serde::Serialize;
use serde_json::json;
use sqlx::{Any, Transaction};

/// A review in the list of reviews.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewSummary {
    pub id: String,
    pub title: String,
    pub committee: String,
    pub recommendations: i64,
    pub actions: i64,
    /// The date of the latest progress update, if any.
    pub last_update: Option<String>,
    pub updated_at: String,
}

/// What an import of a scrutiny table did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ScrutinyImport {
    pub recommendations_added: usize,
    pub actions_added: usize,
    pub updates: usize,
    /// Rows with no progress (no evidence, grade or impact): their actions were added without an update.
    pub without_progress: Vec<u64>,
}

#[derive(sqlx::FromRow)]
struct ReviewRecord {
    id: String,
    title: String,
    committee: String,
    link_officers: String,
    plan_agreed_text: String,
    plan_agreed_on: String,
    updates_due_text: String,
    updates_due_on: Option<String>,
    created_at: String,
    updated_at: String,
}

#[derive(sqlx::FromRow)]
struct RecommendationRecord {
    id: String,
    number: i64,
    recommendation: String,
}

#[derive(sqlx::FromRow)]
struct ActionRecord {
    id: String,
    recommendation_id: String,
    action: String,
    responsibility: String,
    due_text: String,
    due_on: Option<String>,
    success_measure: String,
}

#[derive(sqlx::FromRow)]
struct ProgressRecord {
    id: String,
    action_id: String,
    dated_on: String,
    evidence: String,
    grade: i64,
    impact: String,
    recorded_by: String,
    recorded_at: String,
}

fn decode_date_opt(table: &'static str, column: &'static str, v: Option<String>) -> Result<Option<Date>> {
    v.map(|s| StoreError::decode(table, column, &s)).transpose()
}

impl ProgressRecord {
    fn into_progress(self) -> Result<Progress> {
        Ok(Progress {
            dated_on: StoreError::decode("scrutiny_progress", "dated_on", &self.dated_on)?,
            grade: Grade::from_number(self.grade).ok_or_else(|| StoreError::Corrupt {
                table: "scrutiny_progress",
                column: "grade",
                value: self.grade.to_string(),
            })?,
            id: self.id,
            evidence: self.evidence,
            impact: self.impact,
            recorded_by: self.recorded_by,
            recorded_at: self.recorded_at,
        })
    }
}

fn header_json(h: &ReviewHeader) -> serde_json::Value {
    json!({
        "title": h.title, "committee": h.committee, "link_officers": h.link_officers,
        "plan_agreed": h.plan_agreed.text, "updates_due": h.updates_due.text,
    })
}

fn action_json(a: &NewAction) -> serde_json::Value {
    json!({"action": a.action, "responsibility": a.responsibility, "due": a.due.text, "success_measure": a.success_measure})
}

fn progress_json(p: &NewProgress) -> serde_json::Value {
    json!({"dated_on": p.dated_on.to_string(), "evidence": p.evidence, "grade": p.grade.number(), "impact": p.impact})
}

async fn touch_review(tx: &mut Transaction<'_, Any>, review_id: &str) -> Result<()> {
    sqlx::query("UPDATE scrutiny_reviews SET updated_at = $1 WHERE id = $2")
        .bind(now_timestamp())
        .bind(review_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn require_review(tx: &mut Transaction<'_, Any>, review_id: &str) -> Result<()> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM scrutiny_reviews WHERE id = $1").bind(review_id).fetch_one(&mut **tx).await?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("scrutiny review {review_id}")));
    }
    Ok(())
}

async fn review_of_recommendation(tx: &mut Transaction<'_, Any>, recommendation_id: &str) -> Result<String> {
    sqlx::query_scalar("SELECT review_id FROM scrutiny_recommendations WHERE id = $1")
        .bind(recommendation_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("recommendation {recommendation_id}")))
}

async fn review_of_action(tx: &mut Transaction<'_, Any>, action_id: &str) -> Result<String> {
    sqlx::query_scalar(
        "SELECT r.review_id FROM scrutiny_actions a JOIN scrutiny_recommendations r ON r.id = a.recommendation_id WHERE a.id = $1",
    )
    .bind(action_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| StoreError::NotFound(format!("action {action_id}")))
}

/// Refuse a recommendation number already used on the review (by another recommendation).
async fn check_number_free(tx: &mut Transaction<'_, Any>, review_id: &str, number: i64, except: Option<&str>) -> Result<()> {
    let other: Option<String> = sqlx::query_scalar("SELECT id FROM scrutiny_recommendations WHERE review_id = $1 AND number = $2")
        .bind(review_id)
        .bind(number)
        .fetch_optional(&mut **tx)
        .await?;
    match other {
        Some(id) if Some(id.as_str()) != except => {
            Err(StoreError::invalid("number", format!("Recommendation {number} is already on this review: give another number")))
        }
        _ => Ok(()),
    }
}

async fn insert_recommendation(tx: &mut Transaction<'_, Any>, review_id: &str, r: &NewRecommendation) -> Result<String> {
    check_number_free(tx, review_id, r.number, None).await?;
    let id = new_id();
    sqlx::query("INSERT INTO scrutiny_recommendations (id, review_id, number, recommendation) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(review_id)
        .bind(r.number)
        .bind(&r.text)
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

async fn insert_action(tx: &mut Transaction<'_, Any>, recommendation_id: &str, a: &NewAction) -> Result<String> {
    let position: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM scrutiny_actions WHERE recommendation_id = $1")
        .bind(recommendation_id)
        .fetch_one(&mut **tx)
        .await?;
    let id = new_id();
    sqlx::query(
        "INSERT INTO scrutiny_actions (id, recommendation_id, position, action, responsibility, due_text, due_on, success_measure)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(recommendation_id)
    .bind(position + 1)
    .bind(&a.action)
    .bind(&a.responsibility)
    .bind(&a.due.text)
    .bind(a.due.date.map(|d| d.to_string()))
    .bind(&a.success_measure)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

async fn insert_progress(tx: &mut Transaction<'_, Any>, actor: &Actor, action_id: &str, p: &NewProgress) -> Result<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO scrutiny_progress (id, action_id, dated_on, evidence, grade, impact, recorded_by, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(action_id)
    .bind(p.dated_on.to_string())
    .bind(&p.evidence)
    .bind(p.grade.number())
    .bind(&p.impact)
    .bind(&actor.label)
    .bind(now_timestamp())
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

impl Store {
    /// Every scrutiny review, most recently changed first.
    pub async fn scrutiny_reviews(&self) -> Result<Vec<ReviewSummary>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: String,
            title: String,
            committee: String,
            recommendations: i64,
            actions: i64,
            last_update: Option<String>,
            updated_at: String,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT v.id, v.title, v.committee, v.updated_at,
                    (SELECT COUNT(*) FROM scrutiny_recommendations r WHERE r.review_id = v.id) AS recommendations,
                    (SELECT COUNT(*) FROM scrutiny_actions a JOIN scrutiny_recommendations r ON r.id = a.recommendation_id
                      WHERE r.review_id = v.id) AS actions,
                    (SELECT MAX(p.dated_on) FROM scrutiny_progress p JOIN scrutiny_actions a ON a.id = p.action_id
                      JOIN scrutiny_recommendations r ON r.id = a.recommendation_id WHERE r.review_id = v.id) AS last_update
             FROM scrutiny_reviews v ORDER BY v.updated_at DESC, v.id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| ReviewSummary {
                id: r.id,
                title: r.title,
                committee: r.committee,
                recommendations: r.recommendations,
                actions: r.actions,
                last_update: r.last_update,
                updated_at: r.updated_at,
            })
            .collect())
    }

    /// A review with its recommendations (in number order), actions and every progress update.
    pub async fn scrutiny_review(&self, id: &str) -> Result<Review> {
        let v: ReviewRecord = sqlx::query_as(
            "SELECT id, title, committee, link_officers, plan_agreed_text, plan_agreed_on, updates_due_text, updates_due_on, created_at, updated_at
             FROM scrutiny_reviews WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("scrutiny review {id}")))?;
        let recs: Vec<RecommendationRecord> =
            sqlx::query_as("SELECT id, number, recommendation FROM scrutiny_recommendations WHERE review_id = $1 ORDER BY number, id")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        let actions: Vec<ActionRecord> = sqlx::query_as(
            "SELECT a.id, a.recommendation_id, a.action, a.responsibility, a.due_text, a.due_on, a.success_measure
             FROM scrutiny_actions a JOIN scrutiny_recommendations r ON r.id = a.recommendation_id
             WHERE r.review_id = $1 ORDER BY a.position, a.id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let progress: Vec<ProgressRecord> = sqlx::query_as(
            "SELECT p.id, p.action_id, p.dated_on, p.evidence, p.grade, p.impact, COALESCE(ru.display_name, p.recorded_by) AS recorded_by, p.recorded_at
             FROM scrutiny_progress p JOIN scrutiny_actions a ON a.id = p.action_id
             JOIN scrutiny_recommendations r ON r.id = a.recommendation_id
             LEFT JOIN users ru ON ru.email = p.recorded_by
             WHERE r.review_id = $1 ORDER BY p.dated_on, p.recorded_at, p.id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let mut by_action: std::collections::HashMap<String, Vec<Progress>> = std::collections::HashMap::new();
        for p in progress {
            let key = p.action_id.clone();
            by_action.entry(key).or_default().push(p.into_progress()?);
        }
        let mut recommendations = Vec::with_capacity(recs.len());
        for r in recs {
            let mut list = Vec::new();
            for a in actions.iter().filter(|a| a.recommendation_id == r.id) {
                list.push(Action {
                    id: a.id.clone(),
                    action: a.action.clone(),
                    responsibility: a.responsibility.clone(),
                    due: ByWhen { text: a.due_text.clone(), date: decode_date_opt("scrutiny_actions", "due_on", a.due_on.clone())? },
                    success_measure: a.success_measure.clone(),
                    updates: by_action.remove(&a.id).unwrap_or_default(),
                });
            }
            recommendations.push(Recommendation { id: r.id, number: r.number, text: r.recommendation, actions: list });
        }
        Ok(Review {
            id: v.id,
            header: ReviewHeader {
                title: v.title,
                committee: v.committee,
                link_officers: v.link_officers,
                plan_agreed: ByWhen {
                    text: v.plan_agreed_text,
                    date: Some(StoreError::decode("scrutiny_reviews", "plan_agreed_on", &v.plan_agreed_on)?),
                },
                updates_due: ByWhen {
                    text: v.updates_due_text,
                    date: decode_date_opt("scrutiny_reviews", "updates_due_on", v.updates_due_on)?,
                },
            },
            created_at: v.created_at,
            updated_at: v.updated_at,
            recommendations,
        })
    }

    pub async fn create_scrutiny_review(&self, actor: &Actor, h: &ReviewHeader) -> Result<String> {
        let agreed = h.plan_agreed.date.ok_or_else(|| StoreError::invalid("plan_agreed", "Enter the date the action plan was agreed"))?;
        let mut tx = self.begin_write().await?;
        let id = new_id();
        sqlx::query(
            "INSERT INTO scrutiny_reviews (id, title, committee, link_officers, plan_agreed_text, plan_agreed_on, updates_due_text, updates_due_on, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        )
        .bind(&id)
        .bind(&h.title)
        .bind(&h.committee)
        .bind(&h.link_officers)
        .bind(&h.plan_agreed.text)
        .bind(agreed.to_string())
        .bind(&h.updates_due.text)
        .bind(h.updates_due.date.map(|d| d.to_string()))
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            actor,
            "create",
            "scrutiny_review",
            Some(&id),
            &format!("Created scrutiny review '{}'", h.title),
            None,
            Some(&header_json(h)),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Made from version `expected` of the review's details (decision 25): changed since, it is
    /// refused (`Stale`). Its recommendations and actions carry their own versions.
    pub async fn update_scrutiny_review(&self, actor: &Actor, id: &str, h: &ReviewHeader, expected: Version) -> Result<()> {
        let agreed = h.plan_agreed.date.ok_or_else(|| StoreError::invalid("plan_agreed", "Enter the date the action plan was agreed"))?;
        let before = self.scrutiny_review(id).await?.header;
        check_current(self.version_of(Versioned::ScrutinyReviews, id).await?, expected)?;
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE scrutiny_reviews SET title = $1, committee = $2, link_officers = $3, plan_agreed_text = $4, plan_agreed_on = $5,
                    updates_due_text = $6, updates_due_on = $7, updated_at = $8, version = version + 1 WHERE id = $9 AND version = $10",
        )
        .bind(&h.title)
        .bind(&h.committee)
        .bind(&h.link_officers)
        .bind(&h.plan_agreed.text)
        .bind(agreed.to_string())
        .bind(&h.updates_due.text)
        .bind(h.updates_due.date.map(|d| d.to_string()))
        .bind(now_timestamp())
        .bind(id)
        .bind(expected.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        saved(&mut tx, Versioned::ScrutinyReviews, id, changed).await?;
        record(
            &mut tx,
            actor,
            "update",
            "scrutiny_review",
            Some(id),
            &format!("Changed scrutiny review '{}'", h.title),
            Some(&header_json(&before)),
            Some(&header_json(h)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn add_scrutiny_recommendation(&self, actor: &Actor, review_id: &str, r: &NewRecommendation) -> Result<String> {
        let mut tx = self.begin_write().await?;
        require_review(&mut tx, review_id).await?;
        let id = insert_recommendation(&mut tx, review_id, r).await?;
        touch_review(&mut tx, review_id).await?;
        record(
            &mut tx,
            actor,
            "create",
            "scrutiny_recommendation",
            Some(&id),
            &format!("Added recommendation {} to a scrutiny review", r.number),
            None,
            Some(&json!({"review_id": review_id, "number": r.number, "recommendation": r.text})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Made from version `expected` of the recommendation (decision 25).
    pub async fn update_scrutiny_recommendation(&self, actor: &Actor, id: &str, r: &NewRecommendation, expected: Version) -> Result<()> {
        check_current(self.version_of(Versioned::ScrutinyRecommendations, id).await?, expected)?;
        let mut tx = self.begin_write().await?;
        let review_id = review_of_recommendation(&mut tx, id).await?;
        check_number_free(&mut tx, &review_id, r.number, Some(id)).await?;
        let before: (i64, String) = sqlx::query_as("SELECT number, recommendation FROM scrutiny_recommendations WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let changed = sqlx::query(
            "UPDATE scrutiny_recommendations SET number = $1, recommendation = $2, version = version + 1 WHERE id = $3 AND version = $4",
        )
        .bind(r.number)
        .bind(&r.text)
        .bind(id)
        .bind(expected.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        saved(&mut tx, Versioned::ScrutinyRecommendations, id, changed).await?;
        touch_review(&mut tx, &review_id).await?;
        record(
            &mut tx,
            actor,
            "update",
            "scrutiny_recommendation",
            Some(id),
            &format!("Changed recommendation {}", r.number),
            Some(&json!({"number": before.0, "recommendation": before.1})),
            Some(&json!({"number": r.number, "recommendation": r.text})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn add_scrutiny_action(&self, actor: &Actor, recommendation_id: &str, a: &NewAction) -> Result<String> {
        let mut tx = self.begin_write().await?;
        let review_id = review_of_recommendation(&mut tx, recommendation_id).await?;
        let id = insert_action(&mut tx, recommendation_id, a).await?;
        touch_review(&mut tx, &review_id).await?;
        let mut after = action_json(a);
        after["recommendation_id"] = json!(recommendation_id);
        record(&mut tx, actor, "create", "scrutiny_action", Some(&id), "Added an agreed action to a recommendation", None, Some(&after))
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Made from version `expected` of the agreed action (decision 25); recording its progress
    /// adds a dated update and does not raise it.
    pub async fn update_scrutiny_action(&self, actor: &Actor, id: &str, a: &NewAction, expected: Version) -> Result<()> {
        check_current(self.version_of(Versioned::ScrutinyActions, id).await?, expected)?;
        let mut tx = self.begin_write().await?;
        let review_id = review_of_action(&mut tx, id).await?;
        let before: (String, String, String, String) =
            sqlx::query_as("SELECT action, responsibility, due_text, success_measure FROM scrutiny_actions WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        let changed = sqlx::query(
            "UPDATE scrutiny_actions SET action = $1, responsibility = $2, due_text = $3, due_on = $4, success_measure = $5,
                    version = version + 1 WHERE id = $6 AND version = $7",
        )
        .bind(&a.action)
        .bind(&a.responsibility)
        .bind(&a.due.text)
        .bind(a.due.date.map(|d| d.to_string()))
        .bind(&a.success_measure)
        .bind(id)
        .bind(expected.get())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        saved(&mut tx, Versioned::ScrutinyActions, id, changed).await?;
        touch_review(&mut tx, &review_id).await?;
        record(
            &mut tx,
            actor,
            "update",
            "scrutiny_action",
            Some(id),
            "Changed an agreed action",
            Some(&json!({"action": before.0, "responsibility": before.1, "due": before.2, "success_measure": before.3})),
            Some(&action_json(a)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Record a dated progress update of an action. Earlier updates are kept.
    pub async fn record_scrutiny_progress(&self, actor: &Actor, action_id: &str, p: &NewProgress) -> Result<String> {
        let mut tx = self.begin_write().await?;
        let review_id = review_of_action(&mut tx, action_id).await?;
        let id = insert_progress(&mut tx, actor, action_id, p).await?;
        touch_review(&mut tx, &review_id).await?;
        let mut after = progress_json(p);
        after["action_id"] = json!(action_id);
        record(
            &mut tx,
            actor,
            "create",
            "scrutiny_progress",
            Some(&id),
            &format!("Recorded a progress update graded {}", p.grade.written()),
            None,
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Import a council's scrutiny table into a review as one progress update dated `dated_on`,
    /// in one transaction: a recommendation is matched by its number and an action by its text
    /// within its recommendation (so next year's table adds updates, not copies). A row with a
    /// blank number continues the recommendation above it; the first row must give one.
    pub async fn import_scrutiny(&self, actor: &Actor, review_id: &str, rows: &[ScrutinyRow], dated_on: Date) -> Result<ScrutinyImport> {
        let mut tx = self.begin_write().await?;
        require_review(&mut tx, review_id).await?;
        let mut summary = ScrutinyImport::default();
        let mut current: Option<String> = None;
        for r in rows {
            if let Some(number) = r.number {
                let found: Option<String> =
                    sqlx::query_scalar("SELECT id FROM scrutiny_recommendations WHERE review_id = $1 AND number = $2")
                        .bind(review_id)
                        .bind(number)
                        .fetch_optional(&mut *tx)
                        .await?;
                let id = match found {
                    Some(id) => id,
                    None => {
                        if r.recommendation.is_empty() {
                            return Err(StoreError::invalid("file", format!("Row {}: recommendation {number} has no text", r.row)));
                        }
                        summary.recommendations_added += 1;
                        insert_recommendation(&mut tx, review_id, &NewRecommendation { number, text: r.recommendation.clone() }).await?
                    }
                };
                current = Some(id);
            }
            let Some(rec_id) = current.clone() else {
                return Err(StoreError::invalid("file", format!("Row {}: the first row must give its recommendation's number", r.row)));
            };
            let existing: Option<String> =
                sqlx::query_scalar("SELECT id FROM scrutiny_actions WHERE recommendation_id = $1 AND action = $2")
                    .bind(&rec_id)
                    .bind(&r.action.action)
                    .fetch_optional(&mut *tx)
                    .await?;
            let action_id = match existing {
                Some(id) => id,
                None => {
                    summary.actions_added += 1;
                    insert_action(&mut tx, &rec_id, &r.action).await?
                }
            };
            match r.grade {
                Some(grade) => {
                    let p = NewProgress { dated_on, evidence: r.evidence.clone(), grade, impact: r.impact.clone() };
                    insert_progress(&mut tx, actor, &action_id, &p).await?;
                    summary.updates += 1;
                }
                None => summary.without_progress.push(r.row),
            }
        }
        touch_review(&mut tx, review_id).await?;
        record(
            &mut tx,
            actor,
            "import",
            "scrutiny_review",
            Some(review_id),
            &format!("Imported a progress update dated {dated_on}: {} graded actions", summary.updates),
            None,
            Some(&json!({
                "recommendations_added": summary.recommendations_added, "actions_added": summary.actions_added,
                "updates": summary.updates, "rows_without_progress": summary.without_progress,
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(summary)
    }
}
