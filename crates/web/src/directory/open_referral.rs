//! The directory as Open Referral UK (the UK profile of HSDS 3.0): `/directory/api` and its
//! `services`, `service_at_locations`, `taxonomies` and `taxonomy_terms` endpoints.
//!
//! Everything is built from [`PublicService`], so the feed can publish nothing the public pages
//! do not. The taxonomies are caremarket's own lists (service kinds, specialisms, CQC ratings,
//! council contracted yes/no), defined once in `caremarket_core` and turned into taxonomy terms
//! here by one function, [`service_terms`], which both writes a service's `attributes` and
//! decides the `taxonomy_term_id` / `taxonomy_id` filters: a filter can never disagree with
//! what the feed shows. What is served and what is not: docs/directory.md.

use super::{DirectoryQuery, PublicService, clean, is_public, public_service};
use crate::AppState;
use crate::error::AppError;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use caremarket_core::register::{Rating, ServiceKind, Specialism};
use caremarket_store::StoreError;
use caremarket_store::register::Service;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const API_MAX_PAGE_SIZE: i64 = 100;
/// How many services one store read returns while the feed gathers a whole search.
const GATHER_PAGE: i64 = 1000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/directory/api", get(api_meta))
        .route("/directory/api/services", get(api_services))
        .route("/directory/api/services/{id}", get(api_service))
        .route("/directory/api/service_at_locations", get(api_service_at_locations))
        .route("/directory/api/service_at_locations/{id}", get(api_service_at_location))
        .route("/directory/api/taxonomies", get(api_taxonomies))
        .route("/directory/api/taxonomies/{id}", get(api_taxonomy))
        .route("/directory/api/taxonomy_terms", get(api_taxonomy_terms))
        .route("/directory/api/taxonomy_terms/{id}", get(api_taxonomy_term))
}

// ----- Taxonomies -----

/// One of caremarket's published taxonomies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Taxonomy {
    ServiceKind,
    Specialism,
    CouncilContracted,
    CqcOverallRating,
}

impl Taxonomy {
    const ALL: [Taxonomy; 4] = [Taxonomy::ServiceKind, Taxonomy::Specialism, Taxonomy::CouncilContracted, Taxonomy::CqcOverallRating];

    fn name(self) -> &'static str {
        match self {
            Taxonomy::ServiceKind => "caremarket-service-kind",
            Taxonomy::Specialism => "caremarket-specialism",
            Taxonomy::CouncilContracted => "caremarket-council-contracted",
            Taxonomy::CqcOverallRating => "cqc-overall-rating",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Taxonomy::ServiceKind => "The type of adult social care service, as the council's care market register classifies it.",
            Taxonomy::Specialism => "Groups of people a service supports, from the Care Quality Commission's service user bands.",
            Taxonomy::CouncilContracted => "Whether the council has a contract with the service.",
            Taxonomy::CqcOverallRating => "The Care Quality Commission's current overall rating of the service.",
        }
    }

    /// The attribute's `link_type`, saying what the term tells about the service.
    fn link_type(self) -> &'static str {
        match self {
            Taxonomy::ServiceKind => "service_type",
            Taxonomy::Specialism => "audience",
            Taxonomy::CouncilContracted => "council_contract",
            Taxonomy::CqcOverallRating => "quality_rating",
        }
    }

    fn id(self) -> String {
        derived_id(&["taxonomy", self.name()])
    }

    /// Every term of the taxonomy, from the lists in `caremarket_core`.
    fn terms(self) -> Vec<Term> {
        match self {
            Taxonomy::ServiceKind => ServiceKind::ALL.iter().map(|k| Term::new(self, k.as_str(), k.label())).collect(),
            Taxonomy::Specialism => Specialism::ALL.iter().map(|s| Term::new(self, s.as_str(), s.label())).collect(),
            Taxonomy::CouncilContracted => {
                vec![Term::new(self, "yes", "Contracted by the council"), Term::new(self, "no", "Not contracted by the council")]
            }
            Taxonomy::CqcOverallRating => Rating::ALL.iter().map(|r| Term::new(self, r.as_str(), r.label())).collect(),
        }
    }

    fn to_json(self, with_terms: bool) -> Value {
        let mut v = json!({
            "id": self.id(),
            "name": self.name(),
            "description": self.description(),
            "version": "1",
        });
        if with_terms {
            v["taxonomy_terms"] = json!(self.terms().iter().map(Term::to_json).collect::<Vec<_>>());
        }
        v
    }
}

