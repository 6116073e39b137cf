//! Applying parsed CQC data to the register: idempotent, transactional, with a report.
//!
//! Rules (docs/register.md):
//! - a location not in the register is added (its provider too, matched by CQC provider id);
//! - a location whose CQC content is unchanged (same content hash) is left alone: re-importing the
//!   same file changes nothing, not even timestamps;
//! - a changed location has its CQC-owned fields updated (never the council's: contract, framework,
//!   lot, notes, or a kind the council set); each new rating is appended to its history;
//! - for a complete register file, a CQC location of one of the file's local authorities that the
//!   file no longer lists is marked deregistered (never deleted);
//! - the whole import is one transaction: a failure part-way changes nothing.

use crate::audit::{Actor, record};
use crate::register::{NationalBenchmark, RatingRecord, add_rating_tx, set_national_benchmark_tx};
use crate::{Result, Store, new_id, now_timestamp, today};
use caremarket_core::register::{CqcLocation, CqcRatingSet, Rating, RegistrationStatus, Rejection, ServiceKind};
use caremarket_core::text::{normalise_postcode, outward_code};
use serde::Serialize;
use serde_json::json;
use sqlx::{AssertSqlSafe, Row};
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub file_name: String,
    pub format: String,
    /// True for directory/export files that list every registered location of the local
    /// authorities they cover; false for API documents.
    pub complete_register: bool,
    /// The council's local authority names as CQC writes them; locations elsewhere are kept
    /// (out-of-area placements need them) but marked out of area. Empty: everything in area.
    pub council_local_authorities: Vec<String>,
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
}

