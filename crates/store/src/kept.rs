//! Figures kept, not recomputed (issue 18 item 2). A kept figure is the output of core's functions
//! (the early-warning score, `market_counts`, the quality figures' sentences) stored with the data
//! version it was computed from; reading it when the data has moved on computes it again (for the
//! scores, only the services whose records changed) and keeps the new one.
//!
//! The data version is `kept_version`, bumped by database triggers (migration `0013`) in the same
//! transaction as every write to a table a kept figure reads, whichever process writes (the
//! server, a CLI import): so no write path can forget it, and a figure computed before a change
//! committed is never served after it. `docs/kept-figures.md` has the reasoning.

use crate::{Result, Store, now_timestamp};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::Row;

/// A figure with when it was computed and the data version it was computed from.
#[derive(Debug, Clone, Serialize)]
pub struct Kept<T> {
    pub value: T,
    /// When the figure was computed (RFC 3339, UTC).
    pub computed_at: String,
    /// The data version it was computed from.
    pub version: i64,
}

impl<T> Kept<T> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Kept<U> {
        Kept { value: f(self.value), computed_at: self.computed_at, version: self.version }
    }
}

/// A kept figure's row as read, with the data version current when it was read.
#[derive(Debug, Clone)]
pub(crate) struct KeptRow {
    pub current: i64,
    pub as_on: String,
    pub version: i64,
    pub computed_at: String,
    pub body: String,
}

impl KeptRow {
    /// Whether the row was computed for `as_on` from the current data.
    pub fn is_current(&self, as_on: &str) -> bool {
        self.as_on == as_on && self.version == self.current
    }
}

impl Store {
    /// The data version: one more for every row written to a table a kept figure reads.
    pub async fn data_version(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT version FROM kept_version WHERE id = 1").fetch_one(&self.pool).await?)
    }

    /// The kept row `name` (an empty one at version -1 when there is none), and the current data
    /// version, read in one statement.
    pub(crate) async fn kept_row(&self, name: &str) -> Result<KeptRow> {
        let r = sqlx::query(
            "SELECT v.version AS current, f.as_on, f.version, f.computed_at, f.body
             FROM kept_version v LEFT JOIN kept_figures f ON f.name = $1 WHERE v.id = 1",
        )
        .bind(name)
        .fetch_one(&self.pool)
        .await?;
        Ok(KeptRow {
            current: r.try_get("current")?,
            as_on: r.try_get::<Option<String>, _>("as_on")?.unwrap_or_default(),
            version: r.try_get::<Option<i64>, _>("version")?.unwrap_or(-1),
            computed_at: r.try_get::<Option<String>, _>("computed_at")?.unwrap_or_default(),
            body: r.try_get::<Option<String>, _>("body")?.unwrap_or_default(),
        })
    }

    /// The figure `name` as computed for `as_on` (the date and anything else it depends on)
    /// from the current data: the kept one when it is current, else `compute`'s, which is then
    /// kept. `compute` is the function that defines the figure; it runs only when needed.
    pub(crate) async fn kept_figure<T>(&self, name: &str, as_on: &str, compute: impl Future<Output = Result<T>>) -> Result<Kept<T>>
    where
        T: Serialize + DeserializeOwned,
    {
        let row = self.kept_row(name).await?;
        if row.is_current(as_on) {
            // A body this release cannot read (kept by another version) is computed again.
            if let Ok(value) = serde_json::from_str(&row.body) {
                return Ok(Kept { value, computed_at: row.computed_at, version: row.version });
            }
        }
        // The version is read before computing, so the figure holds at least the data of that
        // version; a change committed meanwhile has a higher version and makes it stale.
        let version = row.current;
        let value = compute.await?;
        let computed_at = now_timestamp();
        let body = serde_json::to_string(&value).map_err(|e| crate::StoreError::Corrupt {
            table: "kept_figures",
            column: "body",
            value: e.to_string(),
        })?;
        sqlx::query(
            "INSERT INTO kept_figures (name, as_on, version, computed_at, body) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (name) DO UPDATE SET as_on = excluded.as_on, version = excluded.version,
               computed_at = excluded.computed_at, body = excluded.body",
        )
        .bind(name)
        .bind(as_on)
        .bind(version)
        .bind(&computed_at)
        .bind(&body)
        .execute(&self.pool)
        .await?;
        Ok(Kept { value, computed_at, version })
    }
}