/// A taxonomy term: a code (`term`), the words people read (`name`) and a description.
#[derive(Debug, Clone)]
struct Term {
    taxonomy: Taxonomy,
    code: &'static str,
    name: &'static str,
}

impl Term {
    fn new(taxonomy: Taxonomy, code: &'static str, name: &'static str) -> Term {
        Term { taxonomy, code, name }
    }

    fn id(&self) -> String {
        derived_id(&["taxonomy_term", self.taxonomy.name(), self.code])
    }

    fn description(&self) -> String {
        match self.taxonomy {
            Taxonomy::ServiceKind => format!("Type of service: {}.", self.name),
            Taxonomy::Specialism => format!("The service supports people in this group: {}.", self.name),
            Taxonomy::CouncilContracted => format!("{}.", self.name),
            Taxonomy::CqcOverallRating => format!("CQC overall rating: {}.", self.name),
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "id": self.id(),
            "name": self.name,
            "description": self.description(),
            "term": self.code,
            "taxonomy": self.taxonomy.name(),
            "taxonomy_id": self.taxonomy.id(),
        })
    }
}

fn all_terms() -> Vec<Term> {
    Taxonomy::ALL.iter().flat_map(|t| t.terms()).collect()
}

/// The terms a service carries: its kind, each specialism, contracted yes or no, and its CQC
/// overall rating when it has one.
fn service_terms(s: &PublicService) -> Vec<Term> {
    let mut terms = vec![Term::new(Taxonomy::ServiceKind, s.kind, s.kind_label)];
    for sp in &s.specialisms {
        terms.push(Term::new(Taxonomy::Specialism, sp.code, sp.label));
    }
    terms.push(if s.council_contracted {
        Term::new(Taxonomy::CouncilContracted, "yes", "Contracted by the council")
    } else {
        Term::new(Taxonomy::CouncilContracted, "no", "Not contracted by the council")
    });
    if let Some(r) = s.ratings.overall.and_then(Rating::parse) {
        terms.push(Term::new(Taxonomy::CqcOverallRating, r.as_str(), r.label()));
    }
    terms
}

// ----- Responses -----

