//! Care homes closed to admissions, and the weekly return window's missing returns and the
//! chasing of them (issue 16 item 15). The rules are `caremarket_core::capacity::admissions`.

use crate::audit::{Actor, record};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::capacity::admissions::{AdmissionClosureReason, NewAdmissionClosure, ReturnWindow, check_reopening};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;

/// How a closure was recorded.
pub const CLOSURE_SOURCES: [&str; 3] = ["officer", "portal", "api"];

/// A home closed to admissions (open, or reopened since).
#[derive(Debug, Clone, Serialize)]
pub struct AdmissionClosure {
    pub id: String,
    pub service_id: String,
    pub service_name: String,
    pub provider_id: String,
    pub provider_name: String,
    pub reason: AdmissionClosureReason,
    pub note: Option<String>,
    pub closed_on: Date,
    pub expected_reopening: Option<Date>,
    pub reopened_on: Option<Date>,
    pub source: String,
    /// The name of who recorded it (their email only if they are no longer a user).
    pub recorded_by: String,
    pub recorded_at: String,
}

impl AdmissionClosure {
    /// As an officer reads it beside the home: "Closed to admissions since 3 November 2026:
    /// Infection outbreak".
    pub fn describe(&self) -> String {
        format!("Closed to admissions since {}: {}", self.closed_on.strftime("%-d %B %Y"), self.reason.label())
    }
}

/// A chase of a home's missing return.
#[derive(Debug, Clone, Serialize)]
pub struct ReturnChase {
    pub service_id: String,
    pub chased_at: String,
    pub chased_by: String,
    pub emailed: i64,
    pub note: Option<String>,
}

const CLOSURE_SELECT: &str = "SELECT c.id, c.service_id, s.name AS service_name, s.provider_id, p.name AS provider_name, c.reason, c.note,
    c.closed_on, c.expected_reopening, c.reopened_on, c.source, COALESCE(u.display_name, c.recorded_by) AS recorded_by, c.recorded_at
    FROM admission_closures c JOIN services s ON s.id = c.service_id JOIN providers p ON p.id = s.provider_id
    LEFT JOIN users u ON u.email = c.recorded_by";

#[derive(sqlx::FromRow)]
struct ClosureRow {
    id: String,
    service_id: String,
    service_name: String,
    provider_id: String,
    provider_name: String,
    reason: String,
    note: Option<String>,
    closed_on: String,
    expected_reopening: Option<String>,
    reopened_on: Option<String>,
    source: String,
    recorded_by: String,
    recorded_at: String,
}

const TABLE: &str = "admission_closures";

fn date_opt(column: &'static str, s: Option<&str>) -> Result<Option<Date>> {
    s.map(|s| StoreError::decode(TABLE, column, s)).transpose()
}

impl TryFrom<ClosureRow> for AdmissionClosure {
    type Error = StoreError;
    fn try_from(r: ClosureRow) -> Result<Self> {
        Ok(AdmissionClosure {
            reason: StoreError::decode(TABLE, "reason", &r.reason)?,
            closed_on: StoreError::decode(TABLE, "closed_on", &r.closed_on)?,
            expected_reopening: date_opt("expected_reopening", r.expected_reopening.as_deref())?,
            reopened_on: date_opt("reopened_on", r.reopened_on.as_deref())?,
            id: r.id,
            service_id: r.service_id,
            service_name: r.service_name,
            provider_id: r.provider_id,
            provider_name: r.provider_name,
            note: r.note,
            source: r.source,
            recorded_by: r.recorded_by,
            recorded_at: r.recorded_at,
        })
    }
}

