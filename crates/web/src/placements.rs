//! Out-of-area placements (`000`: the host authority, the current CQC rating checked monthly,
//! the host authority's restrictions and embargoes). Placements name people by case reference:
//! personal data, so viewers are refused, and the reference never goes into a URL or a log line.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::{FormErrors, date_parts, field, form_date};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use caremarket_core::access::Permission;
use caremarket_core::register::Rating;
use caremarket_store::placements::{FUNDERS, NewPlacement, Placement};
use caremarket_store::register::{Service, ServiceFilter};
use minijinja::context;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// How many services the "choose a service" list offers before asking for a narrower search.
const SERVICE_CHOICES: i64 = 100;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/placements", get(list))
        .route("/placements/new", get(new_form).post(create))
        .route("/placements/{id}/end", get(end_form).post(end))
}

/// Why a placement needs a look: the service is deregistered or rated Inadequate or Requires
/// improvement. Ordered worst first.
fn concern(p: &Placement) -> Option<(u8, &'static str)> {
    if p.registration_status == "deregistered" {
        Some((0, "Deregistered"))
    } else {
        match p.ratings.overall {
            Some(Rating::Inadequate) => Some((1, "Inadequate")),
            Some(Rating::RequiresImprovement) => Some((2, "Requires improvement")),
            _ => None,
        }
    }
}

#[derive(Debug, Serialize)]
struct PlacementRow {
    id: String,
    person_ref: String,
    service_id: String,
    service_name: String,
    kind_label: &'static str,
    provider_name: String,
    host_authority: String,
    funder: &'static str,
    reason: Option<String>,
    start_date: String,
    end_date: Option<String>,
    host_restrictions: Option<String>,
    rating: Option<&'static str>,
    rating_date: Option<String>,
    deregistered: bool,
    concern: Option<&'static str>,
}

fn funder_label(code: &str) -> &'static str {
    FUNDERS.iter().find(|(k, _)| *k == code).map(|(_, l)| *l).unwrap_or("Other")
}