/// Open Referral requires open endpoints usable from any web page.
fn open_json(body: Value) -> Response {
    ([(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")], axum::Json(body)).into_response()
}

fn open_error(e: AppError) -> Response {
    let mut res = e.into_json_response();
    res.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, header::HeaderValue::from_static("*"));
    res
}

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::Store(StoreError::invalid(field, message))
}

/// HSDS's `Page`: `size` is the number of items in this page (not the page size asked for).
fn page_json(contents: Vec<Value>, total: usize, page: i64, per_page: i64) -> Value {
    let total_pages = (total as i64 + per_page - 1) / per_page;
    let total_pages = total_pages.max(1);
    json!({
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": contents.len(),
        "first_page": page <= 1,
        "last_page": page >= total_pages,
        "empty": contents.is_empty(),
        "contents": contents,
    })
}

/// `page` and `per_page`: hand-edited values fall back rather than fail, as on the pages.
fn paging(page: &Option<String>, per_page: &Option<String>) -> (i64, i64) {
    let per_page = clean(per_page).and_then(|p| p.parse::<i64>().ok()).unwrap_or(50).clamp(1, API_MAX_PAGE_SIZE);
    let page = clean(page).and_then(|p| p.parse::<i64>().ok()).unwrap_or(1).clamp(1, 100_000);
    (page, per_page)
}

fn slice<T: Clone>(items: &[T], page: i64, per_page: i64) -> Vec<T> {
    let start = ((page - 1) * per_page) as usize;
    items.iter().skip(start).take(per_page as usize).cloned().collect()
}

async fn api_meta() -> Response {
    open_json(json!({
        "version": "3.0",
        "profile": "https://github.com/openreferral/uk-profile",
        "openapi_url": "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/openapi.json",
    }))
}

// ----- Service searches -----

/// The parameters of `/services` and `/service_at_locations`: the directory's own, plus the
/// profile's.
#[derive(Debug, Default, Deserialize)]
struct OpenQuery {
    q: Option<String>,
    search: Option<String>,
    kind: Option<String>,
    area: Option<String>,
    specialism: Option<String>,
    rating: Option<String>,
    contracted: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
    taxonomy_term_id: Option<String>,
    taxonomy_id: Option<String>,
    postcode: Option<String>,
    proximity: Option<String>,
    minimum_age: Option<String>,
    maximum_age: Option<String>,
    start_time: Option<String>,
    end_time: Option<String>,
    day: Option<String>,
}

/// A search's filters beyond the register's own, as understood.
struct ProfileFilters {
    /// Every one of these terms (by id) must be on the service.
    term_ids: Vec<String>,
    /// The service must carry some term of this taxonomy.
    taxonomy_id: Option<String>,
    /// Within this many metres of this point.
    near: Option<((f64, f64), f64)>,
}

impl OpenQuery {
    fn directory_query(&self) -> DirectoryQuery {
        DirectoryQuery {
            q: self.q.clone(),
            search: self.search.clone(),
            kind: self.kind.clone(),
            area: self.area.clone(),
            specialism: self.specialism.clone(),
            rating: self.rating.clone(),
            contracted: self.contracted.clone(),
            page: None,
        }
    }

    /// The profile's filters, or a refusal naming the parameter. Unknown term and taxonomy
    /// ids are not errors: they match nothing, as a filter on an unknown value should.
    async fn profile_filters(&self, state: &AppState, proximity_allowed: bool) -> Result<ProfileFilters, AppError> {
        // The register holds no ages or opening times: a filter on them cannot be honoured,
        // and ignoring it would answer a different question than the one asked.
        for (name, v) in [
            ("minimum_age", &self.minimum_age),
            ("maximum_age", &self.maximum_age),
            ("start_time", &self.start_time),
            ("end_time", &self.end_time),
            ("day", &self.day),
        ] {
            if clean(v).is_some() {
                return Err(invalid(
                    name,
                    format!("{name}: this directory does not hold ages or opening times for its services, so it cannot filter on them"),
                ));
            }
        }
        let term_ids: Vec<String> = clean(&self.taxonomy_term_id)
            .map(|v| v.split(',').map(|s| s.trim().to_ascii_lowercase()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        let taxonomy_id = clean(&self.taxonomy_id).map(|s| s.to_ascii_lowercase());
        let near = match (clean(&self.postcode), clean(&self.proximity)) {
            (_, Some(_)) if !proximity_allowed => {
                return Err(invalid("proximity", "proximity: use /service_at_locations to search by distance from a postcode"));
            }
            (None, Some(_)) => return Err(invalid("postcode", "postcode: give the postcode to measure the proximity from")),
            (Some(pc), Some(metres)) => {
                let metres =
                    metres.parse::<f64>().ok().filter(|m| m.is_finite() && *m > 0.0).ok_or_else(|| {
                        invalid("proximity", format!("proximity: '{metres}' is not a distance in metres (a number above 0)"))
                    })?;
                let positions = state.store.postcode_positions(std::slice::from_ref(&pc)).await?;
                let point = positions.get(&pc).copied().ok_or_else(|| {
                    invalid("postcode", format!("postcode: '{pc}' is not a postcode this directory knows the position of"))
                })?;
                Some((point, metres))
            }
            // Without a proximity the profile filters on service areas, which the register does
            // not hold: every service is listed.
            (_, None) => None,
        };
        Ok(ProfileFilters { term_ids, taxonomy_id, near })
    }
}

impl ProfileFilters {
    fn is_empty(&self) -> bool {
        self.term_ids.is_empty() && self.taxonomy_id.is_none() && self.near.is_none()
    }

    fn matches(&self, s: &PublicService) -> bool {
        let terms = service_terms(s);
        let has_terms = self.term_ids.iter().all(|id| terms.iter().any(|t| &t.id() == id));
        let has_taxonomy = self.taxonomy_id.as_ref().is_none_or(|id| terms.iter().any(|t| &t.taxonomy.id() == id));
        let near = self.near.is_none_or(|(point, metres)| match (s.latitude, s.longitude) {
            (Some(lat), Some(lon)) => distance_metres(point, (lat, lon)) <= metres,
            _ => false,
        });
        has_terms && has_taxonomy && near
    }
}

/// Great-circle distance (haversine, mean Earth radius): within a few metres over a council.
fn distance_metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lat2) = (a.0.to_radians(), b.0.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.1 - a.1).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().min(1.0).asin()
}

/// Public services with their postcode positions filled in.
async fn with_positions(state: &AppState, services: &[Service]) -> Result<Vec<PublicService>, AppError> {
    let mut out: Vec<PublicService> = services.iter().filter(|s| is_public(s)).map(PublicService::from_service).collect();
    let postcodes: Vec<String> = out.iter().filter_map(|s| s.postcode.clone()).collect();
    let positions = state.store.postcode_positions(&postcodes).await?;
    for s in &mut out {
        if let Some((lat, lon)) = s.postcode.as_ref().and_then(|p| positions.get(p)) {
            s.latitude = Some(*lat);
            s.longitude = Some(*lon);
        }
    }
    Ok(out)
}

/// One page of the services a search finds, and how many it finds in all.
async fn search_services(
    state: &AppState,
    query: &OpenQuery,
    proximity_allowed: bool,
) -> Result<(Vec<PublicService>, usize, i64, i64), AppError> {
    let (page, per_page) = paging(&query.page, &query.per_page);
    let filters = query.profile_filters(state, proximity_allowed).await?;
    let dq = query.directory_query();
    if filters.is_empty() {
        // The register's own filters: the store pages.
        let search = dq.to_search(per_page);
        let mut f = search.filter;
        f.page = page;
        let found = state.store.services(&f).await?;
        let items = with_positions(state, &found.items).await?;
        return Ok((items, found.total as usize, page, per_page));
    }
    // Taxonomy and distance filters are decided on the published record itself, so the search
    // reads every service the register's filters find (a council's directory is hundreds to a
    // few thousand) and pages the result here.
    let mut f = dq.to_search(GATHER_PAGE).filter;
    let mut all = Vec::new();
    for p in 1.. {
        f.page = p;
        let found = state.store.services(&f).await?;
        let done = found.page >= found.pages();
        all.extend(with_positions(state, &found.items).await?.into_iter().filter(|s| filters.matches(s)));
        if done {
            break;
        }
    }
    let total = all.len();
    Ok((slice(&all, page, per_page), total, page, per_page))
}

async fn api_services(State(state): State<AppState>, Query(query): Query<OpenQuery>) -> Response {
    match search_services(&state, &query, false).await {
        Ok((items, total, page, per_page)) => open_json(page_json(items.iter().map(hsds_service).collect(), total, page, per_page)),
        Err(e) => open_error(e),
    }
}

async fn public_with_position(state: &AppState, id: &str) -> Result<PublicService, AppError> {
    let mut s = public_service(state, id).await?;
    if let Some(pc) = s.postcode.clone()
        && let Some((lat, lon)) = state.store.postcode_positions(std::slice::from_ref(&pc)).await?.get(&pc)
    {
        s.latitude = Some(*lat);
        s.longitude = Some(*lon);
    }
    Ok(s)
}

async fn api_service(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match public_with_position(&state, &id).await {
        Ok(s) => open_json(hsds_service(&s)),
        Err(e) => open_error(e),
    }
}

async fn api_service_at_locations(State(state): State<AppState>, Query(query): Query<OpenQuery>) -> Response {
    match search_services(&state, &query, true).await {
        Ok((items, total, page, per_page)) => {
            let contents = items.iter().map(|s| service_at_location(s, true)).collect();
            open_json(page_json(contents, total, page, per_page))
        }
        Err(e) => open_error(e),
    }
}

/// Each service has one location, so its service_at_location shares the service's id.
async fn api_service_at_location(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match public_with_position(&state, &id).await {
        Ok(s) => open_json(service_at_location(&s, true)),
        Err(e) => open_error(e),
    }
}

// ----- Taxonomy endpoints -----

#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    page: Option<String>,
    per_page: Option<String>,
    taxonomy_id: Option<String>,
}

