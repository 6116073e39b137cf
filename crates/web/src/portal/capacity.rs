//! The provider portal's capacity pages (ProviderPortal): a provider user submits vacancy
//! returns and spare home care capacity for its own services only, sees only its own returns,
//! and sees and answers the package offers made to it, which show the package (area, hours,
//! visits, lot and needs, language) and never the person's reference.
//!
//! The provider comes from the signed-in account, never from the request; another provider's
//! service or offer is "not found".

use crate::AppState;
use crate::auth::CurrentUser;
use crate::capacity::forms::{FormPage, Pairs, field, form_date, render_form};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormErrors as Errors;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caremarket_core::access::Permission;
use caremarket_core::capacity::brokerage::hours;
use caremarket_core::register::ServiceKind;
use caremarket_store::StoreError;
use caremarket_store::capacity::NewVacancyReturn;
use caremarket_store::register::ServiceFilter;
use minijinja::context;
use serde_json::json;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/capacity", get(home))
        .route("/portal/capacity/returns", get(return_form).post(return_submit))
        .route("/portal/capacity/spare", get(spare_form).post(spare_submit))
        .route(
            "/portal/capacity/closures",
            get(crate::capacity::admissions::portal_closures).post(crate::capacity::admissions::portal_closure_submit),
        )
        .route("/portal/capacity/closures/{id}/reopen", post(crate::capacity::admissions::portal_closure_reopen))
        .route("/portal/offers", get(offers))
        .route("/portal/offers/{id}/respond", post(respond))
}

fn provider_of(user: &CurrentUser) -> Result<String, AppError> {
    user.require(Permission::ProviderPortal)?;
    user.user.provider_id.clone().ok_or(AppError::Forbidden)
}

async fn own_services(state: &AppState, provider_id: &str) -> Result<Vec<caremarket_store::register::Service>, AppError> {
    let page = state
        .store
        .services(&ServiceFilter {
            provider_id: Some(provider_id.to_string()),
            any_area: true,
            per_page: 1000,
            sort: Some("name".into()),
            ..Default::default()
        })
        .await?;
    Ok(page.items.into_iter().filter(|s| s.provider_id == provider_id).collect())
}

async fn home(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    let provider_id = provider_of(&user)?;
    let services = own_services(&state, &provider_id).await?;
    let mut homes = Vec::new();
    for s in services.iter().filter(|s| s.kind.is_care_home()) {
        let returns = state.store.vacancy_returns_for_service(&s.id).await?;
        let returns: Vec<_> = returns
            .iter()
            .take(12)
            .map(|r| json!({"date": r.return_date, "source": r.source, "occupied": r.lines.iter().map(|l| l.occupied).sum::<i64>(), "vacant": r.lines.iter().map(|l| l.vacant).sum::<i64>(), "lines": r.lines.iter().map(|l| json!({"label": l.bed_type.label(), "occupied": l.occupied, "vacant": l.vacant})).collect::<Vec<_>>()}))
            .collect();
        homes.push(json!({"id": s.id, "name": s.name, "beds": s.beds, "returns": returns}));
    }
    let spare: Vec<_> = state.store.spare_capacity().await?.into_iter().filter(|d| d.provider_id == provider_id).map(|d| json!({"service_name": d.service_name, "area": d.area_name, "category": d.category, "hours": hours(d.amount), "declared_on": d.declared_on})).collect();
    let home_care = services.iter().any(|s| s.kind == ServiceKind::HomeCare);
    let provider = state.store.provider(&provider_id).await?;
    let ctx = user.context(&state).await?;
    Ok(Html(state.renderer.render(
        "capacity_portal.html",
        &ctx,
        context! { provider_name => provider.name, homes => homes, spare => spare, home_care => home_care },
    )?)
    .into_response())
}