impl PlacementRow {
    fn from(p: &Placement) -> PlacementRow {
        PlacementRow {
            id: p.id.clone(),
            person_ref: p.person_ref.clone(),
            service_id: p.service_id.clone(),
            service_name: p.service_name.clone(),
            kind_label: p.service_kind.label(),
            provider_name: p.provider_name.clone(),
            host_authority: p.host_authority.clone(),
            funder: funder_label(&p.funder),
            reason: p.reason.clone(),
            start_date: p.start_date.clone(),
            end_date: p.end_date.clone(),
            host_restrictions: p.host_restrictions.clone(),
            rating: p.ratings.overall.map(Rating::as_str),
            rating_date: p.ratings.rating_date.clone(),
            deregistered: p.registration_status == "deregistered",
            concern: concern(p).map(|(_, c)| c),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    include_ended: Option<String>,
    recorded: Option<String>,
    ended: Option<String>,
}

async fn list(user: CurrentUser, State(state): State<AppState>, Query(q): Query<ListQuery>) -> Result<Html<String>, AppError> {
    user.require(Permission::ViewPlacements)?;
    let include_ended = q.include_ended.as_deref().is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    let mut placements = state.store.placements(include_ended).await?;
    // Worst first: deregistered, Inadequate, Requires improvement, then the rest in the
    // store's order (host authority, service). Ended placements go last.
    placements.sort_by_key(|p| (p.end_date.is_some(), concern(p).map(|(rank, _)| rank).unwrap_or(u8::MAX)));
    let rows: Vec<PlacementRow> = placements.iter().map(PlacementRow::from).collect();
    let current = rows.iter().filter(|r| r.end_date.is_none()).count();
    let flagged = rows.iter().filter(|r| r.end_date.is_none() && r.concern.is_some()).count();
    let banner = if q.recorded.is_some() {
        Some("Placement recorded")
    } else if q.ended.is_some() {
        Some("Placement ended")
    } else {
        None
    };
    let ctx = user.context(&state).await?;
    let html = state.renderer.render(
        "placements.html",
        &ctx,
        context! {
            placements => rows,
            current => current,
            flagged => flagged,
            include_ended => include_ended,
            can_edit => user.role().can(Permission::EditPlacements),
            banner => banner,
        },
    )?;
    Ok(Html(html))
}

// ----- recording a placement -----

/// A GOV.UK date input's three fields as a date. `Ok(None)` when all are empty.
/// The placement forms' GOV.UK date inputs (their errors link to the day field).
const DATES: [&str; 2] = ["start_date", "end_date"];

fn service_option(s: &Service) -> serde_json::Value {
    let place = [s.town.as_deref(), s.local_authority.as_deref().map(|la| la.trim()).filter(|la| !la.is_empty())]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    let text = if place.is_empty() {
        format!("{} – {}", s.name, s.provider_name)
    } else {
        format!("{} – {} ({place})", s.name, s.provider_name)
    };
    json!({"value": s.id, "text": text})
}

/// The out-of-area services to choose from: those matching `q` (or the first by name), plus the
/// one already chosen so that it stays selected.
async fn service_options(state: &AppState, q: &str, chosen: Option<&Service>) -> Result<(Vec<serde_json::Value>, i64), AppError> {
    let page = state
        .store
        .services(&ServiceFilter {
            q: Some(q.trim().to_string()).filter(|q| !q.is_empty()),
            in_area: Some(false),
            sort: Some("name".into()),
            per_page: SERVICE_CHOICES,
            ..Default::default()
        })
        .await?;
    let mut options = vec![json!({"value": "", "text": "Choose a service"})];
    if let Some(c) = chosen
        && !page.items.iter().any(|s| s.id == c.id)
    {
        options.push(service_option(c));
    }
    options.extend(page.items.iter().map(service_option));
    Ok((options, page.total))
}

#[derive(Debug, Default, Deserialize)]
struct NewQuery {
    q: Option<String>,
    service_id: Option<String>,
}

async fn render_form(
    state: &AppState,
    user: &CurrentUser,
    form: &[(String, String)],
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let q = field(form, "q");
    let service_id = field(form, "service_id");
    let chosen = if service_id.is_empty() { None } else { state.store.service(service_id).await.ok() };
    let (service_options, matches) = service_options(state, q, chosen.as_ref()).await?;
    let funder_options: Vec<serde_json::Value> = FUNDERS.iter().map(|(v, t)| json!({"value": v, "text": t})).collect();
    let ctx = user.context(state).await?;
    let html = state.renderer.render(
        "placements_new.html",
        &ctx,
        context! {
            errors => errors.list,
            field_errors => errors.by_field,
            q => q,
            matches => matches,
            shown => SERVICE_CHOICES.min(matches),
            service_options => service_options,
            service_id => service_id,
            chosen_local_authority => chosen.as_ref().and_then(|s| s.local_authority.clone()),
            person_ref => field(form, "person_ref"),
            host_authority => field(form, "host_authority"),
            funder => field(form, "funder"),
            funder_options => funder_options,
            reason => field(form, "reason"),
            start_date => date_parts(form, "start_date"),
            host_restrictions => field(form, "host_restrictions"),
        },
    )?;
    Ok((status, Html(html)).into_response())
}

async fn new_form(user: CurrentUser, State(state): State<AppState>, Query(q): Query<NewQuery>) -> Result<Response, AppError> {
    user.require(Permission::EditPlacements)?;
    let mut form: Vec<(String, String)> = Vec::new();
    if let Some(q) = q.q {
        form.push(("q".into(), q));
    }
    if let Some(id) = q.service_id.filter(|s| !s.is_empty()) {
        // Choosing a service fills in its local authority as the host authority.
        if let Ok(s) = state.store.service(&id).await
            && let Some(la) = s.local_authority
        {
            form.push(("host_authority".into(), la));
        }
        form.push(("service_id".into(), id));
    }
    render_form(&state, &user, &form, &FormErrors::new(&DATES), StatusCode::OK).await
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

async fn create(
    user: CurrentUser,
    State(state): State<AppState>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::EditPlacements)?;
    let mut errors = FormErrors::new(&DATES);
    let person_ref = field(&form, "person_ref").trim().to_string();
    if person_ref.is_empty() {
        errors.add("person_ref", "Enter the person's case reference");
    }
    let service_id = field(&form, "service_id").trim().to_string();
    if service_id.is_empty() {
        errors.add("service_id", "Choose the service where the person is placed");
    }
    let funder = field(&form, "funder").trim().to_string();
    if funder.is_empty() {
        errors.add("funder", "Choose who funds the placement");
    }
    let start_date = match form_date(&form, "start_date", "Start date") {
        Ok(Some(d)) => Some(d),
        Ok(None) => {
            errors.add("start_date", "Enter the date the placement started");
            None
        }
        Err(m) => {
            errors.add("start_date", &m);
            None
        }
    };
    if errors.is_empty()
        && let Some(start_date) = start_date
    {
        let new = NewPlacement {
            person_ref,
            service_id,
            host_authority: non_empty(field(&form, "host_authority")),
            funder,
            reason: non_empty(field(&form, "reason")),
            start_date,
            host_restrictions: non_empty(field(&form, "host_restrictions")),
        };
        match state.store.create_placement(&user.actor(), &new).await {
            Ok(_) => return Ok(Redirect::to("/placements?recorded=1").into_response()),
            Err(e) => errors.add_store(e)?,
        }
    }
    render_form(&state, &user, &form, &errors, StatusCode::BAD_REQUEST).await
}

// ----- ending a placement -----

async fn render_end(
    state: &AppState,
    user: &CurrentUser,
    p: &Placement,
    form: &[(String, String)],
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let ctx = user.context(state).await?;
    let html = state.renderer.render(
        "placements_end.html",
        &ctx,
        context! {
            placement => PlacementRow::from(p),
            errors => errors.list,
            field_errors => errors.by_field,
            end_date => date_parts(form, "end_date"),
        },
    )?;
    Ok((status, Html(html)).into_response())
}

async fn open_placement(state: &AppState, id: &str) -> Result<Placement, AppError> {
    let p = state.store.placement(id).await?;
    if p.end_date.is_some() {
        return Err(AppError::BadRequest("This placement has already ended.".into()));
    }
    Ok(p)
}

async fn end_form(user: CurrentUser, State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::EditPlacements)?;
    let p = open_placement(&state, &id).await?;
    render_end(&state, &user, &p, &[], &FormErrors::new(&DATES), StatusCode::OK).await
}

async fn end(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::EditPlacements)?;
    let p = open_placement(&state, &id).await?;
    let mut errors = FormErrors::new(&DATES);
    match form_date(&form, "end_date", "End date") {
        Ok(Some(d)) if d > caremarket_store::today() => errors.add("end_date", "The end date must be today or in the past"),
        Ok(Some(d)) => match state.store.end_placement(&user.actor(), &id, d).await {
            Ok(()) => return Ok(Redirect::to("/placements?ended=1").into_response()),
            Err(e) => errors.add_store(e)?,
        },
        Ok(None) => errors.add("end_date", "Enter the date the placement ended"),
        Err(m) => errors.add("end_date", &m),
    }
    render_end(&state, &user, &p, &form, &errors, StatusCode::BAD_REQUEST).await
}