async fn api_taxonomies(Query(query): Query<PageQuery>) -> Response {
    let (page, per_page) = paging(&query.page, &query.per_page);
    let all: Vec<Value> = Taxonomy::ALL.iter().map(|t| t.to_json(false)).collect();
    open_json(page_json(slice(&all, page, per_page), all.len(), page, per_page))
}

async fn api_taxonomy(Path(id): Path<String>) -> Response {
    match Taxonomy::ALL.into_iter().find(|t| t.id() == id.to_ascii_lowercase()) {
        Some(t) => open_json(t.to_json(true)),
        None => open_error(AppError::NotFound),
    }
}

/// All terms, or one taxonomy's with `taxonomy_id`.
async fn api_taxonomy_terms(Query(query): Query<PageQuery>) -> Response {
    let (page, per_page) = paging(&query.page, &query.per_page);
    let taxonomy = clean(&query.taxonomy_id).map(|s| s.to_ascii_lowercase());
    let all: Vec<Value> =
        all_terms().iter().filter(|t| taxonomy.as_ref().is_none_or(|id| &t.taxonomy.id() == id)).map(Term::to_json).collect();
    open_json(page_json(slice(&all, page, per_page), all.len(), page, per_page))
}

async fn api_taxonomy_term(Path(id): Path<String>) -> Response {
    match all_terms().into_iter().find(|t| t.id() == id.to_ascii_lowercase()) {
        Some(t) => open_json(t.to_json()),
        None => open_error(AppError::NotFound),
    }
}