fn return_page(fields: Vec<serde_json::Value>) -> FormPage<'static> {
    FormPage {
        title: "Submit a vacancy return",
        caption: Some("Your services"),
        intro: Some("Beds occupied and vacant by type today.".into()),
        action: "/portal/capacity/returns",
        back: "/portal/capacity",
        button: "Submit return",
        fields,
        multipart: false,
    }
}

async fn home_options(state: &AppState, provider_id: &str) -> Result<Vec<serde_json::Value>, AppError> {
    let mut v = vec![crate::capacity::forms::opt("", "Choose a care home")];
    v.extend(
        own_services(state, provider_id)
            .await?
            .iter()
            .filter(|s| s.kind.is_care_home())
            .map(|s| crate::capacity::forms::opt(&s.id, &s.name)),
    );
    Ok(v)
}

async fn return_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    let provider_id = provider_of(&user)?;
    let fields = crate::capacity::return_fields(&vec![], home_options(&state, &provider_id).await?);
    render_form(&state, &user, return_page(fields), &Errors::default(), StatusCode::OK).await
}

async fn return_submit(user: CurrentUser, State(state): State<AppState>, CsrfForm(form): CsrfForm<Pairs>) -> Result<Response, AppError> {
    let provider_id = provider_of(&user)?;
    let mut errors = Errors::new(&["return_date"]).with_whole_form_link("dementia_nursing_occupied");
    let service_id = field(&form, "service_id").to_string();
    // Only the provider's own homes: anything else is treated as not chosen.
    let own =
        !service_id.is_empty() && own_services(&state, &provider_id).await?.iter().any(|s| s.id == service_id && s.kind.is_care_home());
    if !own {
        errors.add("service_id", "Choose one of your care homes");
    }
    let date = errors.check("return_date", form_date(&form, "return_date", "Date of the return")).flatten();
    if date.is_none() && !errors.by_field.contains_key("return_date") {
        errors.add("return_date", "Enter the date of the return");
    }
    let lines = crate::capacity::return_lines(&form, &mut errors);
    if errors.is_empty()
        && let Some(d) = date
    {
        match state
            .store
            .submit_vacancy_return(
                &user.actor(),
                &NewVacancyReturn { service_id, return_date: d, lines, source: "portal" },
                caremarket_store::today(),
            )
            .await
        {
            Ok(_) => return Ok(Redirect::to("/portal/capacity").into_response()),
            Err(e) => crate::capacity::forms::add_return_store_error(&mut errors, e)?,
        }
    }
    let fields = crate::capacity::return_fields(&form, home_options(&state, &provider_id).await?);
    render_form(&state, &user, return_page(fields), &errors, StatusCode::BAD_REQUEST).await
}

fn spare_page(fields: Vec<serde_json::Value>) -> FormPage<'static> {
    FormPage { title: "Declare spare home care capacity", caption: Some("Your services"), intro: Some("Hours of care you could start this week, by area and lot. Brokerage offers packages to providers with spare capacity in the person's area.".into()), action: "/portal/capacity/spare", back: "/portal/capacity", button: "Save", fields, multipart: false }
}

async fn hc_options(state: &AppState, provider_id: &str) -> Result<Vec<serde_json::Value>, AppError> {
    let mut v = vec![crate::capacity::forms::opt("", "Choose a service")];
    v.extend(
        own_services(state, provider_id)
            .await?
            .iter()
            .filter(|s| s.kind == ServiceKind::HomeCare)
            .map(|s| crate::capacity::forms::opt(&s.id, &s.name)),
    );
    Ok(v)
}

async fn spare_form(user: CurrentUser, State(state): State<AppState>) -> Result<Response, AppError> {
    let provider_id = provider_of(&user)?;
    let fields =
        crate::capacity::spare_fields(&vec![], Some(hc_options(&state, &provider_id).await?), crate::capacity::area_options(&state).await?);
    render_form(&state, &user, spare_page(fields), &Errors::default(), StatusCode::OK).await
}

