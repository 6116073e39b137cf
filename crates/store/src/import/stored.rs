//! What the register already holds of CQC's locations, as an import reads it.

use crate::Result;
use crate::register::corrupt;
use caremarket_core::register::import_plan::RegisteredService;
use caremarket_core::register::{CqcLocation, RegistrationStatus, ServiceKind};
use std::borrow::Cow;
use std::collections::HashMap;

/// A CQC service the register holds, as the import compares a file's location with it.
pub(super) struct Existing<'a> {
    pub id: String,
    pub hash: Option<String>,
    pub status: String,
    pub rating_date: Option<String>,
    pub overall: Option<String>,
    pub kind_set_by_council: bool,
    /// The location as last stored, for merging a file that lacks some fields (borrowed from
    /// the file for a location the import has just added; rebuilt from the service's columns
    /// for one stored without JSON).
    pub stored: Option<Cow<'a, CqcLocation>>,
    /// The stored location's JSON text (`cqc_json`), read into a location only when the import
    /// needs it: an unchanged location never does, and reading every one was most of an
    /// unchanged re-import's time.
    pub json: Option<String>,
}

impl Existing<'_> {
    /// The location as last stored (see `stored` and `json`), or `None` when the service has none.
    pub(super) async fn stored_location(&self, conn: &mut sqlx::AnyConnection, location_id: &str) -> Result<Option<Cow<'_, CqcLocation>>> {
        if let Some(stored) = self.stored.as_deref() {
            return Ok(Some(Cow::Borrowed(stored)));
        }
        if let Some(loc) = self.json.as_deref().and_then(|json| serde_json::from_str::<CqcLocation>(json).ok()) {
            return Ok(Some(Cow::Owned(loc)));
        }
        // JSON that no longer reads as a location: rebuilt from the service's columns.
        let one = format!("{EXISTING_SELECT} AND s.cqc_location_id = $1");
        let row = sqlx::query_as::<_, ExistingRow>(sqlx::AssertSqlSafe(one)).bind(location_id).fetch_optional(&mut *conn).await?;
        Ok(row.map(|r| r.stored_location()).transpose()?.map(Cow::Owned))
    }
}

/// What an import needs of each CQC service the register holds: the stored location is its
/// `cqc_json`. The other columns a stored location can be rebuilt from (for services stored
/// before `cqc_json` was kept) are read only when a service needs them: reading them for every
/// service tripled the values a re-import copied out of the database.
const KEPT_SELECT: &str = "SELECT id, cqc_location_id, cqc_hash, registration_status, rating_date, rating_overall, kind_set_by_council,
        cqc_json
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
    cqc_json: Option<String>,
}

/// The register's CQC services by location id, each with its location as last stored.
pub(super) async fn load_existing(conn: &mut sqlx::AnyConnection) -> Result<HashMap<String, Existing<'static>>> {
    let mut out = HashMap::new();
    let mut without_json = false;
    for r in sqlx::query_as::<_, KeptRow>(KEPT_SELECT).fetch_all(&mut *conn).await? {
        without_json |= r.cqc_json.is_none();
        out.insert(
            r.cqc_location_id,
            Existing {
                id: r.id,
                hash: r.cqc_hash,
                status: r.registration_status,
                rating_date: r.rating_date,
                overall: r.rating_overall,
                kind_set_by_council: r.kind_set_by_council == 1,
                stored: None,
                json: r.cqc_json,
            },
        );
    }
    if without_json {
        for r in sqlx::query_as::<_, ExistingRow>(EXISTING_SELECT).fetch_all(&mut *conn).await? {
            if let Some(e) = out.get_mut(&r.cqc_location_id)
                && e.json.is_none()
            {
                e.stored = Some(Cow::Owned(r.stored_location()?));
            }
        }
    }
    Ok(out)
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

/// The registered CQC services, for deciding what a file deregisters.
pub(super) async fn registered_services(conn: &mut sqlx::AnyConnection) -> Result<Vec<RegisteredService>> {
    let rows: Vec<(String, String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT id, cqc_location_id, name, local_authority, kind FROM services
         WHERE cqc_location_id IS NOT NULL AND registration_status = $1 ORDER BY name, id",
    )
    .bind(RegistrationStatus::Registered.as_str())
    .fetch_all(conn)
    .await?;
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
