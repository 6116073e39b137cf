//! What the register already holds of CQC's locations, as an import reads it.

use crate::Result;
use crate::register::corrupt;
use caremarket_core::register::import_plan::{FileCoverage, LISTED_DIGEST_BYTES, ListedDigests, ListedIds, RegisteredService};
use caremarket_core::register::{CqcLocation, RegistrationStatus, ServiceKind};
use futures_util::TryStreamExt;
use std::collections::{HashMap, HashSet};

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

/// A batch's locations in a statement, at most: two bound values each (its id and digest).
const PAIRS_A_STATEMENT: usize = IDS_A_STATEMENT / 2;

/// The services of a batch's locations that the register does not hold as the file gives them,
/// asked of the database with each location's id and content digest: an unchanged location
/// (the stored digest is the file's) comes back as no row. An unchanged re-import reads nothing
/// of its services, where reading each one's columns to compare its digest here cost most of its
/// time (benchmarks/import.md).
const DIFFERING_SELECT: &str =
    "SELECT v.location_id, v.digest, s.id, s.cqc_hash, s.registration_status, s.rating_date, s.rating_overall, s.kind_set_by_council
     FROM v LEFT JOIN services s ON s.cqc_location_id = v.location_id
     WHERE s.cqc_hash IS DISTINCT FROM v.digest";

/// A row of [`DIFFERING_SELECT`]: the service's columns are missing for a location the register
/// does not hold.
#[derive(sqlx::FromRow)]
struct DifferingRow {
    location_id: String,
    digest: String,
    id: Option<String>,
    cqc_hash: Option<String>,
    registration_status: Option<String>,
    rating_date: Option<String>,
    rating_overall: Option<String>,
    kind_set_by_council: Option<i64>,
}

/// What the register holds of a batch's locations, as the import compares them.
#[derive(Default)]
pub(super) struct BatchStored {
    /// The services, by location id, of the batch's locations stored with another digest.
    pub changed: HashMap<String, Existing>,
    /// The digest of each of the batch's locations that is not stored so: a location new to the
    /// register or changed. A digest not here is stored exactly as the file gives it. The digest
    /// covers the location's id with its content, so it names the pair: a file may list a
    /// location twice with different content.
    differing: HashSet<String>,
}

impl BatchStored {
    /// Whether the register held the location of this content digest as the file gives it when
    /// the batch was read.
    pub fn stored_as(&self, digest: &str) -> bool {
        !self.differing.contains(digest)
    }

    /// Whether every location of the batch is stored as the file gives it.
    pub fn all_stored(&self) -> bool {
        self.differing.is_empty()
    }
}

/// How an import asks for what the register holds of a batch.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum BatchRead {
    /// By location id (an `IN` list): the services found are returned whole, and a location the
    /// register lacks costs nothing. For an import into an empty register, which finds nothing
    /// but what it wrote itself. Asking such an import by digest returned a row for each new
    /// location, and PostgreSQL, whose first import loads tables with an empty table's
    /// statistics, planned the join without the index the `IN` list uses: both first imports
    /// were slower (benchmarks/import.md, session 40).
    ById,
    /// By location id and digest (a `VALUES` list joined to `services`): an unchanged location
    /// costs nothing. For a re-import, which finds most of its locations unchanged.
    ByDigest,
}

/// What the register holds of a batch's locations (the file's location ids with their content
/// digests, in order): read a batch at a time, so that an import holds the services of its batch
/// and not the register's.
pub(super) async fn batch_stored(conn: &mut sqlx::AnyConnection, batch: &[(&str, &str)], how: BatchRead) -> Result<BatchStored> {
    match how {
        BatchRead::ById => by_id(conn, batch).await,
        BatchRead::ByDigest => by_digest(conn, batch).await,
    }
}