struct Existing {
    id: String,
    hash: Option<String>,
    status: String,
    rating_date: Option<String>,
    overall: Option<String>,
    kind_set_by_council: bool,
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
            ..Default::default()
        };
        let council_las: BTreeSet<String> = opts.council_local_authorities.iter().map(|s| s.to_lowercase()).collect();
        let in_area = |la: &Option<String>| -> bool {
            council_las.is_empty() || la.as_ref().is_some_and(|l| council_las.contains(&l.to_lowercase()))
        };

        let mut tx = self.begin_write().await?;
        let mut existing: HashMap<String, Existing> = HashMap::new();
        for r in sqlx::query(
            "SELECT id, cqc_location_id, cqc_hash, registration_status, rating_date, rating_overall, kind_set_by_council FROM services WHERE cqc_location_id IS NOT NULL",
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
                },
            );
        }
        let mut providers: HashMap<String, String> = HashMap::new();
        for r in sqlx::query("SELECT id, cqc_provider_id FROM providers WHERE cqc_provider_id IS NOT NULL").fetch_all(&mut *tx).await? {
            providers.insert(r.try_get("cqc_provider_id")?, r.try_get("id")?);
        }
        let mut areas: HashMap<String, String> = HashMap::new();
        for r in sqlx::query("SELECT outward_code, area_id FROM area_districts").fetch_all(&mut *tx).await? {
            areas.insert(r.try_get("outward_code")?, r.try_get("area_id")?);
        }

        let total = records.len() as u64;
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut file_las: BTreeSet<String> = BTreeSet::new();
        let now = now_timestamp();
        for (i, loc) in records.iter().enumerate() {
            seen.insert(loc.location_id.as_str());
            if let Some(la) = &loc.local_authority {
                file_las.insert(la.to_lowercase());
            }
            let hash = loc.content_hash();
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
                    let provider_id = self.ensure_provider(&mut tx, &mut providers, loc, &now).await?;
                    let kind_sql = if e.kind_set_by_council { "" } else { ", kind = $22" };
                    let sql = format!(
                        "UPDATE services SET provider_id = $1, name = $2, address_line = $3, town = $4, postcode = $5, outward_code = $6,
                           local_authority = $7, region = $8, in_area = $9, area_id = COALESCE($10, area_id), phone = $11, website = $12,
                           registration_status = $13, registration_date = $14, deregistration_date = $15, beds = $16, service_types = $17,
                           cqc_hash = $18, relationships_json = $19, updated_at = $20, last_inspection_date = COALESCE($21, last_inspection_date){kind_sql}
                         WHERE id = $23"
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
                        .bind(if in_area(&loc.local_authority) { 1i64 } else { 0 })
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
                    let provider_id = self.ensure_provider(&mut tx, &mut providers, loc, &now).await?;
                    let id = new_id();
                    sqlx::query(
                        "INSERT INTO services (id, provider_id, cqc_location_id, name, kind, address_line, town, postcode, outward_code,
                           local_authority, region, in_area, area_id, phone, website, registration_status, registration_date,
                           deregistration_date, beds, service_types, cqc_hash, relationships_json, last_inspection_date, created_at, updated_at)
                         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$24)",
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
                    .bind(if in_area(&loc.local_authority) { 1i64 } else { 0 })
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
                    .execute(&mut *tx)
                    .await?;
                    insert_specialisms(&mut tx, &id, loc).await?;
                    self.apply_ratings(&mut tx, &id, loc, None, &report.id).await?;
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
            if i % 500 == 0 || i + 1 == records.len() {
                progress(i as u64 + 1, total);
            }
        }

        if opts.complete_register && !file_las.is_empty() {
            let today = today().to_string();
            let rows = sqlx::query(
                "SELECT id, cqc_location_id, name, local_authority FROM services WHERE cqc_location_id IS NOT NULL AND registration_status = 'registered'",
            )
            .fetch_all(&mut *tx)
            .await?;
            for r in rows {
                let loc_id: String = r.try_get("cqc_location_id")?;
                let la: Option<String> = r.try_get("local_authority")?;
                let covered = la.as_ref().is_some_and(|l| file_las.contains(&l.to_lowercase()));
                if seen.contains(loc_id.as_str()) || !covered {
                    continue;
                }
                let id: String = r.try_get("id")?;
                let name: String = r.try_get("name")?;
                sqlx::query(
                    "UPDATE services SET registration_status = 'deregistered', deregistration_date = $1, cqc_hash = NULL, updated_at = $2 WHERE id = $3",
                )
                .bind(&today)
                .bind(&now)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
                record(
                    &mut tx,
                    actor,
                    "cqc_deregister",
                    "service",
                    Some(&id),
                    &format!("{name} ({loc_id}) is no longer on CQC's register: marked deregistered"),
                    Some(&json!({"registration_status": "registered"})),
                    Some(&json!({"registration_status": "deregistered", "deregistration_date": today})),
                )
                .await?;
                report.deregistered += 1;
            }
        }

        // A file covering much of England gives the national comparator for each kind.
        if file_las.len() >= 20 {
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
                            as_at: today().to_string(),
                            source: format!("Computed from CQC file {} ({} local authorities)", opts.file_name, file_las.len()),
                        },
                    )
                    .await?;
                }
            }
        }

        report.finished_at = Some(now_timestamp());
        sqlx::query(
            "INSERT INTO imports (id, source, file_name, format, started_at, finished_at, actor_label, status, new_count, updated_count,
               unchanged_count, deregistered_count, rejected_count, rejections_json)
             VALUES ($1, 'cqc', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
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
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            actor,
            "import",
            "import",
            Some(&report.id),
            &format!(
                "Imported CQC file {}: {} new, {} updated, {} unchanged, {} deregistered, {} rejected",
                report.file_name, report.new, report.updated, report.unchanged, report.deregistered, report.rejected
            ),
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(report)
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
            .bind(loc.provider_name.clone().unwrap_or_else(|| loc.name.clone()))
            .bind(now)
            .execute(&mut **tx)
            .await?;
        providers.insert(key, id.clone());
        Ok(id)
    }

    /// Append history entries the register does not yet hold; returns how many changed the
    /// overall rating.
    async fn apply_ratings(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        service_id: &str,
        loc: &CqcLocation,
        _current_date: Option<&str>,
        import_id: &str,
    ) -> Result<i64> {
        let known: BTreeSet<(Option<String>, Option<String>)> =
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
        let mut changes = 0;
        for set in sets {
            if set.is_empty() {
                continue;
            }
            let key = (set.report_date.map(|d| d.to_string()), set.overall.map(|r| r.as_str().to_string()));
            if known.contains(&key) {
                continue;
            }
            let before: Option<String> =
                sqlx::query_scalar("SELECT rating_overall FROM services WHERE id = $1").bind(service_id).fetch_one(&mut **tx).await?;
            add_rating_tx(tx, service_id, &to_record(set), "cqc", Some(import_id)).await?;
            if before.is_some() && before.as_deref().and_then(Rating::parse) != set.overall {
                changes += 1;
            }
        }
        Ok(changes)
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
        rating_changes: 0,
        rejections: serde_json::from_str(&rej).unwrap_or_default(),
        error: r.try_get("error")?,
    })
}
