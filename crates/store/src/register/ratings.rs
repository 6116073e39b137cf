//! A service's CQC ratings: the history of publications and which one is current (core's
//! [`replaces_current`] and [`previous_grades`] decide; this records).

use super::{date_str, decode_date, decode_rating, rating_str};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::register::{Published, Rating, RatingChange as CoreRatingChange, previous_grades, replaces_current};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct RatingHistoryEntry {
    pub id: String,
    pub service_id: String,
    pub overall: Option<Rating>,
    pub safe: Option<Rating>,
    pub effective: Option<Rating>,
    pub caring: Option<Rating>,
    pub responsive: Option<Rating>,
    pub well_led: Option<Rating>,
    pub report_date: Option<String>,
    pub previous_overall: Option<Rating>,
    pub recorded_at: String,
    pub source: String,
}
/// A rating set to write into history (and, if newest, as current).
#[derive(Debug, Clone, Default)]
pub struct RatingRecord {
    pub overall: Option<Rating>,
    pub safe: Option<Rating>,
    pub effective: Option<Rating>,
    pub caring: Option<Rating>,
    pub responsive: Option<Rating>,
    pub well_led: Option<Rating>,
    pub report_date: Option<Date>,
}
/// A history entry's id, overall rating, report date and stored previous grade.
type PublishedRow = (String, Option<String>, Option<String>, Option<String>);

/// A history entry as stored.
#[derive(sqlx::FromRow)]
struct HistoryRow {
    id: String,
    service_id: String,
    overall: Option<String>,
    safe: Option<String>,
    effective: Option<String>,
    caring: Option<String>,
    responsive: Option<String>,
    well_led: Option<String>,
    report_date: Option<String>,
    previous_overall: Option<String>,
    recorded_at: String,
    source: String,
}

impl TryFrom<HistoryRow> for RatingHistoryEntry {
    type Error = StoreError;
    fn try_from(r: HistoryRow) -> Result<Self> {
        let rating = |column: &'static str, v: Option<String>| decode_rating("rating_history", column, v.as_deref());
        Ok(RatingHistoryEntry {
            overall: rating("overall", r.overall)?,
            safe: rating("safe", r.safe)?,
            effective: rating("effective", r.effective)?,
            caring: rating("caring", r.caring)?,
            responsive: rating("responsive", r.responsive)?,
            well_led: rating("well_led", r.well_led)?,
            previous_overall: rating("previous_overall", r.previous_overall)?,
            id: r.id,
            service_id: r.service_id,
            report_date: r.report_date,
            recorded_at: r.recorded_at,
            source: r.source,
        })
    }
}

impl Store {
    pub async fn rating_history(&self, service_id: &str) -> Result<Vec<RatingHistoryEntry>> {
        let rows = sqlx::query_as::<_, HistoryRow>(
            "SELECT id, service_id, overall, safe, effective, caring, responsive, well_led, report_date, previous_overall, recorded_at, source
             FROM rating_history WHERE service_id = $1 ORDER BY COALESCE(report_date, '') DESC, recorded_at DESC",
        )
        .bind(service_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(RatingHistoryEntry::try_from).collect()
    }
}

/// A change of rating this write recorded (core's definition: [`CoreRatingChange`]), with the
/// publication's date; returned so that the caller logs it (a quality signal) and counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RecordedChange {
    pub change: CoreRatingChange,
    pub report_date: Option<Date>,
}

/// Record a rating published for a service: append it to the history and make it current when
/// core's [`replaces_current`] says so. Used when an officer records a rating (no other source
/// says which is current). Returns the change of rating it is, if any.
pub(crate) async fn add_rating_tx(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    service_id: &str,
    r: &RatingRecord,
    source: &str,
    import_id: Option<&str>,
) -> Result<Option<RecordedChange>> {
    let id = insert_history_tx(tx, service_id, r, source, import_id).await?;
    offer_current_rating_tx(tx, service_id, r).await?;
    let changes = refresh_previous_grades_tx(tx, service_id, &[id]).await?;
    Ok(changes.into_iter().next())
}