/// [`batch_stored`] by digest: the database compares them.
async fn by_digest(conn: &mut sqlx::AnyConnection, batch: &[(&str, &str)]) -> Result<BatchStored> {
    let sqlite = conn.backend_name().eq_ignore_ascii_case("sqlite");
    let mut out = BatchStored::default();
    for chunk in batch.chunks(PAIRS_A_STATEMENT) {
        let values: Vec<String> =
            (0..chunk.len()).map(|i| if sqlite { "(?, ?)".to_string() } else { format!("(${}, ${})", 2 * i + 1, 2 * i + 2) }).collect();
        let sql = format!("WITH v (location_id, digest) AS (VALUES {}) {DIFFERING_SELECT}", values.join(", "));
        let mut query = sqlx::query_as::<_, DifferingRow>(sqlx::AssertSqlSafe(sql));
        for (location_id, digest) in chunk {
            query = query.bind(*location_id).bind(*digest);
        }
        for r in query.fetch_all(&mut *conn).await? {
            if let (Some(id), Some(status)) = (r.id, r.registration_status) {
                let existing = Existing {
                    id,
                    hash: r.cqc_hash,
                    status,
                    rating_date: r.rating_date,
                    overall: r.rating_overall,
                    kind_set_by_council: r.kind_set_by_council == Some(1),
                };
                out.changed.insert(r.location_id, existing);
            }
            out.differing.insert(r.digest);
        }
    }
    Ok(out)
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

/// [`batch_stored`] by id: the import compares the digests, as [`by_digest`]'s database does.
async fn by_id(conn: &mut sqlx::AnyConnection, batch: &[(&str, &str)]) -> Result<BatchStored> {
    let ids: Vec<&str> = batch.iter().map(|(id, _)| *id).collect();
    let found: HashMap<String, Existing> = rows_where_in::<KeptRow>(conn, KEPT_SELECT, "cqc_location_id", &ids)
        .await?
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
        .collect();
    let mut out = BatchStored::default();
    let mut changed: HashSet<&str> = HashSet::new();
    for (location_id, digest) in batch {
        match found.get(*location_id) {
            Some(e) if e.hash.as_deref() == Some(*digest) => {}
            stored => {
                out.differing.insert((*digest).to_string());
                if stored.is_some() {
                    changed.insert(*location_id);
                }
            }
        }
    }
    out.changed = found.into_iter().filter(|(id, _)| changed.contains(id.as_str())).collect();
    Ok(out)
}

/// What an import compares a file's first reading with before reading it again (decision 57).
pub(super) struct RegisterDigests {
    /// The kept part ([`ListedDigests::part`]) of every CQC service's stored content digest,
    /// sorted: 16 bytes a service, where a hash set held about twice that while it grew.
    digests: Vec<[u8; LISTED_DIGEST_BYTES]>,
    /// The registered services' location ids that the file does not list.
    pub registered_unlisted: Vec<String>,
}

impl RegisterDigests {
    /// Whether a CQC service is stored with this (kept part of a) digest.
    pub fn holds(&self, digest: &[u8; LISTED_DIGEST_BYTES]) -> bool {
        self.digests.binary_search(digest).is_ok()
    }
}

/// CQC services a statement of [`register_digests`] reads, at most: a page's texts are about 33
/// KiB, and the store's tests of a re-import (1,203 locations) read more than one page.
const DIGESTS_A_STATEMENT: i64 = 1_000;

/// Every CQC service's digest and, for those registered, whether the file lists it, read from
/// the index on `(cqc_location_id, cqc_hash, registration_status)` (migration 0044) in pages of
/// [`DIGESTS_A_STATEMENT`] services, each page one row of two texts that the database joins. An
/// unchanged re-import of 50,000 locations read its services a batch at a time, 100 statements
/// (0.17 s of 0.27 s on SQLite, session 42), and the registered ids once more for its
/// deregistration plan; read a row a service, the same columns took about 0.16 s through sqlx's
/// SQLite worker; read as one row for the whole register, a national file's texts were tens of
/// MiB, copied by the driver (benchmarks/import.md, session 43).
pub(super) async fn register_digests(conn: &mut sqlx::AnyConnection, listed: &ListedIds) -> Result<RegisterDigests> {
    let (concat, line) = joined(conn);
    let sql = format!(
        "SELECT {concat}(substr(cqc_hash, 1, 32), ','),
                {concat}(CASE WHEN registration_status = $1 THEN cqc_location_id END, {line}),
                max(cqc_location_id)
         FROM (SELECT cqc_location_id, cqc_hash, registration_status FROM services
               WHERE cqc_location_id > $2 ORDER BY cqc_location_id LIMIT $3) page"
    );
    let mut out = RegisterDigests { digests: Vec::new(), registered_unlisted: Vec::new() };
    let mut after = String::new();
    loop {
        let (digests, registered, last): (Option<String>, Option<String>, Option<String>) =
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(RegistrationStatus::Registered.as_str())
                .bind(after.as_str())
                .bind(DIGESTS_A_STATEMENT)
                .fetch_one(&mut *conn)
                .await?;
        // A digest that does not read as one matches no listing: its location is read again.
        out.digests.extend(digests.as_deref().unwrap_or_default().split(',').filter_map(ListedDigests::part_of_hex));
        out.registered_unlisted.extend(unlisted_in(registered.as_deref(), listed));
        match last {
            Some(last) => after = last,
            None => break,
        }
    }
    out.digests.sort_unstable();
    Ok(out)
}

/// The aggregate that joins a column's texts with a separator, and a line break, in the
/// connection's SQL: the register's ids and digests are read as one text a statement.
fn joined(conn: &sqlx::AnyConnection) -> (&'static str, &'static str) {
    if conn.backend_name().eq_ignore_ascii_case("sqlite") { ("group_concat", "char(10)") } else { ("string_agg", "chr(10)") }
}

/// The location ids of a text of ids a line each that the file does not list. A location id is
/// `1-` and digits or an NHS site code (ingest's `check_location_id`): none holds a line break.
fn unlisted_in<'a>(ids: Option<&'a str>, listed: &'a ListedIds) -> impl Iterator<Item = String> + 'a {
    ids.unwrap_or_default().lines().filter(|id| !listed.contains(id)).map(str::to_string)
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
    let sqlite = conn.backend_name().eq_ignore_ascii_case("sqlite");
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_A_STATEMENT) {
        // Plain `?` on SQLite: sqlx finds a `$N` parameter by name as it binds it, walking the
        // statement's list (see `bulk::insert_rows`).
        let marks: Vec<String> = (1..=chunk.len()).map(|i| if sqlite { "?".to_string() } else { format!("${i}") }).collect();
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
    // One row, as `register_digests` reads the ids: a row an id took sqlx's SQLite worker about
    // 0.16 s at 50,000 (session 43).
    let (concat, line) = joined(conn);
    let sql =
        format!("SELECT {concat}(cqc_location_id, {line}) FROM services WHERE cqc_location_id IS NOT NULL AND registration_status = $1");
    let ids: Option<String> =
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(RegistrationStatus::Registered.as_str()).fetch_one(&mut *conn).await?;
    let unlisted = unlisted_in(ids.as_deref(), listed).collect();
    unlisted_candidates(conn, coverage, unlisted).await
}

/// [`deregistration_candidates`] from the registered location ids the file does not list, read
/// already (see [`register_digests`]).
pub(super) async fn unlisted_candidates(
    conn: &mut sqlx::AnyConnection,
    coverage: &FileCoverage,
    unlisted: Vec<String>,
) -> Result<Vec<RegisteredService>> {
    if !coverage.may_deregister() || unlisted.is_empty() {
        return Ok(Vec::new());
    }
    let registered = RegistrationStatus::Registered.as_str();
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
        let unlisted: HashSet<&str> = unlisted.iter().map(String::as_str).collect();
        let mut out = Vec::new();
        while let Some(row) = rows.try_next().await? {
            if unlisted.contains(row.1.as_str()) {
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