async fn spare_submit(user: CurrentUser, State(state): State<AppState>, CsrfForm(form): CsrfForm<Pairs>) -> Result<Response, AppError> {
    let provider_id = provider_of(&user)?;
    let mut errors = Errors::default();
    let sid = field(&form, "service_id");
    let own = own_services(&state, &provider_id).await?.iter().any(|s| s.id == sid && s.kind == ServiceKind::HomeCare);
    let sid = if own { sid } else { "" };
    if crate::capacity::save_spare(&state, &user, &form, &mut errors, sid).await? {
        return Ok(Redirect::to("/portal/capacity").into_response());
    }
    let fields =
        crate::capacity::spare_fields(&form, Some(hc_options(&state, &provider_id).await?), crate::capacity::area_options(&state).await?);
    render_form(&state, &user, spare_page(fields), &errors, StatusCode::BAD_REQUEST).await
}

async fn render_offers(
    state: &AppState,
    user: &CurrentUser,
    provider_id: &str,
    errors: &Errors,
    status: StatusCode,
    banner: Option<&str>,
) -> Result<Response, AppError> {
    let offers = state.store.offers_for_provider(provider_id).await?;
    let uk = crate::render::format_timestamp;
    let rows: Vec<_> = offers
        .iter()
        .filter(|o| o.offer.provider_id == provider_id)
        .map(|o| {
            json!({
                "id": o.offer.id, "service_name": o.offer.service_name, "status": o.offer.status, "offered_at": uk(&o.offer.offered_at),
                "responded_at": o.offer.responded_at.as_deref().map(uk), "to_all": o.offer.offered_to_all == 1,
                "area": o.area_name, "hours": hours(o.minutes_per_week), "visits_per_day": o.visits_per_day, "visit_times": o.visit_times,
                "double_up_visits": o.double_up_visits, "lot": o.lot.label(), "needs": o.needs.iter().map(|n| n.label()).collect::<Vec<_>>(),
                "language": o.language, "cultural_needs": o.cultural_needs, "route": o.route.label(),
            })
        })
        .collect();
    let ctx = user.context(state).await?;
    let html = state.renderer.render(
        "capacity_portal_offers.html",
        &ctx,
        context! { offers => rows, errors => errors.list, field_errors => errors.by_field, banner => banner },
    )?;
    Ok((status, Html(html)).into_response())
}

#[derive(Debug, Default, serde::Deserialize)]
struct OffersQuery {
    saved: Option<String>,
}

async fn offers(user: CurrentUser, State(state): State<AppState>, Query(q): Query<OffersQuery>) -> Result<Response, AppError> {
    let provider_id = provider_of(&user)?;
    let banner = match q.saved.as_deref() {
        Some("accepted") => Some("You accepted the package: the brokerage team will be in touch to arrange the start"),
        Some("declined") => Some("You declined the package"),
        _ => None,
    };
    render_offers(&state, &user, &provider_id, &Errors::default(), StatusCode::OK, banner).await
}

async fn respond(
    user: CurrentUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<Pairs>,
) -> Result<Response, AppError> {
    let provider_id = provider_of(&user)?;
    let accept = match field(&form, "response") {
        "accept" => true,
        "decline" => false,
        _ => return Err(AppError::BadRequest("Choose accept or decline".into())),
    };
    let mut errors = Errors::default();
    match state.store.respond_to_offer(&user.actor(), &id, accept, Some(field(&form, "note")), Some(&provider_id)).await {
        Ok(()) => {
            return Ok(Redirect::to(if accept { "/portal/offers?saved=accepted" } else { "/portal/offers?saved=declined" }).into_response());
        }
        Err(StoreError::NotFound(_)) => return Err(AppError::NotFound),
        Err(e) => errors.add_store(e)?,
    }
    render_offers(&state, &user, &provider_id, &errors, StatusCode::BAD_REQUEST, None).await
}
