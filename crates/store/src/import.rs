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
    NationalBenchmark, RatingRecord, insert_history_tx, offer_current_rating_tx, refresh_previous_grades_tx, set_national_benchmark_tx,
};
use crate::{Result, Store, StoreError, new_id, now_timestamp, today};
use caremarket_core::register::import_plan::{
    Completeness, CqcField, DeregistrationPlan, FieldSet, FileCoverage, RegisteredService, in_council_area, is_national_file,
    merge_location, plan_deregistration,
};
use caremarket_core::register::{CqcLocation, CqcProvider, CqcRatingSet, RegistrationStatus, Rejection, ServiceKind};
use caremarket_core::text::{normalise_postcode, outward_code};
use serde::Serialize;
use serde_json::json;
use sqlx::{AssertSqlSafe, Row};
use std::collections::{BTreeMap, BTreeSet, HashMap};

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
    fn coverage(&self, records: &[CqcLocation]) -> FileCoverage {
        FileCoverage {
            register_layout: self.complete_register,
            completeness: self.completeness,
            social_care_only: self.social_care_only,
            local_authorities: records.iter().filter_map(|l| l.local_authority.clone()).collect(),
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

struct Existing {
    id: String,
    hash: Option<String>,
    status: String,
    rating_date: Option<String>,
    overall: Option<String>,
    kind_set_by_council: bool,
    /// The location as last stored, for merging a file that lacks some fields.
    stored: Option<CqcLocation>,
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

/// The stored location: the JSON kept since this was recorded, or else (services imported
/// before) what the service's own columns hold, so that a poorer layout still cannot wipe them.
fn stored_location(r: &sqlx::any::AnyRow) -> Result<CqcLocation> {
    if let Some(json) = r.try_get::<Option<String>, _>("cqc_json")?
        && let Ok(loc) = serde_json::from_str::<CqcLocation>(&json)
    {
        return Ok(loc);
    }
    let date = |c: &str| -> Result<Option<caremarket_core::Date>> { Ok(r.try_get::<Option<String>, _>(c)?.and_then(|s| s.parse().ok())) };
    let mut loc = CqcLocation::new(r.try_get::<String, _>("cqc_location_id")?, r.try_get::<String, _>("name")?);
    loc.provider_id = r.try_get("cqc_provider_id")?;
    loc.provider_name = r.try_get("provider_name")?;
    loc.address_line = r.try_get("address_line")?;
    loc.town = r.try_get("town")?;
    loc.postcode = r.try_get("postcode")?;
    loc.local_authority = r.try_get("local_authority")?;
    loc.region = r.try_get("region")?;
    loc.phone = r.try_get("phone")?;
    loc.website = r.try_get("website")?;
    loc.registration_date = date("registration_date")?;
    loc.deregistration_date = date("deregistration_date")?;
    loc.beds = r.try_get("beds")?;
    let types: String = r.try_get("service_types")?;
    loc.service_types = types.split('|').filter(|t| !t.is_empty()).map(str::to_string).collect();
    loc.last_inspection_date = date("last_inspection_date")?;
    if let Some(rel) = r.try_get::<Option<String>, _>("relationships_json")? {
        loc.relationships = serde_json::from_str(&rel).unwrap_or_default();
    }
    Ok(loc)
}

/// The registered CQC services, for deciding what a file deregisters.
async fn registered_services(conn: &mut sqlx::AnyConnection) -> Result<Vec<RegisteredService>> {
    let rows = sqlx::query(
        "SELECT id, cqc_location_id, name, local_authority, kind FROM services
         WHERE cqc_location_id IS NOT NULL AND registration_status = 'registered' ORDER BY name, id",
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(RegisteredService {
                id: r.try_get("id")?,
                location_id: r.try_get("cqc_location_id")?,
                name: r.try_get("name")?,
                local_authority: r.try_get("local_authority")?,
                kind: ServiceKind::parse(&r.try_get::<String, _>("kind")?).unwrap_or(ServiceKind::Other),
            })
        })
        .collect()
}

fn listed_ids(records: &[CqcLocation]) -> BTreeSet<String> {
    records.iter().map(|l| l.location_id.clone()).collect()
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
    /// The council's local authority names for deciding what is in area (setting
    /// `council_local_authorities`, `;`-separated).
    pub async fn council_local_authorities(&self) -> Result<Vec<String>> {
        Ok(self
            .setting("council_local_authorities")
            .await?
            .map(|v| v.split(';').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default())
    }

    /// Set the council's local authorities and recalculate "in the council's area" for every
    /// service at once, in one transaction with its audit entry. Returns how many services
    /// changed side. A name no service in the register has is refused (a misspelling would put
    /// every service out of area), unless the register has no CQC services yet.
    pub async fn set_council_local_authorities(&self, actor: &Actor, names: &[String]) -> Result<AreaChange> {
        let mut cleaned: Vec<String> = Vec::new();
        for n in names {
            let n = caremarket_core::text::tidy(n);
            if n.is_empty() {
                continue;
            }
            if n.contains(';') {
                return Err(StoreError::invalid(
                    "local_authorities",
                    format!("'{n}' is not a local authority name: put each on its own line"),
                ));
            }
            if n.chars().count() > CqcField::LocalAuthority.max_chars() {
                return Err(StoreError::invalid(
                    "local_authorities",
                    format!("A local authority name must be {} characters or fewer", CqcField::LocalAuthority.max_chars()),
                ));
            }
            if !cleaned.iter().any(|c| c.eq_ignore_ascii_case(&n)) {
                cleaned.push(n);
            }
        }
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query("SELECT id, local_authority, in_area FROM services").fetch_all(&mut *tx).await?;
        let known: BTreeSet<String> = rows
            .iter()
            .filter_map(|r| r.try_get::<Option<String>, _>("local_authority").ok().flatten())
            .map(|s| s.to_lowercase())
            .collect();
        if !known.is_empty()
            && let Some(unknown) = cleaned.iter().find(|n| !known.contains(&n.to_lowercase()))
        {
            return Err(StoreError::invalid(
                "local_authorities",
                format!("No service in the register is in '{unknown}': enter the local authority as CQC writes it, like 'Oldham'"),
            ));
        }
        let before: Vec<String> = self.council_local_authorities().await?;
        sqlx::query(crate::db::UPSERT_SETTING).bind("council_local_authorities").bind(cleaned.join(";")).execute(&mut *tx).await?;
        let now = now_timestamp();
        let (mut now_in, mut now_out) = (0i64, 0i64);
        for r in &rows {
            let id: String = r.try_get("id")?;
            let la: Option<String> = r.try_get("local_authority")?;
            let was: i64 = r.try_get("in_area")?;
            let is = i64::from(in_council_area(&cleaned, la.as_deref()));
            if was != is {
                sqlx::query("UPDATE services SET in_area = $1, updated_at = $2 WHERE id = $3")
                    .bind(is)
                    .bind(&now)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                if is == 1 {
                    now_in += 1;
                } else {
                    now_out += 1;
                }
            }
        }
        let change = AreaChange { before, after: cleaned, now_in_area: now_in, now_out_of_area: now_out };
        record(
            &mut tx,
            actor,
            "council_area",
            "setting",
            Some("council_local_authorities"),
            &format!(
                "Council's local authorities set to {}: {} services now in the area, {} now outside it",
                if change.after.is_empty() { "none (every service in the area)".to_string() } else { change.after.join(", ") },
                now_in,
                now_out
            ),
            Some(&json!({ "local_authorities": change.before })),
            Some(&json!({ "local_authorities": change.after, "now_in_area": now_in, "now_out_of_area": now_out })),
        )
        .await?;
        tx.commit().await?;
        Ok(change)
    }

    /// The local authorities of the register's registered services, with how many each, most first.
    pub async fn local_authority_counts(&self) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT local_authority, COUNT(*) AS n FROM services WHERE local_authority IS NOT NULL AND registration_status = 'registered'
             GROUP BY local_authority ORDER BY n DESC, local_authority",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("local_authority")?, r.try_get("n")?))).collect()
    }

    /// What importing these records would deregister, without changing anything: for the
    /// confirmation page and the command line's refusal.
    pub async fn preview_deregistrations(&self, opts: &ImportOptions, records: &[CqcLocation]) -> Result<DeregistrationPlan> {
        let mut conn = self.pool.acquire().await?;
        let registered = registered_services(&mut conn).await?;
        Ok(plan_deregistration(&opts.coverage(records), &registered, &listed_ids(records)))
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
        let coverage = opts.coverage(records);

        let mut tx = self.begin_write().await?;
        let mut existing: HashMap<String, Existing> = HashMap::new();
        for r in sqlx::query(
            "SELECT s.id, s.cqc_location_id, s.cqc_hash, s.registration_status, s.rating_date, s.rating_overall, s.kind_set_by_council,
                    s.cqc_json, s.name, s.address_line, s.town, s.postcode, s.local_authority, s.region, s.phone, s.website,
                    s.registration_date, s.deregistration_date, s.beds, s.service_types, s.last_inspection_date, s.relationships_json,
                    p.cqc_provider_id, p.name AS provider_name
             FROM services s JOIN providers p ON p.id = s.provider_id WHERE s.cqc_location_id IS NOT NULL",
        )
        .fetch_all(&mut *tx)
        .await?
        {
            existing.insert(
                r.try_get("cqc_location_id")?,
                Existing {
                    id: r.try_get("id")?,
                    hash: r.try_get("cqc_hash")?,
                    status: r.try_get("registration_status")?,
                    rating_date: r.try_get("rating_date")?,
                    overall: r.try_get("rating_overall")?,
                    kind_set_by_council: r.try_get::<i64, _>("kind_set_by_council")? == 1,
                    stored: Some(stored_location(&r)?),
                },
            );
        }
        let mut providers: HashMap<String, String> = HashMap::new();
        for r in sqlx::query("SELECT id, cqc_provider_id FROM providers WHERE cqc_provider_id IS NOT NULL").fetch_all(&mut *tx).await? {
            providers.insert(r.try_get("cqc_provider_id")?, r.try_get("id")?);
        }
        // CQC's provider names given with this file: a provider created now takes its real name.
        let provider_names: HashMap<&str, &str> = opts.providers.iter().map(|p| (p.provider_id.as_str(), p.name.as_str())).collect();
        let mut areas: HashMap<String, String> = HashMap::new();
        for r in sqlx::query("SELECT outward_code, area_id FROM area_districts").fetch_all(&mut *tx).await? {
            areas.insert(r.try_get("outward_code")?, r.try_get("area_id")?);
        }

        let total = records.len() as u64;
        let now = now_timestamp();
        for (i, incoming) in records.iter().enumerate() {
            // A layout that lacks a field keeps the stored value (issue 14 item 4).
            let loc = &merge_location(existing.get(&incoming.location_id).and_then(|e| e.stored.as_ref()), incoming, &opts.carried);
            let hash = loc.content_hash();
            let stored_json = serde_json::to_string(loc).ok();
            let status = match loc.registration_status {
                RegistrationStatus::Registered => "registered",
                RegistrationStatus::Deregistered => "deregistered",
            };
            let postcode = loc.postcode.as_deref().and_then(normalise_postcode);
            let outward = postcode.as_deref().and_then(outward_code);
            let area_id = outward.as_ref().and_then(|o| areas.get(o)).cloned();
            let relationships = if loc.relationships.is_empty() { None } else { serde_json::to_string(&loc.relationships).ok() };
            match existing.get(&loc.location_id) {
                Some(e) if e.hash.as_deref() == Some(hash.as_str()) => report.unchanged += 1,
                Some(e) => {
                    let provider_id = self.ensure_provider(&mut tx, &mut providers, loc, &provider_names, &now).await?;
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
                    report.rating_changes += changes;
                    if e.status != "deregistered" && status == "deregistered" {
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
                    let provider_id = self.ensure_provider(&mut tx, &mut providers, loc, &provider_names, &now).await?;
                    let id = new_id();
                    sqlx::query(
                        "INSERT INTO services (id, provider_id, cqc_location_id, name, kind, address_line, town, postcode, outward_code,
                           local_authority, region, in_area, area_id, phone, website, registration_status, registration_date,
                           deregistration_date, beds, service_types, cqc_hash, relationships_json, last_inspection_date, created_at, updated_at,
                           cqc_json)
                         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$24,$25)",
                    )
                    .bind(&id)
                    .bind(&provider_id)
                    .bind(&loc.location_id)
                    .bind(&loc.name)
                    .bind(loc.kind().as_str())
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
                    .bind(loc.last_inspection_date.map(|d| d.to_string()))
                    .bind(&now)
                    .bind(stored_json.clone())
                    .execute(&mut *tx)
                    .await?;
                    insert_specialisms(&mut tx, &id, loc).await?;
                    report.rating_changes += self.apply_ratings(&mut tx, &id, loc, None, &report.id).await?;
                    existing.insert(
                        loc.location_id.clone(),
                        Existing {
                            id,
                            hash: Some(hash),
                            status: status.into(),
                            rating_date: None,
                            overall: None,
                            kind_set_by_council: false,
                            stored: Some(loc.clone()),
                        },
                    );
                    report.new += 1;
                }
            }
            if i % 500 == 0 || i + 1 == records.len() {
                progress(i as u64 + 1, total);
            }
        }

        // Only a file complete for its areas deregisters, only kinds it covers, and many
        // deregistrations need the officer's confirmation (issue 14 item 3).
        let plan = plan_deregistration(&coverage, &registered_services(&mut tx).await?, &listed_ids(records));
        if plan.needs_confirmation() && opts.confirmed_deregistrations != Some(plan.services.len()) {
            return Err(unconfirmed(&plan));
        }
        report.deregistration_note = plan.not_deregistering_because.clone();
        let today = today().to_string();
        for s in &plan.services {
            sqlx::query("UPDATE services SET registration_status = 'deregistered', deregistration_date = $1, cqc_hash = NULL, updated_at = $2 WHERE id = $3")
                .bind(&today)
                .bind(&now)
                .bind(&s.id)
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
            let mut per_kind: BTreeMap<ServiceKind, (i64, i64)> = BTreeMap::new();
            for loc in records.iter().filter(|l| l.registration_status == RegistrationStatus::Registered) {
                if let Some(o) = loc.rating.as_ref().and_then(|r| r.overall).filter(|r| r.is_grade()) {
                    let e = per_kind.entry(loc.kind()).or_default();
                    e.1 += 1;
                    if o.is_good_or_outstanding() {
                        e.0 += 1;
                    }
                }
            }
            for (kind, (good, rated)) in per_kind {
                if let Some(p) = caremarket_core::register::percent(good, rated) {
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
        tx.commit().await?;
        Ok(report)
    }

    /// Keep a parsed upload while the officer looks at what it would deregister. Pending
    /// uploads older than a day are dropped.
    pub async fn save_pending_import(
        &self,
        user_id: Option<&str>,
        file_name: &str,
        completeness: Completeness,
        outcome_json: &str,
    ) -> Result<String> {
        let id = new_id();
        let now = now_timestamp();
        let cutoff = format!("{:.6}", jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24));
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM pending_imports WHERE created_at < $1").bind(&cutoff).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO pending_imports (id, user_id, file_name, completeness, created_at, outcome_json) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(user_id)
        .bind(file_name)
        .bind(completeness.as_str())
        .bind(&now)
        .bind(outcome_json)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A pending upload of this user's, without removing it: (file name, completeness, parsed JSON).
    pub async fn pending_import(&self, id: &str, user_id: Option<&str>) -> Result<(String, Completeness, String)> {
        let row = sqlx::query("SELECT file_name, completeness, outcome_json, user_id FROM pending_imports WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("pending import {id}")))?;
        let owner: Option<String> = row.try_get("user_id")?;
        if owner.as_deref() != user_id {
            return Err(StoreError::NotFound(format!("pending import {id}")));
        }
        let completeness = Completeness::parse(&row.try_get::<String, _>("completeness")?).unwrap_or(Completeness::Partial);
        Ok((row.try_get("file_name")?, completeness, row.try_get("outcome_json")?))
    }

    /// Drop a pending upload (applied or abandoned).
    pub async fn remove_pending_import(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM pending_imports WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(())
    }

    /// Record a failed import (a file that could not be read): the register is untouched.
    pub async fn record_failed_import(&self, actor: &Actor, file_name: &str, error: &str) -> Result<String> {
        let id = new_id();
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO imports (id, source, file_name, format, started_at, finished_at, actor_label, status, error) VALUES ($1, 'cqc', $2, 'unknown', $3, $3, $4, 'failed', $5)",
        )
        .bind(&id)
        .bind(file_name)
        .bind(&now)
        .bind(&actor.label)
        .bind(error)
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            actor,
            "import_failed",
            "import",
            Some(&id),
            &format!("CQC file {file_name} could not be read; nothing changed"),
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn imports(&self, limit: i64) -> Result<Vec<ImportReport>> {
        let rows = sqlx::query(AssertSqlSafe(format!("SELECT * FROM imports ORDER BY started_at DESC LIMIT {}", limit.clamp(1, 500))))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(import_from_row).collect()
    }

    pub async fn import(&self, id: &str) -> Result<ImportReport> {
        let row = sqlx::query("SELECT * FROM imports WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| crate::StoreError::NotFound(format!("import {id}")))?;
        import_from_row(&row)
    }

    async fn ensure_provider(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        providers: &mut HashMap<String, String>,
        loc: &CqcLocation,
        names: &HashMap<&str, &str>,
        now: &str,
    ) -> Result<String> {
        // A location without a provider id gets a provider of its own, keyed by location.
        let key = loc.provider_id.clone().unwrap_or_else(|| format!("location:{}", loc.location_id));
        if let Some(id) = providers.get(&key) {
            if let Some(name) = &loc.provider_name {
                sqlx::query("UPDATE providers SET name = $1 WHERE id = $2 AND name <> $1").bind(name).bind(id).execute(&mut **tx).await?;
            }
            return Ok(id.clone());
        }
        let id = new_id();
        sqlx::query("INSERT INTO providers (id, cqc_provider_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)")
            .bind(&id)
            .bind(loc.provider_id.clone())
            .bind(
                loc.provider_name
                    .clone()
                    .or_else(|| loc.provider_id.as_deref().and_then(|id| names.get(id)).map(|n| n.to_string()))
                    .unwrap_or_else(|| loc.name.clone()),
            )
            .bind(now)
            .execute(&mut **tx)
            .await?;
        providers.insert(key, id.clone());
        Ok(id)
    }

    /// Apply a location's CQC ratings: every published entry the register does not yet hold is
    /// appended to the history; CQC's current rating (`loc.rating`, see core's `register::history`)
    /// becomes the service's current rating when core's `replaces_current` says so. A history
    /// entry never becomes current: an "Inspected but not rated" report dated after the current
    /// rating is history only. Each change of rating recorded is logged as a quality signal;
    /// returns how many there were.
    async fn apply_ratings(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        service_id: &str,
        loc: &CqcLocation,
        _current_date: Option<&str>,
        import_id: &str,
    ) -> Result<i64> {
        let mut known: BTreeSet<(Option<String>, Option<String>)> =
            sqlx::query("SELECT report_date, overall FROM rating_history WHERE service_id = $1")
                .bind(service_id)
                .fetch_all(&mut **tx)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("report_date")?, r.try_get("overall")?)))
                .collect::<Result<_, sqlx::Error>>()?;
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
        Ok(changes.len() as i64)
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
            let Some(row) = sqlx::query("SELECT id, name FROM providers WHERE cqc_provider_id = $1")
                .bind(&p.provider_id)
                .fetch_optional(&mut **tx)
                .await?
            else {
                continue;
            };
            let (id, old): (String, String) = (row.try_get("id")?, row.try_get("name")?);
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

fn import_from_row(r: &sqlx::any::AnyRow) -> Result<ImportReport> {
    let rej: String = r.try_get("rejections_json")?;
    Ok(ImportReport {
        id: r.try_get("id")?,
        file_name: r.try_get("file_name")?,
        format: r.try_get("format")?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
        actor_label: r.try_get("actor_label")?,
        status: r.try_get("status")?,
        new: r.try_get("new_count")?,
        updated: r.try_get("updated_count")?,
        unchanged: r.try_get("unchanged_count")?,
        deregistered: r.try_get("deregistered_count")?,
        rejected: r.try_get("rejected_count")?,
        rating_changes: r.try_get("rating_changes_count")?,
        rejections: serde_json::from_str(&rej).unwrap_or_default(),
        error: r.try_get("error")?,
        skipped: r.try_get("skipped_count")?,
        skipped_locations: serde_json::from_str(&r.try_get::<String, _>("skipped_json")?).unwrap_or_default(),
        providers_read: r.try_get("providers_read")?,
        provider_names_changed: 0,
        completeness: r.try_get("completeness")?,
        deregistration_note: r.try_get("deregistration_note")?,
    })
}
