//! C1. Providers, services, frameworks, areas, ratings and the register's figures.

use crate::audit::{Actor, record};
use crate::{Result, Store, StoreError, new_id, now_timestamp};
use caremarket_core::Date;
use caremarket_core::register::{
    ContractStatus, KeyQuestion, Published, Rating, RatingChange as CoreRatingChange, ServiceKind, Specialism,
    good_or_outstanding_sql_list, grades_sql_list, previous_grades, replaces_current,
};
use caremarket_core::text::{normalise_postcode, outward_code};
use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct Provider {
    pub id: String,
    pub cqc_provider_id: Option<String>,
    pub name: String,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub notes: Option<String>,
    pub service_count: i64,
}

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
}

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

#[derive(Debug, Clone, Serialize)]
pub struct RatingChange {
    pub service_id: String,
    pub service_name: String,
    pub kind: ServiceKind,
    pub from: Option<Rating>,
    pub to: Option<Rating>,
    pub report_date: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Framework {
    pub id: String,
    pub name: String,
    pub kind: Option<ServiceKind>,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    pub lots: Vec<Lot>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Lot {
    pub id: String,
    pub framework_id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Area {
    pub id: String,
    pub name: String,
    pub outward_codes: Vec<String>,
}

/// What the service list can be filtered by. Every dashboard figure is expressed as one of
/// these, so that each figure links to exactly the services behind it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ServiceFilter {
    pub q: Option<String>,
    pub kinds: Vec<ServiceKind>,
    /// A rating, or the bands "good_or_outstanding", "rated" (any of the four grades), "unrated".
    pub rating: Option<String>,
    pub key_question: Option<KeyQuestion>,
    pub key_question_rating: Option<Rating>,
    pub contract_status: Option<ContractStatus>,
    /// true: any contract; false: not contracted.
    pub contracted: Option<bool>,
    pub framework_id: Option<String>,
    pub lot_id: Option<String>,
    pub area_id: Option<String>,
    pub specialism: Option<Specialism>,
    /// Default (None) means in the council's area only; Some(false) out of area; "all" via `any_area`.
    pub in_area: Option<bool>,
    pub any_area: bool,
    /// "active" (default: registered or not CQC-registered), "registered", "deregistered", "all".
    pub registration: Option<String>,
    pub never_inspected: bool,
    pub not_inspected_since: Option<Date>,
    pub rating_changed_since: Option<Date>,
    pub provider_id: Option<String>,
    pub sort: Option<String>,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl<T> Page<T> {
    pub fn pages(&self) -> i64 {
        if self.per_page <= 0 { 1 } else { ((self.total + self.per_page - 1) / self.per_page).max(1) }
    }
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

#[derive(Debug, Clone, Serialize)]
pub struct NationalBenchmark {
    pub kind: ServiceKind,
    pub percent_good_or_outstanding: f64,
    pub rated_services: Option<i64>,
    pub as_at: String,
    pub source: String,
}

/// The dashboard's figures, all as at one moment.
#[derive(Debug, Clone, Serialize)]
pub struct MarketFigures {
    pub as_at: String,
    pub total_services: i64,
    pub total_providers: i64,
    pub by_kind: Vec<KindRow>,
    pub by_contract: Vec<(ContractStatus, i64)>,
    /// kind -> contract status -> count.
    pub kind_by_contract: BTreeMap<ServiceKind, BTreeMap<ContractStatus, i64>>,
    pub never_inspected: i64,
    pub not_inspected_since: i64,
    pub not_inspected_since_date: String,
    pub rating_changes_since: String,
    pub rating_changes: Vec<RatingChange>,
    /// Services with at least one of `rating_changes`: what the dashboard's figure counts and
    /// its link (`/services?rating_changed_since=`) lists.
    pub rating_changed_services: i64,
    pub out_of_area_placements: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct KindRow {
    pub kind: ServiceKind,
    pub services: i64,
    pub contracted: i64,
    pub rated: i64,
    pub good_or_outstanding: i64,
    pub percent_good_or_outstanding: Option<f64>,
    pub national: Option<NationalBenchmark>,
}

fn opt_rating(r: &AnyRow, col: &str) -> Result<Option<Rating>> {
    let v: Option<String> = r.try_get(col)?;
    Ok(v.as_deref().and_then(Rating::parse))
}

pub(crate) fn rating_str(r: Option<Rating>) -> Option<String> {
    r.map(|r| r.as_str().to_string())
}

fn date_str(d: Option<Date>) -> Option<String> {
    d.map(|d| d.to_string())
}

const SERVICE_COLS: &str = "s.id, s.provider_id, p.name AS provider_name, s.cqc_location_id, s.name, s.kind, s.address_line, s.town,
    s.postcode, s.local_authority, s.region, s.in_area, s.area_id, a.name AS area_name, s.phone, s.website,
    s.registration_status, s.registration_date, s.deregistration_date, s.beds, s.service_types,
    s.rating_overall, s.rating_safe, s.rating_effective, s.rating_caring, s.rating_responsive, s.rating_well_led,
    s.rating_date, s.last_inspection_date, s.contract_status, s.framework_id, f.name AS framework_name,
    s.lot_id, l.name AS lot_name, s.contract_start, s.contract_end, s.council_notes, s.relationships_json, s.updated_at";

const SERVICE_FROM: &str = " FROM services s JOIN providers p ON p.id = s.provider_id
    LEFT JOIN areas a ON a.id = s.area_id LEFT JOIN frameworks f ON f.id = s.framework_id
    LEFT JOIN framework_lots l ON l.id = s.lot_id";

fn service_from_row(r: &AnyRow) -> Result<Service> {
    let kind: String = r.try_get("kind")?;
    let cs: String = r.try_get("contract_status")?;
    let types: String = r.try_get("service_types")?;
    Ok(Service {
        id: r.try_get("id")?,
        provider_id: r.try_get("provider_id")?,
        provider_name: r.try_get("provider_name")?,
        cqc_location_id: r.try_get("cqc_location_id")?,
        name: r.try_get("name")?,
        kind: ServiceKind::parse(&kind).unwrap_or(ServiceKind::Other),
        address_line: r.try_get("address_line")?,
        town: r.try_get("town")?,
        postcode: r.try_get("postcode")?,
        local_authority: r.try_get("local_authority")?,
        region: r.try_get("region")?,
        in_area: r.try_get::<i64, _>("in_area")? == 1,
        area_id: r.try_get("area_id")?,
        area_name: r.try_get("area_name")?,
        phone: r.try_get("phone")?,
        website: r.try_get("website")?,
        registration_status: r.try_get("registration_status")?,
        registration_date: r.try_get("registration_date")?,
        deregistration_date: r.try_get("deregistration_date")?,
        beds: r.try_get("beds")?,
        service_types: types.split('|').filter(|s| !s.is_empty()).map(str::to_string).collect(),
        specialisms: Vec::new(),
        ratings: CurrentRatings {
            overall: opt_rating(r, "rating_overall")?,
            safe: opt_rating(r, "rating_safe")?,
            effective: opt_rating(r, "rating_effective")?,
            caring: opt_rating(r, "rating_caring")?,
            responsive: opt_rating(r, "rating_responsive")?,
            well_led: opt_rating(r, "rating_well_led")?,
            rating_date: r.try_get("rating_date")?,
            last_inspection_date: r.try_get("last_inspection_date")?,
        },
        contract_status: ContractStatus::parse(&cs).unwrap_or(ContractStatus::NotContracted),
        framework_id: r.try_get("framework_id")?,
        framework_name: r.try_get("framework_name")?,
        lot_id: r.try_get("lot_id")?,
        lot_name: r.try_get("lot_name")?,
        contract_start: r.try_get("contract_start")?,
        contract_end: r.try_get("contract_end")?,
        council_notes: r.try_get("council_notes")?,
        relationships_json: r.try_get("relationships_json")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn history_from_row(r: &AnyRow) -> Result<RatingHistoryEntry> {
    Ok(RatingHistoryEntry {
        id: r.try_get("id")?,
        service_id: r.try_get("service_id")?,
        overall: opt_rating(r, "overall")?,
        safe: opt_rating(r, "safe")?,
        effective: opt_rating(r, "effective")?,
        caring: opt_rating(r, "caring")?,
        responsive: opt_rating(r, "responsive")?,
        well_led: opt_rating(r, "well_led")?,
        report_date: r.try_get("report_date")?,
        previous_overall: opt_rating(r, "previous_overall")?,
        recorded_at: r.try_get("recorded_at")?,
        source: r.try_get("source")?,
    })
}

/// SQL and binds for a filter, shared by the list, its count and the CSV export.
pub(crate) struct Where {
    pub sql: String,
    pub binds: Vec<String>,
}

impl Where {
    fn push(&mut self, clause: &str, value: String) {
        self.binds.push(value);
        self.sql.push_str(&clause.replace("$?", &format!("${}", self.binds.len())));
    }
}

/// A search term within the one limit shared by the web pages and the API (issue 17 item 11):
/// a 50,000-character LIKE pattern made SQLite answer "pattern too complex" with a 500.
pub(crate) fn check_search(q: &str) -> Result<()> {
    use caremarket_core::limits;
    limits::check_text("q", "Search", q, limits::SEARCH_CHARS).map_err(StoreError::Invalid)
}

pub(crate) fn where_clause(f: &ServiceFilter) -> Where {
    let mut w = Where { sql: String::from(" WHERE 1=1"), binds: Vec::new() };
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        // Wildcards in the search match only themselves (issue 17 item 11).
        let like = caremarket_core::limits::like_contains(&q.to_lowercase());
        w.binds.push(like);
        let n = w.binds.len();
        let e = "ESCAPE '\\'";
        w.sql.push_str(&format!(
            " AND (LOWER(s.name) LIKE ${n} {e} OR LOWER(p.name) LIKE ${n} {e} OR LOWER(COALESCE(s.postcode,'')) LIKE ${n} {e} OR LOWER(COALESCE(s.cqc_location_id,'')) LIKE ${n} {e} OR LOWER(COALESCE(s.town,'')) LIKE ${n} {e})"
        ));
    }
    if !f.kinds.is_empty() {
        let list = f.kinds.iter().map(|k| format!("'{}'", k.as_str())).collect::<Vec<_>>().join(",");
        w.sql.push_str(&format!(" AND s.kind IN ({list})"));
    }
    match f.rating.as_deref() {
        Some("good_or_outstanding") => w.sql.push_str(&format!(" AND s.rating_overall IN {}", good_or_outstanding_sql_list())),
        Some("rated") => w.sql.push_str(&format!(" AND s.rating_overall IN {}", grades_sql_list())),
        Some("unrated") => w.sql.push_str(&format!(" AND (s.rating_overall IS NULL OR s.rating_overall NOT IN {})", grades_sql_list())),
        Some(r) => {
            if let Some(r) = Rating::parse(r) {
                w.push(" AND s.rating_overall = $?", r.as_str().to_string());
            }
        }
        None => {}
    }
    if let (Some(kq), Some(r)) = (f.key_question, f.key_question_rating) {
        // Column name comes from the enum, never from input.
        w.push(&format!(" AND s.rating_{} = $?", kq.as_str()), r.as_str().to_string());
    }
    if let Some(cs) = f.contract_status {
        w.push(" AND s.contract_status = $?", cs.as_str().to_string());
    }
    match f.contracted {
        Some(true) => w.sql.push_str(" AND s.contract_status <> 'not_contracted'"),
        Some(false) => w.sql.push_str(" AND s.contract_status = 'not_contracted'"),
        None => {}
    }
    if let Some(v) = &f.framework_id {
        w.push(" AND s.framework_id = $?", v.clone());
    }
    if let Some(v) = &f.lot_id {
        w.push(" AND s.lot_id = $?", v.clone());
    }
    if let Some(v) = &f.area_id {
        w.push(" AND s.area_id = $?", v.clone());
    }
    if let Some(sp) = f.specialism {
        w.push(
            " AND EXISTS (SELECT 1 FROM service_specialisms ss WHERE ss.service_id = s.id AND ss.specialism = $?)",
            sp.as_str().to_string(),
        );
    }
    if !f.any_area {
        match f.in_area {
            Some(false) => w.sql.push_str(" AND s.in_area = 0"),
            _ => w.sql.push_str(" AND s.in_area = 1"),
        }
    }
    match f.registration.as_deref() {
        Some("all") => {}
        Some("registered") => w.sql.push_str(" AND s.registration_status = 'registered'"),
        Some("deregistered") => w.sql.push_str(" AND s.registration_status = 'deregistered'"),
        _ => w.sql.push_str(" AND s.registration_status <> 'deregistered'"),
    }
    if f.never_inspected {
        w.sql.push_str(&format!(
            " AND s.registration_status = 'registered' AND s.last_inspection_date IS NULL AND (s.rating_overall IS NULL OR s.rating_overall NOT IN {grades}) AND (s.rating_overall IS NULL OR s.rating_overall <> 'inspected_not_rated')",
            grades = grades_sql_list()
        ));
    }
    if let Some(d) = f.not_inspected_since {
        w.push(" AND s.registration_status = 'registered' AND COALESCE(s.last_inspection_date, s.rating_date) < $?", d.to_string());
    }
    if let Some(d) = f.rating_changed_since {
        // Core's definition of a change, as SQL (the dashboard's count and list use the same).
        w.push(
            &format!(
                " AND EXISTS (SELECT 1 FROM rating_history h WHERE h.service_id = s.id AND h.report_date >= $? AND {})",
                CoreRatingChange::sql_condition("h.previous_overall", "h.overall")
            ),
            d.to_string(),
        );
    }
    if let Some(v) = &f.provider_id {
        w.push(" AND s.provider_id = $?", v.clone());
    }
    w
}

fn order_by(sort: Option<&str>) -> &'static str {
    // Worst rating first when sorting by rating: that is what officers look for.
    match sort {
        Some("rating") => {
            " ORDER BY CASE s.rating_overall WHEN 'inadequate' THEN 1 WHEN 'requires_improvement' THEN 2 WHEN 'good' THEN 3 WHEN 'outstanding' THEN 4 ELSE 5 END, s.name, s.id"
        }
        Some("inspected") => " ORDER BY COALESCE(s.last_inspection_date, s.rating_date, '0000') ASC, s.name, s.id",
        Some("kind") => " ORDER BY s.kind, s.name, s.id",
        Some("provider") => " ORDER BY p.name, s.name, s.id",
        _ => " ORDER BY s.name, s.id",
    }
}

macro_rules! bind_all {
    ($q:expr, $binds:expr) => {{
        let mut q = $q;
        for b in $binds {
            q = q.bind(b.clone());
        }
        q
    }};
}

impl Store {
    // ----- providers -----

    pub async fn create_provider(
        &self,
        actor: &Actor,
        cqc_provider_id: Option<&str>,
        name: &str,
        address: Option<&str>,
        postcode: Option<&str>,
    ) -> Result<String> {
        let name = caremarket_core::text::tidy(name);
        if name.is_empty() {
            return Err(StoreError::invalid("name", "Enter the provider's name"));
        }
        let id = new_id();
        let now = now_timestamp();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO providers (id, cqc_provider_id, name, address, postcode, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&id)
        .bind(cqc_provider_id.map(str::to_string))
        .bind(&name)
        .bind(address.map(str::to_string))
        .bind(postcode.and_then(normalise_postcode))
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        record(&mut tx, actor, "create", "provider", Some(&id), &format!("Added provider {name}"), None, None).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn provider(&self, id: &str) -> Result<Provider> {
        let row = sqlx::query(
            "SELECT p.id, p.cqc_provider_id, p.name, p.address, p.postcode, p.phone, p.website, p.notes,
                    (SELECT COUNT(*) FROM services s WHERE s.provider_id = p.id) AS service_count
             FROM providers p WHERE p.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("provider {id}")))?;
        provider_from_row(&row)
    }

    /// Providers with at least one service matching `in_area` (default: in the council's area),
    /// searched by name or CQC provider id.
    pub async fn providers(&self, q: Option<&str>, page: i64, per_page: i64) -> Result<Page<Provider>> {
        let per_page = per_page.clamp(1, 500);
        let page = page.max(1);
        let q = q.unwrap_or("").trim();
        check_search(q)?;
        let like = caremarket_core::limits::like_contains(&q.to_lowercase());
        let base =
            " FROM providers p WHERE (LOWER(p.name) LIKE $1 ESCAPE '\\' OR LOWER(COALESCE(p.cqc_provider_id,'')) LIKE $1 ESCAPE '\\')
            AND EXISTS (SELECT 1 FROM services s WHERE s.provider_id = p.id AND s.in_area = 1)";
        let total: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*){base}"))).bind(&like).fetch_one(&self.pool).await?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT p.id, p.cqc_provider_id, p.name, p.address, p.postcode, p.phone, p.website, p.notes,
                    (SELECT COUNT(*) FROM services s WHERE s.provider_id = p.id AND s.registration_status <> 'deregistered') AS service_count
             {base} ORDER BY p.name, p.id LIMIT {per_page} OFFSET {}",
            (page - 1) * per_page
        )))
        .bind(&like)
        .fetch_all(&self.pool)
        .await?;
        Ok(Page { items: rows.iter().map(provider_from_row).collect::<Result<_>>()?, total, page, per_page })
    }

    pub async fn update_provider_notes(&self, actor: &Actor, id: &str, notes: Option<&str>) -> Result<()> {
        let before = self.provider(id).await?;
        let notes = notes.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE providers SET notes = $1, updated_at = $2 WHERE id = $3")
            .bind(notes.clone())
            .bind(now_timestamp())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            actor,
            "update",
            "provider",
            Some(id),
            "Changed provider notes",
            Some(&json!({"notes": before.notes})),
            Some(&json!({"notes": notes})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // ----- services -----

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
        let name = caremarket_core::text::tidy(&s.name);
        if name.is_empty() {
            return Err(StoreError::invalid("name", "Enter the service's name"));
        }
        validate_contract(s.contract_status, s.framework_id.as_deref(), s.lot_id.as_deref())?;
        let id = new_id();
        let now = now_timestamp();
        let postcode = s.postcode.as_deref().and_then(normalise_postcode);
        let outward = postcode.as_deref().and_then(outward_code);
        let area_id = match &outward {
            Some(o) => {
                sqlx::query_scalar::<_, String>("SELECT area_id FROM area_districts WHERE outward_code = $1")
                    .bind(o)
                    .fetch_optional(&mut **tx)
                    .await?
            }
            None => None,
        };
        sqlx::query(
            "INSERT INTO services (id, provider_id, cqc_location_id, name, kind, address_line, town, postcode, outward_code,
                local_authority, region, in_area, area_id, phone, website, registration_status, registration_date, beds,
                service_types, contract_status, framework_id, lot_id, contract_start, contract_end, council_notes, created_at, updated_at)
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$26)",
        )
        .bind(&id)
        .bind(&s.provider_id)
        .bind(s.cqc_location_id.clone())
        .bind(&name)
        .bind(s.kind.as_str())
        .bind(s.address_line.clone())
        .bind(s.town.clone())
        .bind(postcode)
        .bind(outward)
        .bind(s.local_authority.clone())
        .bind(s.region.clone())
        .bind(if s.in_area { 1i64 } else { 0 })
        .bind(area_id)
        .bind(s.phone.clone())
        .bind(s.website.clone())
        .bind(&s.registration_status)
        .bind(date_str(s.registration_date))
        .bind(s.beds)
        .bind(s.service_types.join("|"))
        .bind(s.contract_status.as_str())
        .bind(s.framework_id.clone())
        .bind(s.lot_id.clone())
        .bind(date_str(s.contract_start))
        .bind(date_str(s.contract_end))
        .bind(s.council_notes.clone())
        .bind(&now)
        .execute(&mut **tx)
        .await?;
        for sp in &s.specialisms {
            sqlx::query("INSERT INTO service_specialisms (service_id, specialism) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(&id)
                .bind(sp.as_str())
                .execute(&mut **tx)
                .await?;
        }
        Ok(id)
    }

    /// Append a rating to a service's history and make it current if it is the newest.
    pub async fn add_rating(&self, actor: &Actor, service_id: &str, r: &RatingRecord, source: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        if let Some(c) = add_rating_tx(&mut tx, service_id, r, source, None).await? {
            // A change of the overall rating is a quality signal (issue 3).
            crate::quality::signals::log_rating_change(&mut tx, service_id, c, source, None).await?;
        }
        record(
            &mut tx,
            actor,
            "create",
            "rating",
            Some(service_id),
            &format!("Recorded rating {:?} ({source})", r.overall.map(|r| r.label())),
            None,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn service(&self, id: &str) -> Result<Service> {
        let row = sqlx::query(AssertSqlSafe(format!("SELECT {SERVICE_COLS}{SERVICE_FROM} WHERE s.id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("service {id}")))?;
        let mut s = service_from_row(&row)?;
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
        Ok(v.iter().filter_map(|s| Specialism::parse(s)).collect())
    }

    pub async fn services(&self, f: &ServiceFilter) -> Result<Page<Service>> {
        check_search(f.q.as_deref().unwrap_or("").trim())?;
        let w = where_clause(f);
        let per_page = if f.per_page <= 0 { 50 } else { f.per_page.min(1000) };
        let page = f.page.max(1);
        let count_sql = format!("SELECT COUNT(*) AS n{SERVICE_FROM}{}", w.sql);
        let total: i64 = bind_all!(sqlx::query(AssertSqlSafe(count_sql.clone())), &w.binds).fetch_one(&self.pool).await?.try_get("n")?;
        let sql = format!(
            "SELECT {SERVICE_COLS}{SERVICE_FROM}{}{} LIMIT {per_page} OFFSET {}",
            w.sql,
            order_by(f.sort.as_deref()),
            (page - 1) * per_page
        );
        let rows = bind_all!(sqlx::query(AssertSqlSafe(sql.clone())), &w.binds).fetch_all(&self.pool).await?;
        let mut items = rows.iter().map(service_from_row).collect::<Result<Vec<_>>>()?;
        self.fill_specialisms(&mut items).await?;
        Ok(Page { items, total, page, per_page })
    }

    async fn fill_specialisms(&self, items: &mut [Service]) -> Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let placeholders = (1..=items.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(",");
        let sql = format!("SELECT service_id, specialism FROM service_specialisms WHERE service_id IN ({placeholders})");
        let rows = bind_all!(sqlx::query(AssertSqlSafe(sql.clone())), items.iter().map(|s| &s.id)).fetch_all(&self.pool).await?;
        let mut map: BTreeMap<String, Vec<Specialism>> = BTreeMap::new();
        for r in rows {
            let sid: String = r.try_get("service_id")?;
            let sp: String = r.try_get("specialism")?;
            if let Some(sp) = Specialism::parse(&sp) {
                map.entry(sid).or_default().push(sp);
            }
        }
        for s in items.iter_mut() {
            if let Some(mut v) = map.remove(&s.id) {
                v.sort();
                s.specialisms = v;
            }
        }
        Ok(())
    }

    pub async fn rating_history(&self, service_id: &str) -> Result<Vec<RatingHistoryEntry>> {
        let rows = sqlx::query(
            "SELECT id, service_id, overall, safe, effective, caring, responsive, well_led, report_date, previous_overall, recorded_at, source
             FROM rating_history WHERE service_id = $1 ORDER BY COALESCE(report_date, '') DESC, recorded_at DESC",
        )
        .bind(service_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(history_from_row).collect()
    }

    /// Change the council-owned fields of a service; audited with before and after.
    pub async fn update_council_fields(&self, actor: &Actor, service_id: &str, c: &CouncilFields) -> Result<Service> {
        let before = self.service(service_id).await?;
        validate_contract(c.contract_status, c.framework_id.as_deref(), c.lot_id.as_deref())?;
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
        if let (Some(a), Some(b)) = (c.contract_start, c.contract_end)
            && b < a
        {
            return Err(StoreError::invalid("contract_end", "The contract end date must be on or after its start date"));
        }
        let notes = c.council_notes.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let (kind, kind_set) = match c.kind {
            Some(k) => (k, 1i64),
            None => (before.kind, 0),
        };
        let mut tx = self.begin_write().await?;
        let kind_sql = if c.kind.is_some() { ", kind = $8, kind_set_by_council = $9" } else { "" };
        let sql = format!(
            "UPDATE services SET contract_status = $1, framework_id = $2, lot_id = $3, contract_start = $4, contract_end = $5,
             council_notes = $6, updated_at = $7{kind_sql} WHERE id = {}",
            if c.kind.is_some() { "$10" } else { "$8" }
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
        q.bind(service_id).execute(&mut *tx).await?;
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

    // ----- frameworks and areas -----

    pub async fn create_framework(
        &self,
        actor: &Actor,
        name: &str,
        kind: Option<ServiceKind>,
        starts_on: Option<Date>,
        ends_on: Option<Date>,
        lots: &[&str],
    ) -> Result<String> {
        let id = new_id();
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO frameworks (id, name, kind, starts_on, ends_on) VALUES ($1, $2, $3, $4, $5)")
            .bind(&id)
            .bind(name)
            .bind(kind.map(|k| k.as_str().to_string()))
            .bind(date_str(starts_on))
            .bind(date_str(ends_on))
            .execute(&mut *tx)
            .await?;
        for lot in lots {
            sqlx::query("INSERT INTO framework_lots (id, framework_id, name) VALUES ($1, $2, $3)")
                .bind(new_id())
                .bind(&id)
                .bind(*lot)
                .execute(&mut *tx)
                .await?;
        }
        record(&mut tx, actor, "create", "framework", Some(&id), &format!("Added framework {name}"), None, Some(&json!({"lots": lots})))
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn frameworks(&self) -> Result<Vec<Framework>> {
        let rows = sqlx::query("SELECT id, name, kind, starts_on, ends_on FROM frameworks ORDER BY name").fetch_all(&self.pool).await?;
        let lots = sqlx::query("SELECT id, framework_id, name FROM framework_lots ORDER BY name").fetch_all(&self.pool).await?;
        let lots: Vec<Lot> = lots
            .iter()
            .map(|r| Ok(Lot { id: r.try_get("id")?, framework_id: r.try_get("framework_id")?, name: r.try_get("name")? }))
            .collect::<Result<_, sqlx::Error>>()?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                let kind: Option<String> = r.try_get("kind")?;
                Ok(Framework {
                    lots: lots.iter().filter(|l| l.framework_id == id).cloned().collect(),
                    id,
                    name: r.try_get("name")?,
                    kind: kind.as_deref().and_then(ServiceKind::parse),
                    starts_on: r.try_get("starts_on")?,
                    ends_on: r.try_get("ends_on")?,
                })
            })
            .collect()
    }

    pub async fn create_area(&self, actor: &Actor, name: &str, outward_codes: &[&str]) -> Result<String> {
        let id = new_id();
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO areas (id, name) VALUES ($1, $2)").bind(&id).bind(name).execute(&mut *tx).await?;
        for oc in outward_codes {
            sqlx::query("INSERT INTO area_districts (outward_code, area_id) VALUES ($1, $2)")
                .bind(oc.trim().to_uppercase())
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE services SET area_id = $1 WHERE outward_code = $2")
                .bind(&id)
                .bind(oc.trim().to_uppercase())
                .execute(&mut *tx)
                .await?;
        }
        record(
            &mut tx,
            actor,
            "create",
            "area",
            Some(&id),
            &format!("Added area {name}"),
            None,
            Some(&json!({"outward_codes": outward_codes})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn areas(&self) -> Result<Vec<Area>> {
        let rows = sqlx::query("SELECT id, name FROM areas ORDER BY name").fetch_all(&self.pool).await?;
        let districts = sqlx::query("SELECT outward_code, area_id FROM area_districts ORDER BY outward_code").fetch_all(&self.pool).await?;
        let mut by_area: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for d in districts {
            by_area.entry(d.try_get("area_id")?).or_default().push(d.try_get("outward_code")?);
        }
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                Ok(Area { outward_codes: by_area.remove(&id).unwrap_or_default(), id, name: r.try_get("name")? })
            })
            .collect()
    }

    // ----- national comparators -----

    pub async fn set_national_benchmark(&self, actor: &Actor, b: &NationalBenchmark) -> Result<()> {
        let mut tx = self.begin_write().await?;
        set_national_benchmark_tx(&mut tx, b).await?;
        record(
            &mut tx,
            actor,
            "update",
            "national_benchmark",
            Some(b.kind.as_str()),
            &format!("National figure for {} set to {}%", b.kind.label(), b.percent_good_or_outstanding),
            None,
            Some(&json!({"percent": b.percent_good_or_outstanding, "source": b.source, "as_at": b.as_at})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn national_benchmarks(&self) -> Result<Vec<NationalBenchmark>> {
        let rows =
            sqlx::query("SELECT kind, percent_good_or_outstanding, rated_services, as_at, source FROM national_benchmarks ORDER BY kind")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .filter_map(|r| {
                let kind: String = match r.try_get("kind") {
                    Ok(k) => k,
                    Err(e) => return Some(Err(e.into())),
                };
                let kind = ServiceKind::parse(&kind)?;
                Some((|| {
                    Ok(NationalBenchmark {
                        kind,
                        percent_good_or_outstanding: r.try_get("percent_good_or_outstanding")?,
                        rated_services: r.try_get("rated_services")?,
                        as_at: r.try_get("as_at")?,
                        source: r.try_get("source")?,
                    })
                })())
            })
            .collect()
    }

    // ----- figures -----

    /// The market at a glance, as at now. `not_inspected_before` and `changes_since` are the
    /// dates the commissioner chose (defaults: 2020-01-01 as in `004` §4.22, and 90 days ago).
    pub async fn market_figures(&self, not_inspected_before: Date, changes_since: Date) -> Result<MarketFigures> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT kind, contract_status, COUNT(*) AS n,
                    CAST(SUM(CASE WHEN rating_overall IN {grades} THEN 1 ELSE 0 END) AS BIGINT) AS rated,
                    CAST(SUM(CASE WHEN rating_overall IN {good} THEN 1 ELSE 0 END) AS BIGINT) AS good
             FROM services WHERE in_area = 1 AND registration_status <> 'deregistered'
             GROUP BY kind, contract_status",
            grades = grades_sql_list(),
            good = good_or_outstanding_sql_list()
        )))
        .fetch_all(&self.pool)
        .await?;
        let national: BTreeMap<ServiceKind, NationalBenchmark> =
            self.national_benchmarks().await?.into_iter().map(|b| (b.kind, b)).collect();
        let mut kind_by_contract: BTreeMap<ServiceKind, BTreeMap<ContractStatus, i64>> = BTreeMap::new();
        let mut per_kind: BTreeMap<ServiceKind, (i64, i64, i64, i64)> = BTreeMap::new();
        let mut by_contract: BTreeMap<ContractStatus, i64> = BTreeMap::new();
        let mut total = 0;
        for r in rows {
            let kind = ServiceKind::parse(&r.try_get::<String, _>("kind")?).unwrap_or(ServiceKind::Other);
            let cs = ContractStatus::parse(&r.try_get::<String, _>("contract_status")?).unwrap_or(ContractStatus::NotContracted);
            let n: i64 = r.try_get("n")?;
            let rated: i64 = r.try_get("rated")?;
            let good: i64 = r.try_get("good")?;
            total += n;
            *kind_by_contract.entry(kind).or_default().entry(cs).or_default() += n;
            *by_contract.entry(cs).or_default() += n;
            let e = per_kind.entry(kind).or_default();
            e.0 += n;
            e.1 += if cs.is_contracted() { n } else { 0 };
            e.2 += rated;
            e.3 += good;
        }
        let by_kind = per_kind
            .into_iter()
            .map(|(kind, (services, contracted, rated, good))| KindRow {
                kind,
                services,
                contracted,
                rated,
                good_or_outstanding: good,
                percent_good_or_outstanding: caremarket_core::register::percent(good, rated),
                national: national.get(&kind).cloned(),
            })
            .collect();
        let count = |f: ServiceFilter| async move {
            let w = where_clause(&f);
            let sql = format!("SELECT COUNT(*) AS n{SERVICE_FROM}{}", w.sql);
            let n: i64 = bind_all!(sqlx::query(AssertSqlSafe(sql.clone())), &w.binds).fetch_one(&self.pool).await?.try_get("n")?;
            Ok::<i64, StoreError>(n)
        };
        let never_inspected = count(ServiceFilter { never_inspected: true, ..Default::default() }).await?;
        let not_inspected_since = count(ServiceFilter { not_inspected_since: Some(not_inspected_before), ..Default::default() }).await?;
        let rating_changed_services = count(ServiceFilter { rating_changed_since: Some(changes_since), ..Default::default() }).await?;
        let total_providers: i64 = sqlx::query_scalar(
            "SELECT COUNT(DISTINCT provider_id) FROM services WHERE in_area = 1 AND registration_status <> 'deregistered'",
        )
        .fetch_one(&self.pool)
        .await?;
        let out_of_area_placements: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM placements WHERE end_date IS NULL").fetch_one(&self.pool).await?;
        Ok(MarketFigures {
            as_at: now_timestamp(),
            total_services: total,
            total_providers,
            by_kind,
            by_contract: by_contract.into_iter().collect(),
            kind_by_contract,
            never_inspected,
            not_inspected_since,
            not_inspected_since_date: not_inspected_before.to_string(),
            rating_changes_since: changes_since.to_string(),
            rating_changes: self.rating_changes(changes_since).await?,
            rating_changed_services,
            out_of_area_placements,
        })
    }

    /// Changes of overall rating with a report date on or after `since`, newest first.
    pub async fn rating_changes(&self, since: Date) -> Result<Vec<RatingChange>> {
        // The same services as the register's `rating_changed_since` filter (in the area, not
        // deregistered) and core's definition of a change, so the list and the count agree.
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT s.id, s.name, s.kind, h.previous_overall, h.overall, h.report_date
             FROM rating_history h JOIN services s ON s.id = h.service_id
             WHERE s.in_area = 1 AND s.registration_status <> 'deregistered' AND h.report_date >= $1 AND {}
             ORDER BY h.report_date DESC, s.name",
            CoreRatingChange::sql_condition("h.previous_overall", "h.overall")
        )))
        .bind(since.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RatingChange {
                    service_id: r.try_get("id")?,
                    service_name: r.try_get("name")?,
                    kind: ServiceKind::parse(&r.try_get::<String, _>("kind")?).unwrap_or(ServiceKind::Other),
                    from: opt_rating(r, "previous_overall")?,
                    to: opt_rating(r, "overall")?,
                    report_date: r.try_get("report_date")?,
                })
            })
            .collect()
    }
}

fn provider_from_row(r: &AnyRow) -> Result<Provider> {
    Ok(Provider {
        id: r.try_get("id")?,
        cqc_provider_id: r.try_get("cqc_provider_id")?,
        name: r.try_get("name")?,
        address: r.try_get("address")?,
        postcode: r.try_get("postcode")?,
        phone: r.try_get("phone")?,
        website: r.try_get("website")?,
        notes: r.try_get("notes")?,
        service_count: r.try_get("service_count")?,
    })
}

fn validate_contract(cs: ContractStatus, framework_id: Option<&str>, lot_id: Option<&str>) -> Result<()> {
    if cs.takes_framework() && framework_id.is_none() {
        return Err(StoreError::invalid("framework_id", "Choose the framework this service is on"));
    }
    if !cs.takes_framework() && (framework_id.is_some() || lot_id.is_some()) {
        return Err(StoreError::invalid(
            "framework_id",
            format!("A service on '{}' is not on a framework: clear the framework and lot", cs.label()),
        ));
    }
    if lot_id.is_some() && framework_id.is_none() {
        return Err(StoreError::invalid("lot_id", "Choose a framework before a lot"));
    }
    Ok(())
}

pub(crate) async fn set_national_benchmark_tx(tx: &mut sqlx::Transaction<'_, sqlx::Any>, b: &NationalBenchmark) -> Result<()> {
    sqlx::query(
        "INSERT INTO national_benchmarks (kind, percent_good_or_outstanding, rated_services, as_at, source) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (kind) DO UPDATE SET percent_good_or_outstanding = excluded.percent_good_or_outstanding,
           rated_services = excluded.rated_services, as_at = excluded.as_at, source = excluded.source",
    )
    .bind(b.kind.as_str())
    .bind(b.percent_good_or_outstanding)
    .bind(b.rated_services)
    .bind(&b.as_at)
    .bind(&b.source)
    .execute(&mut **tx)
    .await?;
    Ok(())
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
    sqlx::query(
        "INSERT INTO rating_history (id, service_id, overall, safe, effective, caring, responsive, well_led, report_date, previous_overall, recorded_at, source, import_id)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,NULL,$10,$11,$12)",
    )
    .bind(&id)
    .bind(service_id)
    .bind(rating_str(r.overall))
    .bind(rating_str(r.safe))
    .bind(rating_str(r.effective))
    .bind(rating_str(r.caring))
    .bind(rating_str(r.responsive))
    .bind(rating_str(r.well_led))
    .bind(date_str(r.report_date))
    .bind(now_timestamp())
    .bind(source)
    .bind(import_id.map(str::to_string))
    .execute(&mut **tx)
    .await?;
    // A report of an inspection (rated, or "Inspected but not rated") is the latest sign of
    // CQC having looked, whether or not it becomes the current rating.
    if let Some(d) = date_str(r.report_date)
        && r.overall.is_some_and(|o| o.is_grade() || o == Rating::InspectedButNotRated)
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

/// Make `r` the service's current rating if core's [`replaces_current`] says it replaces the one
/// held. Returns whether it did.
pub(crate) async fn offer_current_rating_tx(tx: &mut sqlx::Transaction<'_, sqlx::Any>, service_id: &str, r: &RatingRecord) -> Result<bool> {
    let cur = sqlx::query("SELECT rating_overall, rating_date FROM services WHERE id = $1")
        .bind(service_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("service {service_id}")))?;
    let stored = Published {
        overall: cur.try_get::<Option<String>, _>("rating_overall")?.as_deref().and_then(Rating::parse),
        report_date: cur.try_get::<Option<String>, _>("rating_date")?.as_deref().and_then(|d| d.parse().ok()),
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
    let rows = sqlx::query("SELECT id, overall, report_date, previous_overall FROM rating_history WHERE service_id = $1")
        .bind(service_id)
        .fetch_all(&mut **tx)
        .await?;
    let mut entries = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: String = r.try_get("id")?;
        let stored_previous: Option<String> = r.try_get("previous_overall")?;
        let published = Published {
            overall: opt_rating(r, "overall")?,
            report_date: r.try_get::<Option<String>, _>("report_date")?.as_deref().and_then(|d| d.parse().ok()),
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