/// Append one published rating to a service's history, leaving its current rating alone. Its
/// `previous_overall` is filled by [`refresh_previous_grades_tx`]. Returns the entry's id.
pub(crate) async fn insert_history_tx(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    service_id: &str,
    r: &RatingRecord,
    source: &str,
    import_id: Option<&str>,
) -> Result<String> {
    let id = new_id();
    let row = history_row(&id, service_id, r, None, &now_timestamp(), source, import_id);
    crate::bulk::insert_rows(tx, "rating_history", &HISTORY_COLUMNS, vec![row]).await?;
    // A report of an inspection is the latest sign of CQC having looked, whether or not it
    // becomes the current rating.
    if let Some(d) = date_str(r.report_date)
        && is_inspection_report(r.overall)
    {
        sqlx::query(
            "UPDATE services SET last_inspection_date = $1 WHERE id = $2 AND (last_inspection_date IS NULL OR last_inspection_date < $1)",
        )
        .bind(d)
        .bind(service_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(id)
}

/// Whether a publication reports an inspection: rated, or "Inspected but not rated".
pub(crate) fn is_inspection_report(overall: Option<Rating>) -> bool {
    overall.is_some_and(|o| o.is_grade() || o == Rating::InspectedButNotRated)
}

/// The columns [`history_row`] fills, in its order.
pub(crate) const HISTORY_COLUMNS: [&str; 13] = [
    "id",
    "service_id",
    "overall",
    "safe",
    "effective",
    "caring",
    "responsive",
    "well_led",
    "report_date",
    "previous_overall",
    "recorded_at",
    "source",
    "import_id",
];

/// A rating history entry's row for [`HISTORY_COLUMNS`].
pub(crate) fn history_row(
    id: &str,
    service_id: &str,
    r: &RatingRecord,
    previous: Option<Rating>,
    recorded_at: &str,
    source: &str,
    import_id: Option<&str>,
) -> Vec<crate::bulk::Value> {
    vec![
        id.into(),
        service_id.into(),
        rating_str(r.overall).into(),
        rating_str(r.safe).into(),
        rating_str(r.effective).into(),
        rating_str(r.caring).into(),
        rating_str(r.responsive).into(),
        rating_str(r.well_led).into(),
        date_str(r.report_date).into(),
        rating_str(previous).into(),
        recorded_at.into(),
        source.into(),
        import_id.map(str::to_string).into(),
    ]
}

/// What [`add_rating_tx`] leaves when it is called for each of `ratings` in turn on a service
/// that holds none, worked out without the database (the demo's bulk path): each entry's
/// previous grade, the change each call returned, the current rating and the latest inspection.
pub(crate) struct Replayed<'a> {
    pub previous: Vec<Option<Rating>>,
    pub changes: Vec<RecordedChange>,
    pub current: Option<&'a RatingRecord>,
    pub last_inspection: Option<Date>,
}

pub(crate) fn replay_ratings(ratings: &[RatingRecord]) -> Replayed<'_> {
    let published: Vec<Published> = ratings.iter().map(|r| Published { overall: r.overall, report_date: r.report_date }).collect();
    let mut changes = Vec::new();
    let mut current: Option<&RatingRecord> = None;
    let mut last_inspection: Option<Date> = None;
    for (i, r) in ratings.iter().enumerate() {
        // The call's own change: its entry's previous grade among the entries written so far.
        let previous = previous_grades(&published[..=i]).get(i).copied().flatten();
        if let Some(change) = CoreRatingChange::between(previous, r.overall) {
            changes.push(RecordedChange { change, report_date: r.report_date });
        }
        let stored = Published { overall: current.and_then(|c| c.overall), report_date: current.and_then(|c| c.report_date) };
        if replaces_current(Some(stored), published[i]) {
            current = Some(r);
        }
        if let Some(d) = r.report_date
            && is_inspection_report(r.overall)
            && last_inspection.is_none_or(|l| l < d)
        {
            last_inspection = Some(d);
        }
    }
    Replayed { previous: previous_grades(&published), changes, current, last_inspection }
}

/// Make `r` the service's current rating if core's [`replaces_current`] says it replaces the one
/// held. Returns whether it did.
pub(crate) async fn offer_current_rating_tx(tx: &mut sqlx::Transaction<'_, sqlx::Any>, service_id: &str, r: &RatingRecord) -> Result<bool> {
    let (overall, date): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT rating_overall, rating_date FROM services WHERE id = $1")
            .bind(service_id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("service {service_id}")))?;
    let stored = Published {
        overall: decode_rating("services", "rating_overall", overall.as_deref())?,
        report_date: decode_date("services", "rating_date", date.as_deref())?,
    };
    if !replaces_current(Some(stored), Published { report_date: r.report_date, overall: r.overall }) {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE services SET rating_overall = $1, rating_safe = $2, rating_effective = $3, rating_caring = $4, rating_responsive = $5,
         rating_well_led = $6, rating_date = $7 WHERE id = $8",
    )
    .bind(rating_str(r.overall))
    .bind(rating_str(r.safe))
    .bind(rating_str(r.effective))
    .bind(rating_str(r.caring))
    .bind(rating_str(r.responsive))
    .bind(rating_str(r.well_led))
    .bind(date_str(r.report_date))
    .bind(service_id)
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

/// Set every history entry's `previous_overall` to the latest grade published before it (core's
/// [`previous_grades`]), so that SQL built by [`CoreRatingChange::sql_condition`] finds exactly core's
/// changes. Returns the changes among the entries `new_ids` (those just recorded).
pub(crate) async fn refresh_previous_grades_tx(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    service_id: &str,
    new_ids: &[String],
) -> Result<Vec<RecordedChange>> {
    let rows: Vec<PublishedRow> =
        sqlx::query_as("SELECT id, overall, report_date, previous_overall FROM rating_history WHERE service_id = $1")
            .bind(service_id)
            .fetch_all(&mut **tx)
            .await?;
    let mut entries = Vec::with_capacity(rows.len());
    for (id, overall, report_date, stored_previous) in rows {
        let published = Published {
            overall: decode_rating("rating_history", "overall", overall.as_deref())?,
            report_date: decode_date("rating_history", "report_date", report_date.as_deref())?,
        };
        entries.push((id, stored_previous, published));
    }
    let history: Vec<Published> = entries.iter().map(|e| e.2).collect();
    let mut changes = Vec::new();
    for ((id, stored_previous, published), previous) in entries.iter().zip(previous_grades(&history)) {
        if stored_previous.as_deref() != previous.map(Rating::as_str) {
            sqlx::query("UPDATE rating_history SET previous_overall = $1 WHERE id = $2")
                .bind(rating_str(previous))
                .bind(id)
                .execute(&mut **tx)
                .await?;
        }
        if new_ids.contains(id)
            && let Some(change) = CoreRatingChange::between(previous, published.overall)
        {
            changes.push(RecordedChange { change, report_date: published.report_date });
        }
    }
    changes.sort_by_key(|c| c.report_date);
    Ok(changes)
}