impl Store {
    /// Record that a care home is closed to admissions. `provider_id`: when a provider records
    /// it in the portal, theirs, which must own the home. A home has one open closure at a
    /// time: a second is refused, naming the first.
    pub async fn record_admission_closure(
        &self,
        actor: &Actor,
        c: &NewAdmissionClosure,
        source: &str,
        provider_id: Option<&str>,
    ) -> Result<String> {
        let service =
            self.service(&c.service_id).await.map_err(|_| StoreError::invalid("service_id", "Choose a care home from the register"))?;
        if provider_id.is_some_and(|p| p != service.provider_id) {
            return Err(StoreError::invalid("service_id", "Choose one of your own care homes"));
        }
        if !service.kind.is_care_home() {
            return Err(StoreError::invalid(
                "service_id",
                format!("{} is not a care home: only care homes close to admissions", service.name),
            ));
        }
        let source = CLOSURE_SOURCES.iter().find(|s| **s == source).copied().unwrap_or("officer");
        let id = new_id();
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        let open: Option<String> =
            sqlx::query_scalar("SELECT closed_on FROM admission_closures WHERE service_id = $1 AND reopened_on IS NULL")
                .bind(&c.service_id)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(since) = open {
            let since = since.parse::<Date>().map(|d| d.strftime("%-d %B %Y").to_string()).unwrap_or(since);
            return Err(StoreError::invalid(
                "service_id",
                format!("{} is already closed to admissions (since {since}): record its reopening first", service.name),
            ));
        }
        sqlx::query(
            "INSERT INTO admission_closures (id, service_id, reason, note, closed_on, expected_reopening, source, recorded_by, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(&c.service_id)
        .bind(c.reason.as_str())
        .bind(c.note.clone())
        .bind(c.closed_on.to_string())
        .bind(c.expected_reopening.map(|d| d.to_string()))
        .bind(source)
        .bind(&actor.label)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            actor,
            "create",
            "admission_closure",
            Some(&id),
            &format!("{} closed to admissions ({})", service.name, c.reason.label()),
            None,
            Some(&json!({
                "service_id": c.service_id, "reason": c.reason.as_str(), "closed_on": c.closed_on.to_string(),
                "expected_reopening": c.expected_reopening.map(|d| d.to_string()), "source": source,
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Record that a closed home admits again from `reopened_on`.
    pub async fn reopen_admissions(
        &self,
        actor: &Actor,
        id: &str,
        reopened_on: Date,
        today: Date,
        provider_id: Option<&str>,
    ) -> Result<()> {
        let c = self.admission_closure(id).await?;
        if provider_id.is_some_and(|p| p != c.provider_id) {
            return Err(StoreError::NotFound(format!("admission closure {id}")));
        }
        if c.reopened_on.is_some() {
            return Err(StoreError::invalid("reopened_on", format!("{} has already reopened to admissions", c.service_name)));
        }
        check_reopening(c.closed_on, reopened_on, today)?;
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE admission_closures SET reopened_on = $1, reopened_by = $2 WHERE id = $3 AND reopened_on IS NULL")
            .bind(reopened_on.to_string())
            .bind(&actor.label)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::invalid("reopened_on", format!("{} has already reopened to admissions", c.service_name)));
        }
        record(
            &mut tx,
            actor,
            "update",
            "admission_closure",
            Some(id),
            &format!("{} reopened to admissions", c.service_name),
            Some(&json!({"reopened_on": null})),
            Some(&json!({"reopened_on": reopened_on.to_string()})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn admission_closure(&self, id: &str) -> Result<AdmissionClosure> {
        sqlx::query_as::<_, ClosureRow>(sqlx::AssertSqlSafe(format!("{CLOSURE_SELECT} WHERE c.id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("admission closure {id}")))?
            .try_into()
    }

    /// The closures in force on `day`, by home name.
    pub async fn admission_closures_on(&self, day: Date) -> Result<Vec<AdmissionClosure>> {
        // The same rule as core's `closed_on_day`, in SQL so that a long history is not read.
        let rows = sqlx::query_as::<_, ClosureRow>(sqlx::AssertSqlSafe(format!(
            "{CLOSURE_SELECT} WHERE c.closed_on <= $1 AND (c.reopened_on IS NULL OR c.reopened_on > $1) ORDER BY s.name, c.closed_on"
        )))
        .bind(day.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(AdmissionClosure::try_from).collect()
    }

    /// Closures not yet reopened, including those that start in the future, by home name.
    pub async fn open_admission_closures(&self) -> Result<Vec<AdmissionClosure>> {
        let rows = sqlx::query_as::<_, ClosureRow>(sqlx::AssertSqlSafe(format!(
            "{CLOSURE_SELECT} WHERE c.reopened_on IS NULL ORDER BY s.name, c.closed_on"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(AdmissionClosure::try_from).collect()
    }

    /// Closures that reopened on or after `since`, the latest reopening first.
    pub async fn recently_reopened_admission_closures(&self, since: Date) -> Result<Vec<AdmissionClosure>> {
        let rows = sqlx::query_as::<_, ClosureRow>(sqlx::AssertSqlSafe(format!(
            "{CLOSURE_SELECT} WHERE c.reopened_on IS NOT NULL AND c.reopened_on >= $1 ORDER BY c.reopened_on DESC, s.name"
        )))
        .bind(since.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(AdmissionClosure::try_from).collect()
    }

    /// A home's closures, newest first.
    pub async fn admission_closures_for_service(&self, service_id: &str) -> Result<Vec<AdmissionClosure>> {
        let rows = sqlx::query_as::<_, ClosureRow>(sqlx::AssertSqlSafe(format!(
            "{CLOSURE_SELECT} WHERE c.service_id = $1 ORDER BY c.closed_on DESC, c.recorded_at DESC"
        )))
        .bind(service_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(AdmissionClosure::try_from).collect()
    }

    /// The dates of each home's vacancy returns in the week of `window` (its Monday to its
    /// Sunday), for core's `ReturnWindow::status`.
    pub async fn return_dates_in_week(&self, window: &ReturnWindow) -> Result<BTreeMap<String, Vec<Date>>> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT service_id, return_date FROM vacancy_returns WHERE return_date >= $1 AND return_date <= $2")
                .bind(window.opens.to_string())
                .bind(window.week_ends.to_string())
                .fetch_all(&self.pool)
                .await?;
        let mut out: BTreeMap<String, Vec<Date>> = BTreeMap::new();
        for (sid, d) in rows {
            out.entry(sid).or_default().push(StoreError::decode("vacancy_returns", "return_date", &d)?);
        }
        Ok(out)
    }

    /// Record that a home was chased for the return of the week starting `window_opens`, and
    /// how many of its provider's portal users were emailed.
    pub async fn record_return_chase(
        &self,
        actor: &Actor,
        service_id: &str,
        window_opens: Date,
        emailed: i64,
        note: Option<&str>,
    ) -> Result<()> {
        let service =
            self.service(service_id).await.map_err(|_| StoreError::invalid("service_id", "Choose a care home from the register"))?;
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if let Some(n) = note {
            caremarket_core::limits::check_text("note", "Note", n, caremarket_core::limits::NOTES_CHARS)?;
        }
        let id = new_id();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO return_chases (id, service_id, window_opens, chased_at, chased_by, emailed, note) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(service_id)
        .bind(window_opens.to_string())
        .bind(now_timestamp())
        .bind(&actor.label)
        .bind(emailed)
        .bind(note)
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            actor,
            "create",
            "return_chase",
            Some(&id),
            &format!("Chased {} for the vacancy return of the week of {}", service.name, window_opens.strftime("%-d %B %Y")),
            None,
            Some(&json!({"service_id": service_id, "window_opens": window_opens.to_string(), "emailed": emailed})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The chases for the week starting `window_opens`, per home, oldest first.
    pub async fn return_chases(&self, window_opens: Date) -> Result<BTreeMap<String, Vec<ReturnChase>>> {
        let rows: Vec<(String, String, String, i64, Option<String>)> = sqlx::query_as(
            "SELECT c.service_id, c.chased_at, COALESCE(u.display_name, c.chased_by), c.emailed, c.note
             FROM return_chases c LEFT JOIN users u ON u.email = c.chased_by WHERE c.window_opens = $1 ORDER BY c.chased_at, c.id",
        )
        .bind(window_opens.to_string())
        .fetch_all(&self.pool)
        .await?;
        let mut out: BTreeMap<String, Vec<ReturnChase>> = BTreeMap::new();
        for (service_id, chased_at, chased_by, emailed, note) in rows {
            out.entry(service_id.clone()).or_default().push(ReturnChase { service_id, chased_at, chased_by, emailed, note });
        }
        Ok(out)
    }
}
