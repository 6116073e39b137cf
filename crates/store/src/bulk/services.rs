//! New services with their rating histories in bulk (the demo, issue 18 item 5).
//!
//! The ordinary path is [`Store::create_service`] and then [`Store::add_rating`] for each rating:
//! two transactions and about a dozen statements a service. Here every service is checked as
//! `create_service` checks it before anything is written, and its ratings are replayed in
//! memory with the register's own rules (`replay_ratings`: core's `previous_grades`,
//! `replaces_current` and `RatingChange`, in the order the ratings are given), so the rows are
//! the ones the ordinary path would leave: the service with its current rating and latest
//! inspection, its specialisms, each history entry with its previous grade, and a quality
//! signal for each change of rating an `add_rating` call would have logged.

use super::{BatchAudit, TableRows, in_row, thousands};
use crate::audit::Actor;
use crate::register::{
    HISTORY_COLUMNS, NewService, RatingRecord, SERVICE_COLUMNS, SPECIALISM_COLUMNS, check_new_service, date_str, history_row, rating_str,
    replay_ratings, service_row, specialism_rows,
};
use crate::{Result, Store, new_id, now_timestamp};
use serde_json::json;
use std::collections::HashMap;

/// A new service and the ratings to record for it, in the order `add_rating` would be called.
#[derive(Debug, Clone)]
pub struct NewRatedService {
    pub service: NewService,
    pub ratings: Vec<RatingRecord>,
}

/// The current-rating columns, filled on insert where the ordinary path updates them after.
const CURRENT_COLUMNS: [&str; 8] = [
    "rating_overall",
    "rating_safe",
    "rating_effective",
    "rating_caring",
    "rating_responsive",
    "rating_well_led",
    "rating_date",
    "last_inspection_date",
];

impl Store {
    /// Services with their ratings, written as [`Store::create_service`] and then
    /// [`Store::add_rating`] (with `source`) for each rating would write them, in one
    /// transaction with one audit entry for the batch. Refused whole, naming the row, if any
    /// service fails `create_service`'s checks. Returns the new services' ids in order.
    pub async fn bulk_create_services(&self, actor: &Actor, services: &[NewRatedService], source: &str) -> Result<Vec<String>> {
        if services.is_empty() {
            return Ok(Vec::new());
        }
        let mut checked = Vec::with_capacity(services.len());
        for (i, s) in services.iter().enumerate() {
            checked.push(check_new_service(&s.service).map_err(|e| in_row("services", i, e))?);
        }
        let areas: HashMap<String, String> = sqlx::query_as::<_, (String, String)>("SELECT outward_code, area_id FROM area_districts")
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .collect();

        let now = now_timestamp();
        let columns: Vec<&str> = SERVICE_COLUMNS.iter().chain(CURRENT_COLUMNS.iter()).copied().collect();
        let (mut rows, mut specialisms, mut history) = (Vec::new(), Vec::new(), Vec::new());
        let mut changes = Vec::new();
        let mut ids = Vec::with_capacity(services.len());
        for (s, c) in services.iter().zip(checked) {
            let id = new_id();
            let area_id = c.outward.as_ref().and_then(|o| areas.get(o)).cloned();
            let replayed = replay_ratings(&s.ratings);
            let current = replayed.current;
            let mut row = service_row(&id, &s.service, c, area_id, &now);
            row.extend([
                rating_str(current.and_then(|r| r.overall)).into(),
                rating_str(current.and_then(|r| r.safe)).into(),
                rating_str(current.and_then(|r| r.effective)).into(),
                rating_str(current.and_then(|r| r.caring)).into(),
                rating_str(current.and_then(|r| r.responsive)).into(),
                rating_str(current.and_then(|r| r.well_led)).into(),
                date_str(current.and_then(|r| r.report_date)).into(),
                date_str(replayed.last_inspection).into(),
            ]);
            rows.push(row);
            specialisms.extend(specialism_rows(&id, &s.service));
            for (r, previous) in s.ratings.iter().zip(&replayed.previous) {
                history.push(history_row(&new_id(), &id, r, *previous, &now, source, None));
            }
            changes.extend(replayed.changes.into_iter().map(|c| (id.clone(), c)));
            ids.push(id);
        }
        let ratings = history.len();

        let mut batch = self.begin_batch().await?;
        batch.insert(TableRows { table: "services", columns: &columns, rows }).await?;
        batch.insert(TableRows { table: "service_specialisms", columns: &SPECIALISM_COLUMNS, rows: specialisms }).await?;
        batch.insert(TableRows { table: "rating_history", columns: &HISTORY_COLUMNS, rows: history }).await?;
        for (service_id, change) in changes {
            crate::quality::signals::log_rating_change(batch.tx(), &service_id, change, source, None).await?;
        }
        let summary = format!("{} services generated with {} ratings (bulk load)", thousands(services.len()), thousands(ratings));
        let after = json!({"bulk": true, "services": services.len(), "ratings": ratings, "source": source});
        batch.finish(actor, BatchAudit { entity_type: "service", summary, after }).await?;
        Ok(ids)
    }
}