// ----- Records -----

/// A stable UUID for an HSDS record we do not store (location, address, contact, taxonomy...),
/// derived from what it describes so that it is the same on every request.
fn derived_id(parts: &[&str]) -> String {
    let digest = Sha256::digest(parts.join("\u{1f}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid().to_string()
}

fn attribute(service_id: &str, term: &Term) -> Value {
    json!({
        "id": derived_id(&["attribute", service_id, term.taxonomy.name(), term.code]),
        "link_id": service_id,
        "link_type": term.taxonomy.link_type(),
        "taxonomy_term_id": term.id(),
        "taxonomy_term": term.to_json(),
    })
}

fn location(s: &PublicService) -> Value {
    let location_id = derived_id(&["location", &s.id]);
    let address = json!({
        "id": derived_id(&["address", &s.id]),
        "location_id": location_id,
        "address_1": s.address_line.clone().unwrap_or_default(),
        "city": s.town.clone().unwrap_or_default(),
        "state_province": s.local_authority.clone().unwrap_or_default(),
        "postal_code": s.postcode.clone().unwrap_or_default(),
        "country": "GB",
        "address_type": "physical",
    });
    let mut location = json!({
        "id": location_id,
        "location_type": "physical",
        "name": s.name,
        "addresses": [address],
    });
    if let (Some(lat), Some(lon)) = (s.latitude, s.longitude) {
        location["latitude"] = json!(lat);
        location["longitude"] = json!(lon);
    }
    if let Some(id) = &s.cqc_location_id {
        location["external_identifier"] = json!(id);
        location["external_identifier_type"] = json!("CQC location ID");
    }
    location
}

/// The service's one service_at_location, with its location and, when `with_service`, the
/// service's one-to-one fields.
fn service_at_location(s: &PublicService, with_service: bool) -> Value {
    let location = location(s);
    let mut v = json!({
        "id": s.id,
        "service_id": s.id,
        "location_id": location["id"],
        "location": location,
    });
    if with_service {
        v["service"] = service_fields(s);
    }
    v
}

/// The service's own fields and its organization (HSDS's one-to-one fields).
fn service_fields(s: &PublicService) -> Value {
    let description = format!(
        "{} run by {}.{}",
        s.kind_label,
        s.provider_name,
        if s.council_contracted { " The council has a contract with this service." } else { "" }
    );
    let mut service = json!({
        "id": s.id,
        "organization_id": s.provider_id,
        "name": s.name,
        "description": description,
        "status": "active",
        "organization": {
            "id": s.provider_id,
            "name": s.provider_name,
            "description": "Adult social care provider",
        },
    });
    if let Some(url) = &s.website {
        service["url"] = json!(url);
    }
    if let Some(r) = s.ratings.overall.and_then(Rating::parse) {
        service["accreditations"] = json!(match &s.ratings.report_date {
            Some(d) => format!("CQC overall rating: {} (report published {d})", r.label()),
            None => format!("CQC overall rating: {}", r.label()),
        });
    }
    service
}

/// One service as an Open Referral UK (HSDS 3.0) service, with its organization, location,
/// address and phone nested, and caremarket's extra public fields under `x_caremarket`.
/// Field mapping: docs/directory.md.
pub fn hsds_service(s: &PublicService) -> Value {
    let mut service = service_fields(s);
    let contacts: Vec<Value> = s
        .phone
        .iter()
        .map(|p| {
            let contact_id = derived_id(&["contact", &s.id]);
            json!({
                "id": contact_id,
                "service_id": s.id,
                "name": s.name,
                "phones": [{"id": derived_id(&["phone", &s.id]), "contact_id": contact_id, "number": p}],
            })
        })
        .collect();
    let attributes: Vec<Value> = service_terms(s).iter().map(|t| attribute(&s.id, t)).collect();
    let key_questions: serde_json::Map<String, Value> =
        s.ratings.key_questions.iter().map(|kq| (kq.code.to_string(), json!(kq.rating))).collect();
    service["service_at_locations"] = json!([service_at_location(s, false)]);
    service["contacts"] = json!(contacts);
    service["attributes"] = json!(attributes);
    service["x_caremarket"] = json!({
        "kind": s.kind,
        "council_contracted": s.council_contracted,
        "beds": s.beds,
        "area": s.area_name,
        "specialisms": s.specialisms.iter().map(|sp| sp.code).collect::<Vec<_>>(),
        "cqc": {
            "registered": s.cqc_registered,
            "location_id": s.cqc_location_id,
            "url": s.cqc_url,
            "overall": s.ratings.overall,
            "key_questions": key_questions,
            "report_date": s.ratings.report_date,
        },
        "directory_url": format!("/directory/services/{}", s.id),
    });
    service
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_uuids() {
        let a = derived_id(&["location", "abc"]);
        assert_eq!(a, derived_id(&["location", "abc"]));
        assert_ne!(a, derived_id(&["address", "abc"]));
        assert!(uuid::Uuid::parse_str(&a).is_ok());
    }

    #[test]
    fn every_term_id_is_distinct() {
        let terms = all_terms();
        let ids: std::collections::BTreeSet<String> = terms.iter().map(Term::id).collect();
        assert_eq!(ids.len(), terms.len());
        assert_eq!(terms.len(), ServiceKind::ALL.len() + Specialism::ALL.len() + 2 + Rating::ALL.len());
    }

    #[test]
    fn distances_are_in_metres() {
        // One minute of latitude is one nautical mile, 1,852 m, to within half a percent.
        let d = distance_metres((53.0, -2.0), (53.0 + 1.0 / 60.0, -2.0));
        assert!((d - 1852.0).abs() < 10.0, "{d}");
        assert_eq!(distance_metres((53.5, -2.1), (53.5, -2.1)), 0.0);
    }
}
