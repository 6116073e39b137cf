//! The public directory of care services (Care Act 2014 s4 information and advice and s5 market
//! shaping; Stockton scrutiny `002` recommendation 1: every registered provider visible to the
//! public, "indicating if they are included in the ... Framework Agreement").
//!
//! No sign-in. Pages and the Open Referral UK JSON are built from [`PublicService`], a view that
//! holds only public fields, so that neither a template change nor a new column on `Service` can
//! publish council notes, framework or lot names, contract dates, prices or placements. Only
//! services in the council's area whose registration is active are listed or shown; any other id
//! is "not found".

use crate::AppState;
use crate::error::AppError;
use crate::render::BaseContext;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use caremarket_core::register::{KeyQuestion, Rating, ServiceKind, Specialism};
use caremarket_store::register::{Service, ServiceFilter};
use minijinja::context;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const PAGE_SIZE: i64 = 20;
const API_MAX_PAGE_SIZE: i64 = 100;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/directory", get(search))
        .route("/directory/services/{id}", get(service_page))
        .route("/directory/api", get(api_meta))
        .route("/directory/api/services", get(api_services))
        .route("/directory/api/services/{id}", get(api_service))
        .route("/accessibility", get(accessibility))
}

/// What the public may know about a service: CQC's public register data, the council's area,
/// and whether the council contracts the service (yes or no, nothing more).
#[derive(Debug, Clone, Serialize)]
pub struct PublicService {
    pub id: String,
    pub name: String,
    pub provider_id: String,
    pub provider_name: String,
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub address_line: Option<String>,
    pub town: Option<String>,
    pub postcode: Option<String>,
    /// The address on one line, as the results show it.
    pub address: String,
    pub local_authority: Option<String>,
    pub area_name: Option<String>,
    pub phone: Option<String>,
    /// An `http(s)://` address, or `None` (CQC records some websites without a scheme).
    pub website: Option<String>,
    pub cqc_registered: bool,
    pub cqc_location_id: Option<String>,
    pub cqc_url: Option<String>,
    pub beds: Option<i64>,
    pub specialisms: Vec<PublicSpecialism>,
    pub ratings: PublicRatings,
    pub council_contracted: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicSpecialism {
    pub code: &'static str,
    pub label: &'static str,
}

/// CQC's published ratings, as the snake_case strings the templates' rating filters take.
#[derive(Debug, Clone, Serialize)]
pub struct PublicRatings {
    pub overall: Option<&'static str>,
    pub report_date: Option<String>,
    /// The five key questions in CQC's order.
    pub key_questions: Vec<PublicKeyQuestion>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicKeyQuestion {
    pub question: &'static str,
    pub code: &'static str,
    pub rating: Option<&'static str>,
}

impl PublicService {
    pub fn from_service(s: &Service) -> PublicService {
        let address = [s.address_line.as_deref(), s.town.as_deref(), s.postcode.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        let cqc_location_id = s.cqc_location_id.clone().filter(|id| is_cqc_id(id));
        PublicService {
            id: s.id.clone(),
            name: s.name.clone(),
            provider_id: s.provider_id.clone(),
            provider_name: s.provider_name.clone(),
            kind: s.kind.as_str(),
            kind_label: s.kind.label(),
            address_line: s.address_line.clone(),
            town: s.town.clone(),
            postcode: s.postcode.clone(),
            address,
            local_authority: s.local_authority.clone(),
            area_name: s.area_name.clone(),
            phone: s.phone.clone().filter(|p| !p.trim().is_empty()),
            website: s.website.as_deref().and_then(public_url),
            cqc_registered: s.registration_status == "registered",
            cqc_url: cqc_location_id.as_ref().map(|id| format!("https://www.cqc.org.uk/location/{id}")),
            cqc_location_id,
            beds: s.beds,
            specialisms: s.specialisms.iter().map(|sp| PublicSpecialism { code: sp.as_str(), label: sp.label() }).collect(),
            ratings: PublicRatings {
                overall: s.ratings.overall.map(Rating::as_str),
                report_date: s.ratings.rating_date.clone(),
                key_questions: KeyQuestion::ALL
                    .into_iter()
                    .map(|kq| PublicKeyQuestion { question: kq.label(), code: kq.as_str(), rating: s.ratings.get(kq).map(Rating::as_str) })
                    .collect(),
            },
            council_contracted: s.contract_status.is_contracted(),
        }
    }
}

/// CQC ids are like "1-123456789": anything else is not put in a link.
fn is_cqc_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 20 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// A website as a safe link: http(s) only, with a scheme added to a bare domain.
fn public_url(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c == '"' || c == '<' || c == '>') {
        return None;
    }
    let lower = s.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        Some(s.to_string())
    } else if !lower.contains(':') && lower.contains('.') {
        Some(format!("https://{s}"))
    } else {
        None
    }
}

/// A page context with no user and no staff navigation: the directory looks the same to
/// everyone, signed in or not.
async fn public_context(state: &AppState) -> Result<BaseContext, AppError> {
    let council_name = state.store.setting("council_name").await?.unwrap_or_else(|| "Council".to_string());
    Ok(BaseContext { council_name, ..Default::default() })
}

/// Search parameters. Everything is optional text, so that a hand-edited address still gets a
/// page rather than an error; unknown values are ignored.
#[derive(Debug, Default, Deserialize)]
struct DirectoryQuery {
    q: Option<String>,
    /// Open Referral's name for the text search, accepted as well as `q`.
    search: Option<String>,
    kind: Option<String>,
    area: Option<String>,
    specialism: Option<String>,
    rating: Option<String>,
    contracted: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

const RATING_CHOICES: [(&str, &str); 6] = [
    ("good_or_outstanding", "Good or Outstanding"),
    ("outstanding", "Outstanding"),
    ("good", "Good"),
    ("requires_improvement", "Requires improvement"),
    ("inadequate", "Inadequate"),
    ("unrated", "Not yet rated"),
];

fn clean(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

/// The filter a public search maps to: always in the area, always active registrations.
struct PublicSearch {
    filter: ServiceFilter,
    /// The values as understood, to show back in the form and keep in page links.
    q: String,
    kind: String,
    area: String,
    specialism: String,
    rating: String,
    contracted: String,
}

impl DirectoryQuery {
    fn to_search(&self, per_page: i64) -> PublicSearch {
        let q = clean(&self.q).or_else(|| clean(&self.search)).unwrap_or_default();
        let kind = clean(&self.kind).and_then(|k| ServiceKind::parse(&k));
        let specialism = clean(&self.specialism).and_then(|s| Specialism::parse(&s));
        let rating = clean(&self.rating).filter(|r| RATING_CHOICES.iter().any(|(v, _)| v == r));
        let contracted = match clean(&self.contracted).as_deref() {
            Some("yes") => Some(true),
            Some("no") => Some(false),
            _ => None,
        };
        let area = clean(&self.area);
        let page = clean(&self.page).and_then(|p| p.parse::<i64>().ok()).unwrap_or(1).clamp(1, 100_000);
        let filter = ServiceFilter {
            q: Some(q.clone()).filter(|q| !q.is_empty()),
            kinds: kind.into_iter().collect(),
            rating: rating.clone(),
            contracted,
            area_id: area.clone(),
            specialism,
            in_area: Some(true),
            any_area: false,
            registration: Some("active".into()),
            sort: Some("name".into()),
            page,
            per_page,
            ..Default::default()
        };
        PublicSearch {
            filter,
            q,
            kind: kind.map(|k| k.as_str().to_string()).unwrap_or_default(),
            area: area.unwrap_or_default(),
            specialism: specialism.map(|s| s.as_str().to_string()).unwrap_or_default(),
            rating: rating.unwrap_or_default(),
            contracted: match contracted {
                Some(true) => "yes".into(),
                Some(false) => "no".into(),
                None => String::new(),
            },
        }
    }
}

impl PublicSearch {
    /// The query string of this search at `page` ("?q=...&page=2").
    fn href(&self, page: &str) -> String {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        for (k, v) in [
            ("q", &self.q),
            ("kind", &self.kind),
            ("area", &self.area),
            ("specialism", &self.specialism),
            ("rating", &self.rating),
            ("contracted", &self.contracted),
        ] {
            if !v.is_empty() {
                pairs.push((k, v.as_str()));
            }
        }
        pairs.push(("page", page));
        format!("/directory?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
    }
}

fn options<I: IntoIterator<Item = (String, String)>>(any: &str, items: I) -> Vec<Value> {
    std::iter::once(("".to_string(), any.to_string())).chain(items).map(|(value, text)| json!({"value": value, "text": text})).collect()
}

/// Whether a service may be shown to the public at all.
fn is_public(s: &Service) -> bool {
    s.in_area && s.registration_status != "deregistered"
}

async fn search(State(state): State<AppState>, Query(query): Query<DirectoryQuery>) -> Result<Html<String>, AppError> {
    let search = query.to_search(PAGE_SIZE);
    let page = state.store.services(&search.filter).await?;
    let services: Vec<PublicService> = page.items.iter().filter(|s| is_public(s)).map(PublicService::from_service).collect();
    let areas = state.store.areas().await?;
    let pages = page.pages();
    let prev_href = (page.page > 1).then(|| search.href(&(page.page - 1).to_string()));
    let next_href = (page.page < pages).then(|| search.href(&(page.page + 1).to_string()));
    let ctx = public_context(&state).await?;
    let html = state.renderer.render(
        "directory.html",
        &ctx,
        context! {
            services => services,
            total => page.total,
            page => page.page,
            pages => pages,
            prev_href => prev_href,
            next_href => next_href,
            page_href => search.href("{page}"),
            q => search.q,
            kind => search.kind,
            area => search.area,
            specialism => search.specialism,
            rating => search.rating,
            contracted => search.contracted,
            kind_options => options("Any type", ServiceKind::ALL.iter().map(|k| (k.as_str().to_string(), k.label().to_string()))),
            area_options => options("Anywhere in the area", areas.iter().map(|a| (a.id.clone(), a.name.clone()))),
            specialism_options => options("Anyone", Specialism::ALL.iter().map(|s| (s.as_str().to_string(), s.label().to_string()))),
            rating_options => options("Any rating", RATING_CHOICES.iter().map(|(v, t)| (v.to_string(), t.to_string()))),
            contracted_options => options("Any", [("yes".to_string(), "Contracted by the council".to_string()), ("no".to_string(), "Not contracted by the council".to_string())]),
        },
    )?;
    Ok(Html(html))
}

/// A service the public may see, or not found (also for deregistered and out-of-area ids, so
/// that the directory does not reveal which services the council tracks elsewhere).
async fn public_service(state: &AppState, id: &str) -> Result<PublicService, AppError> {
    let s = state.store.service(id).await.map_err(|e| match e {
        caremarket_store::StoreError::NotFound(_) => AppError::NotFound,
        other => AppError::Store(other),
    })?;
    if !is_public(&s) {
        return Err(AppError::NotFound);
    }
    Ok(PublicService::from_service(&s))
}

async fn service_page(State(state): State<AppState>, Path(id): Path<String>) -> Result<Html<String>, AppError> {
    let service = public_service(&state, &id).await?;
    let ctx = public_context(&state).await?;
    Ok(Html(state.renderer.render("directory_service.html", &ctx, context! { service => service })?))
}

async fn accessibility(State(state): State<AppState>) -> Result<Html<String>, AppError> {
    let ctx = public_context(&state).await?;
    let contact = state.store.setting("accessibility_contact").await?;
    Ok(Html(state.renderer.render("accessibility.html", &ctx, context! { contact => contact })?))
}

// ----- Open Referral UK (HSDS 3.0 UK profile) -----

/// Open Referral requires open endpoints usable from any web page.
fn open_json(body: Value) -> Response {
    ([(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")], axum::Json(body)).into_response()
}

fn open_error(e: AppError) -> Response {
    let mut res = e.into_json_response();
    res.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, header::HeaderValue::from_static("*"));
    res
}

async fn api_meta() -> Response {
    open_json(json!({
        "version": "3.0",
        "profile": "https://github.com/openreferral/uk-profile",
        "openapi_url": "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/openapi.json",
    }))
}

async fn api_services(State(state): State<AppState>, Query(query): Query<DirectoryQuery>) -> Response {
    let per_page = clean(&query.per_page).and_then(|p| p.parse::<i64>().ok()).unwrap_or(50).clamp(1, API_MAX_PAGE_SIZE);
    let search = query.to_search(per_page);
    let page = match state.store.services(&search.filter).await {
        Ok(p) => p,
        Err(e) => return open_error(e.into()),
    };
    let contents: Vec<Value> = page.items.iter().filter(|s| is_public(s)).map(|s| hsds_service(&PublicService::from_service(s))).collect();
    let pages = page.pages();
    open_json(json!({
        "total_items": page.total,
        "total_pages": pages,
        "page_number": page.page,
        "size": page.per_page,
        "first_page": page.page <= 1,
        "last_page": page.page >= pages,
        "empty": contents.is_empty(),
        "contents": contents,
    }))
}

async fn api_service(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match public_service(&state, &id).await {
        Ok(s) => open_json(hsds_service(&s)),
        Err(e) => open_error(e),
    }
}

/// A stable UUID for an HSDS record we do not store (location, address, contact...), derived
/// from the service's id so that it is the same on every request.
fn derived_id(parts: &[&str]) -> String {
    let digest = Sha256::digest(parts.join("\u{1f}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid().to_string()
}

fn taxonomy_attribute(service_id: &str, taxonomy: &str, term: &str, name: &str, link_type: &str) -> Value {
    let term_id = derived_id(&["taxonomy_term", taxonomy, term]);
    json!({
        "id": derived_id(&["attribute", service_id, taxonomy, term]),
        "link_id": service_id,
        "link_type": link_type,
        "taxonomy_term_id": term_id,
        "taxonomy_term": {
            "id": term_id,
            "name": name,
            "term": term,
            "taxonomy": taxonomy,
        },
    })
}

/// One service as an Open Referral UK (HSDS 3.0) service, with its organization, location,
/// address and phone nested, and caremarket's extra public fields under `x_caremarket`.
/// Field mapping: docs/directory.md.
pub fn hsds_service(s: &PublicService) -> Value {
    let rating_text = s.ratings.overall.and_then(Rating::parse).map(|r| match &s.ratings.report_date {
        Some(d) => format!("CQC overall rating: {} (report published {d})", r.label()),
        None => format!("CQC overall rating: {}", r.label()),
    });
    let description = format!(
        "{} run by {}.{}",
        s.kind_label,
        s.provider_name,
        if s.council_contracted { " The council has a contract with this service." } else { "" }
    );
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
    if let Some(id) = &s.cqc_location_id {
        location["external_identifier"] = json!(id);
        location["external_identifier_type"] = json!("CQC location ID");
    }
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
    let mut attributes = vec![taxonomy_attribute(&s.id, "caremarket-service-kind", s.kind, s.kind_label, "service_type")];
    for sp in &s.specialisms {
        attributes.push(taxonomy_attribute(&s.id, "caremarket-specialism", sp.code, sp.label, "audience"));
    }
    let contracted = if s.council_contracted { ("yes", "Contracted by the council") } else { ("no", "Not contracted by the council") };
    attributes.push(taxonomy_attribute(&s.id, "caremarket-council-contracted", contracted.0, contracted.1, "council_contract"));
    if let Some(r) = s.ratings.overall.and_then(Rating::parse) {
        attributes.push(taxonomy_attribute(&s.id, "cqc-overall-rating", r.as_str(), r.label(), "quality_rating"));
    }
    let key_questions: serde_json::Map<String, Value> =
        s.ratings.key_questions.iter().map(|kq| (kq.code.to_string(), json!(kq.rating))).collect();
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
        "service_at_locations": [{
            "id": derived_id(&["service_at_location", &s.id]),
            "service_id": s.id,
            "location_id": location_id,
            "location": location,
        }],
        "contacts": contacts,
        "attributes": attributes,
        "x_caremarket": {
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
        },
    });
    if let Some(url) = &s.website {
        service["url"] = json!(url);
    }
    if let Some(t) = rating_text {
        service["accreditations"] = json!(t);
    }
    service
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websites_become_safe_links() {
        assert_eq!(public_url("www.example.org").as_deref(), Some("https://www.example.org"));
        assert_eq!(public_url("http://example.org/x").as_deref(), Some("http://example.org/x"));
        assert_eq!(public_url("javascript:alert(1)"), None);
        assert_eq!(public_url(""), None);
        assert!(is_cqc_id("1-123456789"));
        assert!(!is_cqc_id("1-1/../x"));
    }

    #[test]
    fn derived_ids_are_stable_uuids() {
        let a = derived_id(&["location", "abc"]);
        assert_eq!(a, derived_id(&["location", "abc"]));
        assert_ne!(a, derived_id(&["address", "abc"]));
        assert!(uuid::Uuid::parse_str(&a).is_ok());
    }
}
