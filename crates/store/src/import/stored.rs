//! What the register already holds of CQC's locations, as an import reads it.

use crate::Result;
use crate::register::corrupt;
use caremarket_core::register::import_plan::{FileCoverage, ListedIds, RegisteredService};
use caremarket_core::register::{CqcLocation, RegistrationStatus, ServiceKind};
use futures_util::TryStreamExt;
use std::collections::HashMap;

/// A CQC service the register holds, as the import compares a file's location with it. The
/// location as last stored is read only for a location that changed ([`stored_locations`]):
/// holding every stored location made a re-import's memory grow with the register.
pub(super) struct Existing {
    pub id: String,
    pub hash: Option<String>,
    pub status: String,
    pub rating_date: Option<String>,
    pub overall: Option<String>,
    pub kind_set_by_council: bool,
}

/// What an import needs of each CQC service the register holds to know whether a location
/// changed.
const KEPT_SELECT: &str = "SELECT id, cqc_location_id, cqc_hash, registration_status, rating_date, rating_overall, kind_set_by_council
     FROM services WHERE cqc_location_id IS NOT NULL";

/// A row of [`KEPT_SELECT`].
#[derive(sqlx::FromRow)]
struct KeptRow {
    id: String,
    cqc_location_id: String,
    cqc_hash: Option<String>,
    registration_status: String,
    rating_date: Option<String>,
    rating_overall: Option<String>,
    kind_set_by_council: i64,
}

/// The register's CQC services of these location ids (a batch of the file's), by location id:
/// read a batch at a time, so that an import holds the services of its batch and not the
/// register's.
pub(super) async fn existing_of(conn: &mut sqlx::AnyConnection, location_ids: &[&str]) -> Result<HashMap<String, Existing>> {
    let rows: Vec<KeptRow> = rows_where_in(conn, KEPT_SELECT, "cqc_location_id", location_ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let existing = Existing {
                id: r.id,
                hash: r.cqc_hash,
                status: r.registration_status,
                rating_date: r.rating_date,
                overall: r.rating_overall,
                kind_set_by_council: r.kind_set_by_council == 1,
            };
            (r.cqc_location_id, existing)
        })
        .collect())
}

/// Whether the register holds any CQC service (an import into none is the starting point).
pub(super) async fn holds_cqc_services(conn: &mut sqlx::AnyConnection) -> Result<bool> {
    let one: Option<String> =
        sqlx::query_scalar("SELECT id FROM services WHERE cqc_location_id IS NOT NULL LIMIT 1").fetch_optional(&mut *conn).await?;
    Ok(one.is_some())
}

/// Ids bound in one statement, at most: well under either database's limit of bound values a
/// statement.
const IDS_A_STATEMENT: usize = 1_000;

/// The rows of `select` (a query ending in a `WHERE` clause) whose `column` is one of these ids
/// (CQC location or provider ids), a statement of at most [`IDS_A_STATEMENT`] ids at a time.
pub(super) async fn rows_where_in<T>(conn: &mut sqlx::AnyConnection, select: &str, column: &str, ids: &[&str]) -> Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_A_STATEMENT) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("{select} AND {column} IN ({})", marks.join(", "));
        let mut query = sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(*id);
        }
        out.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

/// The locations as last stored of these CQC location ids, by id: each service's `cqc_json`,
/// or, where that is missing or no longer reads as a location, what the service's own columns
/// hold, so that a poorer layout still cannot wipe them. Ids the register does not hold are
/// left out.
pub(super) async fn stored_locations(conn: &mut sqlx::AnyConnection, location_ids: &[&str]) -> Result<HashMap<String, CqcLocation>> {
    let rows: Vec<ExistingRow> = rows_where_in(conn, EXISTING_SELECT, "s.cqc_location_id", location_ids).await?;
    rows.into_iter()
        .map(|row| {
            let loc = row.stored_location()?;
            Ok((row.cqc_location_id, loc))
        })
        .collect()
}

/// Every column a stored location can be rebuilt from, for services without a readable `cqc_json`.
const EXISTING_SELECT: &str =
    "SELECT s.cqc_location_id, s.cqc_json, s.name, s.address_line, s.town, s.postcode, s.local_authority, s.region, s.phone,
            s.website, s.registration_date, s.deregistration_date, s.beds, s.service_types, s.last_inspection_date,
            s.relationships_json, p.cqc_provider_id, p.name AS provider_name
     FROM services s JOIN providers p ON p.id = s.provider_id WHERE s.cqc_location_id IS NOT NULL";

/// A row of [`EXISTING_SELECT`].
#[derive(sqlx::FromRow)]
struct ExistingRow {
    cqc_location_id: String,
    cqc_json: Option<String>,
    name: String,
    address_line: Option<String>,
    town: Option<String>,
    postcode: Option<String>,
    local_authority: Option<String>,
    region: Option<String>,
    phone: Option<String>,
    website: Option<String>,
    registration_date: Option<String>,
    deregistration_date: Option<String>,
    beds: Option<i64>,
    service_types: String,
    last_inspection_date: Option<String>,
    relationships_json: Option<String>,
    cqc_provider_id: Option<String>,
    provider_name: String,
}

