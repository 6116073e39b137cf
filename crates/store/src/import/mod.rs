//! Applying parsed CQC data to the register: idempotent, transactional, with a report.
//!
//! Rules (docs/register.md):
//! - a location not in the register is added (its provider too, matched by CQC provider id);
//! - a location whose CQC content is unchanged (same content hash) is left alone: re-importing the
//!   same file changes nothing, not even timestamps;
//! - a changed location has its CQC-owned fields updated (never the council's: contract, framework,
//!   lot, notes, or a kind the council set); each new rating is appended to its history;
//! - a file's layout may lack fields (the 45-column export has no address, the 18-column
//!   directory no beds): those keep the stored value; a field the layout carries, blank in the
//!   file, is a real blank (`core::register::import_plan::merge_location`);
//! - only a register file the officer says is complete deregisters: a registered location of one
//!   of the file's local authorities, of a kind the file covers, that the file does not list, is
//!   marked deregistered (never deleted); more than a few need the officer's confirmation;
//! - only a complete national file sets the national figures, recording the file and date;
//! - the whole import is one transaction: a failure part-way changes nothing.

use crate::audit::{Actor, record};
use crate::register::{
    NationalBenchmark, RatingRecord, RecordedChange, insert_cqc_changes_tx, insert_history_tx, offer_current_rating_tx,
    refresh_previous_grades_tx, set_national_benchmark_tx,
};
use crate::{Result, Store, StoreError, new_id, now_timestamp, today};
use batch::{BATCH_ROWS, NewService, Pending};
use caremarket_core::register::cqc_changes::{CqcChange, ImportEvent, to_acknowledge};
use caremarket_core::register::import_plan::{
    Completeness, DeregistrationPlan, FieldSet, FileCoverage, Listed, counted_as_listed, in_council_area, is_national_file, merge_location,
    plan_deregistration,
};
use caremarket_core::register::{
    CountedService, CqcLocation, CqcProvider, CqcRatingSet, KindFigure, RegistrationStatus, Rejection, market_counts,
};
use caremarket_core::text::{normalise_postcode, outward_code};
use indexes::RebuiltAfterLoad;
use providers::ProviderLookup;
use serde::Serialize;
use serde_json::json;
use sqlx::AssertSqlSafe;
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use stored::{
    BatchRead, Existing, batch_stored, deregistration_candidates, holds_cqc_services, register_digests, stored_locations,
    unlisted_candidates,
};

mod batch;
mod council_area;
mod history;
mod indexes;
mod providers;
mod stored;
mod stream;

pub use history::{PENDING_CHUNK_BYTES, PendingFile, PendingImportWriter};
pub use stream::{LocationSender, LocationStream, Wanted, location_stream};

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub file_name: String,
    pub format: String,
    /// True for directory/export layouts that list every registered location of the local
    /// authorities they cover; false for API documents and `Latest_ratings`.
    pub complete_register: bool,
    /// The council's local authority names as CQC writes them; locations elsewhere are kept
    /// (out-of-area placements need them) but marked out of area. Empty: everything in area.
    pub council_local_authorities: Vec<String>,
    /// Locations the file held that are outside the register's scope (healthcare locations of
    /// an API download), with why: counted and kept with the import, not applied.
    pub skipped: Vec<Rejection>,
    /// CQC provider names the file gave (provider documents, list pages, the 18-column
    /// directory's provider rows): applied to the providers the register holds.
    pub providers: Vec<CqcProvider>,
    /// What the officer said about the file: only a complete file deregisters.
    pub completeness: Completeness,
    /// The file lists social care locations only (the 45-column export).
    pub social_care_only: bool,
    /// The fields the file carries; the stored value of every other field is kept.
    pub carried: FieldSet,
    /// The number of deregistrations the officer confirmed having seen listed. Needed when the
    /// file would deregister more than
    /// [`caremarket_core::register::import_plan::CONFIRM_DEREGISTRATIONS_ABOVE`] services.
    pub confirmed_deregistrations: Option<usize>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            file_name: String::new(),
            format: String::new(),
            complete_register: false,
            council_local_authorities: Vec::new(),
            skipped: Vec::new(),
            providers: Vec::new(),
            completeness: Completeness::Partial,
            social_care_only: false,
            carried: FieldSet::all(),
            confirmed_deregistrations: None,
        }
    }
}

