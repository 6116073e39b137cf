//! Services: what the council buys from, CQC's facts about them and the council's own fields.

use super::filter::{ServiceFilter, check_search, count_of, order_by, page_of, where_clause};
use super::{Page, corrupt, date_str, decode_rating};
use crate::audit::{Actor, record};
use crate::query::SqlBuilder;
use crate::versions::{Versioned, check_current, saved};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::register::{ContractStatus, KeyQuestion, Rating, ServiceKind, Specialism, check_contract_dates};
use caremarket_core::text::{normalise_postcode, outward_code};
use caremarket_core::versions::Version;
use serde::Serialize;
use serde_json::json;
use sqlx::AssertSqlSafe;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, Default)]
pub struct CurrentRatings {
    pub overall: Option<Rating>,
    pub safe: Option<Rating>,
    pub effective: Option<Rating>,
    pub caring: Option<Rating>,
    pub responsive: Option<Rating>,
    pub well_led: Option<Rating>,
    pub rating_date: Option<String>,
    pub last_inspection_date: Option<String>,
}

impl CurrentRatings {
    pub fn get(&self, kq: KeyQuestion) -> Option<Rating> {
        match kq {
            KeyQuestion::Safe => self.safe,
            KeyQuestion::Effective => self.effective,
            KeyQuestion::Caring => self.caring,
            KeyQuestion::Responsive => self.responsive,
            KeyQuestion::WellLed => self.well_led,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Service {
    pub id: String,
    pub provider_id: String,
    pub provider_name: String,
    pub cqc_location_id: Option<String>,
    pub name: String,
    pub kind: ServiceKind,
    pub address_line: Option<String>,
    pub town: Option<String>,
    pub postcode: Option<String>,
    pub local_authority: Option<String>,
    pub region: Option<String>,
    pub in_area: bool,
    pub area_id: Option<String>,
    pub area_name: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    /// registered, deregistered, or not_registered (services CQC does not regulate).
    pub registration_status: String,
    pub registration_date: Option<String>,
    pub deregistration_date: Option<String>,
    pub beds: Option<i64>,
    pub service_types: Vec<String>,
    pub specialisms: Vec<Specialism>,
    pub ratings: CurrentRatings,
    pub contract_status: ContractStatus,
    pub framework_id: Option<String>,
    pub framework_name: Option<String>,
    pub lot_id: Option<String>,
    pub lot_name: Option<String>,
    pub contract_start: Option<String>,
    pub contract_end: Option<String>,
    pub council_notes: Option<String>,
    pub relationships_json: Option<String>,
    pub updated_at: String,
    /// Raised by one on each change of the council's fields (decision 25).
    pub version: i64,
}
/// A council-created service (not from CQC, or created by the demo generator).
#[derive(Debug, Clone)]
pub struct NewService {
    pub provider_id: String,
    pub cqc_location_id: Option<String>,
    pub name: String,
    pub kind: ServiceKind,
    pub address_line: Option<String>,
    pub town: Option<String>,
    pub postcode: Option<String>,
    pub local_authority: Option<String>,
    pub region: Option<String>,
    pub in_area: bool,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub registration_status: String,
    pub registration_date: Option<Date>,
    pub beds: Option<i64>,
    pub service_types: Vec<String>,
    pub specialisms: Vec<Specialism>,
    pub contract_status: ContractStatus,
    pub framework_id: Option<String>,
    pub lot_id: Option<String>,
    pub contract_start: Option<Date>,
    pub contract_end: Option<Date>,
    pub council_notes: Option<String>,
}
/// The fields the council owns on a service (CQC data is never edited by hand).
#[derive(Debug, Clone, Serialize)]
pub struct CouncilFields {
    pub contract_status: ContractStatus,
    pub framework_id: Option<String>,
    pub lot_id: Option<String>,
    pub contract_start: Option<Date>,
    pub contract_end: Option<Date>,
    pub council_notes: Option<String>,
    /// Set only to override the kind CQC's service types imply.
    pub kind: Option<ServiceKind>,
}
pub(crate) const SERVICE_COLS: &str =
    "s.id, s.provider_id, p.name AS provider_name, s.cqc_location_id, s.name, s.kind, s.address_line, s.town,
    s.postcode, s.local_authority, s.region, s.in_area, s.area_id, a.name AS area_name, s.phone, s.website,
    s.registration_status, s.registration_date, s.deregistration_date, s.beds, s.service_types,
    s.rating_overall, s.rating_safe, s.rating_effective, s.rating_caring, s.rating_responsive, s.rating_well_led,
    s.rating_date, s.last_inspection_date, s.contract_status, s.framework_id, f.name AS framework_name,
    s.lot_id, l.name AS lot_name, s.contract_start, s.contract_end, s.council_notes, s.relationships_json, s.updated_at, s.version";

pub(crate) const SERVICE_FROM: &str = " FROM services s JOIN providers p ON p.id = s.provider_id
    LEFT JOIN areas a ON a.id = s.area_id LEFT JOIN frameworks f ON f.id = s.framework_id
    LEFT JOIN framework_lots l ON l.id = s.lot_id";

/// A service as stored ([`SERVICE_COLS`]); [`ServiceRow::into_service`] reads it with core's parsers.
#[derive(sqlx::FromRow)]
pub(crate) struct ServiceRow {
    id: String,
    provider_id: String,
    provider_name: String,
    cqc_location_id: Option<String>,
    name: String,
    kind: String,
    address_line: Option<String>,
    town: Option<String>,
    postcode: Option<String>,
    local_authority: Option<String>,
    region: Option<String>,
    in_area: i64,
    area_id: Option<String>,
    area_name: Option<String>,
    phone: Option<String>,
    website: Option<String>,
    registration_status: String,
    registration_date: Option<String>,
    deregistration_date: Option<String>,
    beds: Option<i64>,
    service_types: String,
    rating_overall: Option<String>,
    rating_safe: Option<String>,
    rating_effective: Option<String>,
    rating_caring: Option<String>,
    rating_responsive: Option<String>,
    rating_well_led: Option<String>,
    rating_date: Option<String>,
    last_inspection_date: Option<String>,
    contract_status: String,
    framework_id: Option<String>,
    framework_name: Option<String>,
    lot_id: Option<String>,
    lot_name: Option<String>,
    contract_start: Option<String>,
    contract_end: Option<String>,
    council_notes: Option<String>,
    relationships_json: Option<String>,
    updated_at: String,
    version: i64,
}

impl ServiceRow {
    /// The service, without its specialisms (a separate table).
    pub(crate) fn into_service(self) -> Result<Service> {
        let rating = |column: &'static str, v: Option<String>| decode_rating("services", column, v.as_deref());
        Ok(Service {
            kind: ServiceKind::parse(&self.kind).ok_or_else(|| corrupt("services", "kind", &self.kind))?,
            contract_status: ContractStatus::parse(&self.contract_status)
                .ok_or_else(|| corrupt("services", "contract_status", &self.contract_status))?,
            ratings: CurrentRatings {
                overall: rating("rating_overall", self.rating_overall)?,
                safe: rating("rating_safe", self.rating_safe)?,
                effective: rating("rating_effective", self.rating_effective)?,
                caring: rating("rating_caring", self.rating_caring)?,
                responsive: rating("rating_responsive", self.rating_responsive)?,
                well_led: rating("rating_well_led", self.rating_well_led)?,
                rating_date: self.rating_date,
                last_inspection_date: self.last_inspection_date,
            },
            service_types: self.service_types.split('|').filter(|s| !s.is_empty()).map(str::to_string).collect(),
            specialisms: Vec::new(),
            in_area: self.in_area == 1,
            id: self.id,
            provider_id: self.provider_id,
            provider_name: self.provider_name,
            cqc_location_id: self.cqc_location_id,
            name: self.name,
            address_line: self.address_line,
            town: self.town,
            postcode: self.postcode,
            local_authority: self.local_authority,
            region: self.region,
            area_id: self.area_id,
            area_name: self.area_name,
            phone: self.phone,
            website: self.website,
            registration_status: self.registration_status,
            registration_date: self.registration_date,
            deregistration_date: self.deregistration_date,
            beds: self.beds,
            framework_id: self.framework_id,
            framework_name: self.framework_name,
            lot_id: self.lot_id,
            lot_name: self.lot_name,
            contract_start: self.contract_start,
            contract_end: self.contract_end,
            council_notes: self.council_notes,
            relationships_json: self.relationships_json,
            updated_at: self.updated_at,
            version: self.version,
        })
    }
}

/// A new service's name and postcode as they are stored, once its checks have passed.
pub(crate) struct CheckedService {
    pub name: String,
    pub postcode: Option<String>,
    pub outward: Option<String>,
}

/// The checks on a new service, the same for one added by hand and for a batch: a name, and a
/// framework and lot exactly when its contract status takes them.
pub(crate) fn check_new_service(s: &NewService) -> Result<CheckedService> {
    let name = caremarket_core::text::tidy(&s.name);
    if name.is_empty() {
        return Err(StoreError::invalid("name", "Enter the service's name"));
    }
    s.contract_status.check_framework(s.framework_id.as_deref(), s.lot_id.as_deref())?;
    let postcode = s.postcode.as_deref().and_then(normalise_postcode);
    let outward = postcode.as_deref().and_then(outward_code);
    Ok(CheckedService { name, postcode, outward })
}

/// The columns [`service_row`] fills, in its order.
pub(crate) const SERVICE_COLUMNS: [&str; 27] = [
    "id",
    "provider_id",
    "cqc_location_id",
    "name",
    "kind",
    "address_line",
    "town",
    "postcode",
    "outward_code",
    "local_authority",
    "region",
    "in_area",
    "area_id",
    "phone",
    "website",
    "registration_status",
    "registration_date",
    "beds",
    "service_types",
    "contract_status",
    "framework_id",
    "lot_id",
    "contract_start",
    "contract_end",
    "council_notes",
    "created_at",
    "updated_at",
];

/// A new service's row for [`SERVICE_COLUMNS`]: updated when it was created.
pub(crate) fn service_row(id: &str, s: &NewService, c: CheckedService, area_id: Option<String>, now: &str) -> Vec<crate::bulk::Value> {
    vec![
        id.into(),
        s.provider_id.as_str().into(),
        s.cqc_location_id.clone().into(),
        c.name.into(),
        s.kind.as_str().into(),
        s.address_line.clone().into(),
        s.town.clone().into(),
        c.postcode.into(),
        c.outward.into(),
        s.local_authority.clone().into(),
        s.region.clone().into(),
        i64::from(s.in_area).into(),
        area_id.into(),
        s.phone.clone().into(),
        s.website.clone().into(),
        s.registration_status.as_str().into(),
        date_str(s.registration_date).into(),
        s.beds.into(),
        s.service_types.join("|").into(),
        s.contract_status.as_str().into(),
        s.framework_id.clone().into(),
        s.lot_id.clone().into(),
        date_str(s.contract_start).into(),
        date_str(s.contract_end).into(),
        s.council_notes.clone().into(),
        now.into(),
        now.into(),
    ]
}

pub(crate) const SPECIALISM_COLUMNS: [&str; 2] = ["service_id", "specialism"];

/// A new service's specialisms, each once.
pub(crate) fn specialism_rows(id: &str, s: &NewService) -> Vec<Vec<crate::bulk::Value>> {
    let distinct: std::collections::BTreeSet<&str> = s.specialisms.iter().map(|sp| sp.as_str()).collect();
    distinct.into_iter().map(|sp| vec![id.into(), sp.into()]).collect()
}

impl Store {
    pub async fn create_service(&self, actor: &Actor, s: &NewService) -> Result<String> {
        let mut tx = self.begin_write().await?;
        let id = self.insert_service_tx(&mut tx, s).await?;
        record(
            &mut tx,
            actor,
            "create",
            "service",
            Some(&id),
            &format!("Added service {}", s.name),
            None,
            Some(&json!({"name": s.name, "kind": s.kind.as_str(), "contract_status": s.contract_status.as_str()})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub(crate) async fn insert_service_tx(&self, tx: &mut sqlx::Transaction<'_, sqlx::Any>, s: &NewService) -> Result<String> {
        let checked = check_new_service(s)?;
        let area_id = match &checked.outward {
            Some(o) => {
                sqlx::query_scalar::<_, String>("SELECT area_id FROM area_districts WHERE outward_code = $1")
                    .bind(o)
                    .fetch_optional(&mut **tx)
                    .await?
            }
            None => None,
        };
        let id = new_id();
        let now = now_timestamp();
        let specialisms = specialism_rows(&id, s);
        crate::bulk::insert_rows(tx, "services", &SERVICE_COLUMNS, vec![service_row(&id, s, checked, area_id, &now)]).await?;
        crate::bulk::insert_rows(tx, "service_specialisms", &SPECIALISM_COLUMNS, specialisms).await?;
        Ok(id)
    }

    pub async fn service(&self, id: &str) -> Result<Service> {
        let row = sqlx::query_as::<_, ServiceRow>(AssertSqlSafe(format!("SELECT {SERVICE_COLS}{SERVICE_FROM} WHERE s.id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("service {id}")))?;
        let mut s = row.into_service()?;
        s.specialisms = self.specialisms(&s.id).await?;
        Ok(s)
    }

    pub async fn service_by_location_id(&self, location_id: &str) -> Result<Option<Service>> {
        let id: Option<String> =
            sqlx::query_scalar("SELECT id FROM services WHERE cqc_location_id = $1").bind(location_id).fetch_optional(&self.pool).await?;
        match id {
            Some(id) => Ok(Some(self.service(&id).await?)),
            None => Ok(None),
        }
    }

    async fn specialisms(&self, service_id: &str) -> Result<Vec<Specialism>> {
        let v: Vec<String> = sqlx::query_scalar("SELECT specialism FROM service_specialisms WHERE service_id = $1 ORDER BY specialism")
            .bind(service_id)
            .fetch_all(&self.pool)
            .await?;
        v.iter().map(|s| decode_specialism(s)).collect()
    }

    pub async fn services(&self, f: &ServiceFilter) -> Result<Page<Service>> {
        check_search(f.q.as_deref().unwrap_or("").trim())?;
        let w = where_clause(f);
        let per_page = if f.per_page <= 0 { 50 } else { f.per_page.min(1000) };
        let page = f.page.max(1);
        let total: i64 = count_of(&w).query_scalar().fetch_one(&self.pool).await?;
        let rows =
            page_of(&w, &format!("SELECT {SERVICE_COLS}{SERVICE_FROM}"), &order_by(f.sort.as_deref()), per_page, (page - 1) * per_page)
                .query_as::<ServiceRow>()
                .fetch_all(&self.pool)
                .await?;
        let mut items = rows.into_iter().map(ServiceRow::into_service).collect::<Result<Vec<_>>>()?;
        self.fill_specialisms(&mut items).await?;
        Ok(Page { items, total, page, per_page })
    }

    async fn fill_specialisms(&self, items: &mut [Service]) -> Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let mut q = SqlBuilder::new("SELECT service_id, specialism FROM service_specialisms WHERE service_id IN (");
        q.push_bind_list(items.iter().map(|s| &s.id)).push(")");
        let rows: Vec<(String, String)> = q.query_as().fetch_all(&self.pool).await?;
        let mut map: BTreeMap<String, Vec<Specialism>> = BTreeMap::new();
        for (sid, sp) in rows {
            map.entry(sid).or_default().push(decode_specialism(&sp)?);
        }
        for s in items.iter_mut() {
            if let Some(mut v) = map.remove(&s.id) {
                v.sort();
                s.specialisms = v;
            }
        }
        Ok(())
    }

    /// Change the council-owned fields of a service; audited with before and after. `expected` is
    /// the version the change was made from: a service saved since is refused (`Stale`).
    pub async fn update_council_fields(&self, actor: &Actor, service_id: &str, c: &CouncilFields, expected: Version) -> Result<Service> {
        let before = self.service(service_id).await?;
        check_current(before.version, expected)?;
        c.contract_status.check_framework(c.framework_id.as_deref(), c.lot_id.as_deref())?;
        if let (Some(fw), Some(lot)) = (&c.framework_id, &c.lot_id) {
            let ok: Option<String> = sqlx::query_scalar("SELECT id FROM framework_lots WHERE id = $1 AND framework_id = $2")
                .bind(lot)
                .bind(fw)
                .fetch_optional(&self.pool)
                .await?;
            if ok.is_none() {
                return Err(StoreError::invalid("lot_id", "Choose a lot of the chosen framework"));
            }
        }
        if let Some(fw) = &c.framework_id {
            let ok: Option<String> =
                sqlx::query_scalar("SELECT id FROM frameworks WHERE id = $1").bind(fw).fetch_optional(&self.pool).await?;
            if ok.is_none() {
                return Err(StoreError::invalid("framework_id", "Choose a framework from the list"));
            }
        }
        check_contract_dates(c.contract_start, c.contract_end)?;
        let notes = c.council_notes.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let (kind, kind_set) = match c.kind {
            Some(k) => (k, 1i64),
            None => (before.kind, 0),
        };
        let mut tx = self.begin_write().await?;
        let kind_sql = if c.kind.is_some() { ", kind = $8, kind_set_by_council = $9" } else { "" };
        let sql = format!(
            "UPDATE services SET contract_status = $1, framework_id = $2, lot_id = $3, contract_start = $4, contract_end = $5,
             council_notes = $6, updated_at = $7{kind_sql}, version = version + 1 WHERE id = {} AND version = {}",
            if c.kind.is_some() { "$10" } else { "$8" },
            if c.kind.is_some() { "$11" } else { "$9" }
        );
        let mut q = sqlx::query(AssertSqlSafe(sql.clone()))
            .bind(c.contract_status.as_str())
            .bind(c.framework_id.clone())
            .bind(c.lot_id.clone())
            .bind(date_str(c.contract_start))
            .bind(date_str(c.contract_end))
            .bind(notes.clone())
            .bind(now_timestamp());
        if c.kind.is_some() {
            q = q.bind(kind.as_str()).bind(kind_set);
        }
        let changed = q.bind(service_id).bind(expected.get()).execute(&mut *tx).await?.rows_affected();
        saved(&mut tx, Versioned::Services, service_id, changed).await?;
        let before_json = json!({
            "contract_status": before.contract_status.as_str(), "framework_id": before.framework_id, "lot_id": before.lot_id,
            "contract_start": before.contract_start, "contract_end": before.contract_end, "council_notes": before.council_notes,
            "kind": before.kind.as_str(),
        });
        let after_json = json!({
            "contract_status": c.contract_status.as_str(), "framework_id": c.framework_id, "lot_id": c.lot_id,
            "contract_start": date_str(c.contract_start), "contract_end": date_str(c.contract_end), "council_notes": notes,
            "kind": kind.as_str(),
        });
        record(
            &mut tx,
            actor,
            "update",
            "service",
            Some(service_id),
            &format!("Changed council details of {}", before.name),
            Some(&before_json),
            Some(&after_json),
        )
        .await?;
        tx.commit().await?;
        self.service(service_id).await
    }
}

fn decode_specialism(s: &str) -> Result<Specialism> {
    Specialism::parse(s).ok_or_else(|| corrupt("service_specialisms", "specialism", s))
}