impl ExistingRow {
    /// The stored location: the JSON kept since this was recorded, or else (services imported
    /// before) what the service's own columns hold, so that a poorer layout still cannot wipe them.
    fn stored_location(&self) -> Result<CqcLocation> {
        if let Some(json) = &self.cqc_json
            && let Ok(loc) = serde_json::from_str::<CqcLocation>(json)
        {
            return Ok(loc);
        }
        let date = |column: &'static str, v: &Option<String>| crate::register::decode_date("services", column, v.as_deref());
        let mut loc = CqcLocation::new(self.cqc_location_id.clone(), self.name.clone());
        loc.provider_id = self.cqc_provider_id.clone();
        loc.provider_name = Some(self.provider_name.clone());
        loc.address_line = self.address_line.clone();
        loc.town = self.town.clone();
        loc.postcode = self.postcode.clone();
        loc.local_authority = self.local_authority.clone();
        loc.region = self.region.clone();
        loc.phone = self.phone.clone();
        loc.website = self.website.clone();
        loc.registration_date = date("registration_date", &self.registration_date)?;
        loc.deregistration_date = date("deregistration_date", &self.deregistration_date)?;
        loc.beds = self.beds;
        loc.service_types = self.service_types.split('|').filter(|t| !t.is_empty()).map(str::to_string).collect();
        loc.last_inspection_date = date("last_inspection_date", &self.last_inspection_date)?;
        if let Some(rel) = &self.relationships_json {
            loc.relationships = serde_json::from_str(rel).map_err(|_| corrupt("services", "relationships_json", rel))?;
        }
        Ok(loc)
    }
}

/// The registered CQC services a file does not list: the only ones it could deregister, in the
/// order the deregistration plan lists them (name, then id, as the database sorts them). None
/// for a file that may deregister nothing (a partial file, or a layout that does not list every
/// service), without reading the register.
///
/// The register's registered location ids are read first, one column and unsorted, and only
/// those the file does not list are kept: a re-import of a whole register lists every one, and
/// then nothing else is read. Reading every registered service's row, sorted, to keep none took
/// 0.18-0.25 s of an unchanged re-import of 50,000 locations, twice (the preview and the import;
/// benchmarks/import.md, session 41). The services not listed are then read whole and sorted by
/// the database (its collation orders the plan), by their ids where they fit in one statement,
/// else by the one sorted reading of every registered service as before.
pub(super) async fn deregistration_candidates(
    conn: &mut sqlx::AnyConnection,
    coverage: &FileCoverage,
    listed: &ListedIds,
) -> Result<Vec<RegisteredService>> {
    if !coverage.may_deregister() {
        return Ok(Vec::new());
    }
    let registered = RegistrationStatus::Registered.as_str();
    let mut unlisted: Vec<String> = Vec::new();
    {
        let mut ids = sqlx::query_scalar::<_, String>(
            "SELECT cqc_location_id FROM services WHERE cqc_location_id IS NOT NULL AND registration_status = $1",
        )
        .bind(registered)
        .fetch(&mut *conn);
        while let Some(id) = ids.try_next().await? {
            if !listed.contains(&id) {
                unlisted.push(id);
            }
        }
    }
    if unlisted.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<RegisteredRow> = if unlisted.len() <= IDS_A_STATEMENT {
        let marks: Vec<String> = (2..=unlisted.len() + 1).map(|i| format!("${i}")).collect();
        let sql = format!("{REGISTERED_SELECT} AND cqc_location_id IN ({}) ORDER BY name, id", marks.join(", "));
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(registered);
        for id in &unlisted {
            query = query.bind(id.as_str());
        }
        query.fetch_all(&mut *conn).await?
    } else {
        let sql = format!("{REGISTERED_SELECT} ORDER BY name, id");
        let mut rows = sqlx::query_as::<_, RegisteredRow>(sqlx::AssertSqlSafe(sql)).bind(registered).fetch(&mut *conn);
        let mut out = Vec::new();
        while let Some(row) = rows.try_next().await? {
            if !listed.contains(&row.1) {
                out.push(row);
            }
        }
        out
    };
    rows.into_iter()
        .map(|(id, location_id, name, local_authority, kind)| {
            Ok(RegisteredService {
                kind: ServiceKind::parse(&kind).ok_or_else(|| corrupt("services", "kind", &kind))?,
                id,
                location_id,
                name,
                local_authority,
            })
        })
        .collect()
}

/// A row of [`REGISTERED_SELECT`]: id, CQC location id, name, local authority, kind.
type RegisteredRow = (String, String, String, Option<String>, String);

/// The registered CQC services, as the deregistration plan needs them (`$1`: the registered status).
const REGISTERED_SELECT: &str = "SELECT id, cqc_location_id, name, local_authority, kind FROM services
     WHERE cqc_location_id IS NOT NULL AND registration_status = $1";
