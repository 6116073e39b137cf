//! The public directory of care services (Care Act 2014 s4 information and advice and s5 market
//! shaping; Stockton scrutiny `002` recommendation 1: every registered provider visible to the
//! public, "indicating if they are included in the ... Framework Agreement").
//!
//! No sign-in. Pages and the Open Referral UK JSON are built from [`PublicService`], a view that
//! holds only public fields, so that neither a template change nor a new column on `Service` can
//! publish council notes, framework or lot names, contract dates, prices or placements. Only
//! services in the council's area whose registration is active are listed or shown; any other id
//! is "not found".

mod open_referral;

use crate::AppState;
use crate::error::AppError;
use crate::render::BaseContext;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use axum::routing::get;
use caremarket_core::register::{KeyQuestion, Rating, ServiceKind, Specialism};
use caremarket_store::register::{Service, ServiceFilter};
use minijinja::context;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

const PAGE_SIZE: i64 = 20;

pub fn routes(state: &AppState) -> Router<AppState> {
    // The pages are the same for every visitor, so a rendered copy serves the next one
    // (`kept_pages`); the Open Referral feed is left out (its JSON is read by machines).
    let pages = Router::new()
        .route("/directory", get(search))
        .route("/directory/services/{id}", get(service_page))
        .route("/accessibility", get(accessibility))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), crate::kept_pages::serve_public_copy));
    pages.merge(open_referral::routes())
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
    /// WGS84 position of the postcode, when the postcode directory has been loaded
    /// (`caremarket import postcodes`); filled by the Open Referral feed.
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
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
            latitude: None,
            longitude: None,
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
pub(crate) struct DirectoryQuery {
    pub(crate) q: Option<String>,
    /// Open Referral's name for the text search, accepted as well as `q`.
    pub(crate) search: Option<String>,
    pub(crate) kind: Option<String>,
    pub(crate) area: Option<String>,
    pub(crate) specialism: Option<String>,
    pub(crate) rating: Option<String>,
    pub(crate) contracted: Option<String>,
    pub(crate) page: Option<String>,
}

const RATING_CHOICES: [(&str, &str); 6] = [
    ("good_or_outstanding", "Good or Outstanding"),
    ("outstanding", "Outstanding"),
    ("good", "Good"),
    ("requires_improvement", "Requires improvement"),
    ("inadequate", "Inadequate"),
    ("unrated", "Not yet rated"),
];

pub(crate) fn clean(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

/// The filter a public search maps to: always in the area, always active registrations.
pub(crate) struct PublicSearch {
    pub(crate) filter: ServiceFilter,
    /// The values as understood, to show back in the form and keep in page links.
    q: String,
    kind: String,
    area: String,
    specialism: String,
    rating: String,
    contracted: String,
}

impl DirectoryQuery {
    pub(crate) fn to_search(&self, per_page: i64) -> PublicSearch {
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
pub(crate) fn is_public(s: &Service) -> bool {
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
pub(crate) async fn public_service(state: &AppState, id: &str) -> Result<PublicService, AppError> {
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
}