impl ImportOptions {
    fn coverage(&self, listed: &Listed) -> FileCoverage {
        FileCoverage {
            register_layout: self.complete_register,
            completeness: self.completeness,
            social_care_only: self.social_care_only,
            local_authorities: listed.local_authorities.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct ImportReport {
    pub id: String,
    pub file_name: String,
    pub format: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub actor_label: String,
    pub status: String,
    pub new: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub deregistered: i64,
    pub rejected: i64,
    pub rating_changes: i64,
    pub rejections: Vec<Rejection>,
    pub error: Option<String>,
    /// Locations outside the register's scope, not applied (see [`ImportOptions::skipped`]).
    pub skipped: i64,
    pub skipped_locations: Vec<Rejection>,
    /// Provider names read from the file, and how many providers' names that changed.
    pub providers_read: i64,
    pub provider_names_changed: i64,
    /// "complete" or "partial" as the officer said; none for imports recorded before this was asked.
    pub completeness: Option<String>,
    /// Why the import deregistered nothing, when the file could not.
    pub deregistration_note: Option<String>,
}

/// What changing the council's local authorities did.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AreaChange {
    pub before: Vec<String>,
    pub after: Vec<String>,
    /// Services that were outside the area and now are in it.
    pub now_in_area: i64,
    /// Services that were in the area and now are outside it.
    pub now_out_of_area: i64,
}

fn to_record(r: &CqcRatingSet) -> RatingRecord {
    RatingRecord {
        overall: r.overall,
        safe: r.safe,
        effective: r.effective,
        caring: r.caring,
        responsive: r.responsive,
        well_led: r.well_led,
        report_date: r.report_date,
    }
}

/// A record the register cannot hold: the error names its record number (1-based) and field.
fn check_record(index: usize, loc: &CqcLocation) -> Result<()> {
    let field = if loc.location_id.trim().is_empty() {
        "location_id"
    } else if loc.name.trim().is_empty() {
        "name"
    } else {
        return Ok(());
    };
    Err(StoreError::Invalid(caremarket_core::FieldError::new(
        field,
        format!("record {} ({}): the {} is empty; nothing was imported", index + 1, loc.location_id, field.replace('_', " ")),
    )))
}

/// The refusal when a file would deregister many services the officer has not confirmed.
fn unconfirmed(plan: &DeregistrationPlan) -> StoreError {
    let names: Vec<String> = plan.services.iter().take(5).map(|s| format!("{} ({})", s.name, s.location_id)).collect();
    StoreError::Conflict(format!(
        "this file would mark {} services deregistered (for example {}); nothing was imported. Check the file is CQC's \
         complete register for its local authorities, then confirm the deregistrations, or import it as partial",
        plan.services.len(),
        names.join(", ")
    ))
}

impl Store {
    /// What importing a file that lists these would deregister, without changing anything: for
    /// the confirmation page and the command line's refusal.
    pub async fn preview_deregistrations(&self, opts: &ImportOptions, listed: &Listed) -> Result<DeregistrationPlan> {
        let mut conn = self.pool.acquire().await?;
        let coverage = opts.coverage(listed);
        let registered = deregistration_candidates(&mut conn, &coverage, &listed.ids).await?;
        Ok(plan_deregistration(&coverage, &registered, &listed.ids))
    }

    /// Apply a parsed CQC file. `progress(done, total)` is called as records are applied.
    pub async fn import_cqc(
        &self,
        actor: &Actor,
        opts: &ImportOptions,
        records: &[CqcLocation],
        rejections: Vec<Rejection>,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> Result<ImportReport> {
        self.import_locations(actor, opts, Source::Held { records, next: 0 }, rejections, progress).await
    }

    /// Apply a CQC file's locations as they are read (see [`stream`]): the same import as
    /// [`Store::import_cqc`], holding a batch of locations at a time instead of the file's.
    /// `opts`, `rejections` and the stream's list of what the file lists come from reading the
    /// file once before (the command line's first pass); a file that cannot be read to its end
    /// changes nothing.
    pub async fn import_cqc_streamed(
        &self,
        actor: &Actor,
        opts: &ImportOptions,
        locations: LocationStream,
        rejections: Vec<Rejection>,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> Result<ImportReport> {
        self.import_locations(actor, opts, Source::Streamed(locations), rejections, progress).await
    }

    async fn import_locations(
        &self,
        actor: &Actor,
        opts: &ImportOptions,
        mut source: Source<'_>,
        rejections: Vec<Rejection>,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> Result<ImportReport> {
        let started_at = now_timestamp();
        let mut report = ImportReport {
            id: new_id(),
            file_name: opts.file_name.clone(),
            format: opts.format.clone(),
            started_at: started_at.clone(),
            actor_label: actor.label.clone(),
            status: "completed".into(),
            rejected: rejections.len() as i64,
            rejections,
            completeness: Some(opts.completeness.as_str().to_string()),
            ..Default::default()
        };
        let council_las = &opts.council_local_authorities;
        let in_area = |la: &Option<String>| -> i64 { i64::from(in_council_area(council_las, la.as_deref())) };

        let mut tx = self.begin_write().await?;
        // Filling an empty register on PostgreSQL: secondary indexes are built, and foreign keys
        // checked, after loading, under an ACCESS EXCLUSIVE lock on the (empty) tables and on
        // `providers` until the commit (see `indexes`).
        let deferred = RebuiltAfterLoad::drop_if_empty(&mut tx).await?;
        let mut providers = ProviderLookup::default();

        // CQC's provider names given with this file: a provider created now takes its real name.
        let provider_names: HashMap<&str, &str> = opts.providers.iter().map(|p| (p.provider_id.as_str(), p.name.as_str())).collect();
        let mut areas: HashMap<String, String> = HashMap::new();
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT outward_code, area_id FROM area_districts").fetch_all(&mut *tx).await?;
        areas.extend(rows);
        // The import that fills an empty register is the starting point: nothing in it is a
        // change to acknowledge (issue 16 item 13).
        let first_import = !holds_cqc_services(&mut tx).await?;
        let how = if first_import { BatchRead::ById } else { BatchRead::ByDigest };
        let mut found: Vec<(String, CqcChange)> = Vec::new();
        let mut note = |service_id: &str, event: ImportEvent, in_area: i64| {
            if let Some(c) = to_acknowledge(event, in_area == 1, first_import) {
                found.push((service_id.to_string(), c));
            }
        };

        let total = source.total();
        let now = now_timestamp();
        // What the file lists (for deregistration): a streamed file's first reading listed it; a
        // held file's is gathered as it is applied. Its registered locations (for the national
        // figures) are gathered as it is read: the locations themselves are not kept.
        let (mut listed, gather_listed) = match source.first_listing() {
            Some(listed) => (listed, false),
            None => (Listed::default(), true),
        };
        // A file whose first reading made each location's digest is compared with the register
        // before it is read again, and only what differs is read (decision 57). The same read of
        // the register gives the registered services the file does not list.
        let listed_digests = listed.digests.take();
        let mut unlisted: Option<Vec<String>> = None;
        let mut skipped = 0u64;
        let mut reads_nothing = false;
        if let Source::Streamed(stream) = &mut source {
            let wanted = match &listed_digests {
                Some(digests) if !first_import && listed.ids.len() as u64 == listed.locations => {
                    let register = register_digests(&mut tx, &listed.ids).await?;
                    let wanted: Vec<bool> = digests.each.iter().map(|d| !register.holds(d)).collect();
                    skipped = wanted.iter().filter(|w| !**w).count() as u64;
                    unlisted = Some(register.registered_unlisted);
                    reads_nothing = skipped == listed.locations;
                    if reads_nothing { Wanted::None } else { Wanted::Some(wanted) }
                }
                _ => Wanted::All,
            };
            stream.want(wanted);
        }
        // The larger page cache serves writing. An import that reads nothing again writes next
        // to nothing, and with it the cache kept every page of the register's index that the
        // comparison read: about 59 MiB of an unchanged re-import's 152 MiB peak at 500,000
        // locations (heaptrack, benchmarks/import.md, session 44).
        let cache = if reads_nothing { ImportCache::kept() } else { ImportCache::enlarge(&mut tx).await? };
        report.unchanged += skipped as i64;
        if skipped > 0 {
            progress(skipped, total);
        }
        // The national figures count every registered location the file lists: from the first
        // reading where it made them, else as each is read.
        let gather_national = listed_digests.is_none();
        let mut national: Vec<CountedService> = listed_digests.map(|d| d.registered).unwrap_or_default();
        // New locations are queued and written in batches (issue 18 item 1).
        let mut pending = Pending::new(&now, &report.id);
        let mut i = 0usize;
        while let Some((batch, hashes)) = source.next_batch().await? {
            // The register's services and providers of this batch's locations, read with a
            // query each. What is queued is written first, so that a location or provider the
            // file repeats from an earlier batch is found as this import wrote it.
            if pending.holds_any() {
                pending.flush(&mut tx).await?;
            }
            // Asked by id into an empty register, by digest otherwise (decision 56): either way a
            // location stored as the file gives it is found unchanged by its digest alone.
            let pairs: Vec<(&str, &str)> = batch.iter().zip(&hashes).map(|(l, h)| (l.location_id.as_str(), h.as_str())).collect();
            let mut read = batch_stored(&mut tx, &pairs, how).await?;
            drop(pairs);
            // A batch whose every location is unchanged refers to no provider: an unchanged
            // re-import reads none.
            if !read.all_stored() {
                providers.read_batch(&mut tx, &batch).await?;
            }
            // The file's location as stored (its hash is the stored hash) is unchanged whatever the
            // layout carries: merged with the stored location it would be that location again. So
            // an unchanged location costs its hash, and the stored one is not read. The stored
            // locations of the batch's changed ones are read together.
            let changed: Vec<&str> = read.changed.keys().map(String::as_str).collect();
            let mut stored_by_id = stored_locations(&mut tx, &changed).await?;
            drop(changed);
            let mut existing: HashMap<String, Existing> = std::mem::take(&mut read.changed);
            for (incoming, incoming_hash) in batch.iter().zip(hashes) {
                let at = i;
                i += 1;
                let done = skipped + at as u64 + 1;
                let report_progress = at.is_multiple_of(500) || done == total;
                // The parsers reject these rows; a caller that skips them is refused here, and the
                // transaction (with any batch already written) is rolled back.
                check_record(at, incoming)?;
                if gather_listed {
                    listed.add(incoming);
                }
                if gather_national && incoming.registration_status == RegistrationStatus::Registered {
                    national.push(counted_as_listed(incoming));
                }
                // Stored as the file gives it when the batch was read, or as this import wrote it.
                if read.stored_as(&incoming_hash)
                    || existing.get(&incoming.location_id).is_some_and(|e| e.hash.as_deref() == Some(incoming_hash.as_str()))
                {
                    report.unchanged += 1;
                    if report_progress {
                        progress(done, total);
                    }
                    continue;
                }
                // A layout that lacks a field keeps the stored value (issue 14 item 4). Without a
                // stored location the file's is taken as it is, so it is not copied. A location
                // written earlier in this import (the file repeats it) is read as written.
                let stored_location = match existing.get(&incoming.location_id) {
                    Some(e) => match stored_by_id.remove(&incoming.location_id) {
                        Some(stored) => Some(stored),
                        None => {
                            if pending.holds_service(&e.id) {
                                pending.flush(&mut tx).await?;
                            }
                            stored_locations(&mut tx, &[incoming.location_id.as_str()]).await?.remove(&incoming.location_id)
                        }
                    },
                    None => None,
                };
                let merged: Cow<'_, CqcLocation> = match stored_location.as_ref() {
                    Some(stored) => Cow::Owned(merge_location(Some(stored), incoming, &opts.carried)),
                    None => Cow::Borrowed(incoming),
                };
                drop(stored_location);
                let loc: &CqcLocation = &merged;
                let hash = if matches!(merged, Cow::Borrowed(_)) { incoming_hash } else { loc.content_hash() };
                let stored = existing.get(&loc.location_id);
                // An unchanged location costs the comparison only.
                if let Some(e) = stored
                    && e.hash.as_deref() == Some(hash.as_str())
                {
                    report.unchanged += 1;
                    if report_progress {
                        progress(done, total);
                    }
                    continue;
                }
                let stored_json = serde_json::to_string(loc).ok();
                let status = loc.registration_status.as_str();
                let postcode = loc.postcode.as_deref().and_then(normalise_postcode);
                let outward = postcode.as_deref().and_then(outward_code);
                let area_id = outward.as_ref().and_then(|o| areas.get(o)).cloned();
                let relationships = if loc.relationships.is_empty() { None } else { serde_json::to_string(&loc.relationships).ok() };
                match stored {
                    Some(e) => {
                        // Statements of its own follow: what they refer to must be written first.
                        if pending.holds_service(&e.id) {
                            pending.flush(&mut tx).await?;
                        }
                        let provider_id = providers.ensure(&mut tx, &mut pending, loc, &provider_names).await?;
                        pending.flush_providers(&mut tx).await?;
                        let kind_sql = if e.kind_set_by_council { "" } else { ", kind = $23" };
                        let sql = format!(
                            "UPDATE services SET provider_id = $1, name = $2, address_line = $3, town = $4, postcode = $5, outward_code = $6,
                               local_authority = $7, region = $8, in_area = $9, area_id = COALESCE($10, area_id), phone = $11, website = $12,
                               registration_status = $13, registration_date = $14, deregistration_date = $15, beds = $16, service_types = $17,
                               cqc_hash = $18, relationships_json = $19, updated_at = $20, last_inspection_date = COALESCE($21, last_inspection_date),
                               cqc_json = $22{kind_sql}
                             WHERE id = $24"
                        );
                        sqlx::query(AssertSqlSafe(sql.clone()))
                            .bind(&provider_id)
                            .bind(&loc.name)
                            .bind(loc.address_line.clone())
                            .bind(loc.town.clone())
                            .bind(postcode.clone())
                            .bind(outward.clone())
                            .bind(loc.local_authority.clone())
                            .bind(loc.region.clone())
                            .bind(in_area(&loc.local_authority))
                            .bind(area_id)
                            .bind(loc.phone.clone())
                            .bind(loc.website.clone())
                            .bind(status)
                            .bind(loc.registration_date.map(|d| d.to_string()))
                            .bind(loc.deregistration_date.map(|d| d.to_string()))
                            .bind(loc.beds)
                            .bind(loc.service_types.join("|"))
                            .bind(&hash)
                            .bind(relationships)
                            .bind(&now)
                            .bind(loc.last_inspection_date.map(|d| d.to_string()))
                            .bind(stored_json.clone())
                            .bind(loc.kind().as_str())
                            .bind(&e.id)
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query("DELETE FROM service_specialisms WHERE service_id = $1").bind(&e.id).execute(&mut *tx).await?;
                        insert_specialisms(&mut tx, &e.id, loc).await?;
                        let changes = self.apply_ratings(&mut tx, &e.id, loc, e.rating_date.as_deref(), &report.id).await?;
                        report.rating_changes += changes.len() as i64;
                        let here = in_area(&loc.local_authority);
                        for c in changes {
                            note(&e.id, ImportEvent::Rated { change: c.change, report_date: c.report_date }, here);
                        }
                        let deregistered = RegistrationStatus::Deregistered.as_str();
                        if e.status != deregistered && status == deregistered {
                            note(&e.id, ImportEvent::Deregistered { on: loc.deregistration_date }, here);
                            report.deregistered += 1;
                        } else {
                            report.updated += 1;
                        }
                        record(
                            &mut tx,
                            actor,
                            "cqc_update",
                            "service",
                            Some(&e.id),
                            &format!("CQC import updated {} ({})", loc.name, loc.location_id),
                            Some(&json!({"registration_status": e.status, "rating_overall": e.overall, "rating_date": e.rating_date})),
                            Some(&json!({"registration_status": status, "rating": loc.rating})),
                        )
                        .await?;
                    }
                    None => {
                        let provider_id = providers.ensure(&mut tx, &mut pending, loc, &provider_names).await?;
                        let id = new_id();
                        let registered = loc.registration_status == RegistrationStatus::Registered;
                        note(
                            &id,
                            ImportEvent::Added { registered, registration_date: loc.registration_date },
                            in_area(&loc.local_authority),
                        );
                        report.rating_changes += pending.add_service(NewService {
                            id: id.clone(),
                            provider_id,
                            loc,
                            hash: hash.clone(),
                            stored_json,
                            postcode,
                            outward,
                            in_area: in_area(&loc.local_authority),
                            area_id,
                            relationships,
                        });
                        if pending.services_queued() >= BATCH_ROWS {
                            pending.flush(&mut tx).await?;
                        }
                        existing.insert(
                            loc.location_id.clone(),
                            Existing {
                                id,
                                hash: Some(hash),
                                status: status.into(),
                                rating_date: None,
                                overall: None,
                                kind_set_by_council: false,
                            },
                        );
                        report.new += 1;
                    }
                }
                if report_progress {
                    progress(done, total);
                }
            }
        }

        pending.flush(&mut tx).await?;
        deferred.rebuild(&mut tx).await?;

        // Only a file complete for its areas deregisters, only kinds it covers, and many
        // deregistrations need the officer's confirmation (issue 14 item 3).
        let coverage = opts.coverage(&listed);
        let candidates = match unlisted {
            Some(unlisted) => unlisted_candidates(&mut tx, &coverage, unlisted).await?,
            None => deregistration_candidates(&mut tx, &coverage, &listed.ids).await?,
        };
        let plan = plan_deregistration(&coverage, &candidates, &listed.ids);
        if plan.needs_confirmation() && opts.confirmed_deregistrations != Some(plan.services.len()) {
            return Err(unconfirmed(&plan));
        }
        report.deregistration_note = plan.not_deregistering_because.clone();
        let today_date = today();
        let today = today_date.to_string();
        for s in &plan.services {
            note(&s.id, ImportEvent::Deregistered { on: Some(today_date) }, in_area(&s.local_authority));
            sqlx::query(
                "UPDATE services SET registration_status = $4, deregistration_date = $1, cqc_hash = NULL, updated_at = $2 WHERE id = $3",
            )
            .bind(&today)
            .bind(&now)
            .bind(&s.id)
            .bind(RegistrationStatus::Deregistered.as_str())
            .execute(&mut *tx)
            .await?;
            record(
                &mut tx,
                actor,
                "cqc_deregister",
                "service",
                Some(&s.id),
                &format!(
                    "{} ({}) is not in CQC file {}, complete for its local authorities: marked deregistered",
                    s.name, s.location_id, opts.file_name
                ),
                Some(&json!({"registration_status": "registered"})),
                Some(&json!({"registration_status": "deregistered", "deregistration_date": today})),
            )
            .await?;
            report.deregistered += 1;
        }

        // Only a complete national file gives the national comparator for each kind (item 6).
        if is_national_file(&coverage) {
            // Core's count of the market, over CQC's registered locations: the same definition
            // of "rated Good or Outstanding" as the dashboard's.
            for KindFigure { kind, rated, percent_good_or_outstanding, .. } in market_counts(&national, |_| None).by_kind {
                if let Some(p) = percent_good_or_outstanding {
                    set_national_benchmark_tx(
                        &mut tx,
                        &NationalBenchmark {
                            kind,
                            percent_good_or_outstanding: p,
                            rated_services: Some(rated),
                            as_at: today.clone(),
                            source: format!(
                                "CQC file {} (complete, {} local authorities), imported {today}",
                                opts.file_name,
                                coverage.local_authorities.len()
                            ),
                        },
                    )
                    .await?;
                }
            }
        }

        report.provider_names_changed = self.apply_provider_names_tx(&mut tx, actor, &opts.providers).await?;

        report.finished_at = Some(now_timestamp());
        sqlx::query(
            "INSERT INTO imports (id, source, file_name, format, started_at, finished_at, actor_label, status, new_count, updated_count,
               unchanged_count, deregistered_count, rejected_count, rejections_json, completeness, deregistration_note)
             VALUES ($1, 'cqc', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(&report.id)
        .bind(&report.file_name)
        .bind(&report.format)
        .bind(&report.started_at)
        .bind(report.finished_at.clone())
        .bind(&report.actor_label)
        .bind(&report.status)
        .bind(report.new)
        .bind(report.updated)
        .bind(report.unchanged)
        .bind(report.deregistered)
        .bind(report.rejected)
        .bind(serde_json::to_string(&report.rejections).unwrap_or_else(|_| "[]".into()))
        .bind(report.completeness.clone())
        .bind(report.deregistration_note.clone())
        .execute(&mut *tx)
        .await?;
        insert_cqc_changes_tx(&mut tx, &report.id, &report.started_at, &found).await?;
        report.skipped = opts.skipped.len() as i64;
        report.skipped_locations = opts.skipped.clone();
        report.providers_read = opts.providers.len() as i64;
        save_scope_summary_tx(&mut tx, &report).await?;
        record(
            &mut tx,
            actor,
            "import",
            "import",
            Some(&report.id),
            &format!(
                "Imported CQC file {} ({}): {} new, {} updated, {} unchanged, {} deregistered, {} rejected, {} skipped (not social care), {} provider names read",
                report.file_name,
                opts.completeness.as_str(),
                report.new,
                report.updated,
                report.unchanged,
                report.deregistered,
                report.rejected,
                report.skipped,
                report.providers_read
            ),
            None,
            None,
        )
        .await?;
        cache.restore(&mut tx).await?;
        tx.commit().await?;
        Ok(report)
    }

    /// Apply a location's CQC ratings: every published entry the register does not yet hold is
    /// appended to the history; CQC's current rating (`loc.rating`, see core's `register::history`)
    /// becomes the service's current rating when core's `replaces_current` says so. A history
    /// entry never becomes current: an "Inspected but not rated" report dated after the current
    /// rating is history only. Each change of rating recorded is logged as a quality signal;
    /// returns them (counted, and listed as changes to acknowledge).
    async fn apply_ratings(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        service_id: &str,
        loc: &CqcLocation,
        _current_date: Option<&str>,
        import_id: &str,
    ) -> Result<Vec<RecordedChange>> {
        let known: Vec<(Option<String>, Option<String>)> =
            sqlx::query_as("SELECT report_date, overall FROM rating_history WHERE service_id = $1")
                .bind(service_id)
                .fetch_all(&mut **tx)
                .await?;
        let mut known: BTreeSet<(Option<String>, Option<String>)> = known.into_iter().collect();
        let mut sets: Vec<&CqcRatingSet> = loc.rating_history.iter().collect();
        if let Some(r) = &loc.rating {
            sets.push(r);
        }
        sets.sort_by_key(|r| r.report_date);
        let mut inserted = Vec::new();
        for set in sets {
            let key = (set.report_date.map(|d| d.to_string()), set.overall.map(|r| r.as_str().to_string()));
            if set.is_empty() || !known.insert(key) {
                continue;
            }
            inserted.push(insert_history_tx(tx, service_id, &to_record(set), "cqc", Some(import_id)).await?);
        }
        if let Some(current) = loc.rating.as_ref().filter(|r| !r.is_empty()) {
            offer_current_rating_tx(tx, service_id, &to_record(current)).await?;
        }
        let changes = refresh_previous_grades_tx(tx, service_id, &inserted).await?;
        for c in &changes {
            crate::quality::signals::log_rating_change(tx, service_id, *c, "cqc", Some(import_id)).await?;
        }
        Ok(changes)
    }
}

/// SQLite's page cache for the import's connection. SQLite keeps 2 MiB of pages by default: an
/// import writing 50,000 services (about 130 MiB with their indexes) spilled pages to the WAL
/// mid-transaction and read them back, about a quarter of SQLite's time in `pread`/`pwrite` (`perf`,
/// benchmarks/import.md). The import's connection gets more for the import only, and its own
/// size back before the commit; a failed import leaves the larger cache on one pooled connection.
struct ImportCache {
    previous: Option<i64>,
}

impl ImportCache {
    const KIB: i64 = 64 * 1024;

    /// The connection's own cache, left as it is.
    fn kept() -> ImportCache {
        ImportCache { previous: None }
    }

    async fn enlarge(tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<ImportCache> {
        if !tx.backend_name().eq_ignore_ascii_case("sqlite") {
            return Ok(ImportCache { previous: None });
        }
        let previous: i64 = sqlx::query_scalar("PRAGMA cache_size").fetch_one(&mut **tx).await?;
        sqlx::query(AssertSqlSafe(format!("PRAGMA cache_size = -{}", Self::KIB))).execute(&mut **tx).await?;
        Ok(ImportCache { previous: Some(previous) })
    }

    async fn restore(self, tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<()> {
        if let Some(previous) = self.previous {
            sqlx::query(AssertSqlSafe(format!("PRAGMA cache_size = {previous}"))).execute(&mut **tx).await?;
        }
        Ok(())
    }
}

/// Where an import's locations come from: a parsed file held whole (the demo, the store's
/// callers with records in hand), or a file read as it is applied (the command line and the web
/// upload, see [`stream`]).
enum Source<'a> {
    Held { records: &'a [CqcLocation], next: usize },
    Streamed(LocationStream),
}

impl<'a> Source<'a> {
    fn total(&self) -> u64 {
        match self {
            Source::Held { records, .. } => records.len() as u64,
            Source::Streamed(stream) => stream.total(),
        }
    }

    /// What a first reading of the file listed, for a file read again as it is applied.
    fn first_listing(&mut self) -> Option<Listed> {
        match self {
            Source::Held { .. } => None,
            Source::Streamed(stream) => Some(stream.take_listed()),
        }
    }

    /// The next batch of at most [`BATCH_ROWS`] locations, in file order, with each one's content
    /// digest (a streamed file's made as it was read, see [`stream`]); `None` at the end.
    async fn next_batch(&mut self) -> Result<Option<(Cow<'a, [CqcLocation]>, Vec<String>)>> {
        match self {
            Source::Held { records, next } => {
                let records: &'a [CqcLocation] = records;
                if *next >= records.len() {
                    return Ok(None);
                }
                let end = (*next + BATCH_ROWS).min(records.len());
                let batch = &records[*next..end];
                *next = end;
                Ok(Some((Cow::Borrowed(batch), batch.iter().map(CqcLocation::content_hash).collect())))
            }
            Source::Streamed(stream) => Ok(stream.next().await?.map(|(batch, hashes)| (Cow::Owned(batch), hashes))),
        }
    }
}

/// Keep with the import what it skipped as out of scope, the provider names it read and the
/// changes of rating it recorded (migration 0005).
async fn save_scope_summary_tx(tx: &mut sqlx::Transaction<'_, sqlx::Any>, report: &ImportReport) -> Result<()> {
    sqlx::query("UPDATE imports SET skipped_count = $1, skipped_json = $2, providers_read = $3, rating_changes_count = $4 WHERE id = $5")
        .bind(report.skipped)
        .bind(serde_json::to_string(&report.skipped_locations).unwrap_or_else(|_| "[]".into()))
        .bind(report.providers_read)
        .bind(report.rating_changes)
        .bind(&report.id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// Give the register's providers the names CQC publishes for them (issue 14 item 7: the API's
    /// location documents carry only a provider id, so until a provider document is read a
    /// provider is named after its first location). Providers the register does not hold are
    /// not created: a name alone is not a service of the market. Each rename is audited.
    /// Returns how many names changed.
    async fn apply_provider_names_tx(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        actor: &Actor,
        names: &[CqcProvider],
    ) -> Result<i64> {
        let mut changed = 0;
        for p in names {
            let Some((id, old)): Option<(String, String)> = sqlx::query_as("SELECT id, name FROM providers WHERE cqc_provider_id = $1")
                .bind(&p.provider_id)
                .fetch_optional(&mut **tx)
                .await?
            else {
                continue;
            };
            if old == p.name {
                continue;
            }
            sqlx::query("UPDATE providers SET name = $1, updated_at = $2 WHERE id = $3")
                .bind(&p.name)
                .bind(now_timestamp())
                .bind(&id)
                .execute(&mut **tx)
                .await?;
            record(
                tx,
                actor,
                "cqc_update",
                "provider",
                Some(&id),
                &format!("CQC import named provider {} '{}' (was '{old}')", p.provider_id, p.name),
                Some(&json!({"name": old})),
                Some(&json!({"name": p.name})),
            )
            .await?;
            changed += 1;
        }
        Ok(changed)
    }
}

async fn insert_specialisms(tx: &mut sqlx::Transaction<'_, sqlx::Any>, id: &str, loc: &CqcLocation) -> Result<()> {
    let set: BTreeSet<&str> = loc.specialisms.iter().map(|s| s.as_str()).collect();
    for sp in set {
        sqlx::query("INSERT INTO service_specialisms (service_id, specialism) VALUES ($1, $2)")
            .bind(id)
            .bind(sp)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
